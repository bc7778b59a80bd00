package graph_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/app/apiserver/apitest"
	"github.com/arbetsmarknad/outcomes/internal/app/demo"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/gqltest"
)

// referralWorld is two municipalities with a caseworker each and one person in A.
type referralWorld struct {
	admin, cwA, cwB *gqltest.Client
	orgA, orgB      string
	person          string
	count           func(q string, args ...any) int
}

func newReferralWorld(t *testing.T) *referralWorld {
	t.Helper()
	admin, system, base := newAPIWithURL(t)
	w := &referralWorld{admin: admin}
	w.count = func(q string, args ...any) int {
		t.Helper()
		var n int
		for i, a := range args { // SQL sees record ids, the API answers global ids
			if s, ok := a.(string); ok {
				args[i] = plain(s)
			}
		}
		if err := system.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	w.orgA, w.orgB = apitest.Organisation(t, admin, "remiss-a", "remiss-a"), apitest.Organisation(t, admin, "remiss-b", "remiss-b")
	w.cwA = apitest.Client(t, base, auth.Principal{Subject: "cw-a", Role: auth.Caseworker, OrgID: w.orgA})
	w.cwB = apitest.Client(t, base, auth.Principal{Subject: "cw-b", Role: auth.Caseworker, OrgID: w.orgB})
	var p struct{ CreateParticipant struct{ ID string } }
	w.cwA.MustData(t, `mutation($o: ID!, $pnr: String!) { createParticipant(input: {organisationId: $o, personalIdentityNumber: $pnr,
		givenName: "Sara", familyName: "Lind", gender: WOMAN}) { id } }`,
		map[string]any{"o": w.orgA, "pnr": demo.Personnummer(time.Date(1985, 4, 12, 0, 0, 0, 0, time.UTC), 123)}, &p)
	w.person = p.CreateParticipant.ID
	return w
}

type gqlReferral struct {
	ID                    string
	Version               int
	Source                string
	Ordered               []string
	ReferralDate          string
	FeedbackDueDate       *string
	FeedbackSentDate      *string
	TripartiteMeetingDate *string
	FeedbackOverdue       bool
	Participant           struct{ ID string }
}

const referralFields = `id version source ordered referralDate feedbackDueDate feedbackSentDate tripartiteMeetingDate
	feedbackOverdue participant { id }`

func (w *referralWorld) create(t *testing.T, date, due string) gqlReferral {
	t.Helper()
	var dueDate any
	if due != "" {
		dueDate = due
	}
	var out struct{ CreateReferral gqlReferral }
	w.cwA.MustData(t, `mutation($p: ID!, $d: Date!, $due: Date) { createReferral(input: {participantId: $p, source: SOCIAL_SERVICES,
		referralDate: $d, referringOfficer: "Socialsekreterare Berg", ordered: [LABOUR_MARKET_EMPLOYMENT, MAPPING, MAPPING],
		feedbackMethod: "skriftlig", feedbackDueDate: $due}) { `+referralFields+` } }`,
		map[string]any{"p": w.person, "d": date, "due": dueDate}, &out)
	return out.CreateReferral
}

func (w *referralWorld) overdue(t *testing.T, asOf any) (ids []string, total int) {
	t.Helper()
	var out struct {
		OverdueReferralFeedback struct {
			TotalCount int
			Edges      []struct{ Node struct{ ID string } }
		}
	}
	w.cwA.MustData(t, `query($o: ID!, $a: Date) { overdueReferralFeedback(organisationId: $o, asOf: $a) {
		totalCount edges { node { id } } } }`, map[string]any{"o": w.orgA, "a": asOf}, &out)
	for _, e := range out.OverdueReferralFeedback.Edges {
		ids = append(ids, e.Node.ID)
	}
	return ids, out.OverdueReferralFeedback.TotalCount
}

// TestReferralTripartiteMeetingAndOverdueFeedback registers referrals, records the
// tripartite meeting and the feedback over GraphQL, and follows the overdue list.
func TestReferralTripartiteMeetingAndOverdueFeedback(t *testing.T) {
	t.Parallel()
	w := newReferralWorld(t)
	first := w.create(t, "2024-01-10", "2024-02-10")
	if first.Version != 1 || first.Source != "SOCIAL_SERVICES" || fmt.Sprint(first.Ordered) != "[LABOUR_MARKET_EMPLOYMENT MAPPING]" ||
		!first.FeedbackOverdue || first.TripartiteMeetingDate != nil || first.Participant.ID != w.person {
		t.Errorf("created %+v", first)
	}
	second := w.create(t, "2024-03-01", "2024-03-15")
	w.create(t, "2024-03-01", "") // no feedback due: never overdue

	ids, total := w.overdue(t, nil)
	if fmt.Sprint(ids) != fmt.Sprint([]string{first.ID, second.ID}) || total != 2 {
		t.Errorf("overdue today: %v (total %d)", ids, total)
	}
	if ids, total := w.overdue(t, "2024-02-11"); fmt.Sprint(ids) != fmt.Sprint([]string{first.ID}) || total != 1 {
		t.Errorf("overdue on 2024-02-11: %v (total %d)", ids, total)
	}

	// The tripartite meeting.
	var up struct{ UpdateReferral gqlReferral }
	w.cwA.MustData(t, `mutation($r: ID!) { updateReferral(input: {id: $r, version: 1, tripartiteMeetingDate: "2024-01-17"}) {
		`+referralFields+` } }`, map[string]any{"r": first.ID}, &up)
	if got := up.UpdateReferral; got.Version != 2 || deref(got.TripartiteMeetingDate) != "2024-01-17" || !got.FeedbackOverdue ||
		deref(got.FeedbackDueDate) != "2024-02-10" {
		t.Errorf("after the meeting: %+v", got)
	}

	// Someone else's stale copy is refused and changes nothing.
	events := w.count(`SELECT count(*) FROM change_event WHERE entity = 'referral'`)
	errs := w.cwA.MustFail(t, `mutation($r: ID!) { updateReferral(input: {id: $r, version: 1, feedbackSentDate: "2024-02-05"}) { id } }`,
		map[string]any{"r": first.ID})
	gqltest.WantError(t, errs, "CONFLICT", "input.version")
	if n := w.count(`SELECT count(*) FROM referral WHERE id = $1 AND feedback_sent_date IS NULL AND version = 2`, first.ID); n != 1 {
		t.Error("the stale update changed the referral")
	}
	if n := w.count(`SELECT count(*) FROM change_event WHERE entity = 'referral'`); n != events {
		t.Errorf("the stale update recorded changes: %d -> %d", events, n)
	}

	// Feedback sent: off the overdue list.
	w.cwA.MustData(t, `mutation($r: ID!) { updateReferral(input: {id: $r, version: 2, feedbackSentDate: "2024-02-05"}) {
		`+referralFields+` } }`, map[string]any{"r": first.ID}, &up)
	if got := up.UpdateReferral; got.Version != 3 || got.FeedbackOverdue || deref(got.TripartiteMeetingDate) != "2024-01-17" {
		t.Errorf("after feedback: %+v", got)
	}
	if ids, total := w.overdue(t, nil); fmt.Sprint(ids) != fmt.Sprint([]string{second.ID}) || total != 1 {
		t.Errorf("overdue after feedback: %v (total %d)", ids, total)
	}

	var list struct {
		Referrals struct {
			TotalCount int
			Edges      []struct{ Node struct{ ID string } }
		}
	}
	w.cwA.MustData(t, `query($o: ID!) { referrals(organisationId: $o, filter: {feedbackPending: true, source: SOCIAL_SERVICES}) {
		totalCount edges { node { id } } } }`, map[string]any{"o": w.orgA}, &list)
	if list.Referrals.TotalCount != 2 || list.Referrals.Edges[0].Node.ID == first.ID {
		t.Errorf("pending referrals: %+v", list.Referrals)
	}
}

func TestReferralRefusals(t *testing.T) {
	t.Parallel()
	w := newReferralWorld(t)
	before := w.count(`SELECT count(*) FROM referral`)
	errs := w.cwA.MustFail(t, `mutation($p: ID!) { createReferral(input: {participantId: $p, source: AF, referralDate: "2099-01-01",
		ordered: [], referringOfficer: "`+strings.Repeat("x", 201)+`"}) { id } }`, map[string]any{"p": w.person})
	var fields []string
	for _, e := range errs { // one error per bad field
		if e.Code() != "INVALID" {
			t.Errorf("error %+v: want INVALID", e)
		}
		fields = append(fields, e.Field())
	}
	sort.Strings(fields)
	if fmt.Sprint(fields) != "[input.ordered input.referralDate input.referringOfficer]" {
		t.Errorf("validation: %+v", errs)
	}
	// Organisation B's caseworker neither writes for A's person nor lists A's referrals.
	gqltest.WantError(t, w.cwB.MustFail(t, `mutation($p: ID!) { createReferral(input: {participantId: $p, source: AF, referralDate: "2024-01-01",
		ordered: [MAPPING]}) { id } }`, map[string]any{"p": w.person}), "NOT_FOUND", "input.participantId")
	gqltest.WantError(t, w.cwB.MustFail(t, `query($o: ID!) { overdueReferralFeedback(organisationId: $o) { totalCount } }`,
		map[string]any{"o": w.orgA}), "FORBIDDEN", "organisationId")
	if n := w.count(`SELECT count(*) FROM referral`); n != before {
		t.Errorf("refused creates wrote %d referrals", n-before)
	}

	// A retried create returns the first referral.
	create := `mutation($p: ID!) { createReferral(input: {participantId: $p, source: AF, referralDate: "2024-01-01",
		ordered: [MAPPING], idempotencyKey: "af-2024-1"}) { id } }`
	var a, b struct{ CreateReferral struct{ ID string } }
	w.cwA.MustData(t, create, map[string]any{"p": w.person}, &a)
	w.cwA.MustData(t, create, map[string]any{"p": w.person}, &b)
	if a.CreateReferral.ID != b.CreateReferral.ID || w.count(`SELECT count(*) FROM referral`) != before+1 {
		t.Errorf("retry created another referral: %s, %s", a.CreateReferral.ID, b.CreateReferral.ID)
	}
	// B's caseworker cannot read it or update it.
	var got struct{ Referral *struct{ ID string } }
	w.cwB.MustData(t, `query($r: ID!) { referral(id: $r) { id } }`, map[string]any{"r": a.CreateReferral.ID}, &got)
	if got.Referral != nil {
		t.Error("caseworker of B read A's referral")
	}
	gqltest.WantError(t, w.cwB.MustFail(t, `mutation($r: ID!) { updateReferral(input: {id: $r, version: 1, notes: "x"}) { id } }`,
		map[string]any{"r": a.CreateReferral.ID}), "NOT_FOUND", "input.id")

	// Each call of the create, the retry too, is audited as a write of the referral.
	if n := w.count(`SELECT count(*) FROM audit_log WHERE subject = 'cw-a' AND action = 'write' AND entity = 'referral'
		AND entity_id = $1 AND operation = 'createReferral'`, a.CreateReferral.ID); n != 2 {
		t.Errorf("%d audit entries for the two create calls, want 2", n)
	}
}

// TestActionPlanAndFollowUpsOverGraphQL saves and revises a plan, records a follow-up
// and follows the overdue list over GraphQL.
func TestActionPlanAndFollowUpsOverGraphQL(t *testing.T) {
	t.Parallel()
	w := newReferralWorld(t)
	var plan struct {
		SaveActionPlan struct {
			ID      string
			Version int
			Steps   []struct {
				Position    int
				Description string
				DoneDate    *string
			}
			Participant struct{ ID string }
		}
	}
	save := `mutation($p: ID!, $v: Int) { saveActionPlan(input: {participantId: $p, goal: "Anställning inom vården", version: $v,
		steps: [{description: "Kartläggning", doneDate: "2024-01-30"}, {description: "Rekryteringsmässa"}]}) {
		id version steps { position description doneDate } participant { id } } }`
	w.cwA.MustData(t, save, map[string]any{"p": w.person}, &plan)
	if p := plan.SaveActionPlan; p.Version != 1 || len(p.Steps) != 2 || p.Steps[1].Position != 2 || deref(p.Steps[0].DoneDate) != "2024-01-30" ||
		p.Participant.ID != w.person {
		t.Errorf("saved %+v", p)
	}
	gqltest.WantError(t, w.cwA.MustFail(t, save, map[string]any{"p": w.person}), "CONFLICT", "input.version")
	w.cwA.MustData(t, save, map[string]any{"p": w.person, "v": 1}, &plan)
	if plan.SaveActionPlan.Version != 2 {
		t.Errorf("revised to version %d", plan.SaveActionPlan.Version)
	}
	gqltest.WantError(t, w.cwA.MustFail(t, save, map[string]any{"p": w.person, "v": 1}), "CONFLICT", "input.version")

	var e struct{ CreateEnrolment struct{ ID string } }
	w.cwA.MustData(t, `mutation($p: ID!) { createEnrolment(input: {participantId: $p, measureTypeCode: "work_practice",
		startDate: "2024-01-01"}) { id } }`, map[string]any{"p": w.person}, &e)

	type overdueRow struct {
		DueDate     string
		DaysOverdue int
		LastHeldOn  *string
		Enrolment   struct{ ID string }
		Participant struct{ ID string }
	}
	overdue := func(asOf string) ([]overdueRow, int) {
		var out struct {
			OverdueFollowUps struct {
				TotalCount int
				Edges      []struct{ Node overdueRow }
			}
		}
		w.cwA.MustData(t, `query($o: ID!, $a: Date) { overdueFollowUps(organisationId: $o, asOf: $a) { totalCount
			edges { node { dueDate daysOverdue lastHeldOn enrolment { id } participant { id } } } } }`,
			map[string]any{"o": w.orgA, "a": asOf}, &out)
		var rows []overdueRow
		for _, e := range out.OverdueFollowUps.Edges {
			rows = append(rows, e.Node)
		}
		return rows, out.OverdueFollowUps.TotalCount
	}
	rows, total := overdue("2024-03-01")
	if total != 1 || len(rows) != 1 || rows[0].DueDate != "2024-02-01" || rows[0].DaysOverdue != 29 || rows[0].LastHeldOn != nil ||
		rows[0].Enrolment.ID != e.CreateEnrolment.ID || rows[0].Participant.ID != w.person {
		t.Errorf("never followed up: %+v (total %d)", rows, total)
	}

	var fu struct {
		RecordFollowUp struct {
			NextDueDate string
			Attendees   []string
			Enrolment   *struct{ ID string }
		}
	}
	w.cwA.MustData(t, `mutation($p: ID!, $e: ID!) { recordFollowUp(input: {participantId: $p, enrolmentId: $e, heldOn: "2024-02-15",
		attendees: ["coach", "deltagare", "handledare"]}) { nextDueDate attendees enrolment { id } } }`,
		map[string]any{"p": w.person, "e": e.CreateEnrolment.ID}, &fu)
	if got := fu.RecordFollowUp; got.NextDueDate != "2024-03-15" || len(got.Attendees) != 3 || got.Enrolment == nil ||
		got.Enrolment.ID != e.CreateEnrolment.ID {
		t.Errorf("follow-up %+v", got)
	}
	if rows, total := overdue("2024-03-01"); total != 0 || len(rows) != 0 {
		t.Errorf("after the follow-up: %+v (total %d)", rows, total)
	}
	if rows, _ := overdue("2024-03-20"); len(rows) != 1 || rows[0].DueDate != "2024-03-15" || rows[0].DaysOverdue != 5 ||
		deref(rows[0].LastHeldOn) != "2024-02-15" {
		t.Errorf("on 2024-03-20: %+v", rows)
	}
	gqltest.WantError(t, w.cwB.MustFail(t, `mutation($p: ID!) { recordFollowUp(input: {participantId: $p, heldOn: "2024-02-15"}) { id } }`,
		map[string]any{"p": w.person}), "NOT_FOUND", "input.participantId")
	gqltest.WantError(t, w.cwB.MustFail(t, `query($o: ID!) { overdueFollowUps(organisationId: $o) { totalCount } }`,
		map[string]any{"o": w.orgA}), "FORBIDDEN", "organisationId")
	if n := w.count(`SELECT count(*) FROM audit_log WHERE subject = 'cw-a' AND action = 'read' AND entity = 'participant'
		AND entity_id = $1 AND operation = 'node'`, w.person); n == 0 {
		t.Error("reading the overdue list was not audited as a read of the person")
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}
