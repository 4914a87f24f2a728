package compliance_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aiplan-dev/aiplan/blueprint"
	"github.com/aiplan-dev/aiplan/catalog"
	"github.com/aiplan-dev/aiplan/compliance"
	"github.com/aiplan-dev/aiplan/plan"
	"github.com/aiplan-dev/aiplan/spec"
)

var cat = catalog.MustDefault()

// testDate fixes the plan date so applicability does not depend on the clock.
const testDate = "2026-12-01"

func load(t *testing.T, src string) *spec.File {
	t.Helper()
	f, ds := spec.Load([]byte(src), "t.yaml", cat)
	if ds.HasErrors() {
		t.Fatal(ds.Err())
	}
	if f.Metadata.Date == "" {
		f.Metadata.Date = testDate
	}
	return f
}

func build(t *testing.T, src string) *plan.Plan {
	t.Helper()
	return plan.Build(load(t, src), cat)
}

func file(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func examples(t *testing.T) map[string]string {
	paths, _ := filepath.Glob("../examples/*.yaml")
	if len(paths) < 5 {
		t.Fatalf("only %d examples", len(paths))
	}
	out := map[string]string{}
	for _, p := range paths {
		out[filepath.Base(p)] = file(t, p)
	}
	return out
}

func row(t *testing.T, r *compliance.Report, id string) compliance.Row {
	t.Helper()
	for _, x := range r.Rows {
		if x.Control == id {
			return x
		}
	}
	t.Fatalf("control %s not in the matrix", id)
	return compliance.Row{}
}

func control(id string) *catalog.Control {
	for _, k := range cat.Controls {
		if k.ID == id {
			return k
		}
	}
	return nil
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// holders recomputes, independently of the assessor, the components a
// store- or holder-scoped control must be configured on.
func holders(bp *blueprint.Blueprint, k *catalog.Control) []blueprint.Component {
	class := map[string]string{"gdpr": blueprint.Personal, "hipaa": blueprint.PHI}[k.Regime]
	var out []blueprint.Component
	for _, c := range bp.Components {
		if c.Data == "" || (k.Scope == catalog.ScopeStores && c.Data != blueprint.Stores) {
			continue
		}
		if class != "" && !has(c.Holds, class) {
			continue
		}
		out = append(out, c)
	}
	return out
}

// TestExamples_ToolingPresentOnlyWhereEveryHolderProvidesIt is the
// matrix's main promise, checked on every example: no control is "tooling
// present" unless every component holding the data provides the capability
// and the export writes it; every process duty is "process required"; no
// status is ever "met".
func TestExamples_ToolingPresentOnlyWhereEveryHolderProvidesIt(t *testing.T) {
	for name, src := range examples(t) {
		p := build(t, src)
		cr := p.Compliance
		if cr.Disclaimer == "" || !strings.Contains(cr.Disclaimer, "not an audit") {
			t.Errorf("%s: no disclaimer", name)
		}
		total := cr.Counts.ToolingPresent + cr.Counts.ProcessRequired + cr.Counts.Gap + cr.Counts.NotApplicable
		if total != len(cr.Rows) || cr.Gaps != cr.Counts.Gap {
			t.Errorf("%s: counts %+v for %d rows", name, cr.Counts, len(cr.Rows))
		}
		for _, r := range cr.Rows {
			k := control(r.Control)
			if k == nil || r.Clause == "" {
				t.Fatalf("%s: row %+v without a cited control", name, r)
			}
			if !has(compliance.Statuses, r.Status) {
				t.Errorf("%s %s: status %q", name, r.Control, r.Status)
			}
			if k.Kind == catalog.Process && r.Status != compliance.ProcessRequired && r.Status != compliance.NotApplicable {
				t.Errorf("%s %s: process duty shown as %q", name, r.Control, r.Status)
			}
			if r.Status == compliance.NotApplicable && r.Reason == "" {
				t.Errorf("%s %s: not applicable without a reason", name, r.Control)
			}
			if r.Status != compliance.ToolingPresent {
				continue
			}
			if k.Kind != catalog.Technical {
				t.Errorf("%s %s: a process duty is tooling present", name, r.Control)
			}
			switch k.Scope {
			case catalog.ScopeStores, catalog.ScopeHolders:
				hs := holders(p.Blueprint, k)
				if len(hs) == 0 {
					t.Errorf("%s %s: tooling present with no component in scope", name, r.Control)
				}
				for _, c := range hs {
					for _, cap := range k.Requires {
						if !has(c.Provides, cap) || !has(c.Exported, cap) {
							t.Errorf("%s %s: tooling present but %s (%s) lacks %s (provides %v, exported %v)", name, r.Control, c.ID, c.Store, cap, c.Provides, c.Exported)
						}
					}
				}
			case catalog.ScopePlatform:
				for _, cap := range k.Requires {
					ok := false
					for _, c := range p.Blueprint.Components {
						ok = ok || has(c.Exported, cap)
					}
					if !ok {
						t.Errorf("%s %s: tooling present but no component exports %s", name, r.Control, cap)
					}
				}
			}
		}
	}
}

// TestExamples_ProviderDutiesNotApplicableForDeployer makes every model
// workload of every example a high-risk system whose organisation is only
// the deployer: provider-only duties must be not applicable, naming the role.
func TestExamples_ProviderDutiesNotApplicableForDeployer(t *testing.T) {
	for name, src := range examples(t) {
		f := load(t, src)
		f.Constraints.Compliance = append(f.Constraints.Compliance, "eu-ai-act:high-risk")
		for i := range f.Workloads {
			f.Workloads[i].Role = "deployer"
			f.Workloads[i].RiskClass = "high"
		}
		p := plan.Build(f, cat)
		n := 0
		for _, r := range p.Compliance.Rows {
			k := control(r.Control)
			switch {
			case len(k.Roles) == 1 && k.Roles[0] == "provider":
				n++
				if r.Status != compliance.NotApplicable || (len(k.WorkloadTypes) == 0 && !strings.Contains(r.Reason, "the organisation is the deployer")) {
					t.Errorf("%s %s: %s (%s), want not applicable for a deployer", name, r.Control, r.Status, r.Reason)
				}
			case len(k.Roles) == 1 && k.Roles[0] == "deployer" && len(k.WorkloadTypes) == 0:
				if r.Status != compliance.ProcessRequired {
					t.Errorf("%s %s: deployer duty is %s", name, r.Control, r.Status)
				}
				if !r.Upcoming || r.AppliesFrom != "2027-12-02" {
					t.Errorf("%s %s: high-risk duty dated %s upcoming=%v, want from 2027-12-02 and upcoming on %s", name, r.Control, r.AppliesFrom, r.Upcoming, testDate)
				}
			}
		}
		if n < 10 {
			t.Errorf("%s: only %d provider-only duties checked", name, n)
		}
	}
}

func TestDates_UpcomingBeforeApplicationDateOnly(t *testing.T) {
	src := file(t, "../examples/hipaa-clinical.yaml")
	before := build(t, strings.Replace(src, "  teamSize:", "  date: \"2027-06-01\"\n  teamSize:", 1))
	after := build(t, strings.Replace(src, "  teamSize:", "  date: \"2028-01-10\"\n  teamSize:", 1))
	if r := row(t, before.Compliance, "aia-risk-management"); !r.Upcoming || r.Status != compliance.ProcessRequired {
		t.Errorf("before 2 Dec 2027: %+v", r)
	}
	if r := row(t, after.Compliance, "aia-risk-management"); r.Upcoming {
		t.Errorf("after 2 Dec 2027 still upcoming: %+v", r)
	}
	if r := row(t, before.Compliance, "aia-literacy"); r.Upcoming {
		t.Errorf("Art. 4 applies since Feb 2025: %+v", r)
	}
}

func TestArt50_AppliesAcrossRiskClasses(t *testing.T) {
	for _, risk := range []string{"minimal", "limited", "high"} {
		src := strings.Replace(file(t, "../examples/hipaa-clinical.yaml"), "riskClass: high", "riskClass: "+risk, 1)
		src = strings.Replace(src, "eu-ai-act:high-risk", "eu-ai-act:"+map[string]string{"minimal": "minimal", "limited": "limited-risk", "high": "high-risk"}[risk], 1)
		p := build(t, src)
		if r := row(t, p.Compliance, "aia-disclosure"); r.Status == compliance.NotApplicable {
			t.Errorf("risk %s: Art. 50(1) not applicable: %s", risk, r.Reason)
		}
		if r := row(t, p.Compliance, "aia-risk-management"); (risk == "high") != (r.Status != compliance.NotApplicable) {
			t.Errorf("risk %s: Art. 9 is %s (%s)", risk, r.Status, r.Reason)
		}
	}
}

func TestGDPR_AppliesWithoutEUResidency(t *testing.T) {
	src := file(t, "../examples/eu-enterprise.yaml")
	src = strings.Replace(src, "  residency: eu\n", "", 1)
	src = strings.Replace(src, "clouds: [aws, gcp, nebius]", "clouds: [aws]", 1)
	p := build(t, src)
	if !has(p.Compliance.RegimeIDs(), "gdpr") {
		t.Fatalf("regimes %v", p.Compliance.RegimeIDs())
	}
	if r := row(t, p.Compliance, "gdpr-encryption-at-rest"); r.Status == compliance.NotApplicable {
		t.Errorf("GDPR security without EU residency: %+v", r)
	}
	if r := row(t, p.Compliance, "gdpr-transfers"); r.Status != compliance.Gap {
		t.Errorf("transfers outside EU residency: %+v", r)
	}
	// Personal data without gdpr listed: a warning whatever the residency.
	noGDPR := strings.Replace(src, "compliance: [gdpr, ", "compliance: [", 1)
	p = build(t, noGDPR)
	if !strings.Contains(strings.Join(p.Compliance.Warnings, " "), "GDPR applies") {
		t.Errorf("no GDPR warning: %v", p.Compliance.Warnings)
	}
}

func TestGPAI_FineTuneBelowThresholdNotProvider(t *testing.T) {
	p := build(t, file(t, "../examples/eu-enterprise.yaml"))
	var adapt *compliance.System
	for i := range p.Compliance.Systems {
		if p.Compliance.Systems[i].Workload == "adapt" {
			adapt = &p.Compliance.Systems[i]
		}
	}
	if adapt == nil || adapt.GPAIProvider || !strings.Contains(adapt.GPAIReason, "third") {
		t.Fatalf("adapt: %+v", adapt)
	}
	if r := row(t, p.Compliance, "aia-gpai-documentation"); r.Status != compliance.NotApplicable || !strings.Contains(r.Reason, "adapt") {
		t.Errorf("GPAI duties for a small LoRA: %+v", r)
	}
	declared := strings.Replace(file(t, "../examples/eu-enterprise.yaml"), "    method: lora\n", "    method: lora\n    gpaiProvider: true\n", 1)
	p = build(t, declared)
	if r := row(t, p.Compliance, "aia-gpai-documentation"); r.Status != compliance.ProcessRequired || !has(r.Systems, "adapt") {
		t.Errorf("declared GPAI provider: %+v", r)
	}
}

func TestFalseCapabilitiesRemoved(t *testing.T) {
	for name, src := range examples(t) {
		p := build(t, src)
		for _, c := range p.Blueprint.Components {
			bad := map[string][]string{"netpol": {"encryption-in-transit"}, "orchestrator": {"change-control", "change-management"}, "lineage": {"data-quality", "data-catalog"}, "feature-store": {"data-catalog"}}
			for _, cap := range bad[c.ID] {
				if has(c.Provides, cap) {
					t.Errorf("%s: %s claims %s", name, c.ID, cap)
				}
			}
			for _, e := range c.Exported {
				if !has(c.Provides, e) {
					t.Errorf("%s: %s exports %s it does not provide", name, c.ID, e)
				}
			}
		}
	}
}

func TestHumanOversight_StringIsNotEvidence(t *testing.T) {
	src := file(t, "../examples/hipaa-clinical.yaml")
	with := strings.Replace(src, "  compliance: [", "  humanOversight: clinicians sign every note | <b>\n  compliance: [", 1)
	p := build(t, with)
	r := row(t, p.Compliance, "aia-human-oversight")
	if r.Status != compliance.ProcessRequired || !strings.Contains(r.Note, "clinicians sign") {
		t.Errorf("oversight: %+v", r)
	}
}

func TestHIPAA_BAAIsAProcessAndEligibilityChecked(t *testing.T) {
	p := build(t, file(t, "../examples/hipaa-clinical.yaml"))
	for _, w := range p.Workloads {
		if c := w.Choice; c != nil && c.Cloud != "" && !cat.HIPAAEligible(c.Cloud) {
			t.Errorf("%s runs on %s", w.Workload, c.Cloud)
		}
	}
	if r := row(t, p.Compliance, "hipaa-baa"); r.Status != compliance.ProcessRequired || !strings.Contains(r.Evidence, "executed BAA") {
		t.Errorf("BAA: %+v", r)
	}
	for _, c := range p.Blueprint.Components {
		if strings.Contains(strings.ToLower(c.Name), "business associate agreement") {
			t.Errorf("a contract listed as a component: %s", c.Name)
		}
	}
	if !strings.Contains(strings.Join(p.Compliance.Imposed, " "), "HIPAA") {
		t.Errorf("imposed constraints: %v", p.Compliance.Imposed)
	}
}

func TestRegimes_CarrySources(t *testing.T) {
	want := map[string]string{"gdpr": "2016/679", "eu-ai-act": "2024/1689", "hipaa": "45 CFR", "soc2": "2017", "iso42001": "42001:2023", "nist-ai-rmf": "AI 600-1"}
	for id, s := range want {
		g, ok := cat.Regime(id)
		if !ok || !strings.Contains(g.Edition+" "+g.Reference, s) || !strings.HasPrefix(g.URL, "https://") || g.AsOf == "" {
			t.Errorf("regime %s: %+v", id, g)
		}
	}
	if g, _ := cat.Regime("eu-ai-act"); !strings.Contains(g.Reference, "12.7.2024") {
		t.Errorf("AI Act OJ reference: %s", g.Reference)
	}
	if k := control("iso42001-monitoring"); k == nil || !strings.Contains(k.Clause, "A.6.2.6") {
		t.Errorf("ISO 42001 model monitoring: %+v", k)
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

// TestREADME_SourcesTableIsCurrent keeps the README's regime table equal to
// the data.
func TestREADME_SourcesTableIsCurrent(t *testing.T) {
	want := compliance.SourcesTable(cat)
	if !strings.Contains(file(t, "../README.md"), want) {
		t.Errorf("README.md lacks the current regime table; replace it with:\n%s", want)
	}
}

// TestTechnical_EveryHolderMustProvideAndExport exercises the rule on a
// blueprint built by hand: one store that lacks the export, or the
// capability, turns "tooling present" into a gap naming it; a component
// that only moves the data does not count for encryption at rest.
func TestTechnical_EveryHolderMustProvideAndExport(t *testing.T) {
	f := &spec.File{Metadata: spec.Metadata{Name: "t", Date: testDate}, Constraints: spec.Constraints{Compliance: []string{"hipaa"}},
		Workloads: []spec.Workload{{Name: "notes", Type: spec.DataPipeline, PHI: true}}}
	store := func(id string, provides, exported []string) blueprint.Component {
		return blueprint.Component{ID: id, Data: blueprint.Stores, Store: id, Holds: []string{blueprint.Personal, blueprint.PHI}, Provides: provides, Exported: exported}
	}
	enc := []string{"encryption-at-rest"}
	cases := []struct {
		name   string
		comps  []blueprint.Component
		status string
		detail string
	}{
		{"all exported", []blueprint.Component{store("lake", enc, enc), store("logs", enc, enc), {ID: "gateway", Data: blueprint.Moves, Holds: []string{blueprint.PHI}}}, compliance.ToolingPresent, ""},
		{"one designed only", []blueprint.Component{store("lake", enc, enc), store("backups", enc, nil)}, compliance.Gap, "backups: encryption-at-rest"},
		{"one missing", []blueprint.Component{store("lake", enc, enc), store("cache", nil, nil)}, compliance.Gap, "cache: encryption-at-rest"},
		{"store without PHI", []blueprint.Component{store("lake", enc, enc), {ID: "index", Data: blueprint.Stores, Holds: nil}}, compliance.ToolingPresent, ""},
	}
	for _, c := range cases {
		r := row(t, compliance.Assess(cat, f, &blueprint.Blueprint{Components: c.comps}), "hipaa-encryption")
		if r.Status != c.status {
			t.Errorf("%s: %s, want %s (%+v)", c.name, r.Status, c.status, r)
		}
		if c.detail != "" && !has(append(r.Missing, r.NotExported...), c.detail) {
			t.Errorf("%s: detail %v %v lacks %q", c.name, r.Missing, r.NotExported, c.detail)
		}
	}
	// No component holds PHI: not applicable, with the reason.
	r := row(t, compliance.Assess(cat, f, &blueprint.Blueprint{}), "hipaa-encryption")
	if r.Status != compliance.NotApplicable || !strings.Contains(r.Reason, "PHI") {
		t.Errorf("no PHI store: %+v", r)
	}
}

// TestMinimalRisk_TurnsOnLiteracyScreeningAndArt50: minimal risk is not
// "nothing": Art. 4, the Art. 5 screening and Art. 50 apply; Art. 95 codes
// are voluntary, shown as not applicable with that reason.
func TestMinimalRisk_TurnsOnLiteracyScreeningAndArt50(t *testing.T) {
	src := strings.Replace(file(t, "../examples/hipaa-clinical.yaml"), "riskClass: high", "riskClass: minimal", 1)
	src = strings.Replace(src, "eu-ai-act:high-risk", "eu-ai-act:minimal", 1)
	p := build(t, src)
	for _, id := range []string{"aia-literacy", "aia-prohibited-screening", "aia-deployer-disclosure"} {
		if r := row(t, p.Compliance, id); r.Status != compliance.ProcessRequired {
			t.Errorf("%s: %+v", id, r)
		}
	}
	if r := row(t, p.Compliance, "aia-disclosure"); r.Status == compliance.NotApplicable {
		t.Errorf("Art. 50(1) for a minimal-risk chat system: %+v", r)
	}
	if r := row(t, p.Compliance, "aia-codes-of-conduct"); r.Status != compliance.NotApplicable || !strings.Contains(r.Reason, "voluntary") {
		t.Errorf("Art. 95: %+v", r)
	}
	// eu-ai-act:gpai declares the organisation a GPAI model provider.
	p = build(t, strings.Replace(src, "eu-ai-act:minimal", "eu-ai-act:minimal, eu-ai-act:gpai", 1))
	if r := row(t, p.Compliance, "aia-gpai-copyright"); r.Status != compliance.ProcessRequired {
		t.Errorf("declared GPAI provider: %+v", r)
	}
}
