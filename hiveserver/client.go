package hiveserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/beltran/gohive"
	"github.com/beltran/gohive/hiveserver"
	"github.com/shoalhq/shoal"
)

// maxRows caps the rows a query may return to Shoal (SHOW COMPACTIONS on
// a busy cluster is the largest it reads).
const maxRows = 1_000_000

// maxIdle is the number of idle sessions a Client keeps.
const maxIdle = 2

// idleLimit: an idle session older than this is closed rather than reused,
// since HiveServer2 may have expired it.
const idleLimit = time.Minute

// Client runs merges on one HiveServer2 or Kyuubi endpoint. It is safe for
// concurrent use: each Merge runs in a session of its own, taken from a
// small pool of idle sessions or opened for it.
type Client struct {
	cfg Config
	// Choose tunes strategy selection when a Request has no Strategy.
	// Its Dialect is set from the URI.
	Choose ChooseOptions

	mu     sync.Mutex
	idle   []*session
	closed bool
}

// Open parses uri, connects and opens a session, so that a wrong address or
// credential is reported at once.
func Open(ctx context.Context, uri string) (*Client, error) {
	cfg, err := ParseURI(uri)
	if err != nil {
		return nil, err
	}
	c := &Client{cfg: *cfg, Choose: ChooseOptions{Dialect: cfg.Dialect()}}
	s, err := c.connect(ctx)
	if err != nil {
		return nil, err
	}
	c.idle = append(c.idle, s)
	return c, nil
}

// Config returns the parsed URI (Password included; print it with
// Config.String, which hides it).
func (c *Client) Config() Config { return c.cfg }

// Close closes the idle sessions. Merges still running keep their session
// and close it when they end.
func (c *Client) Close() error {
	c.mu.Lock()
	idle := c.idle
	c.idle, c.closed = nil, true
	c.mu.Unlock()
	for _, s := range idle {
		s.close()
	}
	return nil
}

// session is one HiveServer2 session on its own connection.
type session struct {
	conn    *gohive.Connection
	cfg     *Config
	mu      sync.Mutex
	sockets []net.Conn
	broken  bool
	usedAt  time.Time
}

func (s *session) closeSockets() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, nc := range s.sockets {
		_ = nc.Close()
	}
}

// close ends the session, bounded by a few seconds: a server that does not
// answer CloseSession gets its socket closed.
func (s *session) close() {
	if s.conn == nil {
		s.closeSockets()
		return
	}
	if s.broken {
		s.closeSockets()
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() { _ = recover() }()
		_ = s.conn.Close()
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
	s.closeSockets()
}

func (c *Client) unavailable(format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if p := c.cfg.Password; len(p) >= 3 {
		msg = strings.ReplaceAll(msg, p, "xxxxx")
	}
	return shoal.Errorf(shoal.EUNAVAILABLE, "%s at %s: %s", c.endpointName(), c.cfg.Addr(), msg)
}

func (c *Client) endpointName() string {
	if c.cfg.Scheme == "kyuubi" {
		return "Kyuubi"
	}
	return "HiveServer2"
}

// connect opens a connection and a session, giving up when ctx ends or
// ConnectTimeout passes.
func (c *Client) connect(ctx context.Context) (*session, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.ConnectTimeout)
	defer cancel()
	s := &session{cfg: &c.cfg}
	gc := gohive.NewConnectConfiguration()
	gc.Username = c.cfg.User
	gc.Password = c.cfg.Password
	gc.Service = c.cfg.Service
	gc.HiveConfiguration = c.cfg.sessionConf()
	gc.TransportMode = c.cfg.Transport
	gc.HTTPPath = c.cfg.HTTPPath
	gc.ConnectTimeout = c.cfg.ConnectTimeout
	gc.SocketTimeout = c.cfg.SocketTimeout
	gc.HttpTimeout = c.cfg.SocketTimeout
	gc.PollIntervalInMillis = int(min(c.cfg.PollInterval, time.Second) / time.Millisecond)
	if gc.PollIntervalInMillis <= 0 {
		gc.PollIntervalInMillis = 1
	}
	if c.cfg.TLS {
		gc.TLSConfig = &tls.Config{ServerName: c.cfg.Host, MinVersion: tls.VersionTLS12}
	}
	gc.DialContext = func(dctx context.Context, network, addr string) (net.Conn, error) {
		var d net.Dialer
		nc, err := d.DialContext(dctx, network, addr)
		if err != nil {
			return nil, err
		}
		s.mu.Lock()
		s.sockets = append(s.sockets, nc)
		s.mu.Unlock()
		return nc, nil
	}
	auth := c.cfg.Auth
	if c.cfg.Transport == "http" && auth == AuthLDAP {
		// gohive sends user and password as HTTP basic authentication
		// in its NONE mode, which is what HiveServer2 checks against LDAP.
		auth = AuthNone
	}

	type outcome struct {
		conn *gohive.Connection
		err  error
	}
	ch := make(chan outcome, 1)
	go func() {
		var o outcome
		defer func() {
			if r := recover(); r != nil {
				o = outcome{err: fmt.Errorf("gohive: %v", r)}
			}
			ch <- o
		}()
		o.conn, o.err = gohive.Connect(c.cfg.Host, c.cfg.Port, auth, gc)
	}()
	select {
	case o := <-ch:
		if o.err != nil {
			s.closeSockets()
			return nil, c.unavailable("cannot open a session: %v", o.err)
		}
		s.conn = o.conn
		s.usedAt = time.Now()
		return s, nil
	case <-ctx.Done():
		s.closeSockets() // makes Connect return
		if o := <-ch; o.conn != nil {
			s.conn = o.conn
			s.broken = true
			s.close()
		}
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, c.unavailable("no session after %s (connect_timeout)", c.cfg.ConnectTimeout)
		}
		return nil, fmt.Errorf("connecting to %s: %w", c.cfg.Addr(), ctx.Err())
	}
}

