package tenantctx

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// verificationKey is one usable public key (or HMAC secret).
type verificationKey struct {
	id  string
	alg string // optional restriction
	key any
}

// keySnapshot is an immutable view of one JWKS document.
type keySnapshot struct {
	keys       []verificationKey
	refreshAt  time.Time // refresh ahead from here on
	expiresAt  time.Time // fresh until here
	staleUntil time.Time // served during refetch failures until here
}

func (s *keySnapshot) find(kid, alg string) (verificationKey, bool) {
	return findKey(s.keys, kid, alg)
}

// findKey returns the key named kid, or when kid is empty the only key
// that fits alg.
func findKey(keys []verificationKey, kid, alg string) (verificationKey, bool) {
	if kid != "" {
		// Several keys may share a kid (say an RSA and an EC key); prefer
		// the one that fits alg, else return a misfit so that the caller
		// reports algorithm confusion rather than an unknown key.
		var misfit verificationKey
		found := false
		for _, k := range keys {
			if k.id != kid {
				continue
			}
			if (k.alg == "" || k.alg == alg) && keyFits(alg, k.key) {
				return k, true
			}
			if !found {
				misfit, found = k, true
			}
		}
		return misfit, found
	}
	var found verificationKey
	n := 0
	for _, k := range keys {
		if (k.alg == "" || k.alg == alg) && keyFits(alg, k.key) {
			found = k
			n++
		}
	}
	return found, n == 1
}

// fetchCall is one in-flight JWKS fetch that callers can wait for.
type fetchCall struct {
	done chan struct{}
	err  error
}

// remoteKeySet keeps the keys of one JWKS URL.
//
// Keys are read through an atomic pointer, so a request whose key is known
// never waits for anything. Fetches are started on demand (no background
// goroutine runs while the verifier is idle): ahead of expiry when a
// lookup sees the refresh time has passed, on an unknown kid, or when no
// usable keys are left. At most one fetch runs at a time (callers that
// need its result join it, nobody queues behind a limiter), and no two
// fetch attempts of one URL start less than MinInterval apart.
type remoteKeySet struct {
	url     string
	client  *http.Client
	now     func() time.Time
	cfg     JWKSConfig
	base    context.Context
	wg      *sync.WaitGroup
	fetches atomic.Int64

	snap atomic.Pointer[keySnapshot]

	mu          sync.Mutex
	inflight    *fetchCall
	lastAttempt time.Time
	lastErr     error
	closed      bool
}

// close stops new fetches; wg.Add only happens under mu while !closed, so
// a later wg.Wait sees every fetch.
func (s *remoteKeySet) close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
}

// current returns a usable snapshot: fresh, or stale within StalePeriod.
// Only when neither exists does it wait for a fetch.
func (s *remoteKeySet) current(ctx context.Context) (*keySnapshot, error) {
	now := s.now()
	snap := s.snap.Load()
	if snap != nil && now.Before(snap.staleUntil) {
		if !now.Before(snap.refreshAt) {
			s.start(now) // refresh ahead (or retry during an outage) without waiting
		}
		return snap, nil
	}
	call := s.start(now)
	if call == nil {
		return nil, s.unavailable()
	}
	if err := s.wait(ctx, call); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKeySetUnavailable, err)
	}
	snap = s.snap.Load()
	if snap == nil || !s.now().Before(snap.staleUntil) {
		return nil, s.unavailable()
	}
	return snap, nil
}

// refetch is called for an unknown kid: it joins the running fetch or
// starts one if MinInterval allows, and reports whether a new snapshot
// may contain more keys.
func (s *remoteKeySet) refetch(ctx context.Context) (*keySnapshot, bool) {
	call := s.start(s.now())
	if call == nil {
		return nil, false
	}
	if s.wait(ctx, call) != nil {
		return nil, false
	}
	snap := s.snap.Load()
	return snap, snap != nil && s.now().Before(snap.staleUntil)
}

func (s *remoteKeySet) unavailable() error {
	s.mu.Lock()
	last := s.lastErr
	s.mu.Unlock()
	if last != nil {
		return fmt.Errorf("%w: %w", ErrKeySetUnavailable, last)
	}
	return ErrKeySetUnavailable
}

// start returns the running fetch, or starts a new one if the last attempt
// is at least MinInterval ago, or returns nil.
func (s *remoteKeySet) start(now time.Time) *fetchCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inflight != nil {
		return s.inflight
	}
	if !s.lastAttempt.IsZero() && now.Sub(s.lastAttempt) < s.cfg.MinInterval {
		return nil
	}
	if s.closed {
		return nil
	}
	s.lastAttempt = now
	s.fetches.Add(1)
	call := &fetchCall{done: make(chan struct{})}
	s.inflight = call
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		err := s.fetch()
		s.mu.Lock()
		call.err = err
		s.lastErr = err
		s.inflight = nil
		s.mu.Unlock()
		close(call.done)
	}()
	return call
}

