package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/aiplan-dev/aiplan/catalog"
	"github.com/aiplan-dev/aiplan/diag"
	"github.com/aiplan-dev/aiplan/plan"
	"github.com/aiplan-dev/aiplan/report"
	"github.com/aiplan-dev/aiplan/safefile"
	"github.com/aiplan-dev/aiplan/spec"
	"github.com/invopop/jsonschema"
	"github.com/spf13/cobra"
)

// readWorkload reads a workload file ("-" for stdin) with a size limit.
func readWorkload(path string, stdin io.Reader) ([]byte, error) {
	var r io.Reader
	if path == "-" {
		r = stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, usage("%v", err)
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil && st.IsDir() {
			return nil, usage("%s is a directory; give a workload file", path)
		}
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, spec.MaxFileBytes+1))
	if err != nil {
		return nil, usage("read %s: %v", path, err)
	}
	if len(b) > spec.MaxFileBytes {
		return nil, usage("%s is larger than %d bytes; workload files are limited to that size", path, spec.MaxFileBytes)
	}
	return b, nil
}

func loadPlanInput(cmd *cobra.Command, path string, overlays []string) (*spec.File, *catalog.Catalog, error) {
	c, err := loadCatalog(overlays)
	if err != nil {
		return nil, nil, err
	}
	b, err := readWorkload(path, cmd.InOrStdin())
	if err != nil {
		return nil, nil, err
	}
	f, ds := spec.Load(b, path, c)
	for _, d := range ds {
		if d.Severity == diag.Warning {
			fmt.Fprintln(cmd.ErrOrStderr(), d.String())
		}
	}
	if ds.HasErrors() {
		return nil, nil, usageError{ds.Err()}
	}
	return f, c, nil
}

// writeOut writes the report to dest through safefile: atomically for a
// regular file, in place for a device, FIFO or standard stream, never onto
// an input. A refused path is a usage error.
func writeOut(flag, dest string, inputs []string, fill func(io.Writer) error) error {
	err := safefile.WriteStream(dest, fill, inputs...)
	var re *safefile.RefusedError
	if errors.As(err, &re) {
		return usageError{fmt.Errorf("%s %w", flag, err)}
	}
	return err
}

// countWriter counts the bytes written through it.
type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) {
	*c += countWriter(len(p))
	return len(p), nil
}

