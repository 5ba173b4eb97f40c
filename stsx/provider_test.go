package stsx_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/stsx"
	"github.com/tenantkit/tenantkit/stsx/ststest"
	"github.com/tenantkit/tenantkit/tenantctx"
)

var sessionNameRE = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)

func TestTagsAndSessionNamesPerTenant(t *testing.T) {
	t.Parallel()
	srv := ststest.NewServer(t)
	p := newProvider(t, srv, nil, stsx.Config{
		Tags:              []stsx.TagSource{stsx.TierTag("Tier"), stsx.SubjectTag("User")},
		TransitiveTagKeys: []string{"TenantID", "Tier"},
		SourceIdentity:    stsx.SubjectSourceIdentity,
		SessionNamePrefix: "agent",
		Duration:          30 * time.Minute,
		ExternalID:        "ext-123",
		SessionPolicy:     `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"*"}]}`,
	})

	tenants := []*tenantctx.Tenant{
		tenant("acme", "premium", "alice"),
		tenant("globex", "", "bob@globex.example"),
		tenant("initech", "basic", "carol"),
	}
	for _, tn := range tenants {
		creds, err := p.Retrieve(ctxFor(tn))
		require.NoError(t, err)
		is := mustIssued(t, creds, tn)
		assert.Equal(t, stsx.SessionName("agent", tn.ID, tn.Subject), is.SessionName)
		assert.Equal(t, stsx.CredentialsSource, creds.Source)
		assert.True(t, creds.CanExpire)
		assert.Equal(t, "123456789012", creds.AccountID)
	}

	calls := srv.Calls()
	require.Len(t, calls, 3)
	for i, c := range calls {
		tn := tenants[i]
		assert.Equal(t, ststest.ActionAssumeRole, c.Action)
		assert.Equal(t, roleARN, c.RoleARN)
		assert.True(t, c.Signed)
		assert.Regexp(t, sessionNameRE, c.RoleSessionName)
		assert.Equal(t, stsx.SessionName("agent", tn.ID, tn.Subject), c.RoleSessionName)
		assert.True(t, strings.HasPrefix(c.RoleSessionName, "agent."+tn.ID+"."), c.RoleSessionName)
		assert.Equal(t, tn.Subject, c.SourceIdentity)
		assert.Equal(t, "ext-123", c.ExternalID)
		assert.Equal(t, 1800, c.DurationSeconds)
		assert.Contains(t, c.Policy, "dynamodb:GetItem")

		want := []ststest.Tag{{Key: "TenantID", Value: tn.ID}}
		wantTransitive := []string{"TenantID"}
		if tn.Tier != "" {
			want = append(want, ststest.Tag{Key: "Tier", Value: tn.Tier})
			wantTransitive = append(wantTransitive, "Tier")
		}
		want = append(want, ststest.Tag{Key: "User", Value: tn.Subject})
		assert.Equal(t, want, c.Tags, "tags for %s", tn.ID)
		assert.Equal(t, wantTransitive, c.TransitiveTagKeys)
	}
	assert.Len(t, map[string]bool{calls[0].RoleSessionName: true, calls[1].RoleSessionName: true, calls[2].RoleSessionName: true}, 3)
}

func TestMinimalConfigSendsOnlyTenantTag(t *testing.T) {
	t.Parallel()
	srv := ststest.NewServer(t)
	p := newProvider(t, srv, nil, stsx.Config{})
	_, err := p.Retrieve(ctxFor(tenant("t1", "premium", "u1")))
	require.NoError(t, err)
	c := srv.Calls()[0]
	assert.Equal(t, []ststest.Tag{{Key: "TenantID", Value: "t1"}}, c.Tags)
	assert.Empty(t, c.TransitiveTagKeys)
	assert.Empty(t, c.SourceIdentity)
	assert.Empty(t, c.ExternalID)
	assert.Empty(t, c.Policy)
	assert.Zero(t, c.DurationSeconds)
	assert.NotContains(t, c.Form, "ExternalId")
	assert.NotContains(t, c.Form, "SourceIdentity")
}

