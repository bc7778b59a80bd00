package cost

import "github.com/arbetsmarknad/outcomes/internal/domain/disclosure"

// Hidden says which counts of a figure an aggregate-only reader may not see.
type Hidden struct{ Participants, Completed, Exits, Lasting, LastingDue bool }

// protect withholds from an aggregate-only reader what would show a small count, by the
// one small-count rule (internal/domain/disclosure) over every figure of the answer at
// once, as the steering report's costs section does:
//   - a group of 1–4 participants is withheld whole (amounts and counts);
//   - every other count of 1–4 (exits, completed measures, people in lasting attachment,
//     exits due), and every count that would give one away, within the group (exits less
//     completed are the dropped out; exits due less those in lasting attachment) or
//     across the groups (the total less the other groups', where the total is their sum);
//   - a cost per X when X is hidden or under 5, so that no person's cost can be read off
//     it (and X not worked out as the net cost over it).
func protect(figs []Figure) {
	var sys disclosure.System
	type cells struct{ participants, completed, exits, lasting, due, dropped, notLasting, notDue disclosure.Cell }
	cs := make([]cells, len(figs))
	for i, f := range figs {
		kind := disclosure.Count
		if f.Suppressed {
			kind = disclosure.Implicit
		}
		c := cells{participants: sys.Add(f.Participants, kind), completed: sys.Add(f.Completed, kind),
			exits: sys.Add(f.Exits, kind), lasting: sys.Add(f.Lasting, kind), due: sys.Add(f.LastingDue, kind),
			dropped: sys.Add(f.Exits-f.Completed, disclosure.Implicit), notLasting: sys.Add(f.LastingDue-f.Lasting, disclosure.Implicit),
			notDue: sys.Add(f.Exits-f.LastingDue, disclosure.Implicit)}
		sys.Sum(c.exits, c.completed, c.dropped)
		sys.Sum(c.due, c.lasting, c.notLasting)
		sys.Sum(c.exits, c.due, c.notDue)
		cs[i] = c
	}
	total := -1
	for i, f := range figs {
		if f.Total {
			total = i
		}
	}
	if total >= 0 {
		for _, of := range []func(c cells) disclosure.Cell{
			func(c cells) disclosure.Cell { return c.participants }, func(c cells) disclosure.Cell { return c.completed },
			func(c cells) disclosure.Cell { return c.exits }, func(c cells) disclosure.Cell { return c.lasting },
			func(c cells) disclosure.Cell { return c.due }, func(c cells) disclosure.Cell { return c.dropped },
			func(c cells) disclosure.Cell { return c.notLasting }, func(c cells) disclosure.Cell { return c.notDue },
		} {
			// One person may end measures of two groups, so participants need not add up:
			// a sum is a relation only where it holds (a reader can tell when it does).
			var parts []disclosure.Cell
			sum := 0
			for i := range figs {
				if i != total {
					parts, sum = append(parts, of(cs[i])), sum+sys.Value(of(cs[i]))
				}
			}
			if len(parts) > 0 && sum == sys.Value(of(cs[total])) {
				sys.Sum(of(cs[total]), parts...)
			}
		}
	}
	hidden := sys.Protect()
	for i := range figs {
		f, c := &figs[i], cs[i]
		if f.Suppressed {
			continue
		}
		f.Hidden = Hidden{Participants: hidden[c.participants], Completed: hidden[c.completed], Exits: hidden[c.exits],
			Lasting: hidden[c.lasting], LastingDue: hidden[c.due]}
		for _, p := range []struct {
			per    **float64
			n      int
			hidden bool
		}{{&f.PerParticipant, f.Participants, f.Hidden.Participants}, {&f.PerCompleted, f.Completed, f.Hidden.Completed},
			{&f.PerLasting, f.Lasting, f.Hidden.Lasting}} {
			if p.hidden || p.n < 5 {
				*p.per = nil
			}
		}
	}
}
