package outcomes_test

import (
	"math"
	"testing"
	"time"

	o "github.com/arbetsmarknad/outcomes/warehouse/outcomes"
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
func ptr[T any](v T) *T                         { return &v }

// obs builds an observation for the first of the given month.
func obs(y int, m time.Month, status, source string, sa *bool) o.Observation {
	return o.Observation{Month: date(y, m, 1), Status: status, SocialAssistance: sa, Source: source}
}

var (
	known   = func(v bool) o.Fact { return o.Fact{Value: v, Known: true} }
	unknown = o.Fact{}
	yes     = ptr(true)
	no      = ptr(false)
)

func checkFact(t *testing.T, what string, got, want o.Fact) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %+v, want %+v", what, got, want)
	}
}

func checkFigure(t *testing.T, what string, got o.Figure, n, known, count int, share float64) {
	t.Helper()
	if got.N != n || got.Known != known || got.Count != count {
		t.Errorf("%s: n=%d known=%d count=%d, want %d/%d/%d", what, got.N, got.Known, got.Count, n, known, count)
	}
	switch {
	case math.IsNaN(share):
		if got.Share != nil {
			t.Errorf("%s: share = %v, want none", what, *got.Share)
		}
	case got.Share == nil:
		t.Errorf("%s: no share, want %v", what, share)
	case math.Abs(*got.Share-share) > 1e-12:
		t.Errorf("%s: share = %v, want %v", what, *got.Share, share)
	}
}

// enrolment finds an enrolment of p by ID.
func enrolment(t *testing.T, p o.Person, id string) o.Enrolment {
	t.Helper()
	for _, e := range p.Enrolments {
		if e.ID == id {
			return e
		}
	}
	t.Fatalf("no enrolment %q", id)
	return o.Enrolment{}
}

// timeMonth is a month number as a time.Month.
func timeMonth(m int) time.Month { return time.Month(m) }
