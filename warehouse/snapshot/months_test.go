package snapshot_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/arbetsmarknad/outcomes/warehouse/outcomes"
	"github.com/arbetsmarknad/outcomes/warehouse/snapshot"
)

// Build counts months on integers; this checks its month rows, for random histories,
// against the definitions read month by month with time.Date: one row per calendar
// month from the first enrolment or observation to asOf, the status by
// outcomes.StatusIn, and the measure of the enrolment active in the month (started
// before the month ends, not ended before it begins; the latest start wins). It also
// checks that AppendBuild leaves the rows before it alone and appends what Build gives.
func TestBuildMonthsAgreeWithTheDefinitions(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(17, 2026))
	statuses := []string{"unknown", "studies", "job_seeking", "unsubsidised_employment_full", "sick_leave"}
	sources := []string{"af_data", "employer", "phone_follow_up", "caseworker"}
	day := func() time.Time {
		return time.Date(2015+rng.IntN(8), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), 0, 0, 0, 0, time.UTC)
	}
	var prior []snapshot.MonthRow
	for n := 0; n < 300; n++ {
		p := snapshot.Person{OrgID: "o", ID: "p", Gender: "man", BirthDate: time.Date(1980, 5, 17, 0, 0, 0, 0, time.UTC)}
		for i := rng.IntN(4); i > 0; i-- {
			e := snapshot.Enrolment{ID: string(rune('a' + i)), MeasureCode: statuses[rng.IntN(len(statuses))], Start: day()}
			if rng.IntN(4) > 0 {
				end := e.Start.AddDate(0, rng.IntN(20), rng.IntN(40)-5)
				e.End = &end
			}
			p.Enrolments = append(p.Enrolments, e)
		}
		for i := rng.IntN(6); i > 0; i-- {
			o := snapshot.Observation{Month: day(), Status: statuses[rng.IntN(len(statuses))], Source: sources[rng.IntN(len(sources))]}
			if rng.IntN(2) == 0 {
				sa := rng.IntN(2) == 0
				o.SocialAssistance = &sa
			}
			p.Observations = append(p.Observations, o)
		}
		asOf := day()
		months, _ := snapshot.Build(p, asOf, plainKeys{})

		op := outcomes.Person{}
		var first time.Time
		for _, e := range p.Enrolments {
			if m := snapshot.Month(e.Start); first.IsZero() || m.Before(first) {
				first = m
			}
		}
		for _, o := range p.Observations {
			op.Observations = append(op.Observations, outcomes.Observation{Month: o.Month, Status: o.Status,
				SocialAssistance: o.SocialAssistance, Source: o.Source})
			if m := snapshot.Month(o.Month); first.IsZero() || m.Before(first) {
				first = m
			}
		}
		want := 0
		for m := first; !first.IsZero() && !m.After(snapshot.Month(asOf)); m = m.AddDate(0, 1, 0) {
			if want >= len(months) {
				t.Fatalf("history %d: %d rows, want more (up to %s)", n, len(months), asOf.Format("2006-01"))
			}
			r := months[want]
			want++
			if !r.Month.Equal(m) || r.Month != m {
				t.Fatalf("history %d: row %d is %v, want %v", n, want-1, r.Month, m)
			}
			status, sa := outcomes.StatusIn(op, m)
			if r.Status != status || r.SocialAssistance != sa {
				t.Errorf("history %d, %s: status %s/%d, the definition says %s/%d", n, m.Format("2006-01"), r.Status, r.SocialAssistance, status, sa)
			}
			var active *snapshot.Enrolment
			for i, e := range p.Enrolments {
				if e.Start.Before(m.AddDate(0, 1, 0)) && (e.End == nil || !e.End.Before(m)) &&
					(active == nil || e.Start.After(active.Start)) {
					active = &p.Enrolments[i]
				}
			}
			if (active != nil) != (r.InMeasure == 1) || (active != nil && active.MeasureCode != r.MeasureCode) {
				t.Errorf("history %d, %s: in_measure %d %q, want the enrolment %+v", n, m.Format("2006-01"), r.InMeasure, r.MeasureCode, active)
			}
		}
		if want != len(months) {
			t.Fatalf("history %d: %d rows, want %d", n, len(months), want)
		}
		before := append([]snapshot.MonthRow(nil), prior...)
		all, _ := snapshot.AppendBuild(prior, p, asOf, plainKeys{})
		if len(all) != len(prior)+len(months) {
			t.Fatalf("history %d: AppendBuild gave %d rows after %d, Build %d", n, len(all)-len(prior), len(prior), len(months))
		}
		for i := range before {
			if all[i] != before[i] {
				t.Fatalf("history %d: AppendBuild changed earlier row %d", n, i)
			}
		}
		for i := range months {
			if all[len(prior)+i] != months[i] {
				t.Fatalf("history %d: AppendBuild row %d differs from Build's", n, i)
			}
		}
		prior = all
	}
}
