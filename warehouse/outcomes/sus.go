package outcomes

// SUSVersion names the rules of SUSBeforeAfter and TransitionTable.
//
// Source (DOMAIN.md, "Official indicators"): SUS / Uppföljning Finsam (Försäkringskassan,
// for samordningsförbund) — a record per participation, registered at start and exit,
// with occupation and support source before and after (paid work, studies, actively
// seeking work, other) as a transition table.
//
// sus-transition/2:
//   - category of a status: unsubsidised or subsidised employment → paid work; studies →
//     studies; job_seeking → seeking work; unknown (or no value) → unknown; every other
//     status → other. Unknown stays its own row and column rather than joining "other",
//     so that missing data is never reported as a situation;
//   - before: the category of the labour-market status at entry (situation vid
//     inskrivning: the participant's dated attributes in force on the start day) —
//     employed → paid work, studying → studies, unemployed or long-term unemployed →
//     seeking work, inactive → other; when none was recorded, the category of the status
//     (StatusIn) in the calendar month before the start month, as /1 did for everyone
//     (which left "before" unknown for nearly all);
//   - after: the category of the exit reason, as registered at exit. Running enrolments
//     have no "after" and no record.
const SUSVersion = "sus-transition/2"

// SUS categories, in the row and column order of TransitionTable.
const (
	SUSPaidWork    = "paid_work"
	SUSStudies     = "studies"
	SUSSeekingWork = "seeking_work"
	SUSOther       = "other"
	SUSUnknown     = "unknown"
)

// SUSCategories is the row and column order of TransitionTable.
var SUSCategories = [5]string{SUSPaidWork, SUSStudies, SUSSeekingWork, SUSOther, SUSUnknown}

// SUSCategory maps a status code to its SUS category (rules of SUSVersion).
func SUSCategory(status string) string {
	switch {
	case IsEmployment(status):
		return SUSPaidWork
	case status == StatusStudies:
		return SUSStudies
	case status == StatusJobSeeking:
		return SUSSeekingWork
	case status == StatusUnknown || status == "":
		return SUSUnknown
	}
	return SUSOther
}

// Labour-market statuses at entry (the participant attribute labour_market_status).
const (
	EntryEmployed           = "employed"
	EntryStudying           = "studying"
	EntryUnemployed         = "unemployed"
	EntryLongTermUnemployed = "long_term_unemployed"
	EntryInactive           = "inactive"
)

// SUSEntryCategory maps a labour-market status at entry to its SUS category; "" for
// none recorded (or a value it does not know).
func SUSEntryCategory(entryStatus string) string {
	switch entryStatus {
	case EntryEmployed:
		return SUSPaidWork
	case EntryStudying:
		return SUSStudies
	case EntryUnemployed, EntryLongTermUnemployed:
		return SUSSeekingWork
	case EntryInactive:
		return SUSOther
	}
	return ""
}

// SUSTransition is one participation's categories before and after.
type SUSTransition struct {
	Before, After string
}

// SUSBeforeAfter returns the enrolment's transition; ok is false while it runs.
// entryStatus is the labour-market status at entry in force on e.Start ("" if none).
func SUSBeforeAfter(p Person, e Enrolment, entryStatus string) (t SUSTransition, ok bool) {
	if e.End == nil {
		return SUSTransition{}, false
	}
	before := SUSEntryCategory(entryStatus)
	if before == "" {
		status, _ := StatusIn(p, MonthOf(e.Start).AddDate(0, -1, 0))
		before = SUSCategory(status)
	}
	return SUSTransition{Before: before, After: SUSCategory(e.ExitReason)}, true
}

// TransitionTable counts transitions: table[i][j] is the number with Before =
// SUSCategories[i] and After = SUSCategories[j]. A value that is not a category is
// counted as unknown, so the table always sums to len(records).
func TransitionTable(records []SUSTransition) [5][5]int {
	var table [5][5]int
	for _, r := range records {
		table[susIndex(r.Before)][susIndex(r.After)]++
	}
	return table
}

func susIndex(category string) int {
	for i, c := range SUSCategories {
		if c == category {
			return i
		}
	}
	return 4 // SUSUnknown
}
