package graph_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/rs/zerolog"

	"github.com/arbetsmarknad/outcomes/internal/app/admin"
	"github.com/arbetsmarknad/outcomes/internal/app/apiserver"
	"github.com/arbetsmarknad/outcomes/internal/app/apiserver/apitest"
	"github.com/arbetsmarknad/outcomes/internal/domain/enrolment"
	"github.com/arbetsmarknad/outcomes/internal/domain/outcome"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/gqltest"
	"github.com/arbetsmarknad/outcomes/warehouse/analytics"
	"github.com/arbetsmarknad/outcomes/warehouse/loader"
	"github.com/arbetsmarknad/outcomes/warehouse/pseudonym"
)

// caseB is one municipality served by the real API handler with a real warehouse
// behind it, a caseworker, an admin and a steering reader, and a loader.
type caseB struct {
	*caseWorld
	ch       driver.Conn
	steering *gqltest.Client
	l        *loader.Loader
	now      time.Time
}

func newCaseB(t *testing.T) *caseB {
	t.Helper()
	s := apitest.New(t, apitest.Options{Warehouse: true, API: apiserver.Options{MaxComplexity: 5000}})
	w := &caseWorld{}
	w.caseSetup(t, s, "boras-b", "Borås stad", "cw-karin")
	ch := s.Warehouse
	var staff struct{ CreateStaffUser struct{ ID string } }
	w.admin.MustData(t, `mutation($o: ID!) { createStaffUser(input: {organisationId: $o, name: "Karin Coach", title: "jobbcoach"}) { id } }`,
		map[string]any{"o": w.org}, &staff)
	w.staff = staff.CreateStaffUser.ID
	now := time.Now()
	return &caseB{caseWorld: w, ch: ch, now: now,
		steering: s.Client(t, auth.Principal{Subject: "styrgrupp", Role: auth.Steering, OrgID: w.org}),
		l: &loader.Loader{PG: w.pool, CH: ch, Keys: pseudonym.New([]byte("caseb-test-key-0123456789abcdef")), BatchSize: 500,
			Log: zerolog.Nop(), Now: func() time.Time { return now }}}
}

