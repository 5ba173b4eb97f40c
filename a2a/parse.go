package a2a

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/tenantkit/tenantkit/internal/oauthsyntax"
	"github.com/tenantkit/tenantkit/internal/strictjson"
)

// Limits of the response parser.
const (
	// DefaultMaxResponseBytes caps a token endpoint response body.
	DefaultMaxResponseBytes = 64 << 10
	// maxExpiresIn caps expires_in at ten years; larger values are hostile.
	maxExpiresIn = 10 * 365 * 24 * 3600
	// maxTypeLen caps token_type and issued_token_type.
	maxTypeLen = 256
	// maxErrorText caps a sanitized error_description or error_uri.
	maxErrorText = 256
)

// tokenResponse is a successful token endpoint response (RFC 6749 §5.1,
// RFC 8693 §2.2.1) after validation.
type tokenResponse struct {
	AccessToken     string
	IssuedTokenType string
	TokenType       string
	ExpiresIn       int64 // seconds; 0 when absent
	Scope           []string
	RefreshToken    string
}

// parseTokenResponse parses and strictly validates a successful token
// endpoint response body. requireIssuedType makes issued_token_type
// mandatory (RFC 8693). Errors wrap [ErrInvalidResponse] and never contain
// any part of body.
func parseTokenResponse(body []byte, requireIssuedType bool) (*tokenResponse, error) {
	members, err := parseObject(body)
	if err != nil {
		return nil, err
	}
	var r tokenResponse
	var ok bool

	if r.TokenType, ok, err = stringMember(members, "token_type"); err != nil {
		return nil, err
	} else if !ok {
		return nil, responseError("token_type missing")
	}
	if len(r.TokenType) > maxTypeLen || !isTypeName(r.TokenType) {
		return nil, responseError("token_type malformed")
	}

	if r.AccessToken, ok, err = stringMember(members, "access_token"); err != nil {
		return nil, err
	} else if !ok || r.AccessToken == "" {
		return nil, responseError("access_token missing")
	}
	if strings.EqualFold(r.TokenType, "bearer") {
		if !oauthsyntax.B64Token(r.AccessToken) {
			return nil, responseError("access_token is not an RFC 6750 b64token")
		}
	} else if !oauthsyntax.VSChars(r.AccessToken) {
		return nil, responseError("access_token has invalid characters")
	}

	if r.IssuedTokenType, ok, err = stringMember(members, "issued_token_type"); err != nil {
		return nil, err
	}
	if ok {
		if len(r.IssuedTokenType) > maxTypeLen || !oauthsyntax.VSChars(r.IssuedTokenType) || !strings.Contains(r.IssuedTokenType, ":") {
			return nil, responseError("issued_token_type is not an absolute URI")
		}
	} else if requireIssuedType {
		return nil, responseError("issued_token_type missing")
	}

	if raw, present := members["expires_in"]; present && !isNull(raw) {
		var n json.Number
		if raw[0] == '"' {
			return nil, responseError("expires_in is not a number")
		}
		if err := strictUnmarshal(raw, &n); err != nil {
			return nil, responseError("expires_in is not a number")
		}
		v, err := n.Int64()
		if err != nil || v <= 0 || v > maxExpiresIn {
			return nil, responseError("expires_in out of range")
		}
		r.ExpiresIn = v
	}

	scope, ok, err := stringMember(members, "scope")
	if err != nil {
		return nil, err
	}
	if ok && scope != "" {
		for _, s := range strings.Split(scope, " ") {
			if !isScopeToken(s) {
				return nil, responseError("scope malformed")
			}
			r.Scope = append(r.Scope, s)
		}
	}

	if r.RefreshToken, ok, err = stringMember(members, "refresh_token"); err != nil {
		return nil, err
	}
	if ok && r.RefreshToken != "" && !oauthsyntax.VSChars(r.RefreshToken) {
		return nil, responseError("refresh_token has invalid characters")
	}
	return &r, nil
}

// errorResponse is the body of an RFC 6749 §5.2 error response.
type errorResponse struct {
	Code        string
	Description string
	URI         string
}

