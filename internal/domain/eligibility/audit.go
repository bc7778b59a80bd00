package eligibility

import "github.com/arbetsmarknad/outcomes/internal/platform/audit"

// AuditRefs: the reasons speak of the person's registration, guarantee days and permit.
func (r Result) AuditRefs() []audit.Ref {
	return []audit.Ref{{Entity: "participant", ID: r.ParticipantID}}
}
