package report

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// Charts are drawn by the server as inline SVG: no script and no asset from elsewhere,
// so the page prints and works on a network without internet. A hidden point (a
// suppressed cell) is never drawn; its place shows disclosure.HiddenText.

const (
	chartW, chartH         = 680.0, 230.0
	padL, padR, padT, padB = 48.0, 12.0, 16.0, 42.0
)

var palette = []string{"#1f5f8b", "#c2571a", "#3b8b3b", "#7a4b9d"}

// SVG draws s as an inline SVG element.
func SVG(s *Series) string {
	switch {
	case len(s.Lines) > 0 && s.Lines[0].Style == "INTERVAL":
		return intervalChart(s)
	case s.Unit == "SHARE":
		return lineChart(s, true)
	default:
		return lineChart(s, false)
	}
}

func esc(s string) string { return html.EscapeString(s) }

func header(s *Series, b *strings.Builder) {
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="%s" viewBox="0 0 %.0f %.0f" width="100%%" class="chart">`,
		esc(s.Title), chartW, chartH)
	fmt.Fprintf(b, `<title>%s</title>`, esc(s.Title))
}

// lineChart draws bars (BAR lines), polylines (LINE lines) and the target as a dashed
// line; shares are drawn on 0–100 %.
func lineChart(s *Series, share bool) string {
	var b strings.Builder
	header(s, &b)
	var labels []string
	max := 0.0
	for _, l := range s.Lines {
		for i, p := range l.Points {
			if i >= len(labels) {
				labels = append(labels, p.Label)
			}
			if p.Cell != nil && p.Cell.Value != nil {
				max = math.Max(max, *p.Cell.Value)
			}
			if p.Quota != nil {
				max = math.Max(max, *p.Quota)
			}
		}
	}
	if s.Target != nil {
		max = math.Max(max, *s.Target)
	}
	ticks := 4 // shares: 0, 25, 50, 75 and 100 %
	if share {
		max = 1
	} else {
		max, ticks = countAxis(max)
	}
	plotW, plotH := chartW-padL-padR, chartH-padT-padB
	y := func(v float64) float64 { return padT + plotH - v/max*plotH }
	n := len(labels)
	if n == 0 {
		n = 1
	}
	band := plotW / float64(n)
	x := func(i int) float64 { return padL + band*(float64(i)+0.5) }
	// Axes and grid.
	for k := 0; k <= ticks; k++ {
		v := max * float64(k) / float64(ticks)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/>`, padL, y(v), chartW-padR, y(v))
		text := formatInt(int(math.Round(v)))
		if share {
			text = fmt.Sprintf("%.0f %%", 100*v)
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="10" text-anchor="end" fill="#444">%s</text>`, padL-4, y(v)+3, esc(text))
	}
	for i, l := range labels {
		short := l
		if len(short) == 7 && short[4] == '-' { // a month: "2018-03" -> "mar"
			var m int
			fmt.Sscanf(short[5:], "%d", &m)
			if m >= 1 && m <= 12 {
				short = swedishMonths[m-1][:3]
			}
		}
		if len([]rune(short)) > 14 {
			short = string([]rune(short)[:13]) + "…"
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="9" text-anchor="middle" fill="#333">%s</text>`, x(i), chartH-padB+13, esc(short))
	}
	legendX := padL
	for li, l := range s.Lines {
		color := palette[li%len(palette)]
		switch l.Style {
		case "BAR":
			w := band * 0.6
			for i, p := range l.Points {
				if p.Quota != nil {
					fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="none" stroke="#888" stroke-dasharray="3 2"/>`,
						x(i)-w/2, y(*p.Quota), w, y(0)-y(*p.Quota))
				}
				if p.Cell == nil || p.Cell.Value == nil {
					fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="9" text-anchor="middle" fill="#900">%s</text>`, x(i), y(0)-3, esc(p.Cell.display()))
					continue
				}
				v := *p.Cell.Value
				fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s: %s</title></rect>`,
					x(i)-w/2, y(v), w, y(0)-y(v), color, esc(p.Label), esc(p.Cell.Display))
			}
		case "LINE":
			var pts []string
			flush := func() {
				if len(pts) > 1 {
					fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`, color, strings.Join(pts, " "))
				}
				pts = nil
			}
			for i, p := range l.Points {
				if p.Cell == nil || p.Cell.Value == nil {
					flush()
					continue
				}
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(i), y(*p.Cell.Value)))
				fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="2.5" fill="%s"><title>%s: %s</title></circle>`, x(i), y(*p.Cell.Value), color, esc(p.Label), esc(p.Cell.Display))
			}
			flush()
		}
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="10" height="10" fill="%s"/><text x="%.1f" y="%.1f" font-size="10">%s</text>`,
			legendX, chartH-14, color, legendX+14, chartH-5, esc(l.Label))
		legendX += 24 + 6*float64(len([]rune(l.Label)))
	}
	if s.Target != nil {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#b00" stroke-width="1.5" stroke-dasharray="6 4"/>`,
			padL, y(*s.Target), chartW-padR, y(*s.Target))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="10" text-anchor="end" fill="#b00">%s</text>`, chartW-padR, y(*s.Target)-4, esc(s.TargetLabel))
	}
	if hasQuota(s) {
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="10" height="10" fill="none" stroke="#888" stroke-dasharray="3 2"/><text x="%.1f" y="%.1f" font-size="10">Kvot</text>`,
			legendX, chartH-14, legendX+14, chartH-5)
	}
	b.WriteString(`</svg>`)
	return b.String()
}