// acquire takes an idle session or opens one.
func (c *Client) acquire(ctx context.Context) (*session, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, shoal.Errorf(shoal.EUNAVAILABLE, "hiveserver: client closed")
	}
	var stale []*session
	var s *session
	for len(c.idle) > 0 && s == nil {
		x := c.idle[len(c.idle)-1]
		c.idle = c.idle[:len(c.idle)-1]
		if time.Since(x.usedAt) > idleLimit {
			stale = append(stale, x)
			continue
		}
		s = x
	}
	c.mu.Unlock()
	for _, x := range stale {
		x.close()
	}
	if s != nil {
		return s, nil
	}
	return c.connect(ctx)
}

// release returns a healthy session to the pool and closes others.
func (c *Client) release(s *session) {
	c.mu.Lock()
	if !s.broken && !c.closed && len(c.idle) < maxIdle {
		s.usedAt = time.Now()
		c.idle = append(c.idle, s)
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	s.close()
}

// StatementError is a statement that HiveServer2 or Kyuubi rejected or
// that failed while running. Message is the server's.
type StatementError struct {
	Statement string
	Message   string
	SQLState  string
	Code      int
}

func (e *StatementError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = "failed without a message"
	}
	return fmt.Sprintf("statement %s failed: %s", shortStmt(e.Statement), msg)
}

// Unwrap gives the error a shoal code (EINTERNAL) and a message for users.
func (e *StatementError) Unwrap() error {
	return &shoal.Error{Code: shoal.EINTERNAL, Message: e.Error()}
}

func shortStmt(s string) string {
	const limit = 200
	if len(s) > limit {
		return "«" + s[:limit] + "…»"
	}
	return "«" + s + "»"
}

// Rows is a query's result.
type Rows struct {
	Columns []string
	Values  [][]any
}

// Exec runs one statement in a session of its own and waits for it.
func (c *Client) Exec(ctx context.Context, stmt string) error {
	_, err := c.Query(ctx, stmt)
	return err
}

// Query runs one statement in a session of its own and returns its rows.
func (c *Client) Query(ctx context.Context, stmt string) (*Rows, error) {
	s, err := c.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer c.release(s)
	return c.run(ctx, s, stmt, true)
}

