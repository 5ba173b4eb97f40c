package memoryns

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stringLike is an independent implementation of IAM's StringLike: '*'
// matches any run of characters (including '/'), '?' exactly one; case
// sensitive.
func stringLike(pattern, s string) bool {
	p, i, star, mark := 0, 0, -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

func anyLike(patterns []string, s string) bool {
	for _, p := range patterns {
		if stringLike(p, s) {
			return true
		}
	}
	return false
}

func TestStringLikeHelper(t *testing.T) {
	t.Parallel()
	assert.True(t, stringLike("/tenant/t1/*", "/tenant/t1/"))
	assert.True(t, stringLike("/tenant/t1/*", "/tenant/t1/user/u/"))
	assert.False(t, stringLike("/tenant/t1/*", "/tenant/t12/"))
	assert.False(t, stringLike("/tenant/t1*", "/tenant/t"))
	assert.True(t, stringLike("/tenant/t1*", "/tenant/t12/"), "a pattern without the separator is the prefix bug")
	assert.True(t, stringLike("a?c", "abc"))
	assert.True(t, stringLike("/s/*/a/t1:*", "/s/x/y/a/t1:u/"))
}

func TestNamespacePatterns(t *testing.T) {
	t.Parallel()
	ss := testSchemes(t)
	p, err := ss["hierarchical/pool"].NamespacePatterns("tenant_1")
	require.NoError(t, err)
	assert.Equal(t, []string{"/tenant/tenant_1/*"}, p)
	p, err = ss["agentcore/pool"].NamespacePatterns("tenant_1")
	require.NoError(t, err)
	assert.Equal(t, []string{"/tenant/tenant_1/*", "/strategies/*/actors/tenant_1:*"}, p)

	p, err = ss["hierarchical/pool"].NamespacePatternsForTag("")
	require.NoError(t, err)
	assert.Equal(t, []string{"/tenant/${aws:PrincipalTag/TenantID}/*"}, p)
	c, err := ss["agentcore/pool"].NamespaceCondition("tenant-id")
	require.NoError(t, err)
	js, err := json.Marshal(c)
	require.NoError(t, err)
	assert.JSONEq(t, `{"StringLike":{"bedrock-agentcore:namespace":["/tenant/${aws:PrincipalTag/tenant-id}/*","/strategies/*/actors/${aws:PrincipalTag/tenant-id}:*"]},`+
		`"StringNotLike":{"bedrock-agentcore:namespace":["/strategies/*/*/actors/${aws:PrincipalTag/tenant-id}:*"]}}`, string(js))
	c, err = ss["hierarchical/pool"].NamespaceCondition("")
	require.NoError(t, err)
	js, err = json.Marshal(c)
	require.NoError(t, err)
	assert.JSONEq(t, `{"StringLike":{"bedrock-agentcore:namespace":["/tenant/${aws:PrincipalTag/TenantID}/*"]}}`, string(js))
	x, err := ss["agentcore/pool"].NamespaceExcludePatterns("tenant_1")
	require.NoError(t, err)
	assert.Equal(t, []string{"/strategies/*/*/actors/tenant_1:*"}, x)
	x, err = ss["hierarchical/pool"].NamespaceExcludePatterns("tenant_1")
	require.NoError(t, err)
	assert.Empty(t, x)
	_, err = ss["agentcore/pool"].NamespaceExcludePatterns("t1/")
	assert.ErrorIs(t, err, ErrInvalidID)

	pre, err := ss["hierarchical/pool"].TenantPrefix("tenant_1")
	require.NoError(t, err)
	assert.Equal(t, "/tenant/tenant_1/", pre)
	assert.True(t, strings.HasSuffix(pre, "/"))

	a, err := ss["agentcore/pool"].ActorIDPattern("tenant_1")
	require.NoError(t, err)
	assert.Equal(t, "tenant_1:*", a)
	assert.True(t, stringLike(a, "tenant_1:user_456"))
	assert.False(t, stringLike(a, "tenant_12:user_456"))

	for _, name := range []string{"hierarchical/silo", "agentcore/silo"} {
		s := ss[name]
		_, err := s.NamespacePatterns("t1")
		assert.ErrorIs(t, err, ErrNoTenantSegment)
		_, err = s.NamespacePatternsForTag("")
		assert.ErrorIs(t, err, ErrNoTenantSegment)
		_, err = s.NamespaceCondition("")
		assert.ErrorIs(t, err, ErrNoTenantSegment)
		_, err = s.NamespaceExcludePatterns("t1")
		assert.ErrorIs(t, err, ErrNoTenantSegment)
		_, err = s.NamespaceExcludePatternsForTag("")
		assert.ErrorIs(t, err, ErrNoTenantSegment)
		_, err = s.TenantPrefix("t1")
		assert.ErrorIs(t, err, ErrNoTenantSegment)
		_, err = s.ActorIDPattern("t1")
		assert.ErrorIs(t, err, ErrNoTenantSegment)
	}
	_, err = ss["agentcore/pool"].TenantPrefix("t1")
	assert.ErrorIs(t, err, ErrNoTenantSegment)

	for _, bad := range []string{"", "t*", "t1/", "t1:", "t?", "${x}", "t 1"} {
		_, err := ss["hierarchical/pool"].NamespacePatterns(bad)
		assert.ErrorIs(t, err, ErrInvalidID, bad)
		_, err = ss["hierarchical/pool"].TenantPrefix(bad)
		assert.ErrorIs(t, err, ErrInvalidID, bad)
		_, err = ss["agentcore/pool"].ActorIDPattern(bad)
		assert.ErrorIs(t, err, ErrInvalidID, bad)
	}
	for _, bad := range []string{"a}b", "a b", "a*", "${x", strings.Repeat("k", 129), "k\n"} {
		_, err := PrincipalTagVariable(bad)
		assert.ErrorIs(t, err, ErrInvalidConfig, bad)
		_, err = ss["hierarchical/pool"].NamespaceCondition(bad)
		assert.ErrorIs(t, err, ErrInvalidConfig, bad)
	}
}

// TestNamespacePatternsMatchExactlyOwnTenant checks, with the independent
// matcher, that a tenant's patterns match its tenant, user and session
// namespaces and none of another tenant's, including prefix look-alikes.
func TestNamespacePatternsMatchExactlyOwnTenant(t *testing.T) {
	t.Parallel()
	ss := testSchemes(t)
	tenants := []string{"t1", "t12", "t", "T1", "t1-", "t1_2", "actors", "tenant", "strategies"}
	for _, name := range []string{"hierarchical/pool", "agentcore/pool"} {
		s := ss[name]
		var all []Namespace
		for _, tn := range tenants {
			for _, u := range []string{"u9", "t1", "actors"} {
				for _, strat := range []string{"semantic-1", "actors", "t1"} {
					if s.Layout() == LayoutHierarchical {
						strat = ""
					}
					for _, r := range []Ref{
						{Level: LevelTenant, TenantID: tn},
						{Level: LevelUser, StrategyID: strat, TenantID: tn, UserID: u},
						{Level: LevelSession, StrategyID: strat, TenantID: tn, UserID: u, SessionID: "actors"},
					} {
						n, err := s.Build(r)
						require.NoError(t, err)
						all = append(all, n)
					}
				}
			}
			for _, strat := range []string{"actors", tn} {
				n, err := s.Strategy(strat)
				require.NoError(t, err)
				all = append(all, n)
			}
		}
		all = append(all, s.Global())
		for _, tn := range tenants {
			pats, err := s.NamespacePatterns(tn)
			require.NoError(t, err)
			excl, err := s.NamespaceExcludePatterns(tn)
			require.NoError(t, err)
			for _, n := range all {
				want := n.TenantID() == tn && n.Level() >= LevelTenant
				assert.Equal(t, want, anyLike(pats, n.String()), "%s: %v vs %s", name, pats, n)
				assert.False(t, anyLike(excl, n.String()), "%s: exclusion %v refuses built namespace %s", name, excl, n)
			}
		}
	}
}
