package iam_test

import (
	"errors"
	"fmt"
	"log"

	"github.com/tenantkit/tenantkit/policy/iam"
)

// The tenant-isolation policy from the issue: a principal may retrieve from
// a knowledge base only when the base's TenantID tag equals its own.
func Example() {
	p, err := iam.Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Sid":"EnforceTenantIsolation",
	  "Effect":"Allow","Action":["bedrock:Retrieve"],"Resource":"arn:aws:bedrock:knowledge-base/*",
	  "Condition":{"StringEquals":{"aws:ResourceTag/TenantID":"${aws:PrincipalTag/TenantID}"}}}]}`))
	if err != nil {
		log.Fatal(err) // a *iam.ParseError names the JSON location
	}
	for _, kbTags := range []map[string]string{{"TenantID": "Tenant-A"}, {"TenantID": "Tenant-B"}, nil /* untagged */} {
		d := iam.Evaluate(&iam.Request{
			Action:        "bedrock:Retrieve",
			Resource:      "arn:aws:bedrock:knowledge-base/kb-1",
			PrincipalTags: map[string]string{"TenantID": "Tenant-A"},
			ResourceTags:  kbTags,
		}, p)
		fmt.Println(d)
	}
	// Output:
	// Allow by policy 0 statement 0 ("EnforceTenantIsolation")
	// ImplicitDeny (no statement allows the request)
	// ImplicitDeny (no statement allows the request)
}

// A Deny in any policy overrides an Allow in another.
func ExampleEvaluate_explicitDeny() {
	allowAll, _ := iam.Parse([]byte(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`))
	denyDelete, _ := iam.Parse([]byte(`{"Version":"2012-10-17","Statement":{"Sid":"NoDelete","Effect":"Deny","Action":"s3:Delete*","Resource":"arn:aws:s3:::prod-*"}}`))

	for _, action := range []string{"s3:GetObject", "s3:DeleteObject"} {
		d := iam.Evaluate(&iam.Request{Action: action, Resource: "arn:aws:s3:::prod-data/report.csv"}, allowAll, denyDelete)
		fmt.Println(action+":", d)
	}
	// Output:
	// s3:GetObject: Allow by policy 0 statement 0
	// s3:DeleteObject: ExplicitDeny by policy 1 statement 0 ("NoDelete")
}

// Parse is strict: a second "Effect" would silently win with encoding/json.
func ExampleParse_error() {
	_, err := iam.Parse([]byte(`{"Version":"2012-10-17","Statement":{"Effect":"Deny","Effect":"Allow","Action":"*","Resource":"*"}}`))
	fmt.Println(err)
	var pe *iam.ParseError
	if errors.As(err, &pe) {
		fmt.Println(pe.Path, errors.Is(err, iam.ErrInvalidPolicy))
	}
	// Output:
	// iam: invalid policy: Statement.Effect: duplicate key "Effect"
	// Statement.Effect true
}
