package calib

import (
	"math"
	"strings"

	"github.com/aiplan-dev/aiplan/catalog"
	"github.com/aiplan-dev/aiplan/perf"
)

// Classes of prediction the accuracy report and the gates use.
const (
	ClassMaxThroughput  = "max throughput"
	ClassLoadThroughput = "throughput at a rate or batch"
	ClassTTFT           = "TTFT"
	ClassTPOT           = "TPOT"
	ClassE2E            = "e2e latency"
	ClassMemory         = "memory"
	ClassTraining       = "training throughput/MFU"
	ClassTrainingHours  = "training GPU-hours"
	ClassClassic        = "classic"
)

type kind int

const (
	kindInference kind = iota
	kindPrefill
	kindDecode
	kindMemory
	kindTraining
	kindClassic
)

// Sample is a calibration row resolved against the catalog once, so that a
// fit or a cross-validation fold predicts it without parsing or lookups.
type Sample struct {
	ID, Class, Metric string
	// Groups for cross-validation.
	Source, Accel, Model string
	// Engine is the engine family the row was measured with (empty for
	// training and classic rows) and EngineVersion its version.
	Engine, EngineVersion string
	Measured              float64
	Skipped               string

	kind      kind
	inf       perf.InferenceInput
	train     perf.TrainingInput
	cls       perf.ClassicInput
	scale     float64 // per-node share of a larger deployment
	decodeB   float64
	ctx       float64
	megatron  float64 // hardware FLOPs per token (tflops_per_gpu rows)
	precision catalog.Precision
}

// SourceOf is the publication a row comes from: its id without the row
// number (trt017-123 -> trt017; trtblog-h200-01 -> trtblog-h200;
// dle-rn50-007 -> dle-rn50; megatron2021-t1-1.7b -> megatron2021).
func SourceOf(id string) string {
	parts := strings.Split(id, "-")
	if len(parts) == 1 {
		return id
	}
	switch parts[0] {
	case "trtblog", "dle":
		return parts[0] + "-" + parts[1]
	case "megatron":
		return "megatron-readme"
	}
	return parts[0]
}

// Prepare resolves rows against c. Inference rows name a metric among the
// serving metrics, training rows carry total_params_b, classic rows
// samples_per_sec or latency_ms.
func Prepare(c *catalog.Catalog, rows []Row) []Sample {
	out := make([]Sample, 0, len(rows))
	for _, r := range rows {
		var s Sample
		switch {
		case r.has("total_params_b"):
			s = prepareTraining(c, r)
		case r["metric"] == "samples_per_sec" || r["metric"] == "latency_ms":
			s = prepareClassic(c, r)
		default:
			s = prepareInference(c, r)
		}
		s.Source = SourceOf(s.ID)
		out = append(out, s)
	}
	return out
}

func (r Row) has(k string) bool { _, ok := r[k]; return ok }

