package search

import (
	"fmt"
	"math"

	"github.com/aiplan-dev/aiplan/catalog"
	"github.com/aiplan-dev/aiplan/cost"
	"github.com/aiplan-dev/aiplan/perf"
	"github.com/aiplan-dev/aiplan/spec"
)

// BatchInference sizes an offline LLM job that must finish each day's
// requests within the deadline, at maximum throughput.
func (e *Env) BatchInference(w *spec.Workload) Result {
	r := Result{Workload: w.Name, Type: w.Type}
	m, ok := e.model(w, &r)
	if !ok {
		return r
	}
	deadline := w.DeadlineHours
	if deadline == 0 {
		deadline = 24
	}
	col := newCollector()
	for _, a := range e.accelerators(w) {
		maxG := maxGPUsPerUnit(e, a)
		for _, prec := range llmPrecisions(w, a) {
			eng, ok := e.supported(w, a, prec, col, &r)
			if !ok {
				continue
			}
			held := false // some replica on one node holds the model
			for _, tp := range tpDegrees {
				if tp > maxG || m.Heads%tp != 0 {
					continue
				}
				for _, l := range e.tpLinks(a, tp) {
					held = e.batchConfig(w, m, a, prec, tp, 1, l, eng, deadline, col, &r) || held
				}
			}
			// Too large for one node: pipeline stages across nodes.
			if d := e.multiNodeDomain(a); !held && d > 1 && m.Heads%d == 0 {
				for _, nodes := range []int{2, 4} {
					if nodes > m.Layers || e.batchConfig(w, m, a, prec, d, nodes, linkScaleUp, eng, deadline, col, &r) {
						break
					}
				}
			}
		}
	}
	if e.Modes[cost.API] {
		col.add(e.apiOption(w, m, &r))
	}
	col.finish(&r)
	return r
}

// batchConfig sizes and prices one batch configuration: replicas of tp
// accelerators talking over link l (times pp pipeline stages on as many
// nodes), packed onto instances. It reports whether the model fits.
func (e *Env) batchConfig(w *spec.Workload, m *catalog.Model, a *catalog.Accelerator, prec catalog.Precision, tp, pp int, l link, eng *catalog.Engine, deadline float64, col *collector, r *Result) bool {
	res, err := perf.Inference(perf.InferenceInput{Model: m, Accel: installed(a, linkDomainFor(a, l)), Eff: e.C.Efficiency, Engine: eng.ID, TP: tp, PP: pp, Precision: prec, InputTokens: w.Traffic.InputTokens, OutputTokens: w.Traffic.OutputTokens, Quiet: true})
	u := unit{acc: a, gpus: tp * pp, tp: tp, nodes: pp, link: l, precision: string(prec)}
	if err != nil || !res.Fits {
		if err != nil {
			u.reject = "invalid: " + err.Error()
		} else {
			u.reject = "memory: " + res.Reason
		}
		r.Evaluated++
		col.add(Option{Summary: fmt.Sprintf("%d x %s (%s)", u.gpus, a.ID, prec), Accelerator: a.ID, TP: tp, GPUsPerUnit: u.gpus, Precision: string(prec), Pricing: cost.Unpriced, Rejected: u.reject})
		return false
	}
	replicas := math.Ceil(w.RequestsPerDay / (res.RequestsPerSecond * deadline * 3600))
	busyHours := w.RequestsPerDay / (res.RequestsPerSecond * replicas) / 3600 // per replica per day
	perMonth := busyHours * 365 / 12
	u.metrics = Metrics{TokensPerSecond: res.OutputTokensPerSecond, WallHours: busyHours, Parallelism: parallelism(tp, pp, l), MemoryGiBPerGPU: res.Memory.TotalGiB}
	for _, ic := range e.instances {
		in := ic.in
		if !u.runsOn(in) {
			continue
		}
		nInst := replicas * float64(pp) // one instance per pipeline stage
		if pp <= 1 {
			nInst = math.Ceil(replicas / float64(in.AcceleratorCount/tp))
		}
		for _, mode := range []cost.Mode{cost.OnDemand, cost.Spot} {
			if !e.Modes[mode] {
				continue
			}
			price, ok := e.P.HourlyUSD(in, mode)
			if !ok {
				continue
			}
			r.Evaluated++
			hours := nInst * perMonth
			if mode == cost.Spot {
				hours *= 1 + e.P.RateOr("spot-interruptions-per-hour", 0.02)*e.P.RateOr("spot-restart-hours", 0.25)
			}
			o := Option{Accelerator: a.ID, TP: tp, GPUsPerUnit: u.gpus, Precision: string(prec), Engine: eng.ID, Cloud: in.Cloud, Region: in.Region, Instance: in.InstanceType, Pricing: mode, Rejected: ic.reason,
				ReplicasMin: 0, ReplicasMax: int(replicas), PeakGPUs: int(nInst) * in.AcceleratorCount, Metrics: u.metrics, LatencyMs: busyHours * 3.6e6}
			o.Components = []cost.Component{cost.Line(in.Cloud+" "+in.InstanceType+" "+string(mode), "compute", "instance-hours", hours, price, in.Source)}
			o.MonthlyUSD = cost.Sum(o.Components)
			o.Instances = int(nInst)
			if pp > 1 {
				o.Nodes = pp
			}
			o.summarize = describeBatch
			col.add(o)
		}
	}
	if e.Modes[cost.OnPrem] {
		for _, pool := range e.onPremFor(a.ID) {
			if !u.runsOnPool(pool) {
				continue
			}
			r.Evaluated++
			col.add(e.batchOnPrem(pool, u, eng, replicas, busyHours, perMonth))
		}
	}
	return true
}

