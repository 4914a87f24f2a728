package catalog

import "testing"

func FuzzParse(f *testing.F) {
	f.Add([]byte("accelerators:\n  - {id: x, memory_gb: 10, memory_bw_gbps: 100, link_domain: 1, pcie_bw_gbps: 32, source: s, as_of: '2025'}\n"))
	f.Add([]byte("models:\n  - {id: m, kind: llm, layers: 2, hidden: 64, heads: 8, kv_heads: 2, head_dim: 8, ffn: 128, vocab: 100, source: s, as_of: x, moe: {experts: 4, top_k: 2, expert_ffn: 32}}\n"))
	f.Add([]byte("efficiency: {inference: {max_batch: -1}}"))
	f.Add([]byte("::: [\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := Parse(b, "fuzz.yaml")
		if err != nil {
			return
		}
		// A file that parses must also build and answer queries without panicking.
		var base File
		merge(&base, file)
		base.Efficiency = MustDefault().Efficiency
		if c, err := build(&base); err == nil {
			for _, m := range c.Models {
				_ = m.TotalParams()
				_ = m.ActiveParams()
				_ = m.EffectiveKVTokens(1000)
			}
		}
	})
}
