// Command s3scan measures Shoal's S3 scan against the SDK floor on a
// versitygw gateway (POSIX backend) holding many small objects spread over
// partition directories:
//
//   - floor: one aws-sdk-go-v2 ListObjectsV2 paginator loop over the whole
//     table prefix, collecting key, size and mtime;
//   - sdk-per-dir: the same paginator, but one listing per partition
//     directory (Delimiter "/"), -concurrency at a time: exactly the calls
//     Shoal makes, so the gap to it is Shoal's own overhead;
//   - shoal: s3.FS.List on each partition directory, -concurrency at a
//     time, as the scanner lists partitions.
//
// Rounds alternate between the three; the best round of each is compared.
// The populated backend directory is cached under -dir, keyed by the
// object and partition counts.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/s3"
	"github.com/shoalhq/shoal/s3/s3test"
)

const (
	bucket = "bench"
	table  = "warehouse/db.db/events"
)

type entry struct {
	key   string
	size  int64
	mtime time.Time
}

func main() {
	objects := flag.Int("objects", 100_000, "objects to scan")
	partitions := flag.Int("partitions", 100, "partition directories they are spread over")
	dir := flag.String("dir", ".bench", "cache directory for the populated backend")
	concurrency := flag.Int("concurrency", 8, "partitions listed at a time (scan.concurrency)")
	rounds := flag.Int("rounds", 5, "rounds of each measurement")
	writers := flag.Int("writers", 64, "goroutines populating the bucket")
	flag.Parse()
	log.SetFlags(0)
	ctx := context.Background()

	bin, err := s3test.Binary()
	if err != nil {
		log.Fatal(err)
	}
	backend, err := filepath.Abs(filepath.Join(*dir, fmt.Sprintf("s3scan-%d-%d", *objects, *partitions)))
	if err != nil {
		log.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(backend, ".complete")); err != nil {
		if err := populate(ctx, bin, backend, *objects, *partitions, *writers); err != nil {
			log.Fatal(err)
		}
	}

	gw, err := s3test.Launch(ctx, bin, filepath.Join(backend, "gw"))
	if err != nil {
		log.Fatal(err)
	}
	defer gw.Stop()
	fsys, err := gw.FS(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	client := fsys.Client()

	// The partition locations, as the catalog would hand them over.
	var parts []string
	err = fsys.List(ctx, "s3://"+bucket+"/"+table, func(fi shoal.FileInfo) error {
		if fi.IsDir {
			parts = append(parts, fi.Path)
		}
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	slices.Sort(parts)
	if len(parts) != *partitions {
		log.Fatalf("found %d partitions, want %d", len(parts), *partitions)
	}

	floor := func() (int, error) {
		var got []entry
		p := awss3.NewListObjectsV2Paginator(client, &awss3.ListObjectsV2Input{
			Bucket: aws.String(bucket), Prefix: aws.String(table + "/"), MaxKeys: aws.Int32(1000),
		})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				return 0, err
			}
			for _, o := range out.Contents {
				got = append(got, entry{aws.ToString(o.Key), aws.ToInt64(o.Size), aws.ToTime(o.LastModified)})
			}
		}
		return len(got), nil
	}
	sdkPerDir := func() (int, error) {
		return perPartition(parts, *concurrency, func(part string) (int, error) {
			prefix := strings.TrimPrefix(part, "s3://"+bucket+"/") + "/"
			var got []entry
			p := awss3.NewListObjectsV2Paginator(client, &awss3.ListObjectsV2Input{
				Bucket: aws.String(bucket), Prefix: aws.String(prefix), Delimiter: aws.String("/"), MaxKeys: aws.Int32(1000),
			})
			for p.HasMorePages() {
				out, err := p.NextPage(ctx)
				if err != nil {
					return 0, err
				}
				for _, o := range out.Contents {
					got = append(got, entry{aws.ToString(o.Key), aws.ToInt64(o.Size), aws.ToTime(o.LastModified)})
				}
			}
			return len(got), nil
		})
	}
	shoalScan := func() (int, error) {
		return perPartition(parts, *concurrency, func(part string) (int, error) {
			var got []shoal.FileInfo
			err := fsys.List(ctx, part, func(fi shoal.FileInfo) error {
				got = append(got, fi)
				return nil
			})
			return len(got), err
		})
	}

	type run struct {
		name  string
		fn    func() (int, error)
		times []time.Duration
	}
	runs := []*run{{name: "floor (SDK paginator, whole prefix)", fn: floor}, {name: "SDK paginator per partition", fn: sdkPerDir}, {name: "shoal s3.FS.List per partition", fn: shoalScan}}
	fmt.Printf("== S3 scan: %d objects in %d partitions on versitygw (POSIX backend), %d cores, concurrency %d, %d rounds\n",
		*objects, *partitions, runtime.NumCPU(), *concurrency, *rounds)
	for _, r := range runs { // warm-up: page cache, connections
		if _, err := r.fn(); err != nil {
			log.Fatalf("%s: %v", r.name, err)
		}
	}
	for round := range *rounds {
		for i := range runs {
			r := runs[(i+round)%len(runs)]
			runtime.GC()
			start := time.Now()
			n, err := r.fn()
			d := time.Since(start)
			if err != nil {
				log.Fatalf("%s: %v", r.name, err)
			}
			if n != *objects {
				log.Fatalf("%s: listed %d objects, want %d", r.name, n, *objects)
			}
			r.times = append(r.times, d)
		}
	}
	best := map[string]time.Duration{}
	for _, r := range runs {
		slices.Sort(r.times)
		b, med := r.times[0], r.times[len(r.times)/2]
		best[r.name] = b
		fmt.Printf("%-38s best %7.3fs (%8.0f objects/s)   median %7.3fs\n", r.name, b.Seconds(), float64(*objects)/b.Seconds(), med.Seconds())
	}
	s := best[runs[2].name]
	fmt.Printf("ratio shoal / floor:           %.2f (target <= 1.30)\n", s.Seconds()/best[runs[0].name].Seconds())
	fmt.Printf("ratio shoal / SDK per partition: %.2f\n", s.Seconds()/best[runs[1].name].Seconds())
}

// perPartition runs list on each partition, concurrency at a time, and
// sums the counts.
func perPartition(parts []string, concurrency int, list func(string) (int, error)) (int, error) {
	var total atomic.Int64
	var firstErr error
	var mu sync.Mutex
	work := make(chan string)
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			for p := range work {
				n, err := list(p)
				if err != nil {
					mu.Lock()
					firstErr = cmpOr(firstErr, err)
					mu.Unlock()
				}
				total.Add(int64(n))
			}
		})
	}
	for _, p := range parts {
		work <- p
	}
	close(work)
	wg.Wait()
	return int(total.Load()), firstErr
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// populate fills a fresh gateway with the objects, then marks the cache
// complete.
func populate(ctx context.Context, bin, backend string, objects, partitions, writers int) error {
	if err := os.RemoveAll(backend); err != nil {
		return err
	}
	gw, err := s3test.Launch(ctx, bin, filepath.Join(backend, "gw"))
	if err != nil {
		return err
	}
	defer gw.Stop()
	if err := gw.CreateBucket(ctx, bucket); err != nil {
		return err
	}
	fsys, err := gw.FS(ctx, func(o *s3.Options) { o.MaxRetries = 5 })
	if err != nil {
		return err
	}
	log.Printf("populating %d objects in %d partitions with %d writers …", objects, partitions, writers)
	start := time.Now()
	keys := make(chan int)
	var wg sync.WaitGroup
	var failed atomic.Pointer[error]
	for range writers {
		wg.Go(func() {
			body := make([]byte, 2048)
			for i := range keys {
				rng := rand.New(rand.NewPCG(uint64(i), 1))
				n := 64 + rng.IntN(1984)
				for j := range n {
					body[j] = byte(rng.Uint32())
				}
				key := fmt.Sprintf("%s/dt=%04d/part-%06d-c000.snappy.parquet", table, i%partitions, i)
				_, err := fsys.Client().PutObject(ctx, &awss3.PutObjectInput{
					Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(string(body[:n])),
				})
				if err != nil {
					failed.CompareAndSwap(nil, &err)
				}
			}
		})
	}
	for i := range objects {
		if failed.Load() != nil {
			break
		}
		keys <- i
		if (i+1)%20000 == 0 {
			log.Printf("  %d objects, %.0f/s", i+1, float64(i+1)/time.Since(start).Seconds())
		}
	}
	close(keys)
	wg.Wait()
	if p := failed.Load(); p != nil {
		return *p
	}
	log.Printf("populated in %v", time.Since(start).Round(time.Second))
	gw.Stop()
	return os.WriteFile(filepath.Join(backend, ".complete"), []byte(time.Now().Format(time.RFC3339)+"\n"), 0o644)
}
