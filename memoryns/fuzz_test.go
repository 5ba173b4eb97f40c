package memoryns

import (
	"strings"
	"testing"

	"github.com/tenantkit/tenantkit/tenantctx"
)

func fuzzSchemes(f *testing.F) []*Scheme {
	ss := testSchemes(f)
	return []*Scheme{ss["hierarchical/pool"], ss["hierarchical/silo"], ss["agentcore/pool"], ss["agentcore/silo"]}
}

// refOf returns the Ref that rebuilds n with s.
func refOf(n Namespace) Ref {
	r := Ref{Level: n.Level(), StrategyID: n.StrategyID(), UserID: n.UserID(), SessionID: n.SessionID()}
	if n.Level() >= LevelTenant {
		r.TenantID = n.TenantID()
	}
	return r
}

// FuzzParse: Parse never panics, and whatever it accepts is canonical:
// String() returns the input, and Build of the parsed ids returns the same
// Namespace.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"/global/", "/strategy/support/", "/tenant/t1/shared/", "/tenant/t1/user/u9/",
		"/tenant/t1/user/u9/session/s1/", "/tenant/t1/user/u9/session/s1", "/tenant/t1/../t2/shared/",
		"/strategies/semantic-1/actors/t1:u9/sessions/s1/", "/strategies/s/actors/t1:u9:x/",
		"/strategies/s/shared/", "/user/u9/session/s1/", "/shared/", "//", "/", "",
		"/tenant/t\u00e9/shared/", "/tenant/t1/user/u9\x00/",
	} {
		f.Add(s)
	}
	schemes := fuzzSchemes(f)
	f.Fuzz(func(t *testing.T, in string) {
		for _, s := range schemes {
			n, err := s.Parse(in)
			if err != nil {
				if !n.IsZero() {
					t.Fatalf("error with non-zero namespace")
				}
				continue
			}
			if n.String() != in {
				t.Fatalf("not canonical: %q parsed to %q", in, n.String())
			}
			b, err := s.Build(refOf(n))
			if err != nil {
				t.Fatalf("Build(refOf(Parse(%q))): %v", in, err)
			}
			if b != n {
				t.Fatalf("Build(Parse(%q)) = %+v, want %+v", in, b, n)
			}
			for _, id := range []string{n.StrategyID(), n.TenantID(), n.UserID(), n.SessionID()} {
				if strings.ContainsAny(id, "/:.*? \t\r\n") {
					t.Fatalf("parsed id %q contains a separator", id)
				}
			}
		}
	})
}

// FuzzBuildParse: Parse(Build(x)) round-trips for every level, layout and
// mode, and every built string is within AgentCore's limits.
func FuzzBuildParse(f *testing.F) {
	f.Add(uint8(5), "semantic-1", "t1", "u9", "s1")
	f.Add(uint8(4), "s", "tenant_123", "user_456", "")
	f.Add(uint8(3), "", "t1", "", "")
	f.Add(uint8(2), "support", "", "", "")
	f.Add(uint8(1), "", "", "", "")
	f.Add(uint8(5), "s", "t1", "u/../u8", "..")
	f.Add(uint8(4), "s", "t1:x", "u9", "")
	schemes := fuzzSchemes(f)
	f.Fuzz(func(t *testing.T, level uint8, strategy, tenant, user, session string) {
		for _, s := range schemes {
			for _, strat := range []string{strategy, ""} {
				r := Ref{Level: Level(level % 7), StrategyID: strat, TenantID: tenant, UserID: user, SessionID: session}
				n, err := s.Build(r)
				if err != nil {
					continue
				}
				str := n.String()
				if len(str) > MaxNamespaceLen || str[0] != '/' || str[len(str)-1] != '/' {
					t.Fatalf("bad namespace string %q", str)
				}
				if why := agentCoreCompatible(n); why != "" {
					t.Fatalf("%q: AgentCore would refuse its %s", str, why)
				}
				p, err := s.Parse(str)
				if err != nil {
					t.Fatalf("Parse(Build(%+v)) = %v", r, err)
				}
				if p != n {
					t.Fatalf("Parse(Build(%+v)) = %+v, want %+v", r, p, n)
				}
				if n.Level() >= LevelUser && s.Mode() == ModePool {
					ta, u, err := ParseActorID(n.ActorID())
					if err != nil || ta != n.TenantID() || u != n.UserID() || len(n.ActorID()) > 255 {
						t.Fatalf("actor id %q does not round-trip", n.ActorID())
					}
				}
			}
		}
	})
}

