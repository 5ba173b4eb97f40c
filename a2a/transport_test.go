package a2a

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/tenantkit/tenantkit/tenantctx"
)

var testPropagator = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

// seen is what a destination server observed for one request.
type seen struct {
	tenantID, tier, auth, traceparent, baggage, expect string
	lowerTenant                                        []string
	body                                               string
}

type recorder struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []seen
	// status answered; 200 by default.
	status int
	// redirectTo, when set, makes the server answer 302 to it.
	redirectTo string
}

func newRecorder(t testing.TB) *recorder {
	t.Helper()
	rec := &recorder{}
	rec.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s := seen{
			tenantID:    r.Header.Get("X-Tenant-ID"),
			tier:        r.Header.Get("X-Tenant-Tier"),
			auth:        r.Header.Get("Authorization"),
			traceparent: r.Header.Get("Traceparent"),
			baggage:     r.Header.Get("Baggage"),
			expect:      r.Header.Get("X-Expect"),
			lowerTenant: r.Header.Values("X-Tenant-Id"),
			body:        string(b),
		}
		rec.mu.Lock()
		rec.got = append(rec.got, s)
		status, to := rec.status, rec.redirectTo
		rec.mu.Unlock()
		if to != "" {
			http.Redirect(w, r, to, http.StatusFound)
			return
		}
		if status == 0 {
			status = http.StatusOK
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(rec.srv.Close)
	return rec
}

func (rec *recorder) all() []seen {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]seen(nil), rec.got...)
}

func newTestTransport(t testing.TB, cfg Config) *Transport {
	t.Helper()
	if cfg.Propagator == nil {
		cfg.Propagator = testPropagator
	}
	cfg.InsecureAllowLoopbackHTTP = true
	tr, err := NewTransport(cfg)
	require.NoError(t, err)
	return tr
}

func tracedContext(t testing.TB) context.Context {
	t.Helper()
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	ctx := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled,
	}))
	m, err := baggage.NewMember("request", "r42")
	require.NoError(t, err)
	bag, err := baggage.New(m)
	require.NoError(t, err)
	return baggage.ContextWithBaggage(ctx, bag)
}

func TestTransportPropagatesTenantTraceAndExchangedToken(t *testing.T) {
	t.Parallel()
	as := newFakeAS(t)
	agent2 := newRecorder(t)
	tr := newTestTransport(t, Config{Destinations: []Destination{{
		URL: agent2.srv.URL, Audience: []string{"agent-2"}, Scope: []string{"tickets:read"},
		TokenSource: newTestExchangeSource(t, as),
	}}})

	ctx := tenantctx.NewContext(tracedContext(t), testTenant("t1", "gold"))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, agent2.srv.URL+"/tasks", strings.NewReader("hello"))
	require.NoError(t, err)
	// The caller tries to smuggle its own credential and tenant.
	req.Header.Set("Authorization", "Bearer caller-chosen")
	req.Header.Set("X-Tenant-ID", "t2")
	req.Header["x-tenant-id"] = []string{"t3"}
	req.Header.Set("X-Expect", "kept")

	resp, err := (&http.Client{Transport: tr}).Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())

	got := agent2.all()
	require.Len(t, got, 1)
	assert.Equal(t, "t1", got[0].tenantID)
	assert.Equal(t, []string{"t1"}, got[0].lowerTenant, "no second X-Tenant-ID value")
	assert.Equal(t, "gold", got[0].tier)
	assert.Equal(t, "Bearer xt.user-t1.agent-2.1", got[0].auth)
	assert.Equal(t, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", got[0].traceparent)
	assert.Equal(t, "request=r42", got[0].baggage)
	assert.Equal(t, "kept", got[0].expect, "headers outside the allow-list pass untouched")
	assert.Equal(t, "hello", got[0].body)

	form, basic := as.lastRequest(t)
	assert.Equal(t, GrantTypeTokenExchange, form.Get("grant_type"))
	assert.Equal(t, "user-t1", form.Get("subject_token"))
	assert.Equal(t, "agent-1-credential", form.Get("actor_token"))
	assert.Equal(t, []string{"agent-2"}, form["audience"])
	assert.Equal(t, "tickets:read", form.Get("scope"))
	assert.Equal(t, testClientID+":"+testClientSecret, basic)
}

