package calib

import (
	"fmt"
	"math"
	"sort"

	"github.com/aiplan-dev/aiplan/catalog"
	"gonum.org/v1/gonum/optimize"
)

// param is one fitted factor: a pointer into the Efficiency struct and its
// transform (unit interval or positive).
type param struct {
	name string
	ptr  func(e *catalog.Efficiency) *float64
	unit bool // in (0,1): logistic transform; otherwise positive: exp
}

func p(name string, unit bool, f func(e *catalog.Efficiency) *float64) param {
	return param{name: name, ptr: f, unit: unit}
}

var inferenceParams = []param{
	p("memory_bw_efficiency", true, func(e *catalog.Efficiency) *float64 { return &e.Inference.MemoryBWEfficiency }),
	p("prefill_compute_efficiency", true, func(e *catalog.Efficiency) *float64 { return &e.Inference.PrefillComputeEfficiency }),
	p("decode_compute_efficiency", true, func(e *catalog.Efficiency) *float64 { return &e.Inference.DecodeComputeEfficiency }),
	p("low_precision_efficiency", true, func(e *catalog.Efficiency) *float64 { return &e.Inference.LowPrecisionEfficiency }),
	p("link_efficiency", true, func(e *catalog.Efficiency) *float64 { return &e.Inference.LinkEfficiency }),
	p("kv_occupancy", true, func(e *catalog.Efficiency) *float64 { return &e.Inference.KVOccupancy }),
	p("step_overhead_ms", false, func(e *catalog.Efficiency) *float64 { return &e.Inference.StepOverheadMS }),
	p("layer_overhead_us", false, func(e *catalog.Efficiency) *float64 { return &e.Inference.LayerOverheadUS }),
	p("expert_overhead_us", false, func(e *catalog.Efficiency) *float64 { return &e.Inference.ExpertOverheadUS }),
	p("ttft_overhead_ms", false, func(e *catalog.Efficiency) *float64 { return &e.Inference.TTFTOverheadMS }),
	p("prefill_layer_overhead_us", false, func(e *catalog.Efficiency) *float64 { return &e.Inference.PrefillLayerOverheadUS }),
	p("max_batch", false, func(e *catalog.Efficiency) *float64 { return &e.Inference.MaxBatch }),
	p("runtime_overhead_gib", false, func(e *catalog.Efficiency) *float64 { return &e.Inference.RuntimeOverheadGiB }),
	p("pcie_latency_us", false, func(e *catalog.Efficiency) *float64 { return &e.Inference.PCIeLatencyUS }),
	p("link_latency_us", false, func(e *catalog.Efficiency) *float64 { return &e.Inference.LinkLatencyUS }),
	p("roofline_blend", false, func(e *catalog.Efficiency) *float64 { return &e.Inference.RooflineBlend }),
}

var trainingParams = []param{
	p("gemm_efficiency", true, func(e *catalog.Efficiency) *float64 { return &e.Training.GEMMEfficiency }),
	p("intensity_knee", false, func(e *catalog.Efficiency) *float64 { return &e.Training.IntensityKnee }),
	p("nongemm_bytes_per_hidden", false, func(e *catalog.Efficiency) *float64 { return &e.Training.NonGEMMBytesPerHidden }),
	p("attention_efficiency", true, func(e *catalog.Efficiency) *float64 { return &e.Training.AttentionEfficiency }),
	p("comm_overlap", true, func(e *catalog.Efficiency) *float64 { return &e.Training.CommOverlap }),
	p("step_overhead_ms", false, func(e *catalog.Efficiency) *float64 { return &e.Training.StepOverheadMS }),
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

// loss is the mean over classes of the mean absolute log error, so that a
// class with few rows (TTFT) weighs as much as one with many (throughput).
func loss(c *catalog.Catalog, rows []Row, classes map[string]bool) float64 {
	by := map[string][]float64{}
	for _, r := range Run(c, rows) {
		if r.Skipped != "" || !classes[r.Class] || r.Predicted <= 0 {
			continue
		}
		by[r.Class] = append(by[r.Class], math.Abs(math.Log(r.Predicted/r.Measured)))
	}
	total, n := 0.0, 0
	for _, v := range by {
		s := 0.0
		for _, x := range v {
			s += x
		}
		total += s / float64(len(v))
		n++
	}
	if n == 0 {
		return math.Inf(1)
	}
	return total / float64(n)
}

// FitReport says what a fit changed.
type FitReport struct {
	Before, After float64
	Values        map[string]float64
	Evaluations   int
}

// Fit refits the inference and training factors of c.Efficiency in place on
// rows (Nelder-Mead on the per-class mean absolute log error) and refreshes
// the uncertainty bands from the residuals.
func Fit(c *catalog.Catalog, rows []Row, maxEvals int) (FitReport, error) {
	rep := FitReport{Values: map[string]float64{}}
	groups := []struct {
		ps      []param
		classes map[string]bool
	}{
		{inferenceParams, map[string]bool{"inference throughput": true, "TTFT": true, "TPOT": true, "memory": true}},
		{trainingParams, map[string]bool{"training throughput/MFU": true}},
	}
	all := map[string]bool{"inference throughput": true, "TTFT": true, "TPOT": true, "memory": true, "training throughput/MFU": true, "training GPU-hours": true}
	rep.Before = loss(c, rows, all)
	for _, g := range groups {
		x0 := make([]float64, len(g.ps))
		for i, q := range g.ps {
			x0[i] = enc(*q.ptr(c.Efficiency), q.unit)
		}
		set := func(x []float64) {
			for i, q := range g.ps {
				*q.ptr(c.Efficiency) = dec(x[i], q.unit)
			}
		}
		prob := optimize.Problem{Func: func(x []float64) float64 { set(x); return loss(c, rows, g.classes) }}
		res, err := optimize.Minimize(prob, x0, &optimize.Settings{FuncEvaluations: maxEvals}, &optimize.NelderMead{})
		if err != nil && res == nil {
			return rep, fmt.Errorf("fit: %w", err)
		}
		set(res.X)
		rep.Evaluations += res.Stats.FuncEvaluations
		for _, q := range g.ps {
			rep.Values[q.name] = *q.ptr(c.Efficiency)
		}
	}
	rep.After = loss(c, rows, all)
	c.Efficiency.Uncertainty = Bands(Run(c, rows), c.Efficiency.Uncertainty)
	return rep, nil
}

// Bands sets each class's band to the 10th and 90th percentile of
// measured/predicted on the rows.
func Bands(rs []Result, old catalog.UncertaintyEff) catalog.UncertaintyEff {
	by := map[string][]float64{}
	for _, r := range rs {
		if r.Skipped == "" && r.Predicted > 0 {
			by[r.Class] = append(by[r.Class], r.Measured/r.Predicted)
		}
	}
	b := func(cls string, def catalog.Band) catalog.Band {
		v := by[cls]
		if len(v) < 5 {
			return def
		}
		sort.Float64s(v)
		lo, hi := quantile(v, 0.1), quantile(v, 0.9)
		return catalog.Band{Low: round3(math.Min(lo, 0.99)), High: round3(math.Max(hi, 1.01))}
	}
	old.Throughput = b("inference throughput", old.Throughput)
	old.TTFT = b("TTFT", old.TTFT)
	old.TPOT = b("TPOT", old.TPOT)
	old.Training = b("training throughput/MFU", old.Training)
	return old
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }
