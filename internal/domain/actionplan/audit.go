package actionplan

import "github.com/arbetsmarknad/outcomes/internal/platform/audit"

// AuditRefs: an action plan is its own record.
func (p Plan) AuditRefs() []audit.Ref { return []audit.Ref{{Entity: "action_plan", ID: p.ID}} }

// AuditRefs: a follow-up meeting is its own record.
func (f FollowUp) AuditRefs() []audit.Ref { return []audit.Ref{{Entity: "follow_up", ID: f.ID}} }

// AuditRefs: being on the overdue list is about the person, whatever fields are selected.
func (o Overdue) AuditRefs() []audit.Ref {
	return []audit.Ref{{Entity: "participant", ID: o.ParticipantID}}
}
