package demo

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/hamba/avro/v2"
	"github.com/hamba/avro/v2/ocf"
	"github.com/parquet-go/parquet-go"
	pzstd "github.com/parquet-go/parquet-go/compress/zstd"
	"github.com/scritchley/orc"
)

// content writes the bytes of one file into buf. It returns the number of
// rows written (0 for files without rows, such as _SUCCESS markers).
type content func(buf *bytes.Buffer, f *fileSpec, r *rand.Rand) (rows int64, err error)

// Vocabulary for the generated rows.
var (
	countries  = []string{"US", "GB", "DE", "FR", "IN", "BR", "JP", "CA", "NL", "ES", "AU", "MX"}
	currencies = []string{"USD", "EUR", "GBP", "JPY", "INR", "BRL", "CAD", "AUD", "CHF", "SEK", "NOK", "DKK", "PLN", "MXN", "CNY", "HKD", "SGD", "NZD", "KRW", "ZAR", "TRY", "CZK", "HUF", "ILS", "THB", "IDR", "MYR", "PHP", "RON", "ISK"}
	paths      = []string{"/", "/search", "/cart", "/checkout", "/account", "/product/%d", "/category/%d", "/help", "/blog/%d", "/deals"}
	referrers  = []string{"", "https://www.google.com/", "https://www.bing.com/", "https://t.co/", "https://www.facebook.com/", "https://news.ycombinator.com/", "https://duckduckgo.com/"}
	userAgents = []string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
		"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
		"Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
	}
	devices     = []string{"desktop", "mobile", "tablet", "tv"}
	orderStates = []string{"PLACED", "PAID", "SHIPPED", "DELIVERED", "CANCELLED", "RETURNED"}
	channels    = []string{"web", "ios", "android", "store", "partner"}
	firstNames  = []string{"Ada", "Alan", "Grace", "Linus", "Margaret", "Ken", "Barbara", "Dennis", "Frances", "Edsger", "Radia", "Donald", "Hedy", "John", "Sophie", "Tim"}
	lastNames   = []string{"Lovelace", "Turing", "Hopper", "Torvalds", "Hamilton", "Thompson", "Liskov", "Ritchie", "Allen", "Dijkstra", "Perlman", "Knuth", "Lamarr", "Backus", "Wilson", "Berners-Lee"}
	domains     = []string{"example.com", "example.org", "mail.example", "corp.example", "shop.example"}
	accounts    = []string{"1000-cash", "1100-receivables", "1200-inventory", "2000-payables", "2100-accrued", "3000-equity", "4000-revenue", "4100-returns", "5000-cogs", "6000-payroll", "6100-rent", "6200-marketing", "6300-cloud"}
	costCenters = []string{"CC-100", "CC-110", "CC-200", "CC-210", "CC-300", "CC-400", "CC-500"}
	memos       = []string{"invoice", "payment received", "refund", "accrual", "reversal", "fx revaluation", "depreciation", "payroll run", "vendor credit", "intercompany transfer"}
	services    = []string{"checkout-svc", "cart-svc", "search-svc", "auth-svc", "catalog-svc", "payments-svc"}
	logLevels   = []string{"INFO", "INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"}
	httpPaths   = []string{"/api/cart", "/api/checkout", "/api/search", "/api/login", "/api/products", "/api/orders", "/healthz"}
	actors      = []string{"alice", "bob", "carol", "dave", "erin", "svc-etl", "svc-report", "svc-backup"}
	actions     = []string{"SELECT", "INSERT", "ALTER", "DROP", "GRANT", "LOGIN", "LOGOUT", "EXPORT"}
	resources   = []string{"sales.orders", "sales.customers", "finance.ledger", "web.sessions", "hr.salaries", "logs.app_logs"}
	outcomes    = []string{"ok", "ok", "ok", "ok", "denied", "error"}
)

func pick(r *rand.Rand, s []string) string { return s[r.IntN(len(s))] }

// uuid returns a random version 4 UUID string.
func uuid(r *rand.Rand) string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], r.Uint64())
	binary.LittleEndian.PutUint64(b[8:], r.Uint64())
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}

// hexID returns n random bytes in hex.
func hexID(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return hex.EncodeToString(b)
}

