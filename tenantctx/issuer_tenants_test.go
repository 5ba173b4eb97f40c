package tenantctx_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/tenantctx"
	"github.com/tenantkit/tenantkit/tenantctx/tenanttest"
)

// Two IdPs, one per tenant (say one user pool each): an issuer must not be
// able to speak for the other issuer's tenant.
func TestIssuerTenantsBindIssuerToTenant(t *testing.T) {
	t.Parallel()
	idpA := tenanttest.NewIssuer(t)
	idpB := tenanttest.NewIssuer(t, tenanttest.WithAudience(idpA.Audience()))
	cfg := idpA.Config()
	cfg.Issuers[0].Tenants = []string{"Tenant-A"}
	cfgB := idpB.Config()
	cfgB.Issuers[0].Tenants = []string{"Tenant-B"}
	cfg.Issuers = append(cfg.Issuers, cfgB.Issuers[0])
	v, err := tenantctx.NewVerifier(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = v.Close() })

	tests := []struct {
		name    string
		idp     *tenanttest.Issuer
		tenant  string
		wantErr error
	}{
		{"A for Tenant-A", idpA, "Tenant-A", nil},
		{"B for Tenant-B", idpB, "Tenant-B", nil},
		{"A for Tenant-B", idpA, "Tenant-B", tenantctx.ErrIssuerTenant},
		{"B for Tenant-A", idpB, "Tenant-A", tenantctx.ErrIssuerTenant},
		{"A for unlisted tenant", idpA, "Tenant-C", tenantctx.ErrIssuerTenant},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tok := tt.idp.Mint(t, tenanttest.Claims{Tenant: tt.tenant})
			// Twice: the verified-token cache must not change the answer.
			for range 2 {
				got, err := v.VerifyToken(context.Background(), tok)
				if tt.wantErr == nil {
					require.NoError(t, err)
					assert.Equal(t, tt.tenant, got.ID)
					continue
				}
				require.ErrorIs(t, err, tt.wantErr)
				require.ErrorIs(t, err, tenantctx.ErrInvalidTenantID)
				assert.Nil(t, got)
			}
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			rec := httptest.NewRecorder()
			ran := false
			tenantctx.Middleware(v)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { ran = true })).ServeHTTP(rec, req)
			if tt.wantErr == nil {
				assert.True(t, ran)
				return
			}
			assert.False(t, ran)
			assert.Equal(t, http.StatusUnauthorized, rec.Code)
			assert.NotContains(t, rec.Body.String(), tok)
		})
	}
}

func TestIssuerTenantsMustBeValidIDs(t *testing.T) {
	t.Parallel()
	idp := tenanttest.NewIssuer(t)
	cfg := idp.Config()
	cfg.Issuers[0].Tenants = []string{"Tenant-A", "../b"}
	_, err := tenantctx.NewVerifier(cfg)
	require.ErrorIs(t, err, tenantctx.ErrInvalidTenantID)
}
