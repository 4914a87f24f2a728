package perf

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/aiplan-dev/aiplan/catalog"
)

// CPUSpec is the compute and memory of a CPU server, all sockets together.
type CPUSpec struct {
	Name string
	// VectorGFLOPS is the FP32 vector peak: cores x GHz x FLOP/cycle
	// (AVX-512 with two FMA units: 64; AVX2 or one 512-bit unit: 32).
	VectorGFLOPS float64
	// VNNI: int8 dot products at 4x the FP32 vector rate (AVX-512 VNNI).
	VNNI bool
	// AVX512BF16: bf16 dot products at 2x the FP32 vector rate.
	AVX512BF16 bool
	// AMX: tile matrix units, 1024 BF16 FLOP and 2048 INT8 ops per cycle
	// per core (Sapphire Rapids and later); AMXGFLOPS is the BF16 peak.
	AMXGFLOPS float64
	MemBWGBs  float64
	MemoryGiB float64
	// MatrixKnown is false when the record does not say whether the CPU
	// has VNNI/AMX (cloud instance records): only the FP32 vector peak is used.
	MatrixKnown bool
}

// CPUFromInstance builds a CPU spec from a catalog instance record, which
// gives the FP32 vector peak and memory bandwidth only.
func CPUFromInstance(i *catalog.Instance) *CPUSpec {
	return &CPUSpec{Name: i.ID, VectorGFLOPS: i.CPUVectorGFLOPS, MemBWGBs: i.CPUMemoryBWGBs, MemoryGiB: i.MemoryGiB}
}

// peak is the CPU's compute peak (FLOP/s) for a precision.
func (c *CPUSpec) peak(p catalog.Precision) float64 {
	v := c.VectorGFLOPS * 1e9
	switch p {
	case catalog.INT8, catalog.FP8, catalog.INT4, catalog.FP4:
		switch {
		case c.AMXGFLOPS > 0:
			return 2 * c.AMXGFLOPS * 1e9
		case c.VNNI:
			return 4 * v
		}
	case catalog.BF16, catalog.FP16:
		switch {
		case c.AMXGFLOPS > 0:
			return c.AMXGFLOPS * 1e9
		case c.AVX512BF16:
			return 2 * v
		}
	}
	return v
}

// usesAMX reports whether the precision runs on the AMX tile units.
func (c *CPUSpec) usesAMX(p catalog.Precision) bool {
	if c.AMXGFLOPS <= 0 {
		return false
	}
	switch p {
	case catalog.INT8, catalog.FP8, catalog.INT4, catalog.FP4, catalog.BF16, catalog.FP16:
		return true
	}
	return false
}

// TypicalFamily is the geometric mean of the fitted families' factors:
// what a family without rows is taken to run at. gpu and cpu, when given,
// count each family's rows per device kind, and only families with rows of
// a kind inform that kind's factors.
func TypicalFamily(e *catalog.ClassicEff, gpu, cpu map[string]int) catalog.ClassicFamily {
	var lg [4]float64
	var ng, nc int
	for _, id := range sortedIDs(e.Families) { // in key order: sums are reproducible to the last bit
		f := e.Families[id]
		if f.Compute <= 0 || f.CPUCompute <= 0 || f.BatchHalf <= 0 || f.Fixed <= 0 {
			continue
		}
		if gpu == nil || gpu[id] > 0 {
			lg[0] += math.Log(f.Compute)
			lg[2] += math.Log(f.BatchHalf)
			lg[3] += math.Log(f.Fixed)
			ng++
		}
		if cpu == nil || cpu[id] > 0 {
			lg[1] += math.Log(f.CPUCompute)
			nc++
		}
	}
	t := catalog.ClassicFamily{Compute: 1, CPUCompute: 1, BatchHalf: 1, Fixed: 1}
	if ng > 0 {
		t.Compute, t.BatchHalf, t.Fixed = math.Exp(lg[0]/float64(ng)), math.Exp(lg[2]/float64(ng)), math.Exp(lg[3]/float64(ng))
	}
	if nc > 0 {
		t.CPUCompute = math.Exp(lg[1] / float64(nc))
	}
	return t
}

