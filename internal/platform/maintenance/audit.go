package maintenance

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arbetsmarknad/outcomes/internal/platform/audit"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
)

// Partition is one monthly partition of audit_log.
type Partition struct {
	Name  string
	Month time.Time // first day, UTC
}

var partitionName = regexp.MustCompile(`^audit_log_y(\d{4})m(\d{2})$`)

// Partitions lists audit_log's monthly partitions, oldest first (the default partition
// is not listed).
func Partitions(ctx context.Context, pool *pgxpool.Pool) ([]Partition, error) {
	rows, err := pool.Query(ctx, `SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'audit_log'::regclass`)
	if err != nil {
		return nil, fmt.Errorf("list audit partitions: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list audit partitions: %w", err)
	}
	var out []Partition
	for _, n := range names {
		m := partitionName.FindStringSubmatch(n)
		if m == nil {
			continue
		}
		month, err := time.Parse("2006-01", m[1]+"-"+m[2])
		if err != nil {
			return nil, fmt.Errorf("partition %s: %w", n, err)
		}
		out = append(out, Partition{Name: n, Month: month})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Month.Before(out[j].Month) })
	return out, nil
}

// Archive describes one archived audit month.
type Archive struct {
	Month  time.Time
	Rows   int64
	File   string // the JSON-lines file
	SHA256 string // of the file; also in File + ".sha256" (sha256sum format)
}

// ArchiveFileName is the archive of the month's audit rows.
func ArchiveFileName(month time.Time) string {
	return "audit_log_" + month.Format("2006-01") + ".jsonl"
}

// archiveAudit archives and drops every audit month past retention: month M goes once
// AuditRetentionMonths whole months have followed it (with 12, the 2025-11 partition
// goes in 2026-12).
func (m *Maintainer) archiveAudit(ctx context.Context, now time.Time, runID string) Result {
	if m.Policy.AuditRetentionMonths <= 0 {
		return Result{Detail: "retention not set; every month kept"}
	}
	parts, err := Partitions(ctx, m.Pool)
	if err != nil {
		return Result{Err: err}
	}
	keepFrom := monthStart(now).AddDate(0, -m.Policy.AuditRetentionMonths, 0)
	var due []Partition
	for _, p := range parts {
		if p.Month.Before(keepFrom) {
			due = append(due, p)
		}
	}
	if len(due) == 0 {
		return Result{Detail: fmt.Sprintf("no month before %s to archive", keepFrom.Format("2006-01"))}
	}
	if m.Policy.ArchiveDir == "" {
		return Result{Err: fmt.Errorf("%d audit months are past retention but no archive folder is set (OUTCOMES_AUDIT_ARCHIVE_DIR); nothing dropped", len(due))}
	}
	if err := os.MkdirAll(m.Policy.ArchiveDir, 0o750); err != nil {
		return Result{Err: fmt.Errorf("archive folder: %w", err)}
	}
	var done []string
	for _, p := range due {
		a, err := m.archiveMonth(ctx, p, runID)
		if err != nil {
			return Result{Count: int64(len(done)), Err: fmt.Errorf("archive %s: %w", p.Month.Format("2006-01"), err)}
		}
		done = append(done, fmt.Sprintf("%s (%d rows, sha256 %s)", a.Month.Format("2006-01"), a.Rows, a.SHA256[:12]))
	}
	return Result{Count: int64(len(done)), Detail: "archived and dropped " + strings.Join(done, ", ")}
}

