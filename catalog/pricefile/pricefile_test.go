package pricefile

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aiplan-dev/aiplan/catalog"
)

// importFixture reads a fixture, applies it to the embedded catalog and
// returns the ids whose entries changed (or were added) and the entries.
func importFixture(t *testing.T, format string, files ...string) (map[string]*catalog.Instance, []catalog.Change, *Result, []string) {
	t.Helper()
	base, err := catalog.Merged()
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range files {
		paths = append(paths, filepath.Join("testdata", f))
	}
	cloud := "aws"
	if strings.Contains(files[0], "gcp") {
		cloud = "gcp"
	}
	res, err := Read(format, paths, cloud, GCPShapes(base))
	if err != nil {
		t.Fatal(err)
	}
	entries, skipped, err := Apply(base, res, Options{Now: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	ov := MergeOverlay(&catalog.File{}, entries, &catalog.ImportInfo{Format: format, ImportedAt: "2026-12-01T00:00:00Z", Files: res.Sources, Entries: len(entries)})
	b, err := Marshal(ov)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "overlay.yaml")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := catalog.Load(p)
	if err != nil {
		t.Fatalf("imported overlay does not load: %v\n%s", err, b)
	}
	if got := c.Assumptions(); len(got) != 1 || !strings.Contains(got[0], files[0]) || !strings.Contains(got[0], res.Sources[0].SHA256[:12]) {
		t.Errorf("assumptions do not name the import: %v", got)
	}
	after, err := catalog.Merged(p)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*catalog.Instance{}
	for _, e := range entries {
		byID[e.ID] = e
		if e.AsOf == "" || !strings.Contains(e.Source, res.Sources[0].SHA256[:12]) {
			t.Errorf("%s: source %q / as_of %q do not record the file", e.ID, e.Source, e.AsOf)
		}
	}
	return byID, catalog.Diff(base, after), res, skipped
}

func changedIDs(cs []catalog.Change) []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range cs {
		if !seen[c.ID] {
			seen[c.ID] = true
			out = append(out, c.ID)
		}
	}
	sort.Strings(out)
	return out
}

func near(a *float64, want float64) bool { return a != nil && math.Abs(*a-want) < 1e-6 }

func TestImport_SkyPilot_ChangesExpectedEntriesOnly(t *testing.T) {
	got, changes, _, skipped := importFixture(t, "skypilot", "skypilot-aws-vms.csv")
	want := []string{"aws/p4d.24xlarge/eu-central-1", "aws/p4d.24xlarge/us-east-1", "aws/p4d.24xlarge/us-west-2", "aws/p5.4xlarge/eu-west-2", "aws/p6-b300.48xlarge/us-west-2"}
	if ids := changedIDs(changes); strings.Join(ids, " ") != strings.Join(want, " ") {
		t.Errorf("changed %v, want %v", ids, want)
	}
	// Typical spot: the median of the zones, the 2.4655 outlier does not win.
	if e := got["aws/p4d.24xlarge/us-east-1"]; !near(e.PriceSpot, (7.8799+8.1203)/2) || !near(e.PriceOnDemand, 21.957642) {
		t.Errorf("p4d us-east-1 od %v spot %v", *e.PriceOnDemand, *e.PriceSpot)
	}
	// eu-central-1: two zones list spot = on-demand (no offer), one 13.3383.
	if e := got["aws/p4d.24xlarge/eu-central-1"]; !near(e.PriceSpot, 13.3383) {
		t.Errorf("p4d eu-central-1 spot %v", e.PriceSpot)
	}
	// No spot offer in eu-west-2 for p5.4xlarge.
	if e := got["aws/p5.4xlarge/eu-west-2"]; e.PriceSpot != nil {
		t.Errorf("p5.4xlarge eu-west-2 spot %v, want none", *e.PriceSpot)
	}
	// A new region of a known type copies accelerator, shape and network.
	e := got["aws/p4d.24xlarge/us-west-2"]
	if e == nil || e.Accelerator != "a100-sxm-40gb" || e.Network == nil || e.Network.Gbps != 400 || !near(e.PriceSpot, (8.2259+8.4794)/2) {
		t.Errorf("p4d us-west-2 = %+v", e)
	}
	if !strings.Contains(strings.Join(skipped, "\n"), "ap-northeast-1") {
		t.Errorf("ap-northeast-1 (no jurisdiction in the catalog) should be skipped: %v", skipped)
	}
	if e.AsOf == "" {
		t.Error("no as_of")
	}
}

