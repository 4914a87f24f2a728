package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const fixtures = "../../catalog/pricefile/testdata/"

func TestCatalogCheck_EmbeddedHasNoErrors(t *testing.T) {
	code, out, errs := runCLI("catalog", "check")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "0 errors") {
		t.Errorf("summary missing: %s", out)
	}
	code, out, _ = runCLI("catalog", "check", "-o", "json")
	var fs []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &fs) != nil || len(fs) == 0 {
		t.Fatalf("json output: %d %s", code, out)
	}
	for _, f := range fs {
		if f["severity"] == "error" {
			t.Errorf("error finding: %v", f)
		}
	}
}

func TestCatalogCheck_BadOverlayExits1(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bad.yaml")
	body := "instances:\n  - {id: x/y/z, cloud: x, instance_type: y, region: z, accelerator: h100-sxm, accelerator_count: 1, price_on_demand_usd_hr: 5, price_spot_usd_hr: 6, network: {type: efa, gbps: 100, source: s, as_of: '2026-01-01'}, source: s, as_of: '2026-01-01'}\n"
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runCLI("catalog", "check", "--catalog", p)
	if code != 1 || !strings.Contains(out, "spot-price") || !strings.Contains(out, "x/y/z") {
		t.Errorf("exit %d, out %s", code, out)
	}
}

func TestCatalogImport_DiffAndAssumption(t *testing.T) {
	ov := filepath.Join(t.TempDir(), "prices.yaml")
	code, out, errs := runCLI("catalog", "import", "--format", "skypilot", "--cloud", "aws", "--overlay", ov, fixtures+"skypilot-aws-vms.csv")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "+ instance aws/p4d.24xlarge/us-west-2") || !strings.Contains(out, "sha256") {
		t.Errorf("import output: %s", out)
	}
	code, out, errs = runCLI("catalog", "diff", ov, "-o", "json")
	if code != 0 {
		t.Fatalf("diff exit %d: %s", code, errs)
	}
	var changes []map[string]string
	if err := json.Unmarshal([]byte(out), &changes); err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, c := range changes {
		ids[c["id"]] = true
	}
	for _, id := range []string{"aws/p4d.24xlarge/us-east-1", "aws/p4d.24xlarge/us-west-2", "aws/p5.4xlarge/eu-west-2"} {
		if !ids[id] {
			t.Errorf("diff misses %s", id)
		}
	}
	if len(ids) != 5 {
		t.Errorf("diff changes %d entries, want the 5 the file prices: %v", len(ids), ids)
	}
	// A second import extends the same overlay and keeps the first.
	code, _, errs = runCLI("catalog", "import", "--format", "azure-retail", "--overlay", ov, fixtures+"azure-retail-page.json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	b, _ := os.ReadFile(ov)
	if !strings.Contains(string(b), "aws/p4d.24xlarge/us-west-2") || strings.Count(string(b), "- format:") != 2 {
		t.Errorf("second import lost the first:\n%s", b)
	}
}

func TestCatalogImport_TruncatedFileExits2AndKeepsOverlay(t *testing.T) {
	dir := t.TempDir()
	ov := filepath.Join(dir, "prices.yaml")
	if code, _, errs := runCLI("catalog", "import", "--format", "skypilot", "--cloud", "aws", "--overlay", ov, fixtures+"skypilot-aws-vms.csv"); code != 0 {
		t.Fatalf("first import: %s", errs)
	}
	before, _ := os.ReadFile(ov)
	csv, _ := os.ReadFile(fixtures + "skypilot-aws-vms.csv")
	trunc := filepath.Join(dir, "vms.csv")
	if err := os.WriteFile(trunc, csv[:len(csv)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs := runCLI("catalog", "import", "--format", "skypilot", "--cloud", "aws", "--overlay", ov, trunc)
	if code != 2 || !strings.Contains(errs, trunc+":") || !strings.Contains(errs, "truncated") {
		t.Errorf("exit %d, stderr %q: want 2 naming the file position", code, errs)
	}
	after, _ := os.ReadFile(ov)
	if string(before) != string(after) {
		t.Error("a failed import changed the overlay")
	}
	json, _ := os.ReadFile(fixtures + "aws-ec2-pricelist-excerpt.json")
	tj := filepath.Join(dir, "ec2.json")
	if err := os.WriteFile(tj, json[:1000], 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runCLI("catalog", "import", "--format", "aws-pricelist", "--overlay", ov, tj); code != 2 || !strings.Contains(errs, tj+":") {
		t.Errorf("truncated price list: exit %d, %q", code, errs)
	}
	if code, _, _ := runCLI("catalog", "import", "--format", "csv", "--overlay", ov, tj); code != 2 {
		t.Errorf("unknown format: exit %d", code)
	}
}

func TestPlan_OnImportedCatalog_NamesTheImport(t *testing.T) {
	ov := filepath.Join(t.TempDir(), "prices.yaml")
	if code, _, errs := runCLI("catalog", "import", "--format", "skypilot", "--cloud", "aws", "--overlay", ov, fixtures+"skypilot-aws-vms.csv"); code != 0 {
		t.Fatalf("import: %s", errs)
	}
	code, out, errs := runCLI("plan", "../../examples/eu-enterprise.yaml", "--catalog", ov, "-o", "json")
	if code != 0 && code != 3 {
		t.Fatalf("plan exit %d: %s", code, errs)
	}
	var p struct {
		Assumptions []string `json:"assumptions"`
	}
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, a := range p.Assumptions {
		found = found || (strings.Contains(a, "skypilot-aws-vms.csv") && strings.Contains(a, "sha256"))
	}
	if !found {
		t.Errorf("plan assumptions do not name the import: %v", p.Assumptions)
	}
}

func TestCatalogListAndShowEngines(t *testing.T) {
	code, out, errs := runCLI("catalog", "list", "engines")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"vllm:num_requests_waiting", "sglang:num_queue_reqs", "tgi_queue_size", "vllm-tpu", "nv_inference_pending_request_count"} {
		if !strings.Contains(out, want) {
			t.Errorf("list engines lacks %q:\n%s", want, out)
		}
	}
	code, out, errs = runCLI("catalog", "show", "trtllm")
	if code != 0 || !strings.Contains(out, "/prometheus/metrics") {
		t.Fatalf("show trtllm: exit %d: %s %s", code, out, errs)
	}
}

func TestCatalogImport_PrintsChecksOnImportedEntries(t *testing.T) {
	ov := filepath.Join(t.TempDir(), "prices.yaml")
	code, out, errs := runCLI("catalog", "import", "--format", "skypilot", "--cloud", "gcp", "--overlay", ov, fixtures+"skypilot-gcp-vms.csv")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"check: warning import", "gcp/a2-highgpu-8g/europe-west4", "check: warning spot-price", "gcp/a2-ultragpu-8g/us-central1"} {
		if !strings.Contains(out, want) {
			t.Errorf("import output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "check: warning network              instance gcp/a2-highgpu-8g/us-central1") {
		t.Errorf("check lines name entries with no finding:\n%s", out)
	}
}
