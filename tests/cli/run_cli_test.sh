#!/usr/bin/env bash
# `devreset run` / `plan` as a person runs them, against `devreset sim` on 127.0.0.1.
# Usage: run_cli_test.sh /path/to/devreset CASE
set -euo pipefail
source "$(dirname "$0")/lib.sh"

case "$case_name" in
ok_run)
  start_sim --users 50
  run --input "$work/users.txt" --ledger "$work/l.jsonl" --yes 2>"$work/err" || fail "exit $?: $(cat "$work/err")"
  [[ $(count_records "$work/l.jsonl" ok) -eq 50 ]] || fail "not 50 ok records"
  grep -q '"record":"summary"' "$work/l.jsonl" || fail "no summary record"
  grep -q "Users:  ok 50" "$work/err" || fail "summary not printed: $(cat "$work/err")"
  [[ $(stat -c %a "$work/l.jsonl") == 600 ]] || fail "ledger mode is not 0600"
  ;;
some_failures_exit_1)
  start_sim --users 5
  cp "$work/users.txt" "$work/in.txt"
  echo "00000000-0000-4000-8000-00000000dead" >>"$work/in.txt"
  exit_code rc run --input "$work/in.txt" --ledger "$work/l.jsonl" --yes 2>"$work/err"
  [[ $rc -eq 1 ]] || fail "exit $rc, not 1"
  [[ $(count_records "$work/l.jsonl" not_found) -eq 1 ]] || fail "no not_found record"
  # Only a user that does not exist is not ok: a retry would change nothing, none is advised.
  grep -q -- "--resume" "$work/err" && fail "a rerun command printed: $(cat "$work/err")"
  true
  ;;
usage_errors_exit_2)
  start_sim --users 3
  check() {  # expected message, then arguments
    local want=$1; shift
    set +e; "$devreset" "$@" </dev/null >"$work/out" 2>"$work/err"; local rc=$?; set -e
    [[ $rc -eq 2 ]] || fail "'$*' exited $rc, not 2"
    grep -q -- "$want" "$work/err" || fail "'$*' did not say '$want': $(cat "$work/err")"
  }
  check "--tenant is required" run --realm alpha --input "$work/users.txt" --ledger "$work/x.jsonl"
  check "not https" run --tenant "http://127.0.0.1:1" --realm alpha --input "$work/users.txt" --ledger "$work/x.jsonl" --token-file "$work/token.txt"
  check "invalid realm" run --tenant "$tenant" --realm "a/../b" --input "$work/users.txt" --ledger "$work/x.jsonl" --token-file "$work/token.txt"
  check "did you mean --concurrency" run --concurency 4
  check "did you mean 'run'" rnu
  check "no token" run --tenant "$tenant" --realm alpha --input "$work/users.txt" --ledger "$work/x.jsonl"
  check "missing.csv: cannot open the input" run --tenant "$tenant" --realm alpha --input "$work/missing.csv" --ledger "$work/x.jsonl" --token-file "$work/token.txt"
  check "unknown device type 'otp'" run --tenant "$tenant" --realm alpha --input "$work/users.txt" --ledger "$work/x.jsonl" --token-file "$work/token.txt" --types oath,otp
  check "invalid duration" run --tenant "$tenant" --realm alpha --input "$work/users.txt" --ledger "$work/x.jsonl" --token-file "$work/token.txt" --timeout 30
  [[ ! -e "$work/x.jsonl" ]] || fail "a usage error created the ledger"
  [[ $(json_get "$(stats)" '["requests"]') -eq 0 ]] || fail "a usage error sent requests"
  ;;
existing_ledger_untouched)
  start_sim --users 3
  printf '{"record":"run","run_id":"old"}\n' >"$work/l.jsonl"
  cp "$work/l.jsonl" "$work/before"
  exit_code rc run --input "$work/users.txt" --ledger "$work/l.jsonl" --yes 2>"$work/err"
  [[ $rc -eq 2 ]] || fail "exit $rc, not 2"
  grep -q "already exists: pass --resume" "$work/err" || fail "$(cat "$work/err")"
  cmp -s "$work/l.jsonl" "$work/before" || fail "the ledger changed"
  [[ $(json_get "$(stats)" '["requests"]') -eq 0 ]] || fail "requests were sent"
  ;;
no_terminal_no_yes_refuses)
  start_sim --users 10
  # setsid: no controlling terminal (as under cron), whoever runs the tests.
  set +e; setsid -w "$devreset" run --tenant "$tenant" --realm alpha --ca-file "$work/ca.pem" \
    --token-file "$work/token.txt" --input "$work/users.txt" --ledger "$work/l.jsonl" </dev/null 2>"$work/err"; rc=$?; set -e
  [[ $rc -eq 2 ]] || fail "exit $rc, not 2"
  grep -q "add --yes" "$work/err" || fail "$(cat "$work/err")"
  [[ ! -e "$work/l.jsonl" ]] || fail "the ledger was created"
  [[ $(json_get "$(stats)" '["requests"]') -eq 0 ]] || fail "requests were sent"
  ;;
sigint_then_resume)
  start_sim --users 400 --latency 20ms
  "$devreset" run --tenant "$tenant" --realm alpha --ca-file "$work/ca.pem" \
    --token-file "$work/token.txt" --progress plain \
    --input "$work/users.txt" --ledger "$work/l.jsonl" --yes --concurrency 4 --grace 5s 2>"$work/err" &
  pid=$!
  wait_for_users "$work/l.jsonl" 5
  kill -INT "$pid"
  exit_code rc wait "$pid"
  [[ $rc -eq 3 ]] || fail "interrupted run exited $rc, not 3: $(cat "$work/err")"
  grep -q '"end":"interrupted"' "$work/l.jsonl" || fail "no interrupted summary record"
  done_first=$(count_records "$work/l.jsonl" ok)
  (( done_first > 0 && done_first < 400 )) || fail "$done_first users done before the interrupt"
  run --input "$work/users.txt" --ledger "$work/l.jsonl" --yes --concurrency 16 --resume 2>"$work/err2" \
    || fail "resume exited $?: $(cat "$work/err2")"
  [[ $(count_records "$work/l.jsonl" ok) -eq 400 ]] || fail "not every user ok after resume"
  s=$(stats)
  [[ $(json_get "$s" '["resets_per_user"]["2+"]') -eq 0 ]] || fail "a user was reset twice: $s"
  [[ $(json_get "$s" '["devices_left"]["oath"]') -eq 0 ]] || fail "oath devices left: $s"
  # Resumed once more: nothing is left, and it says so, and that a new reset takes a new ledger.
  run --input "$work/users.txt" --ledger "$work/l.jsonl" --yes --resume 2>"$work/err3" ||
    fail "a resume with nothing left exited $?: $(cat "$work/err3")"
  grep -q "Nothing to do: every user of the input is done in this ledger already (400 users, --resume); a new reset takes a new ledger" \
    "$work/err3" || fail "$(cat "$work/err3")"
  ;;
