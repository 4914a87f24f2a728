package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	costpkg "github.com/aiplan-dev/aiplan/cost"
	"github.com/aiplan-dev/aiplan/placement"
	"github.com/aiplan-dev/aiplan/plan"
	"github.com/aiplan-dev/aiplan/search"
	"github.com/aiplan-dev/aiplan/spec"
)

// cashOut is the line that sets new spending beside the full cost.
func cashOut(p *plan.Plan) string {
	t := p.Totals
	if t.SunkUSD == 0 {
		return fmt.Sprintf("Cash out (new spending): %s/month; nothing owned or committed", USD(t.CashOutUSD))
	}
	return fmt.Sprintf("Cash out (new spending): %s/month; sunk (owned hardware, commitments): %s/month; full cost of ownership: %s/month", USD(t.CashOutUSD), USD(t.SunkUSD), USD(t.MonthlyUSD))
}

// poolName names a node pool for people.
func poolName(pl *placement.Pool) string {
	switch {
	case pl.OnPrem != "":
		return fmt.Sprintf("on-prem %s (%d x %s)", pl.OnPrem, pl.Owned, pl.Accelerator)
	case pl.Commitment != "":
		return fmt.Sprintf("%s %s %s (%d committed)", pl.Cloud, pl.InstanceType, pl.Region, pl.Owned)
	}
	return fmt.Sprintf("%s %s %s", pl.Cloud, pl.InstanceType, pl.Region)
}

// nodesPerHour summarises the instances running each hour.
func nodesPerHour(pl *placement.Pool) string {
	unit := "instances"
	if pl.OnPrem != "" {
		unit = "GPUs serving"
	}
	s := fmt.Sprintf("%d-%d %s", pl.MinNodes, pl.PeakNodes, unit)
	if pl.MinNodes == pl.PeakNodes {
		if pl.PeakNodes == 1 {
			unit = strings.Replace(strings.Replace(unit, "instances", "instance", 1), "GPUs", "GPU", 1)
		}
		s = fmt.Sprintf("%d %s", pl.PeakNodes, unit)
	}
	if pl.JobGPUs > 0 {
		s += fmt.Sprintf(" + %d held by jobs while they run", pl.JobGPUs)
	}
	return s
}

// poolRows are the node pool lines shared by the renderers.
func poolRows(p *plan.Plan) [][]string {
	if p.Placement == nil {
		return nil
	}
	var out [][]string
	for i := range p.Placement.Pools {
		pl := &p.Placement.Pools[i]
		c := USD(pl.MonthlyUSD) + "/mo"
		if pl.SunkUSD > 0 {
			c += " + " + USD(pl.SunkUSD) + " sunk"
		}
		out = append(out, []string{poolName(pl), string(pl.Pricing), strings.Join(pl.Workloads, ", "), nodesPerHour(pl), fmt.Sprintf("%.0f%%", pl.Utilisation*100), c})
	}
	// Cloud capacity placement did not pool (jobs, and options it prices
	// on their own) still becomes node groups in the export: list it too,
	// so the table shows every group of instances the plan buys.
	pooled := map[string]bool{}
	for i := range p.Placement.Pools {
		for _, w := range p.Placement.Pools[i].Workloads {
			pooled[w] = true
		}
	}
	for i := range p.Workloads {
		w := &p.Workloads[i]
		o := w.Choice
		if pooled[w.Workload] || !o.OnCloudNodes() {
			continue
		}
		out = append(out, []string{fmt.Sprintf("%s %s %s", o.Cloud, o.Instance, o.Region), string(o.Pricing), w.Workload, standaloneInstances(w), "-", USD(o.MonthlyUSD) + "/mo"})
	}
	return out
}

