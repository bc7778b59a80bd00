package outcomes

import (
	"sort"
	"time"
)

// Versions of the per-enrolment definitions of DOMAIN.md "Definitions used in reports".
// The rules at +k are one rule for every k, but a figure at +6 is not a figure at +12:
// figures carry their parameters after the rule's version (warehouse/analytics:
// "in-work-or-studies/1?k=6", "status-after-exit/1?k=6&s=studies", "entry-number/1?min=3").
const (
	// StatusAfterExitVersion: the status (StatusIn) in calendar month exit month + k,
	// where the exit month is the calendar month of the actual end date.
	StatusAfterExitVersion = "status-after-exit/1"
	// InWorkOrStudiesVersion: at +k the status is unsubsidised employment (full or part
	// time) or studies; known iff the status at +k is known.
	InWorkOrStudiesVersion = "in-work-or-studies/1"
	// SelfSufficientVersion: at +k no social assistance was paid (sa == 0); known iff
	// the social-assistance value at +k is known.
	SelfSufficientVersion = "self-sufficient/1"
	// ReturnedToSocialAssistanceVersion: social assistance paid in some month exit+1 ..
	// exit+12 (see ReturnedToSocialAssistance).
	ReturnedToSocialAssistanceVersion = "returned-to-social-assistance/1?w=12"
	// ReEntryVersion: a referral or another enrolment in (exit date, exit date + 12
	// months]; "no" is known only once that window has ended (see ReEntryAsOf).
	// re-entry/1 read every exited enrolment without one as a known "no", even while
	// its window was still open.
	ReEntryVersion = "re-entry/2?w=12"
	// EntryNumberVersion: 1 + the person's enrolments started earlier (see EntryNumber).
	EntryNumberVersion = "entry-number/1"
)

// ReturnWindowMonths is the window of ReturnedToSocialAssistance and ReEntryAsOf; it is part
// of their versions ("w=12"), so changing it means new version strings.
const ReturnWindowMonths = 12

// RepeatedEntryWarning is the entry number from which a person's return is a warning sign
// of lock-in (rundgång): the seeds speak of people coming "for the fourth or fifth time",
// issue 5 asks for people with 3 or more entries.
const RepeatedEntryWarning = 3

// StatusAfterExit returns the status and social assistance in calendar month exit month
// + k. exited is false, and the status unknown, while the enrolment is running.
func StatusAfterExit(p Person, e Enrolment, k int) (status string, sa int8, exited bool) {
	m, ok := ExitMonth(e)
	if !ok {
		return StatusUnknown, -1, false
	}
	status, sa = StatusIn(p, m.AddDate(0, k, 0))
	return status, sa, true
}

// InWorkOrStudies is the definition InWorkOrStudiesVersion at +k. Unknown while the
// enrolment is running.
func InWorkOrStudies(p Person, e Enrolment, k int) Fact {
	st, _, ok := StatusAfterExit(p, e, k)
	if !ok || st == StatusUnknown {
		return Fact{}
	}
	return Fact{Value: IsWorkOrStudies(st), Known: true}
}

// SelfSufficient is the definition SelfSufficientVersion at +k (egen försörjning: no
// social assistance that month). Unknown while the enrolment is running.
func SelfSufficient(p Person, e Enrolment, k int) Fact {
	_, sa, ok := StatusAfterExit(p, e, k)
	if !ok || sa == -1 {
		return Fact{}
	}
	return Fact{Value: sa == 0, Known: true}
}

// ReturnedToSocialAssistance: social assistance was paid (sa == 1) in some calendar month
// exit+1 .. exit+12. Known true as soon as one such month is seen; known false only when
// all twelve months are known to be without; otherwise unknown, because an unobserved
// month may be the one with a payment. The exit month itself is excluded: assistance
// paid that month is the situation the person left, not a return.
func ReturnedToSocialAssistance(p Person, e Enrolment) Fact {
	exit, ok := ExitMonth(e)
	if !ok {
		return Fact{}
	}
	h := historyOf(p)
	allKnown := true
	for k := 1; k <= ReturnWindowMonths; k++ {
		switch _, sa := h.at(exit.AddDate(0, k, 0)); sa {
		case 1:
			return Fact{Value: true, Known: true}
		case -1:
			allKnown = false
		}
	}
	if !allKnown {
		return Fact{}
	}
	return Fact{Known: true}
}

// ReEntryAsOf (rundgång): a referral dated, or another enrolment of the person
// starting, in the date interval (exit date, exit date + 12 months], as known on the day
// asOf. Known yes as soon as one is found (referrals and enrolments are our own
// records); known no only when the whole window lies before asOf (its last day is
// before asOf's date), because until then a return may still come; otherwise unknown.
// Unknown while running. The exit day is excluded so that a same-day move into the
// next measure is read as a continuation, not a return. "+12 months" is Go's AddDate:
// from 29 February it ends on 1 March.
//
// The loader passes the first day of the current month as asOf and recomputes every
// person monthly, so a "no" appears in the first load after the window's last day.
func ReEntryAsOf(p Person, e Enrolment, asOf time.Time) Fact {
	if e.End == nil {
		return Fact{}
	}
	from := day(*e.End)
	to := from.AddDate(0, ReturnWindowMonths, 0)
	in := func(t time.Time) bool { d := day(t); return d.After(from) && !d.After(to) }
	for _, r := range p.Referrals {
		if in(r.Date) {
			return Fact{Value: true, Known: true}
		}
	}
	for _, o := range p.Enrolments {
		if o.ID != e.ID && in(o.Start) {
			return Fact{Value: true, Known: true}
		}
	}
	if !to.Before(day(asOf)) {
		return Fact{} // the window is still open on asOf
	}
	return Fact{Known: true}
}

// EntryNumber is 1 + the number of the person's enrolments that started before e (start
// dates compared as dates; the same day is ordered by ID, so every enrolment of a person
// has a distinct number). A number of RepeatedEntryWarning or more is a warning sign.
func EntryNumber(p Person, e Enrolment) int {
	n := 1
	for _, o := range p.Enrolments {
		if o.ID != e.ID && startsBefore(o, e) {
			n++
		}
	}
	return n
}

// startsBefore orders enrolments by start date, then ID: the order every definition uses
// for "first" and "last" spells.
func startsBefore(a, b Enrolment) bool {
	da, db := day(a.Start), day(b.Start)
	if !da.Equal(db) {
		return da.Before(db)
	}
	return a.ID < b.ID
}

// sortedEnrolments returns a copy of es in start order.
func sortedEnrolments(es []Enrolment) []Enrolment {
	s := append([]Enrolment(nil), es...)
	sort.SliceStable(s, func(i, j int) bool { return startsBefore(s[i], s[j]) })
	return s
}