env_and_config_layers)
  start_sim --users 4
  printf 'tenant = %s\nrealm = alpha\nconcurrency = 2\nca-file = %s\n' "$tenant" "$work/ca.pem" >"$work/devreset.conf"
  DEVRESET_TOKEN=sim-token DEVRESET_CONCURRENCY=3 "$devreset" run --config "$work/devreset.conf" \
    --input "$work/users.txt" --ledger "$work/l.jsonl" --yes --concurrency 1 --progress none 2>"$work/err" \
    || fail "exit $?: $(cat "$work/err")"
  grep -q '"concurrency":1,' "$work/l.jsonl" || fail "the command line did not win"
  rm "$work/l.jsonl"
  DEVRESET_TOKEN=sim-token DEVRESET_CONCURRENCY=3 "$devreset" run --config "$work/devreset.conf" \
    --input "$work/users.txt" --ledger "$work/l.jsonl" --yes --progress none 2>"$work/err" \
    || fail "exit $?: $(cat "$work/err")"
  grep -q '"concurrency":3,' "$work/l.jsonl" || fail "the environment did not win over the file"
  grep -q "sim-token" "$work/l.jsonl" "$work/err" && fail "the token leaked"
  # Two credentials (the environment's token and the config's token file): refused, naming both.
  rm "$work/l.jsonl"
  printf 'token-file = %s\n' "$work/token.txt" >>"$work/devreset.conf"
  set +e; DEVRESET_TOKEN=sim-token "$devreset" run --config "$work/devreset.conf" --input "$work/users.txt" \
    --ledger "$work/l.jsonl" --yes --progress none 2>"$work/err"; rc=$?; set -e
  [[ $rc -eq 2 ]] || fail "two credentials: exit $rc, not 2"
  grep -q "two credentials given (--token-file and DEVRESET_TOKEN)" "$work/err" || fail "$(cat "$work/err")"
  [[ ! -e "$work/l.jsonl" ]] || fail "two credentials: a ledger was created"
  ;;
plan_changes_nothing)
  start_sim --users 20
  before=$(json_get "$(stats)" '["devices_left"]')
  # A run without a terminal and without --yes is refused before anything is sent.
  exit_code rc setsid -w "$devreset" run --tenant "$tenant" --realm alpha --ca-file "$work/ca.pem" \
    --token-file "$work/token.txt" --input "$work/users.txt" --ledger "$work/p.jsonl" </dev/null 2>"$work/err"
  [[ $rc -eq 2 && ! -s "$work/p.jsonl" ]] || fail "an unconfirmed run: exit $rc: $(cat "$work/err")"
  "$devreset" plan --tenant "$tenant" --realm alpha --ca-file "$work/ca.pem" --token-file "$work/token.txt" \
    --input "$work/users.txt" --ledger "$work/plan.jsonl" --progress none </dev/null 2>"$work/err" \
    || fail "plan exited $?: $(cat "$work/err")"
  [[ $(count_records "$work/plan.jsonl" planned) -eq 20 ]] || fail "not 20 planned records"
  [[ "$(json_get "$(stats)" '["devices_left"]')" == "$before" ]] || fail "plan changed the tenant"
  ;;
service_account)
  key_src="$(dirname "$0")/../../samples/service-account.jwk.json"
  start_sim --users 30 --sa-id sa-cli --sa-jwk "$key_src" --token-ttl 2s
  cp "$key_src" "$work/sa.jwk.json"
  chmod 600 "$work/sa.jwk.json"
  sa_run() {  # sa-id, key file, ledger
    "$devreset" run --tenant "$tenant" --realm alpha --ca-file "$work/ca.pem" --sa-id "$1" \
      --sa-key "$2" --input "$work/users.txt" --ledger "$3" --yes --progress plain
  }
  sa_run sa-cli "$work/sa.jwk.json" "$work/l.jsonl" >"$work/out" 2>"$work/err" || fail "exit $?: $(cat "$work/err")"
  [[ $(count_records "$work/l.jsonl" ok) -eq 30 ]] || fail "not 30 ok"
  grep -q "can be read by others" "$work/err" && fail "warned about a 0600 key"
  [[ $(json_get "$(stats)" '["tokens_issued"]') -ge 1 ]] || fail "no token issued"
  # A wrong account id: one clear line with the tenant's words, exit 3, nothing reset.
  exit_code rc sa_run sa-typo "$work/sa.jwk.json" "$work/l2.jsonl" >"$work/out2" 2>"$work/err2"
  [[ $rc -eq 3 ]] || fail "wrong account exited $rc: $(cat "$work/err2")"
  grep -q "preflight: cannot get a token: .*invalid_client" "$work/err2" || fail "$(cat "$work/err2")"
  # A key others can read is refused (exit 2, nothing sent, no ledger).
  chmod 644 "$work/sa.jwk.json"
  before=$(json_get "$(stats)" '["requests"]')
  exit_code rc sa_run sa-cli "$work/sa.jwk.json" "$work/l3.jsonl" >/dev/null 2>"$work/err3"
  [[ $rc -eq 2 ]] || fail "a 0644 key: exit $rc, not 2: $(cat "$work/err3")"
  grep -q "others can read or change it (mode 644): chmod 600 it" "$work/err3" || fail "$(cat "$work/err3")"
  [[ $(json_get "$(stats)" '["requests"]') -eq $before ]] || fail "a 0644 key: requests were sent"
  [[ ! -e "$work/l3.jsonl" ]] || fail "a 0644 key: a ledger was created"
  # No key material, assertion or token anywhere in what was written or printed.
  d=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["d"][:40])' "$key_src")
  for f in "$work"/l*.jsonl "$work"/out* "$work"/err*; do
    grep -q -- "$d" "$f" && fail "key material in $f"
    grep -q "eyJhbGciOi" "$f" && fail "an assertion in $f"
    grep -q "sim-[0-9a-f]\{16\}" "$f" && fail "a token in $f"
  done
  true
  ;;
kill9_then_resume)
  # SIGKILL at four points of a run, a --resume after each, and once a line torn by hand (a
  # crash mid-write), which the resume must cut. The kill points are events, not times: the
  # ledger holding N user records (N from a seed: fixed unless DEVRESET_KILL_SEED is set;
  # printed), so a slow machine kills at the same places as a fast one. Checked: every
  # ledger line parses, each user has exactly one ok record, and users reset twice are at
  # most those in flight at the kills (4 workers) plus a batch of records made but not yet
  # written: resets are idempotent, so that is harmless.
  start_sim --users 300 --latency 10ms
  seed=${DEVRESET_KILL_SEED:-20261129}
  points=$(python3 -c "import random; random.seed($seed); print(' '.join(map(str, sorted(random.sample(range(10, 280), 4)))))")
  echo "kill points (seed $seed; DEVRESET_KILL_SEED=N for others): at $points user records" >&2
  torn_done=0
  for point in $points; do
    "$devreset" run --tenant "$tenant" --realm alpha --ca-file "$work/ca.pem" \
      --token-file "$work/token.txt" --progress none --input "$work/users.txt" \
      --ledger "$work/l.jsonl" --yes --resume --concurrency 4 2>>"$work/err" &
    pid=$!
    for _ in $(seq 6000); do  # until the point, or the run's end (2 min at most)
      [[ $(grep -c '"record":"user"' "$work/l.jsonl" 2>/dev/null) -ge $point ]] && break
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.02
    done
    kill -KILL "$pid" 2>/dev/null || true  # a resumed run may have finished already
    wait "$pid" 2>/dev/null || true
    if (( torn_done == 0 )) && [[ -s "$work/l.jsonl" ]]; then
      printf '{"record":"user","run_id":"torn","user_id":"x","sta' >>"$work/l.jsonl"
      torn_done=1
    fi
  done
  run --input "$work/users.txt" --ledger "$work/l.jsonl" --yes --resume --concurrency 8 2>>"$work/err" \
    || fail "the last resume exited $?: $(tail -5 "$work/err")"
  grep -q "the ledger's last line was torn by a crash ([0-9]* bytes): cut" "$work/err" || fail "the torn line was not cut"
  python3 - "$work/l.jsonl" <<'PY' || fail "ledger check"
