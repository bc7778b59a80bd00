package graph

import (
	"context"
	"fmt"
	"time"

	"github.com/arbetsmarknad/outcomes/graph/model"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/calendar"
	"github.com/arbetsmarknad/outcomes/warehouse/analytics"
	"github.com/arbetsmarknad/outcomes/warehouse/outcomes"
	"github.com/arbetsmarknad/outcomes/warehouse/stats"
)

// definitionKinds maps the GraphQL names to the analytics package's.
var definitionKinds = map[model.OutcomeDefinitionKind]analytics.Kind{
	model.OutcomeDefinitionKindStatusAt:                   analytics.KindStatusAt,
	model.OutcomeDefinitionKindInWorkOrStudies:            analytics.KindInWorkOrStudies,
	model.OutcomeDefinitionKindSelfSufficient:             analytics.KindSelfSufficient,
	model.OutcomeDefinitionKindLastingAttachment:          analytics.KindLasting,
	model.OutcomeDefinitionKindReturnedToSocialAssistance: analytics.KindReturnedToSA12,
	model.OutcomeDefinitionKindReEntry:                    analytics.KindReentry12,
	model.OutcomeDefinitionKindRepeatedEntry:              analytics.KindRepeatedEntry,
	model.OutcomeDefinitionKindKoladaResultAtExit:         analytics.KindKoladaResultAtExit,
	model.OutcomeDefinitionKindWioaEmployedQ2:             analytics.KindWIOAQ2,
	model.OutcomeDefinitionKindWioaEmployedQ4:             analytics.KindWIOAQ4,
	model.OutcomeDefinitionKindWioaEmployedQ2PerPerson:    analytics.KindWIOAQ2PerPerson,
	model.OutcomeDefinitionKindWioaEmployedQ4PerPerson:    analytics.KindWIOAQ4PerPerson,
	model.OutcomeDefinitionKindEsfImmediate:               analytics.KindESFImmediate,
	model.OutcomeDefinitionKindEsfSixMonth:                analytics.KindESFSixMonth,
}

// definitionIn converts a definition input; analytics.NewDefinition applies the
// parameter rules of each definition.
func definitionIn(in model.OutcomeDefinitionInput) (analytics.Definition, error) {
	kind, ok := definitionKinds[in.Kind]
	if !ok {
		return analytics.Definition{}, apperr.Invalidf("definition.kind", "unknown definition %q", string(in.Kind))
	}
	p := analytics.Params{MonthsAfterExit: in.MonthsAfterExit, Horizons: in.Horizons,
		RequireNoSocialAssistance: in.RequireNoSocialAssistance}
	if in.Statuses != nil {
		p.Statuses = make([]string, len(in.Statuses))
		for i, s := range in.Statuses {
			p.Statuses[i] = enumIn(s)
		}
	}
	if in.EsfResult != nil {
		p.Results = []string{enumIn(*in.EsfResult)}
	}
	return analytics.NewDefinition(kind, p)
}

// figuresDay is the day figures are asked on (analytics.Today): the Swedish calendar
// date of the resolver's clock (calendar.Today), the one "today" of every rule.
func (r *Resolver) figuresDay() time.Time {
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	return calendar.Today(now())
}

