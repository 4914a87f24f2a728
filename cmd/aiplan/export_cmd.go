package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/aiplan-dev/aiplan/export"
	"github.com/aiplan-dev/aiplan/plan"
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
			absIn, _ := filepath.Abs(args[0])
			absDir, _ := filepath.Abs(dir)
			if st, err := os.Stat(absDir); err == nil && !st.IsDir() {
				return usage("-d %s is a file, not a directory", dir)
			}
			if filepath.Dir(absIn) == absDir {
				return usage("-d %s holds the workload file; export into a separate directory so nothing of yours is overwritten", dir)
			}
			f, c, err := loadPlanInput(cmd, args[0], overlays)
			if err != nil {
				return err
			}
			p := plan.Build(f, c)
			written, notes, err := export.Write(p, dir, targets)
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
