// Package disclosure is the one small-count rule of every published table (the
// steering report in GraphQL, HTML, PDF and XLSX alike): primary suppression hides a
// count of 1–4 people, and secondary suppression hides further cells until no hidden
// or unpublished small count can be worked out from the shown cells by the additive
// relations a reader knows (a total is the sum of its parts, a year to date is the sum
// of its months, the same figure shown twice is equal).
//
// The system is linear: every relation is Σ coef·cell = 0. A cell the reader does not
// see (hidden, or never published such as "unknown = n − known" when only n and known
// are shown) is an unknown; it is disclosed when the relations fix its value, i.e. when
// the unit vector of that cell lies in the row space of the relations restricted to
// the unknowns. Protect checks that exactly, by Gaussian elimination per connected
// group of relations, and hides the smallest shown complementary cell of a relation
// around each disclosed small count until none is left (what statistical offices do by
// hand or with τ-ARGUS; this greedy choice may hide more than an optimiser would, never
// less). The texts of hidden cells give bounds too ("< 5" is 1–4, ".." is 0 or at least
// 5), which can pin a count the relations alone leave open; Pinned carries them through
// the relations, and Protect hides complements for those as well.
package disclosure

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Threshold is the smallest count of people a published cell shows: a count from 1 to
// Threshold−1 is small. Every check (Small) and every text that states the rule
// (SmallText, HiddenRule) is made from it.
const Threshold = 5

// SmallText is how a hidden small count (1–4) is shown: "< 5", as DOMAIN.md and the
// steering groups' own reports write it. It is true of the cell, and the bounds it gives
// the reader (1–4) are bounds Protect reasons with.
var SmallText = "< " + strconv.Itoa(Threshold)

// HiddenText is how every other hidden cell is shown: a count hidden to protect a small
// one, a withheld amount, a share of a hidden count. ".." is what official statistics
// write for a value that is not published; it says nothing of the value, where "< 5"
// would be false of a complement that is often large (a row's 207 women hidden beside
// its 3 others).
const HiddenText = ".."

// HiddenAs is the text of a hidden count of value v: SmallText if it is small, else
// HiddenText. A reader therefore knows a hidden count shown as ".." is 0 or at least
// Threshold; Protect reasons with that too (readerBounds).
func HiddenAs(v int) string {
	if Small(v) {
		return SmallText
	}
	return HiddenText
}

// HiddenRule states the rule in Swedish, as every rendering of the steering report
// (HTML, XLSX, the definitions' text) prints it.
var HiddenRule = fmt.Sprintf("Antal 1–%d visas som \"%s\", och andra celler som skulle röja dem som \"%s\"",
	Threshold-1, SmallText, HiddenText)

// FormatCount writes a shown count the Swedish way, with a space between thousands
// ("1 234"): as every published table and figure shows one.
func FormatCount(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ' ')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

// FormatShare writes a shown share as a Swedish percentage with one decimal ("34,0 %").
func FormatShare(v float64) string {
	return strings.Replace(strconv.FormatFloat(100*v, 'f', 1, 64), ".", ",", 1) + " %"
}

// Small reports whether n is a small count (1–4 people): the primary suppression rule.
func Small(n int) bool { return n >= 1 && n < Threshold }

// Kind says what a cell is.
type Kind int

const (
	// Count is a number of people or events; it is protected.
	Count Kind = iota
	// Fixed is a number that is not about people (a target, a quota): always shown,
	// never hidden, but it takes part in relations.
	Fixed
	// Implicit is a count the table does not print but a reader could compute (such as
	// the unknown = n − known); it is never shown, and when small it must not be
	// derivable.
	Implicit
	// Withheld is a count hidden whatever its value, because its group is withheld for
	// another reason (the costs of a group of 1–4 people, which would be their wages);
	// like a small count, it must not be derivable, so the relations it is in hide a
	// complement too, and whatever else the group shows can be withheld with it.
	Withheld
)

// Cell is an index into a System.
type Cell int

// System is a set of cells and the additive relations between them.
type System struct {
	values    []int
	kinds     []Kind
	relations [][]term
}

type term struct {
	cell Cell
	coef float64
}

// Add adds a cell with its true value and returns it.
func (s *System) Add(value int, kind Kind) Cell {
	s.values = append(s.values, value)
	s.kinds = append(s.kinds, kind)
	return Cell(len(s.values) - 1)
}

