package importer

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// MaxFileBytes bounds a file sent through the API, which holds it in memory whole.
// outcomesctl reads files of any size (up to MaxRows rows).
const MaxFileBytes = 20 << 20

// maxUnzippedBytes bounds what a workbook may unpack to, so that a small file cannot
// unpack to gigabytes. Excel's XML packs about tenfold, so a 20 MB workbook fits. A
// sheet is unpacked in memory up to this size too: excelize would otherwise spill
// larger sheets, and the personal data in them, to temporary files.
const maxUnzippedBytes = 512 << 20

// Options say how to read an import file. The zero value reads any accepted format
// and, for a workbook, its first sheet.
type Options struct {
	// Sheet names the sheet of a workbook to read (default: the first sheet).
	Sheet string
}

// Accepted formats, detected from the file's content (never from its name):
//
//   - An .xlsx workbook (a zip file): the first sheet, or Options.Sheet. Cells Excel
//     turned into numbers are read per column: a personal identity number as its
//     digits, a date or month as the serial date it is (1900 or 1904 date system), a
//     per cent column's percentage cell as it shows (75 for the 0.75 stored).
//   - Text with columns separated by commas, semicolons (Excel's "CSV
//     (semikolonavgränsad)") or tabs (Excel's "Unicode text"): the separator is the one
//     of these the header line holds most of, outside quotes (commas on a tie).
//     Lines may end in LF, CRLF or CR.
//   - Text encoding: a UTF-16 file with its byte-order mark is converted; a UTF-8
//     byte-order mark is dropped; a file that is valid UTF-8 is read as UTF-8 and
//     never converted; any other file is read as Windows-1252 (older Excel's "ANSI"),
//     which every byte sequence decodes except five unused bytes, and a file holding
//     those is refused with how to save it as UTF-8. A UTF-8 file holding U+FFFD (a
//     letter an earlier program lost) is refused too: nothing is stored with it. A Windows-1252 file can only be
//     mistaken for UTF-8 if every accented letter in it follows an "Ã" or "Â", which
//     Swedish names do not.
//   - An old Excel 97-2003 workbook (.xls) is refused with how to save it as .xlsx.

// table yields the records of a file with the line (or sheet row) each starts on.
type table struct {
	sheet    string                        // the sheet read, empty for a text file
	sep      rune                          // the text file's separator
	date1904 bool                          // the workbook counts dates from 1904
	percent  func(row, col int) bool       // the sheet cell (1-based row, 0-based column) is formatted as a percentage
	next     func() ([]string, int, error) // io.EOF after the last record
	close    func()                        // releases a workbook; nil for text
}

var (
	zipMagic = []byte("PK\x03\x04")
	xlsMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
)

// saveAsUTF8 is how to fix a file whose text cannot be read.
const saveAsUTF8 = `in Excel choose Save As and the type "CSV UTF-8 (kommaavgränsad) (*.csv)", or save the sheet as .xlsx`

// openTable reads the whole file and prepares its records.
func openTable(r io.Reader, opts Options) (*table, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read the file: %w", err)
	}
	switch {
	case bytes.HasPrefix(data, zipMagic):
		return openSheet(data, opts.Sheet)
	case bytes.HasPrefix(data, xlsMagic):
		return nil, errors.New("this is an Excel 97-2003 workbook (.xls), which cannot be read: in Excel choose Save As and the type \"Excel Workbook (*.xlsx)\" or \"CSV UTF-8 (kommaavgränsad) (*.csv)\"")
	}
	if opts.Sheet != "" {
		return nil, errors.New("a sheet was named but the file is not an .xlsx workbook")
	}
	text, err := decodeText(data)
	if err != nil {
		return nil, err
	}
	return openText(text), nil
}

