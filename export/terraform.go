package export

import (
	"fmt"
	"hash/fnv"
	"sort"
	"strings"

	"github.com/aiplan-dev/aiplan/catalog"
	"github.com/aiplan-dev/aiplan/cost"
	"github.com/aiplan-dev/aiplan/plan"
	"github.com/aiplan-dev/aiplan/search"
	"github.com/aiplan-dev/aiplan/spec"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// pool is a planned node group: one instance type and capacity type in one
// priced region of one cloud.
type pool struct {
	// key is the pool's key in the plan (placement's, or derived for jobs);
	// label its aiplan.dev/pool node label, which the workloads select.
	key, label                                     string
	cloud, region, instance, accelerator, capacity string
	// vendor is the accelerator's vendor in lower case ("nvidia", "aws",
	// "google", "amd", "intel"); empty for CPU-only pools.
	vendor string
	// device is the accelerator's device-plugin resource (catalog), the
	// key of the pool's taint.
	device string
	// perInstance is the number of accelerators on one instance (catalog).
	perInstance int
	min, max    int
	// workloads placed on the pool, for the comment above it.
	workloads []string
	// efa is the EFA interfaces to attach to each node (a multi-node job
	// on an EFA instance runs on the pool); 0 for none.
	efa int
}

// cpuPool reports whether the pool has no accelerator.
func (pl pool) cpuPool() bool { return pl.vendor == "" }

// poolKey is the node pool an option runs in: the pool placement packed it
// into, else (jobs, options placement did not pool) one per cloud, instance
// type, region and pricing, in placement's key format; burst capacity
// beyond an owned pool is a pool of its own.
func poolKey(o *search.Option) string {
	switch {
	case o.Pricing == cost.OnPremBurst:
		return "burst/" + o.OnPrem + "/" + o.Cloud + "/" + o.Instance + "/" + o.Region
	case o.NodePool != "" && !strings.HasPrefix(o.NodePool, "on-prem/"):
		return o.NodePool
	}
	return o.Cloud + "/" + o.Instance + "/" + o.Region + "/" + string(o.Pricing)
}

// poolLabel is the value of the aiplan.dev/pool node label of a pool (a
// valid label value: at most 63 characters).
func poolLabel(key string) string {
	return clip(slug(key), 63)
}

// pools collects the node groups per cloud, exactly as the plan priced
// them: each cloud pool placement packed (min and peak instances per hour),
// then the options placement did not pool (jobs; one group per instance
// type, region and pricing), then burst capacity beyond owned pools. A
// spot+on-demand pool is an on-demand baseline group and a spot group for
// the rest. Owned (on-prem) capacity never becomes a cloud node group.
func pools(p *plan.Plan) map[string][]pool {
	by := map[string]map[string]*pool{}
	add := func(key string, o *search.Option, w []string, capacity string, lo, hi int) {
		id := key + "|" + capacity
		if by[o.Cloud] == nil {
			by[o.Cloud] = map[string]*pool{}
		}
		pl := by[o.Cloud][id]
		if pl == nil {
			pl = &pool{key: key, label: poolLabel(key), cloud: o.Cloud, region: o.Region, instance: o.Instance, accelerator: o.Accelerator, capacity: capacity}
			pl.vendor, pl.perInstance = vendorOf(p.Catalog, o)
			pl.device = deviceResource(p.Catalog, o.Accelerator)
			by[o.Cloud][id] = pl
		}
		pl.min += lo
		pl.max += hi
		pl.workloads = append(pl.workloads, w...)
		for _, name := range w {
			if n := efaDevices[o.Instance]; n > 0 && multiNode(p, name) {
				pl.efa = n
			}
		}
	}
	split := func(key string, o *search.Option, w []string, mode cost.Mode, lo, hi int) {
		switch {
		case mode == cost.SpotOverOnDemand:
			add(key, o, w, "on-demand", lo, lo)
			if hi > lo {
				add(key, o, w, "spot", 0, hi-lo)
			}
		case mode.UsesSpot():
			add(key, o, w, "spot", lo, hi)
		default:
			add(key, o, w, "on-demand", lo, hi)
		}
	}
	choice := map[string]*search.Option{}
	for i := range p.Workloads {
		if o := p.Workloads[i].Choice; o.OnCloudNodes() {
			choice[p.Workloads[i].Workload] = o
		}
	}
	pooled := map[string]bool{}
	if p.Placement != nil {
		for i := range p.Placement.Pools {
			pp := &p.Placement.Pools[i]
			if pp.Cloud == "" || pp.OnPrem != "" || pp.InstanceType == "" {
				continue
			}
			var o *search.Option
			for _, w := range pp.Workloads {
				if c := choice[w]; c != nil && poolKey(c) == pp.Key {
					o = c
					pooled[w] = true
				}
			}
			if o == nil {
				continue // no cloud-run workload chose it
			}
			split(pp.Key, o, pp.Workloads, pp.Pricing, min(pp.MinNodes, pp.PeakNodes), max(pp.PeakNodes, 1))
		}
	}
	for i := range p.Workloads {
		w := p.Workloads[i].Workload
		o := choice[w]
		if o == nil || pooled[w] {
			continue
		}
		n := o.PeakInstances()
		if o.Pricing == cost.OnPremBurst {
			// Up to every replica on cloud instances; the autoscaler adds
			// them only when the owned pool is full.
			if d := o.Demand; d != nil && d.PerInstance > 0 {
				n = (d.Replicas.Max() + d.PerInstance - 1) / d.PerInstance
			}
			add(poolKey(o), o, []string{w}, "on-demand", 0, max(n, 1))
			continue
		}
		split(poolKey(o), o, []string{w}, o.Pricing, min(minInstances(o), n), n)
	}
	out := map[string][]pool{}
	for cl, m := range by {
		for _, pl := range m {
			out[cl] = append(out[cl], *pl)
		}
		sort.Slice(out[cl], func(i, j int) bool {
			a, b := out[cl][i], out[cl][j]
			return a.region+"|"+a.key+"|"+a.capacity < b.region+"|"+b.key+"|"+b.capacity
		})
	}
	return out
}

// multiNode reports whether a workload spreads over several instances and
// needs the scale-out fabric: a training or fine-tuning job on several
// instances, or a replica whose pipeline stages span nodes.
func multiNode(p *plan.Plan, name string) bool {
	for i := range p.Workloads {
		w := &p.Workloads[i]
		if w.Workload == name && w.Choice != nil {
			if w.Choice.Nodes > 1 {
				return true
			}
			if w.Type == spec.Training || w.Type == spec.FineTuning {
				return w.Choice.Instances > 1
			}
		}
	}
	return false
}

// vendorOf returns the lower-case vendor of the option's accelerator ("" for
// CPU) and the accelerators per instance, from the catalog.
func vendorOf(c *catalog.Catalog, o *search.Option) (string, int) {
	if o.Accelerator == "" || o.Accelerator == "cpu" {
		return "", 0
	}
	vendor := ""
	if c != nil {
		if a, err := c.Accelerator(o.Accelerator); err == nil {
			vendor = strings.ToLower(a.Vendor)
		}
	}
	if vendor == "" {
		vendor = "unknown " + o.Accelerator // no node image is guessed for it
	}
	return vendor, max(instanceAccelerators(c, o), 1)
}

// instanceAccelerators is the accelerator count of the option's instance in
// the catalog (0 when the catalog does not list it).
func instanceAccelerators(c *catalog.Catalog, o *search.Option) int {
	if c == nil {
		return 0
	}
	if in, err := c.Instance(o.Cloud + "/" + o.Instance + "/" + o.Region); err == nil {
		return in.AcceleratorCount
	}
	for _, in := range c.InstancesFor(o.Accelerator) {
		if in.Cloud == o.Cloud && in.InstanceType == o.Instance {
			return in.AcceleratorCount
		}
	}
	return 0
}

func minInstances(o *search.Option) int {
	if o.ReplicasMin == 0 {
		return 0
	}
	if o.Instances > 0 && o.ReplicasMax > 0 {
		per := max(o.ReplicasMax/max(o.Instances, 1), 1)
		return (o.ReplicasMin + per - 1) / per
	}
	return 1
}

// Terraform writes one file per hyperscaler whose instances the plan priced.
// Each file holds one cluster per priced region with that region's node
// pools, and the backup copies in the copy region the blueprint priced for
// each; no region appears that the plan did not price, and owned (on-prem)
// capacity never reaches a cloud provider block.
func Terraform(p *plan.Plan) ([]File, []string) {
	ps := pools(p)
	var names []string
	for c := range ps {
		names = append(names, c)
	}
	sort.Strings(names)
	var files []File
	var notes []string
	if bp := p.Blueprint; bp != nil && bp.PrimaryCloud != "" && len(ps[bp.PrimaryCloud]) == 0 {
		notes = append(notes, fmt.Sprintf("no Terraform written for %s: the plan priced no instances there, so no region is known; provision its managed services in the region you choose", bp.PrimaryCloud))
	}
	name := slug(p.Name)
	for _, cl := range names {
		byRegion := map[string][]pool{}
		var regions []string
		for _, pl := range ps[cl] {
			if byRegion[pl.region] == nil {
				regions = append(regions, pl.region)
			}
			byRegion[pl.region] = append(byRegion[pl.region], pl)
		}
		sort.Strings(regions)
		f := hclwrite.NewEmptyFile()
		body := f.Body()
		switch cl {
		case "aws":
			awsFile(body, name, regions, byRegion, siteBuckets(p.Blueprint, cl))
		case "gcp":
			gcpFile(body, name, regions, byRegion, siteBuckets(p.Blueprint, cl))
		case "azure":
			azureFile(body, name, regions, byRegion)
		default:
			notes = append(notes, fmt.Sprintf("no Terraform written for %s: provision its instances (%d node group(s) in %s) through its console or API", cl, len(ps[cl]), strings.Join(regions, ", ")))
			continue
		}
		for i, r := range regions {
			// lifecycle and log retention the compliance matrix relies on, in each region's lake and logs
			retention(newSite(body, name, r, len(regions) > 1, providerLocal[cl]), cl, p.Blueprint, i == 0)
			// daily backups copied to the region the plan priced for them
			backups(newSite(body, name, r, len(regions) > 1, providerLocal[cl]), cl, p.Blueprint, i == 0, regions)
			// audit logs, the warehouse pinned to the site, a copy of the logs
			dataPlane(newSite(body, name, r, len(regions) > 1, providerLocal[cl]), cl, p.Blueprint, i == 0, name)
		}
		head := fmt.Sprintf("# Generated by aiplan for plan %q: per priced region a cluster, its node pools, an encrypted versioned lake bucket and keys on %s (%s).\n", p.Name, cl, strings.Join(regions, ", "))
		files = append(files, File{"terraform/" + cl + ".tf", append([]byte(head), hclwrite.Format(f.Bytes())...)})
	}
	return files, notes
}

// terraformClouds are the clouds whose clusters and node pools the export
// writes (their pools carry the aiplan.dev/pool label pods select).
var terraformClouds = map[string]bool{"aws": true, "gcp": true, "azure": true}

// providerLocal is the provider whose configuration is per region (AWS);
// the Google and Azure providers take the region on each resource.
var providerLocal = map[string]string{"aws": "aws"}

// site is one region's part of a cloud's file. With several regions every
// label gets the region as a suffix and (AWS) resources name an aliased
// provider.
type site struct {
	body     *hclwrite.Body
	name     string // plan slug, used in resource names
	region   string
	sfx      string // "" or "_eu_west_1"
	provider string // "" or the provider alias ("aws.eu_west_1")
}

func newSite(body *hclwrite.Body, name, region string, multi bool, providerLocal string) site {
	s := site{body: body, name: name, region: region}
	if multi {
		s.sfx = "_" + ident(region)
		s.name = name + "-" + slug(region)
		if providerLocal != "" {
			s.provider = providerLocal + "." + ident(region)
		}
	}
	return s
}

// ident makes a Terraform identifier from a region or instance name.
func ident(s string) string {
	return strings.NewReplacer(".", "_", "-", "_", " ", "_", "+", "_", "/", "_").Replace(strings.ToLower(s))
}

func (s site) resource(typ, label string) *hclwrite.Body {
	b := s.body.AppendNewBlock("resource", []string{typ, label + s.sfx}).Body()
	if s.provider != "" {
		parts := strings.SplitN(s.provider, ".", 2)
		b.SetAttributeRaw("provider", ref(parts[0], parts[1]))
	}
	return b
}

func (s site) ref(typ, label string, attrs ...string) hclwrite.Tokens {
	return ref(append([]string{typ, label + s.sfx}, attrs...)...)
}

func required(body *hclwrite.Body, local, source, version string) {
	tf := body.AppendNewBlock("terraform", nil).Body()
	rp := tf.AppendNewBlock("required_providers", nil).Body()
	rp.SetAttributeValue(local, cty.ObjectVal(map[string]cty.Value{"source": cty.StringVal(source), "version": cty.StringVal(version)}))
	body.AppendNewline()
}

func ref(parts ...string) hclwrite.Tokens {
	tr := hcl.Traversal{hcl.TraverseRoot{Name: parts[0]}}
	for _, p := range parts[1:] {
		tr = append(tr, hcl.TraverseAttr{Name: p})
	}
	return hclwrite.TokensForTraversal(tr)
}

func variable(body *hclwrite.Body, name, typ, desc string) {
	v := body.AppendNewBlock("variable", []string{name}).Body()
	v.SetAttributeRaw("type", hclwrite.TokensForIdentifier(typ))
	v.SetAttributeValue("description", cty.StringVal(desc))
	body.AppendNewline()
}

func tags(name string) cty.Value {
	return cty.ObjectVal(map[string]cty.Value{"aiplan-plan": cty.StringVal(name), "managed-by": cty.StringVal("aiplan")})
}

// poolComment writes which workloads a pool hosts above its block.
func poolComment(body *hclwrite.Body, pl pool) {
	body.AppendUnstructuredTokens(hclwrite.Tokens{{Type: hclsyntax.TokenComment, Bytes: []byte(fmt.Sprintf("# pool %s, %s capacity: %d-%d instances for %s\n", commentSafe(pl.key), pl.capacity, pl.min, max(pl.max, 1), commentSafe(strings.Join(pl.workloads, ", "))))}})
}

// commentSafe keeps a workload string on one comment line.
func commentSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == 0x2028 || r == 0x2029 {
			return ' '
		}
		return r
	}, s)
}

