package iam_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/policy/iam"
)

type condCase struct {
	name   string
	cond   string              // the Condition element's JSON
	ctx    map[string][]string // Request.Context; nil: key absent
	ptags  map[string]string
	rtags  map[string]string
	reqTag map[string]string
	want   bool
}

// runConds evaluates an Allow statement carrying each case's condition;
// the condition holds exactly when the request is allowed.
func runConds(t *testing.T, cases []condCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := iam.Parse([]byte(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":` + tc.cond + `}}`))
			require.NoError(t, err)
			d := iam.Evaluate(&iam.Request{
				Action: "svc:Act", Resource: "arn:aws:svc:::r",
				Context: tc.ctx, PrincipalTags: tc.ptags, ResourceTags: tc.rtags, RequestTags: tc.reqTag,
			}, p)
			require.NoError(t, d.Err)
			assert.Equal(t, tc.want, d.Allowed(), "condition %s", tc.cond)
		})
	}
}

func one(k, v string) map[string][]string { return map[string][]string{k: {v}} }

func TestStringOperators(t *testing.T) {
	t.Parallel()
	runConds(t, []condCase{
		{"StringEquals match", `{"StringEquals":{"aws:username":"alice"}}`, one("aws:username", "alice"), nil, nil, nil, true},
		{"StringEquals case-sensitive", `{"StringEquals":{"aws:username":"alice"}}`, one("aws:username", "Alice"), nil, nil, nil, false},
		{"StringEquals key name ignores case", `{"StringEquals":{"AWS:USERNAME":"alice"}}`, one("aws:UserName", "alice"), nil, nil, nil, true},
		{"StringEquals values are OR", `{"StringEquals":{"aws:username":["bob","alice"]}}`, one("aws:username", "alice"), nil, nil, nil, true},
		{"StringEquals missing key", `{"StringEquals":{"aws:username":"alice"}}`, nil, nil, nil, nil, false},
		{"StringEquals wildcard is literal", `{"StringEquals":{"aws:username":"a*"}}`, one("aws:username", "alice"), nil, nil, nil, false},
		{"StringEquals literal star", `{"StringEquals":{"aws:username":"a*"}}`, one("aws:username", "a*"), nil, nil, nil, true},
		{"StringEquals empty value", `{"StringEquals":{"aws:username":""}}`, one("aws:username", ""), nil, nil, nil, true},
		{"StringEquals number value", `{"StringEquals":{"s:n":10}}`, one("s:n", "10"), nil, nil, nil, true},
		{"StringEquals bool value", `{"StringEquals":{"s:b":true}}`, one("s:b", "true"), nil, nil, nil, true},
		{"StringNotEquals differs", `{"StringNotEquals":{"aws:username":"alice"}}`, one("aws:username", "bob"), nil, nil, nil, true},
		{"StringNotEquals equal", `{"StringNotEquals":{"aws:username":"alice"}}`, one("aws:username", "alice"), nil, nil, nil, false},
		{"StringNotEquals equals neither", `{"StringNotEquals":{"aws:username":["a","b"]}}`, one("aws:username", "c"), nil, nil, nil, true},
		{"StringNotEquals equals one of", `{"StringNotEquals":{"aws:username":["a","b"]}}`, one("aws:username", "b"), nil, nil, nil, false},
		{"StringNotEquals missing key is true", `{"StringNotEquals":{"aws:username":"alice"}}`, nil, nil, nil, nil, true},
		{"StringEqualsIgnoreCase", `{"StringEqualsIgnoreCase":{"aws:username":"ALICE"}}`, one("aws:username", "alice"), nil, nil, nil, true},
		{"StringEqualsIgnoreCase differs", `{"StringEqualsIgnoreCase":{"aws:username":"ALICE"}}`, one("aws:username", "alicia"), nil, nil, nil, false},
		{"StringNotEqualsIgnoreCase same", `{"StringNotEqualsIgnoreCase":{"aws:username":"ALICE"}}`, one("aws:username", "Alice"), nil, nil, nil, false},
		{"StringNotEqualsIgnoreCase differs", `{"StringNotEqualsIgnoreCase":{"aws:username":"ALICE"}}`, one("aws:username", "bob"), nil, nil, nil, true},
		{"StringNotEqualsIgnoreCase missing", `{"StringNotEqualsIgnoreCase":{"aws:username":"ALICE"}}`, nil, nil, nil, nil, true},
		{"StringLike star", `{"StringLike":{"s3:prefix":"home/*"}}`, one("s3:prefix", "home/alice/x"), nil, nil, nil, true},
		{"StringLike question", `{"StringLike":{"s3:prefix":"v?"}}`, one("s3:prefix", "v1"), nil, nil, nil, true},
		{"StringLike question needs a char", `{"StringLike":{"s3:prefix":"v?"}}`, one("s3:prefix", "v"), nil, nil, nil, false},
		{"StringLike case-sensitive", `{"StringLike":{"s3:prefix":"home/*"}}`, one("s3:prefix", "HOME/x"), nil, nil, nil, false},
		{"StringLike escaped star", `{"StringLike":{"s3:prefix":"a${*}"}}`, one("s3:prefix", "ab"), nil, nil, nil, false},
		{"StringLike escaped star literal", `{"StringLike":{"s3:prefix":"a${*}"}}`, one("s3:prefix", "a*"), nil, nil, nil, true},
		{"StringLike missing", `{"StringLike":{"s3:prefix":"*"}}`, nil, nil, nil, nil, false},
		{"StringNotLike", `{"StringNotLike":{"s3:prefix":["home/*","tmp/*"]}}`, one("s3:prefix", "etc/x"), nil, nil, nil, true},
		{"StringNotLike matches one", `{"StringNotLike":{"s3:prefix":["home/*","tmp/*"]}}`, one("s3:prefix", "tmp/x"), nil, nil, nil, false},
		{"StringNotLike missing is true", `{"StringNotLike":{"s3:prefix":"home/*"}}`, nil, nil, nil, nil, true},
	})
}

