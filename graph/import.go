package graph

import (
	"bytes"
	"context"
	"io"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"github.com/arbetsmarknad/outcomes/graph/model"
	"github.com/arbetsmarknad/outcomes/internal/domain/importer"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
)

// importResult converts an import's outcome. bad are the rows parsing rejected; they
// stand in for res.Bad when the import did not get as far as reporting its own list
// (which starts with them).
func importResult(res importer.Result, bad []importer.LineError) *model.ImportResult {
	lines := res.Bad
	if len(lines) == 0 {
		lines = bad
	}
	out := &model.ImportResult{Imported: res.Imported, Skipped: res.Skipped, Errors: make([]*model.ImportRowError, len(lines))}
	for i, e := range lines {
		out.Errors[i] = &model.ImportRowError{Line: e.Line, Field: e.Column, Message: e.Reason, Column: e.Heading, Sheet: e.Sheet}
	}
	return out
}

// importFile is the file an import mutation was given: an upload, or its text.
type importFile struct {
	csv    *string
	upload *graphql.Upload
	sheet  *string
}

// tooLarge is the error for a file over the API's limit.
func tooLarge(field string) error {
	return apperr.New(apperr.TooLarge, field, "the file is larger than an import through the API takes (at most %d MB): split it, or import it with outcomesctl", importer.MaxFileBytes>>20)
}

// open returns the file's content, the argument it came in (for errors) and how to
// read it. A file over importer.MaxFileBytes is REQUEST_TOO_LARGE.
func (f importFile) open() (io.Reader, string, importer.Options, error) {
	var opts importer.Options
	if f.sheet != nil {
		opts.Sheet = *f.sheet
	}
	switch {
	case f.csv != nil && f.upload != nil:
		return nil, "file", opts, apperr.Invalidf("file", "give the file once: as an upload in file, or as text in csv")
	case f.upload != nil:
		if f.upload.Size > importer.MaxFileBytes {
			return nil, "file", opts, tooLarge("file")
		}
		// The transport counted the size; reading one byte more would show it wrong.
		data, err := io.ReadAll(io.LimitReader(f.upload.File, importer.MaxFileBytes+1))
		if err != nil {
			return nil, "file", opts, apperr.Invalidf("file", "the uploaded file could not be read")
		}
		if len(data) > importer.MaxFileBytes {
			return nil, "file", opts, tooLarge("file")
		}
		return bytes.NewReader(data), "file", opts, nil
	case f.csv != nil:
		if len(*f.csv) > importer.MaxFileBytes {
			return nil, "csv", opts, tooLarge("csv")
		}
		return strings.NewReader(*f.csv), "csv", opts, nil
	}
	return nil, "file", opts, apperr.Invalidf("file", "no file given: upload it as file (multipart request), or send its text as csv")
}

// readImport checks the caller may write the organisation's personal data and that the
// file is within the API's limit, then parses it; a file that cannot be read, or whose
// header does not match, is INVALID on the argument it came in.
func readImport[T any](ctx context.Context, orgID string, f importFile,
	parse func(r io.Reader, opts importer.Options) ([]T, []importer.LineError, error)) ([]T, []importer.LineError, error) {
	in, field, opts, err := f.open()
	if err != nil {
		return nil, nil, err
	}
	rows, bad, err := parse(in, opts)
	if err != nil {
		return nil, nil, apperr.Invalidf(field, "%s", err.Error())
	}
	return rows, bad, nil
}

// importOutcome turns an import refused for its bad rows into a result that lists them
// (nothing was written, imported is 0); any other error is returned as it is.
func importOutcome(res importer.Result, bad []importer.LineError, err error) (*model.ImportResult, error) {
	if err != nil && !(apperr.CodeOf(err) == apperr.Invalid && len(res.Bad) > 0) {
		return nil, err
	}
	return importResult(res, bad), nil
}

// importParticipants registers the participants of a file in orgID, all or nothing
// unless skip (ImportParticipants calls it).
func (r *mutationResolver) importParticipants(ctx context.Context, orgID string, f importFile, skip bool) (*model.ImportResult, error) {
	rows, bad, err := readImport(ctx, orgID, f, func(in io.Reader, opts importer.Options) ([]importer.ParticipantRow, []importer.LineError, error) {
		return importer.ParseParticipants(in, opts, r.Now())
	})
	if err != nil {
		return nil, err
	}
	res, err := r.Importer.Participants(ctx, orgID, rows, bad, skip)
	// Who registered whom is in the audit log from the import's own transaction: one
	// row per participant it changed (audit.BeginWrite, changes.Record).
	return importOutcome(res, bad, err)
}

// importObservations records the outcome observations of a file in orgID, all or
// nothing unless skip.
func (r *mutationResolver) importObservations(ctx context.Context, orgID string, f importFile, skip bool) (*model.ImportResult, error) {
	rows, bad, err := readImport(ctx, orgID, f, func(in io.Reader, opts importer.Options) ([]importer.ObservationRow, []importer.LineError, error) {
		return importer.ParseObservations(in, opts, r.Now())
	})
	if err != nil {
		return nil, err
	}
	res, err := r.Importer.Observations(ctx, orgID, rows, bad, skip)
	return importOutcome(res, bad, err)
}
