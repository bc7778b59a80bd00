package graph_test

import (
	"context"
	"testing"

	"github.com/arbetsmarknad/outcomes/graph/model"
	"github.com/arbetsmarknad/outcomes/internal/app/apiserver/apitest"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
)

// department inserts a municipal department with SQL, so that these tests do not
// depend on the employer API.
func (w *world) department(t *testing.T, org, name string, headcount int) string {
	t.Helper()
	var id string
	if err := w.system.QueryRow(context.Background(), `INSERT INTO employer (organisation_id, kind, name, headcount)
		VALUES ($1, 'municipal_department', $2, $3) RETURNING id`, plain(org), name, headcount).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return model.GlobalID("Employer", id) // as the API shows it
}

// TestRecruitmentFairThroughTheAPI runs a fair: places from two departments, two
// invited job seekers and one walk-in, interviews, offers and a decline, then reads the
// event back with its places, invitations, interviews and summary.
func TestRecruitmentFairThroughTheAPI(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	cw := w.as(t, auth.Caseworker) // organisation A
	care, libraries := w.department(t, w.orgA, "Elder care", 4000), w.department(t, w.orgA, "Libraries", 800)
	foreign := w.department(t, w.orgB, "B's schools", 900)
	invited2, walkIn := w.createPerson(t, w.orgA), w.createPerson(t, w.orgA)

	const create = `mutation($o: ID!, $a: ID!, $b: ID!, $k: String) { createRecruitmentEvent(input: {organisationId: $o, kind: FAIR,
		name: "Spring fair", heldOn: "2024-03-14", place: "Town hall", measureTypeCode: "extra_job",
		places: [{employerId: $a, places: 2}, {employerId: $b, places: 1}], idempotencyKey: $k}) { id kind measureType { code } } }`
	var ev struct {
		CreateRecruitmentEvent struct {
			ID          string
			Kind        string
			MeasureType struct{ Code string }
		}
	}
	vars := map[string]any{"o": w.orgA, "a": care, "b": libraries, "k": "fair-2024"}
	cw.MustData(t, create, vars, &ev)
	event := ev.CreateRecruitmentEvent
	if event.Kind != "FAIR" || event.MeasureType.Code != "extra_job" {
		t.Fatalf("created %+v", event)
	}
	var retry struct{ CreateRecruitmentEvent struct{ ID string } }
	cw.MustData(t, create, vars, &retry)
	if retry.CreateRecruitmentEvent.ID != event.ID {
		t.Fatal("a retried create made a second event")
	}

	// Another organisation's department cannot offer places; nor can a caseworker plan
	// another organisation's fair.
	errs := cw.MustFail(t, create, map[string]any{"o": w.orgA, "a": care, "b": foreign})
	if errs[0].Code() != "NOT_FOUND" || errs[0].Field() != "input.places[1].employerId" {
		t.Fatalf("foreign department: %+v", errs)
	}
	errs = cw.MustFail(t, create, map[string]any{"o": w.orgB, "a": foreign, "b": foreign})
	if errs[0].Code() != "FORBIDDEN" {
		t.Fatalf("another organisation's fair: %+v", errs)
	}

	cw.MustData(t, `mutation($e: ID!, $p: [ID!]!) { inviteToRecruitmentEvent(input: {eventId: $e, participantIds: $p}) { id } }`,
		map[string]any{"e": event.ID, "p": []string{w.personA, invited2}}, nil)
	errs = cw.MustFail(t, `mutation($e: ID!, $p: [ID!]!) { inviteToRecruitmentEvent(input: {eventId: $e, participantIds: $p}) { id } }`,
		map[string]any{"e": event.ID, "p": []string{w.personB}})
	if errs[0].Code() != "NOT_FOUND" || errs[0].Field() != "input.participantIds[0]" {
		t.Fatalf("inviting another organisation's participant: %+v", errs)
	}

	type interview struct {
		ID      string
		Version int
	}
	record := func(person, employer string) interview {
		t.Helper()
		var out struct{ RecordInterview interview }
		cw.MustData(t, `mutation($e: ID!, $p: ID!, $d: ID!) { recordInterview(input: {eventId: $e, participantId: $p, employerId: $d,
			notes: "Short interview"}) { id version } }`, map[string]any{"e": event.ID, "p": person, "d": employer}, &out)
		return out.RecordInterview
	}
	offer := func(iv interview) interview {
		t.Helper()
		var out struct{ MakeOffer interview }
		cw.MustData(t, `mutation($i: ID!, $v: Int!) { makeOffer(input: {interviewId: $i, version: $v, offerDate: "2024-03-20"}) { id version } }`,
			map[string]any{"i": iv.ID, "v": iv.Version}, &out)
		return out.MakeOffer
	}
	a := offer(record(w.personA, care))
	record(invited2, care)
	b := offer(record(walkIn, libraries)) // not invited: still interviewed
	record(w.personA, libraries)

	errs = cw.MustFail(t, `mutation($e: ID!, $p: ID!, $d: ID!) { recordInterview(input: {eventId: $e, participantId: $p, employerId: $d}) { id } }`,
		map[string]any{"e": event.ID, "p": w.personA, "d": care})
	if errs[0].Code() != "CONFLICT" {
		t.Fatalf("second interview by the same department: %+v", errs)
	}

	// An acceptance without its enrolment is refused; a decline is recorded.
	errs = cw.MustFail(t, `mutation($i: ID!, $v: Int!) { answerOffer(input: {interviewId: $i, version: $v, accepted: true}) { id } }`,
		map[string]any{"i": a.ID, "v": a.Version})
	if errs[0].Code() != "INVALID" || errs[0].Field() != "input.enrolment" {
		t.Fatalf("acceptance without an enrolment: %+v", errs)
	}
	var declined struct {
		AnswerOffer struct {
			Accepted  *bool
			Version   int
			Enrolment *struct{ ID string }
			Employer  struct{ Name string }
		}
	}
	cw.MustData(t, `mutation($i: ID!, $v: Int!) { answerOffer(input: {interviewId: $i, version: $v, accepted: false}) {
		accepted version enrolment { id } employer { name } } }`, map[string]any{"i": b.ID, "v": b.Version}, &declined)
	if d := declined.AnswerOffer; d.Accepted == nil || *d.Accepted || d.Enrolment != nil || d.Version != b.Version+1 || d.Employer.Name != "Libraries" {
		t.Fatalf("decline: %+v", d)
	}
	errs = cw.MustFail(t, `mutation($i: ID!, $v: Int!) { answerOffer(input: {interviewId: $i, version: $v, accepted: false}) { id } }`,
		map[string]any{"i": b.ID, "v": b.Version})
	if errs[0].Code() != "CONFLICT" || errs[0].Field() != "input.version" {
		t.Fatalf("a stale answer: %+v", errs)
	}

	var got struct {
		RecruitmentEvent struct {
			Name   string
			Places []struct {
				Employer                           struct{ ID string }
				Places, Interviews, Offers, Filled int
			}
			Invitations []struct {
				Participant struct{ ID string }
				Attended    *bool
			}
			Interviews []struct {
				Participant struct{ ID string }
				Event       struct{ ID string }
				Offered     bool
			}
			Summary struct {
				PlacesOffered, Invited, Interviews, Offers, Acceptances, PlacesFilled int
				InterviewsPerPlace                                                    *float64
			}
		}
	}
	cw.MustData(t, `query($e: ID!) { recruitmentEvent(id: $e) { name
		places { employer { id } places interviews offers filled }
		invitations { participant { id } attended }
		interviews { participant { id } event { id } offered }
		summary { placesOffered invited interviews offers acceptances placesFilled interviewsPerPlace } } }`,
		map[string]any{"e": event.ID}, &got)
	e := got.RecruitmentEvent
	if len(e.Places) != 2 || e.Places[0].Employer.ID != care || e.Places[0].Places != 2 || e.Places[0].Interviews != 2 ||
		e.Places[0].Offers != 1 || e.Places[1].Employer.ID != libraries || e.Places[1].Interviews != 2 || e.Places[1].Offers != 1 ||
		e.Places[0].Filled+e.Places[1].Filled != 0 {
		t.Fatalf("places %+v", e.Places)
	}
	if len(e.Invitations) != 2 || len(e.Interviews) != 4 || e.Interviews[0].Event.ID != event.ID || e.Interviews[0].Participant.ID != w.personA {
		t.Fatalf("invitations %+v, interviews %+v", e.Invitations, e.Interviews)
	}
	s := e.Summary
	if s.PlacesOffered != 3 || s.Invited != 2 || s.Interviews != 4 || s.Offers != 2 || s.Acceptances != 0 || s.PlacesFilled != 0 ||
		s.InterviewsPerPlace == nil || *s.InterviewsPerPlace < 1.33 || *s.InterviewsPerPlace > 1.34 {
		t.Fatalf("summary %+v", s)
	}

	var list struct {
		RecruitmentEvents struct {
			TotalCount int
			Edges      []struct{ Node struct{ ID string } }
		}
	}
	cw.MustData(t, `query($o: ID!) { recruitmentEvents(organisationId: $o, kind: FAIR) { totalCount edges { node { id } } } }`,
		map[string]any{"o": w.orgA}, &list)
	if list.RecruitmentEvents.TotalCount != 1 || list.RecruitmentEvents.Edges[0].Node.ID != event.ID {
		t.Fatalf("list %+v", list)
	}
	cw.MustData(t, `query($o: ID!) { recruitmentEvents(organisationId: $o, kind: MEETING) { totalCount } }`, map[string]any{"o": w.orgA}, &list)
	if list.RecruitmentEvents.TotalCount != 0 {
		t.Fatalf("meetings %+v", list)
	}
	// Organisation B's caseworker sees nothing of A's fair.
	other := apitest.Client(t, w.base, auth.Principal{Subject: "cw-b", Role: auth.Caseworker, OrgID: w.orgB})
	var none struct{ RecruitmentEvent *struct{ ID string } }
	other.MustData(t, `query($e: ID!) { recruitmentEvent(id: $e) { id } }`, map[string]any{"e": event.ID}, &none)
	if none.RecruitmentEvent != nil {
		t.Fatal("organisation B read A's event")
	}
}

