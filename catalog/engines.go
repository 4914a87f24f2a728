package catalog

import (
	"fmt"
	"sort"
	"strings"
)

// Engine is a serving engine as data: which accelerator vendors it runs on,
// its container image per vendor, the precisions it serves and the
// Prometheus metric names it exports (data/engines.yaml).
type Engine struct {
	ID      string `yaml:"id" json:"id"`
	Name    string `yaml:"name" json:"name"`
	Version string `yaml:"version" json:"version"`
	// Vendors are the accelerator vendors it runs on: nvidia, amd, aws,
	// google, intel.
	Vendors []string `yaml:"vendors" json:"vendors"`
	// Images maps a vendor to the engine's container image for it. A key
	// vendor/accelerator-id (amd/mi300x) names a build for that accelerator
	// only, for engines whose builds are per GPU architecture; it wins over
	// the vendor's image, and an engine with only such keys for a vendor has
	// no image for that vendor's other accelerators.
	Images map[string]string `yaml:"images" json:"images"`
	// ImageBuild, when set, says what must be built on the image before it
	// runs the engine (the vendor publishes the engine only as a build
	// recipe on a pinned base): exports carry it as a note and an
	// annotation instead of pretending the base image serves.
	ImageBuild string        `yaml:"image_build" json:"image_build,omitempty"`
	Metrics    EngineMetrics `yaml:"metrics" json:"metrics"`
	// Precisions are the weight formats the engine serves.
	Precisions []Precision `yaml:"precisions" json:"precisions"`
	// Kind is "llm" (token generation) or "classic" (fixed-size inference).
	Kind   string `yaml:"kind" json:"kind"`
	Source string `yaml:"source" json:"source"`
	AsOf   string `yaml:"as_of" json:"as_of"`
}

// EngineMetrics are Prometheus metric names exactly as the engine exports
// them; an empty name means the engine exports no such metric.
type EngineMetrics struct {
	// Endpoint is the HTTP path of the metrics (e.g. /metrics).
	Endpoint string `yaml:"endpoint" json:"endpoint"`
	// QueueWaiting is a gauge of requests waiting for a batch slot.
	QueueWaiting string `yaml:"queue_waiting" json:"queue_waiting"`
	// Running is a gauge of requests being processed.
	Running string `yaml:"running" json:"running"`
	// TTFTHistogram, TPOTHistogram, E2EHistogram are latency histograms
	// in seconds (the base name, without _bucket/_sum/_count).
	TTFTHistogram string `yaml:"ttft_histogram" json:"ttft_histogram"`
	TPOTHistogram string `yaml:"tpot_histogram" json:"tpot_histogram"`
	E2EHistogram  string `yaml:"e2e_histogram" json:"e2e_histogram"`
	// KVUsage is a gauge of KV-cache occupancy as a fraction (0-1).
	KVUsage string `yaml:"kv_usage" json:"kv_usage"`
	// QueueTimeHistogram is a histogram of the seconds each request waits
	// in the engine's queue before it is scheduled (base name).
	QueueTimeHistogram string `yaml:"queue_time_histogram" json:"queue_time_histogram"`
}

// RunsOn reports whether the engine runs on an accelerator's vendor.
func (e *Engine) RunsOn(a *Accelerator) bool {
	if a == nil {
		return false
	}
	v := VendorKey(a.Vendor)
	for _, x := range e.Vendors {
		if x == v {
			return true
		}
	}
	return false
}

// Image returns the engine's container image for an accelerator: its build
// for that accelerator, else its image for the vendor ("" when it has
// neither).
func (e *Engine) Image(a *Accelerator) string {
	if a == nil {
		return ""
	}
	v := VendorKey(a.Vendor)
	if img, ok := e.Images[v+"/"+strings.ToLower(a.ID)]; ok {
		return img
	}
	return e.Images[v]
}

// imageVendor is the vendor part of an images key (amd of amd/mi300x).
func imageVendor(key string) string {
	v, _, _ := strings.Cut(key, "/")
	return v
}

// Serves reports whether the engine serves weights in precision p.
func (e *Engine) Serves(p Precision) bool {
	for _, q := range e.Precisions {
		if q == p {
			return true
		}
	}
	return false
}

