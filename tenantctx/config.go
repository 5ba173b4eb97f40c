package tenantctx

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Defaults applied by [NewVerifier] to zero fields of [Config].
const (
	DefaultMaxTokenSize    = 8 << 10
	DefaultMaxActorDepth   = 4
	DefaultTokenCacheSize  = 10000
	DefaultTokenCacheTTL   = 5 * time.Minute
	DefaultJWKSMinInterval = 30 * time.Second
	DefaultJWKSMinTTL      = time.Minute
	DefaultJWKSTTL         = time.Hour
	DefaultJWKSMaxTTL      = 24 * time.Hour
	DefaultJWKSStalePeriod = time.Hour
	DefaultJWKSMaxBodySize = 512 << 10
	DefaultJWKSTimeout     = 10 * time.Second
)

const (
	maxLeeway                = 5 * time.Minute
	maxTokenSizeLimit        = 64 << 10
	minHMACSecretLen         = 32
	minRSABits               = 2048
	maxRSABits               = 8192 // bounds the cost of one verification
	defaultTenantHeader      = "X-Tenant-ID"
	defaultTenantClaimName   = "tenant_id"
	defaultTierClaimName     = "tier"
	defaultScopeClaimName    = "scope"
	defaultEntitlementsClaim = "entitlements"
	defaultRegionClaimName   = "region"
	typeATJWT                = "at+jwt"
	typeApplicationATJWT     = "application/at+jwt"
)

// Config configures a [Verifier]. The zero value of every field except
// Issuers and Audiences has a safe default.
type Config struct {
	// Issuers lists the trusted token issuers, each with its own keys. A
	// token's "iss" must equal one Issuer exactly; it is checked before
	// any key lookup or JWKS fetch. Required.
	Issuers []IssuerConfig
	// Audiences lists accepted "aud" values; a token must name at least one
	// of them. Required unless InsecureSkipAudienceCheck is set.
	Audiences []string
	// InsecureSkipAudienceCheck accepts tokens for any audience. Never set
	// it for a service that other services' tokens could reach.
	InsecureSkipAudienceCheck bool
	// Algorithms lists the accepted "alg" values. Default: RS256, PS256,
	// ES256 and EdDSA. Supported: RS256/384/512, PS256/384/512,
	// ES256/384/512, EdDSA, and HS256/384/512 with AllowHMAC.
	Algorithms []string
	// AllowHMAC permits HS256/384/512 with static secrets of at least 256
	// bits. Without it an HS* entry in Algorithms is a configuration error.
	AllowHMAC bool
	// Leeway is the clock skew tolerated for "exp", "nbf" and "iat";
	// 0 means none. At most 5 minutes.
	Leeway time.Duration
	// Claims names the claims Tenant fields are read from.
	Claims ClaimNames
	// Types lists accepted "typ" header values, compared case-insensitively.
	// Default: "at+jwt" and "application/at+jwt" (RFC 9068).
	Types []string
	// AllowMissingType accepts tokens without a "typ" header.
	AllowMissingType bool
	// MaxTokenSize is the longest accepted token in bytes. Default 8 KiB, at most 64 KiB.
	MaxTokenSize int
	// MaxActorDepth is the deepest accepted "act" delegation chain. Default 4.
	MaxActorDepth int
	// TokenCache configures the verified-token cache.
	TokenCache TokenCacheConfig
	// JWKS configures how remote key sets are fetched and cached.
	JWKS JWKSConfig
	// TenantHeader is the request header that, when present, must equal the
	// token's tenant in [Verifier.Verify]; it must be a valid header name.
	// Default "X-Tenant-ID".
	// [Middleware] can override it with [WithTenantHeader].
	TenantHeader string
	// Now returns the current time. Default time.Now.
	Now func() time.Time
	// HTTPClient fetches JWKS documents. Default: a client that follows no
	// redirects, with JWKS.Timeout. A client whose CheckRedirect is nil is
	// used through a copy that follows no redirects either.
	HTTPClient *http.Client
}

// IssuerConfig names one trusted issuer and where its keys come from.
type IssuerConfig struct {
	// Issuer is the exact "iss" value.
	Issuer string
	// JWKSURLs are the issuer's JWKS documents. They must be https, except
	// for loopback hosts.
	JWKSURLs []string
	// Keys are static verification keys, used alongside JWKSURLs.
	Keys []StaticKey
	// Tenants, when not empty, lists the only tenant ids this issuer may
	// assert: a token from it naming any other tenant fails with
	// [ErrIssuerTenant]. Set it whenever several issuers are trusted and
	// each belongs to some tenants only (for example one user pool per
	// tenant); otherwise every configured issuer can speak for every
	// tenant. Each entry must pass [ValidateID].
	Tenants []string
}

