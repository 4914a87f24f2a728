package catalog

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Accelerator is one accelerator chip. Bandwidths are decimal GB/s, compute
// is dense (no sparsity) TFLOPS or TOPS. A nil pointer means "not published".
type Accelerator struct {
	ID       string   `yaml:"id" json:"id"`
	Name     string   `yaml:"name" json:"name"`
	Vendor   string   `yaml:"vendor" json:"vendor"`
	Aliases  []string `yaml:"aliases" json:"aliases,omitempty"`
	MemoryGB float64  `yaml:"memory_gb" json:"memory_gb"`
	// MemoryGiB is the usable device memory in GiB as the driver or the
	// cloud's GpuInfo reports it (MiB / 1024); 0 = not recorded, in which
	// case the nominal MemoryGB is used (see UsableMemoryGiB).
	MemoryGiB   float64  `yaml:"memory_gib" json:"memory_gib,omitempty"`
	MemoryBWGBs *float64 `yaml:"memory_bw_gbps" json:"memory_bw_gbps"`
	FP32TFLOPS  *float64 `yaml:"fp32_tflops" json:"fp32_tflops,omitempty"`
	TF32TFLOPS  *float64 `yaml:"tf32_tflops" json:"tf32_tflops,omitempty"`
	BF16TFLOPS  *float64 `yaml:"bf16_tflops" json:"bf16_tflops,omitempty"`
	FP8TFLOPS   *float64 `yaml:"fp8_tflops" json:"fp8_tflops,omitempty"`
	INT8TOPS    *float64 `yaml:"int8_tops" json:"int8_tops,omitempty"`
	FP4TFLOPS   *float64 `yaml:"fp4_tflops" json:"fp4_tflops,omitempty"`
	// Interconnect describes the scale-up link in words.
	Interconnect string `yaml:"interconnect" json:"interconnect"`
	// LinkBWGBs is the scale-up link bandwidth per accelerator, bidirectional aggregate.
	LinkBWGBs *float64 `yaml:"interconnect_bw_gbps" json:"interconnect_bw_gbps,omitempty"`
	// LinkDomain is how many accelerators share the fast link (8 on an HGX
	// board, 2 for NVLink-bridged PCIe pairs, 1 when there is only PCIe).
	LinkDomain int `yaml:"link_domain" json:"link_domain"`
	// ScaleOutGBs is the scale-out network bandwidth per accelerator (GB/s,
	// one direction) of the vendor's reference cluster; nil uses the default.
	ScaleOutGBs *float64 `yaml:"scale_out_gbps" json:"scale_out_gbps,omitempty"`
	// PCIeBWGBs is the host link bandwidth, bidirectional aggregate.
	PCIeBWGBs float64  `yaml:"pcie_bw_gbps" json:"pcie_bw_gbps"`
	TDPWatts  *float64 `yaml:"tdp_w" json:"tdp_w,omitempty"`
	// InferenceOnly marks chips without a training software stack (Inferentia).
	InferenceOnly bool   `yaml:"inference_only" json:"inference_only,omitempty"`
	FormFactor    string `yaml:"form_factor" json:"form_factor"`
	ReleaseYear   *int   `yaml:"release_year" json:"release_year,omitempty"`
	// NativePrecisions are the formats the chip has compute units for
	// (tensor cores, MXU, MME, NeuronCore engines).
	NativePrecisions []Precision `yaml:"native_precisions" json:"native_precisions"`
	// WeightOnlyPrecisions are formats the weights can be stored in while
	// the matrix units compute in 16 bits after dequantising (for example
	// fp8 or int4 weights through Marlin kernels on sm80+).
	WeightOnlyPrecisions []Precision `yaml:"weight_only_precisions" json:"weight_only_precisions,omitempty"`
	// DeviceResource is the Kubernetes extended resource the vendor's device
	// plugin advertises (nvidia.com/gpu, amd.com/gpu, aws.amazon.com/neuron,
	// google.com/tpu, habana.ai/gaudi).
	DeviceResource string `yaml:"device_resource" json:"device_resource"`
	// PrecisionSource cites the support matrix (native/weight-only lists).
	PrecisionSource string `yaml:"precision_source" json:"precision_source,omitempty"`
	Source          string `yaml:"source" json:"source"`
	AsOf            string `yaml:"as_of" json:"as_of"`
}

