package http_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestSpecValidation checks that requests breaking the spec's parameter and
// body schemas get a 400 naming what was wrong, before any handler runs,
// and that requests within the spec still reach the handlers.
func TestSpecValidation(t *testing.T) {
	h := newHandler(t)
	cases := []struct {
		method, target, body, ctype string
		status                      int
		message                     string // part of the error message
	}{
		{"GET", "/api/v1/tables?limit=1000", "", "", 200, ""},
		{"GET", "/api/v1/tables?limit=0", "", "", 400, `query parameter "limit": number must be at least 1`},
		{"GET", "/api/v1/tables?limit=1001", "", "", 400, `query parameter "limit"`},
		{"GET", "/api/v1/tables?limit=abc", "", "", 400, `query parameter "limit"`},
		{"GET", "/api/v1/tables?offset=-1", "", "", 400, `query parameter "offset"`},
		{"GET", "/api/v1/tables?search=" + strings.Repeat("x", 257), "", "", 400, `query parameter "search"`},
		{"GET", "/api/v1/tables?sort=nope", "", "", 400, `query parameter "sort"`},
		{"GET", "/api/v1/summary?catalog=bad%20name", "", "", 400, `query parameter "catalog"`},
		{"GET", "/api/v1/scans/0", "", "", 400, `path parameter "id"`},
		{"GET", "/api/v1/tables/db/" + strings.Repeat("t", 257), "", "", 400, `path parameter "table"`},
		{"GET", "/api/v1/tables/db/a", "", "", 200, ""},
		{"GET", "/api/v1/trends?limit=30", "", "", 200, ""},
		{"PUT", "/api/v1/policies/db", `{"mode": "fast"}`, "application/json", 400, `request body field mode`},
		{"PUT", "/api/v1/policies/db", `{"no_such_setting": 1}`, "application/json", 400, `request body`},
		{"PUT", "/api/v1/policies/db", `{"small_file_size": 0}`, "application/json", 400, `request body field small_file_size`},
		{"PUT", "/api/v1/policies/db", `{"enabled": tru`, "application/json", 400, `request body`},
		{"PUT", "/api/v1/policies/db", `{}`, "text/plain", 400, `request body`},
		{"PUT", "/api/v1/policies/db", ``, "application/json", 400, `request body is required`},
		{"POST", "/api/v1/merges", `{"database": "db"}`, "application/json", 400, `request body`},
		{"POST", "/api/v1/merges", `{"database": "db", "table": "a", "partitions": ["` + strings.Repeat("p", 17<<20) + `"]}`, "application/json", 413, "larger than"},
		// Outside the spec's routes the mux answers as before.
		{"GET", "/api/v1/no/such/route?limit=0", "", "", 404, "no API route"},
		{"GET", "/healthz?limit=0", "", "", 200, ""},
	}
	for _, c := range cases {
		req := httptest.NewRequest(c.method, c.target, strings.NewReader(c.body))
		if c.ctype != "" {
			req.Header.Set("Content-Type", c.ctype)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		name := c.method + " " + c.target
		if len(name) > 80 {
			name = name[:80] + "…"
		}
		if rec.Code != c.status {
			t.Errorf("%s: status %d, want %d: %.300s", name, rec.Code, c.status, rec.Body.String())
			continue
		}
		if c.message == "" {
			continue
		}
		var e struct{ Code, Message string }
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
			t.Errorf("%s: error body is not JSON: %.300s", name, rec.Body.String())
			continue
		}
		if e.Code == "" || !strings.Contains(e.Message, c.message) {
			t.Errorf("%s: error %q %q, want a message containing %q", name, e.Code, e.Message, c.message)
		}
		if strings.Contains(e.Message, "Schema:") {
			t.Errorf("%s: message carries a schema dump: %q", name, e.Message)
		}
	}
}

// TestSpecValidationKeepsBody checks that a validated body still reaches the
// handler whole: a policy stored through the validator reads back the same.
func TestSpecValidationKeepsBody(t *testing.T) {
	h := newHandler(t)
	body := `{"enabled": true, "small_file_size": 2097152, "min_age": "2h0m0s", "include": ["db.*"], "mode": "concat"}`
	req := httptest.NewRequest(http.MethodPut, "/api/v1/policies/db", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("PUT policy: %d %s", rec.Code, rec.Body.String())
	}
	var got map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got["small_file_size"] != float64(2097152) || got["min_age"] != "2h0m0s" || got["mode"] != "concat" {
		t.Errorf("stored policy %v, want the fields sent", got)
	}
}
