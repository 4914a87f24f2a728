package search

import (
	"fmt"
	"sort"
	"strings"

	"github.com/aiplan-dev/aiplan/catalog"
	"github.com/aiplan-dev/aiplan/cost"
	"github.com/aiplan-dev/aiplan/spec"
)

// unit is one replica's hardware: an accelerator group of size gpus on an
// instance (or a CPU instance, or an on-prem pool).
type unit struct {
	acc       *catalog.Accelerator
	gpus      int
	precision string
	tp        int
	link      link    // the link the TP group was modelled on (fit.go)
	nodes     int     // instances one replica spans (pipeline stages; 0 or 1: one)
	capacity  float64 // requests/s per replica within the SLO
	latencyMs float64 // headline latency at that capacity
	metrics   Metrics
	reject    string // the configuration itself fails (memory, SLO)
}

// priceEndpoint turns a replica configuration into options: one per
// instance (cloud/region) and pricing mode, plus on-prem and hybrid burst.
// latencyCritical endpoints only use spot above an on-demand baseline
// unless the file allows spot alone.
func (e *Env) priceEndpoint(w *spec.Workload, u unit, latencyCritical bool, evaluated *int) []Option {
	// Options are large: reuse one buffer (callers hand them to the
	// collector, which copies what it keeps, before the next call).
	out := e.endpointBuf[:0]
	defer func() { e.endpointBuf = out[:0] }()
	shape := cost.ShapeOf(w.Traffic)
	if w.Autoscaling != nil && w.Autoscaling.ScaleUpDelayMinutes > 0 {
		shape = shape.Leading() // replicas must be up before the ramp
	}
	peak := w.Traffic.PeakRequestsPerSecond
	minR, maxR := 1, 0
	if a := w.Autoscaling; a != nil {
		minR, maxR = a.MinReplicas, a.MaxReplicas
		if minR == 0 && latencyCritical {
			minR = 1
		}
	}
	base := Option{Accelerator: u.acc.ID, TP: u.tp, GPUsPerUnit: u.gpus, Precision: u.precision, LatencyMs: u.latencyMs, Metrics: u.metrics, CapacityPerReplica: u.capacity}
	if u.reject != "" {
		o := base
		o.Pricing = cost.Unpriced
		o.Summary = fmt.Sprintf("%d x %s (tp=%d, %s)", u.gpus, u.acc.ID, u.tp, u.precision)
		if u.precision == "" {
			o.Summary = fmt.Sprintf("%d x %s", u.gpus, u.acc.ID)
		}
		o.Rejected = u.reject
		*evaluated++
		return []Option{o}
	}
	reps := cost.ReplicasFor(shape, peak, u.capacity, e.Headroom, minR, maxR, e.Hours)
	week := reps.Week(shape)
	hourly := reps.Weekday
	limit := e.K.MaxGPUs
	if w.MaxGPUs > 0 {
		limit = w.MaxGPUs
	}
	byPer := map[int]cost.Week{} // instances per hour, by replicas per instance
	for _, ic := range e.instances {
		in := ic.in
		if !u.runsOn(in) {
			continue
		}
		perInst, slotGPUs, slots := u.slots(in, week)
		inst, ok := byPer[perInst]
		if !ok {
			inst = cost.InstancesFor(slots, perInst)
			byPer[perInst] = inst
		}
		for _, mode := range cost.CloudModes {
			if !e.Modes[mode] {
				continue
			}
			if mode == cost.Spot && latencyCritical && !e.K.AllowSpotForLatencyCritical {
				mode = cost.SpotOverOnDemand
			}
			usd, ok := e.P.BillUSD(in, mode, inst)
			if !ok {
				continue
			}
			*evaluated++
			o := base
			o.Cloud, o.Region, o.Instance = in.Cloud, in.Region, in.InstanceType
			o.ReplicasMin, o.ReplicasMax, o.HourlyReplicas = reps.Min, reps.Max, &hourly
			o.Instances = inst.Max()
			o.PeakGPUs = o.Instances * in.AcceleratorCount
			o.Pricing = mode
			o.Rejected = ic.reason
			o.Components = nil // built from the Demand by describe() if the option is kept
			o.pricer, o.billLabel = e.P, ic.label
			o.MonthlyUSD = usd
			o.Demand = &Demand{Instance: in, Mode: mode, GPUs: slotGPUs, PerInstance: perInst, Replicas: slots}
			o.summarize = describeEndpoint
			if o.Rejected == "" && limit > 0 && o.PeakGPUs > limit {
				o.Rejected = fmt.Sprintf("capacity: needs %d GPUs at peak, limit %d", o.PeakGPUs, limit)
			}
			out = append(out, o)
		}
	}
	out = append(out, e.committed(u, base, reps, week, evaluated)...)
	if e.Modes[cost.Serverless] && u.gpus == 1 {
		if o, ok := e.serverless(w, u, base, shape, peak, latencyCritical); ok {
			*evaluated++
			out = append(out, o)
		}
	}
	if e.Modes[cost.OnPrem] {
		bursts := e.burstInstances(u)
		for _, pool := range e.onPremFor(u.acc.ID) {
			if !u.runsOnPool(pool) {
				continue
			}
			if len(bursts) == 0 {
				*evaluated++
				out = append(out, e.onPremEndpoint(pool, u, base, reps, week, nil))
			}
			for _, in := range bursts {
				*evaluated++
				out = append(out, e.onPremEndpoint(pool, u, base, reps, week, in))
			}
		}
	}
	return out
}

