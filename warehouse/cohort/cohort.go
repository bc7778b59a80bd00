// Package cohort answers outcome questions about exit cohorts from the warehouse.
package cohort

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/bounds"
	"github.com/arbetsmarknad/outcomes/internal/platform/calendar"
	"github.com/arbetsmarknad/outcomes/warehouse/analytics"
	"github.com/arbetsmarknad/outcomes/warehouse/chstore"
	"github.com/arbetsmarknad/outcomes/warehouse/snapshot"
	"github.com/arbetsmarknad/outcomes/warehouse/stats"
)

// DefinitionVersion names the rules below; it is shown on every figure so that figures
// computed under different rules are never compared by mistake.
//
// exit-cohort/2:
//   - exit cohort: enrolments whose actual end date falls in the calendar year;
//   - status at +k: the status in calendar month (exit month + k) by the one rule,
//     outcomes.StatusVersion (a month nobody observed is unknown);
//   - in work or studies: outcomes.WorkOrStudiesSet;
//   - the figures are exactly the evaluators' IN_WORK_OR_STUDIES at +6 and +12 by
//     GENDER (warehouse/analytics, in-work-or-studies/1?k=…), computed by the same query:
//     n counts the enrolments whose month +k has begun (as of asOf); known those of them
//     with a known status; share = in work or studies / known (null when none known).
//
// exit-cohort/1 had a status rule of its own (warehouse/snapshot's: the employer before
// AF's data, and "other measure" filled in from our enrolment records when nobody had
// observed the month), so a steering group could see a person counted differently from
// the evaluators' figures for the same cohort.
const DefinitionVersion = "exit-cohort/2"

// Figure is one outcome share with its counts.
type Figure struct {
	MonthsAfterExit int
	N               int // exits whose +k month has come
	Known           int
	Unknown         int
	InWorkOrStudies int
	Share           *float64        // InWorkOrStudies / Known
	Interval        *stats.Interval // Wilson 95 % of Share (warehouse/stats); nil with it
	Bounds          *stats.Bounds   // missing-data bounds over N; nil when N is 0
	// AllDue: every exit of the year has its +k month begun (analytics.EveryExitDue), so
	// N is the year's exits, and a reader who knows the calendar knows it.
	AllDue bool
}

// Breakdown holds the figures of one group ("" gender = all).
type Breakdown struct {
	Gender  string
	Exits   int
	Figures []Figure // at +6 and +12
}

// Result is an exit cohort's outcome.
type Result struct {
	ExitYear          int
	AsOf              time.Time
	DefinitionVersion string
	Total             Breakdown
	ByGender          []Breakdown
}

// Horizons are the months after exit the steering group's exit-cohort figures report
// (DOMAIN.md: "outcome at +6 / +12 months"): this query's, and the steering report's
// in-work-or-studies tables (report.outcomeDefs).
var Horizons = []int{6, 12}

// The gender rows steering groups read (DOMAIN.md: every figure split by women and
// men): women, men, and every other gender code (other, not stated) as one row, as the
// steering report shows them. exitCohortOutcome shows the codes apart, so the merged row,
// a cell of the report, is protected there too (disclosure.ExitCohort).
const (
	GenderRowWomen = iota
	GenderRowMen
	GenderRowOthers
)

// GenderRow is the steering row of a gender code ("woman", "man", "other", "not_stated").
func GenderRow(code string) int {
	switch code {
	case "woman":
		return GenderRowWomen
	case "man":
		return GenderRowMen
	}
	return GenderRowOthers
}

// Family is the exit-cohort results of one year that a reader can put side by side and
// combine. For a regional reader it is each member municipality granted to them and
// their sum (the regional body's figure), whichever of them was asked: a count hidden in
// one answer must not be the sum minus the others' shown counts of another answer, so
// all of them are protected as one system (internal/domain/disclosure). For anyone else
// it is the one result asked.
type Family struct {
	// Results: with Summed, Results[0] is the sum of Results[1:] (the members, in the
	// order of their ids).
	Results []Result
	Summed  bool
	// Asked is the index of the result the reader asked for.
	Asked int
}

