package search

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/aiplan-dev/aiplan/catalog"
	"github.com/aiplan-dev/aiplan/cost"
	"github.com/aiplan-dev/aiplan/spec"
)

// This file holds what a configuration can really run on: the link a
// tensor-parallel group talks over on an instance or owned pool, replicas
// across nodes, the node shapes and networks training is timed on, the
// support matrix (precisions a chip runs, the engine that serves them) and
// which catalog prices may be used.

// link is the path a tensor-parallel group's all-reduces take.
type link int

const (
	linkNone    link = iota // tp = 1: no tensor-parallel traffic
	linkScaleUp             // NVLink/NVSwitch, Infinity Fabric, NeuronLink, ICI
	linkPCIe                // the group spans accelerators joined only by PCIe
)

func (l link) String() string {
	switch l {
	case linkScaleUp:
		return "scale-up link"
	case linkPCIe:
		return "PCIe"
	}
	return "none"
}

// tpLink is the link a TP group of tp accelerators uses inside a machine
// whose scale-up domain holds d of them: the fast link while the group fits
// in one domain, PCIe otherwise (the slowest hop sets the all-reduce time).
func tpLink(tp, d int) link {
	switch {
	case tp <= 1:
		return linkNone
	case d > 1 && tp <= d:
		return linkScaleUp
	}
	return linkPCIe
}

// instanceDomain is how many of an instance's accelerators share the fast
// link (the instance's scale-up domain, or the chip's board).
func instanceDomain(in *catalog.Instance, a *catalog.Accelerator) int {
	return in.LinkDomain(a)
}

// poolDomain is the scale-up domain of an owned pool: the chip's board
// domain, at most the pool size and one 8-accelerator server.
func poolDomain(p spec.OnPrem, a *catalog.Accelerator) int {
	return min(p.Count, 8, max(a.LinkDomain, 1))
}

// installed is the accelerator as a machine with scale-up domain d holds
// it: perf reads the TP link from LinkDomain, so the copy carries the
// machine's topology into the performance model.
func installed(a *catalog.Accelerator, d int) *catalog.Accelerator {
	if d == a.LinkDomain {
		return a
	}
	c := *a
	c.LinkDomain = d
	return &c
}

// runsOn reports whether a replica of u runs on an instance: the same
// accelerator, enough of it, and its TP group on the link u was modelled
// with. Only a pipeline-parallel replica (nodes > 1) spans instances.
func (u *unit) runsOn(in *catalog.Instance) bool {
	if u.nodes > 1 {
		// One pipeline stage per instance: the whole instance is one
		// scale-up domain holding the TP group, and the stages talk over
		// a network the catalog publishes.
		return in.Accelerator == u.acc.ID && in.AcceleratorCount == u.tp && instanceDomain(in, u.acc) == u.tp && in.Network != nil && in.Network.Gbps > 0
	}
	if in.Accelerator != u.acc.ID || in.AcceleratorCount < u.gpus {
		return false
	}
	return u.tp <= 1 || tpLink(u.tp, instanceDomain(in, u.acc)) == u.link
}

// runsOnPool is runsOn for an owned pool.
func (u *unit) runsOnPool(p spec.OnPrem) bool {
	if p.Accelerator != u.acc.ID || p.Count < u.gpus || u.nodes > 1 {
		return false // replicas across owned servers are not planned
	}
	return u.tp <= 1 || tpLink(u.tp, poolDomain(p, u.acc)) == u.link
}

