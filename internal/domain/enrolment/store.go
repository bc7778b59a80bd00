package enrolment

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arbetsmarknad/outcomes/internal/domain/eligibility"
	"github.com/arbetsmarknad/outcomes/internal/domain/outcome"
	"github.com/arbetsmarknad/outcomes/internal/domain/participant"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/bounds"
	"github.com/arbetsmarknad/outcomes/internal/platform/changes"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
	"github.com/arbetsmarknad/outcomes/internal/platform/idempotency"
)

// Store reads and writes enrolments.
type Store struct {
	pool *pgxpool.Pool
	now  func() time.Time
}

// NewStore returns a store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool, now: time.Now} }

const columns = `e.id, e.organisation_id, e.participant_id, e.measure_type_id, m.code, e.decision_date, e.start_date,
	e.planned_end_date, e.end_date, e.exit_reason, e.unit_id, e.host_employer_id, e.project_id, e.occupation,
	e.wage_payer, coalesce(e.subsidised, m.subsidised), m.eligibility_rule, e.eligibility_basis, e.override_reason,
	e.override_by, e.override_at, e.social_assistance_at_exit, e.version`

const from = ` FROM enrolment e JOIN measure_type m ON m.id = e.measure_type_id `

func scan(r pgx.CollectableRow) (Enrolment, error) { return scanFrom(r) }

// scanFrom reads the columns above from any row.
func scanFrom(r interface{ Scan(dest ...any) error }) (Enrolment, error) {
	var e Enrolment
	var reason *string
	err := r.Scan(&e.ID, &e.OrganisationID, &e.ParticipantID, &e.MeasureTypeID, &e.MeasureCode, &e.DecisionDate,
		&e.StartDate, &e.PlannedEndDate, &e.EndDate, &reason, &e.UnitID, &e.HostEmployerID, &e.ProjectID, &e.Occupation,
		&e.WagePayer, &e.Subsidised, &e.Eligibility.Rule, &e.Eligibility.Basis, &e.Eligibility.OverrideReason,
		&e.Eligibility.OverrideBy, &e.Eligibility.OverrideAt, &e.SocialAssistanceAtExit, &e.Version)
	if reason != nil {
		s := outcome.Status(*reason)
		e.ExitReason = &s
	}
	return e, err
}

// Create decides and starts an enrolment: the decision is checked against the
// measure's eligibility rule, and all of it is written in one transaction. A retry with
// the same idempotency key returns the first enrolment and writes nothing.
//
// Its INSERT goes with the COMMIT, in one round trip (the transaction is its own: the
// row it returns is read there, and a refused INSERT fails the COMMIT).
func (s *Store) Create(ctx context.Context, in CreateInput) (Enrolment, error) {
	var e Enrolment
	var read func() error
	err := db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		read, err = s.create(ctx, tx, in, &e, true)
		return err
	})
	if err == nil && read != nil {
		err = read()
	}
	if err != nil {
		return Enrolment{}, fmt.Errorf("create enrolment: %w", err)
	}
	return e, nil
}

// CreateInTx is Create inside the caller's transaction (an accepted offer creates its
// enrolment together with the answer); the enrolment is written before it returns.
func (s *Store) CreateInTx(ctx context.Context, tx pgx.Tx, in CreateInput) (Enrolment, error) {
	var e Enrolment
	_, err := s.create(ctx, tx, in, &e, false)
	return e, err
}

