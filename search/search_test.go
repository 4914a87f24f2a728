package search

import (
	"strings"
	"testing"
	"time"

	"github.com/aiplan-dev/aiplan/catalog"
	"github.com/aiplan-dev/aiplan/perf"
	"github.com/aiplan-dev/aiplan/spec"
)

var cat = catalog.MustDefault()

func chatWorkload() *spec.Workload {
	return &spec.Workload{Name: "chat", Type: spec.LLMInference, Model: &spec.ModelRef{ID: "llama-3.1-70b"},
		Traffic: &spec.Traffic{PeakRequestsPerSecond: 12, DailyProfile: "business-hours", InputTokens: 1800, OutputTokens: 300},
		SLO:     &spec.SLO{TTFTP99Ms: 1200, TPOTP99Ms: 60}}
}

// BenchmarkCandidates measures candidate evaluations per second: each
// candidate is one (accelerator, TP, precision, instance/region, pricing
// mode) priced over the traffic shape and checked against every constraint.
// The per-configuration performance (capacity at the SLO) is computed once
// per Env and cached, as in a plan.
func BenchmarkCandidates(b *testing.B) {
	env := NewEnv(cat, &spec.Constraints{})
	w := chatWorkload()
	env.Search(w) // warm the capacity cache
	b.ResetTimer()
	n := 0
	start := time.Now()
	for i := 0; i < b.N; i++ {
		n += env.Search(w).Evaluated
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "candidates/s")
}

// BenchmarkCandidatesCold includes the performance engine: a fresh Env
// every iteration, so every capacity-at-SLO bisection runs.
func BenchmarkCandidatesCold(b *testing.B) {
	w := chatWorkload()
	n := 0
	start := time.Now()
	for i := 0; i < b.N; i++ {
		n += NewEnv(cat, &spec.Constraints{}).Search(w).Evaluated
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "candidates/s")
}

func TestSearch_RejectsCarryReasons(t *testing.T) {
	env := NewEnv(cat, &spec.Constraints{Residency: "eu"})
	r := env.Search(chatWorkload())
	if r.Choice == nil {
		t.Fatal("no choice")
	}
	for _, o := range r.Rejected {
		if o.Rejected == "" || o.Summary == "" {
			t.Errorf("rejected option without reason or summary: %+v", o)
		}
	}
	if reg, _ := cat.Region(r.Choice.Region); reg == nil || reg.Jurisdiction != "eu" {
		t.Errorf("choice in %s", r.Choice.Region)
	}
}

func TestCollector_FrontierIsParetoOptimal(t *testing.T) {
	env := NewEnv(cat, &spec.Constraints{})
	r := env.Search(chatWorkload())
	for i, a := range r.Frontier {
		for j, b := range r.Frontier {
			if i != j && rankCost(&b) <= rankCost(&a) && b.LatencyMs < a.LatencyMs {
				t.Errorf("%s dominated by %s", a.Summary, b.Summary)
			}
		}
	}
	if r.Choice == nil || len(r.Frontier) == 0 || rankCost(r.Choice) > rankCost(&r.Frontier[0]) {
		t.Error("the choice should be the cheapest point")
	}
}

// A fixed replica count reads "20 replicas", not "20-20 replicas".
func TestReplicas_Wording(t *testing.T) {
	for _, c := range []struct {
		min, max int
		want     string
	}{{20, 20, "20 replicas"}, {1, 1, "1 replica"}, {1, 4, "1-4 replicas"}, {0, 3, "0-3 replicas"}} {
		if got := Replicas(c.min, c.max); got != c.want {
			t.Errorf("Replicas(%d, %d) = %q, want %q", c.min, c.max, got, c.want)
		}
	}
}

// A latency gain that rounds to 0% is no reason given for costing more.
func TestWhy_NoZeroPercentGain(t *testing.T) {
	choice := &Option{MonthlyUSD: 100, LatencyMs: 1196}
	if got := Why(choice, &Option{MonthlyUSD: 171, LatencyMs: 1195}); got != "costs 71% more" {
		t.Errorf("got %q", got)
	}
	if got := Why(choice, &Option{MonthlyUSD: 171, LatencyMs: 900}); got != "costs 71% more for 25% lower latency" {
		t.Errorf("got %q", got)
	}
}

// Edge LLMs reported and checked the mean TTFT/TPOT as p99, and edge
// classic models printed "0/s per replica".
func TestEdge_P99AndCapacity(t *testing.T) {
	env := NewEnv(cat, &spec.Constraints{})
	llm := env.Edge(&spec.Workload{Name: "e", Type: spec.Edge, Model: &spec.ModelRef{ID: "llama-3.2-1b"}, Device: "jetson-agx-orin",
		Traffic: &spec.Traffic{InputTokens: 200, OutputTokens: 100}})
	if llm.Choice == nil {
		t.Fatal("no choice")
	}
	m, _ := cat.Model("llama-3.2-1b")
	a, _ := cat.Accelerator("jetson-agx-orin")
	r, err := perf.Inference(perf.InferenceInput{Model: m, Accel: a, Eff: cat.Efficiency,
		Precision: catalog.Precision(llm.Choice.Precision), InputTokens: 200, OutputTokens: 100, Concurrency: 1, Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	if m := llm.Choice.Metrics; m.TTFTP99Ms != r.TTFTP99Ms || m.TPOTP99Ms != r.TPOTP99Ms || r.TTFTP99Ms <= r.TTFTMs {
		t.Errorf("edge TTFT/TPOT p99 %.1f/%.1f, engine p99 %.1f/%.1f (mean %.1f)", m.TTFTP99Ms, m.TPOTP99Ms, r.TTFTP99Ms, r.TPOTP99Ms, r.TTFTMs)
	}
	cl := env.Edge(&spec.Workload{Name: "c", Type: spec.Edge, Model: &spec.ModelRef{ID: "resnet-50"}, Device: "jetson-orin-nano"})
	if cl.Choice == nil || cl.Choice.CapacityPerReplica <= 0 {
		t.Errorf("edge classic capacity %+v", cl.Choice)
	}
}

// A short batch job's busy time is not rounded to "0.0 h/day".
func TestPerDay(t *testing.T) {
	for h, want := range map[float64]string{5.7: "5.7 h/day", 0.5: "30 min/day", 0.004: "14 s/day", 4e-6: "under 1 s/day"} {
		if got := perDay(h); got != want {
			t.Errorf("perDay(%v) = %q, want %q", h, got, want)
		}
	}
}

// A difference that rounds to 0% reads "under 1%".
func TestWhy_UnderOnePercent(t *testing.T) {
	if got := Why(&Option{MonthlyUSD: 11000, LatencyMs: 40}, &Option{MonthlyUSD: 11010, LatencyMs: 35}); got != "costs under 1% more for 12% lower latency" {
		t.Errorf("got %q", got)
	}
}

func TestWhy_UnderOnePercentLess(t *testing.T) {
	if got := Why(&Option{MonthlyUSD: 11000}, &Option{MonthlyUSD: 10990}); !strings.HasPrefix(got, "costs under 1% less on its own") {
		t.Errorf("got %q", got)
	}
}
