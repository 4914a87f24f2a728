package export

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// TestTerraform_DataPlaneAsClaimed: where the audit logs, the warehouse's
// region or the logs' copy count as exported, the Terraform writes them.
func TestTerraform_DataPlaneAsClaimed(t *testing.T) {
	checked := map[string]int{}
	for _, ex := range examples(t) {
		p := examplePlan(t, ex)
		tf := map[string][]byte{}
		for _, f := range generate(t, ex) {
			if strings.HasPrefix(f.Path, "terraform/") {
				tf[strings.TrimSuffix(strings.TrimPrefix(f.Path, "terraform/"), ".tf")] = f.Data
			}
		}
		parse := func(cloud string) *hclsyntax.Body {
			hf, diags := hclparse.NewParser().ParseHCL(tf[cloud], cloud+".tf")
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			return hf.Body.(*hclsyntax.Body)
		}
		for _, c := range p.Blueprint.Components {
			switch {
			case c.ID == "audit" && has(c.Exported, "audit-logging") && c.Cloud == "aws":
				body := parse(c.Cloud)
				ok := false
				for _, tr := range blocks(body, "resource", "aws_cloudtrail", "main") {
					for _, es := range blocks(tr, "event_selector") {
						for _, dr := range blocks(es, "data_resource") {
							v := traversal(tf["aws"], dr, "values")
							ok = attrString(dr, "type") == "AWS::S3::Object" && strings.Contains(v, "aws_s3_bucket.lake") && strings.Contains(v, "aws_s3_bucket.checkpoints") &&
								traversal(tf["aws"], tr, "enable_log_file_validation") == "true" && traversal(tf["aws"], es, "include_management_events") == "true"
						}
					}
				}
				days := -1
				for _, l := range p.Blueprint.Components {
					if l.ID == "logs" && l.Cloud == "aws" {
						days = l.Retention[0].Days
					}
				}
				if !ok || !hasExpiry(body, "aws_s3_bucket_lifecycle_configuration", "audit", days) {
					t.Errorf("%s: no trail with S3 data events on the buckets kept %d days", ex, days)
				}
				checked["audit"]++
			case c.ID == "audit" && has(c.Exported, "audit-logging"):
				body := parse(c.Cloud)
				ok := false
				for _, a := range blocks(body, "resource", "google_project_iam_audit_config") {
					var types []string
					for _, l := range blocks(a, "audit_log_config") {
						types = append(types, attrString(l, "log_type"))
					}
					ok = attrString(a, "service") == "allServices" && strings.Contains(strings.Join(types, ","), "DATA_READ,DATA_WRITE")
				}
				if !ok {
					t.Errorf("%s: no data access audit logs for all services", ex)
				}
				checked["audit"]++
			case c.ID == "warehouse" && (has(c.Exported, "residency-eu") || c.Managed && tf[c.Cloud] != nil):
				body := parse(c.Cloud)
				switch c.Cloud {
				case "gcp":
					ds := blocks(body, "resource", "google_bigquery_dataset", "lake")
					for _, d := range ds {
						if !has(p.Blueprint.Regions, attrString(d, "location")) || len(blocks(d, "default_encryption_configuration")) != 1 {
							ds = nil
						}
					}
					if len(ds) == 0 {
						t.Errorf("%s: no BigQuery dataset pinned to a priced region with the key", ex)
					}
				case "aws":
					if len(blocks(body, "resource", "aws_athena_workgroup", "lake")) == 0 || !strings.Contains(string(tf["aws"]), `encryption_option = "SSE_KMS"`) {
						t.Errorf("%s: no encrypted Athena workgroup", ex)
					}
				}
				checked["warehouse"]++
			case c.ID == "logs" && has(c.Exported, "backup"):
				body := parse(c.Cloud)
				bk := backupComponent(p.Blueprint, c.Cloud)
				if bk == nil {
					t.Fatalf("%s: logs copied without a priced copy region", ex)
				}
				b := blocks(body, "resource", "google_storage_bucket", "logs_copy")
				if len(b) != 1 || attrString(b[0], "location") != strings.ToUpper(bk.Copies[0].To) {
					t.Fatalf("%s: no logs copy bucket in %s", ex, bk.Copies[0].To)
				}
				for _, lr := range blocks(b[0], "lifecycle_rule") {
					for _, cond := range blocks(lr, "condition") {
						if d, _ := attrInt(cond, "age"); d != c.Retention[0].Days {
							t.Errorf("%s: log copies kept %d days, the log store %d", ex, d, c.Retention[0].Days)
						}
					}
				}
				sinks := blocks(body, "resource", "google_logging_project_sink", "logs_copy")
				if len(sinks) != 1 || !strings.Contains(traversal(tf[c.Cloud], sinks[0], "destination"), "google_storage_bucket.logs_copy.name") ||
					!strings.Contains(attrString(sinks[0], "filter"), `resource.labels.namespace_name="`+slug(p.Name)+`"`) {
					t.Errorf("%s: no sink routing the plan's logs to the copy", ex)
				}
				if len(blocks(body, "resource", "google_storage_bucket_iam_member", "logs_copy_writer")) != 1 {
					t.Errorf("%s: the sink's writer cannot write the copy", ex)
				}
				checked["logs"]++
			}
		}
	}
	for _, k := range []string{"audit", "warehouse", "logs"} {
		// audit counts both clouds; the examples hold GCP and AWS plans
		if checked[k] == 0 {
			t.Errorf("no example exports %s", k)
		}
	}
}

