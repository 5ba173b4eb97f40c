package policy

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/tenantctx"
)

// issueDoc is the document from the issue, verbatim.
const issueDoc = `{"policyId":"POL-TENANT-A","tenantId":"Tenant-A","rules":[{"effect":"ALLOW","resourceType":"TOOL","resources":["agent:tool:order-lookup"]},{"effect":"DENY","resourceType":"TOOL","resources":["agent:tool:admin-refund"],"reason":"Insufficient privileges"}]}`

func mustPolicy(t testing.TB, js string) *Policy {
	t.Helper()
	doc, err := Parse([]byte(js))
	require.NoError(t, err)
	p, err := Compile(doc)
	require.NoError(t, err)
	return p
}

func tenant(id string) *tenantctx.Tenant { return &tenantctx.Tenant{ID: id} }

func TestParseIssueDocument(t *testing.T) {
	t.Parallel()
	doc, err := Parse([]byte(issueDoc))
	require.NoError(t, err)
	assert.Equal(t, &Document{
		PolicyID: "POL-TENANT-A",
		TenantID: "Tenant-A",
		Rules: []Rule{
			{Effect: Allow, ResourceType: ResourceTypeTool, Resources: []string{"agent:tool:order-lookup"}},
			{Effect: Deny, ResourceType: ResourceTypeTool, Resources: []string{"agent:tool:admin-refund"}, Reason: "Insufficient privileges"},
		},
	}, doc)
	assert.Nil(t, Validate([]byte(issueDoc)))
}

