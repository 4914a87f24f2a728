package cost

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/aiplan-dev/aiplan/catalog"
	"github.com/aiplan-dev/aiplan/spec"
)

// Week is a count (replicas, instances, GPUs) for each hour of the kinds
// of day in a week: typically a working day and a weekend day.
type Week struct {
	Days []Day `json:"days"`
}

// Day is one kind of day: how many days of the week look like it, and
// the count for each hour.
type Day struct {
	PerWeek float64 `json:"per_week"`
	Hours   [24]int `json:"hours"`
}

// Flat is the same count every hour of every day.
func Flat(n int) Week {
	d := Day{PerWeek: 7}
	for h := range d.Hours {
		d.Hours[h] = n
	}
	return Week{Days: []Day{d}}
}

// WeekOf lays out a working day and a weekend day.
func WeekOf(weekday, weekend [24]int, weekdaysPerWeek float64) Week {
	var w Week
	if weekdaysPerWeek > 0 {
		w.Days = append(w.Days, Day{PerWeek: weekdaysPerWeek, Hours: weekday})
	}
	if weekdaysPerWeek < 7 {
		w.Days = append(w.Days, Day{PerWeek: 7 - weekdaysPerWeek, Hours: weekend})
	}
	return w
}

// Week returns the replica counts of r on the shape's week.
func (r Replicas) Week(s Shape) Week { return WeekOf(r.Weekday, r.Weekend, s.WeekdaysPerWeek) }

// Hours is the count-hours per month: the weighted mean over the week
// times the hours in a month.
func (w Week) Hours(hoursPerMonth float64) float64 {
	t := 0.0
	for _, d := range w.Days {
		s := 0
		for _, v := range d.Hours {
			s += v
		}
		t += float64(s) * d.PerWeek
	}
	return t / (24 * 7) * hoursPerMonth
}

// Max is the largest hourly count.
func (w Week) Max() int {
	m := 0
	for _, d := range w.Days {
		for _, v := range d.Hours {
			m = max(m, v)
		}
	}
	return m
}

// Min is the smallest hourly count.
func (w Week) Min() int {
	m := -1
	for _, d := range w.Days {
		for _, v := range d.Hours {
			if m < 0 || v < m {
				m = v
			}
		}
	}
	return max(m, 0)
}

// Map applies f to every hour.
func (w Week) Map(f func(int) int) Week {
	out := Week{Days: make([]Day, len(w.Days))}
	for i, d := range w.Days {
		out.Days[i].PerWeek = d.PerWeek
		for h, v := range d.Hours {
			out.Days[i].Hours[h] = f(v)
		}
	}
	return out
}

// HoursAbove is the count-hours per month above n (Above(n).Hours, without
// building the week).
func (w Week) HoursAbove(n int, hoursPerMonth float64) float64 {
	t := 0.0
	for _, d := range w.Days {
		s := 0
		for _, v := range d.Hours {
			if v > n {
				s += v - n
			}
		}
		t += float64(s) * d.PerWeek
	}
	return t / (24 * 7) * hoursPerMonth
}

// Above is the part of each hour's count above n.
func (w Week) Above(n int) Week { return w.Map(func(v int) int { return max(0, v-n) }) }

// Capped is each hour's count, at most n.
func (w Week) Capped(n int) Week { return w.Map(func(v int) int { return min(v, n) }) }

// Layout is the week's day boundaries (cumulative days), e.g. [5 7].
func (w Week) Layout() []float64 {
	out := make([]float64, len(w.Days))
	t := 0.0
	for i, d := range w.Days {
		t += d.PerWeek
		out[i] = t
	}
	return out
}

// Resample splits the week's days at the given cumulative boundaries
// (which must include the week's own), so weeks of different layouts can
// be added hour by hour.
func (w Week) Resample(bounds []float64) Week {
	out := Week{Days: make([]Day, 0, len(bounds))}
	lo, i, end := 0.0, 0, 0.0
	if len(w.Days) > 0 {
		end = w.Days[0].PerWeek
	}
	for _, hi := range bounds {
		if hi <= lo {
			continue
		}
		for i < len(w.Days)-1 && end <= lo {
			i++
			end += w.Days[i].PerWeek
		}
		d := Day{PerWeek: hi - lo}
		if i < len(w.Days) {
			d.Hours = w.Days[i].Hours
		}
		out.Days = append(out.Days, d)
		lo = hi
	}
	return out
}

