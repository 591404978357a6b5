package hdfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"net"
	"os"
	"os/user"
	"strings"
	"sync"
	"syscall"
	"time"

	gohdfs "github.com/colinmarc/hdfs/v2"
	krb "github.com/jcmturner/gokrb5/v8/client"
	"golang.org/x/time/rate"

	"github.com/shoalhq/shoal"
)

// DefaultTimeout is Options.Timeout when it is zero.
const DefaultTimeout = time.Minute

// Options configure an FS. The zero value reads HADOOP_CONF_DIR, acts as
// HADOOP_USER_NAME or the OS user, does not limit the rate and uses
// DefaultTimeout.
type Options struct {
	// ConfDir is the directory holding core-site.xml and hdfs-site.xml;
	// "" reads HADOOP_CONF_DIR, and no configuration at all when that is
	// unset too (every URI must then be hdfs://host:port/...).
	ConfDir string
	// User is the HDFS user to act as without Kerberos; "" means
	// HADOOP_USER_NAME, else the OS user. With Kerberos the principal is
	// the user, and User is ignored.
	User string
	// Keytab and Principal log in to Kerberos with a keytab. Without them,
	// a Kerberos configuration uses the ticket cache.
	Keytab    string
	Principal string
	// KerberosConfig is the krb5.conf path; "" means KRB5_CONFIG, else
	// /etc/krb5.conf.
	KerberosConfig string
	// CCache is the ticket cache file; "" means KRB5CCNAME (FILE: caches
	// only), else /tmp/krb5cc_<uid>.
	CCache string
	// OpsPerSecond limits NameNode operations: each List batch, Stat, Open,
	// OpenFile, Create, Mkdir, Rename, RemoveAll, Link and SyncDir waits
	// for a token first. Zero or less means no limit.
	OpsPerSecond float64
	// Timeout bounds dialing a NameNode or DataNode and every read or write
	// on those connections: a call on a NameNode that stops answering
	// fails with EUNAVAILABLE after at most about this long. Zero means
	// DefaultTimeout.
	Timeout time.Duration
}

// FS is a shoal.WritableFS over HDFS. It keeps one client (one NameNode
// connection) per authority, made on first use. It is safe for concurrent
// use.
type FS struct {
	conf    *hadoopConf
	user    string
	krb     *krb.Client
	spn     string // dfs.namenode.kerberos.principal, "" without Kerberos
	timeout time.Duration
	limiter *rate.Limiter // nil: unlimited

	mu      sync.Mutex
	clients map[string]*entry
	closed  bool
	closing sync.WaitGroup // clients being closed after a failure
}

// entry is the client of one authority; its mutex serializes connecting.
type entry struct {
	mu     sync.Mutex
	client *gohdfs.Client
	addrs  []string
	closed bool // the FS is closed: connect no more
}

var _ shoal.WritableFS = (*FS)(nil)

// New reads the Hadoop configuration and, when it enables Kerberos, logs in
// (keytab) or loads the ticket cache. It does not connect: each authority's
// NameNodes are dialed on first use. A bad configuration, and Kerberos
// without usable credentials, are EINVALID.
func New(ctx context.Context, opts Options) (*FS, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if opts.Timeout < 0 {
		return nil, shoal.Errorf(shoal.EINVALID, "HDFS timeout %s is negative", opts.Timeout)
	}
	if opts.Timeout == 0 {
		opts.Timeout = DefaultTimeout
	}
	if math.IsNaN(opts.OpsPerSecond) {
		return nil, shoal.Errorf(shoal.EINVALID, "HDFS operations per second is not a number")
	}
	dir := opts.ConfDir
	if dir == "" {
		dir = os.Getenv("HADOOP_CONF_DIR")
	}
	conf, err := loadConf(dir)
	if err != nil {
		return nil, err
	}
	if err := conf.validate(); err != nil {
		return nil, err
	}
	f := &FS{conf: conf, timeout: opts.Timeout, clients: map[string]*entry{}}
	if opts.OpsPerSecond > 0 {
		f.limiter = rate.NewLimiter(rate.Limit(opts.OpsPerSecond), int(math.Max(1, math.Ceil(opts.OpsPerSecond))))
	}
	kerberos, _ := conf.kerberos() // validated
	if !kerberos {
		if opts.Keytab != "" || opts.Principal != "" {
			return nil, shoal.Errorf(shoal.EINVALID, "a Kerberos keytab or principal is set, but %s does not enable Kerberos (hadoop.security.authentication=kerberos)", conf.describe())
		}
		f.user, err = hadoopUser(opts.User)
		if err != nil {
			return nil, err
		}
		return f, nil
	}
	if f.spn, err = conf.principal(); err != nil {
		return nil, err
	}
	if f.krb, err = kerberosClient(&opts, conf); err != nil {
		return nil, err
	}
	f.user = f.krb.Credentials.UserName()
	return f, nil
}

