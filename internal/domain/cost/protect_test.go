package cost

import (
	"math/rand/v2"
	"testing"
)

// TestLastingDueIsTheExitsOnceEveryExitIsDue: once every exit of the cost period is due
// at +12, a row's exits whose +12 has begun are its exits, and a reader who knows the
// calendar knows it; so a row whose exits are hidden is counted wherever its lasting
// due is shown, and the small group must still not be the total less the others. Tried
// on random tables of two to four groups (fixed seed), every exit due.
func TestLastingDueIsTheExitsOnceEveryExitIsDue(t *testing.T) {
	t.Parallel()
	rnd := rand.New(rand.NewPCG(7, 11))
	for trial := 0; trial < 2000; trial++ {
		groups := 2 + rnd.IntN(3)
		figs := []Figure{{Total: true, LastingAllDue: true}}
		for g := 0; g < groups; g++ {
			exits := 1 + rnd.IntN(12)
			f := Figure{Group: string(rune('A' + g)), Exits: exits, LastingDue: exits, LastingAllDue: true,
				Participants: max(1, exits-rnd.IntN(2)), Completed: rnd.IntN(exits + 1)}
			f.Lasting = rnd.IntN(f.LastingDue + 1)
			figs[0].Exits, figs[0].LastingDue, figs[0].Participants = figs[0].Exits+f.Exits, figs[0].LastingDue+f.LastingDue, figs[0].Participants+f.Participants
			figs[0].Completed, figs[0].Lasting = figs[0].Completed+f.Completed, figs[0].Lasting+f.Lasting
			figs = append(figs, f)
		}
		protect(figs)
		// What the reader counts of each row's exits: shown, or its lasting due shown.
		exitsOf := func(f Figure) (int, bool) {
			switch {
			case !f.Withheld.Exits:
				return f.Exits, true
			case !f.Withheld.LastingDue:
				return f.LastingDue, true
			}
			return 0, false
		}
		total, ok := exitsOf(figs[0])
		if !ok {
			continue
		}
		var hidden []Figure
		for _, f := range figs[1:] {
			if v, ok := exitsOf(f); ok {
				total -= v
			} else {
				hidden = append(hidden, f)
			}
		}
		if len(hidden) == 1 && hidden[0].Exits < 5 {
			t.Fatalf("trial %d: group %s's %d exits are the total less the others' shown exits or lasting due: %+v",
				trial, hidden[0].Group, total, figs)
		}
	}
}
