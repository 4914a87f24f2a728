package plan

import (
	"os"
	"os/exec"
	"testing"

	"github.com/aiplan-dev/aiplan/spec"
)

// BenchmarkPlanLargestExample plans the biggest example file in-process.
func BenchmarkPlanLargestExample(b *testing.B) {
	src, err := os.ReadFile("../examples/eu-enterprise.yaml")
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		f, ds := spec.Load(src, "x", cat)
		if ds.HasErrors() {
			b.Fatal(ds.Err())
		}
		Build(f, cat)
	}
}

// BenchmarkPlan1000Workloads plans a generated file with 1,000 workloads of
// every type (internal/gen).
func BenchmarkPlan1000Workloads(b *testing.B) {
	out, err := exec.Command("go", "run", "../internal/gen", "-n", "1000").Output()
	if err != nil {
		b.Skip("go run unavailable:", err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f, ds := spec.Load(out, "gen", cat)
		if ds.HasErrors() {
			b.Fatal(ds.Err())
		}
		p := Build(f, cat)
		b.ReportMetric(float64(p.Evaluated), "candidates/op")
	}
}
