package export

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/aiplan-dev/aiplan/plan"
	"github.com/aiplan-dev/aiplan/spec"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// lwsSchema is the LeaderWorkerSet v1 spec, written here from the API
// (kubernetes-sigs/lws api/leaderworkerset/v1/leaderworkerset_types.go,
// read 2026-12) independently of the export's own types: a strict decode
// into it fails on any field the API does not define.
type lwsSchema struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   metav1.ObjectMeta `json:"metadata"`
	Spec       struct {
		Replicas             *int32 `json:"replicas"`
		LeaderWorkerTemplate struct {
			LeaderTemplate *corev1.PodTemplateSpec `json:"leaderTemplate"`
			WorkerTemplate corev1.PodTemplateSpec  `json:"workerTemplate"`
			Size           *int32                  `json:"size"`
			RestartPolicy  string                  `json:"restartPolicy"`
			SubGroupPolicy *struct {
				SubGroupSize *int32 `json:"subGroupSize"`
				Type         string `json:"subGroupPolicyType"`
			} `json:"subGroupPolicy"`
			VolumeClaimTemplates                 []corev1.PersistentVolumeClaim                          `json:"volumeClaimTemplates"`
			PersistentVolumeClaimRetentionPolicy *appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy `json:"persistentVolumeClaimRetentionPolicy"`
		} `json:"leaderWorkerTemplate"`
		RolloutStrategy *struct {
			Type                       string `json:"type"`
			RollingUpdateConfiguration *struct {
				Partition      *int32              `json:"partition"`
				MaxUnavailable *intstr.IntOrString `json:"maxUnavailable"`
				MaxSurge       *intstr.IntOrString `json:"maxSurge"`
			} `json:"rollingUpdateConfiguration"`
		} `json:"rolloutStrategy"`
		StartupPolicy string `json:"startupPolicy"`
		NetworkConfig *struct {
			SubdomainPolicy *string `json:"subdomainPolicy"`
		} `json:"networkConfig"`
	} `json:"spec"`
}

// checkLWS decodes a LeaderWorkerSet strictly and checks the CRD's enums
// and bounds.
func checkLWS(t *testing.T, m map[string]any) *lwsSchema {
	t.Helper()
	l := decode[lwsSchema](t, m)
	if l.APIVersion != "leaderworkerset.x-k8s.io/v1" {
		t.Errorf("apiVersion %q", l.APIVersion)
	}
	s := l.Spec
	if s.LeaderWorkerTemplate.Size == nil || *s.LeaderWorkerTemplate.Size < 1 {
		t.Errorf("size %v", s.LeaderWorkerTemplate.Size)
	}
	switch s.LeaderWorkerTemplate.RestartPolicy {
	case "", "RecreateGroupOnPodRestart", "None":
	default:
		t.Errorf("restartPolicy %q not in the CRD's enum", s.LeaderWorkerTemplate.RestartPolicy)
	}
	switch s.StartupPolicy {
	case "", "LeaderCreated", "LeaderReady":
	default:
		t.Errorf("startupPolicy %q not in the CRD's enum", s.StartupPolicy)
	}
	if s.RolloutStrategy != nil && s.RolloutStrategy.Type != "RollingUpdate" {
		t.Errorf("rolloutStrategy.type %q", s.RolloutStrategy.Type)
	}
	if s.RolloutStrategy != nil && s.RolloutStrategy.RollingUpdateConfiguration != nil {
		r := s.RolloutStrategy.RollingUpdateConfiguration
		if r.MaxUnavailable != nil && r.MaxSurge != nil && r.MaxUnavailable.IntValue() == 0 && r.MaxSurge.IntValue() == 0 {
			t.Error("maxUnavailable and maxSurge both 0: the rollout cannot proceed")
		}
	}
	if len(s.LeaderWorkerTemplate.WorkerTemplate.Spec.Containers) == 0 {
		t.Error("worker template without containers")
	}
	return l
}

