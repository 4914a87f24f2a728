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
