package graph

import (
	"context"
	"strings"
	"time"

	"github.com/vikstrous/dataloadgen"

	"github.com/arbetsmarknad/outcomes/graph/model"
	"github.com/arbetsmarknad/outcomes/internal/domain/actionplan"
	"github.com/arbetsmarknad/outcomes/internal/domain/cost"
	"github.com/arbetsmarknad/outcomes/internal/domain/enrolment"
	"github.com/arbetsmarknad/outcomes/internal/domain/participant"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/warehouse/analytics"
)

// caseLoaders batch the nested fields of issue 16 (history, costs, plan revisions,
// funding) per request, like Loaders.
type caseLoaders struct {
	HistoryOf   *dataloadgen.Loader[string, []*enrolment.Change]
	CostsOf     *dataloadgen.Loader[string, []*cost.Item]
	RevisionsOf *dataloadgen.Loader[string, []*actionplan.Revision]
	FundingOf   *dataloadgen.Loader[string, []*cost.Funding]
}

func (r *Resolver) newCaseLoaders() *caseLoaders {
	return &caseLoaders{
		HistoryOf: dataloadgen.NewLoader(groupBy(r.Enrolments.HistoryByEnrolments, func(c enrolment.Change) string { return c.EnrolmentID }),
			dataloadgen.WithWait(loaderWait)),
		CostsOf: dataloadgen.NewLoader(groupBy(r.Costs.ByEnrolments, func(c cost.Item) string { return c.EnrolmentID }),
			dataloadgen.WithWait(loaderWait)),
		RevisionsOf: dataloadgen.NewLoader(groupBy(r.ActionPlans.RevisionsByParticipants, func(v actionplan.Revision) string { return v.ParticipantID }),
			dataloadgen.WithWait(loaderWait)),
		FundingOf: dataloadgen.NewLoader(groupBy(r.Costs.FundingByProjects, func(f cost.Funding) string { return f.ProjectID }),
			dataloadgen.WithWait(loaderWait)),
	}
}

func (r *Resolver) caseLoaders(ctx context.Context) *caseLoaders {
	if l := r.loaders(ctx); l.Casework != nil {
		return l.Casework
	}
	return r.newCaseLoaders()
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func dayOf(s string) *model.Date {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return nil
	}
	d := model.Date(t)
	return &d
}

func datePtrOf(s *string) *model.Date {
	if s == nil {
		return nil
	}
	return dayOf(*s)
}

func lower[T ~string](s T) string { return strings.ToLower(string(s)) }

// warehouseFigures gives the cost figures their lasting-attachment counts from the
// warehouse.
func (r *Resolver) warehouseFigures(ctx context.Context, cohorts []analytics.Cohort, def analytics.Definition,
	by []analytics.Dimension, opts ...analytics.Option) ([]analytics.Figure, error) {
	if r.Warehouse == nil {
		return nil, apperr.New(apperr.Unavailable, "", "the outcome warehouse is not reachable; try again shortly")
	}
	return analytics.Figures(ctx, r.Warehouse, cohorts, def, by, opts...)
}

// genderOrder is the order gender groups are listed in.
var genderOrder = []participant.Gender{participant.Woman, participant.Man, participant.Other, participant.NotStated}

// shownAmount and shownCount withhold a suppressed cost figure's values (null).
func shownAmount(f *cost.Figure, v float64) *float64 {
	if f.Suppressed {
		return nil
	}
	return &v
}

func shownCount(f *cost.Figure, v int, hidden bool) *int {
	if f.Suppressed || hidden {
		return nil
	}
	return &v
}
