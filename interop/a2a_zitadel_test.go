package interop

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/tenantkit/tenantkit/a2a"
	"github.com/tenantkit/tenantkit/tenantctx"
	"github.com/tenantkit/tenantkit/tenantctx/tenanttest"
)

// zitadelOP runs the real github.com/zitadel/oidc/v3/pkg/op provider
// in-process on 127.0.0.1, with token exchange enabled through opStorage.
type zitadelOP struct {
	issuer  string
	storage *opStorage
}

func (o *zitadelOP) tokenURL() string { return o.issuer + "/oauth/token" }

func startZitadelOP(t *testing.T, userIdP *tenanttest.Issuer, audiences []string, clients ...*opClient) *zitadelOP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	issuer := "http://" + ln.Addr().String()

	// The OP accepts user tokens of the edge IdP, for the calling agent.
	subject := userIdP.Verifier(t, func(c *tenantctx.Config) { c.Audiences = []string{"agent-1"} })
	storage, err := newOPStorage(subject, audiences, clients...)
	require.NoError(t, err)
	var cryptoKey [32]byte
	copy(cryptoKey[:], "interop-test-crypto-key-32-bytes")
	provider, err := op.NewProvider(&op.Config{CryptoKey: cryptoKey}, storage, op.StaticIssuer(issuer), op.WithAllowInsecure())
	require.NoError(t, err)

	srv := httptest.NewUnstartedServer(provider)
	require.NoError(t, srv.Listener.Close())
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return &zitadelOP{issuer: issuer, storage: storage}
}

// agent2Verifier is the next hop's tenantctx verifier for tokens issued by
// the zitadel OP. zitadel signs access tokens with the JOSE header
// "typ":"JWT" (op.SignerFromKey), not RFC 9068 "at+jwt", so the verifier
// accepts exactly "JWT" here.
func agent2Verifier(t *testing.T, zop *zitadelOP) *tenantctx.Verifier {
	t.Helper()
	v, err := tenantctx.NewVerifier(tenantctx.Config{
		Issuers:   []tenantctx.IssuerConfig{{Issuer: zop.issuer, JWKSURLs: []string{zop.issuer + "/keys"}}},
		Audiences: []string{"agent-2"},
		Types:     []string{"JWT"},
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = v.Close() })
	return v
}

func agentClient(t *testing.T, zop *zitadelOP, id, secret string, style a2a.AuthStyle) *a2a.TokenClient {
	t.Helper()
	c, err := a2a.NewTokenClient(a2a.TokenClientConfig{
		TokenURL: zop.tokenURL(), ClientID: id, ClientSecret: secret, AuthStyle: style,
		InsecureAllowLoopbackHTTP: true,
	})
	require.NoError(t, err)
	return c
}

// userTenant mints a user token at the edge IdP and verifies it as agent 1
// would, giving the Tenant that agent 1 finds in its request context.
func userTenant(t *testing.T, idp *tenanttest.Issuer, claims tenanttest.Claims) *tenantctx.Tenant {
	t.Helper()
	raw := idp.Mint(t, claims)
	tn, err := idp.Verifier(t, func(c *tenantctx.Config) { c.Audiences = []string{"agent-1"} }).VerifyToken(context.Background(), raw)
	require.NoError(t, err)
	return tn
}

func jwtPart(t *testing.T, tok string, i int) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	require.Len(t, parts, 3)
	b, err := base64.RawURLEncoding.DecodeString(parts[i])
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	return m
}

