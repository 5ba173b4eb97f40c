package a2a_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/propagation"

	"github.com/tenantkit/tenantkit/a2a"
	"github.com/tenantkit/tenantkit/tenantctx"
	"github.com/tenantkit/tenantkit/tenantctx/tenanttest"
)

// delegatingAS is a hand-written RFC 8693 authorization server on top of
// tenanttest.Issuer: it verifies the subject token with tenantctx, maps
// the actor token to the agent it belongs to, and mints a token for the
// requested audience whose "act" claim names the agent, followed by any
// actors already in the subject token.
type delegatingAS struct {
	tb      testing.TB
	iss     *tenanttest.Issuer
	subject *tenantctx.Verifier
	srv     *httptest.Server
	// clients maps client id to secret; actors maps actor token to agent.
	clients map[string]string
	actors  map[string]string
}

func newDelegatingAS(tb testing.TB, iss *tenanttest.Issuer, audiences ...string) *delegatingAS {
	as := &delegatingAS{
		tb:      tb,
		iss:     iss,
		subject: iss.Verifier(tb, func(c *tenantctx.Config) { c.Audiences = audiences }),
		clients: map[string]string{"agent-1": "secret-1", "agent-2": "secret-2"},
		actors:  map[string]string{"cred-agent-1": "agent-1", "cred-agent-2": "agent-2"},
	}
	as.srv = httptest.NewServer(http.HandlerFunc(as.token))
	tb.Cleanup(as.srv.Close)
	return as
}

func (as *delegatingAS) fail(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code})
}

func (as *delegatingAS) token(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if !ok || as.clients[id] == "" || as.clients[id] != secret {
		as.fail(w, http.StatusUnauthorized, "invalid_client")
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != a2a.GrantTypeTokenExchange {
		as.fail(w, http.StatusBadRequest, "unsupported_grant_type")
		return
	}
	f := r.PostForm
	subj, err := as.subject.VerifyToken(r.Context(), f.Get("subject_token"))
	if err != nil || f.Get("subject_token_type") != a2a.TokenTypeAccessToken {
		as.fail(w, http.StatusBadRequest, "invalid_grant")
		return
	}
	agent := as.actors[f.Get("actor_token")]
	if agent == "" || agent != id || f.Get("actor_token_type") != a2a.TokenTypeAccessToken {
		as.fail(w, http.StatusBadRequest, "invalid_grant")
		return
	}
	if len(f["audience"]) != 1 {
		as.fail(w, http.StatusBadRequest, "invalid_target")
		return
	}
	exp := time.Now().Add(5 * time.Minute)
	if subj.ExpiresAt.Before(exp) {
		exp = subj.ExpiresAt
	}
	actors := append([]tenantctx.Actor{{Subject: agent, ClientID: id}}, subj.DelegationChain()...)
	tok := as.iss.Mint(as.tb, tenanttest.Claims{
		Tenant: subj.ID, Tier: subj.Tier, Subject: subj.Subject,
		Audience: f["audience"], Actors: actors, ExpiresAt: exp,
	})
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"access_token": tok, "issued_token_type": a2a.TokenTypeAccessToken,
		"token_type": "Bearer", "expires_in": int(time.Until(exp).Seconds()),
	})
}

// agentTransport builds the outbound transport of one agent.
func agentTransport(tb testing.TB, as *delegatingAS, agent, secret, cred, destURL, destAud string) *a2a.Transport {
	tb.Helper()
	client, err := a2a.NewTokenClient(a2a.TokenClientConfig{
		TokenURL: as.srv.URL + "/token", ClientID: agent, ClientSecret: secret, InsecureAllowLoopbackHTTP: true,
	})
	require.NoError(tb, err)
	xs, err := a2a.NewExchangeSource(client, a2a.ExchangeSourceConfig{
		Actor:   a2a.StaticTokenSource(&a2a.Token{AccessToken: cred, TokenType: "Bearer"}),
		ActorID: agent,
	})
	require.NoError(tb, err)
	tr, err := a2a.NewTransport(a2a.Config{
		Destinations:              []a2a.Destination{{URL: destURL, Audience: []string{destAud}, TokenSource: xs}},
		Propagator:                propagation.TraceContext{},
		InsecureAllowLoopbackHTTP: true,
	})
	require.NoError(tb, err)
	return tr
}

// agentServer runs handler behind tenantctx.Middleware for audience aud
// and records every authentication failure.
type agentServer struct {
	srv    *httptest.Server
	mu     sync.Mutex
	errs   []error
	tenant []*tenantctx.Tenant
}

func newAgentServer(tb testing.TB, iss *tenanttest.Issuer, aud string, next func(w http.ResponseWriter, r *http.Request)) *agentServer {
	a := &agentServer{}
	v := iss.Verifier(tb, func(c *tenantctx.Config) { c.Audiences = []string{aud} })
	mw := tenantctx.Middleware(v, tenantctx.WithErrorHandler(func(w http.ResponseWriter, r *http.Request, err error) {
		a.mu.Lock()
		a.errs = append(a.errs, err)
		a.mu.Unlock()
		tenantctx.WriteError(w, r, err)
	}))
	a.srv = httptest.NewServer(mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := tenantctx.FromContext(r.Context())
		a.mu.Lock()
		a.tenant = append(a.tenant, t)
		a.mu.Unlock()
		if next != nil {
			next(w, r)
		}
	})))
	tb.Cleanup(a.srv.Close)
	return a
}

func (a *agentServer) snapshot() ([]*tenantctx.Tenant, []error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.tenant), slices.Clone(a.errs)
}

