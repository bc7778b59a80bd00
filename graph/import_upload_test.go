package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/gqltest"
)

// excelFixture is one of the importer's files as Excel saves them.
func excelFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "internal", "domain", "importer", "testdata", "excel", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const uploadParticipants = `mutation($o: ID!, $file: Upload, $sheet: String, $skip: Boolean) {
	importParticipants(organisationId: $o, file: $file, sheet: $sheet, skipInvalid: $skip) {
		imported skipped errors { line field column sheet message } } }`

const uploadObservations = `mutation($o: ID!, $file: Upload, $sheet: String) {
	importObservations(organisationId: $o, file: $file, sheet: $sheet) {
		imported skipped errors { line field column sheet message } } }`

type uploadResult struct {
	Imported, Skipped int
	Errors            []struct {
		Line                          int
		Field, Column, Sheet, Message string
	}
}

// upload sends a file and decodes the import's result, failing on any error.
func upload(t *testing.T, c *gqltest.Client, mutation string, vars map[string]any, name string, content []byte) uploadResult {
	t.Helper()
	resp, status, err := c.Upload(context.Background(), mutation, vars, "file", name, content, false)
	if err != nil || status != http.StatusOK || len(resp.Errors) > 0 {
		t.Fatalf("upload %s: HTTP %d, %v, %+v", name, status, err, resp.Errors)
	}
	var out map[string]uploadResult
	if err := json.Unmarshal(resp.Data, &out); err != nil {
		t.Fatal(err)
	}
	for _, r := range out {
		return r
	}
	t.Fatal("no result")
	return uploadResult{}
}

// The files sent as a unit's administrator would, through the multipart
// upload: Excel's semicolon CSV in UTF-8 with a BOM registers five people with their
// names intact; the same file in Windows-1252 then finds every one of them registered
// (so the conversion gives the same numbers), each error naming the line and the
// file's own heading; the workbook registers them in another organisation and its
// second sheet, picked by name, records their observations.
func TestImportUploadsExcelFiles(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	caseworker := w.as(t, auth.Caseworker)
	names := func(org string) map[string]string {
		rows, err := w.system.Query(ctx, `SELECT personal_identity_number, given_name || ' ' || family_name FROM participant WHERE organisation_id = $1`, plain(org))
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string]string{}
		for rows.Next() {
			var pnr, name string
			if err := rows.Scan(&pnr, &name); err != nil {
				t.Fatal(err)
			}
			out[pnr] = name
		}
		return out
	}
	want := map[string]string{
		"19850412-1230": "\xc3\x85sa \xc3\x96berg",                         // Åsa Öberg
		"19791130-4561": "J\xc3\xb6rgen \xc3\x84ngstr\xc3\xb6m",            // Jörgen Ängström
		"20050307-7893": "Ren\xc3\xa9e Ekstr\xc3\xb6m-\xc3\x85hl\xc3\xa9n", // Renée Ekström-Åhlén
		"19900615-2467": "M\xc3\xa4rta Lovisa \xc3\x96st",                  // Märta Lovisa Öst
		"19681224-8026": "Zo\xc3\xab M\xc3\xbcller",                        // Zoë Müller
	}
	check := func(org string) {
		t.Helper()
		got := names(org)
		for pnr, name := range want {
			if !bytes.Equal([]byte(got[pnr]), []byte(name)) {
				t.Errorf("%s: stored % x, want % x (%s)", pnr, got[pnr], name, name)
			}
		}
	}

	res := upload(t, caseworker, uploadParticipants, map[string]any{"o": w.orgA}, "deltagare.csv", excelFixture(t, "participants-utf8-bom-semicolon-crlf.csv"))
	if res.Imported != 5 || len(res.Errors) != 0 {
		t.Fatalf("UTF-8 CSV: %+v", res)
	}
	check(w.orgA)

	res = upload(t, caseworker, uploadParticipants, map[string]any{"o": w.orgA}, "deltagare-ansi.csv", excelFixture(t, "participants-windows1252-semicolon-crlf.csv"))
	if res.Imported != 0 || len(res.Errors) != 5 {
		t.Fatalf("Windows-1252 CSV again: %+v", res)
	}
	for i, e := range res.Errors {
		if e.Line != i+2 || e.Field != "personal_identity_number" || e.Column != "Personnummer" || e.Sheet != "" || !strings.Contains(e.Message, "already registered") {
			t.Errorf("error %d: %+v", i, e)
		}
	}

	admin := w.admin
	res = upload(t, admin, uploadParticipants, map[string]any{"o": w.orgB}, "deltagare.xlsx", excelFixture(t, "participants-and-observations.xlsx"))
	if res.Imported != 5 || len(res.Errors) != 0 {
		t.Fatalf("workbook: %+v", res)
	}
	check(w.orgB)
	res = upload(t, admin, uploadObservations, map[string]any{"o": w.orgB, "sheet": "Uppföljning"}, "deltagare.xlsx", excelFixture(t, "participants-and-observations.xlsx"))
	if res.Imported != 3 || len(res.Errors) != 0 {
		t.Fatalf("workbook's second sheet: %+v", res)
	}
	var months string
	if err := w.system.QueryRow(ctx, `SELECT string_agg(to_char(month, 'YYYY-MM'), ',' ORDER BY month) FROM outcome_observation WHERE organisation_id = $1`, plain(w.orgB)).Scan(&months); err != nil {
		t.Fatal(err)
	}
	if months != "2019-01,2019-02,2019-03" {
		t.Errorf("months recorded: %s", months)
	}
	// A row the workbook gets wrong is reported by sheet, row and heading.
	res = upload(t, admin, uploadParticipants, map[string]any{"o": w.orgB}, "deltagare.xlsx", excelFixture(t, "participants-and-observations.xlsx"))
	if len(res.Errors) != 5 || res.Errors[0].Sheet != "Deltagare" || res.Errors[0].Line != 2 || res.Errors[0].Column != "Personnummer (A)" {
		t.Errorf("workbook again: %+v", res)
	}
}

