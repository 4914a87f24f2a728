package catalog

import (
	"fmt"
	"sort"
	"strings"
)

// normalize lower-cases and drops everything but letters and digits, so that
// "Llama-3.1-70B", "llama_3.1_70b" and "LLAMA 3.1 70B" compare equal.
func normalize(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// modelSuffixes are release tags that do not change the architecture.
var modelSuffixes = []string{"instruct", "chat", "hf", "base", "it", "fp8", "awq", "gptq", "v01", "v1", "dynamic"}

// NotFoundError is returned for an unknown id; it carries the closest ids.
type NotFoundError struct {
	Kind, ID    string
	Suggestions []string
}

func (e *NotFoundError) Error() string {
	msg := fmt.Sprintf("unknown %s %q", e.Kind, e.ID)
	if len(e.Suggestions) > 0 {
		msg += "; did you mean " + strings.Join(e.Suggestions, ", ") + "?"
	}
	return msg + fmt.Sprintf(" (run `aiplan catalog list %ss`)", e.Kind)
}

// Accelerator resolves an accelerator id, name or alias, case-insensitively.
// Vendor prefixes ("NVIDIA A100-80GB") and a trailing memory size that matches
// the chip ("H100-SXM-80GB") are accepted.
func (c *Catalog) Accelerator(id string) (*Accelerator, error) {
	n := normalize(id)
	if a, ok := c.acc[n]; ok {
		return a, nil
	}
	for _, v := range []string{"nvidia", "amd", "intel", "google", "aws", "instinct"} {
		if t := strings.TrimPrefix(n, v); t != n {
			if a, ok := c.acc[t]; ok {
				return a, nil
			}
			n = t
		}
	}
	for _, suf := range []string{"gpu", "tensorcoregpu"} {
		if a, ok := c.acc[strings.TrimSuffix(n, suf)]; ok {
			return a, nil
		}
	}
	// Drop trailing descriptors one at a time ("H100 80GB HBM3", "MI300X OAM").
	parts := strings.FieldsFunc(id, func(r rune) bool { return r == '-' || r == '_' || r == ' ' })
	for k := len(parts) - 1; k >= 1 && k >= len(parts)-3; k-- {
		p := normalize(strings.Join(parts[:k], ""))
		for _, v := range []string{"nvidia", "amd", "intel", "google", "aws"} {
			p = strings.TrimPrefix(p, v)
		}
		if a, ok := c.acc[p]; ok && p != "" {
			return a, nil
		}
	}
	return nil, &NotFoundError{Kind: "accelerator", ID: id, Suggestions: closest(n, keys(c.acc), func(k string) string { return c.acc[k].ID })}
}

// Model resolves a model id, name, alias or Hugging Face repository name
// ("meta-llama/Llama-3.1-70B-Instruct", "mistralai/Mistral-7B-Instruct-v0.3"),
// case-insensitively.
func (c *Catalog) Model(id string) (*Model, error) {
	s := id
	if i := strings.LastIndex(s, "/"); i >= 0 {
		s = s[i+1:]
	}
	n := normalize(s)
	if m, ok := c.lookupModel(n); ok {
		return m, nil
	}
	// Drop trailing release tags one component at a time ("-v0.3",
	// "-2507", "-Instruct"), accepting only an exact match.
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == '_' || r == ' ' })
	for k := len(parts) - 1; k >= 2 && k >= len(parts)-3; k-- {
		if m, ok := c.lookupModel(normalize(strings.Join(parts[:k], "-"))); ok {
			return m, nil
		}
	}
	return nil, &NotFoundError{Kind: "model", ID: id, Suggestions: closest(n, keys(c.model), func(k string) string { return c.model[k].ID })}
}

// lookupModel matches a normalized name, then again without a "meta" prefix
// and without release suffixes such as "instruct" or "fp8".
func (c *Catalog) lookupModel(n string) (*Model, bool) {
	if m, ok := c.model[n]; ok {
		return m, true
	}
	trimmed := strings.TrimPrefix(n, "meta")
	for changed := true; changed; {
		if m, ok := c.model[trimmed]; ok {
			return m, true
		}
		changed = false
		for _, suf := range modelSuffixes {
			if strings.HasSuffix(trimmed, suf) && len(trimmed) > len(suf)+2 {
				trimmed = strings.TrimSuffix(trimmed, suf)
				changed = true
			}
		}
	}
	return nil, false
}

