#!/usr/bin/env bash
# The admin API against its own OpenAPI document: schemathesis (requirements.txt) generates requests
# from /openapi.json - positive and negative, every phase (examples, coverage, fuzzing, stateful) -
# and checks every answer with all of its checks (no 5xx, documented status codes, content types,
# headers and bodies, invalid data rejected, valid data accepted, auth not ignored, …).
#   `tessera migrate`, `tessera keys create` and `tessera serve` run against a throwaway PostGIS cluster
#   of their own (benchmarks/throwaway-cluster.sh; never the shared one on 54329), with the API on a free
#   loopback port, a layer `buildings` (the document's examples name it) and allow_networks covering
#   loopback, so subscriptions and test calls to loopback URLs are accepted. Prints the number of
#   generated requests and the failures by check; exits 1 on any failure (2 when it cannot run).
#   TESSERA_BIN                     the binary (default .build/release/tessera; it is not built here)
#   TESSERA_SCHEMATHESIS_EXAMPLES   test cases per operation and phase at most (default 100)
#   TESSERA_SCHEMATHESIS_SEED       the seed (default 1; fixed, so a run can be repeated)
#   TESSERA_SCHEMATHESIS_SCHEMA     a document file to test instead of the one the binary serves
#                                   (e.g. Sources/TesseraServer/Resources/openapi.json before a rebuild)
#   TESSERA_SCHEMATHESIS_ARGS       further `st run` options (e.g. --include-operation-id getStatus)
#   TESSERA_SCHEMATHESIS_PG_PORT    the cluster's port (default: a free one in 55000-55999)
#   TESSERA_SCHEMATHESIS_KEEP       1: keep the work directory (serve log, reports) also on success
# Refusals the document cannot express (hooks.py) are confirmed independently and not counted as
# failures; the summary lists them.
# The reports (junit, ndjson, json; the failures' curl reproductions are in the ndjson and in the
# output) stay in the work directory when the run fails.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
here=benchmarks/schemathesis
tessera=${TESSERA_BIN:-.build/release/tessera}
case "$tessera" in /*) ;; *) tessera="$root/$tessera" ;; esac
[ -x "$tessera" ] || { echo "schemathesis: $tessera is not an executable (build it, or set TESSERA_BIN)" >&2; exit 2; }
command -v psql >/dev/null || { echo "schemathesis: psql is not installed" >&2; exit 2; }
command -v curl >/dev/null || { echo "schemathesis: curl is not installed" >&2; exit 2; }
examples=${TESSERA_SCHEMATHESIS_EXAMPLES:-100}
seed=${TESSERA_SCHEMATHESIS_SEED:-1}
schema_file=${TESSERA_SCHEMATHESIS_SCHEMA:-}
if [ -n "$schema_file" ]; then
    case "$schema_file" in /*) ;; *) schema_file="$root/$schema_file" ;; esac
    [ -r "$schema_file" ] || { echo "schemathesis: cannot read $schema_file" >&2; exit 2; }
fi

venv="$root/$here/.venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
stamp="$venv/.requirements.sha256"
wanted=$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    echo "schemathesis: installing $here/requirements.txt into $here/.venv" >&2
    "$venv/bin/python" -m pip install -q -r "$here/requirements.txt"
    echo "$wanted" >"$stamp"
fi

# shellcheck source=benchmarks/throwaway-cluster.sh
. benchmarks/throwaway-cluster.sh
throwaway_cluster schemathesis "${TESSERA_SCHEMATHESIS_PG_PORT:-}" "${TESSERA_SCHEMATHESIS_KEEP:-}"
db="$base/tessera"
echo "schemathesis: PostGIS cluster $base (in $TESSERA_PG_DIR), binary $tessera, work $work"

"$tessera" migrate --database-url "$db" >"$work/migrate.log" 2>&1 ||
    { echo "schemathesis: tessera migrate failed:" >&2; cat "$work/migrate.log" >&2; exit 2; }
key=$("$tessera" keys create --database-url "$db" --tenant schemathesis --name schemathesis 2>>"$work/keys.log") ||
    { echo "schemathesis: tessera keys create failed:" >&2; cat "$work/keys.log" >&2; exit 2; }
case "$key" in tsk_*) ;; *) echo "schemathesis: keys create printed no key" >&2; exit 2 ;; esac

port=""
for _ in $(seq 1 50); do
    candidate=$((20000 + RANDOM % 10000))
    if ! ss -Hltn "sport = :$candidate" | grep -q .; then port=$candidate; break; fi
done
[ -n "$port" ] || { echo "schemathesis: no free port for the API" >&2; exit 2; }
cat >"$work/serve.json" <<JSON
{
  "database_url": "$db",
  "api": {"listen": "127.0.0.1:$port"},
  "allow_networks": ["127.0.0.0/8", "::1/128"],
  "layers": [{"name": "buildings", "tile_matrix_set": "WebMercatorQuad", "min_zoom": 12, "max_zoom": 16,
              "buffer": "64/4096"}],
  "log_level": "warning"
}
JSON
api="http://127.0.0.1:$port"
"$tessera" serve --config "$work/serve.json" >"$work/serve.log" 2>&1 &
serve=$!
echo "$serve" >>"$work/pids"
for _ in $(seq 1 600); do
    kill -0 "$serve" 2>/dev/null || { echo "schemathesis: tessera serve exited; see $work/serve.log" >&2; tail -n 20 "$work/serve.log" >&2; exit 2; }
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$api/health")" = 200 ] && break
    sleep 0.1
done
[ "$(curl -s -o /dev/null -w '%{http_code}' "$api/health")" = 200 ] ||
    { echo "schemathesis: tessera serve not healthy after 60 s; see $work/serve.log" >&2; exit 2; }

# Something for the delivery endpoints to show: a subscription made through the API (to a loopback
# port nothing listens on) with a dead letter (delivery 1, two failed attempts) and a delivered
# delivery (2), both listing tiles, so that the delivery log, the dead letters, their stats, retry and
# /v1/status/tiles answer with data, not only empty lists and 404s.
seed_body='{"name": "seeded", "url": "http://127.0.0.1:9/expire", "layers": ["buildings"]}'
created=$(curl -s -o "$work/seeded.json" -w '%{http_code}' -X POST "$api/v1/subscriptions" \
    -H "Authorization: Bearer $key" -H 'Content-Type: application/json' -d "$seed_body")
[ "$created" = 201 ] || { echo "schemathesis: creating the seeded subscription answered $created:" >&2; cat "$work/seeded.json" >&2; exit 2; }
psql "$db" -v ON_ERROR_STOP=1 -q >"$work/seed.log" 2>&1 <<'SQL' || { echo "schemathesis: seeding failed:" >&2; cat "$work/seed.log" >&2; exit 2; }
INSERT INTO tessera.deliveries (event_id, subscription_id, event_type, payload, content_type, change_count,
    window_start, window_end, status, attempts, next_attempt_at, last_error, last_status_code, created_at, dead_at)
SELECT gen_random_uuid(), id, 'tiles.invalidated', convert_to(E'14/8508/5681\n14/8509/5681\n', 'UTF8'), 'text/plain',
    2, now() - interval '3 minutes', now() - interval '2 minutes', 'dead', 2, now(), 'HTTP 500', 500,
    now() - interval '2 minutes', now() - interval '1 minute'
FROM tessera.subscriptions WHERE name = 'seeded';
INSERT INTO tessera.deliveries (event_id, subscription_id, event_type, payload, content_type, change_count,
    window_start, window_end, status, attempts, next_attempt_at, last_status_code, created_at, delivered_at)
SELECT gen_random_uuid(), id, 'tiles.invalidated', convert_to(E'15/17016/11362\n', 'UTF8'), 'text/plain',
    1, now() - interval '2 minutes', now() - interval '1 minute', 'delivered', 1, now(), 200,
    now() - interval '1 minute', now() - interval '50 seconds'
FROM tessera.subscriptions WHERE name = 'seeded';
INSERT INTO tessera.delivery_attempts (delivery_id, attempt, started_at, duration_ms, status_code, error, response_body)
SELECT d.id, a.n, d.created_at + a.n * interval '5 seconds', 12 * a.n,
    CASE d.status WHEN 'dead' THEN 500 ELSE 200 END, CASE d.status WHEN 'dead' THEN 'HTTP 500' END,
    CASE d.status WHEN 'dead' THEN 'internal error' ELSE 'ok' END
FROM tessera.deliveries d CROSS JOIN LATERAL generate_series(1, d.attempts) AS a(n);
SQL

if [ -n "$schema_file" ]; then
    location=$schema_file
    url_option=(--url "$api")
else
    location="$api/openapi.json"
    url_option=()
    "$venv/bin/python" - "$location" <<'PY' || { echo "schemathesis: $location is not an OpenAPI 3.1 document with paths (is the binary older than the document?)" >&2; exit 2; }
import json, sys, urllib.request
doc = json.load(urllib.request.urlopen(sys.argv[1]))
sys.exit(0 if str(doc.get("openapi", "")).startswith("3.1") and doc.get("paths") else 1)
PY
fi
echo "schemathesis: testing $api with $location ($examples examples per operation, seed $seed)"

reports="$work/reports"
status=0
# The key travels as a header so that the checks that drop or spoil it (ignored_auth) still can;
# the example database is off so that a run depends on the seed alone, and writes nothing here;
# --continue-on-failure, because otherwise the first failure of an operation (a valid-looking body
# naming a layer that does not exist, say) ends its fuzzing before the other checks see much.
# hooks.py drops the ST202 failures whose refusal it confirms on its own (an invalid polygon, a
# replay window that does not move forward, a cursor never issued, …); each is counted below.
dropped="$work/dropped.ndjson"
: >"$dropped"
# shellcheck disable=SC2086
SCHEMATHESIS_HOOKS=hooks PYTHONPATH="$root/$here" TESSERA_SCHEMATHESIS_DROPPED="$dropped" \
    TESSERA_SCHEMATHESIS_API="$api" TESSERA_SCHEMATHESIS_KEY="$key" \
"$venv/bin/st" run "$location" "${url_option[@]}" \
    --checks all \
    --mode all \
    --max-examples "$examples" \
    --seed "$seed" \
    --workers 1 \
    --continue-on-failure \
    --generation-database none \
    --header "Authorization: Bearer $key" \
    --request-timeout 90 \
    --no-color \
    --report junit,ndjson,json --report-junit-path "$reports/junit.xml" \
    --report-ndjson-path "$reports/events.ndjson" --report-json-path "$reports/summary.json" \
    ${TESSERA_SCHEMATHESIS_ARGS:-} >"$work/schemathesis.txt" 2>&1 || status=$?
cat "$work/schemathesis.txt"
# serve stops before the summary (the cluster and anything left, on exit, by the trap).
kill -TERM "$serve" 2>/dev/null || true
for _ in $(seq 1 100); do kill -0 "$serve" 2>/dev/null || break; sleep 0.1; done
wait "$serve" 2>/dev/null || true
kill -0 "$serve" 2>/dev/null || : >"$work/pids"
if grep -qiE '"level":"(error|critical)"|\b(error|critical)\b' "$work/serve.log"; then
    echo "schemathesis: tessera serve logged errors (see $work/serve.log):"
    grep -iE '"level":"(error|critical)"|\b(error|critical)\b' "$work/serve.log" | cut -c1-300 | sort | uniq -c | sort -rn | head -n 10
fi

# The numbers: generated test cases, requests sent, and the failures by check with their operations.
"$venv/bin/python" - "$reports" "$dropped" <<'PY' || true
import collections, json, pathlib, sys
reports = pathlib.Path(sys.argv[1])
refused = collections.Counter()
for line in pathlib.Path(sys.argv[2]).read_text().splitlines():
    entry = json.loads(line)
    refused[(entry["reason"], entry["operation"])] += 1
try:
    summary = json.loads((reports / "summary.json").read_text())
except (OSError, ValueError) as error:
    print(f"schemathesis: no JSON report ({error})")
    sys.exit(0)
requests = 0
failed = collections.defaultdict(collections.Counter)  # check -> operation -> failing responses
titles = {}
methods = collections.defaultdict(set)  # (check, operation) -> methods sent instead of the documented one
try:
    lines = (reports / "events.ndjson").read_text().splitlines()
except OSError:
    lines = []
for line in lines:
    try:
        event = json.loads(line).get("ScenarioFinished")
    except ValueError:
        continue
    if not event:
        continue
    recorder = event.get("recorder") or {}
    requests += sum(1 for i in (recorder.get("interactions") or {}).values() if i.get("response") is not None)
    interactions = recorder.get("interactions") or {}
    for case, results in (recorder.get("checks") or {}).items():
        for check in results:
            if check.get("status") == "failure":
                failure = (check.get("failure_info") or {}).get("failure") or {}
                operation = failure.get("operation") or recorder.get("label") or "?"
                sent = ((interactions.get(case) or {}).get("request") or {}).get("method")
                failed[check["name"]][operation] += 1
                if sent and not operation.startswith(sent + " "):
                    methods[(check["name"], operation)].add(sent)
                titles[check["name"]] = f"{failure.get('code', '')} {failure.get('title', '')}".strip()
cases = summary.get("test_cases") or {}
ops = summary.get("operations") or {}
print()
print("schemathesis summary")
print(f"  generated test cases: {cases.get('generated')} ({requests} requests with an answer), "
      f"{cases.get('with_failures')} with failures, {cases.get('unique_failures')} unique failures, "
      f"{cases.get('errored')} errored")
print(f"  operations: {ops.get('tested')} tested of {ops.get('selected')} ({ops.get('errored')} errored, "
      f"{ops.get('skipped')} skipped)")
if failed:
    print("  failures by check (failing responses, by operation):")
    for name in sorted(failed):
        print(f"    {name} ({titles[name]}): {sum(failed[name].values())}")
        for operation, n in sorted(failed[name].items()):
            sent = methods.get((name, operation))
            print(f"      {n:4d}  {operation}" + (f" (sent as {', '.join(sorted(sent))})" if sent else ""))
else:
    print("  failures by check: none")
if refused:
    print(f"  refusals of schema-valid requests confirmed by hooks.py (not failures): {sum(refused.values())}")
    for (reason, operation), n in sorted(refused.items()):
        print(f"      {n:4d}  {operation}: {reason}")
for error in summary.get("errors") or []:
    print(f"  error: {error['title']} x{error['count']}")
PY

if [ "$status" -ne 0 ]; then
    echo "schemathesis: failures (st exited $status); reports in $reports" >&2
    exit 1
fi
