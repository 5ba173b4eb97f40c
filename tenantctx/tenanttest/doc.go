// Package tenanttest helps test code that relies on [tenantctx]: an
// in-process OpenID provider that mints real tokens, and helpers that put a
// Tenant into a context without any token.
//
// # Issuer
//
// [NewIssuer] starts an httptest server on 127.0.0.1 that serves
// /.well-known/openid-configuration and a JWKS with RSA, ECDSA P-256 and
// Ed25519 keys. [Issuer.Mint] signs tokens for any [Claims], including
// hostile ones (alg "none", duplicate members, foreign keys, ...);
// [Issuer.Verifier] returns a [tenantctx.Verifier] that trusts the issuer;
// [Issuer.NewRequest] builds an authenticated request; [Issuer.Rotate],
// [Issuer.SetDown] and [Issuer.JWKSFetches] exercise key rotation, IdP
// outages and fetch counts.
//
// # Without tokens
//
// [Context] and [NewTenant] build a Tenant directly, for unit tests of
// handlers and stores that only read [tenantctx.FromContext].
package tenanttest
