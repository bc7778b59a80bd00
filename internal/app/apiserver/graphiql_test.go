package apiserver_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/arbetsmarknad/outcomes/internal/app/apiserver"
	"github.com/arbetsmarknad/outcomes/internal/app/apiserver/apitest"
)

// GraphiQL is served by the API itself: in a real headless Chromium whose outbound
// network is blocked (every host name but the test server's resolves to nothing), the
// page renders, takes a token in its header editor and runs a query. Every request the
// page makes goes to the API.
func TestGraphiQLRendersAndRunsAQueryOffline(t *testing.T) {
	t.Parallel()
	chromium := "/usr/bin/chromium"
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("this test needs Chromium at %s (apt-get install -y chromium)", chromium)
	}
	base := serve(t, apiserver.Options{})
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium), chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		// Outbound network blocked: only the loopback test server resolves.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
		chromedp.Flag("proxy-server", "http://127.0.0.1:9"), chromedp.Flag("proxy-bypass-list", "127.0.0.1"),
		chromedp.WindowSize(1400, 900),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	defer cancelT()

	if err := chromedp.Do(ctx); err != nil { // start the browser and its tab
		t.Fatal(err)
	}
	var mu sync.Mutex
	var requested []string
	requests := chromedp.Events(ctx, network.RequestWillBeSent)
	go func() {
		for ev, err := range requests {
			if err != nil {
				return
			}
			mu.Lock()
			requested = append(requested, ev.Request.URL)
			mu.Unlock()
		}
	}()
	headers := fmt.Sprintf(`{"Authorization": "Bearer %s"}`, apitest.Token(t, admin))
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS(`.graphiql-container`)),
	); err != nil {
		t.Fatalf("GraphiQL did not render: %v", err)
	}
	// The header editor's content is kept in localStorage (shouldPersistHeaders): put
	// the token there and the query in the editor's storage, then reload and run.
	// GraphiQL saves its own editors to the same keys shortly after it renders; a save
	// that lands after ours puts its default query back (it did, two runs in six). So
	// wait for its save before writing ours, and check after the reload that the editor
	// holds our query, writing it again if not.
	for attempt := 1; ; attempt++ {
		chromedp.Run(ctx, chromedp.Poll[bool](`localStorage.getItem('graphiql:query') !== null || null`, //nolint:errcheck // ours is written either way
			chromedp.WithPollingTimeout(5*time.Second)))
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`localStorage.setItem('graphiql:headers', %q);
			localStorage.setItem('graphiql:query', '{ organisations(first: 5) { totalCount } }'); true`, headers))); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(ctx,
			chromedp.Reload(),
			chromedp.WaitVisible(chromedp.CSS(`.graphiql-execute-button`)),
		); err != nil {
			t.Fatalf("reload GraphiQL: %v", err)
		}
		// The editors fill from localStorage after the button shows: a click before that
		// runs nothing.
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector('.graphiql-query-editor')?.innerText.includes('totalCount') || null`,
			chromedp.WithPollingTimeout(10*time.Second)))
		if err == nil {
			break
		}
		if attempt == 3 {
			shown, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('.graphiql-query-editor')?.innerText ?? '(none)'`))
			t.Fatalf("the stored query never reached the editor: %v; it shows %.300s", err, shown)
		}
	}
	// Click until the result shows (the query only reads, so running it twice changes
	// nothing).
	var result string
	for attempt := 1; result == ""; attempt++ {
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`.graphiql-execute-button`))); err != nil {
			t.Fatalf("run the query: %v", err)
		}
		r, err := chromedp.Run(ctx, chromedp.Poll[string](`(() => { const r = document.querySelector('.result-window');
			return r && r.innerText.includes('totalCount') ? r.innerText : null })()`, chromedp.WithPollingTimeout(10*time.Second)))
		switch {
		case err == nil:
			result = r
		case attempt == 4:
			shown, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector('.result-window')?.innerText ?? '(no result window)') +
				' | query editor: ' + (document.querySelector('.graphiql-query-editor')?.innerText ?? '(none)')`))
			t.Fatalf("no result shown after %d clicks: %v; the page shows: %.500s", attempt, err, shown)
		}
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(result, `"totalCount": 0`) {
		t.Errorf("the query's result is not shown: %q", result)
	}
	headerPane, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`.graphiql-editor-tool`)))
	if err != nil || !strings.Contains(headerPane, "Authorization") {
		t.Errorf("header editor content: %q %v", headerPane, err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, u := range requested {
		if !strings.HasPrefix(u, base+"/") && !strings.HasPrefix(u, "data:") {
			t.Errorf("the page requested %s, outside the API", u)
		}
	}
	if len(requested) < 5 {
		t.Errorf("saw only %d requests: %v", len(requested), requested)
	}
	path := filepath.Join(os.TempDir(), fmt.Sprintf("graphiql-offline-%d.png", time.Now().UnixNano()))
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("GraphiQL screenshot: %s (%d requests, all to %s)", path, len(requested), base)
}
