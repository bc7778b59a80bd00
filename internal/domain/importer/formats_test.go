package importer_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"github.com/arbetsmarknad/outcomes/internal/domain/importer"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
)

const (
	pnrA = "19850412-1230"
	pnrB = "19791130-4561"
)

// parseP parses a participants file, failing the test on a structural error.
func parseP(t *testing.T, data []byte, opts importer.Options) ([]importer.ParticipantRow, []importer.LineError) {
	t.Helper()
	rows, bad, err := importer.ParseParticipants(bytes.NewReader(data), opts, now)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return rows, bad
}

func utf16LE(t *testing.T, s string) []byte {
	t.Helper()
	b, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func cp1252(t *testing.T, s string) []byte {
	t.Helper()
	b, err := charmap.Windows1252.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The same two participants in every text shape a file arrives in read the same.
func TestTextShapesReadAlike(t *testing.T) {
	t.Parallel()
	lines := func(sep, eol string) string {
		return strings.Join([]string{"personnummer", "förnamn", "efternamn", "kön"}, sep) + eol +
			strings.Join([]string{pnrA, "Åsa", "Öberg", "K"}, sep) + eol +
			strings.Join([]string{pnrB, "Renée", "\"Ek" + sep + "ström\"", "M"}, sep) + eol
	}
	for name, data := range map[string][]byte{
		"comma LF":                                 []byte(lines(",", "\n")),
		"semicolon CRLF BOM":                       []byte("\ufeff" + lines(";", "\r\n")),
		"semicolon CR (old Mac)":                   []byte(lines(";", "\r")),
		"Windows-1252 semicolon CRLF":              cp1252(t, lines(";", "\r\n")),
		"Windows-1252 semicolon after a UTF-8 BOM": append([]byte("\xEF\xBB\xBF"), cp1252(t, lines(";", "\r\n"))...),
		"UTF-16 tab (Unicode text)":                utf16LE(t, lines("\t", "\r\n")),
	} {
		rows, bad := parseP(t, data, importer.Options{})
		if len(bad) != 0 || len(rows) != 2 {
			t.Errorf("%s: %d rows, bad %v", name, len(rows), bad)
			continue
		}
		a, b := rows[0].Input, rows[1].Input
		sep := map[bool]string{true: ";", false: ","}[strings.Contains(name, "semicolon")]
		if strings.Contains(name, "tab") {
			sep = "\t"
		}
		if a.GivenName != "Åsa" || a.FamilyName != "Öberg" || b.GivenName != "Renée" || b.FamilyName != "Ek"+sep+"ström" || rows[1].Line != 3 {
			t.Errorf("%s: read %q %q, %q %q (line %d)", name, a.GivenName, a.FamilyName, b.GivenName, b.FamilyName, rows[1].Line)
		}
	}
}

// A file that is valid UTF-8 is never decoded again, even where its bytes would also
// be Windows-1252 letters; a file with bytes Windows-1252 does not use is refused with
// how to save it as UTF-8, never stored with replacement characters.
func TestEncodingRule(t *testing.T) {
	t.Parallel()
	rows, _ := parseP(t, []byte("personnummer;förnamn;efternamn;kön\n"+pnrA+";Ã¥sa;Ö;K\n"), importer.Options{})
	if len(rows) != 1 || rows[0].Input.GivenName != "Ã¥sa" {
		t.Errorf("valid UTF-8 read as %+v", rows)
	}
	bad := append(cp1252(t, "personnummer;förnamn;efternamn;kön\n"+pnrA+";Åsa;"), 0x81, '\n')
	_, _, err := importer.ParseParticipants(bytes.NewReader(bad), importer.Options{}, now)
	if err == nil || !strings.Contains(err.Error(), "CSV UTF-8") || strings.Contains(err.Error(), "Åsa") {
		t.Errorf("undecodable file: %v", err)
	}
	_, _, err = importer.ParseParticipants(strings.NewReader("personnummer;förnamn;efternamn;kön\n"+pnrA+";\ufffdsa;Berg;K\n"), importer.Options{}, now)
	if err == nil || !strings.Contains(err.Error(), "replacement characters") {
		t.Errorf("a file with U+FFFD: %v", err)
	}
	_, _, err = importer.ParseParticipants(bytes.NewReader([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0}), importer.Options{}, now)
	if err == nil || !strings.Contains(err.Error(), ".xls") {
		t.Errorf("Excel 97-2003 workbook: %v", err)
	}
}

// Header problems are told in words an administrator understands: which required
// columns are missing (with their Swedish names), which were found, and when a
// separator is to blame; a first line of data is never repeated.
func TestHeaderMessages(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		file      string
		want, not []string
	}{
		"missing": {file: "Personnummer;Förnamn;Efternamn;Stadsdel\n",
			want: []string{"lacks required columns: gender (or kön)", `Columns found: "Personnummer", "Förnamn", "Efternamn", "Stadsdel"`}},
		"mixed separators": {file: "personnummer;förnamn,efternamn;kön\n",
			want: []string{"family_name (or efternamn)", "read as separated by semicolons (;), but a heading holds commas (,)"}},
		"semicolon file read as comma": {file: "Personnummer;Förnamn;Efternamn;Kön,Stadsdel,Född i,Nyanländ,Inskriven AF\n",
			want: []string{"read as separated by commas (,), but a heading holds semicolons (;)", "lacks required columns: personal_identity_number (or personnummer)"}},
		"twice": {file: "personnummer,pnr,förnamn,efternamn,kön\n",
			want: []string{`"personnummer" and "pnr" both give personal_identity_number`}},
		"data, no header": {file: pnrA + ";Åsa;Öberg;K\n",
			want: []string{"looks like data", "add a header line"}, not: []string{"1230", "Åsa", "Öberg"}},
	} {
		_, _, err := importer.ParseParticipants(strings.NewReader(tc.file), importer.Options{}, now)
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q lacks %q", name, err, w)
			}
		}
		for _, n := range tc.not {
			if strings.Contains(err.Error(), n) {
				t.Errorf("%s: %q repeats %q from the file", name, err, n)
			}
		}
	}
}

