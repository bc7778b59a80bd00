package recruitment

import "github.com/arbetsmarknad/outcomes/internal/platform/audit"

// AuditRefs: an interview, and the candidate it was with.
func (iv Interview) AuditRefs() []audit.Ref {
	return []audit.Ref{{Entity: "interview", ID: iv.ID}, {Entity: "participant", ID: iv.ParticipantID}}
}

// AuditRefs: whether an invited person came is about that person.
func (inv Invitation) AuditRefs() []audit.Ref {
	return []audit.Ref{{Entity: "participant", ID: inv.ParticipantID}}
}
