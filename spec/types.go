// Package spec defines the workload file (apiVersion aiplan.dev/v1, kind
// Plan): its Go types, strict decoding with file positions, defaults and
// validation into diag.Diagnostics, and the JSON Schema generated from the
// types. Read types.go, then parse.go and validate.go.
package spec

// APIVersion and Kind of the current format.
const (
	APIVersion = "aiplan.dev/v1"
	Kind       = "Plan"
)

// File is a workload file.
type File struct {
	APIVersion  string      `json:"apiVersion" jsonschema:"enum=aiplan.dev/v1"`
	Kind        string      `json:"kind" jsonschema:"enum=Plan"`
	Metadata    Metadata    `json:"metadata"`
	Constraints Constraints `json:"constraints,omitempty"`
	Workloads   []Workload  `json:"workloads" jsonschema:"minItems=1"`
}

// Metadata names the plan.
type Metadata struct {
	Name string `json:"name" jsonschema:"minLength=1"`
	// TeamSize is the number of engineers operating the platform; small teams
	// get managed services in the blueprint.
	TeamSize int               `json:"teamSize,omitempty" jsonschema:"minimum=0"`
	Labels   map[string]string `json:"labels,omitempty"`
	// Date the plan is assessed for (YYYY-MM-DD, e.g. the go-live date):
	// compliance duties that apply after it are marked upcoming. Default:
	// the day the plan is made.
	Date string `json:"date,omitempty"`
}

// Constraints apply to every workload.
type Constraints struct {
	BudgetUSDPerMonth float64 `json:"budgetUSDPerMonth,omitempty" jsonschema:"minimum=0"`
	// Clouds allowed (aws, gcp, azure, lambda, nebius, runpod); empty: all.
	Clouds []string `json:"clouds,omitempty"`
	// Regions allowed; empty: all regions of the allowed clouds.
	Regions []string `json:"regions,omitempty"`
	// Residency restricts regions to a jurisdiction: eu or us.
	Residency string `json:"residency,omitempty" jsonschema:"enum=eu,enum=us,enum=any"`
	// Pricing modes allowed: on-demand, spot, reserved-1y, reserved-3y,
	// serverless (per-second GPU billing, scale to zero), managed-platform
	// (SageMaker-style managed endpoints on the same instances, with a
	// markup), on-prem, api.
	Pricing []string `json:"pricing,omitempty"`
	// MaxGPUs caps the GPUs running at peak across all workloads.
	MaxGPUs int `json:"maxGPUs,omitempty" jsonschema:"minimum=0"`
	// Compliance regimes: gdpr, hipaa, soc2, iso42001, nist-ai-rmf, eu-ai-act:<risk>.
	Compliance []string `json:"compliance,omitempty"`
	OnPrem     []OnPrem `json:"onPrem,omitempty"`
	// Commitments are cloud capacity already bought (reserved instances,
	// savings plans, committed use); the plan uses them before new spend.
	Commitments []Commitment `json:"commitments,omitempty"`
	// Discounts are negotiated fractions off list price per cloud (0.1 = 10%).
	Discounts map[string]float64 `json:"discounts,omitempty"`
	// AllowSpotForLatencyCritical lets real-time endpoints run on spot without
	// an on-demand baseline.
	AllowSpotForLatencyCritical bool `json:"allowSpotForLatencyCritical,omitempty"`
	// AllowFlaggedPrices lets the plan use catalog prices flagged as
	// anomalous (instance price_flag); by default they are excluded.
	AllowFlaggedPrices bool `json:"allowFlaggedPrices,omitempty"`
	// HumanOversight describes the human-oversight process (EU AI Act high risk).
	HumanOversight string `json:"humanOversight,omitempty"`
}

// Commitment is reserved cloud capacity the organisation already pays for.
type Commitment struct {
	Cloud        string `json:"cloud"`
	InstanceType string `json:"instanceType"`
	Region       string `json:"region"`
	Count        int    `json:"count" jsonschema:"minimum=1"`
	// USDPerHour is the committed price per instance (default: the
	// catalog's 1-year reserved price).
	USDPerHour float64 `json:"usdPerHour,omitempty" jsonschema:"minimum=0"`
}

