package recruitment_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/domain/domaintest"
	"github.com/arbetsmarknad/outcomes/internal/domain/enrolment"
	"github.com/arbetsmarknad/outcomes/internal/domain/recruitment"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
)

// fixture is a fresh database with two municipalities; employers and participants are
// inserted with SQL so that these tests need no other package's store but the
// organisation's and (for acceptances) the enrolment's.
type fixture struct {
	*domaintest.World
	store *recruitment.Store
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{World: domaintest.NewWorld(t)}
	f.store = recruitment.NewStore(f.Pool)
	return f
}

func (f *fixture) employer(org, name string) string {
	return f.ID(`INSERT INTO employer (organisation_id, kind, name, headcount) VALUES ($1, 'municipal_department', $2, 100)
		RETURNING id`, org, name)
}

func (f *fixture) person(org string) string { return f.Person(org, "woman") }

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func ptr[T any](v T) *T { return &v }

// fair is an event in organisation A where two departments offer 2 and 1 places.
type fair struct {
	event                recruitment.Event
	elderCare, libraries string
}

func (f *fixture) fair() fair {
	f.T.Helper()
	fr := fair{elderCare: f.employer(f.OrgA, "Elder care"), libraries: f.employer(f.OrgA, "Libraries")}
	e, err := f.store.CreateEvent(f.Ctx, recruitment.CreateEventInput{OrganisationID: f.OrgA, Kind: recruitment.Fair,
		Name: "Spring fair", HeldOn: day("2024-03-14"), Place: "Town hall", MeasureTypeCode: ptr("extra_job"),
		Places: []recruitment.PlaceInput{{EmployerID: fr.elderCare, Places: 2}, {EmployerID: fr.libraries, Places: 1}}})
	if err != nil {
		f.T.Fatal(err)
	}
	fr.event = e
	return fr
}

func (f *fixture) interview(eventID, personID, employerID string) recruitment.Interview {
	f.T.Helper()
	iv, err := f.store.RecordInterview(f.Ctx, recruitment.InterviewInput{EventID: eventID, ParticipantID: personID, EmployerID: employerID})
	if err != nil {
		f.T.Fatal(err)
	}
	return iv
}

func (f *fixture) offer(iv recruitment.Interview) recruitment.Interview {
	f.T.Helper()
	iv, err := f.store.MakeOffer(f.Ctx, recruitment.OfferInput{InterviewID: iv.ID, Version: iv.Version, OfferDate: day("2024-03-20")})
	if err != nil {
		f.T.Fatal(err)
	}
	return iv
}

func TestCreateEvent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ec, lib := f.employer(f.OrgA, "Elder care"), f.employer(f.OrgA, "Libraries")
	foreign := f.employer(f.OrgB, "B's schools")
	in := recruitment.CreateEventInput{OrganisationID: f.OrgA, Kind: recruitment.Fair, Name: "Fair", HeldOn: day("2024-03-14"),
		MeasureTypeCode: ptr("extra_job"), Places: []recruitment.PlaceInput{{EmployerID: ec, Places: 3}, {EmployerID: lib, Places: 1}},
		IdempotencyKey: "fair-1"}
	e, err := f.store.CreateEvent(f.Ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if e.Kind != recruitment.Fair || e.MeasureTypeID == nil || !e.HeldOn.Equal(day("2024-03-14")) {
		t.Fatalf("created %+v", e)
	}
	again, err := f.store.CreateEvent(f.Ctx, in)
	if err != nil || again.ID != e.ID {
		t.Fatalf("retry: %v, %s want %s", err, again.ID, e.ID)
	}
	if n := f.Count(`SELECT count(*) FROM recruitment_place`); n != 2 {
		t.Fatalf("%d places after a retry, want 2", n)
	}

	bad := func(mod func(*recruitment.CreateEventInput)) error {
		x := in
		x.IdempotencyKey = ""
		x.Places = append([]recruitment.PlaceInput(nil), in.Places...)
		mod(&x)
		_, err := f.store.CreateEvent(f.Ctx, x)
		return err
	}
	domaintest.WantErr(t, bad(func(x *recruitment.CreateEventInput) { x.Places[1].EmployerID = foreign }), apperr.NotFound, "input.places[1].employerId")
	domaintest.WantErr(t, bad(func(x *recruitment.CreateEventInput) { x.Places[0].EmployerID = "nonsense" }), apperr.NotFound, "input.places[0].employerId")
	domaintest.WantErr(t, bad(func(x *recruitment.CreateEventInput) { x.Places[1].Places = 0 }), apperr.Invalid, "input.places[1].places")
	domaintest.WantErr(t, bad(func(x *recruitment.CreateEventInput) { x.Places[1].EmployerID = ec }), apperr.Invalid, "input.places[1].employerId")
	domaintest.WantErr(t, bad(func(x *recruitment.CreateEventInput) { x.MeasureTypeCode = ptr("no_such") }), apperr.NotFound, "input.measureTypeCode")
	domaintest.WantErr(t, bad(func(x *recruitment.CreateEventInput) { x.Kind = "party" }), apperr.Invalid, "input.kind")
	if n := f.Count(`SELECT count(*) FROM recruitment_event`); n != 1 {
		t.Fatalf("%d events after refused creates, want 1", n)
	}
	// A meeting without places or a measure is fine.
	m, err := f.store.CreateEvent(f.Ctx, recruitment.CreateEventInput{OrganisationID: f.OrgA, Kind: recruitment.Meeting,
		Name: "AF meeting", HeldOn: day("2024-02-01")})
	if err != nil || m.MeasureTypeID != nil {
		t.Fatalf("meeting: %+v, %v", m, err)
	}
}

