package outcomes

// KoladaVersion names the rules of KoladaResultAtExit.
//
// Source (DOMAIN.md, "Official indicators"): Kolada / RKA "result at exit from the
// municipality's labour-market activity" — the share of participants who left a
// municipal labour-market measure and went on to work or studies. Work is a subsidised
// or unsubsidised job on the regular labour market lasting at least one continuous
// month; the municipality's own labour-market employments do not count; studies must
// qualify for student aid. Reported yearly (exits in the year), total / women / men.
//
// kolada-rka-result-at-exit/1, per exited enrolment:
//   - counts when the exit reason is unsubsidised_employment_full/_part,
//     subsidised_employment or studies; every other exit reason does not;
//   - (a) municipal employment: a subsidised_employment exit does not count when the
//     person has another enrolment marked MunicipalEmployment that starts within
//     KoladaMunicipalEmploymentDays days after the exit date, or started earlier and
//     is still running after it — then the "subsidised job" is the municipality's own
//     labour-market employment. (The second case covers a handover where the employment
//     began a few days before the old measure was closed.);
//   - (b) one continuous month: for a job exit, the status (StatusIn) in the calendar
//     month after the exit month must not contradict the job: if it is known and is not
//     an employment status (subsidised or not), the exit does not count; unknown keeps
//     it, as the exit reason is itself the caseworker's record of the job;
//   - (c) student aid: we record only "studies", meaning regular studies (reguljära
//     studier), and treat them all as qualifying for student aid (CSN). This is an
//     assumption; studies without student aid are not distinguishable in our data.
//
// The unit is the enrolment, as our exits are per enrolment; a participant with two
// exits in a year is counted twice.
const KoladaVersion = "kolada-rka-result-at-exit/1"

// KoladaMunicipalEmploymentDays is the window of rule (a) after the exit date.
const KoladaMunicipalEmploymentDays = 31

// KoladaResultAtExit is the indicator for one enrolment (rules of KoladaVersion). Known
// iff the enrolment has exited; the figure for a year is Summarise over the enrolments
// with ExitedIn that year, split by gender.
func KoladaResultAtExit(p Person, e Enrolment) Fact {
	if e.End == nil {
		return Fact{}
	}
	switch {
	case e.ExitReason == StatusStudies:
		return Fact{Value: true, Known: true}
	case IsEmployment(e.ExitReason):
		return Fact{Value: koladaJobCounts(p, e), Known: true}
	}
	return Fact{Known: true}
}

func koladaJobCounts(p Person, e Enrolment) bool {
	if e.ExitReason == StatusSubsidised && municipalEmploymentFollows(p, e) {
		return false
	}
	next, _ := StatusIn(p, MonthOf(*e.End).AddDate(0, 1, 0))
	return next == StatusUnknown || IsEmployment(next)
}

// municipalEmploymentFollows is rule (a): another enrolment with MunicipalEmployment that
// starts no later than the window's last day and has not ended by e's exit date.
func municipalEmploymentFollows(p Person, e Enrolment) bool {
	exit := day(*e.End)
	last := exit.AddDate(0, 0, KoladaMunicipalEmploymentDays)
	for _, o := range p.Enrolments {
		if o.ID == e.ID || !o.MunicipalEmployment {
			continue
		}
		if !day(o.Start).After(last) && (o.End == nil || day(*o.End).After(exit)) {
			return true
		}
	}
	return false
}
