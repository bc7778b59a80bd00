package admin_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arbetsmarknad/outcomes/internal/app/admin"
	"github.com/arbetsmarknad/outcomes/internal/app/demo"
	"github.com/arbetsmarknad/outcomes/internal/platform/audit"
	"github.com/arbetsmarknad/outcomes/internal/platform/backup"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
	"github.com/arbetsmarknad/outcomes/warehouse/analytics"
	"github.com/arbetsmarknad/outcomes/warehouse/chstore"
	"github.com/arbetsmarknad/outcomes/warehouse/cohort"
)

// The restore drill: write data, back up, restore into empty servers, rebuild the
// warehouse from the restored PostgreSQL, reconcile; every PostgreSQL row, every
// warehouse row and every figure equals what it was before.
func TestRestoreDrill(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srcURL := testenv.PostgresURL(t)
	srcCH := testenv.ClickHouseOptions(t)
	srcPool, err := db.Connect(ctx, srcURL)
	if err != nil {
		t.Fatal(err)
	}
	defer srcPool.Close()
	seeded, err := demo.Seed(ctx, srcPool, 60)
	if err != nil {
		t.Fatal(err)
	}
	// Rows of the operational tables the seed leaves empty.
	if err := audit.NewStore(srcPool).AppendSystem(ctx, "drill", "drill-1",
		audit.Entry{Action: "read", Entity: "participant", EntityID: "x", Operation: "participant"}); err != nil {
		t.Fatal(err)
	}
	if _, err := srcPool.Exec(ctx, `INSERT INTO idempotency_key (organisation_id, key, operation, request_hash, result_id)
		VALUES ($1, 'drill', 'createParticipant', 'h', gen_random_uuid())`, seeded.OrganisationID); err != nil {
		t.Fatal(err)
	}
	src := roles(t, srcURL, superuserURL(t, testenv.Stack(t).PGAdminURL, srcURL), srcCH.Addr, srcCH.Database)
	runCtl(t, src, "rebuild")
	runCtl(t, src, "reconcile")
	beforePG := tableDigests(t, srcPool)
	srcConn, err := chstore.Open(ctx, srcCH)
	if err != nil {
		t.Fatal(err)
	}
	defer srcConn.Close()
	beforeCH := warehouseRows(t, srcConn)
	beforeFig := figures(t, srcConn, seeded.OrganisationID)

	dir := t.TempDir()
	out := runCtl(t, src, "backup", "-dir", dir)
	t.Logf("backup: %s", out)
	metas, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(metas) != 1 {
		t.Fatalf("backup wrote %v, want one metadata file", metas)
	}

	// Empty servers of the drill's own.
	stack := testenv.NewPrivateStack(t)
	dst := roles(t, stack.PGURL, fmt.Sprintf("postgres://postgres@127.0.0.1:%d/outcomes?sslmode=disable", stack.PGPort),
		stack.CHAddr, "outcomes")
	out = runCtl(t, dst, "restore", "-file", metas[0])
	t.Logf("restore: %s", out)
	if !strings.Contains(out, "postgresql and clickhouse agree") {
		t.Fatalf("restore did not reconcile: %s", out)
	}
	runCtl(t, dst, "reconcile")
	// A second restore into the now full database is refused, and changes nothing.
	if code, _, errOut := ctl(dst, "restore", "-file", metas[0]); code != 1 || !strings.Contains(errOut, "not empty") {
		t.Fatalf("restore into a full database: exit %d, %s", code, errOut)
	}

	dstPool, err := db.Connect(ctx, stack.PGURL)
	if err != nil {
		t.Fatal(err)
	}
	defer dstPool.Close()
	if diff := cmp.Diff(beforePG, tableDigests(t, dstPool)); diff != "" {
		t.Fatalf("PostgreSQL rows differ after the restore (-before +after):\n%s", diff)
	}
	dstConn, err := chstore.Open(ctx, chstore.Options{Addr: stack.CHAddr, Database: "outcomes", User: "default"})
	if err != nil {
		t.Fatal(err)
	}
	defer dstConn.Close()
	if diff := cmp.Diff(beforeCH, warehouseRows(t, dstConn)); diff != "" {
		t.Fatalf("warehouse rows differ after the restore (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(beforeFig, figures(t, dstConn, seeded.OrganisationID)); diff != "" {
		t.Fatalf("figures differ after the restore (-before +after):\n%s", diff)
	}
	var n int
	for _, d := range beforePG {
		n += d.Rows
	}
	t.Logf("restore drill: %d PostgreSQL tables (%d rows), %d warehouse rows and %d figures equal before and after",
		len(beforePG), n, len(beforeCH["participant_month"])+len(beforeCH["enrolment_outcome"]), len(beforeFig))
}

// A damaged dump is refused before anything is written.
func TestRestoreRefusesADamagedBackup(t *testing.T) {
	t.Parallel()
	dir := backupOfANewDatabase(t)
	dumps, _ := filepath.Glob(filepath.Join(dir, "*.dump"))
	if len(dumps) != 1 {
		t.Fatalf("backup wrote %v", dumps)
	}
	if err := appendByte(dumps[0]); err != nil {
		t.Fatal(err)
	}
	target := testenv.PostgresURL(t) // migrated, so not empty either; the checksum is checked first
	dst := roles(t, target, superuserURL(t, testenv.Stack(t).PGAdminURL, target), "", "")
	code, _, errOut := ctl(dst, "restore", "-file", dumps[0], "-skip-warehouse")
	if code != 1 || !strings.Contains(errOut, "damaged") {
		t.Fatalf("restore of a damaged dump: exit %d, %s", code, errOut)
	}
}

// TestRestoreRefusesASchemaItCannotMigrate: a backup taken by a build whose applied
// migration differs from this release's file is refused before anything is loaded,
// saying which migration; it used to be loaded and then refused by the migration,
// leaving a database neither empty (a second restore is refused) nor migrated.
func TestRestoreRefusesASchemaItCannotMigrate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srcURL := testenv.PostgresURL(t)
	su := superuserURL(t, testenv.Stack(t).PGAdminURL, srcURL)
	pool, err := db.Connect(ctx, su)
	if err != nil {
		t.Fatal(err)
	}
	// What a database made by an earlier build of migration 12 records.
	_, err = pool.Exec(ctx, `UPDATE schema_migrations SET checksum = repeat('0', 64) WHERE version = 12`)
	pool.Close()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	runCtl(t, roles(t, srcURL, su, "", ""), "backup", "-dir", dir)
	metas, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(metas) != 1 {
		t.Fatalf("backup wrote %v", metas)
	}

	target := emptyDatabase(t)
	dst := roles(t, target, superuserURL(t, testenv.Stack(t).PGAdminURL, target), "", "")
	code, _, errOut := ctl(dst, "restore", "-file", metas[0], "-skip-warehouse")
	if code != 1 || !strings.Contains(errOut, "cannot be brought up to this release") || !strings.Contains(errOut, "0012_") {
		t.Errorf("restore of a schema this release cannot migrate: exit %d, %s", code, errOut)
	}
	tpool, err := db.Connect(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	defer tpool.Close()
	var tables int
	if err := tpool.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Errorf("the refused restore left %d tables in the target; want it empty", tables)
	}
}

