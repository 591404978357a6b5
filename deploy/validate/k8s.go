package validate

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	rolloutsv1alpha1 "github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// Object is one Kubernetes object decoded strictly into its typed Go
// struct.
type Object struct {
	APIVersion string
	Kind       string
	Name       string
	// Source names where the document came from (a template path or a
	// file), for error messages.
	Source string
	// Typed is a pointer to the typed struct, e.g. *appsv1.Deployment.
	Typed any
}

// ID is "Kind/name", unique within one namespace.
func (o Object) ID() string { return o.Kind + "/" + o.Name }

// kinds maps apiVersion and kind to a constructor of the typed struct.
// Every object Shoal ships must be one of these: an unknown kind is an
// error, so a typo in apiVersion or kind cannot slip through.
var kinds = map[string]func() any{
	"v1/ConfigMap":                            func() any { return &corev1.ConfigMap{} },
	"v1/Secret":                               func() any { return &corev1.Secret{} },
	"v1/Service":                              func() any { return &corev1.Service{} },
	"v1/ServiceAccount":                       func() any { return &corev1.ServiceAccount{} },
	"apps/v1/Deployment":                      func() any { return &appsv1.Deployment{} },
	"batch/v1/Job":                            func() any { return &batchv1.Job{} },
	"networking.k8s.io/v1/Ingress":            func() any { return &networkingv1.Ingress{} },
	"networking.k8s.io/v1/NetworkPolicy":      func() any { return &networkingv1.NetworkPolicy{} },
	"autoscaling/v2/HorizontalPodAutoscaler":  func() any { return &autoscalingv2.HorizontalPodAutoscaler{} },
	"policy/v1/PodDisruptionBudget":           func() any { return &policyv1.PodDisruptionBudget{} },
	"monitoring.coreos.com/v1/ServiceMonitor": func() any { return &monitoringv1.ServiceMonitor{} },
	"monitoring.coreos.com/v1/PrometheusRule": func() any { return &monitoringv1.PrometheusRule{} },
	"argoproj.io/v1alpha1/Rollout":            func() any { return &rolloutsv1alpha1.Rollout{} },
	"argoproj.io/v1alpha1/AnalysisTemplate":   func() any { return &rolloutsv1alpha1.AnalysisTemplate{} },
}

// SplitDocuments splits a multi-document YAML stream at "---" lines and
// drops documents that hold only comments or whitespace.
func SplitDocuments(data []byte) ([][]byte, error) {
	var docs [][]byte
	var cur bytes.Buffer
	flush := func() {
		if hasContent(cur.Bytes()) {
			docs = append(docs, bytes.Clone(cur.Bytes()))
		}
		cur.Reset()
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if line == "---" || strings.HasPrefix(line, "--- ") || line == "..." {
			flush()
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("split YAML: %w", err)
	}
	flush()
	return docs, nil
}

func hasContent(doc []byte) bool {
	for line := range strings.SplitSeq(string(doc), "\n") {
		t := strings.TrimSpace(line)
		if t != "" && !strings.HasPrefix(t, "#") {
			return true
		}
	}
	return false
}

// DecodeStrict decodes one YAML document into the typed struct chosen by
// its apiVersion and kind with sigs.k8s.io/yaml.UnmarshalStrict, then
// case-sensitively as the API server does. Unknown, duplicate or
// wrongly-cased fields, wrong types and unknown kinds are errors.
func DecodeStrict(doc []byte, source string) (Object, error) {
	var meta struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	if err := yaml.Unmarshal(doc, &meta); err != nil {
		return Object{}, fmt.Errorf("%s: not a YAML object: %w", source, err)
	}
	if meta.APIVersion == "" || meta.Kind == "" {
		return Object{}, fmt.Errorf("%s: apiVersion and kind are required", source)
	}
	newObj, ok := kinds[meta.APIVersion+"/"+meta.Kind]
	if !ok {
		return Object{}, fmt.Errorf("%s: unknown kind %s %s (not one Shoal ships)", source, meta.APIVersion, meta.Kind)
	}
	obj := newObj()
	if err := yaml.UnmarshalStrict(doc, obj); err != nil {
		return Object{}, fmt.Errorf("%s: %s %q: %w", source, meta.Kind, meta.Metadata.Name, err)
	}
	// encoding/json, under yaml.UnmarshalStrict, matches field names
	// case-insensitively: readOnlyRootFileSystem would silently set
	// readOnlyRootFilesystem. The API server decodes case-sensitively and
	// drops such a field, so check again the way it does.
	js, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return Object{}, fmt.Errorf("%s: %s %q: %w", source, meta.Kind, meta.Metadata.Name, err)
	}
	strictErrs, err := sigsjson.UnmarshalStrict(js, newObj(), sigsjson.DisallowDuplicateFields, sigsjson.DisallowUnknownFields)
	if err == nil {
		err = errors.Join(strictErrs...)
	}
	if err != nil {
		return Object{}, fmt.Errorf("%s: %s %q: %w", source, meta.Kind, meta.Metadata.Name, err)
	}
	if meta.Metadata.Name == "" {
		return Object{}, fmt.Errorf("%s: %s without metadata.name", source, meta.Kind)
	}
	return Object{APIVersion: meta.APIVersion, Kind: meta.Kind, Name: meta.Metadata.Name, Source: source, Typed: obj}, nil
}

// DecodeAll splits a YAML stream and decodes every document strictly.
// Every error is reported, not only the first.
func DecodeAll(data []byte, source string) ([]Object, error) {
	docs, err := SplitDocuments(data)
	if err != nil {
		return nil, err
	}
	var objs []Object
	var errs []error
	for i, doc := range docs {
		o, err := DecodeStrict(doc, fmt.Sprintf("%s#%d", source, i+1))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		objs = append(objs, o)
	}
	if len(objs) == 0 && len(errs) == 0 {
		errs = append(errs, fmt.Errorf("%s: no objects", source))
	}
	return objs, errors.Join(errs...)
}

// DecodeReader is DecodeAll over a reader.
func DecodeReader(r io.Reader, source string) ([]Object, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", source, err)
	}
	return DecodeAll(data, source)
}
