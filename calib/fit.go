package calib

import (
	"math"
	"sort"
	"strings"

	"github.com/aiplan-dev/aiplan/catalog"
	"github.com/aiplan-dev/aiplan/perf"
)

// param is one fitted factor with its transform (unit interval or
// positive) and, for departures from a shared prior (engine and model
// family multipliers), a penalty weight on log(value) that pulls it to 1.
type param struct {
	name  string
	get   func(e *catalog.Efficiency) float64
	set   func(e *catalog.Efficiency, v float64)
	unit  bool
	prior float64
}

func pf(name string, unit bool, f func(e *catalog.Efficiency) *float64) param {
	return param{name: name, unit: unit, get: func(e *catalog.Efficiency) float64 { return *f(e) }, set: func(e *catalog.Efficiency, v float64) { *f(e) = v }}
}

// withPrior pulls a parameter toward its starting value.
func withPrior(p param, w float64) param {
	p.prior = w
	return p
}

var inferenceParams = []param{
	pf("memory_bw_efficiency", true, func(e *catalog.Efficiency) *float64 { return &e.Inference.MemoryBWEfficiency }),
	pf("prefill_compute_efficiency", true, func(e *catalog.Efficiency) *float64 { return &e.Inference.PrefillComputeEfficiency }),
	pf("decode_compute_efficiency", true, func(e *catalog.Efficiency) *float64 { return &e.Inference.DecodeComputeEfficiency }),
	pf("low_precision_efficiency", true, func(e *catalog.Efficiency) *float64 { return &e.Inference.LowPrecisionEfficiency }),
	pf("fp4_efficiency", true, func(e *catalog.Efficiency) *float64 { return &e.Inference.FP4Efficiency }),
	pf("link_efficiency", true, func(e *catalog.Efficiency) *float64 { return &e.Inference.LinkEfficiency }),
	pf("pcie_efficiency", true, func(e *catalog.Efficiency) *float64 { return &e.Inference.PCIeEfficiency }),
	pf("expert_tile_tokens", false, func(e *catalog.Efficiency) *float64 { return &e.Inference.ExpertTileTokens }),
	pf("kv_occupancy", true, func(e *catalog.Efficiency) *float64 { return &e.Inference.KVOccupancy }),
	pf("step_overhead_ms", false, func(e *catalog.Efficiency) *float64 { return &e.Inference.StepOverheadMS }),
	pf("layer_overhead_us", false, func(e *catalog.Efficiency) *float64 { return &e.Inference.LayerOverheadUS }),
	pf("seq_overhead_us", false, func(e *catalog.Efficiency) *float64 { return &e.Inference.SeqOverheadUS }),
	pf("expert_overhead_us", false, func(e *catalog.Efficiency) *float64 { return &e.Inference.ExpertOverheadUS }),
	pf("ttft_overhead_ms", false, func(e *catalog.Efficiency) *float64 { return &e.Inference.TTFTOverheadMS }),
	pf("prefill_layer_overhead_us", false, func(e *catalog.Efficiency) *float64 { return &e.Inference.PrefillLayerOverheadUS }),
	pf("max_batch", false, func(e *catalog.Efficiency) *float64 { return &e.Inference.MaxBatch }),
	pf("runtime_overhead_gib", false, func(e *catalog.Efficiency) *float64 { return &e.Inference.RuntimeOverheadGiB }),
	pf("pcie_latency_us", false, func(e *catalog.Efficiency) *float64 { return &e.Inference.PCIeLatencyUS }),
	pf("roofline_blend", false, func(e *catalog.Efficiency) *float64 { return &e.Inference.RooflineBlend }),
}

// floors are the values fitting restarts from when a positive factor has
// collapsed toward zero (one tenth of a typical value).
var floors = map[string]float64{
	"seq_overhead_us": 0.5, "expert_overhead_us": 0.5, "ttft_overhead_ms": 0.01, "pcie_latency_us": 0.5,
	"expert_tile_tokens": 2, "step_overhead_ms": 0.05, "layer_overhead_us": 1, "prefill_layer_overhead_us": 1,
	"classic.kernel_us": 5, "classic.cpu_kernel_us": 5, "classic.cpu_matrix_efficiency": 0.3, "classic.request_gbps": 1, "classic.host_gather_gbps": 5,
}

