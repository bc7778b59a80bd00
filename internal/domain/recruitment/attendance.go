package recruitment

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/audit"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/bounds"
	"github.com/arbetsmarknad/outcomes/internal/platform/calendar"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
)

// Attendance at recruitment meetings and fairs (came / did not come, issue 16) is
// recorded on the invitation, with who recorded it and when, and reported per event and
// by gender.

// AttendanceInput records whether invited job seekers came.
type AttendanceInput struct {
	EventID       string
	ParticipantID string
	Attended      bool
}

// RecordAttendance records one invited person's attendance at an event that has been held.
func (s *Store) RecordAttendance(ctx context.Context, in AttendanceInput) (Invitation, error) {
	var inv Invitation
	err := db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		e, err := getEvent(ctx, tx, in.EventID, "input.eventId")
		if err != nil {
			return err
		}
		if e.HeldOn.After(calendar.Today(s.now())) {
			return apperr.Invalidf("input.eventId", "the event is on %s: record attendance once it has been held", e.HeldOn.Format(time.DateOnly))
		}
		if !db.IsUUID(in.ParticipantID) {
			return apperr.NotFoundf("input.participantId", "the participant was not invited to this event")
		}
		err = tx.QueryRow(ctx, `UPDATE recruitment_invitation SET attended = $3, attendance_recorded_by = $4, attendance_recorded_at = now()
			WHERE event_id = $1 AND participant_id = $2 RETURNING event_id, participant_id, attended`,
			e.ID, in.ParticipantID, in.Attended, auth.Actor(ctx)).Scan(&inv.EventID, &inv.ParticipantID, &inv.Attended)
		if db.IsNoRows(err) {
			return apperr.NotFoundf("input.participantId", "the participant was not invited to this event: invite them first")
		}
		if err != nil {
			return db.MapError(err)
		}
		audit.Touched(ctx, "recruitment_invitation", e.ID, in.ParticipantID)
		return nil
	})
	if err != nil {
		return Invitation{}, fmt.Errorf("record attendance: %w", err)
	}
	return inv, nil
}

// AttendanceCounts are one event's (or one group's) invitations by attendance.
type AttendanceCounts struct {
	Invited, Came, DidNotCome, NotRecorded int
}

// AttendanceRow is one event's attendance, in total and by gender.
type AttendanceRow struct {
	Event    Event
	Total    AttendanceCounts
	ByGender map[string]AttendanceCounts // participant gender code -> counts
}

// AttendanceReport reports attendance at an organisation's events held in [from, to].
func (s *Store) AttendanceReport(ctx context.Context, orgID string, from, to time.Time) ([]AttendanceRow, error) {
	if err := auth.RequireOrgPersonalData(ctx, orgID, "organisationId"); err != nil {
		return nil, err
	}
	if err := bounds.FilterPeriod("to", &from, &to); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT e.id, e.organisation_id, e.kind, e.name, e.held_on, e.place, e.measure_type_id, e.version, coalesce(p.gender, ''),
			count(i.participant_id)::int, count(*) FILTER (WHERE i.attended)::int,
			count(*) FILTER (WHERE NOT i.attended)::int, count(*) FILTER (WHERE i.participant_id IS NOT NULL AND i.attended IS NULL)::int
		FROM recruitment_event e
		LEFT JOIN recruitment_invitation i ON i.event_id = e.id
		LEFT JOIN participant p ON p.id = i.participant_id
		WHERE e.organisation_id = $1 AND e.held_on BETWEEN $2 AND $3
		GROUP BY e.id, p.gender ORDER BY e.held_on, e.id, 9`, orgID, from, to)
	if err != nil {
		return nil, fmt.Errorf("attendance report: %w", err)
	}
	defer rows.Close()
	var out []AttendanceRow
	for rows.Next() {
		var e Event
		var gender, kind string
		var c AttendanceCounts
		if err := rows.Scan(&e.ID, &e.OrganisationID, &kind, &e.Name, &e.HeldOn, &e.Place, &e.MeasureTypeID, &e.Version,
			&gender, &c.Invited, &c.Came, &c.DidNotCome, &c.NotRecorded); err != nil {
			return nil, err
		}
		e.Kind = Kind(kind)
		if n := len(out); n == 0 || out[n-1].Event.ID != e.ID {
			out = append(out, AttendanceRow{Event: e, ByGender: map[string]AttendanceCounts{}})
		}
		r := &out[len(out)-1]
		if c.Invited == 0 {
			continue // an event nobody was invited to joins one empty row
		}
		r.ByGender[gender] = c
		r.Total.Invited += c.Invited
		r.Total.Came += c.Came
		r.Total.DidNotCome += c.DidNotCome
		r.Total.NotRecorded += c.NotRecorded
	}
	return out, rows.Err()
}
