package placement

import (
	"fmt"
	"math"
	"sort"

	"github.com/aiplan-dev/aiplan/cost"
	"github.com/aiplan-dev/aiplan/search"
)

// result turns the final assignment into pools, placed options, per-cloud
// fixed costs, egress, consolidation figures and warnings.
func (s *state) result() *Result {
	r := &Result{Options: make([]*search.Option, len(s.in.Workloads)), Moves: s.moves}
	hours := s.in.Hours
	for i := range s.in.Workloads {
		if o := s.opt(i); o != nil {
			cp := *o
			cp.Components = append([]cost.Component(nil), o.Components...)
			r.Options[i] = &cp
		}
	}
	for _, k := range s.keys {
		p := s.pools[k]
		if len(p.members) == 0 && !p.owned() {
			continue
		}
		pc := p.cost(s)
		if math.IsInf(pc.marginal, 1) {
			switch {
			case pc.jobsDoNotFit:
				r.Warnings = append(r.Warnings, fmt.Sprintf("%s: its jobs need %.0f GPU-hours, more than the accelerators its endpoints leave idle", p.describe(), pc.jobHours))
			default:
				r.Warnings = append(r.Warnings, fmt.Sprintf("%s: the members do not fit and no burst instance is priced", p.describe()))
			}
			continue
		}
		pl := Pool{Key: p.key, Pricing: p.mode, Nodes: pc.nodes, PeakNodes: pc.nodes.Max(), MinNodes: pc.nodes.Min(), Components: pc.comps, MonthlyUSD: pc.marginal, SunkUSD: pc.sunk}
		if p.acc != nil {
			pl.Accelerator = p.acc.ID
		}
		capGPUHours := 0.0
		switch {
		case p.onprem != nil:
			pl.OnPrem, pl.Region, pl.GPUsPerNode, pl.Owned, pl.JobGPUs = p.onprem.Name, p.onprem.Region, 1, p.onprem.Count, pc.jobGPUs
			pl.NodeHours = pc.nodes.Hours(hours) + pc.jobHours
			capGPUHours = float64(p.onprem.Count) * hours
			pl.Utilisation = pl.NodeHours / capGPUHours
		default:
			pl.Cloud, pl.Region, pl.InstanceType, pl.GPUsPerNode = p.inst.Cloud, p.inst.Region, p.inst.InstanceType, p.inst.AcceleratorCount
			pl.NodeHours = pc.nodes.Hours(hours)
			if p.commit != nil {
				pl.Commitment, pl.Owned = p.commit.ID(), p.commit.Count
				capGPUHours = float64(max(p.commit.Count, 1)*p.inst.AcceleratorCount) * hours
			}
		}
		// The members' GPU-hours, which split the pool's cost.
		used := map[int]float64{}
		totalUsed := 0.0
		for _, i := range sortedInts(p.members) {
			d := p.members[i]
			u := d.Replicas.Hours(hours) * float64(d.GPUs)
			if d.GPUHours > 0 {
				u = d.GPUHours
			}
			used[i] = u
			totalUsed += u
			pl.Workloads = append(pl.Workloads, s.in.Workloads[i].Spec.Name)
		}
		if p.onprem == nil {
			paid := pl.NodeHours * float64(pl.GPUsPerNode)
			if p.commit != nil {
				paid = math.Max(paid, capGPUHours)
			}
			if paid > 0 {
				pl.Utilisation = totalUsed / paid
			}
		}
		r.Pools = append(r.Pools, pl)
		r.MonthlyUSD += pl.MonthlyUSD
		r.SunkUSD += pl.SunkUSD
		s.attribute(r, p, pc, used, totalUsed, capGPUHours)
		if w := s.idle(p, pc, &pl); w != "" {
			r.Warnings = append(r.Warnings, w)
		}
	}
	for _, o := range r.Options {
		if o != nil && o.Demand == nil {
			r.MonthlyUSD += o.MonthlyUSD
		}
	}
	s.clouds2(r)
	s.egressLines(r)
	s.consolidation(r)
	return r
}

