package report

import (
	"strings"
	"testing"
)

// TestPoolRows_ListEveryGroupOfInstances: jobs and options placement did not
// pool become node groups in the export, so the node pool table lists them
// too (the EU example showed one pool while its Terraform made three).
func TestPoolRows_ListEveryGroupOfInstances(t *testing.T) {
	p := examplePlan(t, "eu-enterprise.yaml")
	var got []string
	for _, r := range poolRows(p) {
		got = append(got, r[0]+" | "+r[2]+" | "+r[3])
	}
	s := strings.Join(got, "\n")
	for _, want := range []string{"g6e.xlarge eu-central-1 | assistant", "p5en.48xlarge eu-north-1 | adapt | 4 instances while each run lasts", "g6.xlarge eu-central-1 | policy-index | 1 instance"} {
		if !strings.Contains(s, want) {
			t.Errorf("pool rows lack %q:\n%s", want, s)
		}
	}
}
