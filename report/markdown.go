package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/aiplan-dev/aiplan/plan"
	"github.com/aiplan-dev/aiplan/search"
)

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", "\\|") }

// Markdown writes the full report.
func Markdown(w io.Writer, p *plan.Plan) {
	fmt.Fprintf(w, "# Plan: %s\n\n", p.Name)
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
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", mdEscape(wl.Workload), wl.Type, mdEscape(choice), Headline(wl), cost(wl))
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
		fmt.Fprintf(w, "| %s | %.0f |\n", a.Key, a.MonthlyUSD)
	}
	fmt.Fprintln(w, "\n| cloud | USD/month |")
	fmt.Fprintln(w, "| --- | ---: |")
	for _, a := range p.Totals.ByCloud {
		fmt.Fprintf(w, "| %s | %.0f |\n", a.Key, a.MonthlyUSD)
	}
	for i := range p.Workloads {
		wl := &p.Workloads[i]
		fmt.Fprintf(w, "\n## %s (%s)\n\n", wl.Workload, wl.Type)
		if c := wl.Choice; c != nil {
			fmt.Fprintf(w, "**Chosen:** %s — %s, %s.\n\n", mdEscape(c.Summary), Headline(wl), cost(wl))
			if len(c.Components) > 0 {
				fmt.Fprintln(w, "| line item | quantity | unit price | USD | price as of |")
				fmt.Fprintln(w, "| --- | ---: | ---: | ---: | --- |")
				for _, comp := range c.Components {
					fmt.Fprintf(w, "| %s | %.1f %s | %.4g | %.0f | %s |\n", mdEscape(comp.Name), comp.Quantity, comp.Unit, comp.UnitUSD, comp.MonthlyUSD, mdEscape(asOf(comp)))
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
				fmt.Fprintf(w, "- %s — %s: %s\n", mdEscape(a.Summary), optCost(a), search.Why(wl.Choice, a))
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
			fmt.Fprintf(w, "> %s\n\n", n)
		}
	}
	if bp := p.Blueprint; bp != nil {
		fmt.Fprint(w, "\n## Architecture\n\n")
		fmt.Fprintf(w, "Primary cloud **%s**; clouds %s; regions %s. Policy: %s.\n\n", bp.PrimaryCloud, strings.Join(bp.Clouds, ", "), strings.Join(bp.Regions, ", "), bp.Managed)
		fmt.Fprintf(w, "```mermaid\n%s```\n\n", bp.Mermaid())
		fmt.Fprintln(w, "| layer | component | why | instead of | USD/month |")
		fmt.Fprintln(w, "| --- | --- | --- | --- | ---: |")
		for _, c := range bp.Components {
			var alts []string
			for _, a := range c.Alternatives {
				alts = append(alts, a.Name+" ("+a.WhyNot+")")
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %.0f |\n", c.Layer, mdEscape(c.Name), mdEscape(c.Reason), mdEscape(strings.Join(alts, "; ")), c.MonthlyUSD)
		}
		fmt.Fprint(w, "\n## Rollout roadmap\n\n")
		for _, ph := range bp.Roadmap {
			fmt.Fprintf(w, "- **%s**: %s", ph.Name, strings.Join(ph.Components, ", "))
			if len(ph.DependsOn) > 0 {
				fmt.Fprintf(w, "; after phase %s", strings.Join(ph.DependsOn, " and "))
			}
			if len(ph.Unblocks) > 0 {
				fmt.Fprintf(w, "; unblocks %s", strings.Join(ph.Unblocks, ", "))
			}
			fmt.Fprintln(w)
		}
	}
	if cr := p.Compliance; cr != nil && len(cr.Rows) > 0 {
		fmt.Fprintf(w, "\n## Compliance: %s\n\n", strings.Join(cr.Regimes, ", "))
		fmt.Fprintf(w, "%d met, %d partially, %d gaps.\n\n", cr.Met, cr.Partial, cr.Gaps)
		for _, im := range cr.Imposed {
			fmt.Fprintf(w, "- Imposed on the search: %s\n", im)
		}
		fmt.Fprintln(w, "\n| control | clause | status | by | missing |")
		fmt.Fprintln(w, "| --- | --- | --- | --- | --- |")
		for _, r := range cr.Rows {
			fmt.Fprintf(w, "| %s | %s | **%s** | %s | %s |\n", mdEscape(r.Title), mdEscape(r.Clause), r.Status, mdEscape(strings.Join(r.By, "; ")), strings.Join(r.Missing, ", "))
		}
	}
	if len(p.Exports) > 0 {
		fmt.Fprint(w, "\n## Exported files\n\n")
		for _, e := range p.Exports {
			fmt.Fprintf(w, "- [%s](%s)\n", e, e)
		}
	}
	if len(p.Warnings) > 0 {
		fmt.Fprint(w, "\n## Warnings\n\n")
		for _, s := range p.Warnings {
			fmt.Fprintf(w, "- %s\n", s)
		}
	}
	fmt.Fprint(w, "\n## Assumptions\n\n")
	for _, s := range p.Assumptions {
		fmt.Fprintf(w, "- %s\n", s)
	}
}
