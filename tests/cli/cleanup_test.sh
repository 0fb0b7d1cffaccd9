#!/usr/bin/env bash
# Issue 35, through the binary: a cleanup by age removes exactly the stale devices (checked
# against the sim's own state, not the ledger), keeps every other, never sends the reset
# action, and cuts at one time for the whole job (a resume, a plan's run).
# Usage: cleanup_test.sh /path/to/devreset CASE
set -euo pipefail
source "$(dirname "$0")/lib.sh"

all_types=oath,push,webauthn,binding,profile,trusted
# Last use 10, 89, 91 and 400 days (and a half) before the sim started, and undated ones.
ages=10:0.3,89:0.15,91:0.15,400:0.3,undated:0.1
left_by_age() {  # bucket [types]: devices of those types (default: all) left in the bucket
  python3 -c 'import json,sys; s=json.loads(sys.argv[1])["devices_left_by_age"]; print(sum(v.get(sys.argv[2], 0) for k, v in s.items() if k in sys.argv[3].split(",")))' \
    "$(stats)" "$1" "${2:-$all_types}"
}
reset_actions() {
  python3 -c 'import json,sys; s=json.loads(sys.argv[1]); print(sum(sum(v.values()) for k,v in s["by_endpoint"].items() if k.startswith("reset:")))' "$(stats)"
}
summary_of() {  # ledger, python expression over the last summary record `s`
  python3 - "$1" "$2" <<'PY'
import json, sys
s = [r for r in map(json.loads, open(sys.argv[1])) if r.get("record") == "summary"][-1]
t = s["types"]
print(eval(sys.argv[2]))
PY
}
snapshot() {  # [types]: the devices left per age bucket, as "10 89 91 400 undated"
  echo "$(left_by_age 10 "$@") $(left_by_age 89 "$@") $(left_by_age 91 "$@") $(left_by_age 400 "$@") $(left_by_age undated "$@")"
}

case "$case_name" in
removes_exactly_the_stale_devices)
  start_sim --users 2000 --device-ages "$ages"
  read -r d10 d89 d91 d400 dun <<<"$(snapshot)"
  ((d91 > 0 && d400 > 0 && dun > 0)) || fail "the sim seeded no stale or undated devices"
  exit_code rc run --input "$work/users.txt" --ledger "$work/l.jsonl" --yes --types "$all_types" \
    --unused-for 90d --metrics-file "$work/m.prom" 2>"$work/err"
  [[ $rc -eq 0 ]] || fail "exit $rc: $(tail -5 "$work/err")"
  kept_metric=$(python3 -c 'import re,sys; print(sum(int(m) for m in re.findall(r"^devreset_devices_kept\{[^}]*\} (\d+)$", open(sys.argv[1]).read(), re.M)))' "$work/m.prom")
  if command -v promtool >/dev/null; then promtool check metrics <"$work/m.prom" >/dev/null 2>&1 || fail "promtool: $(promtool check metrics <"$work/m.prom" 2>&1)"; fi
  read -r a10 a89 a91 a400 aun <<<"$(snapshot)"
  [[ "$a10 $a89 $aun" == "$d10 $d89 $dun" ]] || fail "kept: before $d10 $d89 $dun, after $a10 $a89 $aun"
  [[ "$a91 $a400" == "0 0" ]] || fail "stale devices left: $a91 (91 days) $a400 (400 days)"
  [[ $(reset_actions) -eq 0 ]] || fail "the reset action was sent: $(stats)"
  removed=$(summary_of "$work/l.jsonl" 'sum(v.get("devices_removed", 0) for v in t.values())')
  recent=$(summary_of "$work/l.jsonl" 'sum(v.get("kept_recent", 0) for v in t.values())')
  undated=$(summary_of "$work/l.jsonl" 'sum(v.get("kept_undated", 0) for v in t.values())')
  [[ $removed -eq $((d91 + d400)) ]] || fail "the ledger says $removed removed, the sim $((d91 + d400))"
  [[ $recent -eq $((d10 + d89)) && $undated -eq $dun ]] || fail "kept: $recent recent, $undated undated"
  [[ $kept_metric -eq $((recent + undated)) ]] || fail "the metrics say $kept_metric kept"
  # The report (text, JSON, HTML, CSV) counts what the sim shows: removed and kept by type.
  "$devreset" report "$work/l.jsonl" >"$work/report.txt" 2>&1 || true
  grep -q "Devices kept:" "$work/report.txt" || fail "the report: $(cat "$work/report.txt")"
  grep -q "Devices removed by last use:" "$work/report.txt" || fail "the report: $(cat "$work/report.txt")"
  "$devreset" report "$work/l.jsonl" --format json >"$work/report.json" 2>/dev/null || true
  python3 - "$work/report.json" "$recent" "$undated" "$removed" <<'PY' || fail "report json: $(cat "$work/report.json")"
