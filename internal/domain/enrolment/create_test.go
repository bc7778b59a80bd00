package enrolment_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/arbetsmarknad/outcomes/internal/domain/domaintest"
	"github.com/arbetsmarknad/outcomes/internal/domain/enrolment"
	"github.com/arbetsmarknad/outcomes/internal/domain/outcome"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
)

// TestCreateClaimsTheKeyOfTheParticipantsOrganisation: createEnrolment's idempotency
// claim goes with the participant's lock when the caller's scope is one organisation,
// and follows the lock otherwise; either way a retry with the key returns the first
// enrolment and writes nothing, the key is the participant's organisation's, and a
// person the caller cannot see is NOT_FOUND with nothing written.
func TestCreateClaimsTheKeyOfTheParticipantsOrganisation(t *testing.T) {
	t.Parallel()
	w := domaintest.NewWorld(t)
	scoped, err := db.ConnectScoped(w.Ctx, w.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(scoped.Close)
	end, reason := time.Date(2019, 3, 31, 0, 0, 0, 0, time.UTC), outcome.JobSeeking
	input := func(person, key string) enrolment.CreateInput {
		return enrolment.CreateInput{ParticipantID: person, MeasureTypeCode: "work_practice", IdempotencyKey: key,
			StartDate: time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC), EndDate: &end, ExitReason: &reason}
	}
	caseworker := auth.With(w.Ctx, auth.Principal{Subject: "cw", Role: auth.Caseworker, OrgID: w.OrgA})
	for _, c := range []struct {
		name  string
		store *enrolment.Store
		ctx   context.Context
	}{{"one organisation's caseworker", enrolment.NewStore(scoped), caseworker}, {"the system", enrolment.NewStore(w.Pool), w.Ctx}} {
		ctx := c.ctx
		person := w.Person(w.OrgA, "woman")
		first, err := c.store.Create(ctx, input(person, "k-"+person))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		again, err := c.store.Create(ctx, input(person, "k-"+person))
		if err != nil || again.ID != first.ID {
			t.Fatalf("%s: retry gave %s (%v), first %s", c.name, again.ID, err, first.ID)
		}
		if n := w.Count(`SELECT count(*) FROM enrolment WHERE participant_id = $1`, person); n != 1 {
			t.Errorf("%s: %d enrolments after a retry, want 1", c.name, n)
		}
		if n := w.Count(`SELECT count(*) FROM idempotency_key WHERE organisation_id = $1 AND key = $2 AND result_id = $3`,
			w.OrgA, "k-"+person, first.ID); n != 1 {
			t.Errorf("%s: the key is not recorded for the participant's organisation", c.name)
		}
	}
	// Organisation B's person, for organisation A's caseworker: hidden, so not found.
	other := w.Person(w.OrgB, "man")
	before := w.Count(`SELECT (SELECT count(*) FROM enrolment) + (SELECT count(*) FROM idempotency_key) + (SELECT count(*) FROM change_event)`)
	_, err = enrolment.NewStore(scoped).Create(caseworker, input(other, "k-other"))
	domaintest.WantErr(t, err, apperr.NotFound, "input.participantId")
	if after := w.Count(`SELECT (SELECT count(*) FROM enrolment) + (SELECT count(*) FROM idempotency_key) + (SELECT count(*) FROM change_event)`); after != before {
		t.Errorf("a refused create wrote %d rows", after-before)
	}
}

// TestCreateSendsItsInsertWithTheCommit: Create's INSERT goes with the COMMIT, so what
// the INSERT returns and what refuses it are read there: the enrolment comes back as
// written (with its measure's code and rule, its rate), an overlapping spell in the same
// measure is a CONFLICT on input.startDate that writes nothing (no enrolment, change
// event or idempotency key), and CreateInTx, in a caller's transaction, still returns
// the written enrolment before that transaction ends.
func TestCreateSendsItsInsertWithTheCommit(t *testing.T) {
	t.Parallel()
	w := domaintest.NewWorld(t)
	store := enrolment.NewStore(w.Pool)
	person := w.Person(w.OrgA, "woman")
	end, reason, rate := time.Date(2019, 3, 31, 0, 0, 0, 0, time.UTC), outcome.JobSeeking, 75
	in := enrolment.CreateInput{ParticipantID: person, MeasureTypeCode: "work_practice", IdempotencyKey: "first",
		StartDate: time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC), EndDate: &end, ExitReason: &reason, EmploymentRate: &rate}
	e, err := store.Create(w.Ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if !db.IsUUID(e.ID) || e.ParticipantID != person || e.OrganisationID != w.OrgA || e.MeasureCode != "work_practice" ||
		e.Eligibility.Rule == "" || !e.StartDate.Equal(in.StartDate) || e.Version != 1 {
		t.Fatalf("created %+v", e)
	}
	if n := w.Count(`SELECT count(*) FROM enrolment_rate WHERE enrolment_id = $1 AND rate = 75`, e.ID); n != 1 {
		t.Errorf("%d rates written with the enrolment, want 1", n)
	}
	counts := `SELECT (SELECT count(*) FROM enrolment) + (SELECT count(*) FROM idempotency_key) + (SELECT count(*) FROM change_event)`
	before := w.Count(counts)
	overlapping := in
	overlapping.IdempotencyKey, overlapping.StartDate = "second", time.Date(2019, 2, 1, 0, 0, 0, 0, time.UTC)
	_, err = store.Create(w.Ctx, overlapping)
	domaintest.WantErr(t, err, apperr.Conflict, "input.startDate")
	if after := w.Count(counts); after != before {
		t.Errorf("a refused overlapping spell wrote %d rows", after-before)
	}

	later := in
	later.IdempotencyKey, later.StartDate, later.EndDate = "", time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), nil
	later.ExitReason, later.EmploymentRate = nil, nil
	err = db.WithTx(w.Ctx, w.Pool, func(tx pgx.Tx) error {
		got, err := store.CreateInTx(w.Ctx, tx, later)
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(w.Ctx, `SELECT count(*) FROM enrolment WHERE id = $1`, got.ID).Scan(&n); err != nil {
			return err
		}
		if n != 1 || got.MeasureCode != "work_practice" || !got.StartDate.Equal(later.StartDate) {
			t.Errorf("CreateInTx returned %+v, %d rows of it in the transaction", got, n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
