package main

import (
	"bytes"
	"compress/flate"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hamba/avro/v2"
	"github.com/hamba/avro/v2/ocf"
	"github.com/parquet-go/parquet-go"
	"github.com/scritchley/orc"
)

// genVersion changes when the generated files change, so that a reused
// input folder from an older generator is written anew.
const genVersion = 1

// targetSize is the size of one generated input file.
const targetSize = 1 << 20

// event is one row of the generated streaming table: a click stream as a
// Spark or Kafka Connect sink writes it, a small file per micro-batch.
type event struct {
	ID        int64     `parquet:"id"`
	User      string    `parquet:"user"`
	URL       string    `parquet:"url"`
	EventTime time.Time `parquet:"event_time,timestamp(millisecond)"`
	Amount    float64   `parquet:"amount"`
	Country   string    `parquet:"country,dict"`
}

var (
	paths     = []string{"/product/%d", "/search?q=item%d", "/cart/%d", "/checkout/%d/pay", "/api/v2/orders/%d", "/static/img/%d.png"}
	countries = []string{"US", "DE", "FR", "GB", "JP", "BR", "IN", "CA", "AU", "ES"}
	epoch     = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
)

// makeEvent fills e with row i of file f; the same (f, i) gives the same row.
func makeEvent(r *rand.Rand, f, rowsPerFile, i int, e *event) {
	*e = event{
		ID:        int64(f)*int64(rowsPerFile) + int64(i),
		User:      "user_" + strconv.Itoa(r.IntN(2_000_000)),
		URL:       fmt.Sprintf(paths[r.IntN(len(paths))], r.IntN(1_000_000)) + "&sid=" + strconv.FormatUint(r.Uint64()>>20, 36),
		EventTime: epoch.Add(time.Duration(f)*time.Minute + time.Duration(i)*time.Millisecond*3).Truncate(time.Millisecond),
		Amount:    float64(r.IntN(10_000_000)) / 100,
		Country:   countries[r.IntN(len(countries))],
	}
}

// format describes how one input format is generated and named.
type format struct {
	name string // parquet, orc, avro, text
	ext  string
	// write writes file f with rows rows to w.
	write func(w io.Writer, f, rows int) error
}

var formats = []format{
	{"parquet", ".snappy.parquet", writeParquet},
	{"orc", ".zlib.orc", writeORC},
	{"avro", ".avro", writeAvro},
	{"text", ".txt", writeText},
}

func formatByName(name string) format {
	for _, f := range formats {
		if f.name == name {
			return f
		}
	}
	panic("unknown format " + name)
}

func rng(f int) *rand.Rand { return rand.New(rand.NewPCG(uint64(f), 0x5108a1)) }

func writeParquet(w io.Writer, f, rows int) error {
	r := rng(f)
	pw := parquet.NewGenericWriter[event](w, parquet.Compression(&parquet.Snappy))
	batch := make([]event, min(rows, 1024))
	for done := 0; done < rows; {
		n := min(len(batch), rows-done)
		for i := range n {
			makeEvent(r, f, rows, done+i, &batch[i])
		}
		if _, err := pw.Write(batch[:n]); err != nil {
			return err
		}
		done += n
	}
	return pw.Close()
}

// The ORC writer has no snappy: ORC files are ZLIB, Hive's default.
const orcSchema = "struct<id:bigint,user:string,url:string,event_time:timestamp,amount:double,country:string>"

func writeORC(w io.Writer, f, rows int) error {
	td, err := orc.ParseSchema(orcSchema)
	if err != nil {
		return err
	}
	ow, err := orc.NewWriter(w, orc.SetSchema(td), orc.SetCompression(orc.CompressionZlib{Level: flate.BestSpeed}))
	if err != nil {
		return err
	}
	r := rng(f)
	var e event
	for i := range rows {
		makeEvent(r, f, rows, i, &e)
		if err := ow.Write(e.ID, e.User, e.URL, e.EventTime, e.Amount, e.Country); err != nil {
			return err
		}
	}
	return ow.Close()
}

var avroSchema = avro.MustParse(`{
  "type": "record", "name": "event", "namespace": "shoal.bench",
  "fields": [
    {"name": "id", "type": "long"},
    {"name": "user", "type": "string"},
    {"name": "url", "type": "string"},
    {"name": "event_time", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    {"name": "amount", "type": "double"},
    {"name": "country", "type": "string"}
  ]
}`)

type avroEvent struct {
	ID        int64     `avro:"id"`
	User      string    `avro:"user"`
	URL       string    `avro:"url"`
	EventTime time.Time `avro:"event_time"`
	Amount    float64   `avro:"amount"`
	Country   string    `avro:"country"`
}

