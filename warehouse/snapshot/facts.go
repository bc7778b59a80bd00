package snapshot

import (
	"time"

	"github.com/arbetsmarknad/outcomes/warehouse/outcomes"
)

// MonthsAfterExit is how many calendar months after the exit month (0..MonthsAfterExit)
// each enrolment row carries status and social assistance for: enough for +24 and for
// any parameterised horizon up to three years.
const MonthsAfterExit = 36

// Facts are what the outcome definitions (warehouse/outcomes) say about one enrolment,
// with the participant's characteristics at its start. They are computed here, once,
// so that every cohort figure is a scan of enrolment_outcome. Int8 facts are -1 unknown,
// 0 no, 1 yes (Kolada also -2: not in the indicator's population).
type Facts struct {
	OrgCode             string
	AgeAtStart          uint8
	AgeBand             string
	Category            string
	MunicipalEmployment uint8
	Project             string
	Unit                string
	NewlyArrived        int8
	BirthRegion         string
	EducationLevel      string
	DistanceCategory    string
	ReferralSource      string
	StatusAfter         []string // month exit+k at index k; empty while not exited
	SAAfter             []int8
	JobMonthsFromStart  int16 // -1: not applicable
	JobEventFromStart   uint8
	JobMonthsFromExit   int16
	JobEventFromExit    uint8
	ReturnedSA12        int8
	Reentry12           int8 // outcomes.ReEntryAsOf as of the load's month
	EntryNumber         uint16
	Kolada              int8 // KoladaNotLeft when the exit is not a leaving
	SUSBefore, SUSAfter string
	// WIOAExit marks the last enrolment of a closed WIOA period of participation
	// (outcomes.WIOAClosedPeriods), established or not: a query counts it once
	// WIOAExitDate + 90 days is on or before its own day.
	WIOAExit        uint8
	WIOAExitDate    time.Time
	WIOAQ2, WIOAQ4  int8
	ESFLastSpell    uint8
	ESFEntryAgeBand string
	ESFImmediate    string
	ESFSixMonth     string
	ESFComplete     uint8
}

// StatusCodes numbers the statuses for enrolment_outcome.status_after (the position is
// the code). Append only: stored rows keep their codes. The names are outcomes'
// constants, so a code always decodes to a status the definitions know
// (analytics TestStatusCodes: every status has one code).
var StatusCodes = []string{outcomes.StatusUnknown, outcomes.StatusUnsubsidisedFull, outcomes.StatusUnsubsidisedPart,
	outcomes.StatusSubsidised, outcomes.StatusStudies, outcomes.StatusOtherMeasure, outcomes.StatusJobSeeking,
	outcomes.StatusSickLeave, outcomes.StatusParentalLeave, outcomes.StatusMovedAway, outcomes.StatusDroppedOut,
	outcomes.StatusOther}

var statusCode = func() map[string]uint8 {
	m := make(map[string]uint8, len(StatusCodes))
	for i, s := range StatusCodes {
		m[s] = uint8(i)
	}
	return m
}()

// StatusCode is the code of a status; anything not in StatusCodes is unknown (0).
func StatusCode(status string) uint8 { return statusCode[status] }

// KoladaNotLeft is enrolment_outcome.kolada_work_or_studies for an exit that is not a
// leaving (outcomes.KoladaResultAtExit's left is false): outside the indicator's
// population, unlike -1, unknown.
const KoladaNotLeft int8 = -2

// EmptyFacts are the facts of a tombstone row.
func EmptyFacts() Facts {
	return Facts{NewlyArrived: -1, JobMonthsFromStart: -1, JobMonthsFromExit: -1, ReturnedSA12: -1, Reentry12: -1, Kolada: -1,
		WIOAExitDate: Epoch, WIOAQ2: -1, WIOAQ4: -1, StatusAfter: []string{}, SAAfter: []int8{}}
}

