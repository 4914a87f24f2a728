package placement

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/aiplan-dev/aiplan/cost"
	"github.com/aiplan-dev/aiplan/search"
	"github.com/aiplan-dev/aiplan/spec"
)

// syntheticInstances are on-demand instance types on three clouds (the
// catalog's first few of each), so pools, clouds and cross-cloud flows
// all come into play.
func syntheticInstances() []string {
	var ids []string
	per := map[string]int{}
	for _, in := range cat.Instances {
		switch in.Cloud {
		case "aws", "gcp", "nebius":
		default:
			continue
		}
		if in.PriceOnDemand != nil && in.AcceleratorCount >= 1 && per[in.Cloud] < 3 {
			per[in.Cloud]++
			ids = append(ids, in.ID)
		}
	}
	return ids
}

// synthetic is n workloads of a multi-cloud plan: every fourth an
// embeddings index, the others RAG endpoints with traffic (so data flows
// between every endpoint and every index), each with a shortlist of five
// options on the instance types of three clouds; every fifth also has a
// per-token API option outside any pool, and with owned, every third an
// option on a 16-accelerator owned pool.
func synthetic(tb testing.TB, n int, owned bool) Input {
	ids := syntheticInstances()
	k := &spec.Constraints{Clouds: []string{"aws", "gcp", "nebius"}}
	if owned {
		k.OnPrem = []spec.OnPrem{{Name: "lab", Accelerator: "h100-sxm", Count: 16, USDPerKWh: 0.1, CapexUSD: 480000, AmortizationYears: 4}}
	}
	burst, err := cat.Instance("nebius/gpu-h100-sxm_1gpu-16vcpu-200gb/eu-north1")
	if err != nil {
		tb.Fatal(err)
	}
	var ws []Workload
	for i := 0; i < n; i++ {
		w := &spec.Workload{Name: fmt.Sprintf("w%05d", i), Type: spec.LLMInference,
			Traffic: &spec.Traffic{PeakRequestsPerSecond: float64(1 + i%7), DailyProfile: "business-hours", InputTokens: float64(500 + 100*(i%5))}}
		if i%4 == 3 {
			w = &spec.Workload{Name: fmt.Sprintf("w%05d", i), Type: spec.Embeddings}
		}
		ww := Workload{Spec: w}
		for j := 0; j < 5; j++ {
			id := ids[(i*7+j*5)%len(ids)]
			in, _ := cat.Instance(id)
			g := 1 << (j % 2)
			if g > in.AcceleratorCount {
				g = 1
			}
			ww.Options = append(ww.Options, endpoint(tb, id, g, 1+i%3, cost.OnDemand))
		}
		if i%5 == 0 {
			ww.Options = append(ww.Options, search.Option{Summary: "per-token API", Pricing: cost.API, MonthlyUSD: 3000 + float64(i%11)*700})
		}
		if owned && i%3 == 0 {
			reps := cost.Flat(1 + i%2)
			ww.Options = append(ww.Options, search.Option{Summary: "on-prem", Accelerator: "h100-sxm", GPUsPerUnit: 1, OnPrem: "lab", Pricing: cost.OnPrem,
				Demand: &search.Demand{Mode: cost.OnPrem, OnPrem: "lab", GPUs: 1, PerInstance: 1, Instance: burst, Replicas: reps}})
		}
		ws = append(ws, ww)
	}
	return Input{Workloads: ws, Constraints: k, Catalog: cat, Pricer: cost.NewPricer(cat, nil), Hours: 730, TeamSize: 10}
}

