package catalog

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/goccy/go-yaml"
)

//go:embed data/*.yaml
var embedded embed.FS

// Catalog is the resolved set of reference data. It is read-only after Load
// and safe for concurrent use: every derived figure (a model's parameter
// split and KV size) is computed at load, and no accessor writes. Callers
// must not modify it or anything it returns (entries are shared between
// catalogs): to vary an entry, copy it. A copy of a Model keeps the figures
// derived from the original's architecture, so vary architecture fields
// only on a Model built anew (its figures are then derived on each read).
type Catalog struct {
	Accelerators []*Accelerator
	Instances    []*Instance
	Models       []*Model
	APIPrices    []*APIPrice
	Regions      []*Region
	Rates        []*Rate
	HIPAAClouds  []*Eligibility
	Controls     []*Control
	Regimes      []*Regime
	Efficiency   *Efficiency
	Engines      []*Engine

	rates   map[string]*Rate
	regions map[string]*Region
	acc     map[string]*Accelerator
	model   map[string]*Model
	inst    map[string]*Instance
	// instByAcc lists instances per accelerator id, sorted by id.
	instByAcc map[string][]*Instance
	findings  []Finding
	imports   []*ImportInfo
}

// File is the on-disk shape of a catalog file; the embedded data and a
// user's overlay use the same shape, every section optional.
type File struct {
	Accelerators []*Accelerator `yaml:"accelerators"`
	Instances    []*Instance    `yaml:"instances"`
	Models       []*Model       `yaml:"models"`
	APIPrices    []*APIPrice    `yaml:"api_prices"`
	Regions      []*Region      `yaml:"regions"`
	Rates        []*Rate        `yaml:"rates"`
	HIPAAClouds  []*Eligibility `yaml:"hipaa_eligible_clouds"`
	Controls     []*Control     `yaml:"controls"`
	Regimes      []*Regime      `yaml:"regimes"`
	Efficiency   *Efficiency    `yaml:"efficiency"`
	Engines      []*Engine      `yaml:"engines"`
	// Imports record where an imported overlay's prices came from (written
	// by `aiplan catalog import`), one per import run.
	Imports []*ImportInfo `yaml:"imports"`
}

// Load reads the embedded catalog and applies the overlay files in order.
// An overlay entry with an existing id replaces that entry; a new id is added.
// The catalog checks run on the result: price-band outliers get a
// PriceFlag/SpotFlag, and any error finding makes Load fail.
func Load(overlays ...string) (*Catalog, error) {
	base, imports, err := loadMerged(overlays)
	if err != nil {
		return nil, err
	}
	flagPrices(base)
	findings := Check(base)
	if errs := Errors(findings); len(errs) > 0 {
		return nil, fmt.Errorf("catalog check failed:%s", checkSummary(errs))
	}
	c, err := build(base)
	if err != nil {
		return nil, err
	}
	c.findings = findings
	c.imports = imports
	return c, nil
}

// CheckFiles merges the embedded catalog with the overlays, as Load does,
// and returns every finding of the checks (errors included) without
// building a catalog; `aiplan catalog check` prints them.
func CheckFiles(overlays ...string) ([]Finding, error) {
	base, _, err := loadMerged(overlays)
	if err != nil {
		return nil, err
	}
	flagPrices(base)
	return Check(base), nil
}

// Merged returns the embedded catalog with the overlays applied, before
// the checks (importers and `catalog diff` read it).
func Merged(overlays ...string) (*File, error) {
	f, _, err := loadMerged(overlays)
	return f, err
}

