package tenantctx_test

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/tenantctx"
	"github.com/tenantkit/tenantkit/tenantctx/tenanttest"
)

// TestTenantValueFormattingHidesToken formats a Tenant value (not a
// pointer), alone and inside other values. The value has none of the
// pointer's methods, so fmt walks its fields by reflection; neither the
// token nor the raw claims may come out.
func TestTenantValueFormattingHidesToken(t *testing.T) {
	t.Parallel()
	iss := tenanttest.NewIssuer(t)
	v := iss.Verifier(t)
	const email = "alice.secret@example.com"
	tok := iss.Mint(t, tenanttest.Claims{Tenant: "acme", Extra: map[string]any{"email": email}})
	ten, err := v.VerifyToken(context.Background(), tok)
	require.NoError(t, err)
	require.Equal(t, tok, ten.Token(), "the token is still available on purpose")
	got, ok := ten.Claim("email")
	require.True(t, ok)
	require.Equal(t, email, got)

	type holder struct {
		T     tenantctx.Tenant
		P     *tenantctx.Tenant
		inner tenantctx.Tenant
	}
	val := *ten
	h := holder{T: val, P: ten, inner: val}
	outputs := map[string]string{}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d", "%p"} {
		outputs["value "+verb] = fmt.Sprintf(verb, val)
		outputs["holder "+verb] = fmt.Sprintf(verb, h)
		outputs["slice "+verb] = fmt.Sprintf(verb, []tenantctx.Tenant{val})
		outputs["map "+verb] = fmt.Sprintf(verb, map[string]tenantctx.Tenant{"k": val})
	}
	for name, newHandler := range map[string]func(*strings.Builder) slog.Handler{
		"text": func(b *strings.Builder) slog.Handler { return slog.NewTextHandler(b, nil) },
		"json": func(b *strings.Builder) slog.Handler { return slog.NewJSONHandler(b, nil) },
	} {
		var b strings.Builder
		slog.New(newHandler(&b)).Info("req", "tenant", val, "holder", h, "ptr", ten)
		outputs["slog "+name] = b.String()
	}
	for name, s := range outputs {
		for _, seg := range strings.Split(tok, ".") {
			assert.NotContains(t, s, seg, name)
		}
		assert.NotContains(t, s, email, name)
	}
}

// TestScopesSplitOnlyAtSpace: RFC 6749 §3.3 separates scope tokens with
// SP only. Splitting at every Unicode space would let an IdP-registered
// scope named "read\u00a0admin" grant "admin".
func TestScopesSplitOnlyAtSpace(t *testing.T) {
	t.Parallel()
	iss := tenanttest.NewIssuer(t)
	v := iss.Verifier(t)
	ten, err := v.VerifyToken(context.Background(), iss.Mint(t, tenanttest.Claims{Tenant: "t1", Extra: map[string]any{
		"scope":        "read\u00a0admin  write\tdelete tools:read\u0085root",
		"entitlements": "beta\u2003ga x",
	}}))
	require.NoError(t, err)
	assert.Equal(t, []string{"read\u00a0admin", "write\tdelete", "tools:read\u0085root"}, ten.Scopes)
	assert.Equal(t, []string{"beta\u2003ga", "x"}, ten.Entitlements)
	for _, s := range []string{"admin", "delete", "root", "read", "write"} {
		assert.False(t, ten.HasScope(s), s)
	}
	assert.False(t, ten.HasEntitlement("ga"))

	w, got := serve(t, v, iss.NewRequest(t, http.MethodGet, "/", tenanttest.Claims{Tenant: "t1", Scopes: []string{"read\u00a0admin"}}),
		tenantctx.RequireScopes("admin"))
	assert.Equal(t, http.StatusForbidden, w.Code)
	assert.Nil(t, got)
}

