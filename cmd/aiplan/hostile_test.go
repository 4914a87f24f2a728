package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// binary builds aiplan once per test run, so runs are measured as users
// run it: a separate process, supervisor included.
func binary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "aiplan-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "aiplan")
		if out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Skip(binErr)
	}
	return binPath
}

// measured is one run of the binary.
type measured struct {
	code           int
	stdout, stderr string
	wall, cpu      time.Duration
	maxRSSMiB      float64
}

func runBin(t *testing.T, args ...string) measured {
	t.Helper()
	var out, errb bytes.Buffer
	c := exec.Command(binary(t), args...)
	c.Stdout, c.Stderr = &out, &errb
	t0 := time.Now()
	c.Run()
	m := measured{code: c.ProcessState.ExitCode(), stdout: out.String(), stderr: errb.String(), wall: time.Since(t0)}
	m.cpu = c.ProcessState.UserTime() + c.ProcessState.SystemTime()
	if ru, ok := c.ProcessState.SysUsage().(*syscall.Rusage); ok {
		m.maxRSSMiB = float64(ru.Maxrss) / 1024 // KiB on Linux; includes the waited-for worker
	}
	return m
}

// Limits each hostile file must stay within, per run of the binary. CPU
// time rather than wall time: the machines that run the tests are shared.
const (
	hostileCPU    = time.Second
	hostileRSSMiB = 256
)

// expectRaw gives the expectation of files that cannot carry an
// "# EXPECT:" line.
var expectRaw = map[string]string{"bom-only.yaml": "file is empty"}

// TestHostileCorpus runs every file in testdata/hostile: each exits 2 with
// the error its first line names, or plans, and then every output is
// checked for escaping (Terraform, Prometheus rules with promtool,
// Kubernetes names, Markdown tables, HTML, terminal text, Mermaid).
func TestHostileCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary on every hostile file")
	}
	files, _ := filepath.Glob("../../testdata/hostile/*.yaml")
	if len(files) < 30 {
		t.Fatalf("only %d hostile files", len(files))
	}
	var diagrams []string
	ddir := t.TempDir()
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			want := expectRaw[name]
			if want == "" {
				want = expectation(t, f)
			}
			m := runBin(t, "plan", f, "-o", "json")
			t.Logf("FIGURE %s plan: exit %d, wall %v, cpu %v, max RSS %.0f MiB", name, m.code, m.wall.Round(time.Millisecond), m.cpu.Round(time.Millisecond), m.maxRSSMiB)
			within(t, "plan", m)
			if strings.Contains(m.stderr, "internal error") || strings.Contains(m.stderr, "panic") {
				t.Fatalf("crashed: %s", m.stderr)
			}
			if want != "plans" {
				if m.code != 2 || !strings.Contains(m.stderr, want) {
					t.Fatalf("want exit 2 with %q, got exit %d:\n%.2000s", want, m.code, m.stderr)
				}
				return
			}
			if m.code != 0 {
				t.Fatalf("want a plan, got exit %d:\n%.2000s", m.code, m.stderr)
			}
			tab := runBin(t, "plan", f)
			within(t, "table", tab)
			terminalClean(t, tab.stdout+tab.stderr)
			dir := t.TempDir()
			ex := runBin(t, "export", f, "--to", "all", "-d", dir)
			t.Logf("FIGURE %s export: exit %d, wall %v, cpu %v, max RSS %.0f MiB", name, ex.code, ex.wall.Round(time.Millisecond), ex.cpu.Round(time.Millisecond), ex.maxRSSMiB)
			within(t, "export", ex)
			if ex.code != 0 {
				t.Fatalf("export: exit %d: %s", ex.code, ex.stderr)
			}
			terminalClean(t, ex.stdout+ex.stderr)
			src, _ := os.ReadFile(f)
			checkExport(t, dir, src)
			if d := mermaidBlock(t, filepath.Join(dir, "report.md")); d != "" {
				p := filepath.Join(ddir, name+".mmd")
				os.WriteFile(p, []byte(d), 0o644)
				diagrams = append(diagrams, p)
			}
		})
	}
	examples, _ := filepath.Glob("../../examples/*.yaml")
	for _, f := range examples {
		code, out, errs := runCLI("plan", f, "-o", "md")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", f, code, errs)
		}
		checkTables(t, out)
		if i := strings.Index(out, "```mermaid\n"); i >= 0 {
			d := out[i+len("```mermaid\n"):]
			d = d[:strings.Index(d, "```")]
			p := filepath.Join(ddir, "example-"+filepath.Base(f)+".mmd")
			os.WriteFile(p, []byte(d), 0o644)
			diagrams = append(diagrams, p)
		}
	}
	mermaidParse(t, diagrams)
}

