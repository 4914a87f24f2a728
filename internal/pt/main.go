package main

import (
	"fmt"
	"os"
	"time"

	"github.com/aiplan-dev/aiplan/catalog"
	"github.com/aiplan-dev/aiplan/plan"
	"github.com/aiplan-dev/aiplan/spec"
)

func main() {
	c := catalog.MustDefault()
	for _, f := range os.Args[1:] {
		b, _ := os.ReadFile(f)
		t := time.Now()
		file, ds := spec.Load(b, f, c)
		for _, d := range ds {
			fmt.Println(d)
		}
		if file == nil {
			continue
		}
		p := plan.Build(file, c)
		fmt.Printf("== %s (%v, %d candidates) total %.0f/mo one-off %.0f\n", f, time.Since(t), p.Evaluated, p.Totals.MonthlyUSD, p.Totals.OneOffUSD)
		for _, w := range p.Workloads {
			if w.Choice != nil {
				fmt.Printf("  %-20s %-110s %9.0f %9.0f lat=%.0f\n", w.Workload, w.Choice.Summary, w.MonthlyUSD, w.OneOffUSD, w.Choice.LatencyMs)
				if os.Getenv("EXPLAIN") == w.Workload {
					for _, a := range w.Alternatives {
						fmt.Printf("      ALT %-100s %9.0f lat=%.0f cap=%.2f\n", a.Summary, a.MonthlyUSD+a.OneOffUSD, a.LatencyMs, a.CapacityPerReplica)
					}
					for _, a := range w.Frontier {
						fmt.Printf("      FRONT %-100s %9.0f lat=%.0f\n", a.Summary, a.MonthlyUSD+a.OneOffUSD, a.LatencyMs)
					}
					for _, a := range w.Rejected {
						fmt.Printf("      REJ %-100s %9.0f %s\n", a.Summary, a.MonthlyUSD+a.OneOffUSD, a.Rejected)
					}
				}
			} else {
				fmt.Printf("  %-20s NONE  rejected: %d\n", w.Workload, len(w.Rejected))
				for _, r := range w.Rejected {
					fmt.Println("     ", r.Summary, "|", r.Rejected)
				}
			}
		}
		for _, wn := range p.Warnings {
			fmt.Println("  WARN", wn)
		}
	}
}
