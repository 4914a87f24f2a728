package plan

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aiplan-dev/aiplan/catalog"
	"github.com/aiplan-dev/aiplan/cost"
	"github.com/aiplan-dev/aiplan/search"
	"github.com/aiplan-dev/aiplan/spec"
)

// billedInstanceHours is the instance-hours an option's lines buy (spot
// hours without the interruption allowance).
func billedInstanceHours(o *search.Option) float64 {
	t := 0.0
	for _, c := range o.Components {
		if c.Unit == "instance-hours" && !c.Sunk {
			t += c.Quantity
		}
	}
	return t
}

// shortlist is the options placement chose from for w: the plan lets them
// go once placed, so search again as the plan did.
func shortlist(p *Plan, w *Workload) []search.Option {
	k := p.Constraints
	return search.NewEnv(p.Catalog, &k).Search(w.Spec).Shortlist
}

// checkWholeInstances fails when any option of the plan is billed for less
// than whole instances: every hour's replicas need ceil(replicas /
// replicas-per-instance) instances, each billed for the hour.
func checkWholeInstances(t *testing.T, name string, p *Plan) {
	t.Helper()
	for _, w := range p.Workloads {
		opts := append(shortlist(p, &w), w.Alternatives...)
		for i := range opts {
			o := &opts[i]
			d := o.Demand
			if d == nil || d.Instance == nil || !o.Pricing.PerInstance() || o.Pricing.Owned() {
				continue
			}
			need := cost.InstancesFor(d.Replicas, d.PerInstance).Hours(730)
			if got := billedInstanceHours(o); got < need-1e-6 {
				t.Errorf("%s/%s: %s billed %.1f instance-hours, whole instances need %.1f", name, w.Workload, o.Summary, got, need)
			}
		}
	}
	for _, pl := range p.Placement.Pools {
		if pl.OnPrem != "" {
			continue
		}
		used := 0.0
		for _, w := range p.Workloads {
			if w.Choice != nil && w.Choice.NodePool == pl.Key && w.Choice.Demand != nil {
				used += w.Choice.Demand.Replicas.Hours(730) * float64(w.Choice.Demand.GPUs)
			}
		}
		if paid := pl.NodeHours * float64(pl.GPUsPerNode); used > paid+1e-6 {
			t.Errorf("%s: pool %s pays %.0f GPU-hours for %.0f used", name, pl.Key, paid, used)
		}
		if pl.Nodes.Hours(730) != pl.NodeHours {
			t.Errorf("%s: pool %s node-hours do not match its nodes", name, pl.Key)
		}
	}
}

// checkTotals fails when the plan's sums do not add up.
func checkTotals(t *testing.T, name string, p *Plan) {
	t.Helper()
	tt := p.Totals
	if math.Abs(tt.CashOutUSD+tt.SunkUSD-tt.MonthlyUSD) > 0.01 {
		t.Errorf("%s: cash out %.2f + sunk %.2f != total %.2f", name, tt.CashOutUSD, tt.SunkUSD, tt.MonthlyUSD)
	}
	for _, list := range [][]Amount{tt.ByCategory, tt.ByCloud, tt.ByWorkload} {
		s := 0.0
		for _, a := range list {
			s += a.MonthlyUSD
		}
		if math.Abs(s-tt.MonthlyUSD) > 0.01*math.Max(1, tt.MonthlyUSD/1000) {
			t.Errorf("%s: breakdown %v sums to %.2f, total %.2f", name, list, s, tt.MonthlyUSD)
		}
	}
}

func TestExamples_WholeInstancesTotalsAndNoFlaggedPrices(t *testing.T) {
	files, _ := filepath.Glob("../examples/*.yaml")
	if len(files) == 0 {
		t.Fatal("no examples")
	}
	for _, f := range files {
		p := buildFile(t, f)
		name := filepath.Base(f)
		checkWholeInstances(t, name, p)
		checkTotals(t, name, p)
		for _, w := range p.Workloads {
			if w.Choice == nil || w.Choice.Instance == "" {
				continue
			}
			in, err := cat.Instance(w.Choice.Cloud + "/" + w.Choice.Instance + "/" + w.Choice.Region)
			if err == nil && in.PriceFlag != "" {
				t.Errorf("%s/%s: chose a flagged price: %s", name, w.Workload, in.PriceFlag)
			}
		}
		a, _ := json.Marshal(p)
		b, _ := json.Marshal(buildFile(t, f))
		if string(a) != string(b) {
			t.Errorf("%s: two builds differ", name)
		}
	}
}

func TestBuild_DoesNotChangeItsInput(t *testing.T) {
	b := readExample(t, "hybrid-onprem.yaml")
	f, ds := spec.Load(b, "x", cat)
	if ds.HasErrors() {
		t.Fatal(ds.Err())
	}
	before, _ := json.Marshal(f)
	Build(f, cat)
	after, _ := json.Marshal(f)
	if string(before) != string(after) {
		t.Error("Build changed the workload file it was given")
	}
}

