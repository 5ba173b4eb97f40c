package gateway_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/tenantkit/tenantkit/policy/gateway"
)

// BenchmarkMCPGateway measures a tools/call (and a tools/list) made by the
// official Go MCP SDK client to the official SDK server over loopback HTTP
// (JSON response mode), with the gateway wrapping the server's handler and
// without it ("-direct"). Both paths run the same tenantctx JWT middleware
// with a real RS256 token (a verified-token cache hit after the first call).
func BenchmarkMCPGateway(b *testing.B) {
	ctx := context.Background()
	ts := newToolServer()
	g := newGateway(b, gateway.Config{})
	a := newAuth(b)
	endpoints := map[string]string{
		"gateway": serve(b, a.mw(g.MCP(ts.handler(true)))).URL,
		"direct":  serve(b, a.mw(ts.handler(true))).URL,
	}
	sessions := map[string]*mcp.ClientSession{}
	for k, ep := range endpoints {
		sessions[k] = connectAs(b, ep, a.client("Tenant-A"))
	}
	call := &mcp.CallToolParams{Name: "order-lookup", Arguments: map[string]any{"q": "42"}}
	for _, bm := range []struct {
		name, via string
		run       func(cs *mcp.ClientSession) error
	}{
		{"tools-call", "gateway", func(cs *mcp.ClientSession) error { _, err := cs.CallTool(ctx, call); return err }},
		{"tools-call-direct", "direct", func(cs *mcp.ClientSession) error { _, err := cs.CallTool(ctx, call); return err }},
		{"tools-call-denied", "gateway", func(cs *mcp.ClientSession) error {
			_, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "admin-refund"})
			if err == nil {
				b.Fatal("denied call succeeded")
			}
			return nil
		}},
		{"tools-list", "gateway", func(cs *mcp.ClientSession) error { _, err := cs.ListTools(ctx, nil); return err }},
		{"tools-list-direct", "direct", func(cs *mcp.ClientSession) error { _, err := cs.ListTools(ctx, nil); return err }},
	} {
		b.Run(bm.name, func(b *testing.B) {
			cs := sessions[bm.via]
			b.ReportAllocs()
			for b.Loop() {
				if err := bm.run(cs); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkMCPMiddleware isolates the gateway's own cost on a tools/call
// POST: the middleware in front of a handler that does nothing, against the
// bare handler.
func BenchmarkMCPMiddleware(b *testing.B) {
	body := `{"jsonrpc":"2.0","id":17,"method":"tools/call","params":{"name":"order-lookup","arguments":{"q":"42"}}}`
	noop := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusAccepted) })
	g := newGateway(b, gateway.Config{})
	for _, bm := range []struct {
		name string
		h    http.Handler
	}{{"tools-call", g.MCP(noop)}, {"tools-call-direct", noop}} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				w := discardWriter{h: http.Header{}}
				r, _ := http.NewRequestWithContext(tenantCtx, http.MethodPost, "/mcp", strings.NewReader(body))
				bm.h.ServeHTTP(&w, r)
			}
		})
	}
}

var tenantCtx = tenantctxNewContext()

type discardWriter struct {
	h    http.Header
	code int
}

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(code int)        { d.code = code }
