package iam_test

import (
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/policy/iam"
)

func mustParse(t testing.TB, doc string) *iam.Policy {
	t.Helper()
	p, err := iam.Parse([]byte(doc))
	require.NoError(t, err)
	return p
}

func TestTenantIsolationScenario(t *testing.T) {
	t.Parallel()
	p := mustParse(t, tenantIsolationPolicy)
	tests := []struct {
		name      string
		principal map[string]string
		resource  map[string]string
		action    string
		arn       string
		want      iam.Outcome
	}{
		{"same tenant", tags("TenantID", "Tenant-A"), tags("TenantID", "Tenant-A"), "", "", iam.Allow},
		{"other tenant", tags("TenantID", "Tenant-A"), tags("TenantID", "Tenant-B"), "", "", iam.ImplicitDeny},
		{"untagged knowledge base", tags("TenantID", "Tenant-A"), nil, "", "", iam.ImplicitDeny},
		{"untagged kb with other tags", tags("TenantID", "Tenant-A"), tags("Owner", "Tenant-A"), "", "", iam.ImplicitDeny},
		{"principal without tag", nil, tags("TenantID", "Tenant-A"), "", "", iam.ImplicitDeny},
		{"principal without tag, untagged kb", nil, nil, "", "", iam.ImplicitDeny},
		{"both tags empty strings", tags("TenantID", ""), tags("TenantID", ""), "", "", iam.ImplicitDeny},
		{"tag keys ignore case", tags("tenantid", "Tenant-A"), tags("TENANTID", "Tenant-A"), "", "", iam.Allow},
		{"tag values are case-sensitive", tags("TenantID", "Tenant-A"), tags("TenantID", "tenant-a"), "", "", iam.ImplicitDeny},
		{"tag value prefix is not equal", tags("TenantID", "Tenant-A"), tags("TenantID", "Tenant-AB"), "", "", iam.ImplicitDeny},
		{"action ignores case", tags("TenantID", "Tenant-A"), tags("TenantID", "Tenant-A"), "BEDROCK:retrieve", "", iam.Allow},
		{"other action", tags("TenantID", "Tenant-A"), tags("TenantID", "Tenant-A"), "bedrock:RetrieveAndGenerate", "", iam.ImplicitDeny},
		{"resource outside pattern", tags("TenantID", "Tenant-A"), tags("TenantID", "Tenant-A"), "", "arn:aws:bedrock:agent/kb-1", iam.ImplicitDeny},
		{"resource case-sensitive", tags("TenantID", "Tenant-A"), tags("TenantID", "Tenant-A"), "", "arn:aws:bedrock:Knowledge-Base/kb-1", iam.ImplicitDeny},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := &iam.Request{
				Action:        "bedrock:Retrieve",
				Resource:      "arn:aws:bedrock:knowledge-base/kb-1",
				PrincipalTags: tc.principal,
				ResourceTags:  tc.resource,
			}
			if tc.action != "" {
				req.Action = tc.action
			}
			if tc.arn != "" {
				req.Resource = tc.arn
			}
			d := iam.Evaluate(req, p)
			require.NoError(t, d.Err)
			assert.Equal(t, tc.want, d.Outcome, d.String())
			if tc.want == iam.Allow {
				assert.True(t, d.Allowed())
				assert.Equal(t, 0, d.Policy)
				assert.Equal(t, 0, d.Statement)
				assert.Equal(t, "EnforceTenantIsolation", d.Sid)
			} else {
				assert.False(t, d.Allowed())
				assert.Equal(t, -1, d.Policy)
				assert.Equal(t, -1, d.Statement)
			}
		})
	}
}

