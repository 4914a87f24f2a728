package pricefile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Shape is a GCP machine type's composition, which the SKU prices are
// multiplied by: vCPUs, memory in GiB, and accelerators.
type Shape struct {
	VCPUs       int
	MemoryGiB   float64
	Accelerator string // catalog accelerator id
	Count       int
	Regions     []string
}

type gcpSKU struct {
	Description string
	Group       string // resourceGroup
	Usage       string // OnDemand, Preemptible, Commit1Yr...
	Regions     []string
	Price       float64 // first tier, USD
	Unit        string  // h, GiBy.h
	Date        string
}

type gcpPage struct {
	SKUs []struct {
		Description string `json:"description"`
		Category    struct {
			ServiceDisplayName string `json:"serviceDisplayName"`
			ResourceFamily     string `json:"resourceFamily"`
			ResourceGroup      string `json:"resourceGroup"`
			UsageType          string `json:"usageType"`
		} `json:"category"`
		ServiceRegions []string `json:"serviceRegions"`
		PricingInfo    []struct {
			EffectiveTime     string `json:"effectiveTime"`
			PricingExpression struct {
				UsageUnit   string `json:"usageUnit"`
				TieredRates []struct {
					StartUsageAmount float64 `json:"startUsageAmount"`
					UnitPrice        struct {
						CurrencyCode string      `json:"currencyCode"`
						Units        json.Number `json:"units"`
						Nanos        int64       `json:"nanos"`
					} `json:"unitPrice"`
				} `json:"tieredRates"`
			} `json:"pricingExpression"`
		} `json:"pricingInfo"`
	} `json:"skus"`
	NextPageToken string `json:"nextPageToken"`
}

// readGCP reads one page of the Cloud Billing Catalog API SKU list for
// Compute Engine (services/6F81-5844-456A/skus). Prices are per component:
// GPU per hour, vCPU per hour, RAM per GiB-hour; composeGCP adds them up
// per machine type.
func readGCP(b []byte, name string) ([]gcpSKU, string, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	var page gcpPage
	if err := dec.Decode(&page); err != nil {
		off := int64(len(b))
		msg := "unexpected end of file (truncated JSON)"
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			off, msg = se.Offset, err.Error()
		case errors.As(err, &te):
			off, msg = te.Offset, err.Error()
		}
		line, col := lineCol(b, off)
		return nil, "", &PosError{File: name, Line: line, Col: col, Msg: msg}
	}
	if page.SKUs == nil {
		return nil, "", &PosError{File: name, Line: 1, Col: 1, Msg: "no skus array: not a Cloud Billing Catalog SKU list"}
	}
	var out []gcpSKU
	date := ""
	for _, s := range page.SKUs {
		if s.Category.ResourceFamily != "Compute" || len(s.PricingInfo) == 0 {
			continue
		}
		pi := s.PricingInfo[0]
		if len(pi.PricingExpression.TieredRates) == 0 {
			continue
		}
		// The last tier starting at 0 is the list price (a free tier, when
		// there is one, comes first at price 0 and does not apply to GPUs).
		var price float64
		found := false
		for _, t := range pi.PricingExpression.TieredRates {
			if t.UnitPrice.CurrencyCode != "" && t.UnitPrice.CurrencyCode != "USD" {
				continue
			}
			u, _ := t.UnitPrice.Units.Float64()
			price, found = u+float64(t.UnitPrice.Nanos)/1e9, true
		}
		if !found {
			continue
		}
		out = append(out, gcpSKU{Description: s.Description, Group: s.Category.ResourceGroup, Usage: s.Category.UsageType, Regions: s.ServiceRegions,
			Price: price, Unit: pi.PricingExpression.UsageUnit, Date: pi.EffectiveTime})
		if len(pi.EffectiveTime) >= 10 && pi.EffectiveTime[:10] > date {
			date = pi.EffectiveTime[:10]
		}
	}
	return out, date, nil
}

// gcpGPU maps a catalog accelerator to the start of its GPU SKU
// description (after an optional "Spot Preemptible " prefix).
var gcpGPU = map[string][]string{
	"a100-sxm-40gb": {"Nvidia Tesla A100 GPU running in"},
	"a100-sxm-80gb": {"Nvidia Tesla A100 80GB GPU running in", "Nvidia A100 80GB GPU running in"},
	"h100-sxm":      {"Nvidia H100 80GB GPU running in"},
	"h100-mega":     {"Nvidia H100 80GB Mega GPU running in"},
	"h200-sxm":      {"H200 141GB GPU running in", "Nvidia H200 141GB GPU running in"},
	"b200":          {"A4 Nvidia B200 (1 gpu slice) running in"},
	"l4":            {"Nvidia L4 GPU running in"},
	"t4":            {"Nvidia Tesla T4 GPU running in"},
	"v100":          {"Nvidia Tesla V100 GPU running in"},
}

