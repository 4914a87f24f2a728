package perf

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/aiplan-dev/aiplan/catalog"
)

// Batching is how the engine schedules requests.
type Batching string

// Batching modes: continuous (in-flight; vLLM, SGLang, TensorRT-LLM IFB) and
// static (a fixed batch prefilled together, then decoded to the end).
const (
	Continuous Batching = "continuous"
	Static     Batching = "static"
)

// InferenceInput describes one LLM serving configuration. Token counts are
// per request; RequestRate is requests/s for the whole system.
type InferenceInput struct {
	Model                     *catalog.Model
	Accel                     *catalog.Accelerator
	Eff                       *catalog.Efficiency
	GPUs                      int // total; 0 means TP x PP (one replica)
	TP, PP, EP                int // EP only changes the expert layout, not the GPU count
	Precision                 catalog.Precision
	KVPrecision               catalog.Precision
	InputTokens, OutputTokens float64
	// At most one of Concurrency and RequestRate is set; neither means
	// maximum throughput (all requests queued at an unbounded rate).
	Concurrency float64
	RequestRate float64
	Batching    Batching
	// MaxBatch caps concurrent sequences per replica (0: the engine default).
	MaxBatch float64
	// Engine is the serving engine family (vllm, sglang, trtllm, tgi,
	// neuron, jetstream, gaudi); empty: the default for the accelerator's
	// vendor (Efficiency.DefaultEngines).
	Engine string
	// Quiet skips building the assumption strings (for the planner's hot loop).
	Quiet bool
}

// InferenceResult is the prediction. Rates are whole-system, times in ms.
type InferenceResult struct {
	OutputTokensPerSecond       float64 `json:"output_tokens_per_second"`
	OutputTokensPerSecondPerGPU float64 `json:"output_tokens_per_second_per_gpu"`
	RequestsPerSecond           float64 `json:"requests_per_second"`
	TTFTMs                      float64 `json:"ttft_ms"`
	TPOTMs                      float64 `json:"tpot_ms"`
	E2ELatencyMs                float64 `json:"e2e_latency_ms"`
	// P99 figures come from a queueing model (M/M/1 waiting-time tail on the
	// prefill queue; TPOT tail from prefill chunks interleaved into decode).
	TTFTP99Ms    float64      `json:"ttft_p99_ms"`
	TPOTP99Ms    float64      `json:"tpot_p99_ms"`
	E2EP99Ms     float64      `json:"e2e_p99_ms"`
	BatchSize    float64      `json:"batch_size"`
	MaxBatchSize float64      `json:"max_batch_size"`
	Replicas     int          `json:"replicas"`
	GPUs         int          `json:"gpus"`
	Fits         bool         `json:"fits"`
	Reason       string       `json:"reason,omitempty"`
	Saturated    bool         `json:"saturated,omitempty"`
	Bottleneck   string       `json:"bottleneck"`
	Memory       Memory       `json:"memory"`
	Uncertainty  catalog.Band `json:"uncertainty"`
	// UncertaintyFor names the headline figure the band applies to:
	// "throughput", or "latency" at a fixed request rate.
	UncertaintyFor string `json:"uncertainty_for"`
	// UncertaintyBasis names the class whose cross-validated error sets the
	// band and what widened it (empty in quiet mode).
	UncertaintyBasis string `json:"uncertainty_basis,omitempty"`
	// Engine and EngineVersions say which engine the figures assume and the
	// versions its factors were fitted on (none: the shared prior).
	Engine         string   `json:"engine"`
	EngineVersions []string `json:"engine_versions,omitempty"`
	Assumptions    []string `json:"assumptions"`
}

// ErrInput marks an invalid input (exit code 2 in the CLI).
var ErrInput = errors.New("invalid input")

func inputErr(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrInput, fmt.Sprintf(format, a...))
}

func badNum(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }

// ReplicaGPUs is the size of one serving replica: tp x pp, or ep when
// expert parallelism spans more GPUs (data-parallel attention groups of
// tp x pp GPUs share one expert-parallel group, as in DeepSeek-style serving).
func (in *InferenceInput) ReplicaGPUs() int {
	return max(max(in.TP, 1)*max(in.PP, 1), in.EP)
}

