package project

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/arbetsmarknad/outcomes/internal/domain/organisation"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
	"github.com/arbetsmarknad/outcomes/internal/platform/idempotency"
	"github.com/arbetsmarknad/outcomes/warehouse/outcomes"
)

const targetColumns = `id, organisation_id, name, metric, period_start, period_end, measure_type_id, project_id, unit_id,
	total, women, men, version`

func scanTarget(r pgx.CollectableRow) (Target, error) {
	var t Target
	var metric string
	err := r.Scan(&t.ID, &t.OrganisationID, &t.Name, &metric, &t.PeriodStart, &t.PeriodEnd, &t.MeasureTypeID,
		&t.ProjectID, &t.UnitID, &t.Total, &t.Women, &t.Men, &t.Version)
	t.Metric = Metric(metric)
	return t, err
}

// CreateTarget creates a target. The measure type is looked up by code in the
// organisation's catalogue; the project and unit must be the organisation's. A retry
// with the same idempotency key returns the first target and writes nothing.
func (s *Store) CreateTarget(ctx context.Context, in CreateTargetInput) (Target, error) {
	if err := in.Validate(); err != nil {
		return Target{}, err
	}
	var t Target
	err := db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		if err := organisation.Require(ctx, tx, in.OrganisationID, "input.organisationId"); err != nil {
			return err
		}
		id := db.NewID()
		req := idempotency.Request{OrganisationID: in.OrganisationID, Key: in.IdempotencyKey, Operation: "createTarget", Input: in,
			ResultID: id}
		return idempotency.Once(ctx, tx, req, func() (string, error) {
			measureTypeID, err := resolveScope(ctx, tx, in)
			if err != nil {
				return "", err
			}
			rows, err := tx.Query(ctx, `INSERT INTO target (id, organisation_id, name, metric, period_start, period_end,
					measure_type_id, project_id, unit_id, total, women, men)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING `+targetColumns,
				id, in.OrganisationID, in.Name, string(in.Metric), in.PeriodStart, in.PeriodEnd, measureTypeID, in.ProjectID,
				in.UnitID, in.Total, in.Women, in.Men)
			if err != nil {
				return "", err
			}
			ts, err := pgx.CollectRows(rows, scanTarget)
			if err != nil {
				return "", db.MapError(err)
			}
			t = ts[0]
			return t.ID, nil
		}, func(id string) (err error) {
			t, err = getTarget(ctx, tx, id)
			return err
		})
	})
	if err != nil {
		return Target{}, fmt.Errorf("create target: %w", err)
	}
	return t, nil
}

// resolveScope checks the target's scope against the organisation and returns the
// measure type's id (nil when the scope has none). Every failure is reported at once.
func resolveScope(ctx context.Context, tx pgx.Tx, in CreateTargetInput) (*string, error) {
	var errs apperr.List
	measureTypeID, err := organisation.MeasureTypeID(ctx, tx, in.OrganisationID, in.MeasureTypeCode, "input.measureTypeCode")
	if e, ok := apperr.As(err); ok {
		errs.Add(e)
	} else if err != nil {
		return nil, err
	}
	for _, ref := range []struct {
		id           *string
		table, field string
	}{
		{in.ProjectID, "project", "input.projectId"},
		{in.UnitID, "unit", "input.unitId"},
	} {
		if ref.id == nil {
			continue
		}
		ok := db.IsUUID(*ref.id)
		if ok {
			// table is one of the constants above, never input.
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+ref.table+` WHERE id = $1 AND organisation_id = $2)`,
				*ref.id, in.OrganisationID).Scan(&ok); err != nil {
				return nil, err
			}
		}
		if !ok {
			errs.Add(apperr.NotFoundf(ref.field, "%s not found in the organisation", ref.table))
		}
	}
	return measureTypeID, errs.Err()
}

func getTarget(ctx context.Context, tx pgx.Tx, id string) (Target, error) {
	rows, err := tx.Query(ctx, `SELECT `+targetColumns+` FROM target WHERE id = $1`, id)
	return db.One(rows, err, scanTarget, "id", "target")
}

// TargetsOfProjects loads the targets of several projects in one statement, by period
// start (for Project.targets).
func (s *Store) TargetsOfProjects(ctx context.Context, projectIDs []string) ([]Target, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+targetColumns+` FROM target WHERE project_id = ANY($1::uuid[])
		ORDER BY project_id, period_start, id`, db.ValidUUIDs(projectIDs))
	if err != nil {
		return nil, fmt.Errorf("load targets: %w", err)
	}
	return pgx.CollectRows(rows, scanTarget)
}

