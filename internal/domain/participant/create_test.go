package participant_test

import (
	"fmt"
	"testing"

	"github.com/arbetsmarknad/outcomes/internal/domain/domaintest"
	"github.com/arbetsmarknad/outcomes/internal/domain/participant"
	"github.com/arbetsmarknad/outcomes/internal/domain/personnummer"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
)

// TestCreateInAnUnknownOrganisationWritesNothing: the organisation is checked by the
// participant's foreign key (or, with a caseworker, in the idempotency claim's round
// trip: organisation.RequireLater), yet an organisation that does not exist is still a
// NOT_FOUND on input.organisationId, with or without a key or a caseworker, and leaves
// no participant, change event or idempotency key behind; the same request in a real
// organisation then writes.
func TestCreateInAnUnknownOrganisationWritesNothing(t *testing.T) {
	t.Parallel()
	w := domaintest.NewWorld(t)
	store := participant.NewStore(w.Pool)
	in := participant.CreateInput{OrganisationID: db.NewID(), GivenName: "Ny", FamilyName: "Person", Gender: participant.Woman,
		PersonalIdentityNumber: fmt.Sprintf("19700506-123%d", personnummer.CheckDigit("700506123")), IdempotencyKey: "k-1"}
	counts := func() int {
		return w.Count(`SELECT (SELECT count(*) FROM participant) + (SELECT count(*) FROM change_event) + (SELECT count(*) FROM idempotency_key)`)
	}
	before := counts()
	for _, key := range []string{"k-1", ""} {
		for _, caseworker := range []*string{nil, ptr(db.NewID())} {
			in.IdempotencyKey, in.CaseworkerID = key, caseworker
			_, err := store.Create(w.Ctx, in)
			domaintest.WantErr(t, err, apperr.NotFound, "input.organisationId")
		}
	}
	in.CaseworkerID = nil
	if after := counts(); after != before {
		t.Fatalf("a create in an unknown organisation wrote %d rows", after-before)
	}
	in.OrganisationID = w.OrgA
	if p, err := store.Create(w.Ctx, in); err != nil || p.OrganisationID != w.OrgA {
		t.Fatalf("the same request in a real organisation: %+v, %v", p, err)
	}
}

func ptr[T any](v T) *T { return &v }
