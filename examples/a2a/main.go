// Command a2a demonstrates zero-trust tenant propagation between two
// agents, entirely on 127.0.0.1:
//
//   - an in-process authorization server signs user tokens, client-
//     credentials tokens and RFC 8693 token exchanges (act-on-behalf);
//   - agent 1 verifies the user's token with tenantctx and calls agent 2
//     through an a2a.Transport, which exchanges the user's token for one
//     bound to agent 2 with an "act" claim naming agent 1;
//   - agent 2 verifies that token with tenantctx and prints the tenant and
//     the delegation chain.
//
// It then checks the isolation guarantees (no tenant mixing, no foreign
// hosts, no redirect leaks, header/token binding, no token pass-through)
// and exits with status 1 if any of them fails.
//
//	go run ./examples/a2a
package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tenantkit/tenantkit/a2a"
	"github.com/tenantkit/tenantkit/tenantctx"
)

const (
	issuer      = "https://as.example.test"
	keyID       = "example-key-1"
	agentID     = "agent-1"
	agentSecret = "agent-1-secret"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		os.Exit(1)
	}
	fmt.Println("all isolation checks passed")
}

// authServer is the in-process authorization server.
type authServer struct {
	key *rsa.PrivateKey
	// userTokens verifies subject tokens: user tokens issued for agent 1.
	userTokens *tenantctx.Verifier
}

func (as *authServer) mint(claims jwt.MapClaims) string {
	now := time.Now()
	claims["iss"] = issuer
	claims["iat"] = now.Unix()
	if _, ok := claims["exp"]; !ok {
		claims["exp"] = now.Add(10 * time.Minute).Unix()
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["typ"] = "at+jwt"
	tok.Header["kid"] = keyID
	s, err := tok.SignedString(as.key)
	if err != nil {
		panic(err) // a fresh RSA key always signs
	}
	return s
}

func (as *authServer) oauthError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code})
}

