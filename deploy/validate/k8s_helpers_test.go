package validate

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Paths are relative to this module's directory, where `go test` runs.
const (
	k8sRepoRoot   = "../.."
	chartDir      = "../helm/shoal"
	rolloutDir    = "../rollout"
	shoalImage    = "ghcr.io/shoalhq/shoal"
	shoalUID      = int64(65532)
	shoalConfig   = "/etc/shoal/config.yaml"
	monitoringDir = "../monitoring"
)

// manifests is one rendered or shipped set of objects.
type manifests struct {
	objs []Object
}

func (m manifests) all(kind string) []Object {
	var out []Object
	for _, o := range m.objs {
		if o.Kind == kind {
			out = append(out, o)
		}
	}
	return out
}

func (m manifests) find(kind, name string) (Object, bool) {
	for _, o := range m.objs {
		if o.Kind == kind && o.Name == name {
			return o, true
		}
	}
	return Object{}, false
}

// typed returns every object of type T.
func typed[T any](m manifests) []*T {
	var out []*T
	for _, o := range m.objs {
		if v, ok := o.Typed.(*T); ok {
			out = append(out, v)
		}
	}
	return out
}

// one returns the object of type T named name, failing the test if absent.
func one[T any](t *testing.T, m manifests, kind, name string) *T {
	t.Helper()
	o, ok := m.find(kind, name)
	if !ok {
		t.Fatalf("no %s/%s; have %s", kind, name, m.ids())
	}
	v, ok := o.Typed.(*T)
	if !ok {
		t.Fatalf("%s/%s decoded as %T", kind, name, o.Typed)
	}
	return v
}

func (m manifests) ids() string {
	ids := make([]string, 0, len(m.objs))
	for _, o := range m.objs {
		ids = append(ids, o.ID())
	}
	slices.Sort(ids)
	return strings.Join(ids, ", ")
}

// renderChart renders the chart with Helm's library and decodes every
// object strictly.
func renderChart(t *testing.T, valuesFiles []string, set ...string) manifests {
	t.Helper()
	out, err := RenderChart(context.Background(), chartDir, RenderOptions{ValuesFiles: valuesFiles, Set: set})
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	objs, err := DecodeAll([]byte(out), "helm render")
	if err != nil {
		t.Fatalf("strict decoding of the rendered chart:\n%v", err)
	}
	return manifests{objs: objs}
}

// decodeFile decodes every object of a YAML file strictly.
func decodeFile(t *testing.T, path string) manifests {
	t.Helper()
	data, err := os.ReadFile(path) //nolint:gosec // G304: test fixtures of this repository
	if err != nil {
		t.Fatal(err)
	}
	objs, err := DecodeAll(data, filepath.Base(path))
	if err != nil {
		t.Fatalf("strict decoding of %s:\n%v", path, err)
	}
	return manifests{objs: objs}
}