func TestScenario_SmallAlwaysOnEndpoint_PaysWholeInstance(t *testing.T) {
	// One 8-GPU instance type only: a single replica still pays for the
	// whole instance, every hour.
	p := build(t, `apiVersion: aiplan.dev/v1
kind: Plan
metadata: {name: small}
constraints: {clouds: [aws], regions: [us-east-1], pricing: [on-demand]}
workloads:
  - name: bot
    type: llm-inference
    model: llama-3.1-8b
    accelerators: [h200-sxm]
    traffic: {peakRequestsPerSecond: 0.5, dailyProfile: flat, inputTokens: 500, outputTokens: 200}
    slo: {ttftP99Ms: 2000, tpotP99Ms: 80}
`)
	ch := p.Workloads[0].Choice
	if ch == nil {
		t.Fatal("no choice")
	}
	in, _ := cat.Instance("aws/p5en.48xlarge/us-east-1")
	if ch.Instance != in.InstanceType {
		t.Fatalf("unexpected choice %s", ch.Summary)
	}
	if want := 730 * *in.PriceOnDemand; ch.MonthlyUSD < want-1 {
		t.Errorf("one replica on an 8-GPU instance costs %.0f, the instance costs %.0f", ch.MonthlyUSD, want)
	}
	checkWholeInstances(t, "small", p)
}

func TestScenario_ThreeWorkloadsShareNodes(t *testing.T) {
	ep := func(name string) string {
		return `
  - name: ` + name + `
    type: llm-inference
    model: llama-3.1-8b
    accelerators: [h200-sxm]
    traffic: {peakRequestsPerSecond: 0.5, dailyProfile: flat, inputTokens: 500, outputTokens: 200}
    slo: {ttftP99Ms: 2000, tpotP99Ms: 80}`
	}
	p := build(t, `apiVersion: aiplan.dev/v1
kind: Plan
metadata: {name: shared}
constraints: {clouds: [aws], regions: [us-east-1], pricing: [on-demand]}
workloads:`+ep("a")+ep("b")+ep("c")+"\n")
	var shared, standalone float64
	for _, w := range p.Workloads {
		if w.Choice == nil {
			t.Fatalf("%s: no choice", w.Workload)
		}
		shared += w.MonthlyUSD
		standalone += shortlist(p, &w)[0].MonthlyUSD
	}
	if len(p.Placement.Pools) != 1 || len(p.Placement.Pools[0].Workloads) != 3 {
		t.Fatalf("want one node pool holding the three endpoints: %+v", p.Placement.Pools)
	}
	pl := p.Placement.Pools[0]
	if pl.PeakNodes != 1 || pl.Utilisation <= 0 || pl.Utilisation > 1 {
		t.Errorf("three 1-GPU replicas fit one 8-GPU node: %d nodes, utilisation %.2f", pl.PeakNodes, pl.Utilisation)
	}
	if shared > standalone/3*1.01 {
		t.Errorf("sharing one node should cost a third: %.0f vs %.0f standalone", shared, standalone)
	}
	if !strings.Contains(p.Workloads[0].Choice.Summary, "shared with") {
		t.Errorf("the choice should say it shares its pool: %s", p.Workloads[0].Choice.Summary)
	}
	checkWholeInstances(t, "shared", p)
	checkTotals(t, "shared", p)
}

const ownedEndpoint = `apiVersion: aiplan.dev/v1
kind: Plan
metadata: {name: owned}
constraints:
  clouds: [aws]
  pricing: [on-demand]
  onPrem:
    - {name: lab, accelerator: %ACC%, count: 8, usdPerKWh: 0.12, capexUSD: 250000, amortizationYears: 4, region: us-east-1}
workloads:
  - name: bot
    type: llm-inference
    model: llama-3.1-8b
    accelerators: [h100-sxm]
    traffic: {peakRequestsPerSecond: 2, dailyProfile: flat, inputTokens: 500, outputTokens: 200}
    slo: {ttftP99Ms: 2000, tpotP99Ms: 80}
`

func TestScenario_OwnedCapacityServesFirst(t *testing.T) {
	p := build(t, strings.ReplaceAll(ownedEndpoint, "%ACC%", "h100-sxm"))
	ch := p.Workloads[0].Choice
	if ch == nil || ch.OnPrem != "lab" || !ch.Pricing.OnPremises() {
		t.Fatalf("the owned pool should serve the endpoint: %+v", ch)
	}
	// New spending is power only; capex and operations are sunk, whole.
	if ch.MonthlyUSD <= 0 || ch.MonthlyUSD > 2000 {
		t.Errorf("power for 8 GPUs should be its only new spending: %.0f", ch.MonthlyUSD)
	}
	if p.Totals.SunkUSD < 250000/48.0 || p.Totals.CashOutUSD >= p.Totals.MonthlyUSD {
		t.Errorf("sunk %.0f, cash out %.0f, total %.0f", p.Totals.SunkUSD, p.Totals.CashOutUSD, p.Totals.MonthlyUSD)
	}
	for _, a := range p.Workloads[0].Alternatives {
		if a.Pricing.PerInstance() && a.MonthlyUSD < ch.MonthlyUSD {
			t.Errorf("a cloud option is cheaper in new spending than owned capacity: %s", a.Summary)
		}
	}
	checkTotals(t, "owned", p)
}