// onPremEndpoint serves replicas from an owned pool: its capex and fixed
// operations are sunk (shown, not new spending); power for the busy
// GPU-hours is the marginal cost, and hours the pool cannot cover burst to
// the cheapest allowed cloud instance on demand.
func (e *Env) onPremEndpoint(pool spec.OnPrem, u unit, base Option, reps cost.Replicas, week cost.Week, burstTo *catalog.Instance) Option {
	hourly := reps.Weekday
	o := base
	o.OnPrem, o.Pricing, o.Region = pool.Name, cost.OnPrem, pool.Region
	o.ReplicasMin, o.ReplicasMax, o.HourlyReplicas = reps.Min, reps.Max, &hourly
	o.PeakGPUs = reps.Max * u.gpus
	o.summarize = describeEndpoint
	own := pool.Count / u.gpus
	if own == 0 {
		o.Rejected = fmt.Sprintf("capacity: pool %s has %d accelerators, a replica needs %d", pool.Name, pool.Count, u.gpus)
		return o
	}
	d := &Demand{Mode: cost.OnPrem, OnPrem: pool.Name, GPUs: u.gpus, PerInstance: 1, Replicas: week}
	if in := burstTo; in != nil {
		// Where replicas go when the pool is full.
		d.Instance, d.PerInstance = in, in.AcceleratorCount/u.gpus
	}
	held := min(own, reps.Max)
	o.Components = e.P.OnPremLines(pool, u.acc, week.Capped(own).Map(func(v int) int { return v * u.gpus }), held*u.gpus)
	if over := week.Above(own); over.Max() > 0 {
		in := burstTo
		if in == nil {
			o.Rejected = fmt.Sprintf("capacity: needs %d GPUs at peak, pool %s has %d and no allowed cloud instance for burst", reps.Max*u.gpus, pool.Name, pool.Count)
			return o
		}
		per := in.AcceleratorCount / u.gpus
		burst, _ := e.P.Bill(in, cost.OnDemand, cost.InstancesFor(over, per), in.Cloud+" "+in.InstanceType+" burst")
		o.Pricing = cost.OnPremBurst
		o.Cloud, o.Instance, o.Region = in.Cloud, in.InstanceType, in.Region
		o.Components = append(o.Components, burst...)
		d.Mode, d.Instance, d.PerInstance = cost.OnPremBurst, in, per
	}
	o.Demand = d
	o.MonthlyUSD = cost.Sum(o.Components)
	o.SunkUSD = cost.SunkSum(o.Components)
	return o
}

// burstInstances are, per allowed cloud, the instance with the lowest
// on-demand price per replica: where replicas beyond owned capacity go.
// One per cloud, so placement can keep the burst on a cloud the plan uses.
func (e *Env) burstInstances(u unit) []*catalog.Instance {
	best := map[string]*catalog.Instance{}
	price := map[string]float64{}
	var clouds []string
	for _, ic := range e.instances {
		if ic.reason != "" || !u.runsOn(ic.in) {
			continue
		}
		p, ok := e.P.HourlyUSD(ic.in, cost.OnDemand)
		if !ok {
			continue
		}
		per := p / float64(ic.in.AcceleratorCount/u.gpus)
		c := ic.in.Cloud
		if _, seen := best[c]; !seen {
			clouds = append(clouds, c)
		}
		if b := best[c]; b == nil || per < price[c] {
			best[c], price[c] = ic.in, per
		}
	}
	sort.Strings(clouds)
	out := make([]*catalog.Instance, len(clouds))
	for i, c := range clouds {
		out[i] = best[c]
	}
	return out
}

func describeEndpoint(o *Option) string {
	where := o.OnPrem
	if o.Instance != "" {
		where = fmt.Sprintf("%s %s %s", o.Cloud, o.Instance, o.Region)
		if o.OnPrem != "" {
			where = o.OnPrem + " + " + where
		}
	}
	var cfg []string
	if strings.HasPrefix(o.Metrics.Parallelism, "tp=") && (o.TP > 1 || o.GPUsPerUnit > 1) {
		cfg = append(cfg, o.Metrics.Parallelism) // with PCIe or nodes (fit.go parallelism)
	} else if o.TP > 1 {
		cfg = append(cfg, fmt.Sprintf("tp=%d", o.TP))
	}
	if o.Precision != "" {
		cfg = append(cfg, o.Precision)
	}
	c := ""
	if len(cfg) > 0 {
		c = " (" + strings.Join(cfg, ", ") + ")"
	}
	return fmt.Sprintf("%d x %s per replica%s, %s on %s, %s", o.GPUsPerUnit, o.Accelerator, c, Replicas(o.ReplicasMin, o.ReplicasMax), where, o.Pricing)
}

