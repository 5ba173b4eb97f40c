// Command sts shows per-tenant AWS credentials with stsx: it starts an
// in-process STS endpoint on 127.0.0.1 (stsx/ststest), vends credentials for
// two tenants through one shared aws.Config, and prints the session tags and
// session names that were sent, and which tenant each credential was issued
// for.
//
//	go run ./examples/sts
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/tenantkit/tenantkit/stsx"
	"github.com/tenantkit/tenantkit/stsx/ststest"
	"github.com/tenantkit/tenantkit/tenantctx"
)

func main() {
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func run() error {
	srv, err := ststest.New()
	if err != nil {
		return err
	}
	defer srv.Close()
	fmt.Println("in-process STS endpoint:", srv.URL())

	p, err := stsx.New(srv.Client(), stsx.Config{
		RoleARN:           "arn:aws:iam::123456789012:role/tenant-data",
		Tags:              []stsx.TagSource{stsx.TierTag("Tier"), stsx.SubjectTag("User")},
		TransitiveTagKeys: []string{"TenantID"},
		SourceIdentity:    stsx.SubjectSourceIdentity,
		SessionNamePrefix: "agent",
	})
	if err != nil {
		return err
	}

	// One aws.Config for every tenant. The provider is assigned directly:
	// aws.NewCredentialsCache(p) would share one tenant's credentials with
	// all of them (stsx refuses to run that way).
	cfg := aws.Config{Region: "us-east-1", Credentials: p}

	tenants := []*tenantctx.Tenant{
		{ID: "acme", Tier: "premium", Subject: "alice"},
		{ID: "globex", Tier: "basic", Subject: "bob"},
	}
	for round := 1; round <= 2; round++ {
		for _, t := range tenants {
			ctx := tenantctx.NewContext(context.Background(), t)
			creds, err := cfg.Credentials.Retrieve(ctx)
			if err != nil {
				return err
			}
			issued, err := ststest.Decode(creds)
			if err != nil {
				return err
			}
			fmt.Printf("round %d  tenant %-7s -> access key %s issued for tenant %q (expires %s)\n",
				round, t.ID, creds.AccessKeyID, issued.TenantID, creds.Expires.Format("15:04:05"))
		}
	}

	fmt.Printf("\nSTS calls: %d for %d tenants x 2 rounds (second round served from cache)\n", srv.CallCount(""), len(tenants))
	for _, c := range srv.Calls() {
		fmt.Printf("  %s session=%s source-identity=%s\n", c.Action, c.RoleSessionName, c.SourceIdentity)
		for _, tag := range c.Tags {
			fmt.Printf("    tag %s=%s\n", tag.Key, tag.Value)
		}
		fmt.Printf("    transitive %v\n", c.TransitiveTagKeys)
	}

	// Fail closed: no tenant in the context, no credentials.
	if _, err := cfg.Credentials.Retrieve(context.Background()); errors.Is(err, tenantctx.ErrNoTenant) {
		fmt.Println("\nwithout a tenant:", err)
	} else {
		fmt.Fprintln(os.Stderr, "expected ErrNoTenant, got", err)
		os.Exit(1)
	}
	// Hostile claim values never reach STS.
	bad := &tenantctx.Tenant{ID: "acme", Tier: "gold\nTenantID=globex", Subject: "mallory"}
	_, err = p.Retrieve(tenantctx.NewContext(context.Background(), bad))
	fmt.Println("hostile tier:", err)
	return nil
}
