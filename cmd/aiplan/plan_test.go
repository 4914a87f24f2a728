package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPlan_ExampleTableAndFormats(t *testing.T) {
	code, out, errs := runCLI("plan", "../../examples/eu-enterprise.yaml")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"assistant", "adapt", "policy-index", "events", "Total:", "Budget:"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q", want)
		}
	}
	for _, f := range []string{"json", "md", "html"} {
		if code, out, errs := runCLI("plan", "../../examples/fraud-scoring.yaml", "-o", f); code != 0 || len(out) < 500 {
			t.Errorf("-o %s: exit %d, %d bytes, %s", f, code, len(out), errs)
		}
	}
	code, out, _ = runCLI("plan", "../../examples/eu-enterprise.yaml", "--explain", "assistant")
	if code != 0 || !strings.Contains(out, "Alternatives") {
		t.Errorf("explain: %d %s", code, out)
	}
}

func TestPlan_BadFiles_Exit2WithPositions(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("apiVersion: aiplan.dev/v1\nkind: Plan\nmetadata: {name: x}\nworkloads:\n  - name: a\n    type: llm-inference\n    model: llama-3.1-8b\n    trafic: {}\n"), 0o644)
	code, _, errs := runCLI("plan", bad)
	if code != 2 || !strings.Contains(errs, "bad.yaml:8:5") || !strings.Contains(errs, `unknown field "trafic"`) {
		t.Errorf("exit %d: %s", code, errs)
	}
	code, out, _ := runCLI("validate", bad, "-o", "json")
	var ds []map[string]any
	if code != 2 || json.Unmarshal([]byte(out), &ds) != nil || len(ds) < 2 {
		t.Fatalf("validate json: %d %s", code, out)
	}
	found := false
	for _, d := range ds {
		if d["line"] == float64(8) && d["path"] == "workloads[0].trafic" {
			found = true
		}
	}
	if !found {
		t.Errorf("no diagnostic at line 8 for trafic: %s", out)
	}
	for _, args := range [][]string{{"plan", filepath.Join(dir, "missing.yaml")}, {"plan", dir}, {"plan", "../../examples/eu-enterprise.yaml", "-o", "pdf"}, {"plan", "../../examples/eu-enterprise.yaml", "--explain", "nope"}} {
		if code, _, errs := runCLI(args...); code != 2 {
			t.Errorf("%v: exit %d (%s)", args, code, errs)
		}
	}
}

func TestPlan_OutNeverOverwritesInput(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "w.yaml")
	src, _ := os.ReadFile("../../examples/fraud-scoring.yaml")
	os.WriteFile(in, src, 0o644)
	if code, _, _ := runCLI("plan", in, "--out", in); code != 2 {
		t.Errorf("overwriting the input: exit %d", code)
	}
	if b, _ := os.ReadFile(in); string(b) != string(src) {
		t.Fatal("input file changed")
	}
	out := filepath.Join(dir, "r.html")
	if code, _, errs := runCLI("plan", in, "-o", "html", "--out", out); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if b, _ := os.ReadFile(out); !strings.HasPrefix(string(b), "<!DOCTYPE html>") {
		t.Error("no html written")
	}
}

func TestExport_WritesAllAndRefusesInputDir(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := runCLI("export", "../../examples/eu-enterprise.yaml", "--to", "all", "-d", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, f := range []string{"k8s/00-namespace.yaml", "prometheus/rules.yaml", "report.html", "report.md"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil || !strings.Contains(out, f) {
			t.Errorf("%s: %v", f, err)
		}
	}
	if tf, _ := filepath.Glob(filepath.Join(dir, "terraform", "*.tf")); len(tf) == 0 || !strings.Contains(out, "terraform/") {
		t.Errorf("no Terraform written: %v", tf)
	}
	if code, _, _ := runCLI("export", "../../examples/eu-enterprise.yaml", "-d", "../../examples"); code != 2 {
		t.Errorf("export into the input's directory: exit %d", code)
	}
	if code, _, _ := runCLI("export", "../../examples/eu-enterprise.yaml", "--to", "helm", "-d", dir); code != 2 {
		t.Errorf("unknown target: exit %d", code)
	}
}

func TestSchema_IsJSONWithModelOneOf(t *testing.T) {
	code, out, _ := runCLI("schema")
	var s map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &s) != nil {
		t.Fatalf("schema: %d", code)
	}
	if !strings.Contains(out, `"oneOf"`) || !strings.Contains(out, `"workloads"`) {
		t.Error("schema lacks model oneOf or workloads")
	}
}
