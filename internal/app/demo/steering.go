package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arbetsmarknad/outcomes/internal/domain/enrolment"
	"github.com/arbetsmarknad/outcomes/internal/domain/outcome"
	"github.com/arbetsmarknad/outcomes/internal/domain/participant"
	"github.com/arbetsmarknad/outcomes/internal/domain/quota"
)

// Steering story (issue 13): the seeds' Uppsala extra-job year. The municipality and AF
// agreed on 500 extra-job decisions in 2018 (503 were reached) and 700 over 2017–2018,
// spread over the departments by headcount (kvotering); the share of women among those
// getting an extra job rose from about 34 % at the start of 2018 to 40 % at its end,
// against a target group moving to 50/50; the jobs last about a year, so the exits come
// in 2019 and are followed up at +6 and +12 months. Reported every month to the steering
// group: the demo's report for 2018-12 is that story's last month.

// SteeringTargetName names the story's target; its presence means the story is seeded.
const SteeringTargetName = "Extratjänster 2018: 500 beslut"

// decisionsTargetName names the base demo's extra-job target, which the story takes over.
const decisionsTargetName = "Extratjänster 2018: beslut"

// SteeringMonth is the month of the story's latest report (target reached).
const SteeringMonth = "2018-12"

// SteeringDecisions is the number of extra-job decisions in 2018 the story reaches.
const SteeringDecisions = 503