func sortedIDs[V any](m map[string]V) []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// skipsPadding reports whether a runtime runs variable-length token
// samples without padding them to the model's maximum: TensorRT's
// variable-sequence-length BERT plugins and PyTorch (Intel's MLPerf BERT
// runs each sequence at its length) do; OpenVINO and ONNX Runtime models
// take a static 1 x 384 input, and TensorFlow graphs a fixed shape.
func skipsPadding(runtime string) bool {
	return runtime == "tensorrt" || runtime == "pytorch"
}

// runtimeFactors are a runtime's factors on a device kind: an eager
// framework's are the shared framework factors times its own departure
// from them (1 where it has no rows); any other runtime's its own, or the
// shared prior.
func runtimeFactors(e *catalog.ClassicEff, runtime, kind string) catalog.ClassicRuntime {
	get := func(id string) (catalog.ClassicRuntime, bool) {
		f, ok := e.Runtimes[id+"/"+kind]
		if !ok || f.Speed <= 0 || f.Overhead <= 0 {
			return catalog.ClassicRuntime{Speed: 1, Overhead: 1, Traffic: 1}, false
		}
		if f.Traffic <= 0 {
			f.Traffic = 1
		}
		return f, true
	}
	own, ok := get(runtime)
	if !ok && (!IsFramework(runtime) || runtime == "framework") {
		// A runtime without rows runs at the typical fitted runtime on
		// that kind of device (geometric mean of their factors).
		var ls, lo, lt float64
		n := 0
		for _, id := range sortedIDs(e.Runtimes) { // in key order: sums are reproducible to the last bit
			f := e.Runtimes[id]
			name, k, _ := strings.Cut(id, "/")
			if k != kind || (IsFramework(name) && name != "framework") || f.Speed <= 0 || f.Overhead <= 0 {
				continue
			}
			t := f.Traffic
			if t <= 0 {
				t = 1
			}
			ls, lo, lt = ls+math.Log(f.Speed), lo+math.Log(f.Overhead), lt+math.Log(t)
			n++
		}
		if n > 0 {
			own = catalog.ClassicRuntime{Speed: math.Exp(ls / float64(n)), Overhead: math.Exp(lo / float64(n)), Traffic: math.Exp(lt / float64(n))}
		}
		return own
	}
	if !IsFramework(runtime) || runtime == "framework" {
		return own
	}
	shared, _ := get("framework")
	if !ok {
		// Rows of the shared factors only.
		own.Rows = shared.Rows
	}
	own.Speed *= shared.Speed
	own.Overhead *= shared.Overhead
	own.Traffic *= shared.Traffic
	return own
}

// IsFramework reports whether a classic runtime is an eager deep-learning
// framework (TensorFlow, PyTorch, MXNet; "framework" for any other).
func IsFramework(runtime string) bool {
	switch runtime {
	case "framework", "tensorflow", "pytorch", "mxnet":
		return true
	}
	return false
}

// embeddingDeviceShare is the share of device memory that holds embedding
// tables when they do not all fit (NVIDIA DeepLearningExamples TF2
// DLRM_and_DCNv2 doc/tensorflow_inference.md deploys with
// --memory-threshold-gb 60 on an 80 GB A100); the rest stays on the host.
const embeddingDeviceShare = 0.75

// ClassicInput is a classic model (CV, recommendation, tabular, embedding)
// served on accelerators or on a CPU server.
type ClassicInput struct {
	Model *catalog.Model
	Accel *catalog.Accelerator // nil when CPU or CPUSpec is set
	CPU   *catalog.Instance
	// CPUSpec overrides CPU with a spec that knows VNNI/AMX.
	CPUSpec *CPUSpec
	Eff     *catalog.Efficiency
	// GPUs run independent copies (throughput scales with them).
	GPUs  int
	Batch int
	// MaxThroughput picks a batch that saturates the device (offline
	// serving); Batch is then ignored.
	MaxThroughput bool
	Precision     catalog.Precision
	// TF32 runs fp32 models on TF32 tensor cores (Ampere and later).
	TF32 bool
	// TablePrecision is the precision of a recommender's embedding
	// tables when it differs from the compute precision (mixed precision
	// keeps fp32 tables); empty: Precision.
	TablePrecision catalog.Precision
	// HostTables lets embedding tables that do not fit in device memory
	// stay in host memory, the host gathering their rows (the host must
	// hold them: the caller knows its memory); otherwise they must fit.
	HostTables bool
	// Runtime is the inference runtime: tensorrt, paddle-trt, openvino,
	// onnxruntime, or an eager framework (pytorch, tensorflow, mxnet, or
	// framework for any other); empty: Efficiency.Classic.DefaultRuntimes
	// for gpu/cpu.
	Runtime string
	// Served: requests reach the model through an inference server and
	// are timed at its client (Triton perf_analyzer), so each sample's
	// request payload (Model.InputKBPerSample) crosses the client-server
	// path before the batch runs.
	Served bool
	// P90 asks for the 90th-percentile sample (MLPerf SingleStream
	// latency) where samples differ in size (Model.PassesP90).
	P90   bool
	Quiet bool
}