func TestIfExistsAndNull(t *testing.T) {
	t.Parallel()
	runConds(t, []condCase{
		{"IfExists missing", `{"StringEqualsIfExists":{"ec2:InstanceType":"t3.micro"}}`, nil, nil, nil, nil, true},
		{"IfExists present match", `{"StringEqualsIfExists":{"ec2:InstanceType":"t3.micro"}}`, one("ec2:InstanceType", "t3.micro"), nil, nil, nil, true},
		{"IfExists present mismatch", `{"StringEqualsIfExists":{"ec2:InstanceType":"t3.micro"}}`, one("ec2:InstanceType", "m5.large"), nil, nil, nil, false},
		{"negated IfExists missing", `{"StringNotEqualsIfExists":{"ec2:InstanceType":"t3.micro"}}`, nil, nil, nil, nil, true},
		{"negated IfExists present equal", `{"StringNotEqualsIfExists":{"ec2:InstanceType":"t3.micro"}}`, one("ec2:InstanceType", "t3.micro"), nil, nil, nil, false},
		{"NumericIfExists missing", `{"NumericLessThanIfExists":{"s:n":"5"}}`, nil, nil, nil, nil, true},
		{"NumericIfExists present", `{"NumericLessThanIfExists":{"s:n":"5"}}`, one("s:n", "7"), nil, nil, nil, false},
		{"Null true, absent", `{"Null":{"aws:TokenIssueTime":"true"}}`, nil, nil, nil, nil, true},
		{"Null true, present", `{"Null":{"aws:TokenIssueTime":"true"}}`, one("aws:TokenIssueTime", "2026-01-01T00:00:00Z"), nil, nil, nil, false},
		{"Null false, present", `{"Null":{"aws:TokenIssueTime":false}}`, one("aws:TokenIssueTime", "x"), nil, nil, nil, true},
		{"Null false, absent", `{"Null":{"aws:TokenIssueTime":false}}`, nil, nil, nil, nil, false},
		{"Null on empty value list is absent", `{"Null":{"s:k":"true"}}`, map[string][]string{"s:k": {}}, nil, nil, nil, true},
		{"Null on principal tag", `{"Null":{"aws:PrincipalTag/TenantID":"false"}}`, nil, map[string]string{"tenantid": "t"}, nil, nil, true},
		{"Null on missing principal tag", `{"Null":{"aws:PrincipalTag/TenantID":"false"}}`, nil, nil, nil, nil, false},
	})
}