// awsAMI is the EKS AMI type of a node group by accelerator vendor: the
// accelerated AL2023 AMIs carry the NVIDIA driver and container toolkit, or
// the Neuron driver (Inferentia, Trainium).
// Source: AWS EKS API reference, Nodegroup amiType (AL2023_x86_64_STANDARD,
// AL2023_x86_64_NVIDIA, AL2023_x86_64_NEURON), read 2026-12.
func awsAMI(pl pool) (string, error) {
	switch pl.vendor {
	case "":
		return "AL2023_x86_64_STANDARD", nil
	case "nvidia":
		return "AL2023_x86_64_NVIDIA", nil
	case "aws":
		return "AL2023_x86_64_NEURON", nil
	}
	return "", fmt.Errorf("no EKS AMI type for %s accelerators (%s)", pl.vendor, pl.instance)
}

func awsFile(body *hclwrite.Body, name string, regions []string, byRegion map[string][]pool, buckets []string) {
	required(body, "aws", "hashicorp/aws", "~> 6.0")
	multi := len(regions) > 1
	for _, r := range regions {
		prov := body.AppendNewBlock("provider", []string{"aws"}).Body()
		if multi {
			prov.SetAttributeValue("alias", cty.StringVal(ident(r)))
		}
		prov.SetAttributeValue("region", cty.StringVal(r))
		prov.AppendNewBlock("default_tags", nil).Body().SetAttributeValue("tags", tags(name))
		body.AppendNewline()
	}
	for _, r := range regions {
		awsRegion(newSite(body, name, r, multi, providerLocal["aws"]), byRegion[r], buckets)
	}
}

