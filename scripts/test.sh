#!/usr/bin/env bash
# The test command: installs what is missing, then configures, builds and runs every test in
# the debug build and in the ASan + UBSan build, builds what the demo builds (Release, -O3:
# GCC warns there of what -O0 does not see) and runs the demo with it, then runs each fuzzer
# for a short while.
#   DEVRESET_TEST_PRESETS  the builds to test (default "debug asan")
#   DEVRESET_FUZZ_SECONDS  seconds per fuzzer (default 15; 0 skips fuzzing)
# Extra arguments go to ctest (e.g. -R Ledger).
set -euo pipefail
cd "$(dirname "$0")/.."
presets=${DEVRESET_TEST_PRESETS:-debug asan}
fuzz_seconds=${DEVRESET_FUZZ_SECONDS:-15}

bash scripts/setup.sh --all
for preset in $presets; do
  echo "== test.sh: the $preset build" >&2
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset"
  ctest --preset "$preset" -j"$(nproc)" "$@"
done
echo "== test.sh: the release build and the demo, as scripts/demo.sh runs them" >&2
cmake --preset release >/dev/null
cmake --build --preset release --target devreset
./build/release/cli/devreset demo >/dev/null
if [[ "$fuzz_seconds" != 0 ]]; then
  echo "== test.sh: each fuzzer for ${fuzz_seconds} s" >&2
  bash scripts/fuzz.sh "$fuzz_seconds"
fi
