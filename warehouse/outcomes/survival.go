package outcomes

import "sort"

// TimeToFirstJobVersion names the rules of TimeToFirstJob.
//
// time-to-first-job/1: from the origin month (the calendar month of the start, or of the
// exit), the number of calendar months to the first month at or after the origin whose
// status (StatusIn) is unsubsidised employment, full or part time: an event. With no such
// month the person is censored at the last month at or after the origin whose status is
// known (months from the origin to it), or at 0 when no later status is known: people
// whose later status is unknown are censored there, never assumed jobless. Only observed
// months count, so a job that began in an unobserved month is dated at the first month
// it was observed; this is the price of never guessing, and it is the same for every
// cohort compared.
const TimeToFirstJobVersion = "time-to-first-job/1"

// KaplanMeierVersion names the estimator of KaplanMeier.
const KaplanMeierVersion = "kaplan-meier/1"

// Origin is where time to first job is counted from.
type Origin int

const (
	FromStart Origin = iota // the calendar month of the enrolment's start
	FromExit                // the calendar month of its actual end
)

// TimeToFirstJob returns the duration of one enrolment (rules of TimeToFirstJobVersion).
// ok is false when the origin does not exist: counting from the exit of a running
// enrolment.
func TimeToFirstJob(p Person, e Enrolment, from Origin) (months int, event bool, ok bool) {
	origin := MonthOf(e.Start)
	if from == FromExit {
		if origin, ok = ExitMonth(e); !ok {
			return 0, false, false
		}
	}
	firstJob, lastKnown := -1, 0
	for m, st := range historyOf(p) {
		d := monthsBetween(origin, m)
		if d < 0 || st.Status == StatusUnknown {
			continue
		}
		if IsUnsubsidisedEmployment(st.Status) && (firstJob < 0 || d < firstJob) {
			firstJob = d
		}
		if d > lastKnown {
			lastKnown = d
		}
	}
	if firstJob >= 0 {
		return firstJob, true, true
	}
	return lastKnown, false, true
}

// Duration is one subject of a survival curve: Months to the event, or to censoring when
// Event is false.
type Duration struct {
	Months int
	Event  bool
}

// KMPoint is the Kaplan–Meier curve at one time that had events or censorings.
type KMPoint struct {
	Month    int
	AtRisk   int     // subjects with duration >= Month
	Events   int     // first jobs at Month
	Censored int     // censored at Month
	Survival float64 // probability of not yet having had a job after Month
	Employed float64 // 1 - Survival: the share who have had a first job by Month
}

// KaplanMeier is the product-limit estimator: S(t) = Π over event times u <= t of
// (1 - d_u / n_u), where n_u counts the durations >= u. A subject censored at t is still
// at risk at t (the usual convention: within a month, events come before censoring), so
// censoring at t lowers the risk set only from the next time on. One point per distinct
// time with events or censorings, in increasing order; empty input gives no points.
func KaplanMeier(durations []Duration) []KMPoint {
	type tally struct{ events, censored int }
	byMonth := map[int]*tally{}
	var months []int
	for _, d := range durations {
		t, ok := byMonth[d.Months]
		if !ok {
			t = &tally{}
			byMonth[d.Months] = t
			months = append(months, d.Months)
		}
		if d.Event {
			t.events++
		} else {
			t.censored++
		}
	}
	sort.Ints(months)
	points := make([]KMPoint, 0, len(months))
	atRisk, survival := len(durations), 1.0
	for _, m := range months {
		t := byMonth[m]
		if t.events > 0 {
			survival *= 1 - float64(t.events)/float64(atRisk)
		}
		points = append(points, KMPoint{Month: m, AtRisk: atRisk, Events: t.events, Censored: t.censored,
			Survival: survival, Employed: 1 - survival})
		atRisk -= t.events + t.censored
	}
	return points
}
