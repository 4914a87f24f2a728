package main

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/aiplan-dev/aiplan/catalog"
	"github.com/aiplan-dev/aiplan/perf"
	"github.com/spf13/cobra"
)

// parseCount accepts plain numbers, exponents and suffixes: 2e12, 2T, 300B, 1.5M, 20k.
func parseCount(s string) (float64, error) {
	t := strings.TrimSpace(strings.ReplaceAll(s, "_", ""))
	mult := 1.0
	if n := len(t); n > 0 {
		switch t[n-1] {
		case 'k', 'K':
			mult, t = 1e3, t[:n-1]
		case 'm', 'M':
			mult, t = 1e6, t[:n-1]
		case 'b', 'B', 'g', 'G':
			mult, t = 1e9, t[:n-1]
		case 't', 'T':
			mult, t = 1e12, t[:n-1]
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 {
		return 0, fmt.Errorf("%q is not a positive count (examples: 2e12, 2T, 300B, 1.5M)", s)
	}
	return v * mult, nil
}

func parsePrecision(flag, s string) (catalog.Precision, error) {
	if s == "" {
		return "", nil
	}
	p, ok := catalog.ParsePrecision(s)
	if !ok {
		return "", usage("--%s %q: allowed: fp32, bf16, fp16, fp8, int8, int4, fp4", flag, s)
	}
	return p, nil
}

func newEstimateCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "estimate", Short: "Predict memory, speed and time for one model on one accelerator"}
	cmd.AddCommand(newEstimateInferenceCmd(), newEstimateTrainingCmd())
	return cmd
}

type inferenceFlags struct {
	model, accel, prec, kvPrec, out, batching string
	engine, runtime                           string
	overlays                                  []string
	gpus, tp, pp, ep, batch                   int
	input, output, conc, rate, maxBatch       float64
}

