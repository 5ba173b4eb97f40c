package policy

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/tenantctx"
)

// referenceDecide is a direct, unoptimized reading of the evaluation rules:
// the first matching DENY rule in document order decides; otherwise the
// first matching ALLOW rule; otherwise deny. It returns the deciding rule or
// -1.
func referenceDecide(doc *Document, t *tenantctx.Tenant, resourceType, resource string) (allowed bool, rule int) {
	if t == nil || t.ID != doc.TenantID || resource == "" {
		return false, -1
	}
	matches := func(r *Rule) bool {
		if r.ResourceType != resourceType {
			return false
		}
		if c := r.Condition; c != nil {
			if c.Tiers != nil && !slices.Contains(c.Tiers, t.Tier) {
				return false
			}
			for _, e := range c.Entitlements {
				if !t.HasEntitlement(e) {
					return false
				}
			}
			for _, s := range c.Scopes {
				if !t.HasScope(s) {
					return false
				}
			}
		}
		for _, p := range r.Resources {
			if naiveMatch(p, resource) {
				return true
			}
		}
		return false
	}
	for _, eff := range []Effect{Deny, Allow} {
		for i := range doc.Rules {
			if doc.Rules[i].Effect == eff && matches(&doc.Rules[i]) {
				return eff == Allow, i
			}
		}
	}
	return false, -1
}

// TestEvaluateMatchesReference compares the compiled evaluator — map
// lookups, linear pattern scans and the radix index for large pattern sets
// — with referenceDecide on random policies and requests.
func TestEvaluateMatchesReference(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "b", ":", "ab", "tool", "-"}
	word := func(max int) string {
		var b strings.Builder
		for n := rng.IntN(max) + 1; n > 0; n-- {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
	pattern := func() string {
		var b strings.Builder
		for n := rng.IntN(4); n >= 0; n-- {
			if rng.IntN(3) == 0 && !strings.HasSuffix(b.String(), "*") {
				b.WriteString("*")
			} else {
				b.WriteString(word(3))
			}
		}
		return b.String()
	}
	tiers := []string{"", "basic", "premium"}
	indexed := 0
	for iter := 0; iter < 300; iter++ {
		nrules := rng.IntN(60) + 1
		doc := &Document{PolicyID: "P", TenantID: "T"}
		for i := 0; i < nrules; i++ {
			r := Rule{Effect: Allow, ResourceType: ResourceTypeTool}
			if rng.IntN(3) == 0 {
				r.Effect = Deny
			}
			if rng.IntN(8) == 0 {
				r.ResourceType = "OTHER"
			}
			seen := map[string]bool{}
			for n := rng.IntN(3) + 1; n > 0; n-- {
				p := pattern()
				if !seen[p] {
					seen[p] = true
					r.Resources = append(r.Resources, p)
				}
			}
			if rng.IntN(4) == 0 {
				r.Condition = &Condition{Tiers: []string{"premium"}}
			}
			doc.Rules = append(doc.Rules, r)
		}
		p, err := Compile(doc)
		require.NoError(t, err)
		for _, ti := range p.types {
			if ti.allow.root != nil || ti.deny.root != nil {
				indexed++
				break
			}
		}
		for q := 0; q < 40; q++ {
			tn := &tenantctx.Tenant{ID: "T", Tier: tiers[rng.IntN(len(tiers))]}
			rt := ResourceTypeTool
			if rng.IntN(8) == 0 {
				rt = "OTHER"
			}
			res := word(8)
			if q%4 == 0 {
				// A name built from a pattern of the policy is likely to match.
				r := doc.Rules[rng.IntN(len(doc.Rules))]
				res = strings.ReplaceAll(r.Resources[0], "*", word(2))
			}
			wantAllowed, wantRule := referenceDecide(doc, tn, rt, res)
			d := p.Evaluate(tn, rt, res)
			if d.Allowed != wantAllowed || d.Rule != wantRule {
				t.Fatalf("iteration %d: Evaluate(%q, %q, tier %q) = %+v, reference: allowed=%v rule=%d\npolicy: %+v",
					iter, rt, res, tn.Tier, d, wantAllowed, wantRule, doc.Rules)
			}
		}
	}
	require.Greater(t, indexed, 50, "the radix index must be exercised")
}

func TestRadixIndexIsUsed(t *testing.T) {
	t.Parallel()
	var rules []string
	for i := 0; i < 3*linearMax; i++ {
		rules = append(rules, fmt.Sprintf(`{"effect":"ALLOW","resourceType":"TOOL","resources":["agent:tool:f%d-*"]}`, i))
	}
	rules = append(rules, `{"effect":"DENY","resourceType":"TOOL","resources":["*-secret"]}`)
	p := MustCompile([]byte(`{"policyId":"P","tenantId":"T","rules":[` + strings.Join(rules, ",") + `]}`))
	require.NotNil(t, p.types[0].allow.root)
	require.Nil(t, p.types[0].deny.root)
	tn := tenant("T")
	require.True(t, p.Allowed(tn, "TOOL", "agent:tool:f7-x"))
	require.Equal(t, 7, p.Evaluate(tn, "TOOL", "agent:tool:f7-x").Rule)
	require.Equal(t, 17, p.Evaluate(tn, "TOOL", "agent:tool:f17-x").Rule, "f1 is a prefix of f17 but f1-* does not match")
	require.False(t, p.Allowed(tn, "TOOL", "agent:tool:f7-secret"))
	require.False(t, p.Allowed(tn, "TOOL", "agent:tool:f99-x"))
	require.False(t, p.Allowed(tn, "TOOL", "agent:tool:f"))
}