// archiveMonth writes one partition to its archive file and drops it, in one
// transaction: the partition is locked against writes, its rows are written and the
// file is read back and checked (rows and checksum) before the archive is recorded and
// the partition dropped. A failure anywhere leaves the partition in place; the next
// run writes the file again.
func (m *Maintainer) archiveMonth(ctx context.Context, p Partition, runID string) (Archive, error) {
	a := Archive{Month: p.Month}
	err := db.WithTx(ctx, m.Pool, func(tx pgx.Tx) error {
		ident := pgx.Identifier{p.Name}.Sanitize()
		if _, err := tx.Exec(ctx, `LOCK TABLE `+ident+` IN SHARE MODE`); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		var want int64
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM `+ident).Scan(&want); err != nil {
			return err
		}
		final, err := archivePath(ctx, tx, m.Policy.ArchiveDir, p.Month)
		if err != nil {
			return err
		}
		tmp := final + ".partial"
		sum, rows, err := writeArchive(ctx, tx, ident, tmp)
		if err != nil {
			os.Remove(tmp)
			return err
		}
		if rows != want {
			os.Remove(tmp)
			return fmt.Errorf("wrote %d rows, the partition holds %d", rows, want)
		}
		if err := os.Rename(tmp, final); err != nil {
			return err
		}
		if err := os.WriteFile(final+".sha256", []byte(sum+"  "+filepath.Base(final)+"\n"), 0o640); err != nil {
			return err
		}
		if err := VerifyArchive(final, want); err != nil {
			return err
		}
		a.Rows, a.File, a.SHA256 = rows, final, sum
		if _, err := tx.Exec(ctx, `INSERT INTO audit_archive (file, month, rows, sha256) VALUES ($1, $2, $3, $4)`,
			final, p.Month, rows, sum); err != nil {
			return fmt.Errorf("record archive: %w", err)
		}
		if _, err := tx.Exec(ctx, `ALTER TABLE audit_log DETACH PARTITION `+ident); err != nil {
			return fmt.Errorf("detach: %w", err)
		}
		if _, err := tx.Exec(ctx, `DROP TABLE `+ident); err != nil {
			return fmt.Errorf("drop: %w", err)
		}
		return nil
	})
	if err != nil {
		return a, err
	}
	// Recorded after the drop commits, in the partition of the current month.
	return a, m.audit(ctx, runID, audit.Entry{Action: audit.ActionWrite, Entity: "audit_log", EntityID: p.Month.Format("2006-01"),
		Operation: fmt.Sprintf("maintain:%s rows=%d sha256=%s file=%s", TaskAudit, a.Rows, a.SHA256, filepath.Base(a.File))})
}

// archivePath names the month's archive file: audit_log_YYYY-MM.jsonl, or with -2, -3 …
// when a committed archive of the month already has that name (rows of the month that
// came late). A file of that name that no archive record names was left by a run that
// did not commit, and is written again.
func archivePath(ctx context.Context, tx pgx.Tx, dir string, month time.Time) (string, error) {
	base := strings.TrimSuffix(ArchiveFileName(month), ".jsonl")
	for i := 1; ; i++ {
		name := base + ".jsonl"
		if i > 1 {
			name = fmt.Sprintf("%s-%d.jsonl", base, i)
		}
		path := filepath.Join(dir, name)
		var taken bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM audit_archive WHERE file = $1)`, path).Scan(&taken); err != nil {
			return "", fmt.Errorf("archive name: %w", err)
		}
		if !taken {
			return path, nil
		}
	}
}

// writeArchive streams the partition as JSON lines (every column, PostgreSQL's own
// row_to_json, oldest id first) to path, returning the file's SHA-256 and line count.
func writeArchive(ctx context.Context, tx pgx.Tx, ident, path string) (string, int64, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o640)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	w := bufio.NewWriterSize(io.MultiWriter(f, h), 1<<16)
	rows, err := tx.Query(ctx, `SELECT row_to_json(a)::text FROM `+ident+` a ORDER BY id`)
	if err != nil {
		return "", 0, err
	}
	defer rows.Close()
	var n int64
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return "", 0, err
		}
		w.WriteString(line) //nolint:errcheck // the error sticks to w and Flush reports it
		w.WriteByte('\n')   //nolint:errcheck
		n++
	}
	if err := rows.Err(); err != nil {
		return "", 0, err
	}
	if err := w.Flush(); err != nil {
		return "", 0, err
	}
	if err := f.Sync(); err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, f.Close()
}

// VerifyArchive checks an archive file against its .sha256 file and, when wantRows >= 0,
// its line count.
func VerifyArchive(path string, wantRows int64) error {
	sumFile, err := os.ReadFile(path + ".sha256")
	if err != nil {
		return err
	}
	fields := strings.Fields(string(sumFile))
	if len(fields) != 2 || fields[1] != filepath.Base(path) {
		return fmt.Errorf("%s.sha256: want \"<sha256>  %s\"", path, filepath.Base(path))
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	var lines int64
	sc := bufio.NewScanner(io.TeeReader(f, h))
	sc.Buffer(make([]byte, 1<<16), 1<<24)
	for sc.Scan() {
		lines++
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != fields[0] {
		return fmt.Errorf("%s: checksum %s, want %s", path, got, fields[0])
	}
	if wantRows >= 0 && lines != wantRows {
		return fmt.Errorf("%s: %d lines, want %d", path, lines, wantRows)
	}
	return nil
}