// drain runs the loader until no change is pending: the figures follow PostgreSQL
// through the same path production takes (outbox, loader, ClickHouse).
func (w *caseB) drain(t *testing.T) {
	t.Helper()
	for i := 0; i < 50; i++ {
		n, err := w.l.ProcessOnce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
	t.Fatal("the loader did not catch up")
}

type enrolled struct{ ID, Person string }

// enrol registers a woman and enrols her in work practice, exited when end is given.
func (w *caseB) enrol(t *testing.T, serial int, start, end, reason string) enrolled {
	t.Helper()
	p := w.person(t, pnr(1985, 3, 14, serial), `registeredAtAf: true`)
	vars := map[string]any{"p": p, "s": start}
	exit := ""
	if end != "" {
		exit = `, endDate: $e, exitReason: ` + reason
		vars["e"] = end
	}
	q := `mutation($p: ID!, $s: Date!` + map[bool]string{true: `, $e: Date`, false: ``}[end != ""] + `) { createEnrolment(input: {participantId: $p,
		measureTypeCode: "work_practice", startDate: $s` + exit + `}) { id } }`
	var e struct{ CreateEnrolment struct{ ID string } }
	w.cw.MustData(t, q, vars, &e)
	return enrolled{e.CreateEnrolment.ID, p}
}

func (w *caseB) observe(t *testing.T, person, month, status string, sa bool) {
	t.Helper()
	w.cw.MustData(t, `mutation($p: ID!, $m: Month!, $s: OutcomeStatus!, $sa: Boolean) { recordOutcomeObservation(input: {participantId: $p,
		month: $m, status: $s, socialAssistance: $sa, source: PHONE_FOLLOW_UP}) { id } }`,
		map[string]any{"p": person, "m": month, "s": status, "sa": sa}, nil)
}

func (w *caseB) version(t *testing.T, id string) int {
	t.Helper()
	var e struct{ Enrolment struct{ Version int } }
	w.cw.MustData(t, `query($e: ID!) { enrolment(id: $e) { version } }`, map[string]any{"e": id}, &e)
	return e.Enrolment.Version
}

// figure is the warehouse's in-work-or-studies +6 figure of the 2018 exits; the tests
// state what it must be after each change (the warehouse's agreement with the oracle on
// any data is warehouse/analytics' TestFiguresEqualOracleOnRandomHistories).
func (w *caseB) figure(t *testing.T) analytics.Figure {
	t.Helper()
	co := analytics.Cohort{Label: "2018", OrgIDs: []string{plain(w.org)}, ExitFrom: day(2018, 1, 1), ExitTo: day(2019, 1, 1)}
	got, err := analytics.Figures(context.Background(), w.ch, []analytics.Cohort{co}, analytics.InWorkOrStudiesAt(6), nil, analytics.Today(w.now))
	if err != nil {
		t.Fatal(err)
	}
	return got[0]
}

func day(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }

type change struct {
	Kind, Reason, ChangedBy, ChangedAt string
	Before                             struct{ EndDate, ExitReason *string }
	After                              *struct{ EndDate, ExitReason *string }
}

// TestCorrectionsKeepHistoryAndFiguresFollow (issue 16): an exit's date and reason are
// corrected and an enrolment entered in error is voided through GraphQL; each change is
// kept (who, when, why, before, after) and readable; after each, the loader runs and the
// warehouse's figure changes as the corrected data says.
func TestCorrectionsKeepHistoryAndFiguresFollow(t *testing.T) {
	t.Parallel()
	w := newCaseB(t)
	a := w.enrol(t, 11, "2018-01-10", "2018-06-15", "JOB_SEEKING")
	b := w.enrol(t, 12, "2018-02-01", "2018-05-31", "STUDIES")
	c := w.enrol(t, 13, "2018-03-01", "2018-04-30", "UNKNOWN")
	w.observe(t, a.Person, "2018-12", "UNSUBSIDISED_EMPLOYMENT_FULL", false)
	w.observe(t, b.Person, "2018-11", "STUDIES", false)
	w.observe(t, c.Person, "2018-10", "JOB_SEEKING", true)
	w.drain(t)
	if f := w.figure(t); f.N != 3 || f.Known != 3 || f.Count != 2 {
		t.Fatalf("before corrections: n %d known %d count %d, want 3 3 2", f.N, f.Known, f.Count)
	}

	// The caseworker corrects a's exit into 2019: it leaves the 2018 cohort.
	var corrected struct {
		CorrectExit struct{ EndDate, ExitReason string }
	}
	w.cw.MustData(t, `mutation($e: ID!, $v: Int!) { correctExit(input: {enrolmentId: $e, version: $v, endDate: "2019-01-20",
		exitReason: UNSUBSIDISED_EMPLOYMENT_FULL, reason: "Fel datum vid registrering"}) { endDate exitReason } }`,
		map[string]any{"e": a.ID, "v": w.version(t, a.ID)}, &corrected)
	if corrected.CorrectExit.EndDate != "2019-01-20" || corrected.CorrectExit.ExitReason != "UNSUBSIDISED_EMPLOYMENT_FULL" {
		t.Fatalf("corrected exit: %+v", corrected.CorrectExit)
	}
	w.drain(t)
	if f := w.figure(t); f.N != 2 || f.Count != 1 {
		t.Fatalf("after the correction: n %d count %d, want 2 1", f.N, f.Count)
	}

	// b was entered in error: voided, it stops counting and leaves the warehouse.
	var voided struct{ VoidEnrolment change }
	w.cw.MustData(t, `mutation($e: ID!, $v: Int!) { voidEnrolment(input: {enrolmentId: $e, version: $v,
		reason: "Registrerad på fel person"}) { kind reason changedBy changedAt before { endDate exitReason } after { endDate } } }`,
		map[string]any{"e": b.ID, "v": w.version(t, b.ID)}, &voided)
	if v := voided.VoidEnrolment; v.Kind != "VOIDED" || v.After != nil || v.ChangedBy != "cw-karin" || *v.Before.EndDate != "2018-05-31" {
		t.Fatalf("void: %+v", v)
	}
	w.drain(t)
	if f := w.figure(t); f.N != 1 || f.Count != 0 {
		t.Fatalf("after the void: n %d count %d, want 1 0", f.N, f.Count)
	}
	var gone struct{ Enrolment *struct{ ID string } }
	w.cw.MustData(t, `query($e: ID!) { enrolment(id: $e) { id } }`, map[string]any{"e": b.ID}, &gone)
	if gone.Enrolment != nil {
		t.Fatal("a voided enrolment is still readable as an enrolment")
	}

	// The history of each: who, when, why, before and after.
	var hist struct{ EnrolmentHistory []change }
	w.cw.MustData(t, `query($e: ID!) { enrolmentHistory(enrolmentId: $e) { kind reason changedBy changedAt
		before { endDate exitReason } after { endDate exitReason } } }`, map[string]any{"e": a.ID}, &hist)
	if len(hist.EnrolmentHistory) != 1 {
		t.Fatalf("history of a: %+v", hist.EnrolmentHistory)
	}
	h := hist.EnrolmentHistory[0]
	if h.Kind != "EXIT_CORRECTED" || h.ChangedBy != "cw-karin" || h.Reason != "Fel datum vid registrering" || h.ChangedAt == "" ||
		*h.Before.EndDate != "2018-06-15" || *h.Before.ExitReason != "JOB_SEEKING" || *h.After.EndDate != "2019-01-20" ||
		*h.After.ExitReason != "UNSUBSIDISED_EMPLOYMENT_FULL" {
		t.Fatalf("history of a: %+v", h)
	}
	w.cw.MustData(t, `query($e: ID!) { enrolmentHistory(enrolmentId: $e) { kind reason changedBy changedAt
		before { endDate exitReason } after { endDate exitReason } } }`, map[string]any{"e": b.ID}, &hist)
	if len(hist.EnrolmentHistory) != 1 || hist.EnrolmentHistory[0].Kind != "VOIDED" {
		t.Fatalf("history of the voided b: %+v", hist.EnrolmentHistory)
	}
	var listed struct{ EnrolmentChanges []struct{ Kind string } }
	w.cw.MustData(t, `query($o: ID!) { enrolmentChanges(organisationId: $o) { kind } }`, map[string]any{"o": w.org}, &listed)
	if len(listed.EnrolmentChanges) != 2 || listed.EnrolmentChanges[0].Kind != "VOIDED" {
		t.Fatalf("organisation's changes, newest first: %+v", listed.EnrolmentChanges)
	}
	// Reading the history is a read of the person, audited.
	var reads int
	if err := w.pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action = 'read' AND entity = 'participant'
		AND entity_id = $1 AND operation = 'enrolmentHistory'`, plain(a.Person)).Scan(&reads); err != nil || reads == 0 {
		t.Fatalf("history read audited %d times (%v)", reads, err)
	}

	// Bad input is a typed client error and changes nothing.
	for name, tc := range map[string]struct {
		q    string
		vars map[string]any
		code string
	}{
		"stale version": {`mutation($e: ID!) { correctExit(input: {enrolmentId: $e, version: 1, endDate: "2018-05-01", exitReason: STUDIES,
			reason: "Ett försök"}) { id } }`, map[string]any{"e": a.ID}, "CONFLICT"},
		"no reason": {`mutation($e: ID!, $v: Int!) { voidEnrolment(input: {enrolmentId: $e, version: $v, reason: " "}) { kind } }`,
			map[string]any{"e": c.ID, "v": w.version(t, c.ID)}, "INVALID"},
		"future exit": {`mutation($e: ID!, $v: Int!) { correctExit(input: {enrolmentId: $e, version: $v, endDate: "2099-01-01",
			exitReason: STUDIES, reason: "Framtida datum"}) { id } }`, map[string]any{"e": c.ID, "v": w.version(t, c.ID)}, "INVALID"},
		"voided twice": {`mutation($e: ID!) { voidEnrolment(input: {enrolmentId: $e, version: 1, reason: "Igen, av misstag"}) { kind } }`,
			map[string]any{"e": b.ID}, "NOT_FOUND"},
	} {
		errs := w.cw.MustFail(t, tc.q, tc.vars)
		if errs[0].Code() != tc.code {
			t.Errorf("%s: %s (%s), want %s", name, errs[0].Code(), errs[0].Message, tc.code)
		}
	}
	if f := w.figure(t); f.N != 1 {
		t.Fatalf("a refused change moved the figure: n %d", f.N)
	}
}

// TestInactivityExitsDatedBackAndIdempotent (issue 16): with a 90-day rule, caseworkers
// see who is about to be exited; the scheduled job exits them dated back to the last
// activity, audited; a second run changes nothing.
func TestInactivityExitsDatedBackAndIdempotent(t *testing.T) {
	t.Parallel()
	w := newCaseB(t)
	quiet := w.enrol(t, 21, "2019-01-07", "", "")
	busy := w.enrol(t, 22, "2019-01-07", "", "")
	w.cw.MustData(t, `mutation($p: ID!, $e: ID!) { recordFollowUp(input: {participantId: $p, enrolmentId: $e, heldOn: "2019-03-01"}) { id } }`,
		map[string]any{"p": quiet.Person, "e": quiet.ID}, nil)
	w.cw.MustData(t, `mutation($p: ID!, $e: ID!) { recordFollowUp(input: {participantId: $p, enrolmentId: $e, heldOn: "2019-05-20"}) { id } }`,
		map[string]any{"p": busy.Person, "e": busy.ID}, nil)

	if errs := w.cw.MustFail(t, `mutation($o: ID!) { setInactivityRule(input: {organisationId: $o, gapDays: 90}) { gapDays } }`,
		map[string]any{"o": w.org}); errs[0].Code() != "FORBIDDEN" {
		t.Fatalf("a caseworker set the rule: %s", errs[0].Code())
	}
	if errs := w.admin.MustFail(t, `mutation($o: ID!) { setInactivityRule(input: {organisationId: $o, gapDays: 5}) { gapDays } }`,
		map[string]any{"o": w.org}); errs[0].Code() != "INVALID" {
		t.Fatalf("a 5-day gap: %s", errs[0].Code())
	}
	w.admin.MustData(t, `mutation($o: ID!) { setInactivityRule(input: {organisationId: $o, gapDays: 90}) { gapDays } }`,
		map[string]any{"o": w.org}, nil)

	var up struct {
		UpcomingInactivityExits []struct {
			Enrolment                     struct{ ID string }
			LastActivity, DueOn, ExitDate string
			DaysLeft                      int
		}
	}
	w.cw.MustData(t, `query($o: ID!) { upcomingInactivityExits(organisationId: $o, asOf: "2019-05-25", withinDays: 14) {
		enrolment { id } lastActivity dueOn exitDate daysLeft } }`, map[string]any{"o": w.org}, &up)
	if len(up.UpcomingInactivityExits) != 1 {
		t.Fatalf("about to be exited: %+v", up.UpcomingInactivityExits)
	}
	if u := up.UpcomingInactivityExits[0]; u.Enrolment.ID != quiet.ID || u.LastActivity != "2019-03-01" || u.DueOn != "2019-05-31" ||
		u.ExitDate != "2019-03-01" {
		t.Fatalf("candidate: %+v", u)
	}

	ctx := context.Background()
	var out bytes.Buffer
	if err := admin.InactivityExits(ctx, w.pool, "", false, day(2019, 6, 5), &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "exited 1 enrolments") {
		t.Fatalf("job said %q", out.String())
	}
	var e struct {
		Enrolment struct {
			EndDate, ExitReason string
			History             []struct{ Kind, ChangedBy string }
		}
	}
	w.cw.MustData(t, `query($e: ID!) { enrolment(id: $e) { endDate exitReason history { kind changedBy } } }`, map[string]any{"e": quiet.ID}, &e)
	if e.Enrolment.EndDate != "2019-03-01" || e.Enrolment.ExitReason != "UNKNOWN" || len(e.Enrolment.History) != 1 ||
		e.Enrolment.History[0].Kind != "INACTIVITY_EXIT" || e.Enrolment.History[0].ChangedBy != "system:inactivity" {
		t.Fatalf("exited enrolment: %+v", e.Enrolment)
	}
	var busyEnd struct{ Enrolment struct{ EndDate *string } }
	w.cw.MustData(t, `query($e: ID!) { enrolment(id: $e) { endDate } }`, map[string]any{"e": busy.ID}, &busyEnd)
	if busyEnd.Enrolment.EndDate != nil {
		t.Fatal("an enrolment with recent activity was exited")
	}
	var audited int
	if err := w.pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'write' AND operation = 'inactivity-exits'
		AND entity_id = $1`, plain(quiet.Person)).Scan(&audited); err != nil || audited != 1 {
		t.Fatalf("the exit's audit rows naming the person: %d (%v)", audited, err)
	}
	out.Reset()
	if err := admin.InactivityExits(ctx, w.pool, "", false, day(2019, 6, 5), &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "exited 0 enrolments") || w.version(t, quiet.ID) != 2 {
		t.Fatalf("second run: %q, version %d", out.String(), w.version(t, quiet.ID))
	}
}

