package graph

import (
	"context"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vikstrous/dataloadgen"

	"github.com/arbetsmarknad/outcomes/graph/model"
	"github.com/arbetsmarknad/outcomes/internal/domain/enrolment"
	"github.com/arbetsmarknad/outcomes/internal/domain/organisation"
	"github.com/arbetsmarknad/outcomes/internal/domain/outcome"
	"github.com/arbetsmarknad/outcomes/internal/domain/participant"
	"github.com/arbetsmarknad/outcomes/internal/domain/referral"
)

// A list resolver knows every item of its page at once. Loading the nested fields the
// query selects for all items in one LoadAll per loader makes a page cost one statement
// per loader whatever its size, without depending on the loaders' time window (which
// splits batches when a busy server starts the items' resolvers over several
// milliseconds). The field resolvers then find their values in the loaders' caches.

// selected returns the fields selected under path (object types named per step) of the
// current field, e.g. selected(ctx, "ParticipantConnection", "edges", "ParticipantEdge",
// "node", "Participant").
func selected(ctx context.Context, steps ...string) []graphql.CollectedField {
	fc := graphql.GetFieldContext(ctx)
	oc := graphql.GetOperationContext(ctx)
	if fc == nil || oc == nil {
		return nil
	}
	sel := fc.Field.Selections
	for i := 0; i < len(steps); i += 2 {
		fields := graphql.CollectFields(oc, sel, []string{steps[i]})
		if i+1 == len(steps) {
			return fields
		}
		sel = subSelection(fields, steps[i+1])
		if sel == nil {
			return nil
		}
	}
	return nil
}

// subSelection merges the selection sets of every occurrence of name (aliases included).
func subSelection(fields []graphql.CollectedField, name string) ast.SelectionSet {
	var out ast.SelectionSet
	for _, f := range fields {
		if f.Name == name {
			out = append(out, f.Selections...)
		}
	}
	return out
}

func has(fields []graphql.CollectedField, names ...string) bool {
	for _, f := range fields {
		for _, n := range names {
			if f.Name == n {
				return true
			}
		}
	}
	return false
}

// prime runs a loader's batch function at once for keys (distinct) and puts what it
// found in the loader's cache, so that the field resolvers find every value there. A
// prefetch knows all its keys, so waiting for the loader's time window to gather them
// would only add latency. Keys whose load failed are left out: their field resolvers
// load them again through the loader and report its error.
func prime[V any](ctx context.Context, l *dataloadgen.Loader[string, V], keys []string, fetch func(context.Context, []string) ([]V, []error)) []V {
	values, errs := fetch(ctx, keys)
	out := make([]V, 0, len(keys))
	for i, k := range keys {
		if errs[i] == nil {
			l.Prime(k, values[i])
			out = append(out, values[i])
		}
	}
	return out
}

// parallel runs the loads together and waits; their errors surface again (cached) in the
// field resolvers, so they are not returned here.
func parallel(loads ...func()) {
	var wg sync.WaitGroup
	for _, load := range loads {
		wg.Add(1)
		go func() { defer wg.Done(); load() }()
	}
	wg.Wait()
}

// prefetchParticipants loads, for a page of participants, every nested list the query
// selects on them, and the fields of their enrolments.
func (r *Resolver) prefetchParticipants(ctx context.Context, people []*participant.Participant, fields []graphql.CollectedField) {
	if len(people) == 0 || len(fields) == 0 {
		return
	}
	ids := make([]string, len(people))
	var caseworkers []string
	for i, p := range people {
		ids[i] = p.ID
		if p.CaseworkerID != nil {
			caseworkers = append(caseworkers, *p.CaseworkerID)
		}
	}
	l := r.loaders(ctx)
	var loads []func()
	add := func(cond bool, load func()) {
		if cond {
			loads = append(loads, load)
		}
	}
	enrolmentFields := graphql.CollectFields(graphql.GetOperationContext(ctx), subSelection(fields, "enrolments"), []string{"Enrolment"})
	add(has(fields, "enrolments"), func() {
		es := prime(ctx, l.EnrolmentsOf, ids, r.enrolmentsOf())
		var all []*enrolment.Enrolment
		for _, list := range es {
			all = append(all, list...)
		}
		r.prefetchEnrolments(ctx, all, enrolmentFields)
	})
	add(has(fields, "referrals"), func() {
		prime(ctx, l.ReferralsOf, ids, r.referralsOf())
	})
	add(has(fields, "actionPlan"), func() { l.ActionPlanOf.LoadAll(ctx, ids) }) //nolint:errcheck
	add(has(fields, "followUps"), func() { l.FollowUpsOf.LoadAll(ctx, ids) })   //nolint:errcheck
	add(has(fields, "observations"), func() {
		prime(ctx, l.ObservationsOf, ids, r.observationsOf())
	})
	add(has(fields, "latestObservation"), func() {
		prime(ctx, l.LatestObservationOf, ids, r.latestObservationOf())
	})
	add(has(fields, "attributes", "attributeHistory"), func() {
		prime(ctx, l.AttributesOf, ids, r.attributesOf())
	})
	add(has(fields, "interviews"), func() { l.InterviewsOf.LoadAll(ctx, ids) })                              //nolint:errcheck
	add(has(fields, "caseworker") && len(caseworkers) > 0, func() { l.StaffUser.LoadAll(ctx, caseworkers) }) //nolint:errcheck
	add(has(fields, "organisation"), func() { l.Organisation.LoadAll(ctx, orgIDs(people)) })                 //nolint:errcheck
	parallel(loads...)
}

