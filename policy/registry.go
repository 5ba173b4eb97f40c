package policy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/tenantkit/tenantkit/tenantctx"
)

var (
	// ErrUnknownUser reports a user the registry does not know.
	ErrUnknownUser = errors.New("policy: unknown user")
	// ErrNoPolicy reports a tenant without a policy.
	ErrNoPolicy = errors.New("policy: no policy for tenant")
	// ErrInvalidUserID reports a user id that [ValidateUserID] rejects.
	ErrInvalidUserID = errors.New("policy: invalid user id")
)

// MaxUserIDLen is the longest user id [ValidateUserID] accepts.
const MaxUserIDLen = 256

// Registry maps users to tenants and tenants to their policy. The gateway
// asks it for the policy of the verified tenant on every call, so
// implementations must be safe for concurrent use; wrap slow ones in a
// [Cache].
type Registry interface {
	// TenantOf returns the tenant that userID belongs to, or an error
	// wrapping [ErrUnknownUser].
	TenantOf(ctx context.Context, userID string) (tenantID string, err error)
	// Policy returns the compiled policy of tenantID, or an error wrapping
	// [ErrNoPolicy]. The returned policy's TenantID equals tenantID.
	Policy(ctx context.Context, tenantID string) (*Policy, error)
}

// Decide looks up the policy of tenant t in r and evaluates the request. It
// fails closed: without a tenant, without a registry, or when the lookup
// fails, it returns a denied Decision (Rule -1) together with the error
// (wrapping [tenantctx.ErrNoTenant], [ErrNoPolicy] or the registry's error).
// A policy for another tenant is never used, whatever the registry returns.
func Decide(ctx context.Context, r Registry, t *tenantctx.Tenant, resourceType, resource string) (Decision, error) {
	if t == nil {
		return denied("", ReasonNoTenant), fmt.Errorf("policy: decide: %w", tenantctx.ErrNoTenant)
	}
	if r == nil {
		return denied("", ReasonNoPolicy), fmt.Errorf("policy: decide: nil registry: %w", ErrNoPolicy)
	}
	p, err := r.Policy(ctx, t.ID)
	if err != nil {
		if !strings.HasPrefix(err.Error(), "policy: ") {
			err = fmt.Errorf("policy: registry: %w", err)
		}
		return denied("", ReasonNoPolicy), err
	}
	if p == nil {
		return denied("", ReasonNoPolicy), fmt.Errorf("policy: decide: registry returned no policy: %w", ErrNoPolicy)
	}
	if p.TenantID() != t.ID {
		return denied("", ReasonOtherTenant), fmt.Errorf("policy: decide: registry returned the policy of another tenant: %w", ErrNoPolicy)
	}
	return p.Evaluate(t, resourceType, resource), nil
}

// ValidateUserID reports whether id can be used as a user id in a registry
// (and in a DynamoDB key): 1 to [MaxUserIDLen] bytes of valid UTF-8 with no
// white space and no control or format characters. The error wraps
// [ErrInvalidUserID] and does not contain id.
func ValidateUserID(id string) error {
	if id == "" {
		return fmt.Errorf("%w: empty", ErrInvalidUserID)
	}
	if len(id) > MaxUserIDLen {
		return fmt.Errorf("%w: longer than %d bytes", ErrInvalidUserID, MaxUserIDLen)
	}
	if !utf8.ValidString(id) {
		return fmt.Errorf("%w: not valid UTF-8", ErrInvalidUserID)
	}
	for _, r := range id {
		if unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError {
			return fmt.Errorf("%w: contains white space or a control character", ErrInvalidUserID)
		}
	}
	return nil
}

// MemoryRegistry is a [Registry] held in memory. It is safe for concurrent
// use; its methods may be called while it serves lookups.
type MemoryRegistry struct {
	mu       sync.RWMutex
	users    map[string]string
	policies map[string]*Policy // by tenant id
	ids      map[string]string  // policy id → tenant id
}

var _ Registry = (*MemoryRegistry)(nil)

// NewMemoryRegistry returns a registry holding the given user → tenant
// mapping and policies. It validates every id and rejects two policies with
// the same policy id or the same tenant; all problems are reported at once.
// users may be nil.
func NewMemoryRegistry(users map[string]string, policies ...*Policy) (*MemoryRegistry, error) {
	m := &MemoryRegistry{
		users:    make(map[string]string, len(users)),
		policies: make(map[string]*Policy, len(policies)),
		ids:      make(map[string]string, len(policies)),
	}
	var errs []error
	for u, t := range users {
		if err := m.setUser(u, t); err != nil {
			errs = append(errs, err)
		}
	}
	for _, p := range policies {
		if err := m.setPolicy(p, false); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return m, nil
}

// TenantOf implements [Registry].
func (m *MemoryRegistry) TenantOf(_ context.Context, userID string) (string, error) {
	m.mu.RLock()
	t, ok := m.users[userID]
	m.mu.RUnlock()
	if !ok {
		return "", ErrUnknownUser
	}
	return t, nil
}

// Policy implements [Registry].
func (m *MemoryRegistry) Policy(_ context.Context, tenantID string) (*Policy, error) {
	m.mu.RLock()
	p, ok := m.policies[tenantID]
	m.mu.RUnlock()
	if !ok {
		return nil, ErrNoPolicy
	}
	return p, nil
}

// SetUser maps userID to tenantID, replacing any previous mapping.
func (m *MemoryRegistry) SetUser(userID, tenantID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.setUser(userID, tenantID)
}

func (m *MemoryRegistry) setUser(userID, tenantID string) error {
	if err := ValidateUserID(userID); err != nil {
		return err
	}
	if err := tenantctx.ValidateID(tenantID); err != nil {
		return fmt.Errorf("policy: user's tenant: %w", err)
	}
	m.users[userID] = tenantID
	return nil
}

// SetPolicy stores p as the policy of p.TenantID(), replacing that tenant's
// previous policy. It fails when another tenant's policy has the same id.
func (m *MemoryRegistry) SetPolicy(p *Policy) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.setPolicy(p, true)
}

func (m *MemoryRegistry) setPolicy(p *Policy, replace bool) error {
	if p == nil {
		return fmt.Errorf("policy: nil policy: %w", ErrInvalidPolicy)
	}
	if owner, ok := m.ids[p.id]; ok && owner != p.tenantID {
		return &DuplicateError{Path: "policy " + quote(p.id), Field: "policyId", Value: p.id, First: "tenant " + quote(owner)}
	}
	if old, ok := m.policies[p.tenantID]; ok {
		if !replace {
			return &DuplicateError{Path: "policy " + quote(p.id), Field: "tenantId", Value: p.tenantID, First: "policy " + quote(old.id)}
		}
		delete(m.ids, old.id)
	}
	m.policies[p.tenantID] = p
	m.ids[p.id] = p.tenantID
	return nil
}

// DeleteUser removes userID. Deleting an unknown user is not an error.
func (m *MemoryRegistry) DeleteUser(userID string) {
	m.mu.Lock()
	delete(m.users, userID)
	m.mu.Unlock()
}

// DeletePolicy removes the policy of tenantID; its requests are then denied.
func (m *MemoryRegistry) DeletePolicy(tenantID string) {
	m.mu.Lock()
	if p, ok := m.policies[tenantID]; ok {
		delete(m.ids, p.id)
		delete(m.policies, tenantID)
	}
	m.mu.Unlock()
}
