package outcome

import "github.com/arbetsmarknad/outcomes/internal/platform/audit"

// AuditRefs: an observation is its own record, about its person (the audit log lists
// it under the person read).
func (o Observation) AuditRefs() []audit.Ref {
	return []audit.Ref{{Entity: "outcome_observation", ID: o.ID}, {Entity: "participant", ID: o.ParticipantID}}
}
