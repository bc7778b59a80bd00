// Package referral records referrals (anvisning, remiss) to the labour-market unit and
// tracks the feedback owed to the referrer and the tripartite meeting that should follow.
package referral

import "time"

// Source of a referral.
type Source string

const (
	SocialServices  Source = "social_services"
	AF              Source = "af"
	SocialInsurance Source = "social_insurance"
	Region          Source = "region"
	Self            Source = "self"
	OtherSource     Source = "other"
)

// Order is what a referral asks for.
type Order string

const (
	WorkCapacityAssessment Order = "work_capacity_assessment"
	WorkPractice           Order = "work_practice"
	JobHelp                Order = "job_help"
	LabourMarketEmployment Order = "labour_market_employment"
	Mapping                Order = "mapping"
)

// Referral is one referral of a participant.
type Referral struct {
	ID                    string
	OrganisationID        string
	ParticipantID         string
	Source                Source
	ReferralDate          time.Time
	ReferringOfficer      string
	Ordered               []Order
	FeedbackMethod        string
	FeedbackDueDate       *time.Time
	FeedbackSentDate      *time.Time
	TripartiteMeetingDate *time.Time
	Notes                 string
	Version               int
}

// FeedbackOverdueOn reports whether feedback was due before day and has not been sent.
func (r Referral) FeedbackOverdueOn(day time.Time) bool {
	return r.FeedbackSentDate == nil && r.FeedbackDueDate != nil && r.FeedbackDueDate.Before(day)
}
