package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"gopkg.in/yaml.v3"
)

// Problem is one error found in a config file.
type Problem struct {
	// Path is the setting, e.g. catalogs[1].url; empty for the file.
	Path string
	// Line and Column locate it in the file; 0 when it is not in the file
	// (a default or an environment variable).
	Line, Column int
	Message      string
}

// String formats the problem as LINE:COLUMN: PATH: MESSAGE.
func (p Problem) String() string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, "%d:%d: ", p.Line, p.Column)
	}
	if p.Path != "" {
		b.WriteString(p.Path + ": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// CheckOptions select the checks of Check.
type CheckOptions struct {
	// Production rejects secrets written literally in the file.
	Production bool
	// Environ, when not nil, loads the file as serve and worker do: its
	// ${NAME} references are expanded from Environ (unset names are
	// errors) and SHOAL_* overrides are applied before validation. When
	// nil the file is checked alone: references are left unresolved and
	// settings whose whole value is a reference are not checked further.
	Environ []string
	// RequireCatalog requires at least one catalog, as serve, worker and
	// scan do.
	RequireCatalog bool
}

// Check validates the content of a config file: its YAML syntax, then the
// JSON Schema, then (when the schema passes) the Go validation that serve
// and worker apply. It returns every problem found, in file order; none
// means the file is valid.
func Check(data []byte, opts CheckOptions) []Problem {
	doc, problems := parseDocument(data)
	if problems != nil {
		return problems
	}
	if problems = schemaCheck(doc); problems != nil {
		return problems
	}
	cfg := DefaultConfig()
	if err := Parse(data, &cfg); err != nil {
		return []Problem{{Line: lineOf(err), Message: err.Error()}}
	}
	if opts.Production {
		problems = append(problems, locate(doc, LiteralSecrets(&cfg))...)
	}
	unchecked := map[string]bool{}
	if opts.Environ != nil {
		if err := ExpandEnv(&cfg, opts.Environ); err != nil {
			problems = append(problems, locate(doc, unjoin(err))...)
		}
		if err := ApplyEnv(&cfg, opts.Environ); err != nil {
			problems = append(problems, locate(doc, unjoin(err))...)
		}
	} else {
		for _, r := range References(&cfg) {
			if r.Whole {
				unchecked[r.Field] = true
			}
		}
		// A placeholder keeps the rest of a URL checkable, as in
		// hmsdb+mysql://hive:${PASSWORD}@db/metastore.
		if err := expand(&cfg, func(string, string) (string, error) { return "placeholder", nil }); err != nil {
			problems = append(problems, locate(doc, unjoin(err))...)
		}
	}
	if err := cfg.Validate(opts.RequireCatalog); err != nil {
		// A setting whose reference failed to expand is reported once.
		for _, p := range problems {
			unchecked[p.Path] = true
		}
		for _, p := range locate(doc, unjoin(err)) {
			if !unchecked[p.Path] {
				problems = append(problems, p)
			}
		}
	}
	sort.SliceStable(problems, func(i, j int) bool { return problems[i].Line < problems[j].Line })
	return problems
}

// schemaCheck validates a parsed document against the schema.
func schemaCheck(doc *yaml.Node) []Problem {
	var nulls []nullKey
	inst, problems := toJSON(doc, "", nil, &nulls)
	if problems != nil {
		return problems
	}
	if problems = schemaProblems(inst, doc); problems != nil {
		return problems
	}
	return checkNullKeys(nulls)
}

// checkNullKeys reports keys without a value that are not settings.
func checkNullKeys(nulls []nullKey) []Problem {
	_, sdoc, err := compiledSchema()
	if err != nil {
		return []Problem{{Message: "schema: " + err.Error()}}
	}
	var problems []Problem
	for _, nk := range nulls {
		props, _ := schemaFor(sdoc, nk.loc)["properties"].(map[string]any)
		if _, ok := props[nk.key.Value]; !ok {
			msg := "unknown setting"
			if s := suggest(nk.key.Value, propertiesOf(props)); s != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", s)
			}
			problems = append(problems, Problem{Path: nk.path, Line: nk.key.Line, Column: nk.key.Column, Message: msg})
		}
	}
	return problems
}

// schemaFor returns the schema of the instance at loc, following $ref
// and items.
func schemaFor(sdoc map[string]any, loc []string) map[string]any {
	resolve := func(s map[string]any) map[string]any {
		if ref, ok := s["$ref"].(string); ok {
			return schemaAt(sdoc, strings.TrimPrefix(ref, "#"))
		}
		return s
	}
	cur := resolve(sdoc)
	for _, tok := range loc {
		if props, ok := cur["properties"].(map[string]any); ok {
			next, _ := props[tok].(map[string]any)
			cur = next
		} else {
			next, _ := cur["items"].(map[string]any)
			cur = next
		}
		if cur == nil {
			return nil
		}
		cur = resolve(cur)
	}
	return cur
}

// parseDocument decodes the single YAML document of data into a node; an
// empty file is an empty mapping.
func parseDocument(data []byte) (*yaml.Node, []Problem) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}, nil
		}
		msg := lineRE.ReplaceAllString(strings.TrimPrefix(err.Error(), "yaml: "), "")
		return nil, []Problem{{Line: lineOf(err), Message: "malformed YAML: " + strings.TrimPrefix(msg, ": ")}}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		p := Problem{Line: extra.Line, Column: max(extra.Column, 1), Message: "the file must hold a single YAML document"}
		if err != nil {
			p.Line, p.Column = lineOf(err), 0
		}
		return nil, []Problem{p}
	}
	if len(doc.Content) == 0 {
		return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}, nil
	}
	return doc.Content[0], nil
}

