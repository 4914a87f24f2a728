// Package placement packs the workloads of a plan into node pools. Search
// proposes each workload's shortlist, every option priced standalone in
// whole instances; placement chooses one option per workload so that the
// plan's new spending is lowest: replicas of endpoints that share a cloud,
// region, instance type and pricing mode bin-pack onto the same nodes hour
// by hour, owned hardware and existing commitments serve before anything
// is bought (their fixed cost is sunk; power and burst are marginal), each
// cloud used brings its fixed platform cost, and data flowing between
// workloads on different clouds pays egress.
//
// The choice is a deterministic local search: start from every workload's
// standalone best, then move one workload at a time to the shortlist
// option that lowers the total most, and try consolidating everything on
// each cloud, until no move helps.
//
// The search is incremental (see total.go): the plan's total is kept as
// running sums (pool costs, unpooled options, workloads and data flows per
// cloud), so weighing a move re-prices only the two pools it touches and
// the clouds it changes, and each round of moves costs time linear in the
// shortlists' length. Rounds are bounded (maxRounds), and so is the work
// the ejection step spends per round (ejectBudget).
package placement

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/aiplan-dev/aiplan/catalog"
	"github.com/aiplan-dev/aiplan/cost"
	"github.com/aiplan-dev/aiplan/search"
	"github.com/aiplan-dev/aiplan/spec"
)

// Workload is one workload's shortlist, cheapest standalone first.
type Workload struct {
	Spec    *spec.Workload
	Options []search.Option
}

// Input is what placement needs from the plan.
type Input struct {
	Workloads   []Workload
	Constraints *spec.Constraints
	Catalog     *catalog.Catalog
	Pricer      *cost.Pricer
	Hours       float64
	TeamSize    int
}

// Pool is a node pool: instances of one type, in one cloud and region,
// bought one way; or an owned on-prem pool, or committed instances.
type Pool struct {
	Key          string    `json:"key"`
	Cloud        string    `json:"cloud,omitempty"`
	Region       string    `json:"region,omitempty"`
	InstanceType string    `json:"instance_type,omitempty"`
	OnPrem       string    `json:"on_prem,omitempty"`
	Commitment   string    `json:"commitment,omitempty"`
	Pricing      cost.Mode `json:"pricing"`
	Accelerator  string    `json:"accelerator,omitempty"`
	// GPUsPerNode is the accelerators per instance (on-prem pools count
	// accelerators, one per node).
	GPUsPerNode int `json:"gpus_per_node"`
	// Owned is the owned accelerators (on-prem) or committed instances.
	Owned     int      `json:"owned,omitempty"`
	Workloads []string `json:"workloads"`
	// Nodes is the instances running each hour (on-prem: accelerators
	// busy serving endpoints).
	Nodes cost.Week `json:"nodes_per_hour"`
	// JobGPUs is the accelerators jobs hold while they run (on-prem).
	JobGPUs   int `json:"job_gpus,omitempty"`
	PeakNodes int `json:"peak_nodes"`
	MinNodes  int `json:"min_nodes"`
	// NodeHours is instance-hours (on-prem: busy GPU-hours) per month.
	NodeHours float64 `json:"node_hours"`
	// Utilisation is the GPU-hours the replicas use over the GPU-hours paid
	// for (owned pools: over the pool's hours).
	Utilisation float64          `json:"utilisation"`
	Components  []cost.Component `json:"components"`
	MonthlyUSD  float64          `json:"monthly_usd"`
	SunkUSD     float64          `json:"sunk_usd,omitempty"`
}

// CloudCost is the fixed cost of operating one more cloud.
type CloudCost struct {
	Cloud      string           `json:"cloud"`
	Primary    bool             `json:"primary"`
	Components []cost.Component `json:"components"`
	MonthlyUSD float64          `json:"monthly_usd"`
}

