package analytics

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
	"github.com/arbetsmarknad/outcomes/warehouse/outcomes"
	"github.com/arbetsmarknad/outcomes/warehouse/snapshot"
	"github.com/arbetsmarknad/outcomes/warehouse/stats"
)

const (
	unsubFull = outcomes.StatusUnsubsidisedFull
	unsubPart = outcomes.StatusUnsubsidisedPart
	studies   = outcomes.StatusStudies
	seeking   = outcomes.StatusJobSeeking
)

// handRows is a small warehouse written out by hand. Cohort A (o1, exits in 2018, extra
// jobs) is e1, e2, e3; cohort B (o1, 2018, work practice) is e4 and e9. The other rows
// must stay out: e5 exits in 2019, e6 belongs to o2, e7 is running, e8 was deleted (a
// cancel row and a tombstone), e9's first version (an extra job) was replaced, e10 exited in 2017
// (but its WIOA exit is in 2018). handToday is late enough for every month and WIOA
// exit of the 2018 exits to count; TestFiguresCountOnlyDueRows moves it.
func handRows(t *testing.T) driver.Conn {
	t.Helper()
	conn, _ := testenv.ClickHouse(t)

	e1 := newRow("o1", "e1", day(2018, 3, 15)).at(3, unsubFull, 0).at(6, unsubFull, 0).at(12, studies, 0).at(24, studies, -1)
	e1.ExitReason, e1.AgeBand, e1.Project, e1.Unit = unsubFull, "25_29", "Kvinna hälsa arbete", "Stöd till arbete"
	e1.NewlyArrived, e1.BirthRegion, e1.EducationLevel, e1.DistanceCategory, e1.ReferralSource = 1, "outside_europe", "upper_secondary", "yellow", "social_services"
	e1.JobMonthsFromStart, e1.JobEventFromStart, e1.JobMonthsFromExit, e1.JobEventFromExit = 10, 1, 2, 1
	e1.ReturnedSA12, e1.Reentry12, e1.EntryNumber, e1.Kolada, e1.SUSBefore, e1.SUSAfter = 0, 0, 1, 1, "seeking_work", "paid_work"
	e1.WIOAExit, e1.WIOAExitDate, e1.WIOAQ2, e1.WIOAQ4 = 1, day(2018, 3, 15), 1, -1
	e1.ESFLastSpell, e1.ESFEntryAgeBand, e1.ESFImmediate, e1.ESFSixMonth, e1.ESFComplete = 1, "18_29", "employed", "employed", 1

	e2 := newRow("o1", "e2", day(2018, 6, 30)).at(12, unsubPart, 0)
	e2.Gender, e2.ExitReason, e2.AgeBand, e2.NewlyArrived, e2.BirthRegion, e2.ReferralSource = "man", "other_measure", "30_39", 0, "sweden", "af"
	e2.JobMonthsFromStart, e2.JobEventFromStart, e2.JobMonthsFromExit, e2.JobEventFromExit = 20, 1, 6, 1
	e2.ReturnedSA12, e2.Reentry12, e2.EntryNumber, e2.Kolada, e2.SUSBefore, e2.SUSAfter = -1, 1, 3, 0, "paid_work", "other"
	e2.WIOAExit, e2.WIOAExitDate, e2.WIOAQ2, e2.WIOAQ4 = 1, day(2018, 12, 20), -1, -1
	e2.ESFLastSpell, e2.ESFEntryAgeBand, e2.ESFImmediate, e2.ESFSixMonth, e2.ESFComplete = 1, "30_54", "none", "unknown", 0

	e3 := newRow("o1", "e3", day(2018, 11, 2)).at(6, seeking, 1)
	e3.AgeBand = "25_29"
	e3.JobMonthsFromStart, e3.JobEventFromStart, e3.JobMonthsFromExit, e3.JobEventFromExit = 15, 0, 7, 0
	// e3's re-entry window was still open at the load, and its exit was a move into
	// another of our measures: outside the Kolada population.
	e3.ReturnedSA12, e3.Reentry12, e3.EntryNumber, e3.Kolada, e3.SUSBefore, e3.SUSAfter = 1, -1, 4, snapshot.KoladaNotLeft, "other", "seeking_work"
	e3.WIOAExit, e3.WIOAExitDate, e3.WIOAQ2, e3.WIOAQ4 = 1, day(2018, 11, 2), 0, 0
	e3.ESFLastSpell, e3.ESFEntryAgeBand, e3.ESFImmediate, e3.ESFSixMonth, e3.ESFComplete = 1, "30_54", "job_searching", "none", 1

	e4 := newRow("o1", "e4", day(2018, 2, 1)).at(6, studies, 0).at(12, studies, 1)
	e4.MeasureCode, e4.ExitReason, e4.AgeBand = "work_practice", studies, "18_24"
	e4.JobMonthsFromStart, e4.JobMonthsFromExit = 3, 12
	e4.ReturnedSA12, e4.Reentry12, e4.EntryNumber, e4.Kolada, e4.SUSBefore, e4.SUSAfter = 1, 1, 1, 1, "other", "studies"

	e5 := newRow("o1", "e5", day(2019, 2, 1)).at(6, studies, 0)
	e6 := newRow("o2", "e6", day(2018, 5, 5)).at(6, studies, 0)
	e6.Unit = "Stöd till arbete" // same name as e1's unit, another municipality
	e7 := newRow("o1", "e7", snapshot.Epoch)
	e7.Exited, e7.Start, e7.StatusAfter, e7.SAAfter = 0, day(2018, 1, 1), nil, nil
	e8 := newRow("o1", "e8", day(2018, 4, 4)).at(6, studies, 0)
	e8gone := row{OrgID: "o1", EnrolmentKey: "e8", PersonKey: "p-e8", Start: snapshot.Epoch, Exit: snapshot.Epoch,
		WIOAExitDate: snapshot.Epoch, Version: 2, Deleted: 1}
	e9old := newRow("o1", "e9", day(2018, 9, 9)).at(6, studies, 0)
	e9 := newRow("o1", "e9", day(2018, 8, 8)).at(6, studies, 0).at(12, studies, 0)
	e9.Version, e9.MeasureCode, e9.Gender, e9.AgeBand, e9.ExitReason = 2, "work_practice", "man", "40_49", studies
	e9.JobMonthsFromStart, e9.JobMonthsFromExit = 7, 0
	e9.ReturnedSA12, e9.Reentry12, e9.EntryNumber, e9.Kolada, e9.SUSBefore, e9.SUSAfter = 0, 0, 2, 1, "paid_work", "studies"
	e10 := newRow("o1", "e10", day(2017, 11, 30)).at(6, studies, 0)
	e10.WIOAExit, e10.WIOAExitDate, e10.WIOAQ2, e10.WIOAQ4 = 1, day(2018, 1, 10), 1, 1

	// Three inserts, three parts, as the loader's writer leaves them: the rows; the cancel
	// rows of the two it withdraws (e8, e9's first version); their tombstone and new
	// version. The figures must net them out without any merge.
	insert(t, conn, e1, e2, e3, e4, e5, e6, e7, e8, e9old, e10)
	insert(t, conn, cancelled(e8), cancelled(e9old))
	insert(t, conn, e8gone, e9)
	return conn
}

