package analytics

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/calendar"
	"github.com/arbetsmarknad/outcomes/warehouse/chstore"
	"github.com/arbetsmarknad/outcomes/warehouse/outcomes"
	"github.com/arbetsmarknad/outcomes/warehouse/stats"
)

// counts are the tallies of one cohort or group.
type counts struct{ n, known, count int }

// tally collects counts per cohort: the total, and per group key (values joined by
// groupSep) the groups.
type tally struct {
	totals []counts
	groups []map[string]*counts
}

const groupSep = "\x00"

func newTally(cohorts int) *tally {
	t := &tally{totals: make([]counts, cohorts), groups: make([]map[string]*counts, cohorts)}
	for i := range t.groups {
		t.groups[i] = map[string]*counts{}
	}
	return t
}

// add counts rows of one cohort: always in the total, in the group only when inGroups
// (and when there is a breakdown at all).
func (t *tally) add(cohort int, values []string, inGroups bool, c counts) {
	tot := &t.totals[cohort]
	tot.n, tot.known, tot.count = tot.n+c.n, tot.known+c.known, tot.count+c.count
	if !inGroups || len(values) == 0 {
		return
	}
	key := strings.Join(values, groupSep)
	g := t.groups[cohort][key]
	if g == nil {
		g = &counts{}
		t.groups[cohort][key] = g
	}
	g.n, g.known, g.count = g.n+c.n, g.known+c.known, g.count+c.count
}

// figures turns a tally into Figures: per cohort in the given order, the total first,
// then the groups ordered by their values.
func (t *tally) figures(cohorts []Cohort, by []Dimension, version string) []Figure {
	var out []Figure
	for ci, co := range cohorts {
		out = append(out, makeFigure(co.Label, nil, t.totals[ci], version))
		for _, k := range sortedKeys(t.groups[ci]) {
			group := groupOf(by, k)
			out = append(out, makeFigure(co.Label, group, *t.groups[ci][k], version))
		}
	}
	return out
}

func makeFigure(cohort string, group []GroupValue, c counts, version string) Figure {
	f := Figure{Cohort: cohort, Group: group, N: c.n, Known: c.known, Count: c.count, Version: version}
	if c.known > 0 {
		s := float64(c.count) / float64(c.known)
		f.Share = &s
	}
	return f
}

// Figures computes def for each cohort, overall and broken down by up to three
// dimensions, in one ClickHouse query (two with StandardiseBy). The result holds, per
// cohort in the given order, the total (Group nil) and then one figure per non-empty
// group, ordered by the group's values. For ESF definitions, records with missing data
// count in the totals only, so the groups may sum to less than the total. Which rows
// count depends on the day the figures are asked on (Today; by default the current
// date): see compiled.population. Every figure carries its uncertainty (see Figure).
func Figures(ctx context.Context, conn chstore.Querier, cohorts []Cohort, def Definition, by []Dimension, opts ...Option) ([]Figure, error) {
	s := settingsOf(opts, calendar.Today(time.Now()))
	c, err := prepareFigures(cohorts, def, by, s)
	if err != nil {
		return nil, err
	}
	t, err := chTally(ctx, conn, cohorts, c, by, s)
	if err != nil {
		return nil, err
	}
	var strata *tally
	if len(s.strata) > 0 {
		if strata, err = chTally(ctx, conn, cohorts, c, s.strata, s); err != nil {
			return nil, err
		}
	}
	return assemble(cohorts, c, by, t, s.strata, strata), nil
}

// chTally tallies the figures of the cohorts: the parts of their periods the aggregate
// holds from enrolment_figures (aggregateSQL), the rest from enrolment_outcome
// (figuresSQL), added up per cohort (planFigures).
func chTally(ctx context.Context, conn chstore.Querier, cohorts []Cohort, c compiled, by []Dimension, s settings) (*tally, error) {
	t := newTally(len(cohorts))
	p := planFigures(cohorts, c, by, s.today, s.rowsOnly)
	if len(p.aggPart) > 0 {
		query, args, route := aggregateSQL(p, c, by, s.today)
		if err := aggTally(smallRead(ctx), conn, query, args, route, p.aggPart, len(by), t); err != nil {
			return nil, err
		}
	}
	if len(p.rowPart) > 0 {
		query, args := figuresSQL(cohortsOf(p.rowPart), c, by, s.today)
		if err := runTally(ctx, conn, query, args, p.rowPart, len(by), t); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// smallRead marks a query that reads a few granules of the aggregate, where ClickHouse's
// cost is setting the read up rather than reading. It keeps their decompressed blocks in
// its uncompressed cache: without it every such query decompresses (and allocates) a
// whole compressed block per column and part it touches (on ClickHouse 18.16 a
// municipality group's figure read 1.5 MB and allocated 19 MB for five granules, and used
// a fifth to a half more CPU than with the cache). Large scans bypass the cache by
// themselves (merge_tree_max_rows_to_use_cache), so the row queries are left alone rather
// than evicting the aggregate's blocks. And it reads the filter's columns together with
// the rest rather than first (no PREWHERE): two passes over a few granules cost more set-up
// than they save (a tenth of a group figure's time on 18.16, docs/BENCHMARKS.md). The
// thread count is left alone although one thread would read such a figure a millisecond
// sooner on a single server: on a cluster (the front is a Distributed table)
// max_threads = 1 makes ClickHouse query the shards one after another, and some releases
// hang with it when a shard is local (ClickHouse issues 10141, 56256).
func smallRead(ctx context.Context) context.Context {
	return clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"use_uncompressed_cache": 1, "optimize_move_to_prewhere": 0}))
}

