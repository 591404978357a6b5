// Package config defines Shoal's configuration file: its settings, their
// defaults, strict YAML parsing, SHOAL_* environment overrides and
// validation with errors that name the field.
//
// Loading order: DefaultConfig, then the YAML file (unknown fields are
// errors), then environment variables, then command-line flags (applied by
// the caller), then Validate.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/shoalhq/shoal"
)

// Config is the whole configuration.
type Config struct {
	// Catalog is the warehouse to scan, when there is one. It is named
	// "default" unless it has a name.
	Catalog CatalogConfig `yaml:"catalog"`
	// Catalogs are further named catalogs (clusters), each with its own
	// metastore, file-system settings and policy defaults.
	Catalogs []CatalogConfig `yaml:"catalogs"`
	// Store is where scans and snapshots are kept.
	Store StoreConfig `yaml:"store"`
	// Server is the HTTP API and dashboard.
	Server ServerConfig `yaml:"server"`
	// Worker runs jobs (scans).
	Worker WorkerConfig `yaml:"worker"`
	// Scan tunes scans.
	Scan ScanConfig `yaml:"scan"`
	// Policy holds the thresholds that define a small file.
	Policy PolicyConfig `yaml:"policy"`
	// Merge holds the default merge policy and backup retention; policies
	// stored through the API override it per database and table.
	Merge MergeConfig `yaml:"merge"`
	// Auth protects the mutating API endpoints.
	Auth AuthConfig `yaml:"auth"`
	// Log configures logging.
	Log LogConfig `yaml:"log"`
	// Tracing sends OpenTelemetry traces over OTLP.
	Tracing TracingConfig `yaml:"tracing"`
	// Sentry reports panics and errors.
	Sentry SentryConfig `yaml:"sentry"`
	// Notify sends job failures, rollbacks and a daily summary to chat and
	// mail.
	Notify NotifyConfig `yaml:"notify"`
}

// DefaultCatalog is the name of the catalog configured under catalog:
// without a name.
const DefaultCatalog = "default"

// CatalogConfig is one catalog: a metastore and the file systems that hold
// its tables.
type CatalogConfig struct {
	// Name identifies the catalog in the API, the dashboard and the store:
	// letters, digits, '-' and '_' (default "default" for catalog:).
	Name string `yaml:"name"`
	// URL of the catalog: warehouse:///abs/path (a Hive warehouse
	// directory on local disk), thrift://host:9083[,host2:9083] (the Hive
	// Metastore), or hmsdb+mysql:// / hmsdb+postgres:// (the metastore's
	// backend database, read-only). Required by serve, worker and scan.
	URL string `yaml:"url"`
	// WriteURL is a thrift:// metastore URI used to record merges when URL
	// is a read-only hmsdb+ database. Without it, merges of such a catalog
	// swap directories and leave the metastore as it is.
	WriteURL string `yaml:"write_url"`
	// Files, when set to fsimage:///path/to/fsimage, makes scans list files
	// from an offline HDFS fsimage instead of the live file system: no
	// NameNode call at all. Merges still use the live file system.
	Files string `yaml:"files"`
	// HiveServer is a hive2:// or kyuubi:// URI. Partitions at least
	// merge.cluster_bytes large, RCFile partitions and ACID tables are
	// merged there with Hive SQL instead of in-process.
	HiveServer string `yaml:"hiveserver"`
	// HDFS configures hdfs:// locations.
	HDFS HDFSConfig `yaml:"hdfs"`
	// S3 configures s3:// and s3a:// locations.
	S3 S3Config `yaml:"s3"`
	// Policy and Merge override the global policy and merge defaults for
	// this catalog; unset (zero) fields inherit them.
	Policy PolicyConfig `yaml:"policy"`
	Merge  MergeConfig  `yaml:"merge"`
}

