package importer

import (
	"fmt"
	"strings"
	"unicode"
)

// Kind says how a spreadsheet cell of a column is read: Excel stores what looks like a
// number as a number and a date as a serial number, whatever the header says.
type Kind int

const (
	// Text is read as written.
	Text Kind = iota
	// Identity is a personal identity number: a numeric cell is turned back into its
	// digits (198504121236, 1.98504121236E+11), with the leading zeros of a 10-digit
	// number born in 2000-2009 restored.
	Identity
	// Date is a day or a month: a numeric cell is an Excel serial date (1900 or 1904
	// date system, as the workbook says) and becomes YYYY-MM-DD.
	Date
	// Percent is a number of per cent (0-100). A cell Excel formats as a percentage
	// shows 75 % but stores 0.75: it is read as shown, 75. Any other cell is read as
	// written, so text such as "75 %" is refused as in a CSV file.
	Percent
)

// Column is one column an import reads: its name (used in the documentation, in
// error fields and as the English header), the other headers it is known by (Swedish
// ones first), whether the file must have it, and how a spreadsheet cell is read.
type Column struct {
	Name     string
	Aliases  []string
	Required bool
	Kind     Kind
}

// names lists the canonical names of columns.
func names(cols []Column) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.Name
	}
	return out
}

// normaliseHeading makes a header cell comparable with column names and aliases: a
// byte-order mark and surrounding space removed, lower case, and runs of spaces,
// hyphens, slashes and dots read as one underscore ("Inskriven AF" = inskriven_af).
func normaliseHeading(h string) string {
	h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
	var b strings.Builder
	sep := false
	for _, r := range strings.ToLower(h) {
		if unicode.IsSpace(r) || r == '-' || r == '_' || r == '/' || r == '.' {
			sep = b.Len() > 0
			continue
		}
		if sep {
			b.WriteByte('_')
			sep = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// header is a file's header line matched against the columns of an import.
type header struct {
	index    map[string]int    // column name -> position in the record
	headings map[string]string // column name -> the heading as the file writes it, when that says more than the name
	found    []string          // every heading of the file, as written
}

// matchHeader maps the file's headings to columns. It fails, in words an
// administrator understands, when a required column is missing or two headings name
// the same column; sep is the separator the header was read with, and sheet says
// where the header is ("line 1", or "sheet "Blad1" row 1" for a workbook, where
// separators do not apply).
func matchHeader(cells []string, cols []Column, sep rune, where string) (header, error) {
	sheet := strings.HasPrefix(where, "sheet")
	known := map[string]string{}
	for _, c := range cols {
		known[normaliseHeading(c.Name)] = c.Name
		for _, a := range c.Aliases {
			known[normaliseHeading(a)] = c.Name
		}
	}
	h := header{index: map[string]int{}, headings: map[string]string{}}
	var twice []string
	for i, cell := range cells {
		written := strings.TrimSpace(strings.TrimPrefix(cell, "\ufeff"))
		if written == "" {
			continue
		}
		h.found = append(h.found, written)
		name, ok := known[normaliseHeading(written)]
		if !ok {
			continue
		}
		if first, dup := h.index[name]; dup {
			twice = append(twice, fmt.Sprintf("%q and %q both give %s", strings.TrimSpace(cells[first]), written, name))
			continue
		}
		h.index[name] = i
		switch {
		case sheet:
			h.headings[name] = fmt.Sprintf("%s (%s)", written, columnLetter(i))
		case normaliseHeading(written) != name: // an alias: name the column as the file does
			h.headings[name] = written
		}
	}
	var missing []string
	for _, c := range cols {
		if _, ok := h.index[c.Name]; c.Required && !ok {
			missing = append(missing, describeColumn(c))
		}
	}
	if len(missing) == 0 && len(twice) == 0 {
		return h, nil
	}
	where = "the header (" + where + ")"
	var msg strings.Builder
	if len(missing) > 0 {
		fmt.Fprintf(&msg, "%s lacks required columns: %s.", where, strings.Join(missing, "; "))
	}
	if len(twice) > 0 {
		if msg.Len() > 0 {
			msg.WriteByte(' ')
		}
		fmt.Fprintf(&msg, "%s names a column twice: %s.", where, strings.Join(twice, "; "))
	}
	switch {
	case len(h.found) == 0:
		msg.WriteString(" It has no column headings.")
	case looksLikeData(h.found):
		// Never echo it: it may hold a person's number and name.
		msg.WriteString(" Its first line looks like data, not headings: add a header line.")
	default:
		fmt.Fprintf(&msg, " Columns found: %s.", quoteHeadings(h.found))
	}
	if hint := separatorHint(h.found, sep, sheet); hint != "" {
		msg.WriteString(" " + hint)
	}
	return header{}, fmt.Errorf("%s", msg.String())
}

// looksLikeData says whether header cells hold a run of six digits or more, as a
// personal identity number or a date does and no heading should.
func looksLikeData(cells []string) bool {
	for _, c := range cells {
		run := 0
		for _, r := range c {
			if r >= '0' && r <= '9' {
				if run++; run >= 6 {
					return true
				}
			} else if r != '-' && r != '+' {
				run = 0
			}
		}
	}
	return false
}

// describeColumn names a column with its main Swedish heading.
func describeColumn(c Column) string {
	if len(c.Aliases) == 0 {
		return c.Name
	}
	return fmt.Sprintf("%s (or %s)", c.Name, c.Aliases[0])
}

// separatorHint explains a header whose headings hold another separator: the file
// uses a separator other than the one its header line suggested (or mixes them).
func separatorHint(found []string, sep rune, sheet bool) string {
	if sheet {
		return ""
	}
	for _, f := range found {
		for _, other := range separators {
			if other != sep && strings.ContainsRune(f, other) {
				return fmt.Sprintf("The header line was read as separated by %s, but a heading holds %s: if the file separates its columns with %s, save it with one separator (semicolon or comma) throughout.",
					separatorName(sep), separatorName(other), separatorName(other))
			}
		}
	}
	return ""
}

// separators are the column separators a text file may use, in the order ties go.
var separators = []rune{',', ';', '\t'}

func separatorName(r rune) string {
	switch r {
	case ';':
		return "semicolons (;)"
	case '\t':
		return "tabs"
	}
	return "commas (,)"
}

// quoteHeadings lists a file's headings for a message, each cut to 40 characters and
// at most 30 of them: a heading is the administrator's, but a broken file can make one
// of any length.
func quoteHeadings(found []string) string {
	const most, width = 30, 40
	shown := make([]string, 0, min(len(found), most))
	for _, f := range found[:min(len(found), most)] {
		if r := []rune(f); len(r) > width {
			f = string(r[:width]) + "…"
		}
		shown = append(shown, f)
	}
	s := quoteAll(shown)
	if len(found) > most {
		s += fmt.Sprintf(" and %d more", len(found)-most)
	}
	return s
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

// columnLetter is a 0-based column index as Excel names it: A, B, ..., Z, AA, ...
func columnLetter(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('A'+(i-1)%26)) + s
	}
	return s
}
