package graph_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arbetsmarknad/outcomes/internal/app/apiserver"
	"github.com/arbetsmarknad/outcomes/internal/app/apiserver/apitest"
	"github.com/arbetsmarknad/outcomes/internal/app/demo"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/gqltest"
	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
)

// caseWorld is one municipality with a caseworker client, a unit, a staff user and a
// municipal department, created through the API.
type caseWorld struct {
	admin, cw        *gqltest.Client
	pool             *pgxpool.Pool
	org, unit, staff string
	department       string
	statements       *testenv.Statements // statements the API ran, set-scope calls excluded
	base             string
}

func newCaseWorld(t *testing.T) *caseWorld {
	t.Helper()
	w := &caseWorld{statements: &testenv.Statements{}}
	s := apitest.New(t, apitest.Options{Tracer: w.statements, API: apiserver.Options{MaxComplexity: 5000}})
	w.caseSetup(t, s, "uppsala-case", "Uppsala kommun", "cw-anna")
	var unit struct{ CreateUnit struct{ ID string } }
	w.admin.MustData(t, `mutation($o: ID!) { createUnit(input: {organisationId: $o, name: "Enhet anställning"}) { id } }`,
		map[string]any{"o": w.org}, &unit)
	w.unit = unit.CreateUnit.ID
	var staff struct{ CreateStaffUser struct{ ID string } }
	w.admin.MustData(t, `mutation($o: ID!, $u: ID!) { createStaffUser(input: {organisationId: $o, unitId: $u, name: "Anna Coach",
		title: "jobbcoach"}) { id } }`, map[string]any{"o": w.org, "u": w.unit}, &staff)
	w.staff = staff.CreateStaffUser.ID
	var emp struct{ CreateEmployer struct{ ID string } }
	w.cw.MustData(t, `mutation($o: ID!) { createEmployer(input: {organisationId: $o, kind: MUNICIPAL_DEPARTMENT,
		name: "Vård- och omsorgsförvaltningen", headcount: 5200}) { id } }`, map[string]any{"o": w.org}, &emp)
	w.department = emp.CreateEmployer.ID
	return w
}

// caseSetup points w at s and creates, through the API, one municipality and a
// caseworker client in it.
func (w *caseWorld) caseSetup(t *testing.T, s *apitest.Server, code, name, caseworker string) {
	t.Helper()
	w.pool, w.base, w.admin = s.Owner, s.URL, s.Admin(t)
	w.org = apitest.Organisation(t, w.admin, code, name)
	w.cw = s.Client(t, auth.Principal{Subject: caseworker, Role: auth.Caseworker, OrgID: w.org})
}

// person registers a participant with attributes valid from 2017-12-01.
func (w *caseWorld) person(t *testing.T, pnr, attributes string) string {
	t.Helper()
	var p struct{ CreateParticipant struct{ ID string } }
	w.cw.MustData(t, `mutation($o: ID!, $p: String!, $s: ID!) { createParticipant(input: {organisationId: $o,
		personalIdentityNumber: $p, givenName: "Sara", familyName: "Lind", gender: WOMAN, caseworkerId: $s,
		attributes: {validFrom: "2017-12-01", `+attributes+`}}) { id } }`,
		map[string]any{"o": w.org, "p": pnr, "s": w.staff}, &p)
	return p.CreateParticipant.ID
}

