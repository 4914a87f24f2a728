package export

import (
	"bytes"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/aiplan-dev/aiplan/catalog"
	"github.com/aiplan-dev/aiplan/plan"
	"github.com/aiplan-dev/aiplan/search"
	"github.com/aiplan-dev/aiplan/spec"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"
)

const (
	labelPlan     = "aiplan.dev/plan"
	labelWorkload = "aiplan.dev/workload"
	annCost       = "aiplan.dev/monthly-cost-usd"
	gatewayNS     = "envoy-gateway-system"
)

func ptr[T any](v T) *T { return &v }

type k8sBuilder struct {
	p  *plan.Plan
	ns string
	// emit takes each file as soon as its objects are rendered, so that a
	// large plan never holds every object or every file at once. A path
	// that more than one file may claim (claims counts them) is held in
	// held until the end, where the last one written wins.
	emit   func(File) error
	claims map[string]int
	held   map[string][]byte
	paths  []string
	notes  []string
	// mesh: the namespace is in the ambient mesh (NetworkPolicies admit
	// the HBONE port).
	mesh bool
}

// Kubernetes builds one file per workload, one for the namespace and a
// kustomization.yaml listing exactly those manifests. The notes say what
// the user must still supply (weights without a public repository).
func Kubernetes(p *plan.Plan) ([]File, []string, error) {
	var files []File
	notes, err := kubernetesTo(p, func(f File) error { files = append(files, f); return nil })
	if err != nil {
		return nil, nil, err
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, notes, nil
}

// kubernetesTo is Kubernetes handing each file to emit as it is built, in
// no particular order; the kustomization comes last.
func kubernetesTo(p *plan.Plan, emit func(File) error) ([]string, error) {
	b := &k8sBuilder{p: p, ns: slug(p.Name), emit: emit, claims: map[string]int{}, held: map[string][]byte{}}
	for _, f := range []string{"k8s/01-mesh.yaml", "k8s/02-kafka.yaml", "k8s/00-namespace.yaml"} {
		b.claims[f]++
	}
	for i := range p.Workloads {
		if w := &p.Workloads[i]; w.Choice != nil && w.Choice.InCluster() && w.Spec != nil {
			b.claims[workloadManifest(w)]++
		}
	}
	nsLabels := map[string]string{labelPlan: b.ns}
	if p.Spec != nil {
		for k, v := range p.Spec.Metadata.Labels {
			if len(validation.IsQualifiedName(k)) == 0 && len(validation.IsValidLabelValue(v)) == 0 {
				nsLabels[k] = v // the file's metadata.labels, where Kubernetes accepts them
			}
		}
	}
	if meshExported(p.Blueprint) {
		// every pod of the namespace joins the ambient mesh (mTLS by ztunnel)
		nsLabels[ambientLabel] = "ambient"
		objs, err := meshObjects(p, b.ns)
		if err != nil {
			return nil, err
		}
		if err := b.put("k8s/01-mesh.yaml", objs); err != nil {
			return nil, err
		}
		b.mesh = true
		b.notes = append(b.notes, fmt.Sprintf("mesh: install Istio in ambient mode and label the %s and monitoring namespaces %s=ambient before applying: %s requires mutual TLS and refuses plaintext connections", gatewayNS, ambientLabel, b.ns))
	}
	if stream := streamExported(p.Blueprint); stream != nil {
		objs, err := kafkaObjects(p, b.ns, stream)
		if err != nil {
			return nil, err
		}
		if len(objs) > 0 {
			if err := b.put("k8s/02-kafka.yaml", objs); err != nil {
				return nil, err
			}
			b.notes = append(b.notes, fmt.Sprintf("stream: install the Strimzi operator (KRaft node pools) watching %s before applying k8s/02-kafka.yaml; add a KafkaUser with ACLs per producer and consumer (authorization denies by default)", b.ns))
		}
	}
	if err := b.put("k8s/00-namespace.yaml", []runtime.Object{&corev1.Namespace{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{Name: b.ns, Labels: nsLabels, Annotations: map[string]string{annCost: fmt.Sprintf("%.0f", p.Totals.MonthlyUSD), "aiplan.dev/format-version": plan.FormatVersion}},
	}}); err != nil {
		return nil, err
	}
	for i := range p.Workloads {
		w := &p.Workloads[i]
		if w.Choice == nil || !w.Choice.InCluster() || w.Spec == nil {
			continue // runs outside the clusters
		}
		var objs []runtime.Object
		switch w.Type {
		case spec.LLMInference:
			objs = b.llmEndpoint(w)
		case spec.Inference:
			objs = b.classicEndpoint(w)
		case spec.Embeddings:
			objs = b.embedder(w)
		case spec.Training, spec.FineTuning:
			objs = b.trainingJob(w)
		case spec.BatchInference:
			if cj := b.batchJob(w); cj != nil {
				objs = []runtime.Object{cj}
			}
		}
		if len(objs) > 0 { // a workload that cannot be deployed as planned has a note instead
			if err := b.put(workloadManifest(w), objs); err != nil {
				return nil, err
			}
		}
	}
	held := make([]string, 0, len(b.held))
	for path := range b.held {
		held = append(held, path)
	}
	sort.Strings(held)
	for _, path := range held {
		if err := b.emit(File{path, b.held[path]}); err != nil {
			return nil, err
		}
		b.paths = append(b.paths, path)
	}
	sort.Strings(b.paths)
	k, err := kustomization(b.ns, b.paths)
	if err != nil {
		return nil, err
	}
	if err := b.emit(k); err != nil {
		return nil, err
	}
	return b.notes, nil
}

// workloadManifest is the file of a workload's objects.
func workloadManifest(w *plan.Workload) string { return "k8s/" + slug(w.Workload) + ".yaml" }

// put renders a file's objects into its YAML documents and emits them,
// or holds them where a later file may replace them.
func (b *k8sBuilder) put(path string, objs []runtime.Object) error {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "# Generated by aiplan for plan %q. Apply with: kubectl apply -k k8s/\n", b.p.Name)
	for _, o := range objs {
		y, err := yaml.Marshal(o)
		if err != nil {
			return fmt.Errorf("marshal %s: %w", path, err)
		}
		buf.WriteString("---\n")
		buf.Write(y)
	}
	data := bytes.Clone(buf.Bytes()) // exact size: the buffer's slack goes
	if b.claims[path] > 1 {
		b.held[path] = data
		return nil
	}
	if err := b.emit(File{path, data}); err != nil {
		return err
	}
	b.paths = append(b.paths, path)
	return nil
}

