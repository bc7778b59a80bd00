package db_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arbetsmarknad/outcomes/internal/platform/db"
	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
	"github.com/arbetsmarknad/outcomes/migrations"
)

// TestChangedMigrationIsRefused: editing a file that was applied makes the runner stop
// with a message naming the file, before it applies anything.
func TestChangedMigrationIsRefused(t *testing.T) {
	t.Parallel()
	pool := testenv.Postgres(t)
	ctx := context.Background()
	changed := fstest.MapFS{}
	if err := fs.WalkDir(migrations.Postgres, "postgres", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(migrations.Postgres, path)
		if err != nil {
			return err
		}
		if strings.HasSuffix(path, "0001_core.up.sql") {
			body = append(body, []byte("\nALTER TABLE participant ADD COLUMN nickname text;\n")...)
		}
		changed[path] = &fstest.MapFile{Data: body}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	changed["postgres/9999_later.up.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE later (id int);")}
	changed["postgres/9999_later.down.sql"] = &fstest.MapFile{Data: []byte("DROP TABLE later;")}
	applied, err := db.MigrateFrom(ctx, pool, changed, -1, -1)
	var ce *db.ChangedMigrationError
	if !errors.As(err, &ce) || ce.Name != "0001_core" || len(applied) != 0 {
		t.Fatalf("applied %v, err %v; want the changed 0001_core refused and nothing applied", applied, err)
	}
	if !strings.Contains(err.Error(), "0001_core was changed after it was applied") {
		t.Errorf("message %q does not say what happened", err)
	}
	t.Logf("refused: %v", err)
	var later bool
	if err := pool.QueryRow(ctx, `SELECT to_regclass('later') IS NOT NULL`).Scan(&later); err != nil || later {
		t.Errorf("a later migration ran after the refusal (%v)", err)
	}
	// The unchanged files still pass.
	if again, err := db.Migrate(ctx, pool); err != nil || len(again) != 0 {
		t.Errorf("unchanged files: applied %v, err %v", again, err)
	}
}

