package tenantctx

import (
	"bytes"
	"encoding/json"
	"errors"
	"unicode/utf8"
)

// maxJSONDepth bounds nesting in token headers, claims and JWKS documents.
const maxJSONDepth = 32

var errJSONSyntax = errors.New("tenantctx: invalid json")

// checkJSONObject reports whether data is one JSON object in which no
// object, at any depth, has two members with the same name. Names are
// compared after unescaping, so "tenant_id" and "tenant\u005fid" collide.
//
// encoding/json silently keeps the last of duplicate members, so a token
// carrying "tenant_id":"a","tenant_id":"b" would be read differently by
// different parsers; such tokens are rejected with [ErrDuplicateMember].
// Invalid UTF-8 is rejected as well, because encoding/json replaces it with
// U+FFFD and could thereby merge distinct names.
func checkJSONObject(data []byte) error {
	if !utf8.Valid(data) {
		return errJSONSyntax
	}
	s := jsonScanner{data: data}
	s.ws()
	if s.peek() != '{' {
		return errJSONSyntax
	}
	if err := s.value(0); err != nil {
		return err
	}
	s.ws()
	if s.pos != len(s.data) {
		return errJSONSyntax
	}
	return nil
}

type jsonScanner struct {
	data []byte
	pos  int
}

func (s *jsonScanner) peek() byte {
	if s.pos < len(s.data) {
		return s.data[s.pos]
	}
	return 0
}

func (s *jsonScanner) ws() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

func (s *jsonScanner) value(depth int) error {
	if depth > maxJSONDepth {
		return errJSONSyntax
	}
	s.ws()
	switch c := s.peek(); {
	case c == '{':
		return s.object(depth)
	case c == '[':
		return s.array(depth)
	case c == '"':
		_, _, err := s.str()
		return err
	case c == 't':
		return s.lit("true")
	case c == 'f':
		return s.lit("false")
	case c == 'n':
		return s.lit("null")
	case c == '-' || ('0' <= c && c <= '9'):
		start := s.pos
		for s.pos < len(s.data) {
			c := s.data[s.pos]
			if c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' || ('0' <= c && c <= '9') {
				s.pos++
				continue
			}
			break
		}
		if !json.Valid(s.data[start:s.pos]) {
			return errJSONSyntax
		}
		return nil
	default:
		return errJSONSyntax
	}
}

func (s *jsonScanner) lit(w string) error {
	if !bytes.HasPrefix(s.data[s.pos:], []byte(w)) {
		return errJSONSyntax
	}
	s.pos += len(w)
	return nil
}

// str scans a string starting at the opening quote and returns its raw
// contents (without quotes) and whether it contains escapes.
func (s *jsonScanner) str() (raw []byte, escaped bool, err error) {
	s.pos++ // opening quote
	start := s.pos
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		switch {
		case c == '"':
			raw = s.data[start:s.pos]
			s.pos++
			return raw, escaped, nil
		case c == '\\':
			escaped = true
			if s.pos+1 >= len(s.data) {
				return nil, false, errJSONSyntax
			}
			switch s.data[s.pos+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.pos += 2
			case 'u':
				if s.pos+6 > len(s.data) {
					return nil, false, errJSONSyntax
				}
				for _, h := range s.data[s.pos+2 : s.pos+6] {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return nil, false, errJSONSyntax
					}
				}
				s.pos += 6
			default:
				return nil, false, errJSONSyntax
			}
		case c < 0x20:
			return nil, false, errJSONSyntax
		default:
			s.pos++
		}
	}
	return nil, false, errJSONSyntax
}

func (s *jsonScanner) array(depth int) error {
	s.pos++
	s.ws()
	if s.peek() == ']' {
		s.pos++
		return nil
	}
	for {
		if err := s.value(depth + 1); err != nil {
			return err
		}
		s.ws()
		switch s.peek() {
		case ',':
			s.pos++
		case ']':
			s.pos++
			return nil
		default:
			return errJSONSyntax
		}
	}
}

func (s *jsonScanner) object(depth int) error {
	s.pos++
	var buf [16][]byte
	names := buf[:0]
	var set map[string]struct{}
	s.ws()
	if s.peek() == '}' {
		s.pos++
		return nil
	}
	for {
		s.ws()
		if s.peek() != '"' {
			return errJSONSyntax
		}
		start := s.pos
		raw, escaped, err := s.str()
		if err != nil {
			return err
		}
		name := raw
		if escaped {
			var u string
			if json.Unmarshal(s.data[start:s.pos], &u) != nil {
				return errJSONSyntax
			}
			name = []byte(u)
		}
		if set != nil {
			if _, dup := set[string(name)]; dup {
				return ErrDuplicateMember
			}
			set[string(name)] = struct{}{}
		} else {
			for _, n := range names {
				if bytes.Equal(n, name) {
					return ErrDuplicateMember
				}
			}
			names = append(names, name)
			if len(names) > 32 {
				set = make(map[string]struct{}, 64)
				for _, n := range names {
					set[string(n)] = struct{}{}
				}
			}
		}
		s.ws()
		if s.peek() != ':' {
			return errJSONSyntax
		}
		s.pos++
		if err := s.value(depth + 1); err != nil {
			return err
		}
		s.ws()
		switch s.peek() {
		case ',':
			s.pos++
		case '}':
			s.pos++
			return nil
		default:
			return errJSONSyntax
		}
	}
}
