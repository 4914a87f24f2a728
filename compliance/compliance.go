// Package compliance maps the plan's regimes (GDPR, HIPAA, SOC 2, the EU
// AI Act by role and risk class, ISO/IEC 42001, NIST AI RMF) to controls,
// each citing its paragraph, and reports what a planning tool can know:
//
//   - "tooling present": a technical control that every component in its
//     scope provides (every store or hop of the regulated data, or the AI
//     systems it applies to) and that the exports really configure;
//   - "process required": a duty the organisation carries out and keeps
//     evidence of; tooling can support it, never discharge it;
//   - "gap": a technical control missing somewhere in scope, or designed
//     but not configured by the exports;
//   - "not applicable": with the reason (role, risk class, data, date).
//
// There is no "met": a plan is not an audit. Controls and regimes, with
// their official references, are data in catalog/data/compliance.yaml.
package compliance

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aiplan-dev/aiplan/blueprint"
	"github.com/aiplan-dev/aiplan/catalog"
	"github.com/aiplan-dev/aiplan/spec"
)

// Statuses of a control.
const (
	ToolingPresent  = "tooling present"
	ProcessRequired = "process required"
	Gap             = "gap"
	NotApplicable   = "not applicable"
)

// Statuses lists them in report order.
var Statuses = []string{ToolingPresent, ProcessRequired, Gap, NotApplicable}

// Disclaimer is printed with every matrix.
const Disclaimer = "A plan is not an audit. \"Tooling present\" means the planned components, as exported, configure the control everywhere it must be; it does not show that the control operates. \"Process required\" duties need the organisation's own evidence. This is not legal advice."

// GPAI thresholds (Commission Guidelines on the scope of obligations for
// providers of general-purpose AI models, 18 July 2025).
const (
	// GPAIComputeFLOP is the indicative training compute of a GPAI model
	// (above it, a model that generates language is presumed general-purpose).
	GPAIComputeFLOP = 1e23
	// ModifierFraction: a downstream modifier becomes the provider of the
	// modified model above this share of the original training compute.
	ModifierFraction = 1.0 / 3
)

// Row is one control's assessment.
type Row struct {
	Control string `json:"control"`
	Regime  string `json:"regime"`
	Title   string `json:"title"`
	Clause  string `json:"clause"`
	Kind    string `json:"kind"`
	Status  string `json:"status"`
	// AppliesFrom is the date the duty applies; Upcoming marks a duty that
	// applies after the plan's date.
	AppliesFrom string `json:"applies_from,omitempty"`
	Upcoming    bool   `json:"upcoming,omitempty"`
	// Systems are the AI-system workloads a per-system duty applies to.
	Systems []string `json:"systems,omitempty"`
	// By: components in scope that provide it (technical) or tooling that
	// supports the process.
	By []string `json:"by,omitempty"`
	// Missing: "component: capability" not provided where it must be.
	Missing []string `json:"missing,omitempty"`
	// NotExported: "component: capability" designed in the blueprint but not
	// written by the exports: the deployment must configure it.
	NotExported []string `json:"not_exported,omitempty"`
	Evidence    string   `json:"evidence,omitempty"`
	// Reason a control is not applicable.
	Reason string `json:"reason,omitempty"`
	Note   string `json:"note,omitempty"`
}

// Counts per status.
type Counts struct {
	ToolingPresent  int `json:"tooling_present"`
	ProcessRequired int `json:"process_required"`
	Gap             int `json:"gap"`
	NotApplicable   int `json:"not_applicable"`
	// Upcoming counts applicable rows whose duty starts after the plan's date.
	Upcoming int `json:"upcoming"`
}

func (c *Counts) add(r *Row) {
	switch r.Status {
	case ToolingPresent:
		c.ToolingPresent++
	case ProcessRequired:
		c.ProcessRequired++
	case Gap:
		c.Gap++
	case NotApplicable:
		c.NotApplicable++
	}
	if r.Upcoming {
		c.Upcoming++
	}
}

// System is a workload as an AI system under the EU AI Act.
type System struct {
	Workload  string `json:"workload"`
	Type      string `json:"type"`
	RiskClass string `json:"risk_class"`
	Role      string `json:"role"`
	// GPAIProvider: the organisation provides a general-purpose AI model
	// through this training or fine-tuning workload; GPAIReason says why.
	GPAIProvider bool   `json:"gpai_provider,omitempty"`
	GPAIReason   string `json:"gpai_reason,omitempty"`
}