// Consolidation is what the plan would cost with every workload that can
// run there on one cloud.
type Consolidation struct {
	Cloud string `json:"cloud"`
	// DeltaUSD is the consolidated total minus the plan's (negative: saves).
	DeltaUSD float64 `json:"delta_usd"`
	// Elsewhere counts workloads with no option on that cloud (left as placed).
	Elsewhere int `json:"elsewhere,omitempty"`
}

// Result is the placement of a plan.
type Result struct {
	// Options holds each workload's placed option with its share of the
	// pool it runs in (nil when the workload has no feasible option).
	Options []*search.Option `json:"-"`
	Pools   []Pool           `json:"node_pools"`
	// Clouds lists each cloud's fixed cost beyond the primary cloud's
	// (whose control plane the blueprint prices).
	Clouds []CloudCost `json:"clouds"`
	// Egress prices data flowing between workloads on different clouds.
	Egress        []cost.Component `json:"cross_cloud_egress,omitempty"`
	Consolidation []Consolidation  `json:"consolidation,omitempty"`
	Warnings      []string         `json:"warnings,omitempty"`
	// MonthlyUSD is new spending: pools, unpooled options, extra clouds, egress.
	MonthlyUSD float64 `json:"monthly_usd"`
	// SunkUSD is owned pools' capex and fixed operations and commitments.
	SunkUSD float64 `json:"sunk_usd"`
	// Moves is how many local-search moves improved the total.
	Moves int `json:"moves"`
}

// Place chooses one option per workload and packs the pools.
func Place(in Input) *Result {
	s := newState(&in)
	s.init()
	s.improve()
	return s.result()
}

// state is one assignment of options to workloads and the pools it fills.
type state struct {
	in     *Input
	choice []int // index into Options; -1: none
	pools  map[string]*pool
	clouds map[string]int // workloads per cloud
	flows  flows
	fixed  map[string]float64 // a cloud's fixed cost
	pref   map[string]int     // cloud preference rank (constraints.clouds order)
	keys   []string           // pool keys, sorted, so sums run in one order
	// unpooled is the new spending of options outside pools.
	unpooled float64
	sums     sums
	moves    int
	weighed  int // totals computed (the search's unit of work)
	// ejectFrom is the workload the next ejection step starts from.
	ejectFrom int
	// journal, while journaling, records each change of choice so that a
	// tried step is undone in the time it took (see undo), not in a pass
	// over every workload.
	journal    []change
	journaling bool
	// egress caches the internet egress rate once the catalog has given
	// it: the total prices cross-cloud flows for every move it weighs.
	egress   float64
	egressOK bool
}

func newState(in *Input) *state {
	s := &state{in: in, pools: map[string]*pool{}, clouds: map[string]int{}, fixed: map[string]float64{}, pref: map[string]int{}}
	s.choice = make([]int, len(in.Workloads))
	for i, c := range in.Constraints.Clouds {
		if _, ok := s.pref[c]; !ok {
			s.pref[c] = i
		}
	}
	s.flows = flowsOf(in)
	return s
}

// cloudOf is the cloud whose cluster an option runs in ("" when none:
// on-prem alone, per-token APIs, serverless platforms, storage only).
func cloudOf(o *search.Option) string {
	if o == nil || o.Instance == "" || o.Pricing == cost.API || o.Pricing == cost.Serverless {
		return ""
	}
	return o.Cloud
}

func (s *state) opt(i int) *search.Option {
	if s.choice[i] < 0 {
		return nil
	}
	return &s.in.Workloads[i].Options[s.choice[i]]
}

