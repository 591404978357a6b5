// Package hs2test is an in-process HiveServer2 (TCLIService) for tests. It
// speaks Thrift's binary protocol over loopback TCP, with no SASL
// (auth=NOSASL) or with the SASL PLAIN handshake and framing that gohive
// uses for auth=NONE and auth=LDAP, and over HTTP (transport=http). It
// implements the calls a HiveServer2 client needs to run statements:
// OpenSession, CloseSession, ExecuteStatement (synchronous and
// asynchronous), GetOperationStatus, GetResultSetMetadata, FetchResults
// (columnar row sets, as HiveServer2 sends from protocol v6 on),
// CancelOperation and CloseOperation. Other calls return an error status.
//
// Statements are recorded with the session settings (SET) in force when
// they ran. They are answered by a scripted Handler, or by a small fake
// Hive (Model). Faults can be injected: rejected statements, failing
// statements, slow statements and slow RPCs.
package hs2test

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/thrift/lib/go/thrift"
	"github.com/beltran/gohive/hiveserver"
)

// Handler answers a statement before the model does. Returning ErrPass lets
// the model (or, for SET, the server) answer it.
type Handler func(stmt string) (columns []string, rows [][]any, err error)

// ErrPass is returned by a Handler that does not handle a statement.
var ErrPass = errors.New("hs2test: pass")

// Options configures a Server.
type Options struct {
	// Users, when set, are the user names and passwords accepted by SASL
	// PLAIN and HTTP basic authentication; otherwise any user is accepted.
	Users map[string]string
	// HTTP also serves the HTTP transport on a second port.
	HTTP bool
}

// Statement is a statement the server received.
type Statement struct {
	Session string
	User    string
	Text    string
	Async   bool
	// Settings are the session's SET values when the statement arrived.
	Settings map[string]string
}

// Server is an in-process TCLIService server.
type Server struct {
	Model *Model

	opts    Options
	ln      net.Listener
	httpLn  net.Listener
	httpSrv *http.Server
	proc    thrift.TProcessor
	ctx     context.Context
	stop    context.CancelFunc
	wg      sync.WaitGroup

	mu        sync.Mutex
	handler   Handler
	stmts     []Statement
	sessions  map[string]*session
	ops       map[string]*operation
	faults    []fault
	rpcDelay  map[string]time.Duration
	cancelled []string
	conns     map[net.Conn]bool
	opened    int
}

type session struct {
	id       string
	user     string
	conf     map[string]string
	settings map[string]string
}

type operation struct {
	id        string
	stmt      string
	cancel    context.CancelFunc
	state     hiveserver.TOperationState
	errMsg    string
	result    *Result
	offset    int
	hasResult bool
}

type faultKind int

const (
	faultReject faultKind = iota
	faultFail
	faultDelay
)

type fault struct {
	kind  faultKind
	match string
	msg   string
	delay time.Duration
}

// Start starts a server on 127.0.0.1.
func Start(opts Options) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{
		Model: NewModel(), opts: opts, ln: ln,
		sessions: map[string]*session{}, ops: map[string]*operation{},
		rpcDelay: map[string]time.Duration{}, conns: map[net.Conn]bool{},
	}
	s.ctx, s.stop = context.WithCancel(context.Background())
	s.proc = hiveserver.NewTCLIServiceProcessor(&service{s})
	s.wg.Add(1)
	go s.accept()
	if opts.HTTP {
		if s.httpLn, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			_ = ln.Close()
			return nil, err
		}
		pf := thrift.NewTBinaryProtocolFactoryConf(nil)
		h := thrift.NewThriftHandlerFunc(s.proc, pf, pf)
		s.httpSrv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if s.opts.Users != nil {
				u, p, ok := r.BasicAuth()
				if !ok || s.opts.Users[u] != p || p == "" {
					http.Error(w, "Unauthorized", http.StatusUnauthorized)
					return
				}
			}
			h(w, r)
		}), ReadHeaderTimeout: 10 * time.Second}
		s.wg.Add(1)
		go func() { defer s.wg.Done(); _ = s.httpSrv.Serve(s.httpLn) }()
	}
	return s, nil
}

