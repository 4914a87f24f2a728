package perf

import (
	"fmt"
	"math"
	"strings"

	"github.com/aiplan-dev/aiplan/catalog"
)

// Method is the kind of training job.
type Method string

// Training methods.
const (
	Pretrain Method = "pretrain"
	Full     Method = "full"
	LoRA     Method = "lora"
	QLoRA    Method = "qlora"
)

// Recompute levels (Korthikanti et al. 2022).
const (
	RecomputeNone      = "none"
	RecomputeSelective = "selective"
	RecomputeFull      = "full"
)

// TrainingInput describes a training or fine-tuning job. Zero values of the
// parallelism fields mean "choose": the engine searches TP, PP, ZeRO stage
// and recomputation for the fastest plan that fits in memory.
type TrainingInput struct {
	Model      *catalog.Model
	Accel      *catalog.Accelerator
	Eff        *catalog.Efficiency
	GPUs       int
	Tokens     float64
	SeqLen     int
	Precision  catalog.Precision // bf16 (mixed) or fp8
	Method     Method
	TP, PP, DP int
	Zero       int // -1: choose
	Recompute  string
	// GlobalBatch is in sequences (0: a typical batch for the method).
	GlobalBatch int
	// PricePerGPUHour prices the run (0: no cost).
	PricePerGPUHour float64
	Quiet           bool
	// PipelineGBs is the bandwidth (GB/s per accelerator, one direction)
	// pipeline stages exchange activations over when the pipeline leaves
	// the scale-up domain, e.g. the node's network when stages sit on
	// different nodes. 0: pipeline sends are not timed.
	PipelineGBs float64
}

// Parallelism is the chosen plan.
type Parallelism struct {
	TP          int    `json:"tp"`
	PP          int    `json:"pp"`
	DP          int    `json:"dp"`
	EP          int    `json:"ep"`
	ZeroStage   int    `json:"zero_stage"`
	Recompute   string `json:"recompute"`
	MicroBatch  int    `json:"micro_batch"`
	GlobalBatch int    `json:"global_batch"`
}

// TrainingResult is the prediction for a training job.
type TrainingResult struct {
	GPUHours              float64            `json:"gpu_hours"`
	GPUHoursIdeal         float64            `json:"gpu_hours_ideal"`
	WallHours             float64            `json:"wall_hours"`
	TokensPerSecondPerGPU float64            `json:"tokens_per_second_per_gpu"`
	TFLOPSPerGPU          float64            `json:"tflops_per_gpu"`
	HardwareTFLOPSPerGPU  float64            `json:"hardware_tflops_per_gpu"`
	MFU                   float64            `json:"mfu"`
	FLOPsTotal            float64            `json:"flops_total"`
	FLOPsPerToken         float64            `json:"flops_per_token"`
	MemoryPerGPUGiB       float64            `json:"memory_per_gpu_gib"`
	MemoryBreakdown       map[string]float64 `json:"memory_breakdown_gib"`
	Fits                  bool               `json:"fits"`
	Reason                string             `json:"reason,omitempty"`
	Parallelism           Parallelism        `json:"parallelism"`
	Goodput               float64            `json:"goodput"`
	CostUSD               float64            `json:"cost_usd"`
	StepTimeS             float64            `json:"step_time_s"`
	Bottleneck            string             `json:"bottleneck"`
	Uncertainty           catalog.Band       `json:"uncertainty"`
	Assumptions           []string           `json:"assumptions"`
}

