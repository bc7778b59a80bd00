package e2e_test

import (
	"context"
	"testing"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/app/demo"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/gqltest"
)

// BenchmarkWriteToNotification measures, on the real API and loader, the time from a
// caseworker's write (an exit, sent through GraphQL) to the dashboard's figuresChanged
// event, interleaved with the peer a dashboard has without subscriptions: polling the
// figure every 100 ms until it changes. Each iteration is one pair.
//
//	go test ./internal/systest/e2e -run '^$' -bench WriteToNotification -benchtime 5x -count 3
func BenchmarkWriteToNotification(b *testing.B) {
	s := start(b)
	org := s.createOrg(b, "bench-live")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	token := s.token(b, auth.Principal{Subject: "dash", Role: auth.Admin})
	// subscribe opens a fresh subscription once the setup writes are loaded, so the
	// first event it gets is the measured write's.
	subscribe := func() *gqltest.Subscription {
		sub, err := gqltest.Subscribe(ctx, "http://"+s.apiAddr+"/graphql", token, figuresChanged, map[string]any{"o": org})
		if err != nil {
			b.Fatal(err)
		}
		s.waitSubscriptions(b, 1)
		return sub
	}
	serial := 0
	enrolled := func() (string, int) { // a person enrolled in 2019 and loaded; returns the enrolment
		serial++
		birth := time.Date(1970+serial%30, time.Month(1+serial%12), 1+serial%28, 0, 0, 0, 0, time.UTC)
		var p struct{ CreateParticipant struct{ ID string } }
		s.api.MustData(b, createPerson, map[string]any{"org": org, "pnr": demo.Personnummer(birth, 200+serial), "gender": "WOMAN"}, &p)
		var e struct {
			CreateEnrolment struct {
				ID      string
				Version int
			}
		}
		s.api.MustData(b, createEnrolment, map[string]any{"p": p.CreateParticipant.ID, "start": "2019-01-07"}, &e)
		s.waitLoaded(b)
		return e.CreateEnrolment.ID, e.CreateEnrolment.Version
	}
	exit := func(id string, v int) {
		s.api.MustData(b, exitEnrolment, map[string]any{"e": id, "end": "2019-06-28", "reason": "STUDIES", "v": v}, nil)
	}
	var notify, poll time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		id, v := enrolled()
		sub := subscribe()
		b.StartTimer()
		t0 := time.Now()
		exit(id, v)
		if _, err := sub.Next(ctx); err != nil {
			b.Fatal(err)
		}
		notify += time.Since(t0)
		b.StopTimer()
		sub.Close()
		s.waitSubscriptions(b, 0)
		b.StartTimer()

		b.StopTimer()
		id, v = enrolled()
		before := s.cohort(b, org, 2019).ExitCohortOutcome.Total.Exits
		b.StartTimer()
		t0 = time.Now()
		exit(id, v)
		for s.cohort(b, org, 2019).ExitCohortOutcome.Total.Exits == before {
			time.Sleep(100 * time.Millisecond)
		}
		poll += time.Since(t0)
	}
	b.StopTimer()
	b.ReportMetric(float64(notify.Milliseconds())/float64(b.N), "notify-ms/op")
	b.ReportMetric(float64(poll.Milliseconds())/float64(b.N), "poll100ms-ms/op")
	b.Logf("loader poll interval %s", s.env["OUTCOMES_LOADER_POLL_INTERVAL"])
}
