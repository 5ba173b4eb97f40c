package interop

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"slices"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/tenantkit/tenantkit/tenantctx"
)

// opStorage is the smallest op.Storage that lets the real zitadel OP run
// two grants: client_credentials (the agents' own tokens, JWTs signed by
// the OP) and RFC 8693 token exchange (op.TokenExchangeStorage), where
// the subject token comes from a third-party IdP and is verified with
// tenantctx (op.TokenExchangeTokensVerifierStorage). Every other grant is
// refused.
type opStorage struct {
	key       *rsa.PrivateKey
	keyID     string
	clients   map[string]*opClient
	audiences []string            // audiences a token may be exchanged for
	subject   *tenantctx.Verifier // verifies third-party subject tokens
	lifetime  time.Duration       // of issued access tokens

	mu        sync.Mutex
	exchanges []op.TokenExchangeRequest // validated exchanges, for assertions
}

var (
	_ op.Storage                            = (*opStorage)(nil)
	_ op.ClientCredentialsStorage           = (*opStorage)(nil)
	_ op.TokenExchangeStorage               = (*opStorage)(nil)
	_ op.TokenExchangeTokensVerifierStorage = (*opStorage)(nil)
)

var errUnsupported = errors.New("interop storage: not supported")

func newOPStorage(subject *tenantctx.Verifier, audiences []string, clients ...*opClient) (*opStorage, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	s := &opStorage{key: key, keyID: "zitadel-op-1", clients: map[string]*opClient{}, audiences: audiences, subject: subject, lifetime: 5 * time.Minute}
	for _, c := range clients {
		s.clients[c.id] = c
	}
	return s, nil
}

// --- clients and client authentication ---

func (s *opStorage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	if c, ok := s.clients[id]; ok {
		return c, nil
	}
	return nil, errors.New("unknown client")
}

func (s *opStorage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	c, ok := s.clients[id]
	if !ok || c.secret != secret {
		return errors.New("invalid client credentials")
	}
	return nil
}

func (s *opStorage) ClientCredentials(ctx context.Context, id, secret string) (op.Client, error) {
	if err := s.AuthorizeClientIDSecret(ctx, id, secret); err != nil {
		return nil, err
	}
	return s.clients[id], nil
}

func (s *opStorage) ClientCredentialsTokenRequest(_ context.Context, id string, scopes []string) (op.TokenRequest, error) {
	return &ccRequest{subject: id, audience: []string{id}, scopes: scopes}, nil
}

// --- tokens ---

func (s *opStorage) CreateAccessToken(_ context.Context, req op.TokenRequest) (string, time.Time, error) {
	exp := time.Now().Add(s.lifetime)
	if te, ok := req.(op.TokenExchangeRequest); ok {
		// Never outlive the subject token.
		if e, ok := te.GetExchangeSubjectTokenClaims()["exp"].(float64); ok {
			if se := time.Unix(int64(e), 0); se.Before(exp) {
				exp = se
			}
		}
	}
	return rand.Text(), exp, nil
}

func (s *opStorage) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, errUnsupported
}

