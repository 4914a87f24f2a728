package search

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aiplan-dev/aiplan/catalog"
	"github.com/aiplan-dev/aiplan/perf"
	"github.com/aiplan-dev/aiplan/spec"
)

// searched is one workload of a file with its search result.
type searched struct {
	file string
	w    *spec.Workload
	r    Result
}

var (
	searchedOnce sync.Once
	searchedAll  []searched
	searchedErr  error
)

// searchFiles searches every workload of the examples and of the scenarios
// under testdata/, in file order (each file with its own constraints), once
// per test binary.
func searchFiles(t *testing.T) []searched {
	t.Helper()
	searchedOnce.Do(func() { searchedAll, searchedErr = searchAll() })
	if searchedErr != nil {
		t.Fatal(searchedErr)
	}
	return searchedAll
}

func searchAll() ([]searched, error) {
	files, _ := filepath.Glob("../examples/*.yaml")
	more, _ := filepath.Glob("testdata/*.yaml")
	files = append(files, more...)
	if len(files) < 7 {
		return nil, fmt.Errorf("want the examples and scenarios, found %d files", len(files))
	}
	var out []searched
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		file, ds := spec.Load(b, f, cat)
		if ds.HasErrors() {
			return nil, fmt.Errorf("%s: %v", f, ds.Err())
		}
		k := file.Constraints
		env := NewEnv(cat, &k)
		for i := range file.Workloads {
			w := &file.Workloads[i]
			out = append(out, searched{f, w, env.Search(w)})
		}
	}
	return out, nil
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

