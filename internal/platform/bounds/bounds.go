// Package bounds holds the sane ranges of the values a caller may give: the one range of
// calendar dates, and the employment-rate limits. The API checks them here, and the
// database states the same bounds in its CHECK constraints (migrations/postgres
// 0004_integrity: sane_date and the rate checks); TestSaneRanges proves the two agree.
package bounds

import (
	"fmt"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/calendar"
)

// The range of every calendar date the system stores: nothing in a labour-market case
// happened before 1900 or will be planned after 2100.
var (
	MinDate = time.Date(1900, time.January, 1, 0, 0, 0, 0, time.UTC)
	MaxDate = time.Date(2100, time.December, 31, 0, 0, 0, 0, time.UTC)
)

// The years of a case's events (a decision, a start, a rate change, an observed month, a
// referral, a meeting, a fair, an offer, a consent, a plan's review and steps, a cost
// month, an attribute set's start) and of the periods recorded or asked about (a
// project's, a target's, a quota's; a report month, an exit year, a plan as of a day):
// the records of the labour-market units begin in 2000, so an earlier year is a typing
// error; the last is MaxDate's. Only birth dates and residence-permit dates keep the wider
// MinDate..MaxDate range (graph TestCaseDatesBeginWithTheRecords).
const FirstRecordYear = 2000

// LastRecordYear is MaxDate's year.
var LastRecordYear = MaxDate.Year()

// BeforeRecords reports whether t's year is before FirstRecordYear.
func BeforeRecords(t time.Time) bool { return t.Year() < FirstRecordYear }

// RecordYearOK reports whether year lies between FirstRecordYear and LastRecordYear.
func RecordYearOK(year int) bool { return year >= FirstRecordYear && year <= LastRecordYear }

// RecordYears says the range of years, for messages: "between 2000 and 2100".
func RecordYears() string {
	return fmt.Sprintf("between %d and %d", FirstRecordYear, LastRecordYear)
}

// CheckRecordDate is INVALID on field when t's year is before FirstRecordYear; what
// names the date in the message ("start date is before 2000").
func CheckRecordDate(field, what string, t time.Time) *apperr.Error {
	if BeforeRecords(t) {
		return apperr.Invalidf(field, "%s is before %d", what, FirstRecordYear)
	}
	return nil
}

// CheckPast is the one rule of a date that records something that has happened (an
// exit, a referral, a meeting, a step done, a consent, an offer): in the record years
// and not after today (the Swedish date of now). INVALID on field, what naming the date
// in the message; nil when fine.
func CheckPast(field, what string, day, now time.Time) *apperr.Error {
	if e := CheckRecordDate(field, what, day); e != nil {
		return e
	}
	if day.After(calendar.Today(now)) {
		return apperr.Invalidf(field, "%s is in the future: record it when it has happened", what)
	}
	return nil
}

// Employment rates. An enrolment's rate (sysselsättningsgrad) is a whole percentage of
// at least 1 (a placement at 0 % is no placement); an observed rate may be 0.
const (
	MinEnrolmentRate   = 1
	MaxEnrolmentRate   = 100
	MinObservationRate = 0.0
	MaxObservationRate = 100.0
)

// DateRange says the allowed range, for messages.
func DateRange() string {
	return fmt.Sprintf("between %s and %s", MinDate.Format(time.DateOnly), MaxDate.Format(time.DateOnly))
}

// DateOK reports whether t's calendar date lies in the range.
func DateOK(t time.Time) bool {
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return !d.Before(MinDate) && !d.After(MaxDate)
}

// CheckDate is INVALID (nil when fine; a *apperr.Error so that callers add it to a list) on field when t lies outside the range; the message says the range.
func CheckDate(field string, t time.Time) *apperr.Error {
	if DateOK(t) {
		return nil
	}
	return apperr.Invalidf(field, "the date must be %s", DateRange())
}

// CheckEnrolmentRate is INVALID on field outside MinEnrolmentRate..MaxEnrolmentRate.
func CheckEnrolmentRate(field string, rate int) *apperr.Error {
	if rate < MinEnrolmentRate || rate > MaxEnrolmentRate {
		return apperr.Invalidf(field, "employment rate must be between %d and %d per cent", MinEnrolmentRate, MaxEnrolmentRate)
	}
	return nil
}

// CheckObservationRate is INVALID on field outside MinObservationRate..MaxObservationRate.
func CheckObservationRate(field string, rate float64) *apperr.Error {
	if !(rate >= MinObservationRate && rate <= MaxObservationRate) { // NaN fails too
		return apperr.Invalidf(field, "employment rate must be between %g and %g per cent", MinObservationRate, MaxObservationRate)
	}
	return nil
}

// FilterPeriod checks a list filter's inclusive dates [from, to], either left out: a to
// before from would match nothing, which no caller means, so it is INVALID on toField
// (as a cohort's or an export's reversed period is), not an empty page.
func FilterPeriod(toField string, from, to *time.Time) error {
	if from != nil && to != nil && to.Before(*from) {
		return apperr.Invalidf(toField, "ends (%s) before it starts (%s)", to.Format(time.DateOnly), from.Format(time.DateOnly))
	}
	return nil
}
