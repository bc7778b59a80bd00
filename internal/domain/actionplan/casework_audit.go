package actionplan

import "github.com/arbetsmarknad/outcomes/internal/platform/audit"

// AuditRefs: a revision is the plan as it was saved.
func (r Revision) AuditRefs() []audit.Ref { return []audit.Ref{{Entity: "action_plan", ID: r.PlanID}} }

// AuditRefs: being on the overdue-review list is about the plan and its person.
func (o OverdueReview) AuditRefs() []audit.Ref {
	return []audit.Ref{{Entity: "action_plan", ID: o.Plan.ID}, {Entity: "participant", ID: o.Plan.ParticipantID}}
}