import json, sys, collections
ok = collections.Counter()
for n, line in enumerate(open(sys.argv[1]), 1):
    r = json.loads(line)  # every line parses: torn ones were cut on resume
    if r.get("record") == "user" and r["status"] == "ok":
        ok[r["user_id"]] += 1
assert len(ok) == 300, len(ok)
assert max(ok.values()) == 1, ok.most_common(3)
PY
  s=$(stats)
  twice=$(json_get "$s" '["resets_per_user"]["2+"]')
  (( twice <= 32 )) || fail "$twice users reset twice (4 kills x (4 in flight + a batch)), seed $seed"
  echo "kills: $(grep -c "\"record\":\"run\"" "$work/l.jsonl") runs, $twice users reset twice" >&2
  [[ $(json_get "$s" '["devices_left"]["oath"]') -eq 0 ]] || fail "oath devices left: $s"
  ;;
terminal_confirmation)
  # On a terminal (script(1) gives one) the run names what it will do and waits for "yes".
  start_sim --users 20
  cmd="$devreset run --tenant $tenant --realm alpha --ca-file $work/ca.pem --token-file $work/token.txt --input $work/users.txt --ledger $work/l.jsonl --progress none"
  echo no | script -q -e -c "$cmd" /dev/null >"$work/tty1" 2>&1 && fail "ran without a yes"
  grep -q "about to reset the oath,push,webauthn,binding devices of 20 users in realm /realms/root/realms/alpha on $tenant/am" "$work/tty1" || fail "$(cat "$work/tty1")"
  grep -q "not confirmed; nothing was sent" "$work/tty1" || fail "$(cat "$work/tty1")"
  [[ ! -e "$work/l.jsonl" ]] || fail "the ledger was created"
  [[ $(json_get "$(stats)" '["requests"]') -eq 0 ]] || fail "requests were sent"
  echo yes | script -q -e -c "$cmd" /dev/null >"$work/tty2" 2>&1 || fail "confirmed run failed: $(cat "$work/tty2")"
  [[ $(count_records "$work/l.jsonl" ok) -eq 20 ]] || fail "not 20 ok after yes"
  ;;
revoked_token_aborts_run)
  # The token file is re-read when it changes; when the new token is refused, the run
  # stops after a few 401s instead of failing every user.
  start_sim --users 400 --latency 20ms
  "$devreset" run --tenant "$tenant" --realm alpha --ca-file "$work/ca.pem" \
    --token-file "$work/token.txt" --progress none --max-auth-failures 5 \
    --input "$work/users.txt" --ledger "$work/l.jsonl" --yes --concurrency 4 2>"$work/err" &
  pid=$!
  wait_for_users "$work/l.jsonl" 5  # the token worked for some users first
  echo revoked-token >"$work/token.txt.new" && mv "$work/token.txt.new" "$work/token.txt"
  exit_code rc wait "$pid"
  [[ $rc -eq 3 ]] || fail "exit $rc, not 3: $(cat "$work/err")"
  grep -q "refused 5 requests in a row" "$work/err" || fail "$(cat "$work/err")"
  grep -q "revoked-token" "$work/err" "$work/l.jsonl" && fail "the token leaked"
  s=$(stats)
  unauthorized=$(python3 -c 'import json,sys; s=json.loads(sys.argv[1]); print(sum(v.get("401",0) for v in s["by_endpoint"].values()))' "$s")
  (( unauthorized <= 12 )) || fail "$unauthorized requests refused before the abort"
  ok=$(count_records "$work/l.jsonl" ok)
  (( ok > 0 && ok < 400 )) || fail "$ok users ok"
  [[ $(count_records "$work/l.jsonl" failed) -eq 0 ]] || fail "users were failed for the token"
  ;;
failed_out_feeds_a_rerun)
  start_sim --users 60 --fail-rate 0.5
  exit_code rc run --input "$work/users.txt" --ledger "$work/l.jsonl" --yes --max-attempts 1 --types oath,push 2>"$work/err"
  [[ $rc -eq 1 ]] || fail "a run with failures exited $rc, not 1"
  "$devreset" report "$work/l.jsonl" --failed-out "$work/retry.csv" >"$work/report.txt" && fail "report said all ok"
  grep -q "Users:  ok" "$work/report.txt" || fail "report text: $(cat "$work/report.txt")"
  todo=$(($(wc -l <"$work/retry.csv") - 2))
  (( todo > 0 )) || fail "nothing to retry in $(cat "$work/retry.csv")"
  head -1 "$work/retry.csv" | grep -q "^# devreset: tenant $tenant/am realm " || fail "no origin line"
  sed -n 2p "$work/retry.csv" | grep -qx "user_id,user_name,mail,types,realm" || fail "no CSV header"
  run --input "$work/retry.csv" --ledger "$work/l.jsonl" --resume --yes --max-attempts 20 \
    --backoff-base 5ms 2>"$work/err2" || fail "rerun exited $?: $(cat "$work/err2")"
  "$devreset" report "$work/l.jsonl" --format json >"$work/report.json" || fail "report not all ok: $(cat "$work/report.json")"
  [[ $(json_get "$(cat "$work/report.json")" '["by_status"]["ok"]') -eq 60 ]] || fail "$(cat "$work/report.json")"
  s=$(stats)
  [[ $(json_get "$s" '["devices_left"]["oath"]') -eq 0 && $(json_get "$s" '["devices_left"]["push"]') -eq 0 ]] \
    || fail "devices left: $s"
  ;;
demo)
  "$devreset" demo >"$work/out" 2>"$work/err" || fail "demo exited $?: $(cat "$work/err")"
  grep -q "Users:  ok 500" "$work/err" || fail "demo summary: $(cat "$work/err")"
  grep -q "Users reset more than once: 0" "$work/err" || fail "$(cat "$work/err")"
  grep -q "500 users" "$work/out" || fail "no report: $(cat "$work/out")"
  # Nothing is left in /tmp, unless --keep (then it says where).
  dir=$(sed -n 's/.*Ledger: \(.*\)\/ledger.jsonl$/\1/p' "$work/err" | head -1)
  [[ -n "$dir" && ! -e "$dir" ]] || fail "the demo left $dir behind"
  "$devreset" demo --keep >/dev/null 2>"$work/err2" || fail "demo --keep: $(cat "$work/err2")"
  kept=$(sed -n 's/.*Kept: \([^ ]*\) .*/\1/p' "$work/err2")
  [[ -n "$kept" && -s "$kept/ledger.jsonl" ]] || fail "--keep: $(tail -3 "$work/err2")"
  rm -rf "$kept"
  ;;
