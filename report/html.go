package report

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"

	"github.com/aiplan-dev/aiplan/compliance"
	"github.com/aiplan-dev/aiplan/plan"
	"github.com/aiplan-dev/aiplan/search"
)

// HTML writes one self-contained page: inline CSS and SVG, no network.
func HTML(w io.Writer, p *plan.Plan) {
	data := struct {
		P       *plan.Plan
		Rows    []htmlRow
		Costs   template.HTML
		Clouds  template.HTML
		Diagram template.HTML
		Pools   [][]string
		CashOut string
		Consol  string
	}{P: p, Pools: poolRows(p), CashOut: cashOut(p), Consol: consolidationLine(p), Costs: barChart(p.Totals.ByWorkload, "Monthly cost by workload"), Clouds: barChart(append(p.Totals.ByCategory, p.Totals.ByCloud...), "Monthly cost by component and by cloud")}
	if p.Blueprint != nil {
		data.Diagram = template.HTML(p.Blueprint.SVG())
	}
	for i := range p.Workloads {
		wl := &p.Workloads[i]
		r := htmlRow{W: wl, Headline: Headline(wl), Cost: cost(wl)}
		if wl.Choice != nil {
			r.Choice = wl.Choice.Summary
			if wl.Choice.HourlyReplicas != nil {
				r.Replicas = replicaChart(wl.Choice.HourlyReplicas)
			}
		}
		if len(wl.Frontier) > 1 || len(wl.Alternatives) > 0 {
			r.Frontier = frontierChart(wl)
		}
		for j := range wl.Alternatives {
			r.Alts = append(r.Alts, [3]string{wl.Alternatives[j].Summary, optCost(&wl.Alternatives[j]), search.Why(wl.Choice, &wl.Alternatives[j])})
		}
		r.BreakEven = wl.APIBreakEvenRPS
		data.Rows = append(data.Rows, r)
	}
	if err := page.Execute(w, data); err != nil {
		fmt.Fprintf(w, "<!-- render error: %s -->", template.HTMLEscapeString(err.Error()))
	}
}

type htmlRow struct {
	W                      *plan.Workload
	Choice, Headline, Cost string
	Replicas, Frontier     template.HTML
	Alts                   [][3]string
	BreakEven              float64
}

func esc(s string) string { return template.HTMLEscapeString(s) }