func TestEvaluateSemantics(t *testing.T) {
	t.Parallel()
	const doc = `{"policyId":"POL-A","tenantId":"Tenant-A","rules":[
		{"effect":"ALLOW","resourceType":"TOOL","resources":["agent:tool:order-lookup","agent:tool:crm-*"]},
		{"effect":"DENY","resourceType":"TOOL","resources":["agent:tool:admin-refund"],"reason":"Insufficient privileges"},
		{"effect":"DENY","resourceType":"TOOL","resources":["agent:tool:crm-delete*"]},
		{"effect":"ALLOW","resourceType":"TOOL","resources":["agent:tool:admin-refund"],"reason":"later allow never wins"},
		{"effect":"ALLOW","resourceType":"TOOL","resources":["agent:tool:forecast"],"reason":"premium feature","condition":{"tiers":["premium","enterprise"]}},
		{"effect":"ALLOW","resourceType":"TOOL","resources":["agent:tool:beta-*"],"condition":{"entitlements":["beta","tools"]}},
		{"effect":"ALLOW","resourceType":"TOOL","resources":["agent:tool:write"],"condition":{"scopes":["tools:write"],"tiers":["premium"]}},
		{"effect":"DENY","resourceType":"TOOL","resources":["agent:tool:export"],"reason":"free tier cannot export","condition":{"tiers":["free"]}},
		{"effect":"ALLOW","resourceType":"TOOL","resources":["agent:tool:export","*:mid:*:end"]},
		{"effect":"ALLOW","resourceType":"DATASET","resources":["orders"]}
	]}`
	p := mustPolicy(t, doc)
	basic := tenant("Tenant-A")
	premium := &tenantctx.Tenant{ID: "Tenant-A", Tier: "premium", Scopes: []string{"tools:read", "tools:write"}}
	free := &tenantctx.Tenant{ID: "Tenant-A", Tier: "free"}
	beta := &tenantctx.Tenant{ID: "Tenant-A", Entitlements: []string{"tools", "beta"}}
	betaOnly := &tenantctx.Tenant{ID: "Tenant-A", Entitlements: []string{"beta"}}

	tests := []struct {
		name         string
		tenant       *tenantctx.Tenant
		resourceType string
		resource     string
		allowed      bool
		rule         int
		reason       string
	}{
		{"exact allow", basic, "TOOL", "agent:tool:order-lookup", true, 0, "allowed by rule 0"},
		{"deny with reason", basic, "TOOL", "agent:tool:admin-refund", false, 1, "Insufficient privileges"},
		{"default deny", basic, "TOOL", "agent:tool:unknown", false, -1, ReasonNoMatch},
		{"wildcard allow", basic, "TOOL", "agent:tool:crm-read", true, 0, "allowed by rule 0"},
		{"wildcard matches empty run", basic, "TOOL", "agent:tool:crm-", true, 0, "allowed by rule 0"},
		{"wildcard deny overrides earlier wildcard allow", basic, "TOOL", "agent:tool:crm-delete-all", false, 2, "denied by rule 2"},
		{"case-sensitive name", basic, "TOOL", "agent:tool:Order-Lookup", false, -1, ReasonNoMatch},
		{"case-sensitive wildcard prefix", basic, "TOOL", "AGENT:tool:crm-read", false, -1, ReasonNoMatch},
		{"case-sensitive resource type", basic, "tool", "agent:tool:order-lookup", false, -1, ReasonNoMatch},
		{"other resource type", basic, "DATASET", "orders", true, 9, "allowed by rule 9"},
		{"resource of other type not matched", basic, "DATASET", "agent:tool:order-lookup", false, -1, ReasonNoMatch},
		{"unknown resource type", basic, "QUEUE", "orders", false, -1, ReasonNoMatch},
		{"prefix is not a match", basic, "TOOL", "agent:tool:order-lookup-v2", false, -1, ReasonNoMatch},
		{"suffix is not a match", basic, "TOOL", "x-agent:tool:order-lookup", false, -1, ReasonNoMatch},
		{"empty resource", basic, "TOOL", "", false, -1, ReasonEmptyResource},
		{"nil tenant", nil, "TOOL", "agent:tool:order-lookup", false, -1, ReasonNoTenant},
		{"other tenant", tenant("Tenant-B"), "TOOL", "agent:tool:order-lookup", false, -1, ReasonOtherTenant},
		{"tenant id case-sensitive", tenant("tenant-a"), "TOOL", "agent:tool:order-lookup", false, -1, ReasonOtherTenant},
		{"tier condition met", premium, "TOOL", "agent:tool:forecast", true, 4, "premium feature"},
		{"tier condition unmet", basic, "TOOL", "agent:tool:forecast", false, -1, "no matching rule (rule 4 requires tier in [premium, enterprise])"},
		{"tier condition other tier", free, "TOOL", "agent:tool:forecast", false, -1, "no matching rule (rule 4 requires tier in [premium, enterprise])"},
		{"entitlements all present", beta, "TOOL", "agent:tool:beta-search", true, 5, "allowed by rule 5"},
		{"entitlements one missing", betaOnly, "TOOL", "agent:tool:beta-search", false, -1, "no matching rule (rule 5 requires entitlements [beta, tools])"},
		{"scopes and tier met", premium, "TOOL", "agent:tool:write", true, 6, "allowed by rule 6"},
		{"scopes met tier not", &tenantctx.Tenant{ID: "Tenant-A", Scopes: []string{"tools:write"}}, "TOOL", "agent:tool:write", false, -1, "no matching rule (rule 6 requires tier in [premium] and scopes [tools:write])"},
		{"conditional deny applies", free, "TOOL", "agent:tool:export", false, 7, "free tier cannot export"},
		{"conditional deny does not apply", premium, "TOOL", "agent:tool:export", true, 8, "allowed by rule 8"},
		{"multi-star pattern", basic, "TOOL", "a:mid:b:end", true, 8, "allowed by rule 8"},
		{"multi-star pattern needs order", basic, "TOOL", "a:end:b:mid", false, -1, ReasonNoMatch},
		{"multi-star overlapping segments", basic, "TOOL", ":mid::end", true, 8, "allowed by rule 8"},
		{"multi-star too short", basic, "TOOL", ":mid:end", false, -1, ReasonNoMatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := p.Evaluate(tc.tenant, tc.resourceType, tc.resource)
			assert.Equal(t, tc.allowed, d.Allowed, "allowed")
			assert.Equal(t, tc.rule, d.Rule, "rule")
			assert.Equal(t, tc.reason, d.Reason, "reason")
			assert.Equal(t, "POL-A", d.PolicyID)
			if tc.allowed {
				assert.Equal(t, Allow, d.Effect)
			} else {
				assert.Equal(t, Deny, d.Effect)
			}
			assert.Equal(t, tc.allowed, p.Allowed(tc.tenant, tc.resourceType, tc.resource))
		})
	}
}

func TestEvaluateDenyOverridesAllowRegardlessOfOrder(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, allowRes, denyRes string }{
		{"exact/exact", "agent:tool:x", "agent:tool:x"},
		{"wildcard allow/exact deny", "agent:tool:*", "agent:tool:x"},
		{"exact allow/wildcard deny", "agent:tool:x", "agent:*"},
		{"wildcard/wildcard", "*", "*:x"},
	} {
		for _, denyFirst := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/denyFirst=%v", tc.name, denyFirst), func(t *testing.T) {
				t.Parallel()
				allow := fmt.Sprintf(`{"effect":"ALLOW","resourceType":"TOOL","resources":[%q]}`, tc.allowRes)
				deny := fmt.Sprintf(`{"effect":"DENY","resourceType":"TOOL","resources":[%q],"reason":"no"}`, tc.denyRes)
				rules, denyIdx := allow+","+deny, 1
				if denyFirst {
					rules, denyIdx = deny+","+allow, 0
				}
				p := mustPolicy(t, `{"policyId":"P","tenantId":"T","rules":[`+rules+`]}`)
				d := p.Evaluate(tenant("T"), "TOOL", "agent:tool:x")
				assert.False(t, d.Allowed)
				assert.Equal(t, denyIdx, d.Rule)
				assert.Equal(t, "no", d.Reason)
			})
		}
	}
}