hostile_inputs)
  # Inputs from an incident in a hurry: each is a clear error naming the file (and line), or
  # invalid-row records next to the good rows, in memory that does not grow with the input.
  # DEVRESET_HOSTILE_LINE_BYTES sets the size of the one-line file (2G for the full check).
  start_sim --users 6
  line_bytes=${DEVRESET_HOSTILE_LINE_BYTES:-160M}
  peak_kb() { awk '/^peak_kb=/{sub("peak_kb=",""); print}' "$1"; }
  hostile() {  # name, expected exit, expected text on stderr, input, extra args
    local name=$1 want_rc=$2 want=$3 input=$4; shift 4
    rm -f "$work/l.jsonl"
    set +e
    /usr/bin/time -f "peak_kb=%M" -o "$work/time.$name" \
      "$devreset" run --tenant "$tenant" --realm alpha --ca-file "$work/ca.pem" \
      --token-file "$work/token.txt" --progress none --yes --input "$input" \
      --ledger "$work/l.jsonl" "$@" >/dev/null 2>"$work/err.$name"
    local rc=$?
    set -e
    [[ $rc -eq $want_rc ]] || fail "$name: exit $rc, not $want_rc: $(head -c 600 "$work/err.$name")"
    grep -q -- "$want" "$work/err.$name" || fail "$name: stderr does not say '$want': $(head -c 600 "$work/err.$name")"
    if [[ -s "$work/l.jsonl" ]]; then  # every record is whole JSON and printable UTF-8
      python3 - "$work/l.jsonl" <<'PY' || fail "$name: ledger is not clean JSON Lines"
import json, sys
data = open(sys.argv[1], "rb").read()
data.decode("utf-8")
for line in data.splitlines():
    json.loads(line)
PY
    fi
    echo "$name: exit $rc, peak RSS $(peak_kb "$work/time.$name") KiB" >&2
  }
  mkdir "$work/adir"
  hostile directory 2 "adir: is a directory" "$work/adir"
  mkfifo "$work/fifo.csv"
  (cat "$work/users.txt" >"$work/fifo.csv" &)
  hostile fifo 0 "Users:  ok 6" "$work/fifo.csv"
  noise() {  # the same pseudo-random bytes every time (an AES-CTR keystream)
    head -c "$1" /dev/zero | openssl enc -aes-128-ctr -K 000102030405060708090a0b0c0d0e0f \
      -iv 00000000000000000000000000000000 2>/dev/null
  }
  { printf 'PK\003\004\024\000,\010\000\n'; noise 100000; } >"$work/sheet.csv"  # a zip, named .csv
  hostile zip_as_csv 2 "sheet.csv: is a spreadsheet, not a list of users: save it as CSV" "$work/sheet.csv"
  noise 200000 >"$work/random.csv"
  hostile binary_garbage 1 "invalid 1540" "$work/random.csv"
  { echo user_id; noise 200000 | tr -d '\n,"' | fold -w 30; echo; cat "$work/users.txt"; } >"$work/garbage_rows.csv"
  hostile binary_rows 1 "Users:  ok 6  .*invalid" "$work/garbage_rows.csv"
  { echo user_id; printf 'nul\0in\0id\n'; cat "$work/users.txt"; } >"$work/nul.csv"
  hostile nul_bytes 1 "Users:  ok 6  invalid 1" "$work/nul.csv"
  grep -q 'control character' "$work/l.jsonl" || fail "nul_bytes: no reason recorded"
  { echo user_id; head -c "$line_bytes" /dev/zero | tr '\0' x; echo; cat "$work/users.txt"; } >"$work/long.csv"
  hostile one_huge_line 1 "Users:  ok 6  invalid 1" "$work/long.csv"
  grep -q 'row longer than 65536 bytes' "$work/l.jsonl" || fail "one_huge_line: no reason recorded"
  # Against the small input's peak (sanitizer builds start near 100 MB): far less than the line.
  (( $(peak_kb "$work/time.one_huge_line") < $(peak_kb "$work/time.nul_bytes") + 49152 )) ||
    fail "one_huge_line: peak RSS $(peak_kb "$work/time.one_huge_line") KiB: the line was buffered"
  { echo user_id; head -c "$line_bytes" /dev/zero | tr '\0' ,; echo; cat "$work/users.txt"; } >"$work/commas.csv"
  hostile a_line_of_commas 1 "Users:  ok 6  invalid 1" "$work/commas.csv"
  (( $(peak_kb "$work/time.a_line_of_commas") < $(peak_kb "$work/time.nul_bytes") + 49152 )) ||
    fail "a_line_of_commas: peak RSS $(peak_kb "$work/time.a_line_of_commas") KiB: the fields were kept"
  rm -f "$work/long.csv" "$work/commas.csv"
  python3 - "$work/users.txt" >"$work/deep.json" <<'PY'
import json, sys
ids = open(sys.argv[1]).read().split()
print("[" + "[" * 5000 + "]" * 5000 + "," + ",".join(json.dumps(i) for i in ids) + "]")
PY
  hostile deeply_nested_json 1 "Users:  ok 6  invalid 1" "$work/deep.json"
  { printf '['; head -c 50M /dev/zero | tr '\0' '['; } >"$work/deeper.json"
  hostile endless_nesting 3 "deeper.json:1: cannot be read past this line: unexpected end of the file" "$work/deeper.json"
  first=$(head -1 "$work/users.txt")
  awk -v id="$first" 'BEGIN { print "user_id"; for (i = 0; i < 1000000; i++) print id }' >"$work/dups.csv"
  before=$(json_get "$(stats)" '["requests"]')
  hostile a_million_duplicates 0 "duplicates skipped 999999" "$work/dups.csv"
  [[ $(count_records "$work/l.jsonl" ok) -eq 1 ]] || fail "a_million_duplicates: not one ok record"
  sent=$(( $(json_get "$(stats)" '["requests"]') - before ))
  [[ $sent -le 12 ]] || fail "a_million_duplicates: $sent requests for one user"
  grep -q '"rows":1000000,"duplicates":999999' "$work/l.jsonl" || fail "duplicates not in the summary record"
  ;;
ledger_disk_full)
  # The ledger's file system fills up mid-run (here: a file-size limit, which gives the same
  # write error as a full disk): a clear abort, exit 3, the ledger whole; --resume then ends it.
  start_sim --users 200
  run_in_12_kib() { (ulimit -f 12; run "$@"); }
  exit_code rc run_in_12_kib --input "$work/users.txt" --ledger "$work/l.jsonl" --yes 2>"$work/err"
  [[ $rc -eq 3 ]] || fail "exit $rc, not 3: $(tail -5 "$work/err")"
  grep -q "l.jsonl" "$work/err" || fail "the error does not name the ledger: $(tail -5 "$work/err")"
  grep -qi "file too large\|no space" "$work/err" || fail "the error does not say why: $(tail -5 "$work/err")"
  (( $(stat -c %s "$work/l.jsonl") <= 12288 )) || fail "the ledger grew past the limit"
  python3 - "$work/l.jsonl" <<'PY' || fail "the ledger is not whole"
import json, sys
data = open(sys.argv[1], "rb").read()
assert data.endswith(b"\n"), "a partial last line was left"
for line in data.splitlines():
    json.loads(line)
PY
  run --input "$work/users.txt" --ledger "$work/l.jsonl" --yes --resume 2>>"$work/err" \
    || fail "the resume after freeing space exited $?: $(tail -5 "$work/err")"
  [[ $(count_records "$work/l.jsonl" ok) -eq 200 ]] || fail "not 200 ok records after the resume"
  ;;
