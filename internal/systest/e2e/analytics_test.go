package e2e_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/app/apiserver/apitest"
	"github.com/arbetsmarknad/outcomes/internal/app/demo"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
)

const figuresQuery = `query($a: CohortInput!, $b: CohortInput!) {
  outcomeFigures(cohorts: [$a, $b], definition: {kind: IN_WORK_OR_STUDIES, monthsAfterExit: 6}, breakdowns: [GENDER]) {
    cohort group { breakdown value } n known count share definitionVersion } }`

type cohortFigure struct {
	Cohort            string
	Group             []struct{ Breakdown, Value string }
	N                 int
	Known             int
	Count             int
	Share             *float64
	DefinitionVersion string
}

// TestEvaluatorComparesCohortsAndExportsMicrodata: writes through the API reach the
// warehouse; an evaluator reads two cohorts side by side with a breakdown, and exports
// the pseudonymised microdata; nobody else can.
func TestEvaluatorComparesCohortsAndExportsMicrodata(t *testing.T) {
	s := start(t)
	org := s.createOrg(t, "utvardering")
	other := s.createOrg(t, "annan-kommun")
	type person struct {
		gender, measure, end, reason, at6 string
	}
	people := []person{
		{"WOMAN", "extra_job", "2018-03-31", "JOB_SEEKING", "UNSUBSIDISED_EMPLOYMENT_FULL"},
		{"WOMAN", "extra_job", "2018-05-31", "JOB_SEEKING", "JOB_SEEKING"},
		{"MAN", "extra_job", "2018-06-30", "STUDIES", "STUDIES"},
		{"MAN", "extra_job", "2018-08-31", "JOB_SEEKING", ""}, // never reached: unknown
		{"WOMAN", "work_practice", "2018-04-30", "JOB_SEEKING", "SICK_LEAVE"},
		{"MAN", "work_practice", "2018-09-30", "UNSUBSIDISED_EMPLOYMENT_PART", "UNSUBSIDISED_EMPLOYMENT_PART"},
		{"MAN", "work_practice", "2019-02-28", "JOB_SEEKING", "STUDIES"}, // 2019 exit: outside both cohorts
	}
	for i, p := range people {
		birth := time.Date(1980+i, 3, 10, 0, 0, 0, 0, time.UTC)
		serial := 200 + 2*i
		if p.gender == "MAN" {
			serial++
		}
		var c struct{ CreateParticipant struct{ ID string } }
		s.api.MustData(t, createPerson, map[string]any{"org": org, "pnr": demo.Personnummer(birth, serial), "gender": p.gender}, &c)
		pid := c.CreateParticipant.ID
		var e struct{ CreateEnrolment struct{ ID string } }
		s.api.MustData(t, `mutation($p: ID!, $m: String!, $end: Date!, $r: OutcomeStatus!) { createEnrolment(input: {participantId: $p,
			measureTypeCode: $m, startDate: "2017-09-01", endDate: $end, exitReason: $r}) { id } }`,
			map[string]any{"p": pid, "m": p.measure, "end": p.end, "r": p.reason}, &e)
		if p.at6 != "" {
			end, _ := time.Parse("2006-01-02", p.end)
			s.api.MustData(t, observe, map[string]any{"p": pid, "month": end.AddDate(0, 6, -end.Day()+1).Format("2006-01"), "status": p.at6, "sa": false}, nil)
		}
	}
	evaluator := s.client(t, auth.Principal{Subject: "eva", Role: auth.Evaluator, OrgID: org})
	vars := map[string]any{
		"a": map[string]any{"label": "extra jobs 2018", "exitFrom": "2018-01-01", "exitTo": "2019-01-01", "measureTypeCodes": []string{"extra_job"}},
		"b": map[string]any{"label": "work practice 2018", "exitFrom": "2018-01-01", "exitTo": "2019-01-01", "measureTypeCodes": []string{"work_practice"}},
	}
	var got struct{ OutcomeFigures []cohortFigure }
	want := map[string][4]int{ // cohort/group -> n, known, count
		"extra jobs 2018/":         {4, 3, 2},
		"extra jobs 2018/WOMAN":    {2, 2, 1},
		"extra jobs 2018/MAN":      {2, 1, 1},
		"work practice 2018/":      {2, 2, 1},
		"work practice 2018/MAN":   {1, 1, 1},
		"work practice 2018/WOMAN": {1, 1, 0},
	}
	eventually(t, "cohort figures reach the warehouse", func() (bool, string) {
		evaluator.MustData(t, figuresQuery, vars, &got)
		seen := map[string][4]int{}
		for _, f := range got.OutcomeFigures {
			key := f.Cohort + "/"
			for _, g := range f.Group {
				key += strings.ToUpper(g.Value)
			}
			seen[key] = [4]int{f.N, f.Known, f.Count}
			if f.DefinitionVersion != "in-work-or-studies/1?k=6" {
				return false, "definition version " + f.DefinitionVersion
			}
		}
		for k, v := range want {
			if seen[k] != v {
				return false, k + ": " + describeCounts(seen[k]) + ", want " + describeCounts(v)
			}
		}
		return true, ""
	})

	// Uncertainty and a reweighted comparison, worked by hand. Extra jobs (A): 2 of 3
	// known, 1 unknown of n 4: bounds 2/4 and 3/4. Work practice (B) reweighted to A's
	// gender mix: A's known are 2 women and 1 man (weights 2/3, 1/3); B's women 0 of 1,
	// men 1 of 1, so 2/3·0 + 1/3·1 = 1/3; effective n 1 / ((2/3)²/1 + (1/3)²/1) = 1.8.
	var unc struct {
		OutcomeFigures []struct {
			Cohort     string
			Unit       string
			Unknown    int
			Interval   *struct{ Lower, Upper float64 }
			Bounds     *struct{ IfNoneMet, IfAllMet float64 }
			Official   *struct{ Share float64 }
			Difference *struct {
				FromCohort               string
				Difference, Lower, Upper float64
			}
			Standardised *struct {
				ToCohort          string
				Share, EffectiveN float64
				Interval          struct{ Lower, Upper float64 }
				Unmatched         []struct{ Known int }
			}
		}
	}
	evaluator.MustData(t, `query($a: CohortInput!, $b: CohortInput!) {
		outcomeFigures(cohorts: [$a, $b], definition: {kind: IN_WORK_OR_STUDIES, monthsAfterExit: 6}, standardiseBy: [GENDER]) {
		  cohort unit unknown interval { lower upper } bounds { ifNoneMet ifAllMet } official { share }
		  difference { fromCohort difference lower upper }
		  standardised { toCohort share effectiveN interval { lower upper } unmatched { known } } } }`, vars, &unc)
	if len(unc.OutcomeFigures) != 2 {
		t.Fatalf("figures with standardisation: %+v", unc.OutcomeFigures)
	}
	a, b := unc.OutcomeFigures[0], unc.OutcomeFigures[1]
	if a.Unit != "EXIT" || a.Unknown != 1 || a.Interval == nil || a.Bounds == nil || a.Bounds.IfNoneMet != 0.5 || a.Bounds.IfAllMet != 0.75 ||
		a.Official != nil || a.Difference != nil || a.Standardised != nil {
		t.Errorf("extra jobs: %+v", a)
	}
	if a.Interval != nil && !(a.Interval.Lower < 2.0/3 && 2.0/3 < a.Interval.Upper) {
		t.Errorf("extra jobs interval %+v does not hold 2/3", a.Interval)
	}
	if b.Difference == nil || b.Difference.FromCohort != "extra jobs 2018" || math.Abs(b.Difference.Difference-(0.5-2.0/3)) > 1e-12 ||
		!(b.Difference.Lower < b.Difference.Difference && b.Difference.Difference < b.Difference.Upper) {
		t.Errorf("work practice difference: %+v", b.Difference)
	}
	if st := b.Standardised; st == nil || st.ToCohort != "extra jobs 2018" || math.Abs(st.Share-1.0/3) > 1e-12 ||
		math.Abs(st.EffectiveN-1.8) > 1e-12 || len(st.Unmatched) != 0 || !(st.Interval.Lower < st.Share && st.Share < st.Interval.Upper) {
		t.Errorf("work practice standardised: %+v", b.Standardised)
	}
	errs := evaluator.MustFail(t, `query($a: CohortInput!, $b: CohortInput!) { outcomeFigures(cohorts: [$a, $b],
		definition: {kind: IN_WORK_OR_STUDIES, monthsAfterExit: 6}, standardiseBy: [EXIT_YEAR]) { n } }`, vars)
	if errs[0].Code() != "INVALID" || errs[0].Field() != "standardiseBy[0]" {
		t.Errorf("standardising over the exit year: %v, want INVALID on standardiseBy[0]", errs)
	}

	// A definition at +k needs its month, and a parameter the kind does not use is refused.
	for _, c := range []struct{ definition, field string }{
		{`{kind: IN_WORK_OR_STUDIES}`, "definition.monthsAfterExit"},
		{`{kind: RE_ENTRY, horizons: [6]}`, "definition.horizons"},
		{`{kind: KOLADA_RESULT_AT_EXIT, esfResult: EMPLOYED}`, "definition.esfResult"},
	} {
		errs := evaluator.MustFail(t, `query($a: CohortInput!) { outcomeFigures(cohorts: [$a], definition: `+c.definition+`) { n } }`,
			map[string]any{"a": vars["a"]})
		if errs[0].Code() != "INVALID" || errs[0].Field() != c.field {
			t.Errorf("%s: %v, want INVALID on %s", c.definition, errs, c.field)
		}
	}

	// Another municipality's evaluator, and a caseworker, cannot read them.
	outsider := s.client(t, auth.Principal{Subject: "eva2", Role: auth.Evaluator, OrgID: other})
	vars["a"].(map[string]any)["organisationIds"] = []string{org}
	if errs := outsider.MustFail(t, figuresQuery, vars); errs[0].Code() != "FORBIDDEN" {
		t.Errorf("another organisation's evaluator: %v", errs)
	}
	caseworker := s.client(t, auth.Principal{Subject: "cw", Role: auth.Caseworker, OrgID: org})
	if errs := caseworker.MustFail(t, figuresQuery, vars); errs[0].Code() != "FORBIDDEN" {
		t.Errorf("caseworker: %v", errs)
	}

	// Microdata: one pseudonymised row per enrolment of the cohort, nothing personal.
	rows := microdataRows(t, s, auth.Principal{Subject: "eva", Role: auth.Evaluator, OrgID: org},
		"exitFrom=2018-01-01&exitTo=2019-01-01", http.StatusOK)
	if len(rows) != 1+6 {
		t.Fatalf("microdata has %d lines, want a header and 6 rows", len(rows))
	}
	header := strings.Join(rows[0], ",")
	for _, col := range []string{"person_key", "gender", "measure_code", "status_6", "sa_12"} {
		if !strings.Contains(header, col) {
			t.Errorf("microdata header %q lacks %s", header, col)
		}
	}
	body := ""
	for _, r := range rows {
		body += strings.Join(r, ",") + "\n"
	}
	for i := range people {
		birth := time.Date(1980+i, 3, 10, 0, 0, 0, 0, time.UTC)
		if strings.Contains(body, birth.Format("060102")) || strings.Contains(body, "Test") || strings.Contains(body, "Person") {
			t.Fatalf("microdata holds personal data:\n%s", body)
		}
	}
	microdataRows(t, s, auth.Principal{Subject: "cw", Role: auth.Caseworker, OrgID: org}, "exitFrom=2018-01-01&exitTo=2019-01-01", http.StatusForbidden)
	// The data dictionary: one row per microdata column, for the same roles.
	dict := fetchCSV(t, s, auth.Principal{Subject: "eva", Role: auth.Evaluator, OrgID: org}, "/microdata/dictionary.csv", http.StatusOK)
	if len(dict) != len(rows[0])+1 || dict[0][0] != "column" {
		t.Errorf("dictionary has %d rows for %d columns", len(dict), len(rows[0]))
	}
	for i, col := range rows[0] {
		if i+1 < len(dict) && dict[i+1][0] != col {
			t.Errorf("dictionary row %d describes %s, column %d is %s", i+1, dict[i+1][0], i, col)
		}
	}
	fetchCSV(t, s, auth.Principal{Subject: "cw", Role: auth.Caseworker, OrgID: org}, "/microdata/dictionary.csv", http.StatusForbidden)
	microdataRows(t, s, auth.Principal{Subject: "eva2", Role: auth.Evaluator, OrgID: other},
		"organisationId="+org+"&exitFrom=2018-01-01&exitTo=2019-01-01", http.StatusForbidden)
	microdataRows(t, s, auth.Principal{Subject: "eva", Role: auth.Evaluator, OrgID: org}, "exitFrom=2018-13-01&exitTo=2019-01-01", http.StatusBadRequest)
	// A period the warehouse cannot hold is refused like a malformed one: 400, not 503.
	microdataRows(t, s, auth.Principal{Subject: "eva", Role: auth.Evaluator, OrgID: org}, "exitFrom=1900-01-01&exitTo=1950-01-01", http.StatusBadRequest)
}

func describeCounts(c [4]int) string { return fmt.Sprintf("n=%d known=%d count=%d", c[0], c[1], c[2]) }

// microdataRows fetches /microdata.csv as p and returns its CSV records (status checked).
func microdataRows(t *testing.T, s *system, p auth.Principal, query string, status int) [][]string {
	t.Helper()
	return fetchCSV(t, s, p, "/microdata.csv?"+query, status)
}

// fetchCSV fetches path as p and returns its CSV records (status checked).
func fetchCSV(t *testing.T, s *system, p auth.Principal, path string, status int) [][]string {
	t.Helper()
	tok := apitest.Token(t, p)
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, "http://"+s.apiAddr+path, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != status {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s as %s: status %d, want %d: %s", path, p.Role, resp.StatusCode, status, b)
	}
	if status != http.StatusOK {
		return nil
	}
	rows, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}
