package validate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/loader"
	"helm.sh/helm/v4/pkg/cli/values"
	"helm.sh/helm/v4/pkg/getter"
	releasev1 "helm.sh/helm/v4/pkg/release/v1"
)

// DefaultKubeVersion is the Kubernetes version charts are rendered for
// when RenderOptions names none: the oldest minor the chart supports.
const DefaultKubeVersion = "v1.30.0"

// RenderOptions are the inputs of `helm template`.
type RenderOptions struct {
	// ReleaseName and Namespace of the release (default "shoal" and
	// "shoal").
	ReleaseName string
	Namespace   string
	// ValuesFiles are -f files, applied in order over the chart's
	// values.yaml.
	ValuesFiles []string
	// Set are --set expressions applied last.
	Set []string
	// KubeVersion is the cluster version templates see (default
	// DefaultKubeVersion).
	KubeVersion string
}

// RenderChart renders the chart in dir as `helm template` does, through
// Helm's install action in client-only dry-run mode: values.schema.json
// is enforced, the chart's kubeVersion constraint is checked, and the
// hooks are included. It returns the manifests as one YAML stream.
func RenderChart(ctx context.Context, dir string, opts RenderOptions) (string, error) {
	chrt, err := loader.Load(dir)
	if err != nil {
		return "", fmt.Errorf("load chart %s: %w", dir, err)
	}
	valueOpts := values.Options{ValueFiles: opts.ValuesFiles, Values: opts.Set}
	vals, err := valueOpts.MergeValues(getter.Providers{})
	if err != nil {
		return "", fmt.Errorf("values: %w", err)
	}
	kv := opts.KubeVersion
	if kv == "" {
		kv = DefaultKubeVersion
	}
	kubeVersion, err := common.ParseKubeVersion(kv)
	if err != nil {
		return "", fmt.Errorf("kube version %q: %w", kv, err)
	}

	cfg := action.NewConfiguration(action.ConfigurationSetLogger(slog.DiscardHandler))
	install := action.NewInstall(cfg)
	install.DryRunStrategy = action.DryRunClient
	install.Replace = true
	install.ReleaseName = orDefault(opts.ReleaseName, "shoal")
	install.Namespace = orDefault(opts.Namespace, "shoal")
	install.KubeVersion = kubeVersion

	rel, err := install.RunWithContext(ctx, chrt, vals)
	if err != nil {
		return "", fmt.Errorf("render %s: %w", dir, err)
	}
	r, ok := rel.(*releasev1.Release)
	if !ok {
		return "", errors.New("render: unexpected release type")
	}
	var b strings.Builder
	b.WriteString(strings.TrimSpace(r.Manifest))
	b.WriteString("\n")
	for _, h := range r.Hooks {
		fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", h.Path, strings.TrimSpace(h.Manifest))
	}
	return b.String(), nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