// ExitYearFor is the Family of the exit year for the organisation a caller asks about:
// the organisations the request covers are the caller's aggregate scope of orgID (a
// regional reader's own regional body sums the member municipalities granted to them),
// and the year must pass ValidateYear.
func ExitYearFor(ctx context.Context, conn chstore.Querier, caller auth.Principal, orgID string, exitYear int, asOf time.Time) (Family, error) {
	orgs, ok := caller.AggregateScope(orgID)
	if !ok {
		return Family{}, auth.Forbidden("organisationId", "figures of this organisation")
	}
	if err := ValidateYear(exitYear); err != nil {
		return Family{}, err
	}
	members := caller.RegionalMembers(caller.OrgID)
	asked := slices.Index(members, orgID) + 1 // 0: the regional body itself
	if !caller.SuppressSmallCounts() || len(members) == 0 || (asked == 0 && orgID != caller.OrgID) {
		res, err := ExitYear(ctx, conn, orgs, exitYear, asOf)
		return Family{Results: []Result{res}}, err
	}
	members = slices.Clone(members)
	sort.Strings(members)
	if asked > 0 {
		asked = slices.Index(members, orgID) + 1
	}
	fam := Family{Summed: true, Asked: asked}
	for i := -1; i < len(members); i++ {
		scope := members
		if i >= 0 {
			scope = members[i : i+1]
		}
		res, err := ExitYear(ctx, conn, scope, exitYear, asOf)
		if err != nil {
			return Family{}, err
		}
		fam.Results = append(fam.Results, res)
	}
	return fam, nil
}

// ExitYear computes the outcome at +6 and +12 months for the enrolments of the given
// organisations (one municipality, or the members of a regional body) that ended in
// exitYear, by gender. It delegates to warehouse/analytics, so that the steering figure
// and the evaluators' figure of the same cohort are one computation.
func ExitYear(ctx context.Context, conn chstore.Querier, orgIDs []string, exitYear int, asOf time.Time) (Result, error) {
	// The day is the date in Sweden, the one "today" of every rule (calendar.Today): the
	// loader's months and outcomeFigures use it, so near midnight a month has begun for
	// both while it has not yet in UTC.
	asOf = snapshot.Month(calendar.Today(asOf))
	co := analytics.Cohort{Label: strconv.Itoa(exitYear), OrgIDs: orgIDs,
		ExitFrom: time.Date(exitYear, 1, 1, 0, 0, 0, 0, time.UTC), ExitTo: time.Date(exitYear+1, 1, 1, 0, 0, 0, 0, time.UTC)}
	if err := analytics.ValidateCohort(co, "organisationId", "exitYear", "exitYear"); err != nil {
		return Result{}, err
	}
	res := Result{ExitYear: exitYear, AsOf: asOf, DefinitionVersion: DefinitionVersion}
	by := []analytics.Dimension{analytics.DimGender}
	exits, err := analytics.Exits(ctx, conn, co, by)
	if err != nil {
		return res, fmt.Errorf("exit cohort: %w", err)
	}
	byGender := map[string]*Breakdown{}
	var genders []string
	for _, f := range exits {
		if f.Group == nil {
			res.Total.Exits = f.N
			continue
		}
		g := f.Group[0].Value
		genders = append(genders, g)
		byGender[g] = &Breakdown{Gender: g, Exits: f.N}
	}
	for _, k := range Horizons {
		def := analytics.InWorkOrStudiesAt(k)
		figs, err := analytics.Figures(ctx, conn, []analytics.Cohort{co}, def, by, analytics.Today(asOf))
		if err != nil {
			return res, fmt.Errorf("exit cohort at +%d: %w", k, err)
		}
		allDue := analytics.EveryExitDue(def, co.ExitTo, asOf)
		got := map[string]analytics.Figure{}
		for _, f := range figs {
			if f.Group == nil {
				res.Total.Figures = append(res.Total.Figures, figure(k, f, allDue))
			} else {
				got[f.Group[0].Value] = f
			}
		}
		for _, g := range genders {
			byGender[g].Figures = append(byGender[g].Figures, figure(k, got[g], allDue)) // a group with no due exit: zeros
		}
	}
	for _, g := range genders {
		res.ByGender = append(res.ByGender, *byGender[g])
	}
	return res, nil
}

func figure(k int, f analytics.Figure, allDue bool) Figure {
	out := Figure{MonthsAfterExit: k, N: f.N, Known: f.Known, Unknown: f.N - f.Known, InWorkOrStudies: f.Count, Share: f.Share, AllDue: allDue}
	if iv, ok := stats.Wilson(f.Count, f.Known); ok {
		out.Interval = &iv
	}
	if b, ok := stats.MissingBounds(f.Count, f.Known, f.N); ok {
		out.Bounds = &b
	}
	return out
}

// ValidateYear rejects exit years outside the range the system can hold.
func ValidateYear(year int) error {
	if !bounds.RecordYearOK(year) {
		return apperr.Invalidf("exitYear", "exit year must be %s", bounds.RecordYears())
	}
	return nil
}
