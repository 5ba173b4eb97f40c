package benchmarks

// Tool-access decisions with tenantkit/policy and three peers — cedar-go,
// OPA (prepared query) and casbin — on the same rules and the same requests.
// TestPolicyPeersAgree checks that all four return the same allow/deny for
// every request, so that BenchmarkPolicyPeers compares equal work.
//
// Each peer gets its idiomatic encoding of the rules:
//   - cedar: one permit/forbid policy per rule; exact resources as
//     resource == Tool::"…", wildcards as context.tool like "…";
//   - OPA: the rules as data (exact resources as object keys, which OPA
//     indexes; patterns as lists matched with glob.match), one Rego module,
//     a prepared query, parsed input, and AST values in the store;
//   - casbin: one policy line per resource with an allow/deny effect, the
//     deny-override effect and globMatch in the matcher.
// Requests are built before the timed loop for every engine.

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/casbin/casbin/v2"
	casbinmodel "github.com/casbin/casbin/v2/model"
	"github.com/cedar-policy/cedar-go"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/policy"
	"github.com/tenantkit/tenantkit/tenantctx"
)

const peerTenant = "Tenant-A"

type peerRule struct {
	deny      bool
	resources []string
}

type peerRequest struct {
	tenant, tool string
	want         bool
}

// peerSuite is the rule set of one size and the requests to decide.
type peerSuite struct {
	rules    []peerRule
	requests []peerRequest
}

// newPeerSuite returns the suite for rules=n: for n == 2 the document from
// the issue; otherwise n exact-resource rules (every third one DENY) plus
// four wildcard rules, the same shape as policy.BenchmarkEvaluate.
func newPeerSuite(n int) peerSuite {
	if n <= 2 {
		return peerSuite{
			rules: []peerRule{
				{resources: []string{"agent:tool:order-lookup"}},
				{deny: true, resources: []string{"agent:tool:admin-refund"}},
			},
			requests: []peerRequest{
				{peerTenant, "agent:tool:order-lookup", true},
				{peerTenant, "agent:tool:admin-refund", false},
				{peerTenant, "agent:tool:unknown", false},
				{"Tenant-B", "agent:tool:order-lookup", false},
			},
		}
	}
	var s peerSuite
	for i := 0; i < n; i++ {
		s.rules = append(s.rules, peerRule{deny: i%3 == 2, resources: []string{fmt.Sprintf("agent:tool:t%04d", i)}})
	}
	s.rules = append(s.rules,
		peerRule{resources: []string{"agent:tool:crm-*"}},
		peerRule{deny: true, resources: []string{"agent:tool:crm-admin-*"}},
		peerRule{resources: []string{"agent:search:*"}},
		peerRule{deny: true, resources: []string{"*:internal"}},
	)
	s.requests = []peerRequest{
		{peerTenant, "agent:tool:t0000", true},
		{peerTenant, "agent:tool:t0500", false},
		{peerTenant, "agent:tool:t0999", true},
		{peerTenant, "agent:tool:crm-lookup", true},
		{peerTenant, "agent:tool:crm-admin-wipe", false},
		{peerTenant, "agent:search:t0001:internal", false},
		{peerTenant, "agent:tool:unknown", false},
		{"Tenant-B", "agent:tool:t0000", false},
	}
	return s
}

// agreementRequests adds edge cases that are checked for agreement but not
// benchmarked.
func (s peerSuite) agreementRequests() []peerRequest {
	extra := []peerRequest{
		{peerTenant, "Agent:tool:order-lookup", false},
		{peerTenant, "agent:tool:order-lookup-v2", false},
		{peerTenant, "agent:tool:crm-", len(s.rules) > 2},
		{peerTenant, "xagent:tool:crm-a", false},
		{peerTenant, "agent:search:q", len(s.rules) > 2},
		{peerTenant, "agent:search:q:internal", false},
		{peerTenant, "agent:tool:t0001", len(s.rules) > 2},
		{peerTenant, "agent:tool:t0002", false},
		{"tenant-a", "agent:tool:order-lookup", false},
		{"Tenant-B", "agent:tool:crm-lookup", false},
	}
	return append(append([]peerRequest(nil), s.requests...), extra...)
}