// Validate checks an input and fills defaults.
func (in *InferenceInput) Validate() error {
	if in.Model == nil || in.Accel == nil || in.Eff == nil {
		return inputErr("model, accelerator and efficiency data are required")
	}
	if !in.Model.IsLLM() {
		return inputErr("model %q is a classic model; use the classic estimate", in.Model.ID)
	}
	if in.TP <= 0 {
		in.TP = 1
	}
	if in.PP <= 0 {
		in.PP = 1
	}
	if in.EP <= 0 {
		in.EP = 1
	}
	m := in.Model
	if m.Heads%in.TP != 0 {
		return inputErr("--tp %d does not divide the %d attention heads of %s", in.TP, m.Heads, m.ID)
	}
	if in.PP > m.Layers {
		return inputErr("--pp %d exceeds the %d layers of %s", in.PP, m.Layers, m.ID)
	}
	if in.EP > 1 && !m.IsMoE() {
		return inputErr("--ep %d: %s is a dense model with no experts to spread; allowed: --ep 1 (expert parallelism needs a mixture-of-experts model)", in.EP, m.ID)
	}
	if in.EP > 1 && in.EP > 2*m.MoE.Experts {
		return inputErr("--ep %d: %s has %d routed experts; allowed: at most %d (half an expert per GPU, with redundant copies)", in.EP, m.ID, m.MoE.Experts, 2*m.MoE.Experts)
	}
	if in.EP > in.TP*in.PP && in.EP%(in.TP*in.PP) != 0 {
		return inputErr("--ep %d must be a multiple of tp x pp = %d when it is larger", in.EP, in.TP*in.PP)
	}
	rep := in.ReplicaGPUs()
	if in.GPUs <= 0 {
		in.GPUs = rep
	}
	if in.GPUs%rep != 0 {
		return inputErr("--gpus %d is not a multiple of the replica size %d (max of tp x pp and ep)", in.GPUs, rep)
	}
	if in.Precision == "" {
		in.Precision = catalog.BF16
		if m.DefaultPrec != "" {
			in.Precision = catalog.Precision(m.DefaultPrec)
		}
	}
	if in.KVPrecision == "" {
		// FP8 checkpoints keep an FP8 KV cache, and so do NVFP4 ones on
		// chips with FP8 units (ModelOpt quantises KV to FP8 with NVFP4);
		// a released MXFP4 checkpoint (gpt-oss) leaves the KV cache 16-bit.
		in.KVPrecision = catalog.BF16
		if in.Precision == catalog.FP8 || (in.Precision == catalog.FP4 && !m.ServesMXFP4(in.Precision) && in.Accel.Supports(catalog.FP8) == catalog.SupportNative) {
			in.KVPrecision = catalog.FP8
		}
	}
	for i, v := range [2]float64{in.InputTokens, in.OutputTokens} {
		if badNum(v) || v < 1 || v > 1e7 {
			return inputErr("--%s %v: must be between 1 and 10,000,000", [2]string{"input-tokens", "output-tokens"}[i], v)
		}
	}
	if badNum(in.Concurrency) || in.Concurrency < 0 || (in.Concurrency > 0 && in.Concurrency < 1) || in.Concurrency > 1e7 {
		return inputErr("--concurrency %v: must be between 1 and 10,000,000 requests in flight (omit it for maximum throughput)", in.Concurrency)
	}
	if badNum(in.RequestRate) || in.RequestRate < 0 || in.RequestRate > 1e7 {
		return inputErr("--request-rate %v: must be a positive number of requests per second, at most 10,000,000 (omit it for maximum throughput)", in.RequestRate)
	}
	if in.Concurrency > 0 && in.RequestRate > 0 {
		return inputErr("give --concurrency or --request-rate, not both")
	}
	if badNum(in.MaxBatch) || in.MaxBatch < 0 || (in.MaxBatch > 0 && in.MaxBatch < 1) || in.MaxBatch > 1e6 {
		return inputErr("--max-batch %v: must be between 1 and 1,000,000 sequences per replica (omit it for the engine's default)", in.MaxBatch)
	}
	if in.Batching == "" {
		in.Batching = Continuous
	}
	if in.Batching != Continuous && in.Batching != Static {
		return inputErr("--batching %q: allowed: continuous, static", in.Batching)
	}
	if in.Accel.MemoryBandwidth() <= 0 {
		return inputErr("accelerator %s has no memory bandwidth in the catalog; add it with --catalog", in.Accel.ID)
	}
	if in.Engine == "" {
		in.Engine = in.Eff.DefaultEngine(in.Accel.Vendor)
	}
	return nil
}

// servingModel holds the per-configuration constants of one replica, so the
// step-time functions are a handful of multiplications.
type servingModel struct {
	e                 *catalog.InferenceEff
	tp, pp, replica   float64
	layersStage       float64
	moeLayersStage    float64
	bw                float64 // bytes/s, achieved
	peakPrefill       float64 // FLOP/s, achieved
	peakDecode        float64
	nonExpertBytesGPU float64
	readBytesGPU      float64 // non-expert weights a forward pass reads: all but an untied input embedding table
	expertBytesGPU    float64
	experts, topK     float64
	kvTokGPU          float64
	denseFlopsTokGPU  float64 // attention projections, dense FFN, shared experts: per token, per GPU of a group
	expertFlopsTokGPU float64 // routed experts: per token, spread over the whole replica
	groups            float64 // data-parallel attention groups per replica (ep / (tp x pp))
	attnFlopsCtxGPU   float64 // per token per context token
	hidden            float64
	busBW, lat        float64 // all-reduce bus bandwidth (bytes/s) and latency of one synchronisation round (s)
	p2p               bool    // the TP group shares a scale-up link (engines' one-/two-shot all-reduce)
	ep                float64 // expert-parallel degree
	epBW, epLat       float64 // all-to-all bandwidth (bytes/s) and latency (s) over the EP group
	blend             float64
	model             *catalog.Model
	linkName          string
	nativeCompute     bool
	ovh               float64 // engine overhead multiplier
	kvFree            float64 // engine's KV share of free memory (0: share of total)
	fullKV            bool    // engine runs windowed layers with a full-length window
	engMaxBatch       float64 // engine's default cap on running sequences (0: shared)
	seqUS             float64 // engine's own host time per sequence per step (µs)
}

func newServingModel(in *InferenceInput) *servingModel {
	s := new(servingModel)
	s.init(in)
	return s
}