// Validate checks the input and fills defaults.
func (in *TrainingInput) Validate() error {
	if in.Model == nil || in.Accel == nil || in.Eff == nil {
		return inputErr("model, accelerator and efficiency data are required")
	}
	if !in.Model.IsLLM() {
		return inputErr("training estimates need a transformer model; %q is a classic model", in.Model.ID)
	}
	if in.GPUs <= 0 || in.GPUs > 1_000_000 {
		return inputErr("--gpus %d: must be between 1 and 1,000,000", in.GPUs)
	}
	if badNum(in.Tokens) || in.Tokens <= 0 || in.Tokens > 1e16 {
		return inputErr("--tokens %v: must be a positive number up to 1e16", in.Tokens)
	}
	if in.SeqLen == 0 {
		in.SeqLen = 4096
		if in.Model.MaxContext > 0 && in.Model.MaxContext < in.SeqLen {
			in.SeqLen = in.Model.MaxContext
		}
	}
	if in.SeqLen < 1 || in.SeqLen > 10_000_000 {
		return inputErr("--seq-len %d: must be between 1 and 10,000,000", in.SeqLen)
	}
	if in.Precision == "" {
		in.Precision = catalog.BF16
	}
	if peak, _ := in.Accel.PeakTFLOPS(in.Precision); peak <= 0 || in.Accel.MemoryBandwidth() <= 0 {
		return inputErr("accelerator %s lacks the compute or memory-bandwidth figures training estimates need; add them with --catalog", in.Accel.ID)
	}
	switch in.Precision {
	case catalog.BF16, catalog.FP16, catalog.FP8, catalog.FP32:
	default:
		return inputErr("--precision %s: training supports bf16, fp16, fp8, fp32", in.Precision)
	}
	if in.Accel.Supports(in.Precision) != catalog.SupportNative {
		// FP8 training needs FP8 matrix units: on A100 or TPU v5e the
		// estimate ran at the 16-bit peak and quoted MFU against it as
		// the "FP8 peak".
		var ok []string
		for _, p := range []catalog.Precision{catalog.BF16, catalog.FP16, catalog.FP8, catalog.FP32} {
			if in.Accel.Supports(p) == catalog.SupportNative {
				ok = append(ok, string(p))
			}
		}
		return inputErr("--precision %s: %s has no native %s matrix units to train in; allowed there: %s", in.Precision, in.Accel.ID, in.Precision, strings.Join(ok, ", "))
	}
	if in.Method == "" {
		in.Method = Pretrain
	}
	switch in.Method {
	case Pretrain, Full, LoRA, QLoRA:
	default:
		return inputErr("--method %q: allowed: pretrain, full, lora, qlora", in.Method)
	}
	for _, f := range []struct {
		flag string
		v    int
	}{{"tp", in.TP}, {"pp", in.PP}, {"dp", in.DP}, {"global-batch", in.GlobalBatch}} {
		if f.v < 0 {
			return inputErr("--%s %d: must be a positive integer (omit it to let aiplan choose)", f.flag, f.v)
		}
	}
	if in.TP > 0 && in.Model.Heads%in.TP != 0 {
		return inputErr("--tp %d does not divide the %d attention heads of %s", in.TP, in.Model.Heads, in.Model.ID)
	}
	if in.PP > in.Model.Layers {
		return inputErr("--pp %d exceeds the %d layers of %s", in.PP, in.Model.Layers, in.Model.ID)
	}
	fixed := max(in.TP, 1) * max(in.PP, 1) * max(in.DP, 1)
	if in.TP > 0 && in.PP > 0 && in.DP > 0 && fixed != in.GPUs {
		return inputErr("tp x pp x dp = %d but --gpus is %d", fixed, in.GPUs)
	}
	if in.GPUs%(max(in.TP, 1)*max(in.PP, 1)) != 0 {
		return inputErr("--gpus %d is not a multiple of tp x pp = %d", in.GPUs, max(in.TP, 1)*max(in.PP, 1))
	}
	if in.Zero < -1 || in.Zero > 3 {
		return inputErr("--zero %d: allowed 0, 1, 2, 3", in.Zero)
	}
	switch in.Recompute {
	case "", RecomputeNone, RecomputeSelective, RecomputeFull:
	default:
		return inputErr("--recompute %q: allowed: none, selective, full", in.Recompute)
	}
	if badNum(in.PricePerGPUHour) || in.PricePerGPUHour < 0 {
		return inputErr("price must be >= 0")
	}
	return nil
}

