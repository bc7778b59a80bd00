package importer_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/app/demo"
	"github.com/arbetsmarknad/outcomes/internal/domain/domaintest"
	"github.com/arbetsmarknad/outcomes/internal/domain/importer"
	"github.com/arbetsmarknad/outcomes/internal/domain/organisation"
	"github.com/arbetsmarknad/outcomes/internal/domain/participant"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
)

// number i of a run of distinct valid personal identity numbers.
func number(i int) string {
	return demo.Personnummer(time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i), 100+i%800)
}

// wrongCheckDigit changes the last digit of a valid number.
func wrongCheckDigit(n string) string {
	return n[:len(n)-1] + fmt.Sprint((int(n[len(n)-1]-'0')+1)%10)
}

// participantFile is a file of n participants, every third with attributes; change may
// rewrite row i (0-based; file line i+2).
func participantFile(n int, change func(i int, fields []string)) string {
	var b strings.Builder
	b.WriteString(strings.Join(importer.ParticipantColumns, ",") + "\n")
	for i := 0; i < n; i++ {
		f := []string{number(i), fmt.Sprintf("Given%d", i), fmt.Sprintf("Family%d", i), []string{"woman", "man", "K", "not_stated"}[i%4],
			"", "", "", "", "", "", "", ""}
		if i%3 == 0 {
			copy(f[4:], []string{"Gottsunda", "outside_europe", "ja", "true", "nej", fmt.Sprint(i % 1000), "upper_secondary", "Red"})
		}
		if change != nil {
			change(i, f)
		}
		b.WriteString(strings.Join(f, ",") + "\n")
	}
	return b.String()
}

