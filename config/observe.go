package config

import (
	"fmt"
	"math"
	"net"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// TracingConfig configures OpenTelemetry tracing over OTLP/HTTP.
type TracingConfig struct {
	// Enabled turns tracing on (default false).
	Enabled bool `yaml:"enabled"`
	// Endpoint is the OTLP/HTTP collector base URL, for example
	// http://otel-collector:4318 (traces go to /v1/traces). Empty uses
	// OTEL_EXPORTER_OTLP_ENDPOINT, then http://localhost:4318.
	Endpoint string `yaml:"endpoint"`
	// SampleRatio is the share of new traces recorded, 0 to 1 (default 1).
	// Requests that arrive with a sampled parent are always recorded.
	SampleRatio float64 `yaml:"sample_ratio"`
	// ServiceName names the service in traces (default "shoal").
	ServiceName string `yaml:"service_name"`
}

// SentryConfig reports panics and errors to Sentry.
type SentryConfig struct {
	// DSN of the Sentry project; empty (the default) turns Sentry off.
	// It is a secret: set it through SHOAL_SENTRY_DSN.
	DSN string `yaml:"dsn"`
	// Environment tags events, for example production or staging.
	Environment string `yaml:"environment"`
	// SampleRate is the share of error events sent, 0 to 1 (default 1).
	SampleRate float64 `yaml:"sample_rate"`
}

// NotifyConfig sends notifications about jobs to chat and mail.
type NotifyConfig struct {
	// Channels are the places notifications go.
	Channels []NotifyChannel `yaml:"channels"`
	// Routes pick the channels of each event; with no routes, every event
	// goes to every channel.
	Routes []NotifyRoute `yaml:"routes"`
	// SMTP is the mail server of email channels.
	SMTP SMTPConfig `yaml:"smtp"`
	// DailySummary is the UTC time of day (HH:MM) of the daily summary;
	// empty (the default) sends none.
	DailySummary string `yaml:"daily_summary"`
}

// NotifyChannel is one destination of notifications.
type NotifyChannel struct {
	// Name identifies the channel in routes.
	Name string `yaml:"name"`
	// Type is webhook (a JSON POST), slack (an incoming webhook),
	// dingtalk (a robot webhook) or email.
	Type string `yaml:"type"`
	// URL is the webhook URL (webhook, slack, dingtalk). Webhook URLs hold
	// secrets: write ${ENV_VAR} to take it from the environment.
	URL string `yaml:"url"`
	// Secret signs DingTalk robot requests (its "加签" secret) and, for
	// webhook channels, the body (X-Shoal-Signature: sha256=HMAC).
	Secret string `yaml:"secret"`
	// To lists the recipients of an email channel.
	To []string `yaml:"to"`
}

// NotifyRoute sends some events to some channels.
type NotifyRoute struct {
	// Events: job_failed, rollback, daily_summary (empty: all of them).
	Events []string `yaml:"events"`
	// Catalogs limits the route to these catalogs (empty: all of them).
	Catalogs []string `yaml:"catalogs"`
	// Channels are the names of the channels the events go to.
	Channels []string `yaml:"channels"`
}

// SMTPConfig is the mail server of email notifications.
type SMTPConfig struct {
	// Addr is host:port of the SMTP server.
	Addr string `yaml:"addr"`
	// From is the sender address.
	From string `yaml:"from"`
	// Username and Password authenticate (PLAIN, only over TLS or to
	// localhost). Set the password through SHOAL_NOTIFY_SMTP_PASSWORD.
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// TLS is starttls (default: upgrade when the server offers it), tls
	// (implicit TLS, port 465) or none.
	TLS string `yaml:"tls"`
}

// Notification event types (NotifyRoute.Events).
const (
	EventJobFailed    = "job_failed"
	EventRollback     = "rollback"
	EventDailySummary = "daily_summary"
)

// NotifyEvents lists the notification event types.
var NotifyEvents = []string{EventJobFailed, EventRollback, EventDailySummary}

// NotifyTypes lists the notification channel types.
var NotifyTypes = []string{"webhook", "slack", "dingtalk", "email"}

// validateObservability checks the tracing, sentry, notify and worker.addr
// settings; each error names its field.
func (c *Config) validateObservability() []error {
	var errs []error
	bad := func(field string, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if a := c.Worker.Addr; a != "" {
		if _, port, err := net.SplitHostPort(a); err != nil {
			bad("worker.addr", "%q is not host:port (empty turns the listener off)", a)
		} else if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
			bad("worker.addr", "%q has no valid port", a)
		}
	}
	t := c.Tracing
	if t.SampleRatio < 0 || t.SampleRatio > 1 || math.IsNaN(t.SampleRatio) {
		bad("tracing.sample_ratio", "must be between 0 and 1, got %g", t.SampleRatio)
	}
	if t.Endpoint != "" {
		if err := checkURL(t.Endpoint, "http", "https"); err != nil {
			bad("tracing.endpoint", "%v", err)
		}
	}
	if t.Enabled && t.ServiceName == "" {
		bad("tracing.service_name", "is required when tracing is enabled")
	}
	s := c.Sentry
	if s.SampleRate <= 0 || s.SampleRate > 1 || math.IsNaN(s.SampleRate) {
		bad("sentry.sample_rate", "must be greater than 0 and at most 1, got %g (leave sentry.dsn empty to turn Sentry off)", s.SampleRate)
	}
	if s.DSN != "" {
		if u, err := url.Parse(s.DSN); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User == nil || u.User.Username() == "" || strings.Trim(u.Path, "/") == "" {
			bad("sentry.dsn", "%s is not a Sentry DSN such as https://KEY@o0.ingest.sentry.io/PROJECT", redact(s.DSN))
		}
	}
	errs = append(errs, c.Notify.validate()...)
	return errs
}

// validate checks the notification channels and routes.
func (n *NotifyConfig) validate() []error {
	var errs []error
	bad := func(field string, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	names := map[string]bool{}
	email := false
	for i, ch := range n.Channels {
		f := fmt.Sprintf("notify.channels[%d]", i)
		switch {
		case ch.Name == "":
			bad(f+".name", "is required")
		case !validName(ch.Name):
			bad(f+".name", "%q must be 1 to 64 letters, digits, '-' or '_'", ch.Name)
		case names[ch.Name]:
			bad(f+".name", "%q is used by another channel", ch.Name)
		}
		names[ch.Name] = true
		switch ch.Type {
		case "webhook", "slack", "dingtalk":
			if ch.URL == "" {
				bad(f+".url", "is required for a %s channel", ch.Type)
			} else if err := checkURL(ch.URL, "http", "https"); err != nil {
				bad(f+".url", "%v", err)
			}
			if len(ch.To) > 0 {
				bad(f+".to", "applies to email channels only")
			}
			if ch.Type == "slack" && ch.Secret != "" {
				bad(f+".secret", "does not apply to slack channels (the URL is the secret)")
			}
		case "email":
			email = true
			if len(ch.To) == 0 {
				bad(f+".to", "lists no recipient")
			}
			for _, to := range ch.To {
				if _, err := mail.ParseAddress(to); err != nil {
					bad(f+".to", "%q is not an email address", to)
				}
			}
			if ch.URL != "" || ch.Secret != "" {
				bad(f, "url and secret do not apply to email channels")
			}
		default:
			bad(f+".type", "%q is not webhook, slack, dingtalk or email", ch.Type)
		}
	}
	for i, r := range n.Routes {
		f := fmt.Sprintf("notify.routes[%d]", i)
		for _, e := range r.Events {
			if !slices.Contains(NotifyEvents, e) {
				bad(f+".events", "%q is not job_failed, rollback or daily_summary", e)
			}
		}
		if len(r.Channels) == 0 {
			bad(f+".channels", "names no channel")
		}
		for _, c := range r.Channels {
			if !names[c] {
				bad(f+".channels", "%q is not a configured channel", c)
			}
		}
		for _, c := range r.Catalogs {
			if c == "" {
				bad(f+".catalogs", "holds an empty name")
			}
		}
	}
	if email {
		if n.SMTP.Addr == "" {
			bad("notify.smtp.addr", "is required by email channels")
		} else if _, port, err := net.SplitHostPort(n.SMTP.Addr); err != nil || port == "" {
			bad("notify.smtp.addr", "%q is not host:port", n.SMTP.Addr)
		}
		if _, err := mail.ParseAddress(n.SMTP.From); err != nil {
			bad("notify.smtp.from", "%q is not an email address", n.SMTP.From)
		}
	}
	switch n.SMTP.TLS {
	case "", "starttls", "tls", "none":
	default:
		bad("notify.smtp.tls", "%q is not starttls, tls or none", n.SMTP.TLS)
	}
	if n.SMTP.Password != "" && n.SMTP.Username == "" {
		bad("notify.smtp.username", "is required with a password")
	}
	if n.DailySummary != "" {
		if _, err := time.Parse("15:04", n.DailySummary); err != nil || len(n.DailySummary) != 5 {
			bad("notify.daily_summary", "%q is not a UTC time of day HH:MM", n.DailySummary)
		}
	}
	return errs
}