// HDFSConfig configures access to HDFS.
type HDFSConfig struct {
	// ConfDir holds core-site.xml and hdfs-site.xml (default
	// $HADOOP_CONF_DIR).
	ConfDir string `yaml:"conf_dir"`
	// User is the HDFS user without Kerberos (default $HADOOP_USER_NAME,
	// then the OS user).
	User string `yaml:"user"`
	// Keytab and Principal log in with Kerberos; without a keytab the
	// ticket cache (KRB5CCNAME) is used when the cluster needs Kerberos.
	Keytab    string `yaml:"keytab"`
	Principal string `yaml:"principal"`
	// Krb5Conf is the Kerberos configuration (default /etc/krb5.conf).
	Krb5Conf string `yaml:"krb5_conf"`
	// CCache is the Kerberos ticket cache used without a keytab (default
	// $KRB5CCNAME, then /tmp/krb5cc_<uid>). A ticket cache is not renewed:
	// long-running servers should use a keytab.
	CCache string `yaml:"ccache"`
	// OpsPerSecond limits NameNode operations per second; 0 is unlimited.
	OpsPerSecond float64 `yaml:"ops_per_second"`
	// Timeout bounds connecting and each NameNode call (default 30s).
	Timeout Duration `yaml:"timeout"`
}

// S3Config configures access to S3 and S3-compatible stores.
type S3Config struct {
	// Endpoint is the service URL, for S3-compatible stores (empty: AWS).
	Endpoint string `yaml:"endpoint"`
	// Region (default us-east-1 with an endpoint, else from the AWS
	// configuration).
	Region string `yaml:"region"`
	// PathStyle addresses buckets as endpoint/bucket (MinIO and most
	// S3-compatible stores need it).
	PathStyle bool `yaml:"path_style"`
	// AccessKey and SecretKey are static credentials; leave them empty to
	// use the AWS default chain (environment, shared files, web identity,
	// instance metadata). Set the secret through SHOAL_CATALOG_S3_SECRET_KEY.
	AccessKey string `yaml:"access_key"`
	SecretKey string `yaml:"secret_key"`
	// PartSize is the multipart upload part size (default 64MiB).
	PartSize Size `yaml:"part_size"`
	// OpsPerSecond limits requests per second; 0 is unlimited.
	OpsPerSecond float64 `yaml:"ops_per_second"`
}

// AllCatalogs returns every configured catalog: catalog: first (named
// "default" unless named), then catalogs:. Each one's policy and merge
// settings are resolved against the global ones.
func (c *Config) AllCatalogs() []CatalogConfig {
	var out []CatalogConfig
	if c.Catalog.URL != "" {
		cc := c.Catalog
		if cc.Name == "" {
			cc.Name = DefaultCatalog
		}
		out = append(out, cc)
	}
	out = append(out, c.Catalogs...)
	for i := range out {
		out[i].Policy = inherit(out[i].Policy, c.Policy)
		out[i].Merge = inherit(out[i].Merge, c.Merge)
	}
	return out
}

// FindCatalog returns the catalog with that name.
func (c *Config) FindCatalog(name string) (CatalogConfig, bool) {
	for _, cc := range c.AllCatalogs() {
		if cc.Name == name {
			return cc, true
		}
	}
	return CatalogConfig{}, false
}

// inherit returns over with every zero field taken from base.
func inherit[T any](over, base T) T {
	o, b := reflect.ValueOf(&over).Elem(), reflect.ValueOf(base)
	for i := range o.NumField() {
		if o.Field(i).IsZero() {
			o.Field(i).Set(b.Field(i))
		}
	}
	return over
}

// StoreConfig names the store.
type StoreConfig struct {
	// URL of the store: sqlite://relative/or/abs/path.db (default
	// sqlite://shoal.db) or postgres://user:pass@host:port/db?sslmode=...
	URL string `yaml:"url"`
}

// ServerConfig configures `shoal serve`.
type ServerConfig struct {
	// Addr is the listen address (default :8080).
	Addr string `yaml:"addr"`
	// EmbeddedWorker runs job workers inside serve (default true). Set it
	// to false when `shoal worker` processes run the jobs.
	EmbeddedWorker bool `yaml:"embedded_worker"`
	// ReadHeaderTimeout bounds reading request headers (default 10s).
	ReadHeaderTimeout Duration `yaml:"read_header_timeout"`
	// ShutdownTimeout bounds the graceful shutdown (default 30s).
	ShutdownTimeout Duration `yaml:"shutdown_timeout"`
	// CORSOrigins lists origins allowed to call the API from a browser;
	// empty (the default) sends no CORS headers.
	CORSOrigins []string `yaml:"cors_origins"`
}

