package stsx

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/tenantkit/tenantkit/tenantctx"
)

// Mode selects the STS operation a [Provider] calls.
type Mode int

const (
	// ModeAssumeRole calls AssumeRole with session tags derived from the
	// tenant. It is the default.
	ModeAssumeRole Mode = iota
	// ModeWebIdentity calls AssumeRoleWithWebIdentity with the tenant's
	// token (or one from [Config.WebIdentityToken]); the principal tags come
	// from the token's claims, so no session tags are sent.
	ModeWebIdentity
)

// String returns the STS operation name of m.
func (m Mode) String() string {
	switch m {
	case ModeAssumeRole:
		return "AssumeRole"
	case ModeWebIdentity:
		return "AssumeRoleWithWebIdentity"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Defaults applied by [New] to zero fields of [Config].
const (
	DefaultTenantTagKey   = "TenantID"
	DefaultMaxEntries     = 10_000
	DefaultRefreshWindow  = 5 * time.Minute
	DefaultRefreshJitter  = time.Minute
	DefaultRefreshTimeout = 30 * time.Second
	DefaultErrorBackoff   = time.Second

	// MaxErrorBackoff bounds [Config.ErrorBackoff]: a failure is never
	// remembered for longer.
	MaxErrorBackoff = time.Minute
	// MinDuration and MaxDuration bound [Config.Duration] (AWS's limits
	// for AssumeRole; the role's maximum session duration may be lower).
	MinDuration = 15 * time.Minute
	MaxDuration = 12 * time.Hour

	maxPolicyLen   = 2048
	minExternalID  = 2
	maxExternalID  = 1224
	minRoleARNLen  = 20
	maxRoleARNLen  = 2048
	maxWebTokenLen = 20000
)

// TagSource derives one session tag from a tenant.
type TagSource struct {
	// Key is the tag key, validated by [New] (see [ValidateTagKey]).
	Key string
	// Value returns the tag value for t. An empty value omits the tag from
	// the call. A value that breaks AWS's limits fails the call with a
	// *[TagError] before STS is contacted. Value must be cheap, must not
	// allocate and must be a pure function of t: it runs on every cache
	// lookup.
	Value func(t *tenantctx.Tenant) string
}

// TierTag returns a TagSource that sends Tenant.Tier under key.
func TierTag(key string) TagSource {
	return TagSource{Key: key, Value: func(t *tenantctx.Tenant) string { return t.Tier }}
}

// SubjectTag returns a TagSource that sends Tenant.Subject (the end user)
// under key.
func SubjectTag(key string) TagSource {
	return TagSource{Key: key, Value: func(t *tenantctx.Tenant) string { return t.Subject }}
}

// ClaimTag returns a TagSource that sends the verified string claim named
// claim under key; the tag is omitted when the claim is absent or not a
// string.
func ClaimTag(key, claim string) TagSource {
	return TagSource{Key: key, Value: func(t *tenantctx.Tenant) string {
		v, _ := t.Claim(claim)
		s, _ := v.(string)
		return s
	}}
}

// SubjectSourceIdentity is a [Config.SourceIdentity] that uses the
// tenant's subject (the end user) as the source identity.
func SubjectSourceIdentity(t *tenantctx.Tenant) string { return t.Subject }

// Config configures a [Provider]. Zero fields take the documented
// defaults.
type Config struct {
	// RoleARN is the role to assume. Required.
	RoleARN string
	// Mode is [ModeAssumeRole] (default) or [ModeWebIdentity].
	Mode Mode

	// TenantTagKey is the session tag that always carries Tenant.ID in
	// ModeAssumeRole. Default "TenantID".
	TenantTagKey string
	// Tags are further session tags derived from the tenant, for example
	// TierTag("Tier") and SubjectTag("User"). Only in ModeAssumeRole.
	Tags []TagSource
	// TransitiveTagKeys marks tags as transitive for role chaining. Each
	// must be TenantTagKey or a key of Tags; a key whose tag is omitted
	// (empty value) is left out of the call too.
	TransitiveTagKeys []string
	// SourceIdentity, when set, derives the source identity from the
	// tenant, typically [SubjectSourceIdentity]. A value that is not 2 to
	// 64 characters of [\w+=,.@-] fails the call with
	// [ErrInvalidSourceIdentity]; an empty value omits it. The role's trust
	// policy must allow sts:SetSourceIdentity. Only in ModeAssumeRole.
	SourceIdentity func(t *tenantctx.Tenant) string
	// SessionNamePrefix starts every role session name (at most 10
	// characters of [\w+=,.@-]). See [SessionName].
	SessionNamePrefix string
	// Duration is the requested session duration, whole seconds between
	// [MinDuration] and [MaxDuration]; zero leaves it to STS (one hour).
	Duration time.Duration
	// ExternalID is sent with every AssumeRole call when set (2 to 1224
	// characters of [\w+=,.@:/-]). Only in ModeAssumeRole.
	ExternalID string
	// SessionPolicy is an optional inline session policy (JSON, at most
	// 2048 characters) that further limits the session, for example with
	// ${aws:PrincipalTag/TenantID} conditions.
	SessionPolicy string
	// WebIdentityToken returns the token to present in ModeWebIdentity, for
	// example one exchanged for the STS audience. Nil means Tenant.Token().
	// It is called only when the cache needs a new credential. The cache
	// key always includes Tenant.Token(), so a tenant with a new token gets
	// a new credential.
	WebIdentityToken func(ctx context.Context, t *tenantctx.Tenant) (string, error)

	// MaxEntries bounds the cache; the least recently used entry is
	// evicted beyond it. Default 10,000.
	MaxEntries int
	// RefreshWindow is how long before expiry a credential is refreshed in
	// the background while callers keep receiving it. It is capped at half
	// a credential's lifetime. Default 5 minutes.
	RefreshWindow time.Duration
	// RefreshJitter adds a random extra lead of up to this much to each
	// credential's refresh time so that keys issued together do not all
	// refresh together. Capped at half of RefreshWindow. Default 1 minute.
	RefreshJitter time.Duration
	// RefreshTimeout bounds one STS call. Refreshes run detached from the
	// caller's cancellation, under this timeout. Default 30 seconds.
	RefreshTimeout time.Duration
	// ErrorBackoff is how long a failed refresh is remembered: callers for
	// the same key receive the same error instead of calling STS again.
	// Default 1 second, at most [MaxErrorBackoff].
	ErrorBackoff time.Duration
	// Now is the clock, for tests. When nil the provider uses time.Now and
	// returns a credential only while both its monotonic deadline (so a
	// wall clock stepped backwards cannot make an expired credential look
	// valid) and its wall-clock Expiration (so a monotonic clock that stood
	// still during a suspend cannot either) lie ahead.
	Now func() time.Time
}

func (c *Config) validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...)
	}
	if !strings.HasPrefix(c.RoleARN, "arn:") || len(c.RoleARN) < minRoleARNLen || len(c.RoleARN) > maxRoleARNLen {
		return bad("RoleARN must be an ARN of %d to %d characters", minRoleARNLen, maxRoleARNLen)
	}
	switch c.Mode {
	case ModeAssumeRole:
	case ModeWebIdentity:
		if len(c.Tags) > 0 || len(c.TransitiveTagKeys) > 0 || c.SourceIdentity != nil || c.ExternalID != "" {
			return bad("Tags, TransitiveTagKeys, SourceIdentity and ExternalID are not supported by AssumeRoleWithWebIdentity")
		}
	default:
		return bad("unknown mode %d", int(c.Mode))
	}
	if c.Mode != ModeWebIdentity && c.WebIdentityToken != nil {
		return bad("WebIdentityToken requires ModeWebIdentity")
	}
	if err := ValidateTagKey(c.TenantTagKey); err != nil {
		return fmt.Errorf("%w: TenantTagKey: %w", ErrInvalidConfig, err)
	}
	if 1+len(c.Tags) > MaxTags {
		return fmt.Errorf("%w: %w", ErrInvalidConfig, &TagError{Index: -1, Err: ErrTooManyTags, Reason: fmt.Sprintf("%d tags configured, at most %d allowed", 1+len(c.Tags), MaxTags)})
	}
	keys := []string{c.TenantTagKey}
	for i, t := range c.Tags {
		if err := validateTagKey(t.Key, i+1); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidConfig, err)
		}
		if t.Value == nil {
			return bad("tag %q has no Value function", t.Key)
		}
		for _, k := range keys {
			if strings.EqualFold(k, t.Key) {
				return fmt.Errorf("%w: %w", ErrInvalidConfig, &TagError{Key: t.Key, Index: i + 1, Err: ErrDuplicateTagKey, Reason: "keys are compared ignoring case"})
			}
		}
		keys = append(keys, t.Key)
	}
	if len(c.TransitiveTagKeys) > MaxTags {
		return fmt.Errorf("%w: %w", ErrInvalidConfig, &TagError{Index: -1, Err: ErrTooManyTags, Reason: "too many transitive keys"})
	}
	for i, tk := range c.TransitiveTagKeys {
		found := false
		for _, k := range keys {
			if k == tk {
				found = true
			}
		}
		if !found {
			return fmt.Errorf("%w: %w", ErrInvalidConfig, &TagError{Key: tk, Index: i, Err: ErrTagKey, Reason: "transitive key is not a configured tag key (case-sensitive)"})
		}
	}
	if len(c.SessionNamePrefix) > MaxSessionNamePrefixLen {
		return bad("SessionNamePrefix longer than %d characters", MaxSessionNamePrefixLen)
	}
	for i := 0; i < len(c.SessionNamePrefix); i++ {
		if !sessionRune(c.SessionNamePrefix[i]) {
			return bad("SessionNamePrefix has a character outside [\\w+=,.@-]")
		}
	}
	if c.Duration != 0 {
		if c.Duration < MinDuration || c.Duration > MaxDuration || c.Duration%time.Second != 0 {
			return bad("Duration must be whole seconds between %s and %s", MinDuration, MaxDuration)
		}
	}
	if c.ExternalID != "" {
		if len(c.ExternalID) < minExternalID || len(c.ExternalID) > maxExternalID {
			return bad("ExternalID must be %d to %d characters", minExternalID, maxExternalID)
		}
		for i := 0; i < len(c.ExternalID); i++ {
			if b := c.ExternalID[i]; !sessionRune(b) && b != ':' && b != '/' {
				return bad("ExternalID has a character outside [\\w+=,.@:/-]")
			}
		}
	}
	if c.SessionPolicy != "" {
		if len([]rune(c.SessionPolicy)) > maxPolicyLen {
			return bad("SessionPolicy longer than %d characters", maxPolicyLen)
		}
		if !json.Valid([]byte(c.SessionPolicy)) {
			return bad("SessionPolicy is not valid JSON")
		}
	}
	if c.MaxEntries < 0 {
		return bad("MaxEntries must not be negative")
	}
	if c.RefreshWindow < 0 || c.RefreshJitter < 0 || c.RefreshTimeout < 0 || c.ErrorBackoff < 0 {
		return bad("durations must not be negative")
	}
	if c.ErrorBackoff > MaxErrorBackoff {
		return bad("ErrorBackoff longer than %s", MaxErrorBackoff)
	}
	return nil
}

func (c *Config) setDefaults() {
	if c.TenantTagKey == "" {
		c.TenantTagKey = DefaultTenantTagKey
	}
	if c.MaxEntries == 0 {
		c.MaxEntries = DefaultMaxEntries
	}
	if c.RefreshWindow == 0 {
		c.RefreshWindow = DefaultRefreshWindow
	}
	if c.RefreshJitter == 0 {
		c.RefreshJitter = DefaultRefreshJitter
	}
	if c.RefreshJitter > c.RefreshWindow/2 {
		c.RefreshJitter = c.RefreshWindow / 2
	}
	if c.RefreshTimeout == 0 {
		c.RefreshTimeout = DefaultRefreshTimeout
	}
	if c.ErrorBackoff == 0 {
		c.ErrorBackoff = DefaultErrorBackoff
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}
