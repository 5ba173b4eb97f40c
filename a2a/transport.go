package a2a

import (
	"fmt"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"

	"github.com/tenantkit/tenantkit/internal/oauthsyntax"
	"github.com/tenantkit/tenantkit/tenantctx"
)

// UnknownDestinationPolicy says what a [Transport] does with a request to
// a scheme, host and port that no [Destination] names, including a
// redirect to such a host.
type UnknownDestinationPolicy int

const (
	// RejectUnknownDestinations fails the request with an error wrapping
	// [ErrUnknownDestination]; nothing is sent. The zero value.
	RejectUnknownDestinations UnknownDestinationPolicy = iota
	// SendBareToUnknownDestinations sends the request without any tenant
	// header, without an Authorization header (even one the caller set)
	// and without trace propagation headers injected by the transport.
	SendBareToUnknownDestinations
)

// TenantField is a field of [tenantctx.Tenant] that can be sent as a
// header.
type TenantField int

const (
	// FieldTenantID is [tenantctx.Tenant.ID], checked with
	// [tenantctx.ValidateID]. It is always sent when configured.
	FieldTenantID TenantField = iota + 1
	// FieldTier is [tenantctx.Tenant.Tier]: 1 to 64 bytes of letters,
	// digits, '_', '-', '.'; omitted when empty.
	FieldTier
	// FieldRegion is [tenantctx.Tenant.Region], same charset as the tier;
	// omitted when empty.
	FieldRegion
)

// TenantHeader maps a tenant field to the outbound header that carries it.
type TenantHeader struct {
	Name  string
	Field TenantField
}

// DefaultTenantHeaders returns the default allow-list: X-Tenant-ID for the
// tenant id and X-Tenant-Tier for the tier.
func DefaultTenantHeaders() []TenantHeader {
	return []TenantHeader{
		{Name: "X-Tenant-ID", Field: FieldTenantID},
		{Name: "X-Tenant-Tier", Field: FieldTier},
	}
}

// Destination is a peer agent (or service) the [Transport] may send tenant
// context and tokens to.
type Destination struct {
	// URL is the destination's origin, optionally with a path prefix:
	// "https://agent2.internal:8443" or "https://api.internal/agents/".
	// A request matches when its scheme, host and port are exactly equal
	// (default ports made explicit, host compared case-insensitively) and
	// its path is the prefix or lies below it (paths with "." or ".."
	// segments, also as "..;param", or with a backslash or NUL never match
	// a prefix, since servers may normalise them outside it). A request
	// whose Host header names another host, or whose URL is opaque, does
	// not match either. No user info, query or fragment. Required.
	URL string
	// Audience, Resource and Scope are requested for the destination's
	// token (RFC 8693 §2.1, RFC 8707).
	Audience []string
	Resource []string
	Scope    []string
	// TokenSource supplies the Authorization header: an [*ExchangeSource]
	// for a token that acts on behalf of the user, a
	// [*ClientCredentialsSource] for the agent's own token. Nil sends no
	// Authorization header.
	TokenSource TokenSource
	// TenantLess marks a shared destination that is called without tenant
	// context: the request goes out even when the context carries no
	// tenant, no tenant header is sent, and TokenSource is called with a
	// nil Tenant (so it cannot be an [*ExchangeSource]).
	TenantLess bool
	// InsecureForwardUserToken sends the tenant's own inbound token
	// ([tenantctx.Tenant.Token]) unchanged. This is token pass-through:
	// the destination receives a token minted for another audience and
	// can replay it. Without this flag the transport refuses any token
	// equal to the user's inbound token, whatever its source.
	InsecureForwardUserToken bool
}

// Config configures a [Transport].
type Config struct {
	// Base sends the requests; nil means http.DefaultTransport.
	Base http.RoundTripper
	// Destinations lists every peer that may receive tenant context.
	Destinations []Destination
	// TenantHeaders is the allow-list of tenant headers; nil means
	// [DefaultTenantHeaders]. A non-nil empty slice sends none.
	TenantHeaders []TenantHeader
	// Propagator injects W3C traceparent/baggage (or whatever it is
	// configured for) into requests to configured destinations. Nil means
	// otel.GetTextMapPropagator(), resolved once in [NewTransport].
	Propagator propagation.TextMapPropagator
	// UnknownDestinations decides what happens to requests for hosts no
	// Destination names; the default rejects them.
	UnknownDestinations UnknownDestinationPolicy
	// InsecureAllowLoopbackHTTP allows http:// destinations whose host is
	// a loopback address. For tests and local demos only.
	InsecureAllowLoopbackHTTP bool
}

