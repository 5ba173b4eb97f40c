package benchmarks

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	jwtmiddleware "github.com/auth0/go-jwt-middleware/v2"
	"github.com/auth0/go-jwt-middleware/v2/validator"

	"github.com/tenantkit/tenantkit/tenantctx"
	"github.com/tenantkit/tenantkit/tenantctx/tenanttest"
)

// tenantClaims makes auth0's validator decode the tenant claim too, so both
// middlewares extract the same data from the token.
type tenantClaims struct {
	TenantID string `json:"tenant_id"`
	Scope    string `json:"scope"`
}

func (c *tenantClaims) Validate(context.Context) error {
	if c.TenantID == "" {
		return errors.New("no tenant")
	}
	return nil
}

var peerClaims = tenanttest.Claims{
	Tenant:  "tenant-42",
	Subject: "user-9",
	Tier:    "premium",
	Scopes:  []string{"tools:read", "tools:write"},
}

// peers builds both middlewares over the same RS256 key (static keys on
// both sides, so neither benchmark measures a JWKS fetch).
type peers struct {
	iss          *tenanttest.Issuer
	tenantkit    http.Handler
	tenantkitHot http.Handler
	auth0        http.Handler
}

func newPeers(tb testing.TB) *peers {
	tb.Helper()
	iss := tenanttest.NewIssuer(tb)
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	static := func(c *tenantctx.Config) {
		c.Issuers = []tenantctx.IssuerConfig{{Issuer: iss.URL(), Keys: []tenantctx.StaticKey{
			{ID: iss.KeyID(tb, "RS256"), Key: iss.PublicKey(tb, "RS256")}}}}
	}
	cold := iss.Verifier(tb, static, func(c *tenantctx.Config) { c.TokenCache.Disabled = true })
	hot := iss.Verifier(tb, static)

	pub := iss.PublicKey(tb, "RS256")
	val, err := validator.New(func(context.Context) (any, error) { return pub, nil },
		validator.RS256, iss.URL(), []string{iss.Audience()},
		validator.WithCustomClaims(func() validator.CustomClaims { return &tenantClaims{} }))
	if err != nil {
		tb.Fatal(err)
	}
	return &peers{
		iss:          iss,
		tenantkit:    tenantctx.Middleware(cold)(next),
		tenantkitHot: tenantctx.Middleware(hot)(next),
		auth0:        jwtmiddleware.New(val.ValidateToken).CheckJWT(next),
	}
}

func do(h http.Handler, r *http.Request) int {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code
}

// TestMiddlewarePeersAgree checks that both middlewares accept the token
// the benchmark uses and both reject a tampered copy.
func TestMiddlewarePeersAgree(t *testing.T) {
	p := newPeers(t)
	tok := p.iss.Mint(t, peerClaims)
	parts := strings.Split(tok, ".")
	other := strings.Split(p.iss.Mint(t, tenanttest.Claims{Tenant: "tenant-43", Subject: "user-9"}), ".")
	tampered := parts[0] + "." + other[1] + "." + parts[2]

	for name, h := range map[string]http.Handler{"tenantkit": p.tenantkit, "tenantkit-cached": p.tenantkitHot, "auth0": p.auth0} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		if got := do(h, r); got != http.StatusOK {
			t.Errorf("%s rejected the valid token: %d", name, got)
		}
		r = httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Authorization", "Bearer "+tampered)
		if got := do(h, r); got != http.StatusUnauthorized {
			t.Errorf("%s accepted a tampered token: %d", name, got)
		}
	}
}

// BenchmarkMiddlewarePeers compares tenantkit's middleware with auth0's
// go-jwt-middleware v2 on the same RS256 token: first sight (tenantkit's
// cache off) and the same token repeated (tenantkit's cache on; auth0 has
// no cache and verifies again).
func BenchmarkMiddlewarePeers(b *testing.B) {
	p := newPeers(b)
	tok := p.iss.Mint(b, peerClaims)
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{
		{"tenantkit-cold", p.tenantkit},
		{"auth0-cold", p.auth0},
		{"tenantkit-cached", p.tenantkitHot},
		{"auth0-repeated", p.auth0},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Set("Authorization", "Bearer "+tok)
			w := httptest.NewRecorder()
			bc.h.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				b.Fatalf("status %d", w.Code)
			}
			b.ReportAllocs()
			for b.Loop() {
				bc.h.ServeHTTP(w, r)
			}
		})
	}
}