func awsRegion(s site, pools []pool, buckets []string) {
	body := s.body
	subnets := "subnet_ids" + s.sfx
	variable(body, subnets, "list(string)", "private subnets for the cluster and node groups, in "+s.region)

	kms := s.resource("aws_kms_key", "main")
	kms.SetAttributeValue("description", cty.StringVal(s.name+" data and secrets"))
	kms.SetAttributeValue("enable_key_rotation", cty.True)
	kms.SetAttributeValue("deletion_window_in_days", cty.NumberIntVal(30))
	body.AppendNewline()
	for _, b := range buckets {
		bk := s.resource("aws_s3_bucket", b)
		bk.SetAttributeValue("bucket", cty.StringVal(strings.TrimSuffix(s.name, "-"+slug(s.region))+"-"+b+"-"+s.region))
		body.AppendNewline()
		v := s.resource("aws_s3_bucket_versioning", b)
		v.SetAttributeRaw("bucket", s.ref("aws_s3_bucket", b, "id"))
		v.AppendNewBlock("versioning_configuration", nil).Body().SetAttributeValue("status", cty.StringVal("Enabled"))
		body.AppendNewline()
		e := s.resource("aws_s3_bucket_server_side_encryption_configuration", b)
		e.SetAttributeRaw("bucket", s.ref("aws_s3_bucket", b, "id"))
		sseKMS(e, s.ref("aws_kms_key", "main", "arn"))
		body.AppendNewline()
		pb := s.resource("aws_s3_bucket_public_access_block", b)
		pb.SetAttributeRaw("bucket", s.ref("aws_s3_bucket", b, "id"))
		for _, k := range []string{"block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"} {
			pb.SetAttributeValue(k, cty.True)
		}
		body.AppendNewline()
		denyInsecureTransport(s, b)
	}
	role := func(id, service string) {
		r := s.resource("aws_iam_role", id)
		r.SetAttributeValue("name", cty.StringVal(s.name+"-"+strings.ReplaceAll(id, "_", "-")))
		r.SetAttributeRaw("assume_role_policy", hclwrite.TokensForFunctionCall("jsonencode", hclwrite.TokensForValue(cty.ObjectVal(map[string]cty.Value{
			"Version": cty.StringVal("2012-10-17"),
			"Statement": cty.TupleVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{
				"Effect": cty.StringVal("Allow"), "Action": cty.StringVal("sts:AssumeRole"),
				"Principal": cty.ObjectVal(map[string]cty.Value{"Service": cty.StringVal(service)}),
			})}),
		}))))
		body.AppendNewline()
	}
	attach := func(id, roleID, arn string) {
		a := s.resource("aws_iam_role_policy_attachment", id)
		a.SetAttributeRaw("role", s.ref("aws_iam_role", roleID, "name"))
		a.SetAttributeValue("policy_arn", cty.StringVal(arn))
		body.AppendNewline()
	}
	role("cluster", "eks.amazonaws.com")
	attach("cluster", "cluster", "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy")
	role("nodes", "ec2.amazonaws.com")
	for i, arn := range []string{"AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly"} {
		attach(fmt.Sprintf("nodes_%d", i), "nodes", "arn:aws:iam::aws:policy/"+arn)
	}
	cl := s.resource("aws_eks_cluster", "main")
	cl.SetAttributeValue("name", cty.StringVal(s.name))
	cl.SetAttributeRaw("role_arn", s.ref("aws_iam_role", "cluster", "arn"))
	cl.AppendNewBlock("vpc_config", nil).Body().SetAttributeRaw("subnet_ids", ref("var", subnets))
	enc := cl.AppendNewBlock("encryption_config", nil).Body()
	enc.SetAttributeValue("resources", cty.ListVal([]cty.Value{cty.StringVal("secrets")}))
	enc.AppendNewBlock("provider", nil).Body().SetAttributeRaw("key_arn", s.ref("aws_kms_key", "main", "arn"))
	cl.SetAttributeValue("enabled_cluster_log_types", cty.ListVal([]cty.Value{cty.StringVal("api"), cty.StringVal("audit"), cty.StringVal("authenticator")}))
	body.AppendNewline()
	sys := pool{instance: "m7i.xlarge", capacity: "on-demand", min: 3, max: 6}
	for i, pl := range append([]pool{sys}, pools...) {
		id := "system"
		if i > 0 {
			id = fmt.Sprintf("pool_%d_%s", i, ident(pl.instance))
			poolComment(body, pl)
		}
		ami, err := awsAMI(pl)
		if err != nil {
			body.AppendUnstructuredTokens(hclwrite.Tokens{{Type: hclsyntax.TokenComment, Bytes: []byte("# not written: " + err.Error() + "\n")}})
			continue
		}
		if pl.efa > 0 {
			efaTemplate(s, id, pl.efa)
		}
		ng := s.resource("aws_eks_node_group", id)
		ng.SetAttributeRaw("cluster_name", s.ref("aws_eks_cluster", "main", "name"))
		ng.SetAttributeValue("node_group_name", cty.StringVal(strings.ReplaceAll(id, "_", "-")))
		ng.SetAttributeRaw("node_role_arn", s.ref("aws_iam_role", "nodes", "arn"))
		if pl.efa > 0 {
			// A cluster placement group lives in one zone: the first subnet's.
			ng.SetAttributeRaw("subnet_ids", hclwrite.TokensForTuple([]hclwrite.Tokens{hclwrite.TokensForTraversal(hcl.Traversal{
				hcl.TraverseRoot{Name: "var"}, hcl.TraverseAttr{Name: subnets}, hcl.TraverseIndex{Key: cty.NumberIntVal(0)}})}))
			lt := ng.AppendNewBlock("launch_template", nil).Body()
			lt.SetAttributeRaw("id", s.ref("aws_launch_template", id, "id"))
			lt.SetAttributeRaw("version", s.ref("aws_launch_template", id, "latest_version"))
		} else {
			ng.SetAttributeRaw("subnet_ids", ref("var", subnets))
		}
		ng.SetAttributeValue("instance_types", cty.ListVal([]cty.Value{cty.StringVal(pl.instance)}))
		ng.SetAttributeValue("capacity_type", cty.StringVal(map[string]string{"spot": "SPOT", "on-demand": "ON_DEMAND"}[pl.capacity]))
		ng.SetAttributeValue("ami_type", cty.StringVal(ami))
		if i > 0 {
			labels := map[string]cty.Value{"aiplan.dev/capacity-type": cty.StringVal(pl.capacity), "aiplan.dev/pool": cty.StringVal(pl.label)}
			if !pl.cpuPool() {
				labels["aiplan.dev/accelerator"] = cty.StringVal(pl.accelerator)
				t := ng.AppendNewBlock("taint", nil).Body()
				t.SetAttributeValue("key", cty.StringVal(pl.device))
				t.SetAttributeValue("effect", cty.StringVal("NO_SCHEDULE"))
			}
			ng.SetAttributeValue("labels", cty.ObjectVal(labels))
		}
		sc := ng.AppendNewBlock("scaling_config", nil).Body()
		sc.SetAttributeValue("min_size", cty.NumberIntVal(int64(pl.min)))
		sc.SetAttributeValue("max_size", cty.NumberIntVal(int64(max(pl.max, 1))))
		sc.SetAttributeValue("desired_size", cty.NumberIntVal(int64(pl.min)))
		body.AppendNewline()
	}
}

