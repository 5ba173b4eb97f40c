package policy_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/tenantkit/tenantkit/policy"
	"github.com/tenantkit/tenantkit/tenantctx"
)

func Example() {
	doc, err := policy.Parse([]byte(`{"policyId":"POL-TENANT-A","tenantId":"Tenant-A","rules":[
		{"effect":"ALLOW","resourceType":"TOOL","resources":["agent:tool:order-lookup","agent:tool:crm-*"]},
		{"effect":"DENY","resourceType":"TOOL","resources":["agent:tool:admin-refund"],"reason":"Insufficient privileges"}]}`))
	if err != nil {
		panic(err)
	}
	p, err := policy.Compile(doc)
	if err != nil {
		panic(err)
	}

	tenantA := &tenantctx.Tenant{ID: "Tenant-A", Subject: "alice"}
	for _, tool := range []string{"agent:tool:order-lookup", "agent:tool:crm-search", "agent:tool:admin-refund", "agent:tool:shell"} {
		fmt.Println(tool, "→", p.Evaluate(tenantA, policy.ResourceTypeTool, tool))
	}
	tenantB := &tenantctx.Tenant{ID: "Tenant-B"}
	fmt.Println("Tenant-B →", p.Evaluate(tenantB, policy.ResourceTypeTool, "agent:tool:order-lookup"))
	// Output:
	// agent:tool:order-lookup → allow (policy "POL-TENANT-A", rule 0): allowed by rule 0
	// agent:tool:crm-search → allow (policy "POL-TENANT-A", rule 0): allowed by rule 0
	// agent:tool:admin-refund → deny (policy "POL-TENANT-A", rule 1): Insufficient privileges
	// agent:tool:shell → deny (policy "POL-TENANT-A", rule -1): no matching rule
	// Tenant-B → deny (policy "POL-TENANT-A", rule -1): policy belongs to another tenant
}

// A policy written in code: MustCompile panics on an invalid document, so
// use it only for constants; Parse and Compile report every problem.
func ExampleMustCompile() {
	p := policy.MustCompile([]byte(`{"policyId":"POL-TENANT-A","tenantId":"Tenant-A","rules":[
	  {"effect":"ALLOW","resourceType":"TOOL","resources":["agent:tool:order-lookup","agent:tool:crm-*"]},
	  {"effect":"DENY","resourceType":"TOOL","resources":["agent:tool:admin-refund"],"reason":"Insufficient privileges"}]}`))
	tenantA := &tenantctx.Tenant{ID: "Tenant-A"}
	fmt.Println(p.Evaluate(tenantA, policy.ResourceTypeTool, "agent:tool:admin-refund"))
	fmt.Println(p.Filter(tenantA, policy.ResourceTypeTool, []string{"agent:tool:order-lookup", "agent:tool:shell"}))
	// Output:
	// deny (policy "POL-TENANT-A", rule 1): Insufficient privileges
	// [agent:tool:order-lookup]
}

func ExamplePolicy_Filter() {
	p := policy.MustCompile([]byte(`{"policyId":"POL-TENANT-A","tenantId":"Tenant-A","rules":[
		{"effect":"ALLOW","resourceType":"TOOL","resources":["agent:tool:*"]},
		{"effect":"DENY","resourceType":"TOOL","resources":["agent:tool:admin-*"]},
		{"effect":"ALLOW","resourceType":"TOOL","resources":["premium:tool:forecast"],"condition":{"tiers":["premium"]}}]}`))
	tools := []string{"agent:tool:order-lookup", "agent:tool:admin-refund", "premium:tool:forecast"}

	basic := &tenantctx.Tenant{ID: "Tenant-A", Tier: "basic"}
	premium := &tenantctx.Tenant{ID: "Tenant-A", Tier: "premium"}
	fmt.Println(p.Filter(basic, policy.ResourceTypeTool, tools))
	fmt.Println(p.Filter(premium, policy.ResourceTypeTool, tools))
	// Output:
	// [agent:tool:order-lookup]
	// [agent:tool:order-lookup premium:tool:forecast]
}

func ExampleValidate() {
	problems := policy.Validate([]byte(`{"policyId":"POL-1","tenantId":"Tenant-A","rules":[
		{"effect":"allow","resourceType":"TOOL","resources":[]},
		{"effect":"DENY","resourceType":"TOOL","resources":["agent:tool:**"],"reson":"typo"}]}`))
	for _, p := range problems {
		fmt.Println(p)
	}
	// Output:
	// policy: $.rules[0].effect: must be "ALLOW" or "DENY" (upper case), got "allow"
	// policy: $.rules[0].resources: must list at least one resource
	// policy: $.rules[1].resources[0]: "agent:tool:**": consecutive '*' are not allowed; a single '*' already matches any run of characters
	// policy: $.rules[1].reson: unknown field
}

func ExampleDecide() {
	reg, err := policy.NewMemoryRegistry(
		map[string]string{"alice": "Tenant-A"},
		policy.MustCompile([]byte(`{"policyId":"POL-TENANT-A","tenantId":"Tenant-A","rules":[{"effect":"ALLOW","resourceType":"TOOL","resources":["agent:tool:order-lookup"]}]}`)),
	)
	if err != nil {
		panic(err)
	}
	ctx := context.Background()

	d, err := policy.Decide(ctx, reg, &tenantctx.Tenant{ID: "Tenant-A", Subject: "alice"}, policy.ResourceTypeTool, "agent:tool:order-lookup")
	fmt.Println(d.Allowed, err)

	// A tenant without a policy is denied, with an error saying why.
	d, err = policy.Decide(ctx, reg, &tenantctx.Tenant{ID: "Tenant-B"}, policy.ResourceTypeTool, "agent:tool:order-lookup")
	fmt.Println(d.Allowed, errors.Is(err, policy.ErrNoPolicy))
	// Output:
	// true <nil>
	// false true
}