// Support says how an accelerator runs a precision.
type Support int

const (
	// SupportNone: no kernels for the format on this chip.
	SupportNone Support = iota
	// SupportWeightOnly: weights are stored in the format and dequantised to
	// 16-bit compute; memory and bandwidth shrink, compute does not speed up.
	SupportWeightOnly
	// SupportNative: the chip has compute units for the format.
	SupportNative
)

func (s Support) String() string {
	switch s {
	case SupportNative:
		return "native"
	case SupportWeightOnly:
		return "weight-only"
	}
	return "none"
}

// Supports reports how the accelerator runs precision p: natively,
// weight-only, or not at all.
func (a *Accelerator) Supports(p Precision) Support {
	for _, q := range a.NativePrecisions {
		if q == p {
			return SupportNative
		}
	}
	for _, q := range a.WeightOnlyPrecisions {
		if q == p {
			return SupportWeightOnly
		}
	}
	return SupportNone
}

// PeakTFLOPS returns the dense peak for a compute precision and whether the
// chip has a published peak for exactly that precision. No peak is derived
// from another precision: where a chip publishes none for p (FP8 on A100,
// FP4 on Hopper), the peak returned is the 16-bit one the engines fall back
// to, with native false. INT4 is weight-only everywhere (16-bit compute).
func (a *Accelerator) PeakTFLOPS(p Precision) (float64, bool) {
	get := func(x *float64) float64 {
		if x == nil {
			return 0
		}
		return *x
	}
	bf16 := get(a.BF16TFLOPS)
	if bf16 == 0 {
		bf16 = get(a.FP32TFLOPS)
	}
	switch p {
	case FP32:
		if v := get(a.TF32TFLOPS); v > 0 {
			return v, true
		}
		return get(a.FP32TFLOPS), get(a.FP32TFLOPS) > 0
	case BF16, FP16:
		return bf16, bf16 > 0
	case FP8:
		if v := get(a.FP8TFLOPS); v > 0 {
			return v, true
		}
	case INT8:
		if v := get(a.INT8TOPS); v > 0 {
			return v, true
		}
	case FP4:
		if v := get(a.FP4TFLOPS); v > 0 {
			return v, true
		}
	}
	return bf16, false
}

// UsableMemoryGiB is the device memory an engine can allocate, in GiB: the
// recorded usable figure, or the vendor's nominal figure when none is
// recorded (vendors' "80 GB" HBM is close to 80 GiB).
func (a *Accelerator) UsableMemoryGiB() float64 {
	if a.MemoryGiB > 0 {
		return a.MemoryGiB
	}
	return a.MemoryGB
}

// MemoryBandwidth returns HBM/GDDR bandwidth in bytes/s (0 when unknown).
func (a *Accelerator) MemoryBandwidth() float64 {
	if a.MemoryBWGBs == nil {
		return 0
	}
	return *a.MemoryBWGBs * 1e9
}

