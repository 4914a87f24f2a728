// Package plan drives the pipeline (workload file -> catalog -> search ->
// cost) and holds the one versioned result every renderer reads.
package plan

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/aiplan-dev/aiplan/blueprint"
	"github.com/aiplan-dev/aiplan/catalog"
	"github.com/aiplan-dev/aiplan/compliance"
	"github.com/aiplan-dev/aiplan/cost"
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

// Totals are the plan's sums. Every list is sorted by key.
type Totals struct {
	MonthlyUSD   float64  `json:"monthly_usd"`
	OneOffUSD    float64  `json:"one_off_usd"`
	FirstYearUSD float64  `json:"first_year_usd"`
	ByCategory   []Amount `json:"by_category"`
	ByCloud      []Amount `json:"by_cloud"`
	ByWorkload   []Amount `json:"by_workload"`
}

// Budget compares the monthly total with the file's budget.
type Budget struct {
	LimitUSD   float64 `json:"limit_usd"`
	MonthlyUSD float64 `json:"monthly_usd"`
	OverrunUSD float64 `json:"overrun_usd"`
	Within     bool    `json:"within"`
}

// Build plans every workload of a validated file.
func Build(f *spec.File, c *catalog.Catalog) *Plan {
	k := f.Constraints
	k.OnPrem = append([]spec.OnPrem(nil), k.OnPrem...) // the pools shrink as workloads take them
	k.Commitments = append([]spec.Commitment(nil), k.Commitments...)
	env := search.NewEnv(c, &k)
	p := &Plan{FormatVersion: FormatVersion, Name: f.Metadata.Name, Constraints: f.Constraints, Spec: f, Catalog: c}
	cat := map[string]float64{}
	cloud := map[string]float64{}
	for i := range f.Workloads {
		w := &f.Workloads[i]
		r := env.Search(w)
		wp := Workload{Result: r, Spec: w}
		p.Evaluated += r.Evaluated
		if r.Choice == nil {
			if w.Type != spec.Edge {
				p.Warnings = append(p.Warnings, fmt.Sprintf("%s: no configuration meets every constraint; see the rejected candidates (aiplan plan --explain %s)", w.Name, w.Name))
			} else {
				p.Warnings = append(p.Warnings, fmt.Sprintf("%s: the model does not fit or misses its latency on %s at any precision", w.Name, w.Device))
			}
		} else {
			ch := r.Choice
			addEgress(ch, w, env)
			wp.MonthlyUSD, wp.OneOffUSD = ch.MonthlyUSD, ch.OneOffUSD
			scale := 1.0
			if ch.MonthlyUSD == 0 && ch.OneOffUSD > 0 {
				scale = 0 // one-off: reported apart from the monthly totals
			}
			for _, comp := range ch.Components {
				cat[comp.Category] += comp.MonthlyUSD * scale
			}
			key := ch.Cloud
			if key == "" {
				key = "(primary cloud)" // storage and pipelines live with the platform; resolved below
			}
			if ch.OnPrem != "" && !strings.Contains(ch.Pricing, "burst") {
				key = "on-prem"
			}
			cloud[key] += ch.MonthlyUSD
			p.PeakGPUs += ch.PeakGPUs
			if ch.OnPrem != "" {
				for j := range k.OnPrem {
					if k.OnPrem[j].Name == ch.OnPrem {
						held := min(k.OnPrem[j].Free(), ch.ReplicasMax*max(ch.GPUsPerUnit, 1))
						if ch.ReplicasMax == 0 {
							held = min(k.OnPrem[j].Free(), ch.GPUsPerUnit)
						}
						if w.Type == spec.Training || w.Type == spec.FineTuning {
							held = 0 // jobs share the pool in time
						}
						k.OnPrem[j].Held += held
					}
				}
			}
			if ch.Commitment != "" {
				for j := range k.Commitments {
					if k.Commitments[j].ID() == ch.Commitment {
						k.Commitments[j].Held += min(k.Commitments[j].Free(), ch.Instances)
					}
				}
			}
			if ch.Pricing == "spot" && w.SLO != nil {
				p.Warnings = append(p.Warnings, fmt.Sprintf("%s: runs on spot without an on-demand baseline because the file allows it (allowSpotForLatencyCritical)", w.Name))
			}
			breakEven(&wp)
		}
		p.Workloads = append(p.Workloads, wp)
		p.Totals.MonthlyUSD += wp.MonthlyUSD
		p.Totals.OneOffUSD += wp.OneOffUSD
		p.Totals.ByWorkload = append(p.Totals.ByWorkload, Amount{w.Name, wp.MonthlyUSD})
	}
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
	p.Compliance = compliance.Assess(c, f, p.Blueprint)
	p.Warnings = append(p.Warnings, p.Compliance.Warnings...)
	if p.Compliance.Gaps > 0 {
		p.Warnings = append(p.Warnings, fmt.Sprintf("compliance: %d control(s) with a gap; see the coverage matrix", p.Compliance.Gaps))
	}
	p.Totals.FirstYearUSD = 12*p.Totals.MonthlyUSD + p.Totals.OneOffUSD
	p.Totals.ByCategory = sorted(cat)
	p.Totals.ByCloud = sorted(cloud)
	sort.Slice(p.Totals.ByWorkload, func(i, j int) bool { return p.Totals.ByWorkload[i].Key < p.Totals.ByWorkload[j].Key })
	if b := f.Constraints.BudgetUSDPerMonth; b > 0 {
		p.Budget = &Budget{LimitUSD: b, MonthlyUSD: p.Totals.MonthlyUSD, OverrunUSD: math.Max(0, p.Totals.MonthlyUSD-b), Within: p.Totals.MonthlyUSD <= b}
		if !p.Budget.Within {
			p.Warnings = append(p.Warnings, fmt.Sprintf("budget: the plan costs %.0f USD/month, %.0f over the %.0f budget (%.0f%%)", p.Totals.MonthlyUSD, p.Budget.OverrunUSD, b, p.Budget.OverrunUSD/b*100))
		}
	}
	if m := f.Constraints.MaxGPUs; m > 0 && p.PeakGPUs > m {
		p.Warnings = append(p.Warnings, fmt.Sprintf("capacity: %d GPUs at peak across workloads exceed maxGPUs %d", p.PeakGPUs, m))
	}
	plausibility(p)
	for _, miss := range env.P.MissingRates() {
		p.Warnings = append(p.Warnings, "missing price in the catalog: "+miss)
	}
	p.Assumptions = []string{
		fmt.Sprintf("a month is %.0f hours; prices are catalog list prices (see `aiplan catalog list instances` for sources and dates)", env.Hours),
		fmt.Sprintf("replicas per hour = ceil(traffic x (1 + %.0f%% headroom) / capacity per replica at the SLO), clamped to the autoscaling bounds; with a scale-up delay, each hour is provisioned for the next hour's traffic too", env.Headroom*100),
		"p99 latencies come from a queueing model on the engine's predictions (M/M/1 tail on prefill), not from simulation",
		"reserved pricing covers the always-on baseline with bursts on demand; spot for latency-critical endpoints runs above an on-demand baseline",
	}
	// Prices imported with `aiplan catalog import` name their files.
	p.Assumptions = append(p.Assumptions, env.C.Assumptions()...)
	return p
}

// addEgress prices LLM responses leaving the cloud to users: about 4 bytes
// per output token plus 2 KB of protocol overhead per request. Classic
// endpoints usually answer services in the same network, so no egress. The
// same for every candidate of a workload, so it is added after the choice.
func addEgress(ch *search.Option, w *spec.Workload, env *search.Env) {
	if ch.Pricing == "api" || ch.Cloud == "" || w.Traffic == nil || w.Traffic.PeakRequestsPerSecond == 0 {
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
	if self.Pricing == "api" {
		self = nil
		for i := range w.Alternatives {
			if w.Alternatives[i].Pricing != "api" {
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