func loadMerged(overlays []string) (*File, []*ImportInfo, error) {
	emb, err := embeddedFile()
	if err != nil {
		return nil, nil, err
	}
	// Copy the slices: overlays replace entries in place.
	base := File{
		Accelerators: append([]*Accelerator(nil), emb.Accelerators...),
		Instances:    append([]*Instance(nil), emb.Instances...),
		Models:       append([]*Model(nil), emb.Models...),
		APIPrices:    append([]*APIPrice(nil), emb.APIPrices...),
		Regions:      append([]*Region(nil), emb.Regions...),
		Rates:        append([]*Rate(nil), emb.Rates...),
		HIPAAClouds:  append([]*Eligibility(nil), emb.HIPAAClouds...),
		Controls:     append([]*Control(nil), emb.Controls...),
		Regimes:      append([]*Regime(nil), emb.Regimes...),
		Efficiency:   emb.Efficiency,
		Engines:      append([]*Engine(nil), emb.Engines...),
	}
	if emb.Efficiency != nil {
		e := *emb.Efficiency // callers such as the fitter change it in place
		base.Efficiency = &e
	}
	var imports []*ImportInfo
	for _, p := range overlays {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, nil, fmt.Errorf("read catalog %q: %w", p, err)
		}
		f, err := Parse(b, p)
		if err != nil {
			return nil, nil, err
		}
		for _, im := range f.Imports {
			imp := *im
			imp.Overlay = p
			imports = append(imports, &imp)
		}
		merge(&base, f)
	}
	return &base, imports, nil
}

var (
	embOnce sync.Once
	embFile *File
	embErr  error
)

// embeddedFile parses the embedded data once per process, the files in
// parallel. Entries are shared read-only between catalogs.
func embeddedFile() (*File, error) {
	embOnce.Do(func() {
		entries, err := embedded.ReadDir("data")
		if err != nil {
			embErr = fmt.Errorf("read embedded catalog: %w", err)
			return
		}
		names := make([]string, 0, len(entries))
		for _, e := range entries {
			names = append(names, e.Name())
		}
		sort.Strings(names)
		files := make([]*File, len(names))
		errs := make([]error, len(names))
		var wg sync.WaitGroup
		for i, n := range names {
			wg.Add(1)
			go func() {
				defer wg.Done()
				b, err := embedded.ReadFile("data/" + n)
				if err != nil {
					errs[i] = fmt.Errorf("read embedded %s: %w", n, err)
					return
				}
				files[i], errs[i] = Parse(b, "embedded:"+n)
			}()
		}
		wg.Wait()
		var f File
		for i := range names {
			if errs[i] != nil {
				embErr = errs[i]
				return
			}
			merge(&f, files[i])
		}
		for _, m := range f.Models {
			m.derive() // before sharing: derive caches its results
		}
		embFile = &f
	})
	return embFile, embErr
}

// MustDefault loads the embedded catalog and panics on error; the embedded
// data is validated by tests, so this only fails on a broken build.
func MustDefault() *Catalog {
	c, err := Load()
	if err != nil {
		panic(err)
	}
	return c
}

// Parse decodes one catalog file strictly (unknown fields are errors) and
// validates every entry. Errors name the file, the line, the entry and the field.
func Parse(b []byte, name string) (f *File, err error) {
	defer func() {
		// The YAML decoder can panic on some malformed tag constructs;
		// report those as errors about the file.
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("%s: malformed YAML (%v)", name, r)
		}
	}()
	return parse(b, name)
}

func parse(b []byte, name string) (*File, error) {
	const maxSize = 32 << 20
	if len(b) > maxSize {
		return nil, fmt.Errorf("%s: catalog file is %d bytes; the limit is %d", name, len(b), maxSize)
	}
	var f File
	dec := yaml.NewDecoder(bytes.NewReader(b), yaml.DisallowUnknownField())
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %s", name, yaml.FormatError(err, false, true))
	}
	if errs := f.validate(); len(errs) > 0 {
		return nil, fmt.Errorf("%s: invalid catalog:\n  %s", name, strings.Join(errs, "\n  "))
	}
	return &f, nil
}

