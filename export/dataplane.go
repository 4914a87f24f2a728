package export

import (
	"fmt"
	"strings"

	"github.com/aiplan-dev/aiplan/blueprint"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// The rest of the data plane the blueprint designs and the compliance
// matrix counts as configured only because it is written here: the data
// access audit logs (Google Cloud), the warehouse pinned to the site's
// region with the site's key, and a copy of the request logs in the
// backups' copy region (Google Cloud).

func component(bp *blueprint.Blueprint, id, cloud string) *blueprint.Component {
	if bp == nil {
		return nil
	}
	for i := range bp.Components {
		if c := &bp.Components[i]; c.ID == id && c.Cloud == cloud {
			return c
		}
	}
	return nil
}

func exports(c *blueprint.Component, capability string) bool {
	if c == nil {
		return false
	}
	for _, e := range c.Exported {
		if e == capability {
			return true
		}
	}
	return false
}

// dataPlane writes one site's part; first is the file's first site, ns the
// plan's Kubernetes namespace.
func dataPlane(s site, cloud string, bp *blueprint.Blueprint, first bool, ns string) {
	if cloud == "gcp" && first && exports(component(bp, "audit", cloud), "audit-logging") {
		gcpAuditConfig(s)
	}
	if cloud == "aws" && exports(component(bp, "audit", cloud), "audit-logging") {
		days := 90
		if l := component(bp, "logs", cloud); l != nil && len(l.Retention) > 0 {
			days = l.Retention[0].Days
		}
		awsTrail(s, days, siteBuckets(bp, cloud))
	}
	if w := component(bp, "warehouse", cloud); w != nil && w.Managed {
		warehouse(s, cloud)
	}
	if cloud == "gcp" && first && exports(component(bp, "logs", cloud), "backup") {
		if bk := backupComponent(bp, cloud); bk != nil {
			if to := copyRegion(bk, s.region); to != "" {
				gcpLogCopy(s, to, ns, component(bp, "logs", cloud).Retention[0].Days)
			}
		}
	}
}

// gcpAuditConfig turns on Data Access audit logs (admin reads, data reads
// and writes) for every service of the project, the Cloud Storage buckets
// included; Admin Activity logs are always on (Cloud Audit Logs docs,
// "Enable Data Access audit logs"). They land in the _Default log bucket,
// whose retention the logs component sets.
func gcpAuditConfig(s site) {
	a := s.body.AppendNewBlock("resource", []string{"google_project_iam_audit_config", "all_services"}).Body()
	a.SetAttributeRaw("project", ref("var", "project_id"))
	a.SetAttributeValue("service", cty.StringVal("allServices"))
	for _, t := range []string{"ADMIN_READ", "DATA_READ", "DATA_WRITE"} {
		a.AppendNewBlock("audit_log_config", nil).Body().SetAttributeValue("log_type", cty.StringVal(t))
	}
	s.body.AppendNewline()
}

// warehouse pins the managed warehouse to the site: a BigQuery dataset in
// the site's region with the site's key as its default, or an Athena
// workgroup (in the site's provider region) whose results are written
// encrypted into the site's lake and whose settings queries cannot
// override.
func warehouse(s site, cloud string) {
	switch cloud {
	case "gcp":
		// BigQuery's service agent encrypts tables with the site's key
		if s.body.FirstMatchingBlock("data", []string{"google_bigquery_default_service_account", "bq"}) == nil {
			s.body.AppendNewBlock("data", []string{"google_bigquery_default_service_account", "bq"})
			s.body.AppendNewline()
		}
		km := s.resource("google_kms_crypto_key_iam_member", "bigquery")
		km.SetAttributeRaw("crypto_key_id", s.ref("google_kms_crypto_key", "main", "id"))
		km.SetAttributeValue("role", cty.StringVal("roles/cloudkms.cryptoKeyEncrypterDecrypter"))
		km.SetAttributeRaw("member", ref("data", "google_bigquery_default_service_account", "bq", "member"))
		s.body.AppendNewline()
		d := s.resource("google_bigquery_dataset", "lake")
		d.SetAttributeValue("dataset_id", cty.StringVal(strings.ReplaceAll(clip(s.name, 1000), "-", "_")+"_lake"))
		d.SetAttributeValue("location", cty.StringVal(s.region))
		d.AppendNewBlock("default_encryption_configuration", nil).Body().SetAttributeRaw("kms_key_name", s.ref("google_kms_crypto_key", "main", "id"))
		d.SetAttributeRaw("depends_on", hclwrite.TokensForTuple([]hclwrite.Tokens{s.ref("google_kms_crypto_key_iam_member", "bigquery")}))
		s.body.AppendNewline()
	case "aws":
		w := s.resource("aws_athena_workgroup", "lake")
		w.SetAttributeValue("name", cty.StringVal(s.name))
		cfg := w.AppendNewBlock("configuration", nil).Body()
		cfg.SetAttributeValue("enforce_workgroup_configuration", cty.True)
		rc := cfg.AppendNewBlock("result_configuration", nil).Body()
		rc.SetAttributeRaw("output_location", hclwrite.TokensForFunctionCall("format", hclwrite.TokensForValue(cty.StringVal("s3://%s/athena-results/")), s.ref("aws_s3_bucket", "lake", "bucket")))
		ec := rc.AppendNewBlock("encryption_configuration", nil).Body()
		ec.SetAttributeValue("encryption_option", cty.StringVal("SSE_KMS"))
		ec.SetAttributeRaw("kms_key_arn", s.ref("aws_kms_key", "main", "arn"))
		s.body.AppendNewline()
	}
}

// gcpLogCopy routes the plan's request and application logs (its namespace
// and the gateway's) to a bucket in the backups' copy region, encrypted
// with the copy region's key and expiring with the log retention: a copy of
// the log store in a second region (Cloud Logging docs, "Route logs to
// supported destinations").
func gcpLogCopy(s site, to, ns string, days int) {
	body := s.body
	bk := s.resource("google_storage_bucket", "logs_copy")
	bk.SetAttributeValue("name", cty.StringVal(strings.TrimSuffix(s.name, "-"+slug(s.region))+"-logs-"+to))
	bk.SetAttributeValue("location", cty.StringVal(strings.ToUpper(to)))
	bk.SetAttributeValue("uniform_bucket_level_access", cty.True)
	bk.SetAttributeValue("public_access_prevention", cty.StringVal("enforced"))
	bk.SetAttributeValue("storage_class", cty.StringVal("NEARLINE"))
	bk.AppendNewBlock("encryption", nil).Body().SetAttributeRaw("default_kms_key_name", s.ref("google_kms_crypto_key", "backup_copy", "id"))
	lr := bk.AppendNewBlock("lifecycle_rule", nil).Body()
	lr.AppendNewBlock("condition", nil).Body().SetAttributeValue("age", cty.NumberIntVal(int64(days)))
	lr.AppendNewBlock("action", nil).Body().SetAttributeValue("type", cty.StringVal("Delete"))
	bk.SetAttributeRaw("depends_on", hclwrite.TokensForTuple([]hclwrite.Tokens{s.ref("google_kms_crypto_key_iam_member", "backup_copy")}))
	body.AppendNewline()
	sink := s.resource("google_logging_project_sink", "logs_copy")
	sink.SetAttributeValue("name", cty.StringVal(clip(s.name, 90)+"-logs-copy"))
	sink.SetAttributeRaw("project", ref("var", "project_id"))
	sink.SetAttributeRaw("destination", hclwrite.TokensForFunctionCall("format", hclwrite.TokensForValue(cty.StringVal("storage.googleapis.com/%s")), s.ref("google_storage_bucket", "logs_copy", "name")))
	// ns is a slug and gatewayNS a constant: both are safe inside the
	// filter's quoted strings
	sink.SetAttributeValue("filter", cty.StringVal(fmt.Sprintf(`resource.type="k8s_container" AND (resource.labels.namespace_name=%q OR resource.labels.namespace_name=%q)`, slug(ns), gatewayNS)))
	sink.SetAttributeValue("unique_writer_identity", cty.True)
	body.AppendNewline()
	g := s.resource("google_storage_bucket_iam_member", "logs_copy_writer")
	g.SetAttributeRaw("bucket", s.ref("google_storage_bucket", "logs_copy", "name"))
	g.SetAttributeValue("role", cty.StringVal("roles/storage.objectCreator"))
	g.SetAttributeRaw("member", hclwrite.TokensForTraversal(hcl.Traversal{hcl.TraverseRoot{Name: "google_logging_project_sink"}, hcl.TraverseAttr{Name: "logs_copy" + s.sfx}, hcl.TraverseAttr{Name: "writer_identity"}}))
	body.AppendNewline()
}

// awsTrail writes the site's CloudTrail trail: management events and S3
// data events (object reads and writes) on the lake and checkpoint buckets,
// with log file validation, into its own encrypted bucket that keeps them
// as long as the log store keeps request logs (AWS CloudTrail User Guide,
// "Logging data events" and "Amazon S3 bucket policy for CloudTrail").
func awsTrail(s site, days int, buckets []string) {
	body := s.body
	bk := s.resource("aws_s3_bucket", "audit")
	bk.SetAttributeValue("bucket", cty.StringVal(strings.TrimSuffix(s.name, "-"+slug(s.region))+"-audit-"+s.region))
	body.AppendNewline()
	e := s.resource("aws_s3_bucket_server_side_encryption_configuration", "audit")
	e.SetAttributeRaw("bucket", s.ref("aws_s3_bucket", "audit", "id"))
	d := e.AppendNewBlock("rule", nil).Body().AppendNewBlock("apply_server_side_encryption_by_default", nil).Body()
	// SSE-S3: CloudTrail writes without a grant on the customer key
	d.SetAttributeValue("sse_algorithm", cty.StringVal("AES256"))
	body.AppendNewline()
	pb := s.resource("aws_s3_bucket_public_access_block", "audit")
	pb.SetAttributeRaw("bucket", s.ref("aws_s3_bucket", "audit", "id"))
	for _, k := range []string{"block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"} {
		pb.SetAttributeValue(k, cty.True)
	}
	body.AppendNewline()
	lc := s.resource("aws_s3_bucket_lifecycle_configuration", "audit")
	lc.SetAttributeRaw("bucket", s.ref("aws_s3_bucket", "audit", "id"))
	rule := lc.AppendNewBlock("rule", nil).Body()
	rule.SetAttributeValue("id", cty.StringVal("expire-audit-logs"))
	rule.SetAttributeValue("status", cty.StringVal("Enabled"))
	rule.AppendNewBlock("filter", nil)
	rule.AppendNewBlock("expiration", nil).Body().SetAttributeValue("days", cty.NumberIntVal(int64(days)))
	body.AppendNewline()
	arn := s.ref("aws_s3_bucket", "audit", "arn")
	str := func(v string) hclwrite.Tokens { return hclwrite.TokensForValue(cty.StringVal(v)) }
	attr := func(name string, v hclwrite.Tokens) hclwrite.ObjectAttrTokens {
		return hclwrite.ObjectAttrTokens{Name: hclwrite.TokensForValue(cty.StringVal(name)), Value: v}
	}
	trailPrincipal := hclwrite.TokensForValue(cty.ObjectVal(map[string]cty.Value{"Service": cty.StringVal("cloudtrail.amazonaws.com")}))
	stmts := []hclwrite.Tokens{
		hclwrite.TokensForObject([]hclwrite.ObjectAttrTokens{
			attr("Sid", str("CloudTrailAclCheck")), attr("Effect", str("Allow")), attr("Principal", trailPrincipal),
			attr("Action", str("s3:GetBucketAcl")), attr("Resource", arn),
		}),
		hclwrite.TokensForObject([]hclwrite.ObjectAttrTokens{
			attr("Sid", str("CloudTrailWrite")), attr("Effect", str("Allow")), attr("Principal", trailPrincipal),
			attr("Action", str("s3:PutObject")),
			attr("Resource", hclwrite.TokensForFunctionCall("format", str("%s/AWSLogs/*"), arn)),
			attr("Condition", hclwrite.TokensForValue(cty.ObjectVal(map[string]cty.Value{"StringEquals": cty.ObjectVal(map[string]cty.Value{"s3:x-amz-acl": cty.StringVal("bucket-owner-full-control")})}))),
		}),
		hclwrite.TokensForObject([]hclwrite.ObjectAttrTokens{
			attr("Sid", str("DenyInsecureTransport")), attr("Effect", str("Deny")), attr("Principal", str("*")),
			attr("Action", str("s3:*")),
			attr("Resource", hclwrite.TokensForTuple([]hclwrite.Tokens{arn, hclwrite.TokensForFunctionCall("format", str("%s/*"), arn)})),
			attr("Condition", hclwrite.TokensForValue(cty.ObjectVal(map[string]cty.Value{"Bool": cty.ObjectVal(map[string]cty.Value{"aws:SecureTransport": cty.StringVal("false")})}))),
		}),
	}
	pol := s.resource("aws_s3_bucket_policy", "audit")
	pol.SetAttributeRaw("bucket", s.ref("aws_s3_bucket", "audit", "id"))
	pol.SetAttributeRaw("policy", hclwrite.TokensForFunctionCall("jsonencode", hclwrite.TokensForObject([]hclwrite.ObjectAttrTokens{
		attr("Version", str("2012-10-17")), attr("Statement", hclwrite.TokensForTuple(stmts)),
	})))
	body.AppendNewline()
	tr := s.resource("aws_cloudtrail", "main")
	tr.SetAttributeValue("name", cty.StringVal(s.name))
	tr.SetAttributeRaw("s3_bucket_name", s.ref("aws_s3_bucket", "audit", "id"))
	tr.SetAttributeValue("include_global_service_events", cty.True)
	tr.SetAttributeValue("enable_log_file_validation", cty.True)
	es := tr.AppendNewBlock("event_selector", nil).Body()
	es.SetAttributeValue("read_write_type", cty.StringVal("All"))
	es.SetAttributeValue("include_management_events", cty.True)
	dr := es.AppendNewBlock("data_resource", nil).Body()
	dr.SetAttributeValue("type", cty.StringVal("AWS::S3::Object"))
	var objs []hclwrite.Tokens
	for _, b := range buckets {
		objs = append(objs, hclwrite.TokensForFunctionCall("format", str("%s/"), s.ref("aws_s3_bucket", b, "arn")))
	}
	dr.SetAttributeRaw("values", hclwrite.TokensForTuple(objs))
	tr.SetAttributeRaw("depends_on", hclwrite.TokensForTuple([]hclwrite.Tokens{s.ref("aws_s3_bucket_policy", "audit")}))
	body.AppendNewline()
}