// attribute replaces each member's compute lines with its share of the
// pool: by GPU-hours for the pool's bill, its own burst lines on an owned
// pool, and a share of the sunk cost by the part of the pool it occupies.
func (s *state) attribute(r *Result, p *pool, pc *poolCost, used map[int]float64, totalUsed, capGPUHours float64) {
	members := sortedInts(p.members)
	names := make([]string, 0, len(members))
	count := map[string]int{}
	for _, i := range members {
		n := s.in.Workloads[i].Spec.Name
		names = append(names, n)
		count[n]++
	}
	for _, i := range members {
		o := r.Options[i]
		d := p.members[i]
		if d.GPUHours > 0 {
			// Jobs on owned pools keep their own lines (power while they run).
			o.NodePool = p.key
			continue
		}
		var comps []cost.Component
		for _, c := range o.Components {
			if c.Category != "compute" {
				comps = append(comps, c)
			}
		}
		f := 0.0
		if totalUsed > 0 {
			f = used[i] / totalUsed
		}
		fs := f
		if capGPUHours > 0 {
			fs = used[i] / capGPUHours
		}
		shared := len(p.members) > 1
		for _, c := range pc.comps {
			if p.onprem != nil && c.Unit == "instance-hours" {
				continue // burst lines belong to their member
			}
			k := f
			if c.Sunk {
				k = fs
			}
			if !shared && !c.Sunk {
				comps = append(comps, c)
				continue
			}
			c.Name = fmt.Sprintf("%s (%.0f%% share)", c.Name, k*100)
			c.Quantity *= k
			c.MonthlyUSD *= k
			comps = append(comps, c)
		}
		comps = append(comps, pc.burst[i]...)
		o.Components = comps
		o.MonthlyUSD = cost.Sum(comps)
		o.SunkUSD = cost.SunkSum(comps)
		o.NodePool = p.key
		if p.onprem != nil {
			if len(pc.burst[i]) > 0 {
				o.Pricing = cost.OnPremBurst
				o.Cloud, o.Instance = d.Instance.Cloud, d.Instance.InstanceType
			} else {
				o.Pricing = cost.OnPrem
				o.Cloud, o.Instance = "", ""
				o.Region = p.onprem.Region
			}
		}
		if p.commit != nil {
			o.Pricing = cost.Committed
			if pc.nodes.Max() > p.commit.Count {
				o.Pricing = cost.CommittedOverflow
			}
		}
		if shared {
			o.Summary = fmt.Sprintf("%s; node pool shared with %s", o.Summary, sharedWith(names, s.in.Workloads[i].Spec.Name, len(names)-count[s.in.Workloads[i].Spec.Name]))
		}
	}
}

// maxNamed is how many pool neighbours a placed option's summary names;
// the rest are counted (a pool of thousands of members would otherwise
// give each a summary listing all the others: quadratic text).
const maxNamed = 8

// sharedWith names the first maxNamed of the pool's members other than
// self, in file order, and counts the rest of the others.
func sharedWith(names []string, self string, others int) string {
	named := make([]string, 0, min(others, maxNamed))
	for _, n := range names {
		if len(named) == maxNamed {
			break
		}
		if n != self {
			named = append(named, n)
		}
	}
	if others > len(named) {
		return fmt.Sprintf("%s and %d more", joinNames(named), others-len(named))
	}
	return joinNames(named)
}

