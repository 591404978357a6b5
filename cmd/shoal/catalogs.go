package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/config"
	"github.com/shoalhq/shoal/fsimage/imagefs"
	"github.com/shoalhq/shoal/hdfs"
	"github.com/shoalhq/shoal/hiveserver"
	"github.com/shoalhq/shoal/hms"
	"github.com/shoalhq/shoal/hmsdb"
	"github.com/shoalhq/shoal/localfs"
	"github.com/shoalhq/shoal/multifs"
	"github.com/shoalhq/shoal/s3"
	"github.com/shoalhq/shoal/warehouse"
)

// openedCatalog is a configured catalog: its metastore (opened on first
// use, so that a metastore that is down does not keep Shoal from starting),
// the file systems that hold its tables, and what it can write.
type openedCatalog struct {
	cfg     config.CatalogConfig
	catalog *lazyCatalog
	// fs is the live file systems.
	fs shoal.WritableFS
	// writer records merges in the metastore; nil when it cannot.
	writer shoal.CatalogWriter
	// cluster runs Hive SQL merges; nil without hiveserver.
	cluster *lazyCluster
	closers []io.Closer
}

// openCatalog opens one configured catalog. Only a warehouse directory is
// opened at once; metastores and file systems connect on first use.
func openCatalog(cc config.CatalogConfig) (_ *openedCatalog, err error) {
	o := &openedCatalog{cfg: cc}
	scheme, _, _ := strings.Cut(cc.URL, "://")
	switch scheme {
	case warehouse.Scheme:
		dir, err := warehouse.ParseURI(cc.URL)
		if err != nil {
			return nil, err
		}
		cat, err := warehouse.Open(dir)
		if err != nil {
			return nil, err
		}
		wfs, ok := cat.FileSystem().(shoal.WritableFS)
		if !ok {
			return nil, errors.Join(shoal.Errorf(shoal.EINTERNAL, "the warehouse file system cannot be written"), cat.Close())
		}
		o.fs = wfs
		o.catalog = &lazyCatalog{name: cc.Name, open: func(context.Context) (shoal.Catalog, error) { return cat, nil }}
	case "thrift":
		l := &lazyCatalog{name: cc.Name, open: func(ctx context.Context) (shoal.Catalog, error) { return hms.Open(ctx, cc.URL) }}
		o.catalog, o.writer = l, l
	case "hmsdb+mysql", "hmsdb+postgres":
		o.catalog = &lazyCatalog{name: cc.Name, open: func(ctx context.Context) (shoal.Catalog, error) { return hmsdb.Open(ctx, cc.URL) }}
		if cc.WriteURL != "" {
			w := &lazyCatalog{name: cc.Name + " (write_url)", open: func(ctx context.Context) (shoal.Catalog, error) { return hms.Open(ctx, cc.WriteURL) }}
			o.writer = w
			o.closers = append(o.closers, w)
		}
	default:
		return nil, shoal.Errorf(shoal.EINVALID, "catalog %s: URI %q: unknown scheme %q", cc.Name, config.Redact(cc.URL), scheme)
	}
	if o.fs == nil {
		mfs := multifs.New(localfs.New(), hdfsOpener(cc.HDFS), s3Opener(cc.S3))
		o.fs = mfs
		o.closers = append(o.closers, mfs)
	}
	if cc.HiveServer != "" {
		o.cluster = &lazyCluster{uri: cc.HiveServer}
		o.closers = append(o.closers, o.cluster)
	}
	return o, nil
}

// scanFS returns what scans of the catalog list: the live file systems, or
// an offline fsimage read now. The closer releases the image.
func (o *openedCatalog) scanFS() (shoal.FileSystem, io.Closer, error) {
	if o.cfg.Files == "" {
		return o.fs, io.NopCloser(nil), nil
	}
	img, err := imagefs.Open(o.cfg.Files)
	if err != nil {
		return nil, nil, fmt.Errorf("catalog %s: files: %w", o.cfg.Name, err)
	}
	return img, img, nil
}

