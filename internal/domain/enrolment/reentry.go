package enrolment

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/arbetsmarknad/outcomes/internal/domain/outcome"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/warehouse/outcomes"
)

// Re-entry and lock-in (rundgång, issue 16): people coming back "for the fourth or fifth
// time" are a warning sign. A participant is flagged when they have had three or more
// entries (enrolments), or returned within 12 months of an exit. ReentryOf is the one
// rule; the participant's field and the caseworkers' list both use it.

// ReturnWindowMonths is how soon after an exit a new entry counts as a return: the
// window of the evaluators' re-entry figure (outcomes.ReturnWindowMonths), so that the
// caseworkers' flag and the figure never use two horizons.
const ReturnWindowMonths = outcomes.ReturnWindowMonths

// LockInEntries is the entry count from which a participant is flagged: the warning
// sign of the evaluators' repeated-entry figure (outcomes.RepeatedEntryWarning).
const LockInEntries = outcomes.RepeatedEntryWarning

// Spell is what the rule needs of an enrolment.
type Spell struct {
	Start      time.Time
	End        *time.Time
	ExitReason *outcome.Status
}

// Reentry is the rule's answer for one participant.
type Reentry struct {
	Entries int
	// Returns counts entries that began within 12 months after an earlier exit.
	Returns int
	// LastReturn is the start of the latest such entry.
	LastReturn *time.Time
	Flagged    bool
}

// ReentryOf applies the rule to one participant's enrolments. A return is an entry that
// starts after an earlier exit and at most 12 months after it; an exit to another
// measure (other_measure) is a planned transfer, not a departure, so the next measure
// is no return.
func ReentryOf(spells []Spell) Reentry {
	s := append([]Spell(nil), spells...)
	sort.SliceStable(s, func(i, j int) bool { return s[i].Start.Before(s[j].Start) })
	r := Reentry{Entries: len(s)}
	for i, cur := range s {
		for _, prev := range s[:i] {
			if prev.End == nil || (prev.ExitReason != nil && *prev.ExitReason == outcome.OtherMeasure) {
				continue
			}
			if cur.Start.After(*prev.End) && !cur.Start.After(prev.End.AddDate(0, ReturnWindowMonths, 0)) {
				r.Returns++
				start := cur.Start
				r.LastReturn = &start
				break
			}
		}
	}
	r.Flagged = r.Entries >= LockInEntries || r.Returns > 0
	return r
}

// ReentryOfEnrolments applies the rule to loaded enrolments.
func ReentryOfEnrolments(es []*Enrolment) Reentry {
	spells := make([]Spell, len(es))
	for i, e := range es {
		spells[i] = Spell{Start: e.StartDate, End: e.EndDate, ExitReason: e.ExitReason}
	}
	return ReentryOf(spells)
}

// Flagged is one flagged participant.
type Flagged struct {
	ParticipantID string
	Reentry       Reentry
}

// ReentryList lists an organisation's flagged participants, the most entries first.
func (s *Store) ReentryList(ctx context.Context, orgID string) ([]Flagged, error) {
	if err := auth.RequireOrgPersonalData(ctx, orgID, "organisationId"); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT participant_id, start_date, end_date, exit_reason FROM enrolment
		WHERE organisation_id = $1 ORDER BY participant_id, start_date`, orgID)
	if err != nil {
		return nil, fmt.Errorf("re-entry: %w", err)
	}
	type row struct {
		pid   string
		spell Spell
	}
	all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		var reason *string
		err := r.Scan(&x.pid, &x.spell.Start, &x.spell.End, &reason)
		if reason != nil {
			st := outcome.Status(*reason)
			x.spell.ExitReason = &st
		}
		return x, err
	})
	if err != nil {
		return nil, fmt.Errorf("re-entry: %w", err)
	}
	var out []Flagged
	for i := 0; i < len(all); {
		j := i
		var spells []Spell
		for ; j < len(all) && all[j].pid == all[i].pid; j++ {
			spells = append(spells, all[j].spell)
		}
		if r := ReentryOf(spells); r.Flagged {
			out = append(out, Flagged{ParticipantID: all[i].pid, Reentry: r})
		}
		i = j
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Reentry.Entries != out[j].Reentry.Entries {
			return out[i].Reentry.Entries > out[j].Reentry.Entries
		}
		return out[i].ParticipantID < out[j].ParticipantID
	})
	return out, nil
}