// Sum records total = Σ parts.
func (s *System) Sum(total Cell, parts ...Cell) {
	if len(parts) == 0 {
		return
	}
	r := []term{{total, 1}}
	for _, p := range parts {
		r = append(r, term{p, -1})
	}
	s.relations = append(s.relations, r)
}

// Equal records a = b (the same figure shown in two places).
func (s *System) Equal(a, b Cell) {
	if a != b {
		s.relations = append(s.relations, []term{{a, 1}, {b, -1}})
	}
}

// Len is the number of cells.
func (s *System) Len() int { return len(s.values) }

// Value is the true value of c (for the tests and for cells that are shown).
func (s *System) Value(c Cell) int { return s.values[c] }

// Relations returns every relation as its cells and coefficients (for audits).
func (s *System) Relations() [][]Term {
	out := make([][]Term, len(s.relations))
	for i, r := range s.relations {
		for _, t := range r {
			out[i] = append(out[i], Term{Cell: t.cell, Coef: int(t.coef)})
		}
	}
	return out
}

// Term is one cell of a relation with its coefficient.
type Term struct {
	Cell Cell
	Coef int
}

// Protect returns, per cell, whether it is hidden from the reader: implicit cells
// always; counts of 1–4 always (primary); and complementary cells chosen so that no
// small count, shown or implicit, is determined by the shown cells (secondary).
func (s *System) Protect() []bool {
	hidden := make([]bool, len(s.values))
	for i, k := range s.kinds {
		if k == Implicit || k == Withheld || (k == Count && Small(s.values[i])) {
			hidden[i] = true
		}
	}
	stuck := map[Cell]bool{} // disclosed by fixed figures alone: nothing left to hide
	for {
		var c Cell
		found := false
		disclosed, det, pinned := s.disclosed(hidden)
		for _, d := range disclosed {
			if !stuck[d] {
				c, found = d, true
				break
			}
		}
		if !found {
			return hidden
		}
		next, ok := s.complement(c, hidden, det, pinned)
		if !ok {
			stuck[c] = true
			continue
		}
		hidden[next] = true
	}
}

// protected reports whether c must not be derivable: a small count, or a withheld one.
func (s *System) protected(c Cell) bool { return Small(s.values[c]) || s.kinds[c] == Withheld }

// Disclosed returns the small counts (shown or implicit) that the shown cells determine
// under hidden, by the relations alone or with the bounds the texts give (Pinned);
// empty when hidden protects every one.
func (s *System) Disclosed(hidden []bool) []Cell {
	out, _, _ := s.disclosed(hidden)
	return out
}

// disclosed is Disclosed, with the determined and pinned cells it found (complement
// starts from them).
func (s *System) disclosed(hidden []bool) (out []Cell, det, pinned []bool) {
	det, pinned = s.determined(hidden), s.Pinned(hidden)
	for i := range s.values {
		if hidden[i] && (det[i] || pinned[i]) && s.protected(Cell(i)) {
			out = append(out, Cell(i))
		}
	}
	return out, det, pinned
}

// unbounded stands for "no upper bound" in readerBounds.
var unbounded = math.Inf(1)

// readerBounds is what a reader who knows the rule knows of each cell before using the
// relations: a shown cell is its value; a hidden count shown as "< 5" is 1–4; one shown
// as ".." is not 1–4, so 0 or at least Threshold (taken here as the side its true value
// is on: a reader who can pin the cell on that side has pinned it); a cell never shown
// (implicit) is at least 0.
func (s *System) readerBounds(hidden []bool) (lo, hi []float64) {
	lo, hi = make([]float64, len(s.values)), make([]float64, len(s.values))
	for i, v := range s.values {
		switch {
		case !hidden[i]:
			lo[i], hi[i] = float64(v), float64(v)
		case s.kinds[i] == Implicit:
			lo[i], hi[i] = 0, unbounded
		case Small(v):
			lo[i], hi[i] = 1, Threshold-1
		case v == 0:
			lo[i], hi[i] = 0, 0
		default:
			lo[i], hi[i] = Threshold, unbounded
		}
	}
	return lo, hi
}

