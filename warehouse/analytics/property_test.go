package analytics_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"github.com/arbetsmarknad/outcomes/internal/domain/domaintest"
	"github.com/arbetsmarknad/outcomes/internal/domain/organisation"
	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
	"github.com/arbetsmarknad/outcomes/warehouse/analytics"
	"github.com/arbetsmarknad/outcomes/warehouse/loader"
	"github.com/arbetsmarknad/outcomes/warehouse/outcomes"
	"github.com/arbetsmarknad/outcomes/warehouse/pseudonym"
)

// The correctness property: random histories in PostgreSQL, loaded into
// ClickHouse by the loader's rebuild, give exactly the figures the oracle computes from
// PostgreSQL with warehouse/outcomes — for every definition and every breakdown, for
// Kaplan–Meier curves and the SUS table — on the day of the load and on other days
// (which exits are due, which WIOA exits are established). ANALYTICS_PROPERTY_SEED
// replays a run.
func TestFiguresEqualOracleOnRandomHistories(t *testing.T) {
	// A fixed seed keeps CI deterministic (the non-triviality check below depends on the
	// histories drawn); set ANALYTICS_PROPERTY_SEED to explore others.
	seed := uint64(2018)
	if s := os.Getenv("ANALYTICS_PROPERTY_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("ANALYTICS_PROPERTY_SEED: %v", err)
		}
		seed = v
	}
	t.Logf("seed %d (ANALYTICS_PROPERTY_SEED=%d replays this run)", seed, seed)
	people := 160
	if testing.Short() {
		people = 50
	}
	ctx := context.Background()
	pg := testenv.Postgres(t)
	ch, _ := testenv.ClickHouse(t)
	asOf := time.Date(2022, 6, 15, 10, 0, 0, 0, time.UTC)
	g := &generator{rnd: rand.New(rand.NewPCG(seed, 0x5eed)), pg: pg, asOf: asOf}
	orgA, orgB := g.organisation(t, "propa"), g.organisation(t, "propb")
	g.histories(t, orgA, people/2)
	g.histories(t, orgB, people-people/2)

	keys := pseudonym.New([]byte("analytics-property-key-0123456789"))
	l := &loader.Loader{PG: pg, CH: ch, Keys: keys,
		Log: zerolog.Nop(), Now: func() time.Time { return asOf }}
	if _, err := l.Rebuild(ctx, loader.RebuildOptions{PageSize: 37, Fresh: true}); err != nil {
		t.Fatalf("rebuild: %v", err)
	}
	var filled uint64
	if err := ch.QueryRow(ctx, `SELECT count() FROM enrolment_outcome WHERE length(status_after) > 0`).Scan(&filled); err != nil {
		t.Fatal(err)
	}
	if filled == 0 {
		t.Fatal("the loader wrote no months after exit (enrolment_outcome.status_after): the facts of ClickHouse migration 0002 are missing")
	}
	oracle, err := analytics.LoadOracle(ctx, pg, asOf)
	if err != nil {
		t.Fatal(err)
	}

	cohorts := []analytics.Cohort{
		{Label: "A extra jobs 2016-2018", OrgIDs: []string{orgA}, ExitFrom: day(2016, 1, 1), ExitTo: day(2019, 1, 1), MeasureCodes: []string{"extra_job"}},
		{Label: "A practice or education 2016-2018", OrgIDs: []string{orgA}, ExitFrom: day(2016, 1, 1), ExitTo: day(2019, 1, 1),
			MeasureCodes: []string{"work_practice", "adult_education"}},
		{Label: "A and B, all", OrgIDs: []string{orgA, orgB}, ExitFrom: day(2015, 1, 1), ExitTo: day(2023, 1, 1)},
		// Not whole months: the pre-aggregate answers 2019-08 to 2020-12, the rows the
		// days at either end.
		{Label: "B 2019-07-10 to 2020-12-20", OrgIDs: []string{orgB}, ExitFrom: day(2019, 7, 10), ExitTo: day(2020, 12, 20)},
	}
	definitions := []analytics.Definition{
		analytics.StatusAt(0, outcomes.StatusJobSeeking),
		analytics.StatusAt(6, outcomes.StatusStudies, outcomes.StatusSubsidised),
		analytics.InWorkOrStudiesAt(0), analytics.InWorkOrStudiesAt(6), analytics.InWorkOrStudiesAt(12), analytics.InWorkOrStudiesAt(24),
		analytics.SelfSufficientAt(3), analytics.SelfSufficientAt(12),
		analytics.LastingAttachment(nil),
		analytics.LastingAttachment(&outcomes.LastingParams{Horizons: []int{3, 12, 24},
			Statuses: []string{outcomes.StatusSubsidised, outcomes.StatusStudies}}),
		analytics.LastingAttachment(&outcomes.LastingParams{Horizons: []int{0, 36},
			Statuses: []string{outcomes.StatusUnsubsidisedFull}, RequireNoSocialAssistance: true}),
		{Kind: analytics.KindReturnedToSA12}, {Kind: analytics.KindReentry12}, {Kind: analytics.KindRepeatedEntry},
		{Kind: analytics.KindKoladaResultAtExit}, {Kind: analytics.KindWIOAQ2}, {Kind: analytics.KindWIOAQ4},
		{Kind: analytics.KindWIOAQ2PerPerson}, {Kind: analytics.KindWIOAQ4PerPerson},
		{Kind: analytics.KindESFImmediate}, {Kind: analytics.KindESFSixMonth},
		{Kind: analytics.KindESFImmediate, Results: []string{outcomes.ESFResultEmployed}},
	}
	breakdowns := [][]analytics.Dimension{nil}
	for _, d := range analytics.Dimensions {
		breakdowns = append(breakdowns, []analytics.Dimension{d})
	}
	breakdowns = append(breakdowns,
		[]analytics.Dimension{analytics.DimGender, analytics.DimAgeBand},
		[]analytics.Dimension{analytics.DimMeasure, analytics.DimExitYear},
		[]analytics.Dimension{analytics.DimMunicipality, analytics.DimGender, analytics.DimExitQuarter},
		[]analytics.Dimension{analytics.DimNewlyArrived, analytics.DimBirthRegion, analytics.DimEducationLevel},
		[]analytics.Dimension{analytics.DimProject, analytics.DimUnit, analytics.DimReferralSource},
		[]analytics.Dimension{analytics.DimDistanceCategory, analytics.DimExitMonth},
	)

	nonEmpty := map[string]bool{}
	// Both paths: the pre-aggregate where it holds the figure (with the rows for the
	// rest of the periods), and the rows alone (FromRows). Some figures must take each.
	paths := map[bool]int{}
	for _, def := range definitions {
		version, _ := def.Version()
		for _, by := range breakdowns {
			aggregate := analytics.AggregateHolds(cohorts, def, by, asOf)
			paths[aggregate]++
			// The oracle answers on the day it was loaded (asOf) unless told otherwise.
			got, err := analytics.Figures(ctx, ch, cohorts, def, by, analytics.Today(asOf))
			if err != nil {
				t.Fatalf("%s by %v: %v", version, by, err)
			}
			want, err := oracle.Figures(cohorts, def, by)
			if err != nil {
				t.Fatalf("oracle %s by %v: %v", version, by, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s by %v: ClickHouse and the oracle differ\n%s", version, by, diff(got, want))
			}
			if aggregate { // otherwise got came from the rows already
				rows, err := analytics.Figures(ctx, ch, cohorts, def, by, analytics.Today(asOf), analytics.FromRows())
				if err != nil {
					t.Fatalf("%s by %v from the rows: %v", version, by, err)
				}
				if !reflect.DeepEqual(rows, want) {
					t.Errorf("%s by %v from the rows: ClickHouse and the oracle differ\n%s", version, by, diff(rows, want))
				}
			}
			for _, f := range want {
				if f.Group == nil && f.Known > 0 && f.Count > 0 && f.Count < f.Known {
					nonEmpty[string(def.Kind)] = true
				}
			}
		}
	}
	if paths[true] == 0 || paths[false] == 0 {
		t.Errorf("figures from the pre-aggregate: %d, from the rows only: %d; both paths must be exercised", paths[true], paths[false])
	}
	// WIOA counts periods of participation; the per-person variant each person once per
	// cohort, so never more, and fewer where someone has two periods in a cohort.
	fewer := false
	for _, pair := range [][2]analytics.Kind{{analytics.KindWIOAQ2, analytics.KindWIOAQ2PerPerson}, {analytics.KindWIOAQ4, analytics.KindWIOAQ4PerPerson}} {
		periods, _ := oracle.Figures(cohorts, analytics.Definition{Kind: pair[0]}, nil)
		people, _ := oracle.Figures(cohorts, analytics.Definition{Kind: pair[1]}, nil)
		for i := range periods {
			if people[i].N > periods[i].N || people[i].Unit != analytics.UnitPerson || periods[i].Unit != analytics.UnitPeriodOfParticipation {
				t.Errorf("%s: %d people (%s) for %d periods (%s)", periods[i].Cohort, people[i].N, people[i].Unit, periods[i].N, periods[i].Unit)
			}
			fewer = fewer || people[i].N < periods[i].N
		}
	}
	if !fewer {
		t.Error("no cohort has a person with two WIOA periods: the per-person variant is not exercised")
	}

	// Intervals, bounds, differences and reweighted shares are part of every figure
	// compared above; reweighting is asked for here, over few and over all six
	// characteristics, and must agree too and be non-trivial (some cohort reweighted,
	// some stratum unmatched and reported).
	standardised, unmatched := false, false
	for _, def := range definitions {
		version, _ := def.Version()
		for _, strata := range [][]analytics.Dimension{{analytics.DimGender}, analytics.StrataDimensions} {
			opts := []analytics.Option{analytics.Today(asOf), analytics.StandardiseBy(strata...)}
			got, err := analytics.Figures(ctx, ch, cohorts, def, nil, opts...)
			if err != nil {
				t.Fatalf("%s standardised by %v: %v", version, strata, err)
			}
			want, err := oracle.Figures(cohorts, def, nil, opts...)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s standardised by %v: ClickHouse and the oracle differ\n got %s\nwant %s", version, strata, figuresText(got), figuresText(want))
			}
			for _, f := range want {
				if f.Standardised != nil {
					standardised = true
					unmatched = unmatched || len(f.Standardised.Unmatched) > 0
				}
			}
		}
	}
	if !standardised || !unmatched {
		t.Errorf("reweighting not exercised: some standardised %v, some unmatched stratum %v", standardised, unmatched)
	}

	// The pre-aggregate's read tells cohorts apart in Go by what differs among them
	// (organisations, months, measures: one, two or all three); the cohorts above differ
	// in all three. Comparisons that differ in one only, overlapping, must agree too, and
	// one cohort alone (nothing to tell apart: no route column, and no GROUP BY at all
	// without a breakdown).
	for _, set := range [][]analytics.Cohort{
		{{Label: "A and B 2016-2020", OrgIDs: []string{orgA, orgB}, ExitFrom: day(2016, 1, 1), ExitTo: day(2021, 1, 1)}},
		{
			{Label: "A extra jobs", OrgIDs: []string{orgA, orgB}, ExitFrom: day(2016, 1, 1), ExitTo: day(2021, 1, 1), MeasureCodes: []string{"extra_job"}},
			{Label: "A extra jobs or practice", OrgIDs: []string{orgB, orgA}, ExitFrom: day(2016, 1, 1), ExitTo: day(2021, 1, 1), MeasureCodes: []string{"work_practice", "extra_job"}},
			{Label: "A, every measure", OrgIDs: []string{orgA, orgB}, ExitFrom: day(2016, 1, 1), ExitTo: day(2021, 1, 1)},
		},
		{
			{Label: "A", OrgIDs: []string{orgA}, ExitFrom: day(2015, 1, 1), ExitTo: day(2023, 1, 1)},
			{Label: "B", OrgIDs: []string{orgB}, ExitFrom: day(2015, 1, 1), ExitTo: day(2023, 1, 1)},
			{Label: "A and B", OrgIDs: []string{orgB, orgA}, ExitFrom: day(2015, 1, 1), ExitTo: day(2023, 1, 1)},
		},
		{
			{Label: "2017", OrgIDs: []string{orgA, orgB}, ExitFrom: day(2017, 1, 1), ExitTo: day(2018, 1, 1)},
			{Label: "2017-2019", OrgIDs: []string{orgA, orgB}, ExitFrom: day(2017, 1, 1), ExitTo: day(2020, 1, 1)},
			{Label: "2019-03 to 2021-06", OrgIDs: []string{orgA, orgB}, ExitFrom: day(2019, 3, 1), ExitTo: day(2021, 6, 1)},
		},
	} {
		for _, def := range []analytics.Definition{analytics.InWorkOrStudiesAt(12), analytics.LastingAttachment(nil),
			{Kind: analytics.KindKoladaResultAtExit}, {Kind: analytics.KindWIOAQ2}} {
			version, _ := def.Version()
			for _, by := range [][]analytics.Dimension{nil, {analytics.DimGender}, {analytics.DimMeasure, analytics.DimExitYear}} {
				if !analytics.AggregateHolds(set, def, by, asOf) {
					t.Fatalf("%s by %v for %s…: the pre-aggregate should hold it", version, by, set[0].Label)
				}
				got, err := analytics.Figures(ctx, ch, set, def, by, analytics.Today(asOf))
				if err != nil {
					t.Fatalf("%s by %v for %s…: %v", version, by, set[0].Label, err)
				}
				want, err := oracle.Figures(set, def, by)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s by %v for %s…: ClickHouse and the oracle differ\n%s", version, by, set[0].Label, diff(got, want))
				}
				if got[0].N == 0 || got[len(got)-1].N == 0 {
					t.Errorf("%s by %v for %s…: an empty cohort proves little: %s", version, by, set[0].Label, figuresText(got))
				}
			}
		}
	}

	// The generator must make every definition non-trivial somewhere, or equality
	// proves little.
	for _, def := range definitions {
		if !nonEmpty[string(def.Kind)] {
			t.Errorf("%s: no cohort has a share strictly between 0 and 1; the generated histories are too thin", def.Kind)
		}
	}

	// Other days than the load's: half a year earlier (fewer months due, fewer WIOA
	// exits established) and a quarter later (the warehouse not reloaded since). The
	// same rows, so only the day's rules can differ.
	// And the eve and the day of the latest WIOA exit's 90th day, where that exit starts
	// to count.
	var lastWIOA time.Time
	if err := ch.QueryRow(ctx, `SELECT max(d) FROM (SELECT enrolment_key, wioa_exit_date AS d FROM enrolment_outcome WHERE deleted = 0 AND wioa_exit = 1 GROUP BY enrolment_key, d HAVING sum(sign) > 0)`).Scan(&lastWIOA); err != nil {
		t.Fatal(err)
	}
	days := []time.Time{day(2021, 12, 31), day(2022, 6, 14), asOf.AddDate(0, 3, 0),
		lastWIOA.AddDate(0, 0, outcomes.WIOAGapDays-1), lastWIOA.AddDate(0, 0, outcomes.WIOAGapDays)}
	nChanged := false
	for _, today := range days {
		for _, def := range definitions {
			version, _ := def.Version()
			for _, by := range [][]analytics.Dimension{nil, {analytics.DimExitMonth}} {
				got, err := analytics.Figures(ctx, ch, cohorts, def, by, analytics.Today(today))
				if err != nil {
					t.Fatalf("%s by %v on %s: %v", version, by, today.Format("2006-01-02"), err)
				}
				want, err := oracle.Figures(cohorts, def, by, analytics.Today(today))
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s by %v on %s: ClickHouse and the oracle differ\n%s", version, by, today.Format("2006-01-02"), diff(got, want))
				}
				onLoadDay, _ := oracle.Figures(cohorts, def, by)
				if by == nil && onLoadDay[2].N != want[2].N {
					nChanged = true
				}
			}
		}
	}
	if !nChanged {
		t.Error("no figure's n depends on the day: the due and WIOA rules are not exercised")
	}

	// No figure depends on merges: once ClickHouse has merged everything (the rows
	// collapsed, the aggregate summed), the figures are the same.
	for _, table := range []string{"enrolment_outcome", "enrolment_figures"} {
		if err := ch.Exec(ctx, "OPTIMIZE TABLE "+table+" FINAL"); err != nil {
			t.Fatal(err)
		}
	}
	for _, def := range definitions {
		version, _ := def.Version()
		for _, by := range [][]analytics.Dimension{{analytics.DimGender, analytics.DimAgeBand}, {analytics.DimMeasure, analytics.DimExitYear}} {
			if !analytics.AggregateHolds(cohorts, def, by, asOf) {
				continue // the rows alone, whose sums merges keep (chstore TestWriteCancelsEarlierRows)
			}
			got, err := analytics.Figures(ctx, ch, cohorts, def, by, analytics.Today(asOf))
			if err != nil {
				t.Fatal(err)
			}
			want, _ := oracle.Figures(cohorts, def, by)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s by %v after OPTIMIZE FINAL: ClickHouse and the oracle differ\n%s", version, by, diff(got, want))
			}
		}
	}

	for _, co := range cohorts {
		for _, from := range []outcomes.Origin{outcomes.FromStart, outcomes.FromExit} {
			for _, by := range [][]analytics.Dimension{nil, {analytics.DimGender}, {analytics.DimMeasure, analytics.DimExitYear}} {
				got, err := analytics.Survival(ctx, ch, co, from, by)
				if err != nil {
					t.Fatal(err)
				}
				want, err := oracle.Survival(co, from, by)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("survival of %s from %d by %v:\n got %+v\nwant %+v", co.Label, from, by, got, want)
				}
			}
		}
		got, err := analytics.Transitions(ctx, ch, co)
		if err != nil {
			t.Fatal(err)
		}
		want, err := oracle.Transitions(co)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("SUS transitions of %s: got %v, want %v", co.Label, got, want)
		}
		var buf bytes.Buffer
		if err := analytics.Microdata(ctx, ch, co, &buf); err != nil {
			t.Fatal(err)
		}
		// Every exited enrolment of the cohort, due or not: a definition without a due rule.
		figs, _ := oracle.Figures([]analytics.Cohort{co}, analytics.Definition{Kind: analytics.KindRepeatedEntry}, nil)
		if lines := strings.Count(buf.String(), "\n") - 1; lines != figs[0].N {
			t.Errorf("microdata of %s: %d rows, the cohort has %d enrolments", co.Label, lines, figs[0].N)
		}
		// And row for row, byte for byte, the oracle's CSV from PostgreSQL.
		var wantCSV bytes.Buffer
		if err := oracle.Microdata(co, keys, &wantCSV); err != nil {
			t.Fatal(err)
		}
		if got := buf.String(); got != wantCSV.String() {
			gl, wl := strings.Split(got, "\n"), strings.Split(wantCSV.String(), "\n")
			for i := 0; i < len(gl) && i < len(wl); i++ {
				if gl[i] != wl[i] {
					t.Errorf("microdata of %s differs from the oracle's at line %d:\n got %s\nwant %s", co.Label, i+1, gl[i], wl[i])
					break
				}
			}
			if len(gl) != len(wl) {
				t.Errorf("microdata of %s: %d lines, the oracle's %d", co.Label, len(gl), len(wl))
			}
		}
	}
}

