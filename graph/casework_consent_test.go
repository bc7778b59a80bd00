package graph_test

import (
	"context"
	"strings"
	"testing"

	"github.com/arbetsmarknad/outcomes/internal/app/apiserver/apitest"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
)

func auditCount(t *testing.T, w *caseWorld, where string, args ...any) int {
	t.Helper()
	var n int
	if err := w.pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE `+where, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestConsentIsRecordedWithdrawnAndKept: a consent has scope, day, who recorded it and
// its withdrawal; a second open one of the same scope is CONFLICT; the history stays.
func TestConsentIsRecordedWithdrawnAndKept(t *testing.T) {
	t.Parallel()
	w := newCaseWorld(t)
	pid := w.person(t, pnr(1985, 4, 12, 123), `registeredAtAf: true`)
	var rec struct {
		RecordConsent struct {
			ID, Scope, GivenOn, RecordedBy string
			Active                         bool
		}
	}
	w.cw.MustData(t, `mutation($p: ID!) { recordConsent(input: {participantId: $p, scope: REGISTER_LINKAGE, givenOn: "2018-01-15"}) {
		id scope givenOn recordedBy active } }`, map[string]any{"p": pid}, &rec)
	if c := rec.RecordConsent; c.Scope != "REGISTER_LINKAGE" || c.GivenOn != "2018-01-15" || c.RecordedBy != "cw-anna" || !c.Active {
		t.Fatalf("recorded consent = %+v", c)
	}
	again := w.cw.MustFail(t, `mutation($p: ID!) { recordConsent(input: {participantId: $p, scope: REGISTER_LINKAGE}) { id } }`, map[string]any{"p": pid})
	if again[0].Code() != "CONFLICT" {
		t.Errorf("second open consent: %+v", again)
	}
	future := w.cw.MustFail(t, `mutation($p: ID!) { recordConsent(input: {participantId: $p, scope: FOLLOW_UP, givenOn: "2099-01-01"}) { id } }`, map[string]any{"p": pid})
	if future[0].Code() != "INVALID" || future[0].Field() != "input.givenOn" {
		t.Errorf("consent in the future: %+v", future)
	}
	early := w.cw.MustFail(t, `mutation($c: ID!) { withdrawConsent(input: {consentId: $c, withdrawnOn: "2018-01-01"}) { id } }`,
		map[string]any{"c": rec.RecordConsent.ID})
	if early[0].Code() != "INVALID" {
		t.Errorf("withdrawal before the consent: %+v", early)
	}
	var wd struct {
		WithdrawConsent struct {
			WithdrawnOn, WithdrawnBy string
			Active                   bool
		}
	}
	w.cw.MustData(t, `mutation($c: ID!) { withdrawConsent(input: {consentId: $c, withdrawnOn: "2019-03-01"}) { withdrawnOn withdrawnBy active } }`,
		map[string]any{"c": rec.RecordConsent.ID}, &wd)
	if wd.WithdrawConsent.WithdrawnOn != "2019-03-01" || wd.WithdrawConsent.WithdrawnBy != "cw-anna" || wd.WithdrawConsent.Active {
		t.Errorf("withdrawn = %+v", wd.WithdrawConsent)
	}
	twice := w.cw.MustFail(t, `mutation($c: ID!) { withdrawConsent(input: {consentId: $c}) { id } }`, map[string]any{"c": rec.RecordConsent.ID})
	if twice[0].Code() != "CONFLICT" {
		t.Errorf("second withdrawal: %+v", twice)
	}
	// A new consent after the withdrawal is allowed; both stay as history.
	w.cw.MustData(t, `mutation($p: ID!) { recordConsent(input: {participantId: $p, scope: REGISTER_LINKAGE, givenOn: "2019-06-01"}) { id } }`,
		map[string]any{"p": pid}, nil)
	var got struct {
		Participant struct {
			Consents []struct {
				GivenOn     string
				WithdrawnOn *string
			}
		}
	}
	w.cw.MustData(t, `query($p: ID!) { participant(id: $p) { consents { givenOn withdrawnOn } } }`, map[string]any{"p": pid}, &got)
	if cs := got.Participant.Consents; len(cs) != 2 || cs[0].WithdrawnOn == nil || cs[1].WithdrawnOn != nil {
		t.Errorf("history = %+v", cs)
	}
	// Each consent shown is listed in the read row of its person.
	if n := auditCount(t, w, `action = 'read' AND entity = 'participant' AND entity_id = $1 AND EXISTS (SELECT 1 FROM unnest(records) r
		JOIN consent c ON r = 'consent:' || c.id WHERE c.participant_id = $1::uuid)`, plain(pid)); n != 1 {
		t.Errorf("%d read rows of the person list their consents, want 1", n)
	}
	if n := auditCount(t, w, `action = 'read' AND entity = 'participant' AND entity_id = $1 AND cardinality(records) = 2`, plain(pid)); n != 1 {
		t.Errorf("%d read rows of the person list both consents, want 1", n)
	}
	if n := auditCount(t, w, `action = 'write' AND operation IN ('recordConsent', 'withdrawConsent')`); n < 3 {
		t.Errorf("consent writes audited %d times, want 3 or more", n)
	}
	// Another organisation's caseworker cannot record consent for this person.
	other := apitest.Organisation(t, w.admin, "annan", "Annan kommun")
	stranger := apitest.Client(t, w.base, auth.Principal{Subject: "cw-other", Role: auth.Caseworker, OrgID: other})
	if errs := stranger.MustFail(t, `mutation($p: ID!) { recordConsent(input: {participantId: $p, scope: FOLLOW_UP}) { id } }`,
		map[string]any{"p": pid}); errs[0].Code() != "NOT_FOUND" {
		t.Errorf("another organisation's caseworker: %+v", errs)
	}
}

// TestProtectedIdentityIsShownOnlyToAdmin: a caseworker works the case without the
// number, names and contact details and cannot find the person by them; the admin sees
// them, audited; the person still counts.
func TestProtectedIdentityIsShownOnlyToAdmin(t *testing.T) {
	t.Parallel()
	w := newCaseWorld(t)
	number := pnr(1979, 2, 3, 456)
	var p struct {
		CreateParticipant struct {
			ID, GivenName                     string
			IdentityHidden, ProtectedIdentity bool
		}
	}
	w.admin.MustData(t, `mutation($o: ID!, $n: String!) { createParticipant(input: {organisationId: $o, personalIdentityNumber: $n,
		givenName: "Skyddad", familyName: "Person", gender: WOMAN, email: "s@example.se", protectedIdentity: true}) {
		id givenName identityHidden protectedIdentity } }`, map[string]any{"o": w.org, "n": number}, &p)
	pid := p.CreateParticipant.ID
	if p.CreateParticipant.GivenName != "Skyddad" || p.CreateParticipant.IdentityHidden || !p.CreateParticipant.ProtectedIdentity {
		t.Fatalf("admin's view = %+v", p.CreateParticipant)
	}
	const read = `query($p: ID!) { participant(id: $p) { personalIdentityNumber givenName familyName email gender identityHidden } }`
	var cw struct {
		Participant struct {
			PersonalIdentityNumber, GivenName, FamilyName, Email, Gender string
			IdentityHidden                                               bool
		}
	}
	w.cw.MustData(t, read, map[string]any{"p": pid}, &cw)
	if c := cw.Participant; c.PersonalIdentityNumber != "" || c.GivenName != "" || c.FamilyName != "" || c.Email != "" ||
		!c.IdentityHidden || c.Gender != "WOMAN" {
		t.Errorf("caseworker's view = %+v", c)
	}
	for _, search := range []string{number, "Skyddad"} {
		var found struct{ Participants struct{ TotalCount int } }
		w.cw.MustData(t, `query($o: ID!, $s: String) { participants(organisationId: $o, filter: {search: $s}) { totalCount } }`,
			map[string]any{"o": w.org, "s": search}, &found)
		if found.Participants.TotalCount != 0 {
			t.Errorf("a caseworker found the protected person by %q", search[:3])
		}
	}
	var all struct{ Participants struct{ TotalCount int } }
	w.cw.MustData(t, `query($o: ID!) { participants(organisationId: $o) { totalCount } }`, map[string]any{"o": w.org}, &all)
	if all.Participants.TotalCount != 1 {
		t.Errorf("the protected person is not counted in the caseworker's list: %d", all.Participants.TotalCount)
	}
	before := auditCount(t, w, `entity = 'protected_identity' AND entity_id = $1`, plain(pid))
	w.admin.MustData(t, read, map[string]any{"p": pid}, &cw)
	if cw.Participant.GivenName != "Skyddad" || cw.Participant.IdentityHidden {
		t.Errorf("admin's read = %+v", cw.Participant)
	}
	if after := auditCount(t, w, `entity = 'protected_identity' AND entity_id = $1`, plain(pid)); after != before+1 {
		t.Errorf("the admin's sight of a protected identity was not audited (%d → %d)", before, after)
	}
	if n := auditCount(t, w, `entity = 'participant' AND entity_id = $1 AND action = 'read' AND subject = 'cw-anna'`, plain(pid)); n == 0 {
		t.Error("the caseworker's read was not audited")
	}
	// Unmark: the caseworker sees the person again.
	w.cw.MustData(t, `mutation($p: ID!) { setProtectedIdentity(participantId: $p, protected: false) { id } }`, map[string]any{"p": pid}, nil)
	w.cw.MustData(t, read, map[string]any{"p": pid}, &cw)
	if cw.Participant.GivenName != "Skyddad" {
		t.Errorf("after unmarking, caseworker sees %+v", cw.Participant)
	}
}

// TestAnonymousParticipantIsKeptWithTheLeastData: no number, names or contact details;
// any given is refused, and a birth date is required.
func TestAnonymousParticipantIsKeptWithTheLeastData(t *testing.T) {
	t.Parallel()
	w := newCaseWorld(t)
	var p struct {
		CreateParticipant struct {
			ID, PersonalIdentityNumber string
			Anonymous                  bool
		}
	}
	w.cw.MustData(t, `mutation($o: ID!) { createParticipant(input: {organisationId: $o, personalIdentityNumber: "", givenName: "",
		familyName: "", gender: MAN, birthDate: "1990-05-01", anonymous: true}) { id personalIdentityNumber anonymous } }`,
		map[string]any{"o": w.org}, &p)
	if !p.CreateParticipant.Anonymous || p.CreateParticipant.PersonalIdentityNumber != "" {
		t.Fatalf("anonymous = %+v", p.CreateParticipant)
	}
	var stored *string
	if err := w.pool.QueryRow(context.Background(), `SELECT personal_identity_number FROM participant WHERE id = $1`,
		plain(p.CreateParticipant.ID)).Scan(&stored); err != nil || stored != nil {
		t.Errorf("stored number = %v (%v), want NULL", stored, err)
	}
	errs := w.cw.MustFail(t, `mutation($o: ID!) { createParticipant(input: {organisationId: $o, personalIdentityNumber: "",
		givenName: "Namn", familyName: "", gender: MAN, anonymous: true}) { id } }`, map[string]any{"o": w.org})
	fields := map[string]bool{}
	for _, e := range errs {
		fields[e.Field()] = e.Code() == "INVALID"
	}
	if len(errs) == 0 || errs[0].Code() != "INVALID" {
		t.Errorf("anonymous with a name: %+v", errs)
	}
	msg := strings.Join(func() []string {
		var s []string
		for _, e := range errs {
			s = append(s, e.Message)
		}
		return s
	}(), " ")
	if !strings.Contains(msg, "anonymous") {
		t.Errorf("the refusal does not say why: %q", msg)
	}
	upd := w.cw.MustFail(t, `mutation($p: ID!) { updateParticipant(input: {id: $p, version: 1, givenName: "Namn"}) { id } }`,
		map[string]any{"p": p.CreateParticipant.ID})
	if upd[0].Code() != "INVALID" || upd[0].Field() != "input.givenName" {
		t.Errorf("naming an anonymous participant: %+v", upd)
	}
}