func (s *state) init() {
	// Owned capacity exists whether or not a workload uses it.
	for i := range s.in.Constraints.OnPrem {
		o := &s.in.Constraints.OnPrem[i]
		d := &search.Demand{Mode: cost.OnPrem, OnPrem: o.Name}
		p := s.newPool(d)
		s.pools[d.PoolKey()] = p
		s.touch(p)
	}
	for i := range s.in.Constraints.Commitments {
		c := &s.in.Constraints.Commitments[i]
		for _, in := range s.in.Catalog.Instances {
			if in.ID == c.ID() {
				d := &search.Demand{Instance: in, Mode: cost.Committed, Commitment: c.ID()}
				p := s.newPool(d)
				s.pools[d.PoolKey()] = p
				s.touch(p)
				break
			}
		}
	}
	for i, w := range s.in.Workloads {
		s.choice[i] = -1
		if len(w.Options) > 0 {
			s.choice[i] = 0
			s.add(i)
		}
	}
}

// add puts workload i's chosen option into its pool and cloud.
func (s *state) add(i int) {
	o := s.opt(i)
	if o == nil {
		return
	}
	if c := cloudOf(o); c != "" {
		s.clouds[c]++
		s.flowIn(i, c, 1)
	}
	if o.Demand == nil {
		s.unpooled += o.MonthlyUSD + o.OneOffUSD
		return
	}
	k := o.Demand.PoolKey()
	p := s.pools[k]
	if p == nil {
		p = s.newPool(o.Demand)
		s.pools[k] = p
	}
	p.add(i, o.Demand)
	s.touch(p)
}

func (s *state) remove(i int) {
	o := s.opt(i)
	if o == nil {
		return
	}
	if c := cloudOf(o); c != "" {
		s.clouds[c]--
		if s.clouds[c] == 0 {
			delete(s.clouds, c)
		}
		s.flowIn(i, c, -1)
	}
	if o.Demand != nil {
		p := s.pools[o.Demand.PoolKey()]
		p.remove(i, o.Demand)
		s.touch(p)
	} else {
		s.unpooled -= o.MonthlyUSD + o.OneOffUSD
	}
}

// usedClouds are the clouds the plan runs clusters on: those of the
// placed options, and the hyperscaler the platform (lake, managed
// services, keys, gateway) lives on when no placed option uses one; the
// blueprint puts the platform there, as GPU clouds host node pools only.
func (s *state) usedClouds() []string {
	out := make([]string, 0, len(s.clouds)+1)
	platform := true
	for c := range s.clouds {
		out = append(out, c)
		if hyperscaler[c] {
			platform = false
		}
	}
	if platform {
		if c := s.platformCloud(); c != "" && s.clouds[c] == 0 {
			out = append(out, c)
		}
	}
	sort.Strings(out)
	return out
}

// hyperscaler marks the clouds whose managed services the blueprint builds
// the platform from (as blueprint's own table does).
var hyperscaler = map[string]bool{"aws": true, "gcp": true, "azure": true}

// platformCloud is where the platform goes when no workload runs on a
// hyperscaler: the first allowed one, or aws when the file allows every cloud.
func (s *state) platformCloud() string {
	for _, c := range s.in.Constraints.Clouds {
		if hyperscaler[c] {
			return c
		}
	}
	if len(s.in.Constraints.Clouds) == 0 {
		return "aws"
	}
	return ""
}

// maxRounds bounds the rounds of the local search. Each round weighs every
// workload's every option once, each consolidation once and the ejections
// within ejectBudget, so a round costs time linear in the shortlists'
// total length; most plans settle in two or three rounds.
const maxRounds = 20

// ejectBudget bounds the totals one round's ejection step weighs: a try
// weighs every option of every other member of the owned pool, so a plan
// with thousands of workloads able to use owned capacity would otherwise
// weigh quadratically many. The examples weigh at most about 200 a round.
var ejectBudget = 200_000

