package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// Bad estimate input found by trying aiplan as a new user: each exits 2
// with an error that names the flag, the value and what is allowed,
// instead of running on or answering with a message that names none.
func TestEstimate_BadFlagsNameFlagValueAndAllowed(t *testing.T) {
	llm := []string{"estimate", "inference", "--model", "llama-3.1-8b", "--accelerator", "h100-sxm", "--input-tokens", "100", "--output-tokens", "10"}
	classic := []string{"estimate", "inference", "--model", "resnet-50", "--accelerator", "l4"}
	for _, c := range []struct {
		args []string
		want []string // substrings of stderr
	}{
		{append(llm, "--concurrency", "-1"), []string{"--concurrency -1", "between 1 and"}},
		{append(llm, "--concurrency", "0.01"), []string{"--concurrency 0.01", "between 1 and"}},
		{append(llm, "--request-rate", "NaN"), []string{"--request-rate NaN", "positive number"}},
		{append(llm, "--request-rate", "1e12"), []string{"--request-rate 1e+12", "at most"}},
		{append(llm, "--max-batch", "0.3"), []string{"--max-batch 0.3", "between 1 and"}},
		{append(llm, "--batching", "foo"), []string{`--batching "foo"`, "continuous, static"}},
		// A request longer than the model's context window.
		{[]string{"estimate", "inference", "--model", "llama-3.1-8b", "--accelerator", "h100-sxm", "--input-tokens", "200000", "--output-tokens", "10"},
			[]string{"--input-tokens 200000", "131072-token context", "llama-3.1-8b"}},
		// Flags of the other kind of model were silently ignored.
		{append(llm, "--batch", "8"), []string{"--batch 8", "does not apply", "LLM"}},
		{append(llm, "--runtime", "tensorrt"), []string{"--runtime tensorrt", "does not apply"}},
		{append(classic, "--tp", "2"), []string{"--tp 2", "does not apply", "classic model"}},
		{append(classic, "--engine", "vllm"), []string{"--engine vllm", "does not apply"}},
		{append(classic, "--concurrency", "4"), []string{"--concurrency 4", "does not apply"}},
		// Triton serves classic models; it was accepted for an LLM and
		// listed among the engines allowed for one.
		{append(llm, "--engine", "triton"), []string{"--engine triton", "classic models", "allowed for llama-3.1-8b on h100-sxm: vllm, sglang, trtllm, tgi"}},
		// An LLM on a CPU instance was called an unknown accelerator.
		{[]string{"estimate", "inference", "--model", "llama-3.1-8b", "--accelerator", "aws/c7i.8xlarge/us-east-1", "--input-tokens", "100", "--output-tokens", "10"},
			[]string{"aws/c7i.8xlarge/us-east-1 is a CPU instance", "classic models only"}},
		{[]string{"estimate", "inference", "--model", "resnet-50", "--accelerator", "cpu"}, []string{`"cpu"`, "aws/c7i.8xlarge/us-east-1"}},
	} {
		code, _, errs := runCLI(c.args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", c.args, code, errs)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(errs, w) {
				t.Errorf("%v: stderr %q lacks %q", c.args, errs, w)
			}
		}
		if strings.Contains(errs, "neuron") && strings.Contains(errs, "triton") {
			t.Errorf("%v: %s", c.args, errs)
		}
	}
	if code, _, errs := runCLI("estimate", "inference", "--model", "llama-3.1-8b", "--accelerator", "h100-sxm", "--engine", "neuron", "--input-tokens", "100", "--output-tokens", "10"); code != 2 || strings.Contains(errs, "triton") {
		t.Errorf("--engine neuron on h100: exit %d, %s (triton is no LLM engine)", code, errs)
	}
}

