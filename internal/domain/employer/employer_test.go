package employer

import (
	"strings"
	"testing"

	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
)

func TestNormaliseOrgNumber(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"", "", true},
		{"  ", "", true},
		{"556036-0793", "556036-0793", true},
		{"5560360793", "556036-0793", true},
		{"16556036-0793", "556036-0793", true},
		{"212000-3005", "212000-3005", true},
		{"556036-0794", "", false},  // wrong check digit
		{"556036-079", "", false},   // too short
		{"55603a-0793", "", false},  // not a digit
		{"175560360793", "", false}, // unknown 12-digit prefix
	} {
		got, ok := NormaliseOrgNumber(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("NormaliseOrgNumber(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// fields lists the input fields a validation error names, in order.
func fields(err error) []string {
	var out []string
	for _, e := range apperr.All(err) {
		out = append(out, e.Field)
	}
	return out
}

func TestCreateInputReportsEveryBadField(t *testing.T) {
	t.Parallel()
	neg := -1
	in := CreateInput{Kind: "shop", Name: "  ", OrgNumber: "123", Headcount: &neg, Notes: strings.Repeat("x", maxNotes+1)}
	err := in.Validate()
	want := []string{"input.kind", "input.name", "input.orgNumber", "input.headcount", "input.notes"}
	if got := fields(err); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("fields = %v, want %v", got, want)
	}
	if apperr.CodeOf(err) != apperr.Invalid {
		t.Fatalf("code = %s, want INVALID", apperr.CodeOf(err))
	}
}

func TestCreateInputNormalises(t *testing.T) {
	t.Parallel()
	zero := 0
	in := CreateInput{Kind: OwnWorkshop, Name: "  Återbruket ", OrgNumber: "2120003005", Headcount: &zero}
	if err := in.Validate(); err != nil {
		t.Fatal(err)
	}
	if in.Name != "Återbruket" || in.OrgNumber != "212000-3005" {
		t.Fatalf("normalised to %q, %q", in.Name, in.OrgNumber)
	}
	// 200 characters is the limit in characters, not bytes.
	in.Name = strings.Repeat("å", 200)
	if err := in.Validate(); err != nil {
		t.Fatalf("200 characters refused: %v", err)
	}
}

func TestUpdateInputChecksOnlyGivenFields(t *testing.T) {
	t.Parallel()
	if err := (&UpdateInput{ID: "x", Version: 1}).Validate(); err != nil {
		t.Fatalf("empty update refused: %v", err)
	}
	empty, bad := "", Kind("shop")
	err := (&UpdateInput{Name: &empty, Kind: &bad}).Validate()
	if got := fields(err); strings.Join(got, ",") != "input.kind,input.name" {
		t.Fatalf("fields = %v", got)
	}
	clear := ""
	in := UpdateInput{OrgNumber: &clear}
	if err := in.Validate(); err != nil || *in.OrgNumber != "" {
		t.Fatalf("clearing the org number: %v, %q", err, *in.OrgNumber)
	}
}

func TestContactAndNoteValidation(t *testing.T) {
	t.Parallel()
	err := (&ContactInput{Name: "", Email: "nope", Phone: strings.Repeat("1", maxPhone+1)}).Validate()
	if got := fields(err); strings.Join(got, ",") != "input.name,input.phone,input.email" {
		t.Fatalf("fields = %v", got)
	}
	if _, err := ValidateNote("   "); apperr.CodeOf(err) != apperr.Invalid {
		t.Fatalf("blank note: %v", err)
	}
	if _, err := ValidateNote(strings.Repeat("x", maxNote+1)); apperr.CodeOf(err) != apperr.Invalid {
		t.Fatalf("long note: %v", err)
	}
	if body, err := ValidateNote(" Ringde om platser. "); err != nil || body != "Ringde om platser." {
		t.Fatalf("note = %q, %v", body, err)
	}
}
