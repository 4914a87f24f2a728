package pricefile

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// readSkyPilot reads a SkyPilot catalog vms.csv (skypilot-org/skypilot-
// catalog catalogs/v8/<cloud>/vms.csv). Columns are found by name:
// InstanceType, AcceleratorName, AcceleratorCount, vCPUs, MemoryGiB,
// Price, SpotPrice, Region and, where present, AvailabilityZone. On GCP,
// A2/A3/A4/G2 VM rows carry the host price and the GPUs are separate rows
// without an instance type; a VM row's price is host plus the GPU row of
// the same accelerator, count and zone, as SkyPilot itself adds them.
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
	type gpuKey struct{ acc, count, zone string }
	gpuRows := map[gpuKey]Row{}
	var vms []Row
	var vmAcc []gpuKey
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
		k := gpuKey{row.Accelerator, get(rec, "AcceleratorCount"), row.Zone}
		switch {
		case row.InstanceType == "" && row.Accelerator != "":
			gpuRows[k] = row // a GCP GPU price row
		case row.InstanceType == "":
			return nil, &PosError{File: name, Line: line, Col: 1, Msg: "empty InstanceType without an accelerator"}
		default:
			vms = append(vms, row)
			vmAcc = append(vmAcc, k)
		}
	}
	if cloud == "gcp" {
		for i := range vms {
			g, ok := gpuRows[vmAcc[i]]
			if !ok || vms[i].Accelerator == "" || strings.HasPrefix(vms[i].InstanceType, "tpu-") {
				continue
			}
			vms[i].OnDemand = addPrices(vms[i].OnDemand, g.OnDemand)
			vms[i].Spot = addPrices(vms[i].Spot, g.Spot)
		}
	}
	return vms, nil
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