// efaTemplate writes the launch template and cluster placement group of an
// EFA node group: every EFA interface of the instance attached (network
// card i, the first as the primary interface), in the cluster security
// group, which admits all traffic between its members as EFA requires.
// The aws-efa-k8s-device-plugin then offers them to pods as
// vpc.amazonaws.com/efa. Source: Amazon EKS User Guide, "Run machine
// learning training on Amazon EKS with Elastic Fabric Adapter"; Amazon EC2
// User Guide, "Maximize network bandwidth ... with multiple network cards".
func efaTemplate(s site, id string, interfaces int) {
	pg := s.resource("aws_placement_group", id)
	pg.SetAttributeValue("name", cty.StringVal(s.name+"-"+strings.ReplaceAll(id, "_", "-")))
	pg.SetAttributeValue("strategy", cty.StringVal("cluster"))
	s.body.AppendNewline()
	lt := s.resource("aws_launch_template", id)
	lt.SetAttributeValue("name_prefix", cty.StringVal(s.name+"-"+strings.ReplaceAll(id, "_", "-")+"-"))
	lt.AppendNewBlock("placement", nil).Body().SetAttributeRaw("group_name", s.ref("aws_placement_group", id, "name"))
	sg := hclwrite.TokensForTuple([]hclwrite.Tokens{hclwrite.TokensForTraversal(hcl.Traversal{
		hcl.TraverseRoot{Name: "aws_eks_cluster"}, hcl.TraverseAttr{Name: "main" + s.sfx}, hcl.TraverseAttr{Name: "vpc_config"},
		hcl.TraverseIndex{Key: cty.NumberIntVal(0)}, hcl.TraverseAttr{Name: "cluster_security_group_id"}})})
	for i := 0; i < interfaces; i++ {
		ni := lt.AppendNewBlock("network_interfaces", nil).Body()
		ni.SetAttributeValue("network_card_index", cty.NumberIntVal(int64(i)))
		ni.SetAttributeValue("device_index", cty.NumberIntVal(int64(min(i, 1))))
		ni.SetAttributeValue("interface_type", cty.StringVal("efa"))
		ni.SetAttributeValue("delete_on_termination", cty.True)
		ni.SetAttributeRaw("security_groups", sg)
	}
	s.body.AppendNewline()
}

