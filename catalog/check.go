package catalog

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Severity of a catalog finding.
type Severity string

// Severities: an error makes the catalog unusable (Load fails); a warning
// is printed by `aiplan catalog check` and, for price outliers, flags the
// price (PriceFlag/SpotFlag) so planners skip it unless the user opts in.
const (
	SevError   Severity = "error"
	SevWarning Severity = "warning"
)

// Finding is one result of the catalog checks.
type Finding struct {
	Severity Severity `json:"severity"`
	// Check names the rule: spot-price, price-band, zero-price,
	// dense-sparse, usable-memory, checkpoint-precision, derived-peak,
	// network, price-date.
	Check   string `json:"check"`
	Kind    string `json:"kind"` // accelerator, instance, model
	ID      string `json:"id"`
	Message string `json:"message"`
}

func (f Finding) String() string {
	return fmt.Sprintf("%-7s %-20s %s %s: %s", f.Severity, f.Check, f.Kind, f.ID, f.Message)
}

// PriceBand is how far (as a factor either way) an instance's per-
// accelerator price may sit from the median of the same accelerator across
// regions and clouds before it is flagged as an outlier. Neoclouds sell
// H100s at under half the hyperscalers' list price, so the band is wide;
// a factor of 3 still catches a one-zone spot price at a third of its
// neighbours, or a GPU row priced at a fraction of its own region family.
const PriceBand = 3.0

