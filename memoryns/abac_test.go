package memoryns

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/policy/iam"
)

const testMemoryARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:memory/pooled-abcdefghij"

// abacPolicy is one identity policy shared by all tenants: memory-record
// actions are allowed only inside the caller's TenantID namespaces, event
// actions only for the caller's composite actor ids.
func abacPolicy(t testing.TB, s *Scheme) *iam.Policy {
	t.Helper()
	cond, err := s.NamespaceCondition("")
	require.NoError(t, err)
	actor, err := s.ActorIDPatternForTag("")
	require.NoError(t, err)
	doc := map[string]any{
		"Version": iam.Version2012,
		"Statement": []any{
			map[string]any{
				"Sid":       "TenantMemoryRecords",
				"Effect":    "Allow",
				"Action":    []string{"bedrock-agentcore:RetrieveMemoryRecords", "bedrock-agentcore:ListMemoryRecords", "bedrock-agentcore:BatchCreateMemoryRecords"},
				"Resource":  testMemoryARN,
				"Condition": cond,
			},
			map[string]any{
				"Sid":       "TenantEvents",
				"Effect":    "Allow",
				"Action":    []string{"bedrock-agentcore:CreateEvent", "bedrock-agentcore:ListEvents"},
				"Resource":  testMemoryARN,
				"Condition": map[string]any{"StringLike": map[string]any{ConditionKeyActorID: actor}},
			},
		},
	}
	js, err := json.Marshal(doc)
	require.NoError(t, err)
	p, err := iam.Parse(js)
	require.NoError(t, err, string(js))
	return p
}

func retrieve(p *iam.Policy, tag map[string]string, namespace string) iam.Decision {
	return iam.Evaluate(&iam.Request{
		Action:        "bedrock-agentcore:RetrieveMemoryRecords",
		Resource:      testMemoryARN,
		PrincipalTags: tag,
		Context:       map[string][]string{ConditionKeyNamespace: {namespace}},
	}, p)
}

// TestABACNamespaceCondition verifies the emitted condition with the
// policy/iam evaluator: a principal tagged TenantID=X may use exactly the
// tenant, user and session namespaces of X.
func TestABACNamespaceCondition(t *testing.T) {
	t.Parallel()
	tenants := []string{"t1", "t12", "t", "T1", "t1-", "tenant_1", "tenant_12", "actors", "tenant", "strategies"}
	for _, name := range []string{"hierarchical/pool", "agentcore/pool"} {
		s := testSchemes(t)[name]
		p := abacPolicy(t, s)
		var all []Namespace
		for _, tn := range tenants {
			for _, u := range []string{"u9", "t1", "actors"} {
				strat := "semantic-1"
				if s.Layout() == LayoutHierarchical {
					strat = ""
				}
				for _, r := range []Ref{
					{Level: LevelTenant, TenantID: tn},
					{Level: LevelUser, StrategyID: strat, TenantID: tn, UserID: u},
					{Level: LevelSession, StrategyID: strat, TenantID: tn, UserID: u, SessionID: "s1"},
				} {
					n, err := s.Build(r)
					require.NoError(t, err)
					all = append(all, n)
				}
			}
			st, err := s.Strategy(tn)
			require.NoError(t, err)
			all = append(all, st)
		}
		all = append(all, s.Global())
		for _, tag := range tenants {
			for _, n := range all {
				want := n.Level() >= LevelTenant && n.TenantID() == tag
				d := retrieve(p, map[string]string{"TenantID": tag}, n.String())
				require.NoError(t, d.Err)
				assert.Equal(t, want, d.Allowed(), "%s: tag %q namespace %s: %v", name, tag, n, d)
			}
		}
		// Without the tag, or with a wildcard or empty tag, nothing is allowed.
		for _, tags := range []map[string]string{nil, {"TenantID": ""}, {"TenantID": "*"}, {"Other": "t1"}} {
			for _, n := range all {
				assert.False(t, retrieve(p, tags, n.String()).Allowed(), "%v %s", tags, n)
			}
		}
	}
}

