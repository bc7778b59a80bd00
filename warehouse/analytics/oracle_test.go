package analytics

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arbetsmarknad/outcomes/internal/platform/export"
	"github.com/arbetsmarknad/outcomes/warehouse/outcomes"
	"github.com/arbetsmarknad/outcomes/warehouse/snapshot"
)

// Oracle computes the figures of this package in Go, straight from PostgreSQL's rows,
// with the functions of warehouse/outcomes: no loader, no snapshot rows, no ClickHouse.
// Tests require Figures, Survival, Transitions and Microdata to equal it; the benchmark can report
// it as the PostgreSQL-side cost of a figure.
//
// It reads everything in PostgreSQL as of the month AsOf ("as of" a month means: the
// observations of months up to and including it, and re-entry as known on its first
// day), which is how the loader builds the warehouse in that month; and it answers as
// on the day Today (which rows are due, which WIOA exits are established; see
// Figures' Today option), as the warehouse's queries do. Its conversion
// of PostgreSQL rows into outcomes values is written here on purpose, independently of
// the loader's (warehouse/snapshot), so that a mistake in either shows up as a
// difference. The characteristics at the start of a measure follow DOMAIN.md: the
// attribute set in force on the start date (latest valid_from on or before it), the
// latest referral on or before the start date (same date: the greater id), the age in
// full years on the start date in the bands of AgeBandOf.
type Oracle struct {
	AsOf   time.Time // first day of the as-of month
	Today  time.Time // the day figures are asked on, unless Figures is given Today
	people []*oraclePerson
}

type oraclePerson struct {
	orgID, orgCode string
	p              outcomes.Person
	enrolments     map[string]*oracleEnrolment
	attrs          []oracleAttributes // by valid_from
	referrals      []oracleReferral
}

type oracleEnrolment struct {
	e             outcomes.Enrolment
	project, unit string
}

type oracleAttributes struct {
	validFrom        time.Time
	newlyArrived     *bool
	birthRegion      *string
	educationLevel   *string
	distanceCategory *string
	registeredAtAf   *bool
	guaranteeDays    *int32
	disability       *bool
	entryStatus      *string // labour_market_status
}

type oracleReferral struct {
	id     string
	date   time.Time
	source string
}

