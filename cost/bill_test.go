package cost

import (
	"math"
	"testing"

	"github.com/aiplan-dev/aiplan/catalog"
)

// day is a working day with n instances from 8:00 to 18:00 and base
// otherwise, on 5 days a week; weekends stay at base.
func day(base, n int) Week {
	var wd, we [24]int
	for h := range wd {
		wd[h], we[h] = base, base
		if h >= 8 && h < 18 {
			wd[h] = n
		}
	}
	return WeekOf(wd, we, 5)
}

func TestBill_EveryModeBillsWholeInstanceHours(t *testing.T) {
	c := catalog.MustDefault()
	in, err := c.Instance("aws/p5.48xlarge/us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	p := NewPricer(c, nil)
	od, _ := p.HourlyUSD(in, OnDemand)
	sp, okSpot := p.HourlyUSD(in, Spot)
	r1, _ := p.HourlyUSD(in, Reserved1y)
	mk, _ := c.Rate("managed-platform/aws")
	intr := p.RateOr("spot-interruptions-per-hour", 0) * p.RateOr("spot-restart-hours", 0)
	w := day(1, 3)
	// 1 instance all month plus 2 more for 10 hours on 5 of 7 days.
	total := 730 + 2*10*5/168.0*730
	above := total - 730
	cases := []struct {
		mode Mode
		want float64
	}{
		{OnDemand, total * od},
		{ManagedPlatform, total * od * (1 + mk.Value)},
		{Reserved1y, 730*r1 + above*od},
		{Spot, total * (1 + intr) * sp},
		{SpotOverOnDemand, 730*od + above*(1+intr)*sp},
	}
	for _, tc := range cases {
		if tc.mode.UsesSpot() && !okSpot {
			continue
		}
		comps, ok := p.Bill(in, tc.mode, w, "p5")
		if !ok {
			t.Errorf("%s: no price", tc.mode)
			continue
		}
		if got := Sum(comps); math.Abs(got-tc.want) > 1e-6*tc.want {
			t.Errorf("%s: %.2f, want %.2f (%+v)", tc.mode, got, tc.want, comps)
		}
		for _, cm := range comps {
			if cm.AsOf == "" || cm.Unit != "instance-hours" {
				t.Errorf("%s: line %q lacks its date or unit", tc.mode, cm.Name)
			}
		}
	}
	if _, ok := p.Bill(in, Serverless, w, "p5"); ok {
		t.Error("serverless is not billed per instance")
	}
}

func TestBillCommitted_SunkOnceOverflowOnDemand(t *testing.T) {
	c := catalog.MustDefault()
	in, _ := c.Instance("aws/p5.48xlarge/us-east-1")
	p := NewPricer(c, nil)
	od, _ := p.HourlyUSD(in, OnDemand)
	comps, ok := p.BillCommitted(in, 2, 50, day(1, 3), "p5")
	if !ok {
		t.Fatal("no price")
	}
	if got := SunkSum(comps); got != 2*730*50 {
		t.Errorf("sunk %v: the commitment is paid whole, used or not", got)
	}
	if got, want := Sum(comps), 10*5/168.0*730*od; math.Abs(got-want) > 1e-6*want {
		t.Errorf("overflow %v, want %v", got, want)
	}
}

func TestWeek_InstancesAreWholeAndLayoutsMerge(t *testing.T) {
	r := WeekOf([24]int{3, 3, 3}, [24]int{1}, 5)
	inst := InstancesFor(r, 8)
	if inst.Max() != 1 || inst.Min() != 0 {
		t.Errorf("3 replicas on an 8-slot instance: %d-%d instances", inst.Min(), inst.Max())
	}
	if got := InstancesFor(Flat(9), 8).Hours(730); got != 2*730 {
		t.Errorf("9 one-GPU replicas need 2 eight-GPU instances all month: %v", got)
	}
	b := MergeLayouts(WeekOf([24]int{}, [24]int{}, 5).Layout(), Flat(1).Layout(), WeekOf([24]int{}, [24]int{}, 6).Layout())
	if len(b) != 3 || b[0] != 5 || b[1] != 6 || b[2] != 7 {
		t.Errorf("layouts %v", b)
	}
	rs := day(1, 3).Resample(b)
	if len(rs.Days) != 3 || rs.Days[1].Hours[9] != 1 || rs.Days[0].Hours[9] != 3 {
		t.Errorf("resample %+v", rs)
	}
	if a, b := day(1, 3).Hours(730), rs.Hours(730); math.Abs(a-b) > 1e-9 {
		t.Errorf("resampling changed the hours: %v vs %v", a, b)
	}
	if got, want := day(1, 3).HoursAbove(1, 730), day(1, 3).Above(1).Hours(730); got != want {
		t.Errorf("HoursAbove %v != Above.Hours %v", got, want)
	}
}

func TestParseMode_OnlyFileModes(t *testing.T) {
	for _, m := range FileModes {
		if got, ok := ParseMode(string(m)); !ok || got != m {
			t.Errorf("%s does not parse", m)
		}
	}
	for _, s := range []string{"spot+on-demand", "committed", "any", "Spot"} {
		if _, ok := ParseMode(s); ok {
			t.Errorf("%q parsed as a file mode", s)
		}
	}
	if !OnPremBurst.Owned() || !CommittedOverflow.Bursts() || Spot.Owned() || !SpotOverOnDemand.UsesSpot() {
		t.Error("mode predicates")
	}
}

func TestBillUSD_EqualsTheSumOfBill(t *testing.T) {
	c := catalog.MustDefault()
	p := NewPricer(c, map[string]float64{"aws": 0.07})
	weeks := []Week{Flat(1), Flat(3), day(0, 5), day(2, 9), InstancesFor(day(1, 17), 8)}
	n := 0
	for _, in := range c.Instances {
		for _, m := range []Mode{OnDemand, ManagedPlatform, Reserved1y, Reserved3y, Spot, SpotOverOnDemand, Serverless} {
			for _, w := range weeks {
				comps, ok := p.Bill(in, m, w, "x")
				usd, ok2 := p.BillUSD(in, m, w)
				if ok != ok2 || usd != Sum(comps) {
					t.Fatalf("%s %s: Bill %v %v, BillUSD %v %v", in.ID, m, Sum(comps), ok, usd, ok2)
				}
				n++
			}
		}
	}
	if n == 0 {
		t.Fatal("nothing compared")
	}
}
