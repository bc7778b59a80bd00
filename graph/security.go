package graph

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/arbetsmarknad/outcomes/graph/model"
	"github.com/arbetsmarknad/outcomes/internal/platform/audit"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
)

// AuthDirective enforces @auth(roles: [...]) on every field that carries it.
func AuthDirective(ctx context.Context, _ any, next graphql.Resolver, roles []model.Role) (any, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	allowed := make([]auth.Role, len(roles))
	for i, r := range roles {
		allowed[i] = auth.Role(strings.ToLower(string(r)))
	}
	if !p.HasRole(allowed...) {
		return nil, auth.Forbidden("", graphql.GetFieldContext(ctx).Field.Name+" for role "+string(p.Role))
	}
	return next(ctx)
}

// AuditWrites makes every mutation's root field one audited write operation: its
// transactions write the audit rows themselves (audit.BeginWrite), so a write and its
// audit rows commit together. The entity named when no change event says is the type
// the field returns ("Organisation" → organisation).
func AuditWrites(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	oc := graphql.GetOperationContext(ctx)
	rfc := graphql.GetRootFieldContext(ctx)
	if oc != nil && oc.Operation != nil && oc.Operation.Operation == "mutation" && rfc != nil {
		entity := rfc.Field.Name
		if def := rfc.Field.Definition; def != nil && def.Type != nil {
			entity = strings.ToLower(def.Type.Name()[:1]) + def.Type.Name()[1:]
			if entity == "boolean" || strings.HasSuffix(entity, "Payload") || strings.HasSuffix(entity, "Result") {
				entity = rfc.Field.Name
			}
		}
		ctx = audit.BeginWrite(ctx, rfc.Field.Name, entity)
	}
	return next(ctx)
}

// AuditFields records every personal record a field's value contains as a read (Fields
// calls it with every field's value). A mutation's own result is not recorded (its
// transaction audited the write, AuditWrites); records read in the fields selected under
// it are reads like any other.
func AuditFields(ctx context.Context, fc *graphql.FieldContext, res any) {
	if res == nil || fc.Parent != nil && fc.Parent.Object == "Mutation" {
		return
	}
	audit.RecordRead(ctx, fc.Field.Name, res)
}

func toAuditEntry(e audit.Entry) *model.AuditEntry {
	out := &model.AuditEntry{ID: strconv.FormatInt(e.ID, 10), At: e.At.UTC().Format(time.RFC3339Nano), Subject: e.Subject,
		Role: e.Role, OrganisationID: e.OrganisationID, Action: e.Action, Entity: e.Entity, Operation: e.Operation, RequestID: e.RequestID,
		Records: e.Records}
	if e.EntityID != "" {
		id := e.EntityID
		out.EntityID = &id
	}
	return out
}
