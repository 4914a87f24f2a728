package pricefile

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/aiplan-dev/aiplan/catalog"
)

// readSkyPilot reads a SkyPilot catalog vms.csv (skypilot-org/skypilot-
// catalog catalogs/v8/<cloud>/vms.csv). Columns are found by name:
// InstanceType, AcceleratorName, AcceleratorCount, vCPUs, MemoryGiB,
// Price, SpotPrice, Region and, where present, AvailabilityZone.
//
// GCP files differ: a VM row (a2-highgpu-8g) carries the host price only
// and names no accelerator; the GPUs are rows without an instance type
// (AcceleratorName A100, count 8, per zone), and TPU slices are rows
// without an instance type named tpu-<version>-<size>. A GPU VM's price is
// its host row plus the GPU row of the accelerator and count SkyPilot
// itself attaches to that machine type (gcpSkyPilotGPU), in the same zone;
// a TPU row is the slice's price (SkyPilot: the TPU VM host costs nothing
// extra). Zone components that cannot be trusted are left out with a note:
// a $0 host or GPU row (a missing price), a GPU row whose on-demand price
// is below its own spot price (a mismatched SKU upstream), and v6e TPU
// prices of exactly 700 (SkyPilot's TPU_V6E_MAX_PRICE placeholder for "no
// price found").
func readSkyPilot(r io.Reader, name, cloud string) ([]Row, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err != nil {
		return nil, csvErr(name, cr, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	for _, need := range []string{"InstanceType", "AcceleratorName", "AcceleratorCount", "Price", "SpotPrice", "Region"} {
		if _, ok := col[need]; !ok {
			return nil, &PosError{File: name, Line: 1, Col: 1, Msg: fmt.Sprintf("missing column %q: not a SkyPilot vms.csv (columns: %s)", need, strings.Join(header, ","))}
		}
	}
	cr.FieldsPerRecord = len(header)
	get := func(rec []string, c string) string {
		if i, ok := col[c]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	gpuRows := map[gpuKey]Row{}
	var vms []Row
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvErr(name, cr, err)
		}
		line, _ := cr.FieldPos(0)
		num := func(c string) (*float64, error) {
			s := get(rec, c)
			if s == "" {
				return nil, nil
			}
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || v != v {
				_, cc := cr.FieldPos(col[c])
				return nil, &PosError{File: name, Line: line, Col: cc, Msg: fmt.Sprintf("column %s = %q is not a number", c, s)}
			}
			return &v, nil
		}
		od, err := num("Price")
		if err != nil {
			return nil, err
		}
		sp, err := num("SpotPrice")
		if err != nil {
			return nil, err
		}
		cnt, err := num("AcceleratorCount")
		if err != nil {
			return nil, err
		}
		vc, err := num("vCPUs")
		if err != nil {
			return nil, err
		}
		mem, err := num("MemoryGiB")
		if err != nil {
			return nil, err
		}
		row := Row{Cloud: cloud, InstanceType: get(rec, "InstanceType"), Region: get(rec, "Region"), Zone: get(rec, "AvailabilityZone"),
			Accelerator: get(rec, "AcceleratorName"), OnDemand: od, Spot: sp, SpotStated: true}
		if cnt != nil {
			row.Count = int(*cnt + 0.5)
		}
		if vc != nil {
			row.VCPUs = int(*vc + 0.5)
		}
		if mem != nil {
			row.MemoryGiB = *mem
		}
		if row.Region == "" {
			return nil, &PosError{File: name, Line: line, Col: 1, Msg: "empty Region"}
		}
		k := gpuKey{row.Accelerator, row.Count, row.Zone}
		switch {
		case cloud == "gcp" && row.InstanceType == "" && strings.HasPrefix(row.Accelerator, "tpu-"):
			row.InstanceType = row.Accelerator
			for _, p := range []**float64{&row.OnDemand, &row.Spot} {
				if *p != nil && **p == tpuV6ePlaceholder && strings.HasPrefix(row.Accelerator, "tpu-v6e") {
					row.Notes = append(row.Notes, fmt.Sprintf("zone %s: price %g left out (SkyPilot's placeholder for a missing v6e price)", row.Zone, **p))
					*p = nil
				}
			}
			if row.OnDemand == nil && row.Spot == nil {
				continue
			}
			vms = append(vms, row)
		case row.InstanceType == "" && row.Accelerator != "":
			gpuRows[k] = row // a GCP GPU price row
		case row.InstanceType == "":
			return nil, &PosError{File: name, Line: line, Col: 1, Msg: "empty InstanceType without an accelerator"}
		default:
			vms = append(vms, row)
		}
	}
	if cloud != "gcp" {
		return vms, nil
	}
	suspect := gcpGPUBand(gpuRows)
	out := vms[:0]
	for _, vm := range vms {
		acc, n, ok := gcpSkyPilotGPU(vm.InstanceType)
		if !ok {
			out = append(out, vm) // a TPU slice or a machine without GPUs
			continue
		}
		vm.Accelerator, vm.Count = acc, n
		g, ok := gpuRows[gpuKey{acc, n, vm.Zone}]
		if !ok {
			continue // the GPU is not offered in this zone
		}
		if why, bad := suspect[gpuKey{acc, n, vm.Region}]; bad && g.OnDemand != nil {
			vm.Flag = why
		}
		if g.OnDemand != nil && g.Spot != nil && *g.OnDemand < *g.Spot {
			vm.Notes = append(vm.Notes, fmt.Sprintf("zone %s: on-demand left out: the file's %d x %s on-demand row (%g) is below its own spot row (%g)", vm.Zone, n, acc, *g.OnDemand, *g.Spot))
			g.OnDemand = nil
		}
		for _, c := range []struct {
			what string
			v    *float64
		}{{"host on-demand", vm.OnDemand}, {"GPU on-demand", g.OnDemand}} {
			if c.v != nil && *c.v <= 0 {
				vm.Notes = append(vm.Notes, fmt.Sprintf("zone %s: on-demand left out: %s row is $%g (a missing price)", vm.Zone, c.what, *c.v))
				g.OnDemand = nil
			}
		}
		for _, c := range []struct {
			what string
			v    *float64
		}{{"host spot", vm.Spot}, {"GPU spot", g.Spot}} {
			if c.v != nil && *c.v <= 0 {
				vm.Notes = append(vm.Notes, fmt.Sprintf("zone %s: spot left out: %s row is $%g (a missing price)", vm.Zone, c.what, *c.v))
				g.Spot = nil
			}
		}
		vm.OnDemand = addPrices(vm.OnDemand, g.OnDemand)
		vm.Spot = addPrices(vm.Spot, g.Spot)
		if vm.OnDemand == nil && vm.Spot == nil && len(vm.Notes) == 0 {
			continue
		}
		out = append(out, vm)
	}
	return out, nil
}

// gpuBandLow and gpuBandHigh bound a region's GPU on-demand row against
// the median over the file's regions for the same GPU and count. Google's
// list prices for one GPU differ by region by well under that (the L4 in
// me-central2 is the dearest at 1.4x the median); rows outside it are SKU
// mismatches upstream, e.g. H100 at 4.20/GPU in us-central1 against 9.80
// in us-east4 (issue 11).
const (
	gpuBandLow  = 0.6
	gpuBandHigh = 1 / gpuBandLow
)

// gcpGPUBand returns, per GPU, count and region (in gpuKey.zone), why the
// region's on-demand GPU row is suspect.
func gcpGPUBand(gpuRows map[gpuKey]Row) map[gpuKey]string {
	type ac struct {
		acc   string
		count int
	}
	perRegion := map[ac]map[string]float64{}
	for k, r := range gpuRows {
		if r.OnDemand == nil || *r.OnDemand <= 0 || (r.Spot != nil && *r.OnDemand < *r.Spot) {
			continue // missing, or already invalid (on-demand below spot)
		}
		a := ac{k.acc, k.count}
		if perRegion[a] == nil {
			perRegion[a] = map[string]float64{}
		}
		if v, ok := perRegion[a][r.Region]; !ok || *r.OnDemand < v {
			perRegion[a][r.Region] = *r.OnDemand
		}
	}
	out := map[gpuKey]string{}
	for a, regions := range perRegion {
		if len(regions) < 3 {
			continue // too few regions for a median to mean anything
		}
		vs := make([]float64, 0, len(regions))
		for _, v := range regions {
			vs = append(vs, v)
		}
		med := catalog.Median(vs)
		for region, v := range regions {
			if r := v / med; r < gpuBandLow || r > gpuBandHigh {
				out[gpuKey{a.acc, a.count, region}] = fmt.Sprintf("import check: the file's %d x %s on-demand row in %s (%g) is %.0f%% of its median over %d regions (%g): a mismatched SKU upstream", a.count, a.acc, region, v, 100*r, len(regions), med)
			}
		}
	}
	return out
}

// gpuKey names a GCP GPU price row: GPU, count and zone (or region).
type gpuKey struct {
	acc   string
	count int
	zone  string
}

// tpuV6ePlaceholder is the price SkyPilot's GCP fetcher writes for a v6e
// TPU whose price it cannot find (TPU_V6E_MAX_PRICE in
// sky/catalog/data_fetchers/fetch_gcp.py), so that failover prefers
// regions with real prices. It is not a price.
const tpuV6ePlaceholder = 700.0

// gcpSkyPilotGPU gives the GPU name and count SkyPilot attaches to a GCP
// machine type: the table _ACC_INSTANCE_TYPE_DICTS in SkyPilot's
// sky/catalog/gcp_catalog.py (A2 carries A100 / A100-80GB, A3 H100 /
// H100-MEGA / H200, A4 B200, G2 L4).
func gcpSkyPilotGPU(instanceType string) (string, int, bool) {
	switch instanceType {
	case "a2-megagpu-16g":
		return "A100", 16, true
	case "a3-megagpu-8g":
		return "H100-MEGA", 8, true
	case "a3-ultragpu-8g":
		return "H200", 8, true
	case "a4-highgpu-8g":
		return "B200", 8, true
	case "g2-standard-4", "g2-standard-8", "g2-standard-12", "g2-standard-16", "g2-standard-32":
		return "L4", 1, true
	case "g2-standard-24":
		return "L4", 2, true
	case "g2-standard-48":
		return "L4", 4, true
	case "g2-standard-96":
		return "L4", 8, true
	}
	for prefix, acc := range map[string]string{"a2-highgpu-": "A100", "a2-ultragpu-": "A100-80GB", "a3-highgpu-": "H100"} {
		rest, ok := strings.CutPrefix(instanceType, prefix)
		if !ok {
			continue
		}
		switch rest {
		case "1g":
			return acc, 1, true
		case "2g":
			return acc, 2, true
		case "4g":
			return acc, 4, true
		case "8g":
			return acc, 8, true
		}
	}
	return "", 0, false
}

// addPrices adds a GPU row to a host row; either missing makes the sum
// missing (a host without its GPU price is no instance price).
func addPrices(a, b *float64) *float64 {
	if a == nil || b == nil {
		return nil
	}
	v := *a + *b
	return &v
}

func csvErr(name string, cr *csv.Reader, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &PosError{File: name, Line: pe.Line, Col: pe.Column, Msg: pe.Err.Error() + " (truncated or malformed CSV)"}
	}
	if errors.Is(err, io.EOF) {
		return &PosError{File: name, Line: 1, Col: 1, Msg: "empty file"}
	}
	line, col := cr.FieldPos(0)
	return &PosError{File: name, Line: line, Col: col, Msg: err.Error()}
}