// FLOPsPerToken is the model FLOPs of one training token: 6·P_active plus
// causal attention 12·L·width·s (PaLM appendix B). LoRA and QLoRA skip the
// frozen weights' gradients: 4·P_active (two thirds of full fine-tuning).
func FLOPsPerToken(m *catalog.Model, seq int, method Method) float64 {
	p := m.ActiveParams()
	dense := 6 * p
	if method == LoRA || method == QLoRA {
		dense = 4 * p
	}
	return dense + 12*float64(m.Layers)*m.AttnDim()*float64(seq)
}

// MegatronFLOPsPerToken is the hardware FLOPs per token that Megatron-LM
// reports with full recomputation: 96·L·h²·(1 + s/6h + V/16Lh) per token
// (Narayanan et al. 2021, eq. 3), for comparing with sources that use it.
func MegatronFLOPsPerToken(m *catalog.Model, seq int) float64 {
	L, h, s, V := float64(m.Layers), float64(m.Hidden), float64(seq), float64(m.Vocab)
	return 96 * L * h * h * (1 + s/(6*h) + V/(16*L*h))
}

type trainPlan struct {
	tp, pp, dp, zero, mbs, gbs int
	recompute                  string
}

type trainEval struct {
	step, memGB                             float64
	gemm, attn, nongemm, tpComm, bubble, dp float64
	ppComm                                  float64
	states, acts, logits, reserve           float64
	fits                                    bool
}

