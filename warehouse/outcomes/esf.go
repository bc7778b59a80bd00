package outcomes

import (
	"sort"
	"time"
)

// ESFVersion names the rules of ESFParticipants and ESFCount.
//
// Source (DOMAIN.md, "Official indicators"): ESF / ESF+ common indicators — participant
// data at entry (labour-market status, age band, education ISCED band, disability,
// third-country national, foreign background, homeless), gender women / men /
// non-binary; immediate results within 4 weeks of leaving (job searching, in education
// or training, gained a qualification, employed); longer-term results 6 months after
// leaving (employed, improved situation). A record with any missing non-sensitive field
// counts only in the grand total; a re-entry to the same operation counts once (entry
// data from the first spell, exit and results from the last).
//
// esf-common-results/1:
//   - operation: the measure code; all of a person's enrolments with the same code are
//     spells of one participation and make one record. Entry data (and the entry date)
//     come from the first spell by start; exit date, exit reason and both results from
//     the last spell. While the last spell runs, the participant has not left and has no
//     results ("");
//   - immediate result, from the last spell's exit reason: unsubsidised or subsidised
//     employment → employed; studies → in education or training; job_seeking → job
//     searching; "unknown" (or none recorded) → unknown, never "none"; anything else →
//     none. "Gained a qualification" is not recorded in our data and is never produced;
//   - 6-month result, from the status at exit month + 6: employment (subsidised or
//     not) → employed; otherwise "improved situation" when its level is higher than the
//     labour-market status at entry, on the simple ladder inactive (0) < unemployed or
//     long-term unemployed (1) < in education (2) < employed (3), where job_seeking and
//     other_measure are unemployed, studies is education, and sick leave, parental leave,
//     moved away, dropped out and other are inactive; otherwise none. An unknown status
//     at +6, or a missing entry status when the +6 status is not employment, gives
//     "unknown". A person employed at entry can be "employed" but never "improved";
//   - complete (counted in breakdowns): gender is woman, man or other (non-binary), the
//     birth date is set, and the entry education level and labour-market status are set.
//     Sensitive fields (disability, third-country national, foreign background,
//     homeless) may be missing without consequence, as ESF lets participants decline them;
//   - the unit is the participation record (one person, one operation); the share ESF
//     publishes divides by every record that left (n), an unknown result counting as not
//     achieved (Official in warehouse/analytics); the share over the known is beside it.
//
// esf-common-results/1 read an unknown exit reason as the immediate result "none", a
// known "no".
const ESFVersion = "esf-common-results/2"

// ESF labour-market status at entry (EntryAttributes.LabourMarketStatus).
const (
	ESFUnemployed         = "unemployed"
	ESFLongTermUnemployed = "long_term_unemployed"
	ESFInactive           = "inactive"
	ESFEmployedAtEntry    = "employed"
)

// ESF education bands (EntryAttributes.EducationLevel).
const (
	ISCED0to2 = "isced_0_2"
	ISCED3to4 = "isced_3_4"
	ISCED5to8 = "isced_5_8"
)

// ISCEDBand is the ISCED 2011 band of a recorded education level (utbildningsnivå,
// participant_attributes.education_level): pre-upper-secondary under 9 years and 9
// years are ISCED 0–2, upper secondary 3–4, post-secondary under and over 3 years 5–8;
// "" for no or an unknown level. The one mapping: ESF's entry data (warehouse/snapshot)
// and the caseworkers' iscedLevel (participant.ISCEDBand) both read it.
func ISCEDBand(level string) string {
	switch level {
	case "pre_upper_secondary_short", "pre_upper_secondary":
		return ISCED0to2
	case "upper_secondary":
		return ISCED3to4
	case "post_secondary_short", "post_secondary_long":
		return ISCED5to8
	}
	return ""
}

// ESF result values (ESFRecord.Immediate and ESFRecord.SixMonth).
const (
	ESFNotLeft           = ""
	ESFResultEmployed    = "employed"
	ESFJobSearching      = "job_searching"
	ESFInEducation       = "in_education_or_training"
	ESFImprovedSituation = "improved_situation"
	ESFNone              = "none"
	ESFUnknown           = "unknown"
)

// ESF age bands at entry (ESFRecord.AgeBand); 30–54 completes the published bands.
const (
	ESFAgeUnder18 = "under_18"
	ESFAge18to29  = "18_29"
	ESFAge30to54  = "30_54"
	ESFAge55Plus  = "55_plus"
)

// EntryAttributes are a participant's ESF entry data, as they held at the start of the
// first spell. "" or nil means missing.
type EntryAttributes struct {
	LabourMarketStatus   string // ESFUnemployed, ESFLongTermUnemployed, ESFInactive, ESFEmployedAtEntry
	EducationLevel       string // ISCED0to2, ISCED3to4, ISCED5to8
	Disability           *bool  // sensitive
	ThirdCountryNational *bool  // sensitive
	ForeignBackground    *bool  // sensitive
	Homeless             *bool  // sensitive
}

