package iam_test

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/tenantkit/tenantkit/policy/iam"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		tenantIsolationPolicy,
		`{"Statement":{"Effect":"Deny","NotAction":"iam:*","NotResource":["arn:aws:s3:::a","*"]}}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["111122223333"]},"Action":"*","Resource":"arn:aws:s3:::${aws:username, 'x'}/*",
			"Condition":{"ForAllValues:StringLike":{"aws:TagKeys":["a*"]},"NumericLessThanIfExists":{"s:n":5},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},
			"DateGreaterThan":{"aws:CurrentTime":"2026-01-01"},"Null":{"aws:PrincipalTag/x":"false"},"ArnLike":{"aws:SourceArn":"arn:*:*:*:*:${aws:username}"}}}]}`,
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Effect":"Deny"}}`,
		`[[[[[[`,
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:${$}${*}${?}"}}`,
	} {
		f.Add([]byte(s))
	}
	reqs := []*iam.Request{
		{Action: "s3:GetObject", Resource: "arn:aws:s3:::a/b"},
		{Action: "bedrock:Retrieve", Resource: "arn:aws:bedrock:knowledge-base/kb", Principal: "arn:aws:iam::111122223333:role/r",
			PrincipalTags: map[string]string{"TenantID": "A", "x": "1"}, ResourceTags: map[string]string{"TenantID": "A"},
			RequestTags: map[string]string{"a1": "v"},
			Context: map[string][]string{"aws:username": {"alice"}, "s:n": {"3"}, "aws:SourceIp": {"10.1.1.1"}, "aws:CurrentTime": {"2026-11-24T00:00:00Z"},
				"aws:SourceArn": {"arn:aws:s3:::alice"}, "aws:TagKeys": {"a1", "b"}}},
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := iam.Parse(data)
		if err != nil {
			if p != nil {
				t.Fatal("policy returned with an error")
			}
			if !strings.HasPrefix(err.Error(), "iam: invalid policy") {
				t.Fatalf("unprefixed error %q", err)
			}
			return
		}
		for _, r := range reqs {
			d := iam.Evaluate(r, p)
			if d.Err != nil {
				t.Fatalf("valid request failed: %v", d.Err)
			}
			switch d.Outcome {
			case iam.ImplicitDeny:
				if d.Policy != -1 || d.Statement != -1 {
					t.Fatalf("implicit deny names a statement: %+v", d)
				}
			case iam.Allow, iam.ExplicitDeny:
				if d.Policy != 0 || d.Statement < 0 || d.Statement >= p.Len() {
					t.Fatalf("bad statement reference: %+v", d)
				}
			default:
				t.Fatalf("unknown outcome %v", d.Outcome)
			}
			// Deny overrides: adding a deny-everything policy always denies.
			deny, _ := iam.Parse([]byte(`{"Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}`))
			if d2 := iam.Evaluate(r, p, deny); d2.Outcome != iam.ExplicitDeny {
				t.Fatalf("deny-all did not win: %v", d2)
			}
		}
	})
}

// escapeLiteral writes s so that a policy treats every character literally.
func escapeLiteral(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '$':
			b.WriteString("${$}")
		case '*':
			b.WriteString("${*}")
		case '?':
			b.WriteString("${?}")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func FuzzVariableSubstitution(f *testing.F) {
	f.Add("home/", "alice", "/*", "home/alice/*")
	f.Add("", "", "", "")
	f.Add("a$", "*", "?", "a$*?")
	f.Add("${aws:username}", "bob", "}", "${aws:username}bob}")
	f.Fuzz(func(t *testing.T, prefix, user, suffix, value string) {
		for _, s := range []string{prefix, user, suffix, value} {
			if !utf8.ValidString(s) || strings.ContainsFunc(s, unicode.IsControl) {
				return
			}
		}
		tmpl := escapeLiteral(prefix) + "${aws:username}" + escapeLiteral(suffix)
		want := user != "" && value == prefix+user+suffix
		ctx := map[string][]string{"aws:username": {user}, "s:k": {value}}

		for _, op := range []string{"StringEquals", "StringLike"} {
			c, _ := json.Marshal(map[string]map[string]string{op: {"s:k": tmpl}})
			p, err := iam.Parse([]byte(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":` + string(c) + `}}`))
			if err != nil {
				t.Fatalf("%s %q: %v", op, tmpl, err)
			}
			if got := iam.Evaluate(&iam.Request{Action: "s:a", Resource: "arn:x", Context: ctx}, p).Allowed(); got != want {
				t.Fatalf("%s %q with user %q vs %q: got %v want %v", op, tmpl, user, value, got, want)
			}
		}

		res, _ := json.Marshal("arn:" + tmpl)
		p, err := iam.Parse([]byte(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":` + string(res) + `}}`))
		if err != nil {
			t.Fatalf("resource %s: %v", res, err)
		}
		got := iam.Evaluate(&iam.Request{Action: "s:a", Resource: "arn:" + value, Context: ctx}, p).Allowed()
		if got != want {
			t.Fatalf("resource %s with user %q vs %q: got %v want %v", res, user, value, got, want)
		}
	})
}
