#!/usr/bin/env bash
# Cohort-query benchmark (figures for docs/BENCHMARKS.md): 1,000,000 generated
# enrolments with their months after exit, each figure from ClickHouse through
# warehouse/analytics and the same figure in PostgreSQL, with the ratio.
#   scripts/bench-analytics.sh [-enrolments 1000000] [-runs 5]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
scripts/stack.sh up
eval "$(scripts/stack.sh env)"
go run ./bench/analyticsbench "$@"
