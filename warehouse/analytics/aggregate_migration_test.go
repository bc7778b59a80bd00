package analytics_test

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/arbetsmarknad/outcomes/warehouse/analytics"
)

var updateMigration = flag.Bool("update-aggregate-migration", false, "rewrite ClickHouse migration 0012 from analytics.AggregateViewSelect")

const aggregateMigration = "../../migrations/clickhouse/0012_enrolment_figures.sql"

// aggregateMigrationText is migration 0012 as AggregateViewSelect and AggregateColumns
// make it: the aggregate's definitions are the analytics package's SQL, written once.
func aggregateMigrationText() string {
	sel := analytics.AggregateViewSelect()
	var cols []string
	for _, c := range analytics.AggregateColumns() {
		cols = append(cols, "    "+c+" Int64")
	}
	return `-- The pre-aggregate of the outcome figures (issue #17; docs/ARCHITECTURE.md, "The warehouse
-- at scale"). GENERATED from warehouse/analytics (AggregateViewSelect): change the
-- definitions there and run
--   go test ./warehouse/analytics -run TestAggregateMigrationIsGenerated -update-aggregate-migration
-- in a NEW migration, never in this one once applied.
--
-- enrolment_figures holds, per grouping set (gs: bit 1 gender, 2 measure, 4 age band;
-- gs 8-15 the same for WIOA exits, by the month of their WIOA exit date), organisation and
-- month, the counts of the figures the reports ask
-- for at their standard parameters: exited rows (n), rows in Kolada's and WIOA's
-- populations, and per definition the rows whose fact is known and where it holds. A
-- materialized view writes them on every insert into enrolment_outcome, each count
-- multiplied by the row's sign, so a cancel row subtracts what its row added; erasure
-- writes cancel rows too (chstore.Write cancels a person's live rows before the
-- tombstone), since a mutation never reaches a view. warehouse/analytics always reads it
-- with sum() and GROUP BY: a figure does not depend on whether the summing merges ran.
--
-- The last statement fills it from the rows already in enrolment_outcome (run while no
-- loader writes, as every migration is).
DROP TABLE IF EXISTS enrolment_figures_mv;
DROP TABLE IF EXISTS enrolment_figures;
CREATE TABLE IF NOT EXISTS enrolment_figures (
    gs UInt8,
    org_id String,
    org_code String,
    month Date,
    g_gender String,
    g_measure String,
    g_age_band String,
` + strings.Join(cols, ",\n") + `
) ENGINE = SummingMergeTree
PARTITION BY toYear(month)
ORDER BY (gs, org_id, month, g_gender, g_measure, g_age_band, org_code)
SETTINGS index_granularity = 1024;
CREATE MATERIALIZED VIEW IF NOT EXISTS enrolment_figures_mv TO enrolment_figures AS
` + sel + `;
INSERT INTO enrolment_figures (gs, org_id, org_code, month, g_gender, g_measure, g_age_band, ` +
		strings.Join(analytics.AggregateColumns(), ", ") + `)
` + sel + `;
`
}

// The migration that creates the aggregate carries exactly the analytics package's
// SQL of every definition it holds.
func TestAggregateMigrationIsGenerated(t *testing.T) {
	want := aggregateMigrationText()
	if *updateMigration {
		if err := os.WriteFile(aggregateMigration, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(aggregateMigration)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatalf("%s is not what AggregateViewSelect makes: regenerate it in a new migration (see its header)", aggregateMigration)
	}
}
