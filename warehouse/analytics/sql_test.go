package analytics

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/warehouse/outcomes"
	"github.com/arbetsmarknad/outcomes/warehouse/snapshot"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func testCohort(label string) Cohort {
	return Cohort{Label: label, OrgIDs: []string{"org-1"}, ExitFrom: day(2018, 1, 1), ExitTo: day(2019, 1, 1)}
}

// allDefinitions is one definition of every kind, some with custom parameters.
func allDefinitions() []Definition {
	return []Definition{
		StatusAt(6, outcomes.StatusSubsidised, outcomes.StatusStudies),
		InWorkOrStudiesAt(12),
		SelfSufficientAt(0),
		LastingAttachment(nil),
		LastingAttachment(&outcomes.LastingParams{Horizons: []int{24, 3}, Statuses: []string{outcomes.StatusStudies}}),
		{Kind: KindReturnedToSA12},
		{Kind: KindReentry12},
		{Kind: KindRepeatedEntry},
		{Kind: KindKoladaResultAtExit},
		{Kind: KindWIOAQ2},
		{Kind: KindWIOAQ4},
		{Kind: KindESFImmediate},
		{Kind: KindESFSixMonth, Results: []string{outcomes.ESFResultEmployed}},
	}
}

func wantInvalid(t *testing.T, err error, what string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error", what)
	}
	if apperr.CodeOf(err) != apperr.Invalid {
		t.Fatalf("%s: error %v is not INVALID", what, err)
	}
}

func TestDimensionWhitelist(t *testing.T) {
	if len(dimensionSQL) != len(Dimensions) {
		t.Fatalf("%d dimensions listed, %d mapped to SQL", len(Dimensions), len(dimensionSQL))
	}
	for _, d := range Dimensions {
		if !ValidDimension(d) {
			t.Errorf("%s is listed but not valid", d)
		}
		for _, src := range []source{sourceEnrolments, sourceWIOA, sourceESF} {
			e := dimensionExpr(d, src)
			if e == "" || strings.Contains(e, "?") || strings.Contains(e, dateToken) {
				t.Errorf("%s on source %d: expression %q", d, src, e)
			}
		}
	}
	for _, bad := range [][]Dimension{
		{"gender"},                                    // case matters: only the listed values exist
		{Dimension("GENDER) OR 1=1 --")},              // never interpolated, refused outright
		{DimGender, DimGender},                        // repeated
		{DimGender, DimUnit, DimMeasure, DimExitYear}, // more than three
	} {
		wantInvalid(t, validateDimensions(bad), "dimensions "+strings.Join(dimStrings(bad), ","))
	}
	if err := validateDimensions([]Dimension{DimGender, DimExitQuarter, DimNewlyArrived}); err != nil {
		t.Fatalf("three dimensions: %v", err)
	}
}

func dimStrings(ds []Dimension) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = string(d)
	}
	return out
}

// The public functions refuse bad input before touching the connection (nil here).
func TestFiguresRefusesBadInputWithoutQuerying(t *testing.T) {
	ctx := context.Background()
	ok := []Cohort{testCohort("a")}
	four := []Dimension{DimGender, DimAgeBand, DimMeasure, DimUnit}
	_, err := Figures(ctx, nil, ok, InWorkOrStudiesAt(6), four)
	wantInvalid(t, err, "four dimensions")
	_, err = Survival(ctx, nil, ok[0], outcomes.FromExit, four)
	wantInvalid(t, err, "survival with four dimensions")
	_, err = Figures(ctx, nil, ok, InWorkOrStudiesAt(6), []Dimension{"NAME"})
	wantInvalid(t, err, "unknown dimension")
	_, err = Figures(ctx, nil, nil, InWorkOrStudiesAt(6), nil)
	wantInvalid(t, err, "no cohort")
	_, err = Figures(ctx, nil, []Cohort{testCohort("a"), testCohort("a")}, InWorkOrStudiesAt(6), nil)
	wantInvalid(t, err, "repeated label")
	noOrg := testCohort("a")
	noOrg.OrgIDs = nil
	_, err = Figures(ctx, nil, []Cohort{noOrg}, InWorkOrStudiesAt(6), nil)
	wantInvalid(t, err, "no organisation")
	empty := testCohort("a")
	empty.ExitTo = empty.ExitFrom.Add(time.Hour) // same calendar day: empty period
	_, err = Figures(ctx, nil, []Cohort{empty}, InWorkOrStudiesAt(6), nil)
	wantInvalid(t, err, "empty period")
	_, err = Transitions(ctx, nil, Cohort{Label: "x", OrgIDs: []string{"o"}})
	wantInvalid(t, err, "transitions without period")
	err = Microdata(ctx, nil, Cohort{Label: "x", ExitFrom: day(2018, 1, 1), ExitTo: day(2019, 1, 1)}, &strings.Builder{})
	wantInvalid(t, err, "microdata without organisation")
	_, err = Survival(ctx, nil, ok[0], outcomes.Origin(7), nil)
	wantInvalid(t, err, "unknown origin")
}

