package demo

import (
	"fmt"
	"math"
	"time"

	"github.com/hamba/avro/v2/ocf"
	"github.com/shoalhq/shoal"
)

const (
	dateLayout = "2006-01-02"
	kib        = shoal.KiB
	mib        = shoal.MiB
)

// On-disk size models, per table, fitted on generated files: a file of n
// rows takes about overhead + n*perRow bytes. They turn a target file size
// into a row count.
var (
	sizeClickstream    = rowSize{4100, 73.6}
	sizePageViews      = rowSize{740, 59.2}
	sizeSessions       = rowSize{4300, 27.2}
	sizeOrders         = rowSize{4000, 19.4}
	sizeOrderItems     = rowSize{1200, 60}
	sizeOrderItemsZlib = rowSize{1200, 29.9}
	sizeCustomers      = rowSize{3400, 23.4}
	sizeAppLogs        = rowSize{180, 26.7}
	sizeAudit          = rowSize{0, 106}
	sizeLedger         = rowSize{0, 74}
	sizeGLEntries      = rowSize{0, 138}
	sizeUploads        = rowSize{60, 80}
	sizeBackup         = rowSize{1100, 44.4}
)

// rowSize models the size of a file from its number of rows.
type rowSize struct{ overhead, perRow float64 }

// rows returns the number of rows for a file of about size bytes, at least 1.
func (m rowSize) rows(size int64) int64 {
	return max(1, int64((float64(size)-m.overhead)/m.perRow))
}

// Size classes (see Thresholds).
const (
	// Healthy files are at least 2.2 MiB, more than half the target, so that
	// a healthy partition with one or two files has nothing to merge.
	healthyMin = 2*mib + mib/5
	healthyMax = 3*mib + 4*mib/5
)

// build plans every table of the demo warehouse.
func (p *plan) build() {
	p.clickstream()
	p.pageViews()
	p.sessions()
	p.orders()
	p.orderItems()
	p.customers()
	p.appLogs()
	p.auditEvents()
	p.ledger()
	p.glEntries()
	p.fxRates()
	p.stagingUploads()
	p.webEventsBackup()
}

// web.clickstream: a Spark structured streaming sink. Every micro-batch
// writes one tiny Parquet file, a few hundred per day; the oldest partition
// was emptied by a retention job that left the directory behind.
func (p *plan) clickstream() {
	b := p.table("web", "clickstream", shoal.FormatParquet, ClassStreaming, shoal.TableExternal, "dt")
	days := b.days(7, 3)
	var batches int
	for i := days - 1; i >= 0; i-- {
		from, to := p.day(i)
		ps := b.partition(from, from.Format(dateLayout))
		if i == days-1 {
			continue
		}
		n := int(math.Round(float64(b.count(150, 350)) * p.elapsed(from, 24*time.Hour)))
		prev := from
		for j := range n {
			end := from.Add(to.Sub(from) * time.Duration(j+1) / time.Duration(n))
			mtime := b.at(end.Add(-to.Sub(from)/time.Duration(2*n)), end)
			size := b.logSize(1*kib, 50*kib)
			b.file(ps, fmt.Sprintf("part-00000-%s.c000.snappy.parquet", b.uuid()),
				clickstreamParquet, sizeClickstream.rows(size), mtime, prev, mtime)
			prev = mtime
			batches++
		}
		if i == 0 && n > 0 {
			// The current micro-batch is still being written.
			attempt := fmt.Sprintf("_temporary/0/_temporary/attempt_%s_0042_m_%06d_0", p.now.Format("20060102150405"), 0)
			for k := range 2 {
				mtime := b.at(prev, p.now)
				b.file(ps, fmt.Sprintf("%s/part-%05d-%s.c000.snappy.parquet", attempt, k, b.uuid()),
					clickstreamParquet, sizeClickstream.rows(b.logSize(1*kib, 8*kib)), mtime, prev, mtime)
			}
		}
	}
	aux := b.aux()
	for k := range min(batches, 10) {
		from, _ := p.day(min(k, days-2))
		mtime := b.at(from, from.Add(24*time.Hour))
		b.file(aux, fmt.Sprintf("_spark_metadata/%d", batches-1-k), sparkMetadata, 0, mtime, from, mtime)
	}
}