func TestScenario_OwnedIdlePoolWarnsWithWhatItCouldHost(t *testing.T) {
	p := build(t, strings.ReplaceAll(ownedEndpoint, "%ACC%", "a100-sxm-80gb"))
	ch := p.Workloads[0].Choice
	if ch == nil || ch.OnPrem != "" {
		t.Fatalf("the endpoint may only run on h100: %+v", ch)
	}
	var warn string
	for _, w := range p.Warnings {
		if strings.HasPrefix(w, "idle owned capacity") {
			warn = w
		}
	}
	if !strings.Contains(warn, "lab") || !strings.Contains(warn, "serves nothing") || !strings.Contains(warn, "could host") {
		t.Errorf("idle pool warning: %q", warn)
	}
	if p.Totals.SunkUSD <= 0 {
		t.Error("an idle owned pool still costs its capex and operations (sunk)")
	}
	checkTotals(t, "idle", p)
}

func TestScenario_InfeasibleWorkloadIsListed(t *testing.T) {
	p := build(t, strings.Replace(chat("llama-3.1-70b", 5, ""), "ttftP99Ms: 2000, tpotP99Ms: 80", "ttftP99Ms: 1, tpotP99Ms: 1", 1))
	if got := p.Infeasible(); len(got) != 1 {
		t.Errorf("infeasible %v", got)
	}
}

func TestFlaggedPrices_ExcludedUnlessAllowed(t *testing.T) {
	c, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	src := `apiVersion: aiplan.dev/v1
kind: Plan
metadata: {name: flag}
constraints: {clouds: [aws], regions: [us-east-1], pricing: [on-demand]}
workloads:
  - name: bot
    type: llm-inference
    model: llama-3.1-8b
    accelerators: [h200-sxm, h100-sxm]
    traffic: {peakRequestsPerSecond: 2, dailyProfile: flat, inputTokens: 500, outputTokens: 200}
    slo: {ttftP99Ms: 2000, tpotP99Ms: 80}
`
	f, ds := spec.Load([]byte(src), "x", c)
	if ds.HasErrors() {
		t.Fatal(ds.Err())
	}
	first := Build(f, c).Workloads[0].Choice
	if first == nil {
		t.Fatal("no choice")
	}
	in, err := c.Instance(first.Cloud + "/" + first.Instance + "/" + first.Region)
	if err != nil {
		t.Fatal(err)
	}
	in.PriceFlag = "test: spot price of one zone only"
	p := Build(f, c)
	if ch := p.Workloads[0].Choice; ch != nil && ch.Instance == first.Instance {
		t.Errorf("the flagged instance was still chosen: %s", ch.Summary)
	}
	found := false
	for _, r := range p.Workloads[0].Rejected {
		found = found || strings.HasPrefix(r.Rejected, "price:")
	}
	if !found {
		t.Error("the flagged price should show among the rejected candidates")
	}
	allowed := BuildWith(f, c, Options{AllowFlaggedPrices: true})
	if ch := allowed.Workloads[0].Choice; ch == nil || ch.Instance != first.Instance {
		t.Errorf("with the opt-in the flagged price is usable again: %+v", ch)
	}
}

func readExample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The reported case: the hybrid example's 32 owned A100s served nothing.
func TestHybridExample_OwnedPoolServesBeforeCloud(t *testing.T) {
	p := buildFile(t, "../examples/hybrid-onprem.yaml")
	for _, pl := range p.Placement.Pools {
		if pl.OnPrem == "dc1-a100" {
			if len(pl.Workloads) == 0 || pl.Utilisation < 0.25 {
				t.Errorf("the owned pool serves %v at %.0f%%", pl.Workloads, pl.Utilisation*100)
			}
			if pl.SunkUSD <= 0 || pl.MonthlyUSD > 1000 {
				t.Errorf("owned pool: %.0f new spending, %.0f sunk", pl.MonthlyUSD, pl.SunkUSD)
			}
			return
		}
	}
	t.Error("no owned pool in the plan")
}

// A plan keeps only what its reports print: the shortlists placement chose
// from are let go (a plan of 10,000 workloads must fit in 1 GB).
func TestBuild_DropsShortlistsOncePlaced(t *testing.T) {
	p := buildFile(t, "../examples/eu-enterprise.yaml")
	for _, w := range p.Workloads {
		if w.Shortlist != nil {
			t.Errorf("%s: shortlist of %d options kept after placement", w.Workload, len(w.Shortlist))
		}
	}
	if len(p.Infeasible()) == len(p.Workloads) {
		t.Fatal("nothing placed")
	}
}