// TestInactivityExitsSkipALockedEnrolment: an enrolment due for an inactivity exit that
// an edit (or a session left open) holds locked is left for the next run; the job exits
// the others instead of waiting as long as the lock is held.
func TestInactivityExitsSkipALockedEnrolment(t *testing.T) {
	t.Parallel()
	w := newCaseB(t)
	held := w.enrol(t, 23, "2019-01-07", "", "")
	free := w.enrol(t, 24, "2019-01-07", "", "")
	w.admin.MustData(t, `mutation($o: ID!) { setInactivityRule(input: {organisationId: $o, gapDays: 90}) { gapDays } }`,
		map[string]any{"o": w.org}, nil)
	// Without SKIP LOCKED the job waits for the lock until this ends (and fails below).
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	edit, err := w.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer edit.Rollback(context.Background()) //nolint:errcheck
	if _, err := edit.Exec(ctx, `SELECT 1 FROM enrolment WHERE id = $1 FOR UPDATE`, plain(held.ID)); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := admin.InactivityExits(ctx, w.pool, plain(w.org), false, day(2019, 6, 5), &out); err != nil {
		t.Fatalf("job beside a locked enrolment: %v (%q)", err, out.String())
	}
	if !strings.Contains(out.String(), "exited 1 enrolments") || w.version(t, held.ID) != 1 || w.version(t, free.ID) != 2 {
		t.Fatalf("job beside a locked enrolment said %q; versions held %d, free %d; want the free one exited only",
			out.String(), w.version(t, held.ID), w.version(t, free.ID))
	}
	if err := edit.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := admin.InactivityExits(ctx, w.pool, plain(w.org), false, day(2019, 6, 5), &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "exited 1 enrolments") || w.version(t, held.ID) != 2 {
		t.Fatalf("next run, the lock released: %q, version %d", out.String(), w.version(t, held.ID))
	}
}

