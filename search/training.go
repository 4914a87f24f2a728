package search

import (
	"fmt"
	"math"

	"github.com/aiplan-dev/aiplan/catalog"
	"github.com/aiplan-dev/aiplan/cost"
	"github.com/aiplan-dev/aiplan/perf"
	"github.com/aiplan-dev/aiplan/spec"
)

// RunsPerMonth converts a schedule to runs per month (0 for one-off jobs).
func RunsPerMonth(schedule string) float64 {
	switch schedule {
	case "daily":
		return 365.0 / 12
	case "weekly":
		return 52.0 / 12
	case "monthly":
		return 1
	}
	return 0
}

// Training searches training and fine-tuning jobs: accelerator x GPU count
// x instance x pricing mode, each with the engine's best parallel plan,
// within the deadline.
func (e *Env) Training(w *spec.Workload) Result {
	r := Result{Workload: w.Name, Type: w.Type}
	m, ok := e.model(w, &r)
	if !ok {
		return r
	}
	tokens := w.Tokens
	if tokens == 0 {
		tokens = w.DatasetTokens * math.Max(w.Epochs, 1)
	}
	runs := RunsPerMonth(w.Schedule)
	limit := e.K.MaxGPUs
	if w.MaxGPUs > 0 {
		limit = w.MaxGPUs
	}
	if limit == 0 {
		limit = 4096
	}
	col := newCollector()
	for _, a := range e.accelerators(w) {
		if a.InferenceOnly {
			continue
		}
		prec, why := trainingPrecision(w, a)
		if why != "" {
			r.Evaluated++
			col.add(Option{Summary: fmt.Sprintf("%s training on %s", prec, a.ID), Accelerator: a.ID, Precision: string(prec), Pricing: cost.Unpriced, Rejected: why})
			continue
		}
		shapes := e.trainShapes(a)
		cache := map[trainRun]perf.TrainingResult{}
		for g := 1; g <= limit; g *= 2 {
			fastest := math.Inf(1)
			for _, sh := range shapes {
				if g > sh.count && g%sh.count != 0 {
					continue
				}
				nodes := (g + sh.count - 1) / sh.count
				if nodes > 1 && sh.netGBs <= 0 {
					r.Evaluated++
					col.add(Option{Summary: fmt.Sprintf("%d x %s on %d x %s", g, a.ID, nodes, sh.example), Accelerator: a.ID, GPUsPerUnit: g, Pricing: cost.Unpriced, PeakGPUs: g, Instances: nodes,
						Rejected: fmt.Sprintf("network: %s has no published scale-out bandwidth in the catalog; a job across %d of them cannot be timed", sh.example, nodes)})
					continue
				}
				acc, net := sh.installed(a, nodes)
				key := trainRun{g, acc.LinkDomain, net}
				t, seen := cache[key]
				if !seen {
					in := perf.TrainingInput{Model: m, Accel: acc, Eff: e.C.Efficiency, GPUs: g, Tokens: tokens, SeqLen: w.SeqLen, Method: perf.Method(w.Method), Precision: prec, Zero: -1, PipelineGBs: net, Quiet: true}
					var err error
					if t, err = perf.Training(in); err != nil {
						r.Evaluated++
						col.add(Option{Summary: fmt.Sprintf("%d x %s", g, a.ID), Accelerator: a.ID, GPUsPerUnit: g, Precision: string(prec), Pricing: cost.Unpriced, PeakGPUs: g, Rejected: "invalid: " + err.Error()})
						continue
					}
					// Plan at the pessimistic end of the prediction band.
					derate := t.Uncertainty.Low
					t.WallHours /= derate
					t.GPUHours /= derate
					cache[key] = t
				}
				fastest = math.Min(fastest, t.WallHours)
				p := t.Parallelism
				met := Metrics{WallHours: t.WallHours, GPUHours: t.GPUHours, MFU: t.MFU, MemoryGiBPerGPU: t.MemoryPerGPUGiB, Parallelism: fmt.Sprintf("tp=%d pp=%d dp=%d zero=%d recompute=%s", p.TP, p.PP, p.DP, p.ZeroStage, p.Recompute)}
				if nodes > 1 {
					met.Parallelism += fmt.Sprintf(" across %d nodes over %s", nodes, sh.network)
				}
				if !t.Fits {
					r.Evaluated++
					col.add(Option{Summary: fmt.Sprintf("%d x %s", g, a.ID), Accelerator: a.ID, GPUsPerUnit: g, Precision: string(prec), Pricing: cost.Unpriced, PeakGPUs: g, Metrics: met, LatencyMs: t.WallHours * 3.6e6, Rejected: "memory: " + t.Reason})
					continue
				}
				opts := e.priceJob(w, m, a, g, t, met, runs, sh, &r.Evaluated)
				for i := range opts {
					opts[i].Precision = string(prec)
				}
				col.add(opts...)
			}
			if w.DeadlineHours == 0 && fastest < 1 {
				break // more GPUs only add cost once a run takes under an hour
			}
		}
	}
	col.finish(&r)
	if runs == 0 {
		r.Notes = append(r.Notes, "one-off job: its cost is reported as one-off, not monthly")
	}
	return r
}

