// Command gen writes a synthetic workload file with N workloads of every
// type, for load-testing the planner: go run ./internal/gen -n 1000 > big.yaml
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	n := flag.Int("n", 1000, "number of workloads")
	flag.Parse()
	w := os.Stdout
	fmt.Fprintln(w, "apiVersion: aiplan.dev/v1\nkind: Plan\nmetadata: {name: generated}\nconstraints:\n  budgetUSDPerMonth: 5000000\n  pricing: [on-demand, spot, reserved-1y, api]\nworkloads:")
	llms := []string{"llama-3.1-8b", "llama-3.1-70b", "mistral-7b", "mixtral-8x7b", "qwen3-30b-a3b", "llama-3.2-3b", "gpt-oss-20b"}
	for i := 0; i < *n; i++ {
		m := llms[i%len(llms)]
		switch i % 6 {
		case 0, 1:
			fmt.Fprintf(w, "  - name: chat-%d\n    type: llm-inference\n    model: %s\n    traffic: {peakRequestsPerSecond: %d, dailyProfile: business-hours, inputTokens: %d, outputTokens: %d}\n    slo: {ttftP99Ms: %d, tpotP99Ms: %d}\n",
				i, m, 1+i%40, 500+(i%5)*500, 100+(i%4)*100, 1000+(i%3)*1000, 50+(i%3)*25)
		case 2:
			fmt.Fprintf(w, "  - name: ft-%d\n    type: fine-tuning\n    model: %s\n    method: lora\n    datasetTokens: %de6\n    epochs: 2\n    deadlineHours: 24\n    schedule: weekly\n", i, llms[i%3], 100+i%900)
		case 3:
			fmt.Fprintf(w, "  - name: batch-%d\n    type: batch-inference\n    model: %s\n    requestsPerDay: %d\n    traffic: {inputTokens: 1000, outputTokens: 200}\n", i, m, 10000+i*10)
		case 4:
			fmt.Fprintf(w, "  - name: score-%d\n    type: inference\n    model: resnet-50\n    traffic: {peakRequestsPerSecond: %d, dailyProfile: consumer}\n    slo: {latencyP99Ms: 50}\n", i, 50+i%500)
		case 5:
			fmt.Fprintf(w, "  - name: pipe-%d\n    type: data-pipeline\n    ingestGBPerDay: %d\n    retentionDays: 90\n    streaming: %v\n", i, 10+i%100, i%2 == 0)
		}
	}
}
