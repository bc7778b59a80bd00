package admin_test

import (
	"strings"
	"testing"
)

// outcomesctl microdata refuses a cohort by the rule every analytics query applies
// (analytics.ValidateCohort), naming its own flags, before it opens any database: no
// organisation, and a period ClickHouse cannot hold, are both reported.
func TestMicrodataCommandAppliesTheCohortRule(t *testing.T) {
	t.Parallel()
	env := map[string]string{"OUTCOMES_DATABASE_URL": "postgres://nobody@127.0.0.1:1/none", "OUTCOMES_ENV": "dev"}
	code, out, msg := ctl(env, "microdata", "-org", " , ", "-from", "1960-01-01", "-to", "2019-01-01")
	if code == 0 || !strings.Contains(msg, "-org: no organisation to report on") || !strings.Contains(msg, "-from: the exit period must lie within 1970-2105") {
		t.Errorf("exit %d, stderr %q: want both faults of the cohort, by flag", code, msg)
	}
	if out != "" {
		t.Errorf("wrote %q", out)
	}
}
