package a2a

import (
	"context"
	"crypto/sha256"
	"fmt"
	"hash"
	"strings"
	"sync"
	"time"

	"github.com/tenantkit/tenantkit/tenantctx"
)

// ExchangeSourceConfig configures an [ExchangeSource].
type ExchangeSourceConfig struct {
	// Actor supplies the agent's own credential, sent as the actor_token
	// so that the issued token says the agent acts on behalf of the user
	// (the "act" claim). Required unless SkipActorToken is set.
	Actor TokenSource
	// ActorTokenType is the type of the actor token; default
	// [TokenTypeAccessToken].
	ActorTokenType string
	// ActorID names the actor in the cache key. Default: for a
	// [*ClientCredentialsSource] actor its client id and token URL;
	// otherwise required.
	ActorID string
	// SkipActorToken sends no actor token. Use it only with an
	// authorization server that derives the actor from the client
	// authentication; otherwise the issued token impersonates the user.
	SkipActorToken bool
	// SubjectTokenType is the type of [tenantctx.Tenant.Token]; default
	// [TokenTypeAccessToken].
	SubjectTokenType string
	// RequestedTokenType defaults to [TokenTypeAccessToken]. The issued
	// token must be an access token or a JWT with token_type Bearer.
	RequestedTokenType string
	// EarlyExpiry, MaxEntries and Timeout tune the cache; zero values mean
	// [DefaultEarlyExpiry], [DefaultMaxEntries] and [DefaultTimeout].
	EarlyExpiry time.Duration
	MaxEntries  int
	Timeout     time.Duration
	// Now is the cache clock; nil means time.Now.
	Now func() time.Time
}

// ExchangeSource is a [TokenSource] that exchanges the tenant's inbound
// token (the subject token, [tenantctx.Tenant.Token]) together with the
// agent's own credential (the actor token) for a token bound to the
// destination's audience, resource and scope (RFC 8693 delegation).
//
// Tokens are cached by the SHA-256 of the subject token, the actor
// identity, audience, resource, scope and requested token type, until
// shortly before they expire and never past the subject token's own
// expiry ([tenantctx.Tenant.ExpiresAt]; a zero ExpiresAt, as on a Tenant
// built by hand, sets no such limit). Concurrent misses for one key
// cause one exchange; errors are not cached; the cache is bounded (LRU).
// Tokens without expires_in are not cached.
//
// An ExchangeSource is safe for concurrent use by multiple goroutines.
type ExchangeSource struct {
	client    *TokenClient
	actor     TokenSource
	actorType string
	actorID   string
	subjType  string
	reqType   string
	cache     *tokenCache
	now       func() time.Time
	keyActor  string // actor identity and token types: constant per source
}

// NewExchangeSource returns a caching token-exchange source using client.
func NewExchangeSource(client *TokenClient, cfg ExchangeSourceConfig) (*ExchangeSource, error) {
	if client == nil {
		return nil, configError("nil token client")
	}
	s := &ExchangeSource{
		client:    client,
		actor:     cfg.Actor,
		actorType: cfg.ActorTokenType,
		actorID:   cfg.ActorID,
		subjType:  cfg.SubjectTokenType,
		reqType:   cfg.RequestedTokenType,
		now:       cfg.Now,
	}
	switch {
	case cfg.SkipActorToken && cfg.Actor != nil:
		return nil, configError("SkipActorToken and Actor are mutually exclusive")
	case cfg.SkipActorToken:
		if s.actorID == "" {
			s.actorID = "client:" + client.clientID + "@" + client.tokenURL
		}
	case cfg.Actor == nil:
		return nil, configError("an Actor token source is required (or SkipActorToken)")
	}
	if s.actorID == "" {
		if cc, ok := cfg.Actor.(*ClientCredentialsSource); ok {
			s.actorID = "client:" + cc.client.clientID + "@" + cc.client.tokenURL
		} else {
			return nil, configError("ActorID is required for this Actor source")
		}
	}
	if s.actorType == "" {
		s.actorType = TokenTypeAccessToken
	}
	if s.subjType == "" {
		s.subjType = TokenTypeAccessToken
	}
	if s.reqType == "" {
		s.reqType = TokenTypeAccessToken
	}
	for _, t := range []string{s.actorType, s.subjType, s.reqType} {
		if !isTokenTypeURI(t) {
			return nil, configError("malformed token type URI")
		}
	}
	if s.now == nil {
		s.now = time.Now
	}
	cache, err := newTokenCache(cfg.MaxEntries, cfg.EarlyExpiry, cfg.Timeout, s.now)
	if err != nil {
		return nil, err
	}
	s.cache = cache
	s.keyActor = s.actorID + "\x00" + s.subjType + "\x00" + s.reqType
	return s, nil
}