// ID is the catalog instance id of the commitment.
func (c Commitment) ID() string { return c.Cloud + "/" + c.InstanceType + "/" + c.Region }

// OnPrem is owned hardware.
type OnPrem struct {
	Name              string  `json:"name,omitempty"`
	Accelerator       string  `json:"accelerator"`
	Count             int     `json:"count" jsonschema:"minimum=1"`
	USDPerKWh         float64 `json:"usdPerKWh,omitempty" jsonschema:"minimum=0"`
	PUE               float64 `json:"pue,omitempty" jsonschema:"minimum=1"`
	CapexUSD          float64 `json:"capexUSD,omitempty" jsonschema:"minimum=0"`
	AmortizationYears float64 `json:"amortizationYears,omitempty" jsonschema:"minimum=0"`
	OpsUSDPerMonth    float64 `json:"opsUSDPerMonth,omitempty" jsonschema:"minimum=0"`
	Region            string  `json:"region,omitempty"`
}

// Workload is one item of work; Type selects which fields apply.
type Workload struct {
	Name string `json:"name" jsonschema:"minLength=1"`
	// Type: llm-inference, batch-inference, training, fine-tuning, embeddings,
	// inference (classic models), edge, data-pipeline.
	Type string `json:"type" jsonschema:"enum=llm-inference,enum=batch-inference,enum=training,enum=fine-tuning,enum=embeddings,enum=inference,enum=edge,enum=data-pipeline"`
	// Model is a catalog id, or for classic models an inline description.
	Model     *ModelRef `json:"model,omitempty"`
	Precision []string  `json:"precision,omitempty"`
	// Accelerators restricts the hardware considered (catalog ids or "cpu").
	Accelerators []string     `json:"accelerators,omitempty"`
	Traffic      *Traffic     `json:"traffic,omitempty"`
	SLO          *SLO         `json:"slo,omitempty"`
	Autoscaling  *Autoscaling `json:"autoscaling,omitempty"`
	// Batch inference.
	RequestsPerDay float64 `json:"requestsPerDay,omitempty" jsonschema:"minimum=0"`
	DeadlineHours  float64 `json:"deadlineHours,omitempty" jsonschema:"minimum=0"`
	// Training and fine-tuning.
	Method        string  `json:"method,omitempty" jsonschema:"enum=pretrain,enum=full,enum=lora,enum=qlora"`
	Tokens        float64 `json:"tokens,omitempty" jsonschema:"minimum=0"`
	DatasetTokens float64 `json:"datasetTokens,omitempty" jsonschema:"minimum=0"`
	Epochs        float64 `json:"epochs,omitempty" jsonschema:"minimum=0"`
	SeqLen        int     `json:"seqLen,omitempty" jsonschema:"minimum=0"`
	Schedule      string  `json:"schedule,omitempty" jsonschema:"enum=once,enum=daily,enum=weekly,enum=monthly"`
	MaxGPUs       int     `json:"maxGPUs,omitempty" jsonschema:"minimum=0"`
	// Embeddings.
	Documents         float64 `json:"documents,omitempty" jsonschema:"minimum=0"`
	TokensPerDocument float64 `json:"tokensPerDocument,omitempty" jsonschema:"minimum=0"`
	VectorDim         int     `json:"vectorDim,omitempty" jsonschema:"minimum=0"`
	QueriesPerSecond  float64 `json:"queriesPerSecond,omitempty" jsonschema:"minimum=0"`
	ReindexPerMonth   float64 `json:"reindexPerMonth,omitempty" jsonschema:"minimum=0"`
	// Edge.
	Device string `json:"device,omitempty"`
	// Data pipeline.
	IngestGBPerDay float64         `json:"ingestGBPerDay,omitempty" jsonschema:"minimum=0"`
	RetentionDays  float64         `json:"retentionDays,omitempty" jsonschema:"minimum=0"`
	Streaming      bool            `json:"streaming,omitempty"`
	OnlineFeatures *OnlineFeatures `json:"onlineFeatures,omitempty"`
	Analytics      bool            `json:"analytics,omitempty"`
	// Governance.
	// RiskClass under the EU AI Act; prohibited practices (Art. 5) are refused.
	RiskClass    string `json:"riskClass,omitempty" jsonschema:"enum=minimal,enum=limited,enum=high,enum=prohibited"`
	PersonalData bool   `json:"personalData,omitempty"`
	PHI          bool   `json:"phi,omitempty"`
	// Role of the organisation for this AI system under the EU AI Act:
	// provider (develops it, or has it developed, and places it on the
	// market or puts it into service under its own name), deployer (uses
	// it under its authority), or both (builds and uses its own system).
	Role string `json:"role,omitempty" jsonschema:"enum=provider,enum=deployer,enum=both"`
	// GPAIProvider states, for training and fine-tuning, whether the
	// organisation becomes the provider of a general-purpose AI model:
	// pre-training above 1e23 FLOP, or modifying a model with more than a
	// third of its original training compute (Commission guidelines on
	// GPAI models, July 2025). Absent: aiplan derives it where it can.
	GPAIProvider *bool `json:"gpaiProvider,omitempty"`
}