// WorkerConfig configures job workers.
type WorkerConfig struct {
	// Concurrency is how many jobs a worker process runs at once
	// (default 2).
	Concurrency int `yaml:"concurrency"`
	// Addr is where `shoal worker` serves /healthz, /readyz and /metrics
	// (default :9090; empty turns the listener off).
	Addr string `yaml:"addr"`
}

// ScanConfig tunes scans.
type ScanConfig struct {
	// Concurrency is how many partitions a scan lists at once (default 8).
	Concurrency int `yaml:"concurrency"`
	// OpsPerSecond limits directory listings per second; 0 (the default)
	// means unlimited. Use it to protect a NameNode.
	OpsPerSecond float64 `yaml:"ops_per_second"`
	// SniffFiles is how many files per partition have their first bytes
	// read to detect the format (default 1; -1 disables).
	SniffFiles int `yaml:"sniff_files"`
	// SniffEvery: the first 16 partitions of each table are sniffed, then
	// one in SniffEvery (default 16; 1 sniffs every partition). Partitions
	// not sniffed take the format found in their table.
	SniffEvery int `yaml:"sniff_every"`
	// Interval runs a scan periodically; 0 (the default) disables it.
	Interval Duration `yaml:"interval"`
	// KeepSnapshots is how many snapshots keep their partition statistics
	// (default 10; 0 keeps all). Older snapshots keep table statistics for
	// trends.
	KeepSnapshots int `yaml:"keep_snapshots"`
}

// PolicyConfig holds the size thresholds.
type PolicyConfig struct {
	// SmallFileSize: files smaller than this are small (default 16MiB,
	// like Hive's hive.merge.smallfiles.avgsize).
	SmallFileSize Size `yaml:"small_file_size"`
	// TargetFileSize is the size merged files aim for (default 128MiB).
	TargetFileSize Size `yaml:"target_file_size"`
	// BlockSize estimates blocks where the file system has none (default
	// 128MiB, HDFS dfs.blocksize).
	BlockSize Size `yaml:"block_size"`
}

// Policy returns the default merge policy: the thresholds of p and the
// merge settings of m.
func (m MergeConfig) Policy(p PolicyConfig) shoal.EffectivePolicy {
	pol := shoal.DefaultPolicy()
	pol.SmallFileSize = int64(p.SmallFileSize)
	pol.TargetFileSize = int64(p.TargetFileSize)
	pol.MinAge = shoal.Duration(m.MinAge)
	pol.Mode = shoal.MergeMode(m.Mode)
	pol.RowGroupSize = int64(m.RowGroupSize)
	pol.MaxBytesPerJob = int64(m.MaxBytesPerJob)
	pol.MaxBytesPerRun = int64(m.MaxBytesPerRun)
	pol.ClusterBytes = int64(m.ClusterBytes)
	pol.Sources = []string{"config"}
	return pol
}

// Thresholds returns the policy as shoal.Thresholds.
func (p PolicyConfig) Thresholds() shoal.Thresholds {
	return shoal.Thresholds{SmallFileSize: int64(p.SmallFileSize), TargetFileSize: int64(p.TargetFileSize), BlockSize: int64(p.BlockSize)}
}

// MergeConfig is the default merge policy.
type MergeConfig struct {
	// MinAge: a partition is cold, and may be merged, when its newest
	// file and last DDL are older than this (default 24h).
	MinAge Duration `yaml:"min_age"`
	// Mode is auto (default), concat or rewrite.
	Mode string `yaml:"mode"`
	// RowGroupSize is the row-group or stripe size rewrite writes
	// (default 128MiB); auto rewrites partitions whose row groups average
	// below a quarter of it.
	RowGroupSize Size `yaml:"row_group_size"`
	// MaxBytesPerJob caps the bytes one merge job rewrites (default 64GiB).
	MaxBytesPerJob Size `yaml:"max_bytes_per_job"`
	// MaxBytesPerRun caps an automatic run across the warehouse
	// (default 512GiB).
	MaxBytesPerRun Size `yaml:"max_bytes_per_run"`
	// Retention is how long the original files of a merged partition are
	// kept for rollback (default 168h, 7 days).
	Retention Duration `yaml:"retention"`
	// ClusterBytes: partitions at least this large are merged on the
	// cluster through the catalog's HiveServer2 or Kyuubi instead of
	// in-process (default 0: never, by size).
	ClusterBytes Size `yaml:"cluster_bytes"`
}