// figuresText prints figures with their uncertainty for a failure message.
func figuresText(fs []analytics.Figure) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "\n  %s %v n %d known %d count %d interval %+v bounds %+v official %+v difference %+v standardised %+v",
			f.Cohort, f.Group, f.N, f.Known, f.Count, f.Interval, f.Bounds, f.Official, f.Difference, f.Standardised)
	}
	return b.String()
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func diff(got, want []analytics.Figure) string {
	key := func(f analytics.Figure) string {
		var parts []string
		for _, g := range f.Group {
			parts = append(parts, string(g.Dimension)+"="+g.Value)
		}
		return f.Cohort + " [" + strings.Join(parts, ", ") + "]"
	}
	text := func(f analytics.Figure) string {
		s := "-"
		if f.Share != nil {
			s = strconv.FormatFloat(*f.Share, 'f', 4, 64)
		}
		return fmt.Sprintf("n %d known %d count %d share %s version %s unit %s interval %+v bounds %+v official %+v difference %+v",
			f.N, f.Known, f.Count, s, f.Version, f.Unit, f.Interval, f.Bounds, f.Official, f.Difference)
	}
	g, w := map[string]string{}, map[string]string{}
	var keys []string
	for _, f := range got {
		g[key(f)] = text(f)
		keys = append(keys, key(f))
	}
	for _, f := range want {
		if _, ok := g[key(f)]; !ok {
			keys = append(keys, key(f))
		}
		w[key(f)] = text(f)
	}
	var b strings.Builder
	shown := 0
	for _, k := range keys {
		if g[k] != w[k] && shown < 12 {
			fmt.Fprintf(&b, "  %s\n    clickhouse: %s\n    oracle:     %s\n", k, g[k], w[k])
			shown++
		}
	}
	if shown == 0 {
		b.WriteString("  (same figures, different order)\n")
	}
	return b.String()
}