// rowTime spreads row i of n over the file's window, in order, at
// millisecond precision.
func rowTime(f *fileSpec, r *rand.Rand, i, n int) time.Time {
	span := f.to.Sub(f.from)
	if span <= 0 || n <= 0 {
		return f.from
	}
	step := span / time.Duration(n)
	t := f.from.Add(step*time.Duration(i) + time.Duration(r.Int64N(int64(step)+1)))
	if !t.Before(f.to) {
		t = f.to.Add(-time.Millisecond)
	}
	return t.Truncate(time.Millisecond)
}

func amountCents(r *rand.Rand, lo, hi float64) int64 {
	return int64(math.Exp(math.Log(lo) + r.Float64()*(math.Log(hi)-math.Log(lo))))
}

// Parquet rows.

type clickEvent struct {
	EventID    string    `parquet:"event_id"`
	EventTime  time.Time `parquet:"event_time,timestamp(millisecond)"`
	UserID     int64     `parquet:"user_id"`
	SessionID  string    `parquet:"session_id"`
	URL        string    `parquet:"url"`
	Referrer   string    `parquet:"referrer,dict"`
	UserAgent  string    `parquet:"user_agent,dict"`
	Country    string    `parquet:"country,dict"`
	DurationMs int32     `parquet:"duration_ms"`
}

type session struct {
	SessionID    string    `parquet:"session_id"`
	UserID       int64     `parquet:"user_id"`
	StartedAt    time.Time `parquet:"started_at,timestamp(millisecond)"`
	EndedAt      time.Time `parquet:"ended_at,timestamp(millisecond)"`
	PageViews    int32     `parquet:"page_views"`
	Device       string    `parquet:"device,dict"`
	Country      *string   `parquet:"country,optional,dict"`
	RevenueCents int64     `parquet:"revenue,decimal(2:18)"`
}

type order struct {
	OrderID       int64     `parquet:"order_id"`
	OrderRef      string    `parquet:"order_ref"`
	CustomerID    int64     `parquet:"customer_id"`
	OrderedAt     time.Time `parquet:"ordered_at,timestamp(millisecond)"`
	Status        string    `parquet:"status,dict"`
	Channel       string    `parquet:"channel,dict"`
	Currency      string    `parquet:"currency,dict"`
	TotalCents    int64     `parquet:"total,decimal(2:18)"`
	DiscountCents int64     `parquet:"discount,decimal(2:18)"`
	CouponCode    string    `parquet:"coupon_code"`
}

type customer struct {
	CustomerID         int64     `parquet:"customer_id"`
	Email              string    `parquet:"email"`
	FirstName          string    `parquet:"first_name,dict"`
	LastName           string    `parquet:"last_name,dict"`
	Country            string    `parquet:"country,dict"`
	CreatedAt          time.Time `parquet:"created_at,timestamp(millisecond)"`
	LifetimeValueCents int64     `parquet:"lifetime_value,decimal(2:18)"`
}

type ledgerEntry struct {
	EntryID     string    `parquet:"entry_id"`
	PostedAt    time.Time `parquet:"posted_at,timestamp(microsecond)"`
	Account     string    `parquet:"account,dict"`
	CostCenter  string    `parquet:"cost_center,dict"`
	DebitCents  int64     `parquet:"debit,decimal(2:18)"`
	CreditCents int64     `parquet:"credit,decimal(2:18)"`
	Currency    string    `parquet:"currency,dict"`
	Memo        string    `parquet:"memo,dict"`
	Reference   string    `parquet:"reference"`
}

func writeParquet[T any](buf *bytes.Buffer, rows int64, codec parquet.WriterOption, gen func(i int, row *T)) error {
	w := parquet.NewGenericWriter[T](buf, codec)
	batch := make([]T, min(rows, 512))
	for done := 0; done < int(rows); {
		n := min(len(batch), int(rows)-done)
		for i := range n {
			gen(done+i, &batch[i])
		}
		if _, err := w.Write(batch[:n]); err != nil {
			return fmt.Errorf("write parquet rows: %w", err)
		}
		done += n
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("close parquet writer: %w", err)
	}
	return nil
}