// kustomization lists the manifests, relative to k8s/, so that
// `kubectl apply -k k8s/` applies exactly the plan's objects.
func kustomization(ns string, paths []string) (File, error) {
	k := struct {
		APIVersion string   `json:"apiVersion"`
		Kind       string   `json:"kind"`
		Namespace  string   `json:"namespace"`
		Resources  []string `json:"resources"`
	}{APIVersion: "kustomize.config.k8s.io/v1beta1", Kind: "Kustomization", Namespace: ns}
	for _, path := range paths {
		if rel, ok := strings.CutPrefix(path, "k8s/"); ok {
			k.Resources = append(k.Resources, rel)
		}
	}
	y, err := yaml.Marshal(k)
	if err != nil {
		return File{}, err
	}
	return File{"k8s/kustomization.yaml", append([]byte("# Generated by aiplan: the plan's manifests. Apply with: kubectl apply -k k8s/\n"), y...)}, nil
}

// modelEnv is the MODEL variable: the Hugging Face repository the workload
// file named, else the catalog model's repository. A model without one
// reads MODEL from a ConfigMap the user creates (the pod does not start
// until it exists), and the export says so.
func (b *k8sBuilder) modelEnv(w *plan.Workload, objName string) corev1.EnvVar {
	if repo := hfRepo(w, b.p.Catalog); repo != "" {
		return corev1.EnvVar{Name: "MODEL", Value: repo}
	}
	cm := objName + "-model"
	b.notes = append(b.notes, fmt.Sprintf("%s: model %q has no public Hugging Face repository in the catalog: create it with `kubectl -n %s create configmap %s --from-literal=MODEL=<repository or path>`", w.Workload, modelName(w), b.ns, cm))
	return corev1.EnvVar{Name: "MODEL", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: cm}, Key: "MODEL"}}}
}

// hfRepo is the Hugging Face repository of a workload's model: the one the
// file named ("meta-llama/Llama-3.1-8B-Instruct"), else the catalog's.
func hfRepo(w *plan.Workload, c *catalog.Catalog) string {
	if w.Spec == nil || w.Spec.Model == nil {
		return ""
	}
	if w.Spec.Model.Repo != "" {
		return w.Spec.Model.Repo
	}
	if c == nil || w.Spec.Model.ID == "" {
		return ""
	}
	if m, err := c.Model(w.Spec.Model.ID); err == nil {
		return m.HFRepo
	}
	return ""
}

func (b *k8sBuilder) meta(w *plan.Workload, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name: name, Namespace: b.ns,
		Labels:      map[string]string{labelPlan: b.ns, labelWorkload: slug(w.Workload), "app.kubernetes.io/name": name, "app.kubernetes.io/managed-by": "aiplan"},
		Annotations: map[string]string{annCost: fmt.Sprintf("%.0f", w.MonthlyUSD+w.OneOffUSD), "aiplan.dev/choice": w.Choice.Summary},
	}
}

func selector(name string) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchLabels: map[string]string{"app.kubernetes.io/name": name}}
}

func gib(v float64) resource.Quantity {
	return resource.MustParse(strconv.Itoa(int(math.Ceil(math.Max(v, 1)))) + "Gi")
}

// accelerator is the catalog accelerator of an option; nil for CPU.
func accelerator(c *catalog.Catalog, o *search.Option) *catalog.Accelerator {
	if c == nil || o.Accelerator == "" || o.Accelerator == "cpu" {
		return nil
	}
	a, err := c.Accelerator(o.Accelerator)
	if err != nil {
		return nil
	}
	return a
}

// device is the Kubernetes extended resource of the accelerator's device
// plugin, as the catalog records it (nvidia.com/gpu, aws.amazon.com/neuron,
// google.com/tpu, amd.com/gpu, habana.ai/gaudi).
func device(a *catalog.Accelerator) corev1.ResourceName {
	if a == nil {
		return ""
	}
	return corev1.ResourceName(a.DeviceResource)
}

// deviceResource is device() by accelerator id, for the node pools.
func deviceResource(c *catalog.Catalog, acc string) string {
	return string(device(accelerator(c, &search.Option{Accelerator: acc})))
}

// vendor is the engine vendor key of an accelerator ("" for CPU).
func vendor(a *catalog.Accelerator) string {
	if a == nil {
		return ""
	}
	return catalog.VendorKey(a.Vendor)
}

// scheduling pins pods to the planned instance type (and TPU slice), and
// tolerates the accelerator's taint and, on Azure, the spot taint.
func (b *k8sBuilder) scheduling(o *search.Option) (map[string]string, []corev1.Toleration) {
	sel := map[string]string{}
	if o.OnCloudNodes() {
		machine, _, _ := gceMachine(o.Instance)
		if t, ok := gkeTPUs[o.Instance]; ok {
			machine = t.machine
			sel["cloud.google.com/gke-tpu-accelerator"] = t.label
			sel["cloud.google.com/gke-tpu-topology"] = t.topology
		}
		sel["node.kubernetes.io/instance-type"] = machine
		if terraformClouds[o.Cloud] {
			sel["aiplan.dev/pool"] = poolLabel(poolKey(o)) // the node pool the plan priced it in
		}
	}
	var tol []corev1.Toleration
	if d := device(accelerator(b.p.Catalog, o)); d != "" {
		tol = append(tol, corev1.Toleration{Key: string(d), Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule})
	}
	if o.Cloud == "azure" && o.Pricing.UsesSpot() {
		tol = append(tol, corev1.Toleration{Key: "kubernetes.azure.com/scalesetpriority", Operator: corev1.TolerationOpEqual, Value: "spot", Effect: corev1.TaintEffectNoSchedule})
	}
	return sel, tol
}

// share is the fraction of the planned instance one pod with n
// accelerators gets, and the instance; nil when the catalog does not list it.
func (b *k8sBuilder) share(o *search.Option, n int) (float64, *catalog.Instance) {
	if b.p.Catalog == nil || !o.OnCloudNodes() {
		return 0, nil
	}
	in, err := b.p.Catalog.Instance(o.Cloud + "/" + o.Instance + "/" + o.Region)
	if err != nil || in.AcceleratorCount == 0 {
		return 0, nil
	}
	return math.Min(float64(n)/float64(in.AcceleratorCount), 1), in
}

// cpu is want cores, capped at the pod's share of the instance's vCPUs less
// a tenth for the kubelet and system daemons, so the pod fits the node the
// plan priced.
func (b *k8sBuilder) cpu(o *search.Option, want, n int) resource.Quantity {
	if f, in := b.share(o, n); in != nil && in.VCPUs > 0 {
		capM := int(float64(in.VCPUs) * f * 0.9 * 1000)
		if m := want * 1000; m > capM {
			return *resource.NewMilliQuantity(int64(max(capM, 500)), resource.DecimalSI)
		}
	}
	return resource.MustParse(strconv.Itoa(want))
}