// An LLM that does not fit prints no zero rates, latencies or zero-width
// band that could be read as a prediction, and still names its engine; the
// table no longer claims the engine has no calibration rows on the vendor.
func TestEstimate_DoesNotFit_NoZeroPrediction(t *testing.T) {
	args := []string{"estimate", "inference", "--model", "llama-1-13b", "--accelerator", "l4", "--input-tokens", "1000", "--output-tokens", "200"}
	m := runJSON(t, args...)
	if m["fits"] != false || m["reason"] == "" || m["engine"] != "vllm" {
		t.Errorf("fits %v reason %v engine %v", m["fits"], m["reason"], m["engine"])
	}
	for _, k := range []string{"output_tokens_per_second", "ttft_ms", "tpot_ms", "e2e_latency_ms", "uncertainty", "batch_size"} {
		if v, ok := m[k]; ok {
			t.Errorf("a configuration that does not fit reports %s = %v", k, v)
		}
	}
	_, table, _ := runCLI(args...)
	if !strings.Contains(table, "DOES NOT FIT") || strings.Contains(table, "no calibration rows for it on this vendor") {
		t.Errorf("table:\n%s", table)
	}
}

// A small rate prints with significant digits, not as "0 (likely 0-1)".
func TestEstimate_SmallRatesAreNotZero(t *testing.T) {
	code, out, errs := runCLI("estimate", "inference", "--model", "llama-3.1-8b", "--accelerator", "h100-sxm", "--input-tokens", "120000", "--output-tokens", "10")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "output tokens/s") || strings.HasPrefix(line, "requests/s") {
			f := strings.Fields(strings.TrimPrefix(strings.TrimPrefix(line, "output tokens/s"), "requests/s"))
			if len(f) == 0 || f[0] == "0" || f[0] == "0.00" {
				t.Errorf("rate prints as zero: %q", line)
			}
		}
	}
	for v, want := range map[float64]string{1702.4: "1702", 0.4676: "0.468", 12.34: "12.3", 99.96: "100"} {
		if got := rate(v); got != want {
			t.Errorf("rate(%v) = %q, want %q", v, got, want)
		}
	}
}

// Training flags that leave no tp x pp x dp layout of --gpus panicked with
// an integer division by zero (exit 1); they are bad input.
func TestEstimateTraining_ImpossibleLayoutIsBadInput(t *testing.T) {
	for _, extra := range [][]string{{"--gpus", "8", "--dp", "3"}, {"--gpus", "6", "--dp", "2"}, {"--gpus", "3", "--dp", "1"}} {
		args := append([]string{"estimate", "training", "--model", "llama-3.1-8b", "--accelerator", "h100-sxm", "--tokens", "1T"}, extra...)
		code, _, errs := runCLI(args...)
		if code != 2 || !strings.Contains(errs, "--gpus "+extra[1]+" cannot be laid out") || strings.Contains(errs, "internal error") {
			t.Errorf("%v: exit %d: %s", extra, code, errs)
		}
	}
	code, _, errs := runCLI("estimate", "training", "--model", "llama-3.1-8b", "--accelerator", "h100-sxm", "--tokens", "1T", "--gpus", "8", "--tp", "-2")
	if code != 2 || !strings.Contains(errs, "--tp -2") {
		t.Errorf("--tp -2: exit %d: %s", code, errs)
	}
}

// A training job that does not fit prints no GPU-hours, cost or band.
func TestEstimateTraining_DoesNotFit_NoPrediction(t *testing.T) {
	args := []string{"estimate", "training", "--model", "llama-3.1-405b", "--accelerator", "l4", "--gpus", "1", "--tokens", "1T"}
	m := runJSON(t, args...)
	if m["fits"] != false || m["reason"] == "" || m["memory_breakdown_gib"] == nil {
		t.Errorf("got %v", m)
	}
	for _, k := range []string{"gpu_hours", "wall_hours", "cost_usd", "uncertainty", "mfu"} {
		if _, ok := m[k]; ok {
			t.Errorf("does not fit, yet reports %s = %v", k, m[k])
		}
	}
	_, table, _ := runCLI(args...)
	if !strings.Contains(table, "DOES NOT FIT") || strings.Contains(table, "GPU-hours") || strings.Contains(table, "cost") {
		t.Errorf("table:\n%s", table)
	}
}

// The memory breakdown is in GiB (it sums to memory_per_gpu_gib) and its
// key says so.
func TestEstimateTraining_BreakdownUnit(t *testing.T) {
	_, out, _ := runCLI("estimate", "training", "--model", "llama-3.1-8b", "--accelerator", "h100-sxm", "--gpus", "64", "--tokens", "1T", "-o", "json")
	var m struct {
		Total     float64            `json:"memory_per_gpu_gib"`
		Breakdown map[string]float64 `json:"memory_breakdown_gib"`
	}
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, v := range m.Breakdown {
		sum += v
	}
	if len(m.Breakdown) == 0 || sum < 0.99*m.Total || sum > 1.01*m.Total {
		t.Errorf("breakdown %v sums to %.2f, total %.2f GiB", m.Breakdown, sum, m.Total)
	}
}