func TestEvaluateCombining(t *testing.T) {
	t.Parallel()
	allowS3 := mustParse(t, `{"Version":"2012-10-17","Statement":[
		{"Sid":"ReadAll","Effect":"Allow","Action":["s3:Get*","s3:List*"],"Resource":"*"},
		{"Sid":"WriteOwn","Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::home/${aws:username}/*"}]}`)
	denySecret := mustParse(t, `{"Version":"2012-10-17","Statement":
		{"Sid":"NoSecrets","Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::home/*/secret*"}}`)
	denyUnlessTLS := mustParse(t, `{"Version":"2012-10-17","Statement":
		{"Sid":"TLSOnly","Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}}`)
	tls := map[string][]string{"aws:username": {"alice"}, "aws:SecureTransport": {"true"}}
	plain := map[string][]string{"aws:username": {"alice"}, "aws:SecureTransport": {"false"}}

	tests := []struct {
		name     string
		action   string
		resource string
		ctx      map[string][]string
		policies []*iam.Policy
		want     iam.Outcome
		policy   int
		stmt     int
		sid      string
	}{
		{"no policies", "s3:GetObject", "arn:aws:s3:::x", tls, nil, iam.ImplicitDeny, -1, -1, ""},
		{"allow by first statement", "s3:GetObject", "arn:aws:s3:::x", tls, []*iam.Policy{allowS3, denySecret}, iam.Allow, 0, 0, "ReadAll"},
		{"allow with variable", "s3:PutObject", "arn:aws:s3:::home/alice/notes.txt", tls, []*iam.Policy{allowS3}, iam.Allow, 0, 1, "WriteOwn"},
		{"variable is someone else", "s3:PutObject", "arn:aws:s3:::home/bob/notes.txt", tls, []*iam.Policy{allowS3}, iam.ImplicitDeny, -1, -1, ""},
		{"deny in later document wins", "s3:GetObject", "arn:aws:s3:::home/alice/secret.txt", tls, []*iam.Policy{allowS3, denySecret}, iam.ExplicitDeny, 1, 0, "NoSecrets"},
		{"deny in earlier document wins", "s3:GetObject", "arn:aws:s3:::home/alice/secret.txt", tls, []*iam.Policy{denySecret, allowS3}, iam.ExplicitDeny, 0, 0, "NoSecrets"},
		{"deny without allow", "s3:GetObject", "arn:aws:s3:::home/alice/secret.txt", tls, []*iam.Policy{denySecret}, iam.ExplicitDeny, 0, 0, "NoSecrets"},
		{"condition deny", "s3:GetObject", "arn:aws:s3:::x", plain, []*iam.Policy{allowS3, denySecret, denyUnlessTLS}, iam.ExplicitDeny, 2, 0, "TLSOnly"},
		{"condition deny not applicable", "s3:GetObject", "arn:aws:s3:::x", tls, []*iam.Policy{allowS3, denyUnlessTLS}, iam.Allow, 0, 0, "ReadAll"},
		{"unmatched action", "ec2:RunInstances", "arn:aws:s3:::x", tls, []*iam.Policy{allowS3, denySecret}, iam.ImplicitDeny, -1, -1, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := iam.Evaluate(&iam.Request{Action: tc.action, Resource: tc.resource, Context: tc.ctx}, tc.policies...)
			require.NoError(t, d.Err)
			assert.Equal(t, iam.Decision{Outcome: tc.want, Policy: tc.policy, Statement: tc.stmt, Sid: tc.sid}, d)
		})
	}
}

