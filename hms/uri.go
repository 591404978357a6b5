package hms

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/shoalhq/shoal"
)

// Scheme is the URI scheme of the catalog.
const Scheme = "thrift"

// Defaults used when the URI does not set the parameter.
const (
	DefaultPort           = 9083
	DefaultConnectTimeout = 10 * time.Second
	DefaultReadTimeout    = 60 * time.Second
	DefaultBatchSize      = 1000
	DefaultMaxConns       = 4
	// MaxBatchSize bounds batch_size: one reply must fit in a Thrift frame.
	MaxBatchSize = 10000
)

// Authentication mechanisms (the auth parameter).
const (
	AuthNoSASL   = "NOSASL"
	AuthPlain    = "PLAIN"
	AuthKerberos = "KERBEROS"
)

// config is a parsed catalog URI.
type config struct {
	hosts          []string // host:port, in failover order
	auth           string
	user, password string
	service        string // Kerberos service name
	connectTimeout time.Duration
	readTimeout    time.Duration
	batchSize      int
	maxConns       int
	redacted       string // the URI without its password
}

// knownParams are the query parameters the URI accepts.
var knownParams = []string{"auth", "user", "password", "service", "connect_timeout", "read_timeout", "batch_size", "max_conns"}

// Redact returns uri with any password hidden (shoal.RedactURI).
func Redact(uri string) string { return shoal.RedactURI(uri) }

// parseURI reads thrift://[user[:password]@]host[:port][,host[:port]...][/][?params].
func parseURI(uri string) (*config, error) {
	c := &config{
		redacted:       Redact(uri),
		auth:           AuthNoSASL,
		service:        "hive",
		connectTimeout: DefaultConnectTimeout,
		readTimeout:    DefaultReadTimeout,
		batchSize:      DefaultBatchSize,
		maxConns:       DefaultMaxConns,
	}
	bad := func(format string, args ...any) error {
		return shoal.Errorf(shoal.EINVALID, "catalog URI %s: %s", c.redacted, fmt.Sprintf(format, args...))
	}
	rest, ok := strings.CutPrefix(uri, Scheme+"://")
	if !ok {
		return nil, bad("want %s://host:%d[,host2:%d][?params]", Scheme, DefaultPort, DefaultPort)
	}
	if strings.Contains(rest, "#") {
		return nil, bad("a fragment (#) is not allowed")
	}
	authority, query, _ := strings.Cut(rest, "?")
	var userinfo string
	var hasUserinfo bool
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		userinfo, authority, hasUserinfo = authority[:at], authority[at+1:], true
	}
	authority, path, _ := strings.Cut(authority, "/")
	if path != "" {
		return nil, bad("unexpected path %q", "/"+path)
	}
	if hasUserinfo {
		u, p, hasPass := strings.Cut(userinfo, ":")
		var err error
		if c.user, err = url.PathUnescape(u); err != nil {
			return nil, bad("invalid escape in user name")
		}
		if hasPass {
			if c.password, err = url.PathUnescape(p); err != nil {
				return nil, bad("invalid escape in password")
			}
		}
	}
	if authority == "" {
		return nil, bad("missing host")
	}
	for _, h := range strings.Split(authority, ",") {
		hp, err := parseHost(h)
		if err != nil {
			return nil, bad("%v", err)
		}
		c.hosts = append(c.hosts, hp)
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return nil, bad("invalid query")
	}
	for k, vs := range q {
		v := vs[len(vs)-1]
		switch k {
		case "auth":
			switch a := strings.ToUpper(v); a {
			case AuthNoSASL, AuthPlain, AuthKerberos:
				c.auth = a
			case "GSSAPI":
				c.auth = AuthKerberos
			case "NONE": // gohive's name for PLAIN
				c.auth = AuthPlain
			default:
				return nil, bad("auth must be NOSASL, PLAIN or KERBEROS, got %q", v)
			}
		case "user":
			if hasUserinfo && c.user != v {
				return nil, bad("user is given twice")
			}
			c.user = v
		case "password":
			if hasUserinfo && c.password != "" && c.password != v {
				return nil, bad("password is given twice")
			}
			c.password = v
		case "service":
			if v == "" {
				return nil, bad("service must not be empty")
			}
			c.service = v
		case "connect_timeout", "read_timeout":
			d, err := parseTimeout(v)
			if err != nil {
				return nil, bad("%s: %v", k, err)
			}
			if k == "connect_timeout" {
				c.connectTimeout = d
			} else {
				c.readTimeout = d
			}
		case "batch_size", "max_conns":
			n, err := strconv.Atoi(v)
			max := MaxBatchSize
			if k == "max_conns" {
				max = 64
			}
			if err != nil || n < 1 || n > max {
				return nil, bad("%s must be a whole number from 1 to %d, got %q", k, max, v)
			}
			if k == "batch_size" {
				c.batchSize = n
			} else {
				c.maxConns = n
			}
		default:
			return nil, bad("unknown parameter %q (allowed: %s)", k, strings.Join(knownParams, ", "))
		}
	}
	switch c.auth {
	case AuthPlain:
		if c.user == "" {
			return nil, bad("auth=PLAIN needs a user")
		}
	case AuthNoSASL, AuthKerberos:
		if c.password != "" {
			return nil, bad("a password is only used with auth=PLAIN")
		}
	}
	return c, nil
}

// parseHost reads host, host:port, [v6] or [v6]:port and returns host:port.
func parseHost(h string) (string, error) {
	if h == "" {
		return "", fmt.Errorf("empty host in host list")
	}
	host, port := h, ""
	switch {
	case strings.HasPrefix(h, "["):
		end := strings.IndexByte(h, ']')
		if end < 0 {
			return "", fmt.Errorf("host %q: missing ]", h)
		}
		host = h[1:end]
		switch after := h[end+1:]; {
		case after == "":
		case strings.HasPrefix(after, ":"):
			port = after[1:]
		default:
			return "", fmt.Errorf("host %q: unexpected %q after ]", h, after)
		}
		if net.ParseIP(host) == nil {
			return "", fmt.Errorf("host %q: not an IP address in brackets", h)
		}
	case strings.Count(h, ":") == 1:
		host, port, _ = strings.Cut(h, ":")
	case strings.Contains(h, ":"):
		return "", fmt.Errorf("host %q: write IPv6 addresses in brackets", h)
	}
	if host == "" || strings.ContainsAny(host, " \t\r\n%@/\\[]") {
		return "", fmt.Errorf("invalid host %q", h)
	}
	p := DefaultPort
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n <= 0 || n > 65535 || strconv.Itoa(n) != port {
			return "", fmt.Errorf("host %q: invalid port %q", h, port)
		}
		p = n
	}
	return net.JoinHostPort(host, strconv.Itoa(p)), nil
}

// parseTimeout reads a positive duration, "30s", or whole seconds, "30".
func parseTimeout(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		n, nerr := strconv.Atoi(s)
		if nerr != nil {
			return 0, fmt.Errorf("invalid duration %q", s)
		}
		if n > 1<<20 {
			return 0, fmt.Errorf("duration %q is too long", s)
		}
		d = time.Duration(n) * time.Second
	}
	if d <= 0 {
		return 0, fmt.Errorf("duration %q must be positive", s)
	}
	return d, nil
}
