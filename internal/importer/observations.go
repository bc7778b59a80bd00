// Package importer reads bulk files (register extracts, follow-up lists) and imports
// them all or nothing: the whole file is validated first, every bad row is reported
// with its line and reason, and a file with bad rows imports nothing unless the caller
// asks to skip them.
package importer

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/apperr"
	"github.com/arbetsmarknad/outcomes/internal/outcome"
	"github.com/arbetsmarknad/outcomes/internal/personnummer"
)

// MaxRows bounds one file.
const MaxRows = 1_000_000

// ObservationColumns is the expected header, in any order; social_assistance and
// employment_rate may be left out (not recorded).
var ObservationColumns = []string{"personal_identity_number", "month", "status", "source", "social_assistance", "employment_rate"}

// LineError is one rejected line. Reason never repeats the line's personal data.
type LineError struct {
	Line   int
	Column string
	Reason string
}

func (e LineError) Error() string { return fmt.Sprintf("line %d: %s: %s", e.Line, e.Column, e.Reason) }

// ObservationRow is one valid line.
type ObservationRow struct {
	Line                   int
	PersonalIdentityNumber string // canonical
	Input                  outcome.RecordInput
}

// ParseObservations reads and validates a whole CSV file of outcome observations.
// A structural problem (no header, unreadable CSV) is an error; bad rows are listed.
func ParseObservations(r io.Reader, now time.Time) ([]ObservationRow, []LineError, error) {
	var rows []ObservationRow
	bad, err := readRecords(r, ObservationColumns[:4], ObservationColumns, func(line int, get func(string) string) []LineError {
		row, errs := parseObservation(line, get, now)
		if len(errs) == 0 {
			rows = append(rows, row)
		}
		return errs
	})
	if err != nil {
		return nil, nil, err
	}
	return rows, bad, nil
}

// readRecords reads a CSV file whose header names at least the required columns, in any
// order and any case, and hands each record to row, which returns the record's problems.
// Records are looked up by column name; a column the header lacks reads as empty.
func readRecords(r io.Reader, required, columns []string, row func(line int, get func(string) string) []LineError) ([]LineError, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("the file is empty: a header line is required")
		}
		return nil, fmt.Errorf("line 1: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	for _, c := range required {
		if _, ok := col[c]; !ok {
			return nil, fmt.Errorf("line 1: column %q is missing (want %s)", c, strings.Join(columns, ","))
		}
	}
	var bad []LineError
	for records := 0; ; records++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if records >= MaxRows {
			return nil, fmt.Errorf("the file has more than %d rows", MaxRows)
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				bad = append(bad, LineError{Line: pe.StartLine, Column: "", Reason: "not valid CSV: " + pe.Err.Error()})
				continue
			}
			return nil, err
		}
		line, _ := cr.FieldPos(0) // the file line the record starts on
		get := func(name string) string {
			i, ok := col[name]
			if !ok || i >= len(rec) {
				return ""
			}
			return strings.TrimSpace(rec[i])
		}
		bad = append(bad, row(line, get)...)
	}
	return bad, nil
}

func parseObservation(line int, get func(string) string, now time.Time) (ObservationRow, []LineError) {
	var errs []LineError
	fail := func(c, reason string) { errs = append(errs, LineError{Line: line, Column: c, Reason: reason}) }
	row := ObservationRow{Line: line}
	n, err := personnummer.Parse(get("personal_identity_number"), now)
	if err != nil {
		fail("personal_identity_number", err.Error())
	} else {
		row.PersonalIdentityNumber = n.String()
	}
	m, monthErr := time.Parse("2006-01", get("month"))
	if monthErr != nil {
		fail("month", "not a month (YYYY-MM)")
	}
	in := outcome.RecordInput{Month: m, Status: outcome.Status(strings.ToLower(get("status"))), Source: outcome.Source(strings.ToLower(get("source")))}
	if v, ok := parseBool(get("social_assistance")); ok {
		in.SocialAssistance = v
	} else {
		fail("social_assistance", boolWant)
	}
	if rate := get("employment_rate"); rate != "" {
		v, err := strconv.ParseFloat(strings.Replace(rate, ",", ".", 1), 64)
		if err != nil {
			fail("employment_rate", "not a number")
		} else {
			in.EmploymentRate = &v
		}
	}
	// The domain's own rules (status and source codes, month not in the future, rate
	// within 0-100), reported under the file's column names.
	in.ParticipantID = "resolved at import from the personal identity number"
	for _, e := range apperr.All(in.Validate(now)) {
		column, ok := columnOf[e.Field]
		if !ok || (column == "month" && monthErr != nil) {
			continue
		}
		fail(column, e.Message)
	}
	row.Input = in
	return row, errs
}

var columnOf = map[string]string{
	"input.month": "month", "input.status": "status", "input.source": "source", "input.employmentRate": "employment_rate",
}

// boolWant is the reason given for a yes/no column that holds something else.
const boolWant = "want true, false or empty"

// parseBool reads a yes/no column: true/yes/ja/1, false/no/nej/0, or empty for not
// recorded (nil). ok is false for anything else.
func parseBool(s string) (v *bool, ok bool) {
	switch strings.ToLower(s) {
	case "":
		return nil, true
	case "true", "yes", "ja", "1":
		t := true
		return &t, true
	case "false", "no", "nej", "0":
		f := false
		return &f, true
	}
	return nil, false
}
