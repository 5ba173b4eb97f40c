package strictjson

import "unicode/utf8"

// entry is a scanned string: the offsets of its contents, without quotes.
type entry struct {
	start, end int
	escaped    bool // it contains a backslash escape
	ascii      bool // it has only bytes below 0x80
}

type scanner struct {
	data     []byte
	pos      int
	maxDepth int
	fold     bool
	nested   bool // compare the names of nested objects too
	dupAt    int  // offset of the first duplicate name's quote, or -1
	dupName  string
	scratch  []byte // for map keys of large objects
}

func newScanner(data []byte, opts Options, nested bool) scanner {
	s := scanner{data: data, maxDepth: opts.MaxDepth, fold: opts.FoldCase, nested: nested, dupAt: -1}
	if s.maxDepth <= 0 {
		s.maxDepth = DefaultMaxDepth
	}
	return s
}

// run scans the whole input. With root and vals, a top-level object keeps
// its member names and value offsets there.
func (s *scanner) run(root *nameSet, vals *valueSpans, requireObject bool) error {
	s.ws()
	isObject := s.peek() == '{'
	var err error
	if isObject && root != nil {
		err = s.object(1, root, vals) // newScanner made maxDepth at least 1
	} else {
		err = s.value(0)
	}
	if err != nil {
		return s.syntaxErr(err)
	}
	s.ws()
	if s.pos != len(s.data) {
		return s.syntaxErr(ErrSyntax)
	}
	if requireObject && !isObject {
		return ErrNotObject
	}
	if s.dupAt >= 0 {
		return &DuplicateError{Path: pathOf(s.data, s.dupAt), Name: s.dupName}
	}
	return nil
}

// syntaxErr reports err, or ErrInvalidUTF8 when data is not UTF-8: a stray
// byte outside a string is a syntax error only in valid UTF-8.
func (s *scanner) syntaxErr(err error) error {
	if err == ErrSyntax && !utf8.Valid(s.data) {
		return ErrInvalidUTF8
	}
	return err
}

func (s *scanner) peek() byte {
	if s.pos < len(s.data) {
		return s.data[s.pos]
	}
	return 0
}

func (s *scanner) ws() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// value scans one value starting at s.pos (no leading white space);
// depth is the number of enclosing arrays and objects.
func (s *scanner) value(depth int) error {
	switch c := s.peek(); c {
	case '{':
		if depth >= s.maxDepth {
			return ErrTooDeep
		}
		if (s.nested || depth == 0) && s.dupAt < 0 {
			return s.checkedObject(depth + 1)
		}
		return s.object(depth+1, nil, nil)
	case '[':
		if depth >= s.maxDepth {
			return ErrTooDeep
		}
		return s.array(depth + 1)
	case '"':
		_, err := s.str()
		return err
	case 't':
		return s.lit("true")
	case 'f':
		return s.lit("false")
	case 'n':
		return s.lit("null")
	default:
		return s.number()
	}
}

func (s *scanner) lit(w string) error {
	if len(s.data)-s.pos < len(w) || string(s.data[s.pos:s.pos+len(w)]) != w {
		return ErrSyntax
	}
	s.pos += len(w)
	return nil
}

// number scans -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?.
func (s *scanner) number() error {
	if s.peek() == '-' {
		s.pos++
	}
	switch c := s.peek(); {
	case c == '0':
		s.pos++
	case '1' <= c && c <= '9':
		s.digits()
	default:
		return ErrSyntax
	}
	if s.peek() == '.' {
		s.pos++
		if !s.digits() {
			return ErrSyntax
		}
	}
	if c := s.peek(); c == 'e' || c == 'E' {
		s.pos++
		if c := s.peek(); c == '+' || c == '-' {
			s.pos++
		}
		if !s.digits() {
			return ErrSyntax
		}
	}
	return nil
}

// digits skips [0-9]* and reports whether it skipped any.
func (s *scanner) digits() bool {
	start := s.pos
	for s.pos < len(s.data) && '0' <= s.data[s.pos] && s.data[s.pos] <= '9' {
		s.pos++
	}
	return s.pos > start
}

// plain marks the bytes a string may contain unescaped without a closer
// look: 0x20-0x7F except '"' and '\\'.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// str scans a string starting at its opening quote.
func (s *scanner) str() (entry, error) {
	s.pos++ // opening quote
	e := entry{start: s.pos, ascii: true}
	d := s.data
	for {
		for s.pos < len(d) && plain[d[s.pos]] {
			s.pos++
		}
		if s.pos >= len(d) {
			return e, ErrSyntax
		}
		switch c := d[s.pos]; {
		case c == '"':
			e.end = s.pos
			s.pos++
			return e, nil
		case c == '\\':
			e.escaped = true
			if s.pos+1 >= len(d) {
				return e, ErrSyntax
			}
			switch d[s.pos+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.pos += 2
			case 'u':
				if s.pos+6 > len(d) {
					return e, ErrSyntax
				}
				for _, h := range d[s.pos+2 : s.pos+6] {
					if unhex(h) < 0 {
						return e, ErrSyntax
					}
				}
				s.pos += 6
			default:
				return e, ErrSyntax
			}
		case c < 0x20:
			return e, ErrSyntax
		default: // c >= 0x80
			e.ascii = false
			r, n := utf8.DecodeRune(d[s.pos:])
			if r == utf8.RuneError && n == 1 {
				return e, ErrInvalidUTF8
			}
			s.pos += n
		}
	}
}

func (s *scanner) array(depth int) error {
	s.pos++ // '['
	s.ws()
	if s.peek() == ']' {
		s.pos++
		return nil
	}
	for {
		if err := s.value(depth); err != nil {
			return err
		}
		s.ws()
		switch s.peek() {
		case ',':
			s.pos++
			s.ws()
		case ']':
			s.pos++
			return nil
		default:
			return ErrSyntax
		}
	}
}
