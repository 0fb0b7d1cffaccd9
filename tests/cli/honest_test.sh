#!/usr/bin/env bash
# The ledger, the report and the exit codes never claim more than was done (issues 17, 20,
# 23): a wrong address, another tenant's ledger, an interrupted run, a tenant that goes
# away, two runs on one ledger, a dead pipe. Each case runs the binary against
# `devreset sim` on 127.0.0.1.
# Usage: honest_test.sh /path/to/devreset CASE
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# The user records of a ledger, and the requests the sim counted that change something
# (a reset or a delete; the preflight's one read of the first user's devices changes nothing).
user_records() { grep -c '"record":"user"' "$1" || true; }
changing_requests() {
  python3 -c 'import json,sys; s=json.loads(sys.argv[1]); print(sum(sum(v.values()) for k,v in s["by_endpoint"].items() if k.split(":")[0] in ("reset","delete")))' "$1" 2>/dev/null ||
    echo "json_get:error"
}
no_tty() { setsid -w "$@"; }  # no controlling terminal, as under cron

case "$case_name" in
resume_on_another_tenant_is_refused)
  # Issue 20: tenant A's ledger must not make a run on tenant B (same users) skip anyone.
  start_sim --users 20
  start_other_sim --users 20
  run --input "$work/users.txt" --ledger "$work/l.jsonl" --yes 2>"$work/err" || fail "run on A: $(cat "$work/err")"
  cp "$work/l.jsonl" "$work/before"
  exit_code rc run_b --input "$work/users.txt" --ledger "$work/l.jsonl" --yes --resume 2>"$work/err"
  [[ $rc -eq 2 ]] || fail "resume on B exited $rc, not 2: $(cat "$work/err")"
  grep -q "ledger $work/l.jsonl records runs on ${tenant}/am; this run is on ${tenant_b}/am: use a new ledger" "$work/err" \
    || fail "no line naming both tenants: $(cat "$work/err")"
  cmp -s "$work/l.jsonl" "$work/before" || fail "the ledger changed"
  [[ $(json_get "$(stats_b)" '["requests"]') -eq 0 ]] || fail "requests were sent to B"
  # A ledger of its own for B: every user of B reset.
  run_b --input "$work/users.txt" --ledger "$work/b.jsonl" --yes 2>"$work/err" || fail "run on B: $(cat "$work/err")"
  [[ $(count_records "$work/b.jsonl" ok) -eq 20 ]] || fail "not 20 ok on B"
  [[ $(json_get "$(stats_b)" '["devices_left"]["oath"]') -eq 0 ]] || fail "B kept oath devices"
  ;;
ledger_of_two_tenants_resumes_its_own_part)
  # A ledger that mixes tenants (runs appended by hand, or by an older devreset): a resume
  # on B counts only B's records as done.
  start_sim --users 30
  start_other_sim --users 30
  run --input "$work/users.txt" --ledger "$work/a.jsonl" --yes 2>"$work/err" || fail "run on A: $(cat "$work/err")"
  head -10 "$work/users.txt" >"$work/first10.txt"
  run_b --input "$work/first10.txt" --ledger "$work/b.jsonl" --yes 2>"$work/err" || fail "run on B: $(cat "$work/err")"
  cat "$work/a.jsonl" "$work/b.jsonl" >"$work/mixed.jsonl"
  before=$(json_get "$(stats_b)" '["requests"]')
  run_b --input "$work/users.txt" --ledger "$work/mixed.jsonl" --yes --resume 2>"$work/err" || fail "resume on B: $(cat "$work/err")"
  grep -q "also records runs on ${tenant}/am; only the runs on ${tenant_b}/am count" "$work/err" || fail "no note: $(cat "$work/err")"
  grep -q "already done 10" "$work/err" || fail "B's 10 done users were not skipped: $(cat "$work/err")"
  grep -q "Users:  ok 20" "$work/err" || fail "the 20 users done only on A were skipped: $(cat "$work/err")"
  s=$(stats_b)
  [[ $(json_get "$s" '["devices_left"]["oath"]') -eq 0 && $(json_get "$s" '["resets_per_user"]["2+"]') -eq 0 ]] \
    || fail "B: $s"
  ;;
