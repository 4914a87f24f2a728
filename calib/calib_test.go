package calib

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/aiplan-dev/aiplan/catalog"
)

func loadRows(t *testing.T) []Row {
	t.Helper()
	var all []Row
	for _, f := range []string{"testdata/inference.csv", "testdata/training.csv"} {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := ReadCSV(fh)
		fh.Close()
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, rows...)
	}
	return all
}

// TestAccuracy_CalibrationRows_MedianErrorWithin15Percent recomputes every
// supported calibration row and fails if a gated class's median absolute
// percentage error exceeds 15%.
func TestAccuracy_CalibrationRows_MedianErrorWithin15Percent(t *testing.T) {
	c := catalog.MustDefault()
	res := Run(c, loadRows(t))
	var b strings.Builder
	fmt.Fprintf(&b, "%-26s %5s %9s %9s\n", "class", "rows", "median%", "p90%")
	for _, s := range Summarize(res) {
		fmt.Fprintf(&b, "%-26s %5d %9.1f %9.1f\n", s.Class, s.N, s.MedianAPE, s.P90)
		if GatedClasses[s.Class] && s.MedianAPE > 15 {
			t.Errorf("%s: median error %.1f%% exceeds 15%%", s.Class, s.MedianAPE)
		}
	}
	skipped := 0
	for _, r := range res {
		if r.Skipped != "" {
			skipped++
			if testing.Verbose() {
				t.Logf("skipped %s: %s", r.ID, r.Skipped)
			}
		}
	}
	fmt.Fprintf(&b, "%d rows, %d skipped\n", len(res), skipped)
	t.Log("\n" + b.String())
	if skipped > len(res)/10 {
		t.Errorf("%d of %d rows unsupported", skipped, len(res))
	}
}
