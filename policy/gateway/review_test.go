package gateway_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/policy/gateway"
	"github.com/tenantkit/tenantkit/tenantctx"
)

// fullList is a tools/list response with id listing every tool, forbidden
// ones included.
func fullList(id string) string {
	return `{"jsonrpc":"2.0","id":` + id + `,"result":` + listResult + `}`
}

func assertNoForbidden(t *testing.T, out string) {
	t.Helper()
	assert.NotContains(t, out, "admin-refund", "forbidden tool leaked")
	assert.NotContains(t, out, "forecast", "forbidden tool leaked")
}

// A GET stream replays a POST stream after a reconnect (Last-Event-ID), so
// it can carry tools/list results: they must be filtered as well.
func TestMCPGETStreamFiltersToolsLists(t *testing.T) {
	t.Parallel()
	stream := "id: s1_0\ndata: " + fullList("5") + "\n\n" +
		"id: s1_1\ndata: {\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"sampling/createMessage\",\"params\":{}}\n\n" +
		"id: s1_2\ndata: [" + fullList(`"x"`) + "]\n\n"
	up := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(stream))
	})
	r := httptest.NewRequest(http.MethodGet, "/mcp", nil)
	r.Header.Set("Mcp-Session-Id", "s-1")
	r.Header.Set("Last-Event-ID", "s1_-1")
	r = r.WithContext(tenantctx.NewContext(r.Context(), tenantA()))
	w := httptest.NewRecorder()
	newGateway(t, gateway.Config{}).MCP(up).ServeHTTP(w, r)
	require.Equal(t, http.StatusOK, w.Code)
	out := w.Body.String()
	assertNoForbidden(t, out)
	events := parseSSE(t, out)
	require.Len(t, events, 3, out)
	assert.Contains(t, events[0].data, "order-lookup")
	assert.Equal(t, "s1_0", events[0].id)
	assert.Contains(t, events[1].data, "sampling/createMessage")
	assert.Contains(t, events[2].data, "crm-search")
}

// A tools/list result whose id the gateway did not see in the request (a
// buggy or replaying server, or a lenient client matching by content) is
// filtered all the same.
func TestMCPToolsListWithUnexpectedID(t *testing.T) {
	t.Parallel()
	req := `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`
	tests := []struct {
		name  string
		reply func(http.ResponseWriter, *http.Request, string)
	}{
		{"json, other id", jsonReply(fullList("2"))},
		{"json batch, other id", jsonReply("[" + fullList("1") + "," + fullList(`"zz"`) + "]")},
		{"sse, other id", sseReply("data: " + fullList("77") + "\n\n")},
		{"sse, call id", sseReply("data: " + fullList("1") + "\n\ndata: " + fullList("1") + "\n\n")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := post(t, newGateway(t, gateway.Config{}).MCP(&upstream{respond: tt.reply}), tenantA(), req)
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			assertNoForbidden(t, w.Body.String())
			assert.Contains(t, w.Body.String(), "order-lookup")
		})
	}
}

// A client that follows the event-stream specification strips a leading
// byte order mark; the gateway must see the same events as the client.
// Lines that only a lenient client would read as data drop the event.
func TestMCPSSEParsingAgrees(t *testing.T) {
	t.Parallel()
	req := `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`
	for name, stream := range map[string]string{
		"bom":               "\xef\xbb\xbfdata: " + fullList("1") + "\n\n",
		"space before data": " data: " + fullList("1") + "\n\n",
		"upper-case data":   "Data: " + fullList("1") + "\n\n",
		"data space colon":  "data : " + fullList("1") + "\n\n",
		"tab data":          "\tdata:" + fullList("1") + "\n\n",
		"bare json":         fullList("1") + "\n\n",
		"bare json batch":   "[" + fullList("1") + "]\n\n",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := post(t, newGateway(t, gateway.Config{}).MCP(&upstream{respond: sseReply(stream)}), tenantA(), req)
			assertNoForbidden(t, w.Body.String())
		})
	}
}

