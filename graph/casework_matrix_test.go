package graph_test

import (
	"context"
	"testing"

	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
)

// The role matrix's operations for issue 16 (corrections, inactivity, plans, fairs,
// re-entry, costs, retention), added to the matrix in security_test.go.
func init() { operations = append(operations, historyOperations...) }

// endedEnrolmentInA is a fresh ended enrolment of a fresh person of A (version 1).
func (w *world) endedEnrolmentInA(t *testing.T) string {
	t.Helper()
	return w.adminCreate(t, "createEnrolment", `mutation($p: ID!) { createEnrolment(input: {participantId: $p, measureTypeCode: "work_practice",
		startDate: "2018-01-01", endDate: "2018-06-30", exitReason: JOB_SEEKING}) { id } }`, map[string]any{"p": w.createPerson(t, w.orgA)})
}

// retentionRuleInA sets A's retention rule (dry run) and returns its version, after a
// dry run when dryRun.
func (w *world) retentionRuleInA(t *testing.T, dryRun bool) int {
	t.Helper()
	var r struct{ SetRetentionRule struct{ Version int } }
	w.admin.MustData(t, `mutation($o: ID!) { setRetentionRule(input: {organisationId: $o, inactiveYears: 10}) { version } }`,
		map[string]any{"o": w.orgA}, &r)
	if !dryRun {
		return r.SetRetentionRule.Version
	}
	var d struct{ RunRetentionDryRun struct{ Version int } }
	w.admin.MustData(t, `mutation($o: ID!) { runRetentionDryRun(organisationId: $o) { version } }`, map[string]any{"o": w.orgA}, &d)
	return d.RunRetentionDryRun.Version
}

var historyOperations = []operation{
	// Corrections keep history.
	{"query enrolmentHistory", func(t *testing.T, w *world) (string, map[string]any) {
		return `query($e: ID!) { enrolmentHistory(enrolmentId: $e) { kind before { endDate } } }`, map[string]any{"e": w.endedEnrolmentInA(t)}
	}},
	{"query enrolmentChanges", byOrgA(`query($o: ID!) { enrolmentChanges(organisationId: $o) { kind } }`)},
	{"mutation correctExit", func(t *testing.T, w *world) (string, map[string]any) {
		return `mutation($e: ID!) { correctExit(input: {enrolmentId: $e, version: 1, endDate: "2018-05-31", exitReason: STUDIES,
			reason: "Fel datum"}) { endDate history { kind } } }`, map[string]any{"e": w.endedEnrolmentInA(t)}
	}},
	{"mutation voidEnrolment", func(t *testing.T, w *world) (string, map[string]any) {
		return `mutation($e: ID!) { voidEnrolment(input: {enrolmentId: $e, version: 1, reason: "Registrerad i fel"}) { kind } }`,
			map[string]any{"e": w.endedEnrolmentInA(t)}
	}},
	// Exits from inactivity.
	{"query inactivityRule", func(t *testing.T, w *world) (string, map[string]any) {
		w.admin.MustData(t, `mutation($o: ID!) { setInactivityRule(input: {organisationId: $o, gapDays: 120}) { gapDays } }`,
			map[string]any{"o": w.orgA}, nil)
		return `query($o: ID!) { inactivityRule(organisationId: $o) { gapDays } }`, map[string]any{"o": w.orgA}
	}},
	{"query upcomingInactivityExits", byOrgA(`query($o: ID!) { upcomingInactivityExits(organisationId: $o, withinDays: 30) { dueOn } }`)},
	{"mutation setInactivityRule", byOrgA(`mutation($o: ID!) { setInactivityRule(input: {organisationId: $o, gapDays: 90}) { gapDays } }`)},
	// Plans and fairs.
	{"query overduePlanReviews", byOrgA(`query($o: ID!) { overduePlanReviews(organisationId: $o, asOf: "2019-06-01") { daysOverdue } }`)},
	{"query recruitmentAttendance", byOrgA(`query($o: ID!) { recruitmentAttendance(organisationId: $o, from: "2019-01-01", to: "2019-12-31") {
		total { came } } }`)},
	{"mutation recordAttendance", func(t *testing.T, w *world) (string, map[string]any) {
		e, _ := w.eventInA(t)
		w.admin.MustData(t, `mutation($e: ID!, $p: ID!) { inviteToRecruitmentEvent(input: {eventId: $e, participantIds: [$p]}) { id } }`,
			map[string]any{"e": e, "p": w.personA}, nil)
		return `mutation($e: ID!, $p: ID!) { recordAttendance(input: {eventId: $e, participantId: $p, attended: true}) { attended } }`,
			map[string]any{"e": e, "p": w.personA}
	}},
	// Re-entry.
	{"query reentryParticipants", byOrgA(`query($o: ID!) { reentryParticipants(organisationId: $o) { reentry { flagged } } }`)},
	// Costs.
	{"query costFigures", byOrgA(`query($o: ID!) { costFigures(organisationId: $o, exitFrom: "2018-01-01", exitTo: "2019-01-01", by: MEASURE) {
		total perParticipant } }`)},
	{"mutation addCostItem", func(t *testing.T, w *world) (string, map[string]any) {
		return `mutation($e: ID!) { addCostItem(input: {enrolmentId: $e, kind: WAGE, month: "2018-03", amount: 18500}) { amount } }`,
			map[string]any{"e": w.endedEnrolmentInA(t)}
	}},
	{"mutation setProjectFunding", func(t *testing.T, w *world) (string, map[string]any) {
		return `mutation($j: ID!) { setProjectFunding(input: {projectId: $j, funder: "ESF", amount: 250000}) { funder amount } }`,
			map[string]any{"j": w.projectInA(t)}
	}},
	// Retention per municipality.
	{"query retentionRules", func(t *testing.T, w *world) (string, map[string]any) {
		return `{ retentionRules { mode } }`, nil
	}},
	{"mutation setRetentionRule", byOrgA(`mutation($o: ID!) { setRetentionRule(input: {organisationId: $o, inactiveYears: 10}) { mode } }`)},
	{"mutation runRetentionDryRun", func(t *testing.T, w *world) (string, map[string]any) {
		w.retentionRuleInA(t, false)
		return `mutation($o: ID!) { runRetentionDryRun(organisationId: $o) { lastDryRunCount } }`, map[string]any{"o": w.orgA}
	}},
	{"mutation activateRetentionRule", func(t *testing.T, w *world) (string, map[string]any) {
		v := w.retentionRuleInA(t, true)
		return `mutation($o: ID!, $v: Int!) { activateRetentionRule(input: {organisationId: $o, version: $v}) { mode } }`,
			map[string]any{"o": w.orgA, "v": v}
	}},
}