// StaticKey is a configured verification key.
type StaticKey struct {
	// ID is the key id a token's "kid" must name. A token without "kid" is
	// checked with the one static key of the issuer that fits its
	// algorithm, or else with the one fitting key of the first JWKS that
	// has exactly one; when several keys fit, it fails with [ErrUnknownKey].
	ID string
	// Algorithm optionally restricts the key to one "alg".
	Algorithm string
	// Key is a *rsa.PublicKey (at least 2048 bits), *ecdsa.PublicKey
	// (P-256, P-384, P-521), ed25519.PublicKey, or a []byte HMAC secret
	// (at least 32 bytes, requires Config.AllowHMAC).
	Key any
}

// ClaimNames names the claims that Tenant fields come from. Each is a
// path: one element is a top-level claim name (which may contain ':' or
// '.', like Cognito's "custom:tenant_id"), several elements walk nested
// objects, for example ClaimPath{"https://example.com/org", "tenant"}.
type ClaimNames struct {
	// Tenant defaults to "tenant_id".
	Tenant ClaimPath
	// Tier defaults to "tier".
	Tier ClaimPath
	// Scopes defaults to "scope": a string split at spaces (SP only, RFC
	// 6749 §3.3; tabs and Unicode spaces are part of a scope) or an array
	// of strings.
	Scopes ClaimPath
	// Entitlements defaults to "entitlements": an array of strings or a
	// string split at spaces (SP only).
	Entitlements ClaimPath
	// Region defaults to "region".
	Region ClaimPath
}

// ClaimPath is a path to a claim in the token's claims object.
type ClaimPath []string

// TokenCacheConfig configures the verified-token cache. A cached token is
// served until the earlier of its "exp" and TTL after it was verified.
type TokenCacheConfig struct {
	// Disabled turns the cache off: every call verifies the signature.
	Disabled bool
	// Size bounds the number of cached tokens. Default 10000.
	Size int
	// TTL bounds how long a verified token is served from the cache, so a
	// key removed from the JWKS stops being honoured within TTL. Default 5 minutes.
	TTL time.Duration
}

// JWKSConfig configures fetching of remote key sets.
type JWKSConfig struct {
	// MinInterval is the minimum time between two fetches of one JWKS URL,
	// whatever triggers them (refresh, unknown "kid", retry after failure).
	// Default 30s.
	MinInterval time.Duration
	// MinTTL and MaxTTL bound the lifetime taken from the response's
	// Cache-Control max-age. Defaults 1 minute and 24 hours.
	MinTTL, MaxTTL time.Duration
	// TTL is used when the response has no max-age. Default 1 hour.
	TTL time.Duration
	// StalePeriod is how long after its TTL a key set keeps serving while
	// refetches fail (an IdP outage). Afterwards verification fails closed
	// with [ErrKeySetUnavailable]. Default 1 hour.
	StalePeriod time.Duration
	// MaxBodySize caps the JWKS response body. Default 512 KiB.
	MaxBodySize int64
	// Timeout bounds one fetch. Default 10s.
	Timeout time.Duration
}

var supportedAlgs = []string{
	"RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
	"ES256", "ES384", "ES512", "EdDSA", "HS256", "HS384", "HS512",
}

