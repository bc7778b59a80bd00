package graph_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/app/apiserver"
	"github.com/arbetsmarknad/outcomes/internal/app/apiserver/apitest"
	"github.com/arbetsmarknad/outcomes/internal/domain/domaintest"
	"github.com/arbetsmarknad/outcomes/internal/domain/importer"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
)

// The files imports read through the API share one bound on the memory they may
// unpack to at once (importer.Reserve): while a workbook that declares as much as the
// bound is being read, a further import waits for it, and is answered TIMEOUT (typed,
// nothing written) when its request's time runs out first; once the memory is free the
// same import runs. Before the bound, any number of workbooks unpacked side by side.
// Not parallel: it holds the process's whole bound while it runs.
func TestImportMemoryIsBounded(t *testing.T) {
	w := worldOn(t, apitest.New(t, apitest.Options{API: apiserver.Options{RequestTimeout: 2 * time.Second}}), "kommun-a", "kommun-b")
	caseworker := w.as(t, auth.Caseworker)
	ctx := context.Background()
	file := []byte("personnummer;förnamn;efternamn;kön\r\n" + w.pnr() + ";Vera;Väntar;K\r\n")
	count := func() int {
		var n int
		if err := w.system.QueryRow(ctx, `SELECT count(*) FROM participant WHERE organisation_id = $1`, plain(w.orgA)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	// A workbook bomb, as one being read holds it: a 400 KB file of 400 MB of XML held 465 MB
	// of the API for 5 s, and eight at once 4.9 GB for 45 s.
	release, err := importer.Reserve(ctx, domaintest.WorkbookDeclaring(t, 1<<30))
	if err != nil {
		t.Fatal(err)
	}
	resp, status, err := caseworker.Upload(ctx, uploadParticipants, map[string]any{"o": w.orgA}, "file", "deltagare.csv", file, false)
	if err != nil || status != http.StatusOK || len(resp.Errors) != 1 || resp.Errors[0].Code() != "TIMEOUT" {
		t.Errorf("an import while a workbook bomb holds the memory: HTTP %d, %v, errors %+v, data %s; want TIMEOUT", status, err, resp.Errors, resp.Data)
	}
	if n := count(); n != 0 {
		t.Errorf("%d participants registered while the memory was held; want 0", n)
	}
	release()

	if got := upload(t, caseworker, uploadParticipants, map[string]any{"o": w.orgA}, "deltagare.csv", file); got.Imported != 1 {
		t.Errorf("the same import once the memory is free: %+v", got)
	}
}