// TestConfigIsCopied changes the caller's Config after NewVerifier: the
// verifier must keep the configuration it validated.
func TestConfigIsCopied(t *testing.T) {
	t.Parallel()
	iss := tenanttest.NewIssuer(t)
	cfg := iss.Config()
	cfg.Algorithms = []string{"RS256", "ES256"}
	cfg.Types = []string{"at+jwt"}
	cfg.Claims.Tenant = tenantctx.ClaimPath{"tenant_id"}
	v, err := tenantctx.NewVerifier(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = v.Close() })

	cfg.Audiences[0] = "https://evil.example"
	cfg.Types[0] = "JWT"
	cfg.Algorithms[1] = "EdDSA"
	cfg.Issuers[0].Issuer = "https://evil.example"
	cfg.Claims.Tenant[0] = "org"

	ctx := context.Background()
	_, err = v.VerifyToken(ctx, iss.Mint(t, tenanttest.Claims{Tenant: "t1", Audience: []string{"https://evil.example"}}))
	assert.ErrorIs(t, err, tenantctx.ErrInvalidAudience)
	_, err = v.VerifyToken(ctx, iss.Mint(t, tenanttest.Claims{Tenant: "t1", Type: "JWT"}))
	assert.ErrorIs(t, err, tenantctx.ErrInvalidType)
	_, err = v.VerifyToken(ctx, iss.Mint(t, tenanttest.Claims{Tenant: "t1", Alg: "EdDSA"}))
	assert.ErrorIs(t, err, tenantctx.ErrAlgorithmNotAllowed)
	ten, err := v.VerifyToken(ctx, iss.Mint(t, tenanttest.Claims{Tenant: "t1", Alg: "ES256", Extra: map[string]any{"org": "t2"}}))
	require.NoError(t, err)
	assert.Equal(t, "t1", ten.ID)
}

// TestJWKSRedirectRefusedWithCustomClient: a caller-supplied client without
// a redirect policy must not follow the JWKS URL elsewhere either.
func TestJWKSRedirectRefusedWithCustomClient(t *testing.T) {
	t.Parallel()
	iss := tenanttest.NewIssuer(t)
	srv := httptest.NewServer(http.RedirectHandler(iss.JWKSURL(), http.StatusFound))
	t.Cleanup(srv.Close)
	client := &http.Client{}
	v, err := tenantctx.NewVerifier(tenantctx.Config{
		Issuers:    []tenantctx.IssuerConfig{{Issuer: iss.URL(), JWKSURLs: []string{srv.URL}}},
		Audiences:  []string{iss.Audience()},
		HTTPClient: client,
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = v.Close() })
	_, err = v.VerifyToken(context.Background(), iss.Mint(t, tenanttest.Claims{Tenant: "t1"}))
	require.ErrorIs(t, err, tenantctx.ErrKeySetUnavailable)
	assert.Zero(t, iss.JWKSFetches(), "the redirect target was never asked")
	assert.Nil(t, client.CheckRedirect, "the caller's client is not modified")
}

// TestAlgorithmConfusionWithJWKSKey signs HS256 tokens with every public
// encoding of the issuer's RSA key while HMAC is enabled: the RSA key from
// the JWKS must never serve as an HMAC secret.
func TestAlgorithmConfusionWithJWKSKey(t *testing.T) {
	t.Parallel()
	iss := tenanttest.NewIssuer(t)
	realSecret := []byte(strings.Repeat("k", 32))
	cfg := iss.Config()
	cfg.AllowHMAC = true
	cfg.Algorithms = []string{"RS256", "HS256"}
	cfg.Issuers[0].Keys = []tenantctx.StaticKey{{ID: "hs", Key: realSecret, Algorithm: "HS256"}}
	cfg.TokenCache.Disabled = true
	v, err := tenantctx.NewVerifier(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = v.Close() })

	pub := iss.PublicKey(t, "RS256").(*rsa.PublicKey)
	pkix, err := x509.MarshalPKIXPublicKey(pub)
	require.NoError(t, err)
	pkcs1 := x509.MarshalPKCS1PublicKey(pub)
	secrets := map[string][]byte{
		"pkix pem":  pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pkix}),
		"pkcs1 pem": pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: pkcs1}),
		"pkix der":  pkix,
		"pkcs1 der": pkcs1,
		"modulus":   pub.N.Bytes(),
	}
	ctx := context.Background()
	for name, secret := range secrets {
		_, err := v.VerifyToken(ctx, iss.Mint(t, tenanttest.Claims{Tenant: "t1", Alg: "HS256", HMACSecret: secret, KeyID: iss.KeyID(t, "RS256")}))
		assert.ErrorIs(t, err, tenantctx.ErrAlgorithmNotAllowed, name)
		_, err = v.VerifyToken(ctx, iss.Mint(t, tenanttest.Claims{Tenant: "t1", Alg: "HS256", HMACSecret: secret, KeyID: "-"}))
		assert.ErrorIs(t, err, tenantctx.ErrInvalidSignature, name)
	}
	// Control: the configured secret and the RSA key work for their own algorithms.
	_, err = v.VerifyToken(ctx, iss.Mint(t, tenanttest.Claims{Tenant: "t1", Alg: "HS256", HMACSecret: realSecret, KeyID: "hs"}))
	require.NoError(t, err)
	_, err = v.VerifyToken(ctx, iss.Mint(t, tenanttest.Claims{Tenant: "t1"}))
	require.NoError(t, err)
}

