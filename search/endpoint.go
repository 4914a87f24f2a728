package search

import (
	"fmt"
	"math"
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
	var out []Option
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
		o.Pricing = "any"
		o.Summary = fmt.Sprintf("%d x %s (tp=%d, %s)", u.gpus, u.acc.ID, u.tp, u.precision)
		if u.precision == "" {
			o.Summary = fmt.Sprintf("%d x %s", u.gpus, u.acc.ID)
		}
		o.Rejected = u.reject
		*evaluated++
		return []Option{o}
	}
	reps := cost.ReplicasFor(shape, peak, u.capacity, e.Headroom, minR, maxR, e.Hours)
	hourly := reps.Weekday
	limit := e.K.MaxGPUs
	if w.MaxGPUs > 0 {
		limit = w.MaxGPUs
	}
	for _, ic := range e.instances {
		in := ic.in
		if !u.runsOn(in) {
			continue
		}
		perInst := in.AcceleratorCount / u.gpus
		instHours := reps.MonthlyHours / float64(perInst)
		minInst := math.Ceil(float64(reps.Min) / float64(perInst))
		maxInst := math.Ceil(float64(reps.Max) / float64(perInst))
		for _, mode := range []string{"on-demand", "reserved-1y", "reserved-3y", "spot", "managed-platform"} {
			if !e.Modes[mode] {
				continue
			}
			*evaluated++
			o := base
			o.Cloud, o.Region, o.Instance = in.Cloud, in.Region, in.InstanceType
			o.ReplicasMin, o.ReplicasMax, o.HourlyReplicas = reps.Min, reps.Max, &hourly
			o.PeakGPUs = int(maxInst) * in.AcceleratorCount
			o.Pricing = mode
			o.Rejected = ic.reason
			od, okOD := e.P.HourlyUSD(in, "on-demand")
			comps := make([]cost.Component, 0, 2)
			label := ic.label
			switch mode {
			case "on-demand":
				if !okOD {
					continue
				}
				comps = append(comps, cost.Line(label+" on-demand", "compute", "instance-hours", instHours, od, in.Source))
			case "reserved-1y", "reserved-3y":
				p, ok := e.P.HourlyUSD(in, mode)
				if !ok || !okOD {
					continue
				}
				// Reserve the always-on baseline; burst above it on demand.
				comps = append(comps, cost.Line(label+" "+mode+" baseline", "compute", "instance-hours", minInst*e.Hours, p, "catalog rate "+mode+"/"+in.Cloud))
				if burst := instHours - minInst*e.Hours; burst > 0 {
					comps = append(comps, cost.Line(label+" on-demand burst", "compute", "instance-hours", burst, od, in.Source))
				}
			case "managed-platform":
				// A managed endpoint (SageMaker-style) on the same instance,
				// at the platform's markup; clouds without a markup in the
				// catalog do not offer it.
				mk, ok := e.C.Rate("managed-platform/" + in.Cloud)
				if !ok || !okOD {
					continue
				}
				comps = append(comps, cost.Line(label+" managed endpoint", "compute", "instance-hours", instHours, od*(1+mk.Value), mk.Source))
			case "spot":
				sp, ok := e.P.HourlyUSD(in, "spot")
				if !ok {
					continue
				}
				intr := e.P.RateOr("spot-interruptions-per-hour", 0.02) * e.P.RateOr("spot-restart-hours", 0.25)
				spotHours := instHours
				if latencyCritical && !e.K.AllowSpotForLatencyCritical {
					if !okOD {
						continue
					}
					o.Pricing = "spot+on-demand"
					comps = append(comps, cost.Line(label+" on-demand baseline", "compute", "instance-hours", minInst*e.Hours, od, in.Source))
					spotHours = math.Max(0, instHours-minInst*e.Hours)
				}
				if spotHours > 0 {
					comps = append(comps, cost.Line(label+" spot", "compute", "instance-hours", spotHours*(1+intr), sp, in.Source+"; +interruption replacement"))
				}
			}
			o.Components = comps
			o.MonthlyUSD = cost.Sum(comps)
			o.Instances = int(maxInst)
			o.summarize = describeEndpoint
			if o.Rejected == "" && limit > 0 && o.PeakGPUs > limit {
				o.Rejected = fmt.Sprintf("capacity: needs %d GPUs at peak, limit %d", o.PeakGPUs, limit)
			}
			out = append(out, o)
		}
	}
	out = append(out, e.committed(u, base, shape, reps, &hourly, evaluated)...)
	if e.Modes["serverless"] && u.gpus == 1 {
		if o, ok := e.serverless(w, u, base, shape, peak, latencyCritical); ok {
			*evaluated++
			out = append(out, o)
		}
	}
	if e.Modes["on-prem"] {
		for _, pool := range e.onPremFor(u.acc.ID) {
			if !u.runsOnPool(pool) {
				continue
			}
			*evaluated++
			o := base
			o.OnPrem, o.Pricing, o.Region = pool.Name, "on-prem", pool.Region
			o.ReplicasMin, o.ReplicasMax, o.HourlyReplicas = reps.Min, reps.Max, &hourly
			o.PeakGPUs = reps.Max * u.gpus
			capex, power, ops, note := e.P.OnPremGPUHourUSD(pool, u.acc)
			own := pool.Free() / u.gpus
			if own == 0 {
				o.Rejected = fmt.Sprintf("capacity: pool %s has %d free accelerators, a replica needs %d", pool.Name, pool.Free(), u.gpus)
				o.summarize = describeEndpoint
				out = append(out, o)
				continue
			}
			held := min(own, reps.Max)
			gpuHours := float64(held*u.gpus) * e.Hours
			busy := (reps.MonthlyHours - burstHours(cost.ReplicasFor(shape, peak, u.capacity, e.Headroom, minR, 0, e.Hours), shape, own, e.Hours)) * float64(u.gpus)
			o.Components = []cost.Component{
				cost.Line(fmt.Sprintf("on-prem %s power (%d x %s)", pool.Name, held*u.gpus, u.acc.ID), "compute", "busy GPU-hours", busy, power, note),
				cost.Line(fmt.Sprintf("on-prem %s operations", pool.Name), "compute", "GPU-hours", gpuHours, ops, "opsUSDPerMonth or the onprem-ops-fraction rate"),
				cost.Line(fmt.Sprintf("on-prem %s amortised capex (sunk)", pool.Name), "compute", "GPU-hours", gpuHours, capex, fmt.Sprintf("capex %.0f USD over %.1f years", pool.CapexUSD, pool.AmortizationYears)),
			}
			o.SunkUSD = gpuHours * capex
			if reps.Max > own {
				// Hybrid burst: replicas beyond the owned pool run in the cloud.
				in, price := e.cheapestCloud(u)
				if in == nil {
					o.Rejected = fmt.Sprintf("capacity: needs %d GPUs at peak, pool %s has %d and no allowed cloud instance for burst", reps.Max*u.gpus, pool.Name, pool.Count)
				} else {
					burst := cost.ReplicasFor(shape, peak, u.capacity, e.Headroom, 0, 0, e.Hours)
					over := burstHours(burst, shape, own, e.Hours)
					per := in.AcceleratorCount / u.gpus
					o.Pricing = "on-prem+cloud burst"
					o.Cloud, o.Instance, o.Region = in.Cloud, in.InstanceType, in.Region
					o.Components = append(o.Components, cost.Line(fmt.Sprintf("%s %s burst (on-demand)", in.Cloud, in.InstanceType), "compute", "instance-hours", over/float64(per), price, in.Source))
				}
			}
			o.MonthlyUSD = cost.Sum(o.Components)
			o.summarize = describeEndpoint
			out = append(out, o)
		}
	}
	return out
}

