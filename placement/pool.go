package placement

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/aiplan-dev/aiplan/catalog"
	"github.com/aiplan-dev/aiplan/cost"
	"github.com/aiplan-dev/aiplan/search"
	"github.com/aiplan-dev/aiplan/spec"
)

// pool is one node pool while the search runs.
type pool struct {
	key    string
	inst   *catalog.Instance // node type (nil for on-prem)
	mode   cost.Mode
	onprem *spec.OnPrem
	commit *spec.Commitment
	acc    *catalog.Accelerator
	// members by workload index.
	members map[int]*search.Demand
	// agg sums the replicas of the members by week layout and GPUs per
	// replica, so packing costs the same however many members share it.
	agg   map[aggKey]*cost.Week
	cache *poolCost
	// counted is the marginal cost the state's running sums hold for the
	// pool; dirty marks a pool whose members changed since (see flush).
	counted float64
	dirty   bool
}

type aggKey struct {
	layout float64 // the week's first day boundary (5 for business days, 7 for every day)
	gpus   int
}

type poolCost struct {
	marginal float64 // new spending; +Inf when the members do not fit
	sunk     float64
	comps    []cost.Component
	nodes    cost.Week
	// on-prem pools: each member's burst lines and the accelerators busy.
	burst        map[int][]cost.Component
	overflow     bool
	jobHours     float64
	jobGPUs      int // accelerators the jobs hold while they run
	jobsDoNotFit bool
}

func (p *pool) owned() bool { return p.onprem != nil || p.commit != nil }

func (s *state) newPool(d *search.Demand) *pool {
	p := &pool{key: d.PoolKey(), inst: d.Instance, mode: d.Mode, members: map[int]*search.Demand{}, agg: map[aggKey]*cost.Week{}}
	if d.Instance != nil {
		p.acc, _ = s.in.Catalog.Accelerator(d.Instance.Accelerator)
	}
	for i := range s.in.Constraints.OnPrem {
		if o := &s.in.Constraints.OnPrem[i]; d.OnPrem != "" && o.Name == d.OnPrem {
			p.onprem, p.inst, p.mode = o, nil, cost.OnPrem
			p.acc, _ = s.in.Catalog.Accelerator(o.Accelerator)
		}
	}
	for i := range s.in.Constraints.Commitments {
		if c := &s.in.Constraints.Commitments[i]; d.Commitment != "" && c.ID() == d.Commitment {
			p.commit, p.mode = c, cost.Committed
		}
	}
	s.keys = append(s.keys, p.key)
	sort.Strings(s.keys)
	return p
}

func (p *pool) add(i int, d *search.Demand) {
	p.members[i] = d
	p.cache = nil
	if p.onprem != nil {
		return
	}
	k := aggKey{d.Replicas.Layout()[0], d.GPUs}
	a := p.agg[k]
	if a == nil {
		w := d.Replicas.Map(func(int) int { return 0 })
		a = &w
		p.agg[k] = a
	}
	addInto(a, d.Replicas, 1)
}

func (p *pool) remove(i int, d *search.Demand) {
	delete(p.members, i)
	p.cache = nil
	if p.onprem != nil {
		return
	}
	addInto(p.agg[aggKey{d.Replicas.Layout()[0], d.GPUs}], d.Replicas, -1)
}

func addInto(a *cost.Week, w cost.Week, sign int) {
	for di := range a.Days {
		for h := range a.Days[di].Hours {
			a.Days[di].Hours[h] += sign * w.Days[di].Hours[h]
		}
	}
}

// cost prices the pool as its members fill it, caching the answer until a
// member changes.
func (p *pool) cost(s *state) *poolCost {
	if p.cache == nil {
		switch {
		case p.onprem != nil:
			p.cache = p.onPremCost(s)
		default:
			p.cache = p.instanceCost(s)
		}
	}
	return p.cache
}

