#!/usr/bin/env bash
# Reports people look at, metrics their monitoring reads, shards their scheduler runs
# (issue 16): the HTML page in a real browser (Debian's chromium, headless), the CSV, the
# Prometheus file checked by promtool, 4 shards of an Indexed Job read from its YAML. Against
# `devreset sim` on 127.0.0.1.
# Usage: reports_test.sh /path/to/devreset CASE
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/k8s_lib.sh"
samples="$(cd "$(dirname "$0")/../../samples" && pwd)"

case "$case_name" in
html_report_in_a_real_browser)
  command -v chromium >/dev/null || fail "chromium is not installed (scripts/setup.sh installs it)"
  start_sim --users 300 --latency 5ms --fail-rate 0.05 --rate-limit 300
  { cat "$work/users.txt"; echo 00000000-0000-4000-8000-00000000dead
    printf 'x%.0s' $(seq 1100); echo; } >"$work/in.txt"  # the last: too long, an invalid row
  set +e; run --input "$work/in.txt" --ledger "$work/l.jsonl" --yes --max-attempts 2 --concurrency 32 \
    --not-found-guard 0 2>"$work/err"; set -e
  # A tenant's (or a proxy's) words are text on the page, never markup: the first user not ok
  # given a hostile reason, as a tenant could answer it.
  python3 - "$work/l.jsonl" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
for i, l in enumerate(lines):
    r = json.loads(l)
    if r["record"] == "user" and r["status"] != "ok":
        r["reason"] = '<b id="injected">tenant</b> & "quoted"'
        for t in r["results"]:
            if "error" in t:
                t["error"] = r["reason"]
        lines[i] = json.dumps(r, separators=(",", ":"))
        break
else:
    sys.exit("no user to make hostile")
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
PY
  "$devreset" report "$work/l.jsonl" --html "$work/report.html" --csv "$work/report.csv" >"$work/text" ||
    [[ $? -eq 1 ]] || fail "report: $(cat "$work/text")"
  grep -q '&lt;b id=&quot;injected&quot;&gt;tenant&lt;/b&gt; &amp; &quot;quoted&quot;' "$work/report.html" ||
    fail "the hostile reason is not on the page, escaped"
  # Self-contained: no script, no link to anything, nothing fetched.
  grep -Eiq "<script|<link|src=|href=|url\(|@import" "$work/report.html" && fail "not self-contained"
  ok=$(count_records "$work/l.jsonl" ok)
  users=$(python3 -c 'import json,sys; print(len({json.loads(l).get("user_id") for l in open(sys.argv[1]) if "\"record\":\"user\"" in l}))' "$work/l.jsonl")
  # The DOM as the browser built it: the title and the totals.
  timeout 120 chromium --headless --no-sandbox --disable-gpu --dump-dom "file://$work/report.html" \
    >"$work/dom.html" 2>"$work/chromium.err" || fail "chromium: $(tail -3 "$work/chromium.err")"
  grep -q "<title>devreset report: $work/l.jsonl</title>" "$work/dom.html" || fail "no title"
  grep -q "id=\"users-total\"><b>$users</b>" "$work/dom.html" || fail "users total $users not in the DOM"
  grep -q "id=\"users-ok\"><b>$ok</b>" "$work/dom.html" || fail "ok $ok not in the DOM"
  grep -q "id=\"users-not_found\"><b>1</b>" "$work/dom.html" || fail "not_found not in the DOM"
  grep -q "<h2>Top reasons</h2>" "$work/dom.html" || fail "no reasons"
  grep -q '<b id="injected">' "$work/dom.html" && fail "the tenant's words became markup"
  # Rendered: a screenshot that is not blank (on a laptop and on a phone), and A4 pages.
  for size in 1100,1800 390,1800; do
    timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
      --window-size=$size --screenshot="$work/shot-$size.png" "file://$work/report.html" \
      >/dev/null 2>&1 || fail "chromium screenshot"
    /usr/bin/python3 - "$work/shot-$size.png" <<'PY' || fail "blank screenshot at $size"
