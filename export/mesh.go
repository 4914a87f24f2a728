package export

import (
	"encoding/json"

	"github.com/aiplan-dev/aiplan/blueprint"
	"github.com/aiplan-dev/aiplan/plan"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// Encryption in transit inside the cluster: when the blueprint designs the
// service mesh (Istio in ambient mode), the Kubernetes export enrols the
// plan's namespace in it and requires mutual TLS for every pod there
// (PeerAuthentication STRICT), and admits connections only from the
// gateway's and the monitoring namespace's mesh identities and the
// namespace's own (AuthorizationPolicy). The compliance matrix counts
// in-cluster encryption in transit as configured only for what this writes.
//
// The objects follow the Istio API security.istio.io/v1 (Istio reference
// documentation, "PeerAuthentication" and "Authorization Policy", read
// 2026-12); no Go module of Istio's is a dependency, so they are written as
// unstructured objects from the typed subset below.

// Ambient mode: the namespace label that enrols its pods, and the HBONE
// port the ztunnel tunnels mesh traffic over, which NetworkPolicies must
// admit (Istio docs, "Ambient and Kubernetes NetworkPolicy").
const (
	ambientLabel = "istio.io/dataplane-mode"
	hbonePort    = 15008
	istioAPI     = "security.istio.io/v1"
)

// PeerAuthentication is the subset of security.istio.io/v1 the export writes.
type PeerAuthentication struct {
	APIVersion string                 `json:"apiVersion"`
	Kind       string                 `json:"kind"`
	Metadata   meshMeta               `json:"metadata"`
	Spec       PeerAuthenticationSpec `json:"spec"`
}

// PeerAuthenticationSpec: no selector, so it applies to the whole namespace.
type PeerAuthenticationSpec struct {
	MTLS struct {
		// Mode is UNSET, DISABLE, PERMISSIVE or STRICT.
		Mode string `json:"mode"`
	} `json:"mtls"`
}

// AuthorizationPolicy is the subset of security.istio.io/v1 the export writes.
type AuthorizationPolicy struct {
	APIVersion string                  `json:"apiVersion"`
	Kind       string                  `json:"kind"`
	Metadata   meshMeta                `json:"metadata"`
	Spec       AuthorizationPolicySpec `json:"spec"`
}

// AuthorizationPolicySpec: ALLOW with rules; anything matching no rule is
// denied. Source namespaces are taken from the peers' mTLS identities.
type AuthorizationPolicySpec struct {
	Action string     `json:"action"`
	Rules  []authRule `json:"rules"`
}

type authRule struct {
	From []authFrom `json:"from"`
}

type authFrom struct {
	Source struct {
		Namespaces []string `json:"namespaces"`
	} `json:"source"`
}

type meshMeta struct {
	Name      string            `json:"name"`
	Namespace string            `json:"namespace"`
	Labels    map[string]string `json:"labels,omitempty"`
}

// meshExported reports whether the blueprint's mesh is written by the
// Kubernetes export (its "mtls" capability exported).
func meshExported(bp *blueprint.Blueprint) bool {
	if bp == nil {
		return false
	}
	for _, c := range bp.Components {
		if c.ID == "mesh" {
			for _, e := range c.Exported {
				if e == "mtls" {
					return true
				}
			}
		}
	}
	return false
}

// meshObjects are the namespace's PeerAuthentication and AuthorizationPolicy.
func meshObjects(p *plan.Plan, ns string) ([]runtime.Object, error) {
	meta := func(name string) meshMeta {
		return meshMeta{Name: name, Namespace: ns, Labels: map[string]string{labelPlan: ns, "app.kubernetes.io/managed-by": "aiplan"}}
	}
	pa := PeerAuthentication{APIVersion: istioAPI, Kind: "PeerAuthentication", Metadata: meta("default")}
	pa.Spec.MTLS.Mode = "STRICT"
	ap := AuthorizationPolicy{APIVersion: istioAPI, Kind: "AuthorizationPolicy", Metadata: meta("allow-gateway-monitoring-and-namespace"), Spec: AuthorizationPolicySpec{Action: "ALLOW"}}
	var from authFrom
	from.Source.Namespaces = []string{gatewayNS, "monitoring", ns}
	ap.Spec.Rules = []authRule{{From: []authFrom{from}}}
	var out []runtime.Object
	for _, o := range []any{pa, ap} {
		u, err := toUnstructured(o)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}

func toUnstructured(o any) (*unstructured.Unstructured, error) {
	b, err := json.Marshal(o)
	if err != nil {
		return nil, err
	}
	u := &unstructured.Unstructured{}
	if err := json.Unmarshal(b, &u.Object); err != nil {
		return nil, err
	}
	return u, nil
}