// batchOnPrem runs a batch job on an owned pool: its replicas hold their
// accelerators while the day's requests run (placement fits them into the
// hours the pool's endpoints leave idle). Power is the new spending; the
// pool's capex and operations are sunk.
func (e *Env) batchOnPrem(pool spec.OnPrem, u unit, eng *catalog.Engine, replicas, busyHours, perMonth float64) Option {
	gpus := int(replicas) * u.gpus
	o := Option{Accelerator: u.acc.ID, TP: u.tp, GPUsPerUnit: u.gpus, Precision: u.precision, Engine: eng.ID, OnPrem: pool.Name, Region: pool.Region, Pricing: cost.OnPrem,
		ReplicasMax: int(replicas), PeakGPUs: gpus, Metrics: u.metrics, LatencyMs: busyHours * 3.6e6}
	o.summarize = func(o *Option) string {
		return fmt.Sprintf("%d x %s (%s, %s) on on-prem %s, %d replica(s), %s", o.GPUsPerUnit, o.Accelerator, o.Metrics.Parallelism, o.Precision, pool.Name, o.ReplicasMax, perDay(o.Metrics.WallHours))
	}
	if gpus > pool.Count {
		o.Rejected = fmt.Sprintf("capacity: needs %d accelerators at once, pool %s has %d", gpus, pool.Name, pool.Count)
		return o
	}
	capex, power, ops, note := e.P.OnPremGPUHourUSD(pool, u.acc)
	gh := float64(gpus) * perMonth
	o.Components = []cost.Component{
		cost.Line("on-prem "+pool.Name+" power", "compute", "GPU-hours", gh, power, note),
		cost.Line("on-prem "+pool.Name+" operations (sunk)", "compute", "GPU-hours", gh, ops, "opsUSDPerMonth or the onprem-ops-fraction rate"),
		cost.Line("on-prem "+pool.Name+" amortised capex (sunk)", "compute", "GPU-hours", gh, capex, fmt.Sprintf("capex %.0f USD over %.1f years", pool.CapexUSD, pool.AmortizationYears)),
	}
	o.Components[1].Sunk, o.Components[2].Sunk = true, true
	o.MonthlyUSD, o.SunkUSD = cost.Sum(o.Components), cost.SunkSum(o.Components)
	o.Demand = &Demand{Mode: cost.OnPrem, OnPrem: pool.Name, GPUs: gpus, PerInstance: 1, GPUHours: gh}
	return o
}

// classicModel returns the catalog model or an inline description.
func (e *Env) classicModel(w *spec.Workload) (*catalog.Model, error) {
	if w.Model.ID != "" {
		return e.C.Model(w.Model.ID)
	}
	mb := w.Model.BytesPerSample / 1e6
	if mb == 0 {
		mb = math.Max(w.Model.ParamsM*4/64, 0.001) // weights streamed once per batch of 64
	}
	return &catalog.Model{ID: w.Name + "-model", Name: w.Model.Framework + " model", Kind: "classic", GFLOPsPerSample: w.Model.FlopsPerSample / 1e9, MBPerSample: mb, ParamsM: math.Max(w.Model.ParamsM, 0.001), DefaultBatch: 64, Source: "workload file", AsOf: "-"}, nil
}

