#!/usr/bin/env bash
# Installs dependencies, builds build/, and checks the example scenario with the CLI.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/install-deps.sh
bash scripts/build.sh

bin=./build/cli/portlab
example=examples/fixed-port-reconnect-graceful.pls

if [[ ! -x "$bin" ]]; then
  echo "demo: error: $bin was not built (is the 'portlab' executable target defined in cli/CMakeLists.txt?)" >&2
  exit 1
fi
if [[ ! -f "$example" ]]; then
  echo "demo: error: example $example not found" >&2
  exit 1
fi

echo "demo: $bin check $example"
exec "$bin" check "$example"