var lineRE = regexp.MustCompile(`line (\d+)`)

// lineOf finds the line number in a YAML error message.
func lineOf(err error) int {
	if m := lineRE.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

// nullKey is a mapping key with a null value ("sentry:" alone).
type nullKey struct {
	loc  []string // JSON pointer tokens of the mapping
	key  *yaml.Node
	path string
}

// toJSON converts a YAML node into the value encoding/json would decode
// from the same document, for the schema validator. Keys with null values
// are left out, as the Go decoder leaves those settings at their defaults
// (a schema would have to allow null everywhere); they are added to nulls
// for checkNullKeys.
func toJSON(n *yaml.Node, path string, loc []string, nulls *[]nullKey) (any, []Problem) {
	switch n.Kind {
	case yaml.AliasNode:
		return toJSON(n.Alias, path, loc, nulls)
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return toJSON(n.Content[0], path, loc, nulls)
	case yaml.MappingNode:
		obj := map[string]any{}
		var problems []Problem
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				problems = append(problems, Problem{Path: path, Line: k.Line, Column: k.Column, Message: "a key must be a plain name"})
				continue
			}
			if k.ShortTag() == "!!merge" {
				problems = append(problems, Problem{Path: path, Line: k.Line, Column: k.Column, Message: "merge keys (<<) are not supported"})
				continue
			}
			p := joinPath(path, k.Value)
			if _, dup := obj[k.Value]; dup {
				problems = append(problems, Problem{Path: p, Line: k.Line, Column: k.Column, Message: "is set twice"})
				continue
			}
			if v.ShortTag() == "!!null" {
				*nulls = append(*nulls, nullKey{loc: loc, key: k, path: p})
				continue
			}
			val, ps := toJSON(v, p, append(loc[:len(loc):len(loc)], k.Value), nulls)
			problems = append(problems, ps...)
			obj[k.Value] = val
		}
		return obj, problems
	case yaml.SequenceNode:
		arr := make([]any, 0, len(n.Content))
		var problems []Problem
		for i, c := range n.Content {
			val, ps := toJSON(c, path+"["+strconv.Itoa(i)+"]", append(loc[:len(loc):len(loc)], strconv.Itoa(i)), nulls)
			problems = append(problems, ps...)
			arr = append(arr, val)
		}
		return arr, problems
	}
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return nil, []Problem{{Path: path, Line: n.Line, Column: n.Column, Message: err.Error()}}
		}
		return b, nil
	case "!!int", "!!float":
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, []Problem{{Path: path, Line: n.Line, Column: n.Column, Message: err.Error()}}
		}
		switch x := v.(type) {
		case int:
			return json.Number(strconv.Itoa(x)), nil
		case int64:
			return json.Number(strconv.FormatInt(x, 10)), nil
		case uint64:
			return json.Number(strconv.FormatUint(x, 10)), nil
		case float64:
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, []Problem{{Path: path, Line: n.Line, Column: n.Column, Message: fmt.Sprintf("%s is not a finite number", n.Value)}}
			}
			return json.Number(strconv.FormatFloat(x, 'g', -1, 64)), nil
		}
		return nil, []Problem{{Path: path, Line: n.Line, Column: n.Column, Message: fmt.Sprintf("%s is not a number", n.Value)}}
	}
	return n.Value, nil
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

