package export

import (
	"fmt"
	"strings"

	"github.com/aiplan-dev/aiplan/blueprint"
	"github.com/zclconf/go-cty/cty"
)

// retention writes the blueprint's expiry rules into a cloud's Terraform:
// lifecycle rules on the lake bucket (per pipeline prefix, and noncurrent
// versions) and the request-log retention. The compliance matrix counts
// retention as configured only for what is written here.
func retention(s site, cloud string, bp *blueprint.Blueprint, first bool) {
	if bp == nil {
		return
	}
	var lake, logs *blueprint.Component
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
		}
	}
	if lake != nil && len(lake.Retention) > 0 {
		lakeLifecycle(s, cloud, lake.Retention)
	}
	if logs != nil && len(logs.Retention) > 0 {
		logRetention(s, cloud, logs.Retention[0].Days, first)
	}
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

func lakeLifecycle(s site, cloud string, rules []blueprint.Retention) {
	body := s.body
	switch cloud {
	case "aws":
		lc := s.resource("aws_s3_bucket_lifecycle_configuration", "lake")
		lc.SetAttributeRaw("bucket", s.ref("aws_s3_bucket", "lake", "id"))
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
		bk := body.FirstMatchingBlock("resource", []string{"google_storage_bucket", "lake" + s.sfx})
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
		mp := s.resource("azurerm_storage_management_policy", "lake")
		mp.SetAttributeRaw("storage_account_id", s.ref("azurerm_storage_account", "lake", "id"))
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

func logRetention(s site, cloud string, days int, first bool) {
	body, name := s.body, s.name
	switch cloud {
	case "aws":
		lg := s.resource("aws_cloudwatch_log_group", "requests")
		lg.SetAttributeValue("name", cty.StringVal(fmt.Sprintf("/aiplan/%s/requests", name)))
		lg.SetAttributeValue("retention_in_days", cty.NumberIntVal(int64(days)))
	case "gcp":
		if !first {
			return // the project's _Default log bucket is one for all regions
		}
		lb := body.AppendNewBlock("resource", []string{"google_logging_project_bucket_config", "default"}).Body()
		lb.SetAttributeRaw("project", ref("var", "project_id"))
		lb.SetAttributeValue("location", cty.StringVal("global"))
		lb.SetAttributeValue("bucket_id", cty.StringVal("_Default"))
		lb.SetAttributeValue("retention_days", cty.NumberIntVal(int64(days)))
	case "azure":
		la := s.resource("azurerm_log_analytics_workspace", "main")
		la.SetAttributeValue("name", cty.StringVal(name+"-logs"))
		la.SetAttributeRaw("location", s.ref("azurerm_resource_group", "main", "location"))
		la.SetAttributeRaw("resource_group_name", s.ref("azurerm_resource_group", "main", "name"))
		la.SetAttributeValue("sku", cty.StringVal("PerGB2018"))
		la.SetAttributeValue("retention_in_days", cty.NumberIntVal(int64(days)))
	}
	body.AppendNewline()
}
