package catalog

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestLoad_Embedded_Validates(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	need := []string{"a100-sxm-40gb", "a100-sxm-80gb", "h100-sxm", "h100-pcie", "h100-nvl", "h800", "h200-sxm", "gh200", "b200", "gb200", "l40s", "l4", "a10g", "t4", "v100", "rtx-pro-6000", "mi300x", "mi325x", "tpu-v5e", "tpu-v5p", "trainium1", "inferentia2", "gaudi3"}
	for _, id := range need {
		if _, err := c.Accelerator(id); err != nil {
			t.Errorf("accelerator %s: %v", id, err)
		}
	}
	models := []string{"llama-1-7b", "llama-1-13b", "llama-1-33b", "llama-1-65b", "llama-2-7b", "llama-2-13b", "llama-2-70b", "llama-3-8b", "llama-3-70b", "llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b", "llama-3.2-1b", "llama-3.2-3b", "llama-3.3-70b", "llama-4-scout", "llama-4-maverick", "mistral-7b", "mixtral-8x7b", "mixtral-8x22b", "qwen3-30b-a3b", "qwen3-235b-a22b", "deepseek-v3", "deepseek-r1", "gpt-j-6b", "gpt-3-175b", "falcon-180b", "starcoder", "mpt-7b", "gpt-oss-20b", "gpt-oss-120b", "resnet-50", "bert-large", "retinanet", "3d-unet", "dlrm-v2", "stable-diffusion-xl", "xgboost-scorer", "bge-large-en"}
	for _, id := range models {
		if _, err := c.Model(id); err != nil {
			t.Errorf("model %s: %v", id, err)
		}
	}
}

func TestModel_DerivedParams_MatchPublished(t *testing.T) {
	c := MustDefault()
	for _, m := range c.Models {
		if !m.IsLLM() || m.ParamsB == 0 {
			continue
		}
		total, active := m.DerivedParams()
		if e := math.Abs(total/1e9-m.ParamsB) / m.ParamsB; e > 0.06 {
			t.Errorf("%s: derived total %.2fB vs published %.2fB (%.0f%%)", m.ID, total/1e9, m.ParamsB, e*100)
		}
		if m.ActiveParamsB > 0 {
			if e := math.Abs(active/1e9-m.ActiveParamsB) / m.ActiveParamsB; e > 0.2 {
				t.Errorf("%s: derived active %.2fB vs published %.2fB (%.0f%%)", m.ID, active/1e9, m.ActiveParamsB, e*100)
			}
		}
	}
}

func TestResolve_CommonSpellings(t *testing.T) {
	c := MustDefault()
	for in, want := range map[string]string{
		"Llama-3.1-70B": "llama-3.1-70b", "meta-llama/Llama-3.1-70B-Instruct": "llama-3.1-70b", "meta-llama/Meta-Llama-3.1-8B-Instruct": "llama-3.1-8b",
		"mistralai/Mixtral-8x7B-Instruct-v0.1": "mixtral-8x7b", "deepseek-ai/DeepSeek-R1": "deepseek-r1", "Qwen/Qwen3-30B-A3B": "qwen3-30b-a3b",
		"mistralai/Mistral-7B-Instruct-v0.3": "mistral-7b", "Qwen/Qwen3-30B-A3B-Instruct-2507": "qwen3-30b-a3b", "meta-llama/Llama-3.1-405B-Instruct-FP8": "llama-3.1-405b",
		"openai/gpt-oss-120b": "gpt-oss-120b", "meta-llama/Llama-4-Scout-17B-16E-Instruct": "llama-4-scout",
	} {
		m, err := c.Model(in)
		if err != nil || m.ID != want {
			t.Errorf("Model(%q) = %v, %v; want %s", in, m, err, want)
		}
	}
	for in, want := range map[string]string{"H100-SXM-80GB": "h100-sxm", "NVIDIA A100-80GB": "a100-sxm-80gb", "H200-SXM-141GB": "h200-sxm", "L40S-48GB": "l40s", "MI300X": "mi300x",
		"NVIDIA H100 80GB HBM3": "h100-sxm", "NVIDIA A100-SXM4-80GB": "a100-sxm-80gb", "AMD Instinct MI300X OAM": "mi300x", "TPU v5e": "tpu-v5e", "NVIDIA L4": "l4"} {
		a, err := c.Accelerator(in)
		if err != nil || a.ID != want {
			t.Errorf("Accelerator(%q) = %v, %v; want %s", in, a, err, want)
		}
	}
}

func TestResolve_Unknown_SuggestsClosest(t *testing.T) {
	c := MustDefault()
	_, err := c.Model("llama-3.1-7b")
	var nf *NotFoundError
	if !errors.As(err, &nf) || len(nf.Suggestions) == 0 {
		t.Fatalf("want suggestions, got %v", err)
	}
	if !strings.Contains(err.Error(), "llama-3.1-8b") && !strings.Contains(err.Error(), "llama-3.1-70b") {
		t.Errorf("suggestions %v miss the llama-3.1 family", nf.Suggestions)
	}
}