// generator writes random histories straight into PostgreSQL's tables.
type generator struct {
	rnd    *rand.Rand
	pg     *pgxpool.Pool
	asOf   time.Time
	serial int
	units  map[string][]string // org -> unit ids
	projs  map[string][]string // org -> project ids
	codes  map[string]map[string]string
}

var measures = []string{"extra_job", "labour_market_employment", "work_practice", "supported_employment", "adult_education"}

func (g *generator) organisation(t *testing.T, code string) string {
	t.Helper()
	ctx := context.Background()
	o := domaintest.OrganisationWith(t, g.pg, organisation.CreateInput{Code: code, Name: strings.ToUpper(code), Kind: organisation.Municipality})
	if g.units == nil {
		g.units, g.projs, g.codes = map[string][]string{}, map[string][]string{}, map[string]map[string]string{}
	}
	for _, name := range []string{"Stöd till arbete", "Ung intro"} {
		var id string
		if err := g.pg.QueryRow(ctx, `INSERT INTO unit (organisation_id, name) VALUES ($1, $2) RETURNING id`, o.ID, name).Scan(&id); err != nil {
			t.Fatal(err)
		}
		g.units[o.ID] = append(g.units[o.ID], id)
	}
	for _, name := range []string{"Kvinna hälsa arbete", "Familjefokus"} {
		var id string
		if err := g.pg.QueryRow(ctx, `INSERT INTO project (organisation_id, name, funder, start_date) VALUES ($1, $2, 'esf', '2015-01-01') RETURNING id`,
			o.ID, name).Scan(&id); err != nil {
			t.Fatal(err)
		}
		g.projs[o.ID] = append(g.projs[o.ID], id)
	}
	g.codes[o.ID] = map[string]string{}
	rows, err := g.pg.Query(ctx, `SELECT code, id FROM measure_type WHERE organisation_id = $1`, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var code, id string
		if err := rows.Scan(&code, &id); err != nil {
			t.Fatal(err)
		}
		g.codes[o.ID][code] = id
	}
	rows.Close()
	return o.ID
}

