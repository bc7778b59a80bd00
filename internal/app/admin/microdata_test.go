package admin_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/arbetsmarknad/outcomes/internal/app/admin"
)

// outcomesctl microdata refuses a cohort by the rule every analytics query applies
// (analytics.ValidateCohort), naming its own flags, before it opens any database: no
// organisation, and a period ClickHouse cannot hold, are both reported.
func TestMicrodataCommandAppliesTheCohortRule(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	env := map[string]string{"OUTCOMES_DATABASE_URL": "postgres://nobody@127.0.0.1:1/none", "OUTCOMES_ENV": "dev"}
	code := admin.Run(context.Background(), []string{"microdata", "-org", " , ", "-from", "1960-01-01", "-to", "2019-01-01"},
		func(k string) string { return env[k] }, &out, &errOut)
	msg := errOut.String()
	if code == 0 || !strings.Contains(msg, "-org: no organisation to report on") || !strings.Contains(msg, "-from: the exit period must lie within 1970-2105") {
		t.Errorf("exit %d, stderr %q: want both faults of the cohort, by flag", code, msg)
	}
	if out.Len() != 0 {
		t.Errorf("wrote %q", out.String())
	}
}
