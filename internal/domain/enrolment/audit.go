package enrolment

import "github.com/arbetsmarknad/outcomes/internal/platform/audit"

// AuditRefs: an enrolment, and the person it is of.
func (e Enrolment) AuditRefs() []audit.Ref {
	return []audit.Ref{{Entity: "enrolment", ID: e.ID}, {Entity: "participant", ID: e.ParticipantID}}
}
