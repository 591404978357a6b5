package validate

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/santhosh-tekuri/jsonschema/v6"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"
)

// chartCase is one values file the chart ships.
type chartCase struct {
	name        string
	valuesFiles []string
	// secret is the Secret the pods read SHOAL_* secrets from.
	secret string
	// fullname is the chart's resource name prefix (default "shoal").
	fullname string
}

func (c chartCase) name0() string {
	if c.fullname == "" {
		return "shoal"
	}
	return c.fullname
}

// ownsSecret reports whether the chart creates the Secret (no existingSecret).
func (c chartCase) ownsSecret() bool { return c.secret == c.name0() }

var chartCases = []chartCase{
	{name: "default", secret: "shoal"},
	{name: "production", valuesFiles: []string{"../helm/values-production.yaml"}, secret: "shoal-secrets"},
	{name: "minimal", valuesFiles: []string{"../helm/values-minimal.yaml"}, secret: "shoal"},
}

// TestChartRendersStrictly renders the chart with each shipped values file
// through Helm's library, decodes every object strictly into its typed
// struct and checks the invariants that hold for every values file.
func TestChartRendersStrictly(t *testing.T) {
	for _, c := range chartCases {
		t.Run(c.name, func(t *testing.T) {
			m := renderChart(t, c.valuesFiles)
			checkChart(t, m, c)
		})
	}
}

// TestHelmTemplateOutput decodes the output of the real `helm template`
// CLI (written by `make test-helm` into SHOAL_HELM_RENDERED, one
// <case>.yaml per values file) and applies the same checks.
func TestHelmTemplateOutput(t *testing.T) {
	dir := os.Getenv("SHOAL_HELM_RENDERED")
	if dir == "" {
		t.Skip("SHOAL_HELM_RENDERED is not set: `make test-helm` sets it to the `helm template` output")
	}
	for _, c := range chartCases {
		t.Run(c.name, func(t *testing.T) {
			m := decodeFile(t, filepath.Join(dir, c.name+".yaml"))
			checkChart(t, m, c)
		})
	}
}

// TestHelmManifest validates one `helm template` output named by
// SHOAL_HELM_MANIFEST (scripts/deploy/deploy_k8s.sh --dry-run uses it) for
// the release SHOAL_HELM_RELEASE (default shoal).
func TestHelmManifest(t *testing.T) {
	file := os.Getenv("SHOAL_HELM_MANIFEST")
	if file == "" {
		t.Skip("SHOAL_HELM_MANIFEST is not set")
	}
	release := os.Getenv("SHOAL_HELM_RELEASE")
	if release == "" {
		release = "shoal"
	}
	fullname := release
	if !strings.Contains(release, "shoal") {
		fullname = release + "-shoal"
	}
	m := decodeFile(t, file)
	c := chartCase{name: filepath.Base(file), fullname: fullname, secret: fullname}
	// With existingSecret the pods read another Secret.
	for _, d := range typed[appsv1.Deployment](m) {
		for _, e := range d.Spec.Template.Spec.Containers[0].Env {
			if e.Name == "SHOAL_STORE_URL" && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				c.secret = e.ValueFrom.SecretKeyRef.Name
			}
		}
	}
	checkChart(t, m, c)
}