// init fills s for a validated input (Inference keeps s on the stack).
func (s *servingModel) init(in *InferenceInput) {
	m, a, e := in.Model, in.Accel, &in.Eff.Inference
	eng, _ := in.Eff.EngineFactors(catalog.EngineKey(in.Engine, in.Accel.Vendor))
	*s = servingModel{e: e, model: m, tp: float64(in.TP), pp: float64(in.PP), ovh: eng.Overhead, kvFree: eng.KVFreeFraction, fullKV: eng.FullKVForWindows, engMaxBatch: eng.MaxBatch, seqUS: eng.SeqUS}
	s.groups = math.Max(1, float64(in.ReplicaGPUs())/(s.tp*s.pp))
	s.replica = s.tp * s.pp * s.groups
	s.layersStage = float64(m.Layers) / s.pp
	s.moeLayersStage = float64(m.MoELayers()) / s.pp
	s.bw = a.MemoryBandwidth() * e.MemoryBWEfficiency * eng.Speed
	cp := in.Precision.ComputePrecision()
	peak, native := a.PeakTFLOPS(cp)
	s.nativeCompute = native
	lowp := 1.0
	switch {
	case native && (cp == catalog.FP4 || cp == catalog.INT4):
		lowp = e.FP4Efficiency
	case native && (cp == catalog.FP8 || cp == catalog.INT8):
		lowp = e.LowPrecisionEfficiency
	}
	s.peakPrefill = peak * 1e12 * e.PrefillComputeEfficiency * lowp * eng.Speed
	s.peakDecode = peak * 1e12 * e.DecodeComputeEfficiency * lowp * eng.Speed
	expertBPW, otherBPW := m.WeightBytes(in.Precision)
	total := m.TotalParams()
	ef := m.ExpertFraction()
	s.nonExpertBytesGPU = total * (1 - ef) * otherBPW / (s.tp * s.pp)
	s.readBytesGPU = s.nonExpertBytesGPU
	if !m.TiedEmbeddings {
		// A forward pass gathers one row of the input embedding table per
		// token and reads the whole output projection: an untied table
		// (vocab x hidden) sits in memory but is not streamed.
		s.readBytesGPU = math.Max(0, s.nonExpertBytesGPU-float64(m.Vocab)*float64(m.Hidden)*otherBPW/(s.tp*s.pp))
	}
	s.expertBytesGPU = total * ef * expertBPW / s.replica
	if m.IsMoE() {
		s.experts, s.topK = float64(m.MoE.Experts), float64(m.MoE.TopK)
	}
	s.kvTokGPU = kvBytesPerTokenPerGPU(m, in.KVPrecision, in.TP, in.PP)
	expertActive := math.Max(m.ActiveParams()-total*(1-ef), 0)
	s.denseFlopsTokGPU = 2 * (m.ActiveParams() - expertActive) / (s.tp * s.pp)
	if m.AttentionSinks != "" {
		// A learned sink is one more logit per head per query: its
		// exponential and its share of the softmax sum, about 2 FLOPs.
		s.denseFlopsTokGPU += 2 * float64(m.Layers*m.Heads) / (s.tp * s.pp)
	}
	s.expertFlopsTokGPU = 2 * expertActive / s.replica
	s.attnFlopsCtxGPU = 4 * float64(m.Layers) * m.AttnDim() / (s.tp * s.pp)
	s.hidden = float64(m.Hidden)
	s.blend = math.Max(e.RooflineBlend, 1)
	s.busBW, s.lat, s.linkName = commPath(a, in.TP, e, eng.Overhead)
	s.p2p = in.TP <= a.LinkDomain && a.LinkDomain > 1
	// Expert parallelism inside the tensor-parallel group (ep <= tp x pp)
	// needs no all-to-all: after the attention all-reduce every rank holds
	// every token, runs the tokens routed to its own experts, and the MoE
	// layer's usual all-reduce combines them (SGLang and TensorRT-LLM EP
	// with TP). Only data-parallel attention groups (ep > tp x pp) dispatch
	// tokens all-to-all.
	s.ep = 1
	if in.EP > in.TP*in.PP {
		s.ep = float64(in.EP)
		s.epBW, s.epLat, _ = commPath(a, in.EP, e, eng.Overhead)
	}
}

// commPath picks the link a TP group of size tp talks over: the scale-up
// link while the group fits in its domain, PCIe otherwise. Bandwidth is per
// direction (half the bidirectional catalog figure) times that path's own
// fitted efficiency (link_efficiency or pcie_efficiency).
func commPath(a *catalog.Accelerator, tp int, e *catalog.InferenceEff, ovh float64) (bw, lat float64, name string) {
	if tp <= a.LinkDomain && a.LinkDomain > 1 {
		link := e.UnknownLinkGBs
		if a.LinkBWGBs != nil {
			link = *a.LinkBWGBs
		}
		return link / 2 * 1e9 * e.LinkEfficiency, e.LinkLatencyUS * 1e-6 * ovh, "scale-up link"
	}
	// PCIe pays the scale-up link's software latency plus its own extra
	// (host bridges, no in-switch reduction): pcie_latency_us is that extra.
	return a.PCIeBWGBs / 2 * 1e9 * e.PCIeEfficiency, (e.LinkLatencyUS + e.PCIeLatencyUS) * 1e-6 * ovh, "PCIe"
}

