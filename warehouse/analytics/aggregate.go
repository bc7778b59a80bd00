package analytics

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/arbetsmarknad/outcomes/warehouse/chstore"
	"github.com/arbetsmarknad/outcomes/warehouse/outcomes"
)

// The pre-aggregate (ClickHouse migration 0012, docs/ARCHITECTURE.md "The warehouse at
// scale"). enrolment_figures is a SummingMergeTree fed by a materialized view on every
// insert into enrolment_outcome: per organisation, month and grouping set, the counts of rows, rows whose fact is known and rows where it holds,
// for the definitions below at their standard parameters. Every count is multiplied by
// the row's sign, so a cancel row (chstore.Write, and the cancel rows an erasure writes
// before its mutation) subtracts exactly what its row added. Queries always sum() with
// GROUP BY, so a figure is the same whether or not the summing merges have run.
//
// A figure reads the aggregate when its definition is one of aggregated (by version, so
// its parameters are the ones held), its breakdown and cohorts need only the aggregate's
// dimensions, and the whole months of its cohort periods; the rest of a period (partial
// months at either end, and WIOA exits not yet established in every day of their month)
// is read from enrolment_outcome by figuresSQL, and the two tallies add up.

// aggregateTable is the SummingMergeTree, aggregateView the materialized view feeding it.
const (
	aggregateTable = "enrolment_figures"
	aggregateView  = "enrolment_figures_mv"
)

// aggregatedDef is one definition the aggregate holds: columns name_known and name_hit,
// and n from nColumn.
type aggregatedDef struct {
	name    string
	def     Definition
	nColumn string
}

// aggregated are the definitions held, at the parameters reports use by default.
var aggregated = func() []aggregatedDef {
	var out []aggregatedDef
	// In work or studies at exit and at every follow-up horizon; self-sufficient at the
	// follow-up horizons.
	for _, k := range append([]int{0}, outcomes.FollowUpHorizons[:]...) {
		out = append(out, aggregatedDef{"wos" + strconv.Itoa(k), InWorkOrStudiesAt(k), "n"})
	}
	for _, k := range outcomes.FollowUpHorizons {
		out = append(out, aggregatedDef{"ss" + strconv.Itoa(k), SelfSufficientAt(k), "n"})
	}
	return append(out,
		aggregatedDef{"lasting", LastingAttachment(nil), "n"},
		aggregatedDef{"returned_sa", Definition{Kind: KindReturnedToSA12}, "n"},
		aggregatedDef{"reentry", Definition{Kind: KindReentry12}, "n"},
		aggregatedDef{"repeated", Definition{Kind: KindRepeatedEntry}, "n"},
		aggregatedDef{"kolada", Definition{Kind: KindKoladaResultAtExit}, "kolada_n"},
		aggregatedDef{"wioa_q2", Definition{Kind: KindWIOAQ2}, "wioa_n"},
		aggregatedDef{"wioa_q4", Definition{Kind: KindWIOAQ4}, "wioa_n"},
	)
}()

// aggregateDims are the dimensions the aggregate keeps: the bit of the grouping set
// that keeps them (0: in every set), and their column there.
var aggregateDims = map[Dimension]struct {
	bit    uint8
	column string
}{
	DimGender:       {1, "g_gender"},
	DimMeasure:      {2, "g_measure"},
	DimAgeBand:      {4, "g_age_band"},
	DimMunicipality: {0, "org_code"},
	DimExitYear:     {0, ""},
	DimExitQuarter:  {0, ""},
	DimExitMonth:    {0, ""},
}

// groupingSets are the grouping sets the view writes for every row: every combination of
// gender, measure and age band (bits 1, 2, 4), so a figure reads the smallest set that
// holds its breakdown. A row with a WIOA exit is written a second time under gs + wioaSets,
// in the month of its WIOA exit date: the WIOA figures read those (their cohort is on that
// date), every other figure the first ones (month of exit_date).
const (
	groupingSets = 8
	wioaSets     = 8
)

// aggregateFor returns the aggregate's entry for c, if it holds it.
func aggregateFor(c compiled) (aggregatedDef, bool) {
	if c.perPerson || c.source == sourceESF {
		return aggregatedDef{}, false
	}
	for _, a := range aggregated {
		if v, _ := a.def.Version(); v == c.version && a.def.Kind == c.def.Kind {
			return a, true
		}
	}
	return aggregatedDef{}, false
}

// aggregateMask is the grouping set holding by and the cohorts' measure filters, or
// false when a dimension is not in the aggregate.
func aggregateMask(cohorts []Cohort, by []Dimension) (uint8, bool) {
	var mask uint8
	for _, d := range by {
		a, ok := aggregateDims[d]
		if !ok {
			return 0, false
		}
		mask |= a.bit
	}
	for _, co := range cohorts {
		if len(co.MeasureCodes) > 0 {
			mask |= aggregateDims[DimMeasure].bit
		}
	}
	return mask, true
}

