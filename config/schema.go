package config

// The JSON Schema of the config file is built from the Go types by
// reflection; descriptions are the doc comments of the fields, read from
// this package's own source, which is embedded. docs/config.schema.json is
// the output of Schema, written by `go generate` (make config-schema); a
// test fails when the committed file differs.

//go:generate go run ./internal/genschema -schema ../docs/config.schema.json -guide ../docs/operations/configuration-guide.md

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"reflect"
	"sort"
	"strings"
	"sync"
)

// SchemaID is the $id of the published schema.
const SchemaID = "https://raw.githubusercontent.com/shoalhq/shoal/main/docs/config.schema.json"

// sources are the files that declare the config types.
//
//go:embed config.go types.go observe.go
var sources embed.FS

// rule adds constraints to the schema of one field, keyed "Type.Field".
type rule struct {
	enum     []string // allowed values (of the items, for lists)
	pattern  string   // a regular expression (of the items, for lists)
	examples []any
	min, max *float64
	// xmin is an exclusive minimum.
	xmin *float64
	// minItems requires a non-empty list.
	minItems int
}

func bound(v float64) *float64 { return &v }

// refPattern matches a value that is only a ${NAME} reference.
const refPattern = `\$\{[A-Za-z_][A-Za-z0-9_]*\}`

// rules are the constraints the Go types cannot express. A test checks that
// every key names a field and that Validate agrees with each rule.
var rules = map[string]rule{
	"LogConfig.Level":           {enum: []string{"debug", "info", "warn", "error"}},
	"LogConfig.Format":          {enum: []string{"text", "json"}},
	"MergeConfig.Mode":          {enum: []string{"auto", "concat", "rewrite"}},
	"NotifyChannel.Type":        {enum: []string{"webhook", "slack", "dingtalk", "email"}},
	"NotifyRoute.Events":        {enum: []string{"job_failed", "rollback", "daily_summary"}},
	"NotifyRoute.Channels":      {minItems: 1},
	"SMTPConfig.TLS":            {enum: []string{"starttls", "tls", "none"}},
	"SMTPConfig.Addr":           {pattern: `^[^:\s]+:[0-9]{1,5}$`, examples: []any{"smtp.example.com:587"}},
	"NotifyChannel.URL":         {pattern: `^(https?://|` + refPattern + `)`, examples: []any{"${SLACK_WEBHOOK_URL}", "https://alerts.example.com/shoal"}},
	"NotifyConfig.DailySummary": {pattern: `^(([01][0-9]|2[0-3]):[0-5][0-9])?$`, examples: []any{"08:30"}},
	"CatalogConfig.Name":        {pattern: `^[A-Za-z0-9_-]{1,64}$`, examples: []any{"prod", "lake-eu"}},
	"CatalogConfig.URL":         {pattern: `^((warehouse|thrift|hmsdb\+mysql|hmsdb\+postgres)://|` + refPattern + `$)`, examples: []any{"thrift://hms1:9083,hms2:9083", "hmsdb+mysql://hive:${HMSDB_PASSWORD}@mysql:3306/metastore", "warehouse:///data/warehouse"}},
	"CatalogConfig.WriteURL":    {pattern: `^thrift://`, examples: []any{"thrift://hms:9083"}},
	"CatalogConfig.Files":       {pattern: `^fsimage://`, examples: []any{"fsimage:///var/lib/shoal/fsimage"}},
	"CatalogConfig.HiveServer":  {pattern: `^(hive2|kyuubi)://`, examples: []any{"hive2://hs2:10000/default"}},
	"S3Config.Endpoint":         {pattern: `^https?://`, examples: []any{"https://s3.example.com"}},
	"StoreConfig.URL":           {pattern: `^(sqlite|postgres|postgresql)://`, examples: []any{"sqlite:///data/shoal.db", "postgres://shoal@db:5432/shoal?sslmode=verify-full"}},
	"ServerConfig.Addr":         {pattern: `^[^:\s]*:[0-9]{1,5}$`, examples: []any{":8080", "127.0.0.1:8080"}},
	"WorkerConfig.Addr":         {pattern: `^([^:\s]*:[0-9]{1,5})?$`, examples: []any{":9090"}},
	"ServerConfig.CORSOrigins":  {pattern: `^(\*|[A-Za-z][A-Za-z0-9+.-]*://[^/\s]+.*)$`, examples: []any{[]any{"https://shoal.example.com"}}},
	"AuthConfig.Tokens":         {pattern: `^[^:]+:.{16,}$`},
	"TracingConfig.Endpoint":    {pattern: `^(https?://.+)?$`, examples: []any{"http://otel-collector:4318"}},
	"TracingConfig.SampleRatio": {min: bound(0), max: bound(1)},
	"SentryConfig.DSN":          {pattern: `^(https?://.+)?$`},
	"SentryConfig.SampleRate":   {xmin: bound(0), max: bound(1)},
	"WorkerConfig.Concurrency":  {min: bound(1), max: bound(64)},
	"ScanConfig.Concurrency":    {min: bound(1), max: bound(1024)},
	"ScanConfig.OpsPerSecond":   {min: bound(0)},
	"ScanConfig.SniffFiles":     {min: bound(-1)},
	"ScanConfig.SniffEvery":     {min: bound(1)},
	"ScanConfig.KeepSnapshots":  {min: bound(0)},
	"HDFSConfig.OpsPerSecond":   {min: bound(0)},
	"S3Config.OpsPerSecond":     {min: bound(0)},
	"NotifyChannel.To":          {pattern: `^[^@\s]+@[^@\s]+$`},
	"NotifyChannel.Name":        {pattern: `^[A-Za-z0-9_-]{1,64}$`},
}

