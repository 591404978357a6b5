package notify_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shoalhq/shoal/config"
	"github.com/shoalhq/shoal/notify"
)

// request is one request a test webhook server received.
type request struct {
	Path   string
	Query  url.Values
	Header http.Header
	Body   []byte
}

// hookServer records requests and answers with status (200 by default).
type hookServer struct {
	*httptest.Server
	mu     sync.Mutex
	reqs   []request
	status atomic.Int32
	answer atomic.Value // string
}

func newHookServer(t *testing.T) *hookServer {
	t.Helper()
	h := &hookServer{}
	h.status.Store(200)
	h.answer.Store("ok")
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.reqs = append(h.reqs, request{Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Body: b})
		h.mu.Unlock()
		w.WriteHeader(int(h.status.Load()))
		_, _ = io.WriteString(w, h.answer.Load().(string))
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hookServer) requests() []request {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]request(nil), h.reqs...)
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func fastOpts() notify.Options {
	return notify.Options{Backoff: 10 * time.Millisecond, Timeout: 2 * time.Second, Attempts: 3}
}

func newNotifier(t *testing.T, cfg config.NotifyConfig, opts notify.Options) (*notify.Notifier, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	n, err := notify.New(cfg, notify.NewMetrics(reg), nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Close(context.Background()) })
	return n, reg
}

func count(t *testing.T, reg *prometheus.Registry, typ, status string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "shoal_notifications_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["type"] == typ && labels["status"] == status {
				return m.GetCounter().GetValue()
			}
		}
	}
	t.Fatalf("no shoal_notifications_total{type=%q,status=%q}", typ, status)
	return 0
}

func TestWebhook_PayloadAndSignature(t *testing.T) {
	t.Parallel()
	srv := newHookServer(t)
	const secret = "webhook-secret-123"
	n, reg := newNotifier(t, config.NotifyConfig{Channels: []config.NotifyChannel{
		{Name: "hook", Type: "webhook", URL: srv.URL + "/hook", Secret: secret},
	}}, fastOpts())
	n.Notify(notify.FailureEvent("merge", "prod", 42, "db1.events", "validation of part-0 failed"))
	waitFor(t, "the webhook", func() bool { return len(srv.requests()) == 1 })
	r := srv.requests()[0]
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(r.Body)
	if got, want := r.Header.Get("X-Shoal-Signature"), "sha256="+hex.EncodeToString(mac.Sum(nil)); got != want {
		t.Errorf("signature %q, want %q", got, want)
	}
	if r.Header.Get("Content-Type") != "application/json; charset=utf-8" || r.Header.Get("X-Shoal-Event") != "job_failed" {
		t.Errorf("headers %v", r.Header)
	}
	var got struct {
		Event, Catalog, Title, Text string
		Job                         struct {
			Kind  string
			ID    int64
			Table string
			Error string
		}
	}
	if err := json.Unmarshal(r.Body, &got); err != nil {
		t.Fatal(err)
	}
	if got.Event != "job_failed" || got.Catalog != "prod" || got.Job.Kind != "merge" || got.Job.ID != 42 ||
		got.Job.Table != "db1.events" || got.Job.Error != "validation of part-0 failed" || !strings.Contains(got.Title, "merge 42 failed") {
		t.Errorf("payload %s", r.Body)
	}
	waitFor(t, "the sent count", func() bool { return count(t, reg, "webhook", "sent") == 1 })
}

