package report

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/domain/cost"
	"github.com/arbetsmarknad/outcomes/internal/domain/disclosure"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/warehouse/analytics"
)

// The costs section (issue 16): for the previous year's exits, as in the outcomes
// section, the net cost by measure and the cost per participant, per completed measure
// and per person in lasting attachment (internal/domain/cost, costs/1). Amounts are
// kronor, shown whole; the counts they divide by are protected like every count, a
// cost per X is shown only when X is at least 5 and shown (else X = net / cost per X),
// and the amounts of a group of 1–4 participants are hidden, as is a complement of them
// through the completed measures' column total, so that no person's wage can be read
// off a cell or worked out from the total.

var costColumns = []Column{{"net", "Nettokostnad, kr"}, {"participants", "Deltagare"}, {"completed", "Avslutade insatser"},
	{"lasting", "Fast förankring"}, {"per_participant", "Kr per deltagare"}, {"per_completed", "Kr per avslutad insats"},
	{"per_lasting", "Kr per person i fast förankring"}}

func (s *Service) costSection(ctx context.Context, b *builder, sc Scope, month, monthEnd time.Time, names *future[map[string]string]) (*Section, error) {
	if s.warehouse == nil {
		return nil, apperr.New(apperr.Unavailable, "", "the outcome warehouse is not reachable; try again shortly")
	}
	figures := func(ctx context.Context, cohorts []analytics.Cohort, def analytics.Definition, by []analytics.Dimension,
		opts ...analytics.Option) ([]analytics.Figure, error) {
		return analytics.Figures(ctx, s.warehouse, cohorts, def, by, opts...)
	}
	year := month.Year() - 1
	figs, err := cost.NewStore(s.pool).ForReport(aggregateContext(ctx), cost.Query{OrgIDs: sc.OrgIDs,
		ExitFrom: time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC), ExitTo: time.Date(year+1, 1, 1, 0, 0, 0, 0, time.UTC),
		By: cost.ByMeasure, Today: monthEnd}, cost.LastingFunc(figures))
	if err != nil {
		return nil, err
	}
	measures, err := names.get()
	if err != nil {
		return nil, err
	}
	sec := &Section{Key: "costs", Title: fmt.Sprintf("Kostnader för insatser som avslutades %d", year), Sheet: fmt.Sprintf("Kostnader %d", year),
		Intro: "Nettokostnad (lön, handledning och övrigt minus erhållet lönebidrag) för insatser som avslutades under året, " +
			"per deltagare, per avslutad insats (ej avbrott) och per person i fast förankring vid +6 och +12 månader. " +
			"Kostnad per enhet visas när enheterna är minst 5."}
	t := tableOf("costs-measure", "Kostnader efter insats", costColumns...)
	var parts [3][]*Cell
	var totals [3]*Cell
	for _, f := range figs {
		// The amounts of 1–4 people are theirs: their completed measures are withheld
		// with them, which carries the protection into the column total (costs/1 in
		// internal/domain/cost applies the same rule to costFigures).
		participants := b.count(f.Participants, cost.FiguresVersion)
		completed := b.count(f.Completed, cost.FiguresVersion)
		if disclosure.Small(f.Participants) {
			completed = b.withheld(f.Completed, cost.FiguresVersion)
		}
		counts := [3]*Cell{participants, completed, b.count(f.Lasting, f.LastingVersion)}
		net := b.amount(int(math.Round(f.Net)), cost.FiguresVersion, participants, completed)
		cells := []*Cell{net, counts[0], counts[1], counts[2]}
		for i, per := range []*float64{f.PerParticipant, f.PerCompleted, f.PerLasting} {
			if per == nil || disclosure.Small(counts[i].raw) { // none, or over 1–4 units
				cells = append(cells, b.empty())
				continue
			}
			cells = append(cells, b.amount(int(math.Round(*per)), cost.FiguresVersion, counts[i], participants, completed))
		}
		if f.Total {
			totals = counts
			t.row("total", "Totalt", true, cells...)
			continue
		}
		for i := range counts {
			parts[i] = append(parts[i], counts[i])
		}
		t.row("m-"+f.Group, measureLabel(measures, f.Group), false, cells...)
	}
	// Completed measures and lasting attachment add up over measures; participants need
	// not (one person can end two measures), so their total is no sum.
	for i := 1; i < 3; i++ {
		if totals[i] != nil && len(parts[i]) > 0 {
			b.sum(totals[i], parts[i]...)
		}
	}
	sec.Tables = []*Table{t}
	return sec, nil
}
