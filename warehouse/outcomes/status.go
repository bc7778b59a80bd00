package outcomes

import (
	"sort"
	"time"
)

// StatusVersion names the rules of StatusIn. Every other definition reads statuses
// through StatusIn, so changing these rules changes every figure: bump this and the
// versions of the definitions built on it together.
//
// status-in-month/1:
//   - the observations of the calendar month are ranked by source (SourcePrecedence);
//     the status is that of the best-ranked observation whose status is not "unknown"
//     (a source saying "unknown" says nothing and must not hide one that knows); none:
//     "unknown";
//   - social assistance is 1 if any source says it was paid that month, 0 if some source
//     says it was not and none says it was, else -1. "Any yes wins" because a payment
//     is a positive fact that one source can know and another miss; a "no" can only mean
//     "not that I know of";
//   - nothing is ever taken from another month, and our own enrolment records do not
//     stand in for an observation: a month nobody observed is unknown.
const StatusVersion = "status-in-month/1"

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

// StatusIn returns the person's status and social assistance (-1 unknown, 0 no, 1 yes) in
// the calendar month of month, by the rules of StatusVersion.
func StatusIn(p Person, month time.Time) (status string, sa int8) {
	m := MonthOf(month)
	var obs []Observation
	for _, o := range p.Observations {
		if MonthOf(o.Month).Equal(m) {
			obs = append(obs, o)
		}
	}
	return pick(obs)
}

// pick applies the StatusVersion rules to the observations of one month. Both StatusIn
// and the month index use it, so the two can never disagree.
func pick(obs []Observation) (status string, sa int8) {
	status, sa = StatusUnknown, -1
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
			status = o.Status
			break
		}
	}
	for _, o := range obs {
		switch {
		case o.SocialAssistance == nil:
		case *o.SocialAssistance:
			sa = 1
		case sa == -1:
			sa = 0
		}
	}
	return status, sa
}

// monthState is what StatusIn says about one month.
type monthState struct {
	status string
	sa     int8
}

// history is a person's observed months, computed once so that definitions reading many
// months do not rescan every observation per month.
type history map[time.Time]monthState

func historyOf(p Person) history {
	byMonth := map[time.Time][]Observation{}
	for _, o := range p.Observations {
		m := MonthOf(o.Month)
		byMonth[m] = append(byMonth[m], o)
	}
	h := make(history, len(byMonth))
	for m, obs := range byMonth {
		st, sa := pick(obs)
		h[m] = monthState{st, sa}
	}
	return h
}

// at is StatusIn for an indexed history.
func (h history) at(month time.Time) (string, int8) {
	if st, ok := h[MonthOf(month)]; ok {
		return st.status, st.sa
	}
	return StatusUnknown, -1
}
