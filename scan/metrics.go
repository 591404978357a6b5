package scan

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/shoalhq/shoal"
)

// Metrics counts the work of scanners. Labels are bounded: none.
type Metrics struct {
	listings   prometheus.Counter
	partitions prometheus.Counter
	files      prometheus.Counter
	bytes      prometheus.Counter
	errors     prometheus.Counter
}

// NewMetrics registers the scan metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		listings: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "shoal_scan_listings_total",
			Help: "Directory listings made by scans (the operations a NameNode serves).",
		}),
		partitions: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "shoal_scan_partitions_total",
			Help: "Partitions listed by scans.",
		}),
		files: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "shoal_scan_files_total",
			Help: "Files seen by scans.",
		}),
		bytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "shoal_scan_bytes_total",
			Help: "Bytes of the files seen by scans.",
		}),
		errors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "shoal_scan_partition_errors_total",
			Help: "Partitions that could not be listed.",
		}),
	}
	reg.MustRegister(m.listings, m.partitions, m.files, m.bytes, m.errors)
	return m
}

func (m *Metrics) observe(p *shoal.PartitionStats) {
	m.partitions.Inc()
	m.files.Add(float64(p.Files))
	m.bytes.Add(float64(p.Bytes))
	if p.Error != "" {
		m.errors.Inc()
	}
}
