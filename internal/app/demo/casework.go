package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arbetsmarknad/outcomes/internal/domain/actionplan"
	"github.com/arbetsmarknad/outcomes/internal/domain/employer"
	"github.com/arbetsmarknad/outcomes/internal/domain/enrolment"
	"github.com/arbetsmarknad/outcomes/internal/domain/organisation"
	"github.com/arbetsmarknad/outcomes/internal/domain/project"
	"github.com/arbetsmarknad/outcomes/internal/domain/quota"
	"github.com/arbetsmarknad/outcomes/internal/domain/recruitment"
	"github.com/arbetsmarknad/outcomes/internal/domain/referral"
)

// departments are the demo's municipal departments with their headcount (for quotas),
// and the unit's own workshops.
var departments = []struct {
	name      string
	kind      employer.Kind
	headcount int
}{
	{"Vård- och omsorgsförvaltningen", employer.MunicipalDepartment, 5200},
	{"Utbildningsförvaltningen", employer.MunicipalDepartment, 6100},
	{"Kultur- och fritidsförvaltningen", employer.MunicipalDepartment, 900},
	{"Stadsbyggnadsförvaltningen", employer.MunicipalDepartment, 700},
	{"Uppsalahem AB", employer.MunicipalCompany, 260},
	{"Återbruket", employer.OwnWorkshop, 12},
	{"Cykelverkstaden", employer.OwnWorkshop, 6},
}

// register is where the demo's enrolments take place: host workplaces and units.
type register struct {
	hosts, units, departments []string
}

// seedRegister adds staff and the employer register before the people arrive, so their
// enrolments can name a host workplace and a unit.
func seedRegister(ctx context.Context, pool *pgxpool.Pool, orgID string) (register, error) {
	var r register
	orgs := organisation.NewStore(pool)
	units, err := orgs.Units(ctx, orgID)
	if err != nil {
		return r, err
	}
	for _, u := range units {
		r.units = append(r.units, u.ID)
	}
	for i, name := range []string{"Anna Coach", "Johan Handläggare", "Leila Arbetsmarknadssekreterare"} {
		unitID := units[i%len(units)].ID
		if _, err := orgs.CreateStaffUser(ctx, organisation.StaffInput{OrganisationID: orgID, UnitID: &unitID, Name: name,
			Title: "arbetsmarknadssekreterare"}); err != nil {
			return r, fmt.Errorf("seed staff: %w", err)
		}
	}
	employers := employer.NewStore(pool)
	for _, d := range departments {
		hc := d.headcount
		e, err := employers.Create(ctx, employer.CreateInput{OrganisationID: orgID, Kind: d.kind, Name: d.name, Headcount: &hc})
		if err != nil {
			return r, fmt.Errorf("seed employer: %w", err)
		}
		r.hosts = append(r.hosts, e.ID)
		if d.kind == employer.MunicipalDepartment {
			r.departments = append(r.departments, e.ID)
		}
	}
	return r, nil
}

