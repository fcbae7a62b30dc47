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
        -DPORTLAB_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g")
elif ((asan)); then
  dir=build-asan
  # No -DNDEBUG: the sanitizer build also checks assertions.
  args=(-DPORTLAB_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
        "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g")
else
  dir=build
  args=(-DPORTLAB_SANITIZE=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo)
fi

cache="$dir/CMakeCache.txt"
# A tree configured by another generator can't be reused by Ninja: start it afresh.
if [[ -f "$cache" ]] && ! grep -qx 'CMAKE_GENERATOR:INTERNAL=Ninja' "$cache"; then
  echo "build: $dir was configured with another generator; reconfiguring from scratch"
  rm -rf -- "$dir"
fi

want_sanitize=$([[ $asan == 1 ]] && echo ON || echo OFF)
want_fuzz=$([[ $fuzz == 1 ]] && echo ON || echo OFF)
if [[ ! -f "$dir/build.ninja" || ${#extra[@]} -gt 0 ]] ||
   ! grep -qx "PORTLAB_SANITIZE:BOOL=$want_sanitize" "$cache" ||
   { ((fuzz)) && ! grep -qx "PORTLAB_FUZZ:BOOL=$want_fuzz" "$cache"; }; then
  cmake -S . -B "$dir" -G Ninja "${args[@]}" "${extra[@]}"
fi
# Ninja re-runs CMake by itself when a CMakeLists.txt (or a globbed directory) changes.
cmake --build "$dir" --parallel "$(nproc)"