// Training jobs keep their tensor-parallel groups inside one node's
// scale-up domain too (pipeline and data parallelism span nodes).
func TestTopology_TrainingTPStaysInsideAScaleUpDomain(t *testing.T) {
	checked := 0
	for _, s := range searchFiles(t) {
		if s.w.Type != spec.Training && s.w.Type != spec.FineTuning {
			continue
		}
		for _, o := range feasible(s.r) {
			var tp int
			if _, err := fmt.Sscanf(o.Metrics.Parallelism, "tp=%d", &tp); err != nil || o.Instance == "" {
				continue
			}
			in := instanceOf(t, o)
			a, _ := cat.Accelerator(o.Accelerator)
			if in == nil || a == nil {
				t.Fatalf("%s: unknown instance or accelerator", o.Summary)
			}
			checked++
			if tp > 1 && tp > instanceDomain(in, a) {
				t.Errorf("%s/%s: tp=%d crosses the %d-accelerator scale-up domain of %s: %s", s.file, s.w.Name, tp, instanceDomain(in, a), in.InstanceType, o.Summary)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no training option checked")
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
	pcie := env.llmUnit(m, a, catalog.FP8, "", 4, 1, linkPCIe, tr, nil)
	// The same cards on an NVLink-class scale-up link (the L40S's own
	// interconnect figure is its PCIe rate, which would compare PCIe with
	// itself).
	linked := installed(a, 8)
	nvlink := 900.0
	linked.LinkBWGBs = &nvlink
	fast := env.llmUnit(m, linked, catalog.FP8, "", 4, 1, linkScaleUp, tr, nil)
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
		want := map[string]string{"ttft": "states no TTFT p99 (SLO 800 ms)", "tpot": "states no TPOT p99 (SLO 50 ms)", "accelerators": "l4"}[name]
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

// checkSupport fails when a feasible option runs a precision its chip does
// not support, or names an engine that does not run on the chip, does not
// serve the precision, or is of the wrong kind.
func checkSupport(t *testing.T, where string, w *spec.Workload, o Option) {
	t.Helper()
	if o.Accelerator == "" || o.Accelerator == "cpu" || o.Pricing == "api" {
		return
	}
	a, err := cat.Accelerator(o.Accelerator)
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	p := catalog.Precision(o.Precision)
	if o.Precision != "" && a.Supports(p) == catalog.SupportNone {
		t.Errorf("%s: %s chosen on %s, which does not support it: %s", where, p, a.ID, o.Summary)
	}
	switch w.Type {
	case spec.LLMInference, spec.BatchInference, spec.Inference, spec.Embeddings:
		if o.Engine == "" {
			t.Errorf("%s: no engine named: %s", where, o.Summary)
			return
		}
		en, err := cat.Engine(o.Engine)
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		kind := "llm"
		if w.Type == spec.Inference || w.Type == spec.Embeddings {
			kind = "classic"
		}
		if !en.RunsOn(a) || en.Kind != kind || (o.Precision != "" && !en.Serves(p)) {
			t.Errorf("%s: engine %s (%s, %v, serves %v) cannot run %s %s on %s", where, en.ID, en.Kind, en.Vendors, en.Precisions, kind, p, a.ID)
		}
	case spec.Training, spec.FineTuning:
		if o.Precision != "" && a.Supports(p) != catalog.SupportNative {
			t.Errorf("%s: training in %s on %s without compute units for it", where, p, a.ID)
		}
	}
}

func TestSupport_ExamplesChooseOnlySupportedCombinations(t *testing.T) {
	n := 0
	for _, s := range searchFiles(t) {
		for _, o := range feasible(s.r) {
			checkSupport(t, s.file+"/"+s.w.Name, s.w, o)
			n++
		}
	}
	if n < 50 {
		t.Fatalf("only %d options checked", n)
	}
}

// Every accelerator with an instance x every precision a file can ask for:
// a supported pair plans with an engine that serves it, an unsupported one
// is refused with a reason that names the precision.
func TestSupport_TableOverAcceleratorsAndPrecisions(t *testing.T) {
	env := NewEnv(cat, &spec.Constraints{})
	planned, refused := 0, 0
	for _, a := range cat.Accelerators {
		if len(cat.InstancesFor(a.ID)) == 0 || strings.Contains(a.FormFactor, "edge") {
			continue
		}
		for _, p := range catalog.Precisions {
			if p == catalog.FP32 {
				continue // not a serving format the search offers
			}
			w := &spec.Workload{Name: "t", Type: spec.BatchInference, Model: &spec.ModelRef{ID: "llama-3.1-8b"}, Precision: []string{string(p)}, Accelerators: []string{a.ID},
				RequestsPerDay: 1000, DeadlineHours: 8, Traffic: &spec.Traffic{InputTokens: 500, OutputTokens: 100}}
			r := env.Search(w)
			where := a.ID + "/" + string(p)
			for _, o := range feasible(r) {
				checkSupport(t, where, w, o)
			}
			engine := false
			for _, en := range cat.EnginesFor(a) {
				engine = engine || (en.Kind == "llm" && en.Serves(p))
			}
			if a.Supports(p) == catalog.SupportNone || !engine {
				if r.Choice != nil {
					t.Errorf("%s: unsupported but chosen: %s", where, r.Choice.Summary)
				}
				want := "precision:"
				if a.Supports(p) != catalog.SupportNone {
					want = "engine:"
				}
				found := false
				for _, o := range r.Rejected {
					found = found || (strings.HasPrefix(o.Rejected, want) && strings.Contains(o.Rejected, string(p)))
				}
				if !found {
					t.Errorf("%s: no %q rejection naming %s", where, want, p)
				}
				refused++
			} else if r.Choice != nil {
				planned++
			}
		}
	}
	t.Logf("planned %d, refused %d", planned, refused)
	if planned < 20 || refused < 5 {
		t.Errorf("planned %d, refused %d: the table should exercise both", planned, refused)
	}
}

// Weight-only formats are modelled as such: FP8 weights on an A100 read
// half the bytes of BF16 but compute at the 16-bit peak.
func TestSupport_WeightOnlyFP8OnA100(t *testing.T) {
	a, _ := cat.Accelerator("a100-sxm-80gb")
	if a.Supports(catalog.FP8) != catalog.SupportWeightOnly {
		t.Fatalf("catalog: a100 fp8 is %v", a.Supports(catalog.FP8))
	}
	peak, native := a.PeakTFLOPS(catalog.FP8.ComputePrecision())
	bf16, _ := a.PeakTFLOPS(catalog.BF16)
	if native || peak != bf16 {
		t.Errorf("fp8 on a100 computes at %v TFLOPS (native %v), want the bf16 peak %v", peak, native, bf16)
	}
	// Default precisions: 8 bits is INT8 (tensor cores) on an A100, FP8 on an H100.
	w := &spec.Workload{Type: spec.LLMInference}
	h, _ := cat.Accelerator("h100-sxm")
	if got := llmPrecisions(w, a); !containsPrec(got, catalog.INT8) || containsPrec(got, catalog.FP8) {
		t.Errorf("a100 defaults %v", got)
	}
	if got := llmPrecisions(w, h); !containsPrec(got, catalog.FP8) {
		t.Errorf("h100 defaults %v", got)
	}
	inf, _ := cat.Accelerator("inferentia2")
	if got := llmPrecisions(w, inf); containsPrec(got, catalog.INT4) {
		t.Errorf("inferentia2 defaults %v include int4", got)
	}
}

func containsPrec(ps []catalog.Precision, p catalog.Precision) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}

func TestEngine_FollowsWorkloadAndVendor(t *testing.T) {
	env := NewEnv(cat, &spec.Constraints{})
	h, _ := cat.Accelerator("h100-sxm")
	inf, _ := cat.Accelerator("inferentia2")
	tpu, _ := cat.Accelerator("tpu-v6e")
	rag := &spec.Workload{Type: spec.LLMInference, Traffic: &spec.Traffic{InputTokens: 4000, OutputTokens: 300}}
	chat := &spec.Workload{Type: spec.LLMInference, Traffic: &spec.Traffic{InputTokens: 500, OutputTokens: 300}}
	fast := &spec.Workload{Type: spec.LLMInference, Traffic: &spec.Traffic{InputTokens: 500, OutputTokens: 300}, SLO: &spec.SLO{TPOTP99Ms: 15}}
	for _, c := range []struct {
		w    *spec.Workload
		a    *catalog.Accelerator
		p    catalog.Precision
		kind string
		want string
	}{
		{rag, h, catalog.FP8, "llm", "sglang"},
		{chat, h, catalog.FP8, "llm", "vllm"},
		{fast, h, catalog.FP8, "llm", "trtllm"},
		{rag, inf, catalog.BF16, "llm", "neuron"},
		{chat, tpu, catalog.INT8, "llm", "vllm-tpu"},
		{chat, inf, catalog.INT4, "llm", ""},
		{chat, h, "", "classic", "triton"},
		{chat, inf, "", "classic", ""},
	} {
		en, why := env.servingEngine(c.w, c.a, c.p, c.kind)
		got := ""
		if en != nil {
			got = en.ID
		}
		if got != c.want || (got == "") != (why != "") {
			t.Errorf("%s %s %s: engine %q (%s), want %q", c.a.ID, c.p, c.kind, got, why, c.want)
		}
	}
}

func TestTraining_MultiNodeRunsOverAScaleOutNetwork(t *testing.T) {
	multi := 0
	for _, s := range searchFiles(t) {
		if s.w.Type != spec.Training && s.w.Type != spec.FineTuning {
			continue
		}
		for _, o := range feasible(s.r) {
			if o.Instances <= 1 || o.Instance == "" {
				continue
			}
			multi++
			in := instanceOf(t, o)
			if in == nil || in.Network == nil || in.Network.Gbps <= 0 {
				t.Errorf("%s/%s: %d nodes without a published network: %s", s.file, s.w.Name, o.Instances, o.Summary)
				continue
			}
			if !strings.Contains(o.Metrics.Parallelism, in.Network.Type) {
				t.Errorf("%s/%s: the plan does not name the network %q it was timed on: %s", s.file, s.w.Name, in.Network.Type, o.Metrics.Parallelism)
			}
		}
	}
	if multi == 0 {
		t.Fatal("no multi-node training option checked")
	}
}

// Pre-training an 8B model on 1T tokens on AWS: not a swarm of single-GPU
// Ethernet VMs. The same job is slower on those VMs' network than on an HPC
// node's, so an HPC instance wins where it is cheaper per token.
func TestTraining_8BOn1TTokensPrefersHPCInstances(t *testing.T) {
	var r *Result
	for _, s := range searchFiles(t) {
		if strings.HasSuffix(s.file, "pretrain-8b-aws.yaml") {
			r = &s.r
		}
	}
	if r == nil || r.Choice == nil {
		t.Fatal("no plan for the 8B pre-training scenario")
	}
	in := instanceOf(t, *r.Choice)
	if in == nil || in.AcceleratorCount < 8 || in.Network == nil || (in.Network.Type != catalog.NetEFA && in.Network.Type != catalog.NetInfiniBand) {
		t.Errorf("chosen %s", r.Choice.Summary)
	}
	env := NewEnv(cat, &spec.Constraints{Clouds: []string{"aws"}})
	a, _ := cat.Accelerator("l40s")
	m, _ := cat.Model("llama-3.1-8b")
	var small, big trainShape
	for _, sh := range env.trainShapes(a) {
		switch sh.example {
		case "aws g6e.xlarge":
			small = sh
		case "aws g6e.48xlarge":
			big = sh
		}
	}
	if small.count != 1 || big.count != 8 {
		t.Fatalf("shapes %+v %+v", small, big)
	}
	wall := func(sh trainShape) float64 {
		acc, net := sh.installed(a, 512/sh.count)
		res, err := perf.Training(perf.TrainingInput{Model: m, Accel: acc, Eff: cat.Efficiency, GPUs: 512, Tokens: 1e12, Method: perf.Pretrain, Zero: -1, PipelineGBs: net, Quiet: true})
		if err != nil || !res.Fits {
			t.Fatalf("%v %s", err, res.Reason)
		}
		return res.WallHours
	}
	if ws, wb := wall(small), wall(big); !(ws > 1.1*wb) {
		t.Errorf("512 x l40s: %.0f h on 512 x g6e.xlarge (%s), %.0f h on 64 x g6e.48xlarge (%s): the slow network should cost time", ws, small.network, wb, big.network)
	}
}

func TestFlaggedPrice_ExcludedUnlessOptedIn(t *testing.T) {
	var flagged *catalog.Instance
	for _, in := range cat.InstancesFor("a100-sxm-40gb") {
		if in.Cloud == "aws" && in.InstanceType == "p4d.24xlarge" && in.Region == "us-east-1" {
			flagged = in
		}
	}
	if flagged == nil {
		t.Fatal("no p4d us-east-1 in the catalog")
	}
	c := *cat
	c.Instances = nil
	for _, in := range cat.Instances {
		if in == flagged {
			cp := *in
			cp.PriceFlag = "spot price 90% below every other zone"
			in = &cp
		}
		c.Instances = append(c.Instances, in)
	}
	w := &spec.Workload{Name: "t", Type: spec.BatchInference, Model: &spec.ModelRef{ID: "llama-3.1-8b"}, Accelerators: []string{"a100-sxm-40gb"},
		RequestsPerDay: 1e6, DeadlineHours: 8, Traffic: &spec.Traffic{InputTokens: 500, OutputTokens: 100}}
	k := spec.Constraints{Clouds: []string{"aws"}, Regions: []string{"us-east-1"}}
	r := NewEnv(&c, &k).Search(w)
	for _, o := range feasible(r) {
		if o.Instance == flagged.InstanceType && o.Region == flagged.Region {
			t.Errorf("flagged price chosen: %s", o.Summary)
		}
	}
	seen := false
	for _, o := range r.Rejected {
		seen = seen || strings.HasPrefix(o.Rejected, "price:")
	}
	if !seen {
		t.Error("the flagged instance should show as rejected with its reason")
	}
	k.AllowFlaggedPrices = true
	if r := NewEnv(&c, &k).Search(w); r.Choice == nil || r.Choice.Instance != flagged.InstanceType {
		t.Errorf("opted in: choice %+v", r.Choice)
	}
	// And no example chooses a price the real catalog flags.
	for _, s := range searchFiles(t) {
		for _, o := range feasible(s.r) {
			if o.Instance == "" {
				continue
			}
			if in := instanceOf(t, o); in != nil && (in.PriceFlag != "" || (in.SpotFlag != "" && strings.Contains(string(o.Pricing), "spot"))) {
				t.Errorf("%s/%s: flagged price chosen: %s", s.file, s.w.Name, o.Summary)
			}
		}
	}
}

// A model larger than any one node: each replica spans nodes as pipeline
// stages, one whole scale-up domain per node, over a published network,
// and is billed and packed in whole instances per stage.
func TestTopology_MultiNodeReplicasUsePipelineStages(t *testing.T) {
	n, workloads := 0, 0
	for _, s := range searchFiles(t) {
		if !strings.HasSuffix(s.file, "multinode-405b.yaml") {
			continue
		}
		if s.r.Choice == nil {
			t.Fatalf("%s: no choice", s.w.Name)
		}
		workloads++
		n += checkMultiNode(t, s)
	}
	if n == 0 || workloads != 2 {
		t.Fatalf("%d multi-node options over %d workloads", n, workloads)
	}
}

func checkMultiNode(t *testing.T, s searched) (n int) {
	for _, o := range feasible(s.r) {
		if o.Instance == "" {
			continue
		}
		in := instanceOf(t, o)
		a, _ := cat.Accelerator(o.Accelerator)
		if in == nil || a == nil {
			t.Fatalf("unknown instance or accelerator: %s", o.Summary)
		}
		nodes := o.GPUsPerUnit / in.AcceleratorCount
		if o.GPUsPerUnit <= in.AcceleratorCount || o.GPUsPerUnit%in.AcceleratorCount != 0 {
			t.Errorf("%s: a 405B bf16 replica on %d x %s", o.Summary, o.GPUsPerUnit, a.ID)
			continue
		}
		n++
		if o.TP != in.AcceleratorCount || instanceDomain(in, a) != o.TP {
			t.Errorf("%s: the TP group is not one node's scale-up domain", o.Summary)
		}
		if !strings.Contains(o.Metrics.Parallelism, fmt.Sprintf("pp=%d across %d nodes", nodes, nodes)) {
			t.Errorf("%s: layout %q", o.Summary, o.Metrics.Parallelism)
		}
		if in.Network == nil || in.Network.Gbps <= 0 {
			t.Errorf("%s: stages on an instance without a published network", o.Summary)
		}
		if d := o.Demand; s.w.Type == spec.LLMInference && (d == nil || d.PerInstance != 1 || d.GPUs != in.AcceleratorCount || d.Replicas.Max() != o.ReplicasMax*nodes) {
			t.Errorf("%s: demand %+v, want one instance per stage", o.Summary, d)
		}
		if o.Instances != o.ReplicasMax*nodes {
			t.Errorf("%s: %d instances for %d replicas of %d nodes", o.Summary, o.Instances, o.ReplicasMax, nodes)
		}
	}
	return n
}

// A spot price flagged alone (SpotFlag, e.g. one zone far below the
// others) is not offered; the instance's on-demand price still is.
func TestFlaggedPrice_SpotFlagDropsOnlySpot(t *testing.T) {
	w := &spec.Workload{Name: "t", Type: spec.BatchInference, Model: &spec.ModelRef{ID: "llama-3.1-8b"}, Accelerators: []string{"a100-sxm-40gb"},
		RequestsPerDay: 1e6, DeadlineHours: 8, Traffic: &spec.Traffic{InputTokens: 500, OutputTokens: 100}}
	k := spec.Constraints{Clouds: []string{"aws"}, Regions: []string{"us-east-1"}, Pricing: []string{"spot", "on-demand"}}
	first := NewEnv(cat, &k).Search(w).Choice
	if first == nil || first.Pricing != "spot" {
		t.Fatalf("want a spot choice to flag, got %+v", first)
	}
	c := *cat
	c.Instances = nil
	for _, in := range cat.Instances {
		if in.Cloud == first.Cloud && in.InstanceType == first.Instance && in.Region == first.Region {
			cp := *in
			cp.SpotFlag = "test: one zone far below the others"
			in = &cp
		}
		c.Instances = append(c.Instances, in)
	}
	r := NewEnv(&c, &k).Search(w)
	for _, o := range feasible(r) {
		if o.Instance == first.Instance && o.Pricing == "spot" {
			t.Errorf("flagged spot price used: %s", o.Summary)
		}
	}
	onDemand := false
	for _, o := range feasible(r) {
		onDemand = onDemand || (o.Instance == first.Instance && o.Pricing == "on-demand")
	}
	if !onDemand {
		t.Error("the instance's on-demand price should still be offered")
	}
	k.AllowFlaggedPrices = true
	if r := NewEnv(&c, &k).Search(w); r.Choice == nil || r.Choice.Pricing != "spot" || r.Choice.Instance != first.Instance {
		t.Errorf("opted in: %+v", r.Choice)
	}
}

// With a latency the provider states (a catalog overlay), the API serves
// under an SLO the stated figures meet and is refused under a tighter one.
func TestAPI_StatedLatencyDecides(t *testing.T) {
	overlay := filepath.Join(t.TempDir(), "api.yaml")
	err := os.WriteFile(overlay, []byte(`api_prices:
  - {id: together/llama-3.1-8b, provider: together, model: llama-3.1-8b, input_usd_per_mtok: 0.18, output_usd_per_mtok: 0.18,
     ttft_p99_ms: 900, tpot_p99_ms: 40, latency_source: "test: a provider SLA page", source: test, as_of: "2026-12-01"}
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	c, err := catalog.Load(overlay)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		slo  spec.SLO
		want string // "" when the API serves
	}{
		{spec.SLO{TTFTP99Ms: 1000, TPOTP99Ms: 50}, ""},
		{spec.SLO{TTFTP99Ms: 1000, E2EP99Ms: 10000}, ""}, // 900 + 40 x 199 = 8860 ms
		{spec.SLO{TTFTP99Ms: 800}, "states TTFT p99 900 ms, above the SLO's 800 ms"},
		{spec.SLO{TPOTP99Ms: 30}, "states TPOT p99 40 ms, above the SLO's 30 ms"},
		{spec.SLO{E2EP99Ms: 5000}, "states end-to-end p99 8860 ms, above the SLO's 5000 ms"},
	} {
		w := apiWorkload()
		w.SLO = &tc.slo
		api := apiOf(NewEnv(c, &spec.Constraints{}).Search(w))
		if api == nil {
			t.Fatalf("%+v: no API option", tc.slo)
		}
		if tc.want == "" && api.Rejected != "" || tc.want != "" && !strings.Contains(api.Rejected, tc.want) {
			t.Errorf("%+v: rejected %q, want %q", tc.slo, api.Rejected, tc.want)
		}
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	_ = os.WriteFile(bad, []byte(`api_prices:
  - {id: x/y, provider: x, model: llama-3.1-8b, input_usd_per_mtok: 1, output_usd_per_mtok: 1, ttft_p99_ms: 500, source: test, as_of: "2026-12-01"}
`), 0o644)
	if _, err := catalog.Load(bad); err == nil || !strings.Contains(err.Error(), "latency_source") {
		t.Errorf("a stated latency without its source loads: %v", err)
	}
}
