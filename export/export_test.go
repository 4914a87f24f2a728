package export

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aiplan-dev/aiplan/catalog"
	"github.com/aiplan-dev/aiplan/plan"
	"github.com/aiplan-dev/aiplan/spec"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	"sigs.k8s.io/yaml"
)

var cat = catalog.MustDefault()

func examplePlan(t *testing.T, name string) *plan.Plan {
	t.Helper()
	b, err := os.ReadFile("../examples/" + name)
	if err != nil {
		t.Fatal(err)
	}
	f, ds := spec.Load(b, name, cat)
	if ds.HasErrors() {
		t.Fatal(ds.Err())
	}
	return plan.Build(f, cat)
}

func examples(t *testing.T) []string {
	files, _ := filepath.Glob("../examples/*.yaml")
	var out []string
	for _, f := range files {
		out = append(out, filepath.Base(f))
	}
	return out
}

func generate(t *testing.T, name string) []File {
	files, _, err := Generate(examplePlan(t, name), []string{"all"})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestKubernetes_StrictDecodeWithScheme decodes every object strictly with
// the Kubernetes scheme: unknown fields or kinds are errors.
func TestKubernetes_StrictDecodeWithScheme(t *testing.T) {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, appsv1.AddToScheme, batchv1.AddToScheme, autoscalingv2.AddToScheme, policyv1.AddToScheme, networkingv1.AddToScheme} {
		if err := add(scheme); err != nil {
			t.Fatal(err)
		}
	}
	ser := json.NewSerializerWithOptions(json.DefaultMetaFactory, scheme, scheme, json.SerializerOptions{Yaml: true, Strict: true})
	kinds := map[string]int{}
	for _, ex := range examples(t) {
		for _, f := range generate(t, ex) {
			if !strings.HasPrefix(f.Path, "k8s/") {
				continue
			}
			for i, doc := range strings.Split(string(f.Data), "\n---\n") {
				if i == 0 {
					continue // header comment
				}
				if strings.Contains(doc, "\nkind: LeaderWorkerSet\n") { // a CRD: strict decode against its schema (lws_test.go)
					var m map[string]any
					if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
						t.Fatal(err)
					}
					checkLWS(t, m)
					kinds["LeaderWorkerSet"]++
					continue
				}
				if strings.HasPrefix(doc, "apiVersion: security.istio.io/") {
					kinds[istioKind(t, ex+" "+f.Path, []byte(doc))]++
					continue
				}
				if strings.HasPrefix(doc, "apiVersion: kafka.strimzi.io/") {
					kinds[strimziKind(t, ex+" "+f.Path, []byte(doc))]++
					continue
				}
				obj, gvk, err := ser.Decode([]byte(doc), nil, nil)
				if err != nil {
					t.Errorf("%s %s doc %d: %v", ex, f.Path, i, err)
					continue
				}
				kinds[gvk.Kind]++
				if d, ok := obj.(*appsv1.Deployment); ok {
					c := d.Spec.Template.Spec.Containers[0]
					if c.ReadinessProbe == nil || c.LivenessProbe == nil || len(c.Resources.Limits) == 0 {
						t.Errorf("%s %s: deployment without probes or limits", ex, d.Name)
					}
					if d.Annotations["aiplan.dev/monthly-cost-usd"] == "" {
						t.Errorf("%s %s: no cost annotation", ex, d.Name)
					}
				}
			}
		}
	}
	for _, k := range []string{"Namespace", "Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy", "Job", "CronJob", "PeerAuthentication", "AuthorizationPolicy", "Kafka", "KafkaNodePool", "KafkaTopic"} {
		if kinds[k] == 0 {
			t.Errorf("no %s exported across the examples", k)
		}
	}
}

func knownResources(t *testing.T) map[string]string {
	f, err := os.Open("testdata/provider_resources.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 2 && !strings.HasPrefix(fields[0], "#") {
			out[fields[1]] = fields[0]
		}
	}
	return out
}

// TestTerraform_ParsesAndUsesKnownResourceTypes parses every file with
// hclparse and checks each resource type against its provider's list.
func TestTerraform_ParsesAndUsesKnownResourceTypes(t *testing.T) {
	known := knownResources(t)
	n := 0
	for _, ex := range examples(t) {
		for _, f := range generate(t, ex) {
			if !strings.HasPrefix(f.Path, "terraform/") {
				continue
			}
			n++
			file, diags := hclparse.NewParser().ParseHCL(f.Data, f.Path)
			if diags.HasErrors() {
				t.Fatalf("%s %s: %s", ex, f.Path, diags.Error())
			}
			providers := map[string]bool{}
			for _, blk := range file.Body.(*hclsyntax.Body).Blocks {
				if blk.Type == "terraform" {
					for _, rp := range blk.Body.Blocks {
						for name := range rp.Body.Attributes {
							providers[name] = true
						}
					}
				}
			}
			for _, blk := range file.Body.(*hclsyntax.Body).Blocks {
				if blk.Type != "resource" {
					continue
				}
				prov, ok := known[blk.Labels[0]]
				if !ok {
					t.Errorf("%s %s: unknown resource type %s", ex, f.Path, blk.Labels[0])
				} else if !providers[prov] {
					t.Errorf("%s %s: %s needs provider %s, not required", ex, f.Path, blk.Labels[0], prov)
				}
			}
		}
	}
	if n == 0 {
		t.Error("no terraform generated")
	}
}

