package e2e_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/arbetsmarknad/outcomes/internal/domain/disclosure"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/warehouse/chstore"
)

// TestWarehouseHoldsNoPersonalData loads people through the API and the loader, then
// scans every column of every ClickHouse table for their personal identity numbers (in
// every written form), their names, their internal ids and the pseudonymisation key.
func TestWarehouseHoldsNoPersonalData(t *testing.T) {
	s := start(t)
	org := s.createOrg(t, "integritet")
	people := []struct{ pnr, given, family string }{
		{"19850402-0028", "Test", "Person"},
		{"19900101-0017", "Test", "Person"},
	}
	var ids []string
	for _, p := range people {
		ids = append(ids, s.person(t, org, p.pnr, "WOMAN", "2018-02-01", "2019-03-31", "STUDIES", map[string]string{"2019-09": "STUDIES"}))
	}
	eventually(t, "loaded", func() (bool, string) {
		n := s.cohort(t, org, 2019).ExitCohortOutcome.Total.Exits
		return n == 2, fmt.Sprint(n)
	})

	needles := []string{s.env["OUTCOMES_PSEUDONYM_KEY"], "Test", "Person"}
	for _, p := range people {
		digits := strings.ReplaceAll(p.pnr, "-", "")
		needles = append(needles, p.pnr, digits, digits[2:], p.pnr[2:])
	}
	needles = append(needles, ids...)

	ch, err := chstore.Open(context.Background(), chstore.Options{Addr: s.env["OUTCOMES_CLICKHOUSE_ADDR"], Database: s.env["OUTCOMES_CLICKHOUSE_DATABASE"], User: "default"})
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	rows, err := ch.Query(context.Background(), `SELECT table, name FROM system.columns WHERE database = ?`, s.env["OUTCOMES_CLICKHOUSE_DATABASE"])
	if err != nil {
		t.Fatal(err)
	}
	var columns [][2]string
	for rows.Next() {
		var table, name string
		if err := rows.Scan(&table, &name); err != nil {
			t.Fatal(err)
		}
		columns = append(columns, [2]string{table, name})
	}
	rows.Close()
	if len(columns) < 10 {
		t.Fatalf("only %d columns found: the scan would prove nothing", len(columns))
	}
	scanned := 0
	for _, c := range columns {
		for _, needle := range needles {
			var hits uint64
			q := fmt.Sprintf("SELECT countIf(position(toString(`%s`), ?) > 0) FROM `%s`", c[1], c[0])
			if err := ch.QueryRow(context.Background(), q, needle).Scan(&hits); err != nil {
				t.Fatalf("scan %s.%s: %v", c[0], c[1], err)
			}
			scanned++
			if hits > 0 {
				t.Errorf("%s.%s contains personal data or the key (%d rows)", c[0], c[1], hits)
			}
		}
	}
	var total uint64
	if err := ch.QueryRow(context.Background(), "SELECT count() FROM participant_month").Scan(&total); err != nil || total == 0 {
		t.Fatalf("participant_month is empty (%v): the scan would prove nothing", err)
	}
	t.Logf("%d column scans over %d columns, no hits", scanned, len(columns))

	// The same holds for the API's and the loader's logs, bad input included.
	s.api.MustFail(t, createPerson, map[string]any{"org": org, "pnr": "19850402-0027", "gender": "MAN"})
	logs := s.logs.String()
	if !strings.Contains(logs, `"message"`) {
		t.Fatal("no log lines captured: the check would prove nothing")
	}
	for _, needle := range needles {
		if strings.Contains(logs, needle) {
			t.Errorf("logs contain personal data or the key (%q)", needle[:4]+"…")
		}
	}
	if strings.Contains(logs, "8504020027") || strings.Contains(logs, "19850402-0027") {
		t.Error("logs contain a rejected personal identity number")
	}
}