failed_out_names_its_tenant)
  # report --failed-out names tenant and realm in its first line; a run elsewhere warns.
  start_sim --users 40 --fail-rate 0.5
  start_other_sim --users 40
  run --input "$work/users.txt" --ledger "$work/l.jsonl" --yes --max-attempts 1 --types oath 2>"$work/err" || true
  exit_code rc "$devreset" report "$work/l.jsonl" --failed-out "$work/retry.csv" >"$work/report.txt"
  [[ $rc -eq 1 ]] || fail "report of a run with failures exited $rc"
  head -1 "$work/retry.csv" | grep -qx "# devreset: tenant ${tenant}/am realm /realms/root/realms/alpha" \
    || fail "first line: $(head -1 "$work/retry.csv")"
  sed -n 2p "$work/retry.csv" | grep -qx "user_id,user_name,mail,types,realm" || fail "no header after the comment"
  todo=$(($(wc -l <"$work/retry.csv") - 2))
  (( todo > 0 )) || fail "nothing to retry"
  run_b --input "$work/retry.csv" --ledger "$work/b.jsonl" --yes 2>"$work/err" || fail "run on B: $(cat "$work/err")"
  grep -q "warning: $work/retry.csv was written for ${tenant}/am, and this run is on ${tenant_b}/am" "$work/err" \
    || fail "no warning: $(cat "$work/err")"
  [[ $(count_records "$work/b.jsonl" ok) -eq $todo ]] || fail "the comment line was read as a user"
  run --input "$work/retry.csv" --ledger "$work/l.jsonl" --yes --resume --max-attempts 20 --backoff-base 5ms 2>"$work/err2" \
    || fail "rerun on A: $(cat "$work/err2")"
  grep -q "warning" "$work/err2" && fail "warned on its own tenant: $(cat "$work/err2")"
  true
  ;;
wrong_realm_costs_one_line)
  # Issue 17: a typo in the realm is one line and no user record, not 50 "not found".
  start_sim --users 50
  exit_code rc "$devreset" run --tenant "$tenant" --realm beta --ca-file "$work/ca.pem" --token-file "$work/token.txt" \
    --input "$work/users.txt" --ledger "$work/l.jsonl" --yes 2>"$work/err"
  [[ $rc -eq 2 ]] || fail "exit $rc, not 2: $(cat "$work/err")"
  grep -q "preflight: realm 'beta' does not exist on ${tenant}/am (404 Not Found: Realm \"/beta\" not found): check --realm" "$work/err" \
    || fail "$(cat "$work/err")"
  [[ ! -s "$work/l.jsonl" ]] || fail "the ledger holds: $(cat "$work/l.jsonl")"
  s=$(stats)
  [[ $(changing_requests "$s") -eq 0 ]] || fail "changes were sent: $s"
  (( $(json_get "$s" '["requests"]') <= 2 )) || fail "more than the preflight's reads: $s"
  # The same command with the realm fixed runs, without --resume.
  run --input "$work/users.txt" --ledger "$work/l.jsonl" --yes 2>"$work/err" || fail "fixed: $(cat "$work/err")"
  [[ $(count_records "$work/l.jsonl" ok) -eq 50 ]] || fail "not 50 ok"
  ;;
wrong_am_path_costs_one_line)
  start_sim --users 50
  exit_code rc run --am-path /openam --input "$work/users.txt" --ledger "$work/l.jsonl" --yes 2>"$work/err"
  [[ $rc -eq 2 ]] || fail "exit $rc, not 2: $(cat "$work/err")"
  grep -q "preflight: nothing answers at ${tenant}/openam/json/realms/root/realms/alpha (404 Not Found (an HTML page: \"HTTP Status 404 – Not Found\")): is --am-path right?" "$work/err" \
    || fail "$(cat "$work/err")"
  [[ ! -s "$work/l.jsonl" ]] || fail "the ledger holds: $(cat "$work/l.jsonl")"
  [[ $(user_records "$work/l.jsonl") -eq 0 ]] || fail "user records"
  ;;
html_server_is_not_a_tenant)
  # A URL that points at a web server (here the sim with AM elsewhere): HTML 404s are not
  # "user not found", in the preflight or after it.
  start_sim --users 30 --am-path /elsewhere
  exit_code rc run --input "$work/users.txt" --ledger "$work/l.jsonl" --yes 2>"$work/err"
  [[ $rc -eq 2 ]] || fail "exit $rc, not 2: $(cat "$work/err")"
  grep -q "nothing answers at ${tenant}/am/json" "$work/err" || fail "$(cat "$work/err")"
  [[ ! -s "$work/l.jsonl" ]] || fail "the ledger holds records"
  ;;
not_found_storm_guard)
  # The first 20 users all "not found": a wrong tenant, stop (exit 3) and say so; the
  # switch turns the guard off for a list of leavers (then exit 1, never 0).
  start_sim --users 5
  python3 -c 'import uuid
