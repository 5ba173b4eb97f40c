package policy

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/tenantkit/tenantkit/tenantctx"
)

// Reasons reported in a [Decision] when no rule decides.
const (
	// ReasonNoMatch: no rule of the policy matches the request.
	ReasonNoMatch = "no matching rule"
	// ReasonNoTenant: the request carries no tenant.
	ReasonNoTenant = "no tenant"
	// ReasonNoPolicy: there is no policy to evaluate.
	ReasonNoPolicy = "no policy"
	// ReasonOtherTenant: the policy belongs to a different tenant than the
	// request.
	ReasonOtherTenant = "policy belongs to another tenant"
	// ReasonEmptyResource: the request names no resource.
	ReasonEmptyResource = "empty resource name"
)

// Decision is the outcome of evaluating a request against a [Policy].
type Decision struct {
	// Allowed is true only when an ALLOW rule matched and no DENY rule did.
	Allowed bool
	// PolicyID is the id of the evaluated policy ("" when there was none).
	// [Decide] leaves it empty when the registry returned another
	// tenant's policy; [Policy.Evaluate] reports the policy it was given.
	PolicyID string
	// Rule is the index in Document.Rules of the rule that decided, or -1
	// when no rule matched (implicit deny) or the request was refused
	// before any rule was considered.
	Rule int
	// Effect is the deciding rule's effect; [Deny] when no rule decided.
	Effect Effect
	// Reason explains the decision: the deciding rule's reason, a generated
	// one when the rule has none, or one of the Reason constants.
	Reason string
}

// String returns a one-line description of the decision.
func (d Decision) String() string {
	verdict := "deny"
	if d.Allowed {
		verdict = "allow"
	}
	return fmt.Sprintf("%s (policy %q, rule %d): %s", verdict, d.PolicyID, d.Rule, d.Reason)
}

func denied(policyID, reason string) Decision {
	return Decision{PolicyID: policyID, Rule: -1, Effect: Deny, Reason: reason}
}

// Policy is a compiled, immutable policy document. Exact resource names are
// kept in a hash map and wildcard patterns in a pre-split matcher, so that
// [Policy.Evaluate] costs one map lookup plus the patterns of the requested
// resource type, with no allocation. A Policy is safe for concurrent use.
type Policy struct {
	id       string
	tenantID string
	doc      *Document
	rules    []compiledRule
	types    []typeIndex
}

type compiledRule struct {
	deny bool
	// reason is the rule's reason or a generated one.
	reason string
	// unmet explains a decision where this rule's condition did not hold.
	unmet string
	cond  *condition
}

type condition struct {
	tiers        []string
	entitlements []string
	scopes       []string
}

func (c *condition) holds(t *tenantctx.Tenant) bool {
	if c == nil {
		return true
	}
	if c.tiers != nil && !slices.Contains(c.tiers, t.Tier) {
		return false
	}
	for _, e := range c.entitlements {
		if !slices.Contains(t.Entitlements, e) {
			return false
		}
	}
	for _, s := range c.scopes {
		if !slices.Contains(t.Scopes, s) {
			return false
		}
	}
	return true
}

func (c *condition) String() string {
	var parts []string
	if c.tiers != nil {
		parts = append(parts, "tier in ["+strings.Join(c.tiers, ", ")+"]")
	}
	if c.entitlements != nil {
		parts = append(parts, "entitlements ["+strings.Join(c.entitlements, ", ")+"]")
	}
	if c.scopes != nil {
		parts = append(parts, "scopes ["+strings.Join(c.scopes, ", ")+"]")
	}
	return strings.Join(parts, " and ")
}

// typeIndex holds the rules of one resource type.
type typeIndex struct {
	name string
	// exact maps a resource name to the rules that list it, DENY rules
	// first, each group in document order.
	exact map[string][]int32
	// deny and allow are the wildcard patterns.
	deny, allow patternSet
}

// Compile validates doc and compiles it into a [Policy]. The document is
// copied; later changes to doc do not affect the Policy. On failure the error
// is a [*ValidationError] that lists every problem.
func Compile(doc *Document) (*Policy, error) {
	var p problems
	validateDocument(doc, &p)
	if err := p.err(""); err != nil {
		return nil, err
	}
	if len(doc.Rules) > math.MaxInt32 {
		return nil, fmt.Errorf("%w: too many rules", ErrInvalidPolicy)
	}
	doc = doc.Clone()
	pol := &Policy{id: doc.PolicyID, tenantID: doc.TenantID, doc: doc, rules: make([]compiledRule, len(doc.Rules))}
	byType := map[string]int{}
	for i, r := range doc.Rules {
		cr := compiledRule{deny: r.Effect == Deny, reason: r.Reason}
		if cr.reason == "" {
			if cr.deny {
				cr.reason = "denied by rule " + strconv.Itoa(i)
			} else {
				cr.reason = "allowed by rule " + strconv.Itoa(i)
			}
		}
		if c := r.Condition; c != nil {
			cr.cond = &condition{tiers: c.Tiers, entitlements: c.Entitlements, scopes: c.Scopes}
			cr.unmet = fmt.Sprintf("%s (rule %d requires %s)", ReasonNoMatch, i, cr.cond)
		}
		pol.rules[i] = cr

		ti, ok := byType[r.ResourceType]
		if !ok {
			ti = len(pol.types)
			byType[r.ResourceType] = ti
			pol.types = append(pol.types, typeIndex{name: r.ResourceType, exact: map[string][]int32{}})
		}
		idx := &pol.types[ti]
		for _, res := range r.Resources {
			if strings.Contains(res, "*") {
				if cr.deny {
					idx.deny.add(int32(i), res)
				} else {
					idx.allow.add(int32(i), res)
				}
				continue
			}
			idx.exact[res] = append(idx.exact[res], int32(i))
		}
	}
	for ti := range pol.types {
		pol.types[ti].deny.index()
		pol.types[ti].allow.index()
		for res, refs := range pol.types[ti].exact {
			slices.SortStableFunc(refs, func(a, b int32) int {
				da, db := pol.rules[a].deny, pol.rules[b].deny
				if da != db {
					if da {
						return -1
					}
					return 1
				}
				return int(a - b)
			})
			pol.types[ti].exact[res] = slices.Clip(refs)
		}
	}
	return pol, nil
}