// parseErrorResponse extracts error, error_description and error_uri. It
// returns ok=false when body is not an RFC 6749 §5.2 error object. The
// description and URI are returned raw; the caller sanitizes them.
func parseErrorResponse(body []byte) (errorResponse, bool) {
	members, err := parseObject(body)
	if err != nil {
		return errorResponse{}, false
	}
	code, ok, err := stringMember(members, "error")
	if err != nil || !ok || !isErrorCode(code) {
		return errorResponse{}, false
	}
	e := errorResponse{Code: code}
	if d, ok, err := stringMember(members, "error_description"); err == nil && ok {
		e.Description = d
	}
	if u, ok, err := stringMember(members, "error_uri"); err == nil && ok {
		e.URI = u
	}
	return e, true
}

// parseObject decodes body as exactly one JSON object and returns its
// members. Duplicate member names, trailing data and invalid UTF-8 are
// rejected; nested values are checked for well-formedness only, since
// they are never interpreted.
func parseObject(body []byte) (map[string]json.RawMessage, error) {
	members := make(map[string]json.RawMessage, 8)
	err := strictjson.Members(body, strictjson.Options{}, func(name, value []byte) error {
		members[string(name)] = value
		return nil
	})
	switch {
	case err == nil:
		return members, nil
	case errors.Is(err, strictjson.ErrDuplicateMember):
		return nil, responseError("duplicate member")
	case errors.Is(err, strictjson.ErrNotObject):
		return nil, responseError("not a JSON object")
	default:
		return nil, responseError(syntaxProblem(body))
	}
}

// syntaxProblem says what is wrong with a body that is not one well-formed
// JSON text. It runs on the error path only.
func syntaxProblem(body []byte) string {
	if _, err := json.NewDecoder(bytes.NewReader(body)).Token(); err != nil {
		return "not JSON"
	}
	var first json.RawMessage
	if json.NewDecoder(bytes.NewReader(body)).Decode(&first) == nil && utf8.Valid(body) {
		if first = bytes.TrimSpace(first); len(first) > 0 && first[0] == '{' {
			return "trailing data after JSON object"
		}
		return "not a JSON object"
	}
	return "malformed JSON"
}

// stringMember returns members[name] as a string. ok is false when the
// member is absent or null; a member of another type is an error.
func stringMember(members map[string]json.RawMessage, name string) (s string, ok bool, err error) {
	raw, present := members[name]
	if !present || isNull(raw) {
		return "", false, nil
	}
	if len(raw) == 0 || raw[0] != '"' {
		return "", false, responseError(name + " is not a string")
	}
	if err := strictUnmarshal(raw, &s); err != nil {
		return "", false, responseError(name + " is not a string")
	}
	return s, true, nil
}

func isNull(raw json.RawMessage) bool { return string(raw) == "null" }

func strictUnmarshal(raw json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return dec.Decode(v)
}

// isTypeName reports whether s is a plausible token_type: 1*( ALPHA /
// DIGIT / "_" / "-" / "." ), which covers "Bearer", "DPoP" and "N_A".
func isTypeName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.' {
			continue
		}
		return false
	}
	return true
}

// isErrorCode reports whether s is an RFC 6749 §5.2 error code:
// 1*( %x20-21 / %x23-5B / %x5D-7E ), capped at 64 bytes.
func isErrorCode(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// sanitizeText makes an authorization-server supplied string safe to put
// into an error message: bytes outside the RFC 6749 error charset become
// '?', the result is truncated, the given secrets are redacted, and runs
// of 40 or more token characters (anything that looks like a token) are
// redacted as well.
func sanitizeText(s string, secrets ...string) string {
	// Redact on the whole text first: truncating earlier could cut a
	// secret or a token-like run and leave a prefix of it behind.
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	var b strings.Builder
	run := 0
	flush := func(start int) {
		if run >= 40 {
			b.WriteString("[redacted]")
		} else {
			b.WriteString(s[start : start+run])
		}
		run = 0
	}
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		tokenChar := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/' || c == '='
		if tokenChar {
			if run == 0 {
				start = i
			}
			run++
			continue
		}
		if run > 0 {
			flush(start)
		}
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			c = '?'
		}
		b.WriteByte(c)
	}
	if run > 0 {
		flush(start)
	}
	out := b.String()
	if len(out) > maxErrorText {
		out = out[:maxErrorText]
	}
	return out
}