// multiNodePlan is the 405B bf16 scenario on 8-GPU H100 nodes (810 GB of
// weights do not fit in 640 GB), with the chosen engine replaced by engine
// where it is not empty.
func multiNodePlan(t *testing.T, engine string) *plan.Plan {
	t.Helper()
	b, err := os.ReadFile("../search/testdata/multinode-405b.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f, ds := spec.Load(b, "multinode-405b.yaml", cat)
	if ds.HasErrors() {
		t.Fatal(ds.Err())
	}
	p := plan.Build(f, cat)
	for i := range p.Workloads {
		w := &p.Workloads[i]
		if w.Choice == nil || w.Choice.Nodes < 2 {
			t.Fatalf("%s: want a replica across nodes, got %+v", w.Workload, w.Choice)
		}
		if engine != "" {
			w.Choice.Engine = engine
		}
	}
	return p
}

func chat(t *testing.T, p *plan.Plan) *plan.Workload {
	for i := range p.Workloads {
		if p.Workloads[i].Workload == "frontier-chat" {
			return &p.Workloads[i]
		}
	}
	t.Fatal("no frontier-chat")
	return nil
}

// TestKubernetes_MultiNodeReplicaAsLeaderWorkerSet: a replica spanning
// nodes deploys as a LeaderWorkerSet with one pod per node (size = nodes),
// every pod asking for one node's accelerators and its fabric, the leader
// and workers running the engine's own multi-node launch with tp x pp =
// the replica's accelerators; the Service reaches the leaders, the HPA
// scales the LeaderWorkerSet, the stages may reach one another, and the
// file is in the kustomization.
func TestKubernetes_MultiNodeReplicaAsLeaderWorkerSet(t *testing.T) {
	for _, engine := range []string{"vllm", "sglang"} {
		t.Run(engine, func(t *testing.T) {
			p := multiNodePlan(t, engine)
			w := chat(t, p)
			o := w.Choice
			in, err := cat.Instance(o.Cloud + "/" + o.Instance + "/" + o.Region)
			if err != nil {
				t.Fatal(err)
			}
			tp := in.AcceleratorCount
			files, notes, err := Generate(p, []string{"all"})
			if err != nil {
				t.Fatal(err)
			}
			// The planned pools' nodes carry the EFA interfaces the pods ask
			// for (each launch template all of them; the batch's pool too).
			if efa, pg, linked := efaNodeGroup(t, file(t, files, "terraform/aws.tf")); efa == 0 || efa%efaDevices[o.Instance] != 0 || !pg || !linked {
				t.Errorf("node group attaches %d EFA interfaces (pods ask %d), cluster placement group %v, launch template linked %v", efa, efaDevices[o.Instance], pg, linked)
			}
			if o.TP != tp || o.TP*o.Nodes != o.GPUsPerUnit {
				t.Fatalf("plan: tp=%d x %d nodes vs %d GPUs, %d per %s", o.TP, o.Nodes, o.GPUsPerUnit, tp, o.Instance)
			}
			var l *lwsSchema
			kinds := map[string]int{}
			for _, m := range objects(t, file(t, files, "k8s/frontier-chat.yaml")) {
				kinds[m["kind"].(string)]++
				switch m["kind"] {
				case "LeaderWorkerSet":
					l = checkLWS(t, m)
				case "Service":
					s := decode[corev1.Service](t, m)
					if s.Spec.Selector["aiplan.dev/role"] != "leader" {
						t.Errorf("service selects %v, want the leaders", s.Spec.Selector)
					}
				case "HorizontalPodAutoscaler":
					h := decode[autoscalingv2.HorizontalPodAutoscaler](t, m)
					if r := h.Spec.ScaleTargetRef; r.Kind != "LeaderWorkerSet" || r.APIVersion != "leaderworkerset.x-k8s.io/v1" || r.Name != "frontier-chat" {
						t.Errorf("HPA scales %+v", r)
					}
					if h.Spec.MaxReplicas != int32(o.ReplicasMax) {
						t.Errorf("HPA max %d, planned %d", h.Spec.MaxReplicas, o.ReplicasMax)
					}
				case "NetworkPolicy":
					np := decode[networkingv1.NetworkPolicy](t, m)
					peers := false
					for _, r := range np.Spec.Ingress {
						for _, f := range r.From {
							if f.PodSelector != nil && f.PodSelector.MatchLabels["app.kubernetes.io/name"] == "frontier-chat" && len(r.Ports) == 0 {
								peers = true
							}
						}
					}
					if !peers {
						t.Error("network policy blocks the stages of a group from one another")
					}
				case "PodDisruptionBudget":
					decode[policyv1.PodDisruptionBudget](t, m)
				default:
					t.Errorf("unexpected %s", m["kind"])
				}
			}
			if l == nil || kinds["Deployment"] > 0 {
				t.Fatalf("kinds %v: want a LeaderWorkerSet and no Deployment", kinds)
			}
			if got := *l.Spec.LeaderWorkerTemplate.Size; int(got) != o.Nodes {
				t.Errorf("size %d, want %d nodes", got, o.Nodes)
			}
			if got := *l.Spec.Replicas; int(got) != max(o.ReplicasMin, 1) {
				t.Errorf("replicas %d, want %d", got, o.ReplicasMin)
			}
			leader := l.Spec.LeaderWorkerTemplate.LeaderTemplate.Spec.Containers[0]
			worker := l.Spec.LeaderWorkerTemplate.WorkerTemplate.Spec.Containers[0]
			for role, c := range map[string]corev1.Container{"leader": leader, "worker": worker} {
				e, _ := cat.Engine(engine)
				if a, _ := cat.Accelerator(o.Accelerator); c.Image != e.Image(a) {
					t.Errorf("%s image %s", role, c.Image)
				}
				dev := corev1.ResourceName("nvidia.com/gpu")
				if q := c.Resources.Limits[dev]; q.Value() != int64(tp) {
					t.Errorf("%s asks for %s %s, want one node's %d", role, dev, q.String(), tp)
				}
				if q := c.Resources.Limits["vpc.amazonaws.com/efa"]; q.Value() != int64(efaDevices[o.Instance]) || q.Value() == 0 {
					t.Errorf("%s asks for %s EFA interfaces, %s has %d", role, q.String(), o.Instance, efaDevices[o.Instance])
				}
				if sel := l.Spec.LeaderWorkerTemplate.WorkerTemplate.Spec.NodeSelector; sel["aiplan.dev/pool"] == "" {
					t.Errorf("%s not pinned to the planned pool: %v", role, sel)
				}
			}
			if leader.ReadinessProbe == nil || leader.StartupProbe == nil {
				t.Error("leader without probes")
			}
			lcmd := strings.Join(append(append([]string{}, leader.Command...), leader.Args...), " ")
			wcmd := strings.Join(append(append([]string{}, worker.Command...), worker.Args...), " ")
			flag := func(cmd, name string) int {
				f := strings.Fields(strings.NewReplacer("'", "", "=", " ").Replace(cmd))
				for i := range f[:len(f)-1] {
					if f[i] == name {
						n, err := strconv.Atoi(f[i+1])
						if err != nil {
							t.Errorf("%s %s", name, f[i+1])
						}
						return n
					}
				}
				t.Errorf("no %s in %q", name, cmd)
				return 0
			}
			switch engine {
			case "vllm":
				tpF, ppF := flag(lcmd, "--tensor-parallel-size"), flag(lcmd, "--pipeline-parallel-size")
				if tpF != tp || ppF != o.Nodes || tpF*ppF != o.GPUsPerUnit {
					t.Errorf("leader tp=%d pp=%d, want %d x %d = %d", tpF, ppF, tp, o.Nodes, o.GPUsPerUnit)
				}
				for _, want := range []string{"ray start --head", "vllm serve \"$MODEL\"", "--distributed-executor-backend ray"} {
					if !strings.Contains(lcmd, want) {
						t.Errorf("leader lacks %q: %s", want, lcmd)
					}
				}
				if !strings.Contains(wcmd, "ray start --address=$(LWS_LEADER_ADDRESS):6379 --block") {
					t.Errorf("worker does not join the leader's Ray cluster: %s", wcmd)
				}
			case "sglang":
				for role, cmd := range map[string]string{"leader": lcmd, "worker": wcmd} {
					tpF, ppF, nn := flag(cmd, "--tp"), flag(cmd, "--pp-size"), flag(cmd, "--nnodes")
					if tpF != tp || ppF != o.Nodes || nn != o.Nodes || tpF*ppF != o.GPUsPerUnit {
						t.Errorf("%s tp=%d pp=%d nnodes=%d, want %d x %d = %d", role, tpF, ppF, nn, tp, o.Nodes, o.GPUsPerUnit)
					}
					for _, want := range []string{"--node-rank $(LWS_WORKER_INDEX)", "--dist-init-addr $(LWS_LEADER_ADDRESS):"} {
						if !strings.Contains(cmd, want) {
							t.Errorf("%s lacks %q: %s", role, want, cmd)
						}
					}
				}
			}
			k := string(file(t, files, "k8s/kustomization.yaml"))
			if !strings.Contains(k, "- frontier-chat.yaml") {
				t.Errorf("kustomization does not list the LeaderWorkerSet's file:\n%s", k)
			}
			if !strings.Contains(string(file(t, files, "prometheus/rules.yaml")), "frontier-chat") {
				t.Error("no alert rules for the multi-node endpoint")
			}
			n := strings.Join(notes, "\n")
			if !strings.Contains(n, "LeaderWorkerSet controller") {
				t.Errorf("no note on the LWS controller: %s", n)
			}
			// The batch workload's replicas also span nodes: no CronJob pod
			// asks for more accelerators than a node has.
			for _, f := range files {
				if f.Path == "k8s/nightly-distill.yaml" {
					t.Error("nightly batch across nodes written as a one-pod CronJob")
				}
			}
			if !strings.Contains(n, "nightly-distill: each batch worker spans 2 instances") {
				t.Errorf("no note for the batch across nodes: %s", n)
			}
		})
	}
}

// TestKubernetes_MultiNodeWithoutMultiNodeEngineLeftOut: engines without a
// documented multi-node serving mode (TensorRT-LLM's trtllm-serve needs an
// MPI launcher, TGI has none) are left out with a note, and so are their
// alert rules.
func TestKubernetes_MultiNodeWithoutMultiNodeEngineLeftOut(t *testing.T) {
	for _, engine := range []string{"trtllm", "tgi"} {
		t.Run(engine, func(t *testing.T) {
			p := multiNodePlan(t, engine)
			files, notes, err := Generate(p, []string{"k8s", "prometheus"})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range files {
				if f.Path == "k8s/frontier-chat.yaml" || (f.Path == "prometheus/rules.yaml" && strings.Contains(string(f.Data), "frontier-chat")) {
					t.Errorf("%s written for %s across nodes", f.Path, engine)
				}
				if f.Path == "k8s/kustomization.yaml" && strings.Contains(string(f.Data), "frontier-chat") {
					t.Error("kustomization lists a file that was not written")
				}
			}
			if n := strings.Join(notes, "\n"); !strings.Contains(n, "frontier-chat: each replica spans 2 instances") || !strings.Contains(n, "no documented multi-node serving mode") {
				t.Errorf("notes: %s", n)
			}
		})
	}
}

// TestKubernetes_MultiNodeModelStaysOutOfTheShell: the leader's shell
// script reads MODEL from the environment, so a repository name (or a
// hostile workload name) never becomes shell text.
func TestKubernetes_MultiNodeModelStaysOutOfTheShell(t *testing.T) {
	p := multiNodePlan(t, "vllm")
	w := chat(t, p)
	w.Spec.Model.Repo = "org/x$(reboot)';touch_pwn"
	w.Workload = "Frontier Chat'; $(reboot) #"
	files, _, err := Generate(p, []string{"k8s"})
	if err != nil {
		t.Fatal(err)
	}
	name := "k8s/" + slug(w.Workload) + ".yaml"
	for _, m := range objects(t, file(t, files, name)) {
		if m["kind"] != "LeaderWorkerSet" {
			continue
		}
		l := checkLWS(t, m)
		c := l.Spec.LeaderWorkerTemplate.LeaderTemplate.Spec.Containers[0]
		script := c.Command[len(c.Command)-1]
		if strings.Contains(script, "reboot") || strings.Contains(script, "pwn") || strings.Contains(script, "Frontier") {
			t.Errorf("workload strings in the shell script: %s", script)
		}
		if c.Env[0].Name != "MODEL" || c.Env[0].Value != w.Spec.Model.Repo {
			t.Errorf("MODEL env %+v", c.Env[0])
		}
		if l.Metadata.Name != slug(w.Workload) {
			t.Errorf("name %q", l.Metadata.Name)
		}
		return
	}
	t.Fatal("no LeaderWorkerSet")
}

// The shell quoting the leader script uses.
func TestShQuote(t *testing.T) {
	for in, want := range map[string]string{"8": "'8'", "a'b": `'a'\''b'`, "": "''", "$(x)": "'$(x)'"} {
		if got := shQuote(in); got != want {
			t.Errorf("shQuote(%q) = %s, want %s", in, got, want)
		}
	}
}
