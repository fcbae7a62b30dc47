#!/usr/bin/env bash
# Installs dependencies, builds build/, build-asan/ and build-fuzz/ (clang, libFuzzer; see
# docs/robustness.md) incrementally, and runs ctest in all three (in build-fuzz/: a bounded smoke
# run of each fuzz target). Exits non-zero if any build or test fails; runs every test suite
# either way.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/install-deps.sh
bash scripts/build.sh
bash scripts/build.sh --asan
bash scripts/build.sh --fuzz

jobs="$(nproc)"
status=0

echo "==== ctest: build/ ===="
ctest --test-dir build --output-on-failure --no-tests=error -j"$jobs" -LE props-differential || status=1

# The sanitizer tree skips what the sanitizers add nothing to and CI time is short for: the
# comparisons with the real kernel (label kernel-compare: wall-clock waits on the kernel; the
# model's random call sequences run under ASan in ModelInvariants.*) and the byte-for-byte
# determinism runs of every example (label whole-runs; every example still runs under ASan).
echo "==== ctest: build-asan/ (ASan+UBSan) ===="
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure --no-tests=error -j"$jobs" -LE "props-differential|kernel-compare|whole-runs" || status=1

echo "==== ctest: build-fuzz/ (clang, libFuzzer smoke runs) ===="
ctest --test-dir build-fuzz --output-on-failure --no-tests=error -j"$jobs" || status=1

if ((status)); then
  echo "test: FAILED (see ctest output above)" >&2
else
  echo "test: all tests passed in build/, build-asan/ and build-fuzz/"
fi
exit "$status"
