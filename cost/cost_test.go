package cost

import (
	"math"
	"testing"

	"github.com/aiplan-dev/aiplan/catalog"
	"github.com/aiplan-dev/aiplan/spec"
)

func TestShape_BusinessHoursWeekendsAtNightLevel(t *testing.T) {
	s := ShapeOf(&spec.Traffic{DailyProfile: "business-hours"})
	if s.WeekdaysPerWeek != 5 || s.Weekend[12] != s.Weekday[0] {
		t.Errorf("weekend shape %v", s.Weekend)
	}
	if m := s.MeanFraction(); m <= 0.1 || m >= 0.6 {
		t.Errorf("mean fraction %v", m)
	}
	if f := ShapeOf(&spec.Traffic{DailyProfile: "flat"}).MeanFraction(); f != 1 {
		t.Errorf("flat mean %v", f)
	}
}

func TestReplicas_MonotonicAndBounded(t *testing.T) {
	s := ShapeOf(&spec.Traffic{DailyProfile: "consumer"})
	a := ReplicasFor(s, 10, 2, 0.15, 1, 0, 730)
	b := ReplicasFor(s, 20, 2, 0.15, 1, 0, 730)
	if b.MonthlyHours <= a.MonthlyHours || b.Max < a.Max {
		t.Errorf("more traffic, fewer replica-hours: %v vs %v", a.MonthlyHours, b.MonthlyHours)
	}
	c := ReplicasFor(s, 20, 2, 0.15, 3, 5, 730)
	if c.Min < 3 || c.Max > 5 {
		t.Errorf("bounds ignored: %d-%d", c.Min, c.Max)
	}
	flat := ReplicasFor(ShapeOf(nil), 10, 10, 0, 0, 0, 730)
	if flat.MonthlyHours != 730 {
		t.Errorf("one replica all month = %v h", flat.MonthlyHours)
	}
}

func TestPricer_ModesAndDiscounts(t *testing.T) {
	c := catalog.MustDefault()
	in, err := c.Instance("aws/p5.48xlarge/us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	p := NewPricer(c, map[string]float64{"aws": 0.1})
	od, _ := p.HourlyUSD(in, "on-demand")
	if math.Abs(od-*in.PriceOnDemand*0.9) > 1e-9 {
		t.Errorf("discount not applied: %v", od)
	}
	r1, ok1 := p.HourlyUSD(in, "reserved-1y")
	r3, ok3 := p.HourlyUSD(in, "reserved-3y")
	if !ok1 || !ok3 || !(r3 < r1 && r1 < od) {
		t.Errorf("reserved prices %v %v vs on-demand %v", r1, r3, od)
	}
	lam, _ := c.Instance("lambda/gpu_1x_h100_sxm5/US")
	if lam != nil {
		if _, ok := p.HourlyUSD(lam, "reserved-1y"); ok {
			t.Error("lambda has no reserved rate in the catalog")
		}
	}
	if len(p.MissingRates()) != 0 {
		t.Errorf("missing rates: %v", p.MissingRates())
	}
}

func TestLine_SumIsConserved(t *testing.T) {
	cs := []Component{Line("a", "compute", "h", 10, 2, ""), Line("b", "storage", "GB", 5, 0.5, "")}
	if Sum(cs) != 22.5 {
		t.Errorf("sum %v", Sum(cs))
	}
}

func TestShape_LeadingProvisionsBeforeTheRamp(t *testing.T) {
	s := ShapeOf(&spec.Traffic{DailyProfile: "business-hours"})
	l := s.Leading()
	if l.Weekday[7] != s.Weekday[8] || l.MeanFraction() < s.MeanFraction() {
		t.Errorf("leading shape %v vs %v", l.Weekday[7], s.Weekday[8])
	}
}
