package analytics

import (
	"io"

	"github.com/arbetsmarknad/outcomes/internal/platform/export"
	"github.com/arbetsmarknad/outcomes/warehouse/outcomes"
)

// DictionaryEntry describes one microdata column.
type DictionaryEntry struct {
	Column  string
	Type    string // text, date, code
	Meaning string
}

// horizonMeaning is the common part of the status_k / sa_k descriptions.
const horizonMeaning = " in calendar month exit month + k, by the one status rule " + outcomes.StatusVersion +
	" (docs/INDICATORS.md): the best-ranked source that knows wins; a month nobody observed is unknown, never filled in;" +
	" empty when the month has not begun on the day of the export (not yet due: outcomeFigures leaves the exit out of n at +k)."

// MicrodataDictionary is the data dictionary of Microdata's CSV: one entry per column of
// MicrodataColumns, in the same order (TestMicrodataDictionaryCoversEveryColumn keeps
// them together). Served as CSV at /microdata/dictionary.csv and printed in docs/API.md.
var MicrodataDictionary = []DictionaryEntry{
	{"enrolment_key", "text", "Pseudonymised key of the enrolment (keyed hash; the key stays outside the warehouse). Unit of the file: one exited enrolment."},
	{"person_key", "text", "Pseudonymised key of the participant: the same person has the same key in every row and export."},
	{"org_code", "text", "Code of the municipality (organisation) that owns the enrolment."},
	{"gender", "text", "woman, man, other or not_stated."},
	{"age_band", "text", "Age band at the start of the measure: under_18, 18_24, 25_29, 30_39, 40_49, 50_54, 55_64, 65_plus."},
	{"measure_code", "text", "Measure type code, e.g. extra_job, work_practice."},
	{"project", "text", "Project name; empty when none."},
	{"unit", "text", "Responsible unit's name; empty when none recorded."},
	{"newly_arrived", "code", "Newly arrived at the start: 1 yes, 0 no, -1 unknown."},
	{"birth_region", "text", "Born in sweden, europe or outside_europe, as recorded at the start; empty when not recorded."},
	{"education_level", "text", "Education level at the start; empty when not recorded."},
	{"distance_category", "text", "Distance to the labour market at the start: green, yellow, red; empty when not recorded."},
	{"referral_source", "text", "Source of the latest referral on or before the start; empty when none."},
	{"start_date", "date", "Start date, YYYY-MM-DD."},
	{"exit_date", "date", "Actual end date, YYYY-MM-DD; the cohort is on this date."},
	{"exit_reason", "text", "Exit reason (a status code); unknown when not recorded."},
	{"status_3", "text", "Status" + horizonMeaning + " k = 3."},
	{"status_6", "text", "Status" + horizonMeaning + " k = 6."},
	{"status_12", "text", "Status" + horizonMeaning + " k = 12."},
	{"status_24", "text", "Status" + horizonMeaning + " k = 24."},
	{"sa_3", "code", "Social assistance (1 paid, 0 not, -1 unknown): yes if any source says paid," + horizonMeaning + " k = 3."},
	{"sa_6", "code", "Social assistance, as sa_3, at k = 6."},
	{"sa_12", "code", "Social assistance, as sa_3, at k = 12."},
	{"sa_24", "code", "Social assistance, as sa_3, at k = 24."},
}

// WriteMicrodataDictionary writes the dictionary as CSV (column, type, meaning).
func WriteMicrodataDictionary(w io.Writer) error {
	// Every CSV goes through the one formula-injection rule (internal/platform/export).
	cw := export.NewCSVWriter(w)
	if err := cw.Write([]string{"column", "type", "meaning"}); err != nil {
		return err
	}
	for _, e := range MicrodataDictionary {
		if err := cw.Write([]string{e.Column, e.Type, e.Meaning}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
