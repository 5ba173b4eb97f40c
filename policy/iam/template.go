package iam

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// keyKind says where a context key's value comes from in a [Request].
type keyKind uint8

const (
	kContext      keyKind = iota // Request.Context
	kPrincipalTag                // aws:PrincipalTag/<name>: Request.PrincipalTags
	kResourceTag                 // aws:ResourceTag/<name>: Request.ResourceTags
	kRequestTag                  // aws:RequestTag/<name>: Request.RequestTags
	kTagKeys                     // aws:TagKeys: Request.Context, else the keys of Request.RequestTags
)

const (
	prefixPrincipalTag = "aws:PrincipalTag/"
	prefixResourceTag  = "aws:ResourceTag/"
	prefixRequestTag   = "aws:RequestTag/"
	keyTagKeys         = "aws:TagKeys"
	maxKeyLen          = 512
)

// ctxKey is a compiled condition context key. name is the tag key for the
// tag kinds and the whole key otherwise; lookups ignore its case.
type ctxKey struct {
	kind keyKind
	name string
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// parseCtxKey validates a condition key or a policy variable name.
// It returns a non-empty message when the key is malformed.
func parseCtxKey(s string) (ctxKey, string) {
	switch {
	case s == "":
		return ctxKey{}, "empty context key"
	case len(s) > maxKeyLen:
		return ctxKey{}, "context key longer than 512 bytes"
	case strings.TrimSpace(s) != s:
		return ctxKey{}, "context key " + quote(s) + " has leading or trailing space"
	}
	colon := strings.IndexByte(s, ':')
	if colon <= 0 || colon == len(s)-1 {
		return ctxKey{}, "context key " + quote(s) + " is not of the form prefix:name"
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == '$' || r == '{' || r == '}' || r == '\'' || r == '"' || r == utf8.RuneError {
			return ctxKey{}, "context key " + quote(s) + " contains a forbidden character"
		}
	}
	for _, p := range [...]struct {
		prefix string
		kind   keyKind
	}{{prefixPrincipalTag, kPrincipalTag}, {prefixResourceTag, kResourceTag}, {prefixRequestTag, kRequestTag}} {
		if !hasPrefixFold(s, p.prefix) {
			continue
		}
		tag := s[len(p.prefix):]
		if tag == "" {
			return ctxKey{}, "context key " + quote(s) + " has an empty tag key"
		}
		for _, r := range tag {
			if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == ' ' || strings.ContainsRune("_.:/=+-@", r)) {
				return ctxKey{}, "tag key in " + quote(s) + " contains a character AWS does not allow in tag keys"
			}
		}
		return ctxKey{kind: p.kind, name: tag}, ""
	}
	if strings.EqualFold(s, keyTagKeys) {
		return ctxKey{kind: kTagKeys, name: keyTagKeys}, ""
	}
	return ctxKey{kind: kContext, name: s}, ""
}

type tokKind uint8

const (
	tLit   tokKind = iota // literal text
	tStar                 // * wildcard: any run of characters
	tQmark                // ? wildcard: exactly one character
	tVar                  // ${key} or ${key, 'default'}
)

type token struct {
	kind       tokKind
	text       string // literal text, or the default value of a tVar
	key        ctxKey // tVar only
	hasDefault bool   // tVar only
}

// template is a compiled Resource entry or condition value.
type template struct {
	raw    string
	toks   []token
	static bool   // no variables
	str    string // static && no wildcards: the literal value
	plain  bool   // static && no wildcards
	single bool   // exactly one variable and nothing else
}

// compileTemplate tokenizes s. With wild, * and ? are wildcards; the
// escapes ${*}, ${?} and ${$} always produce the literal character. With
// !vars (policy Version 2008-10-17 or none), the sequence "${" is rejected
// rather than silently compared literally.
func compileTemplate(s string, wild, vars bool) (template, string) {
	t := template{raw: s}
	if !vars && strings.Contains(s, "${") {
		return t, "policy variables require \"Version\": \"2012-10-17\""
	}
	var lit []byte
	flush := func() {
		if len(lit) > 0 {
			t.toks = append(t.toks, token{kind: tLit, text: string(lit)})
			lit = lit[:0]
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c == '$' && i+1 < len(s) && s[i+1] == '{' {
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				return t, "unterminated policy variable in " + quote(s)
			}
			content := s[i+2 : i+2+end]
			i += end + 3
			switch content {
			case "*", "?", "$":
				lit = append(lit, content...)
				continue
			}
			tok, msg := parseVariable(content)
			if msg != "" {
				return t, msg
			}
			flush()
			t.toks = append(t.toks, tok)
			continue
		}
		switch {
		case wild && c == '*':
			flush()
			if n := len(t.toks); n == 0 || t.toks[n-1].kind != tStar {
				t.toks = append(t.toks, token{kind: tStar})
			}
		case wild && c == '?':
			flush()
			t.toks = append(t.toks, token{kind: tQmark})
		default:
			lit = append(lit, c)
		}
		i++
	}
	flush()
	t.static, t.plain = true, true
	for _, tok := range t.toks {
		switch tok.kind {
		case tVar:
			t.static, t.plain = false, false
		case tStar, tQmark:
			t.plain = false
		}
	}
	if t.plain && len(t.toks) == 1 {
		t.str = t.toks[0].text
	}
	t.single = len(t.toks) == 1 && t.toks[0].kind == tVar
	return t, ""
}

