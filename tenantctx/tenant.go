package tenantctx

import (
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"
)

// Tenant is the verified identity of one request: which tenant it belongs to,
// which end user made it, what that user may do, and who acts on the user's
// behalf. A *Tenant produced by a [Verifier] comes only from a token whose
// signature, issuer, audience, type and lifetime were checked.
//
// A Tenant is immutable once it is in a context: code must not modify the
// slices or fields of a Tenant it obtained from [FromContext]. It is safe for
// concurrent use by multiple goroutines.
//
// The raw token is kept so that it can be exchanged for a token bound to the
// next hop (RFC 8693), but it is never printed: [Tenant.String],
// [Tenant.Format] and [Tenant.LogValue] omit it, and a Tenant value (not a
// pointer) printed with any fmt verb or logged by slog shows neither the
// token nor the raw claims.
type Tenant struct {
	// ID is the tenant identifier, always valid under [ValidateID].
	ID string
	// Tier is the tenant's service tier (for example "basic" or "premium"); may be empty.
	Tier string
	// Subject is the end user (the token's "sub").
	Subject string
	// Scopes are the OAuth scopes granted to the token.
	Scopes []string
	// Entitlements are feature flags or entitlements granted to the tenant or user.
	Entitlements []string
	// Region is the tenant's home region, if the token names one.
	Region string
	// Issuer is the token's "iss".
	Issuer string
	// Audience is the token's "aud".
	Audience []string
	// ExpiresAt is the token's "exp". Zero for a Tenant built without a token.
	ExpiresAt time.Time
	// IssuedAt is the token's "iat", if present.
	IssuedAt time.Time
	// Actor is the current actor from the RFC 8693 "act" claim: the party
	// acting on behalf of Subject. Its own Actor field holds the previous
	// actor, and so on. Nil when nobody acts on the subject's behalf.
	Actor *Actor

	// secret holds the raw token and claims two pointers away. A Tenant
	// value has none of the *Tenant formatting methods, so fmt prints it
	// field by field; it prints a pointer to a pointer as a bare address
	// for every verb and at every depth, including the bad-verb path
	// ("%s" of a pointer), which prints a pointer to a struct with its
	// contents. DeepEqual still compares the contents.
	secret **tenantSecret
}

// tenantSecret is what formatting of a Tenant must never reveal.
type tenantSecret struct {
	token  string
	claims map[string]any
}

func newTenantSecret(tok string, claims map[string]any) **tenantSecret {
	s := &tenantSecret{token: tok, claims: claims}
	return &s
}

// sec returns t's token and claims, or nil.
func (t *Tenant) sec() *tenantSecret {
	if t == nil || t.secret == nil {
		return nil
	}
	return *t.secret
}

// Actor is one link of an RFC 8693 delegation chain (the "act" claim).
type Actor struct {
	// Subject is the actor's "sub".
	Subject string
	// Issuer is the actor's "iss", if present.
	Issuer string
	// ClientID is the actor's "client_id", if present.
	ClientID string
	// Actor is the prior actor in the chain, or nil.
	Actor *Actor
}

// DelegationChain returns the actors from the current one (the party calling
// now) to the first one that acted for the subject. It returns nil when
// there is no "act" claim.
func (t *Tenant) DelegationChain() []Actor {
	if t == nil {
		return nil
	}
	var chain []Actor
	for a := t.Actor; a != nil; a = a.Actor {
		chain = append(chain, Actor{Subject: a.Subject, Issuer: a.Issuer, ClientID: a.ClientID})
	}
	return chain
}

// HasScope reports whether the tenant's token grants scope s.
func (t *Tenant) HasScope(s string) bool {
	return t != nil && slices.Contains(t.Scopes, s)
}

// HasEntitlement reports whether the tenant has entitlement or feature flag e.
func (t *Tenant) HasEntitlement(e string) bool {
	return t != nil && slices.Contains(t.Entitlements, e)
}

// Claim returns the verified claim name from the token, for claims that
// Tenant has no field for. Values have the types encoding/json produces
// (string, float64 or json.Number, bool, []any, map[string]any). The caller
// must not modify a returned map or slice.
func (t *Tenant) Claim(name string) (any, bool) {
	sec := t.sec()
	if sec == nil {
		return nil, false
	}
	v, ok := sec.claims[name]
	return v, ok
}

// Claims returns a shallow copy of all verified claims of the token, or nil
// for a Tenant built without a token.
func (t *Tenant) Claims() map[string]any {
	sec := t.sec()
	if sec == nil || sec.claims == nil {
		return nil
	}
	return maps.Clone(sec.claims)
}

// Token returns the raw bearer token this Tenant was verified from, for use
// as the subject token of an RFC 8693 token exchange. It is empty for a
// Tenant built without a token. Never log it and never forward it to another
// audience.
func (t *Tenant) Token() string {
	sec := t.sec()
	if sec == nil {
		return ""
	}
	return sec.token
}

// WithToken returns a shallow copy of t that carries the raw token tok and
// the verified claims of that token. It is meant for verifiers and test kits
// that build a Tenant themselves; claims may be nil. The map is not copied:
// the caller must not modify it afterwards. A nil t yields a Tenant with
// only the token and claims set.
func (t *Tenant) WithToken(tok string, claims map[string]any) *Tenant {
	var c Tenant
	if t != nil {
		c = *t
	}
	c.secret = newTenantSecret(tok, claims)
	return &c
}

// String returns a short description of the tenant, without the token.
func (t *Tenant) String() string {
	if t == nil {
		return "<nil>"
	}
	s := "tenant " + t.ID
	if t.Tier != "" {
		s += " tier " + t.Tier
	}
	if t.Subject != "" {
		s += " subject " + t.Subject
	}
	if t.Actor != nil {
		s += " actor " + t.Actor.Subject
	}
	return s
}

// Format implements fmt.Formatter so that every verb, including %v, %+v and
// %#v, prints the same token-free description as [Tenant.String].
func (t *Tenant) Format(f fmt.State, verb rune) {
	_, _ = fmt.Fprint(f, t.String())
}

// LogValue implements slog.LogValuer. The token and the raw claims are
// never part of the log record.
func (t *Tenant) LogValue() slog.Value {
	if t == nil {
		return slog.StringValue("<nil>")
	}
	attrs := []slog.Attr{slog.String("id", t.ID)}
	if t.Tier != "" {
		attrs = append(attrs, slog.String("tier", t.Tier))
	}
	if t.Subject != "" {
		attrs = append(attrs, slog.String("subject", t.Subject))
	}
	if t.Issuer != "" {
		attrs = append(attrs, slog.String("issuer", t.Issuer))
	}
	if t.Actor != nil {
		attrs = append(attrs, slog.String("actor", t.Actor.Subject))
	}
	return slog.GroupValue(attrs...)
}

var (
	_ fmt.Stringer   = (*Tenant)(nil)
	_ fmt.Formatter  = (*Tenant)(nil)
	_ slog.LogValuer = (*Tenant)(nil)
)
