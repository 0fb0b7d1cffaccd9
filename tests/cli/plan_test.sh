#!/usr/bin/env bash
# A reviewed plan applied (issue 21): `devreset plan` → `report` → `devreset run --plan`,
# against `devreset sim` on 127.0.0.1; the sim's /sim/devices registers a device between
# plan and run, as a user (or an attacker) would.
# Usage: plan_test.sh /path/to/devreset CASE
set -euo pipefail
source "$(dirname "$0")/lib.sh"

alpha=/realms/root/realms/alpha
make_plan() {  # [plan options]: a plan of the first 40 users into $work/plan.jsonl
  head -40 "$work/users.txt" >"$work/in.txt"
  "$devreset" plan --tenant "$tenant" --realm alpha --ca-file "$work/ca.pem" \
    --token-file "$work/token.txt" --progress none --input "$work/in.txt" \
    --ledger "$work/plan.jsonl" "$@" 2>"$work/plan.err" || fail "plan: $(cat "$work/plan.err")"
}
apply() {  # run --plan with the usual flags, then the caller's
  "$devreset" run --tenant "$tenant" --ca-file "$work/ca.pem" --token-file "$work/token.txt" \
    --progress plain --plan "$work/plan.jsonl" "$@"
}
register() {  # user type -> the new device's id
  curl --silent --show-error --fail --cacert "$work/ca.pem" -X POST \
    "$tenant/sim/devices?realm=$alpha&user=$1&type=$2" | python3 -c 'import json,sys; print(json.load(sys.stdin)["_id"])'
}
delete_device() {  # user type id: as another admin would, through the tenant's API
  local kind=$2
  [[ $kind == oath || $kind == push || $kind == webauthn || $kind == binding ]] && kind="2fa/$kind"
  curl --silent --show-error --fail --cacert "$work/ca.pem" -X DELETE -o /dev/null \
    -H "Authorization: Bearer sim-token" -H "Accept-API-Version: resource=1.0" \
    "$tenant/am/json$alpha/users/$1/devices/$kind/$3"
}
planned() {  # type -> "user device" lines: every device the plan listed of that type
  python3 - "$work/plan.jsonl" "$1" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("record") != "user": continue
    for t in r["results"]:
        if t["type"] == sys.argv[2]:
            for d in t.get("device_ids", []): print(r["user_id"], d)
PY
}
result_of() {  # ledger user type field -> the field of that user's result for that type
  python3 - "$@" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("record") == "user" and r.get("user_id") == sys.argv[2]:
        for t in r["results"]:
            if t["type"] == sys.argv[3]: print(json.dumps(t.get(sys.argv[4])))
PY
}
requests() { json_get "$(stats)" '["requests"]'; }

case "$case_name" in
plan_then_run_removes_what_it_showed)
  # Every planned device goes; the run's requests are exactly these: the preflight's one
  # read, then for every type of every user a list (those the plan found empty too: a device
  # registered since is there to see, issue 31), and for a non-empty one the reset action
  # (oath, push, binding) or a delete per device (webauthn).
  start_sim
  make_plan
  "$devreset" report "$work/plan.jsonl" >"$work/report.txt" || fail "report: $(cat "$work/report.txt")"
  grep -q "^Would remove:  oath $(planned oath | wc -l) " "$work/report.txt" || fail "$(cat "$work/report.txt")"
  grep -q "ago) on $tenant/am" "$work/report.txt" || fail "no age or tenant: $(cat "$work/report.txt")"
  "$devreset" report "$work/plan.jsonl" --html "$work/plan.html" >/dev/null || fail "report --html"
  grep -q "id=\"plan-webauthn\">$(planned webauthn | wc -l)<" "$work/plan.html" || fail "the page's plan table"
  expected=$(python3 - "$work/plan.jsonl" <<'PY'
import json, sys
n = 1  # the preflight
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("record") != "user": continue
    for t in r["results"]:
        ids = t.get("device_ids", [])
        n += 1 + ((1 if t["type"] in ("oath", "push", "binding") else len(ids)) if ids else 0)
print(n)
PY
)
  before=$(requests)
  apply --ledger "$work/run.jsonl" --yes 2>"$work/err" || fail "run --plan: $(cat "$work/err")"
  after=$(requests)
  [[ $((after - before)) -eq $expected ]] || fail "sent $((after - before)) requests, the plan needs $expected"
  grep -q "apply plan $(json_get "$(head -1 "$work/plan.jsonl")" '["run_id"]') ($work/plan.jsonl, SHA-256 $(sha256sum "$work/plan.jsonl" | cut -d' ' -f1), made " "$work/err" ||
    fail "the plan is not named: $(cat "$work/err")"
  python3 - "$work/plan.jsonl" "$work/run.jsonl" <<'PY' || fail "a planned type not ok"
