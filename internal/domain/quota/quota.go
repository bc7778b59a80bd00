// Package quota spreads a volume target (kvotering) over municipal departments in
// proportion to their headcount and reports delivered versus quota.
package quota

import (
	"sort"
	"strings"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/bounds"
)

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
	Name       string // the department's name
	Headcount  int
	Quota      int
	Delivered  int
}

// CreateInput creates a quota; the measure, when given, is named by its code in the
// organisation's catalogue.
type CreateInput struct {
	OrganisationID  string
	Name            string
	Total           int
	PeriodStart     time.Time
	PeriodEnd       time.Time
	MeasureTypeCode *string
	IdempotencyKey  string
}

// Validate checks the input's own rules and trims its text.
func (in *CreateInput) Validate() error {
	var errs apperr.List
	in.Name = strings.TrimSpace(in.Name)
	errs.Add(bounds.Name("input.name", in.Name, bounds.MaxRecordName))
	if in.Total < 1 {
		errs.Add(apperr.Invalidf("input.total", "a quota is at least 1"))
	}
	switch {
	case in.PeriodStart.IsZero():
		errs.Add(apperr.Invalidf("input.periodStart", "period start is required"))
	case bounds.BeforeRecords(in.PeriodStart):
		errs.Add(bounds.CheckRecordDate("input.periodStart", "period start", in.PeriodStart))
	case in.PeriodEnd.IsZero():
		errs.Add(apperr.Invalidf("input.periodEnd", "period end is required"))
	case in.PeriodEnd.Before(in.PeriodStart):
		errs.Add(apperr.Invalidf("input.periodEnd", "period end is before the period start"))
	}
	if in.MeasureTypeCode != nil {
		c := strings.TrimSpace(*in.MeasureTypeCode)
		in.MeasureTypeCode = &c
	}
	return errs.Err()
}

// Version names the quota rules (quota/1): Allocate's largest-remainder spread by
// headcount, and Store.Allocations' delivery count (enrolments hosted by the department
// whose decision, or lacking one start, falls in the period up to the day asked).
const Version = "quota/1"

// Allocate spreads total over departments in proportion to their headcounts with the
// largest-remainder method: each gets the whole part of its exact share, and the places
// left over go one each to the largest remainders. Equal remainders go in the order
// given. The result sums to total exactly (or is all zero when no one has a headcount).
func Allocate(total int, headcounts []int) []int {
	out := make([]int, len(headcounts))
	var sum int64
	for _, h := range headcounts {
		if h > 0 {
			sum += int64(h)
		}
	}
	if sum == 0 || total <= 0 {
		return out
	}
	// Exact share = total*h/sum; comparing the integer remainders (total*h mod sum)
	// compares the fractional parts without floating-point error.
	rem := make([]int64, len(headcounts))
	left := total
	for i, h := range headcounts {
		if h <= 0 {
			continue
		}
		whole := int64(total) * int64(h)
		out[i], rem[i] = int(whole/sum), whole%sum
		left -= out[i]
	}
	order := make([]int, len(headcounts))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return rem[order[a]] > rem[order[b]] })
	for _, i := range order[:left] {
		out[i]++
	}
	return out
}
