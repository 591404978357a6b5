package http

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/shoalhq/shoal/internal/telemetry"
)

// errorNote carries the error a handler answered with (through
// Server.Error) to the middleware, which reports 5xx answers with it.
type errorNote struct{ err error }

type errorNoteKey struct{}

// noteError records err for the request's middleware, when it listens.
func noteError(r *http.Request, err error) {
	if n, ok := r.Context().Value(errorNoteKey{}).(*errorNote); ok && n.err == nil {
		n.err = err
	}
}

// spanName is the span name of a route: the mux pattern, with the method
// in front when the pattern has none ("GET /api/v1/scans/{id}").
func spanName(route, method string) string {
	if strings.Contains(route, " ") {
		return route
	}
	return method + " " + route
}

// startSpan continues the W3C trace context of the request's headers in a
// server span named after its route. It returns r unchanged and a nil
// span when tracing is off.
func startSpan(r *http.Request, route, method string) (*http.Request, trace.Span) {
	if !telemetry.Enabled() {
		return r, nil
	}
	ctx := otel.GetTextMapPropagator().Extract(r.Context(), propagation.HeaderCarrier(r.Header))
	ctx, span := telemetry.Tracer().Start(ctx, spanName(route, method),
		trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(
			attribute.String("http.request.method", method),
			attribute.String("http.route", route),
			attribute.String("url.path", r.URL.Path),
		))
	return r.WithContext(ctx), span
}

// endSpan records the status of the answer on span.
func endSpan(span trace.Span, status int, err error) {
	if span == nil {
		return
	}
	span.SetAttributes(attribute.Int("http.response.status_code", status))
	if status >= 500 {
		if err != nil {
			span.RecordError(err)
		}
		span.SetStatus(codes.Error, strconv.Itoa(status))
	}
	span.End()
}

// report sends a 5xx answer's error to Sentry.
func report(ctx context.Context, s *telemetry.Sentry, route, method string, status int, err error) {
	if s == nil || status < 500 {
		return
	}
	if err == nil {
		err = fmt.Errorf("HTTP %d from %s", status, spanName(route, method))
	}
	s.CaptureError(ctx, err, telemetry.Tags{"route": route, "method": method, "status": strconv.Itoa(status)})
}
