package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tenantkit/tenantkit/tenantctx"
)

// FuzzParse checks that Parse never panics, that every failure is a
// *ValidationError wrapping ErrInvalidPolicy with located problems, and that
// every accepted document compiles, evaluates without panicking and survives
// a round trip through Validate.
func FuzzParse(f *testing.F) {
	f.Add([]byte(issueDoc))
	f.Add([]byte(`{"policyId":"P","tenantId":"T","rules":[{"effect":"ALLOW","resourceType":"TOOL","resources":["a*b*c"],"condition":{"tiers":["x"],"entitlements":["e"],"scopes":["s"]}}]}`))
	f.Add([]byte(`{"policyId":"P","policyId":"P","tenantId":"T","rules":[{"effect":"DENY","effect":"ALLOW"}]}`))
	f.Add([]byte(`{"policyId":"P","tenantId":"T","rules":[{"effect":"allow","resourceType":"TOOL","resources":["**","?",""]}],"x":[[[[]]]]}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"a.b":1,"":2}`))
	f.Add([]byte("{\"policyId\":\"\xff\"}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := Parse(data)
		if err != nil {
			if doc != nil {
				t.Fatal("document returned with an error")
			}
			if !errors.Is(err, ErrInvalidPolicy) {
				t.Fatalf("error does not wrap ErrInvalidPolicy: %v", err)
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) == 0 {
				t.Fatalf("not a *ValidationError with problems: %v", err)
			}
			for _, p := range ve.Problems {
				if !strings.HasPrefix(p.Path, "$") || p.Msg == "" {
					t.Fatalf("bad problem %#v", p)
				}
			}
			if got := Validate(data); len(got) != len(ve.Problems) {
				t.Fatalf("Validate reported %d problems, Parse %d", len(got), len(ve.Problems))
			}
			return
		}
		if errs := Validate(data); errs != nil {
			t.Fatalf("Validate disagrees with Parse: %v", errs)
		}
		if err := doc.Validate(); err != nil {
			t.Fatalf("parsed document does not validate: %v", err)
		}
		p, err := Compile(doc)
		if err != nil {
			t.Fatalf("valid document does not compile: %v", err)
		}
		tn := &tenantctx.Tenant{ID: doc.TenantID, Tier: "premium"}
		for _, r := range doc.Rules {
			for _, res := range r.Resources {
				for _, name := range []string{strings.ReplaceAll(res, "*", ""), strings.ReplaceAll(res, "*", "x*y")} {
					d := p.Evaluate(tn, r.ResourceType, name)
					allowed, rule := referenceDecide(doc, tn, r.ResourceType, name)
					if d.Allowed != allowed || d.Rule != rule {
						t.Fatalf("Evaluate(%q) = %+v, reference allowed=%v rule=%d", name, d, allowed, rule)
					}
					if other := p.Evaluate(&tenantctx.Tenant{ID: doc.TenantID + "x"}, r.ResourceType, name); other.Allowed {
						t.Fatal("another tenant was allowed")
					}
				}
			}
		}
	})
}

// FuzzMatchPattern compares the linear matcher with a backtracking reference
// implementation.
func FuzzMatchPattern(f *testing.F) {
	for _, s := range [][2]string{
		{"agent:tool:crm-*", "agent:tool:crm-read"},
		{"*", ""},
		{"a*b*c", "abbbc"},
		{"ab*ba", "aba"},
		{"*x*x*", "xx"},
		{"*-*-*", "a-b"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, name string) {
		if len(pattern) > 64 || len(name) > 64 {
			return // keep the reference implementation fast
		}
		want := naiveMatch(pattern, name)
		if got := MatchPattern(pattern, name); got != want {
			t.Fatalf("MatchPattern(%q, %q) = %v, want %v", pattern, name, got, want)
		}
		if checkPattern(pattern) == "" {
			p := compilePattern(pattern)
			if got := p.match(name); got != want {
				t.Fatalf("compiled match(%q, %q) = %v, want %v", pattern, name, got, want)
			}
		}
	})
}