func hasExpiry(body *hclsyntax.Body, typ, label string, days int) bool {
	for _, lc := range blocks(body, "resource", typ, label) {
		for _, r := range blocks(lc, "rule") {
			for _, e := range blocks(r, "expiration") {
				if d, _ := attrInt(e, "days"); d == days {
					return true
				}
			}
		}
	}
	return false
}

// TestTerraform_ArtefactsAsClaimed: where the tracking server's artefacts
// count as encrypted at rest, the Terraform writes their bucket with the
// site's key and versioning, public access blocked.
func TestTerraform_ArtefactsAsClaimed(t *testing.T) {
	checked := 0
	for _, ex := range examples(t) {
		p := examplePlan(t, ex)
		for _, c := range p.Blueprint.Components {
			if c.ID != "tracking" || !has(c.Exported, "encryption-at-rest") {
				continue
			}
			data := file(t, generate(t, ex), "terraform/"+c.Cloud+".tf")
			hf, diags := hclparse.NewParser().ParseHCL(data, c.Cloud+".tf")
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			body := hf.Body.(*hclsyntax.Body)
			switch c.Cloud {
			case "aws":
				ok := len(blocks(body, "resource", "aws_s3_bucket", "artefacts")) > 0
				for _, e := range blocks(body, "resource", "aws_s3_bucket_server_side_encryption_configuration", "artefacts") {
					for _, r := range blocks(e, "rule") {
						for _, d := range blocks(r, "apply_server_side_encryption_by_default") {
							ok = ok && attrString(d, "sse_algorithm") == "aws:kms" && strings.HasPrefix(traversal(data, d, "kms_master_key_id"), "aws_kms_key.main")
						}
					}
				}
				ok = ok && len(blocks(body, "resource", "aws_s3_bucket_versioning", "artefacts")) > 0 && len(blocks(body, "resource", "aws_s3_bucket_public_access_block", "artefacts")) > 0
				if !ok {
					t.Errorf("%s: no KMS-encrypted, versioned, private artefacts bucket", ex)
				}
			case "gcp":
				bks := blocks(body, "resource", "google_storage_bucket", "artefacts")
				if len(bks) == 0 || len(blocks(bks[0], "encryption")) != 1 || len(blocks(bks[0], "versioning")) != 1 || attrString(bks[0], "public_access_prevention") != "enforced" {
					t.Errorf("%s: no CMEK-encrypted, versioned, private artefacts bucket", ex)
				}
			}
			checked++
		}
	}
	if checked < 3 {
		t.Errorf("only %d examples with exported artefacts", checked)
	}
}
