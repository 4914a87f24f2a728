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
	Source, Engine    string
	Measured          float64
	Predicted         float64
	Skipped           string // why the row is not supported
}

// APE is the absolute percentage error.
func (r Result) APE() float64 { return math.Abs(r.Predicted-r.Measured) / r.Measured * 100 }

// ReadCSV reads rows keyed by header.
func ReadCSV(rd io.Reader) ([]Row, error) {
	return readTable(rd, []string{"id", "model", "hardware", "num_gpus", "metric", "value"})
}

func readTable(rd io.Reader, need []string) ([]Row, error) {
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

// ClassStats is the error summary of one class.
type ClassStats struct {
	Class          string
	N              int
	MedianAPE, P90 float64
}

// GatedClasses are the classes the accuracy gate applies to, as the
// engine's contract names them; "training" pools throughput, MFU and
// GPU-hours rows. The finer classes are reported beside them.
var GatedClasses = map[string]bool{"training (all)": true, ClassMaxThroughput: true, ClassLoadThroughput: true, ClassTTFT: true, ClassTPOT: true, ClassE2E: true, ClassMemory: true, ClassClassic: true}

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

// Run predicts every row under the catalog's efficiency factors.
func Run(c *catalog.Catalog, rows []Row) []Result {
	return Evaluate(Prepare(c, rows), c.Efficiency)
}