tls_name_is_checked)
  # A tenant whose certificate does not name the host we asked for is refused, even when
  # its CA is trusted: the sim on 127.0.0.2 holds a certificate for localhost and 127.0.0.1.
  start_sim --users 5 --listen 127.0.0.2:0
  [[ "$tenant" == https://127.0.0.2:* ]] || fail "the sim is not on 127.0.0.2: $tenant"
  exit_code rc run --input "$work/users.txt" --ledger "$work/l.jsonl" --yes 2>"$work/err"
  [[ $rc -eq 3 ]] || fail "exit $rc, not 3: $(cat "$work/err")"
  grep -qi "certificate" "$work/err" || fail "the error does not name the certificate: $(cat "$work/err")"
  [[ $(json_get "$(stats)" '["requests"]') -eq 0 ]] || fail "requests were sent to a tenant of another name"
  [[ ! -s "$work/l.jsonl" ]] || fail "the ledger holds records"
  # --insecure turns the checks off, and says so loudly.
  "$devreset" run --tenant "$tenant" --realm alpha --insecure --token-file "$work/token.txt" --progress none \
    --input "$work/users.txt" --ledger "$work/l2.jsonl" --yes 2>"$work/err2" || fail "--insecure: $(cat "$work/err2")"
  grep -q "WARNING: --insecure: the tenant's certificate is NOT verified" "$work/err2" || fail "no warning"
  [[ $(count_records "$work/l2.jsonl" ok) -eq 5 ]] || fail "--insecure: not 5 ok"
  ;;
second_ctrl_c_leaves_at_once)
  # The first Ctrl-C waits for the users in flight (--grace); a second leaves at once, with
  # the ledger whole and its summary record written.
  # A third of the answers take 30 s: waiting for the users in flight would take that long.
  start_sim --users 400 --latency 50ms --slow-rate 0.3 --slow-delay 30s
  "$devreset" run --tenant "$tenant" --realm alpha --ca-file "$work/ca.pem" --token-file "$work/token.txt" \
    --progress none --input "$work/users.txt" --ledger "$work/l.jsonl" --yes --concurrency 8 --grace 60s 2>"$work/err" &
  pid=$!
  wait_for_users "$work/l.jsonl" 1
  kill -INT "$pid"
  # Two signals sent before the first is taken are one: the second waits for its word.
  for _ in $(seq 600); do grep -q "stopping" "$work/err" && break; sleep 0.1; done
  grep -q "stopping" "$work/err" || fail "the first Ctrl-C was not taken: $(cat "$work/err")"
  kill -0 "$pid" 2>/dev/null || fail "the first Ctrl-C did not wait for the users in flight"
  start=$(date +%s%N)
  kill -INT "$pid"
  exit_code rc wait "$pid"
  took_ms=$(( ($(date +%s%N) - start) / 1000000 ))
  [[ $rc -eq 3 ]] || fail "exit $rc, not 3"
  (( took_ms < 20000 )) || fail "the second Ctrl-C took $took_ms ms (grace 60 s, answers 30 s late)"
  grep -q "second interrupt, exiting now" "$work/err" || fail "$(cat "$work/err")"
  python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$work/l.jsonl" || fail "the ledger does not parse"
  grep -q '"record":"summary"' "$work/l.jsonl" || fail "no summary record"
  ;;
token_file_refreshed_mid_run)
  # The token in --token-file expires mid-run; a refresher writes a new one before it does:
  # devreset re-reads the file and no user fails.
  # 8 s from the sim's start: the run's start and first record fit before it on a busy machine.
  start_sim --users 500 --latency 20ms --token-expires 8s --next-token fresh-token
  "$devreset" run --tenant "$tenant" --realm alpha --ca-file "$work/ca.pem" --token-file "$work/token.txt" \
    --progress none --input "$work/users.txt" --ledger "$work/l.jsonl" --yes --concurrency 4 2>"$work/err" &
  pid=$!
  wait_for_users "$work/l.jsonl" 1  # the old token in use
  echo fresh-token >"$work/token.new" && mv "$work/token.new" "$work/token.txt"
  exit_code rc wait "$pid"
  [[ $rc -eq 0 ]] || fail "exit $rc: $(tail -5 "$work/err")"
  [[ $(count_records "$work/l.jsonl" ok) -eq 500 ]] || fail "not 500 ok"
  grep -q "fresh-token" "$work/l.jsonl" "$work/err" && fail "the token leaked"
  elapsed=$(python3 -c 'import json,sys; print([json.loads(l) for l in open(sys.argv[1])][-1]["elapsed_s"])' "$work/l.jsonl")
  python3 -c "import sys; sys.exit(0 if $elapsed > 8.5 else 1)" || fail "the run ($elapsed s) ended before the old token expired: nothing was tested"
  ;;
ledger_synced_every_second)
  # The ledger reaches the disk (fdatasync) at least once a second while a run goes on, and
  # at the end; not once per record.
  command -v strace >/dev/null || fail "strace is missing (scripts/setup.sh installs it)"
  start_sim --users 400 --latency 20ms
  # LeakSanitizer cannot run under ptrace: off for this one run of a sanitizer build.
  ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
  strace -f -qq -e trace=fdatasync -o "$work/trace" "$devreset" run --tenant "$tenant" --realm alpha \
    --ca-file "$work/ca.pem" --token-file "$work/token.txt" --progress none --input "$work/users.txt" \
    --ledger "$work/l.jsonl" --yes --concurrency 4 2>"$work/err" || fail "exit $?: $(tail -3 "$work/err")"
  syncs=$(grep -c "fdatasync(" "$work/trace" || true)
  elapsed=$(python3 -c 'import json,sys; print(int([json.loads(l) for l in open(sys.argv[1])][-1]["elapsed_s"]))' "$work/l.jsonl")
  records=$(grep -c '"record":"user"' "$work/l.jsonl")
  echo "$syncs syncs in a run of $elapsed s and $records records" >&2
  (( elapsed >= 2 )) || fail "the run was too short ($elapsed s) to show a once-a-second sync"
  # About one a second, not one per record. A second is counted from a sync's start to the
  # first record written after it, so under strace on a loaded machine each lasts a little
  # more: at least one every 1.5 s.
  (( 3 * syncs >= 2 * elapsed && syncs <= 2 * elapsed + 4 )) || fail "$syncs syncs in $elapsed s"
  ;;
progress_fits_the_terminal)
  # Issue 19: on terminals 60, 80 and 120 columns wide, the live line never exceeds the
  # width and redraws in place: one progress line in the scroll-back, not one per second.
  start_sim --users 500 --latency 20ms --rate-limit 250
  for cols in 60 80 120; do
    rm -f "$work/l.jsonl"
    cmd="stty cols $cols rows 40; $devreset run --tenant $tenant --realm alpha --ca-file $work/ca.pem --token-file $work/token.txt --input $work/users.txt --ledger $work/l.jsonl --yes --progress bar --concurrency 8 --types oath"
    script -q -e -c "$cmd" "$work/tty.$cols" >/dev/null 2>&1 || fail "$cols columns: the run failed: $(tail -c 400 "$work/tty.$cols")"
    python3 - "$work/tty.$cols" "$cols" <<'PY' || fail "$cols columns: see above"
import re, sys
data = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
cols = int(sys.argv[2])
data = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", data)   # clear-to-end-of-line and the like
lines = data.split("\n")
progress = [l for l in lines if re.search(r"\d+/\d+ users", l)]
redraws = sum(l.count("\r") for l in progress)
too_long = [seg for l in progress for seg in l.split("\r") if len(seg) > cols]
if len(progress) != 1:
    print(f"{len(progress)} progress lines in the scroll-back (expected 1)", file=sys.stderr); sys.exit(1)