// The GCP SkyPilot file prices GPU machines as a host row plus a GPU row
// and carries the upstream anomalies issue 11 found; the import composes
// the machines and leaves the anomalies out or flags them.
func TestImport_SkyPilotGCP_ComposesHostAndGPUAndCatchesAnomalies(t *testing.T) {
	got, changes, res, _ := importFixture(t, "skypilot", "skypilot-gcp-vms.csv")
	want := []string{"gcp/a2-highgpu-8g/europe-west4", "gcp/a2-highgpu-8g/us-central1", "gcp/a2-ultragpu-8g/europe-west4", "gcp/a2-ultragpu-8g/us-central1", "gcp/tpu-v6e-8/europe-west4", "gcp/tpu-v6e-8/us-central1"}
	if ids := changedIDs(changes); strings.Join(ids, " ") != strings.Join(want, " ") {
		t.Errorf("changed %v, want %v", ids, want)
	}
	// Host 5.91582 + 8 x A100 23.47126; spot 2.958 + 11.4728.
	if e := got["gcp/a2-highgpu-8g/us-central1"]; !near(e.PriceOnDemand, 29.38708) || !near(e.PriceSpot, 14.4308) || e.PriceFlag != "" {
		t.Errorf("a2-highgpu-8g us-central1 = %v / %v flag %q", e.PriceOnDemand, e.PriceSpot, e.PriceFlag)
	}
	// europe-west4's A100 row (12.91) is 55% of the regions' median: flagged.
	if e := got["gcp/a2-highgpu-8g/europe-west4"]; !near(e.PriceOnDemand, 19.4217) || !strings.Contains(e.PriceFlag, "median") {
		t.Errorf("a2-highgpu-8g europe-west4 = %v flag %q", e.PriceOnDemand, e.PriceFlag)
	}
	// A100-80GB on-demand rows below their own spot rows: on-demand left
	// out (none was embedded either), spot = host + GPU spot.
	for id, spot := range map[string]float64{"gcp/a2-ultragpu-8g/us-central1": 4.39824 + 15.712, "gcp/a2-ultragpu-8g/europe-west4": 3.78624 + 17.3008} {
		e := got[id]
		if e.PriceOnDemand != nil || !near(e.PriceSpot, spot) || !strings.Contains(e.Source, "below its own spot row") {
			t.Errorf("%s = od %v spot %v source %q", id, e.PriceOnDemand, e.PriceSpot, e.Source)
		}
	}
	// TPU slices are priced as listed (no host row).
	if e := got["gcp/tpu-v6e-8/us-central1"]; !near(e.PriceOnDemand, 21.6) || !near(e.PriceSpot, 4.5828) {
		t.Errorf("tpu-v6e-8 us-central1 = %v / %v", e.PriceOnDemand, e.PriceSpot)
	}
	// SkyPilot's 700 placeholder is no price: asia-east1 has none left,
	// southamerica-west1 keeps on-demand only.
	for _, o := range res.Offers {
		switch o.ID() {
		case "gcp/tpu-v6e-8/asia-east1":
			t.Errorf("placeholder-only offer kept: %+v", o)
		case "gcp/tpu-v6e-8/southamerica-west1":
			if !near(o.OnDemand, 21.6) || o.Spot != nil {
				t.Errorf("southamerica-west1 = %v / %v", o.OnDemand, o.Spot)
			}
		}
	}
}

func TestGCPSkyPilotGPU_MatchesSkyPilotTable(t *testing.T) {
	for it, want := range map[string]string{"a2-highgpu-1g": "A100 1", "a2-megagpu-16g": "A100 16", "a2-ultragpu-8g": "A100-80GB 8", "a3-highgpu-4g": "H100 4",
		"a3-megagpu-8g": "H100-MEGA 8", "a3-ultragpu-8g": "H200 8", "a4-highgpu-8g": "B200 8", "g2-standard-32": "L4 1", "g2-standard-48": "L4 4", "n1-standard-4": ""} {
		a, n, ok := gcpSkyPilotGPU(it)
		got := ""
		if ok {
			got = a + " " + strconv.Itoa(n)
		}
		if got != want {
			t.Errorf("%s -> %q, want %q", it, got, want)
		}
	}
}

func TestImport_AWSPriceList(t *testing.T) {
	got, changes, res, _ := importFixture(t, "aws-pricelist", "aws-ec2-pricelist-excerpt.json")
	want := []string{"aws/g6.2xlarge/eu-central-1", "aws/p4d.24xlarge/us-east-1", "aws/p5.48xlarge/eu-north-1"}
	if ids := changedIDs(changes); strings.Join(ids, " ") != strings.Join(want, " ") {
		t.Errorf("changed %v, want %v", ids, want)
	}
	if res.Sources[0].Date != "2025-11-20" {
		t.Errorf("date %q, want the publicationDate", res.Sources[0].Date)
	}
	e := got["aws/p4d.24xlarge/us-east-1"]
	if !near(e.PriceOnDemand, 21.957642) {
		t.Errorf("p4d od %v (the Windows SKU must not be used)", *e.PriceOnDemand)
	}
	if e.PriceSpot == nil || !strings.Contains(e.Source, "kept from the entry") {
		t.Errorf("the price list has no spot: the old spot is kept and said so: %v %q", e.PriceSpot, e.Source)
	}
	for _, c := range changes {
		if c.Field == "price_on_demand_usd_hr" || c.Field == "price_spot_usd_hr" {
			t.Errorf("prices equal to the embedded ones changed: %v", c)
		}
	}
}