import sys
from PIL import Image
im = Image.open(sys.argv[1]).convert("RGB")
colors = im.getcolors(1 << 20) or []
dark = sum(n for n, c in colors if sum(c) < 200)
assert len(colors) > 8 and dark > 1000, (len(colors), dark)
PY
  done
  timeout 120 chromium --headless --no-sandbox --disable-gpu --no-pdf-header-footer \
    --print-to-pdf="$work/report.pdf" "file://$work/report.html" >/dev/null 2>&1 || fail "print"
  grep -aq "MediaBox \[0 0 594.95996 841.91998\]\|MediaBox \[0 0 595" "$work/report.pdf" || fail "not A4"
  # The CSV: one row per user, with the ledger's statuses.
  [[ $(($(wc -l <"$work/report.csv") - 1)) -eq $users ]] || fail "csv rows"
  [[ $(grep -c ',ok,' "$work/report.csv") -eq $ok ]] || fail "csv ok rows"
  grep -q ',not_found,' "$work/report.csv" || fail "csv: no not_found"
  grep -q '^xxxxx*,user_id,xxxxx*,.*,invalid,' "$work/report.csv" || fail "csv: no invalid row"
  ;;
metrics_for_monitoring)
  command -v promtool >/dev/null || fail "promtool is not installed (scripts/setup.sh installs prometheus)"
  start_sim --users 200 --latency 20ms --rate-limit 150
  run --input "$work/users.txt" --ledger "$work/l.jsonl" --yes --concurrency 8 \
    --metrics-file "$work/devreset.prom" --progress-interval 200ms 2>"$work/err" &
  pid=$!
  snapshots=0
  while kill -0 "$pid" 2>/dev/null; do  # what node_exporter would read mid-run
    if [[ -s "$work/devreset.prom" ]] && cp "$work/devreset.prom" "$work/mid.prom" 2>/dev/null &&
      grep -q "devreset_run_running 1" "$work/mid.prom"; then
      promtool check metrics <"$work/mid.prom" || fail "mid-run: $(cat "$work/mid.prom")"
      # Figures as the run goes, not only the first write's zeros.
      grep -Eq "^devreset_requests_total [1-9]" "$work/mid.prom" && snapshots=$((snapshots + 1))
    fi
    sleep 0.1
  done
  wait "$pid" || fail "exit $?: $(cat "$work/err")"
  ((snapshots > 0)) || fail "no metrics while the run went"
  promtool check metrics <"$work/devreset.prom" || fail "$(cat "$work/devreset.prom")"
  s=$(tail -1 "$work/l.jsonl")
  grep -q "^devreset_run_exit_code 0$" "$work/devreset.prom" || fail "exit code"
  grep -q "^devreset_users{status=\"ok\"} 200$" "$work/devreset.prom" || fail "users"
  grep -q "^devreset_requests_total $(json_get "$s" '["requests"]')$" "$work/devreset.prom" || fail "requests"
  grep -q "^devreset_throttled_total $(json_get "$s" '["throttled_429"]')$" "$work/devreset.prom" || fail "429s"
  [[ $(stat -c %a "$work/devreset.prom") == 644 ]] || fail "node_exporter cannot read it"
  ;;