// fullTotal prices an assignment from nothing, the way the search priced
// every move before it kept running sums: a fresh state with the same
// choices, every pool re-packed and re-billed in key order, every option
// outside pools, every cloud in use and every endpoint-index pair of
// workloads whose clouds differ.
func fullTotal(in *Input, choice []int) float64 {
	s := newState(in)
	s.init()
	for i, j := range choice {
		s.set(i, j)
	}
	t := 0.0
	for i := range in.Workloads {
		if o := s.opt(i); o != nil && o.Demand == nil {
			t += o.MonthlyUSD + o.OneOffUSD
		}
	}
	for _, k := range s.keys {
		p := s.pools[k]
		if len(p.members) == 0 && !p.owned() {
			continue
		}
		if p.onprem != nil {
			t += p.onPremCost(s).marginal
		} else {
			t += p.instanceCost(s).marginal
		}
	}
	for _, c := range s.usedClouds() {
		t += s.cloudFixed(c)
	}
	rate, _, _ := in.Pricer.Rate("egress-internet")
	for a, wa := range in.Workloads {
		tr := wa.Spec.Traffic
		if wa.Spec.Type != spec.LLMInference || tr == nil {
			continue
		}
		gb := tr.PeakRequestsPerSecond * cost.ShapeOf(tr).MeanFraction() * in.Hours * 3600 * 4 * tr.InputTokens / 1e9
		for b, wb := range in.Workloads {
			if wb.Spec.Type != spec.Embeddings {
				continue
			}
			ca, cb := cloudOf(s.opt(a)), cloudOf(s.opt(b))
			if ca != "" && cb != "" && ca != cb {
				t += gb * rate
			}
		}
	}
	return t
}

func close6(a, b float64) bool {
	if math.IsInf(a, 1) || math.IsInf(b, 1) {
		return a == b
	}
	return math.Abs(a-b) <= 1e-6*math.Max(math.Abs(b), 1)
}

// The running sums the search weighs moves by equal a full recomputation
// after any sequence of moves, and undo restores the assignment and the
// total.
func TestTotal_RunningSumsEqualFullRecomputation(t *testing.T) {
	for _, owned := range []bool{false, true} {
		in := synthetic(t, 120, owned)
		s := newState(&in)
		s.init()
		if got, want := s.total(), fullTotal(&in, s.choice); !close6(got, want) {
			t.Fatalf("owned=%v: initial total %.6f, full %.6f", owned, got, want)
		}
		rng := rand.New(rand.NewPCG(1, 2))
		for step := 0; step < 600; step++ {
			i := rng.IntN(len(in.Workloads))
			s.set(i, rng.IntN(len(in.Workloads[i].Options)))
			if step%7 == 0 {
				// Two moves between totals: a pool touched twice is
				// re-priced once, and correctly.
				j := rng.IntN(len(in.Workloads))
				s.set(j, rng.IntN(len(in.Workloads[j].Options)))
			}
			if got, want := s.total(), fullTotal(&in, s.choice); !close6(got, want) {
				t.Fatalf("owned=%v, step %d: running total %.6f, full %.6f", owned, step, got, want)
			}
			if step%50 == 0 {
				before, choice := s.total(), append([]int(nil), s.choice...)
				s.begin()
				for k := 0; k < 30; k++ {
					i := rng.IntN(len(in.Workloads))
					s.set(i, rng.IntN(len(in.Workloads[i].Options)))
				}
				s.undo()
				if !reflect.DeepEqual(s.choice, choice) {
					t.Fatalf("step %d: undo left a different assignment", step)
				}
				if got := s.total(); !close6(got, before) {
					t.Fatalf("step %d: total after undo %.6f, before %.6f", step, got, before)
				}
			}
		}
		// The flows crossed clouds along the way, so egress was weighed.
		if !s.egressOK {
			t.Errorf("owned=%v: no move put an endpoint and an index on different clouds", owned)
		}
		run := s.total()
		s.resync()
		if got := s.total(); !close6(run, got) {
			t.Errorf("owned=%v: running %.6f, resynced %.6f", owned, run, got)
		}
	}
}