func TestImport_AzureRetail(t *testing.T) {
	got, changes, _, _ := importFixture(t, "azure-retail", "azure-retail-page.json")
	want := []string{"azure/Standard_NC24ads_A100_v4/eastus", "azure/Standard_NC96ads_A100_v4/eastus"}
	if ids := changedIDs(changes); strings.Join(ids, " ") != strings.Join(want, " ") {
		t.Errorf("changed %v, want %v", ids, want)
	}
	e := got["azure/Standard_NC96ads_A100_v4/eastus"]
	if !near(e.PriceOnDemand, 14.692) || !near(e.PriceSpot, 1.777732) || e.Accelerator != "a100-pcie-80gb" {
		t.Errorf("NC96ads = od %v spot %v acc %s (Windows and Reservation meters must be left out)", *e.PriceOnDemand, *e.PriceSpot, e.Accelerator)
	}
}

func TestImport_GCPSKUs_ComposesMachinePrices(t *testing.T) {
	got, changes, res, _ := importFixture(t, "gcp-skus", "gcp-compute-skus-page.json")
	want := []string{"gcp/a2-ultragpu-1g/us-central1", "gcp/a2-ultragpu-8g/us-central1"}
	if ids := changedIDs(changes); strings.Join(ids, " ") != strings.Join(want, " ") {
		t.Errorf("changed %v, want %v", ids, want)
	}
	e := got["gcp/a2-ultragpu-1g/us-central1"]
	wantOD := 3.92808*1 + 0.031611*float64(e.VCPUs) + 0.004237*e.MemoryGiB
	if !near(e.PriceOnDemand, wantOD) {
		t.Errorf("a2-ultragpu-1g od %v, want GPU + cores + RAM = %g", e.PriceOnDemand, wantOD)
	}
	if e.PriceSpot == nil {
		t.Error("the file has no spot SKUs: the embedded spot must stay")
	}
	if !strings.Contains(strings.Join(res.Dropped, "\n"), "a2-highgpu-8g") {
		t.Errorf("a2-highgpu (A100 40GB) has no GPU SKU in the file and must be reported: %v", res.Dropped)
	}
}

func TestRead_MalformedAndTruncated_NamePosition(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	csv := read("skypilot-aws-vms.csv")
	lines := strings.Split(csv, "\n")
	cases := []struct {
		format, file string
		line         int
	}{
		// Truncated in the middle of row 6 (a field count mismatch).
		{"skypilot", write("trunc.csv", strings.Join(lines[:5], "\n")+"\n"+lines[5][:40]), 6},
		// A price that is not a number on row 3.
		{"skypilot", write("bad.csv", strings.Replace(csv, "30.09784,7.520500", "30.09784,seven", 1)), 3},
		{"aws-pricelist", write("trunc.json", read("aws-ec2-pricelist-excerpt.json")[:2500]), 0},
		{"azure-retail", write("az.json", strings.Replace(read("azure-retail-page.json"), `"retailPrice": 14.692,`, `"retailPrice": 14.692,,`, 1)), 0},
		{"gcp-skus", write("gcp.json", read("gcp-compute-skus-page.json")[:900]), 0},
	}
	for _, tc := range cases {
		_, err := Read(tc.format, []string{tc.file}, "aws", nil)
		var pe *PosError
		if !errors.As(err, &pe) {
			t.Errorf("%s: want a position error, got %v", tc.file, err)
			continue
		}
		if pe.File != tc.file || pe.Line < 1 || (tc.line > 0 && pe.Line != tc.line) {
			t.Errorf("%s: error at %d:%d (%v), want line %d", tc.file, pe.Line, pe.Col, err, tc.line)
		}
	}
}

func TestAggregate_DropsZeroAndNonOffers(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	rows := []Row{
		{Cloud: "aws", InstanceType: "x", Region: "r", Zone: "use1-az1", OnDemand: f(0), Spot: f(0), SpotStated: true},
		{Cloud: "aws", InstanceType: "x", Region: "r", Zone: "use1-az2", OnDemand: f(10), Spot: f(10), SpotStated: true},
		{Cloud: "aws", InstanceType: "x", Region: "r", Zone: "use1-az3", OnDemand: f(10), Spot: f(3), SpotStated: true},
		{Cloud: "aws", InstanceType: "x", Region: "r", Zone: "use1-atl2-az1", OnDemand: f(10), Spot: f(1), SpotStated: true},
	}
	offers, dropped := Aggregate(rows)
	if len(offers) != 1 || !near(offers[0].OnDemand, 10) || !near(offers[0].Spot, 3) {
		t.Fatalf("offers %+v", offers)
	}
	if len(dropped) != 2 { // the $0 on-demand and the $0 spot
		t.Errorf("dropped %v", dropped)
	}
}