// Holder is a component that stores or moves regulated data.
type Holder struct {
	Component string   `json:"component"`
	Name      string   `json:"name"`
	Data      string   `json:"data"`
	Store     string   `json:"store,omitempty"`
	Holds     []string `json:"holds"`
}

// Regime is an applicable regime with its source and counts.
type Regime struct {
	*catalog.Regime
	Counts Counts `json:"counts"`
}

// Report is the compliance view of a plan.
type Report struct {
	AssessedOn string   `json:"assessed_on"`
	Disclaimer string   `json:"disclaimer"`
	Regimes    []Regime `json:"regimes"`
	Counts     Counts   `json:"counts"`
	// Gaps repeats Counts.Gap for callers that only need it.
	Gaps     int      `json:"gaps"`
	Rows     []Row    `json:"rows"`
	Systems  []System `json:"ai_systems,omitempty"`
	Holders  []Holder `json:"data_holders,omitempty"`
	Imposed  []string `json:"constraints_imposed"`
	Warnings []string `json:"warnings,omitempty"`
}

// RegimeIDs are the ids of the applicable regimes.
func (r *Report) RegimeIDs() []string {
	var out []string
	for _, g := range r.Regimes {
		out = append(out, g.ID)
	}
	return out
}

type assessor struct {
	c        *catalog.Catalog
	f        *spec.File
	bp       *blueprint.Blueprint
	active   map[string]bool
	risk     string // risk class from constraints.compliance for unclassified systems
	gpaiDecl bool   // constraints.compliance lists eu-ai-act:gpai
	systems  []System
	warnings []string
}

// activate finds the regimes that apply: the file's list (eu-ai-act:<x>
// entries map to eu-ai-act), the EU AI Act when a workload has a risk
// class, and GDPR when personal data is processed under EU residency.
func (a *assessor) activate() {
	a.active = map[string]bool{}
	rank := map[string]int{"eu-ai-act:minimal": 1, "eu-ai-act:limited-risk": 2, "eu-ai-act:high-risk": 3}
	best := 0
	for _, r := range a.f.Constraints.Compliance {
		r = strings.ToLower(r)
		if strings.HasPrefix(r, "eu-ai-act") {
			a.active["eu-ai-act"] = true
			if r == "eu-ai-act:gpai" {
				a.gpaiDecl = true
			}
			if rank[r] > best {
				best = rank[r]
				a.risk = map[int]string{1: "minimal", 2: "limited", 3: "high"}[best]
			}
			continue
		}
		a.active[r] = true
	}
	personal := false
	for _, w := range a.f.Workloads {
		if w.RiskClass != "" {
			a.active["eu-ai-act"] = true
		}
		personal = personal || w.PersonalData || w.PHI
	}
	if personal && a.f.Constraints.Residency == "eu" {
		a.active["gdpr"] = true
	}
}

// Assess builds the matrix as of metadata.date, or today.
func Assess(c *catalog.Catalog, f *spec.File, bp *blueprint.Blueprint) *Report {
	return AssessAt(c, f, bp, time.Now())
}

