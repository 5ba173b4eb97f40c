package tenantctx_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/tenantctx"
	"github.com/tenantkit/tenantkit/tenantctx/tenanttest"
)

func TestNewVerifierConfig(t *testing.T) {
	t.Parallel()
	edPub, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	smallRSA, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	p224, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	require.NoError(t, err)
	good := func() tenantctx.Config {
		return tenantctx.Config{
			Issuers:   []tenantctx.IssuerConfig{{Issuer: "https://idp.example", Keys: []tenantctx.StaticKey{{ID: "k", Key: edPub}}}},
			Audiences: []string{"api"},
		}
	}
	tests := []struct {
		name   string
		mutate func(*tenantctx.Config)
		ok     bool
	}{
		{"good", func(*tenantctx.Config) {}, true},
		{"no issuers", func(c *tenantctx.Config) { c.Issuers = nil }, false},
		{"no audience", func(c *tenantctx.Config) { c.Audiences = nil }, false},
		{"skip audience explicitly", func(c *tenantctx.Config) { c.Audiences = nil; c.InsecureSkipAudienceCheck = true }, true},
		{"empty audience", func(c *tenantctx.Config) { c.Audiences = []string{""} }, false},
		{"alg none", func(c *tenantctx.Config) { c.Algorithms = []string{"none"} }, false},
		{"unknown alg", func(c *tenantctx.Config) { c.Algorithms = []string{"RS1"} }, false},
		{"hs256 without opt-in", func(c *tenantctx.Config) { c.Algorithms = []string{"HS256"} }, false},
		{"hmac secret without opt-in", func(c *tenantctx.Config) { c.Issuers[0].Keys = []tenantctx.StaticKey{{Key: make([]byte, 32)}} }, false},
		{"short hmac secret", func(c *tenantctx.Config) {
			c.AllowHMAC = true
			c.Algorithms = []string{"HS256"}
			c.Issuers[0].Keys = []tenantctx.StaticKey{{Key: make([]byte, 31)}}
		}, false},
		{"hmac opt-in", func(c *tenantctx.Config) {
			c.AllowHMAC = true
			c.Algorithms = []string{"HS256"}
			c.Issuers[0].Keys = []tenantctx.StaticKey{{Key: make([]byte, 32), Algorithm: "HS256"}}
		}, true},
		{"rsa 1024", func(c *tenantctx.Config) { c.Issuers[0].Keys = []tenantctx.StaticKey{{Key: &smallRSA.PublicKey}} }, false},
		{"p-224", func(c *tenantctx.Config) { c.Issuers[0].Keys = []tenantctx.StaticKey{{Key: &p224.PublicKey}} }, false},
		{"private key", func(c *tenantctx.Config) { c.Issuers[0].Keys = []tenantctx.StaticKey{{Key: smallRSA}} }, false},
		{"key alg mismatch", func(c *tenantctx.Config) { c.Issuers[0].Keys[0].Algorithm = "RS256" }, false},
		{"negative leeway", func(c *tenantctx.Config) { c.Leeway = -time.Second }, false},
		{"huge leeway", func(c *tenantctx.Config) { c.Leeway = time.Hour }, false},
		{"empty type", func(c *tenantctx.Config) { c.Types = []string{""} }, false},
		{"huge token size", func(c *tenantctx.Config) { c.MaxTokenSize = 1 << 20 }, false},
		{"negative actor depth", func(c *tenantctx.Config) { c.MaxActorDepth = -1 }, false},
		{"empty claim path element", func(c *tenantctx.Config) { c.Claims.Tenant = tenantctx.ClaimPath{"org", ""} }, false},
		{"issuer without keys", func(c *tenantctx.Config) { c.Issuers[0].Keys = nil }, false},
		{"duplicate issuer", func(c *tenantctx.Config) { c.Issuers = append(c.Issuers, c.Issuers[0]) }, false},
		{"http jwks", func(c *tenantctx.Config) { c.Issuers[0].JWKSURLs = []string{"http://idp.example/jwks"} }, false},
		{"loopback http jwks", func(c *tenantctx.Config) { c.Issuers[0].JWKSURLs = []string{"http://127.0.0.1:1/jwks"} }, true},
		{"file jwks", func(c *tenantctx.Config) { c.Issuers[0].JWKSURLs = []string{"file:///etc/jwks"} }, false},
		{"jwks interval above min ttl", func(c *tenantctx.Config) { c.JWKS.MinInterval = 2 * time.Minute }, false},
		{"jwks min ttl above max", func(c *tenantctx.Config) { c.JWKS.MinTTL = 48 * time.Hour }, false},
		{"negative cache size", func(c *tenantctx.Config) { c.TokenCache.Size = -1 }, false},
		{"tenant header with space", func(c *tenantctx.Config) { c.TenantHeader = "X Tenant" }, false},
		{"tenant header with colon", func(c *tenantctx.Config) { c.TenantHeader = "X-Tenant:" }, false},
		{"custom tenant header", func(c *tenantctx.Config) { c.TenantHeader = "x-org_id" }, true},
		{"config http client without redirect policy", func(c *tenantctx.Config) { c.HTTPClient = &http.Client{} }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := good()
			tt.mutate(&cfg)
			v, err := tenantctx.NewVerifier(cfg)
			if tt.ok {
				require.NoError(t, err)
				require.NoError(t, v.Close())
				return
			}
			require.Error(t, err)
			assert.True(t, strings.HasPrefix(err.Error(), "tenantctx: "), err.Error())
		})
	}
}