func barChart(items []plan.Amount, title string) template.HTML {
	if len(items) == 0 {
		return ""
	}
	maxV := 0.0
	for _, a := range items {
		maxV = math.Max(maxV, a.MonthlyUSD)
	}
	if maxV == 0 {
		maxV = 1
	}
	const bw, rowH, left = 420.0, 22, 170
	h := len(items)*rowH + 34
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" role="img" aria-label="%s"><text x="0" y="14" class="t">%s</text>`, int(left+bw+90), h, esc(title), esc(title))
	for i, a := range items {
		y := 24 + i*rowH
		wd := a.MonthlyUSD / maxV * bw
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="l" text-anchor="end">%s</text><rect x="%d" y="%d" width="%.1f" height="%d" class="bar"/><text x="%.1f" y="%d" class="v">%s</text>`,
			left-6, y+14, esc(a.Key), left, y+2, math.Max(wd, 1), rowH-6, float64(left)+wd+4, y+14, esc(USD(a.MonthlyUSD)))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func replicaChart(r *[24]int) template.HTML {
	maxR := 1
	for _, v := range r {
		maxR = max(maxR, v)
	}
	const w, h, pad = 480.0, 120.0, 24.0
	bw := (w - pad) / 24
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" role="img" aria-label="replicas per hour"><text x="0" y="12" class="t">Replicas per hour (weekday)</text>`, int(w), int(h+18))
	for i, v := range r {
		bh := float64(v) / float64(maxR) * (h - 30)
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" class="bar"><title>%02d:00 %d replicas</title></rect>`, pad+float64(i)*bw, h-bh, bw-2, bh, i, v)
		if i%6 == 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="l">%02dh</text>`, pad+float64(i)*bw, h+14, i)
		}
	}
	fmt.Fprintf(&b, `<text x="0" y="%.1f" class="l">%d</text></svg>`, 30.0, maxR)
	return template.HTML(b.String())
}

// frontierChart plots cost against latency for the chosen option, its
// alternatives and the Pareto frontier (log-scaled axes).
func frontierChart(wl *plan.Workload) template.HTML {
	type pt struct {
		x, y  float64
		kind  string
		label string
	}
	var pts []pt
	add := func(o *search.Option, kind string) {
		c := o.MonthlyUSD + o.OneOffUSD
		if o.LatencyMs <= 0 || c <= 0 {
			return
		}
		pts = append(pts, pt{o.LatencyMs, c, kind, o.Summary})
	}
	for i := range wl.Alternatives {
		add(&wl.Alternatives[i], "alt")
	}
	for i := range wl.Frontier {
		add(&wl.Frontier[i], "front")
	}
	if wl.Choice != nil {
		add(wl.Choice, "choice")
	}
	if len(pts) < 2 {
		return ""
	}
	minX, maxX, minY, maxY := math.Inf(1), 0.0, math.Inf(1), 0.0
	for _, p := range pts {
		minX, maxX = math.Min(minX, p.x), math.Max(maxX, p.x)
		minY, maxY = math.Min(minY, p.y), math.Max(maxY, p.y)
	}
	lx := func(v float64) float64 { return math.Log10(v) }
	spanX := math.Max(lx(maxX)-lx(minX), 0.05)
	spanY := math.Max(lx(maxY)-lx(minY), 0.05)
	const W, H, L, B = 480.0, 240.0, 56.0, 30.0
	px := func(v float64) float64 { return L + (lx(v)-lx(minX))/spanX*(W-L-14) }
	py := func(v float64) float64 { return H - B - (lx(v)-lx(minY))/spanY*(H-B-20) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" role="img" aria-label="cost versus latency"><text x="0" y="12" class="t">Cost vs latency (log scales; chosen in orange)</text>`, int(W), int(H))
	fmt.Fprintf(&b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" class="ax"/><line x1="%.0f" y1="20" x2="%.0f" y2="%.0f" class="ax"/>`, L, H-B, W-10, H-B, L, L, H-B)
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" class="l">%s</text><text x="%.0f" y="%.0f" class="l" text-anchor="end">%s</text>`, L, H-B+16, esc(fmtLat(minX)), W-10, H-B+16, esc(fmtLat(maxX)))
	fmt.Fprintf(&b, `<text x="2" y="%.0f" class="l">%s</text><text x="2" y="28" class="l">%s</text>`, H-B, esc(USD(minY)), esc(USD(maxY)))
	for _, p := range pts {
		r, cls := 4.0, "alt"
		switch p.kind {
		case "front":
			cls = "front"
		case "choice":
			r, cls = 7, "choice"
		}
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="%.0f" class="%s"><title>%s: %s, %s</title></circle>`, px(p.x), py(p.y), r, cls, esc(p.label), esc(USD(p.y)), esc(fmtLat(p.x)))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func fmtLat(ms float64) string {
	switch {
	case ms >= 3.6e6:
		return fmt.Sprintf("%.1f h", ms/3.6e6)
	case ms >= 6e4:
		return fmt.Sprintf("%.0f min", ms/6e4)
	case ms >= 1e4:
		return fmt.Sprintf("%.0f s", ms/1e3)
	}
	return fmt.Sprintf("%.0f ms", ms)
}

var page = template.Must(template.New("page").Funcs(template.FuncMap{"usd": USD, "counts": countsLine, "detail": func(r compliance.Row) string { return rowDetail(&r) }, "stclass": func(s string) string { return strings.ReplaceAll(s, " ", "-") }}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>aiplan: {{.P.Name}}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1100px;color:#1d2330;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #dde2ea;padding-bottom:.2rem}
.kpi{display:flex;gap:1rem;flex-wrap:wrap;margin:1rem 0}.kpi div{background:#f3f6fb;border-radius:8px;padding:.6rem 1rem}.kpi b{display:block;font-size:1.3rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #e8ecf2;vertical-align:top}th{background:#f7f9fc}
.over{color:#b3261e;font-weight:600}.ok{color:#1b7f3b;font-weight:600}.warn li{color:#8a5300}
svg .t{font-weight:600;font-size:12px}svg .l,svg .v{font-size:11px;fill:#3b4558}svg .bar{fill:#4a78c2}svg .ax{stroke:#9aa5b8}
svg .alt{fill:#9fb3d6}svg .front{fill:#4a78c2}svg .choice{fill:#e8770e;stroke:#7a3a00}
.charts{display:flex;gap:2rem;flex-wrap:wrap}.diagram{overflow-x:auto;border:1px solid #e8ecf2;border-radius:8px;padding:.5rem}
.st-tooling-present{color:#1b7f3b;font-weight:600}.st-process-required,.part{color:#8a5300;font-weight:600}.st-gap{color:#b3261e;font-weight:600}.st-not-applicable{color:#5b6578}details{margin:.4rem 0}small{color:#5b6578}
</style></head><body>
<h1>Plan: {{.P.Name}}</h1>
<small>aiplan plan format {{.P.FormatVersion}} · {{.P.Evaluated}} candidates evaluated</small>
<div class="kpi"><div>Monthly<b>{{usd .P.Totals.MonthlyUSD}}</b></div><div>One-off<b>{{usd .P.Totals.OneOffUSD}}</b></div><div>First year<b>{{usd .P.Totals.FirstYearUSD}}</b></div><div>GPUs at peak<b>{{.P.PeakGPUs}}</b></div>
{{with .P.Budget}}<div>Budget {{usd .LimitUSD}}<b>{{if .Within}}<span class="ok">within</span>{{else}}<span class="over">over by {{usd .OverrunUSD}}</span>{{end}}</b></div>{{end}}</div>
<h2>Workloads</h2>
<table><tr><th>Workload</th><th>Type</th><th>Choice</th><th>Predicted</th><th>Cost</th></tr>
{{range .Rows}}<tr><td>{{.W.Workload}}</td><td>{{.W.Type}}</td><td>{{if .Choice}}{{.Choice}}{{else}}<span class="over">no feasible configuration</span>{{end}}</td><td>{{.Headline}}</td><td>{{.Cost}}</td></tr>
{{end}}</table>
<p>{{.CashOut}}.{{if .Consol}} {{.Consol}}.{{end}}</p>
{{if .Pools}}<h2>Node pools</h2><table><tr><th>Pool</th><th>Pricing</th><th>Workloads</th><th>Per hour</th><th>Utilisation</th><th>Cost</th></tr>{{range .Pools}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{end}}</table>{{end}}
<h2>Cost</h2><div class="charts">{{.Costs}}{{.Clouds}}</div>
{{range .Rows}}<h2>{{.W.Workload}} <small>{{.W.Type}}</small></h2>
{{if .Choice}}<p><b>Chosen:</b> {{.Choice}} — {{.Headline}}, {{.Cost}}.</p>
<table><tr><th>Line item</th><th>Quantity</th><th>Unit price</th><th>USD</th><th>Price as of</th></tr>{{range .W.Choice.Components}}<tr><td>{{.Name}}{{if .Sunk}} <small>(sunk)</small>{{end}}</td><td>{{printf "%.1f" .Quantity}} {{.Unit}}</td><td>{{printf "%.4g" .UnitUSD}}</td><td>{{printf "%.0f" .MonthlyUSD}}</td><td>{{.AsOf}}</td></tr>{{end}}</table>{{end}}
{{if .BreakEven}}<p>Per-token API vs self-hosting break-even: about {{printf "%.2f" .BreakEven}} requests/s at peak (the API is cheaper below).</p>{{end}}
<div class="charts">{{.Replicas}}{{.Frontier}}</div>
{{if .Alts}}<details><summary>Alternatives and why each lost ({{len .Alts}})</summary><table>{{range .Alts}}<tr><td>{{index . 0}}</td><td>{{index . 1}}</td><td>{{index . 2}}</td></tr>{{end}}</table></details>{{end}}
{{if .W.Rejected}}<details><summary>Rejected candidates ({{len .W.Rejected}})</summary><table>{{range .W.Rejected}}<tr><td>{{.Summary}}</td><td>{{.Rejected}}</td></tr>{{end}}</table></details>{{end}}
{{range .W.Notes}}<p><small>{{.}}</small></p>{{end}}
{{end}}
{{with .P.Blueprint}}<h2>Architecture</h2>
<p>Primary cloud <b>{{.PrimaryCloud}}</b> · regions {{range $i, $r := .Regions}}{{if $i}}, {{end}}{{$r}}{{end}} · {{.Managed}} · platform tooling {{usd .MonthlyUSD}}/month</p>
<div class="diagram">{{$.Diagram}}</div>
<details open><summary>Components, why each was chosen, and what it beat ({{len .Components}})</summary><table><tr><th>Layer</th><th>Component</th><th>Why</th><th>Instead of</th><th>USD/mo</th></tr>
{{range .Components}}<tr><td>{{.Layer}}</td><td>{{.Name}}{{if .Managed}} <small>(managed)</small>{{end}}</td><td>{{.Reason}}</td><td>{{range .Alternatives}}{{.Name}}: <small>{{.WhyNot}}</small><br>{{end}}</td><td>{{printf "%.0f" .MonthlyUSD}}</td></tr>{{end}}</table></details>
<h2>Rollout roadmap</h2><ol class="road">{{range .Roadmap}}<li><b>{{.Name}}</b>: {{range $i, $c := .Components}}{{if $i}}, {{end}}{{$c}}{{end}}{{if .DependsOn}} <small>after phase {{range $i, $d := .DependsOn}}{{if $i}} and {{end}}{{$d}}{{end}}</small>{{end}}{{if .Unblocks}} <small>→ unblocks {{range $i, $u := .Unblocks}}{{if $i}}, {{end}}{{$u}}{{end}}</small>{{end}}</li>{{end}}</ol>
{{end}}
{{with .P.Compliance}}{{if .Rows}}<h2>Compliance: {{range $i, $r := .Regimes}}{{if $i}}, {{end}}{{$r.ID}}{{end}}</h2>
<p><b>{{.Disclaimer}}</b></p>
<p>Assessed as of {{.AssessedOn}}: {{counts .Counts}}</p>
<table><tr><th>Regime</th><th>Edition</th><th>Official reference</th><th>As of</th><th>Counts</th></tr>
{{range .Regimes}}<tr><td>{{.Name}}</td><td><small>{{.Edition}}</small></td><td><small>{{.Reference}} · {{.URL}}</small></td><td>{{.AsOf}}</td><td><small>{{counts .Counts}}</small></td></tr>{{end}}</table>
{{range .Imposed}}<p><small>Imposed on the search: {{.}}</small></p>{{end}}
{{if .Systems}}<table><tr><th>AI system</th><th>Type</th><th>Risk class</th><th>Role</th><th>GPAI provider</th></tr>{{range .Systems}}<tr><td>{{.Workload}}</td><td>{{.Type}}</td><td>{{.RiskClass}}</td><td>{{.Role}}</td><td><small>{{if .GPAIReason}}{{.GPAIProvider}}: {{.GPAIReason}}{{else}}-{{end}}</small></td></tr>{{end}}</table>{{end}}
{{if .Holders}}<details><summary>Components holding regulated data ({{len .Holders}})</summary><table><tr><th>Component</th><th>Stores or moves</th><th>Kind</th><th>Data</th></tr>{{range .Holders}}<tr><td>{{.Name}}</td><td>{{.Data}}</td><td>{{.Store}}</td><td>{{range $i, $h := .Holds}}{{if $i}}, {{end}}{{$h}}{{end}}</td></tr>{{end}}</table></details>{{end}}
<table><tr><th>Control</th><th>Clause</th><th>Kind</th><th>Status</th><th>Components</th><th>Detail</th></tr>
{{range .Rows}}<tr><td>{{.Title}}</td><td><small>{{.Clause}}</small></td><td><small>{{.Kind}}</small></td><td class="st-{{stclass .Status}}">{{.Status}}{{if .Upcoming}}<br><small>applies from {{.AppliesFrom}}</small>{{end}}</td><td><small>{{range $i, $b := .By}}{{if $i}}, {{end}}{{$b}}{{end}}</small></td><td><small>{{detail .}}</small></td></tr>{{end}}</table>{{end}}{{end}}
{{if .P.Exports}}<h2>Exported files</h2><ul>{{range .P.Exports}}<li><a href="{{.}}">{{.}}</a></li>{{end}}</ul>{{end}}
{{if .P.Warnings}}<h2>Warnings</h2><ul class="warn">{{range .P.Warnings}}<li>{{.}}</li>{{end}}</ul>{{end}}
<h2>Assumptions</h2><ul>{{range .P.Assumptions}}<li>{{.}}</li>{{end}}</ul>
</body></html>
`))