func TestDistinctUsersOfOneTenantGetDistinctSessions(t *testing.T) {
	t.Parallel()
	srv := ststest.NewServer(t)
	p := newProvider(t, srv, nil, stsx.Config{})
	a, err := p.Retrieve(ctxFor(tenant("t1", "", "alice")))
	require.NoError(t, err)
	b, err := p.Retrieve(ctxFor(tenant("t1", "", "bob")))
	require.NoError(t, err)
	again, err := p.Retrieve(ctxFor(tenant("t1", "", "alice")))
	require.NoError(t, err)
	assert.NotEqual(t, a.AccessKeyID, b.AccessKeyID)
	assert.Equal(t, a, again)
	assert.Equal(t, 2, srv.CallCount(ststest.ActionAssumeRole))
}

func TestConcurrentColdCallersMakeOneCallPerTenant(t *testing.T) {
	t.Parallel()
	srv := ststest.NewServer(t, ststest.WithLatency(50*time.Millisecond))
	p := newProvider(t, srv, nil, stsx.Config{Tags: []stsx.TagSource{stsx.TierTag("Tier")}})

	const nTenants, nCallers = 10, 1000
	tenants := make([]*tenantctx.Tenant, nTenants)
	for i := range tenants {
		tenants[i] = tenant(fmt.Sprintf("tenant-%02d", i), "gold", "user")
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, nCallers)
	for i := range nCallers {
		tn := tenants[i%nTenants]
		wg.Go(func() {
			<-start
			creds, err := p.Retrieve(ctxFor(tn))
			if err != nil {
				errs <- err
				return
			}
			is, err := ststest.Decode(creds)
			if err != nil {
				errs <- err
				return
			}
			if is.TenantID != tn.ID {
				errs <- fmt.Errorf("tenant %s got credentials of %s", tn.ID, is.TenantID)
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	assert.Equal(t, nTenants, srv.CallCount(ststest.ActionAssumeRole))
	seen := map[string]int{}
	for _, c := range srv.Calls() {
		v, _ := c.Tag("TenantID")
		seen[v]++
	}
	for _, tn := range tenants {
		assert.Equal(t, 1, seen[tn.ID], tn.ID)
	}
}

func TestRefreshAhead(t *testing.T) {
	t.Parallel()
	clk := newClock()
	srv := ststest.NewServer(t, ststest.WithClock(clk.Now), ststest.WithLifetime(time.Hour))
	const window, jitter = 5 * time.Minute, time.Minute
	p := newProvider(t, srv, clk, stsx.Config{RefreshWindow: window, RefreshJitter: jitter})
	ctx := ctxFor(tenant("t1", "", "u1"))

	first, err := p.Retrieve(ctx)
	require.NoError(t, err)
	require.Equal(t, clk.Now().Add(time.Hour), first.Expires)

	// Before the earliest possible refresh time: a plain hit.
	clk.Advance(time.Hour - window - jitter - time.Second)
	got, err := p.Retrieve(ctx)
	require.NoError(t, err)
	assert.Equal(t, first, got)
	assert.Equal(t, 1, srv.CallCount(""))

	// Inside the window: the caller gets the still-valid credential at
	// once, and one background refresh runs.
	clk.Advance(jitter + 2*time.Second)
	got, err = p.Retrieve(ctx)
	require.NoError(t, err)
	assert.Equal(t, first, got, "the caller that triggers the refresh gets the valid cached credential")
	require.Eventually(t, func() bool { return srv.CallCount("") == 2 }, 5*time.Second, time.Millisecond)
	var second aws.Credentials
	require.Eventually(t, func() bool {
		second, err = p.Retrieve(ctx)
		return err == nil && second.AccessKeyID != first.AccessKeyID
	}, 5*time.Second, time.Millisecond)
	mustIssued(t, second, tenant("t1", "", "u1"))
	assert.True(t, second.Expires.After(first.Expires))

	// Past the first credential's expiry: the new one, no further call.
	clk.Advance(window)
	got, err = p.Retrieve(ctx)
	require.NoError(t, err)
	assert.Equal(t, second, got)
	assert.Equal(t, 2, srv.CallCount(""))
}

func TestShortLivedCredentialsRefreshAtHalfLife(t *testing.T) {
	t.Parallel()
	clk := newClock()
	srv := ststest.NewServer(t, ststest.WithClock(clk.Now), ststest.WithLifetime(4*time.Minute))
	p := newProvider(t, srv, clk, stsx.Config{RefreshWindow: 10 * time.Minute})
	ctx := ctxFor(tenant("t1", "", "u1"))
	_, err := p.Retrieve(ctx)
	require.NoError(t, err)
	// Window is capped at half the lifetime (2 min), jitter at half of that.
	clk.Advance(time.Minute - time.Second)
	_, err = p.Retrieve(ctx)
	require.NoError(t, err)
	time.Sleep(10 * time.Millisecond)
	assert.Equal(t, 1, srv.CallCount(""), "refreshed too early")
}

func TestNeverReturnsExpiredCredentials(t *testing.T) {
	t.Parallel()
	clk := newClock()
	srv := ststest.NewServer(t, ststest.WithClock(clk.Now), ststest.WithLifetime(time.Hour))
	p := newProvider(t, srv, clk, stsx.Config{ErrorBackoff: time.Millisecond})
	tn := tenant("t1", "", "u1")
	ctx := ctxFor(tn)
	first, err := p.Retrieve(ctx)
	require.NoError(t, err)

	// Every refresh fails from now on.
	srv.SetHook(func(context.Context, ststest.Call) *ststest.Fault { return ststest.AccessDenied() })
	clk.Advance(time.Hour - time.Minute) // inside the refresh window
	got, err := p.Retrieve(ctx)
	require.NoError(t, err, "a valid credential is served while its refresh fails")
	assert.Equal(t, first, got)
	require.Eventually(t, func() bool { return srv.CallCount("") >= 2 }, 5*time.Second, time.Millisecond)

	clk.Advance(time.Minute) // exactly at expiry
	got, err = p.Retrieve(ctx)
	require.Error(t, err)
	assert.Equal(t, aws.Credentials{}, got)
	require.ErrorIs(t, err, stsx.ErrFetch)
	var apiErr smithy.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "AccessDenied", apiErr.ErrorCode())
}

func TestThrottlingRetriedBySDK(t *testing.T) {
	t.Parallel()
	srv := ststest.NewServer(t)
	p := newProvider(t, srv, nil, stsx.Config{})
	srv.ThrottleNext(2)
	creds, err := p.Retrieve(ctxFor(tenant("t1", "", "u1")))
	require.NoError(t, err)
	mustIssued(t, creds, tenant("t1", "", ""))
	calls := srv.Calls()
	require.Len(t, calls, 3)
	assert.Equal(t, "Throttling", calls[0].Fault.Code)
	assert.Equal(t, "Throttling", calls[1].Fault.Code)
	assert.Nil(t, calls[2].Fault)
	assert.Equal(t, creds.AccessKeyID, calls[2].AccessKeyID)
}

func TestThrottlingThenRecoveryWithBackoff(t *testing.T) {
	t.Parallel()
	clk := newClock()
	srv := ststest.NewServer(t, ststest.WithClock(clk.Now))
	client := srv.Client(func(o *sts.Options) { o.RetryMaxAttempts = 1 })
	p, err := stsx.New(client, stsx.Config{RoleARN: roleARN, Now: clk.Now, ErrorBackoff: 2 * time.Second})
	require.NoError(t, err)
	tn := tenant("t1", "", "u1")
	ctx := ctxFor(tn)

	srv.ThrottleNext(1)
	_, err = p.Retrieve(ctx)
	require.ErrorIs(t, err, stsx.ErrFetch)
	var fe *stsx.FetchError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "t1", fe.TenantID)
	assert.Equal(t, "AssumeRole", fe.Op)
	assert.True(t, clk.Now().Add(2*time.Second).Equal(fe.RetryAt), fe.RetryAt)
	var apiErr smithy.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "Throttling", apiErr.ErrorCode())

	// Within the back-off the error is answered from memory.
	clk.Advance(time.Second)
	_, err2 := p.Retrieve(ctx)
	require.ErrorIs(t, err2, stsx.ErrFetch)
	assert.Equal(t, 1, srv.CallCount(""))

	// Another tenant is not affected by t1's back-off.
	_, err = p.Retrieve(ctxFor(tenant("t2", "", "u1")))
	require.NoError(t, err)

	// After the back-off the next call reaches STS and succeeds.
	clk.Advance(time.Second)
	creds, err := p.Retrieve(ctx)
	require.NoError(t, err)
	mustIssued(t, creds, tn)
	assert.Equal(t, 3, srv.CallCount(""))
}

func TestWaiterCancellationDoesNotCancelSharedRefresh(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var hookCtxErr atomic.Value
	srv := ststest.NewServer(t, ststest.WithHook(func(ctx context.Context, c ststest.Call) *ststest.Fault {
		select {
		case <-release:
		case <-ctx.Done():
		}
		hookCtxErr.Store(fmt.Sprint(ctx.Err()))
		return nil
	}))
	p := newProvider(t, srv, nil, stsx.Config{})
	tn := tenant("t1", "", "u1")

	ctx, cancel := context.WithCancel(ctxFor(tn))
	done := make(chan error, 1)
	go func() {
		_, err := p.Retrieve(ctx)
		done <- err
	}()
	require.Eventually(t, func() bool { return srv.CallCount("") == 1 }, 5*time.Second, time.Millisecond)
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		require.ErrorIs(t, err, context.Canceled)
		assert.Less(t, time.Since(start), time.Second)
	case <-time.After(5 * time.Second):
		t.Fatal("cancelled waiter did not return")
	}

	// A second caller joins the same, still running call.
	got := make(chan aws.Credentials, 1)
	go func() {
		creds, err := p.Retrieve(ctxFor(tn))
		assert.NoError(t, err)
		got <- creds
	}()
	time.Sleep(20 * time.Millisecond)
	close(release)
	creds := <-got
	mustIssued(t, creds, tn)
	assert.Equal(t, 1, srv.CallCount(""), "the cancelled caller's call was shared, not repeated")
	assert.Equal(t, "<nil>", hookCtxErr.Load(), "the shared STS call was cancelled")
}

