package calib

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/aiplan-dev/aiplan/catalog"
	"github.com/aiplan-dev/aiplan/perf"
)

// Grouping names the cross-validation group of a sample.
type Grouping func(s *Sample) string

// Groupings for `calibrate report --cv`.
var (
	BySource      Grouping = func(s *Sample) string { return s.Source }
	ByAccelerator Grouping = func(s *Sample) string { return s.Accel }
	ByModel       Grouping = func(s *Sample) string { return s.Model }
)

// GroupingByName resolves source, accelerator or model.
func GroupingByName(name string) (Grouping, error) {
	switch name {
	case "source":
		return BySource, nil
	case "accelerator":
		return ByAccelerator, nil
	case "model":
		return ByModel, nil
	}
	return nil, fmt.Errorf("--cv %q: allowed: source, accelerator, model", name)
}

// CVResult holds each sample's prediction by factors fitted without its
// group, and how many ways it left that fold's calibration coverage.
type CVResult struct {
	Results []Result
	Extrap  []int
	Groups  []string
	// Widen is the per-extrapolation band factor measured on these results.
	Widen   float64
	alphaOf map[string]float64
}

// paramGroup says which parameter groups predict a class (training
// GPU-hours use the training factors).
func paramGroup(class string) int {
	if class == ClassTrainingHours {
		return 1
	}
	return groupOf(class)
}

// CrossValidate refits base without each group of samples (warm-started
// from base, up to evals fitter evaluations per parameter group, only
// the parameter groups the held-out rows depend on) and predicts the
// held-out rows.
func CrossValidate(base *catalog.Efficiency, samples []Sample, by Grouping, evals int) (CVResult, error) {
	out := CVResult{Results: make([]Result, len(samples)), Extrap: make([]int, len(samples)), Groups: make([]string, len(samples))}
	members := map[string][]int{}
	for i := range samples {
		g := by(&samples[i])
		out.Groups[i] = g
		members[g] = append(members[g], i)
	}
	for _, g := range sortedKeys(members) {
		idx := members[g]
		need := map[int]bool{}
		for _, i := range idx {
			if samples[i].Skipped == "" {
				need[paramGroup(samples[i].Class)] = true
			}
		}
		var train []Sample
		for i := range samples {
			if out.Groups[i] != g && need[paramGroup(samples[i].Class)] {
				train = append(train, samples[i])
			}
		}
		e := base.Clone()
		if len(need) > 0 {
			if _, err := FitSamples(e, train, evals); err != nil {
				return out, err
			}
		}
		held := make([]Sample, len(idx))
		for j, i := range idx {
			held[j] = samples[i]
		}
		res := Evaluate(held, e)
		for j, i := range idx {
			out.Results[i] = res[j]
			out.Extrap[i] = extrapolationsOf(&samples[i], e)
		}
	}
	out.Widen = widenFactor(out.Results, out.Extrap)
	return out, nil
}

// extrapolationsOf counts how a sample leaves e's calibrated coverage, as
// the engine does for a prediction.
func extrapolationsOf(s *Sample, e *catalog.Efficiency) int {
	switch s.kind {
	case kindClassic:
		in := s.cls
		in.Eff = e
		return perf.ClassicExtrapolations(in)
	case kindTraining:
		n := 0
		if s.train.Precision == catalog.FP8 || s.train.Accel.Vendor != "NVIDIA" {
			n++
		}
		if s.train.Model.IsMoE() {
			n++
		}
		return n
	}
	in := s.inf
	in.Eff = e
	return perf.InferenceExtrapolations(in)
}

// widenFactor is how much larger the typical error is on rows that leave
// the calibration data once than on rows inside it: exp of the difference
// of median |log error|, per extrapolation, between 1.05 and 2.
func widenFactor(rs []Result, ext []int) float64 {
	var in, out []float64
	for i, r := range rs {
		if r.Skipped != "" || !(r.Predicted > 0) {
			continue
		}
		l := math.Abs(math.Log(r.Measured / r.Predicted))
		if ext[i] == 0 {
			in = append(in, l)
		} else {
			out = append(out, l/float64(ext[i]))
		}
	}
	if len(in) < 10 || len(out) < 10 {
		return 1.25
	}
	sort.Float64s(in)
	sort.Float64s(out)
	w := math.Exp(quantile(out, 0.5) - quantile(in, 0.5))
	return round3(math.Min(math.Max(w, 1.05), 2))
}

// bandOf is the 10th and 90th percentile of measured/predicted among
// ratios, with each row's ratio first pulled toward 1 by the widening it
// would get, so that widened bands still hold about 80% of rows.
func bandOf(ratios []float64, ext []int, widen, alpha float64) (catalog.Band, bool) {
	if len(ratios) < 5 {
		return catalog.Band{}, false
	}
	lo := make([]float64, len(ratios))
	hi := make([]float64, len(ratios))
	for i, r := range ratios {
		f := math.Pow(widen, float64(ext[i]))
		lo[i], hi[i] = r*f, r/f
	}
	sort.Float64s(lo)
	sort.Float64s(hi)
	return catalog.Band{Low: round3(math.Min(quantile(lo, alpha), 0.99)), High: round3(math.Max(quantile(hi, 1-alpha), 1.01))}, true
}