func (c *Config) withDefaults() (Config, error) {
	// Copy every slice: the verifier keeps the configuration it validated,
	// whatever the caller does with c afterwards.
	cfg := *c
	cfg.Audiences = slices.Clone(c.Audiences)
	cfg.Algorithms = slices.Clone(c.Algorithms)
	cfg.Types = slices.Clone(c.Types)
	cfg.Issuers = slices.Clone(c.Issuers)
	for i := range cfg.Issuers {
		cfg.Issuers[i].JWKSURLs = slices.Clone(cfg.Issuers[i].JWKSURLs)
		cfg.Issuers[i].Keys = slices.Clone(cfg.Issuers[i].Keys)
		cfg.Issuers[i].Tenants = slices.Clone(cfg.Issuers[i].Tenants)
	}
	if len(cfg.Issuers) == 0 {
		return cfg, errors.New("tenantctx: config: at least one issuer is required")
	}
	if len(cfg.Audiences) == 0 && !cfg.InsecureSkipAudienceCheck {
		return cfg, errors.New("tenantctx: config: audiences must be set or InsecureSkipAudienceCheck must be set")
	}
	if slices.Contains(cfg.Audiences, "") {
		return cfg, errors.New("tenantctx: config: empty audience")
	}
	if len(cfg.Algorithms) == 0 {
		cfg.Algorithms = []string{"RS256", "PS256", "ES256", "EdDSA"}
	}
	for _, a := range cfg.Algorithms {
		if !slices.Contains(supportedAlgs, a) {
			return cfg, fmt.Errorf("tenantctx: config: unsupported algorithm %q", a)
		}
		if isHMAC(a) && !cfg.AllowHMAC {
			return cfg, fmt.Errorf("tenantctx: config: algorithm %s requires AllowHMAC", a)
		}
	}
	if cfg.Leeway < 0 || cfg.Leeway > maxLeeway {
		return cfg, fmt.Errorf("tenantctx: config: leeway must be between 0 and %s", maxLeeway)
	}
	if len(cfg.Types) == 0 {
		cfg.Types = []string{typeATJWT, typeApplicationATJWT}
	}
	for _, t := range cfg.Types {
		if t == "" {
			return cfg, errors.New("tenantctx: config: empty type; use AllowMissingType")
		}
	}
	switch {
	case cfg.MaxTokenSize == 0:
		cfg.MaxTokenSize = DefaultMaxTokenSize
	case cfg.MaxTokenSize < 0 || cfg.MaxTokenSize > maxTokenSizeLimit:
		return cfg, fmt.Errorf("tenantctx: config: max token size must be between 1 and %d", maxTokenSizeLimit)
	}
	switch {
	case cfg.MaxActorDepth == 0:
		cfg.MaxActorDepth = DefaultMaxActorDepth
	case cfg.MaxActorDepth < 0 || cfg.MaxActorDepth > 32:
		return cfg, errors.New("tenantctx: config: max actor depth must be between 1 and 32")
	}
	var err error
	if cfg.Claims.Tenant, err = claimPathDefault(cfg.Claims.Tenant, defaultTenantClaimName); err != nil {
		return cfg, err
	}
	if cfg.Claims.Tier, err = claimPathDefault(cfg.Claims.Tier, defaultTierClaimName); err != nil {
		return cfg, err
	}
	if cfg.Claims.Scopes, err = claimPathDefault(cfg.Claims.Scopes, defaultScopeClaimName); err != nil {
		return cfg, err
	}
	if cfg.Claims.Entitlements, err = claimPathDefault(cfg.Claims.Entitlements, defaultEntitlementsClaim); err != nil {
		return cfg, err
	}
	if cfg.Claims.Region, err = claimPathDefault(cfg.Claims.Region, defaultRegionClaimName); err != nil {
		return cfg, err
	}
	if cfg.TokenCache.Size < 0 || cfg.TokenCache.TTL < 0 {
		return cfg, errors.New("tenantctx: config: negative token cache size or ttl")
	}
	if cfg.TokenCache.Size == 0 {
		cfg.TokenCache.Size = DefaultTokenCacheSize
	}
	if cfg.TokenCache.TTL == 0 {
		cfg.TokenCache.TTL = DefaultTokenCacheTTL
	}
	j := &cfg.JWKS
	if j.MinInterval < 0 || j.MinTTL < 0 || j.MaxTTL < 0 || j.TTL < 0 || j.StalePeriod < 0 || j.MaxBodySize < 0 || j.Timeout < 0 {
		return cfg, errors.New("tenantctx: config: negative jwks setting")
	}
	setDur(&j.MinInterval, DefaultJWKSMinInterval)
	setDur(&j.MinTTL, DefaultJWKSMinTTL)
	setDur(&j.MaxTTL, DefaultJWKSMaxTTL)
	setDur(&j.TTL, DefaultJWKSTTL)
	setDur(&j.StalePeriod, DefaultJWKSStalePeriod)
	setDur(&j.Timeout, DefaultJWKSTimeout)
	if j.MaxBodySize == 0 {
		j.MaxBodySize = DefaultJWKSMaxBodySize
	}
	if j.MinTTL > j.MaxTTL {
		return cfg, errors.New("tenantctx: config: jwks MinTTL exceeds MaxTTL")
	}
	if j.MinInterval > j.MinTTL {
		return cfg, errors.New("tenantctx: config: jwks MinInterval exceeds MinTTL")
	}
	j.TTL = min(max(j.TTL, j.MinTTL), j.MaxTTL)
	if cfg.TenantHeader == "" {
		cfg.TenantHeader = defaultTenantHeader
	}
	if !validHeaderName(cfg.TenantHeader) {
		// Such a header never arrives, so the binding would be silently off.
		return cfg, errors.New("tenantctx: config: tenant header is not a valid http header name")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	switch {
	case cfg.HTTPClient == nil:
		cfg.HTTPClient = &http.Client{Timeout: j.Timeout, CheckRedirect: refuseRedirect}
	case cfg.HTTPClient.CheckRedirect == nil:
		// A nil CheckRedirect follows up to 10 redirects; keep the caller's
		// transport but not that default. The caller's client is not modified.
		hc := *cfg.HTTPClient
		hc.CheckRedirect = refuseRedirect
		cfg.HTTPClient = &hc
	}
	seen := map[string]bool{}
	for i, is := range cfg.Issuers {
		if is.Issuer == "" {
			return cfg, fmt.Errorf("tenantctx: config: issuer %d has no Issuer", i)
		}
		if seen[is.Issuer] {
			return cfg, fmt.Errorf("tenantctx: config: issuer %q configured twice", is.Issuer)
		}
		seen[is.Issuer] = true
		if len(is.JWKSURLs) == 0 && len(is.Keys) == 0 {
			return cfg, fmt.Errorf("tenantctx: config: issuer %q has no keys and no JWKS URL", is.Issuer)
		}
		for _, u := range is.JWKSURLs {
			if err := checkJWKSURL(u); err != nil {
				return cfg, err
			}
		}
		for j, id := range is.Tenants {
			if err := ValidateID(id); err != nil {
				return cfg, fmt.Errorf("tenantctx: config: issuer %q tenant %d: %w", is.Issuer, j, err)
			}
		}
	}
	return cfg, nil
}

// validHeaderName reports whether s is an RFC 9110 field name (a token).
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

func refuseRedirect(*http.Request, []*http.Request) error {
	return errors.New("tenantctx: jwks redirect refused")
}

func setDur(d *time.Duration, def time.Duration) {
	if *d == 0 {
		*d = def
	}
}

func claimPathDefault(p ClaimPath, def string) (ClaimPath, error) {
	if len(p) == 0 {
		return ClaimPath{def}, nil
	}
	if slices.Contains(p, "") {
		return nil, errors.New("tenantctx: config: empty claim path element")
	}
	return slices.Clone(p), nil
}

func checkJWKSURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return errors.New("tenantctx: config: invalid jwks url")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if host == "localhost" {
			return nil
		}
		if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
			return nil
		}
		return fmt.Errorf("tenantctx: config: jwks url %q must use https", raw)
	default:
		return fmt.Errorf("tenantctx: config: jwks url %q must use https", raw)
	}
}

