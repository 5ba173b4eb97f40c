package policy

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/tenantctx"
)

var _ Registry = (*MemoryRegistry)(nil)

const tenantBDoc = `{"policyId":"POL-TENANT-B","tenantId":"Tenant-B","rules":[{"effect":"ALLOW","resourceType":"TOOL","resources":["agent:tool:*"]}]}`

// fakeRegistry is a hand-written Registry for failure injection.
type fakeRegistry struct {
	policy *Policy
	err    error
}

func (f fakeRegistry) TenantOf(context.Context, string) (string, error) { return "", ErrUnknownUser }
func (f fakeRegistry) Policy(context.Context, string) (*Policy, error)  { return f.policy, f.err }

func TestDecide(t *testing.T) {
	t.Parallel()
	polA, polB := mustPolicy(t, issueDoc), mustPolicy(t, tenantBDoc)
	reg, err := NewMemoryRegistry(map[string]string{"alice": "Tenant-A"}, polA, polB)
	require.NoError(t, err)
	errBackend := errors.New("backend down")

	tests := []struct {
		name     string
		reg      Registry
		tenant   *tenantctx.Tenant
		resource string
		allowed  bool
		policyID string
		reason   string
		err      error
	}{
		{"allowed", reg, tenant("Tenant-A"), "agent:tool:order-lookup", true, "POL-TENANT-A", "allowed by rule 0", nil},
		{"denied by rule", reg, tenant("Tenant-A"), "agent:tool:admin-refund", false, "POL-TENANT-A", "Insufficient privileges", nil},
		{"default deny", reg, tenant("Tenant-A"), "agent:tool:crm-x", false, "POL-TENANT-A", ReasonNoMatch, nil},
		{"each tenant gets its own policy", reg, tenant("Tenant-B"), "agent:tool:admin-refund", true, "POL-TENANT-B", "allowed by rule 0", nil},
		{"unknown tenant", reg, tenant("Tenant-C"), "agent:tool:order-lookup", false, "", ReasonNoPolicy, ErrNoPolicy},
		{"nil tenant", reg, nil, "agent:tool:order-lookup", false, "", ReasonNoTenant, tenantctx.ErrNoTenant},
		{"nil registry", nil, tenant("Tenant-A"), "agent:tool:order-lookup", false, "", ReasonNoPolicy, ErrNoPolicy},
		{"registry error", fakeRegistry{err: errBackend}, tenant("Tenant-A"), "agent:tool:order-lookup", false, "", ReasonNoPolicy, errBackend},
		{"registry returns nil policy", fakeRegistry{}, tenant("Tenant-A"), "agent:tool:order-lookup", false, "", ReasonNoPolicy, ErrNoPolicy},
		{"registry returns other tenant's policy", fakeRegistry{policy: polB}, tenant("Tenant-A"), "agent:tool:order-lookup", false, "", ReasonOtherTenant, ErrNoPolicy},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d, err := Decide(context.Background(), tc.reg, tc.tenant, ResourceTypeTool, tc.resource)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				assert.True(t, strings.HasPrefix(err.Error(), "policy: "), err.Error())
				assert.Equal(t, -1, d.Rule)
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tc.allowed, d.Allowed)
			assert.Equal(t, tc.policyID, d.PolicyID)
			assert.Equal(t, tc.reason, d.Reason)
		})
	}
}