func (s *remoteKeySet) wait(ctx context.Context, call *fetchCall) error {
	select {
	case <-call.done:
		return call.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *remoteKeySet) fetch() error {
	ctx, cancel := context.WithTimeout(s.base, s.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return fmt.Errorf("tenantctx: jwks request: %w", err)
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("tenantctx: jwks fetch: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return fmt.Errorf("tenantctx: jwks fetch: status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, s.cfg.MaxBodySize+1))
	if err != nil {
		return fmt.Errorf("tenantctx: jwks read: %w", err)
	}
	if int64(len(body)) > s.cfg.MaxBodySize {
		return fmt.Errorf("tenantctx: jwks body larger than %d bytes", s.cfg.MaxBodySize)
	}
	keys, err := parseJWKS(body)
	if err != nil {
		return err
	}
	now := s.now()
	ttl := s.cfg.TTL
	if maxAge, ok := cacheMaxAge(resp.Header); ok {
		ttl = min(max(maxAge, s.cfg.MinTTL), s.cfg.MaxTTL)
	}
	// Refresh ahead at 75–85% of the lifetime, jittered so that many
	// replicas do not hit the IdP at once.
	ahead := time.Duration(float64(ttl) * (0.75 + 0.1*rand.Float64()))
	s.snap.Store(&keySnapshot{
		keys:       keys,
		refreshAt:  now.Add(ahead),
		expiresAt:  now.Add(ttl),
		staleUntil: now.Add(ttl + s.cfg.StalePeriod),
	})
	return nil
}

// cacheMaxAge reads max-age from Cache-Control (minus Age). no-store and
// no-cache yield 0, which the caller raises to MinTTL.
func cacheMaxAge(h http.Header) (time.Duration, bool) {
	cc := h.Values("Cache-Control")
	if len(cc) == 0 {
		return 0, false
	}
	var maxAge time.Duration
	found := false
	for _, line := range cc {
		for d := range strings.SplitSeq(line, ",") {
			d = strings.ToLower(strings.TrimSpace(d))
			switch {
			case d == "no-store" || d == "no-cache":
				return 0, true
			case strings.HasPrefix(d, "max-age="):
				n, err := strconv.ParseInt(strings.Trim(d[len("max-age="):], `"`), 10, 64)
				if err != nil || n < 0 {
					return 0, true
				}
				if n > 1<<31 {
					n = 1 << 31
				}
				maxAge, found = time.Duration(n)*time.Second, true
			}
		}
	}
	if !found {
		return 0, false
	}
	if age, err := strconv.ParseInt(h.Get("Age"), 10, 64); err == nil && age > 0 && age < 1<<31 {
		maxAge -= time.Duration(age) * time.Second
	}
	return max(maxAge, 0), true
}

type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	N   string `json:"n"`
	E   string `json:"e"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
	D   string `json:"d"`
}

// parseJWKS parses a JWK Set. Keys for encryption, of unsupported types or
// with private parts are skipped; a set without a usable key is an error so
// that a broken response never replaces good keys.
func parseJWKS(body []byte) ([]verificationKey, error) {
	if err := checkJSONObject(body); err != nil {
		return nil, fmt.Errorf("tenantctx: jwks: %w", err)
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, fmt.Errorf("tenantctx: jwks: %w", errJSONSyntax)
	}
	var keys []verificationKey
	for _, raw := range set.Keys {
		var k jwk
		if json.Unmarshal(raw, &k) != nil {
			continue
		}
		if (k.Use != "" && k.Use != "sig") || k.D != "" {
			continue
		}
		pub, err := k.publicKey()
		if err != nil {
			continue
		}
		if k.Alg != "" && !keyFits(k.Alg, pub) {
			continue
		}
		keys = append(keys, verificationKey{id: k.Kid, alg: k.Alg, key: pub})
	}
	if len(keys) == 0 {
		return nil, errors.New("tenantctx: jwks has no usable key")
	}
	return keys, nil
}

var b64 = base64.RawURLEncoding.Strict()

func (k *jwk) publicKey() (any, error) {
	switch k.Kty {
	case "RSA":
		n, err1 := b64.DecodeString(k.N)
		e, err2 := b64.DecodeString(k.E)
		if err1 != nil || err2 != nil || len(e) == 0 || len(e) > 4 {
			return nil, errJSONSyntax
		}
		exp := new(big.Int).SetBytes(e)
		if !exp.IsInt64() || exp.Int64() < 3 || exp.Int64()%2 == 0 {
			return nil, errJSONSyntax
		}
		return checkKey(&rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(exp.Int64())}, false)
	case "EC":
		var curve elliptic.Curve
		switch k.Crv {
		case "P-256":
			curve = elliptic.P256()
		case "P-384":
			curve = elliptic.P384()
		case "P-521":
			curve = elliptic.P521()
		default:
			return nil, errJSONSyntax
		}
		x, err1 := b64.DecodeString(k.X)
		y, err2 := b64.DecodeString(k.Y)
		size := (curve.Params().BitSize + 7) / 8
		if err1 != nil || err2 != nil || len(x) != size || len(y) != size {
			return nil, errJSONSyntax
		}
		point := append(append([]byte{4}, x...), y...)
		pub, err := ecdsa.ParseUncompressedPublicKey(curve, point)
		if err != nil {
			return nil, err
		}
		return pub, nil
	case "OKP":
		x, err := b64.DecodeString(k.X)
		if k.Crv != "Ed25519" || err != nil || len(x) != ed25519.PublicKeySize {
			return nil, errJSONSyntax
		}
		return ed25519.PublicKey(x), nil
	}
	return nil, errJSONSyntax
}