// memory is want GiB, capped like cpu at the pod's share of the instance's
// memory less a tenth.
func (b *k8sBuilder) memory(o *search.Option, wantGiB float64, n int) resource.Quantity {
	if f, in := b.share(o, n); in != nil && in.MemoryGiB > 0 {
		wantGiB = math.Min(wantGiB, math.Floor(in.MemoryGiB*f*0.9))
	}
	return gib(wantGiB)
}

func probes(port int32, path string) (*corev1.Probe, *corev1.Probe, *corev1.Probe) {
	h := corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: path, Port: intstr.FromInt32(port)}}
	return &corev1.Probe{ProbeHandler: h, PeriodSeconds: 10, FailureThreshold: 3},
		&corev1.Probe{ProbeHandler: h, PeriodSeconds: 30, FailureThreshold: 5, TimeoutSeconds: 5},
		&corev1.Probe{ProbeHandler: h, PeriodSeconds: 10, FailureThreshold: 90} // model load: up to 15 minutes
}

// servingEngine is the engine an LLM workload deploys: the one the search
// chose (Option.Engine, a catalog id), else the catalog's preferred engine
// for the accelerator's vendor. It must run on the chosen accelerator and
// have an image for its vendor; the export never falls back to another
// vendor's image.
func servingEngine(p *plan.Plan, w *plan.Workload) (*catalog.Engine, *catalog.Accelerator, error) {
	o := w.Choice
	c := p.Catalog
	if c == nil {
		return nil, nil, fmt.Errorf("%s: the plan carries no catalog", w.Workload)
	}
	a := accelerator(c, o)
	if a == nil {
		return nil, nil, fmt.Errorf("%s: no engine serves an LLM on %q", w.Workload, o.Accelerator)
	}
	var e *catalog.Engine
	if o.Engine != "" {
		x, err := c.Engine(o.Engine)
		if err != nil {
			return nil, a, fmt.Errorf("%s: %w", w.Workload, err)
		}
		if !x.RunsOn(a) {
			return nil, a, fmt.Errorf("%s: engine %s does not run on %s (%s); engines for it: %s", w.Workload, x.ID, a.ID, vendor(a), engineIDs(c.EnginesFor(a)))
		}
		e = x
	} else {
		for _, x := range c.EnginesFor(a) {
			if x.Kind == "llm" {
				e = x
				break
			}
		}
		if e == nil {
			return nil, a, fmt.Errorf("%s: no LLM engine in the catalog runs on %s (%s)", w.Workload, a.ID, vendor(a))
		}
	}
	if e.Image(a) == "" {
		return nil, a, fmt.Errorf("%s: engine %s has no image for %s (%s): the catalog lists no pinned build of it for that accelerator", w.Workload, e.ID, a.ID, vendor(a))
	}
	if o.Nodes > 1 && !multiNodeServing(e.ID) {
		return nil, a, fmt.Errorf("%s: each replica spans %d instances as pipeline stages, and %s has no documented multi-node serving mode the export can write (vLLM with Ray and SGLang do)", w.Workload, o.Nodes, e.Name)
	}
	return e, a, nil
}

func engineIDs(es []*catalog.Engine) string {
	var ids []string
	for _, e := range es {
		ids = append(ids, e.ID)
	}
	if len(ids) == 0 {
		return "none"
	}
	return strings.Join(ids, ", ")
}

// neuronCoresPerChip: vLLM on Neuron counts tensor parallelism in
// NeuronCores. Source: AWS Neuron docs, "Inferentia2 / Trainium
// architecture" (2 NeuronCore-v2 per Inferentia2 and Trainium1 chip; 8
// NeuronCore-v3 per Trainium2 chip, 4 logical cores at the default LNC=2).
var neuronCoresPerChip = map[string]int{"inferentia2": 2, "trainium1": 2, "trainium2": 4}

// launch is how an engine's container starts and where it reports.
type launch struct {
	command, args []string
	port          int32
	metricsPort   int32
	health        string
}

// launchFor builds the engine's command line for the chosen option: model,
// tensor parallelism and weight format, in the engine's own flags.
func launchFor(e *catalog.Engine, a *catalog.Accelerator, o *search.Option, w *plan.Workload) launch {
	tp := max(o.TP, 1)
	if n, ok := neuronCoresPerChip[a.ID]; ok {
		tp *= n
	}
	ctx := 0
	if w.Spec != nil && w.Spec.Traffic != nil {
		ctx = int(w.Spec.Traffic.InputTokens + w.Spec.Traffic.OutputTokens)
	}
	prec := catalog.Precision(o.Precision)
	l := launch{port: 8000, metricsPort: 8000, health: "/health"}
	switch e.ID {
	case "sglang":
		l.command = []string{"python3", "-m", "sglang.launch_server"}
		l.args = []string{"--model-path", "$(MODEL)", "--tp", strconv.Itoa(tp), "--host", "0.0.0.0", "--port", "8000", "--enable-metrics"}
		if ctx > 0 {
			l.args = append(l.args, "--context-length", strconv.Itoa(ctx))
		}
		if prec == catalog.FP8 {
			l.args = append(l.args, "--quantization", "fp8")
		}
	case "trtllm":
		l.command = []string{"trtllm-serve", "$(MODEL)"}
		l.args = []string{"--host", "0.0.0.0", "--port", "8000", "--tp_size", strconv.Itoa(tp)}
		if ctx > 0 {
			l.args = append(l.args, "--max_seq_len", strconv.Itoa(ctx))
		}
	case "tgi":
		l.args = []string{"--model-id", "$(MODEL)", "--num-shard", strconv.Itoa(tp), "--port", "8000", "--prometheus-port", "9000"}
		l.metricsPort = 9000
		if ctx > 0 {
			l.args = append(l.args, "--max-total-tokens", strconv.Itoa(ctx))
		}
		if prec == catalog.FP8 {
			l.args = append(l.args, "--quantize", "fp8")
		}
	default: // the vLLM family: vllm, neuron, vllm-tpu, gaudi
		l.command = []string{"vllm", "serve", "$(MODEL)"}
		l.args = []string{"--tensor-parallel-size", strconv.Itoa(tp), "--host", "0.0.0.0", "--port", "8000"}
		if e.ID != "neuron" { // NxD Inference compiles its own KV layout
			l.args = append(l.args, "--enable-prefix-caching")
		}
		if ctx > 0 {
			l.args = append(l.args, "--max-model-len", strconv.Itoa(ctx))
		}
		if prec == catalog.FP8 {
			l.args = append(l.args, "--quantization", "fp8")
			if a.Supports(catalog.FP8) == catalog.SupportNative {
				l.args = append(l.args, "--kv-cache-dtype", "fp8")
			}
		}
	}
	return l
}

