package hdfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	gohdfs "github.com/colinmarc/hdfs/v2"
	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"go.uber.org/goleak"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/shoalhq/shoal"
)

// isolate clears the environment New reads, so that the machine's Hadoop
// and Kerberos settings cannot leak into a test.
func isolate(t *testing.T) {
	t.Helper()
	for _, k := range []string{"HADOOP_CONF_DIR", "HADOOP_USER_NAME", "KRB5_CONFIG", "KRB5CCNAME"} {
		t.Setenv(k, "")
	}
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

func newFS(t *testing.T, opts Options) *FS {
	t.Helper()
	f, err := New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f
}

func TestNewOptions(t *testing.T) {
	isolate(t)
	ctx := context.Background()

	_, err := New(ctx, Options{Timeout: -time.Second})
	wantErr(t, err, shoal.EINVALID, "negative")

	_, err = New(ctx, Options{ConfDir: "testdata/malformed"})
	wantErr(t, err, shoal.EINVALID, "hdfs-site.xml", "not valid XML")

	_, err = New(ctx, Options{ConfDir: "testdata/nope"})
	wantErr(t, err, shoal.EINVALID, "testdata/nope", "does not exist")

	// A bad value fails New, not the first call.
	_, err = New(ctx, Options{ConfDir: writeConf(t, "", props("dfs.blocksize", "100"))})
	wantErr(t, err, shoal.EINVALID, "dfs.blocksize")

	// HADOOP_CONF_DIR is read when ConfDir is empty.
	t.Setenv("HADOOP_CONF_DIR", "testdata/ha")
	f := newFS(t, Options{User: "etl"})
	if f.conf.dir != "testdata/ha" || f.user != "etl" || f.timeout != DefaultTimeout || f.limiter != nil {
		t.Errorf("fs %+v", f)
	}
	t.Setenv("HADOOP_CONF_DIR", "testdata/nope")
	_, err = New(ctx, Options{})
	wantErr(t, err, shoal.EINVALID, "testdata/nope")
	_, err = New(ctx, Options{ConfDir: "testdata/single"}) // the option wins
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("HADOOP_CONF_DIR", "")

	// The user: option, then HADOOP_USER_NAME, then the OS user.
	t.Setenv("HADOOP_USER_NAME", "hive")
	if f := newFS(t, Options{}); f.user != "hive" {
		t.Errorf("user %q, want HADOOP_USER_NAME", f.user)
	}
	if f := newFS(t, Options{User: "etl"}); f.user != "etl" {
		t.Errorf("user %q, want the option", f.user)
	}
	t.Setenv("HADOOP_USER_NAME", "")
	if f := newFS(t, Options{}); f.user == "" {
		t.Error("no OS user")
	}

	// A keytab without Kerberos in the Hadoop configuration is a mistake.
	_, err = New(ctx, Options{ConfDir: "testdata/ha", Keytab: "/etc/shoal.keytab", Principal: "shoal@EXAMPLE.COM"})
	wantErr(t, err, shoal.EINVALID, "does not enable Kerberos", "testdata/ha")

	f = newFS(t, Options{OpsPerSecond: 2.5, Timeout: time.Second})
	if f.limiter == nil || f.limiter.Burst() != 3 || f.timeout != time.Second {
		t.Errorf("limiter %v, timeout %s", f.limiter, f.timeout)
	}
	ctx2, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := New(ctx2, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled New: %v", err)
	}
}

// krb5Conf writes a krb5.conf whose only KDC is kdc, over TCP.
func krb5Conf(t *testing.T, kdc string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "krb5.conf")
	body := fmt.Sprintf(`[libdefaults]
  default_realm = EXAMPLE.COM
  dns_lookup_kdc = false
  dns_lookup_realm = false
  udp_preference_limit = 1

[realms]
  EXAMPLE.COM = {
    kdc = %s
  }
`, kdc)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestKerberosCredentials(t *testing.T) {
	isolate(t)
	ctx := context.Background()
	kdc := closedPort(t)
	kconf := krb5Conf(t, kdc)
	const confDir = "testdata/kerberos"
	tmp := t.TempDir()
	missing := filepath.Join(tmp, "krb5cc_missing")

	// No keytab and no ticket cache.
	_, err := New(ctx, Options{ConfDir: confDir, KerberosConfig: kconf, CCache: missing})
	wantErr(t, err, shoal.EINVALID, "Kerberos is enabled", "hadoop.security.authentication in testdata/kerberos/core-site.xml",
		"no keytab", missing, "kinit")

	// The default cache comes from KRB5CCNAME, FILE: or a bare path.
	t.Setenv("KRB5CCNAME", "FILE:"+missing)
	_, err = New(ctx, Options{ConfDir: confDir, KerberosConfig: kconf})
	wantErr(t, err, shoal.EINVALID, missing, "kinit")
	t.Setenv("KRB5CCNAME", "KEYRING:persistent:1000")
	_, err = New(ctx, Options{ConfDir: confDir, KerberosConfig: kconf})
	wantErr(t, err, shoal.EINVALID, "KRB5CCNAME=KEYRING:persistent:1000", "KEYRING ticket cache cannot be read")
	t.Setenv("KRB5CCNAME", "")
	_, err = New(ctx, Options{ConfDir: confDir, KerberosConfig: kconf})
	if uid := strconv.Itoa(os.Getuid()); shoal.ErrorCode(err) != shoal.EINVALID || !strings.Contains(err.Error(), "/tmp/krb5cc_"+uid) {
		if _, serr := os.Stat("/tmp/krb5cc_" + uid); serr == nil {
			t.Skip("this machine has a ticket cache")
		}
		t.Errorf("default cache: %v", err)
	}

	// A ticket cache that is not one.
	garbage := filepath.Join(tmp, "krb5cc_garbage")
	if err := os.WriteFile(garbage, []byte("not a cache"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = New(ctx, Options{ConfDir: confDir, KerberosConfig: kconf, CCache: garbage})
	wantErr(t, err, shoal.EINVALID, "read Kerberos ticket cache", garbage)

	// krb5.conf missing.
	_, err = New(ctx, Options{ConfDir: confDir, KerberosConfig: filepath.Join(tmp, "krb5.conf"), CCache: missing})
	wantErr(t, err, shoal.EINVALID, "Kerberos configuration", filepath.Join(tmp, "krb5.conf"), "does not exist")
	t.Setenv("KRB5_CONFIG", filepath.Join(tmp, "other.conf"))
	_, err = New(ctx, Options{ConfDir: confDir, CCache: missing})
	wantErr(t, err, shoal.EINVALID, filepath.Join(tmp, "other.conf"))
	t.Setenv("KRB5_CONFIG", "")

	// Keytab problems.
	_, err = New(ctx, Options{ConfDir: confDir, KerberosConfig: kconf, Keytab: filepath.Join(tmp, "shoal.keytab")})
	wantErr(t, err, shoal.EINVALID, "needs the principal")
	_, err = New(ctx, Options{ConfDir: confDir, KerberosConfig: kconf, Keytab: filepath.Join(tmp, "shoal.keytab"), Principal: "shoal"})
	wantErr(t, err, shoal.EINVALID, "read keytab", filepath.Join(tmp, "shoal.keytab"))
	_, err = New(ctx, Options{ConfDir: confDir, KerberosConfig: kconf, Keytab: garbage, Principal: "shoal"})
	wantErr(t, err, shoal.EINVALID, "read keytab", garbage)
	_, err = New(ctx, Options{ConfDir: confDir, KerberosConfig: kconf, Principal: "shoal@EXAMPLE.COM"})
	wantErr(t, err, shoal.EINVALID, "without a keytab")

	// Kerberos without the NameNode principal.
	noPrincipal := writeConf(t, props("hadoop.security.authentication", "kerberos"), props("fs.defaultFS", "hdfs://h:1"))
	_, err = New(ctx, Options{ConfDir: noPrincipal, KerberosConfig: kconf, CCache: missing})
	wantErr(t, err, shoal.EINVALID, "dfs.namenode.kerberos.principal is not set")
	badPrincipal := writeConf(t, props("hadoop.security.authentication", "kerberos"), props("dfs.namenode.kerberos.principal", "nn@R"))
	_, err = New(ctx, Options{ConfDir: badPrincipal, KerberosConfig: kconf, CCache: missing})
	wantErr(t, err, shoal.EINVALID, "dfs.namenode.kerberos.principal in", "service/host@REALM")

	// A good keytab, but the KDC does not answer: the login fails at
	// once, as unavailable, naming the principal and the keytab.
	kt := keytab.New()
	if err := kt.AddEntry("shoal/worker1", "EXAMPLE.COM", "secret", time.Now(), 1, etypeID.AES256_CTS_HMAC_SHA1_96); err != nil {
		t.Fatal(err)
	}
	ktb, err := kt.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	ktPath := filepath.Join(tmp, "good.keytab")
	if err := os.WriteFile(ktPath, ktb, 0o600); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = New(ctx, Options{ConfDir: confDir, KerberosConfig: kconf, Keytab: ktPath, Principal: "shoal/worker1"})
	wantErr(t, err, shoal.EUNAVAILABLE, "Kerberos login as shoal/worker1@EXAMPLE.COM", ktPath)
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("login against a closed KDC port took %s", d)
	}
}

func TestCCachePath(t *testing.T) {
	isolate(t)
	for _, tc := range []struct{ opt, env, want, err string }{
		{"/tmp/a", "FILE:/tmp/b", "/tmp/a", ""},
		{"FILE:/tmp/a", "", "/tmp/a", ""},
		{"", "FILE:/tmp/b", "/tmp/b", ""},
		{"", "/tmp/b", "/tmp/b", ""},
		{"", "", "/tmp/krb5cc_" + strconv.Itoa(os.Getuid()), ""},
		{"", "DIR:/run/user/1000/krb5cc", "", "DIR ticket cache"},
		{"KCM:", "", "", "KCM ticket cache"},
		{"FILE:", "", "", "names no ticket cache file"},
	} {
		t.Setenv("KRB5CCNAME", tc.env)
		got, err := ccachePath(tc.opt)
		if tc.err != "" {
			wantErr(t, err, shoal.EINVALID, tc.err)
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ccachePath(%q) with KRB5CCNAME=%q = %q, %v; want %q", tc.opt, tc.env, got, err, tc.want)
		}
	}
}

// TestClosedPort: every operation on a NameNode port nothing listens on
// fails with EUNAVAILABLE at once, naming the NameNode.
func TestClosedPort(t *testing.T) {
	isolate(t)
	addr := closedPort(t)
	f := newFS(t, Options{Timeout: 5 * time.Second})
	ctx := context.Background()
	root := "hdfs://" + addr + "/warehouse"
	start := time.Now()
	checks := map[string]error{}
	_, checks["stat"] = f.Stat(ctx, root)
	checks["list"] = f.List(ctx, root, func(shoal.FileInfo) error { return nil })
	_, checks["open"] = f.Open(ctx, root+"/f")
	_, _, checks["openfile"] = f.OpenFile(ctx, root+"/f")
	_, checks["create"] = f.Create(ctx, root+"/f")
	checks["mkdir"] = f.Mkdir(ctx, root+"/d")
	checks["rename"] = f.Rename(ctx, root+"/a", root+"/b")
	checks["remove"] = f.RemoveAll(ctx, root+"/d")
	checks["link"] = f.Link(ctx, root+"/a", root+"/b")
	checks["syncdir"] = f.SyncDir(ctx, root)
	for op, err := range checks {
		t.Run(op, func(t *testing.T) {
			wantErr(t, err, shoal.EUNAVAILABLE, "HDFS NameNode "+addr+" of hdfs://"+addr+" is unavailable", "connection refused")
			if errors.Is(err, fs.ErrNotExist) {
				t.Error("an unreachable NameNode is not a missing file")
			}
		})
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("%d operations on a closed port took %s", len(checks), d)
	}
}

// TestHAAllDown: with every NameNode of a nameservice down the error names
// them all.
func TestHAAllDown(t *testing.T) {
	isolate(t)
	a, b := closedPort(t), closedPort(t)
	dir := writeConf(t, props("fs.defaultFS", "hdfs://prod"), props(
		"dfs.nameservices", "prod",
		"dfs.ha.namenodes.prod", "nn1,nn2",
		"dfs.namenode.rpc-address.prod.nn1", a,
		"dfs.namenode.rpc-address.prod.nn2", b))
	f := newFS(t, Options{ConfDir: dir, Timeout: 5 * time.Second})
	for _, p := range []string{"hdfs://prod/t", "hdfs:///t", "/t"} {
		_, err := f.Stat(context.Background(), p)
		wantErr(t, err, shoal.EUNAVAILABLE, "HDFS NameNodes "+a+", "+b+" of hdfs://prod are unavailable", p)
	}
	_, err := f.Stat(context.Background(), "hdfs://staging/t")
	wantErr(t, err, shoal.EINVALID, `unknown nameservice "staging"`, "[prod]")
	err = f.Rename(context.Background(), "hdfs://prod/a", "hdfs://other:8020/b")
	wantErr(t, err, shoal.EINVALID, "across HDFS nameservices")
	_, err = f.Stat(context.Background(), "s3://bucket/t")
	wantErr(t, err, shoal.EINVALID, "not an hdfs:// URI")
}

// silentNameNode accepts connections, reads whatever comes and never
// answers. It counts connections.
func silentNameNode(t *testing.T) (addr string, accepted *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted = new(atomic.Int32)
	done := make(chan struct{})
	var conns []net.Conn
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			conns = append(conns, c)
			go func() { _, _ = io.Copy(io.Discard, c) }()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		<-done
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return ln.Addr().String(), accepted
}

// TestSilentNameNode: a NameNode that accepts and never answers makes a
// call fail with EUNAVAILABLE after the timeout, not hang; the connection
// is dropped, the next call connects again, and Close leaves no goroutine
// behind (the library's lease renewer included).
func TestSilentNameNode(t *testing.T) {
	isolate(t)
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) }) // after the listener's cleanup
	addr, accepted := silentNameNode(t)
	const timeout = 300 * time.Millisecond
	f, err := New(context.Background(), Options{Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := 1; i <= 2; i++ {
		start := time.Now()
		_, err := f.Stat(ctx, "hdfs://"+addr+"/t")
		d := time.Since(start)
		wantErr(t, err, shoal.EUNAVAILABLE, addr, "timeout")
		if d < timeout || d > 10*timeout {
			t.Errorf("call %d failed after %s, want about %s", i, d, timeout)
		}
		if n := accepted.Load(); n != int32(i) {
			t.Errorf("after call %d: %d connections, want a new one per call", i, n)
		}
	}
	// A cancelled context stops before dialing.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := f.Stat(cctx, "hdfs://"+addr+"/t"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	start := time.Now()
	if err := f.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	if d := time.Since(start); d > 10*timeout {
		t.Errorf("close took %s", d)
	}
	if _, err := f.Stat(ctx, "hdfs://"+addr+"/t"); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("after close: %v", err)
	}
}

