package graph_test

import (
	"testing"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/app/apiserver"
	"github.com/arbetsmarknad/outcomes/internal/app/apiserver/apitest"
)

// A report month that is malformed and one that has not begun are both INVALID on the
// argument month, named as every argument error is (first, input.startDate), not by
// the query field's path (steeringReport.month): for the report, its link and its
// freezing alike. A link to a month not begun is refused, not signed to open nothing.
func TestSteeringReportMonthErrorsNameTheArgument(t *testing.T) {
	t.Parallel()
	s := apitest.New(t, apitest.Options{Warehouse: true, API: apiserver.Options{Introspection: true}})
	admin := s.Admin(t)
	org := apitest.Organisation(t, admin, "manadskommun", "Månadskommun")
	later := time.Now().UTC().AddDate(0, 1, 0).Format("2006-01")
	for _, op := range []string{
		`query($o: ID!, $m: Month!) { steeringReport(organisationId: $o, month: $m) { organisationName } }`,
		`mutation($o: ID!, $m: Month!) { steeringReportLink(organisationId: $o, month: $m, format: HTML) { url } }`,
		`mutation($o: ID!, $m: Month!) { freezeSteeringReport(organisationId: $o, month: $m) { id } }`,
	} {
		for _, month := range []string{"2018-13", later} {
			errs := admin.MustFail(t, op, map[string]any{"o": org, "m": month})
			if errs[0].Code() != "INVALID" || errs[0].Field() != "month" {
				t.Errorf("%.50s month %s: %+v, want INVALID on month", op, month, errs)
			}
		}
	}
	// The same for a literal argument, and for a scalar inside an input object.
	errs := admin.MustFail(t, `query($o: ID!) { steeringReport(organisationId: $o, month: "2018-00") { organisationName } }`, map[string]any{"o": org})
	if errs[0].Code() != "INVALID" || errs[0].Field() != "month" {
		t.Errorf("literal month: %+v, want INVALID on month", errs)
	}
	errs = admin.MustFail(t, `mutation { createEnrolment(input: {participantId: "00000000-0000-0000-0000-000000000000",
		measureTypeCode: "extra_job", startDate: "2019-13-01"}) { id } }`, nil)
	if errs[0].Code() != "INVALID" || errs[0].Field() != "input.startDate" {
		t.Errorf("malformed date in an input: %+v, want INVALID on input.startDate", errs)
	}
}
