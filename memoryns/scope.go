package memoryns

import (
	"context"
	"errors"
	"fmt"

	"github.com/tenantkit/tenantkit/tenantctx"
)

// ErrForbidden reports that a principal's scope does not allow an operation
// on a namespace. Every [*AccessError] wraps it.
var ErrForbidden = errors.New("memoryns: forbidden")

// Op is an operation on a namespace.
type Op uint8

const (
	// OpRead reads the records of a namespace. Because every readable
	// namespace's descendants are readable by the same principal (see the
	// package documentation), OpRead also covers prefix reads such as
	// AgentCore's RetrieveMemoryRecords and ListMemoryRecords, whose
	// namespace parameter matches every namespace that starts with it.
	OpRead Op = iota + 1
	// OpWrite creates, updates or deletes records in a namespace.
	OpWrite
)

// String returns "read" or "write".
func (o Op) String() string {
	switch o {
	case OpRead:
		return "read"
	case OpWrite:
		return "write"
	}
	return fmt.Sprintf("op(%d)", uint8(o))
}

// AccessError reports a denied operation. It wraps [ErrForbidden]. Its
// message names the operation, the level and the reason, never the ids.
type AccessError struct {
	Op        Op
	Namespace Namespace // the namespace that was refused (zero if invalid)
	Reason    string
}

// Error implements error.
func (e *AccessError) Error() string {
	lvl := "invalid"
	if !e.Namespace.IsZero() {
		lvl = e.Namespace.Level().String()
	}
	return "memoryns: forbidden: " + e.Op.String() + " of " + lvl + " namespace: " + e.Reason
}

// Unwrap returns [ErrForbidden].
func (e *AccessError) Unwrap() error { return ErrForbidden }

// Scope is what one principal may read and write, derived once from its
// [tenantctx.Tenant] by [Scheme.ScopeFor]:
//
//   - read: the global namespace, the strategies in
//     [Config.ReadStrategies], its own tenant's tenant level, and its own
//     user namespaces and their sessions;
//   - write: its own user namespaces and their sessions, and its tenant's
//     tenant level if it holds [Config.TenantWriteScope] or
//     [Config.TenantWriteEntitlement].
//
// Global and strategy namespaces are never writable through a Scope;
// platform code that curates them does not act as a tenant. Checks compare
// parsed ids for equality, never string prefixes, and never allocate when
// they allow. The zero Scope denies everything. A Scope is immutable and
// safe for concurrent use.
type Scope struct {
	tenant      string
	user        string
	strategies  []string // shared with the Scheme, never modified
	writeTenant bool
}

// ScopeFor derives the scope of principal t. It fails with
// [tenantctx.ErrNoTenant] for a nil t, with an [*IDError] when the tenant or
// user id is not a valid id, and with [ErrTenantMismatch] when a silo-mode
// scheme's store belongs to another tenant.
func (s *Scheme) ScopeFor(t *tenantctx.Tenant) (Scope, error) {
	if t == nil {
		return Scope{}, tenantctx.ErrNoTenant
	}
	if err := validateID(LevelTenant, t.ID, MaxTenantIDLen); err != nil {
		return Scope{}, err
	}
	if s.silo && t.ID != s.siloTenant {
		return Scope{}, ErrTenantMismatch
	}
	u, err := s.principalUser(t)
	if err != nil {
		return Scope{}, err
	}
	return Scope{
		tenant:      t.ID,
		user:        u,
		strategies:  s.readStrategies,
		writeTenant: s.writeScope != "" && t.HasScope(s.writeScope) || s.writeEnt != "" && t.HasEntitlement(s.writeEnt),
	}, nil
}

// ScopeFromContext is [Scheme.ScopeFor] for the tenant in ctx; it fails
// with [tenantctx.ErrNoTenant] when ctx carries none.
func (s *Scheme) ScopeFromContext(ctx context.Context) (Scope, error) {
	t, ok := tenantctx.FromContext(ctx)
	if !ok {
		return Scope{}, tenantctx.ErrNoTenant
	}
	return s.ScopeFor(t)
}

// Check reports whether the principal in ctx may perform op on ns. It
// fails closed: [tenantctx.ErrNoTenant] without a tenant, the errors of
// [Scheme.ScopeFor], and an [*AccessError] wrapping [ErrForbidden] when
// the scope does not allow op.
func (s *Scheme) Check(ctx context.Context, op Op, ns Namespace) error {
	sc, err := s.ScopeFromContext(ctx)
	if err != nil {
		return err
	}
	return sc.Check(op, ns)
}

// TenantID returns the scope's tenant, or "" for the zero Scope.
func (sc Scope) TenantID() string { return sc.tenant }

// UserID returns the scope's user, or "" for the zero Scope.
func (sc Scope) UserID() string { return sc.user }

// CanWriteTenant reports whether the scope may write its tenant level.
func (sc Scope) CanWriteTenant() bool { return sc.writeTenant }

// CanRead reports whether the scope may read ns.
func (sc Scope) CanRead(ns Namespace) bool { return sc.decide(OpRead, &ns) == "" }

// CanWrite reports whether the scope may write ns.
func (sc Scope) CanWrite(ns Namespace) bool { return sc.decide(OpWrite, &ns) == "" }

// Check returns nil if the scope allows op on ns, and an [*AccessError]
// wrapping [ErrForbidden] otherwise.
func (sc Scope) Check(op Op, ns Namespace) error {
	if r := sc.decide(op, &ns); r != "" {
		e := &AccessError{Op: op, Reason: r}
		if !ns.IsZero() {
			e.Namespace = ns
		}
		return e
	}
	return nil
}

// decide returns "" to allow, or the reason for denial.
func (sc *Scope) decide(op Op, ns *Namespace) string {
	if op != OpRead && op != OpWrite {
		return "unknown operation"
	}
	if sc.tenant == "" || sc.user == "" {
		return "empty scope"
	}
	if ns.level < LevelGlobal || ns.level > LevelSession || ns.s == "" {
		return "invalid namespace"
	}
	if ns.silo && ns.owner != sc.tenant {
		return "store of another tenant"
	}
	switch ns.level {
	case LevelGlobal:
		if op == OpWrite {
			return "global namespace is read-only"
		}
		return ""
	case LevelStrategy:
		if op == OpWrite {
			return "strategy namespace is read-only"
		}
		for _, id := range sc.strategies {
			if id == ns.get(ns.strategy) {
				return ""
			}
		}
		return "strategy not readable"
	}
	// Tenant, user, session: the tenant must be equal, not a prefix.
	if ns.TenantID() != sc.tenant {
		return "namespace of another tenant"
	}
	if ns.level == LevelTenant {
		if op == OpWrite && !sc.writeTenant {
			return "tenant namespace needs tenant write permission"
		}
		return ""
	}
	if ns.get(ns.user) != sc.user {
		return "namespace of another user"
	}
	return ""
}
