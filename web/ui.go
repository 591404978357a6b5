// Package web embeds the dashboard, a Vite + React + TypeScript app whose
// source lives beside this file, and serves it with client-side routes
// falling back to index.html.
//
// `make ui` builds the app into web/dist before the Go binary is built; a
// binary built without it serves a page saying how to build the dashboard.
// Building with `-tags devui` serves web/dist from disk instead, so that a
// rebuilt front end shows without rebuilding Go.
package web

import (
	"bytes"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// Handler serves the dashboard from fsys (the root of the built app).
func Handler(fsys fs.FS) http.Handler {
	index, indexErr := fs.ReadFile(fsys, "index.html")
	files := http.FileServerFS(fsys)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if indexErr != nil {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("The dashboard was not built into this binary. Run `make ui` (or `make build`) and rebuild; the API is at /api/v1.\n"))
			return
		}
		p := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		if p != "" && p != "index.html" {
			if st, err := fs.Stat(fsys, p); err == nil && !st.IsDir() {
				if strings.HasPrefix(p, "assets/") {
					// Vite fingerprints asset names, so they never change.
					w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
				}
				files.ServeHTTP(w, r)
				return
			}
		}
		// A client-side route: serve the app shell.
		w.Header().Set("Cache-Control", "no-cache")
		http.ServeContent(w, r, "index.html", time.Time{}, bytes.NewReader(index))
	})
}
