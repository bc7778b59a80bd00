//go:build ignore

// generate writes the Excel-shaped fixtures beside it, as Excel in Swedish settings
// saves them. Run it from the repository root when the fixtures need to change:
//
//	go run internal/domain/importer/testdata/excel/generate.go
//
// The tests read the committed files, never this program.
package main

import (
	"bytes"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
)

const dir = "internal/domain/importer/testdata/excel"

// participants as an administrator keeps them: Swedish headings, Swedish values, the
// personal identity numbers in the forms people type them.
var participants = [][]string{
	{"Personnummer", "Förnamn", "Efternamn", "Kön", "Stadsdel", "Inskriven AF", "Ersättningsdagar"},
	{"19850412-1230", "Åsa", "Öberg", "Kvinna", "Gränby", "Ja", "450"},
	{"197911304561", "Jörgen", "Ängström", "M", "Gottsunda", "Nej", ""},
	{"050307-7893", "Renée", "Ekström-Åhlén", "K", "Sävja", "", ""},
	{"19900615-2467", "Märta Lovisa", "Öst", "Ej angivet", "", "", ""},
	{"681224-8026", "Zoë", "Müller", "Annan", "Västra Stenhagen", "ja", "0"},
	{"", "", "", "", "", "", ""}, // Excel writes rows it once held as separators only
}

var observations = [][]string{
	{"Personnummer", "Månad", "Status", "Källa", "Försörjningsstöd", "Omfattning"},
	{"19850412-1230", "2019-01", "studies", "af_data", "nej", ""},
	{"19791130-4561", "2019-02", "unsubsidised_employment_part", "employer", "ja", "37,5"},
	{"0503077893", "2019-03", "job_seeking", "phone_follow_up", "", ""},
}

func main() {
	write("participants-utf8-bom-semicolon-crlf.csv", append([]byte("\xEF\xBB\xBF"), csv(participants)...))
	write("participants-windows1252-semicolon-crlf.csv", cp1252(csv(participants)))
	write("observations-windows1252-semicolon-crlf.csv", cp1252(csv(observations)))
	write("participants-and-observations.xlsx", workbook(false))
	write("observations-1904.xlsx", workbook(true))
}

// csv is "CSV (semikolonavgränsad)": semicolons, CRLF, no quotes where none are needed.
func csv(rows [][]string) []byte {
	var b bytes.Buffer
	for _, r := range rows {
		b.WriteString(strings.Join(r, ";") + "\r\n")
	}
	return b.Bytes()
}

func cp1252(b []byte) []byte {
	out, err := charmap.Windows1252.NewEncoder().Bytes(b)
	if err != nil {
		log.Fatal(err)
	}
	return out
}

// workbook is participants on the first sheet and observations on the second, with
// the cells Excel makes of typed values: personal identity numbers typed without a
// hyphen become numbers (one stored in exponent form, one 10-digit number that lost its
// leading zero), months become date serials. With date1904 the workbook holds only
// observations, its dates counted from 1904 (Excel for Mac's old default).
func workbook(date1904 bool) []byte {
	f := excelize.NewFile()
	month, err := f.NewStyle(&excelize.Style{CustomNumFmt: ptr("yyyy-mm")})
	if err != nil {
		log.Fatal(err)
	}
	obsSheet := "Uppföljning"
	if date1904 {
		if err := f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: ptr(true)}); err != nil {
			log.Fatal(err)
		}
		obsSheet = "Blad1"
		must(f.SetSheetName("Sheet1", obsSheet))
	} else {
		must(f.SetSheetName("Sheet1", "Deltagare"))
		for i, r := range participants[:len(participants)-1] {
			for j, v := range r {
				if v != "" { // Excel stores no empty cells
					must(f.SetCellValue("Deltagare", cell(j, i), v))
				}
			}
		}
		must(f.SetCellValue("Deltagare", "A2", 198504121230))          // a 12-digit number
		must(f.SetCellDefault("Deltagare", "A3", "1.97911304561E+11")) // the same, in exponent form
		must(f.SetCellValue("Deltagare", "A4", 503077893))             // 0503077893 without its zero
		must(f.SetCellValue("Deltagare", "A6", 196812248026))          // another number
		must(f.SetCellValue("Deltagare", "G2", 450))                   // days as a number
		must(f.SetCellValue("Deltagare", "G6", 0))
		if _, err := f.NewSheet(obsSheet); err != nil {
			log.Fatal(err)
		}
	}
	for i, r := range observations {
		for j, v := range r {
			if v != "" {
				must(f.SetCellValue(obsSheet, cell(j, i), v))
			}
		}
		if i == 0 {
			continue
		}
		m, err := time.Parse("2006-01", r[1])
		if err != nil {
			log.Fatal(err)
		}
		must(f.SetCellValue(obsSheet, cell(1, i), m)) // a date serial in the workbook's date system
		must(f.SetCellStyle(obsSheet, cell(1, i), cell(1, i), month))
	}
	must(f.SetCellValue(obsSheet, "A2", 198504121230))
	must(f.SetCellValue(obsSheet, "A3", 197911304561))
	must(f.SetCellValue(obsSheet, "A4", 503077893))
	must(f.SetCellValue(obsSheet, "F3", 37.5))
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		log.Fatal(err)
	}
	return b.Bytes()
}

func cell(col, row int) string {
	name, err := excelize.CoordinatesToCellName(col+1, row+1)
	if err != nil {
		log.Fatal(err)
	}
	return name
}

func write(name string, data []byte) {
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
		log.Fatal(err)
	}
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }
