package report

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/aiplan-dev/aiplan/catalog"
	"github.com/aiplan-dev/aiplan/plan"
	"github.com/aiplan-dev/aiplan/spec"
)

func examplePlan(t *testing.T, name string) *plan.Plan {
	c := catalog.MustDefault()
	b, err := os.ReadFile("../examples/" + name)
	if err != nil {
		t.Fatal(err)
	}
	f, ds := spec.Load(b, name, c)
	if ds.HasErrors() {
		t.Fatal(ds.Err())
	}
	return plan.Build(f, c)
}

func TestHTML_SelfContainedWithCharts(t *testing.T) {
	b, err := Render(examplePlan(t, "eu-enterprise.yaml"), "html")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if n := strings.Count(s, "<svg"); n < 3 {
		t.Errorf("%d charts", n)
	}
	if regexp.MustCompile(`(src|href)="https?://`).MatchString(s) || strings.Contains(s, "<script src") || strings.Contains(s, "@import") {
		t.Error("HTML loads something from the network")
	}
	for _, want := range []string{"assistant", "Replicas per hour", "Cost vs latency", "class=\"choice\""} {
		if !strings.Contains(s, want) {
			t.Errorf("missing %q", want)
		}
	}
}

func TestRenderers_DeterministicAndComplete(t *testing.T) {
	p := examplePlan(t, "hybrid-onprem.yaml")
	for _, f := range Formats {
		a, err := Render(p, f)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := Render(p, f)
		if !bytes.Equal(a, b) {
			t.Errorf("%s not deterministic", f)
		}
		for _, w := range p.Workloads {
			if !bytes.Contains(a, []byte(w.Workload)) {
				t.Errorf("%s misses workload %s", f, w.Workload)
			}
		}
	}
	var back map[string]any
	j, _ := Render(p, "json")
	if err := json.Unmarshal(j, &back); err != nil || back["format_version"] != plan.FormatVersion {
		t.Errorf("json: %v %v", err, back["format_version"])
	}
	if _, err := Render(p, "pdf"); err == nil {
		t.Error("unknown format accepted")
	}
}

func TestExplain_ListsAlternativesAndReasons(t *testing.T) {
	p := examplePlan(t, "eu-enterprise.yaml")
	var b bytes.Buffer
	if err := Explain(&b, p, "assistant"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Chosen:", "Alternatives", "Rejected", "more"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("explain lacks %q:\n%s", want, b.String())
		}
	}
	if err := Explain(&b, p, "nope"); err == nil || !strings.Contains(err.Error(), "assistant") {
		t.Errorf("unknown workload: %v", err)
	}
}
