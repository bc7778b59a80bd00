#!/usr/bin/env bash
# Loader benchmark (figures for docs/BENCHMARKS.md): rebuild rate against
# clickhouse-client's raw insert rate in interleaved pairs, and change-to-warehouse latency.
#   scripts/bench-loader.sh [-participants 100000] [-pairs 3] [-rate 20] [-duration 30s (0: skip)]
set -euo pipefail
unset CDPATH
ROOT="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"
scripts/stack.sh up
eval "$(scripts/stack.sh env)"
go run ./bench/loaderbench "$@"