// Transport is an http.RoundTripper that propagates the tenant of the
// request's context to configured peer agents: tenant headers from an
// allow-list, trace context through an OpenTelemetry propagator, and an
// Authorization header from the destination's [TokenSource].
//
// It never modifies the caller's request: it works on a clone. Any
// Authorization header or tenant header the caller set is removed before
// the transport sets its own. Every request, including every redirect hop
// that http.Client sends through it, is matched against the configured
// destinations on its own, so a redirect to another host never carries
// tenant headers or tokens.
//
// On every error path the request body is closed exactly once. HTTP error
// statuses (4xx, 5xx) are returned as responses, not as errors.
//
// A Transport is immutable after [NewTransport] and safe for concurrent
// use by multiple goroutines.
type Transport struct {
	base    http.RoundTripper
	dests   []*destination
	headers []compiledHeader
	scrub   []string // canonical names removed from every outbound request
	prop    propagation.TextMapPropagator
	unknown UnknownDestinationPolicy
}

type compiledHeader struct {
	name  string
	field TenantField
}

type destination struct {
	scheme, host, port string
	prefix             string // "" or a path ending in "/"
	exact              string // prefix without the trailing "/"
	origin             string
	req                TokenRequest
	src                TokenSource
	tenantLess         bool
	forward            bool
}

// NewTransport validates cfg and returns a Transport.
func NewTransport(cfg Config) (*Transport, error) {
	t := &Transport{base: cfg.Base, prop: cfg.Propagator, unknown: cfg.UnknownDestinations}
	if t.base == nil {
		t.base = http.DefaultTransport
	}
	if t.prop == nil {
		t.prop = otel.GetTextMapPropagator()
	}
	if t.unknown != RejectUnknownDestinations && t.unknown != SendBareToUnknownDestinations {
		return nil, configError("unknown UnknownDestinations policy %d", t.unknown)
	}
	reserved := map[string]bool{}
	for _, n := range []string{
		"Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie", "Host",
		"Content-Length", "Content-Type", "Transfer-Encoding", "Connection", "Upgrade",
		"Te", "Trailer", "Keep-Alive", "Proxy-Connection", "Traceparent", "Tracestate", "Baggage",
	} {
		reserved[n] = true
	}
	for _, f := range t.prop.Fields() {
		reserved[textproto.CanonicalMIMEHeaderKey(f)] = true
	}
	hs := cfg.TenantHeaders
	if hs == nil {
		hs = DefaultTenantHeaders()
	}
	seen := map[string]bool{}
	for _, h := range hs {
		if !isHeaderName(h.Name) {
			return nil, configError("tenant header name %q is not a valid HTTP field name", h.Name)
		}
		name := textproto.CanonicalMIMEHeaderKey(h.Name)
		if reserved[name] {
			return nil, configError("tenant header name %q is reserved", name)
		}
		if seen[name] {
			return nil, configError("tenant header name %q repeated", name)
		}
		if h.Field < FieldTenantID || h.Field > FieldRegion {
			return nil, configError("tenant header %q has unknown field %d", name, h.Field)
		}
		seen[name] = true
		t.headers = append(t.headers, compiledHeader{name: name, field: h.Field})
		t.scrub = append(t.scrub, name)
	}
	t.scrub = append(t.scrub, "Authorization")

	if len(cfg.Destinations) == 0 {
		return nil, configError("at least one destination is required")
	}
	for i := range cfg.Destinations {
		d, err := compileDestination(&cfg.Destinations[i], cfg.InsecureAllowLoopbackHTTP)
		if err != nil {
			return nil, err
		}
		for _, o := range t.dests {
			if o.origin == d.origin && o.prefix == d.prefix {
				return nil, configError("destination %q listed twice", d.origin+d.prefix)
			}
		}
		t.dests = append(t.dests, d)
	}
	return t, nil
}

