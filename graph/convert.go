package graph

import (
	"strings"
	"time"

	"github.com/arbetsmarknad/outcomes/graph/model"
	"github.com/arbetsmarknad/outcomes/internal/outcome"
	"github.com/arbetsmarknad/outcomes/internal/participant"
	"github.com/arbetsmarknad/outcomes/warehouse/cohort"
)

// GraphQL enums are the domain codes in upper case.

func toGender(g participant.Gender) model.Gender { return model.Gender(strings.ToUpper(string(g))) }
func fromGender(g model.Gender) participant.Gender {
	return participant.Gender(strings.ToLower(string(g)))
}

func toStatus(s outcome.Status) model.OutcomeStatus {
	return model.OutcomeStatus(strings.ToUpper(string(s)))
}
func fromStatus(s model.OutcomeStatus) outcome.Status {
	return outcome.Status(strings.ToLower(string(s)))
}

func fromStatusPtr(s *model.OutcomeStatus) *outcome.Status {
	if s == nil {
		return nil
	}
	v := fromStatus(*s)
	return &v
}

func toSource(s outcome.Source) model.ObservationSource {
	return model.ObservationSource(strings.ToUpper(string(s)))
}
func fromSource(s model.ObservationSource) outcome.Source {
	return outcome.Source(strings.ToLower(string(s)))
}

func dateOf(t time.Time) *model.Date {
	d := model.Date(t)
	return &d
}

func monthOf(t time.Time) *model.Month {
	m := model.Month(t)
	return &m
}

func ptr[T any](v T) *T { return &v }

func toBreakdown(b cohort.Breakdown, suppress bool) *model.OutcomeBreakdown {
	out := &model.OutcomeBreakdown{}
	out.Exits, out.ExitsDisplay = cohort.ShowCount(b.Exits, suppress)
	if b.Gender != "" {
		out.Gender = ptr(toGender(participant.Gender(b.Gender)))
	}
	for _, f := range b.Figures {
		s := cohort.Show(f, suppress)
		d := s.Display
		out.Figures = append(out.Figures, &model.OutcomeFigure{MonthsAfterExit: f.MonthsAfterExit, N: s.N,
			Known: s.Known, Unknown: s.Unknown, InWorkOrStudies: s.InWorkOrStudies, Share: s.Share, Suppressed: s.Suppressed,
			Display: &model.FigureDisplay{N: d.N, Known: d.Known, Unknown: d.Unknown, InWorkOrStudies: d.InWorkOrStudies, Share: d.Share}})
	}
	return out
}
