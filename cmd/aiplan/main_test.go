package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func runCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestEstimateInference_JSONContract(t *testing.T) {
	code, out, errs := runCLI("estimate", "inference", "--model", "llama-3.1-70b", "--accelerator", "h100-sxm", "--tp", "4", "--precision", "fp8", "--input-tokens", "2048", "--output-tokens", "128", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"output_tokens_per_second", "output_tokens_per_second_per_gpu", "requests_per_second", "ttft_ms", "tpot_ms", "e2e_latency_ms", "batch_size", "fits", "bottleneck", "memory", "uncertainty", "assumptions"} {
		if _, ok := m[k]; !ok {
			t.Errorf("missing %s", k)
		}
	}
	mem := m["memory"].(map[string]any)
	for _, k := range []string{"weights_gib_per_gpu", "kv_cache_gib_per_gpu", "activations_gib_per_gpu", "overhead_gib_per_gpu", "total_gib_per_gpu", "kv_cache_bytes_per_token", "kv_cache_capacity_tokens"} {
		if _, ok := mem[k]; !ok {
			t.Errorf("missing memory.%s", k)
		}
	}
	u := m["uncertainty"].(map[string]any)
	if u["low"].(float64) >= 1 || u["high"].(float64) <= 1 {
		t.Errorf("uncertainty band %v does not bracket 1", u)
	}
}

func TestEstimateTraining_JSONContract(t *testing.T) {
	code, out, errs := runCLI("estimate", "training", "--model", "llama-3.1-8b", "--accelerator", "h100-sxm", "--gpus", "64", "--tokens", "1T", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"gpu_hours", "wall_hours", "tokens_per_second_per_gpu", "tflops_per_gpu", "mfu", "flops_total", "memory_per_gpu_gib", "fits", "parallelism", "cost_usd", "uncertainty", "assumptions"} {
		if _, ok := m[k]; !ok {
			t.Errorf("missing %s", k)
		}
	}
	p := m["parallelism"].(map[string]any)
	for _, k := range []string{"tp", "pp", "dp", "ep", "zero_stage", "recompute"} {
		if _, ok := p[k]; !ok {
			t.Errorf("missing parallelism.%s", k)
		}
	}
	if m["cost_usd"].(float64) <= 0 {
		t.Error("cost_usd should be priced from the catalog")
	}
}

func TestEstimate_DoesNotFit_ExitZeroWithReason(t *testing.T) {
	code, out, _ := runCLI("estimate", "inference", "--model", "llama-3.1-70b", "--accelerator", "l4", "--input-tokens", "100", "--output-tokens", "100", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var m map[string]any
	json.Unmarshal([]byte(out), &m)
	if m["fits"] != false || m["reason"] == "" {
		t.Errorf("want fits=false with a reason, got %v", m)
	}
}

func TestCLI_BadInput_ExitCode2(t *testing.T) {
	cases := [][]string{
		{"estimate", "inference", "--model", "llama-9", "--accelerator", "h100-sxm", "--input-tokens", "1", "--output-tokens", "1"},
		{"estimate", "inference", "--model", "llama-3.1-70b", "--accelerator", "h100-sxm", "--tp", "3", "--input-tokens", "1", "--output-tokens", "1"},
		{"estimate", "inference", "--model", "llama-3.1-70b", "--accelerator", "h100-sxm", "--input-tokens", "NaN", "--output-tokens", "1"},
		{"estimate", "inference", "--model", "llama-3.1-70b", "--accelerator", "h100-sxm", "--input-tokens", "-5", "--output-tokens", "1"},
		{"estimate", "inference", "--model", "llama-3.1-70b", "--accelerator", "h100-sxm", "--input-tokens", "0", "--output-tokens", "1"},
		{"estimate", "training", "--model", "llama-3.1-8b", "--accelerator", "h100-sxm", "--gpus", "8", "--tokens", "banana"},
		{"estimate", "training", "--model", "llama-3.1-8b", "--accelerator", "h100-sxm", "--gpus", "-8", "--tokens", "1T"},
		{"estimate", "inference", "--bogus"},
		{"nonsense"},
		{"catalog", "show", "nope-nope"},
		{"estimate", "inference", "--model", "llama-3.1-8b", "--accelerator", "h100-sxm", "--input-tokens", "1", "--output-tokens", "1", "-o", "xml"},
	}
	for _, c := range cases {
		code, _, errs := runCLI(c...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", c, code, errs)
		}
		if errs == "" || strings.Contains(errs, "panic") {
			t.Errorf("%v: stderr %q", c, errs)
		}
	}
}

func TestCatalog_ListAndShow(t *testing.T) {
	for _, k := range []string{"accelerators", "instances", "models"} {
		if code, out, _ := runCLI("catalog", "list", k); code != 0 || len(strings.Split(out, "\n")) < 20 {
			t.Errorf("catalog list %s: exit %d, %d lines", k, code, len(strings.Split(out, "\n")))
		}
	}
	code, out, _ := runCLI("catalog", "show", "meta-llama/Llama-3.1-70B-Instruct", "-o", "json")
	if code != 0 || !strings.Contains(out, `"source"`) {
		t.Errorf("show: %d %s", code, out)
	}
}

func TestParseCount(t *testing.T) {
	for in, want := range map[string]float64{"2e12": 2e12, "2T": 2e12, "300B": 3e11, "1.5M": 1.5e6, "20k": 2e4, "1000": 1000} {
		got, err := parseCount(in)
		if err != nil || got != want {
			t.Errorf("parseCount(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "T", "-1", "NaN", "Inf", "1e400", "x2"} {
		if _, err := parseCount(in); err == nil {
			t.Errorf("parseCount(%q) accepted", in)
		}
	}
}

func FuzzEstimateFlags(f *testing.F) {
	f.Add("llama-3.1-70b", "h100-sxm", "4", "fp8", "2048", "128", "0")
	f.Add("mixtral-8x7b", "l40s", "2", "bf16", "1e3", "1", "3.5")
	f.Add("resnet-50", "l4", "1", "int8", "", "", "")
	f.Fuzz(func(t *testing.T, model, acc, tp, prec, in, out, rate string) {
		args := []string{"estimate", "inference", "--model", model, "--accelerator", acc, "--tp", tp, "--precision", prec, "--input-tokens", in, "--output-tokens", out, "--request-rate", rate, "-o", "json"}
		code, _, errs := runCLI(args...)
		if code == 1 || strings.Contains(errs, "internal error") {
			t.Fatalf("args %q: exit %d: %s", args, code, errs)
		}
	})
}

func FuzzTrainingFlags(f *testing.F) {
	f.Add("llama-3.1-8b", "h100-sxm", "64", "1T", "4096", "lora", "0")
	f.Fuzz(func(t *testing.T, model, acc, gpus, tokens, seq, method, tp string) {
		args := []string{"estimate", "training", "--model", model, "--accelerator", acc, "--gpus", gpus, "--tokens", tokens, "--seq-len", seq, "--method", method, "--tp", tp}
		code, _, errs := runCLI(args...)
		if code == 1 || strings.Contains(errs, "internal error") {
			t.Fatalf("args %q: exit %d: %s", args, code, errs)
		}
	})
}
