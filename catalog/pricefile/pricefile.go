// Package pricefile reads price files a user downloads — SkyPilot catalog
// CSVs, the AWS Price List bulk JSON, Azure Retail Prices API pages and
// the GCP Cloud Billing Catalog SKU list — and turns them into an overlay
// of the catalog: each price with the file's name, date and sha256 as its
// source. Reading is offline; nothing is fetched.
package pricefile

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/aiplan-dev/aiplan/catalog"
)

// Formats lists the accepted --format values.
var Formats = []string{"skypilot", "aws-pricelist", "azure-retail", "gcp-skus"}

// PosError is a malformed or truncated price file: it names the file and
// the position (line and column, 1-based) where reading failed.
type PosError struct {
	File      string
	Line, Col int
	Msg       string
}

func (e *PosError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// Row is one price point as a file states it: one instance type in one
// zone (or region), on-demand and/or spot.
type Row struct {
	Cloud, InstanceType, Region, Zone string
	// Accelerator is the accelerator name as the file gives it (may be
	// empty); Count, VCPUs and MemoryGiB likewise.
	Accelerator string
	Count       int
	VCPUs       int
	MemoryGiB   float64
	OnDemand    *float64
	Spot        *float64
	// SpotStated says the row speaks about spot (a SkyPilot row with an
	// empty SpotPrice states "no spot in this zone"; an Azure on-demand
	// meter says nothing about spot).
	SpotStated bool
	// Notes say what the reader left out of this row and why.
	Notes []string
	// Flag, when set, says why the row's on-demand price is suspect; it
	// becomes the entry's price_flag.
	Flag string
}

// Offer is the price of one instance type in one region, aggregated over
// the file's rows: on-demand as listed, spot as the median of the zones
// that offer it below on-demand.
type Offer struct {
	Cloud, InstanceType, Region string
	Accelerator                 string
	Count, VCPUs                int
	MemoryGiB                   float64
	OnDemand                    *float64
	// Spot is the typical spot price; SpotStated says the file speaks
	// about spot for this offer (so a nil Spot means "no spot offer").
	Spot       *float64
	SpotStated bool
	// Notes say how the prices were derived (zones used, rows dropped).
	Notes []string
	// Flag says why the on-demand price is suspect (price_flag).
	Flag string
}

// ID is the catalog instance id of the offer.
func (o *Offer) ID() string { return o.Cloud + "/" + o.InstanceType + "/" + o.Region }

// Result is what reading one or more files of a format gives.
type Result struct {
	Format  string
	Sources []catalog.ImportSource
	Offers  []*Offer
	// Dropped lists rows left out and why ($0 prices, spot >= on-demand).
	Dropped []string
}

// Read reads the files of one format (Azure and GCP answers come in pages:
// pass every page). cloud is required for SkyPilot CSVs when it cannot be
// read from the path (catalogs/v8/<cloud>/vms.csv). gcpShapes gives the
// machine shapes GCP SKU prices are composed into (vCPUs, GiB, GPUs per
// instance type), usually from the catalog.
func Read(format string, paths []string, cloud string, gcpShapes map[string]Shape) (*Result, error) {
	res := &Result{Format: format}
	var rows []Row
	var gcp []gcpSKU
	for _, p := range paths {
		src, err := hashFile(p)
		if err != nil {
			return nil, err
		}
		var date string
		switch format {
		case "aws-pricelist":
			r, d, err := readAWS(p)
			if err != nil {
				return nil, err
			}
			rows, date = append(rows, r...), d
		case "skypilot", "azure-retail", "gcp-skus":
			b, err := os.ReadFile(p)
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", p, err)
			}
			switch format {
			case "skypilot":
				c := cloud
				if c == "" {
					c = cloudFromPath(p)
				}
				if c == "" {
					return nil, fmt.Errorf("%s: cannot tell the cloud from the path; pass --cloud (aws, gcp, azure, lambda, nebius, runpod)", p)
				}
				r, err := readSkyPilot(bytes.NewReader(b), p, c)
				if err != nil {
					return nil, err
				}
				rows = append(rows, r...)
			case "azure-retail":
				r, d, err := readAzure(b, p)
				if err != nil {
					return nil, err
				}
				rows, date = append(rows, r...), d
			case "gcp-skus":
				s, d, err := readGCP(b, p)
				if err != nil {
					return nil, err
				}
				gcp, date = append(gcp, s...), d
			}
		default:
			return nil, fmt.Errorf("unknown format %q: allowed: %s", format, strings.Join(Formats, ", "))
		}
		if date != "" {
			src.Date = date
		}
		res.Sources = append(res.Sources, src)
	}
	if format == "gcp-skus" {
		r, dropped := composeGCP(gcp, gcpShapes)
		rows = append(rows, r...)
		res.Dropped = append(res.Dropped, dropped...)
	}
	offers, dropped := Aggregate(rows)
	res.Offers = offers
	res.Dropped = append(res.Dropped, dropped...)
	return res, nil
}

