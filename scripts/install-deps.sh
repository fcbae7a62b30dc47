#!/usr/bin/env bash
# Installs the Debian 12 packages portlab needs to build and test. Idempotent: when
# everything is already installed it touches nothing (no apt-get update) and exits 0.
# As root it installs what is missing; otherwise it prints the command and exits 1.
set -euo pipefail

PACKAGES=(
  build-essential
  cmake
  ninja-build
  g++
  libboost-graph-dev
  librapidcheck-dev
  libbenchmark-dev
  libgtest-dev
  libgmock-dev
  libcli11-dev
  nlohmann-json3-dev
  libfmt-dev
  libmnl-dev
  iproute2
  clang
  # libFuzzer's runtime (libclang_rt.fuzzer*) is only a Recommends of clang, which
  # --no-install-recommends would skip.
  libclang-rt-dev
)

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "install-deps: dpkg-query not found; this script supports Debian 12 only." >&2
  echo "install-deps: needed packages: ${PACKAGES[*]}" >&2
  exit 1
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "install-deps: missing: ${missing[*]}"
if [[ "$(id -u)" -ne 0 ]]; then
  echo "install-deps: not root; install them with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${missing[@]}" </dev/null
echo "install-deps: installed: ${missing[*]}"
