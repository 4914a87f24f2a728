package search

import (
	"fmt"
	"math"
	"strings"

	"github.com/aiplan-dev/aiplan/catalog"
	"github.com/aiplan-dev/aiplan/cost"
	"github.com/aiplan-dev/aiplan/perf"
	"github.com/aiplan-dev/aiplan/spec"
)

type capKey struct {
	model, acc, prec string
	engine           string
	tp, pp           int
	link             link
	isl, osl         float64
	slo              spec.SLO
}

type capVal struct {
	u unit
}

func maxGPUsPerUnit(e *Env, a *catalog.Accelerator) int {
	n := 0
	for _, in := range e.C.InstancesFor(a.ID) {
		n = max(n, in.AcceleratorCount)
	}
	for _, o := range e.onPremFor(a.ID) {
		n = max(n, min(o.Count, 8))
	}
	return n
}

// sloMet checks a prediction against the SLO (p99 from the queueing model).
func sloMet(r *perf.InferenceResult, s *spec.SLO) (bool, string) {
	if s == nil {
		return !r.Saturated, "saturated"
	}
	switch {
	case s.TTFTP99Ms > 0 && r.TTFTP99Ms > s.TTFTP99Ms:
		return false, fmt.Sprintf("TTFT p99 %.0f ms > %.0f", r.TTFTP99Ms, s.TTFTP99Ms)
	case s.TPOTP99Ms > 0 && r.TPOTP99Ms > s.TPOTP99Ms:
		return false, fmt.Sprintf("TPOT p99 %.1f ms > %.1f", r.TPOTP99Ms, s.TPOTP99Ms)
	case s.E2EP99Ms > 0 && r.E2EP99Ms > s.E2EP99Ms:
		return false, fmt.Sprintf("e2e p99 %.0f ms > %.0f", r.E2EP99Ms, s.E2EP99Ms)
	}
	return !r.Saturated, "saturated"
}

// llmUnit finds the request rate one replica sustains within the SLO, by
// bisection on the open-loop rate (the queueing model's p99 grows with it).
// The TP group talks over link l (fit.go): the scale-up link, or PCIe where
// the group does not fit in one scale-up domain.
// A replica of pp > 1 spans pp nodes (pipeline stages), with its TP group
// inside each node.
func (e *Env) llmUnit(m *catalog.Model, a *catalog.Accelerator, prec catalog.Precision, engine string, tp, pp int, l link, t *spec.Traffic, slo *spec.SLO) unit {
	k := capKey{m.ID, a.ID, string(prec), engine, tp, pp, l, t.InputTokens, t.OutputTokens, spec.SLO{}}
	if slo != nil {
		k.slo = *slo
	}
	if v, ok := e.cache[k]; ok {
		return v.u
	}
	u := unit{acc: a, gpus: tp * pp, tp: tp, nodes: pp, link: l, precision: string(prec)}
	in := perf.InferenceInput{Model: m, Accel: installed(a, linkDomainFor(a, l)), Eff: e.C.Efficiency, Engine: engine, TP: tp, PP: pp, Precision: prec, InputTokens: t.InputTokens, OutputTokens: t.OutputTokens, Quiet: true}
	maxr, err := perf.Inference(in)
	switch {
	case err != nil:
		u.reject = "invalid: " + err.Error()
	case !maxr.Fits:
		u.reject = "memory: " + maxr.Reason
	}
	if u.reject == "" {
		hi := maxr.RequestsPerSecond
		lo := 0.0
		var best perf.InferenceResult
		in.RequestRate = hi * 1e-3
		r0, err := perf.Inference(in)
		if err != nil {
			u.reject = "invalid: " + err.Error()
		} else if ok, why := sloMet(&r0, slo); !ok {
			u.reject = "SLO: unattainable on this configuration even at low load (" + why + ")"
		} else {
			best = r0
			lo = in.RequestRate
			for i := 0; i < 18 && hi-lo > 0.005*hi; i++ {
				in.RequestRate = (lo + hi) / 2
				r, err := perf.Inference(in)
				if err != nil {
					// The engine refused a rate between two it accepted: say
					// so rather than size on a partial search.
					u.reject = "invalid: " + err.Error()
					break
				}
				if ok, _ := sloMet(&r, slo); ok {
					lo, best = in.RequestRate, r
				} else {
					hi = in.RequestRate
				}
			}
			if u.reject != "" {
				e.cache[k] = capVal{u}
				return u
			}
			// Size replicas at the pessimistic end of the throughput band, so
			// predictions that extrapolate (other vendors, FP4, sparse MoE)
			// carry their extra risk into the cost.
			u.capacity = lo * best.Uncertainty.Low
			u.latencyMs = best.TTFTP99Ms
			u.metrics = Metrics{TTFTP99Ms: best.TTFTP99Ms, TPOTP99Ms: best.TPOTP99Ms, E2EP99Ms: best.E2EP99Ms, TokensPerSecond: best.OutputTokensPerSecond, MemoryGiBPerGPU: best.Memory.TotalGiB, Parallelism: parallelism(tp, pp, l), Batch: int(math.Round(best.BatchSize))}
		}
	}
	e.cache[k] = capVal{u}
	return u
}

