package graph_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/arbetsmarknad/outcomes/graph/generated"
	"github.com/arbetsmarknad/outcomes/graph/model"
	"github.com/arbetsmarknad/outcomes/internal/domain/consent"
	"github.com/arbetsmarknad/outcomes/internal/domain/cost"
	"github.com/arbetsmarknad/outcomes/internal/domain/eligibility"
	"github.com/arbetsmarknad/outcomes/internal/domain/employer"
	"github.com/arbetsmarknad/outcomes/internal/domain/enrolment"
	"github.com/arbetsmarknad/outcomes/internal/domain/importer"
	"github.com/arbetsmarknad/outcomes/internal/domain/organisation"
	"github.com/arbetsmarknad/outcomes/internal/domain/outcome"
	"github.com/arbetsmarknad/outcomes/internal/domain/participant"
	"github.com/arbetsmarknad/outcomes/internal/domain/project"
	"github.com/arbetsmarknad/outcomes/internal/domain/recruitment"
	"github.com/arbetsmarknad/outcomes/internal/domain/referral"
	"github.com/arbetsmarknad/outcomes/internal/domain/report"
	"github.com/arbetsmarknad/outcomes/internal/domain/retention"
	"github.com/arbetsmarknad/outcomes/internal/platform/audit"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/bounds"
	"github.com/arbetsmarknad/outcomes/internal/platform/changes"
	"github.com/arbetsmarknad/outcomes/internal/platform/idempotency"
	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
	"github.com/arbetsmarknad/outcomes/warehouse/outcomes"
)

