package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/aiplan-dev/aiplan/catalog"
	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"
)

func loadCatalog(paths []string) (*catalog.Catalog, error) {
	c, err := catalog.Load(paths...)
	if err != nil {
		return nil, usageError{err}
	}
	return c, nil
}

func resolveErr(err error) error {
	var nf *catalog.NotFoundError
	if errors.As(err, &nf) {
		return usageError{err}
	}
	return err
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func checkOutput(o string) error {
	if o != "table" && o != "json" {
		return usage("-o %q: allowed: table, json", o)
	}
	return nil
}

func fptr(v *float64) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf("%g", *v)
}

func newCatalogCmd() *cobra.Command {
	var overlays []string
	var out string
	cmd := &cobra.Command{Use: "catalog", Short: "List, show, check, import and diff the catalog (accelerators, instances, models)"}
	cmd.PersistentFlags().StringArrayVar(&overlays, "catalog", nil, "extra catalog file(s) that add or override entries")
	cmd.PersistentFlags().StringVarP(&out, "output", "o", "table", "output format: table or json")
	list := &cobra.Command{
		Use:       "list accelerators|instances|models|engines",
		Short:     "List catalog entries of one kind",
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{"accelerators", "instances", "models", "engines"},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(out); err != nil {
				return err
			}
			c, err := loadCatalog(overlays)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
			defer tw.Flush()
			switch strings.TrimSuffix(args[0], "s") {
			case "accelerator":
				if out == "json" {
					return writeJSON(w, c.Accelerators)
				}
				fmt.Fprintln(tw, "ID\tVENDOR\tMEMORY GB\tBW GB/s\tBF16 TF\tFP8 TF\tFP4 TF\tLINK GB/s\tUSD/GPU-H FROM")
				for _, a := range c.Accelerators {
					price := "-"
					if p, _ := c.CheapestOnDemand(a.ID); p > 0 {
						price = fmt.Sprintf("%.2f", p)
					}
					fmt.Fprintf(tw, "%s\t%s\t%g\t%s\t%s\t%s\t%s\t%s\t%s\n", a.ID, a.Vendor, a.MemoryGB, fptr(a.MemoryBWGBs), fptr(a.BF16TFLOPS), fptr(a.FP8TFLOPS), fptr(a.FP4TFLOPS), fptr(a.LinkBWGBs), price)
				}
			case "instance":
				if out == "json" {
					return writeJSON(w, c.Instances)
				}
				fmt.Fprintln(tw, "ID\tACCELERATOR\tCOUNT\tVCPUS\tON-DEMAND USD/H\tSPOT USD/H")
				for _, in := range c.Instances {
					acc := in.Accelerator
					if acc == "" {
						acc = "(cpu)"
					}
					fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\n", in.ID, acc, in.AcceleratorCount, in.VCPUs, fptr(in.PriceOnDemand), fptr(in.PriceSpot))
				}
			case "model":
				if out == "json" {
					return writeJSON(w, c.Models)
				}
				fmt.Fprintln(tw, "ID\tKIND\tPARAMS B\tACTIVE B\tLAYERS\tHIDDEN\tHEADS/KV\tATTENTION")
				for _, m := range c.Models {
					if !m.IsLLM() {
						fmt.Fprintf(tw, "%s\t%s\t%.3g\t-\t-\t-\t-\t%s\n", m.ID, m.Kind, m.ParamsM/1000, m.Task)
						continue
					}
					att := "MHA"
					switch {
					case m.MLA != nil:
						att = "MLA"
					case m.KVHeads == 1:
						att = "MQA"
					case m.KVHeads < m.Heads:
						att = "GQA"
					}
					if m.SlidingWindow > 0 {
						att += fmt.Sprintf("+SW%d", m.SlidingWindow)
					}
					if m.IsMoE() {
						att += fmt.Sprintf(" MoE %d/%d", m.MoE.TopK, m.MoE.Experts)
					}
					fmt.Fprintf(tw, "%s\t%s\t%.1f\t%.1f\t%d\t%d\t%d/%d\t%s\n", m.ID, m.Kind, m.TotalParams()/1e9, m.ActiveParams()/1e9, m.Layers, m.Hidden, m.Heads, m.KVHeads, att)
				}
			case "engine":
				if out == "json" {
					return writeJSON(w, c.Engines)
				}
				fmt.Fprintln(tw, "ID\tVENDORS\tKIND\tQUEUE METRIC\tE2E HISTOGRAM\tPRECISIONS")
				for _, e := range c.Engines {
					ps := make([]string, len(e.Precisions))
					for i, p := range e.Precisions {
						ps[i] = string(p)
					}
					q := e.Metrics.QueueWaiting
					if q == "" {
						q = "-"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, strings.Join(e.Vendors, ","), e.Kind, q, e.Metrics.E2EHistogram, strings.Join(ps, ","))
				}
			default:
				return usage("unknown kind %q: allowed: accelerators, instances, models, engines", args[0])
			}
			return nil
		},
	}
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show one accelerator, model, instance or engine with its source",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(out); err != nil {
				return err
			}
			c, err := loadCatalog(overlays)
			if err != nil {
				return err
			}
			var v any
			if a, err := c.Accelerator(args[0]); err == nil {
				v = a
			} else if m, err2 := c.Model(args[0]); err2 == nil {
				type withDerived struct {
					*catalog.Model
					TotalParamsB  float64 `json:"derived_total_params_b,omitempty"`
					ActiveParamsB float64 `json:"derived_active_params_b,omitempty"`
					KVBytesToken  float64 `json:"kv_cache_bytes_per_token_bf16,omitempty"`
				}
				d := withDerived{Model: m}
				if m.IsLLM() {
					t, a := m.DerivedParams() // from the architecture, beside the published counts
					d.TotalParamsB, d.ActiveParamsB = t/1e9, a/1e9
					d.KVBytesToken = float64(m.Layers) * m.KVElemsPerTokenPerLayer() * 2
				}
				v = d
			} else if in, err3 := c.Instance(args[0]); err3 == nil {
				v = in
			} else if e, err4 := c.Engine(args[0]); err4 == nil {
				v = e
			} else {
				return resolveErr(err2)
			}
			if out == "json" {
				return writeJSON(cmd.OutOrStdout(), v)
			}
			// Human view: the same fields as YAML (via JSON, so the names match -o json).
			j, err := json.Marshal(v)
			if err != nil {
				return err
			}
			y, err := yaml.JSONToYAML(j)
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(y)
			return err
		},
	}
	cmd.AddCommand(list, show, newCatalogCheckCmd(&overlays, &out), newCatalogImportCmd(&overlays, &out), newCatalogDiffCmd(&overlays, &out))
	return cmd
}
