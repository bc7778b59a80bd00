package graph

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/apperr"
	"github.com/arbetsmarknad/outcomes/internal/auth"
	"github.com/arbetsmarknad/outcomes/internal/importer"
)

// A file over 20 MB is refused before it is parsed or anything is looked up (the HTTP
// body limit is lower today, so this guards the resolver on its own).
func TestImportRefusesLargeFile(t *testing.T) {
	r := &mutationResolver{&Resolver{Now: func() time.Time { return time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC) }}}
	ctx := auth.With(context.Background(), auth.Principal{Subject: "admin", Role: auth.Admin})
	big := "personal_identity_number,given_name,family_name,gender\n" + strings.Repeat("x", maxImportBytes)
	for name, run := range map[string]func() error{
		"participants": func() error {
			_, err := r.importParticipants(ctx, "00000000-0000-0000-0000-000000000001", big, true)
			return err
		},
		"observations": func() error {
			_, err := r.importObservations(ctx, "00000000-0000-0000-0000-000000000001", big, true)
			return err
		},
	} {
		if e, ok := apperr.As(run()); !ok || e.Code != apperr.Invalid || e.Field != "csv" {
			t.Errorf("%s: %v, want INVALID on csv", name, e)
		}
	}
}

// importResult lists the import's own bad rows, or the parser's when the import did not
// get as far as listing them.
func TestImportResult(t *testing.T) {
	parsed := []importer.LineError{{Line: 3, Column: "gender", Reason: "want woman, man, other or not_stated"}}
	all := append(parsed, importer.LineError{Line: 7, Column: "personal_identity_number", Reason: "already registered"})
	got := importResult(importer.Result{Imported: 5, Skipped: 2, Bad: all}, parsed)
	if got.Imported != 5 || got.Skipped != 2 || len(got.Errors) != 2 || got.Errors[1].Line != 7 || got.Errors[1].Field != "personal_identity_number" {
		t.Errorf("with the import's list: %+v", got)
	}
	got = importResult(importer.Result{}, parsed)
	if len(got.Errors) != 1 || got.Errors[0].Line != 3 || got.Errors[0].Message != parsed[0].Reason {
		t.Errorf("with the parser's list: %+v", got)
	}
	if got = importResult(importer.Result{}, nil); got.Errors == nil {
		t.Error("errors is nil; GraphQL declares a non-null list")
	}
}
