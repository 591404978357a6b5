package telemetry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/config"
	"github.com/shoalhq/shoal/internal/telemetry"
	"github.com/shoalhq/shoal/localfs"
	"github.com/shoalhq/shoal/warehouse"
)

func TestTraceHandler_AddsIDsWithinASpan(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(telemetry.NewTraceHandler(slog.NewJSONHandler(&buf, nil))).With("component", "test")
	tp := sdktrace.NewTracerProvider()
	defer tp.Shutdown(context.Background())
	ctx, span := tp.Tracer("t").Start(context.Background(), "op")
	log.InfoContext(ctx, "inside", "k", 1)
	span.End()
	log.InfoContext(context.Background(), "outside")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("logged %q", buf.String())
	}
	var in, out map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &in); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &out); err != nil {
		t.Fatal(err)
	}
	sc := span.SpanContext()
	if in["trace_id"] != sc.TraceID().String() || in["span_id"] != sc.SpanID().String() || in["component"] != "test" || in["k"] != float64(1) {
		t.Errorf("record within a span: %v", in)
	}
	if _, ok := out["trace_id"]; ok {
		t.Errorf("record without a span has a trace_id: %v", out)
	}
}

// withRecorder installs an SDK provider with an in-memory exporter as the
// global provider for the test (tests using it are not parallel).
func withRecorder(t *testing.T) *tracetest.SpanRecorder {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(tp)
	t.Cleanup(func() { otel.SetTracerProvider(prev); _ = tp.Shutdown(context.Background()) })
	return rec
}

func TestWrappers_OffReturnTheSame(t *testing.T) {
	if telemetry.Enabled() {
		t.Skip("tracing is on")
	}
	fs := localfs.New()
	if got := telemetry.WritableFS(fs); got != shoal.WritableFS(fs) {
		t.Errorf("WritableFS wrapped with tracing off: %T", got)
	}
	if got := telemetry.FileSystem(fs); got != shoal.FileSystem(fs) {
		t.Errorf("FileSystem wrapped with tracing off: %T", got)
	}
}

func TestWrappers_SpansAndInterfaces(t *testing.T) {
	rec := withRecorder(t)
	if !telemetry.Enabled() {
		t.Fatal("Enabled is false with an SDK provider")
	}
	dir := t.TempDir()
	fs := telemetry.WritableFS(localfs.New())
	if _, ok := fs.(shoal.ObjectStore); ok {
		t.Error("local disk became an object store")
	}
	ctx, parent := otel.Tracer("t").Start(context.Background(), "parent")
	if err := fs.Mkdir(ctx, dir+"/a"); err != nil {
		t.Fatal(err)
	}
	w, err := fs.Create(ctx, dir+"/a/f")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.WriteString(w, "x")
	_ = w.Close()
	n := 0
	if err := fs.List(ctx, dir+"/a", func(shoal.FileInfo) error { n++; return nil }); err != nil || n != 1 {
		t.Fatalf("list: %d entries, %v", n, err)
	}
	if _, err := fs.Stat(ctx, dir+"/missing"); err == nil {
		t.Fatal("stat of a missing file succeeded")
	}
	parent.End()
	want := map[string]bool{"fs.Mkdir": false, "fs.Create": false, "fs.List": false, "fs.Stat": false}
	for _, s := range rec.Ended() {
		if _, ok := want[s.Name()]; !ok {
			continue
		}
		want[s.Name()] = true
		if s.Parent().SpanID() != parent.SpanContext().SpanID() {
			t.Errorf("%s is not a child of the caller's span", s.Name())
		}
		if s.Name() == "fs.Stat" && s.Status().Code.String() != "Error" {
			t.Errorf("fs.Stat of a missing file has status %v", s.Status())
		}
	}
	for name, seen := range want {
		if !seen {
			t.Errorf("no %s span", name)
		}
	}
}

func TestTracesURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"http://c:4318":            "http://c:4318/v1/traces",
		"http://c:4318/":           "http://c:4318/v1/traces",
		"https://c/otlp/v1/traces": "https://c/otlp/v1/traces",
	} {
		if got := telemetry.TracesURL(in); got != want {
			t.Errorf("TracesURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSetupTracing_Off(t *testing.T) {
	stop, err := telemetry.SetupTracing(context.Background(), config.TracingConfig{}, "v")
	if err != nil {
		t.Fatal(err)
	}
	if telemetry.Enabled() {
		t.Error("tracing on with enabled: false")
	}
	if err := stop(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// writerCatalog is a catalog that can record merges.
type writerCatalog struct {
	shoal.Catalog
	relocated int
}

func (w *writerCatalog) Relocate(context.Context, *shoal.Table, *shoal.Partition, string, string) error {
	w.relocated++
	return nil
}

func (w *writerCatalog) UpdateStats(context.Context, *shoal.Table, *shoal.Partition, int64, int64) error {
	return nil
}

func TestCatalog_SpansKeepTheWriter(t *testing.T) {
	rec := withRecorder(t)
	root := t.TempDir()
	cat, err := warehouse.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	plain := telemetry.Catalog(cat, "wh")
	if _, ok := plain.(shoal.CatalogWriter); ok {
		t.Error("a read-only catalog became a writer")
	}
	if _, err := plain.Databases(context.Background()); err != nil {
		t.Fatal(err)
	}
	w := &writerCatalog{Catalog: cat}
	wrapped, ok := telemetry.Catalog(w, "hms").(shoal.CatalogWriter)
	if !ok {
		t.Fatal("the wrapper of a writer is not a CatalogWriter")
	}
	if err := wrapped.Relocate(context.Background(), &shoal.Table{Database: "d", Name: "t"}, nil, "a", "b"); err != nil || w.relocated != 1 {
		t.Fatalf("relocate: %v, %d calls", err, w.relocated)
	}
	names := map[string]string{}
	for _, s := range rec.Ended() {
		for _, a := range s.Attributes() {
			if a.Key == "shoal.catalog" {
				names[s.Name()] = a.Value.AsString()
			}
		}
	}
	if names["catalog.Databases"] != "wh" || names["catalog.Relocate"] != "hms" {
		t.Errorf("catalog spans %v", names)
	}
}
