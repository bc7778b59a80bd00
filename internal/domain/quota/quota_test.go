package quota_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/domain/domaintest"
	"github.com/arbetsmarknad/outcomes/internal/domain/quota"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
)

func TestAllocate(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		total      int
		headcounts []int
		want       []int
	}{
		{700, []int{4000, 1000, 2000}, []int{400, 100, 200}}, // exact shares
		// 110.43, 508.13, 81.44: the one place left goes to the largest remainder.
		{700, []int{1234, 5678, 910}, []int{110, 508, 82}},
		{700, []int{1, 1, 1}, []int{234, 233, 233}},                  // a tie goes in the order given
		{10, []int{1, 1, 1, 1, 1, 1, 1}, []int{2, 2, 2, 1, 1, 1, 1}}, // several ties
		{5, []int{10, 0, 10}, []int{3, 0, 2}},                        // no headcount, no share
		{3, []int{0, 0}, []int{0, 0}},                                // nothing to divide by
		{1, []int{3, 2}, []int{1, 0}},                                // fewer places than departments
		{2_000_000, []int{2_000_000_000, 1}, []int{2_000_000, 0}},    // no overflow
		{700, nil, []int{}},
	} {
		got := quota.Allocate(c.total, c.headcounts)
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("Allocate(%d, %v) = %v, want %v", c.total, c.headcounts, got, c.want)
		}
		sum, positive := 0, false
		for i, n := range got {
			sum += n
			positive = positive || c.headcounts[i] > 0
		}
		if positive && sum != c.total {
			t.Errorf("Allocate(%d, %v) sums to %d", c.total, c.headcounts, sum)
		}
	}
}

type fixture struct {
	*domaintest.World
	store *quota.Store
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{World: domaintest.NewWorld(t)}
	f.store = quota.NewStore(f.Pool)
	return f
}

func (f *fixture) employer(org, kind, name string, headcount *int) string {
	return f.ID(`INSERT INTO employer (organisation_id, kind, name, headcount) VALUES ($1, $2, $3, $4) RETURNING id`,
		org, kind, name, headcount)
}