// gcpAccelerator maps catalog accelerator ids to GCE accelerator types.
// Source: cloud.google.com/compute/docs/gpus (accelerator type names), read 2026-12.
var gcpAccelerator = map[string]string{"a100-sxm-40gb": "nvidia-tesla-a100", "a100-sxm-80gb": "nvidia-a100-80gb", "h100-sxm": "nvidia-h100-80gb", "h200-sxm": "nvidia-h200-141gb", "b200": "nvidia-b200", "l4": "nvidia-l4", "t4": "nvidia-tesla-t4", "v100": "nvidia-tesla-v100"}

// gkeTPU is how a Cloud TPU slice type becomes a GKE node pool: the TPU VM
// machine type, the hosts (nodes) per slice and the slice topology.
// Source: GKE documentation, "Plan TPUs in GKE" (machine types and
// topologies per TPU version), read 2026-12.
type gkeTPU struct {
	machine  string
	hosts    int
	topology string
	label    string // cloud.google.com/gke-tpu-accelerator
}

var gkeTPUs = map[string]gkeTPU{
	"tpu-v6e-1":         {"ct6e-standard-1t", 1, "1x1", "tpu-v6e-slice"},
	"tpu-v6e-8":         {"ct6e-standard-8t", 1, "2x4", "tpu-v6e-slice"},
	"tpu-v6e-256":       {"ct6e-standard-4t", 64, "16x16", "tpu-v6e-slice"},
	"tpu-v5litepod-32":  {"ct5lp-hightpu-4t", 8, "4x8", "tpu-v5-lite-podslice"},
	"tpu-v5litepod-256": {"ct5lp-hightpu-4t", 64, "16x16", "tpu-v5-lite-podslice"},
	"tpu-v5p-8":         {"ct5p-hightpu-4t", 1, "2x2x1", "tpu-v5p-slice"},
	"tpu-v5p-128":       {"ct5p-hightpu-4t", 16, "4x4x4", "tpu-v5p-slice"},
}