// burstHours is the replica-hours per month above the owned count.
func burstHours(r cost.Replicas, s cost.Shape, own int, hours float64) float64 {
	var wd, we float64
	for h := 0; h < 24; h++ {
		wd += float64(max(0, r.Weekday[h]-own))
		we += float64(max(0, r.Weekend[h]-own))
	}
	return (wd*s.WeekdaysPerWeek + we*(7-s.WeekdaysPerWeek)) / (24 * 7) * hours
}

func (e *Env) cheapestCloud(u unit) (*catalog.Instance, float64) {
	var best *catalog.Instance
	bp := 0.0
	for _, ic := range e.instances {
		if ic.reason != "" || !u.runsOn(ic.in) {
			continue
		}
		p, ok := e.P.HourlyUSD(ic.in, "on-demand")
		if !ok {
			continue
		}
		per := p / float64(ic.in.AcceleratorCount/u.gpus)
		if best == nil || per < bp/float64(best.AcceleratorCount/u.gpus) {
			best, bp = ic.in, p
		}
	}
	return best, bp
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
	if o.TP > 1 {
		cfg = append(cfg, fmt.Sprintf("tp=%d", o.TP))
	}
	if o.Precision != "" {
		cfg = append(cfg, o.Precision)
	}
	c := ""
	if len(cfg) > 0 {
		c = " (" + strings.Join(cfg, ", ") + ")"
	}
	return fmt.Sprintf("%d x %s per replica%s, %d-%d replicas on %s, %s", o.GPUsPerUnit, o.Accelerator, c, o.ReplicasMin, o.ReplicasMax, where, o.Pricing)
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
		o.Pricing, o.Cloud, o.Instance = "serverless", provider, "serverless "+u.acc.ID
		reps := cost.ReplicasFor(shape, peak, u.capacity, e.Headroom, 0, 0, e.Hours)
		cold := e.P.RateOr("serverless-cold-start-base-s", 15) + o.Metrics.MemoryGBPerGPU/e.P.RateOr("serverless-weight-load-gbps", 2)
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
func (e *Env) committed(u unit, base Option, shape cost.Shape, reps cost.Replicas, hourly *[24]int, evaluated *int) []Option {
	var out []Option
	for _, cm := range e.K.Commitments {
		if cm.Free() == 0 {
			continue
		}
		for _, ic := range e.instances {
			in := ic.in
			if in.ID != cm.ID() || !u.runsOn(in) {
				continue
			}
			*evaluated++
			per := in.AcceleratorCount / u.gpus
			maxInst := (reps.Max + per - 1) / per
			usable := min(cm.Free(), maxInst)
			price := cm.USDPerHour
			src := "committed price from the workload file"
			if price == 0 {
				p, ok := e.P.HourlyUSD(in, "reserved-1y")
				if !ok {
					p, _ = e.P.HourlyUSD(in, "on-demand")
				}
				price, src = p, "catalog reserved-1y price (the file gave no usdPerHour)"
			}
			o := base
			o.Cloud, o.Region, o.Instance, o.Commitment = in.Cloud, in.Region, in.InstanceType, cm.ID()
			o.ReplicasMin, o.ReplicasMax, o.HourlyReplicas = reps.Min, reps.Max, hourly
			o.PeakGPUs, o.Instances = maxInst*in.AcceleratorCount, maxInst
			o.Pricing = "committed"
			o.Rejected = ic.reason
			o.Components = []cost.Component{cost.Line(fmt.Sprintf("%s %s committed (%d held, sunk)", in.Cloud, in.InstanceType, usable), "compute", "instance-hours", float64(usable)*e.Hours, price, src)}
			o.SunkUSD = o.Components[0].MonthlyUSD
			if over := burstHours(reps, shape, usable*per, e.Hours) / float64(per); over > 0 {
				od, ok := e.P.HourlyUSD(in, "on-demand")
				if !ok {
					o.Rejected = "capacity: the commitment is too small and the instance has no on-demand price"
				}
				o.Pricing = "committed+on-demand"
				o.Components = append(o.Components, cost.Line(in.Cloud+" "+in.InstanceType+" on-demand overflow", "compute", "instance-hours", over, od, in.Source))
			}
			o.MonthlyUSD = cost.Sum(o.Components)
			o.summarize = describeEndpoint
			out = append(out, o)
		}
	}
	return out
}
