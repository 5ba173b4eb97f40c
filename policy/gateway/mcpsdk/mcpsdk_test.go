package mcpsdk_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/policy"
	"github.com/tenantkit/tenantkit/policy/gateway"
	"github.com/tenantkit/tenantkit/policy/gateway/mcpsdk"
	"github.com/tenantkit/tenantkit/tenantctx"
)

const (
	policyA = `{"policyId":"POL-TENANT-A","tenantId":"Tenant-A","rules":[
	  {"effect":"ALLOW","resourceType":"TOOL","resources":["agent:tool:order-lookup"]},
	  {"effect":"DENY","resourceType":"TOOL","resources":["agent:tool:admin-refund"],"reason":"Insufficient privileges"}]}`
	policyB = `{"policyId":"POL-TENANT-B","tenantId":"Tenant-B","rules":[
	  {"effect":"ALLOW","resourceType":"TOOL","resources":["agent:tool:admin-refund"]}]}`
)

type failingRegistry struct{}

func (failingRegistry) TenantOf(context.Context, string) (string, error) {
	return "", errors.New("down")
}
func (failingRegistry) Policy(context.Context, string) (*policy.Policy, error) {
	return nil, errors.New("down")
}

var _ policy.Registry = failingRegistry{}

func newGateway(t *testing.T, reg policy.Registry) *gateway.Gateway {
	t.Helper()
	if reg == nil {
		r, err := policy.NewMemoryRegistry(nil, policy.MustCompile([]byte(policyA)), policy.MustCompile([]byte(policyB)))
		require.NoError(t, err)
		reg = r
	}
	g, err := gateway.New(gateway.Config{Registry: reg})
	require.NoError(t, err)
	return g
}

type args struct {
	Q string `json:"q,omitempty"`
}

func newServer(g *gateway.Gateway, runs *sync.Map) *mcp.Server {
	s := mcp.NewServer(&mcp.Implementation{Name: "tools", Version: "1.0.0"}, nil)
	for _, name := range []string{"order-lookup", "admin-refund", "forecast"} {
		mcp.AddTool(s, &mcp.Tool{Name: name}, func(context.Context, *mcp.CallToolRequest, args) (*mcp.CallToolResult, any, error) {
			n, _ := runs.LoadOrStore(name, &atomic.Int64{})
			n.(*atomic.Int64).Add(1)
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "ok"}}}, nil, nil
		})
	}
	s.AddReceivingMiddleware(mcpsdk.Middleware(g))
	return s
}

func runs(m *sync.Map, name string) int64 {
	n, ok := m.Load(name)
	if !ok {
		return 0
	}
	return n.(*atomic.Int64).Load()
}

func names(res *mcp.ListToolsResult) []string {
	var out []string
	for _, tl := range res.Tools {
		out = append(out, tl.Name)
	}
	sort.Strings(out)
	return out
}

