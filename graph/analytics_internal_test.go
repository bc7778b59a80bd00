package graph

import (
	"testing"
	"time"

	"github.com/arbetsmarknad/outcomes/graph/model"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/calendar"
)

// definitionIn refuses a missing monthsAfterExit (never read as month 0) and every
// parameter given to a kind that does not use it, naming the input field; what it
// accepts carries its parameters into the version.
func TestDefinitionInRefusesMissingAndUnusedParameters(t *testing.T) {
	t.Parallel()
	k := func(v int) *int { return &v }
	yes := true
	employed := model.EsfResultEmployed
	studies := []model.OutcomeStatus{model.OutcomeStatusStudies}
	for _, c := range []struct {
		in    model.OutcomeDefinitionInput
		field string
	}{
		{model.OutcomeDefinitionInput{Kind: model.OutcomeDefinitionKindInWorkOrStudies}, "definition.monthsAfterExit"},
		{model.OutcomeDefinitionInput{Kind: model.OutcomeDefinitionKindSelfSufficient}, "definition.monthsAfterExit"},
		{model.OutcomeDefinitionInput{Kind: model.OutcomeDefinitionKindStatusAt, Statuses: studies}, "definition.monthsAfterExit"},
		{model.OutcomeDefinitionInput{Kind: model.OutcomeDefinitionKindLastingAttachment, MonthsAfterExit: k(6)}, "definition.monthsAfterExit"},
		{model.OutcomeDefinitionInput{Kind: model.OutcomeDefinitionKindReEntry, Horizons: []int{6}}, "definition.horizons"},
		{model.OutcomeDefinitionInput{Kind: model.OutcomeDefinitionKindInWorkOrStudies, MonthsAfterExit: k(6), Horizons: []int{6}}, "definition.horizons"},
		{model.OutcomeDefinitionInput{Kind: model.OutcomeDefinitionKindKoladaResultAtExit, Statuses: studies}, "definition.statuses"},
		{model.OutcomeDefinitionInput{Kind: model.OutcomeDefinitionKindInWorkOrStudies, MonthsAfterExit: k(6), Statuses: studies}, "definition.statuses"},
		{model.OutcomeDefinitionInput{Kind: model.OutcomeDefinitionKindStatusAt, MonthsAfterExit: k(6), Statuses: studies, EsfResult: &employed}, "definition.esfResult"},
		{model.OutcomeDefinitionInput{Kind: model.OutcomeDefinitionKindWioaEmployedQ2, EsfResult: &employed}, "definition.esfResult"},
		{model.OutcomeDefinitionInput{Kind: model.OutcomeDefinitionKindWioaEmployedQ4, RequireNoSocialAssistance: &yes}, "definition.requireNoSocialAssistance"},
		{model.OutcomeDefinitionInput{Kind: model.OutcomeDefinitionKindEsfImmediate, MonthsAfterExit: k(1)}, "definition.monthsAfterExit"},
	} {
		_, err := definitionIn(c.in)
		e, _ := apperr.As(err)
		if e == nil || e.Code != apperr.Invalid || e.Field != c.field {
			t.Errorf("%+v: error %v, want INVALID on %s", c.in, err, c.field)
		}
	}
	for _, c := range []struct {
		in      model.OutcomeDefinitionInput
		version string
	}{
		{model.OutcomeDefinitionInput{Kind: model.OutcomeDefinitionKindInWorkOrStudies, MonthsAfterExit: k(0)}, "in-work-or-studies/1?k=0"},
		{model.OutcomeDefinitionInput{Kind: model.OutcomeDefinitionKindSelfSufficient, MonthsAfterExit: k(12)}, "self-sufficient/1?k=12"},
		{model.OutcomeDefinitionInput{Kind: model.OutcomeDefinitionKindStatusAt, MonthsAfterExit: k(6), Statuses: studies}, "status-after-exit/1?k=6&s=studies"},
		{model.OutcomeDefinitionInput{Kind: model.OutcomeDefinitionKindLastingAttachment, Horizons: []int{24, 12}, Statuses: studies},
			"lasting/1?h=12,24&s=studies&sa=1"},
		{model.OutcomeDefinitionInput{Kind: model.OutcomeDefinitionKindEsfSixMonth, EsfResult: &employed}, "esf-common-results/2?six_month=employed"},
		{model.OutcomeDefinitionInput{Kind: model.OutcomeDefinitionKindReEntry}, "re-entry/2?w=12"},
		{model.OutcomeDefinitionInput{Kind: model.OutcomeDefinitionKindKoladaResultAtExit}, "kolada-rka-result-at-exit/3"},
	} {
		d, err := definitionIn(c.in)
		if err != nil {
			t.Errorf("%+v: %v", c.in, err)
			continue
		}
		if v, err := d.Version(); err != nil || v != c.version {
			t.Errorf("%+v: version %q (%v), want %q", c.in, v, err, c.version)
		}
	}
	// Every GraphQL kind maps to a definition.
	for _, kind := range model.AllOutcomeDefinitionKind {
		if _, ok := definitionKinds[kind]; !ok {
			t.Errorf("%s has no definition", kind)
		}
	}
}

// The day figures are asked on comes from the resolver's clock, as the date in Sweden
// (01:30 on 1 May in Stockholm is still 30 April in UTC, but it is 1 May to the user).
func TestFiguresDayUsesTheResolverClock(t *testing.T) {
	t.Parallel()
	r := &Resolver{Now: func() time.Time { return time.Date(2019, 5, 1, 1, 30, 0, 0, time.FixedZone("CEST", 2*3600)) }}
	if got := r.figuresDay(); !got.Equal(time.Date(2019, 5, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("figuresDay = %v, want 1 May 2019", got)
	}
	if got, want := (&Resolver{}).figuresDay(), calendar.Today(time.Now()); !got.Equal(want) {
		t.Errorf("without a clock: %v, want today %v", got, want)
	}
}
