package perf

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aiplan-dev/aiplan/catalog"
)

var cat = catalog.MustDefault()

func mustModel(t testing.TB, id string) *catalog.Model {
	m, err := cat.Model(id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func mustAcc(t testing.TB, id string) *catalog.Accelerator {
	a, err := cat.Accelerator(id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func inf(t testing.TB, model, acc string, tp int, prec catalog.Precision) InferenceInput {
	return InferenceInput{Model: mustModel(t, model), Accel: mustAcc(t, acc), Eff: cat.Efficiency, TP: tp, Precision: prec, InputTokens: 1024, OutputTokens: 256}
}

func TestKVBytesPerToken_GQAAndMLA(t *testing.T) {
	// Llama-3.1-70B: 2 x 80 layers x 8 KV heads x 128 x 2 bytes = 327,680.
	if got := KVBytesPerToken(mustModel(t, "llama-3.1-70b"), catalog.BF16); got != 327680 {
		t.Errorf("llama-3.1-70b KV = %v", got)
	}
	// DeepSeek-V3 MLA: 61 layers x (512 + 64) x 2 bytes = 70,272.
	if got := KVBytesPerToken(mustModel(t, "deepseek-v3"), catalog.BF16); got != 70272 {
		t.Errorf("deepseek-v3 KV = %v", got)
	}
}

func TestInference_70BFP16_DoesNotFitOn24GB(t *testing.T) {
	r, err := Inference(inf(t, "llama-3.1-70b", "l4", 1, catalog.FP16))
	if err != nil || r.Fits {
		t.Fatalf("70B fp16 on one L4 should not fit: %+v %v", r, err)
	}
}

func TestInference_TP_HalvesWeightMemory(t *testing.T) {
	a, _ := Inference(inf(t, "llama-3.1-70b", "h100-sxm", 2, catalog.FP8))
	b, _ := Inference(inf(t, "llama-3.1-70b", "h100-sxm", 4, catalog.FP8))
	if d := a.Memory.WeightsGiB / b.Memory.WeightsGiB; d < 1.99 || d > 2.01 {
		t.Errorf("weights tp2/tp4 = %v", d)
	}
}

func TestInference_Monotonic_LongerContextMoreKVFewerSequences(t *testing.T) {
	in := inf(t, "llama-3.1-8b", "a100-sxm-80gb", 1, catalog.BF16)
	a, _ := Inference(in)
	in.InputTokens = 8192
	b, _ := Inference(in)
	if b.MaxBatchSize > a.MaxBatchSize || b.OutputTokensPerSecond >= a.OutputTokensPerSecond {
		t.Errorf("longer prompts should lower batch and throughput: %v/%v vs %v/%v", a.MaxBatchSize, a.OutputTokensPerSecond, b.MaxBatchSize, b.OutputTokensPerSecond)
	}
}

func TestInference_Load_LatencyRisesWithRate(t *testing.T) {
	in := inf(t, "llama-3.1-8b", "h100-sxm", 1, catalog.FP8)
	prev := 0.0
	for _, rate := range []float64{1, 5, 20, 40} {
		in.RequestRate = rate
		r, err := Inference(in)
		if err != nil {
			t.Fatal(err)
		}
		if r.E2ELatencyMs < prev {
			t.Errorf("rate %v: e2e %v below previous %v", rate, r.E2ELatencyMs, prev)
		}
		if !r.Saturated && (r.RequestsPerSecond < rate*0.99 || r.RequestsPerSecond > rate*1.01) {
			t.Errorf("rate %v: served %v req/s", rate, r.RequestsPerSecond)
		}
		prev = r.E2ELatencyMs
	}
}

func TestInference_Replicas_ScaleThroughput(t *testing.T) {
	in := inf(t, "llama-3.1-8b", "h100-sxm", 1, catalog.FP8)
	a, _ := Inference(in)
	in.GPUs = 4
	b, _ := Inference(in)
	if r := b.OutputTokensPerSecond / a.OutputTokensPerSecond; r < 3.99 || r > 4.01 {
		t.Errorf("4 replicas give %vx", r)
	}
}

func TestInference_MoE_ReadsMoreThanActiveWeights(t *testing.T) {
	// At large batch every expert is read: decode is far slower than a dense
	// model of the active size (the small-active MoE trap).
	moe, _ := Inference(inf(t, "qwen3-30b-a3b", "h100-sxm", 1, catalog.FP8))
	dense, _ := Inference(inf(t, "llama-3.2-3b", "h100-sxm", 1, catalog.FP8))
	if moe.OutputTokensPerSecond > dense.OutputTokensPerSecond {
		t.Errorf("qwen3-30b-a3b %.0f tok/s should be below dense 3B %.0f", moe.OutputTokensPerSecond, dense.OutputTokensPerSecond)
	}
}

func TestInference_BadInput(t *testing.T) {
	in := inf(t, "llama-3.1-70b", "h100-sxm", 3, catalog.BF16)
	if _, err := Inference(in); err == nil {
		t.Error("tp 3 accepted for 64 heads")
	}
	in = inf(t, "llama-3.1-70b", "h100-sxm", 1, catalog.BF16)
	in.GPUs = 3
	in.TP = 2
	if _, err := Inference(in); err == nil {
		t.Error("3 GPUs with tp 2 accepted")
	}
}

func TestTraining_MemoryStates_ZeRO3Shrinks(t *testing.T) {
	base := TrainingInput{Model: mustModel(t, "llama-3.1-8b"), Accel: mustAcc(t, "h100-sxm"), Eff: cat.Efficiency, GPUs: 8, Tokens: 1e9, TP: 1, PP: 1, Recompute: RecomputeFull}
	base.Zero = 1
	a, _ := Training(base)
	base.Zero = 3
	b, _ := Training(base)
	if b.MemoryBreakdown["weights_grads_optimizer"] >= a.MemoryBreakdown["weights_grads_optimizer"] {
		t.Error("ZeRO-3 should shard states below ZeRO-1")
	}
}

func TestTraining_LoRAUsesTwoThirdsFLOPs(t *testing.T) {
	m := mustModel(t, "llama-3.1-8b")
	full, lora := FLOPsPerToken(m, 1, Full), FLOPsPerToken(m, 1, LoRA)
	if r := lora / full; r < 0.66 || r > 0.68 {
		t.Errorf("lora/full = %v", r)
	}
}

func TestTraining_GPUHours_ConsistentWithThroughput(t *testing.T) {
	r, err := Training(TrainingInput{Model: mustModel(t, "llama-3.1-8b"), Accel: mustAcc(t, "h100-sxm"), Eff: cat.Efficiency, GPUs: 64, Tokens: 1e12, Zero: -1})
	if err != nil || !r.Fits {
		t.Fatal(err, r.Reason)
	}
	ideal := 1e12 / r.TokensPerSecondPerGPU / 3600
	if d := r.GPUHoursIdeal/ideal - 1; d > 1e-9 || d < -1e-9 {
		t.Errorf("ideal gpu-hours %v vs %v", r.GPUHoursIdeal, ideal)
	}
	if r.GPUHours < r.GPUHoursIdeal || r.MFU <= 0 || r.MFU >= 1 {
		t.Errorf("gpu-hours %v < ideal %v or MFU %v", r.GPUHours, r.GPUHoursIdeal, r.MFU)
	}
}

// A job of fewer tokens than one global batch still runs one step: it was
// timed at a fraction of a step (1 token on 8 H100s: 1.3e-5 s of wall time).
func TestTraining_TinyJobTakesAtLeastOneStep(t *testing.T) {
	for _, tokens := range []float64{1, 1e6} {
		r, err := Training(TrainingInput{Model: mustModel(t, "llama-3.1-8b"), Accel: mustAcc(t, "h100-sxm"), Eff: cat.Efficiency, GPUs: 4096, Tokens: tokens, Zero: -1})
		if err != nil || !r.Fits {
			t.Fatal(err, r.Reason)
		}
		if r.GPUHoursIdeal*3600/4096 < r.StepTimeS*(1-1e-9) {
			t.Errorf("%g tokens: %.3g s of wall time, shorter than one %.3g s step", tokens, r.GPUHoursIdeal*3600/4096, r.StepTimeS)
		}
		if !strings.Contains(strings.Join(r.Assumptions, "\n"), "fewer than one step") {
			t.Errorf("%g tokens: assumptions do not say the job is one step: %v", tokens, r.Assumptions)
		}
	}
}

// Degrees that leave no layout of the GPUs are an input error, not a panic.
func TestTraining_NoLayoutIsInputError(t *testing.T) {
	_, err := Training(TrainingInput{Model: mustModel(t, "llama-3.1-8b"), Accel: mustAcc(t, "h100-sxm"), Eff: cat.Efficiency, GPUs: 8, DP: 3, Tokens: 1e9, Zero: -1})
	if !errors.Is(err, ErrInput) {
		t.Errorf("--gpus 8 --dp 3: %v, want an input error", err)
	}
}

func BenchmarkInference(b *testing.B) {
	in := inf(b, "llama-3.1-70b", "h100-sxm", 4, catalog.FP8)
	in.Quiet = true
	in.RequestRate = 10
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Inference(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkInferenceMaxThroughput(b *testing.B) {
	in := inf(b, "mixtral-8x7b", "h100-sxm", 2, catalog.FP8)
	in.Quiet = true
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Inference(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTrainingFixedPlan(b *testing.B) {
	in := TrainingInput{Model: mustModel(b, "llama-3.1-70b"), Accel: mustAcc(b, "h100-sxm"), Eff: cat.Efficiency, GPUs: 512, Tokens: 1e12, TP: 8, PP: 4, Zero: 1, Recompute: RecomputeSelective, Quiet: true}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Training(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTrainingPlanSearch(b *testing.B) {
	in := TrainingInput{Model: mustModel(b, "llama-3.1-70b"), Accel: mustAcc(b, "h100-sxm"), Eff: cat.Efficiency, GPUs: 512, Tokens: 1e12, Zero: -1, Quiet: true}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Training(in); err != nil {
			b.Fatal(err)
		}
	}
}

// Expert parallelism inside the tensor-parallel group reuses the MoE
// layer's all-reduce (no extra time: --ep 8 --tp 8 must not halve
// throughput); only data-parallel attention groups (ep > tp) dispatch
// tokens all-to-all.
func TestInference_ExpertParallel_AllToAllOnlyAcrossAttentionGroups(t *testing.T) {
	in := inf(t, "mixtral-8x7b", "h100-pcie", 2, catalog.BF16)
	a, err := Inference(in)
	if err != nil {
		t.Fatal(err)
	}
	in.EP = 2
	b, err := Inference(in)
	if err != nil {
		t.Fatal(err)
	}
	if b.TPOTMs != a.TPOTMs {
		t.Errorf("EP inside TP should cost no extra time per token: %v vs %v", b.TPOTMs, a.TPOTMs)
	}
	in.TP, in.EP, in.GPUs = 1, 2, 0
	if err := in.Validate(); err != nil {
		t.Fatal(err)
	}
	if s := newServingModel(&in); s.allToAll(64) <= 0 {
		t.Error("EP across data-parallel attention groups should add an all-to-all")
	}
	in.TP, in.EP = 2, 3
	if _, err := Inference(in); err == nil {
		t.Error("ep 3 does not divide 8 experts")
	}
}

// Every headline carries a non-empty band, also for classes with too few
// calibration rows to measure their own (a concurrency).
func TestInference_BandNeverEmpty(t *testing.T) {
	in := inf(t, "llama-3.1-70b", "h100-sxm", 4, catalog.FP8)
	for _, set := range []func(*InferenceInput){
		func(in *InferenceInput) {},
		func(in *InferenceInput) { in.Concurrency = 64 },
		func(in *InferenceInput) { in.RequestRate = 2 },
	} {
		x := in
		set(&x)
		r, err := Inference(x)
		if err != nil {
			t.Fatal(err)
		}
		if !(r.Uncertainty.Low > 0 && r.Uncertainty.Low < 1 && r.Uncertainty.High > 1) {
			t.Errorf("%s band %+v: want 0 < low < 1 < high", r.UncertaintyFor, r.Uncertainty)
		}
	}
}

// The engine changes the prediction (its fitted factors and memory rules),
// and an engine without calibration rows widens the band and says so.
func TestInference_EngineAware(t *testing.T) {
	in := inf(t, "llama-3.1-70b", "h100-sxm", 4, catalog.FP8)
	in.Quiet = false
	run := func(engine string) InferenceResult {
		x := in
		x.Engine = engine
		r, err := Inference(x)
		if err != nil {
			t.Fatal(err)
		}
		if r.Engine != engine {
			t.Errorf("result names engine %q, want %q", r.Engine, engine)
		}
		return r
	}
	trt, vllm, tgi := run("trtllm"), run("vllm"), run("tgi")
	if trt.OutputTokensPerSecond == vllm.OutputTokensPerSecond {
		t.Errorf("trtllm and vllm predict the same throughput %v", trt.OutputTokensPerSecond)
	}
	if !(tgi.Uncertainty.High/tgi.Uncertainty.Low > vllm.Uncertainty.High/vllm.Uncertainty.Low) || !strings.Contains(tgi.UncertaintyBasis, "engine tgi has no calibration rows") {
		t.Errorf("tgi band %+v (%s) should be wider than vllm's %+v and say why", tgi.Uncertainty, tgi.UncertaintyBasis, vllm.Uncertainty)
	}
}

// Classic models: CPU matrix engines (AMX) speed int8 and bf16 over the
// FP32 vector units; the family and runtime are named; a CPU record that
// does not say whether it has AMX gets no speed-up and a wider band.
func TestClassic_CPUMatrixUnitsAndFamily(t *testing.T) {
	c := catalog.MustDefault()
	m, err := c.Model("resnet-50")
	if err != nil {
		t.Fatal(err)
	}
	spr := sapphireRapids2S()
	run := func(cpu *CPUSpec, p catalog.Precision) ClassicResult {
		r, err := Classic(ClassicInput{Model: m, CPUSpec: cpu, Eff: c.Efficiency, Batch: 16, Precision: p})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	fp32, int8 := run(spr, catalog.FP32), run(spr, catalog.INT8)
	if !(int8.SamplesPerSecond > 2*fp32.SamplesPerSecond) {
		t.Errorf("AMX int8 %.0f/s should be well above fp32 %.0f/s", int8.SamplesPerSecond, fp32.SamplesPerSecond)
	}
	if fp32.Family != "cnn" || fp32.Runtime == "" {
		t.Errorf("family %q runtime %q", fp32.Family, fp32.Runtime)
	}
	unknown := *spr
	unknown.AMXGFLOPS, unknown.VNNI, unknown.AVX512BF16, unknown.MatrixKnown = 0, false, false, false
	u := run(&unknown, catalog.INT8)
	if !(u.SamplesPerSecond < int8.SamplesPerSecond) || !(u.Uncertainty.High > int8.Uncertainty.High) {
		t.Errorf("unknown matrix units: %.0f/s band %+v vs AMX %.0f/s band %+v", u.SamplesPerSecond, u.Uncertainty, int8.SamplesPerSecond, int8.Uncertainty)
	}
}

// Offline (max-throughput) serving picks a batch that amortises the
// per-batch overhead, and embedding gathers shrink with the row precision.
func TestClassic_OfflineBatchAndEmbeddingPrecision(t *testing.T) {
	c := catalog.MustDefault()
	m, err := c.Model("dlrm-v2")
	if err != nil {
		t.Fatal(err)
	}
	a, err := c.Accelerator("a100-sxm-80gb")
	if err != nil {
		t.Fatal(err)
	}
	run := func(in ClassicInput) ClassicResult {
		in.Model, in.Accel, in.Eff = m, a, c.Efficiency
		r, err := Classic(in)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	def := run(ClassicInput{Batch: m.DefaultBatch, Precision: catalog.FP16})
	off := run(ClassicInput{MaxThroughput: true, Precision: catalog.FP16})
	if off.Batch <= m.DefaultBatch || !(off.SamplesPerSecond > def.SamplesPerSecond) {
		t.Errorf("offline batch %d at %.0f/s should exceed the default batch %d at %.0f/s", off.Batch, off.SamplesPerSecond, def.Batch, def.SamplesPerSecond)
	}
	// A memory-bound recommender: int8 rows gather a quarter of the fp32 bytes.
	big := *m
	big.GFLOPsPerSample, big.MBPerSample = 1e-6, 1
	m = &big
	f32 := run(ClassicInput{Batch: 65536, Precision: catalog.FP32})
	i8 := run(ClassicInput{Batch: 65536, Precision: catalog.INT8})
	if !(i8.SamplesPerSecond > 3*f32.SamplesPerSecond) || !strings.Contains(f32.Bottleneck, "embedding") {
		t.Errorf("int8 gathers %.0f/s vs fp32 %.0f/s (%s): want ~4x", i8.SamplesPerSecond, f32.SamplesPerSecond, f32.Bottleneck)
	}
}

// A static batch prefills b prompts together: the GEMMs see b x isl tokens
// but each prompt attends only to its own isl tokens, so the first-token
// time of 64 prompts of 2048 tokens is about 64 prompts' worth of work, not
// the 64x larger attention of one 131,072-token prompt.
func TestInference_StaticBatchPrefillAttendsPerPrompt(t *testing.T) {
	in := inf(t, "llama-3.1-8b", "h100-sxm", 1, catalog.FP8)
	in.InputTokens, in.OutputTokens, in.Batching = 2048, 128, Static
	one, two := in, in
	one.Concurrency, two.Concurrency = 1, 64
	r1, err := Inference(one)
	if err != nil {
		t.Fatal(err)
	}
	r64, err := Inference(two)
	if err != nil {
		t.Fatal(err)
	}
	if ratio := r64.TTFTMs / r1.TTFTMs; ratio > 64 || ratio < 16 {
		t.Errorf("static TTFT of 64 prompts / 1 prompt = %.1f, want between 16 and 64 (per-prompt attention)", ratio)
	}
}

// Classic physics added for issue 9: a sample of several passes (3D-UNet
// sliding windows) costs that many passes but holds one in memory; a
// variable-length dataset runs unpadded only on runtimes that skip padding;
// a served row pays its request payload; an eager framework moves its
// activations more often than TensorRT; recommender tables beyond the
// device spill to the host only when the caller says the host holds them.
func TestClassic_PassesPaddingPayloadTrafficAndSpill(t *testing.T) {
	c := catalog.MustDefault()
	a100 := mustAcc(t, "a100-sxm-80gb")
	run := func(in ClassicInput) ClassicResult {
		t.Helper()
		in.Eff = c.Efficiency
		if in.Accel == nil {
			in.Accel = a100
		}
		r, err := Classic(in)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	// Passes: the KiTS19 model is 68 windows; one window as a model of its own.
	unet := mustModel(t, "3d-unet")
	one := *unet
	one.PassesPerSample = 0
	whole, win := run(ClassicInput{Model: unet, Batch: 1, Precision: catalog.INT8}), run(ClassicInput{Model: &one, Batch: 1, Precision: catalog.INT8})
	if r := win.SamplesPerSecond / whole.SamplesPerSecond; r < 50 || r > 80 {
		t.Errorf("a 68-window volume should take about 68 windows' time: ratio %.1f", r)
	}
	if whole.Memory.ActivationsGiB != win.Memory.ActivationsGiB {
		t.Errorf("memory holds one window: %v vs %v GB", whole.Memory.ActivationsGiB, win.Memory.ActivationsGiB)
	}
	// Padding: SQuAD sequences average 172 of 384 tokens.
	sq := mustModel(t, "bert-large-squad")
	trt := run(ClassicInput{Model: sq, Batch: 64, Precision: catalog.INT8, Runtime: "tensorrt"})
	padded := *sq
	padded.MeanTokens = 0
	trtPad := run(ClassicInput{Model: &padded, Batch: 64, Precision: catalog.INT8, Runtime: "tensorrt"})
	if r := trt.SamplesPerSecond / trtPad.SamplesPerSecond; r < 1.8 || r > 2.4 {
		t.Errorf("unpadded TensorRT should run about 384/172 = 2.2x the padded rate: %.2f", r)
	}
	ov := run(ClassicInput{Model: sq, Batch: 64, Precision: catalog.INT8, Runtime: "openvino"})
	ovPad := run(ClassicInput{Model: &padded, Batch: 64, Precision: catalog.INT8, Runtime: "openvino"})
	if ov.SamplesPerSecond != ovPad.SamplesPerSecond {
		t.Errorf("OpenVINO pads to 384: %.0f vs %.0f", ov.SamplesPerSecond, ovPad.SamplesPerSecond)
	}
	// Payload: a served ResNet-50 batch first moves 602 KB per image.
	rn := mustModel(t, "resnet-50")
	local := run(ClassicInput{Model: rn, Batch: 32, Precision: catalog.FP16})
	served := run(ClassicInput{Model: rn, Batch: 32, Precision: catalog.FP16, Served: true})
	want := 32 * rn.InputKBPerSample * 1e3 / (c.Efficiency.Classic.RequestGBps * 1e9) * 1e3
	if d := served.LatencyMs - local.LatencyMs; d < 0.99*want || d > 1.01*want {
		t.Errorf("served batch should add the payload time %.2f ms, added %.2f", want, d)
	}
	// Traffic: a memory-bound CNN step in PyTorch moves more bytes than in TensorRT.
	eff := *rn
	eff.GFLOPsPerSample = 1e-3
	fw := run(ClassicInput{Model: &eff, Batch: 256, Precision: catalog.FP16, Runtime: "pytorch"})
	rt := run(ClassicInput{Model: &eff, Batch: 256, Precision: catalog.FP16, Runtime: "tensorrt"})
	if !(fw.SamplesPerSecond < rt.SamplesPerSecond) {
		t.Errorf("unfused framework %.0f/s should be slower than TensorRT %.0f/s when memory-bound", fw.SamplesPerSecond, rt.SamplesPerSecond)
	}
	// A framework without factors of its own runs at the shared framework factors.
	if a, b := run(ClassicInput{Model: rn, Batch: 8, Precision: catalog.FP16, Runtime: "framework"}), run(ClassicInput{Model: rn, Batch: 8, Precision: catalog.FP16, Runtime: "mxnet-unknown"}); a.SamplesPerSecond <= 0 || b.SamplesPerSecond <= 0 {
		t.Errorf("runtimes: %+v %+v", a, b)
	}
	// Spill: 22B fp32 tables do not fit an 80 GB A100 unless the host holds them.
	dl := mustModel(t, "dlrm")
	big := *dl
	big.ParamsM, big.GFLOPsPerSample = 22000, 1e-6
	noHost := run(ClassicInput{Model: &big, Batch: 32768, Precision: catalog.FP32})
	host := run(ClassicInput{Model: &big, Batch: 32768, Precision: catalog.FP32, HostTables: true})
	fits := big
	fits.ParamsM = 4000
	inside := run(ClassicInput{Model: &fits, Batch: 32768, Precision: catalog.FP32, HostTables: true})
	if noHost.Fits || !host.Fits || !(host.SamplesPerSecond < inside.SamplesPerSecond) {
		t.Errorf("spill: without host fits=%v, with host fits=%v at %.0f/s vs %.0f/s all on the GPU", noHost.Fits, host.Fits, host.SamplesPerSecond, inside.SamplesPerSecond)
	}
}

// Learned attention sinks (gpt-oss) cost a few FLOPs and no KV entry: the
// prediction hardly moves, the assumptions say so, and the band widens
// because no calibration row has them.
func TestInference_AttentionSinks(t *testing.T) {
	in := inf(t, "gpt-oss-120b", "h100-sxm", 1, catalog.FP4)
	in.Quiet = false
	with, err := Inference(in)
	if err != nil {
		t.Fatal(err)
	}
	m := *in.Model
	m.AttentionSinks = ""
	in.Model = &m
	without, err := Inference(in)
	if err != nil {
		t.Fatal(err)
	}
	if d := with.TPOTMs/without.TPOTMs - 1; d < 0 || d > 1e-3 {
		t.Errorf("learned sinks changed TPOT by %.4f%%; want a tiny increase", d*100)
	}
	if with.Memory.KVBytesPerToken != without.Memory.KVBytesPerToken {
		t.Error("learned sinks must not add KV-cache bytes")
	}
	said := false
	for _, a := range with.Assumptions {
		said = said || strings.Contains(a, "attention sinks")
	}
	if !said || !strings.Contains(with.UncertaintyBasis, "attention sinks has no calibration rows") {
		t.Errorf("assumptions and band basis should name the sinks: %q", with.UncertaintyBasis)
	}
	if with.Uncertainty.High <= without.Uncertainty.High {
		t.Errorf("band %+v should be wider than without sinks %+v", with.Uncertainty, without.Uncertainty)
	}
}

// At decode sizes an all-reduce over a scale-up link is one synchronisation
// round whatever the TP size (the engines' one-shot kernel); over PCIe it is
// NCCL's ring; large messages take the two-shot path's ring-sized traffic.
func TestInference_AllReduceOneShotAtDecodeSizes(t *testing.T) {
	step := func(acc string, tp int) *servingModel {
		in := inf(t, "llama-3.1-70b", acc, tp, catalog.FP8)
		if err := in.Validate(); err != nil {
			t.Fatal(err)
		}
		return newServingModel(&in)
	}
	small := 8192.0 * 2 // one sequence's hidden state, bf16
	s4, s8 := step("h100-sxm", 4), step("h100-sxm", 8)
	if r := s8.allReduce(small) / s4.allReduce(small); r > 1.05 {
		t.Errorf("one-shot all-reduce at decode size: TP8 / TP4 = %.2f; want about 1 (latency-bound)", r)
	}
	if got := s8.allReduce(small); got < s8.lat || got > 1.1*s8.lat {
		t.Errorf("TP8 decode all-reduce %.2f us; want one round of %.2f us", got*1e6, s8.lat*1e6)
	}
	big := 4096 * 8192 * 2.0
	if got, want := s8.allReduce(big), 2*7.0/8*big/s8.busBW+2*s8.lat; got != want {
		t.Errorf("large all-reduce %.1f us; want two-shot %.1f us", got*1e6, want*1e6)
	}
	p := step("l40s", 4)
	if got, want := p.allReduce(small), 2*3.0/4*small/p.busBW+p.lat; got != want {
		t.Errorf("PCIe all-reduce %.2f us; want the ring's %.2f us", got*1e6, want*1e6)
	}
}

// A forward pass streams the output projection but gathers only its
// tokens' rows of an untied input embedding table: the table counts in
// memory, not in the bytes a step reads. A tied table is the output
// projection and is read whole.
func TestInference_UntiedEmbeddingNotStreamed(t *testing.T) {
	for _, c := range []struct {
		model string
		tied  bool
	}{{"llama-3.1-8b", false}, {"llama-3.2-1b", true}} {
		in := inf(t, c.model, "h100-sxm", 2, catalog.BF16)
		if err := in.Validate(); err != nil {
			t.Fatal(err)
		}
		s := newServingModel(&in)
		m := in.Model
		want := s.nonExpertBytesGPU
		if !c.tied {
			want -= float64(m.Vocab*m.Hidden) * 2 / 2
		}
		if m.TiedEmbeddings != c.tied || s.readBytesGPU != want {
			t.Errorf("%s (tied %v): reads %.4g bytes per GPU per step, want %.4g of %.4g in memory", c.model, m.TiedEmbeddings, s.readBytesGPU, want, s.nonExpertBytesGPU)
		}
	}
}

// TestClassic_TrafficAssumptionAddsUp: the assumptions derive the bytes per
// sample from the architecture's count, so a reader can check them (a
// ResNet-50 on a CPU in fp32 read "50.8 MB" beside the source's "45.3 MB").
func TestClassic_TrafficAssumptionAddsUp(t *testing.T) {
	c := catalog.MustDefault()
	m, err := c.Model("resnet-50")
	if err != nil {
		t.Fatal(err)
	}
	spr := sapphireRapids2S()
	r, err := Classic(ClassicInput{Model: m, CPUSpec: spr, Eff: c.Efficiency, Batch: 16, Precision: catalog.FP32})
	if err != nil {
		t.Fatal(err)
	}
	a := r.Assumptions[0]
	want := fmt.Sprintf("the architecture's %.3g MB x2 for fp32 activations (counted at 16-bit)", m.MBPerSample)
	if !strings.Contains(a, want) {
		t.Errorf("assumption %q\ndoes not derive the bytes: want %q", a, want)
	}
	g, err := Classic(ClassicInput{Model: m, Accel: mustAcc(t, "l4"), Eff: c.Efficiency, Batch: 16, Precision: catalog.FP16})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(g.Assumptions[0], "the architecture's") && !strings.Contains(g.Assumptions[0], "runtime") {
		t.Errorf("fp16 on TensorRT needs no derivation beyond the runtime's: %q", g.Assumptions[0])
	}
}

// sapphireRapids2S is a two-socket 56-core Sapphire Rapids at 2.0 GHz with
// AVX-512 (64 FP32 FLOPs per cycle per core) and AMX (1,024 per cycle).
func sapphireRapids2S() *CPUSpec {
	return &CPUSpec{Name: "2S SPR", VectorGFLOPS: 2 * 56 * 2.0 * 64, VNNI: true, AVX512BF16: true, AMXGFLOPS: 2 * 56 * 2.0 * 1024, MemBWGBs: 614, MemoryGiB: 1024, MatrixKnown: true}
}
