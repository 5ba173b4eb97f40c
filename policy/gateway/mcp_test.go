package gateway_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/policy"
	"github.com/tenantkit/tenantkit/policy/gateway"
	"github.com/tenantkit/tenantkit/tenantctx"
)

// upstream is a fake MCP endpoint that records what reached it and answers
// with respond (default: 202, no body).
type upstream struct {
	mu      sync.Mutex
	bodies  []string
	headers []http.Header
	respond func(w http.ResponseWriter, r *http.Request, body string)
}

func (u *upstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	u.mu.Lock()
	u.bodies = append(u.bodies, string(b))
	u.headers = append(u.headers, r.Header.Clone())
	u.mu.Unlock()
	if u.respond != nil {
		u.respond(w, r, string(b))
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

func (u *upstream) seen() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]string(nil), u.bodies...)
}

func jsonReply(body string) func(http.ResponseWriter, *http.Request, string) {
	return func(w http.ResponseWriter, _ *http.Request, _ string) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, body)
	}
}

func sseReply(stream string) func(http.ResponseWriter, *http.Request, string) {
	return func(w http.ResponseWriter, _ *http.Request, _ string) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, stream)
	}
}

func tenantA() *tenantctx.Tenant { return &tenantctx.Tenant{ID: "Tenant-A", Subject: "alice"} }