// hadoopUser returns the user to act as without Kerberos.
func hadoopUser(opt string) (string, error) {
	if opt != "" {
		return opt, nil
	}
	if env := os.Getenv("HADOOP_USER_NAME"); env != "" {
		return env, nil
	}
	u, err := user.Current()
	if err != nil || u.Username == "" {
		return "", shoal.Errorf(shoal.EINVALID, "no HDFS user: set the user or HADOOP_USER_NAME (the OS user is unknown: %v)", err)
	}
	return u.Username, nil
}

// Close closes every NameNode connection. Files still open for writing
// are left to the NameNode's lease recovery.
func (f *FS) Close() error {
	f.mu.Lock()
	f.closed = true
	clients := f.clients
	f.clients = map[string]*entry{}
	f.mu.Unlock()
	var errs []error
	for _, e := range clients {
		e.mu.Lock()
		if e.client != nil {
			errs = append(errs, e.client.Close())
			e.client = nil
		}
		e.closed = true
		e.mu.Unlock()
	}
	f.closing.Wait()
	if f.krb != nil {
		f.krb.Destroy()
	}
	return errors.Join(errs...)
}

// conn is a client ready for one operation on one path.
type conn struct {
	client *gohdfs.Client
	e      *entry
	auth   string // resolved authority
	path   string // clean absolute path
	fresh  bool   // the client was connected for this operation
}

