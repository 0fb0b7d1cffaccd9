#!/usr/bin/env bash
# Issue 34, through the binary: a self-managed PingAM (devreset sim --am-admin), signed in to
# as its administrator; sessions that end mid-run, wrong passwords, journeys with callbacks,
# a changed cookie name, user names in the paths, the password never shown.
# Usage: am_test.sh /path/to/devreset CASE
set -euo pipefail
source "$(dirname "$0")/lib.sh"

password="Pa55-w0rd-$RANDOM-sentinel"
printf '%s\n' "$password" >"$work/pw.txt"

start_am() {  # extra sim options: a self-managed AM whose administrator is amadmin
  start_sim --am-admin amadmin --am-password-file "$work/pw.txt" "$@"
  # devreset run as amadmin (password from the file): "${run_am[@]}" and the caller's flags
  # (an array, not a function: a run in the background is then devreset itself, which a
  # signal reaches)
  run_am=("$devreset" run --tenant "$tenant" --realm alpha --ca-file "$work/ca.pem"
    --am-user amadmin --am-password-file "$work/pw.txt" --progress plain)
}
names() {  # N: the user names of the first N seeded users, as a CSV
  echo user_name
  for ((i = 0; i < $1; i++)); do printf 'user%06d\n' "$i"; done
}
sessions() { json_get "$(stats)" "[\"am_sessions\"][\"$1\"]"; }
no_password_in() {  # files...: none holds the password
  if grep -l -- "$password" "$@" 2>/dev/null; then fail "the password is in the files above"; fi
  return 0
}

case "$case_name" in
sessions_end_mid_run)
  # Sessions end every 3 s; the run lasts several times that: one sign-in per end, for all
  # workers at once, and every request refused by an ended session is sent again.
  start_am --users 900 --session-max 3s --latency 20ms
  names 900 >"$work/in.csv"
  # 8 workers: more requests meet an ended session at once than --max-auth-failures (5)
  exit_code rc "${run_am[@]}" --input "$work/in.csv" --ledger "$work/l.jsonl" --yes --concurrency 8 2>"$work/err"
  [[ $rc -eq 0 ]] || fail "exit $rc: $(cat "$work/err")"
  [[ $(count_records "$work/l.jsonl" ok) -eq 900 ]] || fail "not 900 ok: $(tail -3 "$work/err")"
  s=$(stats)
  ended=$(json_get "$s" '["am_sessions"]["ended"]')
  signed_in=$(json_get "$s" '["am_sessions"]["sign_ins"]')
  signed_out=$(json_get "$s" '["am_sessions"]["sign_outs"]')
  ((ended >= 3)) || fail "only $ended sessions ended during the run"
  # The last session is signed out, unless it ended in the very moment before.
  [[ $signed_in -eq $((ended + signed_out)) ]] || fail "$signed_in sign-ins for $ended ends: $s"
  [[ $(json_get "$s" '["am_sessions"]["live"]') -eq 0 ]] || fail "a session was left open"
  [[ $(json_get "$s" '["resets_per_user"]["2+"]') -eq 0 ]] || fail "someone was reset twice: $s"
  grep -q "signed out of AM (the AM session of 'amadmin')" "$work/err" || [[ $signed_out -eq 0 ]] ||
    fail "the sign-out was not logged: $(cat "$work/err")"
  ;;
wrong_password)
  start_am --users 20
  names 5 >"$work/in.csv"
  echo "not-the-password" >"$work/bad.txt"
  exit_code rc "$devreset" run --tenant "$tenant" --realm alpha --ca-file "$work/ca.pem" \
    --am-user amadmin --am-password-file "$work/bad.txt" --input "$work/in.csv" \
    --ledger "$work/l.jsonl" --yes 2>"$work/err"
  [[ $rc -eq 3 ]] || fail "exit $rc: $(cat "$work/err")"
  grep -q "AM refused the sign-in of 'amadmin' with the realm's default journey (401 Unauthorized: Login failure): check --am-user and the password" "$work/err" ||
    fail "$(cat "$work/err")"
  [[ $(sessions refused) -eq 1 ]] || fail "the sign-in was tried again: $(stats)"
  [[ $(json_get "$(stats)" '["devices_left"]["oath"]') -gt 0 ]] || fail "devices were removed"
  grep -q "not-the-password" "$work/err" && fail "the password was shown"
  ;;
