#!/usr/bin/env bash
# The production stack of deploy/compose.yaml, without Docker, on 127.0.0.1: a Prefect server with
# its own PREFECT_HOME, the govreports work pool from deploy/work-pool-process.json, the database
# URL in a Secret block, a process worker, the deployments of deploy/prefect.yaml, and one
# deployment run that crawls the demo sites into a fresh Postgres database. It waits for the run,
# checks the database, and stops everything it started (by pid), whatever happens.
#
#   scripts/local_stack.sh            # needs Postgres on 127.0.0.1:5432 (user postgres, trust)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${GOVREPORTS_BIN:-$ROOT/.venv/bin}"  # the virtualenv `make install` creates
[ -x "$BIN/prefect" ] || BIN="$(dirname "$(command -v prefect)")"
PORT="${PREFECT_PORT:-4795}"
WORK="$(mktemp -d -t govreports-stack.XXXXXX)"
DB_NAME="govreports_stack_$$"
PIDS=()

export PREFECT_HOME="$WORK/prefect-home"
export PREFECT_API_URL="http://127.0.0.1:$PORT/api"
export PREFECT_SERVER_ANALYTICS_ENABLED=false
export PREFECT_UI_API_URL="$PREFECT_API_URL"  # the UI would otherwise look for the API on port 4200
export PREFECT_CLI_PROMPT=false
DB_URL="postgresql+psycopg://postgres@127.0.0.1:5432/$DB_NAME"

cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS \"$DB_NAME\" WITH (FORCE)" >/dev/null 2>&1 || true
  echo "stopped; logs in $WORK"
}
trap cleanup EXIT

echo "== Postgres database $DB_NAME"
psql -q -h 127.0.0.1 -U postgres -c "CREATE DATABASE \"$DB_NAME\""

echo "== Prefect server on $PREFECT_API_URL (PREFECT_HOME=$PREFECT_HOME)"
"$BIN/prefect" server start --host 127.0.0.1 --port "$PORT" >"$WORK/server.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 120); do curl -sf "$PREFECT_API_URL/health" >/dev/null && break; sleep 1; done
curl -sf "$PREFECT_API_URL/health" >/dev/null || { echo "server did not start"; tail -20 "$WORK/server.log"; exit 1; }

echo "== work pool, Secret block, deployments"
"$BIN/prefect" work-pool create govreports --type process --overwrite \
  --base-job-template "$ROOT/deploy/work-pool-process.json" >/dev/null
DB_URL="$DB_URL" "$BIN/python" -c "
import os
from prefect.blocks.system import Secret
Secret(value=os.environ['DB_URL']).save('govreports-db', overwrite=True)"
cd "$ROOT"
"$BIN/prefect" --no-prompt deploy --all --prefect-file deploy/prefect.yaml >/dev/null

echo "== demo sites and a process worker"
"$BIN/python" scripts/serve_demo.py "$WORK/demo-sources.toml" >"$WORK/demo.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 30); do [ -s "$WORK/demo-sources.toml" ] && break; sleep 0.5; done
GOVREPORTS_CODE_DIR="$ROOT" "$BIN/prefect" worker start --pool govreports --name "stack-worker-$$" \
  >"$WORK/worker.log" 2>&1 &
PIDS+=($!)

echo "== deployment run: crawl/monthly-recheck over the demo sites"
"$BIN/prefect" deployment run crawl/monthly-recheck \
  --param sources_file="$WORK/demo-sources.toml" --watch --watch-timeout 300 | tee "$WORK/run.log"
grep -q "Completed" "$WORK/run.log" || { echo "the run did not complete"; tail -40 "$WORK/worker.log"; exit 1; }

echo "== what the run left in Postgres"
"$BIN/govreports" runs --db "$DB_URL"
"$BIN/govreports" coverage --db "$DB_URL" --sources "$WORK/demo-sources.toml" --years 2019-2019