// ModelRef is a catalog id ("llama-3.1-70b") or an inline classic model.
type ModelRef struct {
	ID             string  `json:"id,omitempty"`
	Framework      string  `json:"framework,omitempty"`
	FlopsPerSample float64 `json:"flopsPerSample,omitempty" jsonschema:"minimum=0"`
	BytesPerSample float64 `json:"bytesPerSample,omitempty" jsonschema:"minimum=0"`
	ParamsM        float64 `json:"paramsM,omitempty" jsonschema:"minimum=0"`
	// Repo is the Hugging Face repository the file named ("org/name"),
	// kept when ID is resolved to the catalog id.
	Repo string `json:"-"`
}

// Traffic is the load on an endpoint.
type Traffic struct {
	PeakRequestsPerSecond float64 `json:"peakRequestsPerSecond,omitempty" jsonschema:"minimum=0"`
	// DailyProfile: flat, business-hours, consumer, batch-night.
	DailyProfile string `json:"dailyProfile,omitempty" jsonschema:"enum=flat,enum=business-hours,enum=consumer,enum=batch-night"`
	// Hourly is 24 multipliers of the peak (0..1), overriding DailyProfile.
	Hourly       []float64 `json:"hourly,omitempty"`
	InputTokens  float64   `json:"inputTokens,omitempty" jsonschema:"minimum=0"`
	OutputTokens float64   `json:"outputTokens,omitempty" jsonschema:"minimum=0"`
	// WorkingDaysPerWeek scales business-hours traffic (default 5 for business-hours, 7 otherwise).
	WorkingDaysPerWeek float64 `json:"workingDaysPerWeek,omitempty" jsonschema:"minimum=0,maximum=7"`
}

// SLO are latency targets at the 99th percentile unless named otherwise.
type SLO struct {
	TTFTP99Ms    float64 `json:"ttftP99Ms,omitempty" jsonschema:"minimum=0"`
	TPOTP99Ms    float64 `json:"tpotP99Ms,omitempty" jsonschema:"minimum=0"`
	E2EP99Ms     float64 `json:"e2eP99Ms,omitempty" jsonschema:"minimum=0"`
	LatencyP99Ms float64 `json:"latencyP99Ms,omitempty" jsonschema:"minimum=0"`
}

// Autoscaling bounds.
type Autoscaling struct {
	MinReplicas         int     `json:"minReplicas,omitempty" jsonschema:"minimum=0"`
	MaxReplicas         int     `json:"maxReplicas,omitempty" jsonschema:"minimum=0"`
	ScaleUpDelayMinutes float64 `json:"scaleUpDelayMinutes,omitempty" jsonschema:"minimum=0"`
}

// OnlineFeatures sizes an online feature store.
type OnlineFeatures struct {
	Keys        float64 `json:"keys" jsonschema:"minimum=0"`
	BytesPerKey float64 `json:"bytesPerKey,omitempty" jsonschema:"minimum=0"`
	QPS         float64 `json:"qps,omitempty" jsonschema:"minimum=0"`
}
