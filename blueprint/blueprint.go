// Package blueprint chooses the architecture around the planned workloads:
// one component per layer (ingestion, orchestration, lake, warehouse,
// feature store, vector store, training orchestration, tracking and
// registry, CI/CD, serving, gateway, autoscaling, monitoring, security and
// governance), each with the reason it was chosen and the alternatives it
// beat, driven by the workloads, the constraints and the team size. Each
// component lists the capabilities it provides, which the compliance
// package maps to controls. Managed services are chosen for small teams.
package blueprint

import (
	"fmt"
	"sort"
	"strings"

	"github.com/aiplan-dev/aiplan/catalog"
	"github.com/aiplan-dev/aiplan/cost"
	"github.com/aiplan-dev/aiplan/search"
	"github.com/aiplan-dev/aiplan/spec"
)

// Layers in the order the diagram and reports show them.
var Layers = []string{"ingestion", "orchestration", "lake", "warehouse", "feature-store", "vector-store", "training", "tracking", "cicd", "serving", "gateway", "autoscaling", "monitoring", "security"}

// Component is one chosen building block.
type Component struct {
	ID           string           `json:"id"`
	Layer        string           `json:"layer"`
	Name         string           `json:"name"`
	Managed      bool             `json:"managed"`
	Reason       string           `json:"reason"`
	Alternatives []Alternative    `json:"alternatives,omitempty"`
	Serves       []string         `json:"serves,omitempty"`
	Provides     []string         `json:"provides"`
	Cloud        string           `json:"cloud,omitempty"`
	Costs        []cost.Component `json:"costs,omitempty"`
	MonthlyUSD   float64          `json:"monthly_usd"`
	Settings     []string         `json:"settings,omitempty"`
	// Data is "stores" or "moves" for a component that holds workload data
	// (see data.go); Store names the kind of store; Holds lists the
	// regulated data it holds ("personal", "phi") from the workloads.
	Data  string   `json:"data,omitempty"`
	Store string   `json:"store,omitempty"`
	Holds []string `json:"holds,omitempty"`
	// Exported lists the capabilities the exports (Terraform, Kubernetes
	// manifests, alert rules) really configure for this component; the
	// rest of Provides is designed but left to the deployment.
	Exported []string `json:"exported,omitempty"`
	// Retention lists the expiry rules of a store.
	Retention []Retention `json:"retention,omitempty"`
	// Copies (backups) pairs each region the plan runs a site in with the
	// region its backups are copied to, in the same jurisdiction. A copy
	// region is part of the plan: its storage is priced in Costs.
	Copies []Copy `json:"copies,omitempty"`
}

// Copy is a backup copy from a site's region to a second region.
type Copy struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Alternative is a component that lost, with why.
type Alternative struct {
	Name   string `json:"name"`
	WhyNot string `json:"why_not"`
}

// Edge is a data or control flow between components.
type Edge struct {
	From, To, Label string
}

// Phase is one step of the rollout roadmap.
type Phase struct {
	Name       string   `json:"name"`
	Components []string `json:"components"`
	DependsOn  []string `json:"depends_on,omitempty"`
	Unblocks   []string `json:"unblocks,omitempty"`
}

// Blueprint is the architecture of a plan.
type Blueprint struct {
	PrimaryCloud string      `json:"primary_cloud"`
	Clouds       []string    `json:"clouds"`
	Regions      []string    `json:"regions"`
	Managed      string      `json:"managed_policy"`
	Components   []Component `json:"components"`
	Edges        []Edge      `json:"edges"`
	Roadmap      []Phase     `json:"roadmap"`
	MonthlyUSD   float64     `json:"monthly_usd"`
}

// Input is what the blueprint is derived from.
type Input struct {
	File    *spec.File
	Results []search.Result
	Pricer  *cost.Pricer
	Hours   float64
}

