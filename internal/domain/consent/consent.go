// Package consent records a participant's consent (samtycke): its scope, the day it was
// given, who recorded it, and its withdrawal. What follows from consent is stated here
// once: LinkableSQL is the rule a register linkage (export and returned file) applies.
package consent

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arbetsmarknad/outcomes/internal/domain/participant"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/audit"
	"github.com/arbetsmarknad/outcomes/internal/platform/bounds"
	"github.com/arbetsmarknad/outcomes/internal/platform/calendar"
	"github.com/arbetsmarknad/outcomes/internal/platform/changes"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
)

// Scopes are what a consent covers: register_linkage (matching against national
// registers: AF, Försäkringskassan, SCB), follow_up (being contacted for follow-up after
// the measure), sus_registration (registration in SUS, Försäkringskassan's follow-up of
// samordningsförbund; without it the participation is registered anonymously).
var Scopes = []string{"register_linkage", "follow_up", "sus_registration"}

// RegisterLinkage is the scope a register linkage needs.
const RegisterLinkage = "register_linkage"

// LinkableSQL is the one rule of who may be matched against national registers on day
// $day (a SQL fragment over participant p, with the day as the named placeholder's
// argument): an identified participant without protected personal data who holds a
// register-linkage consent given on or before the day and not withdrawn by then.
// Without consent, with consent withdrawn, with protected identity or anonymous: never.
func LinkableSQL(day string) string {
	return `(NOT p.anonymous AND NOT p.protected_identity AND p.personal_identity_number IS NOT NULL AND EXISTS (
		SELECT 1 FROM consent c WHERE c.participant_id = p.id AND c.scope = 'register_linkage'
		AND c.given_on <= ` + day + ` AND (c.withdrawn_on IS NULL OR c.withdrawn_on > ` + day + `)))`
}

// Consent is one consent given, and its withdrawal if any.
type Consent struct {
	ID             string
	OrganisationID string
	ParticipantID  string
	Scope          string
	GivenOn        time.Time
	RecordedBy     string
	RecordedAt     time.Time
	WithdrawnOn    *time.Time
	WithdrawnBy    *string
	WithdrawnAt    *time.Time
}

// ActiveOn reports whether the consent holds on day.
func (c Consent) ActiveOn(day time.Time) bool {
	return !c.GivenOn.After(day) && (c.WithdrawnOn == nil || c.WithdrawnOn.After(day))
}

// Store reads and writes consents.
type Store struct {
	pool *pgxpool.Pool
	now  func() time.Time
}

// NewStore returns a store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool, now: time.Now} }

const columns = `id, organisation_id, participant_id, scope, given_on, recorded_by, recorded_at, withdrawn_on, withdrawn_by, withdrawn_at`

func scan(r pgx.CollectableRow) (Consent, error) {
	var c Consent
	err := r.Scan(&c.ID, &c.OrganisationID, &c.ParticipantID, &c.Scope, &c.GivenOn, &c.RecordedBy, &c.RecordedAt,
		&c.WithdrawnOn, &c.WithdrawnBy, &c.WithdrawnAt)
	return c, err
}

// Record records a consent given on givenOn (today when nil). A second open consent of
// the same scope is CONFLICT: withdraw the first.
func (s *Store) Record(ctx context.Context, participantID, scope string, givenOn *time.Time, by string) (Consent, error) {
	today := calendar.Today(s.now())
	var errs apperr.List
	if !slices.Contains(Scopes, scope) {
		errs.Add(apperr.Invalidf("input.scope", "unknown consent scope"))
	}
	day := today
	if givenOn != nil {
		day = *givenOn
		errs.Add(bounds.CheckPast("input.givenOn", "the date", day, s.now()))
	}
	if err := errs.Err(); err != nil {
		return Consent{}, err
	}
	var c Consent
	err := db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		orgID, err := participant.LockForWrite(ctx, tx, participantID, "input.participantId")
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `INSERT INTO consent (organisation_id, participant_id, scope, given_on, recorded_by)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (participant_id, scope) WHERE withdrawn_on IS NULL DO NOTHING
			RETURNING `+columns, orgID, participantID, scope, day, by)
		if err != nil {
			return db.MapError(err)
		}
		cs, err := pgx.CollectRows(rows, scan)
		if err != nil {
			return db.MapError(err)
		}
		if len(cs) == 0 {
			return apperr.Conflictf("input.scope", "the participant already has this consent; withdraw it first")
		}
		c = cs[0]
		return changes.Record(ctx, tx, orgID, participantID, "consent", c.ID, changes.Create)
	})
	if err != nil {
		return Consent{}, fmt.Errorf("record consent: %w", err)
	}
	return c, nil
}

