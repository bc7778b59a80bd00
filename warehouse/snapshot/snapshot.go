// Package snapshot computes, from one participant's history in PostgreSQL, the rows the
// warehouse holds for them: one per calendar month of their timeline and one per
// enrolment with its outcomes after exit. It is a pure function so that the loader, the
// rebuild and the tests all agree on what PostgreSQL implies.
package snapshot

import (
	"sort"
	"time"
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

const (
	statusUnknown      = "unknown"
	statusOtherMeasure = "other_measure"
)

// sourceRank orders sources by how much their status is trusted when two disagree about
// the same month: registers and employers before what people tell us.
var sourceRank = map[string]int{
	"employer": 0, "af_data": 1, "sus": 2, "social_assistance_register": 3,
	"phone_follow_up": 4, "participant_survey": 5, "caseworker": 6,
}

// Month returns the first day of t's month (UTC).
func Month(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC) }

// Epoch is the ClickHouse Date zero, used for "no exit date".
var Epoch = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)

type monthState struct {
	status   string
	source   string
	sa       int8
	saSource string
}

// timeline holds what is known per month.
type timeline struct {
	p   Person
	obs map[time.Time]monthState
}

func newTimeline(p Person) timeline {
	obs := map[time.Time]monthState{}
	ordered := append([]Observation(nil), p.Observations...)
	// Best source first, so the first one seen for a month wins.
	sort.SliceStable(ordered, func(i, j int) bool { return rank(ordered[i].Source) < rank(ordered[j].Source) })
	for _, o := range ordered {
		m := Month(o.Month)
		st, ok := obs[m]
		if !ok {
			st = monthState{status: statusUnknown, sa: -1}
		}
		if st.status == statusUnknown && o.Status != statusUnknown {
			st.status, st.source = o.Status, o.Source
		}
		if o.SocialAssistance != nil {
			// The social-assistance payment register is the authority on payments.
			if st.sa == -1 || (o.Source == "social_assistance_register" && st.saSource != o.Source) {
				st.sa, st.saSource = 0, o.Source
				if *o.SocialAssistance {
					st.sa = 1
				}
			}
		}
		if st.source == "" && st.status == statusUnknown {
			st.source = o.Source
		}
		obs[m] = st
	}
	return timeline{p: p, obs: obs}
}

func rank(source string) int {
	if r, ok := sourceRank[source]; ok {
		return r
	}
	return len(sourceRank)
}

// activeIn returns the enrolment active in month m, preferring the latest start.
func (t timeline) activeIn(m time.Time) (Enrolment, bool) {
	next := m.AddDate(0, 1, 0)
	var found Enrolment
	ok := false
	for _, e := range t.p.Enrolments {
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

// statusIn is the status in month m: the observed one when known; otherwise, when our
// own records show the person in a measure, "other_measure"; otherwise unknown.
func (t timeline) statusIn(m time.Time, exclude string) (status string, sa int8, source string) {
	st, ok := t.obs[m]
	if ok && st.status != statusUnknown {
		return st.status, st.sa, st.source
	}
	sa = -1
	if ok {
		sa, source = st.sa, st.source
	}
	for _, e := range t.p.Enrolments {
		if e.ID == exclude {
			continue
		}
		next := m.AddDate(0, 1, 0)
		if e.Start.Before(next) && (e.End == nil || !e.End.Before(m)) {
			return statusOtherMeasure, sa, "enrolment"
		}
	}
	return statusUnknown, sa, source
}

// Build returns the rows PostgreSQL implies for p as of the month asOf.
func Build(p Person, asOf time.Time, keys Keys) ([]MonthRow, []EnrolmentRow) {
	asOf = Month(asOf)
	personKey := keys.Person(p.ID)
	birthYear := uint16(p.BirthDate.Year())
	t := newTimeline(p)

	var first time.Time
	for _, e := range p.Enrolments {
		if m := Month(e.Start); first.IsZero() || m.Before(first) {
			first = m
		}
	}
	for m := range t.obs {
		if first.IsZero() || m.Before(first) {
			first = m
		}
	}

	var months []MonthRow
	if !first.IsZero() {
		for m := first; !m.After(asOf); m = m.AddDate(0, 1, 0) {
			row := MonthRow{OrgID: p.OrgID, PersonKey: personKey, Month: m, Gender: p.Gender, BirthYear: birthYear}
			if e, ok := t.activeIn(m); ok {
				row.InMeasure, row.MeasureCode = 1, e.MeasureCode
			}
			row.Status, row.SocialAssistance, row.Source = t.statusIn(m, "")
			months = append(months, row)
		}
	}

	op := toOutcomes(p)
	enrolments := make([]EnrolmentRow, 0, len(p.Enrolments))
	for _, e := range p.Enrolments {
		row := EnrolmentRow{OrgID: p.OrgID, EnrolmentKey: keys.Enrolment(e.ID), PersonKey: personKey, Gender: p.Gender,
			BirthYear: birthYear, MeasureCode: e.MeasureCode, Start: e.Start, ExitDate: Epoch}
		for i := range Horizons {
			row.Status[i], row.SA[i] = statusUnknown, -1
		}
		if e.End != nil {
			row.Exited, row.ExitDate, row.ExitReason = 1, *e.End, e.ExitReason
			for i, k := range Horizons {
				m := Month(*e.End).AddDate(0, k, 0)
				if m.After(asOf) {
					continue // not yet due: stays unknown, and queries do not count it as due
				}
				row.Status[i], row.SA[i], _ = t.statusIn(m, e.ID)
			}
		}
		row.Facts = factsOf(p, op, e, asOf)
		row.Facts.OrgCode = p.OrgCode
		enrolments = append(enrolments, row)
	}
	personFacts(p, op, keys, enrolments)
	return months, enrolments
}