func isHMAC(alg string) bool { return strings.HasPrefix(alg, "HS") }

// keyFits reports whether key has the right type for alg, which is what
// rules out algorithm confusion (an RSA public key used as an HMAC secret,
// an ES256 token checked with a P-384 key, ...).
func keyFits(alg string, key any) bool {
	switch alg {
	case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
		_, ok := key.(*rsa.PublicKey)
		return ok
	case "ES256", "ES384", "ES512":
		k, ok := key.(*ecdsa.PublicKey)
		if !ok {
			return false
		}
		switch alg {
		case "ES256":
			return k.Curve == elliptic.P256()
		case "ES384":
			return k.Curve == elliptic.P384()
		default:
			return k.Curve == elliptic.P521()
		}
	case "EdDSA":
		_, ok := key.(ed25519.PublicKey)
		return ok
	case "HS256", "HS384", "HS512":
		// RFC 7518 §3.2: a key at least as long as the hash output.
		k, ok := key.([]byte)
		want := 32
		switch alg {
		case "HS384":
			want = 48
		case "HS512":
			want = 64
		}
		return ok && len(k) >= want
	}
	return false
}

// checkKey validates a static or fetched key and returns it in the form
// the signature code expects.
func checkKey(key any, allowHMAC bool) (any, error) {
	switch k := key.(type) {
	case *rsa.PublicKey:
		if k == nil || k.N == nil || k.N.BitLen() < minRSABits || k.N.BitLen() > maxRSABits {
			return nil, fmt.Errorf("tenantctx: rsa key must have %d to %d bits", minRSABits, maxRSABits)
		}
		return k, nil
	case *ecdsa.PublicKey:
		if k == nil || (k.Curve != elliptic.P256() && k.Curve != elliptic.P384() && k.Curve != elliptic.P521()) {
			return nil, errors.New("tenantctx: unsupported ecdsa curve")
		}
		return k, nil
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			return nil, errors.New("tenantctx: invalid ed25519 key")
		}
		return k, nil
	case []byte:
		if !allowHMAC {
			return nil, errors.New("tenantctx: hmac secret requires AllowHMAC")
		}
		if len(k) < minHMACSecretLen {
			return nil, fmt.Errorf("tenantctx: hmac secret shorter than %d bytes", minHMACSecretLen)
		}
		return slices.Clone(k), nil
	default:
		return nil, fmt.Errorf("tenantctx: unsupported key type %T", key)
	}
}
