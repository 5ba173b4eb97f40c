package memoryns

import "strconv"

// Level is the level of a namespace, from the widest (global) to the
// narrowest (session). The zero Level is invalid.
type Level uint8

// Namespace levels.
const (
	// LevelGlobal holds cross-tenant shared knowledge. Every principal may
	// read it; no principal may write it through a [Scope].
	LevelGlobal Level = iota + 1
	// LevelStrategy holds patterns shared by one agent type or memory
	// strategy across tenants. A principal may read the strategies
	// configured in [Config.ReadStrategies]; no principal may write it
	// through a [Scope].
	LevelStrategy
	// LevelTenant holds knowledge shared by all users of one tenant.
	LevelTenant
	// LevelUser holds one user's memory across sessions.
	LevelUser
	// LevelSession holds one session of one user.
	LevelSession
)

var levelText = [...]string{
	LevelGlobal:   "global",
	LevelStrategy: "strategy",
	LevelTenant:   "tenant",
	LevelUser:     "user",
	LevelSession:  "session",
}

// String returns the level's name, for example "tenant".
func (l Level) String() string {
	if l >= LevelGlobal && l <= LevelSession {
		return levelText[l]
	}
	return "level(" + strconv.Itoa(int(l)) + ")"
}

// Namespace is a parsed, validated memory namespace: its level, the ids of
// its segments and its canonical string. Namespaces are built by a
// [Scheme]'s builders or by [Scheme.Parse]; every Namespace obtained that
// way is valid. The zero Namespace is invalid, and every check denies it.
//
// Namespace is a comparable value: two namespaces are equal when they have
// the same level, ids and string.
type Namespace struct {
	s     string
	owner string // silo mode: the tenant that owns the store
	level Level
	silo  bool
	// Spans of the ids inside s; a zero span is an absent id.
	strategy, tenant, user, session span
}

// span locates an id inside a namespace string.
type span struct{ off, n uint16 }

func (n *Namespace) get(sp span) string { return n.s[sp.off : sp.off+sp.n] }

// String returns the canonical string form, for example
// "/tenant/t1/user/u9/session/s1/". It always begins and ends with '/', so
// no namespace string is a prefix of a namespace of a sibling id
// ("/tenant/t1/" is not a prefix of "/tenant/t12/"). It is "" for the zero
// Namespace.
func (n Namespace) String() string { return n.s }

// Level returns the namespace's level, or 0 for the zero Namespace.
func (n Namespace) Level() Level { return n.level }

// IsZero reports whether n is the zero (invalid) Namespace.
func (n Namespace) IsZero() bool { return n.level == 0 }

// Silo reports whether n was built or parsed by a silo-mode [Scheme]: its
// string carries no tenant id because the whole store belongs to
// [Namespace.TenantID].
func (n Namespace) Silo() bool { return n.silo }

// StrategyID returns the strategy id: the strategy of a strategy-level
// namespace, or the memory strategy a user or session namespace lives under
// in the AgentCore layout. It is "" otherwise.
func (n Namespace) StrategyID() string { return n.get(n.strategy) }

// TenantID returns the tenant that owns the namespace: the tenant of a
// tenant, user or session namespace in pool mode, or the owner of the store
// for every level in silo mode. It is "" for global and strategy namespaces
// in pool mode.
func (n Namespace) TenantID() string {
	if n.silo {
		return n.owner
	}
	return n.get(n.tenant)
}

// UserID returns the user of a user or session namespace, or "".
func (n Namespace) UserID() string { return n.get(n.user) }

// SessionID returns the session of a session namespace, or "".
func (n Namespace) SessionID() string { return n.get(n.session) }

// ActorID returns the AgentCore actor id of a user or session namespace:
// the composite "tenant:user" in pool mode, the user id in silo mode. It
// is "" for other levels.
func (n Namespace) ActorID() string {
	if n.level < LevelUser {
		return ""
	}
	if n.silo {
		return n.UserID()
	}
	return n.TenantID() + string(ActorSeparator) + n.UserID()
}
