#!/usr/bin/env bash
# The writes goal's ceiling on this machine (docs/BENCHMARKS.md, "What PostgreSQL alone
# allows a create"): pgbench drives, with no API at all, the statements one
# createParticipant sends PostgreSQL (bench/ceiling/create.sql), beside the peer of
# `make bench-api` (bench/ceiling/peer.sql: one single-row INSERT per transaction) and
# beside four creates sharing one transaction (bench/ceiling/create4.sql), in
# interleaved triples, on the database `make bench-api` made (outcomes_apibench) and its
# writes' organisation. The API's own CPU per call comes on top of the first on the
# same cores.
#   scripts/bench-write-ceiling.sh [triples (3)] [clients (8)] [seconds per run (10)]
set -euo pipefail
unset CDPATH
ROOT="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"
triples="${1:-3}" clients="${2:-8}" secs="${3:-10}"
scripts/stack.sh up >/dev/null 2>&1
eval "$(scripts/stack.sh env)"
admin="${OUTCOMES_PG_ADMIN_URL%%\?*}"
db="${admin%/*}/outcomes_apibench"
# The writes' organisation is the benchmark's last (bench/apibench: one per size, then
# the writes').
org="$(psql -qXAt "$db" -c "SELECT id FROM organisation WHERE code LIKE 'bench%' ORDER BY length(code) DESC, code DESC LIMIT 1" 2>/dev/null || true)"
if [ -z "$org" ]; then
  echo "no benchmark database: run 'make bench-api' (or scripts/bench-api.sh -reads=false) first" >&2
  exit 2
fi
export PGOPTIONS="-c app.org_ids=*" # the system's scope, as the benchmark's own writes have
tps() { pgbench -n -M prepared -c "$clients" -j 2 -T "$secs" -D org="$org" -f "bench/ceiling/$1.sql" "$db" 2>&1 |
  sed -n 's/^tps = \([0-9.]*\).*/\1/p'; }
echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); pgbench -n -M prepared -c $clients -j 2 -T $secs, organisation $org"
for i in $(seq 1 "$triples"); do
  peer="$(tps peer)"; one="$(tps create)"; four="$(tps create4)"
  awk -v i="$i" -v p="$peer" -v a="$one" -v b="$four" 'BEGIN {
    printf "triple %d: peer INSERT %7.1f tps | createParticipant statements %7.1f/s (%.2f of the peer) | four per transaction %7.1f creates/s (%.2f)\n",
      i, p, a, a / p, 4 * b, 4 * b / p }'
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
