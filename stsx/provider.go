package stsx

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/tenantkit/tenantkit/tenantctx"
)

// AssumeRoleAPI is the part of the STS client a [Provider] uses.
// *sts.Client implements it; tests may pass a hand-written fake or an
// *sts.Client pointed at an ststest server.
type AssumeRoleAPI interface {
	AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, optFns ...func(*sts.Options)) (*sts.AssumeRoleOutput, error)
	AssumeRoleWithWebIdentity(ctx context.Context, in *sts.AssumeRoleWithWebIdentityInput, optFns ...func(*sts.Options)) (*sts.AssumeRoleWithWebIdentityOutput, error)
}

var _ AssumeRoleAPI = (*sts.Client)(nil)

// ErrTenantMismatch reports that a provider bound to one tenant with
// [Provider.ForTenant] was called with a context that carries a different
// tenant.
var ErrTenantMismatch = errors.New("stsx: context tenant differs from bound tenant")

// CredentialsSource is the Source of every aws.Credentials a Provider
// returns.
const CredentialsSource = "stsx"

// Provider vends temporary AWS credentials per tenant and caches them. It is
// an aws.CredentialsProvider whose Retrieve reads the tenant from the
// context, so one aws.Config serves every tenant; see the package
// documentation for why it must not be wrapped in aws.CredentialsCache.
//
// A Provider is safe for concurrent use by multiple goroutines.
type Provider struct {
	api        AssumeRoleAPI
	cfg        Config
	now        func() time.Time
	seed       maphash.Seed
	cfgHash    uint64
	nInputs    int
	srcID      func(*tenantctx.Tenant) string
	web        bool
	cache      *cache
	wrapCtxTyp reflect.Type
	// epoch anchors the provider's clock (see clock). With the default
	// clock it carries a monotonic reading.
	epoch     time.Time
	fastClock bool
}

var (
	_ aws.CredentialsProvider = (*Provider)(nil)
	_ aws.CredentialsProvider = (*TenantProvider)(nil)
)