// Instance is a cloud machine type in one region with its list prices.
type Instance struct {
	ID               string   `yaml:"id" json:"id"`
	Cloud            string   `yaml:"cloud" json:"cloud"`
	InstanceType     string   `yaml:"instance_type" json:"instance_type"`
	Region           string   `yaml:"region" json:"region"`
	Accelerator      string   `yaml:"accelerator" json:"accelerator,omitempty"`
	AcceleratorCount int      `yaml:"accelerator_count" json:"accelerator_count"`
	VCPUs            int      `yaml:"vcpus" json:"vcpus"`
	MemoryGiB        float64  `yaml:"memory_gib" json:"memory_gib"`
	PriceOnDemand    *float64 `yaml:"price_on_demand_usd_hr" json:"price_on_demand_usd_hr"`
	PriceSpot        *float64 `yaml:"price_spot_usd_hr" json:"price_spot_usd_hr,omitempty"`
	// CPUVectorGFLOPS is the FP32 vector peak of the whole instance (CPU instances).
	CPUVectorGFLOPS float64 `yaml:"cpu_vector_gflops" json:"cpu_vector_gflops,omitempty"`
	// CPUMemoryBWGBs is the memory bandwidth available to the instance (CPU instances).
	CPUMemoryBWGBs float64 `yaml:"cpu_memory_bw_gbps" json:"cpu_memory_bw_gbps,omitempty"`
	// Network is the instance's scale-out network (nil for CPU instances).
	Network *Network `yaml:"network" json:"network,omitempty"`
	// ScaleUpDomain is how many of the instance's accelerators share a fast
	// link (NVLink/NVSwitch, Infinity Fabric, NeuronLink, ICI); 1 = PCIe
	// only; 0 = derive from the accelerator (see LinkDomain).
	ScaleUpDomain int `yaml:"scale_up_domain" json:"scale_up_domain,omitempty"`
	// PriceFlag, when not empty, says why a price of this entry is
	// anomalous; planners exclude flagged prices unless the user opts in.
	// Spot prices are the typical (median across zones) price, and
	// price_spot_usd_hr is absent where there is no real spot offer.
	PriceFlag string `yaml:"price_flag" json:"price_flag,omitempty"`
	// SpotFlag, when not empty, says why the spot price alone is anomalous
	// (the on-demand price stays usable).
	SpotFlag string `yaml:"spot_flag" json:"spot_flag,omitempty"`
	Source   string `yaml:"source" json:"source"`
	AsOf     string `yaml:"as_of" json:"as_of"`
}

// Network types.
const (
	NetEFA        = "efa"
	NetInfiniBand = "infiniband"
	NetRoCE       = "roce"
	NetEthernet   = "ethernet"
)

// NetworkTypes lists the valid Network.Type values, for error messages.
var NetworkTypes = []string{NetEFA, NetInfiniBand, NetRoCE, NetEthernet}

// Network is an instance's scale-out network. Gbps is the aggregate
// bandwidth of the instance in Gbit/s, one direction (0 = the provider
// publishes no figure; such an instance is not fit for multi-node jobs).
type Network struct {
	Type   string  `yaml:"type" json:"type"`
	Gbps   float64 `yaml:"gbps" json:"gbps"`
	Source string  `yaml:"source" json:"source"`
	AsOf   string  `yaml:"as_of" json:"as_of"`
}

// RDMA reports whether the network bypasses the kernel TCP stack (EFA,
// InfiniBand, RoCE), as multi-node training and serving expect.
func (n *Network) RDMA() bool {
	return n != nil && (n.Type == NetEFA || n.Type == NetInfiniBand || n.Type == NetRoCE)
}

// LinkDomain returns how many of the instance's accelerators share one fast
// link: min(count, domain), where domain is ScaleUpDomain or, when that is
// 0, the accelerator's own link domain (a nil accelerator counts as 1).
func (i *Instance) LinkDomain(a *Accelerator) int {
	d := i.ScaleUpDomain
	if d <= 0 {
		d = 1
		if a != nil && a.LinkDomain > 0 {
			d = a.LinkDomain
		}
	}
	if i.AcceleratorCount > 0 && i.AcceleratorCount < d {
		return i.AcceleratorCount
	}
	return max(d, 1)
}

// OnDemand returns the on-demand price per instance-hour, unless it is
// absent or flagged anomalous and allowFlagged is false.
func (i *Instance) OnDemand(allowFlagged bool) (float64, bool) {
	if i.PriceOnDemand == nil || (i.PriceFlag != "" && !allowFlagged) {
		return 0, false
	}
	return *i.PriceOnDemand, true
}

// Spot returns the typical spot price per instance-hour, unless there is
// no spot offer or the price (or the whole entry) is flagged and
// allowFlagged is false.
func (i *Instance) Spot(allowFlagged bool) (float64, bool) {
	if i.PriceSpot == nil || ((i.PriceFlag != "" || i.SpotFlag != "") && !allowFlagged) {
		return 0, false
	}
	return *i.PriceSpot, true
}