// LLMInference searches a real-time LLM endpoint.
func (e *Env) LLMInference(w *spec.Workload) Result {
	r := Result{Workload: w.Name, Type: w.Type}
	m, ok := e.model(w, &r)
	if !ok {
		return r
	}
	col := newCollector()
	for _, a := range e.accelerators(w) {
		maxG := maxGPUsPerUnit(e, a)
		for _, prec := range llmPrecisions(w, a) {
			eng, ok := e.supported(w, a, prec, col, &r)
			if !ok {
				continue
			}
			caveat := quantCaveat(w, prec)
			add := func(u unit) {
				opts := e.priceEndpoint(w, u, w.SLO != nil, &r.Evaluated)
				for i := range opts {
					opts[i].Engine = eng.ID
					if u.nodes > 1 {
						opts[i].Nodes = u.nodes
					}
					if caveat != "" {
						opts[i].Caveats = []string{caveat}
					}
				}
				col.add(opts...)
			}
			held := false // some replica on one node holds the model
			for _, tp := range tpDegrees {
				if tp > maxG || m.Heads%tp != 0 {
					continue
				}
				for _, l := range e.tpLinks(a, tp) {
					u := e.llmUnit(m, a, prec, eng.ID, tp, 1, l, w.Traffic, w.SLO)
					held = held || !strings.HasPrefix(u.reject, "memory:")
					add(u)
				}
			}
			if held {
				continue
			}
			// The model needs more memory than one node has: pipeline
			// stages on 2 or 4 nodes, TP inside each node's scale-up domain.
			if d := e.multiNodeDomain(a); d > 1 && m.Heads%d == 0 {
				for _, nodes := range []int{2, 4} {
					if nodes > m.Layers {
						break
					}
					u := e.llmUnit(m, a, prec, eng.ID, d, nodes, linkScaleUp, w.Traffic, w.SLO)
					add(u)
					if !strings.HasPrefix(u.reject, "memory:") {
						break // the fewest nodes that hold the model
					}
				}
			}
		}
	}
	if e.Modes[cost.API] {
		col.add(e.apiOption(w, m, &r))
	}
	col.finish(&r)
	if r.Choice != nil {
		r.Notes = append(r.Notes, r.Choice.Caveats...)
	}
	return r
}

// quantCaveat is the quality caveat of weights below 8 bits on a
// user-facing endpoint when the file did not ask for that precision: the
// search picks it on cost, but its accuracy loss is model- and
// task-dependent and no throughput figure measures it.
func quantCaveat(w *spec.Workload, p catalog.Precision) string {
	if w.Type != spec.LLMInference || len(w.Precision) > 0 || p.BytesPerWeight() >= 1 {
		return ""
	}
	return fmt.Sprintf("quality: %s weights (below 8 bits) were chosen on cost for a user-facing endpoint; evaluate answer quality on your own prompts before serving, or set precision in the file", p)
}

