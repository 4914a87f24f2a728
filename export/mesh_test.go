package export

import (
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/yaml"
)

// The Istio security.istio.io/v1 schema of the fields the export may write,
// transcribed from the Istio reference documentation ("PeerAuthentication",
// "Authorization Policy", read 2026-12) independently of export/mesh.go:
// a strict decode into these rejects unknown or misplaced fields.
type istioMeta struct {
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

type istioSelector struct {
	MatchLabels map[string]string `json:"matchLabels,omitempty"`
}

type istioPeerAuthentication struct {
	APIVersion string    `json:"apiVersion"`
	Kind       string    `json:"kind"`
	Metadata   istioMeta `json:"metadata"`
	Spec       struct {
		Selector *istioSelector `json:"selector,omitempty"`
		MTLS     *struct {
			Mode string `json:"mode"`
		} `json:"mtls,omitempty"`
		PortLevelMtls map[string]struct {
			Mode string `json:"mode"`
		} `json:"portLevelMtls,omitempty"`
	} `json:"spec"`
}

type istioSource struct {
	Principals           []string `json:"principals,omitempty"`
	NotPrincipals        []string `json:"notPrincipals,omitempty"`
	RequestPrincipals    []string `json:"requestPrincipals,omitempty"`
	NotRequestPrincipals []string `json:"notRequestPrincipals,omitempty"`
	Namespaces           []string `json:"namespaces,omitempty"`
	NotNamespaces        []string `json:"notNamespaces,omitempty"`
	IPBlocks             []string `json:"ipBlocks,omitempty"`
	NotIPBlocks          []string `json:"notIpBlocks,omitempty"`
	RemoteIPBlocks       []string `json:"remoteIpBlocks,omitempty"`
	NotRemoteIPBlocks    []string `json:"notRemoteIpBlocks,omitempty"`
}

type istioAuthorizationPolicy struct {
	APIVersion string    `json:"apiVersion"`
	Kind       string    `json:"kind"`
	Metadata   istioMeta `json:"metadata"`
	Spec       struct {
		Selector *istioSelector `json:"selector,omitempty"`
		Action   string         `json:"action,omitempty"`
		Rules    []struct {
			From []struct {
				Source istioSource `json:"source"`
			} `json:"from,omitempty"`
			To []struct {
				Operation struct {
					Ports   []string `json:"ports,omitempty"`
					Methods []string `json:"methods,omitempty"`
					Paths   []string `json:"paths,omitempty"`
				} `json:"operation"`
			} `json:"to,omitempty"`
		} `json:"rules,omitempty"`
	} `json:"spec"`
}

// istioKind decodes an Istio security object strictly against the schema
// above, checks its enums, and returns its kind.
func istioKind(t *testing.T, where string, doc []byte) string {
	t.Helper()
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := yaml.Unmarshal(doc, &head); err != nil {
		t.Errorf("%s: %v", where, err)
		return ""
	}
	if head.APIVersion != "security.istio.io/v1" {
		t.Errorf("%s: apiVersion %s", where, head.APIVersion)
	}
	switch head.Kind {
	case "PeerAuthentication":
		var pa istioPeerAuthentication
		if err := yaml.UnmarshalStrict(doc, &pa); err != nil {
			t.Errorf("%s: %v", where, err)
		}
		if pa.Spec.MTLS == nil || !oneOfStr(pa.Spec.MTLS.Mode, "UNSET", "DISABLE", "PERMISSIVE", "STRICT") {
			t.Errorf("%s: mtls mode %+v", where, pa.Spec.MTLS)
		}
	case "AuthorizationPolicy":
		var ap istioAuthorizationPolicy
		if err := yaml.UnmarshalStrict(doc, &ap); err != nil {
			t.Errorf("%s: %v", where, err)
		}
		if !oneOfStr(ap.Spec.Action, "", "ALLOW", "DENY", "AUDIT", "CUSTOM") {
			t.Errorf("%s: action %q", where, ap.Spec.Action)
		}
	default:
		t.Errorf("%s: unexpected Istio kind %s", where, head.Kind)
	}
	return head.Kind
}

func oneOfStr(s string, allowed ...string) bool {
	for _, a := range allowed {
		if s == a {
			return true
		}
	}
	return false
}

// TestKubernetes_MeshAsClaimed: wherever a serving or training component
// claims encryption in transit as exported, the Kubernetes export enrols
// the plan's namespace in the ambient mesh, requires STRICT mTLS for the
// whole namespace, allows only the gateway, monitoring and the namespace's
// own identities, lists the file in kustomization.yaml, and its
// NetworkPolicies admit the HBONE port.
func TestKubernetes_MeshAsClaimed(t *testing.T) {
	checked := 0
	for _, ex := range examples(t) {
		p := examplePlan(t, ex)
		claims := 0
		for _, c := range p.Blueprint.Components {
			if (c.Layer == "serving" || c.ID == "training") && has(c.Exported, "encryption-in-transit") {
				claims++
				if !has(c.Exported, "authentication") {
					t.Errorf("%s %s: mTLS without peer authentication", ex, c.ID)
				}
			}
		}
		if claims == 0 {
			continue
		}
		files := generate(t, ex)
		ns := slug(p.Name)
		var nsObj corev1.Namespace
		if err := yaml.Unmarshal(bodyAfterHeader(file(t, files, "k8s/00-namespace.yaml")), &nsObj); err != nil {
			t.Fatal(err)
		}
		if nsObj.Labels[ambientLabel] != "ambient" {
			t.Errorf("%s: namespace %s not enrolled in the ambient mesh: %v", ex, ns, nsObj.Labels)
		}
		mesh := string(file(t, files, "k8s/01-mesh.yaml"))
		strict, allow := false, false
		for _, doc := range strings.Split(mesh, "\n---\n")[1:] {
			switch istioKind(t, ex, []byte(doc)) {
			case "PeerAuthentication":
				var pa istioPeerAuthentication
				_ = yaml.Unmarshal([]byte(doc), &pa)
				strict = pa.Spec.Selector == nil && pa.Spec.MTLS.Mode == "STRICT" && pa.Metadata.Namespace == ns
			case "AuthorizationPolicy":
				var ap istioAuthorizationPolicy
				_ = yaml.Unmarshal([]byte(doc), &ap)
				var from []string
				for _, r := range ap.Spec.Rules {
					for _, f := range r.From {
						from = append(from, f.Source.Namespaces...)
					}
				}
				allow = ap.Spec.Action == "ALLOW" && ap.Metadata.Namespace == ns && strings.Join(from, ",") == gatewayNS+",monitoring,"+ns
			}
		}
		if !strict || !allow {
			t.Errorf("%s: STRICT %v, allow-list %v in %s", ex, strict, allow, mesh)
		}
		if !strings.Contains(string(file(t, files, "k8s/kustomization.yaml")), "- 01-mesh.yaml") {
			t.Errorf("%s: kustomization.yaml does not apply the mesh policies", ex)
		}
		for _, f := range files {
			for _, doc := range strings.Split(string(f.Data), "\n---\n") {
				if !strings.Contains(doc, "kind: NetworkPolicy") {
					continue
				}
				var np networkingv1.NetworkPolicy
				if err := yaml.Unmarshal([]byte(doc), &np); err != nil {
					t.Fatal(err)
				}
				for _, in := range np.Spec.Ingress {
					hbone := false
					for _, pt := range in.Ports {
						hbone = hbone || pt.Port.IntValue() == hbonePort
					}
					if !hbone {
						t.Errorf("%s %s: NetworkPolicy %s blocks the mesh's HBONE port", ex, f.Path, np.Name)
					}
				}
			}
		}
		checked++
	}
	if checked < 3 {
		t.Errorf("only %d examples with the mesh exported", checked)
	}
}

func bodyAfterHeader(data []byte) []byte {
	parts := strings.SplitN(string(data), "\n---\n", 2)
	return []byte(parts[len(parts)-1])
}

// TestTerraform_TransitAsClaimed: wherever a bucket store claims encryption
// in transit as exported, the Terraform refuses plaintext to it: on AWS a
// bucket policy denying aws:SecureTransport false on the bucket and its
// objects; on Azure an HTTPS-only account with TLS 1.2 at least (Cloud
// Storage serves only HTTPS).
func TestTerraform_TransitAsClaimed(t *testing.T) {
	checked := 0
	for _, ex := range examples(t) {
		p := examplePlan(t, ex)
		for _, c := range p.Blueprint.Components {
			bucket := map[string]string{"lake": "lake", "model-store": "checkpoints"}[c.ID]
			if bucket == "" || !has(c.Exported, "encryption-in-transit") {
				continue
			}
			data := file(t, generate(t, ex), "terraform/"+c.Cloud+".tf")
			switch c.Cloud {
			case "aws":
				// One bucket per site: "lake" on a single-region plan,
				// "lake_<region>" when the plan uses several regions.
				re := regexp.MustCompile(`resource "aws_s3_bucket_policy" "(` + bucket + `(?:_[a-z0-9_]+)?)" \{\n(?:  provider = [^\n]+\n)?  bucket +\= aws_s3_bucket\.(` + bucket + `(?:_[a-z0-9_]+)?)\.id`)
				ms := re.FindAllSubmatchIndex(data, -1)
				if len(ms) == 0 {
					t.Errorf("%s: no bucket policy on %s", ex, bucket)
					continue
				}
				for _, m := range ms {
					name := string(data[m[4]:m[5]])
					pol := string(data[m[0]:])
					pol = pol[:strings.Index(pol, "\n}\n")]
					for _, s := range []string{`"Effect"    = "Deny"`, `"Principal" = "*"`, `"aws:SecureTransport" = "false"`, `[aws_s3_bucket.` + name + `.arn, format("%s/*", aws_s3_bucket.` + name + `.arn)]`} {
						if !strings.Contains(pol, s) {
							t.Errorf("%s: %s policy lacks %s", ex, name, s)
						}
					}
				}
			case "azure":
				hf, diags := hclparse.NewParser().ParseHCL(data, "azure.tf")
				if diags.HasErrors() {
					t.Fatal(diags.Error())
				}
				for _, sa := range blocks(hf.Body.(*hclsyntax.Body), "resource", "azurerm_storage_account", "lake") {
					if attrString(sa, "min_tls_version") != "TLS1_2" || traversal(data, sa, "https_traffic_only_enabled") != "true" {
						t.Errorf("%s: lake account accepts plaintext or old TLS", ex)
					}
				}
			}
			checked++
		}
	}
	if checked < 4 {
		t.Errorf("only %d stores checked", checked)
	}
}
