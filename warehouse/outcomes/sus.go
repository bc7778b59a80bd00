package outcomes

// SUSVersion names the rules of SUSBeforeAfter and TransitionTable.
//
// Source (DOMAIN.md, "Official indicators"): SUS / Uppföljning Finsam (Försäkringskassan,
// for samordningsförbund) — a record per participation, registered at start and exit,
// with occupation and support source before and after (paid work, studies, actively
// seeking work, other) as a transition table.
//
// sus-transition/1:
//   - category of a status: unsubsidised or subsidised employment → paid work; studies →
//     studies; job_seeking → seeking work; unknown (or no value) → unknown; every other
//     status → other. Unknown stays its own row and column rather than joining "other",
//     so that missing data is never reported as a situation;
//   - before: the category of the status (StatusIn) in the calendar month before the
//     start month, as registered at start;
//   - after: the category of the exit reason, as registered at exit. Running enrolments
//     have no "after" and no record.
const SUSVersion = "sus-transition/1"

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

// SUSTransition is one participation's categories before and after.
type SUSTransition struct {
	Before, After string
}

// SUSBeforeAfter returns the enrolment's transition; ok is false while it runs.
func SUSBeforeAfter(p Person, e Enrolment) (t SUSTransition, ok bool) {
	if e.End == nil {
		return SUSTransition{}, false
	}
	before, _ := StatusIn(p, MonthOf(e.Start).AddDate(0, -1, 0))
	return SUSTransition{Before: SUSCategory(before), After: SUSCategory(e.ExitReason)}, true
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