func (s *opStorage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

// --- RFC 8693 token exchange ---

// VerifyExchangeSubjectToken accepts only user tokens that tenantctx
// verifies (signature, issuer, audience of the calling agent, lifetime).
func (s *opStorage) VerifyExchangeSubjectToken(ctx context.Context, token string, tt oidc.TokenType) (string, string, map[string]any, error) {
	if tt != oidc.AccessTokenType {
		return "", "", nil, errUnsupported
	}
	t, err := s.subject.VerifyToken(ctx, token)
	if err != nil {
		return "", "", nil, err
	}
	return token, t.Subject, t.Claims(), nil
}

// VerifyExchangeActorToken is reached only for actor tokens the OP did not
// issue itself; those are refused: an agent proves itself with the OP's
// own client-credentials token.
func (s *opStorage) VerifyExchangeActorToken(context.Context, string, oidc.TokenType) (string, string, map[string]any, error) {
	return "", "", nil, errUnsupported
}

func (s *opStorage) ValidateTokenExchangeRequest(_ context.Context, req op.TokenExchangeRequest) error {
	// Delegation only: no actor, no exchange (no impersonation).
	if req.GetExchangeActor() == "" {
		return oidc.ErrInvalidRequest().WithDescription("actor_token required")
	}
	// The actor must be the authenticated client itself.
	if req.GetExchangeActor() != req.GetClientID() {
		return oidc.ErrInvalidRequest().WithDescription("actor_token does not belong to the client")
	}
	if req.GetRequestedTokenType() == "" {
		req.SetRequestedTokenType(oidc.AccessTokenType)
	}
	if req.GetRequestedTokenType() != oidc.AccessTokenType {
		return oidc.ErrInvalidRequest().WithDescription("only access tokens are issued")
	}
	aud := req.GetAudience()
	if len(aud) == 0 {
		return oidc.ErrInvalidRequest().WithDescription("audience required")
	}
	for _, a := range aud {
		if !slices.Contains(s.audiences, a) {
			return &oidc.Error{ErrorType: "invalid_target", Description: "audience not allowed"}
		}
	}
	if _, ok := req.GetExchangeSubjectTokenClaims()["tenant_id"].(string); !ok {
		return oidc.ErrInvalidRequest().WithDescription("subject token has no tenant")
	}
	s.mu.Lock()
	s.exchanges = append(s.exchanges, req)
	s.mu.Unlock()
	return nil
}

func (s *opStorage) CreateTokenExchangeRequest(context.Context, op.TokenExchangeRequest) error {
	return nil
}

// GetPrivateClaimsFromTokenExchangeRequest copies the tenant claims of the
// subject token and adds the RFC 8693 §4.1 "act" claim naming the agent,
// nesting any delegation the subject token already carried.
func (s *opStorage) GetPrivateClaimsFromTokenExchangeRequest(_ context.Context, req op.TokenExchangeRequest) (map[string]any, error) {
	subj := req.GetExchangeSubjectTokenClaims()
	claims := map[string]any{}
	for _, k := range []string{"tenant_id", "tier", "region"} {
		if v, ok := subj[k]; ok {
			claims[k] = v
		}
	}
	act := map[string]any{"sub": req.GetExchangeActor(), "client_id": req.GetClientID()}
	if prior, ok := subj["act"]; ok {
		act["act"] = prior
	}
	claims["act"] = act
	return claims, nil
}

func (s *opStorage) SetUserinfoFromTokenExchangeRequest(context.Context, *oidc.UserInfo, op.TokenExchangeRequest) error {
	return errUnsupported
}

// --- keys ---

type signingKey struct {
	id  string
	key *rsa.PrivateKey
}

func (k signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k signingKey) Key() any                                    { return k.key }
func (k signingKey) ID() string                                  { return k.id }

type publicKey struct {
	id  string
	key *rsa.PublicKey
}

func (k publicKey) ID() string                         { return k.id }
func (k publicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k publicKey) Use() string                        { return "sig" }
func (k publicKey) Key() any                           { return k.key }

func (s *opStorage) SigningKey(context.Context) (op.SigningKey, error) {
	return signingKey{id: s.keyID, key: s.key}, nil
}

func (s *opStorage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (s *opStorage) KeySet(context.Context) ([]op.Key, error) {
	return []op.Key{publicKey{id: s.keyID, key: &s.key.PublicKey}}, nil
}

func (s *opStorage) Health(context.Context) error { return nil }

// --- everything else is refused ---

func (s *opStorage) CreateAuthRequest(context.Context, *oidc.AuthRequest, string) (op.AuthRequest, error) {
	return nil, errUnsupported
}
func (s *opStorage) AuthRequestByID(context.Context, string) (op.AuthRequest, error) {
	return nil, errUnsupported
}
func (s *opStorage) AuthRequestByCode(context.Context, string) (op.AuthRequest, error) {
	return nil, errUnsupported
}
func (s *opStorage) SaveAuthCode(context.Context, string, string) error { return errUnsupported }
func (s *opStorage) DeleteAuthRequest(context.Context, string) error    { return errUnsupported }
func (s *opStorage) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, errUnsupported
}
func (s *opStorage) TerminateSession(context.Context, string, string) error { return errUnsupported }
func (s *opStorage) RevokeToken(context.Context, string, string, string) *oidc.Error {
	return oidc.ErrUnsupportedGrantType()
}
func (s *opStorage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}
func (s *opStorage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return errUnsupported
}
func (s *opStorage) SetUserinfoFromToken(context.Context, *oidc.UserInfo, string, string, string) error {
	return errUnsupported
}
func (s *opStorage) SetIntrospectionFromToken(context.Context, *oidc.IntrospectionResponse, string, string, string) error {
	return errUnsupported
}
func (s *opStorage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errUnsupported
}
func (s *opStorage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errUnsupported
}

// ccRequest is the op.TokenRequest of a client-credentials grant.
type ccRequest struct {
	subject  string
	audience []string
	scopes   []string
}

func (r *ccRequest) GetSubject() string    { return r.subject }
func (r *ccRequest) GetAudience() []string { return r.audience }
func (r *ccRequest) GetScopes() []string   { return r.scopes }

// opClient is a confidential client allowed the two grants.
type opClient struct {
	id, secret string
}

func (c *opClient) GetID() string                       { return c.id }
func (c *opClient) RedirectURIs() []string              { return nil }
func (c *opClient) PostLogoutRedirectURIs() []string    { return nil }
func (c *opClient) ApplicationType() op.ApplicationType { return op.ApplicationTypeWeb }
func (c *opClient) AuthMethod() oidc.AuthMethod         { return oidc.AuthMethodBasic }
func (c *opClient) ResponseTypes() []oidc.ResponseType  { return nil }
func (c *opClient) GrantTypes() []oidc.GrantType {
	return []oidc.GrantType{oidc.GrantTypeClientCredentials, oidc.GrantTypeTokenExchange}
}
func (c *opClient) LoginURL(string) string               { return "" }
func (c *opClient) AccessTokenType() op.AccessTokenType  { return op.AccessTokenTypeJWT }
func (c *opClient) IDTokenLifetime() time.Duration       { return time.Minute }
func (c *opClient) DevMode() bool                        { return false }
func (c *opClient) ClockSkew() time.Duration             { return 0 }
func (c *opClient) IsScopeAllowed(string) bool           { return true }
func (c *opClient) IDTokenUserinfoClaimsAssertion() bool { return false }
func (c *opClient) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *opClient) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
