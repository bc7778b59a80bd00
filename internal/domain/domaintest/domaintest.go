// Package domaintest holds the fixtures and assertions the domain packages' tests share,
// so that each is written once: a test needing an organisation, or checking a typed
// error, calls these rather than a copy of its own. Only tests import it.
package domaintest

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arbetsmarknad/outcomes/internal/domain/organisation"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
)

// WantErr fails the test unless err is a domain error with code on field.
func WantErr(t testing.TB, err error, code apperr.Code, field string) {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok || e.Code != code || e.Field != field {
		t.Fatalf("error = %v, want %s on %q", err, code, field)
	}
}

// Organisation creates a municipality with this code (its name too) through the
// organisation store, and returns it.
func Organisation(t testing.TB, pool *pgxpool.Pool, code string) organisation.Organisation {
	t.Helper()
	return OrganisationWith(t, pool, organisation.CreateInput{Code: code, Name: code, Kind: organisation.Municipality})
}

// OrganisationWith creates the organisation in describes through the organisation
// store, and returns it.
func OrganisationWith(t testing.TB, pool *pgxpool.Pool, in organisation.CreateInput) organisation.Organisation {
	t.Helper()
	o, err := organisation.NewStore(pool).Create(context.Background(), in)
	if err != nil {
		t.Fatalf("create organisation %q: %v", in.Code, err)
	}
	return o
}

// World is what a domain package's store tests start from: a fresh database of the
// test stack with two municipalities (kommun-a, kommun-b), read and written as its
// owner (every organisation visible), and the SQL fixtures those tests share.
type World struct {
	T          testing.TB
	Ctx        context.Context
	URL        string        // the owner's URL of the database
	Pool       *pgxpool.Pool // the owner's pool
	OrgA, OrgB string
	serial     int
}

// NewWorld makes a World; the database is dropped when the test ends.
func NewWorld(t testing.TB) *World {
	t.Helper()
	url := testenv.PostgresURL(t)
	pool, err := db.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	w := &World{T: t, Ctx: context.Background(), URL: url, Pool: pool}
	w.OrgA, w.OrgB = w.Org("kommun-a"), w.Org("kommun-b")
	return w
}

// Org creates a municipality with this code (Organisation) and returns its id.
func (w *World) Org(code string) string {
	w.T.Helper()
	return Organisation(w.T, w.Pool, code).ID
}

// ID runs q, which returns one id (an INSERT ... RETURNING id), and returns the id.
func (w *World) ID(q string, args ...any) string {
	w.T.Helper()
	var id string
	if err := w.Pool.QueryRow(w.Ctx, q, args...).Scan(&id); err != nil {
		w.T.Fatalf("%s: %v", q, err)
	}
	return id
}

// Count runs q, which returns one number, and returns it.
func (w *World) Count(q string, args ...any) int {
	w.T.Helper()
	var n int
	if err := w.Pool.QueryRow(w.Ctx, q, args...).Scan(&n); err != nil {
		w.T.Fatalf("%s: %v", q, err)
	}
	return n
}

// Person inserts a participant of org with SQL (born 1990-01-01, of gender, a personal
// identity number no other Person has) and returns its id.
func (w *World) Person(org, gender string) string {
	w.T.Helper()
	w.serial++
	return w.ID(`INSERT INTO participant (organisation_id, personal_identity_number, gender, birth_date)
		VALUES ($1, $2, $3, '1990-01-01') RETURNING id`, org, fmt.Sprintf("19900101-%04d", w.serial), gender)
}

// WorkbookDeclaring is a small zip file whose one sheet declares that it unpacks to n
// bytes, as a workbook bomb does (a few hundred bytes that say 1 GiB). Only its
// directory is real: it is for tests that weigh a file (importer.Reserve), never for
// unpacking.
func WorkbookDeclaring(t testing.TB, n uint64) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "xl/worksheets/sheet1.xml", Method: zip.Deflate, CompressedSize64: 1, UncompressedSize64: n})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte{0}); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