var handToday = day(2021, 1, 1)

var (
	cohortA = Cohort{Label: "extra jobs 2018", OrgIDs: []string{"o1"}, ExitFrom: day(2018, 1, 1), ExitTo: day(2019, 1, 1), MeasureCodes: []string{"extra_job"}}
	cohortB = Cohort{Label: "work practice 2018", OrgIDs: []string{"o1"}, ExitFrom: day(2018, 1, 1), ExitTo: day(2019, 1, 1), MeasureCodes: []string{"work_practice"}}
	cohortC = Cohort{Label: "all 2018", OrgIDs: []string{"o1"}, ExitFrom: day(2018, 1, 1), ExitTo: day(2019, 1, 1)}
)

// fig is an expected figure in short: cohort label, group values ("" total), n, known,
// count.
type fig struct {
	cohort, group   string
	n, known, count int
}

func checkFigures(t *testing.T, name string, got []Figure, version string, want ...fig) {
	t.Helper()
	var g []fig
	for _, f := range got {
		g = append(g, fig{f.Cohort, groupText(f.Group), f.N, f.Known, f.Count})
		switch {
		case f.Version != version:
			t.Errorf("%s: version %q, want %q", name, f.Version, version)
		case f.Known == 0 && f.Share != nil, f.Known > 0 && (f.Share == nil || *f.Share != float64(f.Count)/float64(f.Known)):
			t.Errorf("%s: %s/%s share %v with %d of %d", name, f.Cohort, groupText(f.Group), f.Share, f.Count, f.Known)
		}
	}
	if !reflect.DeepEqual(g, want) {
		t.Errorf("%s:\n got %v\nwant %v", name, g, want)
	}
}