// gceMachine splits a catalog GCE instance type ("n1-standard-4 + 1x
// nvidia-tesla-t4") into the machine type and the attached accelerator.
func gceMachine(instance string) (machine, accType string, count int) {
	machine = strings.TrimSpace(instance)
	if i := strings.Index(instance, "+"); i >= 0 {
		machine = strings.TrimSpace(instance[:i])
		var n int
		var t string
		if _, err := fmt.Sscanf(strings.TrimSpace(instance[i+1:]), "%dx %s", &n, &t); err == nil {
			return machine, t, n
		}
	}
	return machine, "", 0
}

func gcpFile(body *hclwrite.Body, name string, regions []string, byRegion map[string][]pool, buckets []string) {
	required(body, "google", "hashicorp/google", "~> 6.0")
	variable(body, "project_id", "string", "Google Cloud project")
	prov := body.AppendNewBlock("provider", []string{"google"}).Body()
	prov.SetAttributeRaw("project", ref("var", "project_id"))
	if len(regions) == 1 {
		prov.SetAttributeValue("region", cty.StringVal(regions[0]))
	}
	body.AppendNewline()
	for _, r := range regions {
		gcpRegion(newSite(body, name, r, len(regions) > 1, ""), byRegion[r], buckets)
	}
}

func gcpRegion(s site, pools []pool, buckets []string) {
	body := s.body
	region := s.region
	kr := s.resource("google_kms_key_ring", "main")
	kr.SetAttributeValue("name", cty.StringVal(s.name))
	kr.SetAttributeValue("location", cty.StringVal(region))
	body.AppendNewline()
	k := s.resource("google_kms_crypto_key", "main")
	k.SetAttributeValue("name", cty.StringVal(s.name+"-data"))
	k.SetAttributeRaw("key_ring", s.ref("google_kms_key_ring", "main", "id"))
	k.SetAttributeValue("rotation_period", cty.StringVal("7776000s"))
	body.AppendNewline()
	for _, b := range buckets {
		bk := s.resource("google_storage_bucket", b)
		bk.SetAttributeValue("name", cty.StringVal(strings.TrimSuffix(s.name, "-"+slug(region))+"-"+b+"-"+region))
		bk.SetAttributeValue("location", cty.StringVal(strings.ToUpper(region)))
		bk.SetAttributeValue("uniform_bucket_level_access", cty.True)
		bk.SetAttributeValue("public_access_prevention", cty.StringVal("enforced"))
		bk.AppendNewBlock("versioning", nil).Body().SetAttributeValue("enabled", cty.True)
		bk.AppendNewBlock("encryption", nil).Body().SetAttributeRaw("default_kms_key_name", s.ref("google_kms_crypto_key", "main", "id"))
		body.AppendNewline()
	}
	c := s.resource("google_container_cluster", "main")
	c.SetAttributeValue("name", cty.StringVal(s.name))
	c.SetAttributeValue("location", cty.StringVal(region))
	c.SetAttributeValue("remove_default_node_pool", cty.True)
	c.SetAttributeValue("initial_node_count", cty.NumberIntVal(1))
	de := c.AppendNewBlock("database_encryption", nil).Body()
	de.SetAttributeValue("state", cty.StringVal("ENCRYPTED"))
	de.SetAttributeRaw("key_name", s.ref("google_kms_crypto_key", "main", "id"))
	c.AppendNewBlock("workload_identity_config", nil).Body().SetAttributeValue("workload_pool", cty.StringVal("${var.project_id}.svc.id.goog"))
	body.AppendNewline()
	sys := pool{instance: "n2-standard-4", capacity: "on-demand", min: 1, max: 3}
	for i, pl := range append([]pool{sys}, pools...) {
		id := "system"
		if i > 0 {
			id = fmt.Sprintf("pool_%d", i)
			poolComment(body, pl)
		}
		tpu, isTPU := gkeTPUs[pl.instance]
		slices := 1
		if isTPU && tpu.hosts > 1 {
			slices = max(pl.max, 1) // a multi-host slice is one atomic node pool
		}
		for sl := 0; sl < slices; sl++ {
			pid := id
			if slices > 1 {
				pid = fmt.Sprintf("%s_slice_%d", id, sl+1)
			}
			np := s.resource("google_container_node_pool", pid)
			np.SetAttributeValue("name", cty.StringVal(strings.ReplaceAll(pid, "_", "-")))
			np.SetAttributeRaw("cluster", s.ref("google_container_cluster", "main", "id"))
			as := np.AppendNewBlock("autoscaling", nil).Body()
			nc := np.AppendNewBlock("node_config", nil).Body()
			switch {
			case isTPU:
				minNodes, maxNodes := pl.min, max(pl.max, 1)
				if tpu.hosts > 1 {
					minNodes, maxNodes = 0, tpu.hosts
					if sl < pl.min {
						minNodes = tpu.hosts
					}
					pp := np.AppendNewBlock("placement_policy", nil).Body()
					pp.SetAttributeValue("type", cty.StringVal("COMPACT"))
					pp.SetAttributeValue("tpu_topology", cty.StringVal(tpu.topology))
				}
				as.SetAttributeValue("min_node_count", cty.NumberIntVal(int64(minNodes)))
				as.SetAttributeValue("max_node_count", cty.NumberIntVal(int64(maxNodes)))
				nc.SetAttributeValue("machine_type", cty.StringVal(tpu.machine))
			default:
				as.SetAttributeValue("min_node_count", cty.NumberIntVal(int64(pl.min)))
				as.SetAttributeValue("max_node_count", cty.NumberIntVal(int64(max(pl.max, 1))))
				machine, accType, count := gceMachine(pl.instance)
				nc.SetAttributeValue("machine_type", cty.StringVal(machine))
				if accType == "" && !pl.cpuPool() {
					accType, count = gcpAccelerator[pl.accelerator], pl.perInstance
					if pl.accelerator == "h100-sxm" && strings.HasPrefix(machine, "a3-megagpu") {
						accType = "nvidia-h100-mega-80gb"
					}
				}
				if accType != "" && count > 0 {
					ga := nc.AppendNewBlock("guest_accelerator", nil).Body()
					ga.SetAttributeValue("type", cty.StringVal(accType))
					ga.SetAttributeValue("count", cty.NumberIntVal(int64(count)))
					ga.AppendNewBlock("gpu_driver_installation_config", nil).Body().SetAttributeValue("gpu_driver_version", cty.StringVal("LATEST"))
				}
			}
			// Container-Optimized OS: GKE installs the GPU driver named above
			// or the TPU runtime on it.
			nc.SetAttributeValue("image_type", cty.StringVal("COS_CONTAINERD"))
			nc.SetAttributeValue("spot", cty.BoolVal(pl.capacity == "spot"))
			if i > 0 {
				nc.SetAttributeValue("labels", cty.ObjectVal(map[string]cty.Value{"aiplan.dev/capacity-type": cty.StringVal(pl.capacity), "aiplan.dev/pool": cty.StringVal(pl.label)}))
			}
			if i > 0 && !pl.cpuPool() {
				tn := nc.AppendNewBlock("taint", nil).Body()
				tn.SetAttributeValue("key", cty.StringVal(pl.device))
				tn.SetAttributeValue("value", cty.StringVal("present"))
				tn.SetAttributeValue("effect", cty.StringVal("NO_SCHEDULE"))
			}
			body.AppendNewline()
		}
	}
}

