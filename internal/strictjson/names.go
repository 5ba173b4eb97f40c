package strictjson

import (
	"bytes"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// smallNames is the number of names an object keeps on the stack; up to
// smallObject names are compared pairwise, beyond that through a map.
const (
	smallNames  = 16
	smallObject = 32
)

// nameSet holds the member names of one object. It has no pointer into
// itself, so that it can live on the stack.
type nameSet struct {
	n     int
	small [smallNames]entry
	more  []entry // names after the first smallNames
	set   map[string]struct{}
}

// valueSpans holds the offsets of the values of an object's members, in
// the order of its nameSet.
type valueSpans struct {
	small [smallNames][2]int
	more  [][2]int
}

func (v *valueSpans) set(i, start, end int) {
	if i < smallNames {
		v.small[i] = [2]int{start, end}
	} else {
		v.more = append(v.more, [2]int{start, end})
	}
}

func (v *valueSpans) at(i int) [2]int {
	if i < smallNames {
		return v.small[i]
	}
	return v.more[i-smallNames]
}

func (ns *nameSet) at(i int) entry {
	if i < smallNames {
		return ns.small[i]
	}
	return ns.more[i-smallNames]
}

// checkedObject scans an object whose member names are compared.
func (s *scanner) checkedObject(depth int) error {
	var ns nameSet
	return s.object(depth, &ns, nil)
}

// object scans an object; depth counts it. With ns, it records the member
// names there (and with vals their values' offsets), reports the first
// duplicate name in s.dupAt and s.dupName, and goes on scanning for syntax
// errors.
func (s *scanner) object(depth int, ns *nameSet, vals *valueSpans) error {
	s.pos++ // '{'
	s.ws()
	if s.peek() == '}' {
		s.pos++
		return nil
	}
	for {
		if s.peek() != '"' {
			return ErrSyntax
		}
		quote := s.pos
		e, err := s.str()
		if err != nil {
			return err
		}
		added := false
		if ns != nil && s.dupAt < 0 {
			if s.seen(ns, e) {
				s.dupAt = quote
				s.dupName = string(appendName(nil, s.data[e.start:e.end], false))
			} else {
				added = true
			}
		}
		s.ws()
		if s.peek() != ':' {
			return ErrSyntax
		}
		s.pos++
		s.ws()
		vstart := s.pos
		if err := s.value(depth); err != nil {
			return err
		}
		if added && vals != nil {
			vals.set(ns.n-1, vstart, s.pos)
		}
		s.ws()
		switch s.peek() {
		case ',':
			s.pos++
			s.ws()
		case '}':
			s.pos++
			return nil
		default:
			return ErrSyntax
		}
	}
}

// seen reports whether ns already holds a name equal to e, and adds e.
func (s *scanner) seen(ns *nameSet, e entry) bool {
	if ns.set != nil {
		s.scratch = s.key(s.scratch[:0], e)
		if _, dup := ns.set[string(s.scratch)]; dup {
			return true
		}
		ns.set[string(s.scratch)] = struct{}{}
	} else {
		for i := range ns.n {
			if s.equal(ns.at(i), e) {
				return true
			}
		}
	}
	if ns.n < smallNames {
		ns.small[ns.n] = e
	} else {
		ns.more = append(ns.more, e)
	}
	ns.n++
	if ns.n == smallObject+1 {
		ns.set = make(map[string]struct{}, 2*ns.n)
		for i := range ns.n {
			s.scratch = s.key(s.scratch[:0], ns.at(i))
			ns.set[string(s.scratch)] = struct{}{}
		}
	}
	return false
}

func (s *scanner) key(dst []byte, e entry) []byte {
	return appendName(dst, s.data[e.start:e.end], s.fold)
}

// equal reports whether two names are the same after unescaping (and case
// folding with Options.FoldCase).
func (s *scanner) equal(a, b entry) bool {
	x, y := s.data[a.start:a.end], s.data[b.start:b.end]
	if !a.escaped && !b.escaped {
		if !s.fold {
			return bytes.Equal(x, y)
		}
		if a.ascii && b.ascii {
			return len(x) == len(y) && asciiEqualFold(x, y)
		}
	}
	i, j := 0, 0
	for i < len(x) && j < len(y) {
		var r1, r2 rune
		r1, i = nextRune(x, i)
		r2, j = nextRune(y, j)
		if r1 != r2 && (!s.fold || foldRune(r1) != foldRune(r2)) {
			return false
		}
	}
	return i == len(x) && j == len(y)
}

func asciiEqualFold(x, y []byte) bool {
	for i := range x {
		a, b := x[i], y[i]
		if a == b {
			continue
		}
		if 'A' <= a && a <= 'Z' {
			a += 'a' - 'A'
		}
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		if a != b || a < 'a' || a > 'z' {
			return false
		}
	}
	return true
}

// foldRune returns the smallest rune of r's simple case folding orbit, as
// encoding/json does: two runes are equal under bytes.EqualFold exactly
// when their foldRune values are equal.
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'a' <= r && r <= 'z' {
			r -= 'a' - 'A'
		}
		return r
	}
	m := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		m = min(m, f)
	}
	return m
}

