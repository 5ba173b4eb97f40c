package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tenantkit/tenantkit/a2a"
	"github.com/tenantkit/tenantkit/tenantctx"
)

// Audiences of the demo. Every service accepts only tokens minted for it,
// so a token can never be replayed at another hop (RFC 9068 §4).
const (
	audRuntime = "agent-runtime" // the shared runtime the client app calls
	audTools   = "mcp-tools"     // the MCP tool server behind the gateway
	audBilling = "billing-agent" // the second agent, reached over A2A
)

// The runtime agent's OAuth client. It authenticates to the token endpoint
// to get its own token (the actor token) and to exchange user tokens.
const (
	agentClientID     = "support-agent"
	agentClientSecret = "support-agent-secret" // demo only
	appClientID       = "pool-demo-app"        // the client app users log in with
)

const keyID = "pool-demo-es256"

// account is a user of the identity provider. In a real deployment these
// attributes come from the IdP's directory (Cognito custom attributes,
// Auth0 app_metadata, ...).
type account struct {
	Tenant string
	Tier   string
}

// directory lists the demo users.
var directory = map[string]account{
	"alice": {Tenant: "Tenant-A", Tier: "standard"},
	"bob":   {Tenant: "Tenant-B", Tier: "premium"},
	"carol": {Tenant: "Tenant-B", Tier: "basic"},
}

// idp is a small in-process identity provider and authorization server:
//
//   - it signs RFC 9068 access tokens ("typ": "at+jwt", ES256) that carry
//     the tenant claims tenantctx reads: tenant_id, tier, scope;
//   - it publishes its public key as a JWKS, which every verifier of the
//     demo fetches over loopback HTTP, as it would from a real IdP;
//   - its token endpoint grants client_credentials (the agent's own token)
//     and RFC 8693 token exchange: a user token plus the agent's token become
//     a token for one downstream audience with an "act" claim naming the agent.
//
// tenanttest.Issuer does the same for tests, but needs a testing.TB.
type idp struct {
	key    *ecdsa.PrivateKey
	issuer string // the server URL; also the "iss" of every token
	srv    *loopback
	// subjects verifies subject tokens of exchanges: only user tokens
	// issued for the runtime may be exchanged.
	subjects  *tenantctx.Verifier
	now       func() time.Time
	jti       atomic.Int64
	exchanges atomic.Int64
}

func newIDP(now func() time.Time) (*idp, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	p := &idp{key: key, now: now}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/jwks.json", p.serveJWKS)
	mux.HandleFunc("POST /oauth2/token", p.serveToken)
	if p.srv, err = serve(mux); err != nil {
		return nil, err
	}
	p.issuer = p.srv.URL
	if p.subjects, err = p.verifier(audRuntime); err != nil {
		p.close()
		return nil, err
	}
	return p, nil
}

func (p *idp) close() {
	if p.subjects != nil {
		_ = p.subjects.Close()
	}
	p.srv.close()
}

func (p *idp) jwksURL() string  { return p.issuer + "/.well-known/jwks.json" }
func (p *idp) tokenURL() string { return p.issuer + "/oauth2/token" }

// verifier returns a tenantctx.Verifier for a service whose audience is aud.
// It trusts this IdP through its JWKS URL and accepts only ES256.
func (p *idp) verifier(aud string) (*tenantctx.Verifier, error) {
	return tenantctx.NewVerifier(tenantctx.Config{
		Issuers:    []tenantctx.IssuerConfig{{Issuer: p.issuer, JWKSURLs: []string{p.jwksURL()}}},
		Audiences:  []string{aud},
		Algorithms: []string{"ES256"},
		Now:        p.now,
	})
}

// login returns the access token the client app gets when user signs in:
// audience the runtime, with the user's tenant and tier from the directory.
func (p *idp) login(user string) (string, error) {
	acct, ok := directory[user]
	if !ok {
		return "", fmt.Errorf("idp: unknown user %q", user)
	}
	return p.mint(jwt.MapClaims{
		"sub": user, "aud": audRuntime, "client_id": appClientID,
		"tenant_id": acct.Tenant, "tier": acct.Tier, "scope": "agent:invoke",
	})
}