func (g *generator) pick(xs ...string) string { return xs[g.rnd.IntN(len(xs))] }

// maybe returns nil or a random one of xs.
func (g *generator) maybe(xs ...string) *string {
	if g.rnd.IntN(4) == 0 {
		return nil
	}
	s := g.pick(xs...)
	return &s
}

func (g *generator) maybeBool() *bool {
	if g.rnd.IntN(4) == 0 {
		return nil
	}
	b := g.rnd.IntN(2) == 0
	return &b
}

func (g *generator) date(from, to time.Time) time.Time {
	days := int(to.Sub(from).Hours() / 24)
	return from.AddDate(0, 0, g.rnd.IntN(days+1))
}

// histories writes n participants of org with random enrolments (sequences, overlaps,
// repeats of one measure, running ones), attribute sets, referrals and observations.
func (g *generator) histories(t *testing.T, org string, n int) {
	t.Helper()
	ctx := context.Background()
	b := &pgx.Batch{}
	lastDay := day(g.asOf.Year(), g.asOf.Month(), 1).AddDate(0, 1, -1)
	statuses := append([]string(nil), outcomes.Statuses...)
	for range n {
		g.serial++
		birth := g.date(day(1950, 1, 1), day(2006, 12, 31))
		if g.rnd.IntN(40) == 0 {
			birth = day(2000, 2, 29)
		}
		var pid string
		if err := g.pg.QueryRow(ctx, `INSERT INTO participant (organisation_id, personal_identity_number, gender, birth_date)
			VALUES ($1, $2, $3, $4) RETURNING id`, org, fmt.Sprintf("%s-%04d", birth.Format("20060102"), g.serial),
			g.pick("woman", "woman", "man", "man", "other", "not_stated"), birth).Scan(&pid); err != nil {
			t.Fatal(err)
		}
		first := g.date(day(2015, 1, 1), day(2021, 6, 30))
		// Enrolments: a chain, each starting some days after (or before) the previous end.
		start := first
		var spans [][2]time.Time
		taken := map[string][]spell{}
		for e := 0; e < 1+g.rnd.IntN(4) && !start.After(lastDay); e++ {
			code := g.pick(measures...)
			if e > 0 && g.rnd.IntN(3) == 0 {
				code = g.pick("extra_job", "work_practice") // re-entry to the same operation
			}
			var end *time.Time
			var reason *string
			if g.rnd.IntN(6) > 0 {
				d := start.AddDate(0, 0, g.rnd.IntN(540))
				if d.After(lastDay) {
					d = lastDay
				}
				r := g.pick(statuses...)
				end, reason = &d, &r
			}
			var unit, project *string
			if g.rnd.IntN(3) > 0 {
				u := g.units[org][g.rnd.IntN(2)]
				unit = &u
			}
			if g.rnd.IntN(2) == 0 {
				p := g.projs[org][g.rnd.IntN(2)]
				project = &p
			}
			// One person's spells in one measure may not overlap (the database refuses it):
			// a clashing draw moves to the first measure it does not clash with.
			if clashes(taken[code], start, end) {
				code = ""
				for _, c := range measures {
					if !clashes(taken[c], start, end) {
						code = c
						break
					}
				}
			}
			subsidised := g.maybeBool()
			if code != "" {
				b.Queue(`INSERT INTO enrolment (organisation_id, participant_id, measure_type_id, start_date, end_date, exit_reason,
					unit_id, project_id, subsidised) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
					org, pid, g.codes[org][code], start, end, reason, unit, project, subsidised)
				taken[code] = append(taken[code], spell{start, end})
			}
			if end == nil {
				spans = append(spans, [2]time.Time{start, lastDay})
				start = start.AddDate(0, 0, 30+g.rnd.IntN(400)) // a parallel measure may start later
				continue
			}
			spans = append(spans, [2]time.Time{start, *end})
			start = end.AddDate(0, 0, g.rnd.IntN(200)-20)
			if start.Before(spans[len(spans)-1][0]) {
				start = spans[len(spans)-1][0]
			}
		}
		// Attribute sets from before the first start.
		from := first.AddDate(0, -6, 0)
		for i, vf := range distinctDates(g, 1+g.rnd.IntN(3), from, lastDay) {
			if i == 0 && g.rnd.IntN(5) == 0 {
				continue // nothing recorded at first
			}
			days := (*int)(nil)
			if g.rnd.IntN(2) == 0 {
				d := g.pick("0", "200", "449", "450", "900")
				v, _ := strconv.Atoi(d)
				days = &v
			}
			b.Queue(`INSERT INTO participant_attributes (organisation_id, participant_id, valid_from, newly_arrived, birth_region,
				education_level, distance_category, registered_at_af, guarantee_days, disability, labour_market_status,
				support_source, recorded_by)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'property test')`,
				org, pid, vf, g.maybeBool(), g.maybe("sweden", "europe", "outside_europe"),
				g.maybe("pre_upper_secondary_short", "pre_upper_secondary", "upper_secondary", "post_secondary_short", "post_secondary_long"),
				g.maybe("green", "yellow", "red"), g.maybeBool(), days, g.maybeBool(),
				g.maybe("employed", "studying", "unemployed", "long_term_unemployed", "inactive"),
				g.maybe("social_assistance", "activity_support", "sickness_benefit", "wage", "none", "other"))
		}
		// Referrals: before, between and after the enrolments (re-entry), distinct dates.
		for _, rd := range distinctDates(g, g.rnd.IntN(4), first.AddDate(0, -3, 0), lastDay) {
			b.Queue(`INSERT INTO referral (organisation_id, participant_id, source, referral_date, ordered)
				VALUES ($1, $2, $3, $4, '{work_practice}')`, org, pid,
				g.pick("social_services", "af", "social_insurance", "region", "self", "other"), rd)
		}
		// Observations: dense or sparse, one to three sources a month, none after asOf.
		density := g.pick("0.15", "0.5", "0.85")
		p, _ := strconv.ParseFloat(density, 64)
		// Some people are in the social-assistance register every month (mostly without
		// a payment), so that "not back on social assistance" can be known.
		register := g.rnd.IntN(4) == 0
		for m := day(first.Year(), first.Month(), 1).AddDate(0, -2, 0); !m.After(lastDay); m = m.AddDate(0, 1, 0) {
			if register {
				paid := g.rnd.IntN(25) == 0
				b.Queue(`INSERT INTO outcome_observation (organisation_id, participant_id, month, status, social_assistance, source)
					VALUES ($1, $2, $3, 'unknown', $4, 'social_assistance_register')`, org, pid, m, paid)
			}
			if g.rnd.Float64() > p {
				continue
			}
			sources := []string{"phone_follow_up", "participant_survey", "social_assistance_register", "af_data", "sus", "employer", "caseworker"}
			g.rnd.Shuffle(len(sources), func(i, j int) { sources[i], sources[j] = sources[j], sources[i] })
			for _, src := range sources[:1+g.rnd.IntN(3)] {
				if register && src == "social_assistance_register" {
					continue // one observation per source and month
				}
				st := g.pick(statuses...)
				if g.rnd.IntN(3) == 0 { // runs of jobs and studies make lasting attachment happen
					st = g.pick(outcomes.StatusUnsubsidisedFull, outcomes.StatusUnsubsidisedPart, outcomes.StatusStudies)
				}
				b.Queue(`INSERT INTO outcome_observation (organisation_id, participant_id, month, status, social_assistance, source)
					VALUES ($1, $2, $3, $4, $5, $6)`, org, pid, m, st, g.maybeBool(), src)
			}
		}
	}
	if err := g.pg.SendBatch(ctx, b).Close(); err != nil {
		t.Fatalf("write histories: %v", err)
	}
}

// distinctDates returns n distinct random dates in [from, to], ascending.
func distinctDates(g *generator, n int, from, to time.Time) []time.Time {
	seen := map[time.Time]bool{}
	var out []time.Time
	for len(out) < n {
		d := g.date(from, to)
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Before(out[j-1]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// spell is a written enrolment's period; end nil while open (it runs on).
type spell struct {
	start time.Time
	end   *time.Time
}

// clashes reports whether [start, end] (end nil: open) overlaps one of the spells, end
// dates inclusive, as the database's exclusion constraint judges it.
func clashes(spells []spell, start time.Time, end *time.Time) bool {
	for _, s := range spells {
		startsBeforeItsEnd := s.end == nil || !start.After(*s.end)
		endsAfterItsStart := end == nil || !end.Before(s.start)
		if startsBeforeItsEnd && endsAfterItsStart {
			return true
		}
	}
	return false
}
