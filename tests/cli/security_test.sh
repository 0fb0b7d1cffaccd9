#!/usr/bin/env bash
# Issue 22, through the binary: no input, file or tenant answer injects a header, reaches the
# terminal raw, clobbers a file or leaves a secret where others can get it.
# Usage: security_test.sh /path/to/devreset CASE
set -euo pipefail
source "$(dirname "$0")/lib.sh"

raw_controls() {  # file -> true when it holds a raw C1 CSI or a bidi override/isolate
  python3 - "$1" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
sys.exit(0 if any(b in data for b in (b"\xc2\x9b", b"\xe2\x80\xae", b"\xe2\x81\xa6")) else 1)
PY
}

case "$case_name" in
tenant_text_never_reaches_the_terminal_raw)
  # 1. A tenant whose error messages carry a C1 CSI and bidi overrides: escaped on stderr,
  # in the ledger and in the report.
  start_sim --users 5 --hostile controls
  run --input "$work/users.txt" --ledger "$work/l.jsonl" --yes --types oath >"$work/out" 2>"$work/err" || true
  grep -q 'Bad \\\\u{009B}31m request \\\\u{202E}desrever' "$work/l.jsonl" || fail "not escaped in the ledger: $(head -c 600 "$work/l.jsonl")"
  "$devreset" report "$work/l.jsonl" >"$work/report" 2>&1 || true
  for f in "$work/l.jsonl" "$work/err" "$work/out" "$work/report"; do
    raw_controls "$f" && fail "raw control characters in $f"
  done
  true
  ;;
no_request_injection_through_the_tenant_url)
  # 2. The URL and --am-path are taken as spelled, held to strict rules: exit 2, nothing sent.
  start_sim --users 3
  port=${tenant##*:}
  check() {  # expected words, then the extra arguments
    local want=$1; shift
    set +e; "$devreset" run --realm alpha --input "$work/users.txt" --ledger "$work/x.jsonl" \
      --token-file "$work/token.txt" --ca-file "$work/ca.pem" --yes "$@" </dev/null >"$work/out" 2>"$work/err"
    local rc=$?; set -e
    [[ $rc -eq 2 ]] || fail "'$*' exited $rc, not 2: $(cat "$work/err")"
    grep -q -- "$want" "$work/err" || fail "'$*' did not say '$want': $(cat "$work/err")"
  }
  check "'%' is not allowed" --tenant "https://127.0.0.1:$port/am%20HTTP/1.1%0d%0aX-Injected:%20yes"
  check "'.' and '..' are not allowed" --tenant "https://127.0.0.1:$port" --am-path '/am/../../x'
  check "is not allowed" --tenant "https://127.0.0.1:$port" --am-path '/am?y=1'
  check "'%' cannot be part of a host name" --tenant "https://127%2e0.0.1:$port"
  check "no user, password, query or fragment" --tenant "https://me:secret@127.0.0.1:$port"
  grep -q "secret" "$work/err" && fail "the URL's password was printed"
  check "no user, password, query or fragment" --tenant "https://127.0.0.1:$port/am?x=1"
  [[ $(json_get "$(stats)" '["requests"]') -eq 0 ]] || fail "requests were sent"
  [[ ! -e "$work/x.jsonl" ]] || fail "a ledger was created"
  ;;
a_bad_ca_file_is_one_line_not_a_crash)
  # 3. A CA file that is not PEM: exit 2 with one line, never an abort (core dump).
  start_sim --users 3
  head -c 300 /dev/urandom >"$work/garbage.pem"
  mkdir "$work/cadir"
  for ca in "$work/garbage.pem" "$work/cadir" /dev/null; do
    set +e; "$devreset" run --tenant "$tenant" --realm alpha --input "$work/users.txt" --ledger "$work/x.jsonl" \
      --token-file "$work/token.txt" --ca-file "$ca" --yes </dev/null >"$work/out" 2>"$work/err"; rc=$?; set -e
    [[ $rc -eq 2 ]] || fail "--ca-file $ca: exit $rc, not 2: $(cat "$work/err")"
    grep -q -- "--ca-file $ca: " "$work/err" || fail "$(cat "$work/err")"
  done
  [[ ! -e "$work/x.jsonl" ]] || fail "a ledger was created"
  # The process holds tokens: it cannot dump core.
  "$devreset" sim --users 1 --ready-file "$work/r2.json" --token t2 >/dev/null 2>&1 &
  other_pids+=($!)
  wait_for_file "$work/r2.json"
  [[ $(awk '/Max core file size/ {print $5}' /proc/$!/limits) == 0 ]] || fail "core dumps are allowed"
  ;;
