package search

import (
	"fmt"
	"sort"

	"github.com/aiplan-dev/aiplan/catalog"
	"github.com/aiplan-dev/aiplan/spec"
)

// This file holds what a configuration can physically run on: the link a
// tensor-parallel group talks over on a given instance or owned pool.

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
// link.
func instanceDomain(in *catalog.Instance, a *catalog.Accelerator) int {
	return min(in.AcceleratorCount, max(a.LinkDomain, 1))
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
// with. A replica never spans instances.
func (u *unit) runsOn(in *catalog.Instance) bool {
	if in.Accelerator != u.acc.ID || in.AcceleratorCount < u.gpus {
		return false
	}
	return u.tp <= 1 || tpLink(u.tp, instanceDomain(in, u.acc)) == u.link
}

// runsOnPool is runsOn for an owned pool.
func (u *unit) runsOnPool(p spec.OnPrem) bool {
	if p.Accelerator != u.acc.ID || p.Count < u.gpus {
		return false
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
func parallelism(tp int, l link) string {
	if l == linkPCIe {
		return fmt.Sprintf("tp=%d over PCIe", tp)
	}
	return fmt.Sprintf("tp=%d", tp)
}
