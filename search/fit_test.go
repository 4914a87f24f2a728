package search

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aiplan-dev/aiplan/catalog"
	"github.com/aiplan-dev/aiplan/spec"
)

// searched is one workload of a file with its search result.
type searched struct {
	file string
	w    *spec.Workload
	r    Result
}

// searchFiles searches every workload of the examples and of the scenarios
// under testdata/, in file order (each file with its own constraints).
func searchFiles(t *testing.T) []searched {
	t.Helper()
	files, _ := filepath.Glob("../examples/*.yaml")
	more, _ := filepath.Glob("testdata/*.yaml")
	files = append(files, more...)
	if len(files) < 7 {
		t.Fatalf("want the examples and scenarios, found %d files", len(files))
	}
	var out []searched
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		file, ds := spec.Load(b, f, cat)
		if ds.HasErrors() {
			t.Fatalf("%s: %v", f, ds.Err())
		}
		k := file.Constraints
		env := NewEnv(cat, &k)
		for i := range file.Workloads {
			w := &file.Workloads[i]
			out = append(out, searched{f, w, env.Search(w)})
		}
	}
	return out
}

// feasible lists the choice, the alternatives and the frontier.
func feasible(r Result) []Option {
	var out []Option
	if r.Choice != nil {
		out = append(out, *r.Choice)
	}
	out = append(out, r.Alternatives...)
	return append(out, r.Frontier...)
}

func instanceOf(t *testing.T, o Option) *catalog.Instance {
	t.Helper()
	for _, in := range cat.Instances {
		if in.Cloud == o.Cloud && in.InstanceType == o.Instance && in.Region == o.Region {
			return in
		}
	}
	return nil
}

