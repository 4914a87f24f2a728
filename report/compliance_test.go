package report

import (
	"os"
	"strings"
	"testing"

	"github.com/aiplan-dev/aiplan/catalog"
	"github.com/aiplan-dev/aiplan/plan"
	"github.com/aiplan-dev/aiplan/spec"
)

// TestCompliance_SaysItIsNotAnAuditAndNeverMet renders the matrix in every
// format: the disclaimer, the counts by status and the regimes' sources are
// there; "met" and "partially" are not; a hostile oversight note is escaped.
func TestCompliance_SaysItIsNotAnAuditAndNeverMet(t *testing.T) {
	c := catalog.MustDefault()
	b, err := os.ReadFile("../examples/hipaa-clinical.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f, ds := spec.Load(b, "hipaa-clinical.yaml", c)
	if ds.HasErrors() {
		t.Fatal(ds.Err())
	}
	f.Metadata.Date = "2026-12-01" // before the high-risk duties apply
	p := plan.Build(f, c)
	p.Compliance.Rows[0].Note = "<script>alert(1)</script> | x\n# heading"
	for _, f := range []string{"md", "html", "table"} {
		b, err := Render(p, f)
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		for _, want := range []string{"not an audit", "tooling present", "process required"} {
			if !strings.Contains(s, want) {
				t.Errorf("%s: lacks %q", f, want)
			}
		}
		if f == "table" {
			continue
		}
		for _, want := range []string{"45 CFR Parts 160 and 164", "2024/1689", "applies from 2027-12-02", "evidence"} {
			if !strings.Contains(s, want) {
				t.Errorf("%s: lacks %q", f, want)
			}
		}
		for _, bad := range []string{"<b>met</b>", "**met**", ">met<", "partially", "<script>"} {
			if strings.Contains(s, bad) {
				t.Errorf("%s: contains %q", f, bad)
			}
		}
	}
}