// AuthConfig protects the mutating endpoints.
type AuthConfig struct {
	// Tokens are the bearer tokens allowed to start scans and merges,
	// cancel, roll back and edit policies, as name:secret pairs (the name
	// goes into the audit log). Empty (the default) leaves the API open,
	// as in the demo. Set them through SHOAL_AUTH_TOKENS, not in a file
	// that is committed.
	Tokens []string `yaml:"tokens"`
}

// LogConfig configures logging.
type LogConfig struct {
	// Level is debug, info (default), warn or error.
	Level string `yaml:"level"`
	// Format is text (default) or json.
	Format string `yaml:"format"`
}

// DefaultConfig returns the configuration with every default set.
func DefaultConfig() Config {
	th := shoal.DefaultThresholds
	return Config{
		Store: StoreConfig{URL: "sqlite://shoal.db"},
		Server: ServerConfig{
			Addr:              ":8080",
			EmbeddedWorker:    true,
			ReadHeaderTimeout: Duration(10 * time.Second),
			ShutdownTimeout:   Duration(30 * time.Second),
		},
		Worker:  WorkerConfig{Concurrency: 2, Addr: ":9090"},
		Tracing: TracingConfig{SampleRatio: 1, ServiceName: "shoal"},
		Sentry:  SentryConfig{SampleRate: 1},
		Scan:    ScanConfig{Concurrency: 8, SniffFiles: 1, SniffEvery: 16, KeepSnapshots: 10},
		Policy:  PolicyConfig{SmallFileSize: Size(th.SmallFileSize), TargetFileSize: Size(th.TargetFileSize), BlockSize: Size(th.BlockSize)},
		Log:     LogConfig{Level: "info", Format: "text"},
		Merge: MergeConfig{
			MinAge: Duration(24 * time.Hour), Mode: "auto", RowGroupSize: Size(128 * shoal.MiB),
			MaxBytesPerJob: Size(64 * shoal.GiB), MaxBytesPerRun: Size(512 * shoal.GiB),
			Retention: Duration(7 * 24 * time.Hour),
		},
	}
}

// Load reads the file at path (when path is not empty) over the defaults,
// expands its ${NAME} references from environ, then applies the SHOAL_*
// variables of environ. It does not validate: callers apply flags and then
// call Validate.
func Load(path string, environ []string) (Config, error) {
	cfg := DefaultConfig()
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return cfg, fmt.Errorf("read config: %w", err)
		}
		if err := Parse(data, &cfg); err != nil {
			return cfg, fmt.Errorf("config %s: %w", path, err)
		}
		if err := ExpandEnv(&cfg, environ); err != nil {
			return cfg, fmt.Errorf("config %s: %w", path, err)
		}
	}
	if err := ApplyEnv(&cfg, environ); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// Parse decodes YAML strictly into cfg: unknown fields and a second
// document are errors.
func Parse(data []byte, cfg *Config) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // an empty file keeps the defaults
		}
		return fmt.Errorf("parse: %w", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return errors.New("parse: the file must hold a single YAML document")
	}
	return nil
}

// EnvPrefix starts the name of every environment override.
const EnvPrefix = "SHOAL_"

// EnvVar is one environment variable that overrides a setting.
type EnvVar struct {
	Name  string // e.g. SHOAL_STORE_URL
	Field string // e.g. store.url
	field reflect.Value
}

// EnvVars lists every environment variable that overrides a field of cfg:
// the YAML path in upper case with dots as underscores.
func EnvVars(cfg *Config) []EnvVar {
	var out []EnvVar
	var walk func(v reflect.Value, path []string)
	walk = func(v reflect.Value, path []string) {
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
			if tag == "" || tag == "-" {
				continue
			}
			p := append(append([]string(nil), path...), tag)
			fv := v.Field(i)
			if fv.Kind() == reflect.Slice && fv.Type().Elem().Kind() == reflect.Struct {
				continue // catalogs: lists are set in the file only
			}
			if fv.Kind() == reflect.Struct {
				walk(fv, p)
				continue
			}
			out = append(out, EnvVar{
				Name:  EnvPrefix + strings.ToUpper(strings.Join(p, "_")),
				Field: strings.Join(p, "."),
				field: fv,
			})
		}
	}
	walk(reflect.ValueOf(cfg).Elem(), nil)
	return out
}