func newEstimateInferenceCmd() *cobra.Command {
	var f inferenceFlags
	cmd := &cobra.Command{
		Use:   "inference",
		Short: "Serving throughput, TTFT/TPOT latency and memory for an LLM or a classic model",
		Example: `  aiplan estimate inference --model llama-3.1-70b --accelerator h100-sxm --tp 4 --precision fp8 --input-tokens 2048 --output-tokens 256
  aiplan estimate inference --model llama-3.1-8b --accelerator l40s --input-tokens 1000 --output-tokens 200 --request-rate 5 -o json
  aiplan estimate inference --model resnet-50 --accelerator l4 --batch 32`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runEstimateInference(cmd, &f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.model, "model", "", "model id (e.g. llama-3.1-70b, meta-llama/Llama-3.1-70B-Instruct, resnet-50)")
	fl.StringVar(&f.accel, "accelerator", "", "accelerator id (e.g. h100-sxm, l40s, mi300x)")
	fl.IntVar(&f.gpus, "gpus", 0, "total GPUs; GPUs beyond one tp x pp replica are data-parallel replicas (default tp x pp)")
	fl.IntVar(&f.tp, "tp", 1, "tensor-parallel degree")
	fl.IntVar(&f.pp, "pp", 1, "pipeline-parallel degree")
	fl.IntVar(&f.ep, "ep", 1, "expert-parallel degree (MoE)")
	fl.StringVar(&f.prec, "precision", "", "weight precision: fp32, bf16, fp16, fp8, int8, int4, fp4 (default bf16, or the model's native format)")
	fl.StringVar(&f.kvPrec, "kv-precision", "", "KV-cache precision (default bf16; fp8 with fp8 weights)")
	fl.Float64Var(&f.input, "input-tokens", 0, "prompt tokens per request (LLMs)")
	fl.Float64Var(&f.output, "output-tokens", 0, "generated tokens per request (LLMs)")
	fl.Float64Var(&f.conc, "concurrency", 0, "requests in flight across all replicas (closed loop)")
	fl.Float64Var(&f.rate, "request-rate", 0, "requests per second across all replicas, Poisson (open loop)")
	fl.Float64Var(&f.maxBatch, "max-batch", 0, "engine cap on concurrent sequences per replica (default: fitted engine default)")
	fl.StringVar(&f.batching, "batching", "continuous", "continuous (vLLM, SGLang, TensorRT-LLM in-flight) or static")
	fl.IntVar(&f.batch, "batch", 0, "batch size (classic models)")
	fl.StringVar(&f.engine, "engine", "", "serving engine the figures assume: vllm, sglang, trtllm, tgi, neuron, vllm-tpu, gaudi (default: vllm on NVIDIA and AMD GPUs, gaudi on Intel Gaudi, neuron on AWS Inferentia/Trainium, vllm-tpu on TPU)")
	fl.StringVar(&f.runtime, "runtime", "", "classic-model runtime: tensorrt, openvino, onnxruntime, or an eager framework: pytorch, tensorflow, mxnet, framework (default: tensorrt on NVIDIA GPUs, an eager framework on other accelerators, openvino on CPUs)")
	fl.StringArrayVar(&f.overlays, "catalog", nil, "extra catalog file(s)")
	fl.StringVarP(&f.out, "output", "o", "table", "output format: table or json")
	return cmd
}

func runEstimateInference(cmd *cobra.Command, f *inferenceFlags) error {
	if err := checkOutput(f.out); err != nil {
		return err
	}
	if f.model == "" || f.accel == "" {
		return usage("--model and --accelerator are required")
	}
	c, err := loadCatalog(f.overlays)
	if err != nil {
		return err
	}
	m, err := c.Model(f.model)
	if err != nil {
		return resolveErr(err)
	}
	prec, err := parsePrecision("precision", f.prec)
	if err != nil {
		return err
	}
	kv, err := parsePrecision("kv-precision", f.kvPrec)
	if err != nil {
		return err
	}
	var cpu *catalog.Instance
	a, aerr := c.Accelerator(f.accel)
	if aerr != nil {
		in, err := c.Instance(f.accel)
		switch {
		case err == nil && in.IsCPU() && !m.IsLLM():
			cpu = in
		case err == nil && in.IsCPU():
			return usage("--accelerator %s is a CPU instance: CPU instances run classic models only; %s is an LLM and needs an accelerator (run `aiplan catalog list accelerators`)", in.ID, m.ID)
		case strings.EqualFold(f.accel, "cpu"):
			return usage("--accelerator %q: name a CPU instance such as aws/c7i.8xlarge/us-east-1 (run `aiplan catalog list instances`); CPU instances run classic models only", f.accel)
		default:
			return resolveErr(aerr)
		}
	}
	if err := checkInferenceFlags(cmd, m); err != nil {
		return err
	}
	for name, v := range map[string]int{"gpus": f.gpus, "tp": f.tp, "pp": f.pp, "ep": f.ep, "batch": f.batch} {
		if v < 0 || (v == 0 && name != "gpus" && name != "batch") {
			return usage("--%s %d: must be a positive integer", name, v)
		}
	}
	w := cmd.OutOrStdout()
	if !m.IsLLM() {
		switch f.runtime {
		case "", "tensorrt", "framework", "pytorch", "tensorflow", "mxnet", "openvino", "onnxruntime":
		default:
			return usage("--runtime %q: allowed: tensorrt, openvino, onnxruntime, pytorch, tensorflow, mxnet, framework", f.runtime)
		}
		if a != nil && prec == "" && a.Supports(catalog.FP16) != catalog.SupportNative && a.Supports(catalog.BF16) == catalog.SupportNative {
			prec = catalog.BF16 // the 16-bit format the chip has (TPUs): the fp16 default is not
		}
		if a != nil && prec != "" && a.Supports(prec) != catalog.SupportNative {
			// fp8 on a TPU v5e or an A100 ran at a 16-bit peak, called fp8:
			// a classic model's activations need the chip's own format
			// (weight-only formats are for LLM weights).
			return usage("--precision %s does not run on %s for a classic model: allowed: %s (its native formats)", f.prec, a.ID, joinPrecisions(a.NativePrecisions))
		}
		r, err := perf.Classic(perf.ClassicInput{Model: m, Accel: a, CPU: cpu, Eff: c.Efficiency, GPUs: f.gpus, Batch: f.batch, Precision: prec,
			TF32: strings.EqualFold(f.prec, "tf32"), Runtime: f.runtime})
		if err != nil {
			return usageError{err}
		}
		if f.out == "json" {
			if !r.Fits {
				return writeJSON(w, classicNotFitJSON{Reason: r.Reason, Batch: r.Batch, Family: r.Family, Runtime: r.Runtime, Memory: r.Memory, Assumptions: r.Assumptions})
			}
			return writeJSON(w, r)
		}
		return printClassic(w, m, f.accel, r)
	}
	if f.input <= 0 || f.output <= 0 {
		return usage("--input-tokens and --output-tokens are required for LLM %s and must be positive", m.ID)
	}
	if n := f.input + f.output; m.MaxContext > 0 && n > float64(m.MaxContext) {
		// The engine itself (perf) stays permissive: published benchmarks
		// run some models past their configured context, and their rows
		// calibrate it. A user asking for it gets told.
		return usage("--input-tokens %v + --output-tokens %v = %v tokens exceeds the %d-token context of %s: at most %d in all",
			f.input, f.output, n, m.MaxContext, m.ID, m.MaxContext)
	}
	engineID := f.engine
	if engineID == "" {
		engineID = c.Efficiency.DefaultEngine(a.Vendor)
	}
	eng, err := c.Engine(engineID)
	if err != nil {
		return usage("--engine %q: %v", f.engine, err)
	}
	if !eng.RunsOn(a) || eng.Kind != "llm" {
		var ids []string
		for _, e := range c.EnginesFor(a) {
			if e.Kind == "llm" {
				ids = append(ids, e.ID)
			}
		}
		why := "does not run on " + a.ID
		if eng.Kind != "llm" {
			why = "serves classic models, not LLMs"
		}
		return usage("--engine %s %s; allowed for %s on %s: %s", eng.ID, why, m.ID, a.ID, strings.Join(ids, ", "))
	}
	in := perf.InferenceInput{Model: m, Accel: a, Eff: c.Efficiency, GPUs: f.gpus, TP: f.tp, PP: f.pp, EP: f.ep, Engine: eng.ID,
		Precision: prec, KVPrecision: kv, InputTokens: f.input, OutputTokens: f.output, Concurrency: f.conc, RequestRate: f.rate,
		Batching: perf.Batching(f.batching), MaxBatch: f.maxBatch}
	if err := in.Validate(); err != nil {
		return usageError{err}
	}
	if err := checkServes(c, m, a, eng, in.Precision, prec == ""); err != nil {
		return err
	}
	r, err := perf.Inference(in)
	if err != nil {
		return usageError{err}
	}
	if f.out == "json" {
		if !r.Fits {
			return writeJSON(w, notFitJSON{Reason: r.Reason, Bottleneck: r.Bottleneck, Replicas: r.Replicas, GPUs: r.GPUs, Memory: r.Memory,
				Engine: r.Engine, EngineVersion: eng.Version, EngineVersions: r.EngineVersions, Assumptions: r.Assumptions})
		}
		return writeJSON(w, inferenceJSON{InferenceResult: r, EngineVersion: eng.Version})
	}
	return printInference(w, m, a, eng, r)
}

// checkServes refuses a weight precision the chip cannot run or the engine
// does not serve (the planner skips both; the estimate ran them and named
// an engine and a format that do not go together).
func checkServes(c *catalog.Catalog, m *catalog.Model, a *catalog.Accelerator, eng *catalog.Engine, p catalog.Precision, defaulted bool) error {
	if a.Supports(p) != catalog.SupportNone && eng.Serves(p) {
		return nil
	}
	what := fmt.Sprintf("--precision %s", p)
	if defaulted {
		what = fmt.Sprintf("the default precision of %s, %s,", m.ID, p)
	}
	var ok []catalog.Precision
	for _, q := range eng.Precisions {
		if a.Supports(q) != catalog.SupportNone {
			ok = append(ok, q)
		}
	}
	if a.Supports(p) == catalog.SupportNone {
		return usage("%s does not run on %s: allowed there with --engine %s: %s", what, a.ID, eng.ID, joinPrecisions(ok))
	}
	var others []string
	for _, e := range c.EnginesFor(a) {
		if e.Kind == "llm" && e.Serves(p) {
			others = append(others, e.ID)
		}
	}
	alt := "no engine in the catalog serves it there"
	if len(others) > 0 {
		alt = "engines that serve it there: " + strings.Join(others, ", ")
	}
	return usage("%s is not served by --engine %s: allowed on %s with it: %s; %s", what, eng.ID, a.ID, joinPrecisions(ok), alt)
}

func joinPrecisions(ps []catalog.Precision) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = string(p)
	}
	return strings.Join(s, ", ")
}