// AssessAt builds the matrix as of metadata.date, or now when the file
// gives no date.
func AssessAt(c *catalog.Catalog, f *spec.File, bp *blueprint.Blueprint, now time.Time) *Report {
	a := &assessor{c: c, f: f, bp: bp}
	a.activate()
	date := f.Metadata.Date
	if date == "" {
		if now.IsZero() {
			now = time.Now()
		}
		date = now.UTC().Format(spec.DateLayout)
	}
	rep := &Report{AssessedOn: date, Disclaimer: Disclaimer}
	listed := map[string]bool{}
	for _, r := range f.Constraints.Compliance {
		listed[strings.ToLower(r)] = true
	}
	if a.active["gdpr"] && !listed["gdpr"] {
		a.warnings = append(a.warnings, "gdpr applied: workloads process personal data under EU residency (GDPR Art. 3); add gdpr to constraints.compliance")
	}
	if a.active["eu-ai-act"] {
		a.aiSystems()
	}
	rep.Systems = a.systems
	for _, comp := range bp.Components {
		if comp.Data != "" && len(comp.Holds) > 0 {
			rep.Holders = append(rep.Holders, Holder{Component: comp.ID, Name: comp.Name, Data: comp.Data, Store: comp.Store, Holds: comp.Holds})
		}
	}
	byRegime := map[string]*Counts{}
	for _, k := range c.Controls {
		if !a.active[k.Regime] {
			continue
		}
		row := a.assess(k)
		if row.Status != NotApplicable && k.AppliesFrom != "" && k.AppliesFrom > date {
			row.Upcoming = true
		}
		rep.Counts.add(&row)
		if byRegime[k.Regime] == nil {
			byRegime[k.Regime] = &Counts{}
		}
		byRegime[k.Regime].add(&row)
		rep.Rows = append(rep.Rows, row)
	}
	var ids []string
	for id := range a.active {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		g, ok := c.Regime(id)
		if !ok {
			g = &catalog.Regime{ID: id, Name: id}
		}
		var n Counts
		if byRegime[id] != nil {
			n = *byRegime[id]
		}
		rep.Regimes = append(rep.Regimes, Regime{Regime: g, Counts: n})
	}
	rep.Gaps = rep.Counts.Gap
	rep.Imposed = imposed(c, f)
	var phi, personal []string
	for _, w := range f.Workloads {
		if w.PHI && !a.active["hipaa"] {
			phi = append(phi, w.Name)
		}
		if (w.PersonalData || w.PHI) && !a.active["gdpr"] {
			personal = append(personal, w.Name)
		}
	}
	if len(phi) > 0 {
		a.warnings = append(a.warnings, fmt.Sprintf("%s handle PHI but hipaa is not in constraints.compliance", strings.Join(phi, ", ")))
	}
	if len(personal) > 0 {
		a.warnings = append(a.warnings, fmt.Sprintf("%s process personal data: if any of the people are in the EU, GDPR applies wherever the data is processed (Art. 3); add gdpr to constraints.compliance", strings.Join(personal, ", ")))
	}
	rep.Warnings = a.warnings
	return rep
}

// aiSystems classifies the workloads that are AI systems: risk class,
// role, and for training and fine-tuning whether the organisation becomes
// the provider of a general-purpose AI model.
func (a *assessor) aiSystems() {
	var noRole, noRisk []string
	for _, w := range a.f.Workloads {
		if w.Type == spec.DataPipeline {
			continue
		}
		s := System{Workload: w.Name, Type: w.Type, RiskClass: w.RiskClass, Role: w.Role}
		if s.RiskClass == "" {
			s.RiskClass = a.risk
		}
		if s.RiskClass == "" {
			s.RiskClass = "minimal"
			noRisk = append(noRisk, w.Name)
		}
		if s.Role == "" {
			s.Role = "both"
			noRole = append(noRole, w.Name)
		}
		if w.Type == spec.Training || w.Type == spec.FineTuning {
			s.GPAIProvider, s.GPAIReason = a.gpai(w)
		}
		a.systems = append(a.systems, s)
	}
	if len(noRole) > 0 {
		a.warnings = append(a.warnings, fmt.Sprintf("EU AI Act: no role stated for %s; provider and deployer duties are both listed (set workloads[].role: provider, deployer or both)", strings.Join(noRole, ", ")))
	}
	if len(noRisk) > 0 {
		a.warnings = append(a.warnings, fmt.Sprintf("EU AI Act: no risk class for %s; assessed as minimal (set workloads[].riskClass)", strings.Join(noRisk, ", ")))
	}
}