func TestVerifiedTenant(t *testing.T) {
	t.Parallel()
	clock := newClock()
	iss := tenanttest.NewIssuer(t, tenanttest.WithNow(clock.Now))
	v := iss.Verifier(t)
	tok := iss.Mint(t, tenanttest.Claims{
		Tenant: "acme", Subject: "alice", Tier: "premium", Region: "eu-west-1",
		Scopes: []string{"tools:read", "tools:write"}, Entitlements: []string{"beta"},
		Actors: []tenantctx.Actor{{Subject: "agent-b", ClientID: "cb"}, {Subject: "agent-a", Issuer: "https://a.example"}},
		Extra:  map[string]any{"plan_seats": 5},
	})
	ten, err := v.VerifyToken(context.Background(), tok)
	require.NoError(t, err)
	assert.Equal(t, "acme", ten.ID)
	assert.Equal(t, "alice", ten.Subject)
	assert.Equal(t, "premium", ten.Tier)
	assert.Equal(t, "eu-west-1", ten.Region)
	assert.Equal(t, []string{"tools:read", "tools:write"}, ten.Scopes)
	assert.Equal(t, []string{"beta"}, ten.Entitlements)
	assert.Equal(t, iss.URL(), ten.Issuer)
	assert.Equal(t, []string{iss.Audience()}, ten.Audience)
	assert.Equal(t, clock.Now().Add(time.Hour), ten.ExpiresAt)
	assert.Equal(t, clock.Now(), ten.IssuedAt)
	assert.Equal(t, []tenantctx.Actor{{Subject: "agent-b", ClientID: "cb"}, {Subject: "agent-a", Issuer: "https://a.example"}}, ten.DelegationChain())
	seats, ok := ten.Claim("plan_seats")
	require.True(t, ok)
	assert.EqualValues(t, 5, seats)
	assert.Equal(t, tok, ten.Token())

	// The token never leaks through formatting or logging.
	var logs strings.Builder
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("req", "tenant", ten)
	for _, s := range []string{fmt.Sprint(ten), fmt.Sprintf("%+v %#v %s", ten, ten, ten), logs.String()} {
		assert.NotContains(t, s, tok[20:60])
		assert.Contains(t, s, "acme")
	}
}

