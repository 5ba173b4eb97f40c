package stsx

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/sts/types"
)

// AWS limits for session tags, session names and source identities.
const (
	// MaxTags is the largest number of session tags (and of transitive tag
	// keys) one AssumeRole call may carry.
	MaxTags = 50
	// MaxTagKeyLen is the longest tag key, in characters.
	MaxTagKeyLen = 128
	// MaxTagValueLen is the longest tag value, in characters.
	MaxTagValueLen = 256
	// MaxSessionNameLen is the longest role session name.
	MaxSessionNameLen = 64
	// MinSessionNameLen is the shortest role session name.
	MinSessionNameLen = 2
	// MaxSessionNamePrefixLen is the longest [Config.SessionNamePrefix].
	MaxSessionNamePrefixLen = 10
)

const (
	sessionHashLen   = 16 // base32 characters: 80 bits of SHA-256
	sessionTenantMax = 16
	reservedPrefix   = "aws:"
)

var sessionHashEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// tagRune reports whether r is allowed in a tag key or value:
// [\p{L}\p{Z}\p{N}_.:/=+\-@].
func tagRune(r rune) bool {
	switch r {
	case '_', '.', ':', '/', '=', '+', '-', '@':
		return true
	}
	return unicode.IsLetter(r) || unicode.Is(unicode.Z, r) || unicode.IsNumber(r)
}

// checkTagText checks s against the tag charset and a length limit in
// characters; it returns a reason or "".
func checkTagText(s string, maxLen int) string {
	if !utf8.ValidString(s) {
		return "not valid UTF-8"
	}
	n := 0
	for _, r := range s {
		n++
		if n > maxLen {
			return fmt.Sprintf("longer than %d characters", maxLen)
		}
		if !tagRune(r) {
			return "character outside [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]"
		}
	}
	return ""
}

// ValidateTagKey reports whether key is a valid session tag key: 1 to
// [MaxTagKeyLen] characters of [\p{L}\p{Z}\p{N}_.:/=+\-@], not starting with
// "aws:" in any case. The error is a *[TagError] wrapping [ErrTagKey].
func ValidateTagKey(key string) error {
	return validateTagKey(key, -1)
}

func validateTagKey(key string, idx int) error {
	if key == "" {
		return &TagError{Index: idx, Err: ErrTagKey, Reason: "empty"}
	}
	if reason := checkTagText(key, MaxTagKeyLen); reason != "" {
		return &TagError{Index: idx, Err: ErrTagKey, Reason: reason}
	}
	if len(key) >= len(reservedPrefix) && strings.EqualFold(key[:len(reservedPrefix)], reservedPrefix) {
		return &TagError{Key: key, Index: idx, Err: ErrTagKey, Reason: `reserved prefix "aws:"`}
	}
	return nil
}

// ValidateTagValue reports whether value is a valid session tag value: at
// most [MaxTagValueLen] characters of [\p{L}\p{Z}\p{N}_.:/=+\-@]. key only
// labels the error, a *[TagError] wrapping [ErrTagValue] that never
// contains the value.
func ValidateTagValue(key, value string) error {
	return validateTagValue(key, value, -1)
}

func validateTagValue(key, value string, idx int) error {
	if reason := checkTagText(value, MaxTagValueLen); reason != "" {
		return &TagError{Key: key, Index: idx, Err: ErrTagValue, Reason: reason}
	}
	return nil
}

