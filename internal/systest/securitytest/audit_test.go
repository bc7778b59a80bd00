package securitytest_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/arbetsmarknad/outcomes/graph/model"
)

// TestAuditFailsClosed: a write and its audit rows commit together (when the audit row
// cannot be written, nothing is written), a mutation's selected fields add no write rows
// (one row for the operation, one per person touched), and a client's request id is used
// only when it has a strict form.
func TestAuditFailsClosed(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	create := `mutation($o: ID!, $p: String!) { createParticipant(input: {organisationId: $o, personalIdentityNumber: $p,
		givenName: "Ada", familyName: "Berg", gender: WOMAN}) { id givenName enrolments { id } } }`

	t.Run("AuditWriteFailsSoTheWriteRollsBack", func(t *testing.T) {
		// The audit log refuses this caseworker's rows (as a full disk or a broken
		// trigger would): the owner adds a trigger the API's role cannot touch.
		if _, err := s.Owner.Exec(ctx, `CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN IF NEW.subject = 'cw-blocked' THEN RAISE EXCEPTION 'audit log unavailable'; END IF; RETURN NEW; END $$;
			CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_audit()`); err != nil {
			t.Fatal(err)
		}
		before := s.count(t, `SELECT count(*) FROM participant`)
		errs := s.caseworker(t, "cw-blocked", s.orgA).MustFail(t, create, map[string]any{"o": s.orgA, "p": s.pnr()})
		if errs[0].Code() != "INTERNAL" {
			t.Errorf("failed audit answered %+v", errs)
		}
		if after := s.count(t, `SELECT count(*) FROM participant`); after != before {
			t.Errorf("the write committed without its audit row: %d participants, was %d", after, before)
		}
		if n := s.count(t, `SELECT count(*) FROM change_event`); n != 0 {
			t.Errorf("%d change events of the rolled-back write", n)
		}
	})

	t.Run("OneRowPerOperationAndPerson", func(t *testing.T) {
		cw := s.caseworker(t, "cw-a", s.orgA)
		var p struct{ CreateParticipant struct{ ID string } }
		cw.MustData(t, create, map[string]any{"o": s.orgA, "p": s.pnr()}, &p)
		var e struct{ CreateEnrolment struct{ ID string } }
		cw.MustData(t, `mutation($p: ID!) { createEnrolment(input: {participantId: $p, measureTypeCode: "work_practice",
			startDate: "2023-01-01"}) { id participant { id givenName enrolments { id participant { id } } } } }`,
			map[string]any{"p": p.CreateParticipant.ID}, &e)
		got := map[string]int{}
		rows, err := s.Owner.Query(ctx, `SELECT operation || ' ' || entity || ' ' || coalesce(entity_id, '') FROM audit_log
			WHERE subject = 'cw-a' AND action = 'write'`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var r string
			if err := rows.Scan(&r); err != nil {
				t.Fatal(err)
			}
			got[r]++
		}
		want := map[string]int{
			"createParticipant participant " + recordID(p.CreateParticipant.ID): 1,
			"createEnrolment enrolment " + recordID(e.CreateEnrolment.ID):       1,
			"createEnrolment participant " + recordID(p.CreateParticipant.ID):   1,
		}
		if len(got) != len(want) {
			t.Errorf("write rows %v, want %v", got, want)
		}
		for k, n := range want {
			if got[k] != n {
				t.Errorf("write rows %v, want %v", got, want)
				break
			}
		}
		// The write rows were committed with the write, in its transaction.
		if n := s.count(t, `SELECT count(*) FROM audit_log a JOIN participant p ON p.id::text = a.entity_id
			WHERE a.operation = 'createParticipant' AND a.subject = 'cw-a' AND a.xmin = p.xmin`); n != 1 {
			t.Errorf("createParticipant's audit row is not in its transaction (%d rows share its xmin)", n)
		}
	})

	t.Run("ImportRecordsEachPersonChanged", func(t *testing.T) {
		cw := s.caseworker(t, "cw-import", s.orgA)
		csv := "personal_identity_number,given_name,family_name,gender\n" + s.pnr() + ",Ada,Berg,woman\n" + s.pnr() + ",Bo,Ek,man\n"
		var out struct{ ImportParticipants struct{ Imported int } }
		cw.MustData(t, `mutation($o: ID!, $csv: String!) { importParticipants(organisationId: $o, csv: $csv) { imported } }`,
			map[string]any{"o": s.orgA, "csv": csv}, &out)
		if out.ImportParticipants.Imported != 2 {
			t.Fatalf("imported %d, want 2", out.ImportParticipants.Imported)
		}
		// One row per person the import registered, each naming them, in the import's
		// transaction; nothing else written.
		if n := s.count(t, `SELECT count(*) FROM audit_log a JOIN participant p ON p.id::text = a.entity_id
			WHERE a.subject = 'cw-import' AND a.action = 'write' AND a.operation = 'importParticipants'
			AND a.entity = 'participant' AND a.xmin = p.xmin`); n != 2 {
			t.Errorf("%d audit rows name an imported person in the import's transaction, want 2", n)
		}
		if n := s.count(t, `SELECT count(*) FROM audit_log WHERE subject = 'cw-import' AND action = 'write'`); n != 2 {
			t.Errorf("%d write rows for an import of two people, want 2", n)
		}
	})

	t.Run("RequestIDsOfStrictFormOnly", func(t *testing.T) {
		tok := adminToken(t)
		body := `{"query":"mutation { createOrganisation(input: {code: \"rid-%s\", name: \"R\", kind: MUNICIPALITY}) { id } }"}`
		for name, id := range map[string]string{
			"Personal":  "19121212-1212 Tolvan",
			"Injection": "x'); DROP TABLE audit_log;--",
			"TooLong":   strings.Repeat("a", 64),
		} {
			r := s.post(t, tok, strings.NewReader(strings.Replace(body, "%s", strings.ToLower(name), 1)), map[string]string{"X-Request-Id": id})
			if r.status != http.StatusOK || len(r.errors) > 0 {
				t.Fatalf("%s: %d %s", name, r.status, r.body)
			}
			own := r.header.Get("X-Request-Id")
			if own == id || !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(own) {
				t.Errorf("%s: request id %q used, want one of the server's own", name, own)
			}
			if n := s.count(t, `SELECT count(*) FROM audit_log WHERE request_id = $1`, own); n != 1 {
				t.Errorf("%s: %d audit rows under the server's id", name, n)
			}
		}
		id := "3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b"
		r := s.post(t, tok, strings.NewReader(strings.Replace(body, "%s", "uuid", 1)), map[string]string{"X-Request-Id": id})
		if r.header.Get("X-Request-Id") != id || s.count(t, `SELECT count(*) FROM audit_log WHERE request_id = $1`, id) != 1 {
			t.Errorf("a UUID request id was not kept: %q", r.header.Get("X-Request-Id"))
		}
	})
}

// recordID is the record id inside a global id (Node.id), which the audit log holds.
func recordID(id string) string { return model.RecordID("", id) }