func TestNotActionNotResource(t *testing.T) {
	t.Parallel()
	notAction := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":["iam:*","organizations:*"],"Resource":"*"}}`)
	notResource := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::public","arn:aws:s3:::public/*"]}}`)
	allowAll := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`)
	notResourceVar := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:*","NotResource":"arn:aws:s3:::home/${aws:username}/*"}}`)
	tests := []struct {
		name     string
		action   string
		resource string
		ctx      map[string][]string
		policies []*iam.Policy
		want     iam.Outcome
	}{
		{"NotAction allows others", "s3:GetObject", "arn:aws:s3:::b", nil, []*iam.Policy{notAction}, iam.Allow},
		{"NotAction excludes listed", "iam:CreateUser", "arn:aws:iam::1:user/x", nil, []*iam.Policy{notAction}, iam.ImplicitDeny},
		{"NotAction ignores case", "IAM:createuser", "arn:aws:iam::1:user/x", nil, []*iam.Policy{notAction}, iam.ImplicitDeny},
		{"NotResource deny applies outside", "s3:GetObject", "arn:aws:s3:::private/x", nil, []*iam.Policy{allowAll, notResource}, iam.ExplicitDeny},
		{"NotResource deny skips listed", "s3:GetObject", "arn:aws:s3:::public/x", nil, []*iam.Policy{allowAll, notResource}, iam.Allow},
		{"NotResource with other action", "ec2:Describe", "arn:aws:s3:::private/x", nil, []*iam.Policy{allowAll, notResource}, iam.Allow},
		{"NotResource variable resolved, inside", "s3:GetObject", "arn:aws:s3:::home/alice/a", map[string][]string{"aws:username": {"alice"}}, []*iam.Policy{allowAll, notResourceVar}, iam.Allow},
		{"NotResource variable resolved, outside", "s3:GetObject", "arn:aws:s3:::home/bob/a", map[string][]string{"aws:username": {"alice"}}, []*iam.Policy{allowAll, notResourceVar}, iam.ExplicitDeny},
		// An unresolvable variable makes the statement not apply at all, as AWS documents.
		{"NotResource variable unresolved", "s3:GetObject", "arn:aws:s3:::home/bob/a", nil, []*iam.Policy{allowAll, notResourceVar}, iam.Allow},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := iam.Evaluate(&iam.Request{Action: tc.action, Resource: tc.resource, Context: tc.ctx}, tc.policies...)
			require.NoError(t, d.Err)
			assert.Equal(t, tc.want, d.Outcome, d.String())
		})
	}
}

func TestWildcards(t *testing.T) {
	t.Parallel()
	tests := []struct {
		action, resource string // policy patterns
		reqAction        string
		reqResource      string
		want             bool
	}{
		{"s3:*", "*", "s3:GetObject", "arn:aws:s3:::b", true},
		{"*", "*", "anything:Goes", "arn:x", true},
		{"s3:Get*", "*", "s3:GetObject", "arn:x", true},
		{"s3:Get*", "*", "s3:PutObject", "arn:x", false},
		{"s3:Get?bject", "*", "s3:GetObject", "arn:x", true},
		{"s3:Get?bject", "*", "s3:GetOObject", "arn:x", false},
		{"iam:*AccessKey*", "*", "iam:CreateAccessKey", "arn:x", true},
		{"iam:*AccessKey*", "*", "iam:ListAccessKeys", "arn:x", true},
		{"iam:*AccessKey*", "*", "iam:CreateUser", "arn:x", false},
		{"s3:GetObject", "*", "s3:getobject", "arn:x", true},
		{"s3:GetObject", "*", "s3:GetObjectAcl", "arn:x", false},
		{"s3:*", "arn:aws:s3:::bucket/*", "s3:GetObject", "arn:aws:s3:::bucket/a/b/c", true},
		{"s3:*", "arn:aws:s3:::bucket/*", "s3:GetObject", "arn:aws:s3:::bucket", false},
		{"s3:*", "arn:aws:s3:::bucket/*", "s3:GetObject", "arn:aws:s3:::bucket-other/x", false},
		{"s3:*", "arn:aws:s3:::bucket?/x", "s3:GetObject", "arn:aws:s3:::bucket1/x", true},
		{"s3:*", "arn:aws:s3:::bucket?/x", "s3:GetObject", "arn:aws:s3:::bucket/x", false},
		{"s3:*", "arn:aws:s3:::bucket?/x", "s3:GetObject", "arn:aws:s3:::bucketé/x", true},
		{"s3:*", "arn:aws:s3:::*/x", "s3:GetObject", "arn:aws:s3:::a:b/x", true},
		{"s3:*", "arn:aws:s3:::BUCKET", "s3:GetObject", "arn:aws:s3:::bucket", false},
		{"s3:*", "arn:aws:*:*:*:*", "s3:GetObject", "arn:aws:s3:::b", true},
		{"s3:*", "arn:aws:s3:::a${*}b", "s3:GetObject", "arn:aws:s3:::a*b", true},
		{"s3:*", "arn:aws:s3:::a${*}b", "s3:GetObject", "arn:aws:s3:::axxb", false},
		{"s3:*", "arn:aws:s3:::a${?}b", "s3:GetObject", "arn:aws:s3:::a?b", true},
		{"s3:*", "arn:aws:s3:::a${?}b", "s3:GetObject", "arn:aws:s3:::axb", false},
		{"s3:*", "arn:aws:s3:::a${$}b", "s3:GetObject", "arn:aws:s3:::a$b", true},
	}
	for _, tc := range tests {
		t.Run(tc.action+" "+tc.resource+" "+tc.reqAction+" "+tc.reqResource, func(t *testing.T) {
			t.Parallel()
			p := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"`+tc.action+`","Resource":"`+tc.resource+`"}}`)
			d := iam.Evaluate(&iam.Request{Action: tc.reqAction, Resource: tc.reqResource}, p)
			assert.Equal(t, tc.want, d.Allowed(), d.String())
		})
	}
}

func TestResourceVariables(t *testing.T) {
	t.Parallel()
	p := mustParse(t, `{"Version":"2012-10-17","Statement":[
		{"Sid":"Own","Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::data/${aws:PrincipalTag/TenantID}/*"},
		{"Sid":"Team","Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::teams/${aws:PrincipalTag/team, 'shared'}/*"}]}`)
	tests := []struct {
		name     string
		tags     map[string]string
		resource string
		want     string // Sid, or "" for deny
	}{
		{"own prefix", map[string]string{"TenantID": "t1"}, "arn:aws:s3:::data/t1/x", "Own"},
		{"other prefix", map[string]string{"TenantID": "t1"}, "arn:aws:s3:::data/t2/x", ""},
		{"missing tag never matches", nil, "arn:aws:s3:::data//x", ""},
		{"missing tag is not a wildcard", nil, "arn:aws:s3:::data/${aws:PrincipalTag/TenantID}/x", ""},
		{"empty tag is missing", map[string]string{"TenantID": ""}, "arn:aws:s3:::data//x", ""},
		{"tag value is literal, not a wildcard", map[string]string{"TenantID": "*"}, "arn:aws:s3:::data/t2/x", ""},
		{"literal star tag", map[string]string{"TenantID": "*"}, "arn:aws:s3:::data/*/x", "Own"},
		{"default used when tag missing", nil, "arn:aws:s3:::teams/shared/x", "Team"},
		{"default not used when tag set", map[string]string{"team": "red"}, "arn:aws:s3:::teams/shared/x", ""},
		{"tag value used", map[string]string{"team": "red"}, "arn:aws:s3:::teams/red/x", "Team"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := iam.Evaluate(&iam.Request{Action: "s3:GetObject", Resource: tc.resource, PrincipalTags: tc.tags}, p)
			require.NoError(t, d.Err)
			if tc.want == "" {
				assert.Equal(t, iam.ImplicitDeny, d.Outcome, d.String())
			} else {
				assert.Equal(t, iam.Allow, d.Outcome)
				assert.Equal(t, tc.want, d.Sid)
			}
		})
	}
}

func TestPrincipal(t *testing.T) {
	t.Parallel()
	p := mustParse(t, `{"Version":"2012-10-17","Statement":[
		{"Sid":"Role","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:role/reader"]},"Action":"s3:GetObject","Resource":"*"},
		{"Sid":"Account","Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"s3:ListBucket","Resource":"*"},
		{"Sid":"Root","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::777788889999:root"},"Action":"s3:PutObject","Resource":"*"},
		{"Sid":"Svc","Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"s3:DeleteObject","Resource":"*"},
		{"Sid":"Anyone","Effect":"Allow","Principal":"*","Action":"s3:GetBucketLocation","Resource":"*"},
		{"Sid":"NotAdmin","Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:role/admin"},"Action":"s3:DeleteBucket","Resource":"*"}]}`)
	tests := []struct {
		principal, action string
		want              iam.Outcome
	}{
		{"arn:aws:iam::111122223333:role/reader", "s3:GetObject", iam.Allow},
		{"arn:aws:iam::111122223333:role/writer", "s3:GetObject", iam.ImplicitDeny},
		{"", "s3:GetObject", iam.ImplicitDeny},
		{"arn:aws:iam::444455556666:user/bob", "s3:ListBucket", iam.Allow},
		{"arn:aws:sts::444455556666:assumed-role/r/s", "s3:ListBucket", iam.Allow},
		{"arn:aws:iam::444455556667:user/bob", "s3:ListBucket", iam.ImplicitDeny},
		{"arn:aws:iam::777788889999:role/x", "s3:PutObject", iam.Allow},
		{"lambda.amazonaws.com", "s3:DeleteObject", iam.Allow},
		{"ec2.amazonaws.com", "s3:DeleteObject", iam.ImplicitDeny},
		{"", "s3:GetBucketLocation", iam.Allow},
		{"arn:aws:iam::111122223333:role/admin", "s3:DeleteBucket", iam.ImplicitDeny},
		{"arn:aws:iam::111122223333:role/reader", "s3:DeleteBucket", iam.ExplicitDeny},
	}
	for _, tc := range tests {
		t.Run(tc.principal+" "+tc.action, func(t *testing.T) {
			t.Parallel()
			d := iam.Evaluate(&iam.Request{Action: tc.action, Resource: "arn:aws:s3:::b", Principal: tc.principal}, p)
			require.NoError(t, d.Err)
			assert.Equal(t, tc.want, d.Outcome, d.String())
		})
	}
}

func TestEvaluateInvalidInput(t *testing.T) {
	t.Parallel()
	p := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"red","aws:username":"alice"}}}}`)
	ok := func() *iam.Request {
		return &iam.Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b",
			PrincipalTags: map[string]string{"team": "red"}, Context: map[string][]string{"aws:username": {"alice"}}}
	}
	require.True(t, iam.Evaluate(ok(), p).Allowed())

	tests := []struct {
		name    string
		req     *iam.Request
		modify  func(*iam.Request)
		pols    []*iam.Policy
		wantErr error
	}{
		{name: "nil request", wantErr: iam.ErrInvalidRequest},
		{name: "empty action", req: ok(), modify: func(r *iam.Request) { r.Action = "" }, wantErr: iam.ErrInvalidRequest},
		{name: "empty resource", req: ok(), modify: func(r *iam.Request) { r.Resource = "" }, wantErr: iam.ErrInvalidRequest},
		{name: "tag only in context", req: ok(), modify: func(r *iam.Request) {
			delete(r.PrincipalTags, "team")
			r.Context["AWS:principaltag/TEAM"] = []string{"red"}
		}, wantErr: iam.ErrInvalidRequest},
		{name: "tag keys differing in case, none exact", req: ok(), modify: func(r *iam.Request) {
			delete(r.PrincipalTags, "team")
			r.PrincipalTags["TEAM"], r.PrincipalTags["Team"] = "red", "blue"
		}, wantErr: iam.ErrInvalidRequest},
		{name: "context keys differing in case, none exact", req: ok(), modify: func(r *iam.Request) {
			delete(r.Context, "aws:username")
			r.Context["AWS:UserName"], r.Context["aws:USERNAME"] = []string{"alice"}, []string{"mallory"}
		}, wantErr: iam.ErrInvalidRequest},
		{name: "nil policy", req: ok(), pols: []*iam.Policy{p, nil}, wantErr: iam.ErrInvalidPolicy},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.modify != nil {
				tc.modify(tc.req)
			}
			pols := tc.pols
			if pols == nil {
				pols = []*iam.Policy{p}
			}
			d := iam.Evaluate(tc.req, pols...)
			require.Error(t, d.Err)
			assert.ErrorIs(t, d.Err, tc.wantErr)
			assert.Equal(t, iam.ImplicitDeny, d.Outcome)
			assert.False(t, d.Allowed())
			assert.Contains(t, d.String(), "ImplicitDeny (iam: ")
		})
	}
}