func TestInvite(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	fr := f.fair()
	a1, a2, b1 := f.person(f.OrgA), f.person(f.OrgA), f.person(f.OrgB)
	if _, err := f.store.Invite(f.Ctx, recruitment.InviteInput{EventID: fr.event.ID, ParticipantIDs: []string{a1}}); err != nil {
		t.Fatal(err)
	}
	// Inviting again leaves the first invitation; a duplicate in the list is harmless.
	if _, err := f.store.Invite(f.Ctx, recruitment.InviteInput{EventID: fr.event.ID, ParticipantIDs: []string{a1, a2, a2}}); err != nil {
		t.Fatal(err)
	}
	invs, err := f.store.InvitationsOf(f.Ctx, []string{fr.event.ID})
	if err != nil || len(invs) != 2 {
		t.Fatalf("invitations %+v, %v", invs, err)
	}
	_, err = f.store.Invite(f.Ctx, recruitment.InviteInput{EventID: fr.event.ID, ParticipantIDs: []string{a1, b1}})
	domaintest.WantErr(t, err, apperr.NotFound, "input.participantIds[1]")
	_, err = f.store.Invite(f.Ctx, recruitment.InviteInput{EventID: "00000000-0000-0000-0000-000000000000", ParticipantIDs: []string{a1}})
	domaintest.WantErr(t, err, apperr.NotFound, "input.eventId")
	if n := f.Count(`SELECT count(*) FROM recruitment_invitation`); n != 2 {
		t.Fatalf("%d invitations, want 2", n)
	}
}

