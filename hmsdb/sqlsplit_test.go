package hmsdb_test

import (
	"slices"
	"strings"
	"testing"
)

// splitSQL splits a schema script into statements at top-level semicolons.
// It skips -- and # line comments and /* */ block comments, keeps MySQL's
// executable /*! ... */ comments, and does not split inside '...', "...",
// `...` or PostgreSQL $tag$...$tag$ bodies. Statements that are empty once
// comments are gone are dropped.
func splitSQL(script string) []string {
	var out []string
	var b strings.Builder
	emit := func() {
		if s := strings.TrimSpace(b.String()); s != "" {
			out = append(out, s)
		}
		b.Reset()
	}
	for i := 0; i < len(script); i++ {
		c := script[i]
		switch {
		case c == '-' && strings.HasPrefix(script[i:], "--"), c == '#':
			j := strings.IndexByte(script[i:], '\n')
			if j < 0 {
				j = len(script) - i
			}
			i += j
			b.WriteByte('\n')
		case c == '/' && strings.HasPrefix(script[i:], "/*"):
			j := strings.Index(script[i+2:], "*/")
			end := len(script)
			if j >= 0 {
				end = i + 2 + j + 2
			}
			if strings.HasPrefix(script[i:], "/*!") {
				b.WriteString(script[i:end])
			} else {
				b.WriteByte(' ')
			}
			i = end - 1
		case c == '\'' || c == '"' || c == '`':
			j := i + 1
			for j < len(script) {
				if script[j] == '\\' && c == '\'' {
					j += 2
					continue
				}
				if script[j] == c {
					if j+1 < len(script) && script[j+1] == c { // doubled quote
						j += 2
						continue
					}
					break
				}
				j++
			}
			end := min(j+1, len(script))
			b.WriteString(script[i:end])
			i = end - 1
		case c == '$':
			tag, ok := dollarTag(script[i:])
			if !ok {
				b.WriteByte(c)
				continue
			}
			j := strings.Index(script[i+len(tag):], tag)
			end := len(script)
			if j >= 0 {
				end = i + len(tag) + j + len(tag)
			}
			b.WriteString(script[i:end])
			i = end - 1
		case c == ';':
			emit()
		default:
			b.WriteByte(c)
		}
	}
	emit()
	return out
}

// dollarTag returns the opening $tag$ at the start of s.
func dollarTag(s string) (string, bool) {
	for j := 1; j < len(s); j++ {
		c := s[j]
		if c == '$' {
			return s[:j+1], true
		}
		ident := c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || j > 1 && c >= '0' && c <= '9'
		if !ident {
			return "", false
		}
	}
	return "", false
}

func TestSplitSQL(t *testing.T) {
	t.Parallel()
	got := splitSQL(`-- a comment; with a semicolon
/*!40101 SET NAMES utf8 */;
/* plain; comment */ CREATE TABLE "A" (x int); # hash comment;
INSERT INTO t VALUES ('a;b', 'it''s', 'back\'slash;');
CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;
DO $$ BEGIN; END $$;
SELECT "semi;colon", ` + "`x;y`" + `
`)
	want := []string{
		"/*!40101 SET NAMES utf8 */",
		`CREATE TABLE "A" (x int)`,
		`INSERT INTO t VALUES ('a;b', 'it''s', 'back\'slash;')`,
		"CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql",
		"DO $$ BEGIN; END $$",
		"SELECT \"semi;colon\", `x;y`",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("splitSQL:\n got %q\nwant %q", got, want)
	}
}
