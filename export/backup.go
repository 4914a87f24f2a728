package export

import (
	"fmt"
	"strings"

	"github.com/aiplan-dev/aiplan/blueprint"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// Backups as the blueprint designs them: a daily copy of the lake and
// checkpoint buckets into the copy region the plan priced (same cloud, same
// jurisdiction), encrypted with a key in that region; on AWS kept exactly
// backupDays in vaults locked against earlier deletion, on Google Cloud a
// mirror whose deleted copies stay restorable for backupDays. The matrix
// counts backups as configured only because this file writes them.

// backupDays is the blueprint's backup retention: every copy is kept this
// long and no longer, so an erasure reaches every backup within it.
const backupDays = 35

// backupComponent is the blueprint's backups component on the cloud, with
// its copy regions, when the plan priced them.
func backupComponent(bp *blueprint.Blueprint, cloud string) *blueprint.Component {
	if bp == nil {
		return nil
	}
	for i := range bp.Components {
		c := &bp.Components[i]
		if c.ID == "backups" && c.Cloud == cloud && len(c.Copies) > 0 && len(c.Costs) > 0 {
			return c
		}
	}
	return nil
}

// copyRegion is the region a site's backups are copied to ("" for none).
func copyRegion(c *blueprint.Component, from string) string {
	for _, cp := range c.Copies {
		if cp.From == from {
			return cp.To
		}
	}
	return ""
}

// siteBuckets are the buckets each site of a cloud gets: the lake, the
// checkpoints, and the tracking server's artefacts when the blueprint has
// one on the cloud.
func siteBuckets(bp *blueprint.Blueprint, cloud string) []string {
	out := []string{"lake", "checkpoints"}
	if component(bp, "tracking", cloud) != nil {
		out = append(out, "artefacts")
	}
	return out
}

// backupBuckets are the site's buckets the backups copy: the lake, the
// checkpoints bucket when the blueprint has a model store, and the
// tracking artefacts.
func backupBuckets(bp *blueprint.Blueprint, cloud string) []string {
	out := []string{"lake"}
	if component(bp, "model-store", cloud) != nil {
		out = append(out, "checkpoints")
	}
	if component(bp, "tracking", cloud) != nil {
		out = append(out, "artefacts")
	}
	return out
}

// backups writes one site's backups; first is the file's first site (data
// sources and variables are written once per file). sites are the file's
// regions, for the AWS provider of a copy region that is also a site.
func backups(s site, cloud string, bp *blueprint.Blueprint, first bool, sites []string) {
	c := backupComponent(bp, cloud)
	if c == nil {
		return
	}
	to := copyRegion(c, s.region)
	if to == "" {
		return
	}
	switch cloud {
	case "aws":
		awsBackups(s, to, backupBuckets(bp, cloud), sites)
	case "gcp":
		gcpBackups(s, to, backupBuckets(bp, cloud), first)
	}
}

func awsBackups(s site, to string, buckets []string, sites []string) {
	body := s.body
	// The copy region's provider: the site's alias when the copy region is
	// another site of a multi-region file, else an alias of its own.
	alias := "copy_" + ident(to)
	isSite := false
	for _, r := range sites {
		isSite = isSite || r == to
	}
	if isSite && len(sites) > 1 {
		alias = ident(to)
	} else if !hasAlias(body, alias) {
		prov := body.AppendNewBlock("provider", []string{"aws"}).Body()
		prov.SetAttributeValue("alias", cty.StringVal(alias))
		prov.SetAttributeValue("region", cty.StringVal(to))
		prov.AppendNewBlock("default_tags", nil).Body().SetAttributeValue("tags", tags(strings.TrimSuffix(s.name, "-"+slug(s.region))))
		body.AppendNewline()
	}
	inCopy := func(typ, label string) *hclwrite.Body {
		b := body.AppendNewBlock("resource", []string{typ, label + s.sfx}).Body()
		b.SetAttributeRaw("provider", ref("aws", alias))
		return b
	}
	lock := func(b *hclwrite.Body, vault string) {
		b.SetAttributeRaw("backup_vault_name", s.ref("aws_backup_vault", vault, "name"))
		b.SetAttributeValue("min_retention_days", cty.NumberIntVal(backupDays))
		b.SetAttributeValue("max_retention_days", cty.NumberIntVal(backupDays))
		// compliance mode after a three-day grace period: nobody, the root
		// account included, deletes a recovery point early or keeps it longer
		b.SetAttributeValue("changeable_for_days", cty.NumberIntVal(3))
		body.AppendNewline()
	}

	v := s.resource("aws_backup_vault", "main")
	v.SetAttributeValue("name", cty.StringVal(s.name+"-backups"))
	v.SetAttributeRaw("kms_key_arn", s.ref("aws_kms_key", "main", "arn"))
	body.AppendNewline()
	lock(s.resource("aws_backup_vault_lock_configuration", "main"), "main")

	k := inCopy("aws_kms_key", "backup_copy")
	k.SetAttributeValue("description", cty.StringVal(s.name+" backup copies in "+to))
	k.SetAttributeValue("enable_key_rotation", cty.True)
	k.SetAttributeValue("deletion_window_in_days", cty.NumberIntVal(30))
	body.AppendNewline()
	cv := inCopy("aws_backup_vault", "copy")
	cv.SetAttributeValue("name", cty.StringVal(s.name+"-backups-copy"))
	cv.SetAttributeRaw("kms_key_arn", s.ref("aws_kms_key", "backup_copy", "arn"))
	body.AppendNewline()
	lock(inCopy("aws_backup_vault_lock_configuration", "copy"), "copy")

	r := s.resource("aws_iam_role", "backup")
	r.SetAttributeValue("name", cty.StringVal(s.name+"-backup"))
	r.SetAttributeRaw("assume_role_policy", hclwrite.TokensForFunctionCall("jsonencode", hclwrite.TokensForValue(cty.ObjectVal(map[string]cty.Value{
		"Version": cty.StringVal("2012-10-17"),
		"Statement": cty.TupleVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{
			"Effect": cty.StringVal("Allow"), "Action": cty.StringVal("sts:AssumeRole"),
			"Principal": cty.ObjectVal(map[string]cty.Value{"Service": cty.StringVal("backup.amazonaws.com")}),
		})}),
	}))))
	body.AppendNewline()
	// AWS managed policies for AWS Backup, S3 backups and restores
	// (AWS Backup Developer Guide, "Managed policies for AWS Backup").
	for i, p := range []string{"service-role/AWSBackupServiceRolePolicyForBackup", "service-role/AWSBackupServiceRolePolicyForRestores", "AWSBackupServiceRolePolicyForS3Backup", "AWSBackupServiceRolePolicyForS3Restore"} {
		a := s.resource("aws_iam_role_policy_attachment", fmt.Sprintf("backup_%d", i))
		a.SetAttributeRaw("role", s.ref("aws_iam_role", "backup", "name"))
		a.SetAttributeValue("policy_arn", cty.StringVal("arn:aws:iam::aws:policy/"+p))
		body.AppendNewline()
	}

	plan := s.resource("aws_backup_plan", "daily")
	plan.SetAttributeValue("name", cty.StringVal(s.name+"-daily"))
	rule := plan.AppendNewBlock("rule", nil).Body()
	rule.SetAttributeValue("rule_name", cty.StringVal("daily-copy-to-"+to))
	rule.SetAttributeRaw("target_vault_name", s.ref("aws_backup_vault", "main", "name"))
	rule.SetAttributeValue("schedule", cty.StringVal("cron(0 3 * * ? *)"))
	rule.AppendNewBlock("lifecycle", nil).Body().SetAttributeValue("delete_after", cty.NumberIntVal(backupDays))
	ca := rule.AppendNewBlock("copy_action", nil).Body()
	ca.SetAttributeRaw("destination_vault_arn", s.ref("aws_backup_vault", "copy", "arn"))
	ca.AppendNewBlock("lifecycle", nil).Body().SetAttributeValue("delete_after", cty.NumberIntVal(backupDays))
	body.AppendNewline()

	sel := s.resource("aws_backup_selection", "buckets")
	sel.SetAttributeValue("name", cty.StringVal(s.name+"-buckets"))
	sel.SetAttributeRaw("plan_id", s.ref("aws_backup_plan", "daily", "id"))
	sel.SetAttributeRaw("iam_role_arn", s.ref("aws_iam_role", "backup", "arn"))
	var res []hclwrite.Tokens
	for _, b := range buckets {
		res = append(res, s.ref("aws_s3_bucket", b, "arn"))
	}
	sel.SetAttributeRaw("resources", hclwrite.TokensForTuple(res))
	body.AppendNewline()
}

