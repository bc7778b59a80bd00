package securitytest_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
)

// TestNothingPersonalInLogs sends the requests a careless or hostile client sends, each
// carrying a personal identity number and a name, and requires that no log line holds
// either: not a request id, a token's claims, a body, variables, nor a value a store or
// a library refused.
func TestNothingPersonalInLogs(t *testing.T) {
	s := newServer(t)
	tok := adminToken(t)
	const pnr, name = "19121212-1212", "Tolvan Tolvansson"
	needles := []string{pnr, "191212121212", "1212121212", "Tolvan"}
	now := time.Now()

	// A request id made of personal data.
	s.post(t, tok, strings.NewReader(`{"query":"{ __typename }"}`), map[string]string{"X-Request-Id": pnr + " " + name})
	// Tokens whose claims hold personal data: as organisation, as key id, as role.
	for _, c := range []jwt.MapClaims{
		{"sub": "x", "role": "caseworker", "org": "tolvan-191212121212", "exp": now.Add(time.Hour).Unix()},
		{"sub": "x", "role": name, "org": s.orgA, "exp": now.Add(time.Hour).Unix()},
		{"sub": "x", "role": "caseworker", "org": s.orgA, "exp": pnr},
	} {
		s.post(t, sign(t, c), strings.NewReader(`{"query":"{ __typename }"}`), nil)
	}
	// Malformed bodies and refused text holding the values.
	for _, body := range []string{
		`{"query": "{ participant(id: \"` + pnr + `\") { id } }", "variables": {"name": "` + name + `"`,
		`[{"query":"{ __typename }","variables":{"pnr":"` + pnr + `"}}]`,
		`{"query":"{ __typename }","variables":{"pnr":"` + pnr + "\\u0000" + `","name":"` + name + `"}}`,
		`{"query":"{ __typename }","variables":{"name":"` + name + "\xff" + `"}}`,
		`{"query":"mutation { createParticipant(input: {organisationId: \"` + s.orgA + `\", personalIdentityNumber: \"` + pnr +
			`\", givenName: \"` + name + `\", familyName: \"X\", gender: WOMAN, birthDate: \"` + pnr + `\"}) { id } }"}`,
		`{"query":"{ participant(id: \"` + pnr + `\") { id givenName } }"}`,
		`{"query":"query Q($p: ID!) { participant(id: $p) { id } }","variables":{"p":"` + pnr + `"}}`,
		`{"query":"{ ` + strings.Repeat(name+" ", 3000) + `}"}`,
	} {
		s.post(t, tok, strings.NewReader(body), nil)
	}
	// A conflict: PostgreSQL's message quotes the value it refused.
	create := `mutation { createParticipant(input: {organisationId: "` + s.orgA + `", personalIdentityNumber: "` + pnr +
		`", givenName: "Tolvan", familyName: "Tolvansson", gender: MAN}) { id } }`
	s.postJSON(t, tok, map[string]any{"query": create})
	s.postJSON(t, tok, map[string]any{"query": create})

	// A caller whose token names them by their identity number or e-mail address (as an
	// identity provider on Swedish e-identification may), whose request fails inside the
	// server: the audit log refuses their rows (as a full disk would), which is logged
	// with the caller's context, and their read is withheld.
	if _, err := s.Owner.Exec(context.Background(), `CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN IF NEW.subject LIKE '%1212%' OR NEW.subject LIKE 'tolvan%' THEN RAISE EXCEPTION 'audit log unavailable'; END IF; RETURN NEW; END $$;
		CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_audit()`); err != nil {
		t.Fatal(err)
	}
	for _, subject := range []string{pnr, "tolvan.tolvansson@kommun.se"} {
		reader := s.Client(t, auth.Principal{Subject: subject, Role: auth.Caseworker, OrgID: s.orgA})
		if errs := reader.MustFail(t, `query($o: ID!) { participants(organisationId: $o) { edges { node { id } } } }`,
			map[string]any{"o": s.orgA}); errs[0].Code() != "INTERNAL" {
			t.Errorf("a read whose audit rows were refused: %+v", errs)
		}
	}
	needles = append(needles, "tolvan.tolvansson@")
	if logs := s.Logs.String(); !strings.Contains(logs, "audit log write failed") {
		t.Errorf("no refused audit write was logged; the test would prove nothing:\n%s", logs)
	}

	logs := s.Logs.String()
	if !strings.Contains(logs, `"message":"request"`) {
		t.Fatalf("no request lines were logged; the test would prove nothing:\n%s", logs)
	}
	for _, line := range bytes.Split([]byte(logs), []byte("\n")) {
		if n := contains(string(line), needles...); n != "" {
			t.Errorf("log line holds %q: %s", n, line)
		}
	}
}