// ClassicResult is the prediction. SamplesPerSecond is whole-system.
type ClassicResult struct {
	SamplesPerSecond       float64      `json:"samples_per_second"`
	SamplesPerSecondPerGPU float64      `json:"samples_per_second_per_gpu"`
	LatencyMs              float64      `json:"latency_ms"`
	Batch                  int          `json:"batch"`
	Family                 string       `json:"family"`
	Runtime                string       `json:"runtime"`
	Fits                   bool         `json:"fits"`
	Reason                 string       `json:"reason,omitempty"`
	Bottleneck             string       `json:"bottleneck"`
	Memory                 Memory       `json:"memory"`
	Uncertainty            catalog.Band `json:"uncertainty"`
	UncertaintyBasis       string       `json:"uncertainty_basis,omitempty"`
	Assumptions            []string     `json:"assumptions"`
}

// ClassicFamily is the model family a classic model's task belongs to; each
// family has its own fitted efficiencies.
func ClassicFamily(m *catalog.Model) string {
	switch m.Task {
	case "vision-classification":
		return "cnn"
	case "nlp-question-answering", "text-embedding", "text-classification", "nlp":
		return "encoder"
	case "vision-detection":
		return "detection"
	case "medical-segmentation":
		return "segmentation-3d"
	case "recommendation":
		return "recommender"
	case "image-generation":
		return "diffusion"
	case "tabular-scoring":
		return "tabular"
	}
	return "other"
}

func fval(x *float64) float64 {
	if x == nil {
		return 0
	}
	return *x
}

// gpuPeak is the dense peak (FLOP/s) of a precision on an accelerator, read
// from the catalog's own figure for that precision; a precision without
// units runs on the next wider one.
func gpuPeak(a *catalog.Accelerator, p catalog.Precision, tf32 bool) (peak float64, lowp bool) {
	fp32, tf, bf := fval(a.FP32TFLOPS), fval(a.TF32TFLOPS), fval(a.BF16TFLOPS)
	if bf == 0 {
		bf = fp32
	}
	switch p {
	case catalog.FP32:
		if tf32 && tf > 0 {
			return tf * 1e12, false
		}
		if fp32 == 0 {
			fp32 = tf
		}
		return fp32 * 1e12, false
	case catalog.INT8, catalog.INT4:
		if v := fval(a.INT8TOPS); v > 0 {
			return v * 1e12, true
		}
		if v := fval(a.FP8TFLOPS); v > 0 {
			return v * 1e12, true
		}
	case catalog.FP8, catalog.FP4:
		if v := fval(a.FP8TFLOPS); v > 0 {
			return v * 1e12, true
		}
	}
	return bf * 1e12, false
}

// powerEfficiencyGrowth is the yearly growth of leading ML hardware's
// energy efficiency (FLOP/s per watt): 50% a year (Epoch AI, "Machine
// Learning Hardware" data insights, epoch.ai/data/machine-learning-hardware,
// updated 2025-01-16), a doubling every 1.7 years.
const powerEfficiencyGrowth = 1.5

// SustainedClockShare is the share of its boost clock a GPU holds under
// sustained dense tensor load. At full load a chip's power grows with its
// operation rate; the energy per operation falls with each process
// generation, dated here by the chip's release year. A chip whose dense
// 16-bit datasheet peak needs more than its TDP at its generation's rate
// lowers its clocks until it fits: share = min(1, TDP x rate(year) / peak),
// rate(year) = PowerTFLOPSPerW (fitted, for 2020) x 1.5^(year-2020). The
// clock is chip-wide, so every precision's peak scales with it. 1 where the
// catalog lacks the TDP or release year.
func SustainedClockShare(a *catalog.Accelerator, e *catalog.ClassicEff) float64 {
	if a == nil || e.PowerTFLOPSPerW <= 0 || a.ReleaseYear == nil || fval(a.TDPWatts) <= 0 {
		return 1
	}
	peak := fval(a.BF16TFLOPS)
	if peak <= 0 {
		return 1
	}
	rate := e.PowerTFLOPSPerW * math.Pow(powerEfficiencyGrowth, float64(*a.ReleaseYear-2020))
	return math.Min(1, fval(a.TDPWatts)*rate/peak)
}