func TestEvaluateFirstMatchingRuleDecides(t *testing.T) {
	t.Parallel()
	p := mustPolicy(t, `{"policyId":"P","tenantId":"T","rules":[
		{"effect":"ALLOW","resourceType":"TOOL","resources":["a*"],"reason":"r0"},
		{"effect":"ALLOW","resourceType":"TOOL","resources":["ab"],"reason":"r1"},
		{"effect":"DENY","resourceType":"TOOL","resources":["x*"],"reason":"r2"},
		{"effect":"DENY","resourceType":"TOOL","resources":["xy"],"reason":"r3"},
		{"effect":"ALLOW","resourceType":"TOOL","resources":["c"],"reason":"r4"},
		{"effect":"ALLOW","resourceType":"TOOL","resources":["c*"],"reason":"r5"}]}`)
	for res, want := range map[string]string{"ab": "r0", "xy": "r2", "c": "r4", "cd": "r5"} {
		assert.Equal(t, want, p.Evaluate(tenant("T"), "TOOL", res).Reason, res)
	}
}

func TestEmptyRulesDenyEverything(t *testing.T) {
	t.Parallel()
	p := mustPolicy(t, `{"policyId":"P","tenantId":"T","rules":[]}`)
	d := p.Evaluate(tenant("T"), "TOOL", "anything")
	assert.Equal(t, Decision{PolicyID: "P", Rule: -1, Effect: Deny, Reason: ReasonNoMatch}, d)
	assert.Nil(t, p.Filter(tenant("T"), "TOOL", []string{"a", "b"}))
}

func TestNilPolicy(t *testing.T) {
	t.Parallel()
	var p *Policy
	assert.Equal(t, Decision{Rule: -1, Effect: Deny, Reason: ReasonNoPolicy}, p.Evaluate(tenant("T"), "TOOL", "x"))
	assert.Nil(t, p.Filter(tenant("T"), "TOOL", []string{"x"}))
	assert.Empty(t, p.ID())
	assert.Empty(t, p.TenantID())
	assert.Nil(t, p.Document())
}

