package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/aiplan-dev/aiplan/catalog"
	"github.com/spf13/cobra"
)

func newCatalogCheckCmd(overlays *[]string, out *string) *cobra.Command {
	return &cobra.Command{
		Use:   "check",
		Short: "Run the catalog checks and print the findings (exit 1 on errors)",
		Long: `check runs the catalog checks on the embedded catalog and any --catalog
overlays: spot below on-demand or absent, per-accelerator price within a
band of the accelerator's median (outliers are flagged and skipped by
plans unless allowed), no $0 prices, dense vs sparse peak ratios, usable
memory in GiB, default precision equal to the released checkpoint, no
precision peak without compute units, a network record on every
accelerator instance, and dated prices. Errors make the catalog unusable
(exit 1); warnings are printed with their reason.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(*out); err != nil {
				return err
			}
			fs, err := catalog.CheckFiles(*overlays...)
			if err != nil {
				return usageError{err}
			}
			w := cmd.OutOrStdout()
			nerr := len(catalog.Errors(fs))
			if *out == "json" {
				if fs == nil {
					fs = []catalog.Finding{}
				}
				if err := writeJSON(w, fs); err != nil {
					return err
				}
			} else {
				tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "SEVERITY\tCHECK\tENTRY\tFINDING")
				for _, f := range fs {
					fmt.Fprintf(tw, "%s\t%s\t%s %s\t%s\n", f.Severity, f.Check, f.Kind, f.ID, f.Message)
				}
				tw.Flush()
				fmt.Fprintf(w, "%d errors, %d warnings\n", nerr, len(fs)-nerr)
			}
			if nerr > 0 {
				return fmt.Errorf("catalog check: %d errors", nerr)
			}
			return nil
		},
	}
}
