// Package search enumerates candidate configurations for each workload
// (accelerator x instance x cloud/region x parallelism x precision x
// replicas x pricing mode), evaluates them with perf and prices them with
// cost, drops those that violate memory, SLO, region, residency, compliance
// or capacity constraints, and keeps the cheapest, the Pareto frontier of
// cost versus latency, and the best rejected candidate per reason.
//
// Read search.go (types, environment, ranking) then llm.go, training.go and
// other.go, one file per family of workload types.
package search

import (
	"fmt"
	"sort"
	"strings"

	"github.com/aiplan-dev/aiplan/catalog"
	"github.com/aiplan-dev/aiplan/cost"
	"github.com/aiplan-dev/aiplan/spec"
)

// Option is one evaluated configuration of a workload.
type Option struct {
	Summary     string `json:"summary"`
	Accelerator string `json:"accelerator,omitempty"`
	TP          int    `json:"tp,omitempty"`
	GPUsPerUnit int    `json:"gpus_per_replica,omitempty"`
	Nodes       int    `json:"nodes_per_replica,omitempty"` // >1: pipeline stages on as many instances
	Precision   string `json:"precision,omitempty"`
	Engine      string `json:"engine,omitempty"` // catalog engine id
	Cloud       string `json:"cloud,omitempty"`
	Region      string `json:"region,omitempty"`
	Instance    string `json:"instance,omitempty"`
	OnPrem      string `json:"on_prem,omitempty"`
	// Commitment is the id of the committed capacity an option uses.
	Commitment string    `json:"commitment,omitempty"`
	Pricing    cost.Mode `json:"pricing"`
	// Endpoint sizing.
	ReplicasMin        int      `json:"replicas_min,omitempty"`
	ReplicasMax        int      `json:"replicas_max,omitempty"`
	HourlyReplicas     *[24]int `json:"hourly_replicas,omitempty"`
	CapacityPerReplica float64  `json:"capacity_rps_per_replica,omitempty"`
	PeakGPUs           int      `json:"peak_gpus"`
	MonthlyUSD         float64  `json:"monthly_usd"`
	OneOffUSD          float64  `json:"one_off_usd,omitempty"`
	// SunkUSD is the owned or committed capacity's fixed cost this option
	// holds (capex, fixed operations, commitments): shown, never part of
	// MonthlyUSD (new spending) nor a reason to prefer one option.
	SunkUSD    float64          `json:"sunk_usd,omitempty"`
	Components []cost.Component `json:"components,omitempty"`
	// LatencyMs is the headline latency: TTFT p99 for LLM endpoints, p99
	// latency for classic endpoints, wall-clock hours x 3.6e6 for jobs.
	LatencyMs float64 `json:"latency_ms"`
	Metrics   Metrics `json:"metrics"`
	Rejected  string  `json:"rejected,omitempty"`
	// Caveats qualify a feasible option (for example a quality risk of
	// quantisation below 8 bits that the file did not ask for).
	Caveats []string `json:"caveats,omitempty"`
	// Instances is the number of cloud instances at peak (jobs: for the run).
	Instances int `json:"instances,omitempty"`
	// NodePool is the key of the node pool placement put the option in.
	NodePool string `json:"node_pool,omitempty"`

	// Demand is what the option asks of capacity, for placement to pack
	// (nil for options that are not replicas on instances or owned pools).
	Demand *Demand `json:"-"`

	// pricer and billLabel build the lines of a cloud option lazily, from
	// its Demand, once the collector keeps it.
	pricer    *cost.Pricer
	billLabel string

	// summarize builds Summary lazily: only the options a result keeps are
	// described, which keeps the search loop free of string formatting.
	summarize func(*Option) string
}

func (o *Option) describe() {
	if o.Components == nil && o.pricer != nil && o.Demand != nil {
		// Lines are built only for the options a result keeps (see priceEndpoint).
		d := o.Demand
		o.Components, _ = o.pricer.Bill(d.Instance, d.Mode, cost.InstancesFor(d.Replicas, d.PerInstance), o.billLabel)
	}
	if o.Summary == "" && o.summarize != nil {
		o.Summary = o.summarize(o)
	}
}

// InCluster reports whether the option's workload runs in a Kubernetes
// cluster the exports describe: not an API, a device, a serverless or a
// managed (SageMaker-style) endpoint.
func (o *Option) InCluster() bool {
	switch o.Pricing {
	case cost.API, cost.Device, cost.Serverless, cost.ManagedPlatform:
		return false
	}
	return true
}