// Instance returns an instance by its "cloud/type/region" id.
func (c *Catalog) Instance(id string) (*Instance, error) {
	if in, ok := c.inst[strings.ToLower(id)]; ok {
		return in, nil
	}
	var ids []string
	for _, in := range c.Instances {
		ids = append(ids, strings.ToLower(in.ID))
	}
	return nil, &NotFoundError{Kind: "instance", ID: id, Suggestions: closest(strings.ToLower(id), ids, func(k string) string { return c.inst[k].ID })}
}

// InstancesFor lists the instances carrying an accelerator, sorted by id.
func (c *Catalog) InstancesFor(acceleratorID string) []*Instance { return c.instByAcc[acceleratorID] }

// CheapestOnDemand returns the lowest on-demand price per accelerator-hour in
// the catalog for an accelerator and the instance it comes from; flagged
// prices are left out.
func (c *Catalog) CheapestOnDemand(acceleratorID string) (float64, *Instance) {
	best := 0.0
	var bi *Instance
	for _, in := range c.instByAcc[acceleratorID] {
		od, ok := in.OnDemand(false)
		if !ok {
			continue
		}
		p := od / float64(in.AcceleratorCount)
		if bi == nil || p < best {
			best, bi = p, in
		}
	}
	return best, bi
}

func keys[T any](m map[string]T) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// closest returns up to three canonical ids whose normalized keys are nearest
// to n by edit distance (a shared prefix counts in favour).
func closest(n string, ks []string, canon func(string) string) []string {
	type cand struct {
		id string
		d  int
	}
	best := map[string]int{}
	for _, k := range ks {
		d := levenshtein(n, k)
		if strings.HasPrefix(k, n) || strings.HasPrefix(n, k) {
			d -= 2
		}
		id := canon(k)
		if old, ok := best[id]; !ok || d < old {
			best[id] = d
		}
	}
	var cs []cand
	for id, d := range best {
		cs = append(cs, cand{id, d})
	}
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].d != cs[j].d {
			return cs[i].d < cs[j].d
		}
		return cs[i].id < cs[j].id
	})
	var out []string
	for i := 0; i < len(cs) && i < 3; i++ {
		if cs[i].d <= len(n)/2+3 {
			out = append(out, cs[i].id)
		}
	}
	return out
}

func levenshtein(a, b string) int {
	if len(a) > 64 {
		a = a[:64]
	}
	if len(b) > 64 {
		b = b[:64]
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Rate returns a named rate (see data/pricing.yaml).
func (c *Catalog) Rate(id string) (*Rate, bool) {
	r, ok := c.rates[id]
	return r, ok
}

// Region returns a region's record.
func (c *Catalog) Region(id string) (*Region, bool) {
	r, ok := c.regions[id]
	return r, ok
}

// HIPAAEligible reports whether a cloud offers a BAA covering compute,
// Kubernetes, storage and keys.
func (c *Catalog) HIPAAEligible(cloud string) bool {
	for _, e := range c.HIPAAClouds {
		if e.ID == cloud {
			return true
		}
	}
	return false
}

// APIPriceFor returns the cheapest per-token API offering for a model.
func (c *Catalog) APIPriceFor(modelID string) *APIPrice {
	var best *APIPrice
	for _, p := range c.APIPrices {
		if p.Model == modelID && (best == nil || p.InputUSDPerMTok+p.OutputUSDPerMTok < best.InputUSDPerMTok+best.OutputUSDPerMTok) {
			best = p
		}
	}
	return best
}

// Clouds lists the clouds that have instances, sorted.
func (c *Catalog) Clouds() []string {
	seen := map[string]bool{}
	var out []string
	for _, in := range c.Instances {
		if !seen[in.Cloud] {
			seen[in.Cloud] = true
			out = append(out, in.Cloud)
		}
	}
	sort.Strings(out)
	return out
}