func compileDestination(d *Destination, allowLoopbackHTTP bool) (*destination, error) {
	if err := checkEndpointURL(d.URL, allowLoopbackHTTP); err != nil {
		return nil, err
	}
	u, _ := url.Parse(d.URL)
	if u.RawQuery != "" || u.ForceQuery {
		return nil, configError("destination %q must not contain a query", redactURL(u))
	}
	cd := &destination{
		scheme:     u.Scheme,
		host:       strings.ToLower(u.Hostname()),
		port:       u.Port(),
		src:        d.TokenSource,
		tenantLess: d.TenantLess,
		forward:    d.InsecureForwardUserToken,
	}
	if cd.port == "" {
		cd.port = defaultPort(u.Scheme)
	}
	cd.origin = cd.scheme + "://" + joinHostPort(cd.host, cd.port)
	if p := u.Path; p != "" && p != "/" {
		if hasDotSegment(p) {
			return nil, configError("destination %q path has dot segments", redactURL(u))
		}
		cd.exact = strings.TrimSuffix(p, "/")
		cd.prefix = cd.exact + "/"
	}
	if err := addTarget(url.Values{}, d.Audience, d.Resource, d.Scope); err != nil {
		return nil, configError("destination %q: %v", cd.origin, err)
	}
	cd.req = TokenRequest{
		Audience: append([]string(nil), d.Audience...),
		Resource: append([]string(nil), d.Resource...),
		Scope:    append([]string(nil), d.Scope...),
	}
	cd.req.target = targetKey(cd.req.Audience, cd.req.Resource, cd.req.Scope)
	_, exchanging := d.TokenSource.(*ExchangeSource)
	switch {
	case d.InsecureForwardUserToken && d.TokenSource != nil:
		return nil, configError("destination %q: TokenSource and InsecureForwardUserToken are mutually exclusive", cd.origin)
	case d.InsecureForwardUserToken && d.TenantLess:
		return nil, configError("destination %q: a tenant-less destination has no user token to forward", cd.origin)
	case exchanging && d.TenantLess:
		return nil, configError("destination %q: a tenant-less destination cannot use token exchange", cd.origin)
	case exchanging && len(d.Audience) == 0 && len(d.Resource) == 0:
		return nil, fmt.Errorf("%w: destination %q: %w", ErrInvalidConfig, cd.origin, ErrNoAudience)
	}
	return cd, nil
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL == nil {
		return fail(req, fmt.Errorf("%w: request without URL", ErrUnknownDestination))
	}
	d := t.match(req.URL)
	if d != nil && req.Host != "" && req.Host != req.URL.Host && !d.hostHeaderMatches(req.Host) {
		// A Host header naming another virtual host behind the same
		// address (a shared ingress) is another destination.
		d = nil
	}
	if d == nil {
		if t.unknown == SendBareToUnknownDestinations {
			return t.base.RoundTrip(t.clone(req))
		}
		return fail(req, fmt.Errorf("%w: %s", ErrUnknownDestination, originOf(req.URL)))
	}
	ctx := req.Context()
	var tenant *tenantctx.Tenant
	// ctxTenant is also read for a tenant-less destination: its token
	// source must not hand out the user's inbound token either.
	ctxTenant, _ := tenantctx.FromContext(ctx)
	if !d.tenantLess {
		if ctxTenant == nil {
			return fail(req, fmt.Errorf("a2a: request to %s: %w", d.origin, tenantctx.ErrNoTenant))
		}
		tenant = ctxTenant
	}
	var vals [8]string
	values := vals[:0]
	if tenant != nil {
		for _, h := range t.headers {
			v, err := headerValue(tenant, h.field)
			if err != nil {
				return fail(req, err)
			}
			values = append(values, v)
		}
	}
	var auth string
	switch {
	case d.forward:
		tok := tenant.Token()
		if !oauthsyntax.B64Token(tok) {
			return fail(req, fmt.Errorf("a2a: request to %s: %w: no forwardable user token", d.origin, ErrInvalidToken))
		}
		auth = "Bearer " + tok
	case d.src != nil:
		tr := d.req
		tr.Tenant = tenant
		tok, err := d.src.Token(ctx, tr)
		if err != nil {
			return fail(req, fmt.Errorf("a2a: token for %s: %w", d.origin, err))
		}
		if tok != nil && ctxTenant != nil && tok.AccessToken != "" && tok.AccessToken == ctxTenant.Token() {
			return fail(req, fmt.Errorf("a2a: token for %s: %w", d.origin, ErrTokenPassThrough))
		}
		if auth, err = tok.authorization(); err != nil {
			return fail(req, fmt.Errorf("a2a: token for %s: %w", d.origin, err))
		}
	}
	r2 := t.clone(req)
	// One backing array for all values set here; each header gets a
	// capacity-limited window so an append by a later layer cannot spill
	// into its neighbour.
	all := make([]string, 0, len(values)+1)
	for i, v := range values {
		if v != "" {
			all = append(all, v)
			n := len(all)
			r2.Header[t.headers[i].name] = all[n-1 : n : n]
		}
	}
	if auth != "" {
		all = append(all, auth)
		n := len(all)
		r2.Header["Authorization"] = all[n-1 : n : n]
	}
	t.prop.Inject(ctx, propagation.HeaderCarrier(r2.Header))
	return t.base.RoundTrip(r2)
}

