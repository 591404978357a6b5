package config

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