// Token implements [TokenSource]. It needs req.Tenant with a raw token and
// at least one of req.Audience and req.Resource.
func (s *ExchangeSource) Token(ctx context.Context, req TokenRequest) (*Token, error) {
	t := req.Tenant
	if t == nil {
		return nil, fmt.Errorf("a2a: token exchange: %w", tenantctx.ErrNoTenant)
	}
	subject := t.Token()
	if subject == "" {
		return nil, ErrNoSubjectToken
	}
	if len(req.Audience) == 0 && len(req.Resource) == 0 {
		return nil, ErrNoAudience
	}
	limit := t.ExpiresAt
	if !limit.IsZero() && !s.now().Before(limit) {
		return nil, ErrSubjectTokenExpired
	}
	key := cacheKey{
		subject: hashString(subject),
		actor:   s.keyActor,
		target:  req.targetKey(),
	}
	if tok, ok := s.cache.lookup(key); ok {
		return tok, nil
	}
	return s.fill(ctx, key, limit, subject, req)
}

// fill is the cache-miss path, kept out of Token so that the closure's
// captures do not make the hit path allocate.
func (s *ExchangeSource) fill(ctx context.Context, key cacheKey, limit time.Time, subject string, req TokenRequest) (*Token, error) {
	return s.cache.get(ctx, key, limit, func(ctx context.Context) (*Token, error) {
		return s.exchange(ctx, subject, req)
	})
}

func (s *ExchangeSource) exchange(ctx context.Context, subject string, req TokenRequest) (*Token, error) {
	xr := ExchangeRequest{
		SubjectToken:       subject,
		SubjectTokenType:   s.subjType,
		Audience:           req.Audience,
		Resource:           req.Resource,
		Scope:              req.Scope,
		RequestedTokenType: s.reqType,
	}
	if s.actor != nil {
		at, err := s.actor.Token(ctx, TokenRequest{})
		if err != nil {
			return nil, fmt.Errorf("a2a: actor token: %w", err)
		}
		if at == nil || at.AccessToken == "" {
			return nil, fmt.Errorf("a2a: actor token: %w", ErrInvalidToken)
		}
		xr.ActorToken = at.AccessToken
		xr.ActorTokenType = s.actorType
	}
	tok, err := s.client.Exchange(ctx, xr)
	if err != nil {
		return nil, err
	}
	if tok.IssuedTokenType != TokenTypeAccessToken && tok.IssuedTokenType != TokenTypeJWT && tok.IssuedTokenType != s.reqType {
		return nil, responseError("issued_token_type is not usable as an access token")
	}
	if !strings.EqualFold(tok.TokenType, "bearer") {
		return nil, responseError("token_type is not Bearer")
	}
	if tok.AccessToken == subject {
		return nil, ErrTokenPassThrough
	}
	return tok, nil
}