func merge(dst, src *File) {
	dst.Accelerators = mergeByID(dst.Accelerators, src.Accelerators, func(a *Accelerator) string { return a.ID })
	dst.Instances = mergeByID(dst.Instances, src.Instances, func(a *Instance) string { return a.ID })
	dst.Models = mergeByID(dst.Models, src.Models, func(a *Model) string { return a.ID })
	dst.APIPrices = mergeByID(dst.APIPrices, src.APIPrices, func(a *APIPrice) string { return a.ID })
	dst.Regions = mergeByID(dst.Regions, src.Regions, func(a *Region) string { return a.ID })
	dst.Rates = mergeByID(dst.Rates, src.Rates, func(a *Rate) string { return a.ID })
	dst.HIPAAClouds = mergeByID(dst.HIPAAClouds, src.HIPAAClouds, func(a *Eligibility) string { return a.ID })
	dst.Controls = mergeByID(dst.Controls, src.Controls, func(a *Control) string { return a.ID })
	dst.Regimes = mergeByID(dst.Regimes, src.Regimes, func(a *Regime) string { return a.ID })
	dst.Engines = mergeByID(dst.Engines, src.Engines, func(a *Engine) string { return a.ID })
	if src.Efficiency != nil {
		dst.Efficiency = src.Efficiency
	}
}

func mergeByID[T any](dst, src []T, id func(T) string) []T {
	idx := make(map[string]int, len(dst))
	for i, d := range dst {
		idx[strings.ToLower(id(d))] = i
	}
	for _, s := range src {
		if i, ok := idx[strings.ToLower(id(s))]; ok {
			dst[i] = s
			continue
		}
		idx[strings.ToLower(id(s))] = len(dst)
		dst = append(dst, s)
	}
	return dst
}

