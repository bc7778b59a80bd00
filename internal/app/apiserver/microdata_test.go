package apiserver

import (
	"net/url"
	"testing"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/warehouse/analytics"
)

// CohortFromQuery refuses every period the analytics queries would refuse (with the
// same rule, analytics.ValidatePeriod), so the microdata handler answers 400 before it
// audits or queries anything; a good period passes.
func TestCohortFromQueryValidatesThePeriodAsAnalyticsDoes(t *testing.T) {
	eva := auth.Principal{Subject: "eva", Role: auth.Evaluator, OrgID: "org-1"}
	for _, c := range []struct {
		query string
		field string // "" valid
	}{
		{"exitFrom=2018-01-01&exitTo=2019-01-01", ""},
		{"exitFrom=1970-01-01&exitTo=1971-01-01", ""},
		{"exitFrom=1900-01-01&exitTo=1950-01-01", "exitFrom"}, // before 1970: ClickHouse cannot hold it
		{"exitFrom=1969-12-31&exitTo=2019-01-01", "exitFrom"},
		{"exitFrom=2018-01-01&exitTo=2106-01-01", "exitTo"},
		{"exitFrom=2018-01-01&exitTo=2018-01-01", "exitTo"}, // empty
		{"exitFrom=2019-01-01&exitTo=2018-01-01", "exitTo"},
		{"exitFrom=0001-01-01&exitTo=2018-01-01", "exitFrom"},
		{"exitFrom=2018-13-01&exitTo=2019-01-01", "exitFrom"},
		{"exitTo=2019-01-01", "exitFrom"},
	} {
		q, _ := url.ParseQuery(c.query)
		co, err := CohortFromQuery(eva, q)
		if c.field == "" {
			if err != nil || len(co.OrgIDs) != 1 || co.OrgIDs[0] != "org-1" {
				t.Errorf("%s: %+v, %v", c.query, co, err)
			}
			continue
		}
		all := apperr.All(err)
		if len(all) != 1 || all[0].Code != apperr.Invalid || all[0].Field != c.field {
			t.Errorf("%s: error %v, want one INVALID on %s", c.query, err, c.field)
		}
	}
	// Several faults are reported together; a bad period does not hide a missing organisation.
	q, _ := url.ParseQuery("exitFrom=1900-01-01&exitTo=1950-01-01")
	_, err := CohortFromQuery(auth.Principal{Subject: "admin", Role: auth.Admin}, q)
	if all := apperr.All(err); len(all) != 2 || all[0].Field != "organisationId" || all[1].Field != "exitFrom" {
		t.Errorf("no organisation and a bad period: %v", err)
	}
}

// The microdata endpoint refuses a cohort by the rule the GraphQL figures apply
// (analytics.ValidateCohort): a cohort without an organisation gets the same message,
// on the URL's parameter instead of the GraphQL input's field.
func TestMicrodataRefusesACohortByTheFiguresRule(t *testing.T) {
	noOrg := analytics.Cohort{Label: "a", ExitFrom: time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC), ExitTo: time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)}
	figures := apperr.All(analytics.ValidateCohorts([]analytics.Cohort{noOrg}))
	q, _ := url.ParseQuery("exitFrom=2018-01-01&exitTo=2019-01-01")
	_, err := CohortFromQuery(auth.Principal{Subject: "admin", Role: auth.Admin}, q)
	micro := apperr.All(err)
	if len(figures) != 1 || figures[0].Field != "cohorts[0].organisationIds" || len(micro) != 1 || micro[0].Field != "organisationId" ||
		micro[0].Message != figures[0].Message {
		t.Errorf("figures refuse with %v, microdata with %v: want one error, the same message", figures, micro)
	}
}
