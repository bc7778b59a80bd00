package e2e_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/arbetsmarknad/outcomes/internal/app/apiserver/apitest"
)

const (
	createPerson = `mutation($org: ID!, $pnr: String!, $gender: Gender!) {
	  createParticipant(input: {organisationId: $org, personalIdentityNumber: $pnr, givenName: "Test", familyName: "Person", gender: $gender,
	    attributes: {validFrom: "2016-01-01", registeredAtAf: true, guaranteeDays: 600}}) { id birthDate }
	}`
	createEnrolment = `mutation($p: ID!, $start: Date!) {
	  createEnrolment(input: {participantId: $p, measureTypeCode: "extra_job", startDate: $start, decisionDate: $start}) { id version }
	}`
	exitEnrolment = `mutation($e: ID!, $end: Date!, $reason: OutcomeStatus!, $v: Int) {
	  exitEnrolment(input: {enrolmentId: $e, endDate: $end, exitReason: $reason, version: $v}) { id endDate exitReason version }
	}`
	observe = `mutation($p: ID!, $month: Month!, $status: OutcomeStatus!, $sa: Boolean) {
	  recordOutcomeObservation(input: {participantId: $p, month: $month, status: $status, socialAssistance: $sa, source: PHONE_FOLLOW_UP}) { id month status }
	}`
)

func (s *system) createOrg(t testing.TB, code string) string {
	t.Helper()
	return apitest.Organisation(t, s.api, code, "Testkommun")
}

// person walks one participant through enrolment, exit and observations.
func (s *system) person(t *testing.T, org, pnr, gender, start, end, reason string, observations map[string]string) string {
	t.Helper()
	var p struct{ CreateParticipant struct{ ID string } }
	s.api.MustData(t, createPerson, map[string]any{"org": org, "pnr": pnr, "gender": gender}, &p)
	pid := p.CreateParticipant.ID
	var e struct {
		CreateEnrolment struct {
			ID      string
			Version int
		}
	}
	s.api.MustData(t, createEnrolment, map[string]any{"p": pid, "start": start}, &e)
	s.api.MustData(t, exitEnrolment, map[string]any{"e": e.CreateEnrolment.ID, "end": end, "reason": reason, "v": e.CreateEnrolment.Version}, nil)
	for month, status := range observations {
		s.api.MustData(t, observe, map[string]any{"p": pid, "month": month, "status": status, "sa": false}, nil)
	}
	return pid
}

func (s *system) cohort(t testing.TB, org string, year int) cohortResult {
	t.Helper()
	var r cohortResult
	s.api.MustData(t, cohortQuery, map[string]any{"org": org, "year": year}, &r)
	return r
}

func describe(b breakdown) string {
	s := fmt.Sprintf("exits=%d", b.Exits)
	for _, f := range b.Figures {
		share := "null"
		if f.Share != nil {
			share = fmt.Sprintf("%.3f", *f.Share)
		}
		s += fmt.Sprintf(" +%d{n=%d known=%d unknown=%d ws=%d share=%s}", f.MonthsAfterExit, f.N, f.Known, f.Unknown, f.InWorkOrStudies, share)
	}
	return s
}

// TestOutcomeFigureFollowsWrites is the walking skeleton end to end: writes through
// GraphQL change the ClickHouse-served outcome figure, with the loader running and
// nothing restarted.
func TestOutcomeFigureFollowsWrites(t *testing.T) {
	s := start(t)
	org := s.createOrg(t, "skeleton")

	before := s.cohort(t, org, 2019)
	if got := before.ExitCohortOutcome.Total.Exits; got != 0 {
		t.Fatalf("empty organisation: %d exits in 2019", got)
	}
	if v := before.ExitCohortOutcome.DefinitionVersion; v == "" {
		t.Error("figure without a definition version")
	}

	// A woman leaves an extra job in March 2019, works at +6 (Sept) and studies at +12 (March 2020).
	s.person(t, org, "19850402-0028", "WOMAN", "2018-02-01", "2019-03-31", "JOB_SEEKING",
		map[string]string{"2019-09": "UNSUBSIDISED_EMPLOYMENT_FULL", "2020-03": "STUDIES"})

	eventually(t, "first exit reaches the warehouse", func() (bool, string) {
		tot := s.cohort(t, org, 2019).ExitCohortOutcome.Total
		ok := tot.Exits == 1 && len(tot.Figures) == 2 &&
			tot.Figures[0] == (figure{MonthsAfterExit: 6, N: 1, Known: 1, Unknown: 0, InWorkOrStudies: 1, Share: tot.Figures[0].Share}) &&
			tot.Figures[1].InWorkOrStudies == 1 && tot.Figures[0].Share != nil && *tot.Figures[0].Share == 1
		return ok, describe(tot)
	})

	// A man leaves in June 2019, is seeking work at +6 and never reached at +12.
	s.person(t, org, "19900101-0017", "MAN", "2018-09-01", "2019-06-15", "JOB_SEEKING",
		map[string]string{"2019-12": "JOB_SEEKING"})

	eventually(t, "second exit changes the figure", func() (bool, string) {
		r := s.cohort(t, org, 2019).ExitCohortOutcome
		tot := r.Total
		if tot.Exits != 2 || len(r.ByGender) != 2 {
			return false, describe(tot)
		}
		six, twelve := tot.Figures[0], tot.Figures[1]
		ok := six.N == 2 && six.Known == 2 && six.InWorkOrStudies == 1 && *six.Share == 0.5 &&
			twelve.N == 2 && twelve.Known == 1 && twelve.Unknown == 1 && twelve.InWorkOrStudies == 1 && *twelve.Share == 1
		return ok, describe(tot)
	})
	r := s.cohort(t, org, 2019).ExitCohortOutcome
	byGender := map[string]breakdown{}
	for _, b := range r.ByGender {
		byGender[*b.Gender] = b
	}
	if w := byGender["WOMAN"]; w.Exits != 1 || *w.Figures[0].Share != 1 {
		t.Errorf("women: %s", describe(w))
	}
	if m := byGender["MAN"]; m.Exits != 1 || *m.Figures[0].Share != 0 || m.Figures[1].Share != nil || m.Figures[1].Unknown != 1 {
		t.Errorf("men: %s", describe(m))
	}
	// Other years are untouched.
	if got := s.cohort(t, org, 2018).ExitCohortOutcome.Total.Exits; got != 0 {
		t.Errorf("2018 cohort has %d exits, want 0", got)
	}
}

func TestHealthReadinessAndMetrics(t *testing.T) {
	s := start(t)
	org := s.createOrg(t, "metrik")
	s.person(t, org, "19850402-0028", "WOMAN", "2018-02-01", "2019-03-31", "STUDIES", nil)
	for _, path := range []string{"/healthz", "/readyz", "/"} {
		resp, err := http.Get("http://" + s.apiAddr + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d", path, resp.StatusCode)
		}
	}
	eventually(t, "loader reports rows written", func() (bool, string) {
		n := s.loaderMetric(t, `outcomes_loader_rows_written_total (\d+)`)
		return n > 0, fmt.Sprint(n)
	})
	eventually(t, "api reports an empty backlog", func() (bool, string) {
		resp, err := http.Get("http://" + s.apiAddr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return strings.Contains(string(body), "outcomes_outbox_pending_changes 0"), ""
	})
}
