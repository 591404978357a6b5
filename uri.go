package shoal

import (
	"net/url"
	"strings"
)

// RedactURI returns uri with its secrets replaced by "xxxxx": the password
// of the user information, and the values of the query parameters named in
// secretParams. It works on text, so that a URI that url.Parse refuses
// (several hosts, an unescaped password) is hidden too, and it is
// idempotent. Every URI that reaches a log, an error or the API goes
// through it.
func RedactURI(uri string) string {
	rest, frag, hasFrag := strings.Cut(uri, "#")
	base, query, hasQuery := strings.Cut(rest, "?")
	if i := strings.Index(base, "://"); i >= 0 {
		// The user information ends at the last @ before the query, so
		// that a / or @ in an unescaped password is hidden too.
		auth := base[i+3:]
		if at := strings.LastIndexByte(auth, '@'); at >= 0 {
			if u, _, ok := strings.Cut(auth[:at], ":"); ok {
				auth = u + ":xxxxx" + auth[at:]
			}
		}
		base = base[:i+3] + auth
	}
	out := base
	if hasQuery {
		parts := strings.Split(query, "&")
		for k, p := range parts {
			name, _, _ := strings.Cut(p, "=")
			if n, err := url.QueryUnescape(name); (err == nil && secretParam(n)) || secretParam(name) {
				parts[k] = name + "=xxxxx"
			}
		}
		out += "?" + strings.Join(parts, "&")
	}
	if hasFrag {
		out += "#" + frag
	}
	return out
}

// secretParams are the query parameters whose values RedactURI hides.
var secretParams = []string{"password", "secret", "secret_key", "session_token", "token"}

func secretParam(name string) bool {
	for _, s := range secretParams {
		if strings.EqualFold(name, s) {
			return true
		}
	}
	return false
}
