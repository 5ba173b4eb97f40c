package policy

import (
	"strings"
	"testing"

	"github.com/tenantkit/tenantkit/tenantctx"
)

// FuzzEvaluateIndexed builds a policy from fuzzed patterns — enough of them
// that the radix index is used for both effects — and compares every
// decision with referenceDecide, and Filter with Evaluate.
//
// patterns is a '|'-separated list; a leading '!' makes the rule a DENY,
// a leading '?' adds a condition (tier "premium") to it.
func FuzzEvaluateIndexed(f *testing.F) {
	f.Add("a*|!ab*|a*b|?b*|!*b|ab|*a*b*|!a*a", "aab", true)
	f.Add("x:*|!x:admin-*|?x:p-*|!*secret*", "x:admin-1", false)
	f.Add("*|!*", "z", true)
	f.Fuzz(func(t *testing.T, patterns, resource string, premium bool) {
		doc := &Document{PolicyID: "P", TenantID: "T"}
		for i, raw := range strings.Split(patterns, "|") {
			r := Rule{Effect: Allow, ResourceType: ResourceTypeTool}
			for len(raw) > 0 && (raw[0] == '!' || raw[0] == '?') {
				if raw[0] == '!' {
					r.Effect = Deny
				} else {
					r.Condition = &Condition{Tiers: []string{"premium"}}
				}
				raw = raw[1:]
			}
			if checkPattern(raw) != "" || i >= 200 {
				continue
			}
			r.Resources = []string{raw}
			doc.Rules = append(doc.Rules, r)
		}
		// Pad each effect with prefix patterns beyond linearMax so that the
		// radix index is built, keeping the fuzzed rules first.
		for i := 0; i < linearMax+1; i++ {
			pad := "zz" + strings.Repeat("q", i) + "*"
			doc.Rules = append(doc.Rules,
				Rule{Effect: Allow, ResourceType: ResourceTypeTool, Resources: []string{pad + "a"}},
				Rule{Effect: Deny, ResourceType: ResourceTypeTool, Resources: []string{pad + "d"}})
		}
		p, err := Compile(doc)
		if err != nil {
			t.Fatalf("Compile: %v", err)
		}
		if p.types[0].allow.root == nil || p.types[0].deny.root == nil {
			t.Fatal("radix index not built")
		}
		tier := "basic"
		if premium {
			tier = "premium"
		}
		tn := &tenantctx.Tenant{ID: "T", Tier: tier}
		wantAllowed, wantRule := referenceDecide(doc, tn, ResourceTypeTool, resource)
		d := p.Evaluate(tn, ResourceTypeTool, resource)
		if d.Allowed != wantAllowed || d.Rule != wantRule {
			t.Fatalf("Evaluate(%q) = %+v, reference allowed=%v rule=%d; rules %+v", resource, d, wantAllowed, wantRule, doc.Rules)
		}
		if got := p.Filter(tn, ResourceTypeTool, []string{resource}); (len(got) == 1) != wantAllowed {
			t.Fatalf("Filter(%q) = %q disagrees with Evaluate", resource, got)
		}
	})
}