// standaloneInstances says how many instances an unpooled option runs: a
// job's for the length of each run, an endpoint's at peak.
func standaloneInstances(w *plan.Workload) string {
	o := w.Choice
	n := o.PeakInstances()
	unit := "instances"
	if n == 1 {
		unit = "instance"
	}
	switch {
	case w.Type == spec.Training || w.Type == spec.FineTuning || w.Type == spec.BatchInference:
		return fmt.Sprintf("%d %s while each run lasts", n, unit)
	case w.Type == spec.Embeddings || o.ReplicasMin == o.ReplicasMax:
		return fmt.Sprintf("%d %s", n, unit) // always on: query encoders, fixed replicas
	}
	return fmt.Sprintf("up to %d %s", n, unit)
}

// consolidationLine says what running on one cloud would save or cost.
func consolidationLine(p *plan.Plan) string {
	if p.Placement == nil || len(p.Placement.Consolidation) == 0 {
		return ""
	}
	hosts := map[string]bool{}
	for i := range p.Workloads {
		if o := p.Workloads[i].Choice; o != nil && o.Cloud != "" {
			hosts[o.Cloud] = true
		}
	}
	var inUse, named []string
	for _, c := range p.Placement.Clouds {
		if c.Cloud != "" {
			inUse = append(inUse, c.Cloud)
			n := c.Cloud
			if c.Primary && !hosts[c.Cloud] {
				// No workload runs there: it is the platform's home (a
				// hyperscaler's managed services), which is why it counts.
				n += ": the platform only"
			}
			named = append(named, n)
		}
	}
	var parts []string
	for _, c := range p.Placement.Consolidation {
		if len(hosts) == 1 && hosts[c.Cloud] && c.Elsewhere == 0 {
			continue // every workload is there already: "all on aws costs the same" said nothing
		}
		s := ""
		switch {
		case c.DeltaUSD > 0.5:
			s = fmt.Sprintf("all on %s would cost %s/month more", c.Cloud, USD(c.DeltaUSD))
		case c.DeltaUSD < -0.5:
			s = fmt.Sprintf("all on %s would save %s/month", c.Cloud, USD(-c.DeltaUSD))
		default:
			s = fmt.Sprintf("all on %s costs the same", c.Cloud)
		}
		if c.Elsewhere > 0 {
			s += fmt.Sprintf(" (%d workload(s) have no option there)", c.Elsewhere)
		}
		parts = append(parts, s)
	}
	head := fmt.Sprintf("Clouds: %d in use", len(inUse))
	if len(inUse) > 0 {
		head += " (" + strings.Join(named, ", ") + ")"
	}
	if len(parts) == 0 {
		return head
	}
	return head + "; " + strings.Join(parts, "; ")
}

// poolTable writes the node pools for the terminal.
func poolTable(w io.Writer, p *plan.Plan) {
	rows := poolRows(p)
	if len(rows) == 0 {
		return
	}
	fmt.Fprintln(w, "\nNode pools:")
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  POOL\tPRICING\tWORKLOADS\tPER HOUR\tUTILISATION\tCOST")
	for _, r := range rows {
		fmt.Fprintf(tw, "  %s\n", strings.Join(r, "\t"))
	}
	tw.Flush()
}

// asOf is a priced line's date, or a dash.
func asOf(c costpkg.Component) string {
	if c.AsOf == "" {
		return "-"
	}
	return c.AsOf
}

// lineNote marks sunk lines and gives the price's date.
func lineNote(c costpkg.Component) string {
	s := ""
	if c.Sunk {
		s = " (sunk)"
	}
	switch {
	case strings.HasPrefix(c.AsOf, "undated"):
		// "price as of undated (...)" read as a date.
		s += "  [price " + c.AsOf + "]"
	case c.AsOf != "":
		s += "  [price as of " + c.AsOf + "]"
	}
	return s
}

// addsCloud notes when an alternative runs on a cloud the plan does not use.
func addsCloud(p *plan.Plan, o *search.Option) string {
	if p.Placement == nil || o.Cloud == "" || o.Instance == "" || o.OnPrem != "" || o.Pricing == costpkg.API || o.Pricing == costpkg.Serverless {
		return ""
	}
	for _, c := range p.Placement.Clouds {
		if c.Cloud == o.Cloud {
			return ""
		}
	}
	return "; would add cloud " + o.Cloud
}
