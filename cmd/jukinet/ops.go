package main

import (
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
)

// startOps serves the ops listener (plain HTTP, meant for localhost or the
// management LAN): for now GET /healthz only, answering 200 "ok" while the
// process runs and its database answers. It is the one place the ops
// listener is wired, so a fuller ops handler (metrics, readiness) replaces
// this function's handler alone.
func startOps(addr string, db *store.DB, logf func(string, ...any)) (string, func(), error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, jukinet.E("serve", jukinet.KindUnavailable, jukinet.Field("ops_addr"), err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if err := db.SQL().PingContext(r.Context()); err != nil {
			http.Error(w, "database unavailable", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok\n"))
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: time.Minute}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logf("ops listener: %v", err)
		}
	}()
	return l.Addr().String(), func() { srv.Close(); <-done }, nil
}