func TestFiguresOnHandRows(t *testing.T) {
	conn := handRows(t)
	ctx := context.Background()
	run := func(cohorts []Cohort, def Definition, by ...Dimension) ([]Figure, string) {
		t.Helper()
		got, err := Figures(ctx, conn, cohorts, def, by, Today(handToday))
		if err != nil {
			t.Fatalf("%s: %v", def.Kind, err)
		}
		v, _ := def.Version()
		return got, v
	}
	A, B, C := cohortA.Label, cohortB.Label, cohortC.Label

	got, v := run([]Cohort{cohortA, cohortB, cohortC}, InWorkOrStudiesAt(6))
	checkFigures(t, "in work or studies +6, three cohorts side by side", got, v,
		fig{A, "", 3, 2, 1}, fig{B, "", 2, 2, 2}, fig{C, "", 5, 4, 3})
	got, v = run([]Cohort{cohortA}, InWorkOrStudiesAt(6), DimGender)
	checkFigures(t, "in work or studies +6 by gender", got, v,
		fig{A, "", 3, 2, 1}, fig{A, "man", 1, 0, 0}, fig{A, "woman", 2, 2, 1})
	got, v = run([]Cohort{cohortA}, InWorkOrStudiesAt(6), DimGender, DimAgeBand, DimExitQuarter)
	checkFigures(t, "in work or studies +6 by three dimensions", got, v,
		fig{A, "", 3, 2, 1}, fig{A, "man/30_39/2018-Q2", 1, 0, 0},
		fig{A, "woman/25_29/2018-Q1", 1, 1, 1}, fig{A, "woman/25_29/2018-Q4", 1, 1, 0})
	both := cohortA
	both.Label, both.OrgIDs = "both municipalities", []string{"o1", "o2"}
	got, v = run([]Cohort{both}, InWorkOrStudiesAt(6), DimMunicipality, DimExitMonth)
	checkFigures(t, "by municipality and exit month", got, v,
		fig{"both municipalities", "", 4, 3, 2}, fig{"both municipalities", "code-o1/2018-03", 1, 1, 1},
		fig{"both municipalities", "code-o1/2018-06", 1, 0, 0}, fig{"both municipalities", "code-o1/2018-11", 1, 1, 0},
		fig{"both municipalities", "code-o2/2018-05", 1, 1, 1})
	got, v = run([]Cohort{cohortA}, InWorkOrStudiesAt(3), DimNewlyArrived, DimProject)
	checkFigures(t, "+3 by newly arrived and project", got, v,
		fig{A, "", 3, 1, 1}, fig{A, "no/", 1, 0, 0}, fig{A, "unknown/", 1, 0, 0}, fig{A, "yes/code-o1/Kvinna hälsa arbete", 1, 1, 1})
	// Units of the same name in two municipalities stay apart.
	got, v = run([]Cohort{both}, InWorkOrStudiesAt(6), DimUnit)
	checkFigures(t, "+6 by unit, two municipalities", got, v,
		fig{"both municipalities", "", 4, 3, 2}, fig{"both municipalities", "", 2, 1, 0},
		fig{"both municipalities", "code-o1/Stöd till arbete", 1, 1, 1}, fig{"both municipalities", "code-o2/Stöd till arbete", 1, 1, 1})

	got, v = run([]Cohort{cohortA, cohortB}, StatusAt(12, studies))
	checkFigures(t, "status at +12 is studies", got, v, fig{A, "", 3, 2, 1}, fig{B, "", 2, 2, 2})
	got, v = run([]Cohort{cohortA, cohortB}, SelfSufficientAt(6))
	checkFigures(t, "self-sufficient +6", got, v, fig{A, "", 3, 2, 1}, fig{B, "", 2, 2, 2})
	got, v = run([]Cohort{cohortA, cohortB}, LastingAttachment(nil))
	checkFigures(t, "lasting, default", got, v, fig{A, "", 3, 2, 1}, fig{B, "", 2, 2, 1})
	got, v = run([]Cohort{cohortA, cohortB}, LastingAttachment(&outcomes.LastingParams{
		Horizons: []int{6}, Statuses: []string{seeking, unsubFull}}))
	checkFigures(t, "lasting, +6 only, job seeking counts, social assistance allowed", got, v,
		fig{A, "", 3, 2, 2}, fig{B, "", 2, 2, 0})
	got, v = run([]Cohort{cohortA, cohortB}, Definition{Kind: KindReturnedToSA12})
	checkFigures(t, "returned to social assistance", got, v, fig{A, "", 3, 2, 1}, fig{B, "", 2, 2, 1})
	got, v = run([]Cohort{cohortA, cohortB}, Definition{Kind: KindReentry12})
	checkFigures(t, "re-entry (e3's window still open)", got, v, fig{A, "", 3, 2, 1}, fig{B, "", 2, 2, 1})
	got, v = run([]Cohort{cohortA, cohortB}, Definition{Kind: KindRepeatedEntry})
	checkFigures(t, "repeated entry", got, v, fig{A, "", 3, 3, 2}, fig{B, "", 2, 2, 0})
	got, v = run([]Cohort{cohortA, cohortB}, Definition{Kind: KindKoladaResultAtExit})
	checkFigures(t, "Kolada (e3 did not leave: not in n)", got, v, fig{A, "", 2, 2, 1}, fig{B, "", 2, 2, 2})

	// WIOA: people with a WIOA exit in the period (e10 too, whose own enrolment ended in 2017).
	got, v = run([]Cohort{cohortA}, Definition{Kind: KindWIOAQ2}, DimExitQuarter)
	checkFigures(t, "WIOA Q2 by exit quarter", got, v,
		fig{A, "", 4, 3, 2}, fig{A, "2018-Q1", 2, 2, 2}, fig{A, "2018-Q4", 2, 1, 0})
	got, v = run([]Cohort{cohortA}, Definition{Kind: KindWIOAQ4})
	checkFigures(t, "WIOA Q4", got, v, fig{A, "", 4, 2, 1})

	// ESF: e2's record is incomplete, so it counts in the total only.
	got, v = run([]Cohort{cohortA}, Definition{Kind: KindESFImmediate}, DimGender)
	checkFigures(t, "ESF immediate by gender", got, v, fig{A, "", 3, 3, 2}, fig{A, "woman", 2, 2, 2})
	got, v = run([]Cohort{cohortA}, Definition{Kind: KindESFImmediate}, DimAgeBand)
	checkFigures(t, "ESF immediate by ESF age band", got, v, fig{A, "", 3, 3, 2}, fig{A, "18_29", 1, 1, 1}, fig{A, "30_54", 1, 1, 1})
	got, v = run([]Cohort{cohortA}, Definition{Kind: KindESFImmediate, Results: []string{"employed"}})
	checkFigures(t, "ESF immediate, employed only", got, v, fig{A, "", 3, 3, 1})
	got, v = run([]Cohort{cohortA}, Definition{Kind: KindESFSixMonth}, DimGender)
	checkFigures(t, "ESF six months by gender", got, v, fig{A, "", 3, 2, 1}, fig{A, "woman", 2, 2, 1})

	// Every definition runs on the server with every dimension and two cohorts.
	for _, def := range allDefinitions() {
		for _, d := range Dimensions {
			by := []Dimension{d, DimGender}
			if d == DimGender {
				by = []Dimension{d, DimExitQuarter, DimAgeBand}
			}
			if _, err := Figures(ctx, conn, []Cohort{cohortA, cohortB}, def, by, Today(handToday)); err != nil {
				t.Errorf("%s by %s: %v", def.Kind, d, err)
			}
		}
	}
}