func prepareInference(c *catalog.Catalog, r Row) Sample {
	s := Sample{ID: r["id"], Metric: r["metric"], Measured: num(r["value"]), scale: 1, Engine: r["engine_id"], EngineVersion: r["engine_version"]}
	s.Model, s.Accel = r["model"], parenRe.ReplaceAllString(r["hardware"], "")
	rate := num(r["request_rate"])
	batch := num(r["batch_or_concurrency"])
	scen := strings.ToLower(r["scenario"])
	switch r["metric"] {
	case "output_tokens_per_sec", "output_tokens_per_sec_per_gpu", "total_tokens_per_sec":
		s.Class = ClassMaxThroughput
		if rate > 0 || (batch > 0 && !strings.Contains(scen, "max") && !strings.Contains(scen, "peak")) {
			s.Class = ClassLoadThroughput
		}
	case "ttft_ms":
		s.Class = ClassTTFT
	case "tpot_ms":
		s.Class = ClassTPOT
	case "e2e_latency_ms":
		s.Class = ClassE2E
	case "kv_cache_tokens", "weights_gb":
		s.Class = ClassMemory
	default:
		s.Skipped = "metric " + r["metric"] + " not predicted"
		return s
	}
	if s.Measured <= 0 {
		s.Skipped = "no measured value"
		return s
	}
	m, err := c.Model(r["model"])
	if err != nil {
		s.Skipped = err.Error()
		return s
	}
	a, err := c.Accelerator(s.Accel)
	if err != nil {
		s.Skipped = err.Error()
		return s
	}
	s.Model, s.Accel = m.ID, a.ID
	if s.Engine != "" {
		s.Engine = catalog.EngineKey(s.Engine, a.Vendor)
	}
	gpus := int(num(r["num_gpus"]))
	tp := int(num(r["tp"]))
	pp := int(num(r["pp"]))
	if pp == 0 {
		pp = 1
	}
	if tp == 0 {
		tp = 1
		if s.Class == ClassMemory {
			tp = gpus
		}
	}
	prec := precisionOf(r["precision"])
	if strings.Contains(r["notes"], "FP8 weights") {
		prec = catalog.FP8
	}
	s.precision = prec
	isl, osl := num(r["isl"]), num(r["osl"])
	if isl == 0 && osl == 0 && strings.Contains(r["notes"], "ShareGPT") {
		isl, osl = shareGPTInput, shareGPTOutput
	}
	in := perf.InferenceInput{Model: m, Accel: a, GPUs: gpus, TP: tp, PP: pp, EP: int(num(r["ep"])), Precision: prec, Quiet: true,
		InputTokens: math.Max(isl, 1), OutputTokens: math.Max(osl, 1), RequestRate: rate, Engine: r["engine_id"]}
	if staticEngine(r["engine"]) || strings.Contains(scen, "static batch") {
		in.Batching = perf.Static
	}
	switch {
	case batch > 0 && in.Batching != perf.Static && (strings.Contains(scen, "max throughput") || strings.Contains(scen, "max num seqs")):
		// An offline run at a stated batch is the engine's cap on running
		// sequences (vLLM --max-num-seqs, the Gaudi batch size), not a
		// closed-loop concurrency.
		in.MaxBatch = batch
	case batch > 0:
		in.Concurrency = batch
	case in.Batching != perf.Static && strings.Contains(strings.ToLower(r["engine"]), "trtllm-bench"):
		in.MaxBatch = trtllmBenchMaxBatch(in.InputTokens, in.OutputTokens, pp)
	}
	if gpus == 0 || gpus%(tp*pp) != 0 {
		in.GPUs = tp * pp
	}
	// Rows that report a per-node figure of a larger deployment give the
	// deployment's size in system_gpus: predict it, then scale to the node.
	if sys := num(r["system_gpus"]); sys > float64(gpus) && gpus > 0 {
		in.GPUs = int(sys)
		s.scale = float64(gpus) / sys
	}
	if in.Batching == perf.Static && in.Concurrency > 0 && in.GPUs > 0 {
		// A static batch is the engine instance's: every replica runs it
		// (perf's concurrency is the whole system's requests in flight).
		in.Concurrency *= float64(in.GPUs / in.ReplicaGPUs())
	}
	switch {
	case s.Class == ClassMemory:
		in.InputTokens, in.OutputTokens = 1, 1
		s.kind = kindMemory
	case strings.Contains(r["scenario"]+r["notes"], "PD disaggregation") && r["metric"] == "total_tokens_per_sec":
		s.kind, s.ctx = kindPrefill, isl
	case strings.Contains(r["scenario"]+r["notes"], "PD disaggregation"):
		// Decode-only at the stated batch and KV length; with data-parallel
		// attention the batch is per attention rank.
		s.kind, s.ctx, s.decodeB = kindDecode, isl, batch
		if in.EP > tp {
			s.decodeB *= float64(in.EP / tp)
		}
	default:
		if osl == 0 && s.Class != ClassTTFT {
			s.Skipped = "output length not given"
			return s
		}
	}
	s.inf = in
	return s
}

func prepareTraining(c *catalog.Catalog, r Row) Sample {
	s := Sample{ID: r["id"], Metric: r["metric"], Measured: num(r["value"])}
	s.Model, s.Accel = r["model"], r["hardware"]
	switch r["metric"] {
	case "tflops_per_gpu", "mfu", "tokens_per_sec_per_gpu":
		s.Class = ClassTraining
	case "gpu_hours":
		s.Class = ClassTrainingHours
	default:
		s.Skipped = "metric not predicted"
		return s
	}
	m, err := rowModel(c, r)
	if err != nil {
		s.Skipped = err.Error()
		return s
	}
	hw := strings.TrimPrefix(parenRe.ReplaceAllString(r["hardware"], ""), "NVIDIA ")
	a, err := c.Accelerator(hw)
	if err != nil {
		s.Skipped = err.Error()
		return s
	}
	s.Model, s.Accel = m.ID, a.ID
	gpus := int(num(r["num_gpus"]))
	if gpus == 0 {
		s.Skipped = "GPU count not given"
		return s
	}
	seq := int(num(r["seq_len"]))
	if seq == 0 {
		seq = 2048
	}
	tokens := num(r["tokens_b"]) * 1e9
	if tokens == 0 {
		tokens = 1e9
	}
	method := perf.Pretrain
	if strings.Contains(strings.ToLower(r["model"]), "lora") {
		method = perf.LoRA
	}
	in := perf.TrainingInput{Model: m, Accel: a, GPUs: gpus, Tokens: tokens, SeqLen: seq, Precision: precisionOf(r["precision"]),
		Method: method, TP: int(num(r["tp"])), PP: int(num(r["pp"])), Zero: -1, Recompute: r["recompute"], GlobalBatch: int(num(r["global_batch"])), Quiet: true}
	if z := r["zero"]; z != "" {
		in.Zero = int(num(z))
	}
	if in.TP > 0 && in.PP == 0 {
		in.PP = 1
	}
	if in.TP > 0 && gpus%(in.TP*in.PP) != 0 {
		s.Skipped = "GPU count not a multiple of tp x pp"
		return s
	}
	s.precision = in.Precision
	s.train = in
	s.kind = kindTraining
	if r["metric"] == "tflops_per_gpu" {
		// Megatron, MT-NLG, BLOOM and OPT count hardware FLOPs with
		// recomputation (Narayanan et al. eq. 3).
		s.megatron = perf.MegatronFLOPsPerToken(m, seq)
	}
	return s
}