// A file over the limit is refused with REQUEST_TOO_LARGE, whether the client says its
// length or streams it; a file whose header does not match is INVALID on file, with the
// columns found and missing; nothing is written either way.
func TestImportUploadRefusals(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	caseworker := w.as(t, auth.Caseworker)
	header := []byte("personnummer;förnamn;efternamn;kön\r\n")
	for _, tc := range []struct {
		name    string
		size    int // of the file
		chunked bool
		status  int // the resolver refuses a file over 20 MB; the server a body over 21 MB
	}{
		{"just over the file limit", 20<<20 + 1, false, http.StatusOK},
		{"over the body limit", 22 << 20, false, http.StatusRequestEntityTooLarge},
		{"over the body limit, streamed", 22 << 20, true, http.StatusRequestEntityTooLarge},
	} {
		big := append(append([]byte(nil), header...), bytes.Repeat([]byte("x"), tc.size-len(header))...)
		resp, status, err := caseworker.Upload(context.Background(), uploadParticipants, map[string]any{"o": w.orgA}, "file", "stor.csv", big, tc.chunked)
		if err != nil || status != tc.status || len(resp.Errors) != 1 || resp.Errors[0].Code() != "REQUEST_TOO_LARGE" ||
			!strings.Contains(resp.Errors[0].Message, "at most 20 MB") {
			t.Errorf("%s: HTTP %d, %v, %+v", tc.name, status, err, resp.Errors)
		}
	}
	resp, status, err := caseworker.Upload(context.Background(), uploadParticipants, map[string]any{"o": w.orgA}, "file", "fel.csv",
		[]byte("Personnummer;Namn;Kön\r\n"), false)
	if err != nil || status != http.StatusOK || len(resp.Errors) != 1 || resp.Errors[0].Code() != "INVALID" || resp.Errors[0].Field() != "file" ||
		!strings.Contains(resp.Errors[0].Message, "given_name (or förnamn); family_name (or efternamn)") ||
		!strings.Contains(resp.Errors[0].Message, `Columns found: "Personnummer", "Namn", "Kön"`) {
		t.Errorf("header without names: %v, %+v", err, resp.Errors)
	}
	// The upload's operations part passes the same gate as a JSON request.
	resp, status, err = caseworker.Upload(context.Background(), uploadParticipants, map[string]any{"o": "a\x01b"}, "file", "deltagare.csv", []byte(header), false)
	if err != nil || status != http.StatusBadRequest || len(resp.Errors) != 1 || resp.Errors[0].Code() != "INVALID" || resp.Errors[0].Field() != "variables.o" {
		t.Errorf("a control character in the operations: HTTP %d, %v, %+v", status, err, resp.Errors)
	}
	// A value where the file belongs (a JSON request cannot carry one) is the caller's
	// mistake, told as such.
	if errs := caseworker.MustFail(t, uploadParticipants, map[string]any{"o": w.orgA, "file": "deltagare.csv"}); errs[0].Code() != "INVALID" ||
		!strings.Contains(errs[0].Message, "multipart request") {
		t.Errorf("a string as the file: %+v", errs)
	}
	var n int
	if err := w.system.QueryRow(context.Background(), `SELECT count(*) FROM participant WHERE organisation_id = $1`, plain(w.orgA)).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d participants in A (want the one the world made), %v", n, err)
	}
}
