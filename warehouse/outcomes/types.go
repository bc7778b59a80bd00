package outcomes

import "time"

// Person is one participant's history as read from PostgreSQL. Only what the definitions
// need is here; identity is the (pseudonymised or not) ID the caller chooses.
type Person struct {
	ID           string
	Gender       string // GenderWoman, GenderMan, GenderOther, GenderNotStated
	BirthDate    time.Time
	Enrolments   []Enrolment
	Observations []Observation
	Referrals    []Referral
	// resolved is HistoryOf(p) when the caller computed it once (WithHistory), so that
	// the definitions it calls for every enrolment do not resolve the months again.
	resolved History
}

// WithHistory returns p carrying h, which must be HistoryOf(p): the definitions then
// read it instead of resolving p's observations again on every call (a rebuild asks
// several definitions about every enrolment). Change p's observations and the history
// no longer holds: take HistoryOf of the new p.
func (p Person) WithHistory(h History) Person {
	p.resolved = h
	return p
}

// Enrolment is one placement of the person in one measure.
type Enrolment struct {
	ID          string
	MeasureCode string
	// MunicipalEmployment marks the municipality's own labour-market employment
	// (arbetsmarknadsanställning). Recorded; no definition reads it: Kolada/RKA does not
	// count a move into one as a job, and under its rules a move into any of our
	// measures, this one included, is not a leaving at all.
	MunicipalEmployment bool
	Subsidised          bool // recorded; no definition reads it: the exit reason says where the person went
	Start               time.Time
	End                 *time.Time // nil while the enrolment is running
	ExitReason          string     // a status code; meaningful only when End is set
}

// Observation is one source's statement about the person's status in a calendar month.
type Observation struct {
	Month            time.Time // first of the month, UTC (normalised with MonthOf anyway)
	Status           string
	SocialAssistance *bool // nil: the source did not say
	Source           string
}

// Referral is a referral (anvisning, remiss) of the person to the unit.
type Referral struct {
	Date   time.Time
	Source string
}

// Genders as recorded on the participant.
const (
	GenderWoman     = "woman"
	GenderMan       = "man"
	GenderOther     = "other"
	GenderNotStated = "not_stated"
)

// FollowUpHorizons are the months after exit at which outcomes are followed up
// (DOMAIN.md: at least +3, +6, +12 and +24): the statuses each snapshot records
// (snapshot.Horizons), the figures the warehouse's aggregate holds and the demo's
// follow-up calls. An array, so that a record of one value per horizon can be sized
// by it.
var FollowUpHorizons = [...]int{3, 6, 12, 24}

// Status codes, the same list for exit reasons and monthly observations.
const (
	StatusUnsubsidisedFull = "unsubsidised_employment_full"
	StatusUnsubsidisedPart = "unsubsidised_employment_part"
	StatusSubsidised       = "subsidised_employment"
	StatusStudies          = "studies"
	StatusOtherMeasure     = "other_measure"
	StatusJobSeeking       = "job_seeking"
	StatusSickLeave        = "sick_leave"
	StatusParentalLeave    = "parental_leave"
	StatusMovedAway        = "moved_away"
	StatusDroppedOut       = "dropped_out"
	StatusOther            = "other"
	StatusUnknown          = "unknown"
)

// Statuses lists every status code in a stable order.
var Statuses = []string{StatusUnsubsidisedFull, StatusUnsubsidisedPart, StatusSubsidised, StatusStudies,
	StatusOtherMeasure, StatusJobSeeking, StatusSickLeave, StatusParentalLeave, StatusMovedAway,
	StatusDroppedOut, StatusOther, StatusUnknown}

// ValidStatus reports whether s is one of Statuses.
func ValidStatus(s string) bool {
	for _, v := range Statuses {
		if s == v {
			return true
		}
	}
	return false
}

// Fact is one yes/no outcome of one enrolment. Known false means "we do not know", and
// then Value is false and means nothing; figures count Known separately so that unknown
// is never read as no.
type Fact struct {
	Value bool
	Known bool
}

// Figure is a share with its counts and the definition it was computed under.
type Figure struct {
	Version string
	N       int      // facts counted (the cohort)
	Known   int      // of which known
	Count   int      // of which known and true
	Share   *float64 // Count / Known; nil when nothing is known
}

// Summarise counts facts into a Figure. The share is over the known facts only, because
// dividing by N would read every unknown as a failure.
func Summarise(version string, facts []Fact) Figure {
	f := Figure{Version: version, N: len(facts)}
	for _, x := range facts {
		if x.Known {
			f.Known++
			if x.Value {
				f.Count++
			}
		}
	}
	if f.Known > 0 {
		s := float64(f.Count) / float64(f.Known)
		f.Share = &s
	}
	return f
}

// MonthOf returns the first day of t's calendar month at UTC midnight. The calendar
// month is taken in t's own location: a date is a date, not an instant.
func MonthOf(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC) }

// day truncates t to its calendar date at UTC midnight, so that date comparisons do not
// depend on clock times or locations that PostgreSQL dates never had.
func day(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC) }

// monthsBetween is the number of calendar months from a's month to b's month.
func monthsBetween(a, b time.Time) int {
	return (b.Year()-a.Year())*12 + int(b.Month()) - int(a.Month())
}

// ExitMonth returns the calendar month of the enrolment's actual end; ok is false while
// the enrolment is running.
func ExitMonth(e Enrolment) (time.Time, bool) {
	if e.End == nil {
		return time.Time{}, false
	}
	return MonthOf(*e.End), true
}

// ExitedIn reports whether e belongs to the exit cohort [from, to): its actual end date
// falls in the half-open date interval. Half-open so that consecutive periods (years,
// quarters, months) never share an exit.
func ExitedIn(e Enrolment, from, to time.Time) bool {
	if e.End == nil {
		return false
	}
	d := day(*e.End)
	return !d.Before(day(from)) && d.Before(day(to))
}

// Due reports whether the +k month of an exited enrolment has begun by asOf. A figure at
// +k counts only due enrolments in N; the others have not had the chance to be known.
func Due(e Enrolment, k int, asOf time.Time) bool {
	m, ok := ExitMonth(e)
	return ok && !m.AddDate(0, k, 0).After(MonthOf(asOf))
}

// AllDue reports whether every exit of a period ending before exitTo (exclusive) is Due
// at +k by asOf: the last day of the period is. Then a figure's n at +k is every exit of
// the period, and a reader who knows the calendar knows it (disclosure control must too).
func AllDue(exitTo time.Time, k int, asOf time.Time) bool {
	last := day(exitTo).AddDate(0, 0, -1)
	return Due(Enrolment{End: &last}, k, asOf)
}
