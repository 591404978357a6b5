package telemetry

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/getsentry/sentry-go"
	"go.opentelemetry.io/otel/trace"

	"github.com/shoalhq/shoal/config"
)

// Sentry reports errors and panics to Sentry. A nil *Sentry (Sentry off)
// ignores every report.
type Sentry struct {
	hub *sentry.Hub
}

// NewSentry returns a reporter for cfg, or nil when cfg has no DSN.
func NewSentry(cfg config.SentryConfig, release string) (*Sentry, error) {
	if cfg.DSN == "" {
		return nil, nil
	}
	c, err := sentry.NewClient(sentry.ClientOptions{
		Dsn:         cfg.DSN,
		Environment: cfg.Environment,
		SampleRate:  cfg.SampleRate,
		Release:     "shoal@" + release,
		// Events carry stack traces; personal data (request bodies,
		// users, IPs) is not collected by default.
		AttachStacktrace: true,
	})
	if err != nil {
		return nil, fmt.Errorf("sentry: %w", err)
	}
	return &Sentry{hub: sentry.NewHub(c, sentry.NewScope())}, nil
}

// Tags are bounded key/value pairs attached to an event.
type Tags map[string]string

// scoped runs f on a clone of the hub with tags and, when ctx holds a span,
// its trace ID.
func (s *Sentry) scoped(ctx context.Context, tags Tags, f func(h *sentry.Hub)) {
	h := s.hub.Clone()
	h.ConfigureScope(func(sc *sentry.Scope) {
		for k, v := range tags {
			sc.SetTag(k, v)
		}
		if span := trace.SpanContextFromContext(ctx); span.IsValid() {
			sc.SetTag("trace_id", span.TraceID().String())
		}
	})
	f(h)
}

// CaptureError reports err.
func (s *Sentry) CaptureError(ctx context.Context, err error, tags Tags) {
	if s == nil || err == nil {
		return
	}
	s.scoped(ctx, tags, func(h *sentry.Hub) { h.CaptureException(err) })
}

// CapturePanic reports a recovered panic value.
func (s *Sentry) CapturePanic(ctx context.Context, v any, tags Tags) {
	if s == nil || v == nil {
		return
	}
	s.scoped(ctx, tags, func(h *sentry.Hub) {
		if err, ok := v.(error); ok {
			h.RecoverWithContext(ctx, err)
			return
		}
		h.RecoverWithContext(ctx, v)
	})
}

// Flush waits up to timeout for the events to be sent; it reports an
// error when some were not.
func (s *Sentry) Flush(timeout time.Duration) error {
	if s == nil {
		return nil
	}
	if !s.hub.Flush(timeout) {
		return errors.New("sentry: some events were not sent before the timeout")
	}
	return nil
}

// Close flushes the events for up to timeout, then stops the client's
// background workers. The reporter must not be used afterwards.
func (s *Sentry) Close(timeout time.Duration) error {
	if s == nil {
		return nil
	}
	err := s.Flush(timeout)
	s.hub.Client().Close()
	return err
}
