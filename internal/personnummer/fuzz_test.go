package personnummer_test

import (
	"strings"
	"testing"

	"github.com/arbetsmarknad/outcomes/internal/personnummer"
)

// FuzzParse: Parse never panics, accepts its own canonical output, and never repeats
// the input digits in an error.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"19811218-9876", "811218-9876", "121212+1212", "19701063-2391", "", "abc", "19811318-9876"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := personnummer.Parse(s, now)
		if err != nil {
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
		again, err := personnummer.Parse(n.String(), now)
		if err != nil {
			t.Fatalf("canonical form %q rejected: %v", n.String(), err)
		}
		if again.String() != n.String() {
			t.Fatalf("round trip %q -> %q", n.String(), again.String())
		}
		if n.BirthDate().After(now) {
			t.Fatalf("birth date in the future accepted")
		}
	})
}
