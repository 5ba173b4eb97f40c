package tenanttest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/tenantctx"
	"github.com/tenantkit/tenantkit/tenantctx/tenanttest"
)

func TestIssuerDiscoveryAndJWKS(t *testing.T) {
	t.Parallel()
	iss := tenanttest.NewIssuer(t, tenanttest.WithCacheControl("max-age=60"))
	resp, err := iss.Client().Get(iss.URL() + "/.well-known/openid-configuration")
	require.NoError(t, err)
	defer resp.Body.Close()
	var doc map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&doc))
	assert.Equal(t, iss.URL(), doc["issuer"])
	assert.Equal(t, iss.JWKSURL(), doc["jwks_uri"])

	resp2, err := iss.Client().Get(iss.JWKSURL())
	require.NoError(t, err)
	defer resp2.Body.Close()
	assert.Equal(t, "max-age=60", resp2.Header.Get("Cache-Control"))
	var set struct{ Keys []map[string]any }
	require.NoError(t, json.NewDecoder(resp2.Body).Decode(&set))
	require.Len(t, set.Keys, 3)
	assert.EqualValues(t, 1, iss.JWKSFetches())
	for _, k := range set.Keys {
		assert.NotContains(t, k, "d", "no private material")
	}

	iss.Rotate(t)
	body, err := iss.JWKS()
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(body, &set))
	assert.Len(t, set.Keys, 6)
	iss.DropRetired()
	body, err = iss.JWKS()
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(body, &set))
	assert.Len(t, set.Keys, 3)

	iss.SetDown(true)
	resp3, err := iss.Client().Get(iss.JWKSURL())
	require.NoError(t, err)
	resp3.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp3.StatusCode)
}

func TestIssuerMintsVerifiableTokens(t *testing.T) {
	t.Parallel()
	iss := tenanttest.NewIssuer(t)
	v := iss.Verifier(t)
	for _, alg := range []string{"RS256", "PS256", "ES256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			r := iss.NewRequest(t, http.MethodGet, "/", tenanttest.Claims{Tenant: "t1", Alg: alg, Scopes: []string{"a"}})
			ten, err := v.Verify(r)
			require.NoError(t, err)
			assert.Equal(t, "t1", ten.ID)
			assert.Equal(t, tenanttest.DefaultSubject, ten.Subject)
			assert.True(t, ten.HasScope("a"))
		})
	}
}

func TestContextWithoutToken(t *testing.T) {
	t.Parallel()
	ctx := tenanttest.Context(context.Background(), "t1",
		tenanttest.WithTier("gold"), tenanttest.WithSubject("bob"), tenanttest.WithScopes("x"),
		tenanttest.WithEntitlements("beta"), tenanttest.WithRegion("eu"), tenanttest.WithActors("agent-2", "agent-1"))
	ten, err := tenantctx.Require(ctx)
	require.NoError(t, err)
	assert.Equal(t, "gold", ten.Tier)
	assert.Equal(t, "bob", ten.Subject)
	assert.Equal(t, "eu", ten.Region)
	assert.True(t, ten.HasScope("x"))
	assert.True(t, ten.HasEntitlement("beta"))
	assert.Equal(t, []tenantctx.Actor{{Subject: "agent-2"}, {Subject: "agent-1"}}, ten.DelegationChain())
	assert.Empty(t, ten.Token())
	assert.Panics(t, func() { tenanttest.NewTenant("../evil") })
}

func TestRequestHelper(t *testing.T) {
	t.Parallel()
	iss := tenanttest.NewIssuer(t)
	v := iss.Verifier(t)
	h := tenantctx.Middleware(v)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ten, _ := tenantctx.FromContext(r.Context())
		_, _ = w.Write([]byte(ten.ID))
	}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, iss.NewRequest(t, http.MethodGet, "/x", tenanttest.Claims{Tenant: "acme"}))
	assert.Equal(t, "acme", w.Body.String())
}

func TestWithNowNilKeepsClock(t *testing.T) {
	t.Parallel()
	iss := tenanttest.NewIssuer(t, tenanttest.WithNow(nil))
	ten, err := iss.Verifier(t).VerifyToken(context.Background(), iss.Mint(t, tenanttest.Claims{Tenant: "t1"}))
	require.NoError(t, err)
	assert.Equal(t, "t1", ten.ID)
}
