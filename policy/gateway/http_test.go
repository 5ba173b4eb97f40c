package gateway_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/policy"
	"github.com/tenantkit/tenantkit/policy/gateway"
	"github.com/tenantkit/tenantkit/tenantctx"
)

// pathMapper maps /tools/<name> to the tool's policy resource.
func pathMapper(r *http.Request) (string, string, error) {
	name, ok := strings.CutPrefix(r.URL.Path, "/tools/")
	if !ok || !gateway.ValidToolName(name) {
		return "", "", gateway.ErrUnmapped
	}
	return policy.ResourceTypeTool, gateway.DefaultResourceFor(name), nil
}

func TestHTTPMiddleware(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		tenant   *tenantctx.Tenant
		reg      policy.Registry
		check    bool
		path     string
		status   int
		errCode  string
		reason   string
		policyID string
	}{
		{name: "allowed", tenant: tenantA(), path: "/tools/order-lookup", status: 200},
		{name: "wildcard allowed", tenant: tenantA(), path: "/tools/crm-export", status: 200},
		{name: "explicit deny", tenant: tenantA(), path: "/tools/admin-refund", status: 403, errCode: "forbidden", reason: "Insufficient privileges", policyID: "POL-TENANT-A"},
		{name: "default deny", tenant: tenantA(), path: "/tools/forecast", status: 403, errCode: "forbidden", reason: policy.ReasonNoMatch, policyID: "POL-TENANT-A"},
		{name: "unmapped", tenant: tenantA(), path: "/other/<script>", status: 403, errCode: "forbidden", reason: gateway.ErrUnmapped.Error()},
		{name: "no tenant", tenant: nil, path: "/tools/order-lookup", status: 401, errCode: "unauthorized"},
		{name: "no policy", tenant: &tenantctx.Tenant{ID: "Tenant-C"}, path: "/tools/order-lookup", status: 403, errCode: "forbidden", reason: policy.ReasonNoPolicy},
		{name: "registry down", tenant: tenantA(), reg: downRegistry{}, path: "/tools/order-lookup", status: 503, errCode: "policy_unavailable"},
		{name: "user check passes", tenant: tenantA(), check: true, path: "/tools/order-lookup", status: 200},
		{name: "user of another tenant", tenant: &tenantctx.Tenant{ID: "Tenant-A", Subject: "bob"}, check: true, path: "/tools/order-lookup", status: 403, errCode: "forbidden", reason: gateway.ReasonUserNotInTenant},
		{name: "unknown user", tenant: &tenantctx.Tenant{ID: "Tenant-A", Subject: "eve"}, check: true, path: "/tools/order-lookup", status: 403, errCode: "forbidden", reason: gateway.ReasonUserNotInTenant},
		{name: "registry down on user check", tenant: tenantA(), check: true, reg: downRegistry{}, path: "/tools/order-lookup", status: 503, errCode: "policy_unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var decisions []policy.Decision
			g := newGateway(t, gateway.Config{Registry: tt.reg, CheckUserTenant: tt.check,
				OnDecision: func(_ context.Context, _ *tenantctx.Tenant, _, _ string, d policy.Decision) {
					decisions = append(decisions, d)
				}})
			ran := false
			h := g.HTTP(pathMapper)(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { ran = true }))
			r := httptest.NewRequest(http.MethodGet, tt.path, nil)
			r = r.WithContext(tenantctx.NewContext(r.Context(), tt.tenant))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			assert.Equal(t, tt.status, w.Code)
			assert.Equal(t, tt.status == 200, ran, "next ran")
			if tt.errCode == "" {
				return
			}
			assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
			assert.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"))
			var body gateway.ErrorBody
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &body))
			assert.Equal(t, tt.errCode, body.Error)
			assert.Equal(t, tt.reason, body.Reason)
			assert.Equal(t, tt.policyID, body.PolicyID)
			assert.NotContains(t, w.Body.String(), "<script>")
			if tt.status == 401 {
				assert.Contains(t, w.Header().Get("WWW-Authenticate"), "Bearer")
			}
			if tt.status == 403 && tt.reason != gateway.ErrUnmapped.Error() {
				require.Len(t, decisions, 1)
				assert.False(t, decisions[0].Allowed)
			}
		})
	}
}

func TestHTTPNilMapperPanics(t *testing.T) {
	t.Parallel()
	g := newGateway(t, gateway.Config{})
	assert.Panics(t, func() { g.HTTP(nil) })
}

func TestNew(t *testing.T) {
	t.Parallel()
	_, err := gateway.New(gateway.Config{})
	assert.ErrorIs(t, err, gateway.ErrConfig)
	_, err = gateway.New(gateway.Config{Registry: newRegistry(t), MaxBodyBytes: -1})
	assert.ErrorIs(t, err, gateway.ErrConfig)
	_, err = gateway.New(gateway.Config{Registry: newRegistry(t), MaxResponseBytes: -1})
	assert.ErrorIs(t, err, gateway.ErrConfig)
	g, err := gateway.New(gateway.Config{Registry: newRegistry(t)})
	require.NoError(t, err)
	assert.Equal(t, int64(gateway.DefaultMaxBodyBytes), g.MaxBodyBytes())
}

func TestDecideTool(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := newGateway(t, gateway.Config{ResourceFor: func(n string) string { return "agent:tool:" + strings.TrimPrefix(n, "orders___") }})
	d, err := g.DecideTool(ctx, tenantA(), "orders___order-lookup")
	require.NoError(t, err)
	assert.True(t, d.Allowed)
	d, err = g.DecideTool(ctx, tenantA(), "orders___admin-refund")
	require.NoError(t, err)
	assert.False(t, d.Allowed)

	_, err = g.DecideTool(ctx, nil, "order-lookup")
	assert.ErrorIs(t, err, tenantctx.ErrNoTenant)
	down := newGateway(t, gateway.Config{Registry: downRegistry{}})
	d, err = down.DecideTool(ctx, tenantA(), "order-lookup")
	assert.ErrorIs(t, err, gateway.ErrRegistry)
	assert.False(t, d.Allowed)
	assert.Equal(t, gateway.ReasonRegistry, d.Reason)
	assert.False(t, errors.Is(err, tenantctx.ErrNoTenant))
}

func TestValidToolName(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"a", "order-lookup", "orders___order_lookup", "ns/tool.v2", strings.Repeat("x", gateway.MaxToolNameLen)} {
		assert.True(t, gateway.ValidToolName(ok), ok)
	}
	for _, bad := range []string{"", "a b", "crm-*", "a:b", "a\x00", "é", "a\n", strings.Repeat("x", gateway.MaxToolNameLen+1)} {
		assert.False(t, gateway.ValidToolName(bad), bad)
	}
}