// classicUnit picks the largest batch whose p99 latency (twice the batch
// time: waiting for the batch to fill, then running it) meets the SLO.
func (e *Env) classicUnit(m *catalog.Model, a *catalog.Accelerator, cpu *catalog.Instance, sloMs float64, scale float64) unit {
	u := unit{acc: a, gpus: 1, tp: 1}
	if a == nil {
		u.acc = &catalog.Accelerator{ID: "cpu"}
	}
	best := perf.ClassicResult{}
	for b := 1; b <= 1024; b *= 2 {
		r, err := perf.Classic(perf.ClassicInput{Model: m, Accel: a, CPU: cpu, Eff: e.C.Efficiency, Batch: b, Quiet: true})
		if err != nil || !r.Fits {
			if b == 1 && err != nil {
				u.reject = "invalid: " + err.Error()
				return u
			}
			if b == 1 {
				u.reject = "memory: does not fit at batch 1"
				return u
			}
			break
		}
		lat := 2 * r.LatencyMs * scale
		if sloMs > 0 && lat > sloMs {
			break
		}
		best = r
		u.metrics = Metrics{LatencyP99Ms: lat, SamplesPerSecond: r.SamplesPerSecond / scale, Batch: b, MemoryGiBPerGPU: r.Memory.TotalGiB}
		u.latencyMs = lat
	}
	if best.Batch == 0 {
		u.reject = fmt.Sprintf("SLO: p99 latency above %.1f ms even at batch 1", sloMs)
		return u
	}
	u.capacity = best.SamplesPerSecond / scale
	return u
}

// ClassicInference searches a classic-model endpoint on GPUs and CPU instances.
func (e *Env) ClassicInference(w *spec.Workload) Result {
	r := Result{Workload: w.Name, Type: w.Type}
	m, err := e.classicModel(w)
	if err != nil {
		r.Notes = append(r.Notes, err.Error())
		return r
	}
	slo := 0.0
	if w.SLO != nil {
		slo = w.SLO.LatencyP99Ms
	}
	col := newCollector()
	wantCPU := len(w.Accelerators) == 0 || contains(w.Accelerators, "cpu")
	if len(w.Accelerators) == 0 || len(w.Accelerators) > 1 || !wantCPU {
		for _, a := range e.accelerators(w) {
			eng, why := e.servingEngine(w, a, "", "classic")
			if why != "" {
				r.Evaluated++
				col.add(Option{Summary: "1 x " + a.ID, Accelerator: a.ID, Pricing: cost.Unpriced, Rejected: why})
				continue
			}
			u := e.classicUnit(m, a, nil, slo, 1)
			opts := e.priceEndpoint(w, u, slo > 0, &r.Evaluated)
			for i := range opts {
				opts[i].Engine = eng.ID
			}
			col.add(opts...)
		}
	}
	if wantCPU {
		for _, ic := range e.instances {
			in := ic.in
			if !in.IsCPU() {
				continue
			}
			u := e.classicUnit(m, nil, in, slo, 1)
			u.acc = &catalog.Accelerator{ID: "cpu:" + in.InstanceType}
			col.add(e.priceCPU(w, u, in, ic.reason, &r.Evaluated)...)
		}
	}
	col.finish(&r)
	return r
}