// instanceCost packs the members' replicas onto whole instances, hour by
// hour, and bills the instances in the pool's pricing mode (a commitment:
// the committed instances first, the rest on demand).
func (p *pool) instanceCost(s *state) *poolCost {
	pc := &poolCost{}
	keys := make([]aggKey, 0, len(p.agg))
	var layouts [][]float64
	for k, w := range p.agg {
		if w.Max() == 0 {
			continue
		}
		keys = append(keys, k)
		layouts = append(layouts, w.Layout())
	}
	slices.SortFunc(keys, func(a, b aggKey) int {
		if c := cmp.Compare(a.layout, b.layout); c != 0 {
			return c
		}
		return b.gpus - a.gpus
	})
	bounds := cost.MergeLayouts(append(layouts, []float64{7})...)
	nodes := cost.Week{Days: make([]cost.Day, 0, len(bounds))}
	weeks := make([]cost.Week, len(keys))
	for i, k := range keys {
		weeks[i] = p.agg[k].Resample(bounds)
	}
	lo := 0.0
	items := make([]item, 0, len(keys))
	for di, hi := range bounds {
		day := cost.Day{PerWeek: hi - lo}
		lo = hi
		for h := 0; h < 24; h++ {
			items = items[:0]
			for i, k := range keys {
				if n := weeks[i].Days[di].Hours[h]; n > 0 {
					items = append(items, item{size: k.gpus, count: n})
				}
			}
			day.Hours[h] = pack(items, p.inst.AcceleratorCount)
		}
		nodes.Days = append(nodes.Days, day)
	}
	pc.nodes = nodes
	lbl := p.inst.Cloud + " " + p.inst.InstanceType
	var ok bool
	if p.commit != nil {
		pc.comps, ok = s.in.Pricer.BillCommitted(p.inst, p.commit.Count, p.commit.USDPerHour, nodes, lbl)
	} else {
		pc.comps, ok = s.in.Pricer.Bill(p.inst, p.mode, nodes, lbl+" pool")
	}
	if !ok {
		pc.marginal = math.Inf(1)
		return pc
	}
	pc.marginal, pc.sunk = cost.Sum(pc.comps), cost.SunkSum(pc.comps)
	return pc
}

// onPremCost serves the members from the owned accelerators. Endpoints
// take them in file order; replicas the pool cannot hold in an hour burst
// to the member's cloud instance on demand. Jobs run in the accelerators
// the endpoints leave idle; when that is not enough, the jobs hold their
// accelerators while they run and the endpoints burst more for that part
// of the month. Power for busy accelerators is marginal, the capex and
// fixed operations of the whole pool sunk.
func (p *pool) onPremCost(s *state) *poolCost {
	pc := &poolCost{}
	o := p.onprem
	hours := s.in.Hours
	var jobs, jobFrac float64
	maxJob, jobGPUs := 0, 0
	for _, i := range sortedInts(p.members) {
		if d := p.members[i]; d.GPUHours > 0 {
			jobs += d.GPUHours
			jobFrac += d.GPUHours / float64(max(d.GPUs, 1)) / hours
			maxJob = max(maxJob, d.GPUs)
			jobGPUs += d.GPUs
		}
	}
	pc.jobHours, pc.jobGPUs = jobs, jobGPUs
	full, ok := p.serve(s, o.Count)
	if !ok {
		pc.marginal = math.Inf(1)
		return pc
	}
	busy, burst, f := full.busy, full.burst, 0.0
	if maxJob > 0 {
		idle := full.busy.Map(func(v int) int { return (o.Count - v) / maxJob * maxJob })
		if jobs > idle.Hours(hours)+1e-9 {
			// Not enough idle time: the jobs hold their accelerators for
			// the fraction of the month they run.
			f = min(jobFrac, 1)
			if jobGPUs > o.Count {
				pc.jobsDoNotFit = true
				pc.marginal = math.Inf(1)
				return pc
			}
			held, ok := p.serve(s, o.Count-jobGPUs)
			if !ok {
				pc.marginal = math.Inf(1)
				return pc
			}
			burst = map[int][]cost.Component{}
			for _, i := range sortedInts(p.members) {
				var lines []cost.Component
				for _, c := range full.burst[i] {
					lines = append(lines, scaled(c, 1-f))
				}
				for _, c := range held.burst[i] {
					lines = append(lines, scaled(c, f))
				}
				if len(lines) > 0 {
					burst[i] = lines
				}
			}
			busy = held.busy // the endpoints' busiest case, for the node counts
		}
	}
	pc.burst, pc.nodes = burst, busy
	pc.overflow = len(burst) > 0
	pc.comps = s.in.Pricer.OnPremLines(*o, p.acc, busy, o.Count)
	if f > 0 {
		// Power: the endpoints' busy hours, weighted by the two parts of the month.
		pc.comps[0] = scaled(pc.comps[0], 1)
		q := (1-f)*full.busy.Hours(hours) + f*busy.Hours(hours)
		pc.comps[0].MonthlyUSD = q * pc.comps[0].UnitUSD
		pc.comps[0].Quantity = q
	}
	for _, i := range sortedInts(p.members) {
		pc.comps = append(pc.comps, burst[i]...)
	}
	pc.marginal, pc.sunk = cost.Sum(pc.comps), cost.SunkSum(pc.comps)
	return pc
}