func TestTransportCallerRequestUnchanged(t *testing.T) {
	t.Parallel()
	as := newFakeAS(t)
	base := &recordingRT{}
	const dest = "https://agent2.internal"
	tr := newTestTransport(t, Config{Base: base, Destinations: []Destination{{
		URL: dest, Audience: []string{"agent-2"}, TokenSource: newTestExchangeSource(t, as),
	}}})

	for _, tc := range []struct {
		name    string
		tenant  *tenantctx.Tenant
		url     string
		wantErr bool
	}{
		{"success", testTenant("t1", "gold"), dest + "/a?b=c", false},
		{"no tenant", nil, dest + "/a?b=c", true},
		{"unknown host", testTenant("t1", "gold"), "https://evil.example/a", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := tenantctx.NewContext(tracedContext(t), tc.tenant)
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, tc.url, nil)
			require.NoError(t, err)
			req.Header.Set("Authorization", "Bearer mine")
			req.Header.Set("X-Tenant-ID", "spoof")
			req.Header.Set("Accept", "application/json")
			wantHeader := req.Header.Clone()
			wantURL := req.URL.String()
			wantHost := req.Host

			resp, err := tr.RoundTrip(req)
			if tc.wantErr {
				require.Error(t, err)
			} else {
				require.NoError(t, err)
				require.NoError(t, resp.Body.Close())
				sent := base.last(t)
				assert.NotSame(t, req, sent)
				assert.Equal(t, "t1", sent.Header.Get("X-Tenant-ID"))
				assert.Equal(t, "application/json", sent.Header.Get("Accept"))
			}
			assert.Equal(t, wantHeader, req.Header)
			assert.Equal(t, wantURL, req.URL.String())
			assert.Equal(t, wantHost, req.Host)
		})
	}
}