func hasQuota(s *Series) bool {
	for _, l := range s.Lines {
		for _, p := range l.Points {
			if p.Quota != nil {
				return true
			}
		}
	}
	return false
}

// intervalChart draws each line's shares as dots with their 95 % interval, grouped by
// the points' labels (the definitions).
func intervalChart(s *Series) string {
	var b strings.Builder
	header(s, &b)
	plotW, plotH := chartW-padL-padR, chartH-padT-padB
	y := func(v float64) float64 { return padT + plotH - v*plotH }
	var groups []string
	for _, l := range s.Lines {
		for _, p := range l.Points {
			if !contains(groups, p.Label) {
				groups = append(groups, p.Label)
			}
		}
	}
	for k := 0; k <= 4; k++ {
		v := float64(k) / 4
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/>`, padL, y(v), chartW-padR, y(v))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="10" text-anchor="end" fill="#444">%.0f %%</text>`, padL-4, y(v)+3, 100*v)
	}
	band := plotW / float64(max(1, len(groups)))
	for gi, g := range groups {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="10" text-anchor="middle">%s</text>`, padL+band*(float64(gi)+0.5), chartH-padB+13, esc(groupLabels[g]))
	}
	legendX := padL
	for li, l := range s.Lines {
		color := palette[li%len(palette)]
		for _, p := range l.Points {
			gi := indexOf(groups, p.Label)
			cx := padL + band*float64(gi) + band*(float64(li)+1)/float64(len(s.Lines)+1)
			c := p.Cell
			if c == nil || c.Value == nil {
				fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="9" text-anchor="middle" fill="#900">%s</text>`, cx, y(0)-3, esc(c.display()))
				continue
			}
			if c.Lower != nil && c.Upper != nil {
				fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="1.5"/>`, cx, y(*c.Lower), cx, y(*c.Upper), color)
				for _, v := range []float64{*c.Lower, *c.Upper} {
					fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s"/>`, cx-4, y(v), cx+4, y(v), color)
				}
			}
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"><title>%s %s: %s</title></circle>`, cx, y(*c.Value), color, esc(l.Label), esc(groupLabels[p.Label]), esc(c.Display))
		}
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="10" height="10" fill="%s"/><text x="%.1f" y="%.1f" font-size="10">%s</text>`,
			legendX, chartH-14, color, legendX+14, chartH-5, esc(l.Label))
		legendX += 24 + 6*float64(len([]rune(l.Label)))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

var groupLabels = map[string]string{"ws6": "Arbete/studier +6 mån", "ws12": "Arbete/studier +12 mån", "lasting": "Fast förankring"}

func indexOf(xs []string, s string) int {
	for i, x := range xs {
		if x == s {
			return i
		}
	}
	return -1
}

func (c *Cell) display() string {
	if c == nil {
		return ""
	}
	return c.Display
}

// countAxis is the top of a count's axis and its number of steps: the step is 1, 2 or
// 5 times a power of ten (never below 1: counts are whole), chosen so that at most five
// steps reach v, so every gridline is a round number (0, 10, 20, 30, 40, 50 for 43;
// not 0, 12.5, 25, 37.5 and 50, which the page printed as 13, 25 and 38).
func countAxis(v float64) (top float64, steps int) {
	if v <= 0 {
		return 1, 1
	}
	for p := 1.0; ; p *= 10 {
		for _, m := range []float64{1, 2, 5} {
			if step := m * p; v/step <= 5 {
				steps = int(math.Ceil(v / step))
				return float64(steps) * step, steps
			}
		}
	}
}
