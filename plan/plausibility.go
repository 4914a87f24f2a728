package plan

import (
	"fmt"

	"github.com/aiplan-dev/aiplan/spec"
)

// Plausibility thresholds: a plan beyond them is probably a typo in the
// workload file (a rate per day given per second, an extra zero), so it
// gets a warning that names the figure.
const (
	// PlausibleGPUs: a workload needing more GPUs than this at peak.
	PlausibleGPUs = 10_000
	// PlausibleMonthlyUSD: a plan costing more than this per month.
	PlausibleMonthlyUSD = 10e6
	// PublishedTokensPerSecond is the largest token rate any deployment has
	// published: Google, 3.2 quadrillion tokens a month across all its
	// products (Sundar Pichai at Google I/O, May 2026, up from 1.3
	// quadrillion in October 2025; as reported by milik.ai and others,
	// checked 2026-12-02), about 1.2e9 tokens per second averaged over a
	// 30.4-day month.
	PublishedTokensPerSecond = 3.2e15 / (30.4 * 86400)
	// AttentionLimitMs: beyond 10 s a person waiting on a response loses
	// attention (Nielsen, "Response Times: The 3 Important Limits", 1993).
	// An endpoint without a TTFT SLO is sized for cost alone and can land
	// far beyond it without a word.
	AttentionLimitMs = 10_000
)

// plausibility warns about figures no real deployment reaches.
func plausibility(p *Plan) {
	for i := range p.Workloads {
		w := &p.Workloads[i]
		if c := w.Choice; c != nil && c.PeakGPUs > PlausibleGPUs {
			p.Warnings = append(p.Warnings, fmt.Sprintf("%s: needs %d GPUs at peak, more than %d; check the traffic figures in the file", w.Workload, c.PeakGPUs, PlausibleGPUs))
		}
		if c := w.Choice; c != nil && w.Spec != nil && w.Spec.Type == spec.LLMInference && (w.Spec.SLO == nil || w.Spec.SLO.TTFTP99Ms == 0) && c.Metrics.TTFTP99Ms > AttentionLimitMs {
			p.Warnings = append(p.Warnings, fmt.Sprintf("%s: no slo.ttftP99Ms, so it is sized for cost alone: the first token comes after %.1f s at p99, beyond the 10 s a waiting user keeps attention; set slo.ttftP99Ms if people wait on it", w.Workload, c.Metrics.TTFTP99Ms/1e3))
		}
		if r := tokenRate(w.Spec); r > PublishedTokensPerSecond {
			p.Warnings = append(p.Warnings, fmt.Sprintf("%s: %.3g tokens/s at peak, beyond the largest published deployment (%.2g tokens/s: Google's 3.2 quadrillion tokens a month, May 2026); check the traffic figures in the file", w.Workload, r, PublishedTokensPerSecond))
		}
	}
	if m := p.Totals.MonthlyUSD; m > PlausibleMonthlyUSD {
		p.Warnings = append(p.Warnings, fmt.Sprintf("cost: %.3g USD a month, more than %.0f million; check the traffic figures in the file", m, PlausibleMonthlyUSD/1e6))
	}
}

// tokenRate is a workload's peak tokens per second (input and output).
func tokenRate(w *spec.Workload) float64 {
	if w == nil || w.Traffic == nil {
		return 0
	}
	t := w.Traffic
	switch w.Type {
	case spec.LLMInference:
		return t.PeakRequestsPerSecond * (t.InputTokens + t.OutputTokens)
	case spec.BatchInference:
		hours := w.DeadlineHours
		if hours <= 0 {
			hours = 24
		}
		return w.RequestsPerDay * (t.InputTokens + t.OutputTokens) / (hours * 3600)
	}
	return 0
}