var trainingParams = []param{
	pf("gemm_efficiency", true, func(e *catalog.Efficiency) *float64 { return &e.Training.GEMMEfficiency }),
	pf("intensity_knee", false, func(e *catalog.Efficiency) *float64 { return &e.Training.IntensityKnee }),
	pf("nongemm_bytes_per_hidden", false, func(e *catalog.Efficiency) *float64 { return &e.Training.NonGEMMBytesPerHidden }),
	pf("attention_efficiency", true, func(e *catalog.Efficiency) *float64 { return &e.Training.AttentionEfficiency }),
	pf("comm_overlap", true, func(e *catalog.Efficiency) *float64 { return &e.Training.CommOverlap }),
	pf("step_overhead_ms", false, func(e *catalog.Efficiency) *float64 { return &e.Training.StepOverheadMS }),
}

var classicParams = []param{
	pf("classic.compute_efficiency", true, func(e *catalog.Efficiency) *float64 { return &e.Classic.ComputeEfficiency }),
	pf("classic.batch_half", false, func(e *catalog.Efficiency) *float64 { return &e.Classic.BatchHalf }),
	pf("classic.bw_efficiency", true, func(e *catalog.Efficiency) *float64 { return &e.Classic.BWEfficiency }),
	pf("classic.random_access_efficiency", true, func(e *catalog.Efficiency) *float64 { return &e.Classic.RandomAccessEfficiency }),
	pf("classic.fixed_latency_ms", false, func(e *catalog.Efficiency) *float64 { return &e.Classic.FixedLatencyMS }),
	pf("classic.cpu_efficiency", true, func(e *catalog.Efficiency) *float64 { return &e.Classic.CPUEfficiency }),
	pf("classic.cpu_fixed_latency_ms", false, func(e *catalog.Efficiency) *float64 { return &e.Classic.CPUFixedLatencyMS }),
	pf("classic.kernel_us", false, func(e *catalog.Efficiency) *float64 { return &e.Classic.KernelUS }),
	pf("classic.cpu_kernel_us", false, func(e *catalog.Efficiency) *float64 { return &e.Classic.CPUKernelUS }),
	pf("classic.cpu_matrix_efficiency", true, func(e *catalog.Efficiency) *float64 { return &e.Classic.CPUMatrixEfficiency }),
	pf("classic.request_gbps", false, func(e *catalog.Efficiency) *float64 { return &e.Classic.RequestGBps }),
	pf("classic.host_gather_gbps", false, func(e *catalog.Efficiency) *float64 { return &e.Classic.HostGatherGBps }),
	pf("classic.low_precision_efficiency", true, func(e *catalog.Efficiency) *float64 { return &e.Classic.LowPrecisionEfficiency }),
	withPrior(pf("classic.power_tflops_per_w", false, func(e *catalog.Efficiency) *float64 { return &e.Classic.PowerTFLOPSPerW }), priorWeight),
}

// priorWeight is the penalty on log(multiplier)^2 of engine and family
// departures: a departure of x2 costs about as much as 5% mean log error.
const priorWeight = 0.02

// familyPrior is the weaker pull on classic family and runtime factors:
// families differ by design (a 3D U-Net is not a ResNet).
const familyPrior = 0.005

func engineParams(id string) []param {
	get := func(e *catalog.Efficiency) catalog.EngineEff {
		f, ok := e.Engines[id]
		if !ok || f.Speed <= 0 || f.Overhead <= 0 {
			f = catalog.EngineEff{Speed: 1, Overhead: 1, Versions: f.Versions, Rows: f.Rows, KVFreeFraction: f.KVFreeFraction, FullKVForWindows: f.FullKVForWindows, MaxBatch: f.MaxBatch}
		}
		return f
	}
	return []param{
		{name: "engines." + id + ".speed", prior: priorWeight, get: func(e *catalog.Efficiency) float64 { return get(e).Speed },
			set: func(e *catalog.Efficiency, v float64) { f := get(e); f.Speed = v; e.Engines[id] = f }},
		{name: "engines." + id + ".overhead", prior: priorWeight, get: func(e *catalog.Efficiency) float64 { return get(e).Overhead },
			set: func(e *catalog.Efficiency, v float64) { f := get(e); f.Overhead = v; e.Engines[id] = f }},
		{name: "engines." + id + ".seq_us", get: func(e *catalog.Efficiency) float64 { return get(e).SeqUS },
			set: func(e *catalog.Efficiency, v float64) { f := get(e); f.SeqUS = v; e.Engines[id] = f }},
	}
}

