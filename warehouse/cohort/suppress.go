package cohort

import (
	"fmt"
	"strconv"

	"github.com/arbetsmarknad/outcomes/warehouse/stats"
)

// SmallCountText is how a hidden count of 1–4 is shown.
const SmallCountText = "< 5"

// Display is a figure's counts as text.
type Display struct {
	N, Known, Unknown, InWorkOrStudies, Share string
}

// Shown is a figure as one reader may see it: hidden values are nil.
type Shown struct {
	N, Known, Unknown, InWorkOrStudies *int
	Share                              *float64
	Interval                           *stats.Interval // hidden with Share
	Bounds                             *stats.Bounds   // hidden with any count it is computed from
	Suppressed                         bool
	Display                            Display
}

func small(n int) bool { return n >= 1 && n <= 4 }

// Show applies small-count suppression for aggregate-only readers (suppress true):
//   - a count of 1–4 is hidden and shown as "< 5";
//   - a count whose complement within its total is 1–4 is hidden too, since it would
//     give the small count away (known / unknown within n; in work or studies / not,
//     within known); everything is hidden when n itself is small;
//   - a share is hidden when its numerator or denominator is, and its interval with it;
//   - the missing-data bounds are hidden when any of n, known and in work or studies is,
//     as they would give those counts away.
func Show(f Figure, suppress bool) Shown {
	hideN := suppress && small(f.N)
	hideKnown := suppress && (hideN || small(f.Known) || small(f.Unknown))
	hideWS := suppress && (hideKnown || small(f.InWorkOrStudies) || small(f.Known-f.InWorkOrStudies))
	s := Shown{Suppressed: hideN || hideKnown || hideWS}
	var text string
	s.N, text = count(f.N, hideN)
	s.Display.N = text
	s.Known, s.Display.Known = count(f.Known, hideKnown)
	s.Unknown, s.Display.Unknown = count(f.Unknown, hideKnown)
	s.InWorkOrStudies, s.Display.InWorkOrStudies = count(f.InWorkOrStudies, hideWS)
	s.Display.Share = "–"
	if f.Share != nil && !hideKnown && !hideWS {
		v := *f.Share
		s.Share = &v
		s.Display.Share = fmt.Sprintf("%.1f %%", 100*v)
		s.Interval = f.Interval
	}
	if !hideN && !hideKnown && !hideWS {
		s.Bounds = f.Bounds
	}
	return s
}

// ShowCount hides a single count of 1–4 when suppress is set.
func ShowCount(n int, suppress bool) (*int, string) { return count(n, suppress && small(n)) }

func count(n int, hide bool) (*int, string) {
	if hide {
		return nil, SmallCountText
	}
	v := n
	return &v, strconv.Itoa(n)
}
