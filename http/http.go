// Package http serves Shoal's REST API under /api/v1, its OpenAPI spec,
// health and readiness probes, Prometheus metrics and the embedded web
// dashboard.
//
// The API is spec-first: http/openapi.yaml is the contract, and the server
// interface in http/api is generated from it by oapi-codegen. This package
// implements that interface over a shoal.Store and a scan starter, and maps
// every error to a status code in one function, Error.
package http

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/http/api"
	"github.com/shoalhq/shoal/internal/telemetry"
)

// ScanStarter starts and cancels scans; jobs.Client implements it.
type ScanStarter interface {
	StartScan(ctx context.Context, catalog string, th shoal.Thresholds) (*shoal.Scan, error)
	CancelScan(ctx context.Context, id int64) (*shoal.Scan, error)
}

// Server is the HTTP server of `shoal serve`.
type Server struct {
	Store shoal.Store
	Scans ScanStarter
	// Catalogs are the configured catalogs; the first is the default.
	Catalogs []*Catalog
	Logger   *slog.Logger
	// Gatherer serves /metrics; Registerer receives the HTTP metrics.
	Registerer prometheus.Registerer
	Gatherer   prometheus.Gatherer
	// UI serves the dashboard for every path outside the API; nil serves
	// nothing there.
	UI http.Handler
	// CORSOrigins lists origins allowed to call the API ("*" for any).
	CORSOrigins []string
	// EventInterval is how often scan events poll the store (default 500ms).
	EventInterval time.Duration
	// MergeJobs runs and cancels merge jobs; nil answers 501 on those
	// endpoints. Each catalog plans and rolls back its own.
	MergeJobs MergeQueue
	// AuthTokens are name:secret pairs; when set, mutating calls need
	// one of the secrets as a bearer token.
	AuthTokens []string
	// Sentry, when set, receives panics and 5xx errors.
	Sentry *telemetry.Sentry
}

// statusOf maps an error code to an HTTP status.
func statusOf(code string) int {
	switch code {
	case shoal.EINVALID:
		return http.StatusBadRequest
	case shoal.ENOTFOUND:
		return http.StatusNotFound
	case shoal.ECONFLICT:
		return http.StatusConflict
	case shoal.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	case shoal.ENOTIMPLEMENTED:
		return http.StatusNotImplemented
	}
	return http.StatusInternalServerError
}

// Error writes err as a JSON error with the status its code maps to, and
// logs internal errors, whose details never reach the client.
func (s *Server) Error(w http.ResponseWriter, r *http.Request, err error) {
	code := shoal.ErrorCode(err)
	noteError(r, err)
	if code == shoal.EINTERNAL {
		s.Logger.Error("http error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeJSON(w, statusOf(code), api.Error{Code: code, Message: shoal.ErrorMessage(err)})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Handler returns the server's routes wrapped in its middleware.
func (s *Server) Handler() (http.Handler, error) {
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
	if s.Registerer == nil {
		s.Registerer = prometheus.NewRegistry()
	}
	if s.Gatherer == nil {
		s.Gatherer = prometheus.NewRegistry()
	}
	spec, err := specJSON()
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	strict := api.NewStrictHandlerWithOptions(&apiServer{s}, nil, api.StrictHTTPServerOptions{
		RequestErrorHandlerFunc: func(w http.ResponseWriter, r *http.Request, err error) {
			s.Error(w, r, shoal.Errorf(shoal.EINVALID, "%v", err))
		},
		ResponseErrorHandlerFunc: s.Error,
	})
	api.HandlerWithOptions(strict, api.StdHTTPServerOptions{
		BaseURL:    "/api/v1",
		BaseRouter: mux,
		ErrorHandlerFunc: func(w http.ResponseWriter, r *http.Request, err error) {
			s.Error(w, r, shoal.Errorf(shoal.EINVALID, "%v", err))
		},
	})
	mux.HandleFunc("GET /api/v1/scans/{id}/events", s.scanEvents)
	mux.HandleFunc("GET /api/v1/openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(spec)
	})
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		s.Error(w, r, shoal.Errorf(shoal.ENOTFOUND, "no API route %s %s", r.Method, r.URL.Path))
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", s.ready)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.Gatherer, promhttp.HandlerOpts{}))
	if s.UI != nil {
		mux.Handle("/", s.UI)
	}
	m := newHTTPMetrics(s.Registerer, s.Sentry)
	v, err := newSpecValidator()
	if err != nil {
		return nil, err
	}
	return s.recoverer(s.cors(m.wrap(mux, s.auth(v.wrap(s, mux))))), nil
}

// ready checks that the store answers.
func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.Store.Ping(ctx); err != nil {
		s.Logger.Warn("readiness: store unreachable", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, api.Error{Code: shoal.EUNAVAILABLE, Message: "store unreachable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// recoverer turns a panic into a 500 and logs it.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
					panic(v)
				}
				s.Error(w, r, errors.New("panic: "+strings.TrimSpace(strconv.Quote(toString(v)))))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func toString(v any) string {
	if err, ok := v.(error); ok {
		return err.Error()
	}
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// cors answers browsers from the allowed origins.
func (s *Server) cors(next http.Handler) http.Handler {
	if len(s.CORSOrigins) == 0 {
		return next
	}
	allowed := map[string]bool{}
	for _, o := range s.CORSOrigins {
		allowed[o] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin != "" && (allowed["*"] || allowed[origin]) && strings.HasPrefix(r.URL.Path, "/api/") {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Add("Vary", "Origin")
			h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "Content-Type, Authorization")
			if r.Method == http.MethodOptions {
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
