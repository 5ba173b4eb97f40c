package tenantctx

import (
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"slices"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/tenantkit/tenantkit/internal/oauthsyntax"
)

// ErrorHandler writes the response for a request that failed
// authentication. err wraps one of the sentinel errors of this package.
type ErrorHandler func(w http.ResponseWriter, r *http.Request, err error)

// MiddlewareOption configures [Middleware].
type MiddlewareOption func(*requestPolicy)

type requestPolicy struct {
	scopes       []string
	tenantHeader string // canonical form; "" disables binding
	queryToken   bool
	onError      ErrorHandler
}

// RequireScopes makes the middleware answer 403 insufficient_scope unless
// the token grants every one of scopes.
func RequireScopes(scopes ...string) MiddlewareOption {
	return func(p *requestPolicy) { p.scopes = append(p.scopes, scopes...) }
}

// WithTenantHeader sets the header that, when a request carries it, must
// equal the token's tenant (default "X-Tenant-ID", or Config.TenantHeader).
// The name is matched ignoring case and with '_' equal to '-', and the
// header may occur once. An empty name turns the binding off. The header
// never overrides the token: the Tenant always comes from the token.
func WithTenantHeader(name string) MiddlewareOption {
	return func(p *requestPolicy) { p.tenantHeader = textproto.CanonicalMIMEHeaderKey(name) }
}

// AllowQueryToken accepts a token in the "access_token" query parameter
// (RFC 6750 §2.3) when the request has no Authorization header. Tokens in
// URLs end up in logs; prefer the header.
func AllowQueryToken() MiddlewareOption {
	return func(p *requestPolicy) { p.queryToken = true }
}

// WithErrorHandler replaces [WriteError] as the writer of failure responses.
func WithErrorHandler(h ErrorHandler) MiddlewareOption {
	return func(p *requestPolicy) {
		if h != nil {
			p.onError = h
		}
	}
}

// Middleware returns net/http middleware that verifies the request's bearer
// token with v and calls next with the [Tenant] in the request context
// (read it with [FromContext]). Requests that fail never reach next: they
// get the RFC 6750 response written by [WriteError] or the handler set
// with [WithErrorHandler]. When the request context carries a recording
// OpenTelemetry span, the attributes tenant.id, tenant.tier and enduser.id
// are set on it.
//
// Middleware panics if v is nil (a programming error).
func Middleware(v *Verifier, opts ...MiddlewareOption) func(http.Handler) http.Handler {
	if v == nil {
		panic("tenantctx: Middleware called with a nil verifier")
	}
	p := v.policy
	for _, o := range opts {
		o(&p)
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			t, err := v.verifyRequest(r, &p)
			if err != nil {
				p.onError(w, r, err)
				return
			}
			ctx := r.Context()
			if span := trace.SpanFromContext(ctx); span.IsRecording() {
				span.SetAttributes(
					attribute.String("tenant.id", t.ID),
					attribute.String("tenant.tier", t.Tier),
					attribute.String("enduser.id", t.Subject),
				)
			}
			next.ServeHTTP(w, r.WithContext(NewContext(ctx, t)))
		})
	}
}

// Verify checks the request's bearer token (header only, per RFC 6750
// §2.1) and the tenant header binding of Config.TenantHeader, and returns
// the Tenant. It does not modify r. It is the check [Middleware] runs,
// without scopes.
func (v *Verifier) Verify(r *http.Request) (*Tenant, error) {
	return v.verifyRequest(r, &v.policy)
}

func (v *Verifier) verifyRequest(r *http.Request, p *requestPolicy) (*Tenant, error) {
	raw, err := extractToken(r, p.queryToken)
	if err != nil {
		return nil, err
	}
	// A cache hit proves raw is a token verified before, so the b64token
	// syntax check is only needed on a miss.
	t := v.cached(raw)
	if t == nil {
		if !oauthsyntax.B64Token(raw) {
			return nil, fmt.Errorf("%w: bearer token has characters outside b64token", ErrInvalidRequest)
		}
		if t, err = v.VerifyToken(r.Context(), raw); err != nil {
			return nil, err
		}
	}
	if p.tenantHeader != "" && !tenantHeaderMatches(r.Header, p.tenantHeader, t.ID) {
		return nil, ErrTenantMismatch
	}
	for _, s := range p.scopes {
		if !t.HasScope(s) {
			return nil, &ScopeError{Required: slices.Clone(p.scopes)}
		}
	}
	return t, nil
}