// A semicolon line under a comma header is one column, not four: the error says the
// separator is to blame and repeats nothing of the line.
func TestLineWithAnotherSeparator(t *testing.T) {
	t.Parallel()
	rows, bad := parseP(t, []byte("personal_identity_number,given_name,family_name,gender\n"+pnrA+",Åsa,Öberg,K\n"+pnrB+";Jörgen;Ängström;M\n"), importer.Options{})
	if len(rows) != 1 || len(bad) != 1 || bad[0].Line != 3 || bad[0].Column != "" ||
		!strings.Contains(bad[0].Reason, "semicolons") || !strings.Contains(bad[0].Reason, "separated by commas") {
		t.Fatalf("rows %d, bad %v", len(rows), bad)
	}
	if strings.Contains(bad[0].Error(), "4561") || strings.Contains(bad[0].Error(), "Jörgen") {
		t.Errorf("the error repeats the line: %s", bad[0])
	}
}

// A number Excel showed in exponent form and saved so in a CSV has lost digits: the
// error says why and how to fix it, not only that the check digit is wrong.
func TestExponentNumberInText(t *testing.T) {
	t.Parallel()
	_, bad := parseP(t, []byte("personnummer;förnamn;efternamn;kön\n1,98504E+11;Åsa;Öberg;K\n"), importer.Options{})
	if len(bad) != 1 || bad[0].Column != "personal_identity_number" || bad[0].Heading != "personnummer" ||
		!strings.Contains(bad[0].Reason, "exponent form") || strings.Contains(bad[0].Reason, "98504") {
		t.Fatalf("bad %v", bad)
	}
	if got := bad[0].Error(); got != "line 2: personnummer [personal_identity_number]: "+bad[0].Reason {
		t.Errorf("error reads %q", got)
	}
	_, bad = parseP(t, []byte("personnummer;förnamn;efternamn;kön\n503077893;Renée;Ek;K\n"), importer.Options{})
	if len(bad) != 1 || !strings.Contains(bad[0].Reason, "has 9 digits, not 10 or 12: Excel drops the leading zero") || strings.Contains(bad[0].Reason, "503") {
		t.Errorf("nine digits: %v", bad)
	}
}

// rawNumber is a numeric cell stored exactly as given (as other programs write them).
type rawNumber string