shards_of_an_indexed_job)
  # samples/k8s-indexed-job.yaml's 4 pods, each with its JOB_COMPLETION_INDEX, at once on one
  # tenant: every user once, the merged report one run's.
  k8s_sa_id=sa-shards
  start_sim --users 400 --latency 5ms --sa-id sa-shards --sa-jwk "$samples/service-account.jwk.json"
  uid=6f1e0c2a-5b7d-4c3e-8a90-1d2e3f4a5b6c  # the Job's, from its pods' controller-uid label
  k8s_prepare "$samples/k8s-indexed-job.yaml" devreset-sharded "$uid"
  n=$(json_get "$pod" '["completions"]')
  [[ $n -eq 4 && $(json_get "$pod" '["indexed"]') == True ]] || fail "not an Indexed Job of 4"
  { echo user_id; cat "$work/users.txt"; } >"$vol/config/users.csv" && chmod 644 "$vol/config/users.csv"
  job_pods() {  # the Job's 4 pods at once
    local pids=() k
    for k in $(seq 0 $((n - 1))); do
      pod_run JOB_COMPLETION_INDEX=$k >"$work/out-$k" 2>"$work/err-$k" &
      pids+=($!)
    done
    for k in $(seq 0 $((n - 1))); do wait "${pids[$k]}" || fail "pod $k: $(cat "$work/err-$k")"; done
  }
  job_pods
  python3 - "$work/users.txt" "$vol/ledger" "$n" "$uid" <<'PY' || fail "shards"
import glob, json, sys
want = {l.strip() for l in open(sys.argv[1]) if l.strip()}
seen, per = [], {}
for path in sorted(glob.glob(sys.argv[2] + f"/shard-*-of-4-{sys.argv[4]}.jsonl")):
    recs = [json.loads(l) for l in open(path)]
    shard = recs[0]["shard"]
    users = [r["user_id"] for r in recs if r["record"] == "user"]
    per[shard] = len(users)
    seen += users
    assert all(r["status"] == "ok" for r in recs if r["record"] == "user"), path
assert len(per) == int(sys.argv[3]), per
assert len(seen) == len(set(seen)), "a user twice"
assert set(seen) == want, (len(seen), len(want))
assert all(v > 0 for v in per.values()), per
print("users per shard:", per, file=sys.stderr)
PY
  [[ $(json_get "$(stats)" '["resets_per_user"]["2+"]') -eq 0 ]] || fail "a user was reset twice"
  "$devreset" report "$vol/ledger"/shard-*-of-4-$uid.jsonl --format json >"$work/merged.json" || fail "merged report"
  merged=$(cat "$work/merged.json")
  [[ $(json_get "$merged" '["users"]') -eq 400 && $(json_get "$merged" '["by_status"]["ok"]') -eq 400 &&
     $(json_get "$merged" '["runs"]') -eq 4 ]] || fail "merged: $merged"
  for k in 0 1 2 3; do promtool check metrics <"$vol/ledger/shard-$k-of-4.prom" >/dev/null || fail "metrics $k"; done
  # The Job created again (the next incident): a new uid, new ledgers, every user reset again
  # (resuming the last Job's finished ledgers would have done nothing and said ok).
  uid2=0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d
  pod_script=$(json_get "$(k8s_pod "$samples/k8s-indexed-job.yaml" devreset-sharded "$uid2")" '["script"]')
  job_pods
  again=$(cat "$vol/ledger"/shard-*-of-4-$uid2.jsonl | grep -c '"record":"user".*"status":"ok"' || true)
  [[ $again -eq 400 && $(json_get "$(stats)" '["resets_per_user"]["2+"]') -eq 400 ]] ||
    fail "the Job created again: $again ok, $(json_get "$(stats)" '["resets_per_user"]["2+"]') users reset twice"
  # An interrupted shard reported alone: only its own shard's users count as not reached
  # (the others are in their own ledgers, said in a line).
  { echo user_id; cat "$work/users.txt"; } >"$work/all.csv"
  "$devreset" run --tenant "$tenant" --realm alpha --ca-file "$work/ca.pem" --token-file "$work/token.txt" \
    --input "$work/all.csv" --ledger "$work/s1.jsonl" --yes --shard 1/4 --rate 20 --concurrency 1 \
    --progress none 2>"$work/s1.err" &
  pid=$!
  wait_for_users "$work/s1.jsonl" 2
  kill -INT "$pid" || fail "the shard's run ended early: $(cat "$work/s1.err")"
  wait "$pid" || true
  mine=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["shard"])' "$vol/ledger/shard-1-of-4-$uid.jsonl")
  in_shard=$(count_records "$vol/ledger/shard-1-of-4-$uid.jsonl" ok)
  done1=$(count_records "$work/s1.jsonl" ok)
  "$devreset" report "$work/s1.jsonl" --format json >"$work/s1.json" || true
  [[ $mine == 1/4 && $(json_get "$(cat "$work/s1.json")" '["not_reached"]') -eq $((in_shard - done1)) ]] ||
    fail "shard 1/4: $done1 done of $in_shard, report: $(cat "$work/s1.json")"
  # Merged with another shard's finished run of the same input (given after it, as the
  # latest): that run reached its own shard's users, not the interrupted one's; and the two
  # shards of four that no ledger holds are named, their users not reached (issue 31).
  "$devreset" run --tenant "$tenant" --realm alpha --ca-file "$work/ca.pem" --token-file "$work/token.txt" \
    --input "$work/all.csv" --ledger "$work/s0.jsonl" --yes --shard 0/4 --progress none 2>"$work/s0.err" ||
    fail "shard 0/4: $(cat "$work/s0.err")"
  "$devreset" report "$work/s1.jsonl" "$work/s0.jsonl" --format json >"$work/s10.json" || true
  python3 - "$work/s10.json" $((in_shard - done1)) "$vol/ledger" "$uid" <<'PY' || fail "merged with a finished shard: $(cat "$work/s10.json")"
