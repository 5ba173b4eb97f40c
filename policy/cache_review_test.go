package policy

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// snapshotRegistry reads its policy when a lookup starts and returns it
// only when released, like a database read whose response is in flight.
type snapshotRegistry struct {
	pol     atomic.Pointer[Policy]
	started chan struct{}
	release chan struct{}
}

func (r *snapshotRegistry) TenantOf(context.Context, string) (string, error) {
	return "", ErrUnknownUser
}

func (r *snapshotRegistry) Policy(ctx context.Context, _ string) (*Policy, error) {
	p := r.pol.Load()
	r.started <- struct{}{}
	select {
	case <-r.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return p, nil
}

// A caller that arrives after InvalidateTenant must not be handed the
// result of a lookup that started before it (singleflight join).
func TestCacheNoStaleJoinAfterInvalidate(t *testing.T) {
	t.Parallel()
	old := mustPolicy(t, policyJSON("POL-A1", "Tenant-A", "admin-refund"))
	updated := mustPolicy(t, policyJSON("POL-A2", "Tenant-A", "order-lookup"))
	backend := &snapshotRegistry{started: make(chan struct{}, 4), release: make(chan struct{})}
	backend.pol.Store(old)
	c, err := NewCache(backend, CacheConfig{})
	require.NoError(t, err)

	first := make(chan *Policy, 1)
	go func() {
		p, _ := c.Policy(context.Background(), "Tenant-A")
		first <- p
	}()
	<-backend.started // the first lookup has read the old policy

	backend.pol.Store(updated)
	c.InvalidateTenant("Tenant-A")

	second := make(chan *Policy, 1)
	go func() {
		p, _ := c.Policy(context.Background(), "Tenant-A")
		second <- p
	}()
	select {
	case <-backend.started: // a fresh lookup, as it must be
	case <-time.After(2 * time.Second):
	}
	close(backend.release)
	assert.Equal(t, "POL-A1", (<-first).ID())
	assert.Equal(t, "POL-A2", (<-second).ID(), "a lookup after InvalidateTenant got the policy read before it")

	p, err := c.Policy(context.Background(), "Tenant-A")
	require.NoError(t, err)
	assert.Equal(t, "POL-A2", p.ID())
}

// armedRegistry returns its current policy and arms a hook.
type armedRegistry struct {
	pol   atomic.Pointer[Policy]
	armed atomic.Bool
}

func (r *armedRegistry) TenantOf(context.Context, string) (string, error) {
	return "", ErrUnknownUser
}

func (r *armedRegistry) Policy(context.Context, string) (*Policy, error) {
	p := r.pol.Load()
	r.armed.Store(true)
	return p, nil
}

// An invalidation that lands between a lookup's "was there an
// invalidation?" check and its store must not leave the stale result in
// the cache. The clock, read while the entry is stored, is where the
// invalidation is injected.
func TestCacheInvalidateRacesStore(t *testing.T) {
	t.Parallel()
	backend := &armedRegistry{}
	backend.pol.Store(mustPolicy(t, policyJSON("POL-A1", "Tenant-A", "admin-refund")))
	var c *Cache
	now := func() time.Time {
		if backend.armed.CompareAndSwap(true, false) {
			// The policy changes and the admin invalidates the cache now.
			backend.pol.Store(mustPolicy(t, policyJSON("POL-A2", "Tenant-A", "order-lookup")))
			done := make(chan struct{})
			go func() { c.InvalidateTenant("Tenant-A"); close(done) }()
			select {
			case <-done:
			case <-time.After(200 * time.Millisecond): // blocked until the store is over
			}
		}
		return time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	}
	var err error
	c, err = NewCache(backend, CacheConfig{Now: now})
	require.NoError(t, err)

	p, err := c.Policy(context.Background(), "Tenant-A")
	require.NoError(t, err)
	assert.Equal(t, "POL-A1", p.ID(), "the lookup itself started before the change")
	require.Eventually(t, func() bool {
		p, err := c.Policy(context.Background(), "Tenant-A")
		return err == nil && p.ID() == "POL-A2"
	}, 2*time.Second, 10*time.Millisecond)
	p, err = c.Policy(context.Background(), "Tenant-A")
	require.NoError(t, err)
	assert.Equal(t, "POL-A2", p.ID(), "stale policy cached after InvalidateTenant")
}
