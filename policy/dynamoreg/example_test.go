package dynamoreg_test

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/tenantkit/tenantkit/policy"
	"github.com/tenantkit/tenantkit/policy/dynamoreg"
	"github.com/tenantkit/tenantkit/tenantctx"
)

func ExampleNew() {
	ctx := context.Background()
	client := dynamodb.New(dynamodb.Options{Region: "eu-west-1"}) // or dynamodb.NewFromConfig(cfg)
	ddb, err := dynamoreg.New(client, dynamoreg.Config{Table: "tenantkit-policies"})
	if err != nil {
		panic(err)
	}
	// Administration: documents are validated before they are written.
	if _, err := ddb.PutPolicy(ctx, []byte(`{"policyId":"POL-TENANT-A","tenantId":"Tenant-A","rules":[{"effect":"ALLOW","resourceType":"TOOL","resources":["agent:tool:order-lookup"]}]}`)); err != nil {
		panic(err)
	}
	if err := ddb.PutUser(ctx, "alice", "Tenant-A"); err != nil {
		panic(err)
	}
	// Request path: cache in front of DynamoDB.
	reg, err := policy.NewCache(ddb, policy.CacheConfig{})
	if err != nil {
		panic(err)
	}
	d, err := policy.Decide(ctx, reg, &tenantctx.Tenant{ID: "Tenant-A"}, policy.ResourceTypeTool, "agent:tool:order-lookup")
	fmt.Println(d, err)
}