// improve runs the local search: single-workload moves, then whole-cloud
// consolidation, until nothing lowers the total. Deterministic: workloads
// in file order, options in shortlist order, strict improvement only.
func (s *state) improve() {
	const eps = 0.005 // dollars: ignore float noise
	for round := 0; round < maxRounds; round++ {
		// Start each round from exact sums, so that running sums cannot
		// drift over many rounds.
		s.resync()
		cur := s.total()
		moved := false
		for i, w := range s.in.Workloads {
			if s.choice[i] < 0 || len(w.Options) < 2 {
				continue
			}
			best, bestT := s.choice[i], cur
			orig := s.choice[i]
			for j := range w.Options {
				if j == orig {
					continue
				}
				s.set(i, j)
				t := s.total()
				if t < bestT-eps || (math.Abs(t-bestT) <= eps && s.roomier(&w.Options[j], &w.Options[best])) {
					best, bestT = j, t
				}
			}
			s.set(i, best)
			if best != orig {
				cur = bestT
				moved = true
				s.moves++
			}
		}
		if s.eject(&cur, eps) {
			moved = true
		}
		for _, c := range s.candidateClouds() {
			s.begin()
			s.consolidate(c)
			if t := s.total(); t < cur-eps {
				cur = t
				moved = true
				s.moves++
				s.commit()
			} else {
				s.undo()
			}
		}
		if !moved {
			break
		}
	}
}

// eject tries each move of a workload onto owned capacity together with
// the best reply of every other workload in that pool (which may leave it
// for the cloud): owned capacity goes to whichever use saves the most,
// which single moves cannot find when the pool is full. It weighs at most
// ejectBudget totals a round; the next round goes on from the workload
// where it stopped.
func (s *state) eject(cur *float64, eps float64) bool {
	moved := false
	start, n := s.weighed, len(s.in.Workloads)
	for k := 0; k < n; k++ {
		i := (s.ejectFrom + k) % n
		w := s.in.Workloads[i]
		for j := range w.Options {
			d := w.Options[j].Demand
			if j == s.choice[i] || d == nil || (d.OnPrem == "" && d.Commitment == "") {
				continue
			}
			if s.weighed-start >= ejectBudget {
				s.ejectFrom = i
				return moved
			}
			s.begin()
			s.set(i, j)
			for _, m := range sortedInts(s.pools[d.PoolKey()].members) {
				if m == i {
					continue
				}
				best, bestT := s.choice[m], s.total()
				for o := range s.in.Workloads[m].Options {
					s.set(m, o)
					if t := s.total(); t < bestT-eps {
						best, bestT = o, t
					}
				}
				s.set(m, best)
			}
			if t := s.total(); t < *cur-eps {
				*cur = t
				moved = true
				s.moves++
				s.commit()
			} else {
				s.undo()
			}
		}
	}
	s.ejectFrom = 0
	return moved
}

// roomier breaks a tie between two options of equal total: the one that
// holds fewer accelerator-hours leaves room in its pool for others (so a
// later move can pack there), then the preferred cloud. Strict, so ties
// cannot cycle.
func (s *state) roomier(a, b *search.Option) bool {
	ga, gb := footprint(a), footprint(b)
	if ga != gb {
		return ga < gb-1e-9
	}
	return a.Cloud != b.Cloud && s.preferred(a, b)
}

func footprint(o *search.Option) float64 {
	if d := o.Demand; d != nil && d.GPUHours == 0 {
		return d.Replicas.Hours(730) * float64(d.GPUs)
	}
	return math.Inf(1)
}

// preferred breaks exact ties by the order of constraints.clouds.
func (s *state) preferred(a, b *search.Option) bool {
	ra, oka := s.pref[a.Cloud]
	rb, okb := s.pref[b.Cloud]
	return oka && (!okb || ra < rb)
}

func (s *state) set(i, j int) {
	if s.choice[i] == j {
		return
	}
	if s.journaling {
		s.journal = append(s.journal, change{i, s.choice[i]})
	}
	s.remove(i)
	s.choice[i] = j
	s.add(i)
}

// change is one workload's previous choice.
type change struct{ i, j int }

// begin starts recording changes of choice (for undo); tries do not nest.
func (s *state) begin() {
	s.journal, s.journaling = s.journal[:0], true
}

