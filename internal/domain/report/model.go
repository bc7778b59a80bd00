// Package report builds the monthly steering report (månadsuppföljning, DOMAIN.md "The
// monthly steering report") of a municipality or a regional body: targets and progress,
// quotas by department, monthly flows, overdue feedback and follow-ups, and the outcomes
// of earlier exit cohorts, all split by gender and all aggregates. The report is data
// (Report: sections, tables, monthly series) with every cell already protected by the
// one small-count rule (internal/domain/disclosure), so that GraphQL, HTML, PDF and XLSX show
// exactly the same cells. It never holds a person, an id of a person or a microdata row.
package report

import (
	"time"

	"github.com/arbetsmarknad/outcomes/internal/domain/disclosure"
)

// Version is the version of the report's own definitions (the flows, the layout of the
// tables and their relations); each figure also names the rule it comes from.
const Version = "steering-report/1"

// Report is one organisation's monthly steering report.
type Report struct {
	OrganisationID   string    `json:"organisationId"`
	OrganisationCode string    `json:"organisationCode"`
	OrganisationName string    `json:"organisationName"`
	Regional         bool      `json:"regional"`
	Members          []string  `json:"members,omitempty"` // member municipalities' names (regional)
	Month            time.Time `json:"month"`             // first day of the month
	GeneratedAt      time.Time `json:"generatedAt"`
	// WarehouseLoadedTo is the time of the newest change the warehouse has taken in;
	// WarehousePending counts changes not yet in it (freshness, shown in the header).
	WarehouseLoadedTo *time.Time   `json:"warehouseLoadedTo,omitempty"`
	WarehousePending  int          `json:"warehousePending"`
	Edition           *Edition     `json:"edition,omitempty"`    // set when this is a frozen edition
	ComparedTo        *Edition     `json:"comparedTo,omitempty"` // the edition changes are marked against
	Sections          []*Section   `json:"sections"`
	Definitions       []Definition `json:"definitions"`

	sys    *disclosure.System
	hidden []bool
	byRef  map[disclosure.Cell]*Cell
	// timings: how long each section and the protection took to build (benchmarks).
	timings map[string]time.Duration
}

// Timings says how long each read took (the reads run side by side) and how long the
// small-count protection took.
func (r *Report) Timings() map[string]time.Duration { return r.timings }

// Audit attacks the report the way a reader could: it returns the ids (or, for cells no
// table prints, "unprinted") of every small count that one relation between shown cells
// gives away (pairs) or that any combination of them does (exact). Both are empty for a
// protected report. Only a report built in this process can be audited: a reopened
// edition no longer holds its true values.
func (r *Report) Audit() (pairs, exact []string) {
	if r.sys == nil {
		return nil, nil
	}
	name := func(c disclosure.Cell) string {
		if x, ok := r.byRef[c]; ok && x.ID != "" {
			return x.ID
		}
		return "unprinted"
	}
	for _, c := range r.sys.AuditPairs(r.hidden) {
		pairs = append(pairs, name(c))
	}
	for _, c := range r.sys.AuditExact(r.hidden) {
		exact = append(exact, name(c))
	}
	return pairs, exact
}

// Edition is a frozen copy of a month's report.
type Edition struct {
	ID       string    `json:"id"`
	Month    time.Time `json:"month"`
	FrozenAt time.Time `json:"frozenAt"`
	FrozenBy string    `json:"frozenBy"`
	Trigger  string    `json:"trigger"` // scheduled or on_demand
}

// Section is one part of the report.
type Section struct {
	Key   string `json:"key"`
	Title string `json:"title"`
	// Sheet names the section's sheet in a workbook when the title is longer than the
	// 31 characters Excel allows (empty: the title).
	Sheet  string    `json:"sheet,omitempty"`
	Intro  string    `json:"intro,omitempty"`
	Tables []*Table  `json:"tables"`
	Series []*Series `json:"series,omitempty"`
}

