package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/arbetsmarknad/outcomes/internal/app/apiserver/apitest"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/gqltest"
)

// docFixtures makes, through the API, the records the docs' placeholders stand for
// (docs/API.md lists them) and returns placeholder → id.
func docFixtures(t *testing.T, w *world) map[string]string {
	t.Helper()
	ids := map[string]string{"ORG": w.orgA, "<id of uppsala>": w.orgA, "<organisation id>": w.orgA}
	ids["STAFF"] = w.adminCreate(t, "createStaffUser", `mutation($o: ID!) { createStaffUser(input: {organisationId: $o, name: "Anna Coach",
		title: "jobbcoach"}) { id } }`, map[string]any{"o": w.orgA})
	ids["EMP"] = w.adminCreate(t, "createEmployer", `mutation($o: ID!) { createEmployer(input: {organisationId: $o, kind: MUNICIPAL_DEPARTMENT,
		name: "Socialförvaltningen", headcount: 900}) { id } }`, map[string]any{"o": w.orgA})
	person := func(number, given string) string {
		return w.adminCreate(t, "createParticipant", `mutation($o: ID!, $n: String!, $g: String!, $s: ID!) { createParticipant(input: {
			organisationId: $o, personalIdentityNumber: $n, givenName: $g, familyName: "Lind", gender: WOMAN, caseworkerId: $s,
			attributes: {validFrom: "2017-01-01", district: "Gottsunda", registeredAtAf: true, guaranteeDays: 500, distanceCategory: RED}}) { id } }`,
			map[string]any{"o": w.orgA, "n": number, "g": given, "s": ids["STAFF"]})
	}
	ids["P"] = person("19710707-7773", "Maja")
	ids["P2"] = person(pnr(1972, 8, 8, 888), "Moa")
	ids["E"] = w.adminCreate(t, "createEnrolment", `mutation($p: ID!) { createEnrolment(input: {participantId: $p,
		measureTypeCode: "labour_market_employment", startDate: "2018-01-15", employmentRate: 50}) { id } }`, map[string]any{"p": ids["P"]})
	ids["R"] = w.adminCreate(t, "createReferral", `mutation($p: ID!) { createReferral(input: {participantId: $p, source: SOCIAL_SERVICES,
		referralDate: "2018-01-10", ordered: [MAPPING], feedbackDueDate: "2018-02-10"}) { id } }`, map[string]any{"p": ids["P"]})
	ids["R2"] = w.adminCreate(t, "createReferral", `mutation($p: ID!) { createReferral(input: {participantId: $p, source: AF,
		referralDate: "2018-01-11", ordered: [MAPPING]}) { id } }`, map[string]any{"p": ids["P"]})
	ids["EV"] = w.adminCreate(t, "createRecruitmentEvent", `mutation($o: ID!, $d: ID!) { createRecruitmentEvent(input: {organisationId: $o,
		kind: FAIR, name: "Mässa", heldOn: "2018-02-15", measureTypeCode: "extra_job", places: [{employerId: $d, places: 3}]}) { id } }`,
		map[string]any{"o": w.orgA, "d": ids["EMP"]})
	ids["I"] = w.adminCreate(t, "recordInterview", `mutation($e: ID!, $p: ID!, $d: ID!) { recordInterview(input: {eventId: $e,
		participantId: $p, employerId: $d}) { id } }`, map[string]any{"e": ids["EV"], "p": ids["P2"], "d": ids["EMP"]})
	w.admin.MustData(t, `mutation($i: ID!) { makeOffer(input: {interviewId: $i, version: 1, offerDate: "2018-02-20"}) { id } }`,
		map[string]any{"i": ids["I"]}, nil)
	ids["EX"] = w.adminCreate(t, "createEnrolment", `mutation($p: ID!) { createEnrolment(input: {participantId: $p,
		measureTypeCode: "labour_market_employment", startDate: "2018-01-15", employmentRate: 50, endDate: "2018-04-30",
		exitReason: UNSUBSIDISED_EMPLOYMENT_FULL}) { id } }`, map[string]any{"p": ids["P2"]})
	w.admin.MustData(t, `mutation($e: ID!, $p: ID!) { inviteToRecruitmentEvent(input: {eventId: $e, participantIds: [$p]}) { id } }`,
		map[string]any{"e": ids["EV"], "p": ids["P2"]}, nil)
	ids["PROJ"] = w.adminCreate(t, "createProject", `mutation($o: ID!) { createProject(input: {organisationId: $o, name: "Vägen till arbete",
		funder: ESF, startDate: "2017-01-01"}) { id } }`, map[string]any{"o": w.orgA})
	ids["C"] = w.adminCreate(t, "recordConsent", `mutation($p: ID!) { recordConsent(input: {participantId: $p, scope: FOLLOW_UP,
		givenOn: "2018-01-10"}) { id } }`, map[string]any{"p": ids["P"]})
	return ids
}

