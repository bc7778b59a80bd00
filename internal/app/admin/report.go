package admin

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/domain/organisation"
	"github.com/arbetsmarknad/outcomes/internal/domain/report"
	"github.com/arbetsmarknad/outcomes/internal/platform/audit"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/config"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
	"github.com/arbetsmarknad/outcomes/warehouse/loader"
)

// orgRef finds an organisation by id or code.
func orgRef(ctx context.Context, orgs *organisation.Store, ref string) (organisation.Organisation, error) {
	if db.IsUUID(ref) {
		return orgs.Get(ctx, ref)
	}
	o, err := orgs.ByCode(ctx, ref)
	if err != nil {
		return o, fmt.Errorf("organisation %q: %w", ref, err)
	}
	return o, nil
}

// reportCmd writes the steering report of an organisation and month (as the system: the
// report holds aggregates only, protected like every other rendering) to file, or to
// out when file is "-". The read is audited.
func reportCmd(ctx context.Context, cfg config.Config, getenv func(string) string, org, month, format, file string, out io.Writer) error {
	m, err := report.ParseMonth("-month", month)
	if err != nil {
		return err
	}
	f, err := report.ParseFormat("-format", format)
	if err != nil {
		return err
	}
	if file == "" {
		return fmt.Errorf("-o FILE is required (- for standard output)")
	}
	chromium := ""
	if f == report.FormatPDF {
		if chromium, err = report.ChromiumPath(getenv); err != nil {
			return err
		}
	}
	return withLoader(ctx, cfg, func(l *loader.Loader) error {
		ctx := auth.With(ctx, auth.Principal{Subject: "outcomesctl", System: true})
		o, err := orgRef(ctx, organisation.NewStore(l.PG), org)
		if err != nil {
			return err
		}
		svc := report.NewService(l.PG, l.CH)
		sc, err := svc.ResolveScope(ctx, o.ID, nil)
		if err != nil {
			return err
		}
		r, err := svc.Current(ctx, sc, m)
		if err != nil {
			return err
		}
		if err := auditCLI(ctx, cfg, audit.Entry{Action: audit.ActionRead, Entity: "steering_report",
			EntityID: o.ID + " " + m.Format("2006-01"), Operation: "report " + string(f)}); err != nil {
			return err
		}
		var buf bytes.Buffer
		if err := report.Render(ctx, &buf, r, f, chromium); err != nil {
			return err
		}
		if file == "-" {
			_, err = out.Write(buf.Bytes())
			return err
		}
		if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
			return err
		}
		fmt.Fprintf(out, "wrote %s (%s, %d bytes): %s %s\n", file, f, buf.Len(), o.Name, m.Format("2006-01"))
		return nil
	})
}

// reportLink prints a signed, single-use link to the steering report for a caller of
// the given role (default steering, of the report's organisation), valid for ttl.
// localBase is the address of an API listening on addr (OUTCOMES_HTTP_ADDR, e.g. ":8080"
// or "127.0.0.1:56300") as this machine's browser reaches it.
func localBase(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" {
		return "http://localhost:8080"
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

func reportLink(ctx context.Context, cfg config.Config, org, month, format, role, subject, base string, ttl time.Duration, out io.Writer) error {
	m, err := report.ParseMonth("-month", month)
	if err != nil {
		return err
	}
	f, err := report.ParseFormat("-format", format)
	if err != nil {
		return err
	}
	r := auth.Role(role)
	if !r.Valid() {
		return fmt.Errorf("-role must be one of admin, caseworker, evaluator, steering, regional")
	}
	pool, err := db.Connect(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	o, err := orgRef(ctx, organisation.NewStore(pool), org)
	if err != nil {
		return err
	}
	if subject == "" {
		subject = "dev-" + role
	}
	l := report.Link{Subject: subject, Role: role, ReportOrg: o.ID, Month: m.Format("2006-01"), Format: f}
	if r != auth.Admin {
		l.OrgID = o.ID
	}
	token, _, err := report.Signer{Key: cfg.ReportLinkKey}.Sign(l, time.Now(), ttl)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%s%s?token=%s\n", strings.TrimSuffix(base, "/"), report.LinkPath, token)
	return nil
}
