package export

import (
	"fmt"
	"strings"

	"github.com/aiplan-dev/aiplan/plan"
	"github.com/aiplan-dev/aiplan/search"
	"github.com/aiplan-dev/aiplan/spec"
	"sigs.k8s.io/yaml"
)

type ruleFile struct {
	Groups []ruleGroup `json:"groups"`
}

type ruleGroup struct {
	Name  string `json:"name"`
	Rules []rule `json:"rules"`
}

type rule struct {
	Alert       string            `json:"alert"`
	Expr        string            `json:"expr"`
	For         string            `json:"for,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// errorRatio is, per engine, the PromQL fraction of failed requests from
// metrics the engine's server exports: vLLM's API server counts HTTP
// responses by status class (prometheus-fastapi-instrumentator); TGI counts
// failed and all requests. Sources: vLLM docs "Production Metrics", TGI docs
// "Metrics", read 2026-12. Engines without such counters get no error alert.
func errorRatio(engineID, sel string) string {
	switch {
	case vllmFamily(engineID):
		return fmt.Sprintf(`sum(rate(http_requests_total{%s, status="5xx"}[5m])) / clamp_min(sum(rate(http_requests_total{%s}[5m])), 1e-9) > 0.01`, sel, sel)
	case engineID == "tgi":
		return fmt.Sprintf(`sum(rate(tgi_request_failure{%s}[5m])) / clamp_min(sum(rate(tgi_request_count{%s}[5m])), 1e-9) > 0.01`, sel, sel)
	}
	return ""
}

// PrometheusRules writes alerting rules for every endpoint's SLO on the
// metric names the deployed engine exports (from the catalog's engines),
// plus GPU memory and utilisation from NVIDIA's DCGM exporter on NVIDIA
// accelerators. The notes name SLOs that the engine gives no metric for.
func PrometheusRules(p *plan.Plan) (File, []string, error) {
	ns := slug(p.Name)
	var rf ruleFile
	var notes []string
	for i := range p.Workloads {
		w := &p.Workloads[i]
		if w.Choice == nil || w.Spec == nil || !w.Choice.InCluster() {
			continue
		}
		name := slug(w.Workload)
		sel := fmt.Sprintf(`namespace=%q, pod=~%q`, ns, name+"-.*")
		lab := map[string]string{"workload": w.Workload, "plan": ns}
		g := ruleGroup{Name: "aiplan-" + name}
		add := func(alert, expr, forDur, sev, summary string) {
			l := map[string]string{"severity": sev}
			for k, v := range lab {
				l[k] = untemplated(v)
			}
			g.Rules = append(g.Rules, rule{Alert: alert, Expr: expr, For: forDur, Labels: l, Annotations: map[string]string{"summary": untemplated(summary)}})
		}
		a := accelerator(p.Catalog, w.Choice)
		switch w.Type {
		case spec.LLMInference:
			e, _, err := servingEngine(p, w)
			if err != nil {
				continue // not deployed: the Kubernetes export says why
			}
			m := e.Metrics
			slo := w.Spec.SLO
			if slo == nil {
				slo = &spec.SLO{}
			}
			for _, h := range []struct {
				id, metric, what string
				ms               float64
			}{
				{"TTFTP99High", m.TTFTHistogram, "time to first token", slo.TTFTP99Ms},
				{"TPOTP99High", m.TPOTHistogram, "time per output token", slo.TPOTP99Ms},
				{"E2EP99High", m.E2EHistogram, "end-to-end latency", slo.E2EP99Ms},
			} {
				if h.ms <= 0 {
					continue
				}
				if h.metric == "" {
					notes = append(notes, fmt.Sprintf("%s: %s exports no %s histogram: its %.0f ms p99 SLO has no alert", w.Workload, e.Name, h.what, h.ms))
					continue
				}
				add(camel(name)+h.id, fmt.Sprintf(`histogram_quantile(0.99, sum by (le) (rate(%s_bucket{%s}[5m]))) > %g`, promName(h.metric), sel, h.ms/1000), "10m", "page",
					fmt.Sprintf("%s: p99 %s above the %.0f ms SLO (%s)", w.Workload, h.what, h.ms, e.Name))
			}
			if expr := errorRatio(e.ID, sel); expr != "" {
				add(camel(name)+"ErrorRateHigh", expr, "5m", "page", w.Workload+": more than 1% of requests fail")
			}
			if m.QueueWaiting != "" {
				add(camel(name)+"QueueDepthHigh", fmt.Sprintf(`avg(%s{%s}) > 10`, promName(m.QueueWaiting), sel), "5m", "warning",
					fmt.Sprintf("%s: requests queue up; the autoscaler should be adding replicas (planned max %d)", w.Workload, w.Choice.ReplicasMax))
			}
			if m.KVUsage != "" {
				add(camel(name)+"KVCacheFull", fmt.Sprintf(`max(%s{%s}) > 0.95`, promName(m.KVUsage), sel), "10m", "warning",
					w.Workload+": KV cache above 95%: requests are preempted or wait")
			}
		case spec.Inference:
			if a == nil {
				break // MLServer on CPU: scaled on CPU utilisation, no engine metrics relied on
			}
			if classicEngine(p.Catalog, a) == nil {
				continue // not deployed: the Kubernetes export says why
			}
			if w.Spec.SLO != nil && w.Spec.SLO.LatencyP99Ms > 0 {
				add(camel(name)+"LatencyHigh", fmt.Sprintf(`sum(rate(nv_inference_request_duration_us{%s}[5m])) / clamp_min(sum(rate(nv_inference_request_success{%s}[5m])), 1e-9) / 1000 > %g`, sel, sel, w.Spec.SLO.LatencyP99Ms/2), "10m", "page",
					fmt.Sprintf("%s: mean latency above half the %.0f ms p99 SLO", w.Workload, w.Spec.SLO.LatencyP99Ms))
			}
			add(camel(name)+"ErrorRateHigh", fmt.Sprintf(`sum(rate(nv_inference_request_failure{%s}[5m])) / clamp_min(sum(rate(nv_inference_count{%s}[5m])), 1e-9) > 0.01`, sel, sel), "5m", "page",
				w.Workload+": more than 1% of inferences fail")
		case spec.Embeddings:
			if _, ok := embeddingImages[vendor(a)]; !ok {
				continue // not deployed: the Kubernetes export says why
			}
			// Text Embeddings Inference: te_request_duration (histogram),
			// te_request_count and te_request_success (TEI docs, "Metrics").
			if w.Spec.SLO != nil && w.Spec.SLO.LatencyP99Ms > 0 {
				add(camel(name)+"LatencyHigh", fmt.Sprintf(`histogram_quantile(0.99, sum by (le) (rate(te_request_duration_bucket{%s}[5m]))) > %g`, sel, w.Spec.SLO.LatencyP99Ms/1000), "10m", "page",
					fmt.Sprintf("%s: p99 latency above the %.0f ms SLO", w.Workload, w.Spec.SLO.LatencyP99Ms))
			}
			add(camel(name)+"ErrorRateHigh", fmt.Sprintf(`1 - sum(rate(te_request_success{%s}[5m])) / clamp_min(sum(rate(te_request_count{%s}[5m])), 1e-9) > 0.01`, sel, sel), "5m", "page",
				w.Workload+": more than 1% of embedding requests fail")
		default:
			continue
		}
		if vendor(a) == "nvidia" {
			add(camel(name)+"GPUMemoryNearFull", fmt.Sprintf(`max(DCGM_FI_DEV_FB_USED{%s} / (DCGM_FI_DEV_FB_USED{%s} + DCGM_FI_DEV_FB_FREE{%s})) > 0.98`, sel, sel, sel), "15m", "warning",
				w.Workload+": GPU memory above 98%")
			add(camel(name)+"GPUIdle", fmt.Sprintf(`avg(DCGM_FI_DEV_GPU_UTIL{%s}) < 10`, sel), "2h", "info",
				fmt.Sprintf("%s: GPUs mostly idle for 2 hours: the planned %s may be too many", w.Workload, search.Replicas(w.Choice.ReplicasMin, w.Choice.ReplicasMax)))
		}
		if len(g.Rules) > 0 {
			rf.Groups = append(rf.Groups, g)
		}
	}
	b, err := yaml.Marshal(rf)
	if err != nil {
		return File{}, nil, err
	}
	head := fmt.Sprintf("# Generated by aiplan for plan %q. Check with: promtool check rules prometheus/rules.yaml\n", untemplated(p.Name))
	return File{"prometheus/rules.yaml", append([]byte(head), b...)}, notes, nil
}

// promName is a metric name from the catalog as a PromQL selector name:
// names are [a-zA-Z_:][a-zA-Z0-9_:]*; anything else is refused upstream by
// the catalog, and replaced here so a bad entry cannot inject PromQL.
func promName(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '_', r == ':', i > 0 && r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

func camel(s string) string {
	out := []byte{}
	up := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '-' {
			up = true
			continue
		}
		if up && c >= 'a' && c <= 'z' {
			c -= 32
		}
		up = false
		out = append(out, c)
	}
	return string(out)
}

// untemplated keeps text from the workload file out of Prometheus' template
// engine, which evaluates alert labels and annotations: the delimiters
// "{{" and "}}" become "{ {" and "} }", and line breaks spaces.
func untemplated(s string) string {
	for strings.Contains(s, "{{") || strings.Contains(s, "}}") {
		s = strings.NewReplacer("{{", "{ {", "}}", "} }").Replace(s)
	}
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
}