// Pinned says, per hidden cell, whether the bounds the reader knows (readerBounds),
// carried through the relations, leave it one value: two hidden counts shown as "< 5"
// beside a shown total of 8 are 4 and 4, though the relations alone fix neither. Each
// relation narrows each of its cells to what the others' bounds allow, until nothing
// changes (at most maxRounds rounds: stopping early only leaves bounds wider). It finds
// what a reader finds line by line and through chains of lines; determined finds the
// rest that needs no bounds.
func (s *System) Pinned(hidden []bool) []bool {
	lo, hi := s.readerBounds(hidden)
	for round := 0; round < maxRounds; round++ {
		changed := false
		for _, r := range s.relations {
			// Σ coef·x = 0, so coef_i·x_i = −Σ_{j≠i} coef_j·x_j. The bounds of the whole
			// sum are kept as a finite part and a count of unbounded terms, so that a
			// term's own share can be taken out again.
			var sumLo, sumHi float64
			var infLo, infHi int
			for _, o := range r {
				a, b := o.coef*lo[o.cell], o.coef*hi[o.cell]
				if a > b {
					a, b = b, a
				}
				if math.IsInf(a, -1) {
					infLo++
				} else {
					sumLo += a
				}
				if math.IsInf(b, 1) {
					infHi++
				} else {
					sumHi += b
				}
			}
			for _, t := range r {
				if !hidden[t.cell] {
					continue
				}
				a, b := t.coef*lo[t.cell], t.coef*hi[t.cell]
				if a > b {
					a, b = b, a
				}
				restLo, restHi := math.Inf(-1), math.Inf(1) // bounds of Σ_{j≠i} coef_j·x_j
				if aInf := math.IsInf(a, -1); infLo == 0 || infLo == 1 && aInf {
					restLo = sumLo
					if !aInf {
						restLo -= a
					}
				}
				if bInf := math.IsInf(b, 1); infHi == 0 || infHi == 1 && bInf {
					restHi = sumHi
					if !bInf {
						restHi -= b
					}
				}
				// x_i between −restHi/coef and −restLo/coef (ordered by coef's sign).
				x, y := -restHi/t.coef, -restLo/t.coef
				if x > y {
					x, y = y, x
				}
				if x > lo[t.cell]+eps {
					lo[t.cell], changed = math.Ceil(x-eps), true
				}
				if y < hi[t.cell]-eps {
					hi[t.cell], changed = math.Floor(y+eps), true
				}
			}
		}
		if !changed {
			break
		}
	}
	pinned := make([]bool, len(s.values))
	for i := range s.values {
		pinned[i] = hidden[i] && hi[i]-lo[i] < 0.5
	}
	return pinned
}

// maxRounds bounds Pinned's narrowing.
const maxRounds = 64

// complement picks the shown count to hide next. Candidates are the shown counts of
// every relation around a hidden cell the shown cells determine or pin (a small count
// given away through a chain of relations, e.g. a hidden month fixed by its column
// total, is protected by breaking the chain anywhere along it); det and pinned are
// those cells under hidden, as disclosed found them. Each candidate is tried: the one
// that leaves the fewest small counts disclosed, then the fewest hidden cells
// determined, then the smallest non-zero value (hiding a zero tells the reader little
// and protects little), then the lowest index, so that the choice is stable.
func (s *System) complement(c Cell, hidden, det, pinned []bool) (Cell, bool) {
	seen := map[Cell]bool{}
	var cands []Cell
	for _, r := range s.relations {
		around := false
		for _, t := range r {
			if hidden[t.cell] && (det[t.cell] || pinned[t.cell] || t.cell == c) {
				around = true
				break
			}
		}
		if !around {
			continue
		}
		for _, t := range r {
			if !hidden[t.cell] && s.kinds[t.cell] == Count && !seen[t.cell] {
				seen[t.cell] = true
				cands = append(cands, t.cell)
			}
		}
	}
	if len(cands) == 0 {
		return 0, false
	}
	// Try the smallest non-zero candidates first, and at most maxTries of them: each
	// try is an elimination over the system.
	sort.Slice(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		if (s.values[a] == 0) != (s.values[b] == 0) {
			return s.values[b] == 0
		}
		if s.values[a] != s.values[b] {
			return s.values[a] < s.values[b]
		}
		return a < b
	})
	if len(cands) > maxTries {
		cands = cands[:maxTries]
	}
	type score struct {
		disclosed, determined int
		zero                  bool
		value                 int
		cell                  Cell
	}
	less := func(a, b score) bool {
		switch {
		case a.disclosed != b.disclosed:
			return a.disclosed < b.disclosed
		case a.determined != b.determined:
			return a.determined < b.determined
		case a.zero != b.zero:
			return !a.zero
		case a.value != b.value:
			return a.value < b.value
		}
		return a.cell < b.cell
	}
	var best score
	for i, cand := range cands {
		hidden[cand] = true
		d := s.determined(hidden)
		hidden[cand] = false
		sc := score{zero: s.values[cand] == 0, value: s.values[cand], cell: cand}
		for j, isDet := range d {
			if isDet && hidden[j] || isDet && Cell(j) == cand {
				sc.determined++
				if s.protected(Cell(j)) {
					sc.disclosed++
				}
			}
		}
		if i == 0 || less(sc, best) {
			best = sc
		}
	}
	return best.cell, true
}

