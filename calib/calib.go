package calib

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/aiplan-dev/aiplan/catalog"
	"github.com/aiplan-dev/aiplan/perf"
)

// ShareGPT mean lengths used for rows measured on the ShareGPT dataset
// without fixed lengths: 230,969 input and 194,523 output tokens over 1,000
// prompts in vLLM's benchmark_serving run of Llama-3.1-8B-Instruct.
const shareGPTInput, shareGPTOutput = 231, 195

// Row is one measurement; fields follow the calibration CSV columns.
type Row map[string]string

// Result is one row's prediction.
type Result struct {
	ID, Class, Metric string
	Measured          float64
	Predicted         float64
	Skipped           string // why the row is not supported
}

// APE is the absolute percentage error.
func (r Result) APE() float64 { return math.Abs(r.Predicted-r.Measured) / r.Measured * 100 }

// ReadCSV reads rows keyed by header.
func ReadCSV(rd io.Reader) ([]Row, error) {
	cr := csv.NewReader(rd)
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("read calibration csv: %w", err)
	}
	if len(recs) < 1 {
		return nil, fmt.Errorf("calibration csv is empty")
	}
	head := recs[0]
	need := []string{"id", "model", "hardware", "num_gpus", "metric", "value"}
	for _, n := range need {
		found := false
		for _, h := range head {
			if strings.TrimSpace(h) == n {
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("calibration csv: missing column %q (columns: id,model,hardware,num_gpus,tp,precision,engine,isl,osl,batch_or_concurrency,metric,value,...)", n)
		}
	}
	var rows []Row
	for i, rec := range recs[1:] {
		if len(rec) != len(head) {
			return nil, fmt.Errorf("calibration csv line %d: %d fields, header has %d", i+2, len(rec), len(head))
		}
		r := Row{}
		for j, h := range head {
			r[strings.TrimSpace(h)] = strings.TrimSpace(rec[j])
		}
		rows = append(rows, r)
	}
	return rows, nil
}

func num(s string) float64 {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return 0
	}
	return v
}

var parenRe = regexp.MustCompile(`\s*\(.*\)`)

func precisionOf(s string) catalog.Precision {
	s = strings.ToLower(s)
	switch {
	case strings.Contains(s, "fp8"):
		return catalog.FP8
	case strings.Contains(s, "fp16") && !strings.Contains(s, "bf16"):
		return catalog.FP16
	case strings.Contains(s, "fp4"):
		return catalog.FP4
	case strings.Contains(s, "int4"):
		return catalog.INT4
	}
	return catalog.BF16
}

func staticEngine(engine string) bool {
	e := strings.ToLower(engine)
	return strings.Contains(e, "static") || strings.Contains(e, "gptsessionbenchmark") || strings.Contains(e, "v0.5") || strings.Contains(e, "v0.7a")
}