journey_with_callbacks)
  start_am --users 20 --callback-tree ldapService
  names 5 >"$work/in.csv"
  exit_code rc "${run_am[@]}" --auth-tree ldapService --input "$work/in.csv" --ledger "$work/l.jsonl" --yes 2>"$work/err"
  [[ $rc -eq 3 ]] || fail "exit $rc: $(cat "$work/err")"
  grep -q "the journey 'ldapService' asks for more than a user name and password (NameCallback, ChoiceCallback): use --auth-tree with one that takes both (the sign-in of 'amadmin')" "$work/err" ||
    fail "$(cat "$work/err")"
  [[ $(sessions sign_ins) -eq 0 ]] || fail "a session was opened"
  ;;
a_changed_cookie_name)
  # The session goes in the header serverinfo names; the sim takes it nowhere else.
  start_am --users 50 --cookie-name amSessionX
  names 50 >"$work/in.csv"
  exit_code rc "${run_am[@]}" --input "$work/in.csv" --ledger "$work/l.jsonl" --yes 2>"$work/err"
  [[ $rc -eq 0 ]] || fail "exit $rc: $(cat "$work/err")"
  [[ $(count_records "$work/l.jsonl" ok) -eq 50 ]] || fail "not 50 ok"
  [[ $(sessions sign_ins) -eq 1 && $(sessions sign_outs) -eq 1 ]] || fail "sessions: $(stats)"
  unauthorized=$(python3 -c 'import json,sys; s=json.loads(sys.argv[1]); print(sum(v.get("401",0) for v in s["by_endpoint"].values()))' "$(stats)")
  [[ $unauthorized -eq 0 ]] || fail "$unauthorized requests refused"
  ;;
the_password_is_never_shown)
  # From the environment and from a file: not in any file the run wrote, its output, its
  # command line or its environment while it runs, nor in --show-options.
  start_am --users 200 --latency 30ms
  names 200 >"$work/in.csv"
  DEVRESET_AM_PASSWORD="$password" "$devreset" run --tenant "$tenant" --realm alpha \
    --ca-file "$work/ca.pem" --am-user amadmin --progress plain --input "$work/in.csv" \
    --ledger "$work/l.jsonl" --yes --concurrency 2 --summary-json "$work/summary.json" \
    --metrics-file "$work/metrics.prom" --log-format json >"$work/out" 2>"$work/err" &
  pid=$!
  wait_for_users "$work/l.jsonl" 3
  tr '\0' '\n' <"/proc/$pid/cmdline" >"$work/cmdline" || true
  tr '\0' '\n' <"/proc/$pid/environ" >"$work/environ" || true
  exit_code rc wait "$pid"
  [[ $rc -eq 0 ]] || fail "exit $rc: $(cat "$work/err")"
  [[ -s "$work/environ" ]] || fail "the environment could not be read while the run went"
  "${run_am[@]}" --input "$work/in.csv" --ledger "$work/l2.jsonl" --yes --show-options >"$work/shown" 2>&1 || true
  grep -q "am-password-file" "$work/shown" || fail "--show-options: $(cat "$work/shown")"
  exit_code rc "${run_am[@]}" --input "$work/in.csv" --ledger "$work/l3.jsonl" --yes --not-found-ok >"$work/out2" 2>"$work/err2"
  [[ $rc -eq 0 ]] || fail "exit $rc with the password file: $(cat "$work/err2")"
  "$devreset" report "$work/l.jsonl" --format html --out "$work/report.html" >/dev/null 2>&1 || true
  no_password_in "$work/l.jsonl" "$work/l3.jsonl" "$work/summary.json" "$work/metrics.prom" \
    "$work/out" "$work/err" "$work/out2" "$work/err2" "$work/cmdline" "$work/environ" \
    "$work/shown" "$work/report.html"
  ;;