func TestMemoryRegistry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	polA, polB := mustPolicy(t, issueDoc), mustPolicy(t, tenantBDoc)
	reg, err := NewMemoryRegistry(map[string]string{"alice": "Tenant-A", "bob@example.com": "Tenant-B"}, polA)
	require.NoError(t, err)

	tid, err := reg.TenantOf(ctx, "alice")
	require.NoError(t, err)
	assert.Equal(t, "Tenant-A", tid)
	_, err = reg.TenantOf(ctx, "mallory")
	require.ErrorIs(t, err, ErrUnknownUser)

	got, err := reg.Policy(ctx, "Tenant-A")
	require.NoError(t, err)
	assert.Same(t, polA, got)
	_, err = reg.Policy(ctx, "Tenant-B")
	require.ErrorIs(t, err, ErrNoPolicy)

	require.NoError(t, reg.SetPolicy(polB))
	got, err = reg.Policy(ctx, "Tenant-B")
	require.NoError(t, err)
	assert.Same(t, polB, got)

	// Replacing a tenant's policy frees its old id.
	polA2 := mustPolicy(t, strings.Replace(issueDoc, "POL-TENANT-A", "POL-TENANT-A-v2", 1))
	require.NoError(t, reg.SetPolicy(polA2))
	got, err = reg.Policy(ctx, "Tenant-A")
	require.NoError(t, err)
	assert.Equal(t, "POL-TENANT-A-v2", got.ID())
	// The id of another tenant's policy cannot be reused.
	stolen := mustPolicy(t, strings.Replace(tenantBDoc, "Tenant-B", "Tenant-C", 1))
	err = reg.SetPolicy(stolen)
	require.ErrorIs(t, err, ErrDuplicatePolicy)
	_, err = reg.Policy(ctx, "Tenant-C")
	require.ErrorIs(t, err, ErrNoPolicy)
	require.ErrorIs(t, reg.SetPolicy(nil), ErrInvalidPolicy)

	require.NoError(t, reg.SetUser("carol", "Tenant-B"))
	require.ErrorIs(t, reg.SetUser("carol", "Tenant/B"), tenantctx.ErrInvalidTenantID)
	require.ErrorIs(t, reg.SetUser("", "Tenant-B"), ErrInvalidUserID)
	tid, err = reg.TenantOf(ctx, "carol")
	require.NoError(t, err)
	assert.Equal(t, "Tenant-B", tid)

	reg.DeleteUser("carol")
	_, err = reg.TenantOf(ctx, "carol")
	require.ErrorIs(t, err, ErrUnknownUser)
	reg.DeletePolicy("Tenant-B")
	_, err = reg.Policy(ctx, "Tenant-B")
	require.ErrorIs(t, err, ErrNoPolicy)
	// After deletion the id is free again.
	require.NoError(t, reg.SetPolicy(stolen))
}

func TestNewMemoryRegistryRejects(t *testing.T) {
	t.Parallel()
	polA := mustPolicy(t, issueDoc)
	sameID := mustPolicy(t, strings.Replace(issueDoc, "Tenant-A", "Tenant-B", 1))
	sameTenant := mustPolicy(t, strings.Replace(issueDoc, "POL-TENANT-A", "POL-OTHER", 1))

	_, err := NewMemoryRegistry(nil, polA, sameID)
	require.ErrorIs(t, err, ErrDuplicatePolicy)
	_, err = NewMemoryRegistry(nil, polA, sameTenant)
	require.ErrorIs(t, err, ErrDuplicatePolicy)
	_, err = NewMemoryRegistry(nil, polA, nil)
	require.ErrorIs(t, err, ErrInvalidPolicy)

	_, err = NewMemoryRegistry(map[string]string{"alice": "bad tenant", "bad\nuser": "Tenant-A"})
	require.ErrorIs(t, err, tenantctx.ErrInvalidTenantID)
	require.ErrorIs(t, err, ErrInvalidUserID)
	assert.NotContains(t, err.Error(), "bad\nuser", "ids are not echoed")
}

func TestValidateUserID(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"alice", "auth0|5f7c8ec7c33c6c004bbafe82", "bob@example.com", "ユーザー", "USER#x", strings.Repeat("u", MaxUserIDLen)} {
		assert.NoError(t, ValidateUserID(ok), ok)
	}
	for _, bad := range []string{"", " ", "a b", "a\tb", "a\nb", "a\x00b", "a\x7fb", "a\u200bb", "a\u2028b", "\xff", strings.Repeat("u", MaxUserIDLen+1)} {
		err := ValidateUserID(bad)
		require.ErrorIs(t, err, ErrInvalidUserID, "%q", bad)
	}
}

func TestMemoryRegistryConcurrent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	polA := mustPolicy(t, issueDoc)
	reg, err := NewMemoryRegistry(map[string]string{"alice": "Tenant-A"}, polA)
	require.NoError(t, err)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				d, err := Decide(ctx, reg, tenant("Tenant-A"), ResourceTypeTool, "agent:tool:order-lookup")
				if err == nil && !d.Allowed {
					t.Error("allowed tool denied")
					return
				}
			}
		}()
		go func() {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				if i%2 == 0 {
					reg.DeletePolicy("Tenant-A")
				} else if err := reg.SetPolicy(polA); err != nil {
					t.Error(err)
					return
				}
				_ = reg.SetUser("bob", "Tenant-A")
			}
		}()
	}
	wg.Wait()
}