func orgIDs(people []*participant.Participant) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range people {
		if !seen[p.OrganisationID] {
			seen[p.OrganisationID] = true
			out = append(out, p.OrganisationID)
		}
	}
	return out
}

// prefetchEnrolments loads the fields selected on a set of enrolments.
func (r *Resolver) prefetchEnrolments(ctx context.Context, es []*enrolment.Enrolment, fields []graphql.CollectedField) {
	if len(es) == 0 || len(fields) == 0 {
		return
	}
	var ids, measures, employers, units, projects []string
	for _, e := range es {
		ids, measures = append(ids, e.ID), append(measures, e.MeasureTypeID)
		if e.HostEmployerID != nil {
			employers = append(employers, *e.HostEmployerID)
		}
		if e.UnitID != nil {
			units = append(units, *e.UnitID)
		}
		if e.ProjectID != nil {
			projects = append(projects, *e.ProjectID)
		}
	}
	l := r.loaders(ctx)
	var loads []func()
	add := func(cond bool, load func()) {
		if cond {
			loads = append(loads, load)
		}
	}
	add(has(fields, "employmentRates", "currentEmploymentRate"), func() { l.RatesOf.LoadAll(ctx, ids) })  //nolint:errcheck
	add(has(fields, "measureType"), func() { l.MeasureType.LoadAll(ctx, measures) })                      //nolint:errcheck
	add(has(fields, "hostEmployer") && len(employers) > 0, func() { l.Employer.LoadAll(ctx, employers) }) //nolint:errcheck
	add(has(fields, "unit") && len(units) > 0, func() { l.Unit.LoadAll(ctx, units) })                     //nolint:errcheck
	add(has(fields, "project") && len(projects) > 0, func() { l.Project.LoadAll(ctx, projects) })         //nolint:errcheck
	parallel(loads...)
}

// prefetchOrganisations loads the catalogues, units and members a page of
// organisations selects, one statement each.
func (r *Resolver) prefetchOrganisations(ctx context.Context, orgs []*organisation.Organisation, fields []graphql.CollectedField) {
	if len(orgs) == 0 {
		return
	}
	ids := make([]string, len(orgs))
	for i, o := range orgs {
		ids[i] = o.ID
	}
	l := r.loaders(ctx)
	var loads []func()
	if has(fields, "units") {
		loads = append(loads, func() { l.UnitsOf.LoadAll(ctx, ids) }) //nolint:errcheck
	}
	if has(fields, "members") {
		loads = append(loads, func() { l.MembersOf.LoadAll(ctx, ids) }) //nolint:errcheck
	}
	if has(fields, "measureTypes") {
		loads = append(loads, func() { l.MeasureTypesOf.LoadAll(ctx, ids) }) //nolint:errcheck
	}
	parallel(loads...)
}

// nestedLoaders gives a model.Participant its enrolments, referrals and latest
// observation from the request's loaders: from their caches where a list prefetched
// them, else by a load with the request's context (ctx is held because gqlgen calls the
// participant's methods without one). Without l, the request's loaders are asked for
// only when a nested list is: a mutation that answers with a participant's id makes
// none (2 % of the API's CPU per createParticipant).
type nestedLoaders struct {
	ctx context.Context
	r   *Resolver
	l   *Loaders
}

func (n nestedLoaders) loaders() *Loaders {
	if n.l != nil {
		return n.l
	}
	return n.r.loaders(n.ctx)
}

func (n nestedLoaders) EnrolmentsOf(id string) ([]*enrolment.Enrolment, error) {
	return n.loaders().EnrolmentsOf.Load(n.ctx, id)
}

func (n nestedLoaders) ReferralsOf(id string) ([]*referral.Referral, error) {
	return n.loaders().ReferralsOf.Load(n.ctx, id)
}

func (n nestedLoaders) LatestObservationOf(id string) (*outcome.Observation, error) {
	return n.loaders().LatestObservationOf.Load(n.ctx, id)
}

// person is the one way a participant record becomes the API's Participant.
func (r *Resolver) person(ctx context.Context, p *participant.Participant) *model.Participant {
	return model.NewParticipant(p, &nestedLoaders{ctx: ctx, r: r})
}

// people wraps a list of participants, sharing one nestedLoaders.
func (r *Resolver) people(ctx context.Context, ps []*participant.Participant) []*model.Participant {
	n := &nestedLoaders{ctx: ctx, r: r}
	out := make([]*model.Participant, len(ps))
	for i, p := range ps {
		out[i] = model.NewParticipant(p, n)
	}
	return out
}

// loadPerson loads one participant by id through the request's loader.
func (r *Resolver) loadPerson(ctx context.Context, id string) (*model.Participant, error) {
	p, err := r.loaders(ctx).Participant.Load(ctx, id)
	return r.person(ctx, p), err
}