// expertFraction is the expected share of routed experts that B tokens touch
// in one layer: 1 - (1 - k/E)^B. At large batch every expert is read.
func (s *servingModel) expertFraction(tokens float64) float64 {
	if s.experts == 0 {
		return 0
	}
	return 1 - math.Pow(1-s.topK/s.experts, tokens)
}

// kvTokens is the KV a sequence of ctx tokens holds and attends to: the
// model's windows cap it, unless the engine runs windowed layers with a
// full-length attention window (TensorRT-LLM without max_attention_window).
func (s *servingModel) kvTokens(ctx float64) float64 {
	if s.fullKV {
		return ctx
	}
	return s.model.EffectiveKVTokens(ctx)
}

// expertPad is the work an expert GEMM does per useful row when tokens
// tokens are routed in one step: each expert gets tokens x k/E rows, and a
// grouped GEMM computes whole tiles of expert_tile_tokens rows, so experts
// with fewer rows than a tile pay for the tile (many small experts at small
// per-expert batch: Qwen3-30B-A3B, DeepSeek-V3).
func (s *servingModel) expertPad(tokens float64) float64 {
	if s.experts == 0 || s.e.ExpertTileTokens <= 0 {
		return 1
	}
	perExpert := tokens * s.topK / s.experts
	return math.Max(1, s.e.ExpertTileTokens/math.Max(perExpert, 1e-9))
}

// allReduce is the time of one all-reduce of n bytes over tp ranks.
//
// Over a scale-up link (NVLink/NVSwitch, Infinity Fabric) the serving
// engines run their own all-reduce kernels on peer memory (TensorRT-LLM's
// one-shot and two-shot strategies, vLLM's and SGLang's custom all-reduce)
// and pick by message size: one-shot reads every peer's n bytes and reduces
// locally, (tp-1) x n bytes per GPU in one synchronisation round; two-shot
// reduce-scatters then all-gathers, 2(tp-1)/tp x n bytes in two rounds. A
// decode step's message (batch x hidden x 2 bytes, tens of KB at small
// batch) is latency-bound: one round, whatever tp is. Over PCIe the engines
// fall back to NCCL's ring (one fitted latency, bandwidth 2(tp-1)/tp x n).
func (s *servingModel) allReduce(bytes float64) float64 {
	if s.tp <= 1 {
		return 0
	}
	ring := 2 * (s.tp - 1) / s.tp * bytes / s.busBW
	if !s.p2p {
		return ring + s.lat
	}
	return math.Min((s.tp-1)*bytes/s.busBW+s.lat, ring+2*s.lat)
}

// allReduceBytes is the bandwidth part of an all-reduce of n bytes when
// its latency is already paid (tokens joining a running step's
// collective): the ring's, the bandwidth-optimal algorithm for the step's
// larger message.
func (s *servingModel) allReduceBytes(bytes float64) float64 {
	if s.tp <= 1 {
		return 0
	}
	return 2 * (s.tp - 1) / s.tp * bytes / s.busBW
}

// allToAll is the expert-parallel dispatch and combine of one MoE layer:
// each token's hidden state goes to top-k experts, (ep-1)/ep of them remote.
func (s *servingModel) allToAll(tokens float64) float64 {
	if s.ep <= 1 {
		return 0
	}
	return 2 * (s.allToAllBytes(tokens)/s.epBW + s.epLat)
}

// allToAllBytes is the bytes one dispatch (or combine) sends per rank.
func (s *servingModel) allToAllBytes(tokens float64) float64 {
	return tokens * s.hidden * 2 * s.topK * (s.ep - 1) / s.ep
}

func (s *servingModel) roof(tMem, tComp float64) float64 {
	if s.blend == 1 {
		return tMem + tComp
	}
	hi, lo := tMem, tComp
	if lo > hi {
		hi, lo = lo, hi
	}
	if hi == 0 {
		return 0
	}
	r := lo / hi
	return hi * math.Pow(1+math.Pow(r, s.blend), 1/s.blend)
}

// stageStep is the time of one decode step of one pipeline stage with b
// sequences at mean context ctx (seconds): a roofline over weight and KV
// reads versus GEMM and attention FLOPs, plus TP all-reduces (two per layer)
// and the engine's per-step and per-layer overheads (Pope et al. 2022;
// kipply's inference arithmetic).
func (s *servingModel) stageStep(b, ctx float64) (t, tMem, tComp, tComm float64) {
	effCtx := s.kvTokens(ctx)
	bg := b / s.groups // sequences per attention group
	wBytes := s.readBytesGPU + s.expertBytesGPU*s.expertFraction(b)
	tMem = (wBytes + bg*effCtx*s.kvTokGPU) / s.bw
	tComp = (bg*(s.denseFlopsTokGPU+s.attnFlopsCtxGPU*effCtx) + b*s.expertFlopsTokGPU*s.expertPad(b)) / s.peakDecode
	tComm = 2 * s.layersStage * s.allReduce(bg*s.hidden*2)
	tComm += s.moeLayersStage * s.allToAll(bg)
	if s.pp > 1 {
		tComm += s.lat + b*s.hidden*2/s.busBW
	}
	// Engine overheads: per step (launch, scheduling), per layer, per MoE
	// layer, and per sequence in the step (sampling, detokenising and
	// scheduling each request on the host), which grows with the batch.
	over := (s.e.StepOverheadMS*1e-3+s.layersStage*s.e.LayerOverheadUS*1e-6+s.moeLayersStage*s.e.ExpertOverheadUS*1e-6+b*s.e.SeqOverheadUS*1e-6)*s.ovh + b*s.seqUS*1e-6
	return s.roof(tMem, tComp) + tComm + over, tMem, tComp, tComm
}

