package outcome

import "github.com/arbetsmarknad/outcomes/internal/platform/audit"

// AuditRefs: an observation is its own record.
func (o Observation) AuditRefs() []audit.Ref {
	return []audit.Ref{{Entity: "outcome_observation", ID: o.ID}}
}
