package export

import (
	"fmt"
	"strings"

	"github.com/aiplan-dev/aiplan/blueprint"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// retention writes the blueprint's expiry rules into a cloud's Terraform:
// lifecycle rules on the lake bucket (per pipeline prefix, and noncurrent
// versions), the request-log retention, and on AWS the backup plan (daily
// copies kept 35 days, copied to a vault in a second region of the same
// jurisdiction). The compliance matrix counts these as configured only for
// what is written here.
func retention(body *hclwrite.Body, cloud, name, region string, bp *blueprint.Blueprint) {
	if bp == nil {
		return
	}
	var lake, logs, backups *blueprint.Component
	for i := range bp.Components {
		c := &bp.Components[i]
		if c.Cloud != cloud {
			continue
		}
		switch c.ID {
		case "lake":
			lake = c
		case "logs":
			logs = c
		case "backups":
			backups = c
		}
	}
	if lake != nil && len(lake.Retention) > 0 {
		lakeLifecycle(body, cloud, lake.Retention)
	}
	if logs != nil && len(logs.Retention) > 0 {
		logRetention(body, cloud, name, logs.Retention[0].Days)
	}
	if blueprint.BackupExported(backups) {
		for _, second := range backups.Retention[0].Regions {
			if second != region {
				awsBackup(body, name, second, backups.Retention[0].Days)
				break
			}
		}
	}
}

// awsBackup writes AWS Backup: a vault (KMS, vault lock), a daily plan with
// a lifecycle, a copy to a vault in the second region, and the selection of
// the lake and checkpoint buckets (versioned, as AWS Backup for S3 needs).
func awsBackup(body *hclwrite.Body, name, second string, days int) {
	prov := body.AppendNewBlock("provider", []string{"aws"}).Body()
	prov.SetAttributeValue("alias", cty.StringVal("backup"))
	prov.SetAttributeValue("region", cty.StringVal(second))
	body.AppendNewline()
	alias := ref("aws", "backup")
	k := body.AppendNewBlock("resource", []string{"aws_kms_key", "backup"}).Body()
	k.SetAttributeRaw("provider", alias)
	k.SetAttributeValue("description", cty.StringVal(name+" backup copies"))
	k.SetAttributeValue("enable_key_rotation", cty.True)
	k.SetAttributeValue("deletion_window_in_days", cty.NumberIntVal(30))
	body.AppendNewline()
	for _, v := range []struct{ id, suffix, key string }{{"main", "-backup", "main"}, {"copy", "-backup-copy", "backup"}} {
		vb := body.AppendNewBlock("resource", []string{"aws_backup_vault", v.id}).Body()
		if v.id == "copy" {
			vb.SetAttributeRaw("provider", alias)
		}
		vb.SetAttributeValue("name", cty.StringVal(name+v.suffix))
		vb.SetAttributeRaw("kms_key_arn", ref("aws_kms_key", v.key, "arn"))
		body.AppendNewline()
	}
	lock := body.AppendNewBlock("resource", []string{"aws_backup_vault_lock_configuration", "main"}).Body()
	lock.SetAttributeRaw("backup_vault_name", ref("aws_backup_vault", "main", "name"))
	lock.SetAttributeValue("min_retention_days", cty.NumberIntVal(7))
	lock.SetAttributeValue("max_retention_days", cty.NumberIntVal(int64(days)))
	body.AppendNewline()
	plan := body.AppendNewBlock("resource", []string{"aws_backup_plan", "main"}).Body()
	plan.SetAttributeValue("name", cty.StringVal(name+"-daily"))
	rule := plan.AppendNewBlock("rule", nil).Body()
	rule.SetAttributeValue("rule_name", cty.StringVal("daily"))
	rule.SetAttributeRaw("target_vault_name", ref("aws_backup_vault", "main", "name"))
	rule.SetAttributeValue("schedule", cty.StringVal("cron(0 3 * * ? *)"))
	rule.AppendNewBlock("lifecycle", nil).Body().SetAttributeValue("delete_after", cty.NumberIntVal(int64(days)))
	cp := rule.AppendNewBlock("copy_action", nil).Body()
	cp.SetAttributeRaw("destination_vault_arn", ref("aws_backup_vault", "copy", "arn"))
	cp.AppendNewBlock("lifecycle", nil).Body().SetAttributeValue("delete_after", cty.NumberIntVal(int64(days)))
	body.AppendNewline()
	role := body.AppendNewBlock("resource", []string{"aws_iam_role", "backup"}).Body()
	role.SetAttributeValue("name", cty.StringVal(name+"-backup"))
	role.SetAttributeRaw("assume_role_policy", hclwrite.TokensForFunctionCall("jsonencode", hclwrite.TokensForValue(cty.ObjectVal(map[string]cty.Value{
		"Version": cty.StringVal("2012-10-17"),
		"Statement": cty.TupleVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{
			"Effect": cty.StringVal("Allow"), "Action": cty.StringVal("sts:AssumeRole"),
			"Principal": cty.ObjectVal(map[string]cty.Value{"Service": cty.StringVal("backup.amazonaws.com")}),
		})}),
	}))))
	body.AppendNewline()
	for i, arn := range []string{"service-role/AWSBackupServiceRolePolicyForBackup", "service-role/AWSBackupServiceRolePolicyForRestores", "AWSBackupServiceRolePolicyForS3Backup", "AWSBackupServiceRolePolicyForS3Restore"} {
		a := body.AppendNewBlock("resource", []string{"aws_iam_role_policy_attachment", fmt.Sprintf("backup_%d", i)}).Body()
		a.SetAttributeRaw("role", ref("aws_iam_role", "backup", "name"))
		a.SetAttributeValue("policy_arn", cty.StringVal("arn:aws:iam::aws:policy/"+arn))
		body.AppendNewline()
	}
	sel := body.AppendNewBlock("resource", []string{"aws_backup_selection", "buckets"}).Body()
	sel.SetAttributeValue("name", cty.StringVal(name+"-buckets"))
	sel.SetAttributeRaw("iam_role_arn", ref("aws_iam_role", "backup", "arn"))
	sel.SetAttributeRaw("plan_id", ref("aws_backup_plan", "main", "id"))
	res := hclwrite.Tokens{{Type: hclsyntax.TokenOBrack, Bytes: []byte("[")}}
	res = append(res, ref("aws_s3_bucket", "lake", "arn")...)
	res = append(res, &hclwrite.Token{Type: hclsyntax.TokenComma, Bytes: []byte(", ")})
	res = append(res, ref("aws_s3_bucket", "checkpoints", "arn")...)
	res = append(res, &hclwrite.Token{Type: hclsyntax.TokenCBrack, Bytes: []byte("]")})
	sel.SetAttributeRaw("resources", res)
	body.AppendNewline()
}

