package disclosure_test

import (
	"math/rand/v2"
	"testing"

	"github.com/arbetsmarknad/outcomes/internal/domain/disclosure"
)

// grid builds a rows×cols table of counts with row totals, column totals and a grand
// total, the shape of every table of the steering report.
func grid(s *disclosure.System, vals [][]int) (cells [][]disclosure.Cell, rowTot, colTot []disclosure.Cell, grand disclosure.Cell) {
	colSum := make([]int, len(vals[0]))
	total := 0
	for _, row := range vals {
		var rc []disclosure.Cell
		sum := 0
		for j, v := range row {
			rc = append(rc, s.Add(v, disclosure.Count))
			sum += v
			colSum[j] += v
		}
		rt := s.Add(sum, disclosure.Count)
		s.Sum(rt, rc...)
		cells, rowTot = append(cells, rc), append(rowTot, rt)
		total += sum
	}
	for j := range colSum {
		ct := s.Add(colSum[j], disclosure.Count)
		var parts []disclosure.Cell
		for i := range cells {
			parts = append(parts, cells[i][j])
		}
		s.Sum(ct, parts...)
		colTot = append(colTot, ct)
	}
	grand = s.Add(total, disclosure.Count)
	s.Sum(grand, rowTot...)
	s.Sum(grand, colTot...)
	return cells, rowTot, colTot, grand
}

func TestPrimaryHidesSmallCountsOnly(t *testing.T) {
	t.Parallel()
	var s disclosure.System
	cells, _, _, _ := grid(&s, [][]int{{10, 20}, {30, 40}})
	hidden := s.Protect()
	for _, row := range cells {
		for _, c := range row {
			if hidden[c] {
				t.Errorf("cell %d (%d) hidden in a table without small counts", c, s.Value(c))
			}
		}
	}
	s2 := disclosure.System{}
	cells, _, _, _ = grid(&s2, [][]int{{3, 20}, {30, 40}})
	hidden = s2.Protect()
	if !hidden[cells[0][0]] {
		t.Fatal("a count of 3 is shown")
	}
	n := 0
	for _, h := range hidden {
		if h {
			n++
		}
	}
	// 3 needs at least a rectangle (four cells of the 2×2 body); the greedy choice may
	// take one cell more, never the whole table.
	if n < 4 || n > 5 {
		t.Errorf("%d cells hidden, want 4 or 5", n)
	}
}

// TestNoHiddenCountCanBeRecovered is the differencing test: random tables with totals,
// many of them small; after Protect, no relation (a total minus its shown parts, or one
// shown cell minus another) and no combination of relations gives a small count away.
func TestNoHiddenCountCanBeRecovered(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(13, 5))
	for trial := 0; trial < 300; trial++ {
		var s disclosure.System
		rows, cols := 1+rng.IntN(6), 1+rng.IntN(5)
		vals := make([][]int, rows)
		for i := range vals {
			vals[i] = make([]int, cols)
			for j := range vals[i] {
				switch rng.IntN(4) {
				case 0:
					vals[i][j] = 0
				case 1:
					vals[i][j] = 1 + rng.IntN(4)
				default:
					vals[i][j] = 5 + rng.IntN(60)
				}
			}
		}
		grid(&s, vals)
		hidden := s.Protect()
		if d := s.AuditPairs(hidden); len(d) > 0 {
			t.Fatalf("trial %d %v: a relation gives away %v", trial, vals, d)
		}
		if d := s.AuditExact(hidden); len(d) > 0 {
			t.Fatalf("trial %d %v: the relations together give away %v", trial, vals, d)
		}
		for i := 0; i < s.Len(); i++ {
			c := disclosure.Cell(i)
			if disclosure.Small(s.Value(c)) && !hidden[c] {
				t.Fatalf("trial %d: small count %d shown", trial, s.Value(c))
			}
		}
	}
}

// TestAuditFindsAnUnprotectedCell shows the audits can fail: a table with only primary
// suppression gives its small count away by subtraction.
func TestAuditFindsAnUnprotectedCell(t *testing.T) {
	t.Parallel()
	var s disclosure.System
	cells, _, _, _ := grid(&s, [][]int{{3, 20}, {30, 40}})
	hidden := make([]bool, s.Len())
	hidden[cells[0][0]] = true
	if len(s.AuditPairs(hidden)) == 0 || len(s.AuditExact(hidden)) == 0 {
		t.Fatal("the audits miss a count of 3 shown as its row total minus 20")
	}
}

func TestImplicitSmallCountIsProtected(t *testing.T) {
	t.Parallel()
	var s disclosure.System
	n, known := s.Add(20, disclosure.Count), s.Add(17, disclosure.Count)
	unknown := s.Add(3, disclosure.Implicit)
	s.Sum(n, known, unknown)
	hidden := s.Protect()
	if !hidden[known] && !hidden[n] {
		t.Fatal("n and known both shown: the unknown 3 is n - known")
	}
	if d := s.AuditExact(hidden); len(d) > 0 {
		t.Fatalf("disclosed %v", d)
	}
}

// TestWithheldCountIsProtectedLikeASmallOne: a withheld count of any size (a group
// whose amounts are withheld) is hidden, and so is a complement, so that the total
// minus the shown parts does not give it away; the audits see it as they see a small
// count.
func TestWithheldCountIsProtectedLikeASmallOne(t *testing.T) {
	t.Parallel()
	var s disclosure.System
	a := s.Add(12, disclosure.Withheld)
	b, c := s.Add(30, disclosure.Count), s.Add(20, disclosure.Count)
	total := s.Add(62, disclosure.Count)
	s.Sum(total, a, b, c)
	hidden := s.Protect()
	if !hidden[a] || !(hidden[b] || hidden[c] || hidden[total]) {
		t.Fatalf("hidden %v: the withheld 12 is the total minus the others", hidden)
	}
	if pairs, exact := s.AuditPairs(hidden), s.AuditExact(hidden); len(pairs) > 0 || len(exact) > 0 {
		t.Errorf("audits find %v %v", pairs, exact)
	}
	open := make([]bool, s.Len())
	open[a] = true
	if got := s.AuditPairs(open); len(got) != 1 || got[0] != a {
		t.Errorf("AuditPairs with only the withheld count hidden: %v", got)
	}
}

// The small-count rule is one number: the check and the rule every rendering states are
// made from Threshold; the mark of a hidden cell states no range.
func TestSmallCountRuleIsOneNumber(t *testing.T) {
	t.Parallel()
	for n := -1; n <= 2*disclosure.Threshold; n++ {
		if want := n >= 1 && n <= 4; disclosure.Small(n) != want {
			t.Errorf("Small(%d) = %v", n, !want)
		}
	}
	if disclosure.HiddenText != ".." {
		t.Errorf("HiddenText = %q", disclosure.HiddenText)
	}
	if disclosure.HiddenRule != `Antal 1–4 och de antal som skulle röja dem visas som ".."` {
		t.Errorf("HiddenRule = %q", disclosure.HiddenRule)
	}
}