func TestFilter(t *testing.T) {
	t.Parallel()
	p := mustPolicy(t, `{"policyId":"P","tenantId":"Tenant-A","rules":[
		{"effect":"ALLOW","resourceType":"TOOL","resources":["agent:tool:*"]},
		{"effect":"DENY","resourceType":"TOOL","resources":["agent:tool:admin-*"]},
		{"effect":"ALLOW","resourceType":"TOOL","resources":["other:premium"],"condition":{"tiers":["premium"]}}]}`)
	tools := []string{"agent:tool:a", "agent:tool:admin-x", "other:premium", "", "agent:tool:b", "x"}
	orig := append([]string(nil), tools...)

	got := p.Filter(tenant("Tenant-A"), "TOOL", tools)
	assert.Equal(t, []string{"agent:tool:a", "agent:tool:b"}, got)
	assert.Equal(t, orig, tools, "input unchanged")

	got = p.Filter(&tenantctx.Tenant{ID: "Tenant-A", Tier: "premium"}, "TOOL", tools)
	assert.Equal(t, []string{"agent:tool:a", "other:premium", "agent:tool:b"}, got)

	assert.Nil(t, p.Filter(tenant("Tenant-B"), "TOOL", tools))
	assert.Nil(t, p.Filter(nil, "TOOL", tools))
	assert.Nil(t, p.Filter(tenant("Tenant-A"), "DATASET", tools))

	// Filter agrees with Evaluate.
	for _, tool := range tools {
		allowed := p.Evaluate(tenant("Tenant-A"), "TOOL", tool).Allowed
		assert.Equal(t, allowed, containsString(p.Filter(tenant("Tenant-A"), "TOOL", []string{tool}), tool), tool)
	}
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestCompileCopiesDocument(t *testing.T) {
	t.Parallel()
	doc, err := Parse([]byte(issueDoc))
	require.NoError(t, err)
	p, err := Compile(doc)
	require.NoError(t, err)
	doc.TenantID = "Tenant-B"
	doc.Rules[0].Resources[0] = "agent:tool:admin-refund"
	doc.Rules[1].Effect = Allow
	assert.True(t, p.Allowed(tenant("Tenant-A"), "TOOL", "agent:tool:order-lookup"))
	assert.False(t, p.Allowed(tenant("Tenant-A"), "TOOL", "agent:tool:admin-refund"))
	got := p.Document()
	got.Rules[0].Resources[0] = "changed"
	assert.Equal(t, "agent:tool:order-lookup", p.Document().Rules[0].Resources[0])
}

func TestCompileValidates(t *testing.T) {
	t.Parallel()
	_, err := Compile(nil)
	require.ErrorIs(t, err, ErrInvalidPolicy)
	_, err = Compile(&Document{PolicyID: "P", TenantID: "bad/tenant", Rules: []Rule{{Effect: "allow", ResourceType: "TOOL"}}})
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	require.ErrorIs(t, err, ErrInvalidPolicy)
	var paths []string
	for _, p := range ve.Problems {
		paths = append(paths, p.Path)
	}
	assert.Equal(t, []string{"$.tenantId", "$.rules[0].effect", "$.rules[0].resources"}, paths)
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	const rule = `{"effect":"ALLOW","resourceType":"TOOL","resources":["a"]}`
	doc := func(rules string) string {
		return `{"policyId":"P","tenantId":"T","rules":[` + rules + `]}`
	}
	tests := []struct {
		name string
		in   string
		// want maps each expected problem path to a substring of its message.
		want [][2]string
	}{
		{"empty input", ``, [][2]string{{"$", "unexpected end of JSON input"}}},
		{"not json", `policy`, [][2]string{{"$", "invalid JSON at byte offset"}}},
		{"truncated", `{"policyId":"P"`, [][2]string{{"$", "invalid JSON"}}},
		{"array root", `[]`, [][2]string{{"$", "must be a JSON object, got array"}}},
		{"null root", `null`, [][2]string{{"$", "must be a JSON object, got null"}}},
		{"trailing data", doc(rule) + `{}`, [][2]string{{"$", "after top-level value"}}},
		{"two documents", doc(rule) + doc(rule), [][2]string{{"$", "after top-level value"}}},
		{"invalid utf8", "{\"policyId\":\"P\xff\",\"tenantId\":\"T\",\"rules\":[]}", [][2]string{{"$", "not valid UTF-8 (byte offset 14)"}}},
		{"byte order mark", "\ufeff" + doc(rule), [][2]string{{"$", "invalid character"}}},
		{"oversized", doc(rule) + strings.Repeat(" ", MaxDocumentSize), [][2]string{{"$", "document larger than"}}},
		{"NaN", `{"policyId":NaN,"tenantId":"T","rules":[]}`, [][2]string{{"$", "invalid JSON"}}},
		{"comment", `{"policyId":"P", /* x */ "tenantId":"T","rules":[]}`, [][2]string{{"$", "invalid JSON"}}},
		{"single quotes", `{'policyId':'P'}`, [][2]string{{"$", "invalid JSON"}}},
		{"escaped duplicate key", `{"policyId":"P","policy\u0049d":"Q","tenantId":"T","rules":[]}`, [][2]string{{"$.policyId", "duplicate field"}}},
		{"null byte key", `{"policyId":"P","tenantId":"T","rules":[],"\u0000":1}`, [][2]string{{`$["\x00"]`, "unknown field"}}},
		{"too deep", `{"policyId":"P","tenantId":"T","rules":[],"x":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`, [][2]string{{"$", "nesting deeper"}}},
		{"missing fields", `{}`, [][2]string{{"$.policyId", "missing required field"}, {"$.tenantId", "missing required field"}, {"$.rules", "missing required field"}}},
		{"unknown top-level field", `{"policyId":"P","tenantId":"T","rules":[],"version":1}`, [][2]string{{"$.version", "unknown field"}}},
		{"wrong case field", `{"policyID":"P","tenantId":"T","rules":[]}`, [][2]string{{"$.policyId", "missing required field"}, {"$.policyID", `did you mean "policyId"`}}},
		{"duplicate field", `{"policyId":"P","policyId":"Q","tenantId":"T","rules":[]}`, [][2]string{{"$.policyId", "duplicate field"}}},
		{"duplicate effect smuggling", doc(`{"effect":"DENY","resourceType":"TOOL","resources":["a"],"effect":"ALLOW"}`), [][2]string{{"$.rules[0].effect", "duplicate field"}}},
		{"weird key", `{"policyId":"P","tenantId":"T","rules":[],"a.b":1}`, [][2]string{{`$["a.b"]`, "unknown field"}}},
		{"policy id type", `{"policyId":1,"tenantId":"T","rules":[]}`, [][2]string{{"$.policyId", "must be a string, got number"}}},
		{"policy id empty", `{"policyId":"","tenantId":"T","rules":[]}`, [][2]string{{"$.policyId", "must not be empty"}}},
		{"policy id charset", `{"policyId":"P/../Q","tenantId":"T","rules":[]}`, [][2]string{{"$.policyId", "only ASCII letters"}}},
		{"policy id too long", `{"policyId":"` + strings.Repeat("p", MaxPolicyIDLen+1) + `","tenantId":"T","rules":[]}`, [][2]string{{"$.policyId", "longer than"}}},
		{"tenant id empty", `{"policyId":"P","tenantId":"","rules":[]}`, [][2]string{{"$.tenantId", "must not be empty"}}},
		{"tenant id separator", `{"policyId":"P","tenantId":"Tenant-A/x","rules":[]}`, [][2]string{{"$.tenantId", "invalid tenant id"}}},
		{"rules null", `{"policyId":"P","tenantId":"T","rules":null}`, [][2]string{{"$.rules", "must be an array of rules, got null"}}},
		{"rules object", `{"policyId":"P","tenantId":"T","rules":{}}`, [][2]string{{"$.rules", "must be an array of rules, got object"}}},
		{"rule not object", doc(rule + `,"x"`), [][2]string{{"$.rules[1]", "must be an object, got string"}}},
		{"lowercase effect", doc(`{"effect":"allow","resourceType":"TOOL","resources":["a"]}`), [][2]string{{"$.rules[0].effect", `must be "ALLOW" or "DENY" (upper case), got "allow"`}}},
		{"bad effect", doc(rule + `,{"effect":"PERMIT","resourceType":"TOOL","resources":["a"]}`), [][2]string{{"$.rules[1].effect", `got "PERMIT"`}}},
		{"effect empty", doc(`{"effect":"","resourceType":"TOOL","resources":["a"]}`), [][2]string{{"$.rules[0].effect", "missing"}}},
		{"effect bool", doc(`{"effect":true,"resourceType":"TOOL","resources":["a"]}`), [][2]string{{"$.rules[0].effect", "must be a string, got boolean"}}},
		{"missing effect", doc(`{"resourceType":"TOOL","resources":["a"]}`), [][2]string{{"$.rules[0].effect", "missing required field"}}},
		{"missing resources", doc(`{"effect":"ALLOW","resourceType":"TOOL"}`), [][2]string{{"$.rules[0].resources", "missing required field"}}},
		{"empty resources", doc(`{"effect":"ALLOW","resourceType":"TOOL","resources":[]}`), [][2]string{{"$.rules[0].resources", "must list at least one resource"}}},
		{"resources string", doc(`{"effect":"ALLOW","resourceType":"TOOL","resources":"a"}`), [][2]string{{"$.rules[0].resources", "must be an array of strings, got string"}}},
		{"resources null", doc(`{"effect":"ALLOW","resourceType":"TOOL","resources":null}`), [][2]string{{"$.rules[0].resources", "must be an array of strings, got null"}}},
		{"resource not string", doc(`{"effect":"ALLOW","resourceType":"TOOL","resources":["a",7,"b"]}`), [][2]string{{"$.rules[0].resources[1]", "must be a string, got number"}}},
		{"empty resource", doc(`{"effect":"ALLOW","resourceType":"TOOL","resources":["a",""]}`), [][2]string{{"$.rules[0].resources[1]", "must not be empty"}}},
		{"double star", doc(`{"effect":"ALLOW","resourceType":"TOOL","resources":["agent:**"]}`), [][2]string{{"$.rules[0].resources[0]", "consecutive '*'"}}},
		{"question mark", doc(`{"effect":"ALLOW","resourceType":"TOOL","resources":["agent:tool:?"]}`), [][2]string{{"$.rules[0].resources[0]", "'?' is reserved"}}},
		{"brackets", doc(`{"effect":"ALLOW","resourceType":"TOOL","resources":["agent:[ab]"]}`), [][2]string{{"$.rules[0].resources[0]", "'[' is reserved"}}},
		{"braces", doc(`{"effect":"ALLOW","resourceType":"TOOL","resources":["agent:{a,b}"]}`), [][2]string{{"$.rules[0].resources[0]", "'{' is reserved"}}},
		{"backslash", doc(`{"effect":"ALLOW","resourceType":"TOOL","resources":["agent:\\*"]}`), [][2]string{{"$.rules[0].resources[0]", `'\\' is reserved`}}},
		{"space in resource", doc(`{"effect":"ALLOW","resourceType":"TOOL","resources":["agent: tool"]}`), [][2]string{{"$.rules[0].resources[0]", "printable ASCII"}}},
		{"control char in resource", doc(`{"effect":"ALLOW","resourceType":"TOOL","resources":["agent:\u0000tool"]}`), [][2]string{{"$.rules[0].resources[0]", "printable ASCII"}}},
		{"unicode in resource", doc(`{"effect":"ALLOW","resourceType":"TOOL","resources":["agent:tööl"]}`), [][2]string{{"$.rules[0].resources[0]", "printable ASCII"}}},
		{"resource too long", doc(`{"effect":"ALLOW","resourceType":"TOOL","resources":["` + strings.Repeat("a", MaxResourceLen+1) + `"]}`), [][2]string{{"$.rules[0].resources[0]", "longer than 512 bytes"}}},
		{"duplicate resource", doc(`{"effect":"ALLOW","resourceType":"TOOL","resources":["a","b","a"]}`), [][2]string{{"$.rules[0].resources[2]", "duplicate resource \"a\" (also at index 0)"}}},
		{"empty resource type", doc(`{"effect":"ALLOW","resourceType":"","resources":["a"]}`), [][2]string{{"$.rules[0].resourceType", "must not be empty"}}},
		{"wildcard resource type", doc(`{"effect":"ALLOW","resourceType":"*","resources":["a"]}`), [][2]string{{"$.rules[0].resourceType", "must not contain '*'"}}},
		{"reason control char", doc(`{"effect":"DENY","resourceType":"TOOL","resources":["a"],"reason":"a\nb"}`), [][2]string{{"$.rules[0].reason", "control character"}}},
		{"reason too long", doc(`{"effect":"DENY","resourceType":"TOOL","resources":["a"],"reason":"` + strings.Repeat("r", MaxReasonLen+1) + `"}`), [][2]string{{"$.rules[0].reason", "longer than"}}},
		{"reason number", doc(`{"effect":"DENY","resourceType":"TOOL","resources":["a"],"reason":5}`), [][2]string{{"$.rules[0].reason", "must be a string"}}},
		{"unknown rule field", doc(`{"effect":"ALLOW","resourceType":"TOOL","resources":["a"],"principal":"*"}`), [][2]string{{"$.rules[0].principal", "unknown field"}}},
		{"condition not object", doc(`{"effect":"ALLOW","resourceType":"TOOL","resources":["a"],"condition":[]}`), [][2]string{{"$.rules[0].condition", "must be an object, got array"}}},
		{"condition empty", doc(`{"effect":"ALLOW","resourceType":"TOOL","resources":["a"],"condition":{}}`), [][2]string{{"$.rules[0].condition", "must set at least one"}}},
		{"condition unknown field", doc(`{"effect":"ALLOW","resourceType":"TOOL","resources":["a"],"condition":{"tier":"premium"}}`), [][2]string{{"$.rules[0].condition", "must set at least one"}, {"$.rules[0].condition.tier", "unknown field"}}},
		{"condition tiers empty", doc(`{"effect":"ALLOW","resourceType":"TOOL","resources":["a"],"condition":{"tiers":[]}}`), [][2]string{{"$.rules[0].condition.tiers", "must not be empty when present"}}},
		{"condition tiers string", doc(`{"effect":"ALLOW","resourceType":"TOOL","resources":["a"],"condition":{"tiers":"premium"}}`), [][2]string{{"$.rules[0].condition.tiers", "must be an array of strings"}}},
		{"condition empty entitlement", doc(`{"effect":"ALLOW","resourceType":"TOOL","resources":["a"],"condition":{"entitlements":["ok",""]}}`), [][2]string{{"$.rules[0].condition.entitlements[1]", "must not be empty"}}},
		{"condition scope with space", doc(`{"effect":"ALLOW","resourceType":"TOOL","resources":["a"],"condition":{"scopes":["a b"]}}`), [][2]string{{"$.rules[0].condition.scopes[0]", "printable ASCII"}}},
		{"all problems at once", `{"policyId":"","tenantId":"a b","rules":[{"effect":"allow","resourceType":"TOOL","resources":[]},{"effect":"DENY","resourceType":"TOOL","resources":["a**"],"x":1}],"y":2}`,
			[][2]string{
				{"$.policyId", "must not be empty"},
				{"$.tenantId", "invalid tenant id"},
				{"$.rules[0].effect", "got \"allow\""},
				{"$.rules[0].resources", "at least one"},
				{"$.rules[1].resources[0]", "consecutive"},
				{"$.rules[1].x", "unknown field"},
				{"$.y", "unknown field"},
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc, err := Parse([]byte(tc.in))
			require.Error(t, err)
			assert.Nil(t, doc)
			require.ErrorIs(t, err, ErrInvalidPolicy)
			var ve *ValidationError
			require.ErrorAs(t, err, &ve)
			require.Len(t, ve.Problems, len(tc.want), "problems: %v", err)
			for i, w := range tc.want {
				assert.Equal(t, w[0], ve.Problems[i].Path, "problem %d: %v", i, ve.Problems[i])
				assert.Contains(t, ve.Problems[i].Msg, w[1], "problem %d", i)
				assert.ErrorIs(t, ve.Problems[i], ErrInvalidPolicy)
			}
			var fe *FieldError
			require.ErrorAs(t, err, &fe)

			errs := Validate([]byte(tc.in))
			require.Len(t, errs, len(tc.want))
			for i, e := range errs {
				assert.Equal(t, ve.Problems[i].Error(), e.Error())
				assert.True(t, strings.HasPrefix(e.Error(), "policy: "+tc.want[i][0]+": "), e.Error())
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		issueDoc,
		" \n\t" + issueDoc + "\n",
		`{"rules":[],"tenantId":"T","policyId":"P"}`,
		`{"policyId":"a.b:c_d-e","tenantId":"T_1","rules":[{"effect":"DENY","resourceType":"TOOL","resources":["*"],"reason":"nope — ünïcode","condition":null}]}`,
		`{"policyId":"P","tenantId":"T","rules":[{"effect":"ALLOW","resourceType":"TOOL","resources":["a"],"reason":null,"condition":{"tiers":["x"],"entitlements":["y"],"scopes":["z:w"]}}]}`,
		`{"policyId":"P","tenantId":"T","rules":[{"effect":"ALLOW","resourceType":"TOOL","resources":["agent:tool:\u0061"]}]}`,
	} {
		doc, err := Parse([]byte(in))
		require.NoError(t, err, in)
		_, err = Compile(doc)
		require.NoError(t, err, in)
	}
}

func TestValidationErrorMessage(t *testing.T) {
	t.Parallel()
	_, err := parseSource("tenants/a.json", []byte(`{"policyId":"P","tenantId":"T","rules":[{"effect":"allow","resourceType":"TOOL","resources":[]}]}`))
	require.Error(t, err)
	assert.Equal(t, `policy: invalid policy document tenants/a.json (2 problems); $.rules[0].effect: must be "ALLOW" or "DENY" (upper case), got "allow"; $.rules[0].resources: must list at least one resource`, err.Error())
	var fe *FieldError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "$.rules[0].effect", fe.Path)
}

func TestErrorMessagesTruncateValues(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 200)
	_, err := Parse([]byte(`{"policyId":"P","tenantId":"T","rules":[{"effect":"` + long + `","resourceType":"TOOL","resources":["a"]}]}`))
	require.Error(t, err)
	assert.Less(t, len(err.Error()), 300)
	assert.Contains(t, err.Error(), "…")
}

func TestValidateSet(t *testing.T) {
	t.Parallel()
	mk := func(id, tenant string) *Document {
		return &Document{PolicyID: id, TenantID: tenant, Rules: []Rule{}}
	}
	require.NoError(t, ValidateSet([]*Document{mk("P1", "A"), mk("P2", "B")}))
	require.NoError(t, ValidateSet(nil))

	err := ValidateSet([]*Document{mk("P1", "A"), mk("P1", "B"), mk("P3", "A"), nil, mk("", "C")})
	require.ErrorIs(t, err, ErrDuplicatePolicy)
	require.ErrorIs(t, err, ErrInvalidPolicy)
	var de *DuplicateError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "$[1].policyId", de.Path)
	assert.Equal(t, "P1", de.Value)
	assert.Equal(t, "$[0]", de.First)
	msg := err.Error()
	assert.Contains(t, msg, `policy: $[1].policyId: duplicate policyId "P1" (first used by $[0])`)
	assert.Contains(t, msg, `policy: $[2].tenantId: duplicate tenantId "A" (first used by $[0])`)
	assert.Contains(t, msg, `policy: $[3]: nil document`)
	assert.Contains(t, msg, `policy: $[4].policyId: policy id must not be empty`)
}

func TestValidatePolicyID(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"P", "POL-TENANT-A", "pol.v2:prod_1", strings.Repeat("x", MaxPolicyIDLen)} {
		assert.NoError(t, ValidatePolicyID(ok), ok)
	}
	for _, bad := range []string{"", "-P", ".P", "P Q", "P/Q", "P#Q", "P\x00", "Pé", strings.Repeat("x", MaxPolicyIDLen+1)} {
		err := ValidatePolicyID(bad)
		assert.ErrorIs(t, err, ErrInvalidPolicy, bad)
	}
}

