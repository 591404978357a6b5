// Package hmstest runs an in-process Hive Metastore Thrift server for
// tests. It implements only the calls Shoal's hms package makes, backed by
// in-memory maps, and is reached through gohive's real Thrift client over a
// loopback socket (binary protocol; NOSASL, or SASL PLAIN with
// WithPlain). Every other call gets a Thrift application exception
// UNKNOWN_METHOD, as a real server answers a call it does not have.
//
// It is a test double, not a metastore: it does not check schemas, move
// data, compute statistics or touch transient_lastDdlTime.
package hmstest

import (
	"context"
	"fmt"
	"maps"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/thrift/lib/go/thrift"
	"github.com/beltran/gohive/hive_metastore"

	"github.com/shoalhq/shoal"
)

// Methods are the Thrift calls the server implements.
var Methods = []string{
	"get_all_databases", "get_database",
	"get_all_tables", "get_table", "get_table_objects_by_name",
	"get_partition_names", "get_partitions_by_names", "get_partition_by_name",
	"alter_partition", "alter_partition_with_environment_context",
	"alter_table", "alter_table_with_environment_context",
}

// ErrDropConnection, given to FailNext, makes the server close the
// connection instead of replying.
var ErrDropConnection = thrift.ErrAbandonRequest

// Option configures Start.
type Option func(*Server)

// WithPlain makes the server require SASL PLAIN with these credentials
// (auth=PLAIN on the client). Hive frames Thrift messages after the
// negotiation, and so does this server.
func WithPlain(user, password string) Option {
	return func(s *Server) { s.plainUser, s.plainPassword, s.plain = user, password, true }
}

// Server is an in-memory metastore served over Thrift on 127.0.0.1.
type Server struct {
	tb     testing.TB
	server *thrift.TSimpleServer
	addr   string
	done   chan struct{}
	served chan struct{}

	plain                    bool
	plainUser, plainPassword string

	mu       sync.Mutex
	dbs      map[string]*hive_metastore.Database
	tables   map[string]*hive_metastore.Table                // "db.table"
	parts    map[string]map[string]*hive_metastore.Partition // "db.table" -> name
	calls    map[string]int
	faults   map[string][]error
	delays   map[string][]time.Duration
	after    map[string][]func()
	disabled map[string]bool
	envs     map[string]map[string]string
	closed   bool
}

// Start starts a server on a free loopback port and stops it when the test
// ends.
func Start(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s := &Server{
		tb:       tb,
		done:     make(chan struct{}),
		served:   make(chan struct{}),
		dbs:      map[string]*hive_metastore.Database{},
		tables:   map[string]*hive_metastore.Table{},
		parts:    map[string]map[string]*hive_metastore.Partition{},
		calls:    map[string]int{},
		faults:   map[string][]error{},
		delays:   map[string][]time.Duration{},
		after:    map[string][]func(){},
		disabled: map[string]bool{},
		envs:     map[string]map[string]string{},
	}
	for _, o := range opts {
		o(s)
	}
	sock, err := thrift.NewTServerSocket("127.0.0.1:0")
	if err != nil {
		tb.Fatalf("hmstest: %v", err)
	}
	if err := sock.Listen(); err != nil {
		tb.Fatalf("hmstest: listen: %v", err)
	}
	s.addr = sock.Addr().String()
	proc := hive_metastore.NewThriftHiveMetastoreProcessor(&handler{s: s})
	// Keep only the calls implemented here, each wrapped to count it and
	// to answer UNKNOWN_METHOD when disabled; the generated processor
	// answers UNKNOWN_METHOD for the rest, so the nil interface embedded
	// in handler is never called.
	pm := proc.ProcessorMap()
	for name, fn := range pm {
		if slices.Contains(Methods, name) {
			pm[name] = &wrapped{s: s, name: name, fn: fn}
		} else {
			delete(pm, name)
		}
	}
	var trans thrift.TServerTransport = sock
	tf := thrift.NewTTransportFactory()
	if s.plain {
		trans = &saslServerSocket{TServerTransport: sock, user: s.plainUser, password: s.plainPassword}
	} else {
		tf = thrift.NewTBufferedTransportFactory(64 << 10)
	}
	s.server = thrift.NewTSimpleServer4(proc, trans, tf, thrift.NewTBinaryProtocolFactoryConf(nil))
	go func() {
		defer close(s.served)
		_ = s.server.AcceptLoop()
	}()
	tb.Cleanup(s.Close)
	return s
}

// Addr returns the server's host:port.
func (s *Server) Addr() string { return s.addr }

