package graph

import (
	"context"
	"time"

	"github.com/arbetsmarknad/outcomes/graph/model"
	"github.com/arbetsmarknad/outcomes/internal/domain/disclosure"
	"github.com/arbetsmarknad/outcomes/internal/domain/enrolment"
	"github.com/arbetsmarknad/outcomes/internal/domain/outcome"
	"github.com/arbetsmarknad/outcomes/internal/domain/participant"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/calendar"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
	"github.com/arbetsmarknad/outcomes/warehouse/cohort"
)

// GraphQL enums are the domain codes in upper case (model.EnumOut, model.EnumIn).

func toGender(g participant.Gender) model.Gender { return enumOut[model.Gender](string(g)) }
func fromGender(g model.Gender) participant.Gender {
	return participant.Gender(enumIn(g))
}

func fromStatus(s model.OutcomeStatus) outcome.Status {
	return outcome.Status(enumIn(s))
}

func fromStatusPtr(s *model.OutcomeStatus) *outcome.Status {
	if s == nil {
		return nil
	}
	v := fromStatus(*s)
	return &v
}

func fromSource(s model.ObservationSource) outcome.Source {
	return outcome.Source(enumIn(s))
}

func dateOf(t time.Time) *model.Date {
	d := model.Date(t)
	return &d
}

func ptr[T any](v T) *T { return &v }

// toBreakdowns converts an exit cohort's total and its groups. For an aggregate-only
// reader (suppress) every count is protected by the one small-count rule
// (internal/domain/disclosure) over everything the answer shows at once: within a
// figure (n = known + unknown, known = in work or studies + not), across the groups (the
// total is the sum of the genders, when it is) and exits = n when they are equal, so no
// group's small count can be worked out as the total less the others'. What each
// figure's own rule (cohort.SmallCounts) hides, such as everything of a figure whose n is
// small, stays hidden.
func toBreakdowns(total cohort.Breakdown, groups []cohort.Breakdown, suppress bool) (*model.OutcomeBreakdown, []*model.OutcomeBreakdown) {
	all := append([]cohort.Breakdown{total}, groups...)
	exitsHidden := make([]bool, len(all))
	figHidden := make([][]cohort.Hidden, len(all))
	for i, b := range all {
		figHidden[i] = make([]cohort.Hidden, len(b.Figures))
	}
	if suppress {
		protectCohort(all, exitsHidden, figHidden)
	}
	out := make([]*model.OutcomeBreakdown, len(all))
	for i, b := range all {
		o := &model.OutcomeBreakdown{}
		o.Exits, o.ExitsDisplay = cohort.MaskCount(b.Exits, exitsHidden[i])
		if b.Gender != "" {
			o.Gender = ptr(toGender(participant.Gender(b.Gender)))
		}
		for j, f := range b.Figures {
			s := cohort.Mask(f, figHidden[i][j])
			d := s.Display
			o.Figures = append(o.Figures, &model.OutcomeFigure{MonthsAfterExit: f.MonthsAfterExit, N: s.N,
				Known: s.Known, Unknown: s.Unknown, InWorkOrStudies: s.InWorkOrStudies, Share: s.Share, Suppressed: s.Suppressed,
				Display:  &model.FigureDisplay{N: d.N, Known: d.Known, Unknown: d.Unknown, InWorkOrStudies: d.InWorkOrStudies, Share: d.Share},
				Interval: intervalOut(s.Interval), Bounds: boundsOut(s.Bounds)})
		}
		out[i] = o
	}
	return out[0], out[1:]
}

// protectCohort sets what an aggregate-only reader may not see of all[0] (the total) and
// all[1:] (its groups); see toBreakdowns.
func protectCohort(all []cohort.Breakdown, exitsHidden []bool, figHidden [][]cohort.Hidden) {
	type figCells struct{ n, known, unknown, ws, not disclosure.Cell }
	var sys disclosure.System
	exits := make([]disclosure.Cell, len(all))
	figs := make([][]figCells, len(all))
	for i, b := range all {
		exits[i] = sys.Add(b.Exits, disclosure.Count)
		for _, f := range b.Figures {
			// What the figure's own rule hides is never shown: the system must know, or it
			// would protect the other cells as if those were.
			own := cohort.SmallCounts(f)
			kind := func(hide bool) disclosure.Kind {
				if hide {
					return disclosure.Implicit
				}
				return disclosure.Count
			}
			c := figCells{n: sys.Add(f.N, kind(own.N)), known: sys.Add(f.Known, kind(own.Known)),
				unknown: sys.Add(f.Unknown, kind(own.Known)), ws: sys.Add(f.InWorkOrStudies, kind(own.InWorkOrStudies)),
				not: sys.Add(f.Known-f.InWorkOrStudies, disclosure.Implicit)}
			sys.Sum(c.n, c.known, c.unknown)
			sys.Sum(c.known, c.ws, c.not)
			if f.N == b.Exits { // a cohort whose +k months have all begun
				sys.Equal(exits[i], c.n)
			}
			figs[i] = append(figs[i], c)
		}
	}
	// total = Σ groups, for each count, where it holds (a reader can tell when it does).
	sumIfItHolds := func(cellOf func(i int) (disclosure.Cell, bool)) {
		t, ok := cellOf(0)
		if !ok || len(all) < 2 {
			return
		}
		parts, sum := []disclosure.Cell{}, 0
		for i := 1; i < len(all); i++ {
			c, ok := cellOf(i)
			if !ok {
				return
			}
			parts, sum = append(parts, c), sum+sys.Value(c)
		}
		if sum == sys.Value(t) {
			sys.Sum(t, parts...)
		}
	}
	sumIfItHolds(func(i int) (disclosure.Cell, bool) { return exits[i], true })
	for j, f := range all[0].Figures {
		at := func(i int) (figCells, bool) {
			if j >= len(figs[i]) || all[i].Figures[j].MonthsAfterExit != f.MonthsAfterExit {
				return figCells{}, false
			}
			return figs[i][j], true
		}
		for _, pick := range []func(figCells) disclosure.Cell{
			func(c figCells) disclosure.Cell { return c.n }, func(c figCells) disclosure.Cell { return c.known },
			func(c figCells) disclosure.Cell { return c.unknown }, func(c figCells) disclosure.Cell { return c.ws },
			func(c figCells) disclosure.Cell { return c.not },
		} {
			sumIfItHolds(func(i int) (disclosure.Cell, bool) { c, ok := at(i); return pick(c), ok })
		}
	}
	hidden := sys.Protect()
	for i := range all {
		exitsHidden[i] = hidden[exits[i]]
		for j, c := range figs[i] {
			figHidden[i][j] = cohort.Hidden{N: hidden[c.n], Known: hidden[c.known] || hidden[c.unknown], InWorkOrStudies: hidden[c.ws]}
		}
	}
}

