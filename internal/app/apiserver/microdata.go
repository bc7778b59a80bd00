package apiserver

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/arbetsmarknad/outcomes/internal/domain/organisation"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/audit"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/errview"
	"github.com/arbetsmarknad/outcomes/warehouse/analytics"
)

// CohortFromQuery reads a cohort from URL parameters: organisationId (repeatable;
// default the caller's organisation), exitFrom and exitTo (YYYY-MM-DD, to exclusive),
// measure (repeatable). Every organisation must be one the caller may read figures of
// (auth's CanReadAggregates, the rule @aggregates applies in GraphQL), and the cohort
// must pass analytics.ValidateCohort, the rule every analytics query applies, so that a
// cohort the export would refuse is a 400 before anything is audited. Every fault is
// reported.
func CohortFromQuery(p auth.Principal, q map[string][]string) (analytics.Cohort, error) {
	var errs apperr.List
	c := analytics.Cohort{Label: "microdata", MeasureCodes: q["measure"]}
	for _, o := range q["organisationId"] {
		c.OrgIDs = append(c.OrgIDs, plainOrgID(o))
	}
	if len(c.OrgIDs) == 0 && p.OrgID != "" {
		c.OrgIDs = []string{p.OrgID}
	}
	for _, o := range c.OrgIDs {
		if !p.CanReadAggregates(o) {
			return c, auth.Forbidden("organisationId", "figures of this organisation")
		}
	}
	unreadable := map[string]bool{} // a date that did not parse is reported once, as such
	day := func(name string) time.Time {
		vs := q[name]
		if len(vs) != 1 {
			errs.Add(apperr.Invalidf(name, "%s is required once, as YYYY-MM-DD", name))
			unreadable[name] = true
			return time.Time{}
		}
		t, err := time.Parse("2006-01-02", vs[0])
		if err != nil {
			errs.Add(apperr.Invalidf(name, "%s must be a date YYYY-MM-DD", name))
			unreadable[name] = true
		}
		return t
	}
	c.ExitFrom, c.ExitTo = day("exitFrom"), day("exitTo")
	for _, e := range apperr.All(analytics.ValidateCohort(c, "organisationId", "exitFrom", "exitTo")) {
		if !unreadable[e.Field] {
			errs.Add(e)
		}
	}
	return c, errs.Err()
}

// microdataReader is the caller when they may read microdata and its dictionary:
// admins and evaluators. Anyone else has been answered 401 or 403.
func microdataReader(w http.ResponseWriter, r *http.Request) (auth.Principal, bool) {
	p, err := auth.Require(r.Context())
	if err != nil {
		writeError(w, http.StatusUnauthorized, err)
		return p, false
	}
	if !p.HasRole(auth.Admin, auth.Evaluator) {
		writeError(w, http.StatusForbidden, auth.Forbidden("", "microdata for role "+string(p.Role)))
		return p, false
	}
	return p, true
}

// microdataHandler streams one CSV row per enrolment of a cohort (pseudonymised keys,
// characteristics at start, outcomes at +3, +6, +12 and +24 months) for R and Stata
// users. Evaluators and admins only; the export itself is audited.
func microdataHandler(wh *warehouseConn, auditStore *audit.Store, orgs *organisation.Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		p, ok := microdataReader(w, r)
		if !ok {
			return
		}
		cohort, err := CohortFromQuery(p, r.URL.Query())
		if err == nil {
			err = orgs.CheckMeasureCodes(ctx, cohort.OrgIDs, cohort.MeasureCodes, "measure")
		}
		if err != nil {
			writeError(w, errview.Status(apperr.CodeOf(err)), err) // 400 or 403
			return
		}
		conn, err := wh.get()
		if err != nil {
			writeError(w, http.StatusServiceUnavailable, err)
			return
		}
		actx, rec := audit.NewContext(ctx)
		audit.Record(actx, audit.ActionRead, "microdata", strings.Join(cohort.OrgIDs, ",")+" "+cohort.ExitFrom.Format("2006-01-02")+
			".."+cohort.ExitTo.Format("2006-01-02"), "microdata.csv")
		if err := auditStore.Flush(actx, rec, requestID(ctx)); err != nil {
			zerolog.Ctx(ctx).Error().Err(err).Msg("audit log write failed; microdata withheld")
			writeError(w, http.StatusInternalServerError, apperr.New(apperr.Internal, "", "internal error"))
			return
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="microdata.csv"`)
		cw := &countingWriter{w: w}
		if err := analytics.Microdata(ctx, conn, cohort, cw); err != nil {
			if cw.n == 0 {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Del("Content-Disposition")
				writeError(w, http.StatusServiceUnavailable, warehouseError(ctx, err))
			}
			zerolog.Ctx(ctx).Error().Err(err).Int64("bytes", cw.n).Msg("microdata export failed")
			if cw.n > 0 {
				// The status line has left: abort the response so the client sees a broken
				// transfer, never a complete-looking but truncated file.
				panic(http.ErrAbortHandler)
			}
		}
	})
}

// dictionaryHandler serves microdata's data dictionary (analytics.MicrodataDictionary)
// as CSV to the same roles as the microdata: it holds no data, only what each column
// means and by which rule it was computed.
func dictionaryHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := microdataReader(w, r); !ok {
			return
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		if err := analytics.WriteMicrodataDictionary(w); err != nil {
			zerolog.Ctx(r.Context()).Error().Err(err).Msg("dictionary write failed")
		}
	})
}

type countingWriter struct {
	w http.ResponseWriter
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// writeError answers with a GraphQL-shaped error body, so clients handle both alike.
func writeError(w http.ResponseWriter, status int, err error) {
	// errview shows only a domain error's message; anything else may hold a driver's text.
	v := errview.Of(context.Background(), err)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"errors": []any{map[string]any{"message": v.Message, "extensions": v.Extensions}}}) //nolint:errcheck
}
