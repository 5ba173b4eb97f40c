package memoryns

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/tenantctx"
)

// testSchemes returns one scheme per layout and mode; silo stores belong to
// tenant "t1".
func testSchemes(t testing.TB) map[string]*Scheme {
	t.Helper()
	mk := func(c Config) *Scheme {
		s, err := New(c)
		require.NoError(t, err)
		return s
	}
	return map[string]*Scheme{
		"hierarchical/pool": mk(Config{ReadStrategies: []string{"support"}}),
		"hierarchical/silo": mk(Config{Mode: ModeSilo, SiloTenantID: "t1", ReadStrategies: []string{"support"}}),
		"agentcore/pool":    mk(Config{Template: AgentCoreTemplate(), MemoryStrategyID: "semantic-1", ReadStrategies: []string{"support"}}),
		"agentcore/silo":    mk(Config{Template: Template{Layout: LayoutAgentCore}, Mode: ModeSilo, SiloTenantID: "t1", MemoryStrategyID: "semantic-1", ReadStrategies: []string{"support"}}),
	}
}

func TestBuildForms(t *testing.T) {
	t.Parallel()
	want := map[string][5]string{
		"hierarchical/pool": {"/global/", "/strategy/support/", "/tenant/t1/shared/", "/tenant/t1/user/u9/", "/tenant/t1/user/u9/session/s1/"},
		"hierarchical/silo": {"/global/", "/strategy/support/", "/shared/", "/user/u9/", "/user/u9/session/s1/"},
		"agentcore/pool": {"/global/", "/strategies/support/shared/", "/tenant/t1/shared/",
			"/strategies/semantic-1/actors/t1:u9/", "/strategies/semantic-1/actors/t1:u9/sessions/s1/"},
		"agentcore/silo": {"/global/", "/strategies/support/shared/", "/shared/",
			"/strategies/semantic-1/actors/u9/", "/strategies/semantic-1/actors/u9/sessions/s1/"},
	}
	for name, s := range testSchemes(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := want[name]
			g := s.Global()
			st, err := s.Strategy("support")
			require.NoError(t, err)
			tn, err := s.Tenant("t1")
			require.NoError(t, err)
			u, err := s.User("t1", "u9")
			require.NoError(t, err)
			x, err := s.Session("t1", "u9", "s1")
			require.NoError(t, err)
			got := [5]Namespace{g, st, tn, u, x}
			for i, n := range got {
				assert.Equal(t, w[i], n.String())
				assert.Equal(t, Level(i+1), n.Level())
				p, err := s.Parse(n.String())
				require.NoError(t, err, n.String())
				assert.Equal(t, n, p)
			}
			assert.Equal(t, "u9", x.UserID())
			assert.Equal(t, "s1", x.SessionID())
			assert.Equal(t, "t1", x.TenantID())
			if s.Mode() == ModePool {
				assert.Equal(t, "t1:u9", x.ActorID())
				assert.Equal(t, "", g.TenantID())
			} else {
				assert.Equal(t, "u9", x.ActorID())
				assert.Equal(t, "t1", g.TenantID(), "silo: the store's tenant owns every namespace")
			}
			assert.Equal(t, "", tn.ActorID())
		})
	}
}

