package loader

import (
	"context"
	"fmt"
	"sort"

	"github.com/arbetsmarknad/outcomes/internal/platform/calendar"
	"github.com/arbetsmarknad/outcomes/internal/platform/changes"
	"github.com/arbetsmarknad/outcomes/warehouse/chstore"
	"github.com/arbetsmarknad/outcomes/warehouse/snapshot"
)

// Diff is one disagreement between what PostgreSQL implies and what ClickHouse holds.
type Diff struct {
	OrgID   string
	Month   string // YYYY-MM; for enrolments the exit month ("open" when not exited)
	Measure string // which count disagrees
	PG, CH  int64
}

func (d Diff) String() string {
	if chstore.IsChecksum(d.Measure) {
		return fmt.Sprintf("%s %s %s: postgresql %016x, clickhouse %016x", d.OrgID, d.Month, d.Measure, uint64(d.PG), uint64(d.CH))
	}
	return fmt.Sprintf("%s %s %s: postgresql %d, clickhouse %d", d.OrgID, d.Month, d.Measure, d.PG, d.CH)
}

// Reconcile compares, per organisation and month, the warehouse rows PostgreSQL implies
// with the live rows ClickHouse holds (after argMax deduplication): their counts and a
// checksum of their content, so a row with a wrong value shows up too; for one
// organisation or all. Changes still pending in the outbox show up as differences, so
// it reports how many there are.
func (l *Loader) Reconcile(ctx context.Context, orgID string) (diffs []Diff, pending int64, err error) {
	l.defaults()
	if pending, _, err = changes.Backlog(ctx, l.PG, orgID); err != nil {
		return nil, 0, err
	}
	want, err := l.implied(ctx, orgID)
	if err != nil {
		return nil, pending, err
	}
	have, err := chstore.Tallies(ctx, l.CH, orgID)
	if err != nil {
		return nil, pending, err
	}
	keys := map[chstore.TallyKey]bool{}
	for k := range want {
		keys[k] = true
	}
	for k := range have {
		keys[k] = true
	}
	for k := range keys {
		if want[k] != have[k] {
			diffs = append(diffs, Diff{OrgID: k.OrgID, Month: k.Month, Measure: k.Measure, PG: want[k], CH: have[k]})
		}
	}
	sort.Slice(diffs, func(i, j int) bool {
		a, b := diffs[i], diffs[j]
		if a.OrgID != b.OrgID {
			return a.OrgID < b.OrgID
		}
		if a.Month != b.Month {
			return a.Month < b.Month
		}
		return a.Measure < b.Measure
	})
	return diffs, pending, nil
}

// implied computes the tallies from PostgreSQL with the same snapshot builder the
// loader uses.
func (l *Loader) implied(ctx context.Context, orgID string) (map[chstore.TallyKey]int64, error) {
	out := map[chstore.TallyKey]int64{}
	asOf := snapshot.Month(calendar.Today(l.now()))
	after := "00000000-0000-0000-0000-000000000000"
	for {
		rows, err := l.PG.Query(ctx, `SELECT id::text FROM participant
			WHERE id > $1::uuid AND ($2 = '' OR organisation_id::text = $2) ORDER BY id LIMIT 2000`, after, orgID)
		if err != nil {
			return nil, fmt.Errorf("page participants: %w", err)
		}
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if len(ids) == 0 {
			return out, nil
		}
		after = ids[len(ids)-1]
		_, persons, err := readHistories(ctx, l.PG, ids)
		if err != nil {
			return nil, err
		}
		for _, p := range persons {
			months, enrolments := snapshot.Build(*p, asOf, l.Keys)
			for _, m := range months {
				chstore.TallyMonth(out, m)
			}
			for _, e := range enrolments {
				chstore.TallyEnrolment(out, e)
			}
		}
	}
}