func TestNumericOperators(t *testing.T) {
	t.Parallel()
	n := func(v string) map[string][]string { return one("s:n", v) }
	runConds(t, []condCase{
		{"NumericEquals", `{"NumericEquals":{"s:n":"10"}}`, n("10"), nil, nil, nil, true},
		{"NumericEquals float form", `{"NumericEquals":{"s:n":10}}`, n("10.0"), nil, nil, nil, true},
		{"NumericEquals differs", `{"NumericEquals":{"s:n":"10"}}`, n("11"), nil, nil, nil, false},
		{"NumericEquals non-number request", `{"NumericEquals":{"s:n":"10"}}`, n("ten"), nil, nil, nil, false},
		{"NumericNotEquals", `{"NumericNotEquals":{"s:n":["1","2"]}}`, n("3"), nil, nil, nil, true},
		{"NumericNotEquals one of", `{"NumericNotEquals":{"s:n":["1","2"]}}`, n("2"), nil, nil, nil, false},
		{"NumericNotEquals missing", `{"NumericNotEquals":{"s:n":"1"}}`, nil, nil, nil, nil, true},
		{"NumericLessThan", `{"NumericLessThan":{"s:n":"10"}}`, n("9.5"), nil, nil, nil, true},
		{"NumericLessThan equal", `{"NumericLessThan":{"s:n":"10"}}`, n("10"), nil, nil, nil, false},
		{"NumericLessThanEquals equal", `{"NumericLessThanEquals":{"s:n":"10"}}`, n("10"), nil, nil, nil, true},
		{"NumericLessThanEquals above", `{"NumericLessThanEquals":{"s:n":"10"}}`, n("10.01"), nil, nil, nil, false},
		{"NumericGreaterThan", `{"NumericGreaterThan":{"s:n":"-1"}}`, n("0"), nil, nil, nil, true},
		{"NumericGreaterThan equal", `{"NumericGreaterThan":{"s:n":"0"}}`, n("0"), nil, nil, nil, false},
		{"NumericGreaterThanEquals", `{"NumericGreaterThanEquals":{"s:n":"0"}}`, n("0"), nil, nil, nil, true},
		{"NumericGreaterThanEquals below", `{"NumericGreaterThanEquals":{"s:n":"0"}}`, n("-0.5"), nil, nil, nil, false},
		{"Numeric missing", `{"NumericGreaterThanEquals":{"s:n":"0"}}`, nil, nil, nil, nil, false},
		{"Numeric values OR", `{"NumericEquals":{"s:n":[1,2,3]}}`, n("3"), nil, nil, nil, true},
	})
}