// toOutcomes converts the loader's view of a person into the definitions' input.
func toOutcomes(p Person) outcomes.Person {
	op := outcomes.Person{ID: p.ID, Gender: p.Gender, BirthDate: p.BirthDate}
	for _, e := range p.Enrolments {
		op.Enrolments = append(op.Enrolments, outcomes.Enrolment{ID: e.ID, MeasureCode: e.MeasureCode,
			MunicipalEmployment: e.MunicipalEmployment, Subsidised: e.Subsidised, Start: e.Start, End: e.End, ExitReason: e.ExitReason})
	}
	for _, o := range p.Observations {
		op.Observations = append(op.Observations, outcomes.Observation{Month: o.Month, Status: o.Status,
			SocialAssistance: o.SocialAssistance, Source: o.Source})
	}
	for _, r := range p.Referrals {
		op.Referrals = append(op.Referrals, outcomes.Referral{Date: r.Date, Source: r.Source})
	}
	return op
}

// AttributesOn returns the attribute set in force on day, or nil.
func AttributesOn(p Person, day time.Time) *Attributes {
	var cur *Attributes
	for i := range p.Attributes {
		if !p.Attributes[i].ValidFrom.After(day) {
			cur = &p.Attributes[i]
		}
	}
	return cur
}

// ReferralSourceBefore is the source of the latest referral on or before day.
func ReferralSourceBefore(p Person, day time.Time) string {
	src := ""
	var at time.Time
	for _, r := range p.Referrals {
		if !r.Date.After(day) && (src == "" || !r.Date.Before(at)) {
			src, at = r.Source, r.Date
		}
	}
	return src
}

// AgeBand is the age band at the start of a measure used in breakdowns.
func AgeBand(age int) string {
	switch {
	case age < 18:
		return "under_18"
	case age < 25:
		return "18_24"
	case age < 30:
		return "25_29"
	case age < 40:
		return "30_39"
	case age < 50:
		return "40_49"
	case age < 55:
		return "50_54"
	case age < 65:
		return "55_64"
	}
	return "65_plus"
}

// AgeOn is the age in full years on day.
func AgeOn(birth, day time.Time) int {
	age := day.Year() - birth.Year()
	if day.Before(birth.AddDate(age, 0, 0)) {
		age--
	}
	return age
}

func tri(b *bool) int8 {
	switch {
	case b == nil:
		return -1
	case *b:
		return 1
	}
	return 0
}

