package perf

import (
	"errors"
	"strings"
	"testing"
)

// TensorRT runs on NVIDIA GPUs only: a classic estimate on an AMD, Intel,
// Google or AWS chip printed "runtime tensorrt". The default there is an
// eager framework, said in the assumptions; asking for TensorRT is an
// input error.
func TestClassic_TensorRTOnlyOnNVIDIA(t *testing.T) {
	m := mustModel(t, "resnet-50")
	for _, id := range []string{"mi300x", "gaudi3", "tpu-v6e", "inferentia2"} {
		r, err := Classic(ClassicInput{Model: m, Accel: mustAcc(t, id), Eff: cat.Efficiency, Batch: 8})
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if r.Runtime == "tensorrt" || !strings.Contains(strings.Join(r.Assumptions, "\n"), "TensorRT runs on NVIDIA GPUs only") {
			t.Errorf("%s: runtime %s, assumptions %v", id, r.Runtime, r.Assumptions)
		}
		if _, err := Classic(ClassicInput{Model: m, Accel: mustAcc(t, id), Eff: cat.Efficiency, Batch: 8, Runtime: "tensorrt"}); !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), "--runtime tensorrt") {
			t.Errorf("%s: --runtime tensorrt: %v", id, err)
		}
	}
	r, err := Classic(ClassicInput{Model: m, Accel: mustAcc(t, "l4"), Eff: cat.Efficiency, Batch: 8})
	if err != nil || r.Runtime != "tensorrt" {
		t.Errorf("l4: runtime %s, %v", r.Runtime, err)
	}
}

// FP8 training on a chip without FP8 units (A100, TPU v5e) ran at the
// 16-bit peak and called it the FP8 peak; it is an input error.
func TestTraining_FP8NeedsFP8Units(t *testing.T) {
	for _, id := range []string{"a100-sxm-80gb", "tpu-v5e"} {
		_, err := Training(TrainingInput{Model: mustModel(t, "llama-3.1-8b"), Accel: mustAcc(t, id), Eff: cat.Efficiency, GPUs: 8, Tokens: 1e9, Precision: "fp8", Zero: -1})
		if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), "--precision fp8") || !strings.Contains(err.Error(), "bf16") {
			t.Errorf("%s fp8: %v", id, err)
		}
	}
	if _, err := Training(TrainingInput{Model: mustModel(t, "llama-3.1-8b"), Accel: mustAcc(t, "h100-sxm"), Eff: cat.Efficiency, GPUs: 8, Tokens: 1e9, Precision: "fp8", Zero: -1}); err != nil {
		t.Errorf("h100 fp8: %v", err)
	}
}

// The default global batch is a multiple of the data-parallel degree: it
// was 977 sequences on dp=64 (15.3 per replica).
func TestTraining_DefaultGlobalBatchDividesAmongReplicas(t *testing.T) {
	for _, g := range []int{8, 24, 64, 512, 4096} {
		r, err := Training(TrainingInput{Model: mustModel(t, "llama-3.1-8b"), Accel: mustAcc(t, "h100-sxm"), Eff: cat.Efficiency, GPUs: g, Tokens: 1e12, Zero: -1})
		if err != nil {
			t.Fatal(err)
		}
		if p := r.Parallelism; p.GlobalBatch%p.DP != 0 {
			t.Errorf("%d GPUs: global batch %d on dp=%d", g, p.GlobalBatch, p.DP)
		}
	}
}

// An int4/fp4 KV cache was estimated like any other, with the band of the
// calibrated formats; it now says aiplan does not check the engine offers
// it and widens the band.
func TestInference_LowBitKVSaysSoAndWidens(t *testing.T) {
	in := inf(t, "llama-3.1-8b", "h100-sxm", 1, "bf16")
	base, err := Inference(in)
	if err != nil {
		t.Fatal(err)
	}
	in.KVPrecision = "int4"
	low, err := Inference(in)
	if err != nil {
		t.Fatal(err)
	}
	if !(low.Uncertainty.High > base.Uncertainty.High) || !strings.Contains(strings.Join(low.Assumptions, "\n"), "does not check that engine vllm offers a KV cache below 8 bits") {
		t.Errorf("band %+v vs %+v; assumptions %v", low.Uncertainty, base.Uncertainty, low.Assumptions)
	}
}

