package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxDepth bounds JSON nesting; a policy document needs four levels.
const maxDepth = 16

// Parse reads a policy document strictly and validates it. Field names must
// match exactly (case-sensitive), unknown and duplicate fields are errors,
// and so are wrong JSON types, missing required fields, effects other than
// "ALLOW"/"DENY", empty resource lists, malformed patterns and conditions,
// resource types that differ only in case from another rule's, trailing
// data and invalid UTF-8.
//
// On failure the error is a [*ValidationError] listing every problem with
// its JSON location (for example "$.rules[1].effect"); it wraps
// [ErrInvalidPolicy]. The document is not returned when it has problems.
func Parse(data []byte) (*Document, error) {
	return parseSource("", data)
}

func parseSource(source string, data []byte) (*Document, error) {
	var p problems
	doc := parseInto(data, &p)
	if doc != nil {
		validateDocument(doc, &p)
	}
	if err := p.err(source); err != nil {
		return nil, err
	}
	return doc, nil
}

// parseInto decodes data into a Document, recording structural problems.
// It returns nil when the input is not a usable JSON object at all.
func parseInto(data []byte, p *problems) *Document {
	if len(data) > MaxDocumentSize {
		p.add("$", "document larger than %d bytes", MaxDocumentSize)
		return nil
	}
	if !utf8.Valid(data) {
		off := 0
		for off < len(data) {
			r, n := utf8.DecodeRune(data[off:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			off += n
		}
		p.add("$", "not valid UTF-8 (byte offset %d)", off)
		return nil
	}
	root := decodeTree(data, p)
	if root == nil {
		return nil
	}
	return decodeDocument(root, p)
}

// decodeTree parses valid UTF-8 data into a node tree, recording duplicate
// keys as problems. It returns nil, after recording the problem, when data
// is not JSON or is nested too deeply.
func decodeTree(data []byte, p *problems) *node {
	if !json.Valid(data) {
		var v any
		err := json.Unmarshal(data, &v)
		var se *json.SyntaxError
		if errors.As(err, &se) {
			p.add("$", "invalid JSON at byte offset %d: %s", se.Offset, strings.TrimPrefix(se.Error(), "json: "))
		} else {
			p.add("$", "invalid JSON")
		}
		return nil
	}
	sc := scanner{data: data, p: p}
	root, ok := sc.value(nil, 0)
	if !ok {
		p.add("$", "nesting deeper than %d levels", maxDepth)
		return nil
	}
	return root
}

type kind uint8

const (
	kindNull kind = iota
	kindBool
	kindNumber
	kindString
	kindArray
	kindObject
)

func (k kind) String() string {
	return [...]string{"null", "boolean", "number", "string", "array", "object"}[k]
}

// node is a JSON value that keeps object keys in order.
type node struct {
	kind    kind
	str     string
	boolean bool
	keys    []string
	vals    []*node
	elems   []*node
	index   map[string]struct{} // keys, once there are many
}

// smallObject is the number of keys up to which an object's keys are
// searched linearly; larger objects index them in a map, so that a document
// with many keys in one object costs linear, not quadratic, time.
const smallObject = 16

func (n *node) hasKey(key string) bool {
	if n.index != nil {
		_, ok := n.index[key]
		return ok
	}
	return slices.Contains(n.keys, key)
}

func (n *node) addMember(key string, v *node) {
	n.keys = append(n.keys, key)
	n.vals = append(n.vals, v)
	switch {
	case n.index != nil:
		n.index[key] = struct{}{}
	case len(n.keys) > smallObject:
		n.index = make(map[string]struct{}, 2*len(n.keys))
		for _, k := range n.keys {
			n.index[k] = struct{}{}
		}
	}
}

// pathElem is one step of the path to a value, kept on the stack while
// scanning and turned into a string only when a problem is reported.
type pathElem struct {
	parent *pathElem
	key    string
	index  int
	isKey  bool
}

func (e *pathElem) String() string {
	if e == nil {
		return "$"
	}
	if e.isKey {
		return member(e.parent.String(), e.key)
	}
	return e.parent.String() + "[" + strconv.Itoa(e.index) + "]"
}

// scanner walks JSON that json.Valid has accepted. It never reads past the
// end of data: every access is bounds-checked, and malformed input (which
// cannot occur after json.Valid) makes it stop, not panic.
type scanner struct {
	data []byte
	pos  int
	p    *problems
}

func (s *scanner) skipSpace() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

func (s *scanner) peek() byte {
	s.skipSpace()
	if s.pos < len(s.data) {
		return s.data[s.pos]
	}
	return 0
}

// value scans one value. ok is false when the nesting is too deep or the
// input is malformed.
func (s *scanner) value(path *pathElem, depth int) (n *node, ok bool) {
	if depth > maxDepth {
		return nil, false
	}
	switch s.peek() {
	case '{':
		s.pos++
		n = &node{kind: kindObject}
		if s.peek() == '}' {
			s.pos++
			return n, true
		}
		for {
			if s.peek() != '"' {
				return nil, false
			}
			key, ok := s.str()
			if !ok || s.peek() != ':' {
				return nil, false
			}
			s.pos++
			child, ok := s.value(&pathElem{parent: path, key: key, isKey: true}, depth+1)
			if !ok {
				return nil, false
			}
			if n.hasKey(key) {
				s.p.add(member(path.String(), key), "duplicate field")
			} else {
				n.addMember(key, child)
			}
			switch s.peek() {
			case ',':
				s.pos++
			case '}':
				s.pos++
				return n, true
			default:
				return nil, false
			}
		}
	case '[':
		s.pos++
		n = &node{kind: kindArray}
		if s.peek() == ']' {
			s.pos++
			return n, true
		}
		for i := 0; ; i++ {
			child, ok := s.value(&pathElem{parent: path, index: i}, depth+1)
			if !ok {
				return nil, false
			}
			n.elems = append(n.elems, child)
			switch s.peek() {
			case ',':
				s.pos++
			case ']':
				s.pos++
				return n, true
			default:
				return nil, false
			}
		}
	case '"':
		str, ok := s.str()
		return &node{kind: kindString, str: str}, ok
	case 't':
		return &node{kind: kindBool, boolean: true}, s.literal("true")
	case 'f':
		return &node{kind: kindBool}, s.literal("false")
	case 'n':
		return &node{kind: kindNull}, s.literal("null")
	default:
		start := s.pos
		for s.pos < len(s.data) && strings.IndexByte("+-0123456789.eE", s.data[s.pos]) >= 0 {
			s.pos++
		}
		return &node{kind: kindNumber, str: string(s.data[start:s.pos])}, s.pos > start
	}
}

func (s *scanner) literal(lit string) bool {
	if !bytes.HasPrefix(s.data[s.pos:], []byte(lit)) {
		return false
	}
	s.pos += len(lit)
	return true
}

// str scans a string starting at the opening quote and returns its value.
func (s *scanner) str() (string, bool) {
	start := s.pos
	s.pos++ // opening quote
	escaped := false
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case '\\':
			escaped = true
			s.pos += 2
			continue
		case '"':
			s.pos++
			raw := s.data[start:s.pos]
			if !escaped {
				return string(raw[1 : len(raw)-1]), true
			}
			var v string
			if err := json.Unmarshal(raw, &v); err != nil {
				return "", false
			}
			return v, true
		}
		s.pos++
	}
	return "", false
}