// New starts a server and closes it when the test ends.
func New(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s, err := Start(opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	return s
}

// Port is the binary transport's port.
func (s *Server) Port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// HTTPPort is the HTTP transport's port (Options.HTTP).
func (s *Server) HTTPPort() int { return s.httpLn.Addr().(*net.TCPAddr).Port }

// URI returns scheme://127.0.0.1:port/default?query for the binary port,
// or the HTTP port when query contains transport=http.
func (s *Server) URI(scheme, query string) string {
	port := s.Port()
	if strings.Contains(query, "transport=http") {
		port = s.HTTPPort()
	}
	return fmt.Sprintf("%s://127.0.0.1:%d/default?%s", scheme, port, query)
}

// Close stops the server and closes every connection.
func (s *Server) Close() {
	s.stop()
	_ = s.ln.Close()
	if s.httpSrv != nil {
		_ = s.httpSrv.Close()
	}
	s.mu.Lock()
	for c := range s.conns {
		_ = c.Close()
	}
	for _, op := range s.ops {
		op.cancel()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// SetHandler installs a Handler consulted before the model.
func (s *Server) SetHandler(h Handler) {
	s.mu.Lock()
	s.handler = h
	s.mu.Unlock()
}

// RejectOn makes statements containing match fail when submitted, as Hive
// rejects a statement that does not compile.
func (s *Server) RejectOn(match, msg string) {
	s.addFault(fault{kind: faultReject, match: match, msg: msg})
}

// FailOn makes statements containing match fail while running (ERROR_STATE).
func (s *Server) FailOn(match, msg string) {
	s.addFault(fault{kind: faultFail, match: match, msg: msg})
}

// DelayOn makes statements containing match run for d (or until cancelled).
func (s *Server) DelayOn(match string, d time.Duration) {
	s.addFault(fault{kind: faultDelay, match: match, delay: d})
}

// DelayRPC makes the named TCLIService call (such as "GetOperationStatus")
// wait d before answering.
func (s *Server) DelayRPC(method string, d time.Duration) {
	s.mu.Lock()
	s.rpcDelay[method] = d
	s.mu.Unlock()
}

func (s *Server) addFault(f fault) {
	s.mu.Lock()
	s.faults = append(s.faults, f)
	s.mu.Unlock()
}

// Statements returns the statements received, in order.
func (s *Server) Statements() []Statement {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Statement(nil), s.stmts...)
}

// Texts returns the text of the statements received, in order.
func (s *Server) Texts() []string {
	var out []string
	for _, st := range s.Statements() {
		out = append(out, st.Text)
	}
	return out
}

// Cancelled returns the statements whose operation was cancelled.
func (s *Server) Cancelled() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.cancelled...)
}

// OpenSessions is the number of sessions not closed; SessionsOpened the
// number ever opened.
func (s *Server) OpenSessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

// SessionsOpened is the number of sessions ever opened.
func (s *Server) SessionsOpened() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opened
}

// SessionConf returns the OpenSession configuration of every open session.
func (s *Server) SessionConf() []map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]string
	for _, ss := range s.sessions {
		out = append(out, ss.conf)
	}
	return out
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[c] = true
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() {
				_ = c.Close()
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
			}()
			s.serveConn(c)
		}()
	}
}

// readerConn reads through a bufio.Reader that has peeked at the stream.
type readerConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *readerConn) Read(b []byte) (int, error) { return c.r.Read(b) }

// SASL negotiation status bytes.
const (
	saslStart    = 1
	saslOK       = 2
	saslBad      = 3
	saslError    = 4
	saslComplete = 5
)

func (s *Server) serveConn(c net.Conn) {
	br := bufio.NewReader(c)
	first, err := br.Peek(1)
	if err != nil {
		return
	}
	sock := thrift.NewTSocketFromConnConf(&readerConn{c, br}, nil)
	var trans thrift.TTransport
	switch first[0] {
	case 0x80: // strict binary protocol: no SASL
		trans = thrift.NewTBufferedTransport(sock, 4096)
	case saslStart:
		if !s.saslPlain(br, c) {
			return
		}
		trans = thrift.NewTFramedTransportConf(sock, &thrift.TConfiguration{})
	default:
		return
	}
	prot := thrift.NewTBinaryProtocolConf(trans, nil)
	for {
		ok, err := s.proc.Process(s.ctx, prot, prot)
		if err != nil || !ok {
			return
		}
	}
}

