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

// Hidden says which counts of a figure a reader may not see (Known hides the unknown
// with it).
type Hidden struct{ N, Known, InWorkOrStudies bool }

// SmallCounts is the rule for one figure on its own, for aggregate-only readers:
//   - a count of 1–4 is hidden and shown as "< 5";
//   - a count whose complement within its total is 1–4 is hidden too, since it would
//     give the small count away (known / unknown within n; in work or studies / not,
//     within known); everything is hidden when n itself is small.
//
// What several figures shown together give away (a group's count as the total less the
// other groups') is the caller's to add: internal/domain/disclosure, as graph does for
// the exit cohort's groups.
func SmallCounts(f Figure) Hidden {
	var h Hidden
	h.N = small(f.N)
	h.Known = h.N || small(f.Known) || small(f.Unknown)
	h.InWorkOrStudies = h.Known || small(f.InWorkOrStudies) || small(f.Known-f.InWorkOrStudies)
	return h
}

// Show applies SmallCounts when suppress is set (aggregate-only readers).
func Show(f Figure, suppress bool) Shown {
	if !suppress {
		return Mask(f, Hidden{})
	}
	return Mask(f, SmallCounts(f))
}

// Mask shows f without the counts h hides:
//   - a hidden count is nil and shown as "< 5";
//   - a share is hidden when its numerator or denominator is, and its interval with it;
//   - the missing-data bounds are hidden when any of n, known and in work or studies is,
//     as they would give those counts away.
func Mask(f Figure, h Hidden) Shown {
	s := Shown{Suppressed: h.N || h.Known || h.InWorkOrStudies}
	var text string
	s.N, text = count(f.N, h.N)
	s.Display.N = text
	s.Known, s.Display.Known = count(f.Known, h.Known)
	s.Unknown, s.Display.Unknown = count(f.Unknown, h.Known)
	s.InWorkOrStudies, s.Display.InWorkOrStudies = count(f.InWorkOrStudies, h.InWorkOrStudies)
	s.Display.Share = "–"
	if f.Share != nil && !h.Known && !h.InWorkOrStudies {
		v := *f.Share
		s.Share = &v
		s.Display.Share = fmt.Sprintf("%.1f %%", 100*v)
		s.Interval = f.Interval
	}
	if !s.Suppressed {
		s.Bounds = f.Bounds
	}
	return s
}

// MaskCount shows n, or hides it when hide is set.
func MaskCount(n int, hide bool) (*int, string) { return count(n, hide) }

func count(n int, hide bool) (*int, string) {
	if hide {
		return nil, SmallCountText
	}
	v := n
	return &v, strconv.Itoa(n)
}
