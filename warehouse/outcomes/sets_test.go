package outcomes_test

import (
	"slices"
	"testing"

	o "github.com/arbetsmarknad/outcomes/warehouse/outcomes"
)

// The status sets are written once: every helper and every generated SQL list agrees
// with the set, member for member, over every status code.
func TestStatusSetsAreTheOnlyLists(t *testing.T) {
	t.Parallel()
	cases := []struct {
		set  o.StatusSet
		is   func(string) bool
		want []string
		sql  string
	}{
		{o.WorkOrStudiesSet, o.IsWorkOrStudies, []string{o.StatusUnsubsidisedFull, o.StatusUnsubsidisedPart, o.StatusStudies},
			"('unsubsidised_employment_full', 'unsubsidised_employment_part', 'studies')"},
		{o.EmploymentSet, o.IsEmployment, []string{o.StatusUnsubsidisedFull, o.StatusUnsubsidisedPart, o.StatusSubsidised},
			"('unsubsidised_employment_full', 'unsubsidised_employment_part', 'subsidised_employment')"},
		{o.UnsubsidisedEmploymentSet, o.IsUnsubsidisedEmployment, []string{o.StatusUnsubsidisedFull, o.StatusUnsubsidisedPart},
			"('unsubsidised_employment_full', 'unsubsidised_employment_part')"},
	}
	for _, c := range cases {
		if got := c.set.Statuses(); !slices.Equal(got, c.want) {
			t.Errorf("%s = %v, want %v", c.set.Name(), got, c.want)
		}
		if got := c.set.SQLList(); got != c.sql {
			t.Errorf("%s SQL = %s, want %s", c.set.Name(), got, c.sql)
		}
		for _, s := range o.Statuses {
			if c.set.Has(s) != slices.Contains(c.want, s) || c.is(s) != c.set.Has(s) {
				t.Errorf("%s: %q membership differs between Has, the helper and the list", c.set.Name(), s)
			}
		}
		if c.set.Has(o.StatusUnknown) {
			t.Errorf("%s holds unknown", c.set.Name())
		}
	}
}
