package telemetry

import (
	"context"
	"io"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/shoalhq/shoal"
)

// span starts a client span named name under ctx's span.
func span(ctx context.Context, name string, attrs ...attribute.KeyValue) (context.Context, trace.Span) {
	return Tracer().Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
}

// end records err on the span, if any, and ends it.
func end(s trace.Span, err error) {
	if err != nil {
		s.RecordError(err)
		s.SetStatus(codes.Error, err.Error())
	}
	s.End()
}

// Catalog returns c with a span around every call when tracing is on, and
// c itself when it is off. The wrapper is a shoal.CatalogWriter when c is.
func Catalog(c shoal.Catalog, name string) shoal.Catalog {
	if !Enabled() || c == nil {
		return c
	}
	tc := &tracedCatalog{c: c, name: attribute.String("shoal.catalog", name)}
	if w, ok := c.(shoal.CatalogWriter); ok {
		return &tracedCatalogWriter{tracedCatalog: tc, w: w}
	}
	return tc
}

// CatalogWriter returns w with a span around every call when tracing is
// on, and w itself when it is off.
func CatalogWriter(w shoal.CatalogWriter, name string) shoal.CatalogWriter {
	if !Enabled() || w == nil {
		return w
	}
	return &tracedWriter{w: w, name: attribute.String("shoal.catalog", name)}
}

type tracedCatalog struct {
	c    shoal.Catalog
	name attribute.KeyValue
}

func (t *tracedCatalog) Databases(ctx context.Context) (_ []shoal.Database, err error) {
	ctx, s := span(ctx, "catalog.Databases", t.name)
	defer func() { end(s, err) }()
	return t.c.Databases(ctx)
}

func (t *tracedCatalog) Tables(ctx context.Context, db string) (_ []shoal.Table, err error) {
	ctx, s := span(ctx, "catalog.Tables", t.name, attribute.String("shoal.database", db))
	defer func() { end(s, err) }()
	return t.c.Tables(ctx, db)
}

func (t *tracedCatalog) Partitions(ctx context.Context, tb *shoal.Table, fn func(shoal.Partition) error) (err error) {
	ctx, s := span(ctx, "catalog.Partitions", t.name, attribute.String("shoal.table", tb.Database+"."+tb.Name))
	defer func() { end(s, err) }()
	return t.c.Partitions(ctx, tb, fn)
}

func (t *tracedCatalog) Close() error { return t.c.Close() }

type tracedCatalogWriter struct {
	*tracedCatalog
	w shoal.CatalogWriter
}

func (t *tracedCatalogWriter) Relocate(ctx context.Context, tb *shoal.Table, p *shoal.Partition, oldLocation, newLocation string) error {
	return (&tracedWriter{w: t.w, name: t.name}).Relocate(ctx, tb, p, oldLocation, newLocation)
}

func (t *tracedCatalogWriter) UpdateStats(ctx context.Context, tb *shoal.Table, p *shoal.Partition, files, bytes int64) error {
	return (&tracedWriter{w: t.w, name: t.name}).UpdateStats(ctx, tb, p, files, bytes)
}

type tracedWriter struct {
	w    shoal.CatalogWriter
	name attribute.KeyValue
}

func (t *tracedWriter) Relocate(ctx context.Context, tb *shoal.Table, p *shoal.Partition, oldLocation, newLocation string) (err error) {
	ctx, s := span(ctx, "catalog.Relocate", t.name, attribute.String("shoal.table", tb.Database+"."+tb.Name))
	defer func() { end(s, err) }()
	return t.w.Relocate(ctx, tb, p, oldLocation, newLocation)
}

func (t *tracedWriter) UpdateStats(ctx context.Context, tb *shoal.Table, p *shoal.Partition, files, bytes int64) (err error) {
	ctx, s := span(ctx, "catalog.UpdateStats", t.name, attribute.String("shoal.table", tb.Database+"."+tb.Name))
	defer func() { end(s, err) }()
	return t.w.UpdateStats(ctx, tb, p, files, bytes)
}

// FileSystem returns fs with a span around every call when tracing is on,
// and fs itself when it is off. Paths are recorded as span attributes.
func FileSystem(fs shoal.FileSystem) shoal.FileSystem {
	if !Enabled() || fs == nil {
		return fs
	}
	if w, ok := fs.(shoal.WritableFS); ok {
		return WritableFS(w)
	}
	return &tracedFS{fs: fs}
}

// WritableFS is FileSystem for a writable file system. The wrapper keeps
// what merges look for: it creates files with replication and block size
// when fs can (shoal.ParamsCreator), it is a shoal.ObjectStore when fs is
// one, and it says which object store holds a path when fs can.
func WritableFS(fs shoal.WritableFS) shoal.WritableFS {
	if !Enabled() || fs == nil {
		return fs
	}
	return wrapWritable(fs)
}

// wrapWritable wraps fs in the traced type that has the same optional
// interfaces (shoal.ParamsCreator, shoal.ObjectStore).
func wrapWritable(fs shoal.WritableFS) shoal.WritableFS {
	t := &tracedWritableFS{tracedFS: tracedFS{fs: fs}, w: fs}
	pc, params := fs.(shoal.ParamsCreator)
	os, object := fs.(shoal.ObjectStore)
	switch {
	case object && params:
		return &tracedObjectStoreParams{tracedObjectStore{t, os}, pc}
	case object:
		return &tracedObjectStore{t, os}
	case params:
		return &tracedParamsFS{t, pc}
	}
	return t
}

