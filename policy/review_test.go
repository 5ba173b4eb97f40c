package policy

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A rule whose resource type differs from another rule's only in case is a
// typo that makes the rule silently inert: a DENY for "tool" never applies
// to "TOOL" requests, so the tools it was meant to refuse stay allowed by
// the ALLOW "TOOL" rule. Such documents are rejected.
func TestResourceTypeCaseConfusionRejected(t *testing.T) {
	t.Parallel()
	const doc = `{"policyId":"P","tenantId":"Tenant-A","rules":[
		{"effect":"ALLOW","resourceType":"TOOL","resources":["agent:tool:*"]},
		{"effect":"DENY","resourceType":"tool","resources":["agent:tool:admin-refund"]}]}`
	_, err := Parse([]byte(doc))
	require.Error(t, err)
	require.ErrorIs(t, err, ErrInvalidPolicy)
	var ve *ValidationError
	require.True(t, errors.As(err, &ve))
	require.Len(t, ve.Problems, 1)
	assert.Equal(t, "$.rules[1].resourceType", ve.Problems[0].Path)
	assert.Contains(t, ve.Problems[0].Msg, `differs only in case from "TOOL"`)

	// Compile applies the same check to documents built in code.
	d := &Document{PolicyID: "P", TenantID: "Tenant-A", Rules: []Rule{
		{Effect: Allow, ResourceType: "TOOL", Resources: []string{"a"}},
		{Effect: Deny, ResourceType: "Tool", Resources: []string{"a"}},
	}}
	_, err = Compile(d)
	require.ErrorIs(t, err, ErrInvalidPolicy)

	// Distinct types, and one type used consistently, remain valid.
	_, err = Parse([]byte(`{"policyId":"P","tenantId":"Tenant-A","rules":[
		{"effect":"ALLOW","resourceType":"TOOL","resources":["a"]},
		{"effect":"DENY","resourceType":"TOOL","resources":["b"]},
		{"effect":"ALLOW","resourceType":"PROMPT","resources":["a"]}]}`))
	require.NoError(t, err)
}

// When a registry hands Decide another tenant's policy, the decision must
// not disclose that policy's id to the requesting tenant (decisions end up
// in 403 bodies and audit records of the requesting tenant).
func TestDecideOtherTenantDoesNotLeakPolicyID(t *testing.T) {
	t.Parallel()
	polB := mustPolicy(t, tenantBDoc)
	d, err := Decide(context.Background(), fakeRegistry{policy: polB}, tenant("Tenant-A"), ResourceTypeTool, "agent:tool:order-lookup")
	require.ErrorIs(t, err, ErrNoPolicy)
	assert.False(t, d.Allowed)
	assert.Empty(t, d.PolicyID, "another tenant's policy id leaked")
	assert.NotContains(t, err.Error(), polB.ID())
	assert.NotContains(t, err.Error(), polB.TenantID())
}