// OnCloudNodes reports whether the option runs on cluster nodes of a cloud
// provider that the plan priced: not owned hardware alone, nor anything
// outside a cluster. Owned capacity that bursts to the cloud counts for its
// burst instances.
func (o *Option) OnCloudNodes() bool {
	return o != nil && o.Cloud != "" && o.Instance != "" && (o.OnPrem == "" || o.Pricing == cost.OnPremBurst) && o.InCluster()
}

// PeakInstances is the cloud instances the option runs at peak (a job's for
// each run), at least one.
func (o *Option) PeakInstances() int {
	if o.Instances == 0 && o.ReplicasMax > 0 && o.GPUsPerUnit > 0 {
		return max(o.PeakGPUs/o.GPUsPerUnit, 1)
	}
	return max(o.Instances, 1)
}

// Demand is a candidate's need for capacity in the terms placement packs:
// the pool (instance type and pricing mode, owned pool or commitment) and,
// hour by hour, the replicas it runs of GPUs accelerators each.
type Demand struct {
	// Instance is the cloud instance type: the pool's node type, or the
	// burst instance beyond an owned pool (nil for on-prem alone).
	Instance *catalog.Instance
	// Mode prices the pool.
	Mode cost.Mode
	// OnPrem and Commitment name the owned pool or committed capacity used.
	OnPrem, Commitment string
	// GPUs per replica.
	GPUs int
	// PerInstance is the replicas one instance holds (GPUs on it / GPUs).
	PerInstance int
	// Replicas per hour of a working day and a weekend day.
	Replicas cost.Week
	// GPUHours is a job's accelerator-hours per month (or per run when
	// one-off) on an owned pool; 0 for endpoints.
	GPUHours float64
}

// PoolKey identifies the pool a demand packs into.
func (d *Demand) PoolKey() string {
	if d.OnPrem != "" {
		return "on-prem/" + d.OnPrem
	}
	if d.Commitment != "" {
		return "committed/" + d.Commitment
	}
	return d.Instance.ID + "/" + string(d.Mode)
}

// Metrics are the predictions behind an option.
type Metrics struct {
	TTFTP99Ms        float64 `json:"ttft_p99_ms,omitempty"`
	TPOTP99Ms        float64 `json:"tpot_p99_ms,omitempty"`
	E2EP99Ms         float64 `json:"e2e_p99_ms,omitempty"`
	LatencyP99Ms     float64 `json:"latency_p99_ms,omitempty"`
	TokensPerSecond  float64 `json:"tokens_per_second,omitempty"`
	SamplesPerSecond float64 `json:"samples_per_second,omitempty"`
	WallHours        float64 `json:"wall_hours,omitempty"`
	GPUHours         float64 `json:"gpu_hours,omitempty"`
	MFU              float64 `json:"mfu,omitempty"`
	MemoryGiBPerGPU  float64 `json:"memory_gib_per_gpu,omitempty"`
	Parallelism      string  `json:"parallelism,omitempty"`
	Batch            int     `json:"batch,omitempty"`
}

// Result is the outcome of searching one workload.
type Result struct {
	Workload     string   `json:"workload"`
	Type         string   `json:"type"`
	Choice       *Option  `json:"choice,omitempty"`
	Alternatives []Option `json:"alternatives"`
	Rejected     []Option `json:"rejected"`
	Frontier     []Option `json:"frontier"`
	Evaluated    int      `json:"candidates_evaluated"`
	Notes        []string `json:"notes,omitempty"`
	// APIBreakEven is the request rate (req/s at peak) above which
	// self-hosting beats the per-token API, when both were priced.
	APIBreakEvenRPS float64 `json:"api_break_even_rps,omitempty"`
	// APIMonthlyUSD is the per-token API's monthly cost, when priced.
	APIMonthlyUSD float64 `json:"api_monthly_usd,omitempty"`
	// Shortlist holds the best few feasible options, each priced standalone
	// in whole instances and at most one per pool, for placement to choose
	// from when it packs workloads together.
	Shortlist []Option `json:"-"`
}

// ShortlistSize is how many options per workload placement chooses from.
const ShortlistSize = 8

// Env is the shared search context of one plan.
type Env struct {
	C        *catalog.Catalog
	P        *cost.Pricer
	K        *spec.Constraints
	Modes    map[cost.Mode]bool
	Hours    float64
	Headroom float64
	// instances with the reason each is excluded ("" when allowed).
	instances []instanceChoice
	// endpointBuf and jobBuf are reused option buffers (see priceEndpoint).
	endpointBuf, jobBuf []Option
	cache               map[capKey]capVal
}

type instanceChoice struct {
	in     *catalog.Instance
	reason string
	label  string // "cloud type", for line items
}

