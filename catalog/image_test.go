package catalog

import (
	"fmt"
	"strings"
	"testing"
)

func TestUnpinnedImage(t *testing.T) {
	pinned := []string{
		"vllm/vllm-openai:v0.11.1",
		"rocm/vllm:rocm7.0.0_vllm_0.11.1_20251024",
		"nvcr.io/nvidia/tritonserver:25.01-py3",
		"localhost:5000/team/triton:25.01-py3",
		"public.ecr.aws/neuron/pytorch-inference-vllm-neuronx:0.9.1-neuronx-py311-sdk2.26.1-ubuntu22.04",
		"vllm/vllm-openai@sha256:" + strings.Repeat("ab", 32),
		"vllm/vllm-openai:latest@sha256:" + strings.Repeat("0f", 32), // the digest pins the build
	}
	for _, ref := range pinned {
		if why := UnpinnedImage(ref); why != "" {
			t.Errorf("%s: %s, want pinned", ref, why)
		}
	}
	floating := map[string]string{
		"":                           "empty",
		"vllm/vllm-openai":           "no tag",
		"localhost:5000/team/triton": "no tag",
		"rocm/vllm:latest":           "rolling",
		"ghcr.io/huggingface/text-generation-inference:latest-rocm": "rolling",
		"lmsysorg/sglang:rocm700-mi30x-latest":                      "rolling",
		"lmsysorg/sglang:nightly-dev-20251208":                      "rolling",
		"lmsysorg/sglang:dev":                                       "rolling",
		"ghcr.io/huggingface/text-generation-inference:3.3.x":       "wildcard",
		"lmsysorg/sglang:v0.5.x-cu129":                              "wildcard",
		"lmsysorg/sglang:spark":                                     "no version",
		"vllm/vllm-openai@sha256:abc":                               "digest",
	}
	for ref, want := range floating {
		why := UnpinnedImage(ref)
		if why == "" || !strings.Contains(why, want) {
			t.Errorf("%q: %q, want a reason with %q", ref, why, want)
		}
	}
}

func TestTagCarries(t *testing.T) {
	for _, c := range []struct {
		tag, v string
		want   bool
	}{
		{"v0.5.3-cu129", "0.5.3", true},
		{"v0.5.3rc0-rocm630-mi30x", "0.5.3", true},
		{"v0.5.31-cu129", "0.5.3", false},
		{"v10.5.3", "0.5.3", false},
		{"rocm7.0.0_vllm_0.11.1_20251024", "0.11.1", true},
		{"rocm7.0.0_vllm_0.11.10_20251024", "0.11.1", false},
		{"0.9.1-neuronx-py311-sdk2.26.1-ubuntu22.04", "2.26.1", true},
		{"0.9.1-neuronx-py311-sdk2.26.1-ubuntu22.04", "2.26", false},
		{"25.01-py3", "25.01", true},
	} {
		if got := TagCarries(c.tag, c.v); got != c.want {
			t.Errorf("TagCarries(%q, %q) = %v, want %v", c.tag, c.v, got, c.want)
		}
	}
}

// TestEmbeddedEngines_OneReleaseEachPinned: every engine of the embedded
// catalog is one release and every image pins that release's build, so an
// export runs the engine version the estimate names.
func TestEmbeddedEngines_OneReleaseEachPinned(t *testing.T) {
	c := MustDefault()
	if len(c.Engines) == 0 {
		t.Fatal("no engines")
	}
	for _, e := range c.Engines {
		if why := exactVersion(e.Version); why != "" {
			t.Errorf("%s: version %q %s", e.ID, e.Version, why)
		}
		vs := VersionsIn(e.Version)
		for _, v := range keys(e.Images) {
			ref := e.Images[v]
			if vendor, id, ok := strings.Cut(v, "/"); ok {
				a, err := c.Accelerator(id)
				if err != nil || VendorKey(a.Vendor) != vendor {
					t.Errorf("%s: images key %s names no %s accelerator of the catalog", e.ID, v, vendor)
				}
			}
			if why := UnpinnedImage(ref); why != "" {
				t.Errorf("%s/%s: image %q: %s", e.ID, v, ref, why)
				continue
			}
			_, tag := ImageTag(ref)
			for _, ver := range vs {
				if !TagCarries(tag, ver) {
					t.Errorf("%s/%s: image %q is not a build of version %s (engine version %q)", e.ID, v, ref, ver, e.Version)
				}
			}
			if !strings.Contains(e.Source, ref[strings.LastIndex(ref, "/")+1:]) {
				t.Errorf("%s/%s: the source does not say where the tag of %s was read", e.ID, v, ref)
			}
		}
	}
}