// SeedSteering adds the steering story to the demo organisation unless it is there. It
// counts the extra-job decisions of 2018 the base demo already made and adds the rest,
// month by month, so that the year ends at SteeringDecisions. Returns the number of
// people added.
func SeedSteering(ctx context.Context, pool *pgxpool.Pool, orgID string) (int, error) {
	var exists bool
	if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM target WHERE organisation_id = $1 AND name = $2)`,
		orgID, SteeringTargetName).Scan(&exists); err != nil || exists {
		return 0, err
	}
	var base int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM enrolment e JOIN measure_type mt ON mt.id = e.measure_type_id
		WHERE e.organisation_id = $1 AND mt.code = 'extra_job' AND e.decision_date BETWEEN '2018-01-01' AND '2018-12-31'`,
		orgID).Scan(&base); err != nil {
		return 0, fmt.Errorf("count base decisions: %w", err)
	}
	rows, err := pool.Query(ctx, `SELECT id, headcount FROM employer WHERE organisation_id = $1
		AND kind = 'municipal_department' AND headcount > 0 ORDER BY name, id`, orgID)
	if err != nil {
		return 0, err
	}
	var depts []string
	var headcounts []int
	for rows.Next() {
		var id string
		var hc int
		if err := rows.Scan(&id, &hc); err != nil {
			return 0, err
		}
		depts, headcounts = append(depts, id), append(headcounts, hc)
	}
	if err := rows.Err(); err != nil || len(depts) == 0 {
		return 0, fmt.Errorf("steering story needs the demo departments: %v", err)
	}
	var units []string
	urows, err := pool.Query(ctx, `SELECT id FROM unit WHERE organisation_id = $1 AND name = 'Enhet anställning'`, orgID)
	if err != nil {
		return 0, err
	}
	for urows.Next() {
		var id string
		if err := urows.Scan(&id); err != nil {
			return 0, err
		}
		units = append(units, id)
	}
	if len(units) == 0 {
		return 0, fmt.Errorf("steering story needs the unit Enhet anställning")
	}
	n := SteeringDecisions - base
	// People of other or unstated gender among the base demo's decisions, by month: the
	// story tops every month that has 1-4 of them up to 5, so that the report can show
	// women and men without a small "other" count to protect (which would hide them).
	var otherByMonth [12]int
	orows, err := pool.Query(ctx, `SELECT extract(month FROM e.decision_date)::int, count(*)::int FROM enrolment e
		JOIN measure_type mt ON mt.id = e.measure_type_id JOIN participant p ON p.id = e.participant_id
		WHERE e.organisation_id = $1 AND mt.code = 'extra_job' AND e.decision_date BETWEEN '2018-01-01' AND '2018-12-31'
			AND p.gender NOT IN ('woman', 'man') GROUP BY 1`, orgID)
	if err != nil {
		return 0, err
	}
	for orows.Next() {
		var m, k int
		if err := orows.Scan(&m, &k); err != nil {
			return 0, err
		}
		otherByMonth[m-1] = k
	}
	if err := orows.Err(); err != nil {
		return 0, err
	}
	// Departments in proportion to headcount (what the quota asks), in a shuffled order.
	var hosts []string
	for i, k := range quota.Allocate(n, headcounts) {
		for j := 0; j < k; j++ {
			hosts = append(hosts, depts[i])
		}
	}
	rng := rand.New(rand.NewPCG(2018, 700))
	rng.Shuffle(len(hosts), func(i, j int) { hosts[i], hosts[j] = hosts[j], hosts[i] })
	ps, es, os := participant.NewStore(pool), enrolment.NewStore(pool), outcome.NewStore(pool)
	var monthCount, monthWomen [12]int
	for i := 0; i < n; i++ {
		// Decisions spread evenly over 2018; the month's share of women among the story's
		// decisions grows from 31 % in January to 47 % in December, so that with the base
		// demo's decisions the monthly share rises from about 34 % to over 40 % and the
		// year ends near 40 %.
		month := i * 12 / n
		womenShare := 0.31 + 0.16*float64(month)/11
		k := monthCount[month]
		woman := int(womenShare*float64(k+1)+0.5) > monthWomen[month]
		monthCount[month]++
		if woman {
			monthWomen[month]++
		}
		g := participant.Man
		if woman {
			g = participant.Woman
		} else if o := otherByMonth[month]; o > 0 && o < 5 {
			g = participant.NotStated
			otherByMonth[month]++
		}
		birth := time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 17*i+3)
		serial := 900 + (2*i)%100
		if !woman {
			serial++
		}
		given := givenMen[i%len(givenMen)]
		if woman {
			given = givenWomen[i%len(givenWomen)]
		}
		in := participant.CreateInput{OrganisationID: orgID, PersonalIdentityNumber: Personnummer(birth, serial),
			GivenName: given, FamilyName: family[(i/7)%len(family)], Gender: g, Attributes: attributes(i), RecordedBy: "demo"}
		p, err := ps.Create(ctx, in)
		if err != nil {
			return i, fmt.Errorf("steering participant %d: %w", i, err)
		}
		decision := time.Date(2018, time.Month(month+1), 1+rng.IntN(26), 0, 0, 0, 0, time.UTC)
		start := decision.AddDate(0, 0, 7+rng.IntN(21))
		end := start.AddDate(1, 0, -1)
		exit := pick(rng, exits, func(e struct {
			status outcome.Status
			weight int
		}) int {
			return e.weight
		}).status
		planned := end
		extra := "extra_job"
		_, err = es.Create(ctx, enrolment.CreateInput{ParticipantID: p.ID, MeasureTypeCode: extra, DecisionDate: &decision,
			StartDate: start, PlannedEndDate: &planned, EndDate: &end, ExitReason: &exit, HostEmployerID: &hosts[i%len(hosts)],
			UnitID: &units[0], OverrideReason: ptr(demoOverride), OverrideBy: "demo"})
		if err != nil {
			return i, fmt.Errorf("steering enrolment %d: %w", i, err)
		}
		if _, err := followUps(ctx, rng, os, p.ID, end, exit); err != nil {
			return i, fmt.Errorf("steering follow-ups %d: %w", i, err)
		}
	}
	// The base demo's small extra-job target and quota become the story's: 500 decisions
	// in 2018, women and men 250 each (the target group moving to 50/50), and the 2018
	// quota of 500 places spread over the departments.
	if _, err := pool.Exec(ctx, `UPDATE target SET name = $2, total = 500, women = 250, men = 250, version = version + 1
		WHERE organisation_id = $1 AND name = $3`, orgID, SteeringTargetName, decisionsTargetName); err != nil {
		return n, fmt.Errorf("steering target: %w", err)
	}
	if _, err := pool.Exec(ctx, `UPDATE quota SET name = 'Extratjänster 2018: kvot per förvaltning', total = 500,
		period_start = '2018-01-01', version = version + 1 WHERE organisation_id = $1 AND name = 'Extratjänster 2017-2018'`, orgID); err != nil {
		return n, fmt.Errorf("steering quota: %w", err)
	}
	return n, nil
}