// Table is a table of cells; its relations (totals) are in the report's system.
type Table struct {
	Key     string   `json:"key"`
	Title   string   `json:"title"`
	Columns []Column `json:"columns"`
	Rows    []*Row   `json:"rows"`
	Note    string   `json:"note,omitempty"`
}

// Column is a table's column.
type Column struct {
	Key   string `json:"key"`
	Label string `json:"label"`
}

// Row is a table's row; Total marks a sum row.
type Row struct {
	Key   string  `json:"key"`
	Label string  `json:"label"`
	Total bool    `json:"total,omitempty"`
	Cells []*Cell `json:"cells"`
}

// Cell kinds.
const (
	KindCount  = "COUNT"  // people or events; protected
	KindTarget = "TARGET" // a target or quota: not about people
	KindAmount = "AMOUNT" // a sum of money in whole kronor (costs): hidden with the counts it would give away
	KindShare  = "SHARE"  // a share (0..1) of two figures
	KindEmpty  = "EMPTY"  // nothing to show
)

// Cell is one figure as the reader sees it. Value is nil when the figure is hidden or
// there is none; Display is the text every format shows (disclosure.HiddenText, "..",
// for a hidden cell).
type Cell struct {
	ID         string   `json:"id"`
	Kind       string   `json:"kind"`
	Value      *float64 `json:"value,omitempty"`
	Display    string   `json:"display"`
	N          *int     `json:"n,omitempty"` // the population the figure is counted in, when shown
	Suppressed bool     `json:"suppressed,omitempty"`
	Version    string   `json:"version,omitempty"`
	// Lower and Upper: the 95 % Wilson interval of a share; BoundLow and BoundHigh: the
	// share if no unknown outcome, or every one, had met the definition.
	Lower        *float64   `json:"lower,omitempty"`
	Upper        *float64   `json:"upper,omitempty"`
	BoundLow     *float64   `json:"boundLow,omitempty"`
	BoundHigh    *float64   `json:"boundHigh,omitempty"`
	ChangedSince *time.Time `json:"changedSince,omitempty"`

	ref      disclosure.Cell
	num, den *Cell   // shares: the figures they divide
	unknown  *Cell   // outcome shares: the unknown count, for the bounds
	guards   []*Cell // amounts: hidden when any of these is
	raw      int
}

// Series is a monthly series for a chart; its points are cells of the report's tables.
type Series struct {
	Key    string   `json:"key"`
	Title  string   `json:"title"`
	Unit   string   `json:"unit"` // COUNT or SHARE
	Target *float64 `json:"target,omitempty"`
	// TargetLabel names the target line ("Mål 500", "Målandel kvinnor 50 %").
	TargetLabel string  `json:"targetLabel,omitempty"`
	Lines       []*Line `json:"lines"`
}

// Line is one line or set of bars of a series.
type Line struct {
	Label  string   `json:"label"`
	Style  string   `json:"style"` // BAR, LINE or INTERVAL
	Points []*Point `json:"points"`
}

// Point is one labelled value of a line.
type Point struct {
	Label string `json:"label"`
	Cell  *Cell  `json:"cell"`
	// Quota is the comparison value drawn beside a bar (delivered vs quota).
	Quota *float64 `json:"quota,omitempty"`
}

// Definition is one rule a figure of the report comes from, with its source.
type Definition struct {
	Version string `json:"version"`
	Name    string `json:"name"`
	Text    string `json:"text"`
	Source  string `json:"source"`
}

// Cells returns every cell of the report's tables in order.
func (r *Report) Cells() []*Cell {
	var out []*Cell
	for _, s := range r.Sections {
		for _, t := range s.Tables {
			for _, row := range t.Rows {
				out = append(out, row.Cells...)
			}
		}
	}
	return out
}

// DefinitionVersions lists the versions the report's figures name, each once.
func (r *Report) DefinitionVersions() []string {
	var out []string
	seen := map[string]bool{}
	for _, d := range r.Definitions {
		if !seen[d.Version] {
			seen[d.Version] = true
			out = append(out, d.Version)
		}
	}
	return out
}
