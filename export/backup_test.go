package export

import (
	"strings"
	"testing"

	"github.com/aiplan-dev/aiplan/blueprint"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// hasBackupExpiry finds the backups' expiry: every AWS recovery point, the
// copy included, deleted after days, in a vault locked to exactly days; on
// Google Cloud the backup bucket's lifecycle deletes copies at that age.
func hasBackupExpiry(body *hclsyntax.Body, cloud string, days int) bool {
	switch cloud {
	case "aws":
		locked := 0
		for _, l := range blocks(body, "resource", "aws_backup_vault_lock_configuration") {
			lo, _ := attrInt(l, "min_retention_days")
			hi, _ := attrInt(l, "max_retention_days")
			if lo == days && hi == days {
				locked++
			}
		}
		for _, p := range blocks(body, "resource", "aws_backup_plan") {
			for _, r := range blocks(p, "rule") {
				ok := false
				for _, lc := range blocks(r, "lifecycle") {
					d, _ := attrInt(lc, "delete_after")
					ok = d == days
				}
				for _, ca := range blocks(r, "copy_action") {
					for _, lc := range blocks(ca, "lifecycle") {
						d, _ := attrInt(lc, "delete_after")
						ok = ok && d == days
					}
				}
				if ok && locked >= 2 {
					return true
				}
			}
		}
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
// claims backup, daily, into the copy region the plan priced, in the same
// jurisdiction, encrypted with a key in that region and locked.
func TestTerraform_BackupsAsClaimed(t *testing.T) {
	checked := 0
	for _, ex := range examples(t) {
		p := examplePlan(t, ex)
		var bk *blueprint.Component
		for i := range p.Blueprint.Components {
			c := &p.Blueprint.Components[i]
			if c.ID == "backups" && has(c.Exported, "backup") {
				bk = c
			}
		}
		if bk == nil {
			continue
		}
		if len(bk.Copies) == 0 || len(bk.Costs) == 0 {
			t.Errorf("%s: backups exported without a priced copy region", ex)
			continue
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
		data := file(t, generate(t, ex), "terraform/"+bk.Cloud+".tf")
		hf, diags := hclparse.NewParser().ParseHCL(data, bk.Cloud+".tf")
		if diags.HasErrors() {
			t.Fatal(diags.Error())
		}
		body := hf.Body.(*hclsyntax.Body)
		to := bk.Copies[0].To
		switch bk.Cloud {
		case "aws":
			provider := ""
			for _, pr := range blocks(body, "provider", "aws") {
				if attrString(pr, "region") == to {
					provider = "aws." + attrString(pr, "alias")
				}
			}
			if provider == "aws." {
				t.Errorf("%s: the copy region %s is the default provider", ex, to)
			}
			copyVault := false
			for _, v := range blocks(body, "resource", "aws_backup_vault", "copy") {
				key := strings.TrimSuffix(strings.TrimPrefix(traversal(data, v, "kms_key_arn"), "aws_kms_key."), ".arn")
				for _, k := range blocks(body, "resource", "aws_kms_key", key) {
					copyVault = traversal(data, v, "provider") == provider && traversal(data, k, "provider") == provider && provider != ""
				}
			}
			if !copyVault {
				t.Errorf("%s: no vault with its own KMS key in %s", ex, to)
			}
			daily := false
			for _, pl := range blocks(body, "resource", "aws_backup_plan", "daily") {
				for _, r := range blocks(pl, "rule") {
					for _, ca := range blocks(r, "copy_action") {
						daily = attrString(r, "schedule") == "cron(0 3 * * ? *)" && traversal(data, ca, "destination_vault_arn") == "aws_backup_vault.copy.arn"
					}
				}
			}
			if !daily {
				t.Errorf("%s: no daily plan copying to the %s vault", ex, to)
			}
			for _, sel := range blocks(body, "resource", "aws_backup_selection") {
				res := traversal(data, sel, "resources")
				for b := range want {
					if !strings.Contains(res, "aws_s3_bucket."+b+".arn") {
						t.Errorf("%s: backup selection %s lacks the %s bucket", ex, res, b)
					}
				}
			}
		case "gcp":
			bks := blocks(body, "resource", "google_storage_bucket", "backups")
			if len(bks) != 1 || attrString(bks[0], "location") != strings.ToUpper(to) {
				t.Fatalf("%s: no backup bucket in %s", ex, to)
			}
			if len(blocks(bks[0], "soft_delete_policy")) != 1 {
				t.Errorf("%s: backup bucket without soft delete", ex)
			}
			for _, e := range blocks(bks[0], "encryption") {
				if traversal(data, e, "default_kms_key_name") != "google_kms_crypto_key.backup_copy.id" {
					t.Errorf("%s: backup bucket not on the copy region's key", ex)
				}
			}
			for _, kr := range blocks(body, "resource", "google_kms_key_ring", "backup_copy") {
				if attrString(kr, "location") != to {
					t.Errorf("%s: backup key ring in %s, not %s", ex, attrString(kr, "location"), to)
				}
			}
			for b := range want {
				jobs := blocks(body, "resource", "google_storage_transfer_job", "backup_"+b)
				if len(jobs) != 1 {
					t.Errorf("%s: no daily transfer of the %s bucket", ex, b)
					continue
				}
				for _, sc := range blocks(jobs[0], "schedule") {
					if attrString(sc, "repeat_interval") != "86400s" {
						t.Errorf("%s: %s transfer not daily", ex, b)
					}
				}
				for _, ts := range blocks(jobs[0], "transfer_spec") {
					for _, src := range blocks(ts, "gcs_data_source") {
						if traversal(data, src, "bucket_name") != "google_storage_bucket."+b+".name" {
							t.Errorf("%s: transfer backup_%s reads %s", ex, b, traversal(data, src, "bucket_name"))
						}
					}
				}
			}
		}
		checked++
	}
	if checked < 3 {
		t.Errorf("only %d examples with exported backups", checked)
	}
}
