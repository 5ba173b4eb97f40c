package a2a

import (
	"context"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tenantkit/tenantkit/internal/oauthsyntax"
)

// AuthStyle is how a [TokenClient] authenticates to the token endpoint
// (RFC 6749 §2.3.1).
type AuthStyle int

const (
	// AuthStyleBasic sends the client id and secret in an HTTP Basic
	// Authorization header (client_secret_basic), each form-urlencoded
	// first as RFC 6749 §2.3.1 requires. The zero value.
	AuthStyleBasic AuthStyle = iota
	// AuthStylePost sends client_id and client_secret in the request body
	// (client_secret_post).
	AuthStylePost
)

// DefaultTimeout bounds one token endpoint round trip when the
// configuration does not say otherwise.
const DefaultTimeout = 10 * time.Second

// TokenClientConfig configures a [TokenClient].
type TokenClientConfig struct {
	// TokenURL is the authorization server's token endpoint. It must be
	// https, unless InsecureAllowLoopbackHTTP is set and the host is a
	// loopback address. Required.
	TokenURL string
	// ClientID and ClientSecret authenticate the agent to the server.
	// Both are required.
	ClientID     string
	ClientSecret string
	// AuthStyle selects client_secret_basic (default) or client_secret_post.
	AuthStyle AuthStyle
	// Transport sends the token requests; nil means http.DefaultTransport.
	// Redirects from the token endpoint are never followed.
	Transport http.RoundTripper
	// Timeout bounds one round trip to the token endpoint; 0 means
	// [DefaultTimeout].
	Timeout time.Duration
	// MaxResponseBytes caps the response body; 0 means
	// [DefaultMaxResponseBytes]. A larger body is an error.
	MaxResponseBytes int64
	// Now is the clock used to turn expires_in into [Token.Expiry]; nil
	// means time.Now.
	Now func() time.Time
	// InsecureAllowLoopbackHTTP allows an http:// TokenURL whose host is
	// a loopback address (127.0.0.0/8, ::1, localhost). For tests and
	// local demos only.
	InsecureAllowLoopbackHTTP bool
}

// TokenClient talks to one OAuth 2.0 token endpoint as one client: it
// performs RFC 8693 token exchanges and client-credentials grants. It does
// not cache; wrap it in an [ExchangeSource] or [ClientCredentialsSource].
//
// A TokenClient is safe for concurrent use by multiple goroutines.
type TokenClient struct {
	tokenURL string
	clientID string
	secret   string
	style    AuthStyle
	http     *http.Client
	timeout  time.Duration
	maxBody  int64
	now      func() time.Time
}

// NewTokenClient validates cfg and returns a client.
func NewTokenClient(cfg TokenClientConfig) (*TokenClient, error) {
	if err := checkEndpointURL(cfg.TokenURL, cfg.InsecureAllowLoopbackHTTP); err != nil {
		return nil, err
	}
	if cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, configError("client id and client secret are required")
	}
	if cfg.AuthStyle != AuthStyleBasic && cfg.AuthStyle != AuthStylePost {
		return nil, configError("unknown auth style %d", cfg.AuthStyle)
	}
	if cfg.Timeout < 0 || cfg.MaxResponseBytes < 0 {
		return nil, configError("negative timeout or response cap")
	}
	c := &TokenClient{
		tokenURL: cfg.TokenURL,
		clientID: cfg.ClientID,
		secret:   cfg.ClientSecret,
		style:    cfg.AuthStyle,
		timeout:  cfg.Timeout,
		maxBody:  cfg.MaxResponseBytes,
		now:      cfg.Now,
	}
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	if c.maxBody == 0 {
		c.maxBody = DefaultMaxResponseBytes
	}
	if c.now == nil {
		c.now = time.Now
	}
	rt := cfg.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	c.http = &http.Client{
		Transport: rt,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	return c, nil
}

// ClientID returns the client id the client authenticates with.
func (c *TokenClient) ClientID() string { return c.clientID }