// workbook builds an .xlsx in memory from rows of cell values.
func workbook(t *testing.T, sheet string, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		for j, v := range r {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			set := func() error { return f.SetCellValue(sheet, cell, v) }
			if raw, ok := v.(rawNumber); ok {
				set = func() error { return f.SetCellDefault(sheet, cell, string(raw)) }
			}
			if err := set(); err != nil {
				t.Fatal(err)
			}
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// A workbook's errors name the sheet, the row and the column by heading and letter;
// a sheet that does not exist is named with those that do; blank rows are skipped.
func TestWorkbookErrors(t *testing.T) {
	t.Parallel()
	data := workbook(t, "Blad1", [][]any{
		{"Kön", "Förnamn", "Efternamn", "Personnummer"},
		{"K", "Åsa", "Öberg", 198504121230},
		{},
		{"robot", "Jörgen", "Ängström", 197911304562}, // row 4: gender and check digit
	})
	rows, bad := parseP(t, data, importer.Options{})
	if len(rows) != 1 || rows[0].Input.PersonalIdentityNumber != pnrA || len(bad) != 2 {
		t.Fatalf("rows %+v, bad %v", rows, bad)
	}
	got := fmt.Sprint(bad)
	for _, want := range []string{`sheet "Blad1" row 4: Kön (A) [gender]: want woman`, `sheet "Blad1" row 4: Personnummer (D) [personal_identity_number]: invalid personal identity number`} {
		if !strings.Contains(got, want) {
			t.Errorf("%s lacks %q", got, want)
		}
	}
	if strings.Contains(got, "4562") || strings.Contains(got, "robot") {
		t.Errorf("errors repeat cells: %s", got)
	}
	_, _, err := importer.ParseParticipants(bytes.NewReader(data), importer.Options{Sheet: "Deltagare"}, now)
	if err == nil || !strings.Contains(err.Error(), `no sheet named "Deltagare"; its sheets are "Blad1"`) {
		t.Errorf("unknown sheet: %v", err)
	}
	_, _, err = importer.ParseParticipants(strings.NewReader("personnummer,förnamn,efternamn,kön\n"), importer.Options{Sheet: "Blad1"}, now)
	if err == nil || !strings.Contains(err.Error(), "not an .xlsx workbook") {
		t.Errorf("a sheet named for a text file: %v", err)
	}
}

// Spreadsheet cells become the values their columns mean: a 10-digit personal identity
// number that lost its leading zero gets it back; a month typed as a date serial is
// that month; a number stored in exponent form reads as the number it is.
func TestWorkbookCells(t *testing.T) {
	t.Parallel()
	data := workbook(t, "Blad1", [][]any{
		{"Personnummer", "Månad", "Status", "Källa", "Omfattning"},
		{503077893, 43466, "studies", "af_data", rawNumber("3.75E+1")}, // 0503077893; 2019-01-01; 37.5
	})
	rows, bad, err := importer.ParseObservations(bytes.NewReader(data), importer.Options{}, now)
	if err != nil || len(bad) != 0 || len(rows) != 1 {
		t.Fatalf("%v, bad %v, rows %d", err, bad, len(rows))
	}
	r := rows[0]
	if r.PersonalIdentityNumber != "20050307-7893" || r.Input.Month.Format("2006-01-02") != "2019-01-01" || r.Input.EmploymentRate == nil || *r.Input.EmploymentRate != 37.5 {
		t.Errorf("read %s %s %v", r.PersonalIdentityNumber, r.Input.Month, r.Input.EmploymentRate)
	}
	people, bad := parseP(t, workbook(t, "Blad1", [][]any{
		{"Personnummer", "Förnamn", "Efternamn", "Kön", "Ersättningsdagar", "Född i", "Avstånd till arbetsmarknaden"},
		{rawNumber("1.98504121230E+11"), "Åsa", "Öberg", "K", rawNumber("4.5E+2"), "Utanför Europa", "Röd"},
	}), importer.Options{})
	if len(bad) != 0 || len(people) != 1 || people[0].Input.PersonalIdentityNumber != pnrA || people[0].Input.Attributes == nil {
		t.Fatalf("participants: %+v, bad %v", people, bad)
	}
	if a := people[0].Input.Attributes; *a.GuaranteeDays != 450 || *a.BirthRegion != "outside_europe" || *a.DistanceCategory != "red" {
		t.Errorf("attributes: days %d, region %s, distance %s", *a.GuaranteeDays, *a.BirthRegion, *a.DistanceCategory)
	}
}

// A workbook with a bad row imports nothing; with skip it imports the good rows and
// reports the bad one by sheet and row, as a text file does by line.
func TestWorkbookAllOrNothingThenSkip(t *testing.T) {
	t.Parallel()
	pool := testenv.Postgres(t)
	orgID := newOrg(t, pool, "workbook-skip")
	data := workbook(t, "Deltagare", [][]any{
		{"Personnummer", "Förnamn", "Efternamn", "Kön"},
		{198504121230, "Åsa", "Öberg", "K"},
		{197911304562, "Jörgen", "Ängström", "M"}, // row 3: wrong check digit
		{681224_8026, "Zoë", "Müller", "annan"},   // 10 digits without the century
	})
	rows, bad := parseP(t, data, importer.Options{})
	if len(rows) != 2 || len(bad) != 1 || bad[0].Sheet != "Deltagare" || bad[0].Line != 3 || bad[0].Column != "personal_identity_number" {
		t.Fatalf("rows %d, bad %v", len(rows), bad)
	}
	count := func() int {
		var n int
		if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM participant WHERE organisation_id = $1`, orgID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	res, err := importer.ImportParticipants(context.Background(), pool, orgID, rows, bad, false, nil)
	if apperr.CodeOf(err) != apperr.Invalid || res.Imported != 0 || len(res.Bad) != 1 || count() != 0 {
		t.Fatalf("without skip: %v, %+v, %d registered", err, res, count())
	}
	res, err = importer.ImportParticipants(context.Background(), pool, orgID, rows, bad, true, nil)
	if err != nil || res.Imported != 2 || res.Skipped != 1 || count() != 2 {
		t.Fatalf("with skip: %v, %+v, %d registered", err, res, count())
	}
}