// Predict is the engine's figure for the sample under efficiency e (0 when
// the configuration is not predictable, e.g. it does not fit).
func (s *Sample) Predict(e *catalog.Efficiency) (float64, string) {
	switch s.kind {
	case kindTraining:
		in := s.train
		in.Eff = e
		p, err := perf.Training(in)
		if err != nil {
			return 0, err.Error()
		}
		switch s.Metric {
		case "tokens_per_sec_per_gpu":
			return p.TokensPerSecondPerGPU, ""
		case "mfu":
			return p.MFU, ""
		case "gpu_hours":
			return p.GPUHours, ""
		case "tflops_per_gpu":
			return p.TokensPerSecondPerGPU * s.megatron / 1e12, ""
		}
		return 0, "metric not predicted"
	case kindClassic:
		return s.predictClassic(e)
	}
	in := s.inf
	in.Eff = e
	switch s.kind {
	case kindPrefill:
		return perf.PrefillThroughput(in, s.ctx) * s.scale, ""
	case kindDecode:
		return perf.DecodeThroughput(in, s.decodeB, s.ctx) * s.scale, ""
	}
	p, err := perf.Inference(in)
	if err != nil {
		return 0, err.Error()
	}
	if s.kind == kindMemory {
		if s.Metric == "weights_gb" {
			return p.Memory.WeightsGiB, ""
		}
		return p.Memory.KVCapacityTokens, ""
	}
	if !p.Fits {
		return 0, "does not fit: " + p.Reason
	}
	switch s.Metric {
	case "output_tokens_per_sec":
		return p.OutputTokensPerSecond * s.scale, ""
	case "output_tokens_per_sec_per_gpu":
		return p.OutputTokensPerSecondPerGPU, ""
	case "ttft_ms":
		return p.TTFTMs, ""
	case "tpot_ms":
		return p.TPOTMs, ""
	case "e2e_latency_ms":
		return p.E2ELatencyMs, ""
	}
	return 0, "metric not predicted for this scenario"
}

// Evaluate predicts every sample under e.
func Evaluate(samples []Sample, e *catalog.Efficiency) []Result {
	out := make([]Result, len(samples))
	for i := range samples {
		s := &samples[i]
		r := Result{ID: s.ID, Class: s.Class, Metric: s.Metric, Measured: s.Measured, Skipped: s.Skipped, Source: s.Source, Engine: s.Engine}
		if r.Skipped == "" {
			r.Predicted, r.Skipped = s.Predict(e)
			if r.Skipped == "" && !(r.Predicted > 0) {
				r.Skipped = "no prediction"
			}
		}
		out[i] = r
	}
	return out
}

// rowModel resolves a row's model: its catalog id (model_id) where the row
// names one, else the published model name.
func rowModel(c *catalog.Catalog, r Row) (*catalog.Model, error) {
	if id := r["model_id"]; id != "" {
		return c.Model(id)
	}
	return c.Model(r["model"])
}

// trtllmBenchMaxBatch is the cap on running requests that trtllm-bench
// configures for an offline throughput run when none is given
// (tensorrt_llm/bench/build/tuning.py, finetune_setting, the same rule in
// every revision read): at most 4096 requests over pp pipeline stages
// (4096/pp per stage), and at most 32768 tokens per iteration, which in
// steady state carries one decode token per request plus isl/osl prefill
// tokens per request. The engine's KV-cache capacity caps the batch further.
func trtllmBenchMaxBatch(isl, osl float64, pp int) float64 {
	return math.Floor(math.Min(4096/float64(max(pp, 1)), 32768/(1+isl/osl)))
}