// engine decides request i of the slice it was built for.
type engine func(i int) bool

type engineBuilder struct {
	name  string
	build func(tb testing.TB, s peerSuite, reqs []peerRequest) engine
}

var engines = []engineBuilder{
	{"tenantkit", buildTenantkit},
	{"cedar", buildCedar},
	{"opa", buildOPA},
	{"casbin", buildCasbin},
}

// opaCache keeps prepared OPA queries: compiling them is slow on small
// machines, so each rule set is compiled once per process.
var opaCache sync.Map // int (rules) → rego.PreparedEvalQuery

func buildTenantkit(tb testing.TB, s peerSuite, reqs []peerRequest) engine {
	doc := &policy.Document{PolicyID: "POL-BENCH", TenantID: peerTenant}
	for _, r := range s.rules {
		eff := policy.Allow
		if r.deny {
			eff = policy.Deny
		}
		doc.Rules = append(doc.Rules, policy.Rule{Effect: eff, ResourceType: policy.ResourceTypeTool, Resources: r.resources})
	}
	p, err := policy.Compile(doc)
	require.NoError(tb, err)
	tenants := make([]*tenantctx.Tenant, len(reqs))
	for i, r := range reqs {
		tenants[i] = &tenantctx.Tenant{ID: r.tenant}
	}
	return func(i int) bool {
		return p.Evaluate(tenants[i], policy.ResourceTypeTool, reqs[i].tool).Allowed
	}
}

func buildCedar(tb testing.TB, s peerSuite, reqs []peerRequest) engine {
	var src strings.Builder
	for _, r := range s.rules {
		eff := "permit"
		if r.deny {
			eff = "forbid"
		}
		for _, res := range r.resources {
			if strings.Contains(res, "*") {
				fmt.Fprintf(&src, "%s (principal == Tenant::%q, action == Action::\"use\", resource) when { context.tool like %q };\n", eff, peerTenant, res)
			} else {
				fmt.Fprintf(&src, "%s (principal == Tenant::%q, action == Action::\"use\", resource == Tool::%q);\n", eff, peerTenant, res)
			}
		}
	}
	ps, err := cedar.NewPolicySetFromBytes("tools.cedar", []byte(src.String()))
	require.NoError(tb, err)
	creqs := make([]cedar.Request, len(reqs))
	for i, r := range reqs {
		creqs[i] = cedar.Request{
			Principal: cedar.NewEntityUID("Tenant", cedar.String(r.tenant)),
			Action:    cedar.NewEntityUID("Action", "use"),
			Resource:  cedar.NewEntityUID("Tool", cedar.String(r.tool)),
			Context:   cedar.NewRecord(cedar.RecordMap{"tool": cedar.String(r.tool)}),
		}
	}
	var entities cedar.EntityMap
	return func(i int) bool {
		d, _ := cedar.Authorize(ps, entities, creqs[i])
		return d == cedar.Allow
	}
}

const opaModule = `package tools

default allow := false

allow if {
	input.tenant == data.policy.tenant
	input.type == "TOOL"
	allowed
	not denied
}

allowed if data.policy.allow_exact[input.tool]

allowed if {
	some p in data.policy.allow_patterns
	glob.match(p, [], input.tool)
}

denied if data.policy.deny_exact[input.tool]

denied if {
	some p in data.policy.deny_patterns
	glob.match(p, [], input.tool)
}
`