import json, sys
status = {(r["user_id"], t["type"]): t["status"] for r in map(json.loads, open(sys.argv[2]))
          if r.get("record") == "user" for t in r["results"]}
for r in map(json.loads, open(sys.argv[1])):
    if r.get("record") != "user": continue
    for t in r["results"]:
        if t.get("device_ids"): assert status[(r["user_id"], t["type"])] == "ok", (r["user_id"], t["type"])
PY
  # Nothing is left: a new plan of the same users finds no device.
  mv "$work/plan.jsonl" "$work/plan1.jsonl"
  make_plan
  [[ $(planned oath; planned push; planned webauthn; planned binding) == "" ]] || fail "devices left"
  # The run names its plan, and the users whose plan found nothing say so.
  plan_id=$(json_get "$(head -1 "$work/plan1.jsonl")" '["run_id"]')
  [[ $(json_get "$(head -1 "$work/run.jsonl")" '["plan"]["run_id"]') == "$plan_id" ]] || fail "run record"
  empty=$(python3 -c 'import json,sys; print(sum(1 for l in open(sys.argv[1]) if (r:=json.loads(l)).get("record")=="user" and all(not t.get("device_ids") for t in r["results"])))' "$work/plan1.jsonl")
  [[ $empty -gt 0 && $(count_lines "$work/run.jsonl" '"reason":"nothing to remove (plan, and none registered since)"') -eq $empty ]] ||
    fail "users with nothing to remove: $empty in the plan"
  # The summary counts every (user, type) the plan listed empty (each listed again), and the
  # users with nothing to remove.
  spared=$(python3 -c 'import json,sys; print(sum(1 for l in open(sys.argv[1]) if (r:=json.loads(l)).get("record")=="user" for t in r["results"] if t.get("status")=="planned" and not t.get("device_ids")))' "$work/plan1.jsonl")
  summary=$(tail -1 "$work/run.jsonl")
  [[ $(json_get "$summary" '["plan"]["types_empty_in_plan"]') -eq $spared &&
     $(json_get "$summary" '["plan"]["users_nothing_to_remove"]') -eq $empty ]] ||
    fail "the summary's plan counts ($spared types, $empty users spared): $summary"
  ;;
drift_both_ways)
  # A device registered after the plan is removed too and listed, on a type the plan found
  # empty as well (the attacker's new authenticator, issue 31); a planned one deleted by
  # someone else in between is recorded as gone.
  start_sim
  make_plan
  read -r user_a _ < <(planned oath | head -1)
  read -r user_b gone < <(planned webauthn | head -1)
  user_e=$(python3 - "$work/plan.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("record") == "user" and any(t["type"] == "webauthn" and t["status"] == "planned" and not t.get("device_ids") for t in r["results"]):
        print(r["user_id"]); break
PY
)
  [[ -n "$user_e" ]] || fail "no user whose plan found webauthn empty"
  added=$(register "$user_a" oath)
  attacker=$(register "$user_e" webauthn)
  delete_device "$user_b" webauthn "$gone"
  apply --ledger "$work/run.jsonl" --yes --verify >"$work/out" 2>&1 || fail "run --plan: $(cat "$work/out")"
  [[ $(result_of "$work/run.jsonl" "$user_a" oath added_since_plan) == "[\"$added\"]" ]] || fail "added: $(cat "$work/run.jsonl")"
  [[ $(result_of "$work/run.jsonl" "$user_e" webauthn added_since_plan) == "[\"$attacker\"]" ]] || fail "added where the plan found none"
  [[ $(result_of "$work/run.jsonl" "$user_e" webauthn remaining) == 0 ]] || fail "--verify did not list the type the plan found empty"
  [[ $(result_of "$work/run.jsonl" "$user_b" webauthn gone_since_plan) == "[\"$gone\"]" ]] || fail "gone"
  summary=$(tail -1 "$work/run.jsonl")
  [[ $(json_get "$summary" '["plan"]["added_since_plan"]') -eq 2 && $(json_get "$summary" '["plan"]["gone_since_plan"]') -eq 1 ]] ||
    fail "summary: $summary"
  grep -q "Since the plan: 2 devices added" "$work/out" || fail "$(cat "$work/out")"
  # The added devices are gone with the others.
  mv "$work/plan.jsonl" "$work/plan1.jsonl"
  make_plan
  [[ $(planned oath) == "" && $(planned webauthn) == "" ]] || fail "devices left: $(planned oath; planned webauthn)"
  ;;
