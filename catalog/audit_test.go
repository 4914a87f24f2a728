package catalog

import (
	"strings"
	"testing"
	"time"
)

// TestIssue11_AuditFindingsFixed asserts every finding of the catalog audit
// (issue 11) is fixed in the embedded data.
func TestIssue11_AuditFindingsFixed(t *testing.T) {
	c := MustDefault()
	inst := func(id string) *Instance {
		t.Helper()
		in, err := c.Instance(id)
		if err != nil {
			t.Fatal(err)
		}
		return in
	}
	acc := func(id string) *Accelerator {
		t.Helper()
		a, err := c.Accelerator(id)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	// Azure NC A100 v4 and RunPod A100-80GB carry A100 PCIe.
	for _, id := range []string{"azure/Standard_NC24ads_A100_v4/eastus", "azure/Standard_NC48ads_A100_v4/eastus", "azure/Standard_NC96ads_A100_v4/eastus",
		"runpod/1x_A100-80GB_SECURE/US", "runpod/2x_A100-80GB_SECURE/US", "runpod/1x_A100-80GB_SECURE/SE (zone EU-SE-1)"} {
		if in := inst(id); in.Accelerator != "a100-pcie-80gb" {
			t.Errorf("%s: accelerator %s, want a100-pcie-80gb", id, in.Accelerator)
		}
		if in := inst(id); in.LinkDomain(acc(in.Accelerator)) != 1 {
			t.Errorf("%s: A100 PCIe has no NVLink domain", id)
		}
	}
	// Spot rows that repeated on-demand are gone.
	for _, id := range []string{"runpod/1x_A100-80GB_SECURE/US", "runpod/2x_A100-80GB_SECURE/US", "azure/Standard_ND96isr_H100_v5/eastus",
		"azure/Standard_NC40ads_H100_v5/eastus", "azure/Standard_NC80adis_H100_v5/eastus", "aws/p5.4xlarge/eu-west-2"} {
		if in := inst(id); in.PriceSpot != nil {
			t.Errorf("%s: spot %g should be absent (the source repeats on-demand)", id, *in.PriceSpot)
		}
	}
	// p4d us-east-1 spot is the zone median, not the 2.4655 outlier.
	if p := inst("aws/p4d.24xlarge/us-east-1").PriceSpot; p == nil || *p < 7.8 || *p > 8.2 {
		t.Errorf("p4d us-east-1 spot = %v, want the median of 7.88-8.19", p)
	}
	// Invalid GCP on-demand rows are dropped, suspect ones flagged.
	for _, id := range []string{"gcp/a3-highgpu-8g/us-central1", "gcp/a3-highgpu-1g/us-central1", "gcp/a2-ultragpu-1g/us-central1", "gcp/a2-ultragpu-8g/us-central1",
		"gcp/a2-ultragpu-1g/europe-west4", "gcp/a2-ultragpu-8g/europe-west4", "gcp/a3-ultragpu-8g/europe-west4"} {
		if in := inst(id); in.PriceOnDemand != nil {
			t.Errorf("%s: invalid on-demand %g still present", id, *in.PriceOnDemand)
		}
	}
	for _, id := range []string{"gcp/a2-highgpu-8g/europe-west4", "gcp/a4-highgpu-8g/us-central1", "gcp/a4-highgpu-8g/europe-west4"} {
		in := inst(id)
		if in.PriceFlag == "" {
			t.Errorf("%s: suspect price not flagged", id)
		}
		if _, ok := in.OnDemand(false); ok {
			t.Errorf("%s: flagged price usable without opt-in", id)
		}
		if _, ok := in.OnDemand(true); !ok {
			t.Errorf("%s: flagged price not usable with opt-in", id)
		}
	}
	// Managed platform markup is on the catalog's own EC2 basis.
	if r, ok := c.Rate("managed-platform/aws"); !ok || r.Value < 0.3 || strings.Contains(r.Source, "vs EC2 p4d.24xlarge 32.77 USD/h (us-east-1) = 15%") {
		t.Errorf("managed-platform/aws = %+v", r)
	}
	// B300.
	b3 := acc("b300")
	if *b3.INT8TOPS > 200 || *b3.FP4TFLOPS < 13000 || *b3.FP4TFLOPS > 14500 || *b3.TDPWatts != 1100 || b3.UsableMemoryGiB() > 270 || b3.UsableMemoryGiB() < 268 {
		t.Errorf("b300 int8 %g fp4 %g tdp %g usable %g", *b3.INT8TOPS, *b3.FP4TFLOPS, *b3.TDPWatts, b3.UsableMemoryGiB())
	}
	// Usable memory in GiB.
	for id, want := range map[string]float64{"l4": 22.35, "a10g": 22.35, "l40s": 44.7} {
		if got := acc(id).UsableMemoryGiB(); got < want-0.01 || got > want+0.01 {
			t.Errorf("%s usable memory %g GiB, want %g", id, got, want)
		}
	}
	// TPU v5p and v6e.
	v5p := acc("tpu-v5p")
	if *v5p.LinkBWGBs != 1200 || v5p.FP8TFLOPS == nil || *v5p.FP8TFLOPS != 459 {
		t.Errorf("tpu-v5p ICI %v fp8 %v", v5p.LinkBWGBs, v5p.FP8TFLOPS)
	}
	if acc("tpu-v6e").FP8TFLOPS != nil {
		t.Error("tpu-v6e has an fp8 peak Google does not list")
	}
	// H100/H200 NVL figures filled.
	for _, id := range []string{"h100-nvl", "h200-nvl"} {
		a := acc(id)
		if a.FP32TFLOPS == nil || a.TF32TFLOPS == nil || a.INT8TOPS == nil {
			t.Errorf("%s: fp32/tf32/int8 missing", id)
		}
	}
	// Default precisions = released checkpoints.
	for id, want := range map[string]Precision{"deepseek-v3": FP8, "deepseek-r1": FP8, "gpt-oss-20b": FP4, "gpt-oss-120b": FP4} {
		m, _ := c.Model(id)
		if m.DefaultPrecision() != want {
			t.Errorf("%s default precision %s, want %s", id, m.DefaultPrecision(), want)
		}
	}
	// No FP8 peak from INT8 (A100, A10, T4, TPU v5e).
	for _, id := range []string{"a100-sxm-80gb", "a10", "t4", "tpu-v5e"} {
		if _, native := acc(id).PeakTFLOPS(FP8); native {
			t.Errorf("%s: native fp8 peak", id)
		}
	}
	// Every accelerator instance records its network, with source.
	for _, in := range c.Instances {
		if !in.IsCPU() && (in.Network == nil || in.Network.Source == "") {
			t.Errorf("%s: no network record", in.ID)
		}
	}
	for id, want := range map[string]float64{"aws/p5.48xlarge/us-east-1": 3200, "aws/p6-b300.48xlarge/us-west-2": 6400, "aws/p4d.24xlarge/us-east-1": 400,
		"aws/trn1.32xlarge/us-east-1": 800, "aws/trn1n.32xlarge/us-east-1": 1600, "aws/trn2.48xlarge/us-east-2": 3200, "azure/Standard_ND96isr_H100_v5/eastus": 3200,
		"azure/Standard_ND96amsr_A100_v4/eastus": 1600, "gcp/a3-highgpu-8g/us-central1": 1000, "gcp/a3-megagpu-8g/us-central1": 1800, "gcp/a3-ultragpu-8g/us-central1": 3600,
		"gcp/a4-highgpu-8g/us-central1": 3600, "gcp/a2-highgpu-8g/us-central1": 100, "nebius/gpu-h100-sxm_8gpu-128vcpu-1600gb/eu-north1": 3200} {
		if got := inst(id).Network.Gbps; got != want {
			t.Errorf("%s network %g Gbps, want %g", id, got, want)
		}
	}
	if n := inst("lambda/gpu_1x_h100_sxm5/us-east-1").Network; n.RDMA() {
		t.Error("single Lambda instances have no InfiniBand")
	}
	if n := inst("azure/Standard_NC96ads_A100_v4/eastus").Network; n.Type != NetEthernet || n.Gbps != 80 {
		t.Errorf("NC96ads_A100_v4 network %+v", n)
	}
}

func TestEmbeddedCatalog_CheckHasNoErrors(t *testing.T) {
	fs, err := CheckFiles()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range Errors(fs) {
		t.Errorf("%s", f)
	}
}

// Each check fires on a crafted bad entry.
func TestChecks_FireOnBadEntries(t *testing.T) {
	p := func(v float64) *float64 { return &v }
	goodAcc := func() *Accelerator {
		return &Accelerator{ID: "x1", Vendor: "NVIDIA", MemoryGB: 80, MemoryGiB: 79.6, BF16TFLOPS: p(1000), FP8TFLOPS: p(2000),
			NativePrecisions: []Precision{FP32, BF16, FP8}, LinkDomain: 8, PCIeBWGBs: 64, Source: "s", AsOf: "2026-01-01"}
	}
	net := &Network{Type: NetEFA, Gbps: 400, Source: "s", AsOf: "2026-01-01"}
	inst := func(id string, od, spot float64) *Instance {
		in := &Instance{ID: id, Cloud: "c", InstanceType: id, Region: "r", Accelerator: "x1", AcceleratorCount: 1, Network: net, Source: "s", AsOf: "2026-01-01"}
		if od >= 0 {
			in.PriceOnDemand = p(od)
		}
		if spot >= 0 {
			in.PriceSpot = p(spot)
		}
		return in
	}
	base := func() *File {
		return &File{Accelerators: []*Accelerator{goodAcc()}, Instances: []*Instance{inst("a", 10, 4), inst("b", 11, 4.2), inst("c", 9, 3.8)},
			Models: []*Model{{ID: "m", Kind: "llm", CheckpointPrecision: "bf16", Source: "s", AsOf: "x"}}}
	}
	if fs := Check(base()); len(fs) != 0 {
		t.Fatalf("clean file has findings: %v", fs)
	}
	cases := []struct {
		check string
		sev   Severity
		bad   func(f *File)
	}{
		{"spot-price", SevError, func(f *File) { f.Instances[0].PriceSpot = p(10) }},
		{"spot-price", SevWarning, func(f *File) { f.Instances[0].PriceOnDemand = nil }},
		{"zero-price", SevError, func(f *File) { f.Instances[0].PriceOnDemand = p(0) }},
		{"price-band", SevWarning, func(f *File) { f.Instances = append(f.Instances, inst("d", 40, 4)) }},
		{"price-band", SevWarning, func(f *File) { f.Instances = append(f.Instances, inst("d", 10, 0.9)) }},
		{"dense-sparse", SevWarning, func(f *File) { f.Accelerators[0].FP8TFLOPS = p(4000) }},
		{"usable-memory", SevError, func(f *File) { f.Accelerators[0].MemoryGiB = 85.9 }},
		{"usable-memory", SevWarning, func(f *File) { f.Accelerators[0].MemoryGiB = 0 }},
		{"checkpoint-precision", SevError, func(f *File) { f.Models[0].CheckpointPrecision = "fp8" }},
		{"derived-peak", SevError, func(f *File) { f.Accelerators[0].INT8TOPS = p(2000) }},
		{"derived-peak", SevError, func(f *File) { f.Accelerators[0].FP4TFLOPS = p(4000) }},
		{"network", SevWarning, func(f *File) { f.Instances[0].Network = nil }},
		{"price-date", SevWarning, func(f *File) { f.Instances[0].AsOf = "undated" }},
	}
	for _, tc := range cases {
		f := base()
		tc.bad(f)
		found := false
		for _, x := range Check(f) {
			if x.Check == tc.check && x.Severity == tc.sev {
				found = true
			}
		}
		if !found {
			t.Errorf("check %s (%s) did not fire: %v", tc.check, tc.sev, Check(f))
		}
	}
	// The loader flags band outliers instead of dropping them.
	f := base()
	f.Instances = append(f.Instances, inst("d", 10, 0.9))
	flagPrices(f)
	if d := f.Instances[3]; d.SpotFlag == "" || d.PriceFlag != "" {
		t.Errorf("outlier spot not flagged: %+v", d)
	}
	if _, ok := f.Instances[3].Spot(false); ok {
		t.Error("flagged spot usable without opt-in")
	}
}

func TestLoad_FailsOnCheckErrors(t *testing.T) {
	dir := t.TempDir()
	body := "instances:\n  - {id: x/y/z, cloud: x, instance_type: y, region: z, accelerator: h100-sxm, accelerator_count: 1, price_on_demand_usd_hr: 5, price_spot_usd_hr: 5, network: {type: efa, gbps: 100, source: s, as_of: '2026-01-01'}, source: s, as_of: '2026-01-01'}\n"
	if err := writeFile(dir+"/o.yaml", body); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir + "/o.yaml"); err == nil || !strings.Contains(err.Error(), "spot-price") {
		t.Fatalf("want a spot-price check error, got %v", err)
	}
}

func TestPriceAge(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	in := &Instance{AsOf: "2026-08-01"}
	if age, ok := in.PriceAge(now); !ok || age.Hours()/24 != 122 {
		t.Errorf("age = %v %v", age, ok)
	}
	if s := in.PriceStaleness(now); !strings.Contains(s, "122 days") {
		t.Errorf("staleness %q", s)
	}
	if s := (&Instance{AsOf: "2026-11-01"}).PriceStaleness(now); s != "" {
		t.Errorf("fresh price flagged: %q", s)
	}
	if s := (&Instance{AsOf: "undated (commit x)"}).PriceStaleness(now); !strings.Contains(s, "undated") {
		t.Errorf("undated price: %q", s)
	}
}