func TestDateOperators(t *testing.T) {
	t.Parallel()
	now := func(v string) map[string][]string { return one("aws:CurrentTime", v) }
	runConds(t, []condCase{
		{"DateLessThan", `{"DateLessThan":{"aws:CurrentTime":"2027-01-01T00:00:00Z"}}`, now("2026-11-24T15:00:00Z"), nil, nil, nil, true},
		{"DateLessThan after", `{"DateLessThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}`, now("2026-11-24T15:00:00Z"), nil, nil, nil, false},
		{"DateLessThan date-only policy", `{"DateLessThan":{"aws:CurrentTime":"2026-11-25"}}`, now("2026-11-24T23:59:59Z"), nil, nil, nil, true},
		{"DateLessThanEquals equal", `{"DateLessThanEquals":{"aws:CurrentTime":"2026-11-24T15:00:00Z"}}`, now("2026-11-24T15:00:00Z"), nil, nil, nil, true},
		{"DateGreaterThan", `{"DateGreaterThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}`, now("2026-11-24T15:00:00Z"), nil, nil, nil, true},
		{"DateGreaterThan equal", `{"DateGreaterThan":{"aws:CurrentTime":"2026-11-24T15:00:00Z"}}`, now("2026-11-24T15:00:00Z"), nil, nil, nil, false},
		{"DateGreaterThanEquals", `{"DateGreaterThanEquals":{"aws:CurrentTime":"2026-11-24T15:00:00Z"}}`, now("2026-11-24T15:00:00Z"), nil, nil, nil, true},
		{"DateEquals across zones", `{"DateEquals":{"aws:CurrentTime":"2026-11-24T16:00:00+01:00"}}`, now("2026-11-24T15:00:00Z"), nil, nil, nil, true},
		{"DateEquals epoch policy", `{"DateEquals":{"aws:EpochTime":1764000000}}`, one("aws:EpochTime", "2025-11-24T16:00:00Z"), nil, nil, nil, true},
		{"DateEquals epoch request", `{"DateEquals":{"aws:CurrentTime":"2025-11-24T16:00:00Z"}}`, now("1764000000"), nil, nil, nil, true},
		{"DateEquals fractional seconds", `{"DateEquals":{"aws:CurrentTime":"2026-11-24T15:00:00.5Z"}}`, now("2026-11-24T15:00:00.500Z"), nil, nil, nil, true},
		{"DateNotEquals", `{"DateNotEquals":{"aws:CurrentTime":"2026-11-24T15:00:00Z"}}`, now("2026-11-24T15:00:01Z"), nil, nil, nil, true},
		{"DateNotEquals equal", `{"DateNotEquals":{"aws:CurrentTime":"2026-11-24T15:00:00Z"}}`, now("2026-11-24T15:00:00Z"), nil, nil, nil, false},
		{"Date unparsable request", `{"DateLessThan":{"aws:CurrentTime":"2027-01-01"}}`, now("yesterday"), nil, nil, nil, false},
		{"Date missing", `{"DateLessThan":{"aws:CurrentTime":"2027-01-01"}}`, nil, nil, nil, nil, false},
		{"DateNotEquals missing", `{"DateNotEquals":{"aws:CurrentTime":"2027-01-01"}}`, nil, nil, nil, nil, true},
	})
}