// hashFile returns the file's name, sha256 and modification date.
func hashFile(p string) (catalog.ImportSource, error) {
	f, err := os.Open(p)
	if err != nil {
		return catalog.ImportSource{}, fmt.Errorf("read %s: %w", p, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return catalog.ImportSource{}, fmt.Errorf("read %s: %w", p, err)
	}
	src := catalog.ImportSource{Name: p, SHA256: hex.EncodeToString(h.Sum(nil))}
	if st, err := f.Stat(); err == nil {
		src.Date = st.ModTime().UTC().Format("2006-01-02")
	}
	return src, nil
}

func cloudFromPath(p string) string {
	parts := strings.Split(strings.ReplaceAll(p, "\\", "/"), "/")
	for i := len(parts) - 2; i >= 0; i-- {
		switch parts[i] {
		case "aws", "gcp", "azure", "lambda", "nebius", "runpod":
			return parts[i]
		}
	}
	return ""
}

// Aggregate groups rows by instance type and region. On-demand is the
// median of the rows' on-demand prices; $0 prices are dropped (a missing
// price, not a free machine). Spot is the median over zones of the spot
// prices strictly between 0 and on-demand: a zone listing spot at or above
// on-demand, or none, has no spot offer; AWS Local Zones are left out.
// An offer states spot when any of its rows does.
func Aggregate(rows []Row) ([]*Offer, []string) {
	type key struct{ c, t, r string }
	groups := map[key][]Row{}
	var order []key
	for _, r := range rows {
		k := key{r.Cloud, r.InstanceType, r.Region}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], r)
	}
	sort.Slice(order, func(i, j int) bool {
		a, b := order[i], order[j]
		return a.c+"/"+a.t+"/"+a.r < b.c+"/"+b.t+"/"+b.r
	})
	var out []*Offer
	var dropped []string
	for _, k := range order {
		g := groups[k]
		o := &Offer{Cloud: k.c, InstanceType: k.t, Region: k.r}
		var ods []float64
		for _, r := range g {
			o.SpotStated = o.SpotStated || r.SpotStated
			o.Notes = append(o.Notes, r.Notes...)
			if o.Flag == "" && r.Flag != "" && r.OnDemand != nil {
				o.Flag = r.Flag
			}
			if o.Accelerator == "" {
				o.Accelerator, o.Count, o.VCPUs, o.MemoryGiB = r.Accelerator, r.Count, r.VCPUs, r.MemoryGiB
			}
			if r.OnDemand != nil {
				if *r.OnDemand <= 0 {
					dropped = append(dropped, fmt.Sprintf("%s zone %s: on-demand $%g dropped (a $0 row is a missing price)", o.ID(), r.Zone, *r.OnDemand))
					continue
				}
				ods = append(ods, *r.OnDemand)
			}
		}
		if len(ods) > 0 {
			v := round6(catalog.Median(ods))
			o.OnDemand = &v
		}
		var spots []float64
		var used []string
		for _, r := range g {
			if r.Spot == nil {
				continue
			}
			s := *r.Spot
			switch {
			case s <= 0:
				dropped = append(dropped, fmt.Sprintf("%s zone %s: spot $%g dropped", o.ID(), r.Zone, s))
				continue
			case k.c == "aws" && r.Zone != "" && !regularAWSZone(r.Zone):
				o.Notes = append(o.Notes, fmt.Sprintf("Local Zone %s (spot %g) left out", r.Zone, s))
				continue
			case o.OnDemand != nil && s >= *o.OnDemand*noOfferRatio:
				o.Notes = append(o.Notes, fmt.Sprintf("zone %s lists spot %g = on-demand %g: no spot offer there", r.Zone, s, *o.OnDemand))
				continue
			}
			spots = append(spots, s)
			if r.Zone != "" {
				used = append(used, fmt.Sprintf("%s %g", r.Zone, s))
			}
		}
		if len(spots) > 0 {
			v := round6(catalog.Median(spots))
			o.Spot = &v
			if len(used) > 0 {
				o.Notes = append(o.Notes, fmt.Sprintf("spot = median of %d zone(s) (%s)", len(spots), strings.Join(used, ", ")))
			} else {
				o.Notes = append(o.Notes, fmt.Sprintf("spot = median of %d spot prices", len(spots)))
			}
		}
		if o.OnDemand == nil && o.Spot == nil {
			dropped = append(dropped, o.ID()+": no usable price")
			continue
		}
		out = append(out, o)
	}
	return out, dropped
}

