// Package linkage is register linkage (registerkörning): the monthly export of the
// people followed up, with the months wanted, for matching against national registers
// (Arbetsförmedlingen, Försäkringskassan, SCB), and the import of the file that comes
// back as outcome observations with their source.
//
// The export's format (docs/API.md, "Casework"): plain ASCII, one line per person and
// month wanted, each exactly 18 characters and a line feed:
//
//	columns  1-12  personal identity number (or co-ordination number), YYYYMMDDNNNN, no hyphen
//	columns 13-18  the month wanted, YYYYMM
//
// sorted by number and month, no header. Only people consent.LinkableSQL allows on the
// export day are in it: those without a register-linkage consent (or who withdrew it),
// with protected identity, or anonymous never are. Only the admin role may produce it,
// and every person in it is an audited read.
package linkage

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arbetsmarknad/outcomes/internal/domain/consent"
	"github.com/arbetsmarknad/outcomes/internal/domain/importer"
	"github.com/arbetsmarknad/outcomes/internal/domain/outcome"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/audit"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/bounds"
	"github.com/arbetsmarknad/outcomes/internal/platform/calendar"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
	"github.com/arbetsmarknad/outcomes/warehouse/snapshot"
)

// LineLength is the length of one export line without its line feed.
const LineLength = 18

// MaxMonths bounds one export's range of months wanted.
const MaxMonths = 36

// Export is a produced export file and what was left out.
type Export struct {
	// File is the export, in the format of the package comment.
	File string
	// People and Lines count who and how many person-months are in the file.
	People, Lines int
	// ExcludedNoConsent counts people followed up in the range left out for want of a
	// register-linkage consent on the day (never given, or withdrawn).
	ExcludedNoConsent int
	// ExcludedProtected counts people left out for protected identity or anonymity.
	ExcludedProtected int
}

// Service produces exports and imports returned files.
type Service struct {
	pool *pgxpool.Pool
	now  func() time.Time
}

// NewService returns a service on pool.
func NewService(pool *pgxpool.Pool) *Service { return &Service{pool: pool, now: time.Now} }

// requireAdmin is the rule that only the admin role (or the system) handles register
// linkage: the file holds personal identity numbers in bulk.
func requireAdmin(ctx context.Context) error {
	p, err := auth.Require(ctx)
	if err != nil {
		return err
	}
	if !p.System && p.Role != auth.Admin {
		return auth.Forbidden("", "register linkage is for the admin role")
	}
	return nil
}

// Export produces the export of orgID's people followed up whose follow-up months
// (exit month + snapshot.Horizons) fall in from..to (months, inclusive).
func (s *Service) Export(ctx context.Context, orgID string, from, to time.Time) (Export, error) {
	if err := requireAdmin(ctx); err != nil {
		return Export{}, err
	}
	from, to = outcome.MonthOf(from), outcome.MonthOf(to)
	switch {
	case bounds.CheckDate("fromMonth", from) != nil:
		return Export{}, apperr.Invalidf("fromMonth", "the month must be %s", bounds.DateRange())
	case bounds.CheckDate("toMonth", to) != nil:
		return Export{}, apperr.Invalidf("toMonth", "the month must be %s", bounds.DateRange())
	case to.Before(from):
		return Export{}, apperr.Invalidf("toMonth", "the last month is before the first")
	case to.After(from.AddDate(0, MaxMonths-1, 0)):
		return Export{}, apperr.Invalidf("toMonth", "at most %d months in one export", MaxMonths)
	}
	if !db.IsUUID(orgID) {
		return Export{}, apperr.NotFoundf("organisationId", "organisation not found")
	}
	today := calendar.Today(s.now())
	var out Export
	var b strings.Builder
	err := db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM organisation WHERE id = $1)`, orgID).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return apperr.NotFoundf("organisationId", "organisation not found")
		}
		rows, err := tx.Query(ctx, `SELECT DISTINCT p.id::text, coalesce(p.personal_identity_number, ''),
				to_char(m.month, 'YYYYMM'), p.protected_identity OR p.anonymous, `+consent.LinkableSQL("$5::date")+`
			FROM participant p
			JOIN enrolment e ON e.participant_id = p.id AND e.end_date IS NOT NULL
			CROSS JOIN unnest($4::int[]) AS h(k)
			CROSS JOIN LATERAL (SELECT (date_trunc('month', e.end_date) + make_interval(months => h.k))::date AS month) m
			WHERE p.organisation_id = $1 AND m.month BETWEEN $2 AND $3
			ORDER BY 2, 3`, orgID, from, to, snapshot.Horizons, today)
		if err != nil {
			return err
		}
		defer rows.Close()
		in, noConsent, protected := map[string]bool{}, map[string]bool{}, map[string]bool{}
		for rows.Next() {
			var id, pnr, month string
			var prot, ok bool
			if err := rows.Scan(&id, &pnr, &month, &prot, &ok); err != nil {
				return err
			}
			switch {
			case ok:
				b.WriteString(strings.ReplaceAll(pnr, "-", "") + month + "\n")
				out.Lines++
				if !in[id] {
					in[id] = true
					audit.Record(ctx, audit.ActionRead, "participant", id, "registerLinkageExport")
				}
			case prot:
				protected[id] = true
			default:
				noConsent[id] = true
			}
		}
		out.People, out.ExcludedNoConsent, out.ExcludedProtected = len(in), len(noConsent), len(protected)
		return rows.Err()
	})
	if err != nil {
		return Export{}, fmt.Errorf("register linkage export: %w", err)
	}
	out.File = b.String()
	return out, nil
}

// ImportReturn imports a register's returned file (importer.RegisterReturnSpec, CSV or
// .xlsx) as outcome observations with source, all or nothing: a bad line, an unknown
// number or a person who may not be linked refuses the whole file, every line listed.
func (s *Service) ImportReturn(ctx context.Context, orgID string, source outcome.Source, r io.Reader, opts importer.Options) (importer.Result, error) {
	if err := requireAdmin(ctx); err != nil {
		return importer.Result{}, err
	}
	known := false
	for _, src := range importer.RegisterSources {
		known = known || src == source
	}
	if !known {
		return importer.Result{}, apperr.Invalidf("source", "a register's file is af_data, sus or social_assistance_register")
	}
	now := s.now()
	rows, bad, err := importer.ParseRegisterReturn(r, opts, source, now)
	if err != nil {
		return importer.Result{}, apperr.Invalidf("file", "%s", err.Error())
	}
	return importer.ImportRegisterReturn(ctx, s.pool, orgID, rows, bad, calendar.Today(now))
}