// TestSeedPathEndToEnd walks one person along the seeds' path and reads the whole
// history back in one query.
func TestSeedPathEndToEnd(t *testing.T) {
	t.Parallel()
	w := newCaseWorld(t)
	cw := w.cw
	// Long-term unemployed, 500 days in the job and development guarantee, on social assistance.
	pid := w.person(t, pnr(1985, 4, 12, 123), `district: "Gottsunda", registeredAtAf: true, guaranteeDays: 500,
		socialAssistance: true, distanceCategory: RED, birthRegion: OUTSIDE_EUROPE, educationLevel: PRE_UPPER_SECONDARY`)

	// Referral from social services, then the tripartite meeting and feedback.
	var ref struct {
		CreateReferral struct {
			ID      string
			Version int
		}
	}
	cw.MustData(t, `mutation($p: ID!) { createReferral(input: {participantId: $p, source: SOCIAL_SERVICES, referralDate: "2018-01-10",
		referringOfficer: "Socialsekreterare Berg", ordered: [LABOUR_MARKET_EMPLOYMENT, MAPPING], feedbackMethod: "skriftlig",
		feedbackDueDate: "2018-02-10"}) { id version } }`, map[string]any{"p": pid}, &ref)
	cw.MustData(t, `mutation($r: ID!, $v: Int!) { updateReferral(input: {id: $r, version: $v, tripartiteMeetingDate: "2018-01-17",
		feedbackSentDate: "2018-02-05"}) { id } }`, map[string]any{"r": ref.CreateReferral.ID, "v": ref.CreateReferral.Version}, nil)

	// Action plan.
	cw.MustData(t, `mutation($p: ID!) { saveActionPlan(input: {participantId: $p, goal: "Anställning inom vården",
		responsible: "Anna Coach", nextReviewDate: "2018-04-01", steps: [
			{description: "Kartläggning", dueDate: "2018-01-31", doneDate: "2018-01-30"},
			{description: "Rekryteringsmässa", dueDate: "2018-02-28"}]}) { id } }`, map[string]any{"p": pid}, nil)

	// Recruitment fair: the department offers places, interviews and offers.
	var ev struct{ CreateRecruitmentEvent struct{ ID string } }
	cw.MustData(t, `mutation($o: ID!, $d: ID!) { createRecruitmentEvent(input: {organisationId: $o, kind: FAIR,
		name: "Rekryteringsmässa extratjänster", heldOn: "2018-02-15", measureTypeCode: "extra_job",
		places: [{employerId: $d, places: 3}]}) { id } }`, map[string]any{"o": w.org, "d": w.department}, &ev)
	cw.MustData(t, `mutation($e: ID!, $p: ID!) { inviteToRecruitmentEvent(input: {eventId: $e, participantIds: [$p]}) { id } }`,
		map[string]any{"e": ev.CreateRecruitmentEvent.ID, "p": pid}, nil)
	var iv struct {
		RecordInterview struct {
			ID      string
			Version int
		}
	}
	cw.MustData(t, `mutation($e: ID!, $p: ID!, $d: ID!) { recordInterview(input: {eventId: $e, participantId: $p, employerId: $d,
		notes: "Erfarenhet av äldreomsorg"}) { id version } }`,
		map[string]any{"e": ev.CreateRecruitmentEvent.ID, "p": pid, "d": w.department}, &iv)
	var offer struct{ MakeOffer struct{ Version int } }
	cw.MustData(t, `mutation($i: ID!, $v: Int!) { makeOffer(input: {interviewId: $i, version: $v, offerDate: "2018-02-20"}) { version } }`,
		map[string]any{"i": iv.RecordInterview.ID, "v": iv.RecordInterview.Version}, &offer)

	// Acceptance: the extra-job decision, eligible through 450 guarantee days, at 25 %.
	var acc struct {
		AnswerOffer struct {
			Accepted  bool
			Enrolment struct {
				ID          string
				Version     int
				Eligibility struct {
					Rule       string
					Basis      []string
					Overridden bool
				}
			}
		}
	}
	cw.MustData(t, `mutation($i: ID!, $v: Int!, $u: ID!) { answerOffer(input: {interviewId: $i, version: $v, accepted: true,
		enrolment: {measureTypeCode: "extra_job", decisionDate: "2018-02-26", startDate: "2018-03-01", plannedEndDate: "2019-02-28",
			occupation: "Vårdbiträde", employmentRate: 25, wagePayer: MUNICIPALITY, unitId: $u}}) {
		accepted enrolment { id version eligibility { rule basis overridden } } } }`,
		map[string]any{"i": iv.RecordInterview.ID, "v": offer.MakeOffer.Version, "u": w.unit}, &acc)
	enr := acc.AnswerOffer.Enrolment
	if !acc.AnswerOffer.Accepted || enr.ID == "" {
		t.Fatalf("acceptance did not create the enrolment: %+v", acc)
	}
	if enr.Eligibility.Rule != "EXTRA_JOB" || enr.Eligibility.Overridden || !contains(enr.Eligibility.Basis, "GUARANTEE_450_DAYS") {
		t.Fatalf("eligibility = %+v, want EXTRA_JOB through GUARANTEE_450_DAYS without override", enr.Eligibility)
	}

	// 25 % -> 100 %, then exit to unsubsidised work, then observations at +6 and +12.
	var rate struct{ ChangeEmploymentRate struct{ Version int } }
	cw.MustData(t, `mutation($e: ID!, $v: Int!) { changeEmploymentRate(input: {enrolmentId: $e, version: $v, validFrom: "2018-06-01", rate: 100}) { version } }`,
		map[string]any{"e": enr.ID, "v": enr.Version}, &rate)
	cw.MustData(t, `mutation($e: ID!, $v: Int!) { exitEnrolment(input: {enrolmentId: $e, version: $v, endDate: "2019-02-28",
		exitReason: UNSUBSIDISED_EMPLOYMENT_FULL, socialAssistanceAtExit: false}) { id } }`, map[string]any{"e": enr.ID, "v": rate.ChangeEmploymentRate.Version}, nil)
	for _, o := range []struct{ month, status string }{{"2019-08", "UNSUBSIDISED_EMPLOYMENT_FULL"}, {"2020-02", "UNSUBSIDISED_EMPLOYMENT_FULL"}} {
		cw.MustData(t, `mutation($p: ID!, $m: Month!, $s: OutcomeStatus!) { recordOutcomeObservation(input: {participantId: $p, month: $m,
			status: $s, socialAssistance: false, source: PHONE_FOLLOW_UP}) { id } }`, map[string]any{"p": pid, "m": o.month, "s": o.status}, nil)
	}

	// The whole history in one query.
	var got struct {
		Participant struct {
			CaseStatus string
			Caseworker struct{ Name string }
			Attributes struct {
				District         string
				GuaranteeDays    int
				DistanceCategory string
			}
			Referrals []struct {
				Source                string
				Ordered               []string
				TripartiteMeetingDate string
				FeedbackSentDate      string
				FeedbackOverdue       bool
			}
			ActionPlan struct {
				Goal  string
				Steps []struct {
					Position    int
					Description string
					DoneDate    *string
				}
			}
			Interviews []struct {
				Offered  bool
				Accepted *bool
				Employer struct{ Name string }
				Event    struct {
					Kind    string
					Summary struct{ PlacesFilled, Interviews int }
				}
				Enrolment struct{ ID string }
			}
			Enrolments []struct {
				ID                     string
				MeasureType            struct{ Code string }
				DecisionDate           string
				StartDate              string
				EndDate                string
				ExitReason             string
				SocialAssistanceAtExit *bool
				Occupation             string
				WagePayer              string
				Subsidised             bool
				Unit                   struct{ Name string }
				HostEmployer           struct {
					Name string
					Kind string
				}
				EmploymentRates []struct {
					ValidFrom string
					Rate      int
				}
			}
			Observations      []struct{ Month, Status string }
			LatestObservation struct{ Month string }
		}
	}
	cw.MustData(t, `query($p: ID!) { participant(id: $p) {
		caseStatus caseworker { name } attributes { district guaranteeDays distanceCategory }
		referrals { source ordered tripartiteMeetingDate feedbackSentDate feedbackOverdue }
		actionPlan { goal steps { position description doneDate } }
		interviews { offered accepted employer { name } event { kind summary { placesFilled interviews } } enrolment { id } }
		enrolments { id measureType { code } decisionDate startDate endDate exitReason socialAssistanceAtExit occupation wagePayer subsidised
			unit { name } hostEmployer { name kind } employmentRates { validFrom rate } }
		observations { month status } latestObservation { month } } }`, map[string]any{"p": pid}, &got)
	p := got.Participant
	if p.CaseStatus != "ACTIVE" || p.Caseworker.Name != "Anna Coach" || p.Attributes.District != "Gottsunda" ||
		p.Attributes.GuaranteeDays != 500 || p.Attributes.DistanceCategory != "RED" {
		t.Errorf("participant = %+v", p)
	}
	if len(p.Referrals) != 1 || p.Referrals[0].Source != "SOCIAL_SERVICES" || p.Referrals[0].TripartiteMeetingDate != "2018-01-17" ||
		p.Referrals[0].FeedbackSentDate != "2018-02-05" || p.Referrals[0].FeedbackOverdue {
		t.Errorf("referrals = %+v", p.Referrals)
	}
	if p.ActionPlan.Goal != "Anställning inom vården" || len(p.ActionPlan.Steps) != 2 || p.ActionPlan.Steps[1].Position != 2 {
		t.Errorf("action plan = %+v", p.ActionPlan)
	}
	if len(p.Interviews) != 1 || !p.Interviews[0].Offered || p.Interviews[0].Accepted == nil || !*p.Interviews[0].Accepted ||
		p.Interviews[0].Enrolment.ID != enr.ID || p.Interviews[0].Event.Kind != "FAIR" || p.Interviews[0].Event.Summary.PlacesFilled != 1 {
		t.Errorf("interviews = %+v", p.Interviews)
	}
	if len(p.Enrolments) != 1 {
		t.Fatalf("enrolments = %+v", p.Enrolments)
	}
	e := p.Enrolments[0]
	if e.MeasureType.Code != "extra_job" || e.DecisionDate != "2018-02-26" || e.StartDate != "2018-03-01" || e.EndDate != "2019-02-28" ||
		e.ExitReason != "UNSUBSIDISED_EMPLOYMENT_FULL" || e.SocialAssistanceAtExit == nil || *e.SocialAssistanceAtExit || e.Occupation != "Vårdbiträde" || e.WagePayer != "MUNICIPALITY" ||
		!e.Subsidised || e.Unit.Name != "Enhet anställning" || e.HostEmployer.Kind != "MUNICIPAL_DEPARTMENT" {
		t.Errorf("enrolment = %+v", e)
	}
	if fmt.Sprint(e.EmploymentRates) != "[{2018-03-01 25} {2018-06-01 100}]" {
		t.Errorf("employment rates = %v, want 25 %% from the start then 100 %%", e.EmploymentRates)
	}
	if len(p.Observations) != 2 || p.Observations[0].Month != "2019-08" || p.LatestObservation.Month != "2020-02" {
		t.Errorf("observations = %+v, latest %+v", p.Observations, p.LatestObservation)
	}
}

