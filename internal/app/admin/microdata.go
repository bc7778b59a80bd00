package admin

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/domain/organisation"
	"github.com/arbetsmarknad/outcomes/internal/platform/audit"
	"github.com/arbetsmarknad/outcomes/internal/platform/config"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
	"github.com/arbetsmarknad/outcomes/warehouse/analytics"
	"github.com/arbetsmarknad/outcomes/warehouse/loader"
)

// microdata streams a cohort's pseudonymised microdata as CSV (the same file as the
// API's /microdata.csv); the export is audited under the operating-system user.
func microdata(ctx context.Context, cfg config.Config, orgs, from, to, measures string, out io.Writer) error {
	var c analytics.Cohort
	var err error
	if c.ExitFrom, err = time.Parse("2006-01-02", from); err != nil {
		return fmt.Errorf("-from must be a date YYYY-MM-DD")
	}
	if c.ExitTo, err = time.Parse("2006-01-02", to); err != nil {
		return fmt.Errorf("-to must be a date YYYY-MM-DD")
	}
	if measures != "" {
		c.MeasureCodes = strings.Split(measures, ",")
	}
	c.Label = "microdata"
	for _, ref := range strings.Split(orgs, ",") {
		if ref = strings.TrimSpace(ref); ref != "" {
			c.OrgIDs = append(c.OrgIDs, ref)
		}
	}
	// The same cohort rule as every analytics query and the API's microdata endpoint,
	// checked before anything is opened.
	if err := analytics.ValidateCohort(c, "-org", "-from", "-to"); err != nil {
		return err
	}
	return withLoader(ctx, cfg, func(l *loader.Loader) error {
		orgs := organisation.NewStore(l.PG)
		for i, ref := range c.OrgIDs {
			if !db.IsUUID(ref) {
				o, err := orgs.ByCode(ctx, ref)
				if err != nil {
					return fmt.Errorf("organisation %q: %w", ref, err)
				}
				c.OrgIDs[i] = o.ID
			}
		}
		if err := orgs.CheckMeasureCodes(ctx, c.OrgIDs, c.MeasureCodes, "-measure"); err != nil {
			return err
		}
		if err := auditCLI(ctx, cfg, audit.Entry{Action: audit.ActionRead, Entity: "microdata",
			EntityID: strings.Join(c.OrgIDs, ",") + " " + from + ".." + to, Operation: "microdata"}); err != nil {
			return err
		}
		return analytics.Microdata(ctx, l.CH, c, out)
	})
}
