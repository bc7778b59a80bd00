package disclosure

import "math/big"

// The audits below check a protected system the way a reader would attack it, written
// independently of Protect (exact rational arithmetic instead of Protect's floating
// point, no grouping): tests run them over every table the report shows.

// AuditPairs returns the small (or withheld) counts that one relation gives away directly: a relation
// whose cells are all shown but one, that one being a hidden or unprinted small count
// (the total minus the shown parts, or a shown cell minus another shown cell when the
// relation has three cells: a total and two parts).
func (s *System) AuditPairs(hidden []bool) []Cell {
	var out []Cell
	for _, r := range s.relations {
		var unknown []Cell
		for _, t := range r {
			if hidden[t.cell] {
				unknown = append(unknown, t.cell)
			}
		}
		if len(unknown) == 1 && s.protected(unknown[0]) {
			out = append(out, unknown[0])
		}
	}
	return out
}

// AuditExact returns every hidden or unprinted small count whose value the shown cells
// determine through any combination of the relations (exact Gaussian elimination over
// the rationals on the whole system at once).
func (s *System) AuditExact(hidden []bool) []Cell {
	var cols []Cell
	col := map[Cell]int{}
	for i := range s.values {
		if hidden[i] {
			col[Cell(i)] = len(cols)
			cols = append(cols, Cell(i))
		}
	}
	m := make([][]*big.Rat, 0, len(s.relations))
	for _, r := range s.relations {
		row := make([]*big.Rat, len(cols))
		for j := range row {
			row[j] = new(big.Rat)
		}
		any := false
		for _, t := range r {
			if hidden[t.cell] {
				row[col[t.cell]].Add(row[col[t.cell]], big.NewRat(int64(t.coef), 1))
				any = true
			}
		}
		if any {
			m = append(m, row)
		}
	}
	pivotRow := map[int]int{}
	r := 0
	for c := 0; c < len(cols) && r < len(m); c++ {
		p := -1
		for i := r; i < len(m); i++ {
			if m[i][c].Sign() != 0 {
				p = i
				break
			}
		}
		if p < 0 {
			continue
		}
		m[r], m[p] = m[p], m[r]
		inv := new(big.Rat).Inv(m[r][c])
		for j := range m[r] {
			m[r][j].Mul(m[r][j], inv)
		}
		for i := range m {
			if i != r && m[i][c].Sign() != 0 {
				f := new(big.Rat).Set(m[i][c])
				for j := range m[i] {
					m[i][j].Sub(m[i][j], new(big.Rat).Mul(f, m[r][j]))
				}
			}
		}
		pivotRow[c] = r
		r++
	}
	var out []Cell
	for c, cell := range cols {
		row, ok := pivotRow[c]
		if !ok || !s.protected(cell) {
			continue
		}
		alone := true
		for j := range cols {
			if j != c && m[row][j].Sign() != 0 {
				alone = false
				break
			}
		}
		if alone {
			out = append(out, cell)
		}
	}
	return out
}
