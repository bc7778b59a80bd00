// Package demo seeds deterministic demo data: one municipality, its units, the measure
// catalogue, and about 200 participants over 2017–2020 with enrolments, exits and
// follow-up observations. It writes through the domain stores, so every rule is checked
// and every change reaches the warehouse through the loader like any other write.
package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arbetsmarknad/outcomes/internal/domain/enrolment"
	"github.com/arbetsmarknad/outcomes/internal/domain/organisation"
	"github.com/arbetsmarknad/outcomes/internal/domain/outcome"
	"github.com/arbetsmarknad/outcomes/internal/domain/participant"
	"github.com/arbetsmarknad/outcomes/internal/domain/personnummer"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/warehouse/outcomes"
)

// OrgCode is the demo municipality's code.
const OrgCode = "uppsala"

// Summary says what was seeded.
type Summary struct {
	OrganisationID string
	Participants   int
	Enrolments     int
	Observations   int
	Skipped        bool // the demo organisation already existed
}

var units = []string{"Stöd till arbete", "Enhet anställning", "Utbildnings- och jobbcoacher", "Ung intro"}

var givenWomen = []string{"Anna", "Fatima", "Maria", "Sara", "Amina", "Elin", "Hodan", "Leila", "Karin", "Noor"}
var givenMen = []string{"Ahmed", "Erik", "Mohammed", "Lars", "Ali", "Johan", "Yusuf", "Omar", "Per", "Daniel"}
var family = []string{"Andersson", "Hassan", "Johansson", "Ali", "Karlsson", "Mohamed", "Nilsson", "Abdi", "Eriksson", "Larsson"}

// Seed writes the demo data unless the demo organisation already exists. The same seed
// always gives the same people, dates and outcomes.
func Seed(ctx context.Context, pool *pgxpool.Pool, participants int) (Summary, error) {
	orgs := organisation.NewStore(pool)
	if o, err := orgs.ByCode(ctx, OrgCode); err == nil {
		return Summary{OrganisationID: o.ID, Skipped: true}, nil
	} else if apperr.CodeOf(err) != apperr.NotFound {
		return Summary{}, err
	}
	org, err := orgs.Create(ctx, organisation.CreateInput{Code: OrgCode, Name: "Uppsala kommun", Kind: organisation.Municipality})
	if err != nil {
		return Summary{}, err
	}
	for _, u := range units {
		if _, err := pool.Exec(ctx, `INSERT INTO unit (organisation_id, name) VALUES ($1, $2)`, org.ID, u); err != nil {
			return Summary{}, fmt.Errorf("seed unit: %w", err)
		}
	}
	s := Summary{OrganisationID: org.ID}
	where, err := seedRegister(ctx, pool, org.ID)
	if err != nil {
		return s, err
	}
	rng := rand.New(rand.NewPCG(2018, 503))
	ps, es, os := participant.NewStore(pool), enrolment.NewStore(pool), outcome.NewStore(pool)
	var people []string
	var starts []time.Time
	for i := 0; i < participants; i++ {
		in := person(rng, i)
		in.OrganisationID = org.ID
		p, err := ps.Create(ctx, in)
		if err != nil {
			return s, fmt.Errorf("seed participant %d: %w", i, err)
		}
		s.Participants++
		people = append(people, p.ID)
		ne, no, first, err := history(ctx, rng, es, os, p.ID, where, i)
		if err != nil {
			return s, fmt.Errorf("seed history %d: %w", i, err)
		}
		starts = append(starts, first)
		s.Enrolments += ne
		s.Observations += no
	}
	if err := seedCasework(ctx, pool, org.ID, where, people, starts); err != nil {
		return s, err
	}
	return s, nil
}

func person(rng *rand.Rand, i int) participant.CreateInput {
	g := participant.Man
	switch r := rng.IntN(100); {
	case r < 45:
		g = participant.Woman
	case r < 47:
		g = participant.Other
	case r < 49:
		g = participant.NotStated
	}
	birth := time.Date(1962+rng.IntN(38), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), 0, 0, 0, 0, time.UTC)
	// Serial numbers 900-999 are not handed out to real people for these birth dates
	// in the demo; the check digit is still valid.
	serial := 900 + i%100
	if (g == participant.Woman) != (serial%2 == 0) {
		serial = 900 + (serial+1-900)%100
	}
	given := givenMen[rng.IntN(len(givenMen))]
	if g == participant.Woman {
		given = givenWomen[rng.IntN(len(givenWomen))]
	}
	return participant.CreateInput{
		PersonalIdentityNumber: Personnummer(birth, serial),
		GivenName:              given,
		FamilyName:             family[rng.IntN(len(family))],
		Gender:                 g,
		Attributes:             attributes(i),
		RecordedBy:             "demo",
	}
}

var (
	districts  = []string{"Gottsunda", "Gränby", "Sävja", "Stenhagen", "Valsätra", "Centrum"}
	regions    = []string{"sweden", "europe", "outside_europe"}
	educations = []string{"pre_upper_secondary_short", "pre_upper_secondary", "upper_secondary", "post_secondary_short", "post_secondary_long"}
	distances  = []string{"green", "yellow", "red"}
)