// noOfferRatio: a zone whose spot price is within 0.1% of on-demand lists
// the on-demand price as spot (files round it: 13.12002 -> 13.120000), so it
// has no spot offer.
const noOfferRatio = 0.999

// round6 rounds a price to a millionth of a dollar, the precision price
// files carry (composed and median prices otherwise show float noise).
func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }

// regularAWSZone reports whether an AWS zone id is a regular Availability
// Zone (use1-az4) rather than a Local or Wavelength Zone (use1-atl2-az1).
func regularAWSZone(z string) bool {
	parts := strings.Split(z, "-")
	return len(parts) == 2 && strings.HasPrefix(parts[1], "az")
}

// Options control how offers overlay the catalog.
type Options struct {
	// Regions limits new entries to these regions; nil means the regions
	// the catalog knows (it has their jurisdiction). Existing entries are
	// always updated.
	Regions map[string]bool
	// Now is the import time (for the record).
	Now time.Time
}

// Apply turns offers into overlay entries against the merged base catalog:
// an existing entry (same cloud/type/region) is copied with its prices
// replaced; a type the catalog has in another region is copied to the new
// region; other types are added when the file names an accelerator the
// catalog resolves. It returns the entries and what was skipped.
func Apply(base *catalog.File, res *Result, opt Options) ([]*catalog.Instance, []string, error) {
	c, err := catalog.Load() // a resolver for accelerator names
	if err != nil {
		return nil, nil, err
	}
	byID := map[string]*catalog.Instance{}
	byType := map[string]*catalog.Instance{}
	for _, in := range base.Instances {
		byID[strings.ToLower(in.ID)] = in
		k := strings.ToLower(in.Cloud + "/" + in.InstanceType)
		if t, ok := byType[k]; !ok || in.ID < t.ID {
			byType[k] = in
		}
	}
	regions := opt.Regions
	if regions == nil {
		regions = map[string]bool{}
		for _, r := range base.Regions {
			regions[r.ID] = true
		}
	}
	date := ""
	for _, s := range res.Sources {
		if s.Date > date {
			date = s.Date
		}
	}
	srcNote := func() string {
		var fs []string
		for _, s := range res.Sources {
			fs = append(fs, fmt.Sprintf("%s (sha256 %s, dated %s)", s.Name, s.SHA256[:12], s.Date))
		}
		return fmt.Sprintf("imported %s from %s file %s", opt.Now.UTC().Format("2006-01-02"), res.Format, strings.Join(fs, ", "))
	}()
	var out []*catalog.Instance
	var skipped []string
	for _, o := range res.Offers {
		var in catalog.Instance
		var how string
		if old, ok := byID[strings.ToLower(o.ID())]; ok {
			in = *old
			how = "updates the embedded entry (accelerator, shape and network kept)"
		} else if t, ok := byType[strings.ToLower(o.Cloud+"/"+o.InstanceType)]; ok {
			if !regions[o.Region] {
				skipped = append(skipped, fmt.Sprintf("%s: region %s is not in the catalog's regions (its jurisdiction is unknown)", o.ID(), o.Region))
				continue
			}
			in = *t
			in.ID, in.Region = o.ID(), o.Region
			in.PriceOnDemand, in.PriceSpot, in.PriceFlag, in.SpotFlag = nil, nil, "", ""
			how = fmt.Sprintf("new region; accelerator, shape and network copied from %s", t.ID)
		} else {
			if !regions[o.Region] {
				skipped = append(skipped, fmt.Sprintf("%s: region %s is not in the catalog's regions", o.ID(), o.Region))
				continue
			}
			if o.Accelerator == "" || o.Count <= 0 {
				skipped = append(skipped, fmt.Sprintf("%s: instance type not in the catalog and the file names no accelerator", o.ID()))
				continue
			}
			a, err := c.Accelerator(o.Accelerator)
			if err != nil {
				skipped = append(skipped, fmt.Sprintf("%s: accelerator %q is not in the catalog", o.ID(), o.Accelerator))
				continue
			}
			in = catalog.Instance{ID: o.ID(), Cloud: o.Cloud, InstanceType: o.InstanceType, Region: o.Region, Accelerator: a.ID,
				AcceleratorCount: o.Count, VCPUs: o.VCPUs, MemoryGiB: o.MemoryGiB}
			how = fmt.Sprintf("new instance type; accelerator %q resolved to %s (check SXM vs PCIe); network unknown", o.Accelerator, a.ID)
		}
		if o.OnDemand != nil {
			v := *o.OnDemand
			in.PriceOnDemand, in.PriceFlag = &v, o.Flag
		} else if in.PriceOnDemand != nil {
			o.Notes = append(o.Notes, fmt.Sprintf("on-demand %g kept from the entry it replaces (as_of %s): the file has no valid on-demand price", *in.PriceOnDemand, in.AsOf))
		}
		if o.SpotStated {
			in.PriceSpot, in.SpotFlag = nil, ""
			if o.Spot != nil {
				v := *o.Spot
				in.PriceSpot = &v
			}
		} else if in.PriceSpot != nil {
			o.Notes = append(o.Notes, fmt.Sprintf("spot %g kept from the entry it replaces (as_of %s): the file has no spot prices", *in.PriceSpot, in.AsOf))
		}
		if in.PriceSpot != nil && in.PriceOnDemand != nil && *in.PriceSpot >= *in.PriceOnDemand {
			o.Notes = append(o.Notes, fmt.Sprintf("spot %g >= on-demand %g dropped: no spot offer", *in.PriceSpot, *in.PriceOnDemand))
			in.PriceSpot = nil
		}
		if in.PriceOnDemand == nil && in.PriceSpot == nil {
			skipped = append(skipped, o.ID()+": no price left after the checks")
			continue
		}
		note := srcNote + "; " + how
		if len(o.Notes) > 0 {
			note += "; " + strings.Join(o.Notes, "; ")
		}
		in.Source = note
		in.AsOf = date
		out = append(out, &in)
	}
	return out, skipped, nil
}

// lineCol converts a byte offset into a 1-based line and column.
func lineCol(b []byte, off int64) (int, int) {
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	line, col := 1, 1
	for _, c := range b[:off] {
		if c == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}

// countingReader counts bytes read (for positions in streamed JSON).
type countingReader struct {
	r *bufio.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

var _ io.Reader = (*countingReader)(nil)