// TestExtraJobEligibilityRefusedThenOverridden: someone who meets none of the three
// conditions is refused with a clear error and nothing is written; with an override
// and a reason the decision goes through and is listed among overrides.
func TestExtraJobEligibilityRefusedThenOverridden(t *testing.T) {
	t.Parallel()
	w := newCaseWorld(t)
	// Registered at AF, but 120 guarantee days, not newly arrived, no EU/EEA family permit.
	pid := w.person(t, pnr(1990, 1, 1, 1), `registeredAtAf: true, guaranteeDays: 120, newlyArrived: false, introductionPlan: false`)

	var check struct {
		CheckEligibility struct {
			Eligible bool
			Reasons  []string
		}
	}
	w.cw.MustData(t, `query($p: ID!) { checkEligibility(participantId: $p, measureTypeCode: "extra_job", decisionDate: "2018-03-01") {
		eligible reasons } }`, map[string]any{"p": pid}, &check)
	if check.CheckEligibility.Eligible || len(check.CheckEligibility.Reasons) < 3 {
		t.Fatalf("checkEligibility = %+v, want not eligible with a reason per unmet condition", check.CheckEligibility)
	}

	before := tableRows(t, w.pool)
	const decide = `mutation($p: ID!, $o: EligibilityOverrideInput) { createEnrolment(input: {participantId: $p,
		measureTypeCode: "extra_job", decisionDate: "2018-03-01", startDate: "2018-03-05", employmentRate: 50,
		eligibilityOverride: $o}) { id eligibility { overridden overrideReason overrideBy basis } } }`
	errs := w.cw.MustFail(t, decide, map[string]any{"p": pid})
	if errs[0].Code() != "NOT_ELIGIBLE" || errs[0].Field() != "input.eligibilityOverride" ||
		!strings.Contains(errs[0].Message, "450") {
		t.Fatalf("refusal = %+v, want NOT_ELIGIBLE on input.eligibilityOverride naming the 450-day rule", errs[0])
	}
	if after := tableRows(t, w.pool); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("a refused decision wrote something: before %v, after %v", before, after)
	}

	// A reason that says nothing is refused too.
	errs = w.cw.MustFail(t, decide, map[string]any{"p": pid, "o": map[string]any{"reason": "ok"}})
	if errs[0].Code() != "INVALID" || errs[0].Field() != "input.eligibilityOverride.reason" {
		t.Fatalf("empty reason = %+v", errs[0])
	}

	reason := "AF har fattat beslut trots 120 dagar; bedömd i behov enligt socialtjänsten"
	var ok struct {
		CreateEnrolment struct {
			ID          string
			Eligibility struct {
				Overridden     bool
				OverrideReason string
				OverrideBy     string
				Basis          []string
			}
		}
	}
	w.cw.MustData(t, decide, map[string]any{"p": pid, "o": map[string]any{"reason": reason}}, &ok)
	el := ok.CreateEnrolment.Eligibility
	if !el.Overridden || el.OverrideReason != reason || el.OverrideBy != "cw-anna" {
		t.Fatalf("override = %+v", el)
	}
	var list struct {
		EligibilityOverrides struct {
			TotalCount int
			Edges      []struct{ Node struct{ ID string } }
		}
	}
	w.cw.MustData(t, `query($o: ID!) { eligibilityOverrides(organisationId: $o) { totalCount edges { node { id } } } }`,
		map[string]any{"o": w.org}, &list)
	if list.EligibilityOverrides.TotalCount != 1 || list.EligibilityOverrides.Edges[0].Node.ID != ok.CreateEnrolment.ID {
		t.Fatalf("overrides = %+v, want exactly the overridden decision", list.EligibilityOverrides)
	}
}