// llmOnlyFlags and classicOnlyFlags are the estimate inference flags that
// apply to one kind of model only: given for the other kind they would be
// silently ignored, so they are refused.
var (
	llmOnlyFlags     = []string{"tp", "pp", "ep", "engine", "kv-precision", "input-tokens", "output-tokens", "concurrency", "request-rate", "max-batch", "batching"}
	classicOnlyFlags = []string{"batch", "runtime"}
)

// checkInferenceFlags refuses flags that do not apply to the model's kind.
func checkInferenceFlags(cmd *cobra.Command, m *catalog.Model) error {
	wrong, kind, use := classicOnlyFlags, "an LLM", "--input-tokens, --output-tokens, --tp, --engine, --concurrency or --request-rate"
	if !m.IsLLM() {
		wrong, kind, use = llmOnlyFlags, "a classic model", "--batch, --runtime, --precision or --gpus"
	}
	for _, name := range wrong {
		if fl := cmd.Flags().Lookup(name); fl != nil && fl.Changed {
			return usage("--%s %s does not apply to %s, which is %s; use %s", name, fl.Value.String(), m.ID, kind, use)
		}
	}
	return nil
}

// notFitJSON is the JSON of an LLM estimate that does not fit: what was
// tried and why it failed, without the zero rates, latencies and band a
// reader could take for a prediction.
type notFitJSON struct {
	Fits           bool        `json:"fits"`
	Reason         string      `json:"reason"`
	Bottleneck     string      `json:"bottleneck"`
	Replicas       int         `json:"replicas"`
	GPUs           int         `json:"gpus"`
	Memory         perf.Memory `json:"memory"`
	Engine         string      `json:"engine"`
	EngineVersion  string      `json:"engine_version"`
	EngineVersions []string    `json:"engine_versions,omitempty"`
	Assumptions    []string    `json:"assumptions"`
}

