package project_test

import (
	"testing"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/domain/project"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
)

// TestReferralTargetsTakeNoScope: referrals are counted for the whole organisation, so
// a scope on a referrals target is refused rather than silently ignored.
func TestReferralTargetsTakeNoScope(t *testing.T) {
	t.Parallel()
	pid := "00000000-0000-0000-0000-000000000001"
	in := project.CreateTargetInput{OrganisationID: "o", Name: "Anvisningar 2024", Metric: project.Referrals, Total: 100,
		PeriodStart: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), PeriodEnd: time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC), ProjectID: &pid}
	err := in.Validate()
	if e, ok := apperr.As(err); !ok || e.Field != "input.metric" {
		t.Fatalf("referrals target with a project scope: %v", err)
	}
	in.ProjectID = nil
	if err := in.Validate(); err != nil {
		t.Fatalf("referrals target without scope: %v", err)
	}
}