func TestEndToEndDelegationChainAcrossThreeAgents(t *testing.T) {
	t.Parallel()
	iss := tenanttest.NewIssuer(t)
	as := newDelegatingAS(t, iss, "agent-1", "agent-2")

	agent3 := newAgentServer(t, iss, "agent-3", nil)
	tr2 := agentTransport(t, as, "agent-2", "secret-2", "cred-agent-2", agent3.srv.URL, "agent-3")
	agent2 := newAgentServer(t, iss, "agent-2", func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, agent3.srv.URL+"/work", nil)
		resp, err := (&http.Client{Transport: tr2}).Do(req)
		if err != nil {
			http.Error(w, "hop failed", http.StatusBadGateway)
			return
		}
		_ = resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
	})
	tr1 := agentTransport(t, as, "agent-1", "secret-1", "cred-agent-1", agent2.srv.URL, "agent-2")
	agent1 := newAgentServer(t, iss, "agent-1", func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, agent2.srv.URL+"/task", nil)
		resp, err := (&http.Client{Transport: tr1}).Do(req)
		if err != nil {
			http.Error(w, "hop failed", http.StatusBadGateway)
			return
		}
		_ = resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
	})

	userTok := iss.Mint(t, tenanttest.Claims{Tenant: "acme", Tier: "gold", Subject: "alice", Audience: []string{"agent-1"}})
	req, _ := http.NewRequest(http.MethodGet, agent1.srv.URL+"/chat", nil)
	req.Header.Set("Authorization", "Bearer "+userTok)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusOK, resp.StatusCode)

	got2, errs2 := agent2.snapshot()
	require.Empty(t, errs2)
	require.Len(t, got2, 1)
	assert.Equal(t, "acme", got2[0].ID)
	assert.Equal(t, "gold", got2[0].Tier)
	assert.Equal(t, "alice", got2[0].Subject, "the user stays the subject: delegation, not impersonation")
	assert.Equal(t, []string{"agent-2"}, got2[0].Audience)
	assert.Equal(t, []tenantctx.Actor{{Subject: "agent-1", ClientID: "agent-1"}}, got2[0].DelegationChain())
	assert.NotEqual(t, userTok, got2[0].Token())

	got3, errs3 := agent3.snapshot()
	require.Empty(t, errs3)
	require.Len(t, got3, 1)
	assert.Equal(t, "acme", got3[0].ID)
	assert.Equal(t, "alice", got3[0].Subject)
	assert.Equal(t, []tenantctx.Actor{
		{Subject: "agent-2", ClientID: "agent-2"},
		{Subject: "agent-1", ClientID: "agent-1"},
	}, got3[0].DelegationChain())
}

func TestEndToEndTenantHeaderDisagreeingWithTokenIsRejected(t *testing.T) {
	t.Parallel()
	iss := tenanttest.NewIssuer(t)
	as := newDelegatingAS(t, iss, "agent-1")
	agent2 := newAgentServer(t, iss, "agent-2", nil)
	tr := agentTransport(t, as, "agent-1", "secret-1", "cred-agent-1", agent2.srv.URL, "agent-2")

	// A buggy or malicious agent puts tenant "acme" in the context but
	// holds a token of tenant "globex": the exchanged token says globex,
	// the header says acme, and the next hop refuses the request.
	globexTok := iss.Mint(t, tenanttest.Claims{Tenant: "globex", Subject: "mallory", Audience: []string{"agent-1"}})
	confused := (&tenantctx.Tenant{ID: "acme", Subject: "mallory", ExpiresAt: time.Now().Add(time.Hour)}).WithToken(globexTok, nil)
	req, _ := http.NewRequestWithContext(tenantctx.NewContext(context.Background(), confused), http.MethodGet, agent2.srv.URL, nil)
	resp, err := (&http.Client{Transport: tr}).Do(req)
	require.NoError(t, err, "a 4xx is a response, not a transport error")
	require.NoError(t, resp.Body.Close())
	assert.Contains(t, []int{http.StatusUnauthorized, http.StatusForbidden}, resp.StatusCode)

	tenants, errs := agent2.snapshot()
	assert.Empty(t, tenants, "the handler never ran")
	require.Len(t, errs, 1)
	assert.True(t, errors.Is(errs[0], tenantctx.ErrTenantMismatch), "got %v", errs[0])
}

func TestEndToEndForwardedUserTokenFailsAudienceCheck(t *testing.T) {
	t.Parallel()
	iss := tenanttest.NewIssuer(t)
	agent2 := newAgentServer(t, iss, "agent-2", nil)
	tr, err := a2a.NewTransport(a2a.Config{
		Destinations:              []a2a.Destination{{URL: agent2.srv.URL, InsecureForwardUserToken: true}},
		InsecureAllowLoopbackHTTP: true,
	})
	require.NoError(t, err)
	userTok := iss.Mint(t, tenanttest.Claims{Tenant: "acme", Subject: "alice", Audience: []string{"agent-1"}})
	inbound, err := iss.Verifier(t, func(c *tenantctx.Config) { c.Audiences = []string{"agent-1"} }).VerifyToken(context.Background(), userTok)
	require.NoError(t, err)
	req, _ := http.NewRequestWithContext(tenantctx.NewContext(context.Background(), inbound), http.MethodGet, agent2.srv.URL, nil)
	resp, err := (&http.Client{Transport: tr}).Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	_, errs := agent2.snapshot()
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], tenantctx.ErrInvalidAudience)
}