sign_out_after_ctrl_c)
  start_am --users 2000 --latency 30ms
  names 2000 >"$work/in.csv"
  "${run_am[@]}" --input "$work/in.csv" --ledger "$work/l.jsonl" --yes --concurrency 2 --grace 2s \
    >"$work/out" 2>"$work/err" &
  pid=$!
  wait_for_users "$work/l.jsonl" 5
  kill -INT "$pid"
  exit_code rc wait "$pid"
  [[ $rc -eq 3 ]] || fail "exit $rc: $(cat "$work/err")"
  [[ $(sessions sign_outs) -eq 1 && $(sessions live) -eq 0 ]] || fail "not signed out: $(stats)"
  grep -q "signed out of AM (the AM session of 'amadmin')" "$work/err" || fail "$(cat "$work/err")"
  ;;
user_names_in_the_path)
  # Names holding what a path or a query could read otherwise reach their own user only:
  # `a?b=1` never reaches `a`, `100%25` never `100%`, `a/b` never `a`.
  hostile=('a/b' 'a?b=1' '100%25' 'with space' 'Zoë' '..' '#frag')
  decoys=('a' '100%' 'b=1')
  args=()
  for n in "${hostile[@]}" "${decoys[@]}"; do args+=(--extra-user "$n"); done
  start_am --users 10 "${args[@]}"
  { echo user_name; printf '%s\n' "${hostile[@]}"; } >"$work/in.csv"
  exit_code rc "${run_am[@]}" --input "$work/in.csv" --ledger "$work/l.jsonl" --yes --types oath 2>"$work/err"
  [[ $rc -eq 0 ]] || fail "exit $rc: $(cat "$work/err")"
  [[ $(count_records "$work/l.jsonl" ok) -eq ${#hostile[@]} ]] || fail "not all ok: $(cat "$work/l.jsonl")"
  # The decoys still have their devices: a plan of them finds one each.
  { echo user_name; printf '%s\n' "${decoys[@]}"; } >"$work/decoys.csv"
  "$devreset" plan --tenant "$tenant" --realm alpha --ca-file "$work/ca.pem" --am-user amadmin \
    --am-password-file "$work/pw.txt" --progress none --input "$work/decoys.csv" \
    --ledger "$work/p.jsonl" --types oath 2>"$work/perr" || fail "plan: $(cat "$work/perr")"
  python3 - "$work/p.jsonl" <<'PY' || fail "a decoy lost its device: $(cat "$work/p.jsonl")"
import json, sys
recs = [r for r in map(json.loads, open(sys.argv[1])) if r.get("record") == "user"]
assert len(recs) == 3 and all(r["status"] == "planned" and r["results"][0]["found"] == 1 for r in recs), recs
PY
  ;;
mails_resolved_in_batches)
  start_am --users 100
  { echo mail; for ((i = 0; i < 60; i++)); do printf 'user%06d@example.com\n' "$i"; done; } >"$work/in.csv"
  exit_code rc "${run_am[@]}" --input "$work/in.csv" --ledger "$work/l.jsonl" --yes --not-found-ok 2>"$work/err"
  [[ $rc -eq 0 || $rc -eq 1 ]] || fail "exit $rc: $(cat "$work/err")"
  # user000048's mail names two users, user000049's nobody (the sim's every 50th)
  [[ $(count_records "$work/l.jsonl" ok) -eq 58 ]] || fail "not 58 ok: $(tail -3 "$work/err")"
  queries=$(json_get "$(stats)" '["am_users"]["queries"]')
  ((queries <= 4)) || fail "$queries look-ups for 60 mails (3 batches and the preflight's)"
  [[ $(json_get "$(stats)" '["idm"]["queries"]') -eq 0 ]] || fail "IDM was asked"
  ;;
a_non_admin_is_named)
  start_am --users 20 --am-non-admin demo
  names 5 >"$work/in.csv"
  exit_code rc "$devreset" run --tenant "$tenant" --realm alpha --ca-file "$work/ca.pem" \
    --am-user demo --am-password-file "$work/pw.txt" --input "$work/in.csv" \
    --ledger "$work/l.jsonl" --yes 2>"$work/err"
  # A credential the preflight proves refused is a mistake to fix: exit 2, as for any token.
  [[ $rc -eq 2 ]] || fail "exit $rc: $(cat "$work/err")"
  grep -q "the AM session of 'demo' (403 Forbidden: User not permitted.)" "$work/err" || fail "$(cat "$work/err")"
  [[ $(sessions sign_outs) -eq 1 ]] || fail "the session was not signed out: $(stats)"
  ;;
query_reads_am_users_page_by_page)
  start_am --users 300
  exit_code rc "${run_am[@]}" --query 'uid sw "user0001"' --page-size 10 --ledger "$work/l.jsonl" --yes 2>"$work/err"
  [[ $rc -eq 0 ]] || fail "exit $rc: $(cat "$work/err")"
  [[ $(count_records "$work/l.jsonl" ok) -eq 100 ]] || fail "not 100 ok: $(tail -3 "$work/err")"
  queries=$(json_get "$(stats)" '["am_users"]["queries"]')
  ((queries >= 10)) || fail "$queries pages for 100 users of 10 a page"
  ;;
