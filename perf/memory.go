package perf

import (
	"math"

	"github.com/aiplan-dev/aiplan/catalog"
)

// GiB is 2^30 bytes. Every memory figure the engine reports is in GiB; the
// capacity is the accelerator's usable memory (catalog memory_gib, the
// driver's MiB / 1024), not the vendor's nominal GB.
const GiB = 1 << 30

// Memory is the per-GPU memory breakdown of a serving replica, in GiB.
type Memory struct {
	WeightsGiB       float64 `json:"weights_gib_per_gpu"`
	KVCacheGiB       float64 `json:"kv_cache_gib_per_gpu"`
	ActivationsGiB   float64 `json:"activations_gib_per_gpu"`
	OverheadGiB      float64 `json:"overhead_gib_per_gpu"`
	TotalGiB         float64 `json:"total_gib_per_gpu"`
	CapacityGiB      float64 `json:"capacity_gib_per_gpu"`
	KVBytesPerToken  float64 `json:"kv_cache_bytes_per_token"`
	KVCapacityTokens float64 `json:"kv_cache_capacity_tokens"`
}

// KVBytesPerToken is the KV cache of one token across all layers of the
// model: 2 x layers x KV heads x head dim x bytes (GQA/MQA), or the MLA
// latent (kv_lora_rank + rope dim) x layers x bytes (DeepSeek-V2/V3).
func KVBytesPerToken(m *catalog.Model, kv catalog.Precision) float64 {
	return float64(m.Layers) * m.KVElemsPerTokenPerLayer() * kv.BytesPerWeight()
}

// kvBytesPerTokenPerGPU shards the KV cache over tensor parallelism (heads)
// and pipeline parallelism (layers). KV heads are replicated once TP exceeds
// their count; the MLA latent is replicated on every TP rank.
func kvBytesPerTokenPerGPU(m *catalog.Model, kv catalog.Precision, tp, pp int) float64 {
	layers := float64(m.Layers) / float64(pp)
	if m.MLA != nil {
		return layers * m.KVElemsPerTokenPerLayer() * kv.BytesPerWeight()
	}
	heads := math.Max(float64(m.KVHeads)/float64(tp), 1)
	return layers * 2 * heads * float64(m.HeadDim) * kv.BytesPerWeight()
}

// servingActivationBytes is the activation peak of one forward pass over a
// chunk of tokens: fp32 logits and their sampling copy (not sharded by TP,
// engines gather them) plus the hidden and FFN activations (sharded by TP).
// vLLM's profile of Llama-3-8B on an A100-40GB shows a 9.4 GiB peak with
// 8192 tokens, which this reproduces to about 10%.
func servingActivationBytes(m *catalog.Model, tokens float64, tp int) float64 {
	ffn := float64(m.FFN)
	if m.IsMoE() {
		ffn = math.Max(ffn, float64(m.MoE.ExpertFFN*m.MoE.TopK))
	}
	perTok := 2*float64(m.Vocab)*4 + (4*float64(m.Hidden)+2*ffn/float64(tp))*2
	return tokens * perTok
}
