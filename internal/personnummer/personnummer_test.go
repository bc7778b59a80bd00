package personnummer_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/personnummer"
)

var now = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func TestParseOK(t *testing.T) {
	cases := []struct {
		in, canonical, birth string
		coordination         bool
		gender               string
	}{
		{"19811218-9876", "19811218-9876", "1981-12-18", false, "man"},
		{"198112189876", "19811218-9876", "1981-12-18", false, "man"},
		{"811218-9876", "19811218-9876", "1981-12-18", false, "man"},
		{" 8112189876 ", "19811218-9876", "1981-12-18", false, "man"},
		{"19850402-0028", "19850402-0028", "1985-04-02", false, "woman"},
		{"20000229-0005", "20000229-0005", "2000-02-29", false, "woman"}, // leap day
		{"19701063-2391", "19701063-2391", "1970-10-03", true, "man"},    // samordningsnummer
		{"121212+1212", "19121212-1212", "1912-12-12", false, "man"},     // 100 years or older
		{"121212-1212", "20121212-1212", "2012-12-12", false, "man"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			n, err := personnummer.Parse(tc.in, now)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if n.String() != tc.canonical {
				t.Errorf("String = %s, want %s", n.String(), tc.canonical)
			}
			if got := n.BirthDate().Format("2006-01-02"); got != tc.birth {
				t.Errorf("BirthDate = %s, want %s", got, tc.birth)
			}
			if n.IsCoordination() != tc.coordination {
				t.Errorf("IsCoordination = %v", n.IsCoordination())
			}
			if n.Gender() != tc.gender {
				t.Errorf("Gender = %s, want %s", n.Gender(), tc.gender)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct{ name, in, reason string }{
		{"CheckDigit", "19811218-9875", "check digit"},
		{"Month13", "19811318-9876", "month 13"},
		{"Feb30", "19810230-1234", "day out of range"},
		{"Feb29NonLeap", "19010229-1234", "day out of range"},
		{"Future", "20991218-9876", "future"},
		{"Letters", "1981121A-9876", "only digits"},
		{"TooShort", "8112189876"[:9], "10 or 12 digits"},
		{"TooLong", "1981121898765", "10 or 12 digits"},
		{"Empty", "", "10 or 12 digits"},
		{"PlusWithCentury", "19121212+1212", "'+'"},
		{"CoordinationDay92", "19701092-2391", "day out of range"},
		{"SeparatorMisplaced", "198112-189876", "only digits"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := personnummer.Parse(tc.in, now)
			if err == nil {
				t.Fatal("Parse accepted an invalid number")
			}
			if !errors.Is(err, personnummer.ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("error %q does not say %q", err, tc.reason)
			}
			if len(tc.in) >= 10 && strings.Contains(err.Error(), strings.TrimSpace(tc.in)) {
				t.Errorf("error repeats the number: %q", err)
			}
		})
	}
}