// attributes gives the i-th demo person the facts caseworkers record at intake. They
// follow from i alone (not from the random stream), so adding them left the seeded
// people, dates and outcomes as they were. Everyone is registered at AF with enough
// guarantee days for an extra job.
func attributes(i int) *participant.AttributesInput {
	from := time.Date(2016, 6, 1, 0, 0, 0, 0, time.UTC)
	yes, days := true, 450+(i*37)%400
	newly := i%4 == 0
	sa := i%3 != 0
	region := regions[i%len(regions)]
	if newly {
		region = "outside_europe"
	}
	return &participant.AttributesInput{ValidFrom: &from, District: &districts[i%len(districts)], BirthRegion: &region,
		NewlyArrived: &newly, IntroductionPlan: &newly, RegisteredAtAf: &yes, GuaranteeDays: &days, SocialAssistance: &sa,
		EducationLevel: &educations[i%len(educations)], DistanceCategory: &distances[i%len(distances)]}
}

// demoOverride is the reason recorded when a demo decision fails its rule (e.g. the
// age rule of supported employment): in the demo such decisions are taken anyway.
const demoOverride = "Demo data: decided by the unit's management as an exception"

// Personnummer builds a valid YYYYMMDD-NNNN number for a birth date and a three-digit
// serial, with its Luhn check digit.
func Personnummer(birth time.Time, serial int) string {
	body := fmt.Sprintf("%s%03d", birth.Format("060102"), serial)
	return fmt.Sprintf("%s-%03d%d", birth.Format("20060102"), serial, personnummer.CheckDigit(body))
}

var measures = []struct {
	code   string
	weight int
}{{"extra_job", 40}, {"labour_market_employment", 15}, {"work_practice", 25}, {"supported_employment", 10}, {"work_training", 10}}

var exits = []struct {
	status outcome.Status
	weight int
}{
	{outcome.UnsubsidisedFull, 20}, {outcome.UnsubsidisedPart, 10}, {outcome.Studies, 10}, {outcome.Subsidised, 8},
	{outcome.JobSeeking, 25}, {outcome.OtherMeasure, 4}, {outcome.SickLeave, 7}, {outcome.ParentalLeave, 3},
	{outcome.MovedAway, 3}, {outcome.DroppedOut, 6}, {outcome.Unknown, 4},
}

func pick[T any](rng *rand.Rand, items []T, weight func(T) int) T {
	total := 0
	for _, it := range items {
		total += weight(it)
	}
	r := rng.IntN(total)
	for _, it := range items {
		if r -= weight(it); r < 0 {
			return it
		}
	}
	return items[len(items)-1]
}

// history records the i-th person's enrolments (host workplace and unit follow from i,
// not from the random stream) and returns the counts and the first start.
func history(ctx context.Context, rng *rand.Rand, es *enrolment.Store, os *outcome.Store, pid string, where register, i int) (int, int, time.Time, error) {
	start := time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(365*3+180))
	first := start
	n := 1
	if rng.IntN(100) < 30 {
		n = 2
	}
	enrolments, observations := 0, 0
	for k := 0; k < n; k++ {
		m := pick(rng, measures, func(m struct {
			code   string
			weight int
		}) int {
			return m.weight
		})
		end := start.AddDate(0, 3+rng.IntN(12), rng.IntN(28))
		exit := pick(rng, exits, func(e struct {
			status outcome.Status
			weight int
		}) int {
			return e.weight
		}).status
		decision := start.AddDate(0, 0, -7-rng.IntN(30))
		planned := start.AddDate(1, 0, 0)
		_, err := es.Create(ctx, enrolment.CreateInput{ParticipantID: pid, MeasureTypeCode: m.code,
			DecisionDate: &decision, StartDate: start, PlannedEndDate: &planned, EndDate: &end, ExitReason: &exit,
			HostEmployerID: &where.hosts[(i+k)%len(where.hosts)], UnitID: &where.units[i%len(where.units)],
			OverrideReason: ptr(demoOverride), OverrideBy: "demo"})
		if err != nil {
			return enrolments, observations, first, err
		}
		enrolments++
		if k == n-1 {
			no, err := followUps(ctx, rng, os, pid, end, exit)
			if err != nil {
				return enrolments, observations, first, err
			}
			observations += no
		}
		start = end.AddDate(0, 1+rng.IntN(6), 0)
	}
	return enrolments, observations, first, nil
}

// followUps records observations at +3, +6, +12 and +24 months; about one in five is
// never reached (unknown stays unknown). Work at exit tends to last; others find work
// over time.
func followUps(ctx context.Context, rng *rand.Rand, os *outcome.Store, pid string, end time.Time, exit outcome.Status) (int, error) {
	status := exit
	if status == outcome.Unknown {
		status = outcome.JobSeeking
	}
	n := 0
	for _, k := range outcomes.FollowUpHorizons {
		switch {
		case status.InWorkOrStudies():
			if rng.IntN(100) < 15 {
				status = outcome.JobSeeking
			}
		case rng.IntN(100) < 18:
			status = outcome.UnsubsidisedPart
			if rng.IntN(2) == 0 {
				status = outcome.UnsubsidisedFull
			}
		}
		if rng.IntN(100) < 20 {
			continue // not reached
		}
		sa := rng.IntN(100) < 55
		if status.InWorkOrStudies() {
			sa = rng.IntN(100) < 10
		}
		src := []outcome.Source{outcome.PhoneFollowUp, outcome.SocialAssistanceRegister, outcome.AFData}[rng.IntN(3)]
		month := outcome.MonthOf(end).AddDate(0, k, 0)
		if _, err := os.Record(ctx, outcome.RecordInput{ParticipantID: pid, Month: month, Status: status,
			SocialAssistance: &sa, Source: src}); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func ptr[T any](v T) *T { return &v }