var (
	snappy = parquet.Compression(&parquet.Snappy)
	// zstd is level 1: the demo favours generation speed over file size.
	zstd = parquet.Compression(&pzstd.Codec{Level: pzstd.SpeedFastest})
)

func clickstreamParquet(buf *bytes.Buffer, f *fileSpec, r *rand.Rand) (int64, error) {
	n := int(f.rows)
	return f.rows, writeParquet(buf, f.rows, snappy, func(i int, e *clickEvent) {
		*e = clickEvent{
			EventID:    uuid(r),
			EventTime:  rowTime(f, r, i, n),
			UserID:     r.Int64N(5_000_000),
			SessionID:  hexID(r, 8),
			URL:        fmt.Sprintf(pick(r, paths), r.IntN(10000)),
			Referrer:   pick(r, referrers),
			UserAgent:  pick(r, userAgents),
			Country:    pick(r, countries),
			DurationMs: int32(r.IntN(120_000)),
		}
	})
}

func sessionsParquet(buf *bytes.Buffer, f *fileSpec, r *rand.Rand) (int64, error) {
	n := int(f.rows)
	var country *string
	if c := f.values[1]; c != hiveDefault {
		country = &c
	}
	return f.rows, writeParquet(buf, f.rows, zstd, func(i int, s *session) {
		start := rowTime(f, r, i, n)
		*s = session{
			SessionID:    hexID(r, 8),
			UserID:       r.Int64N(5_000_000),
			StartedAt:    start,
			EndedAt:      start.Add(time.Duration(r.IntN(3600)) * time.Second),
			PageViews:    int32(1 + r.IntN(40)),
			Device:       pick(r, devices),
			Country:      country,
			RevenueCents: max(0, amountCents(r, 1, 50_000)-2000),
		}
	})
}

func ordersParquet(buf *bytes.Buffer, f *fileSpec, r *rand.Rand) (int64, error) {
	n := int(f.rows)
	base := f.from.Unix() * 1000
	return f.rows, writeParquet(buf, f.rows, zstd, func(i int, o *order) {
		total := amountCents(r, 500, 250_000)
		coupon := ""
		if r.IntN(5) == 0 {
			coupon = "SAVE" + strconv.Itoa(5*(1+r.IntN(6)))
		}
		*o = order{
			OrderID:       base + int64(f.seq)*100_000 + int64(i),
			OrderRef:      "ORD-" + hexID(r, 6),
			CustomerID:    r.Int64N(2_000_000),
			OrderedAt:     rowTime(f, r, i, n),
			Status:        pick(r, orderStates),
			Channel:       pick(r, channels),
			Currency:      currencies[r.IntN(4)],
			TotalCents:    total,
			DiscountCents: total / 100 * int64(r.IntN(3)*5),
			CouponCode:    coupon,
		}
	})
}

func customersParquet(buf *bytes.Buffer, f *fileSpec, r *rand.Rand) (int64, error) {
	n := int(f.rows)
	return f.rows, writeParquet(buf, f.rows, snappy, func(i int, c *customer) {
		first, last := pick(r, firstNames), pick(r, lastNames)
		id := int64(f.seq)*1_000_000 + int64(i)
		*c = customer{
			CustomerID:         id,
			Email:              fmt.Sprintf("%s.%s.%d@%s", first, last, id, pick(r, domains)),
			FirstName:          first,
			LastName:           last,
			Country:            pick(r, countries),
			CreatedAt:          rowTime(f, r, i, n),
			LifetimeValueCents: amountCents(r, 100, 5_000_000),
		}
	})
}

func ledgerParquet(buf *bytes.Buffer, f *fileSpec, r *rand.Rand) (int64, error) {
	n := int(f.rows)
	return f.rows, writeParquet(buf, f.rows, zstd, func(i int, e *ledgerEntry) {
		amt := amountCents(r, 100, 10_000_000)
		var debit, credit int64
		if r.IntN(2) == 0 {
			debit = amt
		} else {
			credit = amt
		}
		*e = ledgerEntry{
			EntryID:     uuid(r),
			PostedAt:    rowTime(f, r, i, n).Add(time.Duration(r.IntN(1000)) * time.Microsecond),
			Account:     pick(r, accounts),
			CostCenter:  pick(r, costCenters),
			DebitCents:  debit,
			CreditCents: credit,
			Currency:    currencies[r.IntN(3)],
			Memo:        pick(r, memos),
			Reference:   hexID(r, 12),
		}
	})
}