// URI returns thrift://host:port.
func (s *Server) URI() string { return "thrift://" + s.addr }

// Close stops the server and closes its connections.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.done)
	s.mu.Unlock()
	_ = s.server.Stop()
	<-s.served
}

func key(db, table string) string { return strings.ToLower(db) + "." + strings.ToLower(table) }

// AddDatabase adds or replaces a database.
func (s *Server) AddDatabase(name, location, owner string) {
	d := &hive_metastore.Database{Name: name, LocationUri: location, Parameters: map[string]string{}}
	if owner != "" {
		d.OwnerName = &owner
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dbs[strings.ToLower(name)] = d
}

// DropDatabase removes a database, its tables and their partitions.
func (s *Server) DropDatabase(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.dbs, strings.ToLower(name))
	prefix := strings.ToLower(name) + "."
	for k := range s.tables {
		if strings.HasPrefix(k, prefix) {
			delete(s.tables, k)
			delete(s.parts, k)
		}
	}
}

// AddTable adds or replaces a table; its database must exist.
func (s *Server) AddTable(t *hive_metastore.Table) {
	s.tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dbs[strings.ToLower(t.DbName)] == nil {
		s.tb.Fatalf("hmstest: AddTable %s.%s: no database %q", t.DbName, t.TableName, t.DbName)
	}
	k := key(t.DbName, t.TableName)
	s.tables[k] = clone(t, hive_metastore.NewTable)
	if s.parts[k] == nil {
		s.parts[k] = map[string]*hive_metastore.Partition{}
	}
}

// DropTable removes a table and its partitions.
func (s *Server) DropTable(db, table string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tables, key(db, table))
	delete(s.parts, key(db, table))
}

// AddPartition adds or replaces a partition of a table that exists and
// returns its name, built from the table's keys and p.Values as Hive
// builds it. DbName and TableName are filled in.
func (s *Server) AddPartition(db, table string, p *hive_metastore.Partition) string {
	s.tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tables[key(db, table)]
	if t == nil {
		s.tb.Fatalf("hmstest: AddPartition: no table %s.%s", db, table)
	}
	if len(p.Values) != len(t.PartitionKeys) {
		s.tb.Fatalf("hmstest: AddPartition %s.%s: %d values for %d keys", db, table, len(p.Values), len(t.PartitionKeys))
	}
	p = clone(p, hive_metastore.NewPartition)
	p.DbName, p.TableName = t.DbName, t.TableName
	name := PartName(t, p.Values)
	s.parts[key(db, table)][name] = p
	return name
}

// DropPartition removes a partition by name.
func (s *Server) DropPartition(db, table, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.parts[key(db, table)], name)
}

// Table returns a copy of a table, or nil.
func (s *Server) Table(db, table string) *hive_metastore.Table {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.tables[key(db, table)]; t != nil {
		return clone(t, hive_metastore.NewTable)
	}
	return nil
}

// Partition returns a copy of a partition, or nil.
func (s *Server) Partition(db, table, name string) *hive_metastore.Partition {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.parts[key(db, table)][name]; p != nil {
		return clone(p, hive_metastore.NewPartition)
	}
	return nil
}

// Calls returns how many times a method was called (disabled methods
// included, unknown ones not).
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

// AllCalls returns the call counts of every method called.
func (s *Server) AllCalls() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.calls)
}

// ResetCalls sets the call counts to zero.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.calls)
}

// FailNext makes the next call of method fail with err, which may be one of
// the method's declared exceptions (*hive_metastore.MetaException,
// *hive_metastore.NoSuchObjectException, ...), any other error (which the
// server reports as an INTERNAL_ERROR application exception), or
// ErrDropConnection. Several FailNext calls queue up.
func (s *Server) FailNext(method string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[method] = append(s.faults[method], err)
}

// DelayNext makes the next call of method wait d before it is handled.
func (s *Server) DelayNext(method string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delays[method] = append(s.delays[method], d)
}

// AfterNext runs fn once, after the next call of method has been handled
// and before its reply is sent. fn may call the Server's methods.
func (s *Server) AfterNext(method string, fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.after[method] = append(s.after[method], fn)
}

// DropPartitionAfterNames drops a partition right after the next
// get_partition_names call has listed it, so that the following
// get_partitions_by_names does not find it.
func (s *Server) DropPartitionAfterNames(db, table, name string) {
	s.AfterNext("get_partition_names", func() { s.DropPartition(db, table, name) })
}

// DropTableAfterList drops a table right after the next get_all_tables
// call has listed it.
func (s *Server) DropTableAfterList(db, table string) {
	s.AfterNext("get_all_tables", func() { s.DropTable(db, table) })
}

