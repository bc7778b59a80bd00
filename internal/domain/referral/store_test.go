package referral_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/domain/domaintest"
	"github.com/arbetsmarknad/outcomes/internal/domain/referral"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
)

// today is the fixtures' clock.
var today = day("2024-06-15")

// fixture is a fresh database with two municipalities, one person in each, and a store
// whose clock reads 2024-06-15 (afternoon, UTC).
type fixture struct {
	*domaintest.World
	store   *referral.Store
	personA string
	personB string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{World: domaintest.NewWorld(t)}
	f.store = referral.NewStore(f.Pool)
	f.store.SetClock(func() time.Time { return today.Add(14 * time.Hour) })
	f.personA, f.personB = f.person(f.OrgA), f.person(f.OrgB)
	return f
}

func (f *fixture) person(org string) string { return f.Person(org, "woman") }

// rows counts what a write may leave behind.
func (f *fixture) rows() string {
	return fmt.Sprint(f.Count(`SELECT count(*) FROM referral`), f.Count(`SELECT count(*) FROM change_event`),
		f.Count(`SELECT count(*) FROM idempotency_key`))
}

// create registers a valid referral of person on date; change tweaks the input.
func (f *fixture) create(person, date string, change ...func(*referral.CreateInput)) referral.Referral {
	f.T.Helper()
	in := referral.CreateInput{ParticipantID: person, Source: referral.SocialServices, ReferralDate: day(date),
		Ordered: []referral.Order{referral.Mapping}}
	for _, c := range change {
		c(&in)
	}
	x, err := f.store.Create(f.Ctx, in)
	if err != nil {
		f.T.Fatal(err)
	}
	return x
}

func TestCreateStoresTheReferralAndItsChange(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	x := f.create(f.personA, "2024-05-02", func(in *referral.CreateInput) {
		in.Ordered = []referral.Order{referral.LabourMarketEmployment, referral.Mapping, referral.LabourMarketEmployment}
		in.ReferringOfficer, in.FeedbackMethod, in.FeedbackDueDate = "Socialsekreterare Berg", "skriftlig", dayPtr("2024-06-01")
	})
	if x.OrganisationID != f.OrgA || x.Version != 1 || len(x.Ordered) != 2 || x.Ordered[1] != referral.Mapping ||
		!x.ReferralDate.Equal(day("2024-05-02")) || !x.FeedbackDueDate.Equal(day("2024-06-01")) || x.FeedbackSentDate != nil {
		t.Errorf("created %+v", x)
	}
	got, err := f.store.Get(f.Ctx, x.ID)
	if err != nil || got.ReferringOfficer != "Socialsekreterare Berg" || got.FeedbackMethod != "skriftlig" {
		t.Errorf("get: %+v, %v", got, err)
	}
	if n := f.Count(`SELECT count(*) FROM change_event WHERE entity = 'referral' AND entity_id = $1 AND op = 'create'
		AND participant_id = $2 AND organisation_id = $3`, x.ID, f.personA, f.OrgA); n != 1 {
		t.Errorf("%d change events for the create, want 1", n)
	}
	if _, err := f.store.Get(f.Ctx, "not-a-uuid"); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("malformed id: %v", err)
	}
}

func TestCreateRefusesBadInputAndWritesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	before := f.rows()
	_, err := f.store.Create(f.Ctx, referral.CreateInput{ParticipantID: f.personA, Source: "neighbour",
		ReferralDate: day("2024-06-16"), IdempotencyKey: "k1"})
	if got, want := fields(err), "input.ordered input.referralDate input.source"; got != want {
		t.Errorf("fields = %q, want %q", got, want)
	}
	// Someone the caller cannot see, someone who does not exist, and a malformed id: all NOT_FOUND.
	scoped, err := db.ConnectScoped(f.Ctx, f.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer scoped.Close()
	cw := auth.With(f.Ctx, auth.Principal{Subject: "cw", Role: auth.Caseworker, OrgID: f.OrgA})
	asA := referral.NewStore(scoped)
	for _, id := range []string{f.personB, "00000000-0000-0000-0000-000000000000", "nobody"} {
		_, err := asA.Create(cw, referral.CreateInput{ParticipantID: id, Source: referral.AF, ReferralDate: day("2024-01-01"),
			Ordered: []referral.Order{referral.JobHelp}})
		domaintest.WantErr(t, err, apperr.NotFound, "input.participantId")
	}
	if after := f.rows(); after != before {
		t.Errorf("rows changed: %s -> %s", before, after)
	}
	// The caseworker of A can register for A's person.
	if _, err := asA.Create(cw, referral.CreateInput{ParticipantID: f.personA, Source: referral.AF, ReferralDate: day("2024-01-01"),
		Ordered: []referral.Order{referral.JobHelp}}); err != nil {
		t.Errorf("own organisation: %v", err)
	}
}

func TestCreateReplayWithTheSameKeyWritesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	key := func(in *referral.CreateInput) { in.IdempotencyKey = "remiss-42" }
	first := f.create(f.personA, "2024-05-02", key)
	before := f.rows()
	again := f.create(f.personA, "2024-05-02", key)
	if again.ID != first.ID || again.Version != first.Version {
		t.Errorf("replay returned %s, want %s", again.ID, first.ID)
	}
	if after := f.rows(); after != before {
		t.Errorf("replay wrote: %s -> %s", before, after)
	}
	_, err := f.store.Create(f.Ctx, referral.CreateInput{ParticipantID: f.personA, Source: referral.AF, ReferralDate: day("2024-05-02"),
		Ordered: []referral.Order{referral.Mapping}, IdempotencyKey: "remiss-42"})
	domaintest.WantErr(t, err, apperr.Conflict, "input.idempotencyKey")
}

func TestUpdateIsVersionedAndChangesOnlyWhatIsGiven(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	x := f.create(f.personA, "2024-05-02", func(in *referral.CreateInput) {
		in.FeedbackDueDate, in.Notes = dayPtr("2024-06-01"), "första anteckning"
	})
	up, err := f.store.Update(f.Ctx, referral.UpdateInput{ID: x.ID, Version: 1, TripartiteMeetingDate: dayPtr("2024-05-10")})
	if err != nil {
		t.Fatal(err)
	}
	if up.Version != 2 || !up.TripartiteMeetingDate.Equal(day("2024-05-10")) || up.Notes != "första anteckning" ||
		!up.FeedbackDueDate.Equal(day("2024-06-01")) || up.FeedbackSentDate != nil {
		t.Errorf("after update: %+v", up)
	}
	before := f.rows()
	_, err = f.store.Update(f.Ctx, referral.UpdateInput{ID: x.ID, Version: 1, FeedbackSentDate: dayPtr("2024-06-01")})
	domaintest.WantErr(t, err, apperr.Conflict, "input.version")
	_, err = f.store.Update(f.Ctx, referral.UpdateInput{ID: x.ID, Version: 2, TripartiteMeetingDate: dayPtr("2024-05-01"),
		FeedbackSentDate: dayPtr("2024-06-16")})
	if got, want := fields(err), "input.feedbackSentDate input.tripartiteMeetingDate"; got != want {
		t.Errorf("fields = %q, want %q", got, want)
	}
	_, err = f.store.Update(f.Ctx, referral.UpdateInput{ID: "00000000-0000-0000-0000-000000000000", Version: 1})
	domaintest.WantErr(t, err, apperr.NotFound, "input.id")
	if after := f.rows(); after != before {
		t.Errorf("refused updates wrote: %s -> %s", before, after)
	}
	up, err = f.store.Update(f.Ctx, referral.UpdateInput{ID: x.ID, Version: 2, FeedbackSentDate: dayPtr("2024-06-15"), Notes: ptr(" ")})
	if err != nil || up.Version != 3 || !up.FeedbackSentDate.Equal(today) || up.Notes != "" || !up.TripartiteMeetingDate.Equal(day("2024-05-10")) {
		t.Errorf("second update: %+v, %v", up, err)
	}
	if n := f.Count(`SELECT count(*) FROM change_event WHERE entity_id = $1 AND op = 'update'`, x.ID); n != 2 {
		t.Errorf("%d update events, want 2", n)
	}
}