import json, sys
t = json.load(open(sys.argv[1]))["by_type"]
assert sum(v["kept_recent"] for v in t.values()) == int(sys.argv[2])
assert sum(v["kept_undated"] for v in t.values()) == int(sys.argv[3])
assert sum(v["devices_removed"] for v in t.values()) == int(sys.argv[4])
PY
  "$devreset" report "$work/l.jsonl" --html "$work/report.html" >/dev/null 2>&1 || true
  grep -q 'id="kept-recent-oath"' "$work/report.html" || fail "the HTML report has no cleanup table"
  "$devreset" report "$work/l.jsonl" --csv "$work/report.csv" >/dev/null 2>&1 || true
  grep -q "recent, .* undated)" "$work/report.csv" || fail "the CSV: $(head -3 "$work/report.csv")"
  grep -q "only devices unused for 90 days" "$work/err" || fail "the log: $(head -3 "$work/err")"
  python3 - "$work/l.jsonl" <<'PY' || fail "removed devices without their dates"
import json, sys, time
now = time.time() * 1000
for r in map(json.loads, open(sys.argv[1])):
    for t in r.get("results", []):
        for d in t.get("selected", []):
            assert d["last_used_ms"] < now - 90 * 86400000, d
PY
  ;;
undated_remove_is_said_and_done)
  start_sim --users 300 --device-ages "$ages"
  exit_code rc run --input "$work/users.txt" --ledger "$work/l.jsonl" --yes --types "$all_types" \
    --unused-for 90d --undated remove 2>"$work/err"
  [[ $rc -eq 0 ]] || fail "exit $rc: $(tail -5 "$work/err")"
  grep -q "undated devices removed" "$work/err" || fail "$(head -3 "$work/err")"
  [[ "$(left_by_age undated) $(left_by_age 400)" == "0 0" ]] || fail "left: $(snapshot)"
  [[ $(left_by_age 10) -gt 0 ]] || fail "recent devices were removed"
  ;;
both_rules_must_hold)
  # Registered 30 days before their last use: the 91-day ones were registered 121 days ago,
  # after the 200-day cut-off; only the 400-day ones meet both rules. Profiles and trusted
  # devices tell no registration date: undated for this rule, kept.
  start_sim --users 300 --device-ages "$ages"
  dated=oath,push,webauthn,binding
  read -r d10 d89 d91 d400 dun <<<"$(snapshot $dated)"
  before_undated=$(snapshot profile,trusted)
  exit_code rc run --input "$work/users.txt" --ledger "$work/l.jsonl" --yes --types "$all_types" \
    --unused-for 90d --registered-before 200d 2>"$work/err"
  [[ $rc -eq 0 ]] || fail "exit $rc: $(tail -5 "$work/err")"
  [[ "$(snapshot $dated)" == "$d10 $d89 $d91 0 $dun" ]] || fail "left: $(snapshot $dated), before $d10 $d89 $d91 $d400 $dun"
  [[ "$(snapshot profile,trusted)" == "$before_undated" ]] || fail "undated profiles were removed"
  exit_code rc run --input "$work/users.txt" --ledger "$work/l2.jsonl" --yes --registered-before 31/01/2025 2>"$work/err"
  [[ $rc -eq 2 ]] || fail "a bad date: exit $rc"
  grep -q "is neither a date" "$work/err" || fail "$(cat "$work/err")"
  ;;