// ESFRecord is one participation in one operation, spells collapsed.
type ESFRecord struct {
	PersonID     string
	MeasureCode  string
	EnrolmentIDs []string // the spells, first to last
	Gender       string
	AgeAtEntry   int    // full years at the entry date; -1 without a birth date
	AgeBand      string // "" without a birth date
	Entry        EntryAttributes
	EntryDate    time.Time
	Left         bool // the last spell has ended
	ExitDate     time.Time
	ExitReason   string
	Immediate    string // within 4 weeks of leaving
	SixMonth     string // 6 months after leaving
	Complete     bool   // no missing non-sensitive field: counted in breakdowns
}

// ESFParticipants collapses the person's enrolments into one record per operation
// (rules of ESFVersion). attrsAtEntry is called once per record, with the first spell;
// nil gives empty (missing) attributes. Records are ordered by entry date, then measure
// code.
func ESFParticipants(p Person, attrsAtEntry func(Enrolment) EntryAttributes) []ESFRecord {
	spells := map[string][]Enrolment{}
	for _, e := range sortedEnrolments(p.Enrolments) {
		spells[e.MeasureCode] = append(spells[e.MeasureCode], e)
	}
	h := historyOf(p)
	records := make([]ESFRecord, 0, len(spells))
	for code, ss := range spells {
		first, last := ss[0], ss[len(ss)-1]
		r := ESFRecord{PersonID: p.ID, MeasureCode: code, Gender: p.Gender, EntryDate: day(first.Start), AgeAtEntry: -1}
		for _, s := range ss {
			r.EnrolmentIDs = append(r.EnrolmentIDs, s.ID)
		}
		if attrsAtEntry != nil {
			r.Entry = attrsAtEntry(first)
		}
		if !p.BirthDate.IsZero() {
			r.AgeAtEntry = ageOn(p.BirthDate, first.Start)
			r.AgeBand = esfAgeBand(r.AgeAtEntry)
		}
		if exit, ok := ExitMonth(last); ok {
			r.Left, r.ExitDate, r.ExitReason = true, day(*last.End), last.ExitReason
			r.Immediate = esfImmediate(last.ExitReason)
			st, _ := h.at(exit.AddDate(0, 6, 0))
			r.SixMonth = esfSixMonth(st, r.Entry.LabourMarketStatus)
		}
		r.Complete = esfComplete(p, r.Entry)
		records = append(records, r)
	}
	sort.Slice(records, func(i, j int) bool {
		if !records[i].EntryDate.Equal(records[j].EntryDate) {
			return records[i].EntryDate.Before(records[j].EntryDate)
		}
		return records[i].MeasureCode < records[j].MeasureCode
	})
	return records
}

func esfImmediate(exitReason string) string {
	switch {
	case exitReason == StatusUnknown || exitReason == "":
		return ESFUnknown
	case IsEmployment(exitReason):
		return ESFResultEmployed
	case exitReason == StatusStudies:
		return ESFInEducation
	case exitReason == StatusJobSeeking:
		return ESFJobSearching
	}
	return ESFNone
}

func esfSixMonth(status, entryStatus string) string {
	if status == StatusUnknown {
		return ESFUnknown
	}
	if IsEmployment(status) {
		return ESFResultEmployed
	}
	entry, ok := esfEntryLevel[entryStatus]
	if !ok {
		return ESFUnknown
	}
	if esfStatusLevel(status) > entry {
		return ESFImprovedSituation
	}
	return ESFNone
}

// esfEntryLevel places the entry labour-market status on the ladder of ESFVersion.
var esfEntryLevel = map[string]int{ESFInactive: 0, ESFUnemployed: 1, ESFLongTermUnemployed: 1, ESFEmployedAtEntry: 3}

// esfStatusLevel places a (known, non-employment) status on the same ladder.
func esfStatusLevel(status string) int {
	switch status {
	case StatusStudies:
		return 2
	case StatusJobSeeking, StatusOtherMeasure:
		return 1
	}
	return 0
}

func esfComplete(p Person, a EntryAttributes) bool {
	switch p.Gender {
	case GenderWoman, GenderMan, GenderOther:
	default:
		return false
	}
	return !p.BirthDate.IsZero() && a.EducationLevel != "" && a.LabourMarketStatus != ""
}

// ageOn is the age in full years on date at, birthdays counted on the calendar date
// (a 29 February birthday falls on 1 March in other years, as AddDate normalises).
func ageOn(birth, at time.Time) int {
	b, a := day(birth), day(at)
	age := a.Year() - b.Year()
	if a.Before(b.AddDate(age, 0, 0)) {
		age--
	}
	return age
}

func esfAgeBand(age int) string {
	switch {
	case age < 18:
		return ESFAgeUnder18
	case age < 30:
		return ESFAge18to29
	case age < 55:
		return ESFAge30to54
	}
	return ESFAge55Plus
}

// ESFCount applies the missing-data rule: total counts every record for which count is
// true; groups counts only the complete ones, by group(record). So the groups of a
// breakdown may sum to less than the total, and that difference is the incomplete
// records, which ESF wants visible in the grand total only.
func ESFCount(records []ESFRecord, count func(ESFRecord) bool, group func(ESFRecord) string) (total int, groups map[string]int) {
	groups = map[string]int{}
	for _, r := range records {
		if !count(r) {
			continue
		}
		total++
		if r.Complete {
			groups[group(r)]++
		}
	}
	return total, groups
}
