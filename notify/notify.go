// Package notify sends Shoal's notifications (a job failed, a merge was
// rolled back, the daily summary) to webhooks, Slack, DingTalk robots and
// email, routed by event and catalog.
//
// A Notifier never blocks the job that raises an event: events go into a
// bounded queue that a few goroutines deliver, each delivery with a
// timeout and retries with backoff. When the queue is full the delivery is
// dropped and counted as failed.
package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shoalhq/shoal/config"
)

// Event types.
const (
	JobFailed    = config.EventJobFailed
	Rollback     = config.EventRollback
	DailySummary = config.EventDailySummary
)

// Event is one notification.
type Event struct {
	// Type is JobFailed, Rollback or DailySummary.
	Type string `json:"event"`
	// Catalog is the catalog the event is about; empty for a summary of
	// several catalogs.
	Catalog string    `json:"catalog,omitempty"`
	Title   string    `json:"title"`
	Text    string    `json:"text"`
	At      time.Time `json:"at"`
	// Job is set for job_failed and rollback events.
	Job *Job `json:"job,omitempty"`
	// Summary is set for daily_summary events.
	Summary *Summary `json:"summary,omitempty"`
}

// Job identifies the job of an event.
type Job struct {
	Kind  string `json:"kind"` // scan or merge
	ID    int64  `json:"id"`
	Table string `json:"table,omitempty"`
	Error string `json:"error,omitempty"`
}

// Sender delivers an event to one channel.
type Sender interface {
	// Type is webhook, slack, dingtalk or email.
	Type() string
	Send(ctx context.Context, e Event) error
}

// Options tune delivery; zero values take the defaults.
type Options struct {
	// QueueSize bounds the deliveries waiting to be sent (default 256).
	QueueSize int
	// Workers deliver in parallel (default 2).
	Workers int
	// Attempts per delivery (default 3).
	Attempts int
	// Backoff before the second attempt, doubled after each (default 2s).
	Backoff time.Duration
	// Timeout of one attempt (default 10s).
	Timeout time.Duration
}

func (o *Options) defaults() {
	if o.QueueSize <= 0 {
		o.QueueSize = 256
	}
	if o.Workers <= 0 {
		o.Workers = 2
	}
	if o.Attempts <= 0 {
		o.Attempts = 3
	}
	if o.Backoff <= 0 {
		o.Backoff = 2 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
}

// Metrics counts notifications by channel type and status.
type Metrics struct {
	total *prometheus.CounterVec
}

// NewMetrics registers shoal_notifications_total with reg, with a series
// for every type and status.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{total: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "shoal_notifications_total",
		Help: "Notifications by channel type (webhook, slack, dingtalk, email) and status (sent, or failed after all retries or dropped).",
	}, []string{"type", "status"})}
	reg.MustRegister(m.total)
	for _, t := range config.NotifyTypes {
		m.total.WithLabelValues(t, "sent")
		m.total.WithLabelValues(t, "failed")
	}
	return m
}

func (m *Metrics) count(typ, status string) {
	if m != nil {
		m.total.WithLabelValues(typ, status).Inc()
	}
}

type channel struct {
	name   string
	sender Sender
}

type delivery struct {
	ch channel
	e  Event
}

// Notifier routes events to channels and delivers them in the background.
// A nil *Notifier ignores events.
type Notifier struct {
	channels map[string]channel
	order    []string
	routes   []config.NotifyRoute
	opts     Options
	metrics  *Metrics
	log      *slog.Logger

	queue   chan delivery
	wg      sync.WaitGroup
	mu      sync.RWMutex
	closed  bool
	stop    chan struct{}
	dropped atomic.Int64
}