func post(t *testing.T, h http.Handler, tenant *tenantctx.Tenant, body string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r = r.WithContext(tenantctx.NewContext(r.Context(), tenant))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

type rpcResp struct {
	ID     json.RawMessage `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int             `json:"code"`
		Message string          `json:"message"`
		Data    json.RawMessage `json:"data"`
	} `json:"error"`
}

func decodeRPC(t *testing.T, b []byte) rpcResp {
	t.Helper()
	var r rpcResp
	require.NoError(t, json.Unmarshal(b, &r), "%s", b)
	return r
}

const listResult = `{"tools":[{"name":"order-lookup","inputSchema":{"type":"object"}},{"name":"admin-refund","inputSchema":{"type":"object"}},` +
	`{"name":"crm-search"},{"name":"forecast"},{"name":"bad name"},{"name":"order-lookup","Name":"admin-refund"}],"nextCursor":"c-2","_meta":{"k":"v"}}`

// TestMCPRequestHostile feeds hostile request bodies to the middleware: none
// may reach the upstream, and each gets the documented answer.
func TestMCPRequestHostile(t *testing.T) {
	t.Parallel()
	const (
		parse   = -32700
		invalid = -32600
	)
	tests := []struct {
		name, body string
		status     int
		code       int
	}{
		{"malformed json", `{"jsonrpc":"2.0","id":1,"method":`, 400, parse},
		{"empty body", ``, 400, parse},
		{"not an object", `"tools/call"`, 400, invalid},
		{"trailing data", `{"jsonrpc":"2.0","id":1,"method":"ping"}{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"admin-refund"}}`, 400, parse},
		{"invalid utf-8", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"order-lookup\xff\"}}", 400, parse},
		{"duplicate name", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"order-lookup","name":"admin-refund"}}`, 400, invalid},
		{"duplicate name, other case", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"order-lookup","Name":"admin-refund"}}`, 400, invalid},
		{"duplicate name, escaped", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"order-lookup","nam\u0065":"admin-refund"}}`, 400, invalid},
		{"non-canonical name only", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"NAME":"admin-refund"}}`, 400, invalid},
		{"duplicate params via long s", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"order-lookup"},"param\u017f":{"name":"admin-refund"}}`, 400, invalid},
		{"duplicate method", `{"jsonrpc":"2.0","id":1,"method":"ping","method":"tools/call","params":{"name":"admin-refund"}}`, 400, invalid},
		{"tools method in another case", `{"jsonrpc":"2.0","id":1,"method":"Tools/Call","params":{"name":"admin-refund"}}`, 400, invalid},
		{"non-canonical method", `{"jsonrpc":"2.0","id":1,"Method":"tools/call","params":{"name":"admin-refund"}}`, 400, invalid},
		{"duplicate id", `{"jsonrpc":"2.0","id":1,"id":2,"method":"tools/list"}`, 400, invalid},
		{"id object", `{"jsonrpc":"2.0","id":{"a":1},"method":"tools/call","params":{"name":"order-lookup"}}`, 400, invalid},
		{"id array", `{"jsonrpc":"2.0","id":[1],"method":"tools/list"}`, 400, invalid},
		{"id bool", `{"jsonrpc":"2.0","id":true,"method":"tools/list"}`, 400, invalid},
		{"id null", `{"jsonrpc":"2.0","id":null,"method":"tools/call","params":{"name":"order-lookup"}}`, 400, invalid},
		{"id fraction", `{"jsonrpc":"2.0","id":1.5,"method":"tools/call","params":{"name":"order-lookup"}}`, 400, invalid},
		{"id exponent", `{"jsonrpc":"2.0","id":1e3,"method":"tools/call","params":{"name":"order-lookup"}}`, 400, invalid},
		{"id overflow", `{"jsonrpc":"2.0","id":99999999999999999999,"method":"tools/call","params":{"name":"order-lookup"}}`, 400, invalid},
		{"call as notification", `{"jsonrpc":"2.0","method":"tools/call","params":{"name":"admin-refund"}}`, 400, invalid},
		{"params array", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":["admin-refund"]}`, 400, invalid},
		{"params missing", `{"jsonrpc":"2.0","id":1,"method":"tools/call"}`, 400, invalid},
		{"name number", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":7}}`, 400, invalid},
		{"name empty", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":""}}`, 400, invalid},
		{"method number", `{"jsonrpc":"2.0","id":1,"method":7}`, 400, invalid},
		{"neither request nor response", `{"jsonrpc":"2.0"}`, 400, invalid},
		{"empty batch", `[]`, 400, invalid},
		{"batch of non-objects", `[1,2]`, 400, invalid},
		{"batch with duplicate ids", `[{"jsonrpc":"2.0","id":1,"method":"tools/list"},{"jsonrpc":"2.0","id":"1","method":"tools/call","params":{"name":"order-lookup"}}]`, 400, invalid},
		{"batch hiding a duplicate", `[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"order-lookup","name":"admin-refund"}}]`, 400, invalid},
		{"deep nesting", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"order-lookup","arguments":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}}`, 400, parse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			up := &upstream{}
			w := post(t, newGateway(t, gateway.Config{}).MCP(up), tenantA(), tt.body)
			assert.Equal(t, tt.status, w.Code)
			assert.Empty(t, up.seen(), "hostile request reached the upstream")
			r := decodeRPC(t, w.Body.Bytes())
			require.NotNil(t, r.Error)
			assert.Equal(t, tt.code, r.Error.Code)
			assert.Equal(t, "null", string(r.ID))
			assert.NotContains(t, w.Body.String(), "admin-refund", "error echoes the request")
		})
	}
}

func TestMCPDeniedCallIDs(t *testing.T) {
	t.Parallel()
	for _, id := range []string{`7`, `-3`, `0`, `"abc"`, `"<script>"`, `9007199254740993`, `"\u00e9\n"`} {
		t.Run(id, func(t *testing.T) {
			t.Parallel()
			up := &upstream{}
			w := post(t, newGateway(t, gateway.Config{}).MCP(up), tenantA(),
				`{"jsonrpc":"2.0","id":`+id+`,"method":"tools/call","params":{"name":"admin-refund","arguments":{}}}`)
			assert.Equal(t, http.StatusOK, w.Code)
			assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
			assert.Empty(t, up.seen())
			r := decodeRPC(t, w.Body.Bytes())
			var want, got any
			require.NoError(t, json.Unmarshal([]byte(id), &want))
			require.NoError(t, json.Unmarshal(r.ID, &got))
			assert.Equal(t, want, got)
			if id == `9007199254740993` {
				assert.Equal(t, id, string(r.ID), "integer id must survive exactly")
			}
			require.NotNil(t, r.Error)
			assert.Equal(t, gateway.CodeToolDenied, r.Error.Code)
			assert.Equal(t, gateway.ToolDeniedMessage, r.Error.Message)
			assert.JSONEq(t, `{"reason":"Insufficient privileges","policyId":"POL-TENANT-A"}`, string(r.Error.Data))
		})
	}
}

func TestMCPDecisions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		tenant *tenantctx.Tenant
		reg    policy.Registry
		check  bool
		body   string
		status int
		reach  bool
		code   int // JSON-RPC error code expected in a 200 answer
	}{
		{name: "allowed call", tenant: tenantA(), body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"order-lookup"}}`, status: 202, reach: true},
		{name: "wildcard allowed", tenant: tenantA(), body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"crm-search"}}`, status: 202, reach: true},
		{name: "default deny", tenant: tenantA(), body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"forecast"}}`, status: 200, code: gateway.CodeToolDenied},
		{name: "invalid tool name", tenant: tenantA(), body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"crm-*"}}`, status: 200, code: gateway.CodeToolDenied},
		{name: "name with control char", tenant: tenantA(), body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"order-lookup\u0000"}}`, status: 200, code: gateway.CodeToolDenied},
		{name: "other tenant's tool", tenant: &tenantctx.Tenant{ID: "Tenant-B", Subject: "bob"}, body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"order-lookup"}}`, status: 200, code: gateway.CodeToolDenied},
		{name: "tenant without policy", tenant: &tenantctx.Tenant{ID: "Tenant-C"}, body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"order-lookup"}}`, status: 200, code: gateway.CodeToolDenied},
		{name: "no tenant", tenant: nil, body: `{"jsonrpc":"2.0","id":1,"method":"ping"}`, status: 401},
		{name: "registry down", tenant: tenantA(), reg: downRegistry{}, body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"order-lookup"}}`, status: 503},
		{name: "registry down, ping passes", tenant: tenantA(), reg: downRegistry{}, body: `{"jsonrpc":"2.0","id":1,"method":"ping"}`, status: 202, reach: true},
		{name: "user in tenant", tenant: tenantA(), check: true, body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"order-lookup"}}`, status: 202, reach: true},
		{name: "user of other tenant", tenant: &tenantctx.Tenant{ID: "Tenant-A", Subject: "bob"}, check: true, body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"order-lookup"}}`, status: 200, code: gateway.CodeToolDenied},
		{name: "unknown user", tenant: &tenantctx.Tenant{ID: "Tenant-A", Subject: "mallory"}, check: true, body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"order-lookup"}}`, status: 200, code: gateway.CodeToolDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			up := &upstream{}
			g := newGateway(t, gateway.Config{Registry: tt.reg, CheckUserTenant: tt.check})
			w := post(t, g.MCP(up), tt.tenant, tt.body)
			assert.Equal(t, tt.status, w.Code, w.Body.String())
			if tt.reach {
				assert.Equal(t, []string{tt.body}, up.seen(), "upstream must get the body unchanged")
			} else {
				assert.Empty(t, up.seen())
			}
			if tt.code != 0 {
				r := decodeRPC(t, w.Body.Bytes())
				require.NotNil(t, r.Error)
				assert.Equal(t, tt.code, r.Error.Code)
			}
		})
	}
}

