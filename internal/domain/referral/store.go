package referral

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arbetsmarknad/outcomes/internal/domain/participant"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/bounds"
	"github.com/arbetsmarknad/outcomes/internal/platform/changes"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
	"github.com/arbetsmarknad/outcomes/internal/platform/idempotency"
)

// Store reads and writes this package's records in PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
	now  func() time.Time
}

// NewStore returns a store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool, now: time.Now} }

const columns = `id, organisation_id, participant_id, source, referral_date, referring_officer, ordered,
	feedback_method, feedback_due_date, feedback_sent_date, tripartite_meeting_date, notes, version`

func scan(r pgx.CollectableRow) (Referral, error) {
	var x Referral
	var ordered []string
	err := r.Scan(&x.ID, &x.OrganisationID, &x.ParticipantID, &x.Source, &x.ReferralDate, &x.ReferringOfficer, &ordered,
		&x.FeedbackMethod, &x.FeedbackDueDate, &x.FeedbackSentDate, &x.TripartiteMeetingDate, &x.Notes, &x.Version)
	x.Ordered = make([]Order, len(ordered))
	for i, o := range ordered {
		x.Ordered[i] = Order(o)
	}
	return x, err
}

const createOp = "createReferral"

// Create registers a referral of a participant the caller can see. A retry with the
// same idempotency key returns the first referral and writes nothing.
func (s *Store) Create(ctx context.Context, in CreateInput) (Referral, error) {
	if err := in.Validate(s.now()); err != nil {
		return Referral{}, err
	}
	var x Referral
	err := db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		// Locking the participant also proves it exists and is visible (row-level
		// security hides other organisations' people).
		orgID, err := participant.LockForWrite(ctx, tx, in.ParticipantID, "input.participantId")
		if err != nil {
			return err
		}
		id := db.NewID()
		req := idempotency.Request{OrganisationID: orgID, Key: in.IdempotencyKey, Operation: createOp, Input: in, ResultID: id}
		return idempotency.Once(ctx, tx, req, func() (string, error) {
			ordered := make([]string, len(in.Ordered))
			for i, o := range in.Ordered {
				ordered[i] = string(o)
			}
			rows, err := tx.Query(ctx, `INSERT INTO referral (id, organisation_id, participant_id, source, referral_date,
					referring_officer, ordered, feedback_method, feedback_due_date, notes)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING `+columns,
				id, orgID, in.ParticipantID, string(in.Source), in.ReferralDate, in.ReferringOfficer, ordered, in.FeedbackMethod,
				in.FeedbackDueDate, in.Notes)
			if err != nil {
				return "", err
			}
			if x, err = pgx.CollectExactlyOneRow(rows, scan); err != nil {
				return "", db.MapError(err)
			}
			return x.ID, changes.Record(ctx, tx, orgID, x.ParticipantID, "referral", x.ID, changes.Create)
		}, func(id string) (err error) {
			x, err = get(ctx, tx, id, "")
			return err
		})
	})
	if err != nil {
		return Referral{}, fmt.Errorf("create referral: %w", err)
	}
	return x, nil
}

// Update records the tripartite meeting, the feedback sent, a new due date or notes,
// if the caller holds the current version. Fields not given keep their value.
func (s *Store) Update(ctx context.Context, in UpdateInput) (Referral, error) {
	if !db.IsUUID(in.ID) {
		return Referral{}, apperr.NotFoundf("input.id", "referral not found")
	}
	var x Referral
	err := db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := get(ctx, tx, in.ID, "FOR UPDATE")
		if apperr.CodeOf(err) == apperr.NotFound {
			return apperr.NotFoundf("input.id", "referral not found")
		}
		if err != nil {
			return err
		}
		if cur.Version != in.Version {
			return apperr.Conflictf("input.version", "the referral was changed by someone else (now version %d, you have %d); reload and try again",
				cur.Version, in.Version)
		}
		if err := in.Validate(cur.ReferralDate, s.now()); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `UPDATE referral SET
				tripartite_meeting_date = coalesce($2, tripartite_meeting_date),
				feedback_due_date = coalesce($3, feedback_due_date),
				feedback_sent_date = coalesce($4, feedback_sent_date),
				notes = coalesce($5, notes),
				version = version + 1
			WHERE id = $1 RETURNING `+columns,
			in.ID, in.TripartiteMeetingDate, in.FeedbackDueDate, in.FeedbackSentDate, in.Notes)
		if err != nil {
			return err
		}
		if x, err = pgx.CollectExactlyOneRow(rows, scan); err != nil {
			return db.MapError(err)
		}
		return changes.Record(ctx, tx, x.OrganisationID, x.ParticipantID, "referral", x.ID, changes.Update)
	})
	if err != nil {
		return Referral{}, fmt.Errorf("update referral: %w", err)
	}
	return x, nil
}

