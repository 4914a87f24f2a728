package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aiplan-dev/aiplan/catalog"
	"github.com/aiplan-dev/aiplan/catalog/pricefile"
	"github.com/spf13/cobra"
)

func newCatalogImportCmd(overlays *[]string, out *string) *cobra.Command {
	var format, cloud, output string
	var regions []string
	cmd := &cobra.Command{
		Use:   "import FILE...",
		Short: "Import prices from downloaded price files into an overlay catalog",
		Long: `import reads price files you downloaded and writes (or extends) an overlay
catalog that --catalog applies on top of the embedded one. Nothing is
fetched. Formats:
  skypilot       SkyPilot catalog CSV (skypilot-catalog catalogs/v8/<cloud>/vms.csv)
  aws-pricelist  AWS Price List bulk JSON for AmazonEC2 (whole or a region's slice)
  azure-retail   Azure Retail Prices API JSON pages (pass every page)
  gcp-skus       GCP Cloud Billing Catalog SKU JSON pages for Compute Engine

Spot is the median across zones of the spot prices below on-demand; $0
rows and spot at or above on-demand are dropped; every entry records the
file's name, date and sha256 as its source. Entries of types the catalog
knows keep their accelerator, shape and network. New regions are limited
to the catalog's regions unless --region names others. The overlay passes
the catalog checks before it is written; a malformed or truncated file
stops the import (exit 2, with the file position) and leaves the overlay
as it was.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			if err := checkOutput(*out); err != nil {
				return err
			}
			ok := false
			for _, f := range pricefile.Formats {
				ok = ok || f == format
			}
			if !ok {
				return usage("--format %q: allowed: %s", format, strings.Join(pricefile.Formats, ", "))
			}
			if output == "" {
				return usage("--overlay: name the overlay file to write or extend (for example prices.yaml)")
			}
			existing, err := pricefile.ReadOverlay(output)
			if err != nil {
				return usageError{err}
			}
			baseOverlays := append([]string(nil), *overlays...)
			if _, err := os.Stat(output); err == nil {
				baseOverlays = append(baseOverlays, output)
			}
			base, err := catalog.Merged(baseOverlays...)
			if err != nil {
				return usageError{err}
			}
			res, err := pricefile.Read(format, files, cloud, pricefile.GCPShapes(base))
			if err != nil {
				return usageError{err}
			}
			opt := pricefile.Options{Now: time.Now()}
			if len(regions) > 0 {
				opt.Regions = map[string]bool{}
				for _, r := range regions {
					opt.Regions[r] = true
				}
			}
			entries, skipped, err := pricefile.Apply(base, res, opt)
			if err != nil {
				return err
			}
			info := &catalog.ImportInfo{Format: format, ImportedAt: opt.Now.UTC().Format(time.RFC3339), Files: res.Sources, Entries: len(entries)}
			ov := pricefile.MergeOverlay(existing, entries, info)
			b, err := pricefile.Marshal(ov)
			if err != nil {
				return err
			}
			// The overlay must parse and pass the checks before it replaces
			// anything.
			tmp, err := os.CreateTemp(filepath.Dir(output), ".aiplan-check-*.yaml")
			if err != nil {
				return err
			}
			defer os.Remove(tmp.Name())
			if _, err := tmp.Write(b); err != nil {
				return err
			}
			tmp.Close()
			check := append(append([]string(nil), *overlays...), tmp.Name())
			after, err := catalog.Merged(check...)
			if err != nil {
				return fmt.Errorf("imported overlay does not parse (nothing written): %w", err)
			}
			loaded, err := catalog.Load(check...)
			if err != nil {
				return fmt.Errorf("imported overlay fails the catalog checks (nothing written): %w", err)
			}
			imported := map[string]bool{}
			for _, e := range entries {
				imported[e.ID] = true
			}
			var warnings []catalog.Finding
			for _, f := range loaded.Findings() {
				if f.Kind == "instance" && imported[f.ID] {
					warnings = append(warnings, f)
				}
			}
			for _, e := range entries {
				// Flags the reader set (import checks) are findings too.
				if e.PriceFlag != "" && strings.HasPrefix(e.PriceFlag, "import check") {
					warnings = append(warnings, catalog.Finding{Severity: catalog.SevWarning, Check: "import", Kind: "instance", ID: e.ID, Message: "price_flag: " + e.PriceFlag})
				}
			}
			if err := writeOut("--overlay", output, files, func(w io.Writer) error { _, err := w.Write(b); return err }); err != nil {
				return err
			}
			changes := catalog.Diff(base, after)
			w := cmd.OutOrStdout()
			if *out == "json" {
				return writeJSON(w, map[string]any{"overlay": output, "import": info, "changes": nonNil(changes), "skipped": nonNilS(skipped), "dropped": nonNilS(res.Dropped), "warnings": nonNilF(warnings)})
			}
			fmt.Fprintf(w, "wrote %s: %d entries from %d %s file(s)\n", output, len(entries), len(files), format)
			for _, s := range res.Sources {
				fmt.Fprintf(w, "  %s  dated %s  sha256 %s\n", s.Name, s.Date, s.SHA256)
			}
			printChanges(w, changes)
			for _, s := range res.Dropped {
				fmt.Fprintf(w, "dropped: %s\n", s)
			}
			for _, s := range skipped {
				fmt.Fprintf(w, "skipped: %s\n", s)
			}
			for _, f := range warnings {
				fmt.Fprintf(w, "check: %s\n", f)
			}
			fmt.Fprintf(w, "use it with: aiplan plan --catalog %s ...\n", output)
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "", "price file format: "+strings.Join(pricefile.Formats, ", "))
	cmd.Flags().StringVar(&cloud, "cloud", "", "cloud of a SkyPilot CSV when the path does not say (aws, gcp, azure, lambda, nebius, runpod)")
	cmd.Flags().StringVar(&output, "overlay", "", "overlay file to write or extend (required)")
	cmd.Flags().StringArrayVar(&regions, "region", nil, "import new entries in this region (repeatable; default: the catalog's regions)")
	return cmd
}

func newCatalogDiffCmd(overlays *[]string, out *string) *cobra.Command {
	return &cobra.Command{
		Use:   "diff OVERLAY...",
		Short: "Show what overlay files (such as an import) change in the catalog",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(*out); err != nil {
				return err
			}
			before, err := catalog.Merged(*overlays...)
			if err != nil {
				return usageError{err}
			}
			after, err := catalog.Merged(append(append([]string(nil), *overlays...), args...)...)
			if err != nil {
				return usageError{err}
			}
			changes := catalog.Diff(before, after)
			if *out == "json" {
				return writeJSON(cmd.OutOrStdout(), nonNil(changes))
			}
			printChanges(cmd.OutOrStdout(), changes)
			return nil
		},
	}
}

func printChanges(w interface{ Write([]byte) (int, error) }, changes []catalog.Change) {
	added, changed := 0, map[string]bool{}
	for _, c := range changes {
		fmt.Fprintln(w, c.String())
		if c.Op == "added" {
			added++
		} else {
			changed[c.Kind+" "+c.ID] = true
		}
	}
	fmt.Fprintf(w, "%d entries added, %d changed\n", added, len(changed))
}

func nonNil(c []catalog.Change) []catalog.Change {
	if c == nil {
		return []catalog.Change{}
	}
	return c
}

func nonNilS(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilF(fs []catalog.Finding) []catalog.Finding {
	if fs == nil {
		return []catalog.Finding{}
	}
	return fs
}
