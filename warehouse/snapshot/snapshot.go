// Package snapshot computes, from one participant's history in PostgreSQL, the rows the
// warehouse holds for them: one per calendar month of their timeline and one per
// enrolment with its outcomes after exit. It is a pure function so that the loader, the
// rebuild and the tests all agree on what PostgreSQL implies.
package snapshot

import (
	"slices"
	"time"

	"github.com/arbetsmarknad/outcomes/warehouse/outcomes"
)

// Horizons are the months after exit at which an enrolment's outcome is recorded.
var Horizons = outcomes.FollowUpHorizons[:]

// Person is one participant's history as read from PostgreSQL.
type Person struct {
	OrgID        string
	OrgCode      string
	ID           string
	Gender       string
	BirthDate    time.Time
	Enrolments   []Enrolment
	Observations []Observation
	// Attributes are the dated attribute sets, by date; Referrals by date.
	Attributes []Attributes
	Referrals  []Referral
}

// Enrolment is one placement.
type Enrolment struct {
	ID          string
	MeasureCode string
	Start       time.Time
	End         *time.Time
	ExitReason  string
	// Category and the flags come from the measure catalogue; Project and Unit are names.
	Category            string
	MunicipalEmployment bool
	Subsidised          bool
	Project             string
	Unit                string
}

// Attributes is the part of a participant's dated attributes that analysis breaks
// figures down by (never names or identity numbers).
type Attributes struct {
	ValidFrom        time.Time
	NewlyArrived     *bool
	BirthRegion      *string
	EducationLevel   *string
	DistanceCategory *string
	RegisteredAtAf   *bool
	GuaranteeDays    *int
	Disability       *bool
	// LabourMarketStatus is the labour-market status at entry (situation vid
	// inskrivning), the "before" of SUS.
	LabourMarketStatus *string
}

// Referral is a referral's date and source.
type Referral struct {
	Date   time.Time
	Source string
}

// Observation is an observed status in a month.
type Observation struct {
	Month            time.Time
	Status           string
	SocialAssistance *bool
	Source           string
}

// MonthRow is one participant_month row (without version).
type MonthRow struct {
	OrgID            string
	PersonKey        string
	Month            time.Time
	Gender           string
	BirthYear        uint16
	Status           string
	InMeasure        uint8
	MeasureCode      string
	SocialAssistance int8 // -1 unknown, 0 no, 1 yes
	Source           string
}

// EnrolmentRow is one enrolment_outcome row (without version).
type EnrolmentRow struct {
	OrgID        string
	EnrolmentKey string
	PersonKey    string
	Gender       string
	BirthYear    uint16
	MeasureCode  string
	Start        time.Time
	Exited       uint8
	ExitDate     time.Time // 1970-01-01 when not exited
	ExitReason   string
	Status       [len(outcomes.FollowUpHorizons)]string // at Horizons
	SA           [len(outcomes.FollowUpHorizons)]int8   // at Horizons; -1 unknown
	Facts        Facts
}

// Keys derives pseudonymised keys.
type Keys interface {
	Person(participantID string) string
	Enrolment(enrolmentID string) string
}

// Month returns the first day of t's month (UTC).
func Month(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC) }

// Epoch is the ClickHouse Date zero, used for "no exit date".
var Epoch = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)

// monthIndex numbers calendar months (year*12 + month-1) so that the month loop of Build
// is integer arithmetic: time.Date and AddDate for every row of every person were a
// good part of a rebuild's CPU. Year and month are read in t's own location, as Month
// does.
func monthIndex(t time.Time) int {
	y, m, _ := t.Date()
	return y*12 + int(m) - 1
}

// The first days of the months a warehouse holds in practice, computed once: every
// person's rows share them (the same values time.Date gives).
const firstCachedYear, lastCachedYear = 1960, 2100

var monthStarts = func() []time.Time {
	out := make([]time.Time, 0, (lastCachedYear-firstCachedYear+1)*12)
	for y := firstCachedYear; y <= lastCachedYear; y++ {
		for m := time.January; m <= time.December; m++ {
			out = append(out, time.Date(y, m, 1, 0, 0, 0, 0, time.UTC))
		}
	}
	return out
}()

// monthStart is the first day (UTC) of the month numbered i by monthIndex.
func monthStart(i int) time.Time {
	if k := i - firstCachedYear*12; k >= 0 && k < len(monthStarts) {
		return monthStarts[k]
	}
	return time.Date(i/12, time.Month(i%12+1), 1, 0, 0, 0, 0, time.UTC)
}

