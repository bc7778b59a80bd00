#!/usr/bin/env bash
# Interleaved runs of the request gate's benchmarks (docs/BENCHMARKS.md, issue 11): the
# refusal of a 20,000-field probe against a trivial valid query (the baseline), N rounds,
# then once what validation costs without the gate. Needs the stack's environment
# (make bench-security brings the stack up first).
set -euo pipefail
unset CDPATH
ROOT="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"
eval "$(scripts/stack.sh env)"
ROUNDS="${1:-3}"
bin="$(mktemp -d)/securitytest.test"
go test -c -o "$bin" ./internal/systest/securitytest
cd internal/systest/securitytest
for i in $(seq 1 "$ROUNDS"); do
  echo "# round $i"
  "$bin" -test.run '^$' -test.bench '^BenchmarkRefusalOf20000Fields$' -test.benchtime 200x | grep '^Benchmark'
  "$bin" -test.run '^$' -test.bench '^BenchmarkTrivialQuery$' -test.benchtime 200x | grep '^Benchmark'
done
echo "# without the gate (the code before issue 11)"
"$bin" -test.run '^$' -test.bench '^BenchmarkValidationWithoutGate$' -test.benchtime 1x | grep '^Benchmark'
