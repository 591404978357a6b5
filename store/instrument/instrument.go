// Package instrument measures a shoal.Store: the latency of every store
// call by method, whether the store answers a ping, and the connection
// pool's use. Wrap puts the measurement around any Store; Collector
// exports the ping and the pool at each scrape.
package instrument

import (
	"context"
	"database/sql"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/shoalhq/shoal"
)

// Ops are the store methods measured, the values of the op label.
var Ops = []string{
	"Ping", "CreateScan", "UpdateScan", "GetScan", "ListScans", "LatestSnapshot", "SnapshotWriter",
	"WritePartitions", "WriteTables", "DeleteSnapshot", "PruneSnapshots", "ListDatabases", "ListTables",
	"GetTable", "ListPartitions", "TableTrend", "WarehouseTrend", "ListPolicies", "PutPolicy", "DeletePolicy",
	"CreateMergeJob", "UpdateMergeJob", "GetMergeJob", "ListMergeJobs", "PutMergeResult", "PendingSwaps",
	"ExpiredBackups", "AcquireLease", "ReleaseLease", "LeaseHolder", "StealLease", "AppendAudit", "ListAudit",
}

// Metrics holds the store query latency histogram.
type Metrics struct {
	duration *prometheus.HistogramVec
}

// NewMetrics registers shoal_store_query_duration_seconds with reg, with a
// series for every op.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "shoal_store_query_duration_seconds",
		Help:    "Latency of store calls by method (op), successful or not.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"op"})}
	reg.MustRegister(m.duration)
	for _, op := range Ops {
		m.duration.WithLabelValues(op)
	}
	return m
}

// Store is a shoal.Store that measures every call of the store it wraps.
type Store struct {
	st  shoal.Store
	obs map[string]prometheus.Observer
}

// Wrap returns st measured by m.
func Wrap(st shoal.Store, m *Metrics) *Store {
	s := &Store{st: st, obs: make(map[string]prometheus.Observer, len(Ops))}
	for _, op := range Ops {
		s.obs[op] = m.duration.WithLabelValues(op)
	}
	return s
}

// Unwrap returns the wrapped store.
func (o *Store) Unwrap() shoal.Store { return o.st }

// observe starts timing op; the returned function records it.
func (o *Store) observe(op string) func() {
	start := time.Now()
	h := o.obs[op]
	return func() { h.Observe(time.Since(start).Seconds()) }
}

// Close implements shoal.Store.
func (o *Store) Close() error { return o.st.Close() }

type snapshotWriter struct {
	w shoal.SnapshotWriter
	s *Store
}

func (w *snapshotWriter) WritePartitions(ctx context.Context, ps []shoal.PartitionStats) error {
	defer w.s.observe("WritePartitions")()
	return w.w.WritePartitions(ctx, ps)
}

func (w *snapshotWriter) WriteTables(ctx context.Context, ts []shoal.TableStats) error {
	defer w.s.observe("WriteTables")()
	return w.w.WriteTables(ctx, ts)
}

func (w *snapshotWriter) Close() error { return w.w.Close() }

// PoolStats reports the store's connections: idle and in use.
type PoolStats func() (idle, inUse int)

// SQLPool reports the connections of a database/sql pool.
func SQLPool(db *sql.DB) PoolStats {
	return func() (int, int) {
		s := db.Stats()
		return s.Idle, s.InUse
	}
}

// PgxPool reports the connections of a pgx pool.
func PgxPool(p *pgxpool.Pool) PoolStats {
	return func() (int, int) {
		s := p.Stat()
		return int(s.IdleConns()), int(s.AcquiredConns())
	}
}

// Collector exports shoal_store_up, from a ping at each scrape, and
// shoal_store_pool_connections{state}.
type Collector struct {
	st      shoal.Store
	pool    PoolStats
	timeout time.Duration
	up      *prometheus.Desc
	conns   *prometheus.Desc
}

// NewCollector returns a collector that pings st with a 2 s timeout;
// pool may be nil when the pool is unknown (then both states report 0).
func NewCollector(st shoal.Store, pool PoolStats) *Collector {
	return &Collector{
		st: st, pool: pool, timeout: 2 * time.Second,
		up: prometheus.NewDesc("shoal_store_up",
			"1 when the store answered its last ping (at this scrape), else 0.", nil, nil),
		conns: prometheus.NewDesc("shoal_store_pool_connections",
			"Connections of the store's pool by state (idle, in_use).", []string{"state"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.up
	ch <- c.conns
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	up := 1.0
	if err := c.st.Ping(ctx); err != nil {
		up = 0
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, up)
	var idle, inUse int
	if c.pool != nil {
		idle, inUse = c.pool()
	}
	ch <- prometheus.MustNewConstMetric(c.conns, prometheus.GaugeValue, float64(idle), "idle")
	ch <- prometheus.MustNewConstMetric(c.conns, prometheus.GaugeValue, float64(inUse), "in_use")
}
