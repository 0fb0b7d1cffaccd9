#!/usr/bin/env bash
# Unattended runs as operators run them (issue 24): the Kubernetes sample's own command line
# in a pod's filesystem and user, logs a person can read later, the default ceiling, honest
# latency figures, a summary for scripts, users from standard input. Against `devreset sim`
# on 127.0.0.1.
# Usage: unattended_test.sh /path/to/devreset CASE
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/k8s_lib.sh"
samples="$(cd "$(dirname "$0")/../../samples" && pwd)"

case "$case_name" in
k8s_cronjob_as_written)
  # The CronJob's script, mounts and user, read from samples/k8s-cronjob.yaml; its volumes
  # laid out as the kubelet does (a Secret's keys are links into ..data, root-owned, of the
  # pod's fsGroup, defaultMode); samples/devreset.conf with this tenant's values. Run in a
  # mount namespace of its own as the pod's user.
  pod=$(k8s_pod "$samples/k8s-cronjob.yaml")
  get() { json_get "$pod" "$1"; }
  [[ $(get '["restart_policy"]') == Never ]] || fail "restartPolicy"
  [[ $(get '["secret_env"]') == "[]" ]] || fail "a token from the environment: $(get '["secret_env"]')"
  rules=$(get '["pod_failure_policy"]["rules"]')
  [[ $rules == *"'action': 'FailJob', 'onExitCodes': {'containerName': 'devreset', 'operator': 'In', 'values': [2]}"* &&
     $rules == *"'action': 'Count', 'onExitCodes': {'containerName': 'devreset', 'operator': 'In', 'values': [3]}"* ]] ||
    fail "podFailurePolicy: $rules"
  k8s_sa_id=sa-k8s
  # Devices last used 10 and 400 days (and a half) ago, and some undated.
  start_sim --users 60 --sa-id sa-k8s --sa-jwk "$samples/service-account.jwk.json" \
    --device-ages 10:0.5,400:0.4,undated:0.1
  aged() { python3 -c 'import json,sys; s=json.loads(sys.argv[1])["devices_left_by_age"]; print(sum(v.get(sys.argv[2], 0) for k, v in s.items() if k in ("oath","push","webauthn","binding")))' "$(stats)" "$1"; }
  fresh=$(aged 10) undated=$(aged undated)
  ((fresh > 0 && $(aged 400) > 0)) || fail "the sim seeded no old devices"
  night1=devreset-nightly-29407830  # the Job controller's name for the 02:30 Job of 2025-11-30 (minutes since 1970)
  k8s_prepare "$samples/k8s-cronjob.yaml" "$night1"
  [[ $pod_script == *"exec devreset run"*"--query 'true' --unused-for '180d'"* ]] || fail "script: $pod_script"
  exit_code code pod_run >"$work/out" 2>"$work/err"
  [[ $code -eq 0 ]] || fail "the Job's command exited $code: $(cat "$work/err")"
  ledger=$vol/ledger/ledger-$night1.jsonl  # named after the Job: its retries find it
  [[ -f $ledger ]] || fail "no ledger named after the Job: $(ls "$vol/ledger")"
  [[ $(stat -c %u "$ledger") -eq $pod_user ]] || fail "the ledger is not the pod user's"
  promtool check metrics <"$vol/ledger/devreset.prom" || fail "the metrics file: $(cat "$vol/ledger/devreset.prom")"
  # The user the tenant does not know is no failure (--not-found-ok): monitoring sees exit 0.
  grep -q "^devreset_run_exit_code 0$" "$vol/ledger/devreset.prom" || fail "metrics: $(cat "$vol/ledger/devreset.prom")"
  [[ $(count_records "$ledger" ok) -eq 60 ]] || fail "ok $(count_records "$ledger" ok)"
  # The nightly cleanup: the authenticators unused for 180 days are gone, the rest stay, and
  # the reset action (every device of a type) was never sent.
  [[ "$(aged 400) $(aged 10) $(aged undated)" == "0 $fresh $undated" ]] ||
    fail "left: $(aged 400) old, $(aged 10) of $fresh recent, $(aged undated) of $undated undated"
  resets=$(python3 -c 'import json,sys; s=json.loads(sys.argv[1]); print(sum(sum(v.values()) for k,v in s["by_endpoint"].items() if k.startswith("reset:")))' "$(stats)")
  [[ $resets -eq 0 ]] || fail "$resets reset actions sent"
  summary=$(cat "$vol/ledger/summary-$night1.json")
  [[ $(json_get "$summary" '["exit_code"]') -eq 0 && $(json_get "$summary" '["users"]["ok"]') -eq 60 ]] ||
    fail "summary: $summary"
  [[ $(json_get "$(stats)" '["tokens_issued"]') -ge 1 ]] || fail "the service account was not used"
  grep -q '^20[0-9-]*T[0-9:.]*Z devreset run: run .* starts: cleanup on ' "$work/err" || fail "no start line: $(cat "$work/err")"
  # The Job retried (after midnight, maybe): it resumes the same ledger, and resets nobody twice.
  pod_run >"$work/out2" 2>"$work/err2" || fail "the retry exited $?: $(cat "$work/err2")"
  [[ $(json_get "$(stats)" '["resets_per_user"]["2+"]') -eq 0 ]] || fail "a user was reset twice"
  [[ $(grep -c '"record":"run"' "$ledger") -eq 2 && $(ls "$vol/ledger"/ledger-*.jsonl | wc -l) -eq 1 ]] ||
    fail "the retry did not resume the Job's ledger: $(ls "$vol/ledger")"
  # The next night's Job: a ledger of its own, every user reset again.
  pod_script=$(json_get "$(k8s_pod "$samples/k8s-cronjob.yaml" devreset-nightly-29409270)" '["script"]')
  pod_run >"$work/out3" 2>"$work/err3" || fail "the next night exited $?: $(cat "$work/err3")"
  [[ $(count_records "$vol/ledger/ledger-devreset-nightly-29409270.jsonl" ok) -eq 60 ]] ||
    fail "the next night: $(ls "$vol/ledger")"
  ;;