// acquire parses uri, waits for the rate limiter and returns the client of
// its authority, connecting if needed.
func (f *FS) acquire(ctx context.Context, op, uri string) (conn, error) {
	auth, p, err := splitURI(uri)
	if err != nil {
		return conn{}, fmt.Errorf("%s %s: %w", op, uri, err)
	}
	if auth == "" {
		auth, _ = f.conf.defaultAuthority() // validated; namenodes reports ""
	}
	if err := f.wait(ctx); err != nil {
		return conn{}, fmt.Errorf("%s %s: %w", op, uri, err)
	}
	e, err := f.entry(auth)
	if err != nil {
		return conn{}, fmt.Errorf("%s %s: %w", op, uri, err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	fresh := false
	if e.closed {
		return conn{}, fmt.Errorf("%s %s: %w", op, uri, fs.ErrClosed)
	}
	if e.client == nil {
		if err := ctx.Err(); err != nil {
			return conn{}, err
		}
		c, err := gohdfs.NewClient(f.clientOptions(e.addrs))
		if err != nil {
			return conn{}, fmt.Errorf("%s %s: %w", op, uri, f.unavailable(auth, e.addrs, err))
		}
		e.client, fresh = c, true
	}
	return conn{client: e.client, e: e, auth: auth, path: p, fresh: fresh}, nil
}

// read runs a call that changes nothing. When it fails because a
// connection made earlier has died (a NameNode restarted or failed over,
// or closed the connection), it runs once more on a new connection, so a
// failover costs no failed read. A connection made for the call is not
// retried: its NameNodes were just tried.
func (f *FS) read(ctx context.Context, op, uri string, call func(c conn) error) error {
	for retried := false; ; retried = true {
		c, err := f.acquire(ctx, op, uri)
		if err != nil {
			return err
		}
		err = call(c)
		if err == nil {
			return nil
		}
		if !retried && !c.fresh && isTransport(err) {
			f.drop(c)
			continue
		}
		return f.wrap(op, uri, &c, err)
	}
}

// wait takes a token from the rate limiter.
func (f *FS) wait(ctx context.Context) error {
	if f.limiter == nil {
		return ctx.Err()
	}
	return f.limiter.Wait(ctx)
}

// entry returns the entry of an authority, resolving its NameNodes.
func (f *FS) entry(auth string) (*entry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil, fs.ErrClosed
	}
	if e := f.clients[auth]; e != nil {
		return e, nil
	}
	addrs, err := f.conf.namenodes(auth)
	if err != nil {
		return nil, err
	}
	e := &entry{addrs: addrs}
	f.clients[auth] = e
	return e, nil
}

// clientOptions builds the library's options: DataNode hostnames and
// transfer protection from the configuration, the given NameNodes, the
// user or Kerberos client, and dialers that enforce the timeout.
func (f *FS) clientOptions(addrs []string) gohdfs.ClientOptions {
	o := gohdfs.ClientOptionsFromConf(f.conf.libConf())
	o.Addresses = addrs
	o.User = f.user
	o.NamenodeDialFunc = deadlineDialer(f.timeout)
	o.DatanodeDialFunc = deadlineDialer(f.timeout)
	o.KerberosClient = f.krb
	o.KerberosServicePrincipleName = ""
	if f.krb != nil {
		o.KerberosServicePrincipleName, _ = splitPrincipal(f.spn)
	}
	return o
}

// drop discards the client of c after a connection failure, so that the
// next operation reconnects. The library keeps a connection whose read
// timed out, and would then read each answer in reply to the next call.
// The client is closed in the background: closing waits for a call in
// flight, which the timeout bounds.
func (f *FS) drop(c conn) {
	c.e.mu.Lock()
	defer c.e.mu.Unlock()
	if c.e.client != c.client {
		return // already dropped
	}
	c.e.client = nil
	f.closing.Go(func() { _ = c.client.Close() })
}

// unavailable describes a failure to reach the NameNodes of auth.
func (f *FS) unavailable(auth string, addrs []string, err error) error {
	msg := fmt.Sprintf("HDFS NameNode %s of hdfs://%s is unavailable: %v", strings.Join(addrs, ", "), auth, err)
	if len(addrs) > 1 {
		msg = fmt.Sprintf("HDFS NameNodes %s of hdfs://%s are unavailable: %v", strings.Join(addrs, ", "), auth, err)
	}
	if f.krb != nil && strings.Contains(err.Error(), "SASL") {
		principals := make([]string, len(addrs))
		for i, a := range addrs {
			principals[i] = namenodePrincipal(f.spn, a)
		}
		msg += fmt.Sprintf(" (Kerberos as %s to %s)", f.user, strings.Join(principals, ", "))
	}
	return errors.Join(shoal.Errorf(shoal.EUNAVAILABLE, "%s", msg), err)
}

// Exceptions that mean "try again later" rather than "this request is wrong".
var retriable = []string{
	"org.apache.hadoop.hdfs.server.namenode.SafeModeException",
	"org.apache.hadoop.ipc.RetriableException",
	"org.apache.hadoop.ipc.StandbyException",
	"org.apache.hadoop.ipc.RetryException",
}

// isTransport reports whether err is a failure of the connection itself
// rather than an answer from HDFS.
func isTransport(err error) bool {
	var ne net.Error
	switch {
	case errors.As(err, &ne),
		errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE),
		errors.Is(err, net.ErrClosed):
		return true
	}
	// The library flattens these into strings.
	s := err.Error()
	return strings.Contains(s, "no available namenodes") || strings.Contains(s, "unexpected sequence number")
}

