// Package outcomes is the single written-down meaning of every outcome figure the system
// reports: the monthly status of a person, the per-enrolment outcome facts (status at +k
// months, in work or studies, self-sufficient, lasting attachment, return to social
// assistance, re-entry, time to first job), the Kaplan–Meier curve, and the official
// indicators (Kolada/RKA, ESF, WIOA-style, SUS).
//
// It is pure Go over one person's history as already read from PostgreSQL: no database,
// no clock, no randomness. That is deliberate. The warehouse (ClickHouse) serves the same
// figures fast, and the property test of issue 5 recomputes each figure here from the
// PostgreSQL rows and requires the served figure to equal it; so this package is the
// reference, and every rule that a figure depends on lives here, in a doc comment, next
// to a version string.
//
// Versioning: every definition has a version ("in-work-or-studies/1", "lasting/1?h=..."),
// shown on every figure so that figures computed under different rules are never
// compared by mistake (Uppsala changed its target-group definition in 2023 and the figures
// before and after stopped being comparable). Any change to a rule, including to
// StatusIn, which every definition builds on, must bump the versions it affects.
//
// The one rule for a person's month (StatusVersion: Resolve, StatusIn, HistoryOf) and the
// status sets (WorkOrStudiesSet, EmploymentSet, UnsubsidisedEmploymentSet) are written
// here once; every surface (the evaluators' figures, exitCohortOutcome, the warehouse's
// rows, microdata, target progress, the steering report) reads them, and SQL that needs
// a set is generated from it. The uncertainty of the shares is warehouse/stats.
//
// Unknown is a value, never a guess: no function here fills a month from its neighbours,
// and every figure carries how many of its facts were known (Fact.Known, Figure.Known).
package outcomes