plan_resume_and_plan_applied)
  start_am --users 200 --latency 20ms
  names 200 >"$work/in.csv"
  "$devreset" plan --tenant "$tenant" --realm alpha --ca-file "$work/ca.pem" --am-user amadmin \
    --am-password-file "$work/pw.txt" --progress none --input "$work/in.csv" \
    --ledger "$work/plan.jsonl" 2>"$work/perr" || fail "plan: $(cat "$work/perr")"
  "${run_am[@]}" --plan "$work/plan.jsonl" --ledger "$work/l.jsonl" --yes --concurrency 2 >"$work/out" 2>"$work/err" &
  pid=$!
  wait_for_users "$work/l.jsonl" 10
  kill -INT "$pid"
  exit_code rc wait "$pid"
  [[ $rc -eq 3 ]] || fail "interrupted: exit $rc: $(cat "$work/err")"
  exit_code rc "${run_am[@]}" --plan "$work/plan.jsonl" --ledger "$work/l.jsonl" --yes --resume 2>"$work/err2"
  [[ $rc -eq 0 ]] || fail "resume: exit $rc: $(cat "$work/err2")"
  [[ $(count_records "$work/l.jsonl" ok) -eq 200 ]] || fail "not 200 ok"
  [[ $(json_get "$(stats)" '["resets_per_user"]["2+"]') -eq 0 ]] || fail "someone was reset twice"
  [[ $(sessions live) -eq 0 ]] || fail "a session was left open: $(stats)"
  ;;
