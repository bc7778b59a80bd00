package db_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arbetsmarknad/outcomes/internal/domain/domaintest"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
)

// world is two organisations, each with a participant, an enrolment and the reference
// data a row may point at, written straight in SQL.
type world struct {
	pool                       *pgxpool.Pool
	orgA, orgB                 string
	personA, personA2, personB string
	measureA, measureA2        string
	measureB                   string
	enrolA, enrolA2, enrolB    string
	unitA, unitB               string
	employerA, employerB       string
	projectB, eventA, planB    string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{pool: testenv.Postgres(t)}
	for _, o := range []struct {
		id   *string
		code string
	}{{&w.orgA, "kommun-a"}, {&w.orgB, "kommun-b"}} {
		*o.id = domaintest.Organisation(t, w.pool, o.code).ID
	}
	id := func(q string, args ...any) string {
		t.Helper()
		var s string
		if err := w.pool.QueryRow(ctx, q, args...).Scan(&s); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return s
	}
	person := func(org, pnr string) string {
		return id(`INSERT INTO participant (organisation_id, personal_identity_number, gender, birth_date)
			VALUES ($1, $2, 'woman', '1990-01-01') RETURNING id`, org, pnr)
	}
	measure := func(org, code string) string {
		return id(`SELECT id FROM measure_type WHERE organisation_id = $1 AND code = $2`, org, code)
	}
	enrol := func(org, person, measure string) string {
		return id(`INSERT INTO enrolment (organisation_id, participant_id, measure_type_id, start_date)
			VALUES ($1, $2, $3, '2020-01-01') RETURNING id`, org, person, measure)
	}
	w.personA, w.personA2, w.personB = person(w.orgA, "19900101-0001"), person(w.orgA, "19900101-0002"), person(w.orgB, "19900101-0003")
	w.measureA, w.measureA2, w.measureB = measure(w.orgA, "work_practice"), measure(w.orgA, "extra_job"), measure(w.orgB, "work_practice")
	w.enrolA, w.enrolA2, w.enrolB = enrol(w.orgA, w.personA, w.measureA), enrol(w.orgA, w.personA2, w.measureA), enrol(w.orgB, w.personB, w.measureB)
	w.unitA = id(`INSERT INTO unit (organisation_id, name) VALUES ($1, 'Stöd till arbete') RETURNING id`, w.orgA)
	w.unitB = id(`INSERT INTO unit (organisation_id, name) VALUES ($1, 'Ung intro') RETURNING id`, w.orgB)
	w.employerA = id(`INSERT INTO employer (organisation_id, kind, name) VALUES ($1, 'association', 'Återbruket') RETURNING id`, w.orgA)
	w.employerB = id(`INSERT INTO employer (organisation_id, kind, name) VALUES ($1, 'association', 'Snickeriet') RETURNING id`, w.orgB)
	w.projectB = id(`INSERT INTO project (organisation_id, name, funder, start_date) VALUES ($1, 'Familjefokus', 'esf', '2020-01-01') RETURNING id`, w.orgB)
	w.eventA = id(`INSERT INTO recruitment_event (organisation_id, kind, name, held_on) VALUES ($1, 'fair', 'Mässa', '2020-02-01') RETURNING id`, w.orgA)
	w.planB = id(`INSERT INTO action_plan (organisation_id, participant_id, goal) VALUES ($1, $2, 'Arbete') RETURNING id`, w.orgB, w.personB)
	return w
}

// refused runs sql in its own transaction (committed, so deferred checks run too) and
// wants it refused with SQLSTATE code by the named constraint.
func (w *world) refused(t *testing.T, code, constraint, sql string, args ...any) {
	t.Helper()
	ctx := context.Background()
	tx, err := w.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	if _, err = tx.Exec(ctx, sql, args...); err == nil {
		err = tx.Commit(ctx)
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		t.Fatalf("%s\nwas accepted (err %v); want %s by %s", sql, err, code, constraint)
	}
	if pgErr.Code != code || pgErr.ConstraintName != constraint {
		t.Fatalf("%s\nrefused with %s by %q (%s); want %s by %s", sql, pgErr.Code, pgErr.ConstraintName, pgErr.Message, code, constraint)
	}
}

func (w *world) accepted(t *testing.T, sql string, args ...any) {
	t.Helper()
	if _, err := w.pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s\nrefused: %v", sql, err)
	}
}

const fkViolation, checkViolation, exclusionViolation = "23503", "23514", "23P01"

