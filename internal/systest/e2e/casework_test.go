package e2e_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"
)

type susCells struct {
	SusTransitions struct {
		DefinitionVersion string
		Cells             []struct {
			Before, After string
			Count         int
		}
	}
	ExitCohortOutcome struct{ Total struct{ Exits int } }
}

func (c susCells) String() string {
	var out []string
	for _, x := range c.SusTransitions.Cells {
		if x.Count > 0 {
			out = append(out, fmt.Sprintf("%s→%s:%d", x.Before, x.After, x.Count))
		}
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// TestSituationAtEntryIsSUSBefore: the labour-market status at entry, recorded as a
// dated attribute, reaches the warehouse through the loader and is the "before" of the
// SUS table; a correction of it moves the figure. An anonymous and a protected
// participant are counted like everyone.
func TestSituationAtEntryIsSUSBefore(t *testing.T) {
	s := start(t)
	org := s.createOrg(t, "entry")
	seeker := s.person(t, org, "19850402-0028", "WOMAN", "2018-02-01", "2018-09-30", "UNSUBSIDISED_EMPLOYMENT_FULL", nil)
	s.api.MustData(t, `mutation($p: ID!) { recordParticipantAttributes(input: {participantId: $p,
		attributes: {validFrom: "2018-01-15", labourMarketStatus: LONG_TERM_UNEMPLOYED, supportSource: SOCIAL_ASSISTANCE}}) { id } }`,
		map[string]any{"p": seeker}, nil)
	student := s.person(t, org, "19900101-0017", "MAN", "2018-03-01", "2018-10-15", "STUDIES", nil)

	// An anonymous participant and a protected one, both exited in 2018.
	var anon struct{ CreateParticipant struct{ ID string } }
	s.api.MustData(t, `mutation($o: ID!) { createParticipant(input: {organisationId: $o, personalIdentityNumber: "", givenName: "",
		familyName: "", gender: WOMAN, birthDate: "1992-03-04", anonymous: true,
		attributes: {validFrom: "2018-01-01", labourMarketStatus: INACTIVE}}) { id } }`, map[string]any{"o": org}, &anon)
	var prot struct{ CreateParticipant struct{ ID string } }
	s.api.MustData(t, `mutation($o: ID!) { createParticipant(input: {organisationId: $o, personalIdentityNumber: "19791231-0013",
		givenName: "Skyddad", familyName: "Person", gender: MAN, protectedIdentity: true,
		attributes: {validFrom: "2018-01-01", labourMarketStatus: EMPLOYED}}) { id } }`, map[string]any{"o": org}, &prot)
	for _, pid := range []string{anon.CreateParticipant.ID, prot.CreateParticipant.ID} {
		var e struct{ CreateEnrolment struct{ ID string } }
		s.api.MustData(t, `mutation($p: ID!) { createEnrolment(input: {participantId: $p, measureTypeCode: "work_practice",
			startDate: "2018-04-01", endDate: "2018-11-30", exitReason: JOB_SEEKING}) { id } }`, map[string]any{"p": pid}, &e)
	}

	const q = `query($o: ID!) {
	  susTransitions(cohort: {label: "2018", organisationIds: [$o], exitFrom: "2018-01-01", exitTo: "2019-01-01"}) {
	    definitionVersion cells { before after count } }
	  exitCohortOutcome(organisationId: $o, exitYear: 2018) { total { exits } }
	}`
	read := func() susCells {
		var c susCells
		s.api.MustData(t, q, map[string]any{"o": org}, &c)
		return c
	}
	want := "other→seeking_work:1 paid_work→seeking_work:1 seeking_work→paid_work:1 unknown→studies:1"
	eventually(t, "the situation at entry is the before of SUS", func() (bool, string) {
		c := read()
		return c.String() == want && c.ExitCohortOutcome.Total.Exits == 4, c.String() + fmt.Sprintf(" exits=%d", c.ExitCohortOutcome.Total.Exits)
	})
	if v := read().SusTransitions.DefinitionVersion; v != "sus-transition/2" {
		t.Errorf("definition version = %q", v)
	}
	// Recording the student's situation at entry moves them out of "unknown".
	s.api.MustData(t, `mutation($p: ID!) { recordParticipantAttributes(input: {participantId: $p,
		attributes: {validFrom: "2018-02-20", labourMarketStatus: STUDYING}}) { id } }`, map[string]any{"p": student}, nil)
	want = "other→seeking_work:1 paid_work→seeking_work:1 seeking_work→paid_work:1 studies→studies:1"
	eventually(t, "a recorded situation at entry moves the table", func() (bool, string) {
		c := read()
		return c.String() == want, c.String()
	})
}
