package admin_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/app/admin"
	"github.com/arbetsmarknad/outcomes/internal/platform/config"
	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
)

// TestMaintainStoppedMidRunIsNotAFailure: `maintain -every` (which make run starts)
// stopped while its tasks run (Ctrl-C) says that it stopped and what it finished, not
// that every task it cut short FAILED with "context canceled", and ends without an
// error; a single run cut short still ends with one. The stop comes from maintain's
// clock, which the run reads first, so it lands inside the run every time.
func TestMaintainStoppedMidRunIsNotAFailure(t *testing.T) {
	t.Parallel()
	ownerURL := testenv.PostgresURL(t)
	env := map[string]string{"OUTCOMES_ENV": "dev", "OUTCOMES_MIGRATE_DATABASE_URL": ownerURL,
		"OUTCOMES_DATABASE_URL": testenv.RoleURL(t, ownerURL, testenv.APIRole), "OUTCOMES_AUDIT_ARCHIVE_DIR": t.TempDir()}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	for _, every := range []time.Duration{time.Hour, 0} {
		ctx, stop := context.WithCancel(context.Background())
		now := func() time.Time { stop(); return time.Now() }
		var out bytes.Buffer
		err := admin.Maintain(ctx, cfg, every, now, &out)
		stop()
		text := out.String()
		if strings.Contains(text, "FAILED") || strings.Contains(text, "failed") || strings.Contains(text, "context canceled") {
			t.Errorf("every %s: a stopped run reads as failures:\n%s", every, text)
		}
		if !strings.Contains(text, "maintenance stopped before it finished") {
			t.Errorf("every %s: the stop is not said:\n%s", every, text)
		}
		if (err != nil) != (every == 0) {
			t.Errorf("every %s: maintain returned %v; want an error only for a single run", every, err)
		}
	}
}
