package importer_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/xuri/excelize/v2"

	"github.com/arbetsmarknad/outcomes/internal/domain/importer"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
)

// percentCell is a number in a cell with a number format: a built-in format id, or a
// custom format when custom is set.
type percentCell struct {
	value  float64
	numFmt int
	custom string
}

// styledWorkbook builds an .xlsx of observations whose Omfattning (column E) cells are
// formatted as each row says, as Excel saves a column formatted as a percentage.
func styledWorkbook(t *testing.T, pnrs []int, rates []percentCell) []byte {
	t.Helper()
	f := excelize.NewFile()
	for j, h := range []string{"Personnummer", "Månad", "Status", "Källa", "Omfattning"} {
		cell, _ := excelize.CoordinatesToCellName(j+1, 1)
		if err := f.SetCellValue("Sheet1", cell, h); err != nil {
			t.Fatal(err)
		}
	}
	for i, r := range rates {
		row := i + 2
		for j, v := range []any{pnrs[i], "2019-01", "unsubsidised_employment_part", "af_data", r.value} {
			cell, _ := excelize.CoordinatesToCellName(j+1, row)
			if err := f.SetCellValue("Sheet1", cell, v); err != nil {
				t.Fatal(err)
			}
		}
		style := &excelize.Style{NumFmt: r.numFmt}
		if r.custom != "" {
			style = &excelize.Style{CustomNumFmt: &r.custom}
		}
		id, err := f.NewStyle(style)
		if err != nil {
			t.Fatal(err)
		}
		cell, _ := excelize.CoordinatesToCellName(5, row)
		if err := f.SetCellStyle("Sheet1", cell, cell, id); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// fivePeople is a new organisation with the fixtures' five people registered.
func fivePeople(t *testing.T, code string) (*pgxpool.Pool, string) {
	t.Helper()
	pool := testenv.Postgres(t)
	orgID := newOrg(t, pool, code)
	importParticipantFile(t, pool, orgID, fixture(t, "participants-utf8-bom-semicolon-crlf.csv"), importer.Options{})
	return pool, orgID
}

// An employment rate Excel shows as a percentage (75 %, stored as 0.75) is read and
// stored as shown, 75, whichever percentage format the cell has; a number shown
// without a scaling per cent sign is read as written.
func TestWorkbookPercentCellsReadAsShown(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, orgID := fivePeople(t, "workbook-percent")
	pnrs := []int{198504121230, 197911304561, 200503077893, 199006152467, 196812248026}
	want := map[string]float64{ // canonical number -> the rate Excel shows
		"19850412-1230": 75,   // 0 %
		"19791130-4561": 37.5, // 0.00 %
		"20050307-7893": 7.5,  // custom 0.0%
		"19900615-2467": 75,   // custom 0" %": a literal sign, the number is 75
		"19681224-8026": 50,   // general
	}
	data := styledWorkbook(t, pnrs, []percentCell{
		{value: 0.75, numFmt: 9},
		{value: 0.375, numFmt: 10},
		{value: 0.075, custom: "0.0%"},
		{value: 75, custom: `0" %"`},
		{value: 50},
	})
	rows, bad, err := importer.ParseObservations(bytes.NewReader(data), importer.Options{}, now)
	if err != nil || len(bad) != 0 || len(rows) != 5 {
		t.Fatalf("parse: %v, bad %v, rows %d", err, bad, len(rows))
	}
	if res, err := importer.ImportObservations(ctx, pool, orgID, rows, nil, false, nil); err != nil || res.Imported != 5 {
		t.Fatalf("import: %v, %+v", err, res)
	}
	q, err := pool.Query(ctx, `SELECT p.personal_identity_number, o.employment_rate::float8
		FROM outcome_observation o JOIN participant p ON p.id = o.participant_id WHERE o.organisation_id = $1`, orgID)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	seen := 0
	for q.Next() {
		var pnr string
		var rate float64
		if err := q.Scan(&pnr, &rate); err != nil {
			t.Fatal(err)
		}
		seen++
		if rate != want[pnr] {
			t.Errorf("%s: stored %v, Excel shows %v", pnr, rate, want[pnr])
		}
	}
	if err := q.Err(); err != nil || seen != 5 {
		t.Fatalf("%v, %d stored", err, seen)
	}
}

// A percentage cell that is still out of range when read as shown (150 %) is refused
// with its sheet, row and column, and nothing is written, as a CSV's "75 %" is.
func TestWorkbookPercentOutOfRangeRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, orgID := fivePeople(t, "workbook-percent-bad")
	data := styledWorkbook(t, []int{198504121230, 197911304561}, []percentCell{{value: 0.5, numFmt: 9}, {value: 1.5, numFmt: 9}})
	rows, bad, err := importer.ParseObservations(bytes.NewReader(data), importer.Options{}, now)
	if err != nil || len(rows) != 1 || len(bad) != 1 {
		t.Fatalf("parse: %v, rows %d, bad %v", err, len(rows), bad)
	}
	if e := bad[0]; e.Sheet != "Sheet1" || e.Line != 3 || e.Column != "employment_rate" || e.Heading != "Omfattning (E)" {
		t.Errorf("refusal names %+v, want Sheet1 row 3 employment_rate (Omfattning (E))", e)
	}
	res, err := importer.ImportObservations(ctx, pool, orgID, rows, bad, false, nil)
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM outcome_observation WHERE organisation_id = $1`, orgID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if apperr.CodeOf(err) != apperr.Invalid || res.Imported != 0 || n != 0 {
		t.Errorf("import: %v, %+v, %d stored; want INVALID and nothing stored", err, res, n)
	}
	_, csvBad, err := importer.ParseObservations(strings.NewReader("personnummer;månad;status;källa;omfattning\n19850412-1230;2019-01;unsubsidised_employment_part;af_data;75 %\n"), importer.Options{}, now)
	if err != nil || len(csvBad) != 1 || csvBad[0].Column != "employment_rate" || csvBad[0].Line != 2 {
		t.Errorf("CSV 75 %%: %v, %v", err, csvBad)
	}
}
