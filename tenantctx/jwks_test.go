package tenantctx_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/tenantctx"
	"github.com/tenantkit/tenantkit/tenantctx/tenanttest"
)

func noCache(c *tenantctx.Config) { c.TokenCache.Disabled = true }

func TestJWKSRotation(t *testing.T) {
	t.Parallel()
	clock := newClock()
	iss := tenanttest.NewIssuer(t, tenanttest.WithNow(clock.Now))
	v := iss.Verifier(t, noCache)
	ctx := context.Background()

	old := iss.Mint(t, tenanttest.Claims{Tenant: "t1"})
	oldKID := iss.KeyID(t, "RS256")
	_, err := v.VerifyToken(ctx, old)
	require.NoError(t, err)
	require.EqualValues(t, 1, iss.JWKSFetches())

	iss.Rotate(t)
	fresh := iss.Mint(t, tenanttest.Claims{Tenant: "t1"})

	// Within MinInterval of the last fetch the new kid is unknown and no
	// fetch happens.
	_, err = v.VerifyToken(ctx, fresh)
	require.ErrorIs(t, err, tenantctx.ErrUnknownKey)
	require.EqualValues(t, 1, iss.JWKSFetches())

	// After MinInterval one refetch picks the new key up.
	clock.Advance(tenantctx.DefaultJWKSMinInterval)
	_, err = v.VerifyToken(ctx, fresh)
	require.NoError(t, err)
	require.EqualValues(t, 2, iss.JWKSFetches())

	// Old key still published: old tokens keep working; once the IdP drops
	// it they fail after the next refetch.
	_, err = v.VerifyToken(ctx, old)
	require.NoError(t, err)
	iss.DropRetired()
	clock.Advance(tenantctx.DefaultJWKSTTL + tenantctx.DefaultJWKSStalePeriod)
	fresh = iss.Mint(t, tenanttest.Claims{Tenant: "t1"})
	_, err = v.VerifyToken(ctx, fresh) // nothing usable left: waits for the refetch
	require.NoError(t, err)
	require.EqualValues(t, 3, iss.JWKSFetches())
	clock.Advance(tenantctx.DefaultJWKSMinInterval)
	_, err = v.VerifyToken(ctx, iss.Mint(t, tenanttest.Claims{Tenant: "t1", KeyID: oldKID}))
	require.ErrorIs(t, err, tenantctx.ErrUnknownKey)
}

func TestJWKSUnknownKIDFlood(t *testing.T) {
	t.Parallel()
	clock := newClock()
	iss := tenanttest.NewIssuer(t, tenanttest.WithNow(clock.Now))
	v := iss.Verifier(t, noCache)
	ctx := context.Background()
	_, err := v.VerifyToken(ctx, iss.Mint(t, tenanttest.Claims{Tenant: "t1"}))
	require.NoError(t, err)
	require.EqualValues(t, 1, iss.JWKSFetches())

	flood := func() {
		var wg sync.WaitGroup
		for i := range 200 {
			tok := iss.Mint(t, tenanttest.Claims{Tenant: "t1", Alg: "EdDSA", KeyID: "unknown-" + strconv.Itoa(i)})
			wg.Go(func() {
				_, err := v.VerifyToken(ctx, tok)
				assert.ErrorIs(t, err, tenantctx.ErrUnknownKey)
			})
		}
		wg.Wait()
	}
	flood()
	assert.EqualValues(t, 1, iss.JWKSFetches(), "no refetch within MinInterval of the first fetch")

	clock.Advance(tenantctx.DefaultJWKSMinInterval)
	flood()
	assert.EqualValues(t, 2, iss.JWKSFetches(), "one refetch per interval")
	flood()
	assert.EqualValues(t, 2, iss.JWKSFetches())

	// Known keys keep verifying in the middle of a flood.
	_, err = v.VerifyToken(ctx, iss.Mint(t, tenanttest.Claims{Tenant: "t1", Alg: "EdDSA"}))
	require.NoError(t, err)
}

func TestJWKSOutageServesStaleThenFailsClosed(t *testing.T) {
	t.Parallel()
	clock := newClock()
	iss := tenanttest.NewIssuer(t, tenanttest.WithNow(clock.Now), tenanttest.WithCacheControl("max-age=600"))
	v := iss.Verifier(t, noCache, func(c *tenantctx.Config) { c.JWKS.StalePeriod = 30 * time.Minute })
	ctx := context.Background()
	mint := func() string {
		return iss.Mint(t, tenanttest.Claims{Tenant: "t1", ExpiresAt: clock.Now().Add(time.Hour)})
	}
	_, err := v.VerifyToken(ctx, mint())
	require.NoError(t, err)

	iss.SetDown(true)
	// Past max-age: keys are stale, refetches fail, but verification goes on.
	clock.Advance(11 * time.Minute)
	_, err = v.VerifyToken(ctx, mint())
	require.NoError(t, err)
	require.Eventually(t, func() bool { return iss.JWKSFetches() >= 2 }, 5*time.Second, 5*time.Millisecond)

	clock.Advance(25 * time.Minute) // 36 min: still within 10 min TTL + 30 min stale period
	_, err = v.VerifyToken(ctx, mint())
	require.NoError(t, err)

	clock.Advance(5 * time.Minute) // 41 min: beyond; fail closed
	tok := mint()
	_, err = v.VerifyToken(ctx, tok)
	require.ErrorIs(t, err, tenantctx.ErrKeySetUnavailable)
	w, got := serve(t, v, bearer("/", tok))
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
	assert.Nil(t, got)

	// Recovery after the IdP comes back and MinInterval has passed.
	iss.SetDown(false)
	clock.Advance(tenantctx.DefaultJWKSMinInterval)
	_, err = v.VerifyToken(ctx, mint())
	require.NoError(t, err)
}

