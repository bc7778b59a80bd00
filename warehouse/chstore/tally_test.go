package chstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
	"github.com/arbetsmarknad/outcomes/warehouse/chstore"
	"github.com/arbetsmarknad/outcomes/warehouse/snapshot"
)

// TestContentIsBuiltAlikeInGoAndClickHouse: reconcile's checksums only mean something if
// a row's content string is the same whether Go builds it from PostgreSQL or ClickHouse
// builds it from the stored row (open enrolments, whose exit date is the zero date, too).
func TestContentIsBuiltAlikeInGoAndClickHouse(t *testing.T) {
	t.Parallel()
	conn, _ := testenv.ClickHouse(t)
	open := snapshot.EnrolmentRow{OrgID: "o", EnrolmentKey: "open", PersonKey: "p", Gender: "woman", BirthYear: 1980, MeasureCode: "extra_job",
		Start: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), ExitDate: snapshot.Epoch, Status: [4]string{"unknown", "unknown", "unknown", "unknown"},
		SA: [4]int8{-1, -1, -1, -1}, Facts: snapshot.EmptyFacts()}
	exited := open
	exited.EnrolmentKey, exited.Exited, exited.ExitDate, exited.ExitReason = "exited", 1, time.Date(2024, 6, 30, 0, 0, 0, 0, time.UTC), "studies"
	exited.Status = [4]string{"studies", "unsubsidised_employment_full", "unknown", "unknown"}
	exited.SA = [4]int8{0, 1, -1, -1}
	exited.Facts.StatusAfter, exited.Facts.SAAfter = []string{"studies", "unknown", "unsubsidised_employment_full"}, []int8{0, -1, 1}
	exited.Facts.OrgCode, exited.Facts.Project, exited.Facts.Kolada = "uppsala", "Kvinna hälsa arbete", 1
	month := snapshot.MonthRow{OrgID: "o", PersonKey: "p", Month: time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC), Gender: "woman",
		BirthYear: 1980, Status: "studies", InMeasure: 0, SocialAssistance: -1, Source: "sus"}
	if err := chstore.Write(context.Background(), conn, chstore.Rows{Version: 1, Enrolments: []snapshot.EnrolmentRow{open, exited},
		Months: []snapshot.MonthRow{month}}); err != nil {
		t.Fatal(err)
	}
	for _, e := range []snapshot.EnrolmentRow{open, exited} {
		var got string
		if err := conn.QueryRow(context.Background(), `SELECT `+chstore.EnrolmentContentSQL+` FROM enrolment_outcome WHERE enrolment_key = ?`,
			e.EnrolmentKey).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if want := chstore.EnrolmentContent(e); got != want {
			t.Errorf("%s: clickhouse %q, go %q", e.EnrolmentKey, got, want)
		}
	}
	var got string
	if err := conn.QueryRow(context.Background(), `SELECT `+chstore.MonthContentSQL+` FROM participant_month`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if want := chstore.MonthContent(month); got != want {
		t.Errorf("month: clickhouse %q, go %q", got, want)
	}
}