// Training predicts throughput, MFU, memory, GPU-hours and cost of a job.
func Training(in TrainingInput) (TrainingResult, error) {
	if err := in.Validate(); err != nil {
		return TrainingResult{}, err
	}
	best, ev, ok := choosePlan(&in)
	if best.tp == 0 {
		// No layout was tried: the given degrees leave none whose tp x pp
		// x dp makes --gpus.
		return TrainingResult{}, inputErr("--gpus %d cannot be laid out as tp x pp x dp with %s: tp from 1, 2, 4, 8 (within the scale-up domain of %d unless --tp is given), pp from 1, 2, 4, ..., 64 up to the %d layers; give --gpus as such a product",
			in.GPUs, givenDegrees(&in), max(in.Accel.LinkDomain, 1), in.Model.Layers)
	}
	r := TrainingResult{Fits: ok}
	m, a, e := in.Model, in.Accel, &in.Eff.Training
	seq := float64(in.SeqLen)
	tokStep := float64(best.gbs) * seq
	n := float64(in.GPUs)
	r.FLOPsPerToken = FLOPsPerToken(m, in.SeqLen, in.Method)
	r.StepTimeS = ev.step
	r.TokensPerSecondPerGPU = tokStep / (n * ev.step)
	r.TFLOPSPerGPU = r.TokensPerSecondPerGPU * r.FLOPsPerToken / 1e12
	hw := r.FLOPsPerToken
	if best.recompute == RecomputeFull {
		hw += r.FLOPsPerToken / 3
	}
	r.HardwareTFLOPSPerGPU = r.TokensPerSecondPerGPU * hw / 1e12
	peak, _ := a.PeakTFLOPS(in.Precision)
	r.MFU = r.TFLOPSPerGPU / peak
	r.FLOPsTotal = r.FLOPsPerToken * in.Tokens
	r.MemoryPerGPUGiB = ev.memGB
	r.MemoryBreakdown = map[string]float64{"weights_grads_optimizer": ev.states / GiB, "activations": ev.acts / GiB, "logits": ev.logits / GiB, "runtime_reserve": ev.reserve / GiB}
	r.Parallelism = Parallelism{TP: best.tp, PP: best.pp, DP: best.dp, EP: 1, ZeroStage: best.zero, Recompute: best.recompute, MicroBatch: best.mbs, GlobalBatch: best.gbs}
	// A job shorter than one step of the global batch still runs that step.
	wallIdeal := math.Max(in.Tokens, tokStep) / (r.TokensPerSecondPerGPU * n) / 3600
	// Goodput at scale: failures at a constant rate per GPU-hour (Llama 3:
	// 419 unexpected interruptions in 54 days on 16,384 GPUs), checkpoints at
	// the Young/Daly interval sqrt(2 x checkpoint cost x MTBF), each failure
	// losing the restart time plus half an interval of work.
	lam := e.FailuresPerGPUHour * n
	lost := 0.0
	if lam > 0 {
		mtbf := 1 / lam
		tau := math.Sqrt(2 * e.CheckpointHours * mtbf)
		lost = e.CheckpointHours/tau + lam*(e.RestartHours+tau/2)
	}
	r.Goodput = 1 / (1 + lost)
	r.WallHours = wallIdeal / r.Goodput
	r.GPUHoursIdeal = wallIdeal * n
	r.GPUHours = r.WallHours * n
	r.CostUSD = r.GPUHours * in.PricePerGPUHour
	names := [...]string{"gemm", "attention", "memory-bound ops", "tensor-parallel comm", "pipeline bubble", "data-parallel comm", "pipeline sends"}
	parts := [...]float64{ev.gemm, ev.attn, ev.nongemm, ev.tpComm, ev.bubble, ev.dp, ev.ppComm}
	bk, bv := "", -1.0
	for i, v := range parts {
		if v > bv {
			bk, bv = names[i], v
		}
	}
	r.Bottleneck = bk
	if !ok {
		r.Reason = fmt.Sprintf("no parallel plan fits: the best needs %.1f GiB per GPU of %.0f GiB; add GPUs, use ZeRO-3/FSDP, recomputation or LoRA/QLoRA", ev.memGB, a.UsableMemoryGiB())
		r.Bottleneck = "memory capacity"
	}
	ext := 0
	if in.Precision == catalog.FP8 || a.Vendor != "NVIDIA" {
		ext++
	}
	if m.IsMoE() {
		ext++
	}
	r.Uncertainty = band(in.Eff.Uncertainty.Training, ext, in.Eff.Uncertainty.Extrapolate)
	if !in.Quiet {
		r.Assumptions = []string{
			fmt.Sprintf("model FLOPs per token = %s + 12·L·width·seq = %.3g (MFU counts these; recomputation is extra hardware work)", map[bool]string{true: "4·P_active (LoRA: frozen base)", false: "6·P_active"}[in.Method == LoRA || in.Method == QLoRA], r.FLOPsPerToken),
			fmt.Sprintf("plan tp=%d pp=%d dp=%d, ZeRO-%d, %s recomputation, micro-batch %d, global batch %d x %d tokens", best.tp, best.pp, best.dp, best.zero, best.recompute, best.mbs, best.gbs, in.SeqLen),
			fmt.Sprintf("step = GEMMs at a fitted efficiency that falls with the chip's FLOP/byte ratio + memory-bound ops + attention + exposed TP/DP communication + pipeline bubble + %.0f ms", e.StepOverheadMS),
			fmt.Sprintf("goodput %.1f%%: %.3g failures per GPU-hour, %.1f h restart, checkpoint every Young/Daly interval", r.Goodput*100, e.FailuresPerGPUHour, e.RestartHours),
		}
		if in.GlobalBatch > 0 && best.gbs != in.GlobalBatch {
			r.Assumptions = append(r.Assumptions, fmt.Sprintf("--global-batch %d raised to %d: each of the dp=%d replicas takes at least one sequence a step", in.GlobalBatch, best.gbs, best.dp))
		}
		if m.MaxContext > 0 && in.SeqLen > m.MaxContext {
			r.Assumptions = append(r.Assumptions, fmt.Sprintf("sequence length %d exceeds %s's %d-token context: context-extension training, timed like any other (position scaling and its data are not modelled)", in.SeqLen, m.ID, m.MaxContext))
		}
		if in.Tokens < tokStep {
			r.Assumptions = append(r.Assumptions, fmt.Sprintf("%.3g tokens are fewer than one step of the global batch (%.3g tokens): the job is timed as that one step", in.Tokens, tokStep))
		}
		if in.Precision == catalog.FP8 {
			r.Assumptions = append(r.Assumptions, "FP8: GEMMs at the FP8 peak, attention and memory-bound ops unchanged; MFU is quoted against the FP8 peak")
		}
		if in.PricePerGPUHour > 0 {
			r.Assumptions = append(r.Assumptions, fmt.Sprintf("cost at %.2f USD per GPU-hour (cheapest on-demand price in the catalog)", in.PricePerGPUHour))
		}
	}
	return r, nil
}

