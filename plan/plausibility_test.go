package plan

import (
	"strings"
	"testing"

	"github.com/aiplan-dev/aiplan/spec"
)

func TestPlausibility_WarnsNamingTheFigure(t *testing.T) {
	in := `apiVersion: aiplan.dev/v1
kind: Plan
metadata: {name: typo}
workloads:
  - name: chat
    type: llm-inference
    model: llama-3.1-8b
    traffic: {peakRequestsPerSecond: 1e7, inputTokens: 1000, outputTokens: 200}
`
	f, ds := spec.Load([]byte(in), "typo.yaml", cat)
	if ds.HasErrors() {
		t.Fatal(ds.Err())
	}
	p := Build(f, cat)
	all := strings.Join(p.Warnings, "\n")
	for _, want := range []string{"chat: 1.2e+10 tokens/s at peak, beyond the largest published deployment", "GPUs at peak, more than 10000", "USD a month, more than 10 million"} {
		if !strings.Contains(all, want) {
			t.Errorf("no warning %q in:\n%s", want, all)
		}
	}
	small, _ := spec.Load([]byte(strings.Replace(in, "1e7", "2", 1)), "ok.yaml", cat)
	for _, w := range Build(small, cat).Warnings {
		if strings.Contains(w, "check the traffic figures") {
			t.Errorf("plausible plan warned: %s", w)
		}
	}
}

// An endpoint without a TTFT SLO was sized for cost alone and planned at a
// 39 s p99 TTFT (32k-token prompts) without a word.
func TestPlausibility_NoTTFTSLOAndSlowFirstToken(t *testing.T) {
	in := `apiVersion: aiplan.dev/v1
kind: Plan
metadata: {name: qwen}
workloads:
  - name: agent
    type: llm-inference
    model: qwen3-235b-a22b
    traffic: {peakRequestsPerSecond: 3, inputTokens: 32000, outputTokens: 1000}
`
	f, ds := spec.Load([]byte(in), "q.yaml", cat)
	if ds.HasErrors() {
		t.Fatal(ds.Err())
	}
	p := Build(f, cat)
	c := p.Workloads[0].Choice
	if c == nil || c.Metrics.TTFTP99Ms <= AttentionLimitMs {
		t.Skipf("the plan's TTFT p99 is now within 10 s (%v); the case needs a slow one", c)
	}
	if all := strings.Join(p.Warnings, "\n"); !strings.Contains(all, "agent: no slo.ttftP99Ms, so it is sized for cost alone") {
		t.Errorf("no warning in:\n%s", all)
	}
	withSLO, _ := spec.Load([]byte(strings.Replace(in, "outputTokens: 1000}", "outputTokens: 1000}\n    slo: {ttftP99Ms: 60000}", 1)), "q2.yaml", cat)
	for _, w := range Build(withSLO, cat).Warnings {
		if strings.Contains(w, "no slo.ttftP99Ms") {
			t.Errorf("warned despite an SLO: %s", w)
		}
	}
}
