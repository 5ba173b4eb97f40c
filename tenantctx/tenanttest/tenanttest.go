package tenanttest

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"

	"github.com/tenantkit/tenantkit/tenantctx"
)

// DefaultAudience is the audience of an [Issuer] created without [WithAudience].
const DefaultAudience = "https://api.tenantkit.test"

// DefaultSubject is the "sub" of a token minted from [Claims] without a Subject.
const DefaultSubject = "user-1"

// Issuer is an in-process OpenID provider for tests: it owns RSA-2048,
// ECDSA P-256 and Ed25519 signing keys, serves them as a JWKS and a
// discovery document from an httptest server on 127.0.0.1, and mints
// tokens with any claims, including hostile ones. It is safe for
// concurrent use.
type Issuer struct {
	srv          *httptest.Server
	now          func() time.Time
	audience     string
	cacheControl string

	fetches atomic.Int64
	down    atomic.Bool

	mu        sync.Mutex
	current   map[string]*signingKey // by algorithm family: "RSA", "EC", "OKP"
	published []*signingKey
}

type signingKey struct {
	kid    string
	family string
	priv   crypto.Signer
}

// IssuerOption configures [NewIssuer].
type IssuerOption func(*Issuer)

// WithAudience sets the audience minted into tokens and expected by
// [Issuer.Verifier]. Default [DefaultAudience].
func WithAudience(aud string) IssuerOption { return func(i *Issuer) { i.audience = aud } }

// WithNow sets the clock used to mint tokens and by [Issuer.Verifier]; nil
// keeps time.Now.
func WithNow(now func() time.Time) IssuerOption {
	return func(i *Issuer) {
		if now != nil {
			i.now = now
		}
	}
}

// WithCacheControl sets the Cache-Control header of JWKS responses.
// Default "public, max-age=3600".
func WithCacheControl(v string) IssuerOption { return func(i *Issuer) { i.cacheControl = v } }

// NewIssuer starts an Issuer with fresh keys. The server stops when the
// test ends.
func NewIssuer(tb testing.TB, opts ...IssuerOption) *Issuer {
	tb.Helper()
	i := &Issuer{now: time.Now, audience: DefaultAudience, cacheControl: "public, max-age=3600"}
	for _, o := range opts {
		o(i)
	}
	i.rotate(tb)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", i.serveDiscovery)
	mux.HandleFunc("GET /jwks.json", i.serveJWKS)
	i.srv = httptest.NewServer(mux)
	tb.Cleanup(i.srv.Close)
	return i
}

// URL returns the issuer identifier, the "iss" of minted tokens.
func (i *Issuer) URL() string { return i.srv.URL }

// JWKSURL returns the URL of the issuer's JWKS.
func (i *Issuer) JWKSURL() string { return i.srv.URL + "/jwks.json" }

// Audience returns the audience minted into tokens by default.
func (i *Issuer) Audience() string { return i.audience }

// Client returns an HTTP client for the issuer's server.
func (i *Issuer) Client() *http.Client { return i.srv.Client() }

// JWKSFetches reports how many times the JWKS has been requested.
func (i *Issuer) JWKSFetches() int64 { return i.fetches.Load() }

// SetDown simulates an IdP outage: while down, the JWKS and discovery
// endpoints answer 503.
func (i *Issuer) SetDown(down bool) { i.down.Store(down) }

// Rotate creates new current keys for every algorithm. The previous keys
// stay published (as real IdPs overlap keys) until [Issuer.DropRetired].
func (i *Issuer) Rotate(tb testing.TB) {
	tb.Helper()
	i.rotate(tb)
}

// DropRetired unpublishes every key that is not current.
func (i *Issuer) DropRetired() {
	i.mu.Lock()
	defer i.mu.Unlock()
	var keep []*signingKey
	for _, k := range i.published {
		if i.current[k.family] == k {
			keep = append(keep, k)
		}
	}
	i.published = keep
}

// KeyID returns the kid of the current key for alg.
func (i *Issuer) KeyID(tb testing.TB, alg string) string {
	tb.Helper()
	return i.keyFor(tb, alg).kid
}

