// Package plan drives the pipeline (workload file -> catalog -> search ->
// cost) and holds the one versioned result every renderer reads.
package plan

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/aiplan-dev/aiplan/blueprint"
	"github.com/aiplan-dev/aiplan/catalog"
	"github.com/aiplan-dev/aiplan/compliance"
	"github.com/aiplan-dev/aiplan/cost"
	"github.com/aiplan-dev/aiplan/placement"
	"github.com/aiplan-dev/aiplan/search"
	"github.com/aiplan-dev/aiplan/spec"
)

// FormatVersion of the Plan JSON.
const FormatVersion = "1"

// Plan is the planner's answer for one workload file.
type Plan struct {
	FormatVersion string               `json:"format_version"`
	Name          string               `json:"name"`
	Constraints   spec.Constraints     `json:"constraints"`
	Workloads     []Workload           `json:"workloads"`
	Totals        Totals               `json:"totals"`
	Budget        *Budget              `json:"budget,omitempty"`
	PeakGPUs      int                  `json:"peak_gpus"`
	Warnings      []string             `json:"warnings"`
	Assumptions   []string             `json:"assumptions"`
	Evaluated     int                  `json:"candidates_evaluated"`
	Blueprint     *blueprint.Blueprint `json:"blueprint"`
	Compliance    *compliance.Report   `json:"compliance"`
	// Placement holds the node pools the workloads pack into, the fixed
	// cost of each extra cloud, cross-cloud egress and what consolidating
	// on one cloud would save or cost.
	Placement *placement.Result `json:"placement"`
	// Exports lists files written by `aiplan export`, relative to the
	// report, so reports can link them.
	Exports []string   `json:"exports,omitempty"`
	Spec    *spec.File `json:"-"`
	// Catalog is the catalog the plan was built with (exports read vendor facts from it).
	Catalog *catalog.Catalog `json:"-"`
}

// Workload is one workload's decision.
type Workload struct {
	search.Result
	Spec       *spec.Workload `json:"-"`
	MonthlyUSD float64        `json:"monthly_usd"`
	OneOffUSD  float64        `json:"one_off_usd"`
}

// Amount is a labelled sum.
type Amount struct {
	Key        string  `json:"key"`
	MonthlyUSD float64 `json:"monthly_usd"`
}

// Totals are the plan's sums. Every list is sorted by key and adds up to
// MonthlyUSD.
type Totals struct {
	// MonthlyUSD is the full monthly cost of ownership: CashOutUSD + SunkUSD.
	MonthlyUSD float64 `json:"monthly_usd"`
	// CashOutUSD is new spending: cloud instances, power, burst, services.
	CashOutUSD float64 `json:"cash_out_usd"`
	// SunkUSD is owned hardware's amortised capex and fixed operations and
	// existing commitments: paid whatever the plan does.
	SunkUSD      float64  `json:"sunk_usd"`
	OneOffUSD    float64  `json:"one_off_usd"`
	FirstYearUSD float64  `json:"first_year_usd"`
	ByCategory   []Amount `json:"by_category"`
	ByCloud      []Amount `json:"by_cloud"`
	ByWorkload   []Amount `json:"by_workload"`
}

// Budget compares the monthly new spending (cash out) with the file's budget.
type Budget struct {
	LimitUSD   float64 `json:"limit_usd"`
	MonthlyUSD float64 `json:"monthly_usd"`
	OverrunUSD float64 `json:"overrun_usd"`
	Within     bool    `json:"within"`
}

// Options change how a plan is built.
type Options struct {
	// Now dates the plan: prices older than StaleAfterDays are flagged.
	Now time.Time
	// AllowFlaggedPrices lets the plan use prices the catalog flags as
	// anomalous, as constraints.allowFlaggedPrices does.
	AllowFlaggedPrices bool
}

// StaleAfterDays is the age beyond which a price is flagged as stale.
const StaleAfterDays = 90

// Infeasible lists the workloads with no configuration that meets every constraint.
func (p *Plan) Infeasible() []string {
	var out []string
	for _, w := range p.Workloads {
		if w.Choice == nil {
			out = append(out, w.Workload)
		}
	}
	return out
}

// Build plans every workload of a validated file, dated now.
func Build(f *spec.File, c *catalog.Catalog) *Plan {
	return BuildWith(f, c, Options{Now: time.Now()})
}

