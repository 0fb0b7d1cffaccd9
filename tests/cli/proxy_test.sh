#!/usr/bin/env bash
# Issue 14, through the binary and a real proxy (Debian's tinyproxy on 127.0.0.1): CONNECT
# tunnels, credentials, NO_PROXY, a proxy that is down, and no password anywhere.
# Usage: proxy_test.sh /path/to/devreset CASE
set -euo pipefail
source "$(dirname "$0")/lib.sh"
unset HTTPS_PROXY https_proxy ALL_PROXY all_proxy NO_PROXY no_proxy HTTP_PROXY http_proxy

summary_of() {  # ledger -> its summary record
  grep '"record":"summary"' "$1" | tail -n 1
}

start_tls_front() {  # stunnel: TLS on a port of its own in front of tinyproxy; sets $tls_port
  command -v stunnel >/dev/null || fail "stunnel is not installed (scripts/setup.sh installs it)"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$work/proxy/key.pem" -out "$work/proxy/cert.pem" 2>/dev/null
  tls_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  printf 'foreground = yes\npid =\n[proxy]\naccept = 127.0.0.1:%s\nconnect = 127.0.0.1:%s\ncert = %s\nkey = %s\n' \
    "$tls_port" "$proxy_port" "$work/proxy/cert.pem" "$work/proxy/key.pem" >"$work/proxy/stunnel.conf"
  stunnel "$work/proxy/stunnel.conf" >"$work/proxy/stunnel.out" 2>&1 &
  other_pids+=($!)
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$tls_port") 2>/dev/null && return 0
    sleep 0.1
  done
  fail "stunnel did not start: $(cat "$work/proxy/stunnel.out")"
}

case "$case_name" in
a_run_through_the_proxy)
  # Every user ok, the token from a service account's token endpoint through the same proxy;
  # one CONNECT a connection, not a request; the ledger says which proxy.
  key_src="$(dirname "$0")/../../samples/service-account.jwk.json"
  start_sim --users 60 --sa-id sa-proxy --sa-jwk "$key_src"
  cp "$key_src" "$work/sa.jwk.json"
  chmod 600 "$work/sa.jwk.json"
  start_proxy
  "$devreset" run --tenant "$tenant" --realm alpha --ca-file "$work/ca.pem" --sa-id sa-proxy \
    --sa-key "$work/sa.jwk.json" --input "$work/users.txt" --ledger "$work/l.jsonl" --yes \
    --concurrency 4 --proxy "http://127.0.0.1:$proxy_port" >"$work/out" 2>"$work/err" \
    || fail "exit $?: $(cat "$work/err")"
  [[ $(json_get "$(stats)" '["tokens_issued"]') -ge 1 ]] || fail "no token from the token endpoint"
  [[ $(count_records "$work/l.jsonl" ok) -eq 60 ]] || fail "not 60 ok"
  s=$(summary_of "$work/l.jsonl")
  connections=$(json_get "$s" '["connections"]')
  [[ $(connects_through_proxy) -eq $connections && $(json_get "$s" '["tunnels"]') -eq $connections ]] \
    || fail "$(connects_through_proxy) CONNECTs, $connections connections: $s"
  # 4 workers, the preflight and the token endpoint: keep-alive through each tunnel.
  (( connections <= 6 )) || fail "$connections connections for 4 workers: keep-alive through the tunnel"
  [[ $(json_get "$s" '["proxy"]') == "http://127.0.0.1:$proxy_port" ]] || fail "summary: $s"
  grep -q '"proxy":"http://127.0.0.1:' <(head -n 1 "$work/l.jsonl") || fail "the run record names no proxy"
  grep -Eq "^[0-9T:.-]+Z Proxy: http://127.0.0.1:$proxy_port \(" "$work/err" || fail "$(cat "$work/err")"
  ;;
