// Package analytics serves the outcome figures of issue 5 from the warehouse: shares per
// exit cohort under a versioned definition (status at +k, in work or studies,
// self-sufficient, lasting attachment, return to social assistance, re-entry, repeated
// entry, and the official Kolada, WIOA and ESF indicators), broken down by up to three
// characteristics, several cohorts side by side in one query; Kaplan–Meier curves of
// time to first job; the SUS transition table; and pseudonymised microdata as CSV.
// Every share carries its uncertainty (warehouse/stats, applied in uncertainty.go from
// the counts, the same Go for ClickHouse and the oracle): a Wilson interval,
// missing-data bounds, the official share of the official indicators, the difference
// from the first cohort, and optionally the share standardised to the first cohort's
// composition (a second scan, by strata).
//
// Figures of the definitions reports ask for at their standard parameters are answered
// from the pre-aggregate enrolment_figures for the whole months of their cohorts
// (aggregate.go, ClickHouse migration 0012), the rest of the period from the rows;
// FromRows forces the rows. Every row query is one scan of enrolment_outcome, read with
// `FROM enrolment_outcome WHERE deleted = 0` and counted by sign (sum(sign) for count(),
// sum(sign * x) for a count of rows where x holds) throughout this package: the table
// is a CollapsingMergeTree whose withdrawn rows are followed by cancel rows (ClickHouse
// migration 0011, chstore.Write), so no figure needs FINAL or depends on merges, and a
// cohort reads only the granules of its organisations and exit dates. The
// per-enrolment facts in that table are computed by the loader with the pure
// definitions of warehouse/outcomes; the only rules evaluated here in SQL are the
// per-month ones over status_after / sa_after (status at +k, in work or studies,
// self-sufficient, lasting attachment), which reproduce those definitions exactly.
// Oracle (oracle.go) recomputes every figure in Go from PostgreSQL so that tests can
// require the two to agree.
//
// Which exits a figure counts depends on the day it is asked on (Today; by default the
// current UTC date): figures at +k months count only exits whose month exit + k has
// begun, WIOA only exits established 90 days before. That day is a bound argument
// computed in Go, never the server's today(), so that tests are deterministic.
//
// SQL safety: the text of every statement is built from this package's own constants
// (whitelisted column expressions, integers it has validated and formatted itself, such
// as months, horizons and the warehouse's status codes of validated status names);
// every other string that comes from a caller (organisation ids, measure codes, ESF
// results, dates) is a bound argument.
//
// ClickHouse 18.16: no window functions and no WITH ROLLUP, so totals are summed in Go
// from the grouped rows; several cohorts are one scan with arrayJoin over the indexes
// of the cohorts a row is in (figuresSQL); no lambda captures a column (see
// lastingExprs); no IN over a literal tuple in a select list (see esfExprs); every call
// carries a deadline. status_after holds status codes (snapshot.StatusCodes), not names.
package analytics

import (
	"fmt"
	"slices"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/warehouse/stats"
)

// Dimension is a characteristic figures can be broken down by. Only the values below
// exist; each maps to a fixed SQL expression. PROJECT and UNIT values are the
// organisation's code and the name, "uppsala/Stöd till arbete" (empty: none recorded),
// because a name alone would merge same-named units of different municipalities.
type Dimension string

// The breakdowns (issue 5): characteristics at the start of the measure, and the exit
// cohort by year, quarter or month.
const (
	DimGender           Dimension = "GENDER"
	DimAgeBand          Dimension = "AGE_BAND" // age band at start; ESF figures use ESF's entry bands
	DimMeasure          Dimension = "MEASURE"
	DimProject          Dimension = "PROJECT"      // "org code/name", e.g. "uppsala/Kvinna hälsa arbete"; "" none
	DimUnit             Dimension = "UNIT"         // "org code/name", e.g. "uppsala/Stöd till arbete"; "" none
	DimMunicipality     Dimension = "MUNICIPALITY" // the organisation's code
	DimNewlyArrived     Dimension = "NEWLY_ARRIVED"
	DimBirthRegion      Dimension = "BIRTH_REGION"
	DimEducationLevel   Dimension = "EDUCATION_LEVEL"
	DimDistanceCategory Dimension = "DISTANCE_CATEGORY"
	DimReferralSource   Dimension = "REFERRAL_SOURCE"
	DimExitYear         Dimension = "EXIT_YEAR"    // "2018"
	DimExitQuarter      Dimension = "EXIT_QUARTER" // "2018-Q1"
	DimExitMonth        Dimension = "EXIT_MONTH"   // "2018-03"
)

// Dimensions lists every dimension in a stable order.
var Dimensions = []Dimension{DimGender, DimAgeBand, DimMeasure, DimProject, DimUnit, DimMunicipality,
	DimNewlyArrived, DimBirthRegion, DimEducationLevel, DimDistanceCategory, DimReferralSource,
	DimExitYear, DimExitQuarter, DimExitMonth}

