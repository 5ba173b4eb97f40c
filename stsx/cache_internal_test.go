package stsx

import (
	"cmp"
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/tenantctx"
)

// echoSTS issues credentials whose access key names the TenantID tag.
type echoSTS struct {
	calls    atomic.Int32
	now      func() time.Time
	lifetime time.Duration // default one hour
}

var _ AssumeRoleAPI = (*echoSTS)(nil)

func (f *echoSTS) AssumeRole(_ context.Context, in *sts.AssumeRoleInput, _ ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	n := f.calls.Add(1)
	var tenant string
	for _, t := range in.Tags {
		if *t.Key == DefaultTenantTagKey {
			tenant = *t.Value
		}
	}
	return &sts.AssumeRoleOutput{Credentials: &types.Credentials{
		AccessKeyId:     aws.String(fmt.Sprintf("AK-%s-%d", tenant, n)),
		SecretAccessKey: aws.String("secret"),
		SessionToken:    aws.String("token"),
		Expiration:      aws.Time(f.now().Add(cmp.Or(f.lifetime, time.Hour))),
	}}, nil
}

func (f *echoSTS) AssumeRoleWithWebIdentity(context.Context, *sts.AssumeRoleWithWebIdentityInput, ...func(*sts.Options)) (*sts.AssumeRoleWithWebIdentityOutput, error) {
	return nil, fmt.Errorf("echoSTS: not implemented")
}

const testRole = "arn:aws:iam::123456789012:role/test"

// TestHashCollisionNeverSharesEntry plants tenant A's entry under tenant
// B's hash, as a 64-bit collision would, and checks B never gets A's
// credentials.
func TestHashCollisionNeverSharesEntry(t *testing.T) {
	t.Parallel()
	api := &echoSTS{now: time.Now}
	p, err := New(api, Config{RoleARN: testRole})
	require.NoError(t, err)
	a := &tenantctx.Tenant{ID: "a", Subject: "u"}
	b := &tenantctx.Tenant{ID: "b", Subject: "u"}

	credsA, err := p.Credentials(context.Background(), a)
	require.NoError(t, err)
	require.Equal(t, "AK-a-1", credsA.AccessKeyID)

	entryA := p.cache.get(p.keyHash(a))
	require.NotNil(t, entryA)
	p.cache.getOrAdd(p.keyHash(b), func() *entry { return entryA })

	for i := range 3 {
		credsB, err := p.Credentials(context.Background(), b)
		require.NoError(t, err)
		assert.Equal(t, fmt.Sprintf("AK-b-%d", i+2), credsB.AccessKeyID, "collision must be served uncached")
	}
	again, err := p.Credentials(context.Background(), a)
	require.NoError(t, err)
	assert.Equal(t, credsA, again)
}

func TestCacheNeverExceedsMaxEntries(t *testing.T) {
	t.Parallel()
	for _, max := range []int{1, 3, 64, 1000, 5000} {
		t.Run(fmt.Sprint(max), func(t *testing.T) {
			t.Parallel()
			api := &echoSTS{now: time.Now}
			p, err := New(api, Config{RoleARN: testRole, MaxEntries: max})
			require.NoError(t, err)
			for i := range max + max/2 + 10 {
				tn := &tenantctx.Tenant{ID: fmt.Sprintf("t%d", i)}
				creds, err := p.Credentials(context.Background(), tn)
				require.NoError(t, err)
				require.Contains(t, creds.AccessKeyID, "AK-"+tn.ID+"-")
				require.LessOrEqual(t, p.cache.len(), max)
			}
			assert.Greater(t, p.cache.len(), 0)
		})
	}
}

