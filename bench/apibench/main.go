// Command apibench measures the latency of the API endpoints that must stay
// fast on a big store: top tables and one table's partitions. It seeds a
// store (SQLite or PostgreSQL) with one snapshot of many partitions through
// the store's own snapshot writer, serves the real HTTP handler on a
// loopback port, and drives it with concurrent clients.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/shoalhq/shoal"
	shoalhttp "github.com/shoalhq/shoal/http"
	"github.com/shoalhq/shoal/store/postgres"
	"github.com/shoalhq/shoal/store/sqlite"
)

func main() {
	storeURL := flag.String("store", "", "sqlite://path or postgres://... (required)")
	tables := flag.Int("tables", 1000, "tables to seed")
	parts := flag.Int("partitions", 1000, "partitions per table")
	clients := flag.Int("clients", 50, "concurrent clients")
	dur := flag.Duration("duration", 10*time.Second, "measuring time per endpoint")
	reuse := flag.Bool("reuse", false, "measure the newest snapshot of the store instead of seeding one")
	seedOnly := flag.Bool("seed-only", false, "seed the store and exit")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the measuring phase to `file`")
	flag.Parse()
	ctx := context.Background()

	st, err := open(ctx, *storeURL)
	if err != nil {
		log.Fatal(err)
	}
	defer func() {
		if err := st.Close(); err != nil {
			log.Print(err)
		}
	}()
	start := time.Now()
	var scanID int64
	if latest, err := st.LatestSnapshot(ctx, ""); err == nil && *reuse {
		scanID = latest.ID
		fmt.Printf("reusing snapshot %d\n", scanID)
	} else {
		if scanID, err = seed(ctx, st, *tables, *parts); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("seeded %d partitions in %d tables in %s\n", *tables**parts, *tables, time.Since(start).Round(time.Millisecond))
	}
	if *seedOnly {
		return
	}

	srv := &shoalhttp.Server{Store: st}
	h, err := srv.Handler()
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go func() { log.Print(http.Serve(ln, h)) }()
	base := "http://" + ln.Addr().String() + "/api/v1"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *clients}}

	sorts := []string{"small_files", "files", "bytes", "reducible_files", "namenode_heap_bytes", "small_ratio", "name"}
	endpoints := []struct {
		name string
		url  func(r *rand.Rand) string
	}{
		{"top tables", func(r *rand.Rand) string {
			return fmt.Sprintf("%s/tables?scan_id=%d&sort=%s&limit=50", base, scanID, sorts[r.IntN(len(sorts))])
		}},
		{"table partitions", func(r *rand.Rand) string {
			t := r.IntN(*tables)
			return fmt.Sprintf("%s/tables/db%d/t%04d/partitions?scan_id=%d&sort=%s&limit=50&offset=%d",
				base, t%10, t, scanID, sorts[r.IntN(len(sorts))], 50*r.IntN(max(1, *parts/50)))
		}},
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	fmt.Printf("%-18s %8s %8s %8s %8s %10s\n", "endpoint", "p50 ms", "p95 ms", "p99 ms", "max ms", "req/s")
	for _, ep := range endpoints {
		lat, n, errs := drive(client, *clients, *dur, ep.url)
		if errs > 0 {
			log.Fatalf("%s: %d failed requests", ep.name, errs)
		}
		slices.Sort(lat)
		q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
		fmt.Printf("%-18s %8.2f %8.2f %8.2f %8.2f %10.0f\n", ep.name, q(.50), q(.95), q(.99), q(1), float64(n)/dur.Seconds())
	}
}

type store interface {
	shoal.Store
	Migrate(ctx context.Context) error
}

func open(ctx context.Context, u string) (store, error) {
	var (
		st  store
		err error
	)
	switch {
	case strings.HasPrefix(u, "sqlite://"):
		st, err = sqlite.Open(ctx, strings.TrimPrefix(u, "sqlite://"))
	case strings.HasPrefix(u, "postgres"):
		st, err = postgres.Open(ctx, u)
	default:
		return nil, fmt.Errorf("unknown store %q", u)
	}
	if err != nil {
		return nil, err
	}
	return st, st.Migrate(ctx)
}

