package a2a

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/tenantkit/tenantkit/internal/oauthsyntax"
	"github.com/tenantkit/tenantkit/tenantctx"
)

// Token type identifiers registered by RFC 8693 §3 (and RFC 7519 for JWT).
const (
	TokenTypeAccessToken  = "urn:ietf:params:oauth:token-type:access_token"
	TokenTypeRefreshToken = "urn:ietf:params:oauth:token-type:refresh_token"
	TokenTypeIDToken      = "urn:ietf:params:oauth:token-type:id_token"
	TokenTypeJWT          = "urn:ietf:params:oauth:token-type:jwt"
	TokenTypeSAML1        = "urn:ietf:params:oauth:token-type:saml1"
	TokenTypeSAML2        = "urn:ietf:params:oauth:token-type:saml2"
)

// GrantTypeTokenExchange is the RFC 8693 grant type.
const GrantTypeTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"

// Token is a credential for one outbound call. A *Token returned by a
// [TokenSource] may be shared between goroutines and cached: treat it as
// read-only.
//
// String, Format and LogValue never print AccessToken or RefreshToken.
type Token struct {
	// AccessToken is the credential sent in the Authorization header.
	AccessToken string
	// TokenType is the RFC 6749 token_type, for example "Bearer" ("N_A"
	// for an RFC 8693 token that is not an access token).
	TokenType string
	// IssuedTokenType is the RFC 8693 issued_token_type; empty for tokens
	// not obtained by token exchange.
	IssuedTokenType string
	// Expiry is when the token expires; zero when the server did not say.
	Expiry time.Time
	// Scope is the granted scope, when the server returned one.
	Scope []string
	// RefreshToken is the refresh token, when one was issued.
	RefreshToken string

	// header is "Bearer " + AccessToken, computed once by the sources of
	// this package so that the transport does not concatenate per request.
	header string
}

// String returns a description of the token without its secret parts.
func (t *Token) String() string {
	if t == nil {
		return "<nil>"
	}
	s := "a2a.Token{type=" + t.TokenType
	if t.IssuedTokenType != "" {
		s += " issued=" + t.IssuedTokenType
	}
	if !t.Expiry.IsZero() {
		s += " expiry=" + t.Expiry.UTC().Format(time.RFC3339)
	}
	return s + "}"
}

// Format implements fmt.Formatter so that every verb prints [Token.String].
func (t *Token) Format(f fmt.State, _ rune) {
	_, _ = fmt.Fprint(f, t.String())
}

// LogValue implements slog.LogValuer without the secret parts.
func (t *Token) LogValue() slog.Value {
	if t == nil {
		return slog.StringValue("<nil>")
	}
	return slog.GroupValue(
		slog.String("type", t.TokenType),
		slog.String("issued_type", t.IssuedTokenType),
		slog.Time("expiry", t.Expiry),
	)
}

// authorization returns the Authorization header value for t, checking
// that t is a usable bearer token.
func (t *Token) authorization() (string, error) {
	if t == nil {
		return "", fmt.Errorf("%w: nil token", ErrInvalidToken)
	}
	if t.header != "" {
		return t.header, nil
	}
	if !strings.EqualFold(t.TokenType, "bearer") {
		return "", fmt.Errorf("%w: token_type is not Bearer", ErrInvalidToken)
	}
	if !oauthsyntax.B64Token(t.AccessToken) {
		return "", fmt.Errorf("%w: access token is not an RFC 6750 b64token", ErrInvalidToken)
	}
	return "Bearer " + t.AccessToken, nil
}

// TokenRequest tells a [TokenSource] which call needs a token.
type TokenRequest struct {
	// Tenant is the verified tenant of the call; nil for a tenant-less
	// destination and for actor tokens.
	Tenant *tenantctx.Tenant
	// Audience, Resource and Scope describe the destination (RFC 8693
	// §2.1, RFC 8707). The source must not modify these slices.
	Audience []string
	Resource []string
	Scope    []string

	// target is the precomputed cache key of Audience, Resource and Scope,
	// filled by the transport; empty when the caller built the request.
	target string
}

func (r *TokenRequest) targetKey() string {
	if r.target != "" {
		return r.target
	}
	return targetKey(r.Audience, r.Resource, r.Scope)
}

// TokenSource returns the credential for one outbound call. The sources of
// this package are [ExchangeSource] (RFC 8693 act-on-behalf token), and
// [ClientCredentialsSource] (the agent's own token). Implementations must
// be safe for concurrent use.
type TokenSource interface {
	Token(ctx context.Context, req TokenRequest) (*Token, error)
}

// StaticTokenSource returns tok for every request. It is meant for actor
// tokens provisioned out of band (a workload identity token mounted into
// the pod) and for tests. tok must be a Bearer token.
func StaticTokenSource(tok *Token) TokenSource { return staticSource{tok} }

type staticSource struct{ tok *Token }

func (s staticSource) Token(context.Context, TokenRequest) (*Token, error) {
	if s.tok == nil {
		return nil, fmt.Errorf("%w: nil static token", ErrInvalidToken)
	}
	return s.tok, nil
}

// targetKey encodes audience, resource and scope unambiguously: each list
// is length-prefixed and each value is length-prefixed.
func targetKey(aud, res, scope []string) string {
	var b strings.Builder
	for _, list := range [][]string{aud, res, scope} {
		fmt.Fprintf(&b, "%d:", len(list))
		for _, v := range list {
			fmt.Fprintf(&b, "%d:%s", len(v), v)
		}
		b.WriteByte('|')
	}
	return b.String()
}

// isScopeToken reports whether s is an RFC 6749 §3.3 scope-token:
// 1*( %x21 / %x23-5B / %x5D-7E ).
func isScopeToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// isLabel reports whether s is a safe header label for a tier or region:
// 1 to 64 bytes of ASCII letters, digits, '_', '-' and '.' (the charset of
// isTypeName).
func isLabel(s string) bool {
	return len(s) <= 64 && isTypeName(s)
}
