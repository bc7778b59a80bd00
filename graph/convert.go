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

func toBreakdown(b disclosure.ShownBreakdown) *model.OutcomeBreakdown {
	out := &model.OutcomeBreakdown{Exits: b.Exits, ExitsDisplay: b.ExitsDisplay}
	if b.Gender != "" {
		out.Gender = ptr(toGender(participant.Gender(b.Gender)))
	}
	for _, f := range b.Figures {
		d := f.Display
		out.Figures = append(out.Figures, &model.OutcomeFigure{MonthsAfterExit: f.MonthsAfterExit, N: f.N,
			Known: f.Known, Unknown: f.Unknown, InWorkOrStudies: f.InWorkOrStudies, Share: f.Share, Suppressed: f.Suppressed,
			Display:  &model.FigureDisplay{N: d.N, Known: d.Known, Unknown: d.Unknown, InWorkOrStudies: d.InWorkOrStudies, Share: d.Share},
			Interval: intervalOut(f.Interval), Bounds: boundsOut(f.Bounds)})
	}
	return out
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
