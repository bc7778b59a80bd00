#!/usr/bin/env bash
# Runs the whole system in the foreground: migrates both stores, seeds the demo data
# when it is missing, then starts the loader and the API. Ctrl-C stops both (the
# database servers keep running; `make stop` stops them).
#   scripts/run.sh        run
#   scripts/run.sh stop   stop this checkout's API, loader and maintenance (make stop)
set -euo pipefail
unset CDPATH # a relative cd must not land in a folder CDPATH names (or print it)
# The physical path, as scripts/stack.sh's: the processes below are started, and found
# again by "stop", by this one spelling of the checkout.
ROOT="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"

# run_pids prints the pids of this checkout's processes that run.sh starts: those whose
# program is this checkout's bin/api, bin/loader or bin/outcomesctl maintain, compared as
# text (the checkout's path may hold any character a pattern would misread).
run_pids() {
  local pid argv
  for pid in $(pgrep -x api; pgrep -x loader; pgrep -x outcomesctl); do
    { mapfile -d '' -t argv <"/proc/$pid/cmdline"; } 2>/dev/null || continue
    case "${argv[0]:-} ${argv[1]:-}" in
      "$ROOT/bin/api "* | "$ROOT/bin/loader "* | "$ROOT/bin/outcomesctl maintain") echo "$pid" ;;
    esac
  done
}
if [ "${1:-}" = stop ]; then
  pids="$(run_pids)"
  [ -z "$pids" ] || kill $pids 2>/dev/null || true # one may have ended meanwhile
  exit 0
fi
eval "$(scripts/stack.sh env)"
# Least privilege (migration 0005): migrations run as the owner role that stack.sh's
# URL names; the API and the CLI's data commands as outcomes_api; the loader as
# outcomes_loader (roles created by stack.sh, each with its name as its password).
role_url() { printf '%s' "$OUTCOMES_DATABASE_URL" | sed -E "s#^postgres://[^@]*@#postgres://$1:$1@#"; }
export OUTCOMES_MIGRATE_DATABASE_URL="${OUTCOMES_MIGRATE_DATABASE_URL:-$OUTCOMES_DATABASE_URL}"
export OUTCOMES_LOADER_DATABASE_URL="${OUTCOMES_LOADER_DATABASE_URL:-$(role_url outcomes_loader)}"
export OUTCOMES_DATABASE_URL="$(role_url outcomes_api)"
export OUTCOMES_ENV="${OUTCOMES_ENV:-dev}"
export OUTCOMES_HTTP_ADDR="${OUTCOMES_HTTP_ADDR:-:8080}"
export OUTCOMES_LOADER_METRICS_ADDR="${OUTCOMES_LOADER_METRICS_ADDR:-:9108}"

# The API's and the loader's ports, as the databases' (scripts/stack.sh): one held by
# another process (another checkout's make run) is an error that names it, before
# anything is written; otherwise the API would fail to start and the banner below would
# point at that other process.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
refuse_busy() { # port variable what
  if port_busy "$1"; then
    echo "[run] port $1 ($3) is held by another process, such as another checkout's make run." >&2
    echo "[run] Stop it, or choose another port: $2=:$(( $1 + 100 )) make run" >&2
    echo "[run] (OUTCOMES_HTTP_ADDR and OUTCOMES_LOADER_METRICS_ADDR choose the API's and the loader's ports.)" >&2
    exit 3
  fi
}
refuse_busy "${OUTCOMES_HTTP_ADDR##*:}" OUTCOMES_HTTP_ADDR "the API"
refuse_busy "${OUTCOMES_LOADER_METRICS_ADDR##*:}" OUTCOMES_LOADER_METRICS_ADDR "the loader's metrics"

bin/outcomesctl migrate
bin/outcomesctl seed
ADMIN_TOKEN="$(bin/outcomesctl token -role admin -subject dev-admin)"
CASEWORKER_TOKEN="$(bin/outcomesctl token -role caseworker -org uppsala -subject dev-caseworker)"
STEERING_TOKEN="$(bin/outcomesctl token -role steering -org uppsala -subject dev-steering)"
EVALUATOR_TOKEN="$(bin/outcomesctl token -role evaluator -org uppsala -subject dev-evaluator)"

"$ROOT/bin/loader" &
LOADER=$!
"$ROOT/bin/api" &
API=$!
# Maintenance on a timer of its own (docs/OPERATIONS.md), as the owner role; as a
# service it logs JSON lines on stderr, as the API and the loader do.
export OUTCOMES_AUDIT_ARCHIVE_DIR="${OUTCOMES_AUDIT_ARCHIVE_DIR:-$ROOT/.data/audit-archive}"
"$ROOT/bin/outcomesctl" maintain -every 1h &
MAINTAIN=$!
# (Under set -e: a process already gone, or one ending with a signal's status, is no error.)
stop_all() { kill $LOADER $API $MAINTAIN 2>/dev/null || true; wait || true; }
# Ctrl-C (or a stop from a service manager) is the way to end a run: a clean exit.
trap 'stop_all; exit 0' INT TERM
trap stop_all EXIT

port="${OUTCOMES_HTTP_ADDR##*:}"
# outcomesctl report-link points at OUTCOMES_HTTP_ADDR, which another shell has not set.
base_flag=""
[ "$port" = 8080 ] || base_flag=" -base http://localhost:$port"
# The demo's latest steering report (the seeds' Uppsala story, December 2018), as a
# signed link valid for 12 hours and good for one opening; outcomesctl report-link makes more.
REPORT_LINK="$(bin/outcomesctl report-link -org uppsala -month 2018-12 -base "http://localhost:$port" -ttl 12h)"
for _ in $(seq 1 50); do
  kill -0 "$API" 2>/dev/null || break
  if command -v curl >/dev/null; then curl -fsS "http://localhost:$port/healthz" >/dev/null 2>&1 && break; fi
  sleep 0.2
done
if ! kill -0 "$API" 2>/dev/null; then
  echo "[run] the API did not start (its error is above)." >&2
  exit 1
fi
cat >&2 <<MSG

  Outcomes platform is running
    GraphiQL    http://localhost:$port/
    GraphQL     http://localhost:$port/graphql
    health      http://localhost:$port/healthz   ready: http://localhost:$port/readyz
    API metrics http://localhost:$port/metrics
    loader      http://localhost:${OUTCOMES_LOADER_METRICS_ADDR##*:}/metrics
    PostgreSQL  $OUTCOMES_DATABASE_URL
    ClickHouse  $OUTCOMES_CLICKHOUSE_ADDR (database $OUTCOMES_CLICKHOUSE_DATABASE)
    data        $ROOT/.data
  Development tokens (12 h; in GraphiQL add the header {"Authorization": "Bearer <token>"}):
    admin       $ADMIN_TOKEN
    caseworker  $CASEWORKER_TOKEN
    steering    $STEERING_TOKEN
    evaluator   $EVALUATOR_TOKEN
  Steering report (Uppsala kommun, december 2018; opens once, as the steering reader):
    $REPORT_LINK
    more: bin/outcomesctl report-link -org uppsala -month 2018-12$base_flag [-format pdf|xlsx]
  Ctrl-C stops the API and the loader; 'make stop' stops the databases.

MSG
# Here only if the API or the loader ended by itself: its status is the run's.
status=0
wait -n $LOADER $API || status=$?
echo "[run] the API or the loader stopped (exit $status); stopping the rest." >&2
exit "$status"
