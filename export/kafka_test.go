package export

import (
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// The Strimzi kafka.strimzi.io/v1beta2 schema of the fields the export may
// write, transcribed from the Strimzi documentation's schema reference
// ("Kafka schema reference", "KafkaNodePool schema reference",
// "KafkaTopic schema reference", read 2026-12) independently of
// export/kafka.go: a strict decode into these rejects unknown fields.
type strimziTestMeta struct {
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

type strimziKafka struct {
	APIVersion string          `json:"apiVersion"`
	Kind       string          `json:"kind"`
	Metadata   strimziTestMeta `json:"metadata"`
	Spec       struct {
		Kafka struct {
			Version         string `json:"version,omitempty"`
			MetadataVersion string `json:"metadataVersion,omitempty"`
			Listeners       []struct {
				Name           string `json:"name"`
				Port           int    `json:"port"`
				Type           string `json:"type"`
				TLS            bool   `json:"tls"`
				Authentication *struct {
					Type string `json:"type"`
				} `json:"authentication,omitempty"`
			} `json:"listeners"`
			Authorization *struct {
				Type       string   `json:"type"`
				SuperUsers []string `json:"superUsers,omitempty"`
			} `json:"authorization,omitempty"`
			Config map[string]any `json:"config,omitempty"`
		} `json:"kafka"`
		EntityOperator *struct {
			TopicOperator *struct{} `json:"topicOperator,omitempty"`
			UserOperator  *struct{} `json:"userOperator,omitempty"`
		} `json:"entityOperator,omitempty"`
	} `json:"spec"`
}

type strimziNodePool struct {
	APIVersion string          `json:"apiVersion"`
	Kind       string          `json:"kind"`
	Metadata   strimziTestMeta `json:"metadata"`
	Spec       struct {
		Replicas int      `json:"replicas"`
		Roles    []string `json:"roles"`
		Storage  struct {
			Type    string `json:"type"`
			Volumes []struct {
				ID            int    `json:"id"`
				Type          string `json:"type"`
				Size          string `json:"size,omitempty"`
				Class         string `json:"class,omitempty"`
				DeleteClaim   bool   `json:"deleteClaim,omitempty"`
				KRaftMetadata string `json:"kraftMetadata,omitempty"`
			} `json:"volumes,omitempty"`
		} `json:"storage"`
	} `json:"spec"`
}

type strimziTopic struct {
	APIVersion string          `json:"apiVersion"`
	Kind       string          `json:"kind"`
	Metadata   strimziTestMeta `json:"metadata"`
	Spec       struct {
		TopicName  string            `json:"topicName,omitempty"`
		Partitions int               `json:"partitions"`
		Replicas   int               `json:"replicas"`
		Config     map[string]string `json:"config,omitempty"`
	} `json:"spec"`
}

// strimziKind decodes a Strimzi object strictly and returns its kind.
func strimziKind(t *testing.T, where string, doc []byte) string {
	t.Helper()
	var head struct {
		Kind string `json:"kind"`
	}
	_ = yaml.Unmarshal(doc, &head)
	var err error
	switch head.Kind {
	case "Kafka":
		var k strimziKafka
		err = yaml.UnmarshalStrict(doc, &k)
		for _, l := range k.Spec.Kafka.Listeners {
			if !oneOfStr(l.Type, "internal", "route", "loadbalancer", "nodeport", "ingress", "cluster-ip") {
				t.Errorf("%s: listener type %s", where, l.Type)
			}
		}
	case "KafkaNodePool":
		var np strimziNodePool
		err = yaml.UnmarshalStrict(doc, &np)
		for _, r := range np.Spec.Roles {
			if !oneOfStr(r, "controller", "broker") {
				t.Errorf("%s: role %s", where, r)
			}
		}
	case "KafkaTopic":
		var tp strimziTopic
		err = yaml.UnmarshalStrict(doc, &tp)
	default:
		t.Errorf("%s: unexpected Strimzi kind %s", where, head.Kind)
	}
	if err != nil {
		t.Errorf("%s: %v", where, err)
	}
	return head.Kind
}

// streamRetentionMS is the retention.ms every exported topic and the
// cluster default agree on (-1 when they disagree or none is written).
func streamRetentionMS(t *testing.T, files []File) int64 {
	got := int64(-1)
	for _, f := range files {
		if f.Path != "k8s/02-kafka.yaml" {
			continue
		}
		for _, doc := range strings.Split(string(f.Data), "\n---\n")[1:] {
			var v int64
			switch strimziKind(t, f.Path, []byte(doc)) {
			case "Kafka":
				var k strimziKafka
				_ = yaml.Unmarshal([]byte(doc), &k)
				x, _ := k.Spec.Kafka.Config["log.retention.ms"].(float64)
				v = int64(x)
			case "KafkaTopic":
				var tp strimziTopic
				_ = yaml.Unmarshal([]byte(doc), &tp)
				v, _ = strconv.ParseInt(tp.Spec.Config["retention.ms"], 10, 64)
			default:
				continue
			}
			if got != -1 && got != v {
				return -1
			}
			got = v
		}
	}
	return got
}

// TestKubernetes_StreamAsClaimed: wherever the self-hosted stream claims
// TLS, authentication, access control and retention as exported, the
// Kubernetes export writes a Kafka cluster whose only listener is TLS with
// client certificates and simple authorization, a topic per streaming
// pipeline with replication 3, and kustomization.yaml applies it.
func TestKubernetes_StreamAsClaimed(t *testing.T) {
	checked := 0
	for _, ex := range examples(t) {
		p := examplePlan(t, ex)
		stream := streamExported(p.Blueprint)
		if stream == nil {
			continue
		}
		for _, cap := range []string{"encryption-in-transit", "authentication", "access-control"} {
			if !has(stream.Exported, cap) {
				t.Errorf("%s: the export writes the stream's %s, the blueprint does not count it", ex, cap)
			}
		}
		files := generate(t, ex)
		data := string(file(t, files, "k8s/02-kafka.yaml"))
		topics := map[string]bool{}
		for _, doc := range strings.Split(data, "\n---\n")[1:] {
			switch strimziKind(t, ex, []byte(doc)) {
			case "Kafka":
				var k strimziKafka
				_ = yaml.Unmarshal([]byte(doc), &k)
				for _, l := range k.Spec.Kafka.Listeners {
					if !l.TLS || l.Authentication == nil || l.Authentication.Type != "tls" {
						t.Errorf("%s: listener %s accepts plaintext or unauthenticated clients", ex, l.Name)
					}
				}
				if len(k.Spec.Kafka.Listeners) == 0 || k.Spec.Kafka.Authorization == nil || k.Spec.Kafka.Authorization.Type != "simple" {
					t.Errorf("%s: no listener or no authorization", ex)
				}
			case "KafkaTopic":
				var tp strimziTopic
				_ = yaml.Unmarshal([]byte(doc), &tp)
				if tp.Metadata.Labels["strimzi.io/cluster"] != "stream" || tp.Spec.Replicas != 3 {
					t.Errorf("%s: topic %s not on the cluster with 3 replicas", ex, tp.Metadata.Name)
				}
				topics[tp.Metadata.Name] = true
			}
		}
		for _, w := range p.Workloads {
			if w.Spec != nil && w.Spec.Streaming && has(stream.Serves, w.Workload) && !topics[slug(w.Workload)] {
				t.Errorf("%s: no topic for %s", ex, w.Workload)
			}
		}
		if got := streamRetentionMS(t, files); got != int64(stream.Retention[0].Days)*86400000 {
			t.Errorf("%s: retention.ms %d, want %d days", ex, got, stream.Retention[0].Days)
		}
		if !strings.Contains(string(file(t, files, "k8s/kustomization.yaml")), "- 02-kafka.yaml") {
			t.Errorf("%s: kustomization.yaml does not apply the stream", ex)
		}
		checked++
	}
	if checked < 2 {
		t.Errorf("only %d examples export the stream", checked)
	}
}
