package tenantctx

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/textproto"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/sync/singleflight"
)

// Verifier verifies bearer tokens and turns them into a [Tenant]. Create it
// with [NewVerifier]. A Verifier is safe for concurrent use by multiple
// goroutines.
type Verifier struct {
	cfg     Config
	methods map[string]jwt.SigningMethod
	issuers map[string]*issuerKeys
	cache   *tokenCache
	sf      singleflight.Group
	policy  requestPolicy // what Verify checks

	cancel        context.CancelFunc
	wg            sync.WaitGroup
	closed        atomic.Bool
	verifications atomic.Int64 // full verifications, for tests
}

type issuerKeys struct {
	static  []verificationKey
	remotes []*remoteKeySet
	tenants []string // if not empty, the only tenants this issuer may assert
}

// NewVerifier checks cfg, fills in defaults and returns a Verifier. It does
// not contact any JWKS URL: keys are fetched on first use, so a verifier can
// start while the IdP is unreachable.
func NewVerifier(cfg Config) (*Verifier, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	base, cancel := context.WithCancel(context.Background())
	v := &Verifier{
		cfg:     c,
		methods: make(map[string]jwt.SigningMethod, len(c.Algorithms)),
		issuers: make(map[string]*issuerKeys, len(c.Issuers)),
		cancel:  cancel,
	}
	for _, alg := range c.Algorithms {
		v.methods[alg] = signingMethod(alg)
	}
	for _, is := range c.Issuers {
		ik := &issuerKeys{tenants: is.Tenants}
		for i, sk := range is.Keys {
			key, err := checkKey(sk.Key, c.AllowHMAC)
			if err != nil {
				cancel()
				return nil, fmt.Errorf("tenantctx: config: issuer %q key %d: %w", is.Issuer, i, err)
			}
			if sk.Algorithm != "" && (!keyFits(sk.Algorithm, key) || v.methods[sk.Algorithm] == nil) {
				cancel()
				return nil, fmt.Errorf("tenantctx: config: issuer %q key %d does not fit algorithm %q", is.Issuer, i, sk.Algorithm)
			}
			ik.static = append(ik.static, verificationKey{id: sk.ID, alg: sk.Algorithm, key: key})
		}
		for _, u := range is.JWKSURLs {
			ik.remotes = append(ik.remotes, &remoteKeySet{
				url: u, client: c.HTTPClient, now: c.Now, cfg: c.JWKS, base: base, wg: &v.wg,
			})
		}
		v.issuers[is.Issuer] = ik
	}
	if !c.TokenCache.Disabled {
		v.cache = newTokenCache(c.TokenCache.Size, c.TokenCache.TTL)
	}
	v.policy = requestPolicy{
		tenantHeader: textproto.CanonicalMIMEHeaderKey(c.TenantHeader),
		onError:      WriteError,
	}
	return v, nil
}

func signingMethod(alg string) jwt.SigningMethod {
	switch alg {
	case "RS256":
		return jwt.SigningMethodRS256
	case "RS384":
		return jwt.SigningMethodRS384
	case "RS512":
		return jwt.SigningMethodRS512
	case "PS256":
		return jwt.SigningMethodPS256
	case "PS384":
		return jwt.SigningMethodPS384
	case "PS512":
		return jwt.SigningMethodPS512
	case "ES256":
		return jwt.SigningMethodES256
	case "ES384":
		return jwt.SigningMethodES384
	case "ES512":
		return jwt.SigningMethodES512
	case "EdDSA":
		return jwt.SigningMethodEdDSA
	case "HS256":
		return jwt.SigningMethodHS256
	case "HS384":
		return jwt.SigningMethodHS384
	case "HS512":
		return jwt.SigningMethodHS512
	}
	return nil
}

// Close stops in-flight JWKS fetches and waits for them to end. Later
// calls to [Verifier.VerifyToken] fail with [ErrVerifierClosed]. Close is
// idempotent. A verifier that is merely dropped leaks nothing: fetches run
// only on demand and end within JWKSConfig.Timeout.
func (v *Verifier) Close() error {
	v.closed.Store(true)
	for _, ik := range v.issuers {
		for _, r := range ik.remotes {
			r.close()
		}
	}
	v.cancel()
	v.wg.Wait()
	return nil
}

// JWKSFetches reports how many JWKS fetch attempts the verifier has started,
// over all issuers and URLs. It is meant for tests and metrics.
func (v *Verifier) JWKSFetches() int64 {
	var n int64
	for _, ik := range v.issuers {
		for _, r := range ik.remotes {
			n += r.fetches.Load()
		}
	}
	return n
}