for i in range(40): print(uuid.UUID(int=0xdead0000 + i))' >"$work/gone.txt"
  exit_code rc run --input "$work/gone.txt" --ledger "$work/l.jsonl" --yes --concurrency 1 2>"$work/err"
  [[ $rc -eq 3 ]] || fail "exit $rc, not 3: $(cat "$work/err")"
  grep -q "the first 20 users were all not found: is this the right tenant and realm?" "$work/err" || fail "$(cat "$work/err")"
  [[ $(count_records "$work/l.jsonl" not_found) -eq 20 ]] || fail "not 20 not_found records before the stop"
  grep -q '"end":"aborted"' "$work/l.jsonl" || fail "no aborted summary"
  exit_code rc run --input "$work/gone.txt" --ledger "$work/l2.jsonl" --yes --not-found-guard 0 2>"$work/err2"
  [[ $rc -eq 1 ]] || fail "guard off: exit $rc, not 1: $(cat "$work/err2")"
  [[ $(count_records "$work/l2.jsonl" not_found) -eq 40 ]] || fail "guard off: not 40 not_found"
  grep -q "To retry" "$work/err2" && fail "advised a retry that would fail again: $(cat "$work/err2")"
  true
  ;;
a_few_missing_users_do_not_abort)
  start_sim --users 30
  { python3 -c 'import uuid
for i in range(3): print(uuid.UUID(int=0xdead0000 + i))'; cat "$work/users.txt"; } >"$work/in.txt"
  exit_code rc run --input "$work/in.txt" --ledger "$work/l.jsonl" --yes --concurrency 2 2>"$work/err"
  [[ $rc -eq 1 ]] || fail "exit $rc, not 1: $(cat "$work/err")"
  [[ $(count_records "$work/l.jsonl" not_found) -eq 3 && $(count_records "$work/l.jsonl" ok) -eq 30 ]] \
    || fail "$(cat "$work/err")"
  grep -q "the tenant says the user does not exist (404)" "$work/l.jsonl" || fail "no reason recorded"
  ;;
report_counts_users_not_reached)
  # Issue 23: after Ctrl-C, report names the users not reached, --failed-out lists them,
  # and a run of that list finishes the job.
  start_sim --users 600 --latency 20ms
  "$devreset" run --tenant "$tenant" --realm alpha --ca-file "$work/ca.pem" --token-file "$work/token.txt" \
    --progress none --input "$work/users.txt" --ledger "$work/l.jsonl" --yes --concurrency 2 --grace 2s 2>"$work/err" &
  pid=$!
  wait_for_users "$work/l.jsonl" 5
  kill -INT "$pid"
  exit_code rc wait "$pid"
  [[ $rc -eq 3 ]] || fail "interrupted run exited $rc"
  done_n=$(count_records "$work/l.jsonl" ok)
  left=$((600 - done_n))
  (( left > 0 )) || fail "every user was done before the interrupt"
  exit_code rc "$devreset" report "$work/l.jsonl" --failed-out "$work/retry.csv" >"$work/report.txt"
  [[ $rc -eq 1 ]] || fail "report exited $rc after an interrupted run: $(cat "$work/report.txt")"
  grep -q "^$left user(s) of $work/users.txt not reached: the run was interrupted.$" "$work/report.txt" \
    || fail "report: $(cat "$work/report.txt")"
  [[ $(($(wc -l <"$work/retry.csv") - 2)) -eq $left ]] || fail "--failed-out has not the $left users left"
  "$devreset" report "$work/l.jsonl" --format json >"$work/report.json" && fail "json report exited 0"
  [[ $(json_get "$(cat "$work/report.json")" '["not_reached"]') -eq $left ]] || fail "$(cat "$work/report.json")"
  run --input "$work/retry.csv" --ledger "$work/l.jsonl" --yes --resume --concurrency 16 2>"$work/err2" \
    || fail "the rerun exited $?: $(cat "$work/err2")"
  "$devreset" report "$work/l.jsonl" >"$work/report2.txt" || fail "report after the rerun: $(cat "$work/report2.txt")"
  grep -q "Users:  ok 600" "$work/report2.txt" || fail "$(cat "$work/report2.txt")"
  [[ $(json_get "$(stats)" '["devices_left"]["oath"]') -eq 0 ]] || fail "oath devices left"
  ;;