// decodeStep is the per-token time of the replica with b sequences in
// flight: pipeline stages each hold b/pp sequences and run in turn.
func (s *servingModel) decodeStep(b, ctx float64) (t, tMem, tComp, tComm float64) {
	sb := math.Max(b/s.pp, 1)
	t, tMem, tComp, tComm = s.stageStep(sb, ctx)
	return t * s.pp, tMem, tComp, tComm
}

// prefillCompute is the compute and communication time to prefill n tokens
// when the weights are already streaming for a running batch: 2·P_active·n
// plus causal attention 2·L·n·ctx·width FLOPs (seconds).
func (s *servingModel) prefillCompute(n float64) float64 {
	effCtx := s.kvTokens(n) / 2
	// Amortised over the replica: attention groups prefill in parallel.
	flops := n * ((s.denseFlopsTokGPU+s.attnFlopsCtxGPU*effCtx)/s.groups + s.expertFlopsTokGPU*s.expertPad(n))
	// The prompt's tokens ride in the running batch's forward pass, so
	// they add bytes to its all-reduces and all-to-alls but no latency:
	// the step already pays one latency per collective.
	comm := 2 * float64(s.model.Layers) * s.allReduceBytes(n*s.hidden*2)
	if s.ep > 1 {
		comm += float64(s.model.MoELayers()) * 2 * s.allToAllBytes(n) / s.epBW
	}
	return flops/s.peakPrefill + comm/s.groups
}

// prefillAlone is the latency to prefill one prompt of n tokens on an idle
// replica: compute against reading every weight once, plus per-layer launch
// overhead.
func (s *servingModel) prefillAlone(n float64) (t float64, computeBound bool) {
	return s.prefillBatch(n, 1)
}

// prefillBatch is the latency to prefill b prompts of n tokens together (a
// static batch): the GEMMs see b x n tokens, but each prompt attends only to
// its own n tokens, so attention grows with b x n^2, not (b x n)^2.
func (s *servingModel) prefillBatch(n, b float64) (t float64, computeBound bool) {
	effCtx := s.kvTokens(n) / 2
	n *= b
	tComp := n * (s.denseFlopsTokGPU + s.attnFlopsCtxGPU*effCtx + s.expertFlopsTokGPU*s.expertPad(n)) / s.peakPrefill
	tMem := (s.readBytesGPU + s.expertBytesGPU*s.expertFraction(n)) / s.bw
	comm := 2 * float64(s.model.Layers) * s.allReduce(n*s.hidden*2)
	over := float64(s.model.Layers) * s.e.PrefillLayerOverheadUS * 1e-6 * s.ovh
	return s.pp*s.roof(tMem, tComp) + comm + over, tComp > tMem
}

