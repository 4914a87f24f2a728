package export

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/aiplan-dev/aiplan/catalog"
	"github.com/aiplan-dev/aiplan/cost"
	"github.com/aiplan-dev/aiplan/plan"
	"github.com/aiplan-dev/aiplan/search"
	"github.com/aiplan-dev/aiplan/spec"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"
)

// onePlan is a plan with the given workloads, built with the embedded
// catalog, for exports of choices the examples do not make.
func onePlan(name string, ws ...plan.Workload) *plan.Plan {
	f := &spec.File{}
	f.Metadata.Name = name
	return &plan.Plan{Name: name, Workloads: ws, Catalog: cat, Spec: f}
}

// instanceFor is the catalog instance of an accelerator on a cloud, with
// the most accelerators (a whole HPC node where there is one).
func instanceFor(t *testing.T, acc, cloud string) *catalog.Instance {
	t.Helper()
	var best *catalog.Instance
	for _, in := range cat.InstancesFor(acc) {
		if (cloud == "" || in.Cloud == cloud) && (best == nil || in.AcceleratorCount > best.AcceleratorCount) {
			best = in
		}
	}
	if best == nil {
		t.Fatalf("no %s instance for %s", cloud, acc)
	}
	return best
}

func llmWorkload(name, engine string, in *catalog.Instance) plan.Workload {
	o := &search.Option{Summary: "test", Accelerator: in.Accelerator, TP: 1, GPUsPerUnit: 1, Precision: "bf16", Cloud: in.Cloud, Region: in.Region,
		Instance: in.InstanceType, Pricing: "on-demand", ReplicasMin: 1, ReplicasMax: 4, Instances: 1, Engine: engine}
	return plan.Workload{Result: search.Result{Workload: name, Type: spec.LLMInference, Choice: o},
		Spec: &spec.Workload{Name: name, Type: spec.LLMInference, Model: &spec.ModelRef{ID: "llama-3.1-8b"},
			Traffic: &spec.Traffic{InputTokens: 1000, OutputTokens: 200}, SLO: &spec.SLO{TTFTP99Ms: 800, TPOTP99Ms: 60, E2EP99Ms: 20000}}}
}