func pathAttr(p string) attribute.KeyValue { return attribute.String("shoal.path", p) }

type tracedFS struct{ fs shoal.FileSystem }

func (t *tracedFS) List(ctx context.Context, dir string, fn func(shoal.FileInfo) error) (err error) {
	ctx, s := span(ctx, "fs.List", pathAttr(dir))
	defer func() { end(s, err) }()
	return t.fs.List(ctx, dir, fn)
}

func (t *tracedFS) Stat(ctx context.Context, p string) (_ shoal.FileInfo, err error) {
	ctx, s := span(ctx, "fs.Stat", pathAttr(p))
	defer func() { end(s, err) }()
	return t.fs.Stat(ctx, p)
}

func (t *tracedFS) Open(ctx context.Context, p string) (_ io.ReadCloser, err error) {
	ctx, s := span(ctx, "fs.Open", pathAttr(p))
	defer func() { end(s, err) }()
	return t.fs.Open(ctx, p)
}

type tracedWritableFS struct {
	tracedFS
	w shoal.WritableFS
}

func (t *tracedWritableFS) OpenFile(ctx context.Context, p string) (_ shoal.ReadAtCloser, _ int64, err error) {
	ctx, s := span(ctx, "fs.OpenFile", pathAttr(p))
	defer func() { end(s, err) }()
	return t.w.OpenFile(ctx, p)
}

func (t *tracedWritableFS) Create(ctx context.Context, p string) (_ shoal.WriteFile, err error) {
	ctx, s := span(ctx, "fs.Create", pathAttr(p))
	defer func() { end(s, err) }()
	return t.w.Create(ctx, p)
}

func (t *tracedWritableFS) Mkdir(ctx context.Context, p string) (err error) {
	ctx, s := span(ctx, "fs.Mkdir", pathAttr(p))
	defer func() { end(s, err) }()
	return t.w.Mkdir(ctx, p)
}

func (t *tracedWritableFS) Rename(ctx context.Context, oldpath, newpath string) (err error) {
	ctx, s := span(ctx, "fs.Rename", pathAttr(oldpath), attribute.String("shoal.new_path", newpath))
	defer func() { end(s, err) }()
	return t.w.Rename(ctx, oldpath, newpath)
}

func (t *tracedWritableFS) RemoveAll(ctx context.Context, p string) (err error) {
	ctx, s := span(ctx, "fs.RemoveAll", pathAttr(p))
	defer func() { end(s, err) }()
	return t.w.RemoveAll(ctx, p)
}

func (t *tracedWritableFS) Link(ctx context.Context, oldpath, newpath string) (err error) {
	ctx, s := span(ctx, "fs.Link", pathAttr(oldpath), attribute.String("shoal.new_path", newpath))
	defer func() { end(s, err) }()
	return t.w.Link(ctx, oldpath, newpath)
}

func (t *tracedWritableFS) SyncDir(ctx context.Context, p string) (err error) {
	ctx, s := span(ctx, "fs.SyncDir", pathAttr(p))
	defer func() { end(s, err) }()
	return t.w.SyncDir(ctx, p)
}

// objectStoreRouter is what multifs.FS offers: the object store that holds
// a path.
type objectStoreRouter interface {
	ObjectStore(ctx context.Context, path string) (shoal.ObjectStore, bool)
}

// ObjectStore returns the traced object store that holds path, when the
// wrapped file system is or routes to one.
func (t *tracedWritableFS) ObjectStore(ctx context.Context, p string) (shoal.ObjectStore, bool) {
	var os shoal.ObjectStore
	switch fs := t.w.(type) {
	case shoal.ObjectStore:
		os = fs
	case objectStoreRouter:
		o, ok := fs.ObjectStore(ctx, p)
		if !ok {
			return nil, false
		}
		os = o
	default:
		return nil, false
	}
	return wrapWritable(os).(shoal.ObjectStore), true
}

type tracedObjectStore struct {
	*tracedWritableFS
	os shoal.ObjectStore
}

func (t *tracedObjectStore) ResumeRename(ctx context.Context, oldpath, newpath string) (err error) {
	ctx, s := span(ctx, "fs.ResumeRename", pathAttr(oldpath), attribute.String("shoal.new_path", newpath))
	defer func() { end(s, err) }()
	return t.os.ResumeRename(ctx, oldpath, newpath)
}

func createWith(ctx context.Context, pc shoal.ParamsCreator, p string, replication int, blockSize int64) (_ shoal.WriteFile, err error) {
	ctx, s := span(ctx, "fs.Create", pathAttr(p), attribute.Int("shoal.replication", replication))
	defer func() { end(s, err) }()
	return pc.CreateWith(ctx, p, replication, blockSize)
}

type tracedParamsFS struct {
	*tracedWritableFS
	pc shoal.ParamsCreator
}

// CreateWith implements shoal.ParamsCreator.
func (t *tracedParamsFS) CreateWith(ctx context.Context, p string, replication int, blockSize int64) (shoal.WriteFile, error) {
	return createWith(ctx, t.pc, p, replication, blockSize)
}

type tracedObjectStoreParams struct {
	tracedObjectStore
	pc shoal.ParamsCreator
}

// CreateWith implements shoal.ParamsCreator.
func (t *tracedObjectStoreParams) CreateWith(ctx context.Context, p string, replication int, blockSize int64) (shoal.WriteFile, error) {
	return createWith(ctx, t.pc, p, replication, blockSize)
}