// create is Create in tx, into *out. With later, the INSERT is queued to go with the
// transaction's next round trip (the COMMIT), *out is filled when that round trip comes
// back, and read reports a failure to read the row; otherwise the INSERT is sent at once.
func (s *Store) create(ctx context.Context, tx pgx.Tx, in CreateInput, out *Enrolment, later bool) (read func() error, err error) {
	if err := in.Validate(s.now()); err != nil {
		return nil, err
	}
	// One round trip: the participant's lock, then the decision's facts (after the lock,
	// so no change of their attributes can come between; used unless the claim finds a
	// first call to replay), then the idempotency claim. The claim names the
	// participant's organisation, which the lock answers; a caller whose scope is one
	// organisation can only lock that organisation's people (row-level security hides
	// the rest), so the claim for it goes along. Otherwise (a scope of several, the
	// system's), or if the lock names another organisation, the claim follows the lock.
	// The enrolment's id is made here, so that the claim is the key's row itself
	// (idempotency.Request.ResultID).
	lock := participant.LockForWriteLater(ctx, tx, in.ParticipantID, "input.participantId")
	facts := fetchDecisionFacts(ctx, tx, in.ParticipantID, in.MeasureTypeCode, in.DecisionDay())
	id := db.NewID()
	req := idempotency.Request{OrganisationID: db.OrgScope(ctx), Key: in.IdempotencyKey, Operation: "createEnrolment",
		Input: in, ResultID: id}
	var claim *idempotency.Pending
	if db.IsUUID(req.OrganisationID) {
		claim = idempotency.Claim(ctx, tx, req)
	}
	orgID, err := lock()
	if err != nil {
		return nil, err
	}
	if claim != nil && orgID != req.OrganisationID {
		// Row-level security shows a caller whose scope is one organisation only that
		// organisation's people, so this cannot happen; were it to, the key claimed in
		// the scope's organisation must not be committed.
		return nil, fmt.Errorf("create enrolment: the participant's organisation is not the caller's")
	}
	if claim == nil {
		req.OrganisationID = orgID
		claim = idempotency.Claim(ctx, tx, req)
	}
	err = claim.Then(func() (string, error) {
		var err error
		read, err = s.insert(ctx, tx, id, orgID, in, facts, out, later)
		return id, err
	}, func(id string) (err error) {
		*out, err = get(ctx, tx, id)
		return err
	})
	return read, err
}

// insert records the change and writes a new enrolment, with id, of a locked
// participant of orgID, after the measure's eligibility rule (or an override), into
// *out as written: at once, or with later (create) when the transaction's next round
// trip comes back.
func (s *Store) insert(ctx context.Context, tx pgx.Tx, id, orgID string, in CreateInput, decision func() (measure, eligibility.Facts, error),
	out *Enrolment, later bool) (read func() error, err error) {
	day := in.DecisionDay()
	m, facts, err := decision()
	if err != nil {
		return nil, err
	}
	if m.id == nil {
		return nil, apperr.NotFoundf("input.measureTypeCode", "unknown measure type for this organisation")
	}
	if !*m.active {
		return nil, apperr.Invalidf("input.measureTypeCode", "the measure is no longer offered (inactive)")
	}
	if err := checkSameOrganisation(ctx, tx, orgID, in); err != nil {
		return nil, err
	}
	result := eligibility.Evaluate(*m.rule, facts, day)
	var overrideBy *string
	var overrideAt *time.Time
	switch {
	case !result.Eligible && in.OverrideReason == nil:
		return nil, apperr.New(apperr.NotEligible, "input.eligibilityOverride",
			"not eligible for %s on %s: %s; to decide anyway, give an override with a reason",
			in.MeasureTypeCode, in.DecisionDay().Format("2006-01-02"), strings.Join(result.Reasons, "; "))
	case !result.Eligible:
		by, at := in.OverrideBy, s.now().UTC()
		overrideBy, overrideAt = &by, &at
	default:
		in.OverrideReason = nil // nothing to override: the rule was met
	}
	subsidised := *m.subsidised
	if in.Subsidised != nil {
		subsidised = *in.Subsidised
	}
	var reason *string
	if in.ExitReason != nil {
		r := string(*in.ExitReason)
		reason = &r
	}
	basis := result.Basis
	if basis == nil {
		basis = []string{}
	}
	// The change event is the outbox trigger's, written within the INSERT's statement
	// (changes.Created); a refused insert writes neither. The row is read back by the
	// INSERT itself, in the columns every read of an enrolment scans (scan); what those
	// take from the measure (its code and rule) is what the decision just read of it
	// ($21, $22), and subsidised is never NULL here.
	changes.Created(ctx, "enrolment", id, in.ParticipantID)
	sql := `INSERT INTO enrolment (id, organisation_id, participant_id, measure_type_id,
		decision_date, start_date, planned_end_date, end_date, exit_reason, unit_id, host_employer_id, project_id, occupation,
		wage_payer, subsidised, eligibility_basis, override_reason, override_by, override_at, social_assistance_at_exit)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
		RETURNING id, organisation_id, participant_id, measure_type_id, $21::text, decision_date, start_date,
			planned_end_date, end_date, exit_reason, unit_id, host_employer_id, project_id, occupation, wage_payer,
			subsidised, $22::text, eligibility_basis, override_reason, override_by, override_at,
			social_assistance_at_exit, version`
	args := []any{id, orgID, in.ParticipantID, *m.id, in.DecisionDate, in.StartDate, in.PlannedEndDate, in.EndDate, reason,
		in.UnitID, in.HostEmployerID, in.ProjectID, in.Occupation, in.WagePayer, subsidised, basis,
		in.OverrideReason, overrideBy, overrideAt, in.SocialAssistanceAtExit, in.MeasureTypeCode, *m.rule}
	refused := func(err error) error {
		if db.ConstraintOf(err) == "enrolment_no_overlap_in_measure" {
			return apperr.Conflictf("input.startDate",
				"the participant already has a %s spell over these dates: spells in one measure may not overlap", in.MeasureTypeCode)
		}
		return db.MapError(err)
	}
	read = db.FetchRowAs(ctx, tx, "create enrolment", func(row pgx.Row) (err error) {
		*out, err = scanFrom(row)
		return err
	}, refused, sql, args...)
	if !later {
		if err := read(); err != nil {
			return nil, err
		}
	}
	if in.EmploymentRate != nil {
		// Queued: with later it goes with the INSERT; otherwise with the caller's next
		// statement or COMMIT. Its failure fails that round trip.
		if err := db.Queue(ctx, tx, "enrolment rate", nil, `INSERT INTO enrolment_rate (enrolment_id, organisation_id, valid_from, rate)
			VALUES ($1, $2, $3, $4)`, id, orgID, in.StartDate, *in.EmploymentRate); err != nil {
			return nil, db.MapError(err)
		}
	}
	return read, nil
}