// TestTenancyIsEnforcedByKeys: a row of one organisation cannot hang under a record of
// another, nor a follow-up under another person's enrolment.
func TestTenancyIsEnforcedByKeys(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	for _, c := range []struct {
		name, constraint, sql string
		args                  []any
	}{
		{"enrolment in A for B's participant", "enrolment_participant_fkey",
			`INSERT INTO enrolment (organisation_id, participant_id, measure_type_id, start_date) VALUES ($1, $2, $3, '2021-01-01')`,
			[]any{w.orgA, w.personB, w.measureA}},
		// No key of its own to organisation since migration 0016: its participant's
		// (and its measure's) say that its organisation exists and is theirs.
		{"enrolment in an organisation that does not exist", "enrolment_participant_fkey",
			`INSERT INTO enrolment (organisation_id, participant_id, measure_type_id, start_date, end_date, exit_reason)
				VALUES ($1, $2, $3, '1950-01-01', '1950-01-02', 'studies')`,
			[]any{db.NewID(), w.personA, w.measureA}},
		{"enrolment in A in B's measure", "enrolment_measure_type_fkey",
			`INSERT INTO enrolment (organisation_id, participant_id, measure_type_id, start_date) VALUES ($1, $2, $3, '2021-01-01')`,
			[]any{w.orgA, w.personA, w.measureB}},
		{"enrolment at B's host workplace", "enrolment_host_employer_fkey",
			`UPDATE enrolment SET host_employer_id = $2 WHERE id = $1`, []any{w.enrolA, w.employerB}},
		{"enrolment in B's project", "enrolment_project_fkey",
			`UPDATE enrolment SET project_id = $2 WHERE id = $1`, []any{w.enrolA, w.projectB}},
		{"enrolment in B's unit", "enrolment_unit_fkey", `UPDATE enrolment SET unit_id = $2 WHERE id = $1`, []any{w.enrolA, w.unitB}},
		{"observation stamped with the wrong organisation", "outcome_observation_participant_fkey",
			`INSERT INTO outcome_observation (organisation_id, participant_id, month, status, source) VALUES ($1, $2, '2021-01-01', 'studies', 'sus')`,
			[]any{w.orgB, w.personA}},
		{"rate in B on A's enrolment", "enrolment_rate_enrolment_fkey",
			`INSERT INTO enrolment_rate (enrolment_id, organisation_id, valid_from, rate) VALUES ($1, $2, '2020-01-01', 50)`,
			[]any{w.enrolA, w.orgB}},
		{"follow-up on another person's enrolment", "follow_up_enrolment_fkey",
			`INSERT INTO follow_up (organisation_id, participant_id, enrolment_id, held_on, next_due_date) VALUES ($1, $2, $3, '2020-02-01', '2020-03-01')`,
			[]any{w.orgA, w.personA2, w.enrolA}},
		{"interview on another person's enrolment", "interview_enrolment_fkey",
			`INSERT INTO interview (organisation_id, event_id, participant_id, employer_id, enrolment_id) VALUES ($1, $2, $3, $4, $5)`,
			[]any{w.orgA, w.eventA, w.personA2, w.employerA, w.enrolA}},
		{"step in A of B's action plan", "action_plan_step_plan_fkey",
			`INSERT INTO action_plan_step (action_plan_id, organisation_id, position, description) VALUES ($1, $2, 1, 'x')`,
			[]any{w.planB, w.orgA}},
		{"B's employer at A's fair", "recruitment_place_employer_fkey",
			`INSERT INTO recruitment_place (event_id, employer_id, organisation_id, places) VALUES ($1, $2, $3, 1)`,
			[]any{w.eventA, w.employerB, w.orgA}},
		{"attributes of A's participant stamped B", "participant_attributes_participant_fkey",
			`INSERT INTO participant_attributes (organisation_id, participant_id, valid_from, recorded_by) VALUES ($1, $2, '2020-01-01', 'x')`,
			[]any{w.orgB, w.personA}},
		{"referral of A's participant stamped B", "referral_participant_fkey",
			`INSERT INTO referral (organisation_id, participant_id, source, referral_date, ordered) VALUES ($1, $2, 'af', '2020-01-01', '{mapping}')`,
			[]any{w.orgB, w.personA}},
		{"target in A for B's unit", "target_unit_fkey",
			`INSERT INTO target (organisation_id, name, metric, period_start, period_end, unit_id, total) VALUES ($1, 't', 'starts', '2020-01-01', '2020-12-31', $2, 10)`,
			[]any{w.orgA, w.unitB}},
		{"cost of one person's enrolment booked on another", "enrolment_cost_enrolment_fkey",
			`INSERT INTO enrolment_cost (organisation_id, participant_id, enrolment_id, kind, month, amount, recorded_by) VALUES ($1, $2, $3, 'wage', '2020-02-01', 100, 'x')`,
			[]any{w.orgA, w.personA2, w.enrolA}},
		{"cost in A of B's enrolment", "enrolment_cost_enrolment_fkey",
			`INSERT INTO enrolment_cost (organisation_id, participant_id, enrolment_id, kind, month, amount, recorded_by) VALUES ($1, $2, $3, 'wage', '2020-02-01', 100, 'x')`,
			[]any{w.orgA, w.personB, w.enrolB}},
		{"funding in A of B's project", "project_funding_project_fkey",
			`INSERT INTO project_funding (organisation_id, project_id, funder, amount, recorded_by) VALUES ($1, $2, 'ESF', 1000, 'x')`,
			[]any{w.orgA, w.projectB}},
		{"enrolment change in A of B's participant", "enrolment_change_participant_fkey",
			`INSERT INTO enrolment_change (organisation_id, participant_id, enrolment_id, kind, reason, changed_by, before) VALUES ($1, $2, $3, 'voided', 'fel', 'x', '{}')`,
			[]any{w.orgA, w.personB, w.enrolB}},
		{"revision of B's plan under A's participant", "action_plan_revision_plan_fkey",
			`INSERT INTO action_plan_revision (action_plan_id, version, organisation_id, participant_id, goal, responsible, steps, saved_by) VALUES ($1, 1, $2, $3, 'x', '', '[]', 'x')`,
			[]any{w.planB, w.orgA, w.personA}},
	} {
		t.Run(c.name, func(t *testing.T) { w.refused(t, fkViolation, c.constraint, c.sql, c.args...) })
	}
	// The same rows within one organisation are fine.
	w.accepted(t, `INSERT INTO follow_up (organisation_id, participant_id, enrolment_id, held_on, next_due_date) VALUES ($1, $2, $3, '2020-02-01', '2020-03-01')`,
		w.orgA, w.personA, w.enrolA)
	w.accepted(t, `UPDATE enrolment SET unit_id = $2, host_employer_id = $3 WHERE id = $1`, w.enrolA, w.unitA, w.employerA)
}

