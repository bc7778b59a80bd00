package actionplan_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/domain/actionplan"
	"github.com/arbetsmarknad/outcomes/internal/domain/domaintest"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
)

// today is the fixtures' clock.
var today = day("2024-06-15")

// fixture is a fresh database with two municipalities and a store whose clock reads
// 2024-06-15; people and enrolments are inserted with SQL.
type fixture struct {
	*domaintest.World
	store *actionplan.Store
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{World: domaintest.NewWorld(t)}
	f.store = actionplan.NewStore(f.Pool)
	f.store.SetClock(func() time.Time { return today.Add(14 * time.Hour) })
	return f
}

func (f *fixture) person(org string) string { return f.Person(org, "man") }

// enrol starts person in work practice on start (in another measure when they already
// have work practice: two spells in one measure may not overlap, spells in different
// measures may); end "" leaves the enrolment ongoing.
func (f *fixture) enrol(person, start, end string) string {
	var endDate, reason any
	if end != "" {
		endDate, reason = end, "studies"
	}
	return f.ID(`INSERT INTO enrolment (organisation_id, participant_id, measure_type_id, start_date, end_date, exit_reason)
		SELECT p.organisation_id, p.id, m.id, $2::date, $3::date, $4 FROM participant p
		JOIN LATERAL (SELECT m.id FROM measure_type m WHERE m.organisation_id = p.organisation_id
			AND NOT EXISTS (SELECT 1 FROM enrolment x WHERE x.participant_id = p.id AND x.measure_type_id = m.id)
			ORDER BY m.code <> 'work_practice', m.code LIMIT 1) m ON true
		WHERE p.id = $1 RETURNING id`, person, start, endDate, reason)
}

// rows counts what a write may leave behind.
func (f *fixture) rows() string {
	return fmt.Sprint(f.Count(`SELECT count(*) FROM action_plan`), f.Count(`SELECT count(*) FROM action_plan_step`),
		// The fixture's own participants (inserted in SQL) are recorded by the outbox trigger.
		f.Count(`SELECT count(*) FROM follow_up`), f.Count(`SELECT count(*) FROM change_event WHERE entity <> 'participant'`),
		f.Count(`SELECT count(*) FROM idempotency_key`))
}

func (f *fixture) followUp(in actionplan.FollowUpInput) actionplan.FollowUp {
	f.T.Helper()
	fu, err := f.store.RecordFollowUp(f.Ctx, in)
	if err != nil {
		f.T.Fatal(err)
	}
	return fu
}

func ptr[T any](v T) *T { return &v }

func describe(p actionplan.Plan) string {
	var s []string
	for _, st := range p.Steps {
		s = append(s, fmt.Sprintf("%d:%s", st.Position, st.Description))
	}
	return strings.Join(s, ",")
}