// selects reports whether every label of sel is in labels.
func selects(sel, labels map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func selectorMatches(sel *metav1.LabelSelector, labels map[string]string) bool {
	if sel == nil {
		return false
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil || s.Empty() {
		return false
	}
	return s.Matches(labelSet(labels))
}

type labelSet map[string]string

func (l labelSet) Has(k string) bool   { _, ok := l[k]; return ok }
func (l labelSet) Get(k string) string { return l[k] }
func (l labelSet) Lookup(k string) (string, bool) {
	v, ok := l[k]
	return v, ok
}

// podCheck describes what a pod template must satisfy.
type podCheck struct {
	id string
	// longRunning pods (Deployments, Rollouts) need probes, a preStop
	// sleep and topology spread; hook Jobs do not.
	longRunning bool
	// port is the named container port the probes use.
	port string
	// args is the expected command line after the entrypoint.
	args []string
	// configMap and secret the pod must take its config and store URL from.
	configMap, secret string
}

// checkPod asserts Shoal's pod invariants: non-root uid 65532, read-only
// root file system, no privilege escalation, every capability dropped,
// seccomp RuntimeDefault, resources, /tmp on an emptyDir, the config file
// and the store URL, and for long-running pods probes and graceful
// shutdown.
func checkPod(t *testing.T, c podCheck, meta metav1.ObjectMeta, spec corev1.PodSpec) {
	t.Helper()
	errorf := func(format string, args ...any) {
		t.Helper()
		t.Errorf("%s: %s", c.id, fmt.Sprintf(format, args...))
	}
	psc := spec.SecurityContext
	if psc == nil {
		errorf("no pod securityContext")
	} else {
		if psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
			errorf("pod runAsNonRoot is not true")
		}
		if psc.RunAsUser == nil || *psc.RunAsUser != shoalUID || psc.RunAsGroup == nil || *psc.RunAsGroup != shoalUID {
			errorf("pod must run as %d:%d", shoalUID, shoalUID)
		}
		if psc.FSGroup == nil || *psc.FSGroup != shoalUID {
			errorf("pod fsGroup must be %d", shoalUID)
		}
		if psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
			errorf("pod seccompProfile must be RuntimeDefault")
		}
	}
	if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
		errorf("the service account token must not be mounted")
	}
	if spec.HostNetwork || spec.HostPID || spec.HostIPC {
		errorf("host namespaces are not allowed")
	}
	volumes := map[string]corev1.Volume{}
	for _, v := range spec.Volumes {
		volumes[v.Name] = v
	}
	containers := slices.Concat(spec.InitContainers, spec.Containers)
	if len(spec.Containers) != 1 {
		errorf("want exactly one container, have %d", len(spec.Containers))
	}
	for _, ctr := range containers {
		checkContainer(t, c, ctr, volumes)
	}
	if !c.longRunning {
		return
	}
	ctr := spec.Containers[0]
	checkProbe(t, c, "liveness", ctr.LivenessProbe, "/healthz", ctr)
	checkProbe(t, c, "readiness", ctr.ReadinessProbe, "/readyz", ctr)
	checkProbe(t, c, "startup", ctr.StartupProbe, "/healthz", ctr)
	if ctr.Lifecycle == nil || ctr.Lifecycle.PreStop == nil || ctr.Lifecycle.PreStop.Sleep == nil || ctr.Lifecycle.PreStop.Sleep.Seconds <= 0 {
		errorf("no preStop sleep: endpoints would still route to a stopping pod")
	} else if spec.TerminationGracePeriodSeconds == nil || *spec.TerminationGracePeriodSeconds <= ctr.Lifecycle.PreStop.Sleep.Seconds {
		errorf("terminationGracePeriodSeconds must exceed the preStop sleep of %ds", ctr.Lifecycle.PreStop.Sleep.Seconds)
	}
	if len(spec.TopologySpreadConstraints) == 0 {
		errorf("no topologySpreadConstraints")
	}
	for _, tsc := range spec.TopologySpreadConstraints {
		if !selectorMatches(tsc.LabelSelector, meta.Labels) {
			errorf("topology spread on %s does not select the pod's own labels", tsc.TopologyKey)
		}
	}
}

