#!/usr/bin/env bash
# Restore benchmark (figures for docs/BENCHMARKS.md): how long `outcomesctl restore`
# takes for N participants (pg_restore, migrate, warehouse rebuild, reconcile), against
# the raw store's own restore (pg_restore of the same dump alone), in interleaved pairs.
# The source is the demo municipality (1,000 seeded participants with their whole case
# history) plus generated participants up to N, each with one exited enrolment and an
# observation 6 months after (the demo seeder's personnummer run out near 1,700).
#   scripts/bench-restore.sh [participants=10000] [runs=3]
set -euo pipefail
unset CDPATH
ROOT="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"
N="${1:-10000}"
RUNS="${2:-3}"
scripts/stack.sh up >&2
eval "$(scripts/stack.sh env)"
make -s build
export OUTCOMES_ENV=dev
PGBIN="$(scripts/stack.sh pg-bindir)" # the programs of this stack's server, whichever version
PSQL=("$PGBIN/psql" "$OUTCOMES_PG_ADMIN_URL" -qtA -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning")
owner_url() { printf '%s' "$OUTCOMES_DATABASE_URL" | sed -E "s#/outcomes\?#/$1?#"; }
super_url() { printf '%s' "$OUTCOMES_PG_ADMIN_URL" | sed -E "s#/postgres\?#/$1?#"; }
role_url() { owner_url "$2" | sed -E "s#^postgres://[^@]*@#postgres://$1:$1@#"; }
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# The source: a database of its own with N demo participants.
"${PSQL[@]}" -c "DROP DATABASE IF EXISTS bench_restore_src WITH (FORCE)" -c "CREATE DATABASE bench_restore_src OWNER outcomes"
env OUTCOMES_DATABASE_URL="$(owner_url bench_restore_src)" OUTCOMES_CLICKHOUSE_DATABASE=bench_restore_src \
  bin/outcomesctl migrate >&2
env OUTCOMES_DATABASE_URL="$(owner_url bench_restore_src)" bin/outcomesctl seed -n 1000 >&2
# The outbox trigger writes change events under row-level security as the table's owner:
# the session names the system's scope, as the system's own sessions do.
PGOPTIONS="-c app.org_ids=*" "$PGBIN/psql" "$(super_url bench_restore_src)" -qtA -v ON_ERROR_STOP=1 -v n="$((N - 1000))" <<'SQL' >&2
CREATE TEMP TABLE g AS
  SELECT g, ('00000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid AS id, DATE '1960-01-01' + (g % 14600) AS birth,
         DATE '2017-01-01' + (g % 1000) AS start
    FROM generate_series(1, :n) g;
INSERT INTO participant (id, organisation_id, personal_identity_number, given_name, family_name, gender, birth_date)
  SELECT id, (SELECT id FROM organisation WHERE code = 'uppsala'),
         to_char(birth, 'YYYYMMDD') || '-' || lpad((9000 + g / 14600)::text, 4, '0'),
         'Bench', 'Person', (ARRAY['woman', 'man', 'other'])[1 + g % 3], birth FROM g;
INSERT INTO enrolment (organisation_id, participant_id, measure_type_id, start_date, end_date, exit_reason)
  SELECT (SELECT id FROM organisation WHERE code = 'uppsala'), id,
         (SELECT m.id FROM measure_type m JOIN organisation o ON o.id = m.organisation_id WHERE o.code = 'uppsala' AND m.code = 'work_practice'),
         start, start + 180, (ARRAY['studies', 'job_seeking', 'unsubsidised_employment_full'])[1 + g % 3] FROM g;
INSERT INTO outcome_observation (organisation_id, participant_id, month, status, social_assistance, source)
  SELECT (SELECT id FROM organisation WHERE code = 'uppsala'), id, date_trunc('month', start + 180 + 185)::date,
         (ARRAY['studies', 'job_seeking', 'unsubsidised_employment_full', 'sick_leave'])[1 + g % 4], g % 2 = 0, 'af_data' FROM g;
SQL
env OUTCOMES_DATABASE_URL="$(owner_url bench_restore_src)" OUTCOMES_BACKUP_DATABASE_URL="$(super_url bench_restore_src)" \
  bin/outcomesctl backup -dir "$WORK" >&2
META="$(ls "$WORK"/*.json)"
DUMP="$(ls "$WORK"/*.dump)"

fresh() { # database name
  "${PSQL[@]}" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1 OWNER outcomes"
  clickhouse-client --port "${OUTCOMES_CLICKHOUSE_ADDR##*:}" -q "DROP DATABASE IF EXISTS $1" </dev/null
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
  clickhouse-client --port "${OUTCOMES_CLICKHOUSE_ADDR##*:}" -q "DROP DATABASE IF EXISTS $db" </dev/null
done
