package hms

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/apache/thrift/lib/go/thrift"
	"github.com/beltran/gohive"
	"github.com/beltran/gohive/hive_metastore"

	"github.com/shoalhq/shoal"
)

// maxFrame bounds one SASL frame, and so one reply under PLAIN or Kerberos.
const maxFrame = 256 << 20

// conn is one connection to one metastore host. It is used by one call at a
// time.
type conn struct {
	host   int      // index in config.hosts
	raw    net.Conn // closed to interrupt a call
	trans  thrift.TTransport
	client *hive_metastore.ThriftHiveMetastoreClient
}

func (cn *conn) close() { _ = cn.trans.Close(); _ = cn.raw.Close() }

// saslError is a failed SASL negotiation, as opposed to a network error.
type saslError struct{ err error }

func (e *saslError) Error() string { return e.err.Error() }
func (e *saslError) Unwrap() error { return e.err }

// dialHost opens a connection to one host and authenticates.
func (c *Catalog) dialHost(ctx context.Context, idx int) (*conn, error) {
	addr := c.cfg.hosts[idx]
	d := net.Dialer{Timeout: c.cfg.connectTimeout}
	raw, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	tcfg := &thrift.TConfiguration{
		ConnectTimeout: c.cfg.connectTimeout,
		SocketTimeout:  c.cfg.readTimeout,
	}
	sock := thrift.NewTSocketFromConnConf(raw, tcfg)
	// Interrupt the negotiation when ctx ends.
	stop := context.AfterFunc(ctx, func() { _ = raw.Close() })
	defer stop()
	var trans thrift.TTransport
	host, _, _ := net.SplitHostPort(addr)
	switch c.cfg.auth {
	case AuthNoSASL:
		trans = thrift.NewTBufferedTransport(sock, 64<<10)
	case AuthPlain:
		st, err := gohive.NewTSaslTransport(sock, host, "PLAIN",
			map[string]string{"username": c.cfg.user, "password": c.cfg.password}, maxFrame)
		if err != nil {
			_ = raw.Close()
			return nil, err
		}
		st.OpeningContext = ctx
		if err := st.Open(); err != nil {
			_ = raw.Close()
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			var te thrift.TTransportException
			if errors.As(err, &te) && strings.Contains(err.Error(), "SASL negotiation status") {
				return nil, &saslError{err}
			}
			return nil, err
		}
		trans = st
	case AuthKerberos:
		t, err := kerberosTransport(ctx, sock, host, c.cfg.service)
		if err != nil {
			_ = raw.Close()
			return nil, err
		}
		trans = t
	}
	pf := thrift.NewTBinaryProtocolFactoryConf(tcfg)
	client := hive_metastore.NewThriftHiveMetastoreClient(
		thrift.NewTStandardClient(pf.GetProtocol(trans), pf.GetProtocol(trans)))
	return &conn{host: idx, raw: raw, trans: trans, client: client}, nil
}

// dial connects to the first host that answers, starting at host start and
// going round the list once.
func (c *Catalog) dial(ctx context.Context, start int) (*conn, error) {
	n := len(c.cfg.hosts)
	var errs []string
	var authErr error
	for i := range n {
		idx := (start + i) % n
		cn, err := c.dialHost(ctx, idx)
		if err == nil {
			c.mu.Lock()
			c.next = idx
			c.mu.Unlock()
			return cn, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var se *saslError
		if errors.As(err, &se) && authErr == nil {
			authErr = err
		}
		errs = append(errs, fmt.Sprintf("%s: %v", c.cfg.hosts[idx], c.redact(err)))
	}
	if authErr != nil {
		return nil, shoal.Errorf(shoal.EUNAVAILABLE, "hive metastore %s: %s authentication as user %q failed: %s",
			c.cfg.redacted, c.cfg.auth, c.cfg.user, strings.Join(errs, "; "))
	}
	return nil, shoal.Errorf(shoal.EUNAVAILABLE, "hive metastore %s: cannot connect: %s", c.cfg.redacted, strings.Join(errs, "; "))
}

// get returns an idle connection or dials a new one, waiting while
// max_conns connections are busy.
func (c *Catalog) get(ctx context.Context) (*conn, error) {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		<-c.sem
		return nil, shoal.Errorf(shoal.EUNAVAILABLE, "hive metastore %s: catalog is closed", c.cfg.redacted)
	}
	if n := len(c.idle); n > 0 {
		cn := c.idle[n-1]
		c.idle = c.idle[:n-1]
		c.mu.Unlock()
		return cn, nil
	}
	start := c.next
	c.mu.Unlock()
	cn, err := c.dial(ctx, start)
	if err != nil {
		<-c.sem
		return nil, err
	}
	return cn, nil
}

