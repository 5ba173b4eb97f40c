package gateway_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/policy/gateway"
)

// deployment is one way of putting the gateway in front of the real SDK
// server: wrapping its handler, or as a reverse proxy to it.
type deployment struct {
	name  string
	setup func(t *testing.T, a *auth, g *gateway.Gateway, ts *toolServer, jsonMode bool) string
}

var deployments = []deployment{
	{"middleware", func(t *testing.T, a *auth, g *gateway.Gateway, ts *toolServer, jsonMode bool) string {
		return serve(t, a.mw(g.MCP(ts.handler(jsonMode)))).URL
	}},
	{"proxy", func(t *testing.T, a *auth, g *gateway.Gateway, ts *toolServer, jsonMode bool) string {
		upstream := serve(t, ts.handler(jsonMode))
		target, err := url.Parse(upstream.URL)
		require.NoError(t, err)
		p, err := g.MCPProxy(gateway.ProxyConfig{Target: target})
		require.NoError(t, err)
		return serve(t, a.mw(p)).URL
	}},
}

func TestMCPEndToEnd(t *testing.T) {
	t.Parallel()
	for _, dep := range deployments {
		for _, jsonMode := range []bool{true, false} {
			mode := map[bool]string{true: "json", false: "sse"}[jsonMode]
			t.Run(dep.name+"/"+mode, func(t *testing.T) {
				t.Parallel()
				ts := newToolServer()
				a := newAuth(t)
				endpoint := dep.setup(t, a, newGateway(t, gateway.Config{}), ts, jsonMode)
				ctx := context.Background()
				cs := connectAs(t, endpoint, a.client("Tenant-A"))

				res, err := cs.ListTools(ctx, nil)
				require.NoError(t, err)
				assert.Equal(t, wantTools["Tenant-A"], toolNames(res))

				out, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "order-lookup", Arguments: map[string]any{"q": "42"}})
				require.NoError(t, err)
				require.False(t, out.IsError)
				assert.Equal(t, int64(1), ts.count("order-lookup"))

				for _, denied := range []string{"admin-refund", "forecast", "no-such-tool"} {
					_, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: denied})
					require.Error(t, err, denied)
					var werr *jsonrpc.Error
					require.True(t, errors.As(err, &werr), "%s: %v", denied, err)
					assert.Equal(t, int64(gateway.CodeToolDenied), werr.Code)
				}
				assert.Zero(t, ts.count("admin-refund"), "a denied tool handler ran")
				assert.Zero(t, ts.count("forecast"), "a denied tool handler ran")

				// Without a token, or with a forged one, there is no session.
				for _, hc := range []*http.Client{http.DefaultClient, {Transport: bearerTransport{token: "forged.token.x", base: http.DefaultTransport}}} {
					_, err := mcp.NewClient(&mcp.Implementation{Name: "x", Version: "1"}, nil).Connect(ctx,
						&mcp.StreamableClientTransport{Endpoint: endpoint, HTTPClient: hc, MaxRetries: -1}, nil)
					assert.Error(t, err)
				}
			})
		}
	}
}

func TestMCPEndToEndTenantsConcurrently(t *testing.T) {
	t.Parallel()
	for _, dep := range deployments {
		for _, jsonMode := range []bool{true, false} {
			mode := map[bool]string{true: "json", false: "sse"}[jsonMode]
			t.Run(dep.name+"/"+mode, func(t *testing.T) {
				t.Parallel()
				ts := newToolServer()
				a := newAuth(t)
				endpoint := dep.setup(t, a, newGateway(t, gateway.Config{CheckUserTenant: true}), ts, jsonMode)
				const perTenant = 4
				var wg sync.WaitGroup
				errs := make(chan error, 2*perTenant)
				for _, tenant := range []string{"Tenant-A", "Tenant-B"} {
					for i := 0; i < perTenant; i++ {
						wg.Add(1)
						go func() {
							defer wg.Done()
							errs <- isolationRound(endpoint, tenant, a.client(tenant))
						}()
					}
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					require.NoError(t, err)
				}
				// Only Tenant-B may refund; only Tenant-A may look up orders.
				assert.Equal(t, int64(perTenant*3), ts.count("admin-refund"))
				assert.Equal(t, int64(perTenant*3), ts.count("order-lookup"))
			})
		}
	}
}

// isolationRound connects as tenant, lists tools three times and calls
// every tool three times, and reports any departure from the tenant's policy.
func isolationRound(endpoint, tenant string, hc *http.Client) error {
	ctx := context.Background()
	client := mcp.NewClient(&mcp.Implementation{Name: "agent", Version: "1.0.0"}, nil)
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{
		Endpoint:   endpoint,
		HTTPClient: hc,
		MaxRetries: -1,
	}, nil)
	if err != nil {
		return err
	}
	defer cs.Close()
	want := wantTools[tenant]
	for i := 0; i < 3; i++ {
		res, err := cs.ListTools(ctx, nil)
		if err != nil {
			return err
		}
		if got := toolNames(res); fmt.Sprint(got) != fmt.Sprint(want) {
			return fmt.Errorf("%s saw tools %v, want %v", tenant, got, want)
		}
		for _, name := range allTools {
			_, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name})
			allowed := false
			for _, w := range want {
				allowed = allowed || w == name
			}
			if allowed && err != nil {
				return fmt.Errorf("%s: allowed tool %s failed: %w", tenant, name, err)
			}
			if !allowed && err == nil {
				return fmt.Errorf("%s: denied tool %s succeeded", tenant, name)
			}
		}
	}
	return nil
}
