package export

import (
	"os"
	"strings"
	"testing"

	"github.com/aiplan-dev/aiplan/blueprint"
	"github.com/aiplan-dev/aiplan/plan"
	"github.com/aiplan-dev/aiplan/spec"
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
			v := one("aws_backup_vault", "copy"+sfx)
			k := one("aws_kms_key", "backup_copy"+sfx)
			if provider == "" || traversal(data, v, "provider") != provider || traversal(data, k, "provider") != provider || traversal(data, v, "kms_key_arn") != "aws_kms_key.backup_copy"+sfx+".arn" {
				t.Errorf("%s: %s's copies not in a vault with its own key in %s (provider %q)", ex, cp.From, cp.To, provider)
			}
			daily := false
			for _, r := range blocks(one("aws_backup_plan", "daily"+sfx), "rule") {
				for _, ca := range blocks(r, "copy_action") {
					daily = attrString(r, "schedule") == "cron(0 3 * * ? *)" && traversal(data, ca, "destination_vault_arn") == "aws_backup_vault.copy"+sfx+".arn"
				}
			}
			if !daily {
				t.Errorf("%s: no daily plan copying %s to the %s vault", ex, cp.From, cp.To)
			}
			res := traversal(data, one("aws_backup_selection", "buckets"+sfx), "resources")
			for b := range want {
				if !strings.Contains(res, "aws_s3_bucket."+b+sfx+".arn") {
					t.Errorf("%s: backup selection %s lacks the %s bucket", ex, res, b)
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