// Inference predicts throughput, latency and memory for one serving setup.
func Inference(in InferenceInput) (InferenceResult, error) {
	if err := in.Validate(); err != nil {
		return InferenceResult{}, err
	}
	m, a, e := in.Model, in.Accel, &in.Eff.Inference
	var sm servingModel
	sm.init(&in)
	s := &sm
	replicas := in.GPUs / in.ReplicaGPUs()
	r := InferenceResult{Replicas: replicas, GPUs: in.GPUs, Fits: true, Engine: in.Engine}
	if !in.Quiet {
		if f, ok := in.Eff.EngineFactors(catalog.EngineKey(in.Engine, in.Accel.Vendor)); ok {
			r.EngineVersions = f.Versions
		}
	}

	// Memory per GPU.
	capacity := a.UsableMemoryGiB() * GiB * e.GPUMemoryUtilization
	weights := s.nonExpertBytesGPU + s.expertBytesGPU
	act := servingActivationBytes(m, e.ActivationChunkTokens, in.TP)
	over := e.RuntimeOverheadGiB * GiB
	kvBytes := capacity - weights - act - over
	if s.kvFree > 0 {
		// The engine takes a share of the memory left after the model.
		kvBytes = s.kvFree * (a.UsableMemoryGiB()*GiB - weights - act - over)
	}
	r.Memory = Memory{
		WeightsGiB: weights / GiB, ActivationsGiB: act / GiB, OverheadGiB: over / GiB, CapacityGiB: a.UsableMemoryGiB(),
		KVBytesPerToken: KVBytesPerToken(m, in.KVPrecision),
	}
	isl, osl := in.InputTokens, in.OutputTokens
	perSeqFull := s.kvTokens(isl + osl)
	if kvBytes <= 0 {
		r.Fits = false
		r.Reason = fmt.Sprintf("weights %.1f GiB + activations %.1f GiB + runtime %.1f GiB per GPU exceed the %.0f%% of %.0f GiB usable on %s; add GPUs (tensor/pipeline parallel) or quantise",
			weights/GiB, act/GiB, over/GiB, e.GPUMemoryUtilization*100, a.UsableMemoryGiB(), a.ID)
		r.Memory.TotalGiB = (weights + act + over) / GiB
		r.Bottleneck = "memory capacity"
		r.Assumptions = []string{"memory per GPU = weights / (tp x pp) + activation peak + runtime overhead; KV cache gets the rest of gpu_memory_utilization"}
		return r, nil
	}
	kvTokens := kvBytes / s.kvTokGPU * s.groups // each attention group holds its own sequences
	r.Memory.KVCacheGiB = kvBytes / GiB
	r.Memory.TotalGiB = (weights + act + over + kvBytes) / GiB
	r.Memory.KVCapacityTokens = math.Floor(kvTokens)
	if kvTokens < perSeqFull {
		r.Fits = false
		r.Reason = fmt.Sprintf("one request of %.0f tokens needs %.0f KV-cache tokens but only %.0f fit beside the weights", isl+osl, perSeqFull, kvTokens)
		r.Bottleneck = "kv-cache capacity"
		r.Assumptions = []string{fmt.Sprintf("KV cache in %s, %.0f bytes per token; memory per GPU = weights / (tp x pp) + activation peak + runtime overhead, and the KV cache gets the rest of gpu_memory_utilization", in.KVPrecision, r.Memory.KVBytesPerToken)}
		return r, nil
	}
	maxBatch := e.MaxBatch
	if s.engMaxBatch > 0 {
		maxBatch = s.engMaxBatch
	}
	if in.MaxBatch > 0 {
		maxBatch = in.MaxBatch
	}
	perSeq := s.kvTokens(isl + osl*e.KVOccupancy)
	bKV := math.Floor(kvTokens / perSeq)
	bMax := math.Max(1, math.Min(maxBatch, bKV))
	r.MaxBatchSize = bMax
	limit := "max-batch"
	if bKV < maxBatch {
		limit = "kv-cache capacity"
	}
	ctxAvg := isl + osl/2
	preAmort := s.prefillCompute(isl)
	preAlone, preComputeBound := s.prefillAlone(isl)
	ttftFixed := e.TTFTOverheadMS * 1e-3 * s.ovh

	// The concurrency is the whole system's requests in flight, spread
	// over the replicas (it was applied to each replica, so --gpus 4
	// served four times the requests asked for). Fewer requests than
	// replicas leave some idle: each busy one runs a single sequence.
	rep := float64(replicas)
	conc := in.Concurrency / rep
	if in.Concurrency > 0 && conc < 1 {
		rep, conc = in.Concurrency, 1
	}
	var b, tput, ttft, tpot, wait99 float64
	var step, tMem, tComp, tComm float64
	switch {
	case in.Batching == Static:
		b = bMax
		if in.Concurrency > 0 {
			b = math.Min(conc, bMax)
		}
		pre, _ := s.prefillBatch(isl, b)
		ttft = pre + ttftFixed
		step, tMem, tComp, tComm = s.decodeStep(b, ctxAvg)
		total := pre + (osl-1)*step + ttftFixed
		tput = b * osl / total
		tpot = step
		if in.Concurrency > 0 && conc > b {
			// Requests beyond the batch wait for earlier batches.
			ttft += (conc/b - 1) * total
		}
	case in.Concurrency > 0:
		b = math.Min(conc, bMax)
		step, tMem, tComp, tComm = s.decodeStep(b, ctxAvg)
		tpot = step + (b-1)/osl*preAmort
		ttft = preAlone + ttftFixed + (b-1)/b*step/2
		cycle := ttft + (osl-1)*tpot
		tput = b * osl / cycle
		if conc > b {
			ttft += (conc/b - 1) * cycle
		}
	default:
		// Maximum throughput first: the operating point of an unbounded queue.
		b = bMax
		step, tMem, tComp, tComm = s.decodeStep(b, ctxAvg)
		tputMax := osl / (preAmort + osl*step/b)
		tpot = step + (b-1)/osl*preAmort
		ttft = preAlone + ttftFixed + step/2
		tput = tputMax
		if in.RequestRate > 0 {
			lam := in.RequestRate / float64(replicas)
			mu := tputMax / osl
			rho := lam / mu
			if rho >= 0.99 {
				r.Saturated = true
				rho = 0.99
				lam = 0.99 * mu
			}
			// Fixed point of Little's law: b = lam x (TTFT + (osl-1) x TPOT(b)).
			b = math.Max(1, lam*(preAlone+osl*s.mustStep(1, ctxAvg)))
			preShare := math.Min(lam*preAmort, 0.95)
			rhoP := math.Min(lam*preAlone, 0.95)
			if rhoP > 0.01 {
				wait99 = preAlone / (1 - rhoP) * math.Log(rhoP/0.01)
			}
			// next is Little's law applied to the latencies at batch x.
			next := func(x float64) float64 {
				step, tMem, tComp, tComm = s.decodeStep(x, ctxAvg)
				tpot = step / (1 - preShare)
				ttft = preAlone + ttftFixed + step/2*(1-1/math.Max(x, 1)) + rhoP/(2*(1-rhoP))*preAlone
				if rho > 0.8 {
					ttft += rho * rho / (1 - rho) * preAlone
				}
				return math.Min(bMax, math.Max(1, lam*(ttft+(osl-1)*tpot)))
			}
			// Secant iteration on next(x) - x (a few steps; the map is
			// increasing with slope below 1 while the system is stable).
			x0 := b
			f0 := next(x0) - x0
			b = x0 + f0
			if math.Abs(f0) >= 0.01*x0 {
				x1 := b
				for i := 0; i < 12; i++ {
					f1 := next(x1) - x1
					b = x1 + f1
					if math.Abs(f1) < 0.01*x1 {
						break
					}
					x2 := x1 + f1
					if d := f1 - f0; d != 0 {
						x2 = x1 - f1*(x1-x0)/d
					}
					if !(x2 >= 1) || x2 > bMax {
						x2 = math.Min(bMax, math.Max(1, x1+0.5*f1))
					}
					x0, f0, x1 = x1, f1, x2
				}
			}
			tput = lam * osl
		}
	}
	r.BatchSize = b
	r.OutputTokensPerSecond = tput * rep
	r.OutputTokensPerSecondPerGPU = r.OutputTokensPerSecond / float64(in.GPUs)
	r.RequestsPerSecond = r.OutputTokensPerSecond / osl
	r.TTFTMs = ttft * 1e3
	r.TPOTMs = tpot * 1e3
	r.E2ELatencyMs = (ttft + (osl-1)*tpot) * 1e3
	// Tails: the slowest requests wait behind a full prefill queue and see
	// decode steps stretched by prefill chunks of newly admitted requests.
	chunk := math.Min(isl, e.ActivationChunkTokens)
	ttftP99 := ttft + step/2 + wait99
	if r.Saturated {
		ttftP99 = ttft * 3
	}
	tpotP99 := tpot + s.prefillCompute(chunk)*math.Min(1, b/osl)
	r.TTFTP99Ms = ttftP99 * 1e3
	r.TPOTP99Ms = tpotP99 * 1e3
	r.E2EP99Ms = (ttftP99 + (osl-1)*tpotP99) * 1e3

	switch {
	case in.Concurrency == 0 && in.RequestRate == 0 && b >= bKV && limit == "kv-cache capacity":
		r.Bottleneck = "kv-cache capacity (batch limited to " + fmt.Sprint(int(b)) + ")"
	case tComm > 0.3*step:
		r.Bottleneck = "interconnect (" + s.linkName + " all-reduce)"
	case step/s.pp-s.roof(tMem, tComp)-tComm > 0.5*step/s.pp:
		// Fixed per-step, per-layer and per-sequence costs are most of the
		// step: gpt-oss-120b alone on a B200 was "memory bandwidth" at
		// 10.6 ms a token, where its weight reads take under 1 ms.
		r.Bottleneck = "engine overheads (kernel launches, scheduling, per-sequence host work)"
	case tComp > tMem:
		r.Bottleneck = "compute (decode GEMMs)"
	default:
		r.Bottleneck = "memory bandwidth (decode)"
	}
	if r.Saturated {
		r.Bottleneck = "overloaded: request rate exceeds capacity"
	}

	// The headline is throughput, except at a fixed request rate, where the
	// throughput is the offered load and latency is what is predicted.
	u := &in.Eff.Uncertainty
	var ext extrapolations
	ext.inference(&in)
	class, bnd := "max throughput", u.Throughput
	r.UncertaintyFor = "throughput"
	switch {
	case in.RequestRate > 0:
		class, bnd = "e2e latency", u.E2E
		r.UncertaintyFor = "latency"
	case in.Concurrency > 0:
		class, bnd = "throughput at a rate or batch", u.LoadThroughput
	}
	if bnd.High <= 0 {
		// Too few rows of this class to measure its own band: the
		// max-throughput band stands in.
		class, bnd = class+" (too few rows; max-throughput band)", u.Throughput
	}
	r.Uncertainty = band(bnd, ext.n, u.Extrapolate)
	if !in.Quiet {
		r.UncertaintyBasis = ext.basis(class, u.Extrapolate)
		r.Assumptions = inferenceAssumptions(&in, s, bMax, limit, preComputeBound, r)
	}
	return r, nil
}