tenant_that_goes_away_aborts)
  # The tenant stops answering mid-run: an abort (exit 3) with one line, soon; users in
  # flight are not reached (no record), not failed.
  start_sim --users 3000 --latency 5ms
  "$devreset" run --tenant "$tenant" --realm alpha --ca-file "$work/ca.pem" --token-file "$work/token.txt" \
    --progress none --input "$work/users.txt" --ledger "$work/l.jsonl" --yes --concurrency 8 --rate 200 \
    --backoff-base 20ms --backoff-cap 200ms 2>"$work/err" &
  pid=$!
  wait_for_users "$work/l.jsonl" 20
  kill "$sim_pid"; wait "$sim_pid" 2>/dev/null || true; sim_pid=""
  start=$SECONDS
  exit_code rc wait "$pid"
  [[ $rc -eq 3 ]] || fail "exit $rc, not 3: $(tail -5 "$work/err")"
  (( SECONDS - start < 60 )) || fail "took $((SECONDS - start)) s to give up"
  grep -q "aborted: the tenant stopped answering at 20[0-9-]*T[0-9:.]*Z: .*refused" "$work/err" || fail "$(tail -5 "$work/err")"
  grep -q '"end":"aborted"' "$work/l.jsonl" || fail "no summary record"
  failed=$(count_records "$work/l.jsonl" failed)
  (( failed <= 8 )) || fail "$failed users recorded failed for an outage"
  ;;
two_runs_on_one_ledger)
  # A cron job and a manual rerun on the same ledger: the second is refused, naming the first.
  start_sim --users 400 --latency 20ms
  run --input "$work/users.txt" --ledger "$work/l.jsonl" --yes --concurrency 2 2>"$work/err1" &
  pid=$!
  wait_for_file "$work/l.jsonl"
  exit_code rc run --input "$work/users.txt" --ledger "$work/l.jsonl" --yes --resume 2>"$work/err2"
  [[ $rc -eq 2 ]] || fail "second run exited $rc, not 2: $(cat "$work/err2")"
  grep -q "ledger $work/l.jsonl is in use by another devreset (PID [0-9]*)" "$work/err2" || fail "$(cat "$work/err2")"
  wait "$pid" || fail "the first run failed: $(cat "$work/err1")"
  [[ $(json_get "$(stats)" '["resets_per_user"]["2+"]') -eq 0 ]] || fail "users reset twice"
  [[ $(grep -c '"record":"run"' "$work/l.jsonl") -eq 1 ]] || fail "two runs in the ledger"
  # report reads without the lock while a run holds it.
  "$devreset" run --tenant "$tenant" --realm alpha --ca-file "$work/ca.pem" --token-file "$work/token.txt" \
    --input "$work/users.txt" --ledger "$work/l3.jsonl" --yes --concurrency 1 2>/dev/null &
  pid=$!  # devreset itself (a function run in the background is a subshell that ignores SIGINT)
  wait_for_file "$work/l3.jsonl"
  "$devreset" report "$work/l3.jsonl" >"$work/report.txt" || true
  grep -q "^Ledger " "$work/report.txt" || fail "report refused a locked ledger: $(cat "$work/report.txt")"
  kill -INT "$pid"; wait "$pid" || true
  ;;
ctrl_c_through_a_pipe)
  # `devreset run … 2>&1 | tee log`, Ctrl-C: tee dies first; devreset must not die of
  # SIGPIPE: it ends with exit 3 and its summary record.
  start_sim --users 2000 --latency 20ms
  mkfifo "$work/pipe"
  cat "$work/pipe" >/dev/null &
  reader=$!
  "$devreset" run --tenant "$tenant" --realm alpha --ca-file "$work/ca.pem" --token-file "$work/token.txt" \
    --progress bar --input "$work/users.txt" --ledger "$work/l.jsonl" --yes --concurrency 2 --grace 1s \
    >"$work/pipe" 2>&1 &
  pid=$!
  wait_for_users "$work/l.jsonl" 5
  kill "$reader"; wait "$reader" 2>/dev/null || true
  sleep 1.2  # a progress line or two goes to the dead pipe
  kill -INT "$pid"
  exit_code rc wait "$pid"
  [[ $rc -eq 3 ]] || fail "exit $rc, not 3 (141 is SIGPIPE)"
  grep -q '"record":"summary".*"end":"interrupted"' "$work/l.jsonl" || fail "no summary record"
  # stderr closed altogether: the run finishes as usual.
  "$devreset" run --tenant "$tenant" --realm alpha --ca-file "$work/ca.pem" --token-file "$work/token.txt" \
    --progress bar --input "$work/users.txt" --ledger "$work/l2.jsonl" --yes --concurrency 16 2>&- \
    || fail "with stderr closed: exit $?"
  grep -q '"record":"summary".*"end":"finished"' "$work/l2.jsonl" || fail "no summary record (stderr closed)"
  ;;