func TestBoolBinaryIPArn(t *testing.T) {
	t.Parallel()
	arn := func(v string) map[string][]string { return one("aws:SourceArn", v) }
	runConds(t, []condCase{
		{"Bool true", `{"Bool":{"aws:SecureTransport":"true"}}`, one("aws:SecureTransport", "true"), nil, nil, nil, true},
		{"Bool JSON true", `{"Bool":{"aws:SecureTransport":true}}`, one("aws:SecureTransport", "TRUE"), nil, nil, nil, true},
		{"Bool false vs true", `{"Bool":{"aws:SecureTransport":"false"}}`, one("aws:SecureTransport", "true"), nil, nil, nil, false},
		{"Bool garbage request", `{"Bool":{"aws:SecureTransport":"false"}}`, one("aws:SecureTransport", "no"), nil, nil, nil, false},
		{"Bool missing", `{"Bool":{"aws:SecureTransport":"false"}}`, nil, nil, nil, nil, false},
		{"BoolIfExists missing", `{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}`, nil, nil, nil, nil, true},
		{"BinaryEquals", `{"BinaryEquals":{"s:bin":"QmluYXJ5"}}`, one("s:bin", "QmluYXJ5"), nil, nil, nil, true},
		{"BinaryEquals differs", `{"BinaryEquals":{"s:bin":"QmluYXJ5"}}`, one("s:bin", "QmluYXJ6"), nil, nil, nil, false},
		{"BinaryEquals not base64", `{"BinaryEquals":{"s:bin":"QmluYXJ5"}}`, one("s:bin", "Binary"), nil, nil, nil, false},
		{"IpAddress in CIDR", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, one("aws:SourceIp", "203.0.113.7"), nil, nil, nil, true},
		{"IpAddress outside", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, one("aws:SourceIp", "203.0.114.7"), nil, nil, nil, false},
		{"IpAddress single host", `{"IpAddress":{"aws:SourceIp":"203.0.113.7"}}`, one("aws:SourceIp", "203.0.113.7"), nil, nil, nil, true},
		{"IpAddress IPv6", `{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}`, one("aws:SourceIp", "2001:db8::1"), nil, nil, nil, true},
		{"IpAddress mapped IPv4", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, one("aws:SourceIp", "::ffff:203.0.113.9"), nil, nil, nil, true},
		{"IpAddress garbage", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, one("aws:SourceIp", "localhost"), nil, nil, nil, false},
		{"NotIpAddress outside", `{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.0.0/16"]}}`, one("aws:SourceIp", "8.8.8.8"), nil, nil, nil, true},
		{"NotIpAddress inside", `{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.0.0/16"]}}`, one("aws:SourceIp", "10.1.2.3"), nil, nil, nil, false},
		{"NotIpAddress missing", `{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, nil, nil, nil, nil, true},
		{"ArnLike", `{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::bucket-*"}}`, arn("arn:aws:s3:::bucket-1"), nil, nil, nil, true},
		{"ArnEquals is like ArnLike", `{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:*:111122223333:topic"}}`, arn("arn:aws:sns:us-east-1:111122223333:topic"), nil, nil, nil, true},
		{"ArnLike wildcard does not span a colon", `{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:*:topic"}}`, arn("arn:aws:sns:us-east-1:111122223333:team:topic"), nil, nil, nil, false},
		{"ArnLike resource keeps colons", `{"ArnLike":{"aws:SourceArn":"arn:aws:logs:*:*:log-group:*"}}`, arn("arn:aws:logs:eu-west-1:1:log-group:app:stream"), nil, nil, nil, true},
		{"ArnLike case-sensitive", `{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::bucket"}}`, arn("arn:aws:s3:::Bucket"), nil, nil, nil, false},
		{"ArnLike request not an ARN", `{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::*"}}`, arn("arn:aws:s3"), nil, nil, nil, false},
		{"ArnNotLike", `{"ArnNotLike":{"aws:SourceArn":"arn:aws:s3:::prod-*"}}`, arn("arn:aws:s3:::dev-1"), nil, nil, nil, true},
		{"ArnNotEquals equal", `{"ArnNotEquals":{"aws:SourceArn":"arn:aws:s3:::prod"}}`, arn("arn:aws:s3:::prod"), nil, nil, nil, false},
		{"ArnNotLike missing", `{"ArnNotLike":{"aws:SourceArn":"arn:aws:s3:::prod-*"}}`, nil, nil, nil, nil, true},
		{"ArnLike variable", `{"ArnLike":{"aws:SourceArn":"${aws:PrincipalArn}"}}`, map[string][]string{"aws:SourceArn": {"arn:aws:iam::1:role/r"}, "aws:PrincipalArn": {"arn:aws:iam::1:role/r"}}, nil, nil, nil, true},
		{"ArnLike variable differs", `{"ArnLike":{"aws:SourceArn":"${aws:PrincipalArn}"}}`, map[string][]string{"aws:SourceArn": {"arn:aws:iam::1:role/r"}, "aws:PrincipalArn": {"arn:aws:iam::1:role/s"}}, nil, nil, nil, false},
		{"ArnLike variable missing", `{"ArnLike":{"aws:SourceArn":"${aws:PrincipalArn}"}}`, arn("arn:aws:iam::1:role/r"), nil, nil, nil, false},
	})
}

func TestSetOperators(t *testing.T) {
	t.Parallel()
	keys := func(v ...string) map[string][]string { return map[string][]string{"aws:TagKeys": v} }
	runConds(t, []condCase{
		{"ForAllValues subset", `{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}`, keys("env"), nil, nil, nil, true},
		{"ForAllValues all listed", `{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}`, keys("team", "env"), nil, nil, nil, true},
		{"ForAllValues one extra", `{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}`, keys("env", "owner"), nil, nil, nil, false},
		{"ForAllValues missing key is true", `{"ForAllValues:StringEquals":{"aws:TagKeys":["env"]}}`, nil, nil, nil, nil, true},
		{"ForAllValues empty set is true", `{"ForAllValues:StringEquals":{"aws:TagKeys":["env"]}}`, keys(), nil, nil, nil, true},
		{"ForAllValues StringLike", `{"ForAllValues:StringLike":{"aws:TagKeys":["key1*","key2*"]}}`, keys("key1a", "key2b"), nil, nil, nil, true},
		{"ForAllValues negated: none listed", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["secret"]}}`, keys("env", "team"), nil, nil, nil, true},
		{"ForAllValues negated: one listed", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["secret"]}}`, keys("env", "secret"), nil, nil, nil, false},
		{"ForAllValues negated missing", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["secret"]}}`, nil, nil, nil, nil, true},
		{"ForAnyValue one matches", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["environment","webserver"]}}`, keys("owner", "webserver"), nil, nil, nil, true},
		{"ForAnyValue none", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["environment","webserver"]}}`, keys("owner"), nil, nil, nil, false},
		{"ForAnyValue missing key is false", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["env"]}}`, nil, nil, nil, nil, false},
		{"ForAnyValue negated: one unlisted", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["env"]}}`, keys("env", "x"), nil, nil, nil, true},
		{"ForAnyValue negated: all listed", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["env"]}}`, keys("env"), nil, nil, nil, false},
		{"ForAnyValue negated missing is false", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["env"]}}`, nil, nil, nil, nil, false},
		{"ForAnyValue IfExists missing", `{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":["env"]}}`, nil, nil, nil, nil, true},
		{"ForAllValues numeric", `{"ForAllValues:NumericLessThan":{"s:ports":"1024"}}`, map[string][]string{"s:ports": {"22", "443"}}, nil, nil, nil, true},
		{"ForAllValues numeric one above", `{"ForAllValues:NumericLessThan":{"s:ports":"1024"}}`, map[string][]string{"s:ports": {"22", "8080"}}, nil, nil, nil, false},
		{"unqualified multi-valued: any", `{"StringEquals":{"s:groups":"admins"}}`, map[string][]string{"s:groups": {"devs", "admins"}}, nil, nil, nil, true},
		{"unqualified negated multi-valued: none", `{"StringNotEquals":{"s:groups":"admins"}}`, map[string][]string{"s:groups": {"devs", "admins"}}, nil, nil, nil, false},
		{"TagKeys derived from RequestTags", `{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}`, nil, nil, nil, map[string]string{"env": "p", "owner": "x"}, false},
		{"TagKeys derived from RequestTags ok", `{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}`, nil, nil, nil, map[string]string{"env": "p"}, true},
	})
}

