package report

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"github.com/arbetsmarknad/outcomes/internal/domain/disclosure"
	"github.com/arbetsmarknad/outcomes/internal/domain/domaintest"
	"github.com/arbetsmarknad/outcomes/internal/domain/organisation"
	"github.com/arbetsmarknad/outcomes/internal/domain/quota"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
	"github.com/arbetsmarknad/outcomes/warehouse/loader"
	"github.com/arbetsmarknad/outcomes/warehouse/outcomes"
	"github.com/arbetsmarknad/outcomes/warehouse/pseudonym"
)

// TestReportEqualsOracleOnRandomHistories: random histories of two municipalities (and a
// regional body over both) are written to PostgreSQL and loaded into ClickHouse by the
// loader; the report is built as in production, and every figure of every table —
// targets and their months, quotas, flows, stock, exit reasons, by measure and by unit,
// overdue counts, outcomes of the exit cohort, the members — is recomputed here in plain
// Go from the histories as the generator drew them (not from the report's SQL) and must
// be equal, before protection (the true value of each cell) and after it (every shown
// cell shows the oracle's value, every count of 1–4 is hidden, and the audit finds no
// hidden count that shown cells give away). REPORT_PROPERTY_SEED replays a run.
func TestReportEqualsOracleOnRandomHistories(t *testing.T) {
	t.Parallel()
	seed := uint64(13)
	if s := os.Getenv("REPORT_PROPERTY_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("REPORT_PROPERTY_SEED: %v", err)
		}
		seed = v
	}
	t.Logf("seed %d (REPORT_PROPERTY_SEED=%d replays this run)", seed, seed)
	ctx := auth.With(context.Background(), auth.Principal{Subject: "report-oracle", System: true})
	pg := testenv.Postgres(t)
	ch, _ := testenv.ClickHouse(t)
	loadDay := time.Date(2019, 3, 15, 10, 0, 0, 0, time.UTC)
	g := &histories{rnd: rand.New(rand.NewPCG(seed, 0x2e9)), pg: pg, lastDay: time.Date(2019, 2, 28, 0, 0, 0, 0, time.UTC)}
	orgA := g.municipality(t, ctx, "rapa", 70)
	orgB := g.municipality(t, ctx, "rapb", 50)
	orgs := organisation.NewStore(pg)
	region := domaintest.OrganisationWith(t, pg, organisation.CreateInput{Code: "rapr", Name: "Förbundet", Kind: organisation.RegionalBody})
	for _, m := range []string{orgA, orgB} {
		if _, err := orgs.AddRegionalMember(ctx, region.ID, m); err != nil {
			t.Fatal(err)
		}
	}
	l := &loader.Loader{PG: pg, CH: ch, Keys: pseudonym.New([]byte("report-oracle-test-key-0123456789")),
		Log: zerolog.Nop(), Now: func() time.Time { return loadDay }}
	if _, err := l.Rebuild(ctx, loader.RebuildOptions{PageSize: 41, Fresh: true}); err != nil {
		t.Fatalf("rebuild: %v", err)
	}
	svc := NewService(pg, ch)
	svc.now = func() time.Time { return loadDay }

	var hiddenSmall, hiddenLarge, shown int
	type reportOf struct {
		org   string
		month time.Time
	}
	cases := []reportOf{
		{orgA, time.Date(2018, 12, 1, 0, 0, 0, 0, time.UTC)},
		{orgA, time.Date(2018, 6, 1, 0, 0, 0, 0, time.UTC)},
		{orgB, time.Date(2018, 10, 1, 0, 0, 0, 0, time.UTC)},
		{region.ID, time.Date(2018, 12, 1, 0, 0, 0, 0, time.UTC)},
	}
	if raceEnabled {
		cases = cases[3:] // the regional report: both members, their targets and quotas, the members table
	}
	for _, c := range cases {
		sc, err := svc.ResolveScope(ctx, c.org, nil)
		if err != nil {
			t.Fatal(err)
		}
		r, err := svc.Build(ctx, sc, c.month)
		if err != nil {
			t.Fatal(err)
		}
		what := sc.Organisation.Code + " " + c.month.Format("2006-01")
		want, shares := g.oracle(sc, c.month, loadDay)
		seen := map[string]bool{}
		for _, cell := range r.Cells() {
			switch cell.Kind {
			case KindCount, KindTarget, KindAmount:
				seen[cell.ID] = true
				w, ok := want[cell.ID]
				if !ok {
					t.Errorf("%s: %s = %d has no oracle value", what, cell.ID, cell.raw)
					continue
				}
				if cell.raw != w { // before protection
					t.Errorf("%s: %s = %d, oracle %d", what, cell.ID, cell.raw, w)
				}
				guarded := false // an amount (kronor) is hidden with any count it guards against
				for _, g := range cell.guards {
					guarded = guarded || g.Suppressed
				}
				if cell.guards != nil && cell.Suppressed != guarded {
					t.Errorf("%s: amount %s suppressed %v, its counts' %v", what, cell.ID, cell.Suppressed, guarded)
				}
				switch { // after it
				case cell.Suppressed && cell.guards != nil:
					if cell.Value != nil || cell.Display != disclosure.HiddenText {
						t.Errorf("%s: hidden amount %s shows %v %q", what, cell.ID, cell.Value, cell.Display)
					}
					hiddenLarge++
				case cell.Suppressed:
					if cell.Value != nil || cell.Display != disclosure.HiddenAs(w) {
						t.Errorf("%s: hidden %s shows %v %q", what, cell.ID, cell.Value, cell.Display)
					}
					if w >= 1 && w <= 4 {
						hiddenSmall++
					} else {
						hiddenLarge++
					}
				case cell.Value == nil || int(*cell.Value) != w || cell.Display != formatInt(w):
					t.Errorf("%s: %s shows %v %q, oracle %d", what, cell.ID, cell.Value, cell.Display, w)
				case cell.Kind == KindCount && w >= 1 && w <= 4:
					t.Errorf("%s: %s shows the small count %d", what, cell.ID, w)
				default:
					shown++
				}
			case KindShare:
				ratio, ok := shares[cell.ID]
				if !ok {
					t.Errorf("%s: share %s has no oracle value", what, cell.ID)
					continue
				}
				seen[cell.ID] = true
				if cell.Suppressed {
					continue
				}
				wantText := "–"
				if ratio[1] != 0 {
					wantText = FormatShare(float64(ratio[0]) / float64(ratio[1]))
				}
				if cell.Display != wantText {
					t.Errorf("%s: share %s shows %q, oracle %d/%d = %q", what, cell.ID, cell.Display, ratio[0], ratio[1], wantText)
				}
			}
		}
		for id := range want {
			if !seen[id] {
				t.Errorf("%s: the oracle has %s = %d, the report has no such cell", what, id, want[id])
			}
		}
		for id := range shares {
			if !seen[id] {
				t.Errorf("%s: the oracle has the share %s, the report has no such cell", what, id)
			}
		}
		if pairs, exact := r.Audit(); len(pairs) > 0 || len(exact) > 0 {
			t.Errorf("%s: hidden counts can be worked out: by one relation %v, by several %v", what, pairs, exact)
		}
	}
	// Equality proves little unless the histories make every kind of cell.
	if hiddenSmall < 20*len(cases) || hiddenLarge < 5 || shown < 100*len(cases) {
		t.Errorf("too thin: %d hidden small counts, %d hidden by secondary suppression, %d shown", hiddenSmall, hiddenLarge, shown)
	}
	t.Logf("%d cells shown equal to the oracle, %d small counts hidden, %d others hidden with them", shown, hiddenSmall, hiddenLarge)
}

