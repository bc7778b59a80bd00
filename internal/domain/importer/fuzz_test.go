package importer_test

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/arbetsmarknad/outcomes/internal/domain/importer"
)

// FuzzParseObservations: the parser never panics; every row it accepts passes the
// domain's validation again; every reported line exists; no error repeats a personal
// identity number from the file.
func FuzzParseObservations(f *testing.F) {
	f.Add([]byte("personal_identity_number,month,status,social_assistance,source\n19811218-9876,2019-01,studies,false,af_data\n"))
	f.Add([]byte("personal_identity_number,month,status,social_assistance,source,employment_rate\n811218-9876,2019-13,x,maybe,y,abc\n\"unterminated\n"))
	f.Add([]byte("source,month,status,social_assistance,personal_identity_number\naf_data,2020-02,job_seeking,ja,19701063-2391\n,,,,\n"))
	f.Add([]byte("\xEF\xBB\xBFPersonnummer;M\xE5nad;Status;K\xE4lla\r\n1,98504E+11;2019-01-15;studies;af_data\r\n;;;\r\n"))
	if xlsx, err := os.ReadFile("testdata/excel/observations-1904.xlsx"); err == nil {
		f.Add(xlsx) // a workbook: the fuzzer mutates a real zip
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, bad, err := importer.ParseObservations(bytes.NewReader(data), importer.Options{}, now)
		if err != nil {
			return
		}
		lines := fileLines(data)
		for _, r := range rows {
			in := r.Input
			in.ParticipantID = "x"
			if err := in.Validate(now); err != nil {
				t.Fatalf("accepted row %d fails validation: %v", r.Line, err)
			}
			if r.Line < 2 || r.Line > lines {
				t.Fatalf("row line %d outside the file (%d lines)", r.Line, lines)
			}
		}
		for _, e := range bad {
			if e.Line < 2 || e.Line > lines {
				t.Fatalf("error line %d outside the file (%d lines)", e.Line, lines)
			}
			for _, r := range rows {
				if digits := strings.ReplaceAll(r.PersonalIdentityNumber, "-", ""); strings.Contains(e.Reason, digits) {
					t.Fatalf("error repeats a personal identity number: %q", e.Reason)
				}
			}
		}
	})
}

// fileLines is how many lines a file has, counting CR line ends where it has no LF; a
// workbook's rows are not lines, so any row number goes.
func fileLines(data []byte) int {
	if bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		return 1 << 20
	}
	if n := bytes.Count(data, []byte("\n")); n > 0 {
		return n + 1
	}
	return bytes.Count(data, []byte("\r")) + 1
}

// FuzzParseParticipants: the parser never panics; every row it accepts passes the
// domain's validation again and has a number no other accepted row has; every reported
// line exists; no error repeats a personal identity number from the file.
func FuzzParseParticipants(f *testing.F) {
	f.Add([]byte("personal_identity_number,given_name,family_name,gender\n19811218-9876,Anna,Berg,woman\n"))
	f.Add([]byte("personal_identity_number,given_name,family_name,gender,district,birth_region,newly_arrived,registered_at_af,social_assistance,guarantee_days,education_level,distance_category\n" +
		"811218-9876,A,B,K,Gottsunda,europe,ja,1,nej,450,upper_secondary,red\n811218-9876,A,B,M,,,,,,,,\n19811318-9875,,,robot,,mars,kanske,2,x,-3,phd,blue\n"))
	f.Add([]byte("gender,family_name,given_name,personal_identity_number\nnot_stated,\"Berg, Anna\",,121212+1212\n\"unterminated\n"))
	f.Add([]byte("Personnummer;F\xF6rnamn;Efternamn;K\xF6n\r198504121230;\xC5sa;\xD6berg;Kvinna\r"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, bad, err := importer.ParseParticipants(bytes.NewReader(data), importer.Options{}, now)
		if err != nil {
			return
		}
		lines := fileLines(data)
		seen := map[string]bool{}
		for _, r := range rows {
			in := r.Input
			if _, err := in.Validate(now); err != nil {
				t.Fatalf("accepted row %d fails validation: %v", r.Line, err)
			}
			if r.Line < 2 || r.Line > lines {
				t.Fatalf("row line %d outside the file (%d lines)", r.Line, lines)
			}
			if seen[in.PersonalIdentityNumber] {
				t.Fatalf("row %d repeats an accepted number", r.Line)
			}
			seen[in.PersonalIdentityNumber] = true
		}
		for _, e := range bad {
			if e.Line < 2 || e.Line > lines {
				t.Fatalf("error line %d outside the file (%d lines)", e.Line, lines)
			}
			for n := range seen {
				if digits := strings.ReplaceAll(n, "-", ""); strings.Contains(e.Reason, digits) || strings.Contains(e.Reason, digits[2:]) {
					t.Fatalf("error repeats a personal identity number: %q", e.Reason)
				}
			}
		}
	})
}