// web.page_views: Kafka Connect HDFS sink writing Avro, partitioned by day
// and hour, flushing a file every few minutes per Kafka partition.
func (p *plan) pageViews() {
	b := p.table("web", "page_views", shoal.FormatAvro, ClassStreaming, shoal.TableExternal, "dt", "hour")
	var offsets [3]int64
	for k := range offsets {
		offsets[k] = 10_000_000 + b.r.Int64N(1_000_000)
	}
	for i := b.days(2, 1) - 1; i >= 0; i-- {
		day, _ := p.day(i)
		for h := range 24 {
			from := day.Add(time.Duration(h) * time.Hour)
			if !from.Before(p.now) {
				break
			}
			to := minTime(from.Add(time.Hour), p.now)
			ps := b.partition(from, day.Format(dateLayout), fmt.Sprintf("%02d", h))
			n := max(1, int(math.Round(float64(b.count(3, 15))*p.elapsed(from, time.Hour))))
			prev := from
			for j := range n {
				end := from.Add(to.Sub(from) * time.Duration(j+1) / time.Duration(n))
				mtime := b.at(end.Add(-to.Sub(from)/time.Duration(2*n)), end)
				rows := sizePageViews.rows(b.logSize(2*kib, 40*kib))
				kp := j % len(offsets)
				start := offsets[kp]
				offsets[kp] += rows
				b.file(ps, fmt.Sprintf("page_views+%d+%010d+%010d.avro", kp, start, start+rows-1),
					pageViewsAvro(ocf.Snappy), rows, mtime, prev, mtime)
				prev = mtime
			}
		}
	}
}

// web.sessions: a nightly Spark job with dynamic partitions by day and
// country. Sessions without a country land in __HIVE_DEFAULT_PARTITION__.
func (p *plan) sessions() {
	b := p.table("web", "sessions", shoal.FormatParquet, ClassBatch, shoal.TableManaged, "dt", "country")
	days := b.days(7, 2)
	var last time.Time
	for i := days; i >= 1; i-- {
		from, to := p.day(i)
		job := b.at(from.Add(22*time.Hour), from.Add(23*time.Hour+30*time.Minute))
		jobID := b.uuid()
		values := countries[:7]
		if i == 1 {
			values = append(values[:7:7], hiveDefault)
		}
		part := 0
		for _, c := range values {
			ps := b.partition(from, from.Format(dateLayout), c)
			if i == days && c == "JP" {
				continue // the job wrote no rows for JP that day
			}
			for range b.count(1, 4) {
				mtime := b.at(job, job.Add(5*time.Minute))
				b.file(ps, fmt.Sprintf("part-%05d-%s.c000.zstd.parquet", part, jobID),
					sessionsParquet, sizeSessions.rows(b.logSize(16*kib, 320*kib)), mtime, from, to)
				part++
				last = maxTime(last, mtime)
			}
		}
	}
	b.file(b.aux(), "_SUCCESS", empty, 0, last.Add(time.Second), last, last)
}

// sales.orders: a nightly Spark batch with a _SUCCESS marker per partition.
// One night wrote no rows, and a failed Hive insert left a staging
// directory behind.
func (p *plan) orders() {
	b := p.table("sales", "orders", shoal.FormatParquet, ClassBatch, shoal.TableManaged, "dt")
	days := b.days(30, 3)
	for i := days; i >= 1; i-- {
		from, to := p.day(i)
		ps := b.partition(from, from.Format(dateLayout))
		job := b.at(from.Add(21*time.Hour), from.Add(23*time.Hour))
		jobID := b.uuid()
		last := job
		if i != 2 {
			for j := range b.count(2, 5) {
				mtime := b.at(job, job.Add(10*time.Minute))
				b.file(ps, fmt.Sprintf("part-%05d-%s.c000.zstd.parquet", j, jobID),
					ordersParquet, sizeOrders.rows(b.logSize(32*kib, 512*kib)), mtime, from, to)
				last = maxTime(last, mtime)
			}
		}
		b.file(ps, "_SUCCESS", empty, 0, last.Add(time.Second), last, last)
		if i == min(5, days) {
			staging := fmt.Sprintf(".hive-staging_hive_%s_%d-1/-ext-10000/000000_0",
				job.Format("2006-01-02_15-04-05_000"), 1_000_000_000_000_000_000+b.r.Int64N(1_000_000_000_000_000_000))
			b.file(ps, staging, ordersParquet, sizeOrders.rows(64*kib), job.Add(-time.Minute), from, to)
		}
	}
}