var (
	compileOnce sync.Once
	compiled    *jsonschema.Schema
	schemaDoc   map[string]any
	errCompile  error
)

// compiledSchema compiles Schema once.
func compiledSchema() (*jsonschema.Schema, map[string]any, error) {
	compileOnce.Do(func() {
		data, err := Schema()
		if err != nil {
			errCompile = err
			return
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			errCompile = err
			return
		}
		schemaDoc, _ = doc.(map[string]any)
		c := jsonschema.NewCompiler()
		if err := c.AddResource(SchemaID, doc); err != nil {
			errCompile = err
			return
		}
		compiled, errCompile = c.Compile(SchemaID)
	})
	return compiled, schemaDoc, errCompile
}

var printer = message.NewPrinter(language.English)

// schemaProblems validates inst against the schema; doc locates the
// errors.
func schemaProblems(inst any, doc *yaml.Node) []Problem {
	sch, sdoc, err := compiledSchema()
	if err != nil {
		return []Problem{{Message: "schema: " + err.Error()}}
	}
	err = sch.Validate(inst)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []Problem{{Message: err.Error()}}
	}
	var problems []Problem
	seen := map[string]bool{}
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		for _, p := range describe(e, doc, sdoc) {
			if k := p.String(); !seen[k] {
				seen[k] = true
				problems = append(problems, p)
			}
		}
	}
	walk(ve)
	sort.SliceStable(problems, func(i, j int) bool {
		if problems[i].Line != problems[j].Line {
			return problems[i].Line < problems[j].Line
		}
		return problems[i].Column < problems[j].Column
	})
	return problems
}

// describe turns one schema error into problems with clear messages.
func describe(e *jsonschema.ValidationError, doc *yaml.Node, sdoc map[string]any) []Problem {
	node, path := find(doc, e.InstanceLocation)
	at := func(n *yaml.Node, path, msg string) Problem {
		p := Problem{Path: path, Message: msg}
		if n != nil {
			p.Line, p.Column = n.Line, n.Column
		}
		return p
	}
	_, frag, _ := strings.Cut(e.SchemaURL, "#")
	isSize, isDuration := strings.HasSuffix(frag, "/$defs/Size"), strings.HasSuffix(frag, "/$defs/Duration")
	value := ""
	if node != nil && node.Kind == yaml.ScalarNode {
		value = node.Value
	}
	switch k := e.ErrorKind.(type) {
	case *kind.AdditionalProperties:
		var out []Problem
		for _, name := range k.Properties {
			keyNode := keyOf(node, name)
			msg := "unknown setting"
			if s := suggest(name, propertiesAt(sdoc, frag)); s != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", s)
			}
			out = append(out, at(keyNode, joinPath(path, name), msg))
		}
		return out
	case *kind.Required:
		return []Problem{at(node, path, "missing "+strings.Join(k.Missing, ", "))}
	case *kind.Enum:
		var want []string
		for _, w := range k.Want {
			want = append(want, fmt.Sprint(w))
		}
		return []Problem{at(node, path, fmt.Sprintf("%q is not one of %s", value, strings.Join(want, ", ")))}
	}
	switch {
	case isSize:
		return []Problem{at(node, path, fmt.Sprintf("%q is not a size such as 16MiB, 1GiB or 134217728", value))}
	case isDuration:
		return []Problem{at(node, path, fmt.Sprintf("%q is not a duration such as 30s, 15m or 24h (no sign; a bare number must be 0)", value))}
	}
	switch k := e.ErrorKind.(type) {
	case *kind.Type:
		got := k.Got
		if value != "" {
			got = fmt.Sprintf("%s %q", k.Got, value)
		}
		return []Problem{at(node, path, fmt.Sprintf("want %s, got %s", strings.Join(k.Want, " or "), got))}
	case *kind.Pattern:
		msg := fmt.Sprintf("%q does not match %s", k.Got, k.Want)
		if ex := examplesAt(sdoc, frag); ex != "" {
			msg = fmt.Sprintf("%q is not valid here; want a value such as %s", k.Got, ex)
		}
		return []Problem{at(node, path, msg)}
	case *kind.Minimum:
		got, _ := k.Got.Float64()
		want, _ := k.Want.Float64()
		return []Problem{at(node, path, fmt.Sprintf("must be at least %g, got %g", want, got))}
	case *kind.Maximum:
		got, _ := k.Got.Float64()
		want, _ := k.Want.Float64()
		return []Problem{at(node, path, fmt.Sprintf("must be at most %g, got %g", want, got))}
	}
	return []Problem{at(node, path, e.ErrorKind.LocalizedString(printer))}
}