// TargetsActiveIn returns the targets of the organisations whose period overlaps
// [from, to] (dates), by organisation, period start and id: the targets a monthly report
// follows up.
func (s *Store) TargetsActiveIn(ctx context.Context, orgIDs []string, from, to time.Time) ([]Target, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+targetColumns+` FROM target WHERE organisation_id = ANY($1::uuid[])
		AND period_start <= $3 AND period_end >= $2 ORDER BY organisation_id, period_start, name, id`,
		db.ValidUUIDs(orgIDs), from, to)
	if err != nil {
		return nil, fmt.Errorf("active targets: %w", err)
	}
	return pgx.CollectRows(rows, scanTarget)
}

// ListTargets returns an organisation's targets by period start and id, filtered.
func (s *Store) ListTargets(ctx context.Context, orgID string, f TargetFilter, req db.PageRequest) (db.Page[Target], error) {
	// The cursor holds the sort key of the ORDER BY below.
	page, err := req.Parse(db.KeyDate, db.KeyUUID)
	if err != nil {
		return db.Page[Target]{}, err
	}
	var out db.Page[Target]
	if !db.IsUUID(orgID) {
		return out, apperr.NotFoundf("organisationId", "organisation not found")
	}
	if f.ProjectID != nil && !db.IsUUID(*f.ProjectID) {
		return out, nil // an unknown project has no targets
	}
	where := `organisation_id = $1 AND ($2::uuid IS NULL OR project_id = $2)
		AND ($3::date IS NULL OR $3 BETWEEN period_start AND period_end)`
	args := []any{orgID, f.ProjectID, f.ActiveOn}
	rows, err := s.pool.Query(ctx, `SELECT `+targetColumns+` FROM target WHERE `+where+`
		AND ($4::text IS NULL OR (period_start, id) `+page.Cmp(">")+` ($4::date, $5::uuid))
		ORDER BY `+page.Order("period_start, id")+` LIMIT $6`, append(args, page.AfterValue(0), page.AfterValue(1), page.First+1)...)
	if err != nil {
		return out, fmt.Errorf("list targets: %w", err)
	}
	items, err := pgx.CollectRows(rows, scanTarget)
	if err != nil {
		return out, fmt.Errorf("list targets: %w", err)
	}
	out.Items, out.HasNextPage, out.HasPreviousPage = db.Trim(items, page)
	for _, t := range out.Items {
		out.Cursors = append(out.Cursors, db.Cursor(t.PeriodStart.Format(time.DateOnly), t.ID))
	}
	err = s.pool.QueryRow(ctx, `SELECT count(*) FROM target WHERE `+where, args...).Scan(&out.TotalCount)
	return out, err
}

// Enrolment-based metrics share the scope: the organisation, narrowed by the target's
// measure type, project and unit when set ($1-$4); the period is $5-$6.
const enrolmentScope = ` FROM enrolment e JOIN participant p ON p.id = e.participant_id
	WHERE e.organisation_id = $1 AND ($2::uuid IS NULL OR e.measure_type_id = $2)
	AND ($3::uuid IS NULL OR e.project_id = $3) AND ($4::uuid IS NULL OR e.unit_id = $4) AND `

const byGender = `count(*), count(*) FILTER (WHERE p.gender = 'woman'), count(*) FILTER (WHERE p.gender = 'man')`

// additiveDates are the additive metrics' rules: the date an enrolment counts on and
// what else it must meet. Progress and MonthlyProgress both read them.
var additiveDates = map[Metric]struct{ col, extra string }{
	Decisions: {"e.decision_date", ""},
	Starts:    {"e.start_date", ""},
	// "Work or studies" is the one status set (outcomes.WorkOrStudiesSet), read here
	// from the exit reason recorded at exit.
	ExitsToWorkOrStudies: {"e.end_date", " AND e.exit_reason IN " + outcomes.WorkOrStudiesSet.SQLList()},
}