// A weight precision the chip cannot run or the engine does not serve was
// estimated anyway (NVFP4 on Inferentia 2 under Neuron, FP8 on TPU v6e, FP4
// under TGI), naming an engine and format that do not go together.
func TestEstimate_PrecisionMustRunOnChipAndEngine(t *testing.T) {
	for _, c := range []struct {
		accel, engine, prec string
		want                []string
	}{
		{"inferentia2", "neuron", "fp4", []string{"--precision fp4 does not run on inferentia2", "bf16, fp16, fp8, int8"}},
		{"tpu-v6e", "vllm-tpu", "fp8", []string{"--precision fp8 does not run on tpu-v6e", "bf16, int8, int4"}},
		{"gaudi3", "gaudi", "int8", []string{"--precision int8 does not run on gaudi3"}},
		{"h100-sxm", "tgi", "fp4", []string{"--precision fp4 is not served by --engine tgi", "engines that serve it there: vllm, sglang, trtllm"}},
		{"tpu-v6e", "", "", []string{"the default precision of gpt-oss-120b, fp4,", "does not run on tpu-v6e"}},
	} {
		args := []string{"estimate", "inference", "--model", "llama-3.1-8b", "--accelerator", c.accel, "--input-tokens", "1000", "--output-tokens", "100"}
		if c.prec == "" {
			args[3] = "gpt-oss-120b"
		} else {
			args = append(args, "--engine", c.engine, "--precision", c.prec)
		}
		code, _, errs := runCLI(args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
		for _, w := range c.want {
			if !strings.Contains(errs, w) {
				t.Errorf("%v: stderr %q lacks %q", args, errs, w)
			}
		}
	}
	// What the chip and engine do serve still runs.
	if code, _, errs := runCLI("estimate", "inference", "--model", "llama-3.1-8b", "--accelerator", "a100-sxm-80gb", "--precision", "fp4", "--input-tokens", "1000", "--output-tokens", "100"); code != 0 {
		t.Errorf("weight-only fp4 on A100 under vLLM: exit %d: %s", code, errs)
	}
}

// Beyond capacity, the rate shown is what the configuration serves, not
// "the offered load" (1e6 req/s asked, 24.7 served).
func TestEstimate_SaturatedRateIsNotTheOfferedLoad(t *testing.T) {
	_, out, _ := runCLI("estimate", "inference", "--model", "llama-3.1-8b", "--accelerator", "h100-sxm", "--input-tokens", "1000", "--output-tokens", "100", "--request-rate", "1e6")
	if strings.Contains(out, "the offered load") || !strings.Contains(out, "the requested rate is more than this serves") {
		t.Errorf("saturated estimate:\n%s", out)
	}
	_, out, _ = runCLI("estimate", "inference", "--model", "llama-3.1-8b", "--accelerator", "h100-sxm", "--input-tokens", "1000", "--output-tokens", "100", "--request-rate", "1")
	if !strings.Contains(out, "the offered load") {
		t.Errorf("estimate at 1 req/s:\n%s", out)
	}
}

// Training defaults to fp16 on chips without bf16 units, and FP8 training
// needs FP8 units (it ran on A100 at the 16-bit peak).
func TestEstimateTraining_PrecisionFollowsTheChip(t *testing.T) {
	if code, out, errs := runCLI("estimate", "training", "--model", "llama-3.1-8b", "--accelerator", "v100", "--gpus", "64", "--tokens", "1e9", "-o", "json"); code != 0 || !strings.Contains(out, `"fits": true`) {
		t.Errorf("v100 default precision: exit %d: %s %s", code, errs, out)
	}
	code, _, errs := runCLI("estimate", "training", "--model", "llama-3.1-8b", "--accelerator", "a100-sxm-80gb", "--gpus", "64", "--tokens", "1e9", "--precision", "fp8")
	if code != 2 || !strings.Contains(errs, "--precision fp8: a100-sxm-80gb has no native fp8") {
		t.Errorf("fp8 on a100: exit %d: %s", code, errs)
	}
}

// Classic flags: TensorRT on a non-NVIDIA chip is refused by name.
func TestEstimateClassic_TensorRTOnAMD(t *testing.T) {
	code, _, errs := runCLI("estimate", "inference", "--model", "resnet-50", "--accelerator", "mi300x", "--runtime", "tensorrt")
	if code != 2 || !strings.Contains(errs, "--runtime tensorrt runs on NVIDIA GPUs only") {
		t.Errorf("exit %d: %s", code, errs)
	}
}

// A classic model that does not fit shows no rate or latency.
func TestEstimateClassic_DoesNotFit_NoPrediction(t *testing.T) {
	args := []string{"estimate", "inference", "--model", "stable-diffusion-xl", "--accelerator", "jetson-orin-nano", "--batch", "64"}
	code, out, _ := runCLI(args...)
	if code != 0 || !strings.Contains(out, "DOES NOT FIT") || strings.Contains(out, "samples/s") || strings.Contains(out, "\nlatency ") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	_, out, _ = runCLI(append(args, "-o", "json")...)
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"samples_per_second", "latency_ms", "uncertainty"} {
		if _, ok := m[k]; ok || m["fits"] != false {
			t.Errorf("does not fit, yet %s = %v", k, m[k])
		}
	}
}