// tpLinks lists the links a TP group of tp accelerators of a can use across
// the catalog's instances and the owned pools (each is modelled once).
func (e *Env) tpLinks(a *catalog.Accelerator, tp int) []link {
	if tp <= 1 {
		return []link{linkNone}
	}
	seen := map[link]bool{}
	for _, in := range e.C.InstancesFor(a.ID) {
		if in.AcceleratorCount >= tp {
			seen[tpLink(tp, instanceDomain(in, a))] = true
		}
	}
	for _, p := range e.onPremFor(a.ID) {
		if p.Count >= tp {
			seen[tpLink(tp, poolDomain(p, a))] = true
		}
	}
	out := make([]link, 0, len(seen))
	for l := range seen {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// linkDomainFor is the LinkDomain to model a TP group on link l with.
func linkDomainFor(a *catalog.Accelerator, l link) int {
	if l == linkPCIe {
		return 1
	}
	return a.LinkDomain
}

// parallelism describes a serving replica's layout.
func parallelism(tp, pp int, l link) string {
	s := fmt.Sprintf("tp=%d", tp)
	if l == linkPCIe {
		s += " over PCIe"
	}
	if pp > 1 {
		s += fmt.Sprintf(" pp=%d across %d nodes", pp, pp)
	}
	return s
}

// Support matrix (catalog data/accelerators.yaml and data/engines.yaml):
// the search proposes only precisions a chip runs, natively or as
// weight-only formats, served by an engine that runs on the chip.

// llmPrecisions are the weight formats tried for an LLM on a: the file's
// list, or one per width the chip supports: 16-bit (bf16, else fp16),
// 8-bit (fp8 or int8 with compute units, else a weight-only one: FP8
// weights on an A100 would compute in 16 bits where INT8 W8A8 runs on its
// INT8 tensor cores), int4 (AWQ/GPTQ-style, weight-only), and fp4 where
// the chip has FP4 compute.
func llmPrecisions(w *spec.Workload, a *catalog.Accelerator) []catalog.Precision {
	if len(w.Precision) > 0 {
		out := make([]catalog.Precision, len(w.Precision))
		for i, p := range w.Precision {
			out[i] = catalog.Precision(p)
		}
		return out
	}
	var out []catalog.Precision
	for _, width := range [][]catalog.Precision{{catalog.BF16, catalog.FP16}, {catalog.FP8, catalog.INT8}, {catalog.INT4}} {
		pick := catalog.Precision("")
		for _, p := range width {
			if s := a.Supports(p); s == catalog.SupportNative {
				pick = p
				break
			} else if s == catalog.SupportWeightOnly && pick == "" {
				pick = p
			}
		}
		if pick != "" {
			out = append(out, pick)
		}
	}
	if a.Supports(catalog.FP4) == catalog.SupportNative {
		out = append(out, catalog.FP4)
	}
	return out
}

// servingEngine picks the engine that serves an LLM (kind "llm") or a
// classic model (kind "classic", prec empty) on a, among the catalog's
// engines that run on the chip and serve the precision. NVIDIA endpoints
// with long shared prompts get SGLang (RadixAttention reuses their KV
// cache); a per-token target under 20 ms gets TensorRT-LLM (compiled
// kernels); otherwise the first engine the catalog lists for the vendor.
// The reason is empty when an engine was found.
func (e *Env) servingEngine(w *spec.Workload, a *catalog.Accelerator, prec catalog.Precision, kind string) (*catalog.Engine, string) {
	var cands []*catalog.Engine
	for _, en := range e.C.EnginesFor(a) {
		if en.Kind == kind && (prec == "" || en.Serves(prec)) {
			cands = append(cands, en)
		}
	}
	if len(cands) == 0 {
		if prec == "" {
			return nil, fmt.Sprintf("engine: no %s-model serving engine in the catalog runs on %s (%s)", kind, a.ID, a.Vendor)
		}
		return nil, fmt.Sprintf("engine: no serving engine in the catalog serves %s weights on %s (%s)", prec, a.ID, a.Vendor)
	}
	want := ""
	if kind == "llm" && w.Type == spec.LLMInference {
		switch {
		case w.SLO != nil && w.SLO.TPOTP99Ms > 0 && w.SLO.TPOTP99Ms < 20:
			want = "trtllm"
		case w.Traffic != nil && w.Traffic.InputTokens >= 4*max(w.Traffic.OutputTokens, 1):
			want = "sglang"
		}
	}
	for _, en := range cands {
		if en.ID == want {
			return en, ""
		}
	}
	return cands[0], ""
}

// precisionSupport is why a precision cannot run on a chip ("" when it can).
func precisionSupport(a *catalog.Accelerator, p catalog.Precision) string {
	if a.Supports(p) == catalog.SupportNone {
		return fmt.Sprintf("precision: %s has no %s support (native: %s; weight-only: %s)", a.ID, p, precisionList(a.NativePrecisions), precisionList(a.WeightOnlyPrecisions))
	}
	return ""
}

func precisionList(ps []catalog.Precision) string {
	if len(ps) == 0 {
		return "none"
	}
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = string(p)
	}
	return strings.Join(s, ", ")
}

// supported returns the engine for an LLM precision on a chip, or records
// why the combination cannot run and reports false.
func (e *Env) supported(w *spec.Workload, a *catalog.Accelerator, prec catalog.Precision, col *collector, r *Result) (*catalog.Engine, bool) {
	why := precisionSupport(a, prec)
	var eng *catalog.Engine
	if why == "" {
		eng, why = e.servingEngine(w, a, prec, "llm")
	}
	if why == "" {
		return eng, true
	}
	r.Evaluated++
	col.add(Option{Summary: fmt.Sprintf("%s weights on %s", prec, a.ID), Accelerator: a.ID, Precision: string(prec), Pricing: cost.Unpriced, Rejected: why})
	return nil, false
}

// trainingPrecision is the precision a job trains in on a: the file's
// first precision, else bf16 (fp16 on chips without bf16). Training needs
// compute units for it: weight-only formats do not train.
func trainingPrecision(w *spec.Workload, a *catalog.Accelerator) (catalog.Precision, string) {
	p := catalog.BF16
	if len(w.Precision) > 0 {
		p = catalog.Precision(w.Precision[0])
	} else if a.Supports(catalog.BF16) != catalog.SupportNative {
		p = catalog.FP16
	}
	if a.Supports(p) != catalog.SupportNative {
		return p, fmt.Sprintf("precision: %s has no %s compute units to train in (native: %s)", a.ID, p, precisionList(a.NativePrecisions))
	}
	return p, ""
}

// trainShape is a kind of node a training job runs on, as the performance
// model sees it: accelerators per node, their scale-up domain and the
// node's scale-out network. Cloud instances of the same shape share one
// prediction; an owned pool is its own shape.
type trainShape struct {
	count   int     // accelerators per node
	domain  int     // accelerators sharing the fast link
	netGBs  float64 // scale-out bandwidth per accelerator, GB/s one direction (0: not published)
	netType string  // efa, infiniband, roce, ethernet ("" when not published)
	network string  // the network in words, for the plan
	example string  // an instance type of the shape, for messages
	pool    string  // the owned pool's name ("" for cloud instances)
}

// netPerAccel is an instance's scale-out bandwidth per accelerator (GB/s,
// one direction) and the network in words.
func netPerAccel(in *catalog.Instance) (float64, string) {
	n := in.Network
	if n == nil || n.Gbps <= 0 || in.AcceleratorCount == 0 {
		return 0, "no published network"
	}
	return n.Gbps / 8 / float64(in.AcceleratorCount), fmt.Sprintf("%s %g Gbps per node", n.Type, n.Gbps)
}

func (sh trainShape) matches(in *catalog.Instance, a *catalog.Accelerator) bool {
	if in.Accelerator != a.ID || in.AcceleratorCount != sh.count || in.LinkDomain(a) != sh.domain {
		return false
	}
	n := in.Network
	if n == nil || n.Gbps <= 0 {
		return sh.netGBs == 0
	}
	return n.Type == sh.netType && n.Gbps/8/float64(in.AcceleratorCount) == sh.netGBs
}

// trainShapes lists the node shapes of an accelerator's instances and owned
// pools, in catalog order.
func (e *Env) trainShapes(a *catalog.Accelerator) []trainShape {
	var out []trainShape
	for _, in := range e.C.InstancesFor(a.ID) {
		if in.AcceleratorCount == 0 {
			continue
		}
		known := false
		for _, sh := range out {
			if sh.matches(in, a) {
				known = true
				break
			}
		}
		if !known {
			net, words := netPerAccel(in)
			sh := trainShape{count: in.AcceleratorCount, domain: in.LinkDomain(a), netGBs: net, network: words, example: in.Cloud + " " + in.InstanceType}
			if net > 0 {
				sh.netType = in.Network.Type
			}
			out = append(out, sh)
		}
	}
	if e.Modes[cost.OnPrem] {
		for _, p := range e.onPremFor(a.ID) {
			// Owned servers: 8 accelerators (or the pool) per node, on the
			// vendor's reference cluster network.
			net := e.C.Efficiency.Training.ScaleOutGBsPerGPU
			if a.ScaleOutGBs != nil {
				net = *a.ScaleOutGBs
			}
			out = append(out, trainShape{count: min(p.Count, 8), domain: poolDomain(p, a), netGBs: net, network: "the vendor's reference cluster network (assumed for owned servers)", example: "on-prem " + p.Name, pool: p.Name})
		}
	}
	return out
}

// installed is the accelerator as a job on this shape sees it: the node's
// scale-up domain, and for traffic leaving that domain the node's network
// per accelerator across nodes, or PCIe inside a single node.
func (sh trainShape) installed(a *catalog.Accelerator, nodes int) (*catalog.Accelerator, float64) {
	c := *a
	c.LinkDomain = sh.domain
	pcie := a.PCIeBWGBs / 2
	out := pcie
	if nodes > 1 {
		out = math.Min(sh.netGBs, pcie)
	}
	c.ScaleOutGBs = &out
	return &c, out
}

// trainRun keys one training prediction of an accelerator.
type trainRun struct {
	gpus, domain int
	scaleOutGBs  float64
}

// FlaggedPrice is why an instance's catalog prices are not used: the
// catalog flags them as anomalous (price_flag) and the plan did not opt in
// (constraints.allowFlaggedPrices). "" when they can be used.
func FlaggedPrice(in *catalog.Instance, optIn bool) string {
	if in.PriceFlag == "" || optIn {
		return ""
	}
	return "price: the catalog flags this entry's price as anomalous (" + in.PriceFlag + "); set allowFlaggedPrices to use it"
}

// multiNodeDomain is the node size for replicas across nodes: the largest
// instance of a that is one whole scale-up domain and has a published
// network for the pipeline sends (0 when there is none).
func (e *Env) multiNodeDomain(a *catalog.Accelerator) int {
	d := 0
	for _, in := range e.C.InstancesFor(a.ID) {
		if in.AcceleratorCount > d && instanceDomain(in, a) == in.AcceleratorCount && in.Network != nil && in.Network.Gbps > 0 {
			d = in.AcceleratorCount
		}
	}
	return d
}

// slots is how replicas of u occupy an instance, for billing and packing:
// replicas per instance, accelerators per slot, and slots per hour. A
// replica across nodes takes one whole instance per pipeline stage.
func (u *unit) slots(in *catalog.Instance, week cost.Week) (perInstance, gpus int, slots cost.Week) {
	if u.nodes > 1 {
		return 1, in.AcceleratorCount, week.Map(func(v int) int { return v * u.nodes })
	}
	return in.AcceleratorCount / u.gpus, u.gpus, week
}

// tpDegrees are the tensor-parallel degrees tried for serving, up to the
// 16-accelerator scale-up domains of Trainium and 16-GPU NVSwitch machines
// (each is tried only where a machine holds that many).
var tpDegrees = []int{1, 2, 4, 8, 16}
