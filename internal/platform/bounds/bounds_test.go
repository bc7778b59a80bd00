package bounds_test

import (
	"testing"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/platform/bounds"
)

// The years of a case's records: one floor (2000) and MaxDate's year as the ceiling,
// for every check and message that names them.
func TestRecordYears(t *testing.T) {
	t.Parallel()
	if bounds.LastRecordYear != bounds.MaxDate.Year() || bounds.FirstRecordYear <= bounds.MinDate.Year() {
		t.Fatalf("record years %d–%d do not lie inside the stored dates' range", bounds.FirstRecordYear, bounds.LastRecordYear)
	}
	for year, ok := range map[int]bool{1999: false, 2000: true, 2026: true, 2100: true, 2101: false} {
		if bounds.RecordYearOK(year) != ok {
			t.Errorf("RecordYearOK(%d) = %v", year, !ok)
		}
		day := time.Date(year, time.January, 1, 0, 0, 0, 0, time.UTC)
		if before := bounds.BeforeRecords(day); before != (year < 2000) {
			t.Errorf("BeforeRecords(%d) = %v", year, before)
		}
	}
	if got := bounds.RecordYears(); got != "between 2000 and 2100" {
		t.Errorf("RecordYears() = %q", got)
	}
	if e := bounds.CheckRecordDate("input.startDate", "start date", time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC)); e == nil ||
		e.Field != "input.startDate" || e.Message != "start date is before 2000" {
		t.Errorf("CheckRecordDate of 1999-12-31 = %v", e)
	}
	if e := bounds.CheckRecordDate("input.startDate", "start date", time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)); e != nil {
		t.Errorf("CheckRecordDate of 2000-01-01 = %v", e)
	}
}