// gcpFamily maps an instance-type prefix to the family name its core and
// RAM SKUs use ("A2 Instance Core running in Americas").
var gcpFamily = map[string]string{"a2": "A2", "a3-highgpu": "A3", "a3-megagpu": "A3 Mega", "a3-ultragpu": "A3 Ultra", "a4-highgpu": "A4", "g2": "G2", "n1": "N1 Predefined"}

func gcpFamilyOf(t string) string {
	for _, k := range []string{"a3-highgpu", "a3-megagpu", "a3-ultragpu", "a4-highgpu"} {
		if strings.HasPrefix(t, k) {
			return gcpFamily[k]
		}
	}
	if i := strings.Index(t, "-"); i > 0 {
		return gcpFamily[t[:i]]
	}
	return ""
}

// composeGCP prices each machine type of shapes in each region the SKUs
// cover: GPU x count + core x vCPUs + RAM x GiB, on-demand (usageType
// OnDemand) and spot (Preemptible). A price missing one of its parts is
// not composed; the reason is returned.
func composeGCP(skus []gcpSKU, shapes map[string]Shape) ([]Row, []string) {
	type key struct{ desc, usage, region string }
	idx := map[key]float64{}
	regions := map[string]bool{}
	for _, s := range skus {
		d := strings.TrimPrefix(s.Description, "Spot Preemptible ")
		u := "od"
		if s.Usage == "Preemptible" || strings.HasPrefix(s.Description, "Spot Preemptible ") {
			u = "spot"
		} else if s.Usage != "OnDemand" {
			continue
		}
		if strings.Contains(d, "DWS") || strings.Contains(d, "Reserved") || strings.Contains(d, "Sole Tenancy") || strings.Contains(d, "Custom") ||
			strings.Contains(d, "Virtual Workstation") || strings.Contains(d, "Commit") {
			continue
		}
		for _, r := range s.Regions {
			idx[key{d, u, r}] = s.Price
			regions[r] = true
		}
	}
	lookup := func(prefixes []string, u, r string) (float64, bool) {
		for k, v := range idx {
			if k.usage != u || k.region != r {
				continue
			}
			for _, p := range prefixes {
				if strings.HasPrefix(k.desc, p) {
					return v, true
				}
			}
		}
		return 0, false
	}
	types := make([]string, 0, len(shapes))
	for t := range shapes {
		types = append(types, t)
	}
	sort.Strings(types)
	var rows []Row
	var dropped []string
	for _, t := range types {
		sh := shapes[t]
		fam := gcpFamilyOf(t)
		if fam == "" || strings.HasPrefix(t, "tpu-") {
			continue
		}
		gpuKey := sh.Accelerator
		if strings.HasPrefix(t, "a3-megagpu") {
			gpuKey = "h100-mega"
		}
		for r := range regions {
			var prices [2]*float64
			for i, u := range []string{"od", "spot"} {
				core, okC := lookup([]string{fam + " Instance Core running in"}, u, r)
				ram, okR := lookup([]string{fam + " Instance Ram running in"}, u, r)
				gpu, okG := lookup(gcpGPU[gpuKey], u, r)
				if sh.Count == 0 {
					gpu, okG = 0, true
				}
				if !okC && !okR && !okG {
					continue
				}
				if !okC || !okR || !okG {
					dropped = append(dropped, fmt.Sprintf("gcp/%s/%s %s: the file lacks part of the price (core %v, ram %v, gpu %v)", t, r, map[string]string{"od": "on-demand", "spot": "spot"}[u], okC, okR, okG))
					continue
				}
				v := gpu*float64(sh.Count) + core*float64(sh.VCPUs) + ram*sh.MemoryGiB
				prices[i] = &v
			}
			if prices[0] == nil && prices[1] == nil {
				continue
			}
			rows = append(rows, Row{Cloud: "gcp", InstanceType: t, Region: r, Accelerator: sh.Accelerator, Count: sh.Count, VCPUs: sh.VCPUs, MemoryGiB: sh.MemoryGiB,
				OnDemand: prices[0], Spot: prices[1], SpotStated: prices[1] != nil})
		}
	}
	sort.Strings(dropped)
	return rows, dropped
}
