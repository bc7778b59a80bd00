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
// kolada-rka-result-at-exit/2, per exited enrolment:
//   - population: only exits that are a leaving. An exit is not a leaving, and the
//     enrolment is not in the indicator's population (neither in n nor in known),
//     when another enrolment of the person starts within KoladaMoveOnDays days of the
//     exit date (on the exit date itself up to exit date + 31 days), or started earlier
//     and is still running after the exit date (not ended, or ended after it): the
//     person moved on to, or stayed in, another of our measures. This includes a move
//     into the municipality's own labour-market employment (arbetsmarknadsanställning),
//     which therefore needs no rule of its own: it is simply not a leaving;
//   - counts when the exit reason is unsubsidised_employment_full/_part,
//     subsidised_employment or studies (EmploymentSet or studies); an exit reason of
//     "unknown" (or none recorded) is an unknown result, never a known "no"; every other
//     exit reason is a leaving that does not count;
//   - the unit is the exit (one enrolment's leaving), as our exits are per enrolment; the
//     publisher's share divides by everyone who left (n), so an unknown result counts
//     there as not work or studies (Official in warehouse/analytics), and the share over
//     the known is reported beside it;
//   - (b) one continuous month: for a job exit, the status (StatusIn) in the calendar
//     month after the exit month must not contradict the job: if it is known and is not
//     an employment status (subsidised or not), the exit does not count; unknown keeps
//     it, as the exit reason is itself the caseworker's record of the job;
//   - (c) student aid: we record only "studies", meaning regular studies (reguljära
//     studier), and treat them all as qualifying for student aid (CSN). This is an
//     assumption; studies without student aid are not distinguishable in our data.
//
// A participant who leaves twice in a year is counted twice, as the key figure counts
// participants who left (each leaving a participation).
//
// kolada-rka-result-at-exit/2 read an unknown exit reason as a known "no" in known.
// kolada-rka-result-at-exit/1 counted every exit, so a person moving on to another of our
// measures was a failure in the denominator; its rule (a) only kept a subsidised-job exit
// into the municipality's own labour-market employment from counting as a job.
//
// The 31 days are read from PostgreSQL as it stands: an exit less than 31 days before a
// load is a leaving until the next enrolment is recorded, and the loader recomputes the
// person's rows when it is.
const KoladaVersion = "kolada-rka-result-at-exit/3"

// KoladaMoveOnDays is how many days after the exit date another enrolment may start
// and still make the exit a move between our measures rather than a leaving.
const KoladaMoveOnDays = 31

// KoladaResultAtExit is the indicator for one enrolment (rules of KoladaVersion). left
// is false, and the enrolment outside the indicator's population, while it runs and
// when its exit is not a leaving (the person moved on to, or stayed in, another of our
// measures); then result is unknown and means nothing. When left, result is known.
// The figure for a year is Summarise over the results of the enrolments with ExitedIn
// that year and left, split by gender.
func KoladaResultAtExit(p Person, e Enrolment) (result Fact, left bool) {
	if e.End == nil || movesOn(p, e) {
		return Fact{}, false
	}
	switch {
	case e.ExitReason == StatusUnknown || e.ExitReason == "":
		return Fact{}, true
	case e.ExitReason == StatusStudies:
		return Fact{Value: true, Known: true}, true
	case IsEmployment(e.ExitReason):
		next, _ := StatusIn(p, MonthOf(*e.End).AddDate(0, 1, 0))
		return Fact{Value: next == StatusUnknown || IsEmployment(next), Known: true}, true
	}
	return Fact{Known: true}, true
}

// movesOn is the population rule: another enrolment starts on the exit date or within
// KoladaMoveOnDays days after it, or started earlier and has not ended by the exit
// date.
func movesOn(p Person, e Enrolment) bool {
	exit := day(*e.End)
	last := exit.AddDate(0, 0, KoladaMoveOnDays)
	for _, o := range p.Enrolments {
		if o.ID == e.ID {
			continue
		}
		start := day(o.Start)
		switch {
		case start.After(last):
		case !start.Before(exit): // starts in [exit, exit + 31 days]
			return true
		case o.End == nil || day(*o.End).After(exit): // runs across the exit
			return true
		}
	}
	return false
}
