package cost

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/arbetsmarknad/outcomes/internal/domain/disclosure"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/calendar"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
	"github.com/arbetsmarknad/outcomes/warehouse/analytics"
)

// FiguresVersion names the cost figures' rules (costs/1): the cohort is the enrolments
// that ended in the period; their cost is every cost item recorded for them, whatever
// its month; the net cost is wage + supervision + other − wage subsidy received;
// participants are the distinct people of the cohort; a completed measure is an exit
// whose reason is not dropped out (avbrott); people in lasting attachment are the
// cohort's exits that meet the warehouse's lasting-attachment definition (its counting
// unit is the exit, and only exits whose +12 month has begun count). A cost "per X" is
// the net cost divided by X, absent when X is 0.
const FiguresVersion = "costs/1"

// completedSQL is the one definition of a completed measure (over enrolment e).
const completedSQL = `e.exit_reason <> 'dropped_out'`

// By is what cost figures are broken down by.
type By string

// The breakdowns; their values are those of analytics.DimMeasure and DimProject, so that
// the lasting-attachment counts from the warehouse join them.
const (
	ByMeasure By = "MEASURE"
	ByProject By = "PROJECT"
)

// Figure is the costs of one group (Group "" with Total: the whole cohort).
type Figure struct {
	Group           string
	Total           bool
	Gross           float64
	SubsidyReceived float64
	Net             float64
	Participants    int
	Completed       int
	Exits           int
	// Lasting is the number of exits in lasting attachment, LastingDue those whose +12
	// month has begun and LastingKnown those of them with a known outcome.
	Lasting, LastingDue, LastingKnown int
	// LastingAllDue: every exit of the period is due (analytics.EveryExitDue), so
	// LastingDue is Exits, and a reader who knows the calendar knows it.
	LastingAllDue  bool
	LastingVersion string
	PerParticipant *float64
	PerCompleted   *float64
	PerLasting     *float64
	// Budget is the project's budget (projects only; nil without one).
	Budget *float64
	// Withheld says which values an aggregate-only reader may not see; Suppressed that
	// any is (protect).
	Withheld   Withheld
	Suppressed bool
}

// Withheld marks the values of a Figure hidden from an aggregate-only reader.
type Withheld struct {
	Participants, Completed, Exits, Lasting, LastingDue bool
	// Amounts: gross, subsidy received and net (and every cost per X).
	Amounts bool
}

// LastingFunc gives the lasting-attachment figures of a cohort by one dimension
// (analytics.Figures on the warehouse, or the oracle's in tests).
type LastingFunc func(ctx context.Context, cohorts []analytics.Cohort, def analytics.Definition, by []analytics.Dimension,
	opts ...analytics.Option) ([]analytics.Figure, error)

// Query asks for cost figures.
type Query struct {
	OrgIDs   []string
	ExitFrom time.Time // inclusive
	ExitTo   time.Time // exclusive
	By       By
	Today    time.Time
}

// aggregateContext lets the counting statement see the organisations' rows through
// row-level security: the caller was checked for them (CanReadAggregates) first, and the
// statement only returns sums and counts.
func aggregateContext(ctx context.Context) context.Context {
	p, _ := auth.From(ctx)
	return auth.With(ctx, auth.Principal{Subject: p.Subject, System: true})
}

// Figures computes the cost figures of one organisation (q.OrgIDs holds its id) for the
// caller in ctx, who must be allowed its aggregates.
func (s *Store) Figures(ctx context.Context, q Query, lasting LastingFunc) ([]Figure, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if len(q.OrgIDs) != 1 || !db.IsUUID(q.OrgIDs[0]) {
		return nil, apperr.NotFoundf("organisationId", "organisation not found")
	}
	// A regional reader asking for their regional body gets its members they were granted.
	orgs, ok := p.AggregateScope(q.OrgIDs[0])
	if !ok {
		return nil, auth.Forbidden("organisationId", "figures of this organisation")
	}
	q.OrgIDs = orgs
	hide := p.SuppressSmallCounts()
	if hide && !calendarYear(q.ExitFrom, q.ExitTo) {
		return nil, apperr.Invalidf("exitFrom", "cost figures for aggregate-only readers cover one whole calendar year "+
			"(exitFrom YYYY-01-01, exitTo the next year's 1 January), so that two overlapping periods cannot be subtracted")
	}
	return s.compute(ctx, q, lasting, hide)
}

