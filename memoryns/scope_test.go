package memoryns

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/tenantctx"
)

func mustScope(t testing.TB, s *Scheme, tn *tenantctx.Tenant) Scope {
	t.Helper()
	sc, err := s.ScopeFor(tn)
	require.NoError(t, err)
	return sc
}

func TestScopePool(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"hierarchical/pool", "agentcore/pool"} {
		s := testSchemes(t)[name]
		user := mustScope(t, s, &tenantctx.Tenant{ID: "tenant_1", Subject: "u9"})
		admin, err := New(Config{Template: Template{Layout: s.Layout()}, MemoryStrategyID: s.memoryStrategy,
			ReadStrategies: []string{"support"}, TenantWriteScope: "memory:tenant:write"})
		require.NoError(t, err)
		adm := mustScope(t, admin, &tenantctx.Tenant{ID: "tenant_1", Subject: "boss", Scopes: []string{"memory:tenant:write"}})
		assert.True(t, adm.CanWriteTenant())
		assert.False(t, user.CanWriteTenant())

		b := func(r Ref) Namespace {
			if r.Level >= LevelUser {
				switch {
				case s.Layout() == LayoutHierarchical:
					r.StrategyID = "" // the hierarchical layout has no strategy below the tenant
				case r.StrategyID == "":
					r.StrategyID = "semantic-1"
				}
			}
			n, err := s.Build(r)
			require.NoError(t, err, r)
			return n
		}
		cases := []struct {
			name        string
			ns          Namespace
			read, write bool
			admWrite    bool
		}{
			{"global", s.Global(), true, false, false},
			{"allowed strategy", b(Ref{Level: LevelStrategy, StrategyID: "support"}), true, false, false},
			{"other strategy", b(Ref{Level: LevelStrategy, StrategyID: "billing"}), false, false, false},
			{"own tenant", b(Ref{Level: LevelTenant, TenantID: "tenant_1"}), true, false, true},
			{"tenant prefix t12", b(Ref{Level: LevelTenant, TenantID: "tenant_12"}), false, false, false},
			{"tenant prefix t1 vs t", b(Ref{Level: LevelTenant, TenantID: "tenant_"}), false, false, false},
			{"tenant case", b(Ref{Level: LevelTenant, TenantID: "Tenant_1"}), false, false, false},
			{"own user", b(Ref{Level: LevelUser, TenantID: "tenant_1", UserID: "u9"}), true, true, false},
			{"own user other strategy", b(Ref{Level: LevelUser, StrategyID: "summary", TenantID: "tenant_1", UserID: "u9"}), true, true, false},
			{"own session", b(Ref{Level: LevelSession, TenantID: "tenant_1", UserID: "u9", SessionID: "s1"}), true, true, false},
			{"other user same tenant", b(Ref{Level: LevelUser, TenantID: "tenant_1", UserID: "u8"}), false, false, false},
			{"user prefix u99", b(Ref{Level: LevelUser, TenantID: "tenant_1", UserID: "u99"}), false, false, false},
			{"other user session", b(Ref{Level: LevelSession, TenantID: "tenant_1", UserID: "u8", SessionID: "s1"}), false, false, false},
			{"same user other tenant", b(Ref{Level: LevelUser, TenantID: "tenant_2", UserID: "u9"}), false, false, false},
			{"same user tenant prefix", b(Ref{Level: LevelSession, TenantID: "tenant_12", UserID: "u9", SessionID: "s1"}), false, false, false},
			{"zero namespace", Namespace{}, false, false, false},
		}
		for _, tc := range cases {
			t.Run(name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				assert.Equal(t, tc.read, user.CanRead(tc.ns), "read")
				assert.Equal(t, tc.write, user.CanWrite(tc.ns), "write")
				assert.Equal(t, tc.admWrite, adm.CanWrite(tc.ns), "admin (another user of tenant_1) write")
				err := user.Check(OpRead, tc.ns)
				if tc.read {
					assert.NoError(t, err)
				} else {
					assert.ErrorIs(t, err, ErrForbidden)
					var ae *AccessError
					require.ErrorAs(t, err, &ae)
					assert.Equal(t, OpRead, ae.Op)
					assert.Equal(t, tc.ns, ae.Namespace)
					assert.NotEmpty(t, ae.Reason)
					if tc.ns.TenantID() != "" {
						assert.NotContains(t, err.Error(), tc.ns.TenantID())
					}
				}
				err = user.Check(OpWrite, tc.ns)
				if tc.write {
					assert.NoError(t, err)
				} else {
					assert.ErrorIs(t, err, ErrForbidden)
				}
			})
		}
	}
}