// Avro rows.

type pageView struct {
	ViewID   string    `avro:"view_id"`
	UserID   int64     `avro:"user_id"`
	ViewedAt time.Time `avro:"viewed_at"`
	URL      string    `avro:"url"`
	Referrer *string   `avro:"referrer"`
	Country  string    `avro:"country"`
	LoadMs   int32     `avro:"load_ms"`
}

var pageViewSchema = avro.MustParse(`{
  "type": "record", "name": "PageView", "namespace": "com.example.web",
  "fields": [
    {"name": "view_id", "type": "string"},
    {"name": "user_id", "type": "long"},
    {"name": "viewed_at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    {"name": "url", "type": "string"},
    {"name": "referrer", "type": ["null", "string"], "default": null},
    {"name": "country", "type": "string"},
    {"name": "load_ms", "type": "int"}
  ]
}`)

func pageViewsAvro(codec ocf.CodecName) content {
	return func(buf *bytes.Buffer, f *fileSpec, r *rand.Rand) (int64, error) {
		var sync [16]byte
		binary.LittleEndian.PutUint64(sync[:8], r.Uint64())
		binary.LittleEndian.PutUint64(sync[8:], r.Uint64())
		codecOpt := ocf.WithCodec(codec)
		if codec == ocf.Deflate {
			codecOpt = ocf.WithCompressionLevel(flate.BestSpeed)
		}
		start := buf.Len()
		enc, err := ocf.NewEncoderWithSchema(pageViewSchema, buf,
			codecOpt, ocf.WithSyncBlock(sync), ocf.WithBlockLength(1000))
		if err != nil {
			return 0, fmt.Errorf("new avro encoder: %w", err)
		}
		if err := sortAvroHeader(buf.Bytes()[start:], sync); err != nil {
			return 0, err
		}
		n := int(f.rows)
		for i := range n {
			v := pageView{
				ViewID:   uuid(r),
				UserID:   r.Int64N(5_000_000),
				ViewedAt: rowTime(f, r, i, n),
				URL:      fmt.Sprintf(pick(r, paths), r.IntN(10000)),
				Country:  pick(r, countries),
				LoadMs:   int32(50 + r.IntN(3000)),
			}
			if ref := pick(r, referrers); ref != "" {
				v.Referrer = &ref
			}
			if err := enc.Encode(&v); err != nil {
				return 0, fmt.Errorf("encode avro record: %w", err)
			}
		}
		if err := enc.Close(); err != nil {
			return 0, fmt.Errorf("close avro encoder: %w", err)
		}
		return f.rows, nil
	}
}

// sortAvroHeader rewrites the object container header at the start of b,
// the only thing the encoder has written yet, with its metadata keys in
// sorted order: the encoder writes them in Go's random map order, which
// would make files differ from run to run.
func sortAvroHeader(b []byte, sync [16]byte) error {
	dec, err := ocf.NewDecoder(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("read avro header: %w", err)
	}
	meta := dec.Metadata()
	var entries []byte
	for _, k := range slices.Sorted(maps.Keys(meta)) {
		entries = binary.AppendVarint(entries, int64(len(k)))
		entries = append(entries, k...)
		entries = binary.AppendVarint(entries, int64(len(meta[k])))
		entries = append(entries, meta[k]...)
	}
	h := []byte("Obj\x01")
	// A map block starts with its count, or with the negated count and its
	// size in bytes; keep the form the encoder chose.
	if count, _ := binary.Varint(b[4:]); count < 0 {
		h = binary.AppendVarint(h, -int64(len(meta)))
		h = binary.AppendVarint(h, int64(len(entries)))
	} else {
		h = binary.AppendVarint(h, int64(len(meta)))
	}
	h = append(h, entries...)
	h = append(h, 0)
	h = append(h, sync[:]...)
	if len(h) != len(b) {
		return fmt.Errorf("avro header: rebuilt %d bytes, encoder wrote %d", len(h), len(b))
	}
	copy(b, h)
	return nil
}