func TestKeyHashCoversEveryInput(t *testing.T) {
	t.Parallel()
	p, err := New(&echoSTS{now: time.Now}, Config{
		RoleARN:        testRole,
		Mode:           ModeAssumeRole,
		Tags:           []TagSource{TierTag("Tier"), ClaimTag("Dept", "dept")},
		SourceIdentity: SubjectSourceIdentity,
	})
	require.NoError(t, err)
	base := (&tenantctx.Tenant{ID: "t1", Tier: "gold", Subject: "alice"}).WithToken("tok", map[string]any{"dept": "eng"})
	variants := []*tenantctx.Tenant{
		(&tenantctx.Tenant{ID: "t2", Tier: "gold", Subject: "alice"}).WithToken("tok", map[string]any{"dept": "eng"}),
		(&tenantctx.Tenant{ID: "t1", Tier: "silver", Subject: "alice"}).WithToken("tok", map[string]any{"dept": "eng"}),
		(&tenantctx.Tenant{ID: "t1", Tier: "gold", Subject: "bob"}).WithToken("tok", map[string]any{"dept": "eng"}),
		(&tenantctx.Tenant{ID: "t1", Tier: "gold", Subject: "alice"}).WithToken("tok", map[string]any{"dept": "ops"}),
		// Shifting a value between fields must not produce the same key.
		(&tenantctx.Tenant{ID: "t1", Tier: "", Subject: "goldalice"}).WithToken("tok", map[string]any{"dept": "eng"}),
	}
	h := p.keyHash(base)
	e := newEntry(p.inputs(base), nil, 0)
	require.True(t, p.matches(e, base))
	for i, v := range variants {
		assert.NotEqual(t, h, p.keyHash(v), "variant %d", i)
		assert.False(t, p.matches(e, v), "variant %d", i)
	}
	// The token is not part of the key in AssumeRole mode...
	assert.Equal(t, h, p.keyHash(base.WithToken("other", map[string]any{"dept": "eng"})))

	// ...but it is in web-identity mode, and so is the configuration.
	w, err := New(&echoSTS{now: time.Now}, Config{RoleARN: testRole, Mode: ModeWebIdentity})
	require.NoError(t, err)
	assert.NotEqual(t, w.keyHash(base), w.keyHash(base.WithToken("other", nil)))
	q, err := New(&echoSTS{now: time.Now}, Config{RoleARN: testRole, Mode: ModeWebIdentity, SessionPolicy: "{}"})
	require.NoError(t, err)
	assert.NotEqual(t, w.configFingerprint(), q.configFingerprint())
}

func TestHitDoesNotAllocate(t *testing.T) {
	api := &echoSTS{now: time.Now}
	p, err := New(api, Config{RoleARN: testRole, Tags: []TagSource{TierTag("Tier"), SubjectTag("User")}, SourceIdentity: SubjectSourceIdentity})
	require.NoError(t, err)
	ctx := tenantctx.NewContext(context.Background(), &tenantctx.Tenant{ID: "t1", Tier: "gold", Subject: "alice"})
	_, err = p.Retrieve(ctx)
	require.NoError(t, err)
	allocs := testing.AllocsPerRun(1000, func() {
		if _, err := p.Retrieve(ctx); err != nil {
			t.Fatal(err)
		}
	})
	assert.Zero(t, allocs)
	assert.Equal(t, int32(1), api.calls.Load())
}

// TestDefaultClockNeverServesExpired uses the real (monotonic) clock with
// very short-lived credentials.
func TestDefaultClockNeverServesExpired(t *testing.T) {
	t.Parallel()
	api := &echoSTS{now: time.Now, lifetime: 300 * time.Millisecond}
	p, err := New(api, Config{RoleARN: testRole})
	require.NoError(t, err)
	tn := &tenantctx.Tenant{ID: "t1"}
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		creds, err := p.Credentials(context.Background(), tn)
		require.NoError(t, err)
		require.True(t, time.Now().Before(creds.Expires), "expired credential returned")
		time.Sleep(5 * time.Millisecond)
	}
	assert.GreaterOrEqual(t, api.calls.Load(), int32(6), "credentials were refreshed ahead of expiry")
}

// TestDefaultClockMonotonicLagNeverServesExpired: Linux's monotonic clock
// stops while the machine is suspended (a paused VM, a sleeping laptop),
// so after a resume the monotonic deadline of a credential can lie in the
// future although the credential has expired by the wall clock that STS
// stamped Expiration with. Shifting the provider's epoch simulates that
// lag; the provider must still never return the expired credential.
func TestDefaultClockMonotonicLagNeverServesExpired(t *testing.T) {
	t.Parallel()
	api := &echoSTS{now: time.Now, lifetime: 200 * time.Millisecond}
	p, err := New(api, Config{RoleARN: testRole, RefreshWindow: time.Millisecond, RefreshJitter: time.Nanosecond})
	require.NoError(t, err)
	tn := &tenantctx.Tenant{ID: "t1"}
	first, err := p.Credentials(context.Background(), tn)
	require.NoError(t, err)
	time.Sleep(300 * time.Millisecond) // expired by the wall clock
	require.False(t, time.Now().Before(first.Expires))
	// The monotonic clock lost an hour: the cached state looks valid to it.
	p.epoch = p.epoch.Add(time.Hour)
	for range 3 {
		creds, err := p.Credentials(context.Background(), tn)
		require.NoError(t, err)
		require.True(t, time.Now().Before(creds.Expires), "expired credential returned after a monotonic clock lag")
		require.NotEqual(t, first.AccessKeyID, creds.AccessKeyID)
		time.Sleep(2 * time.Millisecond)
	}
	assert.Equal(t, int32(2), api.calls.Load())
}