// histories draws and writes random case histories and keeps what it drew.
type histories struct {
	rnd     *rand.Rand
	pg      *pgxpool.Pool
	lastDay time.Time
	orgs    []*hOrg
	serial  int
}

type hOrg struct {
	id, code, name string
	people         []*hPerson
	units          []hRef
	depts          []hDept
	measures       []hMeasure
	targets        []hTarget
	quotas         []hQuota
}

type hRef struct{ id, name string }

type hDept struct {
	id, name  string
	headcount int
}

type hMeasure struct {
	id, code string
	muni     bool
}

type hPerson struct {
	p         outcomes.Person
	gender    string
	enrols    []*hEnrol
	referrals []hReferral
	followUps []hFollowUp
}

type hEnrol struct {
	id       string
	measure  hMeasure
	decision *time.Time
	start    time.Time
	end      *time.Time
	reason   string
	unit     string // name, "" for none
	unitID   *string
	hostID   *string
}

type hReferral struct {
	date      time.Time
	due, sent *time.Time
}

type hFollowUp struct {
	enrol         *hEnrol // nil: about no particular enrolment
	held, nextDue time.Time
}

type hTarget struct {
	name, metric   string
	start, end     time.Time
	total          int
	women          *int
	measure, unit  *string // ids
	measureCode    string
	unitName       string
	periodStartKey string
}