func TestBuildRefErrors(t *testing.T) {
	t.Parallel()
	ss := testSchemes(t)
	hp, ap, hs := ss["hierarchical/pool"], ss["agentcore/pool"], ss["hierarchical/silo"]
	cases := []struct {
		name string
		s    *Scheme
		ref  Ref
		is   error
	}{
		{"no level", hp, Ref{}, ErrInvalidNamespace},
		{"bad level", hp, Ref{Level: 9}, ErrInvalidNamespace},
		{"global with tenant", hp, Ref{Level: LevelGlobal, TenantID: "t1"}, ErrInvalidNamespace},
		{"strategy with tenant", hp, Ref{Level: LevelStrategy, StrategyID: "s", TenantID: "t1"}, ErrInvalidNamespace},
		{"tenant with user", hp, Ref{Level: LevelTenant, TenantID: "t1", UserID: "u"}, ErrInvalidNamespace},
		{"user with session", hp, Ref{Level: LevelUser, TenantID: "t1", UserID: "u", SessionID: "s"}, ErrInvalidNamespace},
		{"hierarchical user with strategy", hp, Ref{Level: LevelUser, StrategyID: "s", TenantID: "t1", UserID: "u"}, ErrInvalidNamespace},
		{"missing tenant", hp, Ref{Level: LevelUser, UserID: "u"}, ErrInvalidID},
		{"missing user", hp, Ref{Level: LevelSession, TenantID: "t1", SessionID: "s"}, ErrInvalidID},
		{"missing session", hp, Ref{Level: LevelSession, TenantID: "t1", UserID: "u"}, ErrInvalidID},
		{"agentcore user without strategy", ap, Ref{Level: LevelUser, TenantID: "t1", UserID: "u"}, ErrInvalidID},
		{"traversal user", hp, Ref{Level: LevelUser, TenantID: "t1", UserID: "../t2"}, ErrInvalidID},
		{"colon user pool actor", ap, Ref{Level: LevelUser, StrategyID: "s", TenantID: "t1", UserID: "x:u"}, ErrInvalidID},
		{"colon tenant pool actor", ap, Ref{Level: LevelUser, StrategyID: "s", TenantID: "t2:x", UserID: "u"}, ErrInvalidID},
		{"silo foreign tenant", hs, Ref{Level: LevelUser, TenantID: "t2", UserID: "u"}, ErrTenantMismatch},
		{"silo invalid tenant", hs, Ref{Level: LevelUser, TenantID: "t/1", UserID: "u"}, ErrInvalidID},
		{"silo global with tenant", hs, Ref{Level: LevelGlobal, TenantID: "t1"}, ErrInvalidNamespace},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			n, err := tc.s.Build(tc.ref)
			assert.ErrorIs(t, err, tc.is)
			assert.True(t, n.IsZero())
		})
	}
	// The silo tenant may be given explicitly or omitted.
	a, err := hs.Build(Ref{Level: LevelUser, TenantID: "t1", UserID: "u"})
	require.NoError(t, err)
	b, err := hs.Build(Ref{Level: LevelUser, UserID: "u"})
	require.NoError(t, err)
	assert.Equal(t, a, b)

	noStrategy, err := New(Config{Template: AgentCoreTemplate()})
	require.NoError(t, err)
	_, err = noStrategy.User("t1", "u9")
	assert.ErrorIs(t, err, ErrInvalidNamespace)
	_, err = noStrategy.Session("t1", "u9", "s")
	assert.ErrorIs(t, err, ErrInvalidNamespace)
	n, err := noStrategy.Build(Ref{Level: LevelUser, StrategyID: "episodic", TenantID: "t1", UserID: "u9"})
	require.NoError(t, err)
	assert.Equal(t, "/strategies/episodic/actors/t1:u9/", n.String())
}