// newDocsWorld is newWorld with the server's default limits, as the docs' reader has them.
func newDocsWorld(t *testing.T) *world {
	t.Helper()
	return worldOn(t, apitest.New(t, apitest.Options{Warehouse: true}), "uppsala", "boras")
}

var placeholder = regexp.MustCompile(`"(ORG|STAFF|EMP|P2?|EX?|R|I|EV|C|PROJ|<id of uppsala>|<organisation id>)"`)

// TestDocsExamplesRun runs every GraphQL example of docs/*.md and README.md, in order,
// against a real server (PostgreSQL and ClickHouse), with real ids in place of the
// placeholders, and the upload example of docs/API.md with curl as written: each must
// answer without errors. Subscriptions are only validated (TestDocsExamplesValidate):
// they need the live-figures hub (internal/systest/e2e TestSubscriptionFiresAfterTheLoaderWrote).
func TestDocsExamplesRun(t *testing.T) {
	w := newDocsWorld(t)
	ids := docFixtures(t, w)
	// Cohort figures are read as the docs' reader of them, an evaluator of the
	// organisation (whose cohorts default to it); everything else as the admin.
	evaluator := apitest.Client(t, w.base, auth.Principal{Subject: "docs-evaluator", Role: auth.Evaluator, OrgID: w.orgA, Orgs: []string{w.orgA}})
	readsCohorts := regexp.MustCompile(`\bcohorts?:`)
	vars := map[string]map[string]any{ // by operation name, then the defaults ("")
		"NodeById":     {"id": ids["P"]},
		"SaveReferral": {"id": ids["R2"], "version": 1},
		"":             {"o": w.orgA, "org": w.orgA, "p": ids["P"], "key": "docs-example-1", "before": nil, "sheet": nil},
	}
	files := []string{"../docs/API.md", "../docs/FRONTEND.md", "../README.md"}
	ran := 0
	for _, file := range files {
		doc, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for i, b := range regexp.MustCompile("(?s)```graphql\n(.*?)```").FindAllStringSubmatch(string(doc), -1) {
			text := placeholder.ReplaceAllStringFunc(b[1], func(m string) string { return `"` + ids[strings.Trim(m, `"`)] + `"` })
			q, perr := parser.ParseQuery(&ast.Source{Input: text})
			if perr != nil {
				t.Errorf("%s example %d does not parse: %v", file, i+1, perr)
				continue
			}
			op := q.Operations[0]
			if op.Operation == ast.Subscription {
				continue
			}
			given := map[string]any{}
			upload := ""
			for _, d := range op.VariableDefinitions {
				if d.Type.Name() == "Upload" {
					upload = d.Variable
					continue
				}
				v, ok := vars[op.Name][d.Variable]
				if !ok {
					v, ok = vars[""][d.Variable]
				}
				if !ok {
					t.Fatalf("%s example %d: no value for $%s", file, i+1, d.Variable)
				}
				given[d.Variable] = v
			}
			var errs []string
			if upload != "" {
				csv := "personal_identity_number,month,status,source\n19710707-7773,2019-09,studies,af_data\n"
				r, _, err := w.admin.Upload(context.Background(), text, given, upload, "observations.csv", []byte(csv), false)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range r.Errors {
					errs = append(errs, e.Message)
				}
				if strings.Contains(string(r.Data), `"errors":[{`) {
					errs = append(errs, "rows refused: "+string(r.Data))
				}
			} else {
				c := w.admin
				if readsCohorts.MatchString(text) {
					c = evaluator
				}
				r, err := c.Do(context.Background(), text, given)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range r.Errors {
					errs = append(errs, e.Code()+" "+e.Field()+": "+e.Message)
				}
				// An import's rejected rows come back as data: an example whose file is
				// refused does not run as written either.
				if strings.Contains(string(r.Data), `"errors":[{`) {
					errs = append(errs, "rows refused: "+string(r.Data))
				}
			}
			if len(errs) > 0 {
				t.Errorf("%s example %d fails: %v\n%s", file, i+1, errs, b[1])
			}
			ran++
		}
	}
	if ran < 45 {
		t.Errorf("ran %d examples, want every one of the docs (45 or more)", ran)
	}

	// docs/FRONTEND.md's error example is what a createParticipant with a wrong check
	// digit and a 101-character given name answers: the same errors, in any order.
	t.Run("ErrorExample", func(t *testing.T) {
		doc, err := os.ReadFile("../docs/FRONTEND.md")
		if err != nil {
			t.Fatal(err)
		}
		blocks := regexp.MustCompile("(?s)```json\n(.*?)```").FindAllStringSubmatch(string(doc), -1)
		if len(blocks) != 1 {
			t.Fatalf("found %d JSON examples in docs/FRONTEND.md, want 1", len(blocks))
		}
		var want struct{ Errors []gqltest.Error }
		if err := json.Unmarshal([]byte(blocks[0][1]), &want); err != nil || len(want.Errors) < 2 {
			t.Fatalf("the example does not decode as errors (%v): %s", err, blocks[0][1])
		}
		r, err := w.admin.Do(context.Background(), `mutation($o: ID!, $n: String!, $g: String!) { createParticipant(input: {
			organisationId: $o, personalIdentityNumber: $n, givenName: $g, familyName: "Lind", gender: WOMAN}) { id } }`,
			map[string]any{"o": w.orgA, "n": "19121212-1213", "g": strings.Repeat("A", 101)})
		if err != nil {
			t.Fatal(err)
		}
		key := func(e gqltest.Error) string {
			return fmt.Sprint(e.Message, e.Path, e.Code(), e.Field())
		}
		var got, wanted []string
		for _, e := range r.Errors {
			got = append(got, key(e))
		}
		for _, e := range want.Errors {
			wanted = append(wanted, key(e))
		}
		sort.Strings(got)
		sort.Strings(wanted)
		if !reflect.DeepEqual(got, wanted) || string(r.Data) != "null" {
			t.Errorf("the API answers %q (data %s), docs/FRONTEND.md shows %q", got, r.Data, wanted)
		}
	})

	t.Run("CurlUpload", func(t *testing.T) {
		doc, err := os.ReadFile("../docs/API.md")
		if err != nil {
			t.Fatal(err)
		}
		blocks := regexp.MustCompile("(?s)```sh\n(curl .*?)```").FindAllStringSubmatch(string(doc), -1)
		if len(blocks) != 1 {
			t.Fatalf("found %d curl examples in docs/API.md, want 1", len(blocks))
		}
		script := strings.ReplaceAll(blocks[0][1], "localhost:8080", strings.TrimPrefix(w.base, "http://"))
		script = strings.ReplaceAll(script, "<organisation id>", w.orgB) // B has registered none of the file's people
		tok := apitest.Token(t, auth.Principal{Subject: "docs-admin", Role: auth.Admin})
		cmd := exec.Command("sh", "-c", script)
		cmd.Dir = ".."
		cmd.Env = append(os.Environ(), "TOKEN="+tok)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("curl: %v\n%s", err, out)
		}
		var got struct {
			Data struct {
				ImportParticipants struct{ Imported, Skipped int }
			}
		}
		if err := json.Unmarshal(out, &got); err != nil || got.Data.ImportParticipants.Imported != 5 {
			t.Errorf("the curl example answered %s (%v), docs/API.md says imported 5", out, err)
		}
	})
}
