package spec

import (
	"fmt"
	"math"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"github.com/aiplan-dev/aiplan/catalog"
	"github.com/aiplan-dev/aiplan/diag"
)

// hfRepo is a Hugging Face repository id: org/name of letters, digits, '.', '_' and '-'.
var hfRepo = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$`)

// Workload types.
const (
	LLMInference   = "llm-inference"
	BatchInference = "batch-inference"
	Training       = "training"
	FineTuning     = "fine-tuning"
	Embeddings     = "embeddings"
	Inference      = "inference"
	Edge           = "edge"
	DataPipeline   = "data-pipeline"
)

// WorkloadTypes lists the valid types.
var WorkloadTypes = []string{LLMInference, BatchInference, Training, FineTuning, Embeddings, Inference, Edge, DataPipeline}

// PricingModes lists the valid pricing modes.
var PricingModes = []string{"on-demand", "spot", "reserved-1y", "reserved-3y", "serverless", "managed-platform", "on-prem", "api"}

// Regimes lists the valid compliance regimes.
var Regimes = []string{"gdpr", "hipaa", "soc2", "iso42001", "nist-ai-rmf", "eu-ai-act:minimal", "eu-ai-act:limited-risk", "eu-ai-act:high-risk", "eu-ai-act:gpai"}

// DailyProfiles are the named traffic shapes.
var DailyProfiles = []string{"flat", "business-hours", "consumer", "batch-night"}

type validator struct {
	p     *Parsed
	c     *catalog.Catalog
	diags diag.Diagnostics
}

func (v *validator) add(sev diag.Severity, path, summary string, value any, allowed string) {
	l, col := v.p.Position(path)
	val := ""
	if value != nil {
		val = fmt.Sprint(value)
	}
	v.diags = append(v.diags, diag.Diagnostic{Severity: sev, File: v.p.Name, Line: l, Col: col, Path: path, Summary: summary, Value: val, Allowed: allowed})
}

func (v *validator) err(path, summary string, value any, allowed string) {
	v.add(diag.Error, path, summary, value, allowed)
}

func (v *validator) rangeCheck(path string, x, lo, hi float64, required bool) {
	switch {
	case x == 0 && required:
		v.err(path, "is required", nil, fmt.Sprintf("a number in [%g, %g]", lo, hi))
	case x < 0 && lo >= 0:
		// reported by checkText for every field
	case x != 0 && (math.IsNaN(x) || x < lo || x > hi):
		v.err(path, "out of range", x, fmt.Sprintf("a number in [%g, %g]", lo, hi))
	}
}

func oneOf(s string, allowed []string) bool {
	for _, a := range allowed {
		if s == a {
			return true
		}
	}
	return false
}

// Validate checks values and catalog references and fills defaults. It
// returns every problem found, errors and warnings.
func Validate(p *Parsed, c *catalog.Catalog) diag.Diagnostics {
	v := &validator{p: p, c: c}
	f := p.File
	if f.APIVersion != APIVersion {
		v.err("apiVersion", "unsupported apiVersion", quote(f.APIVersion), APIVersion)
	}
	if f.Kind != Kind {
		v.err("kind", "unsupported kind", quote(f.Kind), Kind)
	}
	if strings.TrimSpace(f.Metadata.Name) == "" {
		v.err("metadata.name", "is required", nil, "a plan name")
	}
	v.rangeCheck("metadata.teamSize", float64(f.Metadata.TeamSize), 0, 100000, false)
	v.planDate(&f.Metadata)
	v.constraints(&f.Constraints)
	if len(f.Workloads) == 0 {
		v.err("workloads", "at least one workload is required", nil, strings.Join(WorkloadTypes, ", "))
	}
	if len(f.Workloads) > 10000 {
		v.err("workloads", "too many workloads", len(f.Workloads), "at most 10,000")
	}
	v.names(f)
	v.checkText(reflect.ValueOf(f).Elem(), "", "")
	for i := range f.Workloads {
		v.workload(&f.Workloads[i], fmt.Sprintf("workloads[%d]", i))
	}
	v.diags.Sort()
	return v.diags
}

func quote(s string) string { return fmt.Sprintf("%q", s) }

func (v *validator) constraints(k *Constraints) {
	v.rangeCheck("constraints.budgetUSDPerMonth", k.BudgetUSDPerMonth, 0, 1e10, false)
	v.rangeCheck("constraints.maxGPUs", float64(k.MaxGPUs), 0, 1e6, false)
	clouds := v.c.Clouds()
	for i, cl := range k.Clouds {
		if !oneOf(cl, clouds) {
			v.err(fmt.Sprintf("constraints.clouds[%d]", i), "unknown cloud", quote(cl), strings.Join(clouds, ", "))
		}
	}
	var regions []string
	for _, r := range v.c.Regions {
		regions = append(regions, r.ID)
	}
	onpremRegions := map[string]bool{}
	for _, o := range k.OnPrem {
		if o.Region != "" {
			onpremRegions[o.Region] = true
		}
	}
	for i, r := range k.Regions {
		if _, ok := v.c.Region(r); !ok && !onpremRegions[r] {
			v.err(fmt.Sprintf("constraints.regions[%d]", i), "unknown region", quote(r), strings.Join(regions, ", "))
		}
	}
	if k.Residency != "" && !oneOf(k.Residency, []string{"eu", "us", "any"}) {
		v.err("constraints.residency", "unknown residency", quote(k.Residency), "eu, us, any")
	}
	if k.Residency != "" && k.Residency != "any" {
		for i, r := range k.Regions {
			if reg, ok := v.c.Region(r); ok && reg.Jurisdiction != k.Residency {
				v.err(fmt.Sprintf("constraints.regions[%d]", i), fmt.Sprintf("region is in jurisdiction %q, outside the residency %q", reg.Jurisdiction, k.Residency), quote(r), "regions in "+k.Residency)
			}
		}
	}
	for i, m := range k.Pricing {
		if !oneOf(m, PricingModes) {
			v.err(fmt.Sprintf("constraints.pricing[%d]", i), "unknown pricing mode", quote(m), strings.Join(PricingModes, ", "))
		}
	}
	for i, r := range k.Compliance {
		if !oneOf(strings.ToLower(r), Regimes) {
			v.err(fmt.Sprintf("constraints.compliance[%d]", i), "unknown compliance regime", quote(r), strings.Join(Regimes, ", "))
		}
	}
	for i := range k.OnPrem {
		o := &k.OnPrem[i]
		path := fmt.Sprintf("constraints.onPrem[%d]", i)
		if a, err := v.c.Accelerator(o.Accelerator); err != nil {
			v.err(path+".accelerator", err.Error(), nil, "")
		} else {
			o.Accelerator = a.ID
		}
		v.rangeCheck(path+".count", float64(o.Count), 1, 1e6, true)
		v.rangeCheck(path+".usdPerKWh", o.USDPerKWh, 0, 10, false)
		v.rangeCheck(path+".pue", o.PUE, 1, 3, false)
		v.rangeCheck(path+".capexUSD", o.CapexUSD, 0, 1e11, false)
		v.rangeCheck(path+".amortizationYears", o.AmortizationYears, 0.5, 15, false)
		v.rangeCheck(path+".opsUSDPerMonth", o.OpsUSDPerMonth, 0, 1e9, false)
		if o.Name == "" {
			o.Name = fmt.Sprintf("onprem-%d", i)
		}
	}
	for i := range k.Commitments {
		cm := &k.Commitments[i]
		path := fmt.Sprintf("constraints.commitments[%d]", i)
		in, err := v.c.Instance(cm.ID())
		if err != nil {
			v.err(path, "unknown committed instance (cloud/instanceType/region)", quote(cm.ID()), "an instance id from `aiplan catalog list instances`")
		} else {
			cm.Cloud, cm.InstanceType, cm.Region = in.Cloud, in.InstanceType, in.Region
		}
		v.rangeCheck(path+".count", float64(cm.Count), 1, 1e5, true)
		v.rangeCheck(path+".usdPerHour", cm.USDPerHour, 0, 1e4, false)
	}
	keys := make([]string, 0, len(k.Discounts))
	for cl := range k.Discounts {
		keys = append(keys, cl)
	}
	sort.Strings(keys)
	for _, cl := range keys {
		if !oneOf(cl, clouds) {
			v.err("constraints.discounts."+cl, "unknown cloud", quote(cl), strings.Join(clouds, ", "))
		}
		v.rangeCheck("constraints.discounts."+cl, k.Discounts[cl], 0, 0.95, false)
	}
	if hasRegime(k.Compliance, "gdpr") && k.Residency != "eu" {
		v.add(diag.Warning, "constraints.residency", "GDPR without EU residency: transfers outside the EU need standard contractual clauses and a transfer impact assessment", nil, "set residency: eu to keep data in the EU")
	}
}

func hasRegime(list []string, r string) bool {
	for _, x := range list {
		if strings.EqualFold(x, r) {
			return true
		}
	}
	return false
}

func (v *validator) model(w *Workload, path string, wantLLM bool) *catalog.Model {
	if w.Model == nil || (w.Model.ID == "" && w.Model.FlopsPerSample == 0) {
		v.err(path+".model", "is required", nil, "a catalog model id (aiplan catalog list models)")
		return nil
	}
	if w.Model.ID == "" {
		if wantLLM {
			v.err(path+".model", "an inline model description is only allowed for classic inference", nil, "a catalog LLM id")
		}
		v.rangeCheck(path+".model.flopsPerSample", w.Model.FlopsPerSample, 1, 1e16, true)
		v.rangeCheck(path+".model.paramsM", w.Model.ParamsM, 0, 1e7, false)
		v.rangeCheck(path+".model.bytesPerSample", w.Model.BytesPerSample, 0, 1e12, false)
		return nil
	}
	m, err := v.c.Model(w.Model.ID)
	if err != nil {
		v.err(path+".model", err.Error(), nil, "")
		return nil
	}
	if wantLLM && !m.IsLLM() {
		v.err(path+".model", "this workload type needs an LLM", quote(w.Model.ID), "an LLM id such as llama-3.1-8b")
	}
	if !wantLLM && m.IsLLM() && w.Type != Edge {
		v.err(path+".model", "this workload type needs a classic model", quote(w.Model.ID), "resnet-50, bert-large, dlrm-v2, xgboost-scorer, ...")
	}
	if hfRepo.MatchString(w.Model.ID) {
		w.Model.Repo = w.Model.ID // the exact weights named, e.g. an -Instruct variant
	}
	w.Model.ID = m.ID
	return m
}

func (v *validator) traffic(w *Workload, path string, needTokens bool) {
	t := w.Traffic
	if t == nil {
		v.err(path+".traffic", "is required", nil, "peakRequestsPerSecond and, for LLMs, inputTokens and outputTokens")
		w.Traffic = &Traffic{}
		return
	}
	if w.Type != BatchInference {
		v.rangeCheck(path+".traffic.peakRequestsPerSecond", t.PeakRequestsPerSecond, 1e-6, 1e7, true)
	}
	if needTokens {
		v.rangeCheck(path+".traffic.inputTokens", t.InputTokens, 1, 2e6, true)
		v.rangeCheck(path+".traffic.outputTokens", t.OutputTokens, 1, 1e6, true)
	}
	if t.DailyProfile != "" && !oneOf(t.DailyProfile, DailyProfiles) {
		v.err(path+".traffic.dailyProfile", "unknown profile", quote(t.DailyProfile), strings.Join(DailyProfiles, ", ")+" (or give hourly: 24 numbers)")
	}
	if t.Hourly != nil {
		if len(t.Hourly) != 24 {
			v.err(path+".traffic.hourly", "needs 24 values, one per hour", len(t.Hourly), "24 numbers in [0, 1] (fraction of peak)")
		}
		for i, x := range t.Hourly {
			if x < 0 || x > 1 {
				v.err(fmt.Sprintf("%s.traffic.hourly[%d]", path, i), "out of range", x, "a fraction of peak in [0, 1]")
			}
		}
	}
	v.rangeCheck(path+".traffic.workingDaysPerWeek", t.WorkingDaysPerWeek, 1, 7, false)
}

// context refuses requests longer than the model's context window: the
// prompt and the generated tokens share it.
func (v *validator) context(w *Workload, m *catalog.Model, path string) {
	t := w.Traffic
	if m == nil || t == nil || m.MaxContext <= 0 || t.InputTokens+t.OutputTokens <= float64(m.MaxContext) {
		return
	}
	v.err(path+".traffic.inputTokens", fmt.Sprintf("with outputTokens %v exceeds the %d-token context of %s", t.OutputTokens, m.MaxContext, m.ID),
		t.InputTokens, fmt.Sprintf("inputTokens + outputTokens at most %d", m.MaxContext))
}

func (v *validator) workload(w *Workload, path string) {
	if !oneOf(w.Type, WorkloadTypes) {
		v.err(path+".type", "unknown workload type", quote(w.Type), strings.Join(WorkloadTypes, ", "))
		return
	}
	for i, p := range w.Precision {
		if pp, ok := catalog.ParsePrecision(p); !ok {
			v.err(fmt.Sprintf("%s.precision[%d]", path, i), "unknown precision", quote(p), "fp32, bf16, fp16, fp8, int8, int4, fp4")
		} else {
			w.Precision[i] = string(pp)
		}
	}
	for i, a := range w.Accelerators {
		if a == "cpu" {
			if w.Type != Inference {
				// Only classic inference is searched on CPU instances: the
				// plan rejected every candidate with an unrelated reason.
				v.err(fmt.Sprintf("%s.accelerators[%d]", path, i), "CPU instances are planned for type inference (classic models) only; this workload type needs an accelerator", quote(a), "accelerator ids such as l4, h100-sxm, tpu-v6e (aiplan catalog list accelerators)")
			}
			continue
		}
		if acc, err := v.c.Accelerator(a); err != nil {
			v.err(fmt.Sprintf("%s.accelerators[%d]", path, i), err.Error(), nil, "")
		} else {
			w.Accelerators[i] = acc.ID
		}
	}
	if w.SLO != nil {
		v.rangeCheck(path+".slo.ttftP99Ms", w.SLO.TTFTP99Ms, 1, 3.6e6, false)
		v.rangeCheck(path+".slo.tpotP99Ms", w.SLO.TPOTP99Ms, 0.1, 1e5, false)
		v.rangeCheck(path+".slo.e2eP99Ms", w.SLO.E2EP99Ms, 1, 3.6e7, false)
		v.rangeCheck(path+".slo.latencyP99Ms", w.SLO.LatencyP99Ms, 0.01, 3.6e6, false)
	}
	if a := w.Autoscaling; a != nil {
		v.rangeCheck(path+".autoscaling.minReplicas", float64(a.MinReplicas), 0, 1e5, false)
		v.rangeCheck(path+".autoscaling.maxReplicas", float64(a.MaxReplicas), 0, 1e5, false)
		if a.MaxReplicas > 0 && a.MinReplicas > a.MaxReplicas {
			v.err(path+".autoscaling.minReplicas", "exceeds maxReplicas", a.MinReplicas, fmt.Sprintf("at most %d", a.MaxReplicas))
		}
		v.rangeCheck(path+".autoscaling.scaleUpDelayMinutes", a.ScaleUpDelayMinutes, 0, 120, false)
	}
	v.governance(w, path)
	v.rangeCheck(path+".maxGPUs", float64(w.MaxGPUs), 0, 1e6, false)
	switch w.Type {
	case LLMInference:
		m := v.model(w, path, true)
		v.traffic(w, path, true)
		v.context(w, m, path)
	case BatchInference:
		m := v.model(w, path, true)
		v.rangeCheck(path+".requestsPerDay", w.RequestsPerDay, 1, 1e11, true)
		v.rangeCheck(path+".deadlineHours", w.DeadlineHours, 0.1, 744, false)
		if w.Traffic == nil {
			v.err(path+".traffic", "is required for token lengths", nil, "inputTokens and outputTokens")
		} else {
			v.traffic(w, path, true)
			v.context(w, m, path)
		}
	case Training, FineTuning:
		m := v.model(w, path, true)
		if w.Method == "" {
			w.Method = "pretrain"
			if w.Type == FineTuning {
				w.Method = "lora"
			}
		}
		if !oneOf(w.Method, []string{"pretrain", "full", "lora", "qlora"}) {
			v.err(path+".method", "unknown method", quote(w.Method), "pretrain, full, lora, qlora")
		}
		if w.Tokens == 0 && w.DatasetTokens == 0 {
			v.err(path+".tokens", "give tokens, or datasetTokens and epochs", nil, "a token count such as 3e9 or 2T")
		}
		v.rangeCheck(path+".tokens", w.Tokens, 1e3, 1e16, false)
		v.rangeCheck(path+".datasetTokens", w.DatasetTokens, 1e3, 1e16, false)
		v.rangeCheck(path+".epochs", w.Epochs, 0.01, 1000, false)
		v.rangeCheck(path+".deadlineHours", w.DeadlineHours, 0.1, 24*366, false)
		if w.Schedule == "" {
			w.Schedule = "once"
		}
		if !oneOf(w.Schedule, []string{"once", "daily", "weekly", "monthly"}) {
			v.err(path+".schedule", "unknown schedule", quote(w.Schedule), "once, daily, weekly, monthly")
		}
		if m != nil && w.SeqLen > 0 && m.MaxContext > 0 && w.SeqLen > m.MaxContext {
			v.err(path+".seqLen", "exceeds the model's context", w.SeqLen, fmt.Sprintf("at most %d", m.MaxContext))
		}
		v.rangeCheck(path+".seqLen", float64(w.SeqLen), 1, 1e7, false)
	case Embeddings:
		if w.Model == nil {
			w.Model = &ModelRef{ID: "bge-large-en"}
		}
		m := v.model(w, path, false)
		v.rangeCheck(path+".documents", w.Documents, 1, 1e12, true)
		v.rangeCheck(path+".tokensPerDocument", w.TokensPerDocument, 1, 1e6, false)
		v.rangeCheck(path+".queriesPerSecond", w.QueriesPerSecond, 0, 1e7, false)
		v.rangeCheck(path+".reindexPerMonth", w.ReindexPerMonth, 0, 1000, false)
		if w.VectorDim == 0 && m != nil {
			w.VectorDim = m.EmbeddingDim
		}
		v.rangeCheck(path+".vectorDim", float64(w.VectorDim), 1, 65536, true)
	case Inference:
		v.model(w, path, false)
		v.traffic(w, path, false)
	case Edge:
		v.model(w, path, false)
		if w.Device == "" {
			v.err(path+".device", "is required", nil, "an edge accelerator id such as jetson-agx-orin or jetson-orin-nano")
		} else if a, err := v.c.Accelerator(w.Device); err != nil {
			v.err(path+".device", err.Error(), nil, "")
		} else {
			w.Device = a.ID
		}
	case DataPipeline:
		v.rangeCheck(path+".ingestGBPerDay", w.IngestGBPerDay, 1e-6, 1e8, true)
		v.rangeCheck(path+".retentionDays", w.RetentionDays, 0, 36500, false)
		if o := w.OnlineFeatures; o != nil {
			v.rangeCheck(path+".onlineFeatures.keys", o.Keys, 1, 1e13, true)
			v.rangeCheck(path+".onlineFeatures.bytesPerKey", o.BytesPerKey, 1, 1e7, false)
			v.rangeCheck(path+".onlineFeatures.qps", o.QPS, 0, 1e8, false)
		}
	}
}

// Load parses and validates a file; it returns the diagnostics (errors
// and warnings) and the file when there are no errors.
func Load(b []byte, name string, c *catalog.Catalog) (*File, diag.Diagnostics) {
	p, ds := Parse(b, name)
	if p == nil {
		return nil, ds
	}
	// Validate what decoded, skipping fields that already have a type error.
	bad := map[string]bool{}
	for _, d := range ds {
		bad[d.Path] = true
	}
	for _, d := range Validate(p, c) {
		if !bad[d.Path] {
			ds = append(ds, d)
		}
	}
	ds.Sort()
	if len(ds) > MaxDiagnostics {
		n := len(ds) - MaxDiagnostics
		ds = append(ds[:MaxDiagnostics:MaxDiagnostics], diag.Diagnostic{Severity: diag.Error, File: name, Summary: fmt.Sprintf("and %d more problems", n)})
	}
	if ds.HasErrors() {
		return nil, ds
	}
	return p.File, ds
}
