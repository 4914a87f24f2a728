// Package export turns a plan into deployable files: Kubernetes manifests
// built from the k8s.io/api types, Terraform written with hclwrite, and
// Prometheus alerting rules for every SLO, plus the reports that link them.
// Read export.go (Write), then k8s.go, terraform.go and promrules.go.
package export

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/aiplan-dev/aiplan/plan"
	"github.com/aiplan-dev/aiplan/report"
)

// Targets lists the export kinds.
var Targets = []string{"k8s", "terraform", "prometheus", "all"}

// File is one generated file.
type File struct {
	Path string
	Data []byte
}

// Generate builds the files for the targets without touching the disk.
func Generate(p *plan.Plan, targets []string) ([]File, []string, error) {
	want := map[string]bool{}
	for _, t := range targets {
		switch t {
		case "all":
			want["k8s"], want["terraform"], want["prometheus"] = true, true, true
		case "k8s", "terraform", "prometheus":
			want[t] = true
		default:
			return nil, nil, fmt.Errorf("--to %q: allowed: %s", t, strings.Join(Targets, ", "))
		}
	}
	var files []File
	var notes []string
	if want["k8s"] {
		fs, n, err := Kubernetes(p)
		if err != nil {
			return nil, nil, err
		}
		files = append(files, fs...)
		notes = append(notes, n...)
	}
	if want["terraform"] {
		fs, n := Terraform(p)
		files = append(files, fs...)
		notes = append(notes, n...)
	}
	if want["prometheus"] {
		f, n, err := PrometheusRules(p)
		if err != nil {
			return nil, nil, err
		}
		files = append(files, f)
		notes = append(notes, n...)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, notes, nil
}

// Write generates the files into dir, then the Markdown and HTML reports
// that link them. Existing files with the same names are replaced; nothing
// else in dir is touched.
func Write(p *plan.Plan, dir string, targets []string) ([]string, []string, error) {
	files, notes, err := Generate(p, targets)
	if err != nil {
		return nil, nil, err
	}
	for _, f := range files {
		p.Exports = append(p.Exports, f.Path)
	}
	md, _ := report.Render(p, "md")
	html, _ := report.Render(p, "html")
	files = append(files, File{"report.md", md}, File{"report.html", html})
	var written []string
	for _, f := range files {
		dest := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
			return written, notes, err
		}
		tmp := dest + ".tmp"
		if err := os.WriteFile(tmp, f.Data, 0o644); err != nil {
			return written, notes, err
		}
		if err := os.Rename(tmp, dest); err != nil {
			return written, notes, err
		}
		written = append(written, f.Path)
	}
	return written, notes, nil
}

// slug makes a DNS-1123 label.
func slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	out := strings.Trim(b.String(), "-")
	if len(out) > 50 {
		out = strings.TrimRight(out[:50], "-")
	}
	if out == "" {
		out = "plan"
	}
	return out
}
