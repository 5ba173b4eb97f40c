package iam_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/policy/iam"
)

// stmt wraps statement members into a 2012-10-17 document.
func stmt(members string) string {
	return `{"Version":"2012-10-17","Statement":[{` + members + `}]}`
}

const okMembers = `"Effect":"Allow","Action":"s3:GetObject","Resource":"*"`

func cond(c string) string { return stmt(okMembers + `,"Condition":` + c) }

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		doc  string
		path string // want ParseError.Path
		msg  string // substring of the message
	}{
		{"empty input", ``, "", "malformed JSON"},
		{"not JSON", `policy`, "", "malformed JSON"},
		{"truncated", `{"Version":"2012-10-17","Statement":[`, "Statement", "malformed JSON"},
		{"array document", `[]`, "", "must be a JSON object"},
		{"null document", `null`, "", "must be a JSON object"},
		{"trailing data", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}} {}`, "", "after the policy document"},
		{"invalid UTF-8", "{\"Id\":\"\xff\"}", "", "UTF-8"},
		{"unknown top-level", `{"Version":"2012-10-17","Statment":[]}`, "Statment", "unknown policy element"},
		{"lower-case element", `{"version":"2012-10-17","Statement":[]}`, "version", "unknown policy element"},
		{"bad version", `{"Version":"2012-10-18","Statement":{}}`, "Version", "must be"},
		{"version number", `{"Version":2012,"Statement":{}}`, "Version", "must be"},
		{"id not string", `{"Id":1,"Statement":{}}`, "Id", "must be a string"},
		{"missing Statement", `{"Version":"2012-10-17"}`, "", `missing "Statement"`},
		{"empty Statement", `{"Version":"2012-10-17","Statement":[]}`, "Statement", "must not be empty"},
		{"Statement string", `{"Version":"2012-10-17","Statement":"x"}`, "Statement", "object or an array"},
		{"statement not object", `{"Version":"2012-10-17","Statement":[1]}`, "Statement[0]", "must be an object"},
		{"duplicate top-level key", `{"Version":"2012-10-17","Version":"2008-10-17","Statement":{}}`, "Version", "duplicate key"},
		{"duplicate Effect", stmt(`"Effect":"Deny","Effect":"Allow","Action":"*","Resource":"*"`), "Statement[0].Effect", "duplicate key"},
		{"duplicate condition operator", cond(`{"StringEquals":{"s:a":"x"},"StringEquals":{"s:b":"y"}}`), `Statement[0].Condition.StringEquals`, "duplicate key"},
		{"duplicate condition key", cond(`{"StringEquals":{"s:a":"x","s:a":"y"}}`), `Statement[0].Condition.StringEquals["s:a"]`, "duplicate key"},
		{"missing Effect", stmt(`"Action":"*","Resource":"*"`), "Statement[0]", `missing "Effect"`},
		{"lower-case effect", stmt(`"Effect":"allow","Action":"*","Resource":"*"`), "Statement[0].Effect", "Allow"},
		{"effect array", stmt(`"Effect":["Allow"],"Action":"*","Resource":"*"`), "Statement[0].Effect", "Allow"},
		{"unknown statement element", stmt(okMembers + `,"Conditions":{}`), "Statement[0].Conditions", "unknown statement element"},
		{"case-variant element", stmt(okMembers + `,"action":"*"`), "Statement[0].action", "unknown statement element"},
		{"Action and NotAction", stmt(`"Effect":"Allow","Action":"*","NotAction":"s3:*","Resource":"*"`), "Statement[0].NotAction", "not both"},
		{"no action", stmt(`"Effect":"Allow","Resource":"*"`), "Statement[0]", `missing "Action"`},
		{"Resource and NotResource", stmt(`"Effect":"Allow","Action":"*","Resource":"*","NotResource":"*"`), "Statement[0].NotResource", "not both"},
		{"no resource", stmt(`"Effect":"Allow","Action":"*"`), "Statement[0]", `missing "Resource"`},
		{"empty action list", stmt(`"Effect":"Allow","Action":[],"Resource":"*"`), "Statement[0].Action", "empty"},
		{"action number", stmt(`"Effect":"Allow","Action":[1],"Resource":"*"`), "Statement[0].Action[0]", "must be a string"},
		{"action without service", stmt(`"Effect":"Allow","Action":["s3:Get","GetObject"],"Resource":"*"`), "Statement[0].Action[1]", "service:Action"},
		{"action with space", stmt(`"Effect":"Allow","Action":"s3:Get Object","Resource":"*"`), "Statement[0].Action", "invalid character"},
		{"action with variable", stmt(`"Effect":"Allow","Action":"s3:${aws:username}","Resource":"*"`), "Statement[0].Action", "invalid character"},
		{"wildcard service", stmt(`"Effect":"Allow","Action":"s*:Get","Resource":"*"`), "Statement[0].Action", "service prefix"},
		{"resource not ARN", stmt(`"Effect":"Allow","Action":"*","Resource":"bucket/*"`), "Statement[0].Resource", "neither"},
		{"resource control char", stmt(`"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::a\u0000b"`), "Statement[0].Resource", "control"},
		{"resource object", stmt(`"Effect":"Allow","Action":"*","Resource":{}`), "Statement[0].Resource", "string or an array"},
		{"unterminated variable", stmt(`"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::${aws:username"`), "Statement[0].Resource", "unterminated"},
		{"empty variable", stmt(`"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::${}"`), "Statement[0].Resource", "empty context key"},
		{"variable with space", stmt(`"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::${ aws:username}"`), "Statement[0].Resource", "space"},
		{"variable without prefix", stmt(`"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::${username}"`), "Statement[0].Resource", "prefix:name"},
		{"nested variable", stmt(`"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::${aws:${x}}"`), "Statement[0].Resource", "forbidden character"},
		{"default without quotes", stmt(`"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::${aws:username, x}"`), "Statement[0].Resource", "default"},
		{"empty default", stmt(`"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::${aws:username, ''}"`), "Statement[0].Resource", "default"},
		{"variable needs 2012 version", `{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::${aws:username}"}}`, "Statement.Resource", "2012-10-17"},
		{"variable needs a version", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"s:a":"${aws:username}"}}}}`, `Statement.Condition.StringEquals["s:a"]`, "2012-10-17"},
		{"duplicate Sid", `{"Version":"2012-10-17","Statement":[{"Sid":"A",` + okMembers + `},{"Sid":"A",` + okMembers + `}]}`, "Statement[1].Sid", "duplicate Sid"},
		{"Sid number", stmt(`"Sid":1,` + okMembers), "Statement[0].Sid", "must be a string"},
		{"condition not object", cond(`[]`), "Statement[0].Condition", "must be an object"},
		{"unknown operator", cond(`{"StringEqual":{"s:a":"x"}}`), "Statement[0].Condition.StringEqual", "unknown condition operator"},
		{"lower-case operator", cond(`{"stringequals":{"s:a":"x"}}`), "Statement[0].Condition.stringequals", "unknown condition operator"},
		{"bad qualifier", cond(`{"ForSomeValues:StringEquals":{"s:a":"x"}}`), `Statement[0].Condition["ForSomeValues:StringEquals"]`, "unknown condition operator"},
		{"double IfExists", cond(`{"StringEqualsIfExistsIfExists":{"s:a":"x"}}`), "Statement[0].Condition.StringEqualsIfExistsIfExists", "unknown"},
		{"NullIfExists", cond(`{"NullIfExists":{"s:a":"true"}}`), "Statement[0].Condition.NullIfExists", "Null operator"},
		{"ForAnyValue Null", cond(`{"ForAnyValue:Null":{"s:a":"true"}}`), `Statement[0].Condition["ForAnyValue:Null"]`, "Null operator"},
		{"Null two values", cond(`{"Null":{"s:a":["true","false"]}}`), `Statement[0].Condition.Null["s:a"]`, "exactly one"},
		{"Null not bool", cond(`{"Null":{"s:a":"yes"}}`), `Statement[0].Condition.Null["s:a"]`, "true or false"},
		{"operator empty", cond(`{"StringEquals":{}}`), "Statement[0].Condition.StringEquals", "non-empty object"},
		{"operator not object", cond(`{"StringEquals":"x"}`), "Statement[0].Condition.StringEquals", "non-empty object"},
		{"key without prefix", cond(`{"StringEquals":{"username":"x"}}`), "Statement[0].Condition.StringEquals.username", "prefix:name"},
		{"empty tag key", cond(`{"StringEquals":{"aws:PrincipalTag/":"x"}}`), `Statement[0].Condition.StringEquals["aws:PrincipalTag/"]`, "empty tag key"},
		{"bad tag key char", cond(`{"StringEquals":{"aws:ResourceTag/a*b":"x"}}`), `Statement[0].Condition.StringEquals["aws:ResourceTag/a*b"]`, "tag key"},
		{"null value", cond(`{"StringEquals":{"s:a":null}}`), `Statement[0].Condition.StringEquals["s:a"]`, "got null"},
		{"object value", cond(`{"StringEquals":{"s:a":[{"x":1}]}}`), `Statement[0].Condition.StringEquals["s:a"][0]`, "got object"},
		{"nested array value", cond(`{"StringEquals":{"s:a":[["x"]]}}`), `Statement[0].Condition.StringEquals["s:a"][0]`, "got array"},
		{"empty value array", cond(`{"StringEquals":{"s:a":[]}}`), `Statement[0].Condition.StringEquals["s:a"]`, "empty"},
		{"numeric not number", cond(`{"NumericLessThan":{"s:a":"ten"}}`), `Statement[0].Condition.NumericLessThan["s:a"]`, "not a number"},
		{"numeric NaN", cond(`{"NumericLessThan":{"s:a":"NaN"}}`), `Statement[0].Condition.NumericLessThan["s:a"]`, "not a number"},
		{"numeric variable", cond(`{"NumericLessThan":{"s:a":"${s:b}"}}`), `Statement[0].Condition.NumericLessThan["s:a"]`, "not a number"},
		{"date garbage", cond(`{"DateLessThan":{"aws:CurrentTime":["2026-01-01","tomorrow"]}}`), `Statement[0].Condition.DateLessThan["aws:CurrentTime"][1]`, "ISO 8601"},
		{"bool garbage", cond(`{"Bool":{"aws:SecureTransport":"yes"}}`), `Statement[0].Condition.Bool["aws:SecureTransport"]`, "true or false"},
		{"binary not base64", cond(`{"BinaryEquals":{"s:a":"%%%"}}`), `Statement[0].Condition.BinaryEquals["s:a"]`, "base64"},
		{"ip garbage", cond(`{"IpAddress":{"aws:SourceIp":"10.0.0.0/33"}}`), `Statement[0].Condition.IpAddress["aws:SourceIp"]`, "IP address"},
		{"arn too short", cond(`{"ArnLike":{"aws:SourceArn":"arn:aws:s3:*"}}`), `Statement[0].Condition.ArnLike["aws:SourceArn"]`, "not an ARN"},
		{"principal string", stmt(okMembers + `,"Principal":"arn:aws:iam::1:root"`), "Statement[0].Principal", `"*"`},
		{"principal unknown type", stmt(okMembers + `,"Principal":{"Users":"x"}`), "Statement[0].Principal.Users", "unknown principal type"},
		{"principal wildcard ARN", stmt(okMembers + `,"Principal":{"AWS":"arn:aws:iam::1:role/*"}`), "Statement[0].Principal.AWS", "wildcards"},
		{"principal AWS garbage", stmt(okMembers + `,"Principal":{"AWS":"alice"}`), "Statement[0].Principal.AWS", "account id"},
		{"Principal and NotPrincipal", stmt(okMembers + `,"Principal":"*","NotPrincipal":{"AWS":"*"}`), "Statement[0].NotPrincipal", "not both"},
		{"too deep", `{"Version":"2012-10-17","Statement":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`, "Statement" + strings.Repeat("[0]", 16), "nested too deeply"},
		{"too large", `{"Id":"` + strings.Repeat("a", iam.MaxDocumentSize) + `","Statement":{}}`, "", "larger than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := iam.Parse([]byte(tc.doc))
			require.Error(t, err)
			assert.Nil(t, p)
			assert.ErrorIs(t, err, iam.ErrInvalidPolicy)
			var pe *iam.ParseError
			require.True(t, errors.As(err, &pe), "%T", err)
			assert.Equal(t, tc.path, pe.Path, err.Error())
			assert.Contains(t, pe.Msg, tc.msg)
			assert.True(t, strings.HasPrefix(err.Error(), "iam: invalid policy: "), err.Error())
		})
	}
}

func TestParseAccepts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		doc   string
		stmts int
	}{
		{"issue policy", tenantIsolationPolicy, 1},
		{"statement object, no version", `{"Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}`, 1},
		{"old version literal dollar", `{"Version":"2008-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"arn:aws:s3:::$a{"}}`, 1},
		{"Id and Sid", `{"Version":"2012-10-17","Id":"p1","Statement":[{"Sid":"A",` + okMembers + `},{"Sid":"",` + okMembers + `},{"Sid":"",` + okMembers + `}]}`, 3},
		{"all operators", cond(`{
			"StringEquals":{"s:a":"x"},"StringNotEquals":{"s:a":"x"},"StringEqualsIgnoreCase":{"s:a":"x"},"StringNotEqualsIgnoreCase":{"s:a":"x"},
			"StringLike":{"s:a":"x*"},"StringNotLike":{"s:a":"x?"},"ArnEquals":{"s:a":"arn:a:b:c:d:e"},"ArnLike":{"s:a":"arn:*:*:*:*:*"},
			"ArnNotEquals":{"s:a":"arn:a:b:c:d:e"},"ArnNotLike":{"s:a":"arn:a:b:c:d:e"},"Bool":{"s:a":true},"Null":{"s:a":false},
			"NumericEquals":{"s:a":1},"NumericNotEquals":{"s:a":"1.5"},"NumericLessThan":{"s:a":-1},"NumericLessThanEquals":{"s:a":1e3},
			"NumericGreaterThan":{"s:a":1},"NumericGreaterThanEquals":{"s:a":1},"DateEquals":{"s:a":"2026-01-01"},"DateNotEquals":{"s:a":1700000000},
			"DateLessThan":{"s:a":"2026-01-01T00:00:00Z"},"DateLessThanEquals":{"s:a":"2026-01-01T00:00:00.123+02:00"},"DateGreaterThan":{"s:a":"2026-01-01T10:00"},
			"DateGreaterThanEquals":{"s:a":"2026-01-01T10:00Z"},"BinaryEquals":{"s:a":"AAEC"},"IpAddress":{"s:a":["10.0.0.0/8","::1"]},"NotIpAddress":{"s:a":"10.0.0.1"},
			"ForAnyValue:StringLikeIfExists":{"s:a":"x"},"ForAllValues:ArnLike":{"s:a":"arn:a:b:c:d:*"}}`), 1},
		{"principal forms", stmt(okMembers + `,"Principal":{"AWS":["*","111122223333","arn:aws:iam::111122223333:root","arn:aws:iam::111122223333:role/x"],"Service":"s3.amazonaws.com","Federated":"cognito-identity.amazonaws.com","CanonicalUser":"abc"}`), 1},
		{"default with spaces", stmt(`"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::${aws:PrincipalTag/team, 'company wide'}/*"`), 1},
		{"tag key with space", cond(`{"StringEquals":{"aws:PrincipalTag/Cost Center":"x"}}`), 1},
		{"oidc key", cond(`{"StringEquals":{"accounts.google.com:aud":"x"}}`), 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := iam.Parse([]byte(tc.doc))
			require.NoError(t, err)
			assert.Equal(t, tc.stmts, p.Len())
		})
	}
	p := mustParse(t, `{"Version":"2012-10-17","Id":"p1","Statement":{`+okMembers+`}}`)
	assert.Equal(t, iam.Version2012, p.Version())
	assert.Equal(t, "p1", p.ID())
}

func TestOldVersionDollarIsLiteral(t *testing.T) {
	t.Parallel()
	p := mustParse(t, `{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::$a{"}}`)
	assert.True(t, iam.Evaluate(&iam.Request{Action: "s3:x", Resource: "arn:aws:s3:::$a{"}, p).Allowed())
}
