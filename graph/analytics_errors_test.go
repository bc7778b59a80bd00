package graph_test

import (
	"strings"
	"testing"

	"github.com/arbetsmarknad/outcomes/internal/app/apiserver/apitest"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/gqltest"
)

// TestAnalyticsErrorsNameTheArgument: an evaluator's bad argument to outcomeFigures,
// timeToEmployment or susTransitions is a client error whose field is the argument as the
// query wrote it (definition.monthsAfterExit, breakdowns[1], cohorts[1].exitTo), so a
// form can mark the input at fault; they named the analytics package's own names
// (definition.k, definition.lasting, by, cohorts[0], cohorts.organisationIds).
func TestAnalyticsErrorsNameTheArgument(t *testing.T) {
	t.Parallel()
	w := newDocsWorld(t)
	ev := apitest.Client(t, w.base, auth.Principal{Subject: "eva", Role: auth.Evaluator, OrgID: w.orgA, Orgs: []string{w.orgA}})
	const y2018 = `{label: "a", exitFrom: "2018-01-01", exitTo: "2019-01-01"}`
	figures := func(cohorts, def, rest string) string {
		q := `{ outcomeFigures(cohorts: [` + cohorts + `], definition: ` + def + rest + `) { n } }`
		if strings.Contains(cohorts, "$o") {
			q = `query($o: [ID!]) ` + q
		}
		return q
	}
	for _, tc := range []struct{ name, query, code, field string }{
		{"MonthsAfterExitOutOfRange", figures(y2018, `{kind: IN_WORK_OR_STUDIES, monthsAfterExit: 37}`, ""), "INVALID", "definition.monthsAfterExit"},
		{"NegativeMonthsAfterExit", figures(y2018, `{kind: SELF_SUFFICIENT, monthsAfterExit: -1}`, ""), "INVALID", "definition.monthsAfterExit"},
		{"HorizonBeyondTheWarehouse", figures(y2018, `{kind: LASTING_ATTACHMENT, horizons: [6, 40]}`, ""), "INVALID", "definition.horizons"},
		{"NegativeHorizon", figures(y2018, `{kind: LASTING_ATTACHMENT, horizons: [-6]}`, ""), "INVALID", "definition.horizons"},
		{"LastingStatusUnknown", figures(y2018, `{kind: LASTING_ATTACHMENT, statuses: [UNKNOWN]}`, ""), "INVALID", "definition.statuses"},
		{"StatusAtUnknown", figures(y2018, `{kind: STATUS_AT, monthsAfterExit: 6, statuses: [UNKNOWN]}`, ""), "INVALID", "definition.statuses"},
		{"BreakdownTwice", figures(y2018, `{kind: REPEATED_ENTRY}`, `, breakdowns: [GENDER, MEASURE, GENDER]`), "INVALID", "breakdowns[2]"},
		{"FourBreakdowns", figures(y2018, `{kind: REPEATED_ENTRY}`, `, breakdowns: [GENDER, MEASURE, AGE_BAND, UNIT]`), "INVALID", "breakdowns"},
		{"StandardiseByTwice", figures(y2018, `{kind: REPEATED_ENTRY}`, `, standardiseBy: [GENDER, GENDER]`), "INVALID", "standardiseBy[1]"},
		{"StandardiseByMeasure", figures(y2018, `{kind: REPEATED_ENTRY}`, `, standardiseBy: [MEASURE]`), "INVALID", "standardiseBy[0]"},
		{"EmptyPeriod", figures(`{label: "a", exitFrom: "2019-01-01", exitTo: "2018-01-01"}`, `{kind: REPEATED_ENTRY}`, ""), "INVALID", "cohorts[0].exitTo"},
		{"PeriodBefore1970", figures(`{label: "a", exitFrom: "1900-01-01", exitTo: "2018-01-01"}`, `{kind: REPEATED_ENTRY}`, ""), "INVALID", "cohorts[0].exitFrom"},
		{"SecondCohortEmpty", figures(y2018+`, {label: "b", exitFrom: "2018-01-01", exitTo: "2018-01-01"}`, `{kind: REPEATED_ENTRY}`, ""), "INVALID", "cohorts[1].exitTo"},
		{"AnotherMunicipality", figures(y2018+`, {label: "b", exitFrom: "2018-01-01", exitTo: "2019-01-01", organisationIds: $o}`, `{kind: REPEATED_ENTRY}`, ""), "FORBIDDEN", "cohorts[1].organisationIds[0]"},
		{"SurvivalEmptyPeriod", `{ timeToEmployment(cohort: {label: "a", exitFrom: "2019-01-01", exitTo: "2019-01-01"}, from: EXIT) { n } }`, "INVALID", "cohort.exitTo"},
		{"SurvivalBreakdownTwice", `{ timeToEmployment(cohort: ` + y2018 + `, from: EXIT, breakdowns: [GENDER, GENDER]) { n } }`, "INVALID", "breakdowns[1]"},
		{"TransitionsBefore1970", `{ susTransitions(cohort: {label: "a", exitFrom: "1969-12-31", exitTo: "2019-01-01"}) { definitionVersion } }`, "INVALID", "cohort.exitFrom"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var vars map[string]any
			if strings.Contains(tc.query, "$o") {
				vars = map[string]any{"o": []string{w.orgB}}
			}
			gqltest.WantError(t, ev.MustFail(t, tc.query, vars), tc.code, tc.field)
		})
	}
}
