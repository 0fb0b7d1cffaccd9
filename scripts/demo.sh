#!/usr/bin/env bash
# The demo: installs what is missing, builds devreset (Release) and runs `devreset demo`:
# a reset of samples/users.csv on a simulated tenant in the same process.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release --target devreset >/dev/null
exec ./build/release/cli/devreset demo
