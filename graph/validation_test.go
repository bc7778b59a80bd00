package graph_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arbetsmarknad/outcomes/graph/model"
	"github.com/arbetsmarknad/outcomes/internal/app/apiserver"
	"github.com/arbetsmarknad/outcomes/internal/app/apiserver/apitest"
	"github.com/arbetsmarknad/outcomes/internal/platform/gqltest"
)

// newAPI serves the API in-process on a fresh database (apitest). It returns an admin
// client and the owner's pool for checking state.
func newAPI(t *testing.T) (*gqltest.Client, *pgxpool.Pool) {
	c, pool, _ := newAPIWithURL(t)
	return c, pool
}

// newAPIWithURL is newAPI with the base URL, for clients with other tokens.
func newAPIWithURL(t *testing.T) (*gqltest.Client, *pgxpool.Pool, string) {
	t.Helper()
	s := apitest.New(t, apitest.Options{API: apiserver.Options{Introspection: true}})
	return s.Admin(t), s.Owner, s.URL
}

// plain is the record id inside a global id (Node.id), for checks in SQL and in the
// audit log, which hold record ids.
func plain(id string) string { return model.RecordID("", id) }

// tableRows counts the rows of every table but the audit log's (which every request
// adds to): a write that was refused, or replayed, must leave every count as it was.
// The one way the graph tests tell that nothing was written.
func tableRows(t *testing.T, pool *pgxpool.Pool) map[string]int {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT tablename::text,
			(xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I', tablename), false, true, '')))[1]::text::int
		FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE 'audit_log%'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var table string
		var n int
		if err := rows.Scan(&table, &n); err != nil {
			t.Fatal(err)
		}
		out[table] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRejectedWritesAreTypedAndLeaveNothing(t *testing.T) {
	t.Parallel()
	api, pool := newAPI(t)
	orgID := apitest.Organisation(t, api, "valkommun", "Valkommun")
	var p struct{ CreateParticipant struct{ ID string } }
	api.MustData(t, `mutation($org: ID!) { createParticipant(input: {organisationId: $org, personalIdentityNumber: "198112189876",
		givenName: "Kim", familyName: "Berg", gender: MAN}) { id } }`, map[string]any{"org": orgID}, &p)
	pid := p.CreateParticipant.ID

	cases := []struct {
		name  string
		query string
		vars  map[string]any
		code  string
		field string
	}{
		{"BadPersonnummerCheckDigit",
			`mutation($org: ID!) { createParticipant(input: {organisationId: $org, personalIdentityNumber: "19811218-9875",
				givenName: "A", familyName: "B", gender: WOMAN}) { id } }`,
			map[string]any{"org": orgID}, "INVALID", "input.personalIdentityNumber"},
		{"BadPersonnummerDate",
			`mutation($org: ID!) { createParticipant(input: {organisationId: $org, personalIdentityNumber: "19811318-9876",
				givenName: "A", familyName: "B", gender: WOMAN}) { id } }`,
			map[string]any{"org": orgID}, "INVALID", "input.personalIdentityNumber"},
		{"DuplicatePersonnummer",
			`mutation($org: ID!) { createParticipant(input: {organisationId: $org, personalIdentityNumber: "19811218-9876",
				givenName: "A", familyName: "B", gender: WOMAN}) { id } }`,
			map[string]any{"org": orgID}, "CONFLICT", "input.personalIdentityNumber"},
		{"EndBeforeStart",
			`mutation($p: ID!) { createEnrolment(input: {participantId: $p, measureTypeCode: "extra_job",
				startDate: "2019-05-01", endDate: "2019-04-30", exitReason: STUDIES}) { id } }`,
			map[string]any{"p": pid}, "INVALID", "input.endDate"},
		{"UnknownMeasureType",
			`mutation($p: ID!) { createEnrolment(input: {participantId: $p, measureTypeCode: "space_program",
				startDate: "2019-05-01"}) { id } }`,
			map[string]any{"p": pid}, "NOT_FOUND", "input.measureTypeCode"},
		{"UnknownParticipant",
			`mutation { createEnrolment(input: {participantId: "00000000-0000-0000-0000-000000000000", measureTypeCode: "extra_job",
				startDate: "2019-05-01"}) { id } }`,
			nil, "NOT_FOUND", "input.participantId"},
		{"MalformedDate",
			`mutation($p: ID!) { createEnrolment(input: {participantId: $p, measureTypeCode: "extra_job", startDate: "2019-13-01"}) { id } }`,
			map[string]any{"p": pid}, "INVALID", ""},
		{"ObservationInTheFuture",
			`mutation($p: ID!) { recordOutcomeObservation(input: {participantId: $p, month: "2099-01", status: STUDIES, source: AF_DATA}) { id } }`,
			map[string]any{"p": pid}, "INVALID", "input.month"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := tableRows(t, pool)
			errs := api.MustFail(t, tc.query, tc.vars)
			if got := errs[0].Code(); got != tc.code {
				t.Errorf("code = %q, want %q (%+v)", got, tc.code, errs)
			}
			if tc.field != "" && errs[0].Field() != tc.field {
				t.Errorf("field = %q, want %q (%+v)", errs[0].Field(), tc.field, errs)
			}
			if errs[0].Message == "" {
				t.Error("empty message")
			}
			if after := tableRows(t, pool); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Errorf("rows changed: before %v, after %v", before, after)
			}
		})
	}

	t.Run("ExitTwiceConflicts", func(t *testing.T) {
		var e struct{ CreateEnrolment struct{ ID string } }
		api.MustData(t, `mutation($p: ID!) { createEnrolment(input: {participantId: $p, measureTypeCode: "work_practice", startDate: "2020-01-01"}) { id } }`,
			map[string]any{"p": pid}, &e)
		exit := `mutation($e: ID!, $v: Int) { exitEnrolment(input: {enrolmentId: $e, endDate: "2020-03-01", exitReason: STUDIES, version: $v}) { version } }`
		stale := api.MustFail(t, exit, map[string]any{"e": e.CreateEnrolment.ID, "v": 7})
		if stale[0].Code() != "CONFLICT" || stale[0].Field() != "input.version" {
			t.Errorf("stale version: %+v", stale)
		}
		api.MustData(t, exit, map[string]any{"e": e.CreateEnrolment.ID, "v": 1}, nil)
		again := api.MustFail(t, exit, map[string]any{"e": e.CreateEnrolment.ID})
		if again[0].Code() != "CONFLICT" {
			t.Errorf("second exit: %+v", again)
		}
	})
}
