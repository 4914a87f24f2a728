package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/aiplan-dev/aiplan/export"
	"github.com/aiplan-dev/aiplan/plan"
	"github.com/aiplan-dev/aiplan/safefile"
	"github.com/spf13/cobra"
)

func newExportCmd() *cobra.Command {
	var to []string
	var dir string
	var overlays []string
	cmd := &cobra.Command{
		Use:   "export FILE",
		Short: "Write deployable output for a plan: Kubernetes manifests, Terraform, Prometheus rules and linked reports",
		Example: `  aiplan export examples/eu-enterprise.yaml --to all -d out/
  aiplan export examples/fraud-scoring.yaml --to k8s,prometheus -d deploy/`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if dir == "" {
				return usage("-d DIR is required")
			}
			var targets []string
			for _, t := range to {
				for _, x := range strings.Split(t, ",") {
					if x = strings.TrimSpace(x); x != "" {
						targets = append(targets, x)
					}
				}
			}
			if len(targets) == 0 {
				targets = []string{"all"}
			}
			for _, t := range targets {
				if !contains(export.Targets, t) {
					return usage("--to %q: allowed: %s", t, strings.Join(export.Targets, ", "))
				}
			}
			f, c, err := loadPlanInput(cmd, args[0], overlays)
			if err != nil {
				return err
			}
			p := plan.Build(f, c)
			written, notes, err := export.Write(p, dir, targets, args[0])
			var re *safefile.RefusedError
			if errors.As(err, &re) {
				return usageError{fmt.Errorf("-d %w", err)}
			}
			if err != nil {
				return err
			}
			for _, w := range written {
				fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\n", filepath.Join(dir, w))
			}
			for _, n := range notes {
				fmt.Fprintf(cmd.ErrOrStderr(), "note: %s\n", n)
			}
			return nil
		},
	}
	cmd.Flags().StringSliceVar(&to, "to", []string{"all"}, "what to write: k8s, terraform, prometheus or all (comma-separated)")
	cmd.Flags().StringVarP(&dir, "dir", "d", "", "output directory (created if missing)")
	cmd.Flags().StringArrayVar(&overlays, "catalog", nil, "extra catalog file(s)")
	return cmd
}
