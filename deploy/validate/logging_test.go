package validate

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

// promtailConfig holds the parts of Promtail's configuration Shoal's file
// uses; decoding strictly catches misspelt or misplaced keys in them.
// (No Promtail or Loki binary can be fetched offline to check the rest.)
type promtailConfig struct {
	Server struct {
		HTTPListenPort int    `json:"http_listen_port"`
		GRPCListenPort int    `json:"grpc_listen_port"`
		LogLevel       string `json:"log_level"`
	} `json:"server"`
	Positions struct {
		Filename string `json:"filename"`
	} `json:"positions"`
	Clients []struct {
		URL       string `json:"url"`
		BatchWait string `json:"batchwait"`
		BatchSize int    `json:"batchsize"`
	} `json:"clients"`
	ScrapeConfigs []struct {
		JobName         string `json:"job_name"`
		DockerSDConfigs []struct {
			Host            string `json:"host"`
			RefreshInterval string `json:"refresh_interval"`
			Filters         []struct {
				Name   string   `json:"name"`
				Values []string `json:"values"`
			} `json:"filters"`
		} `json:"docker_sd_configs"`
		RelabelConfigs []struct {
			SourceLabels []string `json:"source_labels"`
			Regex        string   `json:"regex"`
			TargetLabel  string   `json:"target_label"`
		} `json:"relabel_configs"`
		PipelineStages []struct {
			Match *struct {
				Selector string          `json:"selector"`
				Stages   []pipelineStage `json:"stages"`
			} `json:"match"`
		} `json:"pipeline_stages"`
	} `json:"scrape_configs"`
}

type pipelineStage struct {
	JSON *struct {
		Expressions map[string]string `json:"expressions"`
	} `json:"json,omitempty"`
	Timestamp *struct {
		Source string `json:"source"`
		Format string `json:"format"`
	} `json:"timestamp,omitempty"`
	Labels             map[string]*string `json:"labels,omitempty"`
	StructuredMetadata map[string]*string `json:"structured_metadata,omitempty"`
}

type lokiConfig struct {
	AuthEnabled bool `json:"auth_enabled"`
	Server      struct {
		HTTPListenPort int    `json:"http_listen_port"`
		GRPCListenPort int    `json:"grpc_listen_port"`
		LogLevel       string `json:"log_level"`
	} `json:"server"`
	Common struct {
		InstanceAddr      string `json:"instance_addr"`
		PathPrefix        string `json:"path_prefix"`
		ReplicationFactor int    `json:"replication_factor"`
		Storage           struct {
			Filesystem struct {
				ChunksDirectory string `json:"chunks_directory"`
				RulesDirectory  string `json:"rules_directory"`
			} `json:"filesystem"`
		} `json:"storage"`
		Ring struct {
			KVStore struct {
				Store string `json:"store"`
			} `json:"kvstore"`
		} `json:"ring"`
	} `json:"common"`
	SchemaConfig struct {
		Configs []struct {
			From        string `json:"from"`
			Store       string `json:"store"`
			ObjectStore string `json:"object_store"`
			Schema      string `json:"schema"`
			Index       struct {
				Prefix string `json:"prefix"`
				Period string `json:"period"`
			} `json:"index"`
		} `json:"configs"`
	} `json:"schema_config"`
	LimitsConfig struct {
		RetentionPeriod         string `json:"retention_period"`
		AllowStructuredMetadata bool   `json:"allow_structured_metadata"`
		IngestionRateMB         int    `json:"ingestion_rate_mb"`
		IngestionBurstSizeMB    int    `json:"ingestion_burst_size_mb"`
		MaxQuerySeries          int    `json:"max_query_series"`
	} `json:"limits_config"`
	Compactor struct {
		WorkingDirectory   string `json:"working_directory"`
		RetentionEnabled   bool   `json:"retention_enabled"`
		DeleteRequestStore string `json:"delete_request_store"`
	} `json:"compactor"`
	Analytics struct {
		ReportingEnabled bool `json:"reporting_enabled"`
	} `json:"analytics"`
}

