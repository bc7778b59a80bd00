package personnummer_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/domain/personnummer"
)

// now is fixed so that century and future-date rules are deterministic.
var now = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// All numbers below have check digits computed with the Luhn algorithm over
// YYMMDDNNN; error cases carry a correct check digit unless the check digit is
// what is being tested, so that each case fails for exactly one reason.

func TestParse(t *testing.T) {
	t.Parallel()
	t.Run("OK", func(t *testing.T) {
		cases := []struct {
			name, in, canonical, birth string
			coordination               bool
			gender                     string
		}{
			{"Hyphen12", "19811218-9876", "19811218-9876", "1981-12-18", false, "man"},
			{"Digits12", "198112189876", "19811218-9876", "1981-12-18", false, "man"},
			{"Hyphen10", "811218-9876", "19811218-9876", "1981-12-18", false, "man"},
			{"Digits10Trimmed", " 8112189876 ", "19811218-9876", "1981-12-18", false, "man"},
			{"Woman", "19850402-0028", "19850402-0028", "1985-04-02", false, "woman"},
			{"LeapDay12", "20000229-0005", "20000229-0005", "2000-02-29", false, "woman"},
			{"LeapDay10", "000229-0005", "20000229-0005", "2000-02-29", false, "woman"},
			{"Coordination12", "19701063-2391", "19701063-2391", "1970-10-03", true, "man"},
			{"Coordination10", "7010632391", "19701063-2391", "1970-10-03", true, "man"},
			{"BornToday", "261122-0001", "20261122-0001", "2026-11-22", false, "woman"},
			{"TomorrowMeansLastCentury", "261123-0000", "19261123-0000", "1926-11-23", false, "woman"},
			{"HyphenPicksLatestCentury", "121212-1212", "20121212-1212", "2012-12-12", false, "man"},
			{"PlusPicksEarlierCentury", "121212+1212", "19121212-1212", "1912-12-12", false, "man"},
			{"PlusExactly100Years", "261122+0001", "19261122-0001", "1926-11-22", false, "woman"},
			{"PlusUnder100YearsGoesBackAgain", "261123+0000", "18261123-0000", "1826-11-23", false, "woman"},
			{"ExplicitCenturyOver100", "19261123-0000", "19261123-0000", "1926-11-23", false, "woman"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				n, err := personnummer.Parse(tc.in, now)
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if n.String() != tc.canonical {
					t.Errorf("String = %s, want %s", n.String(), tc.canonical)
				}
				bd := n.BirthDate()
				if got := bd.Format("2006-01-02"); got != tc.birth {
					t.Errorf("BirthDate = %s, want %s", got, tc.birth)
				}
				if bd.Location() != time.UTC || bd.Hour() != 0 || bd.Minute() != 0 || bd.Second() != 0 || bd.Nanosecond() != 0 {
					t.Errorf("BirthDate = %v, want UTC midnight", bd)
				}
				if n.IsCoordination() != tc.coordination {
					t.Errorf("IsCoordination = %v, want %v", n.IsCoordination(), tc.coordination)
				}
				if n.Gender() != tc.gender {
					t.Errorf("Gender = %s, want %s", n.Gender(), tc.gender)
				}
			})
		}
	})

	t.Run("Error", func(t *testing.T) {
		cases := []struct{ name, in, reason string }{
			{"CheckDigit", "19811218-9875", "check digit does not match"},
			{"CheckDigit10", "8112189871", "check digit does not match"},
			{"Month13", "19811318-9875", "month 13 out of range"},
			{"Month00", "19810018-9870", "month 00 out of range"},
			{"Day00", "19811200-9876", "day out of range"},
			{"Day32", "19811232-9878", "day out of range"},
			{"Feb30", "19810230-1234", "day out of range"},
			{"Apr31", "19770431-1237", "day out of range"},
			{"Feb29NonLeap", "19010229-1234", "day out of range"},
			{"Feb29NonLeapCentury", "19000229-1235", "day out of range"},
			{"Feb29NonLeap10", "260229-1235", "day out of range"},
			{"CoordinationDay92", "19701092-2396", "day out of range"},
			{"FutureYear", "20991218-9876", "future"},
			{"Tomorrow12", "20261123-0000", "future"},
			{"Letters", "1981121A-9876", "only digits"},
			{"Slash", "19811218/9876", "only digits"},
			{"DoubleSeparator", "19811218--9876", "only digits"},
			{"SeparatorMisplaced", "198112-189876", "only digits"},
			{"InnerSpace", "19811218 9876", "only digits"},
			{"TooShort", "811218987", "10 or 12 digits"},
			{"Eleven", "1981121-8987", "10 or 12 digits"},
			{"TooLong", "1981121898765", "10 or 12 digits"},
			{"Empty", "", "10 or 12 digits"},
			{"OnlySpaces", "   ", "10 or 12 digits"},
			{"PlusWithCentury", "19121212+1212", "'+'"},
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
				msg := err.Error()
				if !strings.HasPrefix(msg, "invalid personal identity number: ") {
					t.Errorf("error %q lacks the ErrInvalid prefix", msg)
				}
				if !strings.Contains(msg, tc.reason) {
					t.Errorf("error %q does not say %q", msg, tc.reason)
				}
				if in := strings.TrimSpace(tc.in); len(in) >= 6 && strings.Contains(msg, in[len(in)-4:]) {
					t.Errorf("error %q repeats part of the number", msg)
				}
			})
		}
	})
}

// The century of a 10-digit number depends on now, and now's calendar date
// (not its UTC instant) is what counts.
func TestParseNowLocation(t *testing.T) {
	t.Parallel()
	stockholm := time.FixedZone("CET", 3600)
	justAfterMidnight := time.Date(2026, 11, 23, 0, 30, 0, 0, stockholm) // still 22 Nov in UTC
	n, err := personnummer.Parse("261123-0000", justAfterMidnight)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if got := n.String(); got != "20261123-0000" {
		t.Errorf("String = %s, want 20261123-0000", got)
	}
}