// CachedTokens reports how many verified tokens are cached.
func (v *Verifier) CachedTokens() int {
	if v.cache == nil {
		return 0
	}
	return v.cache.len()
}

// VerifyToken verifies a compact JWS bearer token and returns its Tenant.
// A token seen before and still valid is answered from the verified-token
// cache without allocating; concurrent first sightings of one token are
// verified once. The returned Tenant is shared and must not be modified.
//
// Errors wrap one of the sentinel errors of this package (for example
// [ErrTokenExpired] or [ErrInvalidSignature]) and never contain token
// contents.
func (v *Verifier) VerifyToken(ctx context.Context, raw string) (*Tenant, error) {
	if v.closed.Load() {
		return nil, ErrVerifierClosed
	}
	if raw == "" {
		return nil, ErrNoToken
	}
	if len(raw) > v.cfg.MaxTokenSize {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTokenTooLarge, v.cfg.MaxTokenSize)
	}
	if v.cache == nil {
		return v.verify(ctx, raw)
	}
	if t := v.cache.get(raw, v.cfg.Now()); t != nil {
		return t, nil
	}
	ch := v.sf.DoChan(raw, func() (any, error) {
		t, err := v.verify(context.WithoutCancel(ctx), raw)
		if err != nil {
			return nil, err
		}
		v.cache.put(raw, t, v.cfg.Now())
		return t, nil
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.(*Tenant), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// cached returns the cached Tenant for raw, or nil.
func (v *Verifier) cached(raw string) *Tenant {
	if v.cache == nil || v.closed.Load() || len(raw) > v.cfg.MaxTokenSize {
		return nil
	}
	return v.cache.get(raw, v.cfg.Now())
}

// verify does the full check of one token; it is the cache-off path.
func (v *Verifier) verify(ctx context.Context, raw string) (*Tenant, error) {
	v.verifications.Add(1)
	d1, d2, err := splitCompact(raw)
	if err != nil {
		return nil, err
	}
	hdr, err := decodeSegment(raw[:d1], "header")
	if err != nil {
		return nil, err
	}
	alg, kid, err := v.checkHeader(hdr)
	if err != nil {
		return nil, err
	}
	claims, err := decodeSegment(raw[d1+1:d2], "claims")
	if err != nil {
		return nil, err
	}
	// The issuer is matched before any key lookup, so a token from an
	// unknown issuer can never make us fetch anything.
	iss, ok := claims["iss"].(string)
	if !ok {
		return nil, fmt.Errorf("%w: missing iss", ErrUnknownIssuer)
	}
	ik := v.issuers[iss]
	if ik == nil {
		return nil, ErrUnknownIssuer
	}
	key, err := v.lookupKey(ctx, ik, kid, alg)
	if err != nil {
		return nil, err
	}
	if (key.alg != "" && key.alg != alg) || !keyFits(alg, key.key) {
		return nil, fmt.Errorf("%w: key does not fit algorithm", ErrAlgorithmNotAllowed)
	}
	sig, err := b64.DecodeString(raw[d2+1:])
	if err != nil {
		return nil, fmt.Errorf("%w: signature encoding", ErrMalformedToken)
	}
	if err := v.methods[alg].Verify(raw[:d2], sig, key.key); err != nil {
		return nil, ErrInvalidSignature
	}
	t, err := v.tenantFromClaims(raw, iss, claims)
	if err != nil {
		return nil, err
	}
	if len(ik.tenants) > 0 && !slices.Contains(ik.tenants, t.ID) {
		return nil, ErrIssuerTenant
	}
	return t, nil
}

// splitCompact checks that raw is a compact JWS, three base64url segments
// separated by exactly two dots with non-empty header and claims, and
// returns the positions of the dots.
//
// Checking the alphabet here matters: encoding/base64 skips '\r' and '\n'
// even in strict mode, so without it "a.b.c" and "a.b.c\n" would both
// verify, two spellings of one token.
func splitCompact(raw string) (d1, d2 int, err error) {
	d1, d2 = -1, -1
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_':
		case c == '.' && d1 < 0:
			d1 = i
		case c == '.' && d2 < 0:
			d2 = i
		case c == '.':
			return 0, 0, fmt.Errorf("%w: want three segments", ErrMalformedToken)
		default:
			return 0, 0, fmt.Errorf("%w: byte %d is not base64url", ErrMalformedToken, i)
		}
	}
	if d1 <= 0 || d2 <= d1+1 {
		return 0, 0, fmt.Errorf("%w: want three segments", ErrMalformedToken)
	}
	return d1, d2, nil
}