if too_long:
    print(f"{len(too_long)} segments wider than {cols}: {too_long[0]!r}", file=sys.stderr); sys.exit(1)
if redraws < 2:
    print(f"only {redraws} redraws: the run was too short to show any", file=sys.stderr); sys.exit(1)
print(f"{cols} columns: {redraws} redraws, widest {max(len(s) for l in progress for s in l.split(chr(13)))}", file=sys.stderr)
PY
  done
  ;;
probe_finds_the_limit)
  # A tenant limited to 100 requests/s: the probe reports what it sustains within 10%,
  # sends only reads, and never overwrites its --out.
  start_sim --users 2000 --latency 50ms --rate-limit 100  # 50 ms: a stall on a loaded machine is no knee
  before=$(json_get "$(stats)" '["devices_left"]')
  probe() {
    "$devreset" probe --tenant "$tenant" --realm alpha --ca-file "$work/ca.pem" \
      --token-file "$work/token.txt" --input "$work/users.txt" --types oath,webauthn "$@"
  }
  probe --rate 400 --start-rate 25 --step-duration 2s --out "$work/probe.jsonl" \
    >"$work/out" 2>"$work/err" || fail "probe exited $?: $(cat "$work/err")"
  result=$(tail -n 1 "$work/probe.jsonl")
  [[ $(json_get "$result" '["stopped_by"]') == "429s" ]] || fail "not stopped by 429s: $result"
  python3 -c 'import json,sys; r=json.loads(sys.argv[1]); sys.exit(not 90 <= r["sustainable_per_s"] <= 110)' \
    "$result" || fail "sustainable rate not within 10% of 100: $result"
  grep -q "^Estimate: resetting 2000 users of types oath,webauthn" "$work/out" || fail "no estimate: $(cat "$work/out")"
  python3 - "$work/probe.jsonl" <<'PY' || fail "a step above --rate 400"
import json, sys
steps = [json.loads(l) for l in open(sys.argv[1]) if '"probe_step"' in l]
sys.exit(not steps or any(s["offered_per_s"] > 400 for s in steps))
PY
  s=$(stats)
  [[ "$(json_get "$s" '["devices_left"]')" == "$before" ]] || fail "the probe changed the tenant"
  [[ $(json_get "$s" '["deletes"]') -eq 0 && $(json_get "$s" '["resets_per_user"]["1"]') -eq 0 ]] \
    || fail "the probe reset or deleted something"
  exit_code rc probe --rate 50 --out "$work/probe.jsonl" >/dev/null 2>"$work/err2"
  [[ $rc -eq 2 ]] && grep -q "never overwritten" "$work/err2" || fail "an existing --out: exit $rc"
  ;;
probe_finds_a_latency_knee)
  # A tenant that slows down instead of answering 429 (60 requests a second, the rest wait):
  # the probe stops at the knee (the median latency), two steps in a row past it, and reports
  # the rate before them.
  start_sim --users 2000 --latency 20ms --capacity 60
  "$devreset" probe --tenant "$tenant" --realm alpha --ca-file "$work/ca.pem" --token-file "$work/token.txt" \
    --input "$work/users.txt" --types oath --rate 400 --start-rate 20 --step-duration 2s --out "$work/k.jsonl" \
    >"$work/out" 2>"$work/err" || fail "probe exited $?: $(cat "$work/err")"
  python3 - "$work/k.jsonl" <<'PY' || fail "$(cat "$work/k.jsonl")"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
steps = [l for l in lines if l["record"] == "probe_step"]
result = lines[-1]
assert result["stopped_by"] == "latency", result
first = steps[0]["latency_ms"]["p50"]
past = [s["latency_ms"]["p50"] > max(2 * first, first + 5) for s in steps]
assert past[-2:] == [True, True] and not past[-3], ("two steps past the knee, not one", past)
assert 30 <= result["sustainable_per_s"] <= 60, ("below the capacity", result)
assert not any(s["throttled_429"] for s in steps), "nothing refused"
PY
  grep -q "^Sustainable: ≈ .*median latency rose from .* and went on rising at" "$work/out" || fail "$(cat "$work/out")"
  ;;
probe_agrees_with_itself_on_a_busy_machine)
  # Two busy loops take this machine's two cores: a stall of the client is no limit of the
  # tenant's. The same probe twice says the same within 10%, both times from the tenant's 429s,
  # seen twice at one rate. The sim shares the busy machine: a stall of its own hands its token
  # bucket (burst 10) a burst, so it may answer 429 below its nominal 100/s (CI: 79 and 81/s);
  # that is the tenant's answer, and the probe reports it. Bounds: above the 56/s step, at or
  # below the limit.
  start_sim --users 2000 --latency 50ms --rate-limit 100
  for _ in 1 2; do yes >/dev/null & other_pids+=($!); done
  for i in 1 2; do
    "$devreset" probe --tenant "$tenant" --realm alpha --ca-file "$work/ca.pem" --token-file "$work/token.txt" \
      --input "$work/users.txt" --types oath --rate 400 --start-rate 25 --step-duration 2s --out "$work/p$i.jsonl" \
      >"$work/out$i" 2>"$work/err$i" || fail "probe $i exited $?: $(cat "$work/err$i")"
  done
  python3 - "$work/p1.jsonl" "$work/p2.jsonl" <<'PY' || fail "$(cat "$work/out1" "$work/out2")"
import json, sys
results = [json.loads(open(p).readlines()[-1]) for p in sys.argv[1:]]
assert all(r["stopped_by"] == "429s" for r in results), results
a, b = (r["sustainable_per_s"] for r in results)
assert abs(a - b) <= 0.1 * max(a, b), ("the two probes disagree", a, b)
assert all(60 <= r["sustainable_per_s"] <= 110 for r in results), results
steps = [json.loads(l) for l in open(sys.argv[1]) if '"probe_step"' in l]
assert steps[-1]["repeat"] and steps[-2]["throttled_429"] > 0, "429s seen once only"
PY
  grep -q "and to .* when asked again" "$work/out1" || fail "$(cat "$work/out1")"
  ;;
probe_stops_at_its_ceiling_and_max_duration)
  start_sim --users 500 --latency 50ms
  "$devreset" probe --tenant "$tenant" --realm alpha --ca-file "$work/ca.pem" --token-file "$work/token.txt" \
    --input "$work/users.txt" --types oath --rate 60 --start-rate 40 --step-duration 1s --out "$work/c.jsonl" \
    >"$work/out" 2>"$work/err" || fail "probe exited $?: $(cat "$work/err")"
  [[ $(json_get "$(tail -n 1 "$work/c.jsonl")" '["stopped_by"]') == "ceiling" ]] || fail "$(cat "$work/c.jsonl")"
  [[ $(grep -c probe_step "$work/c.jsonl") -eq 2 ]] || fail "not two steps (40/s, then --rate 60)"
  grep -q "^Sustainable: ≥" "$work/out" || fail "a ceiling is not a limit: $(cat "$work/out")"
  "$devreset" probe --tenant "$tenant" --realm alpha --ca-file "$work/ca.pem" --token-file "$work/token.txt" \
    --input "$work/users.txt" --types oath --start-rate 20 --step-duration 1s --max-duration 3s \
    --out "$work/m.jsonl" >"$work/out" 2>"$work/err" || fail "probe exited $?: $(cat "$work/err")"
  [[ $(json_get "$(tail -n 1 "$work/m.jsonl")" '["stopped_by"]') == "max_duration" ]] || fail "$(cat "$work/m.jsonl")"
  [[ $(grep -c probe_step "$work/m.jsonl") -le 3 ]] || fail "more steps than --max-duration holds"
  ;;