// ExchangeRequest is an RFC 8693 §2.1 token exchange request.
type ExchangeRequest struct {
	// SubjectToken is the token of the party on whose behalf the request
	// is made (the user's token). Required.
	SubjectToken string
	// SubjectTokenType defaults to [TokenTypeAccessToken].
	SubjectTokenType string
	// ActorToken is the acting party's own credential (the agent's). When
	// set, ActorTokenType defaults to [TokenTypeAccessToken]; when empty,
	// ActorTokenType must be empty too.
	ActorToken     string
	ActorTokenType string
	// Audience are logical names of the target service (may repeat).
	Audience []string
	// Resource are absolute URIs of the target service (may repeat; no
	// fragment).
	Resource []string
	// Scope is the requested scope.
	Scope []string
	// RequestedTokenType is optional.
	RequestedTokenType string
}

// Exchange performs an RFC 8693 token exchange. A non-200 response is
// returned as an *[ExchangeError]; a 200 response that does not follow
// RFC 8693 §2.2.1 is an error wrapping [ErrInvalidResponse].
func (c *TokenClient) Exchange(ctx context.Context, req ExchangeRequest) (*Token, error) {
	form, err := req.form()
	if err != nil {
		return nil, err
	}
	return c.post(ctx, form, true, req.SubjectToken, req.ActorToken)
}

func (req *ExchangeRequest) form() (url.Values, error) {
	if req.SubjectToken == "" {
		return nil, fmt.Errorf("%w: subject_token missing", ErrInvalidRequest)
	}
	if !oauthsyntax.VSChars(req.SubjectToken) {
		return nil, fmt.Errorf("%w: subject_token has invalid characters", ErrInvalidRequest)
	}
	st := req.SubjectTokenType
	if st == "" {
		st = TokenTypeAccessToken
	}
	if !isTokenTypeURI(st) {
		return nil, fmt.Errorf("%w: subject_token_type malformed", ErrInvalidRequest)
	}
	form := url.Values{
		"grant_type":         {GrantTypeTokenExchange},
		"subject_token":      {req.SubjectToken},
		"subject_token_type": {st},
	}
	if req.ActorToken != "" {
		if !oauthsyntax.VSChars(req.ActorToken) {
			return nil, fmt.Errorf("%w: actor_token has invalid characters", ErrInvalidRequest)
		}
		at := req.ActorTokenType
		if at == "" {
			at = TokenTypeAccessToken
		}
		if !isTokenTypeURI(at) {
			return nil, fmt.Errorf("%w: actor_token_type malformed", ErrInvalidRequest)
		}
		form["actor_token"] = []string{req.ActorToken}
		form["actor_token_type"] = []string{at}
	} else if req.ActorTokenType != "" {
		return nil, fmt.Errorf("%w: actor_token_type without actor_token", ErrInvalidRequest)
	}
	if req.RequestedTokenType != "" {
		if !isTokenTypeURI(req.RequestedTokenType) {
			return nil, fmt.Errorf("%w: requested_token_type malformed", ErrInvalidRequest)
		}
		form["requested_token_type"] = []string{req.RequestedTokenType}
	}
	if err := addTarget(form, req.Audience, req.Resource, req.Scope); err != nil {
		return nil, err
	}
	return form, nil
}

// ClientCredentialsRequest is an RFC 6749 §4.4 client-credentials grant,
// optionally with RFC 8707 resource indicators and an audience parameter
// (understood by many authorization servers).
type ClientCredentialsRequest struct {
	Audience []string
	Resource []string
	Scope    []string
}

// ClientCredentials obtains the client's own access token.
func (c *TokenClient) ClientCredentials(ctx context.Context, req ClientCredentialsRequest) (*Token, error) {
	form := url.Values{"grant_type": {"client_credentials"}}
	if err := addTarget(form, req.Audience, req.Resource, req.Scope); err != nil {
		return nil, err
	}
	return c.post(ctx, form, false)
}

func addTarget(form url.Values, aud, res, scope []string) error {
	for _, a := range aud {
		if !oauthsyntax.VSChars(a) {
			return fmt.Errorf("%w: audience malformed", ErrInvalidRequest)
		}
	}
	for _, r := range res {
		if err := checkResource(r); err != nil {
			return err
		}
	}
	for _, s := range scope {
		if !isScopeToken(s) {
			return fmt.Errorf("%w: scope malformed", ErrInvalidRequest)
		}
	}
	if len(aud) > 0 {
		form["audience"] = append([]string(nil), aud...)
	}
	if len(res) > 0 {
		form["resource"] = append([]string(nil), res...)
	}
	if len(scope) > 0 {
		form["scope"] = []string{strings.Join(scope, " ")}
	}
	return nil
}