// PredictInference predicts one inference row.
func PredictInference(c *catalog.Catalog, r Row) Result {
	res := Result{ID: r["id"], Metric: r["metric"], Measured: num(r["value"])}
	switch r["metric"] {
	case "output_tokens_per_sec", "output_tokens_per_sec_per_gpu", "total_tokens_per_sec":
		res.Class = "inference throughput"
	case "ttft_ms":
		res.Class = "TTFT"
	case "tpot_ms":
		res.Class = "TPOT"
	case "e2e_latency_ms":
		res.Class = "e2e latency"
	case "kv_cache_tokens", "weights_gb":
		res.Class = "memory"
	default:
		res.Skipped = "metric " + r["metric"] + " not predicted"
		return res
	}
	if res.Measured <= 0 {
		res.Skipped = "no measured value"
		return res
	}
	m, err := c.Model(r["model"])
	if err != nil {
		res.Skipped = err.Error()
		return res
	}
	a, err := c.Accelerator(parenRe.ReplaceAllString(r["hardware"], ""))
	if err != nil {
		res.Skipped = err.Error()
		return res
	}
	gpus := int(num(r["num_gpus"]))
	tp := int(num(r["tp"]))
	if tp == 0 {
		tp = 1
		if res.Class == "memory" || strings.Contains(r["id"], "sglang-ep") {
			tp = gpus
		}
	}
	prec := precisionOf(r["precision"])
	if strings.Contains(r["notes"], "FP8 weights") {
		prec = catalog.FP8
	}
	isl, osl := num(r["isl"]), num(r["osl"])
	if isl == 0 && osl == 0 && strings.Contains(r["notes"], "ShareGPT") {
		isl, osl = shareGPTInput, shareGPTOutput
	}
	batch := num(r["batch_or_concurrency"])
	in := perf.InferenceInput{Model: m, Accel: a, Eff: c.Efficiency, GPUs: gpus, TP: tp, EP: int(num(r["ep"])), Precision: prec, Quiet: true,
		InputTokens: math.Max(isl, 1), OutputTokens: math.Max(osl, 1), RequestRate: num(r["request_rate"])}
	if staticEngine(r["engine"]) {
		in.Batching = perf.Static
	}
	if batch > 0 {
		in.Concurrency = batch
	}
	if gpus == 0 || gpus%tp != 0 {
		in.GPUs = tp
	}
	// Rows that report a per-node figure of a larger deployment give the
	// deployment's size in system_gpus: predict it, then scale to the node.
	perNode := 1.0
	if sys := num(r["system_gpus"]); sys > float64(gpus) && gpus > 0 {
		in.GPUs = int(sys)
		perNode = float64(gpus) / sys
	}
	switch {
	case res.Class == "memory":
		in.InputTokens, in.OutputTokens = 1, 1
		p, err := perf.Inference(in)
		if err != nil {
			res.Skipped = err.Error()
			return res
		}
		if r["metric"] == "weights_gb" {
			res.Predicted = p.Memory.WeightsGB
		} else {
			res.Predicted = p.Memory.KVCapacityTokens
		}
		return res
	case strings.Contains(r["scenario"]+r["notes"], "PD disaggregation") && r["metric"] == "total_tokens_per_sec":
		// Prefill-only deployment: input tokens/s at the prompt length.
		res.Predicted = perf.PrefillThroughput(in, isl) * perNode
		return res
	case strings.Contains(r["scenario"]+r["notes"], "PD disaggregation"):
		// Decode-only deployment at the stated batch and KV length; with
		// data-parallel attention the batch is per attention rank.
		b := batch
		if in.EP > tp {
			b *= float64(in.EP / tp)
		}
		res.Predicted = perf.DecodeThroughput(in, b, isl) * perNode
		return res
	}
	if osl == 0 && res.Class != "TTFT" {
		res.Skipped = "output length not given"
		return res
	}
	p, err := perf.Inference(in)
	if err != nil {
		res.Skipped = err.Error()
		return res
	}
	if !p.Fits {
		res.Skipped = "does not fit: " + p.Reason
		return res
	}
	switch r["metric"] {
	case "output_tokens_per_sec":
		res.Predicted = p.OutputTokensPerSecond
	case "output_tokens_per_sec_per_gpu":
		res.Predicted = p.OutputTokensPerSecondPerGPU
	case "ttft_ms":
		res.Predicted = p.TTFTMs
	case "tpot_ms":
		res.Predicted = p.TPOTMs
	case "e2e_latency_ms":
		res.Predicted = p.E2ELatencyMs
	default:
		res.Skipped = "metric not predicted for this scenario"
	}
	return res
}

