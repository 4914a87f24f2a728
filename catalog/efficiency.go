package catalog

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// Efficiency holds the fitted and sourced factors of the performance engine.
// Every number is data: data/efficiency.yaml says where each came from, and
// `aiplan calibrate fit` refits the inference and training factors on the
// calibration rows in calib/testdata.
type Efficiency struct {
	Inference   InferenceEff   `yaml:"inference" json:"inference"`
	Training    TrainingEff    `yaml:"training" json:"training"`
	Classic     ClassicEff     `yaml:"classic" json:"classic"`
	Uncertainty UncertaintyEff `yaml:"uncertainty" json:"uncertainty"`
	// Engines scale the shared serving factors per engine family (vllm,
	// sglang, trtllm, tgi, ...): fitted where calibration rows name the
	// engine, 1 (the shared prior) where none do.
	Engines map[string]EngineEff `yaml:"engines" json:"engines,omitempty"`
	// DefaultEngines is the engine assumed per accelerator vendor (lower
	// case) when none is given.
	DefaultEngines map[string]string `yaml:"default_engines" json:"default_engines,omitempty"`
	// Calibrated lists what the calibration rows cover; a prediction outside
	// it widens its uncertainty band and says why.
	Calibrated Coverage `yaml:"calibrated" json:"calibrated"`
	Source     string   `yaml:"source" json:"source"`
	AsOf       string   `yaml:"as_of" json:"as_of"`
	// Notes give the provenance of the factors that are not fitted.
	Notes []string `yaml:"notes" json:"notes,omitempty"`
}

// InferenceEff are the serving factors. Times are in the unit their name says.
type InferenceEff struct {
	MemoryBWEfficiency       float64 `yaml:"memory_bw_efficiency"`
	PrefillComputeEfficiency float64 `yaml:"prefill_compute_efficiency"`
	DecodeComputeEfficiency  float64 `yaml:"decode_compute_efficiency"`
	LowPrecisionEfficiency   float64 `yaml:"low_precision_efficiency"`
	FP4Efficiency            float64 `yaml:"fp4_efficiency"`
	LinkEfficiency           float64 `yaml:"link_efficiency"`
	LinkLatencyUS            float64 `yaml:"link_latency_us"`
	// PCIeEfficiency is the achieved share of the per-direction PCIe
	// bandwidth for tensor-parallel all-reduces over PCIe, fitted on its own:
	// a PCIe ring is a different path from an NVLink/NVSwitch all-reduce,
	// whose share link_efficiency is.
	PCIeEfficiency float64 `yaml:"pcie_efficiency"`
	// ExpertTileTokens is the row tile of grouped expert GEMMs: an expert
	// with fewer routed tokens in a step still computes a full tile.
	ExpertTileTokens float64 `yaml:"expert_tile_tokens"`
	PCIeLatencyUS    float64 `yaml:"pcie_latency_us"`
	StepOverheadMS   float64 `yaml:"step_overhead_ms"`
	LayerOverheadUS  float64 `yaml:"layer_overhead_us"`
	ExpertOverheadUS float64 `yaml:"expert_overhead_us"`
	// SeqOverheadUS is the host work per sequence per decode step.
	SeqOverheadUS          float64 `yaml:"seq_overhead_us"`
	TTFTOverheadMS         float64 `yaml:"ttft_overhead_ms"`
	PrefillLayerOverheadUS float64 `yaml:"prefill_layer_overhead_us"`
	KVOccupancy            float64 `yaml:"kv_occupancy"`
	MaxBatch               float64 `yaml:"max_batch"`
	GPUMemoryUtilization   float64 `yaml:"gpu_memory_utilization"`
	RuntimeOverheadGiB     float64 `yaml:"runtime_overhead_gib"`
	ActivationChunkTokens  float64 `yaml:"activation_chunk_tokens"`
	RooflineBlend          float64 `yaml:"roofline_blend"`
	UnknownLinkGBs         float64 `yaml:"unknown_link_gbps"`
}

