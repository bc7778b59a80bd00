package analytics

import (
	"strconv"
	"strings"
	"time"

	"github.com/arbetsmarknad/outcomes/warehouse/outcomes"
	"github.com/arbetsmarknad/outcomes/warehouse/snapshot"
)

// frag is a piece of SQL with the arguments of its placeholders, in order.
type frag struct {
	sql  string
	args []any
}

// sqlBuf assembles a statement; text and arguments are appended together so that the
// positional placeholders always line up with their arguments.
type sqlBuf struct {
	b    strings.Builder
	args []any
}

func (s *sqlBuf) text(parts ...string) *sqlBuf {
	for _, p := range parts {
		s.b.WriteString(p)
	}
	return s
}

func (s *sqlBuf) frag(f frag) *sqlBuf {
	s.b.WriteString(f.sql)
	s.args = append(s.args, f.args...)
	return s
}

// arg writes one placeholder bound to v.
func (s *sqlBuf) arg(v any) *sqlBuf {
	s.b.WriteString("?")
	s.args = append(s.args, v)
	return s
}

func (s *sqlBuf) String() string { return s.b.String() }

// fragf concatenates SQL text and fragments in order.
func fragf(parts ...any) frag {
	var out frag
	var b strings.Builder
	for _, p := range parts {
		switch p := p.(type) {
		case string:
			b.WriteString(p)
		case frag:
			b.WriteString(p.sql)
			out.args = append(out.args, p.args...)
		default:
			panic("fragf: want string or frag")
		}
	}
	out.sql = b.String()
	return out
}

// bound is one placeholder bound to v.
func bound(v any) frag { return frag{sql: "?", args: []any{v}} }

// statusAt is the status code (snapshot.StatusCodes) in month exit + k:
// status_after[k+1], or 0 (unknown) past the array's end. k is an integer this package
// validated (never caller text).
func statusAt(k string) string {
	return "if(" + k + " < length(status_after), status_after[" + k + " + 1], toUInt8(0))"
}

// saAt is the social assistance in month exit + k, -1 past the array's end.
func saAt(k string) string {
	return "if(" + k + " < length(sa_after), sa_after[" + k + " + 1], toInt8(-1))"
}

// unknownCode is the code of "unknown" in status_after.
const unknownCode = "0"

// codeArray is the literal array of the status codes of statuses (validated status
// names, so every one has a code).
func codeArray(statuses []string) string {
	codes := make([]string, len(statuses))
	for i, s := range statuses {
		codes[i] = strconv.Itoa(int(snapshot.StatusCode(s)))
	}
	return "[" + strings.Join(codes, ", ") + "]"
}

// factExprs are the per-row known and true conditions of a definition (UInt8 SQL
// expressions) and the columns they refer to by alias (computed once per row).
type factExprs struct {
	known, hit frag
	pre        []frag // "expression AS alias", selected before known and hit
}

// exprs returns the SQL of the definition's fact. Every branch mirrors the Go function
// named in its Kind's comment.
func (c compiled) exprs() factExprs {
	k := strconv.Itoa(c.def.K)
	switch c.def.Kind {
	case KindStatusAt, KindInWorkOrStudies:
		st := statusAt(k)
		return factExprs{
			known: fragf(st, " != "+unknownCode),
			hit:   fragf("has(", codeArray(c.statuses), ", ", st, ")"),
		}
	case KindSelfSufficient:
		sa := saAt(k)
		return factExprs{known: fragf(sa, " != -1"), hit: fragf(sa, " = 0")}
	case KindLasting:
		return lastingExprs(c.lasting)
	case KindReturnedToSA12:
		return factExprs{known: fragf("returned_sa_12 != -1"), hit: fragf("returned_sa_12 = 1")}
	case KindReentry12:
		return factExprs{known: fragf("reentry_12 != -1"), hit: fragf("reentry_12 = 1")}
	case KindRepeatedEntry:
		return factExprs{known: fragf("1"), hit: fragf("entry_number >= " + strconv.Itoa(outcomes.RepeatedEntryWarning))}
	case KindKoladaResultAtExit:
		return factExprs{known: fragf("kolada_work_or_studies != -1"), hit: fragf("kolada_work_or_studies = 1")}
	case KindWIOAQ2, KindWIOAQ2PerPerson:
		return factExprs{known: fragf("wioa_q2 != -1"), hit: fragf("wioa_q2 = 1")}
	case KindWIOAQ4, KindWIOAQ4PerPerson:
		return factExprs{known: fragf("wioa_q4 != -1"), hit: fragf("wioa_q4 = 1")}
	case KindESFImmediate:
		return esfExprs("esf_immediate", c.results)
	case KindESFSixMonth:
		return esfExprs("esf_six_month", c.results)
	}
	panic("analytics: uncompiled definition " + string(c.def.Kind))
}

