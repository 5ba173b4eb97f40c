package policy

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var _ Registry = (*Cache)(nil)

// countingRegistry counts lookups, can block them, and can fail them.
type countingRegistry struct {
	next        Registry
	userCalls   atomic.Int32
	policyCalls atomic.Int32
	gate        chan struct{} // when non-nil, each lookup waits for a value
	err         atomic.Pointer[error]
	override    atomic.Pointer[Policy]
}

func (r *countingRegistry) wait(ctx context.Context) error {
	if r.gate == nil {
		return nil
	}
	select {
	case <-r.gate:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *countingRegistry) TenantOf(ctx context.Context, userID string) (string, error) {
	r.userCalls.Add(1)
	if err := r.wait(ctx); err != nil {
		return "", err
	}
	if e := r.err.Load(); e != nil {
		return "", *e
	}
	return r.next.TenantOf(ctx, userID)
}

func (r *countingRegistry) Policy(ctx context.Context, tenantID string) (*Policy, error) {
	r.policyCalls.Add(1)
	if err := r.wait(ctx); err != nil {
		return nil, err
	}
	if e := r.err.Load(); e != nil {
		return nil, *e
	}
	if p := r.override.Load(); p != nil {
		return p, nil
	}
	return r.next.Policy(ctx, tenantID)
}

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func newCacheFixture(t *testing.T, cfg CacheConfig) (*Cache, *countingRegistry, *MemoryRegistry, *fakeClock) {
	t.Helper()
	mem, err := NewMemoryRegistry(map[string]string{"alice": "Tenant-A"}, mustPolicy(t, issueDoc), mustPolicy(t, tenantBDoc))
	require.NoError(t, err)
	backend := &countingRegistry{next: mem}
	clock := &fakeClock{now: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
	cfg.Now = clock.Now
	c, err := NewCache(backend, cfg)
	require.NoError(t, err)
	return c, backend, mem, clock
}

func TestCacheTTL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, backend, mem, clock := newCacheFixture(t, CacheConfig{TTL: time.Minute})

	for i := 0; i < 3; i++ {
		p, err := c.Policy(ctx, "Tenant-A")
		require.NoError(t, err)
		assert.Equal(t, "POL-TENANT-A", p.ID())
		tid, err := c.TenantOf(ctx, "alice")
		require.NoError(t, err)
		assert.Equal(t, "Tenant-A", tid)
	}
	assert.Equal(t, int32(1), backend.policyCalls.Load())
	assert.Equal(t, int32(1), backend.userCalls.Load())

	// Keys are per tenant: Tenant-B is its own lookup and its own answer.
	p, err := c.Policy(ctx, "Tenant-B")
	require.NoError(t, err)
	assert.Equal(t, "POL-TENANT-B", p.ID())
	assert.Equal(t, int32(2), backend.policyCalls.Load())

	// A change in the backend is seen after the TTL.
	require.NoError(t, mem.SetPolicy(mustPolicy(t, policyJSON("POL-A2", "Tenant-A", "x"))))
	clock.Advance(59 * time.Second)
	p, _ = c.Policy(ctx, "Tenant-A")
	assert.Equal(t, "POL-TENANT-A", p.ID())
	clock.Advance(time.Second)
	p, _ = c.Policy(ctx, "Tenant-A")
	assert.Equal(t, "POL-A2", p.ID())

	// Or at once after an invalidation.
	require.NoError(t, mem.SetPolicy(mustPolicy(t, policyJSON("POL-A3", "Tenant-A", "x"))))
	c.InvalidateTenant("Tenant-A")
	p, _ = c.Policy(ctx, "Tenant-A")
	assert.Equal(t, "POL-A3", p.ID())

	require.NoError(t, mem.SetUser("alice", "Tenant-B"))
	c.InvalidateUser("alice")
	tid, _ := c.TenantOf(ctx, "alice")
	assert.Equal(t, "Tenant-B", tid)

	c.Purge()
	users, tenants := c.Len()
	assert.Zero(t, users+tenants)
}

func TestCacheErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, backend, mem, clock := newCacheFixture(t, CacheConfig{TTL: time.Minute, NegativeTTL: 2 * time.Second})

	// Negative answers are cached briefly.
	_, err := c.Policy(ctx, "Tenant-C")
	require.ErrorIs(t, err, ErrNoPolicy)
	_, err = c.TenantOf(ctx, "mallory")
	require.ErrorIs(t, err, ErrUnknownUser)
	require.NoError(t, mem.SetPolicy(mustPolicy(t, policyJSON("POL-C", "Tenant-C", "x"))))
	_, err = c.Policy(ctx, "Tenant-C")
	require.ErrorIs(t, err, ErrNoPolicy)
	assert.Equal(t, int32(1), backend.policyCalls.Load())
	clock.Advance(2 * time.Second)
	p, err := c.Policy(ctx, "Tenant-C")
	require.NoError(t, err)
	assert.Equal(t, "POL-C", p.ID())

	// Transient errors are not cached at all.
	errDown := errors.New("backend down")
	backend.err.Store(&errDown)
	_, err = c.Policy(ctx, "Tenant-B")
	require.ErrorIs(t, err, errDown)
	backend.err.Store(nil)
	p, err = c.Policy(ctx, "Tenant-B")
	require.NoError(t, err)
	assert.Equal(t, "POL-TENANT-B", p.ID())

	// A policy for another tenant is refused and not cached.
	backend.override.Store(mustPolicy(t, issueDoc))
	_, err = c.Policy(ctx, "Tenant-D")
	require.ErrorIs(t, err, ErrNoPolicy)
	d, err := Decide(ctx, c, tenant("Tenant-D"), ResourceTypeTool, "agent:tool:order-lookup")
	require.Error(t, err)
	assert.False(t, d.Allowed)
}