// runTally runs a figures statement whose cohort indexes are those of pieces and adds
// its rows to t under the pieces' cohorts.
func runTally(ctx context.Context, conn chstore.Querier, query string, args []any, pieces []piece, dims int, t *tally) error {
	values := make([]string, dims)
	dest := make([]any, 0, dims+5)
	var (
		cohort           uint16
		inGroups         uint8
		n, known, counts int64
	)
	dest = append(dest, &cohort)
	for i := range values {
		dest = append(dest, &values[i])
	}
	dest = append(dest, &inGroups, &n, &known, &counts)
	return eachRow(ctx, conn, query, args, dest, func() error {
		if int(cohort) >= len(pieces) {
			return fmt.Errorf("figures row: cohort %d out of range", cohort)
		}
		t.add(pieces[cohort].idx, values, inGroups == 1, countsOf(n, known, counts))
		return nil
	})
}

// eachRow runs a figures statement (with the call deadline) and calls each once every
// row has been scanned into dest.
func eachRow(ctx context.Context, conn chstore.Querier, query string, args []any, dest []any, each func() error) error {
	cctx, cancel := context.WithTimeout(ctx, chstore.CallTimeout)
	defer cancel()
	rows, err := conn.Query(cctx, query, args...)
	if err != nil {
		return fmt.Errorf("figures query: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("figures row: %w", err)
		}
		if err := each(); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("figures rows: %w", err)
	}
	return nil
}

func countsOf(n, known, count int64) counts {
	return counts{n: int(n), known: int(known), count: int(count)}
}

// Curve is a Kaplan–Meier curve of time to first unsubsidised job for one cohort or
// group.
type Curve struct {
	Cohort string
	Group  []GroupValue // nil: the cohort's total
	Origin outcomes.Origin
	N      int // subjects (enrolments of the cohort with a duration)
	Events int // of which had a first job
	Points []outcomes.KMPoint
	// Intervals are the 95 % intervals of each point's Employed (stats.Greenwood), nil
	// where undefined (before the first event, and once no one is left without a job).
	Intervals []*stats.Interval
	Version   string // outcomes.TimeToFirstJobVersion
	Estimator string // outcomes.KaplanMeierVersion
}

// durations collects survival subjects per cohort total and group.
type durations struct {
	total  []outcomes.Duration
	groups map[string][]outcomes.Duration
}

func (d *durations) add(values []string, months int, event bool, n int) {
	key := strings.Join(values, groupSep)
	for range n {
		x := outcomes.Duration{Months: months, Event: event}
		d.total = append(d.total, x)
		if len(values) > 0 {
			d.groups[key] = append(d.groups[key], x)
		}
	}
}

func (d *durations) curves(co Cohort, from outcomes.Origin, by []Dimension) []Curve {
	curve := func(group []GroupValue, ds []outcomes.Duration) Curve {
		c := Curve{Cohort: co.Label, Group: group, Origin: from, N: len(ds), Points: outcomes.KaplanMeier(ds),
			Version: outcomes.TimeToFirstJobVersion, Estimator: outcomes.KaplanMeierVersion}
		steps := make([]stats.KMStep, len(c.Points))
		for i, p := range c.Points {
			steps[i] = stats.KMStep{AtRisk: p.AtRisk, Events: p.Events, Survival: p.Survival}
		}
		c.Intervals = stats.Greenwood(steps)
		for _, x := range ds {
			if x.Event {
				c.Events++
			}
		}
		return c
	}
	out := []Curve{curve(nil, d.total)}
	for _, k := range sortedKeys(d.groups) {
		group := groupOf(by, k)
		out = append(out, curve(group, d.groups[k]))
	}
	return out
}

func validOrigin(from outcomes.Origin) error {
	if from != outcomes.FromStart && from != outcomes.FromExit {
		return apperr.Invalidf("from", "unknown origin %d", int(from))
	}
	return nil
}