// span is an enrolment's months as monthIndex numbers of instants in UTC: it is active
// in month m (first day m0, first day of the next month m1) when start < m1 and
// end >= m0, that is when from <= m and (open or to >= m).
type span struct {
	from, to int
	open     bool
}

func spanOf(e Enrolment) span {
	s := span{from: monthIndex(e.Start.UTC()), open: e.End == nil}
	if e.End != nil {
		s.to = monthIndex(e.End.UTC())
	}
	return s
}

// activeIn returns the enrolment active in month m (a monthIndex), preferring the
// latest start. It fills in_measure and measure_code only: being enrolled is our own
// record, not an observed status, and never stands in for one (outcomes.StatusVersion).
func activeIn(p Person, spans []span, m int) (Enrolment, bool) {
	var found Enrolment
	ok := false
	for i, e := range p.Enrolments {
		s := spans[i]
		if s.from > m || (!s.open && s.to < m) {
			continue
		}
		if !ok || e.Start.After(found.Start) {
			found, ok = e, true
		}
	}
	return found, ok
}

// Build returns the rows PostgreSQL implies for p as of the month asOf.
func Build(p Person, asOf time.Time, keys Keys) ([]MonthRow, []EnrolmentRow) {
	return AppendBuild(nil, p, asOf, keys)
}

// AppendBuild is Build appending p's month rows to months (a batch's rows, so that they
// are written once, in place, instead of built and then copied).
func AppendBuild(months []MonthRow, p Person, asOf time.Time, keys Keys) ([]MonthRow, []EnrolmentRow) {
	asOf = Month(asOf)
	personKey := keys.Person(p.ID)
	birthYear := uint16(p.BirthDate.Year())
	op := toOutcomes(p)
	// The one rule for a month's status (outcomes.StatusVersion): the monthly rows and
	// the enrolment rows below read the same resolved months as every figure.
	h := outcomes.HistoryOf(op)
	op = op.WithHistory(h)

	first, seen := 0, false
	spans := make([]span, len(p.Enrolments))
	for i, e := range p.Enrolments {
		spans[i] = spanOf(e)
		if m := monthIndex(e.Start); !seen || m < first {
			first, seen = m, true
		}
	}
	for m := range h {
		if i := monthIndex(m); !seen || i < first {
			first, seen = i, true
		}
	}

	if last := monthIndex(asOf); seen && last >= first {
		base := len(months)
		months = slices.Grow(months, last-first+1)
		for m := first; m <= last; m++ {
			row := MonthRow{OrgID: p.OrgID, PersonKey: personKey, Month: monthStart(m), Gender: p.Gender, BirthYear: birthYear,
				Status: outcomes.StatusUnknown, SocialAssistance: outcomes.SAUnknown}
			if e, ok := activeIn(p, spans, m); ok {
				row.InMeasure, row.MeasureCode = 1, e.MeasureCode
			}
			months = append(months, row)
		}
		// The observed months (h.At of every other month is unknown, as filled in above).
		for m, ms := range h {
			if i := monthIndex(m); i <= last {
				row := &months[base+i-first]
				row.Status, row.SocialAssistance, row.Source = ms.Status, ms.SocialAssistance, ms.Source
			}
		}
	}

	enrolments := make([]EnrolmentRow, 0, len(p.Enrolments))
	for _, e := range p.Enrolments {
		row := EnrolmentRow{OrgID: p.OrgID, EnrolmentKey: keys.Enrolment(e.ID), PersonKey: personKey, Gender: p.Gender,
			BirthYear: birthYear, MeasureCode: e.MeasureCode, Start: e.Start, ExitDate: Epoch}
		row.Facts = factsOf(p, op, h, e, asOf)
		for i, k := range Horizons {
			// The months after exit of the facts (not yet due: unknown), so that status_k
			// and status_after[k] can never differ.
			row.Status[i], row.SA[i] = outcomes.StatusUnknown, outcomes.SAUnknown
			if k < len(row.Facts.StatusAfter) {
				row.Status[i], row.SA[i] = row.Facts.StatusAfter[k], row.Facts.SAAfter[k]
			}
		}
		if e.End != nil {
			row.Exited, row.ExitDate, row.ExitReason = 1, *e.End, e.ExitReason
		}
		row.Facts.OrgCode = p.OrgCode
		enrolments = append(enrolments, row)
	}
	personFacts(p, op, enrolments)
	return months, enrolments
}
