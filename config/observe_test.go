package config_test

import (
	"strings"
	"testing"

	"github.com/shoalhq/shoal/config"
)

func TestValidate_Observability(t *testing.T) {
	t.Parallel()
	valid := func() config.Config {
		c := config.DefaultConfig()
		c.Catalog.URL = "warehouse:///data"
		c.Store.URL = "sqlite:///tmp/s.db"
		return c
	}
	good := valid()
	good.Tracing = config.TracingConfig{Enabled: true, Endpoint: "http://otel:4318", SampleRatio: 0.25, ServiceName: "shoal"}
	good.Sentry = config.SentryConfig{DSN: "https://key@o1.ingest.sentry.io/42", Environment: "prod", SampleRate: 0.5}
	good.Notify = config.NotifyConfig{
		Channels: []config.NotifyChannel{
			{Name: "hook", Type: "webhook", URL: "https://hooks.example.com/x", Secret: "s"},
			{Name: "ding", Type: "dingtalk", URL: "https://oapi.dingtalk.com/robot/send?access_token=t", Secret: "SEC"},
			{Name: "mail", Type: "email", To: []string{"ops@example.com"}},
		},
		Routes:       []config.NotifyRoute{{Events: []string{"job_failed", "rollback"}, Catalogs: []string{"default"}, Channels: []string{"hook", "ding"}}},
		SMTP:         config.SMTPConfig{Addr: "smtp.example.com:587", From: "shoal@example.com", TLS: "starttls"},
		DailySummary: "08:00",
	}
	if err := good.Validate(true); err != nil {
		t.Fatalf("valid settings: %v", err)
	}
	for _, c := range []struct {
		change func(*config.Config)
		want   string
	}{
		{func(c *config.Config) { c.Worker.Addr = "9090" }, `worker.addr: "9090" is not host:port`},
		{func(c *config.Config) { c.Worker.Addr = ":99999" }, `worker.addr: ":99999" has no valid port`},
		{func(c *config.Config) { c.Tracing.SampleRatio = 1.5 }, "tracing.sample_ratio: must be between 0 and 1"},
		{func(c *config.Config) { c.Tracing.Endpoint = "grpc://otel:4317" }, "tracing.endpoint"},
		{func(c *config.Config) { c.Tracing.Enabled, c.Tracing.ServiceName = true, "" }, "tracing.service_name: is required"},
		{func(c *config.Config) { c.Sentry.SampleRate = 0 }, "sentry.sample_rate: must be greater than 0"},
		{func(c *config.Config) { c.Sentry.DSN = "https://o1.ingest.sentry.io/42" }, "sentry.dsn:"},
		{func(c *config.Config) {
			c.Notify.Channels = []config.NotifyChannel{{Name: "a", Type: "pager", URL: "https://x"}}
		}, `notify.channels[0].type: "pager" is not webhook, slack, dingtalk or email`},
		{func(c *config.Config) {
			c.Notify.Channels = []config.NotifyChannel{{Name: "a", Type: "slack"}}
		}, "notify.channels[0].url: is required for a slack channel"},
		{func(c *config.Config) {
			c.Notify.Channels = []config.NotifyChannel{{Name: "a", Type: "webhook", URL: "https://x"}, {Name: "a", Type: "webhook", URL: "https://y"}}
		}, `notify.channels[1].name: "a" is used by another channel`},
		{func(c *config.Config) {
			c.Notify.Channels = []config.NotifyChannel{{Name: "m", Type: "email", To: []string{"not an address"}}}
		}, `notify.channels[0].to: "not an address" is not an email address`},
		{func(c *config.Config) {
			c.Notify.Channels = []config.NotifyChannel{{Name: "m", Type: "email", To: []string{"a@example.com"}}}
		}, "notify.smtp.addr: is required by email channels"},
		{func(c *config.Config) {
			c.Notify.Channels = []config.NotifyChannel{{Name: "a", Type: "webhook", URL: "https://x"}}
			c.Notify.Routes = []config.NotifyRoute{{Events: []string{"job_done"}, Channels: []string{"b"}}}
		}, `notify.routes[0].events: "job_done" is not job_failed, rollback or daily_summary`},
		{func(c *config.Config) {
			c.Notify.Channels = []config.NotifyChannel{{Name: "a", Type: "webhook", URL: "https://x"}}
			c.Notify.Routes = []config.NotifyRoute{{Channels: []string{"b"}}}
		}, `notify.routes[0].channels: "b" is not a configured channel`},
		{func(c *config.Config) { c.Notify.DailySummary = "8:00am" }, `notify.daily_summary: "8:00am" is not a UTC time of day HH:MM`},
		{func(c *config.Config) { c.Notify.DailySummary = "24:00" }, "notify.daily_summary"},
		{func(c *config.Config) { c.Notify.SMTP.TLS = "ssl" }, `notify.smtp.tls: "ssl" is not starttls, tls or none`},
	} {
		cfg := valid()
		c.change(&cfg)
		err := cfg.Validate(true)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("want an error with %q, got %v", c.want, err)
		}
	}
	// An empty worker.addr turns the listener off and is valid.
	off := valid()
	off.Worker.Addr = ""
	if err := off.Validate(true); err != nil {
		t.Errorf("empty worker.addr: %v", err)
	}
}