// MaxDimensions is the largest number of dimensions one breakdown may combine.
const MaxDimensions = 3

// Values of DimNewlyArrived (the column is -1 unknown, 0 no, 1 yes).
const (
	NewlyArrivedYes     = "yes"
	NewlyArrivedNo      = "no"
	NewlyArrivedUnknown = "unknown"
)

// dateToken stands for the date column a figure's cohort is defined on (exit_date, or
// wioa_exit_date for WIOA) in the exit-period expressions.
const dateToken = "{date}"

// dimensionSQL is the whitelist: dimension -> SQL expression of type String. Empty
// string values mean "not recorded" (no project, no unit, no attributes at start).
var dimensionSQL = map[Dimension]string{
	DimGender:           "gender",
	DimAgeBand:          "age_band",
	DimMeasure:          "measure_code",
	DimProject:          "if(project = '', '', concat(org_code, '/', project))",
	DimUnit:             "if(unit = '', '', concat(org_code, '/', unit))",
	DimMunicipality:     "org_code",
	DimNewlyArrived:     "multiIf(newly_arrived = 1, 'yes', newly_arrived = 0, 'no', 'unknown')",
	DimBirthRegion:      "birth_region",
	DimEducationLevel:   "education_level",
	DimDistanceCategory: "distance_category",
	DimReferralSource:   "referral_source",
	// toString(Date) is 'YYYY-MM-DD' on every server version.
	DimExitYear:    "substring(toString(" + dateToken + "), 1, 4)",
	DimExitQuarter: "concat(toString(toYear(" + dateToken + ")), '-Q', toString(toQuarter(" + dateToken + ")))",
	DimExitMonth:   "substring(toString(" + dateToken + "), 1, 7)",
}

// ValidDimension reports whether d is one of Dimensions.
func ValidDimension(d Dimension) bool { _, ok := dimensionSQL[d]; return ok }

// validateDimensions refuses unknown and repeated dimensions and more than
// MaxDimensions.
func validateDimensions(by []Dimension) error {
	if len(by) > MaxDimensions {
		return apperr.Invalidf("breakdowns", "at most %d dimensions can be combined, got %d", MaxDimensions, len(by))
	}
	for i, d := range by {
		if !ValidDimension(d) {
			return apperr.Invalidf(fmt.Sprintf("breakdowns[%d]", i), "unknown dimension %q", string(d))
		}
		if slices.Contains(by[:i], d) {
			return apperr.Invalidf(fmt.Sprintf("breakdowns[%d]", i), "dimension %s given twice", d)
		}
	}
	return nil
}

// Cohort is an exit cohort: the enrolments of the given organisations whose actual end
// date falls in [ExitFrom, ExitTo) (dates; the clock time and location are ignored),
// optionally only of some measures. WIOA figures take the WIOA exit date instead, and
// ESF figures the exit date of the record's last spell.
type Cohort struct {
	Label        string
	OrgIDs       []string
	ExitFrom     time.Time
	ExitTo       time.Time
	MeasureCodes []string // empty: every measure
}

// MaxCohorts bounds how many cohorts one query compares: the one limit, which the API
// (outcomeFigures) states in its schema and refuses above.
const MaxCohorts = 6

// dateText is t's calendar date as ClickHouse's toDate reads it.
func dateText(t time.Time) string { return t.Format("2006-01-02") }