// EngineEff is one engine family's departure from the shared factors.
type EngineEff struct {
	// Speed multiplies the achieved memory bandwidth and compute.
	Speed float64 `yaml:"speed" json:"speed"`
	// Overhead multiplies the per-step, per-layer and first-token overheads.
	Overhead float64 `yaml:"overhead" json:"overhead"`
	// KVFreeFraction, when set, sizes the KV cache as this share of the
	// memory left after weights, activations and runtime (TensorRT-LLM's
	// free_gpu_memory_fraction); otherwise the KV cache gets what is left of
	// gpu_memory_utilization x capacity (vLLM, SGLang).
	KVFreeFraction float64 `yaml:"kv_free_fraction" json:"kv_free_fraction,omitempty"`
	// FullKVForWindows: the engine runs sliding-window layers with a
	// full-length attention window unless configured otherwise, so the KV
	// cache holds and attention reads the whole sequence.
	FullKVForWindows bool `yaml:"full_kv_for_windows" json:"full_kv_for_windows,omitempty"`
	// SeqUS is the engine's own host time per running sequence per step
	// (scheduling, sampling, detokenising in the serving loop), in µs,
	// added to the shared seq_overhead_us: Python serving loops pay more
	// than C++ ones, and it is what stops throughput growing with the batch.
	SeqUS float64 `yaml:"seq_us" json:"seq_us,omitempty"`
	// MaxBatch is the engine's default cap on running sequences (vLLM's
	// max_num_seqs); 0: the shared fitted cap.
	MaxBatch float64 `yaml:"max_batch" json:"max_batch,omitempty"`
	// Versions are the engine versions of the rows it was fitted on.
	Versions []string `yaml:"versions" json:"versions,omitempty"`
	Rows     int      `yaml:"rows" json:"rows"`
}

// EngineKey names an engine's factors on a vendor's chips: the engine id on
// NVIDIA, id/vendor elsewhere (vLLM's ROCm build on AMD is "vllm/amd"):
// vendor builds are separate code paths with their own overheads.
func EngineKey(id, vendor string) string {
	if vendor == "" || strings.EqualFold(vendor, "nvidia") {
		return id
	}
	return id + "/" + strings.ToLower(vendor)
}

// EngineFactors returns the factors of an engine key (see EngineKey) and
// whether calibration rows informed them. A vendor key without rows falls
// back to the engine's own factors, then to the shared prior (1 and 1).
func (e *Efficiency) EngineFactors(key string) (EngineEff, bool) {
	f, ok := e.Engines[key]
	if ok && f.Speed > 0 && f.Overhead > 0 {
		return f, f.Rows > 0
	}
	if i := strings.IndexByte(key, '/'); i > 0 {
		if b, ok := e.Engines[key[:i]]; ok && b.Speed > 0 && b.Overhead > 0 {
			return b, false
		}
	}
	return EngineEff{Speed: 1, Overhead: 1, KVFreeFraction: f.KVFreeFraction, FullKVForWindows: f.FullKVForWindows, MaxBatch: f.MaxBatch}, false
}

// DefaultEngine is the engine assumed on an accelerator of vendor.
func (e *Efficiency) DefaultEngine(vendor string) string {
	for v, id := range e.DefaultEngines { // a handful of entries; no allocation
		if strings.EqualFold(v, vendor) {
			return id
		}
	}
	return "vllm"
}

// Coverage is what the calibration rows span: accelerator ids, accelerator
// and precision pairs ("h100-sxm/fp8"), engine families, and model or
// deployment features (see perf's extrapolation check).
type Coverage struct {
	Accelerators    []string `yaml:"accelerators" json:"accelerators"`
	AccelPrecisions []string `yaml:"accelerator_precisions" json:"accelerator_precisions"`
	Engines         []string `yaml:"engines" json:"engines"`
	Features        []string `yaml:"features" json:"features"`
	ClassicFamilies []string `yaml:"classic_families" json:"classic_families"`
}