// ValidateTags checks a complete set of session tags and transitive tag
// keys against AWS's limits before a call: at most [MaxTags] tags, every key
// and value valid (see [ValidateTagKey] and [ValidateTagValue]), no two
// keys equal ignoring case, every transitive key naming one of the tags.
// Nil keys or values are invalid. The error is a *[TagError].
func ValidateTags(tags []types.Tag, transitiveKeys []string) error {
	if len(tags) > MaxTags {
		return &TagError{Index: -1, Err: ErrTooManyTags, Reason: fmt.Sprintf("%d tags, at most %d allowed", len(tags), MaxTags)}
	}
	if len(transitiveKeys) > MaxTags {
		return &TagError{Index: -1, Err: ErrTooManyTags, Reason: fmt.Sprintf("%d transitive keys, at most %d allowed", len(transitiveKeys), MaxTags)}
	}
	for i, t := range tags {
		if t.Key == nil {
			return &TagError{Index: i, Err: ErrTagKey, Reason: "missing"}
		}
		if err := validateTagKey(*t.Key, i); err != nil {
			return err
		}
		if t.Value == nil {
			return &TagError{Key: *t.Key, Index: i, Err: ErrTagValue, Reason: "missing"}
		}
		if err := validateTagValue(*t.Key, *t.Value, i); err != nil {
			return err
		}
		for j := range i {
			if strings.EqualFold(*tags[j].Key, *t.Key) {
				return &TagError{Key: *t.Key, Index: i, Err: ErrDuplicateTagKey, Reason: "keys are compared ignoring case"}
			}
		}
	}
	for i, k := range transitiveKeys {
		found := false
		for _, t := range tags {
			if strings.EqualFold(*t.Key, k) {
				found = true
				break
			}
		}
		if !found {
			if err := validateTagKey(k, i); err != nil {
				return err
			}
			return &TagError{Key: k, Index: i, Err: ErrTagKey, Reason: "transitive key is not a session tag"}
		}
	}
	return nil
}

// sessionRune reports whether b is allowed in a role session name or
// source identity: [\w+=,.@-] with ASCII \w.
func sessionRune(b byte) bool {
	switch {
	case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		return true
	}
	switch b {
	case '_', '+', '=', ',', '.', '@', '-':
		return true
	}
	return false
}

// ValidateSourceIdentity reports whether s is a valid source identity: 2 to
// 64 characters of [\w+=,.@-] (which also rules out the reserved prefix
// "aws:"). The error wraps [ErrInvalidSourceIdentity] and never contains s.
func ValidateSourceIdentity(s string) error {
	if len(s) < MinSessionNameLen || len(s) > MaxSessionNameLen {
		return fmt.Errorf("%w: must be %d to %d characters", ErrInvalidSourceIdentity, MinSessionNameLen, MaxSessionNameLen)
	}
	for i := 0; i < len(s); i++ {
		if !sessionRune(s[i]) {
			return fmt.Errorf("%w: character outside [\\w+=,.@-] at byte %d", ErrInvalidSourceIdentity, i)
		}
	}
	return nil
}

// SessionName returns the role session name for a tenant and user:
// deterministic, always 2 to 64 characters of [\w+=,.@-], and distinct for
// distinct (prefix, tenantID, subject) triples.
//
// The name reads "prefix.tenant.subject.hash": the first three parts are
// the inputs truncated and with every character outside [\w+=,.@-] replaced
// by '_', for humans reading CloudTrail; hash is 80 bits of SHA-256 over
// the length-prefixed raw inputs and is what makes names distinct. No input
// can choose the hash part, so no tenant can produce another tenant's
// session name by picking its id or subject; the readable parts are never
// used for authorization.
func SessionName(prefix, tenantID, subject string) string {
	var buf [MaxSessionNameLen]byte
	b := buf[:0]
	if prefix != "" {
		b = appendSanitized(b, prefix, MaxSessionNamePrefixLen)
		b = append(b, '.')
	}
	b = appendSanitized(b, tenantID, sessionTenantMax)
	room := MaxSessionNameLen - sessionHashLen - 2 - len(b)
	if subject != "" && room > 0 {
		b = append(b, '.')
		b = appendSanitized(b, subject, room)
	}
	b = append(b, '.')
	b = append(b, sessionHash(prefix, tenantID, subject)...)
	return string(b)
}

func appendSanitized(b []byte, s string, limit int) []byte {
	n := 0
	for _, r := range s {
		if n == limit {
			break
		}
		if r < utf8.RuneSelf && sessionRune(byte(r)) {
			b = append(b, byte(r))
		} else {
			b = append(b, '_')
		}
		n++
	}
	return b
}

func sessionHash(parts ...string) string {
	h := sha256.New()
	var n [8]byte
	for _, p := range parts {
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write([]byte(p))
	}
	sum := h.Sum(nil)
	return sessionHashEncoding.EncodeToString(sum[:10])
}