// esfExprs: an ESF result is known when the participant has left (the column is empty
// before) and the result is not "unknown". Comparisons rather than NOT IN: on 18.16, an
// IN over a literal tuple in a select list can fail the header check of a query with
// several streams (seen with UNION ALL: "Cannot convert column known because it is non
// constant in source stream but must be constant in result").
func esfExprs(column string, results []string) factExprs {
	return factExprs{
		known: fragf(column, " != '' AND ", column, " != 'unknown'"),
		hit:   fragf("has(", bound(results), ", ", column, ")"),
	}
}

// lastingExprs is outcomes.Lasting.Eval in SQL. Over the horizons H:
//
//	fail      = some horizon has a known status outside Statuses, or (when required)
//	            social assistance paid (sa = 1);
//	all known = at every horizon the status is known and (when required) sa is known;
//	known     = fail OR all known;   true = NOT fail AND all known.
//
// That is Eval's rule: known false as soon as one condition is known to fail, known true
// only when everything is known to hold, otherwise unknown.
//
// The horizons (validated by outcomes.NewLasting) and the codes of the statuses are
// integers this package writes itself. The value at each horizon is read once (x_st<h>,
// x_sa<h>) and the rule is plain boolean arithmetic over those columns: no lambda, no
// array built per row (both cost more than the element reads on 18.16).
func lastingExprs(l outcomes.Lasting) factExprs {
	p := l.Params()
	codes := codeArray(p.Statuses)
	var pre []frag
	var fails, known []string
	for _, h := range p.Horizons {
		k := strconv.Itoa(h)
		st := "x_st" + k
		pre = append(pre, fragf(statusAt(k), " AS ", st))
		fails = append(fails, "("+st+" != "+unknownCode+" AND NOT has("+codes+", "+st+"))")
		known = append(known, st+" != "+unknownCode)
		if p.RequireNoSocialAssistance {
			sa := "x_sa" + k
			pre = append(pre, fragf(saAt(k), " AS ", sa))
			fails = append(fails, sa+" = 1")
			known = append(known, sa+" != -1")
		}
	}
	pre = append(pre, fragf("(", strings.Join(fails, " OR "), ") AS x_fail"),
		fragf("(", strings.Join(known, " AND "), ") AS x_all_known"))
	return factExprs{pre: pre, known: fragf("x_fail OR x_all_known"), hit: fragf("NOT x_fail AND x_all_known")}
}

// dimensionExpr is d's SQL for rows of the given source.
func dimensionExpr(d Dimension, src source) string {
	if d == DimAgeBand && src == sourceESF {
		// ESF takes entry data from the first spell, and reports its own age bands.
		return "esf_entry_age_band"
	}
	return strings.ReplaceAll(dimensionSQL[d], dateToken, src.dateColumn())
}

func (s source) dateColumn() string {
	if s == sourceWIOA {
		return "wioa_exit_date"
	}
	return "exit_date"
}

// rowFilter selects the rows a source counts.
func (s source) rowFilter() string {
	switch s {
	case sourceWIOA:
		return "wioa_exit = 1"
	case sourceESF:
		return "esf_last_spell = 1 AND exited = 1"
	}
	return "exited = 1"
}

