package calib

import (
	"math"
	"testing"

	"github.com/aiplan-dev/aiplan/catalog"
)

// The fitter's objective sums classes in key order, so it is the same to
// the last bit however Go orders the map (which changes from run to run).
func TestLoss_BitForBitReproducible(t *testing.T) {
	c := catalog.MustDefault()
	samples := Prepare(c, loadRows(t))
	var ptrs []*Sample
	for i := range samples {
		ptrs = append(ptrs, &samples[i])
	}
	e := c.Efficiency.Clone()
	first := math.Float64bits(loss(ptrs, e))
	for i := 0; i < 50; i++ {
		if got := math.Float64bits(loss(ptrs, e)); got != first {
			t.Fatalf("loss differs between calls: %x vs %x", got, first)
		}
	}
}
