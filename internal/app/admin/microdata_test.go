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

// outcomesctl microdata refuses a measure code no catalogue of the organisations has,
// naming it, instead of writing a file of nobody.
func TestMicrodataCommandRefusesUnknownMeasureCodes(t *testing.T) {
	t.Parallel()
	env, _ := seededRoles(t)
	code, out, msg := ctl(env, "microdata", "-org", "uppsala", "-from", "2018-01-01", "-to", "2019-01-01", "-measure", "extra_job,extra_jobs")
	if code == 0 || out != "" || !strings.Contains(msg, "-measure[1]") || !strings.Contains(msg, `"extra_jobs"`) {
		t.Errorf("an unknown measure: exit %d, wrote %q, stderr %q", code, out, msg)
	}
	if out := runCtl(t, env, "microdata", "-org", "uppsala", "-from", "2018-01-01", "-to", "2019-01-01", "-measure", "extra_job"); !strings.HasPrefix(out, "enrolment_key,") {
		t.Errorf("extra jobs: %.200s", out)
	}
}