func expectation(t *testing.T, f string) string {
	t.Helper()
	fh, err := os.Open(f)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	line, _ := bufio.NewReader(fh).ReadString('\n')
	line = strings.TrimPrefix(line, "\xef\xbb\xbf")
	if !strings.HasPrefix(line, "# EXPECT: ") {
		t.Fatalf("%s: first line is not # EXPECT: ...", f)
	}
	return strings.TrimSpace(strings.TrimPrefix(line, "# EXPECT: "))
}

func within(t *testing.T, what string, m measured) {
	t.Helper()
	if m.cpu > hostileCPU {
		t.Errorf("%s: %v CPU, limit %v", what, m.cpu, hostileCPU)
	}
	if m.maxRSSMiB > hostileRSSMiB {
		t.Errorf("%s: max RSS %.0f MiB, limit %d MiB", what, m.maxRSSMiB, hostileRSSMiB)
	}
}

func terminalClean(t *testing.T, s string) {
	t.Helper()
	for i, r := range s {
		if r != '\n' && r != '\t' && (r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 || r >= 0x202a && r <= 0x202e) {
			t.Fatalf("control character %U at %d of terminal output", r, i)
		}
	}
}

var unescapedInterp = regexp.MustCompile(`(^|[^$])[$%]\{`)

func checkExport(t *testing.T, dir string, src []byte) {
	t.Helper()
	var onprem []string
	for _, m := range regexp.MustCompile(`(?m)^\s+region: (\S+)`).FindAllSubmatch(src, -1) {
		onprem = append(onprem, string(m[1]))
	}
	tfs, _ := filepath.Glob(filepath.Join(dir, "terraform", "*.tf"))
	for _, f := range tfs {
		b, _ := os.ReadFile(f)
		file, ds := hclsyntax.ParseConfig(b, f, hcl.InitialPos)
		if ds.HasErrors() {
			t.Errorf("%s: %v", f, ds)
			continue
		}
		body := file.Body.(*hclsyntax.Body)
		for _, blk := range body.Blocks {
			if blk.Type == "resource" && len(blk.Labels) > 0 && (blk.Labels[0] == "null_resource" || blk.Labels[0] == "terraform_data") {
				t.Errorf("%s: injected %s", f, blk.Labels[0])
			}
			if blk.Type == "provider" {
				if a, ok := blk.Body.Attributes["region"]; ok {
					v, _ := a.Expr.Value(nil)
					for _, r := range onprem {
						if v.Type().FriendlyName() == "string" && v.AsString() == r {
							t.Errorf("%s: on-prem region %q in a provider block", f, r)
						}
					}
				}
			}
		}
		for _, line := range strings.Split(string(b), "\n") {
			if !strings.HasPrefix(strings.TrimSpace(line), "#") && strings.Contains(line, "${file") && unescapedInterp.MatchString(line) {
				t.Errorf("%s: unescaped interpolation: %s", f, line)
			}
		}
		if bytes.Contains(b, []byte("local-exec")) {
			t.Errorf("%s: provisioner injected", f)
		}
	}
	if rules, err := os.ReadFile(filepath.Join(dir, "prometheus", "rules.yaml")); err == nil {
		if bytes.Contains(rules, []byte("{{")) {
			t.Errorf("rules.yaml holds a template delimiter")
		}
		if promtool, err := exec.LookPath("promtool"); err == nil {
			if out, err := exec.Command(promtool, "check", "rules", filepath.Join(dir, "prometheus", "rules.yaml")).CombinedOutput(); err != nil {
				t.Errorf("promtool check rules: %v\n%s", err, out)
			}
		} else {
			t.Log("promtool not installed: rules not checked by promtool")
		}
	}
	ks, _ := filepath.Glob(filepath.Join(dir, "k8s", "*.yaml"))
	for _, f := range ks {
		b, _ := os.ReadFile(f)
		for _, doc := range strings.Split(string(b), "\n---\n") {
			var obj struct {
				Metadata struct {
					Name   string            `json:"name"`
					Labels map[string]string `json:"labels"`
				} `json:"metadata"`
			}
			if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
				t.Errorf("%s: %v", f, err)
				continue
			}
			if n := obj.Metadata.Name; n != "" && len(validation.IsDNS1123Subdomain(n)) > 0 {
				t.Errorf("%s: name %q: %v", f, n, validation.IsDNS1123Subdomain(n))
			}
			for k, v := range obj.Metadata.Labels {
				if len(validation.IsQualifiedName(k)) > 0 || len(validation.IsValidLabelValue(v)) > 0 {
					t.Errorf("%s: label %q=%q", f, k, v)
				}
			}
		}
	}
	md, _ := os.ReadFile(filepath.Join(dir, "report.md"))
	html, _ := os.ReadFile(filepath.Join(dir, "report.html"))
	for _, bad := range []string{"<script>alert", "<b>x</b>", "<i>", "</td><script>"} {
		if bytes.Contains(md, []byte(bad)) {
			t.Errorf("report.md holds raw %q", bad)
		}
		if bytes.Contains(html, []byte(bad)) {
			t.Errorf("report.html holds raw %q", bad)
		}
	}
	if regexp.MustCompile(`(^|[^\\])\]\(javascript:`).Match(md) {
		t.Errorf("report.md holds a live javascript: link")
	}
	checkTables(t, string(md))
}

