package graph

import (
	"context"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vikstrous/dataloadgen"

	"github.com/arbetsmarknad/outcomes/internal/domain/actionplan"
	"github.com/arbetsmarknad/outcomes/internal/domain/consent"
	"github.com/arbetsmarknad/outcomes/internal/domain/employer"
	"github.com/arbetsmarknad/outcomes/internal/domain/enrolment"
	"github.com/arbetsmarknad/outcomes/internal/domain/organisation"
	"github.com/arbetsmarknad/outcomes/internal/domain/outcome"
	"github.com/arbetsmarknad/outcomes/internal/domain/participant"
	"github.com/arbetsmarknad/outcomes/internal/domain/project"
	"github.com/arbetsmarknad/outcomes/internal/domain/recruitment"
	"github.com/arbetsmarknad/outcomes/internal/domain/referral"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
)

// Loaders batch the nested fields of one request, so a page of participants with their
// enrolments and observations costs a fixed number of SQL statements.
type Loaders struct {
	Organisation   *dataloadgen.Loader[string, *organisation.Organisation]
	MeasureType    *dataloadgen.Loader[string, *organisation.MeasureType]
	Participant    *dataloadgen.Loader[string, *participant.Participant]
	EnrolmentsOf   *dataloadgen.Loader[string, []*enrolment.Enrolment]
	ObservationsOf *dataloadgen.Loader[string, []*outcome.Observation]
	ConsentsOf     *dataloadgen.Loader[string, []*consent.Consent]
	// LatestObservationOf maps a participant to their latest observation (nil if none).
	LatestObservationOf *dataloadgen.Loader[string, *outcome.Observation]
	AttributesOf        *dataloadgen.Loader[string, []*participant.Attributes]
	RatesOf             *dataloadgen.Loader[string, []*enrolment.Rate]
	Unit                *dataloadgen.Loader[string, *organisation.Unit]
	StaffUser           *dataloadgen.Loader[string, *organisation.StaffUser]
	StaffOfUnit         *dataloadgen.Loader[string, []*organisation.StaffUser]
	UnitsOf             *dataloadgen.Loader[string, []*organisation.Unit]
	MembersOf           *dataloadgen.Loader[string, []*organisation.Membership]
	MeasureTypesOf      *dataloadgen.Loader[string, []*organisation.MeasureType]
	Employer            *dataloadgen.Loader[string, *employer.Employer]
	ContactsOf          *dataloadgen.Loader[string, []*employer.Contact]
	NotesOf             *dataloadgen.Loader[string, []*employer.Note]
	ReferralsOf         *dataloadgen.Loader[string, []*referral.Referral]
	ActionPlanOf        *dataloadgen.Loader[string, []*actionplan.Plan]
	FollowUpsOf         *dataloadgen.Loader[string, []*actionplan.FollowUp]
	Project             *dataloadgen.Loader[string, *project.Project]
	InterviewsOf        *dataloadgen.Loader[string, []*recruitment.Interview]
	RecruitmentEvent    *dataloadgen.Loader[string, *recruitment.Event]
	PlacesOf            *dataloadgen.Loader[string, []*recruitment.Place]
	InvitationsOf       *dataloadgen.Loader[string, []*recruitment.Invitation]
	EventInterviewsOf   *dataloadgen.Loader[string, []*recruitment.Interview]
	SummaryOf           *dataloadgen.Loader[string, *recruitment.Summary]
	TargetsOf           *dataloadgen.Loader[string, []*project.Target]
	Enrolment           *dataloadgen.Loader[string, *enrolment.Enrolment]
	Casework            *caseLoaders // issue 16's fields (casework_loaders.go)
}

type loadersKey struct{}

// loaderWait is how long a loader collects keys before it runs its one statement. List
// resolvers do not depend on it: they prefetch their page's nested fields (prefetch.go).
// It batches the rest, e.g. fields two levels below a list.
const loaderWait = 5 * time.Millisecond