// autoscaleMetric is the HPA metric of an engine: its queue gauge, else its
// running-requests gauge, else the mean time requests wait in its queue
// (from its queue-time histogram), else (NVIDIA) GPU utilisation from the
// DCGM exporter. Gauges are served to the HPA under their own name by
// prometheus-adapter; the queue-time mean under the histogram's name with
// a _mean suffix, by the adapter query queueTimeQuery returns. ok is false
// when nothing fits.
//
// TensorRT-LLM is the case for the queue time: trtllm-serve's Prometheus
// endpoint has no queue or running gauge, only request histograms, among
// them the time each request waits in the queue (Dynamo docs "TensorRT-LLM
// Prometheus Metrics"). Queueing adds straight to the time to first token,
// so the target is a quarter of the TTFT SLO (0.5 s without one); GPU
// utilisation stays high at every load on a busy engine and is the last
// resort.
func autoscaleMetric(e *catalog.Engine, a *catalog.Accelerator, o *search.Option, w *plan.Workload) (name string, target resource.Quantity, ok bool) {
	switch {
	case e.Metrics.QueueWaiting != "":
		return e.Metrics.QueueWaiting, resource.MustParse("5"), true
	case e.Metrics.Running != "":
		return e.Metrics.Running, resource.MustParse(strconv.Itoa(max(o.Metrics.Batch, 8))), true
	case e.Metrics.QueueTimeHistogram != "":
		ms := 500.0
		if w.Spec != nil && w.Spec.SLO != nil && w.Spec.SLO.TTFTP99Ms > 0 {
			ms = w.Spec.SLO.TTFTP99Ms / 4
		}
		return e.Metrics.QueueTimeHistogram + "_mean", *resource.NewMilliQuantity(int64(math.Max(math.Round(ms), 1)), resource.DecimalSI), true
	case vendor(a) == "nvidia":
		return "DCGM_FI_DEV_GPU_UTIL", resource.MustParse("80"), true
	}
	return "", resource.Quantity{}, false
}

// queueTimeQuery is the prometheus-adapter metricsQuery that serves a
// queue-time histogram's mean over two minutes, per pod, as <name>_mean.
func queueTimeQuery(hist string) string {
	n := promName(hist)
	return fmt.Sprintf("sum(rate(%s_sum{<<.LabelMatchers>>}[2m])) by (<<.GroupBy>>) / sum(rate(%s_count{<<.LabelMatchers>>}[2m])) by (<<.GroupBy>>)", n, n)
}

// hpaMetricNotes annotates an HPA with where its metric comes from, and
// for a queue-time mean, the adapter query to serve it with.
func (b *k8sBuilder) hpaMetricNotes(h *autoscalingv2.HorizontalPodAutoscaler, w *plan.Workload, e *catalog.Engine, metric, pods string) {
	h.Annotations["aiplan.dev/metric-source"] = "prometheus-adapter: " + metric + " from the " + e.Name + " " + pods
	if e.Metrics.QueueTimeHistogram != "" && metric == e.Metrics.QueueTimeHistogram+"_mean" {
		q := queueTimeQuery(e.Metrics.QueueTimeHistogram)
		h.Annotations["aiplan.dev/metric-query"] = q
		b.notes = append(b.notes, fmt.Sprintf("%s: %s exports no queue gauge: the HPA scales on the mean queue wait from %s; add a prometheus-adapter rule serving it as %s with metricsQuery %s", w.Workload, e.Name, e.Metrics.QueueTimeHistogram, metric, q))
	}
}

// imageBuild notes and annotates an engine whose published image must have
// the engine built on it before it serves.
func (b *k8sBuilder) imageBuild(meta *metav1.ObjectMeta, w *plan.Workload, e *catalog.Engine, a *catalog.Accelerator) {
	if e.ImageBuild == "" {
		return
	}
	meta.Annotations["aiplan.dev/image-build"] = e.ImageBuild
	b.notes = append(b.notes, fmt.Sprintf("%s: image %s needs a build step before it serves: %s", w.Workload, e.Image(a), e.ImageBuild))
}