func ruleID(r blueprint.Retention) string {
	if r.Noncurrent {
		return "expire-noncurrent-versions"
	}
	if r.Prefix == "" {
		return "expire-all"
	}
	return "expire-" + strings.TrimSuffix(r.Prefix, "/")
}

func lakeLifecycle(body *hclwrite.Body, cloud string, rules []blueprint.Retention) {
	switch cloud {
	case "aws":
		lc := body.AppendNewBlock("resource", []string{"aws_s3_bucket_lifecycle_configuration", "lake"}).Body()
		lc.SetAttributeRaw("bucket", ref("aws_s3_bucket", "lake", "id"))
		for _, r := range rules {
			rule := lc.AppendNewBlock("rule", nil).Body()
			rule.SetAttributeValue("id", cty.StringVal(ruleID(r)))
			rule.SetAttributeValue("status", cty.StringVal("Enabled"))
			f := rule.AppendNewBlock("filter", nil).Body()
			if r.Prefix != "" {
				f.SetAttributeValue("prefix", cty.StringVal(r.Prefix))
			}
			if r.Noncurrent {
				rule.AppendNewBlock("noncurrent_version_expiration", nil).Body().SetAttributeValue("noncurrent_days", cty.NumberIntVal(int64(r.Days)))
			} else {
				rule.AppendNewBlock("expiration", nil).Body().SetAttributeValue("days", cty.NumberIntVal(int64(r.Days)))
			}
		}
		body.AppendNewline()
	case "gcp":
		bk := body.FirstMatchingBlock("resource", []string{"google_storage_bucket", "lake"})
		if bk == nil {
			return
		}
		for _, r := range rules {
			lr := bk.Body().AppendNewBlock("lifecycle_rule", nil).Body()
			cond := lr.AppendNewBlock("condition", nil).Body()
			if r.Noncurrent {
				cond.SetAttributeValue("days_since_noncurrent_time", cty.NumberIntVal(int64(r.Days)))
			} else {
				cond.SetAttributeValue("age", cty.NumberIntVal(int64(r.Days)))
				if r.Prefix != "" {
					cond.SetAttributeValue("matches_prefix", cty.ListVal([]cty.Value{cty.StringVal(r.Prefix)}))
				}
			}
			lr.AppendNewBlock("action", nil).Body().SetAttributeValue("type", cty.StringVal("Delete"))
		}
	case "azure":
		mp := body.AppendNewBlock("resource", []string{"azurerm_storage_management_policy", "lake"}).Body()
		mp.SetAttributeRaw("storage_account_id", ref("azurerm_storage_account", "lake", "id"))
		for _, r := range rules {
			if r.Noncurrent {
				continue // versioning is off on the Azure lake account
			}
			rule := mp.AppendNewBlock("rule", nil).Body()
			rule.SetAttributeValue("name", cty.StringVal(ruleID(r)))
			rule.SetAttributeValue("enabled", cty.True)
			f := rule.AppendNewBlock("filters", nil).Body()
			f.SetAttributeValue("blob_types", cty.ListVal([]cty.Value{cty.StringVal("blockBlob")}))
			if r.Prefix != "" {
				f.SetAttributeValue("prefix_match", cty.ListVal([]cty.Value{cty.StringVal("lake/" + r.Prefix)}))
			}
			rule.AppendNewBlock("actions", nil).Body().AppendNewBlock("base_blob", nil).Body().
				SetAttributeValue("delete_after_days_since_modification_greater_than", cty.NumberIntVal(int64(r.Days)))
		}
		body.AppendNewline()
	}
}