func str(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func factTri(f outcomes.Fact) int8 {
	if !f.Known {
		return -1
	}
	if f.Value {
		return 1
	}
	return 0
}

// factsOf computes the per-enrolment facts (the person-level WIOA and ESF ones are
// added by personFacts) as of the month asOf (its first day).
// h is op's resolved months (outcomes.HistoryOf), which give the months after exit
// without rescanning the observations for each of them (outcomes.StatusAfterExit reads
// the same months through the same rule, outcomes.Resolve).
func factsOf(p Person, op outcomes.Person, h outcomes.History, e Enrolment, asOf time.Time) Facts {
	f := EmptyFacts()
	oe := outcomes.Enrolment{ID: e.ID, MeasureCode: e.MeasureCode, MunicipalEmployment: e.MunicipalEmployment,
		Subsidised: e.Subsidised, Start: e.Start, End: e.End, ExitReason: e.ExitReason}
	age := AgeOn(p.BirthDate, e.Start)
	if age < 0 {
		age = 0
	}
	f.AgeAtStart, f.AgeBand = uint8(min(age, 255)), AgeBand(age)
	f.Category, f.Project, f.Unit = e.Category, e.Project, e.Unit
	if e.MunicipalEmployment {
		f.MunicipalEmployment = 1
	}
	entryStatus := ""
	if a := AttributesOn(p, e.Start); a != nil {
		entryStatus = str(a.LabourMarketStatus)
		f.NewlyArrived, f.BirthRegion = tri(a.NewlyArrived), str(a.BirthRegion)
		f.EducationLevel, f.DistanceCategory = str(a.EducationLevel), str(a.DistanceCategory)
	}
	f.ReferralSource = ReferralSourceBefore(p, e.Start)
	if m, ev, ok := outcomes.TimeToFirstJob(op, oe, outcomes.FromStart); ok {
		f.JobMonthsFromStart, f.JobEventFromStart = int16(m), b2u(ev)
	}
	f.Reentry12 = factTri(outcomes.ReEntryAsOf(op, oe, asOf))
	f.EntryNumber = uint16(outcomes.EntryNumber(op, oe))
	if t, ok := outcomes.SUSBeforeAfter(op, oe, entryStatus); ok {
		f.SUSBefore, f.SUSAfter = t.Before, t.After
	}
	if e.End == nil {
		return f
	}
	exit, last := monthIndex(*e.End), monthIndex(asOf)
	f.StatusAfter, f.SAAfter = make([]string, MonthsAfterExit+1), make([]int8, MonthsAfterExit+1)
	for k := 0; k <= MonthsAfterExit; k++ {
		f.StatusAfter[k], f.SAAfter[k] = "unknown", -1
		if exit+k <= last { // month exit+k is not after asOf
			ms := h.At(monthStart(exit + k))
			f.StatusAfter[k], f.SAAfter[k] = ms.Status, ms.SocialAssistance
		}
	}
	if m, ev, ok := outcomes.TimeToFirstJob(op, oe, outcomes.FromExit); ok {
		f.JobMonthsFromExit, f.JobEventFromExit = int16(m), b2u(ev)
	}
	f.ReturnedSA12 = factTri(outcomes.ReturnedToSocialAssistance(op, oe))
	if k, left := outcomes.KoladaResultAtExit(op, oe); left {
		f.Kolada = factTri(k)
	} else {
		f.Kolada = KoladaNotLeft
	}
	return f
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// personFacts adds the facts that count people rather than enrolments: WIOA exits and
// ESF records sit on the row of their last enrolment.
func personFacts(p Person, op outcomes.Person, rows []EnrolmentRow) {
	// rows[i] is p.Enrolments[i]'s row: found by id, without deriving keys again.
	byID := make(map[string]*EnrolmentRow, len(rows))
	for i := range rows {
		byID[p.Enrolments[i].ID] = &rows[i]
	}
	// Every closed period, established or not: whether its 90 service-free days have
	// passed depends on the day a figure is asked for, which the query applies
	// (analytics: wioa_exit_date + 90 days <= today). A start within the 90 days would
	// have joined the period, and recording it makes the loader rewrite these rows.
	for _, x := range outcomes.WIOAClosedPeriods(op) {
		if r := byID[x.EnrolmentIDs[len(x.EnrolmentIDs)-1]]; r != nil {
			r.Facts.WIOAExit, r.Facts.WIOAExitDate = 1, x.ExitDate
			r.Facts.WIOAQ2, r.Facts.WIOAQ4 = factTri(x.EmployedQ2), factTri(x.EmployedQ4)
		}
	}
	entry := func(e outcomes.Enrolment) outcomes.EntryAttributes { return ESFEntry(p, e.Start) }
	for _, rec := range outcomes.ESFParticipants(op, entry) {
		if r := byID[rec.EnrolmentIDs[len(rec.EnrolmentIDs)-1]]; r != nil {
			r.Facts.ESFLastSpell, r.Facts.ESFEntryAgeBand = 1, rec.AgeBand
			r.Facts.ESFImmediate, r.Facts.ESFSixMonth = rec.Immediate, rec.SixMonth
			r.Facts.ESFComplete = b2u(rec.Complete)
		}
	}
}

// ESFEntry derives ESF's entry data from the attributes in force at the start:
// registered at AF is unemployed, and long-term unemployed with 450 or more guarantee
// days (the job and development guarantee is for the long-term unemployed); not
// registered is inactive. Education levels map onto ISCED bands.
func ESFEntry(p Person, start time.Time) outcomes.EntryAttributes {
	var out outcomes.EntryAttributes
	a := AttributesOn(p, start)
	if a == nil {
		return out
	}
	if a.RegisteredAtAf != nil {
		out.LabourMarketStatus = outcomes.ESFInactive
		if *a.RegisteredAtAf {
			out.LabourMarketStatus = outcomes.ESFUnemployed
			if a.GuaranteeDays != nil && *a.GuaranteeDays >= 450 {
				out.LabourMarketStatus = outcomes.ESFLongTermUnemployed
			}
		}
	}
	out.EducationLevel = outcomes.ISCEDBand(str(a.EducationLevel))
	out.Disability = a.Disability
	if a.BirthRegion != nil {
		foreign := *a.BirthRegion != "sweden"
		out.ForeignBackground = &foreign
		third := *a.BirthRegion == "outside_europe"
		out.ThirdCountryNational = &third
	}
	return out
}