func (b *k8sBuilder) llmEndpoint(w *plan.Workload) []runtime.Object {
	o := w.Choice
	name := slug(w.Workload)
	e, a, err := servingEngine(b.p, w)
	if err != nil {
		b.notes = append(b.notes, err.Error()+": not exported")
		return nil
	}
	if p := catalog.Precision(o.Precision); p == catalog.INT4 || p == catalog.FP4 {
		b.notes = append(b.notes, fmt.Sprintf("%s: %s weights: set MODEL to a checkpoint quantised to %s for %s", w.Workload, o.Precision, o.Precision, e.Name))
	}
	if o.Nodes > 1 {
		return b.lwsEndpoint(w, e, a) // one replica across several nodes
	}
	l := launchFor(e, a, o, w)
	weightsGB := o.Metrics.MemoryGiBPerGPU * float64(max(o.GPUsPerUnit, 1))
	sel, tol := b.scheduling(o)
	ready, live, start := probes(l.port, l.health)
	dev := device(a)
	gpus := resource.MustParse(strconv.Itoa(max(o.GPUsPerUnit, 1)))
	model := b.modelEnv(w, name)
	container := corev1.Container{
		Name: "engine", Image: e.Image(a), Command: l.command, Args: l.args,
		Env: []corev1.EnvVar{
			model,
			{Name: "HF_TOKEN", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "model-hub"}, Key: "token", Optional: ptr(true)}}},
			{Name: "HF_HOME", Value: "/models"},
		},
		Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: l.port}},
		Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{dev: gpus, corev1.ResourceCPU: b.cpu(o, 4*max(o.GPUsPerUnit, 1), max(o.GPUsPerUnit, 1)), corev1.ResourceMemory: b.memory(o, weightsGB*1.2+16, max(o.GPUsPerUnit, 1))},
			Limits:   corev1.ResourceList{dev: gpus, corev1.ResourceMemory: b.memory(o, weightsGB*1.2+32, max(o.GPUsPerUnit, 1))},
		},
		ReadinessProbe: ready, LivenessProbe: live, StartupProbe: start,
		VolumeMounts: []corev1.VolumeMount{{Name: "model-cache", MountPath: "/models"}, {Name: "shm", MountPath: "/dev/shm"}},
	}
	if l.metricsPort != l.port {
		container.Ports = append(container.Ports, corev1.ContainerPort{Name: "metrics", ContainerPort: l.metricsPort})
	}
	meta := b.meta(w, name)
	meta.Annotations["aiplan.dev/engine"] = e.ID
	meta.Annotations["aiplan.dev/engine-version"] = e.Version
	b.imageBuild(&meta, w, e, a)
	if model.Value != "" {
		meta.Annotations["aiplan.dev/model-source"] = "https://huggingface.co/" + model.Value
	}
	minR, maxR := int32(max(o.ReplicasMin, 1)), int32(max(o.ReplicasMax, 1))
	dep := &appsv1.Deployment{
		TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"}, ObjectMeta: meta,
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr(minR), Selector: selector(name),
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType, RollingUpdate: &appsv1.RollingUpdateDeployment{MaxUnavailable: ptr(intstr.FromInt32(0)), MaxSurge: ptr(intstr.FromInt32(1))}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app.kubernetes.io/name": name, labelWorkload: slug(w.Workload)}, Annotations: map[string]string{
					"prometheus.io/scrape": "true", "prometheus.io/port": strconv.Itoa(int(l.metricsPort)), "prometheus.io/path": e.Metrics.Endpoint}},
				Spec: corev1.PodSpec{
					NodeSelector: sel, Tolerations: tol, Containers: []corev1.Container{container},
					TerminationGracePeriodSeconds: ptr(int64(120)),
					Volumes: []corev1.Volume{
						{Name: "model-cache", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{SizeLimit: ptr(gib(weightsGB*1.3 + 10))}}},
						{Name: "shm", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory, SizeLimit: ptr(resource.MustParse("16Gi"))}}},
					},
				},
			},
		},
	}
	objs := []runtime.Object{dep, b.service(w, name, l.port)}
	// Scale within the planned bounds on the engine's own load metric.
	if metric, target, ok := autoscaleMetric(e, a, o, w); ok {
		h := b.hpa(w, name, minR, maxR, autoscalingv2.MetricSpec{
			Type: autoscalingv2.PodsMetricSourceType,
			Pods: &autoscalingv2.PodsMetricSource{Metric: autoscalingv2.MetricIdentifier{Name: metric}, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: ptr(target)}},
		})
		b.hpaMetricNotes(h, w, e, metric, "pods")
		objs = append(objs, h)
	} else {
		b.notes = append(b.notes, fmt.Sprintf("%s: %s exports no load gauge: no autoscaler written, the deployment runs %d replicas", w.Workload, e.Name, minR))
	}
	return append(objs, b.pdb(w, name), b.netpol(w, name, l.port))
}

// tritonRepository is where Triton reads its model repository from.
const tritonRepository = "/models/repository"

func (b *k8sBuilder) classicEndpoint(w *plan.Workload) []runtime.Object {
	o := w.Choice
	name := slug(w.Workload)
	a := accelerator(b.p.Catalog, o)
	sel, tol := b.scheduling(o)
	req := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("4Gi")}
	lim := corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("8Gi")}
	// CPU: MLServer (Seldon, v2 inference protocol); accelerators: the
	// catalog's classic engine for the vendor.
	image, port, path := "seldonio/mlserver:1.7.1", int32(8080), "/v2/health/ready"
	var cmd []string
	if a != nil {
		e := classicEngine(b.p.Catalog, a)
		if e == nil {
			b.notes = append(b.notes, fmt.Sprintf("%s: no classic serving engine in the catalog runs on %s (%s): not exported", w.Workload, a.ID, vendor(a)))
			return nil
		}
		image, port = e.Image(a), 8000
		cmd = []string{"tritonserver", "--model-repository=" + tritonRepository, "--http-port=8000", "--metrics-port=8002"}
		dev := device(a)
		req[dev], lim[dev] = resource.MustParse("1"), resource.MustParse("1")
	}
	ready, live, start := probes(port, path)
	c := corev1.Container{Name: "server", Image: image, Command: cmd, Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: port}},
		Resources: corev1.ResourceRequirements{Requests: req, Limits: lim}, ReadinessProbe: ready, LivenessProbe: live, StartupProbe: start,
		Env: []corev1.EnvVar{b.modelEnv(w, name)}}
	minR, maxR := int32(max(o.ReplicasMin, 1)), int32(max(o.ReplicasMax, o.ReplicasMin, 1))
	dep := &appsv1.Deployment{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"}, ObjectMeta: b.meta(w, name),
		Spec: appsv1.DeploymentSpec{Replicas: ptr(minR), Selector: selector(name), Template: corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app.kubernetes.io/name": name, labelWorkload: slug(w.Workload)}},
			Spec:       corev1.PodSpec{NodeSelector: sel, Tolerations: tol, Containers: []corev1.Container{c}}}}}
	metric := autoscalingv2.MetricSpec{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr(int32(70))}}}
	return []runtime.Object{dep, b.service(w, name, port), b.hpa(w, name, minR, maxR, metric), b.pdb(w, name), b.netpol(w, name, port)}
}

// classicEngine is the catalog's first classic (fixed-size inference)
// engine with an image for the accelerator's vendor.
func classicEngine(c *catalog.Catalog, a *catalog.Accelerator) *catalog.Engine {
	for _, x := range c.EnginesFor(a) {
		if x.Kind == "classic" && x.Image(a) != "" {
			return x
		}
	}
	return nil
}

func modelName(w *plan.Workload) string {
	if w.Spec.Model != nil && w.Spec.Model.ID != "" {
		return w.Spec.Model.ID
	}
	if w.Spec.Model != nil && w.Spec.Model.Framework != "" {
		return w.Spec.Model.Framework
	}
	return w.Workload
}

// embeddingImages are Hugging Face Text Embeddings Inference builds per
// vendor ("" = CPU). Source: TEI docs "Supported models and hardware" (CUDA
// and CPU images on ghcr.io/huggingface/text-embeddings-inference), read
// 2026-12. No build runs on Neuron, TPU, ROCm or Gaudi.
var embeddingImages = map[string]string{
	"nvidia": "ghcr.io/huggingface/text-embeddings-inference:1.8",
	"":       "ghcr.io/huggingface/text-embeddings-inference:cpu-1.8",
}

