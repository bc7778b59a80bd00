package importer_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/arbetsmarknad/outcomes/internal/domain/importer"
	"github.com/arbetsmarknad/outcomes/internal/domain/outcome"
)

// A file with Swedish headings has Swedish values too: a status and a source are read
// as their codes or as the Swedish names the product itself prints (the steering
// report's exit reasons), in any case, as gender and birth region already are.
func TestSwedishStatusAndSourceNames(t *testing.T) {
	t.Parallel()
	file := "Personnummer;Månad;Sysselsättning;Källa;Försörjningsstöd\r\n" +
		pnrA + ";2019-01;Studier;Telefonuppföljning;nej\r\n" +
		pnrB + ";2019-02;osubventionerat arbete, heltid;ARBETSGIVARE;ja\r\n" +
		"050307-7893;2019-03;job_seeking;af_data;\r\n"
	rows, bad, err := importer.ParseObservations(strings.NewReader(file), importer.Options{}, now)
	if err != nil || len(bad) != 0 || len(rows) != 3 {
		t.Fatalf("%v, bad %v, rows %d", err, bad, len(rows))
	}
	want := [][2]string{{"studies", "phone_follow_up"}, {"unsubsidised_employment_full", "employer"}, {"job_seeking", "af_data"}}
	for i, r := range rows {
		if got := [2]string{string(r.Input.Status), string(r.Input.Source)}; got != want[i] {
			t.Errorf("line %d: read %v, want %v", r.Line, got, want[i])
		}
	}
	// Every status and source by its Swedish name.
	var b bytes.Buffer
	b.WriteString("Personnummer;Månad;Status;Källa\n")
	for i, s := range outcome.Statuses {
		b.WriteString(pnrA + ";2019-01;" + strings.ToUpper(outcome.StatusNames[s]) + ";" + outcome.SourceNames[outcome.Sources[i%len(outcome.Sources)]] + "\n")
	}
	rows, bad, err = importer.ParseObservations(&b, importer.Options{}, now)
	if err != nil || len(bad) != 0 || len(rows) != len(outcome.Statuses) {
		t.Fatalf("every name: %v, bad %v, rows %d", err, bad, len(rows))
	}
	for i, r := range rows {
		if r.Input.Status != outcome.Statuses[i] || r.Input.Source != outcome.Sources[i%len(outcome.Sources)] {
			t.Errorf("line %d: read %s %s", r.Line, r.Input.Status, r.Input.Source)
		}
	}
}

// A status or source the file cannot mean is refused with what it may hold, in the
// file's own column, as every other bad cell is.
func TestUnknownStatusSaysWhatIsAccepted(t *testing.T) {
	t.Parallel()
	file := "Personnummer;Månad;Sysselsättning;Källa\n" + pnrA + ";2019-01;Jobbar lite;Ringde\n"
	_, bad, err := importer.ParseObservations(strings.NewReader(file), importer.Options{}, now)
	if err != nil || len(bad) != 2 {
		t.Fatalf("%v, bad %v", err, bad)
	}
	for _, e := range bad {
		var code, name string
		switch e.Column {
		case "status":
			code, name = string(outcome.Studies), outcome.StatusNames[outcome.Studies]
		case "source":
			code, name = string(outcome.PhoneFollowUp), outcome.SourceNames[outcome.PhoneFollowUp]
		default:
			t.Fatalf("bad column %q: %v", e.Column, e)
		}
		if e.Heading == "" || !strings.Contains(e.Reason, code) || !strings.Contains(e.Reason, name) {
			t.Errorf("%s: %q does not say what the column may hold (such as %s or %s)", e.Heading, e.Reason, code, name)
		}
		if strings.Contains(e.Reason, "Jobbar") || strings.Contains(e.Reason, "Ringde") {
			t.Errorf("the message repeats the cell: %q", e.Reason)
		}
	}
}