func TestTransportNilHeaderMap(t *testing.T) {
	t.Parallel()
	base := &recordingRT{}
	tr := newTestTransport(t, Config{Base: base, Destinations: []Destination{{URL: "https://agent2.internal"}}})
	u, _ := url.Parse("https://agent2.internal/x")
	req := (&http.Request{Method: http.MethodGet, URL: u}).WithContext(tenantctx.NewContext(context.Background(), testTenant("t1", "")))
	resp, err := tr.RoundTrip(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	sent := base.last(t)
	assert.Equal(t, "t1", sent.Header.Get("X-Tenant-ID"))
	assert.Empty(t, sent.Header.Values("X-Tenant-Tier"), "empty tier is omitted")
	assert.Empty(t, sent.Header.Values("Authorization"), "no token source, no Authorization")
	assert.Nil(t, req.Header)
}

func TestTransportErrorPathsCloseBodyOnce(t *testing.T) {
	t.Parallel()
	as := newFakeAS(t)
	boom := errors.New("source down")
	const dest = "https://agent2.internal"
	type tc struct {
		name   string
		dest   Destination
		tenant *tenantctx.Tenant
		url    string
		want   error
	}
	badTier := &tenantctx.Tenant{ID: "t1", Tier: "gold\r\nX-Evil: 1"}
	badID := &tenantctx.Tenant{ID: "t1/../t2"}
	passThrough := StaticTokenSource(&Token{AccessToken: "user-t1", TokenType: "Bearer"})
	cases := []tc{
		{"no tenant", Destination{URL: dest}, nil, dest, tenantctx.ErrNoTenant},
		{"unknown destination", Destination{URL: dest}, testTenant("t1", ""), "https://other.internal/", ErrUnknownDestination},
		{"invalid tenant id", Destination{URL: dest}, badID, dest, tenantctx.ErrInvalidTenantID},
		{"invalid tier", Destination{URL: dest}, badTier, dest, ErrInvalidHeaderValue},
		{"token source error", Destination{URL: dest, TokenSource: errSource{boom}}, testTenant("t1", ""), dest, boom},
		{"pass-through refused", Destination{URL: dest, TokenSource: passThrough}, testTenant("t1", ""), dest, ErrTokenPassThrough},
		{"token with bad charset", Destination{URL: dest, TokenSource: StaticTokenSource(&Token{AccessToken: "a b", TokenType: "Bearer"})}, testTenant("t1", ""), dest, ErrInvalidToken},
		{"token not bearer", Destination{URL: dest, TokenSource: StaticTokenSource(&Token{AccessToken: "abc", TokenType: "DPoP"})}, testTenant("t1", ""), dest, ErrInvalidToken},
		{"nil token", Destination{URL: dest, TokenSource: StaticTokenSource(nil)}, testTenant("t1", ""), dest, ErrInvalidToken},
		{"forward without token", Destination{URL: dest, InsecureForwardUserToken: true}, &tenantctx.Tenant{ID: "t1"}, dest, ErrInvalidToken},
		{"exchange without subject token", Destination{URL: dest, Audience: []string{"a"}, TokenSource: newTestExchangeSource(t, as)}, &tenantctx.Tenant{ID: "t1"}, dest, ErrNoSubjectToken},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			base := &recordingRT{}
			tr := newTestTransport(t, Config{Base: base, Destinations: []Destination{c.dest}})
			body := newCountingBody("payload")
			req, err := http.NewRequestWithContext(tenantctx.NewContext(context.Background(), c.tenant), http.MethodPost, c.url, body)
			require.NoError(t, err)
			resp, err := tr.RoundTrip(req)
			require.ErrorIs(t, err, c.want)
			assert.Nil(t, resp)
			assert.EqualValues(t, 1, body.closes.Load(), "body closed exactly once")
			assert.EqualValues(t, 0, body.reads.Load(), "body never read")
			assert.Empty(t, base.reqs, "nothing sent")
			assert.NotContains(t, err.Error(), "user-t1", "no token in error")
		})
	}
}

func TestTransportSuccessDoesNotCloseBodyItself(t *testing.T) {
	t.Parallel()
	base := &recordingRT{}
	tr := newTestTransport(t, Config{Base: base, Destinations: []Destination{{URL: "https://agent2.internal"}}})
	body := newCountingBody("payload")
	req, err := http.NewRequestWithContext(tenantctx.NewContext(context.Background(), testTenant("t1", "")), http.MethodPost, "https://agent2.internal/", body)
	require.NoError(t, err)
	resp, err := tr.RoundTrip(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.EqualValues(t, 1, body.closes.Load(), "closed once, by the base transport")
}

func TestTransportReturnsHTTPErrorStatuses(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusInternalServerError, http.StatusBadGateway} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			t.Parallel()
			agent2 := newRecorder(t)
			agent2.status = status
			tr := newTestTransport(t, Config{Destinations: []Destination{{URL: agent2.srv.URL}}})
			req, err := http.NewRequestWithContext(tenantctx.NewContext(context.Background(), testTenant("t1", "")), http.MethodGet, agent2.srv.URL, nil)
			require.NoError(t, err)
			resp, err := tr.RoundTrip(req)
			require.NoError(t, err)
			assert.Equal(t, status, resp.StatusCode)
			require.NoError(t, resp.Body.Close())
		})
	}
}

