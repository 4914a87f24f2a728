package placement

import (
	"fmt"
	"testing"

	"github.com/aiplan-dev/aiplan/catalog"
	"github.com/aiplan-dev/aiplan/cost"
	"github.com/aiplan-dev/aiplan/search"
	"github.com/aiplan-dev/aiplan/spec"
)

var cat = catalog.MustDefault()

func TestPack_ExactForPowerOfTwoSlicesFirstFitOtherwise(t *testing.T) {
	cases := []struct {
		items []item
		g     int
		want  int
	}{
		{nil, 8, 0},
		{[]item{{1, 3}}, 8, 1},
		{[]item{{1, 9}}, 8, 2},
		{[]item{{4, 1}, {2, 1}, {1, 2}}, 8, 1},
		{[]item{{8, 2}, {1, 1}}, 8, 3},
		{[]item{{4, 3}}, 8, 2},
		// 3-GPU replicas do not divide 8: two per node, first fit.
		{[]item{{3, 4}}, 8, 2},
		{[]item{{3, 3}, {2, 1}}, 8, 2},
		{[]item{{5, 2}, {3, 2}}, 8, 2},
	}
	for _, tc := range cases {
		items := append([]item(nil), tc.items...)
		if got := pack(items, tc.g); got != tc.want {
			t.Errorf("pack(%v, %d) = %d, want %d", tc.items, tc.g, got, tc.want)
		}
	}
}

// endpoint is a shortlist option for n replicas of g GPUs all day on an
// instance, on demand.
func endpoint(t testing.TB, id string, g, n int, mode cost.Mode) search.Option {
	t.Helper()
	in, err := cat.Instance(id)
	if err != nil {
		t.Fatal(err)
	}
	p := cost.NewPricer(cat, nil)
	per := in.AcceleratorCount / g
	reps := cost.Flat(n)
	comps, ok := p.Bill(in, mode, cost.InstancesFor(reps, per), id)
	if !ok {
		t.Fatalf("%s has no %s price", id, mode)
	}
	return search.Option{Summary: fmt.Sprintf("%d x %d GPUs on %s", n, g, id), Accelerator: in.Accelerator, GPUsPerUnit: g, Cloud: in.Cloud, Region: in.Region, Instance: in.InstanceType, Pricing: mode,
		Components: comps, MonthlyUSD: cost.Sum(comps), Demand: &search.Demand{Instance: in, Mode: mode, GPUs: g, PerInstance: per, Replicas: reps}}
}

func TestPlace_SharedPoolCostsLessThanStandaloneAndStaysWhole(t *testing.T) {
	k := &spec.Constraints{}
	var ws []Workload
	for i := 0; i < 5; i++ {
		ws = append(ws, Workload{Spec: &spec.Workload{Name: fmt.Sprintf("w%d", i), Type: spec.LLMInference}, Options: []search.Option{endpoint(t, "aws/p5.48xlarge/us-east-1", 2, 1, cost.OnDemand)}})
	}
	r := Place(Input{Workloads: ws, Constraints: k, Catalog: cat, Pricer: cost.NewPricer(cat, nil), Hours: 730})
	if len(r.Pools) != 1 {
		t.Fatalf("pools %+v", r.Pools)
	}
	pl := r.Pools[0]
	// 5 replicas x 2 GPUs = 10 GPUs: 2 whole 8-GPU nodes every hour.
	if pl.PeakNodes != 2 || pl.MinNodes != 2 || pl.NodeHours != 2*730 {
		t.Errorf("nodes %d-%d, %v node-hours", pl.MinNodes, pl.PeakNodes, pl.NodeHours)
	}
	if want := 10.0 / 16; pl.Utilisation != want {
		t.Errorf("utilisation %v, want %v", pl.Utilisation, want)
	}
	sum := 0.0
	for _, o := range r.Options {
		sum += o.MonthlyUSD
		if o.NodePool != pl.Key {
			t.Errorf("option not in the pool: %+v", o)
		}
	}
	if d := sum - pl.MonthlyUSD; d > 0.01 || d < -0.01 {
		t.Errorf("shares %.2f do not add up to the pool %.2f", sum, pl.MonthlyUSD)
	}
}

func TestPlace_OwnedPoolFirstThenBurst(t *testing.T) {
	k := &spec.Constraints{OnPrem: []spec.OnPrem{{Name: "lab", Accelerator: "h100-sxm", Count: 8, USDPerKWh: 0.1, CapexUSD: 240000, AmortizationYears: 4}}}
	in, _ := cat.Instance("aws/p5.4xlarge/us-east-1")
	onPrem := func(n int) search.Option {
		return search.Option{Summary: "on-prem", Accelerator: "h100-sxm", GPUsPerUnit: 1, OnPrem: "lab", Pricing: cost.OnPrem,
			Demand: &search.Demand{Mode: cost.OnPrem, OnPrem: "lab", GPUs: 1, PerInstance: 1, Instance: in, Replicas: cost.Flat(n)}}
	}
	ws := []Workload{
		{Spec: &spec.Workload{Name: "a"}, Options: []search.Option{endpoint(t, "aws/p5.4xlarge/us-east-1", 1, 5, cost.OnDemand), onPrem(5)}},
		{Spec: &spec.Workload{Name: "b"}, Options: []search.Option{endpoint(t, "aws/p5.4xlarge/us-east-1", 1, 5, cost.OnDemand), onPrem(5)}},
	}
	r := Place(Input{Workloads: ws, Constraints: k, Catalog: cat, Pricer: cost.NewPricer(cat, nil), Hours: 730})
	for i, o := range r.Options {
		if o.OnPrem != "lab" {
			t.Errorf("workload %d not on the owned pool: %s", i, o.Summary)
		}
	}
	// 10 one-GPU replicas > 8: the second workload bursts 2 replicas.
	if r.Options[1].Pricing != cost.OnPremBurst || r.Options[0].Pricing != cost.OnPrem {
		t.Errorf("pricing %s / %s", r.Options[0].Pricing, r.Options[1].Pricing)
	}
	if r.SunkUSD < 240000/48.0 {
		t.Errorf("sunk %.0f: the whole pool's capex is sunk", r.SunkUSD)
	}
}

// BenchmarkPlace1000Workloads packs 1,000 endpoints, each with a shortlist
// of 8 options over 24 instance types, and runs the local search.
func BenchmarkPlace1000Workloads(b *testing.B) {
	var ids []string
	for _, in := range cat.Instances {
		if in.AcceleratorCount >= 2 && in.PriceOnDemand != nil && len(ids) < 24 {
			ids = append(ids, in.ID)
		}
	}
	var ws []Workload
	for i := 0; i < 1000; i++ {
		w := Workload{Spec: &spec.Workload{Name: fmt.Sprintf("w%d", i), Type: spec.LLMInference}}
		for j := 0; j < 8; j++ {
			id := ids[(i*7+j*5)%len(ids)]
			in, _ := cat.Instance(id)
			g := 1 << (j % 2)
			if g > in.AcceleratorCount {
				g = 1
			}
			o := endpoint(b, id, g, 1+i%3, cost.OnDemand)
			w.Options = append(w.Options, o)
		}
		ws = append(ws, w)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := Place(Input{Workloads: ws, Constraints: &spec.Constraints{}, Catalog: cat, Pricer: cost.NewPricer(cat, nil), Hours: 730})
		b.ReportMetric(float64(len(r.Pools)), "pools")
		b.ReportMetric(float64(r.Moves), "moves")
	}
}