// ORC rows.

const (
	orderItemsSchema = "struct<line_id:string,order_id:bigint,line_no:int,sku:string,quantity:int,unit_price_cents:bigint,discount_cents:bigint,updated_at:timestamp>"
	glEntriesSchema  = "struct<entry_id:string,posted_at:timestamp,account:string,cost_center:string,amount_cents:bigint,currency:string,memo:string,reference:string,checksum:string>"
)

func writeORC(buf *bytes.Buffer, schema string, codec orc.CompressionCodec, rows int64, gen func(i int) []any) error {
	td, err := orc.ParseSchema(schema)
	if err != nil {
		return fmt.Errorf("parse orc schema: %w", err)
	}
	w, err := orc.NewWriter(buf, orc.SetSchema(td), orc.SetCompression(codec))
	if err != nil {
		return fmt.Errorf("new orc writer: %w", err)
	}
	for i := range int(rows) {
		if err := w.Write(gen(i)...); err != nil {
			return fmt.Errorf("write orc row: %w", err)
		}
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("close orc writer: %w", err)
	}
	return nil
}

// orderItemsORC returns the content of an order_items file, compressed
// with ZLIB or not at all.
func orderItemsORC(zlib bool) content {
	codec := orc.CompressionCodec(orc.CompressionNone{})
	if zlib {
		codec = orc.CompressionZlib{Level: flate.BestSpeed}
	}
	return func(buf *bytes.Buffer, f *fileSpec, r *rand.Rand) (int64, error) {
		return orderItems(buf, f, r, codec)
	}
}

func orderItems(buf *bytes.Buffer, f *fileSpec, r *rand.Rand, codec orc.CompressionCodec) (int64, error) {
	n := int(f.rows)
	base := f.from.Unix() * 1000
	row := make([]any, 8)
	orderID, line := base+int64(f.seq)*100_000, 1
	return f.rows, writeORC(buf, orderItemsSchema, codec, f.rows, func(i int) []any {
		if r.IntN(3) == 0 {
			orderID++
			line = 1
		}
		row[0] = uuid(r)
		row[1] = orderID
		row[2] = int64(line)
		row[3] = fmt.Sprintf("SKU-%06d", r.IntN(200_000))
		row[4] = int64(1 + r.IntN(5))
		row[5] = amountCents(r, 199, 99_999)
		row[6] = int64(r.IntN(4) * 100)
		row[7] = rowTime(f, r, i, n)
		line++
		return row
	})
}

func glEntriesORC(buf *bytes.Buffer, f *fileSpec, r *rand.Rand) (int64, error) {
	n := int(f.rows)
	row := make([]any, 9)
	return f.rows, writeORC(buf, glEntriesSchema, orc.CompressionNone{}, f.rows, func(i int) []any {
		row[0] = uuid(r)
		row[1] = rowTime(f, r, i, n)
		row[2] = pick(r, accounts)
		row[3] = pick(r, costCenters)
		row[4] = amountCents(r, 100, 10_000_000) * int64(1-2*r.IntN(2))
		row[5] = currencies[r.IntN(3)]
		row[6] = pick(r, memos)
		row[7] = hexID(r, 12)
		row[8] = hexID(r, 32)
		return row
	})
}

// Text rows.

// gzipWriters reuse gzip writers, whose allocation costs more than
// compressing a small file.
var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return zw
}}

// appLogsGzip writes gzip-compressed application log lines.
func appLogsGzip(buf *bytes.Buffer, f *fileSpec, r *rand.Rand) (int64, error) {
	zw := gzipWriters.Get().(*gzip.Writer)
	defer gzipWriters.Put(zw)
	zw.Reset(buf)
	n := int(f.rows)
	line := make([]byte, 0, 256)
	for i := range n {
		t := rowTime(f, r, i, n)
		line = t.AppendFormat(line[:0], "2006-01-02T15:04:05.000Z07:00")
		line = fmt.Appendf(line, " %-5s %s [req=%s] GET %s %d %dms\n",
			pick(r, logLevels), pick(r, services), hexID(r, 8), pick(r, httpPaths),
			[]int{200, 200, 200, 201, 204, 304, 400, 404, 500}[r.IntN(9)], 1+r.IntN(900))
		if _, err := zw.Write(line); err != nil {
			return 0, fmt.Errorf("write gzip: %w", err)
		}
	}
	if err := zw.Close(); err != nil {
		return 0, fmt.Errorf("close gzip writer: %w", err)
	}
	return f.rows, nil
}