func TestSaveCreatesThenRevisesWithVersions(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	person := f.person(f.OrgA)
	p, err := f.store.Save(f.Ctx, actionplan.SaveInput{ParticipantID: person, Goal: "Anställning inom vården", Responsible: "Anna Coach",
		NextReviewDate: dayPtr("2024-08-01"), Steps: []actionplan.StepInput{
			{Description: "Kartläggning", DueDate: dayPtr("2024-05-31"), DoneDate: dayPtr("2024-05-30")},
			{Description: "Rekryteringsmässa", Responsible: "Deltagaren"}}})
	if err != nil {
		t.Fatal(err)
	}
	if p.Version != 1 || p.OrganisationID != f.OrgA || describe(p) != "1:Kartläggning,2:Rekryteringsmässa" ||
		!p.Steps[0].DoneDate.Equal(day("2024-05-30")) || p.Steps[1].Responsible != "Deltagaren" || p.Steps[1].DueDate != nil ||
		!p.NextReviewDate.Equal(day("2024-08-01")) {
		t.Errorf("created %+v", p)
	}

	before := f.rows()
	_, err = f.store.Save(f.Ctx, actionplan.SaveInput{ParticipantID: person, Goal: "Ett andra mål"})
	domaintest.WantErr(t, err, apperr.Conflict, "input.version")
	_, err = f.store.Save(f.Ctx, actionplan.SaveInput{ParticipantID: person, Goal: "Gammal version", Version: ptr(7)})
	domaintest.WantErr(t, err, apperr.Conflict, "input.version")
	_, err = f.store.Save(f.Ctx, actionplan.SaveInput{ParticipantID: f.person(f.OrgA), Goal: "Ingen plan än", Version: ptr(1)})
	domaintest.WantErr(t, err, apperr.NotFound, "input.version")
	_, err = f.store.Save(f.Ctx, actionplan.SaveInput{ParticipantID: "00000000-0000-0000-0000-000000000000", Goal: "x"})
	domaintest.WantErr(t, err, apperr.NotFound, "input.participantId")
	_, err = f.store.Save(f.Ctx, actionplan.SaveInput{ParticipantID: person, Goal: "", Version: ptr(1),
		Steps: []actionplan.StepInput{{Description: "ok"}, {Description: ""}}})
	if got := strings.Join(fields(err), " "); got != "input.goal input.steps[1].description" {
		t.Errorf("fields = %s", got)
	}
	if after := f.rows(); after != before {
		t.Errorf("refused saves wrote: %s -> %s", before, after)
	}

	p, err = f.store.Save(f.Ctx, actionplan.SaveInput{ParticipantID: person, Goal: "Anställning inom vården", Version: ptr(1),
		Steps: []actionplan.StepInput{{Description: "Praktik"}, {Description: "Kartläggning"}, {Description: "Intervju"}}})
	if err != nil {
		t.Fatal(err)
	}
	if p.Version != 2 || describe(p) != "1:Praktik,2:Kartläggning,3:Intervju" || p.Responsible != "" || p.NextReviewDate != nil {
		t.Errorf("revised %+v", p)
	}
	p, err = f.store.Save(f.Ctx, actionplan.SaveInput{ParticipantID: person, Goal: "Utan steg", Version: ptr(2)})
	if err != nil || p.Version != 3 || len(p.Steps) != 0 || p.Steps == nil {
		t.Errorf("no steps: %+v, %v", p, err)
	}
	if n := f.Count(`SELECT count(*) FROM action_plan_step`); n != 0 {
		t.Errorf("%d steps left behind", n)
	}
	if got := f.Count(`SELECT count(*) FROM change_event WHERE entity = 'action_plan' AND entity_id = $1 AND op = 'create'`, p.ID); got != 1 {
		t.Errorf("%d create events", got)
	}
	if got := f.Count(`SELECT count(*) FROM change_event WHERE entity = 'action_plan' AND entity_id = $1 AND op = 'update'`, p.ID); got != 2 {
		t.Errorf("%d update events", got)
	}
}

