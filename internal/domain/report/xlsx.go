package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/arbetsmarknad/outcomes/internal/domain/disclosure"
	"github.com/xuri/excelize/v2"

	"github.com/arbetsmarknad/outcomes/internal/platform/export"
)

// XLSX writes the report as a workbook: one sheet per section, numbers stored as numbers
// (shares as fractions with a percent format), hidden cells as the text ".."
// (disclosure.HiddenText), a sheet with the definitions and sources, and every text
// cell through export.Cell so that no name or label can become a formula.
func XLSX(w io.Writer, r *Report) error {
	f := excelize.NewFile()
	defer f.Close()
	pct, err := f.NewStyle(&excelize.Style{NumFmt: 10}) // 0.00%
	if err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	title, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 13}})
	if err != nil {
		return err
	}
	used := map[string]bool{}
	first := true
	for _, sec := range r.Sections {
		name := sec.Sheet
		if name == "" {
			name = sec.Title
		}
		name = sheetName(name, used)
		if first {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				return err
			}
			first = false
		} else if _, err := f.NewSheet(name); err != nil {
			return err
		}
		x := &sheet{f: f, name: name, pct: pct, bold: bold}
		x.text(1, sec.Title, title)
		x.text(1, r.OrganisationName+" · Månadsuppföljning "+monthLabel(r.Month), 0)
		x.text(1, "Definitionsversioner: "+strings.Join(r.DefinitionVersions(), ", "), 0)
		x.text(1, disclosure.HiddenRule+", så att inget litet antal kan räknas fram.", 0)
		x.row++
		for _, t := range sec.Tables {
			if err := x.table(t); err != nil {
				return err
			}
		}
		if err := f.SetColWidth(name, "A", "A", 38); err != nil {
			return err
		}
		if err := f.SetColWidth(name, "B", "M", 14); err != nil {
			return err
		}
	}
	name := sheetName("Definitioner", used)
	if _, err := f.NewSheet(name); err != nil {
		return err
	}
	x := &sheet{f: f, name: name, bold: bold}
	x.text(1, "Definitioner och källor", title)
	x.row++
	if err := x.strings([]string{"Version", "Namn", "Definition", "Källa"}, bold); err != nil {
		return err
	}
	for _, d := range r.Definitions {
		if err := x.strings([]string{d.Version, d.Name, d.Text, d.Source}, 0); err != nil {
			return err
		}
	}
	if err := f.SetColWidth(name, "A", "B", 30); err != nil {
		return err
	}
	if err := f.SetColWidth(name, "C", "C", 90); err != nil {
		return err
	}
	return f.Write(w)
}

// sheetName makes a unique sheet name of at most 31 characters without the characters
// Excel refuses.
func sheetName(s string, used map[string]bool) string {
	s = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`[]:*?/\`, r) {
			return '-'
		}
		return r
	}, s)
	rs := []rune(s)
	if len(rs) > 28 {
		rs = rs[:28]
	}
	base := strings.TrimSpace(string(rs))
	name := base
	for i := 2; used[name]; i++ {
		name = fmt.Sprintf("%s %d", base, i)
	}
	used[name] = true
	return name
}

type sheet struct {
	f         *excelize.File
	name      string
	row       int
	pct, bold int
}

func (x *sheet) cell(col int) string {
	c, _ := excelize.CoordinatesToCellName(col, x.row)
	return c
}

func (x *sheet) text(col int, s string, style int) {
	x.row++
	x.setText(col, s, style)
}

func (x *sheet) setText(col int, s string, style int) {
	c := x.cell(col)
	x.f.SetCellStr(x.name, c, export.Cell(s)) //nolint:errcheck // a valid cell name on an existing sheet
	if style != 0 {
		x.f.SetCellStyle(x.name, c, c, style) //nolint:errcheck
	}
}

func (x *sheet) strings(vals []string, style int) error {
	x.row++
	for i, v := range vals {
		x.setText(i+1, v, style)
	}
	return nil
}

// hasIntervals reports whether a table's shares carry 95 % intervals (outcome tables):
// those get four more columns, the interval and the missing-data bounds.
func hasIntervals(t *Table) bool {
	for _, r := range t.Rows {
		for _, c := range r.Cells {
			if c.Kind == KindShare && (c.Lower != nil || c.BoundLow != nil) {
				return true
			}
		}
	}
	return false
}

// IntervalColumns are the extra columns of a table whose shares have intervals.
var IntervalColumns = []string{"95 % KI, nedre", "95 % KI, övre", "Om inga okända uppfyllde", "Om alla okända uppfyllde"}

func (x *sheet) table(t *Table) error {
	x.row++
	x.text(1, t.Title, x.bold)
	if len(t.Rows) == 0 {
		if t.Note != "" {
			x.text(1, t.Note, 0)
		}
		return nil
	}
	intervals := hasIntervals(t)
	x.row++
	for i, c := range t.Columns {
		x.setText(i+2, c.Label, x.bold)
	}
	if intervals {
		for i, l := range IntervalColumns {
			x.setText(len(t.Columns)+2+i, l, x.bold)
		}
	}
	for _, r := range t.Rows {
		x.row++
		style := 0
		if r.Total {
			style = x.bold
		}
		x.setText(1, r.Label, style)
		var share *Cell
		for i, c := range r.Cells {
			if err := x.value(i+2, c); err != nil {
				return err
			}
			if c.Kind == KindShare {
				share = c
			}
		}
		if intervals && share != nil {
			for i, v := range []*float64{share.Lower, share.Upper, share.BoundLow, share.BoundHigh} {
				if err := x.number(len(t.Columns)+2+i, v, share); err != nil {
					return err
				}
			}
		}
	}
	if t.Note != "" {
		x.text(1, t.Note, 0)
	}
	return nil
}

// value writes one cell: a number as a number, a hidden one as its text.
func (x *sheet) value(col int, c *Cell) error {
	if c.Value == nil {
		if c.Display != "" {
			x.setText(col, c.Display, 0)
		}
		return nil
	}
	return x.number(col, c.Value, c)
}

func (x *sheet) number(col int, v *float64, c *Cell) error {
	if v == nil {
		return nil
	}
	name := x.cell(col)
	if c.Kind == KindShare {
		if err := x.f.SetCellFloat(x.name, name, *v, -1, 64); err != nil {
			return err
		}
		return x.f.SetCellStyle(x.name, name, name, x.pct)
	}
	return x.f.SetCellInt(x.name, name, int64(*v))
}
