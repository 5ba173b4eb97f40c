package gateway

import (
	"context"
	"errors"
	"fmt"

	"github.com/tenantkit/tenantkit/policy"
	"github.com/tenantkit/tenantkit/tenantctx"
)

// Defaults applied by [New] to a zero [Config] field.
const (
	// DefaultMaxBodyBytes is the default limit on an MCP request body.
	DefaultMaxBodyBytes = 1 << 20
	// DefaultMaxResponseBytes is the default limit on a buffered JSON
	// response and on one server-sent event that the gateway must inspect.
	DefaultMaxResponseBytes = 8 << 20
	// MaxToolNameLen is the longest tool name the gateway accepts; the MCP
	// specification recommends at most 128 characters.
	MaxToolNameLen = 128
	// DefaultToolPrefix is what [DefaultResourceFor] puts before a tool name.
	DefaultToolPrefix = "agent:tool:"
)

// Reasons reported in a denied [policy.Decision] that the gateway makes
// without consulting a policy rule.
const (
	// ReasonUserNotInTenant: Config.CheckUserTenant is set and the registry
	// maps the token's subject to no tenant or to another tenant.
	ReasonUserNotInTenant = "user does not belong to tenant"
	// ReasonInvalidToolName: the tool name is not a valid MCP tool name (see
	// [ValidToolName]).
	ReasonInvalidToolName = "invalid tool name"
	// ReasonRegistry: the policy registry failed; the request is refused.
	ReasonRegistry = "policy registry unavailable"
)

// Sentinel errors. Errors returned by this package wrap them.
var (
	// ErrConfig reports an invalid Config passed to New or a constructor.
	ErrConfig = errors.New("gateway: invalid configuration")
	// ErrRegistry reports that the policy registry failed (other than by not
	// knowing the tenant's policy or the user). Requests are refused.
	ErrRegistry = errors.New("gateway: policy registry unavailable")
)

// DefaultResourceFor maps an MCP tool name to the policy resource
// "agent:tool:<name>", so that a rule on "agent:tool:admin-refund" governs
// the tool named "admin-refund".
func DefaultResourceFor(tool string) string { return DefaultToolPrefix + tool }

// Config configures a [Gateway].
type Config struct {
	// Registry maps users to tenants and tenants to policies. Required.
	Registry policy.Registry
	// ResourceFor maps a tool name to the policy resource (of type
	// policy.ResourceTypeTool) that governs it. Nil means DefaultResourceFor.
	// Only names accepted by ValidToolName are ever allowed.
	ResourceFor func(tool string) string
	// CheckUserTenant additionally requires that Registry.TenantOf maps the
	// token's subject (Tenant.Subject) to the token's tenant: user → tenant →
	// policy. A subject the registry does not know, or maps to another
	// tenant, is denied every tool.
	CheckUserTenant bool
	// MaxBodyBytes limits an MCP request body; larger bodies get 413.
	// Zero means DefaultMaxBodyBytes; negative is a configuration error.
	MaxBodyBytes int64
	// MaxResponseBytes limits what the gateway buffers from a response it
	// must filter: a whole application/json body, or one server-sent event.
	// A larger response is not forwarded (fail closed). Zero means
	// DefaultMaxResponseBytes; negative is a configuration error.
	MaxResponseBytes int64
	// OnDecision, if set, is called for every decision the gateway makes,
	// allowed or denied, for audit logging. resource may contain anything a
	// client sent (log it with a structured logger). It must be safe for
	// concurrent use and must not keep t.
	OnDecision func(ctx context.Context, t *tenantctx.Tenant, resourceType, resource string, d policy.Decision)
}

// Gateway enforces tool-access policies on tool traffic. Build one with
// [New]; it is safe for concurrent use and holds no per-request state.
type Gateway struct {
	reg         policy.Registry
	resourceFor func(string) string
	checkUser   bool
	maxBody     int64
	maxResponse int64
	onDecision  func(context.Context, *tenantctx.Tenant, string, string, policy.Decision)
}

// New returns a Gateway for cfg, filling defaults. It fails when the
// registry is missing or a limit is negative.
func New(cfg Config) (*Gateway, error) {
	if cfg.Registry == nil {
		return nil, fmt.Errorf("%w: Registry is required", ErrConfig)
	}
	if cfg.MaxBodyBytes < 0 || cfg.MaxResponseBytes < 0 {
		return nil, fmt.Errorf("%w: negative size limit", ErrConfig)
	}
	g := &Gateway{
		reg:         cfg.Registry,
		resourceFor: cfg.ResourceFor,
		checkUser:   cfg.CheckUserTenant,
		maxBody:     cfg.MaxBodyBytes,
		maxResponse: cfg.MaxResponseBytes,
		onDecision:  cfg.OnDecision,
	}
	if g.resourceFor == nil {
		g.resourceFor = DefaultResourceFor
	}
	if g.maxBody == 0 {
		g.maxBody = DefaultMaxBodyBytes
	}
	if g.maxResponse == 0 {
		g.maxResponse = DefaultMaxResponseBytes
	}
	return g, nil
}