// mint signs claims as an RFC 9068 access token, filling iss, iat, exp
// and jti.
func (p *idp) mint(claims jwt.MapClaims) (string, error) {
	now := p.now()
	claims["iss"] = p.issuer
	claims["iat"] = now.Unix()
	claims["jti"] = fmt.Sprintf("at-%d", p.jti.Add(1))
	if _, ok := claims["exp"]; !ok {
		claims["exp"] = now.Add(10 * time.Minute).Unix()
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
	tok.Header["typ"] = "at+jwt"
	tok.Header["kid"] = keyID
	return tok.SignedString(p.key)
}

func (p *idp) serveJWKS(w http.ResponseWriter, _ *http.Request) {
	raw, err := p.key.PublicKey.ECDH()
	if err != nil {
		http.Error(w, "key unavailable", http.StatusInternalServerError)
		return
	}
	b := raw.Bytes() // 0x04 || X || Y, each 32 bytes for P-256
	enc := base64.RawURLEncoding.EncodeToString
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
		"kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": keyID,
		"x": enc(b[1:33]), "y": enc(b[33:65]),
	}}})
}

// serveToken is the OAuth 2.0 token endpoint (client_secret_basic).
func (p *idp) serveToken(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if !ok || id != agentClientID || secret != agentClientSecret {
		oauthError(w, http.StatusUnauthorized, "invalid_client")
		return
	}
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	f := r.PostForm
	resp := map[string]any{"token_type": "Bearer", "expires_in": 300}
	var (
		tok string
		err error
	)
	switch f.Get("grant_type") {
	case "client_credentials":
		// The agent's own identity, for use as the actor token.
		tok, err = p.mint(jwt.MapClaims{"sub": id, "client_id": id, "aud": p.issuer})
	case a2a.GrantTypeTokenExchange:
		var code string
		tok, code, err = p.exchange(r, id)
		if code != "" {
			oauthError(w, http.StatusBadRequest, code)
			return
		}
		resp["issued_token_type"] = a2a.TokenTypeAccessToken
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type")
		return
	}
	if err != nil {
		oauthError(w, http.StatusInternalServerError, "server_error")
		return
	}
	resp["access_token"] = tok
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(resp)
}

// exchange implements RFC 8693 delegation. The subject token must be a
// valid user token for the runtime, the actor token the calling client's
// own token, and the audience one downstream service. The issued token keeps
// the user as "sub" and the verified tenant claims, is bound to that one
// audience, never outlives the subject token, and names the agent in "act"
// (nesting any earlier actor, RFC 8693 §4.1). code is an RFC 6749 error code.
func (p *idp) exchange(r *http.Request, client string) (tok, code string, err error) {
	f := r.PostForm
	if f.Get("subject_token_type") != a2a.TokenTypeAccessToken || f.Get("actor_token_type") != a2a.TokenTypeAccessToken {
		return "", "invalid_request", nil
	}
	user, err := p.subjects.VerifyToken(r.Context(), f.Get("subject_token"))
	if err != nil {
		return "", "invalid_grant", nil
	}
	actor, err := p.verifyActor(f.Get("actor_token"))
	if err != nil || actor != client {
		return "", "invalid_grant", nil
	}
	aud := f["audience"]
	if len(aud) != 1 || (aud[0] != audTools && aud[0] != audBilling) {
		return "", "invalid_target", nil
	}
	act := map[string]any{"sub": actor, "client_id": client}
	if prior, ok := user.Claim("act"); ok {
		act["act"] = prior
	}
	claims := jwt.MapClaims{
		"sub": user.Subject, "aud": aud[0], "client_id": client,
		"tenant_id": user.ID, "tier": user.Tier, "act": act,
		"exp": min(user.ExpiresAt.Unix(), p.now().Add(5*time.Minute).Unix()),
	}
	if len(user.Scopes) > 0 {
		claims["scope"] = strings.Join(user.Scopes, " ")
	}
	p.exchanges.Add(1)
	tok, err = p.mint(claims)
	return tok, "", err
}

// verifyActor checks an actor token (issued by this IdP to a client, for
// this IdP) and returns its subject.
func (p *idp) verifyActor(raw string) (string, error) {
	t, err := jwt.Parse(raw, func(*jwt.Token) (any, error) { return &p.key.PublicKey, nil },
		jwt.WithValidMethods([]string{"ES256"}), jwt.WithIssuer(p.issuer), jwt.WithAudience(p.issuer),
		jwt.WithExpirationRequired(), jwt.WithTimeFunc(p.now))
	if err != nil {
		return "", err
	}
	if typ, _ := t.Header["typ"].(string); typ != "at+jwt" {
		return "", errors.New("idp: actor token is not an access token")
	}
	return t.Claims.GetSubject()
}

func oauthError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code})
}

// tamper returns tok with its tenant_id claim replaced and the original
// signature kept: what an attacker who edits a token in transit sends.
func tamper(tok, tenant string) (string, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return "", errors.New("tamper: not a compact JWS")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", err
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		return "", err
	}
	claims["tenant_id"] = tenant
	payload, err = json.Marshal(claims)
	if err != nil {
		return "", err
	}
	parts[1] = base64.RawURLEncoding.EncodeToString(payload)
	return strings.Join(parts, "."), nil
}
