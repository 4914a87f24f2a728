package catalog

import (
	"fmt"
	"strings"
	"time"
)

// Regime is a law, regulation or framework with its official reference.
type Regime struct {
	ID   string `yaml:"id" json:"id"`
	Name string `yaml:"name" json:"name"`
	// Edition names the version the controls were written against, e.g.
	// "Regulation (EU) 2024/1689" or "ISO/IEC 42001:2023".
	Edition string `yaml:"edition" json:"edition"`
	// Reference is the official publication: Official Journal number, CFR
	// parts and revision, standard or document number.
	Reference string `yaml:"reference" json:"reference"`
	URL       string `yaml:"url" json:"url"`
	// Binding is false for voluntary frameworks (NIST AI RMF) and for
	// attestation criteria an organisation chooses to be examined against.
	Binding bool   `yaml:"binding" json:"binding"`
	Note    string `yaml:"note" json:"note,omitempty"`
	Source  string `yaml:"source" json:"source"`
	AsOf    string `yaml:"as_of" json:"as_of"`
}

// Control kinds.
const (
	// Technical controls are configured in components; a tool can check them.
	Technical = "technical"
	// Process controls are duties the organisation carries out and keeps
	// evidence of; a plan can support them but never discharge them.
	Process = "process"
)

// Control scopes: which components a technical control must be configured on.
const (
	// ScopeStores: every component that stores the regime's regulated data.
	ScopeStores = "stores"
	// ScopeHolders: every component that stores or moves it.
	ScopeHolders = "holders"
	// ScopeSystems: every component that serves an AI system the control applies to.
	ScopeSystems = "systems"
	// ScopePlatform: one component of the platform suffices (monitoring, alerting).
	ScopePlatform = "platform"
)

// Conditions under which a control applies (Control.When).
var ControlConditions = []string{
	"personal-data",          // a workload declares personalData
	"phi",                    // a workload declares phi
	"training-personal-data", // a training or fine-tuning workload declares personal data
	"gpai-provider",          // the organisation provides a general-purpose AI model
	"generative",             // an LLM workload generates content
	"voluntary",              // not a duty: shown as not applicable with the reason
}

// Control is one duty of a regime, cited to its paragraph.
type Control struct {
	ID     string `yaml:"id" json:"id"`
	Regime string `yaml:"regime" json:"regime"`
	Title  string `yaml:"title" json:"title"`
	// Clause cites the article, section or clause and its paragraph.
	Clause string `yaml:"clause" json:"clause"`
	// Kind is technical or process.
	Kind string `yaml:"kind" json:"kind"`
	// Requires lists capabilities. For a technical control every component
	// in Scope must provide each of them; for a process control they are the
	// tooling that supports the process (never enough on its own).
	Requires []string `yaml:"requires" json:"requires,omitempty"`
	// Scope of a technical control: stores, holders, systems or platform.
	Scope string `yaml:"scope" json:"scope,omitempty"`
	// Evidence is what the organisation must do and keep (process controls).
	Evidence string `yaml:"evidence" json:"evidence,omitempty"`
	// Roles limits an EU AI Act duty to providers or deployers; empty: both.
	Roles []string `yaml:"roles" json:"roles,omitempty"`
	// RiskClasses limits an EU AI Act duty to risk classes; empty: any.
	RiskClasses []string `yaml:"risk_classes" json:"risk_classes,omitempty"`
	// WorkloadTypes limits a per-system duty to workload types; empty: any.
	WorkloadTypes []string `yaml:"workload_types" json:"workload_types,omitempty"`
	// When names a condition from ControlConditions; empty: always.
	When string `yaml:"when" json:"when,omitempty"`
	// AppliesFrom is the date the duty applies (YYYY-MM-DD); empty: in force.
	AppliesFrom string `yaml:"applies_from" json:"applies_from,omitempty"`
	Note        string `yaml:"note" json:"note,omitempty"`
	Source      string `yaml:"source" json:"source"`
	AsOf        string `yaml:"as_of" json:"as_of"`
}

// Regime returns the regime entry with the id.
func (c *Catalog) Regime(id string) (*Regime, bool) {
	for _, r := range c.Regimes {
		if r.ID == id {
			return r, true
		}
	}
	return nil, false
}

func (f *File) validateCompliance(bad func(kind, id, field string, v any, allowed string), prov func(kind, id, src, asOf string)) []string {
	var errs []string
	regimes := map[string]bool{}
	for _, r := range f.Regimes {
		if r == nil || r.ID == "" {
			errs = append(errs, "regimes: entry without id")
			continue
		}
		regimes[r.ID] = true
		for field, v := range map[string]string{"name": r.Name, "edition": r.Edition, "reference": r.Reference, "url": r.URL} {
			if strings.TrimSpace(v) == "" {
				bad("regime", r.ID, field, `""`, "every regime needs its name, edition, official reference and URL")
			}
		}
		if !strings.HasPrefix(r.URL, "https://") {
			bad("regime", r.ID, "url", r.URL, "an https URL of the official text")
		}
		prov("regime", r.ID, r.Source, r.AsOf)
	}
	for i, k := range f.Controls {
		if k == nil || k.ID == "" || k.Regime == "" || k.Clause == "" || k.Title == "" {
			errs = append(errs, fmt.Sprintf("controls[%d]: every control needs id, regime, title and clause", i))
			continue
		}
		if len(f.Regimes) > 0 && !regimes[k.Regime] {
			bad("control", k.ID, "regime", k.Regime, "a regime id from the regimes section")
		}
		switch k.Kind {
		case Technical:
			if len(k.Requires) == 0 {
				bad("control", k.ID, "requires", "[]", "a technical control names the capabilities that implement it")
			}
			if !oneOfStr(k.Scope, []string{ScopeStores, ScopeHolders, ScopeSystems, ScopePlatform}) {
				bad("control", k.ID, "scope", k.Scope, "stores, holders, systems or platform")
			}
		case Process:
			if strings.TrimSpace(k.Evidence) == "" {
				bad("control", k.ID, "evidence", `""`, "a process control says what the organisation must do and keep as evidence")
			}
		default:
			bad("control", k.ID, "kind", k.Kind, "technical or process")
		}
		for _, r := range k.Roles {
			if r != "provider" && r != "deployer" {
				bad("control", k.ID, "roles", r, "provider, deployer")
			}
		}
		for _, r := range k.RiskClasses {
			if !oneOfStr(r, []string{"minimal", "limited", "high"}) {
				bad("control", k.ID, "risk_classes", r, "minimal, limited, high")
			}
		}
		if k.When != "" && !oneOfStr(k.When, ControlConditions) {
			bad("control", k.ID, "when", k.When, strings.Join(ControlConditions, ", "))
		}
		if k.AppliesFrom != "" {
			if _, err := time.Parse("2006-01-02", k.AppliesFrom); err != nil {
				bad("control", k.ID, "applies_from", k.AppliesFrom, "a date YYYY-MM-DD")
			}
		}
		prov("control", k.ID, k.Source, k.AsOf)
	}
	return errs
}

func oneOfStr(s string, list []string) bool {
	for _, x := range list {
		if s == x {
			return true
		}
	}
	return false
}