// calendarDay drops t's clock time, keeping its calendar date.
func calendarDay(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

func (c Cohort) validate(field string) error {
	return ValidateCohort(c, field+".organisationIds", field+".exitFrom", field+".exitTo")
}

// ValidateCohort is the rule for one cohort: at least one organisation and an exit
// period that passes ValidatePeriod. Every fault is reported (an apperr.List), on the
// field names the caller's input uses: the GraphQL input's, the microdata URL's
// parameters, the CLI's flags.
func ValidateCohort(c Cohort, orgField, fromField, toField string) error {
	var errs apperr.List
	if len(c.OrgIDs) == 0 {
		errs.Add(apperr.Invalidf(orgField, "no organisation to report on"))
	}
	for _, e := range apperr.All(ValidatePeriod(fromField, toField, c.ExitFrom, c.ExitTo)) {
		errs.Add(e)
	}
	return errs.Err()
}

// ValidatePeriod checks an exit period [from, to) by the rule every query of this
// package applies to its cohorts: both ends given; from before to as calendar dates (the
// clock time and location are ignored); within 1970-2105, the years a ClickHouse Date
// holds. The error is INVALID and names fromField or toField, whichever end is at
// fault (toField for an empty period). Callers that read a period from elsewhere (the
// microdata endpoint's URL) use it to refuse a bad period before doing anything else.
func ValidatePeriod(fromField, toField string, from, to time.Time) error {
	switch {
	case from.IsZero():
		return apperr.Invalidf(fromField, "the exit period needs both ends")
	case to.IsZero():
		return apperr.Invalidf(toField, "the exit period needs both ends")
	}
	f, t := calendarDay(from), calendarDay(to)
	switch {
	case !f.Before(t):
		return apperr.Invalidf(toField, "the exit period is empty (%s to %s)", dateText(f), dateText(t))
	case f.Year() < 1970:
		return apperr.Invalidf(fromField, "the exit period must lie within 1970-2105")
	case t.Year() > 2105:
		return apperr.Invalidf(toField, "the exit period must lie within 1970-2105")
	}
	return nil
}

// Option sets how Figures (and Oracle.Figures) is asked.
type Option func(*settings)

type settings struct {
	today    time.Time   // a calendar date, UTC midnight
	strata   []Dimension // StandardiseBy
	rowsOnly bool        // FromRows
}

// FromRows makes Figures read every row of enrolment_outcome instead of the aggregate
// (enrolment_figures) where the aggregate holds the figure: the same figures, slower.
// Tests use it to compare the two paths; the oracle ignores it.
func FromRows() Option {
	return func(s *settings) { s.rowsOnly = true }
}

// Today sets the day the figures are asked on; by default it is the current date (UTC).
// It decides which rows are counted at all: a figure at +k months (STATUS_AT,
// IN_WORK_OR_STUDIES, SELF_SUFFICIENT, and LASTING at its largest horizon) counts only
// exits whose calendar month exit + k has begun by it, and WIOA counts only exits with
// exit date + 90 days on or before it. Tests set it so that their figures do not move
// with the calendar. Only its calendar date is used.
func Today(t time.Time) Option {
	return func(s *settings) { s.today = calendarDay(t) }
}

func settingsOf(opts []Option, defaultToday time.Time) settings {
	s := settings{today: calendarDay(defaultToday)}
	for _, o := range opts {
		o(&s)
	}
	return s
}

// ValidateCohorts is the one rule for the cohorts a query compares: 1 to MaxCohorts,
// each naming at least one organisation and a valid exit period (ValidatePeriod), no
// label twice. Every query of this package applies it; callers that build cohorts from
// a request (the GraphQL API) call it to refuse bad input before anything else.
func ValidateCohorts(cohorts []Cohort) error { return validateCohorts(cohorts) }

func validateCohorts(cohorts []Cohort) error {
	if len(cohorts) == 0 {
		return apperr.Invalidf("cohorts", "no cohort given")
	}
	if len(cohorts) > MaxCohorts {
		return apperr.Invalidf("cohorts", "at most %d cohorts can be compared, got %d", MaxCohorts, len(cohorts))
	}
	for i, c := range cohorts {
		if err := c.validate(fmt.Sprintf("cohorts[%d]", i)); err != nil {
			return err
		}
		for _, o := range cohorts[:i] {
			if o.Label == c.Label {
				return apperr.Invalidf(fmt.Sprintf("cohorts[%d].label", i), "cohort label %q is used twice", c.Label)
			}
		}
	}
	return nil
}

// GroupValue is one coordinate of a breakdown group.
type GroupValue struct {
	Dimension Dimension
	Value     string
}

// Figure is one share of one cohort, overall (Group empty) or in one group, with its
// uncertainty (warehouse/stats). Everything after Version is computed in Go from the
// counts, by the same code for ClickHouse and the oracle (assemble).
type Figure struct {
	Cohort  string
	Group   []GroupValue // nil: the cohort's total
	N       int          // rows of Unit in the cohort or group
	Known   int          // of which the fact is known
	Count   int          // of which the fact is known and true
	Share   *float64     // Count / Known; nil when Known is 0
	Version string       // the definition's version

	// Unit is what one row of N is: an exited enrolment, a WIOA period of participation,
	// an ESF participation (one person in one operation) or a person.
	Unit Unit
	// Interval is the 95 % Wilson interval of Share (Count of Known); nil with Share.
	Interval *stats.Interval
	// Bounds are the missing-data bounds over N: the share of N if no unknown met the
	// definition (Count / N) and if every unknown did ((Count + N − Known) / N); nil
	// when N is 0.
	Bounds *stats.Bounds
	// Official is the publisher's own share for the official indicators (Kolada, ESF,
	// WIOA), with the denominator the publisher divides by; nil for our definitions.
	Official *Official
	// Difference is this figure's share minus the first cohort's share of the same
	// group, with its 95 % interval (stats.Newcombe); nil for the first cohort, and when
	// either share is missing.
	Difference *Difference
	// Standardised is this cohort's share reweighted to the first cohort's composition
	// (StandardiseBy); only on the totals of the cohorts after the first.
	Standardised *Standardised
}

func groupSet(values []string) clickhouse.GroupSet {
	set := clickhouse.GroupSet{Value: make([]any, len(values))}
	for i, v := range values {
		set.Value[i] = v
	}
	return set
}
