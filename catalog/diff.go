package catalog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
)

// Change is one difference between two catalogs: an entry added, removed,
// or one field of an entry changed.
type Change struct {
	Kind  string `json:"kind"` // instance, accelerator, model, engine, rate
	ID    string `json:"id"`
	Op    string `json:"op"` // added, removed, changed
	Field string `json:"field,omitempty"`
	Old   string `json:"old,omitempty"`
	New   string `json:"new,omitempty"`
}

func (c Change) String() string {
	switch c.Op {
	case "added":
		return fmt.Sprintf("+ %s %s", c.Kind, c.ID)
	case "removed":
		return fmt.Sprintf("- %s %s", c.Kind, c.ID)
	}
	return fmt.Sprintf("~ %s %s %s: %s -> %s", c.Kind, c.ID, c.Field, c.Old, c.New)
}

// Diff lists what changed from before to after, entry by entry and field by
// field (fields compared by their JSON form), sorted by kind and id.
func Diff(before, after *File) []Change {
	var out []Change
	out = append(out, diffSection("instance", byID(before.Instances, func(x *Instance) string { return x.ID }), byID(after.Instances, func(x *Instance) string { return x.ID }))...)
	out = append(out, diffSection("accelerator", byID(before.Accelerators, func(x *Accelerator) string { return x.ID }), byID(after.Accelerators, func(x *Accelerator) string { return x.ID }))...)
	out = append(out, diffSection("model", byID(before.Models, func(x *Model) string { return x.ID }), byID(after.Models, func(x *Model) string { return x.ID }))...)
	out = append(out, diffSection("engine", byID(before.Engines, func(x *Engine) string { return x.ID }), byID(after.Engines, func(x *Engine) string { return x.ID }))...)
	out = append(out, diffSection("rate", byID(before.Rates, func(x *Rate) string { return x.ID }), byID(after.Rates, func(x *Rate) string { return x.ID }))...)
	return out
}

func byID[T any](xs []T, id func(T) string) map[string]any {
	m := make(map[string]any, len(xs))
	for _, x := range xs {
		m[id(x)] = x
	}
	return m
}

func diffSection(kind string, before, after map[string]any) []Change {
	ids := map[string]bool{}
	for k := range before {
		ids[k] = true
	}
	for k := range after {
		ids[k] = true
	}
	keys := make([]string, 0, len(ids))
	for k := range ids {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []Change
	for _, id := range keys {
		b, inB := before[id]
		a, inA := after[id]
		switch {
		case !inB:
			out = append(out, Change{Kind: kind, ID: id, Op: "added"})
		case !inA:
			out = append(out, Change{Kind: kind, ID: id, Op: "removed"})
		default:
			fb, fa := fields(b), fields(a)
			names := map[string]bool{}
			for k := range fb {
				names[k] = true
			}
			for k := range fa {
				names[k] = true
			}
			fs := make([]string, 0, len(names))
			for k := range names {
				fs = append(fs, k)
			}
			sort.Strings(fs)
			for _, f := range fs {
				if fb[f] != fa[f] {
					out = append(out, Change{Kind: kind, ID: id, Op: "changed", Field: f, Old: orNone(fb[f]), New: orNone(fa[f])})
				}
			}
		}
	}
	return out
}

// fields flattens an entry to field -> JSON text (nested objects by their
// JSON form).
func fields(x any) map[string]string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(x); err != nil {
		return map[string]string{"?": err.Error()}
	}
	b := buf.Bytes()
	var m map[string]json.RawMessage
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		return map[string]string{"?": err.Error()}
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		if string(v) == "null" {
			continue
		}
		out[k] = string(v)
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