// Close closes the catalog and everything opened with it.
func (o *openedCatalog) Close() error {
	errs := []error{o.catalog.Close()}
	for _, c := range o.closers {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

// lazyCatalog opens a catalog on first use and again after a failed open.
// It is a shoal.CatalogWriter when the catalog it opens is one.
type lazyCatalog struct {
	name string
	open func(ctx context.Context) (shoal.Catalog, error)
	mu   sync.Mutex
	cat  shoal.Catalog
}

func (l *lazyCatalog) get(ctx context.Context) (shoal.Catalog, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cat == nil {
		c, err := l.open(ctx)
		if err != nil {
			return nil, fmt.Errorf("catalog %s: %w", l.name, err)
		}
		l.cat = c
	}
	return l.cat, nil
}

// Databases implements shoal.Catalog.
func (l *lazyCatalog) Databases(ctx context.Context) ([]shoal.Database, error) {
	c, err := l.get(ctx)
	if err != nil {
		return nil, err
	}
	return c.Databases(ctx)
}

// Tables implements shoal.Catalog.
func (l *lazyCatalog) Tables(ctx context.Context, db string) ([]shoal.Table, error) {
	c, err := l.get(ctx)
	if err != nil {
		return nil, err
	}
	return c.Tables(ctx, db)
}

// Partitions implements shoal.Catalog.
func (l *lazyCatalog) Partitions(ctx context.Context, t *shoal.Table, fn func(shoal.Partition) error) error {
	c, err := l.get(ctx)
	if err != nil {
		return err
	}
	return c.Partitions(ctx, t, fn)
}

func (l *lazyCatalog) writer(ctx context.Context) (shoal.CatalogWriter, error) {
	c, err := l.get(ctx)
	if err != nil {
		return nil, err
	}
	w, ok := c.(shoal.CatalogWriter)
	if !ok {
		return nil, shoal.Errorf(shoal.ENOTIMPLEMENTED, "catalog %s cannot record merges", l.name)
	}
	return w, nil
}

// Relocate implements shoal.CatalogWriter.
func (l *lazyCatalog) Relocate(ctx context.Context, t *shoal.Table, p *shoal.Partition, oldLocation, newLocation string) error {
	w, err := l.writer(ctx)
	if err != nil {
		return err
	}
	return w.Relocate(ctx, t, p, oldLocation, newLocation)
}

// UpdateStats implements shoal.CatalogWriter.
func (l *lazyCatalog) UpdateStats(ctx context.Context, t *shoal.Table, p *shoal.Partition, files, bytes int64) error {
	w, err := l.writer(ctx)
	if err != nil {
		return err
	}
	return w.UpdateStats(ctx, t, p, files, bytes)
}

// Close closes the catalog if it was opened.
func (l *lazyCatalog) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cat == nil {
		return nil
	}
	err := l.cat.Close()
	l.cat = nil
	return err
}

// Kind is the catalog's kind as the API shows it.
func catalogKind(url string) string {
	scheme, _, _ := strings.Cut(url, "://")
	if strings.HasPrefix(scheme, "hmsdb+") {
		return "hmsdb"
	}
	return scheme
}

func hdfsOpener(c config.HDFSConfig) multifs.Opener {
	return func(ctx context.Context) (shoal.WritableFS, error) {
		return hdfs.New(ctx, hdfs.Options{
			ConfDir: c.ConfDir, User: c.User, Keytab: c.Keytab, Principal: c.Principal,
			KerberosConfig: c.Krb5Conf, CCache: c.CCache, OpsPerSecond: c.OpsPerSecond, Timeout: c.Timeout.Std(),
		})
	}
}

func s3Opener(c config.S3Config) multifs.Opener {
	return func(ctx context.Context) (shoal.WritableFS, error) {
		return s3.New(ctx, s3.Options{
			Endpoint: c.Endpoint, Region: c.Region, PathStyle: c.PathStyle,
			AccessKey: c.AccessKey, SecretKey: c.SecretKey, PartSize: int64(c.PartSize), OpsPerSecond: c.OpsPerSecond,
		})
	}
}

// lazyCluster connects to HiveServer2 or Kyuubi on first use, so that a
// cluster that is down does not keep Shoal from starting.
type lazyCluster struct {
	uri    string
	mu     sync.Mutex
	client *hiveserver.Client
}

func (l *lazyCluster) get(ctx context.Context) (*hiveserver.Client, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.client == nil {
		c, err := hiveserver.Open(ctx, l.uri)
		if err != nil {
			return nil, err
		}
		l.client = c
	}
	return l.client, nil
}

// Merge runs a Hive SQL merge of one partition.
func (l *lazyCluster) Merge(ctx context.Context, t *shoal.Table, p *shoal.Partition, req hiveserver.Request) (hiveserver.Result, error) {
	c, err := l.get(ctx)
	if err != nil {
		return hiveserver.Result{}, err
	}
	return c.Merge(ctx, t, p, req)
}

// Close closes the connection, if one was made.
func (l *lazyCluster) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.client == nil {
		return nil
	}
	err := l.client.Close()
	l.client = nil
	return err
}