func (e *Env) priceCPU(w *spec.Workload, u unit, in *catalog.Instance, reason string, evaluated *int) []Option {
	*evaluated++
	o := Option{Accelerator: "cpu", Cloud: in.Cloud, Region: in.Region, Instance: in.InstanceType, Pricing: cost.OnDemand, Metrics: u.metrics, LatencyMs: u.latencyMs, CapacityPerReplica: u.capacity, Rejected: reason}
	if u.reject != "" {
		o.Rejected = u.reject
		o.Summary = in.InstanceType
		return []Option{o}
	}
	shape := cost.ShapeOf(w.Traffic)
	minR := 2 // two replicas for availability
	if w.Autoscaling != nil && w.Autoscaling.MinReplicas > 0 {
		minR = w.Autoscaling.MinReplicas
	}
	reps := cost.ReplicasFor(shape, w.Traffic.PeakRequestsPerSecond, u.capacity, e.Headroom, minR, 0, e.Hours)
	hourly := reps.Weekday
	o.ReplicasMin, o.ReplicasMax, o.HourlyReplicas = reps.Min, reps.Max, &hourly
	o.Instances = reps.Max // one replica per instance, as billed
	price, ok := e.P.HourlyUSD(in, cost.OnDemand)
	if !ok {
		return nil
	}
	o.Components = []cost.Component{cost.Line(fmt.Sprintf("%s %s on-demand", in.Cloud, in.InstanceType), "compute", "instance-hours", reps.MonthlyHours, price, in.Source)}
	o.MonthlyUSD = cost.Sum(o.Components)
	o.Summary = fmt.Sprintf("%s %s %s (CPU, batch %d), %s, on-demand", in.Cloud, in.InstanceType, in.Region, u.metrics.Batch, Replicas(reps.Min, reps.Max))
	return []Option{o}
}

// Embeddings sizes corpus (re)indexing, query encoding and the vector index.
func (e *Env) Embeddings(w *spec.Workload) Result {
	r := Result{Workload: w.Name, Type: w.Type}
	m, ok := e.model(w, &r)
	if !ok {
		return r
	}
	tpd := w.TokensPerDocument
	if tpd == 0 {
		tpd = 512
	}
	seq := float64(max(m.MaxTokens, 512))
	docScale := tpd / seq // model FLOPs are per max-length sequence
	reindex := math.Max(w.ReindexPerMonth, 0)
	// Vector index: float32 vectors x HNSW overhead, two replicas.
	overhead := e.P.RateOr("vector-index-overhead", 1.5)
	memGiB := w.Documents * float64(w.VectorDim) * 4 * overhead / (1 << 30)
	memRate, memSrc, _ := e.P.Rate("memory-usd-per-gib-month")
	index := cost.Line("vector index memory (2 replicas)", "storage", "GiB-months", 2*memGiB, memRate, memSrc)
	col := newCollector()
	for _, a := range e.accelerators(w) {
		eng, why := e.servingEngine(w, a, "", "classic")
		if why != "" {
			r.Evaluated++
			col.add(Option{Summary: a.ID, Accelerator: a.ID, Pricing: cost.Unpriced, Rejected: why})
			continue
		}
		u := e.classicUnit(m, a, nil, 0, docScale)
		if u.reject != "" {
			continue
		}
		docsPerSec := u.capacity
		indexHours := w.Documents / docsPerSec / 3600
		queryScale := 32 / seq
		qu := e.classicUnit(m, a, nil, 50, queryScale)
		for _, ic := range e.instances {
			in := ic.in
			if in.Accelerator != a.ID {
				continue
			}
			price, ok := e.P.HourlyUSD(in, cost.OnDemand)
			if !ok {
				continue
			}
			r.Evaluated++
			perGPU := price / float64(in.AcceleratorCount)
			comps := []cost.Component{index}
			if reindex > 0 {
				// Re-embedding runs on every GPU of one instance: whole
				// instance-hours, for 1/count of the single-GPU time.
				comps = append(comps, cost.Line(fmt.Sprintf("re-embedding on %s %s", in.Cloud, in.InstanceType), "compute", "instance-hours", indexHours*reindex/float64(in.AcceleratorCount), price, in.Source))
			}
			encoders, encoderInstances := 1, 1
			if w.QueriesPerSecond > 0 && qu.reject == "" {
				// The query encoder runs around the clock on whole instances.
				n := math.Max(1, math.Ceil(w.QueriesPerSecond*(1+e.Headroom)/qu.capacity))
				nInst := math.Ceil(n / float64(in.AcceleratorCount))
				encoders, encoderInstances = int(n), int(nInst)
				comps = append(comps, cost.Line(fmt.Sprintf("query encoder on %s (%g %s on %g x %s)", a.ID, n, map[bool]string{true: "GPU", false: "GPUs"}[n == 1], nInst, in.InstanceType), "compute", "instance-hours", nInst*e.Hours, price, in.Source))
			}
			o := Option{Accelerator: a.ID, GPUsPerUnit: 1, Engine: eng.ID, Cloud: in.Cloud, Region: in.Region, Instance: in.InstanceType, Pricing: cost.OnDemand, Rejected: ic.reason, PeakGPUs: encoders, Instances: encoderInstances,
				Metrics: Metrics{SamplesPerSecond: docsPerSec, WallHours: indexHours}, LatencyMs: qu.latencyMs}
			o.Components = comps
			o.MonthlyUSD = cost.Sum(comps)
			o.OneOffUSD = indexHours * perGPU
			o.Summary = fmt.Sprintf("%s on %s %s %s: initial index %.1f GPU-hours, %.1f GiB vector index x2", a.ID, in.Cloud, in.InstanceType, in.Region, indexHours, memGiB)
			col.add(o)
		}
	}
	col.finish(&r)
	r.Notes = append(r.Notes, fmt.Sprintf("vector index: %.3g vectors x %d dims x 4 bytes x %.1f HNSW overhead = %.1f GiB per replica", w.Documents, w.VectorDim, overhead, memGiB))
	return r
}