func decodeSegment(seg, what string) (map[string]any, error) {
	data, err := b64.DecodeString(seg)
	if err != nil {
		return nil, fmt.Errorf("%w: %s encoding", ErrMalformedToken, what)
	}
	if err := checkJSONObject(data); err != nil {
		if errors.Is(err, ErrDuplicateMember) {
			return nil, fmt.Errorf("%w in %s", ErrDuplicateMember, what)
		}
		return nil, fmt.Errorf("%w: %s is not a json object", ErrMalformedToken, what)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%w: %s is not a json object", ErrMalformedToken, what)
	}
	return m, nil
}

func (v *Verifier) checkHeader(h map[string]any) (alg, kid string, err error) {
	alg, ok := h["alg"].(string)
	if !ok {
		return "", "", fmt.Errorf("%w: missing alg", ErrAlgorithmNotAllowed)
	}
	if v.methods[alg] == nil {
		return "", "", ErrAlgorithmNotAllowed
	}
	for _, name := range [...]string{"jku", "x5u", "jwk", "x5c"} {
		if _, ok := h[name]; ok {
			return "", "", fmt.Errorf("%w: %s header", ErrTokenKeyLocation, name)
		}
	}
	if _, ok := h["crit"]; ok {
		return "", "", ErrUnsupportedCritical
	}
	switch typ, present := h["typ"]; {
	case !present:
		if !v.cfg.AllowMissingType {
			return "", "", fmt.Errorf("%w: missing typ", ErrInvalidType)
		}
	default:
		s, ok := typ.(string)
		if !ok || !slices.ContainsFunc(v.cfg.Types, func(t string) bool { return sameMediaType(t, s) }) {
			return "", "", ErrInvalidType
		}
	}
	if k, present := h["kid"]; present {
		if kid, ok = k.(string); !ok {
			return "", "", fmt.Errorf("%w: kid is not a string", ErrMalformedToken)
		}
	}
	return alg, kid, nil
}

// sameMediaType compares "typ" values case-insensitively, treating
// "application/x" and "x" as equal (RFC 7515 §4.1.9).
func sameMediaType(a, b string) bool {
	const app = "application/"
	trim := func(s string) string {
		if len(s) > len(app) && strings.EqualFold(s[:len(app)], app) {
			return s[len(app):]
		}
		return s
	}
	return strings.EqualFold(trim(a), trim(b))
}

func (v *Verifier) lookupKey(ctx context.Context, ik *issuerKeys, kid, alg string) (verificationKey, error) {
	if k, ok := findKey(ik.static, kid, alg); ok {
		return k, nil
	}
	var firstErr error
	usable := false
	for _, r := range ik.remotes {
		snap, err := r.current(ctx)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		usable = true
		if k, ok := snap.find(kid, alg); ok {
			return k, nil
		}
	}
	if kid != "" {
		// Unknown kid: join the running fetch or start one if MinInterval
		// allows; otherwise fail at once rather than wait in a queue.
		for _, r := range ik.remotes {
			if snap, ok := r.refetch(ctx); ok {
				usable = true
				if k, ok := snap.find(kid, alg); ok {
					return k, nil
				}
			}
		}
	}
	if !usable && firstErr != nil {
		return verificationKey{}, firstErr
	}
	return verificationKey{}, ErrUnknownKey
}

