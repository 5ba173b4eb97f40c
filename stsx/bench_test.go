package stsx_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"

	"github.com/tenantkit/tenantkit/stsx"
	"github.com/tenantkit/tenantkit/stsx/ststest"
	"github.com/tenantkit/tenantkit/tenantctx"
)

// BenchmarkCredentials measures a cache hit of the per-tenant provider
// against aws.CredentialsCache over stscreds.AssumeRoleProvider (one
// credential for everyone, no tenant), both backed by the same local STS
// endpoint.
func BenchmarkCredentials(b *testing.B) {
	srv := ststest.NewServer(b)
	p := newProvider(b, srv, nil, stsx.Config{
		Tags:           []stsx.TagSource{stsx.TierTag("Tier"), stsx.SubjectTag("User")},
		SourceIdentity: stsx.SubjectSourceIdentity,
	})
	ctx := tenantctx.NewContext(context.Background(), &tenantctx.Tenant{ID: "tenant-42", Tier: "premium", Subject: "alice"})
	if _, err := p.Retrieve(ctx); err != nil {
		b.Fatal(err)
	}

	b.Run("hit", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := p.Retrieve(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("hit-parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := p.Retrieve(ctx); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})

	cache := aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(srv.Client(), roleARN))
	if _, err := cache.Retrieve(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Run("aws-credentialscache", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := cache.Retrieve(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})

	if n := srv.CallCount(""); n != 2 {
		b.Fatalf("expected 2 STS calls (one per provider), got %d", n)
	}
}