func TestTransportHostGuard(t *testing.T) {
	t.Parallel()
	dests := []Destination{
		{URL: "https://agent2.internal:8443/agents/", TokenSource: StaticTokenSource(&Token{AccessToken: "tok-agents", TokenType: "Bearer"})},
		{URL: "https://agent3.internal", TokenSource: StaticTokenSource(&Token{AccessToken: "tok-3", TokenType: "Bearer"})},
		{URL: "http://127.0.0.1:9999"},
	}
	cases := []struct {
		url      string
		wantAuth string // "" means rejected (or bare)
	}{
		{"https://agent2.internal:8443/agents/x", "Bearer tok-agents"},
		{"https://AGENT2.internal:8443/agents", "Bearer tok-agents"},
		{"https://agent2.internal:8443/agentsX", ""},
		{"https://agent2.internal:8443/agents/../admin", ""},
		{"https://agent2.internal:8443/admin", ""},
		{"https://agent2.internal/agents/x", ""},
		{"http://agent2.internal:8443/agents/x", ""},
		{"https://agent2.internal.evil.example:8443/agents/x", ""},
		{"https://agent2.internal.:8443/agents/x", ""},
		{"https://agent3.internal/x", "Bearer tok-3"},
		{"https://agent3.internal:443/x", "Bearer tok-3"},
		{"https://user:pw@agent3.internal/x", "Bearer tok-3"},
		{"https://agent3.internal:444/x", ""},
		{"http://agent3.internal/x", ""},
		{"http://127.0.0.1:9999/x", ""},
		{"http://127.0.0.1:9998/x", ""},
		{"http://[::1]:9999/x", ""},
	}
	for _, policy := range []UnknownDestinationPolicy{RejectUnknownDestinations, SendBareToUnknownDestinations} {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%d/%s", policy, c.url), func(t *testing.T) {
				t.Parallel()
				base := &recordingRT{}
				tr := newTestTransport(t, Config{Base: base, Destinations: dests, UnknownDestinations: policy})
				req, err := http.NewRequestWithContext(tenantctx.NewContext(tracedContext(t), testTenant("t1", "gold")), http.MethodGet, c.url, nil)
				require.NoError(t, err)
				req.Header.Set("Authorization", "Bearer caller")
				req.Header.Set("X-Tenant-Tier", "spoofed")
				resp, err := tr.RoundTrip(req)
				configured := c.wantAuth != "" || c.url == "http://127.0.0.1:9999/x"
				if !configured && policy == RejectUnknownDestinations {
					require.ErrorIs(t, err, ErrUnknownDestination)
					assert.Empty(t, base.reqs)
					return
				}
				require.NoError(t, err)
				require.NoError(t, resp.Body.Close())
				sent := base.last(t)
				if configured {
					assert.Equal(t, "t1", sent.Header.Get("X-Tenant-ID"))
					assert.Equal(t, c.wantAuth, sent.Header.Get("Authorization"))
					assert.NotEmpty(t, sent.Header.Get("Traceparent"))
					return
				}
				assert.Empty(t, sent.Header.Values("X-Tenant-Id"))
				assert.Empty(t, sent.Header.Values("X-Tenant-Tier"))
				assert.Empty(t, sent.Header.Values("Authorization"))
				assert.Empty(t, sent.Header.Values("Traceparent"))
				assert.Empty(t, sent.Header.Values("Baggage"))
			})
		}
	}
}

func TestTransportHostHeaderOverride(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		host string
		ok   bool
	}{
		{"agent2.internal", true},
		{"AGENT2.internal:443", true},
		{"other.internal", false},
		{"agent2.internal:8443", false},
	} {
		t.Run(c.host, func(t *testing.T) {
			t.Parallel()
			base := &recordingRT{}
			tr := newTestTransport(t, Config{Base: base, Destinations: []Destination{{URL: "https://agent2.internal"}}})
			req, err := http.NewRequestWithContext(tenantctx.NewContext(context.Background(), testTenant("t1", "")), http.MethodGet, "https://agent2.internal/", nil)
			require.NoError(t, err)
			req.Host = c.host
			resp, err := tr.RoundTrip(req)
			if !c.ok {
				require.ErrorIs(t, err, ErrUnknownDestination)
				return
			}
			require.NoError(t, err)
			require.NoError(t, resp.Body.Close())
			assert.Equal(t, "t1", base.last(t).Header.Get("X-Tenant-ID"))
		})
	}
}