// checkChart holds for every values file.
func checkChart(t *testing.T, m manifests, c chartCase) {
	t.Helper()
	secretNames := map[string]bool{}
	for _, s := range typed[corev1.Secret](m) {
		secretNames[s.Name] = true
		if _, ok := s.Data["SHOAL_STORE_URL"]; !ok {
			t.Errorf("Secret %s has no SHOAL_STORE_URL", s.Name)
		}
	}
	if c.ownsSecret() && !secretNames[c.secret] {
		t.Errorf("the chart's Secret is missing; have %s", m.ids())
	}
	if !c.ownsSecret() && len(secretNames) > 0 {
		t.Errorf("with existingSecret the chart must create no Secret, has %v", secretNames)
	}

	deployments := typed[appsv1.Deployment](m)
	if len(deployments) == 0 {
		t.Fatal("no Deployment rendered")
	}
	for _, d := range deployments {
		component := d.Spec.Template.Labels["app.kubernetes.io/component"]
		pc := podCheck{id: "Deployment/" + d.Name, longRunning: true, configMap: c.name0(), secret: c.secret}
		switch component {
		case "server":
			pc.port, pc.args = "http", []string{"serve"}
		case "worker":
			pc.port, pc.args = "metrics", []string{"worker"}
			if p := d.Spec.Template.Spec.Containers[0].Ports; len(p) != 1 || p[0].ContainerPort != 9090 {
				t.Errorf("%s: the worker must listen on 9090, has %v", d.Name, p)
			}
		default:
			t.Errorf("Deployment %s has unknown component %q", d.Name, component)
			continue
		}
		if !selectorMatches(d.Spec.Selector, d.Spec.Template.Labels) {
			t.Errorf("%s: selector does not match its pod labels", d.Name)
		}
		checkPod(t, pc, d.Spec.Template.ObjectMeta, d.Spec.Template.Spec)
		ann := d.Spec.Template.Annotations
		if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(ann["checksum/config"]) {
			t.Errorf("%s: no checksum/config annotation: config changes would not roll the pods", d.Name)
		}
		if c.ownsSecret() && !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(ann["checksum/secret"]) {
			t.Errorf("%s: no checksum/secret annotation", d.Name)
		}
		if d.Spec.Strategy.RollingUpdate == nil || d.Spec.Strategy.RollingUpdate.MaxUnavailable.String() != "0" {
			t.Errorf("%s: rolling updates must keep every replica available (maxUnavailable 0)", d.Name)
		}
	}
	checkConfigMap(t, one[corev1.ConfigMap](t, m, "ConfigMap", c.name0()))
	checkMigration(t, m, c)
	checkServices(t, m)
	checkIngress(t, m)
	checkScaling(t, m)
	checkNetworkPolicies(t, m)
	checkMonitoring(t, m)
}

func checkConfigMap(t *testing.T, cm *corev1.ConfigMap) {
	t.Helper()
	data, ok := cm.Data["config.yaml"]
	if !ok {
		t.Fatalf("ConfigMap %s has no config.yaml", cm.Name)
	}
	validateShoalConfig(t, cm.Name, []byte(data))
}

