#!/usr/bin/env bash
# The demo: installs what is missing, builds devreset (Release) and runs it.
# Until `devreset demo` exists this shows what the binary can do so far.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release --target devreset >/dev/null
./build/release/cli/devreset --version
./build/release/cli/devreset --help