func (b *k8sBuilder) embedder(w *plan.Workload) []runtime.Object {
	o := w.Choice
	name := slug(w.Workload) + "-encoder"
	a := accelerator(b.p.Catalog, o)
	image, ok := embeddingImages[vendor(a)]
	if !ok {
		b.notes = append(b.notes, fmt.Sprintf("%s: no embedding server image for %s accelerators (%s): not exported; plan it on accelerators TEI supports", w.Workload, vendor(a), o.Accelerator))
		return nil
	}
	sel, tol := b.scheduling(o)
	ready, live, start := probes(80, "/health")
	req := corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("8Gi")}
	lim := corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("16Gi")}
	if dev := device(a); dev != "" {
		req[dev], lim[dev] = resource.MustParse("1"), resource.MustParse("1")
	}
	c := corev1.Container{Name: "encoder", Image: image, Args: []string{"--model-id", "$(MODEL)"},
		Env:            []corev1.EnvVar{b.modelEnv(w, name)},
		Ports:          []corev1.ContainerPort{{Name: "http", ContainerPort: 80}},
		Resources:      corev1.ResourceRequirements{Requests: req, Limits: lim},
		ReadinessProbe: ready, LivenessProbe: live, StartupProbe: start}
	dep := &appsv1.Deployment{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"}, ObjectMeta: b.meta(w, name),
		Spec: appsv1.DeploymentSpec{Replicas: ptr(int32(max(o.PeakGPUs/max(o.GPUsPerUnit, 1), 1))), Selector: selector(name), Template: corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app.kubernetes.io/name": name, labelWorkload: slug(w.Workload)}},
			Spec:       corev1.PodSpec{NodeSelector: sel, Tolerations: tol, Containers: []corev1.Container{c}}}}}
	return []runtime.Object{dep, b.service(w, name, 80), b.pdb(w, name), b.netpol(w, name, 80)}
}

func (b *k8sBuilder) service(w *plan.Workload, name string, port int32) *corev1.Service {
	return &corev1.Service{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Service"}, ObjectMeta: b.meta(w, name),
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app.kubernetes.io/name": name}, Ports: []corev1.ServicePort{{Name: "http", Port: port, TargetPort: intstr.FromInt32(port)}}}}
}

func (b *k8sBuilder) hpa(w *plan.Workload, name string, minR, maxR int32, m autoscalingv2.MetricSpec) *autoscalingv2.HorizontalPodAutoscaler {
	if maxR < minR {
		maxR = minR
	}
	return &autoscalingv2.HorizontalPodAutoscaler{TypeMeta: metav1.TypeMeta{APIVersion: "autoscaling/v2", Kind: "HorizontalPodAutoscaler"}, ObjectMeta: b.meta(w, name),
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: name},
			MinReplicas:    ptr(minR), MaxReplicas: maxR, Metrics: []autoscalingv2.MetricSpec{m},
			Behavior: &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleDown: &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: ptr(int32(600))}},
		}}
}

func (b *k8sBuilder) pdb(w *plan.Workload, name string) *policyv1.PodDisruptionBudget {
	return &policyv1.PodDisruptionBudget{TypeMeta: metav1.TypeMeta{APIVersion: "policy/v1", Kind: "PodDisruptionBudget"}, ObjectMeta: b.meta(w, name),
		Spec: policyv1.PodDisruptionBudgetSpec{MaxUnavailable: ptr(intstr.FromInt32(1)), Selector: selector(name)}}
}

// netpol admits traffic only from the gateway namespace on the serving port
// (and, in the mesh, on the HBONE port the traffic arrives on).
func (b *k8sBuilder) netpol(w *plan.Workload, name string, port int32) *networkingv1.NetworkPolicy {
	ports := func() []networkingv1.NetworkPolicyPort {
		out := []networkingv1.NetworkPolicyPort{{Port: ptr(intstr.FromInt32(port))}}
		if b.mesh {
			out = append(out, networkingv1.NetworkPolicyPort{Port: ptr(intstr.FromInt32(hbonePort))})
		}
		return out
	}
	return &networkingv1.NetworkPolicy{TypeMeta: metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"}, ObjectMeta: b.meta(w, name),
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: *selector(name), PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
			Ingress: []networkingv1.NetworkPolicyIngressRule{
				{From: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": gatewayNS}}}},
					Ports: ports()},
				{From: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": "monitoring"}}}},
					Ports: ports()},
			},
		}}
}

// trainingImages are the vendors' PyTorch training containers, each pinned
// to one build (no :latest: a job applied later runs the same stack).
// Sources (read 2026-12): NGC nvcr.io/nvidia/pytorch release notes; AMD
// ROCm docs (rocm.docs.amd.com, gsplat on ROCm: docker pull
// rocm/pytorch:rocm7.0_ubuntu24.04_py3.12_pytorch_release_2.8.0; AMD
// documents rocm/pytorch tags as rocm<ver>_<os>_<py>_pytorch_release_<ver>);
// AWS Neuron Deep Learning Containers (pytorch-training-neuronx, SDK 2.26.1;
// the registry is in the job's region); PyTorch/XLA README "Cloud TPU VMs
// Docker" (r2.7.0); Intel Gaudi docs "Docker installation" (vault.habana.ai)
// document the 1.22 PyTorch image as :latest only: the pinned build
// 1.22.2-32 (software 1.22.2, PyTorch 2.7.1, Ubuntu 24.04) is read from
// public projects that pull it, not from a Habana page.
func trainingImage(vendor, region string) string {
	switch vendor {
	case "nvidia":
		return "nvcr.io/nvidia/pytorch:25.08-py3"
	case "amd":
		return "rocm/pytorch:rocm7.0_ubuntu24.04_py3.12_pytorch_release_2.8.0"
	case "aws":
		return "763104351884.dkr.ecr." + region + ".amazonaws.com/pytorch-training-neuronx:2.8.0-neuronx-py311-sdk2.26.1-ubuntu22.04"
	case "google":
		return "us-central1-docker.pkg.dev/tpu-pytorch-releases/docker/xla:r2.7.0_3.10_tpuvm"
	case "intel":
		return "vault.habana.ai/gaudi-docker/1.22.2/ubuntu24.04/habanalabs/pytorch-installer-2.7.1:1.22.2-32"
	}
	return ""
}

