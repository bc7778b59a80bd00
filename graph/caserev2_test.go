package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/arbetsmarknad/outcomes/graph/generated"
	"github.com/arbetsmarknad/outcomes/internal/app/apiserver/apitest"
	"github.com/arbetsmarknad/outcomes/internal/domain/participant"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/bounds"
	"github.com/arbetsmarknad/outcomes/internal/platform/calendar"
	"github.com/arbetsmarknad/outcomes/internal/platform/gqltest"
	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
)

// TestAnExitEndsPlannedRateChanges: a rate change planned after the day a person left
// never took effect, so recording the exit (or correcting it to an earlier day) ends it
// rather than failing at commit as "value rejected by the database
// (enrolment_rate_within_enrolment)" on no field, which left the caseworker no way to
// record the exit at all (no mutation removes a rate). A corrected exit keeps the rates it
// ended in its history row.
func TestAnExitEndsPlannedRateChanges(t *testing.T) {
	t.Parallel()
	w := newCaseWorld(t)
	pid := w.person(t, pnr(1985, 4, 12, 123), `district: "Gottsunda"`)
	type enrolment struct {
		ID              string
		Version         int
		EndDate         *string
		EmploymentRates []struct {
			ValidFrom string
			Rate      int
		}
	}
	start := func(measure string) enrolment {
		var out struct{ CreateEnrolment enrolment }
		w.cw.MustData(t, `mutation($p: ID!, $m: String!) { createEnrolment(input: {participantId: $p, measureTypeCode: $m,
			startDate: "2020-01-01", employmentRate: 25}) { id version } }`, map[string]any{"p": pid, "m": measure}, &out)
		var rate struct{ ChangeEmploymentRate enrolment }
		w.cw.MustData(t, `mutation($e: ID!, $v: Int!) { changeEmploymentRate(input: {enrolmentId: $e, version: $v,
			validFrom: "2020-06-01", rate: 100}) { id version } }`, map[string]any{"e": out.CreateEnrolment.ID, "v": out.CreateEnrolment.Version}, &rate)
		return rate.ChangeEmploymentRate
	}
	const fields = `id version endDate employmentRates { validFrom rate }`
	onlyFirstRate := func(what string, e enrolment) {
		t.Helper()
		if e.EndDate == nil || *e.EndDate != "2020-03-31" || len(e.EmploymentRates) != 1 || e.EmploymentRates[0].ValidFrom != "2020-01-01" {
			t.Errorf("%s: %+v, want ended 2020-03-31 with only the rate from 2020-01-01", what, e)
		}
	}

	// The exit: the person left before the planned rise to 100 %.
	e := start("work_practice")
	var exited struct{ ExitEnrolment enrolment }
	res, err := w.cw.Do(context.Background(), `mutation($e: ID!, $v: Int) { exitEnrolment(input: {enrolmentId: $e, version: $v,
		endDate: "2020-03-31", exitReason: DROPPED_OUT}) { `+fields+` } }`, map[string]any{"e": e.ID, "v": e.Version})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) > 0 {
		t.Fatalf("exit before a planned rate change: %s %s: %s", res.Errors[0].Code(), res.Errors[0].Field(), res.Errors[0].Message)
	}
	if err := json.Unmarshal(res.Data, &exited); err != nil {
		t.Fatal(err)
	}
	onlyFirstRate("exitEnrolment", exited.ExitEnrolment)

	// The correction: the exit recorded as 2020-12-31 was in fact 2020-03-31.
	e = start("act_course")
	var ended struct{ ExitEnrolment enrolment }
	w.cw.MustData(t, `mutation($e: ID!, $v: Int) { exitEnrolment(input: {enrolmentId: $e, version: $v,
		endDate: "2020-12-31", exitReason: STUDIES}) { id version } }`, map[string]any{"e": e.ID, "v": e.Version}, &ended)
	res, err = w.cw.Do(context.Background(), `mutation($e: ID!, $v: Int!) { correctExit(input: {enrolmentId: $e, version: $v,
		endDate: "2020-03-31", exitReason: STUDIES, reason: "fel slutdatum"}) { `+fields+` } }`,
		map[string]any{"e": e.ID, "v": ended.ExitEnrolment.Version})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) > 0 {
		t.Fatalf("exit corrected to before a rate change: %s %s: %s", res.Errors[0].Code(), res.Errors[0].Field(), res.Errors[0].Message)
	}
	var corrected struct{ CorrectExit enrolment }
	if err := json.Unmarshal(res.Data, &corrected); err != nil {
		t.Fatal(err)
	}
	onlyFirstRate("correctExit", corrected.CorrectExit)
	var kept int
	if err := w.pool.QueryRow(context.Background(), `SELECT jsonb_array_length(coalesce(before->'rates', '[]'))
		FROM enrolment_change WHERE enrolment_id = $1 AND kind = 'exit_corrected'`, plain(e.ID)).Scan(&kept); err != nil {
		t.Fatal(err)
	}
	if kept != 1 {
		t.Errorf("the correction's history keeps %d ended rates, want the one from 2020-06-01", kept)
	}
}