// subject names the caller in what they record (override by, recorded by).
func subject(ctx context.Context) string {
	if p, ok := auth.From(ctx); ok {
		return p.Subject
	}
	return "unknown"
}

// today is the current date (UTC) by the resolver's clock.
func (r *Resolver) today() time.Time { return calendar.Today(r.Now()) }

func timestampPtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

// enrolmentPage lists enrolments as a connection.
func (r *Resolver) enrolmentPage(ctx context.Context, orgID string, f enrolment.Filter, first *int, after *string, last *int, before *string) (*model.EnrolmentConnection, error) {
	res, err := r.Enrolments.List(ctx, orgID, f, db.PageRequest{First: first, After: after, Last: last, Before: before})
	if err != nil {
		return nil, err
	}
	edges, info := edgesOf(res, func(c string, e *enrolment.Enrolment) *model.EnrolmentEdge {
		return &model.EnrolmentEdge{Cursor: c, Node: e}
	})
	nodes := make([]*enrolment.Enrolment, len(edges))
	for i, e := range edges {
		nodes[i] = e.Node
	}
	r.prefetchEnrolments(ctx, nodes, selected(ctx, "EnrolmentConnection", "edges", "EnrolmentEdge", "node", "Enrolment"))
	return &model.EnrolmentConnection{Edges: edges, PageInfo: info, TotalCount: res.TotalCount}, nil
}

// attributesIn converts an attributes input; nil stays nil.
func attributesIn(in *model.ParticipantAttributesInput) *participant.AttributesInput {
	if in == nil {
		return nil
	}
	return &participant.AttributesInput{
		ValidFrom: model.TimePtr(in.ValidFrom), District: in.District, BirthRegion: enumInPtr(in.BirthRegion),
		NewlyArrived: in.NewlyArrived, ResidencePermitDate: model.TimePtr(in.ResidencePermitDate),
		ResidencePermitKind: enumInPtr(in.ResidencePermitKind), IntroductionPlan: in.IntroductionPlan,
		RegisteredAtAf: in.RegisteredAtAf, GuaranteeDays: in.GuaranteeDays, SocialAssistance: in.SocialAssistance,
		Disability: in.Disability, EducationLevel: enumInPtr(in.EducationLevel), SwedishLevel: in.SwedishLevel,
		DistanceCategory: enumInPtr(in.DistanceCategory), SchoolProgramme: enumInPtr(in.SchoolProgramme),
		LabourMarketStatus: enumInPtr(in.LabourMarketStatus), SupportSource: enumInPtr(in.SupportSource),
	}
}

// pointers returns pointers to the elements of xs, as list fields want.
func pointers[T any](xs []T) []*T {
	out := make([]*T, len(xs))
	for i := range xs {
		out[i] = &xs[i]
	}
	return out
}

// offerEnrolmentIn converts the enrolment of an accepted offer; the store fills in
// the interview's participant and employer.
func offerEnrolmentIn(ctx context.Context, in *model.OfferEnrolmentInput) *enrolment.CreateInput {
	if in == nil {
		return nil
	}
	var override *string
	if in.EligibilityOverride != nil {
		override = &in.EligibilityOverride.Reason
	}
	return &enrolment.CreateInput{
		MeasureTypeCode: in.MeasureTypeCode,
		DecisionDate:    model.TimePtr(in.DecisionDate),
		StartDate:       time.Time(in.StartDate),
		PlannedEndDate:  model.TimePtr(in.PlannedEndDate),
		UnitID:          in.UnitID,
		ProjectID:       in.ProjectID,
		Occupation:      deref(in.Occupation),
		WagePayer:       enumInPtr(in.WagePayer),
		EmploymentRate:  in.EmploymentRate,
		OverrideReason:  override,
		OverrideBy:      subject(ctx),
	}
}
