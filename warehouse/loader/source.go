package loader

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arbetsmarknad/outcomes/warehouse/snapshot"
)

// readHistories loads the histories of the given participants in one REPEATABLE READ
// transaction whose first statement takes the warehouse version. A later version thus
// always describes a later (or the same) state of PostgreSQL, which is what lets
// ClickHouse keep the newest row per key, whatever order batches arrive in.
// Participants missing from the result have been erased.
func readHistories(ctx context.Context, pool *pgxpool.Pool, ids []string) (uint64, map[string]*snapshot.Person, error) {
	persons := make(map[string]*snapshot.Person, len(ids))
	// The ids travel as one array literal that PostgreSQL parses, once per query: pgx
	// encoding a []string element by element, five times per batch, cost more CPU than
	// decoding the rows.
	idArray, err := uuidArray(ids)
	if err != nil {
		return 0, nil, err
	}
	var version int64
	tx, err := pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead})
	if err != nil {
		return 0, nil, fmt.Errorf("begin snapshot read: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	if err := tx.QueryRow(ctx, `SELECT nextval('warehouse_version_seq')`).Scan(&version); err != nil {
		return 0, nil, fmt.Errorf("take warehouse version: %w", err)
	}
	rows, err := tx.Query(ctx, `SELECT p.id, p.organisation_id, o.code, p.gender, p.birth_date
		FROM participant p JOIN organisation o ON o.id = p.organisation_id WHERE p.id = ANY($1::uuid[])`, idArray)
	if err != nil {
		return 0, nil, fmt.Errorf("read participants: %w", err)
	}
	for rows.Next() {
		p := &snapshot.Person{}
		if err := rows.Scan(&p.ID, &p.OrgID, &p.OrgCode, &p.Gender, &p.BirthDate); err != nil {
			rows.Close()
			return 0, nil, err
		}
		persons[p.ID] = p
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, nil, err
	}
	rows, err = tx.Query(ctx, `SELECT e.participant_id, e.id, m.code, e.start_date, e.end_date, coalesce(e.exit_reason, ''),
			m.category, m.municipal_employment, coalesce(e.subsidised, m.subsidised), coalesce(pr.name, ''), coalesce(u.name, '')
		FROM enrolment e JOIN measure_type m ON m.id = e.measure_type_id
		LEFT JOIN project pr ON pr.id = e.project_id LEFT JOIN unit u ON u.id = e.unit_id
		WHERE e.participant_id = ANY($1::uuid[]) ORDER BY e.participant_id, e.start_date, e.id`, idArray)
	if err != nil {
		return 0, nil, fmt.Errorf("read enrolments: %w", err)
	}
	for rows.Next() {
		var pid string
		var e snapshot.Enrolment
		if err := rows.Scan(&pid, &e.ID, &e.MeasureCode, &e.Start, &e.End, &e.ExitReason, &e.Category, &e.MunicipalEmployment,
			&e.Subsidised, &e.Project, &e.Unit); err != nil {
			rows.Close()
			return 0, nil, err
		}
		if p := persons[pid]; p != nil {
			p.Enrolments = append(p.Enrolments, e)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, nil, err
	}
	rows, err = tx.Query(ctx, `SELECT participant_id, month, status, social_assistance, source
		FROM outcome_observation WHERE participant_id = ANY($1::uuid[]) ORDER BY participant_id, month, source`, idArray)
	if err != nil {
		return 0, nil, fmt.Errorf("read observations: %w", err)
	}
	for rows.Next() {
		var pid string
		var o snapshot.Observation
		if err := rows.Scan(&pid, &o.Month, &o.Status, &o.SocialAssistance, &o.Source); err != nil {
			rows.Close()
			return 0, nil, err
		}
		if p := persons[pid]; p != nil {
			p.Observations = append(p.Observations, o)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, nil, err
	}
	if err := readAttributes(ctx, tx, idArray, persons); err != nil {
		return 0, nil, err
	}
	return uint64(version), persons, tx.Commit(ctx)
}

// readAttributes adds the dated attribute sets and the referrals, in the same snapshot.
func readAttributes(ctx context.Context, tx pgx.Tx, idArray string, persons map[string]*snapshot.Person) error {
	rows, err := tx.Query(ctx, `SELECT participant_id, valid_from, newly_arrived, birth_region, education_level,
			distance_category, registered_at_af, guarantee_days, disability, labour_market_status
		FROM participant_attributes WHERE participant_id = ANY($1::uuid[]) ORDER BY participant_id, valid_from`, idArray)
	if err != nil {
		return fmt.Errorf("read attributes: %w", err)
	}
	for rows.Next() {
		var pid string
		var a snapshot.Attributes
		if err := rows.Scan(&pid, &a.ValidFrom, &a.NewlyArrived, &a.BirthRegion, &a.EducationLevel, &a.DistanceCategory,
			&a.RegisteredAtAf, &a.GuaranteeDays, &a.Disability, &a.LabourMarketStatus); err != nil {
			rows.Close()
			return err
		}
		if p := persons[pid]; p != nil {
			p.Attributes = append(p.Attributes, a)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = tx.Query(ctx, `SELECT participant_id, referral_date, source FROM referral
		WHERE participant_id = ANY($1::uuid[]) ORDER BY participant_id, referral_date, id`, idArray)
	if err != nil {
		return fmt.Errorf("read referrals: %w", err)
	}
	for rows.Next() {
		var pid string
		var r snapshot.Referral
		if err := rows.Scan(&pid, &r.Date, &r.Source); err != nil {
			rows.Close()
			return err
		}
		if p := persons[pid]; p != nil {
			p.Referrals = append(p.Referrals, r)
		}
	}
	rows.Close()
	return rows.Err()
}

// uuidArray is the PostgreSQL array literal of ids ({a,b,...}). Only hex digits and
// dashes may go in (what a uuid's text is), so an id can never add an element or quote
// its way out of the literal; PostgreSQL then checks each is a uuid, as it did for the
// array parameter.
func uuidArray(ids []string) (string, error) {
	n := 2
	for _, id := range ids {
		n += len(id) + 1
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteByte('{')
	for i, id := range ids {
		if id == "" || strings.Trim(id, "0123456789abcdefABCDEF-") != "" {
			return "", fmt.Errorf("participant id %d of the batch is not a uuid", i)
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(id)
	}
	b.WriteByte('}')
	return b.String(), nil
}
