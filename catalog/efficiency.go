package catalog

import (
	"fmt"
	"reflect"
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
	Source      string         `yaml:"source" json:"source"`
	AsOf        string         `yaml:"as_of" json:"as_of"`
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
	PCIeLatencyUS            float64 `yaml:"pcie_latency_us"`
	StepOverheadMS           float64 `yaml:"step_overhead_ms"`
	LayerOverheadUS          float64 `yaml:"layer_overhead_us"`
	ExpertOverheadUS         float64 `yaml:"expert_overhead_us"`
	TTFTOverheadMS           float64 `yaml:"ttft_overhead_ms"`
	PrefillLayerOverheadUS   float64 `yaml:"prefill_layer_overhead_us"`
	KVOccupancy              float64 `yaml:"kv_occupancy"`
	MaxBatch                 float64 `yaml:"max_batch"`
	GPUMemoryUtilization     float64 `yaml:"gpu_memory_utilization"`
	RuntimeOverheadGiB       float64 `yaml:"runtime_overhead_gib"`
	ActivationChunkTokens    float64 `yaml:"activation_chunk_tokens"`
	RooflineBlend            float64 `yaml:"roofline_blend"`
	UnknownLinkGBs           float64 `yaml:"unknown_link_gbps"`
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

// ClassicEff are the factors for CV, recommendation, tabular and embedding models.
type ClassicEff struct {
	ComputeEfficiency float64 `yaml:"compute_efficiency"`
	BatchHalf         float64 `yaml:"batch_half"`
	BWEfficiency      float64 `yaml:"bw_efficiency"`
	FixedLatencyMS    float64 `yaml:"fixed_latency_ms"`
	CPUEfficiency     float64 `yaml:"cpu_efficiency"`
	CPUFixedLatencyMS float64 `yaml:"cpu_fixed_latency_ms"`
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
	Throughput  Band    `yaml:"throughput"`
	TTFT        Band    `yaml:"ttft"`
	TPOT        Band    `yaml:"tpot"`
	Training    Band    `yaml:"training"`
	Classic     Band    `yaml:"classic"`
	Extrapolate float64 `yaml:"extrapolate"`
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