// BuildWith plans every workload of a validated file. It reads its inputs
// and never changes them.
func BuildWith(f *spec.File, c *catalog.Catalog, opt Options) *Plan {
	k := f.Constraints
	k.AllowFlaggedPrices = k.AllowFlaggedPrices || opt.AllowFlaggedPrices
	env := search.NewEnv(c, &k)
	p := &Plan{FormatVersion: FormatVersion, Name: f.Metadata.Name, Constraints: f.Constraints, Spec: f, Catalog: c}
	in := placement.Input{Constraints: &k, Catalog: c, Pricer: env.P, Hours: env.Hours, TeamSize: f.Metadata.TeamSize}
	for i := range f.Workloads {
		w := &f.Workloads[i]
		r := env.Search(w)
		p.Evaluated += r.Evaluated
		p.Workloads = append(p.Workloads, Workload{Result: r, Spec: w})
		in.Workloads = append(in.Workloads, placement.Workload{Spec: w, Options: r.Shortlist})
	}
	pl := placement.Place(in)
	p.Placement = pl
	// The shortlists served placement alone (pl.Options holds copies of the
	// options it chose): let them go, so a large plan holds only what its
	// reports print.
	in.Workloads = nil
	for i := range p.Workloads {
		p.Workloads[i].Shortlist = nil
	}
	cat := map[string]float64{}
	cloud := map[string]float64{}
	for i := range p.Workloads {
		wp := &p.Workloads[i]
		w := wp.Spec
		r := &wp.Result
		if o := pl.Options[i]; o != nil {
			if r.Choice != nil && identityOf(r.Choice) != identityOf(o) {
				// The standalone best stays visible as an alternative; the
				// placed choice is no longer one.
				alts := []search.Option{*r.Choice}
				for _, a := range r.Alternatives {
					if identityOf(&a) != identityOf(o) {
						alts = append(alts, a)
					}
				}
				r.Alternatives = alts
			}
			r.Choice = o
		}
		if r.Choice == nil {
			if w.Type != spec.Edge {
				p.Warnings = append(p.Warnings, fmt.Sprintf("%s: no configuration meets every constraint; see the rejected candidates (aiplan plan --explain %s)", w.Name, w.Name))
			} else {
				p.Warnings = append(p.Warnings, fmt.Sprintf("%s: the model does not fit or misses its latency on %s at any precision", w.Name, w.Device))
			}
			p.Totals.ByWorkload = append(p.Totals.ByWorkload, Amount{w.Name, 0})
			continue
		}
		ch := r.Choice
		addEgress(ch, w, env)
		wp.MonthlyUSD, wp.OneOffUSD = ch.MonthlyUSD, ch.OneOffUSD
		scale := 1.0
		if ch.MonthlyUSD == 0 && ch.OneOffUSD > 0 {
			scale = 0 // one-off: reported apart from the monthly totals
		}
		for _, comp := range ch.Components {
			if !comp.Sunk {
				cat[comp.Category] += comp.MonthlyUSD * scale
			}
		}
		key := ch.Cloud
		if key == "" {
			key = "(primary cloud)" // storage and pipelines live with the platform; resolved below
		}
		if ch.OnPrem != "" && !ch.Pricing.Bursts() {
			key = "on-prem"
		}
		cloud[key] += ch.MonthlyUSD
		if ch.Demand == nil {
			p.PeakGPUs += ch.PeakGPUs
		}
		if ch.Pricing == cost.Spot && w.SLO != nil {
			p.Warnings = append(p.Warnings, fmt.Sprintf("%s: runs on spot without an on-demand baseline because the file allows it (allowSpotForLatencyCritical)", w.Name))
		}
		for _, c := range ch.Caveats {
			p.Warnings = append(p.Warnings, w.Name+": "+c)
		}
		breakEven(wp)
		p.Totals.MonthlyUSD += wp.MonthlyUSD
		p.Totals.OneOffUSD += wp.OneOffUSD
		p.Totals.ByWorkload = append(p.Totals.ByWorkload, Amount{w.Name, wp.MonthlyUSD})
	}
	// Pools: GPUs at peak, and the sunk cost of owned capacity, whole.
	for _, pool := range pl.Pools {
		p.PeakGPUs += pool.PeakNodes*pool.GPUsPerNode + pool.JobGPUs
		key := pool.Cloud
		if pool.OnPrem != "" {
			key = "on-prem"
		}
		for _, comp := range pool.Components {
			if comp.Sunk {
				cat[comp.Category] += comp.MonthlyUSD
				cloud[key] += comp.MonthlyUSD
			}
		}
	}
	if pl.SunkUSD > 0 {
		p.Totals.ByWorkload = append(p.Totals.ByWorkload, Amount{"owned capacity and commitments (sunk)", pl.SunkUSD})
	}
	// Clouds beyond the primary, and data crossing between clouds.
	extra := 0.0
	for _, cc := range pl.Clouds {
		for _, comp := range cc.Components {
			cat[comp.Category] += comp.MonthlyUSD
			cloud[cc.Cloud] += comp.MonthlyUSD
			extra += comp.MonthlyUSD
		}
	}
	for _, comp := range pl.Egress {
		cat[comp.Category] += comp.MonthlyUSD
		cloud["cross-cloud"] += comp.MonthlyUSD
		extra += comp.MonthlyUSD
	}
	if extra > 0 {
		p.Totals.MonthlyUSD += extra
		p.Totals.ByWorkload = append(p.Totals.ByWorkload, Amount{"additional clouds and cross-cloud egress", extra})
	}
	p.Warnings = append(p.Warnings, pl.Warnings...)
	// The architecture around the workloads, and its tooling cost.
	var results []search.Result
	for _, w := range p.Workloads {
		results = append(results, w.Result)
	}
	p.Blueprint = blueprint.Design(blueprint.Input{File: f, Results: results, Pricer: env.P, Hours: env.Hours})
	if v, ok := cloud["(primary cloud)"]; ok {
		delete(cloud, "(primary cloud)")
		cloud[p.Blueprint.PrimaryCloud] += v
	}
	for _, comp := range p.Blueprint.Components {
		for _, line := range comp.Costs {
			cat[line.Category] += line.MonthlyUSD
			cloud[comp.Cloud] += line.MonthlyUSD
		}
	}
	if p.Blueprint.MonthlyUSD > 0 {
		p.Totals.MonthlyUSD += p.Blueprint.MonthlyUSD
		p.Totals.ByWorkload = append(p.Totals.ByWorkload, Amount{"platform (blueprint)", p.Blueprint.MonthlyUSD})
	}
	p.Compliance = compliance.AssessAt(c, f, p.Blueprint, opt.Now)
	p.Warnings = append(p.Warnings, p.Compliance.Warnings...)
	if p.Compliance.Gaps > 0 {
		p.Warnings = append(p.Warnings, fmt.Sprintf("compliance: %d control(s) with a gap; see the coverage matrix", p.Compliance.Gaps))
	}
	p.Totals.CashOutUSD = p.Totals.MonthlyUSD
	p.Totals.SunkUSD = pl.SunkUSD
	p.Totals.MonthlyUSD += pl.SunkUSD
	p.Totals.FirstYearUSD = 12*p.Totals.MonthlyUSD + p.Totals.OneOffUSD
	p.Totals.ByCategory = sorted(cat)
	p.Totals.ByCloud = sorted(cloud)
	sort.Slice(p.Totals.ByWorkload, func(i, j int) bool { return p.Totals.ByWorkload[i].Key < p.Totals.ByWorkload[j].Key })
	if b := f.Constraints.BudgetUSDPerMonth; b > 0 {
		spend := p.Totals.CashOutUSD
		p.Budget = &Budget{LimitUSD: b, MonthlyUSD: spend, OverrunUSD: math.Max(0, spend-b), Within: spend <= b}
		if !p.Budget.Within {
			p.Warnings = append(p.Warnings, fmt.Sprintf("budget: the plan's new spending is %.0f USD/month, %.0f over the %.0f budget (%.0f%%)", spend, p.Budget.OverrunUSD, b, p.Budget.OverrunUSD/b*100))
		}
	}
	if m := f.Constraints.MaxGPUs; m > 0 && p.PeakGPUs > m {
		p.Warnings = append(p.Warnings, fmt.Sprintf("capacity: %d GPUs at peak across workloads exceed maxGPUs %d", p.PeakGPUs, m))
	}
	plausibility(p)
	for _, miss := range env.P.MissingRates() {
		p.Warnings = append(p.Warnings, "missing price in the catalog: "+miss)
	}
	p.datePrices(env.P, opt.Now)
	p.Assumptions = []string{
		fmt.Sprintf("a month is %.0f hours; prices are catalog list prices with their as-of dates (see `aiplan catalog list instances` for sources)", env.Hours),
		fmt.Sprintf("replicas per hour = ceil(traffic x (1 + %.0f%% headroom) / capacity per replica at the SLO), clamped to the autoscaling bounds; with a scale-up delay, each hour is provisioned for the next hour's traffic too", env.Headroom*100),
		"p99 latencies come from a queueing model on the engine's predictions (M/M/1 tail on prefill), not from simulation",
		"capacity is bought in whole instances: each hour's replicas are packed onto instances (endpoints sharing a cloud, region, instance type and pricing mode share node pools) and every instance-hour is billed",
		"reserved pricing covers the instances needed every hour with the rest on demand; spot is the typical (median) spot price, and latency-critical endpoints run spot only above an on-demand baseline",
		"owned hardware and existing commitments serve first: their capex, fixed operations and commitment fees are sunk (in the full cost, not in cash out); power and burst beyond them are new spending",
		"each cloud beyond the primary adds its networking and the team's operations time; a RAG endpoint's retrieved context crossing clouds pays internet egress",
		"the budget is compared with cash out (new spending)",
	}
	// Prices imported with `aiplan catalog import` name their files.
	p.Assumptions = append(p.Assumptions, env.C.Assumptions()...)
	return p
}