func newPlanCmd() *cobra.Command {
	var out, dest, explain string
	var overlays []string
	var allowFlagged, failOverBudget bool
	cmd := &cobra.Command{
		Use:   "plan FILE",
		Short: "Plan every workload in a file: the cheapest configuration meeting every SLO and constraint, with costs",
		Example: `  aiplan plan examples/eu-enterprise.yaml
  aiplan plan examples/eu-enterprise.yaml --explain assistant
  aiplan plan examples/eu-enterprise.yaml -o html --out plan.html
  aiplan plan examples/eu-enterprise.yaml --fail-over-budget   # exit 4 when over budget

Exit status: 0 when every workload has a feasible configuration; 3 when any
workload has none; 4 with --fail-over-budget when the plan's new spending
exceeds the budget; 2 for bad input; 1 for internal errors.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !contains(report.Formats, out) && out != "markdown" {
				return usage("-o %q: allowed: %s", out, strings.Join(report.Formats, ", "))
			}
			// The search allocates short-lived candidates by the million:
			// collect garbage at twice the default heap growth (GOGC
			// overrides it), under the process's soft memory limit
			// (softMemoryLimit, or GOMEMLIMIT).
			if os.Getenv("GOGC") == "" {
				debug.SetGCPercent(200)
			}
			f, c, err := loadPlanInput(cmd, args[0], overlays)
			if err != nil {
				return err
			}
			p := plan.BuildWith(f, c, plan.Options{Now: time.Now(), AllowFlaggedPrices: allowFlagged})
			if explain != "" {
				if err := report.Explain(cmd.OutOrStdout(), p, explain); err != nil {
					return usageError{err}
				}
				return planStatus(p, failOverBudget)
			}
			if dest != "" {
				var n countWriter
				if err := writeOut("--out", dest, args, func(w io.Writer) error {
					return report.Write(io.MultiWriter(w, &n), p, out)
				}); err != nil {
					return err
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s (%d bytes)\n", dest, int64(n))
				return planStatus(p, failOverBudget)
			}
			if err := report.Write(cmd.OutOrStdout(), p, out); err != nil {
				return err
			}
			return planStatus(p, failOverBudget)
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "table", "table, json, md or html")
	cmd.Flags().StringVar(&dest, "out", "", "write the report to this file instead of standard output")
	cmd.Flags().StringVar(&explain, "explain", "", "show one workload's alternatives and why each lost")
	cmd.Flags().StringArrayVar(&overlays, "catalog", nil, "extra catalog file(s)")
	cmd.Flags().BoolVar(&allowFlagged, "allow-flagged-prices", false, "use catalog prices flagged as anomalous (excluded by default)")
	cmd.Flags().BoolVar(&failOverBudget, "fail-over-budget", false, "exit with status 4 when the plan's new spending exceeds the budget")
	return cmd
}

// Exit statuses of `aiplan plan` beyond 0 (ok), 1 (internal) and 2 (usage).
const (
	exitInfeasible = 3
	exitOverBudget = 4
)

// exitStatus is a finished command whose outcome CI should see: the
// report was written, and the process exits with code.
type exitStatus struct {
	code int
	msg  string
}

func (e exitStatus) Error() string { return e.msg }

// planStatus is the plan's exit status: 3 when any workload has no
// feasible configuration, else 4 when asked to fail over budget and the
// plan is over it.
func planStatus(p *plan.Plan, failOverBudget bool) error {
	if bad := p.Infeasible(); len(bad) > 0 {
		return exitStatus{exitInfeasible, fmt.Sprintf("no feasible configuration for %d workload(s): %s", len(bad), strings.Join(bad, ", "))}
	}
	if failOverBudget && p.Budget != nil && !p.Budget.Within {
		return exitStatus{exitOverBudget, fmt.Sprintf("over budget: new spending %.0f USD/month exceeds %.0f", p.Budget.MonthlyUSD, p.Budget.LimitUSD)}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func newValidateCmd() *cobra.Command {
	var overlays []string
	var out string
	cmd := &cobra.Command{
		Use:   "validate FILE",
		Short: "Check a workload file: every error with its line, field, value and what is allowed",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(out); err != nil {
				return err
			}
			c, err := loadCatalog(overlays)
			if err != nil {
				return err
			}
			b, err := readWorkload(args[0], cmd.InOrStdin())
			if err != nil {
				return err
			}
			_, ds := spec.Load(b, args[0], c)
			if out == "json" {
				if ds == nil {
					ds = diag.Diagnostics{}
				}
				if err := writeJSON(cmd.OutOrStdout(), ds); err != nil {
					return err
				}
			} else {
				for _, d := range ds {
					fmt.Fprintln(cmd.OutOrStdout(), d.String())
				}
			}
			if ds.HasErrors() {
				n := 0
				for _, d := range ds {
					if d.Severity == diag.Error {
						n++
					}
				}
				return usage("%s: %d error(s)", args[0], n)
			}
			if out != "json" {
				fmt.Fprintf(cmd.OutOrStdout(), "%s: valid\n", args[0])
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&overlays, "catalog", nil, "extra catalog file(s)")
	cmd.Flags().StringVarP(&out, "output", "o", "table", "table or json")
	return cmd
}

// Schema returns the JSON Schema of the workload file, generated from the Go types.
func Schema() ([]byte, error) {
	r := &jsonschema.Reflector{DoNotReference: false, ExpandedStruct: true}
	s := r.Reflect(&spec.File{})
	s.ID = "https://aiplan.dev/schemas/plan-v1.json"
	s.Title = "aiplan workload file (apiVersion aiplan.dev/v1, kind Plan)"
	// model accepts a catalog id string as well as an inline description.
	if def, ok := s.Definitions["ModelRef"]; ok {
		obj := *def
		s.Definitions["ModelRef"] = &jsonschema.Schema{OneOf: []*jsonschema.Schema{{Type: "string", Description: "catalog model id"}, &obj}}
	}
	return json.MarshalIndent(s, "", "  ")
}

func newSchemaCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of the workload file (for editors)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, err := Schema()
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), string(b))
			return err
		},
	}
}