func TestZitadelTokenExchangeIssuesActClaim(t *testing.T) {
	t.Parallel()
	idp := tenanttest.NewIssuer(t)
	zop := startZitadelOP(t, idp, []string{"agent-2"}, &opClient{id: "agent-1", secret: "agent-1-secret"})
	client := agentClient(t, zop, "agent-1", "agent-1-secret", a2a.AuthStyleBasic)
	ctx := context.Background()

	// The agent's own credential: a client-credentials token from the OP.
	actorTok, err := client.ClientCredentials(ctx, a2a.ClientCredentialsRequest{})
	require.NoError(t, err)
	assert.Equal(t, "Bearer", actorTok.TokenType)
	assert.False(t, actorTok.Expiry.IsZero())

	user := userTenant(t, idp, tenanttest.Claims{Tenant: "acme", Tier: "gold", Subject: "alice", Audience: []string{"agent-1"}})
	tok, err := client.Exchange(ctx, a2a.ExchangeRequest{
		SubjectToken:       user.Token(),
		SubjectTokenType:   a2a.TokenTypeAccessToken,
		ActorToken:         actorTok.AccessToken,
		ActorTokenType:     a2a.TokenTypeAccessToken,
		Audience:           []string{"agent-2"},
		RequestedTokenType: a2a.TokenTypeAccessToken,
	})
	require.NoError(t, err)
	assert.Equal(t, a2a.TokenTypeAccessToken, tok.IssuedTokenType)
	assert.Equal(t, "Bearer", tok.TokenType)
	assert.False(t, tok.Expiry.IsZero())

	header, claims := jwtPart(t, tok.AccessToken, 0), jwtPart(t, tok.AccessToken, 1)
	assert.Equal(t, "JWT", header["typ"], "zitadel's access-token typ")
	assert.Equal(t, "alice", claims["sub"], "the user stays the subject")
	assert.Equal(t, zop.issuer, claims["iss"])
	assert.Equal(t, []any{"agent-2"}, claims["aud"])
	assert.Equal(t, "acme", claims["tenant_id"])
	assert.Equal(t, map[string]any{"sub": "agent-1", "client_id": "agent-1"}, claims["act"], "act names the agent")

	// The next hop's tenantctx verifier accepts the token and sees the chain.
	tn, err := agent2Verifier(t, zop).VerifyToken(ctx, tok.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, "acme", tn.ID)
	assert.Equal(t, "gold", tn.Tier)
	assert.Equal(t, "alice", tn.Subject)
	assert.Equal(t, []tenantctx.Actor{{Subject: "agent-1", ClientID: "agent-1"}}, tn.DelegationChain())

	// The default tenantctx type policy (RFC 9068 "at+jwt") rejects it:
	// the typ setting above is required, not decorative.
	strict, err := tenantctx.NewVerifier(tenantctx.Config{
		Issuers:   []tenantctx.IssuerConfig{{Issuer: zop.issuer, JWKSURLs: []string{zop.issuer + "/keys"}}},
		Audiences: []string{"agent-2"},
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = strict.Close() })
	_, err = strict.VerifyToken(ctx, tok.AccessToken)
	require.ErrorIs(t, err, tenantctx.ErrInvalidType)
}

func TestZitadelThroughTransport(t *testing.T) {
	t.Parallel()
	idp := tenanttest.NewIssuer(t)
	zop := startZitadelOP(t, idp, []string{"agent-2"}, &opClient{id: "agent-1", secret: "agent-1-secret"})
	client := agentClient(t, zop, "agent-1", "agent-1-secret", a2a.AuthStyleBasic)
	actor, err := a2a.NewClientCredentialsSource(client, a2a.ClientCredentialsConfig{})
	require.NoError(t, err)
	xs, err := a2a.NewExchangeSource(client, a2a.ExchangeSourceConfig{Actor: actor})
	require.NoError(t, err)

	var mu sync.Mutex
	var seen []*tenantctx.Tenant
	var failures []error
	mw := tenantctx.Middleware(agent2Verifier(t, zop), tenantctx.WithErrorHandler(func(w http.ResponseWriter, r *http.Request, err error) {
		mu.Lock()
		failures = append(failures, err)
		mu.Unlock()
		tenantctx.WriteError(w, r, err)
	}))
	agent2 := httptest.NewServer(mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tn, _ := tenantctx.FromContext(r.Context())
		mu.Lock()
		seen = append(seen, tn)
		mu.Unlock()
	})))
	t.Cleanup(agent2.Close)

	tr, err := a2a.NewTransport(a2a.Config{
		Destinations:              []a2a.Destination{{URL: agent2.URL, Audience: []string{"agent-2"}, TokenSource: xs}},
		InsecureAllowLoopbackHTTP: true,
	})
	require.NoError(t, err)
	httpClient := &http.Client{Transport: tr}

	call := func(tn *tenantctx.Tenant) int {
		req, err := http.NewRequestWithContext(tenantctx.NewContext(context.Background(), tn), http.MethodGet, agent2.URL+"/task", nil)
		require.NoError(t, err)
		resp, err := httpClient.Do(req)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		return resp.StatusCode
	}

	alice := userTenant(t, idp, tenanttest.Claims{Tenant: "acme", Tier: "gold", Subject: "alice", Audience: []string{"agent-1"}})
	bob := userTenant(t, idp, tenanttest.Claims{Tenant: "globex", Subject: "bob", Audience: []string{"agent-1"}})
	require.Equal(t, http.StatusOK, call(alice))
	require.Equal(t, http.StatusOK, call(bob))
	require.Equal(t, http.StatusOK, call(alice)) // served from the exchange cache

	// Header says acme, token (exchanged from bob's) says globex: refused.
	confused := (&tenantctx.Tenant{ID: "acme", ExpiresAt: bob.ExpiresAt}).WithToken(bob.Token(), nil)
	status := call(confused)
	assert.Contains(t, []int{http.StatusUnauthorized, http.StatusForbidden}, status)

	mu.Lock()
	defer mu.Unlock()
	require.Len(t, seen, 3)
	assert.Equal(t, "acme", seen[0].ID)
	assert.Equal(t, "alice", seen[0].Subject)
	assert.Equal(t, "globex", seen[1].ID)
	assert.Equal(t, "bob", seen[1].Subject)
	for _, tn := range seen {
		assert.Equal(t, []tenantctx.Actor{{Subject: "agent-1", ClientID: "agent-1"}}, tn.DelegationChain())
	}
	require.Len(t, failures, 1)
	assert.ErrorIs(t, failures[0], tenantctx.ErrTenantMismatch)

	zop.storage.mu.Lock()
	defer zop.storage.mu.Unlock()
	// alice once (the second call hit the cache), bob once (the confused
	// call has bob's subject token, so it reuses bob's exchanged token).
	assert.Len(t, zop.storage.exchanges, 2)
}