func TestDingTalk_SignedMarkdown(t *testing.T) {
	t.Parallel()
	srv := newHookServer(t)
	srv.answer.Store(`{"errcode":0,"errmsg":"ok"}`)
	const secret = "SEC0123456789abcdef"
	at := time.Date(2026, 11, 22, 8, 30, 0, 0, time.UTC)
	d := &notify.DingTalk{URL: srv.URL + "/robot/send?access_token=tok", Secret: secret, Now: func() time.Time { return at }}
	e := notify.FailureEvent("scan", "prod", 7, "", "metastore unreachable")
	if err := d.Send(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	r := srv.requests()[0]
	// The sign as DingTalk documents it, computed here independently.
	ts := strconv.FormatInt(at.UnixMilli(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "\n" + secret))
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	if r.Query.Get("timestamp") != ts || r.Query.Get("sign") != want || r.Query.Get("access_token") != "tok" {
		t.Errorf("query %v, want timestamp %s sign %s", r.Query, ts, want)
	}
	var msg struct {
		MsgType  string `json:"msgtype"`
		Markdown struct{ Title, Text string }
	}
	if err := json.Unmarshal(r.Body, &msg); err != nil {
		t.Fatal(err)
	}
	if msg.MsgType != "markdown" || msg.Markdown.Title != e.Title || !strings.HasPrefix(msg.Markdown.Text, "### "+e.Title) ||
		!strings.Contains(msg.Markdown.Text, "metastore unreachable") {
		t.Errorf("message %s", r.Body)
	}
	// DingTalk reports errors in a 200 answer.
	srv.answer.Store(`{"errcode":310000,"errmsg":"sign not match"}`)
	if err := d.Send(context.Background(), e); err == nil || !strings.Contains(err.Error(), "sign not match") {
		t.Errorf("errcode answer: err = %v", err)
	}
}

func TestSlack_Payload(t *testing.T) {
	t.Parallel()
	srv := newHookServer(t)
	s := &notify.Slack{URL: srv.URL + "/services/T/B/X"}
	e := notify.FailureEvent("scan", "lake", 3, "", "boom")
	if err := s.Send(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	var msg notify.SlackMessage
	if err := json.Unmarshal(srv.requests()[0].Body, &msg); err != nil {
		t.Fatal(err)
	}
	if msg.Text != e.Title || len(msg.Blocks) != 2 || msg.Blocks[1].Text.Type != "mrkdwn" || !strings.Contains(msg.Blocks[1].Text.Text, "boom") {
		t.Errorf("slack message %+v", msg)
	}
}

func TestNotifier_Routes(t *testing.T) {
	t.Parallel()
	srv := newHookServer(t)
	ch := func(name string) config.NotifyChannel {
		return config.NotifyChannel{Name: name, Type: "webhook", URL: srv.URL + "/" + name}
	}
	n, _ := newNotifier(t, config.NotifyConfig{
		Channels: []config.NotifyChannel{ch("prodfail"), ch("rollbacks"), ch("summary"), ch("all")},
		Routes: []config.NotifyRoute{
			{Events: []string{"job_failed"}, Catalogs: []string{"prod"}, Channels: []string{"prodfail"}},
			{Events: []string{"rollback"}, Channels: []string{"rollbacks"}},
			{Events: []string{"daily_summary"}, Catalogs: []string{"prod"}, Channels: []string{"summary"}},
			{Channels: []string{"all"}},
		},
	}, fastOpts())
	n.Notify(notify.FailureEvent("scan", "prod", 1, "", "x"))
	n.Notify(notify.FailureEvent("scan", "dev", 2, "", "y"))
	sum := &notify.Summary{Until: time.Now(), Catalogs: []notify.CatalogSummary{{Name: "prod", Files: 10}, {Name: "dev", Files: 5}}}
	n.Notify(sum.Event(time.Now()))
	waitFor(t, "5 deliveries", func() bool { return len(srv.requests()) == 5 })
	got := map[string][]string{}
	for _, r := range srv.requests() {
		var e notify.Event
		if err := json.Unmarshal(r.Body, &e); err != nil {
			t.Fatal(err)
		}
		desc := e.Type + ":" + e.Catalog
		if e.Summary != nil {
			for _, c := range e.Summary.Catalogs {
				desc += "+" + c.Name
			}
		}
		got[r.Path] = append(got[r.Path], desc)
	}
	want := map[string][]string{
		"/prodfail": {"job_failed:prod"},
		"/summary":  {"daily_summary:prod+prod"},
		"/all":      {"job_failed:prod", "job_failed:dev", "daily_summary:+prod+dev"},
	}
	for path, w := range want {
		if strings.Join(sortedCopy(got[path]), ",") != strings.Join(sortedCopy(w), ",") {
			t.Errorf("%s got %v, want %v", path, got[path], w)
		}
	}
	if len(got["/rollbacks"]) != 0 {
		t.Errorf("rollbacks channel got %v", got["/rollbacks"])
	}
}

func sortedCopy(s []string) []string {
	c := append([]string(nil), s...)
	for i := range c {
		for j := i + 1; j < len(c); j++ {
			if c[j] < c[i] {
				c[i], c[j] = c[j], c[i]
			}
		}
	}
	return c
}

func TestNotifier_RetriesAndFailures(t *testing.T) {
	t.Parallel()
	srv := newHookServer(t)
	var calls atomic.Int32
	flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) < 3 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer flaky.Close()
	srv.status.Store(http.StatusInternalServerError)
	n, reg := newNotifier(t, config.NotifyConfig{Channels: []config.NotifyChannel{
		{Name: "flaky", Type: "webhook", URL: flaky.URL},
		{Name: "down", Type: "slack", URL: srv.URL + "/down"},
	}, Routes: []config.NotifyRoute{
		{Channels: []string{"flaky", "down"}},
	}}, fastOpts())
	n.Notify(notify.FailureEvent("scan", "prod", 1, "", "x"))
	waitFor(t, "both outcomes", func() bool {
		return count(t, reg, "webhook", "sent") == 1 && count(t, reg, "slack", "failed") == 1
	})
	if calls.Load() != 3 {
		t.Errorf("flaky webhook called %d times, want 3 (two 502s, then 200)", calls.Load())
	}
	if got := len(srv.requests()); got != 3 {
		t.Errorf("failing slack called %d times, want 3 attempts", got)
	}
	// A 4xx is not retried.
	srv.status.Store(http.StatusNotFound)
	n.Notify(notify.FailureEvent("scan", "prod", 2, "", "y"))
	waitFor(t, "the second failure", func() bool { return count(t, reg, "slack", "failed") == 2 })
	if got := len(srv.requests()); got != 4 {
		t.Errorf("after a 404: %d requests, want 4 (no retry)", got)
	}
}

func TestNotifier_FullQueueDropsWithoutBlocking(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var started atomic.Int32
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started.Add(1)
		<-release
	}))
	defer slow.Close()
	defer close(release)
	opts := fastOpts()
	opts.QueueSize, opts.Workers, opts.Attempts = 1, 1, 1
	n, reg := newNotifier(t, config.NotifyConfig{Channels: []config.NotifyChannel{
		{Name: "slow", Type: "webhook", URL: slow.URL},
	}}, opts)
	n.Notify(notify.FailureEvent("scan", "prod", 1, "", "in flight"))
	waitFor(t, "the first delivery to start", func() bool { return started.Load() == 1 })
	start := time.Now()
	n.Notify(notify.FailureEvent("scan", "prod", 2, "", "queued"))
	n.Notify(notify.FailureEvent("scan", "prod", 3, "", "dropped"))
	n.Notify(notify.FailureEvent("scan", "prod", 4, "", "dropped"))
	if d := time.Since(start); d > 200*time.Millisecond {
		t.Errorf("Notify blocked for %s on a slow channel", d)
	}
	if got := count(t, reg, "webhook", "failed"); got != 2 {
		t.Errorf("failed = %v, want 2 dropped", got)
	}
}

func TestNew_BadChannel(t *testing.T) {
	t.Parallel()
	_, err := notify.New(config.NotifyConfig{Channels: []config.NotifyChannel{{Name: "x", Type: "pager"}}}, nil, nil, notify.Options{})
	if err == nil || !strings.Contains(err.Error(), `unknown channel type "pager"`) {
		t.Fatalf("err = %v", err)
	}
	n, err := notify.New(config.NotifyConfig{}, nil, nil, notify.Options{})
	if n != nil || err != nil {
		t.Fatalf("no channels: %v, %v", n, err)
	}
	n.Notify(notify.FailureEvent("scan", "", 1, "", "ignored by a nil notifier"))
}
