#!/usr/bin/env bash
# Issue 31, through the binary: reports and summaries that look complete only when they are
# (shards missing, a run still going, users never reached), and exit codes an operator can
# act on (an empty input).
# Usage: complete_test.sh /path/to/devreset CASE
set -euo pipefail
source "$(dirname "$0")/lib.sh"

case "$case_name" in
a_missing_shard_is_named)
  # Shards 1/3 and 2/3 of one input reported together: shard 0/3 is named, its users count
  # as not reached (exit 1) and --failed-out lists them; 3/3 is refused, K counting from 0.
  start_sim --users 60
  for k in 1 2; do
    run --input "$work/users.txt" --ledger "$work/shard-$k.jsonl" --yes --types oath --shard "$k/3" \
      >/dev/null 2>"$work/err" || fail "shard $k/3: $(cat "$work/err")"
  done
  done_here=$(( $(count_records "$work/shard-1.jsonl" ok) + $(count_records "$work/shard-2.jsonl" ok) ))
  exit_code rc "$devreset" report "$work/shard-1.jsonl" "$work/shard-2.jsonl" --failed-out "$work/retry.csv" >"$work/r.txt"
  [[ $rc -eq 1 ]] || fail "a partial shard set: exit $rc: $(cat "$work/r.txt")"
  grep -q "$((60 - done_here)) user(s) of $work/users.txt not reached: shard 0/3 has no run in the ledgers given (K counts from 0)" "$work/r.txt" \
    || fail "$(cat "$work/r.txt")"
  [[ $(grep -vc '^#\|^user_id,' "$work/retry.csv") -eq $((60 - done_here)) ]] || fail "--failed-out: $(cat "$work/retry.csv")"
  # report --csv: the users never reached are rows too.
  "$devreset" report "$work/shard-1.jsonl" "$work/shard-2.jsonl" --csv "$work/all.csv" >/dev/null || true
  [[ $(grep -c ',not_reached,' "$work/all.csv") -eq $((60 - done_here)) && $(grep -c ',ok,' "$work/all.csv") -eq $done_here ]] \
    || fail "--csv: $(cat "$work/all.csv")"
  # One shard alone is reported as itself, said so.
  "$devreset" report "$work/shard-1.jsonl" >"$work/one.txt" || fail "one shard: $(cat "$work/one.txt")"
  grep -q "^Shard 1/3 of $work/users.txt alone: the other shards' users are in their own ledgers" "$work/one.txt" || fail "$(cat "$work/one.txt")"
  run --input "$work/users.txt" --ledger "$work/shard-0.jsonl" --yes --types oath --shard 0/3 >/dev/null 2>&1 || fail "shard 0/3"
  exit_code rc "$devreset" report "$work/shard-0.jsonl" "$work/shard-1.jsonl" "$work/shard-2.jsonl" >"$work/r.txt"
  [[ $rc -eq 0 ]] || fail "the whole set: exit $rc: $(cat "$work/r.txt")"
  exit_code rc run --input "$work/users.txt" --ledger "$work/shard-3.jsonl" --yes --shard 3/3 >/dev/null 2>"$work/err"
  [[ $rc -eq 2 ]] || fail "3/3: exit $rc"
  grep -q "3/3: K counts from 0: the shards of 3 are 0/3, 1/3, 2/3" "$work/err" || fail "$(cat "$work/err")"
  ;;
report_of_a_ledger_still_being_written)
  # report while the run goes on: "still running (PID n)", exit 1, never "killed or crashed".
  start_sim --users 200 --latency 100ms
  "$devreset" run --tenant "$tenant" --realm alpha --ca-file "$work/ca.pem" --token-file "$work/token.txt" \
    --progress none --input "$work/users.txt" --ledger "$work/l.jsonl" --yes --types oath --concurrency 1 2>/dev/null &
  pid=$!
  other_pids+=("$pid")
  wait_for_users "$work/l.jsonl" 2
  exit_code rc "$devreset" report "$work/l.jsonl" >"$work/r.txt"
  [[ $rc -eq 1 ]] || fail "exit $rc: $(cat "$work/r.txt")"
  grep -q "not reached: the run is still running (PID $pid)" "$work/r.txt" || fail "$(cat "$work/r.txt")"
  grep -q "^Still running: $work/l.jsonl (PID $pid)" "$work/r.txt" || fail "$(cat "$work/r.txt")"
  grep -q "killed or crashed" "$work/r.txt" && fail "a running run called crashed"
  kill -INT "$pid"
  exit_code rc wait "$pid"
  ;;
