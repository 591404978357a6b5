// Package contract checks a real `shoal serve` against its OpenAPI spec
// (http/openapi.yaml): it builds the binary, generates the demo warehouse,
// starts the server with a bearer token, scans, and then sends every
// operation of the spec requests generated from its parameter and body
// schemas, valid and malformed. Every answer is validated against the spec
// with kin-openapi's openapi3filter; no answer may be a 5xx, malformed
// requests must get a 4xx, and every operation must have answered at least
// one valid request with a documented success status.
//
// It starts a process, so it runs only with SHOAL_CONTRACT=1 (make
// test-contract sets it); SHOAL_BINARY names a prebuilt binary to test
// instead of building one.
package contract

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// auth says which Authorization header a request carries.
type auth int

const (
	withToken auth = iota
	noToken
	wrongToken
)

// request is one generated call of an operation.
type request struct {
	op    string            // operationId
	what  string            // what the case checks, for messages
	path  map[string]string // path parameters (unescaped)
	query url.Values
	body  []byte
	ctype string // Content-Type of the body; application/json by default
	auth  auth
	// valid says whether the request conforms to the spec's parameter and
	// body schemas; the test checks that claim with ValidateRequest before
	// sending it, so a generator bug cannot pass as a server answer.
	valid bool
	// want lists the acceptable statuses; empty means a documented 2xx for a
	// valid request and a 4xx for a malformed one.
	want []int
	// skipRequestCheck marks requests that cannot be matched to their route
	// by a client (path traversal in a path segment).
	skipRequestCheck bool
}

// operation is a spec operation with its method and path template.
type operation struct {
	id, method, template string
	op                   *openapi3.Operation
	item                 *openapi3.PathItem
}

// contract holds the spec, the server and what has been seen.
type contract struct {
	t      *testing.T
	doc    *openapi3.T
	ops    map[string]*operation
	srv    *server
	client *http.Client
	// ok and rejected count, per operation, valid requests answered with a
	// 2xx and malformed ones answered with a 4xx.
	ok, rejected map[string]int
	sent         int
}

func loadSpec(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(filepath.Join(moduleRoot(t), "http", "openapi.yaml"))
	if err != nil {
		t.Fatalf("load http/openapi.yaml: %v", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("http/openapi.yaml is not a valid OpenAPI 3 document: %v", err)
	}
	return doc
}

func newContract(t *testing.T, doc *openapi3.T, srv *server) *contract {
	c := &contract{
		t: t, doc: doc, srv: srv, ops: map[string]*operation{},
		ok: map[string]int{}, rejected: map[string]int{},
		client: &http.Client{
			Timeout: 60 * time.Second,
			// A redirect is an answer to check, not to follow.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	for template, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.OperationID == "" {
				t.Fatalf("%s %s has no operationId", method, template)
			}
			c.ops[op.OperationID] = &operation{id: op.OperationID, method: method, template: template, op: op, item: item}
		}
	}
	return c
}

// url renders the request's path and query under the server's /api/v1.
func (c *contract) url(o *operation, r *request) string {
	p := o.template
	for name, v := range r.path {
		p = strings.ReplaceAll(p, "{"+name+"}", url.PathEscape(v))
	}
	u := c.srv.base + "/api/v1" + p
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	return u
}

func (c *contract) newHTTPRequest(ctx context.Context, o *operation, r *request) *http.Request {
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, o.method, c.url(o, r), body)
	if err != nil {
		c.t.Fatalf("%s %s: %v", r.op, r.what, err)
	}
	if r.body != nil {
		ct := r.ctype
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	switch r.auth {
	case withToken:
		req.Header.Set("Authorization", "Bearer "+c.srv.token)
	case wrongToken:
		req.Header.Set("Authorization", "Bearer not-the-secret-0123456789")
	}
	return req
}