func TestSlowTenantDoesNotDelayOthers(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := ststest.NewServer(t, ststest.WithHook(func(ctx context.Context, c ststest.Call) *ststest.Fault {
		if v, _ := c.Tag("TenantID"); v == "slow" {
			select {
			case <-release:
			case <-ctx.Done():
			}
		}
		if v, _ := c.Tag("TenantID"); v == "failing" {
			return ststest.AccessDenied()
		}
		return nil
	}))
	defer close(release)
	p := newProvider(t, srv, nil, stsx.Config{})

	slowDone := make(chan struct{})
	go func() {
		defer close(slowDone)
		_, _ = p.Retrieve(ctxFor(tenant("slow", "", "u")))
	}()
	require.Eventually(t, func() bool { return srv.CallCount("") == 1 }, 5*time.Second, time.Millisecond)

	for i := range 20 {
		start := time.Now()
		id := fmt.Sprintf("fast%d", i)
		creds, err := p.Retrieve(ctxFor(tenant(id, "", "u")))
		require.NoError(t, err)
		mustIssued(t, creds, tenant(id, "", ""))
		_, err = p.Retrieve(ctxFor(tenant("failing", "", fmt.Sprint(i))))
		require.ErrorIs(t, err, stsx.ErrFetch)
		assert.Less(t, time.Since(start), 5*time.Second)
	}
	select {
	case <-slowDone:
		t.Fatal("slow tenant finished early; the test proves nothing")
	default:
	}
}

