package tenantctx

import (
	"hash/maphash"
	"sync"
	"time"
)

const cacheShards = 16

// tokenCache maps verified tokens to their Tenant.
//
// The key is a 64-bit maphash of the token with a per-verifier random seed,
// so an attacker cannot aim for collisions; each entry also keeps the full
// token and a lookup compares it in constant time, so even a collision can
// never return another token's Tenant. Lookups do not allocate.
type tokenCache struct {
	seed     maphash.Seed
	perShard int
	ttl      time.Duration
	shards   [cacheShards]cacheShard
}

type cacheShard struct {
	mu sync.RWMutex
	m  map[uint64]*cacheEntry
	_  [40]byte // keep shards on separate cache lines
}

type cacheEntry struct {
	token   string
	tenant  *Tenant
	expires int64 // unix nanoseconds, never after the token's exp
}

func newTokenCache(size int, ttl time.Duration) *tokenCache {
	c := &tokenCache{seed: maphash.MakeSeed(), perShard: max(1, (size+cacheShards-1)/cacheShards), ttl: ttl}
	for i := range c.shards {
		c.shards[i].m = make(map[uint64]*cacheEntry)
	}
	return c
}

func (c *tokenCache) get(tok string, now time.Time) *Tenant {
	h := maphash.String(c.seed, tok)
	sh := &c.shards[h%cacheShards]
	sh.mu.RLock()
	e := sh.m[h]
	sh.mu.RUnlock()
	if e == nil || now.UnixNano() >= e.expires || !constantTimeEqual(e.token, tok) {
		return nil
	}
	return e.tenant
}

func (c *tokenCache) put(tok string, t *Tenant, now time.Time) {
	exp := now.Add(c.ttl)
	if t.ExpiresAt.Before(exp) {
		exp = t.ExpiresAt
	}
	if !now.Before(exp) {
		return
	}
	h := maphash.String(c.seed, tok)
	sh := &c.shards[h%cacheShards]
	e := &cacheEntry{token: tok, tenant: t, expires: exp.UnixNano()}
	n := now.UnixNano()
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if _, ok := sh.m[h]; !ok && len(sh.m) >= c.perShard {
		// Drop expired entries among a bounded sample, else one random
		// entry (map iteration order is randomised).
		evicted, seen := false, 0
		for k, old := range sh.m {
			if old.expires <= n {
				delete(sh.m, k)
				evicted = true
			}
			if seen++; seen >= 8 {
				break
			}
		}
		if !evicted {
			for k := range sh.m {
				delete(sh.m, k)
				break
			}
		}
	}
	sh.m[h] = e
}

func (c *tokenCache) len() int {
	n := 0
	for i := range c.shards {
		c.shards[i].mu.RLock()
		n += len(c.shards[i].m)
		c.shards[i].mu.RUnlock()
	}
	return n
}

// constantTimeEqual compares a and b in time that depends only on their
// lengths, eight bytes at a time (the compiler merges the byte loads of
// load64 into one 64-bit load).
func constantTimeEqual(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	var v uint64
	i := 0
	for ; i+8 <= len(a); i += 8 {
		v |= load64(a, i) ^ load64(b, i)
	}
	for ; i < len(a); i++ {
		v |= uint64(a[i] ^ b[i])
	}
	return v == 0
}

func load64(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}