func readSASL(r io.Reader) (byte, []byte, error) {
	var h [5]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(h[1:])
	if n > 1<<16 {
		return 0, nil, fmt.Errorf("SASL message too long")
	}
	b := make([]byte, n)
	_, err := io.ReadFull(r, b)
	return h[0], b, err
}

func writeSASL(w io.Writer, status byte, body string) {
	var h [5]byte
	h[0] = status
	binary.BigEndian.PutUint32(h[1:], uint32(len(body)))
	_, _ = w.Write(append(h[:], body...))
}

// saslPlain runs the server side of the SASL PLAIN handshake.
func (s *Server) saslPlain(r io.Reader, w io.Writer) bool {
	st, mech, err := readSASL(r)
	if err != nil || st != saslStart {
		return false
	}
	if string(mech) != "PLAIN" {
		writeSASL(w, saslBad, "Unsupported mechanism type "+string(mech))
		return false
	}
	st, tok, err := readSASL(r)
	if err != nil || st != saslOK {
		writeSASL(w, saslError, "expected the PLAIN response")
		return false
	}
	parts := strings.Split(string(tok), "\x00")
	if len(parts) != 3 {
		writeSASL(w, saslBad, "Invalid message format")
		return false
	}
	if s.opts.Users != nil {
		if pw, ok := s.opts.Users[parts[1]]; !ok || pw != parts[2] {
			writeSASL(w, saslBad, "Error validating the login")
			return false
		}
	}
	writeSASL(w, saslComplete, "")
	return true
}

// execute answers a statement: session settings first, then the handler,
// then the model.
func (s *Server) execute(ss *session, stmt string) (*Result, error) {
	trimmed := strings.TrimSpace(stmt)
	if len(trimmed) >= 4 && strings.EqualFold(trimmed[:4], "SET ") {
		k, v, ok := strings.Cut(strings.TrimSpace(trimmed[4:]), "=")
		if !ok {
			return nil, fmt.Errorf("Error while processing statement: SET needs key=value")
		}
		s.mu.Lock()
		ss.settings[strings.TrimSpace(k)] = strings.TrimSpace(v)
		s.mu.Unlock()
		return &Result{}, nil
	}
	s.mu.Lock()
	h := s.handler
	s.mu.Unlock()
	if h != nil {
		cols, rows, err := h(stmt)
		if !errors.Is(err, ErrPass) {
			if err != nil {
				return nil, err
			}
			return resultOf(cols, rows), nil
		}
	}
	if len(trimmed) >= 4 && strings.EqualFold(trimmed[:4], "USE ") {
		return &Result{}, nil
	}
	return s.Model.Exec(stmt)
}

// resultOf types a handler's columns from their first non-nil value.
func resultOf(cols []string, rows [][]any) *Result {
	r := &Result{Columns: cols, Rows: rows}
	for i := range cols {
		typ := "string"
		for _, row := range rows {
			if i < len(row) && row[i] != nil {
				switch row[i].(type) {
				case int, int64, int32:
					typ = "bigint"
				case bool:
					typ = "boolean"
				case float64:
					typ = "double"
				}
				break
			}
		}
		r.Types = append(r.Types, typ)
	}
	return r
}

func hasResultSet(stmt string) bool {
	w := strings.ToUpper(firstWord(stmt))
	return w == "SELECT" || w == "DESCRIBE" || w == "SHOW" || w == "DESC"
}

func newID() []byte {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return b
}

func ok() *hiveserver.TStatus {
	return &hiveserver.TStatus{StatusCode: hiveserver.TStatusCode_SUCCESS_STATUS}
}