// New builds a notifier for cfg, or returns nil when cfg has no channel.
// It starts its delivery goroutines; Close stops them.
func New(cfg config.NotifyConfig, m *Metrics, log *slog.Logger, opts Options) (*Notifier, error) {
	if len(cfg.Channels) == 0 {
		return nil, nil
	}
	senders := map[string]Sender{}
	var errs []error
	for _, c := range cfg.Channels {
		s, err := NewSender(c, cfg.SMTP)
		if err != nil {
			errs = append(errs, fmt.Errorf("notify channel %s: %w", c.Name, err))
			continue
		}
		senders[c.Name] = s
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return NewWith(senders, cfg.Routes, m, log, opts), nil
}

// NewSender returns the sender of one configured channel.
func NewSender(c config.NotifyChannel, smtp config.SMTPConfig) (Sender, error) {
	switch c.Type {
	case "webhook":
		return &Webhook{URL: c.URL, Secret: c.Secret}, nil
	case "slack":
		return &Slack{URL: c.URL}, nil
	case "dingtalk":
		return &DingTalk{URL: c.URL, Secret: c.Secret}, nil
	case "email":
		return &Email{Addr: smtp.Addr, From: smtp.From, To: c.To, Username: smtp.Username, Password: smtp.Password, TLS: smtp.TLS}, nil
	}
	return nil, fmt.Errorf("unknown channel type %q", c.Type)
}

// NewWith builds a notifier over named senders. Routes name the senders;
// with no routes every event goes to every sender.
func NewWith(senders map[string]Sender, routes []config.NotifyRoute, m *Metrics, log *slog.Logger, opts Options) *Notifier {
	opts.defaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	n := &Notifier{
		channels: map[string]channel{}, routes: routes, opts: opts, metrics: m, log: log,
		queue: make(chan delivery, opts.QueueSize), stop: make(chan struct{}),
	}
	for name, s := range senders {
		n.channels[name] = channel{name: name, sender: s}
		n.order = append(n.order, name)
	}
	slices.Sort(n.order)
	for range opts.Workers {
		n.wg.Add(1)
		go n.run()
	}
	return n
}

// deliveries resolves the routes of e: one delivery per channel. A daily
// summary sent through routes limited to some catalogs holds only those.
func (n *Notifier) deliveries(e Event) []delivery {
	if len(n.routes) == 0 {
		out := make([]delivery, 0, len(n.order))
		for _, name := range n.order {
			out = append(out, delivery{n.channels[name], e})
		}
		return out
	}
	// For each channel: nil catalogs means every catalog.
	type pick struct {
		all      bool
		catalogs []string
	}
	picked := map[string]*pick{}
	var order []string
	for _, r := range n.routes {
		if len(r.Events) > 0 && !slices.Contains(r.Events, e.Type) {
			continue
		}
		var cats []string
		switch {
		case len(r.Catalogs) == 0:
		case e.Type == DailySummary && e.Summary != nil:
			for _, c := range e.Summary.Catalogs {
				if slices.Contains(r.Catalogs, c.Name) {
					cats = append(cats, c.Name)
				}
			}
			if len(cats) == 0 {
				continue
			}
		case !slices.Contains(r.Catalogs, e.Catalog):
			continue
		}
		for _, name := range r.Channels {
			p, ok := picked[name]
			if !ok {
				p = &pick{}
				picked[name] = p
				order = append(order, name)
			}
			if len(r.Catalogs) == 0 || e.Type != DailySummary {
				p.all = true
			}
			p.catalogs = append(p.catalogs, cats...)
		}
	}
	var out []delivery
	for _, name := range order {
		ch, ok := n.channels[name]
		if !ok {
			continue
		}
		ev := e
		if p := picked[name]; !p.all && e.Summary != nil {
			ev = e.Summary.only(p.catalogs).Event(e.At)
		}
		out = append(out, delivery{ch, ev})
	}
	return out
}

// Notify queues e for its channels and returns at once. A delivery that
// finds the queue full is dropped and counted as failed.
func (n *Notifier) Notify(e Event) {
	if n == nil {
		return
	}
	if e.At.IsZero() {
		e.At = time.Now().UTC()
	}
	n.mu.RLock()
	defer n.mu.RUnlock()
	for _, d := range n.deliveries(e) {
		if n.closed {
			n.metrics.count(d.ch.sender.Type(), "failed")
			continue
		}
		select {
		case n.queue <- d:
		default:
			n.metrics.count(d.ch.sender.Type(), "failed")
			n.log.Warn("notification dropped: queue full", "channel", d.ch.name, "event", e.Type)
		}
	}
}

// SendNow delivers e to its channels and waits, with the retries of a
// queued delivery; it returns the errors of the channels that failed. The
// daily summary job uses it, so that River retries a summary no channel
// took.
func (n *Notifier) SendNow(ctx context.Context, e Event) error {
	if n == nil {
		return nil
	}
	if e.At.IsZero() {
		e.At = time.Now().UTC()
	}
	var errs []error
	for _, d := range n.deliveries(e) {
		if err := n.deliver(ctx, d); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (n *Notifier) run() {
	defer n.wg.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-n.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	for d := range n.queue {
		if ctx.Err() != nil {
			// Shutdown ran out of time: what is left is not sent.
			n.metrics.count(d.ch.sender.Type(), "failed")
			n.dropped.Add(1)
			continue
		}
		_ = n.deliver(ctx, d)
	}
}

// deliver sends d with retries and backoff, and counts the outcome.
func (n *Notifier) deliver(ctx context.Context, d delivery) error {
	typ := d.ch.sender.Type()
	backoff := n.opts.Backoff
	var err error
	for attempt := 1; attempt <= n.opts.Attempts; attempt++ {
		actx, cancel := context.WithTimeout(ctx, n.opts.Timeout)
		err = d.ch.sender.Send(actx, d.e)
		cancel()
		if err == nil {
			n.metrics.count(typ, "sent")
			return nil
		}
		var perm *PermanentError
		if errors.As(err, &perm) || attempt == n.opts.Attempts {
			break
		}
		select {
		case <-time.After(backoff):
			backoff *= 2
		case <-ctx.Done():
			err = errors.Join(err, ctx.Err())
			attempt = n.opts.Attempts
		}
	}
	n.metrics.count(typ, "failed")
	n.log.Warn("notification failed", "channel", d.ch.name, "type", typ, "event", d.e.Type, "err", err)
	return fmt.Errorf("channel %s: %w", d.ch.name, err)
}

// Close delivers what is queued until ctx ends, then stops; deliveries
// cut short or left in the queue are counted as failed.
func (n *Notifier) Close(ctx context.Context) error {
	if n == nil {
		return nil
	}
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	close(n.queue)
	n.mu.Unlock()
	done := make(chan struct{})
	go func() { n.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		close(n.stop)
		<-done
		return fmt.Errorf("notify: %d notifications not sent before shutdown", n.dropped.Load())
	}
}

// PermanentError is an answer that a retry would not change (a 4xx other
// than 408 and 429, a rejected recipient).
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }
