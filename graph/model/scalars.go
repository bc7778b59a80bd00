// Package model holds GraphQL-only types: generated inputs and enums, and the Date and
// Month scalars.
package model

import (
	"io"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/bounds"
)

// Date is a calendar date (YYYY-MM-DD) at UTC midnight.
type Date time.Time

// UnmarshalGQL parses YYYY-MM-DD.
func (d *Date) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return apperr.Invalidf("", "a date must be a string YYYY-MM-DD")
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return apperr.Invalidf("", "%q is not a date (YYYY-MM-DD)", s)
	}
	if !bounds.DateOK(t) {
		return apperr.Invalidf("", "%s is outside the allowed range: a date must be %s", s, bounds.DateRange())
	}
	*d = Date(t)
	return nil
}

// MarshalGQL writes YYYY-MM-DD.
func (d Date) MarshalGQL(w io.Writer) {
	t := time.Time(d)
	if y := t.Year(); y < 0 || y > 9999 { // outside what the fast path below writes
		io.WriteString(w, strconv.Quote(t.Format("2006-01-02"))) //nolint:errcheck
		return
	}
	w.Write(appendQuotedDate(make([]byte, 0, 12), t)) //nolint:errcheck
}

// appendQuotedDate appends "YYYY-MM-DD" (t's year in 0–9999), as t.Format would write it,
// without formatting through a layout: every date field of a page passes here.
func appendQuotedDate(b []byte, t time.Time) []byte {
	y, m, d := t.Date()
	return append(b, '"', byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+int(m)/10), byte('0'+int(m)%10), '-', byte('0'+d/10), byte('0'+d%10), '"')
}

// Month is a calendar month (YYYY-MM), held as its first day at UTC midnight.
type Month time.Time

// UnmarshalGQL parses YYYY-MM.
func (m *Month) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return apperr.Invalidf("", "a month must be a string YYYY-MM")
	}
	t, err := time.Parse("2006-01", s)
	if err != nil {
		return apperr.Invalidf("", "%q is not a month (YYYY-MM)", s)
	}
	if !bounds.DateOK(t) {
		return apperr.Invalidf("", "%s is outside the allowed range: a month must be %s", s, bounds.DateRange())
	}
	*m = Month(t)
	return nil
}

// MarshalGQL writes YYYY-MM.
func (m Month) MarshalGQL(w io.Writer) {
	t := time.Time(m)
	if y := t.Year(); y < 0 || y > 9999 {
		io.WriteString(w, strconv.Quote(t.Format("2006-01"))) //nolint:errcheck
		return
	}
	b := appendQuotedDate(make([]byte, 0, 12), t) // "YYYY-MM-DD": keep "YYYY-MM" and the quote
	w.Write(append(b[:8], '"'))                   //nolint:errcheck
}

// DatePtr converts an optional date.
func DatePtr(t *time.Time) *Date {
	if t == nil {
		return nil
	}
	d := Date(*t)
	return &d
}

// TimePtr converts an optional GraphQL date.
func TimePtr(d *Date) *time.Time {
	if d == nil {
		return nil
	}
	t := time.Time(*d)
	return &t
}

// MarshalCalendarDate lets domain structs keep dates as time.Time: gqlgen binds the Date
// scalar to time.Time through this pair (see gqlgen.yml), so no resolver is needed per
// date field.
func MarshalCalendarDate(t time.Time) graphql.Marshaler {
	if y := t.Year(); y < 0 || y > 9999 {
		return graphql.WriterFunc(func(w io.Writer) { Date(t).MarshalGQL(w) })
	}
	q := new(quoted)
	q.n = uint8(len(appendQuotedDate(q.b[:0], t)))
	return q
}

// quoted is a date or a month written out, quotes included, for when it is marshalled:
// one small allocation per value where a closure over the time and the buffer it wrote
// were two.
type quoted struct {
	b [12]byte
	n uint8
}

func (q *quoted) MarshalGQL(w io.Writer) {
	w.Write(q.b[:q.n]) //nolint:errcheck
}

// UnmarshalCalendarDate parses YYYY-MM-DD into a time.Time.
func UnmarshalCalendarDate(v any) (time.Time, error) {
	var d Date
	err := d.UnmarshalGQL(v)
	return time.Time(d), err
}

// MarshalUpload writes an upload; the schema never returns one.
func MarshalUpload(u graphql.Upload) graphql.Marshaler { return graphql.MarshalUpload(u) }

// UnmarshalUpload takes a file part of a multipart request. Anything else (a value in
// a JSON request) is INVALID, not the internal error gqlgen's own Upload would give.
func UnmarshalUpload(v any) (graphql.Upload, error) {
	u, ok := v.(graphql.Upload)
	if !ok {
		return graphql.Upload{}, apperr.Invalidf("", "a file must be sent as a part of a multipart request (the GraphQL multipart request specification); to send its text, use csv")
	}
	return u, nil
}