// get reads one referral in tx; lock is "" or a locking clause.
func get(ctx context.Context, tx pgx.Tx, id, lock string) (Referral, error) {
	rows, err := tx.Query(ctx, `SELECT `+columns+` FROM referral WHERE id = $1 `+lock, id)
	if err != nil {
		return Referral{}, err
	}
	x, err := pgx.CollectExactlyOneRow(rows, scan)
	if db.IsNoRows(err) {
		return Referral{}, apperr.NotFoundf("id", "referral not found")
	}
	return x, err
}

// Get returns one referral.
func (s *Store) Get(ctx context.Context, id string) (Referral, error) {
	if !db.IsUUID(id) {
		return Referral{}, apperr.NotFoundf("id", "referral not found")
	}
	rows, err := s.pool.Query(ctx, `SELECT `+columns+` FROM referral WHERE id = $1`, id)
	if err != nil {
		return Referral{}, fmt.Errorf("get referral: %w", err)
	}
	x, err := pgx.CollectExactlyOneRow(rows, scan)
	if db.IsNoRows(err) {
		return Referral{}, apperr.NotFoundf("id", "referral not found")
	}
	return x, err
}

// ByParticipants loads the referrals of these participants in one statement, by date (dataloader).
func (s *Store) ByParticipants(ctx context.Context, participantIDs []string) ([]Referral, error) {
	rows, err := db.Reader(ctx, s.pool).Query(ctx, `SELECT `+columns+` FROM referral WHERE participant_id = ANY($1::uuid[])
		ORDER BY participant_id, referral_date, id`, db.UUIDs(participantIDs))
	if err != nil {
		return nil, fmt.Errorf("load referrals: %w", err)
	}
	return pgx.CollectRows(rows, scan)
}

// List returns an organisation's referrals matching f, newest first (referral date,
// then id, descending).
func (s *Store) List(ctx context.Context, orgID string, f Filter, req db.PageRequest) (db.Page[Referral], error) {
	// The cursor holds the sort key of the ORDER BY below.
	page, err := req.Parse(db.KeyDate, db.KeyUUID)
	if err != nil {
		return db.Page[Referral]{}, err
	}
	var out db.Page[Referral]
	if !db.IsUUID(orgID) {
		return out, apperr.NotFoundf("organisationId", "organisation not found")
	}
	if err := bounds.FilterPeriod("filter.to", f.From, f.To); err != nil {
		return out, err
	}
	if f.ParticipantID != nil && !db.IsUUID(*f.ParticipantID) {
		return out, nil // an unknown participant has no referrals
	}
	var source *string
	if f.Source != nil {
		v := string(*f.Source)
		source = &v
	}
	where := `organisation_id = $1
		AND ($2::text IS NULL OR source = $2)
		AND ($3::uuid IS NULL OR participant_id = $3)
		AND ($4::date IS NULL OR referral_date >= $4)
		AND ($5::date IS NULL OR referral_date <= $5)
		AND ($6::boolean IS NULL OR (feedback_sent_date IS NULL) = $6)`
	args := []any{orgID, source, f.ParticipantID, f.From, f.To, f.FeedbackPending}
	rows, err := s.pool.Query(ctx, `SELECT `+columns+` FROM referral WHERE `+where+`
		AND ($7::text IS NULL OR (referral_date, id) `+page.Cmp("<")+` ($7::date, $8::uuid))
		ORDER BY `+page.Order("referral_date DESC, id DESC")+` LIMIT $9`,
		append(args, page.AfterValue(0), page.AfterValue(1), page.First+1)...)
	if err != nil {
		return out, fmt.Errorf("list referrals: %w", err)
	}
	if err := fill(&out, rows, page, func(x Referral) string { return x.ReferralDate.Format(time.DateOnly) }); err != nil {
		return out, fmt.Errorf("list referrals: %w", err)
	}
	err = s.pool.QueryRow(ctx, `SELECT count(*) FROM referral WHERE `+where, args...).Scan(&out.TotalCount)
	return out, err
}

