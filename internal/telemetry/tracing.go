// Package telemetry sets up Shoal's tracing (OpenTelemetry over OTLP/HTTP),
// its error reporting (Sentry), and the log handler that adds trace IDs to
// records, and wraps catalogs and file systems in spans.
//
// Everything here is off by default and costs nothing when off: the global
// OpenTelemetry provider stays the no-op one, the wrappers return what they
// are given, and a nil *Sentry ignores every report.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/shoalhq/shoal/config"
)

// InstrumentationName names the tracers of Shoal's spans.
const InstrumentationName = "github.com/shoalhq/shoal"

// Tracer returns Shoal's tracer from the global provider: a no-op one
// unless SetupTracing turned tracing on.
func Tracer() trace.Tracer { return otel.Tracer(InstrumentationName) }

// Enabled reports whether spans are recorded (SetupTracing succeeded and
// its shutdown has not run).
func Enabled() bool {
	_, ok := otel.GetTracerProvider().(*sdktrace.TracerProvider)
	return ok
}

// TracesURL returns the OTLP/HTTP traces URL of a collector base URL:
// base + /v1/traces, unless base already names the traces path.
func TracesURL(base string) string {
	base = strings.TrimRight(base, "/")
	if strings.HasSuffix(base, "/v1/traces") {
		return base
	}
	return base + "/v1/traces"
}

// SetupTracing turns tracing on when cfg.Enabled: it installs a global
// tracer provider that batches spans to the OTLP/HTTP collector of
// cfg.Endpoint, samples new traces at cfg.SampleRatio (always following a
// sampled parent), and propagates W3C trace context and baggage. The
// returned function flushes the spans and restores the no-op provider;
// with tracing off it does nothing.
func SetupTracing(ctx context.Context, cfg config.TracingConfig, version string) (shutdown func(context.Context) error, err error) {
	if !cfg.Enabled {
		return func(context.Context) error { return nil }, nil
	}
	var opts []otlptracehttp.Option
	if cfg.Endpoint != "" {
		opts = append(opts, otlptracehttp.WithEndpointURL(TracesURL(cfg.Endpoint)))
	}
	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("tracing: OTLP exporter: %w", err)
	}
	name := cfg.ServiceName
	if name == "" {
		name = "shoal"
	}
	res := resource.NewSchemaless(
		attribute.String("service.name", name),
		attribute.String("service.version", version),
	)
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp, sdktrace.WithBatchTimeout(2*time.Second)),
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(cfg.SampleRatio))),
	)
	prevTP, prevProp := otel.GetTracerProvider(), otel.GetTextMapPropagator()
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	return func(ctx context.Context) error {
		otel.SetTracerProvider(prevTP)
		otel.SetTextMapPropagator(prevProp)
		if err := tp.Shutdown(ctx); err != nil && !errors.Is(err, context.Canceled) {
			return fmt.Errorf("tracing: flush spans: %w", err)
		}
		return nil
	}, nil
}
