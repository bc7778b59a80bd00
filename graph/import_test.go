package graph_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
)

// importObservations through the API: a file with bad rows imports nothing and lists
// them; with skipInvalid the good rows go in; another organisation's caseworker and a
// file without its header are refused.
func TestImportObservationsMutation(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	pnr := w.pnr()
	w.admin.MustData(t, `mutation($o: ID!, $p: String!) { createParticipant(input: {organisationId: $o, personalIdentityNumber: $p,
		givenName: "A", familyName: "B", gender: MAN}) { id } }`, map[string]any{"o": w.orgA, "p": pnr}, nil)
	csv := "personal_identity_number,month,status,social_assistance,source\n" +
		pnr + ",2019-01,studies,false,af_data\n" +
		pnr + ",2019-02,astronaut,false,af_data\n" + // line 3: bad status
		w.pnr() + ",2019-01,studies,false,af_data\n" // line 4: no such participant in A
	const mutation = `mutation($o: ID!, $csv: String!, $skip: Boolean) {
		importObservations(organisationId: $o, csv: $csv, skipInvalid: $skip) { imported skipped errors { line field message } } }`
	type result struct {
		ImportObservations struct {
			Imported, Skipped int
			Errors            []struct {
				Line           int
				Field, Message string
			}
		}
	}
	caseworker := w.as(t, auth.Caseworker)
	observations := func() int {
		var n int
		if err := w.system.QueryRow(ctx, `SELECT count(*) FROM outcome_observation WHERE organisation_id = $1`, plain(w.orgA)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	var refused result
	caseworker.MustData(t, mutation, map[string]any{"o": w.orgA, "csv": csv}, &refused)
	got := refused.ImportObservations
	if got.Imported != 0 || len(got.Errors) != 2 || got.Errors[0].Line != 3 || got.Errors[0].Field != "status" ||
		got.Errors[1].Line != 4 || got.Errors[1].Field != "personal_identity_number" {
		t.Fatalf("without skip: %+v", got)
	}
	if n := observations(); n != 0 {
		t.Fatalf("%d observations written by a refused import", n)
	}

	var skipped result
	caseworker.MustData(t, mutation, map[string]any{"o": w.orgA, "csv": csv, "skip": true}, &skipped)
	if got := skipped.ImportObservations; got.Imported != 1 || got.Skipped != 2 || len(got.Errors) != 2 || observations() != 1 {
		t.Fatalf("with skip: %+v, %d observations", got, observations())
	}

	if errs := caseworker.MustFail(t, mutation, map[string]any{"o": w.orgB, "csv": csv}); errs[0].Code() != "FORBIDDEN" || errs[0].Field() != "organisationId" {
		t.Errorf("import into another organisation: %+v", errs)
	}
	if errs := caseworker.MustFail(t, mutation, map[string]any{"o": w.orgA, "csv": "month,status\n2019-01,studies\n"}); errs[0].Code() != "INVALID" || errs[0].Field() != "csv" {
		t.Errorf("file without its header: %+v", errs)
	}
}

// The import scenario through the API: 1,000 participants with two bad lines
// report exactly those lines and register nobody; with skipInvalid, 998.
func TestImportParticipantsMutation(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	var csv strings.Builder
	csv.WriteString("personal_identity_number,given_name,family_name,gender,registered_at_af,guarantee_days\n")
	for i := 0; i < 1000; i++ {
		pnr, gender := w.pnr(), "man"
		switch i {
		case 99: // line 101
			pnr = pnr[:len(pnr)-1] + fmt.Sprint((int(pnr[len(pnr)-1]-'0')+1)%10)
		case 700: // line 702
			gender = "x"
		}
		fmt.Fprintf(&csv, "%s,A,B,%s,ja,%d\n", pnr, gender, i)
	}
	const mutation = `mutation($o: ID!, $csv: String!, $skip: Boolean) {
		importParticipants(organisationId: $o, csv: $csv, skipInvalid: $skip) { imported skipped errors { line field message } } }`
	type result struct {
		ImportParticipants struct {
			Imported, Skipped int
			Errors            []struct {
				Line           int
				Field, Message string
			}
		}
	}
	participants := func() int {
		var n int
		if err := w.system.QueryRow(ctx, `SELECT count(*) FROM participant WHERE organisation_id = $1`, plain(w.orgA)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := participants()
	caseworker := w.as(t, auth.Caseworker)

	var refused result
	caseworker.MustData(t, mutation, map[string]any{"o": w.orgA, "csv": csv.String()}, &refused)
	got := refused.ImportParticipants
	if got.Imported != 0 || len(got.Errors) != 2 || got.Errors[0].Line != 101 || got.Errors[0].Field != "personal_identity_number" ||
		got.Errors[1].Line != 702 || got.Errors[1].Field != "gender" {
		t.Fatalf("without skip: %+v", got)
	}
	if n := participants() - before; n != 0 {
		t.Fatalf("%d participants registered by a refused import", n)
	}
	var skipped result
	caseworker.MustData(t, mutation, map[string]any{"o": w.orgA, "csv": csv.String(), "skip": true}, &skipped)
	if got := skipped.ImportParticipants; got.Imported != 998 || got.Skipped != 2 || len(got.Errors) != 2 || participants()-before != 998 {
		t.Fatalf("with skip: imported %d, skipped %d, %d errors; %d registered", got.Imported, got.Skipped, len(got.Errors), participants()-before)
	}
	if errs := caseworker.MustFail(t, mutation, map[string]any{"o": w.orgB, "csv": csv.String()}); errs[0].Code() != "FORBIDDEN" {
		t.Errorf("import into another organisation: %+v", errs)
	}
}