func hasAlias(body *hclwrite.Body, alias string) bool {
	for _, b := range body.Blocks() {
		if b.Type() != "provider" {
			continue
		}
		if a := b.Body().GetAttribute("alias"); a != nil && strings.Trim(strings.TrimSpace(string(a.Expr().BuildTokens(nil).Bytes())), `"`) == alias {
			return true
		}
	}
	return false
}

func gcpBackups(s site, to string, buckets []string, first bool) {
	body := s.body
	if first {
		body.AppendNewBlock("data", []string{"google_storage_project_service_account", "gcs"})
		body.AppendNewBlock("data", []string{"google_storage_transfer_project_service_account", "sts"})
		variable(body, "backup_start_date", "object({ year = number, month = number, day = number })", "first day of the daily backup transfers")
	}
	member := func(data string) hclwrite.Tokens {
		tr := hcl.Traversal{hcl.TraverseRoot{Name: "data"}, hcl.TraverseAttr{Name: data}}
		if data == "google_storage_project_service_account" {
			tr = append(tr, hcl.TraverseAttr{Name: "gcs"}, hcl.TraverseAttr{Name: "email_address"})
		} else {
			tr = append(tr, hcl.TraverseAttr{Name: "sts"}, hcl.TraverseAttr{Name: "email"})
		}
		return hclwrite.TokensForFunctionCall("format", hclwrite.TokensForValue(cty.StringVal("serviceAccount:%s")), hclwrite.TokensForTraversal(tr))
	}

	kr := s.resource("google_kms_key_ring", "backup_copy")
	kr.SetAttributeValue("name", cty.StringVal(s.name+"-backup-copy"))
	kr.SetAttributeValue("location", cty.StringVal(to))
	body.AppendNewline()
	k := s.resource("google_kms_crypto_key", "backup_copy")
	k.SetAttributeValue("name", cty.StringVal(s.name+"-backups"))
	k.SetAttributeRaw("key_ring", s.ref("google_kms_key_ring", "backup_copy", "id"))
	k.SetAttributeValue("rotation_period", cty.StringVal("7776000s"))
	body.AppendNewline()
	km := s.resource("google_kms_crypto_key_iam_member", "backup_copy")
	km.SetAttributeRaw("crypto_key_id", s.ref("google_kms_crypto_key", "backup_copy", "id"))
	km.SetAttributeValue("role", cty.StringVal("roles/cloudkms.cryptoKeyEncrypterDecrypter"))
	km.SetAttributeRaw("member", member("google_storage_project_service_account"))
	body.AppendNewline()

	bk := s.resource("google_storage_bucket", "backups")
	bk.SetAttributeValue("name", cty.StringVal(strings.TrimSuffix(s.name, "-"+slug(s.region))+"-backups-"+to))
	bk.SetAttributeValue("location", cty.StringVal(strings.ToUpper(to)))
	bk.SetAttributeValue("uniform_bucket_level_access", cty.True)
	bk.SetAttributeValue("public_access_prevention", cty.StringVal("enforced"))
	bk.AppendNewBlock("encryption", nil).Body().SetAttributeRaw("default_kms_key_name", s.ref("google_kms_crypto_key", "backup_copy", "id"))
	// Nearline: a copy is read only to restore; its 30-day minimum storage
	// is below the 35 days a deleted copy is kept.
	bk.SetAttributeValue("storage_class", cty.StringVal("NEARLINE"))
	// Soft delete keeps every deleted or replaced copy restorable for
	// backupDays and then removes it (Cloud Storage soft delete; at most 90
	// days), so an erasure in the lake leaves the backups within backupDays
	// of the next daily transfer.
	bk.AppendNewBlock("soft_delete_policy", nil).Body().SetAttributeValue("retention_duration_seconds", cty.NumberIntVal(backupDays*86400))
	bk.SetAttributeRaw("depends_on", hclwrite.TokensForTuple([]hclwrite.Tokens{s.ref("google_kms_crypto_key_iam_member", "backup_copy")}))
	body.AppendNewline()

	// Storage Transfer Service reads the source buckets and writes the
	// backup bucket (Storage Transfer Service docs, "Configure access to a
	// Cloud Storage source/sink").
	grant := func(id string, bucket hclwrite.Tokens, role string) {
		g := s.resource("google_storage_bucket_iam_member", id)
		g.SetAttributeRaw("bucket", bucket)
		g.SetAttributeValue("role", cty.StringVal(role))
		g.SetAttributeRaw("member", member("google_storage_transfer_project_service_account"))
		body.AppendNewline()
	}
	grant("backup_sink", s.ref("google_storage_bucket", "backups", "name"), "roles/storage.legacyBucketWriter")
	for _, b := range buckets {
		grant("backup_read_"+b, s.ref("google_storage_bucket", b, "name"), "roles/storage.objectViewer")
		grant("backup_list_"+b, s.ref("google_storage_bucket", b, "name"), "roles/storage.legacyBucketReader")
		j := s.resource("google_storage_transfer_job", "backup_"+b)
		j.SetAttributeValue("description", cty.StringVal(clip(s.name, 60)+" "+b+" daily backup to "+to))
		j.SetAttributeRaw("project", ref("var", "project_id"))
		sc := j.AppendNewBlock("schedule", nil).Body()
		sd := sc.AppendNewBlock("schedule_start_date", nil).Body()
		for _, f := range []string{"year", "month", "day"} {
			sd.SetAttributeRaw(f, ref("var", "backup_start_date", f))
		}
		sc.AppendNewBlock("start_time_of_day", nil).Body().SetAttributeValue("hours", cty.NumberIntVal(3))
		sc.SetAttributeValue("repeat_interval", cty.StringVal("86400s"))
		ts := j.AppendNewBlock("transfer_spec", nil).Body()
		ts.AppendNewBlock("gcs_data_source", nil).Body().SetAttributeRaw("bucket_name", s.ref("google_storage_bucket", b, "name"))
		sink := ts.AppendNewBlock("gcs_data_sink", nil).Body()
		sink.SetAttributeRaw("bucket_name", s.ref("google_storage_bucket", "backups", "name"))
		sink.SetAttributeValue("path", cty.StringVal(b+"/"))
		// The copy mirrors the bucket: new objects are copied, objects gone
		// from the bucket are deleted from the copy (then kept soft-deleted
		// for backupDays); a copy is never overwritten (Iceberg data files
		// are immutable: a changed table is new files).
		to := ts.AppendNewBlock("transfer_options", nil).Body()
		to.SetAttributeValue("overwrite_when", cty.StringVal("NEVER"))
		to.SetAttributeValue("delete_objects_unique_in_sink", cty.True)
		j.SetAttributeRaw("depends_on", hclwrite.TokensForTuple([]hclwrite.Tokens{s.ref("google_storage_bucket_iam_member", "backup_sink"), s.ref("google_storage_bucket_iam_member", "backup_read_"+b), s.ref("google_storage_bucket_iam_member", "backup_list_"+b)}))
		body.AppendNewline()
	}
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
