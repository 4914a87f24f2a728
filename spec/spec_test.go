package spec

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aiplan-dev/aiplan/catalog"
)

var cat = catalog.MustDefault()

// TestBadFiles_ReportEveryMarkedError checks that each "# ERROR: summary"
// line in testdata/invalid is reported on that line, and nothing else.
func TestBadFiles_ReportEveryMarkedError(t *testing.T) {
	files, _ := filepath.Glob("testdata/invalid/*.yaml")
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			want := map[int][]string{}
			sc := bufio.NewScanner(bytes.NewReader(b))
			for ln := 1; sc.Scan(); ln++ {
				if i := strings.Index(sc.Text(), "# ERROR: "); i >= 0 {
					want[ln] = append(want[ln], strings.TrimSpace(sc.Text()[i+9:]))
				}
			}
			_, ds := Load(b, f, cat)
			got := map[int][]string{}
			for _, d := range ds {
				if d.Severity == "error" {
					got[d.Line] = append(got[d.Line], d.String())
				}
			}
			for ln, sums := range want {
				for _, s := range sums {
					found := false
					for _, g := range got[ln] {
						if strings.Contains(g, s) {
							found = true
						}
					}
					if !found {
						t.Errorf("line %d: want error containing %q, got %v", ln, s, got[ln])
					}
				}
			}
			var extra []int
			for ln := range got {
				if _, ok := want[ln]; !ok {
					extra = append(extra, ln)
				}
			}
			sort.Ints(extra)
			for _, ln := range extra {
				t.Errorf("line %d: unexpected error %v", ln, got[ln])
			}
		})
	}
}

func TestExamples_Valid(t *testing.T) {
	files, _ := filepath.Glob("../examples/*.yaml")
	if len(files) < 5 {
		t.Fatalf("want at least 5 examples, have %d", len(files))
	}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		if _, ds := Load(b, f, cat); ds.HasErrors() {
			t.Errorf("%s: %v", f, ds.Err())
		}
	}
}

func TestParse_MalformedAndHuge(t *testing.T) {
	for name, in := range map[string]string{
		"malformed": "apiVersion: [unclosed\n",
		"empty":     "   \n",
		"two docs":  "a: 1\n---\nb: 2\n",
		"scalar":    "just a string",
	} {
		_, ds := Parse([]byte(in), name)
		if !ds.HasErrors() {
			t.Errorf("%s: no error", name)
		}
	}
	huge := bytes.Repeat([]byte("#"), MaxFileBytes+1)
	if _, ds := Parse(huge, "huge"); !ds.HasErrors() || !strings.Contains(ds[0].Summary, "limited") {
		t.Errorf("huge file: %v", ds)
	}
}

func TestParseQuantity(t *testing.T) {
	for in, want := range map[string]float64{"3e9": 3e9, "40e6": 40e6, "2T": 2e12, "300B": 3e11, "1_000": 1000, "1.5M": 1.5e6} {
		if v, err := ParseQuantity(in); err != nil || v != want {
			t.Errorf("%s: %v %v", in, v, err)
		}
	}
	for _, in := range []string{"NaN", "inf", "1e999", "abc", "0x10"} {
		if _, err := ParseQuantity(in); err == nil {
			t.Errorf("%s accepted", in)
		}
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("../examples/*.yaml")
	for _, p := range files {
		b, _ := os.ReadFile(p)
		f.Add(b)
	}
	bad, _ := filepath.Glob("testdata/invalid/*.yaml")
	for _, p := range bad {
		b, _ := os.ReadFile(p)
		f.Add(b)
	}
	for _, s := range []string{"[[[[[[", "{a: {a: {a: ", "- - - - -", "a: &x 1\nb: *x\n", "\xef\xbb\xbfa: 1", "a: \"\\e\"", "k: !!binary aGk=", "? a\n: b\n", "a: |\n  x\n b: 1"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		t0 := time.Now()
		file, ds := Load(b, "fuzz.yaml", cat)
		if d := time.Since(t0); d > 2*time.Second && len(b) < 1<<20 {
			t.Fatalf("%d bytes took %v", len(b), d)
		}
		if file == nil && !ds.HasErrors() {
			t.Fatal("no file and no error")
		}
		if len(ds) > MaxDiagnostics+1 {
			t.Fatalf("%d diagnostics", len(ds))
		}
		if file != nil {
			for i := range file.Workloads {
				if !IsName(file.Workloads[i].Name) {
					t.Fatalf("accepted name %q", file.Workloads[i].Name)
				}
			}
		}
	})
}
