#!/usr/bin/env bash
# The documented curl calls (docs/tenant-api.md) against `devreset sim`, with curl verifying
# the simulator's certificate against the CA it wrote (--cacert): nothing insecure.
# Usage: sim_curl_test.sh /path/to/devreset
set -euo pipefail
devreset=$1
work=$(mktemp -d)
sim_pid=""
cleanup() {
  [[ -n "$sim_pid" ]] && kill "$sim_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$devreset" sim --users 3 --seed 9 --ready-file "$work/ready.json" --ca-out "$work/ca.pem" \
  --users-out "$work/users.txt" >"$work/stdout" 2>"$work/stderr" &
sim_pid=$!
wait_ready() {  # 60 s at most: an ASan sim on a busy machine starts slowly
  for _ in $(seq 600); do [[ -s "$work/ready.json" ]] && return 0; sleep 0.1; done
  fail "no ready file after 60 s; stderr: $(cat "$work/stderr")"
}
wait_ready

field() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$work/ready.json" "$1"; }
tenant=$(field url)
token=$(field token)
[[ "$(field ca_file)" == "$work/ca.pem" ]] || fail "ready file names another CA file"
cmp -s <(head -c 200 "$work/stdout") <(head -c 200 "$work/ready.json") || fail "stdout differs from the ready file"
user=$(head -n 1 "$work/users.txt")
[[ $(wc -l <"$work/users.txt") -eq 3 ]] || fail "users-out should list 3 ids"
base="$tenant/am/json/realms/root/realms/alpha/users/$user/devices"

# Reset OATH, push and bound devices: the product docs' call.
for type in oath push binding; do
  out=$(curl --silent --show-error --cacert "$work/ca.pem" \
    --request POST \
    --header "authorization: Bearer $token" \
    --header "Content-Type: application/json" \
    --header "Accept-API-Version: resource=1.0" \
    --data '{}' \
    "$base/2fa/$type?_action=reset")
  [[ "$out" == '{"result":true}' ]] || fail "$type reset answered: $out"
done

# WebAuthn: list, then delete each device.
list=$(curl --silent --show-error --cacert "$work/ca.pem" \
  --header "authorization: Bearer $token" \
  --header "Accept-API-Version: resource=1.0" \
  "$base/2fa/webauthn?_queryFilter=true")
python3 - "$list" <<'PY' || fail "webauthn list shape: $list"
import json, sys
v = json.loads(sys.argv[1])
assert set(["result", "resultCount", "pagedResultsCookie", "totalPagedResultsPolicy",
            "totalPagedResults", "remainingPagedResults"]) <= set(v), v.keys()
assert v["pagedResultsCookie"] is None and v["resultCount"] == len(v["result"])
PY
for id in $(python3 -c 'import json,sys; [print(d["_id"]) for d in json.loads(sys.argv[1])["result"]]' "$list"); do
  code=$(curl --silent --show-error --cacert "$work/ca.pem" -o "$work/del.json" -w '%{http_code}' \
    --request DELETE \
    --header "authorization: Bearer $token" \
    --header "Accept-API-Version: resource=1.0" \
    "$base/2fa/webauthn/$id")
  [[ "$code" == 200 ]] || fail "delete $id answered $code"
  grep -q "\"_id\":\"$id\"" "$work/del.json" || fail "delete answer lacks the device"
done
after=$(curl --silent --show-error --cacert "$work/ca.pem" \
  --header "authorization: Bearer $token" --header "Accept-API-Version: resource=1.0" \
  "$base/2fa/webauthn?_queryFilter=true")
[[ "$after" == *'"resultCount":0'* ]] || fail "webauthn devices left after deletes: $after"

# A wrong token: 401 with the documented body.
code=$(curl --silent --cacert "$work/ca.pem" -o "$work/401.json" -w '%{http_code}' --request POST \
  --header "authorization: Bearer wrong" --header "Content-Type: application/json" \
  --header "Accept-API-Version: resource=1.0" --data '{}' "$base/2fa/oath?_action=reset")
[[ "$code" == 401 ]] || fail "wrong token answered $code"
[[ "$(cat "$work/401.json")" == '{"code":401,"reason":"Unauthorized","message":"Access Denied"}' ]] \
  || fail "401 body: $(cat "$work/401.json")"

# Without the CA, curl must refuse the certificate.
if curl --silent "$tenant/sim/stats" >/dev/null 2>&1; then fail "curl trusted the sim without its CA"; fi

# The stats show what happened.
stats=$(curl --silent --show-error --cacert "$work/ca.pem" "$tenant/sim/stats")
python3 - "$stats" <<'PY' || fail "stats: $stats"
import json, sys
s = json.loads(sys.argv[1])
assert s["by_endpoint"]["reset:oath"]["200"] == 1
assert s["by_endpoint"]["reset:oath"]["401"] == 1
assert s["resets_per_user"]["1"] == 1 and s["resets_per_user"]["0"] == 2
PY

# Ctrl-C stops it cleanly.
kill -INT "$sim_pid"
wait "$sim_pid" || fail "devreset sim exited $? after SIGINT"
sim_pid=""
grep -q "devreset sim: stopped" "$work/stderr" || fail "no clean stop"
# --hostile, as a person reproduces a broken tenant: curl sees the redirect and the HTML page.
"$devreset" sim --hostile bogus >/dev/null 2>"$work/bad.err" && fail "--hostile bogus was accepted"
grep -q "unknown mode 'bogus'" "$work/bad.err" || fail "--hostile bogus: $(cat "$work/bad.err")"
rm -f "$work/ready.json"
"$devreset" sim --users 3 --seed 9 --hostile redirect=0.5 --hostile html=0.5 --token tok \
  --ready-file "$work/ready.json" --ca-out "$work/ca.pem" >/dev/null 2>"$work/stderr" &
sim_pid=$!
wait_ready
tenant=$(field url)
seen=""
for _ in $(seq 20); do
  curl --silent --cacert "$work/ca.pem" -o "$work/h.body" -D "$work/h.head" --request POST \
    --header "authorization: Bearer tok" --header "Content-Type: application/json" \
    --header "Accept-API-Version: resource=1.0" --data '{}' \
    "$tenant/am/json/realms/root/realms/alpha/users/$user/devices/2fa/oath?_action=reset"
  if grep -q "^HTTP/1.1 302" "$work/h.head"; then
    grep -qi "^location: https://login.elsewhere.example/" "$work/h.head" || fail "302 without the Location"
    seen+=R
  elif grep -q "^HTTP/1.1 502" "$work/h.head"; then
    grep -q "<title>502 Bad Gateway</title>" "$work/h.body" || fail "502 without the HTML page"
    seen+=H
  else
    fail "an answer that is neither mode: $(head -1 "$work/h.head")"
  fi
done
[[ "$seen" == *R* && "$seen" == *H* ]] || fail "not both modes in 20 requests: $seen"
kill -INT "$sim_pid"
wait "$sim_pid" || true
sim_pid=""
echo "sim curl calls: ok"
