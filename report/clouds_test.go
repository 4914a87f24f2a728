package report

import (
	"strings"
	"testing"

	"github.com/aiplan-dev/aiplan/catalog"
	costpkg "github.com/aiplan-dev/aiplan/cost"
	"github.com/aiplan-dev/aiplan/placement"
	"github.com/aiplan-dev/aiplan/plan"
	"github.com/aiplan-dev/aiplan/search"
	"github.com/aiplan-dev/aiplan/spec"
)

// The clouds line named no cloud, said "all on X costs the same" of the
// cloud every workload already runs on, and counted the platform's home
// (a hyperscaler with no workload) without saying why.
func TestConsolidationLine_SaysWhatIsInUse(t *testing.T) {
	c := catalog.MustDefault()
	src := `apiVersion: aiplan.dev/v1
kind: Plan
metadata: {name: deepseek-endpoint}
constraints: {clouds: [aws, nebius]}
workloads:
  - name: reasoner
    type: llm-inference
    model: deepseek-r1
    traffic: {peakRequestsPerSecond: 5, inputTokens: 1000, outputTokens: 4000}
    slo: {ttftP99Ms: 3000}
`
	f, ds := spec.Load([]byte(src), "t.yaml", c)
	if ds.HasErrors() {
		t.Fatal(ds.Err())
	}
	p := plan.Build(f, c)
	line := consolidationLine(p)
	if p.Workloads[0].Choice == nil || p.Workloads[0].Choice.Cloud != "nebius" {
		t.Skipf("the choice moved off nebius (%s); the case needs a workload on a non-hyperscaler", line)
	}
	if !strings.Contains(line, "2 in use (aws: the platform only, nebius)") || strings.Contains(line, "all on nebius costs the same") {
		t.Errorf("clouds line: %s", line)
	}
	for _, ex := range []string{"startup-rag-chatbot.yaml", "hipaa-clinical.yaml"} {
		line := consolidationLine(examplePlan(t, ex))
		if !strings.Contains(line, "1 in use (") || strings.Contains(line, "costs the same") {
			t.Errorf("%s: %s", ex, line)
		}
	}
}

// One node reads "1 instance", not "1 instances".
func TestNodesPerHour_Singular(t *testing.T) {
	for _, c := range []struct {
		pl   placement.Pool
		want string
	}{
		{placement.Pool{MinNodes: 1, PeakNodes: 1}, "1 instance"},
		{placement.Pool{MinNodes: 2, PeakNodes: 2}, "2 instances"},
		{placement.Pool{MinNodes: 1, PeakNodes: 3}, "1-3 instances"},
		{placement.Pool{MinNodes: 1, PeakNodes: 1, OnPrem: "dc"}, "1 GPU serving"},
	} {
		if got := nodesPerHour(&c.pl); got != c.want {
			t.Errorf("%+v: %q, want %q", c.pl, got, c.want)
		}
	}
}

// An undated price is not given "as of undated".
func TestLineNote_Undated(t *testing.T) {
	if got := lineNote(costpkg.Component{AsOf: "undated (catalog commit 00148f2af367)"}); got != "  [price undated (catalog commit 00148f2af367)]" {
		t.Errorf("got %q", got)
	}
	if got := lineNote(costpkg.Component{AsOf: "2026-11-27"}); got != "  [price as of 2026-11-27]" {
		t.Errorf("got %q", got)
	}
}

// Frontier latencies read in a unit that fits them.
func TestLatency_Units(t *testing.T) {
	for ms, want := range map[float64]string{366: "366 ms", 9999: "9999 ms", 12_345: "12.3 s", 3105357: "51.8 min", 5.7 * 3.6e6: "5.7 h"} {
		if got := latency(&search.Option{LatencyMs: ms}); got != want {
			t.Errorf("latency(%v ms) = %q, want %q", ms, got, want)
		}
	}
}

// A cost that rounds to nothing reads "<$1", not "$0"; a batch job's
// headline gives its busy time in a unit that reads and says its rate is
// one replica's.
func TestUSDAndBatchHeadline(t *testing.T) {
	for v, want := range map[float64]string{0: "$0", 0.02: "<$1", 0.6: "$1", 1234: "$1234", 12345: "$12.3k"} {
		if got := USD(v); got != want {
			t.Errorf("USD(%v) = %q, want %q", v, got, want)
		}
	}
	w := &plan.Workload{Result: search.Result{Choice: &search.Option{Metrics: search.Metrics{WallHours: 4e-6, TokensPerSecond: 666}}}}
	if got := Headline(w); got != "14 ms/day at 666 output tok/s per replica" {
		t.Errorf("headline %q", got)
	}
}