func TestParseHostile(t *testing.T) {
	t.Parallel()
	ss := testSchemes(t)
	cases := map[string][]string{
		"hierarchical/pool": {
			"", "/", "//", "global", "global/", "/global", "/global//", "//global/", "/GLOBAL/",
			"/tenant/t1/user/u9/session/s1", // no trailing slash
			"/tenant/t1/user/u9", "/tenant/t1", "/tenant/t1/", "/tenant/", "/tenant/t1/shared",
			"/tenant/t1//user/u9/", "/tenant//t1/user/u9/",
			"/tenant/../user/u9/", "/tenant/./user/u9/", "/tenant/t1/user/../",
			"/tenant/t1/user/u9/../../t2/", "/tenant/t1/user/u9/session/s1/extra/",
			"/tenant/t1/user/u9/session/s1/x/y/", "/tenant/t1/user/u9/session/",
			"/tenant/t1/users/u9/", "/tenant/t1/user/u9/sessions/s1/", "/tenant/t1/share/",
			"/tenant/t1:u9/user/u9/", "/tenant/t1/user/u9:x/", "/tenant/t 1/user/u9/",
			"/tenant/t1/user/u9\x00/", "/tenant/t1/user/u\u00e9/", "/tenant/t1/user/u9\n/",
			"/tenant/t*/user/u9/", "/tenant/${aws:PrincipalTag/TenantID}/shared/",
			"\\tenant\\t1\\shared\\", "/tenant/t1\\..\\t2/shared/", "/tenant/%2e%2e/shared/",
			"/strategy/", "/strategy/s/x/", "/strategies/s/shared/", "/user/u9/", "/shared/",
			" /global/", "/global/ ", "/global/\n",
			"/" + strings.Repeat("a/", 600),
			"/tenant/" + strings.Repeat("t", MaxTenantIDLen+1) + "/shared/",
		},
		"agentcore/pool": {
			"/strategies/s/actors/t1/", "/strategies/s/actors/t1:/", "/strategies/s/actors/:u9/",
			"/strategies/s/actors/t1:u9:x/", "/strategies/s/actors/t1::u9/", "/strategies/s/actors/t1:u9",
			"/strategies/s/", "/strategies/s/actors/", "/strategies/s/actors/t1:u9/sessions/",
			"/strategies/s/actors/t1:u9/session/s1/", "/strategy/s/", "/strategies/*/actors/t1:u9/",
			"/", "/tenant/t1/user/u9/", "/strategies/s/actors/t1:u9/sessions/s1/extra/",
		},
		"hierarchical/silo": {
			"/tenant/t1/shared/", "/tenant/t1/user/u9/", "/user/", "/user/u9/session/", "/shared/x/",
			"/user/u9:x/", "/user/../",
		},
		"agentcore/silo": {
			"/strategies/s/actors/t1:u9/", "/tenant/t1/shared/", "/strategies/s/actors/u9/sessions/",
		},
	}
	for name, ins := range cases {
		s := ss[name]
		for _, in := range ins {
			t.Run(name+"/"+in, func(t *testing.T) {
				t.Parallel()
				n, err := s.Parse(in)
				require.Error(t, err)
				assert.ErrorIs(t, err, ErrInvalidNamespace)
				assert.True(t, n.IsZero())
				assert.True(t, strings.HasPrefix(err.Error(), "memoryns: invalid namespace"))
				if len(in) > 12 {
					assert.NotContains(t, err.Error(), in)
				}
			})
		}
	}
}

func TestParseReportsIDError(t *testing.T) {
	t.Parallel()
	s := testSchemes(t)["hierarchical/pool"]
	_, err := s.Parse("/tenant/t1/user/u.9/")
	var ie *IDError
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, LevelUser, ie.Level)
	assert.Equal(t, ReasonDot, ie.Reason)
	assert.ErrorIs(t, err, ErrInvalidNamespace)
	assert.ErrorIs(t, err, ErrInvalidID)
}

func TestParsePrefixConfusion(t *testing.T) {
	t.Parallel()
	s := testSchemes(t)["hierarchical/pool"]
	a, err := s.Parse("/tenant/tenant_1/shared/")
	require.NoError(t, err)
	b, err := s.Parse("/tenant/tenant_12/shared/")
	require.NoError(t, err)
	assert.NotEqual(t, a.TenantID(), b.TenantID())
	assert.False(t, strings.HasPrefix(b.String(), a.String()))
}

func TestNewConfigErrors(t *testing.T) {
	t.Parallel()
	cases := map[string]Config{
		"unknown layout":             {Template: Template{Layout: 7}},
		"unknown mode":               {Mode: 7},
		"duplicate keyword":          {Template: Template{User: "tenant"}},
		"duplicate default keyword":  {Template: Template{Session: "user"}},
		"keyword with slash":         {Template: Template{Tenant: "ten/ant"}},
		"keyword with dot":           {Template: Template{Global: ".."}},
		"keyword too long":           {Template: Template{Global: strings.Repeat("g", MaxKeywordLen+1)}},
		"silo without tenant":        {Mode: ModeSilo},
		"silo with bad tenant":       {Mode: ModeSilo, SiloTenantID: "t:1"},
		"pool with silo tenant":      {SiloTenantID: "t1"},
		"strategy in hierarchical":   {MemoryStrategyID: "s"},
		"bad memory strategy":        {Template: AgentCoreTemplate(), MemoryStrategyID: "s/1"},
		"bad read strategy":          {ReadStrategies: []string{"ok", "x*"}},
		"empty read strategy":        {ReadStrategies: []string{""}},
		"agentcore duplicate kw":     {Template: Template{Layout: LayoutAgentCore, Shared: "actors"}},
		"agentcore keyword nonascii": {Template: Template{Layout: LayoutAgentCore, User: "act\u00f6rs"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s, err := New(c)
			assert.ErrorIs(t, err, ErrInvalidConfig)
			assert.Nil(t, s)
		})
	}
}