// givenDegrees names the parallelism flags the user fixed ("no --tp, --pp
// or --dp" when none).
func givenDegrees(in *TrainingInput) string {
	var g []string
	for _, f := range []struct {
		flag string
		v    int
	}{{"tp", in.TP}, {"pp", in.PP}, {"dp", in.DP}} {
		if f.v > 0 {
			g = append(g, fmt.Sprintf("--%s %d", f.flag, f.v))
		}
	}
	if len(g) == 0 {
		return "no --tp, --pp or --dp"
	}
	return strings.Join(g, ", ")
}

var (
	ppChoices   = [...]int{1, 2, 4, 8, 16, 32, 64}
	zeroChoices = [...]int{1, 3}
	recomputes  = [...]string{RecomputeNone, RecomputeSelective, RecomputeFull}
)

func choosePlan(in *TrainingInput) (trainPlan, trainEval, bool) {
	m, a := in.Model, in.Accel
	tps := []int{1, 2, 4, 8}
	if in.TP > 0 {
		tps = []int{in.TP}
	}
	var best trainPlan
	var bestEv trainEval
	found := false
	bestAny := math.Inf(1)
	// Smallest tensor-parallel degree first, then the shallowest pipeline
	// that fits: more TP or PP than memory needs only adds communication
	// and bubble. Stop growing TP once it stops helping.
	for _, tp := range tps {
		if m.Heads%tp != 0 || in.GPUs%tp != 0 || (in.TP == 0 && tp > max(a.LinkDomain, 1)) {
			continue
		}
		pps := ppChoices[:]
		if in.PP > 0 {
			pps = []int{in.PP}
		}
		tpBest := math.Inf(1)
		prevPP := math.Inf(1) // best step at the previous pipeline depth that fit
		for _, pp := range pps {
			if pp > m.Layers || in.GPUs%(tp*pp) != 0 {
				continue
			}
			dp := in.GPUs / (tp * pp)
			if in.DP > 0 && dp != in.DP {
				continue
			}
			zeros := zeroChoices[:]
			if dp == 1 {
				zeros = zeros[:1] // nothing to shard across
			}
			if in.Zero >= 0 && (in.Zero > 0 || in.TP+in.PP+in.DP > 0 || in.Recompute != "") {
				zeros = []int{in.Zero}
			}
			fitHere := false
			ppBest := math.Inf(1)
			for _, z := range zeros {
				fitPlain := false
				recs := recomputes[:]
				if in.Recompute != "" {
					recs = []string{in.Recompute}
				}
				for _, rc := range recs {
					p := trainPlan{tp: tp, pp: pp, dp: dp, zero: z, recompute: rc}
					ev := evalPlan(in, &p, false)
					if ev.fits && (!found || ev.step < bestEv.step) {
						best, bestEv, found = p, ev, true
					}
					if !found && ev.memGB < bestAny {
						best, bestEv, bestAny = p, ev, ev.memGB
					}
					if ev.fits {
						fitHere = true
						fitPlain = rc == RecomputeNone
						tpBest = min(tpBest, ev.step)
						ppBest = min(ppBest, ev.step)
						break // more recomputation only slows a plan that already fits
					}
				}
				if fitPlain {
					break // ZeRO-1 without recomputation fits: ZeRO-3 only adds traffic
				}
			}
			if fitHere {
				// Deeper pipelines cut data-parallel traffic but add bubble:
				// keep going while they help.
				if ppBest > prevPP {
					break
				}
				prevPP = ppBest
			}
		}
		if found && tpBest > bestEv.step {
			break // a larger TP degree made it slower; larger still will not help
		}
	}
	if !found && best.tp > 0 {
		bestEv = evalPlan(in, &best, true) // report the closest plan's speed too
	}
	return best, bestEv, found
}

