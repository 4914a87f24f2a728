package perf

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/aiplan-dev/aiplan/catalog"
)

// TestSweep_AllModelsAllAccelerators_FiniteAndEncodable runs every catalog
// model on every accelerator at several precisions and parallel degrees:
// no error other than an input error, no NaN or Inf, JSON-encodable.
func TestSweep_AllModelsAllAccelerators_FiniteAndEncodable(t *testing.T) {
	n := 0
	for _, m := range cat.Models {
		for _, a := range cat.Accelerators {
			if !m.IsLLM() {
				r, err := Classic(ClassicInput{Model: m, Accel: a, Eff: cat.Efficiency, Batch: 8})
				if err != nil {
					continue
				}
				check(t, m.ID+"/"+a.ID, r, r.SamplesPerSecond, r.LatencyMs)
				continue
			}
			for _, p := range []catalog.Precision{catalog.BF16, catalog.FP8, catalog.FP4} {
				for _, tp := range []int{1, 8} {
					for _, rate := range []float64{0, 2} {
						r, err := Inference(InferenceInput{Model: m, Accel: a, Eff: cat.Efficiency, TP: tp, Precision: p, InputTokens: 2000, OutputTokens: 300, RequestRate: rate, Quiet: true})
						if err != nil {
							continue
						}
						n++
						check(t, m.ID+"/"+a.ID, r, r.OutputTokensPerSecond, r.TTFTMs, r.TPOTMs, r.TTFTP99Ms, r.Memory.TotalGiB)
					}
				}
			}
			tr, err := Training(TrainingInput{Model: m, Accel: a, Eff: cat.Efficiency, GPUs: 64, Tokens: 1e10, Zero: -1, Quiet: true})
			if err == nil {
				check(t, m.ID+"/"+a.ID+" training", tr, tr.GPUHours, tr.MFU, tr.MemoryPerGPUGiB)
				if tr.Fits && (tr.MFU <= 0 || tr.MFU >= 1) {
					t.Errorf("%s on %s: MFU %v", m.ID, a.ID, tr.MFU)
				}
			}
		}
	}
	if n < 1000 {
		t.Errorf("only %d inference estimates ran", n)
	}
}

func check(t *testing.T, name string, v any, nums ...float64) {
	t.Helper()
	for _, x := range nums {
		if math.IsNaN(x) || math.IsInf(x, 0) || x < 0 {
			t.Errorf("%s: bad number %v", name, x)
			return
		}
	}
	if _, err := json.Marshal(v); err != nil {
		t.Errorf("%s: %v", name, err)
	}
}