// emptyDatabase creates a database without tables, owned by the stack's owner role,
// dropped when the test ends; it returns the owner's URL to it.
func emptyDatabase(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	e := testenv.Stack(t)
	admin, err := pgxpool.New(ctx, e.PGAdminURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	u, err := url.Parse(e.PGAppURL)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("t_empty_%d", time.Now().UnixNano())
	if _, err := admin.Exec(ctx, fmt.Sprintf(`CREATE DATABASE %s OWNER %s`, name, u.User.Username())); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgxpool.New(context.Background(), e.PGAdminURL)
		if err != nil {
			return
		}
		defer c.Close()
		c.Exec(context.Background(), fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name)) //nolint:errcheck
	})
	u.Path = "/" + name
	return u.String()
}

// TestBackupIsForItsOwnerOnly: a dump holds every person's data, so neither it nor its
// metadata may be readable by other users of the machine, whatever the umask. Not
// parallel: it sets the process's umask (pg_dump inherits it), which paused parallel
// tests do not see.
func TestBackupIsForItsOwnerOnly(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := backupOfANewDatabase(t)
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) != 2 {
		t.Fatalf("backup wrote %v, want a dump and its metadata", files)
	}
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm()&0o007 != 0 {
			t.Errorf("%s has mode %v: other users may read it", filepath.Base(f), st.Mode().Perm())
		}
	}
}