// TestCreateIsIdempotent: a retried create with the same key returns the first result
// and writes nothing new; the key reused for another request is a conflict.
func TestCreateIsIdempotent(t *testing.T) {
	t.Parallel()
	w := newCaseWorld(t)
	pnrMaja := pnr(1978, 10, 24, 238)
	const create = `mutation($o: ID!, $k: String, $n: String!, $pnr: String!) { createParticipant(input: {organisationId: $o,
		personalIdentityNumber: $pnr, givenName: $n, familyName: "Ek", gender: WOMAN, idempotencyKey: $k}) { id } }`
	var first, second struct{ CreateParticipant struct{ ID string } }
	w.cw.MustData(t, create, map[string]any{"o": w.org, "k": "form-42", "n": "Maja", "pnr": pnrMaja}, &first)
	before := tableRows(t, w.pool)
	w.cw.MustData(t, create, map[string]any{"o": w.org, "k": "form-42", "n": "Maja", "pnr": pnrMaja}, &second)
	if second.CreateParticipant.ID != first.CreateParticipant.ID {
		t.Fatalf("retry returned %s, first %s", second.CreateParticipant.ID, first.CreateParticipant.ID)
	}
	if after := tableRows(t, w.pool); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("a retried create wrote: before %v, after %v", before, after)
	}
	errs := w.cw.MustFail(t, create, map[string]any{"o": w.org, "k": "form-42", "n": "Other", "pnr": pnrMaja})
	if errs[0].Code() != "CONFLICT" || errs[0].Field() != "input.idempotencyKey" {
		t.Fatalf("reused key = %+v", errs[0])
	}
	// Without a key the same person is a duplicate, not a replay.
	errs = w.cw.MustFail(t, create, map[string]any{"o": w.org, "n": "Maja", "pnr": pnrMaja})
	if errs[0].Code() != "CONFLICT" || errs[0].Field() != "input.personalIdentityNumber" {
		t.Fatalf("duplicate = %+v", errs[0])
	}
}