func TestDefinitionValidationAndVersions(t *testing.T) {
	for _, bad := range []Definition{
		{Kind: "SHARE_OF_EVERYTHING"},
		StatusAt(6),                         // no status
		StatusAt(6, outcomes.StatusUnknown), // unknown never counts
		StatusAt(6, "employed"),             // not a status code
		StatusAt(37, outcomes.StatusStudies),
		InWorkOrStudiesAt(-1),
		SelfSufficientAt(40),
		// A parameter the kind does not read is refused, not ignored.
		{Kind: KindLasting, K: 6},
		{Kind: KindReentry12, Statuses: []string{outcomes.StatusStudies}},
		{Kind: KindInWorkOrStudies, K: 6, Statuses: []string{outcomes.StatusStudies}},
		{Kind: KindSelfSufficient, K: 6, Lasting: &outcomes.LastingParams{}},
		{Kind: KindKoladaResultAtExit, Results: []string{outcomes.ESFResultEmployed}},
		{Kind: KindWIOAQ2, K: 2},
		LastingAttachment(&outcomes.LastingParams{Horizons: []int{6, 48}}),
		LastingAttachment(&outcomes.LastingParams{Horizons: []int{-6}}),
		LastingAttachment(&outcomes.LastingParams{Statuses: []string{"anything"}}),
		{Kind: KindESFImmediate, Results: []string{outcomes.ESFImprovedSituation}}, // a 6-month result only
		{Kind: KindESFSixMonth, Results: []string{outcomes.ESFUnknown}},
	} {
		_, err := bad.Version()
		wantInvalid(t, err, "definition "+string(bad.Kind))
	}
	want := map[string]string{
		"STATUS_AT":             "status-after-exit/1?k=6&s=studies,subsidised_employment",
		"IN_WORK_OR_STUDIES":    "in-work-or-studies/1?k=12",
		"SELF_SUFFICIENT":       "self-sufficient/1?k=0",
		"LASTING":               outcomes.DefaultLastingVersion,
		"LASTING custom":        "lasting/1?h=3,24&s=studies&sa=0",
		"RETURNED_TO_SA_12":     outcomes.ReturnedToSocialAssistanceVersion,
		"REENTRY_12":            "re-entry/2?w=12",
		"REPEATED_ENTRY":        "entry-number/1?min=3",
		"KOLADA_RESULT_AT_EXIT": "kolada-rka-result-at-exit/3",
		"WIOA_Q2":               outcomes.WIOAVersion,
		"WIOA_Q4":               outcomes.WIOAVersion,
		"ESF_IMMEDIATE":         "esf-common-results/2?immediate=employed,in_education_or_training,job_searching",
		"ESF_SIX_MONTH":         "esf-common-results/2?six_month=employed",
	}
	seenLasting := false
	for _, d := range allDefinitions() {
		v, err := d.Version()
		if err != nil {
			t.Fatalf("%s: %v", d.Kind, err)
		}
		name := string(d.Kind)
		if d.Kind == KindLasting {
			if seenLasting {
				name += " custom"
			}
			seenLasting = true
		}
		if v != want[name] {
			t.Errorf("%s: version %q, want %q", name, v, want[name])
		}
	}
	if v, _ := LastingAttachment(&outcomes.LastingParams{Horizons: []int{12, 6}, Statuses: []string{
		outcomes.StatusStudies, outcomes.StatusUnsubsidisedPart, outcomes.StatusUnsubsidisedFull},
		RequireNoSocialAssistance: true}).Version(); v != outcomes.DefaultLastingVersion {
		t.Errorf("the default written out by hand: version %q", v)
	}
}