func TestZitadelErrors(t *testing.T) {
	t.Parallel()
	idp := tenanttest.NewIssuer(t)
	zop := startZitadelOP(t, idp, []string{"agent-2"},
		&opClient{id: "agent-1", secret: "agent-1-secret"}, &opClient{id: "agent-9", secret: "agent-9-secret"})
	ctx := context.Background()
	good := agentClient(t, zop, "agent-1", "agent-1-secret", a2a.AuthStyleBasic)
	actorTok, err := good.ClientCredentials(ctx, a2a.ClientCredentialsRequest{})
	require.NoError(t, err)
	user := userTenant(t, idp, tenanttest.Claims{Tenant: "acme", Subject: "alice", Audience: []string{"agent-1"}})
	otherAudience := idp.Mint(t, tenanttest.Claims{Tenant: "acme", Subject: "alice", Audience: []string{"somewhere-else"}})
	agent9 := agentClient(t, zop, "agent-9", "agent-9-secret", a2a.AuthStyleBasic)

	cases := []struct {
		name   string
		client *a2a.TokenClient
		req    a2a.ExchangeRequest
		code   string
	}{
		{"wrong client secret", agentClient(t, zop, "agent-1", "wrong", a2a.AuthStyleBasic),
			a2a.ExchangeRequest{SubjectToken: user.Token(), ActorToken: actorTok.AccessToken, Audience: []string{"agent-2"}}, "invalid_client"},
		{"subject token for another audience", good,
			a2a.ExchangeRequest{SubjectToken: otherAudience, ActorToken: actorTok.AccessToken, Audience: []string{"agent-2"}}, "invalid_request"},
		{"no actor (impersonation refused)", good,
			a2a.ExchangeRequest{SubjectToken: user.Token(), Audience: []string{"agent-2"}}, "invalid_request"},
		{"actor token of another client", agent9,
			a2a.ExchangeRequest{SubjectToken: user.Token(), ActorToken: actorTok.AccessToken, Audience: []string{"agent-2"}}, "invalid_request"},
		{"audience not allowed", good,
			a2a.ExchangeRequest{SubjectToken: user.Token(), ActorToken: actorTok.AccessToken, Audience: []string{"billing"}}, "invalid_target"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := c.client.Exchange(ctx, c.req)
			var xe *a2a.ExchangeError
			require.ErrorAs(t, err, &xe)
			assert.Equal(t, c.code, xe.Code)
			assert.GreaterOrEqual(t, xe.StatusCode, 400)
			assert.NotContains(t, err.Error(), user.Token())
			assert.NotContains(t, err.Error(), actorTok.AccessToken)
		})
	}
}

func TestZitadelClientCredentialsPostAuth(t *testing.T) {
	t.Parallel()
	idp := tenanttest.NewIssuer(t)
	zop := startZitadelOP(t, idp, []string{"agent-2"}, &opClient{id: "agent-1", secret: "agent-1-secret"})
	tok, err := agentClient(t, zop, "agent-1", "agent-1-secret", a2a.AuthStylePost).ClientCredentials(context.Background(), a2a.ClientCredentialsRequest{Scope: []string{"agents"}})
	require.NoError(t, err)
	assert.Equal(t, "agent-1", jwtPart(t, tok.AccessToken, 1)["sub"])
}