func TestClaimMapping(t *testing.T) {
	t.Parallel()
	iss := tenanttest.NewIssuer(t)
	t.Run("cognito custom:tenant_id", func(t *testing.T) {
		t.Parallel()
		v := iss.Verifier(t, func(c *tenantctx.Config) {
			c.Claims.Tenant = tenantctx.ClaimPath{"custom:tenant_id"}
			c.Claims.Tier = tenantctx.ClaimPath{"custom:tier"}
		})
		ten, err := v.VerifyToken(context.Background(), iss.Mint(t, tenanttest.Claims{
			Tenant: "ignored", Extra: map[string]any{"custom:tenant_id": "t-cog", "custom:tier": "gold"}}))
		require.NoError(t, err)
		assert.Equal(t, "t-cog", ten.ID)
		assert.Equal(t, "gold", ten.Tier)
		_, err = v.VerifyToken(context.Background(), iss.Mint(t, tenanttest.Claims{Tenant: "t1"}))
		assert.ErrorIs(t, err, tenantctx.ErrMissingTenant)
	})
	t.Run("nested path and array scopes", func(t *testing.T) {
		t.Parallel()
		v := iss.Verifier(t, func(c *tenantctx.Config) {
			c.Claims.Tenant = tenantctx.ClaimPath{"https://tenantkit.dev/org", "tenant"}
			c.Claims.Scopes = tenantctx.ClaimPath{"scp"}
			c.Claims.Entitlements = tenantctx.ClaimPath{"https://tenantkit.dev/org", "features"}
		})
		ten, err := v.VerifyToken(context.Background(), iss.Mint(t, tenanttest.Claims{Extra: map[string]any{
			"https://tenantkit.dev/org": map[string]any{"tenant": "nested-1", "features": "a b"},
			"scp":                       []string{"x", "y"},
		}}))
		require.NoError(t, err)
		assert.Equal(t, "nested-1", ten.ID)
		assert.Equal(t, []string{"x", "y"}, ten.Scopes)
		assert.Equal(t, []string{"a", "b"}, ten.Entitlements)
		_, err = v.VerifyToken(context.Background(), iss.Mint(t, tenanttest.Claims{Extra: map[string]any{
			"https://tenantkit.dev/org": "nested-1"}}))
		assert.ErrorIs(t, err, tenantctx.ErrMissingTenant)
	})
	t.Run("custom types and missing typ", func(t *testing.T) {
		t.Parallel()
		v := iss.Verifier(t, func(c *tenantctx.Config) { c.Types = []string{"JWT"}; c.AllowMissingType = true })
		for _, typ := range []string{"JWT", "jwt", "-"} {
			_, err := v.VerifyToken(context.Background(), iss.Mint(t, tenanttest.Claims{Tenant: "t1", Type: typ}))
			assert.NoError(t, err, typ)
		}
		_, err := v.VerifyToken(context.Background(), iss.Mint(t, tenanttest.Claims{Tenant: "t1"}))
		assert.ErrorIs(t, err, tenantctx.ErrInvalidType)
	})
	t.Run("application/at+jwt accepted by default", func(t *testing.T) {
		t.Parallel()
		v := iss.Verifier(t)
		_, err := v.VerifyToken(context.Background(), iss.Mint(t, tenanttest.Claims{Tenant: "t1", Type: "application/AT+JWT"}))
		assert.NoError(t, err)
	})
	t.Run("audience any-of", func(t *testing.T) {
		t.Parallel()
		v := iss.Verifier(t, func(c *tenantctx.Config) { c.Audiences = []string{"a", "b"} })
		_, err := v.VerifyToken(context.Background(), iss.Mint(t, tenanttest.Claims{Tenant: "t1", Audience: []string{"x", "b"}}))
		assert.NoError(t, err)
		_, err = v.VerifyToken(context.Background(), iss.Mint(t, tenanttest.Claims{Tenant: "t1", Audience: []string{"x", "y"}}))
		assert.ErrorIs(t, err, tenantctx.ErrInvalidAudience)
	})
	t.Run("actor depth limit", func(t *testing.T) {
		t.Parallel()
		v := iss.Verifier(t, func(c *tenantctx.Config) { c.MaxActorDepth = 2 })
		_, err := v.VerifyToken(context.Background(), iss.Mint(t, tenanttest.Claims{Tenant: "t1", Actors: nestedActors(2)}))
		assert.NoError(t, err)
		_, err = v.VerifyToken(context.Background(), iss.Mint(t, tenanttest.Claims{Tenant: "t1", Actors: nestedActors(3)}))
		assert.ErrorIs(t, err, tenantctx.ErrInvalidActor)
	})
	t.Run("token size limit", func(t *testing.T) {
		t.Parallel()
		v := iss.Verifier(t, func(c *tenantctx.Config) { c.MaxTokenSize = 600 })
		_, err := v.VerifyToken(context.Background(), iss.Mint(t, tenanttest.Claims{Tenant: "t1", Extra: map[string]any{"pad": strings.Repeat("x", 300)}}))
		assert.ErrorIs(t, err, tenantctx.ErrTokenTooLarge)
	})
}