func familyParams(fam string) []param {
	get := func(e *catalog.Efficiency) catalog.ClassicFamily {
		f, ok := e.Classic.Families[fam]
		if !ok || f.Compute <= 0 {
			f = catalog.ClassicFamily{Compute: 1, CPUCompute: 1, BatchHalf: 1, Fixed: 1, Rows: f.Rows}
		}
		return f
	}
	mk := func(n string, g func(f *catalog.ClassicFamily) *float64) param {
		return param{name: "classic.families." + fam + "." + n, prior: familyPrior,
			get: func(e *catalog.Efficiency) float64 { f := get(e); return *g(&f) },
			set: func(e *catalog.Efficiency, v float64) { f := get(e); *g(&f) = v; e.Classic.Families[fam] = f }}
	}
	return []param{
		mk("compute", func(f *catalog.ClassicFamily) *float64 { return &f.Compute }),
		mk("cpu_compute", func(f *catalog.ClassicFamily) *float64 { return &f.CPUCompute }),
		mk("batch_half", func(f *catalog.ClassicFamily) *float64 { return &f.BatchHalf }),
		mk("fixed", func(f *catalog.ClassicFamily) *float64 { return &f.Fixed }),
	}
}

// classicRuntimeKey is the runtime factor key of an input: runtime/kind.
func classicRuntimeKey(in *perf.ClassicInput) string {
	if in.Accel == nil {
		return in.Runtime + "/cpu"
	}
	return in.Runtime + "/gpu"
}

func runtimeParams(id string) []param {
	get := func(e *catalog.Efficiency) catalog.ClassicRuntime {
		f, ok := e.Classic.Runtimes[id]
		if !ok || f.Speed <= 0 || f.Overhead <= 0 {
			f = catalog.ClassicRuntime{Speed: 1, Overhead: 1, Rows: f.Rows}
		}
		return f
	}
	ps := []param{
		{name: "classic.runtimes." + id + ".speed", prior: familyPrior,
			get: func(e *catalog.Efficiency) float64 { return get(e).Speed },
			set: func(e *catalog.Efficiency, v float64) { f := get(e); f.Speed = v; e.Classic.Runtimes[id] = f }},
		{name: "classic.runtimes." + id + ".overhead", prior: familyPrior,
			get: func(e *catalog.Efficiency) float64 { return get(e).Overhead },
			set: func(e *catalog.Efficiency, v float64) { f := get(e); f.Overhead = v; e.Classic.Runtimes[id] = f }},
	}
	if strings.HasPrefix(id, "tensorrt/") {
		// TensorRT fuses each layer's elementwise tail: the reference
		// the other runtimes' activation traffic is measured against.
		return ps
	}
	return append(ps, param{name: "classic.runtimes." + id + ".traffic", prior: familyPrior,
		get: func(e *catalog.Efficiency) float64 {
			if t := get(e).Traffic; t > 0 {
				return t
			}
			return 1
		},
		set: func(e *catalog.Efficiency, v float64) { f := get(e); f.Traffic = v; e.Classic.Runtimes[id] = f }})
}

// compass minimises f by coordinate (compass) search in the transformed
// space: try each factor up and down by a step, keep what improves, halve
// the step when a sweep finds nothing. Unlike Nelder-Mead it does not stall
// on the plateaus that integer batch sizes put in the loss.
func compass(f func([]float64) float64, x0 []float64, maxEvals int) (x []float64, fx float64, evals int) {
	x = append([]float64(nil), x0...)
	fx = f(x)
	evals = 1
	step := 0.5
	for step > 0.01 && evals < maxEvals {
		improved := false
		for i := range x {
			for _, d := range []float64{step, -step} {
				if evals >= maxEvals {
					break
				}
				old := x[i]
				x[i] = old + d
				v := f(x)
				evals++
				if v < fx-1e-9 {
					fx, improved = v, true
					break
				}
				x[i] = old
			}
		}
		if !improved {
			step /= 2
		}
	}
	f(x) // leave the factors at the best point
	return x, fx, evals
}

func enc(v float64, unit bool) float64 {
	if unit {
		v = math.Min(math.Max(v, 1e-4), 1-1e-4)
		return math.Log(v / (1 - v))
	}
	return math.Log(math.Max(v, 1e-9))
}

func dec(x float64, unit bool) float64 {
	if unit {
		return 1 / (1 + math.Exp(-x))
	}
	return math.Exp(x)
}

