package apiserver

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/rs/zerolog"

	"github.com/arbetsmarknad/outcomes/internal/domain/report"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/errview"
)

// reportLinkHandler serves GET /reports/steering?token=…: a signed, single-use link to a
// steering report (steeringReportLink). The token is the credential, so this route
// needs no bearer header; the request log never writes query strings, and the response
// is neither cached nor sent on as a referrer. The report is built first, then the link
// is spent and the read audited in one transaction, then the rendering is sent.
func reportLinkHandler(svc *report.Service, signer report.Signer, chromium func() (string, error), now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'")
		l, err := signer.Verify(r.URL.Query().Get("token"), now())
		if err != nil {
			writeError(w, http.StatusUnauthorized, apperr.New(apperr.Unauthenticated, "token", "%s", err.Error()))
			return
		}
		p := l.Principal()
		ctx := auth.With(r.Context(), p)
		if used, err := svc.LinkUsed(ctx, l); err != nil || used {
			if err != nil {
				zerolog.Ctx(ctx).Error().Err(err).Msg("report link check failed")
				writeError(w, http.StatusInternalServerError, apperr.New(apperr.Internal, "", "internal error"))
				return
			}
			writeError(w, http.StatusGone, apperr.New(apperr.Conflict, "token", "the report link has been used already; ask for a new one"))
			return
		}
		month, err := report.ParseMonth("month", l.Month)
		if err != nil {
			writeError(w, http.StatusBadRequest, err)
			return
		}
		sc, err := svc.ScopeFor(ctx, p, l.ReportOrg)
		if err != nil {
			writeError(w, errview.Status(apperr.CodeOf(err)), err)
			return
		}
		var rep *report.Report
		if l.EditionID != "" {
			rep, err = svc.Open(ctx, sc.Organisation.ID, l.EditionID)
		} else {
			rep, err = svc.Current(ctx, sc, month)
		}
		if err != nil {
			writeError(w, errview.Status(apperr.CodeOf(err)), err)
			return
		}
		path := ""
		if l.Format == report.FormatPDF {
			if path, err = chromium(); err != nil {
				writeError(w, http.StatusServiceUnavailable, apperr.New(apperr.Unavailable, "", "PDF printing is not available on this server"))
				return
			}
		}
		var buf bytes.Buffer
		if err := report.Render(ctx, &buf, rep, l.Format, path); err != nil {
			zerolog.Ctx(ctx).Error().Err(err).Str("format", string(l.Format)).Msg("report rendering failed")
			writeError(w, http.StatusInternalServerError, apperr.New(apperr.Internal, "", "internal error"))
			return
		}
		if err := svc.UseLink(ctx, l, requestID(ctx)); err != nil {
			if apperr.CodeOf(err) == apperr.Conflict {
				writeError(w, http.StatusGone, err)
				return
			}
			zerolog.Ctx(ctx).Error().Err(err).Msg("report link audit failed; report withheld")
			writeError(w, http.StatusInternalServerError, apperr.New(apperr.Internal, "", "internal error"))
			return
		}
		h.Set("Content-Type", l.Format.ContentType())
		if l.Format != report.FormatHTML {
			h.Set("Content-Disposition", `attachment; filename="manadsuppfoljning-`+rep.OrganisationCode+"-"+l.Month+"."+string(l.Format)+`"`)
		}
		w.Write(buf.Bytes()) //nolint:errcheck // the client went away
	})
}

// freezeReports freezes last month's steering reports once the configured day has come,
// checking hourly until ctx ends.
func freezeReports(ctx context.Context, svc *report.Service, day int, log zerolog.Logger) {
	if day == 0 {
		return
	}
	tick := time.NewTicker(time.Hour)
	defer tick.Stop()
	for {
		n, err := svc.FreezeDue(ctx, day)
		switch {
		case err != nil && !errors.Is(err, context.Canceled):
			log.Warn().Err(err).Msg("freezing monthly steering reports failed; retrying in an hour")
		case n > 0:
			log.Info().Int("editions", n).Msg("froze monthly steering reports")
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
