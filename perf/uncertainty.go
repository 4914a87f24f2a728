package perf

import (
	"fmt"
	"math"
	"strings"

	"github.com/aiplan-dev/aiplan/catalog"
)

// Features of an LLM serving configuration that the calibration rows may or
// may not cover. calib records the covered ones in Efficiency.Calibrated;
// a prediction with an uncovered feature widens its band.
const (
	FeatureMoE          = "moe"
	FeatureSparseMoE    = "moe-sparse (active < 20% of total)"
	FeatureSmallExperts = "many small experts (>= 64 routed)"
	FeatureMLA          = "mla"
	FeatureSliding      = "sliding-window attention"
	FeatureChunked      = "chunked local attention"
	FeaturePCIeTP       = "tensor parallel over PCIe"
	FeaturePP           = "pipeline parallel"
	FeatureEP           = "expert parallel"
	FeatureLongContext  = "context > 16k tokens"
	FeatureMXFP4        = "MXFP4 weights"
	FeatureSinks        = "attention sinks"
	// FeatureLowBitKV: an int4 or fp4 KV cache, which not every engine
	// offers (aiplan does not check which do).
	FeatureLowBitKV = "KV cache below 8 bits"
)

// Features lists the features of a validated input.
func (in *InferenceInput) Features() []string {
	var buf [16]string
	return append([]string(nil), in.features(&buf)...)
}

// features fills buf without allocating (the planner's hot loop).
func (in *InferenceInput) features(buf *[16]string) []string {
	f := buf[:0]
	m := in.Model
	if m.IsMoE() {
		f = append(f, FeatureMoE)
		if m.ActiveParams() < 0.2*m.TotalParams() {
			f = append(f, FeatureSparseMoE)
		}
		if m.MoE.Experts >= 64 {
			f = append(f, FeatureSmallExperts)
		}
	}
	if m.MLA != nil {
		f = append(f, FeatureMLA)
	}
	if m.SlidingWindow > 0 && m.SlidingLayers > 0 {
		f = append(f, FeatureSliding)
	}
	if m.ChunkedAttn > 0 && m.ChunkedLayers > 0 {
		f = append(f, FeatureChunked)
	}
	if m.AttentionSinks != "" || m.SinkTokens > 0 {
		f = append(f, FeatureSinks)
	}
	if in.TP > 1 && !(in.TP <= in.Accel.LinkDomain && in.Accel.LinkDomain > 1) {
		f = append(f, FeaturePCIeTP)
	}
	if in.PP > 1 {
		f = append(f, FeaturePP)
	}
	if in.EP > 1 {
		f = append(f, FeatureEP)
	}
	if in.InputTokens+in.OutputTokens > 16384 {
		f = append(f, FeatureLongContext)
	}
	if in.Model.ServesMXFP4(in.Precision) {
		f = append(f, FeatureMXFP4)
	}
	if in.KVPrecision.BytesPerWeight() < 1 {
		f = append(f, FeatureLowBitKV)
	}
	return f
}

// AccelPrecision is the coverage key of an accelerator and weight precision.
func AccelPrecision(accel string, p catalog.Precision) string { return accel + "/" + string(p) }

// hasPair reports whether list holds a + "/" + p, without building it.
func hasPair(list []string, a, p string) bool {
	for _, x := range list {
		if len(x) == len(a)+1+len(p) && x[len(a)] == '/' && x[:len(a)] == a && x[len(a)+1:] == p {
			return true
		}
	}
	return false
}

// extrapolations counts the ways a prediction leaves the calibration data
// and keeps the first few reasons.
type extrapolations struct {
	n       int
	reasons [6]string
}

func (x *extrapolations) add(reason string) {
	if x.n < len(x.reasons) {
		x.reasons[x.n] = reason
	}
	x.n++
}

// inference checks accelerator, precision on that accelerator, engine and
// model/deployment features against the calibrated coverage. Without any
// coverage data (an overlay that omits it) nothing is flagged.
func (x *extrapolations) inference(in *InferenceInput) {
	cov := &in.Eff.Calibrated
	if len(cov.Accelerators) == 0 {
		return
	}
	a := in.Accel.ID
	if !catalog.Has(cov.Accelerators, a) {
		x.add("accelerator " + a + " has no calibration rows")
	} else if !hasPair(cov.AccelPrecisions, a, string(in.Precision)) {
		x.add(string(in.Precision) + " on " + a + " has no calibration rows")
	}
	if key := catalog.EngineKey(in.Engine, in.Accel.Vendor); !catalog.Has(cov.Engines, key) {
		x.add("engine " + key + " has no calibration rows")
	}
	if in.Quiet && x.n >= 3 {
		return
	}
	var buf [16]string
	for _, f := range in.features(&buf) {
		if !catalog.Has(cov.Features, f) {
			x.add(f + " has no calibration rows")
		}
	}
}

// basis describes the band: its class and what widened it.
func (x *extrapolations) basis(class string, widen float64) string {
	s := "80% interval from the cross-validated error of class " + class
	if x.n == 0 {
		return s + "; inside the calibration data"
	}
	r := x.reasons[:min(x.n, len(x.reasons))]
	return fmt.Sprintf("%s, widened x%.2f (x%.2f per reason) because %s", s, math.Pow(widen, float64(x.n)), widen, strings.Join(r, "; "))
}

// InferenceExtrapolations is the number of ways a serving configuration
// leaves the calibrated coverage of in.Eff (0 for invalid input).
func InferenceExtrapolations(in InferenceInput) int {
	if in.Validate() != nil {
		return 0
	}
	in.Quiet = false
	var x extrapolations
	x.inference(&in)
	return x.n
}

// ClassicExtrapolations is the same count for a classic-model input.
func ClassicExtrapolations(in ClassicInput) int {
	in.Quiet = true
	r, err := Classic(in)
	if err != nil || r.Uncertainty.High <= 0 {
		return 0
	}
	w := in.Eff.Uncertainty.Extrapolate
	if w <= 1 || in.Eff.Uncertainty.Classic.High <= 0 {
		return 0
	}
	return int(math.Round(math.Log(r.Uncertainty.High/in.Eff.Uncertainty.Classic.High) / math.Log(w)))
}
