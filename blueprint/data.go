package blueprint

import (
	"fmt"
	"sort"
	"strings"

	"github.com/aiplan-dev/aiplan/cost"
	"github.com/aiplan-dev/aiplan/spec"
)

// Data roles of a component.
const (
	// Stores: the component keeps workload data at rest.
	Stores = "stores"
	// Moves: the component carries workload data without keeping it.
	Moves = "moves"
)

// Regulated data classes a component can hold.
const (
	Personal = "personal"
	PHI      = "phi"
)

// Retention is an expiry rule of a store. Rules on object stores and log
// stores are written into the Terraform export; the others are settings
// the deployment applies.
type Retention struct {
	// Prefix limits an object-store rule to keys under it ("" = all).
	Prefix string `json:"prefix,omitempty"`
	Days   int    `json:"days"`
	// Noncurrent rules expire old object versions, not current ones.
	Noncurrent bool   `json:"noncurrent,omitempty"`
	Why        string `json:"why"`
}

// Modelling conventions for retention, documented where they are used.
const (
	// streamRetentionDays: a stream feeding a lake is a buffer of a week.
	streamRetentionDays = 7
	// noncurrentVersionDays bounds how long erased or overwritten objects
	// survive in old versions of a versioned bucket.
	noncurrentVersionDays = 30
	// backupRetentionDays: daily backups kept five weeks, so an erasure
	// reaches every backup within that time.
	backupRetentionDays = 35
	// erasureWithinDays: expiry counts as an erasure path only when it
	// removes the data within a month (GDPR Art. 12(3) answer period).
	erasureWithinDays = 30
)

// LogRetentionDays is the request-log retention the export writes: at least
// six months when the EU AI Act applies (Art. 19(1), Art. 26(6)), rounded
// up to a value CloudWatch Logs accepts; 90 days otherwise.
func LogRetentionDays(f *spec.File) int {
	for _, r := range f.Constraints.Compliance {
		if strings.HasPrefix(strings.ToLower(r), "eu-ai-act") {
			return 365
		}
	}
	for _, w := range f.Workloads {
		if w.RiskClass != "" {
			return 365
		}
	}
	return 90
}

// TerraformClouds are the clouds the Terraform export writes files for.
var TerraformClouds = map[string]bool{"aws": true, "gcp": true, "azure": true}