// gpai decides whether a training or fine-tuning workload makes the
// organisation the provider of a general-purpose AI model.
func (a *assessor) gpai(w spec.Workload) (bool, string) {
	tokens := w.Tokens
	if tokens == 0 {
		tokens = w.DatasetTokens * max(w.Epochs, 1)
	}
	flop := 0.0
	if w.Model != nil && w.Model.ID != "" {
		if m, err := a.c.Model(w.Model.ID); err == nil {
			flop = 6 * m.TotalParams() * tokens
		}
	}
	computed := ""
	if flop > 0 {
		computed = fmt.Sprintf("%.2g FLOP (6 x parameters x %.3g tokens, an upper bound for LoRA)", flop, tokens)
	}
	if w.GPAIProvider != nil {
		if *w.GPAIProvider {
			return true, "declared gpaiProvider: true" + prefixed("; computed ", computed)
		}
		return false, "declared gpaiProvider: false" + prefixed("; computed ", computed)
	}
	pretrain := w.Type == spec.Training && (w.Method == "" || w.Method == "pretrain")
	switch {
	case flop == 0:
		a.warnings = append(a.warnings, fmt.Sprintf("EU AI Act: cannot size %s's training compute; treated as a GPAI provider (set gpaiProvider)", w.Name))
		return true, "training compute unknown: treated as provider until gpaiProvider is stated"
	case pretrain && flop > GPAIComputeFLOP:
		return true, fmt.Sprintf("pre-training of %s above %.0e FLOP: the model is presumed general-purpose (Commission GPAI guidelines, July 2025)", computed, GPAIComputeFLOP)
	case pretrain:
		return false, fmt.Sprintf("pre-training of %s, below the %.0e FLOP indicative criterion for a general-purpose model", computed, GPAIComputeFLOP)
	case flop < ModifierFraction*GPAIComputeFLOP:
		return false, fmt.Sprintf("fine-tuning of %s: below one third of %.0e FLOP, so below a third of any GPAI model's training compute; the modifier does not become the model's provider (Commission GPAI guidelines, July 2025)", computed, GPAIComputeFLOP)
	default:
		a.warnings = append(a.warnings, fmt.Sprintf("EU AI Act: %s uses %.2g FLOP; whether that is more than a third of the original model's training compute decides GPAI provider duties (set gpaiProvider)", w.Name, flop))
		return true, fmt.Sprintf("fine-tuning of %s may exceed a third of the original training compute: treated as provider until gpaiProvider is stated", computed)
	}
}

func prefixed(p, s string) string {
	if s == "" {
		return ""
	}
	return p + s
}

// dataClass is the regulated data a regime protects: personal data for
// GDPR, PHI for HIPAA, any workload data otherwise.
func dataClass(regime string) string {
	switch regime {
	case "gdpr":
		return blueprint.Personal
	case "hipaa":
		return blueprint.PHI
	}
	return ""
}

func (a *assessor) anyWorkload(pred func(w *spec.Workload) bool) bool {
	for i := range a.f.Workloads {
		if pred(&a.f.Workloads[i]) {
			return true
		}
	}
	return false
}

// condition checks a control's When; it returns the reason when it fails.
func (a *assessor) condition(k *catalog.Control) (bool, string) {
	switch k.When {
	case "personal-data":
		if !a.anyWorkload(func(w *spec.Workload) bool { return w.PersonalData || w.PHI }) {
			return false, "no workload declares personalData or phi"
		}
	case "phi":
		if !a.anyWorkload(func(w *spec.Workload) bool { return w.PHI }) {
			return false, "no workload declares phi"
		}
	case "training-personal-data":
		if !a.anyWorkload(func(w *spec.Workload) bool {
			return (w.Type == spec.Training || w.Type == spec.FineTuning) && (w.PersonalData || w.PHI)
		}) {
			return false, "no training or fine-tuning workload declares personal data"
		}
	case "generative":
		if !a.anyWorkload(func(w *spec.Workload) bool { return w.Type == spec.LLMInference || w.Type == spec.BatchInference }) {
			return false, "no generative (LLM) workload"
		}
	case "voluntary":
		return false, "voluntary (" + k.Clause + "): not a duty"
	}
	return true, ""
}