// TestBackupNeverReplacesAnother: a second backup in the same second (a scheduled one
// and one by hand) is refused, saying so, and the first stays whole; it used to write
// the same partial file and rename it over the first, or, run at the same time, leave
// a dump its metadata called damaged. A partial file of a backup under way is not
// touched either.
func TestBackupNeverReplacesAnother(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srcURL := testenv.PostgresURL(t)
	su := superuserURL(t, testenv.Stack(t).PGAdminURL, srcURL)
	dir := t.TempDir()
	now := time.Now()
	first, metaPath, err := backup.Create(ctx, su, dir, "", now)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := backup.Create(ctx, su, dir, "", now); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("a second backup in the same second: %v; want it refused", err)
	}
	if m, _, err := backup.ReadMeta(metaPath); err != nil || m.SHA256 != first.SHA256 || !m.CreatedAt.Equal(first.CreatedAt) {
		t.Errorf("the first backup after the second was refused: %+v, %v; want it whole", m, err)
	}
	// A backup of another second whose partial file exists (one under way).
	later := now.Add(time.Second)
	partial := filepath.Join(dir, "outcomes-"+later.UTC().Format("20060102T150405Z")+".dump.partial")
	if err := os.WriteFile(partial, []byte("being written"), 0o640); err != nil {
		t.Fatal(err)
	}
	if _, _, err := backup.Create(ctx, su, dir, "", later); err == nil || !strings.Contains(err.Error(), "another backup") {
		t.Errorf("a backup whose partial file is being written: %v; want it refused", err)
	}
	if b, _ := os.ReadFile(partial); string(b) != "being written" {
		t.Errorf("the partial file of the backup under way was changed: %q", b)
	}
}

// backupOfANewDatabase backs a new, migrated database up into a new folder, returned.
func backupOfANewDatabase(t *testing.T) string {
	t.Helper()
	srcURL := testenv.PostgresURL(t)
	src := roles(t, srcURL, superuserURL(t, testenv.Stack(t).PGAdminURL, srcURL), "", "")
	dir := t.TempDir()
	runCtl(t, src, "backup", "-dir", dir)
	return dir
}

// roles is the environment of production's roles: the owner migrates and maintains,
// the API's and the loader's roles do their work, a role bypassing row-level security
// dumps and restores.
func roles(t *testing.T, ownerURL, backupURL, chAddr, chDB string) map[string]string {
	return map[string]string{"OUTCOMES_ENV": "dev", "OUTCOMES_MIGRATE_DATABASE_URL": ownerURL,
		"OUTCOMES_DATABASE_URL":        testenv.RoleURL(t, ownerURL, testenv.APIRole),
		"OUTCOMES_LOADER_DATABASE_URL": testenv.RoleURL(t, ownerURL, testenv.LoaderRole),
		"OUTCOMES_BACKUP_DATABASE_URL": backupURL,
		"OUTCOMES_CLICKHOUSE_ADDR":     chAddr, "OUTCOMES_CLICKHOUSE_DATABASE": chDB}
}

func ctl(env map[string]string, args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := admin.Run(context.Background(), args, func(k string) string { return env[k] }, &out, &errOut)
	return code, out.String(), errOut.String()
}

func runCtl(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	code, out, errOut := ctl(env, args...)
	if code != 0 {
		t.Fatalf("outcomesctl %v: exit %d\n%s\n%s", args, code, out, errOut)
	}
	return out
}

// superuserURL is the stack's superuser on the application URL's database (pg_dump
// must bypass row-level security).
func superuserURL(t *testing.T, adminURL, appURL string) string {
	t.Helper()
	a, err := url.Parse(adminURL)
	if err != nil {
		t.Fatal(err)
	}
	b, err := url.Parse(appURL)
	if err != nil {
		t.Fatal(err)
	}
	a.Path = b.Path
	return a.String()
}

