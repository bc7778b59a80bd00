package graph

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/arbetsmarknad/outcomes/graph/model"
	"github.com/arbetsmarknad/outcomes/internal/domain/actionplan"
	"github.com/arbetsmarknad/outcomes/internal/domain/eligibility"
	"github.com/arbetsmarknad/outcomes/internal/domain/enrolment"
	"github.com/arbetsmarknad/outcomes/internal/domain/outcome"
	"github.com/arbetsmarknad/outcomes/internal/domain/participant"
	"github.com/arbetsmarknad/outcomes/internal/domain/recruitment"
	"github.com/arbetsmarknad/outcomes/internal/domain/referral"
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

// requirePersonalData refuses callers who may not read or write personal data of orgID.
// Row-level security in PostgreSQL backs this up; this check gives a clear error.
func requirePersonalData(ctx context.Context, orgID, field string) error {
	p, err := auth.Require(ctx)
	if err != nil {
		return err
	}
	if !p.CanReadPersonalData(orgID) {
		return auth.Forbidden(field, "personal data of this organisation")
	}
	return nil
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

// AuditFields records every personal record a response contains as a read. A
// mutation's own result is not recorded (its transaction audited the write, AuditWrites);
// records read in the fields selected under it are reads like any other.
func AuditFields(ctx context.Context, next graphql.Resolver) (any, error) {
	res, err := next(ctx)
	if err != nil || res == nil {
		return res, err
	}
	fc := graphql.GetFieldContext(ctx)
	if fc.Parent != nil && fc.Parent.Object == "Mutation" {
		return res, nil
	}
	recordAudit(ctx, fc, "read", fc.Field.Name, res)
	return res, nil
}

// recordAudit records the audit entries one resolved value implies.
func recordAudit(ctx context.Context, fc *graphql.FieldContext, action, op string, res any) {
	switch v := res.(type) {
	case []model.Node: // nodes(ids:): each entity as if read alone
		for _, n := range v {
			if n != nil {
				recordAudit(ctx, fc, action, op, n)
			}
		}
	case *participant.Participant:
		if v != nil {
			audit.Record(ctx, action, "participant", v.ID, op)
		}
	case *enrolment.Enrolment:
		if v != nil {
			audit.Record(ctx, action, "enrolment", v.ID, op)
			audit.Record(ctx, "read", "participant", v.ParticipantID, op)
		}
	case []*enrolment.Enrolment:
		for _, e := range v {
			audit.Record(ctx, action, "enrolment", e.ID, op)
		}
	case *outcome.Observation:
		if v != nil {
			audit.Record(ctx, action, "outcome_observation", v.ID, op)
		}
	case []*outcome.Observation:
		for _, o := range v {
			audit.Record(ctx, action, "outcome_observation", o.ID, op)
		}
	case *referral.Referral:
		if v != nil {
			audit.Record(ctx, action, "referral", v.ID, op)
			audit.Record(ctx, "read", "participant", v.ParticipantID, op)
		}
	case []*referral.Referral:
		for _, x := range v {
			audit.Record(ctx, action, "referral", x.ID, op)
		}
	case *actionplan.Plan:
		if v != nil {
			audit.Record(ctx, action, "action_plan", v.ID, op)
		}
	case *actionplan.FollowUp:
		if v != nil {
			audit.Record(ctx, action, "follow_up", v.ID, op)
		}
	case []*actionplan.FollowUp:
		for _, f := range v {
			audit.Record(ctx, action, "follow_up", f.ID, op)
		}
	case *actionplan.Overdue:
		// Being on the overdue list is about the person, whatever fields are selected.
		if v != nil {
			audit.Record(ctx, action, "participant", v.ParticipantID, op)
		}
	case *eligibility.Result:
		// The reasons speak of the person's registration, guarantee days and permit.
		if v != nil {
			id, _ := fc.Args["participantId"].(string)
			audit.Record(ctx, "read", "participant", id, op)
		}
	case *recruitment.Interview:
		if v != nil {
			audit.Record(ctx, action, "interview", v.ID, op)
			audit.Record(ctx, "read", "participant", v.ParticipantID, op)
		}
	case []*recruitment.Interview:
		for _, x := range v {
			audit.Record(ctx, action, "interview", x.ID, op)
			audit.Record(ctx, "read", "participant", x.ParticipantID, op)
		}
	case *participant.Attributes:
		if v != nil {
			audit.Record(ctx, action, "participant_attributes", v.ID, op)
		}
	case []*participant.Attributes:
		for _, x := range v {
			audit.Record(ctx, action, "participant_attributes", x.ID, op)
		}
	default:
		auditCasework(ctx, action, op, res)
	}
}

func toAuditEntry(e audit.Entry) *model.AuditEntry {
	out := &model.AuditEntry{ID: strconv.FormatInt(e.ID, 10), At: e.At.UTC().Format(time.RFC3339Nano), Subject: e.Subject,
		Role: e.Role, OrganisationID: e.OrganisationID, Action: e.Action, Entity: e.Entity, Operation: e.Operation, RequestID: e.RequestID}
	if e.EntityID != "" {
		id := e.EntityID
		out.EntityID = &id
	}
	return out
}
