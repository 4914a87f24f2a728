package spec

import (
	"time"
)

// Governance fields of the workload file: the EU AI Act risk class and the
// organisation's role per workload, and the plan's assessment date. Kept
// apart from the other validation because the compliance package reads
// them.

// Roles under the EU AI Act.
var Roles = []string{"provider", "deployer", "both"}

// RiskClasses under the EU AI Act; prohibited is refused.
var RiskClasses = []string{"minimal", "limited", "high", "prohibited"}

// DateLayout of metadata.date.
const DateLayout = "2006-01-02"

func (v *validator) planDate(m *Metadata) {
	if m.Date == "" {
		return
	}
	if _, err := time.Parse(DateLayout, m.Date); err != nil {
		v.err("metadata.date", "not a date", quote(m.Date), "YYYY-MM-DD, e.g. 2027-01-15")
	}
}

func (v *validator) governance(w *Workload, path string) {
	switch {
	case w.RiskClass == "prohibited":
		v.err(path+".riskClass", "prohibited AI practice: EU AI Act Art. 5 forbids placing on the market, putting into service or using it (applies since 2 February 2025); aiplan does not plan it", quote(w.RiskClass), "minimal, limited, high (or remove the workload)")
	case w.RiskClass != "" && !oneOf(w.RiskClass, RiskClasses):
		v.err(path+".riskClass", "unknown EU AI Act risk class", quote(w.RiskClass), "minimal, limited, high (prohibited is refused: Art. 5)")
	}
	if w.Role != "" && !oneOf(w.Role, Roles) {
		v.err(path+".role", "unknown EU AI Act role", quote(w.Role), "provider, deployer, both")
	}
	if w.GPAIProvider != nil && w.Type != Training && w.Type != FineTuning {
		v.err(path+".gpaiProvider", "only training and fine-tuning can make the organisation a provider of a general-purpose AI model", *w.GPAIProvider, "remove it, or use it on a training or fine-tuning workload")
	}
}
