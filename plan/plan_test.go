package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aiplan-dev/aiplan/catalog"
	"github.com/aiplan-dev/aiplan/placement"
	"github.com/aiplan-dev/aiplan/search"
	"github.com/aiplan-dev/aiplan/spec"
)

var cat = catalog.MustDefault()

func build(t testing.TB, src string) *Plan {
	t.Helper()
	f, ds := spec.Load([]byte(src), "test.yaml", cat)
	if ds.HasErrors() {
		t.Fatal(ds.Err())
	}
	return Build(f, cat)
}

func buildFile(t testing.TB, path string) *Plan {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return build(t, string(b))
}

func chat(model string, rps float64, extra string) string {
	return fmt.Sprintf(`apiVersion: aiplan.dev/v1
kind: Plan
metadata: {name: t}
%s
workloads:
  - name: chat
    type: llm-inference
    model: %s
    traffic: {peakRequestsPerSecond: %g, dailyProfile: flat, inputTokens: 1000, outputTokens: 200}
    slo: {ttftP99Ms: 2000, tpotP99Ms: 80}
`, extra, model, rps)
}

func TestExamples_AllPlanWithAChoice(t *testing.T) {
	files, _ := filepath.Glob("../examples/*.yaml")
	for _, f := range files {
		p := buildFile(t, f)
		for _, w := range p.Workloads {
			if w.Choice == nil {
				t.Errorf("%s/%s: no choice (%d rejected)", f, w.Workload, len(w.Rejected))
			}
		}
		if p.Totals.MonthlyUSD <= 0 {
			t.Errorf("%s: zero cost", f)
		}
		if _, err := json.Marshal(p); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func TestPlan_70BFP16_NeverOn24GBGPU(t *testing.T) {
	p := build(t, strings.Replace(chat("llama-3.1-70b", 2, ""), "    slo:", "    precision: [fp16]\n    slo:", 1))
	w := p.Workloads[0]
	opts := append(w.Alternatives, w.Frontier...)
	if w.Choice != nil {
		opts = append(opts, *w.Choice)
	}
	for _, o := range opts {
		a, err := cat.Accelerator(o.Accelerator)
		if err != nil {
			continue
		}
		perGPU := 70.6e9 * 2 / float64(max(o.TP, 1)) / (1 << 30)
		if a.MemoryGB <= 24 && perGPU > a.MemoryGB {
			t.Errorf("70B fp16 placed on %s with tp=%d (%.0f GB of weights per GPU)", a.ID, o.TP, perGPU)
		}
	}
	// And a single 24 GB GPU is always rejected for memory.
	found := false
	for _, r := range w.Rejected {
		if strings.HasPrefix(r.Rejected, "memory") {
			found = true
		}
	}
	if !found {
		t.Error("expected memory rejections")
	}
}

func TestPlan_EUResidency_NeverOutsideEU(t *testing.T) {
	p := buildFile(t, "../examples/eu-enterprise.yaml")
	checked := 0
	for _, w := range p.Workloads {
		opts := append([]search.Option(nil), w.Alternatives...)
		if w.Choice != nil {
			opts = append(opts, *w.Choice)
		}
		for _, o := range opts {
			if o.Region == "" {
				continue
			}
			checked++
			if r, known := cat.Region(o.Region); !known || r.Jurisdiction != "eu" {
				t.Errorf("%s: %s in %s", w.Workload, o.Summary, o.Region)
			}
		}
	}
	if checked == 0 {
		t.Error("no option with a region to check")
	}
}

func TestPlan_BudgetOverrun_Reported(t *testing.T) {
	p := build(t, chat("llama-3.1-70b", 30, "constraints: {budgetUSDPerMonth: 100}"))
	if p.Budget == nil || p.Budget.Within || p.Budget.OverrunUSD <= 0 {
		t.Fatalf("budget %+v", p.Budget)
	}
	if !strings.Contains(strings.Join(p.Warnings, "\n"), "over the") {
		t.Errorf("no overrun warning: %v", p.Warnings)
	}
}

func TestPlan_SpotForLatencyCritical_OnlyWithFallbackUnlessAllowed(t *testing.T) {
	p := build(t, chat("llama-3.1-8b", 20, "constraints: {pricing: [spot, on-demand]}"))
	if c := p.Workloads[0].Choice; c == nil || c.Pricing == "spot" {
		t.Fatalf("latency-critical endpoint on pure spot: %+v", c)
	}
	for _, a := range p.Workloads[0].Alternatives {
		if a.Pricing == "spot" {
			t.Errorf("pure spot alternative without permission: %s", a.Summary)
		}
	}
	p = build(t, chat("llama-3.1-8b", 20, "constraints: {pricing: [spot, on-demand], allowSpotForLatencyCritical: true}"))
	if c := p.Workloads[0].Choice; c == nil || c.Pricing != "spot" {
		t.Errorf("with permission, the cheapest should be spot, got %+v", c.Pricing)
	}
}

func TestPlan_APIWinsAtLowTraffic_SelfHostAtHigh(t *testing.T) {
	// Without a latency SLO: the catalog states no API latency, so the API
	// is refused under one (search.TestAPI_HonoursSLOAndAccelerators).
	noSLO := func(s string) string { return strings.Replace(s, "    slo: {ttftP99Ms: 2000, tpotP99Ms: 80}\n", "", 1) }
	low := build(t, noSLO(chat("llama-3.1-8b", 0.01, "")))
	if c := low.Workloads[0].Choice; c == nil || c.Pricing != "api" {
		t.Errorf("at 0.01 req/s the per-token API should win, got %v", c.Summary)
	}
	withSLO := build(t, chat("llama-3.1-8b", 0.01, ""))
	if c := withSLO.Workloads[0].Choice; c == nil || c.Pricing == "api" {
		t.Errorf("under a TTFT SLO the API (no stated latency) must not be chosen, got %v", c)
	}
	high := build(t, noSLO(chat("llama-3.1-8b", 100, "")))
	if c := high.Workloads[0].Choice; c == nil || c.Pricing == "api" {
		t.Errorf("at 100 req/s self-hosting should win, got %v", c.Summary)
	}
	if be := high.Workloads[0].APIBreakEvenRPS; be <= 0.01 || be >= 100 {
		t.Errorf("break-even %v req/s should lie between the two", be)
	}
}

func TestPlan_HIPAA_OnlyEligibleClouds(t *testing.T) {
	p := buildFile(t, "../examples/hipaa-clinical.yaml")
	for _, w := range p.Workloads {
		if c := w.Choice; c != nil && c.Cloud != "" && !cat.HIPAAEligible(c.Cloud) {
			t.Errorf("%s on %s", w.Workload, c.Cloud)
		}
	}
}

func TestPlan_Deterministic(t *testing.T) {
	a, _ := json.Marshal(buildFile(t, "../examples/eu-enterprise.yaml"))
	b, _ := json.Marshal(buildFile(t, "../examples/eu-enterprise.yaml"))
	if !bytes.Equal(a, b) {
		t.Error("same input gave different plans")
	}
}

func TestPlan_TotalsEqualSumOfWorkloads(t *testing.T) {
	p := buildFile(t, "../examples/hybrid-onprem.yaml")
	sum := 0.0
	for _, w := range p.Totals.ByWorkload {
		sum += w.MonthlyUSD
	}
	if d := sum - p.Totals.MonthlyUSD; d > 1e-6 || d < -1e-6 {
		t.Errorf("totals %v vs sum %v", p.Totals.MonthlyUSD, sum)
	}
	cat := 0.0
	for _, a := range p.Totals.ByCategory {
		cat += a.MonthlyUSD
	}
	if d := cat - p.Totals.MonthlyUSD; d > 1e-6 || d < -1e-6 {
		t.Errorf("by-category %v vs total %v", cat, p.Totals.MonthlyUSD)
	}
}

func TestPlan_MoreTrafficCostsMore(t *testing.T) {
	prev := 0.0
	for _, rps := range []float64{1, 10, 100} {
		p := build(t, chat("llama-3.1-8b", rps, "constraints: {pricing: [on-demand]}"))
		if p.Totals.MonthlyUSD < prev {
			t.Errorf("%g req/s costs %v < %v", rps, p.Totals.MonthlyUSD, prev)
		}
		prev = p.Totals.MonthlyUSD
	}
}

func TestPlan_ServerlessScalesToZeroForSparseTraffic(t *testing.T) {
	src := `apiVersion: aiplan.dev/v1
kind: Plan
metadata: {name: t}
constraints: {pricing: [on-demand, serverless]}
workloads:
  - name: internal-tool
    type: llm-inference
    model: llama-3.1-8b
    traffic: {peakRequestsPerSecond: 0.5, inputTokens: 500, outputTokens: 200, hourly: [0,0,0,0,0,0,0,0,1,1,1,1,1,1,1,1,1,1,0,0,0,0,0,0]}
`
	p := build(t, src)
	c := p.Workloads[0].Choice
	if c == nil || c.Pricing != "serverless" || c.ReplicasMin != 0 {
		t.Fatalf("sparse business-hours traffic without an SLO should scale to zero on serverless, got %+v", c)
	}
	// A TTFT SLO shorter than a cold start keeps one replica warm.
	withSLO := src + "    slo: {ttftP99Ms: 2000}\n"
	p = build(t, withSLO)
	if p.Workloads[0].Spec.SLO == nil {
		t.Fatal("SLO not applied")
	}
	for _, o := range append(p.Workloads[0].Alternatives, *p.Workloads[0].Choice) {
		if o.Pricing == "serverless" && o.ReplicasMin < 1 {
			t.Errorf("serverless with a 2 s TTFT SLO must keep a warm replica: %+v", o.Summary)
		}
	}
}

func TestPlan_CommitmentsUsedFirstAndOnlyOnce(t *testing.T) {
	src := `apiVersion: aiplan.dev/v1
kind: Plan
metadata: {name: t}
constraints:
  clouds: [aws]
  pricing: [on-demand]
  commitments:
    - {cloud: aws, instanceType: p5.48xlarge, region: us-east-1, count: 1}
workloads:
  - name: a
    type: llm-inference
    model: llama-3.1-70b
    traffic: {peakRequestsPerSecond: 3, dailyProfile: flat, inputTokens: 1000, outputTokens: 200}
    slo: {ttftP99Ms: 2000, tpotP99Ms: 80}
  - name: b
    type: llm-inference
    model: llama-3.1-70b
    traffic: {peakRequestsPerSecond: 3, dailyProfile: flat, inputTokens: 1000, outputTokens: 200}
    slo: {ttftP99Ms: 2000, tpotP99Ms: 80}
`
	p := build(t, src)
	a, b := p.Workloads[0].Choice, p.Workloads[1].Choice
	if a == nil || !a.Pricing.Owned() || a.SunkUSD <= 0 {
		t.Fatalf("the committed p5 should serve the first workload: %+v", a)
	}
	// Both workloads pack into the one committed instance's pool; the
	// commitment is counted once, whole, and hours beyond it are bought.
	var pool *placement.Pool
	for i := range p.Placement.Pools {
		if p.Placement.Pools[i].Commitment != "" {
			pool = &p.Placement.Pools[i]
		}
	}
	if pool == nil || pool.Owned != 1 {
		t.Fatalf("no committed pool: %+v", p.Placement.Pools)
	}
	if b != nil && b.Commitment != "" && len(pool.Workloads) != 2 {
		t.Errorf("b on the commitment but not in its pool: %v", pool.Workloads)
	}
	if got, want := p.Totals.SunkUSD, pool.SunkUSD; math.Abs(got-want) > 0.01 || want <= 0 {
		t.Errorf("sunk %v, want the commitment once: %v", got, want)
	}
	bad := strings.Replace(src, "p5.48xlarge", "p9.mega", 1)
	if _, ds := spec.Load([]byte(bad), "t.yaml", cat); !ds.HasErrors() {
		t.Error("unknown committed instance accepted")
	}
}

// A sub-8-bit choice the file did not ask for is a warning of the plan,
// not only a note under --explain.
func TestPlan_Sub8BitChoiceWarns(t *testing.T) {
	src := `apiVersion: aiplan.dev/v1
kind: Plan
metadata: {name: t}
workloads:
  - name: chat
    type: llm-inference
    model: llama-3.1-405b
    accelerators: [l40s]
    traffic: {peakRequestsPerSecond: 0.2, dailyProfile: flat, inputTokens: 1000, outputTokens: 200}
    slo: {ttftP99Ms: 20000, tpotP99Ms: 400}
`
	p := build(t, src)
	c := p.Workloads[0].Choice
	if c == nil || c.Precision != "int4" {
		t.Fatalf("405B on 8 x 48 GB fits only in int4, got %+v", c)
	}
	if !strings.Contains(strings.Join(p.Warnings, "\n"), "chat: quality: int4 weights") {
		t.Errorf("no quality warning: %v", p.Warnings)
	}
	p = build(t, strings.Replace(src, "    accelerators:", "    precision: [int4]\n    accelerators:", 1))
	if strings.Contains(strings.Join(p.Warnings, "\n"), "quality:") {
		t.Errorf("int4 asked for in the file still warns: %v", p.Warnings)
	}
}
