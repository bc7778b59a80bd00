package analytics_test

import (
	"bytes"
	"encoding/csv"
	"os"
	"strings"
	"testing"

	"github.com/arbetsmarknad/outcomes/warehouse/analytics"
	"github.com/arbetsmarknad/outcomes/warehouse/outcomes"
)

// Every microdata column has one dictionary entry, in the same order, and docs/API.md
// lists each one; the status columns name the one status rule.
func TestMicrodataDictionaryCoversEveryColumn(t *testing.T) {
	if len(analytics.MicrodataDictionary) != len(analytics.MicrodataColumns) {
		t.Fatalf("%d dictionary entries for %d columns", len(analytics.MicrodataDictionary), len(analytics.MicrodataColumns))
	}
	doc, err := os.ReadFile("../../docs/API.md")
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range analytics.MicrodataDictionary {
		if e.Column != analytics.MicrodataColumns[i] || e.Meaning == "" || e.Type == "" {
			t.Errorf("entry %d = %+v, column %s", i, e, analytics.MicrodataColumns[i])
		}
		if !strings.Contains(string(doc), "| `"+e.Column+"` |") {
			t.Errorf("docs/API.md does not describe microdata column %s", e.Column)
		}
		if strings.HasPrefix(e.Column, "status_") && !strings.Contains(e.Meaning, outcomes.StatusVersion) {
			t.Errorf("%s does not name the status rule", e.Column)
		}
	}
	var buf bytes.Buffer
	if err := analytics.WriteMicrodataDictionary(&buf); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(rows) != len(analytics.MicrodataColumns)+1 || rows[1][0] != "enrolment_key" {
		t.Errorf("dictionary CSV: %d rows, %v", len(rows), err)
	}
}
