// Package backup takes and restores backups of the system of record: a pg_dump in
// custom format (one consistent snapshot: pg_dump reads in a single repeatable-read
// transaction) beside a metadata file with the schema version, the time and the dump's
// SHA-256. The warehouse is not backed up: it is rebuilt from PostgreSQL after a restore.
package backup

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/arbetsmarknad/outcomes/internal/platform/db"
)

// Format names the layout of a backup; a restore refuses any other.
const Format = "outcomes-backup/1"

// Meta is the metadata file written beside each dump.
type Meta struct {
	Format            string    `json:"format"`
	CreatedAt         time.Time `json:"created_at"`
	Database          string    `json:"database"`
	PostgresMigration int       `json:"postgres_migration"` // highest applied migration
	ServerVersion     string    `json:"server_version"`
	PgDumpVersion     string    `json:"pg_dump_version"`
	DumpFile          string    `json:"dump_file"` // name, beside the metadata file
	Bytes             int64     `json:"bytes"`
	SHA256            string    `json:"sha256"`
	Participants      int64     `json:"participants"` // counted just before the dump, for the log
}

// Tools finds pg_dump and pg_restore: in binDir when given, else in the folder of the
// server's major version (/usr/lib/postgresql/N/bin, Debian's layout; a pg_dump older
// than the server refuses to dump it), else on PATH.
func Tools(binDir string, serverMajor int) (pgDump, pgRestore string, err error) {
	dirs := []string{binDir}
	if binDir == "" {
		dirs = []string{fmt.Sprintf("/usr/lib/postgresql/%d/bin", serverMajor), ""}
	}
	for _, d := range dirs {
		if d == "" {
			a, err1 := exec.LookPath("pg_dump")
			b, err2 := exec.LookPath("pg_restore")
			if err1 == nil && err2 == nil {
				return a, b, nil
			}
			continue
		}
		a, b := filepath.Join(d, "pg_dump"), filepath.Join(d, "pg_restore")
		if isFile(a) && isFile(b) {
			return a, b, nil
		}
	}
	return "", "", fmt.Errorf("pg_dump and pg_restore (PostgreSQL %d or newer) not found; set OUTCOMES_PG_BIN_DIR", serverMajor)
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// command runs a PostgreSQL client tool against dbURL without putting the password on
// its command line (where ps would show it): it goes in PGPASSWORD.
func command(ctx context.Context, tool, dbURL string, args ...string) (*exec.Cmd, error) {
	u, err := url.Parse(dbURL)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	env := os.Environ()
	if u.User != nil {
		if p, ok := u.User.Password(); ok {
			env = append(env, "PGPASSWORD="+p)
			u.User = url.User(u.User.Username())
		}
	}
	cmd := exec.CommandContext(ctx, tool, append(args, "--dbname="+u.String())...)
	cmd.Env = env
	return cmd, nil
}

func serverInfo(ctx context.Context, conn *pgx.Conn) (version string, major int, err error) {
	var num int
	if err := conn.QueryRow(ctx, `SELECT current_setting('server_version'), current_setting('server_version_num')::int`).Scan(&version, &num); err != nil {
		return "", 0, fmt.Errorf("server version: %w", err)
	}
	return version, num / 10000, nil
}

// Create dumps the database at dbURL (a role that bypasses row-level security: the
// owner is subject to it here, and pg_dump refuses to dump a table whose rows a policy
// would hide) into dir as outcomes-<time>.dump with outcomes-<time>.json beside it.
func Create(ctx context.Context, dbURL, dir, binDir string, now time.Time) (Meta, string, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return Meta{}, "", fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	m := Meta{Format: Format, CreatedAt: now.UTC().Truncate(time.Second)}
	var major int
	if m.ServerVersion, major, err = serverInfo(ctx, conn); err != nil {
		return m, "", err
	}
	if err := conn.QueryRow(ctx, `SELECT current_database(), (SELECT coalesce(max(version), 0) FROM schema_migrations),
		(SELECT count(*) FROM participant)`).Scan(&m.Database, &m.PostgresMigration, &m.Participants); err != nil {
		return m, "", fmt.Errorf("read schema version: %w", err)
	}
	pgDump, _, err := Tools(binDir, major)
	if err != nil {
		return m, "", err
	}
	if out, err := exec.CommandContext(ctx, pgDump, "--version").Output(); err == nil {
		m.PgDumpVersion = strings.TrimSpace(string(out))
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return m, "", err
	}
	base := "outcomes-" + m.CreatedAt.Format("20060102T150405Z")
	m.DumpFile = base + ".dump"
	dump := filepath.Join(dir, m.DumpFile)
	partial := dump + ".partial"
	metaPath := filepath.Join(dir, base+".json")
	cmd, err := command(ctx, pgDump, dbURL, "--format=custom", "--file="+partial)
	if err != nil {
		return m, "", err
	}
	// A backup never replaces another: two taken in the same second (a scheduled one
	// and one by hand) would otherwise write the same partial file at once and leave a
	// dump that its metadata calls damaged, or overwrite a good backup.
	for _, p := range []string{dump, metaPath} {
		if _, err := os.Lstat(p); err == nil {
			return m, "", fmt.Errorf("%s already exists: a backup was taken in this second; run again", p)
		}
	}
	// The dump holds personal data: made here with the metadata's mode, so that pg_dump,
	// which keeps an existing file's mode, never makes it readable by everyone (umask).
	// O_EXCL: a backup under way with the same name holds the partial file.
	f, err := os.OpenFile(partial, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if errors.Is(err, os.ErrExist) {
		return m, "", fmt.Errorf("%s exists: another backup of this second is being written (or one was cut short: remove the file); run again", partial)
	}
	if err != nil {
		return m, "", err
	}
	if err := f.Close(); err != nil {
		return m, "", err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		os.Remove(partial)
		return m, "", fmt.Errorf("pg_dump: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	if m.SHA256, m.Bytes, err = fileSum(partial); err != nil {
		return m, "", err
	}
	if err := os.Rename(partial, dump); err != nil {
		return m, "", err
	}
	b, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(metaPath, append(b, '\n'), 0o640); err != nil {
		return m, "", err
	}
	return m, metaPath, nil
}

func fileSum(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// ReadMeta reads a metadata file (or the one beside a .dump file) and checks the dump
// against its size and checksum.
func ReadMeta(path string) (Meta, string, error) {
	if strings.HasSuffix(path, ".dump") {
		path = strings.TrimSuffix(path, ".dump") + ".json"
	}
	var m Meta
	b, err := os.ReadFile(path)
	if err != nil {
		return m, "", fmt.Errorf("read backup metadata: %w", err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, "", fmt.Errorf("backup metadata %s: %w", path, err)
	}
	if m.Format != Format {
		return m, "", fmt.Errorf("backup metadata %s: format %q, this outcomesctl reads %q", path, m.Format, Format)
	}
	dump := filepath.Join(filepath.Dir(path), m.DumpFile)
	sum, n, err := fileSum(dump)
	if err != nil {
		return m, "", fmt.Errorf("backup dump: %w", err)
	}
	if sum != m.SHA256 || n != m.Bytes {
		return m, "", fmt.Errorf("backup dump %s is damaged: sha256 %s (%d bytes), the metadata says %s (%d bytes)", dump, sum, n, m.SHA256, m.Bytes)
	}
	return m, dump, nil
}

// ErrNotEmpty says the restore target already holds tables.
var ErrNotEmpty = errors.New("the target database is not empty: restore into a new, empty database")

// Restore checks the backup (format, checksum, a schema this code can run: at most
// maxMigration) and loads it with pg_restore into the empty database at dbURL (a role
// that bypasses row-level security: COPY into a table under a policy is refused), in
// one transaction: a failed restore leaves the database empty.
func Restore(ctx context.Context, dbURL, metaOrDump, binDir string, maxMigration int) (Meta, error) {
	m, dump, err := ReadMeta(metaOrDump)
	if err != nil {
		return m, err
	}
	if m.PostgresMigration > maxMigration {
		return m, fmt.Errorf("the backup's schema is at migration %d, newer than this outcomesctl (%d): restore with the release that took it", m.PostgresMigration, maxMigration)
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return m, fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, major, err := serverInfo(ctx, conn)
	if err != nil {
		return m, err
	}
	var tables int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')`).Scan(&tables); err != nil {
		return m, err
	}
	if tables > 0 {
		return m, ErrNotEmpty
	}
	_, pgRestore, err := Tools(binDir, major)
	if err != nil {
		return m, err
	}
	// A schema this release's migrations cannot bring up to date (taken by a build
	// whose migration files differ from this release's) is refused before anything is
	// loaded: found after the load, it left a database that is neither empty (a second
	// restore is refused) nor migrated.
	recorded, err := recordedMigrations(ctx, pgRestore, dump)
	if err != nil {
		return m, err
	}
	if err := db.CheckRecorded(recorded); err != nil {
		var changed *db.ChangedMigrationError
		if errors.As(err, &changed) {
			return m, fmt.Errorf("the backup's schema cannot be brought up to this release: its migration %s is not this release's (checksum %.12s, this release's %.12s): restore it with the build that took it",
				changed.Name, changed.Recorded, changed.Computed)
		}
		return m, err
	}
	cmd, err := command(ctx, pgRestore, dbURL, "--exit-on-error", "--single-transaction", dump)
	if err != nil {
		return m, err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return m, fmt.Errorf("pg_restore: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return m, nil
}

// recordedMigrations reads the dump's schema_migrations (version -> checksum; "" where
// none was recorded) without a database: pg_restore prints the table's COPY block.
func recordedMigrations(ctx context.Context, pgRestore, dump string) (map[int]string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, pgRestore, "--data-only", "--table=schema_migrations", "--file=-", dump)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("read the backup's schema version: pg_restore: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	var cols []string
	out := map[int]string{}
	for _, line := range strings.Split(stdout.String(), "\n") {
		if cols == nil {
			if rest, ok := strings.CutPrefix(line, "COPY public.schema_migrations ("); ok {
				list, _, _ := strings.Cut(rest, ")")
				cols = strings.Split(list, ", ")
			}
			continue
		}
		if line == `\.` {
			return out, nil
		}
		fields := strings.Split(line, "\t")
		row := map[string]string{}
		for i, c := range cols {
			if i < len(fields) && fields[i] != `\N` {
				row[c] = fields[i]
			}
		}
		v, err := strconv.Atoi(row["version"])
		if err != nil {
			return nil, fmt.Errorf("the backup's schema_migrations has a row %q", line)
		}
		out[v] = row["checksum"]
	}
	return nil, errors.New("the backup holds no schema_migrations: it is not a backup of this system")
}
