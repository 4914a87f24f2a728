package export

import (
	"os"
	"strings"
	"testing"

	"github.com/aiplan-dev/aiplan/blueprint"
	"github.com/aiplan-dev/aiplan/plan"
	"github.com/aiplan-dev/aiplan/spec"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// hasBackupExpiry finds the backups' expiry: on AWS every replica bucket
// locks each version in compliance mode for exactly days and expires a
// deleted (noncurrent) version after days, and the lake's replication
// carries delete markers there; on Google Cloud the mirror deletes copies
// gone from the bucket and soft delete keeps them exactly days.
func hasBackupExpiry(body *hclsyntax.Body, cloud string, days int) bool {
	switch cloud {
	case "aws":
		copies := blocks(body, "resource", "aws_s3_bucket_object_lock_configuration")
		if len(copies) == 0 {
			return false
		}
		for _, ol := range copies {
			locked := false
			for _, r := range blocks(ol, "rule") {
				for _, d := range blocks(r, "default_retention") {
					n, _ := attrInt(d, "days")
					locked = n == days && attrString(d, "mode") == "COMPLIANCE"
				}
			}
			expires := false
			bucket := lockedBucket(ol)
			for _, lc := range blocks(body, "resource", "aws_s3_bucket_lifecycle_configuration") {
				if lockedBucket(lc) != bucket {
					continue
				}
				for _, r := range blocks(lc, "rule") {
					for _, e := range blocks(r, "noncurrent_version_expiration") {
						n, _ := attrInt(e, "noncurrent_days")
						expires = expires || (n == days && attrString(r, "status") == "Enabled")
					}
				}
			}
			if !locked || !expires {
				return false
			}
		}
		for _, rc := range blocks(body, "resource", "aws_s3_bucket_replication_configuration") {
			for _, r := range blocks(rc, "rule") {
				for _, d := range blocks(r, "delete_marker_replication") {
					if attrString(d, "status") == "Enabled" {
						return true
					}
				}
			}
		}
		return false
	case "gcp":
		mirrored := 0
		for _, j := range blocks(body, "resource", "google_storage_transfer_job") {
			for _, ts := range blocks(j, "transfer_spec") {
				for _, o := range blocks(ts, "transfer_options") {
					if a, ok := o.Attributes["delete_objects_unique_in_sink"]; ok {
						if v, d := a.Expr.Value(nil); !d.HasErrors() && v.True() {
							mirrored++
						}
					}
				}
			}
		}
		for _, bk := range blocks(body, "resource", "google_storage_bucket", "backups") {
			for _, sd := range blocks(bk, "soft_delete_policy") {
				if d, _ := attrInt(sd, "retention_duration_seconds"); d == days*86400 && mirrored > 0 {
					return true
				}
			}
		}
	}
	return false
}

// lockedBucket is the bucket traversal a bucket sub-resource names
// ("aws_s3_bucket.X.id" -> "X").
func lockedBucket(b *hclsyntax.Body) string {
	a, ok := b.Attributes["bucket"]
	if !ok {
		return ""
	}
	tr := a.Expr.Variables()
	if len(tr) != 1 || len(tr[0]) < 2 {
		return ""
	}
	if n, ok := tr[0][1].(hcl.TraverseAttr); ok {
		return n.Name
	}
	return ""
}

// traversal is the source text of an attribute's expression.
func traversal(data []byte, b *hclsyntax.Body, name string) string {
	a, ok := b.Attributes[name]
	if !ok {
		return ""
	}
	return string(a.Expr.Range().SliceBytes(data))
}

// TestTerraform_BackupsAsClaimed: wherever the blueprint's backups claim
// "backup" as exported (the only way the matrix counts backups as tooling
// present), the cloud's Terraform copies every bucket of a store that
// claims backup, daily, from each site into the copy region the plan
// priced, in the same jurisdiction, encrypted with a key in that region.
// The examples, and an all-AWS variant of eu-enterprise whose two sites
// copy to each other.
func TestTerraform_BackupsAsClaimed(t *testing.T) {
	checked, multi := 0, 0
	for _, ex := range examples(t) {
		if checkBackups(t, ex, examplePlan(t, ex)) {
			checked++
		}
	}
	b, err := os.ReadFile("../examples/eu-enterprise.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f, ds := spec.Load([]byte(strings.Replace(string(b), "clouds: [aws, gcp, nebius]", "clouds: [aws]", 1)), "eu-aws.yaml", cat)
	if ds.HasErrors() {
		t.Fatal(ds.Err())
	}
	p := plan.Build(f, cat)
	if checkBackups(t, "eu-aws", p) {
		for _, c := range p.Blueprint.Components {
			if c.ID == "backups" && len(c.Copies) > 1 {
				multi++
			}
		}
	}
	if checked < 3 || multi == 0 {
		t.Errorf("only %d examples with exported backups, %d with several sites", checked, multi)
	}
}

// checkBackups checks one plan's backups; false when it exports none.
func checkBackups(t *testing.T, ex string, p *plan.Plan) bool {
	t.Helper()
	var bk *blueprint.Component
	for i := range p.Blueprint.Components {
		c := &p.Blueprint.Components[i]
		if c.ID == "backups" && has(c.Exported, "backup") {
			bk = c
		}
	}
	if bk == nil {
		return false
	}
	if len(bk.Copies) == 0 || len(bk.Costs) == 0 {
		t.Errorf("%s: backups exported without a priced copy region", ex)
		return false
	}
	for _, cp := range bk.Copies {
		from, ok1 := cat.Region(cp.From)
		to, ok2 := cat.Region(cp.To)
		if !ok1 || !ok2 || from.Jurisdiction != to.Jurisdiction || cp.From == cp.To || to.Cloud != bk.Cloud {
			t.Errorf("%s: copy %s -> %s leaves the jurisdiction or the cloud", ex, cp.From, cp.To)
		}
		if !strings.Contains(bk.Costs[0].Name, cp.To) || bk.Costs[0].Category != "storage" {
			t.Errorf("%s: no storage line priced in %s: %+v", ex, cp.To, bk.Costs[0])
		}
	}
	// the stores whose backup is claimed as exported
	want := map[string]bool{}
	for _, c := range p.Blueprint.Components {
		if c.Cloud == bk.Cloud && has(c.Exported, "backup") {
			switch c.ID {
			case "lake":
				want["lake"] = true
			case "model-store":
				want["checkpoints"] = true
			case "tracking":
				want["artefacts"] = true
			case "backups", "logs": // logs: TestTerraform_DataPlaneAsClaimed
			default:
				t.Errorf("%s: %s claims exported backup, which the export does not write", ex, c.ID)
			}
		}
	}
	files, _, err := Generate(p, []string{"terraform"})
	if err != nil {
		t.Fatal(err)
	}
	data := file(t, files, "terraform/"+bk.Cloud+".tf")
	hf, diags := hclparse.NewParser().ParseHCL(data, bk.Cloud+".tf")
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	body := hf.Body.(*hclsyntax.Body)
	one := func(typ, label string) *hclsyntax.Body {
		for _, blk := range body.Blocks {
			if blk.Type == "resource" && len(blk.Labels) == 2 && blk.Labels[0] == typ && blk.Labels[1] == label {
				return blk.Body
			}
		}
		t.Errorf("%s: no %s.%s", ex, typ, label)
		return &hclsyntax.Body{}
	}
	for _, cp := range bk.Copies {
		sfx := ""
		if len(bk.Copies) > 1 {
			sfx = "_" + ident(cp.From)
		}
		switch bk.Cloud {
		case "aws":
			provider := ""
			for _, pr := range blocks(body, "provider", "aws") {
				if attrString(pr, "region") == cp.To && attrString(pr, "alias") != "" {
					provider = "aws." + attrString(pr, "alias")
				}
			}
			k := one("aws_kms_key", "backup_copy"+sfx)
			if provider == "" || traversal(data, k, "provider") != provider {
				t.Errorf("%s: %s's copy key not in %s (provider %q)", ex, cp.From, cp.To, provider)
			}
			role := one("aws_iam_role", "backup"+sfx)
			if !strings.Contains(traversal(data, role, "assume_role_policy"), `"s3.amazonaws.com"`) {
				t.Errorf("%s: replication role not assumable by S3", ex)
			}
			pol := traversal(data, one("aws_iam_role_policy", "backup"+sfx), "policy")
			for _, want := range []string{"s3:ReplicateObject", "s3:ReplicateDelete", "s3:GetObjectVersionForReplication", "kms:Decrypt", "kms:Encrypt", "aws_kms_key.backup_copy" + sfx + ".arn"} {
				if !strings.Contains(pol, want) {
					t.Errorf("%s: replication role policy lacks %s", ex, want)
				}
			}
			for b := range want {
				id := "backup_copy_" + b + sfx
				dst := one("aws_s3_bucket", id)
				if traversal(data, dst, "provider") != provider || traversal(data, dst, "object_lock_enabled") != "true" {
					t.Errorf("%s: %s's %s copy not an Object Lock bucket in %s", ex, cp.From, b, cp.To)
				}
				locked := false
				for _, r := range blocks(one("aws_s3_bucket_object_lock_configuration", id), "rule") {
					for _, d := range blocks(r, "default_retention") {
						n, _ := attrInt(d, "days")
						locked = attrString(d, "mode") == "COMPLIANCE" && n == backupDays
					}
				}
				if !locked {
					t.Errorf("%s: %s copy not locked in compliance mode for %d days", ex, b, backupDays)
				}
				if traversal(data, one("aws_s3_bucket_versioning", id), "bucket") != "aws_s3_bucket."+id+".id" {
					t.Errorf("%s: %s copy not versioned", ex, b)
				}
				for _, r := range blocks(one("aws_s3_bucket_server_side_encryption_configuration", id), "rule") {
					for _, d := range blocks(r, "apply_server_side_encryption_by_default") {
						if traversal(data, d, "kms_master_key_id") != "aws_kms_key.backup_copy"+sfx+".arn" {
							t.Errorf("%s: %s copy not encrypted with the copy region's key", ex, b)
						}
					}
				}
				rc := one("aws_s3_bucket_replication_configuration", "backup_"+b+sfx)
				if traversal(data, rc, "bucket") != "aws_s3_bucket."+b+sfx+".id" || traversal(data, rc, "role") != "aws_iam_role.backup"+sfx+".arn" {
					t.Errorf("%s: %s replication not from the %s bucket with the replication role", ex, cp.From, b)
				}
				ok := false
				for _, r := range blocks(rc, "rule") {
					for _, d := range blocks(r, "destination") {
						enc := ""
						for _, e := range blocks(d, "encryption_configuration") {
							enc = traversal(data, e, "replica_kms_key_id")
						}
						ok = attrString(r, "status") == "Enabled" && traversal(data, d, "bucket") == "aws_s3_bucket."+id+".arn" &&
							attrString(d, "storage_class") == "GLACIER_IR" && enc == "aws_kms_key.backup_copy"+sfx+".arn"
					}
				}
				if !ok {
					t.Errorf("%s: %s's %s not replicated to its Glacier IR copy in %s on the copy key", ex, cp.From, b, cp.To)
				}
			}
		case "gcp":
			bkt := one("google_storage_bucket", "backups"+sfx)
			if attrString(bkt, "location") != strings.ToUpper(cp.To) || len(blocks(bkt, "soft_delete_policy")) != 1 {
				t.Errorf("%s: no backup bucket with soft delete in %s", ex, cp.To)
			}
			for _, e := range blocks(bkt, "encryption") {
				if traversal(data, e, "default_kms_key_name") != "google_kms_crypto_key.backup_copy"+sfx+".id" {
					t.Errorf("%s: backup bucket not on the copy region's key", ex)
				}
			}
			if attrString(one("google_kms_key_ring", "backup_copy"+sfx), "location") != cp.To {
				t.Errorf("%s: backup key ring not in %s", ex, cp.To)
			}
			for b := range want {
				j := one("google_storage_transfer_job", "backup_"+b+sfx)
				for _, sc := range blocks(j, "schedule") {
					if attrString(sc, "repeat_interval") != "86400s" {
						t.Errorf("%s: %s transfer not daily", ex, b)
					}
				}
				for _, ts := range blocks(j, "transfer_spec") {
					for _, src := range blocks(ts, "gcs_data_source") {
						if traversal(data, src, "bucket_name") != "google_storage_bucket."+b+sfx+".name" {
							t.Errorf("%s: transfer backup_%s reads %s", ex, b, traversal(data, src, "bucket_name"))
						}
					}
				}
			}
		}
	}
	return true
}
