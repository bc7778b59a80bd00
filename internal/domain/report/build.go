package report

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/errgroup"

	"github.com/arbetsmarknad/outcomes/internal/domain/actionplan"
	"github.com/arbetsmarknad/outcomes/internal/domain/organisation"
	"github.com/arbetsmarknad/outcomes/internal/domain/outcome"
	"github.com/arbetsmarknad/outcomes/internal/domain/project"
	"github.com/arbetsmarknad/outcomes/internal/domain/quota"
	"github.com/arbetsmarknad/outcomes/internal/domain/referral"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/bounds"
	"github.com/arbetsmarknad/outcomes/internal/platform/calendar"
	"github.com/arbetsmarknad/outcomes/warehouse/analytics"
	"github.com/arbetsmarknad/outcomes/warehouse/chstore"
	"github.com/arbetsmarknad/outcomes/warehouse/cohort"
	"github.com/arbetsmarknad/outcomes/warehouse/outcomes"
)

// Service builds, freezes and reopens steering reports.
type Service struct {
	pool      *pgxpool.Pool
	st        store
	orgs      *organisation.Store
	projects  *project.Store
	quotas    *quota.Store
	warehouse chstore.Querier
	now       func() time.Time
}

// NewService returns a service on the operational pool and the warehouse.
func NewService(pool *pgxpool.Pool, warehouse chstore.Querier) *Service {
	return &Service{pool: pool, st: store{pool: pool}, orgs: organisation.NewStore(pool),
		projects: project.NewStore(pool), quotas: quota.NewStore(pool), warehouse: warehouse, now: time.Now}
}

// ParseMonth reads "YYYY-MM" as the first day of that month; field names the input.
func ParseMonth(field, s string) (time.Time, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil || !bounds.RecordYearOK(t.Year()) {
		return time.Time{}, apperr.Invalidf(field, "month must be YYYY-MM %s", bounds.RecordYears())
	}
	return t, nil
}

// CheckMonth refuses a report month (its first day) outside the record years (as
// ParseMonth does) or not begun at now: a report of it, or a link to one, could show
// nothing.
func CheckMonth(month, now time.Time) error {
	if !bounds.RecordYearOK(month.Year()) {
		return apperr.Invalidf("month", "month must be %s", bounds.RecordYears())
	}
	if month.After(calendar.Today(now)) {
		return apperr.Invalidf("month", "the month %s has not begun", month.Format("2006-01"))
	}
	return nil
}

// Scope is what a report covers: the organisation it is about and the municipalities
// whose figures it sums (the organisation itself, or a regional body's members).
type Scope struct {
	Organisation organisation.Organisation
	OrgIDs       []string
	Members      []organisation.Organisation
}

