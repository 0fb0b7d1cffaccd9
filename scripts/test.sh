#!/usr/bin/env bash
# The test command: installs what is missing, configures, builds, and runs every test.
# Extra arguments go to ctest (e.g. -R Ledger).
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${DEVRESET_TEST_PRESET:-debug}

bash scripts/setup.sh
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
ctest --preset "$preset" -j"$(nproc)" "$@"