func logRetention(body *hclwrite.Body, cloud, name string, days int) {
	switch cloud {
	case "aws":
		lg := body.AppendNewBlock("resource", []string{"aws_cloudwatch_log_group", "requests"}).Body()
		lg.SetAttributeValue("name", cty.StringVal(fmt.Sprintf("/aiplan/%s/requests", name)))
		lg.SetAttributeValue("retention_in_days", cty.NumberIntVal(int64(days)))
	case "gcp":
		lb := body.AppendNewBlock("resource", []string{"google_logging_project_bucket_config", "default"}).Body()
		lb.SetAttributeRaw("project", ref("var", "project_id"))
		lb.SetAttributeValue("location", cty.StringVal("global"))
		lb.SetAttributeValue("bucket_id", cty.StringVal("_Default"))
		lb.SetAttributeValue("retention_days", cty.NumberIntVal(int64(days)))
	case "azure":
		la := body.AppendNewBlock("resource", []string{"azurerm_log_analytics_workspace", "main"}).Body()
		la.SetAttributeValue("name", cty.StringVal(name+"-logs"))
		la.SetAttributeRaw("location", ref("azurerm_resource_group", "main", "location"))
		la.SetAttributeRaw("resource_group_name", ref("azurerm_resource_group", "main", "name"))
		la.SetAttributeValue("sku", cty.StringVal("PerGB2018"))
		la.SetAttributeValue("retention_in_days", cty.NumberIntVal(int64(days)))
	}
	body.AppendNewline()
}