// efaDevices is the number of EFA interfaces an instance type exposes to
// the aws-efa-k8s-device-plugin (vpc.amazonaws.com/efa); a pod on a whole
// node asks for all of them. Source: Amazon EC2 User Guide, accelerated
// computing instance network specifications ("maximum EFA interfaces" /
// network cards), read 2026-12.
var efaDevices = map[string]int{
	"p4d.24xlarge": 4, "p4de.24xlarge": 4, "p5.4xlarge": 1, "p5.48xlarge": 32, "p5e.48xlarge": 32, "p5en.48xlarge": 16,
	"p6-b200.48xlarge": 8, "p6-b300.48xlarge": 16, "p3dn.24xlarge": 1, "trn1.32xlarge": 8, "trn1n.32xlarge": 16, "trn2.48xlarge": 16,
	"g4dn.12xlarge": 1, "g5.12xlarge": 1, "g5.48xlarge": 1, "g6.24xlarge": 1, "g6.48xlarge": 1, "g6e.12xlarge": 1, "g6e.48xlarge": 4,
}

// fabric is the scale-out network request of a multi-node pod: the EFA
// interfaces (AWS) or the InfiniBand RDMA device (Azure ND, via the NVIDIA
// Network Operator's RDMA shared device plugin, rdma/shared_ib, as the
// Azure/aks-rdma-infiniband guide configures it).
type fabric struct {
	resource corev1.ResourceName
	count    int
	network  string
	env      []corev1.EnvVar
}

// requestFabric adds the scale-out fabric of the workload's instance to a
// pod's requests, limits, environment and annotations, and returns the
// security context RDMA needs (nil when the instance has no fabric to ask
// for).
func (b *k8sBuilder) requestFabric(w *plan.Workload, req, lim corev1.ResourceList, env *[]corev1.EnvVar, meta *metav1.ObjectMeta) *corev1.SecurityContext {
	f, ok := b.fabricFor(w)
	if !ok {
		return nil
	}
	q := resource.MustParse(strconv.Itoa(f.count))
	req[f.resource], lim[f.resource] = q, q
	*env = append(*env, f.env...)
	meta.Annotations["aiplan.dev/scale-out-network"] = f.network
	return &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"IPC_LOCK"}}} // RDMA pins memory
}

func (b *k8sBuilder) fabricFor(w *plan.Workload) (fabric, bool) {
	o := w.Choice
	if b.p.Catalog == nil || !o.OnCloudNodes() {
		return fabric{}, false
	}
	in, err := b.p.Catalog.Instance(o.Cloud + "/" + o.Instance + "/" + o.Region)
	if err != nil || in.Network == nil {
		return fabric{}, false
	}
	switch in.Network.Type {
	case catalog.NetEFA:
		n, ok := efaDevices[o.Instance]
		if !ok {
			b.notes = append(b.notes, fmt.Sprintf("%s: %s has EFA but its interface count is not in the export table: request vpc.amazonaws.com/efa by hand", w.Workload, o.Instance))
			return fabric{}, false
		}
		b.notes = append(b.notes, fmt.Sprintf("%s: requests %d EFA interfaces per pod: the cluster needs the aws-efa-k8s-device-plugin (eks-charts)", w.Workload, n))
		return fabric{resource: "vpc.amazonaws.com/efa", count: n, network: "efa", env: []corev1.EnvVar{{Name: "FI_PROVIDER", Value: "efa"}, {Name: "FI_EFA_USE_DEVICE_RDMA", Value: "1"}}}, true
	case catalog.NetInfiniBand:
		b.notes = append(b.notes, fmt.Sprintf("%s: requests InfiniBand (rdma/shared_ib): the cluster needs the NVIDIA Network Operator with the RDMA shared device plugin (on AKS: Azure/aks-rdma-infiniband)", w.Workload))
		return fabric{resource: "rdma/shared_ib", count: 1, network: "infiniband", env: []corev1.EnvVar{{Name: "NCCL_IB_DISABLE", Value: "0"}}}, true
	case catalog.NetRoCE:
		b.notes = append(b.notes, fmt.Sprintf("%s: %s runs RDMA over Converged Ethernet: attach its RDMA networks with the cloud's multi-networking (GKE: networking.gke.io/interfaces); not written here", w.Workload, o.Instance))
	}
	return fabric{}, false
}

