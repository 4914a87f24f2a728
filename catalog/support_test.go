package catalog

import (
	"strings"
	"testing"
)

func TestSupports_VendorFacts(t *testing.T) {
	c := MustDefault()
	cases := []struct {
		acc  string
		p    Precision
		want Support
	}{
		{"a100-sxm-80gb", FP8, SupportWeightOnly},
		{"a100-sxm-80gb", INT4, SupportWeightOnly},
		{"a100-pcie-80gb", BF16, SupportNative},
		{"t4", FP8, SupportNone},
		{"t4", BF16, SupportNone},
		{"t4", FP16, SupportNative},
		{"v100", FP8, SupportNone},
		{"v100-sxm-16gb", INT8, SupportNone},
		{"h100-sxm", FP8, SupportNative},
		{"h100-sxm", FP4, SupportWeightOnly},
		{"l40s", FP8, SupportNative},
		{"l4", FP8, SupportNative},
		{"b200", FP4, SupportNative},
		{"b300", FP4, SupportNative},
		{"mi300x", FP8, SupportNative},
		{"mi300x", FP4, SupportWeightOnly},
		{"mi355x", FP4, SupportNative},
		{"gaudi2", FP8, SupportNative},
		{"gaudi3", FP8, SupportNative},
		{"trainium2", FP8, SupportNative},
		{"inferentia2", INT4, SupportNone},
		{"inferentia2", FP4, SupportNone},
		{"inferentia2", BF16, SupportNative},
		{"tpu-v5e", FP8, SupportNone},
		{"tpu-v6e", FP8, SupportNone},
		{"tpu-v6e", INT8, SupportNative},
	}
	for _, tc := range cases {
		a, err := c.Accelerator(tc.acc)
		if err != nil {
			t.Fatal(err)
		}
		if got := a.Supports(tc.p); got != tc.want {
			t.Errorf("%s.Supports(%s) = %v, want %v", tc.acc, tc.p, got, tc.want)
		}
	}
	// FP4 compute units exist only on Blackwell and CDNA4.
	for _, a := range c.Accelerators {
		if a.Supports(FP4) == SupportNative && !(strings.HasPrefix(a.ID, "b") || a.ID == "gb200" || a.ID == "rtx-pro-6000" || a.ID == "mi355x") {
			t.Errorf("%s: native fp4 outside Blackwell/MI355", a.ID)
		}
	}
}

func TestAccelerators_HaveSupportMatrixAndDeviceResource(t *testing.T) {
	allowed := map[string]string{"NVIDIA": "nvidia.com/gpu", "AMD": "amd.com/gpu", "AWS": "aws.amazon.com/neuron", "Google": "google.com/tpu", "Intel": "habana.ai/gaudi"}
	for _, a := range MustDefault().Accelerators {
		if len(a.NativePrecisions) == 0 {
			t.Errorf("%s: no native_precisions", a.ID)
		}
		if want := allowed[a.Vendor]; a.DeviceResource != want {
			t.Errorf("%s: device_resource %q, want %q for vendor %s", a.ID, a.DeviceResource, want, a.Vendor)
		}
		if a.PrecisionSource == "" {
			t.Errorf("%s: precision_source missing", a.ID)
		}
		// A published peak implies native units, and native units with a
		// published peak elsewhere must not be missing.
		for p, v := range map[Precision]*float64{FP8: a.FP8TFLOPS, FP4: a.FP4TFLOPS} {
			if v != nil && a.Supports(p) != SupportNative {
				t.Errorf("%s: %s peak %g published but %s not native", a.ID, p, *v, p)
			}
		}
	}
}

func TestPeakTFLOPS_NoDerivedPrecision(t *testing.T) {
	c := MustDefault()
	for _, id := range []string{"a100-sxm-80gb", "a10", "t4", "tpu-v5e"} {
		a, _ := c.Accelerator(id)
		got, native := a.PeakTFLOPS(FP8)
		bf, _ := a.PeakTFLOPS(BF16)
		if native || got != bf {
			t.Errorf("%s: PeakTFLOPS(fp8) = %g, %v; want the bf16 peak %g, false (no FP8 units)", id, got, native, bf)
		}
	}
	h, _ := c.Accelerator("h100-sxm")
	if v, native := h.PeakTFLOPS(FP4); native || v != *h.BF16TFLOPS {
		t.Errorf("h100 fp4 peak = %g, %v; want bf16 fallback", v, native)
	}
	if v, native := h.PeakTFLOPS(FP8); !native || v != *h.FP8TFLOPS {
		t.Errorf("h100 fp8 peak = %g, %v", v, native)
	}
}

