package analytics

import (
	"context"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/arbetsmarknad/outcomes/warehouse/chstore"
	"github.com/arbetsmarknad/outcomes/warehouse/snapshot"
)

// row is one enrolment_outcome row with every column of ClickHouse migration 0011.
type row struct {
	OrgID, EnrolmentKey, PersonKey, Gender string
	BirthYear                              uint16
	MeasureCode                            string
	Start                                  time.Time
	Exited                                 uint8
	Exit                                   time.Time
	ExitReason                             string
	Version                                uint64
	Deleted                                uint8
	Cancel                                 bool // a cancel row (sign -1) of the row it copies

	OrgCode                                       string
	AgeAtStart                                    uint8
	AgeBand, Category                             string
	MunicipalEmployment                           uint8
	Project, Unit                                 string
	NewlyArrived                                  int8
	BirthRegion, EducationLevel, DistanceCategory string
	ReferralSource                                string
	StatusAfter                                   []string
	SAAfter                                       []int8
	JobMonthsFromStart                            int16
	JobEventFromStart                             uint8
	JobMonthsFromExit                             int16
	JobEventFromExit                              uint8
	ReturnedSA12                                  int8
	Reentry12                                     int8
	EntryNumber                                   uint16
	Kolada                                        int8
	SUSBefore, SUSAfter                           string
	WIOAExit                                      uint8
	WIOAExitDate                                  time.Time
	WIOAQ2, WIOAQ4                                int8
	ESFLastSpell                                  uint8
	ESFEntryAgeBand, ESFImmediate, ESFSixMonth    string
	ESFComplete                                   uint8
}

// newRow is an exited enrolment with everything unknown after exit.
func newRow(org, key string, exit time.Time) row {
	st, sa := make([]string, snapshot.MonthsAfterExit+1), make([]int8, snapshot.MonthsAfterExit+1)
	for i := range st {
		st[i], sa[i] = "unknown", -1
	}
	return row{OrgID: org, EnrolmentKey: key, PersonKey: "p-" + key, Gender: "woman", BirthYear: 1990,
		MeasureCode: "extra_job", Start: exit.AddDate(-1, 0, 0), Exited: 1, Exit: exit, ExitReason: "job_seeking",
		Version: 1, OrgCode: "code-" + org, NewlyArrived: -1, StatusAfter: st, SAAfter: sa,
		JobMonthsFromStart: -1, JobMonthsFromExit: -1, ReturnedSA12: -1, Reentry12: -1, EntryNumber: 1, Kolada: -1,
		WIOAExitDate: snapshot.Epoch, WIOAQ2: -1, WIOAQ4: -1}
}

// at sets the status and social assistance at exit + k.
func (r row) at(k int, status string, sa int8) row {
	r.StatusAfter = append([]string(nil), r.StatusAfter...)
	r.SAAfter = append([]int8(nil), r.SAAfter...)
	r.StatusAfter[k], r.SAAfter[k] = status, sa
	return r
}

const insertColumns = `INSERT INTO enrolment_outcome (org_id, enrolment_key, person_key, gender, birth_year,
	measure_code, start_date, exited, exit_date, exit_reason, status_3, status_6, status_12, status_24,
	sa_3, sa_6, sa_12, sa_24, version, deleted,
	org_code, age_at_start, age_band, measure_category, municipal_employment, project, unit, newly_arrived,
	birth_region, education_level, distance_category, referral_source, status_after, sa_after,
	job_months_from_start, job_event_from_start, job_months_from_exit, job_event_from_exit,
	returned_sa_12, reentry_12, entry_number, kolada_work_or_studies, sus_before, sus_after,
	wioa_exit, wioa_exit_date, wioa_q2, wioa_q4,
	esf_last_spell, esf_entry_age_band, esf_immediate, esf_six_month, esf_complete, sign)`

// cancelled is r's cancel row: what the loader's writer inserts to withdraw r.
func cancelled(r row) row {
	r.Cancel = true
	return r
}

// insert writes rows in one batch (one part), the only insert path of ClickHouse 18.16.
func insert(t *testing.T, conn driver.Conn, rows ...row) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), chstore.CallTimeout)
	defer cancel()
	b, err := conn.PrepareBatch(ctx, insertColumns)
	if err != nil {
		t.Fatalf("prepare batch: %v", err)
	}
	horizon := func(r row, k int) (string, int8) {
		if k < len(r.StatusAfter) {
			return r.StatusAfter[k], r.SAAfter[k]
		}
		return "unknown", -1
	}
	for _, r := range rows {
		s3, a3 := horizon(r, 3)
		s6, a6 := horizon(r, 6)
		s12, a12 := horizon(r, 12)
		s24, a24 := horizon(r, 24)
		codes := make([]uint8, len(r.StatusAfter)) // stored as snapshot.StatusCodes
		for i, st := range r.StatusAfter {
			codes[i] = snapshot.StatusCode(st)
		}
		if r.SAAfter == nil {
			r.SAAfter = []int8{}
		}
		if err := b.Append(r.OrgID, r.EnrolmentKey, r.PersonKey, r.Gender, r.BirthYear,
			r.MeasureCode, r.Start, r.Exited, r.Exit, r.ExitReason, s3, s6, s12, s24,
			a3, a6, a12, a24, r.Version, r.Deleted,
			r.OrgCode, r.AgeAtStart, r.AgeBand, r.Category, r.MunicipalEmployment, r.Project, r.Unit, r.NewlyArrived,
			r.BirthRegion, r.EducationLevel, r.DistanceCategory, r.ReferralSource, codes, r.SAAfter,
			r.JobMonthsFromStart, r.JobEventFromStart, r.JobMonthsFromExit, r.JobEventFromExit,
			r.ReturnedSA12, r.Reentry12, r.EntryNumber, r.Kolada, r.SUSBefore, r.SUSAfter,
			r.WIOAExit, r.WIOAExitDate, r.WIOAQ2, r.WIOAQ4,
			r.ESFLastSpell, r.ESFEntryAgeBand, r.ESFImmediate, r.ESFSixMonth, r.ESFComplete, sign(r)); err != nil {
			t.Fatalf("append: %v", err)
		}
	}
	if err := b.Send(); err != nil {
		t.Fatalf("send: %v", err)
	}
}

func sign(r row) int8 {
	if r.Cancel {
		return -1
	}
	return 1
}