// applicableSystems returns the AI systems a per-system control applies to,
// and for the others the reasons, systems with the same reason grouped.
func (a *assessor) applicableSystems(k *catalog.Control) ([]string, []string) {
	var on, order []string
	group := map[string][]string{}
	not := func(name, reason string) {
		if group[reason] == nil {
			order = append(order, reason)
		}
		group[reason] = append(group[reason], name)
	}
	for _, s := range a.systems {
		switch {
		case k.When == "gpai-provider":
			if !s.GPAIProvider {
				if s.GPAIReason != "" {
					not(s.Workload, s.GPAIReason)
				}
				continue
			}
		case len(k.RiskClasses) > 0 && !has(k.RiskClasses, s.RiskClass):
			not(s.Workload, fmt.Sprintf("risk class %s (the duty applies to %s)", s.RiskClass, strings.Join(k.RiskClasses, ", ")))
			continue
		case len(k.WorkloadTypes) > 0 && !has(k.WorkloadTypes, s.Type):
			not(s.Workload, fmt.Sprintf("%s workload (the duty applies to %s)", s.Type, strings.Join(k.WorkloadTypes, ", ")))
			continue
		case len(k.Roles) > 0 && s.Role != "both" && !has(k.Roles, s.Role):
			not(s.Workload, fmt.Sprintf("the organisation is the %s (%s binds the %s)", s.Role, k.Clause, strings.Join(k.Roles, ", ")))
			continue
		}
		on = append(on, s.Workload)
	}
	var why []string
	for _, r := range order {
		why = append(why, strings.Join(group[r], ", ")+": "+r)
	}
	return on, why
}

func (a *assessor) assess(k *catalog.Control) Row {
	row := Row{Control: k.ID, Regime: k.Regime, Title: k.Title, Clause: k.Clause, Kind: k.Kind, AppliesFrom: k.AppliesFrom, Note: k.Note}
	na := func(reason string) Row {
		row.Status, row.Reason = NotApplicable, reason
		return row
	}
	ok, why := a.condition(k)
	if !ok {
		return na(why)
	}
	if k.Regime == "eu-ai-act" {
		gpaiAll := k.When == "gpai-provider" && a.gpaiDecl
		if !gpaiAll {
			if len(a.systems) == 0 {
				return na("no AI-system workloads")
			}
			on, whys := a.applicableSystems(k)
			if len(on) == 0 {
				if len(whys) == 0 {
					whys = []string{"no training or fine-tuning workload, and constraints.compliance does not list eu-ai-act:gpai"}
				}
				return na(strings.Join(whys, "; "))
			}
			row.Systems = on
			if len(whys) > 0 {
				row.Note = join(row.Note, "not applicable to "+strings.Join(whys, "; "))
			}
		}
	} else if k.Scope == catalog.ScopeSystems {
		for _, s := range a.f.Workloads {
			if s.Type != spec.DataPipeline && (len(k.WorkloadTypes) == 0 || has(k.WorkloadTypes, s.Type)) {
				row.Systems = append(row.Systems, s.Name)
			}
		}
		if len(row.Systems) == 0 {
			return na("no AI-system workload of the types it applies to (" + strings.Join(k.WorkloadTypes, ", ") + ")")
		}
	}
	if k.ID == "aia-human-oversight" || k.ID == "aia-deployer-duties" {
		if h := a.f.Constraints.HumanOversight; h != "" {
			row.Note = join(row.Note, "declared oversight (constraints.humanOversight): "+h)
		}
	}
	if k.Kind == catalog.Process {
		row.Status, row.Evidence = ProcessRequired, k.Evidence
		for _, cap := range k.Requires {
			ps := a.providers(cap)
			if len(ps) == 0 {
				row.Missing = append(row.Missing, "supporting tooling: "+cap)
			}
			row.By = appendNew(row.By, ps...)
		}
		return row
	}
	return a.technical(k, row)
}

func (a *assessor) providers(cap string) []string {
	var out []string
	for _, c := range a.bp.Components {
		if has(c.Provides, cap) {
			out = append(out, c.ID)
		}
	}
	return out
}

