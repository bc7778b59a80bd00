package eligibility_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/domain/eligibility"
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
func ptr[T any](v T) *T                         { return &v }

var decision = date(2018, 6, 15)

// registered is the extra-job base: unemployed and registered at AF, nothing else known.
func registered() eligibility.Facts {
	return eligibility.Facts{BirthDate: date(1980, 1, 1), RegisteredAtAf: ptr(true)}
}

func with(f eligibility.Facts, change func(*eligibility.Facts)) eligibility.Facts {
	change(&f)
	return f
}

func TestExtraJob(t *testing.T) {
	t.Parallel()
	newlyArrivedEU := func(permit time.Time) eligibility.Facts {
		return with(registered(), func(f *eligibility.Facts) {
			f.NewlyArrived, f.ResidencePermitKind, f.ResidencePermitDate = ptr(true), ptr("family_member_eu_eea"), &permit
		})
	}
	for _, c := range []struct {
		name     string
		facts    eligibility.Facts
		decision time.Time
		eligible bool
		basis    []string
		reason   string // a reason that must be given (when not eligible)
	}{
		{name: "450 guarantee days", facts: with(registered(), func(f *eligibility.Facts) { f.GuaranteeDays = ptr(450) }),
			eligible: true, basis: []string{"REGISTERED_AT_AF", "GUARANTEE_450_DAYS"}},
		{name: "449 guarantee days", facts: with(registered(), func(f *eligibility.Facts) { f.GuaranteeDays = ptr(449) }),
			reason: "fewer than 450 days in the job and development guarantee (has 449)", basis: []string{"REGISTERED_AT_AF"}},
		{name: "120 guarantee days", facts: with(registered(), func(f *eligibility.Facts) { f.GuaranteeDays = ptr(120) }),
			reason: "fewer than 450 days in the job and development guarantee (has 120)", basis: []string{"REGISTERED_AT_AF"}},
		{name: "guarantee days not recorded", facts: registered(),
			reason: "days in the job and development guarantee not recorded", basis: []string{"REGISTERED_AT_AF"}},
		{name: "450 days but not registered at AF", facts: eligibility.Facts{RegisteredAtAf: ptr(false), GuaranteeDays: ptr(900)},
			reason: "not registered as unemployed at Arbetsförmedlingen", basis: []string{"GUARANTEE_450_DAYS"}},
		{name: "450 days, registration not recorded", facts: eligibility.Facts{GuaranteeDays: ptr(900)},
			reason: "registration as unemployed at Arbetsförmedlingen not recorded", basis: []string{"GUARANTEE_450_DAYS"}},
		{name: "newly arrived with introduction plan", facts: with(registered(), func(f *eligibility.Facts) {
			f.NewlyArrived, f.IntroductionPlan = ptr(true), ptr(true)
		}), eligible: true, basis: []string{"REGISTERED_AT_AF", "NEWLY_ARRIVED_INTRODUCTION_PLAN"}},
		{name: "newly arrived without introduction plan", facts: with(registered(), func(f *eligibility.Facts) {
			f.NewlyArrived, f.IntroductionPlan = ptr(true), ptr(false)
		}), reason: "not newly arrived with a current or past introduction plan (no introduction plan)", basis: []string{"REGISTERED_AT_AF"}},
		{name: "introduction plan, newly arrived not recorded", facts: with(registered(), func(f *eligibility.Facts) {
			f.IntroductionPlan = ptr(true)
		}), reason: "(newly arrived not recorded)", basis: []string{"REGISTERED_AT_AF"}},
		{name: "introduction plan but not newly arrived", facts: with(registered(), func(f *eligibility.Facts) {
			f.NewlyArrived, f.IntroductionPlan = ptr(false), ptr(true)
		}), reason: "(not newly arrived)", basis: []string{"REGISTERED_AT_AF"}},
		{name: "EU/EEA family permit exactly 36 months before", facts: newlyArrivedEU(date(2015, 6, 15)),
			eligible: true, basis: []string{"REGISTERED_AT_AF", "EU_EEA_FAMILY_PERMIT_36_MONTHS"}},
		{name: "EU/EEA family permit 36 months and a day before", facts: newlyArrivedEU(date(2015, 6, 14)),
			reason: "(the permit is older than 36 months)", basis: []string{"REGISTERED_AT_AF"}},
		{name: "EU/EEA family permit on the decision date", facts: newlyArrivedEU(decision),
			eligible: true, basis: []string{"REGISTERED_AT_AF", "EU_EEA_FAMILY_PERMIT_36_MONTHS"}},
		{name: "EU/EEA family permit after the decision", facts: newlyArrivedEU(date(2018, 6, 16)),
			reason: "(the permit is dated after the decision)", basis: []string{"REGISTERED_AT_AF"}},
		{name: "permit counted by calendar day, not time of day", facts: newlyArrivedEU(time.Date(2015, 6, 15, 23, 0, 0, 0, time.UTC)),
			decision: time.Date(2018, 6, 15, 1, 0, 0, 0, time.UTC), eligible: true, basis: []string{"REGISTERED_AT_AF", "EU_EEA_FAMILY_PERMIT_36_MONTHS"}},
		{name: "36 months before a 29 February decision", facts: newlyArrivedEU(date(2017, 3, 1)), decision: date(2020, 2, 29),
			eligible: true, basis: []string{"REGISTERED_AT_AF", "EU_EEA_FAMILY_PERMIT_36_MONTHS"}},
		{name: "permit of another kind", facts: with(newlyArrivedEU(date(2017, 1, 1)), func(f *eligibility.Facts) { f.ResidencePermitKind = ptr("family_member") }),
			reason: "(the residence permit is of another kind)", basis: []string{"REGISTERED_AT_AF"}},
		{name: "EU/EEA permit date not recorded", facts: with(newlyArrivedEU(date(2017, 1, 1)), func(f *eligibility.Facts) { f.ResidencePermitDate = nil }),
			reason: "(residence permit date not recorded)", basis: []string{"REGISTERED_AT_AF"}},
		{name: "EU/EEA permit but not newly arrived", facts: with(newlyArrivedEU(date(2017, 1, 1)), func(f *eligibility.Facts) { f.NewlyArrived = ptr(false) }),
			reason: "family member of an EU/EEA citizen from the 36 months before the decision (not newly arrived)", basis: []string{"REGISTERED_AT_AF"}},
		{name: "all three conditions", facts: with(newlyArrivedEU(date(2017, 1, 1)), func(f *eligibility.Facts) {
			f.GuaranteeDays, f.IntroductionPlan = ptr(500), ptr(true)
		}), eligible: true, basis: []string{"REGISTERED_AT_AF", "GUARANTEE_450_DAYS", "NEWLY_ARRIVED_INTRODUCTION_PLAN", "EU_EEA_FAMILY_PERMIT_36_MONTHS"}},
		{name: "nothing recorded", facts: eligibility.Facts{}, reason: "registration as unemployed at Arbetsförmedlingen not recorded", basis: []string{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := decision
			if !c.decision.IsZero() {
				d = c.decision
			}
			res := eligibility.Evaluate(eligibility.ExtraJob, c.facts, d)
			if res.Eligible != c.eligible || res.Rule != eligibility.ExtraJob {
				t.Fatalf("eligible %v, want %v: %+v", res.Eligible, c.eligible, res)
			}
			if !reflect.DeepEqual(res.Basis, c.basis) {
				t.Errorf("basis %q, want %q", res.Basis, c.basis)
			}
			if c.eligible && len(res.Reasons) != 0 {
				t.Errorf("eligible with reasons %q", res.Reasons)
			}
			if !c.eligible && !containsPart(res.Reasons, c.reason) {
				t.Errorf("reasons %q lack %q", res.Reasons, c.reason)
			}
		})
	}
}