// NewLoaders returns fresh, per-request loaders.
func (r *Resolver) NewLoaders() *Loaders {
	return &Loaders{
		Casework: r.newCaseLoaders(),
		Organisation: dataloadgen.NewLoader(byID(r.Organisations.ByIDs, func(o organisation.Organisation) string { return o.ID }, "organisation"),
			dataloadgen.WithWait(loaderWait)),
		MeasureType: dataloadgen.NewLoader(byID(r.Organisations.MeasureTypesByIDs, func(m organisation.MeasureType) string { return m.ID }, "measure type"),
			dataloadgen.WithWait(loaderWait)),
		Participant: dataloadgen.NewLoader(byID(r.Participants.ByIDs, func(p participant.Participant) string { return p.ID }, "participant"),
			dataloadgen.WithWait(loaderWait)),
		EnrolmentsOf: dataloadgen.NewLoader(r.enrolmentsOf(),
			dataloadgen.WithWait(loaderWait)),
		ObservationsOf: dataloadgen.NewLoader(r.observationsOf(),
			dataloadgen.WithWait(loaderWait)),
		ConsentsOf: dataloadgen.NewLoader(groupBy(r.Consents.ByParticipants, func(c consent.Consent) string { return c.ParticipantID }),
			dataloadgen.WithWait(loaderWait)),
		LatestObservationOf: dataloadgen.NewLoader(r.latestObservationOf(),
			dataloadgen.WithWait(loaderWait)),
		AttributesOf: dataloadgen.NewLoader(r.attributesOf(),
			dataloadgen.WithWait(loaderWait)),
		RatesOf: dataloadgen.NewLoader(groupBy(r.Enrolments.RatesByEnrolments, func(x enrolment.Rate) string { return x.EnrolmentID }),
			dataloadgen.WithWait(loaderWait)),
		Unit: dataloadgen.NewLoader(byID(r.Organisations.UnitsByIDs, func(u organisation.Unit) string { return u.ID }, "unit"),
			dataloadgen.WithWait(loaderWait)),
		StaffUser: dataloadgen.NewLoader(byID(r.Organisations.StaffByIDs, func(u organisation.StaffUser) string { return u.ID }, "staff user"),
			dataloadgen.WithWait(loaderWait)),
		StaffOfUnit: dataloadgen.NewLoader(groupBy(r.Organisations.StaffOfUnits, func(u organisation.StaffUser) string { return deref(u.UnitID) }),
			dataloadgen.WithWait(loaderWait)),
		UnitsOf: dataloadgen.NewLoader(groupBy(r.Organisations.UnitsOf, func(u organisation.Unit) string { return u.OrganisationID }),
			dataloadgen.WithWait(loaderWait)),
		MembersOf: dataloadgen.NewLoader(groupBy(r.Organisations.MembersOf, func(m organisation.Membership) string { return m.RegionalID }),
			dataloadgen.WithWait(loaderWait)),
		MeasureTypesOf: dataloadgen.NewLoader(groupBy(r.Organisations.ActiveMeasureTypesOf, func(m organisation.MeasureType) string { return m.OrganisationID }),
			dataloadgen.WithWait(loaderWait)),
		Employer: dataloadgen.NewLoader(byID(r.Employers.ByIDs, func(e employer.Employer) string { return e.ID }, "employer"),
			dataloadgen.WithWait(loaderWait)),
		ContactsOf: dataloadgen.NewLoader(groupBy(r.Employers.ContactsOf, func(c employer.Contact) string { return c.EmployerID }),
			dataloadgen.WithWait(loaderWait)),
		NotesOf: dataloadgen.NewLoader(groupBy(r.Employers.NotesOf, func(n employer.Note) string { return n.EmployerID }),
			dataloadgen.WithWait(loaderWait)),
		ReferralsOf: dataloadgen.NewLoader(r.referralsOf(),
			dataloadgen.WithWait(loaderWait)),
		ActionPlanOf: dataloadgen.NewLoader(groupBy(r.ActionPlans.PlansByParticipants, func(x actionplan.Plan) string { return x.ParticipantID }),
			dataloadgen.WithWait(loaderWait)),
		FollowUpsOf: dataloadgen.NewLoader(groupBy(r.ActionPlans.FollowUpsByParticipants, func(x actionplan.FollowUp) string { return x.ParticipantID }),
			dataloadgen.WithWait(loaderWait)),
		Project: dataloadgen.NewLoader(byID(r.Projects.ByIDs, func(x project.Project) string { return x.ID }, "project"),
			dataloadgen.WithWait(loaderWait)),
		InterviewsOf: dataloadgen.NewLoader(groupBy(r.Recruitment.InterviewsByParticipants, func(x recruitment.Interview) string { return x.ParticipantID }),
			dataloadgen.WithWait(loaderWait)),
		PlacesOf: dataloadgen.NewLoader(groupBy(r.Recruitment.PlacesOf, func(x recruitment.Place) string { return x.EventID }),
			dataloadgen.WithWait(loaderWait)),
		InvitationsOf: dataloadgen.NewLoader(groupBy(r.Recruitment.InvitationsOf, func(x recruitment.Invitation) string { return x.EventID }),
			dataloadgen.WithWait(loaderWait)),
		EventInterviewsOf: dataloadgen.NewLoader(groupBy(r.Recruitment.InterviewsOf, func(x recruitment.Interview) string { return x.EventID }),
			dataloadgen.WithWait(loaderWait)),
		SummaryOf: dataloadgen.NewLoader(byID(r.Recruitment.SummariesOf, func(x recruitment.Summary) string { return x.EventID }, "recruitment event"),
			dataloadgen.WithWait(loaderWait)),
		TargetsOf: dataloadgen.NewLoader(groupBy(r.Projects.TargetsOfProjects, func(x project.Target) string { return deref(x.ProjectID) }),
			dataloadgen.WithWait(loaderWait)),
		Enrolment: dataloadgen.NewLoader(byID(r.Enrolments.ByIDs, func(x enrolment.Enrolment) string { return x.ID }, "enrolment"),
			dataloadgen.WithWait(loaderWait)),
		RecruitmentEvent: dataloadgen.NewLoader(byID(r.Recruitment.EventsByIDs, func(x recruitment.Event) string { return x.ID }, "recruitment event"),
			dataloadgen.WithWait(loaderWait)),
	}
}

