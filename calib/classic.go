package calib

import (
	"bytes"
	_ "embed"
	"regexp"
	"strings"

	"github.com/aiplan-dev/aiplan/catalog"
	"github.com/aiplan-dev/aiplan/perf"
)

// cpus.csv holds the CPUs of the classic calibration rows: cores, AVX-512
// frequency, FLOP/cycle, VNNI/BF16/AMX and memory bandwidth, with sources.
//
//go:embed data/cpus.csv
var cpusCSV []byte

var socketsRe = regexp.MustCompile(`\s*\((\d+)S\)\s*$`)

// cpuSpecs parses cpus.csv once.
var cpuSpecs = func() map[string]Row {
	rows, err := readTable(bytes.NewReader(cpusCSV), []string{"hardware", "cores_per_socket", "avx512_ghz", "fp32_flops_per_cycle", "mem_bw_gbps_per_socket", "source"})
	if err != nil {
		panic("calib: embedded cpus.csv: " + err.Error())
	}
	out := map[string]Row{}
	for _, r := range rows {
		out[r["hardware"]] = r
	}
	return out
}()

// CPU returns the spec of hardware named like "Intel Xeon Platinum 8380
// (2S)", all sockets together, or nil when the row is not a known CPU.
func CPU(hardware string) *perf.CPUSpec {
	sockets := 1.0
	name := hardware
	if m := socketsRe.FindStringSubmatch(hardware); m != nil {
		sockets = num(m[1])
		name = strings.TrimSpace(hardware[:len(hardware)-len(m[0])])
	}
	r, ok := cpuSpecs[name]
	if !ok {
		return nil
	}
	cores := num(r["cores_per_socket"]) * sockets
	ghz := num(r["avx512_ghz"])
	spec := &perf.CPUSpec{Name: hardware, VectorGFLOPS: cores * ghz * num(r["fp32_flops_per_cycle"]), VNNI: r["vnni"] == "true",
		AVX512BF16: r["avx512_bf16"] == "true", MemBWGBs: num(r["mem_bw_gbps_per_socket"]) * sockets,
		MemoryGiB: num(r["memory_gib_per_socket"]) * sockets, MatrixKnown: true}
	if r["amx"] == "true" {
		spec.AMXGFLOPS = cores * ghz * 1024
	}
	return spec
}

func classicPrecision(s string) (catalog.Precision, bool) {
	switch strings.ToLower(s) {
	case "int8":
		return catalog.INT8, false
	case "fp8":
		return catalog.FP8, false
	case "fp16", "mixed":
		return catalog.FP16, false
	case "bf16":
		return catalog.BF16, false
	case "tf32":
		return catalog.FP32, true
	}
	return catalog.FP32, false
}

// classicRuntime is the runtime family of a row's engine string.
func classicRuntime(engine string) string {
	e := strings.ToLower(engine)
	switch {
	case strings.Contains(e, "paddle-trt"):
		// Paddle Inference hands TensorRT the subgraphs it supports
		// and runs the rest itself.
		return "paddle-trt"
	case strings.Contains(e, "onnx runtime") || strings.Contains(e, "onnxruntime"):
		// ONNX Runtime, also with its TensorRT execution provider.
		return "onnxruntime"
	case strings.Contains(e, "shark"):
		// AMD's shark-ai (IREE-compiled graphs on ROCm): a compiled
		// runtime of its own, not TensorRT, which runs on NVIDIA only.
		return "shark"
	case strings.Contains(e, "tensorrt") || strings.Contains(e, "trt"):
		return "tensorrt"
	case strings.Contains(e, "openvino"):
		return "openvino"
	case strings.Contains(e, "onnx"):
		return "onnxruntime"
	case strings.Contains(e, "tensorflow"):
		return "tensorflow"
	case strings.Contains(e, "pytorch"):
		return "pytorch"
	case strings.Contains(e, "mxnet"):
		return "mxnet"
	}
	return "framework"
}

func prepareClassic(c *catalog.Catalog, r Row) Sample {
	s := Sample{ID: r["id"], Metric: r["metric"], Measured: num(r["value"]), Class: ClassClassic, kind: kindClassic, Engine: ""}
	s.Model, s.Accel = r["model"], r["hardware"]
	if s.Measured <= 0 {
		s.Skipped = "no measured value"
		return s
	}
	m, err := rowModel(c, r)
	if err != nil {
		s.Skipped = err.Error()
		return s
	}
	s.Model = m.ID
	if pb := num(r["params_b"]); pb > 0 && perf.ClassicFamily(m) == "recommender" {
		// A recommender row that states its size (embedding tables of
		// that many parameters) runs that size, as a planner workload
		// states its own.
		sized := *m
		sized.ParamsM = pb * 1000
		m = &sized
	}
	prec, tf32 := classicPrecision(r["precision"])
	in := perf.ClassicInput{Model: m, GPUs: int(num(r["num_gpus"])), Precision: prec, TF32: tf32, Quiet: true, Runtime: classicRuntime(r["engine"])}
	s.Engine = in.Runtime
	// Mixed precision (AMP) keeps fp32 master weights, and the TF
	// SavedModel half of NVIDIA's Triton recommender ensemble stores its
	// tables in fp32 (DLRM_and_DCNv2 doc/DCNv2.md): embedding rows are
	// gathered at fp32 there.
	if e := strings.ToLower(r["engine"]); strings.EqualFold(r["precision"], "mixed") || strings.Contains(e, "savedmodel") {
		in.TablePrecision = catalog.FP32
	}
	// The measured systems' hosts hold what their GPUs do not (DGX hosts
	// with 1-2 TB of memory).
	in.HostTables = true
	// Triton rows are perf_analyzer figures, timed at the client.
	in.Served = strings.Contains(strings.ToLower(r["engine"]), "triton")
	if cpu := CPU(r["hardware"]); cpu != nil {
		in.CPUSpec = cpu
		in.GPUs = 1 // sockets are in the spec
		s.Accel = "cpu:" + socketsRe.ReplaceAllString(r["hardware"], "")
	} else {
		a, err := c.Accelerator(r["hardware"])
		if err != nil {
			s.Skipped = err.Error()
			return s
		}
		in.Accel, s.Accel = a, a.ID
	}
	if b := num(r["batch_or_concurrency"]); b > 0 {
		in.Batch = int(b)
	} else if s.Metric == "latency_ms" {
		// A latency figure without a stated batch is a latency-mode run
		// (OpenVINO benchmark_app -hint latency, MLPerf SingleStream):
		// one sample at a time.
		in.Batch = 1
	} else {
		in.MaxThroughput = true
	}
	// MLPerf SingleStream reports the 90th-percentile latency over its
	// samples.
	in.P90 = s.Metric == "latency_ms" && strings.Contains(strings.ToLower(r["scenario"]), "singlestream")
	s.precision = prec
	s.cls = in
	return s
}

func (s *Sample) predictClassic(e *catalog.Efficiency) (float64, string) {
	in := s.cls
	in.Eff = e
	p, err := perf.Classic(in)
	if err != nil {
		return 0, err.Error()
	}
	if s.Metric == "latency_ms" {
		return p.LatencyMs, ""
	}
	return p.SamplesPerSecond, ""
}