// Classic predicts throughput and latency at a batch from FLOPs and bytes per
// sample: time per batch = max(FLOPs/(peak x eff(batch)), bytes/(bw x eff))
// + a fixed per-batch latency, with eff(batch) = eff x batch/(batch + b½):
// small batches cannot fill the chip. Efficiencies are per model family
// (fitted on measured rows), the shared prior where a family has none.
// Recommenders' embedding gathers run at the random-access share of
// memory bandwidth.
// deviceName names the device of a classic estimate for messages.
func deviceName(in ClassicInput) string {
	switch {
	case in.Accel != nil:
		return in.Accel.ID + " (" + in.Accel.Vendor + ")"
	case in.CPU != nil:
		return in.CPU.ID + " (CPU)"
	}
	return "a CPU"
}

func Classic(in ClassicInput) (ClassicResult, error) {
	if in.Model == nil || in.Eff == nil || (in.Accel == nil && in.CPU == nil && in.CPUSpec == nil) {
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
	cpu := in.CPUSpec
	if cpu == nil && in.CPU != nil {
		cpu = CPUFromInstance(in.CPU)
	}
	if in.Precision == "" {
		in.Precision = catalog.FP16
		if cpu != nil {
			in.Precision = catalog.FP32
		}
	}
	fam := ClassicFamily(m)
	f, fitted := e.Families[fam]
	if !fitted {
		// A family without calibration rows runs at the typical fitted
		// family's factors.
		f = TypicalFamily(e, nil, nil)
	}
	kind := "gpu"
	if cpu != nil {
		kind = "cpu"
	}
	// TensorRT runs on NVIDIA GPUs only: elsewhere the default is the
	// eager framework the vendor stacks build on (PyTorch for ROCm, Gaudi
	// and Neuron; JAX/TensorFlow on TPU), and TensorRT is refused.
	nvidia := cpu == nil && in.Accel != nil && catalog.VendorKey(in.Accel.Vendor) == "nvidia"
	rtNote := ""
	switch {
	case in.Runtime == "" && e.DefaultRuntimes[kind] == "tensorrt" && !nvidia:
		in.Runtime = "framework"
		rtNote = "TensorRT runs on NVIDIA GPUs only: the default on this device is an eager framework (the shared framework factors, fitted on NVIDIA rows)"
	case in.Runtime == "":
		in.Runtime = e.DefaultRuntimes[kind]
	case in.Runtime == "tensorrt" && !nvidia:
		return ClassicResult{}, inputErr("--runtime tensorrt runs on NVIDIA GPUs only, not on %s: allowed: framework, pytorch, tensorflow, onnxruntime%s", deviceName(in), map[bool]string{true: ", openvino", false: ""}[cpu != nil])
	}
	// A runtime's factors are per device kind: PyTorch on a GPU and on a
	// Xeon are different code paths.
	rt := runtimeFactors(e, in.Runtime, kind)
	// The runtime's kernels reach rt.Speed of the fitted efficiency;
	// int8/fp8 and matrix-unit kernels a further share of their peak.
	lowpEff := rt.Speed
	// A sample of several passes (sliding-window segmentation, denoising
	// steps) runs them one after another; memory holds one pass at a time.
	passes := math.Max(m.PassesPerSample, 1)
	if in.P90 && m.PassesP90 > 0 {
		// A 90th-percentile latency over samples of different sizes is
		// the latency of the sample at that percentile.
		passes = m.PassesP90
	}
	var peak, bw, fixed, memGB, half float64
	clock := 1.0
	var name string
	if cpu != nil {
		raw := cpu.peak(in.Precision)
		peak = raw * e.CPUEfficiency * f.CPUCompute
		switch {
		case cpu.usesAMX(in.Precision) && e.CPUMatrixEfficiency > 0:
			// AMX tiles are fed from the caches and reach a smaller share
			// of their nominal peak than the vector units do of theirs.
			lowpEff *= e.CPUMatrixEfficiency
		case in.Precision != catalog.FP32 && raw > cpu.VectorGFLOPS*1e9:
			lowpEff *= e.LowPrecisionEfficiency
		}
		bw = cpu.MemBWGBs * 1e9
		fixed = (e.CPUFixedLatencyMS*f.Fixed*1e-3 + float64(m.Kernels)*passes*e.CPUKernelUS*1e-6) * rt.Overhead
		memGB = cpu.MemoryGiB
		name = cpu.Name
	} else {
		p, lowp := gpuPeak(in.Accel, in.Precision, in.TF32)
		clock = SustainedClockShare(in.Accel, e)
		p *= clock
		if lowp {
			lowpEff *= e.LowPrecisionEfficiency
		}
		half = e.BatchHalf * f.BatchHalf
		peak = p * e.ComputeEfficiency * f.Compute
		bw = in.Accel.MemoryBandwidth()
		fixed = (e.FixedLatencyMS*f.Fixed*1e-3 + float64(m.Kernels)*passes*e.KernelUS*1e-6) * rt.Overhead
		memGB = in.Accel.UsableMemoryGiB()
		name = in.Accel.ID
	}
	peak *= lowpEff
	if peak <= 0 || bw <= 0 {
		return ClassicResult{}, inputErr("%s has no %s compute peak or no memory bandwidth in the catalog: give another --precision, or add the figures with --catalog", name, in.Precision)
	}
	// Activation traffic is stated for 16-bit tensors, embedding rows for
	// fp32 rows: both shrink with the row's precision. Embedding rows are
	// gathered at random.
	flops := m.GFLOPsPerSample * 1e9 * passes
	sampleBytes := m.MBPerSample * 1e6 * passes
	// How the architecture's bytes per pass became this estimate's bytes per
	// sample (for the assumptions): the precision the bytes were scaled to,
	// from the convention they are counted in, and the runtime's traffic.
	var d trafficDerivation
	d.passes = passes
	unpadded := m.MeanTokens > 0 && m.MaxTokens > 0 && skipsPadding(in.Runtime)
	if unpadded {
		// Variable-length samples packed without padding: the work per
		// token is the same, the tokens fewer (attention, quadratic in
		// length, is a few per cent of an encoder's FLOPs at 384).
		flops *= m.MeanTokens / float64(m.MaxTokens)
		sampleBytes *= m.MeanTokens / float64(m.MaxTokens)
		d.unpadded = m.MeanTokens / float64(m.MaxTokens)
	}
	var memRate, spill float64
	weights := m.ParamsM * 1e6 * in.Precision.BytesPerWeight()
	if fam == "recommender" {
		tp := in.Precision
		if in.TablePrecision != "" {
			tp = in.TablePrecision
		}
		weights = m.ParamsM * 1e6 * tp.BytesPerWeight()
		sampleBytes *= tp.BytesPerWeight() / 4
		d.prec, d.countedBytes, d.what = tp, 4, "tables"
		memRate = bw * e.RandomAccessEfficiency
		if in.HostTables && cpu == nil && memGB > 0 && weights > embeddingDeviceShare*memGB*GiB && e.HostGatherGBps > 0 {
			// Tables beyond the device's share stay in host memory and
			// the host gathers their rows (NVIDIA's TF2 DLRM deployment:
			// smallest tables on the GPU up to a memory threshold, the
			// rest on the CPU). Lookups are taken as proportional to the
			// bytes left on the host: pessimistic, as large tables are
			// few.
			spill = 1 - embeddingDeviceShare*memGB*GiB/weights
			weights = embeddingDeviceShare * memGB * GiB
		}
	} else {
		sampleBytes *= in.Precision.BytesPerWeight() / 2
		d.prec, d.countedBytes, d.what = in.Precision, 2, "activations"
		if rt.Traffic > 0 {
			sampleBytes *= rt.Traffic
			d.runtime, d.runtimeTraffic = in.Runtime, rt.Traffic
		}
		memRate = bw * e.BWEfficiency
	}
	// Live activations: every tensor one pass writes (MBPerSample counts
	// each written once and read once), held together: an upper bound, as
	// runtimes reuse buffers.
	actBytes := m.MBPerSample * 1e6 / 2
	if in.MaxThroughput {
		// Offline serving: a batch large enough to reach 95% of the
		// saturated efficiency and to amortise the per-batch overhead
		// to 5% of the batch time, at least the model's default, at most
		// what the memory holds.
		perSample := math.Max(flops/peak, sampleBytes/memRate)
		bAmort := 1.0
		if perSample > 0 {
			bAmort = 19 * fixed / perSample
		}
		bb := math.Max(math.Max(float64(m.DefaultBatch), 19*half), bAmort)
		if memGB > 0 && m.MBPerSample > 0 {
			// activations and gathered rows take at most half the memory
			bb = math.Min(bb, memGB*GiB/2/actBytes)
		}
		in.Batch = max(int(math.Ceil(math.Min(bb, 1_000_000))), 1)
	}
	b := float64(in.Batch)
	tMem := b * sampleBytes * (1 - spill) / memRate
	if spill > 0 {
		tMem += b * sampleBytes * spill / (e.HostGatherGBps * 1e9)
	}
	tComp := b * flops / (peak * b / (b + half))
	// Served through an inference server and timed at its client, each
	// batch's request payload crosses the client-server path first.
	var tReq float64
	if in.Served && m.InputKBPerSample > 0 && e.RequestGBps > 0 {
		tReq = b * m.InputKBPerSample * 1e3 / (e.RequestGBps * 1e9)
	}
	t := math.Max(tComp, tMem) + fixed + tReq
	r := ClassicResult{Batch: in.Batch, Fits: true, Family: fam, Runtime: in.Runtime}
	r.SamplesPerSecondPerGPU = b / t
	r.SamplesPerSecond = r.SamplesPerSecondPerGPU * float64(in.GPUs)
	r.LatencyMs = t * 1e3
	r.Bottleneck = "compute"
	if tMem > tComp {
		r.Bottleneck = "memory bandwidth"
		if fam == "recommender" {
			r.Bottleneck = "memory bandwidth (random embedding gathers)"
		}
	}
	if fixed > math.Max(tComp, tMem) {
		r.Bottleneck = "per-batch overhead (launch, framework)"
	}
	if tReq > math.Max(math.Max(tComp, tMem), fixed) {
		r.Bottleneck = "request payload transfer (client to server)"
	}
	acts := b * actBytes
	r.Memory = Memory{WeightsGiB: weights / GiB, ActivationsGiB: acts / GiB, OverheadGiB: 0.5, CapacityGiB: memGB}
	r.Memory.TotalGiB = r.Memory.WeightsGiB + r.Memory.ActivationsGiB + r.Memory.OverheadGiB
	if memGB > 0 && r.Memory.TotalGiB > memGB {
		r.Fits = false
		r.Reason = fmt.Sprintf("needs %.1f GiB at batch %d but %s has %.0f GiB", r.Memory.TotalGiB, in.Batch, name, memGB)
	}
	var ext extrapolations
	cov := &in.Eff.Calibrated
	if len(cov.ClassicFamilies) > 0 {
		if !catalog.Has(cov.ClassicFamilies, fam) {
			ext.add("model family " + fam + " has no calibration rows")
		}
		if rt.Rows == 0 {
			ext.add("runtime " + in.Runtime + " has no calibration rows")
		}
		switch {
		case cpu != nil && !cpu.MatrixKnown && in.Precision != catalog.FP32:
			ext.add("the CPU record does not say whether it has VNNI/AMX")
		case cpu == nil && !catalog.Has(cov.Accelerators, in.Accel.ID):
			ext.add("accelerator " + in.Accel.ID + " has no calibration rows")
		}
	}
	r.Uncertainty = band(in.Eff.Uncertainty.Classic, ext.n, in.Eff.Uncertainty.Extrapolate)
	if !in.Quiet {
		r.UncertaintyBasis = ext.basis("classic", in.Eff.Uncertainty.Extrapolate)
		r.Assumptions = []string{
			d.basis(flops, sampleBytes, m.MBPerSample, m.Source),
			fmt.Sprintf("batch %d in %s; latency is the time of one batch, without queueing", in.Batch, in.Precision),
			familyBasis(fam, f.Rows, fitted),
			fmt.Sprintf("runtime %s (x%.2f compute, fitted on %d rows)", in.Runtime, rt.Speed, rt.Rows),
			"uncertainty: " + r.UncertaintyBasis,
		}
		if rtNote != "" {
			r.Assumptions = append(r.Assumptions, rtNote)
		}
		if cpu != nil && !cpu.MatrixKnown {
			r.Assumptions = append(r.Assumptions, "the CPU record gives only its FP32 vector peak: no VNNI/AMX speed-up assumed for int8/bf16")
		}
		if in.GPUs > 1 {
			r.Assumptions = append(r.Assumptions, fmt.Sprintf("%d GPUs run independent copies", in.GPUs))
		}
		if passes > 1 {
			r.Assumptions = append(r.Assumptions, fmt.Sprintf("%.0f network passes per sample of %.3g GFLOPs each, run one after another", passes, m.GFLOPsPerSample))
		}
		if spill > 0 {
			r.Assumptions = append(r.Assumptions, fmt.Sprintf("embedding tables exceed %.0f%% of device memory: %.0f%% of lookups gathered from host memory at %.3g GB/s (fitted)", embeddingDeviceShare*100, spill*100, e.HostGatherGBps))
		}
		if clock < 1 {
			r.Assumptions = append(r.Assumptions, fmt.Sprintf("%s's %.0f W cannot feed its datasheet peak under sustained load: clocks held at %.0f%% of boost (power-limited, fitted energy per operation for a %d chip)", in.Accel.ID, fval(in.Accel.TDPWatts), clock*100, *in.Accel.ReleaseYear))
		}
		if unpadded {
			r.Assumptions = append(r.Assumptions, fmt.Sprintf("runtime %s skips padding: samples average %.0f of %d tokens", in.Runtime, m.MeanTokens, m.MaxTokens))
		} else if m.MeanTokens > 0 {
			r.Assumptions = append(r.Assumptions, fmt.Sprintf("runtime %s pads every sample to %d tokens", in.Runtime, m.MaxTokens))
		}
		if tReq > 0 {
			r.Assumptions = append(r.Assumptions, fmt.Sprintf("served: %.3g KB of request payload per sample at %.3g GB/s client to server (fitted)", m.InputKBPerSample, e.RequestGBps))
		}
	}
	return r, nil
}

// familyBasis says where a model family's efficiencies come from.
func familyBasis(fam string, rows int, fitted bool) string {
	if !fitted {
		return fmt.Sprintf("model family %s: no calibration rows; efficiencies of the typical fitted family (geometric mean of the fitted ones)", fam)
	}
	return fmt.Sprintf("model family %s: efficiencies fitted on %d calibration rows of that family", fam, rows)
}

// trafficDerivation records the factors that turned the architecture's
// bytes per pass into an estimate's bytes per sample.
type trafficDerivation struct {
	passes, unpadded float64
	prec             catalog.Precision
	countedBytes     float64 // bytes per value in the architecture's count
	what             string  // "activations" or "tables"
	runtime          string
	runtimeTraffic   float64
}

// basis states a classic estimate's work per sample and, where the bytes
// differ from the architecture's count, how they were derived.
func (d trafficDerivation) basis(flops, sampleBytes, mbPerPass float64, source string) string {
	var steps []string
	if d.passes > 1 {
		steps = append(steps, fmt.Sprintf("x%.0f passes", d.passes))
	}
	if d.unpadded > 0 {
		steps = append(steps, fmt.Sprintf("x%.2f unpadded tokens", d.unpadded))
	}
	if b := d.prec.BytesPerWeight(); d.countedBytes > 0 && b != d.countedBytes {
		steps = append(steps, fmt.Sprintf("x%.2g for %s %s (counted at %.0f-bit)", b/d.countedBytes, d.prec, d.what, 8*d.countedBytes))
	}
	if d.runtimeTraffic > 0 && d.runtimeTraffic != 1 {
		steps = append(steps, fmt.Sprintf("x%.2f runtime %s's activation traffic (fitted)", d.runtimeTraffic, d.runtime))
	}
	if len(steps) == 0 {
		return fmt.Sprintf("%.3g GFLOPs and %.3g MB of memory traffic per sample (%s)", flops/1e9, sampleBytes/1e6, source)
	}
	return fmt.Sprintf("%.3g GFLOPs and %.3g MB of memory traffic per sample: the architecture's %.3g MB %s (%s)", flops/1e9, sampleBytes/1e6, mbPerPass, strings.Join(steps, ", "), source)
}
