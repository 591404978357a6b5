package http

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shoalhq/shoal/internal/telemetry"
)

// httpMetrics count requests by route pattern (never the raw path, so the
// label set stays bounded), method and status class.
// The same middleware traces requests (a span per request, named after its
// route) and reports panics and 5xx answers to Sentry.
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inflight prometheus.Gauge
	sentry   *telemetry.Sentry
}

// probeRoutes are the routes whose series exist before the first request,
// so that a fresh server's /metrics already lists the HTTP metrics.
var probeRoutes = []string{"GET /healthz", "GET /readyz", "GET /metrics"}

func newHTTPMetrics(reg prometheus.Registerer, sentry *telemetry.Sentry) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shoal_http_requests_total",
			Help: "HTTP requests by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "shoal_http_request_duration_seconds",
			Help:    "HTTP request latency by route pattern.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "shoal_http_requests_in_flight",
			Help: "HTTP requests being served.",
		}),
	}
	reg.MustRegister(m.requests, m.duration, m.inflight)
	for _, r := range probeRoutes {
		m.requests.WithLabelValues(r, http.MethodGet, "200")
		m.duration.WithLabelValues(r)
	}
	m.sentry = sentry
	return m
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach Flush on the real writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (m *httpMetrics) wrap(mux *http.ServeMux, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, route := mux.Handler(r)
		switch route {
		case "":
			route = "unmatched"
		case "/":
			route = "ui"
		}
		method := r.Method
		switch method {
		case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodHead, http.MethodOptions, http.MethodPatch:
		default:
			method = "other"
		}
		start := time.Now()
		m.inflight.Inc()
		rec := &statusRecorder{ResponseWriter: w}
		note := &errorNote{}
		r = r.WithContext(context.WithValue(r.Context(), errorNoteKey{}, note))
		r, span := startSpan(r, route, method)
		defer func() {
			m.inflight.Dec()
			v := recover()
			if v != nil {
				// The recoverer outside answers 500; count and report it
				// here, where the route is known.
				rec.status = http.StatusInternalServerError
				if m.sentry != nil {
					m.sentry.CapturePanic(r.Context(), v, telemetry.Tags{"route": route, "method": method})
				}
			}
			if rec.status == 0 {
				rec.status = http.StatusOK
			}
			m.requests.WithLabelValues(route, method, strconv.Itoa(rec.status)).Inc()
			m.duration.WithLabelValues(route).Observe(time.Since(start).Seconds())
			endSpan(span, rec.status, note.err)
			if v == nil {
				report(r.Context(), m.sentry, route, method, rec.status, note.err)
			}
			if v != nil {
				panic(v)
			}
		}()
		next.ServeHTTP(rec, r)
	})
}
