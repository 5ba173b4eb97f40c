package strictjson

import (
	"errors"
	"strconv"
)

// DefaultMaxDepth is the nesting limit used when [Options].MaxDepth is zero
// or negative. It is the limit of encoding/json, so that a document
// accepted by [Check] is never refused by encoding/json for its depth.
const DefaultMaxDepth = 10000

// Errors returned by [Check] and [Members]. Every error wraps exactly one of
// them; a duplicate is reported as a [*DuplicateError], which wraps
// [ErrDuplicateMember].
var (
	// ErrSyntax reports input that is not one RFC 8259 JSON text.
	ErrSyntax = errors.New("strictjson: invalid json")
	// ErrInvalidUTF8 reports input that is not valid UTF-8.
	ErrInvalidUTF8 = errors.New("strictjson: invalid utf-8")
	// ErrTooDeep reports arrays and objects nested deeper than
	// [Options].MaxDepth.
	ErrTooDeep = errors.New("strictjson: nesting too deep")
	// ErrNotObject reports a well-formed JSON text that is not an object
	// where one is required.
	ErrNotObject = errors.New("strictjson: not a json object")
	// ErrDuplicateMember reports an object with two members of the same
	// name.
	ErrDuplicateMember = errors.New("strictjson: duplicate object member")
)

// Options configures [Check] and [Members]. The zero value checks for exact
// duplicates at the encoding/json depth limit and accepts any JSON value.
type Options struct {
	// MaxDepth is the largest number of arrays and objects that may be
	// open at once: 1 allows `{"a":1}` but not `{"a":{}}`. Zero or
	// negative means [DefaultMaxDepth].
	MaxDepth int
	// FoldCase also treats names as duplicates when they are equal under
	// Unicode simple case folding, the rule by which encoding/json matches
	// object keys to struct fields (bytes.EqualFold): "Name", "NAME" and
	// "name" collide, and so do "k" and the Kelvin sign U+212A, "s" and the
	// long s U+017F.
	FoldCase bool
	// RequireObject rejects a well-formed text whose top-level value is
	// not an object with [ErrNotObject].
	RequireObject bool
}

// DuplicateError reports a duplicate member name. It wraps
// [ErrDuplicateMember].
//
// Path and Name come from the input: a caller that must not echo
// untrusted data should report its own sentinel error instead of this
// error's text.
type DuplicateError struct {
	// Path locates the object holding the duplicate: "$" is the top-level
	// value, ".name" or `["na me"]` selects a member and "[3]" an array
	// element, as in `$.claims["act"][0]`.
	Path string
	// Name is the second occurrence of the name, unescaped.
	Name string
}

func (e *DuplicateError) Error() string {
	return "strictjson: duplicate object member " + strconv.QuoteToASCII(e.Name) + " in " + e.Path
}

// Unwrap returns [ErrDuplicateMember].
func (e *DuplicateError) Unwrap() error { return ErrDuplicateMember }

// Check reports whether data is exactly one well-formed JSON text (RFC 8259)
// in which no object, at any depth, has two members with the same name. See
// the package documentation for the precise rules.
//
// A document that is malformed is reported as malformed (ErrSyntax,
// ErrInvalidUTF8 or ErrTooDeep) even when it also repeats a name, so a
// [*DuplicateError] always describes an otherwise well-formed document.
func Check(data []byte, opts Options) error {
	s := newScanner(data, opts, true)
	return s.run(nil, nil, opts.RequireObject)
}

// Members checks data like [Check] with RequireObject set and then calls fn
// for each member of the top-level object, in document order, with the
// unescaped name and the raw value: a sub-slice of data without
// surrounding white space. name is valid only during the call. fn is not
// called at all when data fails the check; an error returned by fn stops
// the iteration and is returned unchanged.
//
// Unlike Check, Members compares the names of the top-level object only:
// nested values are checked for well-formedness, UTF-8 and depth, but
// their objects may repeat names. It is for readers that interpret the
// top-level members and pass nested values on untouched; a reader that
// interprets a nested object must check it itself (for example with
// Members again).
func Members(data []byte, opts Options, fn func(name, value []byte) error) error {
	s := newScanner(data, opts, false)
	var root nameSet
	var vals valueSpans
	if err := s.run(&root, &vals, true); err != nil {
		return err
	}
	var buf []byte
	for i := range root.n {
		m := root.at(i)
		name := data[m.start:m.end]
		if m.escaped {
			buf = appendName(buf[:0], name, false)
			name = buf
		}
		v := vals.at(i)
		if err := fn(name, data[v[0]:v[1]]); err != nil {
			return err
		}
	}
	return nil
}