// technical checks every component in the control's scope.
func (a *assessor) technical(k *catalog.Control, row Row) Row {
	class := dataClass(k.Regime)
	check := func(c *blueprint.Component, label string) {
		for _, cap := range k.Requires {
			switch {
			case !has(c.Provides, cap):
				row.Missing = append(row.Missing, label+": "+cap)
			case !has(c.Exported, cap):
				row.NotExported = append(row.NotExported, label+": "+cap)
			}
		}
	}
	switch k.Scope {
	case catalog.ScopeStores, catalog.ScopeHolders:
		n := 0
		for i := range a.bp.Components {
			c := &a.bp.Components[i]
			if c.Data == "" || (k.Scope == catalog.ScopeStores && c.Data != blueprint.Stores) {
				continue
			}
			if class != "" && !has(c.Holds, class) {
				continue
			}
			n++
			row.By = append(row.By, c.ID)
			label := c.ID
			if c.Store != "" && c.Store != c.ID {
				label += " (" + c.Store + ")"
			}
			check(c, label)
		}
		if n == 0 {
			what := "workload data"
			if class != "" {
				what = map[string]string{blueprint.Personal: "personal data", blueprint.PHI: "PHI"}[class]
			}
			verb := "stores"
			if k.Scope == catalog.ScopeHolders {
				verb = "stores or moves"
			}
			row.Status, row.Reason = NotApplicable, fmt.Sprintf("no component %s %s", verb, what)
			return row
		}
	case catalog.ScopePlatform:
		for _, cap := range k.Requires {
			ps := a.providers(cap)
			if len(ps) == 0 {
				row.Missing = append(row.Missing, "no component: "+cap)
				continue
			}
			row.By = appendNew(row.By, ps...)
			exported := false
			for _, id := range ps {
				for _, c := range a.bp.Components {
					if c.ID == id && has(c.Exported, cap) {
						exported = true
					}
				}
			}
			if !exported {
				row.NotExported = append(row.NotExported, strings.Join(ps, ", ")+": "+cap)
			}
		}
	case catalog.ScopeSystems:
		for _, sys := range row.Systems {
			var serving []*blueprint.Component
			for i := range a.bp.Components {
				if has(a.bp.Components[i].Serves, sys) {
					serving = append(serving, &a.bp.Components[i])
				}
			}
			for _, cap := range k.Requires {
				provided, exported := false, false
				for _, c := range serving {
					if has(c.Provides, cap) {
						provided = true
						row.By = appendNew(row.By, c.ID)
						exported = exported || has(c.Exported, cap)
					}
				}
				switch {
				case !provided:
					row.Missing = append(row.Missing, sys+": "+cap)
				case !exported:
					row.NotExported = append(row.NotExported, sys+": "+cap)
				}
			}
		}
	}
	if len(row.Missing) == 0 && len(row.NotExported) == 0 {
		row.Status = ToolingPresent
	} else {
		row.Status = Gap
	}
	return row
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func appendNew(list []string, xs ...string) []string {
	for _, x := range xs {
		if !has(list, x) {
			list = append(list, x)
		}
	}
	return list
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// imposed describes what the regimes and constraints removed from the search.
func imposed(c *catalog.Catalog, f *spec.File) []string {
	var out []string
	k := f.Constraints
	if k.Residency == "eu" || k.Residency == "us" {
		n := 0
		regions := map[string]bool{}
		for _, in := range c.Instances {
			if r, ok := c.Region(in.Region); !ok || r.Jurisdiction != k.Residency {
				n++
				regions[in.Region] = true
			}
		}
		var rs []string
		for r := range regions {
			rs = append(rs, r)
		}
		sort.Strings(rs)
		why := "constraints.residency"
		if hasRegime(k.Compliance, "gdpr") && k.Residency == "eu" {
			why = "GDPR Art. 44-46 via constraints.residency: eu"
		}
		out = append(out, fmt.Sprintf("%s: %d instance offers in regions outside %s removed (%s); per-token APIs without a guaranteed region rejected", why, n, strings.ToUpper(k.Residency), strings.Join(rs, ", ")))
	}
	if hasRegime(k.Compliance, "hipaa") {
		var no []string
		for _, cl := range c.Clouds() {
			if !c.HIPAAEligible(cl) {
				no = append(no, cl)
			}
		}
		out = append(out, fmt.Sprintf("HIPAA 45 CFR 164.308(b): only clouds that sign a BAA (per the catalog) remain; removed %s and per-token APIs. The BAA itself must still be executed", strings.Join(no, ", ")))
	}
	if hasRegime(k.Compliance, "gdpr") && k.Residency != "eu" {
		out = append(out, "GDPR without EU residency: regions outside the EU remain allowed; transfers need an adequacy decision or standard contractual clauses (Art. 45-46)")
	}
	return out
}

func hasRegime(list []string, r string) bool {
	for _, x := range list {
		if strings.EqualFold(x, r) {
			return true
		}
	}
	return false
}