func failed(msg string) *hiveserver.TStatus {
	state, code := "42000", int32(40000)
	return &hiveserver.TStatus{StatusCode: hiveserver.TStatusCode_ERROR_STATUS, ErrorMessage: &msg, SqlState: &state, ErrorCode: &code}
}

// service implements hiveserver.TCLIService.
type service struct{ s *Server }

var _ hiveserver.TCLIService = (*service)(nil)

func (v *service) delay(ctx context.Context, method string) {
	v.s.mu.Lock()
	d := v.s.rpcDelay[method]
	v.s.mu.Unlock()
	if d > 0 {
		select {
		case <-time.After(d):
		case <-v.s.ctx.Done():
		}
	}
}

func (v *service) session(h *hiveserver.TSessionHandle) *session {
	if h == nil || h.SessionId == nil {
		return nil
	}
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	return v.s.sessions[string(h.SessionId.GUID)]
}

func (v *service) op(h *hiveserver.TOperationHandle) *operation {
	if h == nil || h.OperationId == nil {
		return nil
	}
	return v.s.ops[string(h.OperationId.GUID)]
}

func (v *service) OpenSession(ctx context.Context, req *hiveserver.TOpenSessionReq) (*hiveserver.TOpenSessionResp, error) {
	v.delay(ctx, "OpenSession")
	id := newID()
	ss := &session{id: string(id), user: req.GetUsername(), conf: req.Configuration, settings: map[string]string{}}
	v.s.mu.Lock()
	v.s.sessions[ss.id] = ss
	v.s.opened++
	v.s.mu.Unlock()
	return &hiveserver.TOpenSessionResp{
		Status:                ok(),
		ServerProtocolVersion: hiveserver.TProtocolVersion_HIVE_CLI_SERVICE_PROTOCOL_V6,
		SessionHandle:         &hiveserver.TSessionHandle{SessionId: &hiveserver.THandleIdentifier{GUID: id, Secret: newID()}},
	}, nil
}

func (v *service) CloseSession(ctx context.Context, req *hiveserver.TCloseSessionReq) (*hiveserver.TCloseSessionResp, error) {
	v.delay(ctx, "CloseSession")
	ss := v.session(req.SessionHandle)
	if ss == nil {
		return &hiveserver.TCloseSessionResp{Status: failed("Invalid SessionHandle")}, nil
	}
	v.s.mu.Lock()
	delete(v.s.sessions, ss.id)
	v.s.mu.Unlock()
	return &hiveserver.TCloseSessionResp{Status: ok()}, nil
}

func (v *service) ExecuteStatement(ctx context.Context, req *hiveserver.TExecuteStatementReq) (*hiveserver.TExecuteStatementResp, error) {
	v.delay(ctx, "ExecuteStatement")
	ss := v.session(req.SessionHandle)
	if ss == nil {
		return &hiveserver.TExecuteStatementResp{Status: failed("Invalid SessionHandle")}, nil
	}
	s := v.s
	s.mu.Lock()
	settings := make(map[string]string, len(ss.settings))
	for k, val := range ss.settings {
		settings[k] = val
	}
	s.stmts = append(s.stmts, Statement{Session: fmt.Sprintf("%x", ss.id), User: ss.user, Text: req.Statement, Async: req.RunAsync, Settings: settings})
	var delay time.Duration
	var failMsg string
	for _, f := range s.faults {
		if !strings.Contains(req.Statement, f.match) {
			continue
		}
		switch f.kind {
		case faultReject:
			s.mu.Unlock()
			return &hiveserver.TExecuteStatementResp{Status: failed(f.msg)}, nil
		case faultFail:
			failMsg = f.msg
		case faultDelay:
			delay = f.delay
		}
	}
	octx, cancel := context.WithCancel(s.ctx)
	id := newID()
	op := &operation{id: string(id), stmt: req.Statement, cancel: cancel, state: hiveserver.TOperationState_RUNNING_STATE}
	s.ops[op.id] = op
	s.mu.Unlock()

	run := func() {
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-octx.Done():
				return
			}
		}
		var res *Result
		var err error
		if failMsg != "" {
			err = errors.New(failMsg)
		} else {
			res, err = s.execute(ss, req.Statement)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if op.state != hiveserver.TOperationState_RUNNING_STATE {
			return // cancelled or closed meanwhile
		}
		if err != nil {
			op.state = hiveserver.TOperationState_ERROR_STATE
			op.errMsg = err.Error()
			return
		}
		op.state = hiveserver.TOperationState_FINISHED_STATE
		op.result = res
		op.hasResult = len(res.Columns) > 0
	}
	if req.RunAsync {
		go run()
	} else {
		run()
		s.mu.Lock()
		st, msg := op.state, op.errMsg
		s.mu.Unlock()
		if st == hiveserver.TOperationState_ERROR_STATE {
			return &hiveserver.TExecuteStatementResp{Status: failed(msg)}, nil
		}
	}
	return &hiveserver.TExecuteStatementResp{
		Status: ok(),
		OperationHandle: &hiveserver.TOperationHandle{
			OperationId:   &hiveserver.THandleIdentifier{GUID: id, Secret: newID()},
			OperationType: hiveserver.TOperationType_EXECUTE_STATEMENT,
			HasResultSet:  hasResultSet(req.Statement),
		},
	}, nil
}

