package outcomes

import "time"

// WIOAVersion names the rules of WIOAClosedPeriods, EstablishedBy and WIOAExits.
//
// Source (DOMAIN.md, "Official indicators"): WIOA-style — employment rate in the 2nd and
// 4th quarter after the exit quarter (unsubsidised work only); exit = 90 days without a
// qualifying service, dated back to the last service.
//
// wioa-employment-q2-q4/2:
//   - the unit is the period of participation, as WIOA counts (TEGL 10-16, "period of
//     participation"): services are enrolments, taken in start order and grouped into one
//     period of participation while the gap to the next is less than WIOAGapDays days,
//     the gap being the days without service strictly between the end of the group so far
//     (its latest end) and the next start; overlapping or back-to-back spells have no
//     gap. A person with two exits 47 days apart has one period (one exit, counted once);
//     with exits 121 days apart, two periods, each counted (that is the published rule,
//     not a double count). A running enrolment keeps its group open: no exit;
//   - the exit date is the latest end of a closed group (WIOAClosedPeriods). The exit is
//     established, and reported, once WIOAGapDays days have passed without service by
//     the day the figure is asked for (EstablishedBy: day(asOf) >= exit date + 90 days);
//     before that it is not reported. By construction no enrolment starts within those
//     90 days: one that did would have joined the group;
//   - employed in quarter q after the exit quarter: QuarterFact over unsubsidised
//     employment (full or part time) in that calendar quarter, the rule of
//     QuarterVersion: employed when some month of the quarter is; not employed only when
//     all three months are known and none is; otherwise unknown;
//   - the publisher's share divides by every exit (Official in warehouse/analytics);
//     the share over the known is reported beside it;
//   - not computed: median earnings (we record no earnings) and the exclusions
//     (institutionalised, medical treatment, deceased), which our status codes do not
//     carry.
//
// wioa-employment-q2-q4/1 read a quarter as known "not employed" as soon as one month of
// it was known and not employed, so two unobserved months counted as no job.
const WIOAVersion = "wioa-employment-q2-q4/2"

// WIOAGapDays is the number of days without service that makes an exit.
const WIOAGapDays = 90

// WIOAExit is one WIOA period of participation that has exited.
type WIOAExit struct {
	EnrolmentIDs []string // the grouped spells, in start order
	FirstStart   time.Time
	ExitDate     time.Time
	ExitQuarter  time.Time // first day of the exit date's calendar quarter
	EmployedQ2   Fact
	EmployedQ4   Fact
}

// WIOAClosedPeriods groups the person's enrolments into periods of participation and
// returns every closed one (no spell running), established or not, with its 2nd- and
// 4th-quarter employment (rules of WIOAVersion), in start order. The loader stores these
// and the query keeps those EstablishedBy its day, so that an exit appears on the 90th
// day and not at the next load.
func WIOAClosedPeriods(p Person) []WIOAExit {
	h := historyOf(p)
	var exits []WIOAExit
	for _, g := range wioaGroups(p.Enrolments) {
		if g.end == nil {
			continue
		}
		x := WIOAExit{EnrolmentIDs: g.ids, FirstStart: g.start, ExitDate: *g.end, ExitQuarter: quarterOf(*g.end)}
		x.EmployedQ2 = h.employedInQuarter(x.ExitQuarter, 2)
		x.EmployedQ4 = h.employedInQuarter(x.ExitQuarter, 4)
		exits = append(exits, x)
	}
	return exits
}

// EstablishedBy reports whether WIOAGapDays days without service have passed after the
// exit date by asOf's date (day(asOf) >= exit date + 90 days): only then is the exit an
// exit.
func (x WIOAExit) EstablishedBy(asOf time.Time) bool {
	return !day(asOf).Before(day(x.ExitDate).AddDate(0, 0, WIOAGapDays))
}

// WIOAExits returns the closed periods of participation (WIOAClosedPeriods) whose exit
// is established by asOf, in start order.
func WIOAExits(p Person, asOf time.Time) []WIOAExit {
	var exits []WIOAExit
	for _, x := range WIOAClosedPeriods(p) {
		if x.EstablishedBy(asOf) {
			exits = append(exits, x)
		}
	}
	return exits
}

// WIOAEmployedInQuarter is employment in quarter q after the quarter of exitDate.
func WIOAEmployedInQuarter(p Person, exitDate time.Time, q int) Fact {
	return historyOf(p).employedInQuarter(quarterOf(exitDate), q)
}

type wioaGroup struct {
	ids   []string
	start time.Time
	end   *time.Time // nil while some spell of the group runs
}

// wioaGroups is the grouping rule of WIOAVersion.
func wioaGroups(es []Enrolment) []wioaGroup {
	var groups []wioaGroup
	for _, e := range sortedEnrolments(es) {
		if n := len(groups); n > 0 && joins(groups[n-1], e) {
			g := &groups[n-1]
			g.ids = append(g.ids, e.ID)
			switch {
			case e.End == nil:
				g.end = nil
			case g.end != nil && day(*e.End).After(*g.end):
				end := day(*e.End)
				g.end = &end
			}
			continue
		}
		g := wioaGroup{ids: []string{e.ID}, start: day(e.Start)}
		if e.End != nil {
			end := day(*e.End)
			g.end = &end
		}
		groups = append(groups, g)
	}
	return groups
}

// joins reports whether e starts before WIOAGapDays service-free days have passed since
// the group's end: days strictly between end and start < WIOAGapDays.
func joins(g wioaGroup, e Enrolment) bool {
	if g.end == nil {
		return true
	}
	return !day(e.Start).After(g.end.AddDate(0, 0, WIOAGapDays))
}

// quarterOf is the first day of t's calendar quarter.
func quarterOf(t time.Time) time.Time {
	return time.Date(t.Year(), (t.Month()-1)/3*3+1, 1, 0, 0, 0, 0, time.UTC)
}

func (h history) employedInQuarter(exitQuarter time.Time, q int) Fact {
	return QuarterFact(h, exitQuarter.AddDate(0, 3*q, 0), UnsubsidisedEmploymentSet)
}

// QuarterVersion names the rule of QuarterFact: how a quarter's status is read from
// monthly data, for every indicator stated per quarter.
//
// quarter-from-months/1: a person is in the set (e.g. employed) in a calendar quarter
// when the status (StatusVersion) of some month of the quarter is in the set: the
// quarterly wage records WIOA reads count a person employed with wages at any time in
// the quarter (TEGL 10-16, Attachment 1), and a month in work is such a time. Not in the
// set only when all three months are known and none is in it: a wage record's silence
// means no wages, but our silence (an unobserved month) means nothing. Otherwise
// unknown. So one known month of job seeking gives unknown; three give "no".
const QuarterVersion = "quarter-from-months/1"

// QuarterFact is the rule of QuarterVersion for the calendar quarter starting on the
// first day of quarter (any day of it works: the quarter is that of its month).
func QuarterFact(h History, quarter time.Time, set StatusSet) Fact {
	first := quarterOf(quarter)
	knownMonths := 0
	for i := 0; i < 3; i++ {
		st := h.At(first.AddDate(0, i, 0)).Status
		if st == StatusUnknown {
			continue
		}
		if set.Has(st) {
			return Fact{Value: true, Known: true}
		}
		knownMonths++
	}
	return Fact{Known: knownMonths == 3}
}