// Someone who meets none of the conditions is told about every one of them.
func TestExtraJobListsEveryUnmetCondition(t *testing.T) {
	t.Parallel()
	res := eligibility.Evaluate(eligibility.ExtraJob, eligibility.Facts{RegisteredAtAf: ptr(false), GuaranteeDays: ptr(120),
		NewlyArrived: ptr(false)}, decision)
	want := []string{
		"not registered as unemployed at Arbetsförmedlingen",
		"fewer than 450 days in the job and development guarantee (has 120)",
		"not newly arrived with a current or past introduction plan (not newly arrived)",
		"not newly arrived with a residence permit or card as a family member of an EU/EEA citizen from the 36 months before the decision (not newly arrived)",
	}
	if res.Eligible || !reflect.DeepEqual(res.Reasons, want) || len(res.Basis) != 0 {
		t.Errorf("got %+v, want reasons %q", res, want)
	}
}

func TestAgeRules(t *testing.T) {
	t.Parallel()
	born := date(1990, 3, 10)
	for _, c := range []struct {
		rule     string
		birth    time.Time
		on       time.Time
		eligible bool
		basis    string
		reason   string
	}{
		{eligibility.SupportedEmployment, born, date(2010, 3, 9), false, "", "aged 19 at the decision date; supported employment is for ages 20-29"},
		{eligibility.SupportedEmployment, born, date(2010, 3, 10), true, "AGE_20_29", ""},
		{eligibility.SupportedEmployment, born, date(2020, 3, 9), true, "AGE_20_29", ""},
		{eligibility.SupportedEmployment, born, date(2020, 3, 10), false, "", "aged 30 at the decision date"},
		{eligibility.SupportedEmployment, time.Time{}, date(2020, 3, 10), false, "", "birth date not recorded"},
		{eligibility.UngIntro, born, date(2006, 3, 9), false, "", "aged 15 at the decision date; Ung intro is for ages 16-29"},
		{eligibility.UngIntro, born, date(2006, 3, 10), true, "AGE_UP_TO_29", ""},
		{eligibility.UngIntro, born, date(2020, 3, 9), true, "AGE_UP_TO_29", ""},
		{eligibility.UngIntro, born, date(2020, 3, 10), false, "", "aged 30 at the decision date"},
		// Born on 29 February: 30 only from 1 March in a common year, on 29 February in a leap year.
		{eligibility.UngIntro, date(1992, 2, 29), date(2022, 2, 28), true, "AGE_UP_TO_29", ""},
		{eligibility.UngIntro, date(1992, 2, 29), date(2022, 3, 1), false, "", "aged 30"},
		{eligibility.SupportedEmployment, date(1996, 2, 29), date(2026, 2, 28), true, "AGE_20_29", ""},
		{eligibility.SupportedEmployment, date(1996, 2, 29), date(2026, 3, 1), false, "", "aged 30"},
		{eligibility.SupportedEmployment, date(2000, 2, 29), date(2020, 2, 28), false, "", "aged 19"},
		{eligibility.SupportedEmployment, date(2000, 2, 29), date(2020, 2, 29), true, "AGE_20_29", ""},
	} {
		res := eligibility.Evaluate(c.rule, eligibility.Facts{BirthDate: c.birth}, c.on)
		if res.Eligible != c.eligible {
			t.Errorf("%s born %s on %s: eligible %v, want %v (%q)", c.rule, c.birth.Format(time.DateOnly), c.on.Format(time.DateOnly), res.Eligible, c.eligible, res.Reasons)
			continue
		}
		if c.eligible && !reflect.DeepEqual(res.Basis, []string{c.basis}) {
			t.Errorf("%s on %s: basis %q, want %s", c.rule, c.on.Format(time.DateOnly), res.Basis, c.basis)
		}
		if !c.eligible && !containsPart(res.Reasons, c.reason) {
			t.Errorf("%s on %s: reasons %q lack %q", c.rule, c.on.Format(time.DateOnly), res.Reasons, c.reason)
		}
	}
}