// MergeLayouts is the union of day boundaries, sorted.
func MergeLayouts(layouts ...[]float64) []float64 {
	var all []float64
	for _, l := range layouts {
		all = append(all, l...)
	}
	sort.Float64s(all)
	out := all[:0]
	for _, v := range all {
		if len(out) == 0 || v-out[len(out)-1] > 1e-9 {
			out = append(out, v)
		}
	}
	return out
}

// InstancesFor is the whole instances needed each hour to hold the
// replicas when perInstance replicas fit on one instance.
func InstancesFor(replicas Week, perInstance int) Week {
	perInstance = max(perInstance, 1)
	return replicas.Map(func(v int) int { return (v + perInstance - 1) / perInstance })
}

// Bill prices whole cloud instances, hour by hour, in a pricing mode:
//   - on-demand and managed-platform: every instance-hour at that rate;
//   - reserved: the instances needed every hour are reserved for the whole
//     month, the hours above them run on demand;
//   - spot: every instance-hour at the typical spot price, plus the hours
//     lost to interruptions;
//   - spot over on-demand: the always-on instances run on demand, the rest
//     on spot.
//
// ok is false when the instance has no usable price in the mode.
func (p *Pricer) Bill(in *catalog.Instance, m Mode, inst Week, label string) ([]Component, bool) {
	hours := p.hoursPerMonth()
	od, okOD := p.HourlyUSD(in, OnDemand)
	total := inst.Hours(hours)
	out := make([]Component, 0, 2)
	switch m {
	case OnDemand:
		if !okOD {
			return nil, false
		}
		out = append(out, p.line(in, label+" on-demand", total, od, OnDemand))
	case ManagedPlatform:
		mk, ok := p.C.Rate("managed-platform/" + in.Cloud)
		if !ok || !okOD {
			return nil, false
		}
		c := p.line(in, label+" managed endpoint", total, od*(1+mk.Value), ManagedPlatform)
		c.Source = mk.Source + "; " + c.Source
		out = append(out, c)
	case Reserved1y, Reserved3y:
		r, ok := p.HourlyUSD(in, m)
		if !ok || !okOD {
			return nil, false
		}
		base := inst.Min()
		if base > 0 {
			c := p.line(in, label+" "+string(m)+" baseline ("+strconv.Itoa(base)+")", float64(base)*hours, r, m)
			c.Source = "catalog rate " + string(m) + "/" + in.Cloud + "; " + c.Source
			out = append(out, c)
		}
		if burst := inst.HoursAbove(base, hours); burst > 0 {
			out = append(out, p.line(in, label+" on-demand burst", burst, od, OnDemand))
		}
	case Spot, SpotOverOnDemand:
		sp, ok := p.HourlyUSD(in, Spot)
		if !ok {
			return nil, false
		}
		intr := p.spotLoss()
		base := 0
		if m == SpotOverOnDemand {
			if !okOD {
				return nil, false
			}
			base = inst.Min()
			if base > 0 {
				out = append(out, p.line(in, label+" on-demand baseline ("+strconv.Itoa(base)+")", float64(base)*hours, od, OnDemand))
			}
		}
		if h := inst.HoursAbove(base, hours); h > 0 {
			c := p.line(in, label+" spot", h*(1+intr), sp, Spot)
			c.Source += "; typical (median) spot price; hours include interruption replacement"
			out = append(out, c)
		}
	default:
		return nil, false
	}
	return out, true
}

// BillUSD is Sum(Bill(...)) without building the lines: the same
// arithmetic in the same order, for the search's inner loop, which prices
// millions of candidates and keeps the lines of a few.
func (p *Pricer) BillUSD(in *catalog.Instance, m Mode, inst Week) (float64, bool) {
	hours := p.hoursPerMonth()
	od, okOD := p.HourlyUSD(in, OnDemand)
	total := inst.Hours(hours)
	usd := 0.0
	switch m {
	case OnDemand:
		if !okOD {
			return 0, false
		}
		usd += total * od
	case ManagedPlatform:
		mk, ok := p.C.Rate("managed-platform/" + in.Cloud)
		if !ok || !okOD {
			return 0, false
		}
		usd += total * (od * (1 + mk.Value))
	case Reserved1y, Reserved3y:
		r, ok := p.HourlyUSD(in, m)
		if !ok || !okOD {
			return 0, false
		}
		base := inst.Min()
		if base > 0 {
			usd += float64(base) * hours * r
		}
		if burst := inst.HoursAbove(base, hours); burst > 0 {
			usd += burst * od
		}
	case Spot, SpotOverOnDemand:
		sp, ok := p.HourlyUSD(in, Spot)
		if !ok {
			return 0, false
		}
		intr := p.spotLoss()
		base := 0
		if m == SpotOverOnDemand {
			if !okOD {
				return 0, false
			}
			base = inst.Min()
			if base > 0 {
				usd += float64(base) * hours * od
			}
		}
		if h := inst.HoursAbove(base, hours); h > 0 {
			usd += h * (1 + intr) * sp
		}
	default:
		return 0, false
	}
	return usd, true
}

