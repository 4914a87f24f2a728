package placement

import (
	"fmt"
	"math"

	"github.com/aiplan-dev/aiplan/cost"
	"github.com/aiplan-dev/aiplan/spec"
)

// The plan's total (what the local search minimises) is kept as running
// sums, so that weighing a move costs the two pools and the clouds it
// touches, not a pass over every pool and every pair of workloads:
//
//   - each pool's marginal cost is counted in sums.pools (or sums.inf when
//     its members do not fit) and re-priced, once, when a member joins or
//     leaves it (touch, then flush at the next total);
//   - options outside pools add to state.unpooled;
//   - clouds in use are counted in state.clouds; their fixed cost is priced
//     once per cloud;
//   - data flows between workloads are summed per cloud (see flows).
//
// resync recomputes every sum from the assignment, in a fixed order, at
// the start of each round and before figures are reported, so running sums
// cannot drift.

// sums are the running parts of the total.
type sums struct {
	pools float64 // the finite marginal costs of the counted pools
	inf   int     // counted pools whose members do not fit (cost +Inf)
	dirty []*pool // pools whose members changed since the last flush
	// Per cloud (indexed by flows.cloud): flow sources placed there and the
	// GB a month each of their flows carries, and flow sinks placed there.
	srcN  []int
	srcGB []float64
	sinkN []int
	sinks int // flow sinks placed on any cloud
}

// flows are the data moving between workloads of the plan: a RAG endpoint
// (an LLM endpoint with traffic, the source) sends each request's
// retrieved context (its input tokens, about 4 bytes each) to or from
// every embeddings index of the plan (the sinks). Each source-sink pair is
// a flow that pays internet egress when the two run on different clouds.
// The pairs are not listed: a flow's volume depends on its source alone,
// so the egress of all pairs is, per cloud c, the GB of the sources on c
// times the sinks on other clouds.
type flows struct {
	gb      []float64 // per workload: GB a month of each of its flows (sources)
	source  []bool
	sink    []bool
	sources []int // workload indices, file order
	sinks   []int
	cloud   map[string]int // a cloud's index in the per-cloud sums
}

func flowsOf(in *Input) flows {
	n := len(in.Workloads)
	f := flows{gb: make([]float64, n), source: make([]bool, n), sink: make([]bool, n), cloud: map[string]int{}}
	for i, w := range in.Workloads {
		if w.Spec == nil {
			continue
		}
		switch {
		case w.Spec.Type == spec.LLMInference && w.Spec.Traffic != nil:
			t := w.Spec.Traffic
			reqs := t.PeakRequestsPerSecond * cost.ShapeOf(t).MeanFraction() * in.Hours * 3600
			f.gb[i], f.source[i] = reqs*4*t.InputTokens/1e9, true
			f.sources = append(f.sources, i)
		case w.Spec.Type == spec.Embeddings:
			f.sink[i] = true
			f.sinks = append(f.sinks, i)
		}
	}
	if len(f.sources) == 0 || len(f.sinks) == 0 {
		// No pair: nothing flows.
		f.sources, f.sinks = nil, nil
		clear(f.source)
		clear(f.sink)
	}
	return f
}

// flowIn counts workload i's flows on cloud c (sign -1: takes them out).
func (s *state) flowIn(i int, c string, sign int) {
	f := &s.flows
	if !f.source[i] && !f.sink[i] {
		return
	}
	k, ok := f.cloud[c]
	if !ok {
		k = len(f.cloud)
		f.cloud[c] = k
		s.sums.srcN = append(s.sums.srcN, 0)
		s.sums.srcGB = append(s.sums.srcGB, 0)
		s.sums.sinkN = append(s.sums.sinkN, 0)
	}
	u := &s.sums
	if f.source[i] {
		u.srcN[k] += sign
		u.srcGB[k] += float64(sign) * f.gb[i]
		if u.srcN[k] == 0 {
			u.srcGB[k] = 0 // exactly, whatever rounding the sum collected
		}
	}
	if f.sink[i] {
		u.sinkN[k] += sign
		u.sinks += sign
	}
}