// calendarYear reports whether [from, to) is one whole calendar year: the periods an
// aggregate-only reader may ask for, as the steering report and exitCohortOutcome give
// them. Any two of them are equal or disjoint, so no difference of two answers is a
// small group (the exits of one day, and their wages).
func calendarYear(from, to time.Time) bool {
	return from.Month() == time.January && from.Day() == 1 && to.Equal(from.AddDate(1, 0, 0))
}

// ForReport computes the figures for the steering report, whose scope the report has
// checked and whose cells its own disclosure rule protects.
func (s *Store) ForReport(ctx context.Context, q Query, lasting LastingFunc) ([]Figure, error) {
	return s.compute(ctx, q, lasting, false)
}

func (s *Store) compute(ctx context.Context, q Query, lasting LastingFunc, hide bool) ([]Figure, error) {
	if err := analytics.ValidatePeriod("exitFrom", "exitTo", q.ExitFrom, q.ExitTo); err != nil {
		return nil, err
	}
	dim := analytics.DimMeasure
	group := `m.code`
	switch q.By {
	case ByMeasure:
	case ByProject:
		dim, group = analytics.DimProject, `CASE WHEN pr.id IS NULL THEN '' ELSE o.code || '/' || pr.name END`
	default:
		return nil, apperr.Invalidf("by", "break costs down by MEASURE or PROJECT")
	}
	// group is one of the two constants above, never input.
	rows, err := s.pool.Query(aggregateContext(ctx), `WITH e AS MATERIALIZED (
			SELECT e.id, e.participant_id, e.exit_reason, `+group+` AS grp, pr.id AS project_id
			FROM enrolment e JOIN measure_type m ON m.id = e.measure_type_id JOIN organisation o ON o.id = e.organisation_id
			LEFT JOIN project pr ON pr.id = e.project_id
			WHERE e.organisation_id = ANY($1::uuid[]) AND e.end_date >= $2 AND e.end_date < $3),
		c AS (SELECT enrolment_id, sum(amount) FILTER (WHERE kind <> 'wage_subsidy_received') AS gross,
				sum(amount) FILTER (WHERE kind = 'wage_subsidy_received') AS subsidy
			FROM enrolment_cost WHERE enrolment_id IN (SELECT id FROM e) GROUP BY enrolment_id),
		b AS (SELECT project_id, sum(amount) AS budget FROM project_funding
			WHERE project_id IN (SELECT project_id FROM e) GROUP BY project_id),
		g AS (SELECT grp, coalesce(sum(c.gross), 0)::float8 AS gross, coalesce(sum(c.subsidy), 0)::float8 AS subsidy,
				count(DISTINCT e.participant_id)::int AS people, count(*) FILTER (WHERE `+completedSQL+`)::int AS completed,
				count(*)::int AS exits, (grouping(grp) = 1) AS total
			FROM e LEFT JOIN c ON c.enrolment_id = e.id GROUP BY GROUPING SETS ((grp), ()))
		SELECT g.grp, g.total, g.gross, g.subsidy, g.people, g.completed, g.exits,
			(SELECT sum(b.budget)::float8 FROM b WHERE b.project_id IN (SELECT DISTINCT project_id FROM e WHERE e.grp = g.grp))
		FROM g ORDER BY g.total, g.grp`, q.OrgIDs, q.ExitFrom, q.ExitTo)
	if err != nil {
		return nil, fmt.Errorf("cost figures: %w", err)
	}
	figs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Figure, error) {
		var f Figure
		var grp *string
		err := r.Scan(&grp, &f.Total, &f.Gross, &f.SubsidyReceived, &f.Participants, &f.Completed, &f.Exits, &f.Budget)
		if grp != nil {
			f.Group = *grp
		}
		return f, err
	})
	if err != nil {
		return nil, fmt.Errorf("cost figures: %w", err)
	}
	if q.By != ByProject {
		for i := range figs {
			figs[i].Budget = nil
		}
	}
	today := q.Today
	if today.IsZero() {
		today = calendar.Today(time.Now()) // the Swedish date, as every figure's
	}
	def := analytics.LastingAttachment(nil)
	lf, err := lasting(ctx, []analytics.Cohort{{Label: "costs", OrgIDs: q.OrgIDs, ExitFrom: q.ExitFrom, ExitTo: q.ExitTo}},
		def, []analytics.Dimension{dim}, analytics.Today(today))
	if err != nil {
		return nil, err
	}
	byGroup := map[string]analytics.Figure{}
	var total analytics.Figure
	for _, f := range lf {
		if f.Group == nil {
			total = f
		} else {
			byGroup[f.Group[0].Value] = f
		}
	}
	for i := range figs {
		f := &figs[i]
		l := total
		if !f.Total {
			l = byGroup[f.Group]
		}
		f.Lasting, f.LastingDue, f.LastingKnown, f.LastingVersion = l.Count, l.N, l.Known, l.Version
		f.LastingAllDue = analytics.EveryExitDue(def, q.ExitTo, today)
		if f.LastingVersion == "" {
			f.LastingVersion, _ = analytics.LastingAttachment(nil).Version()
		}
		f.Net = f.Gross - f.SubsidyReceived
		f.PerParticipant, f.PerCompleted, f.PerLasting = per(f.Net, f.Participants), per(f.Net, f.Completed), per(f.Net, f.Lasting)
	}
	if hide {
		protect(figs)
	}
	return figs, nil
}