// cohortsIn converts cohort inputs; a cohort naming no organisation is of the caller's
// own. OrganisationScope has checked the caller may read the figures of every
// organisation named, analytics.ValidateCohorts is the rule for the rest, and every
// measure code must be one of the organisations' catalogues.
func (r *Resolver) cohortsIn(ctx context.Context, in []*model.CohortInput) ([]analytics.Cohort, error) {
	out := make([]analytics.Cohort, len(in))
	for i, c := range in {
		out[i] = cohortOf(ctx, c)
	}
	if err := analytics.ValidateCohorts(out); err != nil {
		return nil, err
	}
	for i, c := range out {
		if err := r.Organisations.CheckMeasureCodes(ctx, c.OrgIDs, c.MeasureCodes, fmt.Sprintf("cohorts[%d].measureTypeCodes", i)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// cohortIn is cohortsIn for the one cohort of the argument "cohort" (timeToEmployment,
// susTransitions): its errors name that argument's fields.
func (r *Resolver) cohortIn(ctx context.Context, in model.CohortInput) (analytics.Cohort, error) {
	c := cohortOf(ctx, &in)
	if err := analytics.ValidateCohort(c, "cohort.organisationIds", "cohort.exitFrom", "cohort.exitTo"); err != nil {
		return c, err
	}
	return c, r.Organisations.CheckMeasureCodes(ctx, c.OrgIDs, c.MeasureCodes, "cohort.measureTypeCodes")
}

// cohortOf converts one cohort input; one naming no organisation is of the caller's own.
func cohortOf(ctx context.Context, c *model.CohortInput) analytics.Cohort {
	caller, _ := auth.From(ctx)
	orgs := c.OrganisationIds
	if len(orgs) == 0 && caller.OrgID != "" {
		orgs = []string{caller.OrgID}
	}
	return analytics.Cohort{Label: c.Label, OrgIDs: orgs, ExitFrom: time.Time(c.ExitFrom), ExitTo: time.Time(c.ExitTo),
		MeasureCodes: c.MeasureTypeCodes}
}

func dimensionsIn(in []model.Breakdown) []analytics.Dimension {
	out := make([]analytics.Dimension, len(in))
	for i, b := range in {
		out[i] = analytics.Dimension(b)
	}
	return out
}

func groupOut(g []analytics.GroupValue) []*model.BreakdownValue {
	out := make([]*model.BreakdownValue, len(g))
	for i, v := range g {
		out[i] = &model.BreakdownValue{Breakdown: model.Breakdown(v.Dimension), Value: v.Value}
	}
	return out
}

func figuresOut(fs []analytics.Figure) []*model.CohortFigure {
	out := make([]*model.CohortFigure, len(fs))
	for i, f := range fs {
		cf := &model.CohortFigure{Cohort: f.Cohort, Group: groupOut(f.Group), N: f.N, Known: f.Known, Count: f.Count,
			Share: f.Share, DefinitionVersion: f.Version, Unit: model.CountingUnit(f.Unit), Unknown: f.N - f.Known,
			Interval: intervalOut(f.Interval), Bounds: boundsOut(f.Bounds), Difference: differenceOut(f.Difference)}
		if f.Official != nil {
			cf.Official = &model.OfficialShare{Share: f.Official.Share, Denominator: f.Official.Denominator}
		}
		if s := f.Standardised; s != nil {
			cf.Standardised = &model.StandardisedShare{ToCohort: s.To, Share: s.Share, Interval: intervalOut(&s.Interval),
				EffectiveN: s.EffectiveN, ReferenceCovered: s.RefCovered, Difference: differenceOut(s.Difference),
				Unmatched: make([]*model.UnmatchedStratum, len(s.Unmatched))}
			for _, d := range s.By {
				cf.Standardised.By = append(cf.Standardised.By, model.Breakdown(d))
			}
			for j, u := range s.Unmatched {
				cf.Standardised.Unmatched[j] = &model.UnmatchedStratum{Group: groupOut(u.Group), ReferenceKnown: u.RefKnown, Known: u.Known}
			}
		}
		out[i] = cf
	}
	return out
}

func intervalOut(iv *stats.Interval) *model.ShareInterval {
	if iv == nil {
		return nil
	}
	return &model.ShareInterval{Lower: iv.Lower, Upper: iv.Upper}
}

func boundsOut(b *stats.Bounds) *model.MissingDataBounds {
	if b == nil {
		return nil
	}
	return &model.MissingDataBounds{IfNoneMet: b.IfNoneMet, IfAllMet: b.IfAllMet}
}

func differenceOut(d *analytics.Difference) *model.ShareDifference {
	if d == nil {
		return nil
	}
	return &model.ShareDifference{FromCohort: d.From, Difference: d.Estimate, Lower: d.Lower, Upper: d.Upper}
}

func curvesOut(cs []analytics.Curve) []*model.SurvivalCurve {
	out := make([]*model.SurvivalCurve, len(cs))
	for i, c := range cs {
		sc := &model.SurvivalCurve{Cohort: c.Cohort, Group: groupOut(c.Group), N: c.N,
			DefinitionVersion: c.Version + " " + c.Estimator, Points: make([]*model.SurvivalPoint, len(c.Points))}
		for j, p := range c.Points {
			sc.Points[j] = &model.SurvivalPoint{Month: p.Month, AtRisk: p.AtRisk, Events: p.Events, Censored: p.Censored,
				Survival: p.Survival, Employed: p.Employed}
			if j < len(c.Intervals) {
				sc.Points[j].Interval = intervalOut(c.Intervals[j])
			}
		}
		out[i] = sc
	}
	return out
}

func transitionsOut(label string, table [5][5]int) *model.TransitionTable {
	t := &model.TransitionTable{Cohort: label, DefinitionVersion: outcomes.SUSVersion}
	for i, before := range outcomes.SUSCategories {
		for j, after := range outcomes.SUSCategories {
			t.Cells = append(t.Cells, &model.TransitionCell{Before: before, After: after, Count: table[i][j]})
		}
	}
	return t
}
