package iam

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"unicode/utf8"
)

// Limits on policy documents. AWS's own limits are far lower (an inline
// policy holds at most 10,240 characters); these only bound the work a
// hostile document can cause.
const (
	// MaxDocumentSize is the largest policy document [Parse] accepts, in bytes.
	MaxDocumentSize = 1 << 20
	maxDepth        = 16
)

type jkind uint8

const (
	jString jkind = iota + 1
	jNumber
	jBool
	jNull
	jArray
	jObject
)

// jnode is a JSON value that keeps object members in document order and
// has been checked for duplicate keys (encoding/json silently keeps the
// last of two equal keys, which would let a second "Effect" override the
// first unnoticed).
type jnode struct {
	kind  jkind
	str   string // string value, or number literal
	b     bool
	elems []*jnode
	keys  []string
	vals  []*jnode
}

func (n *jnode) get(key string) *jnode {
	for i, k := range n.keys {
		if k == key {
			return n.vals[i]
		}
	}
	return nil
}

func kindName(k jkind) string {
	switch k {
	case jString:
		return "string"
	case jNumber:
		return "number"
	case jBool:
		return "boolean"
	case jNull:
		return "null"
	case jArray:
		return "array"
	case jObject:
		return "object"
	}
	return "value"
}

func decodeJSON(data []byte) (*jnode, error) {
	if len(data) > MaxDocumentSize {
		return nil, parseErr("", "document larger than the 1 MiB limit")
	}
	if !utf8.Valid(data) {
		return nil, parseErr("", "document is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	root, err := decodeValue(dec, "", 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, parseErr("", "unexpected data after the policy document")
	}
	return root, nil
}

func decodeValue(dec *json.Decoder, path string, depth int) (*jnode, error) {
	if depth > maxDepth {
		return nil, parseErr(path, "document nested too deeply")
	}
	tok, err := dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, parseErr(path, "malformed JSON: unexpected end of input")
		}
		return nil, parseErr(path, "malformed JSON: "+err.Error())
	}
	switch t := tok.(type) {
	case string:
		return &jnode{kind: jString, str: t}, nil
	case json.Number:
		return &jnode{kind: jNumber, str: string(t)}, nil
	case bool:
		return &jnode{kind: jBool, b: t}, nil
	case nil:
		return &jnode{kind: jNull}, nil
	case json.Delim:
		switch t {
		case '[':
			n := &jnode{kind: jArray}
			for dec.More() {
				e, err := decodeValue(dec, indexPath(path, len(n.elems)), depth+1)
				if err != nil {
					return nil, err
				}
				n.elems = append(n.elems, e)
			}
			if _, err := dec.Token(); err != nil {
				return nil, parseErr(path, "malformed JSON: "+err.Error())
			}
			return n, nil
		case '{':
			n := &jnode{kind: jObject}
			var seen map[string]struct{} // used once an object has many keys
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, parseErr(path, "malformed JSON: "+err.Error())
				}
				key, ok := kt.(string)
				if !ok {
					return nil, parseErr(path, "malformed JSON: object key is not a string")
				}
				kp := childPath(path, key)
				dup := false
				if seen != nil {
					_, dup = seen[key]
				} else {
					dup = n.get(key) != nil
				}
				if dup {
					return nil, parseErr(kp, "duplicate key "+quote(key))
				}
				v, err := decodeValue(dec, kp, depth+1)
				if err != nil {
					return nil, err
				}
				n.keys = append(n.keys, key)
				n.vals = append(n.vals, v)
				if seen == nil && len(n.keys) >= 8 {
					seen = make(map[string]struct{}, 16)
					for _, k := range n.keys {
						seen[k] = struct{}{}
					}
				} else if seen != nil {
					seen[key] = struct{}{}
				}
			}
			if _, err := dec.Token(); err != nil {
				return nil, parseErr(path, "malformed JSON: "+err.Error())
			}
			return n, nil
		}
	}
	return nil, parseErr(path, "malformed JSON")
}