// StalePriceAge is the age beyond which a plan flags a price as stale.
const StalePriceAge = 90 * 24 * time.Hour

// PriceDate parses AsOf (YYYY-MM-DD, or YYYY-MM as the first of the month);
// ok is false for an undated entry.
func (i *Instance) PriceDate() (time.Time, bool) {
	return parseAsOf(i.AsOf)
}

// PriceAge is how old the instance's prices are at now; ok is false when
// the entry carries no date.
func (i *Instance) PriceAge(now time.Time) (time.Duration, bool) {
	t, ok := i.PriceDate()
	if !ok {
		return 0, false
	}
	return now.Sub(t), true
}

// PriceStaleness returns why the instance's prices should be flagged in a
// plan at now ("" when they are dated and at most StalePriceAge old).
func (i *Instance) PriceStaleness(now time.Time) string {
	age, ok := i.PriceAge(now)
	if !ok {
		return fmt.Sprintf("price undated (as_of %q)", i.AsOf)
	}
	if age > StalePriceAge {
		return fmt.Sprintf("price as of %s is %d days old (over %d)", i.AsOf[:min(len(i.AsOf), 10)], int(age.Hours()/24), int(StalePriceAge.Hours()/24))
	}
	return ""
}

func parseAsOf(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02", time.RFC3339, "2006-01"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
		if len(s) > len(layout) && layout == "2006-01-02" {
			if t, err := time.Parse(layout, s[:10]); err == nil {
				return t, true
			}
		}
	}
	return time.Time{}, false
}

// IsCPU reports whether the instance has no accelerator.
func (i *Instance) IsCPU() bool { return i.Accelerator == "" || i.AcceleratorCount == 0 }

// MoE describes a mixture-of-experts feed-forward block.
type MoE struct {
	Experts       int `yaml:"experts" json:"experts"`
	TopK          int `yaml:"top_k" json:"top_k"`
	SharedExperts int `yaml:"shared_experts" json:"shared_experts"`
	// ExpertFFN is the intermediate size of one expert.
	ExpertFFN int `yaml:"expert_ffn" json:"expert_ffn"`
	// LayerStep: every LayerStep-th layer is MoE (1 = all layers).
	LayerStep int `yaml:"layer_step" json:"layer_step"`
	// DenseLayers is the number of leading dense layers (DeepSeek-V3: 3).
	DenseLayers int `yaml:"dense_layers" json:"dense_layers"`
}

// MLA describes DeepSeek multi-head latent attention.
type MLA struct {
	QLoRARank  int `yaml:"q_lora_rank" json:"q_lora_rank"`
	KVLoRARank int `yaml:"kv_lora_rank" json:"kv_lora_rank"`
	QKNopeDim  int `yaml:"qk_nope_dim" json:"qk_nope_dim"`
	QKRopeDim  int `yaml:"qk_rope_dim" json:"qk_rope_dim"`
	VHeadDim   int `yaml:"v_head_dim" json:"v_head_dim"`
}