// NewEnv prepares the search context: allowed pricing modes and every
// catalog instance with the constraint that excludes it, if any.
func NewEnv(c *catalog.Catalog, k *spec.Constraints) *Env {
	e := &Env{C: c, P: cost.NewPricer(c, k.Discounts), K: k, Modes: map[cost.Mode]bool{}, cache: map[capKey]capVal{}}
	e.P.AllowFlagged = k.AllowFlaggedPrices
	if len(k.Pricing) == 0 {
		for _, m := range []cost.Mode{cost.OnDemand, cost.Spot, cost.Reserved1y, cost.Serverless, cost.ManagedPlatform, cost.OnPrem, cost.API} {
			e.Modes[m] = true
		}
	}
	for _, s := range k.Pricing {
		if m, ok := cost.ParseMode(s); ok {
			e.Modes[m] = true
		}
	}
	if len(k.OnPrem) > 0 {
		e.Modes[cost.OnPrem] = true
	}
	e.Hours = e.P.RateOr("hours-per-month", 730)
	e.Headroom = e.P.RateOr("scale-headroom", 0.15)
	hipaa := hasRegime(k.Compliance, "hipaa")
	for _, in := range c.Instances {
		e.instances = append(e.instances, instanceChoice{in: in, reason: e.excluded(in, hipaa), label: in.Cloud + " " + in.InstanceType})
	}
	return e
}

