// Package diag holds user-facing diagnostics: an error or warning about an
// input, with the field path, the file position and the allowed values.
package diag

import (
	"fmt"
	"sort"
	"strings"
)

// Severity of a diagnostic.
type Severity string

// Severities.
const (
	Error   Severity = "error"
	Warning Severity = "warning"
)

// Diagnostic is one finding about an input.
type Diagnostic struct {
	Severity Severity `json:"severity"`
	File     string   `json:"file,omitempty"`
	Line     int      `json:"line,omitempty"`
	Col      int      `json:"col,omitempty"`
	// Path is the field path, e.g. "workloads[2].slo.ttftP99Ms".
	Path    string `json:"path,omitempty"`
	Summary string `json:"summary"`
	Value   string `json:"value,omitempty"`
	Allowed string `json:"allowed,omitempty"`
}

func (d Diagnostic) String() string {
	var b strings.Builder
	if d.File != "" {
		b.WriteString(d.File)
		if d.Line > 0 {
			fmt.Fprintf(&b, ":%d:%d", d.Line, d.Col)
		}
		b.WriteString(": ")
	}
	b.WriteString(string(d.Severity))
	b.WriteString(": ")
	if d.Path != "" {
		b.WriteString(d.Path)
		b.WriteString(": ")
	}
	b.WriteString(d.Summary)
	if d.Value != "" {
		fmt.Fprintf(&b, " (got %s)", d.Value)
	}
	if d.Allowed != "" {
		fmt.Fprintf(&b, "; allowed: %s", d.Allowed)
	}
	return b.String()
}

// Diagnostics is a list of findings.
type Diagnostics []Diagnostic

// HasErrors reports whether any diagnostic is an error.
func (ds Diagnostics) HasErrors() bool {
	for _, d := range ds {
		if d.Severity == Error {
			return true
		}
	}
	return false
}

// Sort orders by line, then path, for stable output.
func (ds Diagnostics) Sort() {
	sort.SliceStable(ds, func(i, j int) bool {
		if ds[i].Line != ds[j].Line {
			return ds[i].Line < ds[j].Line
		}
		return ds[i].Path < ds[j].Path
	})
}

// Err returns the errors as one Go error, or nil.
func (ds Diagnostics) Err() error {
	if !ds.HasErrors() {
		return nil
	}
	return &ListError{ds}
}

// ListError wraps diagnostics as an error.
type ListError struct{ Diags Diagnostics }

func (e *ListError) Error() string {
	var lines []string
	n := 0
	for _, d := range e.Diags {
		if d.Severity == Error {
			n++
		}
		lines = append(lines, d.String())
	}
	return fmt.Sprintf("%d error(s):\n%s", n, strings.Join(lines, "\n"))
}