// TestEveryMigrationAppliesOnADatabaseWithData: each migration after the first runs on a
// database that holds rows of every table the earlier ones made, keeps them, and the
// down migrations return it to that state with the rows intact.
func TestEveryMigrationAppliesOnADatabaseWithData(t *testing.T) {
	t.Parallel()
	pool := testenv.Postgres(t)
	ctx := context.Background()
	if _, err := db.MigrateDown(ctx, pool, 0); err != nil {
		t.Fatal(err)
	}
	exec := func(sql string) {
		t.Helper()
		if _, err := pool.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	if _, err := db.MigrateUpTo(ctx, pool, 1); err != nil {
		t.Fatal(err)
	}
	// 0001's tables, as a system of record would hold them.
	exec(`INSERT INTO organisation (id, code, name, kind) VALUES
		('00000000-0000-0000-0000-00000000000a', 'uppsala', 'Uppsala kommun', 'municipality'),
		('00000000-0000-0000-0000-00000000000b', 'boras', 'Borås stad', 'municipality')`)
	exec(`INSERT INTO measure_type (id, organisation_id, code, name, swedish_name, category) VALUES
		('00000000-0000-0000-0001-00000000000a', '00000000-0000-0000-0000-00000000000a', 'extra_job', 'Extra job', 'Extratjänst', 'employment'),
		('00000000-0000-0000-0001-00000000000b', '00000000-0000-0000-0000-00000000000b', 'extra_job', 'Extra job', 'Extratjänst', 'employment')`)
	exec(`INSERT INTO participant (id, organisation_id, personal_identity_number, given_name, family_name, gender, birth_date) VALUES
		('00000000-0000-0000-0002-00000000000a', '00000000-0000-0000-0000-00000000000a', '19800101-0001', 'Åsa', 'Öberg', 'woman', '1980-01-01'),
		('00000000-0000-0000-0002-00000000000b', '00000000-0000-0000-0000-00000000000b', '19800101-0002', 'Erik', 'Ek', 'man', '1980-01-01')`)
	exec(`INSERT INTO enrolment (id, organisation_id, participant_id, measure_type_id, decision_date, start_date, end_date, exit_reason) VALUES
		('00000000-0000-0000-0003-00000000000a', '00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0002-00000000000a',
		 '00000000-0000-0000-0001-00000000000a', '2018-01-01', '2018-02-01', '2019-01-31', 'studies'),
		('00000000-0000-0000-0003-00000000000b', '00000000-0000-0000-0000-00000000000b', '00000000-0000-0000-0002-00000000000b',
		 '00000000-0000-0000-0001-00000000000b', NULL, '2018-03-01', NULL, NULL)`)
	exec(`INSERT INTO outcome_observation (organisation_id, participant_id, month, status, employment_rate, source) VALUES
		('00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0002-00000000000a', '2019-07-01', 'studies', NULL, 'sus')`)
	exec(`INSERT INTO change_event (organisation_id, participant_id, entity, op) VALUES
		('00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0002-00000000000a', 'participant', 'create')`)
	if _, err := db.MigrateUpTo(ctx, pool, 3); err != nil {
		t.Fatalf("0002-0003 on data: %v", err)
	}
	// 0003's tables.
	exec(`INSERT INTO unit (id, organisation_id, name) VALUES ('00000000-0000-0000-0004-00000000000a', '00000000-0000-0000-0000-00000000000a', 'Ung intro')`)
	exec(`INSERT INTO staff_user (id, organisation_id, unit_id, name) VALUES
		('00000000-0000-0000-0005-00000000000a', '00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0004-00000000000a', 'Karin')`)
	exec(`UPDATE participant SET caseworker_id = '00000000-0000-0000-0005-00000000000a' WHERE id = '00000000-0000-0000-0002-00000000000a'`)
	exec(`INSERT INTO employer (id, organisation_id, kind, name) VALUES
		('00000000-0000-0000-0006-00000000000a', '00000000-0000-0000-0000-00000000000a', 'own_workshop', 'Återbruket')`)
	exec(`INSERT INTO employer_contact (employer_id, organisation_id, name) VALUES ('00000000-0000-0000-0006-00000000000a', '00000000-0000-0000-0000-00000000000a', 'Ola')`)
	exec(`INSERT INTO project (id, organisation_id, name, funder, start_date) VALUES
		('00000000-0000-0000-0007-00000000000a', '00000000-0000-0000-0000-00000000000a', 'Kvinna hälsa arbete', 'esf', '2018-01-01')`)
	exec(`UPDATE enrolment SET unit_id = '00000000-0000-0000-0004-00000000000a', host_employer_id = '00000000-0000-0000-0006-00000000000a',
		project_id = '00000000-0000-0000-0007-00000000000a' WHERE id = '00000000-0000-0000-0003-00000000000a'`)
	exec(`INSERT INTO enrolment_rate (enrolment_id, organisation_id, valid_from, rate) VALUES
		('00000000-0000-0000-0003-00000000000a', '00000000-0000-0000-0000-00000000000a', '2018-02-01', 50)`)
	exec(`INSERT INTO target (organisation_id, name, metric, period_start, period_end, project_id, total, women, men) VALUES
		('00000000-0000-0000-0000-00000000000a', 'Deltar', 'participants', '2018-01-01', '2018-12-31', '00000000-0000-0000-0007-00000000000a', 150, 150, NULL)`)
	exec(`INSERT INTO participant_attributes (organisation_id, participant_id, valid_from, recorded_by) VALUES
		('00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0002-00000000000a', '2018-01-01', 'Karin')`)
	exec(`INSERT INTO referral (organisation_id, participant_id, source, referral_date, ordered, feedback_sent_date) VALUES
		('00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0002-00000000000a', 'social_services', '2017-12-01', '{mapping}', '2018-01-15')`)
	exec(`INSERT INTO action_plan (id, organisation_id, participant_id, goal) VALUES
		('00000000-0000-0000-0008-00000000000a', '00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0002-00000000000a', 'Arbete')`)
	exec(`INSERT INTO action_plan_step (action_plan_id, organisation_id, position, description) VALUES
		('00000000-0000-0000-0008-00000000000a', '00000000-0000-0000-0000-00000000000a', 1, 'Praktik')`)
	exec(`INSERT INTO follow_up (organisation_id, participant_id, enrolment_id, held_on, next_due_date) VALUES
		('00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0002-00000000000a', '00000000-0000-0000-0003-00000000000a', '2018-03-01', '2018-04-01')`)
	exec(`INSERT INTO recruitment_event (id, organisation_id, kind, name, held_on) VALUES
		('00000000-0000-0000-0009-00000000000a', '00000000-0000-0000-0000-00000000000a', 'fair', 'Rekryteringsmässa', '2018-01-20')`)
	exec(`INSERT INTO recruitment_place (event_id, employer_id, organisation_id, places) VALUES
		('00000000-0000-0000-0009-00000000000a', '00000000-0000-0000-0006-00000000000a', '00000000-0000-0000-0000-00000000000a', 2)`)
	exec(`INSERT INTO interview (organisation_id, event_id, participant_id, employer_id, offered, offer_date, accepted, enrolment_id) VALUES
		('00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0009-00000000000a', '00000000-0000-0000-0002-00000000000a',
		 '00000000-0000-0000-0006-00000000000a', true, '2018-01-21', true, '00000000-0000-0000-0003-00000000000a')`)
	exec(`INSERT INTO quota (organisation_id, name, total, period_start, period_end) VALUES
		('00000000-0000-0000-0000-00000000000a', 'Kvot 2018', 700, '2018-01-01', '2018-12-31')`)
	before := rowCounts(t, pool)
	if _, err := db.Migrate(ctx, pool); err != nil {
		t.Fatalf("later migrations on data: %v", err)
	}
	if after := rowCounts(t, pool); after != before {
		t.Fatalf("rows changed by migrating up:\n%s\n->\n%s", before, after)
	}
	if _, err := db.MigrateDown(ctx, pool, 3); err != nil {
		t.Fatalf("down to 0003 with data: %v", err)
	}
	if _, err := db.Migrate(ctx, pool); err != nil {
		t.Fatalf("up again with data: %v", err)
	}
	if after := rowCounts(t, pool); after != before {
		t.Fatalf("rows changed by down and up:\n%s\n->\n%s", before, after)
	}
}

// rowCounts lists every table's row count (the outbox aside: its triggers may add).
func rowCounts(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	ctx := context.Background()
	rows, err := pool.Query(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = 'public'
		AND tablename NOT IN ('schema_migrations', 'change_event') ORDER BY tablename`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, table := range tables {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM `+pgx.Identifier{table}.Sanitize()).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			fmt.Fprintf(&b, "%s=%d ", table, n)
		}
	}
	return b.String()
}