// checkSameOrganisation refuses a unit, host workplace or project of another
// organisation (or none): each reads as not found.
func checkSameOrganisation(ctx context.Context, tx pgx.Tx, orgID string, in CreateInput) error {
	var errs apperr.List
	for _, ref := range []struct {
		id           *string
		table, field string
	}{
		{in.UnitID, "unit", "input.unitId"},
		{in.HostEmployerID, "employer", "input.hostEmployerId"},
		{in.ProjectID, "project", "input.projectId"},
	} {
		if ref.id == nil {
			continue
		}
		ok := db.IsUUID(*ref.id)
		if ok {
			// table is one of the constants above, never input.
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+ref.table+` WHERE id = $1 AND organisation_id = $2)`,
				*ref.id, orgID).Scan(&ok); err != nil {
				return err
			}
		}
		if !ok {
			errs.Add(apperr.NotFoundf(ref.field, "%s not found in the participant's organisation", ref.table))
		}
	}
	return errs.Err()
}

// measure is what a decision needs of its measure; all nil when the participant's
// organisation has no measure of that code.
type measure struct {
	id, rule           *string
	subsidised, active *bool
}

// fetchDecisionFacts queues the one statement that reads what a decision on day about
// a participant is checked against (db.FetchRow): the measure of that code in the
// participant's organisation, and the participant's facts as they stood that day (the
// attribute set in force then). The returned func waits for it. The rule itself is
// eligibility.Evaluate's, in Go.
func fetchDecisionFacts(ctx context.Context, q pgx.Tx, participantID, measureCode string, day time.Time) func() (measure, eligibility.Facts, error) {
	var m measure
	var f eligibility.Facts
	wait := db.FetchRow(ctx, q, "eligibility facts", func(row pgx.Row) error {
		return row.Scan(&m.id, &m.rule, &m.subsidised, &m.active,
			&f.BirthDate, &f.RegisteredAtAf, &f.GuaranteeDays, &f.NewlyArrived,
			&f.IntroductionPlan, &f.ResidencePermitDate, &f.ResidencePermitKind, &f.SchoolProgramme)
	}, `SELECT m.id, m.eligibility_rule, m.subsidised, m.active,
			p.birth_date, a.registered_at_af, a.guarantee_days, a.newly_arrived,
			a.introduction_plan, a.residence_permit_date, a.residence_permit_kind, a.school_programme
		FROM participant p
		LEFT JOIN measure_type m ON m.organisation_id = p.organisation_id AND m.code = $3
		LEFT JOIN LATERAL (SELECT * FROM participant_attributes a WHERE a.participant_id = p.id AND a.valid_from <= $2
			ORDER BY a.valid_from DESC LIMIT 1) a ON true
		WHERE p.id = $1`, participantID, day, measureCode)
	return func() (measure, eligibility.Facts, error) {
		err := wait()
		if db.IsNoRows(err) {
			return m, f, apperr.NotFoundf("participantId", "participant not found")
		}
		if err != nil {
			return m, f, fmt.Errorf("eligibility facts: %w", err)
		}
		return m, f, nil
	}
}