// checkResource enforces RFC 8707 §2: an absolute URI without fragment.
func checkResource(r string) error {
	u, err := url.Parse(r)
	if err != nil || !u.IsAbs() || u.Fragment != "" || strings.Contains(r, "#") || !oauthsyntax.VSChars(r) {
		return fmt.Errorf("%w: resource must be an absolute URI without fragment", ErrInvalidRequest)
	}
	return nil
}

func isTokenTypeURI(s string) bool {
	return len(s) <= maxTypeLen && oauthsyntax.VSChars(s) && strings.Contains(s, ":")
}

// post sends form to the token endpoint and validates the answer. secrets
// are redacted from anything the server echoes into an error.
func (c *TokenClient) post(ctx context.Context, form url.Values, exchange bool, secrets ...string) (*Token, error) {
	if c.style == AuthStylePost {
		form.Set("client_id", c.clientID)
		form.Set("client_secret", c.secret)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("a2a: token request: %w", err)
	}
	hreq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	hreq.Header.Set("Accept", "application/json")
	if c.style == AuthStyleBasic {
		hreq.SetBasicAuth(url.QueryEscape(c.clientID), url.QueryEscape(c.secret))
	}
	resp, err := c.http.Do(hreq)
	if err != nil {
		// *url.Error carries the token URL only; the body is not part of it.
		return nil, fmt.Errorf("a2a: token request: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("a2a: token request: reading response: %w", err)
	}
	if int64(len(body)) > c.maxBody {
		return nil, responseError("body exceeds size cap")
	}
	secrets = append(secrets, c.secret)
	if resp.StatusCode != http.StatusOK {
		return nil, c.errorFromResponse(resp.StatusCode, body, secrets)
	}
	mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return nil, responseError("content type is not application/json")
	}
	r, err := parseTokenResponse(body, exchange)
	if err != nil {
		return nil, err
	}
	tok := &Token{
		AccessToken:     r.AccessToken,
		TokenType:       r.TokenType,
		IssuedTokenType: r.IssuedTokenType,
		Scope:           r.Scope,
		RefreshToken:    r.RefreshToken,
	}
	if r.ExpiresIn > 0 {
		tok.Expiry = c.now().Add(time.Duration(r.ExpiresIn) * time.Second)
	}
	if strings.EqualFold(r.TokenType, "bearer") {
		tok.header = "Bearer " + r.AccessToken
	}
	return tok, nil
}

func (c *TokenClient) errorFromResponse(status int, body []byte, secrets []string) error {
	e := &ExchangeError{StatusCode: status}
	if er, ok := parseErrorResponse(body); ok {
		// An error code that echoes a secret or looks like a token is
		// dropped rather than repeated.
		if sanitizeText(er.Code, secrets...) == er.Code {
			e.Code = er.Code
		}
		e.Description = sanitizeText(er.Description, secrets...)
		e.URI = sanitizeText(er.URI, secrets...)
	}
	return e
}

// checkEndpointURL validates a configured URL: absolute, https (or
// loopback http when allowed), a host, no user info, no fragment.
func checkEndpointURL(raw string, allowLoopbackHTTP bool) error {
	if raw == "" {
		return configError("URL is required")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return configError("URL does not parse")
	}
	if u.Host == "" || u.Opaque != "" {
		return configError("URL %q needs a host", redactURL(u))
	}
	if u.User != nil {
		return configError("URL must not contain user info")
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return configError("URL %q must not contain a fragment", redactURL(u))
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !allowLoopbackHTTP || !isLoopback(u.Hostname()) {
			return configError("URL %q must use https (InsecureAllowLoopbackHTTP permits http to loopback hosts only)", redactURL(u))
		}
	default:
		return configError("URL %q has unsupported scheme", redactURL(u))
	}
	return nil
}

func redactURL(u *url.URL) string {
	return u.Scheme + "://" + u.Host + u.EscapedPath()
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
