package e2e_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/app/apiserver/apitest"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/gqltest"
)

const figuresChanged = `subscription($o: ID!) { figuresChanged(organisationId: $o) { organisationId at } }`

// waitSubscriptions waits until the API reports n open subscriptions on /metrics, so a
// write made afterwards cannot race the subscription's registration.
func (s *system) waitSubscriptions(t testing.TB, n int) {
	t.Helper()
	s.waitMetric(t, "outcomes_live_subscriptions "+strconv.Itoa(n)+"\n")
}

// waitLoaded waits until the loader has written every change (the API's outbox gauge).
func (s *system) waitLoaded(t testing.TB) {
	t.Helper()
	s.waitMetric(t, "outcomes_outbox_pending_changes 0\n")
}

// waitMetric waits for the API's /metrics to hold want.
func (s *system) waitMetric(t testing.TB, want string) {
	t.Helper()
	waitMetricAt(t, s.apiAddr, want)
}

// waitMetricAt waits for the /metrics at addr (the API's or the loader's) to hold want.
func waitMetricAt(t testing.TB, addr, want string) {
	t.Helper()
	eventually(t, want, func() (bool, string) {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			return false, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return strings.Contains(string(b), want), "metrics lack " + want
	})
}

func (s *system) token(t testing.TB, p auth.Principal) string {
	t.Helper()
	return "Bearer " + apitest.Token(t, p)
}

type liveEvent struct {
	FiguresChanged struct {
		OrganisationID string
		At             string
	}
}

func next(t testing.TB, ctx context.Context, sub *gqltest.Subscription) liveEvent {
	t.Helper()
	r, err := sub.Next(ctx)
	if err != nil || len(r.Errors) > 0 {
		t.Fatalf("subscription: %v %+v", err, r.Errors)
	}
	var e liveEvent
	if err := json.Unmarshal(r.Data, &e); err != nil {
		t.Fatal(err)
	}
	return e
}

// A dashboard subscribed to an organisation hears when the loader has written that
// organisation's figures, and only that organisation's: write through a mutation, the
// subscription fires, and a figure read right after the event already shows the write.
func TestSubscriptionFiresAfterTheLoaderWrote(t *testing.T) {
	s := start(t)
	orgA, orgB := s.createOrg(t, "live-a"), s.createOrg(t, "live-b")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	// A person enrolled in A, written and loaded before anyone subscribes: the write under
	// test is then the exit alone, and the first event can only come from it.
	var p struct{ CreateParticipant struct{ ID string } }
	s.api.MustData(t, createPerson, map[string]any{"org": orgA, "pnr": "19850412-1230", "gender": "WOMAN"}, &p)
	var e struct {
		CreateEnrolment struct {
			ID      string
			Version int
		}
	}
	s.api.MustData(t, createEnrolment, map[string]any{"p": p.CreateParticipant.ID, "start": "2019-01-07"}, &e)
	s.waitLoaded(t)
	url := "http://" + s.apiAddr + "/graphql"
	subA, err := gqltest.Subscribe(ctx, url, s.token(t, auth.Principal{Subject: "dash-a", Role: auth.Steering, OrgID: orgA}), figuresChanged, map[string]any{"o": orgA})
	if err != nil {
		t.Fatal(err)
	}
	defer subA.Close()
	subB, err := gqltest.Subscribe(ctx, url, s.token(t, auth.Principal{Subject: "dash-b", Role: auth.Steering, OrgID: orgB}), figuresChanged, map[string]any{"o": orgB})
	if err != nil {
		t.Fatal(err)
	}
	defer subB.Close()
	s.waitSubscriptions(t, 2)

	if before := s.cohort(t, orgA, 2019); before.ExitCohortOutcome.Total.Exits != 0 {
		t.Fatalf("a new organisation has exits: %s", describe(before.ExitCohortOutcome.Total))
	}
	s.api.MustData(t, exitEnrolment, map[string]any{"e": e.CreateEnrolment.ID, "end": "2019-06-28",
		"reason": "UNSUBSIDISED_EMPLOYMENT_FULL", "v": e.CreateEnrolment.Version}, nil)
	ev := next(t, ctx, subA)
	if ev.FiguresChanged.OrganisationID != orgA {
		t.Errorf("A's subscription got %+v", ev)
	}
	// The notice comes after ClickHouse acknowledged the rows: no waiting here.
	if after := s.cohort(t, orgA, 2019); after.ExitCohortOutcome.Total.Exits != 1 {
		t.Errorf("after the event the figure shows %s, want 1 exit", describe(after.ExitCohortOutcome.Total))
	}
	// B heard nothing of A's write: its first event is the one its own write causes,
	// stamped after A's event arrived (a queued notice of A's write would be older).
	s.person(t, orgB, "19900101-0017", "MAN", "2019-02-04", "2019-07-31", "STUDIES", nil)
	evB := next(t, ctx, subB)
	atA, _ := time.Parse(time.RFC3339Nano, ev.FiguresChanged.At)
	atB, _ := time.Parse(time.RFC3339Nano, evB.FiguresChanged.At)
	if evB.FiguresChanged.OrganisationID != orgB || !atB.After(atA) {
		t.Errorf("B's first event %+v, A's event %+v", evB, ev)
	}
}
