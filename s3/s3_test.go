package s3_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/s3"
	"github.com/shoalhq/shoal/s3/s3test"
)

func bucketOf(uri string) string { return strings.TrimPrefix(uri, "s3://") }

// put writes an object straight through the SDK.
func put(t testing.TB, fsys *s3.FS, bucket, key string, data []byte) {
	t.Helper()
	_, err := fsys.Client().PutObject(context.Background(), &awss3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data),
	})
	if err != nil {
		t.Fatalf("PutObject %s: %v", key, err)
	}
}

func create(t testing.TB, fsys *s3.FS, path string, data []byte) {
	t.Helper()
	w, err := fsys.Create(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func readAll(t testing.TB, fsys *s3.FS, path string) []byte {
	t.Helper()
	r, err := fsys.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func count(t testing.TB, fsys *s3.FS, dir string) (files, dirs int) {
	t.Helper()
	seen := map[string]bool{}
	err := fsys.List(context.Background(), dir, func(fi shoal.FileInfo) error {
		if seen[fi.Path] {
			t.Errorf("%s listed twice", fi.Path)
		}
		seen[fi.Path] = true
		if fi.IsDir {
			dirs++
		} else {
			files++
		}
		return nil
	})
	if err != nil {
		t.Fatalf("List %s: %v", dir, err)
	}
	return files, dirs
}

func pending(t testing.TB, fsys *s3.FS, bucket string) int {
	t.Helper()
	out, err := fsys.Client().ListMultipartUploads(context.Background(), &awss3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	return len(out.Uploads)
}

// Two writers race for one name: If-None-Match makes the second Close fail
// with fs.ErrExist instead of replacing the first object, for a PutObject
// and for a multipart upload, and the loser's parts are aborted.
func TestCreateRace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fsys, root := s3test.NewFS(t, func(o *s3.Options) { o.PartSize = s3.MinPartSize })
	for _, size := range []int{10, 6 << 20} {
		p := fmt.Sprintf("%s/race-%d", root, size)
		w1, err := fsys.Create(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		w2, err := fsys.Create(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		one, two := bytes.Repeat([]byte{1}, size), bytes.Repeat([]byte{2}, size)
		if _, err := w1.Write(one); err != nil {
			t.Fatal(err)
		}
		if _, err := w2.Write(two); err != nil {
			t.Fatal(err)
		}
		if err := w1.Close(); err != nil {
			t.Fatal(err)
		}
		err = w2.Close()
		if !errors.Is(err, fs.ErrExist) || shoal.ErrorCode(err) != shoal.ECONFLICT {
			t.Errorf("size %d: second Close = %v, want fs.ErrExist and ECONFLICT", size, err)
		}
		if got := readAll(t, fsys, p); !bytes.Equal(got, one) {
			t.Errorf("size %d: the losing writer replaced the object", size)
		}
		if _, err := w2.Write([]byte("x")); err == nil {
			t.Errorf("Write after Close succeeded")
		}
	}
	if n := pending(t, fsys, bucketOf(root)); n != 0 {
		t.Errorf("%d multipart uploads left behind", n)
	}
}

// A file above PartSize goes up in parts (the ETag of a multipart object
// ends in -<parts>); a failed upload is aborted.
func TestMultipart(t *testing.T) {
	t.Parallel()
	fsys, root := s3test.NewFS(t, func(o *s3.Options) { o.PartSize = s3.MinPartSize })
	data := make([]byte, 12<<20+1)
	for i := range data {
		data[i] = byte(i * 7 / 3)
	}
	p := root + "/t/big.parquet"
	create(t, fsys, p, data)
	if got := readAll(t, fsys, p); !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes that differ", len(got))
	}
	head, err := fsys.Client().HeadObject(context.Background(), &awss3.HeadObjectInput{Bucket: aws.String(bucketOf(root)), Key: aws.String("t/big.parquet")})
	if err != nil {
		t.Fatal(err)
	}
	if etag := strings.Trim(aws.ToString(head.ETag), `"`); !strings.HasSuffix(etag, "-3") {
		t.Errorf("ETag %s: not a 3-part multipart object", etag)
	}

	// Fail mid-way: the context dies after the first part.
	ctx, cancel := context.WithCancel(context.Background())
	w, err := fsys.Create(ctx, root+"/t/failed")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data[:6<<20]); err != nil {
		t.Fatal(err)
	}
	if n := pending(t, fsys, bucketOf(root)); n != 1 {
		t.Errorf("%d multipart uploads in progress, want 1", n)
	}
	cancel()
	if err := w.Close(); !errors.Is(err, context.Canceled) {
		t.Errorf("Close with a cancelled context = %v", err)
	}
	if n := pending(t, fsys, bucketOf(root)); n != 0 {
		t.Errorf("%d multipart uploads left after a failed upload", n)
	}
	if _, err := fsys.Stat(context.Background(), root+"/t/failed"); shoal.ErrorCode(err) != shoal.ENOTFOUND {
		t.Errorf("Stat of the failed file = %v, want ENOTFOUND", err)
	}
}

// More than 1000 keys in a directory: List follows continuation tokens,
// Rename and RemoveAll delete in batches of 1000.
func TestPagination(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fsys, root := s3test.NewFS(t, nil)
	bucket := bucketOf(root)
	const n = 2500
	var wg sync.WaitGroup
	keys := make(chan string)
	for range 16 {
		wg.Go(func() {
			for k := range keys {
				put(t, fsys, bucket, k, []byte(k))
			}
		})
	}
	for i := range n {
		keys <- fmt.Sprintf("big/part-%05d.parquet", i)
	}
	for i := range 3 {
		keys <- fmt.Sprintf("big/sub%d/f", i)
	}
	close(keys)
	wg.Wait()

	files, dirs := count(t, fsys, root+"/big")
	if files != n || dirs != 3 {
		t.Fatalf("List: %d files, %d dirs; want %d and 3", files, dirs, n)
	}
	if err := fsys.Rename(ctx, root+"/big", root+"/moved"); err != nil {
		t.Fatal(err)
	}
	if files, dirs := count(t, fsys, root+"/moved"); files != n || dirs != 3 {
		t.Errorf("after Rename: %d files, %d dirs", files, dirs)
	}
	if got := readAll(t, fsys, root+"/moved/part-02499.parquet"); string(got) != "big/part-02499.parquet" {
		t.Errorf("moved object holds %q", got)
	}
	if _, err := fsys.Stat(ctx, root+"/big"); shoal.ErrorCode(err) != shoal.ENOTFOUND {
		t.Errorf("Stat of the old name = %v", err)
	}
	if err := fsys.RemoveAll(ctx, root+"/moved"); err != nil {
		t.Fatal(err)
	}
	out, err := fsys.Client().ListObjectsV2(ctx, &awss3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Contents) != 0 {
		t.Errorf("%d objects left after RemoveAll, e.g. %s", len(out.Contents), aws.ToString(out.Contents[0].Key))
	}
}

func TestBadCredentials(t *testing.T) {
	t.Parallel()
	s, bucket := s3test.Start(t)
	ctx := context.Background()
	for name, edit := range map[string]func(*s3.Options){
		"secret": func(o *s3.Options) { o.SecretKey = "wrong" },
		"key":    func(o *s3.Options) { o.AccessKey = "nobody" },
	} {
		fsys, err := s.FS(ctx, edit)
		if err != nil {
			t.Fatal(err)
		}
		check := func(op string, err error) {
			t.Helper()
			if shoal.ErrorCode(err) != shoal.EUNAVAILABLE || !strings.Contains(shoal.ErrorMessage(err), "access denied") ||
				!strings.Contains(shoal.ErrorMessage(err), "check credentials") {
				t.Errorf("%s with a wrong %s: %v (%s), want EUNAVAILABLE: access denied … check credentials", op, name, err, shoal.ErrorMessage(err))
			}
		}
		check("List", fsys.List(ctx, "s3://"+bucket+"/x", func(shoal.FileInfo) error { return nil }))
		_, err = fsys.Stat(ctx, "s3://"+bucket+"/x")
		check("Stat", err)
		// A HEAD answers no body, so versitygw's 404 for an unknown key
		// looks like a missing object; the PutObject at Close tells.
		w, err := fsys.Create(ctx, "s3://"+bucket+"/x")
		if err == nil {
			err = w.Close()
		}
		check("Create", err)
	}
}

func TestMissingBucket(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fsys, _ := s3test.NewFS(t, nil)
	const missing = "s3://no-such-bucket-here"
	err := fsys.List(ctx, missing+"/warehouse/t", func(shoal.FileInfo) error { return nil })
	if shoal.ErrorCode(err) != shoal.ENOTFOUND || !errors.Is(err, fs.ErrNotExist) || !strings.Contains(shoal.ErrorMessage(err), "bucket no-such-bucket-here does not exist") {
		t.Errorf("List in a missing bucket = %v (%s)", err, shoal.ErrorMessage(err))
	}
	_, err = fsys.Stat(ctx, missing)
	if shoal.ErrorCode(err) != shoal.ENOTFOUND || !strings.Contains(shoal.ErrorMessage(err), "bucket no-such-bucket-here") {
		t.Errorf("Stat of a missing bucket = %v", err)
	}
	_, err = fsys.Stat(ctx, missing+"/k")
	if shoal.ErrorCode(err) != shoal.ENOTFOUND || !strings.Contains(shoal.ErrorMessage(err), "bucket no-such-bucket-here") {
		t.Errorf("Stat in a missing bucket = %v", err)
	}
	w, err := fsys.Create(ctx, missing+"/k")
	if err == nil {
		err = w.Close()
	}
	if shoal.ErrorCode(err) != shoal.ENOTFOUND || !strings.Contains(shoal.ErrorMessage(err), "bucket no-such-bucket-here") {
		t.Errorf("Create in a missing bucket = %v", err)
	}
}

// An endpoint that refuses connections, and one that accepts and never
// answers, both fail with EUNAVAILABLE in bounded time.
func TestUnreachable(t *testing.T) {
	t.Parallel()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close()
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // hold it open, say nothing
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	}()
	for name, addr := range map[string]string{"refused": closedAddr, "silent": silent.Addr().String()} {
		t.Run(name, func(t *testing.T) {
			fsys, err := s3.New(context.Background(), s3.Options{
				Endpoint: "http://" + addr, PathStyle: true, Region: "us-east-1",
				AccessKey: "a", SecretKey: "b", MaxRetries: 1,
				ConnectTimeout: time.Second, RequestTimeout: time.Second,
			})
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			err = fsys.List(context.Background(), "s3://b/x", func(shoal.FileInfo) error { return nil })
			if shoal.ErrorCode(err) != shoal.EUNAVAILABLE || !strings.Contains(shoal.ErrorMessage(err), "unreachable") {
				t.Errorf("List = %v (%s), want EUNAVAILABLE: unreachable", err, shoal.ErrorMessage(err))
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

// A rename cut short (here by cancelling it) leaves the sources complete
// and the target partial; Rename then refuses the target, and ResumeRename
// finishes the move.
func TestResumeRenameAfterCrash(t *testing.T) {
	t.Parallel()
	fsys, root := s3test.NewFS(t, func(o *s3.Options) { o.OpsPerSecond = 100; o.Concurrency = 2 })
	bucket := bucketOf(root)
	const n = 150
	for i := range n {
		put(t, fsys, bucket, fmt.Sprintf("t/dt=1/f%03d", i), []byte(fmt.Sprint(i)))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	err := fsys.Rename(ctx, root+"/t/dt=1", root+"/t/.merged-dt=1")
	if err == nil {
		t.Fatal("Rename finished within the deadline; the test needs it cut short")
	}
	oldFiles, _ := count(t, fsys, root+"/t/dt=1")
	newFiles, _ := count(t, fsys, root+"/t/.merged-dt=1")
	if oldFiles != n || newFiles == 0 || newFiles == n {
		t.Fatalf("after the interrupted Rename: %d old, %d new objects; want %d and some", oldFiles, newFiles, n)
	}
	if err := fsys.Rename(context.Background(), root+"/t/dt=1", root+"/t/.merged-dt=1"); !errors.Is(err, fs.ErrExist) {
		t.Errorf("Rename onto the partial target = %v, want fs.ErrExist", err)
	}
	for range 2 {
		if err := fsys.ResumeRename(context.Background(), root+"/t/dt=1", root+"/t/.merged-dt=1"); err != nil {
			t.Fatal(err)
		}
		if files, _ := count(t, fsys, root+"/t/.merged-dt=1"); files != n {
			t.Errorf("after ResumeRename: %d objects, want %d", files, n)
		}
		if _, err := fsys.Stat(context.Background(), root+"/t/dt=1"); shoal.ErrorCode(err) != shoal.ENOTFOUND {
			t.Errorf("old name after ResumeRename: %v", err)
		}
	}
	if got := readAll(t, fsys, root+"/t/.merged-dt=1/f149"); string(got) != "149" {
		t.Errorf("f149 holds %q", got)
	}
}

// Objects above the CopyObject limit are copied with UploadPartCopy.
func TestLargeCopy(t *testing.T) {
	defer s3.SetCopyLimits(6<<20, 5<<20)()
	fsys, root := s3test.NewFS(t, nil)
	data := make([]byte, 13<<20+5)
	for i := range data {
		data[i] = byte(i>>10) ^ byte(i)
	}
	create(t, fsys, root+"/a/big", data)
	create(t, fsys, root+"/a/small", []byte("small"))
	if err := fsys.Rename(context.Background(), root+"/a", root+"/b"); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, fsys, root+"/b/big"); !bytes.Equal(got, data) {
		t.Errorf("copied %d bytes that differ", len(got))
	}
	if err := fsys.Link(context.Background(), root+"/b/big", root+"/c"); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, fsys, root+"/c"); !bytes.Equal(got, data) {
		t.Errorf("linked %d bytes that differ", len(got))
	}
	if string(readAll(t, fsys, root+"/b/small")) != "small" {
		t.Errorf("small object lost")
	}
	if n := pending(t, fsys, bucketOf(root)); n != 0 {
		t.Errorf("%d multipart uploads left", n)
	}
}

// Hadoop's directory markers are not files: "dir/" keys and
// "name_$folder$" keys are skipped by List and make Stat report a
// directory.
func TestDirectoryMarkers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fsys, root := s3test.NewFS(t, nil)
	bucket := bucketOf(root)
	put(t, fsys, bucket, "w/t/", nil)
	put(t, fsys, bucket, "w/t/dt=1/", nil)
	put(t, fsys, bucket, "w/t/dt=1/f.parquet", []byte("abc"))
	put(t, fsys, bucket, "w/t/dt=2/", nil) // an empty partition
	put(t, fsys, bucket, "w/t/dt=3_$folder$", nil)
	var got []string
	err := fsys.List(ctx, root+"/w/t", func(fi shoal.FileInfo) error {
		got = append(got, fmt.Sprintf("%s %v", strings.TrimPrefix(fi.Path, root+"/"), fi.IsDir))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "w/t/dt=1 true,w/t/dt=2 true"; strings.Join(got, ",") != want {
		t.Errorf("List = %v, want %s", got, want)
	}
	for _, d := range []string{"w/t/dt=1", "w/t/dt=2", "w/t/dt=3"} {
		fi, err := fsys.Stat(ctx, root+"/"+d)
		if err != nil || !fi.IsDir {
			t.Errorf("Stat %s = %+v, %v; want a directory", d, fi, err)
		}
		if err := fsys.List(ctx, root+"/"+d, func(shoal.FileInfo) error { return nil }); err != nil {
			t.Errorf("List %s: %v", d, err)
		}
	}
	if files, _ := count(t, fsys, root+"/w/t/dt=1"); files != 1 {
		t.Errorf("dt=1 holds %d files, want 1", files)
	}
	err = fsys.List(ctx, root+"/w/t/dt=1/f.parquet", func(shoal.FileInfo) error { return nil })
	if shoal.ErrorCode(err) != shoal.EINVALID {
		t.Errorf("List of a file = %v, want EINVALID", err)
	}
	if err := fsys.RemoveAll(ctx, root+"/w/t/dt=3"); err != nil {
		t.Fatal(err)
	}
	if _, err := fsys.Stat(ctx, root+"/w/t/dt=3"); shoal.ErrorCode(err) != shoal.ENOTFOUND {
		t.Errorf("Stat after removing the marker = %v", err)
	}
	// The bucket root of a bucket lists and stats as a directory.
	if fi, err := fsys.Stat(ctx, root); err != nil || !fi.IsDir {
		t.Errorf("Stat of the bucket = %+v, %v", fi, err)
	}
	if err := fsys.RemoveAll(ctx, root); shoal.ErrorCode(err) != shoal.EINVALID {
		t.Errorf("RemoveAll of a bucket = %v, want EINVALID", err)
	}
}

// A ReadAt after the object was replaced fails instead of mixing versions.
func TestOpenFileReplaced(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fsys, root := s3test.NewFS(t, nil)
	p := root + "/f"
	create(t, fsys, p, []byte("first version"))
	r, size, err := fsys.OpenFile(ctx, p)
	if err != nil || size != 13 {
		t.Fatal(size, err)
	}
	defer r.Close()
	buf := make([]byte, 5)
	if _, err := r.ReadAt(buf, 0); err != nil || string(buf) != "first" {
		t.Fatalf("ReadAt = %q, %v", buf, err)
	}
	if err := fsys.RemoveAll(ctx, p); err != nil {
		t.Fatal(err)
	}
	create(t, fsys, p, []byte("other version"))
	if _, err := r.ReadAt(buf, 0); shoal.ErrorCode(err) != shoal.ECONFLICT {
		t.Errorf("ReadAt of a replaced object = %v, want ECONFLICT", err)
	}
}

func TestOpsPerSecond(t *testing.T) {
	t.Parallel()
	fsys, root := s3test.NewFS(t, func(o *s3.Options) { o.OpsPerSecond = 20 })
	start := time.Now()
	for range 30 {
		_, _ = fsys.Stat(context.Background(), root+"/missing-file-key")
	}
	// 30 Stats of a missing key cost 3 requests each: 90 at 20/s with a
	// burst of 20 take at least 3.5 s.
	if d := time.Since(start); d < 3*time.Second {
		t.Errorf("90 requests at 20/s took %v", d)
	}
}