// wrap maps an error of the library to Shoal's conventions, like localfs:
// a missing path is ENOTFOUND and fs.ErrNotExist, an existing one ECONFLICT
// and fs.ErrExist, a lost connection EUNAVAILABLE (and the client of c is
// dropped). op and uri prefix the message.
func (f *FS) wrap(op, uri string, c *conn, err error) error {
	if err == nil {
		return nil
	}
	var remote gohdfs.Error
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
	case errors.Is(err, fs.ErrNotExist):
		err = errors.Join(shoal.Errorf(shoal.ENOTFOUND, "%s does not exist", uri), err)
	case errors.Is(err, fs.ErrExist):
		err = errors.Join(shoal.Errorf(shoal.ECONFLICT, "%s already exists", uri), err)
	case errors.Is(err, fs.ErrPermission):
		err = fmt.Errorf("HDFS user %s may not %s %s: %w", f.user, op, uri, err)
	case errors.Is(err, fs.ErrInvalid):
		err = errors.Join(shoal.Errorf(shoal.EINVALID, "HDFS refused to %s %s: invalid argument", op, uri), err)
	case errors.Is(err, syscall.ENOTEMPTY):
		err = errors.Join(shoal.Errorf(shoal.ECONFLICT, "%s is a directory that is not empty", uri), err)
	case errors.As(err, &remote):
		msg := remote.Message()
		if i := strings.IndexByte(msg, '\n'); i >= 0 {
			msg = msg[:i]
		}
		code := shoal.EINTERNAL
		for _, ex := range retriable {
			if remote.Exception() == ex {
				code = shoal.EUNAVAILABLE
			}
		}
		err = errors.Join(shoal.Errorf(code, "HDFS refused to %s %s: %s: %s", op, uri, remote.Exception(), msg), err)
	case isTransport(err):
		if c != nil {
			addrs := c.e.addrs
			f.drop(*c)
			err = f.unavailable(c.auth, addrs, err)
		} else {
			err = errors.Join(shoal.Errorf(shoal.EUNAVAILABLE, "HDFS is unavailable: %v", err), err)
		}
	}
	return fmt.Errorf("%s %s: %w", op, uri, err)
}

// listBatch is how many entries List asks for at a time: the NameNode's
// default dfs.ls.limit, so one batch is one getListing call.
const listBatch = 1000

// List streams the entries of dir, a batch of listBatch entries at a time;
// each batch is one NameNode call and takes one token of the rate limit.
func (f *FS) List(ctx context.Context, dir string, fn func(shoal.FileInfo) error) error {
	var (
		c     conn
		r     *gohdfs.FileReader
		infos []os.FileInfo
		eof   bool
	)
	err := f.read(ctx, "list", dir, func(cc conn) error {
		rr, err := cc.client.Open(cc.path)
		if err != nil {
			return err
		}
		if !rr.Stat().IsDir() {
			_ = rr.Close()
			return shoal.Errorf(shoal.EINVALID, "%s is not a directory", dir)
		}
		infos, err = rr.Readdir(listBatch)
		eof = errors.Is(err, io.EOF)
		if err != nil && !eof {
			_ = rr.Close()
			return err
		}
		c, r = cc, rr
		return nil
	})
	if err != nil {
		return err
	}
	defer func() { _ = r.Close() }()
	for !eof {
		for _, fi := range infos {
			if err := fn(fileInfo(child(dir, fi.Name()), fi)); err != nil {
				return err
			}
		}
		if len(infos) < listBatch {
			return nil // the NameNode said nothing remains
		}
		if err := f.wait(ctx); err != nil {
			return fmt.Errorf("list %s: %w", dir, err)
		}
		infos, err = r.Readdir(listBatch)
		if eof = errors.Is(err, io.EOF); err != nil && !eof {
			return f.wrap("list", dir, &c, err)
		}
	}
	return nil
}

// fileInfo converts the library's file status. The block count is the
// length over the file's block size, rounded up: listings carry no block
// locations.
// clampInt64 converts a NameNode's unsigned size to int64.
func clampInt64(v uint64) int64 {
	if v > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(v)
}