func validPrecision(p Precision) bool {
	for _, q := range Precisions {
		if p == q {
			return true
		}
	}
	return false
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func (f *File) validate() []string {
	var errs []string
	bad := func(kind, id, field string, v any, allowed string) {
		errs = append(errs, fmt.Sprintf("%s %q: field %s = %v: %s", kind, id, field, v, allowed))
	}
	pos := func(kind, id, field string, v float64) {
		if !finite(v) || v <= 0 {
			bad(kind, id, field, v, "must be a positive number")
		}
	}
	optPos := func(kind, id, field string, v *float64) {
		if v != nil && (!finite(*v) || *v <= 0) {
			bad(kind, id, field, *v, "must be a positive number or absent")
		}
	}
	prov := func(kind, id, src, asOf string) {
		if strings.TrimSpace(src) == "" {
			bad(kind, id, "source", `""`, "every entry needs a source")
		}
		if strings.TrimSpace(asOf) == "" {
			bad(kind, id, "as_of", `""`, "every entry needs an as_of date")
		}
	}
	for i, a := range f.Accelerators {
		if a == nil || a.ID == "" {
			errs = append(errs, fmt.Sprintf("accelerators[%d]: missing id", i))
			continue
		}
		pos("accelerator", a.ID, "memory_gb", a.MemoryGB)
		optPos("accelerator", a.ID, "memory_bw_gbps", a.MemoryBWGBs)
		for n, v := range map[string]*float64{"fp32_tflops": a.FP32TFLOPS, "tf32_tflops": a.TF32TFLOPS, "bf16_tflops": a.BF16TFLOPS, "fp8_tflops": a.FP8TFLOPS, "int8_tops": a.INT8TOPS, "fp4_tflops": a.FP4TFLOPS, "interconnect_bw_gbps": a.LinkBWGBs, "tdp_w": a.TDPWatts} {
			optPos("accelerator", a.ID, n, v)
		}
		if a.LinkDomain < 1 {
			bad("accelerator", a.ID, "link_domain", a.LinkDomain, "must be >= 1 (1 = no scale-up link)")
		}
		pos("accelerator", a.ID, "pcie_bw_gbps", a.PCIeBWGBs)
		for n, ps := range map[string][]Precision{"native_precisions": a.NativePrecisions, "weight_only_precisions": a.WeightOnlyPrecisions} {
			for _, p := range ps {
				if !validPrecision(p) {
					bad("accelerator", a.ID, n, fmt.Sprintf("%q", p), fmt.Sprintf("allowed: %v", Precisions))
				}
				if n == "weight_only_precisions" && a.Supports(p) == SupportNative {
					bad("accelerator", a.ID, n, p, "already listed in native_precisions")
				}
			}
		}
		prov("accelerator", a.ID, a.Source, a.AsOf)
	}
	for i, in := range f.Instances {
		if in == nil || in.ID == "" {
			errs = append(errs, fmt.Sprintf("instances[%d]: missing id", i))
			continue
		}
		if in.Cloud == "" || in.Region == "" || in.InstanceType == "" {
			bad("instance", in.ID, "cloud/region/instance_type", "empty", "all three are required")
		}
		if in.AcceleratorCount < 0 || (in.Accelerator != "" && in.AcceleratorCount == 0) {
			bad("instance", in.ID, "accelerator_count", in.AcceleratorCount, "must be >= 1 when accelerator is set")
		}
		optPos("instance", in.ID, "price_on_demand_usd_hr", in.PriceOnDemand)
		optPos("instance", in.ID, "price_spot_usd_hr", in.PriceSpot)
		if in.IsCPU() && (in.CPUVectorGFLOPS <= 0 || in.CPUMemoryBWGBs <= 0) {
			bad("instance", in.ID, "cpu_vector_gflops/cpu_memory_bw_gbps", "0", "CPU instances need both figures")
		}
		if in.ScaleUpDomain < 0 {
			bad("instance", in.ID, "scale_up_domain", in.ScaleUpDomain, "must be >= 0 (0 = derive from the accelerator, 1 = PCIe only)")
		}
		if n := in.Network; n != nil {
			ok := false
			for _, t := range NetworkTypes {
				ok = ok || n.Type == t
			}
			if !ok {
				bad("instance", in.ID, "network.type", fmt.Sprintf("%q", n.Type), "allowed: "+strings.Join(NetworkTypes, ", "))
			}
			if !finite(n.Gbps) || n.Gbps < 0 {
				bad("instance", in.ID, "network.gbps", n.Gbps, "must be a finite number >= 0 (0 = not published)")
			}
			prov("instance", in.ID+" network", n.Source, n.AsOf)
		}
		prov("instance", in.ID, in.Source, in.AsOf)
	}
	for i, m := range f.Models {
		if m == nil || m.ID == "" {
			errs = append(errs, fmt.Sprintf("models[%d]: missing id", i))
			continue
		}
		switch m.Kind {
		case "llm":
			for n, v := range map[string]int{"layers": m.Layers, "hidden": m.Hidden, "heads": m.Heads, "kv_heads": m.KVHeads, "head_dim": m.HeadDim, "ffn": m.FFN, "vocab": m.Vocab} {
				if v <= 0 {
					bad("model", m.ID, n, v, "must be a positive integer")
				}
			}
			if m.KVHeads > 0 && m.Heads%m.KVHeads != 0 {
				bad("model", m.ID, "kv_heads", m.KVHeads, fmt.Sprintf("must divide heads (%d)", m.Heads))
			}
			if m.MoE != nil && (m.MoE.Experts <= 0 || m.MoE.TopK <= 0 || m.MoE.TopK > m.MoE.Experts || m.MoE.ExpertFFN <= 0) {
				bad("model", m.ID, "moe", fmt.Sprintf("%+v", *m.MoE), "needs experts > 0, 0 < top_k <= experts, expert_ffn > 0")
			}
			if m.SlidingLayers < 0 || m.SlidingLayers > 1 || m.ChunkedLayers < 0 || m.ChunkedLayers > 1 {
				bad("model", m.ID, "sliding_layers_fraction", m.SlidingLayers, "must be within [0, 1]")
			}
			if m.AttentionSinks != "" && m.AttentionSinks != "learned" {
				bad("model", m.ID, "attention_sinks", m.AttentionSinks, "allowed: learned, or leave it out")
			}
			if m.SinkTokens < 0 || (m.SinkTokens > 0 && m.SlidingWindow <= 0) {
				bad("model", m.ID, "sink_tokens", m.SinkTokens, "must be >= 0, and needs a sliding_window")
			}
		case "classic":
			pos("model", m.ID, "gflops_per_sample", m.GFLOPsPerSample)
			pos("model", m.ID, "mb_per_sample", m.MBPerSample)
			pos("model", m.ID, "params_m", m.ParamsM)
			if m.MeanTokens < 0 || !finite(m.MeanTokens) || (m.MeanTokens > 0 && m.MeanTokens > float64(m.MaxTokens)) {
				bad("model", m.ID, "mean_tokens", m.MeanTokens, fmt.Sprintf("must be >= 0 and at most max_tokens (%d)", m.MaxTokens))
			}
			if m.PassesP90 < 0 || !finite(m.PassesP90) || (m.PassesP90 > 0 && m.PassesP90 < m.PassesPerSample) {
				bad("model", m.ID, "passes_p90", m.PassesP90, fmt.Sprintf("must be >= passes_per_sample (%v)", m.PassesPerSample))
			}
			if m.PassesPerSample < 0 || !finite(m.PassesPerSample) || m.Kernels < 0 || m.InputKBPerSample < 0 || !finite(m.InputKBPerSample) {
				bad("model", m.ID, "passes_per_sample/kernels/input_kb_per_sample", fmt.Sprintf("%v/%v/%v", m.PassesPerSample, m.Kernels, m.InputKBPerSample), "must be >= 0")
			}
		default:
			bad("model", m.ID, "kind", fmt.Sprintf("%q", m.Kind), "allowed: llm, classic")
		}
		if m.ParamsB < 0 || m.ActiveParamsB < 0 || !finite(m.ParamsB) || !finite(m.ActiveParamsB) {
			bad("model", m.ID, "params_b", m.ParamsB, "must be >= 0")
		}
		prov("model", m.ID, m.Source, m.AsOf)
	}
	for _, p := range f.APIPrices {
		if p == nil || p.ID == "" {
			errs = append(errs, "api_prices: entry without id")
			continue
		}
		if !finite(p.InputUSDPerMTok) || !finite(p.OutputUSDPerMTok) || p.InputUSDPerMTok < 0 || p.OutputUSDPerMTok < 0 {
			bad("api_price", p.ID, "input/output_usd_per_mtok", p.InputUSDPerMTok, "must be >= 0")
		}
		if !finite(p.TTFTP99Ms) || !finite(p.TPOTP99Ms) || p.TTFTP99Ms < 0 || p.TPOTP99Ms < 0 {
			bad("api_price", p.ID, "ttft_p99_ms/tpot_p99_ms", p.TTFTP99Ms, "must be >= 0 (0: not stated)")
		} else if (p.TTFTP99Ms > 0 || p.TPOTP99Ms > 0) && p.LatencySource == "" {
			bad("api_price", p.ID, "latency_source", `""`, "a stated latency needs the page that states it")
		}
		prov("api_price", p.ID, p.Source, p.AsOf)
	}
	for _, r := range f.Regions {
		if r == nil || r.ID == "" {
			errs = append(errs, "regions: entry without id")
			continue
		}
		prov("region", r.ID, r.Source, r.AsOf)
	}
	for _, r := range f.Rates {
		if r == nil || r.ID == "" {
			errs = append(errs, "rates: entry without id")
			continue
		}
		if !finite(r.Value) || r.Value < 0 {
			bad("rate", r.ID, "value", r.Value, "must be a finite number >= 0")
		}
		prov("rate", r.ID, r.Source, r.AsOf)
	}
	for _, r := range f.HIPAAClouds {
		if r == nil || r.ID == "" {
			errs = append(errs, "hipaa_eligible_clouds: entry without id")
			continue
		}
		prov("hipaa_eligible_cloud", r.ID, r.Source, r.AsOf)
	}
	errs = append(errs, f.validateCompliance(bad, prov)...)
	for i, im := range f.Imports {
		if im == nil || im.Format == "" || len(im.Files) == 0 {
			errs = append(errs, fmt.Sprintf("imports[%d]: needs format and files", i))
			continue
		}
		for _, src := range im.Files {
			if src.Name == "" || len(src.SHA256) != 64 || src.Date == "" {
				errs = append(errs, fmt.Sprintf("imports[%d]: file %q needs name, date and a sha256 of 64 hex digits", i, src.Name))
			}
		}
	}
	for i, e := range f.Engines {
		if e == nil || e.ID == "" {
			errs = append(errs, fmt.Sprintf("engines[%d]: missing id", i))
			continue
		}
		errs = append(errs, e.validate()...)
		prov("engine", e.ID, e.Source, e.AsOf)
	}
	if f.Efficiency != nil {
		errs = append(errs, f.Efficiency.validate()...)
	}
	return errs
}

func build(f *File) (*Catalog, error) {
	c := &Catalog{
		Accelerators: f.Accelerators, Instances: f.Instances, Models: f.Models, APIPrices: f.APIPrices, Efficiency: f.Efficiency,
		Regions: f.Regions, Rates: f.Rates, HIPAAClouds: f.HIPAAClouds, Controls: f.Controls, Regimes: f.Regimes, Engines: f.Engines, rates: map[string]*Rate{}, regions: map[string]*Region{},
		acc: map[string]*Accelerator{}, model: map[string]*Model{}, inst: map[string]*Instance{}, instByAcc: map[string][]*Instance{},
	}
	if c.Efficiency == nil {
		return nil, errors.New("catalog has no efficiency section")
	}
	for _, a := range c.Accelerators {
		for _, k := range append([]string{a.ID, a.Name}, a.Aliases...) {
			if k != "" {
				if _, dup := c.acc[normalize(k)]; !dup || normalize(k) == normalize(a.ID) {
					c.acc[normalize(k)] = a
				}
			}
		}
	}
	for _, m := range c.Models {
		for _, k := range append([]string{m.ID, m.Name}, m.Aliases...) {
			if k != "" {
				if _, dup := c.model[normalize(k)]; !dup || normalize(k) == normalize(m.ID) {
					c.model[normalize(k)] = m
				}
			}
		}
		m.derive()
	}
	for _, r := range c.Rates {
		c.rates[r.ID] = r
	}
	for _, r := range c.Regions {
		c.regions[r.ID] = r
	}
	var errs []string
	for _, in := range c.Instances {
		c.inst[strings.ToLower(in.ID)] = in
		if in.IsCPU() {
			continue
		}
		a, ok := c.acc[normalize(in.Accelerator)]
		if !ok {
			errs = append(errs, fmt.Sprintf("instance %q: accelerator %q is not in the catalog", in.ID, in.Accelerator))
			continue
		}
		c.instByAcc[a.ID] = append(c.instByAcc[a.ID], in)
	}
	if len(errs) > 0 {
		sort.Strings(errs) // some come from map iteration: report them in one order
		return nil, fmt.Errorf("invalid catalog:\n  %s", strings.Join(errs, "\n  "))
	}
	for k := range c.instByAcc {
		sort.Slice(c.instByAcc[k], func(i, j int) bool { return c.instByAcc[k][i].ID < c.instByAcc[k][j].ID })
	}
	sort.Slice(c.Instances, func(i, j int) bool { return c.Instances[i].ID < c.Instances[j].ID })
	return c, nil
}