// TestStaleVersionIsAConflict: updates carry the version they read.
func TestStaleVersionIsAConflict(t *testing.T) {
	t.Parallel()
	w := newCaseWorld(t)
	pid := w.person(t, pnr(1970, 1, 1, 0), `district: "Gränby"`)
	const upd = `mutation($p: ID!, $v: Int!, $s: CaseStatus) { updateParticipant(input: {id: $p, version: $v, caseStatus: $s}) { version caseStatus } }`
	var ok struct {
		UpdateParticipant struct {
			Version    int
			CaseStatus string
		}
	}
	w.cw.MustData(t, upd, map[string]any{"p": pid, "v": 1, "s": "PAUSED"}, &ok)
	if ok.UpdateParticipant.Version != 2 || ok.UpdateParticipant.CaseStatus != "PAUSED" {
		t.Fatalf("update = %+v", ok.UpdateParticipant)
	}
	errs := w.cw.MustFail(t, upd, map[string]any{"p": pid, "v": 1, "s": "CLOSED"})
	if errs[0].Code() != "CONFLICT" || errs[0].Field() != "input.version" {
		t.Fatalf("stale update = %+v", errs[0])
	}
}

// TestParticipantSearchAndAttributeHistory: caseworker search by name, personnummer,
// district, status, distance category and caseworker; attributes keep their history.
func TestParticipantSearchAndAttributeHistory(t *testing.T) {
	t.Parallel()
	w := newCaseWorld(t)
	a := w.person(t, pnr(1985, 4, 12, 123), `district: "Gottsunda", distanceCategory: RED`)
	w.person(t, pnr(1990, 1, 1, 1), `district: "Gränby", distanceCategory: GREEN`)
	// a moves to Gränby and becomes yellow from 2018-06-01; the earlier set stays.
	w.cw.MustData(t, `mutation($p: ID!) { recordParticipantAttributes(input: {participantId: $p,
		attributes: {validFrom: "2018-06-01", district: "Gränby", distanceCategory: YELLOW}}) { id } }`, map[string]any{"p": a}, nil)
	var hist struct {
		Participant struct {
			Then    struct{ District, DistanceCategory string }
			History []struct{ ValidFrom, District string }
		}
	}
	w.cw.MustData(t, `query($p: ID!) { participant(id: $p) { then: attributes(asOf: "2018-01-01") { district distanceCategory }
		history: attributeHistory { validFrom district } } }`, map[string]any{"p": a}, &hist)
	if hist.Participant.Then.District != "Gottsunda" || hist.Participant.Then.DistanceCategory != "RED" ||
		fmt.Sprint(hist.Participant.History) != "[{2017-12-01 Gottsunda} {2018-06-01 Gränby}]" {
		t.Fatalf("history = %+v", hist.Participant)
	}
	search := func(filter map[string]any) int {
		var r struct{ Participants struct{ TotalCount int } }
		w.cw.MustData(t, `query($o: ID!, $f: ParticipantFilter) { participants(organisationId: $o, filter: $f) { totalCount } }`,
			map[string]any{"o": w.org, "f": filter}, &r)
		return r.Participants.TotalCount
	}
	for _, c := range []struct {
		filter map[string]any
		want   int
	}{
		{map[string]any{}, 2},
		{map[string]any{"search": "sara lind"}, 2},
		{map[string]any{"search": strings.ReplaceAll(pnr(1985, 4, 12, 123), "-", "")}, 1},
		{map[string]any{"search": pnr(1985, 4, 12, 123)[2:]}, 1},
		{map[string]any{"district": "gränby"}, 2},
		{map[string]any{"distanceCategory": "YELLOW"}, 1},
		{map[string]any{"distanceCategory": "RED"}, 0},
		{map[string]any{"caseStatus": "ACTIVE", "caseworkerId": w.staff}, 2},
		{map[string]any{"caseStatus": "CLOSED"}, 0},
	} {
		if got := search(c.filter); got != c.want {
			t.Errorf("search %v = %d, want %d", c.filter, got, c.want)
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// pnr is a valid personal identity number (check digit included) for a birth date.
func pnr(y, m, d, serial int) string {
	return demo.Personnummer(time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC), serial)
}