// TestScopeErrorDoesNotAliasPolicy: an error handler that edits the
// ScopeError it is given must not change what the middleware requires.
func TestScopeErrorDoesNotAliasPolicy(t *testing.T) {
	t.Parallel()
	iss := tenanttest.NewIssuer(t)
	v := iss.Verifier(t)
	h := tenantctx.Middleware(v, tenantctx.RequireScopes("admin"), tenantctx.WithErrorHandler(
		func(w http.ResponseWriter, r *http.Request, err error) {
			var se *tenantctx.ScopeError
			if errors.As(err, &se) {
				se.Required[0] = "read"
			}
			tenantctx.WriteError(w, r, err)
		}))(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }))
	for range 2 {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, iss.NewRequest(t, http.MethodGet, "/", tenanttest.Claims{Tenant: "t1", Scopes: []string{"read"}}))
		assert.Equal(t, http.StatusForbidden, w.Code)
	}
}

func TestWithTokenOnNilTenant(t *testing.T) {
	t.Parallel()
	var nilTenant *tenantctx.Tenant
	ten := nilTenant.WithToken("a.b.c", map[string]any{"x": "y"})
	require.NotNil(t, ten)
	assert.Equal(t, "a.b.c", ten.Token())
	got, ok := ten.Claim("x")
	assert.True(t, ok)
	assert.Equal(t, "y", got)
	base := &tenantctx.Tenant{ID: "t1"}
	withTok := base.WithToken("a.b.c", nil)
	assert.Empty(t, base.Token(), "WithToken copies")
	assert.Equal(t, "t1", withTok.ID)
}

// TestKeysNeverCrossIssuers: whatever the kid, a key of one issuer never
// verifies a token that claims another.
func TestKeysNeverCrossIssuers(t *testing.T) {
	t.Parallel()
	a := tenanttest.NewIssuer(t)
	b := tenanttest.NewIssuer(t)
	cfg := a.Config()
	cfg.Issuers[0].Keys = []tenantctx.StaticKey{{ID: "shared", Key: a.PublicKey(t, "ES256")}}
	cfg.Issuers = append(cfg.Issuers, tenantctx.IssuerConfig{Issuer: b.URL(), JWKSURLs: []string{b.JWKSURL()}})
	cfg.TokenCache.Disabled = true
	v, err := tenantctx.NewVerifier(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = v.Close() })
	ctx := context.Background()
	for name, tc := range map[string]struct {
		c    tenanttest.Claims
		want error
	}{
		"a's jwks kid, iss b":   {tenanttest.Claims{Tenant: "t2", Issuer: b.URL()}, tenantctx.ErrUnknownKey},
		"a's static kid, iss b": {tenanttest.Claims{Tenant: "t2", Issuer: b.URL(), Alg: "ES256", KeyID: "shared"}, tenantctx.ErrUnknownKey},
		"no kid, iss b":         {tenanttest.Claims{Tenant: "t2", Issuer: b.URL(), KeyID: "-"}, tenantctx.ErrInvalidSignature},
		"no kid es256, iss b":   {tenanttest.Claims{Tenant: "t2", Issuer: b.URL(), Alg: "ES256", KeyID: "-"}, tenantctx.ErrInvalidSignature},
		"b's kid, iss a":        {tenanttest.Claims{Tenant: "t1", KeyID: b.KeyID(t, "RS256")}, tenantctx.ErrUnknownKey},
	} {
		_, err := v.VerifyToken(ctx, a.Mint(t, tc.c))
		assert.ErrorIs(t, err, tc.want, name)
	}
	// Controls.
	_, err = v.VerifyToken(ctx, a.Mint(t, tenanttest.Claims{Tenant: "t1", Alg: "ES256", KeyID: "shared"}))
	require.NoError(t, err)
	_, err = v.VerifyToken(ctx, b.Mint(t, tenanttest.Claims{Tenant: "t2", Audience: []string{a.Audience()}}))
	require.NoError(t, err)
}

