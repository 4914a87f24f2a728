package blueprint

import (
	"strings"
	"testing"

	"github.com/aiplan-dev/aiplan/catalog"
	"github.com/aiplan-dev/aiplan/cost"
	"github.com/aiplan-dev/aiplan/search"
	"github.com/aiplan-dev/aiplan/spec"
)

func design(team int, workloads []spec.Workload, results []search.Result) *Blueprint {
	c := catalog.MustDefault()
	f := &spec.File{Metadata: spec.Metadata{Name: "t", TeamSize: team}, Workloads: workloads, Constraints: spec.Constraints{Clouds: []string{"aws"}}}
	return Design(Input{File: f, Results: results, Pricer: cost.NewPricer(c, nil), Hours: 730})
}

func pipeline(streaming bool) ([]spec.Workload, []search.Result) {
	w := []spec.Workload{{Name: "events", Type: spec.DataPipeline, IngestGBPerDay: 100, RetentionDays: 30, Streaming: streaming}}
	r := []search.Result{{Workload: "events", Type: spec.DataPipeline, Choice: &search.Option{Pricing: "on-demand"}}}
	return w, r
}

func find(bp *Blueprint, id string) *Component {
	for i := range bp.Components {
		if bp.Components[i].ID == id {
			return &bp.Components[i]
		}
	}
	return nil
}

func TestDesign_TeamSizeDecidesManaged(t *testing.T) {
	w, r := pipeline(true)
	small := design(3, w, r)
	large := design(40, w, r)
	if c := find(small, "orchestrator"); c == nil || !c.Managed || !strings.Contains(c.Name, "MWAA") || c.MonthlyUSD <= 0 {
		t.Errorf("small team orchestrator: %+v", c)
	}
	if c := find(large, "orchestrator"); c == nil || c.Managed {
		t.Errorf("large team orchestrator: %+v", c)
	}
	if c := find(large, "streaming"); c == nil || !strings.Contains(c.Name, "Strimzi") {
		t.Errorf("large team streaming: %+v", c)
	}
}

func TestDesign_EdgesConnectExistingComponents(t *testing.T) {
	w, r := pipeline(true)
	bp := design(5, w, r)
	for _, e := range bp.Edges {
		if len(bp.resolve(e.From)) == 0 && e.From != "serving" {
			t.Errorf("edge from unknown %s", e.From)
		}
	}
	if svg := bp.SVG(); !strings.HasPrefix(svg, "<svg") || !strings.Contains(svg, "Data sources") {
		t.Error("diagram missing")
	}
	if m := bp.Mermaid(); !strings.HasPrefix(m, "flowchart LR") || !strings.Contains(m, "-->") {
		t.Errorf("mermaid: %s", m)
	}
}

func TestEngine_Rules(t *testing.T) {
	rag := spec.Workload{Type: spec.LLMInference, Traffic: &spec.Traffic{InputTokens: 4000, OutputTokens: 200}}
	chat := spec.Workload{Type: spec.LLMInference, Traffic: &spec.Traffic{InputTokens: 500, OutputTokens: 300}}
	fast := spec.Workload{Type: spec.LLMInference, Traffic: &spec.Traffic{InputTokens: 500, OutputTokens: 300}, SLO: &spec.SLO{TPOTP99Ms: 12}}
	for _, c := range []struct {
		w    spec.Workload
		acc  string
		want string
	}{
		{rag, "h100-sxm", "SGLang"}, {chat, "h100-sxm", "vLLM"}, {fast, "h100-sxm", "TensorRT-LLM on Triton"},
		{chat, "tpu-v6e", "vLLM (TPU backend)"}, {chat, "inferentia2", "vLLM with AWS Neuron (NxD Inference)"}, {chat, "mi300x", "vLLM (ROCm)"},
	} {
		if got := Engine(c.w, &search.Option{Accelerator: c.acc}); got != c.want {
			t.Errorf("%s %v: %s, want %s", c.acc, c.w.Traffic, got, c.want)
		}
	}
}