// TestPlanRevisionsOverdueReviewsAndFairAttendance (issue 16).
func TestPlanRevisionsOverdueReviewsAndFairAttendance(t *testing.T) {
	t.Parallel()
	w := newCaseB(t)
	a := w.enrol(t, 31, "2018-01-10", "", "")
	b := w.enrol(t, 32, "2018-01-10", "", "")
	var plan struct{ SaveActionPlan struct{ Version int } }
	w.cw.MustData(t, `mutation($p: ID!) { saveActionPlan(input: {participantId: $p, goal: "Praktik inom vården", nextReviewDate: "2018-03-01",
		steps: [{description: "Kartläggning"}]}) { version } }`, map[string]any{"p": a.Person}, &plan)
	w.cw.MustData(t, `mutation($p: ID!, $v: Int!) { saveActionPlan(input: {participantId: $p, version: $v, goal: "Anställning inom vården",
		nextReviewDate: "2018-06-01", steps: [{description: "Kartläggning"}, {description: "Praktik"}]}) { version } }`,
		map[string]any{"p": a.Person, "v": plan.SaveActionPlan.Version}, nil)
	var revs struct {
		Participant struct {
			ActionPlan struct {
				Revisions []struct {
					Version int
					Goal    string
					Steps   []struct{ Description string }
					SavedBy string
				}
			}
		}
	}
	w.cw.MustData(t, `query($p: ID!) { participant(id: $p) { actionPlan { revisions { version goal steps { description } savedBy } } } }`,
		map[string]any{"p": a.Person}, &revs)
	rs := revs.Participant.ActionPlan.Revisions
	if len(rs) != 2 || rs[0].Goal != "Praktik inom vården" || len(rs[0].Steps) != 1 || rs[1].Goal != "Anställning inom vården" ||
		len(rs[1].Steps) != 2 || rs[0].SavedBy != "cw-karin" {
		t.Fatalf("revisions: %+v", rs)
	}
	var overdue struct {
		OverduePlanReviews []struct {
			Participant struct{ ID string }
			DaysOverdue int
		}
	}
	w.cw.MustData(t, `query($o: ID!) { overduePlanReviews(organisationId: $o, asOf: "2018-07-01") { participant { id } daysOverdue } }`,
		map[string]any{"o": w.org}, &overdue)
	if len(overdue.OverduePlanReviews) != 1 || overdue.OverduePlanReviews[0].Participant.ID != a.Person ||
		overdue.OverduePlanReviews[0].DaysOverdue != 30 {
		t.Fatalf("overdue reviews: %+v", overdue.OverduePlanReviews)
	}

	var emp struct{ CreateEmployer struct{ ID string } }
	w.cw.MustData(t, `mutation($o: ID!) { createEmployer(input: {organisationId: $o, kind: MUNICIPAL_DEPARTMENT, name: "Tekniska förvaltningen",
		headcount: 300}) { id } }`, map[string]any{"o": w.org}, &emp)
	var ev struct{ CreateRecruitmentEvent struct{ ID string } }
	w.cw.MustData(t, `mutation($o: ID!, $d: ID!) { createRecruitmentEvent(input: {organisationId: $o, kind: FAIR, name: "Rekryteringsmässa",
		heldOn: "2018-02-14", measureTypeCode: "work_practice", places: [{employerId: $d, places: 2}]}) { id } }`,
		map[string]any{"o": w.org, "d": emp.CreateEmployer.ID}, &ev)
	w.cw.MustData(t, `mutation($e: ID!, $a: ID!, $b: ID!) { inviteToRecruitmentEvent(input: {eventId: $e, participantIds: [$a, $b]}) { id } }`,
		map[string]any{"e": ev.CreateRecruitmentEvent.ID, "a": a.Person, "b": b.Person}, nil)
	const record = `mutation($e: ID!, $p: ID!, $came: Boolean!) { recordAttendance(input: {eventId: $e, participantId: $p, attended: $came}) { attended } }`
	w.cw.MustData(t, record, map[string]any{"e": ev.CreateRecruitmentEvent.ID, "p": a.Person, "came": true}, nil)
	w.cw.MustData(t, record, map[string]any{"e": ev.CreateRecruitmentEvent.ID, "p": b.Person, "came": false}, nil)
	stranger := w.person(t, pnr(1990, 1, 2, 33), `registeredAtAf: true`)
	if errs := w.cw.MustFail(t, record, map[string]any{"e": ev.CreateRecruitmentEvent.ID, "p": stranger, "came": true}); errs[0].Code() != "NOT_FOUND" {
		t.Fatalf("attendance of someone not invited: %s", errs[0].Code())
	}
	var rep struct {
		RecruitmentAttendance []struct {
			Total    struct{ Invited, Came, DidNotCome, NotRecorded int }
			ByGender []struct {
				Gender string
				Counts struct{ Came int }
			}
		}
	}
	w.cw.MustData(t, `query($o: ID!) { recruitmentAttendance(organisationId: $o, from: "2018-01-01", to: "2018-12-31") {
		total { invited came didNotCome notRecorded } byGender { gender counts { came } } } }`, map[string]any{"o": w.org}, &rep)
	if len(rep.RecruitmentAttendance) != 1 {
		t.Fatalf("attendance report: %+v", rep)
	}
	if r := rep.RecruitmentAttendance[0]; r.Total.Invited != 2 || r.Total.Came != 1 || r.Total.DidNotCome != 1 || r.Total.NotRecorded != 0 ||
		len(r.ByGender) != 1 || r.ByGender[0].Gender != "WOMAN" || r.ByGender[0].Counts.Came != 1 {
		t.Fatalf("attendance report: %+v", r)
	}
}