failed_preflight_then_fixed)
  # A wrong token: exit 2 (fix the command), the advice names the problem (not --resume), the ledger stays
  # empty, and the same command with the token fixed runs without --resume.
  start_sim --users 10
  echo wrong-token >"$work/token.txt"
  exit_code rc run --input "$work/users.txt" --ledger "$work/l.jsonl" --yes 2>"$work/err"
  [[ $rc -eq 2 ]] || fail "exit $rc, not 2"
  grep -q "preflight: the tenant refused the token" "$work/err" || fail "$(cat "$work/err")"
  grep -q -- "--resume" "$work/err" && fail "advised --resume after a failed preflight: $(cat "$work/err")"
  grep -q "fix the problem above and run the same command again" "$work/err" || fail "$(cat "$work/err")"
  [[ ! -s "$work/l.jsonl" ]] || fail "the ledger holds: $(cat "$work/l.jsonl")"
  echo sim-token >"$work/token.txt"
  run --input "$work/users.txt" --ledger "$work/l.jsonl" --yes 2>"$work/err" || fail "fixed run: $(cat "$work/err")"
  [[ $(count_records "$work/l.jsonl" ok) -eq 10 ]] || fail "not 10 ok"
  ;;
confirmation_despite_redirection)
  # With stderr sent to a file, the question still reaches the terminal and the answer
  # is read from it (not from stdin).
  start_sim --users 20
  cmd="$devreset run --tenant $tenant --realm alpha --ca-file $work/ca.pem --token-file $work/token.txt --input $work/users.txt --ledger $work/l.jsonl --progress none 2>$work/run.log </dev/null"
  echo yes | script -q -e -c "$cmd" /dev/null >"$work/tty" 2>&1 || fail "confirmed run failed: $(cat "$work/tty") $(cat "$work/run.log")"
  grep -q "about to reset the oath,push,webauthn,binding devices of 20 users in realm /realms/root/realms/alpha on ${tenant}/am" "$work/tty" \
    || fail "the terminal did not show the question: $(cat "$work/tty")"
  [[ $(count_records "$work/l.jsonl" ok) -eq 20 ]] || fail "not 20 ok after yes"
  # No terminal at all: refused, as before.
  set +e; no_tty "$devreset" run --tenant "$tenant" --realm alpha --ca-file "$work/ca.pem" --token-file "$work/token.txt" \
    --input "$work/users.txt" --ledger "$work/l2.jsonl" </dev/null 2>"$work/err"; rc=$?; set -e
  [[ $rc -eq 2 ]] || fail "no terminal: exit $rc"
  grep -q "no terminal to ask on; add --yes" "$work/err" || fail "$(cat "$work/err")"
  ;;
plan_is_not_a_failed_run)
  # plan exits 0 when every user was planned, totals the devices it found, never advises
  # --resume; the confirmation of a resumed run says how many users are left.
  start_sim --users 30
  exit_code rc "$devreset" plan --tenant "$tenant" --realm alpha --ca-file "$work/ca.pem" --token-file "$work/token.txt" \
    --input "$work/users.txt" --ledger "$work/p.jsonl" --progress none 2>"$work/err"
  [[ $rc -eq 0 ]] || fail "plan exited $rc: $(cat "$work/err")"
  grep -q -- "--resume" "$work/err" && fail "plan advised --resume: $(cat "$work/err")"
  found=$(python3 - "$work/p.jsonl" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("record") == "user":
        n += sum(x.get("found", 0) for x in r["results"] if x["type"] == "webauthn")
print(n)
PY
)
  grep -q "Would remove: .*webauthn $found" "$work/err" || fail "no device totals (webauthn $found): $(cat "$work/err")"
  head -10 "$work/users.txt" >"$work/ten.txt"
  run --input "$work/ten.txt" --ledger "$work/l.jsonl" --yes 2>/dev/null || fail "run of ten"
  cmd="$devreset run --tenant $tenant --realm alpha --ca-file $work/ca.pem --token-file $work/token.txt --input $work/users.txt --ledger $work/l.jsonl --resume --progress none"
  echo no | script -q -e -c "$cmd" /dev/null >"$work/tty" 2>&1 && fail "ran without a yes"
  grep -q "about 20 users (10 of 30 already done in the ledger)" "$work/tty" || fail "$(cat "$work/tty")"
  ;;
*) fail "unknown case" ;;
esac
echo "$case_name: ok"
