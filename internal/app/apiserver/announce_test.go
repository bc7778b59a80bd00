package apiserver_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/arbetsmarknad/outcomes/internal/app/apiserver/apitest"
	"github.com/arbetsmarknad/outcomes/internal/platform/changes"
)

// TestMutationsAnnounceTheirChanges: once a mutation has committed, the loader hears of
// it on changes.Channel, from the API (changes.Announcer) rather than from the write's
// own transaction, which no longer notifies (migration 0018; db
// TestWritesDoNotNotifyInTheirTransactions). Each mutation is followed by an
// announcement, however close together they come.
func TestMutationsAnnounceTheirChanges(t *testing.T) {
	t.Parallel()
	s := apitest.New(t, apitest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	listener, err := pgx.Connect(ctx, s.PostgresURL)
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close(context.Background())
	if _, err := listener.Exec(ctx, "LISTEN "+changes.Channel); err != nil {
		t.Fatal(err)
	}
	heard := func(after string) {
		t.Helper()
		if _, err := listener.WaitForNotification(ctx); err != nil {
			t.Fatalf("no announcement after %s: %v", after, err)
		}
	}

	c := s.Admin(t)
	org := apitest.Organisation(t, c, "hordkommun", "Hördkommun")
	heard("createOrganisation")
	var p struct{ CreateParticipant struct{ ID string } }
	c.MustData(t, `mutation($o: ID!) { createParticipant(input: {organisationId: $o, personalIdentityNumber: "19811218-9876",
		givenName: "Anna", familyName: "Berg", gender: WOMAN}) { id } }`, map[string]any{"o": org}, &p)
	heard("createParticipant")

	var pending int
	if err := s.Owner.QueryRow(ctx, `SELECT count(*) FROM change_event WHERE processed_at IS NULL`).Scan(&pending); err != nil {
		t.Fatal(err)
	}
	if pending == 0 {
		t.Error("the participant left no change event to announce")
	}
}