// maxTries bounds the candidates complement tries per step.
const maxTries = 40

func has(r []term, c Cell) bool {
	for _, t := range r {
		if t.cell == c {
			return true
		}
	}
	return false
}

// determined says, per hidden cell, whether the relations fix its value given the shown
// cells. Shown cells are constants; the relations restricted to the hidden cells form a
// matrix A; a hidden cell x is fixed iff e_x is in A's row space, i.e. in the reduced
// row echelon form its pivot row has no other non-zero entry among hidden columns.
func (s *System) determined(hidden []bool) []bool {
	det := make([]bool, len(s.values))
	// Group relations by the hidden cells they share (union-find), so each elimination
	// is small.
	parent := make([]int, len(s.values))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	for _, r := range s.relations {
		first := -1
		for _, t := range r {
			if !hidden[t.cell] {
				continue
			}
			if first < 0 {
				first = int(t.cell)
			} else {
				parent[find(int(t.cell))] = find(first)
			}
		}
	}
	groups := map[int][]int{} // root -> relation indexes
	for i, r := range s.relations {
		for _, t := range r {
			if hidden[t.cell] {
				root := find(int(t.cell))
				groups[root] = append(groups[root], i)
				break
			}
		}
	}
	roots := make([]int, 0, len(groups))
	for r := range groups {
		roots = append(roots, r)
	}
	sort.Ints(roots)
	for _, root := range roots {
		rels := groups[root]
		col := map[Cell]int{}
		var cells []Cell
		for _, ri := range rels {
			for _, t := range s.relations[ri] {
				if hidden[t.cell] {
					if _, ok := col[t.cell]; !ok {
						col[t.cell] = len(cells)
						cells = append(cells, t.cell)
					}
				}
			}
		}
		m := make([][]float64, len(rels))
		for i, ri := range rels {
			m[i] = make([]float64, len(cells))
			for _, t := range s.relations[ri] {
				if hidden[t.cell] {
					m[i][col[t.cell]] += t.coef
				}
			}
		}
		for _, j := range fixedColumns(m, len(cells)) {
			det[cells[j]] = true
		}
	}
	return det
}

const eps = 1e-9

// fixedColumns brings m to reduced row echelon form and returns the pivot columns whose
// row has no other non-zero entry: the unknowns the system fixes.
func fixedColumns(m [][]float64, cols int) []int {
	row := 0
	var pivots []int
	for c := 0; c < cols && row < len(m); c++ {
		p := -1
		for r := row; r < len(m); r++ {
			if math.Abs(m[r][c]) > eps && (p < 0 || math.Abs(m[r][c]) > math.Abs(m[p][c])) {
				p = r
			}
		}
		if p < 0 {
			continue
		}
		m[row], m[p] = m[p], m[row]
		pv := m[row][c]
		for j := range m[row] {
			m[row][j] /= pv
		}
		for r := range m {
			if r != row && math.Abs(m[r][c]) > eps {
				f := m[r][c]
				for j := range m[r] {
					m[r][j] -= f * m[row][j]
				}
			}
		}
		pivots = append(pivots, c)
		row++
	}
	var out []int
	for i, c := range pivots {
		alone := true
		for j := 0; j < cols; j++ {
			if j != c && math.Abs(m[i][j]) > eps {
				alone = false
				break
			}
		}
		if alone {
			out = append(out, c)
		}
	}
	return out
}
