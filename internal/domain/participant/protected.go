package participant

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/audit"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/changes"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
)

// SeesProtectedIdentity reports whether a caller may see the number, names and contact
// details of a participant with protected personal data (skyddade personuppgifter): the
// admin role (the unit's registrar, who handles the person's post through the Tax
// Agency's forwarding) and the system (the admin CLI). Caseworkers work the case
// without them. This is the one rule; Reveal applies it.
func SeesProtectedIdentity(p auth.Principal) bool { return p.System || p.Role == auth.Admin }

// Reveal returns x as the caller in ctx may see it: a protected participant's
// identifying fields are blanked (IdentityHidden set) unless SeesProtectedIdentity; when
// they are shown, the sight is audited as a read of "protected_identity", on top of the
// participant read every response records.
func Reveal(ctx context.Context, x Participant) Participant {
	if !x.ProtectedIdentity {
		return x
	}
	if p, ok := auth.From(ctx); ok && SeesProtectedIdentity(p) {
		audit.Record(ctx, audit.ActionRead, "protected_identity", x.ID, "participant")
		return x
	}
	x.PersonalIdentityNumber, x.GivenName, x.FamilyName, x.Phone, x.Email = "", "", "", "", ""
	x.IdentityHidden = true
	return x
}

// NameOrderSQL is the one name order of participants (family name, given name, id; the
// columns' Swedish collation) of the participant row alias, for a caller who sees
// protected identities or not (SeesProtectedIdentity): for one who does not, a hidden
// identity sorts as the blank names Reveal shows, so that its place among the others
// tells nothing of its names. Every list of participants by name orders by it, and a
// keyset cursor compares it. Each form is the expression list of an index (migrations
// 0004 and 0020), so that a page is an index scan, not a sort of the organisation.
func NameOrderSQL(alias string, sees bool) string {
	if sees {
		return alias + ".family_name, " + alias + ".given_name, " + alias + ".id"
	}
	return "CASE WHEN " + alias + ".protected_identity THEN '' ELSE " + alias + ".family_name END, " +
		"CASE WHEN " + alias + ".protected_identity THEN '' ELSE " + alias + ".given_name END, " + alias + ".id"
}

func revealAll(ctx context.Context, ps []Participant) []Participant {
	for i := range ps {
		ps[i] = Reveal(ctx, ps[i])
	}
	return ps
}

// seesProtected is SeesProtectedIdentity for the caller in ctx (false without one).
func seesProtected(ctx context.Context) bool {
	p, ok := auth.From(ctx)
	return ok && SeesProtectedIdentity(p)
}

// checkAnonymous refuses identifying data on an anonymous participant: they are kept
// without it.
func (in *UpdateInput) checkAnonymous(cur Participant) error {
	if !cur.Anonymous {
		return nil
	}
	var errs apperr.List
	for _, f := range []struct {
		v     *string
		field string
	}{{in.GivenName, "input.givenName"}, {in.FamilyName, "input.familyName"}, {in.Phone, "input.phone"}, {in.Email, "input.email"}} {
		if f.v != nil && strings.TrimSpace(*f.v) != "" {
			errs.Add(apperr.Invalidf(f.field, "an anonymous participant is kept without it"))
		}
	}
	return errs.Err()
}

// SetProtectedIdentity marks or unmarks a participant's protected personal data
// (skyddade personuppgifter), in one transaction with its change event.
func (s *Store) SetProtectedIdentity(ctx context.Context, id string, protected bool) (Participant, error) {
	var p Participant
	err := db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := LockForWrite(ctx, tx, id, "participantId"); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `UPDATE participant SET protected_identity = $2, version = version + 1, updated_at = now()
			WHERE id = $1 RETURNING `+columns, id, protected)
		if err != nil {
			return db.MapError(err)
		}
		if p, err = pgx.CollectExactlyOneRow(rows, scan); err != nil {
			return db.MapError(err)
		}
		return changes.Record(ctx, tx, p.OrganisationID, p.ID, "participant", p.ID, changes.Update)
	})
	if err != nil {
		return Participant{}, fmt.Errorf("set protected identity: %w", err)
	}
	return Reveal(ctx, p), nil
}