func TestJWKSRefreshAheadDoesNotBlock(t *testing.T) {
	t.Parallel()
	clock := newClock()
	iss := tenanttest.NewIssuer(t, tenanttest.WithNow(clock.Now), tenanttest.WithCacheControl("max-age=120"))
	v := iss.Verifier(t, noCache)
	ctx := context.Background()
	_, err := v.VerifyToken(ctx, iss.Mint(t, tenanttest.Claims{Tenant: "t1"}))
	require.NoError(t, err)

	clock.Advance(60 * time.Second) // before 75% of max-age: no refresh
	_, err = v.VerifyToken(ctx, iss.Mint(t, tenanttest.Claims{Tenant: "t1"}))
	require.NoError(t, err)
	require.EqualValues(t, 1, iss.JWKSFetches())

	clock.Advance(45 * time.Second) // 105 s: refresh ahead in the background
	_, err = v.VerifyToken(ctx, iss.Mint(t, tenanttest.Claims{Tenant: "t1"}))
	require.NoError(t, err)
	require.EqualValues(t, 2, v.JWKSFetches(), "refresh started")
	require.Eventually(t, func() bool { return iss.JWKSFetches() == 2 }, 5*time.Second, 5*time.Millisecond)
}

func TestJWKSCacheControlBounds(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name         string
		cacheControl string
		advance      time.Duration
		wantFetches  int64
	}{
		{"max-age below MinTTL is raised", "max-age=1", 40 * time.Second, 1},
		{"no-store is raised to MinTTL", "no-store", 40 * time.Second, 1},
		{"MinTTL reached", "max-age=1", 2 * time.Minute, 2},
		{"max-age above MaxTTL is capped", "max-age=99999999", 25 * time.Hour, 2},
		{"no header uses TTL", "", 59 * time.Minute, 2},
		{"no header within 75% of TTL", "", 40 * time.Minute, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clock := newClock()
			iss := tenanttest.NewIssuer(t, tenanttest.WithNow(clock.Now), tenanttest.WithCacheControl(tt.cacheControl))
			v := iss.Verifier(t, noCache)
			_, err := v.VerifyToken(context.Background(), iss.Mint(t, tenanttest.Claims{Tenant: "t1", ExpiresAt: clock.Now().Add(48 * time.Hour)}))
			require.NoError(t, err)
			clock.Advance(tt.advance)
			_, err = v.VerifyToken(context.Background(), iss.Mint(t, tenanttest.Claims{Tenant: "t1", ExpiresAt: clock.Now().Add(time.Hour)}))
			require.NoError(t, err)
			// Fetch attempts are counted when started, so the count is
			// exact as soon as VerifyToken returns.
			require.Equal(t, tt.wantFetches, v.JWKSFetches())
			require.Eventually(t, func() bool { return iss.JWKSFetches() == tt.wantFetches }, 5*time.Second, 5*time.Millisecond)
		})
	}
}

