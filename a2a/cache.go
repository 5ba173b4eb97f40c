package a2a

import (
	"context"
	"math/rand/v2"
	"strings"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/sync/singleflight"
)

// Cache defaults.
const (
	// DefaultEarlyExpiry is how long before a token's expiry a cached
	// token stops being used.
	DefaultEarlyExpiry = 30 * time.Second
	// DefaultMaxEntries bounds a token cache.
	DefaultMaxEntries = 10000
)

// cacheKey identifies one cached token. subject is the SHA-256 of the
// subject token (zero for client credentials), actor the identity of the
// acting agent, target the encoded audience/resource/scope/requested type.
// The tenant id is deliberately not part of the key: the exchange request
// carries nothing tenant-specific besides the subject token, so two Tenant
// values with the same raw token get the same answer from the
// authorization server, and sharing it reveals nothing a fresh exchange
// would not (the receiving side's header binding rejects a tenant id that
// disagrees with the token).
type cacheKey struct {
	subject [32]byte
	actor   string
	target  string
}

func (k cacheKey) flightKey() string {
	var b strings.Builder
	b.Grow(len(k.subject) + len(k.actor) + len(k.target) + 2)
	b.Write(k.subject[:])
	b.WriteByte(0)
	b.WriteString(k.actor)
	b.WriteByte(0)
	b.WriteString(k.target)
	return b.String()
}

type cacheEntry struct {
	tok   *Token
	until time.Time
}

// tokenCache is a bounded LRU of tokens with singleflight fills. Errors
// are never cached. It is safe for concurrent use.
type tokenCache struct {
	lru     *lru.Cache[cacheKey, cacheEntry]
	group   singleflight.Group
	now     func() time.Time
	early   time.Duration
	timeout time.Duration
}

func newTokenCache(size int, early, timeout time.Duration, now func() time.Time) (*tokenCache, error) {
	if size < 0 || early < 0 || timeout < 0 {
		return nil, configError("negative cache size, early expiry or timeout")
	}
	if size == 0 {
		size = DefaultMaxEntries
	}
	if early == 0 {
		early = DefaultEarlyExpiry
	}
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	if now == nil {
		now = time.Now
	}
	l, err := lru.New[cacheKey, cacheEntry](size)
	if err != nil {
		return nil, configError("cache: %v", err)
	}
	return &tokenCache{lru: l, now: now, early: early, timeout: timeout}, nil
}

// fetchFunc obtains a fresh token.
type fetchFunc func(ctx context.Context) (tok *Token, err error)

// get returns the cached token for key or fills it through fetch. limit,
// when non-zero, is a time after which the token must not be served from
// the cache (the subject token's own expiry). Only
// one fetch per key runs at a time; it runs on a context detached from the
// caller's cancellation (bounded by the cache timeout) so that one caller
// giving up does not fail the others, while every waiting caller still
// returns as soon as its own ctx is done.
func (c *tokenCache) get(ctx context.Context, key cacheKey, limit time.Time, fetch fetchFunc) (*Token, error) {
	if tok, ok := c.lookup(key); ok {
		return tok, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ch := c.group.DoChan(key.flightKey(), func() (any, error) {
		if e, ok := c.lru.Get(key); ok && c.now().Before(e.until) {
			return e.tok, nil
		}
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.timeout)
		defer cancel()
		tok, err := fetch(fctx)
		if err != nil {
			return nil, err
		}
		if until := c.cacheUntil(tok, limit); !until.IsZero() {
			c.lru.Add(key, cacheEntry{tok: tok, until: until})
		}
		return tok, nil
	})
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.(*Token), nil
	}
}

// lookup returns the cached token for key if it is still fresh, and drops
// a stale entry.
func (c *tokenCache) lookup(key cacheKey) (*Token, bool) {
	e, ok := c.lru.Get(key)
	if !ok {
		return nil, false
	}
	if c.now().Before(e.until) {
		return e.tok, true
	}
	c.lru.Remove(key)
	return nil, false
}

// cacheUntil returns when a freshly fetched token stops being served from
// the cache, or zero when it must not be cached at all: the token's expiry
// minus the early window minus up to 25% jitter of that window, and never
// later than limit. A token without an expiry is not cached.
func (c *tokenCache) cacheUntil(tok *Token, limit time.Time) time.Time {
	if tok.Expiry.IsZero() {
		return time.Time{}
	}
	jitter := time.Duration(rand.Int64N(int64(c.early)/4 + 1))
	until := tok.Expiry.Add(-c.early - jitter)
	if !limit.IsZero() && limit.Before(until) {
		until = limit
	}
	if !until.After(c.now()) {
		return time.Time{}
	}
	return until
}

// len reports the number of cached entries (for tests).
func (c *tokenCache) len() int { return c.lru.Len() }
