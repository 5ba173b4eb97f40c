// Command policy shows tenantkit's tool-access policies: parsing a policy
// document strictly, deciding tool calls for Tenant-A (allowed and denied,
// with reasons), refusing the policy for another tenant, filtering a tool
// list for tools/list, and reporting every problem of a bad document.
//
//	go run ./examples/policy
package main

import (
	"context"
	"fmt"
	"log"

	"github.com/tenantkit/tenantkit/policy"
	"github.com/tenantkit/tenantkit/tenantctx"
)

const tenantAPolicy = `{
  "policyId": "POL-TENANT-A",
  "tenantId": "Tenant-A",
  "rules": [
    {"effect": "ALLOW", "resourceType": "TOOL", "resources": ["agent:tool:order-lookup", "agent:tool:crm-*"]},
    {"effect": "DENY", "resourceType": "TOOL", "resources": ["agent:tool:admin-refund"], "reason": "Insufficient privileges"},
    {"effect": "DENY", "resourceType": "TOOL", "resources": ["agent:tool:crm-delete-*"], "reason": "CRM deletes need a human"},
    {"effect": "ALLOW", "resourceType": "TOOL", "resources": ["agent:tool:forecast"], "reason": "premium feature",
     "condition": {"tiers": ["premium"]}}
  ]
}`

func main() {
	doc, err := policy.Parse([]byte(tenantAPolicy))
	if err != nil {
		log.Fatal(err)
	}
	pol, err := policy.Compile(doc)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("compiled %s for %s (%d rules)\n\n", pol.ID(), pol.TenantID(), len(doc.Rules))

	alice := &tenantctx.Tenant{ID: "Tenant-A", Subject: "alice", Tier: "basic"}
	tools := []string{
		"agent:tool:order-lookup",
		"agent:tool:crm-search",
		"agent:tool:crm-delete-contact",
		"agent:tool:admin-refund",
		"agent:tool:forecast",
		"agent:tool:shell",
	}
	fmt.Println("Tenant-A (basic tier):")
	for _, tool := range tools {
		fmt.Printf("  %-30s %v\n", tool, pol.Evaluate(alice, policy.ResourceTypeTool, tool))
	}

	premium := &tenantctx.Tenant{ID: "Tenant-A", Subject: "carol", Tier: "premium"}
	fmt.Printf("\nTenant-A (premium tier):\n  %-30s %v\n", "agent:tool:forecast",
		pol.Evaluate(premium, policy.ResourceTypeTool, "agent:tool:forecast"))

	bob := &tenantctx.Tenant{ID: "Tenant-B", Subject: "bob"}
	fmt.Printf("\nTenant-B against Tenant-A's policy:\n  %-30s %v\n", "agent:tool:order-lookup",
		pol.Evaluate(bob, policy.ResourceTypeTool, "agent:tool:order-lookup"))

	fmt.Println("\ntools/list for Tenant-A (basic):", pol.Filter(alice, policy.ResourceTypeTool, tools))
	fmt.Println("tools/list for Tenant-A (premium):", pol.Filter(premium, policy.ResourceTypeTool, tools))

	// Through a registry, as the gateway does: unknown tenants fail closed.
	reg, err := policy.NewMemoryRegistry(map[string]string{"alice": "Tenant-A"}, pol)
	if err != nil {
		log.Fatal(err)
	}
	d, err := policy.Decide(context.Background(), reg, bob, policy.ResourceTypeTool, "agent:tool:order-lookup")
	fmt.Printf("\nDecide for Tenant-B via the registry: %v (error: %v)\n", d, err)

	fmt.Println("\nvalidating a broken document reports every problem:")
	for _, problem := range policy.Validate([]byte(`{"policyId":"POL-X","tenantId":"Tenant-A","rules":[
		{"effect":"allow","resourceType":"TOOL","resources":[]},
		{"effect":"DENY","resourceType":"TOOL","resources":["agent:tool:[a-z]*"],"reson":"typo"}]}`)) {
		fmt.Println(" ", problem)
	}
}
