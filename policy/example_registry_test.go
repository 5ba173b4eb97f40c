package policy_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tenantkit/tenantkit/policy"
	"github.com/tenantkit/tenantkit/tenantctx"
)

func ExampleNewFileRegistry() {
	dir, err := os.MkdirTemp("", "policies")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			panic(err)
		}
	}
	write("tenant-a.json", `{"policyId":"POL-TENANT-A","tenantId":"Tenant-A","rules":[{"effect":"ALLOW","resourceType":"TOOL","resources":["agent:tool:order-lookup"]}]}`)
	write("users.json", `{"alice":"Tenant-A"}`)

	reg, err := policy.NewFileRegistry(dir, policy.FileConfig{
		OnError: func(err error) { fmt.Println("reload problem:", err) },
	})
	if err != nil {
		panic(err)
	}
	defer reg.Close()
	ctx := context.Background()
	tenantID, _ := reg.TenantOf(ctx, "alice")
	d, _ := policy.Decide(ctx, reg, &tenantctx.Tenant{ID: tenantID}, policy.ResourceTypeTool, "agent:tool:order-lookup")
	fmt.Println(tenantID, d.Allowed)

	// A broken edit is reported and the last good version stays in force.
	write("tenant-a.json", `{"policyId":"POL-TENANT-A","tenantId":"Tenant-A","rules":[{"effect":"allow"}]}`)
	_ = reg.Reload()
	d, _ = policy.Decide(ctx, reg, &tenantctx.Tenant{ID: tenantID}, policy.ResourceTypeTool, "agent:tool:order-lookup")
	fmt.Println(tenantID, d.Allowed)
	// Output:
	// Tenant-A true
	// reload problem: policy: file tenant-a.json: invalid policy document (3 problems); $.rules[0].effect: must be "ALLOW" or "DENY" (upper case), got "allow"; $.rules[0].resourceType: missing required field; $.rules[0].resources: missing required field
	// Tenant-A true
}

func ExampleNewCache() {
	backend, err := policy.NewMemoryRegistry(nil, policy.MustCompile([]byte(
		`{"policyId":"POL-TENANT-A","tenantId":"Tenant-A","rules":[{"effect":"ALLOW","resourceType":"TOOL","resources":["agent:tool:*"]}]}`)))
	if err != nil {
		panic(err)
	}
	// In production the backend is a DynamoDBRegistry; the cache turns a
	// GetItem plus a compile per call into a map lookup.
	reg, err := policy.NewCache(backend, policy.CacheConfig{TTL: 30 * time.Second, MaxEntries: 50000})
	if err != nil {
		panic(err)
	}
	d, err := policy.Decide(context.Background(), reg, &tenantctx.Tenant{ID: "Tenant-A"}, policy.ResourceTypeTool, "agent:tool:search")
	fmt.Println(d.Allowed, err)
	// Output:
	// true <nil>
}