// TestRateLimit: operations wait for the limiter, and a wait longer than
// the context allows fails at once with the context's error.
func TestRateLimit(t *testing.T) {
	isolate(t)
	addr := closedPort(t)
	f := newFS(t, Options{OpsPerSecond: 20, Timeout: time.Second})
	ctx := context.Background()
	start := time.Now()
	for range 30 { // a burst of 20, then 10 at 20 per second
		_, err := f.Stat(ctx, "hdfs://"+addr+"/t")
		wantErr(t, err, shoal.EUNAVAILABLE)
	}
	if d := time.Since(start); d < 400*time.Millisecond {
		t.Errorf("30 operations at 20 per second took %s, want at least 0.5s", d)
	}

	slow := newFS(t, Options{OpsPerSecond: 0.5, Timeout: time.Second})
	if _, err := slow.Stat(ctx, "hdfs://"+addr+"/t"); shoal.ErrorCode(err) != shoal.EUNAVAILABLE {
		t.Fatal(err)
	}
	dctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	start = time.Now()
	_, err := slow.Stat(dctx, "hdfs://"+addr+"/t")
	if err == nil || shoal.ErrorCode(err) == shoal.EUNAVAILABLE || !strings.Contains(err.Error(), "rate") {
		t.Errorf("waiting past the deadline: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("the limiter made the call wait %s past its deadline", d)
	}
}

func TestDeadlineConn(t *testing.T) {
	a, b := net.Pipe()
	defer func() { _ = a.Close(); _ = b.Close() }()
	c := &deadlineConn{Conn: a, timeout: 200 * time.Millisecond}

	// Each read gets its own deadline: three reads 100ms apart succeed
	// although together they take longer than the timeout.
	go func() {
		for range 3 {
			time.Sleep(100 * time.Millisecond)
			_, _ = b.Write([]byte("x"))
		}
	}()
	buf := make([]byte, 1)
	for i := range 3 {
		if _, err := c.Read(buf); err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
	}
	// Silence times out.
	start := time.Now()
	_, err := c.Read(buf)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("read from a silent peer: %v", err)
	}
	if d := time.Since(start); d < 200*time.Millisecond || d > 2*time.Second {
		t.Errorf("timed out after %s", d)
	}
	// So does a write nobody reads.
	if _, err := c.Write([]byte("y")); !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("write to a peer that does not read: %v", err)
	}
}

