// Package archtest checks that imports between aiplan's packages flow one
// way, as docs/ARCHITECTURE.md draws them.
package archtest

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/aiplan-dev/aiplan/"

// rank orders the layers; a package may import only lower ranks.
var rank = map[string]int{
	"diag": 0, "catalog": 0, "safefile": 0,
	"catalog/pricefile": 1,
	"spec":              1, "perf": 1,
	"calib": 2, "cost": 2,
	"search":     3,
	"placement":  4,
	"blueprint":  5,
	"compliance": 6,
	"plan":       7,
	"report":     8,
	"export":     9,
	"cmd/aiplan": 10,
}

func TestImports_FlowOneWay(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, module+"...").Output()
	if err != nil {
		t.Skip("go list unavailable:", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		from := strings.TrimPrefix(f[0], module)
		rf, ok := rank[from]
		if !ok {
			if !strings.HasPrefix(from, "internal/") {
				t.Errorf("package %s has no layer in the architecture test", from)
			}
			continue
		}
		for _, imp := range f[1:] {
			if !strings.HasPrefix(imp, module) {
				continue
			}
			to := strings.TrimPrefix(imp, module)
			if rt, ok := rank[to]; ok && rt >= rf && to != from {
				t.Errorf("%s (layer %d) imports %s (layer %d): imports must flow down", from, rf, to, rt)
			}
		}
	}
}
