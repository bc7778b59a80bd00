package referral

import "github.com/arbetsmarknad/outcomes/internal/platform/audit"

// AuditRefs: a referral, and the person it is of.
func (x Referral) AuditRefs() []audit.Ref {
	return []audit.Ref{{Entity: "referral", ID: x.ID}, {Entity: "participant", ID: x.ParticipantID}}
}