// The batch functions of the loaders that list resolvers also prime directly
// (prefetch.go), written once for both.

func (r *Resolver) enrolmentsOf() func(context.Context, []string) ([][]*enrolment.Enrolment, []error) {
	return groupBy(r.Enrolments.ByParticipants, func(e enrolment.Enrolment) string { return e.ParticipantID })
}

func (r *Resolver) observationsOf() func(context.Context, []string) ([][]*outcome.Observation, []error) {
	return groupBy(r.Observations.ByParticipants, func(o outcome.Observation) string { return o.ParticipantID })
}

func (r *Resolver) latestObservationOf() func(context.Context, []string) ([]*outcome.Observation, []error) {
	return latestOf(r.Observations.LatestByParticipants, func(o outcome.Observation) string { return o.ParticipantID })
}

func (r *Resolver) attributesOf() func(context.Context, []string) ([][]*participant.Attributes, []error) {
	return groupBy(r.Participants.AttributesByParticipants, func(a participant.Attributes) string { return a.ParticipantID })
}

func (r *Resolver) referralsOf() func(context.Context, []string) ([][]*referral.Referral, []error) {
	return groupBy(r.Referrals.ByParticipants, func(x referral.Referral) string { return x.ParticipantID })
}

// requestLoaders are one request's loaders, made when a resolver first asks for them:
// a request that reads nothing nested (a create returning its id) does not build the
// thirty-odd loaders and their batch functions (3 % of the API's CPU per write).
type requestLoaders struct {
	once sync.Once
	r    *Resolver
	l    *Loaders
}

// LoadersPerResponse gives every response loaders of its own (gqlgen's
// AroundResponses), so that what they cache lives no longer than the response and its
// reads (a query's read scope is a response's too). Loaders of the HTTP request would
// serve a WebSocket connection, many operations on one request, from one cache: a
// query would be answered from an earlier one's reads (an enrolment created since
// missing), and the cache would grow for as long as the connection lives.
func (r *Resolver) LoadersPerResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	return next(context.WithValue(ctx, loadersKey{}, &requestLoaders{r: r}))
}

func (r *Resolver) loaders(ctx context.Context) *Loaders {
	if rl, ok := ctx.Value(loadersKey{}).(*requestLoaders); ok {
		rl.once.Do(func() { rl.l = rl.r.NewLoaders() })
		return rl.l
	}
	return r.NewLoaders() // a caller without the middleware still gets correct (unbatched) results
}

// byID adapts a "load these ids" store call to a loader; missing ids are NOT_FOUND.
func byID[T any](load func(context.Context, []string) ([]T, error), id func(T) string, what string) func(context.Context, []string) ([]*T, []error) {
	return func(ctx context.Context, keys []string) ([]*T, []error) {
		items, err := load(ctx, keys)
		out := make([]*T, len(keys))
		errs := make([]error, len(keys))
		if err != nil {
			for i := range errs {
				errs[i] = err
			}
			return out, errs
		}
		found := make(map[string]*T, len(items))
		for i := range items {
			found[id(items[i])] = &items[i]
		}
		for i, k := range keys {
			if out[i] = found[k]; out[i] == nil {
				errs[i] = apperr.NotFoundf("", "%s not found", what)
			}
		}
		return out, errs
	}
}

// groupBy adapts a "load the children of these parents" store call; a parent without
// children gets an empty list.
func groupBy[T any](load func(context.Context, []string) ([]T, error), parent func(T) string) func(context.Context, []string) ([][]*T, []error) {
	return func(ctx context.Context, keys []string) ([][]*T, []error) {
		items, err := load(ctx, keys)
		out := make([][]*T, len(keys))
		errs := make([]error, len(keys))
		if err != nil {
			for i := range errs {
				errs[i] = err
			}
			return out, errs
		}
		grouped := map[string][]*T{}
		for i := range items {
			p := parent(items[i])
			grouped[p] = append(grouped[p], &items[i])
		}
		for i, k := range keys {
			out[i] = grouped[k]
			if out[i] == nil {
				out[i] = []*T{}
			}
		}
		return out, errs
	}
}

// latestOf adapts a "load at most one child per parent" store call; a parent without
// one gets nil.
func latestOf[T any](load func(context.Context, []string) ([]T, error), parent func(T) string) func(context.Context, []string) ([]*T, []error) {
	return func(ctx context.Context, keys []string) ([]*T, []error) {
		items, err := load(ctx, keys)
		out := make([]*T, len(keys))
		errs := make([]error, len(keys))
		if err != nil {
			for i := range errs {
				errs[i] = err
			}
			return out, errs
		}
		found := make(map[string]*T, len(items))
		for i := range items {
			found[parent(items[i])] = &items[i]
		}
		for i, k := range keys {
			out[i] = found[k]
		}
		return out, errs
	}
}