// classes returns the regulated data the named workloads declare.
func (b *builder) classes(names []string) []string {
	set := map[string]bool{}
	for _, w := range b.in.File.Workloads {
		if !has(names, w.Name) {
			continue
		}
		if w.PersonalData {
			set[Personal] = true
		}
		if w.PHI {
			set[PHI] = true
		}
		if w.PHI {
			set[Personal] = true // PHI is personal data of the patient
		}
	}
	var out []string
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func union(lists ...[]string) []string {
	set := map[string]bool{}
	for _, l := range lists {
		for _, x := range l {
			set[x] = true
		}
	}
	var out []string
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (b *builder) find(id string) *Component {
	for i := range b.bp.Components {
		if b.bp.Components[i].ID == id {
			return &b.bp.Components[i]
		}
	}
	return nil
}

// transitRegimes are the regimes whose texts require protecting data in
// transit: GDPR Art. 32(1)(a), HIPAA 164.312(e)(1), SOC 2 CC6.7.
func (b *builder) needsMesh() bool {
	return b.regimes["gdpr"] || b.regimes["hipaa"] || b.regimes["soc2"]
}

// dataPlane adds the components that make data controls true: a service
// mesh for in-cluster mTLS, the model-weights store, the log store with its
// retention, and backups to another region.
func (b *builder) dataPlane() {
	cl := b.bp.PrimaryCloud
	if b.needsMesh() {
		b.add(Component{ID: "mesh", Layer: "security", Name: "Istio in ambient mode (ztunnel mTLS between all pods, PeerAuthentication STRICT)", Managed: false,
			Reason:       "the regimes in scope require encryption in transit; NetworkPolicies segment traffic but do not encrypt it, so every pod-to-pod hop is mutually authenticated TLS",
			Alternatives: []Alternative{{"Linkerd", "equally valid mTLS; Istio ambient needs no sidecars in GPU pods"}, {"TLS configured per service", "one missed service leaves a plaintext hop"}},
			Provides:     []string{"mtls"}, Settings: []string{"PeerAuthentication STRICT in every namespace", "AuthorizationPolicy: model servers accept only the gateway's identity, stores only their clients'"}})
	}
	models := b.workloads(spec.Training, spec.FineTuning)
	if len(models) > 0 {
		name := managed("object", cl)
		if name == "" {
			name = "S3-compatible object storage"
		}
		b.add(Component{ID: "model-store", Layer: "tracking", Name: name + " bucket for checkpoints and model weights", Managed: true, Serves: models,
			Reason:       "trained weights and checkpoints live apart from the lake, versioned and encrypted; weights trained on personal data are personal data",
			Alternatives: []Alternative{{"model registry database", "weights are too large for a database"}},
			Provides:     []string{"model-weights"}, Settings: []string{"SSE with customer-managed KMS keys", "versioning", "public access blocked"}})
	}
	logs := map[string]string{"aws": "Amazon CloudWatch Logs", "gcp": "Cloud Logging", "azure": "Azure Monitor Logs (Log Analytics)"}[cl]
	if logs == "" {
		logs = "Loki on object storage"
	}
	days := LogRetentionDays(b.in.File)
	b.add(Component{ID: "logs", Layer: "monitoring", Name: fmt.Sprintf("%s: request and application logs, %d-day retention", logs, days), Managed: true,
		Reason:       "request logs are evidence (who asked what, when, which model answered) and hold personal data, so they get a retention that the export writes",
		Alternatives: []Alternative{{"logs kept forever", "breaks storage limitation and keeps erased data"}, {"no request logs", "no record of events for audits or incidents"}},
		Provides:     []string{"log-store"}, Settings: []string{"prompts redacted at the gateway, user ids pseudonymised", "provider encryption at rest"},
		Retention: []Retention{{Days: days, Why: "request logs kept at least six months where the EU AI Act applies (Art. 19(1), 26(6)), otherwise 90 days"}}})
	if b.find("lake") != nil || len(models) > 0 {
		name := map[string]string{"aws": "S3 Replication into Object Lock buckets (Glacier Instant Retrieval)", "gcp": "Cloud Storage Nearline backup bucket (35-day soft delete) mirrored daily by Storage Transfer Service", "azure": "Azure Backup"}[cl]
		if name == "" {
			name = "Restic/Velero backups"
		}
		copies, costs, why := b.backupCopies(cl)
		where := "a second region"
		if len(copies) > 0 {
			var to []string
			for _, c := range copies {
				to = append(to, c.To)
			}
			where = strings.Join(to, ", ")
		}
		how := "daily copies"
		settings := []string{"backup copies encrypted with a KMS key in the second region", "deleted copies restorable for the retention period (Google Cloud soft delete)", "restores re-apply the erasure log before data is used again"}
		alts := []Alternative{{"bucket versioning only", "not a separate copy, and it keeps erased data"}, {"cross-region replication only", "replicates deletions and corruption too"}}
		if cl == "aws" {
			how = "continuous copies"
			settings = []string{
				"replica buckets encrypted with a KMS key in the copy region",
				fmt.Sprintf("S3 Object Lock in compliance mode: every replicated version is undeletable for %d days, by anyone, the root account included", backupRetentionDays),
				fmt.Sprintf("delete markers are replicated, deletes of a specific version are not: a delete in the lake hides the copy, whose previous version stays restorable for %d days and then expires, so an erasure reaches the copy within %d days", backupRetentionDays, backupRetentionDays),
				fmt.Sprintf("the lock covers versions replicated in the last %d days; older copies are protected by versioning and the noncurrent expiry, which an account administrator can change", backupRetentionDays),
				"objects written before replication is configured need one S3 Batch Replication job",
				"Glacier Instant Retrieval bills 90 days minimum per object and 0.03 USD per GB restored",
				"restores re-apply the erasure log before data is used again",
			}
			alts = []Alternative{{"bucket versioning only", "not a separate copy, and it keeps erased data"}, {"AWS Backup for S3 with a cross-region copy", "0.05 USD per GB-month of warm backup storage in each of two vaults, against 0.004 for one Glacier Instant Retrieval replica"}, {"replication without Object Lock", "a deletion or corruption in the lake reaches the copy"}}
		}
		if why != "" {
			settings = append(settings, why)
		}
		b.add(Component{ID: "backups", Layer: "lake", Name: fmt.Sprintf("%s: %s to %s, %d-day retention, restore tested quarterly", name, how, where, backupRetentionDays), Managed: true, Copies: copies, Costs: costs,
			Reason:       "bucket versioning is not a backup (same bucket, same account, same region); a copy elsewhere survives deletion, ransomware and a regional outage",
			Alternatives: alts,
			Provides:     []string{"backup-copies"}, Settings: settings,
			Retention: []Retention{{Days: backupRetentionDays, Why: "an erasure reaches every backup within five weeks"}}})
	}
}

// backupCopyClouds are the clouds whose Terraform export writes the backup
// copies (S3 Replication into an Object Lock bucket in the copy region; a
// Cloud Storage bucket in the copy region filled daily by Storage Transfer
// Service).
var backupCopyClouds = map[string]bool{"aws": true, "gcp": true}

// backupCopies picks, for each region the plan runs a site in on the cloud,
// the region its backups are copied to: another catalog region of the same
// cloud in the same jurisdiction, within constraints.regions when the file
// lists them (so residency holds). It prices the copies: one copy of the
// object storage the plan priced (lake and checkpoints, GB-months) in the
// copy region's backup storage class, and the cross-region transfer of a
// month's new data. Replication's PUT requests (0.02 USD per 1,000 into
// Glacier Instant Retrieval) are not priced: lake files of 100 MB or more
// make them cents per TB. why says why there is no
// copy region when there is none.
func (b *builder) backupCopies(cloud string) ([]Copy, []cost.Component, string) {
	sites := b.pricedRegions(cloud)
	if len(sites) == 0 || !backupCopyClouds[cloud] || b.in.Pricer == nil || b.in.Pricer.C == nil {
		return nil, nil, ""
	}
	c := b.in.Pricer.C
	allowed := map[string]bool{}
	for _, r := range b.in.File.Constraints.Regions {
		allowed[r] = true
	}
	var copies []Copy
	for _, from := range sites {
		home, ok := c.Region(from)
		if !ok {
			return nil, nil, fmt.Sprintf("no copy region: %s is not in the catalog's regions, so its jurisdiction is unknown", from)
		}
		to := ""
		for _, r := range c.Regions {
			if r.Cloud != cloud || r.ID == from || r.Jurisdiction != home.Jurisdiction || (len(allowed) > 0 && !allowed[r.ID]) {
				continue
			}
			if to == "" || r.ID < to {
				to = r.ID
			}
		}
		if to == "" {
			return nil, nil, fmt.Sprintf("no copy region: no other %s region in jurisdiction %s is allowed; choose one and add it to constraints.regions", cloud, home.Jurisdiction)
		}
		copies = append(copies, Copy{From: from, To: to})
	}
	gb, perDay := 0.0, 0.0
	for _, r := range b.in.Results {
		if r.Choice == nil {
			continue
		}
		for _, l := range r.Choice.Components {
			if l.Category == "storage" && l.Unit == "GB-months" {
				gb += l.Quantity
			}
		}
	}
	for _, w := range b.in.File.Workloads {
		if w.Type == spec.DataPipeline {
			perDay += w.IngestGBPerDay
		}
	}
	var to []string
	for _, cp := range copies {
		to = append(to, cp.To)
	}
	store, ssrc := b.rate("backup-storage/"+cloud, 0.05)
	xfer, xsrc := b.rate("backup-transfer/"+cloud, 0.02)
	days, _ := b.rate("hours-per-month", 730)
	costs := []cost.Component{
		cost.Line(fmt.Sprintf("backup copies in %s (lake and checkpoints as priced; deleted versions kept %d days)", strings.Join(to, ", "), backupRetentionDays), "storage", "GB-months", gb, store, ssrc),
		cost.Line("backup transfer to the copy region (a month of new data)", "network", "GB", perDay*days/24, xfer, xsrc),
	}
	return copies, costs, ""
}

// inCluster reports whether every named workload runs on cluster nodes the
// Kubernetes export deploys (not an API, a device, a serverless or a
// managed endpoint).
func (b *builder) inCluster(names []string) bool {
	n := 0
	for _, r := range b.in.Results {
		if !has(names, r.Workload) {
			continue
		}
		if r.Choice == nil {
			return false
		}
		switch r.Choice.Pricing {
		case "api", "device", "serverless", "managed-platform":
			return false
		}
		n++
	}
	return n > 0
}

// pricedRegions are the regions of a cloud where the plan runs instances in
// a cluster: the Terraform export writes one site (cluster, lake bucket,
// keys, logs) per such region and nothing for a cloud without one.
func (b *builder) pricedRegions(cloud string) []string {
	set := map[string]bool{}
	for _, r := range b.in.Results {
		o := r.Choice
		if o == nil || o.Cloud != cloud || o.Instance == "" || o.OnPrem != "" || o.Region == "" {
			continue
		}
		switch o.Pricing {
		case "api", "device", "serverless", "managed-platform":
			continue
		}
		set[o.Region] = true
	}
	var out []string
	for r := range set {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

func addCaps(c *Component, exported bool, caps ...string) {
	for _, x := range caps {
		if !has(c.Provides, x) {
			c.Provides = append(c.Provides, x)
		}
		if exported && !has(c.Exported, x) {
			c.Exported = append(c.Exported, x)
		}
	}
}

// declareData marks the components that store or move workload data, with
// the regulated data they hold and the security capabilities each one
// really has; Exported marks what the exports write.
func (b *builder) declareData() {
	pipes := b.workloads(spec.DataPipeline)
	train := b.workloads(spec.Training, spec.FineTuning)
	mesh := b.find("mesh") != nil
	backups := b.find("backups") != nil
	// copied: the Terraform writes the backups (replica or backup bucket in
	// the copy region, S3 Replication or daily transfer) of the lake and
	// checkpoint buckets.
	copied := false
	if bk := b.find("backups"); bk != nil {
		copied = len(bk.Copies) > 0 && TerraformClouds[bk.Cloud] && len(b.pricedRegions(bk.Cloud)) > 0
	}
	var served []string
	for _, c := range b.bp.Components {
		if c.Layer == "serving" || c.ID == "gateway" {
			served = append(served, c.Serves...)
		}
	}
	for i := range b.bp.Components {
		c := &b.bp.Components[i]
		tf := TerraformClouds[c.Cloud] && len(b.pricedRegions(c.Cloud)) > 0
		pinnedWarehouse := false
		// inCluster components get encryption in transit from the mesh;
		// managed services from their enforced TLS settings.
		transit := func() {
			if c.Managed || mesh {
				addCaps(c, false, "encryption-in-transit")
			}
			if mesh && !c.Managed {
				// mTLS identities plus AuthorizationPolicy per service
				addCaps(c, false, "authentication", "access-control")
			}
		}
		switch {
		case c.ID == "streaming":
			c.Data, c.Store, c.Holds = Stores, "stream", b.classes(c.Serves)
			c.Retention = []Retention{{Days: streamRetentionDays, Why: "topic retention: the stream is a buffer, the lake keeps the record"}}
			addCaps(c, false, "encryption-at-rest", "access-control", "authentication", "retention-enforced", "erasure", "backup")
			transit()
			// self-hosted (Strimzi): the Kubernetes export writes the cluster
			// (TLS listener with client certificates, simple authorization)
			// and each topic's retention.ms (export/kafka.go)
			addCaps(c, !c.Managed, "retention-enforced", "encryption-in-transit", "authentication", "access-control")
		case c.ID == "batch-ingest":
			c.Data, c.Holds = Moves, b.classes(c.Serves)
			addCaps(c, false, "encryption-in-transit", "authentication", "access-control") // the orchestrator's scoped cloud role
		case c.ID == "lake":
			c.Data, c.Store, c.Holds = Stores, "lake", b.classes(c.Serves)
			addCaps(c, false, "access-control", "authentication", "erasure")
			addCaps(c, tf, "encryption-at-rest")
			addCaps(c, tf && c.Cloud != "azure", "integrity")
			// GCS serves only HTTPS; the Azure account is HTTPS-only with min
			// TLS 1.2; the S3 bucket policy denies aws:SecureTransport = false
			addCaps(c, tf, "encryption-in-transit")
			if backups {
				addCaps(c, copied && c.Cloud == b.find("backups").Cloud, "backup")
			}
			retained := true
			for _, w := range b.in.File.Workloads {
				if w.Type == spec.DataPipeline && has(c.Serves, w.Name) {
					if w.RetentionDays > 0 {
						c.Retention = append(c.Retention, Retention{Prefix: slug(w.Name) + "/", Days: int(w.RetentionDays + 0.5), Why: fmt.Sprintf("workloads %s retentionDays", w.Name)})
					} else {
						retained = false
					}
				}
			}
			if c.Cloud != "azure" {
				c.Retention = append(c.Retention, Retention{Days: noncurrentVersionDays, Noncurrent: true, Why: "erased or overwritten objects leave old versions within 30 days"})
			}
			if retained && len(pipes) > 0 {
				addCaps(c, tf, "retention-enforced")
			}
		case c.ID == "warehouse":
			c.Data, c.Holds = Moves, b.classes(c.Serves)
			addCaps(c, false, "access-control", "authentication")
			transit()
			// the Terraform writes the BigQuery dataset (or Athena workgroup)
			// in the site's region with the site's key
			pinnedWarehouse = tf && c.Managed && (c.Cloud == "gcp" || c.Cloud == "aws")
		case c.ID == "feature-store":
			c.Data, c.Store, c.Holds = Stores, "feature-store", b.classes(c.Serves)
			ttl := erasureWithinDays
			c.Retention = []Retention{{Days: ttl, Why: "online key TTL: features not refreshed within a month expire"}}
			addCaps(c, false, "encryption-at-rest", "access-control", "authentication", "retention-enforced", "erasure", "backup")
			addCaps(c, false, "encryption-in-transit") // Redis TLS
		case strings.HasPrefix(c.ID, "vector-store-"):
			c.Data, c.Store, c.Holds = Stores, "vector-store", b.classes(c.Serves)
			addCaps(c, false, "encryption-at-rest", "access-control", "authentication", "erasure", "backup")
			if c.Managed {
				addCaps(c, false, "encryption-in-transit")
			} else {
				transit()
			}
		case c.ID == "training":
			c.Data, c.Holds = Moves, b.classes(c.Serves)
			transit()
			addCaps(c, mesh && b.inCluster(c.Serves), "encryption-in-transit", "authentication", "access-control")
		case c.ID == "tracking":
			c.Data, c.Store, c.Holds = Stores, "artefacts", b.classes(train)
			addCaps(c, false, "encryption-at-rest", "access-control", "authentication", "erasure")
			// the Terraform writes the artefacts bucket (KMS, versioned,
			// public access blocked; in the backups' selection)
			addCaps(c, tf && c.Cloud != "azure", "encryption-at-rest", "integrity")
			if backups {
				addCaps(c, copied && c.Cloud == b.find("backups").Cloud && c.Cloud != "azure", "backup")
			}
			transit()
		case c.ID == "model-store":
			c.Data, c.Store, c.Holds = Stores, "model-weights", b.classes(c.Serves)
			addCaps(c, false, "access-control", "authentication")
			addCaps(c, tf && c.Cloud != "azure", "encryption-in-transit") // the checkpoints bucket, as the lake's
			addCaps(c, tf, "encryption-at-rest")
			addCaps(c, tf && c.Cloud != "azure", "integrity")
			if backups {
				addCaps(c, copied && c.Cloud == b.find("backups").Cloud, "backup") // the checkpoints bucket
			}
		case c.Layer == "serving":
			c.Data, c.Holds = Moves, b.classes(c.Serves)
			transit()
			// the Kubernetes export puts these pods in the plan's namespace,
			// enrolled in the mesh with STRICT mTLS and an AuthorizationPolicy
			addCaps(c, mesh && b.inCluster(c.Serves), "encryption-in-transit", "authentication", "access-control")
		case c.ID == "gateway":
			c.Data, c.Holds = Moves, b.classes(c.Serves)
			addCaps(c, false, "encryption-in-transit", "authentication", "access-control")
		case c.ID == "drift":
			c.Data, c.Holds = Moves, b.classes(c.Serves)
			transit()
		case c.ID == "logs":
			c.Data, c.Store, c.Holds = Stores, "logs", b.classes(served)
			addCaps(c, false, "access-control", "authentication", "encryption-in-transit")
			// Google Cloud: a log sink copies the request logs into the
			// backups' copy region (export/dataplane.go)
			if copied && c.Cloud == "gcp" && b.find("backups").Cloud == "gcp" {
				addCaps(c, true, "backup")
			}
			addCaps(c, tf, "encryption-at-rest", "retention-enforced", "integrity") // log events cannot be edited, only expire
			if c.Retention[0].Days <= erasureWithinDays {
				addCaps(c, false, "erasure")
			}
		case c.ID == "backups":
			var holds []string
			for _, id := range []string{"lake", "tracking", "model-store"} {
				if s := b.find(id); s != nil {
					holds = append(holds, s.Holds...)
				}
			}
			c.Data, c.Store, c.Holds = Stores, "backups", union(holds)
			addCaps(c, false, "encryption-in-transit", "access-control", "authentication", "erasure")
			// the Terraform writes, per site, a KMS key and an Object Lock
			// replica (or a soft-delete bucket) in the copy region the plan
			// priced, the replication (or daily copy) and the 35-day expiry
			// (export/backup.go)
			addCaps(c, copied, "encryption-at-rest", "retention-enforced", "backup", "integrity")
		case c.ID == "netpol":
			addCaps(c, true, "network-segmentation")
		case c.ID == "mesh":
			addCaps(c, true, "mtls") // PeerAuthentication and AuthorizationPolicy (export/mesh.go)
		case c.ID == "monitoring":
			addCaps(c, true, "alerting") // the Prometheus rules export
		case c.ID == "audit":
			// Data Access audit logs for every service (Google Cloud); a
			// CloudTrail trail with S3 data events on the buckets (AWS)
			addCaps(c, tf && (c.Cloud == "gcp" || c.Cloud == "aws"), "audit-logging")
		case c.ID == "kms":
			addCaps(c, tf, "key-management")
		}
		if c.Data == "" {
			continue
		}
		// The Terraform pins the region of what it writes (buckets, log
		// store) and of the cluster that runs the self-hosted components;
		// managed services it does not write take their region at deployment.
		pinned := tf && (!c.Managed || c.ID == "lake" || c.ID == "logs" || c.ID == "model-store" || (c.ID == "backups" && copied) || (c.ID == "warehouse" && pinnedWarehouse))
		if b.residencyEU() {
			addCaps(c, pinned, "residency-eu")
		}
		// A BAA covers the cloud account the Terraform writes into.
		if b.regimes["hipaa"] && b.in.Pricer.C.HIPAAEligible(c.Cloud) {
			addCaps(c, tf, "hipaa-eligible")
		}
	}
	// Exported is a subset of Provides, in Provides order.
	for i := range b.bp.Components {
		c := &b.bp.Components[i]
		var ex []string
		for _, p := range c.Provides {
			if has(c.Exported, p) {
				ex = append(ex, p)
			}
		}
		c.Exported = ex
	}
}