// ApplyEnv sets the fields named by SHOAL_* variables in environ
// ("KEY=value" strings, as from os.Environ). SHOAL_<NAME>_FILE=path sets
// the same field to the content of the file, without trailing newlines.
// Unknown SHOAL_* names are errors, so that a typo never goes unnoticed,
// and so is setting both a variable and its _FILE form.
func ApplyEnv(cfg *Config, environ []string) error {
	vars := map[string]EnvVar{}
	for _, ev := range EnvVars(cfg) {
		vars[ev.Name] = ev
	}
	set := map[string]bool{}
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		set[name] = true
	}
	var errs []error
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, EnvPrefix) {
			continue
		}
		ev, known := vars[name]
		if !known {
			base, isFile := strings.CutSuffix(name, FileSuffix)
			if ev, known = vars[base]; isFile && known {
				if set[base] {
					errs = append(errs, fmt.Errorf("environment %s and %s are both set: use one", base, name))
					continue
				}
				v, err := readSecretFile(value)
				if err != nil {
					errs = append(errs, fmt.Errorf("environment %s (%s): %w", name, ev.Field, err))
					continue
				}
				value = v
			}
		}
		if !known {
			if ignoredEnv[name] {
				continue
			}
			errs = append(errs, fmt.Errorf("environment %s: no such setting", name))
			continue
		}
		if err := setField(ev.field, value); err != nil {
			errs = append(errs, fmt.Errorf("environment %s (%s): %w", name, ev.Field, err))
		}
	}
	return errors.Join(errs...)
}

// ignoredEnv are SHOAL_* variables that are not settings: test switches.
var ignoredEnv = map[string]bool{
	"SHOAL_REQUIRE_INTEGRATION": true,
	"SHOAL_REQUIRE_REALDATA":    true,
	"SHOAL_TEST_POSTGRES":       true,
	"SHOAL_TEST_MYSQL":          true,
	"SHOAL_TEST_HDFS":           true,
	"SHOAL_TEST_S3":             true,
	"SHOAL_CONFIG":              true,
	"SHOAL_VULNDB":              true,
	"SHOAL_DOCTEST":             true,
	"SHOAL_TEST_DOCS":           true,
}

func setField(f reflect.Value, s string) error {
	switch p := f.Addr().Interface().(type) {
	case *Size:
		return p.Set(s)
	case *Duration:
		return p.Set(s)
	case *string:
		*p = s
	case *bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("want true or false, got %q", s)
		}
		*p = b
	case *int:
		n, err := strconv.Atoi(s)
		if err != nil {
			return fmt.Errorf("want an integer, got %q", s)
		}
		*p = n
	case *float64:
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("want a number, got %q", s)
		}
		*p = x
	case *[]string:
		*p = nil
		for _, e := range strings.Split(s, ",") {
			if e = strings.TrimSpace(e); e != "" {
				*p = append(*p, e)
			}
		}
	default:
		return fmt.Errorf("unsupported setting type %s", f.Type())
	}
	return nil
}

