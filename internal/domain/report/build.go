package report

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/errgroup"

	"github.com/arbetsmarknad/outcomes/internal/domain/actionplan"
	"github.com/arbetsmarknad/outcomes/internal/domain/organisation"
	"github.com/arbetsmarknad/outcomes/internal/domain/project"
	"github.com/arbetsmarknad/outcomes/internal/domain/quota"
	"github.com/arbetsmarknad/outcomes/internal/domain/referral"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/calendar"
	"github.com/arbetsmarknad/outcomes/warehouse/analytics"
	"github.com/arbetsmarknad/outcomes/warehouse/outcomes"
)

// Service builds, freezes and reopens steering reports.
type Service struct {
	pool      *pgxpool.Pool
	st        store
	orgs      *organisation.Store
	projects  *project.Store
	quotas    *quota.Store
	warehouse driver.Conn
	figures   FiguresFunc
	now       func() time.Time
}

// FiguresFunc computes outcome figures: analytics.Figures on the warehouse, or the
// oracle's (analytics.Oracle.Figures, recomputed from PostgreSQL) in tests that require
// the report to agree with it.
type FiguresFunc func(ctx context.Context, cohorts []analytics.Cohort, def analytics.Definition, by []analytics.Dimension,
	opts ...analytics.Option) ([]analytics.Figure, error)

// WithFigures returns a copy of s that takes its outcome figures from f.
func (s *Service) WithFigures(f FiguresFunc) *Service {
	c := *s
	c.figures = f
	return &c
}

// NewService returns a service on the operational pool and the warehouse.
func NewService(pool *pgxpool.Pool, warehouse driver.Conn) *Service {
	return &Service{pool: pool, st: store{pool: pool}, orgs: organisation.NewStore(pool),
		projects: project.NewStore(pool), quotas: quota.NewStore(pool), warehouse: warehouse, now: time.Now}
}