// TestSteeringSeesSmallCountsSuppressed: the same cohort, read by a caseworker and by a
// steering reader of the same municipality.
func TestSteeringSeesSmallCountsSuppressed(t *testing.T) {
	s := start(t)
	org := s.createOrg(t, "styrning")
	s.person(t, org, "19850402-0028", "WOMAN", "2018-02-01", "2019-03-31", "STUDIES", map[string]string{"2019-09": "STUDIES"})
	s.person(t, org, "19900101-0017", "MAN", "2018-02-01", "2019-05-31", "JOB_SEEKING", map[string]string{"2019-11": "JOB_SEEKING"})
	eventually(t, "loaded", func() (bool, string) {
		n := s.cohort(t, org, 2019).ExitCohortOutcome.Total.Exits
		return n == 2, fmt.Sprint(n)
	})
	q := `query($o: ID!) { exitCohortOutcome(organisationId: $o, exitYear: 2019) {
		total { exits exitsDisplay figures { n known inWorkOrStudies share suppressed display { n known inWorkOrStudies share } } } } }`
	type out struct {
		ExitCohortOutcome struct {
			Total struct {
				Exits        *int
				ExitsDisplay string
				Figures      []struct {
					N, Known, InWorkOrStudies *int
					Share                     *float64
					Suppressed                bool
					Display                   struct{ N, Known, InWorkOrStudies, Share string }
				}
			}
		}
	}
	var steering, caseworker out
	s.client(t, auth.Principal{Subject: "styr", Role: auth.Steering, OrgID: org}).MustData(t, q, map[string]any{"o": org}, &steering)
	s.client(t, auth.Principal{Subject: "hl", Role: auth.Caseworker, OrgID: org}).MustData(t, q, map[string]any{"o": org}, &caseworker)

	st := steering.ExitCohortOutcome.Total
	if st.Exits != nil || st.ExitsDisplay != disclosure.SmallText {
		t.Errorf("steering sees exits %v / %q, want hidden and %q", st.Exits, st.ExitsDisplay, disclosure.SmallText)
	}
	f := st.Figures[0]
	if f.N != nil || f.Share != nil || !f.Suppressed || f.Display.N != disclosure.SmallText || f.Display.Share != disclosure.HiddenText {
		t.Errorf("steering figure not suppressed: %+v", f)
	}
	cw := caseworker.ExitCohortOutcome.Total
	if cw.Exits == nil || *cw.Exits != 2 || cw.Figures[0].N == nil || *cw.Figures[0].N != 2 || cw.Figures[0].Suppressed {
		t.Errorf("caseworker figure: %+v", cw)
	}
}

// TestRegionalReadsTheSumOverMembers: a regional reader sees each member municipality
// with small counts hidden, and the sum over the members granted to them.
func TestRegionalReadsTheSumOverMembers(t *testing.T) {
	s := start(t)
	region := s.createOrg(t, "sjuharad")
	var members []string
	for i, code := range []string{"boras", "mark"} {
		org := s.createOrg(t, code)
		members = append(members, org)
		for j, pnr := range []string{"19850402-0028", "19900101-0017", "19811218-9876"} {
			s.person(t, org, pnr, "WOMAN", "2018-02-01", fmt.Sprintf("2019-0%d-28", 2+i+j), "STUDIES", map[string]string{"2019-12": "STUDIES"})
		}
	}
	eventually(t, "loaded", func() (bool, string) {
		a, b := s.cohort(t, members[0], 2019).ExitCohortOutcome.Total.Exits, s.cohort(t, members[1], 2019).ExitCohortOutcome.Total.Exits
		return a == 3 && b == 3, fmt.Sprint(a, b)
	})
	regional := s.client(t, auth.Principal{Subject: "forbund", Role: auth.Regional, OrgID: region, Orgs: members})
	q := `query($o: ID!) { exitCohortOutcome(organisationId: $o, exitYear: 2019) { total { exits exitsDisplay } } }`
	var one, sum struct {
		ExitCohortOutcome struct {
			Total struct {
				Exits        *int
				ExitsDisplay string
			}
		}
	}
	regional.MustData(t, q, map[string]any{"o": members[0]}, &one)
	regional.MustData(t, q, map[string]any{"o": region}, &sum)
	if one.ExitCohortOutcome.Total.ExitsDisplay != disclosure.SmallText || one.ExitCohortOutcome.Total.Exits != nil {
		t.Errorf("one member: %+v, want %q", one.ExitCohortOutcome.Total, disclosure.SmallText)
	}
	if got := sum.ExitCohortOutcome.Total; got.Exits == nil || *got.Exits != 6 || got.ExitsDisplay != "6" {
		t.Errorf("sum over members: %+v, want 6", got)
	}
	outsider := s.createOrg(t, "utanfor")
	if errs := regional.MustFail(t, q, map[string]any{"o": outsider}); errs[0].Code() != "FORBIDDEN" {
		t.Errorf("a municipality outside the grant: %+v", errs)
	}
}