// TestABACActorID verifies the actorId condition for short-term memory.
func TestABACActorID(t *testing.T) {
	t.Parallel()
	s := testSchemes(t)["agentcore/pool"]
	p := abacPolicy(t, s)
	ev := func(tag, actor string) bool {
		return iam.Evaluate(&iam.Request{
			Action:        "bedrock-agentcore:CreateEvent",
			Resource:      testMemoryARN,
			PrincipalTags: map[string]string{"TenantID": tag},
			Context:       map[string][]string{ConditionKeyActorID: {actor}},
		}, p).Allowed()
	}
	own, err := ActorID("tenant_1", "user_9")
	require.NoError(t, err)
	assert.True(t, ev("tenant_1", own))
	other, err := ActorID("tenant_12", "user_9")
	require.NoError(t, err)
	assert.False(t, ev("tenant_1", other))
	assert.False(t, ev("tenant_12", own))
	assert.False(t, ev("tenant_1", "tenant_1"), "an actor id without the separator is not the tenant's")
}

// TestABACHostileRequests: request namespaces that were not built by this
// package. Where the IAM condition alone would allow one (it cannot know
// that AgentCore rejects '.'), Parse refuses it or it belongs to the tagged
// tenant.
func TestABACHostileRequests(t *testing.T) {
	t.Parallel()
	s := testSchemes(t)["hierarchical/pool"]
	p := abacPolicy(t, s)
	tag := map[string]string{"TenantID": "t1"}
	for _, in := range []string{
		"/tenant/t1", "/tenant/t12/", "/tenant/t1x/shared/", "/tenant/", "/", "",
		"/tenant/T1/shared/", "tenant/t1/shared/", "/tenant/t1*/", "/x/tenant/t1/shared/",
	} {
		assert.False(t, retrieve(p, tag, in).Allowed(), in)
	}
	// The condition is a string pattern: it admits these, so the service's
	// own validation (AgentCore's namespace pattern has no '.') and Parse
	// must reject them.
	for _, in := range []string{"/tenant/t1/../t2/shared/", "/tenant/t1/user/u9/../../../t2/"} {
		assert.True(t, retrieve(p, tag, in).Allowed(), in)
		_, err := s.Parse(in)
		assert.ErrorIs(t, err, ErrInvalidNamespace)
	}
}

// FuzzABACCondition: whenever the evaluator allows a request namespace for
// the principal tag and Parse accepts that namespace, it is a namespace of
// the tagged tenant.
func FuzzABACCondition(f *testing.F) {
	f.Add("t1", "/tenant/t1/user/u9/")
	f.Add("t1", "/tenant/t12/shared/")
	f.Add("t1", "/strategies/s/actors/t1:u9/sessions/s1/")
	f.Add("t1", "/strategies/t1:/actors/t2:u9/")
	f.Add("actors", "/strategies/actors/actors/t2:u/")
	ss := testSchemes(f)
	schemes := []*Scheme{ss["hierarchical/pool"], ss["agentcore/pool"]}
	policies := []*iam.Policy{abacPolicy(f, schemes[0]), abacPolicy(f, schemes[1])}
	f.Fuzz(func(t *testing.T, tag, raw string) {
		if ValidateID(LevelTenant, tag) != nil || strings.ContainsRune(raw, 0) {
			return
		}
		for i, s := range schemes {
			d := retrieve(policies[i], map[string]string{"TenantID": tag}, raw)
			if !d.Allowed() {
				continue
			}
			n, err := s.Parse(raw)
			if err != nil {
				continue
			}
			if n.Level() < LevelTenant || n.TenantID() != tag {
				t.Fatalf("%v: tag %q allowed namespace %q of tenant %q", s.Layout(), tag, raw, n.TenantID())
			}
		}
	})
}