// The scenario: 1,000 lines with two bad rows report exactly those two lines and
// import nothing; with skip, 998 are imported with their attributes and change events.
func TestImportParticipantsAllOrNothingThenSkip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testenv.Postgres(t)
	org := domaintest.OrganisationWith(t, pool, organisation.CreateInput{Code: "pimport", Name: "Import", Kind: organisation.Municipality})
	file := participantFile(1000, func(i int, f []string) {
		switch i {
		case 211: // file line 213
			f[0] = wrongCheckDigit(f[0])
		case 876: // file line 878
			f[3] = "robot"
		}
	})
	rows, bad, err := importer.ParseParticipants(strings.NewReader(file), importer.Options{}, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 998 || len(bad) != 2 || bad[0].Line != 213 || bad[1].Line != 878 {
		t.Fatalf("parsed %d good rows, bad %v; want 998 and lines 213, 878", len(rows), bad)
	}
	if bad[0].Column != "personal_identity_number" || !strings.Contains(bad[0].Reason, "check digit") || bad[1].Column != "gender" {
		t.Errorf("bad rows: %v", bad)
	}
	count := func(table string) int {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM `+table+` WHERE organisation_id = $1`, org.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	res, err := importer.ImportParticipants(ctx, pool, org.ID, rows, bad, false, nil)
	if apperr.CodeOf(err) != apperr.Invalid || len(res.Bad) != 2 || res.Imported != 0 {
		t.Fatalf("import without skip: %v, %+v", err, res)
	}
	if n := count("participant"); n != 0 {
		t.Fatalf("%d participants written by a refused import", n)
	}

	var calls, last, total int
	res, err = importer.ImportParticipants(ctx, pool, org.ID, rows, bad, true, func(done, all int) { calls, last, total = calls+1, done, all })
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 998 || res.Skipped != 2 || len(res.Bad) != 2 {
		t.Fatalf("import with skip: %+v", res)
	}
	if n := count("participant"); n != 998 {
		t.Fatalf("%d participants after importing with skip, want 998", n)
	}
	if calls == 0 || last != 998 || total != 998 {
		t.Errorf("progress: %d calls, last %d/%d", calls, last, total)
	}
	// Rows 0, 3, ..., 999 gave attributes; of them, row 876 was skipped.
	if n := count("participant_attributes"); n != 333 {
		t.Errorf("%d attribute sets, want 333", n)
	}
	if n := count("change_event"); n != 998 {
		t.Errorf("%d change events, want one per participant (998)", n)
	}

	// Row 3 as stored: names, gender from the code, birth date from the number, and
	// attributes valid from the day of the import, recorded by the import.
	var given, gender, district, distance, recordedBy string
	var birth, validFrom time.Time
	var newlyArrived, atAf, assistance bool
	var days int
	err = pool.QueryRow(ctx, `SELECT p.given_name, p.gender, p.birth_date, a.valid_from, a.district, a.distance_category,
			a.newly_arrived, a.registered_at_af, a.social_assistance, a.guarantee_days, a.recorded_by
		FROM participant p JOIN participant_attributes a ON a.participant_id = p.id
		WHERE p.personal_identity_number = $1`, number(3)).
		Scan(&given, &gender, &birth, &validFrom, &district, &distance, &newlyArrived, &atAf, &assistance, &days, &recordedBy)
	if err != nil {
		t.Fatal(err)
	}
	wantBirth := time.Date(1970, 1, 4, 0, 0, 0, 0, time.UTC)
	if given != "Given3" || gender != "not_stated" || !birth.Equal(wantBirth) || !validFrom.Equal(time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)) ||
		district != "Gottsunda" || distance != "red" || !newlyArrived || !atAf || assistance || days != 3 || recordedBy != "import:cli" {
		t.Errorf("row 3 stored as %s %s %v %v %s %s %v %v %v %d %s", given, gender, birth, validFrom, district, distance,
			newlyArrived, atAf, assistance, days, recordedBy)
	}
	var kGender string
	if err := pool.QueryRow(ctx, `SELECT gender FROM participant WHERE personal_identity_number = $1`, number(2)).Scan(&kGender); err != nil || kGender != "woman" {
		t.Errorf("gender K stored as %q (%v)", kGender, err)
	}

	// Importing the same file again: every line is now a number already registered, found
	// before anything is written.
	again, _, err := importer.ParseParticipants(strings.NewReader(participantFile(3, nil)), importer.Options{}, now)
	if err != nil {
		t.Fatal(err)
	}
	res, err = importer.ImportParticipants(ctx, pool, org.ID, append(again, newRow(t, 5000)), nil, false, nil)
	if apperr.CodeOf(err) != apperr.Invalid || len(res.Bad) != 3 || res.Bad[0].Line != 2 || res.Bad[2].Line != 4 ||
		!strings.Contains(res.Bad[0].Reason, "already registered") {
		t.Fatalf("re-import: %v, %+v", err, res)
	}
	if n := count("participant"); n != 998 {
		t.Errorf("%d participants after a refused re-import, want 998", n)
	}
	res, err = importer.ImportParticipants(ctx, pool, org.ID, append(again, newRow(t, 5000)), nil, true, nil)
	if err != nil || res.Imported != 1 || res.Skipped != 3 || count("participant") != 999 {
		t.Errorf("re-import with skip: %v, %+v, %d participants", err, res, count("participant"))
	}
}

// newRow is a valid row for number i, at file line 5.
func newRow(t *testing.T, i int) importer.ParticipantRow {
	t.Helper()
	rows, bad, err := importer.ParseParticipants(strings.NewReader("personal_identity_number,given_name,family_name,gender\n\n\n\n"+number(i)+",A,B,man\n"), importer.Options{}, now)
	if err != nil || len(bad) != 0 || len(rows) != 1 || rows[0].Line != 5 {
		t.Fatalf("new row: %v %v %v", rows, bad, err)
	}
	return rows[0]
}

func TestImportParticipantsUnknownOrganisation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testenv.Postgres(t)
	rows, _, err := importer.ParseParticipants(strings.NewReader(participantFile(2, nil)), importer.Options{}, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"nonsense", "00000000-0000-0000-0000-000000000001"} {
		if _, err := importer.ImportParticipants(ctx, pool, id, rows, nil, true, nil); apperr.CodeOf(err) != apperr.NotFound {
			t.Errorf("organisation %q: %v, want NOT_FOUND", id, err)
		}
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM participant`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d participants written (err %v)", n, err)
	}
}