// A figure at +k counts only the exits whose month exit + k has begun by the query's day
// (LASTING: its largest horizon), and WIOA only exits 90 days before it. Cohort A's exits
// are in March (e1), June (e2) and November 2018 (e3); its WIOA exits on 10 January
// (e10), 15 March (e1), 2 November (e3) and 20 December 2018 (e2).
func TestFiguresCountOnlyDueRows(t *testing.T) {
	conn := handRows(t)
	ctx := context.Background()
	A := cohortA.Label
	run := func(today time.Time, def Definition) []Figure {
		t.Helper()
		got, err := Figures(ctx, conn, []Cohort{cohortA}, def, nil, Today(today))
		if err != nil {
			t.Fatalf("%s: %v", def.Kind, err)
		}
		return got
	}
	for _, c := range []struct {
		today time.Time
		def   Definition
		want  fig
	}{
		// +6: e3's May 2019 has begun on 1 May, not on 30 April.
		{day(2019, 4, 30), InWorkOrStudiesAt(6), fig{A, "", 2, 1, 1}},
		{day(2019, 5, 1), InWorkOrStudiesAt(6), fig{A, "", 3, 2, 1}},
		{day(2019, 4, 30), SelfSufficientAt(6), fig{A, "", 2, 1, 1}},
		{day(2018, 8, 31), SelfSufficientAt(6), fig{A, "", 0, 0, 0}},
		{day(2018, 9, 1), SelfSufficientAt(6), fig{A, "", 1, 1, 1}},
		// +12: e1 in March 2019, e2 in June 2019, e3 in November 2019.
		{day(2019, 5, 31), StatusAt(12, studies), fig{A, "", 1, 1, 1}},
		{day(2019, 6, 1), StatusAt(12, studies), fig{A, "", 2, 2, 1}},
		{day(2019, 6, 1), LastingAttachment(nil), fig{A, "", 2, 1, 1}},
		{day(2019, 11, 1), LastingAttachment(nil), fig{A, "", 3, 2, 1}},
		// Only the largest horizon decides: +6 alone is due for e3 in May 2019.
		{day(2019, 5, 1), LastingAttachment(&outcomes.LastingParams{Horizons: []int{6}, Statuses: []string{seeking, unsubFull}}), fig{A, "", 3, 2, 2}},
		// WIOA: e2's exit of 20 December 2018 counts from 20 March 2019 (90 days).
		{day(2019, 3, 19), Definition{Kind: KindWIOAQ2}, fig{A, "", 3, 3, 2}},
		{day(2019, 3, 20), Definition{Kind: KindWIOAQ2}, fig{A, "", 4, 3, 2}},
		{day(2018, 4, 9), Definition{Kind: KindWIOAQ2}, fig{A, "", 0, 0, 0}},
		{day(2018, 4, 10), Definition{Kind: KindWIOAQ2}, fig{A, "", 1, 1, 1}}, // e10: 10 January + 90 days
		// Facts that do not wait for a month are counted whatever the day.
		{day(2018, 12, 1), Definition{Kind: KindRepeatedEntry}, fig{A, "", 3, 3, 2}},
		{day(2018, 12, 1), Definition{Kind: KindKoladaResultAtExit}, fig{A, "", 2, 2, 1}},
	} {
		v, _ := c.def.Version()
		checkFigures(t, fmt.Sprintf("%s on %s", v, c.today.Format("2006-01-02")), run(c.today, c.def), v, c.want)
	}
	// The clock's time of day and location do not matter, only the date.
	late := time.Date(2019, 4, 30, 23, 30, 0, 0, time.FixedZone("UTC-5", -5*3600))
	checkFigures(t, "30 April, late in the evening west of Greenwich", run(late, InWorkOrStudiesAt(6)),
		"in-work-or-studies/1?k=6", fig{A, "", 2, 1, 1})
}