// nextRune decodes the rune at raw[i] of scanned string contents, resolving
// escapes the way encoding/json does: a \u escape of a surrogate that does
// not start a valid pair becomes U+FFFD.
func nextRune(raw []byte, i int) (rune, int) {
	c := raw[i]
	if c >= utf8.RuneSelf {
		r, n := utf8.DecodeRune(raw[i:])
		return r, i + n
	}
	if c != '\\' {
		return rune(c), i + 1
	}
	switch raw[i+1] {
	case 'b':
		return '\b', i + 2
	case 'f':
		return '\f', i + 2
	case 'n':
		return '\n', i + 2
	case 'r':
		return '\r', i + 2
	case 't':
		return '\t', i + 2
	case 'u':
		r := hex4(raw[i+2:])
		i += 6
		if !utf16.IsSurrogate(r) {
			return r, i
		}
		if i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
			if d := utf16.DecodeRune(r, hex4(raw[i+2:])); d != unicode.ReplacementChar {
				return d, i + 6
			}
		}
		return unicode.ReplacementChar, i
	default: // '"', '\\', '/'
		return rune(raw[i+1]), i + 2
	}
}

func hex4(b []byte) rune {
	return rune(unhex(b[0])<<12 | unhex(b[1])<<8 | unhex(b[2])<<4 | unhex(b[3]))
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c - 'a' + 10)
	case 'A' <= c && c <= 'F':
		return int(c - 'A' + 10)
	}
	return -1
}

// appendName appends the unescaped (and, with fold, case-folded) form of
// scanned string contents.
func appendName(dst, raw []byte, fold bool) []byte {
	for i := 0; i < len(raw); {
		var r rune
		r, i = nextRune(raw, i)
		if fold {
			r = foldRune(r)
		}
		dst = utf8.AppendRune(dst, r)
	}
	return dst
}

// pathOf returns the path of the object whose member name starts at off in
// data, which has been scanned successfully.
func pathOf(data []byte, off int) string {
	s := scanner{data: data} // find reads scalars with value, never containers
	var segs []string
	s.find(off, &segs)
	var b strings.Builder
	b.WriteByte('$')
	for i := len(segs) - 1; i >= 0; i-- {
		b.WriteString(segs[i])
	}
	return b.String()
}

// find walks the value at s.pos and reports whether it holds the member
// name at off; segs receives the path steps, innermost first.
func (s *scanner) find(off int, segs *[]string) bool {
	s.ws()
	switch s.peek() {
	case '{':
		s.pos++
		for s.pos < off {
			s.ws()
			switch s.peek() {
			case '}':
				s.pos++
				return false
			case ',':
				s.pos++
				s.ws()
			}
			if s.pos == off {
				return true
			}
			e, err := s.str()
			if err != nil {
				return false
			}
			s.ws()
			s.pos++ // ':'
			if s.find(off, segs) {
				*segs = append(*segs, member(string(appendName(nil, s.data[e.start:e.end], false))))
				return true
			}
		}
		return s.pos == off
	case '[':
		s.pos++
		for i := 0; s.pos < off; i++ {
			s.ws()
			switch s.peek() {
			case ']':
				s.pos++
				return false
			case ',':
				s.pos++
			}
			if s.find(off, segs) {
				*segs = append(*segs, "["+strconv.Itoa(i)+"]")
				return true
			}
		}
		return false
	default:
		s.ws()
		_ = s.value(0)
		return false
	}
}

// member returns the path step selecting the member name.
func member(name string) string {
	if name == "" {
		return `[""]`
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return "[" + strconv.QuoteToASCII(name) + "]"
		}
	}
	return "." + name
}