logs_a_person_can_read_later)
  start_sim --users 40 --latency 20ms
  # Plain progress (no terminal): every line after an ISO-8601 time; a start line that names
  # the run, tenant, realm, input and users; a line after the preflight; progress; summary.
  run --input "$work/users.txt" --ledger "$work/l.jsonl" --yes --concurrency 2 \
    --progress-interval 200ms 2>"$work/err" </dev/null || fail "exit $?: $(cat "$work/err")"
  run_id=$(json_get "$(head -1 "$work/l.jsonl")" '["run_id"]')
  stamp='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z '
  bad=$(grep -Ev "$stamp" "$work/err" || true)
  [[ -z $bad ]] || fail "lines without a time: $bad"
  grep -Eq "${stamp}devreset run: run $run_id starts: reset on $tenant/am realm /realms/root/realms/alpha, types oath,push,webauthn,binding, input $work/users.txt \(40 users\)" "$work/err" ||
    fail "start line: $(head -2 "$work/err")"
  grep -Eq "${stamp}devreset: preflight passed" "$work/err" || fail "no preflight line"
  grep -Eq "${stamp}devreset: [0-9]+/40 users" "$work/err" || fail "no progress line"
  grep -Eq "${stamp}Users:  ok 40" "$work/err" || fail "no summary"
  # JSON lines for log shippers: every line one object with the time, the run id, a message.
  run --input "$work/users.txt" --ledger "$work/j.jsonl" --yes --log-format json 2>"$work/jerr" ||
    fail "json: $(cat "$work/jerr")"
  python3 - "$work/jerr" <<'PY' || fail "json lines: $(cat "$work/jerr")"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) >= 4, lines
for l in lines:
    o = json.loads(l)
    assert set(o) >= {"time", "message"}, o
assert any(json.loads(l).get("run_id") for l in lines)
assert any(json.loads(l)["message"].startswith("Users:  ok 40") for l in lines)
PY
  # A tenant gone before the first request: the summary says so, no empty figures.
  kill "$sim_pid"; wait "$sim_pid" 2>/dev/null || true; sim_pid=""
  exit_code code run --input "$work/users.txt" --ledger "$work/gone.jsonl" --yes 2>"$work/gerr"
  [[ $code -eq 3 ]] || fail "tenant gone: exit $code"
  grep -q "Types:  *$\|p50 0.0 ms" "$work/gerr" && fail "empty figures: $(cat "$work/gerr")"
  grep -q "preflight" "$work/gerr" || fail "$(cat "$work/gerr")"
  ;;