// LoadOracle reads every participant's history from PostgreSQL in one consistent
// snapshot, as the loader would at the moment asOf: AsOf is its month, Today its date.
// pg must see every organisation (a system pool, db.Connect).
func LoadOracle(ctx context.Context, pg *pgxpool.Pool, asOf time.Time) (*Oracle, error) {
	o := &Oracle{AsOf: outcomes.MonthOf(asOf), Today: calendarDay(asOf)}
	tx, err := pg.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("oracle: begin: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // read only
	byID := map[string]*oraclePerson{}
	err = each(ctx, tx, `SELECT p.id::text, p.organisation_id::text, o.code, p.gender, p.birth_date
		FROM participant p JOIN organisation o ON o.id = p.organisation_id ORDER BY p.id`,
		func(r pgx.Rows) error {
			op := &oraclePerson{enrolments: map[string]*oracleEnrolment{}}
			if err := r.Scan(&op.p.ID, &op.orgID, &op.orgCode, &op.p.Gender, &op.p.BirthDate); err != nil {
				return err
			}
			byID[op.p.ID] = op
			o.people = append(o.people, op)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("oracle: participants: %w", err)
	}
	err = each(ctx, tx, `SELECT e.participant_id::text, e.id::text, m.code, m.municipal_employment,
			coalesce(e.subsidised, m.subsidised), e.start_date, e.end_date, e.exit_reason, pr.name, u.name
		FROM enrolment e JOIN measure_type m ON m.id = e.measure_type_id
		LEFT JOIN project pr ON pr.id = e.project_id LEFT JOIN unit u ON u.id = e.unit_id
		ORDER BY e.participant_id, e.id`,
		func(r pgx.Rows) error {
			var pid string
			var exitReason, project, unit *string
			var oe oracleEnrolment
			e := &oe.e
			if err := r.Scan(&pid, &e.ID, &e.MeasureCode, &e.MunicipalEmployment, &e.Subsidised, &e.Start, &e.End,
				&exitReason, &project, &unit); err != nil {
				return err
			}
			e.ExitReason, oe.project, oe.unit = deref(exitReason), deref(project), deref(unit)
			if op := byID[pid]; op != nil {
				op.p.Enrolments = append(op.p.Enrolments, *e)
				op.enrolments[e.ID] = &oe
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("oracle: enrolments: %w", err)
	}
	err = each(ctx, tx, `SELECT participant_id::text, month, status, social_assistance, source
		FROM outcome_observation ORDER BY participant_id, month, source`,
		func(r pgx.Rows) error {
			var pid string
			var ob outcomes.Observation
			if err := r.Scan(&pid, &ob.Month, &ob.Status, &ob.SocialAssistance, &ob.Source); err != nil {
				return err
			}
			// What was known as of the month: later months are not yet observed.
			if op := byID[pid]; op != nil && !outcomes.MonthOf(ob.Month).After(o.AsOf) {
				op.p.Observations = append(op.p.Observations, ob)
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("oracle: observations: %w", err)
	}
	err = each(ctx, tx, `SELECT participant_id::text, valid_from, newly_arrived, birth_region, education_level,
			distance_category, registered_at_af, guarantee_days, disability, labour_market_status
		FROM participant_attributes ORDER BY participant_id, valid_from`,
		func(r pgx.Rows) error {
			var pid string
			var a oracleAttributes
			if err := r.Scan(&pid, &a.validFrom, &a.newlyArrived, &a.birthRegion, &a.educationLevel,
				&a.distanceCategory, &a.registeredAtAf, &a.guaranteeDays, &a.disability, &a.entryStatus); err != nil {
				return err
			}
			if op := byID[pid]; op != nil {
				op.attrs = append(op.attrs, a)
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("oracle: attributes: %w", err)
	}
	err = each(ctx, tx, `SELECT participant_id::text, id::text, referral_date, source FROM referral ORDER BY participant_id, id`,
		func(r pgx.Rows) error {
			var pid string
			var ref oracleReferral
			if err := r.Scan(&pid, &ref.id, &ref.date, &ref.source); err != nil {
				return err
			}
			if op := byID[pid]; op != nil {
				op.referrals = append(op.referrals, ref)
				op.p.Referrals = append(op.p.Referrals, outcomes.Referral{Date: ref.date, Source: ref.source})
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("oracle: referrals: %w", err)
	}
	return o, tx.Commit(ctx)
}

func each(ctx context.Context, tx pgx.Tx, query string, scan func(pgx.Rows) error) error {
	rows, err := tx.Query(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// AgeBandOf is the age band at the start of a measure used in breakdowns.
func AgeBandOf(age int) string {
	for _, b := range []struct {
		below int
		band  string
	}{{18, "under_18"}, {25, "18_24"}, {30, "25_29"}, {40, "30_39"}, {50, "40_49"}, {55, "50_54"}, {65, "55_64"}} {
		if age < b.below {
			return b.band
		}
	}
	return "65_plus"
}

// fullYears is the age in full years on date at; a birthday is reached on the date
// AddDate gives (29 February: 1 March in other years), as in outcomes.
func fullYears(birth, at time.Time) int {
	b, a := calendarDay(birth), calendarDay(at)
	age := a.Year() - b.Year()
	if a.Before(b.AddDate(age, 0, 0)) {
		age--
	}
	return max(age, 0)
}

// attrsOn is the attribute set in force on day, or nil.
func (op *oraclePerson) attrsOn(day time.Time) *oracleAttributes {
	var cur *oracleAttributes
	for i := range op.attrs {
		if !calendarDay(op.attrs[i].validFrom).After(calendarDay(day)) &&
			(cur == nil || op.attrs[i].validFrom.After(cur.validFrom)) {
			cur = &op.attrs[i]
		}
	}
	return cur
}

// referralSourceOn is the source of the latest referral on or before day.
func (op *oraclePerson) referralSourceOn(day time.Time) string {
	var best *oracleReferral
	for i := range op.referrals {
		r := &op.referrals[i]
		if calendarDay(r.date).After(calendarDay(day)) {
			continue
		}
		if best == nil || r.date.After(best.date) || (r.date.Equal(best.date) && r.id > best.id) {
			best = r
		}
	}
	if best == nil {
		return ""
	}
	return best.source
}

// esfEntry is ESF's entry data from the attributes in force at the start: registered at
// AF is unemployed (long-term with 450 or more days in the job and development
// guarantee), not registered is inactive; education levels by ISCED band.
func (op *oraclePerson) esfEntry(e outcomes.Enrolment) outcomes.EntryAttributes {
	var out outcomes.EntryAttributes
	a := op.attrsOn(e.Start)
	if a == nil {
		return out
	}
	if a.registeredAtAf != nil {
		switch {
		case !*a.registeredAtAf:
			out.LabourMarketStatus = outcomes.ESFInactive
		case a.guaranteeDays != nil && *a.guaranteeDays >= 450:
			out.LabourMarketStatus = outcomes.ESFLongTermUnemployed
		default:
			out.LabourMarketStatus = outcomes.ESFUnemployed
		}
	}
	if a.educationLevel != nil {
		out.EducationLevel = map[string]string{
			"pre_upper_secondary_short": outcomes.ISCED0to2, "pre_upper_secondary": outcomes.ISCED0to2,
			"upper_secondary":      outcomes.ISCED3to4,
			"post_secondary_short": outcomes.ISCED5to8, "post_secondary_long": outcomes.ISCED5to8,
		}[*a.educationLevel]
	}
	out.Disability = a.disability
	return out
}

// oracleRow is one counted row: an enrolment, a WIOA exit or an ESF record, with the
// enrolment whose characteristics it is broken down by.
type oracleRow struct {
	person   *oraclePerson
	enrol    *oracleEnrolment
	date     time.Time // the date the cohort is on
	ageBand  string
	inGroups bool
	fact     outcomes.Fact
}

func (o *Oracle) value(d Dimension, r oracleRow) string {
	start := r.enrol.e.Start
	a := r.person.attrsOn(start)
	switch d {
	case DimGender:
		return r.person.p.Gender
	case DimAgeBand:
		return r.ageBand
	case DimMeasure:
		return r.enrol.e.MeasureCode
	case DimProject:
		return orgAndName(r.person.orgCode, r.enrol.project)
	case DimUnit:
		return orgAndName(r.person.orgCode, r.enrol.unit)
	case DimMunicipality:
		return r.person.orgCode
	case DimNewlyArrived:
		switch {
		case a == nil || a.newlyArrived == nil:
			return NewlyArrivedUnknown
		case *a.newlyArrived:
			return NewlyArrivedYes
		}
		return NewlyArrivedNo
	case DimBirthRegion:
		if a == nil {
			return ""
		}
		return deref(a.birthRegion)
	case DimEducationLevel:
		if a == nil {
			return ""
		}
		return deref(a.educationLevel)
	case DimDistanceCategory:
		if a == nil {
			return ""
		}
		return deref(a.distanceCategory)
	case DimReferralSource:
		return r.person.referralSourceOn(start)
	case DimExitYear:
		return strconv.Itoa(r.date.Year())
	case DimExitQuarter:
		return fmt.Sprintf("%d-Q%d", r.date.Year(), (int(r.date.Month())-1)/3+1)
	case DimExitMonth:
		return r.date.Format("2006-01")
	}
	panic("oracle: dimension " + string(d))
}

// orgAndName is a project's or unit's breakdown value: "code/name", or empty when none.
func orgAndName(orgCode, name string) string {
	if name == "" {
		return ""
	}
	return orgCode + "/" + name
}

func (o *Oracle) inCohort(c Cohort, r oracleRow) bool {
	d := calendarDay(r.date)
	return slices.Contains(c.OrgIDs, r.person.orgID) &&
		!d.Before(calendarDay(c.ExitFrom)) && d.Before(calendarDay(c.ExitTo)) &&
		(len(c.MeasureCodes) == 0 || slices.Contains(c.MeasureCodes, r.enrol.e.MeasureCode))
}

// rows returns the rows a definition counts on the day today, over every organisation.
func (o *Oracle) rows(c compiled, today time.Time) []oracleRow {
	var out []oracleRow
	for _, op := range o.people {
		p := op.p
		ageBand := func(e outcomes.Enrolment) string { return AgeBandOf(fullYears(p.BirthDate, e.Start)) }
		switch c.source {
		case sourceWIOA:
			// Exits established by today: 90 days without service have passed.
			for _, x := range outcomes.WIOAExits(p, today) {
				oe := op.enrolments[x.EnrolmentIDs[len(x.EnrolmentIDs)-1]]
				f := x.EmployedQ2
				if c.def.Kind == KindWIOAQ4 || c.def.Kind == KindWIOAQ4PerPerson {
					f = x.EmployedQ4
				}
				out = append(out, oracleRow{person: op, enrol: oe, date: x.ExitDate, ageBand: ageBand(oe.e), inGroups: true, fact: f})
			}
		case sourceESF:
			for _, rec := range outcomes.ESFParticipants(p, op.esfEntry) {
				if !rec.Left {
					continue
				}
				oe := op.enrolments[rec.EnrolmentIDs[len(rec.EnrolmentIDs)-1]]
				result := rec.Immediate
				if c.def.Kind == KindESFSixMonth {
					result = rec.SixMonth
				}
				f := outcomes.Fact{Known: result != outcomes.ESFNotLeft && result != outcomes.ESFUnknown}
				f.Value = f.Known && slices.Contains(c.results, result)
				out = append(out, oracleRow{person: op, enrol: oe, date: rec.ExitDate, ageBand: rec.AgeBand, inGroups: rec.Complete, fact: f})
			}
		default:
			for _, e := range p.Enrolments {
				if e.End == nil || !o.counted(c, p, e, today) {
					continue
				}
				out = append(out, oracleRow{person: op, enrol: op.enrolments[e.ID], date: *e.End, ageBand: ageBand(e),
					inGroups: true, fact: o.enrolmentFact(c, p, e)})
			}
		}
	}
	return out
}

// counted says whether an exited enrolment is in the definition's n on the day today:
// figures at +k only once the calendar month exit + k has begun (lasting attachment at
// its largest horizon); Kolada only when the exit is a leaving.
func (o *Oracle) counted(c compiled, p outcomes.Person, e outcomes.Enrolment, today time.Time) bool {
	switch c.def.Kind {
	case KindStatusAt, KindInWorkOrStudies, KindSelfSufficient:
		return outcomes.Due(e, c.def.K, today)
	case KindLasting:
		hs := c.lasting.Params().Horizons
		return outcomes.Due(e, hs[len(hs)-1], today) // sorted ascending
	case KindKoladaResultAtExit:
		_, left := outcomes.KoladaResultAtExit(p, e)
		return left
	}
	return true
}

func (o *Oracle) enrolmentFact(c compiled, p outcomes.Person, e outcomes.Enrolment) outcomes.Fact {
	switch c.def.Kind {
	case KindStatusAt:
		st, _, _ := outcomes.StatusAfterExit(p, e, c.def.K)
		known := st != outcomes.StatusUnknown
		return outcomes.Fact{Known: known, Value: known && slices.Contains(c.statuses, st)}
	case KindInWorkOrStudies:
		return outcomes.InWorkOrStudies(p, e, c.def.K)
	case KindSelfSufficient:
		return outcomes.SelfSufficient(p, e, c.def.K)
	case KindLasting:
		return c.lasting.Eval(p, e)
	case KindReturnedToSA12:
		return outcomes.ReturnedToSocialAssistance(p, e)
	case KindReentry12:
		return outcomes.ReEntryAsOf(p, e, o.AsOf)
	case KindRepeatedEntry:
		return outcomes.Fact{Known: true, Value: outcomes.EntryNumber(p, e) >= outcomes.RepeatedEntryWarning}
	case KindKoladaResultAtExit:
		f, _ := outcomes.KoladaResultAtExit(p, e)
		return f
	}
	panic("oracle: definition " + string(c.def.Kind))
}

func (o *Oracle) groupValues(by []Dimension, r oracleRow) []string {
	values := make([]string, len(by))
	for i, d := range by {
		values[i] = o.value(d, r)
	}
	return values
}

// Figures is Figures computed from PostgreSQL, on the day o.Today unless opts say
// otherwise. The uncertainty of each figure is computed from its counts by the same Go
// as Figures' (assemble), so the two agree exactly when the counts do.
func (o *Oracle) Figures(cohorts []Cohort, def Definition, by []Dimension, opts ...Option) ([]Figure, error) {
	s := settingsOf(opts, o.Today)
	c, err := prepareFigures(cohorts, def, by, s)
	if err != nil {
		return nil, err
	}
	rows := o.rows(c, s.today)
	var strata *tally
	if len(s.strata) > 0 {
		strata = o.tally(cohorts, c, s.strata, rows)
	}
	return assemble(cohorts, c, by, o.tally(cohorts, c, by, rows), s.strata, strata), nil
}

// tally counts the rows per cohort and group; per person (c.perPerson), only each
// person's latest row in the cohort (by the cohort's date).
func (o *Oracle) tally(cohorts []Cohort, c compiled, by []Dimension, rows []oracleRow) *tally {
	t := newTally(len(cohorts))
	for ci, co := range cohorts {
		var in []oracleRow
		latest := map[*oraclePerson]int{} // person -> index in in
		for _, r := range rows {
			if !o.inCohort(co, r) {
				continue
			}
			if c.perPerson {
				if i, ok := latest[r.person]; ok {
					if r.date.After(in[i].date) {
						in[i] = r
					}
					continue
				}
				latest[r.person] = len(in)
			}
			in = append(in, r)
		}
		for _, r := range in {
			one := counts{n: 1}
			if r.fact.Known {
				one.known = 1
				if r.fact.Value {
					one.count = 1
				}
			}
			t.add(ci, o.groupValues(by, r), r.inGroups, one)
		}
	}
	return t
}

// exitedInCohort returns the cohort's exited enrolments as rows without a fact.
func (o *Oracle) exitedInCohort(co Cohort) []oracleRow {
	var out []oracleRow
	for _, op := range o.people {
		for _, e := range op.p.Enrolments {
			if e.End == nil {
				continue
			}
			r := oracleRow{person: op, enrol: op.enrolments[e.ID], date: *e.End,
				ageBand: AgeBandOf(fullYears(op.p.BirthDate, e.Start)), inGroups: true}
			if o.inCohort(co, r) {
				out = append(out, r)
			}
		}
	}
	return out
}

// Survival is Survival computed from PostgreSQL.
func (o *Oracle) Survival(cohort Cohort, from outcomes.Origin, by []Dimension) ([]Curve, error) {
	if err := prepareSurvival(cohort, from, by); err != nil {
		return nil, err
	}
	d := &durations{groups: map[string][]outcomes.Duration{}}
	for _, r := range o.exitedInCohort(cohort) {
		months, event, ok := outcomes.TimeToFirstJob(r.person.p, r.enrol.e, from)
		if ok {
			d.add(o.groupValues(by, r), months, event, 1)
		}
	}
	return d.curves(cohort, from, by), nil
}

// Transitions is Transitions computed from PostgreSQL.
func (o *Oracle) Transitions(cohort Cohort) ([5][5]int, error) {
	var records []outcomes.SUSTransition
	if err := cohort.validate("cohort"); err != nil {
		return [5][5]int{}, err
	}
	for _, r := range o.exitedInCohort(cohort) {
		entry := ""
		if a := r.person.attrsOn(r.enrol.e.Start); a != nil {
			entry = deref(a.entryStatus)
		}
		if t, ok := outcomes.SUSBeforeAfter(r.person.p, r.enrol.e, entry); ok {
			records = append(records, t)
		}
	}
	return outcomes.TransitionTable(records), nil
}

// Microdata is Microdata computed from PostgreSQL: the same CSV, byte for byte, with the
// keys derived by keys (the loader's pseudonymisation). Statuses come from
// outcomes.StatusAfterExit over the observations up to the as-of month, so a month not
// yet reached is unknown, as in the warehouse.
func (o *Oracle) Microdata(cohort Cohort, keys snapshot.Keys, w io.Writer) error {
	if err := cohort.validate("cohort"); err != nil {
		return err
	}
	type line struct {
		org, exit, key string
		record         []string
	}
	var lines []line
	for _, r := range o.exitedInCohort(cohort) {
		p, e := r.person.p, r.enrol.e
		a := r.person.attrsOn(e.Start)
		newly, region, education, distance := "-1", "", "", ""
		if a != nil {
			if a.newlyArrived != nil {
				newly = map[bool]string{true: "1", false: "0"}[*a.newlyArrived]
			}
			region, education, distance = deref(a.birthRegion), deref(a.educationLevel), deref(a.distanceCategory)
		}
		rec := []string{keys.Enrolment(e.ID), keys.Person(p.ID), r.person.orgCode, p.Gender, r.ageBand, e.MeasureCode,
			r.enrol.project, r.enrol.unit, newly, region, education, distance, r.person.referralSourceOn(e.Start),
			dateText(e.Start), dateText(*e.End), e.ExitReason}
		var sas []string
		for _, k := range microdataHorizons {
			st, sa, _ := outcomes.StatusAfterExit(p, e, k)
			rec = append(rec, st)
			sas = append(sas, strconv.Itoa(int(sa)))
		}
		rec = append(rec, sas...)
		lines = append(lines, line{org: r.person.orgCode, exit: dateText(*e.End), key: rec[0], record: rec})
	}
	slices.SortFunc(lines, func(a, b line) int {
		return cmp.Or(strings.Compare(a.org, b.org), strings.Compare(a.exit, b.exit), strings.Compare(a.key, b.key))
	})
	// The same cell rule as Microdata (internal/platform/export), so the two files compare byte for byte.
	cw := export.NewCSVWriter(w)
	if err := cw.Write(MicrodataColumns); err != nil {
		return err
	}
	for _, l := range lines {
		if err := cw.Write(l.record); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