// inferenceJSON is an LLM estimate with the engine version it assumes
// deployed (engine_versions are those its factors were fitted on): the
// table printed it, the JSON did not.
type inferenceJSON struct {
	perf.InferenceResult
	EngineVersion string `json:"engine_version"`
}

// classicNotFitJSON is the JSON of a classic estimate that does not fit.
type classicNotFitJSON struct {
	Fits        bool        `json:"fits"`
	Reason      string      `json:"reason"`
	Batch       int         `json:"batch"`
	Family      string      `json:"family"`
	Runtime     string      `json:"runtime"`
	Memory      perf.Memory `json:"memory"`
	Assumptions []string    `json:"assumptions"`
}

// trainingNotFitJSON is the JSON of a training estimate that does not fit.
type trainingNotFitJSON struct {
	Fits            bool               `json:"fits"`
	Reason          string             `json:"reason"`
	Bottleneck      string             `json:"bottleneck"`
	MemoryPerGPUGiB float64            `json:"memory_per_gpu_gib"`
	MemoryBreakdown map[string]float64 `json:"memory_breakdown_gib"`
	Parallelism     perf.Parallelism   `json:"parallelism"`
	Assumptions     []string           `json:"assumptions"`
}

func printInference(w io.Writer, m *catalog.Model, a *catalog.Accelerator, eng *catalog.Engine, r perf.InferenceResult) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%s on %d x %s (%d replica(s))\n", m.Name, r.GPUs, a.Name, r.Replicas)
	ver := "no calibration rows for it on this vendor: shared factors"
	if len(r.EngineVersions) > 0 {
		ver = "factors fitted on versions " + strings.Join(r.EngineVersions, ", ")
	}
	fmt.Fprintf(tw, "engine\t%s %s\t(%s)\n", eng.Name, eng.Version, ver)
	if !r.Fits {
		fmt.Fprintf(tw, "DOES NOT FIT\t%s\n", r.Reason)
	} else {
		u := r.Uncertainty
		latencyHeadline := r.UncertaintyFor == "latency"
		if r.Saturated {
			// Not the offered load: the rate asked for is beyond capacity.
			fmt.Fprintf(tw, "output tokens/s\t%s\t(%s per GPU; capacity at 99%% utilisation: the requested rate is more than this serves)\n", rate(r.OutputTokensPerSecond), rate(r.OutputTokensPerSecondPerGPU))
		} else if latencyHeadline {
			fmt.Fprintf(tw, "output tokens/s\t%s\t(%s per GPU; the offered load)\n", rate(r.OutputTokensPerSecond), rate(r.OutputTokensPerSecondPerGPU))
		} else {
			fmt.Fprintf(tw, "output tokens/s\t%s\t(%s per GPU; likely %s-%s)\n", rate(r.OutputTokensPerSecond), rate(r.OutputTokensPerSecondPerGPU), rate(r.OutputTokensPerSecond*u.Low), rate(r.OutputTokensPerSecond*u.High))
		}
		fmt.Fprintf(tw, "requests/s\t%s\t\n", rate(r.RequestsPerSecond))
		fmt.Fprintf(tw, "TTFT\t%.1f ms\t(p99 %.0f ms, queueing model)\n", r.TTFTMs, r.TTFTP99Ms)
		fmt.Fprintf(tw, "TPOT\t%.2f ms\t(p99 %.1f ms)\n", r.TPOTMs, r.TPOTP99Ms)
		if latencyHeadline {
			fmt.Fprintf(tw, "end-to-end\t%.0f ms\t(p99 %.0f ms; mean likely %.0f-%.0f ms)\n", r.E2ELatencyMs, r.E2EP99Ms, r.E2ELatencyMs*u.Low, r.E2ELatencyMs*u.High)
		} else {
			fmt.Fprintf(tw, "end-to-end\t%.0f ms\t(p99 %.0f ms)\n", r.E2ELatencyMs, r.E2EP99Ms)
		}
		fmt.Fprintf(tw, "batch\t%.1f\t(max %.0f per replica)\n", r.BatchSize, r.MaxBatchSize)
	}
	fmt.Fprintf(tw, "bottleneck\t%s\t\n", r.Bottleneck)
	mm := r.Memory
	fmt.Fprintf(tw, "memory per GPU\t%.1f GiB\tweights %.1f + KV cache %.1f + activations %.1f + runtime %.1f (of %.1f GiB)\n", mm.TotalGiB, mm.WeightsGiB, mm.KVCacheGiB, mm.ActivationsGiB, mm.OverheadGiB, mm.CapacityGiB)
	fmt.Fprintf(tw, "KV cache\t%.0f bytes/token\t%.0f tokens capacity per replica\n", mm.KVBytesPerToken, mm.KVCapacityTokens)
	tw.Flush()
	printAssumptions(w, r.Assumptions)
	return nil
}

