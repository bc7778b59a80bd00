package graph

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/arbetsmarknad/outcomes/graph/model"
	"github.com/arbetsmarknad/outcomes/internal/actionplan"
	"github.com/arbetsmarknad/outcomes/internal/audit"
	"github.com/arbetsmarknad/outcomes/internal/auth"
	"github.com/arbetsmarknad/outcomes/internal/eligibility"
	"github.com/arbetsmarknad/outcomes/internal/enrolment"
	"github.com/arbetsmarknad/outcomes/internal/organisation"
	"github.com/arbetsmarknad/outcomes/internal/outcome"
	"github.com/arbetsmarknad/outcomes/internal/participant"
	"github.com/arbetsmarknad/outcomes/internal/recruitment"
	"github.com/arbetsmarknad/outcomes/internal/referral"
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

// AuditFields records every personal record a response contains (reads) and every
// successful mutation (writes) in the request's audit recorder.
func AuditFields(ctx context.Context, next graphql.Resolver) (any, error) {
	res, err := next(ctx)
	if err != nil || res == nil {
		return res, err
	}
	fc := graphql.GetFieldContext(ctx)
	action := "read"
	if oc := graphql.GetOperationContext(ctx); oc != nil && oc.Operation != nil && oc.Operation.Operation == "mutation" && fc.Parent != nil && fc.Parent.Object == "Mutation" {
		// A mutation's own root field is the write; fields read inside its result are reads.
		action = "write"
	}
	recordAudit(ctx, fc, action, fc.Field.Name, res)
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
	case *organisation.Organisation:
		if v != nil && action == "write" {
			audit.Record(ctx, action, "organisation", v.ID, op)
		}
	case bool:
		if action == "write" && op == "eraseParticipant" {
			id, _ := fc.Args["id"].(string)
			audit.Record(ctx, "write", "participant", id, op)
		}
	default:
		if action == "write" { // every write is audited, whatever it returns
			audit.Record(ctx, action, op, "", op)
		}
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