// TestEveryTenantKeyNamesTheOrganisation: every foreign key from a table with an
// organisation to another such table carries organisation_id, so that no row can hang
// under another organisation's record, whatever the table (found in the catalogue, not
// listed: a table added later is covered too). Keys to organisation itself are the
// organisation's own.
func TestEveryTenantKeyNamesTheOrganisation(t *testing.T) {
	t.Parallel()
	pool := testenv.Postgres(t)
	rows, err := pool.Query(context.Background(), `SELECT c.conrelid::regclass::text, c.conname
		FROM pg_constraint c
		WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace AND c.confrelid <> 'organisation'::regclass
		  AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.conrelid AND a.attname = 'organisation_id' AND NOT a.attisdropped)
		  AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.confrelid AND a.attname = 'organisation_id' AND NOT a.attisdropped)
		  AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey) AND a.attname = 'organisation_id')
		ORDER BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	bad, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
		var table, name string
		err := r.Scan(&table, &name)
		return table + "." + name, err
	})
	if err != nil {
		t.Fatal(err)
	}
	var keys int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM pg_constraint c WHERE c.contype = 'f'
		AND c.connamespace = 'public'::regnamespace AND EXISTS (SELECT 1 FROM pg_attribute a
		WHERE a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey) AND a.attname = 'organisation_id')`).Scan(&keys); err != nil {
		t.Fatal(err)
	}
	if keys < 30 {
		t.Fatalf("only %d keys carry organisation_id: the catalogue query no longer sees the schema", keys)
	}
	for _, k := range bad {
		t.Errorf("%s joins two organisations' tables without organisation_id", k)
	}
	t.Logf("%d foreign keys carry organisation_id", keys)
}

