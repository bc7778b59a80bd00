package importer

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/domain/participant"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/calendar"
)

// ParticipantSpec is the header of a participants file, in any order; the first four
// columns are required, the others are attributes and may be left out or left empty
// (not recorded). The Swedish headings are accepted as aliases.
var ParticipantSpec = []Column{
	{Name: "personal_identity_number", Aliases: identityAliases, Required: true, Kind: Identity},
	{Name: "given_name", Aliases: []string{"förnamn", "fornamn", "tilltalsnamn"}, Required: true},
	{Name: "family_name", Aliases: []string{"efternamn"}, Required: true},
	{Name: "gender", Aliases: []string{"kön", "kon"}, Required: true},
	{Name: "district", Aliases: []string{"stadsdel"}},
	{Name: "birth_region", Aliases: []string{"födelseregion", "född i"}},
	{Name: "newly_arrived", Aliases: []string{"nyanländ", "nyanland"}},
	{Name: "registered_at_af", Aliases: []string{"inskriven af", "inskriven på af", "inskriven arbetsförmedlingen"}},
	{Name: "social_assistance", Aliases: socialAssistanceAliases},
	{Name: "guarantee_days", Aliases: []string{"ersättningsdagar", "dagar i jobbgarantin"}},
	{Name: "education_level", Aliases: []string{"utbildningsnivå", "utbildning"}},
	{Name: "distance_category", Aliases: []string{"avstånd till arbetsmarknaden", "avstånd"}},
}

// ParticipantColumns are the names of ParticipantSpec's columns.
var ParticipantColumns = names(ParticipantSpec)

// identityAliases are the headings a personal identity number goes by.
var identityAliases = []string{"personnummer", "personnr", "pnr", "samordningsnummer", "personnummer/samordningsnummer"}

var socialAssistanceAliases = []string{"försörjningsstöd", "ekonomiskt bistånd"}

// ImportedBy is recorded as the author of attribute sets that came from a file.
const ImportedBy = "import"

// ParticipantRow is one valid line: a participant to register, with a first attribute
// set (valid from the day of the import) when the line gives any attribute.
type ParticipantRow struct {
	Line      int
	Input     participant.CreateInput // validated; PersonalIdentityNumber canonical
	BirthDate time.Time               // from the personal identity number
	src       *layout
}

// ParseParticipants reads and validates a whole file of participants (a text file or a
// workbook; see Options). Every bad row is listed, and so is every line that repeats a
// personal identity number of an earlier line. A structural problem (no header, a
// required column missing, a file that cannot be read) is an error.
func ParseParticipants(r io.Reader, opts Options, now time.Time) ([]ParticipantRow, []LineError, error) {
	var rows []ParticipantRow
	firstLine := map[string]int{} // canonical number -> the line it first appeared on
	lay, bad, err := readRecords(r, opts, ParticipantSpec, func(line int, get func(string) string) []LineError {
		row, errs := parseParticipant(line, get, now)
		if n := row.Input.PersonalIdentityNumber; n != "" {
			if first, seen := firstLine[n]; seen {
				errs = append(errs, LineError{Line: line, Column: "personal_identity_number",
					Reason: fmt.Sprintf("the same personal identity number as line %d", first)})
			} else {
				firstLine[n] = line
			}
		}
		if len(errs) == 0 {
			rows = append(rows, row)
		}
		return errs
	})
	if err != nil {
		return nil, nil, err
	}
	for i := range rows {
		rows[i].src = lay
	}
	return rows, bad, nil
}

// parseParticipant reads one line. The returned row carries the canonical personal
// identity number whenever that column is valid, even when other columns are not, so
// that repeats are found.
func parseParticipant(line int, get func(string) string, now time.Time) (ParticipantRow, []LineError) {
	var errs []LineError
	fail := func(c, reason string) { errs = append(errs, LineError{Line: line, Column: c, Reason: reason}) }
	in := participant.CreateInput{
		OrganisationID:         "set at import",
		PersonalIdentityNumber: get("personal_identity_number"),
		GivenName:              get("given_name"),
		FamilyName:             get("family_name"),
		RecordedBy:             ImportedBy,
	}
	if g, ok := genders[normaliseHeading(get("gender"))]; ok {
		in.Gender = g
	} else {
		fail("gender", "want "+participant.OneOf(participant.Genders)+" (or kvinna, man, annan, ej angivet, K, M)")
	}
	if hint := identityHint(get("personal_identity_number")); hint != "" {
		fail("personal_identity_number", hint)
	}
	a, attrErrs := parseAttributes(get)
	for _, e := range attrErrs {
		fail(e.Column, e.Reason)
	}
	if a != nil {
		from := dayOf(now)
		a.ValidFrom = &from
		in.Attributes = a
	}
	// The domain's own rules (check digit, name lengths, attribute codes), reported under
	// the file's column names; a column already reported is not reported twice.
	birth, err := in.Validate(now)
	pnrValid := true
	for _, e := range apperr.All(err) {
		column, ok := participantColumnOf[e.Field]
		if column == "personal_identity_number" {
			pnrValid = false
		}
		if !ok || hasColumn(errs, column) {
			continue
		}
		fail(column, e.Message+hints[column])
	}
	row := ParticipantRow{Line: line, Input: in, BirthDate: birth}
	if !pnrValid {
		row.Input.PersonalIdentityNumber = ""
	}
	return row, errs
}