// TestNestedTenantClaimDuplicates: with the tenant claim at a nested path,
// duplicates inside the nested object, escaped or not, are rejected too.
func TestNestedTenantClaimDuplicates(t *testing.T) {
	t.Parallel()
	iss := tenanttest.NewIssuer(t)
	v := iss.Verifier(t, func(c *tenantctx.Config) {
		c.Claims.Tenant = tenantctx.ClaimPath{"https://tenantkit.dev/org", "tenant"}
	})
	claims := func(org string) string {
		return `{"iss":"` + iss.URL() + `","aud":"` + iss.Audience() + `","sub":"u1","exp":` +
			itoa(time.Now().Add(time.Hour).Unix()) + `,"https:\/\/tenantkit.dev\/org":` + org + `}`
	}
	for name, org := range map[string]string{
		"plain":   `{"tenant":"t1","tenant":"t2"}`,
		"escaped": `{"tenant":"t1","ten\u0061nt":"t2"}`,
		"deeper":  `{"tenant":"t1","x":{"a":1,"\u0061":2}}`,
	} {
		_, err := v.VerifyToken(context.Background(), iss.Mint(t, tenanttest.Claims{RawClaims: claims(org)}))
		assert.ErrorIs(t, err, tenantctx.ErrDuplicateMember, name)
	}
	// The escaped "/" in the outer name is the same member name, and the
	// control token verifies.
	ten, err := v.VerifyToken(context.Background(), iss.Mint(t, tenanttest.Claims{RawClaims: claims(`{"tenant":"t1"}`)}))
	require.NoError(t, err)
	assert.Equal(t, "t1", ten.ID)
}

// TestCloseStopsHangingFetch: Close cancels a JWKS fetch stuck on a
// server that never answers and returns only when its goroutine is gone;
// the callers waiting on it end too. Not parallel: it inspects the stacks
// of all goroutines, which must not include other tests' verifiers.
func TestCloseStopsHangingFetch(t *testing.T) {
	iss := tenanttest.NewIssuer(t)
	arrived := make(chan struct{}, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	cfg := iss.Config()
	cfg.Issuers[0].JWKSURLs = []string{srv.URL}
	cfg.HTTPClient = srv.Client()
	v, err := tenantctx.NewVerifier(cfg)
	require.NoError(t, err)

	done := make(chan error, 4)
	for i := range 4 {
		go func() {
			_, err := v.VerifyToken(context.Background(), iss.Mint(t, tenanttest.Claims{Tenant: "t1", Subject: fmt.Sprint("u", i)}))
			done <- err
		}()
	}
	<-arrived
	require.NoError(t, v.Close())
	assert.NotContains(t, allStacks(), "(*remoteKeySet).start", "fetch goroutine outlived Close")
	for range 4 {
		select {
		case err := <-done:
			// Waiting callers see the fetch fail; later ones the closed verifier.
			assert.True(t, errors.Is(err, tenantctx.ErrKeySetUnavailable) || errors.Is(err, tenantctx.ErrVerifierClosed), "%v", err)
			assert.Equal(t, http.StatusServiceUnavailable, tenantctx.StatusCode(err))
		case <-time.After(5 * time.Second):
			t.Fatal("a caller still waits after Close")
		}
	}
	require.Eventually(t, func() bool { return !strings.Contains(allStacks(), "tenantctx.(*Verifier)") }, 5*time.Second, 10*time.Millisecond)
}

func allStacks() string {
	buf := make([]byte, 1<<20)
	return string(buf[:runtime.Stack(buf, true)])
}
