package graph_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/arbetsmarknad/outcomes/internal/app/apiserver/apitest"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
)

// TestUnknownMeasureCodesAreInvalid: an evaluator's cohort of a measure code that no
// catalogue of its organisations has (a typo: "extra_jobs") is INVALID on that code, in
// GraphQL and in the microdata export alike, instead of figures of nobody (n = 0) or an
// empty file; codes of the catalogue are answered as before.
func TestUnknownMeasureCodesAreInvalid(t *testing.T) {
	t.Parallel()
	w := newDocsWorld(t)
	ev := apitest.Client(t, w.base, auth.Principal{Subject: "eva", Role: auth.Evaluator, OrgID: w.orgA, Orgs: []string{w.orgA}})
	figures := `query($m: [String!]) { outcomeFigures(cohorts: [{label: "a", exitFrom: "2018-01-01", exitTo: "2019-01-01", measureTypeCodes: $m}],
		definition: {kind: LASTING_ATTACHMENT}) { n } }`
	curve := `query($m: [String!]) { timeToEmployment(cohort: {label: "a", exitFrom: "2018-01-01", exitTo: "2019-01-01", measureTypeCodes: $m},
		from: EXIT) { n } }`
	for q, field := range map[string]string{figures: "cohorts[0].measureTypeCodes[1]", curve: "cohort.measureTypeCodes[1]"} {
		errs := ev.MustFail(t, q, map[string]any{"m": []string{"extra_job", "extra_jobs"}})
		if len(errs) != 1 || errs[0].Code() != "INVALID" || errs[0].Field() != field {
			t.Errorf("an unknown measure code: %+v, want it on %s", errs, field)
		}
		ev.MustData(t, q, map[string]any{"m": []string{"extra_job", "work_practice"}}, nil)
	}

	get := func(measure string) (int, string, string) {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet,
			w.base+"/microdata.csv?exitFrom=2018-01-01&exitTo=2019-01-01&measure="+measure, nil)
		req.Header.Set("Authorization", "Bearer "+apitest.Token(t, auth.Principal{Subject: "eva", Role: auth.Evaluator, OrgID: w.orgA, Orgs: []string{w.orgA}}))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var e struct {
			Errors []struct{ Extensions struct{ Code, Field string } }
		}
		if json.Unmarshal(b, &e) == nil && len(e.Errors) > 0 {
			return resp.StatusCode, e.Errors[0].Extensions.Code, e.Errors[0].Extensions.Field
		}
		return resp.StatusCode, "", ""
	}
	if status, code, field := get("extra_jobs"); status != http.StatusBadRequest || code != "INVALID" || field != "measure[0]" {
		t.Errorf("microdata of an unknown measure: %d %s %s", status, code, field)
	}
	if status, code, _ := get("extra_job"); status != http.StatusOK {
		t.Errorf("microdata of extra jobs: %d %s", status, code)
	}
}
