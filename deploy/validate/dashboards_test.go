package validate

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"
	"sigs.k8s.io/yaml"
)

// ruleFile is a Prometheus rule file (the fields Shoal's rules use).
type ruleFile struct {
	Groups []struct {
		Name     string `json:"name"`
		Interval string `json:"interval,omitempty"`
		Rules    []struct {
			Record      string            `json:"record,omitempty"`
			Alert       string            `json:"alert,omitempty"`
			Expr        string            `json:"expr"`
			For         string            `json:"for,omitempty"`
			Labels      map[string]string `json:"labels,omitempty"`
			Annotations map[string]string `json:"annotations,omitempty"`
		} `json:"rules"`
	} `json:"groups"`
}

var dashboardFiles = []string{"system.json", "application.json", "business.json"}

var registerPluginsOnce sync.Once

// loadDashboard decodes a dashboard strictly (unknown or mistyped fields
// fail) with the Grafana Foundation SDK and validates it.
func loadDashboard(data []byte) (*dashboard.Dashboard, error) {
	// Panel targets decode into the Prometheus data query type only when
	// the plugins are registered.
	registerPluginsOnce.Do(plugins.RegisterDefaultPlugins)
	var d dashboard.Dashboard
	if err := d.UnmarshalJSONStrict(data); err != nil {
		return nil, fmt.Errorf("strict decode: %w", err)
	}
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	return &d, nil
}

// query is one PromQL expression of a dashboard.
type query struct {
	where string // panel title and refId, or variable name
	expr  string
}

// dashboardQueries returns every panel target's expression, checking that
// each target is a Prometheus query, plus the metric of each label_values
// variable.
func dashboardQueries(d *dashboard.Dashboard) ([]query, error) {
	var out []query
	var errs []error
	var panels []dashboard.Panel
	for _, p := range d.Panels {
		switch {
		case p.Panel != nil:
			panels = append(panels, *p.Panel)
		case p.RowPanel != nil:
			panels = append(panels, p.RowPanel.Panels...)
		}
	}
	for _, p := range panels {
		title := ""
		if p.Title != nil {
			title = *p.Title
		}
		if p.Type != "row" && len(p.Targets) == 0 && p.Type != "text" {
			errs = append(errs, fmt.Errorf("panel %q has no query", title))
		}
		for i, t := range p.Targets {
			q, ok := t.(*prometheus.Dataquery)
			if !ok {
				errs = append(errs, fmt.Errorf("panel %q target %d is %T, not a Prometheus query", title, i, t))
				continue
			}
			ref := fmt.Sprint(i)
			if q.RefId != nil {
				ref = *q.RefId
			}
			out = append(out, query{where: fmt.Sprintf("panel %q target %s", title, ref), expr: q.Expr})
		}
	}
	for _, v := range d.Templating.List {
		if v.Type != "query" || v.Query == nil {
			continue
		}
		var text string
		switch {
		case v.Query.String != nil:
			text = *v.Query.String
		case v.Query.Map != nil:
			s, _ := v.Query.Map["query"].(string)
			text = s
		}
		m := labelValues.FindStringSubmatch(text)
		if m == nil {
			errs = append(errs, fmt.Errorf("variable %s: query %q is not label_values(METRIC, LABEL)", v.Name, text))
			continue
		}
		out = append(out, query{where: "variable " + v.Name, expr: m[1]})
	}
	return out, errors.Join(errs...)
}

var labelValues = regexp.MustCompile(`^label_values\(\s*([^,]+?)\s*,\s*[A-Za-z_][A-Za-z0-9_]*\s*\)$`)

// grafanaVars replaces Grafana's variables with values that parse, the
// way Grafana interpolates them before sending the query.
var grafanaVars = strings.NewReplacer(
	"$__rate_interval", "5m", "${__rate_interval}", "5m",
	"$__interval", "1m", "${__interval}", "1m",
	"$__range", "1h", "${__range}", "1h",
)

var dashVar = regexp.MustCompile(`\$\{?[A-Za-z_][A-Za-z0-9_]*\}?`)

// metricNames parses expr with the PromQL parser and returns the metric
// names it selects.
func metricNames(expr string) ([]string, error) {
	expr = dashVar.ReplaceAllString(grafanaVars.Replace(expr), "x")
	node, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
	if err != nil {
		return nil, err
	}
	var names []string
	parser.Inspect(node, func(n parser.Node, _ []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		name := vs.Name
		if name == "" {
			for _, m := range vs.LabelMatchers {
				if m.Name == model.MetricNameLabel {
					name = m.Value
				}
			}
		}
		if name != "" && !slices.Contains(names, name) {
			names = append(names, name)
		}
		return nil
	})
	if len(names) == 0 {
		return nil, fmt.Errorf("%q selects no metric", expr)
	}
	return names, nil
}

// prometheusSynthetic are series Prometheus itself adds to every target.
var prometheusSynthetic = []string{"up", "scrape_duration_seconds", "scrape_samples_scraped"}

var (
	scrapeOnce    sync.Once
	scrapedNames  map[string]bool
	scrapedFamily map[string]*dto.MetricFamily
)