func TestRecordInterview(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	fr := f.fair()
	invited, walkIn, foreign := f.person(f.OrgA), f.person(f.OrgA), f.person(f.OrgB)
	if _, err := f.store.Invite(f.Ctx, recruitment.InviteInput{EventID: fr.event.ID, ParticipantIDs: []string{invited}}); err != nil {
		t.Fatal(err)
	}
	in := recruitment.InterviewInput{EventID: fr.event.ID, ParticipantID: invited, EmployerID: fr.elderCare, Notes: " Experience in care ",
		IdempotencyKey: "iv-1"}
	iv, err := f.store.RecordInterview(f.Ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if iv.Notes != "Experience in care" || iv.Offered || iv.Accepted != nil || iv.Version != 1 {
		t.Fatalf("recorded %+v", iv)
	}
	again, err := f.store.RecordInterview(f.Ctx, in)
	if err != nil || again.ID != iv.ID {
		t.Fatalf("retry: %v", err)
	}
	in.IdempotencyKey = ""
	_, err = f.store.RecordInterview(f.Ctx, in)
	domaintest.WantErr(t, err, apperr.Conflict, "input.employerId")

	// Someone who walked in without an invitation may be interviewed.
	f.interview(fr.event.ID, walkIn, fr.libraries)

	noPlaces := f.employer(f.OrgA, "Parks")
	_, err = f.store.RecordInterview(f.Ctx, recruitment.InterviewInput{EventID: fr.event.ID, ParticipantID: walkIn, EmployerID: noPlaces})
	domaintest.WantErr(t, err, apperr.Invalid, "input.employerId")
	_, err = f.store.RecordInterview(f.Ctx, recruitment.InterviewInput{EventID: fr.event.ID, ParticipantID: foreign, EmployerID: fr.elderCare})
	domaintest.WantErr(t, err, apperr.NotFound, "input.participantId")
	_, err = f.store.RecordInterview(f.Ctx, recruitment.InterviewInput{EventID: "nonsense", ParticipantID: walkIn, EmployerID: fr.elderCare})
	domaintest.WantErr(t, err, apperr.NotFound, "input.eventId")
	if n := f.Count(`SELECT count(*) FROM interview`); n != 2 {
		t.Fatalf("%d interviews, want 2", n)
	}
}

func TestMakeOffer(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	fr := f.fair()
	iv := f.interview(fr.event.ID, f.person(f.OrgA), fr.elderCare)
	_, err := f.store.MakeOffer(f.Ctx, recruitment.OfferInput{InterviewID: iv.ID, Version: 1, OfferDate: day("2024-03-13")})
	domaintest.WantErr(t, err, apperr.Invalid, "input.offerDate")
	got, err := f.store.MakeOffer(f.Ctx, recruitment.OfferInput{InterviewID: iv.ID, Version: 1, OfferDate: day("2024-03-14")})
	if err != nil {
		t.Fatal(err)
	}
	if !got.Offered || got.OfferDate == nil || !got.OfferDate.Equal(day("2024-03-14")) || got.Version != 2 {
		t.Fatalf("offered %+v", got)
	}
	_, err = f.store.MakeOffer(f.Ctx, recruitment.OfferInput{InterviewID: iv.ID, Version: 1, OfferDate: day("2024-03-15")})
	domaintest.WantErr(t, err, apperr.Conflict, "input.version")
	_, err = f.store.MakeOffer(f.Ctx, recruitment.OfferInput{InterviewID: "00000000-0000-0000-0000-000000000000", Version: 1, OfferDate: day("2024-03-15")})
	domaintest.WantErr(t, err, apperr.NotFound, "input.interviewId")
}

// The enrolment store is what the API passes as the creator.
var _ recruitment.EnrolmentCreator = (*enrolment.Store)(nil)

func TestAnswerOffer(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	fr := f.fair()
	creator := enrolment.NewStore(f.Pool)
	person := f.person(f.OrgA)
	iv := f.interview(fr.event.ID, person, fr.elderCare)

	_, err := f.store.AnswerOffer(f.Ctx, recruitment.AnswerInput{InterviewID: iv.ID, Version: 1, Accepted: false}, creator)
	domaintest.WantErr(t, err, apperr.Invalid, "input.interviewId") // nothing offered yet
	iv = f.offer(iv)

	accept := func(e *enrolment.CreateInput) error {
		_, err := f.store.AnswerOffer(f.Ctx, recruitment.AnswerInput{InterviewID: iv.ID, Version: iv.Version, Accepted: true, Enrolment: e}, creator)
		return err
	}
	domaintest.WantErr(t, accept(nil), apperr.Invalid, "input.enrolment")

	// The participant meets none of the extra-job conditions: the enrolment is refused
	// and the answer is not recorded either.
	err = accept(&enrolment.CreateInput{MeasureTypeCode: "extra_job", StartDate: day("2024-04-01")})
	domaintest.WantErr(t, err, apperr.NotEligible, "input.enrolment.eligibilityOverride")
	err = accept(&enrolment.CreateInput{MeasureTypeCode: "extra_job"})
	domaintest.WantErr(t, err, apperr.Invalid, "input.enrolment.startDate")
	if cur, err := f.store.GetInterview(f.Ctx, iv.ID); err != nil || cur.Accepted != nil || cur.Version != iv.Version {
		t.Fatalf("a refused enrolment changed the interview: %+v, %v", cur, err)
	}
	if n := f.Count(`SELECT count(*) FROM enrolment`); n != 0 {
		t.Fatalf("%d enrolments after refusals, want 0", n)
	}

	// A decline first, then the candidate changes their mind.
	declined, err := f.store.AnswerOffer(f.Ctx, recruitment.AnswerInput{InterviewID: iv.ID, Version: iv.Version, Accepted: false}, creator)
	if err != nil || declined.Accepted == nil || *declined.Accepted || declined.EnrolmentID != nil {
		t.Fatalf("decline: %+v, %v", declined, err)
	}
	iv = declined
	reason := "Guarantee days are being confirmed by AF this week"
	if err := accept(&enrolment.CreateInput{MeasureTypeCode: "extra_job", StartDate: day("2024-04-01"), EmploymentRate: ptr(25),
		OverrideReason: &reason, OverrideBy: "coach", HostEmployerID: &fr.libraries, ParticipantID: "ignored"}); err != nil {
		t.Fatal(err)
	}
	got, err := f.store.GetInterview(f.Ctx, iv.ID)
	if err != nil || got.Accepted == nil || !*got.Accepted || got.EnrolmentID == nil || got.Version != iv.Version+1 {
		t.Fatalf("accepted: %+v, %v", got, err)
	}
	e, err := enrolment.NewStore(f.Pool).Get(f.Ctx, *got.EnrolmentID)
	if err != nil {
		t.Fatal(err)
	}
	// The interview decides who and where, whatever the input said.
	if e.ParticipantID != person || e.HostEmployerID == nil || *e.HostEmployerID != fr.elderCare || e.MeasureCode != "extra_job" {
		t.Fatalf("enrolment %+v", e)
	}

	iv = got
	_, err = f.store.AnswerOffer(f.Ctx, recruitment.AnswerInput{InterviewID: iv.ID, Version: iv.Version, Accepted: false}, creator)
	domaintest.WantErr(t, err, apperr.Conflict, "input.interviewId")
	_, err = f.store.AnswerOffer(f.Ctx, recruitment.AnswerInput{InterviewID: iv.ID, Version: iv.Version, Accepted: false,
		Enrolment: &enrolment.CreateInput{}}, creator)
	domaintest.WantErr(t, err, apperr.Invalid, "input.enrolment")
	_, err = f.store.AnswerOffer(f.Ctx, recruitment.AnswerInput{InterviewID: iv.ID, Version: 1, Accepted: false}, creator)
	domaintest.WantErr(t, err, apperr.Conflict, "input.version")
}

func TestPlacesAndSummary(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	fr := f.fair()
	people := make([]string, 5)
	for i := range people {
		people[i] = f.person(f.OrgA)
	}
	if _, err := f.store.Invite(f.Ctx, recruitment.InviteInput{EventID: fr.event.ID, ParticipantIDs: people[:4]}); err != nil {
		t.Fatal(err)
	}
	creator := enrolment.NewStore(f.Pool)
	accept := func(iv recruitment.Interview) {
		t.Helper()
		if _, err := f.store.AnswerOffer(f.Ctx, recruitment.AnswerInput{InterviewID: iv.ID, Version: iv.Version, Accepted: true,
			Enrolment: &enrolment.CreateInput{MeasureTypeCode: "work_practice", StartDate: day("2024-04-01")}}, creator); err != nil {
			t.Fatal(err)
		}
	}
	// Elder care (2 places): 4 interviews, 3 offers, 1 accepted, 1 declined.
	// Libraries (1 place): 2 interviews, 2 offers, 2 accepted (one more than its place).
	for i, p := range people[:4] {
		iv := f.interview(fr.event.ID, p, fr.elderCare)
		if i == 3 {
			continue
		}
		iv = f.offer(iv)
		switch i {
		case 0:
			accept(iv)
		case 1:
			if _, err := f.store.AnswerOffer(f.Ctx, recruitment.AnswerInput{InterviewID: iv.ID, Version: iv.Version}, creator); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, p := range people[3:] {
		accept(f.offer(f.interview(fr.event.ID, p, fr.libraries)))
	}

	places, err := f.store.PlacesOf(f.Ctx, []string{fr.event.ID})
	if err != nil {
		t.Fatal(err)
	}
	want := []recruitment.Place{
		{EventID: fr.event.ID, EmployerID: fr.elderCare, Places: 2, Interviews: 4, Offers: 3, Filled: 1},
		{EventID: fr.event.ID, EmployerID: fr.libraries, Places: 1, Interviews: 2, Offers: 2, Filled: 2},
	}
	if fmt.Sprint(places) != fmt.Sprint(want) {
		t.Fatalf("places\n got %+v\nwant %+v", places, want)
	}
	s, err := f.store.Summary(f.Ctx, fr.event.ID)
	if err != nil {
		t.Fatal(err)
	}
	if s.PlacesOffered != 3 || s.Invited != 4 || s.Interviews != 6 || s.Offers != 5 || s.Acceptances != 3 || s.PlacesFilled != 2 ||
		s.InterviewsPerPlace == nil || *s.InterviewsPerPlace != 2 {
		t.Fatalf("summary %+v", s)
	}
	ivs, err := f.store.InterviewsOf(f.Ctx, []string{fr.event.ID})
	if err != nil || len(ivs) != 6 {
		t.Fatalf("interviews of the event: %d, %v", len(ivs), err)
	}
	byPerson, err := f.store.InterviewsByParticipants(f.Ctx, []string{people[3]})
	if err != nil || len(byPerson) != 2 {
		t.Fatalf("interviews of one person: %+v, %v", byPerson, err)
	}

	// An event without places has no interviews-per-place figure.
	m, err := f.store.CreateEvent(f.Ctx, recruitment.CreateEventInput{OrganisationID: f.OrgA, Kind: recruitment.Meeting, Name: "M", HeldOn: day("2024-01-01")})
	if err != nil {
		t.Fatal(err)
	}
	if s, err := f.store.Summary(f.Ctx, m.ID); err != nil || s.InterviewsPerPlace != nil || s.PlacesOffered != 0 {
		t.Fatalf("empty summary %+v, %v", s, err)
	}

	// Several events at once (a dataloader's batch): one summary per known event.
	ss, err := f.store.SummariesOf(f.Ctx, []string{fr.event.ID, m.ID, "nonsense", "00000000-0000-0000-0000-000000000000"})
	if err != nil || len(ss) != 2 {
		t.Fatalf("summaries %+v, %v", ss, err)
	}
	for _, x := range ss {
		if x.EventID == fr.event.ID && x.Interviews != 6 || x.EventID == m.ID && x.Interviews != 0 {
			t.Fatalf("summary of %s: %+v", x.EventID, x)
		}
	}
	_, err = f.store.Summary(f.Ctx, "00000000-0000-0000-0000-000000000000")
	domaintest.WantErr(t, err, apperr.NotFound, "id")
}

func TestListEvents(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	mk := func(kind recruitment.Kind, heldOn string) string {
		e, err := f.store.CreateEvent(f.Ctx, recruitment.CreateEventInput{OrganisationID: f.OrgA, Kind: kind, Name: heldOn, HeldOn: day(heldOn)})
		if err != nil {
			t.Fatal(err)
		}
		return e.ID
	}
	jan, mar, feb := mk(recruitment.Meeting, "2024-01-10"), mk(recruitment.Fair, "2024-03-14"), mk(recruitment.Meeting, "2024-02-01")
	if _, err := f.store.CreateEvent(f.Ctx, recruitment.CreateEventInput{OrganisationID: f.OrgB, Kind: recruitment.Fair, Name: "B", HeldOn: day("2024-05-01")}); err != nil {
		t.Fatal(err)
	}
	var got []string
	var after *string
	for {
		page := db.PageRequest{First: ptr(2), After: after}
		res, err := f.store.List(f.Ctx, f.OrgA, nil, page)
		if err != nil || res.TotalCount != 3 {
			t.Fatalf("list: %v, total %d", err, res.TotalCount)
		}
		for _, e := range res.Items {
			got = append(got, e.ID)
		}
		if !res.HasNextPage {
			break
		}
		after = &res.Cursors[len(res.Cursors)-1]
	}
	if fmt.Sprint(got) != fmt.Sprint([]string{mar, feb, jan}) {
		t.Fatalf("order %v, want newest first", got)
	}
	page := db.PageRequest{First: nil, After: nil}
	meetings, err := f.store.List(f.Ctx, f.OrgA, ptr(recruitment.Meeting), page)
	if err != nil || meetings.TotalCount != 2 || len(meetings.Items) != 2 || meetings.Items[0].ID != feb {
		t.Fatalf("meetings: %+v, %v", meetings, err)
	}
}