// seed writes one succeeded snapshot. Table i is db<i%10>.t<i>; partitions
// get varied figures so that every sort key has work to do.
func seed(ctx context.Context, st shoal.Store, tables, parts int) (int64, error) {
	sc := &shoal.Scan{Catalog: "bench://", State: shoal.ScanRunning, Thresholds: shoal.DefaultThresholds}
	if err := st.CreateScan(ctx, sc); err != nil {
		return 0, err
	}
	w, err := st.SnapshotWriter(ctx, sc.ID)
	if err != nil {
		return 0, err
	}
	r := rand.New(rand.NewPCG(1, 2))
	var totals shoal.Totals
	batch := make([]shoal.PartitionStats, 0, 5000)
	for t := range tables {
		tbl := shoal.Table{Database: fmt.Sprintf("db%d", t%10), Name: fmt.Sprintf("t%04d", t), Format: shoal.FormatParquet, PartitionKeys: []string{"dt"}}
		ts := shoal.NewTableStats(&tbl)
		for p := range parts {
			files := int64(1 + r.IntN(500))
			small := files * int64(r.IntN(101)) / 100
			ps := shoal.PartitionStats{
				Database: tbl.Database, Table: tbl.Name, Spec: fmt.Sprintf("dt=%d", p),
				Location: fmt.Sprintf("/wh/%s.db/%s/dt=%d", tbl.Database, tbl.Name, p), Format: shoal.FormatParquet,
				Files: files, Bytes: files * int64(1+r.IntN(64<<20)), Small: small, MinSize: 1, MedianSize: 1 << 20, MaxSize: 64 << 20,
				OldestModTime: time.Unix(1.7e9, 0), NewestModTime: time.Unix(1.7e9+int64(p)*86400, 0),
			}
			ps.Histogram[3] = small
			ps.Histogram[17] = files - small
			ps.Blocks = files
			ps.NameNodeHeap = shoal.NameNodeObjectBytes * (1 + 2*files)
			ps.FilesAfterMerge = max(1, ps.Bytes/(128<<20))
			ps.ReducibleFiles = max(0, files-ps.FilesAfterMerge)
			ts.AddPartition(&ps)
			batch = append(batch, ps)
			if len(batch) == cap(batch) {
				if err := w.WritePartitions(ctx, batch); err != nil {
					return 0, err
				}
				batch = batch[:0]
			}
		}
		if err := w.WriteTables(ctx, []shoal.TableStats{ts}); err != nil {
			return 0, err
		}
		totals.Add(&ts)
	}
	if err := w.WritePartitions(ctx, batch); err != nil {
		return 0, err
	}
	if err := w.Close(); err != nil {
		return 0, err
	}
	done := shoal.ScanSucceeded
	now := time.Now()
	_, err = st.UpdateScan(ctx, sc.ID, shoal.ScanUpdate{State: &done, FinishedAt: &now, Totals: &totals})
	return sc.ID, err
}

// drive runs clients goroutines against url for d and returns latencies.
func drive(client *http.Client, clients int, d time.Duration, url func(*rand.Rand) string) ([]time.Duration, int, int) {
	var (
		mu   sync.Mutex
		lat  []time.Duration
		errs int
		wg   sync.WaitGroup
	)
	deadline := time.Now().Add(d)
	for c := range clients {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(c), 7))
			var mine []time.Duration
			bad := 0
			for time.Now().Before(deadline) {
				t0 := time.Now()
				resp, err := client.Get(url(r))
				if err != nil {
					bad++
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					bad++
					fmt.Fprintln(os.Stderr, "status", resp.StatusCode)
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			errs += bad
			mu.Unlock()
		})
	}
	wg.Wait()
	return lat, len(lat), errs
}