// loss is the mean over classes of the mean absolute log error, each class
// weighted by the square root of its row count: a class with few rows (TPOT,
// memory) still counts, but no longer as much as the 800 throughput rows
// (with equal weights, eight TPOT rows pulled the shared factors as hard as
// every throughput row together, and the cross-validated throughput error
// was 13.2% median / 51.6% p90 instead of 11.4% / 40.0%).
func loss(samples []*Sample, e *catalog.Efficiency) float64 {
	sum := map[string]float64{}
	n := map[string]int{}
	for _, s := range samples {
		p, skip := s.Predict(e)
		if skip != "" || !(p > 0) {
			continue
		}
		sum[s.Class] += math.Abs(math.Log(p / s.Measured))
		n[s.Class]++
	}
	total, k := 0.0, 0
	classes := make([]string, 0, len(sum))
	for c := range sum {
		classes = append(classes, c)
	}
	sort.Strings(classes)
	wsum := 0.0
	for _, c := range classes { // in key order: the fit is bit-for-bit reproducible
		w := math.Sqrt(float64(n[c]))
		total += w * sum[c] / float64(n[c])
		wsum += w
		k++
	}
	if k == 0 {
		return math.Inf(1)
	}
	return total / wsum
}

// FitReport says what a fit changed.
type FitReport struct {
	Before, After float64
	Values        map[string]float64
	Evaluations   int
}

// groupOf says which parameter group fits a sample's class.
func groupOf(class string) int {
	switch class {
	case ClassTraining:
		return 1
	case ClassClassic:
		return 2
	case ClassTrainingHours:
		return -1
	}
	return 0
}