func TestCustomKeywords(t *testing.T) {
	t.Parallel()
	s, err := New(Config{Template: Template{Layout: LayoutAgentCore, Strategy: "strategy", User: "actor", Session: "session"}, MemoryStrategyID: "summary-1"})
	require.NoError(t, err)
	n, err := s.Session("t1", "u9", "s1")
	require.NoError(t, err)
	assert.Equal(t, "/strategy/summary-1/actor/t1:u9/session/s1/", n.String())
	p, err := s.Parse(n.String())
	require.NoError(t, err)
	assert.Equal(t, n, p)
	// Ids equal to keywords stay unambiguous: parsing is positional.
	h := testSchemes(t)["hierarchical/pool"]
	n, err = h.Session("tenant", "user", "session")
	require.NoError(t, err)
	assert.Equal(t, "/tenant/tenant/user/user/session/session/", n.String())
	p, err = h.Parse(n.String())
	require.NoError(t, err)
	assert.Equal(t, n, p)
}

func TestBuildersFromContext(t *testing.T) {
	t.Parallel()
	s := testSchemes(t)["hierarchical/pool"]
	ctx := tenantctx.NewContext(context.Background(), &tenantctx.Tenant{ID: "t1", Subject: "u9"})

	n, err := s.ForTenant(ctx)
	require.NoError(t, err)
	assert.Equal(t, "/tenant/t1/shared/", n.String())
	n, err = s.ForUser(ctx)
	require.NoError(t, err)
	assert.Equal(t, "/tenant/t1/user/u9/", n.String())
	n, err = s.ForSession(ctx, "s1")
	require.NoError(t, err)
	assert.Equal(t, "/tenant/t1/user/u9/session/s1/", n.String())

	_, err = s.ForSession(ctx, "../../t2")
	assert.ErrorIs(t, err, ErrInvalidID)

	for _, c := range []context.Context{context.Background(), tenantctx.NewContext(context.Background(), nil)} {
		_, err = s.ForTenant(c)
		assert.ErrorIs(t, err, tenantctx.ErrNoTenant)
		_, err = s.ForUser(c)
		assert.ErrorIs(t, err, tenantctx.ErrNoTenant)
		_, err = s.ForSession(c, "s1")
		assert.ErrorIs(t, err, tenantctx.ErrNoTenant)
	}

	// A subject that is not a safe id fails closed unless mapped.
	bad := tenantctx.NewContext(context.Background(), &tenantctx.Tenant{ID: "t1", Subject: "auth0|abc/../x"})
	_, err = s.ForUser(bad)
	assert.ErrorIs(t, err, ErrInvalidID)

	mapped, err := New(Config{UserID: func(t *tenantctx.Tenant) (string, error) {
		if t.Subject == "" {
			return "", errors.New("no subject")
		}
		return "u" + string(rune('0'+len(t.Subject)%10)), nil
	}})
	require.NoError(t, err)
	n, err = mapped.ForUser(bad)
	require.NoError(t, err)
	assert.Equal(t, "/tenant/t1/user/u4/", n.String())
	_, err = mapped.ForUser(tenantctx.NewContext(context.Background(), &tenantctx.Tenant{ID: "t1"}))
	assert.ErrorContains(t, err, "no subject")

	// A directly built Tenant with a hostile id cannot produce a namespace.
	_, err = s.ForTenant(tenantctx.NewContext(context.Background(), &tenantctx.Tenant{ID: "t1/../t2", Subject: "u9"}))
	assert.ErrorIs(t, err, ErrInvalidID)
}

func TestLayoutModeStrings(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "hierarchical", LayoutHierarchical.String())
	assert.Equal(t, "agentcore", LayoutAgentCore.String())
	assert.Equal(t, "layout(9)", Layout(9).String())
	assert.Equal(t, "pool", ModePool.String())
	assert.Equal(t, "silo", ModeSilo.String())
	assert.Equal(t, "mode(9)", Mode(9).String())
	s := testSchemes(t)["agentcore/silo"]
	assert.Equal(t, LayoutAgentCore, s.Layout())
	assert.Equal(t, ModeSilo, s.Mode())
}