// TestNoCrossTenantCredentials hammers one provider from many goroutines
// with random tenants and users while the clock moves, credentials expire
// and entries are evicted, and checks every answer.
func TestNoCrossTenantCredentials(t *testing.T) {
	t.Parallel()
	clk := newClock()
	srv := ststest.NewServer(t, ststest.WithClock(clk.Now), ststest.WithLifetime(20*time.Minute))
	p := newProvider(t, srv, clk, stsx.Config{
		Tags:          []stsx.TagSource{stsx.TierTag("Tier"), stsx.SubjectTag("User")},
		MaxEntries:    8,
		RefreshWindow: 5 * time.Minute,
		ErrorBackoff:  time.Millisecond,
	})
	tiers := []string{"", "basic", "premium"}
	var tenants []*tenantctx.Tenant
	// The same tenant and user appear with different tiers (as after an
	// upgrade), so a key that ignored a tag would hand out wrong tags.
	for i := range 6 {
		for j := range 2 {
			for _, tier := range tiers {
				tenants = append(tenants, tenant(fmt.Sprintf("t%d", i), tier, fmt.Sprintf("user%d", j)))
			}
		}
	}
	srv.SetHook(func(ctx context.Context, c ststest.Call) *ststest.Fault {
		if rand.IntN(20) == 0 {
			return ststest.Throttling()
		}
		return nil
	})

	const workers, iters = 8, 150
	var wg sync.WaitGroup
	var bad atomic.Int64
	for w := range workers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 42))
			for range iters {
				tn := tenants[r.IntN(len(tenants))]
				if r.IntN(50) == 0 {
					clk.Advance(time.Duration(r.IntN(240)) * time.Second)
				}
				creds, err := p.Retrieve(ctxFor(tn))
				if err != nil {
					if !errors.Is(err, stsx.ErrFetch) {
						t.Errorf("unexpected error: %v", err)
					}
					continue
				}
				is, err := ststest.Decode(creds)
				if err != nil || is.TenantID != tn.ID || is.SessionName != stsx.SessionName("", tn.ID, tn.Subject) {
					bad.Add(1)
					t.Errorf("tenant %s/%s received credentials issued for %+v (%v)", tn.ID, tn.Subject, is, err)
					continue
				}
				tier, _ := tagOf(is.Tags, "Tier")
				user, _ := tagOf(is.Tags, "User")
				if tier != tn.Tier || user != tn.Subject {
					bad.Add(1)
					t.Errorf("tenant %s: tags %v do not match", tn.ID, is.Tags)
				}
				if !clk.Now().Before(creds.Expires) {
					bad.Add(1)
					t.Errorf("expired credential returned")
				}
			}
		})
	}
	wg.Wait()
	assert.Zero(t, bad.Load())
}

