package stsx

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

const (
	maxShards = 256
	// minPerShard keeps shards large enough that LRU order within a shard
	// is a good approximation of global LRU order.
	minPerShard = 64
	// touchGranularity limits how often a hit writes the entry's
	// last-used time, so parallel hits on one entry do not contend.
	touchGranularity = int64(time.Millisecond)
)

// credState is one immutable credential and its refresh schedule, on the
// provider's clock (see Provider.clock).
type credState struct {
	creds     aws.Credentials
	refreshAt int64
	expires   int64
	// wallExpires is the expiration as Unix nanoseconds on the wall
	// clock. The monotonic deadline alone is not enough: Linux's
	// monotonic clock stops while the machine is suspended, so after a
	// resume it can lag the wall clock that STS stamped Expiration with.
	wallExpires int64
}

// validAt reports whether st may still be returned at provider time now
// and wall-clock time wall (Unix nanoseconds): both deadlines must lie
// ahead.
func (st *credState) validAt(now, wall int64) bool {
	return now < st.expires && wall < st.wallExpires
}

// flight is one STS call shared by every caller for a key.
type flight struct {
	done chan struct{}
	st   *credState // set before done is closed
	err  error      // set before done is closed
}

// entry is the cache slot for one key.
type entry struct {
	inputs   []string // per-tenant key inputs, compared on every hit
	req      *request // validated request for inputs; immutable
	state    atomic.Pointer[credState]
	lastUsed atomic.Int64
	busy     atomic.Bool // a flight is running; a hint for the hit path

	mu        sync.Mutex
	flight    *flight
	failErr   *FetchError
	failUntil int64
}

func newEntry(inputs []string, req *request, now int64) *entry {
	e := &entry{inputs: inputs, req: req}
	e.lastUsed.Store(now)
	return e
}

func (e *entry) touch(now int64) {
	if last := e.lastUsed.Load(); now-last >= touchGranularity || now < last {
		e.lastUsed.Store(now)
	}
}

// cache is a bounded map from key hash to entry. Reads are lock-free: each
// shard publishes an immutable map through an atomic pointer, and writers
// (only on misses, which already cost an STS call) copy it under the
// shard's mutex. No lock is held during an STS call.
type cache struct {
	shards   []shard
	mask     uint64
	perShard int
}

type shard struct {
	m  atomic.Pointer[map[uint64]*entry]
	mu sync.Mutex
	_  [48]byte // keep shards on separate cache lines
}

func newCache(maxEntries int) *cache {
	n := 1
	for n*2 <= maxShards && maxEntries/(n*2) >= minPerShard {
		n *= 2
	}
	return &cache{shards: make([]shard, n), mask: uint64(n - 1), perShard: max(1, maxEntries/n)}
}

func (c *cache) get(h uint64) *entry {
	m := c.shards[h&c.mask].m.Load()
	if m == nil {
		return nil
	}
	return (*m)[h]
}

// getOrAdd returns the entry for h, creating it with mk when absent and
// evicting the shard's least recently used entry when the shard is full.
func (c *cache) getOrAdd(h uint64, mk func() *entry) *entry {
	s := &c.shards[h&c.mask]
	s.mu.Lock()
	defer s.mu.Unlock()
	var old map[uint64]*entry
	if p := s.m.Load(); p != nil {
		old = *p
	}
	if e, ok := old[h]; ok {
		return e
	}
	victim, haveVictim := uint64(0), false
	if len(old) >= c.perShard {
		oldest := int64(0)
		for k, e := range old {
			if lu := e.lastUsed.Load(); !haveVictim || lu < oldest {
				victim, oldest, haveVictim = k, lu, true
			}
		}
	}
	m := make(map[uint64]*entry, len(old)+1)
	for k, e := range old {
		if haveVictim && k == victim {
			continue
		}
		m[k] = e
	}
	e := mk()
	m[h] = e
	s.m.Store(&m)
	return e
}

// len returns the number of entries.
func (c *cache) len() int {
	n := 0
	for i := range c.shards {
		if p := c.shards[i].m.Load(); p != nil {
			n += len(*p)
		}
	}
	return n
}