// protect hides, by the one small-count rule (internal/domain/disclosure), every count
// of 1–4 and every count the others give away: the total row is the sum of the groups
// (exits, completed, lasting, lasting due and the unprinted differences between them;
// once every exit of the period is due, the reader knows lasting due is the exits);
// participants are not summed (one person can end two measures). A group of 1–4
// participants also has its amounts withheld (they would be those people's wages), and
// its exits with them as a withheld cell, so that the same relations hide a complement:
// a group's amounts are withheld exactly when its exits or participants are, and then
// the total's amounts minus the others' cannot give them away. A cost per X is withheld
// with X or with the amounts (X would be the net cost divided by it).
func protect(figs []Figure) {
	var s disclosure.System
	type cells struct{ participants, completed, exits, lasting, due, dropped, notLasting, notDue disclosure.Cell }
	cs := make([]cells, len(figs))
	total := -1
	for i, f := range figs {
		exitsKind := disclosure.Count
		if disclosure.Small(f.Participants) {
			exitsKind = disclosure.Withheld
		}
		notDueKind := disclosure.Implicit
		if f.LastingAllDue {
			notDueKind = disclosure.Fixed // 0, and the reader knows it
		}
		c := cells{participants: s.Add(f.Participants, disclosure.Count), completed: s.Add(f.Completed, disclosure.Count),
			exits: s.Add(f.Exits, exitsKind), lasting: s.Add(f.Lasting, disclosure.Count), due: s.Add(f.LastingDue, disclosure.Count),
			dropped: s.Add(f.Exits-f.Completed, disclosure.Implicit), notLasting: s.Add(f.LastingDue-f.Lasting, disclosure.Implicit),
			notDue: s.Add(f.Exits-f.LastingDue, notDueKind)}
		s.Sum(c.exits, c.completed, c.dropped)
		s.Sum(c.due, c.lasting, c.notLasting)
		s.Sum(c.exits, c.due, c.notDue)
		cs[i] = c
		if f.Total {
			total = i
		}
	}
	if total >= 0 && len(figs) > 1 {
		for _, pick := range []func(cells) disclosure.Cell{
			func(c cells) disclosure.Cell { return c.exits }, func(c cells) disclosure.Cell { return c.completed },
			func(c cells) disclosure.Cell { return c.lasting }, func(c cells) disclosure.Cell { return c.due },
			func(c cells) disclosure.Cell { return c.dropped }, func(c cells) disclosure.Cell { return c.notLasting },
			func(c cells) disclosure.Cell { return c.notDue },
		} {
			var parts []disclosure.Cell
			for i, c := range cs {
				if i != total {
					parts = append(parts, pick(c))
				}
			}
			s.Sum(pick(cs[total]), parts...)
		}
	}
	hidden := s.Protect()
	for i := range figs {
		f, c := &figs[i], cs[i]
		f.Withheld = Withheld{Participants: hidden[c.participants], Completed: hidden[c.completed], Exits: hidden[c.exits],
			Lasting: hidden[c.lasting], LastingDue: hidden[c.due]}
		f.Withheld.Amounts = f.Withheld.Exits || f.Withheld.Participants
		w := f.Withheld
		if w.Amounts {
			f.Gross, f.SubsidyReceived, f.Net = 0, 0, 0
		}
		for _, x := range []struct {
			per    **float64
			hidden bool
		}{{&f.PerParticipant, w.Participants}, {&f.PerCompleted, w.Completed}, {&f.PerLasting, w.Lasting}} {
			if x.hidden || w.Amounts {
				*x.per = nil
			}
		}
		f.Suppressed = w.Participants || w.Completed || w.Exits || w.Lasting || w.LastingDue || w.Amounts
	}
}

func per(net float64, n int) *float64 {
	if n == 0 {
		return nil
	}
	v := net / float64(n)
	return &v
}