func TestJWKSBodyCapAndBadDocuments(t *testing.T) {
	t.Parallel()
	iss := tenanttest.NewIssuer(t)
	t.Run("body cap", func(t *testing.T) {
		t.Parallel()
		v := iss.Verifier(t, func(c *tenantctx.Config) { c.JWKS.MaxBodySize = 64 })
		_, err := v.VerifyToken(context.Background(), iss.Mint(t, tenanttest.Claims{Tenant: "t1"}))
		require.ErrorIs(t, err, tenantctx.ErrKeySetUnavailable)
	})
	for name, body := range map[string]string{
		"not json":          "<html>",
		"no keys":           `{"keys":[]}`,
		"duplicate members": `{"keys":[],"keys":[]}`,
		"short rsa key":     `{"keys":[{"kty":"RSA","kid":"k","n":"AQAB","e":"AQAB"}]}`,
		"private key":       `{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"k","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}]}`,
		"encryption key":    `{"keys":[{"kty":"OKP","crv":"Ed25519","use":"enc","kid":"k","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				_, _ = w.Write([]byte(body))
			}))
			t.Cleanup(srv.Close)
			v, err := tenantctx.NewVerifier(tenantctx.Config{
				Issuers:   []tenantctx.IssuerConfig{{Issuer: iss.URL(), JWKSURLs: []string{srv.URL}}},
				Audiences: []string{iss.Audience()},
			})
			require.NoError(t, err)
			t.Cleanup(func() { _ = v.Close() })
			_, err = v.VerifyToken(context.Background(), iss.Mint(t, tenanttest.Claims{Tenant: "t1", KeyID: "k", Alg: "EdDSA"}))
			require.ErrorIs(t, err, tenantctx.ErrKeySetUnavailable)
		})
	}
	t.Run("redirect refused", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.RedirectHandler(iss.JWKSURL(), http.StatusFound))
		t.Cleanup(srv.Close)
		v, err := tenantctx.NewVerifier(tenantctx.Config{
			Issuers:   []tenantctx.IssuerConfig{{Issuer: iss.URL(), JWKSURLs: []string{srv.URL}}},
			Audiences: []string{iss.Audience()},
		})
		require.NoError(t, err)
		t.Cleanup(func() { _ = v.Close() })
		_, err = v.VerifyToken(context.Background(), iss.Mint(t, tenanttest.Claims{Tenant: "t1"}))
		require.ErrorIs(t, err, tenantctx.ErrKeySetUnavailable)
	})
}

func TestIssuerCheckedBeforeKeyFetch(t *testing.T) {
	t.Parallel()
	a := tenanttest.NewIssuer(t)
	b := tenanttest.NewIssuer(t)
	cfg := a.Config()
	cfg.Issuers = append(cfg.Issuers, tenantctx.IssuerConfig{Issuer: b.URL(), JWKSURLs: []string{b.JWKSURL()}})
	v, err := tenantctx.NewVerifier(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = v.Close() })
	ctx := context.Background()

	// A foreign issuer never causes a fetch.
	evil := tenanttest.NewIssuer(t)
	_, err = v.VerifyToken(ctx, evil.Mint(t, tenanttest.Claims{Tenant: "t1", Audience: []string{a.Audience()}}))
	require.ErrorIs(t, err, tenantctx.ErrUnknownIssuer)
	require.Zero(t, a.JWKSFetches()+b.JWKSFetches()+evil.JWKSFetches())

	// Each issuer's tokens verify against its own keys only.
	ta, err := v.VerifyToken(ctx, a.Mint(t, tenanttest.Claims{Tenant: "t1"}))
	require.NoError(t, err)
	assert.Equal(t, a.URL(), ta.Issuer)
	tb, err := v.VerifyToken(ctx, b.Mint(t, tenanttest.Claims{Tenant: "t2", Audience: []string{a.Audience()}}))
	require.NoError(t, err)
	assert.Equal(t, b.URL(), tb.Issuer)

	// Signed by a but claiming to come from b: a's kid is not in b's set.
	_, err = v.VerifyToken(ctx, a.Mint(t, tenanttest.Claims{Tenant: "t1", Issuer: b.URL()}))
	require.ErrorIs(t, err, tenantctx.ErrUnknownKey)
}

// TestJWKSSlowRefetchBlocksNobodyElse holds a refetch open and checks that
// requests with known keys keep verifying meanwhile.
func TestJWKSSlowRefetchBlocksNobodyElse(t *testing.T) {
	t.Parallel()
	clock := newClock()
	iss := tenanttest.NewIssuer(t, tenanttest.WithNow(clock.Now))
	release := make(chan struct{})
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) > 1 {
			select {
			case <-release:
			case <-r.Context().Done():
				return
			}
		}
		body, err := iss.JWKS()
		if err != nil {
			http.Error(w, "jwks", http.StatusInternalServerError)
			return
		}
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	cfg := iss.Config()
	cfg.Issuers[0].JWKSURLs = []string{srv.URL}
	cfg.TokenCache.Disabled = true
	cfg.HTTPClient = srv.Client()
	v, err := tenantctx.NewVerifier(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = v.Close() })

	_, err = v.VerifyToken(context.Background(), iss.Mint(t, tenanttest.Claims{Tenant: "t1"}))
	require.NoError(t, err)
	clock.Advance(tenantctx.DefaultJWKSMinInterval)

	waiting := make(chan error, 1)
	go func() {
		_, err := v.VerifyToken(context.Background(), iss.Mint(t, tenanttest.Claims{Tenant: "t1", KeyID: "new-kid"}))
		waiting <- err
	}()
	require.Eventually(t, func() bool { return calls.Load() == 2 }, 5*time.Second, time.Millisecond)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for range 20 {
		_, err := v.VerifyToken(ctx, iss.Mint(t, tenanttest.Claims{Tenant: "t1", Alg: "ES256"}))
		require.NoError(t, err, "known keys must not wait for the refetch")
	}
	select {
	case err := <-waiting:
		t.Fatalf("unknown-kid caller returned before the fetch finished: %v", err)
	default:
	}
	// A caller that gives up stops waiting; the fetch goes on.
	short, cancelShort := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancelShort()
	_, err = v.VerifyToken(short, iss.Mint(t, tenanttest.Claims{Tenant: "t1", KeyID: "other-kid"}))
	require.Error(t, err)
	assert.EqualValues(t, 2, calls.Load(), "joiners share the running fetch")
}