func (v *service) GetOperationStatus(ctx context.Context, req *hiveserver.TGetOperationStatusReq) (*hiveserver.TGetOperationStatusResp, error) {
	v.delay(ctx, "GetOperationStatus")
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	op := v.op(req.OperationHandle)
	if op == nil {
		return &hiveserver.TGetOperationStatusResp{Status: failed("Invalid OperationHandle")}, nil
	}
	st := op.state
	resp := &hiveserver.TGetOperationStatusResp{Status: ok(), OperationState: &st}
	switch st {
	case hiveserver.TOperationState_ERROR_STATE:
		msg, state, code := op.errMsg, "42000", int32(40000)
		resp.ErrorMessage, resp.SqlState, resp.ErrorCode = &msg, &state, &code
	case hiveserver.TOperationState_FINISHED_STATE:
		has := op.hasResult
		resp.HasResultSet = &has
	}
	return resp, nil
}

func (v *service) CancelOperation(ctx context.Context, req *hiveserver.TCancelOperationReq) (*hiveserver.TCancelOperationResp, error) {
	v.delay(ctx, "CancelOperation")
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	op := v.op(req.OperationHandle)
	if op == nil {
		return &hiveserver.TCancelOperationResp{Status: failed("Invalid OperationHandle")}, nil
	}
	op.cancel()
	if op.state == hiveserver.TOperationState_RUNNING_STATE {
		op.state = hiveserver.TOperationState_CANCELED_STATE
		v.s.cancelled = append(v.s.cancelled, op.stmt)
	}
	return &hiveserver.TCancelOperationResp{Status: ok()}, nil
}

func (v *service) CloseOperation(ctx context.Context, req *hiveserver.TCloseOperationReq) (*hiveserver.TCloseOperationResp, error) {
	v.delay(ctx, "CloseOperation")
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	op := v.op(req.OperationHandle)
	if op == nil {
		return &hiveserver.TCloseOperationResp{Status: failed("Invalid OperationHandle")}, nil
	}
	op.cancel()
	if op.state == hiveserver.TOperationState_RUNNING_STATE {
		op.state = hiveserver.TOperationState_CLOSED_STATE
	}
	delete(v.s.ops, op.id)
	return &hiveserver.TCloseOperationResp{Status: ok()}, nil
}

func typeID(t string) hiveserver.TTypeId {
	switch t {
	case "bigint":
		return hiveserver.TTypeId_BIGINT_TYPE
	case "boolean":
		return hiveserver.TTypeId_BOOLEAN_TYPE
	case "double":
		return hiveserver.TTypeId_DOUBLE_TYPE
	}
	return hiveserver.TTypeId_STRING_TYPE
}