func TestLeeway(t *testing.T) {
	t.Parallel()
	clock := newClock()
	iss := tenanttest.NewIssuer(t, tenanttest.WithNow(clock.Now))
	v := iss.Verifier(t, noCache, func(c *tenantctx.Config) { c.Leeway = 30 * time.Second })
	now := clock.Now()
	for _, tt := range []struct {
		name string
		c    tenanttest.Claims
		want error
	}{
		{"expired within leeway", tenanttest.Claims{ExpiresAt: now.Add(-29 * time.Second)}, nil},
		{"expired beyond leeway", tenanttest.Claims{ExpiresAt: now.Add(-30 * time.Second)}, tenantctx.ErrTokenExpired},
		{"nbf within leeway", tenanttest.Claims{NotBefore: now.Add(30 * time.Second)}, nil},
		{"nbf beyond leeway", tenanttest.Claims{NotBefore: now.Add(31 * time.Second)}, tenantctx.ErrTokenNotYetValid},
		{"iat within leeway", tenanttest.Claims{IssuedAt: now.Add(30 * time.Second)}, nil},
		{"iat beyond leeway", tenanttest.Claims{IssuedAt: now.Add(31 * time.Second)}, tenantctx.ErrTokenNotYetValid},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.c.Tenant = "t1"
			_, err := v.VerifyToken(context.Background(), iss.Mint(t, tt.c))
			if tt.want == nil {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, tt.want)
			}
		})
	}
}

func TestStaticKeysAndHMAC(t *testing.T) {
	t.Parallel()
	iss := tenanttest.NewIssuer(t)
	secret := []byte("0123456789abcdef0123456789abcdef")
	v, err := tenantctx.NewVerifier(tenantctx.Config{
		Issuers: []tenantctx.IssuerConfig{{Issuer: iss.URL(), Keys: []tenantctx.StaticKey{
			{ID: "rsa", Key: iss.PublicKey(t, "RS256")},
			{ID: "hs", Key: secret, Algorithm: "HS256"},
		}}},
		Audiences:  []string{iss.Audience()},
		Algorithms: []string{"RS256", "HS256"},
		AllowHMAC:  true,
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = v.Close() })
	ctx := context.Background()

	_, err = v.VerifyToken(ctx, iss.Mint(t, tenanttest.Claims{Tenant: "t1", KeyID: "rsa"}))
	require.NoError(t, err)
	_, err = v.VerifyToken(ctx, iss.Mint(t, tenanttest.Claims{Tenant: "t1", Alg: "HS256", HMACSecret: secret, KeyID: "hs"}))
	require.NoError(t, err)
	// Token without kid: only one key fits RS256, so it is used.
	_, err = v.VerifyToken(ctx, iss.Mint(t, tenanttest.Claims{Tenant: "t1", KeyID: "-"}))
	require.NoError(t, err)
	// HS256 over the RSA key (classic confusion) is refused even with HMAC on.
	_, err = v.VerifyToken(ctx, iss.Mint(t, tenanttest.Claims{Tenant: "t1", Alg: "HS256", HMACSecret: secret, KeyID: "rsa"}))
	require.ErrorIs(t, err, tenantctx.ErrAlgorithmNotAllowed)
	// RS256 naming the HMAC key.
	_, err = v.VerifyToken(ctx, iss.Mint(t, tenanttest.Claims{Tenant: "t1", KeyID: "hs"}))
	require.ErrorIs(t, err, tenantctx.ErrAlgorithmNotAllowed)
	_, err = v.VerifyToken(ctx, iss.Mint(t, tenanttest.Claims{Tenant: "t1", Alg: "HS256", HMACSecret: []byte("wrong-secret-wrong-secret-wrong-"), KeyID: "hs"}))
	require.ErrorIs(t, err, tenantctx.ErrInvalidSignature)
}