// CheckEligibility answers "would this decision pass its rule?" without writing.
func (s *Store) CheckEligibility(ctx context.Context, participantID, measureCode string, day time.Time) (eligibility.Result, error) {
	if !db.IsUUID(participantID) {
		return eligibility.Result{}, apperr.NotFoundf("participantId", "participant not found")
	}
	var res eligibility.Result
	err := db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		m, facts, err := fetchDecisionFacts(ctx, tx, participantID, measureCode, day)()
		if err == nil && m.id == nil || apperr.CodeOf(err) == apperr.NotFound {
			return apperr.NotFoundf("measureTypeCode", "participant or measure type not found")
		}
		if err != nil {
			return err
		}
		res = eligibility.Evaluate(*m.rule, facts, day)
		res.ParticipantID = participantID
		return nil
	})
	return res, err
}

// ChangeRate records a new employment rate from a date (25 % -> 50 % -> 100 %).
func (s *Store) ChangeRate(ctx context.Context, in RateInput) (Enrolment, error) {
	var errs apperr.List
	if err := bounds.CheckEnrolmentRate("input.rate", in.Rate); err != nil {
		errs.Add(err)
	}
	if in.ValidFrom.IsZero() {
		errs.Add(apperr.Invalidf("input.validFrom", "a date is required"))
	}
	if err := errs.Err(); err != nil {
		return Enrolment{}, err
	}
	var e Enrolment
	err := s.locked(ctx, in.EnrolmentID, &in.Version, func(tx pgx.Tx, cur Enrolment) (err error) {
		if in.ValidFrom.Before(cur.StartDate) || (cur.EndDate != nil && in.ValidFrom.After(*cur.EndDate)) {
			return apperr.Invalidf("input.validFrom", "the date is outside the enrolment")
		}
		if _, err := tx.Exec(ctx, `INSERT INTO enrolment_rate (enrolment_id, organisation_id, valid_from, rate)
			VALUES ($1, $2, $3, $4) ON CONFLICT (enrolment_id, valid_from) DO UPDATE SET rate = EXCLUDED.rate`,
			cur.ID, cur.OrganisationID, in.ValidFrom, in.Rate); err != nil {
			return db.MapError(err)
		}
		if _, err := tx.Exec(ctx, `UPDATE enrolment SET version = version + 1, updated_at = now() WHERE id = $1`, cur.ID); err != nil {
			return err
		}
		e, err = updated(ctx, tx, cur.ID)
		return err
	})
	if err != nil {
		return Enrolment{}, fmt.Errorf("change employment rate: %w", err)
	}
	return e, nil
}