func TestTransportRedirectToOtherHostDropsTenantContext(t *testing.T) {
	t.Parallel()
	for _, policy := range []UnknownDestinationPolicy{SendBareToUnknownDestinations, RejectUnknownDestinations} {
		t.Run(fmt.Sprint(policy), func(t *testing.T) {
			t.Parallel()
			as := newFakeAS(t)
			other := newRecorder(t) // a different port on 127.0.0.1: a different origin
			agent2 := newRecorder(t)
			agent2.redirectTo = other.srv.URL + "/landing"
			tr := newTestTransport(t, Config{UnknownDestinations: policy, Destinations: []Destination{{
				URL: agent2.srv.URL, Audience: []string{"agent-2"}, TokenSource: newTestExchangeSource(t, as),
			}}})
			// A permissive CheckRedirect: the guard must not depend on it.
			client := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return nil }}
			req, err := http.NewRequestWithContext(tenantctx.NewContext(context.Background(), testTenant("t1", "gold")), http.MethodGet, agent2.srv.URL+"/start", nil)
			require.NoError(t, err)
			// http.Client copies the caller's headers to the redirected
			// request; a tenant header set by the caller must not survive.
			req.Header.Set("X-Tenant-ID", "t1")
			resp, err := client.Do(req)

			first := agent2.all()
			require.Len(t, first, 1)
			assert.Equal(t, "t1", first[0].tenantID)
			assert.Equal(t, "Bearer xt.user-t1.agent-2.1", first[0].auth)

			second := other.all()
			if policy == RejectUnknownDestinations {
				require.ErrorIs(t, err, ErrUnknownDestination)
				assert.Empty(t, second, "the other host receives nothing")
				return
			}
			require.NoError(t, err)
			require.NoError(t, resp.Body.Close())
			require.Len(t, second, 1)
			assert.Empty(t, second[0].tenantID)
			assert.Empty(t, second[0].lowerTenant)
			assert.Empty(t, second[0].tier)
			assert.Empty(t, second[0].auth)
		})
	}
}

func TestTransportConcurrentTenantsNeverMix(t *testing.T) {
	t.Parallel()
	as := newFakeAS(t)
	var mismatches, served atomic.Int64
	agent2 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		want := r.Header.Get("X-Expect")
		tier := r.Header.Get("X-Tenant-Tier")
		auth := r.Header.Get("Authorization")
		if r.Header.Get("X-Tenant-ID") != want || tier != "tier-"+want ||
			!strings.HasPrefix(auth, "Bearer xt.user-"+want+".agent-2.") ||
			len(r.Header.Values("X-Tenant-Id")) != 1 || len(r.Header.Values("Authorization")) != 1 {
			mismatches.Add(1)
		}
	}))
	t.Cleanup(agent2.Close)
	tr := newTestTransport(t, Config{Destinations: []Destination{{
		URL: agent2.URL, Audience: []string{"agent-2"}, TokenSource: newTestExchangeSource(t, as),
	}}})
	client := &http.Client{Transport: tr}

	const goroutines, perG = 32, 20
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*perG)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perG {
				id := fmt.Sprintf("t%d", (g+i)%8)
				tn := &tenantctx.Tenant{ID: id, Tier: "tier-" + id}
				ctx := tenantctx.NewContext(context.Background(), tn.WithToken("user-"+id, nil))
				req, err := http.NewRequestWithContext(ctx, http.MethodGet, agent2.URL, nil)
				if err != nil {
					errs <- err
					return
				}
				req.Header.Set("X-Expect", id)
				resp, err := client.Do(req)
				if err != nil {
					errs <- err
					return
				}
				_ = resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.EqualValues(t, goroutines*perG, served.Load())
	assert.Zero(t, mismatches.Load(), "a request carried another tenant's header or token")
	assert.LessOrEqual(t, as.calls.Load(), int64(8), "one exchange per tenant, then cached")
}