func TestTokenCache(t *testing.T) {
	t.Parallel()
	t.Run("hit returns the same tenant", func(t *testing.T) {
		t.Parallel()
		iss := tenanttest.NewIssuer(t)
		v := iss.Verifier(t)
		tok := iss.Mint(t, tenanttest.Claims{Tenant: "t1"})
		a, err := v.VerifyToken(context.Background(), tok)
		require.NoError(t, err)
		b, err := v.VerifyToken(context.Background(), tok)
		require.NoError(t, err)
		assert.Same(t, a, b)
		assert.EqualValues(t, 1, tenantctx.Verifications(v))
		assert.Equal(t, 1, v.CachedTokens())
		// A different token for another tenant is never answered by the entry.
		c, err := v.VerifyToken(context.Background(), iss.Mint(t, tenanttest.Claims{Tenant: "t2"}))
		require.NoError(t, err)
		assert.Equal(t, "t2", c.ID)
	})
	t.Run("entry never outlives exp", func(t *testing.T) {
		t.Parallel()
		clock := newClock()
		iss := tenanttest.NewIssuer(t, tenanttest.WithNow(clock.Now))
		v := iss.Verifier(t)
		tok := iss.Mint(t, tenanttest.Claims{Tenant: "t1", ExpiresAt: clock.Now().Add(10 * time.Second)})
		_, err := v.VerifyToken(context.Background(), tok)
		require.NoError(t, err)
		clock.Advance(10 * time.Second)
		_, err = v.VerifyToken(context.Background(), tok)
		require.ErrorIs(t, err, tenantctx.ErrTokenExpired)
	})
	t.Run("entry bounded by cache ttl", func(t *testing.T) {
		t.Parallel()
		clock := newClock()
		iss := tenanttest.NewIssuer(t, tenanttest.WithNow(clock.Now))
		v := iss.Verifier(t, func(c *tenantctx.Config) { c.TokenCache.TTL = time.Minute })
		tok := iss.Mint(t, tenanttest.Claims{Tenant: "t1"})
		_, err := v.VerifyToken(context.Background(), tok)
		require.NoError(t, err)
		clock.Advance(time.Minute)
		_, err = v.VerifyToken(context.Background(), tok)
		require.NoError(t, err)
		assert.EqualValues(t, 2, tenantctx.Verifications(v))
	})
	t.Run("bounded size", func(t *testing.T) {
		t.Parallel()
		iss := tenanttest.NewIssuer(t)
		v := iss.Verifier(t, func(c *tenantctx.Config) { c.TokenCache.Size = 16 })
		for i := range 100 {
			_, err := v.VerifyToken(context.Background(), iss.Mint(t, tenanttest.Claims{Tenant: "t1", Subject: fmt.Sprint("u", i), Alg: "EdDSA"}))
			require.NoError(t, err)
		}
		assert.LessOrEqual(t, v.CachedTokens(), 16)
	})
	t.Run("disabled", func(t *testing.T) {
		t.Parallel()
		iss := tenanttest.NewIssuer(t)
		v := iss.Verifier(t, noCache)
		tok := iss.Mint(t, tenanttest.Claims{Tenant: "t1"})
		for range 3 {
			_, err := v.VerifyToken(context.Background(), tok)
			require.NoError(t, err)
		}
		assert.EqualValues(t, 3, tenantctx.Verifications(v))
		assert.Zero(t, v.CachedTokens())
	})
	t.Run("concurrent first sightings verify once", func(t *testing.T) {
		t.Parallel()
		iss := tenanttest.NewIssuer(t)
		v := iss.Verifier(t)
		tok := iss.Mint(t, tenanttest.Claims{Tenant: "t1"})
		// The first verification must fetch the JWKS, so all callers overlap it.
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range 50 {
			wg.Go(func() {
				<-start
				_, err := v.VerifyToken(context.Background(), tok)
				assert.NoError(t, err)
			})
		}
		close(start)
		wg.Wait()
		assert.LessOrEqual(t, tenantctx.Verifications(v), int64(2), "singleflight joins concurrent first sightings")
		assert.EqualValues(t, 1, iss.JWKSFetches())
	})
	t.Run("errors are not cached", func(t *testing.T) {
		t.Parallel()
		iss := tenanttest.NewIssuer(t)
		v := iss.Verifier(t)
		tok := iss.Mint(t, tenanttest.Claims{Tenant: "t1", Type: "JWT"})
		for range 2 {
			_, err := v.VerifyToken(context.Background(), tok)
			require.ErrorIs(t, err, tenantctx.ErrInvalidType)
		}
		assert.EqualValues(t, 2, tenantctx.Verifications(v))
	})
}

func TestVerifierClose(t *testing.T) {
	t.Parallel()
	iss := tenanttest.NewIssuer(t)
	v := iss.Verifier(t)
	require.NoError(t, v.Close())
	require.NoError(t, v.Close())
	_, err := v.VerifyToken(context.Background(), iss.Mint(t, tenanttest.Claims{Tenant: "t1"}))
	require.ErrorIs(t, err, tenantctx.ErrVerifierClosed)
}