type digest struct {
	Rows int
	Hash string
}

// tableDigests is every table's row count and a hash of all its rows in a fixed order.
// Audit entries about the backup and the restore themselves are left out: the first is
// written after the dump, the second only on the restored side.
func tableDigests(t *testing.T, pool *pgxpool.Pool) map[string]digest {
	t.Helper()
	ctx := context.Background()
	rows, err := pool.Query(ctx, `SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, s)
	}
	rows.Close()
	out := map[string]digest{}
	for _, table := range tables {
		where := ""
		if table == "audit_log" {
			where = ` WHERE operation NOT LIKE 'backup %' AND operation NOT LIKE 'restore %'`
		}
		var d digest
		var text string
		if err := pool.QueryRow(ctx, `SELECT count(*), coalesce(string_agg(x.t, E'\n' ORDER BY x.t), '')
			FROM (SELECT r::text AS t FROM `+table+` r`+where+`) x`).Scan(&d.Rows, &text); err != nil {
			t.Fatalf("digest %s: %v", table, err)
		}
		sum := sha256.Sum256([]byte(text))
		d.Hash = hex.EncodeToString(sum[:])
		out[table] = d
	}
	if out["participant"].Rows == 0 || out["audit_log"].Rows == 0 {
		t.Fatalf("nothing to compare: %v", out)
	}
	return out
}

// warehouseRows is every live warehouse row (newest version per key), every column but
// the version, as text, sorted.
func warehouseRows(t *testing.T, conn driver.Conn) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, table := range []string{"participant_month", "enrolment_outcome"} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		cols, err := conn.Query(ctx, `SELECT name FROM system.columns WHERE database = currentDatabase() AND table = ? AND name != 'version' ORDER BY name`, table)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for cols.Next() {
			var s string
			if err := cols.Scan(&s); err != nil {
				t.Fatal(err)
			}
			names = append(names, s)
		}
		cols.Close()
		rows, err := conn.Query(ctx, `SELECT `+strings.Join(names, ", ")+` FROM `+table+` FINAL WHERE deleted = 0`)
		if err != nil {
			t.Fatal(err)
		}
		types := rows.ColumnTypes()
		for rows.Next() {
			vals := make([]any, len(types))
			for i, ct := range types {
				vals[i] = reflect.New(ct.ScanType()).Interface()
			}
			if err := rows.Scan(vals...); err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for i, v := range vals {
				fmt.Fprintf(&b, "%s=%v;", names[i], reflect.ValueOf(v).Elem().Interface())
			}
			out[table] = append(out[table], b.String())
		}
		rows.Close()
		cancel()
		sort.Strings(out[table])
		if len(out[table]) == 0 {
			t.Fatalf("no %s rows to compare", table)
		}
	}
	return out
}

// figures are the answers users read: the exit-cohort outcomes by year and the
// analytics figures for every definition kind.
func figures(t *testing.T, conn driver.Conn, orgID string) []string {
	t.Helper()
	ctx := context.Background()
	asOf := time.Now()
	var out []string
	for year := 2015; year <= asOf.Year(); year++ {
		r, err := cohort.ExitYear(ctx, conn, []string{orgID}, year, asOf)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, asJSON(t, r.Total))
		for _, g := range r.ByGender {
			out = append(out, asJSON(t, g))
		}
	}
	c := []analytics.Cohort{{Label: "all", OrgIDs: []string{orgID}, ExitFrom: time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC), ExitTo: asOf}}
	for _, def := range []analytics.Definition{analytics.InWorkOrStudiesAt(6), analytics.SelfSufficientAt(12), analytics.LastingAttachment(nil)} {
		figs, err := analytics.Figures(ctx, conn, c, def, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range figs {
			out = append(out, asJSON(t, f))
		}
	}
	return out
}

// asJSON shows pointers by their values, so that two equal figures print the same.
func asJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func appendByte(path string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.Write([]byte{0}); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