// Model is an LLM architecture or a classic model's per-sample cost.
type Model struct {
	ID      string   `yaml:"id" json:"id"`
	Name    string   `yaml:"name" json:"name"`
	Aliases []string `yaml:"aliases" json:"aliases,omitempty"`
	// HFRepo is the Hugging Face repository holding the weights (org/name); empty when none is public.
	HFRepo string `yaml:"hf_repo" json:"hf_repo,omitempty"`
	// Kind is "llm" or "classic".
	Kind string `yaml:"kind" json:"kind"`

	Layers         int     `yaml:"layers" json:"layers,omitempty"`
	Hidden         int     `yaml:"hidden" json:"hidden,omitempty"`
	Heads          int     `yaml:"heads" json:"heads,omitempty"`
	KVHeads        int     `yaml:"kv_heads" json:"kv_heads,omitempty"`
	HeadDim        int     `yaml:"head_dim" json:"head_dim,omitempty"`
	FFN            int     `yaml:"ffn" json:"ffn,omitempty"`
	FFNGated       bool    `yaml:"ffn_gated" json:"ffn_gated,omitempty"`
	Vocab          int     `yaml:"vocab" json:"vocab,omitempty"`
	TiedEmbeddings bool    `yaml:"tied_embeddings" json:"tied_embeddings,omitempty"`
	MaxContext     int     `yaml:"max_context" json:"max_context,omitempty"`
	Attention      string  `yaml:"attention" json:"attention,omitempty"`
	MLA            *MLA    `yaml:"mla" json:"mla,omitempty"`
	MoE            *MoE    `yaml:"moe" json:"moe,omitempty"`
	SlidingWindow  int     `yaml:"sliding_window" json:"sliding_window,omitempty"`
	SlidingLayers  float64 `yaml:"sliding_layers_fraction" json:"sliding_layers_fraction,omitempty"`
	ChunkedAttn    int     `yaml:"chunked_attention" json:"chunked_attention,omitempty"`
	ChunkedLayers  float64 `yaml:"chunked_layers_fraction" json:"chunked_layers_fraction,omitempty"`
	// AttentionSinks is "learned" when every attention head adds a learned
	// logit to its softmax (gpt-oss: one more logit per head per query,
	// dropped after the softmax; no key or value, so no KV-cache entry).
	AttentionSinks string `yaml:"attention_sinks" json:"attention_sinks,omitempty"`
	// SinkTokens is how many initial tokens a sliding-window layer keeps in
	// its KV cache beside the window (StreamingLLM sink tokens, Xiao et al.
	// 2023): such a layer holds and reads window + sink_tokens entries.
	SinkTokens  int    `yaml:"sink_tokens" json:"sink_tokens,omitempty"`
	DefaultPrec string `yaml:"default_precision" json:"default_precision,omitempty"`
	// CheckpointPrecision is the weight format of the released checkpoint
	// (config.json torch_dtype, or its quantization_config when the release
	// is quantized); empty when no checkpoint was released.
	CheckpointPrecision string `yaml:"checkpoint_precision" json:"checkpoint_precision,omitempty"`
	// CheckpointFP4 is the 4-bit format of a released fp4 checkpoint:
	// "mxfp4" (OCP microscaling: an 8-bit power-of-two scale per 32 values,
	// gpt-oss) or "nvfp4" (an FP8 scale per 16 values plus one FP32 per
	// tensor, NVIDIA ModelOpt); empty means nvfp4, the format fp4 serving
	// on NVIDIA quantises to.
	CheckpointFP4 string `yaml:"checkpoint_fp4" json:"checkpoint_fp4,omitempty"`
	// CheckpointExpertsOnly: the released low-precision checkpoint
	// quantises only the routed experts; attention, router, shared layers
	// and embeddings stay 16-bit (gpt-oss's modules_to_not_convert).
	CheckpointExpertsOnly bool `yaml:"checkpoint_experts_only" json:"checkpoint_experts_only,omitempty"`
	// ParamsB and ActiveParamsB are the published counts (billions); when
	// absent they are derived from the architecture.
	ParamsB       float64 `yaml:"params_b" json:"params_b,omitempty"`
	ActiveParamsB float64 `yaml:"active_params_b" json:"active_params_b,omitempty"`

	// Classic models.
	Task            string  `yaml:"task" json:"task,omitempty"`
	GFLOPsPerSample float64 `yaml:"gflops_per_sample" json:"gflops_per_sample,omitempty"`
	MBPerSample     float64 `yaml:"mb_per_sample" json:"mb_per_sample,omitempty"`
	ParamsM         float64 `yaml:"params_m" json:"params_m,omitempty"`
	DefaultBatch    int     `yaml:"default_batch" json:"default_batch,omitempty"`
	CPUNative       bool    `yaml:"cpu_native" json:"cpu_native,omitempty"`
	// PassesPerSample is how many network passes one sample takes (a CT
	// volume run as overlapping sliding-window sub-volumes, an image
	// generated in denoising steps); when set, GFLOPsPerSample and
	// MBPerSample are per pass and memory holds one pass at a time.
	// 0 means one pass.
	PassesPerSample float64 `yaml:"passes_per_sample" json:"passes_per_sample,omitempty"`
	// PassesP90 is the 90th percentile of the passes per sample when
	// samples differ in size (CT volumes): a 90th-percentile latency is
	// that sample's. 0: PassesPerSample.
	PassesP90 float64 `yaml:"passes_p90" json:"passes_p90,omitempty"`
	// Kernels is the number of device kernels one pass launches (conv,
	// GEMM and fused elementwise layers): each costs a fixed launch and
	// tail time that batching does not shrink. 0: unknown.
	Kernels int `yaml:"kernels" json:"kernels,omitempty"`
	// InputKBPerSample is the request payload of one sample as sent to the
	// server (image tensor, token ids, dense and sparse features).
	InputKBPerSample float64 `yaml:"input_kb_per_sample" json:"input_kb_per_sample,omitempty"`
	EmbeddingDim     int     `yaml:"embedding_dim" json:"embedding_dim,omitempty"`
	MaxTokens        int     `yaml:"max_tokens" json:"max_tokens,omitempty"`
	// MeanTokens is the mean length of a variable-length dataset's samples
	// padded to MaxTokens (GFLOPsPerSample and MBPerSample are at
	// MaxTokens): runtimes that skip padding do MeanTokens/MaxTokens of
	// that work. 0: every sample is MaxTokens long.
	MeanTokens float64 `yaml:"mean_tokens" json:"mean_tokens,omitempty"`

	Source string `yaml:"source" json:"source"`
	AsOf   string `yaml:"as_of" json:"as_of"`

	derived derivedArch
}