// remoteErr stands for an exception the NameNode returned.
type remoteErr struct{ exception, message string }

func (e remoteErr) Error() string     { return "call failed with " + e.exception }
func (e remoteErr) Method() string    { return "getFileInfo" }
func (e remoteErr) Desc() string      { return "ERROR_APPLICATION" }
func (e remoteErr) Exception() string { return e.exception }
func (e remoteErr) Message() string   { return e.message }

var _ gohdfs.Error = remoteErr{}

func TestWrap(t *testing.T) {
	f := &FS{conf: newConf(""), user: "shoal"}
	const uri = "hdfs://ns/t/f"
	pe := func(err error) error { return &os.PathError{Op: "stat", Path: "/t/f", Err: err} }

	err := f.wrap("stat", uri, nil, pe(os.ErrNotExist))
	wantErr(t, err, shoal.ENOTFOUND, "stat "+uri, uri+" does not exist")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Error("not fs.ErrNotExist")
	}

	err = f.wrap("create", uri, nil, pe(os.ErrExist))
	wantErr(t, err, shoal.ECONFLICT, uri+" already exists")
	if !errors.Is(err, fs.ErrExist) {
		t.Error("not fs.ErrExist")
	}

	err = f.wrap("mkdir", uri, nil, pe(os.ErrPermission))
	if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), "HDFS user shoal may not mkdir "+uri) {
		t.Errorf("permission: %v", err)
	}

	err = f.wrap("create", uri, nil, pe(os.ErrInvalid))
	wantErr(t, err, shoal.EINVALID, "invalid argument")

	err = f.wrap("stat", uri, nil, pe(remoteErr{"org.apache.hadoop.hdfs.server.namenode.SafeModeException", "Cannot create file. Name node is in safe mode.\n\tat org.apache..."}))
	wantErr(t, err, shoal.EUNAVAILABLE, "SafeModeException", "Name node is in safe mode.")
	if strings.Contains(err.Error(), "\tat org") {
		t.Errorf("the Java stack trace leaked: %q", err)
	}

	err = f.wrap("stat", uri, nil, pe(remoteErr{"org.apache.hadoop.fs.InvalidPathException", "Invalid path name"}))
	wantErr(t, err, shoal.EINTERNAL, "InvalidPathException", "Invalid path name")

	err = f.wrap("read", uri, nil, &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded})
	wantErr(t, err, shoal.EUNAVAILABLE, "HDFS is unavailable")

	err = f.wrap("stat", uri, nil, errors.New("no available namenodes: dial tcp: connection refused"))
	wantErr(t, err, shoal.EUNAVAILABLE)

	err = f.wrap("stat", uri, nil, context.Canceled)
	if !errors.Is(err, context.Canceled) || shoal.ErrorCode(err) != shoal.EINTERNAL {
		t.Errorf("cancelled: %v", err)
	}
	if f.wrap("stat", uri, nil, nil) != nil {
		t.Error("nil error wrapped")
	}
}