func TestAge(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		birth, on time.Time
		want      int
	}{
		{date(1990, 3, 10), date(2020, 3, 9), 29},
		{date(1990, 3, 10), date(2020, 3, 10), 30},
		{date(1990, 12, 31), date(2020, 1, 1), 29},
		{date(1992, 2, 29), date(2021, 2, 28), 28},
		{date(1992, 2, 29), date(2021, 3, 1), 29},
		{date(1992, 2, 29), date(2024, 2, 28), 31},
		{date(1992, 2, 29), date(2024, 2, 29), 32},
		{date(2000, 1, 1), date(2000, 1, 1), 0},
	} {
		if got := eligibility.Age(c.birth, c.on); got != c.want {
			t.Errorf("born %s, on %s: age %d, want %d", c.birth.Format(time.DateOnly), c.on.Format(time.DateOnly), got, c.want)
		}
	}
}

func TestSummerJob(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		programme *string
		eligible  bool
		basis     []string
		reason    string
	}{
		{ptr("year_9"), true, []string{"YEAR_9"}, ""},
		{ptr("sprint"), true, []string{"SPRINT"}, ""},
		{ptr("other"), false, []string{}, "not in year 9 or SPRINT"},
		{nil, false, []string{}, "school programme not recorded"},
	} {
		res := eligibility.Evaluate(eligibility.SummerJob, eligibility.Facts{SchoolProgramme: c.programme}, decision)
		if res.Eligible != c.eligible || !reflect.DeepEqual(res.Basis, c.basis) || (!c.eligible && !containsPart(res.Reasons, c.reason)) {
			t.Errorf("programme %v: %+v", deref(c.programme), res)
		}
	}
}