type downRegistry struct{}

func (downRegistry) TenantOf(context.Context, string) (string, error) {
	return "", errors.New("registry: connection refused")
}
func (downRegistry) Policy(context.Context, string) (*policy.Policy, error) {
	return nil, errors.New("registry: connection refused")
}

var _ policy.Registry = downRegistry{}

func TestMCPBodyLimit(t *testing.T) {
	t.Parallel()
	g := newGateway(t, gateway.Config{MaxBodyBytes: 64})
	up := &upstream{}
	body := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"order-lookup","arguments":{"q":"` + strings.Repeat("x", 100) + `"}}}`
	w := post(t, g.MCP(up), tenantA(), body)
	assert.Equal(t, http.StatusRequestEntityTooLarge, w.Code)

	// Without a Content-Length (chunked), the limit holds while reading.
	r := httptest.NewRequest(http.MethodPost, "/mcp", io.MultiReader(strings.NewReader(body)))
	r.ContentLength = -1
	r = r.WithContext(tenantctx.NewContext(r.Context(), tenantA()))
	w = httptest.NewRecorder()
	g.MCP(up).ServeHTTP(w, r)
	assert.Equal(t, http.StatusRequestEntityTooLarge, w.Code)
	assert.Empty(t, up.seen())
}

func TestMCPPassThroughMethods(t *testing.T) {
	t.Parallel()
	for _, method := range []string{http.MethodGet, http.MethodDelete} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			var got http.Header
			up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = r.Header.Clone()
				w.Header().Set("Mcp-Session-Id", "s-1")
				w.WriteHeader(http.StatusNoContent)
			})
			h := newGateway(t, gateway.Config{}).MCP(up)
			r := httptest.NewRequest(method, "/mcp", nil)
			r.Header.Set("Mcp-Session-Id", "s-1")
			r.Header.Set("MCP-Protocol-Version", "2025-06-18")
			r.Header.Set("Last-Event-ID", "e-9")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r.WithContext(tenantctx.NewContext(r.Context(), tenantA())))
			assert.Equal(t, http.StatusNoContent, w.Code)
			assert.Equal(t, "s-1", w.Header().Get("Mcp-Session-Id"))
			assert.Equal(t, "s-1", got.Get("Mcp-Session-Id"))
			assert.Equal(t, "2025-06-18", got.Get("MCP-Protocol-Version"))
			assert.Equal(t, "e-9", got.Get("Last-Event-ID"))

			// Without a tenant, not even a GET stream is opened.
			w = httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(method, "/mcp", nil))
			assert.Equal(t, http.StatusUnauthorized, w.Code)
		})
	}
}

func TestMCPSessionHeadersOnPOST(t *testing.T) {
	t.Parallel()
	up := &upstream{respond: func(w http.ResponseWriter, _ *http.Request, _ string) {
		w.Header().Set("Mcp-Session-Id", "s-2")
		jsonReply(`{"jsonrpc":"2.0","id":1,"result":`+listResult+`}`)(w, nil, "")
	}}
	h := newGateway(t, gateway.Config{}).MCP(up)
	r := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
	r.Header.Set("Mcp-Session-Id", "s-2")
	r.Header.Set("Mcp-Protocol-Version", "2025-11-25")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r.WithContext(tenantctx.NewContext(r.Context(), tenantA())))
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "s-2", w.Header().Get("Mcp-Session-Id"))
	assert.Equal(t, "s-2", up.headers[0].Get("Mcp-Session-Id"))
	assert.Equal(t, "2025-11-25", up.headers[0].Get("Mcp-Protocol-Version"))
}

func TestMCPListJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, req, reply string
		status           int
		check            func(t *testing.T, body []byte)
	}{
		{name: "filtered, cursor and meta kept", req: `{"jsonrpc":"2.0","id":"L1","method":"tools/list","params":{"cursor":"c-1"}}`,
			reply: `{"jsonrpc":"2.0","id":"L1","result":` + listResult + `}`, status: 200,
			check: func(t *testing.T, body []byte) {
				assert.JSONEq(t, `{"jsonrpc":"2.0","id":"L1","result":{"tools":[{"name":"order-lookup","inputSchema":{"type":"object"}},{"name":"crm-search"}],"nextCursor":"c-2","_meta":{"k":"v"}}}`, string(body))
			}},
		{name: "error response passes", req: `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`,
			reply: `{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"no"}}`, status: 200,
			check: func(t *testing.T, body []byte) {
				assert.JSONEq(t, `{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"no"}}`, string(body))
			}},
		// A tools list under an id the request did not have is filtered
		// too (it used to be forwarded untouched: a leak).
		{name: "other id filtered too", req: `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`,
			reply: `{"jsonrpc":"2.0","id":2,"result":` + listResult + `}`, status: 200,
			check: func(t *testing.T, body []byte) {
				assert.JSONEq(t, `{"jsonrpc":"2.0","id":2,"result":{"tools":[{"name":"order-lookup","inputSchema":{"type":"object"}},{"name":"crm-search"}],"nextCursor":"c-2","_meta":{"k":"v"}}}`, string(body))
			}},
		{name: "duplicate result keys", req: `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`,
			reply: `{"jsonrpc":"2.0","id":1,"result":{"tools":[]},"result":` + listResult + `}`, status: 502},
		{name: "duplicate tools keys", req: `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`,
			reply: `{"jsonrpc":"2.0","id":1,"result":{"tools":[],"Tools":[{"name":"admin-refund"}]}}`, status: 200,
			check: func(t *testing.T, body []byte) {
				r := decodeRPC(t, body)
				require.NotNil(t, r.Error)
				assert.NotContains(t, string(body), "admin-refund")
			}},
		{name: "tools not an array", req: `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`,
			reply: `{"jsonrpc":"2.0","id":1,"result":{"tools":{"name":"admin-refund"}}}`, status: 200,
			check: func(t *testing.T, body []byte) {
				assert.NotContains(t, string(body), "admin-refund")
				require.NotNil(t, decodeRPC(t, body).Error)
			}},
		{name: "not json", req: `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`, reply: `{"tools":`, status: 502},
		{name: "trailing data", req: `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`, reply: `{"jsonrpc":"2.0","id":2,"result":{}}{"jsonrpc":"2.0","id":1,"result":` + listResult + `}`, status: 502},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			up := &upstream{respond: jsonReply(tt.reply)}
			w := post(t, newGateway(t, gateway.Config{}).MCP(up), tenantA(), tt.req)
			require.Equal(t, tt.status, w.Code, w.Body.String())
			assert.NotContains(t, w.Body.String(), "admin-refund")
			if tt.check != nil {
				tt.check(t, w.Body.Bytes())
				assert.Equal(t, strconv.Itoa(w.Body.Len()), w.Header().Get("Content-Length"))
			}
		})
	}
}

func TestMCPResponseLimits(t *testing.T) {
	t.Parallel()
	g := newGateway(t, gateway.Config{MaxResponseBytes: 256})
	big := `{"jsonrpc":"2.0","id":1,"result":{"tools":[` + strings.Repeat(`{"name":"order-lookup"},`, 50) + `{"name":"admin-refund"}]}}`
	w := post(t, g.MCP(&upstream{respond: jsonReply(big)}), tenantA(), `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`)
	assert.Equal(t, http.StatusBadGateway, w.Code)

	w = post(t, g.MCP(&upstream{respond: sseReply("data: " + big + "\n\n")}), tenantA(), `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`)
	assert.NotContains(t, w.Body.String(), "admin-refund")

	gz := func(w http.ResponseWriter, _ *http.Request, _ string) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip")
		_, _ = io.WriteString(w, "\x1f\x8b...")
	}
	w = post(t, g.MCP(&upstream{respond: gz}), tenantA(), `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`)
	assert.Equal(t, http.StatusBadGateway, w.Code)

	// A success without a content type the gateway can filter.
	plain := func(w http.ResponseWriter, _ *http.Request, _ string) {
		_, _ = io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":`+listResult+`}`)
	}
	w = post(t, g.MCP(&upstream{respond: plain}), tenantA(), `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`)
	assert.Equal(t, http.StatusBadGateway, w.Code)

	// 202 (nothing to answer) keeps its status and drops any body.
	accepted := func(w http.ResponseWriter, _ *http.Request, _ string) {
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":`+listResult+`}`)
	}
	w = post(t, g.MCP(&upstream{respond: accepted}), tenantA(), `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`)
	assert.Equal(t, http.StatusAccepted, w.Code)
	assert.Empty(t, w.Body.String())

	// Errors pass through as they are.
	failing := func(w http.ResponseWriter, _ *http.Request, _ string) {
		http.Error(w, "session not found", http.StatusNotFound)
	}
	w = post(t, g.MCP(&upstream{respond: failing}), tenantA(), `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`)
	assert.Equal(t, http.StatusNotFound, w.Code)
	assert.Equal(t, "session not found\n", w.Body.String())
}

