#!/usr/bin/env bash
# Loader benchmark (figures for docs/BENCHMARKS.md): rebuild rate against
# clickhouse-client's raw insert rate, and change-to-warehouse latency under load.
#   scripts/bench-loader.sh [-participants 100000] [-rate 20] [-duration 30s]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
scripts/stack.sh up
eval "$(scripts/stack.sh env)"
go run ./bench/loaderbench "$@"
