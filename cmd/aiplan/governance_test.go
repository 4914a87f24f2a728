package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPlan_ProhibitedPracticeExit2CitingArt5: a workload classified as a
// prohibited AI practice is refused before planning.
func TestPlan_ProhibitedPracticeExit2CitingArt5(t *testing.T) {
	b, err := os.ReadFile("../../examples/hipaa-clinical.yaml")
	if err != nil {
		t.Fatal(err)
	}
	src := strings.Replace(string(b), "riskClass: high", "riskClass: prohibited", 1)
	if src == string(b) {
		t.Fatal("example has no riskClass to change")
	}
	path := filepath.Join(t.TempDir(), "prohibited.yaml")
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCLI("plan", path)
	if code != 2 {
		t.Fatalf("exit %d, want 2: %s%s", code, out, errs)
	}
	if !strings.Contains(errs, "Art. 5") || !strings.Contains(errs, "riskClass") {
		t.Errorf("error does not cite Art. 5 and the field: %s", errs)
	}
}
