package search

import (
	"strings"
	"testing"

	"github.com/aiplan-dev/aiplan/spec"
)

// An accelerator the performance engine refuses (here: no memory bandwidth
// in the catalog) is rejected as invalid input naming the engine's error,
// never as a configuration that does not fit in memory.
func TestSearch_EngineErrorsAreNotMemoryRejections(t *testing.T) {
	env := NewEnv(cat, &spec.Constraints{})
	h, err := cat.Accelerator("h100-sxm")
	if err != nil {
		t.Fatal(err)
	}
	bad := *h
	bad.MemoryBWGBs = nil
	llm, err := cat.Model("llama-3.1-8b")
	if err != nil {
		t.Fatal(err)
	}
	eng, err := cat.Engine("vllm")
	if err != nil {
		t.Fatal(err)
	}
	check := func(what, reason, want string) {
		t.Helper()
		if !strings.HasPrefix(reason, "invalid: ") || !strings.Contains(reason, want) {
			t.Errorf("%s: rejection %q, want the engine's error as \"invalid: ...\"", what, reason)
		}
	}

	w := &spec.Workload{Name: "batch", Type: spec.BatchInference, Model: &spec.ModelRef{ID: llm.ID},
		Traffic: &spec.Traffic{InputTokens: 1000, OutputTokens: 200}, RequestsPerDay: 1e5}
	col := newCollector()
	var r Result
	if env.batchConfig(w, llm, &bad, "bf16", 1, 1, 0, eng, 24, col, &r) {
		t.Fatal("batch configuration on an accelerator the engine refuses reported as fitting")
	}
	col.finish(&r)
	if len(r.Rejected) != 1 {
		t.Fatalf("batch: %d rejected options, want 1", len(r.Rejected))
	}
	check("batch", r.Rejected[0].Rejected, "memory bandwidth")

	u := env.llmUnit(llm, &bad, "bf16", "vllm", 1, 1, 0, &spec.Traffic{InputTokens: 1000, OutputTokens: 200}, nil)
	check("endpoint", u.reject, "memory bandwidth")

	resnet, err := cat.Model("resnet-50")
	if err != nil {
		t.Fatal(err)
	}
	check("classic endpoint", env.classicUnit(resnet, &bad, nil, 50, 1).reject, "bandwidth")
}