// ClientCredentialsConfig configures a [ClientCredentialsSource].
type ClientCredentialsConfig struct {
	// Audience, Resource and Scope are requested when the [TokenRequest]
	// names none of them (for example when the source supplies actor
	// tokens). Otherwise the request's values are used.
	Audience []string
	Resource []string
	Scope    []string
	// EarlyExpiry, MaxEntries and Timeout tune the cache; zero values mean
	// [DefaultEarlyExpiry], [DefaultMaxEntries] and [DefaultTimeout].
	EarlyExpiry time.Duration
	MaxEntries  int
	Timeout     time.Duration
	// Now is the cache clock; nil means time.Now.
	Now func() time.Time
}

// ClientCredentialsSource is a [TokenSource] returning the agent's own
// access token from the client-credentials grant, cached per audience,
// resource and scope until shortly before expiry. It ignores the tenant:
// use it for tenant-less destinations and as the Actor of an
// [ExchangeSource].
//
// A ClientCredentialsSource is safe for concurrent use by multiple
// goroutines.
type ClientCredentialsSource struct {
	client *TokenClient
	def    ClientCredentialsRequest
	defKey string
	cache  *tokenCache
}

// NewClientCredentialsSource returns a caching client-credentials source.
func NewClientCredentialsSource(client *TokenClient, cfg ClientCredentialsConfig) (*ClientCredentialsSource, error) {
	if client == nil {
		return nil, configError("nil token client")
	}
	cache, err := newTokenCache(cfg.MaxEntries, cfg.EarlyExpiry, cfg.Timeout, cfg.Now)
	if err != nil {
		return nil, err
	}
	def := ClientCredentialsRequest{
		Audience: append([]string(nil), cfg.Audience...),
		Resource: append([]string(nil), cfg.Resource...),
		Scope:    append([]string(nil), cfg.Scope...),
	}
	if err := addTarget(make(map[string][]string), def.Audience, def.Resource, def.Scope); err != nil {
		return nil, configError("default target: %v", err)
	}
	return &ClientCredentialsSource{
		client: client,
		def:    def,
		defKey: targetKey(def.Audience, def.Resource, def.Scope),
		cache:  cache,
	}, nil
}

// Token implements [TokenSource].
func (s *ClientCredentialsSource) Token(ctx context.Context, req TokenRequest) (*Token, error) {
	cr := ClientCredentialsRequest{Audience: req.Audience, Resource: req.Resource, Scope: req.Scope}
	var target string
	if len(cr.Audience) == 0 && len(cr.Resource) == 0 && len(cr.Scope) == 0 {
		cr, target = s.def, s.defKey
	} else {
		target = req.targetKey()
	}
	key := cacheKey{target: target}
	if tok, ok := s.cache.lookup(key); ok {
		return tok, nil
	}
	return s.fill(ctx, key, cr)
}

func (s *ClientCredentialsSource) fill(ctx context.Context, key cacheKey, cr ClientCredentialsRequest) (*Token, error) {
	return s.cache.get(ctx, key, time.Time{}, func(ctx context.Context) (*Token, error) {
		tok, err := s.client.ClientCredentials(ctx, cr)
		if err != nil {
			return nil, err
		}
		if !strings.EqualFold(tok.TokenType, "bearer") {
			return nil, responseError("token_type is not Bearer")
		}
		return tok, nil
	})
}

// hashers pools SHA-256 states with a copy buffer, so that hashing a
// subject token on the hot path neither allocates nor converts the string.
var hashers = sync.Pool{New: func() any { return &hasher{h: sha256.New()} }}

type hasher struct {
	h   hash.Hash
	buf [512]byte
	sum [sha256.Size]byte
}

// hashString returns the SHA-256 of s.
func hashString(s string) [sha256.Size]byte {
	hs := hashers.Get().(*hasher)
	hs.h.Reset()
	for len(s) > 0 {
		n := copy(hs.buf[:], s)
		hs.h.Write(hs.buf[:n])
		s = s[n:]
	}
	hs.h.Sum(hs.sum[:0])
	out := hs.sum
	hashers.Put(hs)
	return out
}

var (
	_ TokenSource = (*ExchangeSource)(nil)
	_ TokenSource = (*ClientCredentialsSource)(nil)
	_ TokenSource = staticSource{}
)
