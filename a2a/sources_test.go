package a2a

import (
	"context"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/tenantctx"
)

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func req(tn *tenantctx.Tenant, aud ...string) TokenRequest {
	return TokenRequest{Tenant: tn, Audience: aud}
}

func clockTenant(clk *fakeClock, id string, ttl time.Duration) *tenantctx.Tenant {
	t := &tenantctx.Tenant{ID: id, ExpiresAt: clk.Now().Add(ttl)}
	return t.WithToken("user-"+id, nil)
}

func TestExchangeSourceCachesPerKey(t *testing.T) {
	t.Parallel()
	as := newFakeAS(t)
	clk := newFakeClock()
	s := newTestExchangeSource(t, as, func(c *ExchangeSourceConfig) { c.Now = clk.Now })
	// The token client stamps Expiry with the real clock; use the same
	// clock for it so that the arithmetic below is exact.
	s.client.now = clk.Now
	ctx := context.Background()
	t1 := clockTenant(clk, "t1", time.Hour)

	a, err := s.Token(ctx, req(t1, "agent-2"))
	require.NoError(t, err)
	b, err := s.Token(ctx, req(t1, "agent-2"))
	require.NoError(t, err)
	assert.Same(t, a, b, "second call served from cache")
	assert.EqualValues(t, 1, as.calls.Load())

	// Every part of the key changes the answer.
	distinct := []TokenRequest{
		req(clockTenant(clk, "t2", time.Hour), "agent-2"),
		req(t1, "agent-3"),
		{Tenant: t1, Audience: []string{"agent-2"}, Scope: []string{"x"}},
		{Tenant: t1, Audience: []string{"agent-2"}, Resource: []string{"https://agent2.internal/"}},
		{Tenant: t1, Audience: []string{"agent-2", "agent-3"}},
		{Tenant: t1, Audience: []string{"agent-2agent-3"}},
	}
	for i, r := range distinct {
		tok, err := s.Token(ctx, r)
		require.NoError(t, err)
		assert.NotEqual(t, a.AccessToken, tok.AccessToken, i)
	}
	assert.EqualValues(t, 1+len(distinct), as.calls.Load())

	// A different actor is a different key, even for the same subject.
	other := newTestExchangeSource(t, as, func(c *ExchangeSourceConfig) { c.ActorID = "agent-9"; c.Now = clk.Now })
	other.cache = s.cache // shared cache: the key must still separate actors
	tok, err := other.Token(ctx, req(t1, "agent-2"))
	require.NoError(t, err)
	assert.NotEqual(t, a.AccessToken, tok.AccessToken)

	// Expires 300s after issue; served until 300s-30s-jitter(≤7.5s).
	clk.Add(262 * time.Second)
	c, err := s.Token(ctx, req(t1, "agent-2"))
	require.NoError(t, err)
	assert.Same(t, a, c)
	clk.Add(8 * time.Second) // 270s: inside the early-expiry window
	d, err := s.Token(ctx, req(t1, "agent-2"))
	require.NoError(t, err)
	assert.NotEqual(t, a.AccessToken, d.AccessToken, "refreshed before expiry")
}

func TestExchangeSourceNeverOutlivesSubjectToken(t *testing.T) {
	t.Parallel()
	as := newFakeAS(t)
	clk := newFakeClock()
	s := newTestExchangeSource(t, as, func(c *ExchangeSourceConfig) { c.Now = clk.Now })
	s.client.now = clk.Now
	t1 := clockTenant(clk, "t1", 100*time.Second) // exchanged token lives 300s
	a, err := s.Token(context.Background(), req(t1, "agent-2"))
	require.NoError(t, err)
	clk.Add(99 * time.Second)
	b, err := s.Token(context.Background(), req(t1, "agent-2"))
	require.NoError(t, err)
	assert.Same(t, a, b)
	clk.Add(time.Second)
	_, err = s.Token(context.Background(), req(t1, "agent-2"))
	require.ErrorIs(t, err, ErrSubjectTokenExpired)
	assert.EqualValues(t, 1, as.calls.Load())
	assert.Equal(t, 1, s.cache.len())
}

func TestExchangeSourceDoesNotCacheWithoutExpiry(t *testing.T) {
	t.Parallel()
	as := newFakeAS(t)
	as.setRespond(writeRaw(200, "application/json", `{"access_token":"noexp","token_type":"Bearer","issued_token_type":"`+TokenTypeAccessToken+`"}`))
	s := newTestExchangeSource(t, as)
	for range 3 {
		_, err := s.Token(context.Background(), req(testTenant("t1", ""), "agent-2"))
		require.NoError(t, err)
	}
	assert.EqualValues(t, 3, as.calls.Load())
}

func TestExchangeSourceSingleflight(t *testing.T) {
	t.Parallel()
	as := newFakeAS(t)
	as.gate = make(chan struct{})
	s := newTestExchangeSource(t, as)
	t1 := testTenant("t1", "")
	const n = 50
	var wg sync.WaitGroup
	toks := make([]*Token, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			toks[i], errs[i] = s.Token(context.Background(), req(t1, "agent-2"))
		}()
	}
	<-as.arrived
	time.Sleep(50 * time.Millisecond) // let the others pile up behind the flight
	close(as.gate)
	wg.Wait()
	for i := range n {
		require.NoError(t, errs[i])
		assert.Same(t, toks[0], toks[i])
	}
	assert.EqualValues(t, 1, as.calls.Load())
}