// Edge checks whether the model fits and meets its latency on the device,
// trying precisions from widest to narrowest.
func (e *Env) Edge(w *spec.Workload) Result {
	r := Result{Workload: w.Name, Type: w.Type}
	a, err := e.C.Accelerator(w.Device)
	if err != nil {
		r.Notes = append(r.Notes, err.Error())
		return r
	}
	m, ok := e.model(w, &r)
	if !ok {
		return r
	}
	var opts []Option
	for _, prec := range []catalog.Precision{catalog.BF16, catalog.INT8, catalog.INT4} {
		r.Evaluated++
		o := Option{Accelerator: a.ID, GPUsPerUnit: 1, Precision: string(prec), Pricing: cost.Device, Summary: fmt.Sprintf("%s on %s", prec, a.ID)}
		if why := precisionSupport(a, prec); why != "" {
			o.Rejected = why
		} else if m.IsLLM() {
			t := w.Traffic
			isl, osl := 256.0, 128.0
			if t != nil && t.InputTokens > 0 {
				isl, osl = t.InputTokens, t.OutputTokens
			}
			res, err := perf.Inference(perf.InferenceInput{Model: m, Accel: a, Eff: e.C.Efficiency, Precision: prec, InputTokens: isl, OutputTokens: osl, Concurrency: 1, Quiet: true})
			if err != nil {
				o.Rejected = "invalid: " + err.Error()
			} else if !res.Fits {
				o.Rejected = "memory: does not fit on the device"
			} else {
				// The p99 figures: the means were reported and checked as p99.
				o.Metrics = Metrics{TTFTP99Ms: res.TTFTP99Ms, TPOTP99Ms: res.TPOTP99Ms, MemoryGiBPerGPU: res.Memory.WeightsGiB + res.Memory.OverheadGiB}
				o.LatencyMs = res.TTFTP99Ms
				if w.SLO != nil && ((w.SLO.TPOTP99Ms > 0 && res.TPOTP99Ms > w.SLO.TPOTP99Ms) || (w.SLO.TTFTP99Ms > 0 && res.TTFTP99Ms > w.SLO.TTFTP99Ms)) {
					o.Rejected = fmt.Sprintf("SLO: TTFT p99 %.0f ms / TPOT p99 %.0f ms on the device", res.TTFTP99Ms, res.TPOTP99Ms)
				}
			}
		} else {
			res, err := perf.Classic(perf.ClassicInput{Model: m, Accel: a, Eff: e.C.Efficiency, Batch: 1, Precision: prec, Quiet: true})
			if err != nil {
				o.Rejected = "invalid: " + err.Error()
			} else if !res.Fits {
				o.Rejected = "memory: does not fit on the device"
			} else {
				o.LatencyMs = res.LatencyMs
				o.Metrics = Metrics{LatencyP99Ms: res.LatencyMs, SamplesPerSecond: res.SamplesPerSecond}
				o.CapacityPerReplica = res.SamplesPerSecond // one device at batch 1 (the plan printed "0/s per replica")
				if w.SLO != nil && w.SLO.LatencyP99Ms > 0 && res.LatencyMs > w.SLO.LatencyP99Ms {
					o.Rejected = fmt.Sprintf("SLO: latency %.1f ms > %.1f", res.LatencyMs, w.SLO.LatencyP99Ms)
				}
			}
		}
		// Prefer the widest precision that works: rank by quantisation loss, not cost.
		o.MonthlyUSD = 0
		opts = append(opts, o)
	}
	for _, o := range opts {
		if o.Rejected == "" {
			c := o
			r.Choice = &c
			break
		}
	}
	for _, o := range opts {
		if r.Choice != nil && o.Precision == r.Choice.Precision {
			continue
		}
		if o.Rejected == "" {
			r.Alternatives = append(r.Alternatives, o)
		} else {
			r.Rejected = append(r.Rejected, o)
		}
	}
	r.Notes = append(r.Notes, "edge devices are owned hardware: no cloud cost; the widest precision that fits and meets the latency target is chosen")
	return r
}