default_rate_is_a_ceiling)
  unset DEVRESET_RATE
  "$devreset" run --help | grep -q -- "--rate arg (=50)" || fail "--help does not say 50"
  start_sim --users 30
  run --input "$work/users.txt" --ledger "$work/l.jsonl" --yes 2>"$work/err" || fail "$(cat "$work/err")"
  [[ $(json_get "$(head -1 "$work/l.jsonl")" '["rate"]') == 50* ]] || fail "run record: $(head -1 "$work/l.jsonl")"
  grep -q "rate ceiling 50/s" "$work/err" || fail "start line: $(cat "$work/err")"
  run --input "$work/users.txt" --ledger "$work/l0.jsonl" --yes --rate 0 2>"$work/err" || fail "$(cat "$work/err")"
  [[ $(json_get "$(head -1 "$work/l0.jsonl")" '["rate"]') == 0 ]] || fail "--rate 0: $(head -1 "$work/l0.jsonl")"
  # The ceiling holds: 30 users of about 4.5 requests each at 50/s take 2.5 s or more.
  [[ $(json_get "$(tail -1 "$work/l.jsonl")" '["requests_per_s"] <= 55') == True ]] || fail "$(tail -1 "$work/l.jsonl")"
  ;;
latency_figures_are_honest)
  # A tenant that answers in 50 ms: p50 within 2% of 50 ms plus what the machine adds (runs
  # against a sim without latency, before and after, measure that), and every percentile in
  # the summary.
  # One request at a time: with 16 answers arriving together, the later ones would also count
  # the time this process takes to read the earlier ones (true, but not the tenant's).
  start_sim --users 40 --latency 50ms
  start_other_sim --users 40  # no latency: what the machine adds, measured before and after
  machine() {  # ledger -> the p90 of a run against the other sim
    run_b --input "$work/users.txt" --ledger "$1" --yes --types oath --summary-json "$1.summary" \
      --concurrency 1 2>"$work/err" || fail "$(cat "$work/err")"
    json_get "$(cat "$1.summary")" '["latency_ms"]["p90"]'
  }
  before=$(machine "$work/b0.jsonl")
  run --input "$work/users.txt" --ledger "$work/l.jsonl" --yes --types oath --summary-json - \
    --concurrency 1 >"$work/summary.json" 2>"$work/err" || fail "$(cat "$work/err")"
  after=$(machine "$work/b1.jsonl")
  s=$(cat "$work/summary.json")
  for k in p50 p90 p99 p999 max; do
    [[ $(json_get "$s" "[\"latency_ms\"][\"$k\"]") != json_get:error ]] || fail "no $k: $s"
  done
  p50=$(json_get "$s" '["latency_ms"]["p50"]')
  python3 -c "import sys; p, b = float(sys.argv[1]), max(map(float, sys.argv[2:])); sys.exit(0 if 49 <= p <= 51 + b else 1)" \
    "$p50" "$before" "$after" || fail "p50 $p50 ms for a 50 ms tenant (the machine adds $before / $after ms)"
  [[ $(json_get "$s" '["exit_code"]') -eq 0 && $(json_get "$s" '["users"]["ok"]') -eq 40 ]] || fail "summary: $s"
  grep -q "E0\|E1\|E-1" "$work/summary.json" && fail "exponents: $s"
  true
  ;;