func (v *service) GetResultSetMetadata(ctx context.Context, req *hiveserver.TGetResultSetMetadataReq) (*hiveserver.TGetResultSetMetadataResp, error) {
	v.delay(ctx, "GetResultSetMetadata")
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	op := v.op(req.OperationHandle)
	if op == nil || op.state != hiveserver.TOperationState_FINISHED_STATE || op.result == nil {
		return &hiveserver.TGetResultSetMetadataResp{Status: failed("Invalid OperationHandle or no result set")}, nil
	}
	schema := &hiveserver.TTableSchema{}
	for i, c := range op.result.Columns {
		schema.Columns = append(schema.Columns, &hiveserver.TColumnDesc{
			ColumnName: c,
			Position:   int32(i + 1),
			TypeDesc: &hiveserver.TTypeDesc{Types: []*hiveserver.TTypeEntry{{
				PrimitiveEntry: &hiveserver.TPrimitiveTypeEntry{Type: typeID(op.result.Types[i])},
			}}},
		})
	}
	return &hiveserver.TGetResultSetMetadataResp{Status: ok(), Schema: schema}, nil
}

// column builds a columnar TColumn of type typ from rows[from:to][i].
func column(typ string, rows [][]any, i int) *hiveserver.TColumn {
	nulls := make([]byte, (len(rows)+7)/8)
	isNull := func(r int) bool {
		if i >= len(rows[r]) || rows[r][i] == nil {
			nulls[r/8] |= 1 << (r % 8)
			return true
		}
		return false
	}
	switch typ {
	case "bigint":
		vals := make([]int64, len(rows))
		for r := range rows {
			if !isNull(r) {
				switch x := rows[r][i].(type) {
				case int:
					vals[r] = int64(x)
				case int32:
					vals[r] = int64(x)
				case int64:
					vals[r] = x
				}
			}
		}
		return &hiveserver.TColumn{I64Val: &hiveserver.TI64Column{Values: vals, Nulls: nulls}}
	case "boolean":
		vals := make([]bool, len(rows))
		for r := range rows {
			if !isNull(r) {
				vals[r], _ = rows[r][i].(bool)
			}
		}
		return &hiveserver.TColumn{BoolVal: &hiveserver.TBoolColumn{Values: vals, Nulls: nulls}}
	case "double":
		vals := make([]float64, len(rows))
		for r := range rows {
			if !isNull(r) {
				vals[r], _ = rows[r][i].(float64)
			}
		}
		return &hiveserver.TColumn{DoubleVal: &hiveserver.TDoubleColumn{Values: vals, Nulls: nulls}}
	}
	vals := make([]string, len(rows))
	for r := range rows {
		if !isNull(r) {
			vals[r] = fmt.Sprint(rows[r][i])
		}
	}
	return &hiveserver.TColumn{StringVal: &hiveserver.TStringColumn{Values: vals, Nulls: nulls}}
}

func (v *service) FetchResults(ctx context.Context, req *hiveserver.TFetchResultsReq) (*hiveserver.TFetchResultsResp, error) {
	v.delay(ctx, "FetchResults")
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	op := v.op(req.OperationHandle)
	if op == nil {
		return &hiveserver.TFetchResultsResp{Status: failed("Invalid OperationHandle")}, nil
	}
	if req.FetchType == 1 { // logs
		return &hiveserver.TFetchResultsResp{Status: ok(), Results: &hiveserver.TRowSet{
			Columns: []*hiveserver.TColumn{{StringVal: &hiveserver.TStringColumn{}}},
		}}, nil
	}
	if op.state != hiveserver.TOperationState_FINISHED_STATE || op.result == nil {
		return &hiveserver.TFetchResultsResp{Status: failed("The operation has no result set or is not finished")}, nil
	}
	res := op.result
	n := int(req.MaxRows)
	if n <= 0 {
		n = 1000
	}
	end := min(len(res.Rows), op.offset+n)
	batch := res.Rows[op.offset:end]
	rs := &hiveserver.TRowSet{StartRowOffset: int64(op.offset)}
	for i := range res.Columns {
		rs.Columns = append(rs.Columns, column(res.Types[i], batch, i))
	}
	op.offset = end
	more := end < len(res.Rows)
	return &hiveserver.TFetchResultsResp{Status: ok(), HasMoreRows: &more, Results: rs}, nil
}

// Calls Shoal does not make.

