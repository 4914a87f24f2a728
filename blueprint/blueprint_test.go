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

// The serving components are the engines search planned each option with
// (search.Option.Engine), named from the catalog: the blueprint picks none.
func TestServing_FollowsTheOptionsEngine(t *testing.T) {
	w := []spec.Workload{
		{Name: "rag", Type: spec.LLMInference, Traffic: &spec.Traffic{InputTokens: 500, OutputTokens: 300}},
		{Name: "chat", Type: spec.LLMInference, Traffic: &spec.Traffic{InputTokens: 4000, OutputTokens: 300}},
		{Name: "nightly", Type: spec.BatchInference, Traffic: &spec.Traffic{InputTokens: 500, OutputTokens: 300}},
	}
	r := []search.Result{
		{Workload: "rag", Type: spec.LLMInference, Choice: &search.Option{Accelerator: "h100-sxm", Engine: "sglang", Pricing: "on-demand"}},
		{Workload: "chat", Type: spec.LLMInference, Choice: &search.Option{Accelerator: "h100-sxm", Engine: "vllm", Pricing: "on-demand"}},
		{Workload: "nightly", Type: spec.BatchInference, Choice: &search.Option{Accelerator: "inferentia2", Engine: "neuron", Pricing: "spot"}},
	}
	bp := design(10, w, r)
	for id, want := range map[string]struct{ name, serves, image string }{
		"serving-sglang": {"SGLang", "rag", "lmsysorg/sglang"},
		"serving-vllm":   {"vLLM", "chat", "vllm/vllm-openai"},
		"serving-neuron": {"NxD Inference", "nightly", "public.ecr.aws/neuron"},
	} {
		c := find(bp, id)
		if c == nil {
			t.Errorf("no %s component", id)
			continue
		}
		if !strings.Contains(c.Name, want.name) || len(c.Serves) != 1 || c.Serves[0] != want.serves || !strings.Contains(strings.Join(c.Settings, " "), want.image) {
			t.Errorf("%s: %+v", id, c)
		}
	}
}

// TestDesign_BackupCopyRegion: the backups name a copy region of the same
// cloud and jurisdiction as the site, within constraints.regions, and price
// it; with no allowed region left, no copy region and a reason.
func TestDesign_BackupCopyRegion(t *testing.T) {
	c := catalog.MustDefault()
	run := func(site string, allowed []string) *Component {
		w := []spec.Workload{{Name: "events", Type: spec.DataPipeline, IngestGBPerDay: 100, RetentionDays: 60}}
		r := []search.Result{
			{Workload: "events", Type: spec.DataPipeline, Choice: &search.Option{Pricing: "on-demand", Components: []cost.Component{cost.Line("lake", "storage", "GB-months", 6000, 0.023, "test")}}},
			{Workload: "chat", Type: spec.LLMInference, Choice: &search.Option{Cloud: "aws", Instance: "g5.xlarge", Region: site, Pricing: "on-demand", MonthlyUSD: 1}},
		}
		f := &spec.File{Metadata: spec.Metadata{Name: "t", TeamSize: 3}, Workloads: append(w, spec.Workload{Name: "chat", Type: spec.LLMInference}),
			Constraints: spec.Constraints{Clouds: []string{"aws"}, Regions: allowed}}
		return find(Design(Input{File: f, Results: r, Pricer: cost.NewPricer(c, nil), Hours: 730}), "backups")
	}
	for _, site := range []string{"us-east-1", "eu-central-1"} {
		bk := run(site, nil)
		if bk == nil || len(bk.Copies) != 1 {
			t.Fatalf("%s: backups %+v", site, bk)
		}
		from, _ := c.Region(site)
		to, ok := c.Region(bk.Copies[0].To)
		if !ok || to.Cloud != "aws" || to.ID == site || to.Jurisdiction != from.Jurisdiction {
			t.Errorf("%s: copy region %+v", site, to)
		}
		if len(bk.Costs) == 0 || !strings.Contains(bk.Costs[0].Name, to.ID) || bk.Costs[0].Quantity != 6000 || bk.MonthlyUSD <= 0 {
			t.Errorf("%s: copy not priced: %+v", site, bk.Costs)
		}
		if !has(bk.Exported, "backup") {
			t.Errorf("%s: backups with a priced copy region not exported: %v", site, bk.Exported)
		}
	}
	if bk := run("eu-central-1", []string{"eu-central-1", "eu-west-2"}); len(bk.Copies) != 0 || has(bk.Exported, "backup") || !strings.Contains(strings.Join(bk.Settings, " "), "no copy region") {
		t.Errorf("eu-west-2 (uk) taken as a copy region of eu-central-1, or no reason: %+v", bk)
	}
	if bk := run("eu-central-1", []string{"eu-central-1", "eu-north-1"}); len(bk.Copies) != 1 || bk.Copies[0].To != "eu-north-1" {
		t.Errorf("copy region outside constraints.regions: %+v", bk.Copies)
	}
}

// The autoscaling component names the signal the export's HPA scales on:
// TensorRT-LLM exports no queue gauge, so its mean queue wait.
func TestAutoscaling_NamesEachEnginesSignal(t *testing.T) {
	w := []spec.Workload{{Name: "chat", Type: spec.LLMInference, Traffic: &spec.Traffic{InputTokens: 500, OutputTokens: 300}}}
	r := []search.Result{{Workload: "chat", Type: spec.LLMInference, Choice: &search.Option{Accelerator: "h100-sxm", Engine: "trtllm", Pricing: "on-demand"}}}
	c := find(design(10, w, r), "autoscaling")
	e, err := catalog.MustDefault().Engine("trtllm")
	if err != nil {
		t.Fatal(err)
	}
	if c == nil || e.Metrics.QueueTimeHistogram == "" || !strings.Contains(c.Name, "mean queue wait from "+e.Metrics.QueueTimeHistogram) {
		t.Errorf("autoscaling: %+v", c)
	}
}
