package main

import (
	"context"
	"net"
	"net/http"
	"time"
)

// loopback is an HTTP server on 127.0.0.1 with a random port. The demo
// starts one per service and closes them all before it exits.
type loopback struct {
	URL string
	srv *http.Server
}

func serve(h http.Handler) (*loopback, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return &loopback{URL: "http://" + ln.Addr().String(), srv: srv}, nil
}

// close stops the server, giving open requests a moment to finish.
func (l *loopback) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if l.srv.Shutdown(ctx) != nil {
		_ = l.srv.Close()
	}
}