func TestSurvivalOnHandRows(t *testing.T) {
	conn := handRows(t)
	ctx := context.Background()
	curves, err := Survival(ctx, conn, cohortA, outcomes.FromExit, []Dimension{DimGender})
	if err != nil {
		t.Fatal(err)
	}
	// The product limit, in the float operations KaplanMeier does (not constant-folded).
	step := func(s float64, events, atRisk int) float64 { return s * (1 - float64(events)/float64(atRisk)) }
	s2 := step(1, 1, 3)
	s6 := step(s2, 1, 2)
	want := []Curve{
		{Cohort: cohortA.Label, N: 3, Events: 2, Points: []outcomes.KMPoint{
			{Month: 2, AtRisk: 3, Events: 1, Survival: s2, Employed: 1 - s2},
			{Month: 6, AtRisk: 2, Events: 1, Survival: s6, Employed: 1 - s6},
			{Month: 7, AtRisk: 1, Censored: 1, Survival: s6, Employed: 1 - s6},
		}},
		{Cohort: cohortA.Label, Group: []GroupValue{{DimGender, "man"}}, N: 1, Events: 1, Points: []outcomes.KMPoint{
			{Month: 6, AtRisk: 1, Events: 1, Survival: 0, Employed: 1},
		}},
		{Cohort: cohortA.Label, Group: []GroupValue{{DimGender, "woman"}}, N: 2, Events: 1, Points: []outcomes.KMPoint{
			{Month: 2, AtRisk: 2, Events: 1, Survival: 0.5, Employed: 0.5},
			{Month: 7, AtRisk: 1, Censored: 1, Survival: 0.5, Employed: 0.5},
		}},
	}
	for i := range want {
		want[i].Origin, want[i].Version, want[i].Estimator = outcomes.FromExit, outcomes.TimeToFirstJobVersion, outcomes.KaplanMeierVersion
		// Greenwood's intervals of the points (worked by hand in warehouse/stats).
		var steps []stats.KMStep
		for _, p := range want[i].Points {
			steps = append(steps, stats.KMStep{AtRisk: p.AtRisk, Events: p.Events, Survival: p.Survival})
		}
		want[i].Intervals = stats.Greenwood(steps)
	}
	// Women: one job of two at +2, S = 1/2: an interval around 0.5; the man's S = 0: none.
	if iv := want[2].Intervals[0]; iv == nil || !(iv.Lower < 0.5 && 0.5 < iv.Upper) || want[1].Intervals[0] != nil {
		t.Fatalf("Greenwood intervals %+v / %+v", want[2].Intervals, want[1].Intervals)
	}
	if !reflect.DeepEqual(curves, want) {
		t.Errorf("from exit:\n got %+v\nwant %+v", curves, want)
	}
	curves, err = Survival(ctx, conn, cohortC, outcomes.FromStart, nil)
	if err != nil {
		t.Fatal(err)
	}
	// From start: 10 (job), 20 (job), 15 (censored), 3 (censored), 7 (censored).
	if len(curves) != 1 || curves[0].N != 5 || curves[0].Events != 2 || len(curves[0].Points) != 5 ||
		curves[0].Points[4].Month != 20 || curves[0].Points[4].AtRisk != 1 {
		t.Errorf("from start: %+v", curves)
	}
}