// exportedMetrics starts the real binary and returns the series names of
// its /metrics, with the _bucket, _sum and _count series of histograms
// and summaries.
func exportedMetrics(t *testing.T) map[string]bool {
	t.Helper()
	scrapeOnce.Do(func() {
		srv := startShoal(t)
		body := srv.get(t, "/metrics")
		p := expfmt.NewTextParser(model.UTF8Validation)
		fams, err := p.TextToMetricFamilies(strings.NewReader(body))
		if err != nil {
			t.Fatalf("parse /metrics: %v", err)
		}
		scrapedFamily = fams
		scrapedNames = map[string]bool{}
		for name, f := range fams {
			scrapedNames[name] = true
			switch f.GetType() {
			case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
				for _, s := range []string{"_bucket", "_sum", "_count"} {
					scrapedNames[name+s] = true
				}
			case dto.MetricType_SUMMARY:
				for _, s := range []string{"_sum", "_count"} {
					scrapedNames[name+s] = true
				}
			}
		}
		for _, n := range prometheusSynthetic {
			scrapedNames[n] = true
		}
	})
	if scrapedNames == nil {
		t.Fatal("no /metrics scrape (see the first failure)")
	}
	return scrapedNames
}

// missingMetrics checks every query and returns the metrics that the
// binary does not export, with where they are used.
func missingMetrics(t *testing.T, qs []query, exported map[string]bool) map[string][]string {
	t.Helper()
	missing := map[string][]string{}
	for _, q := range qs {
		names, err := metricNames(q.expr)
		if err != nil {
			t.Errorf("%s: PromQL %q: %v", q.where, q.expr, err)
			continue
		}
		for _, n := range names {
			if !exported[n] {
				missing[n] = append(missing[n], q.where)
			}
		}
	}
	return missing
}

func reportMissing(t *testing.T, file string, missing map[string][]string) {
	t.Helper()
	names := make([]string, 0, len(missing))
	for n := range missing {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		t.Errorf("%s: metric %s is not in the binary's /metrics (used by %s)", file, n, strings.Join(missing[n], "; "))
	}
}

func TestDashboards(t *testing.T) {
	uids := map[string]string{}
	for _, name := range dashboardFiles {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(fromRepo(t, filepath.Join("deploy/monitoring/dashboards", name)))
			if err != nil {
				t.Fatal(err)
			}
			d, err := loadDashboard(data)
			if err != nil {
				t.Fatal(err)
			}
			if d.Uid == nil || *d.Uid == "" || d.Title == nil || *d.Title == "" {
				t.Fatal("dashboard without uid or title")
			}
			if other, dup := uids[*d.Uid]; dup {
				t.Errorf("uid %s also used by %s", *d.Uid, other)
			}
			uids[*d.Uid] = name
			qs, err := dashboardQueries(d)
			if err != nil {
				t.Error(err)
			}
			if len(qs) < 5 {
				t.Fatalf("only %d queries", len(qs))
			}
			reportMissing(t, name, missingMetrics(t, qs, exportedMetrics(t)))
		})
	}
}

// TestAlertRuleMetricsExist applies the same check to the alert rules:
// every metric an alert reads must be exported by the binary.
func TestAlertRuleMetricsExist(t *testing.T) {
	// promtool (make test-rules) validates the file fully; this reads it
	// strictly for the expressions.
	data, err := os.ReadFile(fromRepo(t, "deploy/monitoring/prometheus-rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var groups ruleFile
	if err := yaml.UnmarshalStrict(data, &groups); err != nil {
		t.Fatal(err)
	}
	exported := exportedMetrics(t)
	recorded := map[string]bool{}
	var qs []query
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			if r.Record != "" {
				recorded[r.Record] = true
			}
			qs = append(qs, query{where: g.Name + "/" + r.Alert + r.Record, expr: r.Expr})
		}
	}
	all := map[string]bool{}
	for k := range exported {
		all[k] = true
	}
	for k := range recorded {
		all[k] = true
	}
	reportMissing(t, "prometheus-rules.yaml", missingMetrics(t, qs, all))
}

// TestDashboardChecksReject shows the checks failing: strict decoding,
// PromQL syntax, non-Prometheus targets and unknown metrics.
func TestDashboardChecksReject(t *testing.T) {
	data, err := os.ReadFile(fromRepo(t, "deploy/monitoring/dashboards/application.json"))
	if err != nil {
		t.Fatal(err)
	}
	good := string(data)
	if _, err := loadDashboard([]byte(strings.Replace(good, `"graphTooltip"`, `"graphTooltipp"`, 1))); err == nil {
		t.Error("an unknown dashboard field was accepted")
	}
	if _, err := loadDashboard([]byte(strings.Replace(good, `"refresh": "1m"`, `"refresh": 60`, 1))); err == nil {
		t.Error("a mistyped field was accepted")
	}
	if _, err := metricNames(`sum(rate(shoal_http_requests_total[5m])`); err == nil {
		t.Error("unbalanced PromQL was accepted")
	}
	names, err := metricNames(`histogram_quantile(0.95, sum by (le) (rate(shoal_http_request_duration_seconds_bucket{job=~"$job"}[$__rate_interval]))) * on() group_left() count({__name__="up"})`)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(names, []string{"shoal_http_request_duration_seconds_bucket", "up"}) {
		t.Errorf("metric names %q", names)
	}
	missing := missingMetrics(t, []query{{where: "test", expr: `rate(shoal_no_such_metric_total[5m])`}}, exportedMetrics(t))
	if _, ok := missing["shoal_no_such_metric_total"]; !ok {
		t.Error("an unknown metric was not reported")
	}
}
