package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/aiplan-dev/aiplan/compliance"
	"github.com/aiplan-dev/aiplan/plan"
)

// statusCell is a row's status with its applicability date when upcoming.
func statusCell(r *compliance.Row) string {
	if r.Upcoming {
		return r.Status + " (applies from " + r.AppliesFrom + ")"
	}
	return r.Status
}

// rowDetail is what a row needs next: evidence, gaps, or the reason it does not apply.
func rowDetail(r *compliance.Row) string {
	var parts []string
	switch r.Status {
	case compliance.NotApplicable:
		parts = append(parts, r.Reason)
	case compliance.ProcessRequired:
		parts = append(parts, "evidence: "+r.Evidence)
	}
	if len(r.Missing) > 0 {
		parts = append(parts, "missing: "+strings.Join(r.Missing, "; "))
	}
	if len(r.NotExported) > 0 {
		parts = append(parts, "designed, not configured by the exports: "+strings.Join(r.NotExported, "; "))
	}
	if len(r.Systems) > 0 && r.Status != compliance.NotApplicable {
		parts = append(parts, "AI systems: "+strings.Join(r.Systems, ", "))
	}
	if r.Note != "" {
		parts = append(parts, r.Note)
	}
	return strings.Join(parts, " · ")
}

func countsLine(c compliance.Counts) string {
	s := fmt.Sprintf("%d tooling present, %d process required, %d gap, %d not applicable", c.ToolingPresent, c.ProcessRequired, c.Gap, c.NotApplicable)
	if c.Upcoming > 0 {
		s += fmt.Sprintf(" (%d applicable rows upcoming)", c.Upcoming)
	}
	return s
}

func complianceMarkdown(w io.Writer, cr *compliance.Report) {
	fmt.Fprintf(w, "\n## Compliance: %s\n\n", strings.Join(cr.RegimeIDs(), ", "))
	fmt.Fprintf(w, "> %s\n\n", mdEscape(cr.Disclaimer))
	fmt.Fprintf(w, "Assessed as of %s: %s.\n\n", cr.AssessedOn, countsLine(cr.Counts))
	fmt.Fprintln(w, "| regime | edition | official reference | source | as of | counts |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- | --- |")
	for _, g := range cr.Regimes {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", mdEscape(g.Name), mdEscape(g.Edition), mdEscape(g.Reference), mdEscape(g.URL), g.AsOf, countsLine(g.Counts))
	}
	fmt.Fprintln(w)
	for _, im := range cr.Imposed {
		fmt.Fprintf(w, "- Imposed on the search: %s\n", mdEscape(im))
	}
	if len(cr.Systems) > 0 {
		fmt.Fprintln(w, "\n| AI system | type | risk class | role | GPAI provider |")
		fmt.Fprintln(w, "| --- | --- | --- | --- | --- |")
		for _, s := range cr.Systems {
			g := "-"
			if s.GPAIReason != "" {
				g = fmt.Sprintf("%t: %s", s.GPAIProvider, s.GPAIReason)
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", mdEscape(s.Workload), s.Type, s.RiskClass, s.Role, mdEscape(g))
		}
	}
	if len(cr.Holders) > 0 {
		fmt.Fprintln(w, "\n| component holding regulated data | stores or moves | kind | data |")
		fmt.Fprintln(w, "| --- | --- | --- | --- |")
		for _, h := range cr.Holders {
			fmt.Fprintf(w, "| %s | %s | %s | %s |\n", mdEscape(h.Name), h.Data, h.Store, strings.Join(h.Holds, ", "))
		}
	}
	fmt.Fprintln(w, "\n| control | clause | kind | status | components | detail |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- | --- |")
	for i := range cr.Rows {
		r := &cr.Rows[i]
		fmt.Fprintf(w, "| %s | %s | %s | **%s** | %s | %s |\n", mdEscape(r.Title), mdEscape(r.Clause), r.Kind, statusCell(r), mdEscape(strings.Join(r.By, ", ")), mdEscape(rowDetail(r)))
	}
}

// complianceLine is the terminal summary of the matrix.
func complianceLine(w io.Writer, p *plan.Plan) {
	cr := p.Compliance
	if cr == nil || len(cr.Rows) == 0 {
		return
	}
	fmt.Fprintf(w, "Compliance (%s, as of %s): %s. A plan is not an audit: -o md for the matrix.\n", strings.Join(cr.RegimeIDs(), ", "), cr.AssessedOn, countsLine(cr.Counts))
}
