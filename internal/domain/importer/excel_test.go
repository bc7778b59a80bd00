package importer_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/xuri/excelize/v2"

	"github.com/arbetsmarknad/outcomes/internal/domain/domaintest"
	"github.com/arbetsmarknad/outcomes/internal/domain/importer"
	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
)

// The fixtures under testdata/excel are files as Excel in Swedish settings saves them
// (written by testdata/excel/generate.go): "CSV (semikolonavgränsad)" in UTF-8 with a
// byte-order mark and in Windows-1252, both with CRLF, and an .xlsx workbook whose
// personal identity numbers and months are numeric cells.
func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "excel", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wantPeople are the fixtures' participants: canonical number -> given name, family
// name, gender and district, as UTF-8 bytes.
var wantPeople = map[string][4]string{
	"19850412-1230": {"\xc3\x85sa", "\xc3\x96berg", "woman", "Gr\xc3\xa4nby"},                        // Åsa Öberg
	"19791130-4561": {"J\xc3\xb6rgen", "\xc3\x84ngstr\xc3\xb6m", "man", "Gottsunda"},                 // Jörgen Ängström
	"20050307-7893": {"Ren\xc3\xa9e", "Ekstr\xc3\xb6m-\xc3\x85hl\xc3\xa9n", "woman", "S\xc3\xa4vja"}, // Renée Ekström-Åhlén
	"19900615-2467": {"M\xc3\xa4rta Lovisa", "\xc3\x96st", "not_stated", ""},                         // Märta Lovisa Öst
	"19681224-8026": {"Zo\xc3\xab", "M\xc3\xbcller", "other", "V\xc3\xa4stra Stenhagen"},             // Zoë Müller
}

func newOrg(t *testing.T, pool *pgxpool.Pool, code string) string {
	return domaintest.Organisation(t, pool, code).ID
}

// importParticipantFile parses and imports a file all or nothing, failing on any bad row.
func importParticipantFile(t *testing.T, pool *pgxpool.Pool, orgID string, data []byte, opts importer.Options) {
	t.Helper()
	rows, bad, err := importer.ParseParticipants(bytes.NewReader(data), opts, now)
	if err != nil || len(bad) > 0 {
		t.Fatalf("parse: %v, bad rows %v", err, bad)
	}
	res, err := importer.ImportParticipants(context.Background(), pool, orgID, rows, nil, false, nil)
	if err != nil || res.Imported != len(wantPeople) {
		t.Fatalf("import: %v, %+v; want %d imported", err, res, len(wantPeople))
	}
}

// Each Excel participants file registers the same five people, their names as
// PostgreSQL stores them equal byte for byte to the UTF-8 of the names typed in Excel.
func TestExcelParticipantFilesImport(t *testing.T) {
	t.Parallel()
	pool := testenv.Postgres(t)
	for i, tc := range []struct{ file, sheet string }{
		{file: "participants-utf8-bom-semicolon-crlf.csv"},
		{file: "participants-windows1252-semicolon-crlf.csv"},
		{file: "participants-and-observations.xlsx"},                     // the first sheet
		{file: "participants-and-observations.xlsx", sheet: "Deltagare"}, // named
	} {
		t.Run(tc.file+"/"+tc.sheet, func(t *testing.T) {
			orgID := newOrg(t, pool, fmt.Sprintf("excel-p%d", i))
			importParticipantFile(t, pool, orgID, fixture(t, tc.file), importer.Options{Sheet: tc.sheet})
			q, err := pool.Query(context.Background(), `SELECT p.personal_identity_number, p.given_name, p.family_name, p.gender,
					coalesce((SELECT a.district FROM participant_attributes a WHERE a.participant_id = p.id), '')
				FROM participant p WHERE p.organisation_id = $1`, orgID)
			if err != nil {
				t.Fatal(err)
			}
			defer q.Close()
			seen := 0
			for q.Next() {
				var pnr string
				var got [4]string
				if err := q.Scan(&pnr, &got[0], &got[1], &got[2], &got[3]); err != nil {
					t.Fatal(err)
				}
				want, ok := wantPeople[pnr]
				if !ok {
					t.Errorf("an unexpected personal identity number was registered")
					continue
				}
				seen++
				for i := range want {
					if !bytes.Equal([]byte(got[i]), []byte(want[i])) {
						t.Errorf("%s field %d: stored % x (%q), want % x (%q)", pnr, i, got[i], got[i], want[i], want[i])
					}
				}
			}
			if err := q.Err(); err != nil {
				t.Fatal(err)
			}
			if seen != len(wantPeople) {
				t.Errorf("%d of %d people registered", seen, len(wantPeople))
			}
		})
	}
}