type hQuota struct {
	name       string
	total      int
	start, end time.Time
	measure    *string
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func (g *histories) date(from, to time.Time) time.Time {
	return from.AddDate(0, 0, g.rnd.IntN(int(to.Sub(from).Hours()/24)+1))
}

func (g *histories) pick(xs ...string) string { return xs[g.rnd.IntN(len(xs))] }

// municipality creates an organisation with units, departments, n people with their
// histories, targets and quotas, and returns its id.
func (g *histories) municipality(t *testing.T, ctx context.Context, code string, n int) string {
	t.Helper()
	o := domaintest.OrganisationWith(t, g.pg, organisation.CreateInput{Code: code, Name: "Kommun " + code, Kind: organisation.Municipality})
	h := &hOrg{id: o.ID, code: o.Code, name: o.Name}
	g.orgs = append(g.orgs, h)
	q := func(sql string, args ...any) string {
		var id string
		if err := g.pg.QueryRow(ctx, sql+` RETURNING id`, args...).Scan(&id); err != nil {
			t.Fatalf("%.60s: %v", sql, err)
		}
		return id
	}
	for _, name := range []string{"Stöd till arbete", "Ung intro"} {
		h.units = append(h.units, hRef{q(`INSERT INTO unit (organisation_id, name) VALUES ($1, $2)`, o.ID, name), name})
	}
	for i, hc := range []int{300, 120, 0, 45} { // a department without headcount gets no quota
		name := fmt.Sprintf("Förvaltning %c", 'A'+i)
		h.depts = append(h.depts, hDept{q(`INSERT INTO employer (organisation_id, kind, name, headcount) VALUES ($1, 'municipal_department', $2, $3)`,
			o.ID, name, hc), name, hc})
	}
	rows, err := g.pg.Query(ctx, `SELECT id, code, municipal_employment FROM measure_type WHERE organisation_id = $1 ORDER BY code`, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var m hMeasure
		if err := rows.Scan(&m.id, &m.code, &m.muni); err != nil {
			t.Fatal(err)
		}
		h.measures = append(h.measures, m)
	}
	if rows.Err() != nil || len(h.measures) < 3 || !slices.ContainsFunc(h.measures, func(m hMeasure) bool { return m.muni }) {
		t.Fatalf("catalogue %v: %v", h.measures, rows.Err())
	}
	later := &pgx.Batch{} // rows nothing refers to, sent at once
	for range n {
		g.person(h, q, later)
	}
	if err := g.pg.SendBatch(ctx, later).Close(); err != nil {
		t.Fatalf("write histories: %v", err)
	}
	// Targets: tied to the flows (decisions, starts, referrals of the whole
	// organisation), a period beginning the year before, people counted once, and
	// narrower scopes.
	extra := h.measures[g.rnd.IntN(len(h.measures))]
	women := func(v int) *int { return &v }
	h.targets = []hTarget{
		{name: "Beslut 2018", metric: "decisions", start: day(2018, 1, 1), end: day(2018, 12, 31), total: 60, women: women(30)},
		{name: "Starter 2017-2018", metric: "starts", start: day(2017, 7, 15), end: day(2018, 12, 31), total: 90},
		{name: "Deltagare 2018", metric: "participants", start: day(2018, 1, 1), end: day(2018, 12, 31), total: 40, women: women(25)},
		{name: "Anvisningar", metric: "referrals", start: day(2018, 3, 1), end: day(2019, 2, 28), total: 30},
		{name: "Till arbete eller studier", metric: "exits_to_work_or_studies", start: day(2018, 1, 1), end: day(2018, 9, 30), total: 12,
			unit: &h.units[0].id, unitName: h.units[0].name},
		{name: "Beslut i " + extra.code, metric: "decisions", start: day(2018, 2, 1), end: day(2018, 11, 30), total: 15,
			measure: &extra.id, measureCode: extra.code},
	}
	for _, tg := range h.targets {
		var men *int
		if tg.women != nil {
			men = women(tg.total - *tg.women)
		}
		q(`INSERT INTO target (organisation_id, name, metric, period_start, period_end, total, women, men, measure_type_id, unit_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, o.ID, tg.name, tg.metric, tg.start, tg.end, tg.total, tg.women, men, tg.measure, tg.unit)
	}
	h.quotas = []hQuota{
		{name: "Kvot 2018", total: 25, start: day(2018, 1, 1), end: day(2018, 12, 31)},
		{name: "Kvot i " + extra.code, total: 7, start: day(2018, 4, 1), end: day(2019, 3, 31), measure: &extra.id},
	}
	for _, qt := range h.quotas {
		q(`INSERT INTO quota (organisation_id, name, total, period_start, period_end, measure_type_id) VALUES ($1, $2, $3, $4, $5, $6)`,
			o.ID, qt.name, qt.total, qt.start, qt.end, qt.measure)
	}
	return o.ID
}

// person draws one person: enrolments in a chain (some running, some overlapping), with
// decisions, units and host departments; referrals with feedback due and sometimes sent;
// follow-up meetings; monthly observations after the exits.
func (g *histories) person(h *hOrg, q func(string, ...any) string, later *pgx.Batch) {
	g.serial++
	hp := &hPerson{gender: g.pick("woman", "woman", "man", "man", "other", "not_stated")}
	birth := g.date(day(1960, 1, 1), day(2000, 12, 31))
	hp.p = outcomes.Person{Gender: hp.gender, BirthDate: birth}
	hp.p.ID = q(`INSERT INTO participant (organisation_id, personal_identity_number, gender, birth_date) VALUES ($1, $2, $3, $4)`,
		h.id, fmt.Sprintf("%s-%04d", birth.Format("20060102"), g.serial), hp.gender, birth)
	h.people = append(h.people, hp)
	start := g.date(day(2016, 1, 1), day(2018, 12, 31))
	busy := map[string]time.Time{} // measure -> the day after its last spell (no overlap in one measure)
	for e := 0; e < 1+g.rnd.IntN(3) && !start.After(g.lastDay); e++ {
		m := h.measures[g.rnd.IntN(len(h.measures))]
		if free, ok := busy[m.id]; ok && start.Before(free) {
			break
		}
		he := &hEnrol{measure: m, start: start}
		if g.rnd.IntN(6) > 0 {
			d := start.AddDate(0, 0, -g.rnd.IntN(40))
			he.decision = &d
		}
		if g.rnd.IntN(5) > 0 {
			end := start.AddDate(0, 0, g.rnd.IntN(420))
			if end.After(g.lastDay) {
				end = g.lastDay
			}
			he.end = &end
			he.reason = g.pick(outcomes.Statuses...)
		}
		if g.rnd.IntN(3) > 0 {
			u := h.units[g.rnd.IntN(len(h.units))]
			he.unit, he.unitID = u.name, &u.id
		}
		if g.rnd.IntN(3) > 0 {
			he.hostID = &h.depts[g.rnd.IntN(len(h.depts))].id
		}
		var reason *string
		if he.end != nil {
			reason = &he.reason
		}
		he.id = q(`INSERT INTO enrolment (organisation_id, participant_id, measure_type_id, decision_date, start_date, end_date, exit_reason,
			unit_id, host_employer_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			h.id, hp.p.ID, m.id, he.decision, he.start, he.end, reason, he.unitID, he.hostID)
		hp.enrols = append(hp.enrols, he)
		hp.p.Enrolments = append(hp.p.Enrolments, outcomes.Enrolment{ID: he.id, MeasureCode: m.code, MunicipalEmployment: m.muni,
			Start: he.start, End: he.end, ExitReason: he.reason})
		if he.end == nil {
			busy[m.id] = day(9999, 1, 1)
			start = start.AddDate(0, 0, 20+g.rnd.IntN(200)) // a parallel measure
			continue
		}
		busy[m.id] = he.end.AddDate(0, 0, 1)
		start = he.end.AddDate(0, 0, g.rnd.IntN(120)-10)
		if start.Before(he.start) {
			start = he.start
		}
	}
	// Referrals on distinct days; feedback due two weeks on (or not set), sent or not.
	used := map[time.Time]bool{}
	for range g.rnd.IntN(3) {
		d := g.date(day(2017, 6, 1), g.lastDay)
		if used[d] {
			continue
		}
		used[d] = true
		r := hReferral{date: d}
		if g.rnd.IntN(5) > 0 {
			due := d.AddDate(0, 0, 14)
			r.due = &due
			if g.rnd.IntN(2) == 0 {
				sent := d.AddDate(0, 0, g.rnd.IntN(40))
				r.sent = &sent
			}
		}
		later.Queue(`INSERT INTO referral (organisation_id, participant_id, source, referral_date, ordered, feedback_due_date, feedback_sent_date)
			VALUES ($1, $2, 'social_services', $3, '{work_practice}', $4, $5)`, h.id, hp.p.ID, r.date, r.due, r.sent)
		hp.referrals = append(hp.referrals, r)
		hp.p.Referrals = append(hp.p.Referrals, outcomes.Referral{Date: d, Source: "social_services"})
	}
	// Follow-up meetings on distinct days (the latest one decides), about an enrolment
	// or about none.
	held := map[time.Time]bool{}
	for _, he := range hp.enrols {
		for range g.rnd.IntN(3) {
			d := g.date(he.start, he.start.AddDate(0, 8, 0))
			if held[d] || d.After(g.lastDay) {
				continue
			}
			held[d] = true
			f := hFollowUp{enrol: he, held: d, nextDue: d.AddDate(0, 0, 20+g.rnd.IntN(70))}
			var eid *string
			if g.rnd.IntN(4) == 0 {
				f.enrol = nil
			} else {
				eid = &he.id
			}
			later.Queue(`INSERT INTO follow_up (organisation_id, participant_id, enrolment_id, held_on, next_due_date) VALUES ($1, $2, $3, $4, $5)`,
				h.id, hp.p.ID, eid, f.held, f.nextDue)
			hp.followUps = append(hp.followUps, f)
		}
	}
	// Observations: a status most months from the first start to the last day.
	first := outcomes.MonthOf(hp.enrols[0].start)
	for m := first; !m.After(g.lastDay); m = m.AddDate(0, 1, 0) {
		if g.rnd.IntN(3) == 0 {
			continue
		}
		st := g.pick(outcomes.StatusUnsubsidisedFull, outcomes.StatusStudies, outcomes.StatusJobSeeking, outcomes.StatusUnknown,
			outcomes.StatusSubsidised, outcomes.StatusUnsubsidisedPart)
		var sa *bool
		if g.rnd.IntN(2) == 0 {
			b := g.rnd.IntN(4) == 0
			sa = &b
		}
		later.Queue(`INSERT INTO outcome_observation (organisation_id, participant_id, month, status, social_assistance, source)
			VALUES ($1, $2, $3, $4, $5, 'caseworker')`, h.id, hp.p.ID, m, st, sa)
		hp.p.Observations = append(hp.p.Observations, outcomes.Observation{Month: m, Status: st, SocialAssistance: sa, Source: "caseworker"})
	}
}

// oracle computes every count and target cell of the report of sc for month (id ->
// value) and every share (id -> numerator, denominator), from the drawn histories, by
// the rules as the definitions state them (FlowsVersion, the target metrics, the quota
// rule, the overdue rules, and warehouse/outcomes for the outcome facts).
func (g *histories) oracle(sc Scope, month, today time.Time) (map[string]int, map[string][2]int) {
	want, shares := map[string]int{}, map[string][2]int{}
	monthEnd := month.AddDate(0, 1, -1)
	yearStart := day(month.Year(), 1, 1)
	var orgs []*hOrg
	for _, o := range g.orgs {
		if slices.Contains(sc.OrgIDs, o.id) {
			orgs = append(orgs, o)
		}
	}
	between := func(d *time.Time, from, to time.Time) bool { return d != nil && !d.Before(from) && !d.After(to) }
	col := func(gender string) string {
		switch gender {
		case "woman":
			return "women"
		case "man":
			return "men"
		}
		return "other"
	}
	gcount := func(prefix, gender string, n int) {
		want[prefix+"/"+col(gender)] += n
		want[prefix+"/total"] += n
	}
	gzero := func(prefix string) {
		for _, c := range []string{"women", "men", "other", "total"} {
			want[prefix+"/"+c] += 0
		}
	}
	var months []time.Time
	for m := yearStart; !m.After(month); m = m.AddDate(0, 1, 0) {
		months = append(months, m)
	}
	ongoingOn := func(e *hEnrol, d time.Time) bool { return !e.start.After(d) && (e.end == nil || e.end.After(d)) }

	// Targets: the active ones by organisation id, period start, name.
	type ot struct {
		o *hOrg
		t hTarget
	}
	var targets []ot
	for _, o := range orgs {
		for _, t := range o.targets {
			if !t.start.After(monthEnd) && !t.end.Before(month) {
				targets = append(targets, ot{o, t})
			}
		}
	}
	sort.SliceStable(targets, func(i, j int) bool {
		a, b := targets[i], targets[j]
		if a.o.id != b.o.id {
			return a.o.id < b.o.id
		}
		if !a.t.start.Equal(b.t.start) {
			return a.t.start.Before(b.t.start)
		}
		return a.t.name < b.t.name
	})
	// progress counts what a target's metric counts on the days [from, to].
	progress := func(o *hOrg, t hTarget, from, to time.Time) (w, m, total int) {
		if t.end.Before(to) {
			to = t.end
		}
		add := func(gender string) {
			total++
			switch gender {
			case "woman":
				w++
			case "man":
				m++
			}
		}
		for _, p := range o.people {
			if t.metric == "referrals" {
				for _, r := range p.referrals {
					if between(&r.date, from, to) {
						add(p.gender)
					}
				}
				continue
			}
			counted := false
			for _, e := range p.enrols {
				if (t.measure != nil && e.measure.id != *t.measure) || (t.unit != nil && (e.unitID == nil || *e.unitID != *t.unit)) {
					continue
				}
				switch t.metric {
				case "decisions":
					if between(e.decision, from, to) {
						add(p.gender)
					}
				case "starts":
					if between(&e.start, from, to) {
						add(p.gender)
					}
				case "exits_to_work_or_studies":
					if between(e.end, from, to) && outcomes.IsWorkOrStudies(e.reason) {
						add(p.gender)
					}
				case "participants":
					if !counted && !e.start.After(to) && (e.end == nil || !e.end.Before(from)) {
						counted = true
						add(p.gender)
					}
				}
			}
		}
		return w, m, total
	}
	for i, x := range targets {
		key := fmt.Sprintf("targets/t%d/", i+1)
		w, m, tot := progress(x.o, x.t, x.t.start, monthEnd)
		mFrom := month
		if x.t.start.After(mFrom) {
			mFrom = x.t.start
		}
		_, _, mt := progress(x.o, x.t, mFrom, monthEnd)
		want[key+"target"] = x.t.total
		want[key+"month"] = mt
		want[key+"women"], want[key+"men"], want[key+"other"], want[key+"total"] = w, m, tot-w-m, tot
		shares[key+"share"] = [2]int{tot, x.t.total}
		shares[key+"womenShare"] = [2]int{w, tot}
		if x.t.women != nil {
			shares[key+"womenTarget"] = [2]int{*x.t.women, x.t.total}
		}
		if x.t.metric == "participants" {
			continue
		}
		first := day(x.t.start.Year(), x.t.start.Month(), 1)
		if limit := month.AddDate(0, -23, 0); first.Before(limit) {
			first = limit
		}
		cum := 0
		for mm := first; !mm.After(month); mm = mm.AddDate(0, 1, 0) {
			from := mm
			if x.t.start.After(from) {
				from = x.t.start
			}
			w, m, tot := 0, 0, 0
			if !from.After(x.t.end) {
				w, m, tot = progress(x.o, x.t, from, mm.AddDate(0, 1, -1))
			}
			cum += tot
			mk := fmt.Sprintf("t%d-months/%s/", i+1, mm.Format("2006-01"))
			want[mk+"women"], want[mk+"men"], want[mk+"other"], want[mk+"total"], want[mk+"cumulative"] = w, m, tot-w-m, tot, cum
		}
	}

	// Quotas: each active quota over the departments with a headcount, by name.
	type oq struct {
		o *hOrg
		q hQuota
	}
	var quotas []oq
	for _, o := range orgs {
		for _, qt := range o.quotas {
			if !qt.start.After(monthEnd) && !qt.end.Before(month) {
				quotas = append(quotas, oq{o, qt})
			}
		}
	}
	sort.SliceStable(quotas, func(i, j int) bool {
		a, b := quotas[i], quotas[j]
		if a.o.id != b.o.id {
			return a.o.id < b.o.id
		}
		if !a.q.start.Equal(b.q.start) {
			return a.q.start.Before(b.q.start)
		}
		return a.q.name < b.q.name
	})
	for qi0, x := range quotas {
		o, qt, qi := x.o, x.q, qi0+1
		{
			to := monthEnd
			if qt.end.Before(to) {
				to = qt.end
			}
			var depts []hDept
			for _, d := range o.depts {
				if d.headcount > 0 {
					depts = append(depts, d)
				}
			}
			sort.Slice(depts, func(i, j int) bool { return depts[i].name < depts[j].name })
			var hcs []int
			for _, d := range depts {
				hcs = append(hcs, d.headcount)
			}
			alloc := quota.Allocate(qt.total, hcs)
			delivered := 0
			for j, d := range depts {
				n := 0
				for _, p := range o.people {
					for _, e := range p.enrols {
						on := e.decision
						if on == nil {
							on = &e.start
						}
						if e.hostID != nil && *e.hostID == d.id && between(on, qt.start, to) && (qt.measure == nil || *qt.measure == e.measure.id) {
							n++
						}
					}
				}
				key := fmt.Sprintf("q%d/d%d/", qi, j+1)
				want[key+"quota"], want[key+"delivered"] = alloc[j], n
				shares[key+"share"] = [2]int{n, alloc[j]}
				delivered += n
			}
			key := fmt.Sprintf("q%d/total/", qi)
			want[key+"quota"], want[key+"delivered"] = qt.total, delivered
			shares[key+"share"] = [2]int{delivered, qt.total}
		}
	}

	// Flows month by month and the year to date; the stock at each month end; exits by
	// reason; by measure and by unit; the members.
	for _, f := range []string{"referrals", "decisions", "starts", "ama_started", "exits"} {
		gzero(f + "/ytd")
		for _, m := range months {
			gzero(f + "/" + m.Format("2006-01"))
		}
	}
	for _, m := range months {
		gzero("ongoing/" + m.Format("2006-01"))
	}
	type grp struct{ decisions, starts, exits, ongoing int }
	byMeasure, byUnit, byOrg := map[string]*grp{}, map[string]*grp{}, map[string]*grp{}
	gr := func(m map[string]*grp, k string) *grp {
		if m[k] == nil {
			m[k] = &grp{}
		}
		return m[k]
	}
	for _, o := range orgs {
		for _, p := range o.people {
			for _, r := range p.referrals {
				if between(&r.date, yearStart, monthEnd) {
					gcount("referrals/"+r.date.Format("2006-01"), p.gender, 1)
					gcount("referrals/ytd", p.gender, 1)
				}
			}
			for _, e := range p.enrols {
				groups := []*grp{gr(byMeasure, e.measure.code), gr(byUnit, e.unit), gr(byOrg, o.code)}
				bump := func(f func(*grp)) {
					for _, x := range groups {
						f(x)
					}
				}
				if between(e.decision, yearStart, monthEnd) {
					gcount("decisions/"+e.decision.Format("2006-01"), p.gender, 1)
					gcount("decisions/ytd", p.gender, 1)
					bump(func(x *grp) { x.decisions++ })
				}
				if between(&e.start, yearStart, monthEnd) {
					gcount("starts/"+e.start.Format("2006-01"), p.gender, 1)
					gcount("starts/ytd", p.gender, 1)
					if e.measure.muni {
						gcount("ama_started/"+e.start.Format("2006-01"), p.gender, 1)
						gcount("ama_started/ytd", p.gender, 1)
					}
					bump(func(x *grp) { x.starts++ })
				}
				if between(e.end, yearStart, monthEnd) {
					gcount("exits/"+e.end.Format("2006-01"), p.gender, 1)
					gcount("exits/ytd", p.gender, 1)
					gzero("exitReasons/" + e.reason)
					gcount("exitReasons/"+e.reason, p.gender, 1)
					gcount("exitReasons/total", p.gender, 1)
					bump(func(x *grp) { x.exits++ })
				}
				for _, m := range months {
					if ongoingOn(e, m.AddDate(0, 1, -1)) {
						gcount("ongoing/"+m.Format("2006-01"), p.gender, 1)
					}
				}
				if ongoingOn(e, monthEnd) {
					bump(func(x *grp) { x.ongoing++ })
				}
			}
		}
	}
	gzero("exitReasons/total")
	groupTable := func(table string, m map[string]*grp, rowKey func(i int, k string) string) {
		var keys []string
		for k, x := range m {
			if x.decisions+x.starts+x.exits+x.ongoing > 0 {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		var sum grp
		for i, k := range keys {
			x := m[k]
			key := table + "/" + rowKey(i, k) + "/"
			want[key+"decisions"], want[key+"starts"], want[key+"exits"], want[key+"ongoing"] = x.decisions, x.starts, x.exits, x.ongoing
			sum.decisions, sum.starts, sum.exits, sum.ongoing = sum.decisions+x.decisions, sum.starts+x.starts, sum.exits+x.exits, sum.ongoing+x.ongoing
		}
		key := table + "/total/"
		want[key+"decisions"], want[key+"starts"], want[key+"exits"], want[key+"ongoing"] = sum.decisions, sum.starts, sum.exits, sum.ongoing
	}
	seq := func(i int, _ string) string { return fmt.Sprintf("g%d", i+1) }
	groupTable("measure", byMeasure, seq)
	groupTable("unit", byUnit, seq)
	if len(sc.Members) > 0 { // every member has a row, with something to count or not
		var sum grp
		for _, o := range orgs {
			x := gr(byOrg, o.code)
			key := "members/" + o.code + "/"
			want[key+"decisions"], want[key+"starts"], want[key+"exits"], want[key+"ongoing"] = x.decisions, x.starts, x.exits, x.ongoing
			sum.decisions, sum.starts, sum.exits, sum.ongoing = sum.decisions+x.decisions, sum.starts+x.starts, sum.exits+x.exits, sum.ongoing+x.ongoing
		}
		key := "members/total/"
		want[key+"decisions"], want[key+"starts"], want[key+"exits"], want[key+"ongoing"] = sum.decisions, sum.starts, sum.exits, sum.ongoing
	}

	// Overdue on the month's last day (or today, if earlier).
	asOf := monthEnd
	if today.Before(asOf) {
		asOf = today
	}
	gzero("overdue/feedback")
	gzero("overdue/followUps")
	for _, o := range orgs {
		for _, p := range o.people {
			for _, r := range p.referrals {
				if r.sent == nil && r.due != nil && r.due.Before(asOf) {
					gcount("overdue/feedback", p.gender, 1)
				}
			}
			for _, e := range p.enrols {
				if !ongoingOn(e, asOf) {
					continue
				}
				due := addMonthClamped(e.start)
				var last *hFollowUp
				for i, f := range p.followUps {
					if (f.enrol == nil || f.enrol == e) && !f.held.Before(e.start) && !f.held.After(asOf) &&
						(last == nil || f.held.After(last.held)) {
						last = &p.followUps[i]
					}
				}
				if last != nil {
					due = last.nextDue
				}
				if due.Before(asOf) {
					gcount("overdue/followUps", p.gender, 1)
				}
			}
		}
	}

	// Outcomes of the exits of the year before, on the month's last day.
	cohortFrom, cohortTo := day(month.Year()-1, 1, 1), day(month.Year(), 1, 1)
	lasting, err := outcomes.NewLasting(outcomes.DefaultLastingParams())
	if err != nil {
		panic(err)
	}
	hs := lasting.Params().Horizons
	for _, od := range []struct {
		key  string
		due  int
		fact func(p outcomes.Person, e outcomes.Enrolment) outcomes.Fact
	}{
		{"ws6", 6, func(p outcomes.Person, e outcomes.Enrolment) outcomes.Fact { return outcomes.InWorkOrStudies(p, e, 6) }},
		{"ws12", 12, func(p outcomes.Person, e outcomes.Enrolment) outcomes.Fact { return outcomes.InWorkOrStudies(p, e, 12) }},
		{"lasting", hs[len(hs)-1], lasting.Eval},
	} {
		type oc struct{ n, known, count int }
		byGender, byMeasure := map[string]*oc{"women": {}, "men": {}, "other": {}}, map[string]*oc{}
		var total oc
		for _, o := range orgs {
			for _, p := range o.people {
				for _, e := range p.p.Enrolments {
					if e.End == nil || e.End.Before(cohortFrom) || !e.End.Before(cohortTo) || !outcomes.Due(e, od.due, monthEnd) {
						continue
					}
					f := od.fact(p.p, e)
					if byMeasure[e.MeasureCode] == nil {
						byMeasure[e.MeasureCode] = &oc{}
					}
					for _, x := range []*oc{byGender[col(p.gender)], byMeasure[e.MeasureCode], &total} {
						x.n++
						if f.Known {
							x.known++
							if f.Value {
								x.count++
							}
						}
					}
				}
			}
		}
		put := func(key string, x oc) {
			want[key+"n"], want[key+"known"], want[key+"unknown"], want[key+"count"] = x.n, x.known, x.n-x.known, x.count
			shares[key+"share"] = [2]int{x.count, x.known}
		}
		for _, gk := range []string{"women", "men", "other"} {
			put(od.key+"-gender/"+gk+"/", *byGender[gk])
		}
		put(od.key+"-gender/total/", total)
		var codes []string
		for c := range byMeasure {
			codes = append(codes, c)
		}
		sort.Strings(codes)
		for i, c := range codes {
			put(fmt.Sprintf("%s-measure/m%d/", od.key, i+1), *byMeasure[c])
		}
		put(od.key+"-measure/total/", total)
	}

	// Costs of the same exits (costs/1, internal/domain/cost): the histories record no
	// cost items, so every net cost and every cost per unit is 0; participants (people,
	// not exits), completed measures (not dropped out) and lasting attachment (due on the
	// month's last day, known and attached) by measure and in total. A cost per unit is
	// shown only over at least 5 units.
	type cg struct {
		people              map[*hPerson]bool
		completed, attached int
	}
	costBy, costTotal := map[string]*cg{}, &cg{people: map[*hPerson]bool{}}
	for _, o := range orgs {
		for _, p := range o.people {
			for _, e := range p.p.Enrolments {
				if e.End == nil || e.End.Before(cohortFrom) || !e.End.Before(cohortTo) {
					continue
				}
				if costBy[e.MeasureCode] == nil {
					costBy[e.MeasureCode] = &cg{people: map[*hPerson]bool{}}
				}
				attached := false
				if outcomes.Due(e, hs[len(hs)-1], monthEnd) {
					f := lasting.Eval(p.p, e)
					attached = f.Known && f.Value
				}
				for _, x := range []*cg{costBy[e.MeasureCode], costTotal} {
					x.people[p] = true
					if e.ExitReason != outcomes.StatusDroppedOut {
						x.completed++
					}
					if attached {
						x.attached++
					}
				}
			}
		}
	}
	putCost := func(key string, x *cg) {
		units := map[string]int{"participants": len(x.people), "completed": x.completed, "lasting": x.attached}
		want[key+"net"] = 0
		for name, n := range units {
			want[key+name] = n
			if n >= 5 {
				want[key+"per_"+strings.TrimSuffix(name, "s")] = 0
			}
		}
	}
	for code, x := range costBy {
		putCost("costs-measure/m-"+code+"/", x)
	}
	if len(costBy) > 0 {
		putCost("costs-measure/total/", costTotal)
	}
	return want, shares
}

// addMonthClamped is a date one calendar month on, the last day of that month when it
// is shorter (31 January -> 28 February), as PostgreSQL adds a month to a date.
func addMonthClamped(d time.Time) time.Time {
	next := day(d.Year(), d.Month(), 1).AddDate(0, 1, 0)
	last := next.AddDate(0, 1, -1)
	if d.Day() > last.Day() {
		return last
	}
	return day(next.Year(), next.Month(), d.Day())
}
