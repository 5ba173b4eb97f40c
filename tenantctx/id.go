package tenantctx

import (
	"errors"
	"fmt"
)

// MaxIDLen is the longest tenant id [ValidateID] accepts.
const MaxIDLen = 64

// ErrNoTenant reports that a context carries no verified tenant.
var ErrNoTenant = errors.New("tenantctx: no tenant in context")

// ErrInvalidTenantID reports a tenant id outside the safe charset or length.
// Errors from [ValidateID] wrap it.
var ErrInvalidTenantID = errors.New("tenantctx: invalid tenant id")

// ValidateID reports whether id is a safe tenant id: 1 to [MaxIDLen] bytes
// of ASCII letters, digits, '_' and '-', starting with a letter or digit.
// Such an id can be used verbatim in a header, a namespace, an AWS session
// tag or a role session name: it contains no separator ('/', ':', '.'), no
// white space, no control character and nothing outside ASCII.
//
// The returned error wraps [ErrInvalidTenantID] and never contains id itself.
func ValidateID(id string) error {
	if len(id) == 0 {
		return fmt.Errorf("%w: empty", ErrInvalidTenantID)
	}
	if len(id) > MaxIDLen {
		return fmt.Errorf("%w: longer than %d bytes", ErrInvalidTenantID, MaxIDLen)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case (c == '_' || c == '-') && i > 0:
		default:
			return fmt.Errorf("%w: byte %d not allowed", ErrInvalidTenantID, i)
		}
	}
	return nil
}