func TestInstances_NetworkAndLinkDomain(t *testing.T) {
	c := MustDefault()
	for _, in := range c.Instances {
		if in.IsCPU() {
			continue
		}
		a, _ := c.Accelerator(in.Accelerator)
		if in.Network == nil {
			t.Errorf("%s: accelerator instance without network", in.ID)
			continue
		}
		if in.Network.Source == "" || in.Network.AsOf == "" {
			t.Errorf("%s: network without source/as_of", in.ID)
		}
		if d := in.LinkDomain(a); d < 1 || d > in.AcceleratorCount {
			t.Errorf("%s: link domain %d outside [1, %d]", in.ID, d, in.AcceleratorCount)
		}
	}
	for id, want := range map[string]int{
		"gcp/a2-megagpu-16g/us-central1": 16, "aws/p5.48xlarge/us-east-1": 8, "aws/g6e.12xlarge/us-east-1": 1,
		"aws/p5.4xlarge/us-east-1": 1, "azure/Standard_NC80adis_H100_v5/eastus": 2, "aws/trn1.32xlarge/us-east-1": 16,
	} {
		in, err := c.Instance(id)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := c.Accelerator(in.Accelerator)
		if got := in.LinkDomain(a); got != want {
			t.Errorf("%s: LinkDomain = %d, want %d", id, got, want)
		}
	}
	p5, _ := c.Instance("aws/p5.48xlarge/us-east-1")
	if p5.Network.Type != NetEFA || p5.Network.Gbps != 3200 || !p5.Network.RDMA() {
		t.Errorf("p5.48xlarge network = %+v", p5.Network)
	}
}

func TestEngines_Accessors(t *testing.T) {
	c := MustDefault()
	for _, id := range []string{"vllm", "sglang", "trtllm", "tgi", "neuron", "vllm-tpu", "gaudi", "triton"} {
		if _, err := c.Engine(id); err != nil {
			t.Errorf("engine %s: %v", id, err)
		}
	}
	if _, err := c.Engine("vlm"); err == nil || !strings.Contains(err.Error(), "vllm") {
		t.Errorf("unknown engine error should suggest vllm: %v", err)
	}
	sg, _ := c.Engine("sglang")
	if sg.Metrics.QueueWaiting != "sglang:num_queue_reqs" {
		t.Errorf("sglang queue metric %q", sg.Metrics.QueueWaiting)
	}
	v, _ := c.Engine("vllm")
	if v.Metrics.QueueWaiting != "vllm:num_requests_waiting" {
		t.Errorf("vllm queue metric %q", v.Metrics.QueueWaiting)
	}
	want := map[string]string{"h100-sxm": "vllm", "mi300x": "vllm", "inferentia2": "neuron", "trainium1": "neuron", "tpu-v6e": "vllm-tpu", "gaudi3": "gaudi"}
	for acc, first := range want {
		a, _ := c.Accelerator(acc)
		es := c.EnginesFor(a)
		if len(es) == 0 || es[0].ID != first {
			t.Errorf("EnginesFor(%s) = %v, want %s first", acc, engineIDs(es), first)
		}
		for _, e := range es {
			if e.Image(a) == "" {
				t.Errorf("engine %s on %s has no image", e.ID, acc)
			}
		}
	}
	inf, _ := c.Accelerator("inferentia2")
	for _, e := range c.EnginesFor(inf) {
		if strings.Contains(e.Image(inf), "cuda") || e.ID == "vllm" {
			t.Errorf("CUDA engine %s offered on Inferentia2", e.ID)
		}
	}
}

func engineIDs(es []*Engine) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.ID)
	}
	return out
}

func TestParse_RejectsBadSchemaFields(t *testing.T) {
	cases := map[string]string{
		"bad precision":   "accelerators:\n  - {id: x, memory_gb: 10, link_domain: 1, pcie_bw_gbps: 32, native_precisions: [fp9], source: s, as_of: '2025'}\n",
		"dup weight-only": "accelerators:\n  - {id: x, memory_gb: 10, link_domain: 1, pcie_bw_gbps: 32, native_precisions: [fp8], weight_only_precisions: [fp8], source: s, as_of: '2025'}\n",
		"bad network":     "instances:\n  - {id: a/b/c, cloud: a, instance_type: b, region: c, accelerator: h100, accelerator_count: 1, network: {type: carrier-pigeon, gbps: 1, source: s, as_of: x}, source: s, as_of: x}\n",
		"net no source":   "instances:\n  - {id: a/b/c, cloud: a, instance_type: b, region: c, accelerator: h100, accelerator_count: 1, network: {type: efa, gbps: 1}, source: s, as_of: x}\n",
		"neg domain":      "instances:\n  - {id: a/b/c, cloud: a, instance_type: b, region: c, accelerator: h100, accelerator_count: 1, scale_up_domain: -1, source: s, as_of: x}\n",
		"engine vendor":   "engines:\n  - {id: e, kind: llm, vendors: [nvida], images: {nvida: x}, metrics: {e2e_histogram: h}, source: s, as_of: x}\n",
		"engine image":    "engines:\n  - {id: e, kind: llm, vendors: [nvidia], metrics: {e2e_histogram: h}, source: s, as_of: x}\n",
	}
	for name, in := range cases {
		if _, err := Parse([]byte(in), "t.yaml"); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
