#!/usr/bin/env bash
# What a NOTIFY inside a write transaction costs (docs/BENCHMARKS.md, "Writes commit
# together again"): pgbench's one-row INSERT alone and with a NOTIFY in its transaction,
# in interleaved pairs, on a scratch database of this stack. PostgreSQL makes the commits
# of all notifying transactions wait for one another, so they cannot share a WAL flush.
#   scripts/bench-notify.sh [pairs (3)] [clients (8)] [seconds per run (8)]
set -euo pipefail
unset CDPATH
ROOT="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"
pairs="${1:-3}" clients="${2:-8}" secs="${3:-8}"
scripts/stack.sh up
eval "$(scripts/stack.sh env)"
admin="${OUTCOMES_PG_ADMIN_URL%%\?*}"
db=outcomes_bench_notify
psql -qX "$admin" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
scratch="${admin%/*}/$db"
psql -qX "$scratch" -c "CREATE TABLE t (id bigserial PRIMARY KEY, v text)"
work="$(mktemp -d)"
trap 'rm -rf "$work"; psql -qX "$admin" -c "DROP DATABASE IF EXISTS $db"' EXIT
printf 'BEGIN;\nINSERT INTO t (v) VALUES (repeat(%s, 50));\nCOMMIT;\n' "'x'" >"$work/insert.sql"
printf 'BEGIN;\nINSERT INTO t (v) VALUES (repeat(%s, 50));\nSELECT pg_notify(%s, %s);\nCOMMIT;\n' "'x'" "'change_event'" "''" >"$work/notify.sql"
tps() { pgbench -n -c "$clients" -j 2 -T "$secs" -f "$work/$1.sql" "$scratch" 2>&1 | sed -n 's/^tps = \([0-9.]*\).*/\1/p'; }
echo "pgbench -n -c $clients -j 2 -T $secs: one-row INSERT per transaction, alone and with a NOTIFY"
for i in $(seq 1 "$pairs"); do
  a="$(tps insert)"; b="$(tps notify)"
  awk -v i="$i" -v a="$a" -v b="$b" 'BEGIN { printf "pair %d: INSERT %8.1f tps | INSERT + NOTIFY %8.1f tps | ratio %.2f\n", i, a, b, b / a }'
done