func TestConditionCombination(t *testing.T) {
	t.Parallel()
	both := `{"StringEquals":{"aws:username":"alice","aws:PrincipalTag/dept":"eng"},"Bool":{"aws:SecureTransport":"true"}}`
	ctx := func(user, tls string) map[string][]string {
		return map[string][]string{"aws:username": {user}, "aws:SecureTransport": {tls}}
	}
	eng := map[string]string{"dept": "eng"}
	runConds(t, []condCase{
		{"all hold", both, ctx("alice", "true"), eng, nil, nil, true},
		{"one key fails", both, ctx("bob", "true"), eng, nil, nil, false},
		{"other operator fails", both, ctx("alice", "false"), eng, nil, nil, false},
		{"tag missing", both, ctx("alice", "true"), nil, nil, nil, false},
		{"same key under two operators is AND", `{"StringLike":{"s:k":"a*"},"StringNotEquals":{"s:k":"ab"}}`, one("s:k", "ac"), nil, nil, nil, true},
		{"same key under two operators is AND, fails", `{"StringLike":{"s:k":"a*"},"StringNotEquals":{"s:k":"ab"}}`, one("s:k", "ab"), nil, nil, nil, false},
		{"empty condition block", `{}`, nil, nil, nil, nil, true},
	})
}

