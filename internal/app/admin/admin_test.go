package admin_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/arbetsmarknad/outcomes/internal/app/demo"
	"github.com/arbetsmarknad/outcomes/internal/domain/domaintest"
	"github.com/arbetsmarknad/outcomes/internal/domain/enrolment"
	"github.com/arbetsmarknad/outcomes/internal/domain/organisation"
	"github.com/arbetsmarknad/outcomes/internal/domain/outcome"
	"github.com/arbetsmarknad/outcomes/internal/domain/participant"
	"github.com/arbetsmarknad/outcomes/internal/platform/changes"
	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
)

func TestRetentionDryRunThenErase(t *testing.T) {
	url, pool := testenv.PostgresWithURL(t)
	ctx := context.Background()
	org := domaintest.OrganisationWith(t, pool, organisation.CreateInput{Code: "gallring", Name: "Gallring", Kind: organisation.Municipality})
	ps := participant.NewStore(pool)
	mk := func(serial int, end time.Time, observed *time.Time) string {
		p, err := ps.Create(ctx, participant.CreateInput{OrganisationID: org.ID, Gender: participant.Man, GivenName: "Test", FamilyName: "Person",
			PersonalIdentityNumber: demo.Personnummer(time.Date(1970, 5, 5, 0, 0, 0, 0, time.UTC), serial)})
		if err != nil {
			t.Fatal(err)
		}
		reason := outcome.JobSeeking
		if _, err := enrolment.NewStore(pool).Create(ctx, enrolment.CreateInput{ParticipantID: p.ID, MeasureTypeCode: "work_practice",
			StartDate: end.AddDate(0, -6, 0), EndDate: &end, ExitReason: &reason}); err != nil {
			t.Fatal(err)
		}
		if observed != nil {
			if _, err := outcome.NewStore(pool).Record(ctx, outcome.RecordInput{ParticipantID: p.ID, Month: *observed, Status: outcome.Studies, Source: outcome.AFData}); err != nil {
				t.Fatal(err)
			}
		}
		// Registered long ago, as the stale ones were.
		if _, err := pool.Exec(ctx, `UPDATE participant SET created_at = '2012-01-01' WHERE id = $1`, p.ID); err != nil {
			t.Fatal(err)
		}
		return p.ID
	}
	old := mk(101, time.Date(2013, 6, 30, 0, 0, 0, 0, time.UTC), nil)
	followedUp := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	oldButFollowedUp := mk(102, time.Date(2013, 6, 30, 0, 0, 0, 0, time.UTC), &followedUp)
	recent := mk(103, time.Date(2022, 6, 30, 0, 0, 0, 0, time.UTC), nil)

	env := map[string]string{"OUTCOMES_DATABASE_URL": url, "OUTCOMES_ENV": "dev"}
	run := func(args ...string) string { return runCtl(t, env, args...) }
	exists := func(id string) bool {
		var n int
		pool.QueryRow(ctx, `SELECT count(*) FROM participant WHERE id = $1`, id).Scan(&n) //nolint:errcheck
		return n == 1
	}
	env["OUTCOMES_RETENTION_YEARS"] = "10" // the configured rule; -years overrides it
	if out := run("retention", "-dry-run"); !strings.Contains(out, "would erase (dry run) 1 participants") {
		t.Errorf("dry run said: %s", out)
	}
	if !exists(old) {
		t.Fatal("dry run erased someone")
	}
	if out := run("retention", "-years", "10"); !strings.Contains(out, "erased 1 of 1 participants") {
		t.Errorf("retention said: %s", out)
	}
	if exists(old) || !exists(oldButFollowedUp) || !exists(recent) {
		t.Errorf("after retention: old %v, followed up %v, recent %v; want only the old one gone", exists(old), exists(oldButFollowedUp), exists(recent))
	}
	var audited int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE entity_id = $1 AND operation = 'retention' AND action = 'write'`, old).Scan(&audited); err != nil || audited != 1 {
		t.Errorf("retention erasure audited %d times (err %v), want 1", audited, err)
	}
	var events int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM change_event WHERE participant_id = $1 AND op = 'delete'`, old).Scan(&events); err != nil || events != 1 {
		t.Errorf("erasure queued %d warehouse deletions (err %v), want 1", events, err)
	}
}