// priceJob prices a run of g accelerators on every instance (or the owned
// pool) of one shape.
func (e *Env) priceJob(w *spec.Workload, m *catalog.Model, a *catalog.Accelerator, g int, t perf.TrainingResult, met Metrics, runs float64, sh trainShape, evaluated *int) []Option {
	out := e.jobBuf[:0] // reused: callers consume the options before the next call
	defer func() { e.jobBuf = out[:0] }()
	ckptGB := 0.0
	if w.Method == "pretrain" || w.Method == "full" {
		// Keep three full checkpoints (weights, fp32 master and Adam moments: 14 bytes/param).
		ckptGB = 3 * 14 * m.TotalParams() / 1e9
	}
	storage, src, _ := e.P.Rate("object-storage-standard")
	finish := func(o Option, wall, runCost float64, comps []cost.Component) Option {
		o.Metrics = met
		o.Metrics.WallHours = wall
		o.LatencyMs = wall * 3.6e6
		if ckptGB > 0 {
			comps = append(comps, cost.Line("checkpoints (3 kept)", "storage", "GB-months", ckptGB, storage, src))
		}
		o.Components = comps
		if runs > 0 {
			o.MonthlyUSD = cost.Sum(comps)
		} else {
			o.OneOffUSD = cost.Sum(comps)
		}
		if o.Rejected == "" && w.DeadlineHours > 0 && wall > w.DeadlineHours {
			o.Rejected = fmt.Sprintf("deadline: %.1f h > %.1f h", wall, w.DeadlineHours)
		}
		return o
	}
	perRun := math.Max(runs, 1)
	for _, ic := range e.instances {
		in := ic.in
		if sh.pool != "" || !sh.matches(in, a) {
			continue
		}
		nInst := math.Ceil(float64(g) / float64(in.AcceleratorCount))
		for _, mode := range []cost.Mode{cost.OnDemand, cost.Spot, cost.Reserved1y} {
			if !e.Modes[mode] || (mode == cost.Reserved1y && runs == 0) {
				continue
			}
			price, ok := e.P.HourlyUSD(in, mode)
			if !ok {
				continue
			}
			*evaluated++
			wall := t.WallHours
			label := fmt.Sprintf("%s %s %s", in.Cloud, in.InstanceType, mode)
			var comps []cost.Component
			switch mode {
			case cost.Spot:
				// Interruptions cost a restart plus, on average, half a
				// checkpoint interval of lost work (Young/Daly interval).
				rate := e.P.RateOr("spot-interruptions-per-hour", 0.02) * nInst
				wall *= 1 + rate*(e.P.RateOr("spot-restart-hours", 0.25)+math.Sqrt(2*e.C.Efficiency.Training.CheckpointHours/math.Max(rate, 1e-9))/2)
				comps = append(comps, cost.Line(label, "compute", "instance-hours", nInst*wall*perRun, price, in.Source+"; wall time inflated by spot interruptions"))
			case cost.Reserved1y:
				// Reserved capacity is paid around the clock.
				comps = append(comps, cost.Line(label, "compute", "instance-hours", nInst*e.Hours, price, "catalog rate reserved-1y/"+in.Cloud))
			default:
				comps = append(comps, cost.Line(label, "compute", "instance-hours", nInst*wall*perRun, price, in.Source))
			}
			o := Option{Accelerator: a.ID, GPUsPerUnit: g, PeakGPUs: int(nInst) * in.AcceleratorCount, Cloud: in.Cloud, Region: in.Region, Instance: in.InstanceType, Pricing: mode, Rejected: ic.reason, Instances: int(nInst), summarize: describeJob}
			if mode == cost.Reserved1y && nInst*wall*perRun > nInst*e.Hours {
				o.Rejected = "capacity: reserved instances cannot run the monthly job hours"
			}
			out = append(out, finish(o, wall, 0, comps))
		}
	}
	if e.Modes[cost.OnPrem] {
		for _, pool := range e.onPremFor(a.ID) {
			if pool.Name != sh.pool {
				continue
			}
			*evaluated++
			o := Option{Accelerator: a.ID, GPUsPerUnit: g, PeakGPUs: g, OnPrem: pool.Name, Region: pool.Region, Pricing: cost.OnPrem}
			o.Summary = fmt.Sprintf("%d x %s on on-prem %s", g, a.ID, pool.Name)
			capex, power, ops, note := e.P.OnPremGPUHourUSD(pool, a)
			if g > pool.Count {
				o.Rejected = fmt.Sprintf("capacity: needs %d GPUs, pool %s has %d", g, pool.Name, pool.Count)
			}
			gh := float64(g) * t.WallHours * perRun
			comps := []cost.Component{
				cost.Line("on-prem "+pool.Name+" power", "compute", "GPU-hours", gh, power, note),
				cost.Line("on-prem "+pool.Name+" operations (sunk)", "compute", "GPU-hours", gh, ops, "opsUSDPerMonth or the onprem-ops-fraction rate"),
				cost.Line("on-prem "+pool.Name+" amortised capex (sunk)", "compute", "GPU-hours", gh, capex, fmt.Sprintf("capex %.0f USD over %.1f years", pool.CapexUSD, pool.AmortizationYears)),
			}
			comps[1].Sunk, comps[2].Sunk = true, true
			o = finish(o, t.WallHours, 0, comps)
			o.SunkUSD = cost.SunkSum(comps)
			o.Demand = &Demand{Mode: cost.OnPrem, OnPrem: pool.Name, GPUs: g, PerInstance: 1, GPUHours: gh}
			out = append(out, o)
		}
	}
	return out
}

func describeJob(o *Option) string {
	return fmt.Sprintf("%d x %s on %d x %s %s %s, %s (%s)", o.GPUsPerUnit, o.Accelerator, o.Instances, o.Cloud, o.Instance, o.Region, o.Pricing, o.Metrics.Parallelism)
}