ctrl_c_summary_counts_the_users_not_reached)
  # The run's own summary after Ctrl-C counts the users never reached as report does, and
  # says "interrupted" once.
  start_sim --users 300 --latency 20ms
  "$devreset" run --tenant "$tenant" --realm alpha --ca-file "$work/ca.pem" --token-file "$work/token.txt" \
    --progress none --input "$work/users.txt" --ledger "$work/l.jsonl" --yes --types oath --concurrency 2 2>"$work/err" &
  pid=$!
  wait_for_users "$work/l.jsonl" 5
  kill -INT "$pid"
  exit_code rc wait "$pid"
  [[ $rc -eq 3 ]] || fail "exit $rc: $(cat "$work/err")"
  grep -q "interrupted: interrupted" "$work/err" && fail "said twice: $(cat "$work/err")"
  n=$(json_get "$("$devreset" report "$work/l.jsonl" --format json || true)" '["not_reached"]')
  (( n > 0 )) || fail "report counts $n not reached"
  grep -q "^.*Not reached: $n users of $work/users.txt (--resume does them" "$work/err" || fail "$(cat "$work/err")"
  ;;
an_empty_input_is_an_error)
  # An empty file or a header alone: exit 2 naming the file, nothing sent, no ledger; the
  # same from standard input (exit 2); a query that matches nobody is an answer (exit 0).
  start_sim --users 5
  : >"$work/empty.csv"
  echo "user_id" >"$work/header.csv"
  for f in empty.csv header.csv; do
    exit_code rc run --input "$work/$f" --ledger "$work/$f.jsonl" --yes >/dev/null 2>"$work/err"
    [[ $rc -eq 2 ]] || fail "$f: exit $rc: $(cat "$work/err")"
    grep -q "$work/$f holds no users" "$work/err" || fail "$f: $(cat "$work/err")"
    [[ ! -e "$work/$f.jsonl" ]] || fail "$f: a ledger was made"
  done
  [[ $(json_get "$(stats)" '["requests"]') -eq 0 ]] || fail "requests were sent"
  exit_code rc run --input - --ledger "$work/stdin.jsonl" --yes </dev/null >/dev/null 2>"$work/err"
  [[ $rc -eq 2 ]] || fail "empty standard input: exit $rc: $(cat "$work/err")"
  grep -q "standard input held no users" "$work/err" || fail "$(cat "$work/err")"
  exit_code rc run --query 'userName eq "nobody-at-all"' --ledger "$work/q.jsonl" --yes >/dev/null 2>"$work/err"
  [[ $rc -eq 0 ]] || fail "a query matching nobody: exit $rc: $(cat "$work/err")"
  grep -q "no user matched" "$work/err" || fail "$(cat "$work/err")"
  ;;
a_wrong_realm_is_named_before_idm)
  # A typo in --realm with names, a --query or a --group: the realm is named (AM is asked
  # first), never "check --idm-path and --managed-user"; exit 2 (fix the command).
  start_sim --users 10
  printf 'user_name\nuser000001\n' >"$work/names.csv"
  for input in "--input $work/names.csv" "--query true" "--group admins"; do
    # shellcheck disable=SC2086
    exit_code rc "$devreset" run --tenant "$tenant" --realm beta --ca-file "$work/ca.pem" --token-file "$work/token.txt" \
      $input --ledger "$work/l.jsonl" --yes >/dev/null 2>"$work/err"
    [[ $rc -eq 2 ]] || fail "$input: exit $rc: $(cat "$work/err")"
    grep -q "realm 'beta' does not exist on ${tenant}/am" "$work/err" || fail "$input: $(cat "$work/err")"
    grep -q "managed-user" "$work/err" && fail "$input: blamed IDM: $(cat "$work/err")"
  done
  true
  ;;