func TestVerifyTokenHonoursContext(t *testing.T) {
	t.Parallel()
	iss := tenanttest.NewIssuer(t)
	v := iss.Verifier(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := v.VerifyToken(ctx, iss.Mint(t, tenanttest.Claims{Tenant: "t1"}))
	require.Error(t, err)
}

// TestGolangJWTAgrees cross-checks a token we accept with golang-jwt.
func TestGolangJWTAgrees(t *testing.T) {
	t.Parallel()
	iss := tenanttest.NewIssuer(t)
	tok := iss.Mint(t, tenanttest.Claims{Tenant: "t1", Alg: "ES256"})
	parsed, err := jwt.Parse(tok, func(*jwt.Token) (any, error) { return iss.PublicKey(t, "ES256"), nil },
		jwt.WithValidMethods([]string{"ES256"}), jwt.WithAudience(iss.Audience()), jwt.WithIssuer(iss.URL()))
	require.NoError(t, err)
	assert.Equal(t, "t1", parsed.Claims.(jwt.MapClaims)["tenant_id"])
}

func TestTypeMediaTypeForms(t *testing.T) {
	t.Parallel()
	iss := tenanttest.NewIssuer(t)
	v := iss.Verifier(t, func(c *tenantctx.Config) { c.Types = []string{"JWT"} })
	for typ, ok := range map[string]bool{"JWT": true, "jwt": true, "application/jwt": true, "Application/JWT": true, "at+jwt": false, "application/": false, "applicationjwt": false} {
		_, err := v.VerifyToken(context.Background(), iss.Mint(t, tenanttest.Claims{Tenant: "t1", Type: typ}))
		if ok {
			assert.NoError(t, err, typ)
		} else {
			assert.ErrorIs(t, err, tenantctx.ErrInvalidType, typ)
		}
	}
}

func TestSharedKIDPicksFittingKey(t *testing.T) {
	t.Parallel()
	iss := tenanttest.NewIssuer(t)
	v, err := tenantctx.NewVerifier(tenantctx.Config{
		Issuers: []tenantctx.IssuerConfig{{Issuer: iss.URL(), Keys: []tenantctx.StaticKey{
			{ID: "k", Key: iss.PublicKey(t, "RS256")},
			{ID: "k", Key: iss.PublicKey(t, "ES256")},
		}}},
		Audiences: []string{iss.Audience()},
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = v.Close() })
	for _, alg := range []string{"RS256", "ES256"} {
		_, err := v.VerifyToken(context.Background(), iss.Mint(t, tenanttest.Claims{Tenant: "t1", Alg: alg, KeyID: "k"}))
		assert.NoError(t, err, alg)
	}
	_, err = v.VerifyToken(context.Background(), iss.Mint(t, tenanttest.Claims{Tenant: "t1", Alg: "EdDSA", KeyID: "k"}))
	assert.ErrorIs(t, err, tenantctx.ErrAlgorithmNotAllowed)
}

func TestHMACKeyLengthPerAlgorithm(t *testing.T) {
	t.Parallel()
	iss := tenanttest.NewIssuer(t)
	secret := []byte(strings.Repeat("s", 40)) // enough for HS256, short for HS384
	v, err := tenantctx.NewVerifier(tenantctx.Config{
		Issuers:    []tenantctx.IssuerConfig{{Issuer: iss.URL(), Keys: []tenantctx.StaticKey{{ID: "hs", Key: secret}}}},
		Audiences:  []string{iss.Audience()},
		Algorithms: []string{"HS256", "HS384"},
		AllowHMAC:  true,
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = v.Close() })
	_, err = v.VerifyToken(context.Background(), iss.Mint(t, tenanttest.Claims{Tenant: "t1", Alg: "HS256", HMACSecret: secret, KeyID: "hs"}))
	assert.NoError(t, err)
	_, err = v.VerifyToken(context.Background(), iss.Mint(t, tenanttest.Claims{Tenant: "t1", Alg: "HS384", HMACSecret: secret, KeyID: "hs"}))
	assert.ErrorIs(t, err, tenantctx.ErrAlgorithmNotAllowed)
}

func TestCloseDuringFetches(t *testing.T) {
	t.Parallel()
	iss := tenanttest.NewIssuer(t)
	v := iss.Verifier(t, noCache)
	tok := iss.Mint(t, tenanttest.Claims{Tenant: "t1"})
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() { _, _ = v.VerifyToken(context.Background(), tok) })
	}
	require.NoError(t, v.Close())
	wg.Wait()
	_, err := v.VerifyToken(context.Background(), tok)
	require.ErrorIs(t, err, tenantctx.ErrVerifierClosed)
}

func TestVerifyCachedDoesNotAllocate(t *testing.T) {
	iss := tenanttest.NewIssuer(t)
	v := iss.Verifier(t)
	r := iss.NewRequest(t, "GET", "/", tenanttest.Claims{Tenant: "t1"})
	r.Header.Set("X-Tenant-ID", "t1")
	_, err := v.Verify(r)
	require.NoError(t, err)
	allocs := testing.AllocsPerRun(200, func() {
		if _, err := v.Verify(r); err != nil {
			t.Fatal(err)
		}
	})
	assert.Zero(t, allocs)
}