type derivedArch struct {
	ready                         bool
	total, active                 float64 // parameters
	expertParams, nonExpertParams float64
	moeLayers                     int
	attnParamsPerLayer            float64
	kvElemsPerTokenPerLayer       float64
}

// DefaultPrecision is the precision a workload that names none is served
// in: DefaultPrec, else bf16.
func (m *Model) DefaultPrecision() Precision {
	if p, ok := ParsePrecision(m.DefaultPrec); ok {
		return p
	}
	return BF16
}

// IsLLM reports whether the model is a transformer language model.
func (m *Model) IsLLM() bool { return m.Kind == "llm" }

// IsMoE reports whether the model has routed experts.
func (m *Model) IsMoE() bool { return m.MoE != nil && m.MoE.Experts > 0 }

// derive caches the architecture figures. Load calls it on every model
// before the catalog is shared; nothing else writes m.derived, so a loaded
// catalog is safe for concurrent readers.
func (m *Model) derive() {
	if !m.derived.ready {
		m.derived = m.computeArch()
	}
}

// arch is the architecture figures: cached at load, else computed afresh
// (a Model built by a caller), never written back.
func (m *Model) arch() derivedArch {
	if m.derived.ready {
		return m.derived
	}
	return m.computeArch()
}

// computeArch derives the parameter split and KV size from the
// architecture (zero for a model that is not a transformer LLM).
func (m *Model) computeArch() derivedArch {
	var d derivedArch
	if !m.IsLLM() {
		return d
	}
	h := float64(m.Hidden)
	var attn float64
	if m.MLA != nil {
		a := float64(m.Heads)
		x := m.MLA
		qdim := float64(x.QKNopeDim + x.QKRopeDim)
		if x.QLoRARank > 0 {
			attn += h*float64(x.QLoRARank) + float64(x.QLoRARank)*a*qdim
		} else {
			attn += h * a * qdim
		}
		attn += h * float64(x.KVLoRARank+x.QKRopeDim)
		attn += float64(x.KVLoRARank) * a * float64(x.QKNopeDim+x.VHeadDim)
		attn += a * float64(x.VHeadDim) * h
		d.kvElemsPerTokenPerLayer = float64(x.KVLoRARank + x.QKRopeDim)
	} else {
		qd := float64(m.Heads * m.HeadDim)
		kvd := float64(m.KVHeads * m.HeadDim)
		attn = h*qd + 2*h*kvd + qd*h
		d.kvElemsPerTokenPerLayer = 2 * kvd
	}
	mats := 2.0
	if m.FFNGated {
		mats = 3
	}
	dense := mats * h * float64(m.FFN)
	var nonExpert, expert float64
	moeLayers := 0
	active := 0.0
	for l := 0; l < m.Layers; l++ {
		nonExpert += attn + 2*h // norms
		if m.IsMoE() && l >= m.MoE.DenseLayers && (m.MoE.LayerStep <= 1 || (l+1)%m.MoE.LayerStep == 0) {
			moeLayers++
			per := mats * h * float64(m.MoE.ExpertFFN)
			expert += per * float64(m.MoE.Experts)
			shared := per * float64(m.MoE.SharedExperts)
			nonExpert += shared + h*float64(m.MoE.Experts) // router
			active += per * float64(m.MoE.TopK)
		} else {
			nonExpert += dense
		}
	}
	emb := h * float64(m.Vocab)
	if !m.TiedEmbeddings {
		nonExpert += 2 * emb
	} else {
		nonExpert += emb
	}
	d.total = nonExpert + expert
	d.active = nonExpert + active
	d.expertParams = expert
	d.nonExpertParams = nonExpert
	d.moeLayers = moeLayers
	d.attnParamsPerLayer = attn
	d.ready = true
	return d
}

