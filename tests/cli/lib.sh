# Helpers of the CLI tests: a temporary work folder, `devreset sim` on 127.0.0.1, the usual
# flags, and readers of the ledger and the sim's statistics. Sourced with the devreset
# binary and the case name as $1 and $2.
devreset=$1
case_name=$2
umask 077  # token files, ledgers and keys as an operator keeps them: nobody else's to read
work=$(mktemp -d)
sim_pid=""
other_pids=()
cleanup() {
  [[ -n "$sim_pid" ]] && kill "$sim_pid" 2>/dev/null || true
  for p in "${other_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL ($case_name): $*" >&2; exit 1; }
exit_code() {  # VAR command...: runs the command (a failure does not end the test), its exit code in VAR
  local -n exit_code_var=$1
  shift
  exit_code_var=0
  "$@" || exit_code_var=$?
}
# Waits are for events, and generous: one that comes returns at once, so the limit costs a
# quiet machine nothing and spares a busy one (or a sanitizer build) a false failure.
wait_for_users() {  # ledger N: until the ledger holds N user records (120 s at most, then the test fails)
  for _ in $(seq 1200); do
    [[ $(grep -c '"record":"user"' "$1" 2>/dev/null) -ge $2 ]] && return 0
    sleep 0.1
  done
  fail "$1 holds no $2 user records after 120 s"
}
wait_for_file() {  # file: until it is there and not empty (120 s at most, then the test fails)
  for _ in $(seq 1200); do
    [[ -s "$1" ]] && return 0
    sleep 0.1
  done
  fail "no $1 after 120 s"
}
unset DEVRESET_TOKEN
# The sim is local: no ceiling (the default --rate 50 is for a production tenant) unless a
# case sets one; a case about the default unsets this.
export DEVRESET_RATE=0

start_sim() {  # extra sim options; sets $tenant, $sim_pid, $work/{ca.pem,users.txt,token.txt}
  rm -f "$work/ready.json"  # a sim started before in this test left its own: wait for this one's
  "$devreset" sim --seed 5 --ready-file "$work/ready.json" --ca-out "$work/ca.pem" \
    --users-out "$work/users.txt" --token sim-token "$@" >/dev/null 2>"$work/sim.err" &
  sim_pid=$!
  for _ in $(seq 600); do [[ -s "$work/ready.json" ]] && break; sleep 0.1; done
  [[ -s "$work/ready.json" ]] || fail "sim did not start: $(cat "$work/sim.err")"
  tenant=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["url"])' "$work/ready.json")
  echo sim-token >"$work/token.txt"
}
start_proxy() {  # [user password]: Debian's tinyproxy on 127.0.0.1; sets $proxy_port, $proxy_log
  command -v tinyproxy >/dev/null || fail "tinyproxy is not installed (scripts/setup.sh installs it)"
  local dir="$work/proxy"
  mkdir -p "$dir"
  chmod 711 "$work"  # tinyproxy drops to nobody: it must reach its folder, nothing else
  chmod 777 "$dir"
  proxy_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  proxy_log="$dir/tinyproxy.log"
  : >"$proxy_log"
  chmod 666 "$proxy_log"
  {
    [[ $(id -u) -eq 0 ]] && printf 'User nobody\nGroup nogroup\n'
    printf 'Port %s\nListen 127.0.0.1\nTimeout 30\nMaxClients 256\n' "$proxy_port"
    printf 'LogFile "%s"\nLogLevel Info\nAllow 127.0.0.1\nDisableViaHeader Yes\n' "$proxy_log"
    [[ $# -eq 2 ]] && printf 'BasicAuth %s %s\n' "$1" "$2"
  } >"$dir/tinyproxy.conf"
  chmod 644 "$dir/tinyproxy.conf"
  tinyproxy -d -c "$dir/tinyproxy.conf" >"$dir/stdout" 2>&1 &
  other_pids+=($!)
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$proxy_port") 2>/dev/null && return 0
    sleep 0.1
  done
  fail "tinyproxy did not start: $(cat "$dir/stdout" "$proxy_log")"
}
connects_through_proxy() {  # CONNECT requests the proxy logged
  grep -c "CONNECT 127.0.0.1:" "$proxy_log" || true
}
stats() {  # the sim's counters (by the name its certificate holds, wherever it listens)
  local port=${tenant##*:} host=${tenant#https://}
  host=${host%:*}
  curl --silent --show-error --cacert "$work/ca.pem" --connect-to "localhost:$port:$host:$port" \
    "https://localhost:$port/sim/stats"
}
# A JSON value; on bad JSON (a failed curl) "json_get:error", which no [[ -eq ]] takes for 0.
json_get() {
  python3 -c "import json,sys; v=json.loads(sys.argv[1]); print(eval('v'+sys.argv[2]))" "$1" "$2" 2>/dev/null ||
    echo "json_get:error"
}
run() {  # devreset run with the usual flags, then the caller's
  "$devreset" run --tenant "$tenant" --realm alpha --ca-file "$work/ca.pem" \
    --token-file "$work/token.txt" --progress plain "$@"
}
count_records() {  # ledger, status -> number of user records with that status
  python3 - "$1" "$2" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1]):
    try: r = json.loads(line)
    except ValueError: continue
    if r.get("record") == "user" and r.get("status") == sys.argv[2]: n += 1
print(n)
PY
}


start_other_sim() {  # a second tenant, same seed (the same users); sets $tenant_b, $work/b/ca.pem
  mkdir -p "$work/b"
  rm -f "$work/b/ready.json"
  "$devreset" sim --seed 5 --ready-file "$work/b/ready.json" --ca-out "$work/b/ca.pem" \
    --token sim-token "$@" >/dev/null 2>"$work/b/sim.err" &
  other_pids+=($!)
  for _ in $(seq 600); do [[ -s "$work/b/ready.json" ]] && break; sleep 0.1; done
  [[ -s "$work/b/ready.json" ]] || fail "second sim did not start: $(cat "$work/b/sim.err")"
  tenant_b=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["url"])' "$work/b/ready.json")
}
stats_b() { curl --silent --show-error --cacert "$work/b/ca.pem" "$tenant_b/sim/stats"; }
run_b() {  # devreset run against the second tenant
  "$devreset" run --tenant "$tenant_b" --realm alpha --ca-file "$work/b/ca.pem" \
    --token-file "$work/token.txt" --progress plain "$@"
}
count_lines() { grep -c "$2" "$1" || true; }  # file, pattern -> lines matching