func fileInfo(p string, fi os.FileInfo) shoal.FileInfo {
	out := shoal.FileInfo{Path: p, Size: fi.Size(), ModTime: fi.ModTime(), IsDir: fi.IsDir()}
	if st, ok := fi.Sys().(*gohdfs.FileStatus); ok && st != nil {
		out.Owner = st.GetOwner()
		if !out.IsDir {
			out.Replication = int(st.GetBlockReplication())
			if bs := clampInt64(st.GetBlocksize()); bs > 0 {
				out.Blocks = (out.Size + bs - 1) / bs
				out.BlockSize = bs
			}
		}
	}
	if out.IsDir {
		out.Size = 0
	}
	return out
}

// Stat describes one path; FileInfo.Path is path as given.
func (f *FS) Stat(ctx context.Context, path string) (shoal.FileInfo, error) {
	var fi os.FileInfo
	err := f.read(ctx, "stat", path, func(c conn) (err error) {
		fi, err = c.client.Stat(c.path)
		return err
	})
	if err != nil {
		return shoal.FileInfo{}, err
	}
	return fileInfo(path, fi), nil
}

// Mkdir creates one directory (mode 0755); it fails with fs.ErrExist if
// path exists and with fs.ErrNotExist if its parent does not. The library
// checks for an existing path before creating, and HDFS's mkdirs succeeds
// on an existing directory, so a directory made by someone else between
// the two is not reported.
func (f *FS) Mkdir(ctx context.Context, path string) error {
	c, err := f.acquire(ctx, "mkdir", path)
	if err != nil {
		return err
	}
	return f.wrap("mkdir", path, &c, c.client.Mkdir(c.path, 0o755))
}

// Rename moves oldpath to newpath; it fails with fs.ErrExist if newpath
// exists. HDFS's rename is atomic, but the library only exposes it with
// overwriting on, so Rename checks newpath first. Between the check and
// the rename another client could create newpath; the NameNode would then
// replace it if it is a file or an empty directory (never a non-empty
// directory, nor a file by a directory or the reverse).
func (f *FS) Rename(ctx context.Context, oldpath, newpath string) error {
	op := "rename " + oldpath + " to"
	auth, np, err := splitURI(newpath)
	if err != nil {
		return fmt.Errorf("%s %s: %w", op, newpath, err)
	}
	if auth == "" {
		auth, _ = f.conf.defaultAuthority()
	}
	oldAuth, _, err := splitURI(oldpath)
	if err != nil {
		return fmt.Errorf("rename %s: %w", oldpath, err)
	}
	if oldAuth == "" {
		oldAuth, _ = f.conf.defaultAuthority()
	}
	if auth != oldAuth {
		return fmt.Errorf("%s %s: %w", op, newpath, shoal.Errorf(shoal.EINVALID, "cannot rename across HDFS nameservices (%s and %s)", oldAuth, auth))
	}
	c, err := f.acquire(ctx, "rename", oldpath)
	if err != nil {
		return err
	}
	if _, err := c.client.Stat(np); err == nil {
		return fmt.Errorf("%s %s: %w", op, newpath, errors.Join(shoal.Errorf(shoal.ECONFLICT, "%s already exists", newpath), fs.ErrExist))
	} else if !errors.Is(err, fs.ErrNotExist) {
		return f.wrap(op, newpath, &c, err)
	}
	if err := c.client.Rename(c.path, np); err != nil {
		return f.wrap("rename", oldpath, &c, err)
	}
	return nil
}

// RemoveAll removes path and everything below it; a missing path is not
// an error. It refuses the root directory.
func (f *FS) RemoveAll(ctx context.Context, path string) error {
	c, err := f.acquire(ctx, "remove", path)
	if err != nil {
		return err
	}
	if c.path == "/" {
		return fmt.Errorf("remove %s: %w", path, shoal.Errorf(shoal.EINVALID, "refusing to remove the root directory of hdfs://%s", c.auth))
	}
	return f.wrap("remove", path, &c, c.client.RemoveAll(c.path))
}

// SyncDir checks that path exists and does nothing else: the NameNode
// makes an edit durable (in its edit log) before it acknowledges it.
func (f *FS) SyncDir(ctx context.Context, path string) error {
	return f.read(ctx, "sync", path, func(c conn) error {
		_, err := c.client.Stat(c.path)
		return err
	})
}