var unescapedPipe = regexp.MustCompile(`(^|[^\\])\|`)

// checkTables: every Markdown table row has as many cells as its header.
func checkTables(t *testing.T, md string) {
	t.Helper()
	cols := 0
	for i, line := range strings.Split(md, "\n") {
		if !strings.HasPrefix(line, "|") {
			cols = 0
			continue
		}
		n := len(unescapedPipe.FindAllStringIndex(strings.ReplaceAll(line, `\\`, ""), -1))
		if cols == 0 {
			cols = n
			continue
		}
		if n != cols {
			t.Errorf("report.md line %d has %d cell borders, its table %d: %s", i+1, n, cols, line)
		}
	}
}

func mermaidBlock(t *testing.T, md string) string {
	t.Helper()
	b, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "```mermaid\n")
	if i < 0 {
		return ""
	}
	s = s[i+len("```mermaid\n"):]
	j := strings.Index(s, "```")
	if j < 0 {
		t.Fatal("unterminated mermaid block")
	}
	return s[:j]
}

// mermaidParse runs mermaid's own parser (mermaid 11 under Node with
// jsdom) on the diagrams. It needs node and a folder with mermaid and
// jsdom installed, named by AIPLAN_MERMAID_DIR (.ci/run installs one);
// without them it skips.
func mermaidParse(t *testing.T, diagrams []string) {
	t.Helper()
	dir := os.Getenv("AIPLAN_MERMAID_DIR")
	node, err := exec.LookPath("node")
	if dir == "" || err != nil {
		t.Log("mermaid parse check skipped: set AIPLAN_MERMAID_DIR to a folder with `npm install mermaid@11 jsdom` and install node")
		return
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "mermaid")); err != nil {
		t.Logf("mermaid parse check skipped: %v", err)
		return
	}
	script, err := os.ReadFile("../../testdata/mermaid/parse.mjs")
	if err != nil {
		t.Fatal(err)
	}
	sp := filepath.Join(dir, "aiplan-parse.mjs")
	if err := os.WriteFile(sp, script, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(node, append([]string{sp}, diagrams...)...).CombinedOutput()
	t.Logf("mermaid parse of %d diagrams:\n%s", len(diagrams), out)
	if err != nil {
		t.Errorf("mermaid rejects a diagram: %v", err)
	}
}
