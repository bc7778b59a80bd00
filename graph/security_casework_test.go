package graph_test

import "testing"

// The casework operations (consent, protected identity, register linkage) in the role
// matrix, after the others (testdata/role_matrix.golden keeps this order).
func init() { operations = append(operations, consentOperations...) }

func (w *world) consentInA(t *testing.T, person string) string {
	t.Helper()
	return w.adminCreate(t, "recordConsent", `mutation($p: ID!) { recordConsent(input: {participantId: $p, scope: REGISTER_LINKAGE,
		givenOn: "2019-01-02"}) { id } }`, map[string]any{"p": person})
}

var consentOperations = []operation{
	{"mutation recordConsent", func(t *testing.T, w *world) (string, map[string]any) {
		return `mutation($p: ID!) { recordConsent(input: {participantId: $p, scope: FOLLOW_UP}) { id scope active } }`,
			map[string]any{"p": w.createPerson(t, w.orgA)}
	}},
	{"mutation withdrawConsent", func(t *testing.T, w *world) (string, map[string]any) {
		return `mutation($c: ID!) { withdrawConsent(input: {consentId: $c}) { id active } }`,
			map[string]any{"c": w.consentInA(t, w.createPerson(t, w.orgA))}
	}},
	{"mutation setProtectedIdentity", func(t *testing.T, w *world) (string, map[string]any) {
		return `mutation($p: ID!) { setProtectedIdentity(participantId: $p, protected: true) { id protectedIdentity identityHidden } }`,
			map[string]any{"p": w.createPerson(t, w.orgA)}
	}},
	{"mutation registerLinkageExport", byOrgA(`mutation($o: ID!) { registerLinkageExport(organisationId: $o, fromMonth: "2019-01",
		toMonth: "2019-12") { people lines excludedNoConsent excludedProtected } }`)},
	{"mutation importRegisterLinkageReturn", func(t *testing.T, w *world) (string, map[string]any) {
		id, number := w.personWithPNR(t)
		w.consentInA(t, id)
		return `mutation($o: ID!, $csv: String) { importRegisterLinkageReturn(organisationId: $o, source: AF_DATA, csv: $csv) {
			imported errors { line field message } } }`,
			map[string]any{"o": w.orgA, "csv": "personnummer;månad;status\n" + number + ";2019-06;studies\n"}
	}},
	// Another organisation's person: NOT_FOUND for its caseworker (row-level security).
	{"mutation recordConsent of B", func(t *testing.T, w *world) (string, map[string]any) {
		return `mutation($p: ID!) { recordConsent(input: {participantId: $p, scope: FOLLOW_UP}) { id } }`,
			map[string]any{"p": w.createPerson(t, w.orgB)}
	}},
}