func TestTransitionsOnHandRows(t *testing.T) {
	conn := handRows(t)
	ctx := context.Background()
	// Rows and columns: paid work, studies, seeking work, other, unknown.
	for _, tc := range []struct {
		cohort Cohort
		want   [5][5]int
	}{
		{cohortA, [5][5]int{{0, 0, 0, 1, 0}, {}, {1, 0, 0, 0, 0}, {0, 0, 1, 0, 0}, {}}},
		{cohortC, [5][5]int{{0, 1, 0, 1, 0}, {}, {1, 0, 0, 0, 0}, {0, 1, 1, 0, 0}, {}}},
	} {
		got, err := Transitions(ctx, conn, tc.cohort)
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("%s: %v, want %v", tc.cohort.Label, got, tc.want)
		}
	}
}

func TestMicrodataOnHandRows(t *testing.T) {
	conn := handRows(t)
	var buf bytes.Buffer
	if err := Microdata(context.Background(), conn, cohortA, &buf); err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"enrolment_key,person_key,org_code,gender,age_band,measure_code,project,unit,newly_arrived,birth_region,education_level,distance_category,referral_source,start_date,exit_date,exit_reason,status_3,status_6,status_12,status_24,sa_3,sa_6,sa_12,sa_24",
		"e1,p-e1,code-o1,woman,25_29,extra_job,Kvinna hälsa arbete,Stöd till arbete,1,outside_europe,upper_secondary,yellow,social_services,2017-03-15,2018-03-15,unsubsidised_employment_full,unsubsidised_employment_full,unsubsidised_employment_full,studies,studies,0,0,0,-1",
		"e2,p-e2,code-o1,man,30_39,extra_job,,,0,sweden,,,af,2017-06-30,2018-06-30,other_measure,unknown,unknown,unsubsidised_employment_part,unknown,-1,-1,0,-1",
		"e3,p-e3,code-o1,woman,25_29,extra_job,,,-1,,,,,2017-11-02,2018-11-02,job_seeking,unknown,job_seeking,unknown,unknown,-1,1,-1,-1",
	}, "\n") + "\n"
	if buf.String() != want {
		t.Errorf("microdata:\n got %s\nwant %s", buf.String(), want)
	}
}

