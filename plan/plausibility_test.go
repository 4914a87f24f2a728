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