// ValidToolName reports whether name is a tool name the gateway will
// evaluate: 1 to MaxToolNameLen bytes of ASCII letters, digits, '_', '-',
// '.' and '/'. Other names (with spaces, '*', ':', control characters or
// non-ASCII) are denied and hidden, so that no name can be read as a
// pattern or smuggle a separator into the policy resource.
func ValidToolName(name string) bool {
	if len(name) == 0 || len(name) > MaxToolNameLen {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '_', c == '-', c == '.', c == '/':
		default:
			return false
		}
	}
	return true
}

// Authorizer answers tool decisions for one tenant against one policy
// snapshot, fetched once by [Gateway.Authorizer]. Use one per request; it is
// safe for concurrent use.
type Authorizer struct {
	g      *Gateway
	t      *tenantctx.Tenant
	p      *policy.Policy
	reason string // non-empty: every request is denied with this reason
}

// Authorizer fetches the policy of tenant t (and, with CheckUserTenant,
// checks the user's tenant) and returns an Authorizer for it.
//
// It fails closed. A nil t is an error wrapping tenantctx.ErrNoTenant. A
// tenant without a policy (policy.ErrNoPolicy), or an unknown or foreign
// user, is not an error: the Authorizer denies everything with a reason.
// Any other registry failure is an error wrapping ErrRegistry, and the
// caller must refuse the request.
func (g *Gateway) Authorizer(ctx context.Context, t *tenantctx.Tenant) (*Authorizer, error) {
	if t == nil {
		return nil, tenantctx.ErrNoTenant
	}
	a := &Authorizer{g: g, t: t}
	if g.checkUser {
		tid, err := g.reg.TenantOf(ctx, t.Subject)
		switch {
		case errors.Is(err, policy.ErrUnknownUser), errors.Is(err, policy.ErrInvalidUserID):
			a.reason = ReasonUserNotInTenant
			return a, nil
		case err != nil:
			return nil, fmt.Errorf("%w: %w", ErrRegistry, err)
		case tid != t.ID:
			a.reason = ReasonUserNotInTenant
			return a, nil
		}
	}
	p, err := g.reg.Policy(ctx, t.ID)
	switch {
	case errors.Is(err, policy.ErrNoPolicy):
		a.reason = policy.ReasonNoPolicy
		return a, nil
	case err != nil:
		return nil, fmt.Errorf("%w: %w", ErrRegistry, err)
	case p == nil:
		a.reason = policy.ReasonNoPolicy
		return a, nil
	case p.TenantID() != t.ID:
		// A registry that answers with another tenant's policy is broken;
		// deny, and do not let that policy's id reach the response.
		a.reason = policy.ReasonOtherTenant
		return a, nil
	}
	a.p = p
	return a, nil
}

// Tenant returns the tenant the Authorizer decides for.
func (a *Authorizer) Tenant() *tenantctx.Tenant { return a.t }

// Decide evaluates an arbitrary (resource type, resource) request.
func (a *Authorizer) Decide(resourceType, resource string) policy.Decision {
	if a.reason != "" {
		return policy.Decision{PolicyID: a.p.ID(), Rule: -1, Effect: policy.Deny, Reason: a.reason}
	}
	return a.p.Evaluate(a.t, resourceType, resource)
}

// Tool decides whether the tenant may call (or see) the MCP tool name.
// Names rejected by ValidToolName are denied.
func (a *Authorizer) Tool(ctx context.Context, name string) policy.Decision {
	var d policy.Decision
	resource := a.g.resourceFor(name)
	if !ValidToolName(name) {
		d = policy.Decision{PolicyID: a.p.ID(), Rule: -1, Effect: policy.Deny, Reason: ReasonInvalidToolName}
	} else {
		d = a.Decide(policy.ResourceTypeTool, resource)
	}
	if a.g.onDecision != nil {
		a.g.onDecision(ctx, a.t, policy.ResourceTypeTool, resource, d)
	}
	return d
}

// ToolAllowed is Tool(...).Allowed, for filtering tool lists.
func (a *Authorizer) ToolAllowed(ctx context.Context, name string) bool {
	return a.Tool(ctx, name).Allowed
}

// DecideTool is a one-shot [Gateway.Authorizer] followed by
// [Authorizer.Tool]. A non-nil error means the request must be refused (no
// tenant, or ErrRegistry).
func (g *Gateway) DecideTool(ctx context.Context, t *tenantctx.Tenant, name string) (policy.Decision, error) {
	a, err := g.Authorizer(ctx, t)
	if err != nil {
		reason := policy.ReasonNoTenant
		if errors.Is(err, ErrRegistry) {
			reason = ReasonRegistry
		}
		return policy.Decision{Rule: -1, Effect: policy.Deny, Reason: reason}, err
	}
	return a.Tool(ctx, name), nil
}

// MaxBodyBytes returns the configured request body limit.
func (g *Gateway) MaxBodyBytes() int64 { return g.maxBody }
