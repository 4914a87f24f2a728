package report

import (
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/aiplan-dev/aiplan/plan"
	"github.com/aiplan-dev/aiplan/search"
)

// mdEscape makes text safe in a Markdown paragraph or table cell: HTML is
// shown, not interpreted (&, <, > as entities), Markdown markup characters
// are backslash-escaped, and line breaks and other control characters
// become spaces so no text can end a table row or start a block.
func mdEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case strings.ContainsRune("\\`*_[]|#!~", r):
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 || r == 0x2028 || r == 0x2029:
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// mdList escapes and joins.
func mdList(list []string, sep string) string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = mdEscape(s)
	}
	return strings.Join(out, sep)
}

// Markdown writes the full report.
func Markdown(w io.Writer, p *plan.Plan) {
	fmt.Fprintf(w, "# Plan: %s\n\n", mdEscape(p.Name))
	fmt.Fprintf(w, "**Monthly cost:** %s", USD(p.Totals.MonthlyUSD))
	if p.Totals.OneOffUSD > 0 {
		fmt.Fprintf(w, " + %s one-off", USD(p.Totals.OneOffUSD))
	}
	fmt.Fprintf(w, " · **first year:** %s · **GPUs at peak:** %d · %d candidates evaluated\n\n", USD(p.Totals.FirstYearUSD), p.PeakGPUs, p.Evaluated)
	if b := p.Budget; b != nil {
		if b.Within {
			fmt.Fprintf(w, "Budget %s/month: **within** (%.0f%% used).\n\n", USD(b.LimitUSD), b.MonthlyUSD/b.LimitUSD*100)
		} else {
			fmt.Fprintf(w, "Budget %s/month: **over by %s**.\n\n", USD(b.LimitUSD), USD(b.OverrunUSD))
		}
	}
	fmt.Fprintf(w, "%s.\n\n", cashOut(p))
	if s := consolidationLine(p); s != "" {
		fmt.Fprintf(w, "%s.\n\n", mdEscape(s))
	}
	fmt.Fprint(w, "## Workloads\n\n")
	fmt.Fprintln(w, "| workload | type | choice | predicted | cost |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- |")
	for i := range p.Workloads {
		wl := &p.Workloads[i]
		choice := "no feasible configuration"
		if wl.Choice != nil {
			choice = wl.Choice.Summary
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", mdEscape(wl.Workload), mdEscape(wl.Type), mdEscape(choice), mdEscape(Headline(wl)), cost(wl))
	}
	if rows := poolRows(p); len(rows) > 0 {
		fmt.Fprint(w, "\n## Node pools\n\n")
		fmt.Fprintln(w, "| pool | pricing | workloads | per hour | utilisation | cost |")
		fmt.Fprintln(w, "| --- | --- | --- | --- | ---: | ---: |")
		for _, r := range rows {
			for i := range r {
				r[i] = mdEscape(r[i])
			}
			fmt.Fprintf(w, "| %s |\n", strings.Join(r, " | "))
		}
	}
	fmt.Fprint(w, "\n## Cost breakdown\n\n")
	fmt.Fprintln(w, "| component | USD/month |")
	fmt.Fprintln(w, "| --- | ---: |")
	for _, a := range p.Totals.ByCategory {
		fmt.Fprintf(w, "| %s | %.0f |\n", mdEscape(a.Key), a.MonthlyUSD)
	}
	fmt.Fprintln(w, "\n| cloud | USD/month |")
	fmt.Fprintln(w, "| --- | ---: |")
	for _, a := range p.Totals.ByCloud {
		fmt.Fprintf(w, "| %s | %.0f |\n", mdEscape(a.Key), a.MonthlyUSD)
	}
	for i := range p.Workloads {
		wl := &p.Workloads[i]
		fmt.Fprintf(w, "\n## %s (%s)\n\n", mdEscape(wl.Workload), mdEscape(wl.Type))
		if c := wl.Choice; c != nil {
			fmt.Fprintf(w, "**Chosen:** %s — %s, %s.\n\n", mdEscape(c.Summary), mdEscape(Headline(wl)), cost(wl))
			if len(c.Components) > 0 {
				fmt.Fprintln(w, "| line item | quantity | unit price | USD | price as of |")
				fmt.Fprintln(w, "| --- | ---: | ---: | ---: | --- |")
				for _, comp := range c.Components {
					fmt.Fprintf(w, "| %s | %.1f %s | %.4g | %.0f | %s |\n", mdEscape(comp.Name), comp.Quantity, mdEscape(comp.Unit), comp.UnitUSD, comp.MonthlyUSD, mdEscape(asOf(comp)))
				}
				fmt.Fprintln(w)
			}
		}
		if wl.APIBreakEvenRPS > 0 {
			fmt.Fprintf(w, "Per-token API vs self-hosting break-even: about %.2f requests/s at peak (the API is cheaper below).\n\n", wl.APIBreakEvenRPS)
		}
		if len(wl.Alternatives) > 0 {
			fmt.Fprint(w, "Alternatives:\n\n")
			for j := range wl.Alternatives {
				a := &wl.Alternatives[j]
				fmt.Fprintf(w, "- %s — %s: %s\n", mdEscape(a.Summary), optCost(a), mdEscape(search.Why(wl.Choice, a)))
			}
			fmt.Fprintln(w)
		}
		if len(wl.Rejected) > 0 {
			fmt.Fprint(w, "Rejected:\n\n")
			for j := range wl.Rejected {
				r := &wl.Rejected[j]
				fmt.Fprintf(w, "- %s — %s\n", mdEscape(r.Summary), mdEscape(r.Rejected))
			}
			fmt.Fprintln(w)
		}
		for _, n := range wl.Notes {
			fmt.Fprintf(w, "> %s\n\n", mdEscape(n))
		}
	}
	if bp := p.Blueprint; bp != nil {
		fmt.Fprint(w, "\n## Architecture\n\n")
		fmt.Fprintf(w, "Primary cloud **%s**; clouds %s; regions %s. Policy: %s.\n\n", mdEscape(bp.PrimaryCloud), mdList(bp.Clouds, ", "), mdList(bp.Regions, ", "), mdEscape(bp.Managed))
		fmt.Fprintf(w, "```mermaid\n%s```\n\n", bp.Mermaid())
		fmt.Fprintln(w, "| layer | component | why | instead of | USD/month |")
		fmt.Fprintln(w, "| --- | --- | --- | --- | ---: |")
		for _, c := range bp.Components {
			var alts []string
			for _, a := range c.Alternatives {
				alts = append(alts, a.Name+" ("+a.WhyNot+")")
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %.0f |\n", mdEscape(c.Layer), mdEscape(c.Name), mdEscape(c.Reason), mdEscape(strings.Join(alts, "; ")), c.MonthlyUSD)
		}
		fmt.Fprint(w, "\n## Rollout roadmap\n\n")
		for _, ph := range bp.Roadmap {
			fmt.Fprintf(w, "- **%s**: %s", mdEscape(ph.Name), mdList(ph.Components, ", "))
			if len(ph.DependsOn) > 0 {
				fmt.Fprintf(w, "; after phase %s", mdList(ph.DependsOn, " and "))
			}
			if len(ph.Unblocks) > 0 {
				fmt.Fprintf(w, "; unblocks %s", mdList(ph.Unblocks, ", "))
			}
			fmt.Fprintln(w)
		}
	}
	if cr := p.Compliance; cr != nil && len(cr.Rows) > 0 {
		complianceMarkdown(w, cr)
	}
	if len(p.Exports) > 0 {
		fmt.Fprint(w, "\n## Exported files\n\n")
		for _, e := range p.Exports {
			fmt.Fprintf(w, "- [%s](%s)\n", mdEscape(e), mdLink(e))
		}
	}
	if len(p.Warnings) > 0 {
		fmt.Fprint(w, "\n## Warnings\n\n")
		for _, s := range p.Warnings {
			fmt.Fprintf(w, "- %s\n", mdEscape(s))
		}
	}
	fmt.Fprint(w, "\n## Assumptions\n\n")
	for _, s := range p.Assumptions {
		fmt.Fprintf(w, "- %s\n", mdEscape(s))
	}
}

// mdLink is a relative link target: path characters kept, everything else
// percent-encoded.
func mdLink(p string) string {
	return (&url.URL{Path: p}).EscapedPath()
}