// The JSON names the engine version the figures assume, as the table does.
func TestEstimate_JSONNamesEngineVersion(t *testing.T) {
	for _, model := range []string{"llama-3.1-8b", "llama-3.1-405b"} { // fits, does not fit on one GPU
		_, out, _ := runCLI("estimate", "inference", "--model", model, "--accelerator", "h100-sxm", "--input-tokens", "100", "--output-tokens", "10", "-o", "json")
		var m map[string]any
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			t.Fatal(err)
		}
		if v, _ := m["engine_version"].(string); v == "" || m["engine"] != "vllm" {
			t.Errorf("%s: engine %v version %v", model, m["engine"], m["engine_version"])
		}
	}
}

// The table's memory capacity names its unit: "(of 22)" for an L4 sold as
// 24 GB read as a mistake.
func TestEstimate_CapacityUnit(t *testing.T) {
	_, out, _ := runCLI("estimate", "inference", "--model", "llama-3.1-8b", "--accelerator", "l4", "--input-tokens", "100", "--output-tokens", "10")
	if !strings.Contains(out, "(of 22.4 GiB)") {
		t.Errorf("memory line without its unit:\n%s", out)
	}
}

// A classic model in a format the chip lacks (fp8 on an A100 or TPU v5e,
// fp16 on a TPU) ran at a 16-bit peak under the requested name; on a TPU
// the default is its bf16.
func TestEstimateClassic_PrecisionMustBeNative(t *testing.T) {
	for _, c := range [][2]string{{"a100-sxm-80gb", "fp8"}, {"tpu-v5e", "fp8"}, {"tpu-v5e", "fp16"}} {
		code, _, errs := runCLI("estimate", "inference", "--model", "resnet-50", "--accelerator", c[0], "--batch", "8", "--precision", c[1])
		if code != 2 || !strings.Contains(errs, "--precision "+c[1]+" does not run on "+c[0]) {
			t.Errorf("%v: exit %d: %s", c, code, errs)
		}
	}
	_, out, _ := runCLI("estimate", "inference", "--model", "resnet-50", "--accelerator", "tpu-v5e", "--batch", "8")
	if !strings.Contains(out, "batch 8 in bf16") {
		t.Errorf("tpu-v5e default precision:\n%s", out)
	}
	if code, _, errs := runCLI("estimate", "inference", "--model", "resnet-50", "--accelerator", "l4", "--batch", "8", "--precision", "fp8"); code != 0 {
		t.Errorf("fp8 on l4: exit %d: %s", code, errs)
	}
}

// runJSON runs the CLI with -o json, wants exit 0 and decodes the output.
func runJSON(t *testing.T, args ...string) map[string]any {
	t.Helper()
	code, out, errs := runCLI(append(args, "-o", "json")...)
	if code != 0 {
		t.Fatalf("%v: exit %d: %s", args, code, errs)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatal(err)
	}
	return m
}