the_preflight_names_what_is_wrong)
  # Sign-in, then the first user's devices: a wrong AM path, realm, CA or host in one line.
  start_am --users 20
  names 3 >"$work/in.csv"
  base=(--am-user amadmin --am-password-file "$work/pw.txt" --input "$work/in.csv" --yes)
  exit_code rc "$devreset" run --tenant "$tenant/openam" --realm alpha --ca-file "$work/ca.pem" \
    "${base[@]}" --ledger "$work/l1.jsonl" 2>"$work/err"
  [[ $rc -eq 2 ]] || fail "wrong AM path: exit $rc: $(cat "$work/err")"
  grep -q "nothing signs in at /openam/json/realms/root/authenticate (404 Not Found.*is --am-path right?" "$work/err" ||
    fail "$(cat "$work/err")"
  exit_code rc "$devreset" run --tenant "$tenant" --realm beta --ca-file "$work/ca.pem" \
    "${base[@]}" --ledger "$work/l2.jsonl" 2>"$work/err"
  [[ $rc -eq 2 ]] || fail "wrong realm: exit $rc: $(cat "$work/err")"
  grep -q "realm 'beta' does not exist" "$work/err" || fail "$(cat "$work/err")"
  exit_code rc "$devreset" run --tenant "$tenant" --realm alpha "${base[@]}" --ledger "$work/l3.jsonl" 2>"$work/err"
  [[ $rc -eq 3 ]] || fail "unknown CA: exit $rc: $(cat "$work/err")"
  grep -q "the sign-in of 'amadmin' could not reach AM: .*certificate" "$work/err" || fail "$(cat "$work/err")"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  exit_code rc "$devreset" run --tenant "https://127.0.0.1:$port" --realm alpha --ca-file "$work/ca.pem" \
    "${base[@]}" --ledger "$work/l4.jsonl" --max-attempts 1 2>"$work/err"
  [[ $rc -eq 3 ]] || fail "nothing listening: exit $rc: $(cat "$work/err")"
  grep -q "the sign-in of 'amadmin' could not reach AM: .*refused" "$work/err" || fail "$(cat "$work/err")"
  [[ $(sessions live) -eq 0 ]] || fail "a session was left open: $(stats)"
  ;;
a_name_and_password_beyond_ascii)
  # AM reads X-OpenAM-Username and -Password as ISO-8859-1 unless they are RFC 2047 encoded
  # words of UTF-8: an administrator 'ådmïn' with the password 'Pässwörd£…' signs in.
  printf '%s\n' "Pässwörd£-$password" >"$work/pw8.txt"
  start_sim --users 20 --am-admin 'ådmïn' --am-password-file "$work/pw8.txt"
  names 5 >"$work/in.csv"
  exit_code rc "$devreset" run --tenant "$tenant" --realm alpha --ca-file "$work/ca.pem" \
    --am-user 'ådmïn' --am-password-file "$work/pw8.txt" --input "$work/in.csv" \
    --ledger "$work/l.jsonl" --yes 2>"$work/err"
  [[ $rc -eq 0 ]] || fail "exit $rc: $(cat "$work/err")"
  [[ $(sessions sign_ins) -eq 1 && $(sessions refused) -eq 0 ]] || fail "$(stats)"
  grep -q "signed out of AM (the AM session of 'ådmïn')" "$work/err" || fail "$(cat "$work/err")"
  no_password_in "$work/err" "$work/l.jsonl"
  # Nor as it went on the wire.
  wire=$(printf '%s' "Pässwörd£-$password" | base64 -w0)
  if grep -l -- "$wire" "$work/err" "$work/l.jsonl"; then fail "the encoded password is in the files above"; fi
  ;;
the_sample_config_works)
  # samples/self-managed-am.conf as shipped, with this sim's address, CA and password file.
  start_am --users 30
  names 30 >"$work/in.csv"
  conf="$(dirname "$0")/../../samples/self-managed-am.conf"
  exit_code rc "$devreset" run --config "$conf" --tenant "$tenant/am" --realm alpha \
    --ca-file "$work/ca.pem" --am-password-file "$work/pw.txt" --rate 0 \
    --input "$work/in.csv" --ledger "$work/l.jsonl" --yes 2>"$work/err"
  [[ $rc -eq 0 ]] || fail "exit $rc: $(cat "$work/err")"
  [[ $(count_records "$work/l.jsonl" ok) -eq 30 ]] || fail "not 30 ok"
  grep -q '"user_path":"name","users_at":"am"' "$work/l.jsonl" || fail "the run record: $(head -1 "$work/l.jsonl")"
  ;;
*)
  fail "no such case"
  ;;
esac
echo "PASS ($case_name)"