// put returns a healthy connection to the pool, or closes a broken one (nil
// cn only releases the slot).
func (c *Catalog) put(cn *conn, healthy bool) {
	if cn != nil {
		c.mu.Lock()
		if healthy && !c.closed {
			c.idle = append(c.idle, cn)
			cn = nil
		}
		c.mu.Unlock()
		if cn != nil {
			cn.close()
		}
	}
	<-c.sem
}

// connError reports whether err leaves the connection unusable: a network
// or Thrift transport error, or a reply that could not be decoded.
func connError(err error) bool {
	var te thrift.TTransportException
	var pe thrift.TProtocolException
	var ne net.Error
	return errors.As(err, &te) || errors.As(err, &pe) || errors.As(err, &ne) || errors.Is(err, net.ErrClosed)
}

// unknownMethod reports whether the server does not have the called method.
func unknownMethod(err error) bool {
	var ae thrift.TApplicationException
	return errors.As(err, &ae) && ae.TypeId() == thrift.UNKNOWN_METHOD
}

// call runs one metastore call. On a connection-level error it reconnects,
// to the next host when there are several, and retries the call once; every
// call Shoal makes is a read or an idempotent write, so a retry after a lost
// reply is safe. The error is the server's (a *hive_metastore exception or
// a thrift.TApplicationException), a context error, or an EUNAVAILABLE
// *shoal.Error.
func (c *Catalog) call(ctx context.Context, method string, fn func(ctx context.Context, cl *hive_metastore.ThriftHiveMetastoreClient) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	cn, err := c.get(ctx)
	if err != nil {
		return err
	}
	c.calls.Add(1)
	err = c.run(ctx, cn, fn)
	if err == nil || !connError(err) {
		c.put(cn, true)
		return err
	}
	cn.close()
	if ctx.Err() != nil {
		c.put(nil, false)
		return ctx.Err()
	}
	first := fmt.Sprintf("%v%s", c.redact(err), timeoutHint(c.cfg.readTimeout, err))
	failed := cn.host
	cn, err = c.dial(ctx, (failed+1)%len(c.cfg.hosts))
	if err != nil {
		c.put(nil, false)
		return shoal.Errorf(shoal.EUNAVAILABLE, "hive metastore %s: %s on %s failed (%s), and reconnecting failed: %s",
			c.cfg.redacted, method, c.cfg.hosts[failed], first, shoal.ErrorMessage(err))
	}
	c.retries.Add(1)
	err = c.run(ctx, cn, fn)
	if err == nil || !connError(err) {
		c.put(cn, true)
		return err
	}
	c.put(cn, false)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return shoal.Errorf(shoal.EUNAVAILABLE, "hive metastore %s: %s failed on %s (%s) and again on %s: %v%s",
		c.cfg.redacted, method, c.cfg.hosts[failed], first, c.cfg.hosts[cn.host], c.redact(err), timeoutHint(c.cfg.readTimeout, err))
}

// run runs fn on cn, closing the connection if ctx ends first so that the
// call returns at once.
func (c *Catalog) run(ctx context.Context, cn *conn, fn func(ctx context.Context, cl *hive_metastore.ThriftHiveMetastoreClient) error) error {
	stop := context.AfterFunc(ctx, func() { _ = cn.raw.Close() })
	// Thrift's binary protocol keeps waiting past the socket timeout while
	// the context has a deadline left; without one, read_timeout bounds
	// every wait, and ctx still ends the call through AfterFunc.
	err := fn(context.WithoutCancel(ctx), cn.client)
	if !stop() {
		// ctx ended during the call: the connection is closed.
		return fmt.Errorf("%w: %w", net.ErrClosed, ctx.Err())
	}
	return err
}

// redact hides the password in an error message.
func (c *Catalog) redact(err error) error {
	if err == nil || c.cfg.password == "" || !strings.Contains(err.Error(), c.cfg.password) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), c.cfg.password, "xxxxx"))
}

// timeoutHint names read_timeout when a call timed out.
func timeoutHint(d time.Duration, err error) string {
	var te thrift.TTransportException
	if errors.As(err, &te) && te.TypeId() == thrift.TIMED_OUT {
		return fmt.Sprintf(" (no reply within read_timeout %s)", d)
	}
	return ""
}