// parseVariable parses the inside of ${...}: a context key, optionally
// followed by ", 'default'".
func parseVariable(content string) (token, string) {
	key, hasDef, def := content, false, ""
	if j := strings.IndexByte(content, ','); j >= 0 {
		key = content[:j]
		d := strings.TrimLeft(content[j+1:], " ")
		if len(d) < 3 || d[0] != '\'' || d[len(d)-1] != '\'' || strings.ContainsRune(d[1:len(d)-1], '\'') {
			return token{}, "policy variable " + quote("${"+content+"}") + " has a malformed default value (want ${key, 'value'})"
		}
		hasDef, def = true, d[1:len(d)-1]
	}
	k, msg := parseCtxKey(key)
	if msg != "" {
		return token{}, "policy variable " + quote("${"+content+"}") + ": " + msg
	}
	return token{kind: tVar, key: k, text: def, hasDefault: hasDef}, ""
}

// asciiPrefixFold reports whether s starts with prefix, ignoring ASCII case.
func asciiPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		a, b := s[i], prefix[i]
		if a == b {
			continue
		}
		if 'A' <= a && a <= 'Z' {
			a += 'a' - 'A'
		}
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		if a != b {
			return false
		}
	}
	return true
}

// matchTokens reports whether s matches the wildcard pattern toks, which
// must hold no tVar. * matches any run of characters (including none), ?
// exactly one character (a UTF-8 rune; a byte of invalid UTF-8). With fold,
// literal text is compared ignoring ASCII case (action names).
//
// It is the classic linear-backtracking glob: only the most recent * is
// ever re-extended, so the work is O(len(toks)·len(s)) without recursion.
func matchTokens(toks []token, s string, fold bool) bool {
	ti, si := 0, 0
	starTi, starSi := -1, 0
	for {
		if ti < len(toks) {
			t := &toks[ti]
			switch t.kind {
			case tStar:
				if ti == len(toks)-1 {
					return true // a trailing * matches the rest
				}
				starTi, starSi = ti, si
				ti++
				continue
			case tQmark:
				if si < len(s) {
					_, w := utf8.DecodeRuneInString(s[si:])
					si += w
					ti++
					continue
				}
			case tLit:
				var ok bool
				if fold {
					ok = asciiPrefixFold(s[si:], t.text)
				} else {
					ok = strings.HasPrefix(s[si:], t.text)
				}
				if ok {
					si += len(t.text)
					ti++
					continue
				}
			}
		} else if si == len(s) {
			return true
		}
		if starTi < 0 || starSi >= len(s) {
			return false
		}
		_, w := utf8.DecodeRuneInString(s[starSi:])
		starSi += w
		ti, si = starTi+1, starSi
	}
}

// matchARN reports whether the ARN s matches the pattern toks (no tVar)
// the way ArnEquals/ArnLike do: both are split into six colon-separated
// components (the sixth keeps any further colons) and each component is
// matched on its own, so a wildcard never spans a colon in the first five.
func matchARN(toks []token, s string) bool {
	var vs [6]string
	rest := s
	for i := 0; i < 5; i++ {
		j := strings.IndexByte(rest, ':')
		if j < 0 {
			return false
		}
		vs[i], rest = rest[:j], rest[j+1:]
	}
	vs[5] = rest

	var store [24]token
	flat := store[:0]
	var bounds [7]int
	seg := 0
	for _, t := range toks {
		if t.kind != tLit || seg == 5 {
			flat = append(flat, t)
			continue
		}
		text := t.text
		for seg < 5 {
			j := strings.IndexByte(text, ':')
			if j < 0 {
				break
			}
			if j > 0 {
				flat = append(flat, token{kind: tLit, text: text[:j]})
			}
			seg++
			bounds[seg] = len(flat)
			text = text[j+1:]
		}
		if text != "" {
			flat = append(flat, token{kind: tLit, text: text})
		}
	}
	if seg != 5 {
		return false
	}
	bounds[6] = len(flat)
	for i := 0; i < 6; i++ {
		if !matchTokens(flat[bounds[i]:bounds[i+1]], vs[i], false) {
			return false
		}
	}
	return true
}

// arnSegments counts the colon-separated components of a static pattern.
func arnSegments(toks []token) int {
	n := 1
	for _, t := range toks {
		if t.kind == tLit {
			n += strings.Count(t.text, ":")
		}
	}
	return n
}