// egressUSD is the monthly egress of the flows whose ends run on different
// clouds.
func (s *state) egressUSD() float64 {
	u := &s.sums
	gb, crossing := 0.0, false
	for k, n := range u.srcN {
		if other := u.sinks - u.sinkN[k]; n > 0 && other > 0 {
			gb += u.srcGB[k] * float64(other)
			crossing = true
		}
	}
	if !crossing {
		return 0
	}
	if !s.egressOK {
		// A missing rate is asked again each time a total needs it, so the
		// plan's count of how often it was needed stays true.
		s.egress, _, s.egressOK = s.in.Pricer.Rate("egress-internet")
	}
	return gb * s.egress
}

// egressLines prices each flow crossing clouds in the final assignment,
// sources and sinks in file order.
func (s *state) egressLines(r *Result) {
	if s.egressUSD() == 0 {
		return
	}
	price, src, _ := s.in.Pricer.Rate("egress-internet")
	for _, a := range s.flows.sources {
		ca := cloudOf(s.opt(a))
		if ca == "" || s.flows.gb[a]*price <= 0 {
			continue
		}
		for _, b := range s.flows.sinks {
			cb := cloudOf(s.opt(b))
			if cb == "" || cb == ca {
				continue
			}
			what := fmt.Sprintf("retrieved context %s <-> %s", s.in.Workloads[a].Spec.Name, s.in.Workloads[b].Spec.Name)
			c := cost.Line(fmt.Sprintf("cross-cloud egress: %s (%s -> %s)", what, ca, cb), "network", "GB", s.flows.gb[a], price, src)
			r.Egress = append(r.Egress, c)
			r.MonthlyUSD += c.MonthlyUSD
		}
	}
}

// touch marks a pool whose members changed, to be re-priced at the next
// total.
func (s *state) touch(p *pool) {
	if !p.dirty {
		p.dirty = true
		s.sums.dirty = append(s.sums.dirty, p)
	}
}

// flush re-prices the touched pools and moves their contribution to the
// sums from the old price to the new.
func (s *state) flush() {
	for _, p := range s.sums.dirty {
		p.dirty = false
		v := 0.0
		if len(p.members) > 0 || p.owned() {
			v = p.cost(s).marginal
		}
		s.count(p.counted, -1)
		p.counted = v
		s.count(v, 1)
	}
	s.sums.dirty = s.sums.dirty[:0]
}

func (s *state) count(v float64, sign int) {
	if math.IsInf(v, 1) {
		s.sums.inf += sign
		return
	}
	s.sums.pools += float64(sign) * v
}

// total is the plan's new spending under the current assignment: what the
// local search minimises.
func (s *state) total() float64 {
	s.weighed++
	s.flush()
	t := s.unpooled
	if s.sums.inf > 0 {
		t = math.Inf(1)
	} else {
		t += s.sums.pools
	}
	for _, c := range s.usedClouds() {
		t += s.cloudFixed(c)
	}
	return t + s.egressUSD()
}

// resync recomputes the running sums from the assignment: pools in key
// order, options and flows in file order.
func (s *state) resync() {
	s.flush()
	u := &s.sums
	u.pools, u.inf = 0, 0
	for _, k := range s.keys {
		s.count(s.pools[k].counted, 1)
	}
	s.unpooled = 0
	clear(u.srcN)
	clear(u.srcGB)
	clear(u.sinkN)
	u.sinks = 0
	for i := range s.in.Workloads {
		o := s.opt(i)
		if o == nil {
			continue
		}
		if o.Demand == nil {
			s.unpooled += o.MonthlyUSD + o.OneOffUSD
		}
		if c := cloudOf(o); c != "" {
			s.flowIn(i, c, 1)
		}
	}
}
