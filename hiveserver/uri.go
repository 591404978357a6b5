package hiveserver

import (
	"net/url"
	"os/user"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shoalhq/shoal"
)

// Auth mechanisms.
const (
	AuthNone     = "NONE"
	AuthNoSASL   = "NOSASL"
	AuthLDAP     = "LDAP"
	AuthKerberos = "KERBEROS"
)

// Config is a parsed endpoint URI. See the package documentation for the
// parameters.
type Config struct {
	// Scheme is "hive2" or "kyuubi".
	Scheme string
	Host   string
	Port   int
	// Database is the URI path. Statements always name the database, so it
	// is kept for display only.
	Database  string
	Auth      string
	User      string
	Password  string
	Service   string
	Transport string // "binary" or "http"
	HTTPPath  string
	TLS       bool
	Queue     string
	// Engine is the Kyuubi engine type (SPARK_SQL, HIVE_SQL); empty means
	// the server's default (SPARK_SQL).
	Engine string
	// Timeout bounds one statement; ConnectTimeout the connection and
	// session opening; SocketTimeout every read and write on the socket.
	Timeout           time.Duration
	ConnectTimeout    time.Duration
	SocketTimeout     time.Duration
	PollInterval      time.Duration
	CompactionTimeout time.Duration
	CompactionPoll    time.Duration
	// Conf holds the conf.KEY=VALUE parameters, sent as session
	// configuration when the session is opened.
	Conf map[string]string
}

// Defaults.
const (
	DefaultHivePort          = 10000
	DefaultHiveHTTPPort      = 10001
	DefaultKyuubiPort        = 10009
	DefaultKyuubiHTTPPort    = 10010
	DefaultTimeout           = 4 * time.Hour
	DefaultConnectTimeout    = 30 * time.Second
	DefaultSocketTimeout     = 5 * time.Minute
	DefaultPollInterval      = 2 * time.Second
	DefaultCompactionTimeout = 12 * time.Hour
	DefaultCompactionPoll    = 30 * time.Second
)

// Dialect is the SQL dialect of the endpoint: Spark for Kyuubi unless its
// engine is HIVE_SQL.
func (c *Config) Dialect() Dialect {
	if c.Scheme == "kyuubi" && c.Engine != "HIVE_SQL" {
		return DialectSpark
	}
	return DialectHive
}

// Addr is host:port.
func (c *Config) Addr() string {
	h := c.Host
	if strings.Contains(h, ":") {
		h = "[" + h + "]"
	}
	return h + ":" + strconv.Itoa(c.Port)
}

// String renders the URI without the password.
func (c *Config) String() string {
	q := url.Values{}
	q.Set("auth", c.Auth)
	if c.User != "" {
		q.Set("user", c.User)
	}
	if c.Password != "" {
		q.Set("password", "xxxxx")
	}
	q.Set("transport", c.Transport)
	if c.Queue != "" {
		q.Set("queue", c.Queue)
	}
	if c.Engine != "" {
		q.Set("engine", c.Engine)
	}
	for k, v := range c.Conf {
		q.Set("conf."+k, v)
	}
	return c.Scheme + "://" + c.Addr() + "/" + c.Database + "?" + q.Encode()
}

