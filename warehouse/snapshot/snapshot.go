// Package snapshot computes, from one participant's history in PostgreSQL, the rows the
// warehouse holds for them: one per calendar month of their timeline and one per
// enrolment with its outcomes after exit. It is a pure function so that the loader, the
// rebuild and the tests all agree on what PostgreSQL implies.
package snapshot

import (
	"time"

	"github.com/arbetsmarknad/outcomes/warehouse/outcomes"
)

// Horizons are the months after exit at which an enrolment's outcome is recorded.
var Horizons = []int{3, 6, 12, 24}

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
	Status       [4]string // at Horizons
	SA           [4]int8   // at Horizons; -1 unknown
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

// activeIn returns the enrolment active in month m, preferring the latest start. It
// fills in_measure and measure_code only: being enrolled is our own record, not an
// observed status, and never stands in for one (outcomes.StatusVersion).
func activeIn(p Person, m time.Time) (Enrolment, bool) {
	next := m.AddDate(0, 1, 0)
	var found Enrolment
	ok := false
	for _, e := range p.Enrolments {
		if !e.Start.Before(next) {
			continue
		}
		if e.End != nil && e.End.Before(m) {
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
	asOf = Month(asOf)
	personKey := keys.Person(p.ID)
	birthYear := uint16(p.BirthDate.Year())
	op := toOutcomes(p)
	// The one rule for a month's status (outcomes.StatusVersion): the monthly rows and
	// the enrolment rows below read the same resolved months as every figure.
	h := outcomes.HistoryOf(op)

	var first time.Time
	for _, e := range p.Enrolments {
		if m := Month(e.Start); first.IsZero() || m.Before(first) {
			first = m
		}
	}
	for m := range h {
		if first.IsZero() || m.Before(first) {
			first = m
		}
	}

	var months []MonthRow
	if !first.IsZero() {
		// Sized once: growing this slice was a good part of a rebuild's allocation.
		if n := (asOf.Year()-first.Year())*12 + int(asOf.Month()-first.Month()) + 1; n > 0 {
			months = make([]MonthRow, 0, n)
		}
		for m := first; !m.After(asOf); m = m.AddDate(0, 1, 0) {
			row := MonthRow{OrgID: p.OrgID, PersonKey: personKey, Month: m, Gender: p.Gender, BirthYear: birthYear}
			if e, ok := activeIn(p, m); ok {
				row.InMeasure, row.MeasureCode = 1, e.MeasureCode
			}
			ms := h.At(m)
			row.Status, row.SocialAssistance, row.Source = ms.Status, ms.SocialAssistance, ms.Source
			months = append(months, row)
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
	personFacts(p, op, keys, enrolments)
	return months, enrolments
}
