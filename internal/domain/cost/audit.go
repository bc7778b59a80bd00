package cost

import "github.com/arbetsmarknad/outcomes/internal/platform/audit"

// AuditRefs: a cost item belongs to one person's enrolment.
func (i Item) AuditRefs() []audit.Ref { return []audit.Ref{{Entity: "enrolment_cost", ID: i.ID}} }