// ResolveScope finds the organisation and, for a regional body, its members; granted,
// when not nil, narrows the members to those the caller was granted.
func (s *Service) ResolveScope(ctx context.Context, orgID string, granted []string) (Scope, error) {
	org, err := s.orgs.Get(ctx, orgID)
	if err != nil {
		return Scope{}, err
	}
	sc := Scope{Organisation: org, OrgIDs: []string{org.ID}}
	if org.Kind != organisation.RegionalBody {
		return sc, nil
	}
	members, err := s.orgs.Members(ctx, org.ID)
	if err != nil {
		return Scope{}, err
	}
	sc.OrgIDs = nil
	for _, m := range members {
		if granted == nil || contains(granted, m.ID) {
			sc.Members = append(sc.Members, m)
			sc.OrgIDs = append(sc.OrgIDs, m.ID)
		}
	}
	if len(sc.OrgIDs) == 0 {
		return Scope{}, apperr.Invalidf("organisationId", "the regional body has no member municipality to report on")
	}
	return sc, nil
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// Build computes the report of sc for month (its first day) as of now.
func (s *Service) Build(ctx context.Context, sc Scope, month time.Time) (*Report, error) {
	month = time.Date(month.Year(), month.Month(), 1, 0, 0, 0, 0, time.UTC)
	monthEnd := month.AddDate(0, 1, -1)
	if err := CheckMonth(month, s.now()); err != nil {
		return nil, err
	}
	r := &Report{OrganisationID: sc.Organisation.ID, OrganisationCode: sc.Organisation.Code,
		OrganisationName: sc.Organisation.Name, Regional: sc.Organisation.Kind == organisation.RegionalBody,
		Month: month, GeneratedAt: s.now().UTC()}
	for _, m := range sc.Members {
		r.Members = append(r.Members, m.Name)
	}
	var err error
	if r.WarehouseLoadedTo, r.WarehousePending, err = s.st.freshness(ctx); err != nil {
		return nil, err
	}
	b := newBuilder()
	yearStart := time.Date(month.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
	var months []time.Time
	for m := yearStart; !m.After(month); m = m.AddDate(0, 1, 0) {
		months = append(months, m)
	}
	// Every section's reads start now and run side by side (the warehouse's outcome
	// figures beside PostgreSQL's statements); the sections are then built in order
	// from what they read, in one disclosure system.
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	outs := fetch(func() ([][2][]analytics.Figure, error) { return s.outcomeFigures(fctx, sc, month, monthEnd) })
	flows := fetch(func() (*flowCounts, error) { return s.st.flows(fctx, sc.OrgIDs, months[0], month) })
	targets := fetch(func() ([]targetFigures, error) { return s.readTargets(fctx, sc, month, monthEnd) })
	quotas := fetch(func() ([]quotaFigures, error) { return s.readQuotas(fctx, sc, month, monthEnd) })
	overdue := fetch(func() (overdueFigures, error) { return s.readOverdue(fctx, sc, monthEnd) })
	names := fetch(func() (map[string]string, error) { return s.st.measureNames(fctx, sc.OrgIDs) })
	steps := []func() (*Section, error){
		func() (*Section, error) { return targetsSection(b, sc, month, targets) },
		func() (*Section, error) { return quotaSection(b, quotas) },
		func() (*Section, error) { return flowSection(b, months, flows) },
		func() (*Section, error) { return overdueSection(b, overdue) },
		func() (*Section, error) { return outcomeSection(b, month, outs, names) },
		func() (*Section, error) { return s.costSection(ctx, b, sc, month, monthEnd, names) },
	}
	if r.Regional {
		steps = append(steps, func() (*Section, error) { return memberSection(b, sc, flows) })
	}
	for _, step := range steps {
		sec, err := step()
		if err != nil {
			return nil, err
		}
		if sec != nil {
			r.Sections = append(r.Sections, sec)
		}
	}
	// How long each read took (side by side, so they overlap) and the protection.
	r.timings = map[string]time.Duration{"read-outcomes": outs.took, "read-flows": flows.took,
		"read-targets": targets.took, "read-quotas": quotas.took, "read-overdue": overdue.took}
	t0 := time.Now()
	b.finish(r)
	r.timings["protect"] = time.Since(t0)
	r.Definitions = definitions(r)
	return r, nil
}

// future is a value being read in the background.
type future[T any] struct {
	done chan struct{}
	v    T
	err  error
	took time.Duration // read it only after get
}

func fetch[T any](f func() (T, error)) *future[T] {
	fu := &future[T]{done: make(chan struct{})}
	go func() {
		defer close(fu.done)
		t0 := time.Now()
		fu.v, fu.err = f()
		fu.took = time.Since(t0)
	}()
	return fu
}

func (f *future[T]) get() (T, error) {
	<-f.done
	return f.v, f.err
}

func monthLabel(m time.Time) string { return swedishMonths[m.Month()-1] + " " + fmt.Sprint(m.Year()) }

var swedishMonths = []string{"januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
	"september", "oktober", "november", "december"}

var metricLabels = map[project.Metric]string{
	project.Decisions: "beslut", project.Starts: "starter", project.Participants: "deltagare",
	project.ExitsToWorkOrStudies: "avslut till arbete eller studier", project.Referrals: "anvisningar",
}

// flowOf is the flow a target's progress counts, when the target has no narrower scope
// than the organisation: then its monthly figures are the flow tables' figures and are
// tied to them.
func flowOf(t project.Target) (flow, bool) {
	if t.MeasureTypeID != nil || t.ProjectID != nil || t.UnitID != nil {
		return "", false
	}
	switch t.Metric {
	case project.Decisions:
		return flowDecisions, true
	case project.Starts:
		return flowStarts, true
	case project.Referrals:
		return flowReferrals, true
	}
	return "", false
}

// targetFigures are one target's progress: in the period up to the report's month (yg),
// in the month (mg) and, for an additive metric, month by month from first.
type targetFigures struct {
	t      project.Target
	first  time.Time
	months []monthFig
	yg, mg byGender
}

type monthFig struct {
	m time.Time
	g byGender
}

// readTargets reads the targets active in the month and their progress, the targets at
// once.
func (s *Service) readTargets(ctx context.Context, sc Scope, month, monthEnd time.Time) ([]targetFigures, error) {
	actx := aggregateContext(ctx)
	targets, err := s.projects.TargetsActiveIn(actx, sc.OrgIDs, month, monthEnd)
	if err != nil {
		return nil, err
	}
	out := make([]targetFigures, len(targets))
	g, gctx := errgroup.WithContext(actx)
	g.SetLimit(2)
	for i, t := range targets {
		g.Go(func() error {
			tf := &out[i]
			tf.t = t
			// Month by month from the period start (at most the last 24 months) up to this one.
			tf.first = time.Date(t.PeriodStart.Year(), t.PeriodStart.Month(), 1, 0, 0, 0, 0, time.UTC)
			if limit := month.AddDate(0, -23, 0); tf.first.Before(limit) {
				tf.first = limit
			}
			if t.Metric.Additive() {
				// One statement: the period's figure and its months from first on.
				ytd, byMonth, err := s.projects.MonthlyProgress(gctx, t, tf.first, monthEnd)
				if err != nil {
					return err
				}
				for m := tf.first; !m.After(month); m = m.AddDate(0, 1, 0) {
					p := byMonth[m.Format("2006-01")]
					tf.months = append(tf.months, monthFig{m: m, g: byGender{p.Women, p.Men, p.Total - p.Women - p.Men}})
				}
				tf.yg = byGender{ytd.Women, ytd.Men, ytd.Total - ytd.Women - ytd.Men}
				tf.mg = tf.months[len(tf.months)-1].g
				return nil
			}
			ytd, err := s.projects.Progress(gctx, t, monthEnd)
			if err != nil {
				return err
			}
			tf.yg = byGender{ytd.Women, ytd.Men, ytd.Total - ytd.Women - ytd.Men}
			tm := t
			if month.After(tm.PeriodStart) {
				tm.PeriodStart = month
			}
			if !tm.PeriodStart.After(t.PeriodEnd) {
				p, err := s.projects.Progress(gctx, tm, monthEnd)
				if err != nil {
					return err
				}
				tf.mg = byGender{p.Women, p.Men, p.Total - p.Women - p.Men}
			}
			return nil
		})
	}
	return out, g.Wait()
}

func targetsSection(b *builder, sc Scope, month time.Time, read *future[[]targetFigures]) (*Section, error) {
	targets, err := read.get()
	if err != nil {
		return nil, err
	}
	sec := &Section{Key: "targets", Title: "Mål och utfall",
		Intro: "Utfall mot målen som gäller under månaden: i månaden och hittills under målperioden, uppdelat på kön."}
	main := tableOf("targets", "Mål och utfall hittills under målperioden",
		// The gender columns count the target period so far, as the total beside them
		// does, not the month of the column before them: their labels say so.
		Column{"target", "Mål"}, Column{"month", "Utfall i månaden"}, Column{"women", "Kvinnor hittills"},
		Column{"men", "Män hittills"}, Column{"other", "Övriga/ej angivet hittills"}, Column{"total", "Utfall hittills"},
		Column{"share", "Andel av målet"}, Column{"womenShare", "Andel kvinnor hittills"}, Column{"womenTarget", "Målandel kvinnor"})
	sec.Tables = append(sec.Tables, main)
	if len(targets) == 0 {
		main.Note = "Inga mål gäller under månaden."
		return sec, nil
	}
	version := project.ProgressVersion
	for i, tf := range targets {
		t, first, figs, yg, mg := tf.t, tf.first, tf.months, tf.yg, tf.mg
		rowKey := fmt.Sprintf("t%d", i+1)
		label := t.Name
		if len(sc.OrgIDs) > 1 {
			label = orgName(sc, t.OrganisationID) + ": " + t.Name
		}
		target := b.target(t.Total, version)
		monthTotal := b.count(mg.total(), version)
		gc := b.genderCells(yg, version)
		// Targets of the same scope and metric show the same figures: tie them.
		b.key(targetKey(t, "month-"+month.Format("2006-01"), "t"), monthTotal)
		for j, col := range []string{"w", "m", "o", "t"} {
			b.key(targetKey(t, "from-"+t.PeriodStart.Format("2006-01-02"), col), gc[j])
		}
		womenTarget := b.empty()
		if t.Women != nil && t.Total > 0 {
			wt := b.target(*t.Women, version)
			womenTarget = b.share(wt, target, version)
		}
		main.row(rowKey, label, false, target, monthTotal, gc[0], gc[1], gc[2], gc[3],
			b.share(gc[3], target, version), b.share(gc[0], gc[3], version), womenTarget)
		if !t.Metric.Additive() {
			continue
		}
		// The month by month table: its rows sum to the period's figures (when the
		// period began within the table), the last row is the month, and a cumulative
		// column runs along.
		mt := tableOf(rowKey+"-months", label+": månad för månad ("+metricLabels[t.Metric]+")",
			Column{"women", "Kvinnor"}, Column{"men", "Män"}, Column{"other", "Övriga/ej angivet"},
			Column{"total", "Totalt"}, Column{"cumulative", "Ackumulerat"})
		var rows [][]*Cell
		var prevCum *Cell
		cum := 0
		f, tied := flowOf(t)
		// A member's target counts that member; a regional report's flows count them all.
		tied = tied && len(sc.OrgIDs) == 1
		series := &Series{Key: rowKey + "-series", Title: label + ": " + metricLabels[t.Metric] + " per månad mot målet",
			Unit: "COUNT", TargetLabel: "Mål " + formatInt(t.Total)}
		tv := float64(t.Total)
		series.Target = &tv
		bars := &Line{Label: "Per månad", Style: "BAR"}
		line := &Line{Label: "Ackumulerat", Style: "LINE"}
		shareSeries := &Series{Key: rowKey + "-women", Title: label + ": andel kvinnor per månad", Unit: "SHARE"}
		if t.Women != nil && t.Total > 0 {
			ws := float64(*t.Women) / float64(t.Total)
			shareSeries.Target = &ws
			shareSeries.TargetLabel = "Målandel kvinnor " + FormatShare(ws)
		}
		shares := &Line{Label: "Andel kvinnor", Style: "LINE"}
		for _, fg := range figs {
			cells := b.genderCells(fg.g, version)
			cum += fg.g.total()
			c := b.count(cum, version)
			if prevCum == nil {
				b.sum(c, cells[3])
			} else {
				b.sum(c, prevCum, cells[3])
			}
			prevCum = c
			for j, col := range []string{"w", "m", "o", "t"} {
				b.key(targetKey(t, fg.m.Format("2006-01"), col), cells[j])
			}
			if tied && !fg.m.Before(time.Date(month.Year(), 1, 1, 0, 0, 0, 0, time.UTC)) {
				for j, col := range []string{"w", "m", "o", "t"} {
					b.key(fmt.Sprintf("flow/%s/%s/%s", f, fg.m.Format("2006-01"), col), cells[j])
				}
			}
			mt.row(fg.m.Format("2006-01"), monthLabel(fg.m), false, append(cells, c)...)
			rows = append(rows, cells)
			bars.Points = append(bars.Points, &Point{Label: fg.m.Format("2006-01"), Cell: cells[3]})
			line.Points = append(line.Points, &Point{Label: fg.m.Format("2006-01"), Cell: c})
			shares.Points = append(shares.Points, &Point{Label: fg.m.Format("2006-01"), Cell: b.share(cells[0], cells[3], version)})
		}
		if len(rows) > 0 {
			last := rows[len(rows)-1]
			b.sum(monthTotal, last[3]) // the month's figure is the last row's total
			if !first.After(t.PeriodStart) {
				// The whole period is in the table: its rows sum to the period's figures.
				for j := 0; j < 4; j++ {
					var parts []*Cell
					for _, r := range rows {
						parts = append(parts, r[j])
					}
					b.sum(gc[j], parts...)
				}
				b.sum(gc[3], prevCum)
			}
		}
		series.Lines = []*Line{bars, line}
		shareSeries.Lines = []*Line{shares}
		sec.Tables = append(sec.Tables, mt)
		sec.Series = append(sec.Series, series, shareSeries)
	}
	return sec, nil
}

// targetKey names a target progress figure by what it counts (metric and scope), so
// that two targets counting the same thing are tied.
func targetKey(t project.Target, period, col string) string {
	opt := func(p *string) string {
		if p == nil {
			return "-"
		}
		return *p
	}
	return fmt.Sprintf("target/%s/%s/%s/%s/%s/%s/%s", t.OrganisationID, t.Metric, opt(t.MeasureTypeID), opt(t.ProjectID),
		opt(t.UnitID), period, col)
}

func orgName(sc Scope, id string) string {
	for _, m := range sc.Members {
		if m.ID == id {
			return m.Name
		}
	}
	return sc.Organisation.Name
}

// quotaFigures is a quota with its allocation over the departments.
type quotaFigures struct {
	q      quota.Quota
	allocs []quota.Allocation
}

func (s *Service) readQuotas(ctx context.Context, sc Scope, month, monthEnd time.Time) ([]quotaFigures, error) {
	qs, err := s.quotas.ActiveIn(aggregateContext(ctx), sc.OrgIDs, month, monthEnd)
	if err != nil {
		return nil, err
	}
	out := make([]quotaFigures, len(qs))
	for i, q := range qs {
		allocs, err := s.quotas.Allocations(aggregateContext(ctx), q, monthEnd)
		if err != nil {
			return nil, err
		}
		out[i] = quotaFigures{q, allocs}
	}
	return out, nil
}

func quotaSection(b *builder, read *future[[]quotaFigures]) (*Section, error) {
	qs, err := read.get()
	if err != nil {
		return nil, err
	}
	sec := &Section{Key: "quotas", Title: "Kvotering per förvaltning",
		Intro: "Kvoten fördelad efter förvaltningarnas storlek och vad varje förvaltning har tagit emot hittills under perioden."}
	if len(qs) == 0 {
		t := tableOf("quotas", "Kvotering", Column{"quota", "Kvot"}, Column{"delivered", "Levererat"}, Column{"share", "Andel"})
		t.Note = "Ingen kvotering gäller under månaden."
		sec.Tables = append(sec.Tables, t)
		return sec, nil
	}
	for i, qf := range qs {
		q, allocs := qf.q, qf.allocs
		key := fmt.Sprintf("q%d", i+1)
		t := tableOf(key, q.Name, Column{"quota", "Kvot"}, Column{"delivered", "Levererat"}, Column{"share", "Andel av kvoten"})
		series := &Series{Key: key + "-series", Title: q.Name + ": levererat mot kvot per förvaltning", Unit: "COUNT"}
		bars := &Line{Label: "Levererat", Style: "BAR"}
		var quotas, delivered []*Cell
		for j, a := range allocs {
			qc := b.target(a.Quota, quota.Version)
			dc := b.count(a.Delivered, quota.Version)
			quotas, delivered = append(quotas, qc), append(delivered, dc)
			t.row(fmt.Sprintf("d%d", j+1), a.Name, false, qc, dc, b.share(dc, qc, quota.Version))
			qv := float64(a.Quota)
			bars.Points = append(bars.Points, &Point{Label: a.Name, Cell: dc, Quota: &qv})
		}
		tq := b.target(q.Total, quota.Version)
		b.sum(tq, quotas...)
		td := b.count(sumRaw(delivered), quota.Version)
		b.sum(td, delivered...)
		t.row("total", "Totalt", true, tq, td, b.share(td, tq, quota.Version))
		series.Lines = []*Line{bars}
		sec.Tables = append(sec.Tables, t)
		sec.Series = append(sec.Series, series)
	}
	return sec, nil
}

func sumRaw(cs []*Cell) int {
	n := 0
	for _, c := range cs {
		n += c.raw
	}
	return n
}

var flowTitles = []struct {
	f     flow
	title string
}{
	{flowReferrals, "Anvisningar som kommit in"},
	{flowDecisions, "Beslut om insats"},
	{flowStarts, "Påbörjade insatser"},
	{flowAMAStarted, "Påbörjade arbetsmarknadsanställningar"},
	{flowExits, "Avslutade insatser"},
}

func flowSection(b *builder, months []time.Time, flows *future[*flowCounts]) (*Section, error) {
	sec := &Section{Key: "flows", Title: "Månadens flöden",
		Intro: "Månad för månad under året och hittills i år. Varje rad räknar insatser (eller anvisningar), inte personer."}
	fc, err := flows.get()
	if err != nil {
		return nil, err
	}
	for _, ft := range flowTitles {
		counts := fc.flows[ft.f]
		t := tableOf(string(ft.f), ft.title, genderColumns...)
		var rows [][]*Cell
		for _, m := range months {
			cells := b.genderCells(counts[m.Format("2006-01")], FlowsVersion)
			for j, col := range []string{"w", "m", "o", "t"} {
				b.key(fmt.Sprintf("flow/%s/%s/%s", ft.f, m.Format("2006-01"), col), cells[j])
			}
			t.row(m.Format("2006-01"), monthLabel(m), false, cells...)
			rows = append(rows, cells)
		}
		var ytd byGender
		for _, g := range counts {
			for j := range g {
				ytd[j] += g[j]
			}
		}
		tot := b.genderCells(ytd, FlowsVersion)
		for j, col := range []string{"w", "m", "o", "t"} {
			var parts []*Cell
			for _, r := range rows {
				parts = append(parts, r[j])
			}
			b.sum(tot[j], parts...)
			b.key(fmt.Sprintf("flow/%s/ytd/%s", ft.f, col), tot[j])
		}
		t.row("ytd", "Hittills i år", true, tot...)
		sec.Tables = append(sec.Tables, t)
	}
	// Ongoing at each month end: a stock, so no year total.
	ongoing := fc.ongoing
	ot := tableOf("ongoing", "Pågående insatser vid månadens slut", genderColumns...)
	last := months[len(months)-1].Format("2006-01")
	for _, m := range months {
		cells := b.genderCells(ongoing[m.Format("2006-01")], FlowsVersion)
		if m.Format("2006-01") == last {
			for j, col := range []string{"w", "m", "o", "t"} {
				b.key("ongoing/"+col, cells[j])
			}
		}
		ot.row(m.Format("2006-01"), monthLabel(m), false, cells...)
	}
	sec.Tables = append(sec.Tables, ot)

	// Exits by reason, year to date.
	reasons := fc.reasons
	rt := tableOf("exitReasons", "Avslut efter orsak, hittills i år", genderColumns...)
	var rrows [][]*Cell
	var ytd byGender
	for _, code := range outcomes.Statuses {
		g, ok := reasons[code]
		if !ok {
			continue
		}
		cells := b.genderCells(g, FlowsVersion)
		rt.row(code, outcome.StatusNames[outcome.Status(code)], false, cells...)
		rrows = append(rrows, cells)
		for j := range g {
			ytd[j] += g[j]
		}
	}
	tot := b.genderCells(ytd, FlowsVersion)
	for j, col := range []string{"w", "m", "o", "t"} {
		var parts []*Cell
		for _, r := range rrows {
			parts = append(parts, r[j])
		}
		b.sum(tot[j], parts...)
		b.key(fmt.Sprintf("flow/%s/ytd/%s", flowExits, col), tot[j])
	}
	rt.row("total", "Totalt", true, tot...)
	sec.Tables = append(sec.Tables, rt)

	// By measure and by unit, year to date.
	for _, g := range []struct{ group, title, none string }{
		{"measure", "Per insats, hittills i år", ""},
		{"unit", "Per enhet, hittills i år", "Ingen enhet angiven"},
	} {
		rows := fc.groups[g.group]
		t := tableOf(g.group, g.title, Column{"decisions", "Beslut"}, Column{"starts", "Påbörjade"},
			Column{"exits", "Avslutade"}, Column{"ongoing", "Pågående vid månadens slut"})
		var cols [4][]*Cell
		var sums [4]int
		for i, gr := range rows {
			vals := [4]int{gr.Decisions, gr.Starts, gr.Exits, gr.Ongoing}
			var cells []*Cell
			for j, v := range vals {
				c := b.count(v, FlowsVersion)
				cols[j] = append(cols[j], c)
				sums[j] += v
				cells = append(cells, c)
			}
			label := gr.Label
			if label == "" {
				label = g.none
			}
			t.row(fmt.Sprintf("g%d", i+1), label, false, cells...)
		}
		var totals []*Cell
		for j, key := range []string{"flow/decisions/ytd/t", "flow/starts/ytd/t", "flow/exits/ytd/t", "ongoing/t"} {
			c := b.count(sums[j], FlowsVersion)
			b.sum(c, cols[j]...)
			b.key(key, c)
			totals = append(totals, c)
		}
		t.row("total", "Totalt", true, totals...)
		sec.Tables = append(sec.Tables, t)
	}
	return sec, nil
}

// OverdueVersion names the overdue rules (the ones of overdueReferralFeedback and
// overdueFollowUps, counted on the report's day).
const OverdueVersion = "overdue/1"

// overdueFigures are the overdue counts by gender code, on the day asOf.
type overdueFigures struct {
	asOf         time.Time
	feedback, fu map[string]int
}

func (s *Service) readOverdue(ctx context.Context, sc Scope, monthEnd time.Time) (overdueFigures, error) {
	asOf := monthEnd
	if today := calendar.Today(s.now()); today.Before(asOf) {
		asOf = today
	}
	actx := aggregateContext(ctx)
	fb, err := referral.CountOverdueByGender(actx, s.pool, sc.OrgIDs, asOf)
	if err != nil {
		return overdueFigures{}, err
	}
	fu, err := actionplan.CountOverdueByGender(actx, s.pool, sc.OrgIDs, asOf)
	if err != nil {
		return overdueFigures{}, err
	}
	return overdueFigures{asOf, fb, fu}, nil
}

func overdueSection(b *builder, read *future[overdueFigures]) (*Section, error) {
	o, err := read.get()
	if err != nil {
		return nil, err
	}
	asOf, fb, fu := o.asOf, o.feedback, o.fu
	t := tableOf("overdue", "Försenad återkoppling och uppföljning den "+asOf.Format("2006-01-02"), genderColumns...)
	for _, x := range []struct {
		key, label string
		m          map[string]int
	}{
		{"feedback", "Återkoppling till remittenten försenad", fb},
		{"followUps", "Uppföljningsmöten försenade", fu},
	} {
		var g byGender
		for code, n := range x.m {
			g[genderIndex(code)] += n
		}
		t.row(x.key, x.label, false, b.genderCells(g, OverdueVersion)...)
	}
	return &Section{Key: "overdue", Title: "Försenad återkoppling och uppföljning", Sheet: "Försenat", Tables: []*Table{t}}, nil
}

type outcomeDef struct {
	key, title string
	def        analytics.Definition
}

// outcomeDefs are the outcome figures of earlier exit cohorts the report shows: in work
// or studies at the horizons the steering group's exitCohortOutcome reports
// (cohort.Horizons: ws6, ws12), and lasting attachment.
var outcomeDefs = func() []outcomeDef {
	var out []outcomeDef
	for _, k := range cohort.Horizons {
		out = append(out, outcomeDef{fmt.Sprintf("ws%d", k), fmt.Sprintf("I arbete eller studier %d månader efter avslut", k), analytics.InWorkOrStudiesAt(k)})
	}
	return append(out, outcomeDef{"lasting", "Fast förankring (arbete eller studier utan försörjningsstöd vid +6 och +12)", analytics.LastingAttachment(nil)})
}()

var outcomeColumns = []Column{{"n", "Avslut att följa upp"}, {"known", "Känt utfall"}, {"unknown", "Okänt utfall"},
	{"count", "Uppfyller"}, {"share", "Andel av kända"}}

var genderRows = []struct{ key, label string }{{"women", "Kvinnor"}, {"men", "Män"}, {"other", "Övriga/ej angivet"}}

// outcomeFigures asks the warehouse for the outcome figures of the exit cohort of the
// year before month: for each of outcomeDefs, by gender and by measure.
func (s *Service) outcomeFigures(ctx context.Context, sc Scope, month, monthEnd time.Time) ([][2][]analytics.Figure, error) {
	if s.warehouse == nil {
		return nil, apperr.New(apperr.Unavailable, "", "the outcome warehouse is not reachable; try again shortly")
	}
	year, from, to := outcomeYear(month)
	cohort := analytics.Cohort{Label: fmt.Sprint(year), OrgIDs: sc.OrgIDs, ExitFrom: from, ExitTo: to}
	// Three independent warehouse queries (one per definition, by gender × measure),
	// asked at once; the tables by gender and by measure are their margins (these
	// definitions count every enrolment in every group, so groups add up).
	results := make([][2][]analytics.Figure, len(outcomeDefs))
	g, gctx := errgroup.WithContext(ctx)
	for i, od := range outcomeDefs {
		g.Go(func() error {
			figs, err := analytics.Figures(gctx, s.warehouse, []analytics.Cohort{cohort}, od.def, []analytics.Dimension{analytics.DimGender, analytics.DimMeasure},
				analytics.Today(monthEnd))
			results[i] = [2][]analytics.Figure{margin(figs, 0), margin(figs, 1)}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return results, nil
}

// outcomeYear is the exit year whose outcomes the report of month shows (the year
// before), and its exit period [from, to).
func outcomeYear(month time.Time) (year int, from, to time.Time) {
	year = month.Year() - 1
	return year, time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(year+1, 1, 1, 0, 0, 0, 0, time.UTC)
}

// margin sums figures of one cohort broken down by several dimensions over all but the
// dim-th: the total first, then a figure per value of that dimension, by value. Only
// the counts (n, known, count) are summed: the report computes the rest from them.
func margin(figs []analytics.Figure, dim int) []analytics.Figure {
	var out []analytics.Figure
	byValue := map[string]*analytics.Figure{}
	var values []string
	for _, f := range figs {
		if f.Group == nil {
			out = append(out, analytics.Figure{Cohort: f.Cohort, N: f.N, Known: f.Known, Count: f.Count, Version: f.Version})
			continue
		}
		gv := f.Group[dim]
		m := byValue[gv.Value]
		if m == nil {
			m = &analytics.Figure{Cohort: f.Cohort, Group: []analytics.GroupValue{gv}, Version: f.Version}
			byValue[gv.Value] = m
			values = append(values, gv.Value)
		}
		m.N, m.Known, m.Count = m.N+f.N, m.Known+f.Known, m.Count+f.Count
	}
	sort.Strings(values)
	for _, v := range values {
		out = append(out, *byValue[v])
	}
	return out
}

func outcomeSection(b *builder, month time.Time, outs *future[[][2][]analytics.Figure], names *future[map[string]string]) (*Section, error) {
	results, err := outs.get()
	if err != nil {
		return nil, err
	}
	measures, err := names.get()
	if err != nil {
		return nil, err
	}
	year, _, _ := outcomeYear(month)
	sec := &Section{Key: "outcomes", Title: fmt.Sprintf("Utfall för insatser som avslutades %d", year), Sheet: fmt.Sprintf("Utfall %d", year),
		Intro: fmt.Sprintf("Status 6 och 12 månader efter avslut för insatser som avslutades under %d, för de avslut vars månad + 6 (+ 12) har börjat vid månadens slut, "+
			"så som statusen är känd när rapporten tas fram (en fryst utgåva visar det som var känt när den frystes). "+
			"Andelen räknas bland kända utfall; 95 %% konfidensintervall enligt Wilson, och gränserna om alla okända hade uppfyllt definitionen eller ingen.", year)}
	chart := &Series{Key: "outcomes-series", Title: "Andel i arbete eller studier och fast förankring, med 95 % intervall", Unit: "SHARE"}
	lines := map[string]*Line{}
	for _, lbl := range []string{"Kvinnor", "Män", "Totalt"} {
		lines[lbl] = &Line{Label: lbl, Style: "INTERVAL"}
		chart.Lines = append(chart.Lines, lines[lbl])
	}
	for i, od := range outcomeDefs {
		byDim := results[i]
		// Gender rows: women, men, and the others merged.
		var groups [3]analytics.Figure
		var total analytics.Figure
		for _, f := range byDim[0] {
			if f.Group == nil {
				total = f
				continue
			}
			g := &groups[genderIndex(f.Group[0].Value)]
			g.N, g.Known, g.Count, g.Version = g.N+f.N, g.Known+f.Known, g.Count+f.Count, f.Version
		}
		version := total.Version
		gt := tableOf(od.key+"-gender", od.title+", efter kön", outcomeColumns...)
		var parts [][]*Cell
		for i, gr := range genderRows {
			cells := b.outcomeCells(groups[i], version)
			gt.row(gr.key, gr.label, false, cells[:5]...)
			parts = append(parts, cells)
			if i < 2 {
				lines[gr.label].Points = append(lines[gr.label].Points, &Point{Label: od.key, Cell: cells[4]})
			}
		}
		tc := b.outcomeCells(total, version)
		b.sumOutcome(tc, parts)
		b.outcomeKeys(od.key, tc)
		gt.row("total", "Totalt", true, tc[:5]...)
		lines["Totalt"].Points = append(lines["Totalt"].Points, &Point{Label: od.key, Cell: tc[4]})

		mt := tableOf(od.key+"-measure", od.title+", efter insats", outcomeColumns...)
		parts = nil
		for i, f := range byDim[1] {
			if f.Group == nil {
				continue
			}
			cells := b.outcomeCells(f, version)
			mt.row(fmt.Sprintf("m%d", i), measureLabel(measures, f.Group[0].Value), false, cells[:5]...)
			parts = append(parts, cells)
		}
		tm := b.outcomeCells(total, version)
		b.sumOutcome(tm, parts)
		b.outcomeKeys(od.key, tm)
		mt.row("total", "Totalt", true, tm[:5]...)
		sec.Tables = append(sec.Tables, gt, mt)
	}
	sec.Series = []*Series{chart}
	return sec, nil
}

// measureLabel is a measure code as the catalogue names it (store.measureNames).
func measureLabel(names map[string]string, code string) string {
	if l, ok := names[code]; ok {
		return l
	}
	if code == "" {
		return "Okänd insats"
	}
	return code // a code no catalogue of the scope has any longer
}

// outcomeCells adds n, known, unknown, count and the share of one outcome figure, with
// the relations n = known + unknown and known = count + not (not is never printed).
func (b *builder) outcomeCells(f analytics.Figure, version string) []*Cell {
	n := b.count(f.N, version)
	known := b.count(f.Known, version)
	unknown := b.count(f.N-f.Known, version)
	count := b.count(f.Count, version)
	not := b.implicit(f.Known - f.Count)
	b.sum(n, known, unknown)
	b.sum(known, count, not)
	sh := b.share(count, known, version)
	sh.unknown = unknown
	// not is kept as the sixth, unprinted cell so that sums over rows can reach it.
	return []*Cell{n, known, unknown, count, sh, not}
}

func (b *builder) sumOutcome(total []*Cell, parts [][]*Cell) {
	for _, j := range []int{0, 1, 2, 3, 5} {
		var ps []*Cell
		for _, p := range parts {
			ps = append(ps, p[j])
		}
		b.sum(total[j], ps...)
	}
}

func (b *builder) outcomeKeys(def string, total []*Cell) {
	for j, col := range []string{"n", "known", "unknown", "count", "", "not"} {
		if col != "" {
			b.key("outcome/"+def+"/"+col, total[j])
		}
	}
}

func memberSection(b *builder, sc Scope, flows *future[*flowCounts]) (*Section, error) {
	fc, err := flows.get()
	if err != nil {
		return nil, err
	}
	rows := fc.groups["organisation"]
	byCode := map[string]groupRow{}
	for _, r := range rows {
		byCode[r.Key] = r
	}
	members := append([]organisation.Organisation(nil), sc.Members...)
	sort.Slice(members, func(i, j int) bool { return members[i].Name < members[j].Name })
	t := tableOf("members", "Medlemskommunerna sida vid sida, hittills i år", Column{"decisions", "Beslut"},
		Column{"starts", "Påbörjade"}, Column{"exits", "Avslutade"}, Column{"ongoing", "Pågående vid månadens slut"})
	var cols [4][]*Cell
	var sums [4]int
	for _, m := range members {
		gr := byCode[m.Code]
		vals := [4]int{gr.Decisions, gr.Starts, gr.Exits, gr.Ongoing}
		var cells []*Cell
		for j, v := range vals {
			c := b.count(v, FlowsVersion)
			cols[j] = append(cols[j], c)
			sums[j] += v
			cells = append(cells, c)
		}
		t.row(m.Code, m.Name, false, cells...)
	}
	var totals []*Cell
	for j, key := range []string{"flow/decisions/ytd/t", "flow/starts/ytd/t", "flow/exits/ytd/t", "ongoing/t"} {
		c := b.count(sums[j], FlowsVersion)
		b.sum(c, cols[j]...)
		b.key(key, c)
		totals = append(totals, c)
	}
	t.row("total", "Summa", true, totals...)
	return &Section{Key: "members", Title: "Medlemskommuner", Tables: []*Table{t}}, nil
}
