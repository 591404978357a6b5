package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// Secrets reach Shoal in three ways, none of which puts them in the config
// file of an image:
//
//   - SHOAL_<PATH>=value, an environment override of any scalar setting;
//   - SHOAL_<PATH>_FILE=/run/secrets/x, the same read from a file (the
//     Docker and Kubernetes secrets pattern; trailing newlines are
//     trimmed);
//   - ${NAME} references inside the settings of list items, which
//     environment variables cannot address: catalogs[] url, write_url,
//     hiveserver, s3.access_key and s3.secret_key, and notify.channels[]
//     url and secret.

// FileSuffix turns the name of an environment override into the name of
// the variable that reads the value from a file.
const FileSuffix = "_FILE"

// maxSecretFile bounds a file read for a SHOAL_*_FILE variable.
const maxSecretFile = 1 << 20

// readSecretFile reads the value of a SHOAL_*_FILE variable.
func readSecretFile(path string) (string, error) {
	if path == "" {
		return "", errors.New("empty file name")
	}
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer func() { _ = f.Close() }()
	data, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > maxSecretFile {
		return "", fmt.Errorf("%s is larger than %d bytes", path, maxSecretFile)
	}
	return strings.TrimRight(string(data), "\r\n"), nil
}

// refRE matches a ${NAME} reference.
var refRE = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// Reference is one ${NAME} reference in the config file.
type Reference struct {
	Field string // e.g. notify.channels[0].url
	Name  string // e.g. SLACK_WEBHOOK_URL
	// Whole is true when the setting is the reference alone.
	Whole bool
}

// refField is a setting that may hold ${NAME} references.
type refField struct {
	field string
	p     *string
}

// refFields returns the settings that take ${NAME} references.
func refFields(c *Config) []refField {
	var out []refField
	cat := func(prefix string, cc *CatalogConfig) {
		out = append(out,
			refField{prefix + ".url", &cc.URL},
			refField{prefix + ".write_url", &cc.WriteURL},
			refField{prefix + ".hiveserver", &cc.HiveServer},
			refField{prefix + ".s3.access_key", &cc.S3.AccessKey},
			refField{prefix + ".s3.secret_key", &cc.S3.SecretKey},
		)
	}
	cat("catalog", &c.Catalog)
	for i := range c.Catalogs {
		cat("catalogs["+strconv.Itoa(i)+"]", &c.Catalogs[i])
	}
	for i := range c.Notify.Channels {
		ch := &c.Notify.Channels[i]
		prefix := "notify.channels[" + strconv.Itoa(i) + "]"
		out = append(out, refField{prefix + ".url", &ch.URL}, refField{prefix + ".secret", &ch.Secret})
	}
	return out
}

// References lists the ${NAME} references in the settings that take them.
func References(c *Config) []Reference {
	var out []Reference
	for _, f := range refFields(c) {
		for _, m := range refRE.FindAllStringSubmatch(*f.p, -1) {
			out = append(out, Reference{Field: f.field, Name: m[1], Whole: m[0] == *f.p})
		}
	}
	return out
}

// ExpandEnv replaces the ${NAME} references of the settings that take them
// with values from environ ("KEY=value" strings). A reference to a
// variable that is not set is an error, and so is a name that starts with
// SHOAL_: that prefix is for settings.
func ExpandEnv(c *Config, environ []string) error {
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return expand(c, func(field, name string) (string, error) {
		v, ok := env[name]
		if !ok {
			return "", fmt.Errorf("%s: ${%s}: the environment variable is not set", field, name)
		}
		return v, nil
	})
}