func strs[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

func sorted(vs []string) []string {
	out := slices.Clone(vs)
	sort.Strings(out)
	return slices.Compact(out)
}

// storedEnums are the value lists that three places state: the Go list the domain
// validates against, the database's CHECK (or, for statuses, the outcome_status table)
// and the GraphQL enum the API accepts (its values are the stored ones in UPPER_SNAKE,
// model.EnumIn). Keyed by table.column.
var storedEnums = map[string]struct {
	gql  string   // the GraphQL enum; "" when the API has none (free text or internal)
	list []string // the domain's list
}{
	"organisation.kind":                            {"OrganisationKind", strs(organisation.Kinds)},
	"measure_type.category":                        {"", organisation.Categories},
	"measure_type.eligibility_rule":                {"EligibilityRule", eligibility.Rules},
	"participant.case_status":                      {"CaseStatus", strs(participant.CaseStatuses)},
	"participant.gender":                           {"Gender", strs(participant.Genders)},
	"enrolment.wage_payer":                         {"WagePayer", enrolment.WagePayers},
	"outcome_observation.source":                   {"ObservationSource", strs(outcome.Sources)},
	"change_event.op":                              {"", strs(changes.Ops)},
	"employer.kind":                                {"EmployerKind", strs(employer.Kinds)},
	"participant_attributes.birth_region":          {"BirthRegion", participant.BirthRegions},
	"participant_attributes.distance_category":     {"DistanceCategory", participant.DistanceCategories},
	"participant_attributes.education_level":       {"EducationLevel", participant.EducationLevels},
	"participant_attributes.labour_market_status":  {"LabourMarketStatus", participant.LabourMarketStatuses},
	"participant_attributes.residence_permit_kind": {"ResidencePermitKind", participant.ResidencePermitKinds},
	"participant_attributes.school_programme":      {"SchoolProgramme", participant.SchoolProgrammes},
	"participant_attributes.support_source":        {"SupportSource", participant.SupportSources},
	"project.funder":                               {"Funder", strs(project.Funders)},
	"target.metric":                                {"TargetMetric", strs(project.Metrics)},
	"referral.source":                              {"ReferralSource", strs(referral.Sources)},
	"referral.ordered":                             {"ReferralOrder", strs(referral.Orders)},
	"recruitment_event.kind":                       {"RecruitmentEventKind", strs(recruitment.Kinds)},
	"report_edition.trigger":                       {"", report.Triggers},
	"audit_log.action":                             {"", audit.Actions},
	"consent.scope":                                {"ConsentScope", consent.Scopes},
	"enrolment_change.kind":                        {"EnrolmentChangeKind", strs(enrolment.ChangeKinds)},
	"enrolment_cost.kind":                          {"CostKind", strs(cost.Kinds)},
	"retention_rule.mode":                          {"RetentionMode", strs(retention.Modes)},
}

// catalogueChecks reads every CHECK of the public tables (partitions left out: they
// carry their parent's) whose definition matches the SQL regular expression filter, and
// returns the second group of re over it by table.column (the first group is the
// column); a matching CHECK that re cannot read fails the test.
func catalogueChecks(t *testing.T, pool *pgxpool.Pool, filter string, re *regexp.Regexp) map[string]string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT c.conrelid::regclass::text, pg_get_constraintdef(c.oid)
		FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid
		WHERE c.contype = 'c' AND c.connamespace = 'public'::regnamespace AND NOT r.relispartition
		  AND pg_get_constraintdef(c.oid) ~ $1
		ORDER BY 1, 2`, filter)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for rows.Next() {
		var table, def string
		if err := rows.Scan(&table, &def); err != nil {
			t.Fatal(err)
		}
		m := re.FindStringSubmatch(def)
		if m == nil {
			t.Errorf("%s: a CHECK this test cannot read: %s", table, def)
			continue
		}
		out[table+"."+m[1]] = m[2]
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkList reads a CHECK's value list as PostgreSQL prints it:
// "CHECK ((kind = ANY (ARRAY['a'::text, 'b'::text])))" or "(ordered <@ ARRAY['a'::text, …])".
var checkList = regexp.MustCompile(`^CHECK \(\(?\(?(\w+) (?:= ANY \(|<@ )ARRAY\[([^\]]*)\]\)*$`)

// TestEveryStoredEnumIsOneList: every value list the database states in a CHECK — found
// in the catalogue, not listed, so a list added later is covered too — is the Go list
// the domain validates against and the GraphQL enum's values, member for member; the
// outcome statuses (the outcome_status table) are outcomes.Statuses and OutcomeStatus.
// A value that one side has and another lacks either lets the API take what the
// database refuses (an INTERNAL error instead of INVALID) or leaves a recorded value
// that no client can send back.
func TestEveryStoredEnumIsOneList(t *testing.T) {
	t.Parallel()
	pool := testenv.Postgres(t)
	ctx := context.Background()
	schema := generated.NewExecutableSchema(generated.Config{}).Schema()
	gqlValues := func(enum string) []string {
		t.Helper()
		def := schema.Types[enum]
		if def == nil || def.Kind != ast.Enum {
			t.Fatalf("the schema has no enum %s", enum)
		}
		var out []string
		for _, v := range def.EnumValues {
			out = append(out, model.EnumIn(v.Name))
		}
		return out
	}
	same := func(what string, got, want []string) {
		t.Helper()
		if g, w := sorted(got), sorted(want); !slices.Equal(g, w) {
			t.Errorf("%s: %v, want %v", what, g, w)
		}
	}

	found := map[string]bool{}
	for key, list := range catalogueChecks(t, pool, `ARRAY\[`, checkList) {
		var db []string
		for _, lit := range strings.Split(list, ", ") {
			db = append(db, strings.TrimSuffix(strings.TrimPrefix(lit, "'"), "'::text"))
		}
		found[key] = true
		want, ok := storedEnums[key]
		if !ok {
			t.Errorf("%s has a CHECK list %v with no Go list in storedEnums: name the domain's list (and the GraphQL enum)", key, db)
			continue
		}
		same(key+": the Go list against the CHECK", want.list, db)
		if want.gql != "" {
			same(key+": GraphQL "+want.gql+" against the CHECK", gqlValues(want.gql), db)
		}
	}
	for key := range storedEnums {
		if !found[key] {
			t.Errorf("storedEnums names %s, which has no CHECK list in the database", key)
		}
	}

	// Exit reasons and observed statuses reference the outcome_status table.
	var statuses []string
	if err := pool.QueryRow(ctx, `SELECT array_agg(code) FROM outcome_status`).Scan(&statuses); err != nil {
		t.Fatal(err)
	}
	same("outcome_status against outcomes.Statuses", outcomes.Statuses, statuses)
	same("outcome_status against outcome.Statuses", strs(outcome.Statuses), statuses)
	same("outcome_status against GraphQL OutcomeStatus", gqlValues("OutcomeStatus"), statuses)

	// Lists the API states without the database.
	same("outcomes.SourcePrecedence ranks every source", outcomes.SourcePrecedence, strs(outcome.Sources))
	same("GraphQL RegisterSource against importer.RegisterSources", gqlValues("RegisterSource"), strs(importer.RegisterSources))
	for _, s := range importer.RegisterSources {
		if !s.Valid() {
			t.Errorf("register source %q is not an observation source", s)
		}
	}
	same("GraphQL Role against auth.Roles", gqlValues("Role"), strs(auth.Roles))
	same("GraphQL IscedLevel against the bands", gqlValues("IscedLevel"), []string{outcomes.ISCED0to2, outcomes.ISCED3to4, outcomes.ISCED5to8})
	for _, level := range participant.EducationLevels {
		if outcomes.ISCEDBand(level) == "" {
			t.Errorf("education level %q has no ISCED band", level)
		}
	}
	same("the warehouse's genders against participant.Genders",
		[]string{outcomes.GenderWoman, outcomes.GenderMan, outcomes.GenderOther, outcomes.GenderNotStated}, strs(participant.Genders))
	if !t.Failed() {
		t.Logf("%d CHECK lists and the outcome statuses agree with their Go lists and GraphQL enums", len(found))
	}
}

// textLimits are the Go limits of the texts whose length the database checks too, by
// table.column.
var textLimits = map[string]int{
	"organisation.name":            bounds.MaxRecordName,
	"unit.name":                    bounds.MaxRecordName,
	"staff_user.name":              bounds.MaxRecordName,
	"employer.name":                bounds.MaxRecordName,
	"employer_contact.name":        bounds.MaxRecordName,
	"project.name":                 bounds.MaxRecordName,
	"target.name":                  bounds.MaxRecordName,
	"recruitment_event.name":       bounds.MaxRecordName,
	"quota.name":                   bounds.MaxRecordName,
	"project_funding.funder":       bounds.MaxRecordName,
	"employer_note.body":           bounds.MaxNotes,
	"action_plan.goal":             bounds.MaxLongText,
	"action_plan_step.description": bounds.MaxLongText,
	"enrolment_change.reason":      bounds.MaxLongText,
	"enrolment_cost.note":          cost.MaxNote,
	"idempotency_key.key":          idempotency.MaxKey,
}

// lengthCheck reads the upper bound of a CHECK on a text's length as PostgreSQL prints
// it: "CHECK (((length(name) >= 1) AND (length(name) <= 200)))" or "CHECK ((length(note) <= 500))".
var lengthCheck = regexp.MustCompile(`length\((\w+)\) <= (\d+)\)`)

// TestTextLimitsAreTheDatabases: every length the database checks (found in the
// catalogue) is the limit the Go side validates against (bounds.MaxRecordName,
// MaxLongText, MaxNotes and the few of a package's own), so that a text the API accepts
// is never refused by the database as a bare constraint violation, and the limit a
// message names is the one that holds.
func TestTextLimitsAreTheDatabases(t *testing.T) {
	t.Parallel()
	pool := testenv.Postgres(t)
	found := map[string]bool{}
	for key, limit := range catalogueChecks(t, pool, `length\(`, lengthCheck) {
		db, _ := strconv.Atoi(limit)
		found[key] = true
		want, ok := textLimits[key]
		switch {
		case !ok:
			t.Errorf("%s is at most %d characters in the database, with no Go limit in textLimits", key, db)
		case want != db:
			t.Errorf("%s: Go's limit is %d, the database's %d", key, want, db)
		}
	}
	for key := range textLimits {
		if !found[key] {
			t.Errorf("textLimits names %s, whose length the database does not check", key)
		}
	}
	if !t.Failed() {
		t.Logf("%d length CHECKs agree with their Go limits", len(found))
	}
}

// numericBound reads one comparison of a range CHECK as PostgreSQL prints it:
// "(gap_days >= 30)", "(amount < (100000000)::numeric)".
var numericBound = regexp.MustCompile(`\((\w+) (>=|>|<=|<) \(?(\d+)\)?(?:::\w+)?\)`)

// TestNumericRangesAreTheDatabases: the ranges a Go check enforces on a number that the
// database checks too are the database's, bound for bound, so that the API never
// accepts what the database refuses nor names another range in its message. (Dates and
// employment rates: TestSaneRanges.)
func TestNumericRangesAreTheDatabases(t *testing.T) {
	t.Parallel()
	pool := testenv.Postgres(t)
	for _, c := range []struct {
		constraint string
		want       map[string]float64 // operator -> bound
	}{
		{"retention_rule_inactive_years_check", map[string]float64{">=": retention.MinInactiveYears, "<=": retention.MaxInactiveYears}},
		{"inactivity_rule_gap_days_check", map[string]float64{">=": enrolment.MinGapDays, "<=": enrolment.MaxGapDays}},
		{"participant_attributes_guarantee_days_check", map[string]float64{">=": 0, "<=": participant.MaxGuaranteeDays}},
		{"enrolment_cost_amount_check", map[string]float64{">=": 0, "<": cost.MaxAmount}},
	} {
		var def string
		if err := pool.QueryRow(context.Background(), `SELECT pg_get_constraintdef(oid) FROM pg_constraint
			WHERE conname = $1 AND connamespace = 'public'::regnamespace`, c.constraint).Scan(&def); err != nil {
			t.Fatalf("%s: %v", c.constraint, err)
		}
		got := map[string]float64{}
		for _, m := range numericBound.FindAllStringSubmatch(def, -1) {
			v, _ := strconv.ParseFloat(m[3], 64)
			got[m[2]] = v
		}
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s: the database's bounds %v (%s), Go's %v", c.constraint, got, def, c.want)
		}
	}
}

// TestHandWrittenEnumsAreTheSchemas: the five enums graph/model writes by hand (bound to
// the domain's string types, enums.go) list the schema's values, in its order, so that
// no value the schema offers is refused by their IsValid, nor one accepted that the
// schema does not name.
func TestHandWrittenEnumsAreTheSchemas(t *testing.T) {
	t.Parallel()
	schema := generated.NewExecutableSchema(generated.Config{}).Schema()
	for enum, values := range map[string][]string{
		"Gender":            strs(model.AllGender),
		"CaseStatus":        strs(model.AllCaseStatus),
		"OutcomeStatus":     strs(model.AllOutcomeStatus),
		"ReferralSource":    strs(model.AllReferralSource),
		"ObservationSource": strs(model.AllObservationSource),
	} {
		var want []string
		for _, v := range schema.Types[enum].EnumValues {
			want = append(want, v.Name)
		}
		if !slices.Equal(values, want) {
			t.Errorf("model.All%s = %v, the schema's %s = %v", enum, values, enum, want)
		}
	}
}