// Every generated statement has exactly one argument per placeholder, and the text
// holds none of the caller's strings.
func TestGeneratedSQLBindsEveryCallerString(t *testing.T) {
	evil := "x'); DROP TABLE enrolment_outcome; --"
	cohorts := []Cohort{
		{Label: evil, OrgIDs: []string{evil, "org-2"}, ExitFrom: day(2018, 1, 1), ExitTo: day(2019, 1, 1), MeasureCodes: []string{evil}},
		testCohort("b"),
	}
	by := []Dimension{DimGender, DimExitQuarter, DimNewlyArrived}
	check := func(name, query string, args []any) {
		t.Helper()
		if n := strings.Count(query, "?"); n != len(args) {
			t.Errorf("%s: %d placeholders, %d arguments\n%s", name, n, len(args), query)
		}
		if strings.Contains(query, "DROP") || strings.Contains(query, "org-2") {
			t.Errorf("%s: caller text in the SQL:\n%s", name, query)
		}
		found := false
		for _, a := range args {
			if gs, ok := a.(clickhouse.GroupSet); ok && reflect.DeepEqual(gs.Value, []any{evil, "org-2"}) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: the organisation ids are not bound as a group set: %#v", name, args)
		}
	}
	for _, d := range allDefinitions() {
		c, err := compile(d)
		if err != nil {
			t.Fatal(err)
		}
		q, args := figuresSQL(cohorts, c, by, day(2019, 5, 31))
		check(string(d.Kind), q, args)
		if strings.Count(q, "FROM enrolment_outcome") != 1 || !strings.Contains(q, "arrayJoin(") {
			t.Errorf("%s: two cohorts should be read in one scan of one statement:\n%s", d.Kind, q)
		}
	}
	q, args := survivalSQL(cohorts[0], outcomes.FromExit, by)
	check("survival", q, args)
	q, args = transitionsSQL(cohorts[0])
	check("transitions", q, args)
	q, args = microdataSQL(cohorts[0])
	check("microdata", q, args)
}

// The pre-aggregate's read groups by the columns that tell its cohorts apart and no
// others, tests no cohort's filter per row, binds every caller string, and states the
// months due as a bound rather than a function of every row.
func TestAggregateReadGroupsByWhatTellsCohortsApart(t *testing.T) {
	evil := "x'); DROP TABLE enrolment_figures; --"
	base := Cohort{Label: evil, OrgIDs: []string{evil, "org-2"}, ExitFrom: day(2018, 1, 1), ExitTo: day(2019, 1, 1), MeasureCodes: []string{evil}}
	with := func(f func(*Cohort)) Cohort { co := base; f(&co); return co }
	c, err := compile(InWorkOrStudiesAt(6))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		cohorts []Cohort
		groupBy string
	}{
		{"one cohort", []Cohort{base}, "GROUP BY g0 HAVING"},
		{"measures", []Cohort{base, with(func(co *Cohort) { co.MeasureCodes = []string{"extra_job"} })}, "GROUP BY r_measure, g0 HAVING"},
		{"organisations", []Cohort{base, with(func(co *Cohort) { co.OrgIDs = []string{"org-2"} })}, "GROUP BY r_org, g0 HAVING"},
		{"periods", []Cohort{base, with(func(co *Cohort) { co.ExitTo = day(2020, 1, 1) })}, "GROUP BY r_month, g0 HAVING"},
		{"the same organisations in another order", []Cohort{base, with(func(co *Cohort) { co.OrgIDs = []string{"org-2", evil} })}, "GROUP BY g0 HAVING"},
	} {
		p := planFigures(tc.cohorts, c, []Dimension{DimGender}, day(2020, 6, 15), false)
		if len(p.aggPart) != len(tc.cohorts) || len(p.rowPart) != 0 {
			t.Fatalf("%s: planned %d pieces from the aggregate and %d from the rows", tc.name, len(p.aggPart), len(p.rowPart))
		}
		q, args, _ := aggregateSQL(p, c, []Dimension{DimGender}, day(2020, 6, 15))
		if !strings.Contains(q, tc.groupBy) {
			t.Errorf("%s: want %q in\n%s", tc.name, tc.groupBy, q)
		}
		if n := strings.Count(q, "?"); n != len(args) {
			t.Errorf("%s: %d placeholders, %d arguments\n%s", tc.name, n, len(args), q)
		}
		if strings.Contains(q, "DROP") || strings.Contains(q, "org-2") || strings.Contains(q, "extra_job") ||
			strings.Contains(q, "arrayJoin") || strings.Contains(q, "addMonths") || strings.Count(q, "org_id IN ?") != 1 {
			t.Errorf("%s: caller text, a per-row cohort test or a per-row population test in\n%s", tc.name, q)
		}
		// +6 on 2020-06-15: exits up to 2019-12 count, so months before 2020-01.
		if !slices.Contains(args, any("2020-01-01")) {
			t.Errorf("%s: the first month not yet due (2020-01-01) is not bound: %v", tc.name, args)
		}
	}
}