func hasRegime(list []string, r string) bool {
	for _, x := range list {
		if strings.EqualFold(x, r) {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (e *Env) excluded(in *catalog.Instance, hipaa bool) string {
	k := e.K
	if len(k.Clouds) > 0 && !contains(k.Clouds, in.Cloud) {
		return "cloud " + in.Cloud + " not allowed"
	}
	if len(k.Regions) > 0 && !contains(k.Regions, in.Region) {
		return "region " + in.Region + " not allowed"
	}
	if k.Residency != "" && k.Residency != "any" {
		r, ok := e.C.Region(in.Region)
		if !ok {
			return "region " + in.Region + " has no known jurisdiction (residency " + k.Residency + ")"
		}
		if r.Jurisdiction != k.Residency {
			return fmt.Sprintf("region %s is outside %s residency", in.Region, strings.ToUpper(k.Residency))
		}
	}
	if r := FlaggedPrice(in, k.AllowFlaggedPrices); r != "" {
		return r
	}
	if hipaa && !e.C.HIPAAEligible(in.Cloud) {
		return "cloud " + in.Cloud + " offers no HIPAA BAA in the catalog"
	}
	return ""
}

// onPremFor returns the on-prem pools holding an accelerator.
func (e *Env) onPremFor(acc string) []spec.OnPrem {
	var out []spec.OnPrem
	for _, o := range e.K.OnPrem {
		if o.Accelerator == acc {
			out = append(out, o)
		}
	}
	return out
}

// accelerators lists candidate accelerators: the workload's list, or every
// datacenter accelerator with an instance or an on-prem pool.
func (e *Env) accelerators(w *spec.Workload) []*catalog.Accelerator {
	var out []*catalog.Accelerator
	for _, a := range e.C.Accelerators {
		if len(w.Accelerators) > 0 && !contains(w.Accelerators, a.ID) {
			continue
		}
		if strings.Contains(a.FormFactor, "edge") {
			continue
		}
		if len(e.C.InstancesFor(a.ID)) == 0 && len(e.onPremFor(a.ID)) == 0 {
			continue
		}
		out = append(out, a)
	}
	return out
}

// collector keeps, while candidates stream in, only what a result reports:
// the cheapest feasible option per accelerator and pricing mode (the choice
// and its alternatives), the cost-latency Pareto frontier, and the cheapest
// rejected option per reason. Memory stays flat however many candidates
// are evaluated.
type collector struct {
	best     map[string]*Option
	pools    map[poolID]*Option // cheapest feasible option per pool, for the shortlist
	others   []*Option          // cheapest options outside pools, at most ShortlistSize
	frontier []*Option
	rejected map[string]*Option
	api      float64
}

func newCollector() *collector {
	return &collector{best: map[string]*Option{}, pools: map[poolID]*Option{}, rejected: map[string]*Option{}}
}

// poolID identifies the pool of a demand (with the burst instance, for
// owned pools, so each cloud's burst stays on the shortlist).
type poolID struct {
	inst               *catalog.Instance
	mode               cost.Mode
	onPrem, commitment string
	gpus               int // per replica: small replicas pack where large ones do not
}

// rankCost is the new spending an option causes: sunk costs are excluded
// from MonthlyUSD already, so owned capacity competes on its marginal cost.
// Replicas says how many replicas run: "3 replicas", or "1-4 replicas"
// when the count follows the traffic.
func Replicas(min, max int) string {
	if min == max {
		if max == 1 {
			return "1 replica"
		}
		return fmt.Sprintf("%d replicas", max)
	}
	return fmt.Sprintf("%d-%d replicas", min, max)
}

func rankCost(o *Option) float64 { return o.MonthlyUSD + o.OneOffUSD }

// before orders options by cost, then latency, then a stable identity.
func before(a, b *Option) bool {
	if ca, cb := rankCost(a), rankCost(b); ca != cb {
		return ca < cb
	}
	if a.LatencyMs != b.LatencyMs {
		return a.LatencyMs < b.LatencyMs
	}
	return identityLess(a, b)
}

// identityLess orders options field by field (cloud, region, instance,
// on-prem pool, accelerator, GPUs, TP, precision, pricing) without
// formatting strings: ties are common, as replica sizes that fill the same
// whole instance cost the same.
func identityLess(a, b *Option) bool {
	for _, p := range [...][2]string{{a.Cloud, b.Cloud}, {a.Region, b.Region}, {a.Instance, b.Instance}, {a.OnPrem, b.OnPrem}, {a.Accelerator, b.Accelerator}} {
		if p[0] != p[1] {
			return p[0] < p[1]
		}
	}
	if a.GPUsPerUnit != b.GPUsPerUnit {
		return a.GPUsPerUnit < b.GPUsPerUnit
	}
	if a.TP != b.TP {
		return a.TP < b.TP
	}
	if a.Precision != b.Precision {
		return a.Precision < b.Precision
	}
	return a.Pricing < b.Pricing
}

func (c *collector) add(opts ...Option) {
	for i := range opts {
		o := &opts[i]
		if o.Rejected != "" {
			k := reasonClass(o.Rejected)
			if old, ok := c.rejected[k]; !ok || before(o, old) {
				cp := *o
				c.rejected[k] = &cp
			}
			continue
		}
		if o.Pricing == cost.API {
			c.api = o.MonthlyUSD
		}
		if d := o.Demand; d != nil {
			pk := poolID{d.Instance, d.Mode, d.OnPrem, d.Commitment, d.GPUs}
			if old, ok := c.pools[pk]; !ok || before(o, old) {
				cp := *o
				c.pools[pk] = &cp
			}
		} else if n := len(c.others); n < ShortlistSize || before(o, c.others[n-1]) {
			cp := *o
			i := sort.Search(n, func(i int) bool { return before(&cp, c.others[i]) })
			c.others = append(c.others, nil)
			copy(c.others[i+1:], c.others[i:])
			c.others[i] = &cp
			if len(c.others) > ShortlistSize {
				c.others = c.others[:ShortlistSize]
			}
		}
		k := o.Accelerator + "|" + string(o.Pricing)
		if old, ok := c.best[k]; !ok || before(o, old) {
			cp := *o
			c.best[k] = &cp
		}
		if o.LatencyMs > 0 {
			c.addFrontier(o)
		}
	}
}

// addFrontier keeps the options no other option beats on both cost and latency.
func (c *collector) addFrontier(o *Option) {
	for _, f := range c.frontier {
		if rankCost(f) <= rankCost(o) && f.LatencyMs <= o.LatencyMs {
			return
		}
	}
	keep := c.frontier[:0]
	for _, f := range c.frontier {
		if !(rankCost(o) <= rankCost(f) && o.LatencyMs <= f.LatencyMs) {
			keep = append(keep, f)
		}
	}
	cp := *o
	c.frontier = append(keep, &cp)
}

func sortedOptions(m map[string]*Option) []*Option {
	out := make([]*Option, 0, len(m))
	for _, o := range m {
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return before(out[i], out[j]) })
	return out
}

// finish fills the result: the choice, up to 8 alternatives, the frontier
// (cheapest first, at most 12) and up to 8 rejected options.
func (c *collector) finish(r *Result) {
	r.APIMonthlyUSD = c.api
	best := sortedOptions(c.best)
	// Alternatives: the best of every other pricing mode first (so each
	// mode's verdict is visible), then the cheapest other configurations.
	picked := map[*Option]bool{}
	var alts []*Option
	modes := map[cost.Mode]bool{}
	for i, o := range best {
		if i == 0 {
			o.describe()
			ch := *o
			r.Choice = &ch
			modes[o.Pricing] = true
			continue
		}
		if !modes[o.Pricing] {
			modes[o.Pricing] = true
			picked[o] = true
			alts = append(alts, o)
		}
	}
	for _, o := range best[min(1, len(best)):] {
		if len(alts) >= 10 {
			break
		}
		if !picked[o] {
			picked[o] = true
			alts = append(alts, o)
		}
	}
	sort.Slice(alts, func(i, j int) bool { return before(alts[i], alts[j]) })
	// Exact capacities: a plan of many workloads holds every result's lists.
	// (nil when empty, as the JSON report prints null for none.)
	if len(alts) > 0 {
		r.Alternatives = make([]Option, 0, len(alts))
	}
	for _, o := range alts {
		o.describe()
		r.Alternatives = append(r.Alternatives, *o)
	}
	sort.Slice(c.frontier, func(i, j int) bool { return before(c.frontier[i], c.frontier[j]) })
	if len(c.frontier) > 0 {
		r.Frontier = make([]Option, 0, min(12, len(c.frontier)))
	}
	for _, o := range c.frontier {
		if len(r.Frontier) >= 12 {
			break
		}
		o.describe()
		r.Frontier = append(r.Frontier, *o)
	}
	// The shortlist: the cheapest options per pool; owned capacity always
	// included so placement can serve from it first, and the cheapest
	// option on each cloud, so placement can weigh keeping the plan on
	// fewer clouds (and say truly when a workload cannot run on one).
	cands := make([]*Option, 0, len(c.pools)+len(c.others))
	for _, o := range c.pools {
		cands = append(cands, o)
	}
	cands = append(cands, c.others...)
	sort.Slice(cands, func(i, j int) bool { return before(cands[i], cands[j]) })
	clouds := map[string]bool{}
	for _, o := range cands {
		cloud := ""
		if o.Demand != nil && o.Demand.Instance != nil && o.Demand.OnPrem == "" {
			cloud = o.Demand.Instance.Cloud
		}
		if len(r.Shortlist) < ShortlistSize || o.Pricing.Owned() || cloud != "" && !clouds[cloud] {
			o.describe()
			r.Shortlist = append(r.Shortlist, *o)
			if cloud != "" {
				clouds[cloud] = true
			}
		}
	}
	rejected := sortedOptions(c.rejected)
	if len(rejected) > 0 {
		r.Rejected = make([]Option, 0, min(8, len(rejected)))
	}
	for _, o := range rejected {
		if len(r.Rejected) >= 8 {
			break
		}
		o.describe()
		r.Rejected = append(r.Rejected, *o)
	}
}

// reasonClass groups rejection texts by their constraint.
func reasonClass(s string) string {
	if i := strings.IndexAny(s, ":("); i > 0 {
		return s[:i]
	}
	return s
}

// why explains why an alternative lost to the choice.
func Why(choice, alt *Option) string {
	if choice == nil {
		return ""
	}
	dc := alt.MonthlyUSD + alt.OneOffUSD - (choice.MonthlyUSD + choice.OneOffUSD)
	base := choice.MonthlyUSD + choice.OneOffUSD
	switch {
	case dc > 0 && base > 0:
		s := fmt.Sprintf("costs %.0f%% more", dc/base*100)
		if dc/base < 0.005 {
			s = "costs under 1% more" // not "costs 0% more"
		}
		// Only a gain that survives rounding: "for 0% lower latency" read
		// as a reason.
		if gain := (1 - alt.LatencyMs/choice.LatencyMs) * 100; alt.LatencyMs > 0 && gain >= 0.5 {
			s += fmt.Sprintf(" for %.0f%% lower latency", gain)
		}
		return s
	case dc > 0:
		return "costs more"
	case dc < -0.5 && base > 0:
		// Placement chose for the whole plan, not for this workload alone.
		pct := fmt.Sprintf("%.0f%%", -dc/base*100)
		if -dc/base < 0.005 {
			pct = "under 1%"
		}
		return "costs " + pct + " less on its own, more in this plan (the choice shares a node pool, uses owned capacity or keeps the plan on fewer clouds)"
	case alt.LatencyMs > choice.LatencyMs:
		return "equal cost, higher latency"
	default:
		return "equal cost and latency; ranked by configuration"
	}
}

// model resolves the workload's catalog model, noting the error in the
// result when it cannot (validation normally catches that first).
func (e *Env) model(w *spec.Workload, r *Result) (*catalog.Model, bool) {
	if w.Model == nil {
		r.Notes = append(r.Notes, "no model given")
		return nil, false
	}
	m, err := e.C.Model(w.Model.ID)
	if err != nil {
		r.Notes = append(r.Notes, err.Error())
		return nil, false
	}
	return m, true
}