func TestParse_RejectsBadEntries(t *testing.T) {
	cases := map[string]string{
		"unknown field":                "accelerators:\n  - id: x\n    bogus: 1\n",
		"no source":                    "accelerators:\n  - {id: x, memory_gb: 10, memory_bw_gbps: 100, link_domain: 1, pcie_bw_gbps: 32, as_of: '2025'}\n",
		"negative":                     "accelerators:\n  - {id: x, memory_gb: -10, link_domain: 1, pcie_bw_gbps: 32, source: s, as_of: '2025'}\n",
		"bad kv heads":                 "models:\n  - {id: m, kind: llm, layers: 2, hidden: 64, heads: 8, kv_heads: 3, head_dim: 8, ffn: 128, vocab: 100, source: s, as_of: x}\n",
		"bad model kind":               "models:\n  - {id: m, kind: banana, source: s, as_of: x}\n",
		"bad sinks":                    "models:\n  - {id: m, kind: llm, layers: 2, hidden: 64, heads: 8, kv_heads: 8, head_dim: 8, ffn: 128, vocab: 100, attention_sinks: sometimes, source: s, as_of: x}\n",
		"sink tokens without a window": "models:\n  - {id: m, kind: llm, layers: 2, hidden: 64, heads: 8, kv_heads: 8, head_dim: 8, ffn: 128, vocab: 100, sink_tokens: 4, source: s, as_of: x}\n",
	}
	for name, in := range cases {
		if _, err := Parse([]byte(in), "t.yaml"); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestLoad_Overlay_ReplacesAndAdds(t *testing.T) {
	dir := t.TempDir()
	p := dir + "/o.yaml"
	body := "accelerators:\n  - {id: my-npu, name: My NPU, vendor: Acme, memory_gb: 64, memory_bw_gbps: 2000, bf16_tflops: 400, link_domain: 1, pcie_bw_gbps: 64, source: vendor sheet, as_of: '2026-01-01'}\n"
	if err := writeFile(p, body); err != nil {
		t.Fatal(err)
	}
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if a, err := c.Accelerator("My-NPU"); err != nil || a.MemoryGB != 64 {
		t.Fatalf("overlay accelerator not found: %v", err)
	}
}

// gpt-oss is released with MXFP4 routed experts (4 bits + an 8-bit scale
// per 32 values) and 16-bit attention, router and embeddings; fp4 on any
// other model is NVFP4 (an FP8 scale per 16 values) on every weight.
func TestModel_WeightBytes_MXFP4ExpertsAndNVFP4(t *testing.T) {
	c := MustDefault()
	oss, err := c.Model("gpt-oss-120b")
	if err != nil {
		t.Fatal(err)
	}
	if e, o := oss.WeightBytes(FP4); e != 4.25/8 || o != 2 {
		t.Errorf("gpt-oss-120b fp4: experts %v, other %v bytes/param; want 0.53125 and 2", e, o)
	}
	if e, o := oss.WeightBytes(FP8); e != 1 || o != 1 {
		t.Errorf("gpt-oss-120b fp8: experts %v, other %v; want 1 and 1 (not its release format)", e, o)
	}
	l, err := c.Model("llama-3.1-70b")
	if err != nil {
		t.Fatal(err)
	}
	if e, o := l.WeightBytes(FP4); e != 4.5/8 || o != 4.5/8 {
		t.Errorf("llama-3.1-70b fp4: %v, %v; want NVFP4 0.5625", e, o)
	}
	// 116.8B params: ~114B expert weights at 4.25 bits + ~2.5B at 16 bits is
	// the ~61 GiB of the released checkpoint, not 116.8B x 4.5 bits (61.2).
	gib := (oss.TotalParams()*oss.ExpertFraction()*4.25/8 + oss.TotalParams()*(1-oss.ExpertFraction())*2) / (1 << 30)
	if gib < 58 || gib > 64 {
		t.Errorf("gpt-oss-120b weights %.1f GiB, want about 61 (the released checkpoint)", gib)
	}
}

// StreamingLLM sink tokens ride beside a sliding window: a windowed layer
// holds window + sinks entries once the context is longer than that; full
// layers hold the whole context; learned per-head sinks (gpt-oss) hold none.
func TestModel_EffectiveKVTokens_SinkTokens(t *testing.T) {
	m := Model{SlidingWindow: 128, SlidingLayers: 0.5, SinkTokens: 4}
	if got, want := m.EffectiveKVTokens(1000), 0.5*132+0.5*1000; got != want {
		t.Errorf("window 128 + 4 sinks, half the layers, 1000 tokens: %v KV tokens, want %v", got, want)
	}
	if got := m.EffectiveKVTokens(100); got != 100 {
		t.Errorf("a context shorter than the window keeps every token: %v", got)
	}
	oss, err := MustDefault().Model("gpt-oss-20b")
	if err != nil {
		t.Fatal(err)
	}
	if oss.AttentionSinks != "learned" || oss.SinkTokens != 0 {
		t.Fatalf("gpt-oss-20b: attention_sinks %q, sink_tokens %d; want learned, 0", oss.AttentionSinks, oss.SinkTokens)
	}
	if got, want := oss.EffectiveKVTokens(1000), 0.5*128+0.5*1000; got != want {
		t.Errorf("gpt-oss-20b at 1000 tokens: %v KV tokens, want %v (learned sinks add no KV)", got, want)
	}
}