// FuzzTenantIsolation: no input for tenant A yields a namespace that tenant
// B's scope can read or write, or that leaves A's IAM patterns (or enters
// B's); and a parsed namespace is never readable by a scope that cannot
// read every namespace below it (prefix reads are safe).
func FuzzTenantIsolation(f *testing.F) {
	f.Add("t1", "t12", "u9", "s1", "semantic-1", "/tenant/t1/user/u9/")
	f.Add("tenant_1", "tenant_12", "../tenant_12", "..", "s", "/tenant/tenant_12/shared/")
	f.Add("t1", "t1", "u9", "s1", "s", "/strategies/s/actors/t1:u9/")
	f.Add("a", "b", "b", "a", "a", "/strategies/a/shared/")
	f.Add("t1", "T1", "u9", "s1", "s", "/global/")
	ss := testSchemes(f)
	pools := []*Scheme{ss["hierarchical/pool"], ss["agentcore/pool"]}
	f.Fuzz(func(t *testing.T, tenantA, tenantB, user, session, strategy, raw string) {
		for _, s := range pools {
			scA, errA := s.ScopeFor(&tenantctx.Tenant{ID: tenantA, Subject: user})
			scB, errB := s.ScopeFor(&tenantctx.Tenant{ID: tenantB, Subject: user, Scopes: []string{"memory:tenant:write"}})
			patsA, _ := s.NamespacePatterns(tenantA)
			patsB, _ := s.NamespacePatterns(tenantB)
			for _, l := range []Level{LevelTenant, LevelUser, LevelSession} {
				r := Ref{Level: l, TenantID: tenantA}
				if l >= LevelUser {
					r.UserID = user
					if s.Layout() == LayoutAgentCore {
						r.StrategyID = strategy
					}
				}
				if l == LevelSession {
					r.SessionID = session
				}
				n, err := s.Build(r)
				if err != nil {
					continue
				}
				if n.TenantID() != tenantA {
					t.Fatalf("built namespace %q of tenant %q for %q", n, n.TenantID(), tenantA)
				}
				if !anyLike(patsA, n.String()) {
					t.Fatalf("%q escapes tenant %q patterns %v", n, tenantA, patsA)
				}
				if s.Layout() == LayoutHierarchical {
					pre, err := s.TenantPrefix(tenantA)
					if err != nil || !strings.HasPrefix(n.String(), pre) {
						t.Fatalf("%q outside prefix %q", n, pre)
					}
				}
				if tenantA != tenantB {
					if anyLike(patsB, n.String()) {
						t.Fatalf("%q of tenant %q matches tenant %q patterns %v", n, tenantA, tenantB, patsB)
					}
					if errB == nil && (scB.CanRead(n) || scB.CanWrite(n)) {
						t.Fatalf("scope of %q may access %q of %q", tenantB, n, tenantA)
					}
				}
				if errA == nil && !scA.CanRead(n) {
					t.Fatalf("scope of %q cannot read its own %q", tenantA, n)
				}
				// Prefix reads: whatever a scope can read, it can read below.
				if p, err := s.Parse(raw); err == nil && strings.HasPrefix(n.String(), p.String()) {
					for _, sc := range []Scope{scA, scB} {
						if sc.CanRead(p) && !sc.CanRead(n) {
							t.Fatalf("scope %q reads %q but not %q below it", sc.TenantID(), p, n)
						}
					}
				}
			}
			if p, err := s.Parse(raw); err == nil && p.TenantID() != "" && p.TenantID() != tenantB && errB == nil {
				if scB.CanRead(p) || scB.CanWrite(p) {
					t.Fatalf("scope of %q may access parsed %q", tenantB, p)
				}
			}
		}
	})
}