func TestParse_RefusesFloatingEngineImagesAndVersions(t *testing.T) {
	base := "engines:\n  - {id: e, kind: llm, version: %s, vendors: [nvidia], images: {nvidia: '%s'}, metrics: {e2e_histogram: h}, source: s, as_of: x}\n"
	cases := map[string][2]string{
		"latest":      {"v0.11.1", "vllm/vllm-openai:latest"},
		"untagged":    {"v0.11.1", "vllm/vllm-openai"},
		"latest-rocm": {"v0.11.1", "ghcr.io/huggingface/text-generation-inference:latest-rocm"},
		"wildcard":    {"3.3.x", "ghcr.io/huggingface/text-generation-inference:3.3.5"},
		"no number":   {"tpu-inference", "vllm/vllm-tpu:v0.11.1"},
	}
	for name, c := range cases {
		in := fmt.Sprintf(base, c[0], c[1])
		_, err := Parse([]byte(in), "t.yaml")
		if err == nil {
			t.Errorf("%s: no error for %s", name, in)
			continue
		}
		if !strings.Contains(err.Error(), `engine "e"`) {
			t.Errorf("%s: error %v does not name the engine", name, err)
		}
	}
	ok := "engines:\n  - {id: e, kind: llm, version: v0.11.1, vendors: [nvidia], images: {nvidia: 'vllm/vllm-openai:v0.11.1'}, metrics: {e2e_histogram: h}, source: s, as_of: x}\n"
	if _, err := Parse([]byte(ok), "t.yaml"); err != nil {
		t.Errorf("pinned engine refused: %v", err)
	}
}

// TestEngine_ImagePerArchitecture: a vendor/accelerator key is that
// accelerator's build; an accelerator of the vendor with no build listed
// gets none rather than another architecture's.
func TestEngine_ImagePerArchitecture(t *testing.T) {
	c := MustDefault()
	sg, err := c.Engine("sglang")
	if err != nil {
		t.Fatal(err)
	}
	acc := func(id string) *Accelerator {
		a, err := c.Accelerator(id)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	if got := sg.Image(acc("mi300x")); got != sg.Images["amd/mi300x"] || got == "" {
		t.Errorf("sglang on mi300x: %q, want the amd/mi300x build", got)
	}
	if got := sg.Image(acc("mi355x")); got != "" {
		t.Errorf("sglang on mi355x: %q, want none (no gfx950 build listed)", got)
	}
	if got := sg.Image(acc("h100-sxm")); got != sg.Images["nvidia"] {
		t.Errorf("sglang on h100-sxm: %q, want the nvidia image", got)
	}
	e := &Engine{ID: "e", Kind: "llm", Version: "1.0.0", Vendors: []string{"amd"}, Images: map[string]string{"amd/mi300x": "x/y:1.0.0", "nvidia/h100-sxm": "x/y:1.0.0"}, Metrics: EngineMetrics{E2EHistogram: "h"}}
	if errs := strings.Join(e.validate(), "\n"); !strings.Contains(errs, "nvidia/h100-sxm") || strings.Contains(errs, "images.amd") {
		t.Errorf("validate: %s; want only the key of a vendor the engine does not run on refused", errs)
	}
	e.Images = map[string]string{"amd/MI300X": "x/y:1.0.0"}
	if errs := strings.Join(e.validate(), "\n"); !strings.Contains(errs, "lower case") {
		t.Errorf("validate: %s; want the upper-case key refused", errs)
	}
}