// writeAvro writes an object container file with snappy blocks of about
// 64,000 bytes before compression, the sync interval of Java's
// DataFileWriter (and so of Kafka Connect and Hive).
func writeAvro(w io.Writer, f, rows int) error {
	enc, err := ocf.NewEncoderWithSchema(avroSchema, w, ocf.WithCodec(ocf.Snappy),
		ocf.WithBlockSize(64_000), ocf.WithBlockLength(1<<30))
	if err != nil {
		return err
	}
	r := rng(f)
	var e event
	for i := range rows {
		makeEvent(r, f, rows, i, &e)
		a := avroEvent(e)
		if err := enc.Encode(&a); err != nil {
			return err
		}
	}
	return enc.Close()
}

// writeText writes comma-separated lines, as a Hive text table with
// field.delim ',' stores them.
func writeText(w io.Writer, f, rows int) error {
	r := rng(f)
	var e event
	var b []byte
	for i := range rows {
		makeEvent(r, f, rows, i, &e)
		b = strconv.AppendInt(b, e.ID, 10)
		b = append(b, ',')
		b = append(b, e.User...)
		b = append(b, ',')
		b = append(b, e.URL...)
		b = append(b, ',')
		b = e.EventTime.AppendFormat(b, "2006-01-02 15:04:05.000")
		b = append(b, ',')
		b = strconv.AppendFloat(b, e.Amount, 'f', 2, 64)
		b = append(b, ',')
		b = append(b, e.Country...)
		b = append(b, '\n')
		if len(b) >= 64<<10 {
			if _, err := w.Write(b); err != nil {
				return err
			}
			b = b[:0]
		}
	}
	_, err := w.Write(b)
	return err
}

// rowsFor returns how many rows make a file of about targetSize bytes in
// format fm, found by writing two probe files in memory.
func rowsFor(fm format) (int, error) {
	rows := 4096
	for range 3 {
		var buf bytes.Buffer
		if err := fm.write(&buf, 0, rows); err != nil {
			return 0, err
		}
		next := int(float64(rows) * targetSize / float64(buf.Len()))
		if d := buf.Len() - targetSize; d > -targetSize/100 && d < targetSize/100 {
			return rows, nil
		}
		rows = next
	}
	return rows, nil
}

// inputSet is one generated folder of input files.
type inputSet struct {
	format      format
	dir         string
	files       []string
	bytes       int64
	rowsPerFile int
}

func (s *inputSet) rows() int64 { return int64(s.rowsPerFile) * int64(len(s.files)) }

// generate writes n files of format fm under root, or reuses them when a
// previous run wrote them all (a marker file records what was written).
func generate(ctx context.Context, root string, fm format, n int) (*inputSet, error) {
	dir := filepath.Join(root, fmt.Sprintf("%s-%d", fm.name, n))
	set := &inputSet{format: fm, dir: dir}
	for i := range n {
		set.files = append(set.files, filepath.Join(dir, fmt.Sprintf("part-%05d%s", i, fm.ext)))
	}
	marker := filepath.Join(dir, "_COMPLETE")
	rows, err := rowsFor(fm)
	if err != nil {
		return nil, fmt.Errorf("%s: probe: %w", fm.name, err)
	}
	set.rowsPerFile = rows
	want := fmt.Sprintf("version=%d files=%d rows_per_file=%d\n", genVersion, n, rows)
	if b, err := os.ReadFile(marker); err == nil && string(b) == want {
		for _, p := range set.files {
			st, err := os.Stat(p)
			if err != nil {
				return nil, fmt.Errorf("%s: %w (remove %s to regenerate)", fm.name, err, dir)
			}
			set.bytes += st.Size()
		}
		logf("reusing %d %s files in %s", n, fm.name, dir)
		return set, nil
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	logf("generating %d %s files of %d rows (about 1 MiB) in %s", n, fm.name, rows, dir)
	start := time.Now()
	var (
		next    atomic.Int64
		written atomic.Int64
		wg      sync.WaitGroup
		errOnce sync.Once
		genErr  error
	)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			var buf bytes.Buffer
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				buf.Reset()
				err := fm.write(&buf, i, rows)
				if err == nil {
					tmp := set.files[i] + ".tmp"
					if err = os.WriteFile(tmp, buf.Bytes(), 0o644); err == nil {
						err = os.Rename(tmp, set.files[i])
					}
				}
				if err != nil {
					errOnce.Do(func() { genErr = fmt.Errorf("%s file %d: %w", fm.name, i, err) })
					return
				}
				written.Add(int64(buf.Len()))
			}
		})
	}
	wg.Wait()
	if genErr == nil {
		genErr = ctx.Err()
	}
	if genErr != nil {
		return nil, genErr
	}
	set.bytes = written.Load()
	if err := os.WriteFile(marker, []byte(want), 0o644); err != nil {
		return nil, err
	}
	logf("generated %s: %.1f MB in %v", fm.name, float64(set.bytes)/1e6, time.Since(start).Round(time.Millisecond))
	return set, nil
}
