package compliance_test

import (
	"os"
	"strings"
	"testing"

	"github.com/aiplan-dev/aiplan/catalog"
	"github.com/aiplan-dev/aiplan/compliance"
	"github.com/aiplan-dev/aiplan/plan"
	"github.com/aiplan-dev/aiplan/spec"
)

var cat = catalog.MustDefault()

func build(t *testing.T, src string) *plan.Plan {
	t.Helper()
	f, ds := spec.Load([]byte(src), "t.yaml", cat)
	if ds.HasErrors() {
		t.Fatal(ds.Err())
	}
	return plan.Build(f, cat)
}

func file(t *testing.T, path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func row(t *testing.T, r *compliance.Report, id string) compliance.Row {
	for _, x := range r.Rows {
		if x.Control == id {
			return x
		}
	}
	t.Fatalf("control %s not in the matrix", id)
	return compliance.Row{}
}

func TestHIPAA_EligibleServicesEncryptionAndAuditMet(t *testing.T) {
	p := build(t, file(t, "../examples/hipaa-clinical.yaml"))
	for _, w := range p.Workloads {
		if c := w.Choice; c != nil && c.Cloud != "" && !cat.HIPAAEligible(c.Cloud) {
			t.Errorf("%s runs on %s", w.Workload, c.Cloud)
		}
	}
	for _, id := range []string{"hipaa-baa", "hipaa-encryption", "hipaa-audit", "hipaa-access"} {
		if r := row(t, p.Compliance, id); r.Status != compliance.Met {
			t.Errorf("%s: %s (missing %v)", id, r.Status, r.Missing)
		}
	}
	if len(p.Compliance.Imposed) == 0 || !strings.Contains(strings.Join(p.Compliance.Imposed, " "), "HIPAA") {
		t.Errorf("imposed constraints: %v", p.Compliance.Imposed)
	}
}

func TestEUAIActHighRisk_LoggingAndOversight(t *testing.T) {
	src := file(t, "../examples/hipaa-clinical.yaml")
	p := build(t, src)
	if r := row(t, p.Compliance, "aia-logging"); r.Status != compliance.Met || !strings.Contains(r.Clause, "Art. 12") {
		t.Errorf("logging: %+v", r)
	}
	if r := row(t, p.Compliance, "aia-human-oversight"); r.Status != compliance.Gap {
		t.Errorf("no oversight process given, want gap: %+v", r)
	}
	withOversight := strings.Replace(src, "  compliance: [", "  humanOversight: clinicians review and sign every generated note before it enters the record\n  compliance: [", 1)
	p = build(t, withOversight)
	if r := row(t, p.Compliance, "aia-human-oversight"); r.Status != compliance.Met {
		t.Errorf("oversight declared, want met: %+v", r)
	}
}

func TestGDPR_EUResidencyMetAndEveryControlCited(t *testing.T) {
	p := build(t, file(t, "../examples/eu-enterprise.yaml"))
	if r := row(t, p.Compliance, "gdpr-transfers"); r.Status != compliance.Met {
		t.Errorf("transfers: %+v", r)
	}
	for _, r := range p.Compliance.Rows {
		if r.Clause == "" || (r.Status != compliance.Met && r.Status != compliance.Partially && r.Status != compliance.Gap) {
			t.Errorf("bad row %+v", r)
		}
	}
	if len(cat.Controls) < 30 {
		t.Errorf("only %d controls", len(cat.Controls))
	}
}

func TestBlueprint_StreamingIngestBringsStreamingComponent(t *testing.T) {
	p := build(t, file(t, "../examples/eu-enterprise.yaml"))
	found := false
	for _, c := range p.Blueprint.Components {
		if c.ID == "streaming" && c.Layer == "ingestion" {
			found = true
		}
	}
	if !found {
		t.Error("streaming pipeline without a streaming component")
	}
	batch := strings.Replace(file(t, "../examples/eu-enterprise.yaml"), "streaming: true", "streaming: false", 1)
	p = build(t, batch)
	for _, c := range p.Blueprint.Components {
		if c.ID == "streaming" {
			t.Error("batch-only pipeline got a streaming broker")
		}
	}
}

func TestBlueprint_EveryComponentHasAReason(t *testing.T) {
	for _, f := range []string{"eu-enterprise.yaml", "fraud-scoring.yaml", "hybrid-onprem.yaml", "startup-rag-chatbot.yaml"} {
		p := build(t, file(t, "../examples/"+f))
		if len(p.Blueprint.Components) < 8 {
			t.Errorf("%s: %d components", f, len(p.Blueprint.Components))
		}
		for _, c := range p.Blueprint.Components {
			if c.Reason == "" || c.Layer == "" || len(c.Provides) == 0 {
				t.Errorf("%s: component %s lacks reason/layer/capabilities", f, c.ID)
			}
		}
		if len(p.Blueprint.Roadmap) < 3 || !strings.HasPrefix(p.Blueprint.Roadmap[0].Name, "1. Foundation") {
			t.Errorf("%s: roadmap %v", f, p.Blueprint.Roadmap)
		}
	}
}