// decodeText returns the file's text as UTF-8 without a byte-order mark.
func decodeText(data []byte) ([]byte, error) {
	if bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}) {
		out, err := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder().Bytes(data)
		if err != nil || bytes.ContainsRune(out, utf8.RuneError) {
			return nil, errors.New("the file is UTF-16 text that cannot be decoded: " + saveAsUTF8)
		}
		return bytes.TrimPrefix(out, []byte("\ufeff")), nil
	}
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	if utf8.Valid(data) {
		if bytes.ContainsRune(data, utf8.RuneError) {
			// Some program before us could not read a letter and put this in its place:
			// storing it would keep a name wrong for good.
			return nil, errors.New("the file holds replacement characters (\ufffd) where letters were lost when it was saved or converted before: save it again from the original, " + saveAsUTF8)
		}
		return data, nil
	}
	if bytes.IndexByte(data, 0) >= 0 {
		return nil, errors.New("the file is not text (it holds zero bytes): " + saveAsUTF8)
	}
	out, err := charmap.Windows1252.NewDecoder().Bytes(data)
	if err != nil || bytes.ContainsRune(out, utf8.RuneError) {
		return nil, errors.New("the file is neither UTF-8 nor Windows-1252 text: " + saveAsUTF8)
	}
	return out, nil
}

// openText reads delimited text, the separator found from its header line.
func openText(text []byte) *table {
	if bytes.IndexByte(text, '\n') < 0 && bytes.IndexByte(text, '\r') >= 0 {
		text = bytes.ReplaceAll(text, []byte("\r"), []byte("\n")) // classic Mac line ends
	}
	sep := detectSeparator(text)
	cr := csv.NewReader(bytes.NewReader(text))
	cr.Comma = sep
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	t := &table{sep: sep}
	t.next = func() ([]string, int, error) {
		rec, err := cr.Read()
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				// csv's own message quotes no data; the line is where the record starts.
				return nil, pe.StartLine, &recordError{reason: "not valid CSV: " + pe.Err.Error()}
			}
			return nil, 0, err
		}
		line, _ := cr.FieldPos(0)
		return rec, line, nil
	}
	return t
}

// recordError is a record that cannot be read; the records after it still can.
type recordError struct{ reason string }

func (e *recordError) Error() string { return e.reason }

// detectSeparator counts each candidate separator in the header line, outside quotes.
func detectSeparator(text []byte) rune {
	counts := map[rune]int{}
	quoted := false
	for _, c := range string(text) {
		if c == '"' {
			quoted = !quoted
			continue
		}
		if !quoted && (c == '\n' || c == '\r') {
			break
		}
		if !quoted {
			counts[c]++
		}
	}
	best := separators[0]
	for _, s := range separators[1:] {
		if counts[s] > counts[best] {
			best = s
		}
	}
	return best
}

// errWorkbookPanic stands for a panic in the workbook library on a file it did not
// foresee: the file is refused like any other unreadable workbook.
var errWorkbookPanic = errors.New("the workbook cannot be read: save it again from Excel as \"Excel Workbook (*.xlsx)\"")

// openSheet reads a sheet of an .xlsx workbook: the named one, or the first.
func openSheet(data []byte, sheet string) (t *table, err error) {
	defer func() {
		if recover() != nil {
			t, err = nil, errWorkbookPanic
		}
	}()
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{RawCellValue: true,
		UnzipSizeLimit: maxUnzippedBytes, UnzipXMLSizeLimit: maxUnzippedBytes})
	if err != nil {
		// The library's message may quote the file's content: say what failed, not it.
		return nil, errors.New("the file looks like a zip file but cannot be read as an .xlsx workbook: save it from Excel as \"Excel Workbook (*.xlsx)\"")
	}
	ok := false
	defer func() {
		if !ok {
			f.Close() //nolint:errcheck // nothing was written
		}
	}()
	list := f.GetSheetList()
	if len(list) == 0 {
		return nil, errors.New("the workbook has no sheets")
	}
	if sheet == "" {
		sheet = list[0]
	} else if _, err := f.GetSheetIndex(sheet); err != nil || !contains(list, sheet) {
		return nil, fmt.Errorf("the workbook has no sheet named %q; its sheets are %s", sheet, quoteAll(list))
	}
	props, err := f.GetWorkbookProps()
	if err != nil {
		return nil, errors.New("the workbook's properties cannot be read: save it again from Excel")
	}
	rows, err := f.Rows(sheet)
	if err != nil {
		return nil, fmt.Errorf("sheet %q cannot be read: save the workbook again from Excel", sheet)
	}
	t = &table{sheet: sheet, date1904: props.Date1904 != nil && *props.Date1904, percent: percentCells(f, sheet)}
	t.close = func() {
		rows.Close() //nolint:errcheck // reading only
		f.Close()    //nolint:errcheck
	}
	row := 0
	t.next = func() (cells []string, line int, err error) {
		defer func() {
			if recover() != nil {
				cells, line, err = nil, row, errWorkbookPanic
			}
		}()
		if !rows.Next() {
			if rows.Error() != nil {
				return nil, 0, fmt.Errorf("sheet %q row %d cannot be read: save the workbook again from Excel", sheet, row+1)
			}
			return nil, 0, io.EOF
		}
		row++ // Next moves one row at a time, also over rows the sheet does not store
		cells, err = rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, row, &recordError{reason: "the row cannot be read"}
		}
		return cells, row, nil
	}
	ok = true
	return t, nil
}