// validateShoalConfig checks a rendered config.yaml against Shoal's
// published JSON Schema (docs/config.schema.json) and, when SHOAL_BIN
// names a shoal binary, with `shoal config validate --production`.
func validateShoalConfig(t *testing.T, name string, data []byte) {
	t.Helper()
	schemaFile, err := os.Open(filepath.Join(k8sRepoRoot, "docs", "config.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = schemaFile.Close() }()
	doc, err := jsonschema.UnmarshalJSON(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	comp := jsonschema.NewCompiler()
	if err := comp.AddResource("config.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := comp.Compile("config.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		t.Fatalf("%s: config.yaml is not YAML: %v", name, err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("%s: config.yaml does not follow docs/config.schema.json:\n%v", name, err)
	}
	bin := os.Getenv("SHOAL_BIN")
	if bin == "" {
		return
	}
	f := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(f, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.CommandContext(context.Background(), bin, "config", "validate", "--production", f).CombinedOutput() //nolint:gosec // G204: the binary under test
	if err != nil {
		t.Errorf("%s: shoal config validate --production: %v\n%s", name, err, out)
	}
}

func hookAnnotations(t *testing.T, id string, ann map[string]string) int {
	t.Helper()
	hooks := strings.Split(ann["helm.sh/hook"], ",")
	slices.Sort(hooks)
	if !slices.Equal(hooks, []string{"pre-install", "pre-upgrade"}) {
		t.Errorf("%s: helm.sh/hook is %q, want pre-install,pre-upgrade", id, ann["helm.sh/hook"])
	}
	policy := strings.Split(ann["helm.sh/hook-delete-policy"], ",")
	if !slices.Contains(policy, "before-hook-creation") || !slices.Contains(policy, "hook-succeeded") {
		t.Errorf("%s: hook-delete-policy %q must hold before-hook-creation and hook-succeeded", id, ann["helm.sh/hook-delete-policy"])
	}
	w, err := strconv.Atoi(ann["helm.sh/hook-weight"])
	if err != nil {
		t.Errorf("%s: hook-weight %q is not an integer", id, ann["helm.sh/hook-weight"])
	}
	return w
}

func checkMigration(t *testing.T, m manifests, c chartCase) {
	t.Helper()
	jobs := typed[batchv1.Job](m)
	if len(jobs) != 1 {
		t.Fatalf("want one migration Job, have %d", len(jobs))
	}
	j := jobs[0]
	jobWeight := hookAnnotations(t, "Job/"+j.Name, j.Annotations)
	if j.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("migration Job restartPolicy %q, want Never", j.Spec.Template.Spec.RestartPolicy)
	}
	if j.Spec.BackoffLimit == nil || j.Spec.ActiveDeadlineSeconds == nil {
		t.Error("migration Job needs backoffLimit and activeDeadlineSeconds")
	}
	secret := c.secret
	if c.ownsSecret() {
		secret = j.Name // the hook copy
		s := one[corev1.Secret](t, m, "Secret", j.Name)
		if w := hookAnnotations(t, "Secret/"+s.Name, s.Annotations); w >= jobWeight {
			t.Errorf("the migration Secret (weight %d) must be created before the Job (weight %d)", w, jobWeight)
		}
	}
	cm := one[corev1.ConfigMap](t, m, "ConfigMap", j.Name)
	if w := hookAnnotations(t, "ConfigMap/"+cm.Name, cm.Annotations); w >= jobWeight {
		t.Errorf("the migration ConfigMap (weight %d) must be created before the Job (weight %d)", w, jobWeight)
	}
	if main := one[corev1.ConfigMap](t, m, "ConfigMap", c.name0()); main.Data["config.yaml"] != cm.Data["config.yaml"] {
		t.Error("the migration Job's config differs from the pods' config")
	}
	checkPod(t, podCheck{id: "Job/" + j.Name, args: []string{"migrate"}, configMap: cm.Name, secret: secret},
		j.Spec.Template.ObjectMeta, j.Spec.Template.Spec)
}

func podLabelsOf(m manifests) []map[string]string {
	var out []map[string]string
	for _, d := range typed[appsv1.Deployment](m) {
		out = append(out, d.Spec.Template.Labels)
	}
	return out
}

func checkServices(t *testing.T, m manifests) {
	t.Helper()
	for _, s := range typed[corev1.Service](m) {
		found := false
		for _, d := range typed[appsv1.Deployment](m) {
			if !selects(s.Spec.Selector, d.Spec.Template.Labels) {
				continue
			}
			found = true
			for _, p := range s.Spec.Ports {
				if p.TargetPort.Type == intstr.String && !slices.ContainsFunc(d.Spec.Template.Spec.Containers[0].Ports,
					func(cp corev1.ContainerPort) bool { return cp.Name == p.TargetPort.StrVal }) {
					t.Errorf("Service %s targets port %q that %s does not declare", s.Name, p.TargetPort.StrVal, d.Name)
				}
			}
		}
		if !found {
			t.Errorf("Service %s selects no Deployment's pods", s.Name)
		}
	}
}

func checkIngress(t *testing.T, m manifests) {
	t.Helper()
	for _, ing := range typed[networkingv1.Ingress](m) {
		if ing.Spec.IngressClassName == nil || *ing.Spec.IngressClassName == "" {
			t.Errorf("Ingress %s has no ingressClassName", ing.Name)
		}
		tlsHosts := map[string]bool{}
		for _, tls := range ing.Spec.TLS {
			if tls.SecretName == "" {
				t.Errorf("Ingress %s: TLS entry without secretName", ing.Name)
			}
			for _, h := range tls.Hosts {
				tlsHosts[h] = true
			}
		}
		if len(ing.Spec.Rules) == 0 {
			t.Errorf("Ingress %s has no rules", ing.Name)
		}
		for _, r := range ing.Spec.Rules {
			if !tlsHosts[r.Host] {
				t.Errorf("Ingress %s: host %q is not covered by TLS (HTTPS only)", ing.Name, r.Host)
			}
			for _, p := range r.HTTP.Paths {
				svc := one[corev1.Service](t, m, "Service", p.Backend.Service.Name)
				if !slices.ContainsFunc(svc.Spec.Ports, func(sp corev1.ServicePort) bool { return sp.Name == p.Backend.Service.Port.Name }) {
					t.Errorf("Ingress %s: Service %s has no port %q", ing.Name, svc.Name, p.Backend.Service.Port.Name)
				}
			}
		}
	}
}

func checkScaling(t *testing.T, m manifests) {
	t.Helper()
	for _, h := range typed[autoscalingv2.HorizontalPodAutoscaler](m) {
		ref := h.Spec.ScaleTargetRef
		d := one[appsv1.Deployment](t, m, ref.Kind, ref.Name)
		if d.Spec.Replicas != nil {
			t.Errorf("Deployment %s sets replicas while HPA %s scales it: every upgrade would reset the count", d.Name, h.Name)
		}
		if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas < 1 || h.Spec.MaxReplicas < *h.Spec.MinReplicas {
			t.Errorf("HPA %s: bad replica bounds", h.Name)
		}
		if cpuTarget(h) == nil {
			t.Errorf("HPA %s has no CPU utilisation target", h.Name)
		}
	}
	for _, p := range typed[policyv1.PodDisruptionBudget](m) {
		if p.Spec.MinAvailable == nil && p.Spec.MaxUnavailable == nil {
			t.Errorf("PDB %s allows nothing", p.Name)
		}
		if !slices.ContainsFunc(podLabelsOf(m), func(l map[string]string) bool { return selectorMatches(p.Spec.Selector, l) }) {
			t.Errorf("PDB %s selects no pods", p.Name)
		}
	}
}

func cpuTarget(h *autoscalingv2.HorizontalPodAutoscaler) *int32 {
	for _, mt := range h.Spec.Metrics {
		if mt.Type == autoscalingv2.ResourceMetricSourceType && mt.Resource != nil && mt.Resource.Name == corev1.ResourceCPU &&
			mt.Resource.Target.Type == autoscalingv2.UtilizationMetricType {
			return mt.Resource.Target.AverageUtilization
		}
	}
	return nil
}

func checkNetworkPolicies(t *testing.T, m manifests) {
	t.Helper()
	for _, np := range typed[networkingv1.NetworkPolicy](m) {
		var pod *appsv1.Deployment
		for _, d := range typed[appsv1.Deployment](m) {
			if selectorMatches(&np.Spec.PodSelector, d.Spec.Template.Labels) {
				pod = d
			}
		}
		if pod == nil {
			t.Errorf("NetworkPolicy %s selects no pods", np.Name)
			continue
		}
		for _, rule := range np.Spec.Ingress {
			for _, p := range rule.Ports {
				if p.Port == nil || !slices.ContainsFunc(pod.Spec.Template.Spec.Containers[0].Ports,
					func(cp corev1.ContainerPort) bool { return cp.Name == p.Port.StrVal }) {
					t.Errorf("NetworkPolicy %s admits a port %v that %s does not declare", np.Name, p.Port, pod.Name)
				}
			}
		}
	}
}

func checkMonitoring(t *testing.T, m manifests) {
	t.Helper()
	for _, sm := range typed[monitoringv1.ServiceMonitor](m) {
		ports := map[string]bool{}
		matched := 0
		for _, s := range typed[corev1.Service](m) {
			if selectorMatches(&sm.Spec.Selector, s.Labels) {
				matched++
				for _, p := range s.Spec.Ports {
					ports[p.Name] = true
				}
			}
		}
		if matched == 0 {
			t.Errorf("ServiceMonitor %s selects no Service", sm.Name)
		}
		for _, ep := range sm.Spec.Endpoints {
			if ep.Path != "/metrics" {
				t.Errorf("ServiceMonitor %s scrapes %q, want /metrics", sm.Name, ep.Path)
			}
			if ep.Port == "" || !ports[ep.Port] {
				t.Errorf("ServiceMonitor %s scrapes a port no selected Service has", sm.Name)
			}
		}
	}
	for _, pr := range typed[monitoringv1.PrometheusRule](m) {
		if len(pr.Spec.Groups) == 0 {
			t.Errorf("PrometheusRule %s is empty", pr.Name)
		}
		for _, g := range pr.Spec.Groups {
			for _, r := range g.Rules {
				if _, err := ParsePromQL(r.Expr.String()); err != nil {
					t.Errorf("PrometheusRule %s group %s rule %s%s: %v", pr.Name, g.Name, r.Alert, r.Record, err)
				}
			}
		}
	}
}

// TestChartDefaults checks the default values: 3 servers behind a CPU 70%
// HPA, 5 workers, PDBs, HTTPS Ingress and the Prometheus objects.
func TestChartDefaults(t *testing.T) {
	m := renderChart(t, nil)
	server := one[appsv1.Deployment](t, m, "Deployment", "shoal-server")
	worker := one[appsv1.Deployment](t, m, "Deployment", "shoal-worker")
	hpa := one[autoscalingv2.HorizontalPodAutoscaler](t, m, "HorizontalPodAutoscaler", "shoal-server")
	if hpa.Spec.MinReplicas == nil || *hpa.Spec.MinReplicas != 3 {
		t.Errorf("server HPA minReplicas %v, want 3", hpa.Spec.MinReplicas)
	}
	if v := cpuTarget(hpa); v == nil || *v != 70 {
		t.Errorf("server HPA CPU target %v, want 70%%", v)
	}
	if server.Spec.Replicas != nil {
		t.Errorf("server replicas are set while the HPA owns them")
	}
	if worker.Spec.Replicas == nil || *worker.Spec.Replicas != 5 {
		t.Errorf("worker replicas %v, want 5", worker.Spec.Replicas)
	}
	if _, ok := m.find("HorizontalPodAutoscaler", "shoal-worker"); ok {
		t.Error("the worker HPA is optional and off by default")
	}
	if !hasEnv(server, "SHOAL_SERVER_EMBEDDED_WORKER", "false") {
		t.Error("with worker pods the server must not run jobs itself")
	}
	if !hasEnv(worker, "SHOAL_WORKER_ADDR", ":9090") {
		t.Error("the worker must listen on :9090")
	}
	if c := server.Spec.Template.Spec.Containers[0].Image; c != shoalImage+":"+chartAppVersion(t) {
		t.Errorf("image %q, want the appVersion tag", c)
	}
	pdb := one[policyv1.PodDisruptionBudget](t, m, "PodDisruptionBudget", "shoal-server")
	if pdb.Spec.MinAvailable == nil || pdb.Spec.MinAvailable.IntValue() != 2 {
		t.Errorf("server PDB minAvailable %v, want 2", pdb.Spec.MinAvailable)
	}
	wpdb := one[policyv1.PodDisruptionBudget](t, m, "PodDisruptionBudget", "shoal-worker")
	if wpdb.Spec.MaxUnavailable == nil || wpdb.Spec.MaxUnavailable.IntValue() != 1 {
		t.Errorf("worker PDB maxUnavailable %v, want 1", wpdb.Spec.MaxUnavailable)
	}
	ing := one[networkingv1.Ingress](t, m, "Ingress", "shoal")
	if len(ing.Spec.TLS) == 0 || ing.Spec.TLS[0].SecretName != "shoal-tls" {
		t.Errorf("Ingress TLS %v", ing.Spec.TLS)
	}
	if ing.Annotations["nginx.ingress.kubernetes.io/force-ssl-redirect"] != "true" {
		t.Error("the Ingress must redirect HTTP to HTTPS")
	}
	for _, id := range []string{"ServiceMonitor/shoal", "PrometheusRule/shoal", "ServiceAccount/shoal", "NetworkPolicy/shoal-server", "NetworkPolicy/shoal-worker", "Service/shoal-worker"} {
		kind, name, _ := strings.Cut(id, "/")
		if _, ok := m.find(kind, name); !ok {
			t.Errorf("default values render no %s", id)
		}
	}

	// Without autoscaling the Deployment itself holds the 3 replicas.
	fixed := renderChart(t, nil, "server.autoscaling.enabled=false")
	if r := one[appsv1.Deployment](t, fixed, "Deployment", "shoal-server").Spec.Replicas; r == nil || *r != 3 {
		t.Errorf("server replicas without HPA %v, want 3", r)
	}
	if _, ok := fixed.find("HorizontalPodAutoscaler", "shoal-server"); ok {
		t.Error("HPA rendered although autoscaling is off")
	}
}

func hasEnv(d *appsv1.Deployment, name, value string) bool {
	return slices.ContainsFunc(d.Spec.Template.Spec.Containers[0].Env, func(e corev1.EnvVar) bool { return e.Name == name && e.Value == value })
}

func chartAppVersion(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(chartDir, "Chart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		AppVersion string `json:"appVersion"`
		Version    string `json:"version"`
	}
	if err := yaml.Unmarshal(data, &meta); err != nil {
		t.Fatal(err)
	}
	if meta.AppVersion != "1.0.0" || meta.Version != "1.0.0" {
		t.Errorf("Chart.yaml version %q appVersion %q, want 1.0.0", meta.Version, meta.AppVersion)
	}
	return meta.AppVersion
}

// TestChartMinimal checks values-minimal.yaml: one server running its own
// jobs, nothing optional.
func TestChartMinimal(t *testing.T) {
	m := renderChart(t, []string{"../helm/values-minimal.yaml"})
	server := one[appsv1.Deployment](t, m, "Deployment", "shoal-server")
	if server.Spec.Replicas == nil || *server.Spec.Replicas != 1 {
		t.Errorf("replicas %v, want 1", server.Spec.Replicas)
	}
	if hasEnv(server, "SHOAL_SERVER_EMBEDDED_WORKER", "false") {
		t.Error("without worker pods the server must run the jobs")
	}
	for _, kind := range []string{"Ingress", "HorizontalPodAutoscaler", "PodDisruptionBudget", "ServiceMonitor", "PrometheusRule", "NetworkPolicy"} {
		if objs := m.all(kind); len(objs) > 0 {
			t.Errorf("minimal values render %s", kind)
		}
	}
	if _, ok := m.find("Deployment", "shoal-worker"); ok {
		t.Error("minimal values render workers")
	}
}

// TestChartProduction checks values-production.yaml: the existing Secret,
// worker autoscaling and the pinned tag.
func TestChartProduction(t *testing.T) {
	m := renderChart(t, []string{"../helm/values-production.yaml"})
	for _, name := range []string{"shoal-server", "shoal-worker"} {
		d := one[appsv1.Deployment](t, m, "Deployment", name)
		if img := d.Spec.Template.Spec.Containers[0].Image; img != shoalImage+":1.0.0" {
			t.Errorf("%s image %q", name, img)
		}
		if len(d.Spec.Template.Spec.ImagePullSecrets) != 1 || d.Spec.Template.Spec.NodeSelector == nil || len(d.Spec.Template.Spec.Tolerations) == 0 {
			t.Errorf("%s: pull secret, node selector or tolerations not applied", name)
		}
		if _, ok := d.Spec.Template.Annotations["checksum/secret"]; ok {
			t.Errorf("%s: a checksum of a Secret the chart does not own", name)
		}
	}
	for _, name := range []string{"shoal-server", "shoal-worker"} {
		h := one[autoscalingv2.HorizontalPodAutoscaler](t, m, "HorizontalPodAutoscaler", name)
		if v := cpuTarget(h); v == nil || *v != 70 {
			t.Errorf("HPA %s CPU target %v, want 70", name, v)
		}
	}
	if sm := one[monitoringv1.ServiceMonitor](t, m, "ServiceMonitor", "shoal"); sm.Labels["release"] != "kube-prometheus-stack" {
		t.Error("the ServiceMonitor lacks the label its Prometheus selects")
	}
}

// TestChartImageDigestAndExtras checks the digest pin, extraEnv,
// podAnnotations and imagePullSecrets.
func TestChartImageDigestAndExtras(t *testing.T) {
	digest := "sha256:" + strings.Repeat("ab", 32)
	m := renderChart(t, nil, "image.digest="+digest, "image.tag=1.0.1",
		"extraEnv[0].name=GOMEMLIMIT", "extraEnv[0].value=900MiB",
		"podAnnotations.example\\.com/team=data", "imagePullSecrets[0].name=ghcr-pull")
	for _, d := range typed[appsv1.Deployment](m) {
		ctr := d.Spec.Template.Spec.Containers[0]
		if ctr.Image != shoalImage+":1.0.1@"+digest {
			t.Errorf("%s image %q", d.Name, ctr.Image)
		}
		if !hasEnv(d, "GOMEMLIMIT", "900MiB") {
			t.Errorf("%s: extraEnv not applied", d.Name)
		}
		if d.Spec.Template.Annotations["example.com/team"] != "data" {
			t.Errorf("%s: podAnnotations not applied", d.Name)
		}
		if len(d.Spec.Template.Spec.ImagePullSecrets) != 1 || d.Spec.Template.Spec.ImagePullSecrets[0].Name != "ghcr-pull" {
			t.Errorf("%s: imagePullSecrets not applied", d.Name)
		}
	}
	j := typed[batchv1.Job](m)[0]
	if img := j.Spec.Template.Spec.Containers[0].Image; img != shoalImage+":1.0.1@"+digest {
		t.Errorf("migration image %q", img)
	}
}

// TestChartChecksumsFollowContent proves the checksum annotations change
// with the config and the Secret, so that `helm upgrade` rolls the pods.
func TestChartChecksumsFollowContent(t *testing.T) {
	ann := func(set ...string) map[string]string {
		return one[appsv1.Deployment](t, renderChart(t, nil, set...), "Deployment", "shoal-server").Spec.Template.Annotations
	}
	base := ann()
	cfg := ann("config.log.level=debug")
	sec := ann("secrets.authTokens=ops:s3cret")
	if base["checksum/config"] == cfg["checksum/config"] {
		t.Error("checksum/config did not change with the config")
	}
	if base["checksum/secret"] != cfg["checksum/secret"] {
		t.Error("checksum/secret changed although the Secret did not")
	}
	if base["checksum/secret"] == sec["checksum/secret"] {
		t.Error("checksum/secret did not change with the Secret")
	}
}

// TestChartSecrets checks that secret values reach the Secret and the pods
// only through secretKeyRef.
func TestChartSecrets(t *testing.T) {
	m := renderChart(t, nil, "secrets.authTokens=ops:s3cret", "secrets.sentryDSN=https://k@sentry.example.com/1",
		"secrets.extra.SLACK_WEBHOOK_URL=https://hooks.slack.com/x")
	s := one[corev1.Secret](t, m, "Secret", "shoal")
	for k, want := range map[string]string{"SHOAL_AUTH_TOKENS": "ops:s3cret", "SHOAL_SENTRY_DSN": "https://k@sentry.example.com/1", "SLACK_WEBHOOK_URL": "https://hooks.slack.com/x"} {
		if string(s.Data[k]) != want {
			t.Errorf("Secret %s = %q, want %q", k, s.Data[k], want)
		}
	}
	d := one[appsv1.Deployment](t, m, "Deployment", "shoal-server")
	for _, e := range d.Spec.Template.Spec.Containers[0].Env {
		if e.Value != "" && (strings.Contains(e.Value, "s3cret") || strings.Contains(e.Value, "hooks.slack.com")) {
			t.Errorf("env %s carries a secret literally", e.Name)
		}
	}
	if !slices.ContainsFunc(d.Spec.Template.Spec.Containers[0].Env, func(e corev1.EnvVar) bool {
		return e.Name == "SLACK_WEBHOOK_URL" && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && e.ValueFrom.SecretKeyRef.Key == "SLACK_WEBHOOK_URL"
	}) {
		t.Error("secrets.extra is not passed to the pods")
	}
	withExisting := renderChart(t, nil, "existingSecret=vault-shoal")
	if len(typed[corev1.Secret](withExisting)) != 0 {
		t.Error("existingSecret still renders Secrets")
	}
	for _, d := range typed[appsv1.Deployment](withExisting) {
		for _, e := range d.Spec.Template.Spec.Containers[0].Env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && e.ValueFrom.SecretKeyRef.Name != "vault-shoal" {
				t.Errorf("%s env %s reads Secret %s, not the existing one", d.Name, e.Name, e.ValueFrom.SecretKeyRef.Name)
			}
		}
	}
}

// TestChartRejectsBadValues proves values.schema.json and the templates'
// own checks reject bad values with a message naming the problem.
func TestChartRejectsBadValues(t *testing.T) {
	cases := []struct {
		name   string
		set    []string
		values string
		want   string
	}{
		{name: "replicas as a word", set: []string{"server.replicaCount=three"}, want: "replicaCount"},
		{name: "zero replicas", set: []string{"worker.replicaCount=0"}, want: "replicaCount"},
		{name: "unknown top-level key", set: []string{"serverr.replicaCount=3"}, want: "serverr"},
		{name: "unknown nested key", set: []string{"server.replicas=3"}, want: "replicas"},
		{name: "unknown config section", set: []string{"config.stroe.url=x"}, want: "stroe"},
		{name: "CPU target above 100", set: []string{"server.autoscaling.targetCPUUtilizationPercentage=170"}, want: "targetCPUUtilizationPercentage"},
		{name: "root allowed", set: []string{"securityContext.runAsNonRoot=false"}, want: "runAsNonRoot"},
		{name: "writable root", set: []string{"securityContext.readOnlyRootFilesystem=false"}, want: "readOnlyRootFilesystem"},
		{name: "digest that is a tag", set: []string{"image.digest=latest"}, want: "digest"},
		{name: "pull policy", set: []string{"image.pullPolicy=Sometimes"}, want: "pullPolicy"},
		{name: "ingress without TLS", values: "ingress:\n  tls: []\n", want: "tls"},
		{name: "resources without limits", values: "server:\n  resources:\n    requests: {cpu: 100m, memory: 1Gi}\n    limits: null\n", want: "limits"},
		{name: "no store", set: []string{"secrets.storeURL="}, want: "secrets.storeURL"},
		{name: "PDB blocking every eviction", set: []string{"server.autoscaling.enabled=false", "server.replicaCount=2"}, want: "minAvailable"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var files []string
			if c.values != "" {
				f := filepath.Join(t.TempDir(), "values.yaml")
				if err := os.WriteFile(f, []byte(c.values), 0o600); err != nil {
					t.Fatal(err)
				}
				files = append(files, f)
			}
			_, err := RenderChart(context.Background(), chartDir, RenderOptions{ValuesFiles: files, Set: c.set})
			if err == nil {
				t.Fatal("rendered; want an error")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error does not name %q:\n%v", c.want, err)
			}
		})
	}
}

// TestChartPrometheusRuleMatchesMonitoring proves the chart's copy of the
// alert rules is deploy/monitoring/prometheus-rules.yaml byte for byte and
// that the PrometheusRule carries every group and rule of it.
func TestChartPrometheusRuleMatchesMonitoring(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(monitoringDir, "prometheus-rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cp, err := os.ReadFile(filepath.Join(chartDir, "files", "prometheus-rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(src, cp) {
		t.Fatal("deploy/helm/shoal/files/prometheus-rules.yaml differs from deploy/monitoring/prometheus-rules.yaml: run `make helm-sync-rules`")
	}
	var file monitoringv1.PrometheusRuleSpec
	if err := yaml.UnmarshalStrict(src, &file); err != nil {
		t.Fatalf("prometheus-rules.yaml is not a strict rule file: %v", err)
	}
	pr := one[monitoringv1.PrometheusRule](t, renderChart(t, nil), "PrometheusRule", "shoal")
	if len(pr.Spec.Groups) != len(file.Groups) || len(file.Groups) == 0 {
		t.Fatalf("PrometheusRule has %d groups, the rule file %d", len(pr.Spec.Groups), len(file.Groups))
	}
	for i, g := range file.Groups {
		got := pr.Spec.Groups[i]
		if got.Name != g.Name || len(got.Rules) != len(g.Rules) {
			t.Errorf("group %d: %s with %d rules, want %s with %d", i, got.Name, len(got.Rules), g.Name, len(g.Rules))
			continue
		}
		for j, r := range g.Rules {
			gr := got.Rules[j]
			if gr.Alert != r.Alert || gr.Record != r.Record || gr.Expr.String() != r.Expr.String() ||
				!equalMaps(gr.Labels, r.Labels) || !equalMaps(gr.Annotations, r.Annotations) {
				t.Errorf("group %s rule %d (%s%s) differs from the rule file", g.Name, j, r.Alert, r.Record)
			}
		}
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestChartReadmeDocumentsEveryValue checks that README.md has a row for
// every key of values.yaml, that every row names a real key, and that
// values.schema.json declares every key.
func TestChartReadmeDocumentsEveryValue(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var vals map[string]any
	if err := yaml.Unmarshal(data, &vals); err != nil {
		t.Fatal(err)
	}
	keys := valueKeys("", vals)
	readme, err := os.ReadFile(filepath.Join(chartDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([^`]+)` \\|").FindAllStringSubmatch(string(readme), -1) {
		rows[m[1]] = true
	}
	for _, k := range keys {
		if !rows[k] {
			t.Errorf("README.md does not document %s", k)
		}
		delete(rows, k)
	}
	stale := make([]string, 0, len(rows))
	for k := range rows {
		stale = append(stale, k)
	}
	sort.Strings(stale)
	for _, k := range stale {
		t.Errorf("README.md documents %s, which values.yaml does not have", k)
	}

	schemaData, err := os.ReadFile(filepath.Join(chartDir, "values.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := yaml.Unmarshal(schemaData, &schema); err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if !schemaDeclares(schema, schema, strings.Split(k, ".")) {
			t.Errorf("values.schema.json does not declare %s", k)
		}
	}
}

// freeForm values are maps whose keys the user chooses; they are
// documented as a whole.
var freeForm = map[string]bool{
	"config": true, "resources": true, "annotations": true, "labels": true, "podAnnotations": true,
	"podLabels": true, "nodeSelector": true, "affinity": true, "podSecurityContext": true,
	"securityContext": true, "extra": true,
}

// valueKeys lists the documented keys: leaves, lists and free-form maps.
func valueKeys(prefix string, m map[string]any) []string {
	var out []string
	for k, v := range m {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		if sub, ok := v.(map[string]any); ok && !freeForm[k] && len(sub) > 0 {
			out = append(out, valueKeys(key, sub)...)
			continue
		}
		out = append(out, key)
	}
	sort.Strings(out)
	return out
}

func schemaDeclares(root, node map[string]any, path []string) bool {
	if ref, ok := node["$ref"].(string); ok {
		target := root
		for _, p := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			next, ok := target[p].(map[string]any)
			if !ok {
				return false
			}
			target = next
		}
		return schemaDeclares(root, target, path)
	}
	if len(path) == 0 {
		return true
	}
	props, ok := node["properties"].(map[string]any)
	if !ok {
		return false
	}
	child, ok := props[path[0]].(map[string]any)
	if !ok {
		return false
	}
	return schemaDeclares(root, child, path[1:])
}