credentials_and_where_they_never_go)
  start_sim --users 20 --latency 100ms
  start_proxy alice 's3cret-pw'
  # From the environment: ok.
  HTTPS_PROXY="http://alice:s3cret-pw@127.0.0.1:$proxy_port" \
    run --input "$work/users.txt" --ledger "$work/ok.jsonl" --yes >"$work/out1" 2>"$work/err1" \
    || fail "exit $?: $(cat "$work/err1")"
  [[ $(count_records "$work/ok.jsonl" ok) -eq 20 ]] || fail "not 20 ok"
  before=$(json_get "$(stats)" '["requests"]')
  # Wrong, then none: exit 3, one line each, nothing reaches the tenant.
  set +e
  run --input "$work/users.txt" --ledger "$work/bad.jsonl" --yes \
    --proxy "http://alice:wrong-pw@127.0.0.1:$proxy_port" >"$work/out2" 2>"$work/err2"
  rc_bad=$?
  run --input "$work/users.txt" --ledger "$work/none.jsonl" --yes \
    --proxy "http://127.0.0.1:$proxy_port" >"$work/out3" 2>"$work/err3"
  rc_none=$?
  set -e
  [[ $rc_bad -eq 3 ]] && grep -q "the proxy at http://127.0.0.1:$proxy_port refused the credentials (40[17]" "$work/err2" \
    || fail "wrong credentials: exit $rc_bad: $(cat "$work/err2")"
  [[ $rc_none -eq 3 ]] && grep -q "the proxy at http://127.0.0.1:$proxy_port wants credentials (40[17]" "$work/err3" \
    || fail "no credentials: exit $rc_none: $(cat "$work/err3")"
  [[ $(json_get "$(stats)" '["requests"]') -eq $before ]] || fail "a refused tunnel reached the tenant"
  # On the command line: gone from the process's arguments once read.
  run --input "$work/users.txt" --ledger "$work/ps.jsonl" --yes --concurrency 1 \
    --proxy "http://alice:s3cret-pw@127.0.0.1:$proxy_port" >"$work/out4" 2>"$work/err4" &
  pid=$!
  wait_for_file "$work/ps.jsonl"  # the arguments were read long before
  dpid=$(pgrep -n -f -- "--ledger $work/ps.jsonl" || true)  # devreset itself, not the subshell
  [[ -n "$dpid" ]] || fail "devreset ended before its arguments could be read"
  tr '\0' ' ' </proc/"$dpid"/cmdline >"$work/cmdline" || true
  wait $pid || fail "exit $?: $(cat "$work/err4")"
  grep -q "http://\*\+@127.0.0.1:$proxy_port" "$work/cmdline" || fail "ps shows: $(cat "$work/cmdline")"
  # A run with users to retry: the command to give again masks the password, and says so.
  start_other_sim --users 20 --fail-rate 1
  head -3 "$work/users.txt" >"$work/three.txt"
  exit_code rc run_b --input "$work/three.txt" --ledger "$work/retry.jsonl" --yes --max-attempts 1 --types oath \
    --proxy "http://alice:s3cret-pw@127.0.0.1:$proxy_port" >"$work/out5" 2>"$work/err5"
  [[ $rc -eq 1 ]] || fail "exit $rc: $(cat "$work/err5")"
  grep -q "To retry the users that are not ok: .*--proxy 'http://\*\+@127.0.0.1:$proxy_port'" "$work/err5" || fail "$(cat "$work/err5")"
  grep -q "the proxy's user and password are masked above: give them again in their place" "$work/err5" \
    || fail "no word on the masked credentials: $(cat "$work/err5")"
  if grep -rl "s3cret-pw\|wrong-pw" "$work"/*.jsonl "$work"/out* "$work"/err* "$work/cmdline"; then
    fail "a proxy password reached an output"
  fi
  ;;
no_proxy_goes_direct)
  start_sim --users 10
  start_proxy
  NO_PROXY="example.com,127.0.0.0/8" HTTPS_PROXY="http://127.0.0.1:$proxy_port" \
    run --input "$work/users.txt" --ledger "$work/a.jsonl" --yes >/dev/null 2>"$work/err" || fail "$(cat "$work/err")"
  HTTPS_PROXY="http://127.0.0.1:$proxy_port" \
    run --input "$work/users.txt" --ledger "$work/b.jsonl" --yes --proxy '' >/dev/null 2>"$work/err" || fail "$(cat "$work/err")"
  [[ $(connects_through_proxy) -eq 0 ]] || fail "NO_PROXY or --proxy '' went through the proxy"
  [[ $(json_get "$(summary_of "$work/a.jsonl")" '["proxy"]') == "None" ]] || fail "$(summary_of "$work/a.jsonl")"
  ;;
a_proxy_that_is_down)
  start_sim --users 10
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  set +e
  HTTPS_PROXY="http://127.0.0.1:$port" run --input "$work/users.txt" --ledger "$work/l.jsonl" --yes \
    --max-attempts 3 --backoff-base 10ms >/dev/null 2>"$work/err"
  rc=$?
  set -e
  [[ $rc -eq 3 ]] || fail "exit $rc"
  grep -q "cannot reach the tenant at https://.* through the proxy at http://127.0.0.1:$port: the proxy at http://127.0.0.1:$port refused the connection (is it running?)" "$work/err" \
    || fail "not one clear line: $(cat "$work/err")"
  grep -q "connect to 127.0.0.1" "$work/err" && fail "the tenant blamed for the proxy: $(cat "$work/err")"
  [[ $(json_get "$(stats)" '["requests"]') -eq 0 ]] || fail "the tenant was reached"
  ;;
an_https_proxy)
  # TLS to the proxy (its certificate checked against --proxy-ca-file), CONNECT inside, and
  # the tenant's TLS inside that.
  start_sim --users 20
  start_proxy
  start_tls_front
  run --input "$work/users.txt" --ledger "$work/l.jsonl" --yes --concurrency 2 \
    --proxy "https://127.0.0.1:$tls_port" --proxy-ca-file "$work/proxy/cert.pem" >/dev/null 2>"$work/err" \
    || fail "exit $?: $(cat "$work/err")"
  [[ $(count_records "$work/l.jsonl" ok) -eq 20 ]] || fail "not 20 ok"
  [[ $(connects_through_proxy) -eq $(json_get "$(summary_of "$work/l.jsonl")" '["connections"]') ]] \
    || fail "CONNECTs: $(connects_through_proxy)"
  exit_code rc run --input "$work/users.txt" --ledger "$work/u.jsonl" --yes --proxy "https://127.0.0.1:$tls_port" \
    >/dev/null 2>"$work/err2"
  [[ $rc -eq 3 ]] && grep -q "TLS handshake with the proxy at https://127.0.0.1:$tls_port: certificate verification failed" "$work/err2" \
    || fail "an unknown proxy certificate: exit $rc: $(cat "$work/err2")"
  ;;
*) fail "unknown case" ;;
esac