func TestConditionVariables(t *testing.T) {
	t.Parallel()
	iso := `{"StringEquals":{"aws:ResourceTag/TenantID":"${aws:PrincipalTag/TenantID}"}}`
	deny := `{"StringNotEquals":{"aws:ResourceTag/TenantID":"${aws:PrincipalTag/TenantID}"}}`
	pt := map[string]string{"TenantID": "t1"}
	runConds(t, []condCase{
		{"equal tags", iso, nil, pt, map[string]string{"TenantID": "t1"}, nil, true},
		{"different tags", iso, nil, pt, map[string]string{"TenantID": "t2"}, nil, false},
		{"principal tag missing", iso, nil, nil, map[string]string{"TenantID": "t1"}, nil, false},
		{"both missing", iso, nil, nil, nil, nil, false},
		{"both empty", iso, nil, map[string]string{"TenantID": ""}, map[string]string{"TenantID": ""}, nil, false},
		{"variable in StringNotEquals, different", deny, nil, pt, map[string]string{"TenantID": "t2"}, nil, true},
		{"variable in StringNotEquals, equal", deny, nil, pt, map[string]string{"TenantID": "t1"}, nil, false},
		// Unresolvable variable: the condition does not match, even negated.
		{"variable in StringNotEquals, principal tag missing", deny, nil, nil, map[string]string{"TenantID": "t2"}, nil, false},
		{"resource tag missing, negated", deny, nil, pt, nil, nil, true},
		{"mixed literal and variable", `{"StringEquals":{"s3:prefix":"home/${aws:username}/"}}`, map[string][]string{"s3:prefix": {"home/alice/"}, "aws:username": {"alice"}}, nil, nil, nil, true},
		{"mixed literal and variable differs", `{"StringEquals":{"s3:prefix":"home/${aws:username}/"}}`, map[string][]string{"s3:prefix": {"home/bob/"}, "aws:username": {"alice"}}, nil, nil, nil, false},
		{"StringLike with variable", `{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}`, map[string][]string{"s3:prefix": {"home/alice/docs/x"}, "aws:username": {"alice"}}, nil, nil, nil, true},
		{"StringLike variable value is literal", `{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}`, map[string][]string{"s3:prefix": {"home/bob/x"}, "aws:username": {"*"}}, nil, nil, nil, false},
		{"multi-valued variable does not resolve", `{"StringEquals":{"s:k":"${s:multi}"}}`, map[string][]string{"s:k": {"a"}, "s:multi": {"a", "b"}}, nil, nil, nil, false},
		{"default value", `{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team, 'shared'}"}}`, nil, nil, map[string]string{"team": "shared"}, nil, true},
		{"default not used when present", `{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team, 'shared'}"}}`, nil, map[string]string{"team": "red"}, map[string]string{"team": "shared"}, nil, false},
		{"one value with unresolved variable fails the condition", `{"StringEquals":{"s:k":["a","${s:missing}"]}}`, one("s:k", "a"), nil, nil, nil, false},
		{"IfExists on absent key ignores variable", `{"StringEqualsIfExists":{"s:k":"${s:missing}"}}`, nil, nil, nil, nil, true},
		{"escapes in StringEquals", `{"StringEquals":{"s:k":"${$}{x}${*}${?}"}}`, one("s:k", "${x}*?"), nil, nil, nil, true},
		{"LeadingKeys own tenant", `{"ForAllValues:StringEquals":{"dynamodb:LeadingKeys":["${aws:PrincipalTag/TenantID}"]}}`, map[string][]string{"dynamodb:LeadingKeys": {"t1"}}, pt, nil, nil, true},
		{"LeadingKeys with a foreign tenant", `{"ForAllValues:StringEquals":{"dynamodb:LeadingKeys":["${aws:PrincipalTag/TenantID}"]}}`, map[string][]string{"dynamodb:LeadingKeys": {"t1", "t2"}}, pt, nil, nil, false},
		{"LeadingKeys, principal untagged", `{"ForAllValues:StringEquals":{"dynamodb:LeadingKeys":["${aws:PrincipalTag/TenantID}"]}}`, map[string][]string{"dynamodb:LeadingKeys": {"t1"}}, nil, nil, nil, false},
		// AWS's documented ForAllValues pitfall: an absent key satisfies it.
		{"LeadingKeys absent", `{"ForAllValues:StringEquals":{"dynamodb:LeadingKeys":["${aws:PrincipalTag/TenantID}"]}}`, nil, pt, nil, nil, true},
		{"variable from RequestTag", `{"StringEquals":{"aws:RequestTag/owner":"${aws:username}"}}`, one("aws:username", "alice"), nil, nil, map[string]string{"Owner": "alice"}, true},
	})
}
