package benchmarks

import (
	"context"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/stsx"
	"github.com/tenantkit/tenantkit/stsx/ststest"
	"github.com/tenantkit/tenantkit/tenantctx"
)

const credsRoleARN = "arn:aws:iam::123456789012:role/tenant-data"

var (
	credsTenantA = &tenantctx.Tenant{ID: "Tenant-A", Tier: "premium", Subject: "alice"}
	credsTenantB = &tenantctx.Tenant{ID: "Tenant-B", Tier: "basic", Subject: "bob"}
)

func newCredsProvider(tb testing.TB, srv *ststest.Server) *stsx.Provider {
	tb.Helper()
	p, err := stsx.New(srv.Client(), stsx.Config{
		RoleARN:        credsRoleARN,
		Tags:           []stsx.TagSource{stsx.TierTag("Tier")},
		SourceIdentity: stsx.SubjectSourceIdentity,
	})
	require.NoError(tb, err)
	return p
}

// tenantTaggedProvider is what a user would write by hand to get
// per-tenant credentials from stscreds: AssumeRole with the tenant of the
// context as a session tag. Wrapped in aws.CredentialsCache it is the peer
// of stsx.Provider.
func tenantTaggedProvider(client *sts.Client) aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(ctx context.Context) (aws.Credentials, error) {
		t, err := tenantctx.Require(ctx)
		if err != nil {
			return aws.Credentials{}, err
		}
		return stscreds.NewAssumeRoleProvider(client, credsRoleARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = "peer-" + t.ID
			o.Tags = []types.Tag{{Key: aws.String("TenantID"), Value: aws.String(t.ID)}}
		}).Retrieve(ctx)
	})
}

// TestCredentialsPeersTenantIsolation shows why the comparison is not
// apples to apples: aws.CredentialsCache keeps one credential whoever asks,
// so a tenant-tagging provider wrapped in it hands Tenant-A's credentials
// to Tenant-B, while stsx keys its cache by tenant.
func TestCredentialsPeersTenantIsolation(t *testing.T) {
	t.Parallel()
	srv := ststest.NewServer(t)
	ctxA := tenantctx.NewContext(context.Background(), credsTenantA)
	ctxB := tenantctx.NewContext(context.Background(), credsTenantB)

	peer := aws.NewCredentialsCache(tenantTaggedProvider(srv.Client()))
	credsA, err := peer.Retrieve(ctxA)
	require.NoError(t, err)
	credsB, err := peer.Retrieve(ctxB)
	require.NoError(t, err)
	issuedB, err := ststest.Decode(credsB)
	require.NoError(t, err)
	assert.Equal(t, credsA.AccessKeyID, credsB.AccessKeyID)
	assert.Equal(t, "Tenant-A", issuedB.TenantID, "aws.CredentialsCache is expected to leak across tenants")

	p := newCredsProvider(t, srv)
	for _, tn := range []*tenantctx.Tenant{credsTenantA, credsTenantB, credsTenantA} {
		c, err := p.Retrieve(tenantctx.NewContext(context.Background(), tn))
		require.NoError(t, err)
		is, err := ststest.Decode(c)
		require.NoError(t, err)
		assert.Equal(t, tn.ID, is.TenantID)
	}

	// The per-tenant provider refuses to run inside the single-slot cache.
	_, err = aws.NewCredentialsCache(p).Retrieve(ctxA)
	require.ErrorIs(t, err, stsx.ErrWrappedInCache)
}

// TestCredentialsPeersColdStampede: 200 concurrent cold callers for one
// tenant make one STS call through either cache.
func TestCredentialsPeersColdStampede(t *testing.T) {
	t.Parallel()
	for name, newProvider := range map[string]func(*ststest.Server) aws.CredentialsProvider{
		"tenantkit": func(s *ststest.Server) aws.CredentialsProvider { return newCredsProvider(t, s) },
		"aws-credentialscache": func(s *ststest.Server) aws.CredentialsProvider {
			return aws.NewCredentialsCache(tenantTaggedProvider(s.Client()))
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := ststest.NewServer(t)
			p := newProvider(srv)
			ctx := tenantctx.NewContext(context.Background(), credsTenantA)
			var wg sync.WaitGroup
			for range 200 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := p.Retrieve(ctx)
					assert.NoError(t, err)
				}()
			}
			wg.Wait()
			assert.Equal(t, 1, srv.CallCount(""))
		})
	}
}

// BenchmarkCredentialsPeers compares a cache hit of stsx.Provider (keyed
// by tenant) with aws.CredentialsCache over stscreds.AssumeRoleProvider
// (one slot for everyone), both filled from the same local STS endpoint.
func BenchmarkCredentialsPeers(b *testing.B) {
	srv := ststest.NewServer(b)
	ctx := tenantctx.NewContext(context.Background(), credsTenantA)
	providers := []struct {
		name string
		p    aws.CredentialsProvider
	}{
		{"tenantkit", newCredsProvider(b, srv)},
		{"aws-credentialscache", aws.NewCredentialsCache(tenantTaggedProvider(srv.Client()))},
	}
	for _, pp := range providers {
		if _, err := pp.p.Retrieve(ctx); err != nil {
			b.Fatal(err)
		}
		b.Run(pp.name+"-hit", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := pp.p.Retrieve(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(pp.name+"-hit-parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := pp.p.Retrieve(ctx); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