// TestABACWildcardCrossesSegments: IAM's '*' also matches '/', so the
// AgentCore actor pattern "/strategies/*/actors/t1:*" alone admits a
// request namespace that starts inside another tenant's actor prefix and
// mentions "/actors/t1:" further down. A tenant holding its own ABAC
// credentials could then write records under tenant t2's user prefix, which
// t2's own prefix reads (RetrieveMemoryRecords, ListMemoryRecords) return:
// cross-tenant memory poisoning. The emitted condition must refuse every
// such namespace while still allowing every namespace the tenant owns.
func TestABACWildcardCrossesSegments(t *testing.T) {
	t.Parallel()
	s := testSchemes(t)["agentcore/pool"]
	p := abacPolicy(t, s)
	write := func(tag, ns string) iam.Decision {
		return iam.Evaluate(&iam.Request{
			Action:        "bedrock-agentcore:BatchCreateMemoryRecords",
			Resource:      testMemoryARN,
			PrincipalTags: map[string]string{"TenantID": tag},
			Context:       map[string][]string{ConditionKeyNamespace: {ns}},
		}, p)
	}
	victim, err := s.User("t2", "u9")
	require.NoError(t, err)
	for _, in := range []string{
		victim.String() + "actors/t1:x/",
		victim.String() + "sessions/s1/actors/t1:x/",
		"/strategies/semantic-1/actors/t2:u9/sessions/s1/x/actors/t1:",
		"/strategies/a/b/actors/t1:u9/",
		"/strategies/semantic-1/actors/t12:u/actors/t1:u/",
	} {
		t.Run(in, func(t *testing.T) {
			t.Parallel()
			d := write("t1", in)
			require.NoError(t, d.Err)
			assert.False(t, d.Allowed(), "tenant t1 may write %s", in)
			assert.False(t, retrieve(p, map[string]string{"TenantID": "t1"}, in).Allowed())
		})
	}
	// The tenant's own namespaces stay allowed, for strategy ids that equal
	// keywords too.
	for _, strat := range []string{"semantic-1", "actors", "strategies", "sessions", "t1", "shared"} {
		for _, r := range []Ref{
			{Level: LevelUser, StrategyID: strat, TenantID: "t1", UserID: "actors"},
			{Level: LevelSession, StrategyID: strat, TenantID: "t1", UserID: "u9", SessionID: "actors"},
		} {
			n, err := s.Build(r)
			require.NoError(t, err)
			assert.True(t, write("t1", n.String()).Allowed(), n.String())
			assert.False(t, write("t2", n.String()).Allowed(), n.String())
		}
	}
}

// FuzzABACNoForeignPrefix: a request namespace the emitted condition allows
// for tag A never starts with a namespace of another tenant. Stores match
// request namespaces by prefix, so such a string would be written into, or
// read back by, that tenant's prefix reads.
func FuzzABACNoForeignPrefix(f *testing.F) {
	f.Add("t1", "/strategies/semantic-1/actors/t2:u9/actors/t1:x/")
	f.Add("t1", "/strategies/s/actors/t2:u9/sessions/s1/actors/t1:")
	f.Add("t1", "/tenant/t1/user/u9/")
	f.Add("t1", "/strategies/s/actors/t1:u9/sessions/s1/")
	ss := testSchemes(f)
	schemes := []*Scheme{ss["hierarchical/pool"], ss["agentcore/pool"]}
	policies := []*iam.Policy{abacPolicy(f, schemes[0]), abacPolicy(f, schemes[1])}
	f.Fuzz(func(t *testing.T, tag, raw string) {
		if ValidateID(LevelTenant, tag) != nil || strings.ContainsRune(raw, 0) {
			return
		}
		for i, s := range schemes {
			if !retrieve(policies[i], map[string]string{"TenantID": tag}, raw).Allowed() {
				continue
			}
			for j := 1; j <= len(raw); j++ {
				if raw[j-1] != '/' {
					continue
				}
				n, err := s.Parse(raw[:j])
				if err == nil && n.Level() >= LevelTenant && n.TenantID() != tag {
					t.Fatalf("%v: tag %q allowed %q inside %q of tenant %q", s.Layout(), tag, raw, n, n.TenantID())
				}
			}
		}
	})
}
