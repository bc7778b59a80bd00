package personnummer_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/arbetsmarknad/outcomes/internal/domain/personnummer"
)

// FuzzParse checks that Parse never panics, that it accepts its own canonical
// output unchanged, and that errors never repeat the input digits.
// A committed corpus lives in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"19811218-9876", "811218-9876", "121212+1212", "19701063-2391",
		"000229-0005", "261123-0000", "", "abc", "19811318-9875",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := personnummer.Parse(s, now)
		if err != nil {
			if !errors.Is(err, personnummer.ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			digits := strings.Map(func(r rune) rune {
				if r >= '0' && r <= '9' {
					return r
				}
				return -1
			}, s)
			if len(digits) >= 10 && strings.Contains(err.Error(), digits) {
				t.Fatalf("error repeats the input digits: %q", err)
			}
			return
		}
		canonical := n.String()
		again, err := personnummer.Parse(canonical, now)
		if err != nil {
			t.Fatalf("canonical form %q rejected: %v", canonical, err)
		}
		if again.String() != canonical {
			t.Fatalf("round trip %q -> %q", canonical, again.String())
		}
		if again != n {
			t.Fatalf("round trip of %q changed the parsed value", canonical)
		}
		if n.BirthDate().After(now) {
			t.Fatalf("birth date %v is after now", n.BirthDate())
		}
	})
}