resume_cuts_where_the_first_run_did)
  start_sim --users 1500 --device-ages "$ages" --latency 20ms
  "$devreset" run --tenant "$tenant" --realm alpha --ca-file "$work/ca.pem" --token-file "$work/token.txt" \
    --input "$work/users.txt" --ledger "$work/l.jsonl" --yes --types oath,push --concurrency 2 \
    --unused-for 90d --registered-before 100d 2>"$work/err" &
  pid=$!
  wait_for_users "$work/l.jsonl" 10
  kill -INT "$pid"
  exit_code rc wait "$pid"
  [[ $rc -eq 3 ]] || fail "interrupted: exit $rc: $(tail -3 "$work/err")"
  sleep 1.1  # the clock moves on: the resume must still cut where the first run did
  exit_code rc run --input "$work/users.txt" --ledger "$work/l.jsonl" --yes --types oath,push \
    --unused-for 60d --registered-before 100d --resume 2>"$work/err2"
  [[ $rc -eq 2 ]] || fail "another rule on resume: exit $rc"
  grep -q "records a run that removed .*unused for 90 days" "$work/err2" || fail "$(cat "$work/err2")"
  exit_code rc run --input "$work/users.txt" --ledger "$work/l.jsonl" --yes --types oath,push \
    --resume 2>"$work/err2"
  [[ $rc -eq 2 ]] || fail "no selection on resume: exit $rc"
  exit_code rc run --input "$work/users.txt" --ledger "$work/l.jsonl" --yes --types oath,push \
    --unused-for 90d --registered-before 100d --resume --concurrency 16 2>"$work/err3"
  [[ $rc -eq 0 ]] || fail "resume: exit $rc: $(tail -3 "$work/err3")"
  python3 - "$work/l.jsonl" <<'PY' || fail "the resume cut elsewhere: $(grep '"record":"run"' "$work/l.jsonl")"
import json, sys
runs = [r for r in map(json.loads, open(sys.argv[1])) if r.get("record") == "run"]
assert len(runs) == 2, runs
a, b = runs[0]["selection"], runs[1]["selection"]
assert a["now_ms"] == b["now_ms"] and a["last_used_before"] == b["last_used_before"], (a, b)
assert a["registered_before"] == b["registered_before"] and b["registered_before_ago_ms"] == 100 * 86400000, (a, b)
assert runs[0]["started_at"] != runs[1]["started_at"]
PY
  [[ $(reset_actions) -eq 0 ]] || fail "the reset action was sent"
  ;;
plan_shows_and_applies_the_selection)
  start_sim --users 300 --device-ages "$ages"
  read -r d10 d89 d91 d400 dun <<<"$(snapshot)"
  "$devreset" plan --tenant "$tenant" --realm alpha --ca-file "$work/ca.pem" --token-file "$work/token.txt" \
    --progress none --input "$work/users.txt" --ledger "$work/plan.jsonl" --types "$all_types" \
    --unused-for 90d >"$work/pout" 2>"$work/perr" || fail "plan: $(cat "$work/perr")"
  [[ "$(snapshot)" == "$d10 $d89 $d91 $d400 $dun" ]] || fail "the plan changed something"
  would=$(summary_of "$work/plan.jsonl" 'sum(v.get("selected", 0) for v in t.values())')
  [[ $would -eq $((d91 + d400)) ]] || fail "the plan would remove $would, the sim has $((d91 + d400)) stale"
  grep -q "Devices kept:" "$work/perr" "$work/pout" || fail "the plan's summary: $(cat "$work/perr")"
  exit_code rc run --plan "$work/plan.jsonl" --ledger "$work/l2.jsonl" --yes --unused-for 30d 2>"$work/err"
  [[ $rc -eq 2 ]] || fail "--plan with its own selection: exit $rc"
  exit_code rc run --plan "$work/plan.jsonl" --ledger "$work/l.jsonl" --yes 2>"$work/err"
  [[ $rc -eq 0 ]] || fail "run --plan: exit $rc: $(tail -5 "$work/err")"
  grep -q "only devices unused for 90 days" "$work/err" || fail "$(head -3 "$work/err")"
  [[ "$(snapshot)" == "$d10 $d89 0 0 $dun" ]] || fail "left: $(snapshot)"
  [[ $(reset_actions) -eq 0 ]] || fail "the reset action was sent"
  ;;
*)
  fail "no such case"
  ;;
esac
echo "PASS ($case_name)"
