package graph

import (
	"context"
	"strconv"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/graphql"

	"github.com/arbetsmarknad/outcomes/graph/generated"
	"github.com/arbetsmarknad/outcomes/graph/model"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
)

// nodeKind says how node(id:) fetches one kind of entity: the query whose @auth roles
// it shares (the one that lists or shows the entity), and the fetch itself. Tenancy
// comes with the fetch: the stores read under row-level security, so another
// organisation's record is NOT_FOUND, and reading a person is audited by AuditFields
// from the value returned, as for every other query.
type nodeKind struct {
	query string
	fetch func(r *Resolver, ctx context.Context, id string) (model.Node, error)
}

func got[T any](v T, err error) (model.Node, error) {
	if err != nil {
		return nil, err
	}
	return &v, nil
}

func loaded[T any](v *T, err error) (model.Node, error) {
	if err != nil || v == nil {
		return nil, err
	}
	return v, nil
}

var nodeKinds = map[string]nodeKind{
	"Organisation": {"organisation", func(r *Resolver, ctx context.Context, id string) (model.Node, error) {
		return loaded(r.loaders(ctx).Organisation.Load(ctx, id))
	}},
	"Unit": {"organisation", func(r *Resolver, ctx context.Context, id string) (model.Node, error) {
		return loaded(r.loaders(ctx).Unit.Load(ctx, id))
	}},
	"MeasureType": {"organisation", func(r *Resolver, ctx context.Context, id string) (model.Node, error) {
		return loaded(r.loaders(ctx).MeasureType.Load(ctx, id))
	}},
	"StaffUser": {"staffUsers", func(r *Resolver, ctx context.Context, id string) (model.Node, error) {
		return loaded(r.loaders(ctx).StaffUser.Load(ctx, id))
	}},
	"Participant": {"participant", func(r *Resolver, ctx context.Context, id string) (model.Node, error) {
		return loaded(r.loadPerson(ctx, id))
	}},
	"Enrolment": {"enrolment", func(r *Resolver, ctx context.Context, id string) (model.Node, error) {
		return got(r.Enrolments.Get(ctx, id))
	}},
	"OutcomeObservation": {"participant", func(r *Resolver, ctx context.Context, id string) (model.Node, error) {
		return got(r.Observations.Get(ctx, id))
	}},
	"Employer": {"employer", func(r *Resolver, ctx context.Context, id string) (model.Node, error) {
		return loaded(r.loaders(ctx).Employer.Load(ctx, id))
	}},
	"EmployerContact": {"employer", func(r *Resolver, ctx context.Context, id string) (model.Node, error) {
		return got(r.Employers.ContactByID(ctx, id))
	}},
	"EmployerNote": {"employer", func(r *Resolver, ctx context.Context, id string) (model.Node, error) {
		return got(r.Employers.NoteByID(ctx, id))
	}},
	"Referral": {"referral", func(r *Resolver, ctx context.Context, id string) (model.Node, error) {
		return got(r.Referrals.Get(ctx, id))
	}},
	"ActionPlan": {"participant", func(r *Resolver, ctx context.Context, id string) (model.Node, error) {
		return got(r.ActionPlans.PlanByID(ctx, id))
	}},
	"FollowUp": {"participant", func(r *Resolver, ctx context.Context, id string) (model.Node, error) {
		return got(r.ActionPlans.FollowUpByID(ctx, id))
	}},
	"Project": {"project", func(r *Resolver, ctx context.Context, id string) (model.Node, error) {
		return got(r.Projects.Get(ctx, id))
	}},
	"Target": {"targets", func(r *Resolver, ctx context.Context, id string) (model.Node, error) {
		return got(r.Projects.TargetByID(ctx, id))
	}},
	"RecruitmentEvent": {"recruitmentEvent", func(r *Resolver, ctx context.Context, id string) (model.Node, error) {
		return got(r.Recruitment.Get(ctx, id))
	}},
	"Interview": {"recruitmentEvent", func(r *Resolver, ctx context.Context, id string) (model.Node, error) {
		return got(r.Recruitment.GetInterview(ctx, id))
	}},
	"Quota": {"quota", func(r *Resolver, ctx context.Context, id string) (model.Node, error) {
		return got(r.Quotas.Get(ctx, id))
	}},
	"Consent": {"participant", func(r *Resolver, ctx context.Context, id string) (model.Node, error) {
		return got(r.Consents.Get(ctx, id))
	}},
	"AuditEntry": {"auditLog", func(r *Resolver, ctx context.Context, id string) (model.Node, error) {
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			return nil, apperr.NotFoundf("id", "audit entry not found")
		}
		e, err := r.Audit.Get(ctx, n)
		if err != nil {
			return nil, err
		}
		return toAuditEntry(e), nil
	}},
}

// queryRoles reads the @auth roles of each query field from the schema, so node(id:)
// grants exactly what the entity's own query grants.
var queryRoles = sync.OnceValue(func() map[string][]auth.Role {
	out := map[string][]auth.Role{}
	for _, f := range generated.NewExecutableSchema(generated.Config{}).Schema().Query.Fields {
		d := f.Directives.ForName("auth")
		if d == nil {
			continue
		}
		for _, v := range d.Arguments.ForName("roles").Value.Children {
			out[f.Name] = append(out[f.Name], auth.Role(strings.ToLower(v.Value.Raw)))
		}
	}
	return out
})

// rawIDArgument is the id argument as the client sent it: the ID scalar has already
// turned global ids into record ids, and node(id:) needs the kind as well.
func rawIDArgument(ctx context.Context, name string) any {
	fc := graphql.GetFieldContext(ctx)
	var vars map[string]any
	if oc := graphql.GetOperationContext(ctx); oc != nil {
		vars = oc.Variables
	}
	return fc.Field.ArgumentMap(vars)[name]
}

// resolveNode fetches the entity of a global id for the caller, or nil when it does
// not exist or the caller may not see it.
func (r *Resolver) resolveNode(ctx context.Context, global string, field string) (model.Node, error) {
	kind, id, ok := model.ParseGlobalID(global)
	if !ok {
		return nil, apperr.Invalidf(field, "not a global id (use the id field of a Node)")
	}
	k := nodeKinds[kind]
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if roles := queryRoles()[k.query]; !p.HasRole(roles...) {
		return nil, auth.Forbidden(field, kind+" for role "+string(p.Role))
	}
	if kind != "AuditEntry" && !db.IsUUID(id) {
		return nil, nil // names no record (every other kind's record id is a UUID): null, as an unknown id
	}
	n, err := k.fetch(r, ctx, id)
	if apperr.CodeOf(err) == apperr.NotFound {
		return nil, nil
	}
	return n, err
}

// MaxNodes bounds nodes(ids:).
const MaxNodes = 100
