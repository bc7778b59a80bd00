package graph_test

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/app/apiserver/apitest"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/warehouse/outcomes"
)

// TestOneCohortOneFigureOnEverySurface: one cohort (this municipality, last year's
// exits, in work or studies at +6, women) read through every path a user has — the
// steering report of the current month (GraphQL, the cells every format prints), the
// steering group's exitCohortOutcome, the evaluators' outcomeFigures by gender, and the
// evaluators' microdata counted by hand with the one status set — must be one figure:
// the same n, known and count, under the same as-of day. Another measure's exits and a
// man's are in the data, so that a surface with another population or status set shows.
func TestOneCohortOneFigureOnEverySurface(t *testing.T) {
	t.Parallel()
	w := newCaseB(t)
	year := w.now.Year() - 1
	type person struct {
		gender, measure, exit, reason, at6 string
	}
	var people []person
	// 12 women in work practice: 6 in studies or work at +6 (one part time, one full
	// time), 5 job seeking, 1 in subsidised work (not in the set), exits from January to
	// June (their +6 has begun on any day of this year); 10 men, 5 in work; 5 women in work
	// training, in studies (counted: every measure is in the cohort). Counts of 1–4 would
	// be hidden from the steering group, so the women's cells are all 0 or over 4.
	at6 := []string{"STUDIES", "STUDIES", "STUDIES", "STUDIES", "UNSUBSIDISED_EMPLOYMENT_PART", "UNSUBSIDISED_EMPLOYMENT_FULL",
		"JOB_SEEKING", "JOB_SEEKING", "JOB_SEEKING", "JOB_SEEKING", "SUBSIDISED_EMPLOYMENT", "JOB_SEEKING"}
	for i, st := range at6 {
		people = append(people, person{"WOMAN", "work_practice", fmt.Sprintf("%d-%02d-%02d", year, 1+i%6, 28), "STUDIES", st})
	}
	for i := 0; i < 10; i++ {
		st := "UNSUBSIDISED_EMPLOYMENT_FULL"
		if i >= 5 {
			st = "SICK_LEAVE"
		}
		people = append(people, person{"MAN", "work_practice", fmt.Sprintf("%d-03-31", year), "JOB_SEEKING", st})
	}
	for i := 0; i < 5; i++ {
		people = append(people, person{"WOMAN", "work_training", fmt.Sprintf("%d-02-28", year), "STUDIES", "STUDIES"})
	}
	for i, p := range people {
		var created struct{ CreateParticipant struct{ ID string } }
		w.cw.MustData(t, `mutation($o: ID!, $p: String!, $g: Gender!) { createParticipant(input: {organisationId: $o,
			personalIdentityNumber: $p, givenName: "Alva", familyName: "Ström", gender: $g}) { id } }`,
			map[string]any{"o": w.org, "p": pnr(1988, 7, 9, 500+i), "g": p.gender}, &created)
		id := created.CreateParticipant.ID
		w.cw.MustData(t, `mutation($p: ID!, $m: String!, $s: Date!, $e: Date!, $r: OutcomeStatus!) { createEnrolment(input: {participantId: $p,
			measureTypeCode: $m, startDate: $s, endDate: $e, exitReason: $r}) { id } }`,
			map[string]any{"p": id, "m": p.measure, "s": fmt.Sprintf("%d-01-02", year-1), "e": p.exit, "r": p.reason}, nil)
		{
			exit, _ := time.Parse("2006-01-02", p.exit)
			w.cw.MustData(t, `mutation($p: ID!, $m: Month!, $s: OutcomeStatus!) { recordOutcomeObservation(input: {participantId: $p,
				month: $m, status: $s, socialAssistance: false, source: AF_DATA}) { id } }`,
				map[string]any{"p": id, "m": outcomes.MonthOf(exit).AddDate(0, 6, 0).Format("2006-01"), "s": p.at6}, nil)
		}
	}
	w.drain(t)
	type figure struct{ n, known, count int }
	want := figure{17, 17, 11} // women: 12 in work practice, 5 in work training
	got := map[string]figure{}

	// The steering report of the current month: the previous year's exits by gender.
	var rep struct {
		SteeringReport struct {
			Sections []struct {
				Key    string
				Tables []struct {
					Key  string
					Rows []struct {
						Key   string
						Cells []struct {
							ID                string
							Value             *float64
							DefinitionVersion *string
						}
					}
				}
			}
		}
	}
	w.steering.MustData(t, `query($o: ID!, $m: Month!) { steeringReport(organisationId: $o, month: $m) { sections { key
		tables { key rows { key cells { id value definitionVersion } } } } } }`,
		map[string]any{"o": w.org, "m": w.now.Format("2006-01")}, &rep)
	cells := map[string]*float64{}
	for _, s := range rep.SteeringReport.Sections {
		for _, tb := range s.Tables {
			for _, r := range tb.Rows {
				for _, c := range r.Cells {
					cells[c.ID] = c.Value
				}
			}
		}
	}
	value := func(id string) int {
		v, ok := cells[id]
		if !ok || v == nil {
			t.Fatalf("the report's %s is missing or hidden", id)
		}
		return int(*v)
	}
	got["steering report"] = figure{value("ws6-gender/women/n"), value("ws6-gender/women/known"), value("ws6-gender/women/count")}

	// exitCohortOutcome, as the steering group reads it.
	var co shownCohort
	w.steering.MustData(t, `query($o: ID!, $y: Int!) { exitCohortOutcome(organisationId: $o, exitYear: $y) {
		total { gender exits exitsDisplay figures { monthsAfterExit n known unknown inWork: inWorkOrStudies share suppressed } }
		byGender { gender exits exitsDisplay figures { monthsAfterExit n known unknown inWork: inWorkOrStudies share suppressed } } } }`,
		map[string]any{"o": w.org, "y": year}, &co)
	women := genderOf(t, co, "WOMAN").Figures[0]
	if women.MonthsAfterExit != 6 || women.N == nil || women.Known == nil || women.InWork == nil {
		t.Fatalf("exitCohortOutcome's women at +6: %+v", women)
	}
	got["exitCohortOutcome"] = figure{*women.N, *women.Known, *women.InWork}

	// outcomeFigures, as the evaluators read it.
	evaluator := auth.Principal{Subject: "utvarderare", Role: auth.Evaluator, OrgID: w.org}
	var of struct {
		OutcomeFigures []struct {
			Group             []struct{ Value string }
			N, Known, Count   int
			DefinitionVersion string
		}
	}
	ev := apitest.Client(t, w.base, evaluator)
	ev.MustData(t, `query($f: Date!, $t: Date!) { outcomeFigures(cohorts: [{label: "c", exitFrom: $f, exitTo: $t}],
		definition: {kind: IN_WORK_OR_STUDIES, monthsAfterExit: 6}, breakdowns: [GENDER]) { group { value } n known count definitionVersion } }`,
		map[string]any{"f": fmt.Sprintf("%d-01-01", year), "t": fmt.Sprintf("%d-01-01", year+1)}, &of)
	for _, f := range of.OutcomeFigures {
		if len(f.Group) == 1 && f.Group[0].Value == "woman" {
			got["outcomeFigures"] = figure{f.N, f.Known, f.Count}
		}
	}

	// The microdata, counted by hand: rows of women whose +6 month has begun, known
	// statuses, and those in the one work-or-studies set.
	q := url.Values{"exitFrom": {fmt.Sprintf("%d-01-01", year)}, "exitTo": {fmt.Sprintf("%d-01-01", year+1)}}
	req, err := http.NewRequest(http.MethodGet, w.base+"/microdata.csv?"+q.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+apitest.Token(t, evaluator))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	records, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil || resp.StatusCode != http.StatusOK || len(records) < 2 {
		t.Fatalf("microdata: %d, %d records, %v", resp.StatusCode, len(records), err)
	}
	col := map[string]int{}
	for i, h := range records[0] {
		col[h] = i
	}
	var md figure
	for _, r := range records[1:] {
		exit, err := time.Parse("2006-01-02", r[col["exit_date"]])
		if err != nil {
			t.Fatal(err)
		}
		if r[col["gender"]] != "woman" || outcomes.MonthOf(exit).AddDate(0, 6, 0).After(outcomes.MonthOf(w.now)) {
			continue
		}
		md.n++
		if st := r[col["status_6"]]; st != outcomes.StatusUnknown {
			md.known++
			if outcomes.WorkOrStudiesSet.Has(st) {
				md.count++
			}
		}
	}
	got["microdata"] = md

	for surface, f := range got {
		if f != want {
			t.Errorf("%s: women at +6 n %d known %d count %d, want %d %d %d", surface, f.n, f.known, f.count, want.n, want.known, want.count)
		}
	}
	if len(got) != 4 {
		t.Fatalf("surfaces read: %v", got)
	}
	t.Logf("women at +6 on every surface: n %d, known %d, in work or studies %d", want.n, want.known, want.count)
}