// The CLI's rebuild and reconcile on real stores: agreement exits 0; a row ClickHouse
// holds that PostgreSQL does not imply is printed and exits 1.
func TestRebuildThenReconcileExitCodes(t *testing.T) {
	ctx := context.Background()
	url, pool := testenv.PostgresWithURL(t)
	ch, opts := testenv.ClickHouse(t)
	if _, err := demo.Seed(ctx, pool, 20); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"OUTCOMES_DATABASE_URL": url, "OUTCOMES_ENV": "dev",
		"OUTCOMES_CLICKHOUSE_ADDR": opts.Addr, "OUTCOMES_CLICKHOUSE_DATABASE": opts.Database}
	run := func(args ...string) (int, string) { code, out, errOut := ctl(env, args...); return code, out + errOut }
	if code, out := run("rebuild", "-fresh"); code != 0 || !strings.Contains(out, "rebuilt 20 participants") || !strings.Contains(out, "rows/s") {
		t.Fatalf("rebuild: exit %d\n%s", code, out)
	}
	// The rebuild wrote what the outbox asked for: mark it done, as the loader would.
	if _, err := pool.Exec(ctx, `UPDATE change_event SET processed_at = now()`); err != nil {
		t.Fatal(err)
	}
	if code, out := run("reconcile"); code != 0 || !strings.Contains(out, "agree") {
		t.Fatalf("reconcile after rebuild: exit %d\n%s", code, out)
	}
	b, err := ch.PrepareBatch(ctx, `INSERT INTO participant_month (org_id, person_key, month, status, version, deleted)`)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Append("00000000-0000-0000-0000-00000000000f", "stray", time.Date(2018, 3, 1, 0, 0, 0, 0, time.UTC), "unknown", uint64(1), uint8(0)); err != nil {
		t.Fatal(err)
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
	code, out := run("reconcile")
	if code != 1 || !strings.Contains(out, "00000000-0000-0000-0000-00000000000f 2018-03 person_months: postgresql 0, clickhouse 1") {
		t.Fatalf("reconcile with a stray row: exit %d\n%s", code, out)
	}
}

