package graph

import (
	"context"
	"strings"

	"github.com/arbetsmarknad/outcomes/graph/model"
	"github.com/arbetsmarknad/outcomes/internal/apperr"
	"github.com/arbetsmarknad/outcomes/internal/importer"
)

// maxImportBytes bounds a CSV sent through the API, which holds it in memory whole;
// larger files go through outcomesctl, which streams them.
const maxImportBytes = 20 << 20

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
		out.Errors[i] = &model.ImportRowError{Line: e.Line, Field: e.Column, Message: e.Reason}
	}
	return out
}

// readImport checks the caller may write the organisation's personal data and that the
// file is within the API's limit, then parses it; a file that cannot be read as CSV with
// the expected header is INVALID on csv.
func readImport[T any](ctx context.Context, orgID, csv string,
	parse func(r *strings.Reader) ([]T, []importer.LineError, error)) ([]T, []importer.LineError, error) {
	if err := requirePersonalData(ctx, orgID, "organisationId"); err != nil {
		return nil, nil, err
	}
	if len(csv) > maxImportBytes {
		return nil, nil, apperr.Invalidf("csv", "the file is larger than 20 MB: import it with outcomesctl")
	}
	rows, bad, err := parse(strings.NewReader(csv))
	if err != nil {
		return nil, nil, apperr.Invalidf("csv", "%s", err.Error())
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

// importParticipants registers the participants of a CSV file in orgID, all or nothing
// unless skip (ImportParticipants calls it).
func (r *mutationResolver) importParticipants(ctx context.Context, orgID, csv string, skip bool) (*model.ImportResult, error) {
	rows, bad, err := readImport(ctx, orgID, csv, func(in *strings.Reader) ([]importer.ParticipantRow, []importer.LineError, error) {
		return importer.ParseParticipants(in, r.Now())
	})
	if err != nil {
		return nil, err
	}
	res, err := importer.ImportParticipants(ctx, r.Participants.Pool(), orgID, rows, bad, skip, nil)
	// Who registered whom is in the audit log from the import's own transaction: one
	// row per participant it changed (audit.BeginWrite, changes.Record).
	return importOutcome(res, bad, err)
}

// importObservations records the outcome observations of a CSV file in orgID, all or
// nothing unless skip.
func (r *mutationResolver) importObservations(ctx context.Context, orgID, csv string, skip bool) (*model.ImportResult, error) {
	rows, bad, err := readImport(ctx, orgID, csv, func(in *strings.Reader) ([]importer.ObservationRow, []importer.LineError, error) {
		return importer.ParseObservations(in, r.Now())
	})
	if err != nil {
		return nil, err
	}
	res, err := importer.ImportObservations(ctx, r.Participants.Pool(), orgID, rows, bad, skip, nil)
	return importOutcome(res, bad, err)
}