// evalPlan computes a plan's memory and, when it fits (or always is set),
// its step time.
func evalPlan(in *TrainingInput, p *trainPlan, always bool) trainEval {
	m, a, e := in.Model, in.Accel, &in.Eff.Training
	seq := float64(in.SeqLen)
	tp, pp, dp := float64(p.tp), float64(p.pp), float64(p.dp)
	gbs := in.GlobalBatch
	if gbs == 0 {
		tpb := max(e.TokensPerBatchPretrain, e.TokensPerGPUInBatch*float64(in.GPUs))
		if in.Method != Pretrain {
			tpb = e.TokensPerBatchFinetune
		}
		gbs = int(max(math.Round(tpb/seq), 1))
		// Every data-parallel replica takes the same number of sequences
		// per step: the nearest multiple of dp (977 sequences on 64
		// replicas is not a batch a framework runs).
		gbs = max(int(math.Round(float64(gbs)/dp)), 1) * p.dp
	}
	if gbs < p.dp {
		gbs = p.dp
	}
	p.gbs = gbs
	p.mbs = int(max(1, min(math.Floor(4096/seq), float64(gbs/p.dp))))
	micro := max(1, float64(gbs)/(dp*float64(p.mbs)))
	tokDP := float64(gbs) * seq / dp
	var ev trainEval
	// Memory (GiB per GPU).
	P := m.TotalParams()
	shard := tp * pp
	var states float64
	switch in.Method {
	case LoRA, QLoRA:
		bpw := 2.0
		if in.Method == QLoRA {
			bpw = catalog.INT4.BytesPerWeight()
		}
		states = P*bpw/shard + 0.005*P*16/shard
		if p.zero == 3 {
			states = P*bpw/(shard*dp) + 0.005*P*16/(shard*dp)
		}
	default:
		switch p.zero {
		case 0:
			states = 16 * P / shard
		case 1:
			states = (4 + 12/dp) * P / shard
		case 2:
			states = (2 + 14/dp) * P / shard
		default:
			states = 16 * P / (shard * dp)
		}
	}
	sbh := float64(p.mbs) * seq * float64(m.Hidden)
	var perLayer float64
	switch p.recompute {
	case RecomputeFull:
		perLayer = 2 * sbh
	default:
		perLayer = 34 * sbh / tp // FlashAttention removes the 5·a·s/h term
	}
	inflight := min(pp, micro)
	acts := perLayer * float64(m.Layers) / pp * inflight
	if p.recompute == RecomputeFull {
		acts += 34 * sbh / tp // one layer rebuilt at a time
	}
	logits := float64(p.mbs) * seq * float64(m.Vocab) * 4 / tp
	reserve := e.MemoryReserveGiB * GiB
	total := states + acts + logits + reserve
	ev.memGB = total / GiB
	ev.states, ev.acts, ev.logits, ev.reserve = states, acts, logits, reserve
	ev.fits = total <= a.UsableMemoryGiB()*GiB
	if !ev.fits && !always {
		return ev // the time model is only needed for plans that fit
	}

	peak, _ := a.PeakTFLOPS(in.Precision)
	peakBF, _ := a.PeakTFLOPS(catalog.BF16)
	bw := a.MemoryBandwidth()
	intensity := peak * 1e12 / bw
	eta := e.GEMMEfficiency * e.IntensityKnee / (e.IntensityKnee + intensity)
	switch in.Method {
	case LoRA:
		eta *= e.LoRAEfficiency
	case QLoRA:
		eta *= e.QLoRAEfficiency
	}
	pa := m.ActiveParams()
	gemmTok := 6 * pa
	if in.Method == LoRA || in.Method == QLoRA {
		gemmTok = 4 * pa
	}
	attnTok := 12 * float64(m.Layers) * m.AttnDim() * seq
	nongemmFactor := 1.0
	switch p.recompute {
	case RecomputeFull:
		gemmTok += 2 * pa
		attnTok += attnTok / 3
		nongemmFactor = 4.0 / 3
	case RecomputeSelective:
		attnTok += attnTok / 3
	}
	ev.gemm = tokDP * gemmTok / (tp * pp) / (peak * 1e12 * eta)
	ev.attn = tokDP * attnTok / (tp * pp) / (peakBF * 1e12 * e.AttentionEfficiency)
	ev.nongemm = tokDP * float64(m.Layers) / pp * e.NonGEMMBytesPerHidden * float64(m.Hidden) * 2 / tp * nongemmFactor / bw
	compute := ev.gemm + ev.attn + ev.nongemm

	// Tensor parallel: 4 all-reduces per layer (6 with full recomputation)
	// over the scale-up link when the group fits in one domain.
	scaleOut := e.ScaleOutGBsPerGPU * 1e9
	if a.ScaleOutGBs != nil {
		scaleOut = *a.ScaleOutGBs * 1e9
	}
	if p.tp > 1 {
		var bus float64
		if p.tp <= a.LinkDomain && a.LinkBWGBs != nil {
			bus = *a.LinkBWGBs / 2 * 1e9 * in.Eff.Inference.LinkEfficiency
		} else {
			bus = min(scaleOut, a.PCIeBWGBs/2*1e9)
		}
		n := 4.0
		if p.recompute == RecomputeFull {
			n = 6
		}
		bytes := tokDP * float64(m.Hidden) * 2 * n * float64(m.Layers) / pp
		ev.tpComm = 2 * (tp - 1) / tp * bytes / bus * (1 - e.CommOverlap/2)
	}
	// Pipeline bubble of the interleaved 1F1B schedule: (pp-1)/(m x v) of
	// compute, with v model chunks per GPU (bounded by the layers per stage).
	if p.pp > 1 {
		v := max(1, min(e.VirtualStages, math.Floor(float64(m.Layers)/pp)))
		ev.bubble = (pp - 1) / (micro * v) * (compute + ev.tpComm)
	}
	// Data parallel: gradient all-reduce (ZeRO-1/2) or parameter all-gather
	// twice plus gradient reduce-scatter (ZeRO-3/FSDP), overlapped with the
	// backward pass (two thirds of compute).
	if p.dp > 1 {
		gradParams := m.TotalParams()
		if in.Method == LoRA || in.Method == QLoRA {
			gradParams *= 0.005
		}
		bytes := 2 * gradParams / (tp * pp)
		vol := 2 * (dp - 1) / dp * bytes
		if p.zero == 3 {
			vol = 3 * (dp - 1) / dp * 2 * m.TotalParams() / (tp * pp)
		}
		bus := scaleOut
		if p.tp*p.pp*p.dp <= a.LinkDomain && a.LinkBWGBs != nil {
			bus = *a.LinkBWGBs / 2 * 1e9 * in.Eff.Inference.LinkEfficiency
		}
		t := vol/bus + e.ScaleOutLatencyUS*1e-6*math.Log2(dp)*float64(m.Layers)/pp
		ev.dp = max(0, t-e.CommOverlap*compute*2/3)
	}
	// Pipeline sends: each micro-batch's activations go forward and their
	// gradients back across every stage boundary (split across the TP
	// ranks), over the scale-up link inside one domain, else PipelineGBs.
	if p.pp > 1 && in.PipelineGBs > 0 {
		bus := in.PipelineGBs * 1e9
		if p.tp*p.pp <= a.LinkDomain && a.LinkBWGBs != nil {
			bus = *a.LinkBWGBs / 2 * 1e9 * in.Eff.Inference.LinkEfficiency
		}
		bytes := float64(p.mbs) * seq * float64(m.Hidden) * 2 / tp
		ev.ppComm = 2 * micro * bytes / bus * (1 - e.CommOverlap/2)
	}
	ev.step = compute + ev.tpComm + ev.bubble + ev.dp + ev.ppComm + e.StepOverheadMS*1e-3

	return ev
}
