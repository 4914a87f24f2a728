// Package compliance maps the plan's regimes (GDPR, HIPAA, SOC 2, EU AI Act
// by risk class, ISO/IEC 42001, NIST AI RMF) to controls, each citing its
// clause, and each control to the blueprint components whose capabilities
// meet it. It reports a coverage matrix (met, partially, gap) and the
// constraints the regimes imposed on the search. Controls are data in
// catalog/data/compliance.yaml.
package compliance

import (
	"fmt"
	"sort"
	"strings"

	"github.com/aiplan-dev/aiplan/blueprint"
	"github.com/aiplan-dev/aiplan/catalog"
	"github.com/aiplan-dev/aiplan/spec"
)

// Status of a control.
const (
	Met       = "met"
	Partially = "partially"
	Gap       = "gap"
)

// Row is one control's coverage.
type Row struct {
	Control string   `json:"control"`
	Regime  string   `json:"regime"`
	Title   string   `json:"title"`
	Clause  string   `json:"clause"`
	Status  string   `json:"status"`
	By      []string `json:"by,omitempty"`
	Missing []string `json:"missing,omitempty"`
	Note    string   `json:"note,omitempty"`
}

// Report is the compliance view of a plan.
type Report struct {
	Regimes  []string `json:"regimes"`
	Rows     []Row    `json:"rows"`
	Imposed  []string `json:"constraints_imposed"`
	Gaps     int      `json:"gaps"`
	Partial  int      `json:"partial"`
	Met      int      `json:"met"`
	Warnings []string `json:"warnings,omitempty"`
}

// Regimes lists the regimes that apply: the file's list plus those implied
// by workloads (a high-risk workload brings the EU AI Act's high-risk duties).
func Regimes(f *spec.File) []string {
	set := map[string]bool{}
	for _, r := range f.Constraints.Compliance {
		r = strings.ToLower(r)
		if r == "eu-ai-act:limited-risk" || r == "eu-ai-act:high-risk" || strings.HasPrefix(r, "eu-ai-act:") {
			set[r] = true
			continue
		}
		set[r] = true
	}
	for _, w := range f.Workloads {
		switch w.RiskClass {
		case "high":
			set["eu-ai-act:high-risk"] = true
		case "limited":
			set["eu-ai-act:limited-risk"] = true
		}
	}
	var out []string
	for r := range set {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// Assess builds the coverage matrix.
func Assess(c *catalog.Catalog, f *spec.File, bp *blueprint.Blueprint) *Report {
	rep := &Report{Regimes: Regimes(f)}
	providers := map[string][]string{}
	for _, comp := range bp.Components {
		for _, cap := range comp.Provides {
			providers[cap] = append(providers[cap], comp.Name)
		}
	}
	active := map[string]bool{}
	for _, r := range rep.Regimes {
		active[r] = true
	}
	for _, k := range c.Controls {
		if !active[k.Regime] {
			continue
		}
		row := Row{Control: k.ID, Regime: k.Regime, Title: k.Title, Clause: k.Clause, Note: k.Note}
		seen := map[string]bool{}
		for _, cap := range k.Requires {
			ps := providers[cap]
			if len(ps) == 0 {
				row.Missing = append(row.Missing, cap)
				continue
			}
			for _, p := range ps {
				if !seen[p] {
					seen[p] = true
					row.By = append(row.By, p)
				}
			}
		}
		switch {
		case len(row.Missing) == 0 && !k.Process:
			row.Status = Met
		case len(row.Missing) == 0 && k.Process && k.ID == "aia-human-oversight":
			row.Status = Met // the file declared the process
		case len(row.Missing) == len(k.Requires):
			row.Status = Gap
		default:
			row.Status = Partially
		}
		if k.Process && row.Status == Met && k.ID != "aia-human-oversight" {
			row.Status = Partially
			if row.Note == "" {
				row.Note = "tooling in place; the organisational process is outside what aiplan can check"
			}
		}
		switch row.Status {
		case Met:
			rep.Met++
		case Partially:
			rep.Partial++
		case Gap:
			rep.Gaps++
		}
		rep.Rows = append(rep.Rows, row)
	}
	rep.Imposed = imposed(c, f)
	for _, w := range f.Workloads {
		if w.PHI && !active["hipaa"] {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s handles PHI but hipaa is not in constraints.compliance", w.Name))
		}
		if w.PersonalData && !active["gdpr"] && f.Constraints.Residency == "eu" {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s processes personal data in the EU but gdpr is not in constraints.compliance", w.Name))
		}
	}
	return rep
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
		out = append(out, fmt.Sprintf("HIPAA 45 CFR 164.308(b): only clouds with a BAA in the catalog; removed %s and per-token APIs", strings.Join(no, ", ")))
	}
	if hasRegime(k.Compliance, "gdpr") && k.Residency != "eu" {
		out = append(out, "GDPR without EU residency: regions outside the EU remain allowed; transfers need standard contractual clauses (Art. 46)")
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