// PredictTraining predicts one training row.
func PredictTraining(c *catalog.Catalog, r Row) Result {
	res := Result{ID: r["id"], Metric: r["metric"], Measured: num(r["value"])}
	switch r["metric"] {
	case "tflops_per_gpu", "mfu", "tokens_per_sec_per_gpu":
		res.Class = "training throughput/MFU"
	case "gpu_hours":
		res.Class = "training GPU-hours"
	default:
		res.Skipped = "metric not predicted"
		return res
	}
	id := r["model_id"]
	if id == "" {
		id = r["model"]
	}
	m, err := c.Model(id)
	if err != nil {
		res.Skipped = err.Error()
		return res
	}
	hw := strings.TrimPrefix(parenRe.ReplaceAllString(r["hardware"], ""), "NVIDIA ")
	a, err := c.Accelerator(hw)
	if err != nil {
		res.Skipped = err.Error()
		return res
	}
	gpus := int(num(r["num_gpus"]))
	if gpus == 0 {
		res.Skipped = "GPU count not given"
		return res
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
	in := perf.TrainingInput{Model: m, Accel: a, Eff: c.Efficiency, GPUs: gpus, Tokens: tokens, SeqLen: seq, Precision: precisionOf(r["precision"]),
		Method: method, TP: int(num(r["tp"])), PP: int(num(r["pp"])), Zero: -1, Recompute: r["recompute"], GlobalBatch: int(num(r["global_batch"])), Quiet: true}
	if z := r["zero"]; z != "" {
		in.Zero = int(num(z))
	}
	if in.TP > 0 && in.PP == 0 {
		in.PP = 1
	}
	if in.TP > 0 && gpus%(in.TP*in.PP) != 0 {
		res.Skipped = "GPU count not a multiple of tp x pp"
		return res
	}
	p, err := perf.Training(in)
	if err != nil {
		res.Skipped = err.Error()
		return res
	}
	switch r["metric"] {
	case "tokens_per_sec_per_gpu":
		res.Predicted = p.TokensPerSecondPerGPU
	case "mfu":
		res.Predicted = p.MFU
	case "gpu_hours":
		res.Predicted = p.GPUHours
	case "tflops_per_gpu":
		// Megatron, MT-NLG, BLOOM and OPT count hardware FLOPs with
		// recomputation (Narayanan et al. eq. 3).
		res.Predicted = p.TokensPerSecondPerGPU * perf.MegatronFLOPsPerToken(m, seq) / 1e12
	}
	return res
}

// ClassStats is the error summary of one class.
type ClassStats struct {
	Class          string
	N              int
	MedianAPE, P90 float64
}

// GatedClasses are the classes the accuracy gate applies to, as the
// engine's contract names them; "training" pools throughput, MFU and
// GPU-hours rows. The finer classes are reported beside them.
var GatedClasses = map[string]bool{"training (all)": true, "inference throughput": true, "TTFT": true, "TPOT": true, "memory": true}

// Summarize groups results by class, adding the pooled "training (all)".
func Summarize(rs []Result) []ClassStats {
	by := map[string][]float64{}
	for _, r := range rs {
		if r.Skipped == "" {
			by[r.Class] = append(by[r.Class], r.APE())
			if strings.HasPrefix(r.Class, "training") {
				by["training (all)"] = append(by["training (all)"], r.APE())
			}
		}
	}
	var out []ClassStats
	for k, v := range by {
		sort.Float64s(v)
		out = append(out, ClassStats{Class: k, N: len(v), MedianAPE: quantile(v, 0.5), P90: quantile(v, 0.9)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Class < out[j].Class })
	return out
}

func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	pos := q * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	hi := int(math.Ceil(pos))
	return sorted[lo] + (sorted[hi]-sorted[lo])*(pos-float64(lo))
}

// Run predicts every row; training rows are recognised by a tokens_b column.
func Run(c *catalog.Catalog, rows []Row) []Result {
	out := make([]Result, 0, len(rows))
	for _, r := range rows {
		if _, ok := r["total_params_b"]; ok {
			out = append(out, PredictTraining(c, r))
		} else {
			out = append(out, PredictInference(c, r))
		}
	}
	return out
}