func identityOf(o *search.Option) string {
	return fmt.Sprintf("%s|%s|%s|%s|%s|%d|%d|%s|%s", o.Cloud, o.Region, o.Instance, o.OnPrem, o.Accelerator, o.GPUsPerUnit, o.TP, o.Precision, o.Pricing)
}

// datePrices gives every priced line its as-of date where the catalog
// knows it, and warns about the chosen prices older than StaleAfterDays.
func (p *Plan) datePrices(pr *cost.Pricer, now time.Time) {
	stale := map[string]int{}
	undated := 0
	check := func(cs []cost.Component) {
		for i := range cs {
			c := &cs[i]
			if c.AsOf == "" {
				c.AsOf = pr.AsOf(c.Source)
			}
			if c.AsOf == "" || c.MonthlyUSD == 0 {
				continue
			}
			t, err := time.Parse("2006-01-02", c.AsOf)
			switch {
			case err != nil:
				undated++
			case now.Sub(t) > StaleAfterDays*24*time.Hour:
				stale[c.AsOf]++
			}
		}
	}
	for i := range p.Workloads {
		if ch := p.Workloads[i].Choice; ch != nil {
			check(ch.Components)
		}
	}
	for i := range p.Placement.Pools {
		check(p.Placement.Pools[i].Components)
	}
	for i := range p.Placement.Clouds {
		check(p.Placement.Clouds[i].Components)
	}
	check(p.Placement.Egress)
	for i := range p.Blueprint.Components {
		check(p.Blueprint.Components[i].Costs)
	}
	if len(stale) > 0 {
		var dates []string
		n := 0
		for d, k := range stale {
			dates = append(dates, d)
			n += k
		}
		sort.Strings(dates)
		p.Warnings = append(p.Warnings, fmt.Sprintf("stale prices: %d priced line(s) use prices older than %d days (as of %s); check them before committing", n, StaleAfterDays, strings.Join(dates, ", ")))
	}
	if undated > 0 {
		p.Warnings = append(p.Warnings, fmt.Sprintf("undated prices: %d priced line(s) use catalog prices without an as-of date; check them before committing", undated))
	}
}