// Withdraw records the withdrawal of a consent on withdrawnOn (today when nil). The row
// stays: history is kept. Withdrawing a withdrawn consent is CONFLICT.
func (s *Store) Withdraw(ctx context.Context, id string, withdrawnOn *time.Time, by string) (Consent, error) {
	today := calendar.Today(s.now())
	day := today
	if withdrawnOn != nil {
		day = *withdrawnOn
		if e := bounds.CheckPast("input.withdrawnOn", "the date", day, s.now()); e != nil {
			return Consent{}, e
		}
	}
	if !db.IsUUID(id) {
		return Consent{}, apperr.NotFoundf("input.consentId", "consent not found")
	}
	var c Consent
	err := db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := getTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if cur.WithdrawnOn != nil {
			return apperr.Conflictf("input.consentId", "the consent is already withdrawn")
		}
		if day.Before(cur.GivenOn) {
			return apperr.Invalidf("input.withdrawnOn", "the withdrawal is before the consent was given")
		}
		rows, err := tx.Query(ctx, `UPDATE consent SET withdrawn_on = $2, withdrawn_by = $3, withdrawn_at = clock_timestamp()
			WHERE id = $1 RETURNING `+columns, id, day, by)
		if err != nil {
			return db.MapError(err)
		}
		if c, err = pgx.CollectExactlyOneRow(rows, scan); err != nil {
			return db.MapError(err)
		}
		return changes.Record(ctx, tx, c.OrganisationID, c.ParticipantID, "consent", c.ID, changes.Update)
	})
	if err != nil {
		return Consent{}, fmt.Errorf("withdraw consent: %w", err)
	}
	return c, nil
}

func getTx(ctx context.Context, tx pgx.Tx, id string) (Consent, error) {
	rows, err := tx.Query(ctx, `SELECT `+columns+` FROM consent WHERE id = $1 FOR UPDATE`, id)
	if err != nil {
		return Consent{}, err
	}
	cs, err := pgx.CollectRows(rows, scan)
	if err != nil {
		return Consent{}, err
	}
	if len(cs) == 0 {
		return Consent{}, apperr.NotFoundf("input.consentId", "consent not found")
	}
	return cs[0], nil
}

// ByParticipants loads these participants' consents in one statement, by participant,
// date given and id (for dataloaders).
func (s *Store) ByParticipants(ctx context.Context, ids []string) ([]Consent, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+columns+` FROM consent WHERE participant_id = ANY($1::uuid[])
		ORDER BY participant_id, given_on, id`, db.ValidUUIDs(ids))
	if err != nil {
		return nil, fmt.Errorf("load consents: %w", err)
	}
	return pgx.CollectRows(rows, scan)
}

// Get returns one consent (row-level security: another organisation's is NOT_FOUND).
func (s *Store) Get(ctx context.Context, id string) (Consent, error) {
	if !db.IsUUID(id) {
		return Consent{}, apperr.NotFoundf("id", "consent not found")
	}
	rows, err := s.pool.Query(ctx, `SELECT `+columns+` FROM consent WHERE id = $1`, id)
	if err != nil {
		return Consent{}, fmt.Errorf("load consent: %w", err)
	}
	cs, err := pgx.CollectRows(rows, scan)
	if err != nil {
		return Consent{}, fmt.Errorf("load consent: %w", err)
	}
	if len(cs) == 0 {
		return Consent{}, apperr.NotFoundf("id", "consent not found")
	}
	return cs[0], nil
}

// AuditRefs: a consent is its own record, and about its participant.
func (c Consent) AuditRefs() []audit.Ref {
	return []audit.Ref{{Entity: "consent", ID: c.ID}, {Entity: "participant", ID: c.ParticipantID}}
}