// FuzzEvaluate evaluates arbitrary requests against a fixed policy and
// checks the decision against a direct reading of the rules.
func FuzzEvaluate(f *testing.F) {
	const doc = `{"policyId":"P","tenantId":"Tenant-A","rules":[
		{"effect":"ALLOW","resourceType":"TOOL","resources":["agent:tool:*","exact"]},
		{"effect":"DENY","resourceType":"TOOL","resources":["agent:tool:admin-*","*secret*"]},
		{"effect":"ALLOW","resourceType":"TOOL","resources":["premium:*"],"condition":{"tiers":["premium"]}}]}`
	p := MustCompile([]byte(doc))
	f.Add("Tenant-A", "premium", "TOOL", "agent:tool:x")
	f.Add("Tenant-A", "", "TOOL", "agent:tool:admin-secret")
	f.Add("Tenant-B", "premium", "TOOL", "premium:x")
	f.Fuzz(func(t *testing.T, tenantID, tier, resourceType, resource string) {
		tn := &tenantctx.Tenant{ID: tenantID, Tier: tier}
		d := p.Evaluate(tn, resourceType, resource)
		want := tenantID == "Tenant-A" && resourceType == "TOOL" && resource != "" &&
			!MatchPattern("agent:tool:admin-*", resource) && !MatchPattern("*secret*", resource) &&
			(MatchPattern("agent:tool:*", resource) || resource == "exact" || tier == "premium" && MatchPattern("premium:*", resource))
		if d.Allowed != want {
			t.Fatalf("Evaluate(%q, %q, %q, %q) = %+v, want allowed=%v", tenantID, tier, resourceType, resource, d, want)
		}
		filtered := p.Filter(tn, resourceType, []string{resource})
		if (len(filtered) == 1) != want {
			t.Fatalf("Filter disagrees with Evaluate: %v", filtered)
		}
	})
}

// FuzzDecodeTree compares the strict scanner with encoding/json on inputs
// both accept: the trees must be equal.
func FuzzDecodeTree(f *testing.F) {
	f.Add([]byte(issueDoc))
	f.Add([]byte(`{"a":[1,-2.5e3,true,false,null,"x\"y\\u00e9\n"],"b":{},"c":[]}`))
	f.Add([]byte(` [ {"":""} , [ [ ] ] ] `))
	f.Add([]byte(`{"a":1,"a":2}`))
	f.Add([]byte("\"\\ud800\""))
	f.Fuzz(func(t *testing.T, data []byte) {
		if !utf8.Valid(data) {
			return // decodeTree's callers reject invalid UTF-8 first
		}
		var p problems
		root := decodeTree(data, &p)
		var want any
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		errStd := dec.Decode(&want)
		if errStd == nil && dec.More() {
			errStd = errors.New("trailing data")
		}
		if _, err := dec.Token(); errStd == nil && err != io.EOF {
			errStd = errors.New("trailing data")
		}
		if root == nil {
			if errStd == nil && !strings.Contains(p.list[0].Msg, "nesting deeper") {
				t.Fatalf("scanner rejected what encoding/json accepts: %v", p.list)
			}
			return
		}
		if errStd != nil {
			t.Fatalf("scanner accepted what encoding/json rejects (%v)", errStd)
		}
		if len(p.list) > 0 {
			return // duplicate keys: encoding/json keeps the last one
		}
		if got := toAny(root); !reflect.DeepEqual(got, want) {
			t.Fatalf("tree mismatch:\n got %#v\nwant %#v", got, want)
		}
	})
}

func toAny(n *node) any {
	switch n.kind {
	case kindObject:
		m := make(map[string]any, len(n.keys))
		for i, k := range n.keys {
			m[k] = toAny(n.vals[i])
		}
		return m
	case kindArray:
		a := make([]any, len(n.elems))
		for i, e := range n.elems {
			a[i] = toAny(e)
		}
		return a
	case kindString:
		return n.str
	case kindNumber:
		return json.Number(n.str)
	case kindBool:
		return n.boolean
	}
	return nil
}

// FuzzParseUsers checks that the users-file parser never panics and that
// everything it accepts is a valid user id → tenant id mapping.
func FuzzParseUsers(f *testing.F) {
	f.Add([]byte(`{"alice":"Tenant-A","auth0|42":"Tenant-B"}`))
	f.Add([]byte(`{"alice":"Tenant-A","alice":"Tenant-B"}`))
	f.Add([]byte(`{"a b":"../x","":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		users, err := ParseUsers(data)
		if err != nil {
			if users != nil || !errors.Is(err, ErrInvalidPolicy) {
				t.Fatalf("bad failure: %v %v", users, err)
			}
			return
		}
		for u, tn := range users {
			if ValidateUserID(u) != nil || tenantctx.ValidateID(tn) != nil {
				t.Fatalf("accepted invalid pair %q → %q", u, tn)
			}
		}
	})
}
