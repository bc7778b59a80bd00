package importer_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/app/demo"
	"github.com/arbetsmarknad/outcomes/internal/domain/domaintest"
	"github.com/arbetsmarknad/outcomes/internal/domain/importer"
	"github.com/arbetsmarknad/outcomes/internal/domain/organisation"
	"github.com/arbetsmarknad/outcomes/internal/domain/participant"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
)

var now = time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)

// A file of 1,000 observations with two bad rows: all or nothing, then skip.
func TestImportReportsBadLinesAndIsAllOrNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testenv.Postgres(t)
	org := domaintest.OrganisationWith(t, pool, organisation.CreateInput{Code: "import", Name: "Import", Kind: organisation.Municipality})
	var numbers []string
	for i := 0; i < 100; i++ {
		n := demo.Personnummer(time.Date(1975, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i), 200+i)
		if _, err := participant.NewStore(pool).Create(ctx, participant.CreateInput{OrganisationID: org.ID, PersonalIdentityNumber: n, GivenName: "Test", FamilyName: "Person", Gender: participant.Woman}); err != nil {
			t.Fatal(err)
		}
		numbers = append(numbers, n)
	}
	var b strings.Builder
	b.WriteString("personal_identity_number,month,status,social_assistance,source\n")
	for i := 0; i < 1000; i++ {
		pnr, status := numbers[i%100], "unsubsidised_employment_full"
		switch i {
		case 136: // file line 138
			pnr = pnr[:len(pnr)-1] + fmt.Sprint((int(pnr[len(pnr)-1]-'0')+1)%10)
		case 711: // file line 713
			status = "astronaut"
		}
		fmt.Fprintf(&b, "%s,%s,%s,false,af_data\n", pnr, time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, i/100, 0).Format("2006-01"), status)
	}
	rows, bad, err := importer.ParseObservations(strings.NewReader(b.String()), importer.Options{}, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 998 || len(bad) != 2 || bad[0].Line != 138 || bad[1].Line != 713 {
		t.Fatalf("parsed %d good rows, bad %v; want 998 and lines 138, 713", len(rows), bad)
	}
	if bad[0].Column != "personal_identity_number" || bad[1].Column != "status" {
		t.Errorf("bad columns: %v", bad)
	}
	count := func() int {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM outcome_observation`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	res, err := importer.ImportObservations(ctx, pool, org.ID, rows, bad, false, nil)
	if apperr.CodeOf(err) != apperr.Invalid || len(res.Bad) != 2 {
		t.Fatalf("import without skip: %v, %+v", err, res)
	}
	if n := count(); n != 0 {
		t.Fatalf("%d rows written by a refused import", n)
	}
	var progressed int
	res, err = importer.ImportObservations(ctx, pool, org.ID, rows, bad, true, func(done, total int) { progressed = done })
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 998 || res.Skipped != 2 || count() != 998 || progressed != 998 {
		t.Fatalf("import with skip: %+v, %d rows, progress %d", res, count(), progressed)
	}
	var events int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM change_event WHERE entity = 'outcome_observation'`).Scan(&events); err != nil || events != 100 {
		t.Errorf("%d change events (err %v), want one per participant (100)", events, err)
	}
	// A known number of another organisation is a bad row, not a write there.
	other := domaintest.OrganisationWith(t, pool, organisation.CreateInput{Code: "annan", Name: "Annan", Kind: organisation.Municipality})
	res, err = importer.ImportObservations(ctx, pool, other.ID, rows[:3], nil, false, nil)
	if err == nil || len(res.Bad) != 3 {
		t.Errorf("import into the wrong organisation: %v, %+v", err, res)
	}
}

func TestParseObservationsStructure(t *testing.T) {
	t.Parallel()
	if _, _, err := importer.ParseObservations(strings.NewReader(""), importer.Options{}, now); err == nil {
		t.Error("empty file accepted")
	}
	if _, _, err := importer.ParseObservations(strings.NewReader("month,status\n2019-01,studies\n"), importer.Options{}, now); err == nil {
		t.Error("file without the personal identity number column accepted")
	}
	rows, bad, err := importer.ParseObservations(strings.NewReader(
		"\ufeffSource,Month,Status,Social_Assistance,Personal_Identity_Number,employment_rate\n"+
			"af_data,2019-01,studies,,198112189876,\n"+
			"af_data,2999-01,studies,ja,198112189876,50\n"+
			"af_data,2019-02,studies,maybe,198112189876,150\n"), importer.Options{}, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].PersonalIdentityNumber != "19811218-9876" {
		t.Errorf("rows: %+v", rows)
	}
	got := fmt.Sprint(bad)
	for _, want := range []string{"line 3: month", "line 4: social_assistance", "line 4: employment_rate"} {
		if !strings.Contains(got, want) {
			t.Errorf("bad lines %s lack %q", got, want)
		}
	}
	if strings.Contains(got, "8112189876") {
		t.Error("a line error repeats the personal identity number")
	}
}

// TestObservationsWithoutOptionalColumns: social_assistance and employment_rate may be
// left out of the header; the values are then not recorded.
func TestObservationsWithoutOptionalColumns(t *testing.T) {
	t.Parallel()
	rows, bad, err := importer.ParseObservations(strings.NewReader("personal_identity_number,month,status,source\n19811218-9876,2019-08,studies,af_data\n"), importer.Options{},
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil || len(bad) != 0 || len(rows) != 1 {
		t.Fatalf("rows %v, bad %v, err %v", rows, bad, err)
	}
	if rows[0].Input.SocialAssistance != nil || rows[0].Input.EmploymentRate != nil {
		t.Fatalf("absent columns read as values: %+v", rows[0])
	}
}
