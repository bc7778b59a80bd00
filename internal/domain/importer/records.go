package importer

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// LineError is one rejected line (or sheet row). Reason never repeats the line's
// personal data.
type LineError struct {
	Line    int    // the line of a text file, or the row of a sheet; the header is 1
	Column  string // the column's name (personal_identity_number), empty for the whole line
	Reason  string // what was wrong and what was expected
	Sheet   string // the sheet, for a workbook
	Heading string // the column as the file heads it (Personnummer), with its letter in a sheet
}

func (e LineError) Error() string {
	at := fmt.Sprintf("line %d", e.Line)
	if e.Sheet != "" {
		at = fmt.Sprintf("sheet %q row %d", e.Sheet, e.Line)
	}
	switch {
	case e.Column == "":
		return at + ": " + e.Reason
	case e.Heading != "" && e.Heading != e.Column:
		return fmt.Sprintf("%s: %s [%s]: %s", at, e.Heading, e.Column, e.Reason)
	}
	return fmt.Sprintf("%s: %s: %s", at, e.Column, e.Reason)
}

// layout is where a file's rows came from, so that errors found after parsing (at
// import) name the line's place as the parser's do.
type layout struct {
	sheet    string
	headings map[string]string
}

// at is a LineError in this file.
func (l *layout) at(line int, column, reason string) LineError {
	e := LineError{Line: line, Column: column, Reason: reason}
	if l != nil {
		e.Sheet, e.Heading = l.sheet, l.headings[column]
	}
	return e
}

// readRecords reads a file (see Options for the formats) whose header names at least
// the required columns, by name or alias, in any order and any case, and hands each
// record to row, which returns the record's problems. Records are looked up by column
// name; a column the header lacks reads as empty. Blank records are skipped. A
// structural problem (unreadable file, header not matching) is the error.
func readRecords(r io.Reader, opts Options, cols []Column, row func(line int, get func(string) string) []LineError) (*layout, []LineError, error) {
	t, err := openTable(r, opts)
	if err != nil {
		return nil, nil, err
	}
	if t.close != nil {
		defer t.close()
	}
	var cells []string
	var headerLine int
	for {
		rec, line, err := t.next()
		if errors.Is(err, io.EOF) {
			return nil, nil, errors.New("the file is empty: a header line is required")
		}
		var re *recordError
		if errors.As(err, &re) {
			return nil, nil, fmt.Errorf("%s: %s", place(t, line), re.reason)
		}
		if err != nil {
			return nil, nil, err
		}
		if !blank(rec) {
			cells, headerLine = append([]string(nil), rec...), line
			break
		}
	}
	h, err := matchHeader(cells, cols, t.sep, place(t, headerLine))
	if err != nil {
		return nil, nil, err
	}
	lay := &layout{sheet: t.sheet, headings: h.headings}
	kinds := map[string]Kind{}
	width := 0 // a record must reach this far to hold every required column
	for _, c := range cols {
		kinds[c.Name] = c.Kind
		if i, ok := h.index[c.Name]; ok && c.Required && i+1 > width {
			width = i + 1
		}
	}
	var bad []LineError
	for records := 0; ; records++ {
		rec, line, err := t.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if records >= MaxRows {
			return nil, nil, fmt.Errorf("the file has more than %d rows", MaxRows)
		}
		var re *recordError
		if errors.As(err, &re) {
			bad = append(bad, lay.at(line, "", re.reason))
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		if blank(rec) {
			continue
		}
		if hint := shortRecord(rec, width, t.sep, t.sheet != ""); hint != "" {
			bad = append(bad, lay.at(line, "", hint))
			continue
		}
		get := func(name string) string {
			i, ok := h.index[name]
			if !ok || i >= len(rec) {
				return ""
			}
			return t.cellValue(kinds[name], rec[i], line, i)
		}
		for _, e := range row(line, get) {
			bad = append(bad, lay.at(e.Line, e.Column, e.Reason))
		}
	}
	return lay, bad, nil
}

// place names a line or a sheet row.
func place(t *table, line int) string {
	if t.sheet != "" {
		return fmt.Sprintf("sheet %q row %d", t.sheet, line)
	}
	return fmt.Sprintf("line %d", line)
}

func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// shortRecord explains a text record too short for the header's columns when it holds
// another separator: the line was written with another separator than the header.
func shortRecord(rec []string, width int, sep rune, sheet bool) string {
	if sheet || len(rec) >= width {
		return ""
	}
	for _, other := range separators {
		if other == sep {
			continue
		}
		for _, f := range rec {
			if strings.ContainsRune(f, other) {
				return fmt.Sprintf("this line has %d columns where the header's required ones need %d, and it holds %s: the header line is separated by %s; save the file with one separator throughout",
					len(rec), width, separatorName(other), separatorName(sep))
			}
		}
	}
	return ""
}