// ParseMonth reads "YYYY-MM" as the first day of that month; field names the input.
func ParseMonth(field, s string) (time.Time, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil || t.Year() < 2000 || t.Year() > 2100 {
		return time.Time{}, apperr.Invalidf(field, "month must be YYYY-MM between 2000 and 2100")
	}
	return t, nil
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
	if today := calendar.Today(s.now()); month.After(today) {
		return nil, apperr.Invalidf("month", "the month %s has not begun", month.Format("2006-01"))
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
	steps := []func() (*Section, error){
		func() (*Section, error) { return s.targetsSection(ctx, b, sc, month, monthEnd) },
		func() (*Section, error) { return s.quotaSection(ctx, b, sc, month, monthEnd) },
		func() (*Section, error) { return s.flowSection(ctx, b, sc, months, monthEnd) },
		func() (*Section, error) { return s.overdueSection(ctx, b, sc, monthEnd) },
		func() (*Section, error) { return s.outcomeSection(ctx, b, sc, month, monthEnd) },
		func() (*Section, error) { return s.costSection(ctx, b, sc, month, monthEnd) },
	}
	if r.Regional {
		steps = append(steps, func() (*Section, error) { return s.memberSection(ctx, b, sc, yearStart, monthEnd) })
	}
	r.timings = map[string]time.Duration{}
	for _, step := range steps {
		t0 := time.Now()
		sec, err := step()
		if err != nil {
			return nil, err
		}
		if sec != nil {
			r.timings[sec.Key] = time.Since(t0)
		}
		if sec != nil {
			r.Sections = append(r.Sections, sec)
		}
	}
	t0 := time.Now()
	b.finish(r)
	r.timings["protect"] = time.Since(t0)
	r.Definitions = definitions(r)
	return r, nil
}

func monthLabel(m time.Time) string { return swedishMonths[m.Month()-1] + " " + fmt.Sprint(m.Year()) }

var swedishMonths = []string{"januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
	"september", "oktober", "november", "december"}

// additive metrics add up month by month; participants (people counted once over the
// period) do not.
func additive(m project.Metric) bool { return m != project.Participants }

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

func (s *Service) targetsSection(ctx context.Context, b *builder, sc Scope, month, monthEnd time.Time) (*Section, error) {
	targets, err := s.projects.TargetsActiveIn(aggregateContext(ctx), sc.OrgIDs, month, monthEnd)
	if err != nil {
		return nil, err
	}
	sec := &Section{Key: "targets", Title: "Mål och utfall",
		Intro: "Utfall mot målen som gäller under månaden: i månaden och hittills under målperioden, uppdelat på kön."}
	main := tableOf("targets", "Mål och utfall hittills under målperioden",
		Column{"target", "Mål"}, Column{"month", "Utfall i månaden"}, Column{"women", "Kvinnor"}, Column{"men", "Män"},
		Column{"other", "Övriga/ej angivet"}, Column{"total", "Utfall hittills"}, Column{"share", "Andel av målet"},
		Column{"womenShare", "Andel kvinnor"}, Column{"womenTarget", "Målandel kvinnor"})
	sec.Tables = append(sec.Tables, main)
	if len(targets) == 0 {
		main.Note = "Inga mål gäller under månaden."
		return sec, nil
	}
	version := project.ProgressVersion
	for i, t := range targets {
		rowKey := fmt.Sprintf("t%d", i+1)
		label := t.Name
		if len(sc.OrgIDs) > 1 {
			label = s.orgName(sc, t.OrganisationID) + ": " + t.Name
		}
		// Month by month from the period start (at most the last 24 months) up to this one.
		first := time.Date(t.PeriodStart.Year(), t.PeriodStart.Month(), 1, 0, 0, 0, 0, time.UTC)
		if limit := month.AddDate(0, -23, 0); first.Before(limit) {
			first = limit
		}
		type monthFig struct {
			m time.Time
			g byGender
		}
		var figs []monthFig
		if additive(t.Metric) {
			for m := first; !m.After(month); m = m.AddDate(0, 1, 0) {
				figs = append(figs, monthFig{m: m})
			}
			// The months are independent statements: ask them at once.
			g, gctx := errgroup.WithContext(aggregateContext(ctx))
			g.SetLimit(4)
			for i := range figs {
				g.Go(func() error {
					tm := t
					if figs[i].m.After(tm.PeriodStart) {
						tm.PeriodStart = figs[i].m
					}
					if tm.PeriodStart.After(t.PeriodEnd) {
						return nil
					}
					p, err := s.projects.Progress(gctx, tm, figs[i].m.AddDate(0, 1, -1))
					if err != nil {
						return err
					}
					figs[i].g = byGender{p.Women, p.Men, p.Total - p.Women - p.Men}
					return nil
				})
			}
			if err := g.Wait(); err != nil {
				return nil, err
			}
		}
		ytd, err := s.projects.Progress(aggregateContext(ctx), t, monthEnd)
		if err != nil {
			return nil, err
		}
		yg := byGender{ytd.Women, ytd.Men, ytd.Total - ytd.Women - ytd.Men}
		tm := t
		if month.After(tm.PeriodStart) {
			tm.PeriodStart = month
		}
		var mg byGender
		if !tm.PeriodStart.After(t.PeriodEnd) {
			p, err := s.projects.Progress(aggregateContext(ctx), tm, monthEnd)
			if err != nil {
				return nil, err
			}
			mg = byGender{p.Women, p.Men, p.Total - p.Women - p.Men}
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
		if !additive(t.Metric) {
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

func (s *Service) orgName(sc Scope, id string) string {
	for _, m := range sc.Members {
		if m.ID == id {
			return m.Name
		}
	}
	return sc.Organisation.Name
}

func (s *Service) quotaSection(ctx context.Context, b *builder, sc Scope, month, monthEnd time.Time) (*Section, error) {
	qs, err := s.quotas.ActiveIn(aggregateContext(ctx), sc.OrgIDs, month, monthEnd)
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
	for i, q := range qs {
		allocs, err := s.quotas.Allocations(aggregateContext(ctx), q, monthEnd)
		if err != nil {
			return nil, err
		}
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

func (s *Service) flowSection(ctx context.Context, b *builder, sc Scope, months []time.Time, monthEnd time.Time) (*Section, error) {
	from := months[0]
	sec := &Section{Key: "flows", Title: "Månadens flöden",
		Intro: "Månad för månad under året och hittills i år. Varje rad räknar insatser (eller anvisningar), inte personer."}
	all, err := s.st.flows(ctx, sc.OrgIDs, from, monthEnd)
	if err != nil {
		return nil, err
	}
	for _, ft := range flowTitles {
		counts := all[ft.f]
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
	var ends []time.Time
	for _, m := range months {
		ends = append(ends, m.AddDate(0, 1, -1))
	}
	ongoing, err := s.st.ongoing(ctx, sc.OrgIDs, ends)
	if err != nil {
		return nil, err
	}
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
	reasons, err := s.st.exitReasons(ctx, sc.OrgIDs, from, monthEnd)
	if err != nil {
		return nil, err
	}
	rt := tableOf("exitReasons", "Avslut efter orsak, hittills i år", genderColumns...)
	var rrows [][]*Cell
	var ytd byGender
	for _, code := range outcomes.Statuses {
		g, ok := reasons[code]
		if !ok {
			continue
		}
		cells := b.genderCells(g, FlowsVersion)
		rt.row(code, statusLabels[code], false, cells...)
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
		rows, err := s.st.byGroup(ctx, g.group, sc.OrgIDs, from, monthEnd)
		if err != nil {
			return nil, err
		}
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

// statusLabels are the Swedish names of the exit reasons.
var statusLabels = map[string]string{
	outcomes.StatusUnsubsidisedFull: "Osubventionerat arbete, heltid",
	outcomes.StatusUnsubsidisedPart: "Osubventionerat arbete, deltid",
	outcomes.StatusSubsidised:       "Subventionerad anställning",
	outcomes.StatusStudies:          "Studier",
	outcomes.StatusOtherMeasure:     "Annan insats",
	outcomes.StatusJobSeeking:       "Åter till Arbetsförmedlingen",
	outcomes.StatusSickLeave:        "Sjukskrivning eller aktivitetsersättning",
	outcomes.StatusParentalLeave:    "Föräldraledighet",
	outcomes.StatusMovedAway:        "Flyttat",
	outcomes.StatusDroppedOut:       "Avbrutit",
	outcomes.StatusOther:            "Övrigt",
	outcomes.StatusUnknown:          "Okänt",
}

// OverdueVersion names the overdue rules (the ones of overdueReferralFeedback and
// overdueFollowUps, counted on the report's day).
const OverdueVersion = "overdue/1"

func (s *Service) overdueSection(ctx context.Context, b *builder, sc Scope, monthEnd time.Time) (*Section, error) {
	asOf := monthEnd
	if today := calendar.Today(s.now()); today.Before(asOf) {
		asOf = today
	}
	actx := aggregateContext(ctx)
	fb, err := referral.CountOverdueByGender(actx, s.pool, sc.OrgIDs, asOf)
	if err != nil {
		return nil, err
	}
	fu, err := actionplan.CountOverdueByGender(actx, s.pool, sc.OrgIDs, asOf)
	if err != nil {
		return nil, err
	}
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
	return &Section{Key: "overdue", Title: "Försenad återkoppling och uppföljning", Tables: []*Table{t}}, nil
}

// outcomeDefs are the outcome figures of earlier exit cohorts the report shows.
var outcomeDefs = []struct {
	key, title string
	def        analytics.Definition
}{
	{"ws6", "I arbete eller studier 6 månader efter avslut", analytics.InWorkOrStudiesAt(6)},
	{"ws12", "I arbete eller studier 12 månader efter avslut", analytics.InWorkOrStudiesAt(12)},
	{"lasting", "Fast förankring (arbete eller studier utan försörjningsstöd vid +6 och +12)", analytics.LastingAttachment(nil)},
}

var outcomeColumns = []Column{{"n", "Avslut att följa upp"}, {"known", "Känt utfall"}, {"unknown", "Okänt utfall"},
	{"count", "Uppfyller"}, {"share", "Andel av kända"}}

var genderRows = []struct{ key, label string }{{"women", "Kvinnor"}, {"men", "Män"}, {"other", "Övriga/ej angivet"}}

func (s *Service) outcomeSection(ctx context.Context, b *builder, sc Scope, month, monthEnd time.Time) (*Section, error) {
	figures := s.figures
	if figures == nil {
		if s.warehouse == nil {
			return nil, apperr.New(apperr.Unavailable, "", "the outcome warehouse is not reachable; try again shortly")
		}
		figures = func(ctx context.Context, cohorts []analytics.Cohort, def analytics.Definition, by []analytics.Dimension,
			opts ...analytics.Option) ([]analytics.Figure, error) {
			return analytics.Figures(ctx, s.warehouse, cohorts, def, by, opts...)
		}
	}
	year := month.Year() - 1
	cohort := analytics.Cohort{Label: fmt.Sprint(year), OrgIDs: sc.OrgIDs,
		ExitFrom: time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC), ExitTo: time.Date(year+1, 1, 1, 0, 0, 0, 0, time.UTC)}
	sec := &Section{Key: "outcomes", Title: fmt.Sprintf("Utfall för insatser som avslutades %d", year),
		Intro: fmt.Sprintf("Status 6 och 12 månader efter avslut för insatser som avslutades under %d, så som den var känd vid månadens slut. "+
			"Andelen räknas bland kända utfall; 95 %% konfidensintervall enligt Wilson, och gränserna om alla okända hade uppfyllt definitionen eller ingen.", year)}
	chart := &Series{Key: "outcomes-series", Title: "Andel i arbete eller studier och fast förankring, med 95 % intervall", Unit: "SHARE"}
	lines := map[string]*Line{}
	for _, lbl := range []string{"Kvinnor", "Män", "Totalt"} {
		lines[lbl] = &Line{Label: lbl, Style: "INTERVAL"}
		chart.Lines = append(chart.Lines, lines[lbl])
	}
	// Six independent warehouse queries (three definitions, by gender and by measure):
	// ask them at once.
	results := make([][2][]analytics.Figure, len(outcomeDefs))
	g, gctx := errgroup.WithContext(ctx)
	for i, od := range outcomeDefs {
		for j, dim := range []analytics.Dimension{analytics.DimGender, analytics.DimMeasure} {
			g.Go(func() error {
				figs, err := figures(gctx, []analytics.Cohort{cohort}, od.def, []analytics.Dimension{dim}, analytics.Today(monthEnd))
				results[i][j] = figs
				return err
			})
		}
	}
	if err := g.Wait(); err != nil {
		return nil, err
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
			mt.row(fmt.Sprintf("m%d", i), measureLabel(f.Group[0].Value), false, cells[:5]...)
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

// measureLabel is the catalogue code as a readable label.
func measureLabel(code string) string {
	if l, ok := measureNames[code]; ok {
		return l
	}
	if code == "" {
		return "Okänd insats"
	}
	return code
}

var measureNames = map[string]string{
	"extra_job": "Extratjänst", "labour_market_employment": "Arbetsmarknadsanställning", "work_practice": "Praktik",
	"supported_employment": "Supported employment", "work_training": "Arbetsträning",
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

func (s *Service) memberSection(ctx context.Context, b *builder, sc Scope, from, monthEnd time.Time) (*Section, error) {
	rows, err := s.st.byGroup(ctx, "organisation", sc.OrgIDs, from, monthEnd)
	if err != nil {
		return nil, err
	}
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