// inGroups is 1 for rows that may appear in a breakdown group: ESF's missing-data rule
// keeps incomplete records in the grand total only.
func (s source) inGroups() string {
	if s == sourceESF {
		return "esf_complete = 1"
	}
	return "1"
}

// population is the definition's own condition on the rows it counts, beyond its
// source's: which rows are in n at all on the query's day today (a calendar date).
//
//   - STATUS_AT, IN_WORK_OR_STUDIES, SELF_SUFFICIENT: the month exit + k has begun by
//     today (outcomes.Due), and LASTING likewise at its largest horizon: an exit whose
//     month has not come yet has not had the chance to be known, and is not counted;
//   - KOLADA_RESULT_AT_EXIT: the exit is a leaving (not snapshot.KoladaNotLeft);
//   - WIOA: the exit is established, wioa_exit_date + 90 days <= today (the loader stores
//     every closed period of participation).
//
// The current month and today are bound arguments computed in Go from the caller's
// clock (Today), never ClickHouse's today(), so that a figure depends on nothing but
// its arguments and the table.
func (c compiled) population(today time.Time) frag {
	if k, ok := c.def.DueHorizon(); ok {
		return fragf("addMonths(toStartOfMonth(exit_date), ", strconv.Itoa(k), ") <= toDate(",
			bound(dateText(outcomes.MonthOf(today))), ")")
	}
	switch c.def.Kind {
	case KindKoladaResultAtExit:
		return fragf("kolada_work_or_studies != ", strconv.Itoa(int(snapshot.KoladaNotLeft)))
	case KindWIOAQ2, KindWIOAQ4, KindWIOAQ2PerPerson, KindWIOAQ4PerPerson:
		return fragf("addDays(wioa_exit_date, ", strconv.Itoa(outcomes.WIOAGapDays), ") <= toDate(", bound(dateText(today)), ")")
	}
	return fragf("1")
}

// cohortFilter is the cohort's condition on rows of the given source.
func cohortFilter(c Cohort, src source) frag {
	date := src.dateColumn()
	f := fragf("org_id IN ", bound(groupSet(c.OrgIDs)),
		" AND ", date, " >= toDate(", bound(dateText(calendarDay(c.ExitFrom))), ")",
		" AND ", date, " < toDate(", bound(dateText(calendarDay(c.ExitTo))), ")")
	if src == sourceWIOA {
		// The WIOA exit date is the end of the period of participation, the latest end
		// among its enrolments, and its row is one of them: exit_date <= wioa_exit_date
		// (outcomes.WIOAClosedPeriods, snapshot's personFacts). Saying so lets the sort
		// key and the exit-year partitions skip every later exit.
		f = fragf(f, " AND exit_date < toDate(", bound(dateText(calendarDay(c.ExitTo))), ")")
	}
	if len(c.MeasureCodes) > 0 {
		f = fragf(f, " AND measure_code IN ", bound(groupSet(c.MeasureCodes)))
	}
	return f
}

// fromRows is how this package reads enrolment_outcome: every row, tombstones left out.
// The table is a CollapsingMergeTree (ClickHouse migration 0011): a row the loader
// withdrew is followed by its cancel row (sign -1), so every count is a sum of sign —
// count() is sum(sign), a count of rows where x holds is sum(sign * x) — which is right
// before, during and after merges, with no FINAL and no grouping by key.
const fromRows = "FROM enrolment_outcome WHERE deleted = 0"

// noCohort marks "in no cohort" in the cohort index arrays of figuresSQL.
const noCohort = "65535"