// New returns a Provider that calls api as cfg describes. It returns an
// error wrapping [ErrInvalidConfig] for an invalid configuration.
func New(api AssumeRoleAPI, cfg Config) (*Provider, error) {
	if api == nil {
		return nil, fmt.Errorf("%w: nil AssumeRoleAPI", ErrInvalidConfig)
	}
	if cfg.TenantTagKey == "" {
		cfg.TenantTagKey = DefaultTenantTagKey
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	defaultClock := cfg.Now == nil
	cfg.setDefaults()
	cfg.Tags = append([]TagSource(nil), cfg.Tags...)
	cfg.TransitiveTagKeys = append([]string(nil), cfg.TransitiveTagKeys...)
	p := &Provider{
		api:        api,
		cfg:        cfg,
		now:        cfg.Now,
		seed:       maphash.MakeSeed(),
		srcID:      cfg.SourceIdentity,
		web:        cfg.Mode == ModeWebIdentity,
		cache:      newCache(cfg.MaxEntries),
		wrapCtxTyp: credentialsCacheContextType(),
		fastClock:  defaultClock,
	}
	p.epoch = p.now()
	p.nInputs = 2 + len(cfg.Tags)
	if p.srcID != nil {
		p.nInputs++
	}
	if p.web {
		p.nInputs++
	}
	p.cfgHash = maphash.String(p.seed, p.configFingerprint())
	return p, nil
}

// configFingerprint encodes every configuration field that changes the
// credentials, length-prefixed, so that it can be mixed into cache keys.
func (p *Provider) configFingerprint() string {
	var b strings.Builder
	add := func(s string) {
		b.WriteString(strconv.Itoa(len(s)))
		b.WriteByte(':')
		b.WriteString(s)
	}
	add(p.cfg.Mode.String())
	add(p.cfg.RoleARN)
	add(p.cfg.TenantTagKey)
	for _, t := range p.cfg.Tags {
		add(t.Key)
	}
	add("|")
	for _, k := range p.cfg.TransitiveTagKeys {
		add(k)
	}
	add(strconv.FormatBool(p.srcID != nil))
	add(p.cfg.SessionNamePrefix)
	add(p.cfg.Duration.String())
	add(p.cfg.ExternalID)
	add(p.cfg.SessionPolicy)
	return b.String()
}

// Retrieve implements aws.CredentialsProvider: it returns credentials for
// the tenant in ctx, and fails closed with tenantctx.ErrNoTenant when ctx
// carries none. Called from inside an aws.CredentialsCache it returns
// [ErrWrappedInCache].
func (p *Provider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	if p.wrapCtxTyp != nil && reflect.TypeOf(ctx) == p.wrapCtxTyp {
		return aws.Credentials{}, ErrWrappedInCache
	}
	t, ok := tenantctx.FromContext(ctx)
	if !ok {
		return aws.Credentials{}, tenantctx.ErrNoTenant
	}
	return p.Credentials(ctx, t)
}

// ForTenant returns a provider bound to t, for code that builds an
// aws.Config per tenant. Its Retrieve ignores the tenant in the context,
// except that it fails with [ErrTenantMismatch] when the context carries a
// tenant with a different ID or, when t has a Subject, a different
// Subject: the credentials of a provider bound to one user (whose session
// name, and possibly tags and source identity, name that user) never serve
// another user's request. Bind a Tenant without a Subject to serve every
// user of the tenant. It shares p's cache, and unlike p it may be
// wrapped in an aws.CredentialsCache.
func (p *Provider) ForTenant(t *tenantctx.Tenant) *TenantProvider {
	return &TenantProvider{p: p, t: t}
}

// TenantProvider is an aws.CredentialsProvider bound to one tenant; see
// [Provider.ForTenant]. It is safe for concurrent use.
type TenantProvider struct {
	p *Provider
	t *tenantctx.Tenant
}

// Retrieve implements aws.CredentialsProvider.
func (tp *TenantProvider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	if tp.t == nil {
		return aws.Credentials{}, tenantctx.ErrNoTenant
	}
	if ct, ok := tenantctx.FromContext(ctx); ok {
		if ct.ID != tp.t.ID {
			return aws.Credentials{}, ErrTenantMismatch
		}
		if tp.t.Subject != "" && ct.Subject != tp.t.Subject {
			return aws.Credentials{}, fmt.Errorf("%w: bound to another subject", ErrTenantMismatch)
		}
	}
	return tp.p.Credentials(ctx, tp.t)
}

// Credentials returns credentials for t, from the cache when it holds an
// unexpired credential for the same key, otherwise from STS. N concurrent
// callers for one key cause one STS call. A caller whose ctx ends while
// waiting returns ctx's error at once; the shared call goes on for the
// others. A nil t fails with tenantctx.ErrNoTenant.
func (p *Provider) Credentials(ctx context.Context, t *tenantctx.Tenant) (aws.Credentials, error) {
	if t == nil {
		return aws.Credentials{}, tenantctx.ErrNoTenant
	}
	h := p.keyHash(t)
	e := p.cache.get(h)
	if e != nil && p.matches(e, t) {
		now, wall := p.clocks()
		if st := e.state.Load(); st != nil && st.validAt(now, wall) {
			e.touch(now)
			if now >= st.refreshAt && !e.busy.Load() {
				p.refreshAhead(ctx, e, t, now)
			}
			return st.creds, nil
		}
	}
	return p.slow(ctx, t, h, e)
}

// clock returns the provider's time in nanoseconds since epoch. With the
// default clock it reads only the monotonic clock, which is immune to
// wall-clock steps: a credential's deadline is its remaining lifetime when
// it arrived, measured on the monotonic clock, so a wall clock stepped
// backwards cannot make an expired credential look valid. It is used for
// refresh schedules and LRU order; whether a credential may be returned is
// decided by [Provider.clocks] and credState.validAt.
func (p *Provider) clock() int64 {
	if p.fastClock {
		return int64(time.Since(p.epoch))
	}
	return p.clockAt(p.now())
}

// clocks returns the provider's time (see clock) and the wall-clock time
// in Unix nanoseconds, from one reading. A credential is returned only
// while both are before its deadlines: the monotonic one guards against a
// wall clock stepped backwards, the wall one against a monotonic clock
// that stood still while the machine was suspended.
func (p *Provider) clocks() (now, wall int64) {
	var t time.Time
	if p.fastClock {
		t = time.Now()
	} else {
		t = p.now()
	}
	return int64(t.Sub(p.epoch)), t.UnixNano()
}

// clockAt converts t (a time from p.now) to the provider's clock.
func (p *Provider) clockAt(t time.Time) int64 { return int64(t.Sub(p.epoch)) }

func mix(h, x uint64) uint64 {
	h ^= x
	h *= 0x9e3779b97f4a7c15
	return h ^ h>>29
}

// keyHash hashes every per-tenant input of the cache key. The static
// configuration is mixed in through cfgHash. It does not allocate.
func (p *Provider) keyHash(t *tenantctx.Tenant) uint64 {
	h := mix(p.cfgHash, maphash.String(p.seed, t.ID))
	h = mix(h, maphash.String(p.seed, t.Subject))
	for i := range p.cfg.Tags {
		h = mix(h, maphash.String(p.seed, p.cfg.Tags[i].Value(t)))
	}
	if p.srcID != nil {
		h = mix(h, maphash.String(p.seed, p.srcID(t)))
	}
	if p.web {
		h = mix(h, maphash.String(p.seed, t.Token()))
	}
	return h
}

// inputs returns the per-tenant inputs that keyHash hashes.
func (p *Provider) inputs(t *tenantctx.Tenant) []string {
	in := make([]string, 0, p.nInputs)
	in = append(in, t.ID, t.Subject)
	for i := range p.cfg.Tags {
		in = append(in, p.cfg.Tags[i].Value(t))
	}
	if p.srcID != nil {
		in = append(in, p.srcID(t))
	}
	if p.web {
		in = append(in, t.Token())
	}
	return in
}

// matches reports whether e was created for exactly t's inputs. A hash
// match alone is never trusted.
func (p *Provider) matches(e *entry, t *tenantctx.Tenant) bool {
	in := e.inputs
	if len(in) != p.nInputs || in[0] != t.ID || in[1] != t.Subject {
		return false
	}
	i := 2
	for j := range p.cfg.Tags {
		if in[i] != p.cfg.Tags[j].Value(t) {
			return false
		}
		i++
	}
	if p.srcID != nil {
		if in[i] != p.srcID(t) {
			return false
		}
		i++
	}
	if p.web && in[i] != t.Token() {
		return false
	}
	return true
}

// request is a validated STS request for one cache key.
type request struct {
	tenantID       string
	sessionName    string
	tags           []types.Tag
	transitive     []string
	sourceIdentity string
}

// newRequest validates t's inputs and builds the STS request for them.
func (p *Provider) newRequest(t *tenantctx.Tenant) (*request, error) {
	if err := tenantctx.ValidateID(t.ID); err != nil {
		return nil, err
	}
	r := &request{
		tenantID:    t.ID,
		sessionName: SessionName(p.cfg.SessionNamePrefix, t.ID, t.Subject),
	}
	if p.web {
		return r, nil
	}
	r.tags = make([]types.Tag, 0, 1+len(p.cfg.Tags))
	r.tags = append(r.tags, types.Tag{Key: aws.String(p.cfg.TenantTagKey), Value: aws.String(t.ID)})
	for _, ts := range p.cfg.Tags {
		if v := ts.Value(t); v != "" {
			r.tags = append(r.tags, types.Tag{Key: aws.String(ts.Key), Value: aws.String(v)})
		}
	}
	for _, k := range p.cfg.TransitiveTagKeys {
		for _, tag := range r.tags {
			if *tag.Key == k {
				r.transitive = append(r.transitive, k)
				break
			}
		}
	}
	if err := ValidateTags(r.tags, r.transitive); err != nil {
		return nil, err
	}
	if p.srcID != nil {
		if s := p.srcID(t); s != "" {
			if err := ValidateSourceIdentity(s); err != nil {
				return nil, err
			}
			r.sourceIdentity = s
		}
	}
	return r, nil
}

// slow handles everything but a plain cache hit: creating the entry,
// joining or starting the single flight, and waiting for it.
func (p *Provider) slow(ctx context.Context, t *tenantctx.Tenant, h uint64, e *entry) (aws.Credentials, error) {
	if e == nil || !p.matches(e, t) {
		req, err := p.newRequest(t)
		if err != nil {
			return aws.Credentials{}, err
		}
		if e == nil {
			e = p.cache.getOrAdd(h, func() *entry {
				return newEntry(p.inputs(t), req, p.clock())
			})
		}
		if !p.matches(e, t) {
			// Two keys with one 64-bit hash: never share the slot. Serve
			// this caller uncached; with a random seed this does not
			// happen in practice and cannot be provoked.
			st, err := p.fetch(ctx, t, req)
			if err != nil {
				return aws.Credentials{}, &FetchError{TenantID: t.ID, Op: p.cfg.Mode.String(), Err: err}
			}
			return st.creds, nil
		}
	}
	now, wall := p.clocks()
	if st := e.state.Load(); st != nil && st.validAt(now, wall) {
		e.touch(now)
		return st.creds, nil
	}
	e.mu.Lock()
	if e.failErr != nil && now < e.failUntil {
		err := e.failErr
		e.mu.Unlock()
		return aws.Credentials{}, err
	}
	f := e.flight
	if f == nil {
		f = p.startFlight(ctx, e, t)
	}
	e.mu.Unlock()

	select {
	case <-f.done:
		if f.err != nil {
			return aws.Credentials{}, f.err
		}
		if now, wall := p.clocks(); !f.st.validAt(now, wall) {
			return aws.Credentials{}, fmt.Errorf("%w: credential expired before it could be returned", ErrInvalidResponse)
		}
		return f.st.creds, nil
	case <-ctx.Done():
		return aws.Credentials{}, fmt.Errorf("stsx: waiting for credentials: %w", ctx.Err())
	}
}

// refreshAhead starts a background refresh of a credential that is still
// valid but inside its refresh window, unless one is running or the key is
// backing off after a failure.
func (p *Provider) refreshAhead(ctx context.Context, e *entry, t *tenantctx.Tenant, now int64) {
	if !e.mu.TryLock() {
		return
	}
	if e.flight == nil && (e.failErr == nil || now >= e.failUntil) {
		p.startFlight(ctx, e, t)
	}
	e.mu.Unlock()
}

// startFlight starts the single STS call for e. e.mu must be held.
func (p *Provider) startFlight(ctx context.Context, e *entry, t *tenantctx.Tenant) *flight {
	f := &flight{done: make(chan struct{})}
	e.flight = f
	e.busy.Store(true)
	go p.runFlight(context.WithoutCancel(ctx), e, f, t)
	return f
}

func (p *Provider) runFlight(ctx context.Context, e *entry, f *flight, t *tenantctx.Tenant) {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.RefreshTimeout)
	defer cancel()
	var (
		st  *credState
		err error
	)
	func() {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("stsx: panic during refresh: %v", r)
			}
		}()
		st, err = p.fetch(ctx, t, e.req)
	}()
	wall := p.now()
	now := p.clockAt(wall)
	e.mu.Lock()
	if err != nil {
		retryAt := now + int64(p.cfg.ErrorBackoff)
		fe := &FetchError{TenantID: t.ID, Op: p.cfg.Mode.String(), RetryAt: wall.Add(p.cfg.ErrorBackoff), Err: err}
		e.failErr, e.failUntil = fe, retryAt
		f.err = fe
	} else {
		e.state.Store(st)
		e.failErr, e.failUntil = nil, 0
		f.st = st
	}
	e.flight = nil
	e.busy.Store(false)
	e.mu.Unlock()
	close(f.done)
}