import glob, json, sys
r = json.load(open(sys.argv[1]))
runs = {u["why"]: u["not_reached"] for u in r["unfinished_runs"]}
assert runs["the run was interrupted"] == int(sys.argv[2]), runs
per = {}
for path in glob.glob(sys.argv[3] + f"/shard-*-of-4-{sys.argv[4]}.jsonl"):
    recs = [json.loads(l) for l in open(path)]
    per[recs[0]["shard"]] = sum(1 for x in recs if x.get("record") == "user")
for k in (2, 3):
    assert runs[f"shard {k}/4 has no run in the ledgers given (K counts from 0)"] == per[f"{k}/4"], (runs, per)
assert r["not_reached"] == int(sys.argv[2]) + per["2/4"] + per["3/4"], r
PY
  ;;
numbers_as_people_write_them)
  start_sim --users 30 --latency 3ms
  run --input "$work/users.txt" --ledger "$work/l.jsonl" --yes --summary-json "$work/s.json" 2>"$work/err" ||
    fail "$(cat "$work/err")"
  "$devreset" report "$work/l.jsonl" --format json >"$work/r.json"
  python3 - "$work/l.jsonl" "$work/s.json" "$work/r.json" <<'PY' || fail "numbers"
import json, re, sys
for path in sys.argv[1:]:
    text = open(path).read()
    # No exponent where people write none (4.7, not 4.7E0); every number reads back equal.
    bad = re.findall(r'[:,\[]\s*-?\d+(?:\.\d+)?[eE][+-]?\d+', text)
    assert not bad, (path, bad[:3])
    for line in text.splitlines():
        json.loads(line)
PY
  ;;
help_keeps_urls_whole)
  # Every URL that --help shows is one the sources spell out whole: none cut by a wrap.
  src="$(dirname "$0")/../../cli"
  for cmd in run plan report probe sim; do "$devreset" "$cmd" --help; done >"$work/help.txt"
  python3 - "$work/help.txt" "$src" <<'PY' || fail "a URL cut by the wrap"
import glob, re, sys
url = re.compile(r'https?://[^\s"\\,)\]]+')
known = set()
for p in glob.glob(sys.argv[2] + "/*.cpp"):
    known |= set(url.findall(open(p).read()))
lines = open(sys.argv[1]).read().splitlines()
joined = " ".join(l.strip() for l in lines)
bad = sorted(set(url.findall(joined)) - known)
assert not bad, bad
assert max(len(l) for l in lines) <= 120, max(len(l) for l in lines)
PY
  ;;
*) fail "unknown case" ;;
esac
echo "$case_name: ok"
