package report

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/arbetsmarknad/outcomes/internal/domain/organisation"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/calendar"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
)

// Edition triggers.
const (
	TriggerScheduled = "scheduled"
	TriggerOnDemand  = "on_demand"
)

// Triggers lists every edition trigger (report_edition.trigger's CHECK list).
var Triggers = []string{TriggerScheduled, TriggerOnDemand}

// ScopeFor checks that the caller may read the organisation's aggregates and returns
// the report's scope: a regional reader's own regional body covers the members granted
// to them. A regional reader does not open a member municipality's own report: each
// report is protected on its own, so the regional body's report (the members summed)
// minus the other members' reports would give a member's hidden counts away; the
// regional body's report shows the members summed and side by side in one protected
// system.
func (s *Service) ScopeFor(ctx context.Context, p auth.Principal, orgID string) (Scope, error) {
	if !db.IsUUID(orgID) {
		return Scope{}, apperr.NotFoundf("organisationId", "organisation not found")
	}
	if !p.CanReadAggregates(orgID) {
		return Scope{}, auth.Forbidden("organisationId", "figures of this organisation")
	}
	if p.Role == auth.Regional && !p.System && orgID != p.OrgID {
		return Scope{}, auth.Forbidden("organisationId", "a member municipality's own report: read the regional body's report, "+
			"which shows the members summed and side by side")
	}
	return s.ResolveScope(ctx, orgID, p.RegionalMembers(orgID))
}

// Freeze builds the month's report as of now and stores it as an edition.
func (s *Service) Freeze(ctx context.Context, sc Scope, month time.Time, by, trigger string) (Edition, error) {
	r, err := s.Build(ctx, sc, month)
	if err != nil {
		return Edition{}, err
	}
	content, err := json.Marshal(r)
	if err != nil {
		return Edition{}, err
	}
	e := Edition{Month: r.Month, FrozenBy: by, Trigger: trigger}
	err = s.pool.QueryRow(aggregateContext(ctx), `INSERT INTO report_edition (organisation_id, month, frozen_by, trigger, content)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING id, frozen_at`,
		sc.Organisation.ID, r.Month, by, trigger, content).Scan(&e.ID, &e.FrozenAt)
	if db.IsNoRows(err) {
		return Edition{}, apperr.New(apperr.Conflict, "month", "the month's scheduled edition already exists")
	}
	if err != nil {
		return Edition{}, fmt.Errorf("freeze report: %w", err)
	}
	return e, nil
}

// Editions lists an organisation's editions, newest month and freeze first; month, when
// not zero, narrows to one month.
func (s *Service) Editions(ctx context.Context, orgID string, month time.Time) ([]Edition, error) {
	rows, err := s.pool.Query(aggregateContext(ctx), `SELECT id, month, frozen_at, frozen_by, trigger FROM report_edition
		WHERE organisation_id = $1 AND ($2::date IS NULL OR month = $2) ORDER BY month DESC, frozen_at DESC, id`,
		orgID, nullMonth(month))
	if err != nil {
		return nil, fmt.Errorf("list editions: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Edition, error) {
		var e Edition
		err := r.Scan(&e.ID, &e.Month, &e.FrozenAt, &e.FrozenBy, &e.Trigger)
		return e, err
	})
}

func nullMonth(m time.Time) *time.Time {
	if m.IsZero() {
		return nil
	}
	return &m
}

// Open reopens an edition of the organisation exactly as it was frozen.
func (s *Service) Open(ctx context.Context, orgID, editionID string) (*Report, error) {
	if !db.IsUUID(editionID) {
		return nil, apperr.NotFoundf("editionId", "edition not found")
	}
	var content []byte
	var e Edition
	err := s.pool.QueryRow(aggregateContext(ctx), `SELECT id, month, frozen_at, frozen_by, trigger, content FROM report_edition
		WHERE id = $1 AND organisation_id = $2`, editionID, orgID).Scan(&e.ID, &e.Month, &e.FrozenAt, &e.FrozenBy, &e.Trigger, &content)
	if db.IsNoRows(err) {
		return nil, apperr.NotFoundf("editionId", "edition not found")
	}
	if err != nil {
		return nil, fmt.Errorf("open edition: %w", err)
	}
	var r Report
	if err := json.Unmarshal(content, &r); err != nil {
		return nil, fmt.Errorf("open edition: %w", err)
	}
	r.Edition = &e
	return &r, nil
}