messages_blame_the_right_thing)
  # A token given as a header value says to drop "Bearer "; a --resume of a new ledger is not
  # "(resumed)"; a proxy that is down is the proxy's fault (Cli.Proxy.a_proxy_that_is_down).
  start_sim --users 5
  DEVRESET_TOKEN='Bearer sim-token' exit_code rc "$devreset" run --tenant "$tenant" --realm alpha \
    --ca-file "$work/ca.pem" --input "$work/users.txt" --ledger "$work/l.jsonl" --yes >/dev/null 2>"$work/err"
  [[ $rc -eq 2 ]] || fail "DEVRESET_TOKEN with Bearer: exit $rc: $(cat "$work/err")"
  grep -q 'drop the "Bearer " prefix' "$work/err" || fail "$(cat "$work/err")"
  grep -q "sim-token" "$work/err" && fail "the token was printed"
  echo "Bearer sim-token" >"$work/token.txt"
  exit_code rc run --input "$work/users.txt" --ledger "$work/l.jsonl" --yes >/dev/null 2>"$work/err"
  grep -q 'drop the "Bearer " prefix' "$work/err" || fail "token file: exit $rc: $(cat "$work/err")"
  echo sim-token >"$work/token.txt"
  run --input "$work/users.txt" --ledger "$work/new.jsonl" --yes --resume >/dev/null 2>"$work/err" || fail "$(cat "$work/err")"
  grep -q "(resumed)" "$work/err" && fail "a new ledger called resumed: $(cat "$work/err")"
  run --input "$work/users.txt" --ledger "$work/new.jsonl" --yes --resume >/dev/null 2>"$work/err" || fail "$(cat "$work/err")"
  grep -q "(resumed)" "$work/err" || fail "a resumed ledger not called so: $(cat "$work/err")"
  ;;
html_figures_equal_the_text_reports)
  # The page's retries are requests sent again, as the text report and the summary count
  # them: a run without a failure has none, though a list and deletes make attempts > 1.
  start_sim --users 30
  run --input "$work/users.txt" --ledger "$work/l.jsonl" --yes --types webauthn >/dev/null 2>&1 || fail "run"
  grep -q '"attempts":[2-9]' "$work/l.jsonl" || fail "no type with several requests: $(head -3 "$work/l.jsonl")"
  "$devreset" report "$work/l.jsonl" --html "$work/r.html" >/dev/null || fail "report --html"
  grep -q 'id="retries">0<' "$work/r.html" || fail "the page counts retries that never happened"
  start_other_sim --users 30 --fail-rate 0.3
  run_b --input "$work/users.txt" --ledger "$work/b.jsonl" --yes --types webauthn --max-attempts 20 --backoff-base 2ms \
    >/dev/null 2>&1 || fail "run on the flaky tenant"
  "$devreset" report "$work/b.jsonl" --html "$work/b.html" --format json >"$work/b.json" || fail "report"
  ledger=$(python3 -c 'import json,sys; print(sum(t.get("retries",0) for r in map(json.loads, open(sys.argv[1])) if r.get("record")=="user" for t in r["results"]))' "$work/b.jsonl")
  (( ledger > 0 )) || fail "the flaky tenant caused no retry"
  [[ $(json_get "$(cat "$work/b.json")" '["retries"]') -eq $ledger ]] || fail "json: $(cat "$work/b.json"), ledger $ledger"
  grep -q "id=\"retries\">$ledger<" "$work/b.html" || fail "the page does not say $ledger retries"
  ;;