func TestMCPBatch(t *testing.T) {
	t.Parallel()
	call := func(id, name string) string {
		return `{"jsonrpc":"2.0","id":` + id + `,"method":"tools/call","params":{"name":"` + name + `"}}`
	}
	t.Run("mixed", func(t *testing.T) {
		t.Parallel()
		up := &upstream{respond: jsonReply(`[{"jsonrpc":"2.0","id":1,"result":{"content":[]}},{"jsonrpc":"2.0","id":3,"result":` + listResult + `}]`)}
		body := `[` + call("1", "order-lookup") + `,` + call("2", "admin-refund") + `,{"jsonrpc":"2.0","id":3,"method":"tools/list"}]`
		w := post(t, newGateway(t, gateway.Config{}).MCP(up), tenantA(), body)
		require.Equal(t, http.StatusOK, w.Code)
		seen := up.seen()
		require.Len(t, seen, 1)
		assert.JSONEq(t, `[`+call("1", "order-lookup")+`,{"jsonrpc":"2.0","id":3,"method":"tools/list"}]`, seen[0])
		var out []rpcResp
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &out))
		require.Len(t, out, 3)
		assert.Equal(t, "1", string(out[0].ID))
		assert.Equal(t, "3", string(out[1].ID))
		assert.NotContains(t, string(out[1].Result), "admin-refund")
		assert.Contains(t, string(out[1].Result), "order-lookup")
		assert.Equal(t, "2", string(out[2].ID))
		assert.Equal(t, gateway.CodeToolDenied, out[2].Error.Code)
	})
	t.Run("all denied", func(t *testing.T) {
		t.Parallel()
		up := &upstream{}
		w := post(t, newGateway(t, gateway.Config{}).MCP(up), tenantA(), `[`+call("1", "admin-refund")+`,`+call(`"x"`, "forecast")+`]`)
		require.Equal(t, http.StatusOK, w.Code)
		assert.Empty(t, up.seen())
		var out []rpcResp
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &out))
		require.Len(t, out, 2)
		assert.Equal(t, `"x"`, string(out[1].ID))
	})
	t.Run("denied call and a notification", func(t *testing.T) {
		t.Parallel()
		up := &upstream{} // answers 202: nothing to respond to
		w := post(t, newGateway(t, gateway.Config{}).MCP(up), tenantA(),
			`[`+call("1", "admin-refund")+`,{"jsonrpc":"2.0","method":"notifications/initialized"}]`)
		require.Equal(t, http.StatusOK, w.Code)
		assert.Equal(t, []string{`[{"jsonrpc":"2.0","method":"notifications/initialized"}]`}, up.seen())
		var out []rpcResp
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &out))
		require.Len(t, out, 1)
		assert.Equal(t, gateway.CodeToolDenied, out[0].Error.Code)
	})
	t.Run("sse answer gets the refusals as events", func(t *testing.T) {
		t.Parallel()
		up := &upstream{respond: sseReply("id: e1\nevent: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n\n")}
		w := post(t, newGateway(t, gateway.Config{}).MCP(up), tenantA(), `[`+call("1", "order-lookup")+`,`+call("2", "admin-refund")+`]`)
		require.Equal(t, http.StatusOK, w.Code)
		events := parseSSE(t, w.Body.String())
		require.Len(t, events, 2)
		assert.Equal(t, gateway.CodeToolDenied, decodeRPC(t, []byte(events[0].data)).Error.Code)
		assert.Equal(t, "e1", events[1].id)
	})
}

