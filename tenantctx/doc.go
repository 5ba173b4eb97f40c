// Package tenantctx carries a verified tenant through a request.
//
// A [Tenant] describes who a request belongs to: the tenant, its tier, the
// end user, scopes, entitlements and the RFC 8693 delegation chain. It is
// put into a [context.Context] with [NewContext] and read back with
// [FromContext]. Every other tenantkit package reads the tenant from there
// and fails closed with [ErrNoTenant] when it is absent.
//
// # Verifying tokens
//
// A [Verifier], built by [NewVerifier] from a [Config], turns a bearer
// token into a Tenant with [Verifier.VerifyToken] (or [Verifier.Verify] for
// an *http.Request). It accepts only compact JWS access tokens that pass
// every check below; each failure wraps a sentinel error for [errors.Is]:
//
//   - exactly three canonical base64url segments (no padding, no stray
//     bits, no characters a decoder would skip), at most
//     Config.MaxTokenSize bytes ([ErrMalformedToken], [ErrTokenTooLarge]);
//   - header and claims are JSON objects without duplicate member names at
//     any depth, compared after unescaping ([ErrDuplicateMember]);
//   - "alg" in Config.Algorithms, never "none", HS* only with
//     Config.AllowHMAC, and the key's type must fit it
//     ([ErrAlgorithmNotAllowed]);
//   - no "crit" ([ErrUnsupportedCritical]) and no token-supplied key
//     ("jku", "x5u", "jwk", "x5c": [ErrTokenKeyLocation]);
//   - "typ" is "at+jwt" or "application/at+jwt" (RFC 9068) unless
//     configured otherwise ([ErrInvalidType]);
//   - "iss" names a configured issuer, checked before any key lookup or
//     fetch ([ErrUnknownIssuer]); "aud" names a configured audience
//     ([ErrInvalidAudience]);
//   - the signature verifies with the issuer's key named by "kid"
//     ([ErrUnknownKey], [ErrInvalidSignature]);
//   - "exp" present and not passed, "nbf" and "iat" not in the future,
//     all within Config.Leeway ([ErrMissingExpiry], [ErrTokenExpired],
//     [ErrTokenNotYetValid]);
//   - the tenant claim (Config.Claims.Tenant: "tenant_id", Cognito's
//     "custom:tenant_id" or a nested path) is present and passes
//     [ValidateID] ([ErrMissingTenant], [ErrInvalidTenantID]), and is one
//     the issuer may assert when [IssuerConfig].Tenants is set
//     ([ErrIssuerTenant]);
//   - the "act" chain is well formed and no deeper than
//     Config.MaxActorDepth ([ErrInvalidActor]).
//
// # Keys
//
// Keys come from static configuration ([StaticKey]) or from JWKS URLs. A
// key set is fetched on first use and cached for the response's
// Cache-Control max-age, bounded by [JWKSConfig] MinTTL and MaxTTL; it is
// refreshed ahead of expiry in the background while requests keep using
// the current keys. An unknown "kid" triggers a refetch at most once per
// MinInterval: callers that need the result join the one running fetch,
// others fail at once with [ErrUnknownKey] instead of queueing. If the IdP
// is down, the last good keys keep serving for StalePeriod past their TTL;
// after that verification fails closed with [ErrKeySetUnavailable].
// Response bodies are capped at MaxBodySize and redirects are refused.
//
// # Verified-token cache
//
// Verified tokens are cached, keyed by a seeded 64-bit hash of the token;
// each entry stores the full token, compared in constant time, so a hash
// collision can never return another token's Tenant. Entries expire at
// the token's "exp" or after TokenCacheConfig.TTL, whichever is first, and
// the cache is bounded by TokenCacheConfig.Size. Concurrent first sightings
// of one token are verified once. A cache hit in [Verifier.Verify] does not
// allocate; [Middleware] adds only the new context and request (2
// allocations, see BenchmarkMiddleware/cached).
//
// # HTTP middleware
//
// [Middleware] verifies each request and calls the next handler with the
// Tenant in the request context. It follows RFC 6750: exactly one
// Authorization header with a case-insensitive "Bearer" scheme, query
// tokens only with [AllowQueryToken], 401 with
// WWW-Authenticate: Bearer error="invalid_token" for a bad token, 400
// invalid_request for a malformed request, 403 insufficient_scope for a
// scope missing from [RequireScopes]. A request whose X-Tenant-ID header
// (see [WithTenantHeader]; its name matched in any letter case, '_' for
// '-') differs from the token's tenant, or occurs more than once, gets
// 403: headers never override claims. [WriteError] writes a small JSON body
// that never contains token contents; [WithErrorHandler] replaces it. The
// middleware sets tenant.id, tenant.tier and enduser.id on the current
// OpenTelemetry span.
//
// # Testing
//
// Package [github.com/tenantkit/tenantkit/tenantctx/tenanttest] provides an
// in-process issuer with real keys and a JWKS endpoint, token minting
// (including hostile tokens) and helpers that put a Tenant into a context
// without a token.
package tenantctx
