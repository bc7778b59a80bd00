package referral

import (
	"slices"
	"strings"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/bounds"
	"github.com/arbetsmarknad/outcomes/internal/platform/calendar"
)

// Sources lists every referring party (referral.source's CHECK list).
var Sources = []Source{SocialServices, AF, SocialInsurance, Region, Self, OtherSource}

// Orders lists everything a referral may order (referral_ordered_known's list).
var Orders = []Order{WorkCapacityAssessment, WorkPractice, JobHelp, LabourMarketEmployment, Mapping}

// Valid reports whether s is a known source.
func (s Source) Valid() bool { return slices.Contains(Sources, s) }

// Valid reports whether o is a known order.
func (o Order) Valid() bool { return slices.Contains(Orders, o) }

// Text limits, in characters.
const (
	maxShort = 200
	maxNotes = bounds.MaxNotes
)

// CreateInput registers a referral.
type CreateInput struct {
	ParticipantID    string
	Source           Source
	ReferralDate     time.Time
	ReferringOfficer string
	Ordered          []Order
	FeedbackMethod   string
	FeedbackDueDate  *time.Time
	Notes            string
	IdempotencyKey   string
}

// Validate normalises the input (trims text, drops repeated orders) and reports every
// bad field at once. now is the clock: dates after today are refused.
func (in *CreateInput) Validate(now time.Time) error {
	var errs apperr.List
	if in.ParticipantID == "" {
		errs.Add(apperr.Invalidf("input.participantId", "participant is required"))
	}
	if !in.Source.Valid() {
		errs.Add(apperr.Invalidf("input.source", "unknown referral source"))
	}
	in.Ordered = dedupe(in.Ordered)
	if len(in.Ordered) == 0 {
		errs.Add(apperr.Invalidf("input.ordered", "a referral orders at least one thing"))
	}
	for _, o := range in.Ordered {
		if !o.Valid() {
			errs.Add(apperr.Invalidf("input.ordered", "unknown order %q", string(o)))
			break
		}
	}
	switch {
	case in.ReferralDate.IsZero():
		errs.Add(apperr.Invalidf("input.referralDate", "referral date is required"))
	default:
		errs.Add(bounds.CheckPast("input.referralDate", "referral date", in.ReferralDate, now))
	case in.FeedbackDueDate != nil && in.FeedbackDueDate.Before(in.ReferralDate):
		errs.Add(apperr.Invalidf("input.feedbackDueDate", "feedback cannot be due before the referral date"))
	}
	trim(&errs, &in.ReferringOfficer, "input.referringOfficer", maxShort)
	trim(&errs, &in.FeedbackMethod, "input.feedbackMethod", maxShort)
	trim(&errs, &in.Notes, "input.notes", maxNotes)
	return errs.Err()
}

// UpdateInput records what happened after the referral; nil leaves a field as it is.
type UpdateInput struct {
	ID                    string
	Version               int
	TripartiteMeetingDate *time.Time
	FeedbackDueDate       *time.Time
	FeedbackSentDate      *time.Time
	Notes                 *string
}

// Validate checks the update against the stored referral's date and the clock and
// reports every bad field at once.
func (in *UpdateInput) Validate(referralDate, now time.Time) error {
	var errs apperr.List
	for _, d := range []struct {
		v     *time.Time
		field string
		what  string
	}{
		{in.TripartiteMeetingDate, "input.tripartiteMeetingDate", "the tripartite meeting"},
		{in.FeedbackSentDate, "input.feedbackSentDate", "feedback"},
	} {
		switch {
		case d.v == nil:
		case d.v.Before(referralDate):
			errs.Add(apperr.Invalidf(d.field, "%s cannot be before the referral date", d.what))
		default:
			errs.Add(bounds.CheckPast(d.field, d.what, *d.v, now))
		}
	}
	if in.FeedbackDueDate != nil && in.FeedbackDueDate.Before(referralDate) {
		errs.Add(apperr.Invalidf("input.feedbackDueDate", "feedback cannot be due before the referral date"))
	}
	if in.Notes != nil {
		trim(&errs, in.Notes, "input.notes", maxNotes)
	}
	return errs.Err()
}

// Filter narrows a referral list; every given criterion must match.
type Filter struct {
	Source        *Source
	ParticipantID *string
	// From and To bound the referral date, both inclusive.
	From *time.Time
	To   *time.Time
	// FeedbackPending lists only referrals whose feedback has not been sent (true) or
	// only those where it has (false).
	FeedbackPending *bool
}

// Today is the Swedish calendar date of now, the day dates are compared with.
func Today(now time.Time) time.Time { return calendar.Today(now) }

func dedupe(orders []Order) []Order {
	seen := make(map[Order]bool, len(orders))
	out := make([]Order, 0, len(orders))
	for _, o := range orders {
		if !seen[o] {
			seen[o] = true
			out = append(out, o)
		}
	}
	return out
}

func trim(errs *apperr.List, s *string, field string, limit int) {
	*s = strings.TrimSpace(*s)
	errs.Add(bounds.Text(field, *s, limit))
}