// fields walks the members of an object node, reporting unknown fields and
// calling fn for known ones. It reports the missing required fields.
func fields(n *node, path string, p *problems, known []string, required []string, fn func(key string, v *node, path string)) {
	var present uint64 // bit i: known[i] is present; known has a handful of names
	for i, k := range n.keys {
		fp := member(path, k)
		ki := slices.Index(known, k)
		if ki < 0 {
			if hint := closest(k, known); hint != "" {
				p.add(fp, "unknown field (did you mean %q?)", hint)
			} else {
				p.add(fp, "unknown field")
			}
			continue
		}
		present |= 1 << ki
		fn(k, n.vals[i], fp)
	}
	for _, r := range required {
		if present&(1<<slices.Index(known, r)) == 0 {
			p.add(path+"."+r, "missing required field")
		}
	}
}

// member returns the path of field key of the object at path: path.key for
// plain names, path["key"] otherwise.
func member(path, key string) string {
	plain := key != ""
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			plain = false
			break
		}
	}
	if plain {
		return path + "." + key
	}
	return path + "[" + quote(key) + "]"
}

// closest suggests a known field that differs from k only in case.
func closest(k string, known []string) string {
	for _, kk := range known {
		if strings.EqualFold(k, kk) {
			return kk
		}
	}
	return ""
}

