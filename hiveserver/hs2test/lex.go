package hs2test

import (
	"fmt"
	"strings"
)

// tokKind is a token class of the test server's small SQL lexer.
type tokKind int

const (
	tokWord   tokKind = iota // keyword or bare identifier or number
	tokIdent                 // `quoted identifier`
	tokString                // 'string literal', unescaped
	tokPunct                 // ( ) , = * . ;
)

type token struct {
	kind tokKind
	text string
}

func (t token) is(word string) bool { return t.kind == tokWord && strings.EqualFold(t.text, word) }

// lex splits a statement as Hive's lexer does for the statements Shoal
// sends: backquoted identifiers (“ is a backtick), string literals ending
// at an unescaped quote and decoded with Hive's rules, /* */ comments
// skipped.
func lex(s string) ([]token, error) {
	var toks []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case strings.HasPrefix(s[i:], "/*"):
			j := strings.Index(s[i+2:], "*/")
			if j < 0 {
				return nil, fmt.Errorf("unterminated comment")
			}
			i += j + 4
		case c == '`':
			var b strings.Builder
			j := i + 1
			for {
				if j >= len(s) {
					return nil, fmt.Errorf("unterminated identifier")
				}
				if s[j] == '`' {
					if j+1 < len(s) && s[j+1] == '`' {
						b.WriteByte('`')
						j += 2
						continue
					}
					break
				}
				b.WriteByte(s[j])
				j++
			}
			toks = append(toks, token{tokIdent, b.String()})
			i = j + 1
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(s) && s[j] != c {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(s) {
				return nil, fmt.Errorf("unterminated string literal")
			}
			toks = append(toks, token{tokString, UnescapeHive(s[i+1 : j])})
			i = j + 1
		case strings.IndexByte("(),=*.;", c) >= 0:
			toks = append(toks, token{tokPunct, string(c)})
			i++
		case isWordByte(c):
			j := i
			for j < len(s) && isWordByte(s[j]) {
				j++
			}
			toks = append(toks, token{tokWord, s[i:j]})
			i = j
		default:
			return nil, fmt.Errorf("cannot recognize input near %q", s[i:min(len(s), i+10)])
		}
	}
	return toks, nil
}

func isWordByte(c byte) bool {
	return c == '_' || c == '-' || c == '+' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// UnescapeHive decodes the body of a Hive string literal the way Hive's
// BaseSemanticAnalyzer.unescapeSQLString does for ASCII: \ddd octal
// escapes (first digit 0 or 1), \0 \b \n \r \t \Z, \% and \_ kept with their
// backslash, and any other escaped character taken as itself.
func UnescapeHive(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		if i+3 < len(s) && s[i+1] >= '0' && s[i+1] <= '1' && isOctal(s[i+2]) && isOctal(s[i+3]) {
			b.WriteByte((s[i+1]-'0')*64 + (s[i+2]-'0')*8 + (s[i+3] - '0'))
			i += 3
			continue
		}
		i++
		switch n := s[i]; n {
		case '0':
			b.WriteByte(0)
		case 'b':
			b.WriteByte('\b')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'Z':
			b.WriteByte(0x1a)
		case '%', '_':
			b.WriteByte('\\')
			b.WriteByte(n)
		default:
			b.WriteByte(n)
		}
	}
	return b.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

// parser walks tokens.
type parser struct {
	toks []token
	pos  int
}

func (p *parser) peek() (token, bool) {
	if p.pos >= len(p.toks) {
		return token{}, false
	}
	return p.toks[p.pos], true
}

func (p *parser) next() (token, error) {
	t, ok := p.peek()
	if !ok {
		return t, fmt.Errorf("unexpected end of statement")
	}
	p.pos++
	return t, nil
}

func (p *parser) accept(word string) bool {
	if t, ok := p.peek(); ok && (t.is(word) || t.kind == tokPunct && t.text == word) {
		p.pos++
		return true
	}
	return false
}

func (p *parser) expect(word string) error {
	if !p.accept(word) {
		t, _ := p.peek()
		return fmt.Errorf("cannot recognize input near %q: want %s", t.text, word)
	}
	return nil
}

func (p *parser) ident() (string, error) {
	t, err := p.next()
	if err != nil {
		return "", err
	}
	if t.kind != tokIdent && t.kind != tokWord {
		return "", fmt.Errorf("cannot recognize input near %q: want an identifier", t.text)
	}
	return t.text, nil
}

func (p *parser) done() error {
	if t, ok := p.peek(); ok {
		return fmt.Errorf("extraneous input %q at the end of the statement", t.text)
	}
	return nil
}

// tableName parses db.table.
func (p *parser) tableName() (string, string, error) {
	db, err := p.ident()
	if err != nil {
		return "", "", err
	}
	if !p.accept(".") {
		return "default", db, nil
	}
	t, err := p.ident()
	return db, t, err
}

// cond is one partition condition: key = value, or key IS NULL (null).
type cond struct {
	key   string
	value string
	null  bool
	// dynamic: a key without a value in a PARTITION clause.
	dynamic bool
}

// literal parses a string or a number.
func (p *parser) literal() (string, error) {
	t, err := p.next()
	if err != nil {
		return "", err
	}
	if t.kind == tokString || t.kind == tokWord {
		return t.text, nil
	}
	return "", fmt.Errorf("cannot recognize input near %q: want a literal", t.text)
}

// predicate parses k1 = v1 AND k2 IS NULL ….
func (p *parser) predicate() ([]cond, error) {
	var cs []cond
	for {
		k, err := p.ident()
		if err != nil {
			return nil, err
		}
		if p.accept("IS") {
			if err := p.expect("NULL"); err != nil {
				return nil, err
			}
			cs = append(cs, cond{key: k, null: true})
		} else {
			if err := p.expect("="); err != nil {
				return nil, err
			}
			v, err := p.literal()
			if err != nil {
				return nil, err
			}
			cs = append(cs, cond{key: k, value: v})
		}
		if !p.accept("AND") {
			return cs, nil
		}
	}
}

// partitionSpec parses ( k1 = 'v1' , k2 ) after PARTITION.
func (p *parser) partitionSpec() ([]cond, error) {
	if err := p.expect("("); err != nil {
		return nil, err
	}
	var cs []cond
	for {
		k, err := p.ident()
		if err != nil {
			return nil, err
		}
		if p.accept("=") {
			v, err := p.literal()
			if err != nil {
				return nil, err
			}
			cs = append(cs, cond{key: k, value: v})
		} else {
			cs = append(cs, cond{key: k, dynamic: true})
		}
		if p.accept(")") {
			return cs, nil
		}
		if err := p.expect(","); err != nil {
			return nil, err
		}
	}
}