// Only POST carries client messages. Any other method that carries a body,
// an unknown method, or a method-override header is refused before the
// upstream sees it: a lenient server could route it like a POST.
func TestMCPRefusesNonPOSTBodies(t *testing.T) {
	t.Parallel()
	denied := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"admin-refund"}}`
	tests := []struct {
		name, method string
		body         string
		header       string
		status       int
	}{
		{"put", http.MethodPut, denied, "", http.StatusMethodNotAllowed},
		{"patch", http.MethodPatch, denied, "", http.StatusMethodNotAllowed},
		{"lower-case post", "post", denied, "", http.StatusMethodNotAllowed},
		{"get with body", http.MethodGet, denied, "", http.StatusBadRequest},
		{"delete with body", http.MethodDelete, denied, "", http.StatusBadRequest},
		{"get with override", http.MethodGet, "", "X-HTTP-Method-Override", http.StatusBadRequest},
		{"post with override", http.MethodPost, `{"jsonrpc":"2.0","id":1,"method":"ping"}`, "X-HTTP-Method", http.StatusBadRequest},
		{"post with method override", http.MethodPost, `{"jsonrpc":"2.0","id":1,"method":"ping"}`, "X-Method-Override", http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			up := &upstream{}
			var body *strings.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			var r *http.Request
			if body != nil {
				r = httptest.NewRequest(tt.method, "/mcp", body)
			} else {
				r = httptest.NewRequest(tt.method, "/mcp", nil)
			}
			if tt.header != "" {
				r.Header.Set(tt.header, "PUT")
			}
			r = r.WithContext(tenantctx.NewContext(r.Context(), tenantA()))
			w := httptest.NewRecorder()
			newGateway(t, gateway.Config{}).MCP(up).ServeHTTP(w, r)
			assert.Equal(t, tt.status, w.Code)
			assert.Empty(t, up.seen(), "request reached the upstream")
		})
	}
}

// The proxy strips Authorization, so the upstream cannot check a tenant
// header against a token: tenant headers the client sent are dropped, or
// Tenant-A could claim to be Tenant-B upstream.
func TestProxyDropsClientTenantHeaders(t *testing.T) {
	t.Parallel()
	up := &upstream{}
	upSrv := serve(t, up)
	g := newGateway(t, gateway.Config{})
	p, err := g.MCPProxy(gateway.ProxyConfig{Target: mustURL(t, upSrv.URL+"/mcp")})
	require.NoError(t, err)
	srv := serve(t, headerTenant(p))
	req, err := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
	require.NoError(t, err)
	req.Header.Set("X-Test-Tenant", "Tenant-A")
	req.Header.Set("X-Tenant-ID", "Tenant-B")
	req.Header.Set("X-Tenant-Tier", "premium")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Len(t, up.headers, 1)
	assert.Empty(t, up.headers[0].Get("X-Tenant-ID"))
	assert.Empty(t, up.headers[0].Get("X-Tenant-Tier"))
}

// Method names that a lenient server might trim, fold or normalise into a
// tools method never reach the upstream.
func TestMCPRefusesLookalikeMethods(t *testing.T) {
	t.Parallel()
	for _, m := range []string{`tools/call `, ` tools/call`, `tools/call\u0000`, `tools/call\t`, `tools\u2215call`, `tools/ca\u006cl\n`, `ｔools/call`, ``} {
		t.Run(m, func(t *testing.T) {
			t.Parallel()
			up := &upstream{}
			w := post(t, newGateway(t, gateway.Config{}).MCP(up), tenantA(),
				`{"jsonrpc":"2.0","id":1,"method":"`+m+`","params":{"name":"admin-refund"}}`)
			assert.Equal(t, http.StatusBadRequest, w.Code)
			assert.Empty(t, up.seen())
		})
	}
}

// A body that is encoded in any way (a second Content-Encoding header, a
// list of codings, a Transfer-Encoding other than chunked) cannot be read
// by the gateway and is not forwarded while a tools list is expected.
func TestMCPEncodedResponsesFailClosed(t *testing.T) {
	t.Parallel()
	req := `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`
	tests := []struct {
		name string
		hdr  http.Header
	}{
		{"identity then gzip", http.Header{"Content-Encoding": {"identity", "gzip"}}},
		{"list", http.Header{"Content-Encoding": {"identity, gzip"}}},
		{"padded gzip", http.Header{"Content-Encoding": {" gzip "}}},
		{"transfer-encoding gzip", http.Header{"Transfer-Encoding": {"gzip, chunked"}}},
	}
	for _, ct := range []string{"text/event-stream", "application/json"} {
		for _, tt := range tests {
			t.Run(ct+" "+tt.name, func(t *testing.T) {
				t.Parallel()
				up := &upstream{respond: func(w http.ResponseWriter, _ *http.Request, _ string) {
					for k, v := range tt.hdr {
						w.Header()[k] = v
					}
					w.Header().Set("Content-Type", ct)
					_, _ = w.Write([]byte("\n\nid: 1\n\n"))
				}}
				w := post(t, newGateway(t, gateway.Config{}).MCP(up), tenantA(), req)
				assert.Equal(t, http.StatusBadGateway, w.Code)
			})
		}
	}
}

// MCP's standard request headers (Mcp-Method, Mcp-Name) let intermediaries
// and servers route without parsing the body. A request whose headers name
// another method or tool than its body is refused: something behind the
// gateway might act on the header the gateway did not decide on.
func TestMCPStandardHeadersMustMatchBody(t *testing.T) {
	t.Parallel()
	call := func(name string) string {
		return `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"` + name + `"}}`
	}
	tests := []struct {
		name, body string
		hdr        http.Header
		ok         bool
	}{
		{"ping disguised as a call", `{"jsonrpc":"2.0","id":1,"method":"ping"}`, http.Header{"Mcp-Method": {"tools/call"}, "Mcp-Name": {"admin-refund"}}, false},
		{"other tool in header", call("order-lookup"), http.Header{"Mcp-Method": {"tools/call"}, "Mcp-Name": {"admin-refund"}}, false},
		{"other tool in base64 header", call("order-lookup"), http.Header{"Mcp-Method": {"tools/call"}, "Mcp-Name": {"=?base64?YWRtaW4tcmVmdW5k?="}}, false},
		{"two names", call("order-lookup"), http.Header{"Mcp-Method": {"tools/call"}, "Mcp-Name": {"order-lookup", "admin-refund"}}, false},
		{"two methods", call("order-lookup"), http.Header{"Mcp-Method": {"tools/call", "tools/call"}}, false},
		{"batch with headers", "[" + call("order-lookup") + "]", http.Header{"Mcp-Method": {"tools/call"}}, false},
		{"response with method header", `{"jsonrpc":"2.0","id":1,"result":{}}`, http.Header{"Mcp-Method": {"tools/call"}}, false},
		{"matching", call("order-lookup"), http.Header{"Mcp-Method": {"tools/call"}, "Mcp-Name": {"order-lookup"}}, true},
		{"matching base64", call("order-lookup"), http.Header{"Mcp-Method": {"tools/call"}, "Mcp-Name": {"=?base64?b3JkZXItbG9va3Vw?="}}, true},
		{"no headers", call("order-lookup"), nil, true},
		{"method only", `{"jsonrpc":"2.0","id":1,"method":"ping"}`, http.Header{"Mcp-Method": {"ping"}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			up := &upstream{}
			r := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(tt.body))
			for k, v := range tt.hdr {
				r.Header[k] = v
			}
			r = r.WithContext(tenantctx.NewContext(r.Context(), tenantA()))
			w := httptest.NewRecorder()
			newGateway(t, gateway.Config{}).MCP(up).ServeHTTP(w, r)
			if tt.ok {
				assert.Len(t, up.seen(), 1)
				return
			}
			assert.Equal(t, http.StatusBadRequest, w.Code)
			assert.Empty(t, up.seen(), "request reached the upstream")
		})
	}
}

// An upgraded connection (h2c, WebSocket, any 101) is a raw tunnel to the
// upstream: everything the client sends after it bypasses the gateway
// ("h2c smuggling"). Upgrade requests are refused before the upstream sees
// them.
func TestProxyRefusesUpgrade(t *testing.T) {
	t.Parallel()
	var smuggled atomic.Int64
	upSrv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") == "" {
			w.WriteHeader(http.StatusAccepted)
			return
		}
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: " + r.Header.Get("Upgrade") + "\r\n\r\n")
		_ = brw.Flush()
		buf := make([]byte, 4096)
		_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		n, _ := brw.Read(buf)
		smuggled.Add(int64(n))
	}))
	g := newGateway(t, gateway.Config{})
	p, err := g.MCPProxy(gateway.ProxyConfig{Target: mustURL(t, upSrv.URL+"/mcp")})
	require.NoError(t, err)
	srv := serve(t, headerTenant(p))

	for _, upgrade := range []string{"h2c", "websocket", "tunnel"} {
		for _, method := range []string{http.MethodPost, http.MethodGet} {
			body := ""
			if method == http.MethodPost {
				body = `{"jsonrpc":"2.0","id":1,"method":"ping"}`
			}
			conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
			require.NoError(t, err)
			_, err = fmt.Fprintf(conn, "%s /mcp HTTP/1.1\r\nHost: x\r\nX-Test-Tenant: Tenant-A\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: %s\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\nContent-Length: %d\r\n\r\n%s",
				method, upgrade, len(body), body)
			require.NoError(t, err)
			_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			require.NoError(t, err)
			if resp.StatusCode == http.StatusSwitchingProtocols {
				_, _ = io.WriteString(conn, `POST /mcp HTTP/1.1`+"\r\n\r\n"+`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"admin-refund"}}`)
				time.Sleep(100 * time.Millisecond)
			}
			_ = conn.Close()
			assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "%s %s", method, upgrade)
		}
	}
	assert.Zero(t, smuggled.Load(), "bytes tunnelled to the upstream past the gateway")
}
