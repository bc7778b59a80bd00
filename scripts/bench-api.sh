#!/usr/bin/env bash
# API benchmark (figures for docs/BENCHMARKS.md): a participants page against
# PostGraphile 4.14.1 on the same database, and createParticipant / createEnrolment
# against pgbench's single-row INSERT, in interleaved pairs.
#   scripts/bench-api.sh [-participants 1000,50000] [-pairs 3] [-concurrency 8] [-duration 10s] [-reuse]
# PostGraphile is installed from npm into .data/postgraphile at run time (never committed).
set -euo pipefail
unset CDPATH
ROOT="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"
scripts/stack.sh up
eval "$(scripts/stack.sh env)"
PGL="$ROOT/.data/postgraphile"
if [ ! -x "$PGL/node_modules/.bin/postgraphile" ]; then
  mkdir -p "$PGL"
  (cd "$PGL" && { [ -f package.json ] || npm init -y >/dev/null; } && npm install --no-audit --no-fund postgraphile@4.14.1 >/dev/null)
fi
go run ./bench/apibench -postgraphile "$PGL/node_modules/.bin/postgraphile" "$@"