func tagOf(tags []ststest.Tag, key string) (string, bool) {
	for _, t := range tags {
		if t.Key == key {
			return t.Value, true
		}
	}
	return "", false
}

func TestFailClosedWithoutTenant(t *testing.T) {
	t.Parallel()
	srv := ststest.NewServer(t)
	p := newProvider(t, srv, nil, stsx.Config{})

	_, err := p.Retrieve(context.Background())
	require.ErrorIs(t, err, tenantctx.ErrNoTenant)
	_, err = p.Retrieve(tenantctx.NewContext(context.Background(), nil))
	require.ErrorIs(t, err, tenantctx.ErrNoTenant)
	_, err = p.Credentials(context.Background(), nil)
	require.ErrorIs(t, err, tenantctx.ErrNoTenant)
	_, err = p.ForTenant(nil).Retrieve(context.Background())
	require.ErrorIs(t, err, tenantctx.ErrNoTenant)

	_, err = p.Retrieve(ctxFor(tenant("bad/id", "", "u")))
	require.ErrorIs(t, err, tenantctx.ErrInvalidTenantID)
	assert.Zero(t, srv.CallCount(""))
}

func TestRefusesToRunInsideCredentialsCache(t *testing.T) {
	t.Parallel()
	srv := ststest.NewServer(t)
	p := newProvider(t, srv, nil, stsx.Config{})

	wrapped := aws.NewCredentialsCache(p)
	_, err := wrapped.Retrieve(ctxFor(tenant("t1", "", "u")))
	require.ErrorIs(t, err, stsx.ErrWrappedInCache)
	_, err = wrapped.Retrieve(ctxFor(tenant("t2", "", "u")))
	require.ErrorIs(t, err, stsx.ErrWrappedInCache)
	assert.Zero(t, srv.CallCount(""))

	// A provider bound to one tenant may be wrapped.
	bound := aws.NewCredentialsCache(p.ForTenant(tenant("t1", "", "u")))
	creds, err := bound.Retrieve(context.Background())
	require.NoError(t, err)
	mustIssued(t, creds, tenant("t1", "", ""))
}

