// Package quota spreads a volume target (kvotering) over municipal departments in
// proportion to their headcount and reports delivered versus quota.
package quota

import "time"

// Quota is a volume target for a period.
type Quota struct {
	ID             string
	OrganisationID string
	Name           string
	Total          int
	PeriodStart    time.Time
	PeriodEnd      time.Time
	MeasureTypeID  *string
	Version        int
}

// Allocation is one department's share and delivery.
type Allocation struct {
	EmployerID string
	Headcount  int
	Quota      int
	Delivered  int
}