// tenantHeaderMatches reports whether every value of the tenant header in
// h equals id, and there is at most one. The server canonicalises header
// names, but a request built in-process (or a Header map filled directly)
// can carry "X-Tenant-ID" or "x-tenant-id" next to the canonical
// "X-Tenant-Id"; code further on may read any of them, so all spellings
// that differ only in case or in '_' for '-' count as the tenant header.
func tenantHeaderMatches(h http.Header, name, id string) bool {
	n := 0
	matches := true
	count := func(vs []string) {
		n += len(vs)
		if len(vs) != 1 || vs[0] != id {
			matches = false
		}
	}
	if vs, ok := h[name]; ok {
		count(vs)
	}
	for k, vs := range h {
		if k != name && sameHeaderName(k, name) {
			count(vs)
		}
	}
	return matches && n <= 1
}

// sameHeaderName compares header names ignoring ASCII case and treating
// '_' as '-' (CGI-style gateways and some proxies map one to the other).
func sameHeaderName(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if headerFold(a[i]) != headerFold(b[i]) {
			return false
		}
	}
	return true
}

func headerFold(c byte) byte {
	switch {
	case 'A' <= c && c <= 'Z':
		return c + 'a' - 'A'
	case c == '_':
		return '-'
	}
	return c
}

// ScopeError reports the scopes a handler requires when a token lacks one
// of them. It wraps [ErrInsufficientScope].
type ScopeError struct {
	Required []string
}

// Error lists the required scopes; they come from configuration, not from
// the token.
func (e *ScopeError) Error() string {
	return "tenantctx: insufficient scope: requires " + strings.Join(e.Required, " ")
}

// Unwrap returns [ErrInsufficientScope].
func (e *ScopeError) Unwrap() error { return ErrInsufficientScope }

// extractToken returns the bearer token of r without allocating. The
// caller checks the token's characters with oauthsyntax.B64Token.
func extractToken(r *http.Request, allowQuery bool) (string, error) {
	h, ok := r.Header["Authorization"]
	if !ok {
		if allowQuery && r.URL != nil && r.URL.RawQuery != "" {
			q := r.URL.Query()
			if vs, ok := q["access_token"]; ok {
				if len(vs) != 1 {
					return "", fmt.Errorf("%w: repeated access_token", ErrInvalidRequest)
				}
				if vs[0] == "" {
					return "", fmt.Errorf("%w: empty access_token", ErrInvalidRequest)
				}
				return vs[0], nil
			}
		}
		return "", ErrNoToken
	}
	if len(h) != 1 {
		return "", fmt.Errorf("%w: more than one authorization header", ErrInvalidRequest)
	}
	// The parameter name may be percent-encoded ("access%5Ftoken"), so any
	// escape in the query forces a full parse.
	if allowQuery && r.URL != nil && (strings.Contains(r.URL.RawQuery, "access_token") || strings.IndexByte(r.URL.RawQuery, '%') >= 0) {
		if _, dup := r.URL.Query()["access_token"]; dup {
			return "", fmt.Errorf("%w: token in header and query", ErrInvalidRequest)
		}
	}
	return parseAuthorization(h[0])
}

// parseAuthorization parses `Bearer <b64token>` with a case-insensitive
// scheme and one or more spaces.
func parseAuthorization(h string) (string, error) {
	const scheme = "bearer"
	if len(h) <= len(scheme) || !strings.EqualFold(h[:len(scheme)], scheme) || h[len(scheme)] != ' ' {
		return "", fmt.Errorf("%w: not a bearer credential", ErrInvalidRequest)
	}
	tok := strings.TrimLeft(h[len(scheme):], " ")
	if tok == "" {
		return "", fmt.Errorf("%w: empty bearer token", ErrInvalidRequest)
	}
	return tok, nil
}