// percentCells says whether a cell is formatted as a percentage. It is asked only of
// numeric cells in a Percent column; the first question loads the sheet's cell styles
// (the rows are streamed and do not carry them). A cell whose style cannot be read is
// taken as not a percentage: its number is then read as written.
func percentCells(f *excelize.File, sheet string) func(row, col int) bool {
	byStyle := map[int]bool{}
	return func(row, col int) (percent bool) {
		defer func() {
			if recover() != nil {
				percent = false
			}
		}()
		cell, err := excelize.CoordinatesToCellName(col+1, row)
		if err != nil {
			return false
		}
		id, err := f.GetCellStyle(sheet, cell)
		if err != nil {
			return false
		}
		if p, ok := byStyle[id]; ok {
			return p
		}
		style, err := f.GetStyle(id)
		p := err == nil && isPercentFormat(style)
		byStyle[id] = p
		return p
	}
}

// isPercentFormat says whether a cell style shows its number times 100 with a per cent
// sign: the built-in formats 0 % and 0.00 % (9 and 10), or a custom format with a %
// that is neither quoted ("%") nor escaped (\%), which Excel shows as a literal sign.
func isPercentFormat(s *excelize.Style) bool {
	if s.NumFmt == 9 || s.NumFmt == 10 {
		return true
	}
	if s.CustomNumFmt == nil {
		return false
	}
	quoted := false
	format := *s.CustomNumFmt
	for i := 0; i < len(format); i++ {
		switch c := format[i]; {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '\\' || c == '_' || c == '*': // the next character is literal, or padding
			i++
		case c == '%':
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}

// cellValue reads a raw spreadsheet cell, at row and 0-based column col, as its
// column's kind wants it.
func (t *table) cellValue(k Kind, raw string, row, col int) string {
	raw = strings.TrimSpace(raw)
	if t.sheet == "" || raw == "" {
		return raw
	}
	f, err := strconv.ParseFloat(raw, 64)
	numeric := err == nil && !math.IsInf(f, 0) && !math.IsNaN(f)
	switch k {
	case Identity:
		if !numeric || f < 0 || f != math.Trunc(f) || f >= 1e13 {
			return raw
		}
		s := strconv.FormatFloat(f, 'f', 0, 64)
		if len(s) == 8 || len(s) == 9 {
			// A 10-digit number of someone born 2000-2009 lost its leading zeros.
			s = strings.Repeat("0", 10-len(s)) + s
		}
		return s
	case Date:
		if numeric && f >= 1 && f < 2958466 { // serial 2958465 is 9999-12-31
			if d, err := excelize.ExcelDateToTime(f, t.date1904); err == nil {
				return d.Format("2006-01-02")
			}
		}
		if len(raw) > 10 && raw[4] == '-' && raw[10] == 'T' { // an ISO 8601 date cell
			return raw[:10]
		}
		return raw
	case Percent:
		if numeric && t.percent != nil && t.percent(row, col) {
			// 0.075 stored is 7.5 shown: shift the decimal point in the number's shortest
			// decimal form, so that no binary rounding (7.500000000000001) creeps in.
			digits, exp, _ := strings.Cut(strconv.FormatFloat(f, 'e', -1, 64), "e")
			e, err := strconv.Atoi(exp)
			shown, err2 := strconv.ParseFloat(digits+"e"+strconv.Itoa(e+2), 64)
			if err == nil && err2 == nil {
				return strconv.FormatFloat(shown, 'f', -1, 64)
			}
		}
	}
	if numeric && strings.ContainsAny(raw, ".eE") {
		// Excel stores 0.1 as 0.10000000000000001: give the number as written.
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return raw
}