func wantString(v *node, path string, p *problems) (string, bool) {
	if v.kind != kindString {
		p.add(path, "must be a string, got %s", v.kind)
		return "", false
	}
	return v.str, true
}

// wantStrings decodes an array of strings; elements of the wrong type are
// reported and kept as "" so that indices stay aligned.
func wantStrings(v *node, path string, p *problems) ([]string, bool) {
	if v.kind != kindArray {
		p.add(path, "must be an array of strings, got %s", v.kind)
		return nil, false
	}
	out := make([]string, len(v.elems))
	for i, e := range v.elems {
		if e.kind != kindString {
			p.add(path+"["+strconv.Itoa(i)+"]", "must be a string, got %s", e.kind)
			continue
		}
		out[i] = e.str
	}
	return out, true
}

func decodeDocument(n *node, p *problems) *Document {
	if n.kind != kindObject {
		p.add("$", "must be a JSON object, got %s", n.kind)
		return nil
	}
	d := &Document{}
	fields(n, "$", p, []string{"policyId", "tenantId", "rules"}, []string{"policyId", "tenantId", "rules"},
		func(key string, v *node, path string) {
			switch key {
			case "policyId":
				d.PolicyID, _ = wantString(v, path, p)
			case "tenantId":
				d.TenantID, _ = wantString(v, path, p)
			case "rules":
				if v.kind != kindArray {
					p.add(path, "must be an array of rules, got %s", v.kind)
					return
				}
				d.Rules = make([]Rule, len(v.elems))
				for i, e := range v.elems {
					decodeRule(e, path+"["+strconv.Itoa(i)+"]", &d.Rules[i], p)
				}
			}
		})
	return d
}

func decodeRule(n *node, path string, r *Rule, p *problems) {
	if n.kind != kindObject {
		p.add(path, "must be an object, got %s", n.kind)
		return
	}
	known := []string{"effect", "resourceType", "resources", "reason", "condition"}
	fields(n, path, p, known, []string{"effect", "resourceType", "resources"},
		func(key string, v *node, fp string) {
			switch key {
			case "effect":
				s, _ := wantString(v, fp, p)
				r.Effect = Effect(s)
			case "resourceType":
				r.ResourceType, _ = wantString(v, fp, p)
			case "resources":
				r.Resources, _ = wantStrings(v, fp, p)
			case "reason":
				if v.kind == kindNull {
					return
				}
				r.Reason, _ = wantString(v, fp, p)
			case "condition":
				if v.kind == kindNull {
					return
				}
				if v.kind != kindObject {
					p.add(fp, "must be an object, got %s", v.kind)
					return
				}
				r.Condition = &Condition{}
				decodeCondition(v, fp, r.Condition, p)
			}
		})
}

func decodeCondition(n *node, path string, c *Condition, p *problems) {
	fields(n, path, p, []string{"tiers", "entitlements", "scopes"}, nil,
		func(key string, v *node, fp string) {
			vals, ok := wantStrings(v, fp, p)
			if !ok {
				// Keep the condition non-empty so that validation does not
				// also claim that nothing is set.
				vals = []string{}
			}
			switch key {
			case "tiers":
				c.Tiers = vals
			case "entitlements":
				c.Entitlements = vals
			case "scopes":
				c.Scopes = vals
			}
		})
}