// run executes stmt asynchronously, polls its state until it ends, and
// fetches its rows when wantRows is set. When ctx ends first, the operation
// is cancelled on the server (CancelOperation). Each run is bounded by
// Config.Timeout on top of ctx.
func (c *Client) run(ctx context.Context, s *session, stmt string, wantRows bool) (*Rows, error) {
	if s.broken {
		return nil, c.unavailable("session lost")
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	if err := ctx.Err(); err != nil {
		return nil, c.ctxError(ctx, stmt)
	}

	cur := s.conn.Cursor()
	cur.Execute(ctx, stmt, true)
	if err := cur.Err; err != nil {
		var he gohive.HiveError
		if errors.As(err, &he) {
			return nil, &StatementError{Statement: stmt, Message: he.Message, Code: he.ErrorCode}
		}
		s.broken = true
		return nil, c.unavailable("running %s: %v", shortStmt(stmt), err)
	}
	closeOp := func() {
		if !s.broken {
			cur.Close()
			if cur.Err != nil {
				s.broken = true
			}
		}
	}

	wait := 20 * time.Millisecond
	hasResultSet := true
	for {
		st := cur.Poll(false)
		if cur.Err != nil {
			s.broken = true
			return nil, c.unavailable("polling %s: %v", shortStmt(stmt), cur.Err)
		}
		state := hiveserver.TOperationState_UKNOWN_STATE
		if st.OperationState != nil {
			state = *st.OperationState
		}
		switch state {
		case hiveserver.TOperationState_FINISHED_STATE:
			if st.HasResultSet != nil {
				hasResultSet = *st.HasResultSet
			}
			goto finished
		case hiveserver.TOperationState_INITIALIZED_STATE, hiveserver.TOperationState_PENDING_STATE,
			hiveserver.TOperationState_RUNNING_STATE:
		default:
			err := &StatementError{Statement: stmt, Message: st.GetErrorMessage(), SQLState: st.GetSqlState(), Code: int(st.GetErrorCode())}
			if err.Message == "" {
				err.Message = "operation ended in state " + state.String()
			}
			closeOp()
			return nil, err
		}
		select {
		case <-ctx.Done():
			cur.Cancel() // CancelOperation, bounded by the socket timeout
			if cur.Err != nil {
				s.broken = true
			}
			closeOp()
			return nil, c.ctxError(ctx, stmt)
		case <-time.After(wait):
		}
		wait = min(2*wait, c.cfg.PollInterval)
	}

finished:
	rows := &Rows{}
	if wantRows && hasResultSet {
		var err error
		rows, err = c.fetch(ctx, s, cur, stmt)
		if err != nil {
			closeOp()
			return nil, err
		}
	}
	closeOp()
	return rows, nil
}

func (c *Client) fetch(ctx context.Context, s *session, cur *gohive.Cursor, stmt string) (*Rows, error) {
	desc := cur.Description()
	if cur.Err != nil {
		s.broken = true
		return nil, c.unavailable("reading the result of %s: %v", shortStmt(stmt), cur.Err)
	}
	rows := &Rows{}
	for _, d := range desc {
		rows.Columns = append(rows.Columns, d[0])
	}
	if len(desc) == 0 {
		return rows, nil
	}
	for {
		more := cur.HasMore(ctx)
		if cur.Err != nil {
			if ctx.Err() != nil {
				return nil, c.ctxError(ctx, stmt)
			}
			s.broken = true
			return nil, c.unavailable("fetching the result of %s: %v", shortStmt(stmt), cur.Err)
		}
		if !more {
			return rows, nil
		}
		row := make([]any, len(desc))
		cur.FetchOne(ctx, row...)
		if cur.Err != nil {
			s.broken = true
			return nil, c.unavailable("fetching the result of %s: %v", shortStmt(stmt), cur.Err)
		}
		rows.Values = append(rows.Values, row)
		if len(rows.Values) > maxRows {
			return nil, shoal.Errorf(shoal.EINTERNAL, "%s returned more than %d rows", shortStmt(stmt), maxRows)
		}
	}
}

// ctxError reports the end of ctx while stmt ran: a timeout, or the
// caller's cancellation (errors.Is(err, context.Canceled)).
func (c *Client) ctxError(ctx context.Context, stmt string) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%w", &timeoutError{stmt: stmt})
	}
	return fmt.Errorf("statement %s cancelled on %s: %w", shortStmt(stmt), c.cfg.Addr(), ctx.Err())
}

type timeoutError struct{ stmt string }

func (e *timeoutError) Error() string {
	return "statement " + shortStmt(e.stmt) + " timed out and was cancelled"
}

func (e *timeoutError) Unwrap() []error {
	return []error{context.DeadlineExceeded, &shoal.Error{Code: shoal.EUNAVAILABLE, Message: e.Error()}}
}