// apiOption prices the endpoint on a per-token API and records the
// self-hosting break-even.
func (e *Env) apiOption(w *spec.Workload, m *catalog.Model, r *Result) Option {
	r.Evaluated++
	o := Option{Pricing: cost.API}
	p := e.C.APIPriceFor(m.ID)
	if p == nil {
		o.Summary = "per-token API"
		o.Rejected = "api: no per-token price for " + m.ID + " in the catalog"
		return o
	}
	shape := e.shapeMean(w)
	reqs := w.Traffic.PeakRequestsPerSecond * shape * e.Hours * 3600
	if w.Type == spec.BatchInference {
		reqs = w.RequestsPerDay * e.Hours / 24
	}
	in := reqs * w.Traffic.InputTokens / 1e6
	out := reqs * w.Traffic.OutputTokens / 1e6
	o.Components = []cost.Component{
		cost.Line(p.Provider+" input tokens", "api", "million tokens", in, p.InputUSDPerMTok, p.Source),
		cost.Line(p.Provider+" output tokens", "api", "million tokens", out, p.OutputUSDPerMTok, p.Source),
	}
	o.MonthlyUSD = in*p.InputUSDPerMTok + out*p.OutputUSDPerMTok
	o.Summary = fmt.Sprintf("%s per-token API (%s)", p.Provider, p.Model)
	o.Cloud = p.Provider
	switch {
	case e.K.Residency == "eu" || e.K.Residency == "us":
		o.Rejected = "residency: the API's processing region is not guaranteed by the catalog entry"
	case hasRegime(e.K.Compliance, "hipaa"):
		o.Rejected = "compliance: no BAA for the API provider in the catalog"
	case len(w.Accelerators) > 0:
		o.Rejected = fmt.Sprintf("api: the workload asks for accelerators %s; a per-token API runs on hardware the provider chooses", strings.Join(w.Accelerators, ", "))
	default:
		o.Rejected = apiLatency(w.SLO, p, w.Traffic.OutputTokens)
	}
	o.LatencyMs = 0
	return o
}

// apiLatency is why a per-token API cannot serve under the workload's
// latency SLO ("" when it can): a shared per-token endpoint promises only
// the latency its provider states (catalog ttft_p99_ms, tpot_p99_ms), so
// a target with no stated figure, or tighter than the stated one, is
// refused. An end-to-end target needs both (TTFT + TPOT per output token).
func apiLatency(slo *spec.SLO, p *catalog.APIPrice, outputTokens float64) string {
	if slo == nil {
		return ""
	}
	var why []string
	check := func(name string, target, stated float64) {
		switch {
		case target <= 0:
		case stated <= 0:
			why = append(why, fmt.Sprintf("states no %s (SLO %.0f ms)", name, target))
		case stated > target:
			why = append(why, fmt.Sprintf("states %s %.0f ms, above the SLO's %.0f ms", name, stated, target))
		}
	}
	check("TTFT p99", slo.TTFTP99Ms, p.TTFTP99Ms)
	check("TPOT p99", slo.TPOTP99Ms, p.TPOTP99Ms)
	e2e := 0.0
	if p.TTFTP99Ms > 0 && p.TPOTP99Ms > 0 {
		e2e = p.TTFTP99Ms + p.TPOTP99Ms*max(outputTokens-1, 0)
	}
	check("end-to-end p99", slo.E2EP99Ms, e2e)
	if len(why) == 0 {
		return ""
	}
	return fmt.Sprintf("api: %s for its %s API (catalog entry %s) %s", p.Provider, p.Model, p.ID, strings.Join(why, "; "))
}

func (e *Env) shapeMean(w *spec.Workload) float64 {
	return cost.ShapeOf(w.Traffic).MeanFraction()
}
