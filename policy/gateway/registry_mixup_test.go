package gateway_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/policy"
	"github.com/tenantkit/tenantkit/policy/gateway"
	"github.com/tenantkit/tenantkit/tenantctx"
)

// mixedUpRegistry is a broken registry that answers every tenant with
// Tenant-B's policy.
type mixedUpRegistry struct{ p *policy.Policy }

func (r mixedUpRegistry) TenantOf(context.Context, string) (string, error) { return "Tenant-A", nil }
func (r mixedUpRegistry) Policy(context.Context, string) (*policy.Policy, error) {
	return r.p, nil
}

var _ policy.Registry = mixedUpRegistry{}

// A registry that hands out another tenant's policy must not decide for
// this tenant, and that policy's id must not reach the response.
func TestRegistryReturningOtherTenantsPolicy(t *testing.T) {
	t.Parallel()
	g := newGateway(t, gateway.Config{Registry: mixedUpRegistry{policy.MustCompile([]byte(policyB))}})
	alice := &tenantctx.Tenant{ID: "Tenant-A", Subject: "alice"}

	a, err := g.Authorizer(context.Background(), alice)
	require.NoError(t, err)
	// admin-refund is allowed by Tenant-B's policy, and must not be for Tenant-A.
	for _, tool := range []string{"admin-refund", "order-lookup"} {
		d := a.Tool(context.Background(), tool)
		assert.False(t, d.Allowed, tool)
		assert.Equal(t, policy.ReasonOtherTenant, d.Reason, tool)
		assert.Empty(t, d.PolicyID, tool)
	}

	h := g.HTTP(pathMapper)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		t.Error("next handler ran")
	}))
	req := httptest.NewRequest(http.MethodPost, "/tools/admin-refund", nil)
	req = req.WithContext(tenantctx.NewContext(req.Context(), alice))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusForbidden, rec.Code)
	assert.NotContains(t, rec.Body.String(), "POL-TENANT-B")
}
