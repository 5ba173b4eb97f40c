package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/tenantkit/tenantkit/stsx"
	"github.com/tenantkit/tenantkit/stsx/ststest"
	"github.com/tenantkit/tenantkit/tenantctx"
)

const roleARN = "arn:aws:iam::123456789012:role/pool-tenant-data"

// awsAccess is the AWS hop of the pool pattern. The runtime has one IAM
// role for all tenants; each request assumes it with the session tag
// TenantID=<tenant>, so that IAM policies written with
// ${aws:PrincipalTag/TenantID} confine the request to its tenant's data.
// stsx caches the credentials per tenant: repeated requests of one tenant
// cost one STS call, and one tenant's entry never answers another's.
//
// The STS endpoint is ststest, an in-process server speaking the real STS
// wire protocol, so the real AWS SDK client is used unchanged.
type awsAccess struct {
	sts      *ststest.Server
	provider *stsx.Provider
	// cfg is the single aws.Config of the runtime. Its credentials come
	// from the tenant in each call's context. It is deliberately NOT
	// aws.NewCredentialsCache(provider): that cache holds one credential
	// for everyone.
	cfg aws.Config
}

func newAWSAccess() (*awsAccess, error) {
	srv, err := ststest.New()
	if err != nil {
		return nil, err
	}
	p, err := stsx.New(srv.Client(), stsx.Config{
		RoleARN:           roleARN,
		Tags:              []stsx.TagSource{stsx.TierTag("Tier")},
		SessionNamePrefix: "pool",
	})
	if err != nil {
		srv.Close()
		return nil, err
	}
	cfg := srv.Config()
	cfg.Credentials = p
	return &awsAccess{sts: srv, provider: p, cfg: cfg}, nil
}

func (a *awsAccess) close() { a.sts.Close() }

// callsFor counts the STS calls whose TenantID tag is tenant.
func (a *awsAccess) callsFor(tenant string) (n int, last ststest.Call) {
	for _, c := range a.sts.Calls() {
		if v, ok := c.Tag(stsx.DefaultTenantTagKey); ok && v == tenant {
			n, last = n+1, c
		}
	}
	return n, last
}

// fetchCredentials is what the AWS SDK does when it signs a request made
// with ctx: ask cfg.Credentials for credentials.
func (rt *runtime) fetchCredentials(ctx context.Context, t *tenantctx.Tenant, action string) (aws.Credentials, bool) {
	s := stepFor(t, "sts", action, allow)
	before, _ := rt.aws.callsFor(t.ID)
	creds, err := rt.aws.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		rt.tr.check(s, deny, false, err.Error())
		return creds, false
	}
	after, call := rt.aws.callsFor(t.ID)
	issued, err := ststest.Decode(creds)
	if err != nil {
		rt.tr.check(s, allow, false, err.Error())
		return creds, false
	}
	tag, _ := call.Tag(stsx.DefaultTenantTagKey)
	tier, _ := call.Tag("Tier")
	switch after - before {
	case 1:
		rt.tr.check(s, allow, issued.TenantID == t.ID && tag == t.ID,
			fmt.Sprintf("AssumeRole with session tags TenantID=%s Tier=%s, session %s; key %s issued for %s",
				tag, tier, call.RoleSessionName, creds.AccessKeyID, issued.TenantID))
	case 0:
		rt.tr.check(s, allow, issued.TenantID == t.ID && after == 1,
			fmt.Sprintf("per-tenant cache hit: key %s issued for %s; STS calls for %s: %d", creds.AccessKeyID, issued.TenantID, t.ID, after))
	default:
		rt.tr.check(s, allow, false, fmt.Sprintf("%d STS calls for one request", after-before))
	}
	return creds, true
}

// stsSteps fetches credentials twice for the tenant (one STS call), then
// shows the two ways a request cannot get someone else's credentials.
func (rt *runtime) stsSteps(ctx context.Context, t *tenantctx.Tenant) {
	first, ok := rt.fetchCredentials(ctx, t, "credentials for the first AWS call")
	if !ok {
		return
	}
	second, ok := rt.fetchCredentials(ctx, t, "credentials for a second AWS call")
	if ok && second.AccessKeyID != first.AccessKeyID {
		s := stepFor(t, "sts", "second call reuses the first credentials", allow)
		rt.tr.check(s, deny, false, "a new key was issued although the cached one is valid")
	}

	// Code that kept a client bound to the other tenant (for example in a
	// worker pool) and uses it while serving this tenant is refused.
	otherTenant := &tenantctx.Tenant{ID: rt.sc.other.Tenant, Subject: rt.sc.other.User}
	bound := rt.aws.provider.ForTenant(otherTenant)
	s := stepFor(t, "sts", fmt.Sprintf("use a client bound to %s's credentials in %s's request", otherTenant.ID, t.ID), deny)
	s.Cross = true
	calls := rt.aws.sts.CallCount("")
	creds, err := bound.Retrieve(ctx)
	switch {
	case err == nil:
		issued, _ := ststest.Decode(creds)
		rt.tr.check(s, allow, false, fmt.Sprintf("got key %s issued for %s", creds.AccessKeyID, issued.TenantID))
	case errors.Is(err, stsx.ErrTenantMismatch):
		rt.tr.check(s, deny, rt.aws.sts.CallCount("") == calls, err.Error()+"; no STS call")
	default:
		rt.tr.check(s, deny, false, "unexpected error: "+err.Error())
	}

	// Outside a tenant context there are no credentials at all.
	s = stepFor(t, "sts", "AWS call from a context without a tenant", deny)
	_, err = rt.aws.cfg.Credentials.Retrieve(context.Background())
	if errors.Is(err, tenantctx.ErrNoTenant) {
		rt.tr.check(s, deny, rt.aws.sts.CallCount("") == calls, err.Error())
	} else {
		rt.tr.check(s, allow, false, fmt.Sprintf("not refused with ErrNoTenant: %v", err))
	}
}