func TestMatchPattern(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"a", "a", true},
		{"a", "A", false},
		{"a", "", false},
		{"*", "", true},
		{"*", "anything", true},
		{"a*", "a", true},
		{"a*", "abc", true},
		{"a*", "ba", false},
		{"*a", "ba", true},
		{"*a", "ab", false},
		{"a*b", "ab", true},
		{"a*b", "axxb", true},
		{"a*b", "axxbc", false},
		{"a*b*c", "abc", true},
		{"a*b*c", "abbbc", true},
		{"a*b*c", "acb", false},
		{"a*ab", "ab", false},
		{"ab*ba", "aba", false},
		{"ab*ba", "abba", true},
		{"*x*x*", "xx", true},
		{"*x*x*", "x", false},
		{"agent:tool:crm-*", "agent:tool:crm-read", true},
		{"agent:tool:crm-*", "agent:tool:CRM-read", false},
		{"*:tool:*", "agent:tool:x", true},
		{"*-*-*", "a-b", false},
		{"*-*-*", "--", true},
	}
	for _, tc := range tests {
		t.Run(tc.pattern+"~"+tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, MatchPattern(tc.pattern, tc.name))
			assert.Equal(t, tc.want, naiveMatch(tc.pattern, tc.name))
		})
	}
}

// naiveMatch is a backtracking reference implementation of '*' globs.
func naiveMatch(pattern, name string) bool {
	if pattern == "" {
		return name == ""
	}
	if pattern[0] == '*' {
		for i := 0; i <= len(name); i++ {
			if naiveMatch(pattern[1:], name[i:]) {
				return true
			}
		}
		return false
	}
	return name != "" && pattern[0] == name[0] && naiveMatch(pattern[1:], name[1:])
}