probe_knows_its_own_ceiling)
  # One worker against 50 ms answers sends 20 requests a second at most: the steps above that
  # are this machine's ceiling, not the tenant's (no 429, the median as it was). The probe
  # says so and stops, instead of asking more until --max-duration.
  start_sim --users 1000 --latency 50ms
  "$devreset" probe --tenant "$tenant" --realm alpha --ca-file "$work/ca.pem" --token-file "$work/token.txt" \
    --input "$work/users.txt" --types oath --concurrency 1 --start-rate 12 --step-duration 2s \
    --out "$work/c.jsonl" >"$work/out" 2>"$work/err" || fail "probe exited $?: $(cat "$work/err")"
  python3 - "$work/c.jsonl" <<'PY' || fail "$(cat "$work/c.jsonl")"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
steps = [l for l in lines if l["record"] == "probe_step"]
result = lines[-1]
assert result["stopped_by"] == "client", result
assert result["at_least"], result
assert result["sustainable_per_s"] <= 21, ("more than one worker sends", result)
assert len(steps) <= 6, ("it went on asking", len(steps))
short = [s["sent_per_s"] < 0.8 * s["offered_per_s"] for s in steps]
assert short[-2:] == [True, True], short
PY
  grep -q "^Sustainable: ≥ .*this machine sent no more than .*raise --concurrency" "$work/out" || fail "$(cat "$work/out")"
  ;;
names_and_mails_resolved_in_batches)
  # 100 user names, an ambiguous mail, a name nobody has and one that tries to widen the
  # filter: one record each, the _id used in it, and the look-ups batched 25 to a query.
  start_sim --users 200
  {
    echo "user_name,mail"
    for i in $(seq 0 99); do printf 'user%06d,\n' "$i"; done
    echo ",user000048@example.com"
    echo "nobody,"
    echo '"x"" or true or userName eq """,'
  } >"$work/names.csv"
  exit_code rc run --input "$work/names.csv" --ledger "$work/n.jsonl" --yes --types oath >"$work/out" 2>"$work/err"
  [[ $rc -eq 1 ]] || fail "exit $rc (expected 1: some users not ok): $(cat "$work/err")"
  python3 - "$work/n.jsonl" "$work/users.txt" <<'PY' || fail "the ledger: $(tail -n 5 "$work/n.jsonl")"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if '"record":"user"' in l]
ids = [l.strip() for l in open(sys.argv[2])]
by_name = {r.get("user_name", r.get("mail")): r for r in recs}
assert len(recs) == 103, len(recs)
for i in range(100):
    r = by_name["user%06d" % i]
    assert r["status"] == "ok" and r["user_id"] == ids[i], r
amb = by_name["user000048@example.com"]
assert amb["status"] == "invalid" and amb["reason"].startswith("2 users have mail"), amb
assert "user_id" not in amb
assert by_name["nobody"]["status"] == "not_found", by_name["nobody"]
odd = by_name['x" or true or userName eq "']
assert odd["status"] == "not_found", odd
PY
  s=$(stats)
  queries=$(json_get "$s" '["idm"]["user_queries"]')
  # 100 names in 4 look-ups, the mail in 1, the last two names in 1; the preflight's 1.
  [[ $queries -le 7 ]] || fail "$queries look-ups for 103 names (batched: at most 7)"
  # No name widened its look-up: the answers held only the users asked for (100 names, the
  # two owners of the shared mail, and the preflight's look-up of the first name).
  returned=$(json_get "$s" '["idm"]["users_returned"]')
  [[ $returned -le 103 ]] || fail "the look-ups returned $returned users, not the 103 asked for"
  [[ $(json_get "$s" '["resets_per_user"]["1"]') -eq 100 ]] || fail "not 100 users reset: $s"
  # A resume resolves again and skips every user already ok.
  run --input "$work/names.csv" --ledger "$work/n.jsonl" --yes --types oath --resume >/dev/null 2>&1 || true
  [[ $(json_get "$(stats)" '["resets_per_user"]["2+"]') -eq 0 ]] || fail "a resumed run reset a user twice"
  ;;
lookups_batched_whatever_the_mix)
  # 38 names and 38 mails, mixed row by row, picked up by 8 workers: each kind's names wait
  # for a look-up's worth, so 4 look-ups (25 + 13 of each) and the preflight's, not 11.
  start_sim --users 200
  {
    echo "user_name,mail"
    for i in $(seq 0 37); do printf 'user%06d,\n,user%06d@example.com\n' "$i" $((i + 100)); done
  } >"$work/mixed.csv"
  run --input "$work/mixed.csv" --ledger "$work/m.jsonl" --yes --types oath --concurrency 8 \
    >"$work/out" 2>"$work/err" || fail "exit $?: $(cat "$work/err")"
  [[ $(count_records "$work/m.jsonl" ok) -eq 76 ]] || fail "not 76 users ok: $(tail -n 3 "$work/m.jsonl")"
  s=$(stats)
  queries=$(json_get "$s" '["idm"]["user_queries"]')
  [[ $queries -le 5 ]] || fail "$queries look-ups for 38 names and 38 mails (at most 2 + 2 and the preflight's)"
  [[ $(json_get "$s" '["resets_per_user"]["1"]') -eq 76 ]] || fail "not 76 users reset once: $s"
  ;;
idm_scope_refused_in_the_preflight)
  start_sim --users 20 --token-scopes 'fr:am:*'
  printf 'user_name\nuser000001\n' >"$work/names.csv"
  exit_code rc run --input "$work/names.csv" --ledger "$work/l.jsonl" --yes >"$work/out" 2>"$work/err"
  [[ $rc -eq 2 ]] || fail "exit $rc (expected 2)"
  grep -q "may not read users at https://.*/openidm/managed/alpha_user (403 Forbidden): it needs the fr:idm:\* scope" "$work/err" \
    || fail "not one clear line: $(cat "$work/err")"
  [[ $(json_get "$(stats)" '["resets_per_user"]["1"]') -eq 0 ]] || fail "something was reset"
  ;;
verify_finds_devices_left)
  # A tenant that answers {"result":true} but leaves a device behind half the time: --verify
  # lists each type again, records what remains, and fails those types.
  # The users named by user name: --failed-out then names them the same way.
  start_sim --users 40 --leave-behind-rate 0.5
  { echo user_name; for i in $(seq 0 39); do printf 'user%06d\n' "$i"; done; } >"$work/names.csv"
  exit_code rc run --input "$work/names.csv" --ledger "$work/v.jsonl" --yes --types oath,push --verify >"$work/out" 2>"$work/err"
  [[ $rc -eq 1 ]] || fail "exit $rc (expected 1: devices remain): $(cat "$work/err")"
  s=$(stats)
  left=$(python3 -c 'import json,sys; d=json.loads(sys.argv[1])["devices_left"]; print(d["oath"] + d["push"])' "$s")
  python3 - "$work/v.jsonl" "$left" <<'PY' || fail "the ledger does not say what remains"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if '"record":"user"' in l]
results = [t for r in recs for t in r["results"]]
assert len(recs) == 40 and all("remaining" in t for t in results)
left = [t for t in results if t["remaining"] > 0]
assert left, "the sim left devices behind, --verify saw none"
for t in left:
    assert t["status"] == "failed" and "remain" in t["error"] and "after the reset" in t["error"], t