func TestScopeEntitlementAdmin(t *testing.T) {
	t.Parallel()
	s, err := New(Config{TenantWriteEntitlement: "memory-admin"})
	require.NoError(t, err)
	tn, err := s.Tenant("t1")
	require.NoError(t, err)
	other, err := s.Tenant("t2")
	require.NoError(t, err)
	adm := mustScope(t, s, &tenantctx.Tenant{ID: "t1", Subject: "a", Entitlements: []string{"memory-admin"}})
	assert.True(t, adm.CanWrite(tn))
	assert.False(t, adm.CanWrite(other), "admin of t1 never writes t2")
	assert.False(t, adm.CanRead(other))
	assert.False(t, adm.CanWrite(s.Global()))
	// Scope name only matters when configured.
	plain := mustScope(t, s, &tenantctx.Tenant{ID: "t1", Subject: "a", Scopes: []string{""}})
	assert.False(t, plain.CanWrite(tn))
}

func TestScopeSilo(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"hierarchical/silo", "agentcore/silo"} {
		s := testSchemes(t)[name]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := s.ScopeFor(&tenantctx.Tenant{ID: "t2", Subject: "u9"})
			assert.ErrorIs(t, err, ErrTenantMismatch, "another tenant gets no scope on t1's store")
			sc := mustScope(t, s, &tenantctx.Tenant{ID: "t1", Subject: "u9"})
			own, err := s.Session("", "u9", "s1")
			require.NoError(t, err)
			assert.True(t, sc.CanRead(own))
			assert.True(t, sc.CanWrite(own))
			shared, err := s.Tenant("")
			require.NoError(t, err)
			assert.True(t, sc.CanRead(shared))
			assert.False(t, sc.CanWrite(shared))
			other, err := s.User("t1", "u8")
			require.NoError(t, err)
			assert.False(t, sc.CanRead(other))
			assert.True(t, sc.CanRead(s.Global()))

			// A pool scope of t2 reading t1's silo namespaces (even global) is refused.
			pool := testSchemes(t)["hierarchical/pool"]
			t2 := mustScope(t, pool, &tenantctx.Tenant{ID: "t2", Subject: "u9"})
			for _, n := range []Namespace{s.Global(), own, shared} {
				assert.False(t, t2.CanRead(n), n.String())
				assert.ErrorContains(t, t2.Check(OpRead, n), "store of another tenant")
			}
		})
	}
}

func TestScopeFailClosed(t *testing.T) {
	t.Parallel()
	s := testSchemes(t)["hierarchical/pool"]
	own, err := s.User("t1", "u9")
	require.NoError(t, err)

	var zero Scope
	assert.False(t, zero.CanRead(s.Global()))
	assert.False(t, zero.CanRead(own))
	assert.ErrorIs(t, zero.Check(OpRead, own), ErrForbidden)

	sc := mustScope(t, s, &tenantctx.Tenant{ID: "t1", Subject: "u9"})
	assert.Equal(t, "t1", sc.TenantID())
	assert.Equal(t, "u9", sc.UserID())
	err = sc.Check(Op(0), own)
	assert.ErrorIs(t, err, ErrForbidden)
	assert.ErrorContains(t, err, "unknown operation")
	assert.ErrorIs(t, sc.Check(Op(9), own), ErrForbidden)
	assert.Equal(t, "op(9)", Op(9).String())
	err = sc.Check(OpRead, Namespace{})
	assert.EqualError(t, err, "memoryns: forbidden: read of invalid namespace: invalid namespace")

	_, err = s.ScopeFor(nil)
	assert.ErrorIs(t, err, tenantctx.ErrNoTenant)
	for _, tn := range []*tenantctx.Tenant{
		{ID: "", Subject: "u9"}, {ID: "t1", Subject: ""}, {ID: "t1/..", Subject: "u9"},
		{ID: "t1", Subject: "u9/../u8"}, {ID: "t1:u8", Subject: "u9"}, {ID: "t\u00e9", Subject: "u9"},
	} {
		_, err := s.ScopeFor(tn)
		assert.ErrorIs(t, err, ErrInvalidID, tn.String())
	}
}