func TestCacheSingleflight(t *testing.T) {
	t.Parallel()
	c, backend, _, _ := newCacheFixture(t, CacheConfig{})
	backend.gate = make(chan struct{})
	const n = 16
	var wg sync.WaitGroup
	results := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := c.Policy(context.Background(), "Tenant-A")
			if err == nil && p.ID() != "POL-TENANT-A" {
				err = errors.New("wrong policy")
			}
			results <- err
		}()
	}
	require.Eventually(t, func() bool { return backend.policyCalls.Load() == 1 }, 5*time.Second, time.Millisecond)
	time.Sleep(20 * time.Millisecond) // let the others pile up on the flight
	close(backend.gate)
	wg.Wait()
	close(results)
	for err := range results {
		require.NoError(t, err)
	}
	assert.Equal(t, int32(1), backend.policyCalls.Load())
}

func TestCacheCallerCancellation(t *testing.T) {
	t.Parallel()
	c, backend, _, _ := newCacheFixture(t, CacheConfig{})
	backend.gate = make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.Policy(ctx, "Tenant-A")
		done <- err
	}()
	require.Eventually(t, func() bool { return backend.policyCalls.Load() == 1 }, 5*time.Second, time.Millisecond)
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)

	// The shared lookup was not cancelled with the caller: it completes
	// and later callers use its result.
	close(backend.gate)
	require.Eventually(t, func() bool {
		p, err := c.Policy(context.Background(), "Tenant-A")
		return err == nil && p.ID() == "POL-TENANT-A"
	}, 5*time.Second, time.Millisecond)
	assert.Equal(t, int32(1), backend.policyCalls.Load())

	_, err := c.Policy(ctx, "Tenant-B")
	require.ErrorIs(t, err, context.Canceled, "a cancelled caller does not start a lookup")
}

func TestCacheFetchTimeout(t *testing.T) {
	t.Parallel()
	c, backend, _, _ := newCacheFixture(t, CacheConfig{FetchTimeout: 10 * time.Millisecond})
	backend.gate = make(chan struct{}) // never opened
	_, err := c.Policy(context.Background(), "Tenant-A")
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestCacheInvalidateDuringLookup(t *testing.T) {
	t.Parallel()
	c, backend, mem, _ := newCacheFixture(t, CacheConfig{})
	backend.gate = make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = c.Policy(context.Background(), "Tenant-A")
	}()
	require.Eventually(t, func() bool { return backend.policyCalls.Load() == 1 }, 5*time.Second, time.Millisecond)
	c.InvalidateTenant("Tenant-A")
	backend.gate <- struct{}{}
	<-done
	// The lookup that raced the invalidation did not fill the cache.
	_, tenants := c.Len()
	assert.Zero(t, tenants)
	require.NoError(t, mem.SetPolicy(mustPolicy(t, policyJSON("POL-A2", "Tenant-A", "x"))))
	backend.gate = nil
	p, err := c.Policy(context.Background(), "Tenant-A")
	require.NoError(t, err)
	assert.Equal(t, "POL-A2", p.ID())
}

func TestCacheBounded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _, _, _ := newCacheFixture(t, CacheConfig{MaxEntries: 2})
	for _, u := range []string{"u1", "u2", "u3", "u4"} {
		_, _ = c.TenantOf(ctx, u)
	}
	for _, tn := range []string{"Tenant-A", "Tenant-B", "Tenant-C"} {
		_, _ = c.Policy(ctx, tn)
	}
	users, tenants := c.Len()
	assert.Equal(t, 2, users)
	assert.Equal(t, 2, tenants)
}

func TestNewCacheRejects(t *testing.T) {
	t.Parallel()
	_, err := NewCache(nil, CacheConfig{})
	require.Error(t, err)
	mem, err := NewMemoryRegistry(nil)
	require.NoError(t, err)
	for _, cfg := range []CacheConfig{
		{TTL: -1}, {NegativeTTL: -1}, {MaxEntries: -1}, {FetchTimeout: -1},
		{TTL: time.Second, NegativeTTL: time.Minute},
	} {
		_, err := NewCache(mem, cfg)
		require.Error(t, err, "%+v", cfg)
	}
	c, err := NewCache(mem, CacheConfig{TTL: time.Second})
	require.NoError(t, err)
	assert.Equal(t, time.Second, c.cfg.NegativeTTL, "NegativeTTL defaults to at most TTL")
}