strict_removes_only_the_plan)
  start_sim
  make_plan
  read -r user_a planned_id < <(planned webauthn | head -1)
  added=$(register "$user_a" webauthn)
  read -r user_c _ < <(planned oath | head -1)
  added_oath=$(register "$user_c" oath)
  apply --ledger "$work/run.jsonl" --yes --plan-strict --verify >"$work/out" 2>&1 || fail "$(cat "$work/out")"
  [[ $(result_of "$work/run.jsonl" "$user_a" webauthn added_since_plan) == "[\"$added\"]" ]] || fail "not recorded"
  [[ $(result_of "$work/run.jsonl" "$user_c" oath action) == '"list+delete"' ]] || fail "strict used the reset action"
  [[ $(json_get "$(head -1 "$work/run.jsonl")" '["plan"]["strict"]') == True ]] || fail "run record"
  mv "$work/plan.jsonl" "$work/plan1.jsonl"
  make_plan
  [[ $(planned webauthn | grep "^$user_a ") == "$user_a $added" ]] || fail "strict: $(planned webauthn | grep "^$user_a ")"
  [[ $(planned oath | grep "^$user_c ") == "$user_c $added_oath" ]] || fail "strict oath: $(planned oath | grep "^$user_c ")"
  [[ $(planned webauthn | grep -c "$planned_id") -eq 0 ]] || fail "a planned device is left"
  # A user the plan found nothing for but could not list oath of: strict cannot remove what the
  # plan did not list, so the user is partial (its other types ok), not "nothing to remove".
  user_u=$(python3 - "$work/plan.jsonl" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
for i, l in enumerate(lines):
    r = json.loads(l)
    if r["record"] == "user" and all(not t.get("device_ids") for t in r["results"]):
        for t in r["results"]:
            if t["type"] == "oath":
                t.pop("device_ids", None); t["status"] = "failed"; t["error"] = "503 Service Unavailable"
        r["status"] = "failed"
        lines[i] = json.dumps(r, separators=(",", ":"))
        open(sys.argv[1], "w").write("\n".join(lines) + "\n")
        print(r["user_id"])
        break
PY
)
  [[ -n $user_u ]] || fail "no user without devices in the plan"
  exit_code code apply --ledger "$work/run3.jsonl" --yes --plan-strict 2>"$work/err3"
  [[ $code -eq 1 ]] || fail "a user strict could not do: exit $code: $(cat "$work/err3")"
  python3 - "$work/run3.jsonl" "$user_u" <<'PY' || fail "$(grep "$user_u" "$work/run3.jsonl")"
import json, sys
(r,) = [r for l in open(sys.argv[1]) if (r := json.loads(l)).get("user_id") == sys.argv[2]]
assert r["status"] == "partial" and r.get("reason") != "nothing to remove (plan)", r
(oath,) = [t for t in r["results"] if t["type"] == "oath"]
assert "--plan-strict removes only listed devices" in oath["error"], oath
PY
  ;;
