package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"text/tabwriter"

	"github.com/aiplan-dev/aiplan/calib"
	"github.com/goccy/go-yaml"
	"github.com/spf13/cobra"
)

func readRows(paths []string) ([]calib.Row, error) {
	var all []calib.Row
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, usage("%v", err)
		}
		rows, err := calib.ReadCSV(f)
		f.Close()
		if err != nil {
			return nil, usage("%s: %v", p, err)
		}
		all = append(all, rows...)
	}
	return all, nil
}

func newCalibrateCmd() *cobra.Command {
	var overlays []string
	var out string
	var verbose bool
	var cvBy string
	var cvEvals int
	cmd := &cobra.Command{Use: "calibrate", Short: "Check predictions against measurements, or refit the efficiency factors"}
	cmd.PersistentFlags().StringArrayVar(&overlays, "catalog", nil, "extra catalog file(s)")
	report := &cobra.Command{
		Use:   "report FILE.csv...",
		Short: "Median and p90 error per class of aiplan's predictions for measurement rows",
		Long: `Reads measurement CSVs in the calibration format (columns id, model, hardware,
num_gpus, tp, precision, engine, isl, osl, batch_or_concurrency, metric, value,
notes, source, and for request-rate rows request_rate; training rows add
total_params_b, tokens_b, seq_len) and prints aiplan's error per class.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(out); err != nil {
				return err
			}
			c, err := loadCatalog(overlays)
			if err != nil {
				return err
			}
			rows, err := readRows(args)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			samples := calib.Prepare(c, rows)
			var res []calib.Result
			var cvStats []calib.CVStats
			var cvRes calib.CVResult
			if cvBy != "" {
				by, err := calib.GroupingByName(cvBy)
				if err != nil {
					return usage("%v", err)
				}
				cvRes, err = calib.CrossValidate(c.Efficiency, samples, by, cvEvals)
				if err != nil {
					return err
				}
				res, cvStats = cvRes.Results, cvRes.Summary()
			} else {
				res = calib.Evaluate(samples, c.Efficiency)
			}
			stats := calib.Summarize(res)
			if out == "json" {
				if cvBy != "" {
					return writeJSON(w, map[string]any{"cv": cvBy, "classes": cvStats, "widen_per_extrapolation": cvRes.Widen, "rows": res})
				}
				return writeJSON(w, map[string]any{"classes": stats, "rows": res})
			}
			tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
			if cvBy != "" {
				fmt.Fprintf(w, "cross-validated: factors refitted without each %s, then that %s predicted\n", cvBy, cvBy)
				fmt.Fprintln(tw, "CLASS\tROWS\tMEDIAN APE %\tP90 APE %\tIN 80% BAND %")
				for _, s := range cvStats {
					fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.1f\t%s\n", s.Class, s.N, s.MedianAPE, s.P90, s.CoverageText())
				}
			} else {
				fmt.Fprintln(tw, "CLASS\tROWS\tMEDIAN APE %\tP90 APE %")
				for _, s := range stats {
					fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.1f\n", s.Class, s.N, s.MedianAPE, s.P90)
				}
			}
			tw.Flush()
			skipped := 0
			for _, r := range res {
				if r.Skipped != "" {
					skipped++
				}
			}
			fmt.Fprintf(w, "%d rows, %d not supported\n", len(res), skipped)
			if cvBy != "" {
				fmt.Fprintf(w, "band widened x%.2f per way a prediction leaves the calibration data\n", cvRes.Widen)
			}
			if verbose {
				sort.SliceStable(res, func(i, j int) bool { return res[i].APE() > res[j].APE() })
				fmt.Fprintln(w, "\nrows by error:")
				for _, r := range res {
					if r.Skipped != "" {
						fmt.Fprintf(w, "  %-40s skipped: %s\n", r.ID, r.Skipped)
						continue
					}
					fmt.Fprintf(w, "  %-40s %-24s measured %-10.4g predicted %-10.4g %6.1f%%\n", r.ID, r.Metric, r.Measured, r.Predicted, r.APE())
				}
			}
			return nil
		},
	}
	report.Flags().StringVarP(&out, "output", "o", "table", "table or json")
	report.Flags().BoolVarP(&verbose, "verbose", "v", false, "list every row with its error")
	report.Flags().StringVar(&cvBy, "cv", "", "cross-validate: refit without each source, accelerator or model and predict it")
	report.Flags().IntVar(&cvEvals, "cv-evals", 200, "fitter evaluations per parameter group in each cross-validation refit")
	var dest string
	var evals int
	fit := &cobra.Command{
		Use:   "fit FILE.csv...",
		Short: "Refit the engine's efficiency factors on measurement rows and write them as a catalog file",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := loadCatalog(overlays)
			if err != nil {
				return err
			}
			rows, err := readRows(args)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "fitting on %d rows (up to %d evaluations per group)...\n", len(rows), evals)
			rep, err := calib.Fit(c, rows, evals)
			if err != nil {
				return err
			}
			c.Efficiency.Source = fmt.Sprintf("fitted by `aiplan calibrate fit` on %d rows of %v (compass search, per-class mean |log error| plus prior %.3f -> %.3f; bands from leave-one-source-out cross-validation)", len(rows), args, rep.Before, rep.After)
			b, err := yaml.MarshalWithOptions(map[string]any{"efficiency": c.Efficiency}, yaml.Indent(2))
			if err != nil {
				return err
			}
			header := "# Efficiency factors of the performance engine, fitted on calibration rows.\n# Regenerate: go run ./cmd/aiplan calibrate fit calib/testdata/inference.csv calib/testdata/training.csv calib/testdata/classic.csv --out catalog/data/efficiency.yaml\n"
			if err := writeOut("--out", dest, args, func(w io.Writer) error { _, err := w.Write(append([]byte(header), b...)); return err }); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "loss %.4f -> %.4f after %d evaluations; wrote %s\n", rep.Before, rep.After, rep.Evaluations, dest)
			return nil
		},
	}
	fit.Flags().StringVar(&dest, "out", "efficiency.yaml", "file to write (a catalog overlay)")
	fit.Flags().IntVar(&evals, "evals", 3000, "function evaluations per parameter group")
	cmd.AddCommand(report, fit)
	return cmd
}
