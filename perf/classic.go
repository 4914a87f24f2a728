package perf

import (
	"fmt"
	"math"

	"github.com/aiplan-dev/aiplan/catalog"
)

// ClassicInput is a classic model (CV, recommendation, tabular, embedding)
// served on accelerators or on a CPU instance.
type ClassicInput struct {
	Model     *catalog.Model
	Accel     *catalog.Accelerator // nil when CPU is set
	CPU       *catalog.Instance
	Eff       *catalog.Efficiency
	GPUs      int
	Batch     int
	Precision catalog.Precision
	Quiet     bool
}

// ClassicResult is the prediction. SamplesPerSecond is whole-system.
type ClassicResult struct {
	SamplesPerSecond       float64      `json:"samples_per_second"`
	SamplesPerSecondPerGPU float64      `json:"samples_per_second_per_gpu"`
	LatencyMs              float64      `json:"latency_ms"`
	Batch                  int          `json:"batch"`
	Fits                   bool         `json:"fits"`
	Reason                 string       `json:"reason,omitempty"`
	Bottleneck             string       `json:"bottleneck"`
	Memory                 Memory       `json:"memory"`
	Uncertainty            catalog.Band `json:"uncertainty"`
	Assumptions            []string     `json:"assumptions"`
}

// Classic predicts throughput and latency at a batch from FLOPs and bytes per
// sample: time per batch = max(FLOPs/(peak x eff(batch)), bytes/(bw x eff))
// + a fixed per-batch latency, with eff(batch) = eff x batch/(batch + b½):
// small batches cannot fill the chip.
func Classic(in ClassicInput) (ClassicResult, error) {
	if in.Model == nil || in.Eff == nil || (in.Accel == nil && in.CPU == nil) {
		return ClassicResult{}, inputErr("model and accelerator (or CPU instance) are required")
	}
	m, e := in.Model, &in.Eff.Classic
	if m.IsLLM() {
		return ClassicResult{}, inputErr("model %q is an LLM; give --input-tokens and --output-tokens", m.ID)
	}
	if in.GPUs <= 0 {
		in.GPUs = 1
	}
	if in.Batch < 0 || in.Batch > 1_000_000 {
		return ClassicResult{}, inputErr("--batch %d: must be between 1 and 1,000,000", in.Batch)
	}
	if in.Batch == 0 {
		in.Batch = max(m.DefaultBatch, 1)
	}
	if in.Precision == "" {
		in.Precision = catalog.FP16
		if in.CPU != nil {
			in.Precision = catalog.FP32
		}
	}
	b := float64(in.Batch)
	var peak, bw, fixed, memGB float64
	var name string
	if in.CPU != nil {
		peak = in.CPU.CPUVectorGFLOPS * 1e9 * e.CPUEfficiency
		bw = in.CPU.CPUMemoryBWGBs * 1e9 * e.BWEfficiency
		fixed = e.CPUFixedLatencyMS * 1e-3
		memGB = in.CPU.MemoryGiB
		name = in.CPU.ID
		in.GPUs = 1
	} else {
		p, _ := in.Accel.PeakTFLOPS(in.Precision)
		peak = p * 1e12 * e.ComputeEfficiency * b / (b + e.BatchHalf)
		bw = in.Accel.MemoryBandwidth() * e.BWEfficiency
		fixed = e.FixedLatencyMS * 1e-3
		memGB = in.Accel.UsableMemoryGiB()
		name = in.Accel.ID
	}
	if peak <= 0 || bw <= 0 {
		return ClassicResult{}, inputErr("%s lacks the compute or bandwidth figures this estimate needs", name)
	}
	tComp := b * m.GFLOPsPerSample * 1e9 / peak
	tMem := b * m.MBPerSample * 1e6 / bw
	t := math.Max(tComp, tMem) + fixed
	r := ClassicResult{Batch: in.Batch, Fits: true}
	r.SamplesPerSecondPerGPU = b / t
	r.SamplesPerSecond = r.SamplesPerSecondPerGPU * float64(in.GPUs)
	r.LatencyMs = t * 1e3
	r.Bottleneck = "compute"
	if tMem > tComp {
		r.Bottleneck = "memory bandwidth"
	}
	weights := m.ParamsM * 1e6 * in.Precision.BytesPerWeight()
	acts := b * m.MBPerSample * 1e6 * 2
	r.Memory = Memory{WeightsGB: weights / GiB, ActivationsGB: acts / GiB, OverheadGB: 0.5, CapacityGB: memGB}
	r.Memory.TotalGB = r.Memory.WeightsGB + r.Memory.ActivationsGB + r.Memory.OverheadGB
	if r.Memory.TotalGB > memGB {
		r.Fits = false
		r.Reason = fmt.Sprintf("needs %.1f GB at batch %d but %s has %.0f GB", r.Memory.TotalGB, in.Batch, name, memGB)
	}
	r.Uncertainty = in.Eff.Uncertainty.Classic
	if !in.Quiet {
		r.Assumptions = []string{
			fmt.Sprintf("%.3g GFLOPs and %.3g MB of memory traffic per sample (%s)", m.GFLOPsPerSample, m.MBPerSample, m.Source),
			fmt.Sprintf("batch %d in %s; latency is the time of one batch, without queueing", in.Batch, in.Precision),
			"classic-model efficiencies are not calibrated against measurements yet: wide uncertainty band",
		}
	}
	return r, nil
}
