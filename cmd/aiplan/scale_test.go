package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// bigWorkloadFile is n workloads cycling through the four kinds of the EU
// enterprise example (an LLM endpoint, a LoRA fine-tune, an embedding
// index and a data pipeline), each with its own name.
func bigWorkloadFile(n int) []byte {
	var b strings.Builder
	b.WriteString(`apiVersion: aiplan.dev/v1
kind: Plan
metadata: {name: scale, teamSize: 25}
constraints:
  clouds: [aws, gcp, nebius]
  residency: eu
  pricing: [on-demand, spot, reserved-1y]
  compliance: [gdpr, soc2]
workloads:
`)
	kinds := []string{
		"    type: llm-inference\n    model: llama-3.1-70b\n    traffic: {peakRequestsPerSecond: 12, dailyProfile: business-hours, inputTokens: 1800, outputTokens: 300}\n    slo: {ttftP99Ms: 1200, tpotP99Ms: 60}\n",
		"    type: fine-tuning\n    model: llama-3.1-8b\n    method: lora\n    datasetTokens: 3e9\n    epochs: 2\n    deadlineHours: 12\n    schedule: weekly\n",
		"    type: embeddings\n    model: bge-large-en\n    documents: 40e6\n    tokensPerDocument: 300\n    queriesPerSecond: 150\n",
		"    type: data-pipeline\n    ingestGBPerDay: 800\n    retentionDays: 400\n    streaming: true\n",
	}
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "  - name: w%05d\n%s", i, kinds[i%len(kinds)])
	}
	return []byte(b.String())
}

// TestScale_10kWorkloads plans and exports 10,000 workloads as separate
// processes and holds each under 1 GiB of resident memory. It takes minutes,
// so it runs only with AIPLAN_SCALE_TEST=1.
func TestScale_10kWorkloads(t *testing.T) {
	if os.Getenv("AIPLAN_SCALE_TEST") == "" {
		t.Skip("set AIPLAN_SCALE_TEST=1 to plan and export 10,000 workloads")
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "10k.yaml")
	if err := os.WriteFile(in, bigWorkloadFile(10000), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"plan", in, "-o", "json", "--out", filepath.Join(dir, "plan.json")}, {"export", in, "-d", filepath.Join(dir, "out")}} {
		m := runBin(t, args...)
		t.Logf("FIGURE %s: exit %d, wall %v, cpu %v, max RSS %.0f MiB", args[0], m.code, m.wall, m.cpu, m.maxRSSMiB)
		if m.code != 0 {
			t.Fatalf("%v: exit %d: %.2000s", args, m.code, m.stderr)
		}
		if m.maxRSSMiB > 1024 {
			t.Errorf("%s: max RSS %.0f MiB, limit 1024", args[0], m.maxRSSMiB)
		}
	}
}
