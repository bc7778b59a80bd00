#!/usr/bin/env bash
# Restore benchmark (figures for docs/BENCHMARKS.md): how long `outcomesctl restore`
# takes for N participants (pg_restore, migrate, warehouse rebuild, reconcile), against
# the raw store's own restore (pg_restore of the same dump alone), in interleaved pairs.
#   scripts/bench-restore.sh [participants=5000] [runs=3]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
N="${1:-5000}"
RUNS="${2:-3}"
scripts/stack.sh up >&2
eval "$(scripts/stack.sh env)"
make -s build
export OUTCOMES_ENV=dev
PGBIN=/usr/lib/postgresql/15/bin
PSQL=("$PGBIN/psql" "$OUTCOMES_PG_ADMIN_URL" -qtA -v ON_ERROR_STOP=1)
owner_url() { printf '%s' "$OUTCOMES_DATABASE_URL" | sed -E "s#/outcomes\?#/$1?#"; }
super_url() { printf '%s' "$OUTCOMES_PG_ADMIN_URL" | sed -E "s#/postgres\?#/$1?#"; }
role_url() { owner_url "$2" | sed -E "s#^postgres://[^@]*@#postgres://$1:$1@#"; }
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# The source: a database of its own with N demo participants.
"${PSQL[@]}" -c "DROP DATABASE IF EXISTS bench_restore_src WITH (FORCE)" -c "CREATE DATABASE bench_restore_src OWNER outcomes"
env OUTCOMES_DATABASE_URL="$(owner_url bench_restore_src)" OUTCOMES_CLICKHOUSE_DATABASE=bench_restore_src \
  bin/outcomesctl migrate >&2
env OUTCOMES_DATABASE_URL="$(owner_url bench_restore_src)" bin/outcomesctl seed -n "$N" >&2
env OUTCOMES_DATABASE_URL="$(owner_url bench_restore_src)" OUTCOMES_BACKUP_DATABASE_URL="$(super_url bench_restore_src)" \
  bin/outcomesctl backup -dir "$WORK" >&2
META="$(ls "$WORK"/*.json)"
DUMP="$(ls "$WORK"/*.dump)"

fresh() { # database name
  "${PSQL[@]}" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1 OWNER outcomes"
  clickhouse-client --port "${OUTCOMES_CLICKHOUSE_ADDR##*:}" -q "DROP DATABASE IF EXISTS $1"
}
seconds() { local s=$(date +%s.%N); "$@" >/dev/null; echo "$(date +%s.%N) - $s" | bc; }

echo "participants=$N dump=$(stat -c %s "$DUMP") bytes"
for run in $(seq 1 "$RUNS"); do
  fresh bench_restore_raw
  raw=$(seconds "$PGBIN/pg_restore" --exit-on-error --single-transaction --dbname="$(super_url bench_restore_raw)" "$DUMP")
  fresh bench_restore_dst
  full=$(seconds env OUTCOMES_MIGRATE_DATABASE_URL="$(owner_url bench_restore_dst)" \
    OUTCOMES_DATABASE_URL="$(role_url outcomes_api bench_restore_dst)" \
    OUTCOMES_LOADER_DATABASE_URL="$(role_url outcomes_loader bench_restore_dst)" \
    OUTCOMES_BACKUP_DATABASE_URL="$(super_url bench_restore_dst)" OUTCOMES_CLICKHOUSE_DATABASE=bench_restore_dst \
    bin/outcomesctl restore -file "$META")
  printf 'run %d: pg_restore alone %.2f s, outcomesctl restore (pg_restore + migrate + rebuild + reconcile) %.2f s\n' "$run" "$raw" "$full"
done
for db in bench_restore_src bench_restore_raw bench_restore_dst; do
  "${PSQL[@]}" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"
  clickhouse-client --port "${OUTCOMES_CLICKHOUSE_ADDR##*:}" -q "DROP DATABASE IF EXISTS $db"
done
