package outcomes

import (
	"slices"
	"strings"
)

// StatusSet is a named set of status codes that a definition counts, such as "in work
// or studies". Each set is written once, here; Go code asks Has, and SQL that needs the
// set is generated from Statuses (SQLList for PostgreSQL text columns; the warehouse maps
// the same list to its status codes), so no query carries its own copy of the list.
type StatusSet struct {
	name     string
	statuses []string // in the order of Statuses
}

func newStatusSet(name string, members ...string) StatusSet {
	var in []string
	for _, s := range Statuses { // the canonical order, whatever order members came in
		if slices.Contains(members, s) {
			in = append(in, s)
		}
	}
	if len(in) != len(members) {
		panic("outcomes: status set " + name + " names a status that is not in Statuses")
	}
	return StatusSet{name: name, statuses: in}
}

// The status sets the definitions are built on.
var (
	// UnsubsidisedEmploymentSet is full- or part-time unsubsidised employment: the only
	// "job" for time to first job and WIOA, which count unsubsidised work only.
	UnsubsidisedEmploymentSet = newStatusSet("unsubsidised_employment", StatusUnsubsidisedFull, StatusUnsubsidisedPart)
	// EmploymentSet is any job, subsidised or not: what Kolada, ESF and SUS call work.
	EmploymentSet = newStatusSet("employment", StatusUnsubsidisedFull, StatusUnsubsidisedPart, StatusSubsidised)
	// WorkOrStudiesSet is "in work or studies" (i arbete eller studier) of the report
	// definitions, of exitCohortOutcome, of target progress and of the steering report:
	// unsubsidised employment or regular studies. Subsidised employment is deliberately
	// absent: a subsidised job is usually the measure itself, not the attachment asked
	// about.
	WorkOrStudiesSet = newStatusSet("work_or_studies", StatusUnsubsidisedFull, StatusUnsubsidisedPart, StatusStudies)
)

// Name is the set's name, e.g. "work_or_studies".
func (s StatusSet) Name() string { return s.name }

// Statuses returns the set's codes in the order of Statuses.
func (s StatusSet) Statuses() []string { return slices.Clone(s.statuses) }

// Has reports whether status is in the set. "unknown" never is.
func (s StatusSet) Has(status string) bool { return slices.Contains(s.statuses, status) }

// SQLList is the set as an SQL list literal, "('studies', 'unsubsidised_employment_full')",
// for `column IN <list>` over a text column holding status codes. The codes are this
// package's constants (lower-case letters and underscores), never caller text, so the
// literal is safe to splice into a statement.
func (s StatusSet) SQLList() string {
	quoted := make([]string, len(s.statuses))
	for i, st := range s.statuses {
		quoted[i] = "'" + st + "'"
	}
	return "(" + strings.Join(quoted, ", ") + ")"
}

// IsUnsubsidisedEmployment is UnsubsidisedEmploymentSet.Has.
func IsUnsubsidisedEmployment(s string) bool { return UnsubsidisedEmploymentSet.Has(s) }

// IsEmployment is EmploymentSet.Has.
func IsEmployment(s string) bool { return EmploymentSet.Has(s) }

// IsWorkOrStudies is WorkOrStudiesSet.Has.
func IsWorkOrStudies(s string) bool { return WorkOrStudiesSet.Has(s) }
