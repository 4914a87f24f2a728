package export

// lws.go: LLM replicas that span several instances (pipeline stages across
// nodes, tensor parallelism inside each node) as a LeaderWorkerSet.

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/aiplan-dev/aiplan/catalog"
	"github.com/aiplan-dev/aiplan/plan"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The LeaderWorkerSet API (sigs.k8s.io/lws, leaderworkerset.x-k8s.io/v1),
// mirrored field for field for the fields the export writes: the module is
// not served by the Go module proxy this project builds from. Source:
// kubernetes-sigs/lws api/leaderworkerset/v1/leaderworkerset_types.go (read
// 2026-12): LWS injects LWS_LEADER_ADDRESS, LWS_GROUP_SIZE and
// LWS_WORKER_INDEX (0 on the leader) into every container, and its scale
// subresource selects the leader pods for an HPA. The tests decode the
// output strictly against the API's fields.
const lwsAPIVersion = "leaderworkerset.x-k8s.io/v1"

// LeaderWorkerSet deploys groups of pods (one leader, size-1 workers) as
// the unit of replication; its scale subresource lets an HPA scale groups.
type LeaderWorkerSet struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              LeaderWorkerSetSpec `json:"spec"`
}

type LeaderWorkerSetSpec struct {
	Replicas             *int32               `json:"replicas,omitempty"`
	LeaderWorkerTemplate LeaderWorkerTemplate `json:"leaderWorkerTemplate"`
	RolloutStrategy      *LWSRolloutStrategy  `json:"rolloutStrategy,omitempty"`
	// StartupPolicy: LeaderCreated (workers start with the leader) or
	// LeaderReady (workers wait for the leader to be ready).
	StartupPolicy string `json:"startupPolicy,omitempty"`
}

type LeaderWorkerTemplate struct {
	LeaderTemplate *corev1.PodTemplateSpec `json:"leaderTemplate,omitempty"`
	WorkerTemplate corev1.PodTemplateSpec  `json:"workerTemplate"`
	Size           *int32                  `json:"size,omitempty"`
	// RestartPolicy: RecreateGroupOnPodRestart or None.
	RestartPolicy string `json:"restartPolicy,omitempty"`
}

type LWSRolloutStrategy struct {
	Type                       string                         `json:"type,omitempty"`
	RollingUpdateConfiguration *LWSRollingUpdateConfiguration `json:"rollingUpdateConfiguration,omitempty"`
}

type LWSRollingUpdateConfiguration struct {
	MaxUnavailable intstr.IntOrString `json:"maxUnavailable,omitempty"`
	MaxSurge       intstr.IntOrString `json:"maxSurge,omitempty"`
}

// DeepCopyObject makes LeaderWorkerSet a runtime.Object; a JSON round trip
// copies every nested pointer.
func (l *LeaderWorkerSet) DeepCopyObject() runtime.Object {
	b, err := json.Marshal(l)
	if err != nil {
		panic(err) // only plain data: cannot fail
	}
	var c LeaderWorkerSet
	if err := json.Unmarshal(b, &c); err != nil {
		panic(err)
	}
	return &c
}

// Ports of the multi-node runtimes: Ray's head (GCS) port, as vLLM's
// multi-node-serving example uses it, and SGLang's --dist-init-addr port
// of its multi-node docs.
const (
	rayPort        = 6379
	sglangDistPort = 20000
)

// multiNodeServing says whether an engine has a documented way to run one
// replica across nodes, and how:
//   - vLLM: a Ray cluster (leader `ray start --head`, workers `ray start
//     --address=<leader>`), then `vllm serve` on the leader with
//     --tensor-parallel-size (GPUs per node) and --pipeline-parallel-size
//     (nodes). Source: vLLM docs "Parallelism and Scaling" (multi-node: TP =
//     GPUs per node, PP = nodes) and "Deployment with LWS", read 2026-12.
//   - SGLang: every node runs launch_server with --tp (per stage), --pp-size,
//     --nnodes, --node-rank and --dist-init-addr <rank 0>:<port>. Source:
//     SGLang docs "Multi-Node Deployment" and server arguments, read 2026-12.
//
// TensorRT-LLM (trtllm-serve across nodes runs under mpirun/srun), TGI (no
// multi-node mode) and the Neuron, TPU and Gaudi stacks are not written.
func multiNodeServing(id string) bool { return id == "vllm" || id == "sglang" }