// connectInMemory runs the server on an in-memory transport whose context
// carries tenant (nil: none).
func connectInMemory(t *testing.T, s *mcp.Server, tenant *tenantctx.Tenant) *mcp.ClientSession {
	t.Helper()
	ctx := tenantctx.NewContext(context.Background(), tenant)
	st, ct := mcp.NewInMemoryTransports()
	ss, err := s.Connect(ctx, st, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = ss.Close() })
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "agent", Version: "1.0.0"}, nil).Connect(context.Background(), ct, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

func TestMiddlewareInMemory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name      string
		tenant    *tenantctx.Tenant
		reg       policy.Registry
		wantTools []string
		listCode  int64 // non-zero: tools/list fails with this code
		allowed   string
		denied    []string
		deniedErr int64
	}{
		{name: "tenant A", tenant: &tenantctx.Tenant{ID: "Tenant-A"}, wantTools: []string{"order-lookup"},
			allowed: "order-lookup", denied: []string{"admin-refund", "forecast", "bad name"}, deniedErr: gateway.CodeToolDenied},
		{name: "tenant B", tenant: &tenantctx.Tenant{ID: "Tenant-B"}, wantTools: []string{"admin-refund"},
			allowed: "admin-refund", denied: []string{"order-lookup"}, deniedErr: gateway.CodeToolDenied},
		{name: "tenant without policy", tenant: &tenantctx.Tenant{ID: "Tenant-C"}, wantTools: nil,
			denied: []string{"order-lookup", "admin-refund"}, deniedErr: gateway.CodeToolDenied},
		{name: "no tenant", tenant: nil, listCode: jsonrpc.CodeInvalidRequest,
			denied: []string{"order-lookup"}, deniedErr: jsonrpc.CodeInvalidRequest},
		{name: "registry down", tenant: &tenantctx.Tenant{ID: "Tenant-A"}, reg: failingRegistry{}, listCode: jsonrpc.CodeInternalError,
			denied: []string{"order-lookup"}, deniedErr: jsonrpc.CodeInternalError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var ran sync.Map
			cs := connectInMemory(t, newServer(newGateway(t, tt.reg), &ran), tt.tenant)
			res, err := cs.ListTools(ctx, nil)
			if tt.listCode != 0 {
				var werr *jsonrpc.Error
				require.True(t, errors.As(err, &werr), "%v", err)
				assert.Equal(t, tt.listCode, werr.Code)
			} else {
				require.NoError(t, err)
				assert.Equal(t, tt.wantTools, names(res))
			}
			if tt.allowed != "" {
				_, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: tt.allowed})
				require.NoError(t, err)
				assert.Equal(t, int64(1), runs(&ran, tt.allowed))
			}
			for _, name := range tt.denied {
				_, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name})
				var werr *jsonrpc.Error
				require.True(t, errors.As(err, &werr), "%s: %v", name, err)
				assert.Equal(t, tt.deniedErr, werr.Code)
				if tt.deniedErr == gateway.CodeToolDenied {
					var data gateway.DeniedData
					require.NoError(t, json.Unmarshal(werr.Data, &data))
					assert.NotEmpty(t, data.Reason)
				}
				if name != tt.allowed {
					assert.Zero(t, runs(&ran, name), "denied tool %s ran", name)
				}
			}
		})
	}
}

// headerTenant stands in for the tenantctx JWT middleware in this test.
func headerTenant(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id := r.Header.Get("X-Test-Tenant"); id != "" {
			r = r.WithContext(tenantctx.NewContext(r.Context(), &tenantctx.Tenant{ID: id, Subject: "user-" + id}))
		}
		next.ServeHTTP(w, r)
	})
}

type tenantTransport struct{ tenant string }

func (tt tenantTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r2 := r.Clone(r.Context())
	r2.Header.Set("X-Test-Tenant", tt.tenant)
	r2.Header.Set("Authorization", "Bearer opaque-test-token")
	return http.DefaultTransport.RoundTrip(r2)
}

// Over streamable HTTP the middleware must see the tenant of each request
// (through TokenVerifier), not the one that created the session.
func TestMiddlewareOverHTTP(t *testing.T) {
	t.Parallel()
	var ran sync.Map
	s := newServer(newGateway(t, nil), &ran)
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, nil)
	srv := httptest.NewServer(headerTenant(auth.RequireBearerToken(mcpsdk.TokenVerifier(), nil)(h)))
	t.Cleanup(srv.Close)

	ctx := context.Background()
	var wg sync.WaitGroup
	for _, tenant := range []string{"Tenant-A", "Tenant-B", "Tenant-A", "Tenant-B"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cs, err := mcp.NewClient(&mcp.Implementation{Name: "agent", Version: "1"}, nil).Connect(ctx,
				&mcp.StreamableClientTransport{Endpoint: srv.URL, HTTPClient: &http.Client{Transport: tenantTransport{tenant}}, MaxRetries: -1}, nil)
			if !assert.NoError(t, err) {
				return
			}
			defer cs.Close()
			res, err := cs.ListTools(ctx, nil)
			if !assert.NoError(t, err) {
				return
			}
			want := map[string][]string{"Tenant-A": {"order-lookup"}, "Tenant-B": {"admin-refund"}}[tenant]
			assert.Equal(t, want, names(res), tenant)
			_, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: want[0]})
			assert.NoError(t, err)
			other := map[string]string{"Tenant-A": "admin-refund", "Tenant-B": "order-lookup"}[tenant]
			_, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: other})
			assert.Error(t, err)
		}()
	}
	wg.Wait()
	assert.Equal(t, int64(2), runs(&ran, "admin-refund"))
	assert.Equal(t, int64(2), runs(&ran, "order-lookup"))

	// Without a tenant the verifier refuses the request outright.
	req, err := http.NewRequest(http.MethodPost, srv.URL, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer x")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}