// TestPrometheusRules_PassPromtool runs promtool check rules (installed by
// .ci/run from Debian's prometheus package).
func TestPrometheusRules_PassPromtool(t *testing.T) {
	tool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("promtool missing in CI: .ci/run installs the prometheus package")
		}
		t.Skip("promtool not installed (apt-get install prometheus)")
	}
	dir := t.TempDir()
	for _, ex := range examples(t) {
		for _, f := range generate(t, ex) {
			if f.Path != "prometheus/rules.yaml" {
				continue
			}
			p := filepath.Join(dir, strings.TrimSuffix(ex, ".yaml")+"-rules.yaml")
			if err := os.WriteFile(p, f.Data, 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(tool, "check", "rules", p).CombinedOutput()
			if err != nil {
				t.Errorf("%s: promtool: %v\n%s", ex, err, out)
			}
			if strings.Contains(ex, "eu-enterprise") && !bytes.Contains(f.Data, []byte("TTFTP99High")) {
				t.Errorf("%s: no TTFT rule", ex)
			}
		}
	}
}

// TestEUResidency_NoResourceOutsideEUInAnyExport looks for every catalog
// region name in every exported file of the EU plan.
func TestEUResidency_NoResourceOutsideEUInAnyExport(t *testing.T) {
	files := generate(t, "eu-enterprise.yaml")
	for _, f := range files {
		for _, r := range cat.Regions {
			re := regexp.MustCompile(`(^|[^A-Za-z0-9_-])` + regexp.QuoteMeta(r.ID) + `($|[^A-Za-z0-9_-])`)
			if r.Jurisdiction != "eu" && re.Match(f.Data) {
				t.Errorf("%s mentions non-EU region %s", f.Path, r.ID)
			}
		}
	}
	var sawRegion bool
	pinned := regexp.MustCompile(`region\s*=\s*"([^"]+)"`)
	for _, f := range files {
		if !strings.HasPrefix(f.Path, "terraform/") {
			continue
		}
		for _, m := range pinned.FindAllSubmatch(f.Data, -1) {
			if r, ok := cat.Region(string(m[1])); ok && r.Jurisdiction == "eu" {
				sawRegion = true
			}
		}
	}
	if !sawRegion {
		t.Error("terraform provider not pinned to an EU region")
	}
}

func TestWrite_ReportsLinkExports(t *testing.T) {
	dir := t.TempDir()
	p := examplePlan(t, "fraud-scoring.yaml")
	written, _, err := Write(p, dir, []string{"all"})
	if err != nil {
		t.Fatal(err)
	}
	html, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range written {
		if strings.HasPrefix(w, "report") {
			continue
		}
		if !bytes.Contains(html, []byte(`href="`+w+`"`)) {
			t.Errorf("report does not link %s", w)
		}
	}
}

// TestExamples_EveryImagePinned: no manifest of any example's export runs
// an image that floats (no tag, :latest, a rolling or wildcard tag), so a
// plan applied later deploys the builds it was exported with.
func TestExamples_EveryImagePinned(t *testing.T) {
	imageRe := regexp.MustCompile(`(?m)^\s*(?:- )?image: *"?([^"\s]+)"?\s*$`)
	seen := 0
	for _, ex := range examples(t) {
		for _, f := range generate(t, ex) {
			if !strings.HasPrefix(f.Path, "k8s/") {
				continue
			}
			for _, m := range imageRe.FindAllStringSubmatch(string(f.Data), -1) {
				seen++
				ref := m[1]
				if why := catalog.UnpinnedImage(ref); why != "" {
					t.Errorf("%s %s: image %s: %s", ex, f.Path, ref, why)
				}
				if strings.Contains(ref, ":latest") {
					t.Errorf("%s %s: image %s is :latest", ex, f.Path, ref)
				}
			}
		}
	}
	if seen == 0 {
		t.Fatal("no image found in any example's manifests")
	}
}

// TestImages_EveryVendorsBuildsPinned covers the images the examples do not
// export: every engine image of every vendor (the catalog check) and every
// vendor's training and embedding image.
func TestImages_EveryVendorsBuildsPinned(t *testing.T) {
	for _, v := range catalog.EngineVendors {
		ref := trainingImage(v, "us-east-1")
		if ref == "" {
			t.Errorf("%s: no training image", v)
			continue
		}
		if why := catalog.UnpinnedImage(ref); why != "" {
			t.Errorf("%s training image %s: %s", v, ref, why)
		}
	}
	for v, ref := range embeddingImages {
		if why := catalog.UnpinnedImage(ref); why != "" {
			t.Errorf("%q embedding image %s: %s", v, ref, why)
		}
	}
	for _, e := range cat.Engines {
		for v, ref := range e.Images {
			if why := catalog.UnpinnedImage(ref); why != "" {
				t.Errorf("engine %s/%s image %s: %s", e.ID, v, ref, why)
			}
		}
	}
}

// TestTerraform_UnpooledCapacityAsBilled: endpoints placement prices on
// their own (CPU replicas, query encoders) get node groups sized to the
// instances the plan bills, and the encoder Deployment runs every encoder
// (the fraud example's 2 CPU replicas had a 1-instance node group).
func TestTerraform_UnpooledCapacityAsBilled(t *testing.T) {
	p := examplePlan(t, "fraud-scoring.yaml")
	files, _, err := Generate(p, []string{"terraform"})
	if err != nil {
		t.Fatal(err)
	}
	tf := string(file(t, files, "terraform/aws.tf"))
	for _, w := range p.Workloads {
		o := w.Choice
		if o == nil || o.Instance == "" || o.ReplicasMax == 0 {
			continue
		}
		want := fmt.Sprintf("capacity: %d-%d instances for %s", o.ReplicasMin, o.ReplicasMax, w.Workload)
		if !strings.Contains(tf, want) {
			t.Errorf("%s: %d-%d replicas of one %s each, and no node group %q", w.Workload, o.ReplicasMin, o.ReplicasMax, o.Instance, want)
		}
	}
}