// fetch makes one STS call for req.
func (p *Provider) fetch(ctx context.Context, t *tenantctx.Tenant, req *request) (*credState, error) {
	var dur *int32
	if p.cfg.Duration > 0 {
		dur = aws.Int32(int32(p.cfg.Duration / time.Second))
	}
	var policy *string
	if p.cfg.SessionPolicy != "" {
		policy = aws.String(p.cfg.SessionPolicy)
	}
	var (
		c    *types.Credentials
		user *types.AssumedRoleUser
	)
	if p.web {
		tok := t.Token()
		if p.cfg.WebIdentityToken != nil {
			var err error
			if tok, err = p.cfg.WebIdentityToken(ctx, t); err != nil {
				return nil, fmt.Errorf("%w: %w", ErrNoWebIdentityToken, err)
			}
		}
		if tok == "" || len(tok) > maxWebTokenLen {
			return nil, ErrNoWebIdentityToken
		}
		out, err := p.api.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
			RoleArn:          aws.String(p.cfg.RoleARN),
			RoleSessionName:  aws.String(req.sessionName),
			WebIdentityToken: aws.String(tok),
			DurationSeconds:  dur,
			Policy:           policy,
		})
		if err != nil {
			return nil, err
		}
		c, user = out.Credentials, out.AssumedRoleUser
	} else {
		in := &sts.AssumeRoleInput{
			RoleArn:         aws.String(p.cfg.RoleARN),
			RoleSessionName: aws.String(req.sessionName),
			Tags:            req.tags,
			DurationSeconds: dur,
			Policy:          policy,
		}
		if len(req.transitive) > 0 {
			in.TransitiveTagKeys = req.transitive
		}
		if req.sourceIdentity != "" {
			in.SourceIdentity = aws.String(req.sourceIdentity)
		}
		if p.cfg.ExternalID != "" {
			in.ExternalId = aws.String(p.cfg.ExternalID)
		}
		out, err := p.api.AssumeRole(ctx, in)
		if err != nil {
			return nil, err
		}
		c, user = out.Credentials, out.AssumedRoleUser
	}
	return p.newCredState(c, user)
}