// auditText writes Hive default text rows: fields separated by \x01.
func auditText(buf *bytes.Buffer, f *fileSpec, r *rand.Rand) (int64, error) {
	n := int(f.rows)
	for i := range n {
		fmt.Fprintf(buf, "%s\x01%s\x01%s\x01%s\x01%s\x01%s\x0110.%d.%d.%d\n",
			uuid(r), rowTime(f, r, i, n).Format("2006-01-02 15:04:05.000"),
			pick(r, actors), pick(r, actions), pick(r, resources), pick(r, outcomes),
			r.IntN(256), r.IntN(256), r.IntN(256))
	}
	return f.rows, nil
}

// fxRatesCSV writes one day of exchange rates against USD, with a header.
func fxRatesCSV(buf *bytes.Buffer, f *fileSpec, r *rand.Rand) (int64, error) {
	buf.WriteString("rate_date,base_currency,quote_currency,rate,source\n")
	day := f.values[0]
	var rows int64
	for _, c := range currencies[1:] {
		fmt.Fprintf(buf, "%s,USD,%s,%.6f,ECB\n", day, c, 0.1+r.Float64()*150)
		rows++
	}
	return rows, nil
}

// uploadsCSV writes a CSV upload with a header.
func uploadsCSV(buf *bytes.Buffer, f *fileSpec, r *rand.Rand) (int64, error) {
	buf.WriteString("upload_id,customer_email,order_ref,amount,currency,uploaded_at\n")
	n := int(f.rows)
	for i := range n {
		fmt.Fprintf(buf, "%d,%s.%s@%s,ORD-%08d,%d.%02d,%s,%s\n",
			f.seq*100_000+i, pick(r, firstNames), pick(r, lastNames), pick(r, domains),
			r.IntN(100_000_000), r.IntN(5000), r.IntN(100), currencies[r.IntN(4)],
			rowTime(f, r, i, n).Format(time.RFC3339))
	}
	return f.rows, nil
}

// Hidden and auxiliary files.

// tblProperties writes the TBLPROPERTIES of a table with header lines.
func tblProperties(headerLines int) content {
	return func(buf *bytes.Buffer, _ *fileSpec, _ *rand.Rand) (int64, error) {
		fmt.Fprintf(buf, "# TBLPROPERTIES, read by Shoal's warehouse catalog\nskip.header.line.count=%d\n", headerLines)
		return 0, nil
	}
}

func empty(*bytes.Buffer, *fileSpec, *rand.Rand) (int64, error) { return 0, nil }

// sparkMetadata writes a Spark structured streaming sink log entry.
func sparkMetadata(buf *bytes.Buffer, f *fileSpec, r *rand.Rand) (int64, error) {
	buf.WriteString("v1\n")
	for range 1 + r.IntN(4) {
		fmt.Fprintf(buf, `{"path":"part-00000-%s.c000.snappy.parquet","size":%d,"isDir":false,"modificationTime":%d,"blockReplication":1,"blockSize":33554432,"action":"add"}`+"\n",
			uuid(r), 1024+r.IntN(50*1024), f.mtime.UnixMilli())
	}
	return 0, nil
}

// hadoopCRC returns the content of a Hadoop ChecksumFileSystem .crc file for
// data: the "crc\0" magic, the bytes per checksum, and one big-endian CRC32
// per 512-byte chunk.
func hadoopCRC(data []byte) []byte {
	const chunk = 512
	out := make([]byte, 0, 8+4*(len(data)/chunk+1))
	out = append(out, 'c', 'r', 'c', 0)
	out = binary.BigEndian.AppendUint32(out, chunk)
	for len(data) > 0 {
		n := min(chunk, len(data))
		out = binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(data[:n]))
		data = data[n:]
	}
	return out
}