// progressSQL counts one metric: total, women, men. Other and not-stated genders count
// in the total only.
var progressSQL = func() map[Metric]string {
	m := map[Metric]string{
		// A person with several enrolments in the period counts once.
		Participants: `SELECT count(DISTINCT p.id), count(DISTINCT p.id) FILTER (WHERE p.gender = 'woman'),
		count(DISTINCT p.id) FILTER (WHERE p.gender = 'man')` + enrolmentScope +
			`e.start_date <= $6 AND (e.end_date IS NULL OR e.end_date >= $5)`,
	}
	for metric, d := range additiveDates {
		m[metric] = `SELECT ` + byGender + enrolmentScope + d.col + ` BETWEEN $5 AND $6` + d.extra
	}
	return m
}()

// monthlyProgressSQL counts an additive metric like progressSQL, by the month of its
// date ('YYYY-MM'), months before $7 together under NULL.
var monthlyProgressSQL = func() map[Metric]string {
	m := map[Metric]string{}
	for metric, d := range additiveDates {
		m[metric] = `SELECT CASE WHEN ` + d.col + ` >= $7 THEN to_char(` + d.col + `, 'YYYY-MM') END, ` + byGender +
			enrolmentScope + d.col + ` BETWEEN $5 AND $6` + d.extra + ` GROUP BY 1`
	}
	m[Referrals] = `SELECT CASE WHEN r.referral_date >= $4 THEN to_char(r.referral_date, 'YYYY-MM') END, ` + byGender +
		` FROM referral r JOIN participant p ON p.id = r.participant_id
		WHERE r.organisation_id = $1 AND r.referral_date BETWEEN $2 AND $3 GROUP BY 1`
	return m
}()

// Referrals belong to no measure, project or unit: their scope is the organisation.
const referralProgressSQL = `SELECT ` + byGender + ` FROM referral r JOIN participant p ON p.id = r.participant_id
	WHERE r.organisation_id = $1 AND r.referral_date BETWEEN $2 AND $3`

// Progress counts what was achieved against t from its period start up to asOf (never
// past the period end), in one statement.
func (s *Store) Progress(ctx context.Context, t Target, asOf time.Time) (Progress, error) {
	end := t.ProgressEnd(asOf)
	out := Progress{AsOf: end}
	var row pgx.Row
	if t.Metric == Referrals {
		row = s.pool.QueryRow(ctx, referralProgressSQL, t.OrganisationID, t.PeriodStart, end)
	} else {
		q, ok := progressSQL[t.Metric]
		if !ok {
			return out, fmt.Errorf("target progress: unknown metric %q", t.Metric)
		}
		row = s.pool.QueryRow(ctx, q, t.OrganisationID, t.MeasureTypeID, t.ProjectID, t.UnitID, t.PeriodStart, end)
	}
	if err := row.Scan(&out.Total, &out.Women, &out.Men); err != nil {
		return out, fmt.Errorf("target progress: %w", err)
	}
	out.Share = Share(out.Total, t.Total)
	return out, nil
}

// Additive reports whether a metric's progress is the sum of its months' (every one
// but Participants, who count once over the period).
func (m Metric) Additive() bool { _, ok := monthlyProgressSQL[m]; return ok }

// MonthlyProgress is Progress for an additive metric (Metric.Additive) from the period
// start up to asOf, and the same counted month by month ("2006-01") from the month of
// from on, in one statement: a month's figure counts the days of that month within the
// period and up to asOf, and the months (with what came before from) sum to the total.
func (s *Store) MonthlyProgress(ctx context.Context, t Target, from, asOf time.Time) (Progress, map[string]Progress, error) {
	end := t.ProgressEnd(asOf)
	total := Progress{AsOf: end}
	q, ok := monthlyProgressSQL[t.Metric]
	if !ok {
		return total, nil, fmt.Errorf("monthly target progress: metric %q is not additive", t.Metric)
	}
	from = time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC)
	args := []any{t.OrganisationID, t.MeasureTypeID, t.ProjectID, t.UnitID, t.PeriodStart, end, from}
	if t.Metric == Referrals {
		args = []any{t.OrganisationID, t.PeriodStart, end, from}
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return total, nil, fmt.Errorf("monthly target progress: %w", err)
	}
	months := map[string]Progress{}
	var month *string
	var p Progress
	if _, err := pgx.ForEachRow(rows, []any{&month, &p.Total, &p.Women, &p.Men}, func() error {
		total.Total, total.Women, total.Men = total.Total+p.Total, total.Women+p.Women, total.Men+p.Men
		if month != nil {
			months[*month] = p
		}
		return nil
	}); err != nil {
		return total, nil, fmt.Errorf("monthly target progress: %w", err)
	}
	total.Share = Share(total.Total, t.Total)
	return total, months, nil
}