type served struct {
	busy  cost.Week
	burst map[int][]cost.Component
}

// serve gives the endpoints up to capacity accelerators each hour, in
// file order, and prices what bursts.
func (p *pool) serve(s *state, capacity int) (served, bool) {
	out := served{busy: cost.Flat(0), burst: map[int][]cost.Component{}}
	for _, i := range sortedInts(p.members) {
		d := p.members[i]
		if d.GPUHours > 0 {
			continue
		}
		bounds := cost.MergeLayouts(out.busy.Layout(), d.Replicas.Layout())
		b, r := out.busy.Resample(bounds), d.Replicas.Resample(bounds)
		over := r.Map(func(int) int { return 0 })
		for di := range b.Days {
			for h := 0; h < 24; h++ {
				free := max(capacity-b.Days[di].Hours[h], 0) / d.GPUs
				n := min(r.Days[di].Hours[h], free)
				b.Days[di].Hours[h] += n * d.GPUs
				over.Days[di].Hours[h] = r.Days[di].Hours[h] - n
			}
		}
		out.busy = b
		if over.Max() > 0 {
			if d.Instance == nil {
				return out, false
			}
			lines, ok := s.in.Pricer.Bill(d.Instance, cost.OnDemand, cost.InstancesFor(over, d.PerInstance), d.Instance.Cloud+" "+d.Instance.InstanceType+" burst")
			if !ok {
				return out, false
			}
			out.burst[i] = lines
		}
	}
	return out, true
}

func scaled(c cost.Component, k float64) cost.Component {
	c.Quantity *= k
	c.MonthlyUSD *= k
	return c
}

type item struct{ size, count int }

// pack is the instances of capacity g needed to hold the items: the exact
// ceil(total/g) when every size divides g and the next larger size (whole
// power-of-two slices, as tensor-parallel replicas are), first-fit
// decreasing otherwise.
func pack(items []item, g int) int {
	if len(items) == 0 {
		return 0
	}
	slices.SortFunc(items, func(a, b item) int { return b.size - a.size })
	total, divisible := 0, true
	prev := g
	for _, it := range items {
		total += it.size * it.count
		if it.size <= 0 || prev%it.size != 0 {
			divisible = false
		}
		prev = it.size
	}
	if divisible {
		return (total + g - 1) / g
	}
	var free []int
	for _, it := range items {
		for n := 0; n < it.count; n++ {
			placed := false
			for b := range free {
				if free[b] >= it.size {
					free[b] -= it.size
					placed = true
					break
				}
			}
			if !placed {
				free = append(free, g-it.size)
			}
		}
	}
	return len(free)
}

// describe names a pool for people.
func (p *pool) describe() string {
	switch {
	case p.onprem != nil:
		return "on-prem " + p.onprem.Name
	case p.commit != nil:
		return fmt.Sprintf("%s %s %s (committed)", p.inst.Cloud, p.inst.InstanceType, p.inst.Region)
	}
	return fmt.Sprintf("%s %s %s %s", p.inst.Cloud, p.inst.InstanceType, p.inst.Region, p.mode)
}
