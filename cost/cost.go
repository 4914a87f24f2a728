// Package cost holds aiplan's pricing primitives: the daily traffic shape,
// replica-hours over that shape with autoscaling bounds, instance prices by
// pricing mode (on-demand, spot, reserved, negotiated discounts), on-prem
// amortisation plus power, and priced line items (Infracost-style
// components). It sits below search, which needs prices to rank candidates;
// every price comes from the catalog, and a missing one is reported, never 0.
package cost

import (
	"fmt"
	"math"
	"sort"

	"github.com/aiplan-dev/aiplan/catalog"
	"github.com/aiplan-dev/aiplan/spec"
)

// Component is one priced line of a workload's monthly cost.
type Component struct {
	Name       string  `json:"name"`
	Category   string  `json:"category"` // compute, storage, network, tooling, api
	Unit       string  `json:"unit"`
	Quantity   float64 `json:"quantity"`
	UnitUSD    float64 `json:"unit_usd"`
	MonthlyUSD float64 `json:"monthly_usd"`
	Source     string  `json:"source,omitempty"`
	// AsOf is the date of the price, when it comes from a dated catalog entry.
	AsOf string `json:"as_of,omitempty"`
	// Sunk marks money already spent or committed (owned hardware's capex
	// and fixed operations, existing commitments): shown, but not new
	// spending and never a reason to prefer one option over another.
	Sunk bool `json:"sunk,omitempty"`
}

// Line builds a component from quantity x unit price.
func Line(name, category, unit string, qty, price float64, source string) Component {
	return Component{Name: name, Category: category, Unit: unit, Quantity: qty, UnitUSD: price, MonthlyUSD: qty * price, Source: source}
}

// Sum adds the costs of the components that are new spending (not sunk).
func Sum(cs []Component) float64 {
	t := 0.0
	for _, c := range cs {
		if !c.Sunk {
			t += c.MonthlyUSD
		}
	}
	return t
}

// SunkSum adds the costs of the sunk components.
func SunkSum(cs []Component) float64 {
	t := 0.0
	for _, c := range cs {
		if c.Sunk {
			t += c.MonthlyUSD
		}
	}
	return t
}

// Shape is the weekly traffic pattern as fractions of peak.
type Shape struct {
	Weekday, Weekend [24]float64
	WeekdaysPerWeek  float64
	Name             string
}

var named = map[string][24]float64{
	"flat":           fill(1),
	"business-hours": {0.1, 0.1, 0.1, 0.1, 0.1, 0.15, 0.3, 0.6, 0.9, 1, 1, 1, 0.95, 1, 1, 1, 0.9, 0.7, 0.4, 0.25, 0.2, 0.15, 0.1, 0.1},
	"consumer":       {0.35, 0.25, 0.2, 0.15, 0.15, 0.2, 0.3, 0.45, 0.55, 0.6, 0.65, 0.7, 0.75, 0.7, 0.7, 0.7, 0.75, 0.8, 0.9, 1, 1, 0.95, 0.8, 0.55},
	"batch-night":    {1, 1, 1, 1, 1, 0.8, 0.3, 0.1, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.1, 0.2, 0.4, 0.7, 0.9, 1},
}

func fill(v float64) (a [24]float64) {
	for i := range a {
		a[i] = v
	}
	return
}

// ShapeOf resolves a traffic description to a weekly shape. Business hours
// run on working days; weekends keep the night-time level.
func ShapeOf(t *spec.Traffic) Shape {
	s := Shape{WeekdaysPerWeek: 7, Name: "flat"}
	if t == nil {
		s.Weekday, s.Weekend = fill(1), fill(1)
		return s
	}
	switch {
	case len(t.Hourly) == 24:
		copy(s.Weekday[:], t.Hourly)
		s.Name = "hourly"
	case t.DailyProfile != "":
		s.Weekday = named[t.DailyProfile]
		s.Name = t.DailyProfile
	default:
		s.Weekday = fill(1)
	}
	s.Weekend = s.Weekday
	if s.Name == "business-hours" {
		s.WeekdaysPerWeek = 5
		s.Weekend = fill(s.Weekday[0])
	}
	if t.WorkingDaysPerWeek > 0 {
		s.WeekdaysPerWeek = t.WorkingDaysPerWeek
	}
	return s
}

// Leading returns the shape an autoscaler with a scale-up delay must
// provision: each hour carries the larger of its own and the next hour's
// traffic, so replicas are ready before a ramp arrives.
func (s Shape) Leading() Shape {
	out := s
	for h := 0; h < 24; h++ {
		out.Weekday[h] = max(s.Weekday[h], s.Weekday[(h+1)%24])
		out.Weekend[h] = max(s.Weekend[h], s.Weekend[(h+1)%24])
	}
	return out
}

// MeanFraction is the time-averaged fraction of peak.
func (s Shape) MeanFraction() float64 {
	var wd, we float64
	for h := 0; h < 24; h++ {
		wd += s.Weekday[h]
		we += s.Weekend[h]
	}
	return (wd*s.WeekdaysPerWeek + we*(7-s.WeekdaysPerWeek)) / (24 * 7)
}

// Replicas is the hourly replica count over a shape.
type Replicas struct {
	Weekday, Weekend [24]int
	Min, Max         int
	// MonthlyHours is replica-hours per month.
	MonthlyHours float64
}