func printClassic(w io.Writer, m *catalog.Model, on string, r perf.ClassicResult) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%s on %s\n", m.Name, on)
	fmt.Fprintf(tw, "family, runtime\t%s, %s\t\n", r.Family, r.Runtime)
	if !r.Fits {
		// No rate or latency for what cannot run: only why.
		fmt.Fprintf(tw, "DOES NOT FIT\t%s\n", r.Reason)
		fmt.Fprintf(tw, "memory\t%.2f GiB\t(of %.1f GiB)\n", r.Memory.TotalGiB, r.Memory.CapacityGiB)
		tw.Flush()
		printAssumptions(w, r.Assumptions)
		return nil
	}
	fmt.Fprintf(tw, "samples/s\t%s\t(likely %s-%s)\n", rate(r.SamplesPerSecond), rate(r.SamplesPerSecond*r.Uncertainty.Low), rate(r.SamplesPerSecond*r.Uncertainty.High))
	fmt.Fprintf(tw, "latency\t%.2f ms\tat batch %d\n", r.LatencyMs, r.Batch)
	fmt.Fprintf(tw, "bottleneck\t%s\t\n", r.Bottleneck)
	fmt.Fprintf(tw, "memory\t%.2f GiB\t(of %.1f GiB)\n", r.Memory.TotalGiB, r.Memory.CapacityGiB)
	tw.Flush()
	printAssumptions(w, r.Assumptions)
	return nil
}