func unsupported(name string) *hiveserver.TStatus {
	return failed("hs2test: " + name + " is not implemented")
}

func (v *service) GetInfo(context.Context, *hiveserver.TGetInfoReq) (*hiveserver.TGetInfoResp, error) {
	return &hiveserver.TGetInfoResp{Status: unsupported("GetInfo"), InfoValue: &hiveserver.TGetInfoValue{}}, nil
}

func (v *service) GetTypeInfo(context.Context, *hiveserver.TGetTypeInfoReq) (*hiveserver.TGetTypeInfoResp, error) {
	return &hiveserver.TGetTypeInfoResp{Status: unsupported("GetTypeInfo")}, nil
}

func (v *service) GetCatalogs(context.Context, *hiveserver.TGetCatalogsReq) (*hiveserver.TGetCatalogsResp, error) {
	return &hiveserver.TGetCatalogsResp{Status: unsupported("GetCatalogs")}, nil
}

func (v *service) GetSchemas(context.Context, *hiveserver.TGetSchemasReq) (*hiveserver.TGetSchemasResp, error) {
	return &hiveserver.TGetSchemasResp{Status: unsupported("GetSchemas")}, nil
}

func (v *service) GetTables(context.Context, *hiveserver.TGetTablesReq) (*hiveserver.TGetTablesResp, error) {
	return &hiveserver.TGetTablesResp{Status: unsupported("GetTables")}, nil
}

func (v *service) GetTableTypes(context.Context, *hiveserver.TGetTableTypesReq) (*hiveserver.TGetTableTypesResp, error) {
	return &hiveserver.TGetTableTypesResp{Status: unsupported("GetTableTypes")}, nil
}

func (v *service) GetColumns(context.Context, *hiveserver.TGetColumnsReq) (*hiveserver.TGetColumnsResp, error) {
	return &hiveserver.TGetColumnsResp{Status: unsupported("GetColumns")}, nil
}

func (v *service) GetFunctions(context.Context, *hiveserver.TGetFunctionsReq) (*hiveserver.TGetFunctionsResp, error) {
	return &hiveserver.TGetFunctionsResp{Status: unsupported("GetFunctions")}, nil
}

func (v *service) GetPrimaryKeys(context.Context, *hiveserver.TGetPrimaryKeysReq) (*hiveserver.TGetPrimaryKeysResp, error) {
	return &hiveserver.TGetPrimaryKeysResp{Status: unsupported("GetPrimaryKeys")}, nil
}

func (v *service) GetCrossReference(context.Context, *hiveserver.TGetCrossReferenceReq) (*hiveserver.TGetCrossReferenceResp, error) {
	return &hiveserver.TGetCrossReferenceResp{Status: unsupported("GetCrossReference")}, nil
}

func (v *service) GetDelegationToken(context.Context, *hiveserver.TGetDelegationTokenReq) (*hiveserver.TGetDelegationTokenResp, error) {
	return &hiveserver.TGetDelegationTokenResp{Status: unsupported("GetDelegationToken")}, nil
}

func (v *service) CancelDelegationToken(context.Context, *hiveserver.TCancelDelegationTokenReq) (*hiveserver.TCancelDelegationTokenResp, error) {
	return &hiveserver.TCancelDelegationTokenResp{Status: unsupported("CancelDelegationToken")}, nil
}

func (v *service) RenewDelegationToken(context.Context, *hiveserver.TRenewDelegationTokenReq) (*hiveserver.TRenewDelegationTokenResp, error) {
	return &hiveserver.TRenewDelegationTokenResp{Status: unsupported("RenewDelegationToken")}, nil
}

func (v *service) GetQueryId(context.Context, *hiveserver.TGetQueryIdReq) (*hiveserver.TGetQueryIdResp, error) {
	return &hiveserver.TGetQueryIdResp{}, errors.New("hs2test: GetQueryId is not implemented")
}

func (v *service) SetClientInfo(context.Context, *hiveserver.TSetClientInfoReq) (*hiveserver.TSetClientInfoResp, error) {
	return &hiveserver.TSetClientInfoResp{Status: unsupported("SetClientInfo")}, nil
}
