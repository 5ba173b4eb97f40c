package memoryns

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/tenantkit/tenantkit/tenantctx"
)

// Length limits of the ids that make up a namespace. They are chosen so that
// every id, every composite actor id and every namespace this package builds
// is accepted by Amazon Bedrock AgentCore Memory: memoryStrategyId and
// sessionId allow 1 to 100 characters, actorId 1 to 255 and a namespace 1 to
// 1024.
const (
	// MaxStrategyIDLen is the longest strategy id accepted (AgentCore
	// memoryStrategyId: 100).
	MaxStrategyIDLen = 100
	// MaxTenantIDLen is the longest tenant id accepted; it equals
	// [tenantctx.MaxIDLen].
	MaxTenantIDLen = tenantctx.MaxIDLen
	// MaxUserIDLen is the longest user id accepted. A composite actor id
	// "tenant:user" is therefore at most 64+1+128 = 193 bytes, below
	// AgentCore's actorId limit of 255.
	MaxUserIDLen = 128
	// MaxSessionIDLen is the longest session id accepted (AgentCore
	// sessionId: 100).
	MaxSessionIDLen = 100
	// MaxKeywordLen is the longest keyword a [Template] may use.
	MaxKeywordLen = 32
	// MaxNamespaceLen is the longest namespace string [Scheme.Parse]
	// accepts (AgentCore namespace: 1024). Namespaces built by this package
	// are never longer than 500 bytes.
	MaxNamespaceLen = 1024
)

// ErrInvalidID reports an id outside the safe charset or length. Every
// [*IDError] wraps it.
var ErrInvalidID = errors.New("memoryns: invalid id")

// Reason says why an id was rejected.
type Reason uint8

// Reasons an id is rejected, in the order they are checked.
const (
	// ReasonEmpty: the id is empty.
	ReasonEmpty Reason = iota + 1
	// ReasonTooLong: the id exceeds the limit for its level.
	ReasonTooLong
	// ReasonLeadingChar: the id starts with '-' or '_'.
	ReasonLeadingChar
	// ReasonSeparator: the id contains a namespace or actor separator ('/' or ':').
	ReasonSeparator
	// ReasonDot: the id contains '.', so "." and ".." can never be a segment.
	ReasonDot
	// ReasonWhitespace: the id contains a space, tab or line break.
	ReasonWhitespace
	// ReasonControl: the id contains another ASCII control character.
	ReasonControl
	// ReasonNonASCII: the id contains a byte >= 0x80. Ids are ASCII only, so
	// Unicode normalization and look-alike characters cannot matter.
	ReasonNonASCII
	// ReasonDisallowed: the id contains another character outside
	// [A-Za-z0-9_-] (for example '*', '?', '$', '{', '%' or '\').
	ReasonDisallowed
)

var reasonText = [...]string{
	ReasonEmpty:       "empty",
	ReasonTooLong:     "too long",
	ReasonLeadingChar: "must start with a letter or digit",
	ReasonSeparator:   "contains a separator",
	ReasonDot:         "contains '.'",
	ReasonWhitespace:  "contains white space",
	ReasonControl:     "contains a control character",
	ReasonNonASCII:    "contains a non-ASCII byte",
	ReasonDisallowed:  "contains a disallowed character",
}

// String returns a short description of r.
func (r Reason) String() string {
	if int(r) < len(reasonText) && reasonText[r] != "" {
		return reasonText[r]
	}
	return "reason(" + strconv.Itoa(int(r)) + ")"
}

// IDError reports an invalid id. It wraps [ErrInvalidID]. Its message never
// contains the id itself, which may be hostile or personal data.
type IDError struct {
	// Level names the id: LevelStrategy for a strategy id, LevelTenant for
	// a tenant id, LevelUser for a user id and LevelSession for a session id.
	Level Level
	// Reason says what is wrong with the id.
	Reason Reason
	// Pos is the byte offset of the first offending byte, or -1 when the
	// reason concerns the whole id (empty, too long).
	Pos int
}

// Error implements error.
func (e *IDError) Error() string {
	s := "memoryns: invalid " + e.Level.String() + " id: " + e.Reason.String()
	if e.Reason == ReasonTooLong {
		s += " (max " + strconv.Itoa(maxIDLen(e.Level)) + " bytes)"
	}
	if e.Pos >= 0 {
		s += " at byte " + strconv.Itoa(e.Pos)
	}
	return s
}

