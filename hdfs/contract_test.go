package hdfs_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shoalhq/shoal/fstest"
	"github.com/shoalhq/shoal/hdfs"
)

// TestContract runs the shared WritableFS contract against a real cluster.
// No HDFS runs in CI, so it needs, for example:
//
//	HADOOP_CONF_DIR=/etc/hadoop/conf SHOAL_TEST_HDFS=hdfs://ns/tmp/shoal-test \
//	    go test -run TestContract ./hdfs/
//
// SHOAL_TEST_HDFS is an existing directory the test user may write; each
// run works in a fresh subdirectory of it and removes it when the run
// passes. On a Kerberos cluster, kinit first, or set
// SHOAL_TEST_HDFS_KEYTAB and SHOAL_TEST_HDFS_PRINCIPAL.
func TestContract(t *testing.T) {
	base := os.Getenv("SHOAL_TEST_HDFS")
	if base == "" {
		t.Skip("no HDFS: set SHOAL_TEST_HDFS=hdfs://nameservice/scratch/dir (an existing, writable directory) " +
			"and HADOOP_CONF_DIR to run the WritableFS contract against a cluster")
	}
	ctx := context.Background()
	fsys, err := hdfs.New(ctx, hdfs.Options{
		Keytab:    os.Getenv("SHOAL_TEST_HDFS_KEYTAB"),
		Principal: os.Getenv("SHOAL_TEST_HDFS_PRINCIPAL"),
		Timeout:   30 * time.Second,
	})
	if err != nil {
		t.Fatalf("hdfs.New: %v", err)
	}
	t.Cleanup(func() { _ = fsys.Close() })

	root := fmt.Sprintf("%s/shoal-contract-%d-%d", strings.TrimRight(base, "/"), time.Now().UnixNano(), os.Getpid())
	if err := fsys.Mkdir(ctx, root); err != nil {
		t.Fatalf("Mkdir %s (SHOAL_TEST_HDFS must be an existing, writable directory): %v", root, err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("left %s for inspection", root)
			return
		}
		if err := fsys.RemoveAll(context.Background(), root); err != nil {
			t.Errorf("RemoveAll %s: %v", root, err)
		}
	})

	fstest.Run(t, fsys, root+"/contract")

	t.Run("CreateWith", func(t *testing.T) {
		p := root + "/createwith"
		const blockSize = 1 << 20
		w, err := fsys.CreateWith(ctx, p, 1, blockSize)
		if err != nil {
			t.Fatal(err)
		}
		data := bytes.Repeat([]byte("0123456789"), blockSize/4) // 2.5 blocks
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		fi, err := fsys.Stat(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Replication != 1 || fi.Blocks != 3 || fi.Size != int64(len(data)) || fi.Owner == "" {
			t.Errorf("Stat = %+v; want replication 1, 3 blocks, %d bytes and an owner", fi, len(data))
		}
		// Link keeps the replication and block size.
		if err := fsys.Link(ctx, p, p+".copy"); err != nil {
			t.Fatal(err)
		}
		fi, err = fsys.Stat(ctx, p+".copy")
		if err != nil || fi.Replication != 1 || fi.Blocks != 3 {
			t.Errorf("Stat of the copy = %+v, %v", fi, err)
		}
		r, err := fsys.Open(ctx, p+".copy")
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if got, err := io.ReadAll(r); err != nil || !bytes.Equal(got, data) {
			t.Errorf("the copy differs (%d bytes, %v)", len(got), err)
		}
	})
}