// required lists the fields a list item must set, keyed by item type.
var required = map[string][]string{
	"CatalogConfig": {"name", "url"},
	"NotifyChannel": {"name", "type"},
}

// sizePattern is what ParseSize accepts, without signs and exponents.
const sizePattern = `^\s*[0-9]+(\.[0-9]+)?\s*(KiB|MiB|GiB|TiB|KB|MB|GB|TB|K|M|G|T|B)?\s*$`

// durationPattern is what time.ParseDuration accepts, without a sign.
const durationPattern = `^(0|([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)$`

var (
	schemaOnce  sync.Once
	schemaBytes []byte
	errSchema   error
)

// Schema returns the JSON Schema (draft 2020-12) of the config file,
// indented, with a final newline.
func Schema() ([]byte, error) {
	schemaOnce.Do(func() {
		var docs map[string]string
		docs, errSchema = fieldDocs()
		if errSchema != nil {
			return
		}
		schemaBytes, errSchema = buildSchema(docs)
	})
	return schemaBytes, errSchema
}

func buildSchema(docs map[string]string) ([]byte, error) {
	g := &schemaGen{docs: docs, defs: map[string]any{}}
	def := DefaultConfig()
	root := g.object(reflect.TypeFor[Config](), reflect.ValueOf(def))
	root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	root["$id"] = SchemaID
	root["title"] = "Shoal configuration"
	g.defs["Size"] = map[string]any{
		"description": "A byte count: an integer, or a number with a unit: KiB, MiB, GiB, TiB (powers of 1024; K, M, G, T too), KB, MB, GB, TB (powers of 1000) or B.",
		"type":        []string{"integer", "string"},
		"minimum":     0,
		"pattern":     sizePattern,
		"examples":    []any{"16MiB", "1GiB", 134217728},
	}
	g.defs["Duration"] = map[string]any{
		"description": "A Go duration: a sequence of numbers with units ns, us, ms, s, m, h, such as 30s, 15m, 24h or 1h30m; 0 is zero.",
		"type":        []string{"string", "integer"},
		"minimum":     0,
		"maximum":     0,
		"pattern":     durationPattern,
		"examples":    []any{"30s", "24h", "1h30m"},
	}
	root["$defs"] = g.defs
	if g.err != nil {
		return nil, g.err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(root); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

type schemaGen struct {
	docs map[string]string
	defs map[string]any
	err  error
}

var (
	sizeType     = reflect.TypeFor[Size]()
	durationType = reflect.TypeFor[Duration]()
)

// object is the schema of struct type t whose default value is def.
func (g *schemaGen) object(t reflect.Type, def reflect.Value) map[string]any {
	props := map[string]any{}
	for i := range t.NumField() {
		f := t.Field(i)
		name := yamlName(f)
		if name == "" {
			continue
		}
		key := t.Name() + "." + f.Name
		doc := g.docs[key]
		if doc == "" && g.err == nil {
			g.err = fmt.Errorf("config: field %s has no doc comment", key)
		}
		s := g.field(f.Type, def.Field(i), rules[key])
		s["description"] = doc
		props[name] = s
	}
	s := map[string]any{"type": "object", "additionalProperties": false, "properties": props}
	if doc := g.docs[t.Name()]; doc != "" {
		s["description"] = doc
	}
	return s
}

// field is the schema of one field of type t, with default def.
func (g *schemaGen) field(t reflect.Type, def reflect.Value, r rule) map[string]any {
	s := map[string]any{}
	switch t {
	case sizeType:
		s["$ref"] = "#/$defs/Size"
		if !def.IsZero() {
			s["default"] = def.Interface().(Size).String()
		}
		return s
	case durationType:
		s["$ref"] = "#/$defs/Duration"
		if !def.IsZero() {
			s["default"] = def.Interface().(Duration).String()
		}
		return s
	}
	switch t.Kind() {
	case reflect.Struct:
		return g.object(t, def)
	case reflect.Slice:
		s["type"] = "array"
		if t.Elem().Kind() == reflect.Struct {
			name := t.Elem().Name()
			if _, ok := g.defs[name]; !ok {
				g.defs[name] = nil // reserve: stops recursion
				g.defs[name] = g.object(t.Elem(), reflect.Zero(t.Elem()))
			}
			item := map[string]any{"$ref": "#/$defs/" + name}
			if req := required[name]; len(req) > 0 {
				item["required"] = req
			}
			s["items"] = item
		} else {
			item := g.field(t.Elem(), reflect.Zero(t.Elem()), r)
			delete(item, "examples")
			s["items"] = item
		}
		if r.minItems > 0 {
			s["minItems"] = r.minItems
		}
		if !def.IsNil() && def.Len() > 0 {
			s["default"] = def.Interface()
		}
		if len(r.examples) > 0 {
			s["examples"] = r.examples
		}
		return s
	case reflect.String:
		s["type"] = "string"
		if len(r.enum) > 0 {
			s["enum"] = r.enum
		}
		if r.pattern != "" {
			s["pattern"] = r.pattern
		}
	case reflect.Bool:
		s["type"] = "boolean"
	case reflect.Int, reflect.Int64:
		s["type"] = "integer"
	case reflect.Float64:
		s["type"] = "number"
	default:
		if g.err == nil {
			g.err = fmt.Errorf("config: no schema for type %s", t)
		}
	}
	if r.min != nil {
		s["minimum"] = *r.min
	}
	if r.xmin != nil {
		s["exclusiveMinimum"] = *r.xmin
	}
	if r.max != nil {
		s["maximum"] = *r.max
	}
	if len(r.examples) > 0 {
		s["examples"] = r.examples
	}
	if !def.IsZero() {
		s["default"] = def.Interface()
	}
	return s
}

func yamlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "-" {
		return ""
	}
	return name
}

// fieldDocs reads the doc comments of this package's struct types and
// their fields from the embedded source: "Type" and "Type.Field" map to
// the comment text on one line. A field without its own comment shares
// the comment of the field before it (as in "Keytab and Principal ...").
func fieldDocs() (map[string]string, error) {
	fset := token.NewFileSet()
	docs := map[string]string{}
	names, err := fs.Glob(sources, "*.go")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := sources.ReadFile(name)
		if err != nil {
			return nil, err
		}
		f, err := parser.ParseFile(fset, name, src, parser.ParseComments)
		if err != nil {
			return nil, fmt.Errorf("config: parse embedded source: %w", err)
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, spec := range gd.Specs {
				ts := spec.(*ast.TypeSpec)
				st, ok := ts.Type.(*ast.StructType)
				if !ok {
					continue
				}
				doc := ts.Doc
				if doc == nil && len(gd.Specs) == 1 {
					doc = gd.Doc
				}
				docs[ts.Name.Name] = oneLine(doc)
				prev := ""
				for _, fld := range st.Fields.List {
					text := oneLine(fld.Doc)
					if text == "" {
						text = prev
					}
					prev = text
					for _, n := range fld.Names {
						docs[ts.Name.Name+"."+n.Name] = text
					}
				}
			}
		}
	}
	return docs, nil
}

func oneLine(cg *ast.CommentGroup) string {
	if cg == nil {
		return ""
	}
	return strings.Join(strings.Fields(cg.Text()), " ")
}