devices_removed_per_type)
  # Devices removed per type, as the tenant counts them going: in the run's summary, its
  # summary record, report (text, JSON, HTML) and the metrics file; the reset action's users
  # (AM tells no count) said apart.
  start_sim --users 25
  before=$(stats)
  run --input "$work/users.txt" --ledger "$work/l.jsonl" --yes --types webauthn,oath \
    --metrics-file "$work/m.prom" >/dev/null 2>"$work/err" || fail "$(cat "$work/err")"
  gone=$(( $(json_get "$before" '["devices_left"]["webauthn"]') - $(json_get "$(stats)" '["devices_left"]["webauthn"]') ))
  (( gone > 0 )) || fail "no webauthn device removed"
  grep -q "Devices removed:  webauthn $gone  (and by the reset action, which tells no count, those of users: oath 25)" "$work/err" \
    || fail "summary: $(cat "$work/err")"
  [[ $(json_get "$(tail -1 "$work/l.jsonl")" '["types"]["webauthn"]["devices_removed"]') -eq $gone ]] || fail "summary record"
  grep -q "^devreset_devices_removed{type=\"webauthn\"} $gone$" "$work/m.prom" || fail "metrics: $(grep removed "$work/m.prom")"
  "$devreset" report "$work/l.jsonl" --html "$work/r.html" --format json >"$work/r.json" || fail "report"
  [[ $(json_get "$(cat "$work/r.json")" '["by_type"]["webauthn"]["devices_removed"]') -eq $gone ]] || fail "json: $(cat "$work/r.json")"
  grep -q "id=\"removed-webauthn\">$gone<" "$work/r.html" || fail "html"
  "$devreset" report "$work/l.jsonl" | grep -q "^Devices removed:  webauthn $gone  (and by the reset action, which tells no count, those of users: oath 25)" \
    || fail "text: $("$devreset" report "$work/l.jsonl")"
  ;;
a_plans_pages_show_what_would_go)
  # A plan's page shows what would be removed, per type and per user (never "not ok"); its
  # CSV has each user's devices; report of the run --plan ledger shows the drift.
  start_sim --users 20
  "$devreset" plan --tenant "$tenant" --realm alpha --ca-file "$work/ca.pem" --token-file "$work/token.txt" \
    --progress none --input "$work/users.txt" --ledger "$work/plan.jsonl" 2>"$work/err" || fail "plan: $(cat "$work/err")"
  "$devreset" report "$work/plan.jsonl" --html "$work/p.html" --csv "$work/p.csv" >/dev/null || fail "report"
  grep -q "<th class=n>not ok</th>" "$work/p.html" && fail "a plan's page counts types not ok"
  python3 - "$work/plan.jsonl" "$work/p.html" "$work/p.csv" <<'PY' || fail "the plan's pages"
import csv, json, re, sys
recs = [r for r in map(json.loads, open(sys.argv[1])) if r.get("record") == "user"]
want = {}
for r in recs:
    d = ";".join(f'{t["type"]} {len(t["device_ids"])}' for t in r["results"] if t.get("device_ids"))
    want[r["user_id"]] = d
page = open(sys.argv[2]).read()
rows = re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td></tr>", page.split('id="plan-users"')[1])
assert {u: d for u, d in rows} == {u: d for u, d in want.items() if d}, (rows, want)
got = {row["user_id"]: row["devices"] for row in csv.DictReader(open(sys.argv[3]))}
assert got == want, (got, want)
PY
  user=$(sed -n 3p "$work/users.txt")
  curl --silent --show-error --fail --cacert "$work/ca.pem" -X POST \
    "$tenant/sim/devices?realm=alpha&user=$user&type=push" >/dev/null || fail "register"
  "$devreset" run --tenant "$tenant" --ca-file "$work/ca.pem" --token-file "$work/token.txt" --progress none \
    --plan "$work/plan.jsonl" --ledger "$work/run.jsonl" --yes 2>"$work/err" || fail "run --plan: $(cat "$work/err")"
  "$devreset" report "$work/run.jsonl" | grep -q "^Since the plan: 1 device(s) added (added_since_plan), 0 gone" \
    || fail "drift: $("$devreset" report "$work/run.jsonl")"
  ;;
*)
  fail "no case $case_name"
  ;;
esac
echo "PASS ($case_name)"