// import-participants on a file of 1,000 lines with two bad ones: exit 1, both lines
// listed, nothing written; with -skip-bad the other 998 go in, with progress on stderr.
func TestImportParticipantsCommand(t *testing.T) {
	url, pool := testenv.PostgresWithURL(t)
	ctx := context.Background()
	domaintest.OrganisationWith(t, pool, organisation.CreateInput{Code: "cli-import", Name: "CLI import", Kind: organisation.Municipality})
	number := func(i int) string {
		return demo.Personnummer(time.Date(1975, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i), 100+i%800)
	}
	var b strings.Builder
	b.WriteString("personal_identity_number,given_name,family_name,gender,guarantee_days,registered_at_af\n")
	for i := 0; i < 1000; i++ {
		pnr, gender := number(i), "woman"
		switch i {
		case 41: // line 43
			pnr = pnr[:len(pnr)-1] + fmt.Sprint((int(pnr[len(pnr)-1]-'0')+1)%10)
		case 502: // line 504
			gender = "unknown"
		}
		fmt.Fprintf(&b, "%s,Given,Family,%s,%d,ja\n", pnr, gender, i)
	}
	file := filepath.Join(t.TempDir(), "participants.csv")
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"OUTCOMES_DATABASE_URL": url, "OUTCOMES_ENV": "dev"}
	run := func(args ...string) (int, string, string) { return ctl(env, args...) }
	count := func() int {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM participant`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	code, out, errOut := run("import-participants", "-org", "cli-import", "-file", file)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"validated 1000 rows: 998 good", "line 43: personal_identity_number: invalid personal identity number",
		"line 504: gender: want woman, man, other or not_stated"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "line ") != 2 || !strings.Contains(errOut, "2 bad rows; nothing was imported") || !strings.Contains(errOut, "-skip-bad") {
		t.Errorf("want exactly the two bad lines and the refusal:\n%s%s", out, errOut)
	}
	if n := count(); n != 0 {
		t.Fatalf("%d participants written by a refused import", n)
	}

	code, out, errOut = run("import-participants", "-org", "cli-import", "-file", file, "-skip-bad")
	if code != 0 || !strings.Contains(out, "imported 998 rows, skipped 2 bad rows") || strings.Count(out, "line ") != 2 {
		t.Fatalf("with -skip-bad: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "imported 998/998 (100%)") {
		t.Errorf("no progress on stderr: %q", errOut)
	}
	if n := count(); n != 998 {
		t.Errorf("%d participants after -skip-bad, want 998", n)
	}

	// Observations for them show progress the same way.
	obs := filepath.Join(t.TempDir(), "observations.csv")
	if err := os.WriteFile(obs, []byte("personal_identity_number,month,status,social_assistance,source\n"+number(1)+",2019-01,studies,false,af_data\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = run("import-observations", "-org", "cli-import", "-file", obs)
	if code != 0 || !strings.Contains(out, "imported 1 rows, skipped 0 bad rows") || !strings.Contains(errOut, "imported 1/1 (100%)") {
		t.Errorf("import-observations: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := run("import-participants", "-org", "cli-import"); code != 1 || !strings.Contains(errOut, "-org and -file are required") {
		t.Errorf("without -file: exit %d, %s", code, errOut)
	}
}

// outcomesctl reads the files Excel saves: the workbook's first sheet registers its
// people (names intact), -sheet picks the observations sheet, the same people in a
// Windows-1252 CSV are reported line by line under the file's heading, and a sheet
// that does not exist is named with those that do.
func TestImportExcelFilesCommand(t *testing.T) {
	url, pool := testenv.PostgresWithURL(t)
	ctx := context.Background()
	domaintest.OrganisationWith(t, pool, organisation.CreateInput{Code: "cli-excel", Name: "CLI Excel", Kind: organisation.Municipality})
	env := map[string]string{"OUTCOMES_DATABASE_URL": url, "OUTCOMES_ENV": "dev"}
	run := func(args ...string) (int, string, string) { return ctl(env, args...) }
	fixture := func(name string) string {
		return filepath.Join("..", "..", "domain", "importer", "testdata", "excel", name)
	}

	code, out, errOut := run("import-participants", "-org", "cli-excel", "-file", fixture("participants-and-observations.xlsx"))
	if code != 0 || !strings.Contains(out, "imported 5 rows, skipped 0 bad rows") {
		t.Fatalf("workbook: exit %d\n%s%s", code, out, errOut)
	}
	var name string
	if err := pool.QueryRow(ctx, `SELECT given_name || ' ' || family_name FROM participant WHERE personal_identity_number = '20050307-7893'`).Scan(&name); err != nil {
		t.Fatal(err)
	}
	if name != "Ren\u00e9e Ekstr\u00f6m-\u00c5hl\u00e9n" {
		t.Errorf("stored %q (% x)", name, name)
	}
	code, out, errOut = run("import-observations", "-org", "cli-excel", "-file", fixture("participants-and-observations.xlsx"), "-sheet", "Uppföljning")
	if code != 0 || !strings.Contains(out, "imported 3 rows, skipped 0 bad rows") {
		t.Errorf("observations sheet: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = run("import-participants", "-org", "cli-excel", "-file", fixture("participants-windows1252-semicolon-crlf.csv"))
	if code != 1 || strings.Count(out, "already registered") != 5 ||
		!strings.Contains(out, "line 6: Personnummer [personal_identity_number]: a participant with this personal identity number is already registered") {
		t.Errorf("the same people again: exit %d\n%s%s", code, out, errOut)
	}
	for _, pnr := range []string{"8026", "Zo"} {
		if strings.Contains(out+errOut, pnr) {
			t.Errorf("output repeats %q from the file:\n%s%s", pnr, out, errOut)
		}
	}
	code, _, errOut = run("import-participants", "-org", "cli-excel", "-file", fixture("participants-and-observations.xlsx"), "-sheet", "Blad1")
	if code != 1 || !strings.Contains(errOut, `no sheet named "Blad1"; its sheets are "Deltagare", "Uppföljning"`) {
		t.Errorf("unknown sheet: exit %d, %s", code, errOut)
	}
}

// TestCommandsAnnounceTheirWrites: a command that wrote people's records (here an
// import) tells the loader when it has succeeded, as a mutation does, so that its
// changes need not wait for the loader's poll; nothing else notifies here (no loader,
// no API, and writes do not notify inside their transactions).
func TestCommandsAnnounceTheirWrites(t *testing.T) {
	url, pool := testenv.PostgresWithURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	domaintest.OrganisationWith(t, pool, organisation.CreateInput{Code: "cli-announce", Name: "CLI announce", Kind: organisation.Municipality})
	listener, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close(context.Background())
	if _, err := listener.Exec(ctx, "LISTEN "+changes.Channel); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "participants.csv")
	csv := "personal_identity_number,given_name,family_name,gender\n" +
		demo.Personnummer(time.Date(1980, 5, 6, 0, 0, 0, 0, time.UTC), 123) + ",Ada,Berg,woman\n"
	if err := os.WriteFile(file, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"OUTCOMES_DATABASE_URL": url, "OUTCOMES_ENV": "dev"}
	if code, out, errOut := ctl(env, "import-participants", "-org", "cli-announce", "-file", file); code != 0 {
		t.Fatalf("import: exit %d\n%s%s", code, out, errOut)
	}
	if _, err := listener.WaitForNotification(ctx); err != nil {
		t.Fatalf("the import was not announced: %v", err)
	}
}
