// Package importer reads bulk files (register extracts, follow-up lists) and imports
// them all or nothing: the whole file is validated first, every bad row is reported
// with its line and reason, and a file with bad rows imports nothing unless the caller
// asks to skip them.
//
// Every import reads its file through readRecords, which takes what Excel saves (CSV
// with commas or semicolons in UTF-8 or Windows-1252, .xlsx workbooks; see Options) and
// matches the header against the import's []Column (names, Swedish aliases, how a
// spreadsheet cell is read). A new import (say, a register-linkage return file)
// declares its columns and a row function, and gets the same formats and messages.
package importer

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/domain/outcome"
	"github.com/arbetsmarknad/outcomes/internal/domain/personnummer"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
)

// MaxRows bounds one file.
const MaxRows = 1_000_000

// ObservationSpec is the header of an observations file, in any order; the first four
// columns are required, social_assistance and employment_rate may be left out (not
// recorded). The Swedish headings are accepted as aliases.
var ObservationSpec = []Column{
	{Name: "personal_identity_number", Aliases: identityAliases, Required: true, Kind: Identity},
	{Name: "month", Aliases: []string{"månad", "manad"}, Required: true, Kind: Date},
	{Name: "status", Aliases: []string{"sysselsättning"}, Required: true},
	{Name: "source", Aliases: []string{"källa", "kalla"}, Required: true},
	{Name: "social_assistance", Aliases: socialAssistanceAliases},
	{Name: "employment_rate", Aliases: []string{"sysselsättningsgrad", "omfattning"}, Kind: Percent},
}

// ObservationColumns are the names of ObservationSpec's columns.
var ObservationColumns = names(ObservationSpec)

// ObservationRow is one valid line.
type ObservationRow struct {
	Line                   int
	PersonalIdentityNumber string // canonical
	Input                  outcome.RecordInput
	src                    *layout
}

// ParseObservations reads and validates a whole file of outcome observations (a text
// file or a workbook; see Options). A structural problem (no header, a file that cannot
// be read) is an error; bad rows are listed.
func ParseObservations(r io.Reader, opts Options, now time.Time) ([]ObservationRow, []LineError, error) {
	return parseObservations(r, opts, ObservationSpec, "", now)
}

// parseObservations reads a file of observations with the header spec; every row's
// source is source when it is given, its source column otherwise.
func parseObservations(r io.Reader, opts Options, spec []Column, source outcome.Source, now time.Time) ([]ObservationRow, []LineError, error) {
	var rows []ObservationRow
	lay, bad, err := readRecords(r, opts, spec, func(line int, get func(string) string) []LineError {
		row, errs := parseObservation(line, func(c string) string {
			if c == "source" && source != "" {
				return string(source)
			}
			return get(c)
		}, now)
		if len(errs) == 0 {
			rows = append(rows, row)
		}
		return errs
	})
	if err != nil {
		return nil, nil, err
	}
	for i := range rows {
		rows[i].src = lay
	}
	return rows, bad, nil
}

// RegisterReturnSpec is the header of a register linkage's returned file: the
// observations file without source, which the import is given (af_data, sus,
// social_assistance_register).
var RegisterReturnSpec = []Column{ObservationSpec[0], ObservationSpec[1], ObservationSpec[2], ObservationSpec[4], ObservationSpec[5]}

// RegisterSources are the sources a register's returned file may be imported as.
var RegisterSources = []outcome.Source{outcome.AFData, outcome.SUS, outcome.SocialAssistanceRegister}

// ParseRegisterReturn reads a register linkage's returned file like ParseObservations,
// every row with the given source.
func ParseRegisterReturn(r io.Reader, opts Options, source outcome.Source, now time.Time) ([]ObservationRow, []LineError, error) {
	return parseObservations(r, opts, RegisterReturnSpec, source, now)
}