// sales.order_items: Hive INSERT OVERWRITE into ORC, one file per reducer,
// with a late INSERT INTO on some days that adds a _copy_1 file. The table
// was switched from orc.compress=NONE to ZLIB ten days ago: each partition
// has a single codec, the table has two.
func (p *plan) orderItems() {
	b := p.table("sales", "order_items", shoal.FormatORC, ClassBatch, shoal.TableManaged, "dt")
	for i := b.days(30, 2); i >= 1; i-- {
		from, to := p.day(i)
		ps := b.partition(from, from.Format(dateLayout))
		c, size := orderItemsORC(false), sizeOrderItems
		if i <= 10 {
			c, size = orderItemsORC(true), sizeOrderItemsZlib
		}
		job := b.at(from.Add(20*time.Hour), from.Add(22*time.Hour))
		for j := range b.count(1, 3) {
			mtime := b.at(job, job.Add(3*time.Minute))
			b.file(ps, fmt.Sprintf("%06d_0", j), c, size.rows(b.logSize(24*kib, 512*kib)), mtime, from, to)
		}
		if b.r.IntN(10) < 3 {
			mtime := b.at(job.Add(30*time.Minute), job.Add(90*time.Minute))
			b.file(ps, "000000_0_copy_1", c, size.rows(b.logSize(8*kib, 64*kib)), mtime, from, to)
		}
	}
}

// sales.customers: an unpartitioned dimension table that a daily
// INSERT INTO appends to, one more _copy_N file each day.
func (p *plan) customers() {
	b := p.table("sales", "customers", shoal.FormatParquet, ClassBatch, shoal.TableManaged)
	n := b.days(40, 3)
	oldest, _ := p.day(n)
	ps := b.unpartitioned(oldest)
	for j := range n {
		from, _ := p.day(n - j)
		mtime := b.at(from.Add(time.Hour), from.Add(90*time.Minute))
		name := "000000_0"
		if j > 0 {
			name = fmt.Sprintf("000000_0_copy_%d", j)
		}
		b.file(ps, name, customersParquet, sizeCustomers.rows(b.logSize(8*kib, 192*kib)), mtime, from, mtime)
	}
}

// logs.app_logs: Flume HDFS sink writing gzip-compressed text, partitioned
// by day and hour, rolling files every few minutes. The file being written
// has Flume's in-use prefix and suffix, which hide it from Hive.
func (p *plan) appLogs() {
	b := p.table("logs", "app_logs", shoal.FormatTextGzip, ClassStreaming, shoal.TableExternal, "dt", "hour")
	var newest *partSpec
	var newestFrom time.Time
	for i := b.days(3, 1) - 1; i >= 0; i-- {
		day, _ := p.day(i)
		for h := range 24 {
			from := day.Add(time.Duration(h) * time.Hour)
			if !from.Before(p.now) {
				break
			}
			to := minTime(from.Add(time.Hour), p.now)
			ps := b.partition(from, day.Format(dateLayout), fmt.Sprintf("%02d", h))
			newest, newestFrom = ps, from
			n := b.count(2, 8)
			prev := from
			for j := range n {
				end := from.Add(to.Sub(from) * time.Duration(j+1) / time.Duration(n))
				mtime := b.at(end.Add(-to.Sub(from)/time.Duration(2*n)), end)
				b.file(ps, fmt.Sprintf("FlumeData.%d.gz", from.UnixMilli()+int64(j)),
					appLogsGzip, sizeAppLogs.rows(b.logSize(1*kib, 32*kib)), mtime, prev, mtime)
				prev = mtime
			}
		}
	}
	if newest != nil {
		mtime := b.at(newestFrom, p.now)
		b.file(newest, fmt.Sprintf(".FlumeData.%d.gz.tmp", newestFrom.UnixMilli()+99),
			appLogsGzip, 40, mtime, newestFrom, mtime)
	}
}

// logs.audit_events: Hive default text (\x01-separated) loaded every six
// hours into a partition keyed by the batch timestamp, whose ':' Hive
// escapes in the directory name. Reducers without rows leave zero-byte
// files.
func (p *plan) auditEvents() {
	b := p.table("logs", "audit_events", shoal.FormatText, ClassBatch, shoal.TableManaged, "batch_ts")
	k := 0
	for i := b.days(5, 1) - 1; i >= 0; i-- {
		day, _ := p.day(i)
		for h := 0; h < 24; h += 6 {
			from := day.Add(time.Duration(h) * time.Hour)
			if !from.Before(p.now) {
				break
			}
			to := minTime(from.Add(6*time.Hour), p.now)
			ps := b.partition(from, from.Format("2006-01-02 15:04:05"))
			job := b.at(from.Add(5*time.Minute), to)
			n := b.count(1, 4)
			for j := range n {
				mtime := b.at(job, job.Add(2*time.Minute))
				b.file(ps, fmt.Sprintf("%06d_0", j), auditText,
					sizeAudit.rows(b.logSize(1*kib, 96*kib)), mtime, from, to)
			}
			if k%3 == 0 {
				b.file(ps, fmt.Sprintf("%06d_0", n), empty, 0, b.at(job, job.Add(2*time.Minute)), from, to)
			}
			k++
		}
	}
}