func (s *servingModel) mustStep(b, ctx float64) float64 { t, _, _, _ := s.decodeStep(b, ctx); return t }

func band(b catalog.Band, extra int, widen float64) catalog.Band {
	if extra == 0 || widen <= 1 {
		return b
	}
	f := math.Pow(widen, float64(extra))
	return catalog.Band{Low: b.Low / f, High: b.High * f}
}

func inferenceAssumptions(in *InferenceInput, s *servingModel, bMax float64, limit string, preCB bool, r InferenceResult) []string {
	e := &in.Eff.Inference
	out := []string{
		weightsAssumption(in) + fmt.Sprintf(", KV cache in %s; %d replica(s) of tp=%d x pp=%d x ep=%d (%d GPUs each)", in.KVPrecision, r.Replicas, in.TP, in.PP, in.EP, in.ReplicaGPUs()),
		fmt.Sprintf("decode: roofline of weight+KV reads at %.0f%% of %.0f GB/s vs FLOPs at %.0f%% of peak; prefill at %.0f%% of peak", e.MemoryBWEfficiency*100, *in.Accel.MemoryBWGBs, e.DecodeComputeEfficiency*100, e.PrefillComputeEfficiency*100),
		fmt.Sprintf("%s batching; max %.0f concurrent sequences per replica (limited by %s)", in.Batching, bMax, limit),
		fmt.Sprintf("memory: %.0f%% of GPU memory used, activation peak for %.0f batched tokens, %.1f GiB runtime overhead", e.GPUMemoryUtilization*100, e.ActivationChunkTokens, e.RuntimeOverheadGiB),
	}
	if in.TP > 1 {
		if s.p2p {
			out = append(out, fmt.Sprintf("tensor parallel all-reduces over the %s: one-shot at decode sizes (one %.1f us synchronisation round whatever the TP size), two-shot for large messages (%.0f GB/s per direction achieved)", s.linkName, s.lat*1e6, s.busBW/1e9))
		} else {
			out = append(out, fmt.Sprintf("tensor parallel all-reduces over %s as a ring (%.1f us latency per all-reduce, %.0f GB/s per direction achieved)", s.linkName, s.lat*1e6, s.busBW/1e9))
		}
	}
	if in.Model.IsMoE() {
		out = append(out, "MoE: compute follows active parameters; weight reads grow with the experts the batch touches (1-(1-k/E)^B)")
	}
	if in.KVPrecision.BytesPerWeight() < 1 {
		out = append(out, fmt.Sprintf("KV cache in %s: aiplan does not check that engine %s offers a KV cache below 8 bits, and no calibration row has one", in.KVPrecision, in.Engine))
	}
	if a := sinksAssumption(in.Model); a != "" {
		out = append(out, a)
	}
	if !s.nativeCompute {
		out = append(out, fmt.Sprintf("%s has no native %s matrix units: weight-only quantisation, compute at the next wider precision", in.Accel.ID, in.Precision.ComputePrecision()))
	}
	if in.Concurrency == 0 && in.RequestRate == 0 {
		out = append(out, "maximum-throughput mode: TTFT is for an admitted request and excludes time waiting in the unbounded queue")
	}
	if in.RequestRate > 0 {
		out = append(out, "latency at a request rate: Poisson arrivals, queueing delay from an M/D/1 approximation on prefill; figures are means, not percentiles")
	}
	if r.Saturated {
		out = append(out, "the request rate exceeds this configuration's capacity: latencies are shown at 99% utilisation and grow without bound beyond it")
	}
	key := catalog.EngineKey(in.Engine, in.Accel.Vendor)
	if f, ok := in.Eff.EngineFactors(key); ok {
		out = append(out, fmt.Sprintf("engine %s on %s: its factors (x%.2f speed, x%.2f overheads, %.2g us of host time per running sequence per step) were fitted on %d calibration rows of versions %s", in.Engine, in.Accel.Vendor, f.Speed, f.Overhead, f.SeqUS, f.Rows, strings.Join(f.Versions, ", ")))
	} else {
		out = append(out, fmt.Sprintf("engine %s on %s: no calibration rows name it; the engine's factors on other vendors, else the shared factors of all engines, apply", in.Engine, in.Accel.Vendor))
	}
	out = append(out, "uncertainty: "+r.UncertaintyBasis)
	return out
}

