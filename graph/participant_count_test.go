package graph_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/app/demo"
)

// TestParticipantsCountOnlyWhenAsked: a page that does not select totalCount costs one
// statement less than the same page with it (no count of the whole organisation), and
// the count, when asked, is every matching participant, not the page.
func TestParticipantsCountOnlyWhenAsked(t *testing.T) {
	w := newCaseWorld(t)
	ctx := context.Background()
	var before int
	if err := w.pool.QueryRow(ctx, `SELECT count(*) FROM participant WHERE organisation_id = $1`, plain(w.org)).Scan(&before); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 12; i++ {
		birth := time.Date(1970+i, time.Month(1+i), 1+i, 0, 0, 0, 0, time.UTC)
		if _, err := w.pool.Exec(ctx, `INSERT INTO participant (organisation_id, personal_identity_number, given_name, family_name, gender, birth_date)
			VALUES ($1, $2, 'P', $3, 'woman', $4)`, plain(w.org), demo.Personnummer(birth, 200+i), fmt.Sprintf("Räkna%02d", i), birth); err != nil {
			t.Fatal(err)
		}
	}
	run := func(query string) (int64, int, int) {
		var out struct {
			Participants struct {
				TotalCount int
				Edges      []struct{ Node struct{ ID string } }
			}
		}
		start := w.statements.Load()
		w.cw.MustData(t, query, map[string]any{"o": w.org}, &out)
		return w.statements.Load() - start, len(out.Participants.Edges), out.Participants.TotalCount
	}
	without, n1, _ := run(`query($o: ID!) { participants(organisationId: $o, first: 5) { edges { node { id } } } }`)
	with, n2, total := run(`query($o: ID!) { participants(organisationId: $o, first: 5) { totalCount edges { node { id } } } }`)
	if n1 != 5 || n2 != 5 {
		t.Fatalf("pages of %d and %d participants, want 5", n1, n2)
	}
	if with-without != 1 {
		t.Errorf("totalCount cost %d statements more (%d with, %d without), want exactly 1", with-without, with, without)
	}
	if total != before+12 {
		t.Errorf("totalCount = %d, want %d", total, before+12)
	}
}