// TestAnonymousBirthDateIsNotInTheFuture: an anonymous participant's birth date obeys the
// rule a personal identity number's does (not after today, the Swedish date); one born
// "2099-01-01" or tomorrow was registered, and counted in age bands as a negative age.
func TestAnonymousBirthDateIsNotInTheFuture(t *testing.T) {
	t.Parallel()
	w := newCaseWorld(t)
	const create = `mutation($o: ID!, $b: Date!) { createParticipant(input: {organisationId: $o, anonymous: true,
		personalIdentityNumber: "", givenName: "", familyName: "", gender: WOMAN, birthDate: $b}) { id birthDate } }`
	today := calendar.Today(time.Now())
	for _, b := range []string{today.AddDate(0, 0, 1).Format(time.DateOnly), "2099-01-01"} {
		errs := w.cw.MustFail(t, create, map[string]any{"o": w.org, "b": b})
		if errs[0].Code() != "INVALID" || errs[0].Field() != "input.birthDate" {
			t.Errorf("anonymous, born %s: %+v, want INVALID on input.birthDate", b, errs[0])
		}
	}
	var n int
	if err := w.pool.QueryRow(context.Background(), `SELECT count(*) FROM participant WHERE organisation_id = $1`, plain(w.org)).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d participants written on refusal (%v)", n, err)
	}
	w.cw.MustData(t, create, map[string]any{"o": w.org, "b": "1960-02-29"}, nil)
}

// dateSlotsBeforeRecords are the Date and Month slots of a write that may lie before the
// records begin (bounds.FirstRecordYear): a birth date and a residence permit's date are
// facts of a life, not of a case.
var dateSlotsBeforeRecords = []string{"birthDate", "residencePermitDate"}

// TestCaseDatesBeginWithTheRecords: every date a write records about a case (a decision,
// a rate change, a meeting, a fair, an offer, a consent, a period of a project, target or
// quota, a plan's review and steps, an attribute set's start) is refused before
// bounds.FirstRecordYear, INVALID on its own field and writing nothing, as a start, a
// referral and an observed month always were: the reports and figures begin there, so a
// 1999 (or 1901) date is a typing error that no report would ever show. Swept from the
// schema: each Date or Month slot of each mutation's role-matrix call, in turn.
func TestCaseDatesBeginWithTheRecords(t *testing.T) {
	t.Parallel()
	tried := sweepWrites(t, false, func(_ string, sl slot) (string, bool) {
		name := sl.path[strings.LastIndex(sl.path, ".")+1:]
		early := map[string]string{"Date": "1999-12-31", "Month": "1999-12"}[sl.typ.Name()]
		return early, early != "" && !slices.Contains(dateSlotsBeforeRecords, name)
	})
	if len(tried) < 20 {
		t.Errorf("only %d date slots tried: the schema's dates are no longer found", len(tried))
	}
	t.Logf("%d date slots of writes refuse a date before %d", len(tried), bounds.FirstRecordYear)
}

// sweepWrites sends, as a caseworker where the field allows it (else as admin), each
// mutation's role-matrix call with the value bad picks for a slot (one slot at a time,
// the slots it picks), and requires INVALID on that slot's path (or, unless strict, on
// another field of the call that the value breaks, such as a period's length) and nothing
// written. It returns the "operation path" of every slot tried.
func sweepWrites(t *testing.T, strict bool, bad func(op string, sl slot) (string, bool)) map[string]bool {
	t.Helper()
	w := sweepWorld(t, apitest.New(t, apitest.Options{}))
	schema := generated.NewExecutableSchema(generated.Config{}).Schema()
	roles := rootFields(t)
	tried := map[string]bool{}
	for _, op := range operations {
		if words := strings.Fields(op.name); len(words) != 2 || words[0] != "mutation" {
			continue
		}
		caller := w.admin
		if slices.Contains(roles[op.name], string(auth.Caseworker)) {
			caller = w.as(t, auth.Caseworker)
		}
		q, vars := op.query(t, w)
		for i := 0; ; i++ {
			bq, sl := variant(t, schema, q, vars, i)
			if bq == "" {
				break
			}
			value, ok := bad(op.name, sl)
			if !ok {
				continue
			}
			tried[op.name+" "+sl.path] = true
			before := tableRows(t, w.system)
			what := fmt.Sprintf("%s %s = %s", op.name, sl.path, value)
			r, err := caller.Do(context.Background(), bq, map[string]any{"bad": value})
			named := slices.ContainsFunc(r.Errors, func(e gqltest.Error) bool { return e.Code() == "INVALID" && e.Field() == sl.path })
			if !strict && len(r.Errors) > 0 {
				e := r.Errors[0]
				named = named || e.Code() == "INVALID" && e.Field() != "" && e.Field() != strings.Fields(op.name)[1]
			}
			switch {
			case err != nil:
				t.Errorf("%s: %v", what, err)
			case len(r.Errors) == 0:
				t.Errorf("%s: accepted", what)
				q, vars = op.query(t, w) // it wrote: fresh fixtures for the next slot
			case !named:
				t.Errorf("%s: %+v, want INVALID on %s", what, r.Errors, sl.path)
			default:
				if after := tableRows(t, w.system); fmt.Sprint(after) != fmt.Sprint(before) {
					t.Errorf("%s: refused but wrote: before %v, after %v", what, before, after)
				}
			}
		}
	}
	return tried
}