func TestFiguresSQLShape(t *testing.T) {
	c, err := compile(Definition{Kind: KindWIOAQ2})
	if err != nil {
		t.Fatal(err)
	}
	q, args := figuresSQL([]Cohort{testCohort("a")}, c, []Dimension{DimExitYear, DimAgeBand}, day(2019, 5, 31))
	for _, want := range []string{
		"FROM enrolment_outcome WHERE deleted = 0 AND wioa_exit = 1 AND (addDays(wioa_exit_date, 90) <= toDate(?))",
		"sum(sign) AS x_n, sum(sign * known) AS x_known, sum(sign * hit) AS x_hit",
		"GROUP BY cohort, g0, g1, in_groups HAVING x_n != 0",
		"wioa_exit_date >= toDate(?) AND wioa_exit_date < toDate(?)",
		"substring(toString(wioa_exit_date), 1, 4) AS g0",
		"age_band AS g1",
		"GROUP BY cohort, g0, g1, in_groups",
	} {
		if !strings.Contains(q, want) {
			t.Errorf("WIOA statement lacks %q:\n%s", want, q)
		}
	}
	// One cohort: no cohort index array, so the population's day comes first, then the
	// cohort's organisations and period.
	if !reflect.DeepEqual(args[2:4], []any{"2018-01-01", "2019-01-01"}) {
		t.Errorf("period arguments %v", args[2:4])
	}
	if args[0] != "2019-05-31" {
		t.Errorf("WIOA: today is bound as %v, want 2019-05-31", args[0])
	}
	if strings.Contains(q, "arrayJoin(") {
		t.Errorf("one cohort needs no cohort index array:\n%s", q)
	}
	c, _ = compile(Definition{Kind: KindESFImmediate})
	q, _ = figuresSQL([]Cohort{testCohort("a")}, c, []Dimension{DimAgeBand}, day(2019, 5, 31))
	for _, want := range []string{"esf_last_spell = 1 AND exited = 1", "esf_entry_age_band AS g0", "toUInt8(esf_complete = 1) AS in_groups"} {
		if !strings.Contains(q, want) {
			t.Errorf("ESF statement lacks %q:\n%s", want, q)
		}
	}
	// A measure filter appears only when asked for.
	if strings.Contains(q, "measure_code IN") {
		t.Errorf("measure filter without measure codes:\n%s", q)
	}
}

