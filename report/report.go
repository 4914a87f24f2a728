// Package report renders a plan.Plan: a terminal summary, JSON, Markdown and
// a self-contained HTML page with inline SVG charts. Every renderer reads the
// same model and returns bytes; output is deterministic.
package report

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"

	"github.com/aiplan-dev/aiplan/plan"
	"github.com/aiplan-dev/aiplan/search"
)

// Formats lists the renderers.
var Formats = []string{"table", "json", "md", "html"}

// Render writes the plan in one format.
func Render(p *plan.Plan, format string) ([]byte, error) {
	var b bytes.Buffer
	if err := Write(&b, p, format); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// USD formats dollars for people.
func USD(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("$%.2fM", v/1e6)
	case v >= 1e4:
		return fmt.Sprintf("$%.1fk", v/1e3)
	case v > 0 && v < 0.5:
		return "<$1" // a cost that rounds to nothing is not "$0"
	default:
		return fmt.Sprintf("$%.0f", v)
	}
}

// Headline is a workload's key predicted figure.
func Headline(w *plan.Workload) string {
	c := w.Choice
	if c == nil {
		return "-"
	}
	m := c.Metrics
	switch {
	case m.TTFTP99Ms > 0:
		return fmt.Sprintf("TTFT p99 %.0f ms, TPOT p99 %.0f ms", m.TTFTP99Ms, m.TPOTP99Ms)
	case m.LatencyP99Ms > 0:
		return fmt.Sprintf("p99 %.1f ms, %.0f/s per replica", m.LatencyP99Ms, c.CapacityPerReplica)
	case m.GPUHours > 0:
		return fmt.Sprintf("%.1f h wall, %.0f GPU-h, MFU %.0f%%", m.WallHours, m.GPUHours, m.MFU*100)
	case m.WallHours > 0 && m.TokensPerSecond > 0:
		// A batch job's busy time per replica each day, in a unit that
		// does not round a short job to "0.0 h/day", at one replica's rate.
		return fmt.Sprintf("%s/day at %.0f output tok/s per replica", duration(m.WallHours*3.6e6), m.TokensPerSecond)
	case m.SamplesPerSecond > 0:
		return fmt.Sprintf("%.0f docs/s indexing", m.SamplesPerSecond)
	}
	return "-"
}

func cost(w *plan.Workload) string {
	if w.Choice == nil {
		return "-"
	}
	if w.MonthlyUSD == 0 && w.OneOffUSD > 0 {
		return USD(w.OneOffUSD) + " once"
	}
	return USD(w.MonthlyUSD) + "/mo"
}