// Overdue lists an organisation's referrals whose feedback was due before asOf and has
// not been sent, the longest overdue first (due date, then id, ascending).
func (s *Store) Overdue(ctx context.Context, orgID string, asOf time.Time, req db.PageRequest) (db.Page[Referral], error) {
	// The cursor holds the sort key of the ORDER BY below.
	page, err := req.Parse(db.KeyDate, db.KeyUUID)
	if err != nil {
		return db.Page[Referral]{}, err
	}
	var out db.Page[Referral]
	if !db.IsUUID(orgID) {
		return out, apperr.NotFoundf("organisationId", "organisation not found")
	}
	where := `organisation_id = $1 AND ` + overdueCondition
	rows, err := s.pool.Query(ctx, `SELECT `+columns+` FROM referral WHERE `+where+`
		AND ($3::text IS NULL OR (feedback_due_date, id) `+page.Cmp(">")+` ($3::date, $4::uuid))
		ORDER BY `+page.Order("feedback_due_date, id")+` LIMIT $5`, orgID, asOf, page.AfterValue(0), page.AfterValue(1), page.First+1)
	if err != nil {
		return out, fmt.Errorf("list overdue feedback: %w", err)
	}
	// Every listed row has a due date: the WHERE clause requires one.
	if err := fill(&out, rows, page, func(x Referral) string { return x.FeedbackDueDate.Format(time.DateOnly) }); err != nil {
		return out, fmt.Errorf("list overdue feedback: %w", err)
	}
	err = s.pool.QueryRow(ctx, `SELECT count(*) FROM referral WHERE `+where, orgID, asOf).Scan(&out.TotalCount)
	return out, err
}

// overdueCondition is the one rule of overdue feedback, on referral columns with the
// day asOf as $2: feedback was due before asOf and has not been sent.
const overdueCondition = `feedback_sent_date IS NULL AND feedback_due_date < $2`

// CountOverdueByGender counts the referrals of the organisations whose feedback was
// overdue on asOf (the rule of Overdue), by the participant's gender code: aggregates
// for the steering report, never a referral.
func CountOverdueByGender(ctx context.Context, q Querier, orgIDs []string, asOf time.Time) (map[string]int, error) {
	rows, err := q.Query(ctx, `SELECT p.gender, count(*)::int FROM referral r JOIN participant p ON p.id = r.participant_id
		WHERE r.organisation_id = ANY($1::uuid[]) AND `+strings.ReplaceAll(overdueCondition, "feedback_", "r.feedback_")+`
		GROUP BY p.gender`, db.UUIDs(orgIDs), asOf)
	if err != nil {
		return nil, fmt.Errorf("count overdue feedback: %w", err)
	}
	out := map[string]int{}
	var g string
	var n int
	_, err = pgx.ForEachRow(rows, []any{&g, &n}, func() error { out[g] = n; return nil })
	if err != nil {
		return nil, fmt.Errorf("count overdue feedback: %w", err)
	}
	return out, nil
}

// Querier is a pool or a transaction.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// fill collects a page fetched with LIMIT First+1; sortKey is the first value of a
// row's cursor (the id follows).
func fill(out *db.Page[Referral], rows pgx.Rows, page db.PageArgs, sortKey func(Referral) string) error {
	items, err := pgx.CollectRows(rows, scan)
	if err != nil {
		return err
	}
	out.Items, out.HasNextPage, out.HasPreviousPage = db.Trim(items, page)
	for _, x := range out.Items {
		out.Cursors = append(out.Cursors, db.Cursor(sortKey(x), x.ID))
	}
	return nil
}