// host inserts an enrolment hosted by employer; an empty decision is NULL.
func (f *fixture) host(org, employer, measureCode, decision, start string) {
	f.T.Helper()
	person := f.Person(org, "man")
	var d any
	if decision != "" {
		d = decision
	}
	f.ID(`INSERT INTO enrolment (organisation_id, participant_id, measure_type_id, host_employer_id, decision_date, start_date)
		SELECT $1, $2, m.id, $3, $5::date, $6::date FROM measure_type m WHERE m.organisation_id = $1 AND m.code = $4 RETURNING id`,
		org, person, employer, measureCode, d, start)
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func ptr[T any](v T) *T { return &v }

func TestCreateAndListQuotas(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	in := quota.CreateInput{OrganisationID: f.OrgA, Name: " Extra jobs 2017-2018 ", Total: 700, PeriodStart: day("2017-01-01"),
		PeriodEnd: day("2018-12-31"), MeasureTypeCode: ptr("extra_job"), IdempotencyKey: "q1"}
	q, err := f.store.Create(f.Ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if q.Name != "Extra jobs 2017-2018" || q.Total != 700 || q.MeasureTypeID == nil || q.Version != 1 {
		t.Fatalf("created %+v", q)
	}
	again, err := f.store.Create(f.Ctx, in)
	if err != nil || again.ID != q.ID {
		t.Fatalf("retry: %v", err)
	}
	in.IdempotencyKey = ""
	in.MeasureTypeCode = ptr("no_such")
	_, err = f.store.Create(f.Ctx, in)
	domaintest.WantErr(t, err, apperr.NotFound, "input.measureTypeCode")
	_, err = f.store.Create(f.Ctx, quota.CreateInput{OrganisationID: f.OrgA, Name: "Zero", Total: 0, PeriodStart: day("2024-01-01"), PeriodEnd: day("2024-12-31")})
	domaintest.WantErr(t, err, apperr.Invalid, "input.total")
	_, err = f.store.Create(f.Ctx, quota.CreateInput{OrganisationID: f.OrgA, Name: "Backwards", Total: 1, PeriodStart: day("2024-01-01"), PeriodEnd: day("2023-12-31")})
	domaintest.WantErr(t, err, apperr.Invalid, "input.periodEnd")

	earlier, err := f.store.Create(f.Ctx, quota.CreateInput{OrganisationID: f.OrgA, Name: "2016", Total: 300, PeriodStart: day("2016-01-01"), PeriodEnd: day("2016-12-31")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.Create(f.Ctx, quota.CreateInput{OrganisationID: f.OrgB, Name: "B", Total: 1, PeriodStart: day("2016-01-01"), PeriodEnd: day("2016-12-31")}); err != nil {
		t.Fatal(err)
	}
	page := db.PageRequest{First: ptr(1), After: nil}
	first, err := f.store.List(f.Ctx, f.OrgA, page)
	if err != nil || first.TotalCount != 2 || len(first.Items) != 1 || first.Items[0].ID != earlier.ID || !first.HasNextPage {
		t.Fatalf("first page %+v, %v", first, err)
	}
	page = db.PageRequest{First: ptr(1), After: &first.Cursors[0]}
	second, err := f.store.List(f.Ctx, f.OrgA, page)
	if err != nil || len(second.Items) != 1 || second.Items[0].ID != q.ID || second.HasNextPage {
		t.Fatalf("second page %+v, %v", second, err)
	}
	if got, err := f.store.Get(f.Ctx, q.ID); err != nil || got.ID != q.ID {
		t.Fatalf("get: %+v, %v", got, err)
	}
}

// TestAllocations spreads a quota over departments and counts deliveries by hand-built
// enrolments: host, date rule (decision, else start), measure, period and asOf.
func TestAllocations(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	elder := f.employer(f.OrgA, "municipal_department", "Elder care", ptr(4000))
	schools := f.employer(f.OrgA, "municipal_department", "Schools", ptr(2000))
	libraries := f.employer(f.OrgA, "municipal_department", "Libraries", ptr(1000))
	company := f.employer(f.OrgA, "private_company", "Private AB", ptr(9000))
	f.employer(f.OrgA, "municipal_department", "No headcount", nil)
	f.employer(f.OrgA, "municipal_department", "Empty", ptr(0))
	f.employer(f.OrgB, "municipal_department", "B's department", ptr(5000))

	f.host(f.OrgA, elder, "extra_job", "2024-02-01", "2024-03-01")     // in
	f.host(f.OrgA, elder, "extra_job", "", "2024-03-01")               // in: no decision, by start
	f.host(f.OrgA, elder, "extra_job", "2023-12-20", "2024-01-05")     // out: decided before the period
	f.host(f.OrgA, elder, "work_practice", "2024-03-01", "2024-03-02") // in only without a measure
	f.host(f.OrgA, elder, "extra_job", "2024-08-01", "2024-08-15")     // in after June
	f.host(f.OrgA, schools, "extra_job", "2024-12-31", "2025-01-02")   // in on the last day
	f.host(f.OrgA, schools, "extra_job", "2025-01-01", "2025-01-02")   // out: after the period
	f.host(f.OrgA, company, "extra_job", "2024-02-01", "2024-03-01")   // not a department

	extraJobs, err := f.store.Create(f.Ctx, quota.CreateInput{OrganisationID: f.OrgA, Name: "Extra jobs 2024", Total: 700,
		PeriodStart: day("2024-01-01"), PeriodEnd: day("2024-12-31"), MeasureTypeCode: ptr("extra_job")})
	if err != nil {
		t.Fatal(err)
	}
	all := extraJobs
	all.MeasureTypeID = nil

	for _, c := range []struct {
		name string
		q    quota.Quota
		asOf string
		want []quota.Allocation
	}{
		{"extra jobs to June", extraJobs, "2024-06-30", []quota.Allocation{
			{EmployerID: elder, Name: "Elder care", Headcount: 4000, Quota: 400, Delivered: 2},
			{EmployerID: libraries, Name: "Libraries", Headcount: 1000, Quota: 100, Delivered: 0},
			{EmployerID: schools, Name: "Schools", Headcount: 2000, Quota: 200, Delivered: 0}}},
		{"extra jobs after the period", extraJobs, "2025-06-30", []quota.Allocation{
			{EmployerID: elder, Name: "Elder care", Headcount: 4000, Quota: 400, Delivered: 3},
			{EmployerID: libraries, Name: "Libraries", Headcount: 1000, Quota: 100, Delivered: 0},
			{EmployerID: schools, Name: "Schools", Headcount: 2000, Quota: 200, Delivered: 1}}},
		{"every measure", all, "2024-12-31", []quota.Allocation{
			{EmployerID: elder, Name: "Elder care", Headcount: 4000, Quota: 400, Delivered: 4},
			{EmployerID: libraries, Name: "Libraries", Headcount: 1000, Quota: 100, Delivered: 0},
			{EmployerID: schools, Name: "Schools", Headcount: 2000, Quota: 200, Delivered: 1}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := f.store.Allocations(f.Ctx, c.q, day(c.asOf))
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Fatalf("allocations\n got %+v\nwant %+v", got, c.want)
			}
		})
	}
}