// TestTextLimitsCountCharacters: a text limit counts characters, as its message and the
// database's length() do, not bytes: an occupation of 150 Swedish letters ("å" is two
// bytes in UTF-8) was refused as more than 200 characters, and a phone number likewise.
func TestTextLimitsCountCharacters(t *testing.T) {
	t.Parallel()
	w := newCaseWorld(t)
	pid := w.person(t, pnr(1985, 4, 12, 123), `district: "Gottsunda"`)
	occupation := strings.Repeat("ö", 150)
	w.cw.MustData(t, `mutation($p: ID!, $o: String!) { createEnrolment(input: {participantId: $p, measureTypeCode: "work_practice",
		startDate: "2020-01-01", occupation: $o}) { id } }`, map[string]any{"p": pid, "o": occupation}, nil)
	w.cw.MustData(t, `mutation($p: ID!, $ph: String!) { updateParticipant(input: {id: $p, version: 1, phone: $ph}) { id } }`,
		map[string]any{"p": pid, "ph": strings.Repeat("ä", 30)}, nil)
	errs := w.cw.MustFail(t, `mutation($p: ID!, $o: String!) { createEnrolment(input: {participantId: $p, measureTypeCode: "act_course",
		startDate: "2020-01-01", occupation: $o}) { id } }`, map[string]any{"p": pid, "o": strings.Repeat("ö", 201)})
	if errs[0].Code() != "INVALID" || errs[0].Field() != "input.occupation" {
		t.Errorf("201 characters of occupation: %+v, want INVALID on input.occupation", errs[0])
	}
}

// TestAHiddenIdentityHasNoPlaceInTheAlphabet: a caseworker's list of participants is in
// Swedish name order, but a participant with protected personal data (skyddade
// personuppgifter), whose names the caseworker does not see, was placed by those names
// all the same: a blank row between "Berg" and "Lind" told that the hidden family name
// lies between them. Hidden rows now sort as the blank names they show (first, by id),
// also when paged one by one; an admin, who sees the names, keeps the name order.
func TestAHiddenIdentityHasNoPlaceInTheAlphabet(t *testing.T) {
	t.Parallel()
	w := newCaseWorld(t)
	register := func(number, family string, protected bool) string {
		var p struct{ CreateParticipant struct{ ID string } }
		w.cw.MustData(t, `mutation($o: ID!, $p: String!, $f: String!, $x: Boolean!) { createParticipant(input: {organisationId: $o,
			personalIdentityNumber: $p, givenName: "Kim", familyName: $f, gender: OTHER, protectedIdentity: $x}) { id } }`,
			map[string]any{"o": w.org, "p": number, "f": family, "x": protected}, &p)
		return p.CreateParticipant.ID
	}
	register(pnr(1980, 1, 1, 11), "Berg", false)
	hiddenA := register(pnr(1980, 1, 2, 12), "Björk", true)
	register(pnr(1980, 1, 3, 13), "Lind", false)
	register(pnr(1980, 1, 4, 14), "Åberg", false)
	hiddenB := register(pnr(1980, 1, 5, 15), "Östling", true)
	type row struct {
		ID             string
		FamilyName     string
		IdentityHidden bool
	}
	list := func(c *gqltest.Client) []row {
		var out []row
		var after *string
		for {
			var page struct {
				Participants struct {
					Edges    []struct{ Node row }
					PageInfo struct {
						HasNextPage bool
						EndCursor   string
					}
				}
			}
			c.MustData(t, `query($o: ID!, $a: String) { participants(organisationId: $o, first: 1, after: $a) {
				edges { node { id familyName identityHidden } } pageInfo { hasNextPage endCursor } } }`,
				map[string]any{"o": w.org, "a": after}, &page)
			for _, e := range page.Participants.Edges {
				out = append(out, e.Node)
			}
			if !page.Participants.PageInfo.HasNextPage {
				return out
			}
			after = &page.Participants.PageInfo.EndCursor
		}
	}
	got := list(w.cw)
	var shown []string
	for _, r := range got {
		shown = append(shown, fmt.Sprintf("%s%v", r.FamilyName, map[bool]string{true: "(hidden)"}[r.IdentityHidden]))
	}
	first, second := hiddenA, hiddenB
	if plain(first) > plain(second) { // uuid order
		first, second = second, first
	}
	if len(got) != 5 || got[0].ID != first || got[1].ID != second || !got[0].IdentityHidden || !got[1].IdentityHidden ||
		got[2].FamilyName != "Berg" || got[3].FamilyName != "Lind" || got[4].FamilyName != "Åberg" {
		t.Errorf("a caseworker's list, a page of one at a time: %v; want the two hidden rows first (by id), then Berg, Lind, Åberg", shown)
	}
	var names []string
	for _, r := range list(w.admin) {
		names = append(names, r.FamilyName)
	}
	if fmt.Sprint(names) != "[Berg Björk Lind Åberg Östling]" {
		t.Errorf("an admin's list: %v, want the Swedish name order", names)
	}
}