// TestDatabaseStatesTheRules: ranges, date order, fields set together, target splits
// and overlapping spells, each refused when written straight in SQL.
func TestDatabaseStatesTheRules(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	for _, c := range []struct {
		name, code, constraint, sql string
		args                        []any
	}{
		{"start in year 9999", checkViolation, "enrolment_start_date_range",
			`UPDATE enrolment SET start_date = '9999-01-01' WHERE id = $1`, []any{w.enrolA}},
		{"start before 1900", checkViolation, "enrolment_start_date_range",
			`UPDATE enrolment SET start_date = '1899-12-31' WHERE id = $1`, []any{w.enrolA}},
		{"observation month in 2101", checkViolation, "outcome_observation_month_range",
			`INSERT INTO outcome_observation (organisation_id, participant_id, month, status, source) VALUES ($1, $2, '2101-01-01', 'studies', 'sus')`,
			[]any{w.orgA, w.personA}},
		{"decision in 2030 for a start in 2020", checkViolation, "enrolment_decision_order",
			`UPDATE enrolment SET decision_date = '2030-01-01' WHERE id = $1`, []any{w.enrolA}},
		{"rate dated before its enrolment", checkViolation, "enrolment_rate_within_enrolment",
			`INSERT INTO enrolment_rate (enrolment_id, organisation_id, valid_from, rate) VALUES ($1, $2, '2019-12-31', 50)`,
			[]any{w.enrolA, w.orgA}},
		{"employment rate of 101", checkViolation, "enrolment_rate_rate_check",
			`INSERT INTO enrolment_rate (enrolment_id, organisation_id, valid_from, rate) VALUES ($1, $2, '2020-01-01', 101)`,
			[]any{w.enrolA, w.orgA}},
		{"override reason without who and when", checkViolation, "enrolment_override_together",
			`UPDATE enrolment SET override_reason = 'beslut av chef' WHERE id = $1`, []any{w.enrolA}},
		{"social assistance at exit without an exit", checkViolation, "enrolment_exit_assistance",
			`UPDATE enrolment SET social_assistance_at_exit = true WHERE id = $1`, []any{w.enrolA}},
		{"women and men exceed the total", checkViolation, "target_split_within_total",
			`INSERT INTO target (organisation_id, name, metric, period_start, period_end, total, women, men) VALUES ($1, 't', 'starts', '2020-01-01', '2020-12-31', 120, 80, 41)`,
			[]any{w.orgA}},
		{"feedback sent before the referral", checkViolation, "referral_feedback_sent_order",
			`INSERT INTO referral (organisation_id, participant_id, source, referral_date, ordered, feedback_sent_date) VALUES ($1, $2, 'af', '2020-05-01', '{mapping}', '2020-04-30')`,
			[]any{w.orgA, w.personA}},
		{"a referral ordering what no one can order", checkViolation, "referral_ordered_known",
			`INSERT INTO referral (organisation_id, participant_id, source, referral_date, ordered) VALUES ($1, $2, 'af', '2020-05-01', '{mapping,space_travel}')`,
			[]any{w.orgA, w.personA}},
		{"an interview by an employer offering no places at the event", fkViolation, "interview_place_fkey",
			`INSERT INTO interview (organisation_id, event_id, participant_id, employer_id) VALUES ($1, $2, $3, $4)`,
			[]any{w.orgA, w.eventA, w.personA, w.employerA}},
		// The rules of migration 0001 under their names (migration 0019).
		{"an end before the start", checkViolation, "enrolment_end_order",
			`UPDATE enrolment SET end_date = '2019-12-31', exit_reason = 'studies' WHERE id = $1`, []any{w.enrolA}},
		{"a planned end before the start", checkViolation, "enrolment_planned_end_order",
			`UPDATE enrolment SET planned_end_date = '2019-12-31' WHERE id = $1`, []any{w.enrolA}},
		{"an exit without a reason", checkViolation, "enrolment_exit_together",
			`UPDATE enrolment SET end_date = '2020-06-30' WHERE id = $1`, []any{w.enrolA}},
		{"an exit reason without an exit", checkViolation, "enrolment_exit_together",
			`UPDATE enrolment SET exit_reason = 'studies' WHERE id = $1`, []any{w.enrolA}},
		{"feedback due before the referral", checkViolation, "referral_feedback_due_order",
			`INSERT INTO referral (organisation_id, participant_id, source, referral_date, ordered, feedback_due_date) VALUES ($1, $2, 'af', '2020-05-01', '{mapping}', '2020-04-30')`,
			[]any{w.orgA, w.personA}},
		{"a follow-up due the day it was held", checkViolation, "follow_up_next_due_order",
			`INSERT INTO follow_up (organisation_id, participant_id, held_on, next_due_date) VALUES ($1, $2, '2020-05-01', '2020-05-01')`,
			[]any{w.orgA, w.personA}},
		{"an answer to an offer never made", checkViolation, "interview_answer_offered",
			`INSERT INTO interview (organisation_id, event_id, participant_id, employer_id, accepted) VALUES ($1, $2, $3, $4, true)`,
			[]any{w.orgA, w.eventA, w.personA, w.employerA}},
		{"a consent withdrawn by no one", checkViolation, "consent_withdrawn_together",
			`INSERT INTO consent (organisation_id, participant_id, scope, given_on, recorded_by, withdrawn_on) VALUES ($1, $2, 'follow_up', '2020-01-01', 'x', '2020-02-01')`,
			[]any{w.orgA, w.personA}},
		{"a consent withdrawn before it was given", checkViolation, "consent_withdrawn_order",
			`INSERT INTO consent (organisation_id, participant_id, scope, given_on, recorded_by, withdrawn_on, withdrawn_by) VALUES ($1, $2, 'follow_up', '2020-01-01', 'x', '2019-12-31', 'x')`,
			[]any{w.orgA, w.personA}},
		{"a project ending before it starts", checkViolation, "project_end_order",
			`UPDATE project SET end_date = '2019-12-31' WHERE id = $1`, []any{w.projectB}},
		{"a target's period reversed", checkViolation, "target_period_order",
			`INSERT INTO target (organisation_id, name, metric, period_start, period_end, total) VALUES ($1, 't', 'starts', '2020-01-01', '2019-12-31', 10)`,
			[]any{w.orgA}},
		{"second open spell in the same measure", exclusionViolation, "enrolment_no_overlap_in_measure",
			`INSERT INTO enrolment (organisation_id, participant_id, measure_type_id, start_date) VALUES ($1, $2, $3, '2021-06-01')`,
			[]any{w.orgA, w.personA, w.measureA}},
	} {
		t.Run(c.name, func(t *testing.T) { w.refused(t, c.code, c.constraint, c.sql, c.args...) })
	}
	// Legitimate neighbours: a concurrent spell in another measure; a rate inside the
	// enrolment; a target split that fits; an override with all three fields.
	w.accepted(t, `INSERT INTO enrolment (organisation_id, participant_id, measure_type_id, start_date) VALUES ($1, $2, $3, '2021-06-01')`,
		w.orgA, w.personA, w.measureA2)
	w.accepted(t, `INSERT INTO enrolment_rate (enrolment_id, organisation_id, valid_from, rate) VALUES ($1, $2, '2020-01-01', 25)`, w.enrolA, w.orgA)
	w.accepted(t, `INSERT INTO target (organisation_id, name, metric, period_start, period_end, total, women, men) VALUES ($1, 't', 'starts', '2020-01-01', '2020-12-31', 120, 80, 40)`, w.orgA)
	w.accepted(t, `UPDATE enrolment SET override_reason = 'beslut av chef', override_by = 'x', override_at = now() WHERE id = $1`, w.enrolA)
	// A spell in sequence after an ended one in the same measure is fine too.
	w.accepted(t, `UPDATE enrolment SET end_date = '2020-06-30', exit_reason = 'studies' WHERE id = $1`, w.enrolA)
	w.accepted(t, `INSERT INTO enrolment (organisation_id, participant_id, measure_type_id, start_date) VALUES ($1, $2, $3, '2020-07-01')`,
		w.orgA, w.personA, w.measureA)
	// With places offered, the employer may interview.
	w.accepted(t, `INSERT INTO recruitment_place (event_id, employer_id, organisation_id, places) VALUES ($1, $2, $3, 2)`, w.eventA, w.employerA, w.orgA)
	w.accepted(t, `INSERT INTO interview (organisation_id, event_id, participant_id, employer_id) VALUES ($1, $2, $3, $4)`,
		w.orgA, w.eventA, w.personA, w.employerA)
	// An offer is not dated before the event, nor the event moved after an offer.
	w.refused(t, checkViolation, "interview_offer_after_event",
		`UPDATE interview SET offered = true, offer_date = '2020-01-31' WHERE event_id = $1`, w.eventA)
	w.accepted(t, `UPDATE interview SET offered = true, offer_date = '2020-02-01' WHERE event_id = $1`, w.eventA)
	w.refused(t, checkViolation, "interview_offer_after_event", `UPDATE recruitment_event SET held_on = '2020-02-02' WHERE id = $1`, w.eventA)
	// An answer only turns from a decline into an acceptance; an answered offer keeps its date.
	w.accepted(t, `UPDATE interview SET accepted = false WHERE event_id = $1`, w.eventA)
	w.refused(t, checkViolation, "interview_one_way", `UPDATE interview SET accepted = NULL WHERE event_id = $1`, w.eventA)
	w.refused(t, checkViolation, "interview_one_way", `UPDATE interview SET offer_date = '2020-02-03' WHERE event_id = $1`, w.eventA)
	w.accepted(t, `UPDATE interview SET accepted = true, notes = 'Börjar i april' WHERE event_id = $1`, w.eventA)
	w.refused(t, checkViolation, "interview_one_way", `UPDATE interview SET accepted = false WHERE event_id = $1`, w.eventA)
	// A withdrawn consent stays withdrawn, as it was; an open one may be withdrawn.
	w.accepted(t, `INSERT INTO consent (organisation_id, participant_id, scope, given_on, recorded_by) VALUES ($1, $2, 'register_linkage', '2020-01-01', 'x')`,
		w.orgA, w.personA)
	w.accepted(t, `UPDATE consent SET withdrawn_on = '2020-03-01', withdrawn_by = 'x' WHERE participant_id = $1`, w.personA)
	w.refused(t, checkViolation, "consent_one_way", `UPDATE consent SET withdrawn_on = NULL, withdrawn_by = NULL WHERE participant_id = $1`, w.personA)
	w.refused(t, checkViolation, "consent_one_way", `UPDATE consent SET withdrawn_on = '2020-09-01' WHERE participant_id = $1`, w.personA)
	// History is appended to, not rewritten; it goes with the person.
	w.accepted(t, `INSERT INTO enrolment_change (organisation_id, participant_id, enrolment_id, kind, reason, changed_by, before) VALUES ($1, $2, $3, 'voided', 'fel', 'x', '{}')`,
		w.orgB, w.personB, w.enrolB)
	w.refused(t, checkViolation, "enrolment_change_one_way", `UPDATE enrolment_change SET reason = 'annat' WHERE participant_id = $1`, w.personB)
	w.accepted(t, `INSERT INTO action_plan_revision (action_plan_id, version, organisation_id, participant_id, goal, responsible, steps, saved_by) VALUES ($1, 1, $2, $3, 'Arbete', '', '[]', 'x')`,
		w.planB, w.orgB, w.personB)
	w.refused(t, checkViolation, "action_plan_revision_one_way", `UPDATE action_plan_revision SET goal = 'Studier' WHERE action_plan_id = $1`, w.planB)
	// A retention rule erases only after a dry run of it as it stands.
	w.refused(t, checkViolation, "retention_rule_active_after_dry_run",
		`INSERT INTO retention_rule (organisation_id, inactive_years, mode, updated_by) VALUES ($1, 5, 'active', 'x')`, w.orgA)
	w.accepted(t, `INSERT INTO retention_rule (organisation_id, inactive_years, mode, last_dry_run_at, updated_by) VALUES ($1, 5, 'active', now(), 'x')`, w.orgA)
	// A regional body's members are municipalities.
	var regional, regional2 string
	if err := w.pool.QueryRow(context.Background(), `WITH r AS (INSERT INTO organisation (code, name, kind)
		VALUES ('forbund-x', 'Förbund X', 'regional_body'), ('forbund-y', 'Förbund Y', 'regional_body') RETURNING id, code)
		SELECT (SELECT id FROM r WHERE code = 'forbund-x'), (SELECT id FROM r WHERE code = 'forbund-y')`).Scan(&regional, &regional2); err != nil {
		t.Fatal(err)
	}
	w.refused(t, fkViolation, "organisation_membership_regional_kind_fkey",
		`INSERT INTO organisation_membership (regional_id, member_id) VALUES ($1, $2)`, w.orgA, w.orgB)
	w.refused(t, fkViolation, "organisation_membership_member_kind_fkey",
		`INSERT INTO organisation_membership (regional_id, member_id) VALUES ($1, $2)`, regional, regional2)
	w.accepted(t, `INSERT INTO organisation_membership (regional_id, member_id) VALUES ($1, $2)`, regional, w.orgA)
	w.refused(t, fkViolation, "organisation_membership_regional_kind_fkey", `UPDATE organisation SET kind = 'municipality' WHERE id = $1`, regional)
	// Moving the enrolment's start past its rate is refused at commit.
	w.refused(t, checkViolation, "enrolment_rate_within_enrolment", `UPDATE enrolment SET start_date = '2020-02-01' WHERE id = $1`, w.enrolA)
}

