package pricefile

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
)

type azurePage struct {
	Items []struct {
		CurrencyCode       string  `json:"currencyCode"`
		RetailPrice        float64 `json:"retailPrice"`
		ArmRegionName      string  `json:"armRegionName"`
		EffectiveStartDate string  `json:"effectiveStartDate"`
		MeterName          string  `json:"meterName"`
		ProductName        string  `json:"productName"`
		SkuName            string  `json:"skuName"`
		ServiceName        string  `json:"serviceName"`
		UnitOfMeasure      string  `json:"unitOfMeasure"`
		Type               string  `json:"type"`
		ArmSkuName         string  `json:"armSkuName"`
	} `json:"Items"`
	NextPageLink *string `json:"NextPageLink"`
}

// readAzure reads one page of the Azure Retail Prices API
// (https://prices.azure.com/api/retail/prices, JSON with Items and
// NextPageLink). It keeps USD Linux pay-as-you-go Virtual Machines meters
// per hour (type Consumption; Windows and Low Priority meters left out);
// meters whose skuName ends in "Spot" are spot prices.
func readAzure(b []byte, name string) ([]Row, string, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	var page azurePage
	if err := dec.Decode(&page); err != nil {
		off := dec.InputOffset()
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		msg := err.Error()
		switch {
		case errors.As(err, &se):
			off = se.Offset
		case errors.As(err, &te):
			off = te.Offset
		default:
			off = int64(len(b))
			msg = "unexpected end of file (truncated JSON)"
		}
		line, col := lineCol(b, off)
		return nil, "", &PosError{File: name, Line: line, Col: col, Msg: msg}
	}
	if page.Items == nil {
		return nil, "", &PosError{File: name, Line: 1, Col: 1, Msg: "no Items array: not an Azure Retail Prices API page"}
	}
	var rows []Row
	for _, it := range page.Items {
		if it.ServiceName != "Virtual Machines" || it.Type != "Consumption" || it.UnitOfMeasure != "1 Hour" || it.CurrencyCode != "USD" ||
			strings.Contains(it.ProductName, "Windows") || strings.Contains(it.SkuName, "Low Priority") || it.ArmSkuName == "" {
			continue
		}
		v := it.RetailPrice
		r := Row{Cloud: "azure", InstanceType: it.ArmSkuName, Region: it.ArmRegionName}
		if strings.HasSuffix(it.SkuName, "Spot") || strings.HasSuffix(it.MeterName, "Spot") {
			r.Spot, r.SpotStated = &v, true
		} else {
			r.OnDemand = &v
		}
		rows = append(rows, r)
	}
	// effectiveStartDate is when a price took effect, not when it was
	// read: the file's date stays its modification time (the download).
	return rows, "", nil
}
