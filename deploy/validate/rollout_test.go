package validate

import (
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	rolloutsv1alpha1 "github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/argoproj/argo-rollouts/utils/evaluate"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/sirupsen/logrus"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"sigs.k8s.io/yaml"
)

const (
	canaryService = "shoal-canary"
	stableService = "shoal-stable"
	errorLimit    = 0.05 // the canary's 5xx share that fails the analysis
	latencyLimit  = 1.5  // canary P95 / stable P95 that fails it
)

// rolloutManifests decodes every manifest of deploy/rollout strictly.
func rolloutManifests(t *testing.T) manifests {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(rolloutDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var m manifests
	for _, f := range files {
		if strings.HasPrefix(filepath.Base(f), "canary-rules") {
			continue // Prometheus rule files, not Kubernetes objects
		}
		m.objs = append(m.objs, decodeFile(t, f).objs...)
	}
	return m
}

// TestRolloutDecodesStrictly checks the kinds shipped in deploy/rollout.
func TestRolloutDecodesStrictly(t *testing.T) {
	m := rolloutManifests(t)
	want := []string{
		"AnalysisTemplate/shoal-canary-analysis", "AnalysisTemplate/shoal-canary-background",
		"HorizontalPodAutoscaler/shoal-server", "Rollout/shoal", "Service/shoal-canary", "Service/shoal-stable",
		"ServiceMonitor/shoal-canary-analysis",
	}
	if got := m.ids(); got != strings.Join(want, ", ") {
		t.Errorf("deploy/rollout holds %s\nwant %s", got, strings.Join(want, ", "))
	}
}

// TestRolloutSteps checks the canary strategy: 10% → pause → analysis →
// 50% → pause → 100%, the services, and the background analysis.
func TestRolloutSteps(t *testing.T) {
	m := rolloutManifests(t)
	ro := one[rolloutsv1alpha1.Rollout](t, m, "Rollout", "shoal")
	c := ro.Spec.Strategy.Canary
	if c == nil || ro.Spec.Strategy.BlueGreen != nil {
		t.Fatal("the Rollout must use the canary strategy")
	}
	var got []string
	for _, s := range c.Steps {
		switch {
		case s.SetWeight != nil:
			got = append(got, "weight "+strconv.Itoa(int(*s.SetWeight)))
		case s.Pause != nil:
			if s.Pause.Duration == nil {
				t.Error("a pause without duration waits for a human forever")
				got = append(got, "pause")
				continue
			}
			if d := s.Pause.DurationSeconds(); d <= 0 {
				t.Errorf("bad pause duration %v", s.Pause.Duration)
			}
			got = append(got, "pause")
		case s.Analysis != nil:
			for _, tpl := range s.Analysis.Templates {
				got = append(got, "analysis "+tpl.TemplateName)
			}
			checkAnalysisArgs(t, m, s.Analysis.Templates, s.Analysis.Args)
		default:
			t.Errorf("unexpected step %+v", s)
		}
	}
	want := []string{"weight 10", "pause", "analysis shoal-canary-analysis", "weight 50", "pause", "weight 100"}
	if !slices.Equal(got, want) {
		t.Errorf("steps %q\nwant %q", got, want)
	}
	if c.CanaryService != canaryService || c.StableService != stableService {
		t.Errorf("canaryService %q stableService %q", c.CanaryService, c.StableService)
	}
	if c.Analysis == nil || c.Analysis.StartingStep == nil || *c.Analysis.StartingStep != 1 {
		t.Error("the background analysis must run from step 1")
	} else {
		checkAnalysisArgs(t, m, c.Analysis.Templates, c.Analysis.Args)
	}
	if ro.Spec.ProgressDeadlineSeconds == nil || !ro.Spec.ProgressDeadlineAbort {
		t.Error("a canary that never becomes ready must abort (progressDeadlineAbort)")
	}
	if c.MaxUnavailable == nil || c.MaxUnavailable.IntValue() != 0 {
		t.Error("the canary must not take stable pods away before it is ready (maxUnavailable 0)")
	}

	for _, name := range []string{canaryService, stableService} {
		svc := one[corev1.Service](t, m, "Service", name)
		if !selects(svc.Spec.Selector, ro.Spec.Template.Labels) {
			t.Errorf("Service %s does not select the Rollout's pods", name)
		}
		for _, p := range svc.Spec.Ports {
			if !slices.ContainsFunc(ro.Spec.Template.Spec.Containers[0].Ports, func(cp corev1.ContainerPort) bool { return cp.Name == p.TargetPort.StrVal }) {
				t.Errorf("Service %s targets a port the pods do not declare", name)
			}
		}
	}
	if !selectorMatches(ro.Spec.Selector, ro.Spec.Template.Labels) {
		t.Error("the Rollout's selector does not match its pod labels")
	}
	hpa := one[autoscalingv2.HorizontalPodAutoscaler](t, m, "HorizontalPodAutoscaler", "shoal-server")
	if ref := hpa.Spec.ScaleTargetRef; ref.Kind != "Rollout" || ref.Name != ro.Name || ref.APIVersion != "argoproj.io/v1alpha1" {
		t.Errorf("the HPA scales %v, not the Rollout", ref)
	}
	if v := cpuTarget(hpa); v == nil || *v != 70 {
		t.Errorf("the Rollout's HPA CPU target %v, want 70", v)
	}
}

// checkAnalysisArgs checks that a step or background analysis passes every
// argument its templates require.
func checkAnalysisArgs(t *testing.T, m manifests, refs []rolloutsv1alpha1.AnalysisTemplateRef, args []rolloutsv1alpha1.AnalysisRunArgument) {
	t.Helper()
	given := map[string]string{}
	for _, a := range args {
		given[a.Name] = a.Value
	}
	if given["canary-service"] != canaryService || given["stable-service"] != stableService {
		t.Errorf("analysis args %v do not name %s and %s", given, canaryService, stableService)
	}
	for _, ref := range refs {
		at := one[rolloutsv1alpha1.AnalysisTemplate](t, m, "AnalysisTemplate", ref.TemplateName)
		for _, a := range at.Spec.Args {
			if _, ok := given[a.Name]; !ok && a.Value == nil && a.ValueFrom == nil {
				t.Errorf("template %s needs argument %s, which the Rollout does not pass", at.Name, a.Name)
			}
		}
	}
}

// substituteArgs replaces {{args.NAME}} as Argo Rollouts does.
func substituteArgs(t *testing.T, s string, args map[string]string) string {
	t.Helper()
	out := regexp.MustCompile(`\{\{\s*args\.([a-z0-9-]+)\s*\}\}`).ReplaceAllStringFunc(s, func(m string) string {
		name := regexp.MustCompile(`args\.([a-z0-9-]+)`).FindStringSubmatch(m)[1]
		v, ok := args[name]
		if !ok {
			t.Errorf("unknown argument %s in %q", name, s)
		}
		return v
	})
	return out
}

// TestAnalysisTemplates checks the measurements: the PromQL parses, reads
// the contract's metrics by the service label, and Argo Rollouts' own
// evaluator fails a 6% error rate and a 60% slower P95 but passes 1% and
// 20%; failureLimit makes the run fail, and abort the rollout, on the
// second failed measurement.
func TestAnalysisTemplates(t *testing.T) {
	m := rolloutManifests(t)
	rules := canaryRecordingRules(t)
	var prev []rolloutsv1alpha1.Metric
	for _, name := range []string{"shoal-canary-analysis", "shoal-canary-background"} {
		at := one[rolloutsv1alpha1.AnalysisTemplate](t, m, "AnalysisTemplate", name)
		args := map[string]string{"canary-service": canaryService, "stable-service": stableService}
		for _, a := range at.Spec.Args {
			if a.Value != nil {
				args[a.Name] = *a.Value
			}
		}
		metrics := map[string]rolloutsv1alpha1.Metric{}
		for _, mt := range at.Spec.Metrics {
			metrics[mt.Name] = mt
			p := mt.Provider.Prometheus
			if p == nil {
				t.Fatalf("%s/%s: not a Prometheus metric", name, mt.Name)
			}
			if !strings.HasPrefix(substituteArgs(t, p.Address, args), "http") {
				t.Errorf("%s/%s: Prometheus address %q", name, mt.Name, p.Address)
			}
			query := substituteArgs(t, p.Query, args)
			expr, err := ParsePromQL(query)
			if err != nil {
				t.Fatalf("%s/%s: query does not parse: %v\n%s", name, mt.Name, err, query)
			}
			if mt.FailureLimit == nil || mt.FailureLimit.IntValue() < 0 || mt.Interval == "" {
				t.Errorf("%s/%s: needs an interval and a failureLimit", name, mt.Name)
			}
			if mt.Count != nil && mt.FailureLimit.IntValue() >= mt.Count.IntValue() {
				t.Errorf("%s/%s: failureLimit %d can never be exceeded in %d measurements", name, mt.Name, mt.FailureLimit.IntValue(), mt.Count.IntValue())
			}
			if mt.ConsecutiveErrorLimit == nil || mt.InconclusiveLimit == nil {
				t.Errorf("%s/%s: set consecutiveErrorLimit and inconclusiveLimit", name, mt.Name)
			}
			// The rule files hold the same expression: promtool tests it.
			if rule, ok := rules[mt.Name]; !ok {
				t.Errorf("%s/%s: no recording rule in canary-rules.yaml", name, mt.Name)
			} else if expr.String() != rule.String() {
				t.Errorf("%s/%s differs from its recording rule:\n analysis %s\n rule     %s", name, mt.Name, expr, rule)
			}
		}
		checkVerdicts(t, name, metrics["error-rate"], []verdict{
			{0.06, rolloutsv1alpha1.AnalysisPhaseFailed},
			{0.051, rolloutsv1alpha1.AnalysisPhaseFailed},
			{0.05, rolloutsv1alpha1.AnalysisPhaseSuccessful},
			{0.01, rolloutsv1alpha1.AnalysisPhaseSuccessful},
			{0, rolloutsv1alpha1.AnalysisPhaseSuccessful},
			{math.NaN(), rolloutsv1alpha1.AnalysisPhaseInconclusive}, // no requests
		})
		checkVerdicts(t, name, metrics["latency-ratio"], []verdict{
			{1.6, rolloutsv1alpha1.AnalysisPhaseFailed},
			{1.51, rolloutsv1alpha1.AnalysisPhaseFailed},
			{1.5, rolloutsv1alpha1.AnalysisPhaseSuccessful},
			{1.2, rolloutsv1alpha1.AnalysisPhaseSuccessful},
			{0.7, rolloutsv1alpha1.AnalysisPhaseSuccessful},
			{math.NaN(), rolloutsv1alpha1.AnalysisPhaseInconclusive},
		})
		for _, mt := range at.Spec.Metrics {
			// An empty result (no series at all) is inconclusive, not an
			// evaluation error that would abort a healthy canary.
			if ph, err := evaluate.EvaluateResult([]float64{}, mt, *logrus.NewEntry(logrus.New())); err != nil || ph != rolloutsv1alpha1.AnalysisPhaseInconclusive {
				t.Errorf("%s/%s: empty result gives %s (%v), want Inconclusive", name, mt.Name, ph, err)
			}
		}
		if len(metrics) != 2 {
			t.Errorf("%s: metrics %v, want error-rate and latency-ratio", name, at.Spec.Metrics)
		}
		// Both templates measure the same thing; only the count differs.
		cur := slices.Clone(at.Spec.Metrics)
		for i := range cur {
			cur[i].Count = nil
		}
		if prev != nil && !equality.Semantic.DeepEqual(prev, cur) {
			t.Error("shoal-canary-analysis and shoal-canary-background measure different things")
		}
		prev = cur
	}
	step := one[rolloutsv1alpha1.AnalysisTemplate](t, m, "AnalysisTemplate", "shoal-canary-analysis")
	for _, mt := range step.Spec.Metrics {
		if mt.Count == nil || mt.Count.IntValue() < 1 {
			t.Errorf("the step analysis metric %s needs a count, or the step never ends", mt.Name)
		}
	}
	bg := one[rolloutsv1alpha1.AnalysisTemplate](t, m, "AnalysisTemplate", "shoal-canary-background")
	for _, mt := range bg.Spec.Metrics {
		if mt.EffectiveCount() != nil {
			t.Errorf("the background metric %s must run until promotion (no count)", mt.Name)
		}
	}
}

type verdict struct {
	value float64
	want  rolloutsv1alpha1.AnalysisPhase
}

func checkVerdicts(t *testing.T, tpl string, mt rolloutsv1alpha1.Metric, cases []verdict) {
	t.Helper()
	for _, c := range cases {
		got, err := evaluate.EvaluateResult([]float64{c.value}, mt, *logrus.NewEntry(logrus.New()))
		if err != nil {
			t.Errorf("%s/%s: evaluating %v: %v", tpl, mt.Name, c.value, err)
			continue
		}
		if got != c.want {
			t.Errorf("%s/%s: a measurement of %v is %s, want %s", tpl, mt.Name, c.value, got, c.want)
		}
	}
}

// canaryRecordingRules parses canary-rules.yaml and returns the recorded
// expressions by analysis metric name; it also checks that the `> bool`
// thresholds are the analysis thresholds.
func canaryRecordingRules(t *testing.T) map[string]interface{ String() string } {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(rolloutDir, "canary-rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var spec monitoringv1.PrometheusRuleSpec
	if err := yaml.UnmarshalStrict(data, &spec); err != nil {
		t.Fatalf("canary-rules.yaml: %v", err)
	}
	byRecord := map[string]string{}
	for _, g := range spec.Groups {
		for _, r := range g.Rules {
			if r.Record != "" {
				byRecord[r.Record] = r.Expr.String()
			}
		}
	}
	out := map[string]interface{ String() string }{}
	for metric, rec := range map[string]string{
		"error-rate":    "shoal:canary_http_error_ratio:rate2m",
		"latency-ratio": "shoal:canary_p95_latency_ratio:rate5m",
	} {
		e, err := ParsePromQL(byRecord[rec])
		if err != nil {
			t.Fatalf("%s: %v", rec, err)
		}
		out[metric] = e
	}
	for rec, limit := range map[string]float64{
		"shoal:canary_http_error_ratio:above_threshold":  errorLimit,
		"shoal:canary_p95_latency_ratio:above_threshold": latencyLimit,
	} {
		want := strings.TrimSuffix(rec, ":above_threshold") + map[bool]string{true: ":rate2m", false: ":rate5m"}[limit == errorLimit] +
			" > bool " + strconv.FormatFloat(limit, 'g', -1, 64)
		if byRecord[rec] != want {
			t.Errorf("%s is %q, want %q", rec, byRecord[rec], want)
		}
	}
	return out
}

// TestRolloutPodMatchesChart proves the Rollout runs exactly the chart's
// server pod (default values, release "shoal") and that the chart,
// installed with server.enabled=false, supplies everything the Rollout's
// pods use and covers them with its Service, PDB and NetworkPolicy.
func TestRolloutPodMatchesChart(t *testing.T) {
	m := rolloutManifests(t)
	ro := one[rolloutsv1alpha1.Rollout](t, m, "Rollout", "shoal")
	checkPod(t, podCheck{id: "Rollout/shoal", longRunning: true, port: "http", args: []string{"serve"}, configMap: "shoal", secret: "shoal"},
		ro.Spec.Template.ObjectMeta, ro.Spec.Template.Spec)

	def := renderChart(t, nil)
	server := one[appsv1.Deployment](t, def, "Deployment", "shoal-server")
	if !equality.Semantic.DeepEqual(server.Spec.Template.Spec, ro.Spec.Template.Spec) {
		a, _ := yaml.Marshal(server.Spec.Template.Spec)
		b, _ := yaml.Marshal(ro.Spec.Template.Spec)
		t.Errorf("the Rollout's pod spec drifted from the chart's server pod:\nchart:\n%s\nrollout:\n%s", a, b)
	}
	for k, v := range server.Spec.Selector.MatchLabels {
		if ro.Spec.Template.Labels[k] != v {
			t.Errorf("Rollout pods lack the chart's server label %s=%s", k, v)
		}
	}

	canary := renderChart(t, nil, "server.enabled=false")
	if _, ok := canary.find("Deployment", "shoal-server"); ok {
		t.Error("server.enabled=false still renders the server Deployment")
	}
	if _, ok := canary.find("HorizontalPodAutoscaler", "shoal-server"); ok {
		t.Error("server.enabled=false still renders an HPA for the missing Deployment")
	}
	labels := ro.Spec.Template.Labels
	if svc := one[corev1.Service](t, canary, "Service", "shoal"); !selects(svc.Spec.Selector, labels) {
		t.Error("the chart's Service does not reach the Rollout's pods")
	}
	if pdb := one[policyv1.PodDisruptionBudget](t, canary, "PodDisruptionBudget", "shoal-server"); !selectorMatches(pdb.Spec.Selector, labels) {
		t.Error("the chart's server PDB does not cover the Rollout's pods")
	}
	if np := one[networkingv1.NetworkPolicy](t, canary, "NetworkPolicy", "shoal-server"); !selectorMatches(&np.Spec.PodSelector, labels) {
		t.Error("the chart's server NetworkPolicy does not cover the Rollout's pods")
	}
	for _, id := range []string{"ConfigMap/shoal", "Secret/shoal", "ServiceAccount/" + ro.Spec.Template.Spec.ServiceAccountName} {
		kind, name, _ := strings.Cut(id, "/")
		if _, ok := canary.find(kind, name); !ok {
			t.Errorf("the Rollout's pods use %s, which the chart does not create", id)
		}
	}

	// Scraping: the chart's ServiceMonitor leaves the server to the
	// Rollout's, which selects exactly the canary and stable Services.
	chartSM := one[monitoringv1.ServiceMonitor](t, canary, "ServiceMonitor", "shoal")
	for _, ep := range chartSM.Spec.Endpoints {
		if ep.Port == "http" {
			t.Error("with server.enabled=false the chart's ServiceMonitor still scrapes the server")
		}
	}
	sm := one[monitoringv1.ServiceMonitor](t, m, "ServiceMonitor", "shoal-canary-analysis")
	var selected []string
	for _, s := range append(typed[corev1.Service](m), typed[corev1.Service](canary)...) {
		if selectorMatches(&sm.Spec.Selector, s.Labels) {
			selected = append(selected, s.Name)
		}
		if s.Name == "shoal" || s.Name == "shoal-worker" {
			continue
		}
		if selectorMatches(&chartSM.Spec.Selector, s.Labels) {
			t.Errorf("the chart's ServiceMonitor also selects %s", s.Name)
		}
	}
	slices.Sort(selected)
	if !slices.Equal(selected, []string{canaryService, stableService}) {
		t.Errorf("the canary ServiceMonitor selects %v", selected)
	}
	if sm.Spec.JobLabel != "app.kubernetes.io/name" {
		t.Error("the canary ServiceMonitor must keep job=\"shoal\" like the chart's server")
	}

	// The optional traffic routing patch targets the chart's Ingress.
	patch := decodeFile(t, filepath.Join(rolloutDir, "optional", "traffic-routing-nginx.yaml"))
	tr := one[rolloutsv1alpha1.Rollout](t, patch, "Rollout", "shoal").Spec.Strategy.Canary.TrafficRouting
	if tr == nil || tr.Nginx == nil {
		t.Fatal("the traffic routing patch has no nginx section")
	}
	if _, ok := def.find("Ingress", tr.Nginx.StableIngress); !ok {
		t.Errorf("traffic routing names Ingress %q, which the chart does not create", tr.Nginx.StableIngress)
	}
}

// TestStrictDecodingRejectsUnknownFields proves that the strict decoder
// catches what a lenient one would silently drop.
func TestStrictDecodingRejectsUnknownFields(t *testing.T) {
	good := `apiVersion: apps/v1
kind: Deployment
metadata:
  name: shoal-server
spec:
  replicas: 3
  selector:
    matchLabels: {app: shoal}
  template:
    metadata:
      labels: {app: shoal}
    spec:
      containers:
        - name: server
          image: ghcr.io/shoalhq/shoal:1.0.0
          securityContext:
            readOnlyRootFilesystem: true
`
	if _, err := DecodeStrict([]byte(good), "good"); err != nil {
		t.Fatalf("the valid Deployment is rejected: %v", err)
	}
	cases := []struct {
		name, doc, want string
	}{
		{"unknown field", strings.Replace(good, "  replicas: 3", "  replica: 3", 1), `unknown field "replica"`},
		{"misspelt security field", strings.Replace(good, "readOnlyRootFilesystem", "readOnlyRootFileSystem", 1), `unknown field "spec.template.spec.containers[0].securityContext.readOnlyRootFileSystem"`},
		{"wrong type", strings.Replace(good, "replicas: 3", "replicas: three", 1), "replicas"},
		{"duplicate field", strings.Replace(good, "  replicas: 3", "  replicas: 3\n  replicas: 4", 1), "replicas"},
		{"unknown kind", strings.Replace(good, "kind: Deployment", "kind: Deploymnet", 1), "unknown kind apps/v1 Deploymnet"},
		{"unknown apiVersion", strings.Replace(good, "apiVersion: apps/v1", "apiVersion: apps/v1beta1", 1), "unknown kind"},
		{"no name", strings.Replace(good, "  name: shoal-server\n", "  labels: {}\n", 1), "metadata.name"},
		{"rollout typo", "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: shoal}\nspec:\n  strategy:\n    canary:\n      stepz: []\n", "stepz"},
		{"analysis typo", "apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata: {name: a}\nspec:\n  metrics:\n    - name: m\n      failureLimt: 1\n", "failureLimt"},
		{"prometheus rule typo", "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata: {name: r}\nspec:\n  groups:\n    - name: g\n      rules:\n        - alert: A\n          expr: up == 0\n          fore: 5m\n", "fore"},
		{"secret bad base64", "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  K: not*base64\n", "illegal base64"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := DecodeStrict([]byte(c.doc), c.name)
			if err == nil {
				t.Fatal("decoded; want an error")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not mention %q", err, c.want)
			}
		})
	}
	// DecodeAll reports every bad document, not only the first.
	_, err := DecodeAll([]byte(cases[0].doc+"---\n"+cases[4].doc), "stream")
	if err == nil || !strings.Contains(err.Error(), `"replica"`) || !strings.Contains(err.Error(), "Deploymnet") {
		t.Errorf("DecodeAll error %v does not name both bad documents", err)
	}
	docs, err := SplitDocuments([]byte("# only a comment\n---\n---\napiVersion: v1\n...\n"))
	if err != nil || len(docs) != 1 {
		t.Errorf("SplitDocuments kept %d documents (%v), want 1", len(docs), err)
	}
}