// ReplicasFor sizes replicas per hour: ceil(rate x (1 + headroom) / capacity),
// clamped to [min, max]. Capacity is requests/s one replica serves within
// the SLO. max 0 means unbounded.
func ReplicasFor(s Shape, peak, capacity, headroom float64, minR, maxR int, hoursPerMonth float64) Replicas {
	var r Replicas
	r.Min = math.MaxInt32
	count := func(f float64) int {
		n := int(math.Ceil(peak * f * (1 + headroom) / capacity))
		if f > 0 && n < 1 {
			n = 1
		}
		if n < minR {
			n = minR
		}
		if maxR > 0 && n > maxR {
			n = maxR
		}
		return n
	}
	var wd, we float64
	for h := 0; h < 24; h++ {
		r.Weekday[h] = count(s.Weekday[h])
		r.Weekend[h] = count(s.Weekend[h])
		wd += float64(r.Weekday[h])
		we += float64(r.Weekend[h])
		r.Max = max(r.Max, r.Weekday[h], r.Weekend[h])
		r.Min = min(r.Min, r.Weekday[h], r.Weekend[h])
	}
	r.MonthlyHours = (wd*s.WeekdaysPerWeek + we*(7-s.WeekdaysPerWeek)) / (24 * 7) * hoursPerMonth
	return r
}

// Pricer prices instances under the plan's constraints.
type Pricer struct {
	C         *catalog.Catalog
	Discounts map[string]float64
	Missing   map[string]int // rate id -> times it was needed but absent
	// asOf remembers the date of each rate used, by its source text, so
	// priced lines can show how old their price is.
	asOf map[string]string
	// rates every bill needs, looked up once (see hoursPerMonth, spotLoss)
	hours       float64
	spotLossV   float64
	spotLossSet bool
	// AllowFlagged uses spot prices the catalog flags as anomalous
	// (SpotFlag); by default HourlyUSD has no such spot price. Entries
	// flagged whole (PriceFlag) are excluded by the search, with a reason.
	AllowFlagged bool
}

// NewPricer makes a pricer.
func NewPricer(c *catalog.Catalog, discounts map[string]float64) *Pricer {
	return &Pricer{C: c, Discounts: discounts, Missing: map[string]int{}, asOf: map[string]string{}}
}

// Rate returns a catalog rate, counting a missing one.
func (p *Pricer) Rate(id string) (float64, string, bool) {
	r, ok := p.C.Rate(id)
	if !ok {
		p.Missing[id]++
		return 0, "", false
	}
	if p.asOf != nil {
		p.asOf[r.Source] = r.AsOf
	}
	return r.Value, r.Source, true
}

// AsOf is the date of a rate the pricer handed out with this source text
// ("" when unknown).
func (p *Pricer) AsOf(source string) string { return p.asOf[source] }

// RateOr returns a rate, or def when the catalog lacks it (counted).
func (p *Pricer) RateOr(id string, def float64) float64 {
	v, _, ok := p.Rate(id)
	if !ok {
		return def
	}
	return v
}

// HourlyUSD is an instance's price per hour in a pricing mode, after the
// negotiated discount; ok is false when the catalog has no such price.
func (p *Pricer) HourlyUSD(in *catalog.Instance, mode Mode) (float64, bool) {
	if in.PriceOnDemand == nil && mode != Spot {
		return 0, false
	}
	d := 1 - p.Discounts[in.Cloud]
	switch mode {
	case OnDemand:
		return *in.PriceOnDemand * d, true
	case Spot:
		if in.PriceSpot == nil || (in.SpotFlag != "" && !p.AllowFlagged) {
			return 0, false
		}
		return *in.PriceSpot, true
	case Reserved1y, Reserved3y:
		// A cloud without a commitment rate in the catalog does not offer
		// the mode (GPU clouds sell on-demand); that is not a missing price.
		r, ok := p.C.Rate(string(mode) + "/" + in.Cloud)
		if !ok {
			return 0, false
		}
		off := r.Value
		return *in.PriceOnDemand * (1 - off) * d, true
	}
	return 0, false
}

// OnPremGPUHourUSD is the cost of one owned accelerator-hour, split into the
// amortised capex (sunk: paid whether the GPU is used or not) and the running
// cost (power at TDP x host overhead x PUE, and operations).
func (p *Pricer) OnPremGPUHourUSD(o spec.OnPrem, a *catalog.Accelerator) (capex, power, ops float64, note string) {
	hours := p.RateOr("hours-per-month", 730)
	years := amortYears(o)
	perGPUCapex := o.CapexUSD / float64(o.Count) / (years * 12 * hours)
	pue := o.PUE
	if pue == 0 {
		pue = p.RateOr("onprem-pue-default", 1.4)
	}
	tdp := 0.0
	if a.TDPWatts != nil {
		tdp = *a.TDPWatts
	}
	// The host around each GPU (CPUs, NICs, fans) draws about half again.
	power = tdp * 1.5 / 1000 * pue * o.USDPerKWh
	ops = o.OpsUSDPerMonth / float64(o.Count) / hours
	if o.OpsUSDPerMonth == 0 {
		ops = o.CapexUSD * p.RateOr("onprem-ops-fraction", 0.1) / 12 / float64(o.Count) / hours
	}
	note = fmt.Sprintf("%.0f W x 1.5 host x PUE %.2f at %.3f USD/kWh while busy", tdp, pue, o.USDPerKWh)
	return perGPUCapex, power, ops, note
}

// MissingRates lists rates that were needed but absent, sorted.
func (p *Pricer) MissingRates() []string {
	var out []string
	for k, n := range p.Missing {
		out = append(out, fmt.Sprintf("%s (needed %d times)", k, n))
	}
	sort.Strings(out)
	return out
}