// expand replaces every reference with value(field, name) and reports a
// "${" that does not start a well-formed reference.
func expand(c *Config, value func(field, name string) (string, error)) error {
	var errs []error
	for _, f := range refFields(c) {
		s := *f.p
		if !strings.Contains(s, "${") {
			continue
		}
		if strings.Contains(refRE.ReplaceAllString(s, ""), "${") {
			errs = append(errs, fmt.Errorf("%s: malformed reference: write ${NAME} with letters, digits and '_'", f.field))
			continue
		}
		var ferr error
		*f.p = refRE.ReplaceAllStringFunc(s, func(m string) string {
			name := m[2 : len(m)-1]
			if strings.HasPrefix(name, EnvPrefix) {
				if ferr == nil {
					ferr = fmt.Errorf("%s: ${%s}: names starting with %s are settings; use another name", f.field, name, EnvPrefix)
				}
				return m
			}
			v, err := value(f.field, name)
			if err != nil && ferr == nil {
				ferr = err
			}
			return v
		})
		if ferr != nil {
			errs = append(errs, ferr)
		}
	}
	return errors.Join(errs...)
}

// LiteralSecrets reports the secrets written literally in a parsed file
// (before ExpandEnv): production configs take them from the environment,
// from files (SHOAL_*_FILE) or, in list items, from ${NAME} references.
func LiteralSecrets(c *Config) []error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if literalPassword(c.Store.URL) {
		bad("store.url", "holds a password; set SHOAL_STORE_URL or SHOAL_STORE_URL_FILE instead")
	}
	if len(c.Auth.Tokens) > 0 {
		bad("auth.tokens", "tokens are secrets; set SHOAL_AUTH_TOKENS or SHOAL_AUTH_TOKENS_FILE instead")
	}
	if c.Sentry.DSN != "" {
		bad("sentry.dsn", "the DSN holds a key; set SHOAL_SENTRY_DSN or SHOAL_SENTRY_DSN_FILE instead")
	}
	if c.Notify.SMTP.Password != "" {
		bad("notify.smtp.password", "is a secret; set SHOAL_NOTIFY_SMTP_PASSWORD or SHOAL_NOTIFY_SMTP_PASSWORD_FILE instead")
	}
	cat := func(field string, cc *CatalogConfig, env bool) {
		for _, u := range []struct{ f, v string }{{"url", cc.URL}, {"write_url", cc.WriteURL}, {"hiveserver", cc.HiveServer}} {
			if literalPassword(u.v) {
				bad(field+"."+u.f, "holds a literal password; write it as ${NAME} (for example thrift://user:${HMS_PASSWORD}@host:9083) and set NAME in the environment")
			}
		}
		if cc.S3.SecretKey != "" && !refOnly(cc.S3.SecretKey) {
			hint := "write ${NAME} and set NAME in the environment"
			if env {
				hint = "set SHOAL_CATALOG_S3_SECRET_KEY or SHOAL_CATALOG_S3_SECRET_KEY_FILE instead"
			}
			bad(field+".s3.secret_key", "is a literal secret; %s", hint)
		}
	}
	cat("catalog", &c.Catalog, true)
	for i := range c.Catalogs {
		cat("catalogs["+strconv.Itoa(i)+"]", &c.Catalogs[i], false)
	}
	for i, ch := range c.Notify.Channels {
		field := "notify.channels[" + strconv.Itoa(i) + "]"
		if ch.URL != "" && !refRE.MatchString(ch.URL) {
			bad(field+".url", "webhook URLs carry their token: write ${NAME} (the whole URL or its secret part) and set NAME in the environment")
		}
		if ch.Secret != "" && !refOnly(ch.Secret) {
			bad(field+".secret", "is a literal secret; write ${NAME} and set NAME in the environment")
		}
	}
	return errs
}

// refOnly reports whether s is one ${NAME} reference and nothing else.
func refOnly(s string) bool {
	m := refRE.FindString(s)
	return m != "" && m == s
}

// literalPassword reports whether the URL s has a password in its user
// information that is not a ${NAME} reference. It does not use url.Parse,
// which rejects the braces of a reference.
func literalPassword(s string) bool {
	_, rest, ok := strings.Cut(s, "://")
	if !ok {
		return false
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	at := strings.LastIndexByte(rest, '@')
	if at < 0 {
		return false
	}
	_, pass, ok := strings.Cut(rest[:at], ":")
	return ok && pass != "" && !refOnly(pass)
}
