package gateway_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"sync/atomic"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/policy"
	"github.com/tenantkit/tenantkit/policy/gateway"
	"github.com/tenantkit/tenantkit/tenantctx"
	"github.com/tenantkit/tenantkit/tenantctx/tenanttest"
)

// The two tenants of the tests and their policies: Tenant-A may look up
// orders and use the CRM tools but never refund; Tenant-B may refund and
// forecast but not look up orders.
const (
	policyA = `{"policyId":"POL-TENANT-A","tenantId":"Tenant-A","rules":[
	  {"effect":"ALLOW","resourceType":"TOOL","resources":["agent:tool:order-lookup","agent:tool:crm-*"]},
	  {"effect":"DENY","resourceType":"TOOL","resources":["agent:tool:admin-refund"],"reason":"Insufficient privileges"}]}`
	policyB = `{"policyId":"POL-TENANT-B","tenantId":"Tenant-B","rules":[
	  {"effect":"ALLOW","resourceType":"TOOL","resources":["agent:tool:admin-refund","agent:tool:forecast"]}]}`
)

var allTools = []string{"order-lookup", "crm-search", "admin-refund", "forecast"}

// wantTools are the tools each tenant must see, sorted.
var wantTools = map[string][]string{
	"Tenant-A": {"crm-search", "order-lookup"},
	"Tenant-B": {"admin-refund", "forecast"},
}

func newRegistry(t testing.TB) *policy.MemoryRegistry {
	t.Helper()
	reg, err := policy.NewMemoryRegistry(
		map[string]string{"alice": "Tenant-A", "bob": "Tenant-B"},
		policy.MustCompile([]byte(policyA)), policy.MustCompile([]byte(policyB)))
	require.NoError(t, err)
	return reg
}

func newGateway(t testing.TB, cfg gateway.Config) *gateway.Gateway {
	t.Helper()
	if cfg.Registry == nil {
		cfg.Registry = newRegistry(t)
	}
	g, err := gateway.New(cfg)
	require.NoError(t, err)
	return g
}

// toolServer is a real MCP SDK server whose tool handlers count their runs.
type toolServer struct {
	server *mcp.Server
	calls  map[string]*atomic.Int64 // written before the server starts
}

type toolArgs struct {
	Q string `json:"q,omitempty"`
}

func newToolServer() *toolServer {
	ts := &toolServer{
		server: mcp.NewServer(&mcp.Implementation{Name: "tools", Version: "1.0.0"}, nil),
		calls:  map[string]*atomic.Int64{},
	}
	for _, name := range allTools {
		n := &atomic.Int64{}
		ts.calls[name] = n
		mcp.AddTool(ts.server, &mcp.Tool{Name: name, Description: "tool " + name},
			func(context.Context, *mcp.CallToolRequest, toolArgs) (*mcp.CallToolResult, any, error) {
				n.Add(1)
				return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: name + " ok"}}}, nil, nil
			})
	}
	return ts
}

func (ts *toolServer) count(name string) int64 { return ts.calls[name].Load() }

func (ts *toolServer) handler(jsonMode bool) http.Handler {
	return mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return ts.server },
		&mcp.StreamableHTTPOptions{JSONResponse: jsonMode})
}

// headerTenant is a test-only stand-in for the tenantctx JWT middleware: it
// puts the tenant named by X-Test-Tenant into the context.
func headerTenant(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id := r.Header.Get("X-Test-Tenant"); id != "" {
			sub := map[string]string{"Tenant-A": "alice", "Tenant-B": "bob"}[id]
			r = r.WithContext(tenantctx.NewContext(r.Context(), &tenantctx.Tenant{ID: id, Subject: sub}))
		}
		next.ServeHTTP(w, r)
	})
}

func serve(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h) // httptest listens on 127.0.0.1
	t.Cleanup(srv.Close)
	return srv
}

func toolNames(res *mcp.ListToolsResult) []string {
	var names []string
	for _, tl := range res.Tools {
		names = append(names, tl.Name)
	}
	sort.Strings(names)
	return names
}

// auth is the real tenantctx stack of the end-to-end tests: a test OpenID
// provider, a verifier trusting it, the JWT middleware, and one token per
// tenant.
type auth struct {
	mw     func(http.Handler) http.Handler
	tokens map[string]string
}

func newAuth(t testing.TB) *auth {
	t.Helper()
	iss := tenanttest.NewIssuer(t)
	return &auth{
		mw: tenantctx.Middleware(iss.Verifier(t)),
		tokens: map[string]string{
			"Tenant-A": iss.Mint(t, tenanttest.Claims{Tenant: "Tenant-A", Subject: "alice"}),
			"Tenant-B": iss.Mint(t, tenanttest.Claims{Tenant: "Tenant-B", Subject: "bob"}),
		},
	}
}

// client returns an HTTP client that sends tenant's bearer token.
func (a *auth) client(tenant string) *http.Client {
	return &http.Client{Transport: bearerTransport{token: a.tokens[tenant], base: http.DefaultTransport}}
}

type bearerTransport struct {
	token string
	base  http.RoundTripper
}

func (bt bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r2 := r.Clone(r.Context())
	r2.Header.Set("Authorization", "Bearer "+bt.token)
	return bt.base.RoundTrip(r2)
}

func connectAs(t testing.TB, endpoint string, c *http.Client) *mcp.ClientSession {
	t.Helper()
	client := mcp.NewClient(&mcp.Implementation{Name: "agent", Version: "1.0.0"}, nil)
	cs, err := client.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: endpoint, HTTPClient: c, MaxRetries: -1}, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	require.NoError(t, err)
	return u
}

func tenantctxNewContext() context.Context {
	return tenantctx.NewContext(context.Background(), tenantA())
}