// The result's egress lines are the endpoint-index pairs on different
// clouds, and they add up to the egress the search weighed.
func TestResult_EgressLinesAreTheCrossingPairs(t *testing.T) {
	in := synthetic(t, 80, false)
	s := newState(&in)
	s.init()
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range in.Workloads {
		s.set(i, rng.IntN(len(in.Workloads[i].Options)))
	}
	weighed := s.total() - s.unpooled - s.sums.pools
	egress := s.egressUSD()
	r := s.result()
	var crossing int
	for a, wa := range in.Workloads {
		for b, wb := range in.Workloads {
			if wa.Spec.Type != spec.LLMInference || wb.Spec.Type != spec.Embeddings {
				continue
			}
			if ca, cb := cloudOf(s.opt(a)), cloudOf(s.opt(b)); ca != "" && cb != "" && ca != cb {
				crossing++
			}
		}
	}
	if crossing == 0 || len(r.Egress) != crossing {
		t.Fatalf("%d egress lines, %d crossing pairs", len(r.Egress), crossing)
	}
	if got := cost.Sum(r.Egress); !close6(got, egress) || egress <= 0 || weighed < egress {
		t.Errorf("egress lines add up to %.6f, the search weighed %.6f", got, egress)
	}
}

// Placement is deterministic: the same input places the same way.
func TestPlace_Deterministic(t *testing.T) {
	a := Place(synthetic(t, 150, true))
	b := Place(synthetic(t, 150, true))
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two placements of the same input differ")
	}
}

// The totals the search weighs grow linearly with the workloads: each
// round weighs every option once, and the rounds are bounded.
func TestImprove_WeighsLinearlyMany(t *testing.T) {
	weighed := func(n int) (int, int) {
		in := synthetic(t, n, false)
		s := newState(&in)
		s.init()
		s.improve()
		return s.weighed, s.moves
	}
	small, m1 := weighed(250)
	large, m2 := weighed(1000)
	if m1 == 0 || m2 == 0 {
		t.Fatalf("no moves (%d, %d): the test weighs nothing", m1, m2)
	}
	t.Logf("250 workloads: %d totals weighed, %d moves; 1,000: %d, %d", small, m1, large, m2)
	if float64(large) > 4*1.5*float64(small) {
		t.Errorf("250 workloads weigh %d totals, 1,000 weigh %d: more than linear", small, large)
	}
}

// The ejection step stops weighing within its budget (plus the try under
// way) each round.
func TestEject_StaysWithinItsBudget(t *testing.T) {
	defer func(b int) { ejectBudget = b }(ejectBudget)
	ejectBudget = 500
	in := synthetic(t, 600, true)
	s := newState(&in)
	s.init()
	s.improve() // fills the owned pool
	members := len(s.pools["on-prem/lab"].members)
	if members < 2 {
		t.Fatalf("%d members on the owned pool: nothing to eject", members)
	}
	// One try weighs each other member's options and the current choice,
	// then the result; the largest shortlist has 7 options.
	try := members*(7+1) + 1
	cur := s.total()
	before := s.weighed
	s.eject(&cur, 0.005)
	if got := s.weighed - before; got > ejectBudget+try || got < ejectBudget {
		t.Errorf("eject weighed %d totals, budget %d (+ up to %d for the try under way)", got, ejectBudget, try)
	}
	if s.ejectFrom == 0 {
		t.Error("the budget ran out, yet the next round starts from the first workload again")
	}
}

func benchmarkPlace(b *testing.B, n int) {
	in := synthetic(b, n, false)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		in.Pricer = cost.NewPricer(cat, nil)
		r := Place(in)
		b.ReportMetric(float64(len(r.Pools)), "pools")
		b.ReportMetric(float64(r.Moves), "moves")
	}
}

// BenchmarkPlace_1000 and BenchmarkPlace_10000 place endpoints and
// embeddings indices spread over three clouds (every endpoint-index pair a
// data flow: 1.9 million pairs at 10,000).
func BenchmarkPlace_1000(b *testing.B)  { benchmarkPlace(b, 1000) }
func BenchmarkPlace_10000(b *testing.B) { benchmarkPlace(b, 10000) }