// piece is part of cohort idx's exit period.
type piece struct {
	idx    int
	cohort Cohort
}

// plan splits each cohort's period into the whole months the aggregate answers and the
// rest, which the row table answers. rowsOnly (FromRows) or a figure the aggregate does
// not hold sends everything to the rows.
type plan struct {
	agg     aggregatedDef
	mask    uint8
	aggPart []piece
	rowPart []piece
}

func planFigures(cohorts []Cohort, c compiled, by []Dimension, today time.Time, rowsOnly bool) plan {
	var p plan
	all := func() plan {
		p.aggPart, p.rowPart = nil, nil
		for i, co := range cohorts {
			p.rowPart = append(p.rowPart, piece{i, co})
		}
		return p
	}
	a, ok := aggregateFor(c)
	if !ok || rowsOnly {
		return all()
	}
	mask, ok := aggregateMask(cohorts, by)
	if !ok {
		return all()
	}
	p.agg, p.mask = a, mask
	// WIOA counts an exit once it is established (exit + 90 days <= today): the aggregate
	// answers only months all of whose days are.
	limit := time.Date(2106, 1, 1, 0, 0, 0, 0, time.UTC)
	if c.source == sourceWIOA {
		limit = outcomes.MonthOf(today.AddDate(0, 0, -(outcomes.WIOAGapDays - 1)))
	}
	for i, co := range cohorts {
		from, to := calendarDay(co.ExitFrom), calendarDay(co.ExitTo)
		aFrom := outcomes.MonthOf(from)
		if aFrom.Before(from) {
			aFrom = aFrom.AddDate(0, 1, 0)
		}
		aTo := outcomes.MonthOf(to)
		if limit.Before(aTo) {
			aTo = limit
		}
		if !aFrom.Before(aTo) {
			p.rowPart = append(p.rowPart, piece{i, co})
			continue
		}
		p.aggPart = append(p.aggPart, piece{i, withPeriod(co, aFrom, aTo)})
		if from.Before(aFrom) {
			p.rowPart = append(p.rowPart, piece{i, withPeriod(co, from, aFrom)})
		}
		if aTo.Before(to) {
			p.rowPart = append(p.rowPart, piece{i, withPeriod(co, aTo, to)})
		}
	}
	return p
}

func withPeriod(co Cohort, from, to time.Time) Cohort {
	co.ExitFrom, co.ExitTo = from, to
	return co
}

func cohortsOf(ps []piece) []Cohort {
	out := make([]Cohort, len(ps))
	for i, p := range ps {
		out[i] = p.cohort
	}
	return out
}

// setsOf is the first grouping set of the source's rows in the aggregate.
func (s source) setsOf() uint8 {
	if s == sourceWIOA {
		return wioaSets
	}
	return 0
}

// aggDueBefore is compiled.population on the aggregate, as the first exit month that does
// not count yet (zero: every month counts): the figures at +k count exits whose month
// exit + k has begun, a property of the exit month, so the bound is a month in Go rather
// than a function of every row; Kolada's population is its own n column; WIOA's is the
// month split of planFigures.
func (c compiled) aggDueBefore(today time.Time) time.Time {
	if k, ok := c.def.DueHorizon(); ok {
		return outcomes.MonthOf(today).AddDate(0, 1-k, 0)
	}
	return time.Time{}
}

// aggRoute says what tells the cohorts of an aggregate read apart, so that the read
// returns those columns and Go adds each row to every cohort it belongs to (aggTally)
// instead of ClickHouse testing every cohort's filter on every row: the one read covers
// the union of the cohorts (their organisations, months and measures), grouped by the
// columns that differ. A comparison of measures in one municipality group is grouped by
// measure, of exit years by month, of municipalities by organisation; one cohort by
// nothing. On 18.16 a two-cohort figure of a municipality group took half the time of
// the per-cohort filters (docs/BENCHMARKS.md).
type aggRoute struct {
	org, month, measure bool
}

