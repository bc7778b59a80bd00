package graph

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/arbetsmarknad/outcomes/internal/domain/importer"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
)

// A file over the limit is REQUEST_TOO_LARGE on the argument it came in, before it is
// parsed or anything is looked up (the HTTP body limits refuse it earlier in the
// server, so this guards the resolver on its own); a file given twice or not at all
// is INVALID.
func TestImportFileArguments(t *testing.T) {
	t.Parallel()
	r := &mutationResolver{&Resolver{Now: func() time.Time { return time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC) }}}
	ctx := auth.With(context.Background(), auth.Principal{Subject: "admin", Role: auth.Admin})
	big := "personal_identity_number,given_name,family_name,gender\n" + strings.Repeat("x", importer.MaxFileBytes)
	small := "personal_identity_number,given_name,family_name,gender\n"
	upload := func(content string, size int64) *graphql.Upload {
		return &graphql.Upload{File: strings.NewReader(content), Filename: "deltagare.csv", Size: size}
	}
	for name, tc := range map[string]struct {
		file        func() importFile
		code, field string
	}{
		"large csv":               {func() importFile { return importFile{csv: &big} }, "REQUEST_TOO_LARGE", "csv"},
		"large upload":            {func() importFile { return importFile{upload: upload(big, int64(len(big)))} }, "REQUEST_TOO_LARGE", "file"},
		"upload larger than said": {func() importFile { return importFile{upload: upload(big, 10)} }, "REQUEST_TOO_LARGE", "file"},
		"both":                    {func() importFile { return importFile{csv: &small, upload: upload(small, int64(len(small)))} }, "INVALID", "file"},
		"neither":                 {func() importFile { return importFile{} }, "INVALID", "file"},
	} {
		for mutation, run := range map[string]func() error{
			"participants": func() error {
				_, err := r.importParticipants(ctx, "00000000-0000-0000-0000-000000000001", tc.file(), true)
				return err
			},
			"observations": func() error {
				_, err := r.importObservations(ctx, "00000000-0000-0000-0000-000000000001", tc.file(), true)
				return err
			},
		} {
			if e, ok := apperr.As(run()); !ok || string(e.Code) != tc.code || e.Field != tc.field {
				t.Errorf("%s, %s: %v, want %s on %s", name, mutation, e, tc.code, tc.field)
			}
		}
	}
}

// importResult lists the import's own bad rows, or the parser's when the import did not
// get as far as listing them.
func TestImportResult(t *testing.T) {
	t.Parallel()
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