// Exit ends an open enrolment with its destination.
func (s *Store) Exit(ctx context.Context, in ExitInput) (Enrolment, error) {
	if err := in.Validate(s.now()); err != nil {
		return Enrolment{}, err
	}
	var e Enrolment
	err := s.locked(ctx, in.EnrolmentID, in.Version, func(tx pgx.Tx, cur Enrolment) error {
		if cur.EndDate != nil {
			return apperr.Conflictf("input.enrolmentId", "the enrolment has already ended")
		}
		if in.EndDate.Before(cur.StartDate) {
			return apperr.Invalidf("input.endDate", "end is before the start")
		}
		if _, err := endRatesAfter(ctx, tx, cur.ID, in.EndDate); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE enrolment SET end_date = $2, exit_reason = $3, social_assistance_at_exit = $4,
			version = version + 1, updated_at = now() WHERE id = $1`, cur.ID, in.EndDate, string(in.ExitReason), in.SocialAssistanceAtExit)
		if err != nil {
			return db.MapError(err)
		}
		e, err = updated(ctx, tx, cur.ID)
		return err
	})
	if err != nil {
		return Enrolment{}, fmt.Errorf("exit enrolment: %w", err)
	}
	return e, nil
}

// endRatesAfter removes the employment rates of enrolment id that would hold from a day
// after end, and returns them: a rate change planned for after the day the person left
// never took effect (a rate lies inside its enrolment: enrolment_rate_within_enrolment).
// Every exit and exit correction goes through it, so that an exit is never refused for
// a planned change that no mutation could remove.
func endRatesAfter(ctx context.Context, tx pgx.Tx, id string, end time.Time) ([]Rate, error) {
	rows, err := tx.Query(ctx, `DELETE FROM enrolment_rate WHERE enrolment_id = $1 AND valid_from > $2
		RETURNING enrolment_id, valid_from, rate`, id, end)
	if err != nil {
		return nil, err
	}
	ended, err := pgx.CollectRows(rows, scanRate)
	slices.SortFunc(ended, func(a, b Rate) int { return a.ValidFrom.Compare(b.ValidFrom) })
	return ended, err
}

func scanRate(r pgx.CollectableRow) (Rate, error) {
	var x Rate
	return x, r.Scan(&x.EnrolmentID, &x.ValidFrom, &x.Rate)
}

// locked runs change in one transaction with the enrolment id's row locked. An id that
// names no enrolment the caller may see is NOT_FOUND on input.enrolmentId, and a version
// other than the current one (unless version is nil) a CONFLICT on input.version, both
// before change runs: the one shape of every update of an enrolment.
func (s *Store) locked(ctx context.Context, id string, version *int, change func(tx pgx.Tx, cur Enrolment) error) error {
	if !db.IsUUID(id) {
		return apperr.NotFoundf("input.enrolmentId", "enrolment not found")
	}
	return db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := get(ctx, tx, id, "FOR UPDATE OF e")
		if err != nil {
			return err
		}
		if version != nil && *version != cur.Version {
			return apperr.Conflictf("input.version", "the enrolment was changed by someone else (version %d, you have %d)", cur.Version, *version)
		}
		return change(tx, cur)
	})
}

// updated reads enrolment id back after an update in tx and records the change for the
// warehouse, in the same transaction.
func updated(ctx context.Context, tx pgx.Tx, id string) (Enrolment, error) {
	e, err := get(ctx, tx, id)
	if err != nil {
		return e, err
	}
	return e, changes.Record(ctx, tx, e.OrganisationID, e.ParticipantID, "enrolment", e.ID, changes.Update)
}

func get(ctx context.Context, q pgx.Tx, id string, lock ...string) (Enrolment, error) {
	suffix := ""
	if len(lock) > 0 {
		suffix = " " + lock[0]
	}
	rows, err := q.Query(ctx, `SELECT `+columns+from+`WHERE e.id = $1`+suffix, id)
	return db.One(rows, err, scan, "input.enrolmentId", "enrolment")
}

// Get returns one enrolment.
func (s *Store) Get(ctx context.Context, id string) (Enrolment, error) {
	if !db.IsUUID(id) {
		return Enrolment{}, apperr.NotFoundf("id", "enrolment not found")
	}
	var e Enrolment
	err := db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		e, err = get(ctx, tx, id)
		return err
	})
	return e, err
}

// ByIDs loads enrolments by id in one statement (dataloader).
func (s *Store) ByIDs(ctx context.Context, ids []string) ([]Enrolment, error) {
	rows, err := db.Reader(ctx, s.pool).Query(ctx, `SELECT `+columns+from+`WHERE e.id = ANY($1::uuid[])`, db.UUIDs(ids))
	if err != nil {
		return nil, fmt.Errorf("load enrolments: %w", err)
	}
	return pgx.CollectRows(rows, scan)
}

// ByParticipants loads the enrolments of several participants in one statement,
// ordered by start.
func (s *Store) ByParticipants(ctx context.Context, participantIDs []string) ([]Enrolment, error) {
	rows, err := db.Reader(ctx, s.pool).Query(ctx, `SELECT `+columns+from+`WHERE e.participant_id = ANY($1::uuid[])
		ORDER BY e.participant_id, e.start_date, e.id`, db.UUIDs(participantIDs))
	if err != nil {
		return nil, fmt.Errorf("load enrolments: %w", err)
	}
	return pgx.CollectRows(rows, scan)
}

// RatesByEnrolments loads these enrolments' employment rates in one statement, by date.
func (s *Store) RatesByEnrolments(ctx context.Context, enrolmentIDs []string) ([]Rate, error) {
	rows, err := db.Reader(ctx, s.pool).Query(ctx, `SELECT enrolment_id, valid_from, rate FROM enrolment_rate
		WHERE enrolment_id = ANY($1::uuid[]) ORDER BY enrolment_id, valid_from`, db.UUIDs(enrolmentIDs))
	if err != nil {
		return nil, fmt.Errorf("load employment rates: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Rate, error) {
		var x Rate
		err := r.Scan(&x.EnrolmentID, &x.ValidFrom, &x.Rate)
		return x, err
	})
}

// RateOn returns the rate in force on day, from rates sorted by date.
func RateOn(rates []*Rate, day time.Time) *int {
	var cur *int
	for _, r := range rates {
		if !r.ValidFrom.After(day) {
			v := r.Rate
			cur = &v
		}
	}
	return cur
}

// Filter narrows an enrolment list.
type Filter struct {
	MeasureTypeCode *string
	Ongoing         *bool
	ProjectID       *string
	HostEmployerID  *string
	UnitID          *string
	StartFrom       *time.Time
	StartTo         *time.Time
	// OverriddenOnly lists decisions taken with an eligibility override.
	OverriddenOnly bool
}

// List returns an organisation's enrolments, newest start first (start date, id
// descending), filtered.
func (s *Store) List(ctx context.Context, orgID string, f Filter, req db.PageRequest) (db.Page[Enrolment], error) {
	// The cursor holds the sort key of the ORDER BY below: the decision's time for the
	// overridden list, the start date otherwise, then the id.
	key := db.KeyDate
	if f.OverriddenOnly {
		key = db.KeyTimestamp
	}
	page, err := req.Parse(key, db.KeyUUID)
	if err != nil {
		return db.Page[Enrolment]{}, err
	}
	var out db.Page[Enrolment]
	if !db.IsUUID(orgID) {
		return out, apperr.NotFoundf("organisationId", "organisation not found")
	}
	if err := bounds.FilterPeriod("filter.startTo", f.StartFrom, f.StartTo); err != nil {
		return out, err
	}
	for _, id := range []*string{f.ProjectID, f.HostEmployerID, f.UnitID} {
		if id != nil && !db.IsUUID(*id) {
			return out, nil // an unknown id matches nothing
		}
	}
	where := `e.organisation_id = $1
		AND ($2::text IS NULL OR m.code = $2)
		AND ($3::boolean IS NULL OR (e.end_date IS NULL) = $3)
		AND ($4::uuid IS NULL OR e.project_id = $4)
		AND ($5::uuid IS NULL OR e.host_employer_id = $5)
		AND ($6::uuid IS NULL OR e.unit_id = $6)
		AND ($7::date IS NULL OR e.start_date >= $7)
		AND ($8::date IS NULL OR e.start_date <= $8)
		AND (NOT $9 OR e.override_reason IS NOT NULL)`
	args := []any{orgID, f.MeasureTypeCode, f.Ongoing, f.ProjectID, f.HostEmployerID, f.UnitID, f.StartFrom, f.StartTo, f.OverriddenOnly}
	order := `e.start_date DESC, e.id DESC`
	keyed := `($10::text IS NULL OR (e.start_date, e.id) ` + page.Cmp("<") + ` ($10::date, $11::uuid))`
	if f.OverriddenOnly {
		order = `e.override_at DESC, e.id DESC`
		keyed = `($10::text IS NULL OR (e.override_at, e.id) ` + page.Cmp("<") + ` ($10::timestamptz, $11::uuid))`
	}
	rows, err := s.pool.Query(ctx, `SELECT `+columns+from+`WHERE `+where+` AND `+keyed+`
		ORDER BY `+page.Order(order)+` LIMIT $12`, append(args, page.AfterValue(0), page.AfterValue(1), page.First+1)...)
	if err != nil {
		return out, fmt.Errorf("list enrolments: %w", err)
	}
	items, err := pgx.CollectRows(rows, scan)
	if err != nil {
		return out, fmt.Errorf("list enrolments: %w", err)
	}
	out.Items, out.HasNextPage, out.HasPreviousPage = db.Trim(items, page)
	for _, e := range out.Items {
		key := e.StartDate.Format("2006-01-02")
		if f.OverriddenOnly && e.Eligibility.OverrideAt != nil {
			key = e.Eligibility.OverrideAt.UTC().Format(time.RFC3339Nano)
		}
		out.Cursors = append(out.Cursors, db.Cursor(key, e.ID))
	}
	err = s.pool.QueryRow(ctx, `SELECT count(*)`+from+`WHERE `+where, args...).Scan(&out.TotalCount)
	return out, err
}