// rate formats a rate for the tables: whole numbers from 100 up, three
// significant digits below, so a small rate never prints as 0.
func rate(v float64) string {
	if v >= 100 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

func printAssumptions(w io.Writer, as []string) {
	if len(as) == 0 {
		return
	}
	fmt.Fprintln(w, "\nassumptions:")
	for _, a := range as {
		fmt.Fprintf(w, "  - %s\n", a)
	}
}

type trainingFlags struct {
	model, accel, prec, method, recompute, out, tokens string
	overlays                                           []string
	gpus, seq, tp, pp, dp, zero, gbs                   int
}

func newEstimateTrainingCmd() *cobra.Command {
	var f trainingFlags
	cmd := &cobra.Command{
		Use:   "training",
		Short: "Training or fine-tuning throughput, MFU, memory, GPU-hours and cost",
		Example: `  aiplan estimate training --model llama-3.1-8b --accelerator h100-sxm --gpus 64 --tokens 1T
  aiplan estimate training --model llama-3.1-70b --accelerator a100-sxm-80gb --gpus 8 --tokens 2e9 --method lora -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runEstimateTraining(cmd, &f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.model, "model", "", "model id")
	fl.StringVar(&f.accel, "accelerator", "", "accelerator id")
	fl.IntVar(&f.gpus, "gpus", 0, "number of GPUs")
	fl.StringVar(&f.tokens, "tokens", "", "training tokens (2e12, 2T, 300B)")
	fl.IntVar(&f.seq, "seq-len", 0, "sequence length (default 4096, or the model's context if shorter)")
	fl.StringVar(&f.prec, "precision", "bf16", "mixed precision: bf16, fp16, fp8 or fp32 (fp16 by default on chips without bf16, such as V100 and T4)")
	fl.StringVar(&f.method, "method", "pretrain", "pretrain, full, lora or qlora")
	fl.IntVar(&f.tp, "tp", 0, "tensor-parallel degree (default: chosen)")
	fl.IntVar(&f.pp, "pp", 0, "pipeline-parallel degree (default: chosen)")
	fl.IntVar(&f.dp, "dp", 0, "data-parallel degree (default: gpus / (tp x pp))")
	fl.IntVar(&f.zero, "zero", -1, "ZeRO stage 0-3 (default: chosen)")
	fl.StringVar(&f.recompute, "recompute", "", "activation recomputation: none, selective, full (default: chosen)")
	fl.IntVar(&f.gbs, "global-batch", 0, "global batch in sequences (default: 4M tokens pretraining, 256K fine-tuning)")
	fl.StringArrayVar(&f.overlays, "catalog", nil, "extra catalog file(s)")
	fl.StringVarP(&f.out, "output", "o", "table", "output format: table or json")
	return cmd
}

func runEstimateTraining(cmd *cobra.Command, f *trainingFlags) error {
	if err := checkOutput(f.out); err != nil {
		return err
	}
	if f.model == "" || f.accel == "" || f.gpus == 0 || f.tokens == "" {
		return usage("--model, --accelerator, --gpus and --tokens are required")
	}
	tokens, err := parseCount(f.tokens)
	if err != nil {
		return usage("--tokens: %v", err)
	}
	c, err := loadCatalog(f.overlays)
	if err != nil {
		return err
	}
	m, err := c.Model(f.model)
	if err != nil {
		return resolveErr(err)
	}
	a, err := c.Accelerator(f.accel)
	if err != nil {
		return resolveErr(err)
	}
	prec, err := parsePrecision("precision", f.prec)
	if err != nil {
		return err
	}
	if !cmd.Flags().Changed("precision") && a.Supports(catalog.BF16) != catalog.SupportNative {
		prec = catalog.FP16 // mixed precision on chips without bf16 (V100, T4), as the planner does
	}
	price, _ := c.CheapestOnDemand(a.ID)
	r, err := perf.Training(perf.TrainingInput{Model: m, Accel: a, Eff: c.Efficiency, GPUs: f.gpus, Tokens: tokens, SeqLen: f.seq, Precision: prec,
		Method: perf.Method(strings.ToLower(f.method)), TP: f.tp, PP: f.pp, DP: f.dp, Zero: f.zero, Recompute: f.recompute, GlobalBatch: f.gbs, PricePerGPUHour: price})
	if err != nil {
		return usageError{err}
	}
	w := cmd.OutOrStdout()
	if !r.Fits {
		// No run to time: the closest plan and its memory, not GPU-hours,
		// cost or a band that could be read as a prediction.
		if f.out == "json" {
			return writeJSON(w, trainingNotFitJSON{Reason: r.Reason, Bottleneck: r.Bottleneck, MemoryPerGPUGiB: r.MemoryPerGPUGiB,
				MemoryBreakdown: r.MemoryBreakdown, Parallelism: r.Parallelism, Assumptions: r.Assumptions})
		}
		tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "%s %s on %d x %s, %.3g tokens\n", m.Name, f.method, f.gpus, a.Name, tokens)
		fmt.Fprintf(tw, "DOES NOT FIT\t%s\n", r.Reason)
		p := r.Parallelism
		fmt.Fprintf(tw, "closest plan\ttp=%d pp=%d dp=%d\tZeRO-%d, recompute %s, micro-batch %d, global batch %d\n", p.TP, p.PP, p.DP, p.ZeroStage, p.Recompute, p.MicroBatch, p.GlobalBatch)
		fmt.Fprintf(tw, "memory per GPU\t%.1f GiB\tof %.1f GiB\n", r.MemoryPerGPUGiB, a.UsableMemoryGiB())
		tw.Flush()
		return nil
	}
	if f.out == "json" {
		return writeJSON(w, r)
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%s %s on %d x %s, %.3g tokens\n", m.Name, f.method, f.gpus, a.Name, tokens)
	u := r.Uncertainty
	fmt.Fprintf(tw, "GPU-hours\t%.4g\t(likely %.4g-%.4g; %.4g without failures/restarts)\n", r.GPUHours, r.GPUHours/u.High, r.GPUHours/u.Low, r.GPUHoursIdeal)
	fmt.Fprintf(tw, "wall time\t%.3g h\t(%.3g days)\n", r.WallHours, r.WallHours/24)
	fmt.Fprintf(tw, "tokens/s per GPU\t%.0f\t\n", r.TokensPerSecondPerGPU)
	fmt.Fprintf(tw, "model TFLOP/s per GPU\t%.0f\tMFU %.1f%%\n", r.TFLOPSPerGPU, r.MFU*100)
	fmt.Fprintf(tw, "total FLOPs\t%.3g\t\n", r.FLOPsTotal)
	p := r.Parallelism
	fmt.Fprintf(tw, "parallelism\ttp=%d pp=%d dp=%d\tZeRO-%d, recompute %s, micro-batch %d, global batch %d\n", p.TP, p.PP, p.DP, p.ZeroStage, p.Recompute, p.MicroBatch, p.GlobalBatch)
	fmt.Fprintf(tw, "memory per GPU\t%.1f GiB\tof %.1f GiB\n", r.MemoryPerGPUGiB, a.UsableMemoryGiB())
	fmt.Fprintf(tw, "bottleneck\t%s\t\n", r.Bottleneck)
	if r.CostUSD > 0 {
		fmt.Fprintf(tw, "cost\t$%.0f\tat the cheapest on-demand price in the catalog\n", r.CostUSD)
	}
	tw.Flush()
	printAssumptions(w, r.Assumptions)
	return nil
}