// shQuote quotes s for a POSIX shell.
func shQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// lwsEndpoint writes a multi-node LLM endpoint: a LeaderWorkerSet of
// o.Nodes pods per replica, each on a whole node of the planned pool, a
// Service to the leaders, an HPA on the LeaderWorkerSet's scale
// subresource, a PodDisruptionBudget and a NetworkPolicy that lets the
// pods of a group reach one another.
func (b *k8sBuilder) lwsEndpoint(w *plan.Workload, e *catalog.Engine, a *catalog.Accelerator) []runtime.Object {
	o := w.Choice
	name := slug(w.Workload)
	nodes, tp := o.Nodes, max(o.TP, 1)
	if tp*nodes != o.GPUsPerUnit {
		b.notes = append(b.notes, fmt.Sprintf("%s: tp=%d x %d nodes is not the planned %d accelerators per replica: not exported", w.Workload, tp, nodes, o.GPUsPerUnit))
		return nil
	}
	if _, in := b.share(o, tp); in != nil && in.AcceleratorCount != tp {
		b.notes = append(b.notes, fmt.Sprintf("%s: a pipeline stage of %d accelerators does not fill one %s (%d): not exported", w.Workload, tp, o.Instance, in.AcceleratorCount))
		return nil
	}
	l := launchFor(e, a, o, w) // the single-node flags, TP per stage
	var leader, worker []string
	var workerArgs []string
	switch e.ID {
	case "vllm":
		// The leader starts Ray's head, waits until every node of the group
		// has joined, then serves. MODEL is read by the shell from the
		// environment, never pasted into the script.
		serve := []string{"exec", "vllm", "serve", `"$MODEL"`}
		for _, a := range l.args {
			serve = append(serve, shQuote(a))
		}
		serve = append(serve, "--pipeline-parallel-size", strconv.Itoa(nodes), "--distributed-executor-backend", "ray")
		script := fmt.Sprintf("ray start --head --port=%d && "+
			`until python3 -c 'import ray; ray.init(address="auto", logging_level="ERROR"); exit(sum(1 for n in ray.nodes() if n["Alive"]) < %d)'; do sleep 5; done && `,
			rayPort, nodes) + strings.Join(serve, " ")
		leader = []string{"sh", "-c", script}
		worker = []string{"ray", "start", fmt.Sprintf("--address=$(LWS_LEADER_ADDRESS):%d", rayPort), "--block"}
	case "sglang":
		// Every node runs the same server; rank 0 (the leader) serves HTTP.
		leader = l.command
		workerArgs = append(append([]string{}, l.args...), "--pp-size", strconv.Itoa(nodes), "--nnodes", strconv.Itoa(nodes),
			"--node-rank", "$(LWS_WORKER_INDEX)", "--dist-init-addr", fmt.Sprintf("$(LWS_LEADER_ADDRESS):%d", sglangDistPort))
		worker = l.command
	default:
		b.notes = append(b.notes, fmt.Sprintf("%s: %s has no documented multi-node serving mode: not exported", w.Workload, e.Name))
		return nil
	}

	sel, tol := b.scheduling(o)
	dev := device(a)
	weightsGB := o.Metrics.MemoryGiBPerGPU * float64(tp)
	gpus := resource.MustParse(strconv.Itoa(tp))
	req := corev1.ResourceList{dev: gpus, corev1.ResourceCPU: b.cpu(o, 4*tp, tp), corev1.ResourceMemory: b.memory(o, weightsGB*1.2+16, tp)}
	lim := corev1.ResourceList{dev: gpus, corev1.ResourceMemory: b.memory(o, weightsGB*1.2+32, tp)}
	env := []corev1.EnvVar{
		b.modelEnv(w, name),
		{Name: "HF_TOKEN", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "model-hub"}, Key: "token", Optional: ptr(true)}}},
		{Name: "HF_HOME", Value: "/models"},
	}
	meta := b.meta(w, name)
	meta.Annotations["aiplan.dev/engine"] = e.ID
	meta.Annotations["aiplan.dev/engine-version"] = e.Version
	b.imageBuild(&meta, w, e, a)
	meta.Annotations["aiplan.dev/parallelism"] = fmt.Sprintf("tp=%d pp=%d across %d nodes", tp, nodes, nodes)
	if env[0].Value != "" {
		meta.Annotations["aiplan.dev/model-source"] = "https://huggingface.co/" + env[0].Value
	}
	caps := b.requestFabric(w, req, lim, &env, &meta)
	pod := func(role string, command, args []string, ports []corev1.ContainerPort) corev1.PodTemplateSpec {
		c := corev1.Container{Name: "engine", Image: e.Image(a), Command: command, Args: args, Env: env, Ports: ports, SecurityContext: caps,
			Resources:    corev1.ResourceRequirements{Requests: req.DeepCopy(), Limits: lim.DeepCopy()},
			VolumeMounts: []corev1.VolumeMount{{Name: "model-cache", MountPath: "/models"}, {Name: "shm", MountPath: "/dev/shm"}}}
		t := corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app.kubernetes.io/name": name, labelWorkload: name, "aiplan.dev/role": role}},
			Spec: corev1.PodSpec{NodeSelector: sel, Tolerations: tol, TerminationGracePeriodSeconds: ptr(int64(120)),
				Volumes: []corev1.Volume{
					{Name: "model-cache", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{SizeLimit: ptr(gib(o.Metrics.MemoryGiBPerGPU*float64(o.GPUsPerUnit)*1.3 + 10))}}},
					{Name: "shm", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory, SizeLimit: ptr(resource.MustParse("16Gi"))}}},
				}},
		}
		t.Spec.Containers = []corev1.Container{c}
		return t
	}
	var leaderPorts, workerPorts []corev1.ContainerPort
	switch e.ID {
	case "vllm":
		leaderPorts = []corev1.ContainerPort{{Name: "http", ContainerPort: l.port}, {Name: "ray", ContainerPort: rayPort}}
	case "sglang":
		leaderPorts = []corev1.ContainerPort{{Name: "http", ContainerPort: l.port}, {Name: "dist-init", ContainerPort: sglangDistPort}}
	}
	leaderArgs := workerArgs // SGLang: the same flags on every rank
	lt := pod("leader", leader, leaderArgs, leaderPorts)
	ready, live, start := probes(l.port, l.health)
	lt.Spec.Containers[0].ReadinessProbe, lt.Spec.Containers[0].LivenessProbe, lt.Spec.Containers[0].StartupProbe = ready, live, start
	lt.Annotations = map[string]string{"prometheus.io/scrape": "true", "prometheus.io/port": strconv.Itoa(int(l.metricsPort)), "prometheus.io/path": e.Metrics.Endpoint}
	wt := pod("worker", worker, workerArgs, workerPorts)

	minR, maxR := int32(max(o.ReplicasMin, 1)), int32(max(o.ReplicasMax, 1))
	lws := &LeaderWorkerSet{
		TypeMeta: metav1.TypeMeta{APIVersion: lwsAPIVersion, Kind: "LeaderWorkerSet"}, ObjectMeta: meta,
		Spec: LeaderWorkerSetSpec{
			Replicas: ptr(minR),
			LeaderWorkerTemplate: LeaderWorkerTemplate{
				Size: ptr(int32(nodes)), LeaderTemplate: &lt, WorkerTemplate: wt,
				RestartPolicy: "RecreateGroupOnPodRestart", // a lost stage breaks the whole pipeline
			},
			// Workers start with the leader: the leader is only ready once
			// every stage has joined.
			StartupPolicy: "LeaderCreated",
			RolloutStrategy: &LWSRolloutStrategy{Type: "RollingUpdate", RollingUpdateConfiguration: &LWSRollingUpdateConfiguration{
				MaxUnavailable: intstr.FromInt32(0), MaxSurge: intstr.FromInt32(1)}},
		},
	}
	svc := b.service(w, name, l.port)
	svc.Spec.Selector["aiplan.dev/role"] = "leader" // only rank 0 serves HTTP
	objs := []runtime.Object{lws, svc}
	if metric, target, ok := autoscaleMetric(e, a, o, w); ok {
		h := b.hpa(w, name, minR, maxR, autoscalingv2.MetricSpec{
			Type: autoscalingv2.PodsMetricSourceType,
			Pods: &autoscalingv2.PodsMetricSource{Metric: autoscalingv2.MetricIdentifier{Name: metric}, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: ptr(target)}},
		})
		h.Spec.ScaleTargetRef = autoscalingv2.CrossVersionObjectReference{APIVersion: lwsAPIVersion, Kind: "LeaderWorkerSet", Name: name}
		b.hpaMetricNotes(h, w, e, metric, "leader pods (the LeaderWorkerSet scale subresource selects the leaders)")
		objs = append(objs, h)
	} else {
		b.notes = append(b.notes, fmt.Sprintf("%s: %s exports no load signal: no autoscaler written, the LeaderWorkerSet runs %d replicas", w.Workload, e.Name, minR))
	}
	b.notes = append(b.notes, fmt.Sprintf("%s: each replica is a LeaderWorkerSet group of %d pods (tp=%d per node, pp=%d): the cluster needs the LeaderWorkerSet controller (kubernetes-sigs/lws)", w.Workload, nodes, tp, nodes))
	np := b.netpol(w, name, l.port)
	// The stages of a group talk to one another on the runtime's ports
	// (Ray, NCCL, SGLang's rendezvous), which are not fixed: admit all
	// traffic between the workload's own pods.
	np.Spec.Ingress = append(np.Spec.Ingress, networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{{PodSelector: selector(name)}}})
	return append(objs, b.pdb(w, name), np)
}