// The workbook fixture is what the issue describes: its personal identity numbers are
// numeric cells (one in exponent form, one a 10-digit number without its leading zero)
// and its months date serials, in the 1900 and the 1904 date systems.
func TestExcelWorkbookFixtureHoldsNumbers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file, sheet, cell, raw string
	}{
		{"participants-and-observations.xlsx", "Deltagare", "A2", "198504121230"},
		{"participants-and-observations.xlsx", "Deltagare", "A3", "1.97911304561E+11"},
		{"participants-and-observations.xlsx", "Deltagare", "A4", "503077893"},
		{"participants-and-observations.xlsx", "Uppföljning", "B2", "43466"}, // 2019-01-01 from 1900
		{"observations-1904.xlsx", "Blad1", "B2", "42004"},                   // 2019-01-01 from 1904
	} {
		f, err := excelize.OpenReader(bytes.NewReader(fixture(t, tc.file)))
		if err != nil {
			t.Fatal(err)
		}
		typ, err := f.GetCellType(tc.sheet, tc.cell)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := f.GetCellValue(tc.sheet, tc.cell, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		if typ != excelize.CellTypeUnset || raw != tc.raw { // a number cell has no type attribute
			t.Errorf("%s %s!%s: type %v value %q, want a number %s", tc.file, tc.sheet, tc.cell, typ, raw, tc.raw)
		}
	}
}

// Observations from the workbook's second sheet (by name), from a Windows-1252 CSV with
// Swedish headings and a decimal comma, and from a 1904 workbook land in the months
// the administrator typed.
func TestExcelObservationFilesImport(t *testing.T) {
	t.Parallel()
	pool := testenv.Postgres(t)
	for i, tc := range []struct{ file, sheet string }{
		{"participants-and-observations.xlsx", "Uppföljning"},
		{"observations-windows1252-semicolon-crlf.csv", ""},
		{"observations-1904.xlsx", ""},
	} {
		t.Run(tc.file, func(t *testing.T) {
			ctx := context.Background()
			orgID := newOrg(t, pool, fmt.Sprintf("excel-o%d", i))
			importParticipantFile(t, pool, orgID, fixture(t, "participants-utf8-bom-semicolon-crlf.csv"), importer.Options{})
			rows, bad, err := importer.ParseObservations(bytes.NewReader(fixture(t, tc.file)), importer.Options{Sheet: tc.sheet}, now)
			if err != nil || len(bad) > 0 {
				t.Fatalf("parse: %v, bad rows %v", err, bad)
			}
			if res, err := importer.ImportObservations(ctx, pool, orgID, rows, nil, false, nil); err != nil || res.Imported != 3 {
				t.Fatalf("import: %v, %+v", err, res)
			}
			type obs struct {
				month  string
				status string
				rate   *float64
				sa     *bool
			}
			got := map[string]obs{}
			q, err := pool.Query(ctx, `SELECT p.personal_identity_number, to_char(o.month, 'YYYY-MM'), o.status, o.employment_rate::float8, o.social_assistance
				FROM outcome_observation o JOIN participant p ON p.id = o.participant_id WHERE o.organisation_id = $1`, orgID)
			if err != nil {
				t.Fatal(err)
			}
			for q.Next() {
				var pnr string
				var o obs
				if err := q.Scan(&pnr, &o.month, &o.status, &o.rate, &o.sa); err != nil {
					t.Fatal(err)
				}
				got[pnr] = o
			}
			if err := q.Err(); err != nil {
				t.Fatal(err)
			}
			if o := got["19850412-1230"]; o.month != "2019-01" || o.status != "studies" || o.sa == nil || *o.sa || o.rate != nil {
				t.Errorf("Åsa: %+v", o)
			}
			if o := got["19791130-4561"]; o.month != "2019-02" || o.rate == nil || *o.rate != 37.5 || o.sa == nil || !*o.sa {
				t.Errorf("Jörgen: %+v", o)
			}
			if o := got["20050307-7893"]; o.month != "2019-03" || o.status != "job_seeking" {
				t.Errorf("Renée: %+v", o)
			}
		})
	}
}