// Check runs every catalog check over the file's entries. It changes
// nothing; see flagPrices for the flags the loader sets.
func Check(f *File) []Finding {
	var out []Finding
	add := func(sev Severity, check, kind, id, format string, args ...any) {
		out = append(out, Finding{Severity: sev, Check: check, Kind: kind, ID: id, Message: fmt.Sprintf(format, args...)})
	}
	acc := map[string]*Accelerator{}
	for _, a := range f.Accelerators {
		for _, k := range append([]string{a.ID, a.Name}, a.Aliases...) {
			if k != "" {
				if _, dup := acc[normalize(k)]; !dup {
					acc[normalize(k)] = a
				}
			}
		}
		checkAccelerator(a, add)
	}
	for _, m := range f.Models {
		checkModel(m, add)
	}
	undated := map[string][]string{}
	for _, in := range f.Instances {
		if in.PriceOnDemand != nil && *in.PriceOnDemand == 0 {
			add(SevError, "zero-price", "instance", in.ID, "on-demand price is $0: a $0 row is a missing price, not a free machine (leave it absent)")
		}
		if in.PriceSpot != nil && *in.PriceSpot == 0 {
			add(SevError, "zero-price", "instance", in.ID, "spot price is $0 (leave it absent when there is no spot offer)")
		}
		if in.PriceSpot != nil && in.PriceOnDemand != nil && *in.PriceSpot >= *in.PriceOnDemand && *in.PriceSpot > 0 {
			add(SevError, "spot-price", "instance", in.ID, "spot %g >= on-demand %g: a spot price equal to on-demand is no spot offer; leave price_spot_usd_hr absent", *in.PriceSpot, *in.PriceOnDemand)
		}
		if in.PriceSpot != nil && in.PriceOnDemand == nil {
			add(SevWarning, "spot-price", "instance", in.ID, "spot %g without an on-demand price: the spot discount cannot be verified", *in.PriceSpot)
		}
		if !in.IsCPU() {
			if in.Network == nil {
				add(SevWarning, "network", "instance", in.ID, "accelerator instance without a scale-out network record; multi-node plans cannot use it")
			} else if in.Network.Gbps == 0 {
				add(SevWarning, "network", "instance", in.ID, "network bandwidth not published by the provider (%s); not fit for multi-node jobs", in.Network.Type)
			}
		}
		if _, ok := in.PriceDate(); !ok && (in.PriceOnDemand != nil || in.PriceSpot != nil) {
			undated[in.AsOf] = append(undated[in.AsOf], in.ID)
		}
	}
	// One finding per undated snapshot rather than one per entry.
	asOfs := make([]string, 0, len(undated))
	for k := range undated {
		asOfs = append(asOfs, k)
	}
	sort.Strings(asOfs)
	for _, asOf := range asOfs {
		ids := undated[asOf]
		sort.Strings(ids)
		ex := ids
		if len(ex) > 3 {
			ex = ex[:3]
		}
		add(SevWarning, "price-date", "instance", fmt.Sprintf("(%d entries)", len(ids)), "as_of %q is not a date, so the age of these prices is unknown (plans mark them undated): %s...", asOf, strings.Join(ex, ", "))
	}
	for _, b := range priceBands(f.Instances, acc) {
		add(SevWarning, "price-band", "instance", b.id, "%s", b.reason)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Severity != out[j].Severity {
			return out[i].Severity == SevError
		}
		if out[i].Check != out[j].Check {
			return out[i].Check < out[j].Check
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Errors returns the error findings.
func Errors(fs []Finding) []Finding {
	var out []Finding
	for _, f := range fs {
		if f.Severity == SevError {
			out = append(out, f)
		}
	}
	return out
}

func checkAccelerator(a *Accelerator, add func(Severity, string, string, string, string, ...any)) {
	get := func(x *float64) float64 {
		if x == nil {
			return 0
		}
		return *x
	}
	// No precision peak may stand without compute units for it: a peak
	// for a precision the chip does not run natively was derived from
	// another precision (the INT8 figure copied as FP8 on A100, say).
	for p, v := range map[Precision]*float64{FP8: a.FP8TFLOPS, FP4: a.FP4TFLOPS, INT8: a.INT8TOPS} {
		if v != nil && len(a.NativePrecisions) > 0 && a.Supports(p) != SupportNative {
			add(SevError, "derived-peak", "accelerator", a.ID, "%s peak %g is recorded but %s is not in native_precisions: a peak without compute units is derived from another precision", p, *v, p)
		}
	}
	// Dense vs sparse: vendors quote tensor peaks with 2:4 sparsity (2x).
	// Within one chip, fp8 is 1x (same-rate units: Gaudi, Trainium1) or
	// 2x the bf16 peak, fp4 2-3x the fp8 peak, tf32 half of bf16. A ratio
	// off those by ~2x means one figure is sparse.
	bf, fp8, fp4, i8, tf := get(a.BF16TFLOPS), get(a.FP8TFLOPS), get(a.FP4TFLOPS), get(a.INT8TOPS), get(a.TF32TFLOPS)
	ratio := func(name string, num, den float64, allowed ...[2]float64) {
		if num == 0 || den == 0 {
			return
		}
		r := num / den
		for _, w := range allowed {
			if r >= w[0] && r <= w[1] {
				return
			}
		}
		add(SevWarning, "dense-sparse", "accelerator", a.ID, "%s = %.3g is outside the vendor ratios %v; is one figure a sparse (2:4) peak?", name, r, allowed)
	}
	ratio("fp8/bf16", fp8, bf, [2]float64{0.95, 1.05}, [2]float64{1.9, 2.1})
	ratio("fp4/fp8", fp4, fp8, [2]float64{1.9, 3.1})
	ratio("int8/bf16", i8, bf, [2]float64{0.95, 1.05}, [2]float64{1.9, 2.1})
	// Gaudi 3's MME runs TF32 at a quarter of its BF16 rate.
	ratio("tf32/bf16", tf, bf, [2]float64{0.24, 0.28}, [2]float64{0.45, 0.55}, [2]float64{0.95, 1.05})
	// Memory: usable GiB is what engines can allocate; it cannot exceed
	// the nominal figure read as GiB.
	switch {
	case a.MemoryGiB == 0:
		add(SevWarning, "usable-memory", "accelerator", a.ID, "usable memory (memory_gib) not recorded; the nominal %g GB is used as GiB", a.MemoryGB)
	case a.MemoryGiB > a.MemoryGB*1.001:
		add(SevError, "usable-memory", "accelerator", a.ID, "memory_gib %g exceeds the nominal %g GB read as GiB: memory_gib must be the usable GiB (MiB / 1024)", a.MemoryGiB, a.MemoryGB)
	case a.MemoryGiB < a.MemoryGB*0.85:
		add(SevWarning, "usable-memory", "accelerator", a.ID, "memory_gib %g is under 85%% of the nominal %g GB: check the unit (GiB, not GB or MiB)", a.MemoryGiB, a.MemoryGB)
	}
}

func checkModel(m *Model, add func(Severity, string, string, string, string, ...any)) {
	if !m.IsLLM() {
		return
	}
	if m.DefaultPrec != "" {
		if _, ok := ParsePrecision(m.DefaultPrec); !ok {
			add(SevError, "checkpoint-precision", "model", m.ID, "default_precision %q is not a precision (allowed: %v)", m.DefaultPrec, Precisions)
			return
		}
	}
	if f := strings.ToLower(m.CheckpointFP4); f != "" && f != "mxfp4" && f != "nvfp4" {
		add(SevError, "checkpoint-precision", "model", m.ID, "checkpoint_fp4 %q: allowed: mxfp4, nvfp4", m.CheckpointFP4)
	}
	if m.CheckpointPrecision == "" {
		return // no released checkpoint (architecture-only entries)
	}
	ck, ok := ParsePrecision(m.CheckpointPrecision)
	if !ok {
		add(SevError, "checkpoint-precision", "model", m.ID, "checkpoint_precision %q is not a precision (allowed: %v)", m.CheckpointPrecision, Precisions)
		return
	}
	def := m.DefaultPrecision()
	wide := func(p Precision) bool { return p == BF16 || p == FP16 || p == FP32 }
	switch {
	case def == ck:
	case wide(ck) && (def == BF16 || def == FP16):
		// A 16- or 32-bit release is served in 16 bits.
	default:
		add(SevError, "checkpoint-precision", "model", m.ID, "default precision %s differs from the released checkpoint's %s: set default_precision: %s", def, ck, ck)
	}
}

type bandFinding struct {
	id, reason string
	spot       bool
}

// priceBands compares each instance's per-accelerator on-demand and spot
// prices with the median of the same accelerator across regions and
// clouds; prices outside [median/PriceBand, median*PriceBand] are outliers.
func priceBands(ins []*Instance, acc map[string]*Accelerator) []bandFinding {
	od := map[string][]float64{}
	sp := map[string][]float64{}
	key := func(in *Instance) string {
		if a, ok := acc[normalize(in.Accelerator)]; ok {
			return a.ID
		}
		return normalize(in.Accelerator)
	}
	for _, in := range ins {
		if in.IsCPU() {
			continue
		}
		n := float64(in.AcceleratorCount)
		if in.PriceOnDemand != nil && *in.PriceOnDemand > 0 {
			od[key(in)] = append(od[key(in)], *in.PriceOnDemand/n)
		}
		if in.PriceSpot != nil && *in.PriceSpot > 0 {
			sp[key(in)] = append(sp[key(in)], *in.PriceSpot/n)
		}
	}
	var out []bandFinding
	for _, in := range ins {
		if in.IsCPU() {
			continue
		}
		n := float64(in.AcceleratorCount)
		k := key(in)
		if in.PriceOnDemand != nil && len(od[k]) >= 3 {
			if r := outside(*in.PriceOnDemand/n, median(od[k])); r != "" {
				out = append(out, bandFinding{in.ID, fmt.Sprintf("on-demand %.4g USD per %s-hour is %s the median %.4g of %d offers", *in.PriceOnDemand/n, k, r, median(od[k]), len(od[k])), false})
			}
		}
		if in.PriceSpot != nil && len(sp[k]) >= 3 {
			if r := outside(*in.PriceSpot/n, median(sp[k])); r != "" {
				out = append(out, bandFinding{in.ID, fmt.Sprintf("spot %.4g USD per %s-hour is %s the median spot %.4g of %d offers", *in.PriceSpot/n, k, r, median(sp[k]), len(sp[k])), true})
			}
		}
	}
	return out
}

func outside(v, med float64) string {
	switch {
	case v < med/PriceBand:
		return fmt.Sprintf("under 1/%g of", PriceBand)
	case v > med*PriceBand:
		return fmt.Sprintf("over %gx", PriceBand)
	}
	return ""
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// Median is the median of xs (the mean of the middle two for an even
// count); importers use it for the typical spot price across zones.
func Median(xs []float64) float64 { return median(xs) }

// flagPrices sets PriceFlag/SpotFlag on price-band outliers that carry no
// flag yet. Entries are copied before they change: the embedded entries
// are shared between catalogs.
func flagPrices(f *File) {
	acc := map[string]*Accelerator{}
	for _, a := range f.Accelerators {
		acc[normalize(a.ID)] = a
		for _, k := range a.Aliases {
			if _, dup := acc[normalize(k)]; !dup {
				acc[normalize(k)] = a
			}
		}
	}
	idx := map[string]int{}
	for i, in := range f.Instances {
		idx[in.ID] = i
	}
	for _, b := range priceBands(f.Instances, acc) {
		i := idx[b.id]
		in := f.Instances[i]
		if (b.spot && (in.SpotFlag != "" || in.PriceFlag != "")) || (!b.spot && in.PriceFlag != "") {
			continue
		}
		c := *in
		if b.spot {
			c.SpotFlag = "price-band check: " + b.reason
		} else {
			c.PriceFlag = "price-band check: " + b.reason
		}
		f.Instances[i] = &c
	}
}

// Findings returns the warnings the checks raised when the catalog loaded
// (errors make Load fail).
func (c *Catalog) Findings() []Finding { return c.findings }

// checkSummary formats error findings for Load's error.
func checkSummary(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString("\n  ")
		b.WriteString(f.String())
	}
	return b.String()
}