// --ep on a dense model or beyond the experts names the model and the limit.
func TestInference_EPErrorsNameModelAndLimit(t *testing.T) {
	in := inf(t, "llama-3.1-8b", "h100-sxm", 1, "bf16")
	in.EP = 8
	if _, err := Inference(in); err == nil || !strings.Contains(err.Error(), "llama-3.1-8b is a dense model") {
		t.Errorf("dense: %v", err)
	}
	in = inf(t, "mixtral-8x7b", "h100-sxm", 1, "bf16")
	in.EP, in.GPUs = 32, 32
	if _, err := Inference(in); err == nil || !strings.Contains(err.Error(), "8 routed experts; allowed: at most 16") {
		t.Errorf("mixtral ep 32: %v", err)
	}
}

// A global batch raised to the data-parallel degree, and a sequence longer
// than the model's context, were applied without a word.
func TestTraining_SaysWhatItChangedOrExtrapolates(t *testing.T) {
	r, err := Training(TrainingInput{Model: mustModel(t, "llama-3.1-8b"), Accel: mustAcc(t, "h100-sxm"), Eff: cat.Efficiency, GPUs: 8, Tokens: 1e9, GlobalBatch: 3, Zero: -1})
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(r.Assumptions, "\n")
	if r.Parallelism.GlobalBatch != 3 && !strings.Contains(all, "--global-batch 3 raised to") {
		t.Errorf("global batch %d, assumptions %s", r.Parallelism.GlobalBatch, all)
	}
	r, err = Training(TrainingInput{Model: mustModel(t, "llama-2-7b"), Accel: mustAcc(t, "h100-sxm"), Eff: cat.Efficiency, GPUs: 8, Tokens: 1e9, SeqLen: 16384, Zero: -1})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(r.Assumptions, "\n"), "exceeds llama-2-7b's 4096-token context") {
		t.Errorf("assumptions %v", r.Assumptions)
	}
}

// --concurrency is the system's requests in flight: it was applied to every
// replica, so 4 replicas at a concurrency of 10 served 40 requests (36.5
// req/s at a 1.1 s end-to-end latency). Little's law must hold for the
// whole system, and fewer requests than replicas leave replicas idle.
func TestInference_ConcurrencyIsSystemWide(t *testing.T) {
	for _, c := range []struct {
		gpus     int
		conc     float64
		batching Batching
	}{{1, 10, Continuous}, {4, 10, Continuous}, {8, 3, Continuous}, {4, 1, Continuous}, {1, 5000, Continuous},
		// A static batch: requests beyond it queued for free.
		{1, 5000, Static}, {2, 100, Static}} {
		in := inf(t, "llama-3.1-8b", "h100-sxm", 1, "bf16")
		in.InputTokens, in.OutputTokens, in.GPUs, in.Concurrency = 1000, 100, c.gpus, c.conc
		in.Batching = c.batching
		r, err := Inference(in)
		if err != nil {
			t.Fatal(err)
		}
		inFlight := r.RequestsPerSecond * r.E2ELatencyMs / 1e3
		if d := inFlight/c.conc - 1; d > 0.01 || d < -0.01 {
			t.Errorf("%d GPUs, concurrency %v, %s: %.3g req/s x %.0f ms = %.3g requests in flight", c.gpus, c.conc, c.batching, r.RequestsPerSecond, r.E2ELatencyMs, inFlight)
		}
		if r.TTFTMs <= 0 || r.TPOTMs <= 0 {
			t.Errorf("%d GPUs, concurrency %v: TTFT %v TPOT %v", c.gpus, c.conc, r.TTFTMs, r.TPOTMs)
		}
	}
}

// When fixed engine costs are most of a decode step the bottleneck says so:
// gpt-oss-120b alone on a B200 was "memory bandwidth (decode)" at 10.6 ms a
// token, where its weight reads take under 1 ms.
func TestInference_OverheadBottleneck(t *testing.T) {
	in := inf(t, "gpt-oss-120b", "b200", 1, "")
	in.InputTokens, in.OutputTokens, in.Concurrency = 2000, 300, 1
	r, err := Inference(in)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(r.Bottleneck, "engine overheads") {
		t.Errorf("bottleneck %q at TPOT %.1f ms", r.Bottleneck, r.TPOTMs)
	}
	in = inf(t, "llama-3.1-70b", "h100-sxm", 4, "bf16")
	in.InputTokens, in.OutputTokens, in.Concurrency = 2000, 300, 1
	if r, _ := Inference(in); r.Bottleneck != "memory bandwidth (decode)" {
		t.Errorf("70B bf16 TP4 at batch 1: %q", r.Bottleneck)
	}
}