func TestTopology_TPStaysInsideAScaleUpDomain(t *testing.T) {
	checked := 0
	for _, s := range searchFiles(t) {
		for _, o := range feasible(s.r) {
			if o.TP <= 1 || o.Instance == "" || o.Pricing == "serverless" {
				continue
			}
			in := instanceOf(t, o)
			if in == nil {
				t.Errorf("%s/%s: option on unknown instance %s %s %s", s.file, s.w.Name, o.Cloud, o.Instance, o.Region)
				continue
			}
			a, err := cat.Accelerator(o.Accelerator)
			if err != nil {
				t.Fatal(err)
			}
			checked++
			if o.TP > in.AcceleratorCount {
				t.Errorf("%s/%s: tp=%d across instances of %d x %s (%s)", s.file, s.w.Name, o.TP, in.AcceleratorCount, a.ID, in.InstanceType)
			}
			pcie := strings.Contains(o.Metrics.Parallelism, "PCIe")
			if d := instanceDomain(in, a); o.TP > d && !pcie {
				t.Errorf("%s/%s: tp=%d crosses the %d-accelerator scale-up domain of %s without PCIe modelled: %s", s.file, s.w.Name, o.TP, d, in.InstanceType, o.Summary)
			} else if o.TP <= d && pcie {
				t.Errorf("%s/%s: tp=%d fits the scale-up domain of %s but was modelled over PCIe", s.file, s.w.Name, o.TP, in.InstanceType)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no tensor-parallel option checked")
	}
}

// A model that needs four PCIe accelerators is modelled over PCIe on a
// 4-GPU PCIe machine, and its TP all-reduces make it slower than the same
// group over a scale-up link.
func TestTopology_PCIeGroupIsModelledOverPCIe(t *testing.T) {
	env := NewEnv(cat, &spec.Constraints{})
	m, _ := cat.Model("llama-3.1-70b")
	a, _ := cat.Accelerator("l40s")
	tr := &spec.Traffic{PeakRequestsPerSecond: 1, InputTokens: 1000, OutputTokens: 200}
	links := env.tpLinks(a, 4)
	if len(links) != 1 || links[0] != linkPCIe {
		t.Fatalf("l40s tp=4 links %v, want PCIe only", links)
	}
	pcie := env.llmUnit(m, a, catalog.FP8, 4, linkPCIe, tr, nil)
	fast := env.llmUnit(m, installed(a, 8), catalog.FP8, 4, linkScaleUp, tr, nil)
	if pcie.reject != "" || fast.reject != "" {
		t.Fatalf("rejected: %q %q", pcie.reject, fast.reject)
	}
	if !(pcie.capacity < fast.capacity) || !strings.Contains(pcie.metrics.Parallelism, "PCIe") {
		t.Errorf("PCIe group: %.2f req/s (%s), scale-up group: %.2f req/s", pcie.capacity, pcie.metrics.Parallelism, fast.capacity)
	}
}

func TestTPLink(t *testing.T) {
	for _, c := range []struct {
		tp, d int
		want  link
	}{{1, 1, linkNone}, {1, 8, linkNone}, {2, 1, linkPCIe}, {2, 2, linkScaleUp}, {4, 2, linkPCIe}, {8, 8, linkScaleUp}, {8, 4, linkPCIe}} {
		if got := tpLink(c.tp, c.d); got != c.want {
			t.Errorf("tpLink(%d, %d) = %v, want %v", c.tp, c.d, got, c.want)
		}
	}
}

func apiWorkload() *spec.Workload {
	return &spec.Workload{Name: "chat", Type: spec.LLMInference, Model: &spec.ModelRef{ID: "llama-3.1-8b"},
		Traffic: &spec.Traffic{PeakRequestsPerSecond: 0.2, DailyProfile: "business-hours", InputTokens: 500, OutputTokens: 200}}
}

func apiOf(r Result) *Option {
	for _, o := range append(feasible(r), r.Rejected...) {
		if o.Pricing == "api" {
			return &o
		}
	}
	return nil
}

func TestAPI_HonoursSLOAndAccelerators(t *testing.T) {
	env := NewEnv(cat, &spec.Constraints{})
	// No SLO and no hardware asked for: a small endpoint is cheapest on the API.
	r := env.Search(apiWorkload())
	if r.Choice == nil || r.Choice.Pricing != "api" {
		t.Fatalf("without an SLO a tiny endpoint should use the API, got %+v", r.Choice)
	}
	for name, w := range map[string]*spec.Workload{
		"ttft": func() *spec.Workload { w := apiWorkload(); w.SLO = &spec.SLO{TTFTP99Ms: 800}; return w }(),
		"tpot": func() *spec.Workload { w := apiWorkload(); w.SLO = &spec.SLO{TPOTP99Ms: 50}; return w }(),
		"accelerators": func() *spec.Workload {
			w := apiWorkload()
			w.Accelerators = []string{"l4"}
			return w
		}(),
	} {
		r := NewEnv(cat, &spec.Constraints{}).Search(w)
		if r.Choice != nil && r.Choice.Pricing == "api" {
			t.Errorf("%s: the API was chosen", name)
		}
		api := apiOf(r)
		if api == nil || api.Rejected == "" {
			t.Errorf("%s: the API option should be rejected with a reason, got %+v", name, api)
			continue
		}
		want := map[string]string{"ttft": "TTFT p99 800 ms", "tpot": "TPOT p99 50 ms", "accelerators": "l4"}[name]
		if !strings.Contains(api.Rejected, want) {
			t.Errorf("%s: reason %q does not name %q", name, api.Rejected, want)
		}
	}
}

func TestQuantCaveat_Below8BitsOnUserFacingEndpoints(t *testing.T) {
	chat := apiWorkload()
	if quantCaveat(chat, catalog.INT4) == "" || quantCaveat(chat, catalog.FP4) == "" {
		t.Error("int4/fp4 on a user-facing endpoint needs a caveat")
	}
	if quantCaveat(chat, catalog.FP8) != "" || quantCaveat(chat, catalog.BF16) != "" {
		t.Error("8 bits and wider need no caveat")
	}
	asked := apiWorkload()
	asked.Precision = []string{"int4"}
	if quantCaveat(asked, catalog.INT4) != "" {
		t.Error("a precision the file asks for needs no caveat")
	}
	batch := apiWorkload()
	batch.Type = spec.BatchInference
	if quantCaveat(batch, catalog.INT4) != "" {
		t.Error("batch jobs are not user-facing")
	}
	// In a search: every feasible sub-8-bit option carries it, and so do the notes.
	for _, s := range searchFiles(t) {
		if s.w.Type != spec.LLMInference {
			continue
		}
		for _, o := range feasible(s.r) {
			p := catalog.Precision(o.Precision)
			low := o.Precision != "" && p.BytesPerWeight() < 1
			has := len(o.Caveats) > 0
			if low && len(s.w.Precision) == 0 && !has {
				t.Errorf("%s/%s: %s without a quality caveat", s.file, s.w.Name, o.Summary)
			}
			if !low && has {
				t.Errorf("%s/%s: caveat on %s", s.file, s.w.Name, o.Summary)
			}
		}
		if c := s.r.Choice; c != nil && len(c.Caveats) > 0 && !strings.Contains(strings.Join(s.r.Notes, "\n"), c.Caveats[0]) {
			t.Errorf("%s/%s: the choice's caveat is not in the notes", s.file, s.w.Name)
		}
	}
}