// TestProjectsTargetsAndQuotasThroughTheAPI creates a project with a target and a quota
// and reads progress and allocations back.
func TestProjectsTargetsAndQuotasThroughTheAPI(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	cw := w.as(t, auth.Caseworker)
	care, libraries := w.department(t, w.orgA, "Elder care", 600), w.department(t, w.orgA, "Libraries", 100)

	var p struct {
		CreateProject struct {
			ID, Funder         string
			Version            int
			TargetGroupVersion int
		}
	}
	cw.MustData(t, `mutation($o: ID!) { createProject(input: {organisationId: $o, name: "Extra jobs", funder: MUNICIPALITY,
		startDate: "2019-01-01", targetGroup: "Long-term unemployed"}) { id funder version targetGroupVersion } }`,
		map[string]any{"o": w.orgA}, &p)
	if p.CreateProject.Funder != "MUNICIPALITY" || p.CreateProject.TargetGroupVersion != 1 {
		t.Fatalf("project %+v", p)
	}
	var u struct {
		UpdateProject struct{ Version, TargetGroupVersion int }
	}
	cw.MustData(t, `mutation($id: ID!) { updateProject(input: {id: $id, version: 1, targetGroup: "Unemployed 18-64"}) {
		version targetGroupVersion } }`, map[string]any{"id": p.CreateProject.ID}, &u)
	if u.UpdateProject.Version != 2 || u.UpdateProject.TargetGroupVersion != 2 {
		t.Fatalf("update %+v", u)
	}

	// Host two enrolments at the care department (one in the project) in 2019.
	cw.MustData(t, `mutation($p: ID!, $d: ID!, $j: ID!) { createEnrolment(input: {participantId: $p, measureTypeCode: "work_practice",
		decisionDate: "2019-02-01", startDate: "2019-02-15", hostEmployerId: $d, projectId: $j}) { id } }`,
		map[string]any{"p": w.personA, "d": care, "j": p.CreateProject.ID}, nil)
	cw.MustData(t, `mutation($p: ID!, $d: ID!) { createEnrolment(input: {participantId: $p, measureTypeCode: "work_practice",
		startDate: "2019-03-01", hostEmployerId: $d}) { id } }`, map[string]any{"p": w.createPerson(t, w.orgA), "d": care}, nil)

	var tg struct{ CreateTarget struct{ ID, Metric string } }
	cw.MustData(t, `mutation($o: ID!, $j: ID!) { createTarget(input: {organisationId: $o, name: "Starts 2019", metric: STARTS,
		periodStart: "2019-01-01", periodEnd: "2019-12-31", projectId: $j, total: 4, women: 2, men: 2}) { id metric } }`,
		map[string]any{"o": w.orgA, "j": p.CreateProject.ID}, &tg)
	if tg.CreateTarget.Metric != "STARTS" {
		t.Fatalf("target %+v", tg)
	}
	errs := cw.MustFail(t, `mutation($o: ID!) { createTarget(input: {organisationId: $o, name: "X", metric: STARTS,
		periodStart: "2019-01-01", periodEnd: "2019-12-31", measureTypeCode: "no_such", total: 1}) { id } }`, map[string]any{"o": w.orgA})
	if errs[0].Code() != "NOT_FOUND" || errs[0].Field() != "input.measureTypeCode" {
		t.Fatalf("unknown measure: %+v", errs)
	}

	var projects struct {
		Projects struct {
			Edges []struct {
				Node struct {
					Name    string
					Targets []struct {
						Project  struct{ ID string }
						Progress struct {
							AsOf              string
							Total, Women, Men int
							Share             float64
						}
					}
				}
			}
		}
	}
	cw.MustData(t, `query($o: ID!) { projects(organisationId: $o) { edges { node { name
		targets { project { id } progress { asOf total women men share } } } } } }`, map[string]any{"o": w.orgA}, &projects)
	if len(projects.Projects.Edges) != 1 || len(projects.Projects.Edges[0].Node.Targets) != 1 {
		t.Fatalf("projects %+v", projects)
	}
	// Only the project's enrolment counts; the period is over, so progress stops at its end.
	prog := projects.Projects.Edges[0].Node.Targets[0].Progress
	if prog.AsOf != "2019-12-31" || prog.Total != 1 || prog.Women != 1 || prog.Men != 0 || prog.Share != 0.25 {
		t.Fatalf("progress %+v", prog)
	}

	var q struct{ CreateQuota struct{ ID string } }
	cw.MustData(t, `mutation($o: ID!) { createQuota(input: {organisationId: $o, name: "Placements 2019", total: 70,
		periodStart: "2019-01-01", periodEnd: "2019-12-31", measureTypeCode: "work_practice"}) { id } }`, map[string]any{"o": w.orgA}, &q)
	var alloc struct {
		Quota struct {
			MeasureType struct{ Code string }
			Allocations []struct {
				Employer                    struct{ ID string }
				Headcount, Quota, Delivered int
			}
		}
	}
	cw.MustData(t, `query($q: ID!) { quota(id: $q) { measureType { code }
		allocations(asOf: "2019-02-20") { employer { id } headcount quota delivered } } }`, map[string]any{"q": q.CreateQuota.ID}, &alloc)
	al := alloc.Quota.Allocations
	if alloc.Quota.MeasureType.Code != "work_practice" || len(al) != 2 ||
		al[0].Employer.ID != care || al[0].Quota != 60 || al[0].Delivered != 1 ||
		al[1].Employer.ID != libraries || al[1].Quota != 10 || al[1].Delivered != 0 {
		t.Fatalf("allocations %+v", al)
	}
	var quotas struct{ Quotas struct{ TotalCount int } }
	cw.MustData(t, `query($o: ID!) { quotas(organisationId: $o) { totalCount } }`, map[string]any{"o": w.orgA}, &quotas)
	if quotas.Quotas.TotalCount != 1 {
		t.Fatalf("quotas %+v", quotas)
	}
	errs = cw.MustFail(t, `query($o: ID!) { quotas(organisationId: $o) { totalCount } }`, map[string]any{"o": w.orgB})
	if errs[0].Code() != "FORBIDDEN" {
		t.Fatalf("another organisation's quotas: %+v", errs)
	}
}
