// Package project holds projects (with funder, period and target group) and targets
// (per period and scope, optionally split by gender) with progress against them.
package project

import "time"

// Funder of a project.
type Funder string

// Project groups measures under a funder and period.
type Project struct {
	ID                 string
	OrganisationID     string
	Name               string
	Funder             Funder
	StartDate          time.Time
	EndDate            *time.Time
	TargetGroup        string
	TargetGroupVersion int
	Version            int
}

// Metric is what a target counts.
type Metric string

const (
	Decisions            Metric = "decisions"
	Starts               Metric = "starts"
	Participants         Metric = "participants"
	ExitsToWorkOrStudies Metric = "exits_to_work_or_studies"
	Referrals            Metric = "referrals"
)

// Target is a goal for a period and scope.
type Target struct {
	ID             string
	OrganisationID string
	Name           string
	Metric         Metric
	PeriodStart    time.Time
	PeriodEnd      time.Time
	MeasureTypeID  *string
	ProjectID      *string
	UnitID         *string
	Total          int
	Women          *int
	Men            *int
	Version        int
}

// Progress is what was achieved against a target up to a date.
type Progress struct {
	AsOf  time.Time
	Total int
	Women int
	Men   int
	Share float64
}
