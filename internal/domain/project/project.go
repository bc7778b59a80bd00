// Package project holds projects (with funder, period and target group) and targets
// (per period and scope, optionally split by gender) with progress against them.
package project

import (
	"slices"
	"strings"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/bounds"
)

// Funder of a project.
type Funder string

// Project groups measures under a funder and period.
type Project struct {
	ID                 string
	OrganisationID     string
	Name               string
	Funder             Funder
	StartDate          time.Time
	EndDate            *time.Time
	TargetGroup        string
	TargetGroupVersion int
	Version            int
}

// Metric is what a target counts.
type Metric string

const (
	Decisions            Metric = "decisions"
	Starts               Metric = "starts"
	Participants         Metric = "participants"
	ExitsToWorkOrStudies Metric = "exits_to_work_or_studies"
	Referrals            Metric = "referrals"
)

// Target is a goal for a period and scope.
type Target struct {
	ID             string
	OrganisationID string
	Name           string
	Metric         Metric
	PeriodStart    time.Time
	PeriodEnd      time.Time
	MeasureTypeID  *string
	ProjectID      *string
	UnitID         *string
	Total          int
	Women          *int
	Men            *int
	Version        int
}

// ProgressVersion names the progress rules of Store.Progress (target-progress/1): decisions
// on the decision date, starts on the start date, participants once each over the period,
// exits to work or studies on the end date, referrals on the referral date; all from the
// period start up to the day asked, never past the period end; women and men by the
// participant's gender, other and not stated in the total only.
const ProgressVersion = "target-progress/1"

// Progress is what was achieved against a target up to a date.
type Progress struct {
	AsOf  time.Time
	Total int
	Women int
	Men   int
	Share float64
}

// Funders a project may have.
const (
	ESF                Funder = "esf"
	AMIF               Funder = "amif"
	Lansstyrelsen37    Funder = "lansstyrelsen_37"
	Samordningsforbund Funder = "samordningsforbund"
	MunicipalityFunder Funder = "municipality"
	OtherFunder        Funder = "other"
)

// Funders lists every funder (project.funder's CHECK list).
var Funders = []Funder{ESF, AMIF, Lansstyrelsen37, Samordningsforbund, MunicipalityFunder, OtherFunder}

// Valid reports whether f is a known funder.
func (f Funder) Valid() bool { return slices.Contains(Funders, f) }

// Metrics lists every target metric (target.metric's CHECK list).
var Metrics = []Metric{Decisions, Starts, Participants, ExitsToWorkOrStudies, Referrals}

// Valid reports whether m is a known metric.
func (m Metric) Valid() bool { return slices.Contains(Metrics, m) }

// CreateInput creates a project.
type CreateInput struct {
	OrganisationID string
	Name           string
	Funder         Funder
	StartDate      time.Time
	EndDate        *time.Time
	TargetGroup    string
	IdempotencyKey string
}

// Validate checks the input's own rules and trims its text.
func (in *CreateInput) Validate() error {
	var errs apperr.List
	in.Name = strings.TrimSpace(in.Name)
	in.TargetGroup = strings.TrimSpace(in.TargetGroup)
	checkName(&errs, in.Name)
	if !in.Funder.Valid() {
		errs.Add(apperr.Invalidf("input.funder", "unknown funder"))
	}
	if in.StartDate.IsZero() {
		errs.Add(apperr.Invalidf("input.startDate", "start date is required"))
	} else if e := bounds.CheckRecordDate("input.startDate", "start date", in.StartDate); e != nil {
		errs.Add(e)
	} else if in.EndDate != nil && in.EndDate.Before(in.StartDate) {
		errs.Add(apperr.Invalidf("input.endDate", "end is before the start"))
	}
	checkTargetGroup(&errs, in.TargetGroup)
	return errs.Err()
}

// UpdateInput changes a project; nil fields are left as they are. A changed target
// group raises TargetGroupVersion, because figures before and after are not comparable.
type UpdateInput struct {
	ID          string
	Version     int
	Name        *string
	EndDate     *time.Time
	TargetGroup *string
	// ClearEndDate removes the end date (an open-ended project); not with EndDate.
	ClearEndDate bool
}

