package export

import (
	"fmt"
	"math"

	"github.com/aiplan-dev/aiplan/blueprint"
	"github.com/aiplan-dev/aiplan/plan"
	"github.com/aiplan-dev/aiplan/spec"
	"k8s.io/apimachinery/pkg/runtime"
)

// The self-hosted stream (Apache Kafka on Kubernetes, Strimzi operator) as
// the blueprint designs it: brokers that accept only TLS with client
// certificates and deny by default (simple authorization; the deployment
// adds a KafkaUser per client), replication factor 3, and one topic per
// streaming pipeline whose retention.ms is the blueprint's stream
// retention. The compliance matrix counts the stream's retention, TLS and
// authentication as configured only because this writes them.
//
// Objects follow the Strimzi API kafka.strimzi.io/v1beta2 (Strimzi
// documentation, "Kafka", "KafkaNodePool" and "KafkaTopic" schema
// references, read 2026-12), KRaft mode with node pools; written as
// unstructured objects from the typed subset below.

const strimziAPI = "kafka.strimzi.io/v1beta2"

// kafkaCluster is the Kafka resource's name, which node pools and topics
// name in their strimzi.io/cluster label.
const kafkaCluster = "stream"

type strimziMeta struct {
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Kafka is the subset of the Strimzi Kafka resource the export writes.
type Kafka struct {
	APIVersion string      `json:"apiVersion"`
	Kind       string      `json:"kind"`
	Metadata   strimziMeta `json:"metadata"`
	Spec       struct {
		Kafka struct {
			Listeners     []KafkaListener   `json:"listeners"`
			Authorization map[string]string `json:"authorization"`
			Config        map[string]any    `json:"config"`
		} `json:"kafka"`
		EntityOperator struct {
			TopicOperator struct{} `json:"topicOperator"`
			UserOperator  struct{} `json:"userOperator"`
		} `json:"entityOperator"`
	} `json:"spec"`
}

// KafkaListener is one listener of the Kafka resource.
type KafkaListener struct {
	Name           string            `json:"name"`
	Port           int               `json:"port"`
	Type           string            `json:"type"`
	TLS            bool              `json:"tls"`
	Authentication map[string]string `json:"authentication"`
}

// KafkaNodePool is the subset of the Strimzi KafkaNodePool the export writes.
type KafkaNodePool struct {
	APIVersion string      `json:"apiVersion"`
	Kind       string      `json:"kind"`
	Metadata   strimziMeta `json:"metadata"`
	Spec       struct {
		Replicas int      `json:"replicas"`
		Roles    []string `json:"roles"`
		Storage  struct {
			Type    string `json:"type"`
			Volumes []struct {
				ID            int    `json:"id"`
				Type          string `json:"type"`
				Size          string `json:"size"`
				DeleteClaim   bool   `json:"deleteClaim"`
				KRaftMetadata string `json:"kraftMetadata"`
			} `json:"volumes"`
		} `json:"storage"`
	} `json:"spec"`
}

// KafkaTopic is the subset of the Strimzi KafkaTopic the export writes.
type KafkaTopic struct {
	APIVersion string      `json:"apiVersion"`
	Kind       string      `json:"kind"`
	Metadata   strimziMeta `json:"metadata"`
	Spec       struct {
		Partitions int               `json:"partitions"`
		Replicas   int               `json:"replicas"`
		Config     map[string]string `json:"config"`
	} `json:"spec"`
}

// streamExported returns the blueprint's self-hosted stream when the
// blueprint counts its retention as written by the export.
func streamExported(bp *blueprint.Blueprint) *blueprint.Component {
	if bp == nil {
		return nil
	}
	for i := range bp.Components {
		c := &bp.Components[i]
		if c.ID == "streaming" && !c.Managed && len(c.Retention) > 0 && exports(c, "retention-enforced") {
			return c
		}
	}
	return nil
}

// kafkaObjects writes the cluster, its node pool and one topic per
// streaming pipeline the stream serves.
func kafkaObjects(p *plan.Plan, ns string, stream *blueprint.Component) ([]runtime.Object, error) {
	retentionMS := int64(stream.Retention[0].Days) * 24 * 3600 * 1000
	labels := map[string]string{labelPlan: ns, "app.kubernetes.io/managed-by": "aiplan"}
	meta := func(name string, cluster bool) strimziMeta {
		m := strimziMeta{Name: name, Namespace: ns, Labels: map[string]string{}}
		for k, v := range labels {
			m.Labels[k] = v
		}
		if cluster {
			m.Labels["strimzi.io/cluster"] = kafkaCluster
		}
		return m
	}
	brokers, perDay, partitions := 3, 0.0, 0
	hours := 730.0
	if p.Catalog != nil {
		if r, ok := p.Catalog.Rate("hours-per-month"); ok && r.Value > 0 {
			hours = r.Value
		}
	}
	var topics []KafkaTopic
	for i := range p.Workloads {
		w := &p.Workloads[i]
		if w.Type != spec.DataPipeline || w.Spec == nil || !w.Spec.Streaming || !has(stream.Serves, w.Workload) {
			continue
		}
		perDay += w.Spec.IngestGBPerDay
		if w.Choice != nil {
			for _, l := range w.Choice.Components {
				if l.Unit == "broker-hours" {
					brokers = max(brokers, int(math.Round(l.Quantity/hours)))
				}
			}
		}
		t := KafkaTopic{APIVersion: strimziAPI, Kind: "KafkaTopic", Metadata: meta(clip(slug(w.Workload), 63), true)}
		// partitions: one per broker per 10 MB/s of peak produce (3x the
		// daily mean), at least one per broker
		mbps := w.Spec.IngestGBPerDay * 1000 / 86400
		partitions = max(3, int(math.Ceil(mbps*3/10))*3)
		t.Spec.Partitions, t.Spec.Replicas = partitions, 3
		t.Spec.Config = map[string]string{"retention.ms": fmt.Sprint(retentionMS), "cleanup.policy": "delete", "min.insync.replicas": "2"}
		topics = append(topics, t)
	}
	if len(topics) == 0 {
		return nil, nil
	}
	k := Kafka{APIVersion: strimziAPI, Kind: "Kafka", Metadata: meta(kafkaCluster, false)}
	k.Metadata.Annotations = map[string]string{"strimzi.io/node-pools": "enabled", "strimzi.io/kraft": "enabled"}
	// TLS only, clients authenticated by certificate; no plaintext listener
	k.Spec.Kafka.Listeners = []KafkaListener{{Name: "tls", Port: 9093, Type: "internal", TLS: true, Authentication: map[string]string{"type": "tls"}}}
	k.Spec.Kafka.Authorization = map[string]string{"type": "simple"}
	k.Spec.Kafka.Config = map[string]any{
		"default.replication.factor": 3, "min.insync.replicas": 2,
		"offsets.topic.replication.factor": 3, "transaction.state.log.replication.factor": 3, "transaction.state.log.min.isr": 2,
		// topics created outside the export expire like the planned ones
		"log.retention.ms": retentionMS, "auto.create.topics.enable": false,
	}
	np := KafkaNodePool{APIVersion: strimziAPI, Kind: "KafkaNodePool", Metadata: meta("brokers", true)}
	np.Spec.Replicas = brokers
	np.Spec.Roles = []string{"controller", "broker"}
	np.Spec.Storage.Type = "jbod"
	// a week of ingest, three replicas, spread over the brokers, 20% headroom
	gb := math.Max(100, math.Ceil(perDay*float64(stream.Retention[0].Days)*3/float64(brokers)*1.2))
	np.Spec.Storage.Volumes = append(np.Spec.Storage.Volumes, struct {
		ID            int    `json:"id"`
		Type          string `json:"type"`
		Size          string `json:"size"`
		DeleteClaim   bool   `json:"deleteClaim"`
		KRaftMetadata string `json:"kraftMetadata"`
	}{0, "persistent-claim", fmt.Sprintf("%.0fGi", gb), false, "shared"})
	var out []runtime.Object
	objs := []any{k, np}
	for _, t := range topics {
		objs = append(objs, t)
	}
	for _, o := range objs {
		u, err := toUnstructured(o)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}