// seedCasework adds what caseworkers record around the enrolments: referrals before
// the first start (some with overdue feedback), action plans, a few ongoing enrolments
// with and without follow-ups, a recruitment fair, a project with targets and a quota.
// Like the rest, it goes through the stores.
func seedCasework(ctx context.Context, pool *pgxpool.Pool, orgID string, where register, people []string, starts []time.Time) error {
	deptIDs := where.departments
	refs, plans := referral.NewStore(pool), actionplan.NewStore(pool)
	for i, pid := range people {
		if i%2 == 0 {
			day := starts[i].AddDate(0, 0, -21)
			due := day.AddDate(0, 1, 0)
			r, err := refs.Create(ctx, referral.CreateInput{ParticipantID: pid, Source: referral.SocialServices, ReferralDate: day,
				ReferringOfficer: "Socialsekreterare", Ordered: []referral.Order{referral.LabourMarketEmployment, referral.Mapping},
				FeedbackMethod: "skriftlig rapport", FeedbackDueDate: &due})
			if err != nil {
				return fmt.Errorf("seed referral: %w", err)
			}
			if i%7 != 0 { // one in seven is still waiting for feedback: the seeds' complaint
				meeting, sent := day.AddDate(0, 0, 7), due.AddDate(0, 0, -3)
				if _, err := refs.Update(ctx, referral.UpdateInput{ID: r.ID, Version: r.Version, TripartiteMeetingDate: &meeting,
					FeedbackSentDate: &sent}); err != nil {
					return fmt.Errorf("seed referral feedback: %w", err)
				}
			}
		}
		if i%3 == 0 {
			review := time.Date(2019, 1, 15, 0, 0, 0, 0, time.UTC)
			if _, err := plans.Save(ctx, actionplan.SaveInput{ParticipantID: pid, Goal: "Egen försörjning genom arbete",
				Responsible: "Anna Coach", NextReviewDate: &review,
				Steps: []actionplan.StepInput{{Description: "Kartläggning"}, {Description: "Arbetsträning"}, {Description: "Rekryteringsmässa"}}}); err != nil {
				return fmt.Errorf("seed action plan: %w", err)
			}
		}
	}
	if err := seedOngoing(ctx, pool, where, people); err != nil {
		return err
	}
	extra := "extra_job"
	places := make([]recruitment.PlaceInput, len(deptIDs))
	for i, id := range deptIDs {
		places[i] = recruitment.PlaceInput{EmployerID: id, Places: 2 + i}
	}
	ev, err := recruitment.NewStore(pool).CreateEvent(ctx, recruitment.CreateEventInput{OrganisationID: orgID, Kind: recruitment.Fair,
		Name: "Rekryteringsmässa extratjänster", HeldOn: time.Date(2018, 2, 15, 0, 0, 0, 0, time.UTC), Place: "Stadshuset",
		MeasureTypeCode: &extra, Places: places})
	if err != nil {
		return fmt.Errorf("seed recruitment fair: %w", err)
	}
	if _, err := recruitment.NewStore(pool).Invite(ctx, recruitment.InviteInput{EventID: ev.ID, ParticipantIDs: people[:min(20, len(people))]}); err != nil {
		return fmt.Errorf("seed invitations: %w", err)
	}
	projects := project.NewStore(pool)
	end := time.Date(2019, 12, 31, 0, 0, 0, 0, time.UTC)
	_, err = projects.CreateProject(ctx, project.CreateInput{OrganisationID: orgID, Name: "Extratjänster Uppsala", Funder: "municipality",
		StartDate: time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC), EndDate: &end,
		TargetGroup: "Långtidsarbetslösa och nyanlända långt från arbetsmarknaden"})
	if err != nil {
		return fmt.Errorf("seed project: %w", err)
	}
	women, men := 30, 30
	for _, t := range []project.CreateTargetInput{
		{Name: decisionsTargetName, Metric: project.Decisions, MeasureTypeCode: &extra, Total: 60, Women: &women, Men: &men,
			PeriodStart: time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC), PeriodEnd: time.Date(2018, 12, 31, 0, 0, 0, 0, time.UTC)},
		{Name: "Till arbete eller studier 2018", Metric: project.ExitsToWorkOrStudies, Total: 40,
			PeriodStart: time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC), PeriodEnd: time.Date(2018, 12, 31, 0, 0, 0, 0, time.UTC)},
	} {
		t.OrganisationID = orgID
		if _, err := projects.CreateTarget(ctx, t); err != nil {
			return fmt.Errorf("seed target: %w", err)
		}
	}
	if _, err := quota.NewStore(pool).Create(ctx, quota.CreateInput{OrganisationID: orgID, Name: "Extratjänster 2017-2018", Total: 70,
		PeriodStart: time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC), PeriodEnd: time.Date(2018, 12, 31, 0, 0, 0, 0, time.UTC),
		MeasureTypeCode: &extra}); err != nil {
		return fmt.Errorf("seed quota: %w", err)
	}
	return nil
}

// seedOngoing starts work training for every 25th person five months before today (so
// the follow-up lists have something to show whenever the demo is seeded); half of them
// had one follow-up meeting two weeks in, the rest none: all are overdue by the cadence.
func seedOngoing(ctx context.Context, pool *pgxpool.Pool, where register, people []string) error {
	y, m, d := time.Now().UTC().Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	es, plans := enrolment.NewStore(pool), actionplan.NewStore(pool)
	for i := 0; i < len(people); i += 25 {
		start := today.AddDate(0, -5, i/25)
		e, err := es.Create(ctx, enrolment.CreateInput{ParticipantID: people[i], MeasureTypeCode: "work_training", StartDate: start,
			DecisionDate: &start, HostEmployerID: &where.hosts[len(where.hosts)-2], UnitID: &where.units[0],
			Occupation: "Återbruk", OverrideReason: ptr(demoOverride), OverrideBy: "demo"})
		if err != nil {
			return fmt.Errorf("seed ongoing enrolment: %w", err)
		}
		if i%50 == 0 {
			if _, err := plans.RecordFollowUp(ctx, actionplan.FollowUpInput{ParticipantID: people[i], EnrolmentID: &e.ID,
				HeldOn: start.AddDate(0, 0, 14), Attendees: []string{"jobbcoach", "deltagare", "handledare"}}); err != nil {
				return fmt.Errorf("seed follow-up: %w", err)
			}
		}
	}
	return nil
}