// Disable makes the server answer method with UNKNOWN_METHOD, as an older
// metastore without it would.
func (s *Server) Disable(method string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.disabled[method] = true
}

// EnvironmentContext returns the properties of the environment context of
// the last call of an alter_*_with_environment_context method, or nil.
func (s *Server) EnvironmentContext(method string) map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.envs[method])
}

// wrapped is a processor function that counts calls and refuses disabled
// ones.
type wrapped struct {
	s    *Server
	name string
	fn   thrift.TProcessorFunction
}

func (w *wrapped) Process(ctx context.Context, seqID int32, in, out thrift.TProtocol) (bool, thrift.TException) {
	w.s.mu.Lock()
	w.s.calls[w.name]++
	disabled := w.s.disabled[w.name]
	w.s.mu.Unlock()
	if !disabled {
		return w.fn.Process(ctx, seqID, in, out)
	}
	_ = in.Skip(ctx, thrift.STRUCT)
	_ = in.ReadMessageEnd(ctx)
	x := thrift.NewTApplicationException(thrift.UNKNOWN_METHOD, "Invalid method name: '"+w.name+"'")
	_ = out.WriteMessageBegin(ctx, w.name, thrift.EXCEPTION, seqID)
	_ = x.Write(ctx, out)
	_ = out.WriteMessageEnd(ctx)
	_ = out.Flush(ctx)
	return false, x
}

// enter applies the delay and fault queued for a call. The returned
// function runs the AfterNext hooks.
func (s *Server) enter(method string) (func(), error) {
	s.mu.Lock()
	var d time.Duration
	if q := s.delays[method]; len(q) > 0 {
		d, s.delays[method] = q[0], q[1:]
	}
	var err error
	if q := s.faults[method]; len(q) > 0 {
		err, s.faults[method] = q[0], q[1:]
	}
	var hook func()
	if q := s.after[method]; len(q) > 0 {
		hook, s.after[method] = q[0], q[1:]
	}
	s.mu.Unlock()
	if d > 0 {
		select {
		case <-time.After(d):
		case <-s.done:
			return func() {}, ErrDropConnection
		}
	}
	if hook == nil {
		hook = func() {}
	}
	return hook, err
}

// PartName builds the name Hive gives a partition of t with these values
// (FileUtils.makePartName): lower-case keys, escaped values, the default
// partition name for empty values.
func PartName(t *hive_metastore.Table, values []string) string {
	keys := make([]string, len(t.PartitionKeys))
	vals := make([]string, len(t.PartitionKeys))
	for i, k := range t.PartitionKeys {
		keys[i] = strings.ToLower(k.Name)
		if i < len(values) && values[i] != "" {
			vals[i] = values[i]
		} else {
			vals[i] = shoal.HiveDefaultPartition
		}
	}
	return shoal.PartitionSpec(keys, vals)
}

// clone deep-copies a Thrift struct through the binary protocol.
func clone[T thrift.TStruct](v T, fresh func() T) T {
	ctx := context.Background()
	b, err := thrift.NewTSerializer().Write(ctx, v)
	if err != nil {
		panic(fmt.Sprintf("hmstest: serialize %T: %v", v, err))
	}
	out := fresh()
	if err := thrift.NewTDeserializer().Read(ctx, out, b); err != nil {
		panic(fmt.Sprintf("hmstest: deserialize %T: %v", v, err))
	}
	return out
}

// Listener that accepts connections and never answers, for timeout tests.
type Blackhole struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
	done  chan struct{}
}

// StartBlackhole listens on a free loopback port, accepts every connection
// and never writes to it. It stops when the test ends.
func StartBlackhole(tb testing.TB) *Blackhole {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("hmstest: %v", err)
	}
	b := &Blackhole{ln: ln, done: make(chan struct{})}
	go func() {
		defer close(b.done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b.mu.Lock()
			b.conns = append(b.conns, c)
			b.mu.Unlock()
		}
	}()
	tb.Cleanup(b.Close)
	return b
}

// Addr returns the listener's host:port.
func (b *Blackhole) Addr() string { return b.ln.Addr().String() }

// Accepted returns how many connections were accepted.
func (b *Blackhole) Accepted() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.conns)
}

// Close stops listening and closes the accepted connections.
func (b *Blackhole) Close() {
	_ = b.ln.Close()
	<-b.done
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range b.conns {
		_ = c.Close()
	}
	b.conns = nil
}

// ClosedPort returns a loopback host:port where nothing listens.
func ClosedPort(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("hmstest: %v", err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}