func (p *Provider) newCredState(c *types.Credentials, user *types.AssumedRoleUser) (*credState, error) {
	if c == nil || aws.ToString(c.AccessKeyId) == "" || aws.ToString(c.SecretAccessKey) == "" || c.Expiration == nil {
		return nil, fmt.Errorf("%w: missing credentials or expiration", ErrInvalidResponse)
	}
	now := p.now()
	exp := *c.Expiration
	if !now.Before(exp) {
		return nil, fmt.Errorf("%w: credentials already expired", ErrInvalidResponse)
	}
	window := p.cfg.RefreshWindow
	if life := exp.Sub(now); window > life/2 {
		window = life / 2
	}
	jitterMax := min(p.cfg.RefreshJitter, window/2)
	var jitter time.Duration
	if jitterMax > 0 {
		jitter = rand.N(jitterMax)
	}
	var account string
	if user != nil {
		if parts := strings.SplitN(aws.ToString(user.Arn), ":", 6); len(parts) == 6 {
			account = parts[4]
		}
	}
	return &credState{
		creds: aws.Credentials{
			AccessKeyID:     aws.ToString(c.AccessKeyId),
			SecretAccessKey: aws.ToString(c.SecretAccessKey),
			SessionToken:    aws.ToString(c.SessionToken),
			Source:          CredentialsSource,
			CanExpire:       true,
			Expires:         exp,
			AccountID:       account,
		},
		expires:     p.clockAt(now) + int64(exp.Sub(now)),
		refreshAt:   p.clockAt(now) + int64(exp.Sub(now)-window-jitter),
		wallExpires: exp.UnixNano(),
	}, nil
}

// credentialsCacheContextType returns the dynamic type of the context that
// aws.CredentialsCache passes to the provider it wraps, learned once by
// wrapping a probe. Provider.Retrieve compares against it to refuse
// running inside such a cache.
var credentialsCacheContextType = sync.OnceValue(func() reflect.Type {
	var typ reflect.Type
	probe := aws.NewCredentialsCache(aws.CredentialsProviderFunc(func(ctx context.Context) (aws.Credentials, error) {
		typ = reflect.TypeOf(ctx)
		return aws.Credentials{}, errors.New("probe")
	}))
	_, _ = probe.Retrieve(context.Background())
	if typ == reflect.TypeOf(context.Background()) {
		return nil // the cache passes the caller's context through: nothing to detect
	}
	return typ
})
