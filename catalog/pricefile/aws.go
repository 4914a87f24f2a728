package pricefile

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// awsProduct is the part of an AWS Price List product the importer reads.
type awsProduct struct {
	ProductFamily string            `json:"productFamily"`
	Attributes    map[string]string `json:"attributes"`
}

type awsTerm struct {
	PriceDimensions map[string]struct {
		Unit         string            `json:"unit"`
		PricePerUnit map[string]string `json:"pricePerUnit"`
	} `json:"priceDimensions"`
}

// awsLocations maps Price List location names to region codes for files
// without the regionCode attribute (older files).
var awsLocations = map[string]string{
	"US East (N. Virginia)": "us-east-1", "US East (Ohio)": "us-east-2", "US West (Oregon)": "us-west-2", "US West (N. California)": "us-west-1",
	"EU (Ireland)": "eu-west-1", "EU (London)": "eu-west-2", "EU (Paris)": "eu-west-3", "EU (Frankfurt)": "eu-central-1", "EU (Stockholm)": "eu-north-1",
	"Europe (Ireland)": "eu-west-1", "Europe (London)": "eu-west-2", "Europe (Paris)": "eu-west-3", "Europe (Frankfurt)": "eu-central-1", "Europe (Stockholm)": "eu-north-1",
	"Asia Pacific (Tokyo)": "ap-northeast-1", "Asia Pacific (Sydney)": "ap-southeast-2", "Asia Pacific (Singapore)": "ap-southeast-1", "Asia Pacific (Mumbai)": "ap-south-1",
	"Canada (Central)": "ca-central-1",
}

// readAWS streams an AWS Price List EC2 offer file (the bulk JSON for
// AmazonEC2, whole or one region's slice). It keeps on-demand Linux
// prices of shared-tenancy instances without pre-installed software
// (operatingSystem Linux, tenancy Shared, preInstalledSw NA, capacitystatus
// Used). The Price List has no spot prices. The date is publicationDate.
func readAWS(path string) ([]Row, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	cr := &countingReader{r: bufio.NewReaderSize(f, 1<<20)}
	dec := json.NewDecoder(cr)
	fail := func(err error) ([]Row, string, error) {
		off := dec.InputOffset()
		var se *json.SyntaxError
		if errors.As(err, &se) {
			off = se.Offset
		}
		line, col := posInFile(path, off)
		msg := err.Error()
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			msg = "unexpected end of file (truncated JSON)"
		}
		return nil, "", &PosError{File: path, Line: line, Col: col, Msg: msg}
	}
	if err := expectDelim(dec, '{'); err != nil {
		return fail(err)
	}
	products := map[string]awsProduct{}
	prices := map[string]float64{}
	date, offer := "", ""
	for dec.More() {
		tk, err := dec.Token()
		if err != nil {
			return fail(err)
		}
		key, _ := tk.(string)
		switch key {
		case "publicationDate":
			if err := dec.Decode(&date); err != nil {
				return fail(err)
			}
		case "offerCode":
			if err := dec.Decode(&offer); err != nil {
				return fail(err)
			}
		case "products":
			if err := expectDelim(dec, '{'); err != nil {
				return fail(err)
			}
			for dec.More() {
				tk, err := dec.Token()
				if err != nil {
					return fail(err)
				}
				sku, _ := tk.(string)
				var p awsProduct
				if err := dec.Decode(&p); err != nil {
					return fail(err)
				}
				a := p.Attributes
				if !strings.HasPrefix(p.ProductFamily, "Compute Instance") || a["operatingSystem"] != "Linux" || a["tenancy"] != "Shared" ||
					a["preInstalledSw"] != "NA" || (a["capacitystatus"] != "" && a["capacitystatus"] != "Used") {
					continue
				}
				products[sku] = p
			}
			if err := expectDelim(dec, '}'); err != nil {
				return fail(err)
			}
		case "terms":
			if err := expectDelim(dec, '{'); err != nil {
				return fail(err)
			}
			for dec.More() {
				tk, err := dec.Token()
				if err != nil {
					return fail(err)
				}
				if kind, _ := tk.(string); kind != "OnDemand" {
					if err := skipValue(dec); err != nil {
						return fail(err)
					}
					continue
				}
				if err := expectDelim(dec, '{'); err != nil {
					return fail(err)
				}
				for dec.More() {
					tk, err := dec.Token()
					if err != nil {
						return fail(err)
					}
					sku, _ := tk.(string)
					var terms map[string]awsTerm
					if err := dec.Decode(&terms); err != nil {
						return fail(err)
					}
					for _, t := range terms {
						for _, d := range t.PriceDimensions {
							if d.Unit != "Hrs" {
								continue
							}
							if v, err := strconv.ParseFloat(d.PricePerUnit["USD"], 64); err == nil {
								prices[sku] = v
							}
						}
					}
				}
				if err := expectDelim(dec, '}'); err != nil {
					return fail(err)
				}
			}
			if err := expectDelim(dec, '}'); err != nil {
				return fail(err)
			}
		default:
			if err := skipValue(dec); err != nil {
				return fail(err)
			}
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return fail(err)
	}
	if offer != "" && offer != "AmazonEC2" {
		return nil, "", &PosError{File: path, Msg: fmt.Sprintf("offerCode %q: not the AmazonEC2 offer file", offer)}
	}
	var rows []Row
	for sku, p := range products {
		v, ok := prices[sku]
		if !ok {
			continue
		}
		a := p.Attributes
		region := a["regionCode"]
		if region == "" {
			region = awsLocations[a["location"]]
		}
		if region == "" || a["instanceType"] == "" {
			continue
		}
		price := v
		r := Row{Cloud: "aws", InstanceType: a["instanceType"], Region: region, OnDemand: &price}
		r.Count, _ = strconv.Atoi(a["gpu"])
		r.VCPUs, _ = strconv.Atoi(a["vcpu"])
		if m := strings.Fields(a["memory"]); len(m) > 0 {
			r.MemoryGiB, _ = strconv.ParseFloat(strings.ReplaceAll(m[0], ",", ""), 64)
		}
		rows = append(rows, r)
	}
	if len(date) >= 10 {
		date = date[:10]
	}
	return rows, date, nil
}

func expectDelim(dec *json.Decoder, d json.Delim) error {
	tk, err := dec.Token()
	if err != nil {
		return err
	}
	if got, ok := tk.(json.Delim); !ok || got != d {
		return fmt.Errorf("expected %q, found %v", string(d), tk)
	}
	return nil
}

// skipValue consumes one JSON value token by token (large sections such as
// Reserved terms are skipped without being held in memory).
func skipValue(dec *json.Decoder) error {
	depth := 0
	for {
		tk, err := dec.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return io.ErrUnexpectedEOF
			}
			return err
		}
		if d, ok := tk.(json.Delim); ok {
			switch d {
			case '{', '[':
				depth++
			default:
				depth--
			}
		}
		if depth == 0 {
			return nil
		}
	}
}

// posInFile converts a byte offset of a file into line and column.
func posInFile(path string, off int64) (int, int) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(f, off))
	return lineCol(b, int64(len(b)))
}
