// Package tenantctx carries a verified tenant through a request.
//
// A [Tenant] describes who a request belongs to: the tenant, its tier, the
// end user, scopes, entitlements and the RFC 8693 delegation chain. It is
// put into a [context.Context] with [NewContext] and read back with
// [FromContext]. Every other tenantkit package reads the tenant from there
// and fails closed with [ErrNoTenant] when it is absent.
package tenantctx