// Validate checks every setting. Its errors name the field and the value.
// requireCatalog is set by the commands that scan.
func (c *Config) Validate(requireCatalog bool) error {
	var errs []error
	bad := func(field string, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if c.Catalog.URL == "" && len(c.Catalogs) == 0 && requireCatalog {
		bad("catalog.url", "is required (for example warehouse:///data/warehouse)")
	}
	if c.Catalog.URL == "" && (c.Catalog != CatalogConfig{}) {
		bad("catalog.url", "is required when other catalog settings are set")
	}
	seen := map[string]bool{}
	all := c.AllCatalogs()
	named := len(all) - len(c.Catalogs) // 1 when catalog: is set, first
	for i, cc := range all {
		field := "catalog"
		if i >= named {
			field = "catalogs[" + strconv.Itoa(i-named) + "]"
		}
		errs = append(errs, cc.validate(field, seen)...)
	}
	if c.Store.URL == "" {
		bad("store.url", "is required")
	} else if err := checkURL(c.Store.URL, "sqlite", "postgres", "postgresql"); err != nil {
		bad("store.url", "%v", err)
	}
	if c.Server.Addr == "" {
		bad("server.addr", "is required")
	} else if i := strings.LastIndexByte(c.Server.Addr, ':'); i < 0 {
		bad("server.addr", "%q is not host:port", c.Server.Addr)
	} else if p, err := strconv.Atoi(c.Server.Addr[i+1:]); err != nil || p < 0 || p > 65535 {
		bad("server.addr", "%q has no valid port", c.Server.Addr)
	}
	if c.Server.ReadHeaderTimeout <= 0 {
		bad("server.read_header_timeout", "must be positive, got %s", c.Server.ReadHeaderTimeout)
	}
	if c.Server.ShutdownTimeout <= 0 {
		bad("server.shutdown_timeout", "must be positive, got %s", c.Server.ShutdownTimeout)
	}
	for _, o := range c.Server.CORSOrigins {
		if u, err := url.Parse(o); o != "*" && (err != nil || u.Scheme == "" || u.Host == "") {
			bad("server.cors_origins", "%q is not an origin such as https://shoal.example.com", o)
		}
	}
	if c.Merge.MinAge < 0 {
		bad("merge.min_age", "must not be negative, got %s", c.Merge.MinAge)
	}
	if !shoal.MergeMode(c.Merge.Mode).Valid() {
		bad("merge.mode", "%q is not auto, concat or rewrite", c.Merge.Mode)
	}
	for _, f := range []struct {
		name string
		v    Size
	}{{"merge.row_group_size", c.Merge.RowGroupSize}, {"merge.max_bytes_per_job", c.Merge.MaxBytesPerJob}, {"merge.max_bytes_per_run", c.Merge.MaxBytesPerRun}} {
		if f.v <= 0 {
			bad(f.name, "must be positive")
		}
	}
	if c.Merge.Retention <= 0 {
		bad("merge.retention", "must be positive, got %s", c.Merge.Retention)
	}
	for _, tok := range c.Auth.Tokens {
		if name, secret, ok := strings.Cut(tok, ":"); !ok || name == "" || len(secret) < 16 {
			bad("auth.tokens", "each token is name:secret with a secret of at least 16 characters")
			break
		}
	}
	if c.Worker.Concurrency < 1 || c.Worker.Concurrency > 64 {
		bad("worker.concurrency", "must be between 1 and 64, got %d", c.Worker.Concurrency)
	}
	if c.Scan.Concurrency < 1 || c.Scan.Concurrency > 1024 {
		bad("scan.concurrency", "must be between 1 and 1024, got %d", c.Scan.Concurrency)
	}
	if c.Scan.OpsPerSecond < 0 {
		bad("scan.ops_per_second", "must not be negative, got %g", c.Scan.OpsPerSecond)
	}
	if c.Scan.SniffFiles < -1 || c.Scan.SniffFiles == 0 {
		bad("scan.sniff_files", "must be -1 (off) or at least 1, got %d", c.Scan.SniffFiles)
	}
	if c.Scan.SniffEvery < 1 {
		bad("scan.sniff_every", "must be at least 1, got %d", c.Scan.SniffEvery)
	}
	if c.Scan.Interval < 0 || (c.Scan.Interval > 0 && c.Scan.Interval < Duration(time.Minute)) {
		bad("scan.interval", "must be 0 (off) or at least 1m, got %s", c.Scan.Interval)
	}
	if c.Scan.KeepSnapshots < 0 {
		bad("scan.keep_snapshots", "must not be negative, got %d", c.Scan.KeepSnapshots)
	}
	for _, s := range []struct {
		field string
		v     Size
	}{{"policy.small_file_size", c.Policy.SmallFileSize}, {"policy.target_file_size", c.Policy.TargetFileSize}, {"policy.block_size", c.Policy.BlockSize}} {
		if s.v <= 0 {
			bad(s.field, "must be positive, got %s", s.v)
		}
	}
	if c.Policy.SmallFileSize > c.Policy.TargetFileSize {
		bad("policy.small_file_size", "%s must not exceed policy.target_file_size %s", c.Policy.SmallFileSize, c.Policy.TargetFileSize)
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "must be debug, info, warn or error, got %q", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		bad("log.format", "must be text or json, got %q", c.Log.Format)
	}
	errs = append(errs, c.validateObservability()...)
	return errors.Join(errs...)
}

// CatalogSchemes are the catalog URL schemes.
var CatalogSchemes = []string{"warehouse", "thrift", "hmsdb+mysql", "hmsdb+postgres"}

// validate checks one catalog; field is its path in the file.
func (cc *CatalogConfig) validate(field string, seen map[string]bool) []error {
	var errs []error
	bad := func(f string, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s.%s: %s", field, f, fmt.Sprintf(format, args...)))
	}
	switch {
	case cc.Name == "":
		bad("name", "is required")
	case !validName(cc.Name):
		bad("name", "%q must be 1 to 64 letters, digits, '-' or '_'", cc.Name)
	case seen[cc.Name]:
		bad("name", "%q is used by another catalog", cc.Name)
	}
	seen[cc.Name] = true
	if cc.URL == "" {
		bad("url", "is required")
	} else if err := checkURL(cc.URL, CatalogSchemes...); err != nil {
		bad("url", "%v", err)
	}
	if cc.WriteURL != "" {
		if err := checkURL(cc.WriteURL, "thrift"); err != nil {
			bad("write_url", "%v", err)
		} else if !strings.HasPrefix(cc.URL, "hmsdb+") {
			bad("write_url", "is only for hmsdb+ catalogs, which cannot write")
		}
	}
	if cc.Files != "" {
		if err := checkURL(cc.Files, "fsimage"); err != nil {
			bad("files", "%v", err)
		}
	}
	if cc.HiveServer != "" {
		if err := checkURL(cc.HiveServer, "hive2", "kyuubi"); err != nil {
			bad("hiveserver", "%v", err)
		}
	}
	if cc.HDFS.OpsPerSecond < 0 {
		bad("hdfs.ops_per_second", "must not be negative, got %g", cc.HDFS.OpsPerSecond)
	}
	if cc.HDFS.Timeout < 0 {
		bad("hdfs.timeout", "must not be negative, got %s", cc.HDFS.Timeout)
	}
	if cc.S3.OpsPerSecond < 0 {
		bad("s3.ops_per_second", "must not be negative, got %g", cc.S3.OpsPerSecond)
	}
	if cc.S3.PartSize != 0 && (cc.S3.PartSize < 5*1<<20 || cc.S3.PartSize > 5*1<<30) {
		bad("s3.part_size", "must be between 5MiB and 5GiB, got %s", cc.S3.PartSize)
	}
	if (cc.S3.AccessKey == "") != (cc.S3.SecretKey == "") {
		bad("s3", "access_key and secret_key go together")
	}
	if cc.S3.Endpoint != "" {
		if err := checkURL(cc.S3.Endpoint, "http", "https"); err != nil {
			bad("s3.endpoint", "%v", err)
		}
	}
	if cc.Merge.Mode != "" && !shoal.MergeMode(cc.Merge.Mode).Valid() {
		bad("merge.mode", "%q is not auto, concat or rewrite", cc.Merge.Mode)
	}
	if cc.Policy.SmallFileSize > cc.Policy.TargetFileSize && cc.Policy.TargetFileSize > 0 {
		bad("policy.small_file_size", "%s must not exceed target_file_size %s", cc.Policy.SmallFileSize, cc.Policy.TargetFileSize)
	}
	return errs
}

func validName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != '-' && r != '_' {
			return false
		}
	}
	return true
}

func checkURL(s string, schemes ...string) error {
	u, err := url.Parse(s)
	if err != nil {
		// Neither url.Parse's message nor the URL is shown: a password
		// that broke the parse may not be found by redact either.
		shown := "the URL"
		if scheme, _, ok := strings.Cut(s, "://"); ok {
			shown = scheme + "://..."
		}
		return fmt.Errorf("%s is not a valid URL (percent-encode characters such as @ : / ? # in a user name or password)", shown)
	}
	for _, sc := range schemes {
		if u.Scheme == sc {
			return nil
		}
	}
	return fmt.Errorf("%q: scheme must be one of %s", redact(s), strings.Join(schemes, ", "))
}

// redact removes secrets from a URL for messages.
func redact(s string) string { return shoal.RedactURI(s) }

// Redact removes any password from a URL, for logs and the API.
func Redact(s string) string { return redact(s) }