// TotalParams is the parameter count: the published figure when given,
// otherwise derived from the architecture.
func (m *Model) TotalParams() float64 {
	if m.ParamsB > 0 {
		return m.ParamsB * 1e9
	}
	if !m.IsLLM() {
		return m.ParamsM * 1e6
	}
	return m.arch().total
}

// ActiveParams is the parameter count used per token (MoE: routed top-k plus
// shared experts and all non-expert weights).
func (m *Model) ActiveParams() float64 {
	if m.ActiveParamsB > 0 {
		return m.ActiveParamsB * 1e9
	}
	if !m.IsMoE() {
		return m.TotalParams()
	}
	d := m.arch()
	// Scale the derived split to the published total when one is given.
	return d.active * m.TotalParams() / d.total
}

// DerivedParams returns the architecture-derived total and active counts.
func (m *Model) DerivedParams() (total, active float64) {
	d := m.arch()
	return d.total, d.active
}

// ExpertFraction is the share of total parameters held in routed experts.
func (m *Model) ExpertFraction() float64 {
	if !m.IsMoE() {
		return 0
	}
	d := m.arch()
	return d.expertParams / d.total
}

// MoELayers is the number of layers with routed experts.
func (m *Model) MoELayers() int { return m.arch().moeLayers }

// KVElemsPerTokenPerLayer is the number of cached elements per token per
// layer: 2 x KV heads x head dim (MHA/GQA/MQA) or the MLA latent plus rope dim.
func (m *Model) KVElemsPerTokenPerLayer() float64 {
	return m.arch().kvElemsPerTokenPerLayer
}

// AttnDim is heads x head dim (the width of the attention computation).
func (m *Model) AttnDim() float64 {
	if m.MLA != nil {
		return float64(m.Heads * (m.MLA.QKNopeDim + m.MLA.QKRopeDim))
	}
	return float64(m.Heads * m.HeadDim)
}

// EffectiveKVTokens is the number of tokens kept per sequence averaged over
// layers, for a context of ctx tokens: sliding-window and chunked layers keep
// at most their window (plus any sink tokens a sliding window keeps).
func (m *Model) EffectiveKVTokens(ctx float64) float64 {
	full := 1.0
	eff := 0.0
	if m.SlidingWindow > 0 && m.SlidingLayers > 0 {
		eff += m.SlidingLayers * math.Min(ctx, float64(m.SlidingWindow+m.SinkTokens))
		full -= m.SlidingLayers
	}
	if m.ChunkedAttn > 0 && m.ChunkedLayers > 0 {
		eff += m.ChunkedLayers * math.Min(ctx, float64(m.ChunkedAttn))
		full -= m.ChunkedLayers
	}
	return eff + full*ctx
}