failed_out_never_clobbers_a_file)
  # 4. --failed-out writes a new file: never the ledger, never through a link, never over a
  # file (unless --force), 0600.
  start_sim --users 20 --fail-rate 1
  run --input "$work/users.txt" --ledger "$work/l.jsonl" --yes --max-attempts 1 --types oath 2>/dev/null || true
  cp "$work/l.jsonl" "$work/before"
  exit_code rc "$devreset" report "$work/l.jsonl" --failed-out "$work/l.jsonl" --force >/dev/null 2>"$work/err"
  [[ $rc -eq 2 ]] || fail "the ledger as --failed-out: exit $rc"
  grep -q "that is the ledger" "$work/err" || fail "$(cat "$work/err")"
  cmp -s "$work/l.jsonl" "$work/before" || fail "the ledger was changed"
  echo precious >"$work/target"
  ln -s "$work/target" "$work/link.csv"
  exit_code rc "$devreset" report "$work/l.jsonl" --failed-out "$work/link.csv" >/dev/null 2>"$work/err"
  [[ $rc -eq 2 ]] || fail "a link as --failed-out: exit $rc"
  [[ $(cat "$work/target") == precious ]] || fail "the link's target was overwritten"
  echo old >"$work/retry.csv"
  exit_code rc "$devreset" report "$work/l.jsonl" --failed-out "$work/retry.csv" >/dev/null 2>"$work/err"
  [[ $rc -eq 2 ]] || fail "an existing file: exit $rc"
  grep -q "already exists" "$work/err" || fail "$(cat "$work/err")"
  "$devreset" report "$work/l.jsonl" --failed-out "$work/retry.csv" --force >/dev/null 2>&1 || true
  grep -q "^user_id,user_name,mail,types,realm$" "$work/retry.csv" || fail "--force did not replace it"
  "$devreset" report "$work/l.jsonl" --failed-out "$work/new.csv" >/dev/null 2>&1 || true
  [[ $(stat -c %a "$work/new.csv") == 600 ]] || fail "--failed-out is not 0600"
  ;;
a_token_cannot_add_a_header)
  # 5. A token with CR/LF (or any character outside RFC 6750's) is refused, never printed.
  start_sim --users 3
  printf 'sim-token\r\nX-Injected: yes\n' >"$work/evil.txt"
  set +e; "$devreset" run --tenant "$tenant" --realm alpha --ca-file "$work/ca.pem" --token-file "$work/evil.txt" \
    --input "$work/users.txt" --ledger "$work/x.jsonl" --yes </dev/null >"$work/out" 2>"$work/err"; rc=$?; set -e
  [[ $rc -eq 2 ]] || fail "exit $rc, not 2: $(cat "$work/err")"
  grep -q "holds characters a bearer token cannot have" "$work/err" || fail "$(cat "$work/err")"
  grep -q "Injected" "$work/err" && fail "the token was printed"
  set +e; DEVRESET_TOKEN=$'a\nb: c' "$devreset" run --tenant "$tenant" --realm alpha --ca-file "$work/ca.pem" \
    --input "$work/users.txt" --ledger "$work/x.jsonl" --yes </dev/null >/dev/null 2>"$work/err"; rc=$?; set -e
  [[ $rc -eq 2 ]] || fail "DEVRESET_TOKEN: exit $rc, not 2"
  [[ $(json_get "$(stats)" '["requests"]') -eq 0 ]] || fail "requests were sent"
  ;;
files_others_can_change_are_refused)
  # 6, 7. A ledger, a token file or a config file that others can change is refused; a new
  # ledger is never a file that existed.
  start_sim --users 3
  : >"$work/shared.jsonl"; chmod 666 "$work/shared.jsonl"
  exit_code rc run --input "$work/users.txt" --ledger "$work/shared.jsonl" --yes 2>"$work/err"
  [[ $rc -eq 2 ]] || fail "an existing empty ledger: exit $rc"
  exit_code rc run --input "$work/users.txt" --ledger "$work/shared.jsonl" --yes --resume 2>"$work/err"
  [[ $rc -eq 2 ]] || fail "resuming a 0666 ledger: exit $rc"
  grep -q "others can read or change it (mode 666)" "$work/err" || fail "$(cat "$work/err")"
  chmod 644 "$work/token.txt"
  exit_code rc run --input "$work/users.txt" --ledger "$work/a.jsonl" --yes 2>"$work/err"
  [[ $rc -eq 2 ]] || fail "a 0644 token file: exit $rc"
  grep -q "token file $work/token.txt: others can read or change it (mode 644)" "$work/err" || fail "$(cat "$work/err")"
  chmod 600 "$work/token.txt"
  printf 'tenant = %s\nrealm = alpha\nca-file = %s\ntoken-file = %s\n' "$tenant" "$work/ca.pem" "$work/token.txt" >"$work/d.conf"
  chmod 666 "$work/d.conf"
  exit_code rc "$devreset" run --config "$work/d.conf" --input "$work/users.txt" --ledger "$work/b.jsonl" --yes 2>"$work/err"
  [[ $rc -eq 2 ]] || fail "a config others can write: exit $rc"
  grep -q "others can change it" "$work/err" || fail "$(cat "$work/err")"
  [[ $(json_get "$(stats)" '["requests"]') -eq 0 ]] || fail "requests were sent"
  ;;