// addEgress prices LLM responses leaving the cloud to users: about 4 bytes
// per output token plus 2 KB of protocol overhead per request. Classic
// endpoints usually answer services in the same network, so no egress. The
// same for every candidate of a workload, so it is added after the choice.
func addEgress(ch *search.Option, w *spec.Workload, env *search.Env) {
	if ch.Pricing == cost.API || ch.Cloud == "" || w.Traffic == nil || w.Traffic.PeakRequestsPerSecond == 0 {
		return
	}
	if w.Type != spec.LLMInference {
		return
	}
	price, src, ok := env.P.Rate("egress-internet")
	if !ok {
		return
	}
	reqs := w.Traffic.PeakRequestsPerSecond * cost.ShapeOf(w.Traffic).MeanFraction() * env.Hours * 3600
	gb := reqs * (4*w.Traffic.OutputTokens + 2048) / 1e9
	line := cost.Line("internet egress (responses)", "network", "GB", gb, price, src)
	ch.Components = append(ch.Components, line)
	ch.MonthlyUSD += line.MonthlyUSD
}

// breakEven records the peak request rate below which the per-token API is
// cheaper than self-hosting: the API's cost is linear in traffic, while
// self-hosting costs at least its minimum replicas around the clock.
func breakEven(w *Workload) {
	if w.APIMonthlyUSD == 0 || w.Spec.Traffic == nil || w.Spec.Traffic.PeakRequestsPerSecond == 0 {
		return
	}
	self := w.Choice
	if self.Pricing == cost.API {
		self = nil
		for i := range w.Alternatives {
			if w.Alternatives[i].Pricing != cost.API {
				self = &w.Alternatives[i]
				break
			}
		}
	}
	if self == nil {
		return
	}
	perRPS := w.APIMonthlyUSD / w.Spec.Traffic.PeakRequestsPerSecond
	floor := self.MonthlyUSD
	if self.ReplicasMax > 0 {
		floor = self.MonthlyUSD * float64(max(self.ReplicasMin, 1)) / float64(self.ReplicasMax)
	}
	w.APIBreakEvenRPS = floor / perRPS
}

func sorted(m map[string]float64) []Amount {
	out := make([]Amount, 0, len(m))
	for k, v := range m {
		out = append(out, Amount{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}
