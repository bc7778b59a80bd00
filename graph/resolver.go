// Package graph is the GraphQL layer: schema, generated code and thin resolvers that
// convert inputs, make one call into internal/ or warehouse/, and convert the result.
package graph

//go:generate go run github.com/99designs/gqlgen generate

import (
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/arbetsmarknad/outcomes/internal/actionplan"
	"github.com/arbetsmarknad/outcomes/internal/audit"
	"github.com/arbetsmarknad/outcomes/internal/employer"
	"github.com/arbetsmarknad/outcomes/internal/enrolment"
	"github.com/arbetsmarknad/outcomes/internal/livefigures"
	"github.com/arbetsmarknad/outcomes/internal/organisation"
	"github.com/arbetsmarknad/outcomes/internal/outcome"
	"github.com/arbetsmarknad/outcomes/internal/participant"
	"github.com/arbetsmarknad/outcomes/internal/project"
	"github.com/arbetsmarknad/outcomes/internal/quota"
	"github.com/arbetsmarknad/outcomes/internal/recruitment"
	"github.com/arbetsmarknad/outcomes/internal/referral"
	"github.com/arbetsmarknad/outcomes/internal/report"
)

// Resolver holds the dependencies of every resolver.
type Resolver struct {
	Organisations *organisation.Store
	Participants  *participant.Store
	Enrolments    *enrolment.Store
	Observations  *outcome.Store
	Employers     *employer.Store
	Referrals     *referral.Store
	ActionPlans   *actionplan.Store
	Projects      *project.Store
	Recruitment   *recruitment.Store
	Quotas        *quota.Store
	Audit         *audit.Store
	Warehouse     driver.Conn
	Figures       *livefigures.Hub // nil: no live subscriptions
	Reports       *report.Service  // the monthly steering report
	ReportLinks   report.Signer    // signs the report links a browser opens
	Now           func() time.Time
}