// sinksAssumption says how a model's attention sinks are counted (empty
// when it has none).
func sinksAssumption(m *catalog.Model) string {
	var parts []string
	if m.AttentionSinks != "" {
		parts = append(parts, fmt.Sprintf("each of the %d heads adds a learned logit to every query's softmax (one more logit per head per query per layer: a few FLOPs, no KV-cache entry)", m.Heads))
	}
	if m.SinkTokens > 0 {
		parts = append(parts, fmt.Sprintf("each sliding-window layer keeps %d sink tokens beside its %d-token window (%d KV entries per sequence)", m.SinkTokens, m.SlidingWindow, m.SinkTokens+m.SlidingWindow))
	}
	if len(parts) == 0 {
		return ""
	}
	return "attention sinks: " + strings.Join(parts, "; ") + "; no calibration row has them"
}

// weightsAssumption says how the weights are stored, scales included.
func weightsAssumption(in *InferenceInput) string {
	m := in.Model
	expert, other := m.WeightBytes(in.Precision)
	format := string(in.Precision)
	switch {
	case m.ServesMXFP4(in.Precision):
		format = "MXFP4 (4 bits + an 8-bit scale per 32 values)"
	case in.Precision == catalog.FP4:
		format = "NVFP4 (4 bits + an FP8 scale per 16 values)"
	}
	if expert == other {
		return fmt.Sprintf("weights in %s, %.4g bytes/param", format, expert)
	}
	return fmt.Sprintf("routed experts in %s, %.4g bytes/param, as released; attention, router and embeddings in bf16 (%.3g bytes/param)", format, expert, other)
}

// PrefillThroughput is the input tokens/s of a prefill-only deployment (as in
// disaggregated serving) at n tokens per prompt, whole system.
func PrefillThroughput(in InferenceInput, n float64) float64 {
	if in.Validate() != nil || n <= 0 {
		return 0
	}
	s := newServingModel(&in)
	return n / s.prefillCompute(n) * float64(in.GPUs/in.ReplicaGPUs())
}

// DecodeThroughput is the output tokens/s of a decode-only deployment with b
// sequences per replica at context ctx, whole system.
func DecodeThroughput(in InferenceInput, b, ctx float64) float64 {
	if in.Validate() != nil || b <= 0 {
		return 0
	}
	s := newServingModel(&in)
	return b / s.mustStep(b, ctx) * float64(in.GPUs/in.ReplicaGPUs())
}