// figuresSQL is the one statement of Figures. It reads the table once for all cohorts:
// each row gets the array of the indexes of the cohorts it belongs to (cohorts may
// overlap) and arrayJoin turns it into one row per cohort (one cohort needs no array);
// the rows are then grouped by cohort, the dimensions and whether the row may appear in
// a group, and counted by their sign (fromRows). Groups whose rows all cancel are left
// out. Totals are summed in Go from these rows. (One UNION ALL branch per cohort would
// scan the table once per cohort.) today is the query's day (see population).
func figuresSQL(cohorts []Cohort, c compiled, by []Dimension, today time.Time) (string, []any) {
	fx := c.exprs()
	// Per person (perPerson), two middle steps: the first nets the rows (a person's row
	// with its cancel row sums to zero and drops out), the second keeps each person's
	// latest row per cohort (argMax over the cohort's date; a person's WIOA exits have
	// distinct dates) under names of its own (x_p…), as an alias that shadowed its
	// argument would be read as an aggregate inside an aggregate.
	col := func(name string) string {
		if c.perPerson {
			return "x_p" + name
		}
		return name
	}
	var q sqlBuf
	q.text("SELECT cohort")
	for i := range by {
		q.text(", ", col("g"+strconv.Itoa(i)))
	}
	q.text(", ", col("in_groups"), ", sum(", col("sign"), ") AS x_n, sum(", col("sign"), " * ", col("known"), ") AS x_known, sum(",
		col("sign"), " * ", col("hit"), ") AS x_hit FROM (\n")
	names := []string{}
	for i := range by {
		names = append(names, "g"+strconv.Itoa(i))
	}
	names = append(names, "in_groups", "known", "hit")
	if c.perPerson {
		q.text("  SELECT cohort")
		for _, name := range names {
			q.text(", argMax(", name, ", x_date) AS ", col(name))
		}
		q.text(", toInt8(1) AS ", col("sign"), " FROM (\n")
		q.text("  SELECT cohort, x_person, x_date, ", strings.Join(names, ", "), " FROM (\n")
	}
	q.text("  SELECT ")
	cohortColumn(&q, cohorts, c.source)
	for i, d := range by {
		q.text(", ", dimensionExpr(d, c.source), " AS g", strconv.Itoa(i))
	}
	q.text(", toUInt8(", c.source.inGroups(), ") AS in_groups")
	if c.perPerson {
		q.text(", person_key AS x_person, ", c.source.dateColumn(), " AS x_date")
	}
	for _, p := range fx.pre {
		q.text(", ").frag(p)
	}
	q.text(", toUInt8(").frag(fx.known).text(") AS known")
	q.text(", toUInt8((").frag(fx.known).text(") AND (").frag(fx.hit).text(")) AS hit, sign")
	q.text("\n  ", fromRows, " AND ", c.source.rowFilter(), " AND (").frag(c.population(today)).text(") AND (")
	for ci, co := range cohorts {
		if ci > 0 {
			q.text(" OR ")
		}
		q.text("(").frag(cohortFilter(co, c.source)).text(")")
	}
	q.text(")\n")
	if c.perPerson {
		q.text(") GROUP BY cohort, x_person, x_date, ", strings.Join(names, ", "), " HAVING sum(sign) > 0\n")
		q.text(") GROUP BY cohort, x_person\n")
	}
	q.text(") GROUP BY cohort")
	for i := range by {
		q.text(", ", col("g"+strconv.Itoa(i)))
	}
	q.text(", ", col("in_groups"), " HAVING x_n != 0")
	return q.String(), q.args
}

// survivalSQL groups the cohort's durations by the dimensions, months and event.
func survivalSQL(co Cohort, from outcomes.Origin, by []Dimension) (string, []any) {
	months, event := "job_months_from_start", "job_event_from_start"
	if from == outcomes.FromExit {
		months, event = "job_months_from_exit", "job_event_from_exit"
	}
	var q sqlBuf
	q.text("SELECT ")
	for i := range by {
		q.text("g", strconv.Itoa(i), ", ")
	}
	q.text("months, event, sum(sign) AS n FROM (\n  SELECT ")
	for i, d := range by {
		q.text(dimensionExpr(d, sourceEnrolments), " AS g", strconv.Itoa(i), ", ")
	}
	q.text("toInt32(", months, ") AS months, toUInt8(", event, ") AS event, sign")
	q.text("\n  ", fromRows, " AND ", sourceEnrolments.rowFilter(), " AND ", months, " >= 0 AND ").frag(cohortFilter(co, sourceEnrolments))
	q.text("\n) GROUP BY ")
	for i := range by {
		q.text("g", strconv.Itoa(i), ", ")
	}
	q.text("months, event HAVING n != 0")
	return q.String(), q.args
}