func TestBoundProvider(t *testing.T) {
	t.Parallel()
	srv := ststest.NewServer(t)
	p := newProvider(t, srv, nil, stsx.Config{})
	t1 := tenant("t1", "", "u")
	bp := p.ForTenant(t1)

	creds, err := bp.Retrieve(context.Background())
	require.NoError(t, err)
	mustIssued(t, creds, t1)
	same, err := bp.Retrieve(ctxFor(t1))
	require.NoError(t, err)
	assert.Equal(t, creds, same)
	viaCtx, err := p.Retrieve(ctxFor(t1))
	require.NoError(t, err)
	assert.Equal(t, creds, viaCtx, "bound and context providers share the cache")

	_, err = bp.Retrieve(ctxFor(tenant("t2", "", "u")))
	require.ErrorIs(t, err, stsx.ErrTenantMismatch)
	assert.Equal(t, 1, srv.CallCount(""))
}

func TestWebIdentityMode(t *testing.T) {
	t.Parallel()
	srv := ststest.NewServer(t)
	p := newProvider(t, srv, nil, stsx.Config{Mode: stsx.ModeWebIdentity, SessionPolicy: `{"Version":"2012-10-17"}`})

	tok1 := fakeJWT(t, map[string]any{"sub": "alice", "tenant_id": "acme"})
	tn := tenant("acme", "", "alice").WithToken(tok1, nil)
	creds, err := p.Retrieve(ctxFor(tn))
	require.NoError(t, err)
	mustIssued(t, creds, tn)
	again, err := p.Retrieve(ctxFor(tn))
	require.NoError(t, err)
	assert.Equal(t, creds, again)

	calls := srv.Calls()
	require.Len(t, calls, 1)
	c := calls[0]
	assert.Equal(t, ststest.ActionAssumeRoleWithWebIdentity, c.Action)
	assert.Equal(t, tok1, c.WebIdentityToken)
	assert.Empty(t, c.Tags)
	assert.Equal(t, stsx.SessionName("", "acme", "alice"), c.RoleSessionName)
	assert.Equal(t, `{"Version":"2012-10-17"}`, c.Policy)

	// A new token for the same user is a new key.
	tok2 := fakeJWT(t, map[string]any{"sub": "alice", "tenant_id": "acme", "iat": 2})
	_, err = p.Retrieve(ctxFor(tn.WithToken(tok2, nil)))
	require.NoError(t, err)
	assert.Equal(t, 2, srv.CallCount(""))

	// No token: fail closed before calling STS.
	_, err = p.Retrieve(ctxFor(tenant("acme", "", "bob")))
	require.ErrorIs(t, err, stsx.ErrNoWebIdentityToken)
	assert.Equal(t, 2, srv.CallCount(""))
}

func TestWebIdentityTokenSource(t *testing.T) {
	t.Parallel()
	srv := ststest.NewServer(t)
	var exchanges atomic.Int32
	p := newProvider(t, srv, nil, stsx.Config{
		Mode: stsx.ModeWebIdentity,
		WebIdentityToken: func(ctx context.Context, tn *tenantctx.Tenant) (string, error) {
			exchanges.Add(1)
			if tn.ID == "nope" {
				return "", errors.New("exchange refused")
			}
			return fakeJWT(t, map[string]any{"sub": tn.Subject, "tenant_id": tn.ID, "aud": "sts.amazonaws.com"}), nil
		},
	})
	tn := tenant("acme", "", "alice").WithToken("user-token", nil)
	for range 3 {
		creds, err := p.Retrieve(ctxFor(tn))
		require.NoError(t, err)
		mustIssued(t, creds, tn)
	}
	assert.Equal(t, int32(1), exchanges.Load(), "token source runs only on a miss")
	assert.NotEqual(t, "user-token", srv.Calls()[0].WebIdentityToken)

	_, err := p.Retrieve(ctxFor(tenant("nope", "", "x")))
	require.ErrorIs(t, err, stsx.ErrNoWebIdentityToken)
	require.ErrorIs(t, err, stsx.ErrFetch)
}