// Microdata streams: more rows than one flush, every one written once, in order.
func TestMicrodataStreamsManyRows(t *testing.T) {
	conn, _ := testenv.ClickHouse(t)
	var rows []row
	for i := range 1234 {
		rows = append(rows, newRow("o1", fmt.Sprintf("k%05d", i), day(2018, time.Month(1+i%12), 1+i%28)))
	}
	insert(t, conn, rows...)
	var buf bytes.Buffer
	if err := Microdata(context.Background(), conn, cohortC, &buf); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 1235 {
		t.Fatalf("%d lines, want header + 1234", len(lines))
	}
	prev := ""
	for _, l := range lines[1:] {
		f := strings.Split(l, ",")
		key := f[14] + f[0] // exit date, then key
		if key <= prev {
			t.Fatalf("rows out of order at %s", l)
		}
		prev = key
	}
}

// The SQL of the per-month definitions equals the outcomes functions on every
// combination of status and social assistance at two horizons: one row per
// combination, told apart by its project.
func TestMonthDefinitionsMatchOutcomesExhaustively(t *testing.T) {
	conn, _ := testenv.ClickHouse(t)
	exit := day(2018, 1, 15)
	statuses := []string{outcomes.StatusUnknown, studies, seeking, unsubFull}
	sas := []int8{-1, 0, 1}
	type state struct {
		st string
		sa int8
	}
	var states []state
	for _, st := range statuses {
		for _, sa := range sas {
			states = append(states, state{st, sa})
		}
	}
	persons := map[string]outcomes.Person{}
	enrolment := outcomes.Enrolment{ID: "e", Start: day(2017, 1, 1), End: &exit, ExitReason: seeking}
	var rows []row
	for i, a := range states {
		for j, b := range states {
			id := fmt.Sprintf("c%02d-%02d", i, j)
			r := newRow("lx", id, exit).at(6, a.st, a.sa).at(12, b.st, b.sa)
			r.Project = id
			rows = append(rows, r)
			p := outcomes.Person{ID: id, Enrolments: []outcomes.Enrolment{enrolment}}
			for _, x := range []struct {
				k int
				s state
			}{{6, a}, {12, b}} {
				if x.s.st == outcomes.StatusUnknown && x.s.sa == -1 {
					continue // nothing observed
				}
				var sa *bool
				if x.s.sa >= 0 {
					yes := x.s.sa == 1
					sa = &yes
				}
				p.Observations = append(p.Observations, outcomes.Observation{Month: outcomes.MonthOf(exit).AddDate(0, x.k, 0),
					Status: x.s.st, SocialAssistance: sa, Source: "phone_follow_up"})
			}
			persons[id] = p
		}
	}
	insert(t, conn, rows...)
	cohort := Cohort{Label: "all", OrgIDs: []string{"lx"}, ExitFrom: day(2018, 1, 1), ExitTo: day(2018, 2, 1)}
	lastings := []outcomes.LastingParams{
		outcomes.DefaultLastingParams(),
		{Horizons: []int{6, 12}, Statuses: []string{studies}},
		{Horizons: []int{12}, Statuses: []string{seeking, unsubFull}, RequireNoSocialAssistance: true},
		{Horizons: []int{0, 6, 12}, Statuses: []string{studies, unsubFull}, RequireNoSocialAssistance: true},
	}
	type check struct {
		def  Definition
		eval func(outcomes.Person) outcomes.Fact
	}
	checks := []check{
		{InWorkOrStudiesAt(6), func(p outcomes.Person) outcomes.Fact { return outcomes.InWorkOrStudies(p, enrolment, 6) }},
		{SelfSufficientAt(12), func(p outcomes.Person) outcomes.Fact { return outcomes.SelfSufficient(p, enrolment, 12) }},
		{StatusAt(12, seeking, studies), func(p outcomes.Person) outcomes.Fact {
			st, _, _ := outcomes.StatusAfterExit(p, enrolment, 12)
			return outcomes.Fact{Known: st != outcomes.StatusUnknown, Value: st == seeking || st == studies}
		}},
	}
	for _, lp := range lastings {
		l, err := outcomes.NewLasting(lp)
		if err != nil {
			t.Fatal(err)
		}
		checks = append(checks, check{LastingAttachment(&lp), func(p outcomes.Person) outcomes.Fact { return l.Eval(p, enrolment) }})
	}
	for _, c := range checks {
		name, _ := c.def.Version()
		got, err := Figures(context.Background(), conn, []Cohort{cohort}, c.def, []Dimension{DimProject})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(got) != 1+len(persons) {
			t.Fatalf("%s: %d figures", name, len(got))
		}
		var known, count int
		for _, f := range got[1:] {
			id := strings.TrimPrefix(f.Group[0].Value, "code-lx/") // PROJECT is "org code/name"
			want := c.eval(persons[id])
			if f.N != 1 || (f.Known == 1) != want.Known || (f.Count == 1) != (want.Known && want.Value) {
				t.Errorf("%s, %s: got n %d known %d count %d, outcomes says %+v", name, id, f.N, f.Known, f.Count, want)
			}
			known, count = known+f.Known, count+f.Count
		}
		if got[0].N != len(persons) || got[0].Known != known || got[0].Count != count {
			t.Errorf("%s: total %+v, groups sum to known %d count %d", name, got[0], known, count)
		}
	}
}