insecure_only_from_the_command_line)
  # 8. --insecure: on the command line only, never with --ca-file, in the confirmation and
  # in the run record.
  start_sim --users 3
  set +e; DEVRESET_INSECURE=1 run --input "$work/users.txt" --ledger "$work/x.jsonl" --yes 2>"$work/err"; rc=$?; set -e
  [[ $rc -eq 2 ]] || fail "DEVRESET_INSECURE: exit $rc"
  grep -q "insecure is taken from the command line only" "$work/err" || fail "$(cat "$work/err")"
  exit_code rc run --input "$work/users.txt" --ledger "$work/x.jsonl" --yes --insecure 2>"$work/err"
  [[ $rc -eq 2 ]] || fail "--insecure with --ca-file: exit $rc"
  cmd="$devreset run --tenant $tenant --realm alpha --insecure --token-file $work/token.txt --input $work/users.txt --ledger $work/l.jsonl --progress none"
  echo yes | script -q -e -c "$cmd" /dev/null >"$work/tty" 2>&1 || fail "$(cat "$work/tty")"
  grep -q "WITHOUT checking its certificate (--insecure)" "$work/tty" || fail "not in the confirmation: $(cat "$work/tty")"
  grep -q '"tls_verify":false' "$work/l.jsonl" || fail "not in the run record"
  ;;
sim_files_never_follow_a_link)
  # 9. The sim's ready file (it holds the token) is never written through a planted link.
  echo precious >"$work/target"
  ln -s "$work/target" "$work/ready.json"
  "$devreset" sim --users 1 --ready-file "$work/ready.json" --token s3cret >/dev/null 2>"$work/err" &
  other_pids+=($!)
  for _ in $(seq 300); do [[ -L "$work/ready.json" ]] || break; sleep 0.1; done
  [[ $(cat "$work/target") == precious ]] || fail "the link's target was overwritten"
  [[ ! -L "$work/ready.json" && $(stat -c %a "$work/ready.json") == 600 ]] || fail "the ready file is not a 0600 file"
  ;;
the_token_leaves_the_environment)
  # 10. DEVRESET_TOKEN is read, then removed from the process's environment.
  start_sim --users 400 --latency 20ms
  DEVRESET_TOKEN=sim-token "$devreset" run --tenant "$tenant" --realm alpha --ca-file "$work/ca.pem" \
    --input "$work/users.txt" --ledger "$work/l.jsonl" --yes --concurrency 2 --progress none 2>/dev/null &
  pid=$!
  wait_for_file "$work/l.jsonl"
  tr '\0' '\n' </proc/$pid/environ >"$work/environ"
  grep -q "^DEVRESET_TOKEN=sim-token" "$work/environ" && fail "the token is still in /proc/$pid/environ"
  kill -INT "$pid"; wait "$pid" || true
  grep -q '"record":"summary"' "$work/l.jsonl" || fail "no summary"
  ;;
a_name_mismatch_says_which_names)
  # 11. A certificate for other names: the error says the name does not match, and which
  # names the certificate has.
  start_sim --users 3 --listen 127.0.0.2:0
  exit_code rc run --input "$work/users.txt" --ledger "$work/l.jsonl" --yes 2>"$work/err"
  [[ $rc -eq 3 ]] || fail "exit $rc, not 3"
  grep -q "IP address mismatch (the certificate is for localhost, 127.0.0.1, an IPv6 address, not 127.0.0.2)" "$work/err" ||
    fail "$(cat "$work/err")"
  ;;
*) fail "unknown case" ;;
esac
echo "$case_name: ok"
