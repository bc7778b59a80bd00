package bounds_test

import (
	"strings"
	"testing"

	"github.com/arbetsmarknad/outcomes/internal/platform/bounds"
)

func TestEmail(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"", "sara.lind@uppsala.se", "a+b@x.example.se", "o'neil@example.com"} {
		if err := bounds.Email("input.email", ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"sara", "sara@lind", "@uppsala.se", "sara@.se", "sara@example.", "sara lind@example.se",
		"Sara <sara@example.se>", "a@@example.se", "a@b..se", "a@example.se, b@example.se", strings.Repeat("m", 200) + "@x.se"} {
		if err := bounds.Email("input.email", bad); err == nil || err.Field != "input.email" || strings.Contains(err.Message, bad) {
			t.Errorf("%q: %v, want INVALID on input.email without the value", bad, err)
		}
	}
}

func TestName(t *testing.T) {
	t.Parallel()
	if err := bounds.Name("input.name", "Åsa Öberg-Ek", 100); err != nil {
		t.Errorf("a plain name refused: %v", err)
	}
	for _, bad := range []string{"", strings.Repeat("a", 101), "Sara\nLind"} {
		if err := bounds.Name("input.name", bad, 100); err == nil || err.Field != "input.name" {
			t.Errorf("%q: %v, want INVALID on input.name", bad, err)
		}
	}
}
