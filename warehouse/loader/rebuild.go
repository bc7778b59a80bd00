package loader

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
	"time"
)

// RebuildOptions choose what to rebuild.
type RebuildOptions struct {
	OrgID    string    // empty: every organisation
	PageSize int       // participants per batch
	Progress io.Writer // progress bar and final rate; nil for none
	// Fresh says the warehouse tables were just recreated (empty), so there is nothing
	// to tombstone and the lookup of live rows is skipped.
	Fresh bool
}

// RebuildStats summarise a rebuild.
type RebuildStats struct {
	Participants int
	Rows         int
	DeadLetters  int // participants left out (see Loader.DeadLetters)
	Elapsed      time.Duration
}

// RowsPerSecond is the write rate of the rebuild.
func (s RebuildStats) RowsPerSecond() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Rows) / s.Elapsed.Seconds()
}

// Rebuild rewrites the warehouse rows of every participant (of one organisation, or
// all) from PostgreSQL, page by page in id order. It is safe beside a running loader:
// each page takes a fresh version from the same sequence as the loader, after which it
// reads PostgreSQL, so whichever of the two read later also wins in ClickHouse. It runs
// the live loop's pipeline (read pages ‖ build ‖ write), retrying a transient failure a
// few times before giving up, and dead-letters participants whose rows are refused. A
// Fresh rebuild writes its pages gathered, several to an INSERT (gatherMonthRows), and
// leaves out a page's enrolment rows of participants a live loader has written from a
// later read meanwhile (Loader.writeGathered).
func (l *Loader) Rebuild(ctx context.Context, o RebuildOptions) (RebuildStats, error) {
	l.defaults()
	if o.PageSize <= 0 {
		o.PageSize = 2000
	}
	var total int
	if err := l.PG.QueryRow(ctx, `SELECT count(*) FROM participant WHERE $1 = '' OR organisation_id::text = $1`, o.OrgID).Scan(&total); err != nil {
		return RebuildStats{}, fmt.Errorf("count participants: %w", err)
	}
	// A rebuild allocates rows by the million and keeps few: collecting garbage only as
	// the heap nears a soft limit buys throughput for a bounded amount of memory.
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(1 << 30))
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	start := time.Now()
	var st RebuildStats
	after := "00000000-0000-0000-0000-000000000000"
	read := func(ctx context.Context) (work, bool, error) {
		orgOf, last, err := l.page(ctx, after, o.OrgID, o.PageSize)
		if err != nil || len(orgOf) == 0 {
			return work{}, false, err
		}
		after = last
		return work{orgOf: orgOf}, true, nil
	}
	// Two pages built and two written at once: PostgreSQL, the builder and ClickHouse each
	// get a second thread of work on a machine whose cores they share.
	opts := pipelineOptions{lookupLive: !o.Fresh, retries: 5, builders: 2, writers: 2}
	if o.Fresh {
		// Fresh tables: no tombstones, so pages can go in together.
		opts.gather = &gatherLimits{months: gatherMonthRows, enrolments: gatherEnrolmentRows}
	}
	opts.written = func(b *prepared, n int) {
		st.Participants += b.participants
		st.Rows += n
		st.DeadLetters += len(b.dead)
		st.Elapsed = time.Since(start)
		progress(o.Progress, st, total)
	}
	err := l.pipeline(ctx, read, opts)
	if err != nil {
		return st, fmt.Errorf("rebuild after participant %s: %w", after, err)
	}
	st.Elapsed = time.Since(start)
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, "\nrebuilt %d participants, %d rows in %s: %.0f rows/s\n",
			st.Participants, st.Rows, st.Elapsed.Round(time.Millisecond), st.RowsPerSecond())
		if st.DeadLetters > 0 {
			fmt.Fprintf(o.Progress, "%d participants dead-lettered: see `outcomesctl dead-letters`\n", st.DeadLetters)
		}
	}
	return st, nil
}

// A fresh rebuild writes its pages gathered into INSERTs of this many month rows or
// enrolment rows, whichever comes first: about 10,000 participants' with ten-year
// histories, some 150 MB held. ClickHouse then writes a part per million rows or so
// (it squashes blocks up to min_insert_block_size_rows), as for one big INSERT.
const gatherMonthRows, gatherEnrolmentRows = 1 << 20, 1 << 16

// page returns the next participants (id -> organisation) after the given id.
func (l *Loader) page(ctx context.Context, after, orgID string, size int) (map[string]string, string, error) {
	rows, err := l.PG.Query(ctx, `SELECT id::text, organisation_id::text FROM participant
		WHERE id > $1::uuid AND ($2 = '' OR organisation_id::text = $2) ORDER BY id LIMIT $3`, after, orgID, size)
	if err != nil {
		return nil, "", fmt.Errorf("page participants: %w", err)
	}
	defer rows.Close()
	orgOf := map[string]string{}
	last := ""
	for rows.Next() {
		var id, org string
		if err := rows.Scan(&id, &org); err != nil {
			return nil, "", err
		}
		orgOf[id], last = org, id
	}
	return orgOf, last, rows.Err()
}

func progress(w io.Writer, st RebuildStats, total int) {
	if w == nil || total == 0 {
		return
	}
	const width = 40
	done := st.Participants * width / total
	if done > width {
		done = width
	}
	bar := make([]byte, width)
	for i := range bar {
		bar[i] = '.'
		if i < done {
			bar[i] = '#'
		}
	}
	fmt.Fprintf(w, "\r[%s] %d/%d participants, %d rows, %.0f rows/s", bar, st.Participants, total, st.Rows, st.RowsPerSecond())
}