// TestReentryFlags (issue 16): a third entry, or a return within 12 months of an exit,
// flags the participant and lists them; a transfer to another measure is no return.
func TestReentryFlags(t *testing.T) {
	t.Parallel()
	w := newCaseB(t)
	returned := w.enrol(t, 41, "2017-01-10", "2017-06-30", "JOB_SEEKING")
	w.cw.MustData(t, `mutation($p: ID!) { createEnrolment(input: {participantId: $p, measureTypeCode: "work_capacity_assessment",
		startDate: "2018-02-01"}) { id } }`, map[string]any{"p": returned.Person}, nil)
	once := w.enrol(t, 42, "2017-01-10", "2017-06-30", "OTHER_MEASURE")
	w.cw.MustData(t, `mutation($p: ID!) { createEnrolment(input: {participantId: $p, measureTypeCode: "work_capacity_assessment",
		startDate: "2017-07-01"}) { id } }`, map[string]any{"p": once.Person}, nil)
	var rl struct {
		ReentryParticipants []struct {
			Participant struct{ ID string }
			Reentry     struct {
				Entries, ReturnsWithin12Months int
				LastReturn                     *string
				Flagged                        bool
			}
		}
	}
	w.cw.MustData(t, `query($o: ID!) { reentryParticipants(organisationId: $o) { participant { id }
		reentry { entries returnsWithin12Months lastReturn flagged } } }`, map[string]any{"o": w.org}, &rl)
	if len(rl.ReentryParticipants) != 1 || rl.ReentryParticipants[0].Participant.ID != returned.Person {
		t.Fatalf("flagged: %+v", rl.ReentryParticipants)
	}
	if r := rl.ReentryParticipants[0].Reentry; r.Entries != 2 || r.ReturnsWithin12Months != 1 || *r.LastReturn != "2018-02-01" || !r.Flagged {
		t.Fatalf("re-entry: %+v", r)
	}
	// A third entry flags the transferred person too, on the participant itself.
	w.cw.MustData(t, `mutation($p: ID!) { createEnrolment(input: {participantId: $p, measureTypeCode: "work_practice",
		startDate: "2019-09-01"}) { id } }`, map[string]any{"p": once.Person}, nil)
	var p struct {
		Participant struct {
			Reentry struct {
				Entries int
				Flagged bool
			}
		}
	}
	w.cw.MustData(t, `query($p: ID!) { participant(id: $p) { reentry { entries flagged } } }`, map[string]any{"p": once.Person}, &p)
	if p.Participant.Reentry.Entries != 3 || !p.Participant.Reentry.Flagged {
		t.Fatalf("third entry: %+v", p.Participant.Reentry)
	}
}