// idle warns when owned or committed capacity stands idle, with what it
// could host.
func (s *state) idle(p *pool, pc *poolCost, pl *Pool) string {
	if !p.owned() {
		return ""
	}
	var free, total int
	unit := "accelerators"
	if p.onprem != nil {
		total = p.onprem.Count
		free = total - pc.nodes.Max() - pc.jobGPUs
	} else {
		total = p.commit.Count
		free = total - pc.nodes.Max()
		unit = "instances"
	}
	if free <= 0 {
		return ""
	}
	freeGPUs := free
	if p.commit != nil {
		freeGPUs = free * p.inst.AcceleratorCount
	}
	host := s.couldHost(p, freeGPUs)
	what := "serves nothing"
	if len(p.members) > 0 {
		what = fmt.Sprintf("%d of %d %s idle even at the busiest hour (utilisation %.0f%%)", free, total, unit, pl.Utilisation*100)
	} else {
		what = fmt.Sprintf("serves nothing: %d %s idle, %s of sunk cost a month", total, unit, usd(pc.sunk))
	}
	return fmt.Sprintf("idle owned capacity: %s %s; %s", p.describe(), what, host)
}

// couldHost names workloads of the plan with a configuration for the
// pool's accelerator, and how many of their replicas fit in the idle part.
func (s *state) couldHost(p *pool, freeGPUs int) string {
	acc := ""
	if p.acc != nil {
		acc = p.acc.ID
	}
	var out []string
	seen := map[string]bool{}
	for i, w := range s.in.Workloads {
		for _, o := range w.Options {
			if o.Accelerator != acc || o.GPUsPerUnit == 0 || seen[w.Spec.Name] {
				continue
			}
			seen[w.Spec.Name] = true
			if n := freeGPUs / o.GPUsPerUnit; n > 0 {
				verb := "replicas"
				if o.ReplicasMax == 0 {
					verb = "run(s)"
				}
				if _, on := p.members[i]; on {
					out = append(out, fmt.Sprintf("%d more %s of %s (%d %s each)", n, verb, w.Spec.Name, o.GPUsPerUnit, acc))
				} else {
					out = append(out, fmt.Sprintf("%d %s of %s (%d %s each)", n, verb, w.Spec.Name, o.GPUsPerUnit, acc))
				}
			}
		}
	}
	if len(out) == 0 {
		return fmt.Sprintf("it could host %d %s of work; no workload in this plan has a configuration that meets its SLO there", freeGPUs, acc)
	}
	sort.Strings(out)
	return "it could host " + joinNames(out)
}

// clouds2 prices the clouds beyond the primary one: the hyperscaler with
// the most new spending in the plan (the platform's home, as the
// blueprint picks it), else the cloud with the most.
func (s *state) clouds2(r *Result) {
	spend := map[string]float64{}
	for _, o := range r.Options {
		if c := cloudOf(o); c != "" {
			spend[c] += o.MonthlyUSD + o.OneOffUSD
		}
	}
	cl := s.usedClouds()
	sort.SliceStable(cl, func(i, j int) bool {
		if hyperscaler[cl[i]] != hyperscaler[cl[j]] {
			return hyperscaler[cl[i]]
		}
		if spend[cl[i]] != spend[cl[j]] {
			return spend[cl[i]] > spend[cl[j]]
		}
		return s.preferred(&search.Option{Cloud: cl[i]}, &search.Option{Cloud: cl[j]})
	})
	for k, c := range cl {
		cc := CloudCost{Cloud: c, Primary: k == 0}
		if k > 0 {
			cc.Components = s.cloudLines(c, false)
			cc.MonthlyUSD = cost.Sum(cc.Components)
			r.MonthlyUSD += cc.MonthlyUSD
		}
		r.Clouds = append(r.Clouds, cc)
	}
}

// consolidation reports, for each cloud some workload could run on, what
// the plan's new spending would be with everything movable on that cloud.
func (s *state) consolidation(r *Result) {
	s.resync()
	base := s.total()
	for _, c := range s.candidateClouds() {
		s.begin()
		el := s.consolidate(c)
		s.resync()
		t := s.total()
		if !math.IsInf(t, 1) {
			r.Consolidation = append(r.Consolidation, Consolidation{Cloud: c, DeltaUSD: t - base, Elsewhere: el})
		}
		s.undo()
	}
}

func usd(v float64) string {
	if v >= 1e4 {
		return fmt.Sprintf("$%.1fk", v/1e3)
	}
	return fmt.Sprintf("$%.0f", v)
}
