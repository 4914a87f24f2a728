package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aiplan-dev/aiplan/catalog"
	"github.com/aiplan-dev/aiplan/plan"
	"github.com/aiplan-dev/aiplan/spec"
)

var update = flag.Bool("update", false, "rewrite the golden plan files under testdata/<case>/")

// goldenDate dates the golden plans, so price ages do not drift with the clock.
var goldenDate = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// summary is the part of a plan the golden files pin: totals, each
// workload's choice and cost, the node pools and the warnings.
type summary struct {
	Totals    plan.Totals       `json:"totals"`
	Budget    *plan.Budget      `json:"budget,omitempty"`
	PeakGPUs  int               `json:"peak_gpus"`
	Workloads []summaryWorkload `json:"workloads"`
	Pools     []summaryPool     `json:"node_pools"`
	Clouds    []string          `json:"clouds"`
	Warnings  []string          `json:"warnings"`
}

type summaryWorkload struct {
	Name       string  `json:"name"`
	Choice     string  `json:"choice"`
	Pricing    string  `json:"pricing,omitempty"`
	NodePool   string  `json:"node_pool,omitempty"`
	MonthlyUSD float64 `json:"monthly_usd"`
	OneOffUSD  float64 `json:"one_off_usd,omitempty"`
}

type summaryPool struct {
	Key         string   `json:"key"`
	Workloads   []string `json:"workloads"`
	MinNodes    int      `json:"min_nodes"`
	PeakNodes   int      `json:"peak_nodes"`
	NodeHours   float64  `json:"node_hours"`
	Utilisation float64  `json:"utilisation"`
	MonthlyUSD  float64  `json:"monthly_usd"`
	SunkUSD     float64  `json:"sunk_usd,omitempty"`
}

func summarise(p *plan.Plan) summary {
	s := summary{Totals: p.Totals, Budget: p.Budget, PeakGPUs: p.PeakGPUs, Warnings: p.Warnings}
	for _, w := range p.Workloads {
		sw := summaryWorkload{Name: w.Workload, Choice: "no feasible configuration", MonthlyUSD: w.MonthlyUSD, OneOffUSD: w.OneOffUSD}
		if c := w.Choice; c != nil {
			sw.Choice, sw.Pricing, sw.NodePool = c.Summary, string(c.Pricing), c.NodePool
		}
		s.Workloads = append(s.Workloads, sw)
	}
	for _, pl := range p.Placement.Pools {
		s.Pools = append(s.Pools, summaryPool{pl.Key, pl.Workloads, pl.MinNodes, pl.PeakNodes, pl.NodeHours, pl.Utilisation, pl.MonthlyUSD, pl.SunkUSD})
	}
	for _, c := range p.Placement.Clouds {
		s.Clouds = append(s.Clouds, c.Cloud)
	}
	return s
}

// TestGolden_ExamplePlans pins every example's plan: the terminal table and
// a JSON summary under testdata/<example>/. After an intended change, run
// `go test ./report -run Golden -update` and review the diff.
func TestGolden_ExamplePlans(t *testing.T) {
	files, _ := filepath.Glob("../examples/*.yaml")
	if len(files) == 0 {
		t.Fatal("no examples")
	}
	c := catalog.MustDefault()
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			sf, ds := spec.Load(b, filepath.Base(f), c)
			if ds.HasErrors() {
				t.Fatal(ds.Err())
			}
			p := plan.BuildWith(sf, c, plan.Options{Now: goldenDate})
			var table bytes.Buffer
			Table(&table, p)
			js, err := json.MarshalIndent(summarise(p), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			js = append(js, '\n')
			dir := filepath.Join("testdata", name)
			for file, got := range map[string][]byte{"plan.txt": table.Bytes(), "summary.json": js} {
				path := filepath.Join(dir, file)
				if *update {
					if err := os.MkdirAll(dir, 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(path, got, 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test ./report -run Golden -update)", err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s differs from the golden file; if intended, run go test ./report -run Golden -update and review the diff\n%s", path, firstDiff(string(want), string(got)))
				}
			}
		})
	}
}

// firstDiff shows the first line that differs.
func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return "line " + itoa(i+1) + ":\n  want: " + a + "\n  got:  " + b
		}
	}
	return ""
}

func itoa(i int) string { return strings.TrimSpace(strings.Repeat(" ", 0) + fmtInt(i)) }

func fmtInt(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}
