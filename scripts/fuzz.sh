#!/usr/bin/env bash
# Builds the libFuzzer targets (clang 14, ASan + UBSan) and runs each for N seconds.
#   scripts/fuzz.sh [SECONDS] [TARGET...]     (default: 60 s each, every target)
# Each target starts from tests/fuzz/corpus/<target> (plus what earlier runs here found, in
# build/fuzz/corpus/<target>) and first replays tests/fuzz/regressions/<target>. A crash
# leaves its input in build/fuzz/findings/<target>/ and fails the script: keep it as a
# regression (copy it to tests/fuzz/regressions/<target>/) once fixed.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
if ! [[ "$seconds" =~ ^[0-9]+$ ]]; then
  echo "usage: scripts/fuzz.sh [SECONDS] [TARGET...]  (SECONDS first: '$seconds' is not a number)" >&2
  exit 2
fi
shift || true
all=(csv json jsonl ledger duration realm answer filter)
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=("${all[@]}")

./scripts/setup.sh --all
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz

# Inputs larger than this are not tried: the readers' own limits are set small in the
# targets, so big inputs add time, not coverage.
declare -A max_len=([csv]=16384 [json]=16384 [jsonl]=16384 [ledger]=16384 [duration]=64
                    [realm]=256 [answer]=8192 [filter]=2048)
failed=0
for t in "${targets[@]}"; do
  bin=build/fuzz/tests/fuzz/fuzz_$t
  work=build/fuzz/corpus/$t
  findings=build/fuzz/findings/$t
  mkdir -p "$work" "$findings"
  if [[ -d tests/fuzz/regressions/$t ]] && compgen -G "tests/fuzz/regressions/$t/*" >/dev/null; then
    echo "== fuzz_$t: replaying regressions"
    "$bin" tests/fuzz/regressions/$t/* >/dev/null 2>"$findings/replay.log" || {
      echo "fuzz_$t: a regression input fails again:"; tail -30 "$findings/replay.log"; failed=1; continue; }
  fi
  echo "== fuzz_$t: ${seconds} s"
  # ASan's leak check stays on; -rss_limit_mb bounds each input's memory.
  if ! "$bin" "$work" "tests/fuzz/corpus/$t" -max_total_time="$seconds" \
      -max_len="${max_len[$t]}" -rss_limit_mb=1024 -timeout=10 -print_final_stats=1 \
      -artifact_prefix="$findings/" >"$findings/run.log" 2>&1; then
    echo "fuzz_$t: FOUND A PROBLEM (input in $findings/):"
    grep -E "ERROR|invariant|SUMMARY|Test unit written" "$findings/run.log" | head -20 || true
    tail -5 "$findings/run.log"
    failed=1
  else
    grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "$findings/run.log" |
      tr '\n' ' ' | sed "s/^/fuzz_$t: /"
    echo " corpus: $(ls "$work" | wc -l) inputs"
  fi
done
exit $failed