// sessionConf is the configuration sent with OpenSession.
func (c *Config) sessionConf() map[string]string {
	m := map[string]string{}
	if c.Queue != "" {
		if c.Dialect() == DialectSpark {
			m["spark.yarn.queue"] = c.Queue
		} else {
			m[c.hiveconf("mapreduce.job.queuename")] = c.Queue
			m[c.hiveconf("tez.queue.name")] = c.Queue
		}
	}
	if c.Engine != "" {
		m["kyuubi.engine.type"] = c.Engine
	}
	for k, v := range c.Conf {
		m[k] = v
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

// hiveconf prefixes a Hive setting the way Hive's JDBC driver sends it in
// OpenSession; Kyuubi takes plain keys.
func (c *Config) hiveconf(k string) string {
	if c.Scheme == "kyuubi" {
		return k
	}
	return "set:hiveconf:" + k
}

var knownParams = map[string]bool{
	"auth": true, "user": true, "password": true, "service": true,
	"transport": true, "http_path": true, "ssl": true, "queue": true,
	"engine": true, "timeout": true, "connect_timeout": true,
	"socket_timeout": true, "poll_interval": true,
	"compaction_timeout": true, "compaction_poll": true,
}

// ParseURI parses and validates an endpoint URI. Errors are *shoal.Error
// with code EINVALID (ENOTIMPLEMENTED for Kerberos in a build without the
// kerberos tag); they name parameters, never their values, so a password
// cannot leak through them.
func ParseURI(uri string) (*Config, error) {
	u, err := url.Parse(uri)
	if err != nil {
		// url.Error quotes the whole URI, password included.
		return nil, shoal.Errorf(shoal.EINVALID, "invalid HiveServer2 URI: want hive2://host:port/database?auth=…")
	}
	c := &Config{
		Scheme:            u.Scheme,
		Auth:              AuthNone,
		Service:           "hive",
		Transport:         "binary",
		HTTPPath:          "cliservice",
		Timeout:           DefaultTimeout,
		ConnectTimeout:    DefaultConnectTimeout,
		SocketTimeout:     DefaultSocketTimeout,
		PollInterval:      DefaultPollInterval,
		CompactionTimeout: DefaultCompactionTimeout,
		CompactionPoll:    DefaultCompactionPoll,
	}
	if c.Scheme != "hive2" && c.Scheme != "kyuubi" {
		return nil, shoal.Errorf(shoal.EINVALID, "invalid HiveServer2 URI: scheme must be hive2 or kyuubi")
	}
	if u.User != nil {
		return nil, shoal.Errorf(shoal.EINVALID, "invalid HiveServer2 URI: pass credentials as user= and password= parameters, not before the host")
	}
	if u.Opaque != "" || u.Fragment != "" {
		return nil, shoal.Errorf(shoal.EINVALID, "invalid HiveServer2 URI: want %s://host:port/database?…", c.Scheme)
	}
	c.Host = u.Hostname()
	if c.Host == "" {
		return nil, shoal.Errorf(shoal.EINVALID, "invalid HiveServer2 URI: missing host")
	}
	db := strings.TrimPrefix(u.Path, "/")
	if strings.Contains(db, "/") {
		return nil, shoal.Errorf(shoal.EINVALID, "invalid HiveServer2 URI: the path must be a database name")
	}
	if db == "" {
		db = "default"
	}
	c.Database = db

	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, shoal.Errorf(shoal.EINVALID, "invalid HiveServer2 URI: malformed query parameters")
	}
	names := make([]string, 0, len(q))
	for k := range q {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		vs := q[k]
		if len(vs) != 1 {
			return nil, shoal.Errorf(shoal.EINVALID, "invalid HiveServer2 URI: parameter %q given %d times", k, len(vs))
		}
		v := vs[0]
		if ck, ok := strings.CutPrefix(k, "conf."); ok {
			if ck == "" {
				return nil, shoal.Errorf(shoal.EINVALID, "invalid HiveServer2 URI: empty conf. parameter name")
			}
			if c.Conf == nil {
				c.Conf = map[string]string{}
			}
			c.Conf[ck] = v
			continue
		}
		if !knownParams[k] {
			return nil, shoal.Errorf(shoal.EINVALID, "invalid HiveServer2 URI: unknown parameter %q (known: auth, user, password, service, transport, http_path, ssl, queue, engine, timeout, connect_timeout, socket_timeout, poll_interval, compaction_timeout, compaction_poll, conf.KEY)", k)
		}
		if v == "" && k != "password" {
			return nil, shoal.Errorf(shoal.EINVALID, "invalid HiveServer2 URI: parameter %q is empty", k)
		}
		switch k {
		case "auth":
			c.Auth = strings.ToUpper(v)
		case "user":
			c.User = v
		case "password":
			c.Password = v
		case "service":
			c.Service = v
		case "transport":
			c.Transport = strings.ToLower(v)
		case "http_path":
			c.HTTPPath = strings.TrimPrefix(v, "/")
		case "ssl":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return nil, shoal.Errorf(shoal.EINVALID, "invalid HiveServer2 URI: ssl must be true or false")
			}
			c.TLS = b
		case "queue":
			c.Queue = v
		case "engine":
			c.Engine = strings.ToUpper(v)
		default: // durations
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return nil, shoal.Errorf(shoal.EINVALID, "invalid HiveServer2 URI: %s must be a positive Go duration such as 30s or 2h", k)
			}
			switch k {
			case "timeout":
				c.Timeout = d
			case "connect_timeout":
				c.ConnectTimeout = d
			case "socket_timeout":
				c.SocketTimeout = d
			case "poll_interval":
				c.PollInterval = d
			case "compaction_timeout":
				c.CompactionTimeout = d
			case "compaction_poll":
				c.CompactionPoll = d
			}
		}
	}

	switch c.Transport {
	case "binary", "http":
	default:
		return nil, shoal.Errorf(shoal.EINVALID, "invalid HiveServer2 URI: transport must be binary or http")
	}
	switch c.Auth {
	case AuthNone:
	case AuthNoSASL:
		if c.Transport == "http" {
			return nil, shoal.Errorf(shoal.EINVALID, "invalid HiveServer2 URI: auth=NOSASL works only with transport=binary")
		}
	case AuthLDAP:
		if c.User == "" || c.Password == "" {
			return nil, shoal.Errorf(shoal.EINVALID, "invalid HiveServer2 URI: auth=LDAP needs user and password")
		}
	case AuthKerberos:
		if !kerberosSupported {
			return nil, shoal.Errorf(shoal.ENOTIMPLEMENTED, "auth=KERBEROS: this build of Shoal has no Kerberos support; build it with -tags kerberos (needs libkrb5-dev)")
		}
		if c.Password != "" {
			return nil, shoal.Errorf(shoal.EINVALID, "invalid HiveServer2 URI: auth=KERBEROS takes no password (it uses the Kerberos ticket cache)")
		}
	default:
		return nil, shoal.Errorf(shoal.EINVALID, "invalid HiveServer2 URI: auth must be NONE, NOSASL, LDAP or KERBEROS")
	}
	if c.Password != "" && c.User == "" {
		return nil, shoal.Errorf(shoal.EINVALID, "invalid HiveServer2 URI: password given without user")
	}
	if c.Engine != "" {
		if c.Scheme != "kyuubi" {
			return nil, shoal.Errorf(shoal.EINVALID, "invalid HiveServer2 URI: engine applies to kyuubi:// only")
		}
		if c.Engine != "SPARK_SQL" && c.Engine != "HIVE_SQL" {
			return nil, shoal.Errorf(shoal.EINVALID, "invalid HiveServer2 URI: engine must be SPARK_SQL or HIVE_SQL")
		}
	}
	if ek, ok := c.Conf["kyuubi.engine.type"]; ok && c.Scheme == "kyuubi" {
		if c.Engine != "" && !strings.EqualFold(ek, c.Engine) {
			return nil, shoal.Errorf(shoal.EINVALID, "invalid HiveServer2 URI: engine and conf.kyuubi.engine.type disagree")
		}
		c.Engine = strings.ToUpper(ek)
		if c.Engine != "SPARK_SQL" && c.Engine != "HIVE_SQL" {
			return nil, shoal.Errorf(shoal.EINVALID, "invalid HiveServer2 URI: engine must be SPARK_SQL or HIVE_SQL")
		}
	}

	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n > 65535 {
			return nil, shoal.Errorf(shoal.EINVALID, "invalid HiveServer2 URI: bad port")
		}
		c.Port = n
	} else {
		switch {
		case c.Scheme == "kyuubi" && c.Transport == "http":
			c.Port = DefaultKyuubiHTTPPort
		case c.Scheme == "kyuubi":
			c.Port = DefaultKyuubiPort
		case c.Transport == "http":
			c.Port = DefaultHiveHTTPPort
		default:
			c.Port = DefaultHivePort
		}
	}
	if c.User == "" {
		c.User = "shoal"
		if u, err := user.Current(); err == nil && u.Username != "" {
			c.User = u.Username
		}
	}
	return c, nil
}
