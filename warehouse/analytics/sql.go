package analytics

import (
	"strconv"
	"strings"

	"github.com/arbetsmarknad/outcomes/warehouse/outcomes"
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

// statusAt is the status in month exit + k: status_after[k+1], or unknown past the
// array's end. k is an integer this package validated (never caller text).
func statusAt(k string) string {
	return "if(" + k + " < length(status_after), status_after[" + k + " + 1], 'unknown')"
}

// saAt is the social assistance in month exit + k, -1 past the array's end.
func saAt(k string) string {
	return "if(" + k + " < length(sa_after), sa_after[" + k + " + 1], toInt8(-1))"
}

// factExprs are the per-row known and true conditions of a definition (UInt8 SQL
// expressions), and whether the statement must name the month arrays outside a lambda.
type factExprs struct {
	known, hit frag
	arrays     bool
}

// exprs returns the SQL of the definition's fact. Every branch mirrors the Go function
// named in its Kind's comment.
func (c compiled) exprs() factExprs {
	k := strconv.Itoa(c.def.K)
	switch c.def.Kind {
	case KindStatusAt, KindInWorkOrStudies:
		st := statusAt(k)
		return factExprs{
			known: fragf(st, " != 'unknown'"),
			hit:   fragf("has(", bound(c.statuses), ", ", st, ")"),
		}
	case KindSelfSufficient:
		sa := saAt(k)
		return factExprs{known: fragf(sa, " != -1"), hit: fragf(sa, " = 0")}
	case KindLasting:
		return lastingExprs(c.lasting)
	case KindReturnedToSA12:
		return factExprs{known: fragf("returned_sa_12 != -1"), hit: fragf("returned_sa_12 = 1")}
	case KindReentry12:
		return factExprs{known: fragf("1"), hit: fragf("reentry_12 = 1")}
	case KindRepeatedEntry:
		return factExprs{known: fragf("1"), hit: fragf("entry_number >= " + strconv.Itoa(outcomes.RepeatedEntryWarning))}
	case KindKoladaResultAtExit:
		return factExprs{known: fragf("kolada_work_or_studies != -1"), hit: fragf("kolada_work_or_studies = 1")}
	case KindWIOAQ2:
		return factExprs{known: fragf("wioa_q2 != -1"), hit: fragf("wioa_q2 = 1")}
	case KindWIOAQ4:
		return factExprs{known: fragf("wioa_q4 != -1"), hit: fragf("wioa_q4 = 1")}
	case KindESFImmediate:
		return factExprs{known: fragf("esf_immediate NOT IN ('', 'unknown')"), hit: fragf("has(", bound(c.results), ", esf_immediate)")}
	case KindESFSixMonth:
		return factExprs{known: fragf("esf_six_month NOT IN ('', 'unknown')"), hit: fragf("has(", bound(c.results), ", esf_six_month)")}
	}
	panic("analytics: uncompiled definition " + string(c.def.Kind))
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
// The horizons are integers validated by outcomes.NewLasting and written as a literal
// array; the statuses are bound. ClickHouse 18.16 does not read a column that only a
// lambda mentions, so the caller must also name status_after and sa_after outside the
// lambdas (arrays = true).
func lastingExprs(l outcomes.Lasting) factExprs {
	p := l.Params()
	hs := make([]string, len(p.Horizons))
	for i, h := range p.Horizons {
		hs[i] = strconv.Itoa(h)
	}
	horizons := "[" + strings.Join(hs, ", ") + "]"
	st, sa := statusAt("x_h"), saAt("x_h")
	fail := fragf("(", st, " != 'unknown' AND NOT has(", bound(p.Statuses), ", ", st, "))")
	allKnown := st + " != 'unknown'"
	if p.RequireNoSocialAssistance {
		fail = fragf(fail, " OR ", sa, " = 1")
		allKnown += " AND " + sa + " != -1"
	}
	failSQL := fragf("arrayExists(x_h -> ", fail, ", ", horizons, ")")
	allSQL := "arrayAll(x_h -> " + allKnown + ", " + horizons + ")"
	return factExprs{
		known:  fragf("(", failSQL, " OR ", allSQL, ")"),
		hit:    fragf("(NOT ", failSQL, " AND ", allSQL, ")"),
		arrays: true,
	}
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

// cohortFilter is the cohort's condition on rows of the given source.
func cohortFilter(c Cohort, src source) frag {
	date := src.dateColumn()
	f := fragf("org_id IN ", bound(groupSet(c.OrgIDs)),
		" AND ", date, " >= toDate(", bound(dateText(calendarDay(c.ExitFrom))), ")",
		" AND ", date, " < toDate(", bound(dateText(calendarDay(c.ExitTo))), ")")
	if len(c.MeasureCodes) > 0 {
		f = fragf(f, " AND measure_code IN ", bound(groupSet(c.MeasureCodes)))
	}
	return f
}

// dedupFrom is how this package reads enrolment_outcome: the newest version of each
// row, tombstones dropped.
const dedupFrom = "FROM enrolment_outcome FINAL WHERE deleted = 0"

// figuresSQL is the one statement of Figures: a UNION ALL branch per cohort (cohorts may
// overlap), grouped by cohort, the dimensions and whether the row may appear in a group.
// Totals are summed in Go from these rows.
func figuresSQL(cohorts []Cohort, c compiled, by []Dimension) (string, []any) {
	fx := c.exprs()
	var q sqlBuf
	q.text("SELECT cohort")
	for i := range by {
		q.text(", g", strconv.Itoa(i))
	}
	q.text(", in_groups, count() AS n, sum(known) AS known, sum(hit) AS hit FROM (")
	for ci, co := range cohorts {
		if ci > 0 {
			q.text("\n  UNION ALL")
		}
		q.text("\n  SELECT toUInt16(", strconv.Itoa(ci), ") AS cohort")
		for i, d := range by {
			q.text(", ", dimensionExpr(d, c.source), " AS g", strconv.Itoa(i))
		}
		q.text(", toUInt8(", c.source.inGroups(), ") AS in_groups")
		q.text(", toUInt8(").frag(fx.known).text(") AS known")
		q.text(", toUInt8((").frag(fx.known).text(") AND (").frag(fx.hit).text(")) AS hit")
		q.text("\n  ", dedupFrom, " AND ", c.source.rowFilter(), " AND ").frag(cohortFilter(co, c.source))
		if fx.arrays {
			// Always true; it makes 18.16 read the arrays the lambdas use (see lastingExprs).
			q.text(" AND length(status_after) >= 0 AND length(sa_after) >= 0")
		}
	}
	q.text("\n) GROUP BY cohort")
	for i := range by {
		q.text(", g", strconv.Itoa(i))
	}
	q.text(", in_groups")
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
	q.text("months, event, count() AS n FROM (\n  SELECT ")
	for i, d := range by {
		q.text(dimensionExpr(d, sourceEnrolments), " AS g", strconv.Itoa(i), ", ")
	}
	q.text("toInt32(", months, ") AS months, toUInt8(", event, ") AS event")
	q.text("\n  ", dedupFrom, " AND ", sourceEnrolments.rowFilter(), " AND ", months, " >= 0 AND ").frag(cohortFilter(co, sourceEnrolments))
	q.text("\n) GROUP BY ")
	for i := range by {
		q.text("g", strconv.Itoa(i), ", ")
	}
	q.text("months, event")
	return q.String(), q.args
}

// transitionsSQL counts the cohort's SUS before/after pairs.
func transitionsSQL(co Cohort) (string, []any) {
	var q sqlBuf
	q.text("SELECT sus_before, sus_after, count() AS n ", dedupFrom, " AND ", sourceEnrolments.rowFilter(), " AND ").
		frag(cohortFilter(co, sourceEnrolments))
	q.text(" GROUP BY sus_before, sus_after")
	return q.String(), q.args
}

// MicrodataColumns is the header of Microdata's CSV.
var MicrodataColumns = []string{"enrolment_key", "person_key", "org_code", "gender", "age_band", "measure_code",
	"project", "unit", "newly_arrived", "birth_region", "education_level", "distance_category", "referral_source",
	"start_date", "exit_date", "exit_reason", "status_3", "status_6", "status_12", "status_24",
	"sa_3", "sa_6", "sa_12", "sa_24"}

// microdataHorizons are the months after exit Microdata reports.
var microdataHorizons = []int{3, 6, 12, 24}

// microdataSQL selects the cohort's rows in a stable order.
func microdataSQL(co Cohort) (string, []any) {
	var q sqlBuf
	q.text("SELECT enrolment_key, person_key, org_code, gender, age_band, measure_code, project, unit, newly_arrived, ",
		"birth_region, education_level, distance_category, referral_source, toString(start_date), toString(exit_date), exit_reason")
	for _, k := range microdataHorizons {
		q.text(", ", statusAt(strconv.Itoa(k)))
	}
	for _, k := range microdataHorizons {
		q.text(", ", saAt(strconv.Itoa(k)))
	}
	q.text("\n", dedupFrom, " AND ", sourceEnrolments.rowFilter(), " AND ").frag(cohortFilter(co, sourceEnrolments))
	q.text("\nORDER BY org_code, exit_date, enrolment_key")
	return q.String(), q.args
}