// serverless prices a single-GPU replica on a per-second serverless GPU
// platform: billed only while replicas run, scaling to zero when traffic
// stops. A cold start (container start plus loading the weights) must fit
// the TTFT SLO, or one replica stays warm around the clock.
func (e *Env) serverless(w *spec.Workload, u unit, base Option, shape cost.Shape, peak float64, latencyCritical bool) (Option, bool) {
	for _, provider := range []string{"modal"} {
		r, ok := e.C.Rate("serverless/" + provider + "/" + u.acc.ID)
		if !ok {
			continue
		}
		o := base
		o.Pricing, o.Cloud, o.Instance = cost.Serverless, provider, "serverless "+u.acc.ID
		reps := cost.ReplicasFor(shape, peak, u.capacity, e.Headroom, 0, 0, e.Hours)
		cold := e.P.RateOr("serverless-cold-start-base-s", 15) + o.Metrics.MemoryGiBPerGPU/e.P.RateOr("serverless-weight-load-gbps", 2)
		warm := 0.0
		if latencyCritical && w.SLO != nil && w.SLO.TTFTP99Ms > 0 && cold*1000 > w.SLO.TTFTP99Ms {
			// Keep one replica warm: cold starts would break the TTFT SLO.
			warm = 1
			reps = cost.ReplicasFor(shape, peak, u.capacity, e.Headroom, 1, 0, e.Hours)
		}
		hourly := reps.Weekday
		o.ReplicasMin, o.ReplicasMax, o.HourlyReplicas = reps.Min, reps.Max, &hourly
		o.PeakGPUs = reps.Max
		o.Components = []cost.Component{cost.Line(provider+" serverless "+u.acc.ID, "compute", "GPU-hours", reps.MonthlyHours, r.Value, r.Source)}
		o.Components[0].AsOf = r.AsOf
		o.MonthlyUSD = cost.Sum(o.Components)
		o.Metrics.Parallelism = fmt.Sprintf("cold start %.0f s; %g replica(s) kept warm", cold, warm)
		o.summarize = describeEndpoint
		switch {
		case e.K.Residency == "eu" || e.K.Residency == "us":
			o.Rejected = "residency: the serverless platform's region is not pinned in the catalog"
		case hasRegime(e.K.Compliance, "hipaa"):
			o.Rejected = "compliance: no BAA for the serverless platform in the catalog"
		case len(e.K.Clouds) > 0 && !contains(e.K.Clouds, provider):
			o.Rejected = "cloud " + provider + " not allowed"
		}
		return o, true
	}
	return Option{}, false
}

// committed prices replicas on capacity the organisation already bought:
// the commitment is paid whatever happens (sunk, shown but not a reason to
// prefer it or not), and hours that need more instances overflow on demand.
func (e *Env) committed(u unit, base Option, reps cost.Replicas, week cost.Week, evaluated *int) []Option {
	var out []Option
	hourly := reps.Weekday
	for _, cm := range e.K.Commitments {
		for _, ic := range e.instances {
			in := ic.in
			if in.ID != cm.ID() || !u.runsOn(in) {
				continue
			}
			per, slotGPUs, slots := u.slots(in, week)
			inst := cost.InstancesFor(slots, per)
			comps, ok := e.P.BillCommitted(in, cm.Count, cm.USDPerHour, inst, in.Cloud+" "+in.InstanceType)
			if !ok {
				continue
			}
			*evaluated++
			o := base
			o.Cloud, o.Region, o.Instance, o.Commitment = in.Cloud, in.Region, in.InstanceType, cm.ID()
			o.ReplicasMin, o.ReplicasMax, o.HourlyReplicas = reps.Min, reps.Max, &hourly
			o.Instances = inst.Max()
			o.PeakGPUs = o.Instances * in.AcceleratorCount
			o.Pricing = cost.Committed
			if inst.Max() > cm.Count {
				o.Pricing = cost.CommittedOverflow
			}
			o.Rejected = ic.reason
			o.Components = comps
			o.MonthlyUSD = cost.Sum(comps)
			o.SunkUSD = cost.SunkSum(comps)
			o.Demand = &Demand{Instance: in, Mode: o.Pricing, Commitment: cm.ID(), GPUs: slotGPUs, PerInstance: per, Replicas: slots}
			o.summarize = describeEndpoint
			out = append(out, o)
		}
	}
	return out
}