// objects decodes the YAML documents of a generated manifest.
func objects(t *testing.T, data []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	for i, doc := range strings.Split(string(data), "\n---\n") {
		if i == 0 {
			continue
		}
		var m map[string]any
		if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func decode[T any](t *testing.T, m map[string]any) *T {
	t.Helper()
	b, err := yaml.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var v T
	if err := yaml.UnmarshalStrict(b, &v); err != nil {
		t.Fatal(err)
	}
	return &v
}

func file(t *testing.T, files []File, path string) []byte {
	t.Helper()
	for _, f := range files {
		if f.Path == path {
			return f.Data
		}
	}
	t.Fatalf("no %s among %d files", path, len(files))
	return nil
}

var metricRef = regexp.MustCompile(`[A-Za-z_:][A-Za-z0-9_:]*\{`)

// TestEngines_HPAAndAlertsReadTheDeployedEnginesMetrics exports one LLM
// endpoint per catalog engine and checks that the image, the HPA metric and
// every metric an alert reads belong to that engine (or to the vendor's
// GPU exporter), and that no other engine's metric appears.
func TestEngines_HPAAndAlertsReadTheDeployedEnginesMetrics(t *testing.T) {
	n := 0
	for _, e := range cat.Engines {
		if e.Kind != "llm" {
			continue
		}
		for _, v := range e.Vendors {
			var acc *catalog.Accelerator
			for _, a := range cat.Accelerators {
				if catalog.VendorKey(a.Vendor) == v && len(cat.InstancesFor(a.ID)) > 0 && !a.InferenceOnly || catalog.VendorKey(a.Vendor) == v && v == "aws" && len(cat.InstancesFor(a.ID)) > 0 {
					acc = a
					break
				}
			}
			if acc == nil {
				continue // no instance of this vendor in the catalog
			}
			n++
			t.Run(e.ID+"/"+v, func(t *testing.T) {
				in := instanceFor(t, acc.ID, "")
				p := onePlan("engines", llmWorkload("chat", e.ID, in))
				files, notes, err := Generate(p, []string{"k8s", "prometheus"})
				if err != nil {
					t.Fatal(err)
				}
				objs := objects(t, file(t, files, "k8s/chat.yaml"))
				var hpaMetric string
				for _, m := range objs {
					switch m["kind"] {
					case "Deployment":
						d := decode[appsv1.Deployment](t, m)
						c := d.Spec.Template.Spec.Containers[0]
						if c.Image != e.Image(acc) {
							t.Errorf("image %s, want %s's image for %s: %s", c.Image, e.ID, v, e.Image(acc))
						}
						if got := d.Annotations["aiplan.dev/engine"]; got != e.ID {
							t.Errorf("engine annotation %q, want %q", got, e.ID)
						}
						if got := d.Annotations["aiplan.dev/image-build"]; got != e.ImageBuild {
							t.Errorf("image-build annotation %q, want %q", got, e.ImageBuild)
						}
						if e.ImageBuild != "" && !strings.Contains(strings.Join(notes, "\n"), e.ImageBuild) {
							t.Errorf("%s's image needs a build step and no note says so: %v", e.ID, notes)
						}
						if _, ok := c.Resources.Limits[corev1.ResourceName(acc.DeviceResource)]; !ok {
							t.Errorf("no %s limit: %v", acc.DeviceResource, c.Resources.Limits)
						}
						if got := d.Spec.Template.Annotations["prometheus.io/path"]; got != e.Metrics.Endpoint {
							t.Errorf("scrape path %q, want %q", got, e.Metrics.Endpoint)
						}
					case "HorizontalPodAutoscaler":
						h := decode[autoscalingv2.HorizontalPodAutoscaler](t, m)
						hpaMetric = h.Spec.Metrics[0].Pods.Metric.Name
						if q := e.Metrics.QueueTimeHistogram; hpaMetric == q+"_mean" {
							n := promName(q)
							if a := h.Annotations["aiplan.dev/metric-query"]; !strings.Contains(a, n+"_sum{") || !strings.Contains(a, n+"_count{") {
								t.Errorf("HPA on %s without the adapter query: %q", hpaMetric, a)
							}
						}
					}
				}
				want := e.Metrics.QueueWaiting
				if want == "" {
					want = e.Metrics.Running
				}
				if want == "" && e.Metrics.QueueTimeHistogram != "" {
					want = e.Metrics.QueueTimeHistogram + "_mean" // mean queue wait, served by prometheus-adapter
				}
				if want == "" && v == "nvidia" {
					want = "DCGM_FI_DEV_GPU_UTIL"
				}
				if hpaMetric != want {
					t.Errorf("HPA scales on %q, want %q", hpaMetric, want)
				}
				if want == "" && !strings.Contains(strings.Join(notes, "\n"), "no autoscaler") {
					t.Errorf("no HPA and no note saying so: %v", notes)
				}
				own := map[string]bool{}
				for _, x := range []string{e.Metrics.QueueWaiting, e.Metrics.Running, e.Metrics.KVUsage, e.Metrics.TTFTHistogram + "_bucket", e.Metrics.TPOTHistogram + "_bucket", e.Metrics.E2EHistogram + "_bucket"} {
					own[x] = true
				}
				rules := string(file(t, files, "prometheus/rules.yaml"))
				alerts := 0
				for _, ref := range metricRef.FindAllString(rules, -1) {
					name := strings.TrimSuffix(ref, "{")
					switch {
					case own[name]:
						alerts++
					case strings.HasPrefix(name, "DCGM_") && v == "nvidia":
					case name == "http_requests_total" && vllmFamily(e.ID):
					case strings.HasPrefix(name, "tgi_request_") && e.ID == "tgi":
					default:
						t.Errorf("alert reads %s, which %s does not export", name, e.ID)
					}
				}
				if e.Metrics.TTFTHistogram != "" && !strings.Contains(rules, e.Metrics.TTFTHistogram+"_bucket") {
					t.Errorf("no TTFT alert on %s", e.Metrics.TTFTHistogram)
				}
				if e.Metrics.TTFTHistogram == "" && !strings.Contains(strings.Join(notes, "\n"), "time to first token") {
					t.Errorf("%s has no TTFT histogram and no note says the SLO goes unwatched", e.ID)
				}
				if alerts == 0 {
					t.Error("no alert reads the engine's own metrics")
				}
				for _, other := range cat.Engines {
					if other.ID == e.ID || other.Metrics.TTFTHistogram == e.Metrics.TTFTHistogram {
						continue
					}
					for _, name := range []string{other.Metrics.TTFTHistogram, other.Metrics.QueueWaiting} {
						if name != "" && !own[name] && !own[name+"_bucket"] && (strings.Contains(rules, name) || hpaMetric == name) {
							t.Errorf("%s's metric %s in the %s export", other.ID, name, e.ID)
						}
					}
				}
			})
		}
	}
	if n < 5 {
		t.Errorf("only %d engine/vendor pairs exported", n)
	}
}

// TestEUEnterprise_SGLangMetricsEverywhere is the reported case: the EU
// plan deploys SGLang, so its HPA and alerts read sglang:* names.
func TestEUEnterprise_SGLangMetricsEverywhere(t *testing.T) {
	p := examplePlan(t, "eu-enterprise.yaml")
	files, _, err := Generate(p, []string{"all"})
	if err != nil {
		t.Fatal(err)
	}
	var w *plan.Workload
	for i := range p.Workloads {
		if p.Workloads[i].Workload == "assistant" {
			w = &p.Workloads[i]
		}
	}
	e, _, err := servingEngine(p, w)
	if err != nil {
		t.Fatal(err)
	}
	k := string(file(t, files, "k8s/assistant.yaml"))
	rules := string(file(t, files, "prometheus/rules.yaml"))
	if !strings.Contains(k, "name: "+e.Metrics.QueueWaiting) {
		t.Errorf("HPA does not scale on %s", e.Metrics.QueueWaiting)
	}
	for _, other := range []string{"vllm:", "vllm_"} {
		// Engines built on vLLM (vllm-tpu, neuron, gaudi) export vllm:* names themselves.
		if !strings.HasPrefix(e.Metrics.QueueWaiting, other) && (strings.Contains(k, other) || strings.Contains(rules, other)) {
			t.Errorf("%s deployed but %s metrics appear", e.ID, other)
		}
	}
}

func trainingWorkload(in *catalog.Instance, nodes int) plan.Workload {
	o := &search.Option{Summary: "test", Accelerator: in.Accelerator, GPUsPerUnit: nodes * in.AcceleratorCount, Precision: "bf16", Cloud: in.Cloud, Region: in.Region,
		Instance: in.InstanceType, Pricing: "on-demand", Instances: nodes, Metrics: search.Metrics{Parallelism: "tp=8 pp=1 dp=4"}}
	return plan.Workload{Result: search.Result{Workload: "pretrain", Type: spec.Training, Choice: o},
		Spec: &spec.Workload{Name: "pretrain", Type: spec.Training, Model: &spec.ModelRef{ID: "llama-3.1-8b"}, Method: "pretrain"}}
}

// TestMultiNodeTraining_RendezvousAndFabric exports a 4-node job on EFA
// and a 2-node job on InfiniBand: an Indexed Job with one pod per node, a
// headless Service that gives pod 0 the rendezvous name torchrun uses, and
// the instance's fabric requested by every pod.
func TestMultiNodeTraining_RendezvousAndFabric(t *testing.T) {
	for _, tc := range []struct {
		instance, resource string
		nodes              int
	}{
		{"aws/p5.48xlarge/us-east-1", "vpc.amazonaws.com/efa", 4},
		{"azure/Standard_ND96isr_H100_v5/", "rdma/shared_ib", 2},
	} {
		var in *catalog.Instance
		for _, x := range cat.Instances {
			if strings.HasPrefix(strings.ToLower(x.ID), strings.ToLower(tc.instance)) {
				in = x
				break
			}
		}
		if in == nil || in.Network == nil || !in.Network.RDMA() {
			t.Fatalf("%s: not in the catalog with an RDMA network", tc.instance)
		}
		p := onePlan("train", trainingWorkload(in, tc.nodes))
		files, _, err := Generate(p, []string{"k8s", "terraform"})
		if err != nil {
			t.Fatal(err)
		}
		var job *batchv1.Job
		var svc *corev1.Service
		for _, m := range objects(t, file(t, files, "k8s/pretrain.yaml")) {
			switch m["kind"] {
			case "Job":
				job = decode[batchv1.Job](t, m)
			case "Service":
				svc = decode[corev1.Service](t, m)
			}
		}
		if job == nil || svc == nil {
			t.Fatalf("%s: want a Job and a headless Service", tc.instance)
		}
		if job.Spec.CompletionMode == nil || *job.Spec.CompletionMode != batchv1.IndexedCompletion || *job.Spec.Parallelism != int32(tc.nodes) || *job.Spec.Completions != int32(tc.nodes) {
			t.Errorf("%s: not an Indexed Job of %d pods", tc.instance, tc.nodes)
		}
		if svc.Spec.ClusterIP != corev1.ClusterIPNone || !svc.Spec.PublishNotReadyAddresses || job.Spec.Template.Spec.Subdomain != svc.Name {
			t.Errorf("%s: service %s (clusterIP %q) is not the job's headless subdomain %q", tc.instance, svc.Name, svc.Spec.ClusterIP, job.Spec.Template.Spec.Subdomain)
		}
		for k, v := range svc.Spec.Selector {
			if job.Spec.Template.Labels[k] != v {
				t.Errorf("%s: service selector %s=%s does not select the job's pods", tc.instance, k, v)
			}
		}
		c := job.Spec.Template.Spec.Containers[0]
		cmd := strings.Join(c.Command, " ")
		env := map[string]string{}
		for _, e := range c.Env {
			env[e.Name] = e.Value
		}
		if !strings.Contains(cmd, "--nnodes="+itoa(tc.nodes)) || !strings.Contains(cmd, "--rdzv-backend=c10d") || !strings.Contains(cmd, "--rdzv-endpoint=$(MASTER_ADDR):$(MASTER_PORT)") {
			t.Errorf("%s: torchrun does not rendezvous across %d nodes: %s", tc.instance, tc.nodes, cmd)
		}
		if want := job.Name + "-0." + svc.Name + "."; !strings.HasPrefix(env["MASTER_ADDR"], want) {
			t.Errorf("%s: MASTER_ADDR %q is not pod 0 of the headless service (%s...)", tc.instance, env["MASTER_ADDR"], want)
		}
		q, ok := c.Resources.Limits[corev1.ResourceName(tc.resource)]
		if !ok || q.Value() < 1 {
			t.Errorf("%s: no %s request: %v", tc.instance, tc.resource, c.Resources.Limits)
		}
		if tc.resource == "vpc.amazonaws.com/efa" && q.Value() != int64(efaDevices[in.InstanceType]) {
			t.Errorf("%s: %d EFA devices requested, the instance has %d", tc.instance, q.Value(), efaDevices[in.InstanceType])
		}
		if g := c.Resources.Limits[corev1.ResourceName("nvidia.com/gpu")]; g.Value() != int64(in.AcceleratorCount) {
			t.Errorf("%s: %d GPUs per pod, want the node's %d", tc.instance, g.Value(), in.AcceleratorCount)
		}
		if in.Cloud == "aws" {
			// The nodes carry the interfaces the pods ask for.
			efa, pg, linked := efaNodeGroup(t, file(t, files, "terraform/aws.tf"))
			if int64(efa) != q.Value() || !pg || !linked {
				t.Errorf("%s: node group attaches %d EFA interfaces (pods ask %d), cluster placement group %v, launch template linked %v", tc.instance, efa, q.Value(), pg, linked)
			}
		}
	}
	// A multi-host TPU slice: one pod per TPU VM on the slice's topology,
	// found by the other hosts through the headless service.
	tpu := instanceFor(t, "tpu-v5e", "gcp")
	if tpu.InstanceType != "tpu-v5litepod-256" && tpu.InstanceType != "tpu-v5litepod-32" {
		t.Fatalf("unexpected TPU instance %s", tpu.InstanceType)
	}
	slice := gkeTPUs[tpu.InstanceType]
	tw := trainingWorkload(tpu, 1)
	files, _, err := Generate(onePlan("train", tw), []string{"k8s"})
	if err != nil {
		t.Fatal(err)
	}
	var job *batchv1.Job
	for _, m := range objects(t, file(t, files, "k8s/pretrain.yaml")) {
		if m["kind"] == "Job" {
			job = decode[batchv1.Job](t, m)
		}
	}
	ps := job.Spec.Template.Spec
	chips := ps.Containers[0].Resources.Limits[corev1.ResourceName("google.com/tpu")]
	if *job.Spec.Parallelism != int32(slice.hosts) || ps.Subdomain == "" || ps.NodeSelector["cloud.google.com/gke-tpu-topology"] != slice.topology || chips.Value()*int64(slice.hosts) != int64(tpu.AcceleratorCount) {
		t.Errorf("%s: %d pods (want %d hosts), subdomain %q, topology %q, %d chips per pod", tpu.InstanceType, *job.Spec.Parallelism, slice.hosts, ps.Subdomain, ps.NodeSelector["cloud.google.com/gke-tpu-topology"], chips.Value())
	}
	// A single node needs no rendezvous service and no fabric.
	in := instanceFor(t, "h100-sxm", "aws")
	files, _, err = Generate(onePlan("train", trainingWorkload(in, 1)), []string{"k8s"})
	if err != nil {
		t.Fatal(err)
	}
	k := string(file(t, files, "k8s/pretrain.yaml"))
	if strings.Contains(k, "clusterIP: None") || strings.Contains(k, "vpc.amazonaws.com/efa") || !strings.Contains(k, "--standalone") {
		t.Errorf("single-node job: want torchrun --standalone without a headless service or EFA:\n%s", k)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestEFAInterfaceTable_CoversEveryEFAInstance keeps the export's EFA
// interface counts in step with the catalog's EFA instances.
func TestEFAInterfaceTable_CoversEveryEFAInstance(t *testing.T) {
	for _, in := range cat.Instances {
		if in.Network != nil && in.Network.Type == catalog.NetEFA && efaDevices[in.InstanceType] == 0 {
			t.Errorf("%s has EFA in the catalog but no interface count in efaDevices", in.ID)
		}
	}
}

// TestNeuron_NodesAndImages: an Inferentia2 endpoint gets the Neuron EKS AMI,
// the Neuron engine's image and the Neuron device, and nothing CUDA.
func TestNeuron_NodesAndImages(t *testing.T) {
	in := instanceFor(t, "inferentia2", "aws")
	w := llmWorkload("chat", "", in)
	batch := llmWorkload("nightly", "", in)
	batch.Type, batch.Spec.Type, batch.Choice.ReplicasMin = spec.BatchInference, spec.BatchInference, 0
	p := onePlan("neuron", w, batch)
	files, _, err := Generate(p, []string{"all"})
	if err != nil {
		t.Fatal(err)
	}
	tf := string(file(t, files, "terraform/aws.tf"))
	if !strings.Contains(tf, `ami_type        = "AL2023_x86_64_NEURON"`) && !strings.Contains(tf, `"AL2023_x86_64_NEURON"`) {
		t.Errorf("inf2 node group without the Neuron AMI:\n%s", tf)
	}
	if strings.Contains(tf, "NVIDIA") {
		t.Error("an NVIDIA AMI in a plan with only Inferentia")
	}
	neuron, err := cat.Engine("neuron")
	if err != nil {
		t.Fatal(err)
	}
	acc, _ := cat.Accelerator(in.Accelerator)
	for _, path := range []string{"k8s/chat.yaml", "k8s/nightly.yaml"} {
		k := string(file(t, files, path))
		if !strings.Contains(k, "image: "+neuron.Image(acc)) {
			t.Errorf("%s: not the Neuron engine's image %s", path, neuron.Image(acc))
		}
		for _, cuda := range []string{"nvidia.com/gpu", "nvcr.io", "vllm/vllm-openai", "cuda", "lmsysorg/sglang"} {
			if strings.Contains(strings.ToLower(k), strings.ToLower(cuda)) {
				t.Errorf("%s: %s on Inferentia", path, cuda)
			}
		}
		if !strings.Contains(k, "aws.amazon.com/neuron") {
			t.Errorf("%s: no Neuron device request", path)
		}
	}
}

// regionsIn lists the catalog regions a Terraform file names in strings.
func regionsIn(data []byte) map[string]bool {
	out := map[string]bool{}
	for _, r := range cat.Regions {
		if regexp.MustCompile(`"` + regexp.QuoteMeta(r.ID) + `"`).Match(data) {
			out[r.ID] = true
		}
	}
	return out
}

// TestTerraform_OnlyPricedRegions: every region a Terraform file pins is a
// region the plan priced an instance in on that cloud, and every priced
// region gets its node pools; owned capacity never reaches a provider.
func TestTerraform_OnlyPricedRegions(t *testing.T) {
	for _, ex := range examples(t) {
		p := examplePlan(t, ex)
		priced := map[string]map[string]bool{}
		for _, w := range p.Workloads {
			if o := w.Choice; o.OnCloudNodes() {
				if priced[o.Cloud] == nil {
					priced[o.Cloud] = map[string]bool{}
				}
				priced[o.Cloud][o.Region] = true
			}
		}
		// Backup copy regions are part of the plan when the blueprint
		// prices the copies there.
		copies := map[string]map[string]bool{}
		for _, c := range p.Blueprint.Components {
			if c.ID != "backups" || len(c.Costs) == 0 {
				continue
			}
			for _, cp := range c.Copies {
				if copies[c.Cloud] == nil {
					copies[c.Cloud] = map[string]bool{}
				}
				copies[c.Cloud][cp.To] = true
			}
		}
		files, _, err := Generate(p, []string{"terraform"})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			cl := strings.TrimSuffix(strings.TrimPrefix(f.Path, "terraform/"), ".tf")
			hf, diags := hclparse.NewParser().ParseHCL(f.Data, f.Path)
			if diags.HasErrors() {
				t.Fatalf("%s %s: %s", ex, f.Path, diags.Error())
			}
			labels := map[string]bool{}
			for _, blk := range hf.Body.(*hclsyntax.Body).Blocks {
				if blk.Type == "resource" || blk.Type == "variable" {
					k := blk.Type + "." + strings.Join(blk.Labels, ".")
					if labels[k] {
						t.Errorf("%s %s: %s declared twice", ex, f.Path, k)
					}
					labels[k] = true
				}
			}
			got := regionsIn(f.Data)
			for r := range got {
				if !priced[cl][r] && !copies[cl][r] {
					t.Errorf("%s %s: region %s was not priced on %s (priced: %v)", ex, f.Path, r, cl, priced[cl])
				}
			}
			for r := range priced[cl] {
				if !got[r] {
					t.Errorf("%s %s: priced region %s has no cluster", ex, f.Path, r)
				}
			}
		}
	}
	// Owned capacity alone: no cloud file and no region, only a note.
	w := llmWorkload("onprem", "", instanceFor(t, "a100-sxm-80gb", "aws"))
	w.Choice.Cloud, w.Choice.Instance, w.Choice.OnPrem, w.Choice.Region, w.Choice.Pricing = "", "", "dc1-a100", "eu-central-1", "on-prem"
	p := onePlan("owned", w)
	files, _, err := Generate(p, []string{"terraform", "k8s"})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasPrefix(f.Path, "terraform/") || strings.Contains(string(f.Data), "eu-central-1") {
			t.Errorf("owned capacity reached %s", f.Path)
		}
	}
}

// TestTerraform_PoolsAsPriced: a two-region AWS plan gets one aliased
// provider and cluster per region, each with its own pool, and a
// spot+on-demand endpoint an on-demand baseline pool plus a spot pool.
func TestTerraform_PoolsAsPriced(t *testing.T) {
	a := instanceFor(t, "l40s", "aws")
	var b *catalog.Instance
	for _, in := range cat.InstancesFor("inferentia2") {
		if in.Cloud == "aws" && in.Region != a.Region {
			b = in
			break
		}
	}
	if b == nil {
		t.Skip("no Inferentia2 instance outside " + a.Region)
	}
	w1 := llmWorkload("chat", "", a)
	w1.Choice.Pricing, w1.Choice.ReplicasMin, w1.Choice.ReplicasMax, w1.Choice.Instances = "spot+on-demand", 2, 6, 6
	w1.Choice.GPUsPerUnit = a.AcceleratorCount
	w2 := llmWorkload("infer", "", b)
	files, _, err := Generate(onePlan("two-regions", w1, w2), []string{"terraform"})
	if err != nil {
		t.Fatal(err)
	}
	data := file(t, files, "terraform/aws.tf")
	hf, diags := hclparse.NewParser().ParseHCL(data, "aws.tf")
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	aliases := map[string]bool{}
	type ng struct{ instance, capacity, provider, ami, size string }
	var groups []ng
	for _, blk := range hf.Body.(*hclsyntax.Body).Blocks {
		switch {
		case blk.Type == "provider":
			if attr, ok := blk.Body.Attributes["alias"]; ok {
				v, _ := attr.Expr.Value(nil)
				aliases[v.AsString()] = true
			}
		case blk.Type == "resource" && blk.Labels[0] == "aws_eks_node_group":
			g := ng{}
			for name, attr := range blk.Body.Attributes {
				switch name {
				case "instance_types":
					v, _ := attr.Expr.Value(nil)
					g.instance = v.Index(ctyZero).AsString()
				case "capacity_type":
					v, _ := attr.Expr.Value(nil)
					g.capacity = v.AsString()
				case "ami_type":
					v, _ := attr.Expr.Value(nil)
					g.ami = v.AsString()
				case "provider":
					g.provider = string(attr.Expr.Range().SliceBytes(data))
				}
			}
			for _, sc := range blk.Body.Blocks {
				if sc.Type == "scaling_config" {
					lo, _ := sc.Body.Attributes["min_size"].Expr.Value(nil)
					hi, _ := sc.Body.Attributes["max_size"].Expr.Value(nil)
					g.size = lo.AsBigFloat().String() + ".." + hi.AsBigFloat().String()
				}
			}
			groups = append(groups, g)
		}
	}
	if !aliases[ident(a.Region)] || !aliases[ident(b.Region)] || len(aliases) != 2 {
		t.Errorf("providers %v, want one per priced region (%s, %s)", aliases, a.Region, b.Region)
	}
	var got []string
	for _, g := range groups {
		got = append(got, g.instance+" "+g.capacity+" "+g.ami+" "+g.provider+" "+g.size)
	}
	sort.Strings(got)
	// The endpoint's 2-6 replicas of a whole instance each: 2 on-demand
	// instances always, up to 4 more on spot; the Inferentia one 1..1.
	want := []string{
		a.InstanceType + " ON_DEMAND AL2023_x86_64_NVIDIA aws." + ident(a.Region) + " 2..2",
		a.InstanceType + " SPOT AL2023_x86_64_NVIDIA aws." + ident(a.Region) + " 0..4",
		b.InstanceType + " ON_DEMAND AL2023_x86_64_NEURON aws." + ident(b.Region) + " 1..1",
		"m7i.xlarge ON_DEMAND AL2023_x86_64_STANDARD aws." + ident(a.Region) + " 3..6",
		"m7i.xlarge ON_DEMAND AL2023_x86_64_STANDARD aws." + ident(b.Region) + " 3..6",
	}
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("node groups:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestKustomization_ListsExactlyTheManifestsWritten writes every example
// and compares k8s/kustomization.yaml with the manifests on disk.
func TestKustomization_ListsExactlyTheManifestsWritten(t *testing.T) {
	for _, ex := range examples(t) {
		dir := t.TempDir()
		if _, _, err := Write(examplePlan(t, ex), dir, []string{"all"}); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dir, "k8s", "kustomization.yaml"))
		if err != nil {
			t.Fatalf("%s: %v", ex, err)
		}
		var k struct {
			Kind      string   `json:"kind"`
			Resources []string `json:"resources"`
		}
		if err := yaml.Unmarshal(b, &k); err != nil {
			t.Fatal(err)
		}
		entries, _ := os.ReadDir(filepath.Join(dir, "k8s"))
		var onDisk []string
		for _, e := range entries {
			if e.Name() != "kustomization.yaml" {
				onDisk = append(onDisk, e.Name())
			}
		}
		sort.Strings(onDisk)
		sort.Strings(k.Resources)
		if k.Kind != "Kustomization" || strings.Join(onDisk, ",") != strings.Join(k.Resources, ",") {
			t.Errorf("%s: kustomization lists %v, k8s/ holds %v", ex, k.Resources, onDisk)
		}
		for _, r := range k.Resources {
			data, _ := os.ReadFile(filepath.Join(dir, "k8s", r))
			if !strings.Contains(string(data), "\nkind: ") {
				t.Errorf("%s: %s holds no object", ex, r)
			}
		}
	}
}

var hfRepoID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$`)

// TestModel_HuggingFaceRepositories: MODEL holds a Hugging Face repository,
// the one the workload file named or the catalog's; a model without one is
// read from a ConfigMap, with a note, never given the catalog id.
func TestModel_HuggingFaceRepositories(t *testing.T) {
	seen := 0
	for _, ex := range examples(t) {
		p := examplePlan(t, ex)
		files, _, err := Generate(p, []string{"k8s"})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			for _, m := range objects(t, f.Data) {
				b, _ := yaml.Marshal(m)
				var pod struct {
					Spec struct {
						Template struct {
							Spec corev1.PodSpec `json:"spec"`
						} `json:"template"`
						JobTemplate struct {
							Spec struct {
								Template struct {
									Spec corev1.PodSpec `json:"spec"`
								} `json:"template"`
							} `json:"spec"`
						} `json:"jobTemplate"`
					} `json:"spec"`
				}
				_ = yaml.Unmarshal(b, &pod)
				for _, c := range append(pod.Spec.Template.Spec.Containers, pod.Spec.JobTemplate.Spec.Template.Spec.Containers...) {
					for _, e := range c.Env {
						if e.Name != "MODEL" {
							continue
						}
						seen++
						switch {
						case e.ValueFrom != nil && e.ValueFrom.ConfigMapKeyRef != nil && (e.ValueFrom.ConfigMapKeyRef.Optional == nil || !*e.ValueFrom.ConfigMapKeyRef.Optional):
						case hfRepoID.MatchString(e.Value):
						default:
							t.Errorf("%s %s: MODEL=%q is not a Hugging Face repository", ex, f.Path, e.Value)
						}
					}
				}
			}
		}
	}
	if seen == 0 {
		t.Fatal("no MODEL variable exported")
	}
	// The file's own repository wins over the catalog's base model.
	p := examplePlan(t, "startup-rag-chatbot.yaml")
	files, _, err := Generate(p, []string{"k8s"})
	if err != nil {
		t.Fatal(err)
	}
	if k := string(file(t, files, "k8s/chat.yaml")); !strings.Contains(k, "value: meta-llama/Llama-3.1-8B-Instruct") {
		t.Error("chat: MODEL is not the repository the workload file named")
	}
	// A model without a public repository: ConfigMap and a note.
	w := llmWorkload("legacy", "", instanceFor(t, "h100-sxm", "aws"))
	w.Spec.Model.ID = "gpt-3-175b"
	_, notes, err := Generate(onePlan("legacy", w), []string{"k8s"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(notes, "\n"), "no public Hugging Face repository") {
		t.Errorf("no note for a model without a repository: %v", notes)
	}
}

// TestKubernetes_LabelValuesValid: every label and node selector value is
// one Kubernetes accepts (instance types such as "n1-standard-4 + 1x
// nvidia-tesla-t4" are reduced to the node's machine type).
func TestKubernetes_LabelValuesValid(t *testing.T) {
	for _, ex := range examples(t) {
		for _, f := range generate(t, ex) {
			if !strings.HasPrefix(f.Path, "k8s/") || strings.HasSuffix(f.Path, "kustomization.yaml") {
				continue
			}
			for _, m := range objects(t, f.Data) {
				pod := podTemplateSpec(m)
				for k, v := range pod.NodeSelector {
					if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
						t.Errorf("%s %s: nodeSelector %s=%q: %v", ex, f.Path, k, v, errs)
					}
				}
			}
		}
	}
}

var ctyZero = cty.NumberIntVal(0)

// TestTerraform_TwoRegionsWithRetention moves one of an example's workloads
// to a second priced region: each region gets its own provider, cluster,
// lake and lifecycle rules, every resource once, each pointing at its
// region's bucket.
func TestTerraform_TwoRegionsWithRetention(t *testing.T) {
	var p *plan.Plan
	moved := false
	for _, ex := range examples(t) {
		if moved {
			break
		}
		p = examplePlan(t, ex)
		if p.Blueprint == nil {
			continue
		}
		for i := range p.Workloads {
			o := p.Workloads[i].Choice
			if !o.OnCloudNodes() || o.Cloud != "aws" || moved {
				continue
			}
			for _, in := range cat.Instances {
				if in.Cloud == "aws" && in.InstanceType == o.Instance && in.Region != o.Region {
					c := *o
					c.Region = in.Region
					p.Workloads[i].Choice = &c
					moved = true
					break
				}
			}
		}
	}
	if !moved {
		t.Fatal("no example has an AWS instance that the catalog also prices in a second region")
	}
	files, _, err := Generate(p, []string{"terraform"})
	if err != nil {
		t.Fatal(err)
	}
	data := file(t, files, "terraform/aws.tf")
	hf, diags := hclparse.NewParser().ParseHCL(data, "aws.tf")
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	seen := map[string]bool{}
	lifecycles := 0
	for _, blk := range hf.Body.(*hclsyntax.Body).Blocks {
		if blk.Type != "resource" {
			continue
		}
		k := strings.Join(blk.Labels, ".")
		if seen[k] {
			t.Errorf("%s declared twice", k)
		}
		seen[k] = true
		prov, ok := blk.Body.Attributes["provider"]
		if !ok {
			t.Errorf("%s names no regional provider", k)
			continue
		}
		suffix := strings.TrimPrefix(string(prov.Expr.Range().SliceBytes(data)), "aws.")
		if strings.HasPrefix(blk.Labels[1], "copy_") || strings.HasPrefix(blk.Labels[1], "backup_copy_") {
			// a site's backup copy lives in the site's copy region
			to := ""
			for _, c := range p.Blueprint.Components {
				for _, cp := range c.Copies {
					if c.ID == "backups" && strings.HasSuffix(blk.Labels[1], "_"+ident(cp.From)) {
						to = cp.To
					}
				}
			}
			if to == "" || (suffix != ident(to) && suffix != "copy_"+ident(to)) {
				t.Errorf("%s is on provider %s, not its site's copy region %q", k, suffix, to)
			}
			continue
		}
		if !strings.HasSuffix(blk.Labels[1], "_"+suffix) {
			t.Errorf("%s is on provider %s but not labelled for that region", k, suffix)
		}
		if blk.Labels[0] == "aws_s3_bucket_lifecycle_configuration" && strings.HasPrefix(blk.Labels[1], "lake_") {
			lifecycles++
			if b := string(blk.Body.Attributes["bucket"].Expr.Range().SliceBytes(data)); b != "aws_s3_bucket.lake_"+suffix+".id" {
				t.Errorf("%s expires %s, not its region's lake", k, b)
			}
		}
		if blk.Labels[0] == "aws_s3_bucket_lifecycle_configuration" && strings.HasPrefix(blk.Labels[1], "audit_") {
			if b := string(blk.Body.Attributes["bucket"].Expr.Range().SliceBytes(data)); b != "aws_s3_bucket.audit_"+suffix+".id" {
				t.Errorf("%s expires %s, not its region's audit bucket", k, b)
			}
		}
	}
	lakes := 0
	for k := range seen {
		if strings.HasPrefix(k, "aws_s3_bucket.lake_") {
			lakes++
		}
	}
	if lakes < 2 || lifecycles != lakes {
		t.Errorf("%d lake lifecycle configurations for %d regional lakes, want one per region (at least 2)", lifecycles, lakes)
	}
}

// tfGroup is a node group as written: its pool label, spot or not, and
// its size bounds.
type tfGroup struct {
	label    string
	spot     bool
	min, max int64
}

func tfInt(t *testing.T, b *hclsyntax.Body, name string) int64 {
	t.Helper()
	a, ok := b.Attributes[name]
	if !ok {
		t.Fatalf("no %s", name)
	}
	v, _ := a.Expr.Value(nil)
	n, _ := v.AsBigFloat().Int64()
	return n
}

func attrLabel(b *hclsyntax.Body, name string) string {
	a, ok := b.Attributes[name]
	if !ok {
		return ""
	}
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() || !v.Type().IsObjectType() || !v.Type().HasAttribute("aiplan.dev/pool") {
		return ""
	}
	return v.GetAttr("aiplan.dev/pool").AsString()
}

// tfGroups reads the labelled node groups of an AWS, GCP or Azure file.
func tfGroups(t *testing.T, path string, data []byte) []tfGroup {
	t.Helper()
	hf, diags := hclparse.NewParser().ParseHCL(data, path)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	var out []tfGroup
	for _, blk := range hf.Body.(*hclsyntax.Body).Blocks {
		if blk.Type != "resource" {
			continue
		}
		b := blk.Body
		switch blk.Labels[0] {
		case "aws_eks_node_group":
			g := tfGroup{label: attrLabel(b, "labels")}
			v, _ := b.Attributes["capacity_type"].Expr.Value(nil)
			g.spot = v.AsString() == "SPOT"
			for _, sc := range b.Blocks {
				if sc.Type == "scaling_config" {
					g.min, g.max = tfInt(t, sc.Body, "min_size"), tfInt(t, sc.Body, "max_size")
				}
			}
			out = append(out, g)
		case "google_container_node_pool":
			var g tfGroup
			for _, sb := range b.Blocks {
				switch sb.Type {
				case "autoscaling":
					g.min, g.max = tfInt(t, sb.Body, "min_node_count"), tfInt(t, sb.Body, "max_node_count")
				case "node_config":
					g.label = attrLabel(sb.Body, "labels")
					v, _ := sb.Body.Attributes["spot"].Expr.Value(nil)
					g.spot = v.True()
				}
			}
			out = append(out, g)
		case "azurerm_kubernetes_cluster_node_pool":
			g := tfGroup{label: attrLabel(b, "node_labels"), min: tfInt(t, b, "min_count"), max: tfInt(t, b, "max_count")}
			v, _ := b.Attributes["priority"].Expr.Value(nil)
			g.spot = v.AsString() == "Spot"
			out = append(out, g)
		}
	}
	return out
}

// TestTerraform_NodePoolsAreThePlacementPools: for every example, each
// cloud node pool placement packed is written with its minimum and peak
// instances (a spot+on-demand pool as an on-demand baseline and a spot
// group for the rest), and every pod of a cloud with Terraform selects a
// pool label that a written node group carries.
func TestTerraform_NodePoolsAreThePlacementPools(t *testing.T) {
	checked := 0
	for _, ex := range examples(t) {
		p := examplePlan(t, ex)
		if p.Placement == nil {
			t.Fatalf("%s: plan without placement", ex)
		}
		files, _, err := Generate(p, []string{"all"})
		if err != nil {
			t.Fatal(err)
		}
		groups := map[string][]tfGroup{}
		for _, f := range files {
			if strings.HasPrefix(f.Path, "terraform/") {
				for _, g := range tfGroups(t, f.Path, f.Data) {
					groups[g.label] = append(groups[g.label], g)
				}
			}
		}
		for _, pp := range p.Placement.Pools {
			if pp.OnPrem != "" || !terraformClouds[pp.Cloud] {
				continue
			}
			checked++
			gs := groups[poolLabel(pp.Key)]
			var want []tfGroup
			switch {
			case pp.Pricing == cost.SpotOverOnDemand:
				want = append(want, tfGroup{poolLabel(pp.Key), false, int64(pp.MinNodes), int64(pp.MinNodes)})
				if pp.PeakNodes > pp.MinNodes {
					want = append(want, tfGroup{poolLabel(pp.Key), true, 0, int64(pp.PeakNodes - pp.MinNodes)})
				}
			default:
				want = []tfGroup{{poolLabel(pp.Key), pp.Pricing.UsesSpot(), int64(pp.MinNodes), int64(max(pp.PeakNodes, 1))}}
			}
			sort.Slice(gs, func(i, j int) bool { return !gs[i].spot && gs[j].spot })
			if fmt.Sprint(gs) != fmt.Sprint(want) {
				t.Errorf("%s pool %s: node groups %v, want %v", ex, pp.Key, gs, want)
			}
		}
		for _, f := range files {
			if !strings.HasPrefix(f.Path, "k8s/") || strings.HasSuffix(f.Path, "kustomization.yaml") {
				continue
			}
			for _, m := range objects(t, f.Data) {
				pod := podTemplateSpec(m)
				if l, ok := pod.NodeSelector["aiplan.dev/pool"]; ok && len(groups[l]) == 0 {
					t.Errorf("%s %s: pods select pool %s, which no node group carries", ex, f.Path, l)
				}
			}
		}
	}
	if checked == 0 {
		t.Error("no placement pool on a cloud with Terraform")
	}
}

// efaNodeGroup reads an AWS Terraform file: the EFA interfaces its launch
// template attaches, whether a cluster placement group exists, and whether
// a node group uses a launch template.
func efaNodeGroup(t *testing.T, tf []byte) (efa int, pg, linked bool) {
	t.Helper()
	hf, diags := hclparse.NewParser().ParseHCL(tf, "aws.tf")
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	for _, blk := range hf.Body.(*hclsyntax.Body).Blocks {
		switch {
		case blk.Type == "resource" && blk.Labels[0] == "aws_launch_template":
			for _, ni := range blk.Body.Blocks {
				if ni.Type == "network_interfaces" {
					v, _ := ni.Body.Attributes["interface_type"].Expr.Value(nil)
					if v.AsString() == "efa" {
						efa++
					}
				}
			}
		case blk.Type == "resource" && blk.Labels[0] == "aws_placement_group":
			v, _ := blk.Body.Attributes["strategy"].Expr.Value(nil)
			pg = v.AsString() == "cluster"
		case blk.Type == "resource" && blk.Labels[0] == "aws_eks_node_group":
			for _, lt := range blk.Body.Blocks {
				linked = linked || lt.Type == "launch_template"
			}
		}
	}
	return efa, pg, linked
}

// TestEngineImage_PerArchitectureBuilds: an engine whose builds are per GPU
// architecture deploys its build for the planned accelerator, and an
// accelerator it has no build for is left out with a note naming it rather
// than given another architecture's build.
func TestEngineImage_PerArchitectureBuilds(t *testing.T) {
	sg, err := cat.Engine("sglang")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		acc  string
		want string
	}{{"mi300x", sg.Images["amd/mi300x"]}, {"mi325x", sg.Images["amd/mi325x"]}, {"mi355x", ""}} {
		// The catalog prices no AMD instance; the export needs only the
		// accelerator and an instance type to select nodes by.
		in := &catalog.Instance{ID: "azure/ND_" + c.acc + "_v5/eastus", Cloud: "azure", InstanceType: "ND_" + c.acc + "_v5", Region: "eastus", Accelerator: c.acc, AcceleratorCount: 8}
		files, notes, err := Generate(onePlan("arch", llmWorkload("chat", "sglang", in)), []string{"k8s"})
		if err != nil {
			t.Fatal(err)
		}
		var images []string
		for _, f := range files {
			for _, m := range regexp.MustCompile(`image: (\S+)`).FindAllStringSubmatch(string(f.Data), -1) {
				images = append(images, m[1])
			}
		}
		if c.want != "" {
			if len(images) != 1 || images[0] != c.want {
				t.Errorf("%s: images %v, want [%s]", c.acc, images, c.want)
			}
			continue
		}
		if len(images) != 0 {
			t.Errorf("%s: images %v, want none (no build for it)", c.acc, images)
		}
		if !strings.Contains(strings.Join(notes, "\n"), "no image for "+c.acc) {
			t.Errorf("%s: notes %q do not say there is no image for it", c.acc, notes)
		}
	}
}

// TestEngineImage_BuildStepNoted: an engine whose published image must have
// the engine built on it (vLLM for Gaudi on the Intel PyTorch image) exports
// with that step as a note and an annotation, never silently.
func TestEngineImage_BuildStepNoted(t *testing.T) {
	g, err := cat.Engine("gaudi")
	if err != nil {
		t.Fatal(err)
	}
	if g.ImageBuild == "" {
		t.Fatal("the gaudi engine's image carries no vLLM, and the catalog does not say so")
	}
	// The catalog prices no Gaudi instance; the export needs only the
	// accelerator and an instance type to select nodes by.
	in := &catalog.Instance{ID: "aws/dl2q.24xlarge/us-east-1", Cloud: "aws", InstanceType: "dl2q.24xlarge", Region: "us-east-1", Accelerator: "gaudi3", AcceleratorCount: 8}
	files, notes, err := Generate(onePlan("gaudi", llmWorkload("chat", "gaudi", in)), []string{"k8s"})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, m := range objects(t, file(t, files, "k8s/chat.yaml")) {
		if m["kind"] == "Deployment" {
			d := decode[appsv1.Deployment](t, m)
			found = true
			if got := d.Annotations["aiplan.dev/image-build"]; got != g.ImageBuild {
				t.Errorf("image-build annotation %q, want %q", got, g.ImageBuild)
			}
		}
	}
	if !found {
		t.Fatalf("no Deployment exported; notes: %v", notes)
	}
	if !strings.Contains(strings.Join(notes, "\n"), "needs a build step before it serves") {
		t.Errorf("no note on the build step: %v", notes)
	}
}

// podTemplateSpec is the pod spec of a workload object's template (empty
// for objects without one).
func podTemplateSpec(m map[string]any) corev1.PodSpec {
	b, _ := yaml.Marshal(m)
	var o struct {
		Spec struct {
			Template struct {
				Spec corev1.PodSpec `json:"spec"`
			} `json:"template"`
		} `json:"spec"`
	}
	_ = yaml.Unmarshal(b, &o)
	return o.Spec.Template.Spec
}