func TestRequestValidate(t *testing.T) {
	t.Parallel()
	valid := func() *iam.Request {
		return &iam.Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b",
			PrincipalTags: map[string]string{"team": "red", "TenantID": "t1"},
			ResourceTags:  map[string]string{"TenantID": "t1"},
			RequestTags:   map[string]string{"env": "prod"},
			Context:       map[string][]string{"aws:username": {"alice"}, "aws:SourceIp": {"10.0.0.1"}}}
	}
	require.NoError(t, valid().Validate())
	tests := map[string]func(*iam.Request){
		"empty action":           func(r *iam.Request) { r.Action = "" },
		"empty resource":         func(r *iam.Request) { r.Resource = "" },
		"principal tag in ctx":   func(r *iam.Request) { r.Context["aws:PrincipalTag/x"] = []string{"y"} },
		"resource tag in ctx":    func(r *iam.Request) { r.Context["AWS:RESOURCETAG/x"] = []string{"y"} },
		"request tag in ctx":     func(r *iam.Request) { r.Context["aws:requesttag/x"] = []string{"y"} },
		"principal tags by case": func(r *iam.Request) { r.PrincipalTags["TEAM"] = "blue" },
		"resource tags by case":  func(r *iam.Request) { r.ResourceTags["tenantid"] = "t2" },
		"request tags by case":   func(r *iam.Request) { r.RequestTags["ENV"] = "dev" },
		"context keys by case":   func(r *iam.Request) { r.Context["AWS:USERNAME"] = []string{"mallory"} },
	}
	for name, modify := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := valid()
			modify(r)
			assert.ErrorIs(t, r.Validate(), iam.ErrInvalidRequest)
		})
	}
	var nilReq *iam.Request
	assert.ErrorIs(t, nilReq.Validate(), iam.ErrInvalidRequest)
}