// FitSamples refits e in place on samples (compass search on the per-class mean
// absolute log error, from e's current values), and records the engines,
// families and coverage the samples inform. It does not touch the bands.
func FitSamples(e *catalog.Efficiency, samples []Sample, maxEvals int) (FitReport, error) {
	rep := FitReport{Values: map[string]float64{}}
	if e.Engines == nil {
		e.Engines = map[string]catalog.EngineEff{}
	}
	if e.Classic.Families == nil {
		e.Classic.Families = map[string]catalog.ClassicFamily{}
	}
	if e.Classic.Runtimes == nil {
		e.Classic.Runtimes = map[string]catalog.ClassicRuntime{}
	}
	runtimes := map[string]int{}
	var groups [3][]*Sample
	engines := map[string]map[string]bool{}
	families := map[string]int{}
	famGPU, famCPU := map[string]int{}, map[string]int{}
	for i := range samples {
		s := &samples[i]
		if s.Skipped != "" {
			continue
		}
		g := groupOf(s.Class)
		if g < 0 {
			continue
		}
		groups[g] = append(groups[g], s)
		if s.kind != kindClassic && s.Engine != "" {
			if engines[s.Engine] == nil {
				engines[s.Engine] = map[string]bool{}
			}
			engines[s.Engine][s.EngineVersion] = true
		}
		if s.kind == kindClassic {
			families[perf.ClassicFamily(s.cls.Model)]++
			if s.cls.Accel != nil {
				famGPU[perf.ClassicFamily(s.cls.Model)]++
			} else {
				famCPU[perf.ClassicFamily(s.cls.Model)]++
			}
			runtimes[classicRuntimeKey(&s.cls)]++
			if rt := s.cls.Runtime; perf.IsFramework(rt) && rt != "framework" {
				// Each eager framework departs from the shared
				// framework factors, fitted on all of them.
				runtimes["framework"+classicRuntimeKey(&s.cls)[len(rt):]]++
			}
		}
	}
	// Engines and families without rows fall back to the shared prior.
	for id, f := range e.Engines {
		if engines[id] == nil {
			e.Engines[id] = catalog.EngineEff{Speed: 1, Overhead: 1, KVFreeFraction: f.KVFreeFraction, FullKVForWindows: f.FullKVForWindows, MaxBatch: f.MaxBatch}
		} else {
			f.Versions, f.Rows = nil, 0
			e.Engines[id] = f
		}
	}
	for id, f := range e.Classic.Families {
		if families[id] == 0 {
			delete(e.Classic.Families, id)
		} else {
			f.Rows = 0
			e.Classic.Families[id] = f
		}
	}
	ps := [3][]param{append([]param(nil), inferenceParams...), trainingParams, append([]param(nil), classicParams...)}
	for _, id := range sortedKeys(engines) {
		ps[0] = append(ps[0], engineParams(id)...)
	}
	for _, fam := range sortedKeys(families) {
		// Only the factors of the device kinds the family has rows on
		// are fitted; the others are set to the typical family's below
		// (not left at what an earlier fit on other rows made them).
		for _, q := range familyParams(fam) {
			if cpuParam := strings.HasSuffix(q.name, ".cpu_compute"); (cpuParam && famCPU[fam] > 0) || (!cpuParam && famGPU[fam] > 0) {
				ps[2] = append(ps[2], q)
			}
		}
	}
	for id, f := range e.Classic.Runtimes {
		if runtimes[id] == 0 {
			// No rows: the runtime falls back to the shared factors.
			delete(e.Classic.Runtimes, id)
			continue
		}
		f.Rows = 0
		e.Classic.Runtimes[id] = f
	}
	for _, id := range sortedKeys(runtimes) {
		ps[2] = append(ps[2], runtimeParams(id)...)
	}
	for g := range groups {
		if len(groups[g]) == 0 {
			continue
		}
		rows := groups[g]
		pp := ps[g]
		x0 := make([]float64, len(pp))
		for i, q := range pp {
			v := q.get(e)
			f, ok := floors[q.name]
			if strings.HasSuffix(q.name, ".seq_us") {
				f, ok = floors["seq_overhead_us"], true
			}
			if ok && v < f {
				// A factor the last fit drove to ~0 starts again from a
				// small but noticeable value: multiplicative steps cannot
				// bring it back from 1e-7.
				v = f
			}
			x0[i] = enc(v, q.unit)
		}
		set := func(x []float64) {
			for i, q := range pp {
				q.set(e, dec(x[i], q.unit))
			}
		}
		obj := func(x []float64) float64 {
			set(x)
			l := loss(rows, e)
			for i, q := range pp {
				if q.prior > 0 {
					l += q.prior * x[i] * x[i]
				}
			}
			return l
		}
		rep.Before += obj(x0)
		evals := maxEvals
		if g == 2 {
			evals *= 4 // classic rows are cheap and its factors many
		}
		x, f, n := compass(obj, x0, evals)
		rep.Evaluations += n
		set(x)
		rep.After += f
		for _, q := range pp {
			rep.Values[q.name] = q.get(e)
		}
	}
	for id, vs := range engines {
		f := e.Engines[id]
		f.Versions = sortedKeys(vs)
		f.Rows = 0
		for _, s := range groups[0] {
			if s.Engine == id {
				f.Rows++
			}
		}
		e.Engines[id] = f
	}
	typ := perf.TypicalFamily(&e.Classic, famGPU, famCPU)
	for id, n := range families {
		f := e.Classic.Families[id]
		f.Rows = n
		if famGPU[id] == 0 {
			f.Compute, f.BatchHalf, f.Fixed = typ.Compute, typ.BatchHalf, typ.Fixed
		}
		if famCPU[id] == 0 {
			f.CPUCompute = typ.CPUCompute
		}
		e.Classic.Families[id] = f
	}
	for id, n := range runtimes {
		f := e.Classic.Runtimes[id]
		f.Rows = n
		e.Classic.Runtimes[id] = f
	}
	e.Calibrated = coverage(samples, e)
	return rep, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		if k != "" {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// coverage lists what the predictable samples span.
func coverage(samples []Sample, e *catalog.Efficiency) catalog.Coverage {
	acc, ap, eng, feat, fam := map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
	for i := range samples {
		s := &samples[i]
		if s.Skipped != "" {
			continue
		}
		switch s.kind {
		case kindClassic:
			fam[perf.ClassicFamily(s.cls.Model)] = true
			if s.cls.Accel != nil {
				acc[s.cls.Accel.ID] = true
			}
		case kindTraining:
		default:
			in := s.inf
			in.Eff = e
			if in.Validate() != nil {
				continue
			}
			acc[in.Accel.ID] = true
			ap[perf.AccelPrecision(in.Accel.ID, in.Precision)] = true
			eng[catalog.EngineKey(in.Engine, in.Accel.Vendor)] = true
			for _, f := range in.Features() {
				feat[f] = true
			}
		}
	}
	return catalog.Coverage{Accelerators: sortedKeys(acc), AccelPrecisions: sortedKeys(ap), Engines: sortedKeys(eng), Features: sortedKeys(feat), ClassicFamilies: sortedKeys(fam)}
}

// Fit refits c.Efficiency (a copy; c's pointer is replaced) on rows and sets
// the uncertainty bands from leave-one-source-out cross-validation.
func Fit(c *catalog.Catalog, rows []Row, maxEvals int) (FitReport, error) {
	e := c.Efficiency.Clone()
	samples := Prepare(c, rows)
	rep, err := FitSamples(e, samples, maxEvals)
	if err != nil {
		return rep, err
	}
	cv, err := CrossValidate(e, samples, BySource, maxEvals/10)
	if err != nil {
		return rep, err
	}
	e.Uncertainty = cv.Bands(e.Uncertainty)
	c.Efficiency = e
	return rep, nil
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }
