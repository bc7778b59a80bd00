package participant

import "github.com/arbetsmarknad/outcomes/internal/platform/audit"

// AuditRefs: reading a participant is a read of the person.
func (p Participant) AuditRefs() []audit.Ref { return []audit.Ref{{Entity: "participant", ID: p.ID}} }

// AuditRefs: an attribute set is its own record.
func (a Attributes) AuditRefs() []audit.Ref {
	return []audit.Ref{{Entity: "participant_attributes", ID: a.ID}}
}