// Has reports whether list holds v.
func Has(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// Clone is a deep copy (the fitter changes factors in place).
func (e *Efficiency) Clone() *Efficiency {
	c := *e
	c.Engines = make(map[string]EngineEff, len(e.Engines))
	for k, v := range e.Engines {
		v.Versions = append([]string(nil), v.Versions...)
		c.Engines[k] = v
	}
	c.DefaultEngines = make(map[string]string, len(e.DefaultEngines))
	for k, v := range e.DefaultEngines {
		c.DefaultEngines[k] = v
	}
	c.Classic.Families = make(map[string]ClassicFamily, len(e.Classic.Families))
	for k, v := range e.Classic.Families {
		c.Classic.Families[k] = v
	}
	c.Classic.Runtimes = make(map[string]ClassicRuntime, len(e.Classic.Runtimes))
	for k, v := range e.Classic.Runtimes {
		c.Classic.Runtimes[k] = v
	}
	c.Classic.DefaultRuntimes = make(map[string]string, len(e.Classic.DefaultRuntimes))
	for k, v := range e.Classic.DefaultRuntimes {
		c.Classic.DefaultRuntimes[k] = v
	}
	c.Calibrated = Coverage{
		Accelerators:    append([]string(nil), e.Calibrated.Accelerators...),
		AccelPrecisions: append([]string(nil), e.Calibrated.AccelPrecisions...),
		Engines:         append([]string(nil), e.Calibrated.Engines...),
		Features:        append([]string(nil), e.Calibrated.Features...),
		ClassicFamilies: append([]string(nil), e.Calibrated.ClassicFamilies...),
	}
	c.Notes = append([]string(nil), e.Notes...)
	return &c
}

// TrainingEff are the training factors.
type TrainingEff struct {
	GEMMEfficiency         float64 `yaml:"gemm_efficiency"`
	IntensityKnee          float64 `yaml:"intensity_knee"`
	NonGEMMBytesPerHidden  float64 `yaml:"nongemm_bytes_per_hidden"`
	AttentionEfficiency    float64 `yaml:"attention_efficiency"`
	CommOverlap            float64 `yaml:"comm_overlap"`
	ScaleOutGBsPerGPU      float64 `yaml:"scale_out_gbps_per_gpu"`
	ScaleOutLatencyUS      float64 `yaml:"scale_out_latency_us"`
	StepOverheadMS         float64 `yaml:"step_overhead_ms"`
	TokensPerBatchPretrain float64 `yaml:"tokens_per_batch_pretrain"`
	TokensPerBatchFinetune float64 `yaml:"tokens_per_batch_finetune"`
	// TokensPerGPUInBatch grows the default pretraining batch with the
	// cluster (Llama 3: 16M tokens on 16K GPUs).
	TokensPerGPUInBatch float64 `yaml:"tokens_per_gpu_in_batch"`
	// VirtualStages is the interleaved-1F1B depth (model chunks per GPU)
	// that divides the pipeline bubble (Narayanan et al. 2021, section 2.2.2).
	VirtualStages      float64 `yaml:"virtual_stages"`
	LoRAEfficiency     float64 `yaml:"lora_efficiency"`
	QLoRAEfficiency    float64 `yaml:"qlora_efficiency"`
	FailuresPerGPUHour float64 `yaml:"failures_per_gpu_hour"`
	RestartHours       float64 `yaml:"restart_hours"`
	CheckpointHours    float64 `yaml:"checkpoint_hours"`
	MemoryReserveGiB   float64 `yaml:"memory_reserve_gib"`
}

// ClassicEff are the factors for CV, recommendation, tabular and embedding
// models: a shared prior and per model family (cnn, encoder, detection,
// segmentation-3d, recommender, diffusion, tabular) departures from it.
type ClassicEff struct {
	ComputeEfficiency float64 `yaml:"compute_efficiency"`
	BatchHalf         float64 `yaml:"batch_half"`
	BWEfficiency      float64 `yaml:"bw_efficiency"`
	// RandomAccessEfficiency is the share of memory bandwidth that random
	// embedding-row gathers achieve (recommenders).
	RandomAccessEfficiency float64 `yaml:"random_access_efficiency"`
	FixedLatencyMS         float64 `yaml:"fixed_latency_ms"`
	CPUEfficiency          float64 `yaml:"cpu_efficiency"`
	CPUFixedLatencyMS      float64 `yaml:"cpu_fixed_latency_ms"`
	// KernelUS and CPUKernelUS are the fixed time per kernel a pass
	// launches (launch, synchronisation and the partly idle tail wave),
	// which batching does not shrink; they replace the family's fixed
	// per-batch latency for models whose kernel count is known.
	KernelUS    float64 `yaml:"kernel_us"`
	CPUKernelUS float64 `yaml:"cpu_kernel_us"`
	// CPUMatrixEfficiency is the share of the AMX tile peak reached
	// relative to the vector units' share of theirs (0: as int8 on GPUs).
	CPUMatrixEfficiency float64 `yaml:"cpu_matrix_efficiency"`
	// RequestGBps is the rate at which request payloads cross from an
	// inference server's client to the device (serialisation, the
	// server's copies, PCIe), for served measurements.
	RequestGBps float64 `yaml:"request_gbps"`
	// HostGatherGBps is the rate at which the host gathers embedding rows
	// of tables left in host memory and sends them to the device.
	HostGatherGBps float64 `yaml:"host_gather_gbps"`
	// LowPrecisionEfficiency scales the int8/fp8 peak (quantised kernels
	// rarely reach it).
	LowPrecisionEfficiency float64 `yaml:"low_precision_efficiency"`
	// PowerTFLOPSPerW is the dense 16-bit tensor rate a GPU released in
	// 2020 sustains per watt of board power; the rate grows 50% a year
	// with the release year (perf.SustainedClockShare). A GPU whose
	// datasheet peak needs more than its TDP at its release year's rate
	// lowers its clocks under sustained load until it fits (a 70 W T4
	// cannot hold the boost clock its peaks assume). 0: no power limit.
	PowerTFLOPSPerW float64                  `yaml:"power_tflops_per_w"`
	Families        map[string]ClassicFamily `yaml:"families"`
	// Runtimes scale compute and overheads per inference runtime
	// (tensorrt, framework (PyTorch/TensorFlow/MXNet eager), openvino,
	// onnxruntime); DefaultRuntimes picks one per device kind (gpu, cpu).
	Runtimes        map[string]ClassicRuntime `yaml:"runtimes"`
	DefaultRuntimes map[string]string         `yaml:"default_runtimes"`
}

// ClassicRuntime is one inference runtime's departure from the shared
// classic factors.
type ClassicRuntime struct {
	Speed    float64 `yaml:"speed"`
	Overhead float64 `yaml:"overhead"`
	// Traffic is the activation memory traffic relative to a runtime that
	// fuses each layer's elementwise tail (normalisation, activation,
	// residual add) into it, as TensorRT does: an eager framework writes
	// and re-reads a layer's output once per unfused op. 0 reads as 1.
	Traffic float64 `yaml:"traffic,omitempty"`
	Rows    int     `yaml:"rows"`
}

// ClassicFamily multiplies the shared classic factors for one model family.
type ClassicFamily struct {
	Compute    float64 `yaml:"compute"`
	CPUCompute float64 `yaml:"cpu_compute"`
	BatchHalf  float64 `yaml:"batch_half"`
	Fixed      float64 `yaml:"fixed"`
	Rows       int     `yaml:"rows"`
}

// Band is a multiplicative error band: the truth lies in [v*Low, v*High] for
// about 80% of calibration rows.
type Band struct {
	Low  float64 `yaml:"low" json:"low"`
	High float64 `yaml:"high" json:"high"`
}

// UncertaintyEff holds the error bands measured on the calibration rows, and
// how much to widen them where a prediction extrapolates beyond that data.
type UncertaintyEff struct {
	Throughput Band `yaml:"throughput"`
	TTFT       Band `yaml:"ttft"`
	TPOT       Band `yaml:"tpot"`
	Training   Band `yaml:"training"`
	Classic    Band `yaml:"classic"`
	// LoadThroughput is throughput at a fixed batch, concurrency or request
	// rate; E2E is end-to-end latency.
	LoadThroughput Band `yaml:"load_throughput"`
	E2E            Band `yaml:"e2e"`
	// Extrapolate widens a band (Low/x, High*x) once per way a prediction
	// leaves the calibration data.
	Extrapolate float64 `yaml:"extrapolate"`
	// Method says how the bands were measured.
	Method string `yaml:"method"`
}

func (e *Efficiency) validate() []string {
	var errs []string
	check := func(section string, v reflect.Value) {
		t := v.Type()
		for i := 0; i < v.NumField(); i++ {
			f := v.Field(i)
			if f.Kind() != reflect.Float64 {
				continue
			}
			x := f.Float()
			tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
			if !finite(x) || x < 0 {
				errs = append(errs, fmt.Sprintf("efficiency.%s.%s = %v: must be a finite number >= 0", section, tag, x))
			}
			if strings.Contains(tag, "efficiency") && x > 1 {
				errs = append(errs, fmt.Sprintf("efficiency.%s.%s = %v: an efficiency must be within [0, 1]", section, tag, x))
			}
		}
	}
	check("inference", reflect.ValueOf(e.Inference))
	check("training", reflect.ValueOf(e.Training))
	check("classic", reflect.ValueOf(e.Classic))
	var more []string
	for id, f := range e.Engines {
		for name, v := range map[string]float64{"speed": f.Speed, "overhead": f.Overhead, "kv_free_fraction": f.KVFreeFraction, "max_batch": f.MaxBatch} {
			if !finite(v) || v < 0 || (name == "kv_free_fraction" && v > 1) || ((name == "speed" || name == "overhead") && v == 0) {
				more = append(more, fmt.Sprintf("efficiency.engines.%s.%s = %v: speed and overhead must be > 0, kv_free_fraction within [0, 1], max_batch >= 0", id, name, v))
			}
		}
	}
	for id, f := range e.Classic.Families {
		for name, v := range map[string]float64{"compute": f.Compute, "cpu_compute": f.CPUCompute, "batch_half": f.BatchHalf, "fixed": f.Fixed} {
			if !finite(v) || v <= 0 {
				more = append(more, fmt.Sprintf("efficiency.classic.families.%s.%s = %v: must be a finite number > 0", id, name, v))
			}
		}
	}
	for id, f := range e.Classic.Runtimes {
		if !finite(f.Speed) || f.Speed <= 0 || !finite(f.Overhead) || f.Overhead <= 0 || !finite(f.Traffic) || f.Traffic < 0 {
			more = append(more, fmt.Sprintf("efficiency.classic.runtimes.%s: speed %v and overhead %v must be finite numbers > 0, traffic %v >= 0", id, f.Speed, f.Overhead, f.Traffic))
		}
	}
	sort.Strings(more) // maps iterate in random order
	errs = append(errs, more...)
	if e.Inference.MaxBatch < 1 {
		errs = append(errs, "efficiency.inference.max_batch must be >= 1")
	}
	if e.Source == "" || e.AsOf == "" {
		errs = append(errs, "efficiency: source and as_of are required")
	}
	return errs
}

// APIPrice is a hosted model's per-token price.
type APIPrice struct {
	ID               string   `yaml:"id" json:"id"`
	Provider         string   `yaml:"provider" json:"provider"`
	Model            string   `yaml:"model" json:"model"`
	InputUSDPerMTok  float64  `yaml:"input_usd_per_mtok" json:"input_usd_per_mtok"`
	OutputUSDPerMTok float64  `yaml:"output_usd_per_mtok" json:"output_usd_per_mtok"`
	Regions          []string `yaml:"regions" json:"regions,omitempty"`
	Source           string   `yaml:"source" json:"source"`
	AsOf             string   `yaml:"as_of" json:"as_of"`
	// TTFTP99Ms and TPOTP99Ms are p99 latencies the provider states for the
	// API (0: none stated), with LatencySource saying where; a plan only
	// uses the API under a latency SLO the stated figures meet.
	TTFTP99Ms     float64 `yaml:"ttft_p99_ms" json:"ttft_p99_ms,omitempty"`
	TPOTP99Ms     float64 `yaml:"tpot_p99_ms" json:"tpot_p99_ms,omitempty"`
	LatencySource string  `yaml:"latency_source" json:"latency_source,omitempty"`
}

// Region is a cloud region and the jurisdiction its data stays in.
type Region struct {
	ID           string `yaml:"id" json:"id"`
	Cloud        string `yaml:"cloud" json:"cloud"`
	Jurisdiction string `yaml:"jurisdiction" json:"jurisdiction"`
	Source       string `yaml:"source" json:"source"`
	AsOf         string `yaml:"as_of" json:"as_of"`
}

// Rate is a named price or planning figure used by the cost model.
type Rate struct {
	ID     string  `yaml:"id" json:"id"`
	Value  float64 `yaml:"value" json:"value"`
	Unit   string  `yaml:"unit" json:"unit"`
	Source string  `yaml:"source" json:"source"`
	AsOf   string  `yaml:"as_of" json:"as_of"`
}

// Eligibility marks a cloud as eligible under a regime.
type Eligibility struct {
	ID     string `yaml:"id" json:"id"`
	Source string `yaml:"source" json:"source"`
	AsOf   string `yaml:"as_of" json:"as_of"`
}