// TestSaveReplaysUnderItsKey: a save is claimed under its key with the id of the plan
// it writes (the participant's plan, or the new one), so a retried create or revision
// returns the plan as the first call left it and writes nothing, two racing retries of
// one revision revise once, a key reused for another save is a CONFLICT, and a refused
// save (a create where a plan exists) leaves its key free for the next request.
func TestSaveReplaysUnderItsKey(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	person := f.person(f.OrgA)
	save := func(in actionplan.SaveInput) actionplan.Plan {
		t.Helper()
		p, err := f.store.Save(f.Ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	revisions := func() int {
		return f.Count(`SELECT count(*) FROM action_plan_revision WHERE participant_id = $1`, person)
	}

	create := actionplan.SaveInput{ParticipantID: person, Goal: "Anställning", Steps: []actionplan.StepInput{{Description: "Kartläggning"}},
		IdempotencyKey: "plan-1"}
	first := save(create)
	before, revs := f.rows(), revisions()
	if again := save(create); again.ID != first.ID || again.Version != 1 || describe(again) != describe(first) {
		t.Errorf("retried create returned %+v, want %+v", again, first)
	}
	if after := f.rows(); after != before || revisions() != revs {
		t.Errorf("retried create wrote: %s -> %s", before, after)
	}

	revise := actionplan.SaveInput{ParticipantID: person, Goal: "Anställning inom vården", Version: ptr(1), IdempotencyKey: "plan-2"}
	revised := save(revise)
	// Both racing retries of the next revision wait for the participant's lock; the
	// second then finds the first's key and replays it.
	next := actionplan.SaveInput{ParticipantID: person, Goal: "Praktik", Version: ptr(2), IdempotencyKey: "plan-3"}
	type result struct {
		p   actionplan.Plan
		err error
	}
	done := make(chan result, 2)
	for range 2 {
		go func() {
			p, err := f.store.Save(f.Ctx, next)
			done <- result{p, err}
		}()
	}
	for range 2 {
		r := <-done
		if r.err != nil || r.p.ID != first.ID || r.p.Version != 3 || r.p.Goal != "Praktik" {
			t.Errorf("a racing retry of a revision: %+v, %v; want version 3 of %s", r.p, r.err, first.ID)
		}
	}
	before, revs = f.rows(), revisions()
	if again := save(revise); again.ID != revised.ID || again.Version != 3 {
		t.Errorf("retried revision returned %+v, want the plan as it is (version 3)", again)
	}
	if after := f.rows(); after != before || revisions() != revs {
		t.Errorf("retried revision wrote: %s -> %s", before, after)
	}
	if revs != 3 {
		t.Errorf("%d revisions, want 3 (one per save)", revs)
	}

	other := next
	other.Goal = "Studier"
	_, err := f.store.Save(f.Ctx, other)
	domaintest.WantErr(t, err, apperr.Conflict, "input.idempotencyKey")
	_, err = f.store.Save(f.Ctx, actionplan.SaveInput{ParticipantID: person, Goal: "Ett andra mål", IdempotencyKey: "plan-4"})
	domaintest.WantErr(t, err, apperr.Conflict, "input.version")
	if after := f.rows(); after != before {
		t.Errorf("refused saves wrote: %s -> %s", before, after)
	}
	save(actionplan.SaveInput{ParticipantID: person, Goal: "Studier", Version: ptr(3), IdempotencyKey: "plan-4"})
	if n := f.Count(`SELECT count(*) FROM idempotency_key WHERE result_id = $1`, first.ID); n != 4 {
		t.Errorf("%d keys name the plan, want 4 (plan-1 to plan-4)", n)
	}
}

func TestSaveRefusesAnotherOrganisationsParticipant(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := f.person(f.OrgB)
	scoped, err := db.ConnectScoped(f.Ctx, f.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer scoped.Close()
	cw := auth.With(f.Ctx, auth.Principal{Subject: "cw", Role: auth.Caseworker, OrgID: f.OrgA})
	asA := actionplan.NewStore(scoped)
	_, err = asA.Save(cw, actionplan.SaveInput{ParticipantID: b, Goal: "x"})
	domaintest.WantErr(t, err, apperr.NotFound, "input.participantId")
	_, err = asA.RecordFollowUp(cw, actionplan.FollowUpInput{ParticipantID: b, HeldOn: day("2024-01-01")})
	domaintest.WantErr(t, err, apperr.NotFound, "input.participantId")
	if got := f.rows(); got != "0 0 0 0 0" {
		t.Errorf("rows written: %s", got)
	}
}

func TestPlansByParticipantsIsOneStatementForAnyNumber(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var people []string
	for i := range 12 {
		person := f.person(f.OrgA)
		people = append(people, person)
		if i%3 == 2 {
			continue // every third has no plan
		}
		in := actionplan.SaveInput{ParticipantID: person, Goal: fmt.Sprintf("mål %d", i)}
		for j := range i % 4 { // 0..3 steps
			in.Steps = append(in.Steps, actionplan.StepInput{Description: fmt.Sprintf("steg %d.%d", i, j+1)})
		}
		if _, err := f.store.Save(f.Ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	n := &testenv.Statements{}
	traced, err := db.ConnectScopedTraced(f.Ctx, f.URL, n)
	if err != nil {
		t.Fatal(err)
	}
	defer traced.Close()
	ctx := auth.With(f.Ctx, auth.Principal{Subject: "admin", Role: auth.Admin})
	store := actionplan.NewStore(traced)
	for _, ids := range [][]string{people[:1], people} {
		n.Store(0)
		plans, err := store.PlansByParticipants(ctx, append(slices.Clone(ids), "junk"))
		if err != nil {
			t.Fatal(err)
		}
		if got := n.Load(); got != 1 {
			t.Errorf("%d participants: %d statements, want 1", len(ids), got)
		}
		if len(ids) == len(people) {
			if len(plans) != 8 {
				t.Fatalf("%d plans, want 8", len(plans))
			}
			for _, p := range plans {
				var i int
				fmt.Sscanf(p.Goal, "mål %d", &i)
				if p.ParticipantID != people[i] || len(p.Steps) != i%4 {
					t.Errorf("plan %q of %s has %d steps", p.Goal, p.ParticipantID, len(p.Steps))
				}
				for j, st := range p.Steps {
					if st.Position != j+1 || st.Description != fmt.Sprintf("steg %d.%d", i, j+1) {
						t.Errorf("plan %q step %d = %+v", p.Goal, j, st)
					}
				}
			}
		}
	}
}

func TestRecordFollowUpDefaultsTheNextDueDateByCadence(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	person := f.person(f.OrgA)
	young := f.enrol(person, "2024-05-01", "")
	old := f.enrol(person, "2023-01-01", "")
	for _, c := range []struct {
		name      string
		enrolment *string
		heldOn    string
		next      *time.Time
		want      string
	}{
		{"no enrolment: a month", nil, "2024-06-01", nil, "2024-07-01"},
		{"young enrolment: a month", &young, "2024-06-10", nil, "2024-07-10"},
		{"enrolment over three months old: three months", &old, "2024-06-10", nil, "2024-09-10"},
		{"given date wins", &old, "2024-06-11", dayPtr("2024-06-30"), "2024-06-30"},
	} {
		t.Run(c.name, func(t *testing.T) {
			fu := f.followUp(actionplan.FollowUpInput{ParticipantID: person, EnrolmentID: c.enrolment, HeldOn: day(c.heldOn),
				NextDueDate: c.next, Attendees: []string{" coach ", "deltagare"}})
			if got := fu.NextDueDate.Format(time.DateOnly); got != c.want {
				t.Errorf("next due %s, want %s", got, c.want)
			}
			if fmt.Sprint(fu.Attendees) != "[coach deltagare]" || fu.OrganisationID != f.OrgA {
				t.Errorf("recorded %+v", fu)
			}
		})
	}
	if n := f.Count(`SELECT count(*) FROM change_event WHERE entity = 'follow_up' AND op = 'create' AND participant_id = $1`, person); n != 4 {
		t.Errorf("%d change events, want 4", n)
	}
	got, err := f.store.FollowUpsByParticipants(f.Ctx, []string{person, "junk"})
	if err != nil || len(got) != 4 || got[0].HeldOn.Format(time.DateOnly) != "2024-06-01" || got[0].EnrolmentID != nil ||
		got[3].HeldOn.Format(time.DateOnly) != "2024-06-11" || *got[3].EnrolmentID != old {
		t.Errorf("by participants: %+v, %v", got, err)
	}
}

func TestRecordFollowUpRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	person, other := f.person(f.OrgA), f.person(f.OrgA)
	e := f.enrol(person, "2024-03-01", "")
	othersEnrolment := f.enrol(other, "2024-03-01", "")
	before := f.rows()
	for _, id := range []string{othersEnrolment, "00000000-0000-0000-0000-000000000000", "junk"} {
		_, err := f.store.RecordFollowUp(f.Ctx, actionplan.FollowUpInput{ParticipantID: person, EnrolmentID: &id, HeldOn: day("2024-06-01")})
		domaintest.WantErr(t, err, apperr.NotFound, "input.enrolmentId")
	}
	_, err := f.store.RecordFollowUp(f.Ctx, actionplan.FollowUpInput{ParticipantID: person, EnrolmentID: &e, HeldOn: day("2024-02-28")})
	domaintest.WantErr(t, err, apperr.Invalid, "input.heldOn")
	_, err = f.store.RecordFollowUp(f.Ctx, actionplan.FollowUpInput{ParticipantID: person, HeldOn: day("2024-06-16")})
	domaintest.WantErr(t, err, apperr.Invalid, "input.heldOn")
	if after := f.rows(); after != before {
		t.Errorf("refusals wrote: %s -> %s", before, after)
	}
}

func TestRecordFollowUpReplayWritesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	person := f.person(f.OrgA)
	in := actionplan.FollowUpInput{ParticipantID: person, HeldOn: day("2024-06-01"), Notes: "bra möte", IdempotencyKey: "möte-1"}
	first := f.followUp(in)
	before := f.rows()
	again := f.followUp(in)
	if again.ID != first.ID || !again.NextDueDate.Equal(first.NextDueDate) {
		t.Errorf("replay returned %+v, want %+v", again, first)
	}
	if after := f.rows(); after != before {
		t.Errorf("replay wrote: %s -> %s", before, after)
	}
	in.Notes = "ett annat möte"
	_, err := f.store.RecordFollowUp(f.Ctx, in)
	domaintest.WantErr(t, err, apperr.Conflict, "input.idempotencyKey")
}

// TestOverdueFollowUps builds the situations a coach meets and checks exactly who is
// listed, with which due date.
func TestOverdueFollowUps(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	person := func() string { return f.person(f.OrgA) }

	// Never followed up: due a month after the start. A meeting before the enrolment
	// started does not count.
	p1 := person()
	never := f.enrol(p1, "2024-01-10", "")
	f.followUp(actionplan.FollowUpInput{ParticipantID: p1, HeldOn: day("2023-12-01")})

	// Followed up recently (the enrolment is old, so next in three months): not listed.
	p2 := person()
	recent := f.enrol(p2, "2024-01-01", "")
	f.followUp(actionplan.FollowUpInput{ParticipantID: p2, EnrolmentID: &recent, HeldOn: day("2024-06-01")})

	// Followed up long ago: due three months after that meeting. A later meeting about
	// the person's other (ended) enrolment does not count for this one.
	p3 := person()
	longAgo := f.enrol(p3, "2023-01-01", "")
	ended3 := f.enrol(p3, "2023-06-01", "2024-06-10")
	f.followUp(actionplan.FollowUpInput{ParticipantID: p3, EnrolmentID: &longAgo, HeldOn: day("2024-01-15")})
	f.followUp(actionplan.FollowUpInput{ParticipantID: p3, EnrolmentID: &ended3, HeldOn: day("2024-06-05")})

	// Ended enrolment, never followed up: not listed today.
	p4 := person()
	ended := f.enrol(p4, "2023-01-01", "2024-03-01")

	// Started on 31 January: due on 29 February (the month's last day).
	p5 := person()
	monthEnd := f.enrol(p5, "2024-01-31", "")

	// Started recently: not yet due.
	f.enrol(person(), "2024-06-01", "")

	// A meeting about no particular enrolment counts for the ongoing one.
	p7 := person()
	f.enrol(p7, "2024-03-01", "")
	f.followUp(actionplan.FollowUpInput{ParticipantID: p7, HeldOn: day("2024-05-20")})

	// Due today: not yet overdue.
	p8 := person()
	f.enrol(p8, "2024-05-15", "")

	// Another organisation's overdue enrolment.
	f.enrol(f.person(f.OrgB), "2023-01-01", "")

	type row struct{ enrolment, participant, last, due string }
	want := []row{
		{never, p1, "", "2024-02-10"},
		{monthEnd, p5, "", "2024-02-29"},
		{longAgo, p3, "2024-01-15", "2024-04-15"},
	}
	var got []row
	var after *string
	for pages := 0; ; pages++ {
		page := db.PageRequest{First: ptr(2), After: after}
		res, err := f.store.Overdue(f.Ctx, f.OrgA, today, page)
		if err != nil {
			t.Fatal(err)
		}
		if res.TotalCount != len(want) {
			t.Errorf("total %d, want %d", res.TotalCount, len(want))
		}
		for _, o := range res.Items {
			r := row{o.EnrolmentID, o.ParticipantID, "", o.DueDate.Format(time.DateOnly)}
			if o.LastHeldOn != nil {
				r.last = o.LastHeldOn.Format(time.DateOnly)
			}
			if days := int(today.Sub(o.DueDate).Hours() / 24); o.DaysOverdue != days {
				t.Errorf("%+v: %d days overdue, want %d", r, o.DaysOverdue, days)
			}
			got = append(got, r)
		}
		if !res.HasNextPage {
			break
		}
		after = &res.Cursors[len(res.Cursors)-1]
		if pages > 3 {
			t.Fatal("paging does not end")
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("overdue\n got %v\nwant %v", got, want)
	}

	// As it stood on 2024-02-20: both ended enrolments were still ongoing, p2's meeting
	// had not been held yet, p3's meeting of 2024-01-15 had, and p5's first follow-up was
	// not yet due.
	res, err := f.store.Overdue(f.Ctx, f.OrgA, day("2024-02-20"), db.FirstN(50))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, o := range res.Items {
		ids = append(ids, o.EnrolmentID+"@"+o.DueDate.Format(time.DateOnly))
	}
	want2 := []string{ended + "@2023-02-01", ended3 + "@2023-07-01", recent + "@2024-02-01", never + "@2024-02-10"}
	if fmt.Sprint(ids) != fmt.Sprint(want2) || res.TotalCount != len(want2) {
		t.Errorf("on 2024-02-20: %v (total %d), want %v", ids, res.TotalCount, want2)
	}
}
