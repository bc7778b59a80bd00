package report

import (
	"fmt"

	"github.com/arbetsmarknad/outcomes/internal/domain/disclosure"
	"github.com/arbetsmarknad/outcomes/warehouse/stats"
)

// builder collects the report's cells in one disclosure system, so that the relations
// between every table of the report (totals, months and year to date, the same figure
// shown twice) are protected together.
type builder struct {
	sys   disclosure.System
	cells []*Cell
	same  map[string]*Cell // quantity key -> first cell showing it
}

func newBuilder() *builder { return &builder{same: map[string]*Cell{}} }

func (b *builder) add(c *Cell, value int, kind disclosure.Kind) *Cell {
	c.ref = b.sys.Add(value, kind)
	c.raw = value
	b.cells = append(b.cells, c)
	return c
}

// count is a number of people or events.
func (b *builder) count(v int, version string) *Cell {
	return b.add(&Cell{Kind: KindCount, Version: version}, v, disclosure.Count)
}

// target is a target or quota figure: shown always.
func (b *builder) target(v int, version string) *Cell {
	return b.add(&Cell{Kind: KindTarget, Version: version}, v, disclosure.Fixed)
}

// withheld is a count hidden whatever its value (disclosure.Withheld): its group's other
// figures are withheld for another reason, and it carries that into the relations.
func (b *builder) withheld(v int, version string) *Cell {
	return b.add(&Cell{Kind: KindCount, Version: version}, v, disclosure.Withheld)
}

// amount is a figure that is not a count of people (kronor): shown unless any of the
// counts it guards against is hidden, since it would give them away (a cost per person
// times the shown cost is the people) or is theirs (the wages of 1–4 people).
func (b *builder) amount(v int, version string, guards ...*Cell) *Cell {
	c := b.add(&Cell{Kind: KindAmount, Version: version}, v, disclosure.Fixed)
	c.guards = guards
	return c
}

// implicit is a count no table prints but a reader could compute.
func (b *builder) implicit(v int) *Cell {
	return b.add(&Cell{Kind: KindCount}, v, disclosure.Implicit)
}

// share is num / den, shown only when both are.
func (b *builder) share(num, den *Cell, version string) *Cell {
	c := &Cell{Kind: KindShare, Version: version, num: num, den: den, ref: -1}
	b.cells = append(b.cells, c)
	return c
}

func (b *builder) empty() *Cell {
	c := &Cell{Kind: KindEmpty, ref: -1, Display: ""}
	b.cells = append(b.cells, c)
	return c
}

// sum records total = Σ parts.
func (b *builder) sum(total *Cell, parts ...*Cell) {
	refs := make([]disclosure.Cell, len(parts))
	for i, p := range parts {
		refs[i] = p.ref
	}
	b.sys.Sum(total.ref, refs...)
}

// key says that c shows the quantity named key; a second cell with the same key is
// recorded as equal to the first, so hiding one cannot be undone by the other.
func (b *builder) key(k string, c *Cell) {
	if first, ok := b.same[k]; ok {
		if first.raw != c.raw {
			panic(fmt.Sprintf("report: quantity %s shown as %d and %d", k, first.raw, c.raw))
		}
		b.sys.Equal(first.ref, c.ref)
		return
	}
	b.same[k] = c
}

// finish protects the system and writes every cell's value and text.
func (b *builder) finish(r *Report) {
	hidden := b.sys.Protect()
	r.sys, r.hidden = &b.sys, hidden
	r.byRef = map[disclosure.Cell]*Cell{}
	for _, c := range b.cells {
		if c.ref >= 0 {
			r.byRef[c.ref] = c
		}
	}
	for _, c := range b.cells {
		switch c.Kind {
		case KindCount, KindTarget, KindAmount:
			if hidden[c.ref] {
				c.Suppressed = true
				c.Display = disclosure.HiddenAs(c.raw) // "< 5" for a small count, ".." for a complement
				continue
			}
			v := float64(c.raw)
			c.Value = &v
			c.Display = formatInt(c.raw)
		}
	}
	for _, c := range b.cells {
		for _, g := range c.guards {
			if g.Suppressed {
				c.Suppressed, c.Value, c.Display = true, nil, disclosure.HiddenText
				break
			}
		}
	}
	for _, c := range b.cells {
		if c.Kind != KindShare {
			continue
		}
		c.Display = "–"
		if c.num.Suppressed || c.den.Suppressed {
			c.Suppressed = true
			c.Display = disclosure.HiddenText
			continue
		}
		n := c.den.raw
		c.N = &n
		if c.den.raw == 0 {
			continue
		}
		v := float64(c.num.raw) / float64(c.den.raw)
		c.Value = &v
		c.Display = FormatShare(v)
		if c.unknown != nil { // an outcome share: interval and bounds (warehouse/stats)
			if iv, ok := stats.Wilson(c.num.raw, c.den.raw); ok {
				c.Lower, c.Upper = &iv.Lower, &iv.Upper
			}
			if !c.unknown.Suppressed {
				if bd, ok := stats.MissingBounds(c.num.raw, c.den.raw, c.den.raw+c.unknown.raw); ok {
					c.BoundLow, c.BoundHigh = &bd.IfNoneMet, &bd.IfAllMet
				}
			}
		}
	}
	for _, c := range b.cells {
		if c.Kind == KindCount && c.N == nil && c.Value != nil {
			n := c.raw
			c.N = &n
		}
	}
}

// formatInt and FormatShare are the texts of a shown count and share, the same in every
// surface that publishes one (disclosure.FormatCount, disclosure.FormatShare).
var formatInt, FormatShare = disclosure.FormatCount, disclosure.FormatShare

// tableOf starts a table.
func tableOf(key, title string, cols ...Column) *Table {
	return &Table{Key: key, Title: title, Columns: cols}
}

// row appends a row and names its cells by table, row and column.
func (t *Table) row(key, label string, total bool, cells ...*Cell) *Row {
	r := &Row{Key: key, Label: label, Total: total, Cells: cells}
	for i, c := range cells {
		if i < len(t.Columns) {
			c.ID = t.Key + "/" + key + "/" + t.Columns[i].Key
		}
	}
	t.Rows = append(t.Rows, r)
	return r
}

var genderColumns = []Column{{"women", "Kvinnor"}, {"men", "Män"}, {"other", "Övriga/ej angivet"}, {"total", "Totalt"}}

// genderCells adds a row's three gender counts and their total, with the relation.
func (b *builder) genderCells(g byGender, version string) []*Cell {
	w, m, o := b.count(g[0], version), b.count(g[1], version), b.count(g[2], version)
	t := b.count(g.total(), version)
	b.sum(t, w, m, o)
	return []*Cell{w, m, o, t}
}
