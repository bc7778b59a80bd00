package model

import (
	"bytes"
	"context"
	"encoding/base64"
	"strconv"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// The scalars' writers skip time layouts and strconv.Quote where the result is known;
// what they write must stay what those wrote.
func TestDateAndMonthWriteWhatFormatWrote(t *testing.T) {
	t.Parallel()
	days := []time.Time{
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(7, 2, 28, 0, 0, 0, 0, time.UTC),
		time.Date(999, 12, 31, 0, 0, 0, 0, time.UTC),
		time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 10, 9, 23, 59, 59, 0, time.UTC),
		time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 6, 15, 0, 0, 0, 0, time.UTC),
	}
	for d := time.Date(1999, 12, 25, 0, 0, 0, 0, time.UTC); d.Year() < 2001; d = d.AddDate(0, 0, 1) {
		days = append(days, d)
	}
	for _, d := range days {
		var b bytes.Buffer
		Date(d).MarshalGQL(&b)
		if want := strconv.Quote(d.Format("2006-01-02")); b.String() != want {
			t.Errorf("Date %v: wrote %s, want %s", d, b.String(), want)
		}
		b.Reset()
		MarshalCalendarDate(d).MarshalGQL(&b)
		if want := strconv.Quote(d.Format("2006-01-02")); b.String() != want {
			t.Errorf("calendar date %v: wrote %s, want %s", d, b.String(), want)
		}
		b.Reset()
		MarshalCalendarMonth(d).MarshalGQL(&b)
		if want := strconv.Quote(d.Format("2006-01")); b.String() != want {
			t.Errorf("Month %v: wrote %s, want %s", d, b.String(), want)
		}
	}
}

func TestIDsWriteWhatQuoteWrote(t *testing.T) {
	t.Parallel()
	write := func(object, field, id string) string {
		fc := &graphql.FieldContext{Object: object, Field: graphql.CollectedField{Field: &ast.Field{Name: field}}}
		var b bytes.Buffer
		if err := MarshalGlobalID(id).MarshalGQLContext(graphql.WithFieldContext(context.Background(), fc), &b); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	for _, id := range []string{"0b9f8a52-7d3c-4f7e-9a59-0d6f1c2f7e11", "x", "ö-ä", "a\"b", `back\slash`, "tab\there", "\x00", "\u2028"} {
		want := strconv.Quote(base64.RawURLEncoding.EncodeToString([]byte("Participant:" + id)))
		if got := write("Participant", "id", id); got != want {
			t.Errorf("global id of %q: wrote %s, want %s", id, got, want)
		}
		if got := write("Participant", "organisationId", id); got != strconv.Quote(GlobalID("Organisation", id)) {
			t.Errorf("reference id of %q: wrote %s", id, got)
		}
		// Not a Node type: the id is written as it is.
		if got, want := write("ImportResult", "id", id), strconv.Quote(id); got != want {
			t.Errorf("plain id %q: wrote %s, want %s", id, got, want)
		}
	}
	long := string(bytes.Repeat([]byte("z"), 200)) // longer than writeGlobalID's buffer
	if got, want := write("Enrolment", "id", long), strconv.Quote(GlobalID("Enrolment", long)); got != want {
		t.Errorf("long id: wrote %s, want %s", got, want)
	}
	if got := write("Enrolment", "id", ""); got != `""` {
		t.Errorf("empty id: wrote %s", got)
	}
}
