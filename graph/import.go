package graph

import (
	"bytes"
	"context"
	"io"

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

// open returns the file's content, the argument it came in (for errors), how to read
// it, and release, which the caller calls once it has read the file: a file over
// importer.MaxFileBytes is REQUEST_TOO_LARGE, and reading waits for the memory it may
// unpack to (importer.Reserve), so that the API's imports together hold a bounded
// amount, and a request whose time runs out first is TIMEOUT.
func (f importFile) open(ctx context.Context) (in io.Reader, field string, opts importer.Options, release func(), err error) {
	if f.sheet != nil {
		opts.Sheet = *f.sheet
	}
	var data []byte
	switch {
	case f.csv != nil && f.upload != nil:
		return nil, "file", opts, nil, apperr.Invalidf("file", "give the file once: as an upload in file, or as text in csv")
	case f.upload != nil:
		field = "file"
		if f.upload.Size > importer.MaxFileBytes {
			return nil, field, opts, nil, tooLarge(field)
		}
		// The transport counted the size; reading one byte more would show it wrong.
		if data, err = io.ReadAll(io.LimitReader(f.upload.File, importer.MaxFileBytes+1)); err != nil {
			return nil, field, opts, nil, apperr.Invalidf(field, "the uploaded file could not be read")
		}
	case f.csv != nil:
		field, data = "csv", []byte(*f.csv)
	default:
		return nil, "file", opts, nil, apperr.Invalidf("file", "no file given: upload it as file (multipart request), or send its text as csv")
	}
	if len(data) > importer.MaxFileBytes {
		return nil, field, opts, nil, tooLarge(field)
	}
	if release, err = importer.Reserve(ctx, data); err != nil {
		return nil, field, opts, nil, err
	}
	return bytes.NewReader(data), field, opts, release, nil
}

// readImport checks the caller may write the organisation's personal data and that the
// file is within the API's limit, then parses it; a file that cannot be read, or whose
// header does not match, is INVALID on the argument it came in.
func readImport[T any](ctx context.Context, orgID string, f importFile,
	parse func(r io.Reader, opts importer.Options) ([]T, []importer.LineError, error)) ([]T, []importer.LineError, error) {
	in, field, opts, release, err := f.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer release()
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
