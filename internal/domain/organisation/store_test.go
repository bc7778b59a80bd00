package organisation_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arbetsmarknad/outcomes/internal/domain/domaintest"
	"github.com/arbetsmarknad/outcomes/internal/domain/organisation"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
)

func newOrg(t *testing.T, s *organisation.Store, code string, kind organisation.Kind) organisation.Organisation {
	t.Helper()
	o, err := s.Create(context.Background(), organisation.CreateInput{Code: code, Name: strings.ToUpper(code[:1]) + code[1:], Kind: kind})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func count(t *testing.T, pool *pgxpool.Pool, table string) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM `+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

const missing = "00000000-0000-0000-0000-000000000000"

func TestUnitsAreUniqueAndIdempotent(t *testing.T) {
	t.Parallel()
	pool := testenv.Postgres(t)
	s := organisation.NewStore(pool)
	ctx := context.Background()
	org := newOrg(t, s, "enhetskommun", organisation.Municipality)
	in := organisation.UnitInput{OrganisationID: org.ID, Name: " Stöd till arbete ", IdempotencyKey: "u-1"}
	u, err := s.CreateUnit(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if u.Name != "Stöd till arbete" || u.OrganisationID != org.ID {
		t.Fatalf("unit = %+v", u)
	}
	again, err := s.CreateUnit(ctx, in)
	if err != nil || again != u {
		t.Fatalf("replay = %+v, %v; want %+v", again, err, u)
	}
	_, err = s.CreateUnit(ctx, organisation.UnitInput{OrganisationID: org.ID, Name: "Annan", IdempotencyKey: "u-1"})
	domaintest.WantErr(t, err, apperr.Conflict, "input.idempotencyKey")
	_, err = s.CreateUnit(ctx, organisation.UnitInput{OrganisationID: org.ID, Name: "Stöd till arbete"})
	domaintest.WantErr(t, err, apperr.Conflict, "input.name")
	_, err = s.CreateUnit(ctx, organisation.UnitInput{OrganisationID: missing, Name: "X"})
	domaintest.WantErr(t, err, apperr.NotFound, "input.organisationId")
	_, err = s.CreateUnit(ctx, organisation.UnitInput{OrganisationID: org.ID, Name: ""})
	domaintest.WantErr(t, err, apperr.Invalid, "input.name")
	if n := count(t, pool, "unit"); n != 1 {
		t.Fatalf("%d units, want 1", n)
	}

	for _, name := range []string{"Ung intro", "Enhet anställning"} {
		if _, err := s.CreateUnit(ctx, organisation.UnitInput{OrganisationID: org.ID, Name: name}); err != nil {
			t.Fatal(err)
		}
	}
	units, err := s.Units(ctx, org.ID)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, x := range units {
		names = append(names, x.Name)
	}
	if strings.Join(names, "|") != "Enhet anställning|Stöd till arbete|Ung intro" {
		t.Fatalf("units not by name: %v", names)
	}
	byID, err := s.UnitsByIDs(ctx, []string{u.ID, "bad", missing})
	if err != nil || len(byID) != 1 || byID[0] != u {
		t.Fatalf("UnitsByIDs = %+v, %v", byID, err)
	}
}

func TestStaffUsers(t *testing.T) {
	t.Parallel()
	pool := testenv.Postgres(t)
	s := organisation.NewStore(pool)
	ctx := context.Background()
	org := newOrg(t, s, "personalkommun", organisation.Municipality)
	other := newOrg(t, s, "grannkommun", organisation.Municipality)
	unit, err := s.CreateUnit(ctx, organisation.UnitInput{OrganisationID: org.ID, Name: "Ung intro"})
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := s.CreateUnit(ctx, organisation.UnitInput{OrganisationID: other.ID, Name: "Ung intro"})
	if err != nil {
		t.Fatal(err)
	}

	in := organisation.StaffInput{OrganisationID: org.ID, UnitID: &unit.ID, Name: "Anna Coach", Email: "anna@kommun.se",
		Title: "jobbcoach", IdempotencyKey: "s-1"}
	anna, err := s.CreateStaffUser(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if anna.UnitID == nil || *anna.UnitID != unit.ID || anna.Version != 1 || anna.Title != "jobbcoach" {
		t.Fatalf("staff = %+v", anna)
	}
	again, err := s.CreateStaffUser(ctx, in)
	if err != nil || again.ID != anna.ID {
		t.Fatalf("replay = %+v, %v", again, err)
	}
	in.Name = "Någon annan"
	_, err = s.CreateStaffUser(ctx, in)
	domaintest.WantErr(t, err, apperr.Conflict, "input.idempotencyKey")
	_, err = s.CreateStaffUser(ctx, organisation.StaffInput{OrganisationID: org.ID, UnitID: &foreign.ID, Name: "X"})
	domaintest.WantErr(t, err, apperr.NotFound, "input.unitId")
	bad := "nope"
	_, err = s.CreateStaffUser(ctx, organisation.StaffInput{OrganisationID: org.ID, UnitID: &bad, Name: "X"})
	domaintest.WantErr(t, err, apperr.NotFound, "input.unitId")
	_, err = s.CreateStaffUser(ctx, organisation.StaffInput{OrganisationID: org.ID, Name: "X", Email: "no-at-sign"})
	domaintest.WantErr(t, err, apperr.Invalid, "input.email")
	if n := count(t, pool, "staff_user"); n != 1 {
		t.Fatalf("%d staff users, want 1", n)
	}

	var inUnit []string
	for i := range 6 {
		in := organisation.StaffInput{OrganisationID: org.ID, Name: fmt.Sprintf("Handläggare %d", 6-i)}
		if i%2 == 0 {
			in.UnitID = &unit.ID
		}
		u, err := s.CreateStaffUser(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if in.UnitID != nil {
			inUnit = append(inUnit, u.Name)
		}
	}
	if _, err := s.CreateStaffUser(ctx, organisation.StaffInput{OrganisationID: other.ID, Name: "Granne"}); err != nil {
		t.Fatal(err)
	}
	var sorted []string
	if err := pool.QueryRow(ctx, `SELECT array_agg(name ORDER BY name, id) FROM staff_user WHERE organisation_id = $1`, org.ID).Scan(&sorted); err != nil {
		t.Fatal(err)
	}
	if got := listAll(t, s, org.ID, nil, 2); !slices.Equal(got, sorted) {
		t.Fatalf("staff pages = %v, want %v", got, sorted)
	}
	got := listAll(t, s, org.ID, &unit.ID, 3)
	slices.Sort(inUnit)
	inUnit = append([]string{"Anna Coach"}, inUnit...)
	if !slices.Equal(got, inUnit) {
		t.Fatalf("staff of the unit = %v, want %v", got, inUnit)
	}

	ofUnits, err := s.StaffOfUnits(ctx, []string{unit.ID, foreign.ID, "bad"})
	if err != nil {
		t.Fatal(err)
	}
	if len(ofUnits) != len(inUnit) || ofUnits[0].Name != "Anna Coach" {
		t.Fatalf("StaffOfUnits = %+v", ofUnits)
	}
	byID, err := s.StaffByIDs(ctx, []string{anna.ID, "bad"})
	if err != nil || len(byID) != 1 || byID[0].Email != "anna@kommun.se" {
		t.Fatalf("StaffByIDs = %+v, %v", byID, err)
	}
}

// listAll walks the staff list page by page.
func listAll(t *testing.T, s *organisation.Store, org string, unit *string, size int) []string {
	t.Helper()
	var names []string
	var after *string
	for range 100 {
		page := db.PageRequest{First: &size, After: after}
		res, err := s.ListStaff(context.Background(), org, unit, page)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range res.Items {
			names = append(names, u.Name)
		}
		if !res.HasNextPage {
			if res.TotalCount != len(names) {
				t.Fatalf("total count %d, listed %d", res.TotalCount, len(names))
			}
			return names
		}
		after = &res.Cursors[len(res.Cursors)-1]
	}
	t.Fatal("no last page")
	return nil
}

func TestStaffOfOtherTenantsIsInvisible(t *testing.T) {
	t.Parallel()
	url, system := testenv.PostgresWithURL(t)
	scoped, err := db.ConnectScoped(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(scoped.Close)
	admin := organisation.NewStore(system)
	a, b := newOrg(t, admin, "kommun-a", organisation.Municipality), newOrg(t, admin, "kommun-b", organisation.Municipality)
	staff, err := admin.CreateStaffUser(context.Background(), organisation.StaffInput{OrganisationID: a.ID, Name: "Anna"})
	if err != nil {
		t.Fatal(err)
	}
	asB := auth.With(context.Background(), auth.Principal{Subject: "cw-b", Role: auth.Caseworker, OrgID: b.ID})
	s := organisation.NewStore(scoped)
	if got, err := s.StaffByIDs(asB, []string{staff.ID}); err != nil || len(got) != 0 {
		t.Fatalf("B reads A's staff: %+v, %v", got, err)
	}
	if res, err := s.ListStaff(asB, a.ID, nil, db.FirstN(5)); err != nil || res.TotalCount != 0 {
		t.Fatalf("B lists A's staff: %+v, %v", res, err)
	}
}

func TestRegionalMembers(t *testing.T) {
	t.Parallel()
	pool := testenv.Postgres(t)
	s := organisation.NewStore(pool)
	ctx := context.Background()
	region := newOrg(t, s, "samordningsforbund", organisation.RegionalBody)
	uppsala := newOrg(t, s, "uppsala", organisation.Municipality)
	enkoping := newOrg(t, s, "enkoping", organisation.Municipality)
	other := newOrg(t, s, "annat-forbund", organisation.RegionalBody)
	for _, m := range []string{uppsala.ID, enkoping.ID, uppsala.ID} { // the second uppsala is a no-op
		got, err := s.AddRegionalMember(ctx, region.ID, m)
		if err != nil {
			t.Fatal(err)
		}
		if got != region {
			t.Fatalf("returned %+v, want the regional body", got)
		}
	}
	if n := count(t, pool, "organisation_membership"); n != 2 {
		t.Fatalf("%d memberships, want 2", n)
	}
	members, err := s.Members(ctx, region.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(members) != 2 || members[0] != enkoping || members[1] != uppsala {
		t.Fatalf("members = %+v, want Enkoping, Uppsala", members)
	}
	if none, err := s.Members(ctx, uppsala.ID); err != nil || len(none) != 0 {
		t.Fatalf("a municipality's members: %+v, %v", none, err)
	}

	_, err = s.AddRegionalMember(ctx, uppsala.ID, enkoping.ID)
	domaintest.WantErr(t, err, apperr.Invalid, "regionalId")
	_, err = s.AddRegionalMember(ctx, region.ID, other.ID)
	domaintest.WantErr(t, err, apperr.Invalid, "memberId")
	_, err = s.AddRegionalMember(ctx, missing, "bad")
	if fs := apperr.All(err); len(fs) != 2 || fs[0].Field != "regionalId" || fs[1].Field != "memberId" || fs[0].Code != apperr.NotFound {
		t.Fatalf("both unknown: %v", err)
	}
	if n := count(t, pool, "organisation_membership"); n != 2 {
		t.Fatalf("%d memberships after refused adds, want 2", n)
	}
}

func TestMeasureCatalogue(t *testing.T) {
	t.Parallel()
	pool := testenv.Postgres(t)
	s := organisation.NewStore(pool)
	ctx := context.Background()
	org := newOrg(t, s, "katalogkommun", organisation.Municipality)
	in := organisation.MeasureTypeInput{OrganisationID: org.ID, Code: "job_club", Name: "Job club", SwedishName: "Jobbklubb",
		Category: "guidance", EligibilityRule: "ung_intro"}
	m, err := s.CreateMeasureType(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Active || m.EligibilityRule != "ung_intro" || m.Category != "guidance" || m.OrganisationID != org.ID {
		t.Fatalf("measure = %+v", m)
	}
	_, err = s.CreateMeasureType(ctx, in)
	domaintest.WantErr(t, err, apperr.Conflict, "input.code")
	_, err = s.CreateMeasureType(ctx, organisation.MeasureTypeInput{OrganisationID: missing, Code: "x_y", Name: "X", SwedishName: "X", Category: "other"})
	domaintest.WantErr(t, err, apperr.NotFound, "input.organisationId")
	noRule, err := s.CreateMeasureType(ctx, organisation.MeasureTypeInput{OrganisationID: org.ID, Code: "walk", Name: "Walk", SwedishName: "Promenad", Category: "other"})
	if err != nil || noRule.EligibilityRule != "none" {
		t.Fatalf("no rule given: %+v, %v", noRule, err)
	}

	all, err := s.MeasureTypes(ctx, org.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	want := len(organisation.DefaultCatalogue) + 2
	if len(all) != want {
		t.Fatalf("%d measures, want %d", len(all), want)
	}
	retired, err := s.SetMeasureTypeActive(ctx, org.ID, "job_club", false)
	if err != nil || retired.Active || retired.ID != m.ID {
		t.Fatalf("retire: %+v, %v", retired, err)
	}
	active, err := s.MeasureTypes(ctx, org.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	withInactive, err := s.MeasureTypes(ctx, org.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	codes := func(ms []organisation.MeasureType) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.Code)
		}
		return out
	}
	if len(active) != want-1 || slices.Contains(codes(active), "job_club") || len(withInactive) != want ||
		!slices.IsSorted(codes(withInactive)) {
		t.Fatalf("active %v, with inactive %v", codes(active), codes(withInactive))
	}
	if back, err := s.SetMeasureTypeActive(ctx, org.ID, "job_club", true); err != nil || !back.Active {
		t.Fatalf("re-activate: %+v, %v", back, err)
	}
	_, err = s.SetMeasureTypeActive(ctx, org.ID, "space_program", false)
	domaintest.WantErr(t, err, apperr.NotFound, "input.code")
}

func TestMeasureTypeInputReportsEveryBadField(t *testing.T) {
	t.Parallel()
	in := organisation.MeasureTypeInput{Code: "Job-Club", Name: "", SwedishName: "Jobbklubb", Category: "fun", EligibilityRule: "always"}
	var fields []string
	for _, e := range apperr.All(in.Validate()) {
		fields = append(fields, e.Field)
	}
	if strings.Join(fields, ",") != "input.code,input.name,input.category,input.eligibilityRule" {
		t.Fatalf("fields = %v", fields)
	}
	ok := organisation.MeasureTypeInput{Code: " ab ", Name: "A", SwedishName: "A", Category: "other"}
	if err := ok.Validate(); err != nil || ok.Code != "ab" || ok.EligibilityRule != "none" {
		t.Fatalf("valid input: %v, %+v", err, ok)
	}
}
