package report

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// ChromiumPath finds the headless browser that prints the PDF: OUTCOMES_CHROMIUM when
// set, else chromium (Debian's package, installed by scripts/stack.sh) on PATH.
func ChromiumPath(getenv func(string) string) (string, error) {
	if p := getenv("OUTCOMES_CHROMIUM"); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no chromium found: install Debian's chromium package or set OUTCOMES_CHROMIUM")
}

// BrowserOptions are the headless flags that work on these machines, with a fresh
// profile directory.
func BrowserOptions(chromium, profile string) []chromedp.ExecAllocatorOption {
	return []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium), chromedp.UserDataDir(profile),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-default-browser-check", true),
	}
}

// PDF prints the report's HTML with headless Chromium (A4, the page's own print CSS).
// The page is loaded as a document of its own, not from a URL, and every network
// request is blocked: the report needs none.
func PDF(ctx context.Context, chromium string, r *Report) ([]byte, error) {
	var htmlDoc bytes.Buffer
	if err := HTML(&htmlDoc, r); err != nil {
		return nil, err
	}
	return PrintHTML(ctx, chromium, htmlDoc.String())
}

// PrintHTML prints one HTML document to PDF in a fresh headless Chromium.
func PrintHTML(ctx context.Context, chromium, doc string) ([]byte, error) {
	profile, err := os.MkdirTemp("", "outcomes-chromium-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(profile)
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, BrowserOptions(chromium, profile)...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	var out []byte
	err = chromedp.Do(bctx,
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
				return err
			}
			_, err := chromedp.Call(ctx, network.SetBlockedURLs, network.SetBlockedURLsParams{URLPatterns: []*network.BlockPattern{
				{URLPattern: "*://*:*/*", Block: true}}})
			return err
		}),
		chromedp.Navigate("about:blank"),
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			tree, err := chromedp.Call(ctx, cdppage.GetFrameTree, cdp.Empty{})
			if err != nil {
				return err
			}
			_, err = chromedp.Call(ctx, cdppage.SetDocumentContent, cdppage.SetDocumentContentParams{
				FrameID: tree.FrameTree.Frame.ID, HTML: doc})
			return err
		}),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			var err error
			out, err = chromedp.PrintToPDF(chromedp.PDFPaper(chromedp.PaperA4), chromedp.PDFPrintBackground(),
				chromedp.PDFPreferCSSPageSize())(ctx, t)
			return err
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("print pdf: %w", err)
	}
	return out, nil
}
