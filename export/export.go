// Package export turns a plan into deployable files: Kubernetes manifests
// built from the k8s.io/api types, Terraform written with hclwrite, and
// Prometheus alerting rules for every SLO, plus the reports that link them.
// Read export.go (Write), then k8s.go, terraform.go and promrules.go.
package export

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/aiplan-dev/aiplan/plan"
	"github.com/aiplan-dev/aiplan/report"
	"github.com/aiplan-dev/aiplan/safefile"
	"github.com/aiplan-dev/aiplan/spec"
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
	want, err := wanted(targets)
	if err != nil {
		return nil, nil, err
	}
	var files []File
	notes, err := generateTo(p, want, func(f File) error { files = append(files, f); return nil })
	if err != nil {
		return nil, nil, err
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, notes, nil
}

// wanted resolves the --to targets into the kinds to write.
func wanted(targets []string) (map[string]bool, error) {
	want := map[string]bool{}
	for _, t := range targets {
		switch t {
		case "all":
			want["k8s"], want["terraform"], want["prometheus"] = true, true, true
		case "k8s", "terraform", "prometheus":
			want[t] = true
		default:
			return nil, fmt.Errorf("--to %q: allowed: %s", t, strings.Join(Targets, ", "))
		}
	}
	return want, nil
}

// generateTo hands every file of the wanted kinds to emit as it is built (in
// no particular order), so that a writer need not hold them all.
func generateTo(p *plan.Plan, want map[string]bool, emit func(File) error) ([]string, error) {
	var notes []string
	if want["k8s"] {
		n, err := kubernetesTo(p, emit)
		if err != nil {
			return nil, err
		}
		notes = append(notes, n...)
	}
	if want["terraform"] {
		fs, n := Terraform(p)
		for _, f := range fs {
			if err := emit(f); err != nil {
				return nil, err
			}
		}
		notes = append(notes, n...)
	}
	if want["prometheus"] {
		f, n, err := PrometheusRules(p)
		if err != nil {
			return nil, err
		}
		if err := emit(f); err != nil {
			return nil, err
		}
		notes = append(notes, n...)
	}
	return notes, nil
}

// ManifestName is the file in an export directory that lists what the
// last export wrote there, so the next one removes its own stale files and
// nothing else.
const ManifestName = "aiplan-export.json"

type manifest struct {
	Plan  string   `json:"plan"`
	Files []string `json:"files"`
}

// Write generates the files into dir, then the Markdown and HTML reports
// that link them, through safefile: nothing outside dir, nothing through a
// link, never onto an input. Every file is staged first and renamed into
// place only when all are written, so a failed export leaves dir as it
// was. Files the previous export listed in the manifest and this one does
// not write are removed; nothing else in dir is touched.
func Write(p *plan.Plan, dir string, targets []string, inputs ...string) ([]string, []string, error) {
	want, err := wanted(targets)
	if err != nil {
		return nil, nil, err
	}
	d, err := safefile.OpenDir(dir, inputs...)
	if err != nil {
		return nil, nil, err
	}
	defer d.Close()
	var old manifest
	notManifest := false
	if b, err := d.ReadFile(ManifestName); err != nil {
		return nil, nil, err
	} else if b != nil && json.Unmarshal(b, &old) != nil {
		notManifest = true
		old = manifest{}
	}
	// Each file is staged as soon as it is built: a plan of many workloads
	// never holds all of its manifests in memory.
	var written []string
	notes, err := generateTo(p, want, func(f File) error {
		if err := d.Stage(f.Path, f.Data); err != nil {
			return err
		}
		written = append(written, f.Path)
		return nil
	})
	if err != nil {
		return nil, notes, err
	}
	if notManifest {
		notes = append(notes, ManifestName+" is not an aiplan manifest; no stale files removed")
	}
	sort.Strings(written)
	p.Exports = append(p.Exports, written...)
	for _, r := range []struct{ name, format string }{{"report.md", "md"}, {"report.html", "html"}} {
		if err := d.StageStream(r.name, func(w io.Writer) error { return report.Write(w, p, r.format) }); err != nil {
			return nil, notes, err
		}
		written = append(written, r.name)
	}
	mb, err := json.MarshalIndent(manifest{Plan: p.Name, Files: written}, "", "  ")
	if err != nil {
		return nil, notes, err
	}
	if err := d.Stage(ManifestName, append(mb, '\n')); err != nil {
		return nil, notes, err
	}
	if err := d.Commit(); err != nil {
		return nil, notes, err
	}
	now := map[string]bool{}
	for _, w := range written {
		now[w] = true
	}
	for _, f := range old.Files {
		if !now[f] && f != ManifestName {
			if err := d.Remove(f); err != nil {
				notes = append(notes, fmt.Sprintf("could not remove stale %s: %v", f, err))
			}
		}
	}
	return written, notes, nil
}

// slug is spec.Slug, the one function that makes identifiers from names.
func slug(s string) string { return spec.Slug(s) }