names_not_found_are_looked_up_again)
  # A plan that could not find a user by name: the run looks the name up again, so a service
  # account's token asks for fr:idm:* (by default, when the plan needs it); the users the plan
  # did find are reset by their _id, none taken for a duplicate of the look-up.
  cp "$(dirname "$0")/../../samples/service-account.jwk.json" "$work/sa.jwk.json"
  chmod 600 "$work/sa.jwk.json"
  start_sim --users 20 --sa-id sa-plan --sa-jwk "$work/sa.jwk.json"
  printf 'user_name\nuser000001\nuser000002\nnobody\nuser000003\n' >"$work/names.csv"
  exit_code code "$devreset" plan --tenant "$tenant" --realm alpha --ca-file "$work/ca.pem" \
    --token-file "$work/token.txt" --progress none --input "$work/names.csv" --ledger "$work/plan.jsonl" 2>"$work/plan.err"
  [[ $code -eq 1 ]] || fail "plan: exit $code: $(cat "$work/plan.err")"
  exit_code code "$devreset" run --tenant "$tenant" --ca-file "$work/ca.pem" --sa-id sa-plan \
    --sa-key "$work/sa.jwk.json" --plan "$work/plan.jsonl" --ledger "$work/run.jsonl" --yes \
    --progress plain 2>"$work/err"
  [[ $code -eq 1 ]] || fail "run --plan: exit $code (1: nobody is still unknown): $(cat "$work/err")"
  [[ $(count_records "$work/run.jsonl" ok) -eq 3 && $(count_records "$work/run.jsonl" not_found) -eq 1 &&
     $(json_get "$(tail -1 "$work/run.jsonl")" '["duplicates"]') -eq 0 ]] || fail "$(cat "$work/run.jsonl")"
  # A plan that found nobody (so listed no type): its users are still looked up again, for
  # the types their rows asked for.
  printf 'user_name,types\nghost,webauthn\nspectre,oath;push\n' >"$work/ghosts.csv"
  exit_code code "$devreset" plan --tenant "$tenant" --realm alpha --ca-file "$work/ca.pem" --token-file "$work/token.txt" \
    --progress none --input "$work/ghosts.csv" --ledger "$work/ghosts.jsonl" 2>"$work/plan.err"
  [[ $code -eq 1 ]] || fail "plan of ghosts: exit $code: $(cat "$work/plan.err")"
  exit_code code "$devreset" run --tenant "$tenant" --ca-file "$work/ca.pem" --token-file "$work/token.txt" \
    --plan "$work/ghosts.jsonl" --ledger "$work/ghosts-run.jsonl" --yes --progress plain 2>"$work/err"
  [[ $code -eq 1 && $(count_records "$work/ghosts-run.jsonl" not_found) -eq 2 ]] ||
    fail "a plan that found nobody: exit $code: $(cat "$work/err")"
  grep -q '"user_name":"spectre".*"types":"oath,push"' "$work/ghosts-run.jsonl" || fail "$(cat "$work/ghosts-run.jsonl")"
  # --types narrows the plan: a user with none of them is left out, and the summary says so.
  exit_code code "$devreset" run --tenant "$tenant" --ca-file "$work/ca.pem" --token-file "$work/token.txt" \
    --plan "$work/ghosts.jsonl" --types webauthn --ledger "$work/ghosts-narrow.jsonl" --yes --progress plain 2>"$work/err"
  [[ $code -eq 1 && $(count_records "$work/ghosts-narrow.jsonl" not_found) -eq 1 &&
     $(json_get "$(tail -1 "$work/ghosts-narrow.jsonl")" '["plan"]["users_outside_types"]') -eq 1 ]] ||
    fail "narrowed: exit $code: $(tail -1 "$work/ghosts-narrow.jsonl")"
  grep -q "left out: 1 user with none of --types" "$work/err" || fail "$(cat "$work/err")"
  ;;
