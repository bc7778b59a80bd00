package outcomes

import (
	"sort"
	"time"
)

// StatusVersion names the one rule for a person's status in a calendar month. Every
// figure the system serves reads statuses through it (StatusIn, HistoryOf, Resolve): the
// evaluators' figures, exitCohortOutcome, survival curves, the SUS table, the official
// indicators, the warehouse's monthly rows, microdata and the steering report. Changing
// it changes every figure: bump this and the versions of the definitions built on it
// together.
//
// status-in-month/1:
//   - which source wins: the observations of the calendar month are ranked by source
//     (SourcePrecedence); the status is that of the best-ranked observation whose status
//     is not "unknown". A source saying "unknown" says nothing and must not hide one that
//     knows. With no such observation the status is "unknown";
//   - social assistance is combined over every source of the month, not taken from the
//     winner of the status: yes (1) if any source says it was paid that month, no (0) if
//     some source says it was not and none says it was, else unknown (-1). "Any yes
//     wins" because a payment is a positive fact that one source can know and another
//     miss (a follow-up call does not see the payment register; the register does not
//     see assistance paid by another municipality); a "no" can only mean "not that I
//     know of";
//   - unknown is a value, never a guess: nothing is taken from another month (not even
//     when both neighbours agree), and our own enrolment records do not stand in for an
//     observation (being enrolled in a measure says nothing about the status a figure
//     asks for). A month nobody observed is unknown, and every figure counts it as
//     unknown rather than as "no";
//   - late observations: the rule is a function of the observations recorded so far.
//     An observation recorded later for an old month changes that month the next time
//     the person is loaded (the loader recomputes a person on every change), and every
//     figure then moves together.
//
// Until exit-cohort/2, warehouse/snapshot had a rule of its own (employer first, the
// payment register overriding other sources on assistance, and "other measure" filled in
// from our enrolment records); that rule is gone, and exitCohortOutcome reads this one.
const StatusVersion = "status-in-month/1"

// Social assistance in a month (MonthStatus.SocialAssistance).
const (
	SAUnknown int8 = -1
	SANo      int8 = 0
	SAYes     int8 = 1
)

// SourcePrecedence ranks sources for the status of a month, most trusted first: the
// registers (AF's own data, then the social-assistance payment register) and SUS record
// what happened administratively; an employer knows its own employee; what the
// participant or a follow-up call reports comes next; a caseworker's note last, as it is
// most often second hand. Unlisted sources rank after all of these.
var SourcePrecedence = []string{
	"af_data", "social_assistance_register", "sus", "employer",
	"participant_survey", "phone_follow_up", "caseworker",
}

func sourceRank(source string) int {
	for i, s := range SourcePrecedence {
		if s == source {
			return i
		}
	}
	return len(SourcePrecedence)
}

// MonthStatus is what the rule of StatusVersion says about one person's calendar month.
type MonthStatus struct {
	Status           string // StatusUnknown when no source knows
	SocialAssistance int8   // SAUnknown, SANo or SAYes
	Source           string // the source whose status won; "" when the status is unknown
}

// unknownMonth is a month nobody observed.
var unknownMonth = MonthStatus{Status: StatusUnknown, SocialAssistance: SAUnknown}

// StatusIn returns the person's status and social assistance (SAUnknown, SANo, SAYes) in
// the calendar month of month, by the rule of StatusVersion.
func StatusIn(p Person, month time.Time) (status string, sa int8) {
	m := MonthOf(month)
	var obs []Observation
	for _, o := range p.Observations {
		if MonthOf(o.Month).Equal(m) {
			obs = append(obs, o)
		}
	}
	ms := Resolve(obs)
	return ms.Status, ms.SocialAssistance
}

// Resolve applies the rule of StatusVersion to the observations of one calendar month
// (the caller has already picked the month). StatusIn and HistoryOf use it, so no two
// readers of a month can disagree.
func Resolve(obs []Observation) MonthStatus {
	ms := unknownMonth
	sorted := append([]Observation(nil), obs...)
	// Rank, then source name, then status: PostgreSQL keeps one observation per source
	// and month, so the last two keys only make the result independent of input order.
	sort.Slice(sorted, func(i, j int) bool {
		a, b := sorted[i], sorted[j]
		if ra, rb := sourceRank(a.Source), sourceRank(b.Source); ra != rb {
			return ra < rb
		}
		if a.Source != b.Source {
			return a.Source < b.Source
		}
		return a.Status < b.Status
	})
	for _, o := range sorted {
		if o.Status != StatusUnknown && o.Status != "" {
			ms.Status, ms.Source = o.Status, o.Source
			break
		}
	}
	for _, o := range obs {
		switch {
		case o.SocialAssistance == nil:
		case *o.SocialAssistance:
			ms.SocialAssistance = SAYes
		case ms.SocialAssistance == SAUnknown:
			ms.SocialAssistance = SANo
		}
	}
	return ms
}

// History is a person's observed months by the rule of StatusVersion, computed once so
// that readers of many months do not rescan every observation per month. Months absent
// from the map were observed by nobody.
type History map[time.Time]MonthStatus

// HistoryOf resolves every observed month of p.
func HistoryOf(p Person) History {
	byMonth := map[time.Time][]Observation{}
	for _, o := range p.Observations {
		m := MonthOf(o.Month)
		byMonth[m] = append(byMonth[m], o)
	}
	h := make(History, len(byMonth))
	for m, obs := range byMonth {
		h[m] = Resolve(obs)
	}
	return h
}

// At is the month of month in h: StatusIn without rescanning.
func (h History) At(month time.Time) MonthStatus {
	if st, ok := h[MonthOf(month)]; ok {
		return st
	}
	return unknownMonth
}

// history is the package's own name for History (definitions read it through at).
type history = History

func historyOf(p Person) history {
	if p.resolved != nil {
		return p.resolved
	}
	return HistoryOf(p)
}

// at is At as a status and social-assistance pair.
func (h History) at(month time.Time) (string, int8) {
	ms := h.At(month)
	return ms.Status, ms.SocialAssistance
}