// A file of 20,000 participants spans several chunks: every row is written once, with its
// change event, and the numbers are registered for good.
func TestImportParticipantsLargeFile(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("large import")
	}
	ctx := context.Background()
	pool := testenv.Postgres(t)
	org := domaintest.OrganisationWith(t, pool, organisation.CreateInput{Code: "stor", Name: "Stor", Kind: organisation.Municipality})
	rows, bad, err := importer.ParseParticipants(strings.NewReader(participantFile(20000, nil)), importer.Options{}, now)
	if err != nil || len(bad) != 0 {
		t.Fatalf("%d bad lines (%v), err %v", len(bad), bad[:min(len(bad), 3)], err)
	}
	var progress []int
	res, err := importer.ImportParticipants(ctx, pool, org.ID, rows, nil, false, func(done, _ int) { progress = append(progress, done) })
	if err != nil || res.Imported != 20000 {
		t.Fatalf("%v %+v", err, res)
	}
	if len(progress) < 2 || progress[len(progress)-1] != 20000 || !slices.IsSorted(progress) {
		t.Errorf("progress calls %v, want several, rising to 20000", progress)
	}
	var people, events int
	if err := pool.QueryRow(ctx, `SELECT count(DISTINCT personal_identity_number), (SELECT count(DISTINCT participant_id) FROM change_event)
		FROM participant`).Scan(&people, &events); err != nil || people != 20000 || events != 20000 {
		t.Errorf("%d distinct participants, %d with a change event (err %v), want 20000", people, events, err)
	}
	if _, err := participant.NewStore(pool).Create(ctx, participant.CreateInput{OrganisationID: org.ID, PersonalIdentityNumber: number(7), GivenName: "Test", FamilyName: "Person", Gender: participant.Man}); apperr.CodeOf(err) != apperr.Conflict {
		t.Errorf("registering an imported number again: %v, want CONFLICT", err)
	}
}

func TestParseParticipantsRows(t *testing.T) {
	t.Parallel()
	if _, _, err := importer.ParseParticipants(strings.NewReader(""), importer.Options{}, now); err == nil {
		t.Error("empty file accepted")
	}
	if _, _, err := importer.ParseParticipants(strings.NewReader("personal_identity_number,given_name,family_name\n"), importer.Options{}, now); err == nil || !strings.Contains(err.Error(), "lacks required columns: gender (or kön)") {
		t.Errorf("file without the gender column: %v", err)
	}
	file := "\ufeffGender,Personal_Identity_Number,Given_Name,Family_Name,Guarantee_Days,Birth_Region,Newly_Arrived,Distance_Category,Education_Level,District\n" +
		"m," + strings.ReplaceAll(number(1), "-", "")[2:] + ", Anna , Berg ,,,,,,\n" + // line 2: ten digits, trimmed names, no attributes
		"woman," + number(2) + ",A,B,-1,mars,kanske,blue,phd,\n" + // line 3: five bad attributes
		"woman," + number(1) + ",A,B,,,,,,\n" + // line 4: repeats line 2
		"man,19811318-9875,A,B,12x,,,,,\n" + // line 5: bad month and bad days
		"man," + number(1) + ",A,B,,,,,,\n" + // line 6: repeats line 2 again
		"\"unterminated\n"
	rows, bad, err := importer.ParseParticipants(strings.NewReader(file), importer.Options{}, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Line != 2 || rows[0].Input.PersonalIdentityNumber != number(1) || rows[0].Input.Gender != participant.Man ||
		rows[0].Input.GivenName != "Anna" || rows[0].Input.Attributes != nil || !rows[0].BirthDate.Equal(time.Date(1970, 1, 2, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("rows: %+v", rows)
	}
	got := fmt.Sprint(bad)
	for _, want := range []string{
		"line 3: guarantee_days: want a whole number of days, 0 or more",
		"line 3: birth_region: unknown value (want sweden, europe or outside_europe, or sverige, europa, utanför Europa)",
		"line 3: newly_arrived: want true, false or empty",
		"line 3: distance_category: unknown value (want green, yellow or red, or grön, gul, röd)",
		"line 3: education_level: unknown value",
		"line 4: personal_identity_number: the same personal identity number as line 2",
		"line 5: personal_identity_number: invalid personal identity number",
		"line 5: guarantee_days",
		"line 6: personal_identity_number: the same personal identity number as line 2",
		"line 7: not valid CSV",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("bad lines %s lack %q", got, want)
		}
	}
	if n := len(bad); n != 10 {
		t.Errorf("%d errors, want 10: %s", n, got)
	}
	if strings.Contains(got, strings.ReplaceAll(number(1), "-", "")[2:]) || strings.Contains(got, "9811318") {
		t.Error("a line error repeats a personal identity number")
	}
}