// trainingJob runs a training or fine-tuning job. On one node: a Job with
// torchrun --standalone. On several: an Indexed Job with one pod per node,
// a headless Service giving each pod a stable DNS name
// (<job>-<index>.<service>), and torchrun's c10d rendezvous at pod 0;
// EFA or InfiniBand devices are requested where the instance has them. TPU
// slices run PyTorch/XLA on every host (GKE sets the TPU worker variables).
func (b *k8sBuilder) trainingJob(w *plan.Workload) []runtime.Object {
	o := w.Choice
	name := slug(w.Workload)
	a := accelerator(b.p.Catalog, o)
	if a == nil {
		b.notes = append(b.notes, fmt.Sprintf("%s: training on %q is not exported (no accelerator)", w.Workload, o.Accelerator))
		return nil
	}
	if a.InferenceOnly {
		b.notes = append(b.notes, fmt.Sprintf("%s: %s has no training stack: not exported", w.Workload, a.ID))
		return nil
	}
	nodes := max(o.Instances, 1)
	perNode := max(o.GPUsPerUnit/nodes, 1)
	if o.Instances == 0 { // on-prem: eight accelerators per server
		perNode = min(max(o.GPUsPerUnit, 1), 8)
		nodes = (max(o.GPUsPerUnit, 1) + perNode - 1) / perNode
	}
	tpu, isTPU := gkeTPUs[o.Instance]
	if isTPU {
		// One pod per TPU VM host: a slice of tpu.hosts VMs, o.Instances slices.
		nodes = max(o.Instances, 1) * tpu.hosts
		perNode = max(instanceAccelerators(b.p.Catalog, o)/tpu.hosts, 1)
	}
	sel, tol := b.scheduling(o)
	dev := device(a)
	g := resource.MustParse(strconv.Itoa(perNode))
	meta := b.meta(w, name)
	meta.Labels["kueue.x-k8s.io/queue-name"] = "gpu"
	meta.Annotations["aiplan.dev/parallelism"] = o.Metrics.Parallelism
	svc := name + "-workers"
	env := []corev1.EnvVar{{Name: "TRAIN_ENTRYPOINT", Value: "/workspace/train.py"}, {Name: "METHOD", Value: w.Spec.Method}, {Name: "PARALLELISM", Value: o.Metrics.Parallelism},
		{Name: "MODEL_ARCHITECTURE", Value: modelName(w)}}
	if w.Type == spec.FineTuning {
		env = append(env, b.modelEnv(w, name)) // the weights to fine-tune
	} else if repo := hfRepo(w, b.p.Catalog); repo != "" {
		env = append(env, corev1.EnvVar{Name: "MODEL_CONFIG", Value: repo}) // architecture config only: pre-training starts from scratch
	}
	procs := perNode // one worker per GPU; on Neuron one per NeuronCore
	if n, ok := neuronCoresPerChip[a.ID]; ok {
		procs = perNode * n
	}
	var cmd []string
	switch {
	case isTPU:
		env = append(env, corev1.EnvVar{Name: "PJRT_DEVICE", Value: "TPU"})
		cmd = []string{"python3", "$(TRAIN_ENTRYPOINT)"}
		if o.Instances > 1 {
			b.notes = append(b.notes, fmt.Sprintf("%s: %d TPU slices talk over the data-centre network (multislice): run the job with JobSet and the MEGASCALE settings of the GKE multislice guide", w.Workload, o.Instances))
		}
	case nodes == 1:
		cmd = []string{"torchrun", "--standalone", "--nnodes=1", "--nproc-per-node=" + strconv.Itoa(procs), "$(TRAIN_ENTRYPOINT)"}
	default:
		env = append(env, corev1.EnvVar{Name: "MASTER_ADDR", Value: fmt.Sprintf("%s-0.%s.%s.svc", name, svc, b.ns)}, corev1.EnvVar{Name: "MASTER_PORT", Value: "29500"})
		cmd = []string{"torchrun", "--nnodes=" + strconv.Itoa(nodes), "--nproc-per-node=" + strconv.Itoa(procs),
			"--rdzv-backend=c10d", "--rdzv-endpoint=$(MASTER_ADDR):$(MASTER_PORT)", "--rdzv-id=" + name, "$(TRAIN_ENTRYPOINT)"}
	}
	req := corev1.ResourceList{dev: g, corev1.ResourceCPU: b.cpu(o, 8*perNode, perNode)}
	lim := corev1.ResourceList{dev: g}
	var caps *corev1.SecurityContext
	if nodes > 1 {
		caps = b.requestFabric(w, req, lim, &env, &meta)
	}
	image := trainingImage(vendor(a), o.Region)
	c := corev1.Container{Name: "trainer", Image: image, Command: cmd, Env: env, SecurityContext: caps,
		Ports:        []corev1.ContainerPort{{Name: "rendezvous", ContainerPort: 29500}},
		Resources:    corev1.ResourceRequirements{Requests: req, Limits: lim},
		VolumeMounts: []corev1.VolumeMount{{Name: "shm", MountPath: "/dev/shm"}}}
	podLabels := map[string]string{labelWorkload: name, "app.kubernetes.io/name": name}
	job := &batchv1.Job{TypeMeta: metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"}, ObjectMeta: meta,
		Spec: batchv1.JobSpec{
			Parallelism: ptr(int32(nodes)), Completions: ptr(int32(nodes)), Suspend: ptr(true), BackoffLimit: ptr(int32(3)),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: podLabels},
				Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever, NodeSelector: sel, Tolerations: tol, Containers: []corev1.Container{c},
					Volumes: []corev1.Volume{{Name: "shm", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory, SizeLimit: ptr(resource.MustParse("64Gi"))}}}}}},
		}}
	if nodes == 1 {
		return []runtime.Object{job}
	}
	job.Spec.CompletionMode = ptr(batchv1.IndexedCompletion)
	job.Spec.Template.Spec.Subdomain = svc
	headless := &corev1.Service{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Service"}, ObjectMeta: b.meta(w, svc),
		Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone, PublishNotReadyAddresses: true, Selector: map[string]string{"app.kubernetes.io/name": name},
			Ports: []corev1.ServicePort{{Name: "rendezvous", Port: 29500, TargetPort: intstr.FromInt32(29500)}}}}
	return []runtime.Object{headless, job}
}

// batchJob runs the nightly batch with the vLLM-family engine of the
// accelerator's vendor (vLLM's offline batch runner).
func (b *k8sBuilder) batchJob(w *plan.Workload) *batchv1.CronJob {
	o := w.Choice
	name := slug(w.Workload)
	e, a, err := servingEngine(b.p, w)
	if err == nil && !vllmFamily(e.ID) {
		e = nil
		for _, x := range b.p.Catalog.EnginesFor(a) {
			if vllmFamily(x.ID) && x.Image(a) != "" {
				e = x
				break
			}
		}
		if e == nil {
			err = fmt.Errorf("%s: no vLLM-family engine with an image for %s", w.Workload, vendor(a))
		}
	}
	if err == nil && o.Nodes > 1 {
		err = fmt.Errorf("%s: each batch worker spans %d instances as pipeline stages; the nightly CronJob runs one pod per worker, and vLLM's offline batch runner across nodes needs a Ray cluster per worker", w.Workload, o.Nodes)
	}
	if err != nil {
		b.notes = append(b.notes, err.Error()+": not exported")
		return nil
	}
	l := launchFor(e, a, o, w)
	sel, tol := b.scheduling(o)
	dev := device(a)
	g := resource.MustParse(strconv.Itoa(max(o.GPUsPerUnit, 1)))
	tpArgs := l.args[:2] // --tensor-parallel-size N, in the engine's units
	c := corev1.Container{Name: "batch", Image: e.Image(a), Command: []string{"python3", "-m", "vllm.entrypoints.openai.run_batch"},
		Args:      append([]string{"-i", "$(INPUT_URI)", "-o", "$(OUTPUT_URI)", "--model", "$(MODEL)"}, tpArgs...),
		Env:       []corev1.EnvVar{b.modelEnv(w, name), {Name: "INPUT_URI", Value: "/data/input.jsonl"}, {Name: "OUTPUT_URI", Value: "/data/output.jsonl"}},
		Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{dev: g}, Limits: corev1.ResourceList{dev: g}}}
	meta := b.meta(w, name)
	meta.Annotations["aiplan.dev/engine"] = e.ID
	parallel := int32(max(o.ReplicasMax, 1))
	return &batchv1.CronJob{TypeMeta: metav1.TypeMeta{APIVersion: "batch/v1", Kind: "CronJob"}, ObjectMeta: meta,
		Spec: batchv1.CronJobSpec{Schedule: "0 1 * * *", ConcurrencyPolicy: batchv1.ForbidConcurrent,
			JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Parallelism: ptr(parallel), Completions: ptr(parallel), CompletionMode: ptr(batchv1.IndexedCompletion),
				ActiveDeadlineSeconds: ptr(int64(math.Max(w.Spec.DeadlineHours, 1) * 3600)),
				Template:              corev1.PodTemplateSpec{Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyOnFailure, NodeSelector: sel, Tolerations: tol, Containers: []corev1.Container{c}}}}}}}
}

func vllmFamily(id string) bool {
	switch id {
	case "vllm", "neuron", "vllm-tpu", "gaudi":
		return true
	}
	return false
}