// PublicKey returns the current public key for alg (for static key
// configuration or algorithm-confusion tests).
func (i *Issuer) PublicKey(tb testing.TB, alg string) crypto.PublicKey {
	tb.Helper()
	return i.keyFor(tb, alg).priv.Public()
}

func (i *Issuer) rotate(tb testing.TB) {
	tb.Helper()
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatalf("tenanttest: rsa key: %v", err)
	}
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatalf("tenanttest: ec key: %v", err)
	}
	_, ok, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		tb.Fatalf("tenanttest: ed25519 key: %v", err)
	}
	keys := []*signingKey{
		{kid: newKID("rsa"), family: "RSA", priv: rk},
		{kid: newKID("ec"), family: "EC", priv: ek},
		{kid: newKID("ed"), family: "OKP", priv: ok},
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.current == nil {
		i.current = map[string]*signingKey{}
	}
	for _, k := range keys {
		i.current[k.family] = k
	}
	i.published = append(i.published, keys...)
}

func newKID(prefix string) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return prefix + "-" + hex.EncodeToString(b[:])
}

func family(alg string) string {
	switch {
	case strings.HasPrefix(alg, "RS"), strings.HasPrefix(alg, "PS"):
		return "RSA"
	case alg == "ES256":
		return "EC"
	case alg == "EdDSA":
		return "OKP"
	}
	return ""
}

func (i *Issuer) keyFor(tb testing.TB, alg string) *signingKey {
	tb.Helper()
	i.mu.Lock()
	defer i.mu.Unlock()
	k := i.current[family(alg)]
	if k == nil {
		tb.Fatalf("tenanttest: no key for algorithm %q", alg)
	}
	return k
}

func (i *Issuer) serveDiscovery(w http.ResponseWriter, _ *http.Request) {
	if i.down.Load() {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"issuer":                                i.URL(),
		"jwks_uri":                              i.JWKSURL(),
		"id_token_signing_alg_values_supported": []string{"RS256", "PS256", "ES256", "EdDSA"},
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
	})
}

