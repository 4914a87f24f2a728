package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "plan.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const exitPlan = `apiVersion: aiplan.dev/v1
kind: Plan
metadata: {name: exit}
constraints: {clouds: [aws], budgetUSDPerMonth: BUDGET}
workloads:
  - name: bot
    type: llm-inference
    model: llama-3.1-8b
    traffic: {peakRequestsPerSecond: 2, dailyProfile: flat, inputTokens: 500, outputTokens: 200}
    slo: {ttftP99Ms: TTFT, tpotP99Ms: 80}
`

func TestPlan_ExitCodes(t *testing.T) {
	file := func(budget, ttft string) string {
		return writeFile(t, strings.NewReplacer("BUDGET", budget, "TTFT", ttft).Replace(exitPlan))
	}
	cases := []struct {
		name, path string
		flags      []string
		want       int
		stderr     string
	}{
		{"feasible", file("100000", "2000"), nil, 0, ""},
		{"over budget without the flag", file("10", "2000"), nil, 0, ""},
		{"over budget with the flag", file("10", "2000"), []string{"--fail-over-budget"}, 4, "over budget"},
		{"infeasible", file("100000", "1"), nil, 3, "no feasible configuration for 1 workload(s): bot"},
		{"infeasible beats over budget", file("10", "1"), []string{"--fail-over-budget"}, 3, "no feasible"},
		{"infeasible, json", file("100000", "1"), []string{"-o", "json"}, 3, ""},
	}
	for _, tc := range cases {
		code, out, errs := runCLI(append([]string{"plan", tc.path}, tc.flags...)...)
		if code != tc.want {
			t.Errorf("%s: exit %d, want %d (%s)", tc.name, code, tc.want, errs)
		}
		if !strings.Contains(errs, tc.stderr) {
			t.Errorf("%s: stderr %q lacks %q", tc.name, errs, tc.stderr)
		}
		if out == "" {
			t.Errorf("%s: the report is written whatever the status", tc.name)
		}
	}
	for _, f := range []string{"eu-enterprise", "hybrid-onprem"} {
		if code, _, errs := runCLI("plan", "../../examples/"+f+".yaml", "--fail-over-budget"); code != 0 {
			t.Errorf("%s: exit %d: %s", f, code, errs)
		}
	}
}

// Through the supervisor, the plan's own statuses pass unchanged.
func TestPlan_ExitCodesPassTheSupervisor(t *testing.T) {
	for _, code := range []int{exitInfeasible, exitOverBudget} {
		if got, crashed := childExit(code); got != code || crashed {
			t.Errorf("child exit %d became %d (crashed %v)", code, got, crashed)
		}
	}
	if childUsage == exitInfeasible || childUsage == exitOverBudget {
		t.Error("the supervisor's usage status collides with a plan status")
	}
}