// Table writes the terminal summary: one line per workload, totals, warnings.
func Table(w io.Writer, p *plan.Plan) {
	fmt.Fprintf(w, "Plan %s: %d workloads, %d candidates evaluated\n\n", p.Name, len(p.Workloads), p.Evaluated)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WORKLOAD\tTYPE\tCHOICE\tPREDICTED\tCOST")
	for i := range p.Workloads {
		wl := &p.Workloads[i]
		choice := "no feasible configuration"
		if wl.Choice != nil {
			choice = wl.Choice.Summary
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", wl.Workload, wl.Type, choice, Headline(wl), cost(wl))
	}
	tw.Flush()
	fmt.Fprintf(w, "\nTotal: %s/month", USD(p.Totals.MonthlyUSD))
	if p.Totals.OneOffUSD > 0 {
		fmt.Fprintf(w, " + %s one-off", USD(p.Totals.OneOffUSD))
	}
	fmt.Fprintf(w, " (first year %s)\n", USD(p.Totals.FirstYearUSD))
	fmt.Fprintln(w, cashOut(p))
	var parts []string
	for _, a := range p.Totals.ByCategory {
		parts = append(parts, fmt.Sprintf("%s %s", a.Key, USD(a.MonthlyUSD)))
	}
	if len(parts) > 0 {
		fmt.Fprintf(w, "By component: %s\n", strings.Join(parts, ", "))
	}
	if b := p.Budget; b != nil {
		if b.Within {
			fmt.Fprintf(w, "Budget: within %s/month of new spending (%.0f%% used)\n", USD(b.LimitUSD), b.MonthlyUSD/b.LimitUSD*100)
		} else {
			fmt.Fprintf(w, "Budget: OVER by %s/month (%s of %s)\n", USD(b.OverrunUSD), USD(b.MonthlyUSD), USD(b.LimitUSD))
		}
	}
	if s := consolidationLine(p); s != "" {
		fmt.Fprintln(w, s)
	}
	poolTable(w, p)
	complianceLine(w, p)
	if len(p.Warnings) > 0 {
		fmt.Fprintln(w, "\nWarnings:")
		for _, s := range p.Warnings {
			fmt.Fprintf(w, "  - %s\n", s)
		}
	}
	fmt.Fprintln(w, "\nRun with --explain WORKLOAD for the alternatives and why each lost, -o md|html|json for a report.")
}

// Explain writes one workload's decision in detail.
func Explain(w io.Writer, p *plan.Plan, name string) error {
	var wl *plan.Workload
	var names []string
	for i := range p.Workloads {
		names = append(names, p.Workloads[i].Workload)
		if p.Workloads[i].Workload == name {
			wl = &p.Workloads[i]
		}
	}
	if wl == nil {
		return fmt.Errorf("no workload %q in plan %s; workloads: %s", name, p.Name, strings.Join(names, ", "))
	}
	fmt.Fprintf(w, "%s (%s): %d candidates evaluated\n\n", wl.Workload, wl.Type, wl.Evaluated)
	if c := wl.Choice; c != nil {
		fmt.Fprintf(w, "Chosen: %s\n  %s; %s\n", c.Summary, Headline(wl), cost(wl))
		for _, comp := range c.Components {
			fmt.Fprintf(w, "    %-58s %12.1f %-16s x %-9.4g = %s%s\n", comp.Name, comp.Quantity, comp.Unit, comp.UnitUSD, USD(comp.MonthlyUSD), lineNote(comp))
		}
	}
	if wl.APIBreakEvenRPS > 0 {
		fmt.Fprintf(w, "  per-token API vs self-hosting break-even: about %.2f requests/s at peak (API cheaper below)\n", wl.APIBreakEvenRPS)
	}
	if len(wl.Alternatives) > 0 {
		fmt.Fprintln(w, "\nAlternatives (feasible, lost on cost):")
		tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		for i := range wl.Alternatives {
			a := &wl.Alternatives[i]
			fmt.Fprintf(tw, "  %s\t%s\t%s%s\n", a.Summary, optCost(a), search.Why(wl.Choice, a), addsCloud(p, a))
		}
		tw.Flush()
	}
	if len(wl.Frontier) > 1 {
		fmt.Fprintln(w, "\nCost vs latency frontier:")
		for i := range wl.Frontier {
			f := &wl.Frontier[i]
			fmt.Fprintf(w, "  %-10s %s  %s\n", optCost(f), latency(f), f.Summary)
		}
	}
	if len(wl.Rejected) > 0 {
		fmt.Fprintln(w, "\nRejected (cheapest per constraint):")
		for i := range wl.Rejected {
			r := &wl.Rejected[i]
			fmt.Fprintf(w, "  %s\n    -> %s\n", r.Summary, r.Rejected)
		}
	}
	for _, n := range wl.Notes {
		fmt.Fprintf(w, "\nNote: %s\n", n)
	}
	return nil
}

func optCost(o *search.Option) string {
	if o.MonthlyUSD == 0 && o.OneOffUSD > 0 {
		return USD(o.OneOffUSD) + " once"
	}
	return USD(o.MonthlyUSD) + "/mo"
}

// latency gives a duration in the unit that reads: one frontier showed
// "5.7 h" beside "3105357 ms" (52 minutes).
func latency(o *search.Option) string { return duration(o.LatencyMs) }

// duration formats milliseconds in the unit that reads.
func duration(ms float64) string {
	switch {
	case ms >= 3.6e6:
		return fmt.Sprintf("%.1f h", ms/3.6e6)
	case ms >= 6e4:
		return fmt.Sprintf("%.1f min", ms/6e4)
	case ms >= 1e4:
		return fmt.Sprintf("%.1f s", ms/1e3)
	}
	return fmt.Sprintf("%.0f ms", math.Round(ms))
}