func TestListNewestFirstFilteredAndPaged(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	other := f.person(f.OrgA)
	af := func(in *referral.CreateInput) { in.Source = referral.AF }
	r1 := f.create(f.personA, "2024-01-10")
	r2 := f.create(f.personA, "2024-03-01", af)
	r3 := f.create(other, "2024-03-01")
	r4 := f.create(other, "2024-05-20", af)
	if _, err := f.store.Update(f.Ctx, referral.UpdateInput{ID: r4.ID, Version: 1, FeedbackSentDate: dayPtr("2024-06-01")}); err != nil {
		t.Fatal(err)
	}
	f.create(f.personB, "2024-06-01") // another organisation's

	// Same date: the larger id first.
	mid := []string{r2.ID, r3.ID}
	if r3.ID > r2.ID {
		mid = []string{r3.ID, r2.ID}
	}
	var seen []string
	var after *string
	for pages := 0; ; pages++ {
		page := db.PageRequest{First: ptr(3), After: after}
		got, err := f.store.List(f.Ctx, f.OrgA, referral.Filter{}, page)
		if err != nil {
			t.Fatal(err)
		}
		if got.TotalCount != 4 {
			t.Errorf("total %d, want 4", got.TotalCount)
		}
		for _, x := range got.Items {
			seen = append(seen, x.ID)
		}
		if !got.HasNextPage {
			break
		}
		after = &got.Cursors[len(got.Cursors)-1]
		if pages > 2 {
			t.Fatal("paging does not end")
		}
	}
	if want := []string{r4.ID, mid[0], mid[1], r1.ID}; fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Errorf("order %v, want %v", seen, want)
	}

	for _, c := range []struct {
		name   string
		filter referral.Filter
		want   []string
	}{
		{"source", referral.Filter{Source: ptr(referral.AF)}, []string{r4.ID, r2.ID}},
		{"participant", referral.Filter{ParticipantID: &other}, []string{r4.ID, r3.ID}},
		{"from and to, inclusive", referral.Filter{From: dayPtr("2024-01-10"), To: dayPtr("2024-03-01")}, []string{mid[0], mid[1], r1.ID}},
		{"feedback pending", referral.Filter{FeedbackPending: ptr(true), Source: ptr(referral.AF)}, []string{r2.ID}},
		{"feedback sent", referral.Filter{FeedbackPending: ptr(false)}, []string{r4.ID}},
		{"malformed participant", referral.Filter{ParticipantID: ptr("x")}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := f.store.List(f.Ctx, f.OrgA, c.filter, db.FirstN(50))
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, x := range got.Items {
				ids = append(ids, x.ID)
			}
			if fmt.Sprint(ids) != fmt.Sprint(c.want) || got.TotalCount != len(c.want) {
				t.Errorf("got %v (total %d), want %v", ids, got.TotalCount, c.want)
			}
		})
	}
}

func TestOverdueListsUnsentFeedbackDueBeforeTheDay(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	due := func(d string) func(*referral.CreateInput) {
		return func(in *referral.CreateInput) { in.FeedbackDueDate = dayPtr(d) }
	}
	late := f.create(f.personA, "2024-01-10", due("2024-02-10"))
	later := f.create(f.personA, "2024-03-01", due("2024-04-01"))
	sameDay := f.create(f.person(f.OrgA), "2024-03-01", due("2024-04-01"))
	sent := f.create(f.personA, "2024-01-10", due("2024-02-01"))
	if _, err := f.store.Update(f.Ctx, referral.UpdateInput{ID: sent.ID, Version: 1, FeedbackSentDate: dayPtr("2024-03-01")}); err != nil {
		t.Fatal(err)
	}
	f.create(f.personA, "2024-05-01", due("2024-06-15")) // due today: not yet overdue
	f.create(f.personA, "2024-05-01")                    // no due date
	f.create(f.personB, "2024-01-10", due("2024-02-10")) // another organisation's

	mid := []string{later.ID, sameDay.ID}
	if sameDay.ID < later.ID {
		mid = []string{sameDay.ID, later.ID}
	}
	want := []string{late.ID, mid[0], mid[1]}
	var seen []string
	var after *string
	for {
		page := db.PageRequest{First: ptr(2), After: after}
		got, err := f.store.Overdue(f.Ctx, f.OrgA, today, page)
		if err != nil {
			t.Fatal(err)
		}
		if got.TotalCount != 3 {
			t.Errorf("total %d, want 3", got.TotalCount)
		}
		for _, x := range got.Items {
			if !x.FeedbackOverdueOn(today) {
				t.Errorf("listed %+v, which is not overdue", x)
			}
			seen = append(seen, x.ID)
		}
		if !got.HasNextPage {
			break
		}
		after = &got.Cursors[len(got.Cursors)-1]
	}
	if fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Errorf("overdue %v, want %v", seen, want)
	}
	// On an earlier day, only what was already due then (sent feedback never is).
	got, err := f.store.Overdue(f.Ctx, f.OrgA, day("2024-02-11"), db.FirstN(50))
	if err != nil || got.TotalCount != 1 || len(got.Items) != 1 || got.Items[0].ID != late.ID {
		t.Errorf("on 2024-02-11: %+v (total %d), %v", got.Items, got.TotalCount, err)
	}
}

func TestByParticipantsLoadsByDate(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := f.create(f.personA, "2024-03-01")
	a := f.create(f.personA, "2024-01-01")
	other := f.person(f.OrgA)
	c := f.create(other, "2024-02-01")
	got, err := f.store.ByParticipants(f.Ctx, []string{f.personA, other, "junk"})
	if err != nil {
		t.Fatal(err)
	}
	byPerson := map[string][]string{}
	for _, x := range got {
		byPerson[x.ParticipantID] = append(byPerson[x.ParticipantID], x.ID)
	}
	if fmt.Sprint(byPerson[f.personA]) != fmt.Sprint([]string{a.ID, b.ID}) || fmt.Sprint(byPerson[other]) != fmt.Sprint([]string{c.ID}) {
		t.Errorf("grouped %v", byPerson)
	}
}