func readYAMLStrict(t *testing.T, rel string, v any) {
	t.Helper()
	data, err := os.ReadFile(fromRepo(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(data, v); err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
}

func TestLokiConfig(t *testing.T) {
	var c lokiConfig
	readYAMLStrict(t, "deploy/monitoring/loki/loki.yaml", &c)
	if len(c.SchemaConfig.Configs) == 0 {
		t.Fatal("no schema config")
	}
	last := c.SchemaConfig.Configs[len(c.SchemaConfig.Configs)-1]
	if last.Store != "tsdb" || last.Schema != "v13" {
		t.Errorf("newest schema is %s/%s; structured metadata needs tsdb/v13", last.Store, last.Schema)
	}
	if !c.LimitsConfig.AllowStructuredMetadata {
		t.Error("allow_structured_metadata is off, but Promtail sends trace_id as structured metadata")
	}
	if _, err := time.ParseDuration(c.LimitsConfig.RetentionPeriod); err != nil || !c.Compactor.RetentionEnabled {
		t.Errorf("retention %q (compactor retention %v)", c.LimitsConfig.RetentionPeriod, c.Compactor.RetentionEnabled)
	}
}

// shoalStages returns the pipeline stages Promtail applies to Shoal's logs.
func shoalStages(t *testing.T) []pipelineStage {
	t.Helper()
	var c promtailConfig
	readYAMLStrict(t, "deploy/monitoring/promtail/promtail.yaml", &c)
	if len(c.Clients) == 0 || !strings.HasSuffix(c.Clients[0].URL, "/loki/api/v1/push") {
		t.Fatalf("clients %+v: want Loki's push API", c.Clients)
	}
	for _, sc := range c.ScrapeConfigs {
		for _, ps := range sc.PipelineStages {
			if ps.Match != nil && strings.Contains(ps.Match.Selector, "serve") {
				return ps.Match.Stages
			}
		}
	}
	t.Fatal("no pipeline stage matches the serve service")
	return nil
}

// TestPromtailParsesShoalLogs runs the real binary with JSON logs and
// tracing on (to a local OTLP sink), starts a scan, and applies the
// Promtail pipeline's json, timestamp and label stages to its log lines.
func TestPromtailParsesShoalLogs(t *testing.T) {
	stages := shoalStages(t)
	var exprs map[string]string
	var tsSource, tsFormat string
	var labels, metadata []string
	for _, s := range stages {
		switch {
		case s.JSON != nil:
			exprs = s.JSON.Expressions
		case s.Timestamp != nil:
			tsSource, tsFormat = s.Timestamp.Source, s.Timestamp.Format
		case s.Labels != nil:
			for k := range s.Labels {
				labels = append(labels, k)
			}
		case s.StructuredMetadata != nil:
			for k := range s.StructuredMetadata {
				metadata = append(metadata, k)
			}
		}
	}
	if exprs == nil || tsSource == "" {
		t.Fatal("the pipeline lacks a json or timestamp stage")
	}
	if tsFormat != "RFC3339Nano" {
		t.Fatalf("timestamp format %q: the check below parses RFC3339Nano", tsFormat)
	}
	for _, l := range labels {
		if l == "trace_id" || l == "span_id" || l == "msg" {
			t.Errorf("%s as a label would be unbounded", l)
		}
	}

	// A local OTLP/HTTP endpoint that accepts the spans.
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(sink.Close)
	srv := startShoal(t,
		"SHOAL_LOG_FORMAT=json",
		"SHOAL_TRACING_ENABLED=true",
		"SHOAL_TRACING_ENDPOINT="+sink.URL,
		"SHOAL_TRACING_SAMPLE_RATIO=1",
	)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/api/v1/scans", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /api/v1/scans: %s", resp.Status)
	}

	// Wait for the scan's log lines, then check every line.
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(srv.Stderr.String(), `"scan finished"`) && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	traced, lines := 0, 0
	hex := regexp.MustCompile(`^[0-9a-f]+$`)
	sc := bufio.NewScanner(strings.NewReader(srv.Stderr.String()))
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			continue
		}
		lines++
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("not a JSON log line (Promtail's json stage would fail): %q", line)
			continue
		}
		extracted := map[string]string{}
		for name, key := range exprs {
			if v, ok := rec[key].(string); ok {
				extracted[name] = v
			}
		}
		for _, need := range append([]string{tsSource}, labels...) {
			if extracted[need] == "" {
				t.Errorf("line %q: the json stage extracts no %s", line, need)
			}
		}
		if _, err := time.Parse(time.RFC3339Nano, extracted[tsSource]); err != nil {
			t.Errorf("line %q: %s %q is not RFC3339Nano: %v", line, tsSource, extracted[tsSource], err)
		}
		if lvl := extracted["level"]; lvl != "" && !regexp.MustCompile(`^(DEBUG|INFO|WARN|ERROR)([+-]\d+)?$`).MatchString(lvl) {
			t.Errorf("line %q: level %q", line, lvl)
		}
		if id := extracted["trace_id"]; id != "" {
			if len(id) != 32 || !hex.MatchString(id) || len(extracted["span_id"]) != 16 {
				t.Errorf("line %q: trace_id %q / span_id %q are not OTel IDs", line, id, extracted["span_id"])
			}
			traced++
		}
	}
	if lines == 0 {
		t.Fatal("shoal serve logged nothing")
	}
	if traced == 0 {
		t.Errorf("no log line of the traced scan carries a trace_id; logs:\n%s", srv.Stderr.String())
	}
	for _, m := range metadata {
		if _, ok := exprs[m]; !ok {
			t.Errorf("structured metadata %s is not extracted by the json stage", m)
		}
	}
	t.Logf("%d JSON log lines parsed, %d with a trace_id", lines, traced)
}