// DataPipeline prices the lake, streaming brokers and the online feature store.
func (e *Env) DataPipeline(w *spec.Workload) Result {
	r := Result{Workload: w.Name, Type: w.Type}
	r.Evaluated = 1
	std, stdSrc, _ := e.P.Rate("object-storage-standard")
	ia, iaSrc, _ := e.P.Rate("object-storage-infrequent")
	hot := math.Min(w.RetentionDays, 30) * w.IngestGBPerDay
	cold := math.Max(w.RetentionDays-30, 0) * w.IngestGBPerDay
	comps := []cost.Component{
		cost.Line("lake, hot tier (30 days)", "storage", "GB-months", hot, std, stdSrc),
	}
	if cold > 0 {
		comps = append(comps, cost.Line("lake, infrequent-access tier", "storage", "GB-months", cold, ia, iaSrc))
	}
	if w.Streaming {
		mbps := w.IngestGBPerDay * 1000 / 86400
		per := e.P.RateOr("streaming-broker-mbps", 10)
		brokers := math.Max(3, math.Ceil(mbps*3/per)) // peak at 3x the daily mean
		price, src, _ := e.P.Rate("streaming-broker-hour")
		comps = append(comps, cost.Line(fmt.Sprintf("streaming brokers (%.0f)", brokers), "compute", "broker-hours", brokers*e.Hours, price, src))
	}
	if f := w.OnlineFeatures; f != nil {
		bpk := f.BytesPerKey
		if bpk == 0 {
			bpk = e.P.RateOr("feature-bytes-per-key-default", 512)
		}
		gib := f.Keys * bpk * 2 / (1 << 30) // primary + replica
		rate, src, _ := e.P.Rate("memory-usd-per-gib-month")
		comps = append(comps, cost.Line(fmt.Sprintf("online feature store memory (%.0f GiB incl. replica)", gib), "storage", "GiB-months", gib, rate, src))
	}
	o := Option{Pricing: cost.OnDemand, Summary: fmt.Sprintf("%.0f GB/day, %.0f days retention, %s", w.IngestGBPerDay, w.RetentionDays, map[bool]string{true: "streaming", false: "batch"}[w.Streaming]), Components: comps}
	o.MonthlyUSD = cost.Sum(comps)
	r.Choice = &o
	return r
}

// Search dispatches a workload to its type's search.
func (e *Env) Search(w *spec.Workload) Result {
	switch w.Type {
	case spec.LLMInference:
		return e.LLMInference(w)
	case spec.BatchInference:
		return e.BatchInference(w)
	case spec.Training, spec.FineTuning:
		return e.Training(w)
	case spec.Embeddings:
		return e.Embeddings(w)
	case spec.Inference:
		return e.ClassicInference(w)
	case spec.Edge:
		return e.Edge(w)
	case spec.DataPipeline:
		return e.DataPipeline(w)
	}
	return Result{Workload: w.Name, Type: w.Type, Notes: []string{"unknown workload type"}}
}

func describeBatch(o *Option) string {
	return fmt.Sprintf("%d x %s (%s, %s) on %d x %s %s %s, %s, %s", o.GPUsPerUnit, o.Accelerator, o.Metrics.Parallelism, o.Precision, o.Instances, o.Cloud, o.Instance, o.Region, o.Pricing, perDay(o.Metrics.WallHours))
}

// perDay says how long a batch job is busy each day, in a unit that does
// not round a short job to "0.0 h/day".
func perDay(h float64) string {
	switch {
	case h >= 1:
		return fmt.Sprintf("%.1f h/day", h)
	case h*60 >= 1:
		return fmt.Sprintf("%.0f min/day", h*60)
	case h*3600 >= 1:
		return fmt.Sprintf("%.0f s/day", h*3600)
	}
	return "under 1 s/day"
}