func TestReentryRule(t *testing.T) {
	t.Parallel()
	d := func(y, m, dd int) *time.Time { x := day(y, m, dd); return &x }
	st := func(s outcome.Status) *outcome.Status { return &s }
	for _, tc := range []struct {
		name    string
		spells  []enrolment.Spell
		returns int
		flagged bool
	}{
		{"one", []enrolment.Spell{{Start: day(2018, 1, 1), End: d(2018, 6, 1), ExitReason: st(outcome.JobSeeking)}}, 0, false},
		{"back after 12 months and a day", []enrolment.Spell{{Start: day(2018, 1, 1), End: d(2018, 6, 1), ExitReason: st(outcome.JobSeeking)},
			{Start: day(2019, 6, 2)}}, 0, false},
		{"back on the 12-month day", []enrolment.Spell{{Start: day(2019, 6, 1)},
			{Start: day(2018, 1, 1), End: d(2018, 6, 1), ExitReason: st(outcome.JobSeeking)}}, 1, true},
		{"transfer", []enrolment.Spell{{Start: day(2018, 1, 1), End: d(2018, 6, 1), ExitReason: st(outcome.OtherMeasure)},
			{Start: day(2018, 6, 2)}}, 0, false},
		{"overlapping", []enrolment.Spell{{Start: day(2018, 1, 1), End: d(2018, 6, 1), ExitReason: st(outcome.JobSeeking)},
			{Start: day(2018, 3, 1)}}, 0, false},
		{"third entry", []enrolment.Spell{{Start: day(2010, 1, 1)}, {Start: day(2012, 1, 1)}, {Start: day(2015, 1, 1)}}, 0, true},
	} {
		r := enrolment.ReentryOf(tc.spells)
		if r.Returns != tc.returns || r.Flagged != tc.flagged {
			t.Errorf("%s: %+v, want returns %d flagged %v", tc.name, r, tc.returns, tc.flagged)
		}
	}
}
