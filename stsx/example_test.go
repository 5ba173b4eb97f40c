package stsx_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/tenantkit/tenantkit/stsx"
	"github.com/tenantkit/tenantkit/stsx/ststest"
	"github.com/tenantkit/tenantkit/tenantctx"
)

// One Provider serves every tenant: the tenant comes from the context of
// each call, and each tenant gets credentials tagged with its own id.
func Example() {
	srv, err := ststest.New() // an in-process STS endpoint on 127.0.0.1
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	cfg := aws.Config{Region: "us-east-1"} // in production: config.LoadDefaultConfig(ctx)
	ctx := context.Background()
	acme := &tenantctx.Tenant{ID: "acme", Tier: "premium", Subject: "alice"}
	globex := &tenantctx.Tenant{ID: "globex", Tier: "basic", Subject: "bob"}

	p, err := stsx.New(srv.Client(), stsx.Config{ // in production: sts.NewFromConfig(cfg)
		RoleARN:        "arn:aws:iam::123456789012:role/tenant-data",
		Tags:           []stsx.TagSource{stsx.TierTag("Tier")},
		SourceIdentity: stsx.SubjectSourceIdentity,
	})
	if err != nil {
		log.Fatal(err)
	}
	awsCfg := cfg.Copy()
	awsCfg.Credentials = p // one aws.Config for every tenant; NEVER aws.NewCredentialsCache(p)
	for _, tenant := range []*tenantctx.Tenant{acme, globex, acme} {
		creds, err := awsCfg.Credentials.Retrieve(tenantctx.NewContext(ctx, tenant)) // as every AWS call with ctx does
		if err != nil {
			log.Fatal(err)
		}
		issued, _ := ststest.Decode(creds) // whom the STS endpoint issued them for
		fmt.Println(tenant.ID, "->", issued.TenantID)
	}
	for _, c := range srv.Calls() { // the second acme call was served from the cache
		fmt.Println("AssumeRole tags:", c.Tags, "source identity:", c.SourceIdentity)
	}

	_, err = p.Retrieve(ctx) // no tenant in ctx
	fmt.Println(errors.Is(err, tenantctx.ErrNoTenant))
	// Output:
	// acme -> acme
	// globex -> globex
	// acme -> acme
	// AssumeRole tags: [{TenantID acme} {Tier premium}] source identity: alice
	// AssumeRole tags: [{TenantID globex} {Tier basic}] source identity: bob
	// true
}

// A tag value from a token that AWS would reject is refused before any
// call, with a typed error that does not echo the value.
func ExampleValidateTagValue() {
	err := stsx.ValidateTagValue("Tier", "gold\nTenantID=other")
	var te *stsx.TagError
	fmt.Println(errors.As(err, &te), te.Key, errors.Is(err, stsx.ErrTagValue))
	fmt.Println(err)
	// Output:
	// true Tier true
	// stsx: invalid tag value "Tier": character outside [\p{L}\p{Z}\p{N}_.:/=+\-@]
}

// Session names are readable, valid and distinct per tenant and user.
func ExampleSessionName() {
	fmt.Println(len(stsx.SessionName("agent", "acme", "alice@example.com")))
	fmt.Println(stsx.SessionName("agent", "acme", "alice@example.com")[:29])
	fmt.Println(stsx.SessionName("", "acme", "a/b\nc")[:11])
	// Output:
	// 45
	// agent.acme.alice@example.com.
	// acme.a_b_c.
}

// A provider bound to one tenant, for code that builds one aws.Config per
// tenant. Unlike the context-based Provider it may be wrapped in
// aws.CredentialsCache.
func ExampleProvider_ForTenant() {
	srv, err := ststest.New()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	p, err := stsx.New(srv.Client(), stsx.Config{RoleARN: "arn:aws:iam::123456789012:role/tenant-data"})
	if err != nil {
		log.Fatal(err)
	}
	acme := &tenantctx.Tenant{ID: "acme", Subject: "alice"}
	cfg := aws.Config{Region: "us-east-1", Credentials: aws.NewCredentialsCache(p.ForTenant(acme))}

	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	issued, _ := ststest.Decode(creds)
	fmt.Println(issued.TenantID)

	// The context-based provider refuses to run inside the cache.
	_, err = aws.NewCredentialsCache(p).Retrieve(tenantctx.NewContext(context.Background(), acme))
	fmt.Println(errors.Is(err, stsx.ErrWrappedInCache))
	// Output:
	// acme
	// true
}