// TestReferenceDataIsTenantScoped: units and the measure catalogue have row-level
// security too; a caseworker's session sees its own organisation's only.
func TestReferenceDataIsTenantScoped(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	conn, err := w.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	defer conn.Exec(ctx, `SELECT set_config('app.org_ids', '*', false), set_config('app.ref_org_ids', '', false)`) //nolint:errcheck
	if _, err := conn.Exec(ctx, `SELECT set_config('app.org_ids', $1, false), set_config('app.ref_org_ids', $1, false)`, w.orgA); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"unit", "measure_type", "change_event", "idempotency_key", "loader_dead_letter", "participant"} {
		var foreign int
		if err := conn.QueryRow(ctx, fmt.Sprintf(`SELECT count(*) FROM %s WHERE organisation_id <> $1`, table), w.orgA).Scan(&foreign); err != nil {
			t.Fatal(err)
		}
		if foreign != 0 {
			t.Errorf("%s: a session of organisation A sees %d rows of others", table, foreign)
		}
	}
	var units int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM unit`).Scan(&units); err != nil || units != 1 {
		t.Errorf("own units: %d, %v", units, err)
	}
	_, err = conn.Exec(ctx, `INSERT INTO unit (organisation_id, name) VALUES ($1, 'Intrång')`, w.orgB)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "42501" {
		t.Errorf("insert into another organisation's units: %v; want a row-level security refusal", err)
	}
}

// TestPoliciesParseTheScopeOncePerStatement: the organisation list is read by an
// InitPlan (once per statement), not by a filter call on every row.
func TestPoliciesParseTheScopeOncePerStatement(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	conn, err := w.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	defer conn.Exec(ctx, `SELECT set_config('app.org_ids', '*', false)`) //nolint:errcheck
	if _, err := conn.Exec(ctx, `SELECT set_config('app.org_ids', $1, false)`, w.orgA); err != nil {
		t.Fatal(err)
	}
	rows, err := conn.Query(ctx, `EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM enrolment`)
	if err != nil {
		t.Fatal(err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	plan := strings.Join(lines, "\n")
	if !strings.Contains(plan, "InitPlan") || strings.Count(plan, "app_org_ids") > 1 || strings.Contains(plan, "Filter: app_org_visible") {
		t.Errorf("the policy does not read the scope once per statement:\n%s", plan)
	}
}

// TestScopeListKeepsTheSettingsUUIDs: the policies' scope (app_org_list, migration 0015
// in PL/pgSQL) is the setting's comma-separated elements that are UUIDs, in order,
// upper case accepted; anything else in the list is ignored, and an unset or empty
// setting is the empty list.
func TestScopeListKeepsTheSettingsUUIDs(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	conn, err := w.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	defer conn.Exec(ctx, `SELECT set_config('app.org_ids', '*', false)`) //nolint:errcheck
	for _, c := range []struct {
		setting string
		want    []string
	}{
		{w.orgA + ",*, " + w.orgB + ",not-a-uuid,," + strings.ToUpper(w.orgB), []string{w.orgA, w.orgB}},
		// Near misses (migration 0016 tests the form without one regular expression of
		// bounded repetitions): a hyphen moved, a non-hexadecimal digit, one digit short
		// or long, a fifth hyphen, braces.
		{strings.Join([]string{w.orgA[:8] + w.orgA[9:13] + "-" + w.orgA[13:], "g" + w.orgA[1:], w.orgA[:35], w.orgA + "0",
			w.orgA[:35] + "-", "{" + w.orgA[1:35] + "}", w.orgB}, ","), []string{w.orgB}},
		{"*", []string{}},
		{"", []string{}},
		{w.orgB + "," + w.orgA, []string{w.orgB, w.orgA}},
	} {
		var got []string
		if err := conn.QueryRow(ctx, `SELECT set_config('app.org_ids', $1, false), app_org_list('app.org_ids')::text[]`,
			c.setting).Scan(nil, &got); err != nil {
			t.Fatal(err)
		}
		if strings.Join(got, ",") != strings.Join(c.want, ",") || got == nil {
			t.Errorf("app_org_list of %q = %v, want %v", c.setting, got, c.want)
		}
	}
	var unset []string
	if err := conn.QueryRow(ctx, `SELECT app_org_list('app.no_such_setting')::text[]`).Scan(&unset); err != nil || unset == nil || len(unset) != 0 {
		t.Errorf("an unset setting gives %v (%v), want the empty list", unset, err)
	}
}

// TestOutboxTriggersQueueOneEventPerPerson: a write made in SQL (outside the API, with
// no change event of its own) queues one change event per person it touched, naming
// the table and row, for each table shape the outbox triggers serve (migration 0015
// writes their statements out per shape): the participant itself, a table of a
// person's history (both persons when a row moves), enrolment_rate (the enrolment's
// person), and one event per person per transaction however many statements touch them.
func TestOutboxTriggersQueueOneEventPerPerson(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	for _, c := range []struct {
		name  string
		stmts []string
		want  []string // person|entity|entity_id|op, sorted
	}{
		{"insert participant", []string{`INSERT INTO participant (id, organisation_id, personal_identity_number, gender, birth_date)
			VALUES ('00000000-0000-4000-8000-0000000000aa', '` + w.orgA + `', '19900101-0099', 'man', '1990-01-01')`},
			[]string{"00000000-0000-4000-8000-0000000000aa|participant|00000000-0000-4000-8000-0000000000aa|create"}},
		{"update participants", []string{`UPDATE participant SET given_name = 'Ny' WHERE organisation_id = '` + w.orgA + `'`},
			sorted(w.personA+"|participant|"+w.personA+"|update", w.personA2+"|participant|"+w.personA2+"|update")},
		{"delete participant", []string{`DELETE FROM participant WHERE id = '` + w.personB + `'`},
			[]string{w.personB + "|participant|" + w.personB + "|delete"}},
		{"insert enrolment", []string{`INSERT INTO enrolment (organisation_id, participant_id, measure_type_id, start_date)
			VALUES ('` + w.orgA + `', '` + w.personA + `', '` + w.measureA2 + `', '2020-01-01')`},
			nil}, // its id is the database's: checked by person, entity and op below
		{"move enrolment", []string{`UPDATE enrolment SET participant_id = '` + w.personA2 + `', measure_type_id = '` + w.measureA2 +
			`' WHERE id = '` + w.enrolA + `'`},
			sorted(w.personA+"|enrolment|"+w.enrolA+"|update", w.personA2+"|enrolment|"+w.enrolA+"|update")},
		{"delete enrolment", []string{`DELETE FROM enrolment WHERE id = '` + w.enrolA2 + `'`},
			[]string{w.personA2 + "|enrolment|" + w.enrolA2 + "|delete"}},
		{"insert rate", []string{`INSERT INTO enrolment_rate (enrolment_id, organisation_id, valid_from, rate)
			VALUES ('` + w.enrolA + `', '` + w.orgA + `', '2020-01-01', 50)`},
			[]string{w.personA + "|enrolment|" + w.enrolA + "|update"}},
		{"two statements, one person", []string{
			`UPDATE participant SET given_name = 'Ny' WHERE id = '` + w.personA + `'`,
			`UPDATE enrolment SET end_date = '2020-02-01', exit_reason = 'studies' WHERE id = '` + w.enrolA + `'`},
			[]string{w.personA + "|participant|" + w.personA + "|update"}},
	} {
		tx, err := w.pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range c.stmts {
			if _, err := tx.Exec(ctx, s); err != nil {
				tx.Rollback(ctx) //nolint:errcheck
				t.Fatalf("%s: %s: %v", c.name, s, err)
			}
		}
		rows, err := tx.Query(ctx, `SELECT participant_id || '|' || entity || '|' || coalesce(entity_id::text, '') || '|' || op
			FROM change_event WHERE xact = pg_current_xact_id() AND by_trigger ORDER BY 1`)
		var got []string
		if err == nil {
			got, err = pgx.CollectRows(rows, pgx.RowTo[string])
		}
		tx.Rollback(ctx) //nolint:errcheck
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if c.want == nil {
			if len(got) != 1 || !strings.HasPrefix(got[0], w.personA+"|enrolment|") || !strings.HasSuffix(got[0], "|create") {
				t.Errorf("%s: events %v, want one enrolment create of %s", c.name, got, w.personA)
			}
			continue
		}
		if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
			t.Errorf("%s: events\n%s\nwant\n%s", c.name, strings.Join(got, "\n"), strings.Join(c.want, "\n"))
		}
	}
}