func TestExactKeyWins(t *testing.T) {
	t.Parallel()
	p := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"red"}}}}`)
	d := iam.Evaluate(&iam.Request{Action: "s:a", Resource: "arn:x", PrincipalTags: map[string]string{"team": "red", "TEAM": "blue"}}, p)
	require.NoError(t, d.Err)
	assert.True(t, d.Allowed())
	d = iam.Evaluate(&iam.Request{Action: "s:a", Resource: "arn:x", PrincipalTags: map[string]string{"Team": "red", "TEAM": "blue"}}, p)
	assert.ErrorIs(t, d.Err, iam.ErrInvalidRequest)
}

func TestDecisionAllowedNeedsNoError(t *testing.T) {
	t.Parallel()
	assert.False(t, iam.Decision{Outcome: iam.Allow, Err: errors.New("x")}.Allowed())
	assert.False(t, iam.Decision{}.Allowed())
	assert.Equal(t, "ImplicitDeny", iam.Outcome(0).String())
	assert.Equal(t, "ExplicitDeny", iam.ExplicitDeny.String())
	assert.Equal(t, "Outcome(9)", iam.Outcome(9).String())
}

func TestConcurrentEvaluate(t *testing.T) {
	t.Parallel()
	p := mustParse(t, tenantIsolationPolicy)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				tenant := "Tenant-A"
				if (g+i)%2 == 1 {
					tenant = "Tenant-B"
				}
				d := iam.Evaluate(&iam.Request{
					Action: "bedrock:Retrieve", Resource: "arn:aws:bedrock:knowledge-base/kb",
					PrincipalTags: map[string]string{"TenantID": "Tenant-A"},
					ResourceTags:  map[string]string{"TenantID": tenant},
				}, p)
				if d.Allowed() != (tenant == "Tenant-A") {
					t.Errorf("tenant %s: %v", tenant, d)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestEvaluateDoesNotAllocate(t *testing.T) {
	if raceEnabled || testing.Short() {
		t.Skip("allocation counts are not meaningful under -race")
	}
	iso := mustParse(t, tenantIsolationPolicy)
	resVar := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::data/${aws:PrincipalTag/TenantID}/*",
		"Condition":{"StringLike":{"s3:prefix":"${aws:PrincipalTag/TenantID}/*"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},"DateLessThan":{"aws:CurrentTime":"2030-01-01"}}}}`)
	tests := []struct {
		name string
		p    *iam.Policy
		req  *iam.Request
		want bool
	}{
		{"tenant isolation allow", iso, &iam.Request{Action: "bedrock:Retrieve", Resource: "arn:aws:bedrock:knowledge-base/kb",
			PrincipalTags: map[string]string{"TenantID": "A"}, ResourceTags: map[string]string{"TenantID": "A"}}, true},
		{"tenant isolation untagged", iso, &iam.Request{Action: "bedrock:Retrieve", Resource: "arn:aws:bedrock:knowledge-base/kb",
			PrincipalTags: map[string]string{"TenantID": "A"}, Context: map[string][]string{"aws:username": {"x"}}}, false},
		{"resource variable", resVar, &iam.Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::data/A/x",
			PrincipalTags: map[string]string{"TenantID": "A"},
			Context:       map[string][]string{"s3:prefix": {"A/docs"}, "aws:SourceIp": {"10.1.2.3"}, "aws:CurrentTime": {"2026-11-24T15:00:00Z"}}}, true},
	}
	for _, tc := range tests {
		allocs := testing.AllocsPerRun(100, func() {
			if iam.Evaluate(tc.req, tc.p).Allowed() != tc.want {
				t.Fatal("unexpected decision")
			}
		})
		assert.Zero(t, allocs, tc.name)
	}
}