func buildOPA(tb testing.TB, s peerSuite, reqs []peerRequest) engine {
	ctx := context.Background()
	var pq rego.PreparedEvalQuery
	if v, ok := opaCache.Load(len(s.rules)); ok {
		pq = v.(rego.PreparedEvalQuery)
	} else {
		allowExact, denyExact := map[string]any{}, map[string]any{}
		allowPats, denyPats := []any{}, []any{}
		for _, r := range s.rules {
			for _, res := range r.resources {
				switch {
				case strings.Contains(res, "*") && r.deny:
					denyPats = append(denyPats, res)
				case strings.Contains(res, "*"):
					allowPats = append(allowPats, res)
				case r.deny:
					denyExact[res] = true
				default:
					allowExact[res] = true
				}
			}
		}
		store := inmem.NewFromObjectWithOpts(map[string]any{"policy": map[string]any{
			"tenant":         peerTenant,
			"allow_exact":    allowExact,
			"deny_exact":     denyExact,
			"allow_patterns": allowPats,
			"deny_patterns":  denyPats,
		}}, inmem.OptReturnASTValuesOnRead(true))
		var err error
		pq, err = rego.New(
			rego.Query("data.tools.allow"),
			rego.Module("tools.rego", opaModule),
			rego.Store(store),
			rego.StoreReadAST(true),
		).PrepareForEval(ctx)
		require.NoError(tb, err)
		opaCache.Store(len(s.rules), pq)
	}
	inputs := make([]ast.Value, len(reqs))
	for i, r := range reqs {
		v, err := ast.InterfaceToValue(map[string]any{"tenant": r.tenant, "type": "TOOL", "tool": r.tool})
		require.NoError(tb, err)
		inputs[i] = v
	}
	return func(i int) bool {
		rs, err := pq.Eval(ctx, rego.EvalParsedInput(inputs[i]))
		if err != nil || len(rs) != 1 || len(rs[0].Expressions) != 1 {
			return false
		}
		allowed, _ := rs[0].Expressions[0].Value.(bool)
		return allowed
	}
}

const casbinModel = `
[request_definition]
r = sub, obj, act

[policy_definition]
p = sub, obj, act, eft

[policy_effect]
e = some(where (p.eft == allow)) && !some(where (p.eft == deny))

[matchers]
m = r.sub == p.sub && r.act == p.act && globMatch(r.obj, p.obj)
`

func buildCasbin(tb testing.TB, s peerSuite, reqs []peerRequest) engine {
	m, err := casbinmodel.NewModelFromString(casbinModel)
	require.NoError(tb, err)
	e, err := casbin.NewEnforcer(m)
	require.NoError(tb, err)
	var lines [][]string
	for _, r := range s.rules {
		eft := "allow"
		if r.deny {
			eft = "deny"
		}
		for _, res := range r.resources {
			lines = append(lines, []string{peerTenant, res, "TOOL", eft})
		}
	}
	ok, err := e.AddPolicies(lines)
	require.NoError(tb, err)
	require.True(tb, ok)
	return func(i int) bool {
		allowed, err := e.Enforce(reqs[i].tenant, reqs[i].tool, "TOOL")
		return err == nil && allowed
	}
}

func TestPolicyPeersAgree(t *testing.T) {
	for _, n := range []int{2, 1000} {
		s := newPeerSuite(n)
		reqs := s.agreementRequests()
		for _, eb := range engines {
			t.Run(fmt.Sprintf("rules=%d/%s", n, eb.name), func(t *testing.T) {
				decide := eb.build(t, s, reqs)
				for i, r := range reqs {
					if got := decide(i); got != r.want {
						t.Errorf("%s: tenant %s tool %s: allowed=%v, want %v", eb.name, r.tenant, r.tool, got, r.want)
					}
				}
			})
		}
	}
}

func BenchmarkPolicyPeers(b *testing.B) {
	for _, n := range []int{2, 1000} {
		s := newPeerSuite(n)
		for _, eb := range engines {
			b.Run(fmt.Sprintf("rules=%d/%s", n, eb.name), func(b *testing.B) {
				decide := eb.build(b, s, s.requests)
				// Check the answers once more outside the timed loop.
				for i, r := range s.requests {
					if decide(i) != r.want {
						b.Fatalf("%s decides %s wrongly", eb.name, r.tool)
					}
				}
				nreq := len(s.requests)
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					decide(i % nreq)
				}
			})
		}
	}
}