assert sum(t["remaining"] for t in results) == int(sys.argv[2]), "remaining != the sim's devices left"
assert all(r["status"] != "ok" for r in recs if any(t["remaining"] for t in r["results"]))
PY
  ok=$(python3 -c 'import json,sys; print(sum(1 for l in open(sys.argv[1]) if "\"record\":\"user\"" in l and json.loads(l)["status"] == "ok"))' "$work/v.jsonl")
  "$devreset" report "$work/v.jsonl" >"$work/report" || true
  grep -q "(verified $ok:" "$work/report" || fail "report does not count $ok verified users: $(cat "$work/report")"
  "$devreset" report "$work/v.jsonl" --failed-out "$work/retry.csv" >/dev/null || true
  [[ $(tail -n +3 "$work/retry.csv" | wc -l) -eq $((40 - ok)) ]] || fail "failed-out: $(cat "$work/retry.csv")"
  tail -n +3 "$work/retry.csv" | grep -vqE '^,user0000[0-9]{2},,(oath|push|oath;push),/realms/root/realms/alpha$' \
    && fail "failed-out does not name them by user name: $(cat "$work/retry.csv")"
  ;;
query_and_group_read_page_by_page)
  # 10,000 users straight from the tenant, 100 a page: each once; a resume re-reads the query
  # and resets nobody twice; a group's members; a group that is not there.
  start_sim --users 10000
  run --query 'userName sw "user"' --page-size 100 --ledger "$work/q.jsonl" --yes --types oath --concurrency 32 \
    >"$work/out" 2>"$work/err" || fail "exit $?: $(cat "$work/err")"
  python3 - "$work/q.jsonl" <<'PY' || fail "not every user once"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
users = [r["user_id"] for r in recs if r["record"] == "user"]
assert len(users) == 10000 and len(set(users)) == 10000, (len(users), len(set(users)))
run = next(r for r in recs if r["record"] == "run")
assert run["input"] == "--query 'userName sw \"user\"'" and run["input_format"] == "idm", run
PY
  s=$(stats)
  [[ $(json_get "$s" '["idm"]["user_queries"]') -eq 100 ]] || fail "not 100 pages: $(json_get "$s" '["idm"]')"
  [[ $(json_get "$s" '["resets_per_user"]["1"]') -eq 10000 ]] || fail "not every user reset: $s"
  run --query 'userName sw "user"' --page-size 100 --ledger "$work/q.jsonl" --yes --types oath --resume \
    >/dev/null 2>&1 || fail "the resumed run exited $?"
  [[ $(json_get "$(stats)" '["resets_per_user"]["2+"]') -eq 0 ]] || fail "a resumed query reset a user twice"
  before=$(json_get "$(stats)" '["idm"]["queries"]')
  run --group group3 --page-size 100 --ledger "$work/g.jsonl" --yes --types push >/dev/null 2>"$work/err" || fail "--group: $(cat "$work/err")"
  [[ $(grep -c '"record":"user"' "$work/g.jsonl") -eq 1000 ]] || fail "group3 has 1000 members"
  (( $(json_get "$(stats)" '["idm"]["queries"]') - before >= 11 )) || fail "not 10 pages of members (and the group look-up): $(json_get "$(stats)" '["idm"]')"
  # The sim writes its cookies as AIC's IDM does, percent-encoded, and takes them back only as
  # written: encoded again, or decoded, they are refused (400), as a real tenant refuses them.
  idm() { curl --silent --cacert "$work/ca.pem" -H "Authorization: Bearer sim-token" -o "$work/page.json" -w '%{http_code}' \
    "$tenant/openidm/managed/alpha_user?_queryFilter=true&_fields=_id&_pageSize=5$1"; }
  [[ $(idm "") == 200 ]] || fail "a first page"
  cookie=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pagedResultsCookie"])' "$work/page.json")
  [[ $cookie == *%3D* ]] || fail "the cookie is not percent-encoded: $cookie"
  [[ $(idm "&_pagedResultsCookie=$cookie") == 200 ]] || fail "the cookie as written was refused"
  [[ $(idm "&_pagedResultsCookie=${cookie//%/%25}") == 400 ]] || fail "a cookie encoded twice was taken"
  decoded=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.unquote(sys.argv[1]))' "$cookie")
  [[ $(idm "&_pagedResultsCookie=$decoded") == 400 ]] || fail "a decoded cookie was taken"
  exit_code rc run --group nosuch --ledger "$work/n.jsonl" --yes >/dev/null 2>"$work/err"
  [[ $rc -eq 2 ]] && grep -q "no group named 'nosuch' in realm /realms/root/realms/alpha" "$work/err" \
    || fail "an unknown group: exit $rc: $(cat "$work/err")"
  exit_code rc run --query 'userName eq' --ledger "$work/b.jsonl" --yes >/dev/null 2>"$work/err"
  [[ $rc -eq 2 ]] && grep -q "Invalid query filter" "$work/err" || fail "a bad filter: exit $rc: $(cat "$work/err")"
  ;;
input_as_people_save_it)
  # A spreadsheet's CSV in a ';' locale, with a BOM, "User ID" and an export's extra columns:
  # read as meant; a mail column kept beside the id; the ignored columns said once.
  start_sim --users 20
  {
    printf '\xEF\xBB\xBFUser ID;E-mail;Types;Department\n'
    while read -r id; do printf '%s;someone@example.com;oath;Sales\n' "$id"; done <"$work/users.txt"
  } >"$work/export.csv"
  run --input "$work/export.csv" --ledger "$work/l.jsonl" --yes >"$work/out" 2>"$work/err" \
    || fail "exit $?: $(cat "$work/err")"
  [[ $(count_records "$work/l.jsonl" ok) -eq 20 ]] || fail "not 20 ok: $(cat "$work/err")"
  [[ $(grep -c "ignored columns: Department" "$work/err") -eq 1 ]] || fail "not said once: $(cat "$work/err")"
  python3 - "$work/l.jsonl" <<'PY' || fail "the ledger: $(head -n 2 "$work/l.jsonl")"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
run = recs[0]
assert run["delimiter"] == ";" and run["ignored_columns"] == ["Department"], run
u = recs[1]
assert u["named_by"] == "user_id" and u["mail"] == "someone@example.com", u
assert [t["type"] for t in u["results"]] == ["oath"], u
PY
  # A spreadsheet itself, and a typo of a column: refused, saying what to do.
  printf 'PK\003\004 not really a zip' >"$work/users.xlsx"
  set +e
  run --input "$work/users.xlsx" --ledger "$work/x.jsonl" --yes >/dev/null 2>"$work/err2"; rc1=$?
  printf 'user_id,type\nabc,oath\n' >"$work/typo.csv"
  run --input "$work/typo.csv" --ledger "$work/t.jsonl" --yes >/dev/null 2>"$work/err3"; rc2=$?
  set -e
  [[ $rc1 -eq 2 ]] && grep -q "is a spreadsheet, not a list of users: save it as CSV (UTF-8)" "$work/err2" \
    || fail "xlsx: exit $rc1: $(cat "$work/err2")"
  [[ $rc2 -eq 2 ]] && grep -q "did you mean types?" "$work/err3" || fail "type: exit $rc2: $(cat "$work/err3")"
  ;;
*) fail "unknown case" ;;
esac
echo "$case_name: ok"
