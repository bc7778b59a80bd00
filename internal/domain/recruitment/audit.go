package recruitment

import "github.com/arbetsmarknad/outcomes/internal/platform/audit"

// AuditRefs: an interview, and the candidate it was with.
func (iv Interview) AuditRefs() []audit.Ref {
	return []audit.Ref{{Entity: "interview", ID: iv.ID}, {Entity: "participant", ID: iv.ParticipantID}}
}