// find returns the node at a JSON pointer's tokens, and its path in the
// file's notation (catalogs[1].url).
func find(n *yaml.Node, loc []string) (*yaml.Node, string) {
	path := ""
	for _, tok := range loc {
		for n != nil && n.Kind == yaml.AliasNode {
			n = n.Alias
		}
		switch {
		case n == nil:
			return nil, path
		case n.Kind == yaml.MappingNode:
			path = joinPath(path, tok)
			var next *yaml.Node
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == tok {
					next = n.Content[i+1]
				}
			}
			n = next
		case n.Kind == yaml.SequenceNode:
			path += "[" + tok + "]"
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(n.Content) {
				return nil, path
			}
			n = n.Content[i]
		default:
			return nil, joinPath(path, tok)
		}
	}
	return n, path
}

// keyOf returns the key node named name of a mapping node.
func keyOf(n *yaml.Node, name string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return n
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == name {
			return n.Content[i]
		}
	}
	return n
}

var pathTokenRE = regexp.MustCompile(`[^.\[\]]+`)

// locate turns errors of the form "path: message" into problems placed
// at the path's node in doc.
func locate(doc *yaml.Node, errs []error) []Problem {
	var out []Problem
	for _, err := range errs {
		msg := err.Error()
		path, rest, ok := strings.Cut(msg, ": ")
		if !ok || strings.ContainsAny(path, " \t") {
			out = append(out, Problem{Message: msg})
			continue
		}
		p := Problem{Path: path, Message: rest}
		if n, _ := find(doc, pathTokenRE.FindAllString(path, -1)); n != nil {
			p.Line, p.Column = n.Line, n.Column
		}
		out = append(out, p)
	}
	return out
}

// unjoin splits an errors.Join error.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, unjoin(e)...)
		}
		return out
	}
	return []error{err}
}

// schemaAt follows a JSON pointer fragment in the schema document.
func schemaAt(sdoc map[string]any, frag string) map[string]any {
	cur := sdoc
	for _, tok := range strings.Split(strings.TrimPrefix(frag, "/"), "/") {
		if tok == "" {
			continue
		}
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		next, ok := cur[tok].(map[string]any)
		if !ok {
			return nil
		}
		cur = next
	}
	return cur
}

// propertiesAt lists the property names of the object schema at frag.
func propertiesAt(sdoc map[string]any, frag string) []string {
	props, _ := schemaAt(sdoc, frag)["properties"].(map[string]any)
	return propertiesOf(props)
}

func propertiesOf(props map[string]any) []string {
	out := make([]string, 0, len(props))
	for k := range props {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// examplesAt returns the examples of the schema at frag, for messages.
func examplesAt(sdoc map[string]any, frag string) string {
	s := schemaAt(sdoc, frag)
	if s == nil {
		return ""
	}
	ex, _ := s["examples"].([]any)
	var out []string
	for _, e := range ex {
		if str, ok := e.(string); ok {
			out = append(out, str)
		}
	}
	switch len(out) {
	case 0:
		return ""
	case 1:
		return out[0]
	}
	return strings.Join(out[:len(out)-1], ", ") + " or " + out[len(out)-1]
}

// suggest returns the candidate closest to name, when it is close enough
// to be a typo.
func suggest(name string, candidates []string) string {
	best, bestD := "", max(1, len(name)/3)+1
	for _, c := range candidates {
		if d := editDistance(name, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