func TestEvaluateDoesNotAllocate(t *testing.T) {
	p := mustPolicy(t, `{"policyId":"P","tenantId":"T","rules":[
		{"effect":"ALLOW","resourceType":"TOOL","resources":["a","b*"]},
		{"effect":"DENY","resourceType":"TOOL","resources":["c","d*"]},
		{"effect":"ALLOW","resourceType":"TOOL","resources":["e"],"condition":{"tiers":["x"],"entitlements":["y"],"scopes":["z"]}}]}`)
	tn := &tenantctx.Tenant{ID: "T", Tier: "x", Entitlements: []string{"y"}, Scopes: []string{"z"}}
	var sink Decision
	allocs := testing.AllocsPerRun(100, func() {
		for _, r := range []string{"a", "bb", "c", "dd", "e", "zz", ""} {
			sink = p.Evaluate(tn, "TOOL", r)
		}
		sink = p.Evaluate(tenant("U"), "TOOL", "a")
		sink = p.Evaluate(tenant("T"), "TOOL", "e")
	})
	_ = sink
	assert.Zero(t, allocs)
}

func TestEvaluateConcurrent(t *testing.T) {
	t.Parallel()
	p := mustPolicy(t, issueDoc)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			tn := tenant("Tenant-A")
			for i := 0; i < 1000; i++ {
				if !p.Evaluate(tn, "TOOL", "agent:tool:order-lookup").Allowed || p.Evaluate(tn, "TOOL", "agent:tool:admin-refund").Allowed {
					errs <- errors.New("wrong decision")
					return
				}
				if got := p.Filter(tn, "TOOL", []string{"agent:tool:order-lookup", "agent:tool:admin-refund"}); len(got) != 1 {
					errs <- fmt.Errorf("goroutine %d: filter returned %v", g, got)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestDecisionString(t *testing.T) {
	t.Parallel()
	p := mustPolicy(t, issueDoc)
	assert.Equal(t, `deny (policy "POL-TENANT-A", rule 1): Insufficient privileges`, p.Evaluate(tenant("Tenant-A"), "TOOL", "agent:tool:admin-refund").String())
	assert.Equal(t, `allow (policy "POL-TENANT-A", rule 0): allowed by rule 0`, p.Evaluate(tenant("Tenant-A"), "TOOL", "agent:tool:order-lookup").String())
}

func TestMustCompilePanicsOnBadInput(t *testing.T) {
	t.Parallel()
	assert.Panics(t, func() { MustCompile([]byte(`{}`)) })
	assert.NotPanics(t, func() { MustCompile([]byte(issueDoc)) })
}