// clone returns a shallow copy of req with its own header map, without
// the tenant headers and the Authorization header (matched
// case-insensitively). Only the header map is changed afterwards, so a
// deep copy of the URL and the rest is unnecessary (as in x/oauth2).
func (t *Transport) clone(req *http.Request) *http.Request {
	r2 := new(http.Request)
	*r2 = *req
	h := make(http.Header, len(req.Header)+len(t.headers)+2)
	nv := 0
	for _, vv := range req.Header {
		nv += len(vv)
	}
	sv := make([]string, nv)
	for k, vv := range req.Header {
		if t.scrubbed(k) {
			continue
		}
		if vv == nil {
			h[k] = nil
			continue
		}
		n := copy(sv, vv)
		h[k] = sv[:n:n]
		sv = sv[n:]
	}
	r2.Header = h
	return r2
}

func (t *Transport) scrubbed(k string) bool {
	for _, n := range t.scrub {
		if len(k) == len(n) && strings.EqualFold(k, n) {
			return true
		}
	}
	return false
}

// CloseIdleConnections closes idle connections of the base transport, if
// it supports that.
func (t *Transport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

func headerValue(t *tenantctx.Tenant, f TenantField) (string, error) {
	switch f {
	case FieldTenantID:
		if err := tenantctx.ValidateID(t.ID); err != nil {
			return "", fmt.Errorf("a2a: tenant header: %w", err)
		}
		return t.ID, nil
	case FieldTier:
		if t.Tier != "" && !isLabel(t.Tier) {
			return "", fmt.Errorf("%w: tier", ErrInvalidHeaderValue)
		}
		return t.Tier, nil
	case FieldRegion:
		if t.Region != "" && !isLabel(t.Region) {
			return "", fmt.Errorf("%w: region", ErrInvalidHeaderValue)
		}
		return t.Region, nil
	}
	return "", fmt.Errorf("%w: unknown field", ErrInvalidHeaderValue)
}

// match returns the destination for u: exact scheme, host and port, and
// the longest matching path prefix.
func (t *Transport) match(u *url.URL) *destination {
	if u.Opaque != "" {
		// The request target would be Opaque, not Path (and an Opaque
		// starting with "//" is sent in absolute form, naming any host).
		return nil
	}
	port := u.Port()
	if port == "" {
		port = defaultPort(strings.ToLower(u.Scheme))
	}
	host := u.Hostname()
	var best *destination
	for _, d := range t.dests {
		if !strings.EqualFold(u.Scheme, d.scheme) || !strings.EqualFold(host, d.host) || port != d.port {
			continue
		}
		if d.prefix != "" {
			p := u.Path
			if p != d.exact && !strings.HasPrefix(p, d.prefix) {
				continue
			}
			if hasDotSegment(p) || strings.ContainsAny(p, "\\\x00") {
				continue
			}
		}
		if best == nil || len(d.prefix) > len(best.prefix) {
			best = d
		}
	}
	return best
}

// hostHeaderMatches reports whether a Host header value names d.
func (d *destination) hostHeaderMatches(hostHeader string) bool {
	u := url.URL{Host: hostHeader}
	port := u.Port()
	if port == "" {
		port = defaultPort(d.scheme)
	}
	return strings.EqualFold(u.Hostname(), d.host) && port == d.port
}

func fail(req *http.Request, err error) (*http.Response, error) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
	return nil, err
}

func defaultPort(scheme string) string {
	switch scheme {
	case "https":
		return "443"
	case "http":
		return "80"
	}
	return ""
}

func joinHostPort(host, port string) string {
	if strings.Contains(host, ":") {
		return "[" + host + "]:" + port
	}
	return host + ":" + port
}

func originOf(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = defaultPort(strings.ToLower(u.Scheme))
	}
	return strings.ToLower(u.Scheme) + "://" + joinHostPort(strings.ToLower(u.Hostname()), port)
}

// hasDotSegment reports whether path p contains a "." or ".." segment,
// also when followed by path parameters (";..."), which some servers
// (Tomcat, Jetty) strip before resolving dot segments.
func hasDotSegment(p string) bool {
	for len(p) > 0 {
		i := strings.IndexByte(p, '/')
		seg := p
		if i >= 0 {
			seg, p = p[:i], p[i+1:]
		} else {
			p = ""
		}
		if i := strings.IndexByte(seg, ';'); i >= 0 {
			seg = seg[:i]
		}
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

// isHeaderName reports whether s is an RFC 9110 field name (token).
func isHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

var _ http.RoundTripper = (*Transport)(nil)
