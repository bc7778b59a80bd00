package calendar

import (
	"testing"
	"time"
)

func TestTodayIsTheSwedishDate(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		utc  string
		want string
	}{
		{"2026-06-14T22:30:00Z", "2026-06-15"}, // 00:30 in Stockholm (summer time, UTC+2)
		{"2026-06-14T21:59:00Z", "2026-06-14"},
		{"2026-12-31T23:30:00Z", "2027-01-01"}, // 00:30 in winter (UTC+1)
		{"2026-12-31T22:59:00Z", "2026-12-31"},
	} {
		at, _ := time.Parse(time.RFC3339, c.utc)
		if got := Today(at).Format("2006-01-02"); got != c.want {
			t.Errorf("Today(%s) = %s, want %s", c.utc, got, c.want)
		}
	}
}