// Current builds the month's report as of now and marks every figure whose shown value
// differs from the month's latest edition ("changed since the report of <date>").
// Only the mark is shown, never the earlier value: an earlier and a later value side by
// side could give away a small correction.
func (s *Service) Current(ctx context.Context, sc Scope, month time.Time) (*Report, error) {
	r, err := s.Build(ctx, sc, month)
	if err != nil {
		return nil, err
	}
	eds, err := s.Editions(ctx, sc.Organisation.ID, r.Month)
	if err != nil || len(eds) == 0 {
		return r, err
	}
	prev, err := s.Open(ctx, sc.Organisation.ID, eds[0].ID)
	if err != nil {
		return nil, err
	}
	markChanges(r, prev)
	return r, nil
}

// markChanges marks every figure of r that shows otherwise than in the edition prev. A
// cell hidden in both shows no change, whatever text hid it: an edition keeps the text
// of its day ("< 5" under disclosure/2, "–" for an amount), and what a hidden cell is
// hiding is no more visible for having changed.
func markChanges(r, prev *Report) {
	seen := func(c *Cell) string {
		if c.Suppressed {
			return "hidden"
		}
		return "shown " + c.Display
	}
	shown := map[string]string{}
	for _, c := range prev.Cells() {
		shown[c.ID] = seen(c)
	}
	r.ComparedTo = prev.Edition
	for _, c := range r.Cells() {
		if d, ok := shown[c.ID]; ok && d != seen(c) {
			at := prev.Edition.FrozenAt
			c.ChangedSince = &at
		}
	}
}

// FreezeDue freezes, for every organisation, the report of the month before now once
// day (1-28) of the month has come and the month has no scheduled edition yet. Safe to
// run from several processes: the scheduled edition is unique per organisation and month.
func (s *Service) FreezeDue(ctx context.Context, day int) (int, error) {
	today := time.Now().In(calendar.Sweden)
	if today.Day() < day {
		return 0, nil
	}
	month := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0)
	ctx = auth.With(ctx, auth.Principal{Subject: "report-freezer", System: true})
	rows, err := s.pool.Query(ctx, `SELECT o.id FROM organisation o WHERE NOT EXISTS (SELECT 1 FROM report_edition e
		WHERE e.organisation_id = o.id AND e.month = $1 AND e.trigger = 'scheduled') ORDER BY o.id`, month)
	if err != nil {
		return 0, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		sc, err := s.ResolveScope(ctx, id, nil)
		if apperr.CodeOf(err) == apperr.Invalid { // a regional body without members
			continue
		}
		if err != nil {
			return n, err
		}
		if _, err := s.Freeze(ctx, sc, month, "scheduled", TriggerScheduled); err != nil && apperr.CodeOf(err) != apperr.Conflict {
			return n, err
		}
		n++
	}
	return n, nil
}

var _ = organisation.RegionalBody

// UseLink spends a signed link: records its id (a second use is CONFLICT) and the audit
// entry of the read, in one transaction, before the report leaves the server.
func (s *Service) UseLink(ctx context.Context, l Link, requestID string) error {
	p := l.Principal()
	var callerOrg *string
	if db.IsUUID(p.OrgID) {
		callerOrg = &p.OrgID
	}
	return db.WithTx(aggregateContext(ctx), s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO report_link_use (link_id) VALUES ($1) ON CONFLICT DO NOTHING`, l.ID)
		if err != nil {
			return fmt.Errorf("use report link: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return apperr.New(apperr.Conflict, "token", "the report link has been used already; ask for a new one")
		}
		_, err = tx.Exec(ctx, `INSERT INTO audit_log (subject, role, organisation_id, action, entity, entity_id, operation, request_id)
			VALUES ($1, $2, $3, 'read', 'steering_report', $4, $5, $6)`,
			p.Subject, string(p.Role), callerOrg, l.ReportOrg+" "+l.Month+" "+l.EditionID, "steeringReportLink "+string(l.Format), requestID)
		if err != nil {
			return fmt.Errorf("audit report link: %w", err)
		}
		return nil
	})
}

// LinkUsed reports whether a link has been opened already, so that a second opening is
// refused before any work (UseLink still decides, in its transaction).
func (s *Service) LinkUsed(ctx context.Context, l Link) (bool, error) {
	var used bool
	err := s.pool.QueryRow(aggregateContext(ctx), `SELECT EXISTS (SELECT 1 FROM report_link_use WHERE link_id = $1)`, l.ID).Scan(&used)
	return used, err
}