// TestForeignKeysHaveIndexes: every foreign key that erasure, cascades or a parent's
// delete walks has an index led by its first column (references to the organisation and
// the status code list aside: those parents are never deleted).
func TestForeignKeysHaveIndexes(t *testing.T) {
	t.Parallel()
	pool := testenv.Postgres(t)
	rows, err := pool.Query(context.Background(), `
		SELECT c.conrelid::regclass::text || '.' || a.attname || ' -> ' || c.confrelid::regclass::text
		  FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
		 WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace
		   AND c.confrelid NOT IN ('organisation'::regclass, 'outcome_status'::regclass)
		   AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1])
		 ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	missing, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if len(missing) > 0 {
		t.Errorf("foreign keys without an index on their column:\n%s", strings.Join(missing, "\n"))
	}
}

// TestEveryDateColumnHasTheRange: no date column escapes the sane range, including those
// later migrations add.
func TestEveryDateColumnHasTheRange(t *testing.T) {
	t.Parallel()
	pool := testenv.Postgres(t)
	rows, err := pool.Query(context.Background(), `
		SELECT c.table_name || '.' || c.column_name FROM information_schema.columns c
		  JOIN pg_tables p ON p.schemaname = 'public' AND p.tablename = c.table_name
		 WHERE c.table_schema = 'public' AND c.data_type = 'date'
		   AND NOT EXISTS (SELECT 1 FROM pg_constraint k
		        WHERE k.conrelid = (quote_ident(c.table_name))::regclass AND k.contype = 'c'
		          AND pg_get_constraintdef(k.oid) LIKE '%sane_date(' || c.column_name || ')%')
		 ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	missing, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if len(missing) > 0 {
		t.Errorf("date columns without the sane range: %s", strings.Join(missing, ", "))
	}
}

// TestSaneDateIsStoredParsed: the range's function has a SQL-standard body, stored
// parsed (migration 0016): every write builds its table's CHECK expressions, and a body
// kept as text is parsed and analysed again each time the function is inlined. Its
// bounds are TestSaneRanges' (graph).
func TestSaneDateIsStoredParsed(t *testing.T) {
	t.Parallel()
	pool := testenv.Postgres(t)
	var parsed, inside, outside bool
	if err := pool.QueryRow(context.Background(), `SELECT p.prosqlbody IS NOT NULL, sane_date('1900-01-01') AND sane_date('2100-12-31'),
			sane_date('1899-12-31') OR sane_date('2101-01-01')
		FROM pg_proc p WHERE p.oid = 'sane_date(date)'::regprocedure`).Scan(&parsed, &inside, &outside); err != nil {
		t.Fatal(err)
	}
	if !parsed || !inside || outside {
		t.Errorf("sane_date: stored parsed %v, accepts its bounds %v, accepts beyond them %v", parsed, inside, outside)
	}
}

// TestDatabaseDocExamplesRun keeps docs/DATABASE.md true: every SQL block in it runs.
func TestDatabaseDocExamplesRun(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../../../docs/DATABASE.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```sql\n(.*?)```").FindAllStringSubmatch(string(doc), -1)
	if len(blocks) < 2 {
		t.Fatalf("found %d SQL examples in docs/DATABASE.md", len(blocks))
	}
	pool := testenv.Postgres(t)
	for _, b := range blocks {
		if _, err := pool.Exec(context.Background(), b[1], pgx.QueryExecModeSimpleProtocol); err != nil {
			t.Errorf("%s\nfails: %v", b[1], err)
		}
	}
}