users_from_standard_input_and_a_stale_list)
  start_sim --users 20
  { echo user_id; cat "$work/users.txt"; echo 00000000-0000-4000-8000-00000000dead; } >"$work/in.csv"
  exit_code code run --input - --ledger "$work/l.jsonl" --yes <"$work/in.csv" 2>"$work/err"
  [[ $code -eq 1 ]] || fail "a user not found: exit $code, not 1: $(cat "$work/err")"
  [[ $(count_records "$work/l.jsonl" ok) -eq 20 ]] || fail "stdin: not 20 ok"
  [[ $(json_get "$(head -1 "$work/l.jsonl")" '["input"]') == - ]] || fail "run record input"
  # With --not-found-ok, a stale list is no failure (a Job that succeeds).
  run --input - --ledger "$work/l2.jsonl" --yes --not-found-ok <"$work/in.csv" 2>"$work/err" ||
    fail "--not-found-ok: exit $?: $(cat "$work/err")"
  # JSON Lines on stdin, when told.
  python3 -c 'import json,sys; [print(json.dumps({"user_id": l.strip()})) for l in open(sys.argv[1])]' "$work/users.txt" |
    run --input - --input-format jsonl --ledger "$work/l3.jsonl" --yes 2>"$work/err" || fail "jsonl: $(cat "$work/err")"
  [[ $(count_records "$work/l3.jsonl" ok) -eq 20 ]] || fail "jsonl stdin"
  ;;
every_option_layers_in_order)
  # For every option of run, plan and probe: the command line wins over the environment,
  # the environment over the config file, the file over the default (--show-options says
  # which gave each value). Value options get 7 / 6 / 5; switches say where they came from.
  for cmd in run plan probe; do
    python3 - "$devreset" "$cmd" "$work" <<'PY' || fail "$cmd: the layers"
import os, re, subprocess, sys
devreset, cmd, work = sys.argv[1:]
help_text = subprocess.run([devreset, cmd, "--help"], capture_output=True, text=True, check=True).stdout
opts = re.findall(r"^  (?:-\w \[ )?--([a-z][a-z0-9-]*)( \]| arg)?", help_text, re.M)
skip = {"config", "help", "show-options", "insecure"}  # --insecure: command line only (tested)
values = [n for n, a in opts if a == " arg" and n not in skip]
switches = [n for n, a in opts if a != " arg" and n not in skip]
assert len(values) > 30, (values, switches)
env_name = lambda n: "DEVRESET_" + n.upper().replace("-", "_")
def show(layers):
    conf = os.path.join(work, "layers.conf")
    with open(conf, "w") as f:
        for n in values: f.write(f"{n} = 5\n")
        for n in switches: f.write(f"{n} = true\n")
    os.chmod(conf, 0o600)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEVRESET_")}
    argv = [devreset, cmd, "--config", conf, "--show-options"]
    if "env" in layers:
        env.update({env_name(n): "6" for n in values}); env.update({env_name(n): "true" for n in switches})
    if "cmd" in layers:
        argv += [f"--{n}=7" for n in values] + [f"--{n}" for n in switches]
    out = subprocess.run(argv, capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    return dict(re.findall(r"^([a-z0-9-]+) = (.*)$", out.stdout, re.M))
for layers, value, where in [(("cmd", "env"), "7", "(command line)"),
                             (("env",), "6", "(environment DEVRESET_"), ((), "5", "(config file ")]:
    got = show(layers)
    for n in values:
        assert got[n].startswith(value + "  " + where), (n, layers, got.get(n))
    for n in switches:
        assert got[n].startswith("true  " + where), (n, layers, got.get(n))
# A proxy's credentials never show, with or without a scheme, with an @ or a / in the
# password; other values with an @ show as they are.
for proxy in ("http://alice:p@ss@proxy.example:3128", "alice:p@ss@proxy.example:3128",
              "http://alice:p/ss@proxy.example:3128"):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEVRESET_")}
    env["DEVRESET_PROXY"] = proxy
    if cmd != "probe":
        env["DEVRESET_QUERY"] = 'mail eq "a@b.example"'
    out = subprocess.run([devreset, cmd, "--show-options"], capture_output=True, text=True, env=env).stdout
    assert "p@ss" not in out and "p/ss" not in out and "alice" not in out, out
    assert "*****@proxy.example:3128" in out, out
    assert cmd == "probe" or 'query = mail eq "a@b.example"' in out, out
print(f"{cmd}: {len(values)} options with a value and {len(switches)} switches, in order", file=sys.stderr)
PY
  done
  ;;
*) fail "unknown case" ;;
esac
echo "$case_name: ok"