func routeOf(cohorts []Cohort) aggRoute {
	var r aggRoute
	first := cohorts[0]
	for _, co := range cohorts[1:] {
		r.org = r.org || !sameSet(co.OrgIDs, first.OrgIDs)
		r.month = r.month || !co.ExitFrom.Equal(first.ExitFrom) || !co.ExitTo.Equal(first.ExitTo)
		r.measure = r.measure || !sameSet(co.MeasureCodes, first.MeasureCodes)
	}
	return r
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// union is the values of every cohort's list, nil when one cohort has none (no filter).
func union(cohorts []Cohort, list func(Cohort) []string) []string {
	var out []string
	for _, co := range cohorts {
		l := list(co)
		if len(l) == 0 {
			return nil
		}
		for _, v := range l {
			if !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
	}
	return out
}

// aggregateSQL reads the aggregate's grouping set p.mask for the pieces in p.aggPart:
// the route's columns (r_org, r_month, r_measure, those that tell the cohorts apart), the
// breakdown (g0, g1, ...) and the summed counts. It sums the columns in one SELECT (no
// subquery, no per-row cohort test): the aggregate's reads are a few granules, so
// ClickHouse's cost is mostly analysing and setting up the query.
func aggregateSQL(p plan, c compiled, by []Dimension, today time.Time) (string, []any, aggRoute) {
	cohorts := cohortsOf(p.aggPart)
	r := routeOf(cohorts)
	from, to := cohorts[0].ExitFrom, cohorts[0].ExitTo
	for _, co := range cohorts {
		if co.ExitFrom.Before(from) {
			from = co.ExitFrom
		}
		if co.ExitTo.After(to) {
			to = co.ExitTo
		}
	}
	var q sqlBuf
	var cols []string
	add := func(expr, alias string) {
		cols = append(cols, alias)
		q.text(expr, " AS ", alias, ", ")
	}
	q.text("SELECT ")
	if r.org {
		add("org_id", "r_org")
	}
	if r.month {
		add("month", "r_month")
	}
	if r.measure {
		add("g_measure", "r_measure")
	}
	for i, d := range by {
		expr := aggregateDims[d].column
		if expr == "" {
			expr = strings.ReplaceAll(dimensionSQL[d], dateToken, "month")
		}
		add(expr, "g"+strconv.Itoa(i))
	}
	q.text("sum(", p.agg.nColumn, ") AS x_n, sum(", p.agg.name, "_known) AS x_known, sum(", p.agg.name, "_hit) AS x_hit")
	q.text("\nFROM ", aggregateTable, " WHERE gs = ", strconv.Itoa(int(c.source.setsOf()+p.mask)))
	q.frag(fragf(" AND org_id IN ", bound(groupSet(union(cohorts, func(co Cohort) []string { return co.OrgIDs })))))
	q.frag(fragf(" AND month >= toDate(", bound(dateText(from)), ") AND month < toDate(", bound(dateText(to)), ")"))
	if due := c.aggDueBefore(today); !due.IsZero() {
		q.frag(fragf(" AND month < toDate(", bound(dateText(due)), ")"))
	}
	if m := union(cohorts, func(co Cohort) []string { return co.MeasureCodes }); len(m) > 0 {
		q.frag(fragf(" AND g_measure IN ", bound(groupSet(m))))
	}
	if len(cols) > 0 {
		q.text("\nGROUP BY ", strings.Join(cols, ", "))
	}
	q.text(" HAVING x_n != 0")
	return q.String(), q.args, r
}

// aggTally runs an aggregateSQL read and adds each row to every piece of pieces it
// belongs to (by the route's columns).
func aggTally(ctx context.Context, conn chstore.Querier, query string, args []any, r aggRoute, pieces []piece, dims int, t *tally) error {
	var (
		org, measure     string
		month            time.Time
		values           = make([]string, dims)
		n, known, counts int64
		dest             []any
	)
	if r.org {
		dest = append(dest, &org)
	}
	if r.month {
		dest = append(dest, &month)
	}
	if r.measure {
		dest = append(dest, &measure)
	}
	for i := range values {
		dest = append(dest, &values[i])
	}
	dest = append(dest, &n, &known, &counts)
	return eachRow(ctx, conn, query, args, dest, func() error {
		m, c := calendarDay(month), countsOf(n, known, counts)
		for _, p := range pieces {
			co := p.cohort
			if r.org && !slices.Contains(co.OrgIDs, org) ||
				r.month && (m.Before(co.ExitFrom) || !m.Before(co.ExitTo)) ||
				r.measure && len(co.MeasureCodes) > 0 && !slices.Contains(co.MeasureCodes, measure) {
				continue
			}
			t.add(p.idx, values, true, c)
		}
		return nil
	})
}

// aliasRef matches the aliases of a definition's pre-computed columns.
var aliasRef = regexp.MustCompile(`\bx_[a-z_]+[0-9]*\b`)

// viewAliases names the per-row values the view's facts share (the status and social
// assistance at a month, lasting attachment's fail and all-known), so that each is
// written and computed once: ClickHouse analyses the view on every insert, and a text
// that repeated them in full would cost more to analyse than the rows cost to count.
type viewAliases struct {
	defs    map[string]string
	defined map[string]bool
	months  []int
}

func newViewAliases() *viewAliases {
	a := &viewAliases{defs: map[string]string{}, defined: map[string]bool{}}
	for k := 0; k <= 36; k++ {
		a.defs["x_st"+strconv.Itoa(k)] = statusAt(strconv.Itoa(k))
		a.defs["x_sa"+strconv.Itoa(k)] = saAt(strconv.Itoa(k))
	}
	return a
}

// shorten writes the month reads of sql as their aliases.
func (a *viewAliases) shorten(sql string) string {
	for k := 36; k >= 0; k-- {
		sql = strings.ReplaceAll(sql, statusAt(strconv.Itoa(k)), "x_st"+strconv.Itoa(k))
		sql = strings.ReplaceAll(sql, saAt(strconv.Itoa(k)), "x_sa"+strconv.Itoa(k))
	}
	return sql
}

// add records a definition's pre-computed columns ("expression AS alias").
func (a *viewAliases) add(pre []frag) {
	for _, p := range pre {
		i := strings.LastIndex(p.sql, " AS ")
		if name := p.sql[i+4:]; a.defs[name] == "" || strings.HasPrefix(name, "x_st") || strings.HasPrefix(name, "x_sa") {
			a.defs[name] = a.shorten(p.sql[:i])
		}
	}
}

// expand defines every alias of sql at its first use in the statement ("(expression AS
// alias)") and refers to it by name after that.
func (a *viewAliases) expand(sql string) string {
	return aliasRef.ReplaceAllStringFunc(sql, func(name string) string {
		def, ok := a.defs[name]
		if !ok || a.defined[name] {
			return name
		}
		a.defined[name] = true
		return "(" + a.expand(def) + " AS " + name + ")"
	})
}

// AggregateViewSelect is the SELECT of the materialized view that feeds
// enrolment_figures from enrolment_outcome (and of the statement that fills it from the
// rows already there): ClickHouse migration 0012 carries this text, and
// TestAggregateMigrationIsGenerated keeps the two the same. Every fact is the SQL of its
// definition (compiled.exprs), so the aggregate and the row table answer alike.
func AggregateViewSelect() string {
	var b strings.Builder
	b.WriteString("SELECT arrayJoin(range(if(wioa_exit = 1, " + strconv.Itoa(groupingSets+wioaSets) + ", " + strconv.Itoa(groupingSets) +
		"))) AS gs, org_id, org_code,\n")
	b.WriteString("    toStartOfMonth(if(gs >= " + strconv.Itoa(wioaSets) + ", wioa_exit_date, exit_date)) AS month,\n")
	b.WriteString("    if(bitAnd(gs, 1) != 0, gender, '') AS g_gender, if(bitAnd(gs, 2) != 0, measure_code, '') AS g_measure,\n")
	b.WriteString("    if(bitAnd(gs, 4) != 0, age_band, '') AS g_age_band,\n")
	al := newViewAliases()
	count := func(cond string) string { return "sum(toInt64(sign) * toInt64(" + al.expand(al.shorten(cond)) + "))" }
	cols := []string{
		count(sourceEnrolments.rowFilter()) + " AS n",
		count(sourceEnrolments.rowFilter()+" AND "+(compiled{def: Definition{Kind: KindKoladaResultAtExit}}).population(time.Time{}).sql) + " AS kolada_n",
		count(sourceWIOA.rowFilter()) + " AS wioa_n",
	}
	for _, a := range aggregated {
		c, err := compile(a.def)
		if err != nil {
			panic(err)
		}
		fx := c.exprs()
		al.add(fx.pre)
		cond := c.source.rowFilter()
		if a.def.Kind == KindKoladaResultAtExit {
			cond += " AND " + c.population(time.Time{}).sql
		}
		known := "(" + fx.known.sql + ")"
		cols = append(cols,
			count(cond+" AND "+known)+" AS "+a.name+"_known",
			count(cond+" AND "+known+" AND ("+fx.hit.sql+")")+" AS "+a.name+"_hit")
	}
	b.WriteString("    " + strings.Join(cols, ",\n    ") + "\n")
	b.WriteString("FROM enrolment_outcome WHERE deleted = 0\n")
	b.WriteString("GROUP BY gs, org_id, org_code, month, g_gender, g_measure, g_age_band")
	return b.String()
}

// AggregateColumns are the count columns of enrolment_figures, in the view's order.
func AggregateColumns() []string {
	out := []string{"n", "kolada_n", "wioa_n"}
	for _, a := range aggregated {
		out = append(out, a.name+"_known", a.name+"_hit")
	}
	return out
}

// AggregateHolds says whether Figures answers def for these cohorts and breakdown from
// the aggregate (the whole months of the periods; the rest from the rows), as of today.
func AggregateHolds(cohorts []Cohort, def Definition, by []Dimension, today time.Time) bool {
	c, err := compile(def)
	if err != nil {
		return false
	}
	return len(planFigures(cohorts, c, by, calendarDay(today), false).aggPart) > 0
}