func TestExchangeSourceWaiterHonoursOwnContext(t *testing.T) {
	t.Parallel()
	as := newFakeAS(t)
	as.gate = make(chan struct{})
	s := newTestExchangeSource(t, as)
	t1 := testTenant("t1", "")

	leaderDone := make(chan error, 1)
	leaderCtx, cancelLeader := context.WithCancel(context.Background())
	go func() {
		_, err := s.Token(leaderCtx, req(t1, "agent-2"))
		leaderDone <- err
	}()
	<-as.arrived

	waiterCtx, cancelWaiter := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancelWaiter()
	start := time.Now()
	_, err := s.Token(waiterCtx, req(t1, "agent-2"))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 2*time.Second, "waiter returned on its own deadline")

	// The leader giving up does not abort the shared exchange...
	cancelLeader()
	require.ErrorIs(t, <-leaderDone, context.Canceled)
	close(as.gate)
	// ...whose result lands in the cache for the next caller.
	require.Eventually(t, func() bool { return s.cache.len() == 1 }, 2*time.Second, 5*time.Millisecond)
	_, err = s.Token(context.Background(), req(t1, "agent-2"))
	require.NoError(t, err)
	assert.EqualValues(t, 1, as.calls.Load())
}

func TestExchangeSourceErrorsAreNotCached(t *testing.T) {
	t.Parallel()
	as := newFakeAS(t)
	var fail atomic.Bool
	fail.Store(true)
	as.setRespond(func(w http.ResponseWriter, form url.Values) {
		if fail.Load() {
			writeJSON(w, 400, map[string]any{"error": "invalid_grant"})
			return
		}
		writeJSON(w, 200, map[string]any{"access_token": "ok", "token_type": "Bearer", "issued_token_type": TokenTypeAccessToken, "expires_in": 300})
	})
	s := newTestExchangeSource(t, as)
	t1 := testTenant("t1", "")
	_, err := s.Token(context.Background(), req(t1, "agent-2"))
	var xe *ExchangeError
	require.ErrorAs(t, err, &xe)
	assert.Equal(t, "invalid_grant", xe.Code)
	fail.Store(false)
	tok, err := s.Token(context.Background(), req(t1, "agent-2"))
	require.NoError(t, err)
	assert.Equal(t, "ok", tok.AccessToken)
	assert.EqualValues(t, 2, as.calls.Load())
}

func TestExchangeSourceBoundedSize(t *testing.T) {
	t.Parallel()
	as := newFakeAS(t)
	s := newTestExchangeSource(t, as, func(c *ExchangeSourceConfig) { c.MaxEntries = 4 })
	for i := range 10 {
		_, err := s.Token(context.Background(), req(testTenant("t"+itoa(int64(i)), ""), "agent-2"))
		require.NoError(t, err)
	}
	assert.Equal(t, 4, s.cache.len())
}

func TestExchangeSourceRejects(t *testing.T) {
	t.Parallel()
	as := newFakeAS(t)
	s := newTestExchangeSource(t, as)
	expired := (&tenantctx.Tenant{ID: "t1", ExpiresAt: time.Now().Add(-time.Second)}).WithToken("user-t1", nil)
	for name, c := range map[string]struct {
		r    TokenRequest
		want error
	}{
		"no tenant":        {req(nil, "a"), tenantctx.ErrNoTenant},
		"no subject token": {req(&tenantctx.Tenant{ID: "t1"}, "a"), ErrNoSubjectToken},
		"no audience":      {req(testTenant("t1", "")), ErrNoAudience},
		"expired subject":  {req(expired, "a"), ErrSubjectTokenExpired},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := s.Token(context.Background(), c.r)
			require.ErrorIs(t, err, c.want)
		})
	}
	assert.Zero(t, as.calls.Load())
}

func TestExchangeSourceValidatesIssuedToken(t *testing.T) {
	t.Parallel()
	for name, body := range map[string]string{
		"refresh token issued": `{"access_token":"a","token_type":"Bearer","issued_token_type":"` + TokenTypeRefreshToken + `","expires_in":60}`,
		"not bearer":           `{"access_token":"a","token_type":"N_A","issued_token_type":"` + TokenTypeAccessToken + `","expires_in":60}`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			as := newFakeAS(t)
			as.setRespond(writeRaw(200, "application/json", body))
			_, err := newTestExchangeSource(t, as).Token(context.Background(), req(testTenant("t1", ""), "a"))
			require.ErrorIs(t, err, ErrInvalidResponse)
		})
	}
	t.Run("server echoes the subject token", func(t *testing.T) {
		t.Parallel()
		as := newFakeAS(t)
		as.setRespond(writeRaw(200, "application/json", `{"access_token":"user-t1","token_type":"Bearer","issued_token_type":"`+TokenTypeAccessToken+`","expires_in":60}`))
		_, err := newTestExchangeSource(t, as).Token(context.Background(), req(testTenant("t1", ""), "a"))
		require.ErrorIs(t, err, ErrTokenPassThrough)
	})
}