func TestEvictionKeepsRecentlyUsed(t *testing.T) {
	t.Parallel()
	clk := newClock()
	srv := ststest.NewServer(t, ststest.WithClock(clk.Now))
	p := newProvider(t, srv, clk, stsx.Config{MaxEntries: 4})
	get := func(id string) {
		t.Helper()
		clk.Advance(time.Second)
		creds, err := p.Retrieve(ctxFor(tenant(id, "", "u")))
		require.NoError(t, err)
		mustIssued(t, creds, tenant(id, "", ""))
	}
	for _, id := range []string{"a", "b", "c", "d"} {
		get(id)
	}
	get("a") // a is now the most recently used
	get("e") // evicts b, the least recently used
	require.Equal(t, 5, srv.CallCount(""))
	get("a")
	get("c")
	require.Equal(t, 5, srv.CallCount(""), "a and c must still be cached")
	get("b")
	require.Equal(t, 6, srv.CallCount(""), "b must have been evicted")
}

func TestSTSResponseWithoutExpirationIsRejected(t *testing.T) {
	t.Parallel()
	p, err := stsx.New(&fakeSTS{out: &sts.AssumeRoleOutput{}}, stsx.Config{RoleARN: roleARN})
	require.NoError(t, err)
	_, err = p.Retrieve(ctxFor(tenant("t1", "", "u")))
	require.ErrorIs(t, err, stsx.ErrInvalidResponse)
}

// fakeSTS is a hand-written AssumeRoleAPI.
type fakeSTS struct {
	out *sts.AssumeRoleOutput
}

var _ stsx.AssumeRoleAPI = (*fakeSTS)(nil)

func (f *fakeSTS) AssumeRole(context.Context, *sts.AssumeRoleInput, ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	return f.out, nil
}

func (f *fakeSTS) AssumeRoleWithWebIdentity(context.Context, *sts.AssumeRoleWithWebIdentityInput, ...func(*sts.Options)) (*sts.AssumeRoleWithWebIdentityOutput, error) {
	return nil, errors.New("fake: not implemented")
}

// TestBoundProviderRefusesOtherUser: a provider bound to one user of a
// tenant (its credentials carry that user, for example in a User session
// tag or the session name) must not serve a request of another user of the
// same tenant; one bound to the tenant alone (no subject) serves every user.
func TestBoundProviderRefusesOtherUser(t *testing.T) {
	t.Parallel()
	srv := ststest.NewServer(t)
	p := newProvider(t, srv, nil, stsx.Config{Tags: []stsx.TagSource{stsx.SubjectTag("User")}})

	alice := p.ForTenant(tenant("t1", "", "alice"))
	_, err := alice.Retrieve(ctxFor(tenant("t1", "", "bob")))
	require.ErrorIs(t, err, stsx.ErrTenantMismatch)
	_, err = alice.Retrieve(ctxFor(tenant("t1", "", "")))
	require.ErrorIs(t, err, stsx.ErrTenantMismatch)
	assert.Zero(t, srv.CallCount(""))
	creds, err := alice.Retrieve(ctxFor(tenant("t1", "", "alice")))
	require.NoError(t, err)
	is := mustIssued(t, creds, tenant("t1", "", ""))
	assert.Equal(t, []ststest.Tag{{Key: "TenantID", Value: "t1"}, {Key: "User", Value: "alice"}}, is.Tags)

	whole := p.ForTenant(tenant("t1", "", ""))
	creds, err = whole.Retrieve(ctxFor(tenant("t1", "", "bob")))
	require.NoError(t, err)
	is = mustIssued(t, creds, tenant("t1", "", ""))
	assert.Equal(t, []ststest.Tag{{Key: "TenantID", Value: "t1"}}, is.Tags)
}