// VendorKey maps an accelerator's vendor name to the key engines use
// (NVIDIA -> nvidia, Google -> google, AWS -> aws, AMD -> amd, Intel -> intel).
func VendorKey(vendor string) string { return strings.ToLower(strings.TrimSpace(vendor)) }

// EngineVendors lists the valid vendor keys, for error messages.
var EngineVendors = []string{"nvidia", "amd", "aws", "google", "intel"}

// Engine returns an engine by id.
func (c *Catalog) Engine(id string) (*Engine, error) {
	for _, e := range c.Engines {
		if strings.EqualFold(e.ID, id) {
			return e, nil
		}
	}
	ids := make([]string, 0, len(c.Engines))
	for _, e := range c.Engines {
		ids = append(ids, e.ID)
	}
	sort.Strings(ids)
	return nil, &NotFoundError{Kind: "engine", ID: id, Suggestions: closest(strings.ToLower(id), ids, func(k string) string { return k })}
}

// EnginesFor lists the engines that run on an accelerator, in catalog order
// (data/engines.yaml lists the preferred engine of each vendor first).
func (c *Catalog) EnginesFor(a *Accelerator) []*Engine {
	var out []*Engine
	for _, e := range c.Engines {
		if e.RunsOn(a) {
			out = append(out, e)
		}
	}
	return out
}

func (e *Engine) validate() []string {
	var errs []string
	bad := func(field string, v any, allowed string) {
		errs = append(errs, fmt.Sprintf("engine %q: field %s = %v: %s", e.ID, field, v, allowed))
	}
	if len(e.Vendors) == 0 {
		bad("vendors", "[]", "list at least one of "+strings.Join(EngineVendors, ", "))
	}
	for _, v := range e.Vendors {
		ok := false
		for _, x := range EngineVendors {
			ok = ok || v == x
		}
		if !ok {
			bad("vendors", fmt.Sprintf("%q", v), "allowed: "+strings.Join(EngineVendors, ", "))
		}
		has := strings.TrimSpace(e.Images[v]) != ""
		for k, img := range e.Images {
			has = has || imageVendor(k) == v && strings.Contains(k, "/") && strings.TrimSpace(img) != ""
		}
		if !has {
			bad("images."+v, `""`, "every vendor the engine runs on needs a container image (for the vendor, or vendor/accelerator-id for per-architecture builds)")
		}
	}
	if why := exactVersion(e.Version); why != "" {
		bad("version", fmt.Sprintf("%q", e.Version), why+": exports deploy one engine build, the one the estimate names")
	}
	for _, k := range keys(e.Images) {
		if why := UnpinnedImage(e.Images[k]); why != "" && strings.TrimSpace(e.Images[k]) != "" {
			bad("images."+k, fmt.Sprintf("%q", e.Images[k]), why+"; pin an exact release tag the vendor documents, or a sha256 digest")
		}
	}
	for k := range e.Images {
		if _, acc, ok := strings.Cut(k, "/"); ok && (acc == "" || strings.Contains(acc, "/") || acc != strings.ToLower(acc)) {
			bad("images", k, "a key is a vendor or vendor/accelerator-id (lower case)")
		}
		found := false
		for _, v := range e.Vendors {
			found = found || v == imageVendor(k)
		}
		if !found {
			bad("images", k, "image for a vendor not in vendors")
		}
	}
	for _, p := range e.Precisions {
		if _, ok := ParsePrecision(string(p)); !ok || string(p) != strings.ToLower(string(p)) {
			bad("precisions", p, fmt.Sprintf("allowed: %v", Precisions))
		}
	}
	switch e.Kind {
	case "llm":
		if e.Metrics.E2EHistogram == "" {
			bad("metrics.e2e_histogram", `""`, "an LLM engine needs a request latency histogram")
		}
	case "classic":
	default:
		bad("kind", fmt.Sprintf("%q", e.Kind), "allowed: llm, classic")
	}
	if e.Metrics.Endpoint != "" && !strings.HasPrefix(e.Metrics.Endpoint, "/") {
		bad("metrics.endpoint", e.Metrics.Endpoint, "must be an HTTP path starting with /")
	}
	return errs
}