func TestExchangeSourceWithClientCredentialsActor(t *testing.T) {
	t.Parallel()
	as := newFakeAS(t)
	client := newTestClient(t, as)
	actor, err := NewClientCredentialsSource(client, ClientCredentialsConfig{Scope: []string{"agent"}})
	require.NoError(t, err)
	s, err := NewExchangeSource(client, ExchangeSourceConfig{Actor: actor})
	require.NoError(t, err)
	assert.Equal(t, "client:"+testClientID+"@"+as.url(), s.actorID)
	for _, id := range []string{"t1", "t2"} {
		_, err = s.Token(context.Background(), req(testTenant(id, ""), "agent-2"))
		require.NoError(t, err)
	}
	as.mu.Lock()
	defer as.mu.Unlock()
	require.Len(t, as.requests, 3, "one client-credentials grant, two exchanges")
	assert.Equal(t, "client_credentials", as.requests[0].Get("grant_type"))
	assert.Equal(t, "agent", as.requests[0].Get("scope"))
	assert.Equal(t, "cc.agent-1.1", as.requests[1].Get("actor_token"))
	assert.Equal(t, "cc.agent-1.1", as.requests[2].Get("actor_token"), "actor token cached")
}

func TestExchangeSourceActorFailure(t *testing.T) {
	t.Parallel()
	as := newFakeAS(t)
	s := newTestExchangeSource(t, as, func(c *ExchangeSourceConfig) { c.Actor = errSource{ErrInvalidToken} })
	_, err := s.Token(context.Background(), req(testTenant("t1", ""), "a"))
	require.ErrorIs(t, err, ErrInvalidToken)
	assert.Zero(t, as.calls.Load())
}

func TestSkipActorToken(t *testing.T) {
	t.Parallel()
	as := newFakeAS(t)
	s, err := NewExchangeSource(newTestClient(t, as), ExchangeSourceConfig{SkipActorToken: true})
	require.NoError(t, err)
	_, err = s.Token(context.Background(), req(testTenant("t1", ""), "a"))
	require.NoError(t, err)
	form, _ := as.lastRequest(t)
	_, present := form["actor_token"]
	assert.False(t, present)
}

func TestNewExchangeSourceRejectsBadConfig(t *testing.T) {
	t.Parallel()
	as := newFakeAS(t)
	client := newTestClient(t, as)
	static := StaticTokenSource(&Token{AccessToken: "a", TokenType: "Bearer"})
	for name, cfg := range map[string]ExchangeSourceConfig{
		"no actor":             {},
		"actor and skip":       {Actor: static, ActorID: "x", SkipActorToken: true},
		"no actor id":          {Actor: static},
		"bad subject type":     {Actor: static, ActorID: "x", SubjectTokenType: "jwt"},
		"negative early":       {Actor: static, ActorID: "x", EarlyExpiry: -1},
		"negative max entries": {Actor: static, ActorID: "x", MaxEntries: -1},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := NewExchangeSource(client, cfg)
			require.ErrorIs(t, err, ErrInvalidConfig)
		})
	}
	_, err := NewExchangeSource(nil, ExchangeSourceConfig{SkipActorToken: true})
	require.ErrorIs(t, err, ErrInvalidConfig)
	_, err = NewClientCredentialsSource(nil, ClientCredentialsConfig{})
	require.ErrorIs(t, err, ErrInvalidConfig)
	_, err = NewClientCredentialsSource(client, ClientCredentialsConfig{Scope: []string{"a b"}})
	require.ErrorIs(t, err, ErrInvalidConfig)
}

func TestClientCredentialsSourceKeysByTarget(t *testing.T) {
	t.Parallel()
	as := newFakeAS(t)
	s, err := NewClientCredentialsSource(newTestClient(t, as, func(c *TokenClientConfig) { c.AuthStyle = AuthStylePost }), ClientCredentialsConfig{Resource: []string{"https://as.internal/"}})
	require.NoError(t, err)
	a, err := s.Token(context.Background(), TokenRequest{})
	require.NoError(t, err)
	form, basic := as.lastRequest(t)
	assert.Empty(t, basic)
	assert.Equal(t, url.Values{"grant_type": {"client_credentials"}, "resource": {"https://as.internal/"}, "client_id": {testClientID}, "client_secret": {testClientSecret}}, form)
	b, err := s.Token(context.Background(), TokenRequest{Audience: []string{"registry"}})
	require.NoError(t, err)
	assert.NotEqual(t, a.AccessToken, b.AccessToken)
	c, err := s.Token(context.Background(), TokenRequest{Tenant: testTenant("t9", ""), Audience: []string{"registry"}})
	require.NoError(t, err)
	assert.Same(t, b, c, "the agent's own token does not depend on the tenant")
	assert.EqualValues(t, 2, as.calls.Load())
}