// Unwrap returns [ErrInvalidID].
func (e *IDError) Unwrap() error { return ErrInvalidID }

func maxIDLen(l Level) int {
	switch l {
	case LevelStrategy:
		return MaxStrategyIDLen
	case LevelTenant:
		return MaxTenantIDLen
	case LevelUser:
		return MaxUserIDLen
	case LevelSession:
		return MaxSessionIDLen
	}
	return 0
}

// ValidateID reports whether id is a valid id for level (LevelStrategy,
// LevelTenant, LevelUser or LevelSession): 1 to the level's maximum length
// (see the Max…Len constants) of ASCII letters, digits, '_' and '-',
// starting with a letter or digit. This is the AgentCore Memory pattern for
// memoryStrategyId and sessionId, [a-zA-Z0-9][a-zA-Z0-9-_]*, and the
// [tenantctx.ValidateID] charset. Such an id contains no separator ('/',
// ':'), no '.', no white space, no control character and nothing outside
// ASCII. Ids are case-sensitive and compared byte for byte.
//
// The error is an [*IDError]; it never contains id.
func ValidateID(level Level, id string) error {
	max := maxIDLen(level)
	if max == 0 {
		return fmt.Errorf("%w: level %v has no id", ErrInvalidID, level)
	}
	return validateID(level, id, max)
}

func validateID(level Level, id string, max int) error {
	if id == "" {
		return &IDError{Level: level, Reason: ReasonEmpty, Pos: -1}
	}
	if len(id) > max {
		return &IDError{Level: level, Reason: ReasonTooLong, Pos: -1}
	}
	if id[0] == '-' || id[0] == '_' {
		return &IDError{Level: level, Reason: ReasonLeadingChar, Pos: 0}
	}
	for i := 0; i < len(id); i++ {
		if !idByte[id[i]] {
			return &IDError{Level: level, Reason: classify(id[i]), Pos: i}
		}
	}
	return nil
}

// idByte[c] reports whether c may occur in an id: [A-Za-z0-9_-].
var idByte = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_'
	}
	return t
}()

// classify names what is wrong with a byte outside [A-Za-z0-9_-].
func classify(c byte) Reason {
	switch {
	case c == '/' || c == ':':
		return ReasonSeparator
	case c == '.':
		return ReasonDot
	case c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r':
		return ReasonWhitespace
	case c < 0x20 || c == 0x7f:
		return ReasonControl
	case c >= 0x80:
		return ReasonNonASCII
	}
	return ReasonDisallowed
}

// ActorSeparator separates the tenant and the user in a composite actor id.
const ActorSeparator = ':'

// ActorID returns the composite actor id "tenantID:userID" used in pool
// mode, for example "tenant_123:user_456". Both ids are validated; since
// neither may contain ':', the result has exactly one separator and
// [ParseActorID] recovers both ids unambiguously. It is a valid AgentCore
// actorId.
func ActorID(tenantID, userID string) (string, error) {
	if err := validateID(LevelTenant, tenantID, MaxTenantIDLen); err != nil {
		return "", err
	}
	if err := validateID(LevelUser, userID, MaxUserIDLen); err != nil {
		return "", err
	}
	return tenantID + string(ActorSeparator) + userID, nil
}

// ParseActorID splits a composite actor id "tenantID:userID" and validates
// both parts. An actor id without ':' or with more than one is rejected,
// as is any id that [ActorID] would not have produced.
func ParseActorID(actorID string) (tenantID, userID string, err error) {
	if len(actorID) > MaxTenantIDLen+1+MaxUserIDLen {
		return "", "", fmt.Errorf("%w: actor id too long (max %d bytes)", ErrInvalidID, MaxTenantIDLen+1+MaxUserIDLen)
	}
	i := indexByte(actorID, ActorSeparator)
	if i < 0 {
		return "", "", fmt.Errorf("%w: actor id has no tenant separator", ErrInvalidID)
	}
	tenantID, userID = actorID[:i], actorID[i+1:]
	if err := validateID(LevelTenant, tenantID, MaxTenantIDLen); err != nil {
		return "", "", err
	}
	if err := validateID(LevelUser, userID, MaxUserIDLen); err != nil {
		return "", "", err
	}
	return tenantID, userID, nil
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}
