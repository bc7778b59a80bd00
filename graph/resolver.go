// Package graph is the GraphQL layer: schema, generated code and thin resolvers that
// convert inputs, make one call into internal/ or warehouse/, and convert the result.
package graph

//go:generate go run github.com/99designs/gqlgen generate
//go:generate go run ./internal/listgen -dir generated

import (
	"time"

	"github.com/arbetsmarknad/outcomes/internal/domain/actionplan"
	"github.com/arbetsmarknad/outcomes/internal/domain/consent"
	"github.com/arbetsmarknad/outcomes/internal/domain/cost"
	"github.com/arbetsmarknad/outcomes/internal/domain/employer"
	"github.com/arbetsmarknad/outcomes/internal/domain/enrolment"
	"github.com/arbetsmarknad/outcomes/internal/domain/importer"
	"github.com/arbetsmarknad/outcomes/internal/domain/linkage"
	"github.com/arbetsmarknad/outcomes/internal/domain/organisation"
	"github.com/arbetsmarknad/outcomes/internal/domain/outcome"
	"github.com/arbetsmarknad/outcomes/internal/domain/participant"
	"github.com/arbetsmarknad/outcomes/internal/domain/project"
	"github.com/arbetsmarknad/outcomes/internal/domain/quota"
	"github.com/arbetsmarknad/outcomes/internal/domain/recruitment"
	"github.com/arbetsmarknad/outcomes/internal/domain/referral"
	"github.com/arbetsmarknad/outcomes/internal/domain/report"
	"github.com/arbetsmarknad/outcomes/internal/domain/retention"
	"github.com/arbetsmarknad/outcomes/internal/platform/audit"
	"github.com/arbetsmarknad/outcomes/internal/platform/livefigures"
	"github.com/arbetsmarknad/outcomes/warehouse/chstore"
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
	Importer      *importer.Service
	Consents      *consent.Store
	Linkage       *linkage.Service // register linkage (registerkörning)
	Audit         *audit.Store
	Warehouse     chstore.Querier
	Costs         *cost.Store      // cost items and project budgets (issue 16)
	Retention     *retention.Store // retention rules (issue 16)
	Figures       *livefigures.Hub // nil: no live subscriptions
	Reports       *report.Service  // the monthly steering report
	ReportLinks   report.Signer    // signs the report links a browser opens
	Now           func() time.Time
}
