package iam_test

import (
	"testing"

	"github.com/tenantkit/tenantkit/policy/iam"
)

const tenantIsolationPolicy = `{"Version":"2012-10-17","Statement":[{"Sid":"EnforceTenantIsolation","Effect":"Allow","Action":["bedrock:Retrieve"],"Resource":"arn:aws:bedrock:knowledge-base/*","Condition":{"StringEquals":{"aws:ResourceTag/TenantID":"${aws:PrincipalTag/TenantID}"}}}]}`

// BenchmarkEvaluate measures the tenant-isolation policy of the issue, for
// an allowed and a denied (cross-tenant) request.
func BenchmarkEvaluate(b *testing.B) {
	p, err := iam.Parse([]byte(tenantIsolationPolicy))
	if err != nil {
		b.Fatal(err)
	}
	complexPolicy, err := iam.Parse([]byte(complexPolicyDoc))
	if err != nil {
		b.Fatal(err)
	}
	ctx := map[string][]string{
		"aws:SourceIp":        {"10.20.30.40"},
		"aws:SecureTransport": {"true"},
		"aws:CurrentTime":     {"2026-11-24T15:00:00Z"},
		"aws:username":        {"alice"},
	}
	for _, bc := range []struct {
		name     string
		policy   *iam.Policy
		resource string
		ptags    map[string]string
		rtags    map[string]string
		want     iam.Outcome
	}{
		{"allow", p, "arn:aws:bedrock:knowledge-base/kb-0001", tags("TenantID", "Tenant-A"), tags("TenantID", "Tenant-A"), iam.Allow},
		{"deny", p, "arn:aws:bedrock:knowledge-base/kb-0001", tags("TenantID", "Tenant-A"), tags("TenantID", "Tenant-B"), iam.ImplicitDeny},
		{"untagged", p, "arn:aws:bedrock:knowledge-base/kb-0001", tags("TenantID", "Tenant-A"), nil, iam.ImplicitDeny},
		{"complex-allow", complexPolicy, "arn:aws:bedrock:eu-west-1:111122223333:knowledge-base/kb-0001", tags("TenantID", "Tenant-A", "Team", "red"), tags("TenantID", "Tenant-A"), iam.Allow},
		{"complex-deny", complexPolicy, "arn:aws:bedrock:eu-west-1:111122223333:knowledge-base/kb-0001", tags("TenantID", "Tenant-A", "Team", "red"), tags("TenantID", "Tenant-B"), iam.ExplicitDeny},
	} {
		req := &iam.Request{
			Action:        "bedrock:Retrieve",
			Resource:      bc.resource,
			PrincipalTags: bc.ptags,
			ResourceTags:  bc.rtags,
			Context:       ctx,
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if d := iam.Evaluate(req, bc.policy); d.Outcome != bc.want {
					b.Fatalf("got %v", d)
				}
			}
		})
	}
}

// complexPolicyDoc is a realistic multi-statement tenant policy: a Deny
// guard for cross-tenant access, transport and network conditions, and an
// allow scoped by tags and a time window.
const complexPolicyDoc = `{"Version":"2012-10-17","Statement":[
	{"Sid":"DenyCrossTenant","Effect":"Deny","Action":"bedrock:*","Resource":"*",
	 "Condition":{"StringNotEquals":{"aws:ResourceTag/TenantID":"${aws:PrincipalTag/TenantID}"},"Null":{"aws:ResourceTag/TenantID":"false"}}},
	{"Sid":"DenyInsecure","Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}},
	{"Sid":"DenyOutsideVPC","Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.0.0/16"]}}},
	{"Sid":"ReadOwnTenant","Effect":"Allow","Action":["bedrock:Retrieve","bedrock:RetrieveAndGenerate","bedrock:Get*"],
	 "Resource":"arn:aws:bedrock:*:111122223333:knowledge-base/*",
	 "Condition":{"StringEquals":{"aws:ResourceTag/TenantID":"${aws:PrincipalTag/TenantID}"},
	              "StringLike":{"aws:PrincipalTag/Team":["red","blue*"]},
	              "DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}}]}`

func tags(kv ...string) map[string]string {
	m := make(map[string]string, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// BenchmarkParse measures compiling the complex policy.
func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := iam.Parse([]byte(complexPolicyDoc)); err != nil {
			b.Fatal(err)
		}
	}
}
