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
// jurisdiction), encrypted with a key in that region; on AWS a continuous
// S3 replica whose versions Object Lock keeps from deletion for backupDays
// and whose deleted versions expire after backupDays, on Google Cloud a
// daily mirror whose deleted copies stay restorable for backupDays. The matrix
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

// awsBackups replicates each of the site's buckets (S3 Replication, all
// objects, SSE-KMS ones included) into a bucket of its own in the copy
// region: Glacier Instant Retrieval, encrypted with a key in that region,
// versioned and under Object Lock in compliance mode for backupDays, so no
// one deletes a replicated version earlier. Delete markers are replicated
// (a delete hides the copy, the previous version stays restorable) and
// noncurrent versions expire after backupDays, so an erasure reaches the
// copy within backupDays; S3 never replicates the deletion of a specific
// version, so purging the lake does not purge the copy early.
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

	k := inCopy("aws_kms_key", "backup_copy")
	k.SetAttributeValue("description", cty.StringVal(s.name+" backup copies in "+to))
	k.SetAttributeValue("enable_key_rotation", cty.True)
	k.SetAttributeValue("deletion_window_in_days", cty.NumberIntVal(30))
	body.AppendNewline()

	var srcArns, dstArns []hclwrite.Tokens
	for _, b := range buckets {
		id := "backup_copy_" + b
		bk := inCopy("aws_s3_bucket", id)
		bk.SetAttributeValue("bucket", cty.StringVal(strings.TrimSuffix(s.name, "-"+slug(s.region))+"-"+b+"-"+s.region+"-copy"))
		bk.SetAttributeValue("object_lock_enabled", cty.True)
		body.AppendNewline()
		v := inCopy("aws_s3_bucket_versioning", id)
		v.SetAttributeRaw("bucket", s.ref("aws_s3_bucket", id, "id"))
		v.AppendNewBlock("versioning_configuration", nil).Body().SetAttributeValue("status", cty.StringVal("Enabled"))
		body.AppendNewline()
		// compliance mode: nobody, the root account included, deletes a
		// replicated version or shortens its retention before backupDays
		ol := inCopy("aws_s3_bucket_object_lock_configuration", id)
		ol.SetAttributeRaw("bucket", s.ref("aws_s3_bucket", id, "id"))
		dr := ol.AppendNewBlock("rule", nil).Body().AppendNewBlock("default_retention", nil).Body()
		dr.SetAttributeValue("mode", cty.StringVal("COMPLIANCE"))
		dr.SetAttributeValue("days", cty.NumberIntVal(backupDays))
		ol.SetAttributeRaw("depends_on", hclwrite.TokensForTuple([]hclwrite.Tokens{s.ref("aws_s3_bucket_versioning", id)}))
		body.AppendNewline()
		e := inCopy("aws_s3_bucket_server_side_encryption_configuration", id)
		e.SetAttributeRaw("bucket", s.ref("aws_s3_bucket", id, "id"))
		sseKMS(e, s.ref("aws_kms_key", "backup_copy", "arn"))
		body.AppendNewline()
		pb := inCopy("aws_s3_bucket_public_access_block", id)
		pb.SetAttributeRaw("bucket", s.ref("aws_s3_bucket", id, "id"))
		for _, k := range []string{"block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"} {
			pb.SetAttributeValue(k, cty.True)
		}
		body.AppendNewline()
		// a version hidden by a replicated delete marker (or replaced) is
		// kept backupDays, then removed, with the marker left behind
		lc := inCopy("aws_s3_bucket_lifecycle_configuration", id)
		lc.SetAttributeRaw("bucket", s.ref("aws_s3_bucket", id, "id"))
		lr := lc.AppendNewBlock("rule", nil).Body()
		lr.SetAttributeValue("id", cty.StringVal(fmt.Sprintf("expire-deleted-after-%d-days", backupDays)))
		lr.SetAttributeValue("status", cty.StringVal("Enabled"))
		lr.AppendNewBlock("filter", nil)
		lr.AppendNewBlock("noncurrent_version_expiration", nil).Body().SetAttributeValue("noncurrent_days", cty.NumberIntVal(backupDays))
		lr.AppendNewBlock("expiration", nil).Body().SetAttributeValue("expired_object_delete_marker", cty.True)
		lc.SetAttributeRaw("depends_on", hclwrite.TokensForTuple([]hclwrite.Tokens{s.ref("aws_s3_bucket_versioning", id)}))
		body.AppendNewline()
		srcArns = append(srcArns, s.ref("aws_s3_bucket", b, "arn"))
		dstArns = append(dstArns, s.ref("aws_s3_bucket", id, "arn"))
	}

	r := s.resource("aws_iam_role", "backup")
	r.SetAttributeValue("name", cty.StringVal(s.name+"-backup"))
	r.SetAttributeRaw("assume_role_policy", hclwrite.TokensForFunctionCall("jsonencode", hclwrite.TokensForValue(cty.ObjectVal(map[string]cty.Value{
		"Version": cty.StringVal("2012-10-17"),
		"Statement": cty.TupleVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{
			"Effect": cty.StringVal("Allow"), "Action": cty.StringVal("sts:AssumeRole"),
			"Principal": cty.ObjectVal(map[string]cty.Value{"Service": cty.StringVal("s3.amazonaws.com")}),
		})}),
	}))))
	body.AppendNewline()
	// The replication role's permissions (Amazon S3 User Guide, "Setting up
	// permissions for live replication" and "Replicating encrypted objects").
	objects := func(arns []hclwrite.Tokens) hclwrite.Tokens {
		var out []hclwrite.Tokens
		for _, a := range arns {
			out = append(out, hclwrite.TokensForFunctionCall("format", hclwrite.TokensForValue(cty.StringVal("%s/*")), a))
		}
		return hclwrite.TokensForTuple(out)
	}
	stmt := func(actions []string, res hclwrite.Tokens) hclwrite.Tokens {
		var acts []cty.Value
		for _, a := range actions {
			acts = append(acts, cty.StringVal(a))
		}
		return hclwrite.TokensForObject([]hclwrite.ObjectAttrTokens{
			{Name: hclwrite.TokensForIdentifier("Effect"), Value: hclwrite.TokensForValue(cty.StringVal("Allow"))},
			{Name: hclwrite.TokensForIdentifier("Action"), Value: hclwrite.TokensForValue(cty.TupleVal(acts))},
			{Name: hclwrite.TokensForIdentifier("Resource"), Value: res},
		})
	}
	one := func(t hclwrite.Tokens) hclwrite.Tokens { return hclwrite.TokensForTuple([]hclwrite.Tokens{t}) }
	pol := s.resource("aws_iam_role_policy", "backup")
	pol.SetAttributeValue("name", cty.StringVal(s.name+"-replication"))
	pol.SetAttributeRaw("role", s.ref("aws_iam_role", "backup", "id"))
	pol.SetAttributeRaw("policy", hclwrite.TokensForFunctionCall("jsonencode", hclwrite.TokensForObject([]hclwrite.ObjectAttrTokens{
		{Name: hclwrite.TokensForIdentifier("Version"), Value: hclwrite.TokensForValue(cty.StringVal("2012-10-17"))},
		{Name: hclwrite.TokensForIdentifier("Statement"), Value: hclwrite.TokensForTuple([]hclwrite.Tokens{
			stmt([]string{"s3:GetReplicationConfiguration", "s3:ListBucket"}, hclwrite.TokensForTuple(srcArns)),
			stmt([]string{"s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging", "s3:GetObjectRetention", "s3:GetObjectLegalHold"}, objects(srcArns)),
			stmt([]string{"s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"}, objects(dstArns)),
			stmt([]string{"kms:Decrypt"}, one(s.ref("aws_kms_key", "main", "arn"))),
			stmt([]string{"kms:Encrypt", "kms:GenerateDataKey"}, one(s.ref("aws_kms_key", "backup_copy", "arn"))),
		})},
	})))
	body.AppendNewline()

	for _, b := range buckets {
		id := "backup_copy_" + b
		rc := s.resource("aws_s3_bucket_replication_configuration", "backup_"+b)
		rc.SetAttributeRaw("role", s.ref("aws_iam_role", "backup", "arn"))
		rc.SetAttributeRaw("bucket", s.ref("aws_s3_bucket", b, "id"))
		rule := rc.AppendNewBlock("rule", nil).Body()
		rule.SetAttributeValue("id", cty.StringVal(b+"-to-"+to))
		rule.SetAttributeValue("status", cty.StringVal("Enabled"))
		rule.AppendNewBlock("filter", nil)
		rule.AppendNewBlock("delete_marker_replication", nil).Body().SetAttributeValue("status", cty.StringVal("Enabled"))
		rule.AppendNewBlock("source_selection_criteria", nil).Body().AppendNewBlock("sse_kms_encrypted_objects", nil).Body().SetAttributeValue("status", cty.StringVal("Enabled"))
		dst := rule.AppendNewBlock("destination", nil).Body()
		dst.SetAttributeRaw("bucket", s.ref("aws_s3_bucket", id, "arn"))
		dst.SetAttributeValue("storage_class", cty.StringVal("GLACIER_IR"))
		dst.AppendNewBlock("encryption_configuration", nil).Body().SetAttributeRaw("replica_kms_key_id", s.ref("aws_kms_key", "backup_copy", "arn"))
		rc.SetAttributeRaw("depends_on", hclwrite.TokensForTuple([]hclwrite.Tokens{s.ref("aws_s3_bucket_versioning", b), s.ref("aws_s3_bucket_versioning", id), s.ref("aws_s3_bucket_object_lock_configuration", id), s.ref("aws_iam_role_policy", "backup")}))
		body.AppendNewline()
	}
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
