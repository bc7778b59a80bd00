package employer_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arbetsmarknad/outcomes/internal/domain/domaintest"
	"github.com/arbetsmarknad/outcomes/internal/domain/employer"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
)

// setup returns a store on a fresh database (system pool: sees every organisation) and
// one municipality.
func setup(t *testing.T) (*employer.Store, *pgxpool.Pool, string) {
	t.Helper()
	pool := testenv.Postgres(t)
	return employer.NewStore(pool), pool, newOrg(t, pool, "arbetskommun")
}

func newOrg(t *testing.T, pool *pgxpool.Pool, code string) string {
	return domaintest.Organisation(t, pool, code).ID
}

func count(t *testing.T, pool *pgxpool.Pool, table string) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM `+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func intp(v int) *int { return &v }

func TestCreateStoresNormalisedEmployer(t *testing.T) {
	t.Parallel()
	s, _, org := setup(t)
	ctx := context.Background()
	e, err := s.Create(ctx, employer.CreateInput{OrganisationID: org, Kind: employer.MunicipalDepartment,
		Name: " Vård- och omsorgsförvaltningen ", OrgNumber: "2120003005", Headcount: intp(5200), Notes: "Stor förvaltning"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := employer.Employer{ID: e.ID, OrganisationID: org, Kind: employer.MunicipalDepartment, Name: "Vård- och omsorgsförvaltningen",
		OrgNumber: "212000-3005", Headcount: intp(5200), Notes: "Stor förvaltning", Version: 1}
	if got.Headcount == nil || *got.Headcount != 5200 {
		t.Fatalf("headcount = %v", got.Headcount)
	}
	got.Headcount, want.Headcount = nil, nil
	if got != want {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	if _, err := s.Get(ctx, "not-a-uuid"); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("malformed id: %v", err)
	}
}

func TestCreateRefusesBadInputAndWritesNothing(t *testing.T) {
	t.Parallel()
	s, pool, org := setup(t)
	ctx := context.Background()
	if _, err := s.Create(ctx, employer.CreateInput{OrganisationID: org, Kind: employer.Association, Name: "IFK"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		in    employer.CreateInput
		code  apperr.Code
		field string
	}{
		{"NegativeHeadcount", employer.CreateInput{OrganisationID: org, Kind: employer.PrivateCompany, Name: "AB", Headcount: intp(-1)}, apperr.Invalid, "input.headcount"},
		{"UnknownKind", employer.CreateInput{OrganisationID: org, Kind: "shop", Name: "AB"}, apperr.Invalid, "input.kind"},
		{"EmptyName", employer.CreateInput{OrganisationID: org, Kind: employer.PrivateCompany, Name: " "}, apperr.Invalid, "input.name"},
		{"BadOrgNumber", employer.CreateInput{OrganisationID: org, Kind: employer.PrivateCompany, Name: "AB", OrgNumber: "556036-0794"}, apperr.Invalid, "input.orgNumber"},
		{"DuplicateName", employer.CreateInput{OrganisationID: org, Kind: employer.PrivateCompany, Name: "IFK"}, apperr.Conflict, "input.name"},
		{"UnknownOrganisation", employer.CreateInput{OrganisationID: "00000000-0000-0000-0000-000000000000", Kind: employer.PrivateCompany, Name: "AB"}, apperr.NotFound, "input.organisationId"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Create(ctx, tc.in)
			domaintest.WantErr(t, err, tc.code, tc.field)
			if n := count(t, pool, "employer"); n != 1 {
				t.Fatalf("%d employers after a refused create, want 1", n)
			}
		})
	}
}

func TestCreateWithIdempotencyKeyReplays(t *testing.T) {
	t.Parallel()
	s, pool, org := setup(t)
	ctx := context.Background()
	in := employer.CreateInput{OrganisationID: org, Kind: employer.PrivateCompany, Name: "Bygg AB", IdempotencyKey: "k-1"}
	first, err := s.Create(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	again, err := s.Create(ctx, in)
	if err != nil {
		t.Fatalf("replay: %v", err)
	}
	if again != first {
		t.Fatalf("replay returned %+v, want %+v", again, first)
	}
	if n := count(t, pool, "employer"); n != 1 {
		t.Fatalf("%d employers after a replay, want 1", n)
	}
	other := in
	other.Name = "Annat AB"
	_, err = s.Create(ctx, other)
	domaintest.WantErr(t, err, apperr.Conflict, "input.idempotencyKey")
	if n := count(t, pool, "employer"); n != 1 {
		t.Fatalf("%d employers after a reused key, want 1", n)
	}
	// Without a key, the same create again is a duplicate name, not a replay.
	in.IdempotencyKey = ""
	_, err = s.Create(ctx, in)
	domaintest.WantErr(t, err, apperr.Conflict, "input.name")
}

func TestUpdateChangesGivenFieldsUnderVersion(t *testing.T) {
	t.Parallel()
	s, _, org := setup(t)
	ctx := context.Background()
	e, err := s.Create(ctx, employer.CreateInput{OrganisationID: org, Kind: employer.MunicipalDepartment, Name: "Kultur",
		OrgNumber: "212000-3005", Headcount: intp(300), Notes: "n"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx, employer.CreateInput{OrganisationID: org, Kind: employer.MunicipalDepartment, Name: "Skola"}); err != nil {
		t.Fatal(err)
	}
	name := "Kultur och fritid"
	u, err := s.Update(ctx, employer.UpdateInput{ID: e.ID, Version: 1, Name: &name, Headcount: intp(320)})
	if err != nil {
		t.Fatal(err)
	}
	if u.Name != name || *u.Headcount != 320 || u.Version != 2 || u.Kind != e.Kind || u.OrgNumber != e.OrgNumber || u.Notes != e.Notes {
		t.Fatalf("after update: %+v", u)
	}
	kind := employer.MunicipalCompany
	_, err = s.Update(ctx, employer.UpdateInput{ID: e.ID, Version: 1, Kind: &kind})
	domaintest.WantErr(t, err, apperr.Conflict, "input.version")
	taken := "Skola"
	_, err = s.Update(ctx, employer.UpdateInput{ID: e.ID, Version: 2, Name: &taken})
	domaintest.WantErr(t, err, apperr.Conflict, "input.name")
	_, err = s.Update(ctx, employer.UpdateInput{ID: "00000000-0000-0000-0000-000000000000", Version: 1, Name: &name})
	domaintest.WantErr(t, err, apperr.NotFound, "input.id")
	if got, _ := s.Get(ctx, e.ID); got.Version != 2 || got.Kind != employer.MunicipalDepartment || got.Name != name {
		t.Fatalf("refused updates changed the row: %+v", got)
	}
}

func TestContactsAndNotes(t *testing.T) {
	t.Parallel()
	s, pool, org := setup(t)
	caller := auth.With(context.Background(), auth.Principal{Subject: "cw-anna", Role: auth.Caseworker, OrgID: org})
	a, err := s.Create(caller, employer.CreateInput{OrganisationID: org, Kind: employer.PrivateCompany, Name: "A"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Create(caller, employer.CreateInput{OrganisationID: org, Kind: employer.PrivateCompany, Name: "B"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []employer.ContactInput{
		{EmployerID: a.ID, Name: "Olle", Role: "handledare", Email: "olle@example.se"},
		{EmployerID: a.ID, Name: "Berit", Phone: "018-123"},
		{EmployerID: b.ID, Name: "Cecilia"},
	} {
		if _, err := s.AddContact(caller, c); err != nil {
			t.Fatal(err)
		}
	}
	for _, body := range []string{"Första kontakt", "Två platser lediga", "Uppföljning"} {
		if _, err := s.AddNote(caller, a.ID, body, ""); err != nil {
			t.Fatal(err)
		}
	}
	contacts, err := s.ContactsOf(caller, []string{a.ID, b.ID, "bad"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range contacts {
		names = append(names, c.Name)
		if c.EmployerID != a.ID && c.EmployerID != b.ID {
			t.Fatalf("contact of unknown employer %s", c.EmployerID)
		}
	}
	if len(contacts) != 3 || !slices.Contains(names, "Olle") || !slices.Contains(names, "Cecilia") {
		t.Fatalf("contacts = %+v", contacts)
	}
	notes, err := s.NotesOf(caller, []string{a.ID})
	if err != nil {
		t.Fatal(err)
	}
	var bodies []string
	for _, n := range notes {
		if n.Author != "cw-anna" || n.At.IsZero() {
			t.Fatalf("note %+v: want author cw-anna and a time", n)
		}
		bodies = append(bodies, n.Body)
	}
	if strings.Join(bodies, "|") != "Uppföljning|Två platser lediga|Första kontakt" {
		t.Fatalf("notes not newest first: %v", bodies)
	}
	// Contacts and notes carry the employer's organisation (row-level security needs it).
	var wrong int
	if err := pool.QueryRow(caller, `SELECT (SELECT count(*) FROM employer_contact WHERE organisation_id <> $1)
		+ (SELECT count(*) FROM employer_note WHERE organisation_id <> $1)`, org).Scan(&wrong); err != nil || wrong != 0 {
		t.Fatalf("%d rows with another organisation (%v)", wrong, err)
	}

	_, err = s.AddNote(context.Background(), a.ID, "anonymous", "")
	if apperr.CodeOf(err) != apperr.Unauthenticated {
		t.Fatalf("note without a caller: %v", err)
	}
	_, err = s.AddNote(caller, a.ID, " ", "")
	domaintest.WantErr(t, err, apperr.Invalid, "input.body")
	_, err = s.AddContact(caller, employer.ContactInput{EmployerID: "00000000-0000-0000-0000-000000000000", Name: "X"})
	domaintest.WantErr(t, err, apperr.NotFound, "input.employerId")
	_, err = s.AddContact(caller, employer.ContactInput{EmployerID: a.ID, Name: ""})
	domaintest.WantErr(t, err, apperr.Invalid, "input.name")
	if n := count(t, pool, "employer_note"); n != 3 {
		t.Fatalf("%d notes, want 3", n)
	}
}

// pageAll walks a list page by page and returns the names in order.
func pageAll(t *testing.T, s *employer.Store, org string, f employer.Filter, size int) ([]string, int) {
	t.Helper()
	var names []string
	var after *string
	total := -1
	for range 100 {
		page := db.PageRequest{First: &size, After: after}
		res, err := s.List(context.Background(), org, f, page)
		if err != nil {
			t.Fatal(err)
		}
		if total >= 0 && res.TotalCount != total {
			t.Fatalf("total count changed between pages: %d, %d", total, res.TotalCount)
		}
		total = res.TotalCount
		for _, e := range res.Items {
			names = append(names, e.Name)
		}
		if !res.HasNextPage {
			return names, total
		}
		if len(res.Items) != size {
			t.Fatalf("a page of %d before the last, want %d", len(res.Items), size)
		}
		after = &res.Cursors[len(res.Cursors)-1]
	}
	t.Fatal("no last page")
	return nil, 0
}

func TestListPagesByNameAndFilters(t *testing.T) {
	t.Parallel()
	s, pool, org := setup(t)
	ctx := context.Background()
	other := newOrg(t, pool, "grannkommun")
	kinds := []employer.Kind{employer.MunicipalDepartment, employer.PrivateCompany, employer.Association}
	var want []string
	for i := range 11 {
		name := fmt.Sprintf("Arbetsplats %02d", 10-i) // created out of name order
		if _, err := s.Create(ctx, employer.CreateInput{OrganisationID: org, Kind: kinds[i%3], Name: name}); err != nil {
			t.Fatal(err)
		}
		want = append(want, name)
	}
	if _, err := s.Create(ctx, employer.CreateInput{OrganisationID: org, Kind: employer.OwnWorkshop, Name: "Återbruket 100%"}); err != nil {
		t.Fatal(err)
	}
	want = append(want, "Återbruket 100%")
	if _, err := s.Create(ctx, employer.CreateInput{OrganisationID: other, Kind: employer.PrivateCompany, Name: "Arbetsplats 99"}); err != nil {
		t.Fatal(err)
	}
	var sorted []string
	if err := pool.QueryRow(ctx, `SELECT array_agg(name ORDER BY name, id) FROM employer WHERE organisation_id = $1`, org).Scan(&sorted); err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{1, 4, 5, 50} {
		got, total := pageAll(t, s, org, employer.Filter{}, size)
		if !slices.Equal(got, sorted) || total != len(want) {
			t.Fatalf("pages of %d: %v (total %d), want %v", size, got, total, sorted)
		}
	}

	// A row added before the cursor does not shift the pages after it.
	first, err := s.List(ctx, org, employer.Filter{}, db.FirstN(3))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx, employer.CreateInput{OrganisationID: org, Kind: employer.PrivateCompany, Name: "Aaa först"}); err != nil {
		t.Fatal(err)
	}
	page := db.PageRequest{First: intp(3), After: &first.Cursors[2]}
	next, err := s.List(ctx, org, employer.Filter{}, page)
	if err != nil {
		t.Fatal(err)
	}
	if next.Items[0].Name != sorted[3] {
		t.Fatalf("after an insert before the cursor, the next page starts at %q, want %q", next.Items[0].Name, sorted[3])
	}

	kind := employer.Association
	got, total := pageAll(t, s, org, employer.Filter{Kind: &kind}, 2)
	if total != 3 || len(got) != 3 {
		t.Fatalf("associations: %v (total %d), want 3", got, total)
	}
	got, total = pageAll(t, s, org, employer.Filter{Search: "PLATS 0"}, 50)
	if total != 10 || len(got) != 10 {
		t.Fatalf("search is case-insensitive on part of the name: %v (total %d), want 10", got, total)
	}
	got, _ = pageAll(t, s, org, employer.Filter{Search: "%"}, 50)
	if !slices.Equal(got, []string{"Återbruket 100%"}) {
		t.Fatalf("a %% in the search matches literally: %v", got)
	}
	got, _ = pageAll(t, s, org, employer.Filter{Search: "återbruket", Kind: &kind}, 50)
	if len(got) != 0 {
		t.Fatalf("filters combine: %v", got)
	}
	if _, err := s.List(ctx, "nope", employer.Filter{}, db.FirstN(5)); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("malformed organisation id: %v", err)
	}
}

// TestOtherTenantsEmployersAreInvisible goes through the API's scoped pool: row-level
// security hides another organisation's employers, so every access reads as not found.
func TestOtherTenantsEmployersAreInvisible(t *testing.T) {
	t.Parallel()
	w := domaintest.NewWorld(t)
	orgA, orgB := w.OrgA, w.OrgB
	scoped, err := db.ConnectScoped(context.Background(), w.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(scoped.Close)
	asA := auth.With(context.Background(), auth.Principal{Subject: "cw-a", Role: auth.Caseworker, OrgID: orgA})
	asB := auth.With(context.Background(), auth.Principal{Subject: "cw-b", Role: auth.Caseworker, OrgID: orgB})
	s := employer.NewStore(scoped)
	e, err := s.Create(asA, employer.CreateInput{OrganisationID: orgA, Kind: employer.PrivateCompany, Name: "Hemligt AB"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(asB, e.ID); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("get: %v", err)
	}
	name := "Kapat AB"
	_, err = s.Update(asB, employer.UpdateInput{ID: e.ID, Version: 1, Name: &name})
	domaintest.WantErr(t, err, apperr.NotFound, "input.id")
	_, err = s.AddContact(asB, employer.ContactInput{EmployerID: e.ID, Name: "X"})
	domaintest.WantErr(t, err, apperr.NotFound, "input.employerId")
	_, err = s.AddNote(asB, e.ID, "x", "")
	domaintest.WantErr(t, err, apperr.NotFound, "input.employerId")
	if res, err := s.List(asB, orgA, employer.Filter{}, db.FirstN(5)); err != nil || res.TotalCount != 0 || len(res.Items) != 0 {
		t.Fatalf("list of A as B: %+v, %v", res, err)
	}
	if got, err := s.Get(asA, e.ID); err != nil || got.Name != "Hemligt AB" {
		t.Fatalf("the owner reads it: %+v, %v", got, err)
	}
}
