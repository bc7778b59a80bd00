package report

import (
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/domain/disclosure"
	"github.com/arbetsmarknad/outcomes/internal/platform/calendar"
)

// HTML writes the report as one self-contained page: Swedish labels, inline SVG charts,
// print CSS for A4 with a page break before each section, no script and nothing loaded
// from anywhere else.
func HTML(w io.Writer, r *Report) error { return page.Execute(w, r) }

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"month":      monthLabel,
	"date":       func(t time.Time) string { return t.In(calendar.Sweden).Format("2006-01-02") },
	"stamp":      func(t time.Time) string { return t.In(calendar.Sweden).Format("2006-01-02 15:04") },
	"svg":        func(s *Series) template.HTML { return template.HTML(SVG(s)) }, //nolint:gosec // built by SVG with every text escaped
	"cell":       cellText,
	"join":       strings.Join,
	"add":        func(a, b int) int { return a + b },
	"hiddenRule": func() string { return disclosure.HiddenRule },
}).Parse(pageTemplate))

// cellText is a cell as the page shows it: the value, a share's 95 % interval, and the
// mark of a figure changed since the edition compared against.
func cellText(c *Cell) string {
	if c == nil {
		return ""
	}
	s := c.Display
	if c.Kind == KindShare && c.Lower != nil && c.Upper != nil {
		s += " (" + strings.TrimSuffix(FormatShare(*c.Lower), " %") + "–" + FormatShare(*c.Upper) + ")"
	}
	return s
}

const pageTemplate = `<!DOCTYPE html>
<html lang="sv">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Månadsuppföljning {{month .Month}} – {{.OrganisationName}}</title>
<style>
@page { size: A4; margin: 14mm 12mm 16mm 12mm; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; font-size: 10pt; color: #111; margin: 0 auto; max-width: 190mm; padding: 8mm 0; }
header.report { border-bottom: 2px solid #1f5f8b; margin-bottom: 6mm; padding-bottom: 3mm; }
h1 { font-size: 17pt; margin: 0 0 2mm 0; color: #1f5f8b; }
h2 { font-size: 13pt; margin: 0 0 2mm 0; color: #1f5f8b; border-bottom: 1px solid #ccc; }
h3 { font-size: 10.5pt; margin: 4mm 0 1mm 0; }
.meta { font-size: 8.5pt; color: #333; margin: 0.6mm 0; }
.intro { font-size: 9pt; color: #333; }
section { margin-bottom: 6mm; }
section + section { break-before: page; page-break-before: always; }
table { border-collapse: collapse; width: 100%; margin: 1mm 0 3mm 0; font-size: 8.5pt; break-inside: avoid; page-break-inside: avoid; }
th, td { border: 1px solid #bbb; padding: 1mm 1.5mm; }
th { background: #eef3f7; text-align: center; font-weight: 600; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.label { text-align: left; }
tr.total td { font-weight: 700; background: #f6f6f6; }
td.hidden { color: #900; }
.changed { color: #b35c00; font-size: 7pt; display: block; }
.note { font-size: 8.5pt; font-style: italic; color: #555; }
figure { margin: 2mm 0 4mm 0; break-inside: avoid; page-break-inside: avoid; }
figcaption { font-size: 9pt; font-weight: 600; }
svg.chart { display: block; max-width: 100%; height: auto; }
dl.defs dt { font-weight: 700; margin-top: 2mm; }
dl.defs dd { margin: 0 0 0 4mm; font-size: 8.5pt; }
footer { font-size: 8pt; color: #555; margin-top: 4mm; }
</style>
</head>
<body>
<header class="report">
<h1>Månadsuppföljning {{month .Month}}</h1>
<p class="meta"><strong>{{.OrganisationName}}</strong>{{if .Regional}} (samordningsförbund: summan av {{join .Members ", "}}){{end}}</p>
<p class="meta">Rapportmånad: {{month .Month}} · Skapad: {{stamp .GeneratedAt}}{{if .Edition}} · Fryst utgåva från {{stamp .Edition.FrozenAt}}{{end}}</p>
<p class="meta">Lagrets aktualitet: {{if .WarehouseLoadedTo}}ändringar inlästa till och med {{stamp .WarehouseLoadedTo}}{{else}}ingen ändring inläst ännu{{end}}{{if .WarehousePending}}, {{.WarehousePending}} ändringar väntar{{else}}, inga ändringar väntar{{end}}</p>
<p class="meta">Definitionsversioner: {{join .DefinitionVersions ", "}}</p>
{{if .ComparedTo}}<p class="meta">Siffror som ändrats sedan rapporten {{date .ComparedTo.FrozenAt}} är markerade.</p>{{end}}
<p class="meta">{{hiddenRule}}, så att inget litet antal kan räknas fram. Inga personuppgifter.</p>
</header>
{{range .Sections}}
<section id="{{.Key}}">
<h2>{{.Title}}</h2>
{{if .Intro}}<p class="intro">{{.Intro}}</p>{{end}}
{{range .Series}}<figure><figcaption>{{.Title}}</figcaption>{{svg .}}</figure>{{end}}
{{range .Tables}}
<h3>{{.Title}}</h3>
{{if .Rows}}
<table id="{{.Key}}">
<thead><tr><th></th>{{range .Columns}}<th scope="col">{{.Label}}</th>{{end}}</tr></thead>
<tbody>
{{range .Rows}}<tr{{if .Total}} class="total"{{end}}><td class="label">{{.Label}}</td>{{range .Cells}}<td class="num{{if .Suppressed}} hidden{{end}}" data-cell="{{.ID}}">{{cell .}}{{if .ChangedSince}}<span class="changed">ändrad sedan {{date .ChangedSince}}</span>{{end}}</td>{{end}}</tr>
{{end}}
</tbody>
</table>
{{end}}
{{if .Note}}<p class="note">{{.Note}}</p>{{end}}
{{end}}
</section>
{{end}}
<section id="definitions">
<h2>Definitioner och källor</h2>
<dl class="defs">
{{range .Definitions}}<dt>{{.Name}} ({{.Version}})</dt><dd>{{.Text}} Källa: {{.Source}}</dd>
{{end}}
</dl>
<footer>{{.OrganisationName}} · Månadsuppföljning {{month .Month}} · {{.OrganisationCode}}</footer>
</section>
</body>
</html>
`
