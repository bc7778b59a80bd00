package export_test

import (
	"bytes"
	"encoding/csv"
	"testing"

	"github.com/arbetsmarknad/outcomes/internal/platform/export"
)

func TestCell(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"":                           "",
		"Uppsala kommun":             "Uppsala kommun",
		"Anna-Karin":                 "Anna-Karin",
		"=1+1":                       "'=1+1",
		"+46701234567":               "+46701234567", // a number: left for R and Stata
		"+46 70 123":                 "'+46 70 123",
		"-1":                         "-1",
		"-1+1":                       "'-1+1",
		"@SUM(A1:A9)":                "'@SUM(A1:A9)",
		"\t=cmd|'/c calc'!A1":        "'\t=cmd|'/c calc'!A1",
		"\r=1":                       "'\r=1",
		"  =HYPERLINK(\"x\")":        "'  =HYPERLINK(\"x\")",
		"＝1+1":                       "'＝1+1",
		"2.5":                        "2.5",
		"1e-3":                       "1e-3",
		"-2E+5":                      "-2E+5",
		"-.5":                        "-.5",
		"-":                          "'-",
		"-e5":                        "'-e5",
		"2018-03-01":                 "2018-03-01",
		"=HYPERLINK(\"http://x\",1)": "'=HYPERLINK(\"http://x\",1)",
	}
	for in, want := range cases {
		if got := export.Cell(in); got != want {
			t.Errorf("Cell(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCSVWriterNeutralisesEveryField(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	w := export.NewCSVWriter(&buf)
	if err := w.Write([]string{"=1+1", "-1", "a,b"}); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	got, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"'=1+1", "-1", "a,b"}
	if len(got) != 1 || len(got[0]) != 3 || got[0][0] != want[0] || got[0][1] != want[1] || got[0][2] != want[2] {
		t.Fatalf("read back %q, want %q", got, want)
	}
}
