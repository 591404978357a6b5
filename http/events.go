package http

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/shoalhq/shoal"
)

// scanEvents streams a scan's progress as server-sent events. It polls the
// store, which every worker process writes progress to, so it works wherever
// the scan runs.
func (s *Server) scanEvents(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		s.Error(w, r, shoal.Errorf(shoal.EINVALID, "scan id must be a positive integer, got %q", r.PathValue("id")))
		return
	}
	ctx := r.Context()
	sc, err := s.Store.GetScan(ctx, id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // let proxies stream
	w.WriteHeader(http.StatusOK)

	interval := s.EventInterval
	if interval <= 0 {
		interval = 500 * time.Millisecond
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	var last []byte
	for {
		data, err := json.Marshal(scanJSON(sc))
		if err != nil {
			return
		}
		event := "progress"
		if sc.State.Final() {
			event = "done"
		}
		if event == "done" || string(data) != string(last) {
			if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, data); err != nil {
				return
			}
			if err := rc.Flush(); err != nil {
				return
			}
			last = data
		}
		if event == "done" {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		if sc, err = s.Store.GetScan(ctx, id); err != nil {
			return
		}
	}
}