another_tenants_plan_is_refused)
  start_sim
  make_plan
  start_other_sim
  exit_code code "$devreset" run --tenant "$tenant_b" --ca-file "$work/b/ca.pem" --token-file "$work/token.txt" \
    --plan "$work/plan.jsonl" --ledger "$work/run.jsonl" --yes 2>"$work/err"
  [[ $code -eq 2 ]] || fail "exit $code"
  grep -q "was made on $tenant/am; this run is on $tenant_b/am" "$work/err" || fail "$(cat "$work/err")"
  [[ ! -e "$work/run.jsonl" ]] || fail "a ledger was written"
  [[ $(json_get "$(stats_b)" '["requests"]') -eq 0 ]] || fail "requests were sent"
  # The same with a plan that did not finish, and with the plan as the run's own ledger.
  exit_code code apply --ledger "$work/plan.jsonl" --yes --resume 2>"$work/err"
  [[ $code -eq 2 ]] && grep -q "is the file of --plan" "$work/err" || fail "own ledger: $code $(cat "$work/err")"
  head -n -1 "$work/plan.jsonl" >"$work/cut.jsonl"
  mv "$work/cut.jsonl" "$work/plan.jsonl"
  exit_code code apply --ledger "$work/run.jsonl" --yes 2>"$work/err"
  [[ $code -eq 2 ]] && grep -q "did not finish (it has no summary)" "$work/err" || fail "cut: $code $(cat "$work/err")"
  ;;
an_old_plan_is_refused)
  start_sim
  make_plan
  old=$(date -u -d '-25 hours' +%Y-%m-%dT%H:%M:%S.000Z)  # an hour past the default 24h, whenever the test runs
  python3 - "$work/plan.jsonl" "$old" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
run = json.loads(lines[0]); run["started_at"] = sys.argv[2]
open(sys.argv[1], "w").write("\n".join([json.dumps(run)] + lines[1:]) + "\n")
PY
  before=$(requests)
  exit_code code apply --ledger "$work/run.jsonl" --yes 2>"$work/err"
  [[ $code -eq 2 ]] || fail "exit $code"
  grep -q "was made .* ago ($old), more than --plan-max-age 24h" "$work/err" || fail "$(cat "$work/err")"
  [[ $(requests) -eq $before && ! -e "$work/run.jsonl" ]] || fail "something was sent or written"
  # A plan others could have changed, or from the future: refused too.
  chmod 666 "$work/plan.jsonl"
  exit_code code apply --ledger "$work/run.jsonl" --yes --plan-max-age 1000h 2>"$work/err"
  [[ $code -eq 2 ]] && grep -q "others can change it (mode 666" "$work/err" || fail "0666 plan: $(cat "$work/err")"
  chmod 600 "$work/plan.jsonl"
  sed -Ei '1s/"started_at": ?"[^"]*"/"started_at":"2099-01-01T00:00:00.000Z"/' "$work/plan.jsonl"
  exit_code code apply --ledger "$work/run.jsonl" --yes 2>"$work/err"
  [[ $code -eq 2 ]] && grep -q "in the future" "$work/err" || fail "future plan: $(cat "$work/err")"
  sed -Ei "1s/\"started_at\": ?\"[^\"]*\"/\"started_at\":\"$old\"/" "$work/plan.jsonl"
  apply --ledger "$work/run.jsonl" --yes --plan-max-age 1000h 2>"$work/err" || fail "$(cat "$work/err")"
  ;;
types_narrow_never_widen)
  start_sim
  make_plan --types oath,webauthn
  exit_code code apply --ledger "$work/run.jsonl" --yes --types oath,push 2>"$work/err"
  [[ $code -eq 2 ]] && grep -q "types can only narrow a plan: it looked at oath,webauthn (not at push)" "$work/err" ||
    fail "widened: $code $(cat "$work/err")"
  apply --ledger "$work/run.jsonl" --yes --types oath 2>"$work/err" || fail "$(cat "$work/err")"
  types=$(python3 -c 'import json,sys; print(sorted({t["type"] for l in open(sys.argv[1]) if (r:=json.loads(l)).get("record")=="user" for t in r["results"]}))' "$work/run.jsonl")
  [[ $types == "['oath']" ]] || fail "types run: $types"
  [[ $(json_get "$(stats)" '["by_endpoint"].get("delete:webauthn", {})') == "{}" ]] || fail "webauthn devices were deleted"
  # A --realm other than the plan's is refused; the plan's own is fine.
  exit_code code apply --ledger "$work/run2.jsonl" --yes --realm beta 2>"$work/err"
  [[ $code -eq 2 ]] && grep -q "is for realm /realms/root/realms/alpha; --realm says /realms/root/realms/beta" "$work/err" ||
    fail "realm: $code $(cat "$work/err")"
  ;;
*) fail "unknown case" ;;
esac
echo "$case_name: ok"