// MustCompile is like [Parse] followed by [Compile] but panics on error. It
// is meant for policies written in code and tests; never call it on
// untrusted input.
func MustCompile(data []byte) *Policy {
	doc, err := Parse(data)
	if err != nil {
		panic(err)
	}
	p, err := Compile(doc)
	if err != nil {
		panic(err)
	}
	return p
}

// ID returns the policy id. It returns "" for a nil Policy.
func (p *Policy) ID() string {
	if p == nil {
		return ""
	}
	return p.id
}

// TenantID returns the tenant the policy applies to. It returns "" for a nil
// Policy.
func (p *Policy) TenantID() string {
	if p == nil {
		return ""
	}
	return p.tenantID
}

// Document returns a copy of the document the policy was compiled from.
func (p *Policy) Document() *Document {
	if p == nil {
		return nil
	}
	return p.doc.Clone()
}

// Evaluate decides whether tenant t may use resource of type resourceType.
//
// The rules, in order of precedence:
//   - a nil Policy, a nil tenant, an empty resource name, or a tenant other
//     than the policy's tenant: denied, Rule -1;
//   - any matching DENY rule: denied by the first such rule;
//   - otherwise any matching ALLOW rule: allowed by the first such rule;
//   - otherwise denied with [ReasonNoMatch] (default deny).
//
// A rule matches when its resource type equals resourceType, one of its
// resources equals resource or matches it as a '*' pattern (case-sensitive),
// and its condition, if any, holds for t. Evaluate does not allocate.
func (p *Policy) Evaluate(t *tenantctx.Tenant, resourceType, resource string) Decision {
	if p == nil {
		return denied("", ReasonNoPolicy)
	}
	if t == nil {
		return denied(p.id, ReasonNoTenant)
	}
	if t.ID != p.tenantID {
		return denied(p.id, ReasonOtherTenant)
	}
	if resource == "" {
		return denied(p.id, ReasonEmptyResource)
	}
	r, unmet := p.decide(t, resourceType, resource)
	if r < 0 {
		if unmet >= 0 {
			return denied(p.id, p.rules[unmet].unmet)
		}
		return denied(p.id, ReasonNoMatch)
	}
	cr := &p.rules[r]
	if cr.deny {
		return Decision{PolicyID: p.id, Rule: int(r), Effect: Deny, Reason: cr.reason}
	}
	return Decision{Allowed: true, PolicyID: p.id, Rule: int(r), Effect: Allow, Reason: cr.reason}
}

// decide returns the index of the deciding rule or -1, and, when no rule
// decides, the first ALLOW rule that matched the resource but whose
// condition did not hold (or -1). The tenant has already been checked.
func (p *Policy) decide(t *tenantctx.Tenant, resourceType, resource string) (rule, unmet int32) {
	var idx *typeIndex
	for i := range p.types {
		if p.types[i].name == resourceType {
			idx = &p.types[i]
			break
		}
	}
	if idx == nil {
		return -1, -1
	}
	deny, allow, unmet := noRule, noRule, noRule
	for _, ri := range idx.exact[resource] {
		cr := &p.rules[ri]
		if cr.deny {
			if ri < deny && cr.cond.holds(t) {
				deny = ri
			}
		} else if ri < allow {
			if cr.cond.holds(t) {
				allow = ri
			} else if ri < unmet {
				unmet = ri
			}
		}
	}
	if d, _ := idx.deny.first(p.rules, t, resource, deny); d < deny {
		deny = d
	}
	if deny != noRule {
		return deny, -1
	}
	a, u := idx.allow.first(p.rules, t, resource, allow)
	if a < allow {
		allow = a
	}
	if allow != noRule {
		return allow, -1
	}
	if u < unmet {
		unmet = u
	}
	if unmet != noRule {
		return -1, unmet
	}
	return -1, -1
}

// Allowed reports whether Evaluate would allow the request.
func (p *Policy) Allowed(t *tenantctx.Tenant, resourceType, resource string) bool {
	return p.Evaluate(t, resourceType, resource).Allowed
}

// Filter returns, in their original order, the resources of type
// resourceType in resources that t may use — for example the tools to show
// in an MCP tools/list response. The result is a new slice (nil when nothing
// is allowed); resources is not modified.
func (p *Policy) Filter(t *tenantctx.Tenant, resourceType string, resources []string) []string {
	if p == nil || t == nil || t.ID != p.tenantID {
		return nil
	}
	var out []string
	for _, r := range resources {
		if r == "" {
			continue
		}
		if rule, _ := p.decide(t, resourceType, r); rule >= 0 && !p.rules[rule].deny {
			out = append(out, r)
		}
	}
	return out
}