func (v *Verifier) tenantFromClaims(raw, iss string, c map[string]any) (*Tenant, error) {
	now := v.cfg.Now()
	leeway := v.cfg.Leeway
	exp, ok, err := numericDate(c, "exp")
	if err != nil || !ok {
		return nil, ErrMissingExpiry
	}
	if !now.Before(exp.Add(leeway)) {
		return nil, ErrTokenExpired
	}
	nbf, ok, err := numericDate(c, "nbf")
	if err != nil {
		return nil, fmt.Errorf("%w: nbf", ErrInvalidClaim)
	}
	if ok && now.Add(leeway).Before(nbf) {
		return nil, fmt.Errorf("%w: nbf in the future", ErrTokenNotYetValid)
	}
	iat, ok, err := numericDate(c, "iat")
	if err != nil {
		return nil, fmt.Errorf("%w: iat", ErrInvalidClaim)
	}
	if ok && now.Add(leeway).Before(iat) {
		return nil, fmt.Errorf("%w: iat in the future", ErrTokenNotYetValid)
	}
	aud, err := stringList(c["aud"], false)
	if err != nil {
		return nil, fmt.Errorf("%w: malformed aud", ErrInvalidAudience)
	}
	if !v.cfg.InsecureSkipAudienceCheck && !slices.ContainsFunc(aud, func(a string) bool { return slices.Contains(v.cfg.Audiences, a) }) {
		return nil, ErrInvalidAudience
	}
	sub, ok := c["sub"].(string)
	if !ok || sub == "" {
		return nil, fmt.Errorf("%w: missing sub", ErrInvalidClaim)
	}
	tv, ok := lookupPath(c, v.cfg.Claims.Tenant)
	if !ok || tv == nil {
		return nil, ErrMissingTenant
	}
	id, ok := tv.(string)
	if !ok {
		return nil, fmt.Errorf("%w: tenant claim is not a string", ErrInvalidTenantID)
	}
	if err := ValidateID(id); err != nil {
		return nil, err
	}
	t := &Tenant{
		ID:        id,
		Subject:   sub,
		Issuer:    iss,
		Audience:  aud,
		ExpiresAt: exp,
		IssuedAt:  iat,
		secret:    newTenantSecret(raw, c),
	}
	if t.Tier, err = optionalString(c, v.cfg.Claims.Tier); err != nil {
		return nil, err
	}
	if t.Region, err = optionalString(c, v.cfg.Claims.Region); err != nil {
		return nil, err
	}
	if sv, ok := lookupPath(c, v.cfg.Claims.Scopes); ok {
		if t.Scopes, err = stringList(sv, true); err != nil {
			return nil, fmt.Errorf("%w: malformed scopes", ErrInvalidClaim)
		}
	}
	if ev, ok := lookupPath(c, v.cfg.Claims.Entitlements); ok {
		if t.Entitlements, err = stringList(ev, true); err != nil {
			return nil, fmt.Errorf("%w: malformed entitlements", ErrInvalidClaim)
		}
	}
	if av, ok := c["act"]; ok {
		if t.Actor, err = parseActor(av, 1, v.cfg.MaxActorDepth); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// numericDate reads an RFC 7519 NumericDate claim.
func numericDate(c map[string]any, name string) (time.Time, bool, error) {
	raw, ok := c[name]
	if !ok {
		return time.Time{}, false, nil
	}
	f, ok := raw.(float64)
	if !ok || math.IsNaN(f) || f < 0 || f > 1<<40 {
		return time.Time{}, false, ErrInvalidClaim
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), true, nil
}

func lookupPath(c map[string]any, p ClaimPath) (any, bool) {
	var cur any = c
	for _, name := range p {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[name]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func optionalString(c map[string]any, p ClaimPath) (string, error) {
	v, ok := lookupPath(c, p)
	if !ok || v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%w: claim %q is not a string", ErrInvalidClaim, strings.Join(p, "."))
	}
	return s, nil
}

// stringList reads a string or an array of strings. With split, a string
// is split at spaces (the RFC 9068 "scope" format).
func stringList(v any, split bool) ([]string, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		if split {
			return splitSpace(x), nil
		}
		return []string{x}, nil
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, ErrInvalidClaim
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, ErrInvalidClaim
}

// splitSpace splits s at SP (0x20) only, dropping empty elements. RFC 6749
// §3.3 delimits scope tokens with SP; strings.Fields would also split at
// tabs and Unicode spaces, so a scope registered as "read\u00a0admin"
// would grant "admin".
func splitSpace(s string) []string {
	out := make([]string, 0, strings.Count(s, " ")+1)
	for f := range strings.SplitSeq(s, " ") {
		if f != "" {
			out = append(out, f)
		}
	}
	return out
}

func parseActor(v any, depth, limit int) (*Actor, error) {
	if depth > limit {
		return nil, fmt.Errorf("%w: delegation chain deeper than %d", ErrInvalidActor, limit)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: not an object", ErrInvalidActor)
	}
	a := &Actor{}
	if a.Subject, ok = m["sub"].(string); !ok || a.Subject == "" {
		return nil, fmt.Errorf("%w: missing sub", ErrInvalidActor)
	}
	for name, dst := range map[string]*string{"iss": &a.Issuer, "client_id": &a.ClientID} {
		if x, present := m[name]; present {
			if *dst, ok = x.(string); !ok {
				return nil, fmt.Errorf("%w: %s is not a string", ErrInvalidActor, name)
			}
		}
	}
	if next, ok := m["act"]; ok {
		var err error
		if a.Actor, err = parseActor(next, depth+1, limit); err != nil {
			return nil, err
		}
	}
	return a, nil
}
