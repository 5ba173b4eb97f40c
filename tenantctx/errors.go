package tenantctx

import (
	"errors"
	"fmt"
)

// Errors returned by [Verifier.VerifyToken], [Verifier.Verify] and the
// [Middleware]. They are wrapped with additional context; test for them with
// [errors.Is]. No error message ever contains token contents.
var (
	// ErrNoToken reports a request without a bearer token.
	ErrNoToken = errors.New("tenantctx: no bearer token")
	// ErrInvalidRequest reports a malformed authentication request: more
	// than one Authorization header, a scheme other than Bearer, an empty
	// credential or a token sent by more than one method (RFC 6750 §3.1).
	ErrInvalidRequest = errors.New("tenantctx: invalid authentication request")
	// ErrMalformedToken reports a token that is not a compact JWS with
	// exactly three base64url segments holding JSON objects.
	ErrMalformedToken = errors.New("tenantctx: malformed token")
	// ErrTokenTooLarge reports a token longer than Config.MaxTokenSize.
	ErrTokenTooLarge = errors.New("tenantctx: token too large")
	// ErrDuplicateMember reports a JSON member name that occurs twice in
	// one object of the token header or claims, a claim-spoofing attempt.
	ErrDuplicateMember = errors.New("tenantctx: duplicate json member")
	// ErrAlgorithmNotAllowed reports "alg": "none", an algorithm outside
	// Config.Algorithms, or an algorithm that does not match the key's type.
	ErrAlgorithmNotAllowed = errors.New("tenantctx: algorithm not allowed")
	// ErrUnsupportedCritical reports a "crit" header; no JWS extension is
	// understood, so every critical extension is unknown (RFC 7515 §4.1.11).
	ErrUnsupportedCritical = errors.New("tenantctx: unsupported critical header")
	// ErrTokenKeyLocation reports a header that points at its own key
	// ("jku", "x5u", "jwk" or "x5c"); keys come only from configuration.
	ErrTokenKeyLocation = errors.New("tenantctx: token supplies its own key")
	// ErrInvalidType reports a "typ" header that is not an accepted type
	// (by default "at+jwt" or "application/at+jwt", RFC 9068).
	ErrInvalidType = errors.New("tenantctx: invalid token type")
	// ErrUnknownIssuer reports an "iss" that is missing or not configured.
	ErrUnknownIssuer = errors.New("tenantctx: unknown issuer")
	// ErrInvalidAudience reports an "aud" that names none of the configured audiences.
	ErrInvalidAudience = errors.New("tenantctx: invalid audience")
	// ErrUnknownKey reports a "kid" that is in none of the issuer's keys,
	// even after the rate-limited refetch.
	ErrUnknownKey = errors.New("tenantctx: unknown signing key")
	// ErrKeySetUnavailable reports that an issuer's JWKS could not be fetched
	// and no key (not even a stale one within Config.JWKS.StalePeriod) is left.
	ErrKeySetUnavailable = errors.New("tenantctx: key set unavailable")
	// ErrInvalidSignature reports a signature that does not verify.
	ErrInvalidSignature = errors.New("tenantctx: invalid signature")
	// ErrMissingExpiry reports a token without a numeric "exp" claim.
	ErrMissingExpiry = errors.New("tenantctx: token has no expiry")
	// ErrTokenExpired reports a token whose "exp" is in the past, beyond the leeway.
	ErrTokenExpired = errors.New("tenantctx: token expired")
	// ErrTokenNotYetValid reports an "nbf" or "iat" in the future, beyond the leeway.
	ErrTokenNotYetValid = errors.New("tenantctx: token not yet valid")
	// ErrInvalidClaim reports a registered claim with the wrong JSON type
	// (for example a numeric "sub" or an "aud" object) or a missing "sub".
	ErrInvalidClaim = errors.New("tenantctx: invalid claim")
	// ErrIssuerTenant reports a token whose issuer is not allowed to
	// assert its tenant (see [IssuerConfig.Tenants]). It wraps
	// [ErrInvalidTenantID].
	ErrIssuerTenant = fmt.Errorf("%w: issuer may not assert this tenant", ErrInvalidTenantID)
	// ErrMissingTenant reports a token without the configured tenant claim.
	// Malformed tenant claims (wrong type, unsafe characters) wrap
	// [ErrInvalidTenantID] instead.
	ErrMissingTenant = errors.New("tenantctx: token has no tenant claim")
	// ErrInvalidActor reports a malformed "act" claim or a delegation chain
	// deeper than Config.MaxActorDepth.
	ErrInvalidActor = errors.New("tenantctx: invalid actor claim")
	// ErrTenantMismatch reports a tenant header (X-Tenant-ID by default)
	// that differs from the token's tenant.
	ErrTenantMismatch = errors.New("tenantctx: tenant header does not match token")
	// ErrInsufficientScope reports a token that lacks a scope the handler requires.
	ErrInsufficientScope = errors.New("tenantctx: insufficient scope")
	// ErrVerifierClosed reports use of a [Verifier] after [Verifier.Close].
	ErrVerifierClosed = errors.New("tenantctx: verifier closed")
)
