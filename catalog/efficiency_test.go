package catalog

import (
	"strings"
	"testing"
)

// Engine, classic family and runtime factors from an overlay are checked
// like the other factors: the error names the field, the value and what
// is allowed.
func TestEfficiency_RejectsBadEngineAndFamilyFactors(t *testing.T) {
	e := MustDefault().Efficiency.Clone()
	e.Engines["vllm"] = EngineEff{Speed: -1, Overhead: 1}
	e.Classic.Families["cnn"] = ClassicFamily{Compute: 0, CPUCompute: 1, BatchHalf: 1, Fixed: 1}
	errs := strings.Join(e.validate(), "\n")
	for _, want := range []string{"efficiency.engines.vllm.speed = -1", "efficiency.classic.families.cnn.compute = 0"} {
		if !strings.Contains(errs, want) {
			t.Errorf("validation errors %q lack %q", errs, want)
		}
	}
	if errs := MustDefault().Efficiency.validate(); len(errs) != 0 {
		t.Errorf("shipped efficiency data invalid: %v", errs)
	}
}
