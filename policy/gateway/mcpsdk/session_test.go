package mcpsdk_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/policy/gateway/mcpsdk"
)

// switchingTransport sends the tenant currently stored in it: the same MCP
// session (same Mcp-Session-Id) is used first by one tenant, then another.
type switchingTransport struct{ tenant atomic.Value }

func (st *switchingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r2 := r.Clone(r.Context())
	r2.Header.Set("X-Test-Tenant", st.tenant.Load().(string))
	return http.DefaultTransport.RoundTrip(r2)
}

// Over streamable HTTP the SDK hands the middleware the context of the
// request that created the session. Without auth.RequireBearerToken (no
// TokenInfo per request) the middleware must not fall back to that session
// context: Tenant-B reusing Tenant-A's session id would be decided with
// Tenant-A's policy.
func TestMiddlewareOverHTTPIgnoresSessionContext(t *testing.T) {
	t.Parallel()
	var ran sync.Map
	s := newServer(newGateway(t, nil), &ran)
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, nil)
	srv := httptest.NewServer(headerTenant(h)) // no RequireBearerToken
	t.Cleanup(srv.Close)

	tr := &switchingTransport{}
	tr.tenant.Store("Tenant-A")
	ctx := context.Background()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "agent", Version: "1"}, nil).Connect(ctx,
		&mcp.StreamableClientTransport{Endpoint: srv.URL, HTTPClient: &http.Client{Transport: tr}, MaxRetries: -1}, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = cs.Close() })

	tr.tenant.Store("Tenant-B")
	res, err := cs.ListTools(ctx, nil)
	if err == nil {
		assert.NotContains(t, names(res), "order-lookup", "Tenant-B was shown Tenant-A's tools through A's session")
	} else {
		var werr *jsonrpc.Error
		require.ErrorAs(t, err, &werr)
		assert.Equal(t, mcpsdk.MessageNoTenant, werr.Message)
	}
	_, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "order-lookup"})
	assert.Error(t, err)
	assert.Zero(t, runs(&ran, "order-lookup"), "Tenant-B ran Tenant-A's tool through A's session")
}

// With TokenVerifier the SDK binds a session to "<tenant>/<subject>":
// Tenant-B's token on Tenant-A's session is refused outright.
func TestTokenVerifierBindsSessionToTenant(t *testing.T) {
	t.Parallel()
	var ran sync.Map
	s := newServer(newGateway(t, nil), &ran)
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, nil)
	srv := httptest.NewServer(headerTenant(auth.RequireBearerToken(mcpsdk.TokenVerifier(), nil)(h)))
	t.Cleanup(srv.Close)

	tr := &switchingTransport{}
	tr.tenant.Store("Tenant-A")
	ctx := context.Background()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "agent", Version: "1"}, nil).Connect(ctx,
		&mcp.StreamableClientTransport{Endpoint: srv.URL, HTTPClient: &http.Client{Transport: &bearer{tr}}, MaxRetries: -1}, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = cs.Close() })
	res, err := cs.ListTools(ctx, nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"order-lookup"}, names(res))

	tr.tenant.Store("Tenant-B")
	_, err = cs.ListTools(ctx, nil)
	require.Error(t, err)
	_, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "order-lookup"})
	require.Error(t, err)
	assert.Zero(t, runs(&ran, "order-lookup"))
}

// bearer adds the Authorization header auth.RequireBearerToken needs.
type bearer struct{ next http.RoundTripper }

func (b *bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r2 := r.Clone(r.Context())
	r2.Header.Set("Authorization", "Bearer opaque-test-token")
	return b.next.RoundTrip(r2)
}