// parseAttributes reads the attribute columns; nil when the line gives none of them.
func parseAttributes(get func(string) string) (*participant.AttributesInput, []LineError) {
	var errs []LineError
	var a participant.AttributesInput
	given := false
	text := func(column string) *string {
		v := get(column)
		if v == "" {
			return nil
		}
		given = true
		if column != "district" {
			v = strings.ToLower(v) // codes; a district keeps its spelling
			if code, ok := swedishCodes[column][normaliseHeading(v)]; ok {
				v = code
			}
		}
		return &v
	}
	flag := func(column string) *bool {
		v, ok := parseBool(get(column))
		if !ok {
			errs = append(errs, LineError{Column: column, Reason: boolWant})
		}
		given = given || v != nil
		return v
	}
	a.District = text("district")
	a.BirthRegion = text("birth_region")
	a.EducationLevel = text("education_level")
	a.DistanceCategory = text("distance_category")
	a.NewlyArrived = flag("newly_arrived")
	a.RegisteredAtAf = flag("registered_at_af")
	a.SocialAssistance = flag("social_assistance")
	if s := get("guarantee_days"); s != "" {
		given = true
		if n, err := strconv.Atoi(s); err != nil || n < 0 {
			errs = append(errs, LineError{Column: "guarantee_days", Reason: "want a whole number of days, 0 or more"})
		} else {
			a.GuaranteeDays = &n
		}
	}
	if !given {
		return nil, errs
	}
	return &a, errs
}

// genders are the accepted values of the gender column, as normaliseHeading leaves
// them (so "Ej angivet" is ej_angivet).
var genders = map[string]participant.Gender{
	"woman": participant.Woman, "k": participant.Woman, "kvinna": participant.Woman,
	"man": participant.Man, "m": participant.Man,
	"other": participant.Other, "annan": participant.Other, "annat": participant.Other,
	"not_stated": participant.NotStated, "ej_angivet": participant.NotStated,
}

// swedishCodes are the Swedish words a file may give for an attribute's codes, as
// normaliseHeading leaves them.
var swedishCodes = map[string]map[string]string{
	"birth_region":      {"sverige": "sweden", "europa": "europe", "utanför_europa": "outside_europe", "utanfor_europa": "outside_europe"},
	"distance_category": {"grön": "green", "gron": "green", "gul": "yellow", "röd": "red", "rod": "red"},
}

// participantColumnOf maps the fields of participant validation to the file's columns.
var participantColumnOf = map[string]string{
	"input.personalIdentityNumber":      "personal_identity_number",
	"input.givenName":                   "given_name",
	"input.familyName":                  "family_name",
	"input.gender":                      "gender",
	"input.attributes.district":         "district",
	"input.attributes.birthRegion":      "birth_region",
	"input.attributes.guaranteeDays":    "guarantee_days",
	"input.attributes.educationLevel":   "education_level",
	"input.attributes.distanceCategory": "distance_category",
}

// hints complete the domain's "unknown value" with the codes a file may use.
var hints = map[string]string{
	"birth_region":      " (want " + participant.OneOf(participant.BirthRegions) + ", or sverige, europa, utanför Europa)",
	"education_level":   " (want " + participant.OneOf(participant.EducationLevels) + ")",
	"distance_category": " (want " + participant.OneOf(participant.DistanceCategories) + ", or grön, gul, röd)",
}

func hasColumn(errs []LineError, column string) bool {
	for _, e := range errs {
		if e.Column == column {
			return true
		}
	}
	return false
}

// dayOf is now's Swedish calendar date, as participant attributes are dated.
func dayOf(now time.Time) time.Time { return calendar.Today(now) }