// TestCaseworkCrossTenantIsolation: a caseworker of A, naming B's records and
// organisation, reads and changes nothing of B through issue 16's operations.
func TestCaseworkCrossTenantIsolation(t *testing.T) {
	w := newWorld(t)
	cw := w.as(t, auth.Caseworker)
	for name, tc := range map[string]struct {
		q    string
		vars map[string]any
		code string
	}{
		"void B's enrolment": {`mutation($e: ID!) { voidEnrolment(input: {enrolmentId: $e, version: 1, reason: "Försök över gränsen"}) { kind } }`,
			map[string]any{"e": w.enrolmentB}, "NOT_FOUND"},
		"cost on B's enrolment": {`mutation($e: ID!) { addCostItem(input: {enrolmentId: $e, kind: WAGE, month: "2019-02", amount: 100}) { id } }`,
			map[string]any{"e": w.enrolmentB}, "NOT_FOUND"},
		"B's changes":         {`query($o: ID!) { enrolmentChanges(organisationId: $o) { kind } }`, map[string]any{"o": w.orgB}, "FORBIDDEN"},
		"B's inactivity":      {`query($o: ID!) { upcomingInactivityExits(organisationId: $o) { dueOn } }`, map[string]any{"o": w.orgB}, "FORBIDDEN"},
		"B's re-entry":        {`query($o: ID!) { reentryParticipants(organisationId: $o) { reentry { flagged } } }`, map[string]any{"o": w.orgB}, "FORBIDDEN"},
		"B's plan reviews":    {`query($o: ID!) { overduePlanReviews(organisationId: $o) { daysOverdue } }`, map[string]any{"o": w.orgB}, "FORBIDDEN"},
		"B's attendance":      {`query($o: ID!) { recruitmentAttendance(organisationId: $o, from: "2019-01-01", to: "2019-12-31") { total { came } } }`, map[string]any{"o": w.orgB}, "FORBIDDEN"},
		"B's cost figures":    {`query($o: ID!) { costFigures(organisationId: $o, exitFrom: "2018-01-01", exitTo: "2019-01-01", by: MEASURE) { net } }`, map[string]any{"o": w.orgB}, "FORBIDDEN"},
		"B's inactivity rule": {`query($o: ID!) { inactivityRule(organisationId: $o) { gapDays } }`, map[string]any{"o": w.orgB}, "FORBIDDEN"},
	} {
		r, err := cw.Do(context.Background(), tc.q, tc.vars)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Errors) == 0 || r.Errors[0].Code() != tc.code {
			t.Errorf("%s: %s, want %s", name, r.Data, tc.code)
		}
	}
	var h struct{ EnrolmentHistory []struct{ Kind string } }
	cw.MustData(t, `query($e: ID!) { enrolmentHistory(enrolmentId: $e) { kind } }`, map[string]any{"e": w.enrolmentB}, &h)
	var n int
	if err := w.system.QueryRow(context.Background(), `SELECT count(*) FROM enrolment WHERE id = $1`, plain(w.enrolmentB)).Scan(&n); err != nil || n != 1 {
		t.Fatalf("B's enrolment: %d (%v)", n, err)
	}
}