// statInfo is an os.FileInfo as the library returns it.
type statInfo struct {
	size int64
	dir  bool
	st   *gohdfs.FileStatus
}

func (s statInfo) Name() string       { return "f" }
func (s statInfo) Size() int64        { return s.size }
func (s statInfo) Mode() fs.FileMode  { return 0o644 }
func (s statInfo) ModTime() time.Time { return time.Unix(1700000000, 0) }
func (s statInfo) IsDir() bool        { return s.dir }
func (s statInfo) Sys() any {
	if s.st == nil {
		return nil
	}
	return s.st
}

// status builds the NameNode's file status. The file type's enum lives in
// the library's internal package, so it is set by number (1 directory,
// 2 file).
func status(fileType int, length, blockSize uint64, replication uint32, owner string) *gohdfs.FileStatus {
	st := &gohdfs.FileStatus{Length: &length, Blocksize: &blockSize, BlockReplication: &replication, Owner: &owner}
	m := st.ProtoReflect()
	m.Set(m.Descriptor().Fields().ByName("fileType"), protoreflect.ValueOfEnum(protoreflect.EnumNumber(fileType)))
	return st
}

func TestFileInfo(t *testing.T) {
	const mb = 1 << 20
	fi := fileInfo("hdfs://ns/t/f", statInfo{size: 300 * mb, st: status(2, 300*mb, 128*mb, 3, "hive")})
	want := shoal.FileInfo{Path: "hdfs://ns/t/f", Size: 300 * mb, ModTime: time.Unix(1700000000, 0), Blocks: 3, Replication: 3, BlockSize: 128 * mb, Owner: "hive"}
	if fi != want {
		t.Errorf("file: %+v, want %+v", fi, want)
	}
	if fi := fileInfo("p", statInfo{size: 128 * mb, st: status(2, 128*mb, 128*mb, 2, "hive")}); fi.Blocks != 1 {
		t.Errorf("one full block: %d", fi.Blocks)
	}
	if fi := fileInfo("p", statInfo{size: 0, st: status(2, 0, 128*mb, 3, "hive")}); fi.Blocks != 0 {
		t.Errorf("empty file: %d blocks", fi.Blocks)
	}
	if fi := fileInfo("p", statInfo{dir: true, size: 4096, st: status(1, 0, 0, 0, "hive")}); !fi.IsDir || fi.Size != 0 || fi.Blocks != 0 || fi.Owner != "hive" {
		t.Errorf("dir: %+v", fi)
	}
	if fi := fileInfo("p", statInfo{size: 10}); fi.Size != 10 || fi.Blocks != 0 {
		t.Errorf("no status: %+v", fi)
	}
}