type sseEvent struct{ id, event, data string }

func parseSSE(t *testing.T, s string) []sseEvent {
	t.Helper()
	var out []sseEvent
	var cur sseEvent
	has := false
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			if has {
				out = append(out, cur)
			}
			cur, has = sseEvent{}, false
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		has = true
		switch field {
		case "id":
			cur.id = value
		case "event":
			cur.event = value
		case "data":
			if cur.data != "" {
				cur.data += "\n"
			}
			cur.data += value
		}
	}
	return out
}

func TestMCPListSSE(t *testing.T) {
	t.Parallel()
	listResp := `{"jsonrpc":"2.0","id":5,"result":` + listResult + `}`
	tests := []struct {
		name, stream string
		check        func(t *testing.T, out string)
	}{
		{name: "filtered, other events byte for byte",
			stream: "id: 0\ndata: \n\n" + // priming event
				": keep-alive\n\n" +
				"event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progressToken\":1,\"progress\":1}}\n\n" +
				"id: 7\nevent: message\ndata: " + listResp + "\n\n",
			check: func(t *testing.T, out string) {
				assert.True(t, strings.HasPrefix(out, "id: 0\ndata: \n\n: keep-alive\n\nevent: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\""), out)
				ev := parseSSE(t, out)
				last := ev[len(ev)-1]
				assert.Equal(t, "7", last.id)
				assert.Equal(t, "message", last.event)
				assert.JSONEq(t, `{"jsonrpc":"2.0","id":5,"result":{"tools":[{"name":"order-lookup","inputSchema":{"type":"object"}},{"name":"crm-search"}],"nextCursor":"c-2","_meta":{"k":"v"}}}`, last.data)
			}},
		{name: "CRLF and multi-line data",
			stream: "id: 8\r\nevent: message\r\ndata: {\"jsonrpc\":\"2.0\",\r\ndata: \"id\":5,\"result\":" + listResult + "}\r\n\r\n",
			check: func(t *testing.T, out string) {
				ev := parseSSE(t, strings.ReplaceAll(out, "\r\n", "\n"))
				require.Len(t, ev, 1)
				assert.Equal(t, "8", ev[0].id)
				assert.Contains(t, ev[0].data, "order-lookup")
			}},
		{name: "bare CR line endings",
			stream: "id: 9\revent: message\rdata: " + listResp + "\r\r",
			check: func(t *testing.T, out string) {
				assert.Contains(t, out, "order-lookup")
			}},
		{name: "duplicate keys: event dropped",
			stream: "data: {\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{\"tools\":[]},\"result\":" + listResult + "}\n\n",
			check: func(t *testing.T, out string) {
				assert.Empty(t, parseSSE(t, out))
			}},
		{name: "string id matches numeric request",
			stream: "data: {\"jsonrpc\":\"2.0\",\"id\":\"5\",\"result\":" + listResult + "}\n\n",
			check: func(t *testing.T, out string) {
				assert.Contains(t, out, "order-lookup")
			}},
		{name: "unterminated last event discarded",
			stream: "data: " + listResp,
			check: func(t *testing.T, out string) {
				assert.Empty(t, out)
			}},
	}
	for _, tt := range tests {
		for _, bytewise := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/bytewise=%v", tt.name, bytewise), func(t *testing.T) {
				t.Parallel()
				reply := sseReply(tt.stream)
				if bytewise {
					// Every line ending, CRLF included, split across writes.
					reply = func(w http.ResponseWriter, _ *http.Request, _ string) {
						w.Header().Set("Content-Type", "text/event-stream")
						for i := 0; i < len(tt.stream); i++ {
							_, _ = w.Write([]byte{tt.stream[i]})
							w.(http.Flusher).Flush()
						}
					}
				}
				up := &upstream{respond: reply}
				w := post(t, newGateway(t, gateway.Config{}).MCP(up), tenantA(), `{"jsonrpc":"2.0","id":5,"method":"tools/list"}`)
				require.Equal(t, http.StatusOK, w.Code)
				assert.Equal(t, "text/event-stream", w.Header().Get("Content-Type"))
				assert.NotContains(t, w.Body.String(), "admin-refund")
				tt.check(t, w.Body.String())
			})
		}
	}
}