// finance.ledger: a healthy table compacted nightly into one or two large
// Parquet files per day.
func (p *plan) ledger() {
	b := p.table("finance", "ledger", shoal.FormatParquet, ClassHealthy, shoal.TableManaged, "dt")
	for i := b.days(10, 1); i >= 1; i-- {
		from, to := p.day(i)
		ps := b.partition(from, from.Format(dateLayout))
		job := b.at(from.Add(23*time.Hour), from.Add(23*time.Hour+30*time.Minute))
		jobID := b.uuid()
		last := job
		for j := range b.count(1, 2) {
			mtime := b.at(job, job.Add(5*time.Minute))
			b.file(ps, fmt.Sprintf("part-%05d-%s.c000.zstd.parquet", j, jobID),
				ledgerParquet, sizeLedger.rows(b.uniformSize(healthyMin, healthyMax)), mtime, from, to)
			last = maxTime(last, mtime)
		}
		b.file(ps, "_SUCCESS", empty, 0, last.Add(time.Second), last, last)
	}
}

// finance.gl_entries: a healthy ORC table without compression
// (orc.compress=NONE), one large file per day.
func (p *plan) glEntries() {
	b := p.table("finance", "gl_entries", shoal.FormatORC, ClassHealthy, shoal.TableManaged, "dt")
	for i := b.days(4, 1); i >= 1; i-- {
		from, to := p.day(i)
		ps := b.partition(from, from.Format(dateLayout))
		mtime := b.at(from.Add(23*time.Hour), from.Add(23*time.Hour+30*time.Minute))
		b.file(ps, "000000_0", glEntriesORC,
			sizeGLEntries.rows(b.uniformSize(healthyMin, healthyMax)), mtime, from, to)
	}
}

// finance.fx_rates: an external CSV table fed one tiny file a business day;
// weekend partitions exist but stay empty.
func (p *plan) fxRates() {
	b := p.table("finance", "fx_rates", shoal.FormatText, ClassBatch, shoal.TableExternal, "dt")
	b.t.m.HeaderLines = 1
	b.properties(b.aux())
	for i := b.days(30, 2); i >= 1; i-- {
		from, to := p.day(i)
		ps := b.partition(from, from.Format(dateLayout))
		if wd := from.Weekday(); wd == time.Saturday || wd == time.Sunday {
			continue
		}
		mtime := b.at(from.Add(16*time.Hour), from.Add(16*time.Hour+30*time.Minute))
		b.file(ps, "fx_rates_"+from.Format("20060102")+".csv", fxRatesCSV, int64(len(currencies)-1), mtime, from, to)
	}
}

// default.staging_uploads: an unpartitioned external CSV table filled by
// copying files from a local disk, which brought Hadoop's .crc checksum
// files along. One upload failed and left a zero-byte file.
func (p *plan) stagingUploads() {
	b := p.table("default", "staging_uploads", shoal.FormatText, ClassBatch, shoal.TableExternal)
	b.t.m.HeaderLines = 1
	n := b.days(12, 3)
	oldest, _ := p.day(n)
	ps := b.unpartitioned(oldest)
	b.properties(ps)
	for j := range n {
		from, _ := p.day(n - j)
		mtime := b.at(from.Add(9*time.Hour), from.Add(17*time.Hour))
		c, rows := content(uploadsCSV), sizeUploads.rows(b.logSize(1*kib, 64*kib))
		if j == 1 {
			c, rows = empty, 0
		}
		f := b.file(ps, fmt.Sprintf("upload_%04d.csv", j+1), c, rows, mtime, from, mtime)
		f.crc = true
	}
}

// default.web_events_backup: a nightly Hive backup of page views into Avro,
// two days behind. A failed attempt left a _temporary directory.
func (p *plan) webEventsBackup() {
	b := p.table("default", "web_events_backup", shoal.FormatAvro, ClassBatch, shoal.TableManaged, "dt")
	days := b.days(10, 1)
	for i := days + 1; i >= 2; i-- {
		from, to := p.day(i)
		ps := b.partition(from, from.Format(dateLayout))
		job := b.at(from.Add(22*time.Hour), from.Add(23*time.Hour))
		for j := range b.count(1, 3) {
			mtime := b.at(job, job.Add(5*time.Minute))
			b.file(ps, fmt.Sprintf("%06d_0", j), pageViewsAvro(ocf.Deflate),
				sizeBackup.rows(b.logSize(64*kib, 640*kib)), mtime, from, to)
		}
		if i == 2 {
			rel := fmt.Sprintf("_temporary/1/_temporary/attempt_%s_0007_m_000000_0/000000_0", job.Format("20060102150405"))
			b.file(ps, rel, pageViewsAvro(ocf.Deflate), sizeBackup.rows(32*kib), job.Add(-10*time.Minute), from, to)
		}
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