func sorted(s ...string) []string {
	slices.Sort(s)
	return s
}

// TestVersionGrowsWithEveryChange: a record's version is what a stale form is told
// apart by (updates take the version read; CONFLICT otherwise), so every change of the
// record raises it, the API's and one in plain SQL alike, and no write sets it back. A
// sanctioned fix in SQL (docs/DATABASE.md) names no version; before migration 0019 it
// left the version as it was and a form read before the fix saved over it. Every table
// with a version has the trigger (found in the catalogue); a retention rule's version
// moves with the rule, not with its dry run's stamp.
func TestVersionGrowsWithEveryChange(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	rows, err := w.pool.Query(ctx, `SELECT c.table_name, EXISTS (SELECT 1 FROM pg_trigger g
			WHERE g.tgrelid = format('%I', c.table_name)::regclass AND g.tgname = c.table_name || '_version_increases')
		FROM information_schema.columns c JOIN information_schema.tables r USING (table_schema, table_name)
		WHERE c.table_schema = 'public' AND c.column_name = 'version' AND r.table_type = 'BASE TABLE'
			AND c.table_name NOT IN ('schema_migrations', 'action_plan_revision') -- a migration's number; history, never updated
		ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	tables := 0
	for rows.Next() {
		var table string
		var has bool
		if err := rows.Scan(&table, &has); err != nil {
			t.Fatal(err)
		}
		tables++
		if !has {
			t.Errorf("%s has a version but no trigger %s_version_increases", table, table)
		}
	}
	if rows.Err() != nil || tables < 10 {
		t.Fatalf("%d versioned tables found (%v)", tables, rows.Err())
	}
	version := func(q string, args ...any) int {
		t.Helper()
		var v int
		if err := w.pool.QueryRow(ctx, q, args...).Scan(&v); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return v
	}
	enrolment := func() int { return version(`SELECT version FROM enrolment WHERE id = $1`, w.enrolA) }
	v := enrolment()
	w.accepted(t, `UPDATE enrolment SET occupation = 'Vårdbiträde' WHERE id = $1`, w.enrolA) // a fix in SQL
	if got := enrolment(); got != v+1 {
		t.Errorf("after a change in plain SQL the version is %d, want %d", got, v+1)
	}
	w.accepted(t, `UPDATE enrolment SET occupation = 'Vårdbiträde' WHERE id = $1`, w.enrolA) // changes nothing
	if got := enrolment(); got != v+1 {
		t.Errorf("after an update that changes nothing the version is %d, want %d", got, v+1)
	}
	w.accepted(t, `UPDATE enrolment SET occupation = 'Kock', version = version + 1 WHERE id = $1`, w.enrolA) // as the API writes
	if got := enrolment(); got != v+2 {
		t.Errorf("after the API's kind of update the version is %d, want %d (raised once)", got, v+2)
	}
	w.refused(t, checkViolation, "enrolment_version_increases", `UPDATE enrolment SET version = 1 WHERE id = $1`, w.enrolA)
	w.refused(t, checkViolation, "participant_version_increases", `UPDATE participant SET version = version - 1, given_name = 'Sara' WHERE id = $1`, w.personA)
	if got := version(`UPDATE participant SET given_name = 'Sara' WHERE id = $1 RETURNING version`, w.personA); got != 2 {
		t.Errorf("participant after a change in plain SQL: version %d, want 2", got)
	}

	w.accepted(t, `INSERT INTO retention_rule (organisation_id, inactive_years, updated_by) VALUES ($1, 5, 'x')`, w.orgB)
	rule := func() int { return version(`SELECT version FROM retention_rule WHERE organisation_id = $1`, w.orgB) }
	w.accepted(t, `UPDATE retention_rule SET last_dry_run_at = now(), last_dry_run_count = 3 WHERE organisation_id = $1`, w.orgB)
	if got := rule(); got != 1 {
		t.Errorf("a dry run's stamp moved the rule's version to %d", got)
	}
	w.accepted(t, `UPDATE retention_rule SET inactive_years = 2 WHERE organisation_id = $1`, w.orgB)
	if got := rule(); got != 2 {
		t.Errorf("after the rule's years changed in plain SQL its version is %d, want 2", got)
	}
}

// TestEveryRuleHasItsName: a check written without a name gets PostgreSQL's positional
// one (enrolment_check, enrolment_check1 ...), which says nothing of the rule a refusal
// broke and changes with the order of the checks. Every check on a table is named for
// its rule, or for its column (PostgreSQL's <table>_<column>_check of a column's own
// check), never <table>_check<n>.
func TestEveryRuleHasItsName(t *testing.T) {
	t.Parallel()
	pool := testenv.Postgres(t)
	rows, err := pool.Query(context.Background(), `SELECT conrelid::regclass::text, conname FROM pg_constraint
		WHERE connamespace = 'public'::regnamespace AND contype = 'c' AND conrelid <> 0
			AND (conname ~ ('^' || conrelid::regclass::text || '_check[0-9]*$') OR conname ~ '_check[0-9]+$')
		ORDER BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var table, name string
		if err := rows.Scan(&table, &name); err != nil {
			t.Fatal(err)
		}
		t.Errorf("%s: check %s has a positional name; name it for its rule", table, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}