// pastOnly are the dates of writes that record something that has happened (an exit, a
// referral, a meeting, a step done, a consent, an offer, an observed month): each is
// refused tomorrow (next month), INVALID on its own field, by one rule (bounds.CheckPast).
var pastOnly = map[string][]string{
	"mutation createReferral":           {"input.referralDate"},
	"mutation updateReferral":           {"input.tripartiteMeetingDate", "input.feedbackSentDate"},
	"mutation recordFollowUp":           {"input.heldOn"},
	"mutation saveActionPlan":           {"input.steps[0].doneDate"},
	"mutation recordConsent":            {"input.givenOn"},
	"mutation withdrawConsent":          {"input.withdrawnOn"},
	"mutation createEnrolment":          {"input.endDate"},
	"mutation exitEnrolment":            {"input.endDate"},
	"mutation correctExit":              {"input.endDate"},
	"mutation makeOffer":                {"input.offerDate"},
	"mutation recordOutcomeObservation": {"input.month"},
}

// TestWhatHappenedIsNotInTheFuture: every date in pastOnly is refused the day after
// today (the Swedish date), INVALID on its field and writing nothing. An offer dated
// 2026-12-25 on 2 December was taken, where every other such date said "record it when it
// has happened".
func TestWhatHappenedIsNotInTheFuture(t *testing.T) {
	t.Parallel()
	tomorrow := calendar.Today(time.Now()).AddDate(0, 0, 1)
	tried := sweepWrites(t, true, func(op string, sl slot) (string, bool) {
		if sl.typ.Name() == "Month" {
			return tomorrow.AddDate(0, 1, 1-tomorrow.Day()).Format("2006-01"), slices.Contains(pastOnly[op], sl.path)
		}
		return tomorrow.Format(time.DateOnly), slices.Contains(pastOnly[op], sl.path)
	})
	for op, paths := range pastOnly {
		for _, p := range paths {
			if !tried[op+" "+p] {
				t.Errorf("%s %s: no such slot in the role matrix's call", op, p)
			}
		}
	}
}

// TestEveryNameOrderHasItsIndex: both forms of participant.NameOrderSQL (an admin's and a
// caseworker's, which hides protected identities) are the expressions of an index, so
// that a page of participants is read in order from it and never sorts the whole
// organisation (50,000 participants in the benchmarks). The plan is asked with sorting
// made the last resort: a form that no index matches still sorts.
func TestEveryNameOrderHasItsIndex(t *testing.T) {
	t.Parallel()
	pool := testenv.Postgres(t)
	for _, sees := range []bool{true, false} {
		var plan []string
		err := pgx.BeginFunc(context.Background(), pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(context.Background(), `SET LOCAL enable_sort = off`); err != nil {
				return err
			}
			rows, err := tx.Query(context.Background(), `EXPLAIN SELECT p.id FROM participant p
				WHERE p.organisation_id = '00000000-0000-0000-0000-000000000001'::uuid
				ORDER BY `+participant.NameOrderSQL("p", sees)+` LIMIT 51`)
			if err != nil {
				return err
			}
			plan, err = pgx.CollectRows(rows, pgx.RowTo[string])
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if text := strings.Join(plan, "\n"); strings.Contains(text, "Sort") || !strings.Contains(text, "Index") {
			t.Errorf("the name order (sees protected identities: %v) has no index:\n%s", sees, text)
		}
	}
}