func azureFile(body *hclwrite.Body, name string, regions []string, byRegion map[string][]pool) {
	required(body, "azurerm", "hashicorp/azurerm", "~> 4.0")
	body.AppendNewBlock("provider", []string{"azurerm"}).Body().AppendNewBlock("features", nil)
	body.AppendNewline()
	variable(body, "tenant_id", "string", "Microsoft Entra tenant for the key vault")
	for _, r := range regions {
		azureRegion(newSite(body, name, r, len(regions) > 1, ""), byRegion[r])
	}
}

func azureRegion(s site, pools []pool) {
	body := s.body
	flat := strings.ReplaceAll(s.name, "-", "")
	rg := s.resource("azurerm_resource_group", "main")
	rg.SetAttributeValue("name", cty.StringVal(s.name))
	rg.SetAttributeValue("location", cty.StringVal(s.region))
	body.AppendNewline()
	kv := s.resource("azurerm_key_vault", "main")
	kv.SetAttributeValue("name", cty.StringVal(clip(flat, 22)+"kv"))
	kv.SetAttributeRaw("location", s.ref("azurerm_resource_group", "main", "location"))
	kv.SetAttributeRaw("resource_group_name", s.ref("azurerm_resource_group", "main", "name"))
	kv.SetAttributeRaw("tenant_id", ref("var", "tenant_id"))
	kv.SetAttributeValue("sku_name", cty.StringVal("premium"))
	kv.SetAttributeValue("purge_protection_enabled", cty.True)
	body.AppendNewline()
	sa := s.resource("azurerm_storage_account", "lake")
	sa.SetAttributeValue("name", cty.StringVal(clip(flat, 20)+"lake"))
	sa.SetAttributeRaw("resource_group_name", s.ref("azurerm_resource_group", "main", "name"))
	sa.SetAttributeRaw("location", s.ref("azurerm_resource_group", "main", "location"))
	sa.SetAttributeValue("account_tier", cty.StringVal("Standard"))
	sa.SetAttributeValue("account_replication_type", cty.StringVal("ZRS"))
	sa.SetAttributeValue("is_hns_enabled", cty.True)
	sa.SetAttributeValue("infrastructure_encryption_enabled", cty.True)
	sa.SetAttributeValue("min_tls_version", cty.StringVal("TLS1_2"))
	sa.SetAttributeValue("https_traffic_only_enabled", cty.True)
	sa.AppendNewBlock("blob_properties", nil).Body().SetAttributeValue("versioning_enabled", cty.False)
	body.AppendNewline()
	aks := s.resource("azurerm_kubernetes_cluster", "main")
	aks.SetAttributeValue("name", cty.StringVal(s.name))
	aks.SetAttributeRaw("location", s.ref("azurerm_resource_group", "main", "location"))
	aks.SetAttributeRaw("resource_group_name", s.ref("azurerm_resource_group", "main", "name"))
	aks.SetAttributeValue("dns_prefix", cty.StringVal(s.name))
	dp := aks.AppendNewBlock("default_node_pool", nil).Body()
	dp.SetAttributeValue("name", cty.StringVal("system"))
	dp.SetAttributeValue("vm_size", cty.StringVal("Standard_D4s_v5"))
	dp.SetAttributeValue("node_count", cty.NumberIntVal(3))
	aks.AppendNewBlock("identity", nil).Body().SetAttributeValue("type", cty.StringVal("SystemAssigned"))
	body.AppendNewline()
	for i, pl := range pools {
		poolComment(body, pl)
		prefix := "gpu"
		if pl.cpuPool() {
			prefix = "cpu"
		}
		np := s.resource("azurerm_kubernetes_cluster_node_pool", fmt.Sprintf("%s%d", prefix, i+1))
		np.SetAttributeValue("name", cty.StringVal(fmt.Sprintf("%s%d", prefix, i+1)))
		np.SetAttributeRaw("kubernetes_cluster_id", s.ref("azurerm_kubernetes_cluster", "main", "id"))
		np.SetAttributeValue("vm_size", cty.StringVal(pl.instance))
		// Ubuntu node image: AKS installs the NVIDIA driver on GPU VM sizes.
		np.SetAttributeValue("os_sku", cty.StringVal("Ubuntu"))
		np.SetAttributeValue("auto_scaling_enabled", cty.True)
		np.SetAttributeValue("min_count", cty.NumberIntVal(int64(pl.min)))
		np.SetAttributeValue("max_count", cty.NumberIntVal(int64(max(pl.max, 1))))
		np.SetAttributeValue("priority", cty.StringVal(map[string]string{"spot": "Spot", "on-demand": "Regular"}[pl.capacity]))
		np.SetAttributeValue("node_labels", cty.ObjectVal(map[string]cty.Value{"aiplan.dev/capacity-type": cty.StringVal(pl.capacity), "aiplan.dev/pool": cty.StringVal(pl.label)}))
		if !pl.cpuPool() {
			np.SetAttributeValue("node_taints", cty.ListVal([]cty.Value{cty.StringVal(pl.device + "=present:NoSchedule")}))
		}
		body.AppendNewline()
	}
}