// commit keeps the changes since begin.
func (s *state) commit() { s.journaling = false }

// undo restores the choices as they were at begin, latest change first.
func (s *state) undo() {
	s.journaling = false
	for k := len(s.journal) - 1; k >= 0; k-- {
		s.set(s.journal[k].i, s.journal[k].j)
	}
}

// candidateClouds are the clouds some workload could run on, in
// preference order, then by name.
func (s *state) candidateClouds() []string {
	seen := map[string]bool{}
	var out []string
	for _, w := range s.in.Workloads {
		for k := range w.Options {
			if c := cloudOf(&w.Options[k]); c != "" && !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		ri, oki := s.pref[out[i]]
		rj, okj := s.pref[out[j]]
		if oki != okj {
			return oki
		}
		if ri != rj {
			return ri < rj
		}
		return out[i] < out[j]
	})
	return out
}

// consolidate moves every workload that runs in a cloud cluster and has an
// option on cloud c to its best such option (greedily, in file order, so
// later workloads see the pools earlier ones filled). Workloads on owned
// capacity alone stay.
func (s *state) consolidate(c string) int {
	elsewhere := 0
	for i, w := range s.in.Workloads {
		o := s.opt(i)
		if o == nil || cloudOf(o) == "" || cloudOf(o) == c {
			continue
		}
		best, bestT := -1, math.Inf(1)
		orig := s.choice[i]
		for j := range w.Options {
			if cloudOf(&w.Options[j]) != c {
				continue
			}
			s.set(i, j)
			if t := s.total(); t < bestT {
				best, bestT = j, t
			}
		}
		if best < 0 {
			s.set(i, orig)
			elsewhere++
			continue
		}
		s.set(i, best)
	}
	return elsewhere
}

// cloudFixed is the fixed monthly cost of running a cluster on a cloud: the
// control plane, the network around it, and the team's time to operate one
// more cloud (accounts, IAM, networking, on-call), which grows with the
// number of engineers who must know it.
func (s *state) cloudFixed(c string) float64 {
	if v, ok := s.fixed[c]; ok {
		return v
	}
	v := cost.Sum(s.cloudLines(c, true))
	s.fixed[c] = v
	return v
}

func (s *state) teamSize() int {
	if s.in.TeamSize > 0 {
		return s.in.TeamSize
	}
	return int(s.in.Pricer.RateOr("team-size-default", 5))
}

// cloudLines prices a cloud's fixed cost; withControlPlane adds the
// cluster control plane, which the blueprint already prices per cloud.
func (s *state) cloudLines(c string, withControlPlane bool) []cost.Component {
	p := s.in.Pricer
	var out []cost.Component
	if withControlPlane {
		v, src, _ := p.Rate("k8s-control-plane-hour")
		out = append(out, cost.Line(c+" cluster control plane", "tooling", "cluster-hours", s.in.Hours, v, src))
	}
	if v, src, ok := p.Rate("cloud-networking-month"); ok {
		out = append(out, cost.Line(c+" networking (gateways, private links, DNS)", "network", "months", 1, v, src))
	}
	if h, hsrc, ok := p.Rate("cloud-ops-hours-per-engineer-month"); ok {
		rate, rsrc, ok2 := p.Rate("engineer-hour-usd")
		if ok2 {
			team := s.teamSize()
			out = append(out, cost.Line(fmt.Sprintf("%s operations time (%d engineers x %g h)", c, team, h), "operations", "engineer-hours", float64(team)*h, rate, hsrc+"; "+rsrc))
		}
	}
	return out
}

// sortedInts returns a map's keys in order.
func sortedInts(m map[int]*search.Demand) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Ints(out)
	return out
}

func label(d *search.Demand) string {
	return d.Instance.Cloud + " " + d.Instance.InstanceType
}

func joinNames(names []string) string { return strings.Join(names, ", ") }
