package a2a

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/propagation"

	"github.com/tenantkit/tenantkit/tenantctx"
)

// noopRT answers every request without I/O, to isolate the transport's
// own cost.
type noopRT struct{}

func (noopRT) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody, Request: r}, nil
}

// BenchmarkTransport compares the base transport alone with the a2a
// transport in front of it, serving an exchanged token from the cache.
// The budget is under 2µs added per request (DESIGN.md).
func BenchmarkTransport(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	b.Cleanup(srv.Close)
	as := newFakeAS(b)
	as.expiresIn = 3600

	// A subject token of realistic size (an RS256 JWT is ~800 bytes).
	tn := (&tenantctx.Tenant{ID: "acme", Tier: "gold", ExpiresAt: time.Now().Add(time.Hour)}).
		WithToken("eyJhbGciOiJSUzI1NiJ9."+strings.Repeat("x", 600)+".sig", nil)
	ctx := tenantctx.NewContext(context.Background(), tn)
	prop := propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

	xs := newTestExchangeSource(b, as)
	newTr := func(base http.RoundTripper) http.RoundTripper {
		tr, err := NewTransport(Config{
			Base: base,
			Destinations: []Destination{{
				URL: srv.URL, Audience: []string{"agent-2"}, TokenSource: xs,
			}},
			Propagator:                prop,
			InsecureAllowLoopbackHTTP: true,
		})
		if err != nil {
			b.Fatal(err)
		}
		return tr
	}
	// The base case sends the very headers the a2a transport adds, so
	// that both cases put the same bytes on the wire and the difference
	// is the transport's own work.
	tok, err := xs.Token(ctx, TokenRequest{Tenant: tn, Audience: []string{"agent-2"}})
	if err != nil {
		b.Fatal(err)
	}
	sameHeaders := http.Header{
		"X-Tenant-Id":   {"acme"},
		"X-Tenant-Tier": {"gold"},
		"Authorization": {"Bearer " + tok.AccessToken},
	}
	run := func(b *testing.B, rt http.RoundTripper, h http.Header) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/task", nil)
		if err != nil {
			b.Fatal(err)
		}
		req.Header = h
		// Warm up: connection pool and token cache.
		for range 3 {
			resp, err := rt.RoundTrip(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
		}
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			resp, err := rt.RoundTrip(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
		}
	}

	base := &http.Transport{MaxIdleConnsPerHost: 4}
	b.Cleanup(base.CloseIdleConnections)
	withBase, withNoop := newTr(base), newTr(noopRT{})
	b.Run("base", func(b *testing.B) { run(b, base, sameHeaders) })
	b.Run("cached-token", func(b *testing.B) { run(b, withBase, http.Header{}) })
	// The transport's own cost, without network noise: a base that does
	// no I/O, alone and behind the a2a transport.
	b.Run("no-io/base", func(b *testing.B) { run(b, noopRT{}, sameHeaders) })
	b.Run("no-io/cached-token", func(b *testing.B) { run(b, withNoop, http.Header{}) })
	if n := as.calls.Load(); n != 1 {
		b.Fatalf("token cache missed: %d exchanges", n)
	}
}