func TestCheckContext(t *testing.T) {
	t.Parallel()
	s := testSchemes(t)["agentcore/pool"]
	ctxA := tenantctx.NewContext(context.Background(), &tenantctx.Tenant{ID: "tenant_123", Subject: "user_456"})
	ctxB := tenantctx.NewContext(context.Background(), &tenantctx.Tenant{ID: "tenant_789", Subject: "user_456"})
	nsA, err := s.ForSession(ctxA, "s1")
	require.NoError(t, err)
	assert.Equal(t, "/strategies/semantic-1/actors/tenant_123:user_456/sessions/s1/", nsA.String())
	assert.Equal(t, "tenant_123:user_456", nsA.ActorID())

	assert.NoError(t, s.Check(ctxA, OpWrite, nsA))
	assert.NoError(t, s.Check(ctxA, OpRead, nsA))
	err = s.Check(ctxB, OpRead, nsA)
	assert.ErrorIs(t, err, ErrForbidden)
	assert.EqualError(t, err, "memoryns: forbidden: read of session namespace: namespace of another tenant")
	assert.ErrorIs(t, s.Check(context.Background(), OpRead, s.Global()), tenantctx.ErrNoTenant)
	sc, err := s.ScopeFromContext(ctxA)
	require.NoError(t, err)
	assert.True(t, sc.CanRead(nsA))
	_, err = s.ScopeFromContext(context.Background())
	assert.ErrorIs(t, err, tenantctx.ErrNoTenant)
}

// TestPrefixReadSafety: a namespace string used as a prefix (as AgentCore's
// retrieval APIs do) never reaches a namespace the scope cannot read.
func TestPrefixReadSafety(t *testing.T) {
	t.Parallel()
	for name, s := range testSchemes(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var all []Namespace
			for _, tn := range []string{"t1", "t12"} {
				for _, u := range []string{"u9", "u99", "shared"} {
					for _, strat := range []string{"support", "shared", "actors"} {
						for l := LevelGlobal; l <= LevelSession; l++ {
							r := Ref{Level: l}
							needs := s.needs[l]
							if needs.strategy {
								r.StrategyID = strat
							}
							if needs.tenant || (s.silo && l >= LevelTenant) {
								r.TenantID = tn
							}
							if needs.user {
								r.UserID = u
							}
							if needs.session {
								r.SessionID = "s1"
							}
							n, err := s.Build(r)
							if s.silo && tn != "t1" && l >= LevelTenant {
								require.ErrorIs(t, err, ErrTenantMismatch)
								continue
							}
							require.NoError(t, err, r)
							all = append(all, n)
						}
					}
				}
			}
			scopes := []Scope{mustScope(t, s, &tenantctx.Tenant{ID: "t1", Subject: "u9"})}
			if !s.silo {
				scopes = append(scopes, mustScope(t, s, &tenantctx.Tenant{ID: "t12", Subject: "u99"}))
			}
			for _, sc := range scopes {
				for _, p := range all {
					if !sc.CanRead(p) {
						continue
					}
					for _, n := range all {
						if strings.HasPrefix(n.String(), p.String()) {
							assert.True(t, sc.CanRead(n), "%s reads %s but not %s below it", sc.TenantID(), p, n)
						}
					}
				}
			}
		})
	}
}

func TestConfigErrorNamesKeyword(t *testing.T) {
	t.Parallel()
	_, err := New(Config{Template: Template{Tenant: "ten/ant"}})
	assert.EqualError(t, err, "memoryns: invalid config: Tenant keyword: contains a separator")
}
