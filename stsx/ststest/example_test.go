package ststest_test

import (
	"context"
	"fmt"
	"log"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/tenantkit/tenantkit/stsx/ststest"
)

// Drive the real sts client against the in-process endpoint, then assert
// on what was sent and on what the credentials were issued for.
func Example() {
	srv, err := ststest.New() // in tests: srv := ststest.NewServer(t)
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	srv.ThrottleNext(1) // the SDK's retryer sees a throttle and retries
	out, err := srv.Client().AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn:         aws.String("arn:aws:iam::123456789012:role/tenant-data"),
		RoleSessionName: aws.String("acme.alice"),
		Tags:            []types.Tag{{Key: aws.String("TenantID"), Value: aws.String("acme")}},
	})
	if err != nil {
		log.Fatal(err)
	}

	for _, c := range srv.Calls() {
		tenant, _ := c.Tag("TenantID")
		fault := "ok"
		if c.Fault != nil {
			fault = c.Fault.Code
		}
		fmt.Println(c.Seq, c.Action, c.RoleSessionName, tenant, fault)
	}
	issued, err := ststest.Decode(aws.Credentials{
		AccessKeyID:  aws.ToString(out.Credentials.AccessKeyId),
		SessionToken: aws.ToString(out.Credentials.SessionToken),
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("issued for tenant", issued.TenantID)
	// Output:
	// 1 AssumeRole acme.alice acme Throttling
	// 2 AssumeRole acme.alice acme ok
	// issued for tenant acme
}
