package tenantctx

import "context"

type ctxKey struct{}

// NewContext returns a copy of ctx that carries t. A nil t yields a context
// without a tenant.
func NewContext(ctx context.Context, t *Tenant) context.Context {
	if t == nil {
		return context.WithValue(ctx, ctxKey{}, (*Tenant)(nil))
	}
	return context.WithValue(ctx, ctxKey{}, t)
}

// FromContext returns the Tenant stored in ctx by [NewContext] or by the
// middleware. ok is false when ctx carries no tenant.
func FromContext(ctx context.Context) (t *Tenant, ok bool) {
	t, _ = ctx.Value(ctxKey{}).(*Tenant)
	return t, t != nil
}

// Require is like [FromContext] but returns [ErrNoTenant] instead
// of a boolean, for code that should fail closed with an error.
func Require(ctx context.Context) (*Tenant, error) {
	t, ok := FromContext(ctx)
	if !ok {
		return nil, ErrNoTenant
	}
	return t, nil
}
