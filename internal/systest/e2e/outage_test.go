package e2e_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"testing"

	"github.com/arbetsmarknad/outcomes/internal/app/admin"
	"github.com/arbetsmarknad/outcomes/internal/app/apiserver/apitest"
	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
)

// TestOutagesLoseNothing stops ClickHouse, then PostgreSQL, under a running API and
// loader: writes keep succeeding while ClickHouse is down, the loader backs off and
// catches up, both processes report the backlog as unknown while PostgreSQL is down,
// and afterwards reconcile finds no difference.
func TestOutagesLoseNothing(t *testing.T) {
	stack := testenv.NewPrivateStack(t)
	env := map[string]string{"OUTCOMES_DATABASE_URL": stack.PGURL, "OUTCOMES_CLICKHOUSE_ADDR": stack.CHAddr,
		"OUTCOMES_CLICKHOUSE_DATABASE": "outcomes", "OUTCOMES_PSEUDONYM_KEY": "e2e-test-pseudonym-key-0123456789", "OUTCOMES_AUTH_DEV_KEY": apitest.DevKey}
	ctl := func(args ...string) (int, string) {
		var out, errOut bytes.Buffer
		code := admin.Run(context.Background(), args, func(k string) string { return env[k] }, &out, &errOut)
		return code, out.String() + errOut.String()
	}
	if code, out := ctl("migrate"); code != 0 {
		t.Fatalf("migrate: %s", out)
	}
	s := startWith(t, stack.PGURL, stack.CHAddr, "outcomes")
	org := s.createOrg(t, "avbrott")
	exits := func() int { return s.cohort(t, org, 2019).ExitCohortOutcome.Total.Exits }
	add := func(pnr string) {
		s.person(t, org, pnr, "WOMAN", "2018-02-01", "2019-03-31", "STUDIES", map[string]string{"2019-09": "STUDIES"})
	}

	add("19850402-0028")
	eventually(t, "first write loaded", func() (bool, string) { return exits() == 1, strconv.Itoa(exits()) })

	stack.StopClickHouse()
	add("19900101-0017") // the API keeps taking writes
	eventually(t, "loader reports ClickHouse errors", func() (bool, string) {
		n := s.loaderMetric(t, `outcomes_loader_errors_total\{stage="clickhouse"\} (\d+)`)
		return n > 0, strconv.Itoa(n)
	})
	stack.Start()
	eventually(t, "caught up after ClickHouse returned", func() (bool, string) { return exits() == 2, strconv.Itoa(exits()) })

	stack.StopPostgres()
	// Neither process can read the backlog now: both say so (-1), instead of the 0 of
	// their last good read, which would keep the backlog alert quiet all through the
	// outage.
	s.waitMetric(t, "outcomes_outbox_pending_changes -1\n")
	waitMetricAt(t, s.loaderAddr, "outcomes_loader_pending_changes -1\n")
	waitMetricAt(t, s.loaderAddr, "outcomes_loader_oldest_pending_seconds -1\n")
	stack.Start()
	add("19811218-9876")
	eventually(t, "caught up after PostgreSQL restarted", func() (bool, string) { return exits() == 3, strconv.Itoa(exits()) })
	// The third exit in the figures does not mean the person's later changes (the
	// observation after the exit) are loaded too: reconcile compares once the outbox is
	// empty, else it rightly reports the changes still on their way.
	s.waitMetric(t, "outcomes_outbox_pending_changes 0\n")

	if code, out := ctl("reconcile"); code != 0 {
		t.Fatalf("reconcile after the outages (exit %d):\n%s", code, out)
	}
}

func (s *system) loaderMetric(t *testing.T, pattern string) int {
	t.Helper()
	resp, err := http.Get("http://" + s.loaderAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(pattern).FindSubmatch(body)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}