// StatusCode returns the HTTP status [WriteError] uses for err: 400 for
// [ErrInvalidRequest], 403 for [ErrInsufficientScope] and
// [ErrTenantMismatch], 503 for [ErrKeySetUnavailable] and
// [ErrVerifierClosed], 401 for everything else.
func StatusCode(err error) int {
	switch {
	case errors.Is(err, ErrInvalidRequest):
		return http.StatusBadRequest
	case errors.Is(err, ErrInsufficientScope), errors.Is(err, ErrTenantMismatch):
		return http.StatusForbidden
	case errors.Is(err, ErrKeySetUnavailable), errors.Is(err, ErrVerifierClosed):
		return http.StatusServiceUnavailable
	default:
		return http.StatusUnauthorized
	}
}

// WriteError is the default [ErrorHandler]. It writes an RFC 6750
// response: the status from [StatusCode], a WWW-Authenticate challenge
// with error="invalid_token", "invalid_request" or "insufficient_scope"
// (none when the request carried no token), and a small JSON body such as
// {"error":"invalid_token","error_description":"token expired"}. The body
// holds a fixed description of the failure, never token contents.
func WriteError(w http.ResponseWriter, _ *http.Request, err error) {
	status := StatusCode(err)
	code, desc := describe(err)
	h := w.Header()
	switch {
	case errors.Is(err, ErrNoToken):
		h.Set("WWW-Authenticate", `Bearer`)
	case code == "insufficient_scope":
		challenge := `Bearer error="insufficient_scope"`
		var se *ScopeError
		if errors.As(err, &se) && scopesAreSafe(se.Required) {
			challenge += `, scope="` + strings.Join(se.Required, " ") + `"`
		}
		h.Set("WWW-Authenticate", challenge)
	case status == http.StatusUnauthorized || status == http.StatusBadRequest:
		h.Set("WWW-Authenticate", `Bearer error="`+code+`", error_description="`+desc+`"`)
	}
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, `{"error":%q,"error_description":%q}`+"\n", code, desc)
}

func scopesAreSafe(ss []string) bool {
	for _, s := range ss {
		for i := 0; i < len(s); i++ {
			// RFC 6749 scope-token: %x21 / %x23-5B / %x5D-7E
			if c := s[i]; c < 0x21 || c == '"' || c == '\\' || c > 0x7e {
				return false
			}
		}
	}
	return true
}

// describe maps err to an RFC 6750 error code and a fixed description.
func describe(err error) (code, desc string) {
	for _, d := range descriptions {
		if errors.Is(err, d.err) {
			return d.code, d.desc
		}
	}
	return "invalid_token", "token rejected"
}

var descriptions = [...]struct {
	err        error
	code, desc string
}{
	{ErrNoToken, "missing_token", "bearer token required"},
	{ErrInvalidRequest, "invalid_request", "malformed authorization"},
	{ErrInsufficientScope, "insufficient_scope", "token lacks a required scope"},
	{ErrTenantMismatch, "tenant_mismatch", "tenant header does not match token"},
	{ErrKeySetUnavailable, "temporarily_unavailable", "signing keys unavailable"},
	{ErrVerifierClosed, "temporarily_unavailable", "verifier closed"},
	{ErrTokenTooLarge, "invalid_token", "token too large"},
	{ErrMalformedToken, "invalid_token", "malformed token"},
	{ErrDuplicateMember, "invalid_token", "duplicate json member"},
	{ErrAlgorithmNotAllowed, "invalid_token", "algorithm not allowed"},
	{ErrUnsupportedCritical, "invalid_token", "unsupported critical header"},
	{ErrTokenKeyLocation, "invalid_token", "token-supplied key not allowed"},
	{ErrInvalidType, "invalid_token", "invalid token type"},
	{ErrUnknownIssuer, "invalid_token", "unknown issuer"},
	{ErrInvalidAudience, "invalid_token", "invalid audience"},
	{ErrUnknownKey, "invalid_token", "unknown signing key"},
	{ErrInvalidSignature, "invalid_token", "invalid signature"},
	{ErrMissingExpiry, "invalid_token", "token has no expiry"},
	{ErrTokenExpired, "invalid_token", "token expired"},
	{ErrTokenNotYetValid, "invalid_token", "token not yet valid"},
	{ErrMissingTenant, "invalid_token", "token has no tenant"},
	{ErrIssuerTenant, "invalid_token", "issuer may not assert this tenant"},
	{ErrInvalidTenantID, "invalid_token", "invalid tenant id"},
	{ErrInvalidActor, "invalid_token", "invalid actor claim"},
	{ErrInvalidClaim, "invalid_token", "invalid claim"},
}