func (cv *CVResult) ratios(class string, skipGroup string) ([]float64, []int) {
	var rs []float64
	var ext []int
	for i, r := range cv.Results {
		if r.Skipped != "" || !(r.Predicted > 0) || classOfBand(r.Class) != class || (skipGroup != "" && cv.Groups[i] == skipGroup) {
			continue
		}
		rs = append(rs, r.Measured/r.Predicted)
		ext = append(ext, cv.Extrap[i])
	}
	return rs, ext
}

// classOfBand maps a result class to the band that covers it.
func classOfBand(class string) string {
	if class == ClassTrainingHours {
		return ClassTraining
	}
	return class
}

// Bands sets each class's band from the cross-validated errors.
func (cv *CVResult) Bands(old catalog.UncertaintyEff) catalog.UncertaintyEff {
	set := func(dst *catalog.Band, class string) {
		rs, ext := cv.ratios(class, "")
		if b, ok := bandOf(rs, ext, cv.Widen, cv.alpha(class)); ok {
			*dst = b
		}
	}
	set(&old.Throughput, ClassMaxThroughput)
	set(&old.LoadThroughput, ClassLoadThroughput)
	set(&old.TTFT, ClassTTFT)
	set(&old.TPOT, ClassTPOT)
	set(&old.E2E, ClassE2E)
	set(&old.Training, ClassTraining)
	set(&old.Classic, ClassClassic)
	old.Extrapolate = cv.Widen
	old.Method = "10th-90th percentile of measured/predicted in leave-one-source-out cross-validation, widened x extrapolate per way a prediction leaves the calibration data"
	return old
}

// CVStats is the cross-validated error and band coverage of one class.
type CVStats struct {
	ClassStats
	// Coverage is the share of rows whose truth lies inside a band built
	// without the row's own group (nested), widened as the engine widens.
	Coverage float64
	// CoverageRows is how many rows the coverage was measured on; 0 means
	// the class has too few groups to build a band without each one.
	CoverageRows int
}

// alphas are the tail shares tried per class, widest last: the band is the
// alpha and 1-alpha quantile of cross-validated measured/predicted, with the
// alpha whose nested coverage comes closest to 80% (pooled residuals cover a
// held-out source's bias less often than their own rows).
var alphas = func() []float64 {
	var a []float64
	for x := 0.15; x > 0.015; x -= 0.005 {
		a = append(a, x)
	}
	return a
}()

func (cv *CVResult) alpha(class string) float64 {
	if a, ok := cv.alphaOf[class]; ok {
		return a
	}
	if cv.alphaOf == nil {
		cv.alphaOf = map[string]float64{}
	}
	a, best := 0.1, math.Inf(1)
	for _, x := range alphas {
		in, n := cv.nested(class, x)
		if n == 0 {
			break
		}
		if d := math.Abs(float64(in)/float64(n) - 0.8); d < best-1e-9 {
			a, best = x, d
		}
	}
	cv.alphaOf[class] = a
	return a
}

// nested counts the rows of a band class inside a band built without the
// row's own group at tail share alpha.
func (cv *CVResult) nested(class string, alpha float64) (inside, total int) {
	cache := map[string]catalog.Band{}
	for i, r := range cv.Results {
		if r.Skipped != "" || !(r.Predicted > 0) || classOfBand(r.Class) != class {
			continue
		}
		b, ok := cache[cv.Groups[i]]
		if !ok {
			rs, ext := cv.ratios(class, cv.Groups[i])
			if b, ok = bandOf(rs, ext, cv.Widen, alpha); !ok {
				continue
			}
			cache[cv.Groups[i]] = b
		}
		f := math.Pow(cv.Widen, float64(cv.Extrap[i]))
		ratio := r.Measured / r.Predicted
		total++
		if ratio >= b.Low/f && ratio <= b.High*f {
			inside++
		}
	}
	return inside, total
}

// Summary is the per-class error and nested band coverage.
func (cv *CVResult) Summary() []CVStats {
	stats := Summarize(cv.Results)
	out := make([]CVStats, len(stats))
	for i, s := range stats {
		out[i] = CVStats{ClassStats: s}
		cls := s.Class
		if cls == "training (all)" {
			cls = ClassTraining
		}
		if s.Class == ClassTrainingHours {
			continue
		}
		if in, n := cv.nested(cls, cv.alpha(cls)); n > 0 {
			out[i].Coverage = float64(in) / float64(n)
			out[i].CoverageRows = n
		}
	}
	return out
}

// Worst lists the n results with the largest error.
func (cv *CVResult) Worst(n int) []Result {
	var rs []Result
	for _, r := range cv.Results {
		if r.Skipped == "" && r.Predicted > 0 {
			rs = append(rs, r)
		}
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].APE() > rs[j].APE() })
	if len(rs) > n {
		rs = rs[:n]
	}
	return rs
}

// Table formats a summary as aligned text.
func Table(stats []CVStats) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-30s %5s %9s %9s %10s\n", "class", "rows", "median%", "p90%", "coverage%")
	for _, s := range stats {
		fmt.Fprintf(&b, "%-30s %5d %9.1f %9.1f %10s\n", s.Class, s.N, s.MedianAPE, s.P90, s.CoverageText())
	}
	return b.String()
}

// CoverageText is the coverage in percent, or "-" where it was not measured.
func (s CVStats) CoverageText() string {
	if s.CoverageRows == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f", s.Coverage*100)
}
