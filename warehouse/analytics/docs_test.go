package analytics_test

import (
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/arbetsmarknad/outcomes/warehouse/analytics"
	"github.com/arbetsmarknad/outcomes/warehouse/cohort"
	"github.com/arbetsmarknad/outcomes/warehouse/outcomes"
)

// servedBy returns the definition that serves version v, or false: v is read back into
// a definition and must be exactly that definition's version.
func servedBy(v string) bool {
	base, query, _ := strings.Cut(v, "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		return false
	}
	k, kErr := strconv.Atoi(q.Get("k"))
	var def analytics.Definition
	switch base {
	case outcomes.StatusAfterExitVersion:
		def = analytics.StatusAt(k, strings.Split(q.Get("s"), ",")...)
	case outcomes.InWorkOrStudiesVersion:
		def = analytics.InWorkOrStudiesAt(k)
	case outcomes.SelfSufficientVersion:
		def = analytics.SelfSufficientAt(k)
	case outcomes.LastingVersionBase:
		l, err := outcomes.ParseLastingVersion(v)
		if err != nil {
			return false
		}
		p := l.Params()
		def = analytics.LastingAttachment(&p)
	case outcomes.ESFVersion:
		def.Kind, def.Results = analytics.KindESFImmediate, strings.Split(q.Get("immediate"), ",")
		if q.Has("six_month") {
			def.Kind, def.Results = analytics.KindESFSixMonth, strings.Split(q.Get("six_month"), ",")
		}
	default:
		for _, kind := range analytics.Kinds {
			if got, err := (analytics.Definition{Kind: kind}).Version(); err == nil && got == v {
				return true
			}
		}
		// Served outside outcomeFigures: timeToEmployment, susTransitions, exitCohortOutcome.
		return v == outcomes.TimeToFirstJobVersion+" "+outcomes.KaplanMeierVersion || v == outcomes.SUSVersion ||
			v == cohort.DefinitionVersion ||
			v == outcomes.StatusVersion || // the one rule every figure reads months through
			v == outcomes.QuarterVersion // how quarter-based indicators read months
	}
	if (base == outcomes.StatusAfterExitVersion || base == outcomes.InWorkOrStudiesVersion || base == outcomes.SelfSufficientVersion) && kErr != nil {
		return false
	}
	got, err := def.Version()
	return err == nil && got == v
}

// TestIndicatorsDocShowsServedVersions keeps docs/INDICATORS.md true: every version
// string it shows (in backquotes) is exactly one a figure carries, and every kind's
// rule is there.
func TestIndicatorsDocShowsServedVersions(t *testing.T) {
	b, err := os.ReadFile("../../docs/INDICATORS.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	found := 0
	for _, m := range regexp.MustCompile("`([a-z][a-z0-9-]*/[0-9][^`]*)`").FindAllStringSubmatch(doc, -1) {
		found++
		if !servedBy(m[1]) {
			t.Errorf("docs/INDICATORS.md shows %q, which no figure carries", m[1])
		}
	}
	if found < 15 {
		t.Errorf("found %d version strings in docs/INDICATORS.md", found)
	}
	for _, def := range []analytics.Definition{analytics.StatusAt(6, outcomes.StatusStudies), analytics.InWorkOrStudiesAt(6),
		analytics.SelfSufficientAt(6), analytics.LastingAttachment(nil), {Kind: analytics.KindReturnedToSA12},
		{Kind: analytics.KindReentry12}, {Kind: analytics.KindRepeatedEntry}, {Kind: analytics.KindKoladaResultAtExit},
		{Kind: analytics.KindWIOAQ2}, {Kind: analytics.KindESFImmediate}, {Kind: analytics.KindESFSixMonth}} {
		v, err := def.Version()
		if err != nil {
			t.Fatal(err)
		}
		base, _, _ := strings.Cut(v, "?")
		if !strings.Contains(doc, "`"+base) {
			t.Errorf("docs/INDICATORS.md does not show %s (%s)", base, def.Kind)
		}
	}
	for _, bad := range []string{"in-work-or-studies/1", "in-work-or-studies/1?k=x", "status-after-exit/1?s=studies",
		"kolada-rka-result-at-exit/1", "kolada-rka-result-at-exit/2", "re-entry/1?w=12", "esf-common-results/1",
		"esf-common-results/1?six_month=employed", "wioa-employment-q2-q4/1", "exit-cohort/1"} {
		if servedBy(bad) {
			t.Errorf("servedBy(%q): not a served version", bad)
		}
	}
}

// TestIndicatorsDocNamesRealTests keeps the "tests" rows of docs/INDICATORS.md true:
// every test it names exists in warehouse/.
func TestIndicatorsDocNamesRealTests(t *testing.T) {
	doc, err := os.ReadFile("../../docs/INDICATORS.md")
	if err != nil {
		t.Fatal(err)
	}
	var sources strings.Builder
	files, _ := filepath.Glob("../*/*_test.go")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sources.Write(b)
	}
	names := regexp.MustCompile("`(Test[A-Za-z0-9]+)`").FindAllStringSubmatch(string(doc), -1)
	if len(names) < 10 {
		t.Fatalf("docs/INDICATORS.md names %d tests", len(names))
	}
	for _, m := range names {
		if !strings.Contains(sources.String(), "func "+m[1]+"(t *testing.T)") {
			t.Errorf("docs/INDICATORS.md names %s, which is no test in warehouse/", m[1])
		}
	}
}