func parseObservation(line int, get func(string) string, now time.Time) (ObservationRow, []LineError) {
	var errs []LineError
	fail := func(c, reason string) { errs = append(errs, LineError{Line: line, Column: c, Reason: reason}) }
	row := ObservationRow{Line: line}
	n, err := personnummer.Parse(get("personal_identity_number"), now)
	switch hint := identityHint(get("personal_identity_number")); {
	case hint != "":
		fail("personal_identity_number", hint)
	case err != nil:
		fail("personal_identity_number", err.Error())
	default:
		row.PersonalIdentityNumber = n.String()
	}
	m, monthErr := parseMonth(get("month"))
	if monthErr != nil {
		fail("month", "want a month as YYYY-MM (or a date in it, YYYY-MM-DD)")
	}
	status, ok := outcome.ParseStatus(get("status"))
	if !ok {
		fail("status", statusWant)
	}
	source, ok := outcome.ParseSource(get("source"))
	if !ok {
		fail("source", sourceWant)
	}
	in := outcome.RecordInput{Month: m, Status: status, Source: source}
	if v, ok := parseBool(get("social_assistance")); ok {
		in.SocialAssistance = v
	} else {
		fail("social_assistance", boolWant)
	}
	if rate := get("employment_rate"); rate != "" {
		v, err := strconv.ParseFloat(strings.Replace(rate, ",", ".", 1), 64)
		if err != nil {
			fail("employment_rate", "want a number from 0 to 100 (per cent)")
		} else {
			in.EmploymentRate = &v
		}
	}
	// The domain's own rules (status and source codes, month not in the future, rate
	// within 0-100), reported under the file's column names.
	in.ParticipantID = "resolved at import from the personal identity number"
	failed := map[string]bool{}
	for _, e := range errs {
		failed[e.Column] = true
	}
	for _, e := range apperr.All(in.Validate(now)) {
		column, ok := columnOf[e.Field]
		if !ok || failed[column] { // told already, in the file's terms
			continue
		}
		fail(column, e.Message)
	}
	row.Input = in
	return row, errs
}

// parseMonth reads YYYY-MM, or a date (as a spreadsheet's date cell becomes) as its
// month.
func parseMonth(s string) (time.Time, error) {
	if m, err := time.Parse("2006-01", s); err == nil {
		return m, nil
	}
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		return time.Time{}, err
	}
	return time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC), nil
}

// identityHint explains a personal identity number that a spreadsheet has shown in
// exponent form (1,98504E+11) and so cut short: no check digit can be right then.
// A text file's 8 or 9 digits are the same mishap: Excel dropped the leading zeros of
// someone born 2000-2009. (A workbook's numeric cells get their zeros back.)
func identityHint(s string) string {
	if i := strings.IndexAny(s, "eE"); i > 0 && strings.ContainsAny(s[:i], ".,") && strings.Trim(s[i+1:], "+0123456789") == "" {
		return "the number is written in exponent form (such as 1,23457E+11), so digits are lost: format the column as text in Excel, enter the numbers again and save, or import the .xlsx workbook itself"
	}
	if (len(s) == 8 || len(s) == 9) && strings.Trim(s, "0123456789") == "" {
		return fmt.Sprintf("the number has %d digits, not 10 or 12: Excel drops the leading zero of someone born 2000-2009 when the column is not formatted as text; format it as text, enter the numbers again and save, or import the .xlsx workbook itself", len(s))
	}
	return ""
}

var columnOf = map[string]string{
	"input.month": "month", "input.status": "status", "input.source": "source", "input.employmentRate": "employment_rate",
}

// statusWant and sourceWant are the reasons given for a status or a source the file
// cannot mean: every code and Swedish name outcome.ParseStatus and ParseSource read.
var (
	statusWant = namedWant("status", outcome.Statuses, outcome.StatusNames)
	sourceWant = namedWant("source", outcome.Sources, outcome.SourceNames)
)

func namedWant[C ~string](what string, codes []C, names map[C]string) string {
	cs, ns := make([]string, len(codes)), make([]string, len(codes))
	for i, c := range codes {
		cs[i], ns[i] = string(c), names[c]
	}
	return fmt.Sprintf("want a %s code (%s) or its Swedish name (%s)", what, strings.Join(cs, ", "), strings.Join(ns, "; "))
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
