package a2a

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Sentinel errors. Errors returned by this package wrap them, so callers
// test with [errors.Is]. None of the messages ever contains a token, a
// client secret or a tenant id.
var (
	// ErrInvalidConfig reports a constructor argument that is missing,
	// ambiguous or unsafe.
	ErrInvalidConfig = errors.New("a2a: invalid configuration")

	// ErrUnknownDestination reports a request to a scheme, host and port
	// that no [Destination] names, when the [Transport] is configured to
	// reject such requests (the default).
	ErrUnknownDestination = errors.New("a2a: destination not configured")

	// ErrInvalidHeaderValue reports a tenant field that cannot be sent as a
	// header value (bad tier or region charset). Tenant ids are checked
	// with [tenantctx.ValidateID] and wrap [tenantctx.ErrInvalidTenantID].
	ErrInvalidHeaderValue = errors.New("a2a: invalid tenant header value")

	// ErrTokenPassThrough reports that a token source returned the user's
	// own inbound token for a destination that does not set
	// [Destination.InsecureForwardUserToken].
	ErrTokenPassThrough = errors.New("a2a: refusing to forward the user's token to another audience")

	// ErrInvalidToken reports a token that cannot be sent as a bearer
	// credential (empty, wrong token type or characters outside RFC 6750
	// b64token).
	ErrInvalidToken = errors.New("a2a: invalid token")

	// ErrNoSubjectToken reports a tenant that carries no raw token to use
	// as the subject token of a token exchange.
	ErrNoSubjectToken = errors.New("a2a: tenant carries no subject token")

	// ErrSubjectTokenExpired reports a subject token whose own expiry has
	// passed; exchanging it would only produce an error at the server.
	ErrSubjectTokenExpired = errors.New("a2a: subject token expired")

	// ErrNoAudience reports a token exchange that names neither an audience
	// nor a resource: the issued token would not be bound to the next hop.
	ErrNoAudience = errors.New("a2a: token exchange needs an audience or a resource")

	// ErrInvalidRequest reports a malformed [ExchangeRequest] or
	// [ClientCredentialsRequest].
	ErrInvalidRequest = errors.New("a2a: invalid token request")

	// ErrInvalidResponse reports a token endpoint response that does not
	// follow RFC 6749 §5.1 / RFC 8693 §2.2.1, or that exceeds the size cap.
	ErrInvalidResponse = errors.New("a2a: invalid token response")
)

// ExchangeError is an error response of the token endpoint (RFC 6749 §5.2,
// used by RFC 8693 §2.2.2), or a non-200 status without a usable error
// body (Code is then empty).
//
// Description and URI come from the authorization server. They are
// sanitized before they are stored: characters outside the RFC 6749
// charset are replaced, the values are truncated, and anything that looks
// like a token (including the tokens and the client secret of the request)
// is replaced by "[redacted]".
type ExchangeError struct {
	// Code is the "error" member, for example "invalid_grant",
	// "invalid_client" or "invalid_target". Empty when the response
	// carried no valid error code.
	Code string
	// Description is the sanitized "error_description" member.
	Description string
	// URI is the sanitized "error_uri" member.
	URI string
	// StatusCode is the HTTP status of the response.
	StatusCode int
}

// Error implements error.
func (e *ExchangeError) Error() string {
	var b strings.Builder
	b.WriteString("a2a: token endpoint error")
	if e.Code != "" {
		b.WriteString(": ")
		b.WriteString(e.Code)
	}
	b.WriteString(" (status ")
	b.WriteString(strconv.Itoa(e.StatusCode))
	b.WriteString(")")
	if e.Description != "" {
		b.WriteString(": ")
		b.WriteString(e.Description)
	}
	return b.String()
}

// responseError builds the error for a response that failed validation.
// what names the offending member; the value itself is never included.
func responseError(what string) error {
	return fmt.Errorf("%w: %s", ErrInvalidResponse, what)
}

func configError(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...)
}