// TestReadRetry: a read on a connection made earlier that turns out dead
// is tried once more on a new connection; a change is not.
func TestReadRetry(t *testing.T) {
	isolate(t)
	addr, accepted := silentNameNode(t)
	const timeout = 200 * time.Millisecond
	f := newFS(t, Options{Timeout: timeout})
	ctx := context.Background()
	// connect stands for an earlier call that succeeded.
	connect := func() {
		t.Helper()
		e, err := f.entry(addr)
		if err != nil {
			t.Fatal(err)
		}
		c, err := gohdfs.NewClient(f.clientOptions(e.addrs))
		if err != nil {
			t.Fatal(err)
		}
		e.mu.Lock()
		e.client = c
		e.mu.Unlock()
	}

	connect()
	start := time.Now()
	_, err := f.Stat(ctx, "hdfs://"+addr+"/t")
	wantErr(t, err, shoal.EUNAVAILABLE, "timeout")
	if n := accepted.Load(); n != 2 {
		t.Errorf("Stat: %d connections, want the earlier one and one retry", n)
	}
	if d := time.Since(start); d < 2*timeout {
		t.Errorf("Stat gave up after %s, before its retry timed out", d)
	}

	connect()
	err = f.Mkdir(ctx, "hdfs://"+addr+"/t")
	wantErr(t, err, shoal.EUNAVAILABLE, "timeout")
	if n := accepted.Load(); n != 3 {
		t.Errorf("Mkdir: %d connections in all, want 3: a change is not retried", n)
	}
}