func TestNoRuleAndUnknownRule(t *testing.T) {
	t.Parallel()
	for _, rule := range []string{"", eligibility.None} {
		res := eligibility.Evaluate(rule, eligibility.Facts{}, decision)
		if !res.Eligible || res.Rule != eligibility.None || len(res.Basis) != 0 || len(res.Reasons) != 0 {
			t.Errorf("rule %q: %+v", rule, res)
		}
	}
	res := eligibility.Evaluate("astronaut", registered(), decision)
	if res.Eligible || !reflect.DeepEqual(res.Reasons, []string{"unknown eligibility rule"}) {
		t.Errorf("unknown rule: %+v", res)
	}
}

// Basis and Reasons are never nil: GraphQL declares them non-null lists.
func TestListsNeverNil(t *testing.T) {
	t.Parallel()
	for _, rule := range []string{"", eligibility.ExtraJob, eligibility.SupportedEmployment, eligibility.UngIntro, eligibility.SummerJob, "x"} {
		res := eligibility.Evaluate(rule, eligibility.Facts{}, decision)
		if res.Basis == nil || res.Reasons == nil {
			t.Errorf("rule %q: nil list in %+v", rule, res)
		}
	}
}

func containsPart(reasons []string, part string) bool {
	for _, r := range reasons {
		if strings.Contains(r, part) {
			return true
		}
	}
	return false
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

// TestPermitWindowClampsMonthEnds: 36 months before 29 February 2020 is 28 February
// 2017 (not 1 March), so a permit of that day is inside the window.
func TestPermitWindowClampsMonthEnds(t *testing.T) {
	t.Parallel()
	yes, kind := true, "family_member_eu_eea"
	permit := time.Date(2017, 2, 28, 0, 0, 0, 0, time.UTC)
	f := eligibility.Facts{BirthDate: time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC), RegisteredAtAf: &yes, NewlyArrived: &yes,
		ResidencePermitKind: &kind, ResidencePermitDate: &permit}
	if r := eligibility.Evaluate(eligibility.ExtraJob, f, time.Date(2020, 2, 29, 0, 0, 0, 0, time.UTC)); !r.Eligible {
		t.Fatalf("permit of 2017-02-28 for a decision on 2020-02-29: %+v", r)
	}
	earlier := permit.AddDate(0, 0, -1)
	f.ResidencePermitDate = &earlier
	if r := eligibility.Evaluate(eligibility.ExtraJob, f, time.Date(2020, 2, 29, 0, 0, 0, 0, time.UTC)); r.Eligible {
		t.Fatalf("permit of 2017-02-27 is older than 36 months: %+v", r)
	}
}
