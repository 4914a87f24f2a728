package compliance

import (
	"fmt"
	"strings"

	"github.com/aiplan-dev/aiplan/catalog"
)

// SourcesTable is the Markdown table of regimes with their edition, official
// reference, URL, as-of date and number of controls by kind; the README
// carries it and a test keeps the two equal.
func SourcesTable(c *catalog.Catalog) string {
	var b strings.Builder
	b.WriteString("| regime | edition | official reference | source | as of | technical | process |\n")
	b.WriteString("| --- | --- | --- | --- | --- | ---: | ---: |\n")
	for _, g := range c.Regimes {
		tech, proc := 0, 0
		for _, k := range c.Controls {
			if k.Regime != g.ID {
				continue
			}
			if k.Kind == catalog.Technical {
				tech++
			} else {
				proc++
			}
		}
		cell := func(s string) string { return strings.ReplaceAll(s, "|", "\\|") }
		fmt.Fprintf(&b, "| %s (`%s`) | %s | %s | %s | %s | %d | %d |\n", cell(g.Name), g.ID, cell(g.Edition), cell(g.Reference), g.URL, g.AsOf, tech, proc)
	}
	return b.String()
}
