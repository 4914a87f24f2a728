package export

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// TestTerraform_HasTheRetentionRulesTheMatrixClaims: wherever a component
// claims retention as exported (the only way the compliance matrix counts
// retention as "tooling present"), the cloud's Terraform holds each expiry
// rule with its prefix and days.
func TestTerraform_HasTheRetentionRulesTheMatrixClaims(t *testing.T) {
	checked := 0
	for _, ex := range examples(t) {
		p := examplePlan(t, ex)
		tf := map[string]*hclsyntax.Body{}
		for _, f := range generate(t, ex) {
			if !strings.HasPrefix(f.Path, "terraform/") {
				continue
			}
			file, diags := hclparse.NewParser().ParseHCL(f.Data, f.Path)
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			cloud := strings.TrimSuffix(strings.TrimPrefix(f.Path, "terraform/"), ".tf")
			tf[cloud] = file.Body.(*hclsyntax.Body)
		}
		for _, c := range p.Blueprint.Components {
			exported := false
			for _, e := range c.Exported {
				exported = exported || e == "retention-enforced"
			}
			if !exported {
				continue
			}
			if c.ID == "streaming" {
				// the self-hosted stream's retention is in its Kubernetes
				// topics (TestKubernetes_StreamAsClaimed)
				for _, r := range c.Retention {
					if got := streamRetentionMS(t, generate(t, ex)); got != int64(r.Days)*86400000 {
						t.Errorf("%s: stream retention %d ms, want %d days", ex, got, r.Days)
					}
					checked++
				}
				continue
			}
			body := tf[c.Cloud]
			if body == nil {
				t.Errorf("%s: %s claims exported retention but no Terraform for %s", ex, c.ID, c.Cloud)
				continue
			}
			for _, r := range c.Retention {
				if c.Cloud == "azure" && r.Noncurrent {
					continue
				}
				if !hasRule(body, c.ID, c.Cloud, r.Prefix, r.Days, r.Noncurrent) {
					t.Errorf("%s %s on %s: no rule for prefix %q, %d days (noncurrent %v)", ex, c.ID, c.Cloud, r.Prefix, r.Days, r.Noncurrent)
				}
				checked++
			}
		}
	}
	if checked < 5 {
		t.Errorf("only %d retention rules checked across the examples", checked)
	}
}

func attrInt(b *hclsyntax.Body, name string) (int, bool) {
	a, ok := b.Attributes[name]
	if !ok {
		return 0, false
	}
	v, d := a.Expr.Value(nil)
	if d.HasErrors() || !v.Type().IsPrimitiveType() {
		return 0, false
	}
	f, _ := v.AsBigFloat().Int64()
	return int(f), true
}

func attrString(b *hclsyntax.Body, name string) string {
	a, ok := b.Attributes[name]
	if !ok {
		return ""
	}
	v, d := a.Expr.Value(nil)
	if d.HasErrors() {
		return ""
	}
	if v.Type().IsListType() || v.Type().IsTupleType() {
		var parts []string
		for _, x := range v.AsValueSlice() {
			parts = append(parts, x.AsString())
		}
		return strings.Join(parts, ",")
	}
	return fmt.Sprint(v.AsString())
}

func blocks(b *hclsyntax.Body, typ string, labels ...string) []*hclsyntax.Body {
	var out []*hclsyntax.Body
	for _, blk := range b.Blocks {
		if blk.Type != typ || len(blk.Labels) < len(labels) {
			continue
		}
		match := true
		for i, l := range labels {
			// a multi-region file suffixes the last label with the region
			match = match && (blk.Labels[i] == l || i == len(labels)-1 && i == 1 && strings.HasPrefix(blk.Labels[i], l+"_") && regionSuffix(blk.Labels[i][len(l)+1:]))
		}
		if match {
			out = append(out, blk.Body)
		}
	}
	return out
}

// hasRule finds the expiry rule in the Terraform of one cloud.
func hasRule(body *hclsyntax.Body, component, cloud, prefix string, days int, noncurrent bool) bool {
	if component == "logs" {
		for typ, attr := range map[string]string{"aws_cloudwatch_log_group": "retention_in_days", "google_logging_project_bucket_config": "retention_days", "azurerm_log_analytics_workspace": "retention_in_days"} {
			for _, r := range blocks(body, "resource", typ) {
				if d, ok := attrInt(r, attr); ok && d == days {
					return true
				}
			}
		}
		return false
	}
	if component == "backups" {
		return hasBackupExpiry(body, cloud, days)
	}
	switch cloud {
	case "aws":
		for _, lc := range blocks(body, "resource", "aws_s3_bucket_lifecycle_configuration", "lake") {
			for _, rule := range blocks(lc, "rule") {
				pfx := ""
				for _, f := range blocks(rule, "filter") {
					pfx = attrString(f, "prefix")
				}
				if pfx != prefix || attrString(rule, "status") != "Enabled" {
					continue
				}
				if noncurrent {
					for _, e := range blocks(rule, "noncurrent_version_expiration") {
						if d, _ := attrInt(e, "noncurrent_days"); d == days {
							return true
						}
					}
				} else {
					for _, e := range blocks(rule, "expiration") {
						if d, _ := attrInt(e, "days"); d == days {
							return true
						}
					}
				}
			}
		}
	case "gcp":
		for _, bk := range blocks(body, "resource", "google_storage_bucket", "lake") {
			for _, lr := range blocks(bk, "lifecycle_rule") {
				for _, cond := range blocks(lr, "condition") {
					if noncurrent {
						if d, _ := attrInt(cond, "days_since_noncurrent_time"); d == days {
							return true
						}
					} else if d, _ := attrInt(cond, "age"); d == days && attrString(cond, "matches_prefix") == prefix {
						return true
					}
				}
			}
		}
	case "azure":
		for _, mp := range blocks(body, "resource", "azurerm_storage_management_policy", "lake") {
			for _, rule := range blocks(mp, "rule") {
				for _, f := range blocks(rule, "filters") {
					if attrString(f, "prefix_match") != "lake/"+prefix {
						continue
					}
					for _, a := range blocks(rule, "actions") {
						for _, bb := range blocks(a, "base_blob") {
							if d, _ := attrInt(bb, "delete_after_days_since_modification_greater_than"); d == days {
								return true
							}
						}
					}
				}
			}
		}
	}
	return false
}

// regionSuffix reports whether a label suffix is a catalog region's
// identifier ("eu_west_1").
func regionSuffix(sfx string) bool {
	for _, r := range cat.Regions {
		if ident(r.ID) == sfx {
			return true
		}
	}
	return false
}