func (i *Issuer) serveJWKS(w http.ResponseWriter, _ *http.Request) {
	i.fetches.Add(1)
	if i.down.Load() {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	body, err := i.JWKS()
	if err != nil {
		http.Error(w, "jwks", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/jwk-set+json")
	if i.cacheControl != "" {
		w.Header().Set("Cache-Control", i.cacheControl)
	}
	_, _ = w.Write(body)
}

// JWKS returns the published keys as a JWK Set document (marshalled by
// github.com/MicahParks/jwkset).
func (i *Issuer) JWKS() ([]byte, error) {
	i.mu.Lock()
	keys := append([]*signingKey(nil), i.published...)
	i.mu.Unlock()
	set := jwkset.JWKSMarshal{}
	for _, k := range keys {
		md := jwkset.JWKMetadataOptions{KID: k.kid, USE: jwkset.UseSig}
		switch k.family {
		case "EC":
			md.ALG = jwkset.AlgES256
		case "OKP":
			md.ALG = jwkset.AlgEdDSA
		}
		j, err := jwkset.NewJWKFromKey(k.priv.Public(), jwkset.JWKOptions{Metadata: md})
		if err != nil {
			return nil, err
		}
		set.Keys = append(set.Keys, j.Marshal())
	}
	return json.Marshal(set)
}

// Config returns a [tenantctx.Config] that trusts this issuer through its
// JWKS URL, expects its audience and uses its clock and HTTP client.
func (i *Issuer) Config() tenantctx.Config {
	return tenantctx.Config{
		Issuers:    []tenantctx.IssuerConfig{{Issuer: i.URL(), JWKSURLs: []string{i.JWKSURL()}}},
		Audiences:  []string{i.audience},
		Now:        i.now,
		HTTPClient: i.srv.Client(),
	}
}

// Verifier returns a verifier for this issuer built from [Issuer.Config]
// after applying each of configure. It is closed when the test ends.
func (i *Issuer) Verifier(tb testing.TB, configure ...func(*tenantctx.Config)) *tenantctx.Verifier {
	tb.Helper()
	cfg := i.Config()
	for _, f := range configure {
		f(&cfg)
	}
	v, err := tenantctx.NewVerifier(cfg)
	if err != nil {
		tb.Fatalf("tenanttest: %v", err)
	}
	tb.Cleanup(func() { _ = v.Close() })
	return v
}

// NewRequest returns an httptest request carrying a freshly minted token
// for c in its Authorization header.
func (i *Issuer) NewRequest(tb testing.TB, method, target string, c Claims) *http.Request {
	tb.Helper()
	r := httptest.NewRequest(method, target, nil)
	r.Header.Set("Authorization", "Bearer "+i.Mint(tb, c))
	return r
}

// Claims describes a token to mint. Zero fields get defaults: the
// issuer's URL as "iss", its audience as "aud", DefaultSubject as "sub",
// now as "iat", now+1h as "exp", "at+jwt" as "typ", RS256 with the current
// key. Empty Tenant, Tier, Region, Scopes and Entitlements are omitted.
//
// Extra, Header, RawHeader, RawClaims, HMACSecret and Signature exist to
// mint hostile tokens.
type Claims struct {
	// Tenant is the "tenant_id" claim.
	Tenant string
	// Subject is "sub"; default DefaultSubject.
	Subject string
	// Tier and Region are the "tier" and "region" claims.
	Tier, Region string
	// Scopes are minted as the space-separated "scope" claim.
	Scopes []string
	// Entitlements are minted as the "entitlements" array.
	Entitlements []string
	// Issuer overrides "iss" (default: the issuer's URL).
	Issuer string
	// Audience overrides "aud": one value is minted as a string, several
	// as an array.
	Audience []string
	// Actors is the RFC 8693 delegation chain, current actor first; it is
	// minted as nested "act" claims.
	Actors []tenantctx.Actor
	// ExpiresAt, NotBefore and IssuedAt set "exp", "nbf" and "iat"; zero
	// means now+1h, absent, and now.
	ExpiresAt, NotBefore, IssuedAt time.Time
	// Type is the "typ" header; "-" omits it.
	Type string
	// Alg is RS256 (default), RS384, RS512, PS256, ES256, EdDSA, HS256
	// (with HMACSecret) or "none" (empty signature).
	Alg string
	// KeyID overrides the "kid" header; "-" omits it.
	KeyID string
	// Extra sets additional claims, or replaces defaults; a nil value
	// deletes the claim.
	Extra map[string]any
	// Header sets header parameters; a nil value deletes one.
	Header map[string]any
	// RawHeader and RawClaims, when set, are used verbatim as the JSON of
	// the header and claims (for duplicate member names and the like).
	RawHeader, RawClaims string
	// HMACSecret is the key for HS256 tokens.
	HMACSecret []byte
	// Signature, when set, replaces the base64url signature segment.
	Signature string
}

// Mint returns a compact JWS for c.
func (i *Issuer) Mint(tb testing.TB, c Claims) string {
	tb.Helper()
	now := i.now()
	alg := c.Alg
	if alg == "" {
		alg = "RS256"
	}
	header := map[string]any{"alg": alg, "typ": "at+jwt"}
	switch c.Type {
	case "":
	case "-":
		delete(header, "typ")
	default:
		header["typ"] = c.Type
	}
	var key any
	switch {
	case alg == "none":
	case strings.HasPrefix(alg, "HS"):
		key = c.HMACSecret
	default:
		k := i.keyFor(tb, alg)
		header["kid"] = k.kid
		key = k.priv
	}
	switch c.KeyID {
	case "":
	case "-":
		delete(header, "kid")
	default:
		header["kid"] = c.KeyID
	}
	for k, v := range c.Header {
		if v == nil {
			delete(header, k)
		} else {
			header[k] = v
		}
	}
	claims := map[string]any{
		"iss": i.URL(),
		"aud": i.audience,
		"sub": DefaultSubject,
		"iat": now.Unix(),
		"exp": now.Add(time.Hour).Unix(),
	}
	set := func(name, v string) {
		if v != "" {
			claims[name] = v
		}
	}
	set("iss", c.Issuer)
	set("sub", c.Subject)
	set("tenant_id", c.Tenant)
	set("tier", c.Tier)
	set("region", c.Region)
	if len(c.Scopes) > 0 {
		claims["scope"] = strings.Join(c.Scopes, " ")
	}
	if len(c.Entitlements) > 0 {
		claims["entitlements"] = c.Entitlements
	}
	switch len(c.Audience) {
	case 0:
	case 1:
		claims["aud"] = c.Audience[0]
	default:
		claims["aud"] = c.Audience
	}
	if !c.ExpiresAt.IsZero() {
		claims["exp"] = c.ExpiresAt.Unix()
	}
	if !c.NotBefore.IsZero() {
		claims["nbf"] = c.NotBefore.Unix()
	}
	if !c.IssuedAt.IsZero() {
		claims["iat"] = c.IssuedAt.Unix()
	}
	if act := actClaim(c.Actors); act != nil {
		claims["act"] = act
	}
	for k, v := range c.Extra {
		if v == nil {
			delete(claims, k)
		} else {
			claims[k] = v
		}
	}
	hj, cj := []byte(c.RawHeader), []byte(c.RawClaims)
	var err error
	if c.RawHeader == "" {
		if hj, err = json.Marshal(header); err != nil {
			tb.Fatalf("tenanttest: header: %v", err)
		}
	}
	if c.RawClaims == "" {
		if cj, err = json.Marshal(claims); err != nil {
			tb.Fatalf("tenanttest: claims: %v", err)
		}
	}
	enc := base64.RawURLEncoding
	signing := enc.EncodeToString(hj) + "." + enc.EncodeToString(cj)
	if c.Signature != "" {
		return signing + "." + c.Signature
	}
	if alg == "none" {
		return signing + "."
	}
	method := jwt.GetSigningMethod(alg)
	if method == nil {
		tb.Fatalf("tenanttest: unknown algorithm %q", alg)
	}
	sig, err := method.Sign(signing, key)
	if err != nil {
		tb.Fatalf("tenanttest: sign %s: %v", alg, err)
	}
	return signing + "." + enc.EncodeToString(sig)
}

func actClaim(chain []tenantctx.Actor) map[string]any {
	var act map[string]any
	for n := len(chain) - 1; n >= 0; n-- {
		a := chain[n]
		m := map[string]any{"sub": a.Subject}
		if a.Issuer != "" {
			m["iss"] = a.Issuer
		}
		if a.ClientID != "" {
			m["client_id"] = a.ClientID
		}
		if act != nil {
			m["act"] = act
		}
		act = m
	}
	return act
}

// TenantOption sets a field of a Tenant built by [NewTenant] or [Context].
type TenantOption func(*tenantctx.Tenant)

// WithTier sets the tier.
func WithTier(tier string) TenantOption { return func(t *tenantctx.Tenant) { t.Tier = tier } }

// WithSubject sets the end user.
func WithSubject(sub string) TenantOption { return func(t *tenantctx.Tenant) { t.Subject = sub } }

// WithScopes sets the scopes.
func WithScopes(s ...string) TenantOption { return func(t *tenantctx.Tenant) { t.Scopes = s } }

// WithEntitlements sets the entitlements.
func WithEntitlements(e ...string) TenantOption {
	return func(t *tenantctx.Tenant) { t.Entitlements = e }
}

// WithRegion sets the region.
func WithRegion(r string) TenantOption { return func(t *tenantctx.Tenant) { t.Region = r } }

// WithActors sets the delegation chain, current actor first.
func WithActors(subjects ...string) TenantOption {
	return func(t *tenantctx.Tenant) {
		var a *tenantctx.Actor
		for n := len(subjects) - 1; n >= 0; n-- {
			a = &tenantctx.Actor{Subject: subjects[n], Actor: a}
		}
		t.Actor = a
	}
}

// NewTenant returns a Tenant for tenant id, without any token, for unit
// tests of code that reads the tenant from a context. Subject defaults to
// DefaultSubject. It panics if id is not valid under
// [tenantctx.ValidateID], a mistake in the calling test.
func NewTenant(id string, opts ...TenantOption) *tenantctx.Tenant {
	if err := tenantctx.ValidateID(id); err != nil {
		panic(err)
	}
	t := &tenantctx.Tenant{ID: id, Subject: DefaultSubject}
	for _, o := range opts {
		o(t)
	}
	return t
}

// Context returns ctx carrying [NewTenant](id, opts...).
func Context(ctx context.Context, id string, opts ...TenantOption) context.Context {
	return tenantctx.NewContext(ctx, NewTenant(id, opts...))
}
