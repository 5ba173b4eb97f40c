package iam

import (
	"errors"
	"strconv"
)

// ErrInvalidPolicy is wrapped by every error [Parse] returns, and by the
// [Decision.Err] of an evaluation that was handed a nil *[Policy].
var ErrInvalidPolicy = errors.New("iam: invalid policy")

// ErrInvalidRequest is wrapped by [Request.Validate] errors and therefore by
// the [Decision.Err] of an evaluation whose request was malformed.
var ErrInvalidRequest = errors.New("iam: invalid request")

// ParseError reports a problem in a policy document and where it is.
// It wraps [ErrInvalidPolicy].
type ParseError struct {
	// Path is the JSON location, e.g. `Statement[0].Condition.StringEquals["aws:username"]`.
	// It is empty for problems with the document as a whole.
	Path string
	// Msg describes the problem.
	Msg string
}

// Error implements error.
func (e *ParseError) Error() string {
	if e.Path == "" {
		return "iam: invalid policy: " + e.Msg
	}
	return "iam: invalid policy: " + e.Path + ": " + e.Msg
}

// Unwrap returns [ErrInvalidPolicy].
func (e *ParseError) Unwrap() error { return ErrInvalidPolicy }

func parseErr(path, msg string) error { return &ParseError{Path: path, Msg: msg} }

// quote renders untrusted text for an error message: quoted and truncated.
func quote(s string) string {
	const max = 64
	if len(s) > max {
		return strconv.Quote(s[:max]) + "…"
	}
	return strconv.Quote(s)
}

// childPath appends an object member to a JSON location.
func childPath(path, key string) string {
	simple := key != ""
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			simple = false
			break
		}
	}
	if simple {
		if path == "" {
			return key
		}
		return path + "." + key
	}
	return path + "[" + quote(key) + "]"
}

// indexPath appends an array index to a JSON location.
func indexPath(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}