func TestLastingSQLForCustomParams(t *testing.T) {
	l, err := outcomes.NewLasting(outcomes.LastingParams{Horizons: []int{24, 3, 3},
		Statuses: []string{outcomes.StatusStudies, outcomes.StatusSubsidised}, RequireNoSocialAssistance: false})
	if err != nil {
		t.Fatal(err)
	}
	fx := lastingExprs(l)
	// Statuses are stored as codes: studies 4, subsidised employment 3 (snapshot.StatusCodes).
	st := func(k string) string {
		return "if(" + k + " < length(status_after), status_after[" + k + " + 1], toUInt8(0))"
	}
	want := []string{
		st("3") + " AS x_st3",
		st("24") + " AS x_st24",
		"((x_st3 != 0 AND NOT has([4, 3], x_st3)) OR (x_st24 != 0 AND NOT has([4, 3], x_st24))) AS x_fail",
		"(x_st3 != 0 AND x_st24 != 0) AS x_all_known",
	}
	var got []string
	for _, f := range fx.pre {
		got = append(got, f.sql)
		if len(f.args) != 0 {
			t.Errorf("binds %v", f.args)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("lasting columns, social assistance not required:\n got %q\nwant %q", got, want)
	}
	if fx.known.sql != "x_fail OR x_all_known" || fx.hit.sql != "NOT x_fail AND x_all_known" {
		t.Errorf("known %q, hit %q", fx.known.sql, fx.hit.sql)
	}

	def, _ := outcomes.NewLasting(outcomes.DefaultLastingParams())
	fx = lastingExprs(def)
	sa := func(k string) string { return "if(" + k + " < length(sa_after), sa_after[" + k + " + 1], toInt8(-1))" }
	want = []string{
		st("6") + " AS x_st6",
		sa("6") + " AS x_sa6",
		st("12") + " AS x_st12",
		sa("12") + " AS x_sa12",
		"((x_st6 != 0 AND NOT has([4, 1, 2], x_st6)) OR x_sa6 = 1 OR (x_st12 != 0 AND NOT has([4, 1, 2], x_st12)) OR x_sa12 = 1) AS x_fail",
		"(x_st6 != 0 AND x_sa6 != -1 AND x_st12 != 0 AND x_sa12 != -1) AS x_all_known",
	}
	got = nil
	for _, f := range fx.pre {
		got = append(got, f.sql)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("default lasting columns:\n got %q\nwant %q", got, want)
	}
	// No lambda (a lambda that captured a column was slow, and unread on 18.16).
	for _, f := range fx.pre {
		if strings.Contains(f.sql, "->") {
			t.Errorf("a lambda: %s", f.sql)
		}
	}
}

func TestTallyOrderAndESFRule(t *testing.T) {
	tl := newTally(2)
	tl.add(1, []string{"woman", "2018-Q2"}, true, counts{2, 1, 1})
	tl.add(1, []string{"man", "2018-Q1"}, true, counts{1, 1, 0})
	tl.add(1, []string{"woman", "2018-Q1"}, true, counts{1, 0, 0})
	tl.add(1, []string{"not_stated", "2018-Q1"}, false, counts{3, 3, 3}) // total only
	tl.add(0, []string{"man", "2018-Q1"}, true, counts{1, 0, 0})
	by := []Dimension{DimGender, DimExitQuarter}
	got := tl.figures([]Cohort{{Label: "A"}, {Label: "B"}}, by, "v")
	var order []string
	for _, f := range got {
		order = append(order, f.Cohort+":"+groupText(f.Group))
	}
	want := []string{"A:", "A:man/2018-Q1", "B:", "B:man/2018-Q1", "B:woman/2018-Q1", "B:woman/2018-Q2"}
	if !reflect.DeepEqual(order, want) {
		t.Fatalf("order %v, want %v", order, want)
	}
	if b := got[2]; b.N != 7 || b.Known != 5 || b.Count != 4 || *b.Share != 0.8 {
		t.Errorf("B total %+v", b)
	}
	if a := got[0]; a.Share != nil || a.N != 1 {
		t.Errorf("A total %+v: nothing known, so no share", a)
	}
}

func groupText(g []GroupValue) string {
	var parts []string
	for _, v := range g {
		parts = append(parts, v.Value)
	}
	return strings.Join(parts, "/")
}

// Every status that can count has a code in the warehouse, and unknown is 0.
func TestStatusCodes(t *testing.T) {
	for _, s := range outcomes.Statuses {
		code := snapshot.StatusCode(s)
		if (code == 0) != (s == outcomes.StatusUnknown) || statusName(code) != s {
			t.Errorf("status %q has code %d, decoded %q", s, code, statusName(code))
		}
	}
	if statusName(200) != outcomes.StatusUnknown {
		t.Error("an unknown code must decode as unknown")
	}
	// And nothing else has a code: the list is the statuses, each once.
	if seen := map[string]bool{}; len(snapshot.StatusCodes) != len(outcomes.Statuses) {
		t.Errorf("%d status codes for %d statuses", len(snapshot.StatusCodes), len(outcomes.Statuses))
	} else {
		for _, s := range snapshot.StatusCodes {
			if seen[s] || !outcomes.ValidStatus(s) {
				t.Errorf("status code list holds %q twice or as no status", s)
			}
			seen[s] = true
		}
	}
}

func TestErrorsAreAppErrors(t *testing.T) {
	_, err := compile(Definition{Kind: "X"})
	var e *apperr.Error
	if !errors.As(err, &e) || e.Field != "definition.kind" {
		t.Fatalf("error %v", err)
	}
}

// Which rows a definition counts on the query's day: the SQL of population, with the
// current month (or today) bound, never ClickHouse's today().
func TestPopulationSQL(t *testing.T) {
	today := day(2019, 5, 31)
	for _, c := range []struct {
		def  Definition
		sql  string
		args []any
	}{
		{InWorkOrStudiesAt(6), "addMonths(toStartOfMonth(exit_date), 6) <= toDate(?)", []any{"2019-05-01"}},
		{StatusAt(0, outcomes.StatusStudies), "addMonths(toStartOfMonth(exit_date), 0) <= toDate(?)", []any{"2019-05-01"}},
		{SelfSufficientAt(36), "addMonths(toStartOfMonth(exit_date), 36) <= toDate(?)", []any{"2019-05-01"}},
		{LastingAttachment(nil), "addMonths(toStartOfMonth(exit_date), 12) <= toDate(?)", []any{"2019-05-01"}},
		{LastingAttachment(&outcomes.LastingParams{Horizons: []int{24, 3}}), "addMonths(toStartOfMonth(exit_date), 24) <= toDate(?)", []any{"2019-05-01"}},
		{Definition{Kind: KindKoladaResultAtExit}, "kolada_work_or_studies != -2", nil},
		{Definition{Kind: KindWIOAQ4}, "addDays(wioa_exit_date, 90) <= toDate(?)", []any{"2019-05-31"}},
		{Definition{Kind: KindReentry12}, "1", nil},
		{Definition{Kind: KindESFSixMonth}, "1", nil},
	} {
		cc, err := compile(c.def)
		if err != nil {
			t.Fatal(err)
		}
		f := cc.population(today)
		if f.sql != c.sql || !reflect.DeepEqual(f.args, c.args) {
			v, _ := c.def.Version()
			t.Errorf("%s: %q %v, want %q %v", v, f.sql, f.args, c.sql, c.args)
		}
		q, _ := figuresSQL([]Cohort{testCohort("a")}, cc, nil, today)
		if strings.Contains(q, "today()") || strings.Contains(q, "now()") {
			t.Errorf("%s reads the server's clock:\n%s", c.def.Kind, q)
		}
	}
}

func TestValidatePeriod(t *testing.T) {
	for _, c := range []struct {
		from, to time.Time
		field    string // "" valid
	}{
		{day(2018, 1, 1), day(2019, 1, 1), ""},
		{day(1970, 1, 1), day(2105, 12, 31), ""},
		{time.Time{}, day(2019, 1, 1), "exitFrom"},
		{day(2018, 1, 1), time.Time{}, "exitTo"},
		{day(2018, 1, 1), day(2018, 1, 1), "exitTo"},
		{day(2018, 1, 2), day(2018, 1, 1), "exitTo"},
		{day(1969, 12, 31), day(2019, 1, 1), "exitFrom"},
		{day(1900, 1, 1), day(1950, 1, 1), "exitFrom"},
		{day(2018, 1, 1), day(2106, 1, 1), "exitTo"},
		{day(2018, 1, 1).Add(23 * time.Hour), day(2018, 1, 2), ""}, // dates, not instants
	} {
		err := ValidatePeriod("exitFrom", "exitTo", c.from, c.to)
		e, _ := apperr.As(err)
		switch {
		case c.field == "" && err != nil:
			t.Errorf("%v..%v: %v", c.from, c.to, err)
		case c.field != "" && (e == nil || e.Code != apperr.Invalid || e.Field != c.field):
			t.Errorf("%v..%v: error %v, want INVALID on %s", c.from, c.to, err, c.field)
		}
	}
	// Cohorts use the same rule.
	co := testCohort("a")
	co.ExitFrom = day(1960, 1, 1)
	_, err := Figures(context.Background(), nil, []Cohort{co}, InWorkOrStudiesAt(6), nil)
	wantInvalid(t, err, "cohort before 1970")
}