type builder struct {
	in      Input
	bp      *Blueprint
	small   bool
	regimes map[string]bool
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Design derives the blueprint.
func Design(in Input) *Blueprint {
	b := &builder{in: in, bp: &Blueprint{}, regimes: map[string]bool{}}
	for _, r := range in.File.Constraints.Compliance {
		b.regimes[strings.ToLower(r)] = true
	}
	team := in.File.Metadata.TeamSize
	b.small = team > 0 && team < 10
	switch {
	case team == 0:
		b.small = true
		b.bp.Managed = "managed services (team size not given: assume a small platform team)"
	case b.small:
		b.bp.Managed = fmt.Sprintf("managed services: a team of %d should not run its own control planes", team)
	default:
		b.bp.Managed = fmt.Sprintf("self-hosted on Kubernetes where it is cheaper: a team of %d can operate it", team)
	}
	b.clouds()
	b.data()
	b.ml()
	b.serving()
	b.operations()
	b.security()
	b.dataPlane()
	b.declareData()
	b.roadmap()
	b.platformNodes()
	for i := range b.bp.Components {
		c := &b.bp.Components[i]
		c.MonthlyUSD = cost.Sum(c.Costs)
		b.bp.MonthlyUSD += c.MonthlyUSD
	}
	sort.SliceStable(b.bp.Components, func(i, j int) bool {
		return layerIndex(b.bp.Components[i].Layer) < layerIndex(b.bp.Components[j].Layer)
	})
	return b.bp
}

func layerIndex(l string) int {
	for i, x := range Layers {
		if x == l {
			return i
		}
	}
	return len(Layers)
}

func (b *builder) add(c Component) {
	if c.Cloud == "" {
		c.Cloud = b.bp.PrimaryCloud
	}
	b.bp.Components = append(b.bp.Components, c)
}

func (b *builder) edge(from, to, label string) {
	b.bp.Edges = append(b.bp.Edges, Edge{from, to, label})
}

func (b *builder) workloads(types ...string) []string {
	var out []string
	for _, w := range b.in.File.Workloads {
		if has(types, w.Type) {
			out = append(out, w.Name)
		}
	}
	return out
}

func (b *builder) rate(id string, def float64) (float64, string) {
	v, src, ok := b.in.Pricer.Rate(id)
	if !ok {
		return def, "planning default"
	}
	return v, src
}

// clouds picks the primary cloud: the one carrying the most monthly spend.
func (b *builder) clouds() {
	spend := map[string]float64{}
	regions := map[string]bool{}
	for _, r := range b.in.Results {
		if r.Choice == nil || r.Choice.Cloud == "" || r.Choice.Pricing == "api" {
			continue
		}
		spend[r.Choice.Cloud] += r.Choice.MonthlyUSD + r.Choice.OneOffUSD
		if r.Choice.Region != "" {
			regions[r.Choice.Region] = true
		}
	}
	for c := range spend {
		b.bp.Clouds = append(b.bp.Clouds, c)
	}
	sort.Strings(b.bp.Clouds)
	// The platform (lake, managed services, keys) lives on the hyperscaler
	// with the most spend; GPU clouds host node pools only.
	best := ""
	for _, c := range b.bp.Clouds {
		if hyperscaler[c] && (best == "" || spend[c] > spend[best]) {
			best = c
		}
	}
	if best == "" {
		for _, c := range b.in.File.Constraints.Clouds {
			if hyperscaler[c] {
				best = c
				break
			}
		}
	}
	if best == "" && len(b.in.File.Constraints.Clouds) == 0 {
		best = "aws"
	}
	if best == "" && len(b.bp.Clouds) > 0 {
		best = b.bp.Clouds[0]
	}
	if best != "" && !has(b.bp.Clouds, best) {
		b.bp.Clouds = append(b.bp.Clouds, best)
		sort.Strings(b.bp.Clouds)
	}
	if best == "" {
		best = "aws"
		if cl := b.in.File.Constraints.Clouds; len(cl) > 0 {
			best = cl[0]
		}
		b.bp.Clouds = []string{best}
	}
	b.bp.PrimaryCloud = best
	for r := range regions {
		b.bp.Regions = append(b.bp.Regions, r)
	}
	if len(b.bp.Regions) == 0 {
		b.bp.Regions = append(b.bp.Regions, b.in.File.Constraints.Regions...)
	}
	sort.Strings(b.bp.Regions)
}

var hyperscaler = map[string]bool{"aws": true, "gcp": true, "azure": true}

// Names of managed services per cloud.
var managedNames = map[string]map[string]string{
	"kafka":     {"aws": "Amazon MSK", "gcp": "Google Cloud Managed Service for Apache Kafka", "azure": "Azure Event Hubs (Kafka protocol)"},
	"airflow":   {"aws": "Amazon MWAA (managed Airflow)", "gcp": "Cloud Composer (managed Airflow)", "azure": "Azure Data Factory workflow orchestration (managed Airflow)"},
	"object":    {"aws": "Amazon S3", "gcp": "Google Cloud Storage", "azure": "Azure Data Lake Storage Gen2"},
	"warehouse": {"aws": "Amazon Athena over Iceberg", "gcp": "BigQuery (BigLake Iceberg tables)", "azure": "Azure Synapse serverless SQL"},
	"postgres":  {"aws": "Amazon RDS for PostgreSQL", "gcp": "Cloud SQL for PostgreSQL", "azure": "Azure Database for PostgreSQL"},
	"k8s":       {"aws": "Amazon EKS", "gcp": "Google Kubernetes Engine", "azure": "Azure Kubernetes Service"},
	"kms":       {"aws": "AWS KMS", "gcp": "Cloud KMS", "azure": "Azure Key Vault keys"},
	"secrets":   {"aws": "AWS Secrets Manager", "gcp": "Secret Manager", "azure": "Azure Key Vault secrets"},
	"audit":     {"aws": "AWS CloudTrail", "gcp": "Cloud Audit Logs", "azure": "Azure Monitor activity logs"},
	"prom":      {"aws": "Amazon Managed Service for Prometheus + Managed Grafana", "gcp": "Google Cloud Managed Service for Prometheus + Grafana", "azure": "Azure Monitor managed Prometheus + Azure Managed Grafana"},
	"iam":       {"aws": "IAM Roles for Service Accounts (IRSA)", "gcp": "Workload Identity Federation for GKE", "azure": "Microsoft Entra Workload ID"},
}

func managed(kind, cloud string) string {
	if n, ok := managedNames[kind][cloud]; ok {
		return n
	}
	return ""
}

func (b *builder) data() {
	cl := b.bp.PrimaryCloud
	pipes := b.workloads(spec.DataPipeline)
	streaming := false
	analytics := false
	var features *spec.OnlineFeatures
	for _, w := range b.in.File.Workloads {
		if w.Type == spec.DataPipeline {
			streaming = streaming || w.Streaming
			analytics = analytics || w.Analytics
			if w.OnlineFeatures != nil {
				features = w.OnlineFeatures
			}
		}
	}
	hours := b.in.Hours
	if len(pipes) > 0 {
		if streaming {
			name := managed("kafka", cl)
			m := name != "" && b.small
			if !m {
				name = "Apache Kafka on Kubernetes (Strimzi operator)"
			}
			b.add(Component{ID: "streaming", Layer: "ingestion", Name: name, Managed: m, Serves: pipes,
				Reason:       "streaming ingest needs a durable log that replays events into the lake and the online feature store",
				Alternatives: []Alternative{{"batch file drops", "cannot feed online features within seconds"}, {"Apache Pulsar", "smaller ecosystem of connectors than Kafka"}},
				Settings:     []string{"TLS listeners with SCRAM or mTLS client authentication and topic ACLs", "replication factor 3", fmt.Sprintf("topic retention.ms = %d days: the stream is a buffer, the lake keeps the record", streamRetentionDays)}})
			b.edge("sources", "streaming", "events")
			b.edge("streaming", "lake", "stream to Iceberg")
		} else {
			b.add(Component{ID: "batch-ingest", Layer: "ingestion", Name: "batch loads scheduled by the orchestrator", Managed: true, Serves: pipes,
				Reason:       "no workload needs events in seconds; scheduled loads are simpler and cheaper than a broker",
				Alternatives: []Alternative{{"Kafka", "a broker fleet costs money and on-call without a streaming need"}},
				Settings:     []string{"extracts pulled over TLS"}})
			b.edge("sources", "batch-ingest", "extracts")
			b.edge("batch-ingest", "lake", "loads")
		}
		name := managed("airflow", cl)
		m := name != "" && b.small
		var costs []cost.Component
		if m {
			p, src := b.rate("managed-airflow-hour", 0.49)
			costs = append(costs, cost.Line("managed Airflow environment", "tooling", "environment-hours", hours, p, src))
		} else {
			name = "Apache Airflow on Kubernetes (official Helm chart)"
		}
		b.add(Component{ID: "orchestrator", Layer: "orchestration", Name: name, Managed: m, Serves: pipes, Costs: costs,
			Reason:       "data pipelines need scheduling, retries and backfills; Airflow has the widest set of connectors",
			Alternatives: []Alternative{{"Dagster", "asset model is attractive but fewer managed offerings on the chosen cloud"}, {"Argo Workflows", "better for ML steps on Kubernetes than for data connectors"}},
			Provides:     []string{"scheduling"}})
		b.edge("orchestrator", "lake", "transforms")
	}
	if len(pipes) > 0 || len(b.workloads(spec.Training, spec.FineTuning, spec.Embeddings)) > 0 {
		format := "Apache Iceberg"
		alt := Alternative{"Delta Lake", "Iceberg is read natively by Athena, BigQuery, Trino, Spark and Snowflake"}
		if cl == "azure" {
			format, alt = "Delta Lake", Alternative{"Apache Iceberg", "Delta is native to Azure Databricks and Fabric"}
		}
		name := managed("object", cl)
		if name == "" {
			name = "S3-compatible object storage"
		}
		b.add(Component{ID: "lake", Layer: "lake", Name: name + " with " + format + " tables", Managed: true,
			Serves:       append(pipes, b.workloads(spec.Training, spec.FineTuning)...),
			Reason:       "one copy of raw and curated data, training sets and checkpoints, with table snapshots for reproducible training",
			Alternatives: []Alternative{alt, {"HDFS", "operating storage nodes buys nothing over object storage"}},
			Settings:     []string{"SSE with customer-managed KMS keys", "bucket versioning (integrity; noncurrent versions expire)", "lifecycle expiry per pipeline prefix at its retentionDays", "Iceberg row-level deletes and snapshot expiry for erasure", "public access blocked"}})
		b.add(Component{ID: "lineage", Layer: "lake", Name: "OpenLineage with Marquez (dataset lineage)", Managed: false,
			Serves:       pipes,
			Reason:       "every dataset, feature and model traces back to its sources: needed for erasure requests, records of processing and training-data provenance",
			Alternatives: []Alternative{{"DataHub", "heavier to run for lineage alone"}, {"cloud-native catalog only", "does not follow data into Kubernetes jobs"}},
			Provides:     []string{"lineage"}})
		b.edge("lake", "lineage", "lineage events")
	}
	if analytics {
		name := managed("warehouse", cl)
		m := name != ""
		if !m {
			name = "Trino on Kubernetes"
		}
		b.add(Component{ID: "warehouse", Layer: "warehouse", Name: name, Managed: m, Serves: pipes,
			Reason:       "analytics queries run over the lake's Iceberg tables without copying data",
			Alternatives: []Alternative{{"Snowflake", "a second copy of the data and another vendor contract"}, {"self-hosted Trino", "more operations for a workload a serverless engine covers"}},
			Provides:     []string{"sql-analytics"}})
		b.edge("lake", "warehouse", "SQL")
	}
	if features != nil {
		bpk := features.BytesPerKey
		if bpk == 0 {
			bpk, _ = b.rate("feature-bytes-per-key-default", 512)
		}
		gib := features.Keys * bpk * 2 / (1 << 30)
		b.add(Component{ID: "feature-store", Layer: "feature-store", Name: fmt.Sprintf("Feast with a Redis online store (%.0f GiB with replica, %.0f lookups/s)", gib, features.QPS), Managed: false,
			Serves:       pipes,
			Reason:       "online features served in milliseconds with the same definitions as the offline training sets (no training/serving skew)",
			Alternatives: []Alternative{{"SageMaker/Vertex feature store", "ties feature definitions to one cloud"}, {"Tecton", "a commercial platform for a need Feast covers"}},
			Provides:     []string{"feature-serving"}, Settings: []string{"Redis with TLS and AUTH (ACL users per service)", "online key TTL (see retention)", "offline store on the lake"}})
		b.edge("streaming", "feature-store", "materialise")
		b.edge("feature-store", "serving", "features")
	}
	for _, r := range b.in.Results {
		if r.Type != spec.Embeddings || r.Choice == nil {
			continue
		}
		var w *spec.Workload
		for i := range b.in.File.Workloads {
			if b.in.File.Workloads[i].Name == r.Workload {
				w = &b.in.File.Workloads[i]
			}
		}
		vectors := w.Documents
		gib := vectors * float64(w.VectorDim) * 4 * 1.5 / (1 << 30)
		var name, why string
		var alts []Alternative
		m := false
		switch {
		case vectors <= 10e6:
			name = managed("postgres", b.bp.PrimaryCloud) + " with pgvector"
			m = true
			why = fmt.Sprintf("%.3g vectors (%.0f GiB) fit one PostgreSQL with an HNSW index; no new datastore to run", vectors, gib)
			alts = []Alternative{{"Qdrant", "a dedicated engine pays off beyond tens of millions of vectors"}, {"Weaviate", "same: more to operate at this size"}}
			p, src := b.rate("managed-postgres-hour", 0.36)
			b.add(Component{ID: "vector-store-" + r.Workload, Layer: "vector-store", Name: name, Managed: m, Serves: []string{r.Workload}, Reason: why, Alternatives: alts,
				Provides: []string{"vector-search"}, Settings: []string{"storage encrypted with the KMS key", "TLS required (force SSL)", "delete by document id on erasure and re-index"}, Costs: []cost.Component{cost.Line("managed PostgreSQL (HA)", "tooling", "instance-hours", hours, p, src)}})
		default:
			name = "Qdrant on Kubernetes (self-hosted, 2 replicas)"
			why = fmt.Sprintf("%.3g vectors x %d dims = %.0f GiB of HNSW index per replica at %.0f queries/s: beyond a single PostgreSQL; self-hosted keeps data in the allowed regions", vectors, w.VectorDim, gib, w.QueriesPerSecond)
			alts = []Alternative{{"pgvector", "index build and memory at this size strain one PostgreSQL"}, {"managed vector database", "region and compliance coverage must be checked per vendor"}, {"Weaviate", "comparable; Qdrant's quantisation cuts memory further"}}
			b.add(Component{ID: "vector-store-" + r.Workload, Layer: "vector-store", Name: name, Serves: []string{r.Workload}, Reason: why, Alternatives: alts,
				Provides: []string{"vector-search"}, Settings: []string{"index memory priced in the workload's line items", "volumes on a KMS-encrypted storage class", "API key per service", "delete points by document id on erasure and re-index"}})
		}
		b.edge("lake", "vector-store-"+r.Workload, "embeddings")
		b.edge("vector-store-"+r.Workload, "serving", "retrieval")
	}
}

func (b *builder) ml() {
	jobs := b.workloads(spec.Training, spec.FineTuning, spec.BatchInference)
	maxGPUs := 0
	for _, r := range b.in.Results {
		if (r.Type == spec.Training || r.Type == spec.FineTuning) && r.Choice != nil {
			maxGPUs = max(maxGPUs, r.Choice.GPUsPerUnit)
		}
	}
	if len(jobs) > 0 {
		if maxGPUs > 64 {
			b.add(Component{ID: "training", Layer: "training", Name: "Slurm on Kubernetes (Slinky) for multi-node training", Serves: jobs,
				Reason:       fmt.Sprintf("the largest job uses %d GPUs: gang scheduling, topology-aware placement and preemption-safe requeue matter at this scale", maxGPUs),
				Alternatives: []Alternative{{"Kubernetes + Kueue", "fine below a few dozen nodes; Slurm's gang scheduling is more mature for large runs"}},
				Provides:     []string{"job-scheduling"}})
		} else {
			b.add(Component{ID: "training", Layer: "training", Name: "Kubernetes Jobs queued by Kueue", Serves: jobs,
				Reason:       "jobs of up to a few nodes share the GPU pools with quotas and fair sharing; one scheduler for training, fine-tuning and batch",
				Alternatives: []Alternative{{"Slurm", "a second scheduler for jobs that fit Kubernetes"}, {"managed training service", "per-job markup over the same instances"}},
				Provides:     []string{"job-scheduling"}})
		}
		b.edge("lake", "training", "datasets")
		b.edge("training", "tracking", "runs, checkpoints")
	}
	hasModels := len(b.workloads(spec.LLMInference, spec.Inference, spec.Training, spec.FineTuning, spec.Embeddings, spec.BatchInference)) > 0
	if hasModels {
		name := "MLflow tracking server and model registry (self-hosted, PostgreSQL + object storage)"
		m := false
		var costs []cost.Component
		p, src := b.rate("managed-postgres-hour", 0.36)
		costs = append(costs, cost.Line("PostgreSQL for MLflow", "tooling", "instance-hours", b.in.Hours, p, src))
		if b.small && b.bp.PrimaryCloud == "aws" {
			name, m, costs = "Amazon SageMaker managed MLflow", true, nil
			p, src := b.rate("platform-node-hour", 0.2)
			costs = append(costs, cost.Line("managed MLflow tracking server (small)", "tooling", "hours", b.in.Hours, p*3, src+"; about three platform nodes' worth"))
		}
		b.add(Component{ID: "tracking", Layer: "tracking", Name: name, Managed: m, Costs: costs,
			Reason:       "every model version carries its data lineage, metrics, model card and approval before serving",
			Alternatives: []Alternative{{"Weights & Biases", "SaaS: data leaves the allowed regions unless self-hosted"}, {"cloud-specific registry", "ties the registry to one cloud"}},
			Provides:     []string{"experiment-tracking", "model-registry", "model-documentation"}, Settings: []string{"model cards stored with each registered version", "artefacts in the KMS-encrypted, versioned artefacts bucket the Terraform writes (mlflow server --artifacts-destination)"}})
		b.add(Component{ID: "cicd", Layer: "cicd", Name: "GitHub Actions (build, test, evaluate) + Argo CD (GitOps deploy)", Managed: true,
			Reason:       "models, pipelines and infrastructure change through reviewed pull requests; Argo CD reconciles the exported manifests and rolls back",
			Alternatives: []Alternative{{"Jenkins", "more to operate"}, {"manual kubectl", "no change record"}},
			Provides:     []string{"change-control", "image-scanning"},
			Settings:     []string{"branch protection: at least one approving review from a code owner, required status checks (tests, evaluation, image scan)", "production environment requires a named approver", "Argo CD syncs only from the protected branch; no direct cluster write access"}})
		b.edge("tracking", "cicd", "approved model")
		b.edge("cicd", "serving", "deploy")
	}
}

func (b *builder) serving() {
	var llm, classic []string
	engines := map[string][]string{}
	for i, r := range b.in.Results {
		w := b.in.File.Workloads[i]
		if r.Choice == nil {
			continue
		}
		switch w.Type {
		case spec.LLMInference, spec.BatchInference:
			if r.Choice.Pricing == "api" {
				continue
			}
			llm = append(llm, w.Name)
			engines[r.Choice.Engine] = append(engines[r.Choice.Engine], w.Name)
		case spec.Inference, spec.Embeddings:
			classic = append(classic, w.Name)
		}
	}
	var ids []string
	for id := range engines {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		name := id
		settings := []string{"metrics on /metrics for Prometheus"}
		if en := b.engine(id); en != nil {
			name = en.Name
			settings = []string{"image " + strings.Join(engineImages(en), ", "), "metrics on " + en.Metrics.Endpoint + " for Prometheus"}
		}
		b.add(Component{ID: "serving-" + slug(id), Layer: "serving", Name: name, Serves: engines[id],
			Reason:       engineReason(id),
			Alternatives: []Alternative{{"TGI", "in maintenance mode upstream; vLLM and SGLang lead on throughput"}, {"a managed endpoint (SageMaker, Vertex AI, Azure ML)", "a markup over the same instances and fewer engine settings"}},
			Provides:     []string{"inference-metrics"}, Settings: settings})
	}
	if len(classic) > 0 {
		b.add(Component{ID: "serving-classic", Layer: "serving", Name: "KServe with Triton (GPU) and MLServer/XGBoost (CPU) runtimes", Serves: classic,
			Reason:       "one InferenceService API for classic models with request batching and canary rollouts",
			Alternatives: []Alternative{{"BentoML", "fewer built-in runtimes for Triton"}, {"custom Flask service", "no batching or standard metrics"}},
			Provides:     []string{"inference-metrics"}})
	}
	if len(llm)+len(classic) > 0 {
		b.add(Component{ID: "gateway", Layer: "gateway", Name: "Envoy Gateway with the Envoy AI Gateway extension (Gateway API)", Serves: append(llm, classic...),
			Reason:       "one entry point: authentication, per-tenant token rate limits, routing across replicas and clouds, request logs, and the AI-interaction notice header",
			Alternatives: []Alternative{{"LiteLLM proxy", "good for API fan-out, weaker as an edge gateway"}, {"cloud load balancer only", "no token-aware limits or request logs"}},
			Provides:     []string{"event-logging", "ai-disclosure", "boundary-protection"}, Settings: []string{"TLS 1.2+", "OIDC/JWT auth", "request and response metadata logged to the log store, prompts redacted, user ids pseudonymised"}})
		b.edge("users", "gateway", "HTTPS")
		b.edge("gateway", "serving", "routes")
		var queues []string
		for _, id := range ids {
			if en := b.engine(id); en != nil {
				// The export's order (export.autoscaleMetric): queue gauge,
				// running gauge, mean queue wait, GPU utilisation.
				q := en.Metrics.QueueWaiting
				switch {
				case q != "":
				case en.Metrics.Running != "":
					q = "no queue gauge: running requests " + en.Metrics.Running
				case en.Metrics.QueueTimeHistogram != "":
					q = "no queue gauge: mean queue wait from " + en.Metrics.QueueTimeHistogram
				default:
					q = "no load gauge: GPU utilisation on NVIDIA, else fixed replicas"
				}
				queues = append(queues, en.Name+": "+q)
			}
		}
		auto := "Horizontal Pod Autoscaler on the engine's queue depth (" + strings.Join(queues, "; ") + ", via prometheus-adapter)"
		if len(llm) == 0 {
			auto = "Horizontal Pod Autoscaler on CPU and requests per second"
		}
		b.add(Component{ID: "autoscaling", Layer: "autoscaling", Name: auto + " with Karpenter/cluster autoscaler for GPU nodes", Serves: append(llm, classic...),
			Reason:       "replicas follow the planned hourly curve within the planned bounds; queue depth reacts before latency breaks the SLO, GPU utilisation does not",
			Alternatives: []Alternative{{"HPA on GPU utilisation", "a saturated LLM engine shows high utilisation at every load"}, {"KEDA", "equivalent here; adds an operator where prometheus-adapter already serves the metric"}, {"fixed replicas", "pays for the peak all day"}},
			Provides:     []string{"autoscaling"}})
	}
}

// engine is the catalog entry of an engine id (nil when the catalog lacks it).
func (b *builder) engine(id string) *catalog.Engine {
	if b.in.Pricer == nil || b.in.Pricer.C == nil {
		return nil
	}
	en, err := b.in.Pricer.C.Engine(id)
	if err != nil {
		return nil
	}
	return en
}

// engineImages lists an engine's images, one per vendor, in vendor order.
func engineImages(en *catalog.Engine) []string {
	var vendors []string
	for v := range en.Images {
		vendors = append(vendors, v)
	}
	sort.Strings(vendors)
	out := make([]string, len(vendors))
	for i, v := range vendors {
		out[i] = en.Images[v]
	}
	return out
}

// engineReason says why search picked an engine (search/fit.go servingEngine).
func engineReason(id string) string {
	switch id {
	case "sglang":
		return "long shared prompts (RAG context, system prompts): RadixAttention reuses their KV cache across requests, cutting prefill work"
	case "trtllm":
		return "a tight per-token latency target on NVIDIA GPUs: compiled kernels and in-flight batching give the lowest TPOT"
	case "vllm":
		return "continuous batching, paged KV cache, FP8/INT4 quantisation and tensor parallelism across the broadest set of models and GPUs"
	}
	return "the engine with first-party support for the chosen accelerator and precision"
}

func slug(s string) string { return spec.Slug(s) }

func (b *builder) operations() {
	cl := b.bp.PrimaryCloud
	gpus := 0
	for _, r := range b.in.Results {
		if r.Choice != nil {
			gpus += r.Choice.PeakGPUs
		}
	}
	name := managed("prom", cl)
	m := name != "" && b.small
	var costs []cost.Component
	if m {
		p, src := b.rate("observability-usd-per-gpu-month", 6)
		costs = append(costs, cost.Line("managed metrics ingestion", "tooling", "GPU-months", float64(max(gpus, 1)), p, src))
	} else {
		name = "Prometheus (kube-prometheus-stack) + Grafana, self-hosted"
	}
	b.add(Component{ID: "monitoring", Layer: "monitoring", Name: name + ", DCGM exporter, OpenTelemetry traces", Managed: m, Costs: costs,
		Reason:       "SLO alerts on TTFT/TPOT/error rate from the engines' own metrics, GPU memory and utilisation from DCGM, traces across gateway, retrieval and model",
		Alternatives: []Alternative{{"Datadog", "per-host GPU pricing adds up; data leaves the allowed regions"}},
		Provides:     []string{"monitoring", "alerting"}, Settings: []string{"alert rules exported with the plan"}})
	if len(b.workloads(spec.Inference, spec.Embeddings, spec.LLMInference)) > 0 {
		b.add(Component{ID: "drift", Layer: "monitoring", Name: "Evidently (data and prediction drift reports)", Serves: b.workloads(spec.Inference, spec.Embeddings, spec.LLMInference),
			Reason:       "feature and output drift caught before accuracy decays; reports stored with the model version",
			Alternatives: []Alternative{{"WhyLabs", "SaaS"}, {"no drift monitoring", "accuracy decays silently"}},
			Provides:     []string{"drift-monitoring"}})
		b.edge("serving", "drift", "samples")
	}
	b.edge("serving", "monitoring", "metrics")
	// Kubernetes control planes for each cloud that runs something.
	p, src := b.rate("k8s-control-plane-hour", 0.1)
	for _, c := range b.bp.Clouds {
		k := managed("k8s", c)
		if k == "" {
			k = "Kubernetes on " + c
		}
		b.add(Component{ID: "cluster-" + c, Layer: "training", Name: k + " cluster with GPU node pools", Managed: true, Cloud: c,
			Reason:       "one control plane per cloud hosts serving, jobs and platform services; node pools follow the planned instance types",
			Alternatives: []Alternative{{"VMs with systemd", "no bin-packing, rollout or autoscaling"}},
			Provides:     []string{"kubernetes-rbac"}, Costs: []cost.Component{cost.Line(k+" control plane", "tooling", "cluster-hours", b.in.Hours, p, src)}})
	}
}

func (b *builder) security() {
	cl := b.bp.PrimaryCloud
	kms := managed("kms", cl)
	if kms == "" {
		kms = "HashiCorp Vault transit keys"
	}
	b.add(Component{ID: "kms", Layer: "security", Name: kms + " (customer-managed keys)", Managed: true,
		Reason: "encryption keys for buckets, volumes and databases under the organisation's control, with rotation and access logs", Provides: []string{"key-management"}})
	secrets := managed("secrets", cl)
	m := true
	if len(b.bp.Clouds) > 1 || secrets == "" {
		secrets, m = "HashiCorp Vault", false
	}
	b.add(Component{ID: "secrets", Layer: "security", Name: secrets, Managed: m,
		Reason:       "API keys, database passwords and model-hub tokens never live in manifests",
		Alternatives: []Alternative{{"Kubernetes Secrets alone", "base64, not encryption, unless backed by a KMS"}},
		Provides:     []string{"secrets-management"}})
	iam := managed("iam", cl)
	if iam == "" {
		iam = "Kubernetes service accounts with scoped cloud credentials"
	}
	b.add(Component{ID: "iam", Layer: "security", Name: iam + ", least-privilege roles per workload", Managed: true,
		Reason: "each workload reads only its own buckets and keys", Provides: []string{"workload-identity"}})
	b.add(Component{ID: "netpol", Layer: "security", Name: "Kubernetes NetworkPolicies (default deny, gateway-only ingress)", Managed: true,
		Reason: "model servers accept traffic only from the gateway; jobs reach only the lake (segmentation, not encryption)", Provides: []string{"network-segmentation"}})
	audit := managed("audit", cl)
	if audit == "" {
		audit = "Kubernetes audit logs shipped to the lake"
	}
	b.add(Component{ID: "audit", Layer: "security", Name: audit + " + Kubernetes audit logs", Managed: true,
		Reason: "who did what to data, keys and deployments, retained for audits", Provides: []string{"audit-logging"}})
	if b.residencyEU() {
		b.add(Component{ID: "region-pinning", Layer: "security", Name: "Region pinning to EU regions (" + strings.Join(b.bp.Regions, ", ") + ")", Managed: true,
			Reason: "every planned resource sits in an EU region; Terraform providers are pinned to them", Provides: []string{"residency-eu"}})
	}
}

// residencyEU reports whether every planned region is in the EU.
func (b *builder) residencyEU() bool {
	if b.in.File.Constraints.Residency != "eu" {
		return false
	}
	for _, r := range b.in.Results {
		if r.Choice != nil && r.Choice.Pricing == "api" {
			return false
		}
	}
	return true
}

func (b *builder) hipaaEligible() bool {
	for _, c := range b.bp.Clouds {
		if !b.in.Pricer.C.HIPAAEligible(c) {
			return false
		}
	}
	for _, r := range b.in.Results {
		if r.Choice != nil && r.Choice.Pricing == "api" {
			return false
		}
	}
	return true
}

func (b *builder) roadmap() {
	ids := func(layers ...string) []string {
		var out []string
		for _, c := range b.bp.Components {
			if has(layers, c.Layer) {
				out = append(out, c.ID)
			}
		}
		sort.Strings(out)
		return out
	}
	foundation := append([]string{"accounts, VPCs and private networking"}, ids("security")...)
	for _, c := range b.bp.Components {
		if strings.HasPrefix(c.ID, "cluster-") || c.ID == "lake" || c.ID == "backups" {
			foundation = append(foundation, c.ID)
		}
	}
	data := ids("ingestion", "orchestration", "warehouse", "feature-store")
	if has(ids("lake"), "lineage") {
		data = append(data, "lineage")
	}
	mlops := ids("tracking", "cicd")
	for _, c := range b.bp.Components {
		if c.ID == "training" {
			mlops = append(mlops, "training")
		}
	}
	serve := append(ids("serving", "gateway", "autoscaling"), ids("vector-store")...)
	ops := ids("monitoring")
	b.bp.Roadmap = []Phase{{Name: "1. Foundation: accounts, network, clusters, lake, keys", Components: foundation}}
	if len(data) > 0 {
		b.bp.Roadmap = append(b.bp.Roadmap, Phase{Name: "2. Data platform: ingestion, orchestration, features", Components: data, DependsOn: []string{"1"}, Unblocks: b.workloads(spec.DataPipeline)})
	}
	if len(mlops) > 0 {
		b.bp.Roadmap = append(b.bp.Roadmap, Phase{Name: "3. MLOps: tracking, registry, CI/CD, training queue", Components: mlops, DependsOn: []string{"1"}, Unblocks: b.workloads(spec.Training, spec.FineTuning, spec.BatchInference)})
	}
	if len(serve) > 0 {
		b.bp.Roadmap = append(b.bp.Roadmap, Phase{Name: "4. Serving: engines, gateway, autoscaling, vector stores", Components: serve, DependsOn: []string{"1", "3"}, Unblocks: b.workloads(spec.LLMInference, spec.Inference, spec.Embeddings)})
	}
	unblocks := []string{"production sign-off"}
	if b.find("backups") != nil {
		unblocks = []string{"a restore test from the second region, recorded as evidence (then quarterly)", "production sign-off"}
	}
	b.bp.Roadmap = append(b.bp.Roadmap, Phase{Name: "5. Monitoring and governance hardening: SLO alerts, drift, audits, restore tests", Components: ops, DependsOn: []string{"4"}, Unblocks: unblocks})
}

// platformNodes prices the nodes that host self-managed platform services
// (three for a highly available baseline, one more per four services).
func (b *builder) platformNodes() {
	n := 0
	for _, c := range b.bp.Components {
		if !c.Managed {
			n++
		}
	}
	if n == 0 {
		return
	}
	nodes := 3 + n/4
	p, src := b.rate("platform-node-hour", 0.2016)
	for i := range b.bp.Components {
		c := &b.bp.Components[i]
		if c.ID == "cluster-"+b.bp.PrimaryCloud {
			c.Costs = append(c.Costs, cost.Line(fmt.Sprintf("platform nodes for %d self-managed services", n), "tooling", "node-hours", float64(nodes)*b.in.Hours, p, src))
		}
	}
}