// Validate checks the input's own rules and trims its text.
func (in *UpdateInput) Validate() error {
	var errs apperr.List
	if in.ClearEndDate && in.EndDate != nil {
		errs.Add(apperr.Invalidf("input.clearEndDate", "give an end date or clear it, not both"))
	}
	if in.Name != nil {
		n := strings.TrimSpace(*in.Name)
		in.Name = &n
		checkName(&errs, n)
	}
	if in.TargetGroup != nil {
		g := strings.TrimSpace(*in.TargetGroup)
		in.TargetGroup = &g
		checkTargetGroup(&errs, g)
	}
	return errs.Err()
}

func checkName(errs *apperr.List, name string) {
	errs.Add(bounds.Name("input.name", name, bounds.MaxRecordName))
}

func checkTargetGroup(errs *apperr.List, g string) {
	if len([]rune(g)) > bounds.MaxNotes {
		errs.Add(apperr.Invalidf("input.targetGroup", "target group must be at most %d characters", bounds.MaxNotes))
	}
}

// CreateTargetInput creates a target. The scope is the organisation, narrowed by any
// combination of measure type (by code in the organisation's catalogue), project and unit.
type CreateTargetInput struct {
	OrganisationID  string
	Name            string
	Metric          Metric
	PeriodStart     time.Time
	PeriodEnd       time.Time
	MeasureTypeCode *string
	ProjectID       *string
	UnitID          *string
	Total           int
	Women           *int
	Men             *int
	IdempotencyKey  string
}

// Validate checks the input's own rules and trims its text.
func (in *CreateTargetInput) Validate() error {
	var errs apperr.List
	in.Name = strings.TrimSpace(in.Name)
	checkName(&errs, in.Name)
	if !in.Metric.Valid() {
		errs.Add(apperr.Invalidf("input.metric", "unknown metric"))
	}
	switch {
	case in.PeriodStart.IsZero():
		errs.Add(apperr.Invalidf("input.periodStart", "period start is required"))
	case bounds.BeforeRecords(in.PeriodStart):
		errs.Add(bounds.CheckRecordDate("input.periodStart", "period start", in.PeriodStart))
	case in.PeriodEnd.IsZero():
		errs.Add(apperr.Invalidf("input.periodEnd", "period end is required"))
	case in.PeriodEnd.Before(in.PeriodStart):
		errs.Add(apperr.Invalidf("input.periodEnd", "period end is before the period start"))
	}
	if in.MeasureTypeCode != nil {
		c := strings.TrimSpace(*in.MeasureTypeCode)
		in.MeasureTypeCode = &c
	}
	// Referrals belong to the organisation, not to a measure, project or unit: a scope
	// would be accepted and then silently ignored by Progress.
	if in.Metric == Referrals && (in.MeasureTypeCode != nil || in.ProjectID != nil || in.UnitID != nil) {
		errs.Add(apperr.Invalidf("input.metric", "a referrals target counts the whole organisation: leave out measure type, project and unit"))
	}
	if in.Total < 0 {
		errs.Add(apperr.Invalidf("input.total", "total must not be negative"))
	}
	for _, c := range []struct {
		v            *int
		field, group string
	}{{in.Women, "input.women", "women"}, {in.Men, "input.men", "men"}} {
		switch {
		case c.v == nil:
		case *c.v < 0:
			errs.Add(apperr.Invalidf(c.field, "%s must not be negative", c.group))
		case *c.v > in.Total:
			// The database's target_women_within_total / target_men_within_total.
			errs.Add(apperr.Invalidf(c.field, "%s alone exceed the total", c.group))
		}
	}
	// Only when both are given: a target for women alone may leave men open.
	if in.Women != nil && in.Men != nil && *in.Women+*in.Men > in.Total {
		errs.Add(apperr.Invalidf("input.total", "women and men together exceed the total"))
	}
	return errs.Err()
}

// TargetFilter narrows a target list.
type TargetFilter struct {
	ProjectID *string
	// ActiveOn keeps targets whose period contains this date.
	ActiveOn *time.Time
}

// ProgressEnd is the last day progress counts up to: asOf, but never past the period.
func (t Target) ProgressEnd(asOf time.Time) time.Time {
	if asOf.After(t.PeriodEnd) {
		return t.PeriodEnd
	}
	return asOf
}

// Share is achieved divided by the target total; a zero target has no meaningful share
// and reads as 0 rather than infinity.
func Share(achieved, target int) float64 {
	if target <= 0 {
		return 0
	}
	return float64(achieved) / float64(target)
}
