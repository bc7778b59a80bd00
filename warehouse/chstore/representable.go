package chstore

import (
	"fmt"
	"time"

	"github.com/arbetsmarknad/outcomes/warehouse/snapshot"
)

// The days a ClickHouse Date holds (two bytes of days since 1970). Outside them the
// driver does not refuse a value: it wraps it into another, real-looking date (year 9999
// became 2104), so rows are checked before they are appended.
var (
	MinDate = time.Date(1970, time.January, 1, 0, 0, 0, 0, time.UTC)
	MaxDate = time.Date(2149, time.June, 6, 0, 0, 0, 0, time.UTC)
)

// Unrepresentable says which value of a person's rows ClickHouse cannot hold. It names
// the column, never the value (a date can help identify a person).
type Unrepresentable struct{ Column string }

func (u *Unrepresentable) Error() string {
	return fmt.Sprintf("%s outside the ClickHouse Date range %s..%s", u.Column,
		MinDate.Format(time.DateOnly), MaxDate.Format(time.DateOnly))
}

// Representable checks one person's rows against the warehouse's column types; nil
// when every value fits.
func Representable(months []snapshot.MonthRow, enrolments []snapshot.EnrolmentRow) error {
	for i := range months {
		if !dateFits(months[i].Month) {
			return &Unrepresentable{Column: "participant_month.month"}
		}
	}
	for _, e := range enrolments {
		switch {
		case !dateFits(e.Start):
			return &Unrepresentable{Column: "enrolment_outcome.start_date"}
		case !dateFits(e.ExitDate):
			return &Unrepresentable{Column: "enrolment_outcome.exit_date"}
		case !e.Facts.WIOAExitDate.IsZero() && !dateFits(e.Facts.WIOAExitDate):
			return &Unrepresentable{Column: "enrolment_outcome.wioa_exit_date"}
		}
	}
	return nil
}

func dateFits(t time.Time) bool { return !t.Before(MinDate) && !t.After(MaxDate) }