func TestTransportTenantLess(t *testing.T) {
	t.Parallel()
	as := newFakeAS(t)
	cc, err := NewClientCredentialsSource(newTestClient(t, as), ClientCredentialsConfig{})
	require.NoError(t, err)
	base := &recordingRT{}
	tr := newTestTransport(t, Config{Base: base, Destinations: []Destination{{
		URL: "https://registry.internal", Audience: []string{"registry"}, TokenSource: cc, TenantLess: true,
	}}})
	for _, tn := range []*tenantctx.Tenant{nil, testTenant("t1", "gold")} {
		req, err := http.NewRequestWithContext(tenantctx.NewContext(context.Background(), tn), http.MethodGet, "https://registry.internal/models", nil)
		require.NoError(t, err)
		req.Header.Set("X-Tenant-ID", "t1")
		resp, err := tr.RoundTrip(req)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		sent := base.last(t)
		assert.Empty(t, sent.Header.Values("X-Tenant-Id"), "tenant-less destinations get no tenant header")
		assert.Equal(t, "Bearer cc.agent-1.1", sent.Header.Get("Authorization"))
	}
	form, _ := as.lastRequest(t)
	assert.Equal(t, "client_credentials", form.Get("grant_type"))
	assert.Equal(t, []string{"registry"}, form["audience"])
	assert.EqualValues(t, 1, as.calls.Load(), "client-credentials token cached")
}

func TestTransportInsecureForwardUserToken(t *testing.T) {
	t.Parallel()
	base := &recordingRT{}
	tr := newTestTransport(t, Config{Base: base, Destinations: []Destination{{URL: "https://legacy.internal", InsecureForwardUserToken: true}}})
	req, err := http.NewRequestWithContext(tenantctx.NewContext(context.Background(), testTenant("t1", "")), http.MethodGet, "https://legacy.internal/", nil)
	require.NoError(t, err)
	resp, err := tr.RoundTrip(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, "Bearer user-t1", base.last(t).Header.Get("Authorization"))
}

