#!/usr/bin/env bash
# Configures (when needed) and builds portlab with Ninja on all cores.
#   scripts/build.sh           -> build/       (RelWithDebInfo)
#   scripts/build.sh --asan    -> build-asan/  (RelWithDebInfo at -O1, asserts on,
#                                               ASan+UBSan via PORTLAB_SANITIZE)
#   scripts/build.sh --fuzz    -> build-fuzz/  (clang++, -O1, PORTLAB_FUZZ: the libraries with
#                                               libFuzzer+ASan+UBSan and the fuzz/ targets only)
# Any further arguments are passed to the CMake configure step (which then always runs).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

asan=0
fuzz=0
extra=()
for arg in "$@"; do
  case "$arg" in
    --asan) asan=1 ;;
    --fuzz) fuzz=1 ;;
    -h|--help) sed -n '2,9p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) extra+=("$arg") ;;
  esac
done

if ((fuzz)); then
  dir=build-fuzz
  args=(-DCMAKE_CXX_COMPILER=clang++ -DPORTLAB_FUZZ=ON -DPORTLAB_SANITIZE=OFF -DPORTLAB_BUILD_TESTS=OFF
        -DPORTLAB_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo
        "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only")
elif ((asan)); then
  dir=build-asan
  # No -DNDEBUG: the sanitizer build also checks assertions. Line tables only (-g1): enough for
  # the sanitizers' stack traces, and the three trees must build within CI's time budget. The
  # benchmarks are built and smoke-tested in build/ only.
  args=(-DPORTLAB_SANITIZE=ON -DPORTLAB_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo
        "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1")
else
  dir=build
  # Line tables only (-g1): profiles and backtraces still name functions and lines.
  args=(-DPORTLAB_SANITIZE=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG")
fi

cache="$dir/CMakeCache.txt"
# A tree configured by another generator can't be reused by Ninja: start it afresh.
if [[ -f "$cache" ]] && ! grep -qx 'CMAKE_GENERATOR:INTERNAL=Ninja' "$cache"; then
  echo "build: $dir was configured with another generator; reconfiguring from scratch"
  rm -rf -- "$dir"
fi

# Configure every time (a few seconds when the tree exists), so that a change of flags here
# reaches trees configured before it.
cmake -S . -B "$dir" -G Ninja "${args[@]}" "${extra[@]}" > "$dir.configure.log" 2>&1 || {
  cat "$dir.configure.log" >&2
  exit 1
}
# Ninja re-runs CMake by itself when a CMakeLists.txt (or a globbed directory) changes.
cmake --build "$dir" --parallel "$(nproc)"