func (as *authServer) token(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if !ok || id != agentID || secret != agentSecret {
		as.oauthError(w, http.StatusUnauthorized, "invalid_client")
		return
	}
	if err := r.ParseForm(); err != nil {
		as.oauthError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	f := r.PostForm
	resp := map[string]any{"token_type": "Bearer", "expires_in": 300}
	switch f.Get("grant_type") {
	case "client_credentials":
		// The agent's own identity token, audience: this server.
		resp["access_token"] = as.mint(jwt.MapClaims{"sub": id, "client_id": id, "aud": issuer})
	case a2a.GrantTypeTokenExchange:
		user, err := as.userTokens.VerifyToken(r.Context(), f.Get("subject_token"))
		if err != nil {
			as.oauthError(w, http.StatusBadRequest, "invalid_grant")
			return
		}
		actor, err := as.verifyActor(f.Get("actor_token"))
		if err != nil || actor != id {
			as.oauthError(w, http.StatusBadRequest, "invalid_grant")
			return
		}
		if aud := f["audience"]; len(aud) != 1 || aud[0] != "agent-2" {
			as.oauthError(w, http.StatusBadRequest, "invalid_target")
			return
		}
		resp["access_token"] = as.mint(jwt.MapClaims{
			"sub": user.Subject, "tenant_id": user.ID, "tier": user.Tier,
			"aud": "agent-2", "exp": user.ExpiresAt.Unix(), // never outlive the user's token
			"act": map[string]any{"sub": actor, "client_id": id},
		})
		resp["issued_token_type"] = a2a.TokenTypeAccessToken
	default:
		as.oauthError(w, http.StatusBadRequest, "unsupported_grant_type")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}

// verifyActor checks an agent's own token (issued by this server for this
// server) and returns its subject.
func (as *authServer) verifyActor(raw string) (string, error) {
	tok, err := jwt.Parse(raw, func(*jwt.Token) (any, error) { return &as.key.PublicKey, nil },
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(issuer), jwt.WithAudience(issuer), jwt.WithExpirationRequired())
	if err != nil {
		return "", err
	}
	return tok.Claims.GetSubject()
}

// serve runs h on a fresh 127.0.0.1 port.
func serve(h http.Handler) (url string, stop func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }
}

func verifier(key *rsa.PrivateKey, audience string) (*tenantctx.Verifier, error) {
	return tenantctx.NewVerifier(tenantctx.Config{
		Issuers: []tenantctx.IssuerConfig{{Issuer: issuer, Keys: []tenantctx.StaticKey{
			{ID: keyID, Algorithm: "RS256", Key: &key.PublicKey},
		}}},
		Audiences: []string{audience},
	})
}

// observation is what agent 2 saw for one request.
type observation struct {
	Tenant, Tier, Subject string
	Chain                 []string
}

func run() error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	forAgent1, err := verifier(key, "agent-1")
	if err != nil {
		return err
	}
	forAgent2, err := verifier(key, "agent-2")
	if err != nil {
		return err
	}
	as := &authServer{key: key, userTokens: forAgent1}
	asURL, stopAS := serve(http.HandlerFunc(as.token))
	defer stopAS()

	// A host no agent is configured for, counting what reaches it.
	var foreignHits atomic.Int64
	foreignURL, stopForeign := serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		foreignHits.Add(1)
	}))
	defer stopForeign()

	// Agent 2: verify, record, answer. /moved redirects to the foreign host.
	var mu sync.Mutex
	var seen []observation
	var rejected []error
	agent2Mux := http.NewServeMux()
	agent2Mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, foreignURL+"/landing", http.StatusFound)
	})
	agent2Mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t, _ := tenantctx.FromContext(r.Context())
		o := observation{Tenant: t.ID, Tier: t.Tier, Subject: t.Subject}
		for _, a := range t.DelegationChain() {
			o.Chain = append(o.Chain, a.Subject)
		}
		fmt.Printf("agent 2: tenant=%s tier=%s subject=%s delegation chain=%v\n", o.Tenant, o.Tier, o.Subject, o.Chain)
		mu.Lock()
		seen = append(seen, o)
		mu.Unlock()
	})
	agent2Auth := tenantctx.Middleware(forAgent2, tenantctx.WithErrorHandler(func(w http.ResponseWriter, r *http.Request, err error) {
		mu.Lock()
		rejected = append(rejected, err)
		mu.Unlock()
		tenantctx.WriteError(w, r, err)
	}))
	agent2URL, stopAgent2 := serve(agent2Auth(agent2Mux))
	defer stopAgent2()

	// Agent 1's outbound transport.
	client, err := a2a.NewTokenClient(a2a.TokenClientConfig{
		TokenURL: asURL + "/token", ClientID: agentID, ClientSecret: agentSecret,
		InsecureAllowLoopbackHTTP: true, // loopback demo only
	})
	if err != nil {
		return err
	}
	own, err := a2a.NewClientCredentialsSource(client, a2a.ClientCredentialsConfig{})
	if err != nil {
		return err
	}
	exchange, err := a2a.NewExchangeSource(client, a2a.ExchangeSourceConfig{Actor: own})
	if err != nil {
		return err
	}
	transport, err := a2a.NewTransport(a2a.Config{
		Destinations:              []a2a.Destination{{URL: agent2URL, Audience: []string{"agent-2"}, TokenSource: exchange}},
		InsecureAllowLoopbackHTTP: true,
	})
	if err != nil {
		return err
	}
	outbound := &http.Client{Transport: transport, Timeout: 10 * time.Second}

	// Agent 1: verify the user, call agent 2 on the user's behalf.
	agent1URL, stopAgent1 := serve(tenantctx.Middleware(forAgent1)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, agent2URL+"/tasks", nil)
		resp, err := outbound.Do(req)
		if err != nil {
			http.Error(w, "agent 2 unreachable", http.StatusBadGateway)
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
	})))
	defer stopAgent1()

	userToken := func(tenant, tier, subject string) string {
		return as.mint(jwt.MapClaims{"sub": subject, "tenant_id": tenant, "tier": tier, "aud": "agent-1"})
	}
	callAgent1 := func(tok string) (int, error) {
		req, _ := http.NewRequest(http.MethodGet, agent1URL+"/chat", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err
		}
		_ = resp.Body.Close()
		return resp.StatusCode, nil
	}

	var failures []string
	check := func(ok bool, what string) {
		mark := "ok  "
		if !ok {
			mark = "FAIL"
			failures = append(failures, what)
		}
		fmt.Printf("[%s] %s\n", mark, what)
	}

	// 1. Two users of two tenants, each seen by agent 2 as themselves,
	//    with agent 1 acting on their behalf.
	for _, u := range []struct{ tenant, tier, subject string }{{"acme", "gold", "alice"}, {"globex", "basic", "bob"}} {
		status, err := callAgent1(userToken(u.tenant, u.tier, u.subject))
		check(err == nil && status == http.StatusOK, fmt.Sprintf("%s@%s reaches agent 2 through agent 1", u.subject, u.tenant))
	}
	mu.Lock()
	check(len(seen) == 2 &&
		seen[0].Tenant == "acme" && seen[0].Subject == "alice" && strings.Join(seen[0].Chain, ",") == agentID &&
		seen[1].Tenant == "globex" && seen[1].Subject == "bob" && strings.Join(seen[1].Chain, ",") == agentID,
		"agent 2 sees each user's own tenant and the chain [agent-1]")
	mu.Unlock()

	ctxFor := func(tok string) (context.Context, error) {
		t, err := forAgent1.VerifyToken(context.Background(), tok)
		if err != nil {
			return nil, err
		}
		return tenantctx.NewContext(context.Background(), t), nil
	}
	aliceCtx, err := ctxFor(userToken("acme", "gold", "alice"))
	if err != nil {
		return err
	}

	// 2. No tenant in the context: nothing is sent.
	_, err = outbound.Get(agent2URL + "/tasks")
	check(errors.Is(err, tenantctx.ErrNoTenant), "a call without a tenant fails closed")

	// 3. A host that is not a configured destination gets nothing.
	req, _ := http.NewRequestWithContext(aliceCtx, http.MethodGet, foreignURL+"/exfiltrate", nil)
	_, err = outbound.Do(req)
	check(errors.Is(err, a2a.ErrUnknownDestination) && foreignHits.Load() == 0, "a foreign host receives neither tenant headers nor tokens")

	// 4. A redirect from agent 2 to the foreign host is stopped by the
	//    transport, even though http.Client would follow it.
	req, _ = http.NewRequestWithContext(aliceCtx, http.MethodGet, agent2URL+"/moved", nil)
	_, err = outbound.Do(req)
	check(errors.Is(err, a2a.ErrUnknownDestination) && foreignHits.Load() == 0, "a redirect to another host is not followed with tenant context")

	// 5. A tenant header that disagrees with the token is refused by
	//    agent 2 (here: context says acme, the token is bob's of globex).
	bob, err := forAgent1.VerifyToken(context.Background(), userToken("globex", "basic", "bob"))
	if err != nil {
		return err
	}
	confused := (&tenantctx.Tenant{ID: "acme", ExpiresAt: bob.ExpiresAt}).WithToken(bob.Token(), nil)
	req, _ = http.NewRequestWithContext(tenantctx.NewContext(context.Background(), confused), http.MethodGet, agent2URL+"/tasks", nil)
	resp, err := outbound.Do(req)
	status := 0
	if err == nil {
		status = resp.StatusCode
		_ = resp.Body.Close()
	}
	mu.Lock()
	mismatch := len(rejected) > 0 && errors.Is(rejected[len(rejected)-1], tenantctx.ErrTenantMismatch)
	mu.Unlock()
	check(status == http.StatusForbidden || status == http.StatusUnauthorized, fmt.Sprintf("tenant header disagreeing with the token is rejected (status %d)", status))
	check(mismatch, "agent 2 reports the tenant mismatch")

	// 6. The user's own token is useless at agent 2 (wrong audience):
	//    only the exchanged, audience-bound token works.
	req, _ = http.NewRequest(http.MethodGet, agent2URL+"/tasks", nil)
	req.Header.Set("Authorization", "Bearer "+userToken("acme", "gold", "alice"))
	resp, err = http.DefaultClient.Do(req)
	ok := err == nil && resp.StatusCode == http.StatusUnauthorized
	if err == nil {
		_ = resp.Body.Close()
	}
	check(ok, "the raw user token is refused by agent 2")

	if len(failures) > 0 {
		return fmt.Errorf("%d isolation check(s) failed: %s", len(failures), strings.Join(failures, "; "))
	}
	return nil
}
