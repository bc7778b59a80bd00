// Package domaintest holds the fixtures and assertions the domain packages' tests share,
// so that each is written once: a test needing an organisation, or checking a typed
// error, calls these rather than a copy of its own. Only tests import it.
package domaintest

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arbetsmarknad/outcomes/internal/domain/organisation"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
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
