package enrolment

import "github.com/arbetsmarknad/outcomes/internal/platform/audit"

// AuditRefs: a change in an enrolment's history speaks of the enrolment and its person.
func (c Change) AuditRefs() []audit.Ref {
	return []audit.Ref{{Entity: "enrolment_change", ID: c.EnrolmentID}, {Entity: "participant", ID: c.ParticipantID}}
}

// AuditRefs: someone about to be exited for inactivity is a read of the enrolment and the person.
func (c Candidate) AuditRefs() []audit.Ref {
	return []audit.Ref{{Entity: "enrolment", ID: c.Enrolment.ID}, {Entity: "participant", ID: c.Enrolment.ParticipantID}}
}

// AuditRefs: a re-entry flag is about the person.
func (f Flagged) AuditRefs() []audit.Ref {
	return []audit.Ref{{Entity: "participant", ID: f.ParticipantID}}
}
