package stsx

import (
	"errors"
	"strconv"
	"time"
)

// Sentinel errors. Errors returned by this package wrap one of them; test
// with errors.Is.
var (
	// ErrInvalidConfig reports a [Config] that [New] rejects.
	ErrInvalidConfig = errors.New("stsx: invalid config")

	// ErrInvalidTag reports a session tag that breaks an AWS limit. The
	// error is a *[TagError] that also wraps one of the more specific
	// sentinels below.
	ErrInvalidTag = errors.New("stsx: invalid session tag")
	// ErrTooManyTags reports more than [MaxTags] session tags or more than
	// [MaxTags] transitive tag keys.
	ErrTooManyTags = errors.New("stsx: too many session tags")
	// ErrTagKey reports a tag key that is empty, longer than [MaxTagKeyLen]
	// characters, uses a character outside [\p{L}\p{Z}\p{N}_.:/=+\-@] or
	// starts with the reserved prefix "aws:".
	ErrTagKey = errors.New("stsx: invalid tag key")
	// ErrTagValue reports a tag value longer than [MaxTagValueLen]
	// characters, with a character outside [\p{L}\p{Z}\p{N}_.:/=+\-@] or not
	// valid UTF-8.
	ErrTagValue = errors.New("stsx: invalid tag value")
	// ErrDuplicateTagKey reports two tag keys that are equal ignoring case.
	ErrDuplicateTagKey = errors.New("stsx: duplicate tag key")

	// ErrInvalidSourceIdentity reports a source identity that is not 2 to
	// 64 characters of [\w+=,.@-].
	ErrInvalidSourceIdentity = errors.New("stsx: invalid source identity")

	// ErrNoWebIdentityToken reports that web-identity mode found no token
	// for the tenant.
	ErrNoWebIdentityToken = errors.New("stsx: no web identity token")

	// ErrFetch reports that STS did not issue credentials. The error is a
	// *[FetchError] that also wraps the SDK's error (for example a
	// smithy.APIError with code "Throttling" or "AccessDenied").
	ErrFetch = errors.New("stsx: cannot get credentials from sts")

	// ErrInvalidResponse reports an STS answer without keys or with an
	// expiration that has already passed.
	ErrInvalidResponse = errors.New("stsx: invalid sts response")

	// ErrWrappedInCache reports that the context-based [Provider] was
	// called from inside an aws.CredentialsCache. Such a cache is not keyed
	// by tenant and would hand one tenant's credentials to every other
	// tenant, so the provider refuses to run there. See the package
	// documentation.
	ErrWrappedInCache = errors.New("stsx: provider must not be wrapped in aws.CredentialsCache")
)

// TagError reports a session tag that AWS would reject, detected before any
// call is made. It never contains the offending value, which may come from
// a token.
type TagError struct {
	// Key is the tag key (configuration, not user data). For an invalid key
	// it is empty when the key itself is unprintable.
	Key string
	// Index is the position of the tag in the request, or -1.
	Index int
	// Err is the specific sentinel: [ErrTooManyTags], [ErrTagKey],
	// [ErrTagValue] or [ErrDuplicateTagKey].
	Err error
	// Reason says what exactly is wrong, in a few words.
	Reason string
}

// Error implements error.
func (e *TagError) Error() string {
	s := e.Err.Error()
	if e.Key != "" {
		s += " " + strconv.Quote(e.Key)
	}
	if e.Index >= 0 {
		s += " (tag " + strconv.Itoa(e.Index) + ")"
	}
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// Unwrap returns [ErrInvalidTag] and the specific sentinel.
func (e *TagError) Unwrap() []error { return []error{ErrInvalidTag, e.Err} }

// FetchError reports that STS did not issue credentials for a tenant.
// While the cache backs off after a failure, later callers for the same key
// receive the same *FetchError until RetryAt.
type FetchError struct {
	// TenantID is the tenant the call was made for.
	TenantID string
	// Op is "AssumeRole" or "AssumeRoleWithWebIdentity".
	Op string
	// RetryAt is when the cache will call STS again for this key.
	RetryAt time.Time
	// Err is the underlying error from the SDK.
	Err error
}

// Error implements error.
func (e *FetchError) Error() string {
	return "stsx: " + e.Op + " for tenant " + strconv.Quote(e.TenantID) + ": " + e.Err.Error()
}

// Unwrap returns [ErrFetch] and the underlying error.
func (e *FetchError) Unwrap() []error { return []error{ErrFetch, e.Err} }