// TestMCPSSEStreamsEventByEvent checks that each event reaches the client
// as soon as the upstream sends it, through a real HTTP connection.
func TestMCPSSEStreamsEventByEvent(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{}}\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		_, _ = io.WriteString(w, "data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":"+listResult+"}\n\n")
	})
	g := newGateway(t, gateway.Config{})
	srv := serve(t, headerTenant(g.MCP(up)))
	req, err := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
	require.NoError(t, err)
	req.Header.Set("X-Test-Tenant", "Tenant-A")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	first := make(chan string, 1)
	go func() {
		var sb strings.Builder
		for {
			line, err := br.ReadString('\n')
			sb.WriteString(line)
			if err != nil || line == "\n" {
				first <- sb.String()
				return
			}
		}
	}()
	select {
	case ev := <-first:
		assert.Contains(t, ev, "notifications/progress")
	case <-time.After(5 * time.Second):
		t.Fatal("first event was not flushed before the stream ended")
	}
	close(release)
	rest, err := io.ReadAll(br)
	require.NoError(t, err)
	assert.Contains(t, string(rest), "order-lookup")
	assert.NotContains(t, string(rest), "admin-refund")
}

func TestProxyDoesNotForwardCredentials(t *testing.T) {
	t.Parallel()
	up := &upstream{}
	upSrv := serve(t, up)
	g := newGateway(t, gateway.Config{})
	target := mustURL(t, upSrv.URL+"/mcp")
	p, err := g.MCPProxy(gateway.ProxyConfig{Target: target})
	require.NoError(t, err)
	srv := serve(t, headerTenant(p))
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/elsewhere", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
	require.NoError(t, err)
	req.Header.Set("X-Test-Tenant", "Tenant-A")
	req.Header.Set("Authorization", "Bearer user-token")
	req.Header.Set("Cookie", "session=secret")
	req.Header.Set("Mcp-Session-Id", "s-1")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	require.Len(t, up.headers, 1)
	assert.Empty(t, up.headers[0].Get("Authorization"))
	assert.Empty(t, up.headers[0].Get("Cookie"))
	assert.Equal(t, "s-1", up.headers[0].Get("Mcp-Session-Id"))

	for _, bad := range []string{"", "ftp://x/mcp", "/relative", "http://user:pw@host/mcp"} {
		var u = mustURL(t, bad)
		if bad == "" {
			u = nil
		}
		_, err := g.MCPProxy(gateway.ProxyConfig{Target: u})
		assert.ErrorIs(t, err, gateway.ErrConfig, bad)
	}
}

// The middleware never modifies the caller's request, even when it rewrites
// the body of a batch.
func TestMCPCallerRequestUnchanged(t *testing.T) {
	t.Parallel()
	body := `[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"order-lookup"}},{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"admin-refund"}}]`
	up := &upstream{respond: jsonReply(`[{"jsonrpc":"2.0","id":1,"result":{"content":[]}}]`)}
	r := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(body))
	r.Header.Set("Content-Length", strconv.Itoa(len(body)))
	r = r.WithContext(tenantctx.NewContext(r.Context(), tenantA()))
	before := r.Header.Clone()
	w := httptest.NewRecorder()
	newGateway(t, gateway.Config{}).MCP(up).ServeHTTP(w, r)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, before, r.Header)
	assert.Equal(t, int64(len(body)), r.ContentLength)
	require.Len(t, up.headers, 1)
	assert.Equal(t, strconv.Itoa(len(up.seen()[0])), up.headers[0].Get("Content-Length"))
}
