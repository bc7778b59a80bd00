package graph_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// exited registers a person with an extra job ended 2018-06-30: follow-up months
// 2018-09 (+3), 2018-12 (+6), 2019-06 (+12), 2020-06 (+24).
func (w *caseWorld) exited(t *testing.T, number string) string {
	t.Helper()
	pid := w.person(t, number, `registeredAtAf: true`)
	w.cw.MustData(t, `mutation($p: ID!) { createEnrolment(input: {participantId: $p, measureTypeCode: "work_practice",
		startDate: "2018-01-08", endDate: "2018-06-30", exitReason: STUDIES}) { id } }`, map[string]any{"p": pid}, nil)
	return pid
}

func (w *caseWorld) consent(t *testing.T, pid, givenOn string) string {
	t.Helper()
	var c struct{ RecordConsent struct{ ID string } }
	w.cw.MustData(t, `mutation($p: ID!, $d: Date) { recordConsent(input: {participantId: $p, scope: REGISTER_LINKAGE, givenOn: $d}) { id } }`,
		map[string]any{"p": pid, "d": givenOn}, &c)
	return c.RecordConsent.ID
}

// TestRegisterLinkageExportAndReturn: the export holds exactly the people followed up
// with consent, never those without or with it withdrawn, nor protected ones; only the
// admin may produce it, each person in it audited; the returned file is imported all or
// nothing with line-level errors, and a person without consent refuses it.
func TestRegisterLinkageExportAndReturn(t *testing.T) {
	t.Parallel()
	w := newCaseWorld(t)
	withConsent := pnr(1985, 4, 12, 123)
	a := w.exited(t, withConsent)
	w.consent(t, a, "2018-01-08")
	b := w.exited(t, pnr(1986, 5, 13, 234)) // no consent
	c := w.exited(t, pnr(1987, 6, 14, 345)) // consent, then protected identity
	w.consent(t, c, "2018-01-08")
	w.cw.MustData(t, `mutation($p: ID!) { setProtectedIdentity(participantId: $p, protected: true) { id } }`, map[string]any{"p": c}, nil)
	d := w.exited(t, pnr(1988, 7, 15, 456)) // consent withdrawn
	cid := w.consent(t, d, "2018-01-08")
	w.cw.MustData(t, `mutation($c: ID!) { withdrawConsent(input: {consentId: $c, withdrawnOn: "2018-08-01"}) { id } }`, map[string]any{"c": cid}, nil)

	const export = `mutation($o: ID!) { registerLinkageExport(organisationId: $o, fromMonth: "2018-07", toMonth: "2019-06") {
		file people lines excludedNoConsent excludedProtected } }`
	if errs := w.cw.MustFail(t, export, map[string]any{"o": w.org}); errs[0].Code() != "FORBIDDEN" {
		t.Fatalf("a caseworker produced the export: %+v", errs)
	}
	var x struct {
		RegisterLinkageExport struct {
			File                                                string
			People, Lines, ExcludedNoConsent, ExcludedProtected int
		}
	}
	w.admin.MustData(t, export, map[string]any{"o": w.org}, &x)
	digits := strings.ReplaceAll(withConsent, "-", "")
	want := digits + "201809\n" + digits + "201812\n" + digits + "201906\n"
	if got := x.RegisterLinkageExport; got.File != want || got.People != 1 || got.Lines != 3 ||
		got.ExcludedNoConsent != 2 || got.ExcludedProtected != 1 {
		t.Errorf("export = %+v\nwant file %q", got, want)
	}
	for _, line := range strings.Split(strings.TrimSuffix(x.RegisterLinkageExport.File, "\n"), "\n") {
		if len(line) != 18 {
			t.Errorf("line of %d characters, want 18", len(line))
		}
	}
	if n := auditCount(t, w, `entity = 'participant' AND entity_id = $1 AND operation = 'registerLinkageExport' AND action = 'read'`, plain(a)); n != 1 {
		t.Errorf("the exported person's read audited %d times, want 1", n)
	}
	if n := auditCount(t, w, `operation = 'registerLinkageExport' AND entity_id = ANY($1)`, []string{plain(b), plain(c), plain(d)}); n != 0 {
		t.Errorf("people left out were audited as read: %d", n)
	}
	bad := w.admin.MustFail(t, `mutation($o: ID!) { registerLinkageExport(organisationId: $o, fromMonth: "2019-06", toMonth: "2018-07") { lines } }`,
		map[string]any{"o": w.org})
	if bad[0].Code() != "INVALID" || bad[0].Field() != "toMonth" {
		t.Errorf("reversed range: %+v", bad)
	}

	const imp = `mutation($o: ID!, $csv: String) { importRegisterLinkageReturn(organisationId: $o, source: AF_DATA, csv: $csv) {
		imported skipped errors { line field message } } }`
	observations := func() int {
		var n int
		if err := w.pool.QueryRow(context.Background(), `SELECT count(*) FROM outcome_observation WHERE source = 'af_data'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// One line of someone without consent, one bad status: nothing is written, both listed.
	returned := "personnummer;månad;status\n" + withConsent + ";2018-09;studies\n" + pnr(1986, 5, 13, 234) + ";2018-09;studies\n" +
		withConsent + ";2018-12;astronaut\n"
	var res struct {
		ImportRegisterLinkageReturn struct {
			Imported int
			Errors   []struct {
				Line           int
				Field, Message string
			}
		}
	}
	w.admin.MustData(t, imp, map[string]any{"o": w.org, "csv": returned}, &res)
	if r := res.ImportRegisterLinkageReturn; r.Imported != 0 || len(r.Errors) != 2 || r.Errors[0].Line != 3 ||
		!strings.Contains(r.Errors[0].Message, "consent") || r.Errors[1].Line != 4 || r.Errors[1].Field != "status" {
		t.Errorf("refused return = %+v", r)
	}
	if n := observations(); n != 0 {
		t.Fatalf("a refused file wrote %d observations", n)
	}
	if errs := w.cw.MustFail(t, imp, map[string]any{"o": w.org, "csv": returned}); errs[0].Code() != "FORBIDDEN" {
		t.Errorf("a caseworker imported a returned file: %+v", errs)
	}
	good := "personnummer;månad;status;försörjningsstöd\n" + withConsent + ";2018-09;unsubsidised_employment_full;nej\n" +
		withConsent + ";2018-12;unsubsidised_employment_full;nej\n"
	w.admin.MustData(t, imp, map[string]any{"o": w.org, "csv": good}, &res)
	if res.ImportRegisterLinkageReturn.Imported != 2 || len(res.ImportRegisterLinkageReturn.Errors) != 0 {
		t.Errorf("clean return = %+v", res.ImportRegisterLinkageReturn)
	}
	var got struct {
		Participant struct {
			Observations []struct{ Month, Source, Status string }
		}
	}
	w.admin.MustData(t, `query($p: ID!) { participant(id: $p) { observations { month source status } } }`, map[string]any{"p": a}, &got)
	if obs := got.Participant.Observations; len(obs) != 2 || obs[0].Source != "AF_DATA" || obs[0].Month != "2018-09" {
		t.Errorf("imported observations = %+v", obs)
	}
}

// TestBlankNamesAndMalformedEmailsAreRefused: everywhere a name or an e-mail address is
// written, a blank name and a malformed address are INVALID on their field and nothing
// is written.
func TestBlankNamesAndMalformedEmailsAreRefused(t *testing.T) {
	t.Parallel()
	w := newCaseWorld(t)
	pid := w.person(t, pnr(1985, 4, 12, 123), `registeredAtAf: true`)
	vars := map[string]any{"o": w.org, "p": pid, "e": w.department, "n": pnr(1990, 1, 2, 111)}
	cases := []struct{ name, query, field string }{
		{"ParticipantBlankGivenName", `mutation($o: ID!, $n: String!) { createParticipant(input: {organisationId: $o,
			personalIdentityNumber: $n, givenName: "   ", familyName: "Lind", gender: WOMAN}) { id } }`, "input.givenName"},
		{"ParticipantBlankFamilyName", `mutation($o: ID!, $n: String!) { createParticipant(input: {organisationId: $o,
			personalIdentityNumber: $n, givenName: "Sara", familyName: "", gender: WOMAN}) { id } }`, "input.familyName"},
		{"ParticipantBadEmail", `mutation($o: ID!, $n: String!) { createParticipant(input: {organisationId: $o,
			personalIdentityNumber: $n, givenName: "Sara", familyName: "Lind", gender: WOMAN, email: "sara@lind"}) { id } }`, "input.email"},
		{"UpdateBlankName", `mutation($p: ID!) { updateParticipant(input: {id: $p, version: 1, familyName: " "}) { id } }`, "input.familyName"},
		{"UpdateBadEmail", `mutation($p: ID!) { updateParticipant(input: {id: $p, version: 1, email: "sara lind@example.se"}) { id } }`, "input.email"},
		{"StaffBlankName", `mutation($o: ID!) { createStaffUser(input: {organisationId: $o, name: "  "}) { id } }`, "input.name"},
		{"StaffBadEmail", `mutation($o: ID!) { createStaffUser(input: {organisationId: $o, name: "Anna", email: "anna@@example.se"}) { id } }`, "input.email"},
		{"ContactBlankName", `mutation($e: ID!) { addEmployerContact(input: {employerId: $e, name: ""}) { id } }`, "input.name"},
		{"ContactBadEmail", `mutation($e: ID!) { addEmployerContact(input: {employerId: $e, name: "Bo", email: "Bo <bo@example.se>"}) { id } }`, "input.email"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := tableRows(t, w.pool)
			errs := w.admin.MustFail(t, tc.query, vars)
			if errs[0].Code() != "INVALID" || errs[0].Field() != tc.field {
				t.Errorf("got %+v, want INVALID on %s", errs, tc.field)
			}
			if after := tableRows(t, w.pool); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Errorf("rows changed: %v → %v", before, after)
			}
		})
	}
	t.Run("ImportBlankName", func(t *testing.T) {
		var res struct {
			ImportParticipants struct {
				Imported int
				Errors   []struct {
					Line  int
					Field string
				}
			}
		}
		w.admin.MustData(t, `mutation($o: ID!, $csv: String) { importParticipants(organisationId: $o, csv: $csv) { imported errors { line field } } }`,
			map[string]any{"o": w.org, "csv": "personnummer,förnamn,efternamn,kön\n" + pnr(1990, 1, 2, 111) + ", ,Lind,K\n"}, &res)
		if r := res.ImportParticipants; r.Imported != 0 || len(r.Errors) != 1 || r.Errors[0].Field != "given_name" {
			t.Errorf("import = %+v", r)
		}
	})
	t.Run("GoodAddressesPass", func(t *testing.T) {
		w.admin.MustData(t, `mutation($p: ID!) { updateParticipant(input: {id: $p, version: 1, email: "sara.lind+jobb@uppsala.se"}) { id } }`, vars, nil)
	})
}