// Precision is a numeric format for weights, activations or KV cache.
type Precision string

// Precisions aiplan knows.
const (
	FP32 Precision = "fp32"
	BF16 Precision = "bf16"
	FP16 Precision = "fp16"
	FP8  Precision = "fp8"
	INT8 Precision = "int8"
	INT4 Precision = "int4"
	FP4  Precision = "fp4"
)

// Precisions lists the valid values, for error messages.
var Precisions = []Precision{FP32, BF16, FP16, FP8, INT8, INT4, FP4}

// ParsePrecision accepts common spellings (e.g. "float16", "nvfp4", "mxfp4").
func ParsePrecision(s string) (Precision, bool) {
	switch normalize(s) {
	case "fp32", "float32", "float", "tf32":
		return FP32, true
	case "bf16", "bfloat16":
		return BF16, true
	case "fp16", "float16", "half":
		return FP16, true
	case "fp8", "float8", "e4m3", "fp8e4m3":
		return FP8, true
	case "int8", "w8a8", "w8a16":
		return INT8, true
	case "int4", "w4a16", "awq", "gptq", "nf4":
		return INT4, true
	case "fp4", "nvfp4", "mxfp4":
		return FP4, true
	}
	return "", false
}

// BytesPerWeight is the storage size of one weight including quantisation
// scales: int4 with a 16-bit scale per 128 weights, fp4 (NVFP4/MXFP4) with an
// 8-bit scale per 16 or 32 values, about 4.5 bits.
func (p Precision) BytesPerWeight() float64 {
	switch p {
	case FP32:
		return 4
	case BF16, FP16:
		return 2
	case FP8, INT8:
		return 1
	case INT4:
		return 0.5 + 2.0/128
	case FP4:
		return NVFP4BytesPerWeight
	}
	return 2
}

// Bytes per weight of the 4-bit formats, scales included: NVFP4 stores an
// FP8 (E4M3) scale per 16 values (4 + 8/16 bits; the per-tensor FP32 scale
// is negligible), MXFP4 an 8-bit power-of-two (E8M0) scale per 32 values
// (4 + 8/32 bits), per the OCP Microscaling (MX) v1.0 specification.
const (
	NVFP4BytesPerWeight = (4 + 8.0/16) / 8
	MXFP4BytesPerWeight = (4 + 8.0/32) / 8
)

// WeightBytes is the storage per weight, scales included, of the routed
// experts and of every other weight when the model is served at p: the
// released checkpoint's own format where p is its precision (gpt-oss: MXFP4
// experts, 16-bit everything else), p's generic size otherwise (fp4 as
// NVFP4, which is what fp4 quantisation for serving produces).
func (m *Model) WeightBytes(p Precision) (expert, other float64) {
	b := p.BytesPerWeight()
	expert, other = b, b
	if (m.CheckpointFP4 == "" && !m.CheckpointExpertsOnly) || !m.checkpointIs(p) {
		return expert, other // no release format to follow (no parsing: hot path)
	}
	if m.ServesMXFP4(p) {
		expert, other = MXFP4BytesPerWeight, MXFP4BytesPerWeight
	}
	if m.CheckpointExpertsOnly && m.IsMoE() {
		other = BF16.BytesPerWeight()
	}
	return expert, other
}

// checkpointIs reports whether the released checkpoint is in precision p.
func (m *Model) checkpointIs(p Precision) bool {
	ck, ok := ParsePrecision(m.CheckpointPrecision)
	return ok && ck == p
}

// ServesMXFP4 reports whether serving at p runs the released MXFP4
// checkpoint (p is fp4 and the checkpoint is MXFP4).
func (m *Model) ServesMXFP4(p Precision) bool {
	return p == FP4 && strings.EqualFold(m.CheckpointFP4, "mxfp4") && m.checkpointIs(p)
}

// ComputePrecision is the precision the matrix units run at for weights of
// this precision: weight-only int4 runs bf16 GEMMs; fp4 runs fp4 where the
// hardware has it.
func (p Precision) ComputePrecision() Precision {
	if p == INT4 {
		return BF16
	}
	return p
}