// transitionsSQL counts the cohort's SUS before/after pairs.
func transitionsSQL(co Cohort) (string, []any) {
	var q sqlBuf
	q.text("SELECT sus_before, sus_after, sum(sign) AS n ", fromRows, " AND ", sourceEnrolments.rowFilter(), " AND ").
		frag(cohortFilter(co, sourceEnrolments))
	q.text(" GROUP BY sus_before, sus_after HAVING n != 0")
	return q.String(), q.args
}

// MicrodataColumns is the header of Microdata's CSV.
var MicrodataColumns = []string{"enrolment_key", "person_key", "org_code", "gender", "age_band", "measure_code",
	"project", "unit", "newly_arrived", "birth_region", "education_level", "distance_category", "referral_source",
	"start_date", "exit_date", "exit_reason", "status_3", "status_6", "status_12", "status_24",
	"sa_3", "sa_6", "sa_12", "sa_24"}

// microdataHorizons are the months after exit Microdata reports.
var microdataHorizons = []int{3, 6, 12, 24}

// microdataSQL selects the cohort's rows in a stable order: the rows with their values
// (x_m…) are netted by their sign, so a withdrawn row and its cancel row drop out.
func microdataSQL(co Cohort) (string, []any) {
	exprs := []string{"enrolment_key", "person_key", "org_code", "gender", "age_band", "measure_code", "project", "unit",
		"newly_arrived", "birth_region", "education_level", "distance_category", "referral_source",
		"toString(start_date)", "toString(exit_date)", "exit_reason"}
	for _, k := range microdataHorizons {
		exprs = append(exprs, statusAt(strconv.Itoa(k))) // decoded with snapshot.StatusCodes
	}
	for _, k := range microdataHorizons {
		exprs = append(exprs, saAt(strconv.Itoa(k)))
	}
	aliases := make([]string, len(exprs))
	var q sqlBuf
	q.text("SELECT ")
	for i, e := range exprs {
		aliases[i] = "x_m" + strconv.Itoa(i)
		if i > 0 {
			q.text(", ")
		}
		q.text(e, " AS ", aliases[i])
	}
	q.text(", sign\n", fromRows, " AND ", sourceEnrolments.rowFilter(), " AND ").frag(cohortFilter(co, sourceEnrolments))
	list := strings.Join(aliases, ", ")
	// x_m2 org_code, x_m14 exit date as YYYY-MM-DD (sorts as the date), x_m0 enrolment key.
	return "SELECT " + list + " FROM (\n" + q.String() + "\n) GROUP BY " + list +
		" HAVING sum(sign) > 0\nORDER BY x_m2, x_m14, x_m0", q.args
}

// cohortColumn writes the cohort column of figuresSQL's inner SELECT: 0 for one cohort,
// otherwise each row once per cohort whose filter it meets. (The aggregate's reads tell
// their cohorts apart in Go instead: aggRoute.)
func cohortColumn(q *sqlBuf, cohorts []Cohort, src source) {
	if len(cohorts) == 1 {
		q.text("toUInt16(0) AS cohort")
		return
	}
	q.text("arrayJoin(arrayFilter(x_c -> x_c != ", noCohort, ", [")
	for ci, co := range cohorts {
		if ci > 0 {
			q.text(", ")
		}
		q.text("if(").frag(cohortFilter(co, src)).text(", toUInt16(", strconv.Itoa(ci), "), toUInt16(", noCohort, "))")
	}
	q.text("])) AS cohort")
}