// BillCommitted prices instances on capacity already committed: the
// commitment is sunk (shown, paid whatever the plan does) and hours that
// need more than count instances overflow on demand.
func (p *Pricer) BillCommitted(in *catalog.Instance, count int, usdPerHour float64, inst Week, label string) ([]Component, bool) {
	hours := p.RateOr("hours-per-month", 730)
	price, src := usdPerHour, "committed price from the workload file"
	if price == 0 {
		r, ok := p.HourlyUSD(in, Reserved1y)
		if !ok {
			r, ok = p.HourlyUSD(in, OnDemand)
		}
		if !ok {
			return nil, false
		}
		price, src = r, "catalog reserved-1y price (the file gave no usdPerHour)"
	}
	c := Line(fmt.Sprintf("%s committed (%d held, sunk)", label, count), "compute", "instance-hours", float64(count)*hours, price, src)
	c.Sunk, c.AsOf = true, in.AsOf
	out := []Component{c}
	if over := inst.HoursAbove(count, hours); over > 0 {
		od, ok := p.HourlyUSD(in, OnDemand)
		if !ok {
			return nil, false
		}
		out = append(out, p.line(in, label+" on-demand overflow", over, od, OnDemand))
	}
	return out, true
}

// hoursPerMonth and spotLoss are rates every bill needs, looked up once.
func (p *Pricer) hoursPerMonth() float64 {
	if p.hours == 0 {
		p.hours = p.RateOr("hours-per-month", 730)
	}
	return p.hours
}

// spotLoss is the fraction of spot hours lost to interruptions and restarts.
func (p *Pricer) spotLoss() float64 {
	if !p.spotLossSet {
		p.spotLossV = p.RateOr("spot-interruptions-per-hour", 0.02) * p.RateOr("spot-restart-hours", 0.25)
		p.spotLossSet = true
	}
	return p.spotLossV
}

func (p *Pricer) line(in *catalog.Instance, name string, qty, price float64, m Mode) Component {
	c := Line(name, "compute", "instance-hours", qty, price, in.Source)
	c.AsOf = in.AsOf
	return c
}

// OnPremLines prices an owned pool's part in a workload: power for the busy
// GPU-hours (marginal), and the amortised capex and fixed operations of the
// held accelerators (sunk: paid whether or not the plan uses them).
func (p *Pricer) OnPremLines(pool spec.OnPrem, a *catalog.Accelerator, busyGPUs Week, heldGPUs int) []Component {
	hours := p.RateOr("hours-per-month", 730)
	capex, power, ops, note := p.OnPremGPUHourUSD(pool, a)
	gpuHours := float64(heldGPUs) * hours
	out := []Component{
		Line(fmt.Sprintf("on-prem %s power (%s, busy GPU-hours)", pool.Name, a.ID), "compute", "busy GPU-hours", busyGPUs.Hours(hours), power, note),
		Line(fmt.Sprintf("on-prem %s operations (%d GPUs, sunk)", pool.Name, heldGPUs), "compute", "GPU-hours", gpuHours, ops, "opsUSDPerMonth or the onprem-ops-fraction rate"),
		Line(fmt.Sprintf("on-prem %s amortised capex (%d GPUs, sunk)", pool.Name, heldGPUs), "compute", "GPU-hours", gpuHours, capex, fmt.Sprintf("capex %.0f USD over %.1f years", pool.CapexUSD, amortYears(pool))),
	}
	out[1].Sunk, out[2].Sunk = true, true
	return out
}

func amortYears(o spec.OnPrem) float64 {
	if o.AmortizationYears == 0 {
		return 4
	}
	return o.AmortizationYears
}