func TestTransportCustomHeaders(t *testing.T) {
	t.Parallel()
	base := &recordingRT{}
	tr := newTestTransport(t, Config{Base: base, Destinations: []Destination{{URL: "https://agent2.internal"}},
		TenantHeaders: []TenantHeader{{Name: "x-org", Field: FieldTenantID}, {Name: "X-Org-Region", Field: FieldRegion}}})
	tn := &tenantctx.Tenant{ID: "t1", Tier: "gold", Region: "eu-west-1"}
	req, err := http.NewRequestWithContext(tenantctx.NewContext(context.Background(), tn), http.MethodGet, "https://agent2.internal/", nil)
	require.NoError(t, err)
	resp, err := tr.RoundTrip(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	sent := base.last(t)
	assert.Equal(t, "t1", sent.Header.Get("X-Org"))
	assert.Equal(t, "eu-west-1", sent.Header.Get("X-Org-Region"))
	assert.Empty(t, sent.Header.Values("X-Tenant-Id"))
	assert.Empty(t, sent.Header.Values("X-Tenant-Tier"))
}

func TestNewTransportRejectsBadConfig(t *testing.T) {
	t.Parallel()
	as := newFakeAS(t)
	xs := newTestExchangeSource(t, as)
	ok := Destination{URL: "https://agent2.internal"}
	cases := []struct {
		name string
		cfg  Config
	}{
		{"no destinations", Config{}},
		{"http destination", Config{Destinations: []Destination{{URL: "http://agent2.internal"}}}},
		{"loopback http without flag", Config{Destinations: []Destination{{URL: "http://127.0.0.1:8080"}}}},
		{"ftp destination", Config{Destinations: []Destination{{URL: "ftp://agent2.internal"}}}},
		{"relative URL", Config{Destinations: []Destination{{URL: "/agents"}}}},
		{"user info", Config{Destinations: []Destination{{URL: "https://u:p@agent2.internal"}}}},
		{"query", Config{Destinations: []Destination{{URL: "https://agent2.internal/?a=b"}}}},
		{"fragment", Config{Destinations: []Destination{{URL: "https://agent2.internal/#x"}}}},
		{"dot segments", Config{Destinations: []Destination{{URL: "https://agent2.internal/a/../b/"}}}},
		{"duplicate", Config{Destinations: []Destination{ok, {URL: "https://AGENT2.internal:443/"}}}},
		{"exchange without audience", Config{Destinations: []Destination{{URL: "https://agent2.internal", TokenSource: xs}}}},
		{"exchange on tenant-less", Config{Destinations: []Destination{{URL: "https://agent2.internal", Audience: []string{"a"}, TokenSource: xs, TenantLess: true}}}},
		{"forward and source", Config{Destinations: []Destination{{URL: "https://agent2.internal", TokenSource: xs, Audience: []string{"a"}, InsecureForwardUserToken: true}}}},
		{"forward tenant-less", Config{Destinations: []Destination{{URL: "https://agent2.internal", TenantLess: true, InsecureForwardUserToken: true}}}},
		{"bad scope", Config{Destinations: []Destination{{URL: "https://agent2.internal", Scope: []string{"a b"}}}}},
		{"bad resource", Config{Destinations: []Destination{{URL: "https://agent2.internal", Resource: []string{"relative"}}}}},
		{"reserved header", Config{Destinations: []Destination{ok}, TenantHeaders: []TenantHeader{{Name: "Authorization", Field: FieldTenantID}}}},
		{"propagator header", Config{Destinations: []Destination{ok}, TenantHeaders: []TenantHeader{{Name: "traceparent", Field: FieldTenantID}}}},
		{"invalid header name", Config{Destinations: []Destination{ok}, TenantHeaders: []TenantHeader{{Name: "X Tenant", Field: FieldTenantID}}}},
		{"repeated header", Config{Destinations: []Destination{ok}, TenantHeaders: []TenantHeader{{Name: "X-T", Field: FieldTenantID}, {Name: "x-t", Field: FieldTier}}}},
		{"unknown field", Config{Destinations: []Destination{ok}, TenantHeaders: []TenantHeader{{Name: "X-T", Field: 9}}}},
		{"unknown policy", Config{Destinations: []Destination{ok}, UnknownDestinations: 7}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.cfg.Propagator = testPropagator
			_, err := NewTransport(c.cfg)
			require.ErrorIs(t, err, ErrInvalidConfig)
		})
	}
}

func TestTransportDefaultPropagatorResolvedAtConstruction(t *testing.T) {
	// Not parallel: reads the otel global.
	tr, err := NewTransport(Config{Destinations: []Destination{{URL: "https://agent2.internal"}}})
	require.NoError(t, err)
	assert.NotNil(t, tr.prop)
}

type idleRT struct {
	recordingRT
	closed atomic.Int64
}

func (rt *idleRT) CloseIdleConnections() { rt.closed.Add(1) }

func TestTransportCloseIdleConnections(t *testing.T) {
	t.Parallel()
	base := &idleRT{}
	tr := newTestTransport(t, Config{Base: base, Destinations: []Destination{{URL: "https://agent2.internal"}}})
	(&http.Client{Transport: tr}).CloseIdleConnections()
	assert.EqualValues(t, 1, base.closed.Load())
	// A base without the method is fine.
	newTestTransport(t, Config{Base: &recordingRT{}, Destinations: []Destination{{URL: "https://agent2.internal"}}}).CloseIdleConnections()
}
