package policy

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/sync/singleflight"
)

// Defaults of [CacheConfig].
const (
	DefaultCacheTTL         = time.Minute
	DefaultCacheNegativeTTL = 5 * time.Second
	DefaultCacheMaxEntries  = 10000
	DefaultCacheTimeout     = 10 * time.Second
)

// CacheConfig configures a [Cache]. The zero value selects the defaults.
type CacheConfig struct {
	// TTL is how long a user's tenant and a tenant's policy are cached.
	// Default [DefaultCacheTTL]. A policy change reaches the gateway at the
	// latest TTL later, unless the entry is invalidated.
	TTL time.Duration
	// NegativeTTL is how long "unknown user" and "no policy" answers are
	// cached; at most TTL. Default [DefaultCacheNegativeTTL]. Other errors
	// (a backend that is down, a cancelled context) are never cached.
	NegativeTTL time.Duration
	// MaxEntries bounds the number of users and, separately, the number of
	// tenants held; the least recently used entries are evicted first.
	// Default [DefaultCacheMaxEntries].
	MaxEntries int
	// FetchTimeout bounds one lookup in the wrapped registry. The lookup is
	// shared by every concurrent caller for the same key and is not
	// cancelled when one of them gives up. Default [DefaultCacheTimeout].
	FetchTimeout time.Duration
	// Now returns the current time. Default time.Now.
	Now func() time.Time
}

// Cache is a [Registry] that caches the answers of another one. Entries
// expire after a TTL; concurrent misses for the same user or tenant cause a
// single lookup (singleflight); the number of entries is bounded (LRU). A
// tenant's entry only ever answers for that tenant, and a policy returned by
// the wrapped registry for another tenant is rejected, never cached. A Cache
// is safe for concurrent use.
type Cache struct {
	next     Registry
	cfg      CacheConfig
	users    *lru.Cache[string, cacheEntry[string]]
	policies *lru.Cache[string, cacheEntry[*Policy]]
	userSF   singleflight.Group
	polSF    singleflight.Group
	// gen changes on every invalidation, so that a lookup that started
	// before it neither stores its now stale result nor is joined by a
	// caller that arrives after the invalidation (it is part of the
	// singleflight key).
	gen atomic.Uint64
	// mu makes "check gen, then store" atomic with respect to
	// invalidations; lookups that hit the cache do not take it.
	mu sync.Mutex
}

var _ Registry = (*Cache)(nil)

type cacheEntry[V any] struct {
	val     V
	err     error
	expires time.Time
}

// NewCache wraps next in a cache.
func NewCache(next Registry, cfg CacheConfig) (*Cache, error) {
	if next == nil {
		return nil, errors.New("policy: cache: nil registry")
	}
	if cfg.TTL < 0 || cfg.NegativeTTL < 0 || cfg.MaxEntries < 0 || cfg.FetchTimeout < 0 {
		return nil, errors.New("policy: cache: negative TTL, NegativeTTL, MaxEntries or FetchTimeout")
	}
	if cfg.TTL == 0 {
		cfg.TTL = DefaultCacheTTL
	}
	if cfg.NegativeTTL == 0 {
		cfg.NegativeTTL = min(DefaultCacheNegativeTTL, cfg.TTL)
	}
	if cfg.NegativeTTL > cfg.TTL {
		return nil, fmt.Errorf("policy: cache: NegativeTTL %v longer than TTL %v", cfg.NegativeTTL, cfg.TTL)
	}
	if cfg.MaxEntries == 0 {
		cfg.MaxEntries = DefaultCacheMaxEntries
	}
	if cfg.FetchTimeout == 0 {
		cfg.FetchTimeout = DefaultCacheTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	users, err := lru.New[string, cacheEntry[string]](cfg.MaxEntries)
	if err != nil {
		return nil, fmt.Errorf("policy: cache: %w", err)
	}
	policies, err := lru.New[string, cacheEntry[*Policy]](cfg.MaxEntries)
	if err != nil {
		return nil, fmt.Errorf("policy: cache: %w", err)
	}
	return &Cache{next: next, cfg: cfg, users: users, policies: policies}, nil
}

// TenantOf implements [Registry].
func (c *Cache) TenantOf(ctx context.Context, userID string) (string, error) {
	return lookup(ctx, c, c.users, &c.userSF, userID, c.next.TenantOf, func(string) error { return nil })
}

// Policy implements [Registry].
func (c *Cache) Policy(ctx context.Context, tenantID string) (*Policy, error) {
	return lookup(ctx, c, c.policies, &c.polSF, tenantID, c.next.Policy, func(p *Policy) error {
		if p == nil {
			return fmt.Errorf("policy: cache: registry returned no policy: %w", ErrNoPolicy)
		}
		if p.TenantID() != tenantID {
			return fmt.Errorf("policy: cache: registry returned the policy of another tenant: %w", ErrNoPolicy)
		}
		return nil
	})
}

func lookup[V any](ctx context.Context, c *Cache, entries *lru.Cache[string, cacheEntry[V]], sf *singleflight.Group, key string,
	fetch func(context.Context, string) (V, error), check func(V) error,
) (V, error) {
	if e, ok := entries.Get(key); ok && c.cfg.Now().Before(e.expires) {
		return e.val, e.err
	}
	var zero V
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	// A lookup started before an invalidation must not answer a caller
	// that arrives after it: the generation is part of the flight's key.
	gen := c.gen.Load()
	ch := sf.DoChan(strconv.FormatUint(gen, 36)+"/"+key, func() (any, error) {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.cfg.FetchTimeout)
		defer cancel()
		v, err := fetch(fctx, key)
		if err == nil {
			err = check(v)
		}
		ttl := c.cfg.TTL
		switch {
		case err == nil:
		case errors.Is(err, ErrUnknownUser) || errors.Is(err, ErrNoPolicy):
			ttl = c.cfg.NegativeTTL
			v = zero
		default:
			return zero, err // transient: not cached
		}
		c.mu.Lock()
		if c.gen.Load() == gen {
			entries.Add(key, cacheEntry[V]{val: v, err: err, expires: c.cfg.Now().Add(ttl)})
		}
		c.mu.Unlock()
		return v, err
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return zero, res.Err
		}
		return res.Val.(V), nil
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}

// InvalidateUser drops the cached tenant of userID.
func (c *Cache) InvalidateUser(userID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen.Add(1)
	c.users.Remove(userID)
}

// InvalidateTenant drops the cached policy of tenantID, so that the next
// decision for it sees the registry's current policy.
func (c *Cache) InvalidateTenant(tenantID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen.Add(1)
	c.policies.Remove(tenantID)
}

// Purge drops every entry.
func (c *Cache) Purge() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen.Add(1)
	c.users.Purge()
	c.policies.Purge()
}

// Len returns the number of cached users and tenants.
func (c *Cache) Len() (users, tenants int) { return c.users.Len(), c.policies.Len() }