func checkContainer(t *testing.T, c podCheck, ctr corev1.Container, volumes map[string]corev1.Volume) {
	t.Helper()
	errorf := func(format string, args ...any) {
		t.Helper()
		t.Errorf("%s container %s: %s", c.id, ctr.Name, fmt.Sprintf(format, args...))
	}
	sc := ctr.SecurityContext
	if sc == nil {
		errorf("no securityContext")
		return
	}
	if sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		errorf("runAsNonRoot is not true")
	}
	if sc.RunAsUser != nil && *sc.RunAsUser == 0 {
		errorf("runs as root")
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		errorf("root file system is not read-only")
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		errorf("allowPrivilegeEscalation is not false")
	}
	if sc.Privileged != nil && *sc.Privileged {
		errorf("privileged")
	}
	if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
		errorf("capabilities do not drop ALL")
	} else if len(sc.Capabilities.Add) > 0 {
		errorf("adds capabilities %v", sc.Capabilities.Add)
	}
	if sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		errorf("seccompProfile is not RuntimeDefault")
	}
	for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, okReq := ctr.Resources.Requests[res]
		lim, okLim := ctr.Resources.Limits[res]
		switch {
		case !okReq || req.IsZero():
			errorf("no %s request", res)
		case !okLim || lim.IsZero():
			errorf("no %s limit", res)
		case req.Cmp(lim) > 0:
			errorf("%s request %s above its limit %s", res, req.String(), lim.String())
		}
	}
	if !strings.HasPrefix(ctr.Image, shoalImage+":") || strings.HasSuffix(ctr.Image, ":latest") {
		errorf("image %q is not a pinned %s tag", ctr.Image, shoalImage)
	}
	if c.args != nil && !slices.Equal(ctr.Args, c.args) {
		errorf("args %q, want %q", ctr.Args, c.args)
	}
	mounts := map[string]corev1.VolumeMount{}
	for _, m := range ctr.VolumeMounts {
		mounts[m.MountPath] = m
		if _, ok := volumes[m.Name]; !ok {
			errorf("mounts undefined volume %q", m.Name)
		}
	}
	if m, ok := mounts["/tmp"]; !ok || volumes[m.Name].EmptyDir == nil {
		errorf("/tmp is not an emptyDir (the root file system is read-only)")
	}
	env := map[string]corev1.EnvVar{}
	for _, e := range ctr.Env {
		if _, dup := env[e.Name]; dup {
			errorf("env %s set twice", e.Name)
		}
		env[e.Name] = e
	}
	if env["SHOAL_CONFIG"].Value != shoalConfig {
		errorf("SHOAL_CONFIG is %q, want %s", env["SHOAL_CONFIG"].Value, shoalConfig)
	}
	m, ok := mounts[filepath.Dir(shoalConfig)]
	switch {
	case !ok:
		errorf("nothing mounted at %s", filepath.Dir(shoalConfig))
	case volumes[m.Name].ConfigMap == nil || volumes[m.Name].ConfigMap.Name != c.configMap:
		errorf("%s does not come from ConfigMap %s", filepath.Dir(shoalConfig), c.configMap)
	case !m.ReadOnly:
		errorf("the config mount is writable")
	}
	store := env["SHOAL_STORE_URL"]
	if store.Value != "" || store.ValueFrom == nil || store.ValueFrom.SecretKeyRef == nil ||
		store.ValueFrom.SecretKeyRef.Name != c.secret || store.ValueFrom.SecretKeyRef.Key != "SHOAL_STORE_URL" {
		errorf("SHOAL_STORE_URL must come from key SHOAL_STORE_URL of Secret %s", c.secret)
	}
	for name, e := range env {
		if strings.Contains(name, "PASSWORD") || strings.Contains(name, "TOKEN") || strings.Contains(name, "DSN") {
			if e.Value != "" {
				errorf("secret variable %s is set literally, not from a Secret", name)
			}
		}
	}
}

func checkProbe(t *testing.T, c podCheck, kind string, p *corev1.Probe, path string, ctr corev1.Container) {
	t.Helper()
	if p == nil || p.HTTPGet == nil {
		t.Errorf("%s: no %s httpGet probe", c.id, kind)
		return
	}
	if p.HTTPGet.Path != path {
		t.Errorf("%s: %s probe path %q, want %s", c.id, kind, p.HTTPGet.Path, path)
	}
	if p.HTTPGet.Port.String() != c.port {
		t.Errorf("%s: %s probe port %q, want %s", c.id, kind, p.HTTPGet.Port.String(), c.port)
	}
	if !slices.ContainsFunc(ctr.Ports, func(cp corev1.ContainerPort) bool { return cp.Name == c.port }) {
		t.Errorf("%s: %s probe uses port %q that the container does not declare", c.id, kind, c.port)
	}
	if p.FailureThreshold < 1 || p.PeriodSeconds < 1 {
		t.Errorf("%s: %s probe without period or failure threshold", c.id, kind)
	}
}
