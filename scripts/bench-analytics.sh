#!/usr/bin/env bash
# Cohort-query benchmark (figures for docs/BENCHMARKS.md): a national warehouse grown to
# 1, 3 and 5 million generated enrolments (290 organisations at 5 M), written through the
# loader's writer and never merged by hand; each figure from ClickHouse through
# warehouse/analytics and the same figure in PostgreSQL, in interleaved pairs, with the
# ratios and the scale curve. The data stays in the local stack (.data/, outside git).
#   scripts/bench-analytics.sh [-scales 1000000,3000000,5000000] [-pairs 3] [-reuse] [-db NAME] [-per-scale]
# -per-scale keeps each scale in a warehouse of its own (NAME_1m, NAME_3m, NAME_5m): write
# them once with -pairs 0, measure them again later with -reuse (docs/BENCHMARKS.md).
set -euo pipefail
unset CDPATH
ROOT="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"
scripts/stack.sh up
eval "$(scripts/stack.sh env)"
go run ./bench/analyticsbench "$@"