// Survival returns the Kaplan–Meier curves of time to first unsubsidised job (rules of
// outcomes.TimeToFirstJobVersion), counted from the start or the exit of each enrolment
// of the exit cohort: the cohort's total curve first, then one per group. ClickHouse
// counts the durations (months, event) per group; the curve is outcomes.KaplanMeier.
func Survival(ctx context.Context, conn chstore.Querier, cohort Cohort, from outcomes.Origin, by []Dimension) ([]Curve, error) {
	if err := prepareSurvival(cohort, from, by); err != nil {
		return nil, err
	}
	query, args := survivalSQL(cohort, from, by)
	cctx, cancel := context.WithTimeout(ctx, chstore.CallTimeout)
	defer cancel()
	rows, err := conn.Query(cctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("survival query: %w", err)
	}
	defer rows.Close()
	d := &durations{groups: map[string][]outcomes.Duration{}}
	values := make([]string, len(by))
	var (
		months int32
		event  uint8
		n      int64
	)
	dest := make([]any, 0, len(by)+3)
	for i := range values {
		dest = append(dest, &values[i])
	}
	dest = append(dest, &months, &event, &n)
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("survival row: %w", err)
		}
		d.add(values, int(months), event == 1, int(n))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("survival rows: %w", err)
	}
	return d.curves(cohort, from, by), nil
}

// susIndex is the row or column of a SUS category in outcomes.SUSCategories; anything
// else counts as unknown, as outcomes.TransitionTable does.
func susIndex(category string) int {
	for i, c := range outcomes.SUSCategories {
		if c == category {
			return i
		}
	}
	return len(outcomes.SUSCategories) - 1
}

// Transitions is the SUS before/after table (rules of outcomes.SUSVersion) of the exit
// cohort: table[i][j] counts enrolments with before = outcomes.SUSCategories[i] and
// after = outcomes.SUSCategories[j].
func Transitions(ctx context.Context, conn chstore.Querier, cohort Cohort) ([5][5]int, error) {
	var table [5][5]int
	if err := cohort.validate("cohort"); err != nil {
		return table, err
	}
	query, args := transitionsSQL(cohort)
	cctx, cancel := context.WithTimeout(ctx, chstore.CallTimeout)
	defer cancel()
	rows, err := conn.Query(cctx, query, args...)
	if err != nil {
		return table, fmt.Errorf("transitions query: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var before, after string
		var n int64
		if err := rows.Scan(&before, &after, &n); err != nil {
			return table, fmt.Errorf("transitions row: %w", err)
		}
		table[susIndex(before)][susIndex(after)] += int(n)
	}
	if err := rows.Err(); err != nil {
		return table, fmt.Errorf("transitions rows: %w", err)
	}
	return table, nil
}

// prepareFigures checks a figures request (the same for ClickHouse and the oracle) and
// compiles its definition.
func prepareFigures(cohorts []Cohort, def Definition, by []Dimension, s settings) (compiled, error) {
	c, err := compile(def)
	if err != nil {
		return c, err
	}
	if err := validateDimensions(by); err != nil {
		return c, err
	}
	if err := validateStrata(s.strata); err != nil {
		return c, err
	}
	return c, validateCohorts(cohorts)
}

// prepareSurvival checks a survival request (the same for ClickHouse and the oracle).
func prepareSurvival(cohort Cohort, from outcomes.Origin, by []Dimension) error {
	if err := validOrigin(from); err != nil {
		return err
	}
	if err := validateDimensions(by); err != nil {
		return err
	}
	return cohort.validate("cohort")
}

// sortedKeys returns a tally's group keys ordered by their values, dimension by dimension.
func sortedKeys[V any](groups map[string]V) []string {
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		return slices.Compare(strings.Split(a, groupSep), strings.Split(b, groupSep))
	})
	return keys
}

// groupOf turns a group key back into its breakdown values.
func groupOf(by []Dimension, key string) []GroupValue {
	values := strings.Split(key, groupSep)
	group := make([]GroupValue, len(by))
	for i, d := range by {
		group[i] = GroupValue{Dimension: d, Value: values[i]}
	}
	return group
}

// Exits counts the cohort's exited enrolments, due or not, overall and by the
// dimensions: Figure.N is the number of exits (Known and Count are those of
// REPEATED_ENTRY, which every exit has, and mean nothing here). It is the "exits" of
// exitCohortOutcome, read by the same query as the figures beside it.
func Exits(ctx context.Context, conn chstore.Querier, cohort Cohort, by []Dimension) ([]Figure, error) {
	return Figures(ctx, conn, []Cohort{cohort}, Definition{Kind: KindRepeatedEntry}, by)
}