// do sends a request, checks the answer against the spec and the case's
// expectations, and returns the status and body.
func (c *contract) do(r request) (int, []byte) {
	t := c.t
	t.Helper()
	o, ok := c.ops[r.op]
	if !ok {
		t.Fatalf("no operation %q in the spec", r.op)
	}
	label := fmt.Sprintf("%s (%s %s) %s", r.op, o.method, o.template, r.what)
	route := &routers.Route{Spec: c.doc, Path: o.template, PathItem: o.item, Method: o.method, Operation: o.op}
	input := &openapi3filter.RequestValidationInput{
		Request:    c.newHTTPRequest(context.Background(), o, &r),
		PathParams: r.path,
		Route:      route,
		Options:    &openapi3filter.Options{SkipSettingDefaults: true},
	}
	if !r.skipRequestCheck {
		err := openapi3filter.ValidateRequest(context.Background(), input)
		switch {
		case r.valid && err != nil:
			t.Errorf("%s: the test built an invalid request it calls valid: %v", label, err)
			return 0, nil
		case !r.valid && err == nil:
			t.Errorf("%s: the test built a request it calls malformed, but the spec accepts it", label)
			return 0, nil
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	resp, err := c.client.Do(c.newHTTPRequest(ctx, o, &r))
	if err != nil {
		t.Errorf("%s: %v", label, err)
		return 0, nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	_ = resp.Body.Close()
	if err != nil {
		t.Errorf("%s: read the answer: %v", label, err)
		return 0, nil
	}
	c.sent++
	st := resp.StatusCode
	show := func() string {
		if len(body) > 300 {
			return string(body[:300]) + "…"
		}
		return string(body)
	}

	if st >= 500 {
		t.Errorf("%s: server error %d: %s", label, st, show())
	}
	switch {
	case len(r.want) > 0:
		if !slices.Contains(r.want, st) {
			t.Errorf("%s: status %d, want one of %v: %s", label, st, r.want, show())
		}
	case r.valid && (st < 200 || st > 299):
		t.Errorf("%s: valid request got %d: %s", label, st, show())
	case !r.valid && (st < 400 || st > 499):
		t.Errorf("%s: malformed request got %d, want a 4xx: %s", label, st, show())
	}
	if st >= 200 && st <= 299 && o.op.Responses.Status(st) == nil {
		t.Errorf("%s: success status %d is not documented (only the default error response covers it)", label, st)
	}
	if st >= 400 && st <= 499 && !r.valid {
		c.rejected[r.op]++
	}
	if st >= 200 && st <= 299 && r.valid {
		c.ok[r.op]++
	}

	// The request's own input again (its body was read when it was sent).
	input.Request = c.newHTTPRequest(context.Background(), o, &r)
	err = openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: input,
		Status:                 st,
		Header:                 resp.Header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	})
	if err != nil {
		t.Errorf("%s: answer %d does not match the spec: %v\nbody: %s", label, st, err, show())
	}
	return st, body
}

// valueSets returns, for one parameter, values valid under its schema and
// values that break it. real holds values taken from the server's data, used
// first for names that must exist.
func valueSets(p *openapi3.Parameter, real []string) (valid, invalid []string) {
	s := p.Schema.Value
	valid = append(valid, real...)
	switch {
	case len(s.Enum) > 0:
		for _, e := range s.Enum {
			valid = append(valid, fmt.Sprint(e))
		}
		invalid = append(invalid, "no-such-"+p.Name)
	case s.Type.Is("integer"):
		lo := int64(1)
		if s.Min != nil {
			lo = int64(*s.Min)
			invalid = append(invalid, strconv.FormatInt(lo-1, 10))
		}
		if len(real) == 0 {
			valid = append(valid, strconv.FormatInt(lo, 10))
		}
		if s.Max != nil {
			valid = append(valid, strconv.FormatInt(int64(*s.Max), 10))
			invalid = append(invalid, strconv.FormatInt(int64(*s.Max)+1, 10))
		} else if len(real) == 0 {
			valid = append(valid, "1000000")
		}
		invalid = append(invalid, "abc", "1.5", "99999999999999999999999", "")
	case s.Type.Is("boolean"):
		valid = append(valid, "true", "false")
		invalid = append(invalid, "maybe")
	case s.Type.Is("string"):
		if len(real) == 0 {
			valid = append(valid, "x")
		}
		if s.MaxLength != nil {
			invalid = append(invalid, strings.Repeat("a", int(*s.MaxLength)+1))
		}
		if s.Pattern != "" {
			re := regexp.MustCompile(s.Pattern)
			for _, bad := range []string{"bad value!", "../etc", "a;b"} {
				if !re.MatchString(bad) {
					invalid = append(invalid, bad)
					break
				}
			}
		}
	}
	return valid, invalid
}

// data is what the fixture holds, fetched from the server after the scan.
type data struct {
	catalog        string
	scanID         int64
	database, tbl  string
	partition      string // a partition spec of tbl with files to merge
	otherDatabase  string
	unknownID      string
	pathTraversal  string
	realQueryValue map[string][]string // by query parameter name
}

// queryCases generates, for a read-only operation, a request with the base
// parameters, one per valid value of each query parameter and one per
// malformed value.
func (c *contract) queryCases(opID string, base map[string]string, d *data) []request {
	o := c.ops[opID]
	var out []request
	out = append(out, request{op: opID, what: "base", path: base, valid: true})
	for _, pr := range o.op.Parameters {
		p := pr.Value
		if p.In != "query" {
			continue
		}
		valid, invalid := valueSets(p, d.realQueryValue[p.Name])
		for _, v := range valid {
			out = append(out, request{op: opID, what: fmt.Sprintf("%s=%q", p.Name, v), path: base,
				query: url.Values{p.Name: {v}}, valid: true})
		}
		for _, v := range invalid {
			out = append(out, request{op: opID, what: fmt.Sprintf("malformed %s=%.40q", p.Name, v), path: base,
				query: url.Values{p.Name: {v}}})
		}
	}
	return out
}

// pathCases generates malformed path parameters of an operation: each path
// parameter in turn, the others left at their base values.
func (c *contract) pathCases(opID string, base map[string]string, a auth) []request {
	o := c.ops[opID]
	var out []request
	for _, pr := range o.op.Parameters {
		p := pr.Value
		if p.In != "path" {
			continue
		}
		_, invalid := valueSets(p, nil)
		for _, v := range invalid {
			if v == "" {
				continue // an empty segment is another route
			}
			path := maps(base)
			path[p.Name] = v
			out = append(out, request{op: opID, what: fmt.Sprintf("malformed path %s=%.40q", p.Name, v), path: path, auth: a})
		}
	}
	return out
}

func maps(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func TestContract(t *testing.T) {
	if os.Getenv("SHOAL_CONTRACT") == "" {
		t.Skip("starts a real shoal server: run with SHOAL_CONTRACT=1 (make test-contract)")
	}
	doc := loadSpec(t)
	srv := startServer(t)
	c := newContract(t, doc, srv)

	// The fixture's first scan, through the API.
	st, body := c.do(request{op: "startScan", what: "first scan", valid: true, want: []int{202}})
	if st != 202 {
		t.Fatalf("could not start the first scan:\n%s", srv.logs)
	}
	var first map[string]any
	must(0, json.Unmarshal(body, &first))
	if sc := srv.waitScan(t, idOf(t, first)); sc["state"] != "succeeded" {
		t.Fatalf("first scan %v: %v\n%s", sc["state"], sc["error"], srv.logs)
	}
	d := discover(t, srv, idOf(t, first))

	t.Run("reads", func(t *testing.T) { c.t = t; c.reads(d) })
	t.Run("auth", func(t *testing.T) { c.t = t; c.authRequired(d) })
	t.Run("policies", func(t *testing.T) { c.t = t; c.policies(d) })
	t.Run("scans", func(t *testing.T) { c.t = t; c.scans(d) })
	t.Run("merges", func(t *testing.T) { c.t = t; c.merges(d) })
	t.Run("events", func(t *testing.T) { c.t = t; c.events(d) })
	c.t = t

	// Every operation answered a valid request, and every one that takes
	// input refused malformed input.
	var ids []string
	for id := range c.ops {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		o := c.ops[id]
		if c.ok[id] == 0 {
			t.Errorf("operation %s was never answered with a success", id)
		}
		takesInput := len(o.op.Parameters) > 0 || o.op.RequestBody != nil
		if takesInput && c.rejected[id] == 0 {
			t.Errorf("operation %s was never sent malformed input", id)
		}
	}
	t.Logf("%d requests over %d operations", c.sent, len(c.ops))
}

// discover reads the fixture's data: a table with partitions that have
// files to merge, a second database, the catalog's name.
func discover(t *testing.T, srv *server, scanID int64) *data {
	var cats struct {
		Items []struct{ Name string } `json:"items"`
	}
	srv.getJSON(t, "/catalogs", &cats)
	if len(cats.Items) == 0 {
		t.Fatal("no catalog")
	}
	var tables struct {
		Items []struct {
			Database       string `json:"database"`
			Table          string `json:"table"`
			Format         string `json:"format"`
			Partitioned    bool   `json:"partitioned"`
			ReducibleFiles int64  `json:"reducible_files"`
		} `json:"items"`
	}
	srv.getJSON(t, "/tables?limit=1000&sort=reducible_files", &tables)
	d := &data{catalog: cats.Items[0].Name, scanID: scanID, unknownID: "987654321",
		pathTraversal: "../../../../etc/passwd"}
	for _, tb := range tables.Items {
		if d.tbl == "" && tb.Partitioned && tb.ReducibleFiles > 0 && tb.Format == "parquet" {
			d.database, d.tbl = tb.Database, tb.Table
		}
	}
	if d.tbl == "" {
		t.Fatalf("the demo warehouse has no partitioned Parquet table with files to merge: %+v", tables.Items)
	}
	for _, tb := range tables.Items {
		if tb.Database != d.database {
			d.otherDatabase = tb.Database
			break
		}
	}
	var parts struct {
		Items []struct {
			Spec           string `json:"spec"`
			ReducibleFiles int64  `json:"reducible_files"`
		} `json:"items"`
	}
	srv.getJSON(t, "/tables/"+url.PathEscape(d.database)+"/"+url.PathEscape(d.tbl)+"/partitions?sort=reducible_files&limit=50", &parts)
	for _, p := range parts.Items {
		if p.ReducibleFiles > 0 {
			d.partition = p.Spec
			break
		}
	}
	if d.partition == "" {
		t.Fatalf("table %s.%s has no partition with files to merge", d.database, d.tbl)
	}
	d.realQueryValue = map[string][]string{
		"catalog":  {d.catalog},
		"scan_id":  {strconv.FormatInt(scanID, 10)},
		"database": {d.database, "no_such_database"},
		"table":    {d.tbl},
		"search":   {d.tbl[:len(d.tbl)/2+1], "no match at all"},
	}
	return d
}

// documentedRefusals marks the generated requests that the schemas allow
// but the spec's descriptions refuse: a partition list sorted by
// partitions, and a trend given a database without its table or the
// reverse.
func documentedRefusals(r request) request {
	if !r.valid {
		return r
	}
	switch r.op {
	case "listPartitions", "listTablePartitions":
		if r.query.Get("sort") == "partitions" {
			r.want = []int{400}
		}
	case "getTrend":
		if r.query.Has("database") != r.query.Has("table") {
			r.want = []int{400}
		}
	}
	return r
}

// reads sends every read-only operation its generated requests.
func (c *contract) reads(d *data) {
	table := map[string]string{"database": d.database, "table": d.tbl}
	for _, op := range []string{"getAuth", "listAudit", "listPolicies", "listCandidates", "listCatalogs",
		"listMerges", "getSummary", "listScans", "listDatabases", "listTables", "listPartitions", "getTrend"} {
		for _, r := range c.queryCases(op, nil, d) {
			c.do(documentedRefusals(r))
		}
	}
	for _, op := range []string{"getTable", "listTablePartitions"} {
		for _, r := range c.queryCases(op, table, d) {
			c.do(documentedRefusals(r))
		}
		c.do(request{op: op, what: "unknown table", valid: true, want: []int{404},
			path: map[string]string{"database": d.database, "table": "no_such_table"}})
		c.do(request{op: op, what: "unknown database", valid: true, want: []int{404},
			path: map[string]string{"database": "no_such_database", "table": d.tbl}})
		c.do(request{op: op, what: "path traversal in database", valid: true, want: []int{404}, skipRequestCheck: true,
			path: map[string]string{"database": d.pathTraversal, "table": d.tbl}})
		c.do(request{op: op, what: "path traversal in table", valid: true, want: []int{404}, skipRequestCheck: true,
			path: map[string]string{"database": d.database, "table": d.pathTraversal}})
		for _, r := range c.pathCases(op, table, noToken) {
			c.do(r)
		}
	}
	// Snapshot reads with a scan that does not exist.
	for _, op := range []string{"getSummary", "listDatabases", "listTables", "listPartitions"} {
		c.do(request{op: op, what: "unknown scan_id", valid: true, want: []int{404},
			query: url.Values{"scan_id": {d.unknownID}}})
	}
	c.do(request{op: "getTable", what: "unknown scan_id", valid: true, want: []int{404},
		path: table, query: url.Values{"scan_id": {d.unknownID}}})
	// A catalog that the pattern allows but the server does not have.
	for _, op := range []string{"getSummary", "listTables", "listCandidates", "getTrend"} {
		c.do(request{op: op, what: "unknown catalog", valid: true, want: []int{400},
			query: url.Values{"catalog": {"nosuch"}}})
	}
	// The trend of one table; a table without its database is refused.
	c.do(request{op: "getTrend", what: "one table", valid: true,
		query: url.Values{"database": {d.database}, "table": {d.tbl}}})

	scan := map[string]string{"id": strconv.FormatInt(d.scanID, 10)}
	c.do(request{op: "getScan", what: "the first scan", valid: true, path: scan})
	c.do(request{op: "getScan", what: "unknown id", valid: true, want: []int{404}, path: map[string]string{"id": d.unknownID}})
	for _, r := range c.pathCases("getScan", scan, noToken) {
		c.do(r)
	}
	for _, scope := range []string{d.database + "." + d.tbl, d.otherDatabase + ".x"} {
		c.do(request{op: "getEffectivePolicy", what: "scope " + scope, valid: true, path: map[string]string{"scope": scope}})
	}
	for _, r := range c.queryCases("getEffectivePolicy", map[string]string{"scope": d.database + "." + d.tbl}, d) {
		c.do(r)
	}
	for _, r := range c.pathCases("getEffectivePolicy", map[string]string{"scope": d.database + "." + d.tbl}, noToken) {
		c.do(r)
	}
	// Paths outside the spec are JSON 404s, not the dashboard.
	st, _ := c.raw(http.MethodGet, "/api/v1/no/such/route", nil, "")
	if st != http.StatusNotFound {
		c.t.Errorf("GET /api/v1/no/such/route: %d, want 404", st)
	}
}

// raw sends a request outside the spec's operations and returns its status.
func (c *contract) raw(method, path string, body []byte, token string) (int, []byte) {
	req, err := http.NewRequestWithContext(context.Background(), method, c.srv.base+path, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 500 {
		c.t.Errorf("%s %s: server error %d: %s", method, path, resp.StatusCode, b)
	}
	return resp.StatusCode, b
}

// mutations lists one well-formed request of every mutating operation.
func (c *contract) mutations(d *data) []request {
	id := map[string]string{"id": "1"}
	plan, _ := json.Marshal(map[string]any{"database": d.database, "table": d.tbl})
	return []request{
		{op: "putPolicy", path: map[string]string{"scope": "*"}, body: []byte(`{"enabled": false}`)},
		{op: "deletePolicy", path: map[string]string{"scope": "*"}},
		{op: "startScan"},
		{op: "cancelScan", path: id},
		{op: "planMerge", body: plan},
		{op: "planCandidates", body: []byte(`{}`)},
		{op: "runMerge", path: id},
		{op: "cancelMerge", path: id},
		{op: "rollbackMerge", path: id},
	}
}

// authRequired checks that every mutating operation refuses a request
// without the bearer token, or with a wrong one, and changes nothing.
func (c *contract) authRequired(d *data) {
	var mode struct {
		Required bool `json:"required"`
	}
	c.srv.getJSON(c.t, "/auth", &mode)
	if !mode.Required {
		c.t.Fatal("GET /auth says no token is required, but the server has auth.tokens")
	}
	before := c.auditTotal()
	for _, r := range c.mutations(d) {
		for _, a := range []auth{noToken, wrongToken} {
			r.auth, r.valid, r.want = a, true, []int{http.StatusUnauthorized}
			r.what = map[auth]string{noToken: "without a token", wrongToken: "with a wrong token"}[a]
			c.do(r)
		}
	}
	if after := c.auditTotal(); after != before {
		c.t.Errorf("refused calls changed the audit log: %d entries before, %d after", before, after)
	}
}

func (c *contract) auditTotal() int64 {
	var a struct {
		Total int64 `json:"total"`
	}
	c.srv.getJSON(c.t, "/audit?limit=1", &a)
	return a.Total
}

// bodyCases are malformed JSON bodies shared by the operations that take
// one; each breaks the body's schema or its syntax.
func bodyCases(opID string, path map[string]string, extra ...[2]string) []request {
	cases := [][2]string{
		{"broken JSON", `{"database": `},
		{"JSON array", `[]`},
		{"JSON string", `"x"`},
		{"empty body", ``},
		{"unknown field", `{"no_such_field": 1}`},
	}
	cases = append(cases, extra...)
	var out []request
	for _, cs := range cases {
		out = append(out, request{op: opID, what: "body: " + cs[0], path: path, body: []byte(cs[1])})
	}
	out = append(out, request{op: opID, what: "body as text/plain", path: path, body: []byte(`{}`), ctype: "text/plain"})
	return out
}

// policies stores, reads and deletes policies.
func (c *contract) policies(d *data) {
	scope := d.database + "." + d.tbl
	for _, s := range []string{"*", d.database, scope} {
		c.do(request{op: "putPolicy", what: "minimal policy for " + s, path: map[string]string{"scope": s}, body: []byte(`{}`), valid: true})
	}
	for _, mode := range []string{"auto", "concat", "rewrite"} {
		c.do(request{op: "putPolicy", what: "full policy, mode " + mode, path: map[string]string{"scope": scope}, valid: true,
			body: []byte(`{"enabled": true, "small_file_size": 1048576, "target_file_size": 4194304, "min_age": "1h",
				"include": ["` + d.database + `.*"], "exclude": [], "max_bytes_per_job": 1073741824,
				"max_bytes_per_run": 10737418240, "mode": "` + mode + `", "row_group_size": 134217728}`)})
	}
	var eff map[string]any
	c.srv.getJSON(c.t, "/policies/"+url.PathEscape(scope)+"/effective", &eff)
	if eff["mode"] != "rewrite" || eff["min_age"] != "1h0m0s" && eff["min_age"] != "1h" {
		c.t.Errorf("effective policy of %s after PUT: %v", scope, eff)
	}
	path := map[string]string{"scope": scope}
	for _, r := range bodyCases("putPolicy", path,
		[2]string{"wrong type", `{"enabled": "yes"}`},
		[2]string{"below minimum", `{"small_file_size": 0}`},
		[2]string{"negative size", `{"target_file_size": -5}`},
		[2]string{"bad enum", `{"mode": "fast"}`},
		[2]string{"string for array", `{"include": "*"}`},
		[2]string{"huge number", `{"max_bytes_per_job": 1e40}`},
	) {
		c.do(r)
	}
	c.do(request{op: "putPolicy", what: "unparsable min_age", path: path, valid: true, want: []int{400},
		body: []byte(`{"min_age": "forever"}`)})
	// Large values the schema allows are stored; a body over the server's
	// limit is refused whole.
	c.do(request{op: "putPolicy", what: "2 MiB include pattern", path: path, valid: true, want: []int{200},
		body: []byte(`{"include": ["` + strings.Repeat("a", 2<<20) + `"]}`)})
	c.do(request{op: "putPolicy", what: "body over 16 MiB", path: path, valid: true, want: []int{413},
		body: []byte(`{"include": ["` + strings.Repeat("a", 17<<20) + `"]}`)})
	for _, r := range c.pathCases("putPolicy", path, withToken) {
		r.body = []byte(`{}`)
		c.do(r)
	}
	c.do(request{op: "putPolicy", what: "path traversal scope", path: map[string]string{"scope": d.pathTraversal},
		body: []byte(`{}`), valid: true, want: []int{400, 404}, skipRequestCheck: true})

	for _, s := range []string{scope, d.database, "*"} {
		c.do(request{op: "deletePolicy", what: "delete " + s, path: map[string]string{"scope": s}, valid: true, want: []int{204}})
	}
	c.do(request{op: "deletePolicy", what: "already deleted", path: path, valid: true, want: []int{204, 404}})
	for _, r := range c.pathCases("deletePolicy", path, withToken) {
		c.do(r)
	}
	var list struct {
		Items []map[string]any `json:"items"`
	}
	c.srv.getJSON(c.t, "/policies", &list)
	if len(list.Items) != 0 {
		c.t.Errorf("policies left after deleting them all: %v", list.Items)
	}
}

// scans starts and cancels scans.
func (c *contract) scans(d *data) {
	st, body := c.do(request{op: "startScan", what: "second scan", valid: true, want: []int{202},
		query: url.Values{"catalog": {d.catalog}}})
	if st == 202 {
		var sc map[string]any
		must(0, json.Unmarshal(body, &sc))
		id := map[string]string{"id": strconv.FormatInt(idOf(c.t, sc), 10)}
		// A second scan of the same catalog while the first is queued or
		// running is a conflict, unless it has already finished.
		c.do(request{op: "startScan", what: "while another runs", valid: true, want: []int{202, 409}})
		c.do(request{op: "cancelScan", what: "cancel the second scan", path: id, valid: true, want: []int{200, 409}})
		c.srv.waitScan(c.t, idOf(c.t, sc))
		c.do(request{op: "cancelScan", what: "cancel a finished scan", path: id, valid: true, want: []int{409}})
	}
	var list struct {
		Items []map[string]any `json:"items"`
	}
	c.srv.getJSON(c.t, "/scans?limit=10", &list)
	for _, sc := range list.Items {
		c.srv.waitScan(c.t, idOf(c.t, sc))
	}
	c.do(request{op: "startScan", what: "unknown catalog", valid: true, want: []int{400},
		query: url.Values{"catalog": {"nosuch"}}})
	c.do(request{op: "cancelScan", what: "unknown id", valid: true, want: []int{404}, path: map[string]string{"id": d.unknownID}})
	for _, r := range c.pathCases("cancelScan", map[string]string{"id": "1"}, withToken) {
		c.do(r)
	}
	for _, r := range c.queryCases("startScan", nil, d) {
		if r.valid {
			continue // each valid one would start a scan: covered above
		}
		r.auth = withToken
		c.do(r)
	}
}

// merges plans (the API's dry run), runs, cancels and rolls back merges.
func (c *contract) merges(d *data) {
	planBody := func(v map[string]any) []byte { return must(json.Marshal(v)) }
	base := map[string]any{"database": d.database, "table": d.tbl}

	// Plans record a job and change no file.
	var jobs []int64
	plan := func(what string, v map[string]any, want ...int) map[string]any {
		st, body := c.do(request{op: "planMerge", what: what, body: planBody(v), valid: true, want: want})
		if st != 201 {
			return nil
		}
		var job map[string]any
		must(0, json.Unmarshal(body, &job))
		jobs = append(jobs, idOf(c.t, job))
		if job["state"] != "planned" {
			c.t.Errorf("planned job is %v", job["state"])
		}
		return job
	}
	plan("whole table", base, 201)
	for _, mode := range []string{"auto", "concat", "rewrite"} {
		plan("one partition, mode "+mode, map[string]any{"database": d.database, "table": d.tbl,
			"partitions": []string{d.partition}, "mode": mode, "catalog": d.catalog}, 201)
	}
	plan("unknown table", map[string]any{"database": d.database, "table": "no_such_table"}, 400, 404)
	plan("unknown partition", map[string]any{"database": d.database, "table": d.tbl, "partitions": []string{"no=such"}}, 400, 404)
	plan("path traversal table", map[string]any{"database": d.pathTraversal, "table": d.tbl}, 400, 404)
	plan("unknown catalog", map[string]any{"database": d.database, "table": d.tbl, "catalog": "nosuch"}, 400)
	long := strings.Repeat("a", 257)
	many := make([]string, 10001)
	for i := range many {
		many[i] = "p=" + strconv.Itoa(i)
	}
	for _, r := range bodyCases("planMerge", nil,
		[2]string{"missing table", `{"database": "` + d.database + `"}`},
		[2]string{"empty database", `{"database": "", "table": "t"}`},
		[2]string{"long table", `{"database": "d", "table": "` + long + `"}`},
		[2]string{"wrong type", `{"database": 1, "table": true}`},
		[2]string{"bad mode", `{"database": "d", "table": "t", "mode": "fast"}`},
		[2]string{"partitions not an array", `{"database": "d", "table": "t", "partitions": "p=1"}`},
		[2]string{"10,001 partitions", string(planBody(map[string]any{"database": "d", "table": "t", "partitions": many}))},
		[2]string{"long partition", `{"database": "d", "table": "t", "partitions": ["` + strings.Repeat("p", 4097) + `"]}`},
		[2]string{"long catalog", `{"database": "d", "table": "t", "catalog": "` + long + `"}`},
		[2]string{"JSON null", `null`},
	) {
		r.auth = withToken
		c.do(r)
	}

	// Candidates, planned within the run budget.
	for _, b := range []string{`{}`, `{"limit": 1}`, `{"limit": 1000}`, `{"catalog": "` + d.catalog + `"}`} {
		st, body := c.do(request{op: "planCandidates", what: "body " + b, body: []byte(b), valid: true, want: []int{201}})
		if st == 201 {
			var out struct {
				Items []map[string]any `json:"items"`
			}
			must(0, json.Unmarshal(body, &out))
			for _, j := range out.Items {
				jobs = append(jobs, idOf(c.t, j))
			}
		}
	}
	c.do(request{op: "planCandidates", what: "unknown catalog", body: []byte(`{"catalog": "nosuch"}`), valid: true, want: []int{400}})
	for _, r := range bodyCases("planCandidates", nil,
		[2]string{"limit 0", `{"limit": 0}`},
		[2]string{"limit 1001", `{"limit": 1001}`},
		[2]string{"limit string", `{"limit": "ten"}`},
		[2]string{"limit fraction", `{"limit": 1.5}`},
		[2]string{"bad catalog", `{"catalog": "` + long + `"}`},
	) {
		if r.what == "body: empty body" {
			r.valid, r.want = false, nil
		}
		c.do(r)
	}
	if len(jobs) < 2 {
		c.t.Fatalf("planned %d jobs, need two", len(jobs))
	}

	// Reads of the planned jobs.
	for _, r := range c.queryCases("listMerges", nil, d) {
		c.do(r)
	}
	first := map[string]string{"id": strconv.FormatInt(jobs[0], 10)}
	second := map[string]string{"id": strconv.FormatInt(jobs[1], 10)}
	c.do(request{op: "getMerge", what: "a planned job", path: first, valid: true})
	for _, op := range []string{"getMerge", "runMerge", "cancelMerge", "rollbackMerge"} {
		c.do(request{op: op, what: "unknown id", path: map[string]string{"id": d.unknownID}, valid: true, want: []int{404}})
		for _, r := range c.pathCases(op, first, withToken) {
			c.do(r)
		}
	}

	// A planned job cannot be rolled back; cancelled, it cannot run.
	c.do(request{op: "rollbackMerge", what: "a planned job", path: second, valid: true, want: []int{409}})
	c.do(request{op: "cancelMerge", what: "a planned job", path: second, valid: true, want: []int{200}})
	c.do(request{op: "runMerge", what: "a cancelled job", path: second, valid: true, want: []int{409}})
	c.do(request{op: "cancelMerge", what: "a cancelled job", path: second, valid: true, want: []int{200, 409}})

	// Run the whole-table merge for real, then roll it back.
	c.do(request{op: "runMerge", what: "a planned job", path: first, valid: true, want: []int{202}})
	c.do(request{op: "runMerge", what: "a queued or finished job", path: first, valid: true, want: []int{409}})
	job := c.srv.waitMerge(c.t, jobs[0])
	if job["state"] != "succeeded" {
		c.t.Fatalf("merge job %d %v: %v\n%s", jobs[0], job["state"], job["error"], c.srv.logs)
	}
	c.do(request{op: "getMerge", what: "a finished job", path: first, valid: true})
	c.do(request{op: "cancelMerge", what: "a finished job", path: first, valid: true, want: []int{409}})
	c.do(request{op: "rollbackMerge", what: "a succeeded job", path: first, valid: true, want: []int{200}})
	c.do(request{op: "rollbackMerge", what: "a rolled-back job", path: first, valid: true, want: []int{409}})
	var after map[string]any
	c.srv.getJSON(c.t, "/merges/"+first["id"], &after)
	if after["state"] != "rolled_back" {
		c.t.Errorf("job %s after rollback: %v", first["id"], after["state"])
	}
}

// events reads a finished scan's event stream and the audit log.
func (c *contract) events(d *data) {
	id := map[string]string{"id": strconv.FormatInt(d.scanID, 10)}
	st, body := c.do(request{op: "scanEvents", what: "a finished scan", path: id, valid: true})
	if st == 200 && !bytes.Contains(body, []byte("event: done")) {
		c.t.Errorf("event stream of a finished scan has no done event: %.300s", body)
	}
	c.do(request{op: "scanEvents", what: "unknown id", path: map[string]string{"id": d.unknownID}, valid: true, want: []int{404}})
	for _, r := range c.pathCases("scanEvents", id, noToken) {
		c.do(r)
	}

	var audit struct {
		Items []struct {
			Actor  string `json:"actor"`
			Action string `json:"action"`
		} `json:"items"`
		Total int64 `json:"total"`
	}
	c.srv.getJSON(c.t, "/audit?limit=1000", &audit)
	actions := map[string]bool{}
	for _, e := range audit.Items {
		if e.Actor != "token:contract" {
			c.t.Errorf("audit entry by %q, want token:contract", e.Actor)
		}
		actions[e.Action] = true
	}
	if audit.Total == 0 || len(actions) < 4 {
		c.t.Errorf("audit log has %d entries and actions %v after the mutating calls", audit.Total, actions)
	}
}

func init() {
	// Server-sent events are text; the spec types the stream as a string.
	openapi3filter.RegisterBodyDecoder("text/event-stream", openapi3filter.PlainBodyDecoder)
}