// clip shortens a name to n bytes, keeping it unique with a hash of the
// whole name when it has to cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	h := fnv.New32a()
	h.Write([]byte(s))
	return s[:n-6] + fmt.Sprintf("%06x", h.Sum32()&0xffffff)
}

// denyInsecureTransport writes a bucket policy refusing every request not
// made over TLS (aws:SecureTransport false), as the Amazon S3 User Guide's
// security best practices recommend.
func denyInsecureTransport(s site, bucket string) {
	arn := s.ref("aws_s3_bucket", bucket, "arn")
	objects := hclwrite.TokensForFunctionCall("format", hclwrite.TokensForValue(cty.StringVal("%s/*")), arn)
	str := func(v string) hclwrite.Tokens { return hclwrite.TokensForValue(cty.StringVal(v)) }
	attr := func(name string, v hclwrite.Tokens) hclwrite.ObjectAttrTokens {
		return hclwrite.ObjectAttrTokens{Name: hclwrite.TokensForValue(cty.StringVal(name)), Value: v}
	}
	stmt := hclwrite.TokensForObject([]hclwrite.ObjectAttrTokens{
		attr("Sid", str("DenyInsecureTransport")),
		attr("Effect", str("Deny")),
		attr("Principal", str("*")),
		attr("Action", str("s3:*")),
		attr("Resource", hclwrite.TokensForTuple([]hclwrite.Tokens{arn, objects})),
		attr("Condition", hclwrite.TokensForValue(cty.ObjectVal(map[string]cty.Value{"Bool": cty.ObjectVal(map[string]cty.Value{"aws:SecureTransport": cty.StringVal("false")})}))),
	})
	doc := hclwrite.TokensForObject([]hclwrite.ObjectAttrTokens{
		attr("Version", str("2012-10-17")),
		attr("Statement", hclwrite.TokensForTuple([]hclwrite.Tokens{stmt})),
	})
	p := s.resource("aws_s3_bucket_policy", bucket)
	p.SetAttributeRaw("bucket", s.ref("aws_s3_bucket", bucket, "id"))
	p.SetAttributeRaw("policy", hclwrite.TokensForFunctionCall("jsonencode", doc))
	s.body.AppendNewline()
}

// sseKMS writes the one rule of an aws_s3_bucket_server_side_encryption_configuration:
// SSE-KMS with the given key, with an S3 bucket key to cut KMS requests.
func sseKMS(e *hclwrite.Body, key hclwrite.Tokens) {
	rule := e.AppendNewBlock("rule", nil).Body()
	d := rule.AppendNewBlock("apply_server_side_encryption_by_default", nil).Body()
	d.SetAttributeValue("sse_algorithm", cty.StringVal("aws:kms"))
	d.SetAttributeRaw("kms_master_key_id", key)
	rule.SetAttributeValue("bucket_key_enabled", cty.True)
}
